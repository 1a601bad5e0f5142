/* Where a component's keys are (dm_component_credentials): the shipped minio
 * component gives what dm-seed --k8s-job and dm-secrets use; the layers above
 * config.yaml count as dm_platform_load merges them; the namespace's
 * precedence; the endpoint's references; errors name the file and line.
 * Which flavour a tool reads is tested in test_platform_root.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <dm/err.h>
#include <dm/platform.h>
#include "testutil.h"

static char tmp[256];

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	for (char *s = strchr(path + strlen(tmp) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tmp, sizeof(tmp), "%s/dm-cred.XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return dm_test_remove_tree(tmp);
}

/* dm_component_credentials with flavour file fl (relative to tmp, or NULL) */
static dm_err creds(dm_credentials *c, const char *fl, const char *dir, const char *name, const char *ns,
		    const char *ns_default)
{
	dm_flavour *f = NULL;
	dm_credentials_opts o = { 0 };
	char path[512], cdir[512];
	dm_err e;

	if (fl) {
		snprintf(path, sizeof(path), "%s/%s", tmp, fl);
		assert_int_equal(dm_flavour_load(&f, path), DM_OK);
	}
	if (dir)
		snprintf(cdir, sizeof(cdir), "%s/%s", tmp, dir);
	o.flavour = f;
	o.components_dir = dir ? cdir : NULL;
	o.component = name;
	o.ns = ns;
	o.ns_default = ns_default;
	o.hint = "use --secret NAME";
	e = dm_component_credentials(c, &o);
	dm_flavour_free(f);
	return e;
}

static void test_credentials__shipped_minio(void **state)
{
	dm_flavour *f = NULL;
	dm_credentials c;
	dm_credentials_opts o = { 0 };

	(void)state;
	/* both the default flavour and datalake (an override file beside minio's config.yaml) */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(dm_flavour_load(&f, i ? DM_SOURCE_DIR "/flavours/datalake_flavour.yaml"
						       : DM_SOURCE_DIR "/flavours/default.yaml"),
				 DM_OK);
		o.flavour = f;
		o.component = "minio";
		assert_int_equal(dm_component_credentials(&c, &o), DM_OK);
		assert_string_equal(c.component, "minio");
		assert_string_equal(c.file, DM_SOURCE_DIR "/components/minio/config.yaml");
		assert_string_equal(c.secret, "minio-credentials");
		assert_string_equal(c.ns, "data-mill");
		assert_string_equal(c.access_key, "rootUser");
		assert_string_equal(c.secret_key, "rootPassword");
		assert_string_equal(c.endpoint, "http://minio.data-mill.svc.cluster.local:9000");
		dm_credentials_release(&c);
		/* a namespace given moves the endpoint along */
		o.ns = "lake";
		assert_int_equal(dm_component_credentials(&c, &o), DM_OK);
		assert_string_equal(c.ns, "lake");
		assert_string_equal(c.endpoint, "http://minio.lake.svc.cluster.local:9000");
		dm_credentials_release(&c);
		o.ns = NULL;
		dm_flavour_free(f);
	}
}

static const char config[] = "name: st\n"
			     "chart: {repo: https://charts.example, name: st}\n"
			     "version: \"1.0.0\"\n"
			     "release: r1\n"
			     "secret:\n"
			     "  name: st-keys\n"
			     "  keys: {access_key: ak, secret_key: sk}\n"
			     "  endpoint: http://${release}.${namespace}:9000/$${x}\n";

static void test_credentials__layers_as_dm_helm_merges_them(void **state)
{
	dm_credentials c;

	(void)state;
	put("p/components/store/config.yaml", config);
	put("p/flavours/f.yaml", "project:\n  k8s_namespace: proj\n  flavour: all\n");
	/* config.yaml alone: the flavour's namespace */
	assert_int_equal(creds(&c, "p/flavours/f.yaml", NULL, "store", NULL, NULL), DM_OK);
	assert_string_equal(c.ns, "proj");
	assert_string_equal(c.endpoint, "http://r1.proj:9000/${x}");
	dm_credentials_release(&c);
	/* the override file beside it, named like the flavour file */
	put("p/components/store/f.yaml", "namespace: over\nsecret:\n  name: ov-keys\n  keys: {access_key: a2, "
					 "secret_key: s2}\n  endpoint: https://${namespace}.s3:443\n");
	assert_int_equal(creds(&c, "p/flavours/f.yaml", NULL, "store", NULL, NULL), DM_OK);
	assert_string_equal(c.ns, "over");
	assert_string_equal(c.secret, "ov-keys");
	assert_string_equal(c.access_key, "a2");
	assert_string_equal(c.endpoint, "https://over.s3:443");
	dm_credentials_release(&c);
	/* the flavour's section named after the component (its name:, not its folder) wins */
	put("p/flavours/f.yaml", "project:\n  k8s_namespace: proj\n  flavour: all\nst:\n  namespace: inl\n");
	assert_int_equal(creds(&c, "p/flavours/f.yaml", NULL, "store", NULL, NULL), DM_OK);
	assert_string_equal(c.ns, "inl");
	assert_string_equal(c.secret, "ov-keys");
	assert_string_equal(c.endpoint, "https://inl.s3:443");
	dm_credentials_release(&c);
	/* dm-helm reads the same: the platform's merged component */
	{
		dm_flavour *f = NULL;
		dm_platform *p = NULL;
		char path[512], *ep = NULL;
		const dm_component *m;

		snprintf(path, sizeof(path), "%s/p/flavours/f.yaml", tmp);
		assert_int_equal(dm_flavour_load(&f, path), DM_OK);
		assert_int_equal(dm_platform_load(&p, f, NULL), DM_OK);
		assert_non_null(m = dm_platform_find(p, "st"));
		assert_int_equal(dm_component_endpoint(&ep, m), DM_OK);
		assert_string_equal(ep, "https://inl.s3:443");
		assert_string_equal(m->secret_name, "ov-keys");
		free(ep);
		dm_platform_free(p);
		dm_flavour_free(f);
	}
	/* without a flavour, only config.yaml: the namespace given, else the default, else an error */
	assert_int_equal(creds(&c, NULL, "p/components", "store", "given", "dflt"), DM_OK);
	assert_string_equal(c.ns, "given");
	assert_string_equal(c.secret, "st-keys");
	assert_string_equal(c.endpoint, "http://r1.given:9000/${x}");
	dm_credentials_release(&c);
	assert_int_equal(creds(&c, NULL, "p/components", "store", NULL, "dflt"), DM_OK);
	assert_string_equal(c.ns, "dflt");
	dm_credentials_release(&c);
	assert_int_equal(creds(&c, NULL, "p/components", "store", NULL, NULL), DM_ERR_CONFIG);
	assert_non_null(strstr(dm_err_detail(), "component 'store' names no namespace"));
	assert_null(c.secret);
}

static void expect_error(const char *cfg, dm_err want, const char *detail)
{
	dm_credentials c;
	char got[1024];

	put("e/components/c/config.yaml", cfg);
	assert_int_equal(creds(&c, NULL, "e/components", "c", NULL, "ns"), want);
	snprintf(got, sizeof(got), "%s", dm_err_detail());
	if (!strstr(got, detail))
		fail_msg("error '%s' lacks '%s'", got, detail);
	assert_null(c.secret);
	assert_null(c.endpoint);
}

static void test_credentials__errors_name_file_and_line(void **state)
{
	dm_credentials c;
	char want[512];

	(void)state;
	snprintf(want, sizeof(want),
		 "no component 'nope': '%s/e/components/nope/config.yaml' does not exist "
		 "(use --secret NAME)",
		 tmp);
	put("e/components/c/config.yaml", "release: c\n");
	assert_int_equal(creds(&c, NULL, "e/components", "nope", NULL, "ns"), DM_ERR_CONFIG);
	assert_string_equal(dm_err_detail(), want);
	assert_int_equal(creds(&c, NULL, "e/components", "../e", NULL, "ns"), DM_ERR_USAGE);
	assert_int_equal(creds(&c, NULL, "e/components", "..", NULL, "ns"), DM_ERR_USAGE);
	expect_error("release: c\n", DM_ERR_CONFIG,
		     "component 'c' names no Secret, having no 'secret:' map (use --secret NAME)");
	expect_error("secret:\n  name: [a, b]\n", DM_ERR_CONFIG, "/e/components/c/config.yaml:2:9:");
	expect_error("secret:\n  name: s\n  keys: {access_key: a, secret_key: b}\n", DM_ERR_CONFIG,
		     "missing required key 'endpoint'");
	expect_error("secret:\n  name: s\n  endpoint: http://x\n", DM_ERR_CONFIG, "missing required key 'keys'");
	expect_error("secret:\n  name: s\n  keys: {access_key: a, secret_key: b}\n  endpoint: http://x\n  port: 1\n",
		     DM_ERR_CONFIG, "unknown key 'port'");
	expect_error("secret:\n  name: s\n  keys: {access_key: a, secret_key: b}\n  endpoint: http://${host}:9\n",
		     DM_ERR_CONFIG, "config.yaml:4:13: ${host}: an endpoint may only use ${release} and ${namespace}");
	expect_error("namespace: Bad_NS\nsecret:\n  name: s\n  keys: {access_key: a, secret_key: b}\n"
		     "  endpoint: http://x\n",
		     DM_ERR_CONFIG, "config.yaml:1:12: invalid namespace 'Bad_NS'");
	expect_error("secret: [\n", DM_ERR_CONFIG, "config.yaml:2:1:");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_credentials__shipped_minio),
		cmocka_unit_test_setup_teardown(test_credentials__layers_as_dm_helm_merges_them, setup, teardown),
		cmocka_unit_test_setup_teardown(test_credentials__errors_name_file_and_line, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
