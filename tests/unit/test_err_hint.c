/* tests/unit/test_err_hint.c - remedy hints (dm/err.h dm_fail_hint, dm_err_hint): libdm records
 * which remedy applies and never names a flag; the tools' one table (tools/common/hints.c)
 * words it, after the message, redacted with it, per thread. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include <dm/cli.h>
#include <dm/err.h>
#include <dm/log.h>

static void test_err_hint__recorded_without_wording(void **state)
{
	unsigned long long n = 7;
	char out[64] = "x";

	(void)state;
	dm_err_set_hint_text(NULL);
	assert_int_equal(dm_fail_hint(DM_ERR_FORBIDDEN, DM_HINT_MAX_DELETE, 14, "refusing %d", 14), DM_ERR_FORBIDDEN);
	assert_string_equal(dm_err_detail(), "refusing 14");
	assert_int_equal(dm_err_hint(&n), DM_HINT_MAX_DELETE);
	assert_int_equal(n, 14);
	assert_string_equal(dm_hint_text(DM_HINT_MAX_DELETE, 14, out, sizeof(out)), "");
	/* a plain dm_fail, and dm_err_clear, leave no hint of an earlier error behind */
	dm_fail(DM_ERR_IO, "later");
	assert_int_equal(dm_err_hint(&n), DM_HINT_NONE);
	assert_int_equal(n, 0);
	dm_fail_hint(DM_ERR_CONFIG, DM_HINT_CONTEXT, 0, "again");
	dm_err_clear();
	assert_int_equal(dm_err_hint(NULL), DM_HINT_NONE);
	assert_string_equal(dm_err_detail(), "");
}

static void test_err_hint__the_tools_wording_follows_the_message(void **state)
{
	char out[128];

	(void)state;
	dm_err_set_hint_text(dm_cli_hint_text);
	dm_fail_hint(DM_ERR_FORBIDDEN, DM_HINT_MAX_DELETE, 14, "refusing to delete 14 objects; nothing deleted");
	assert_string_equal(dm_err_detail(), "refusing to delete 14 objects; nothing deleted (--max-delete 14 or "
					     "--max-delete all allows it)");
	dm_fail_hint(DM_ERR_CONFIG, DM_HINT_KUBECONFIG, 0, "no kubeconfig");
	assert_string_equal(dm_err_detail(), "no kubeconfig; use --kubeconfig FILE or --in-cluster");
	/* one and many */
	dm_fail_hint(DM_ERR_UNSUPPORTED, DM_HINT_SKIP_GPU_REFUSED, 1, "x");
	assert_string_equal(dm_err_detail(), "x (--skip-gpu-check installs it anyway)");
	dm_fail_hint(DM_ERR_UNSUPPORTED, DM_HINT_SKIP_GPU_REFUSED, 2, "x");
	assert_string_equal(dm_err_detail(), "x (--skip-gpu-check installs them anyway)");
	/* DM_HINT_NONE adds nothing; the text alone, for report lines */
	dm_fail_hint(DM_ERR_USAGE, DM_HINT_NONE, 0, "plain");
	assert_string_equal(dm_err_detail(), "plain");
	assert_string_equal(dm_hint_text(DM_HINT_PART_SIZE, 0, out, sizeof(out)), ": raise --part-size");
	assert_string_equal(dm_hint_text(DM_HINT_PART_SIZE, 0, out, 8), ": raise");
	dm_err_set_hint_text(NULL);
}

static void test_err_hint__every_hint_has_wording_naming_a_flag(void **state)
{
	(void)state;
	/* DM_HINT_NODE is the last hint: a new one must be worded in the table */
	for (int h = DM_HINT_NONE + 1; h <= DM_HINT_NODE; h++) {
		char out[256];

		dm_cli_hint_text((dm_hint)h, 3, out, sizeof(out));
		if (!strchr(" ;:,", out[0]) || !strstr(out, "--"))
			fail_msg("hint %d: '%s'", h, out);
	}
}

static void test_err_hint__redacted_and_bounded(void **state)
{
	char big[4096];

	(void)state;
	dm_err_set_hint_text(dm_cli_hint_text);
	dm_log_add_secret("s3cr3t-value");
	dm_fail_hint(DM_ERR_CONFIG, DM_HINT_CONTEXT, 0, "no current-context in s3cr3t-value");
	assert_string_equal(dm_err_detail(), "no current-context in ****; choose one with --context");
	/* a message that fills the detail leaves no room for the hint, and still ends */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	dm_fail_hint(DM_ERR_CONFIG, DM_HINT_CONTEXT, 0, "%s", big);
	assert_true(strlen(dm_err_detail()) < sizeof(big) - 1);
	assert_null(strstr(dm_err_detail(), "--context"));
	dm_err_set_hint_text(NULL);
}

static void *other_thread(void *arg)
{
	(void)arg;
	dm_fail_hint(DM_ERR_TIMEOUT, DM_HINT_TIMEOUT, 0, "elsewhere");
	return NULL;
}

static void test_err_hint__per_thread(void **state)
{
	pthread_t t;

	(void)state;
	dm_fail_hint(DM_ERR_CONFIG, DM_HINT_ROOT, 0, "here");
	assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(dm_err_hint(NULL), DM_HINT_ROOT);
	assert_string_equal(dm_err_detail(), "here");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_hint__recorded_without_wording),
		cmocka_unit_test(test_err_hint__the_tools_wording_follows_the_message),
		cmocka_unit_test(test_err_hint__every_hint_has_wording_naming_a_flag),
		cmocka_unit_test(test_err_hint__redacted_and_bounded),
		cmocka_unit_test(test_err_hint__per_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
