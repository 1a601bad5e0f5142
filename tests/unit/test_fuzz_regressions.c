/* tests/unit/test_fuzz_regressions.c - every input the fuzz targets
 * (tests/fuzz/) found to crash, leak or break a documented contract, fed
 * again to the function it broke, with what a user must see instead.
 * The inputs are also kept in tests/fuzz/regressions/<target>/, which the
 * replay tests and tests/fuzz/run.sh use as seeds.  Memory leaks are caught
 * when this runs in the sanitizer build (LeakSanitizer at exit). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <dm/alias.h>
#include <dm/err.h>
#include <dm/log.h>
#include <dm/sigv4.h>
#include <dm/yaml.h>

/* fuzz_yaml, fuzz_target: libdm/yaml.c parse() returned on a libyaml syntax
 * error without freeing the anchor names it had copied for the collections
 * still open, so each such document leaked. */
static void test_fuzz__yaml_syntax_error_in_anchored_collection_frees_the_anchor(void **state)
{
	static const char *const inputs[] = {
		"&1\n[\n[",
		"base: &b {a: 1, b2 [x, y]}\n",
		"top: &t\n  - &inner [1, 2\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		dm_yaml *doc = (dm_yaml *)1;
		dm_err e = dm_yaml_load_string(&doc, "fuzz.yaml", inputs[i], strlen(inputs[i]));

		assert_int_equal(e, DM_ERR_CONFIG);
		assert_null(doc);
		assert_true(strncmp(dm_err_detail(), "fuzz.yaml:", 10) == 0);
	}
}

/* fuzz_alias: an MC_HOST_ URL whose percent-decoded access key is not UTF-8
 * ("AKIA%F12") parses; dm_alias_save then wrote the raw byte into the alias
 * file, which libyaml refuses ("invalid trailing UTF-8 octet"), so every
 * alias in that file stopped resolving.  Saving must either refuse the
 * alias or write a file that still loads; the other aliases must survive. */
static void test_fuzz__alias_save_of_a_non_utf8_key_keeps_the_file_readable(void **state)
{
	char dir[] = "/tmp/dm-fuzz-regress-XXXXXX", path[64], cmd[96];
	dm_alias *a = NULL, *other = NULL, *back = NULL;
	dm_err e;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/aliases.yaml", dir);
	setenv("DM_ALIASES", path, 1);
	setenv("MC_CONFIG_DIR", dir, 1);
	unsetenv("MC_HOST_other");
	unsetenv("MC_HOST_minio");
	unsetenv("AWS_REGION");

	assert_int_equal(dm_alias_parse_url(&other, "other", "http://otherkey:othersecret@127.0.0.1:9000"), DM_OK);
	assert_int_equal(dm_alias_save(path, other), DM_OK);
	dm_alias_free(other);
	other = NULL;

	assert_int_equal(dm_alias_parse_url(&a, "minio", "http://AKIA%F12:secret@s3.example.org:443/"), DM_OK);
	e = dm_alias_save(path, a);
	/* a refusal says why */
	int refusal_explained = e == DM_OK || dm_err_detail()[0] != '\0';

	/* the alias saved before is still there, whatever became of the new one
	 * (checked before asserting, so that a failure frees what it holds) */
	char why[512] = "";
	int other_ok = dm_alias_resolve(&other, "other") == DM_OK;
	int back_ok = 1;

	if (!other_ok)
		snprintf(why, sizeof(why), "%s", dm_err_detail());
	if (e == DM_OK) {
		/* saved: it reads back byte for byte */
		back_ok = dm_alias_resolve(&back, "minio") == DM_OK && strcmp(back->access_key, a->access_key) == 0;
	}
	if (other_ok) {
		assert_string_equal(other->access_key, "otherkey");
		assert_string_equal(other->url, "http://127.0.0.1:9000");
	}
	dm_alias_free(a);
	dm_alias_free(other);
	dm_alias_free(back);
	dm_log_forget_secrets();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	if (!other_ok)
		fail_msg("after saving alias 'minio' (save: %s), alias 'other' no longer resolves: %s",
			 e == DM_OK ? "ok" : "refused", why);
	assert_true(back_ok);
	assert_true(refusal_explained);
}

/* fuzz_sigv4 (while choosing the clock range of the target): for a time in
 * the year 10000 or later, or before year 0, "%Y" needs more than four
 * characters, strftime() does not fit the 17 bytes, and dm_sigv4_amz_date
 * left out[] without a terminator - dm_sigv4_sign then reads the date past
 * its array.  A clock that wrong is rare; a string without an end is not an
 * acceptable answer to it.  The fuzz target keeps to years 1970-9999. */
static void test_fuzz__amz_date_out_of_range_is_still_a_string(void **state)
{
	static const long long times[] = { 253402300800LL, 9223372036854775807LL, -62167219201LL };

	(void)state;
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		char out[17 + 8];

		memset(out, '#', sizeof(out));
		dm_sigv4_amz_date(out, times[i]);
		if (!memchr(out, '\0', 17))
			fail_msg("dm_sigv4_amz_date(%lld) left no terminator in its 17 bytes: '%.17s'", times[i], out);
	}
	/* the dates a running clock gives are unchanged */
	{
		char out[17];

		dm_sigv4_amz_date(out, 253402300799LL);
		assert_string_equal(out, "99991231T235959Z");
		dm_sigv4_amz_date(out, 0);
		assert_string_equal(out, "19700101T000000Z");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz__yaml_syntax_error_in_anchored_collection_frees_the_anchor),
		cmocka_unit_test(test_fuzz__alias_save_of_a_non_utf8_key_keeps_the_file_readable),
		cmocka_unit_test(test_fuzz__amz_date_out_of_range_is_still_a_string),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
