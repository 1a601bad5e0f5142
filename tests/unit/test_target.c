/* tests/unit/test_target.c - the target loader (libdm/target/target.c): its `endpoints:` key,
 * the Services reachable from outside the cluster, read as docs/configuration.md says and
 * refused with FILE:LINE:COL where a user must fix them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <dm/platform.h>
#include <dm/target.h>
#include <dm/yaml.h>

#define FX DM_SOURCE_DIR "/tests/fixtures/platform"

/* text as a flavour's inline section (local or remote) of the file "f.yaml" */
static dm_err load(dm_target **t, const char *section, const char *text)
{
	dm_yaml *doc = NULL;
	dm_err e = dm_yaml_load_string(&doc, "f.yaml", text, strlen(text));

	if (!e)
		e = dm_target_load_node(t, doc, dm_yaml_root(doc), section);
	dm_yaml_free(doc);
	return e;
}

static void expect_error(const char *section, const char *text, const char *detail)
{
	dm_target *t = NULL;

	assert_int_equal(load(&t, section, text), DM_ERR_CONFIG);
	assert_null(t);
	if (strcmp(dm_err_detail(), detail))
		fail_msg("detail:\n  %s\nwanted:\n  %s", dm_err_detail(), detail);
}

static void test_target__endpoints_are_read_for_every_provider(void **state)
{
	dm_target *t = NULL;

	(void)state;
	assert_int_equal(load(&t, "remote",
			      "provider: remote\n"
			      "endpoints:\n"
			      "  minio.data-mill: http://192.168.49.2:30900/\n"
			      "  s3.lake-2: https://lake.example.org\n"),
			 DM_OK);
	assert_int_equal(t->n_endpoints, 2);
	assert_string_equal(t->endpoints[0].service, "minio.data-mill");
	assert_string_equal(t->endpoints[0].url, "http://192.168.49.2:30900"); /* no trailing '/' */
	assert_string_equal(t->endpoints[1].service, "s3.lake-2");
	assert_string_equal(t->endpoints[1].url, "https://lake.example.org");
	dm_target_free(t);
	assert_int_equal(load(&t, "local", "provider: minikube\nendpoints: {minio.data-mill: http://10.0.0.1:30900}\n"),
			 DM_OK);
	assert_int_equal(t->n_endpoints, 1);
	dm_target_free(t);
	assert_int_equal(load(&t, "local", "provider: microk8s\nkubeconfig: /k\nendpoints:\n"), DM_OK);
	assert_int_equal(t->n_endpoints, 0);
	dm_target_free(t);
	assert_int_equal(load(&t, "local", "provider: minikube\n"), DM_OK);
	assert_int_equal(t->n_endpoints, 0);
	assert_null(t->endpoints);
	dm_target_free(t);
}

static void test_target__a_bad_endpoint_url_names_its_line_and_column(void **state)
{
	(void)state;
	expect_error("remote", "provider: remote\nendpoints:\n  minio.data-mill: ftp://10.0.0.1:30900\n",
		     "f.yaml:3:20: endpoints: minio.data-mill: url 'ftp://10.0.0.1:30900' must start with http:// "
		     "or https://");
	expect_error("remote", "provider: remote\nendpoints:\n  minio.data-mill: http://10.0.0.1:30900/s3\n",
		     "f.yaml:3:20: endpoints: minio.data-mill: url 'http://10.0.0.1:30900/s3' must not have a path, "
		     "query or fragment ('/s3'): an S3 endpoint is http(s)://HOST[:PORT]");
	expect_error("remote", "provider: remote\nendpoints:\n  minio.data-mill: http://10.0.0.1:99999\n",
		     "f.yaml:3:20: endpoints: minio.data-mill: url 'http://10.0.0.1:99999' has the port '99999', "
		     "not a number from 1 to 65535");
}

static void test_target__an_endpoint_is_named_by_its_service_and_namespace(void **state)
{
	(void)state;
	expect_error("remote", "provider: remote\nendpoints:\n  minio: http://10.0.0.1:30900\n",
		     "f.yaml:3:3: endpoints: 'minio' is not a Service NAME.NAMESPACE (as in "
		     "http://NAME.NAMESPACE.svc.cluster.local:PORT)");
	expect_error("remote", "provider: remote\nendpoints:\n  Minio.data-mill: http://10.0.0.1:30900\n",
		     "f.yaml:3:3: endpoints: 'Minio.data-mill' is not a Service NAME.NAMESPACE (as in "
		     "http://NAME.NAMESPACE.svc.cluster.local:PORT)");
	expect_error("remote", "provider: remote\nendpoints:\n  minio.data-mill.svc: http://10.0.0.1:30900\n",
		     "f.yaml:3:3: endpoints: 'minio.data-mill.svc' is not a Service NAME.NAMESPACE (as in "
		     "http://NAME.NAMESPACE.svc.cluster.local:PORT)");
}

static void test_target__endpoints_must_be_a_map_of_urls(void **state)
{
	dm_target *t = NULL;

	(void)state;
	assert_int_equal(load(&t, "remote", "provider: remote\nendpoints: [http://10.0.0.1:30900]\n"), DM_ERR_CONFIG);
	if (!strstr(dm_err_detail(), "f.yaml:2:12: "))
		fail_msg("detail: %s", dm_err_detail());
	assert_int_equal(load(&t, "remote", "provider: remote\nendpoints:\n  minio.data-mill: [a, b]\n"),
			 DM_ERR_CONFIG);
	if (!strstr(dm_err_detail(), "f.yaml:3:"))
		fail_msg("detail: %s", dm_err_detail());
	assert_null(t);
}

/* which target a flavour's project names: a file given, else local:/remote:, else its default */
static void test_target__of_a_project(void **state)
{
	dm_flavour *f = NULL;
	const dm_project *p;
	dm_target *t = NULL;

	(void)state;
	assert_int_equal(dm_flavour_load(&f, FX "/flavours/targets.yaml"), DM_OK);
	p = dm_flavour_project(f);
	assert_int_equal(dm_target_of_project(&t, p, NULL, NULL), DM_OK);
	assert_int_equal(t->provider, DM_PROVIDER_MICROK8S);
	dm_target_free(t);
	assert_int_equal(dm_target_of_project(&t, p, NULL, "local"), DM_OK);
	assert_int_equal(t->provider, DM_PROVIDER_MINIKUBE);
	assert_string_equal(t->profile, "dm-fx-inline");
	dm_target_free(t);
	assert_int_equal(dm_target_of_project(&t, p, NULL, "remote"), DM_OK);
	assert_int_equal(t->provider, DM_PROVIDER_REMOTE);
	dm_target_free(t);
	/* a file given wins over the inline sections */
	assert_int_equal(dm_target_of_project(&t, p, FX "/k8s/configs/minikube.yaml", "remote"), DM_OK);
	assert_int_equal(t->provider, DM_PROVIDER_MINIKUBE);
	dm_target_free(t);
	dm_flavour_free(f);
	/* a flavour without the section asked for */
	assert_int_equal(dm_flavour_load(&f, FX "/flavours/basic.yaml"), DM_OK);
	t = (dm_target *)1;
	assert_int_equal(dm_target_of_project(&t, dm_flavour_project(f), NULL, "local"), DM_ERR_CONFIG);
	assert_null(t);
	assert_non_null(strstr(dm_err_detail(), "basic.yaml has no inline 'local:' target"));
	dm_flavour_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target__endpoints_are_read_for_every_provider),
		cmocka_unit_test(test_target__a_bad_endpoint_url_names_its_line_and_column),
		cmocka_unit_test(test_target__an_endpoint_is_named_by_its_service_and_namespace),
		cmocka_unit_test(test_target__endpoints_must_be_a_map_of_urls),
		cmocka_unit_test(test_target__of_a_project),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
