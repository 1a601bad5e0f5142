/* The current target (k8s/current.c): what dm-cluster start records and how the tools choose
 * their cluster with it, as kubectl does with one more step: --kubeconfig, $KUBECONFIG, the
 * record, ~/.kube/config.  The record is private (0600), never holds credentials, and a broken
 * one is an error, never a silent fall-back to another cluster. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dm/k8s.h>
#include <dm/util.h>
#include "testutil.h"

static char tmp[256], kc[300], record[300];

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");
	char *real;

	(void)state;
	snprintf(tmp, sizeof(tmp), "%s/dm-current.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmp))
		return -1;
	real = realpath(tmp, NULL);
	snprintf(tmp, sizeof(tmp), "%s", real);
	free(real);
	snprintf(kc, sizeof(kc), "%s/kubeconfig", tmp);
	snprintf(record, sizeof(record), "%s/state/dm/current-target.json", tmp);
	write_text(kc, "apiVersion: v1\nkind: Config\n");
	{
		char state_home[300];

		snprintf(state_home, sizeof(state_home), "%s/state", tmp);
		setenv("XDG_STATE_HOME", state_home, 1);
	}
	unsetenv("KUBECONFIG");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unsetenv("XDG_STATE_HOME");
	unsetenv("KUBECONFIG");
	return dm_test_remove_tree(tmp);
}

static void test_current__save_load_private_and_without_credentials(void **state)
{
	dm_k8s_current c;
	struct stat st;
	char *text = NULL;

	(void)state;
	assert_int_equal(dm_k8s_current_load(&c), DM_ERR_NOTFOUND);
	dm_k8s_current_release(&c);
	assert_int_equal(dm_k8s_current_save(kc, "microk8s", "k8s/configs/default_mc.yaml", NULL, 0), DM_OK);
	assert_int_equal(stat(record, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(dm_read_file(&text, NULL, record), DM_OK);
	assert_null(strstr(text, "token"));
	free(text);
	assert_int_equal(dm_k8s_current_load(&c), DM_OK);
	assert_string_equal(c.kubeconfig, kc);
	assert_string_equal(c.context, "microk8s");
	assert_string_equal(c.target, "k8s/configs/default_mc.yaml");
	assert_string_equal(c.file, record);
	dm_k8s_current_release(&c);
}

static void test_current__choice_is_flag_env_record_home(void **state)
{
	dm_k8s_opts ko = DM_K8S_OPTS_INIT;
	dm_k8s_current cur;
	dm_k8s_from from;

	(void)state;
	/* nothing recorded: ~/.kube/config, as kubectl */
	assert_int_equal(dm_k8s_choose(&ko, &cur, &from), DM_OK);
	assert_int_equal(from, DM_K8S_FROM_HOME);
	assert_null(ko.kubeconfig);
	dm_k8s_current_release(&cur);
	/* the record: its kubeconfig and context */
	assert_int_equal(dm_k8s_current_save(kc, "ctx-a", "t.yaml", NULL, 0), DM_OK);
	assert_int_equal(dm_k8s_choose(&ko, &cur, &from), DM_OK);
	assert_int_equal(from, DM_K8S_FROM_CURRENT);
	assert_string_equal(ko.kubeconfig, kc);
	assert_string_equal(ko.context, "ctx-a");
	dm_k8s_current_release(&cur);
	/* --context alone picks another context of the recorded kubeconfig */
	ko = (dm_k8s_opts)DM_K8S_OPTS_INIT;
	ko.context = "ctx-b";
	assert_int_equal(dm_k8s_choose(&ko, &cur, &from), DM_OK);
	assert_int_equal(from, DM_K8S_FROM_CURRENT);
	assert_string_equal(ko.kubeconfig, kc);
	assert_string_equal(ko.context, "ctx-b");
	dm_k8s_current_release(&cur);
	/* $KUBECONFIG wins over the record */
	ko = (dm_k8s_opts)DM_K8S_OPTS_INIT;
	setenv("KUBECONFIG", "/elsewhere", 1);
	assert_int_equal(dm_k8s_choose(&ko, &cur, &from), DM_OK);
	assert_int_equal(from, DM_K8S_FROM_ENV);
	assert_null(ko.kubeconfig);
	assert_null(ko.context);
	dm_k8s_current_release(&cur);
	/* --kubeconfig wins over both */
	ko.kubeconfig = "/given";
	assert_int_equal(dm_k8s_choose(&ko, &cur, &from), DM_OK);
	assert_int_equal(from, DM_K8S_FROM_GIVEN);
	assert_string_equal(ko.kubeconfig, "/given");
	dm_k8s_current_release(&cur);
}

static void test_current__a_broken_record_is_an_error_not_another_cluster(void **state)
{
	dm_k8s_opts ko = DM_K8S_OPTS_INIT;
	dm_k8s_current cur;
	dm_k8s_from from;

	(void)state;
	assert_int_equal(dm_k8s_current_save(kc, "ctx-a", "t.yaml", NULL, 0), DM_OK);
	write_text(record, "{\"kubeconfig\": 3}");
	assert_int_equal(dm_k8s_choose(&ko, &cur, &from), DM_ERR_CONFIG);
	if (!strstr(dm_err_detail(), "current-target.json: 'kubeconfig' must be a non-empty string"))
		fail_msg("detail: %s", dm_err_detail());
	dm_k8s_current_release(&cur);
	write_text(record, "not json");
	assert_int_equal(dm_k8s_choose(&ko, &cur, &from), DM_ERR_CONFIG);
	dm_k8s_current_release(&cur);
	/* a recorded kubeconfig that is gone */
	assert_int_equal(dm_k8s_current_save(kc, "ctx-a", "t.yaml", NULL, 0), DM_OK);
	assert_int_equal(unlink(kc), 0);
	assert_int_equal(dm_k8s_choose(&ko, &cur, &from), DM_ERR_CONFIG);
	if (!strstr(dm_err_detail(), "the current target (t.yaml) names kubeconfig '") ||
	    !strstr(dm_err_detail(), "which does not exist"))
		fail_msg("detail: %s", dm_err_detail());
	dm_k8s_current_release(&cur);
}

static void test_current__forget_only_the_cluster_recorded(void **state)
{
	dm_k8s_current c;

	(void)state;
	assert_int_equal(dm_k8s_current_save(kc, "ctx-a", "t.yaml", NULL, 0), DM_OK);
	assert_int_equal(dm_k8s_current_forget(kc, "ctx-b"), DM_OK); /* another cluster: kept */
	assert_int_equal(dm_k8s_current_load(&c), DM_OK);
	dm_k8s_current_release(&c);
	assert_int_equal(dm_k8s_current_forget(kc, "ctx-a"), DM_OK);
	assert_int_equal(dm_k8s_current_load(&c), DM_ERR_NOTFOUND);
	dm_k8s_current_release(&c);
	assert_int_equal(dm_k8s_current_forget(kc, "ctx-a"), DM_OK); /* nothing left: fine */
}

/* A target's endpoints travel with the record; they serve the recorded cluster only. */
static void test_current__endpoints_are_recorded_and_serve_the_recorded_cluster_only(void **state)
{
	const dm_k8s_endpoint eps[] = { { .service = "minio.data-mill", .url = "http://192.168.49.2:30900" },
					{ .service = "s3.lake", .url = "https://lake.example.org" } };
	dm_k8s_opts ko = DM_K8S_OPTS_INIT;
	dm_k8s_current cur;
	dm_k8s_from from;

	(void)state;
	assert_int_equal(dm_k8s_current_save(kc, "ctx-a", "t.yaml", eps, 2), DM_OK);
	assert_int_equal(dm_k8s_choose(&ko, &cur, &from), DM_OK);
	assert_int_equal(from, DM_K8S_FROM_CURRENT);
	assert_int_equal(cur.n_endpoints, 2);
	assert_string_equal(dm_k8s_current_endpoint(&cur, "data-mill", "minio"), "http://192.168.49.2:30900");
	assert_string_equal(dm_k8s_current_endpoint(&cur, "lake", "s3"), "https://lake.example.org");
	assert_null(dm_k8s_current_endpoint(&cur, "data-mill", "min")); /* the whole name */
	assert_null(dm_k8s_current_endpoint(&cur, "data", "minio"));
	assert_null(dm_k8s_current_endpoint(&cur, "lake", "minio"));
	assert_null(dm_k8s_current_endpoint(NULL, "lake", "s3"));
	dm_k8s_current_release(&cur);
	/* --context naming the recorded context: the same cluster */
	ko = (dm_k8s_opts)DM_K8S_OPTS_INIT;
	ko.context = "ctx-a";
	assert_int_equal(dm_k8s_choose(&ko, &cur, &from), DM_OK);
	assert_int_equal(cur.n_endpoints, 2);
	dm_k8s_current_release(&cur);
	/* another context of the recorded kubeconfig: another cluster, no endpoints */
	ko = (dm_k8s_opts)DM_K8S_OPTS_INIT;
	ko.context = "ctx-b";
	assert_int_equal(dm_k8s_choose(&ko, &cur, &from), DM_OK);
	assert_int_equal(from, DM_K8S_FROM_CURRENT);
	assert_int_equal(cur.n_endpoints, 0);
	assert_null(dm_k8s_current_endpoint(&cur, "data-mill", "minio"));
	dm_k8s_current_release(&cur);
	/* --kubeconfig: no record read, no endpoints */
	ko = (dm_k8s_opts)DM_K8S_OPTS_INIT;
	ko.kubeconfig = kc;
	assert_int_equal(dm_k8s_choose(&ko, &cur, &from), DM_OK);
	assert_int_equal(cur.n_endpoints, 0);
	dm_k8s_current_release(&cur);
	/* a record whose endpoint is not a URL is refused, naming the file */
	write_text(record, "{\"kubeconfig\": \"/k\", \"endpoints\": {\"minio.data-mill\": \"ftp://x\"}}");
	ko = (dm_k8s_opts)DM_K8S_OPTS_INIT;
	assert_int_equal(dm_k8s_choose(&ko, &cur, &from), DM_ERR_CONFIG);
	if (!strstr(dm_err_detail(), "current-target.json: endpoint 'minio.data-mill' must be a Service"))
		fail_msg("detail: %s", dm_err_detail());
	dm_k8s_current_release(&cur);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_current__save_load_private_and_without_credentials),
		T(test_current__choice_is_flag_env_record_home),
		T(test_current__a_broken_record_is_an_error_not_another_cluster),
		T(test_current__forget_only_the_cluster_recorded),
		T(test_current__endpoints_are_recorded_and_serve_the_recorded_cluster_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
