/* The platform model: every shipped flavour loads, resolves and plans; the
 * fixture trees of tests/fixtures/platform give their documented results
 * (order, precedence, the three modes) and errors (file:line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dm/gpu.h>
#include <dm/platform.h>
#include <dm/util.h>
#include "platform/internal.h"

#define FX DM_SOURCE_DIR "/tests/fixtures/platform"

typedef struct {
	dm_flavour *f;
	dm_platform *p;
} loaded;

static dm_err load(loaded *l, const char *path, int with_needs)
{
	dm_platform_opts o = DM_PLATFORM_OPTS_INIT;
	dm_err e;

	memset(l, 0, sizeof(*l));
	o.with_needs = with_needs;
	e = dm_flavour_load(&l->f, path);
	if (!e)
		e = dm_platform_load(&l->p, l->f, &o);
	return e;
}

static void unload(loaded *l)
{
	dm_platform_free(l->p);
	dm_flavour_free(l->f);
}

/* "a b c": the names in install order. */
static char *order_of(const dm_platform *p)
{
	dm_buf b = DM_BUF_INIT;

	for (size_t i = 0; i < dm_platform_count(p); i++)
		dm_buf_printf(&b, "%s%s", i ? " " : "", dm_platform_at(p, i)->name);
	dm_buf_str(&b);
	return dm_buf_detach(&b);
}

/* Every command of a dry run, one per line. */
static void collect(void *ud, const dm_component *c, const char *const *argv)
{
	dm_buf *b = ud;

	(void)c;
	for (size_t i = 0; argv[i]; i++)
		dm_buf_printf(b, "%s%s", i ? " " : "", argv[i]);
	dm_buf_puts(b, "\n");
}

static char *commands(const dm_platform *p, dm_action a, dm_err *err)
{
	dm_run_opts o = DM_RUN_OPTS_INIT;
	dm_run_result *r = NULL;
	dm_buf b = DM_BUF_INIT;

	o.helm = "helm";
	o.kubectl = "kubectl";
	o.dry_run = 1;
	o.on_command = collect;
	o.ud = &b;
	*err = dm_platform_run(p, a, &o, &r);
	dm_run_results_free(r, dm_platform_count(p));
	dm_buf_str(&b);
	return dm_buf_detach(&b);
}

static int is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void test_platform__every_shipped_flavour_loads_resolves_and_plans(void **state)
{
	glob_t g;
	size_t n = 0;

	(void)state;
	assert_int_equal(glob(DM_SOURCE_DIR "/flavours/*.yaml", 0, NULL, &g), 0);
	assert_int_equal(glob(DM_SOURCE_DIR "/flavours/gpu_flavour/gpu_flavour.yaml", GLOB_APPEND, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		loaded l;
		dm_err e = load(&l, g.gl_pathv[i], 0);
		char *cmds;

		if (e)
			fail_msg("%s: %s", g.gl_pathv[i], dm_err_detail());
		assert_true(dm_platform_count(l.p) > 0);
		cmds = commands(l.p, DM_ACTION_PLAN, &e);
		assert_int_equal(e, DM_OK);
		/* one install command per component at least, and no secret on any command line */
		for (size_t k = 0; k < dm_platform_count(l.p); k++) {
			const dm_component *c = dm_platform_at(l.p, k);
			char want[256];

			snprintf(want, sizeof(want), c->kind == DM_COMPONENT_HELM ? "upgrade --install %s " : "apply -",
				 c->release);
			assert_non_null(strstr(cmds, want));
			for (size_t v = 0; v < c->n_values; v++)
				assert_true(is_file(c->values[v]));
		}
		free(cmds);
		unload(&l);
		n++;
	}
	assert_true(n >= 7);
	globfree(&g);
}

static void test_platform__datalake_installs_minio_before_lakefs(void **state)
{
	loaded l;
	char *o;

	(void)state;
	assert_int_equal(load(&l, DM_SOURCE_DIR "/flavours/datalake_flavour.yaml", 0), DM_OK);
	o = order_of(l.p);
	assert_string_equal(o, "minio lakefs");
	/* datalake_flavour.yaml in minio's folder overrides values and adds a set entry */
	assert_non_null(strstr(dm_platform_at(l.p, 0)->values[1], "/components/minio/datalake-values.yaml"));
	free(o);
	unload(&l);
}

static void test_platform__basic_order_and_uninstall_reversed(void **state)
{
	loaded l;
	char *o, *cmds;
	dm_err e;
	const char *a, *b, *c, *d;

	(void)state;
	assert_int_equal(load(&l, FX "/flavours/basic.yaml", 0), DM_OK);
	o = order_of(l.p);
	assert_string_equal(o, "fx-base fx-other fx-store fx-app");
	free(o);
	cmds = commands(l.p, DM_ACTION_UNINSTALL, &e);
	assert_int_equal(e, DM_OK);
	a = strstr(cmds, "helm uninstall fx-app ");
	b = strstr(cmds, "helm uninstall fx-store ");
	c = strstr(cmds, "helm uninstall fx-other ");
	d = strstr(cmds, "helm uninstall fx-base ");
	assert_true(a && b && c && d);
	assert_true(a < b && b < c && c < d);
	free(cmds);
	unload(&l);
}

static void test_platform__dry_run_keeps_secret_values_off_argv(void **state)
{
	loaded l;
	char *cmds;
	dm_err e;

	(void)state;
	assert_int_equal(load(&l, FX "/flavours/basic.yaml", 0), DM_OK);
	cmds = commands(l.p, DM_ACTION_INSTALL, &e);
	assert_int_equal(e, DM_OK);
	assert_non_null(strstr(cmds, "helm upgrade --install fx-app " DM_SOURCE_DIR "/tests/fixtures/charts/fx-app "
				     "--namespace dm-fx-basic --create-namespace "
				     "--set store.endpoint=http://fx-store.dm-fx-basic.svc.cluster.local:9000 "
				     "--set store.host=fx-store.dm-fx-basic.svc.cluster.local:9000 "
				     "--set store.secretName=fx-store-keys --set store.accessKeyField=access_key "
				     "-f - --wait --timeout 60s\n"));
	assert_null(strstr(cmds, "accessKey="));
	assert_null(strstr(cmds, "secretKey="));
	free(cmds);
	unload(&l);
}

static void test_platform__all_selects_every_component_folder(void **state)
{
	loaded l;
	char *o;

	(void)state;
	assert_int_equal(load(&l, FX "/flavours/all.yaml", 0), DM_OK);
	assert_int_equal(dm_platform_count(l.p), 9);
	o = order_of(l.p);
	assert_string_equal(o, "fx-base fx-decoy fx-deploy fx-after-deploy fx-manifest fx-other fx-prec fx-store "
			       "fx-app");
	free(o);
	unload(&l);
}

static const dm_set_entry *set_of(const dm_component *c, const char *key)
{
	for (size_t i = 0; i < c->n_set; i++) {
		if (!strcmp(c->set[i].key, key))
			return &c->set[i];
	}
	return NULL;
}

static void test_platform__precedence_inline_then_flavour_file_then_config_by_name(void **state)
{
	loaded l;
	const dm_component *c;

	(void)state;
	assert_int_equal(load(&l, FX "/flavours/precedence.yaml", 0), DM_OK);
	c = dm_platform_find(l.p, "fx-prec");
	assert_non_null(c);
	assert_non_null(strstr(c->folder, "/components/prec-folder"));
	assert_string_equal(set_of(c, "data.a")->value, "config");
	assert_string_equal(set_of(c, "data.b")->value, "flavour-file-override");
	assert_string_equal(set_of(c, "data.c")->value, "inline");
	assert_string_equal(set_of(c, "data.d")->value, "inline");
	assert_int_equal(c->n_set, 4);
	assert_int_equal(c->timeout_ms, 120000);
	assert_int_equal(c->n_values, 1);
	assert_string_equal(c->values[0], FX "/components/prec-folder/prec-values.yaml");
	for (size_t i = 0; i < c->n_set; i++)
		assert_null(strstr(c->set[i].value, "WRONG"));
	assert_string_equal(c->files[1], FX "/components/prec-folder/precedence.yaml");
	assert_string_equal(c->files[2], FX "/flavours/precedence.yaml");
	unload(&l);
}

static void check_values(const char *flavour, const char *v0, const char *v1)
{
	loaded l;
	const dm_component *c;

	assert_int_equal(load(&l, flavour, 0), DM_OK);
	c = dm_platform_find(l.p, "fx-base");
	assert_non_null(c);
	assert_int_equal(c->n_values, v1 ? 2 : 1);
	assert_string_equal(c->values[0], v0);
	if (v1)
		assert_string_equal(c->values[1], v1);
	unload(&l);
}

static void test_platform__mode1_flavour_folder_holds_values(void **state)
{
	(void)state;
	check_values(FX "/flavours/mode1/mode1.yaml", FX "/components/fx-base/values.yaml",
		     FX "/flavours/mode1/fx-base-extra.yaml");
}

static void test_platform__mode2_config_folder_shadows_component_values(void **state)
{
	(void)state;
	check_values(FX "/flavours/mode2.yaml", FX "/configs/mode2/values.yaml",
		     FX "/configs/mode2/fx-base-extra.yaml");
}

static void test_platform__mode3_component_folder_only(void **state)
{
	(void)state;
	check_values(FX "/flavours/mode3.yaml", FX "/components/fx-base/values.yaml", NULL);
}

static void test_platform__shipped_modes_resolve_their_own_values(void **state)
{
	loaded l;
	const dm_component *c;

	(void)state;
	assert_int_equal(load(&l, DM_SOURCE_DIR "/flavours/gpu_flavour/gpu_flavour.yaml", 0), DM_OK);
	c = dm_platform_find(l.p, "minio");
	assert_string_equal(c->values[0], DM_SOURCE_DIR "/components/minio/values.yaml");
	assert_string_equal(c->values[1], DM_SOURCE_DIR "/flavours/gpu_flavour/minio-gpu-values.yaml");
	assert_non_null(dm_flavour_project(l.f)->local);
	unload(&l);
	assert_int_equal(load(&l, DM_SOURCE_DIR "/flavours/lab_flavour.yaml", 0), DM_OK);
	c = dm_platform_find(l.p, "minio");
	assert_string_equal(c->values[1], DM_SOURCE_DIR "/flavours/values/lab/minio-lab-values.yaml");
	unload(&l);
}

static void test_platform__missing_need_is_an_error_unless_with_needs(void **state)
{
	loaded l;
	char *o;

	(void)state;
	assert_int_equal(load(&l, FX "/flavours/missing-need.yaml", 0), DM_ERR_CONFIG);
	assert_non_null(strstr(dm_err_detail(), "'fx-app' needs 'fx-base' and 'fx-store'"));
	assert_non_null(strstr(dm_err_detail(), "add them to project.flavour"));
	assert_int_equal(dm_err_hint(NULL), DM_HINT_WITH_NEEDS);
	unload(&l);
	assert_int_equal(load(&l, FX "/flavours/missing-need.yaml", 1), DM_OK);
	o = order_of(l.p);
	assert_string_equal(o, "fx-base fx-store fx-app");
	free(o);
	unload(&l);
}

static void test_platform__project_keys_and_targets(void **state)
{
	loaded l;
	const dm_project *pj;

	(void)state;
	assert_int_equal(load(&l, FX "/flavours/targets.yaml", 0), DM_OK);
	pj = dm_flavour_project(l.f);
	assert_string_equal(pj->k8s_namespace, "dm-fx-targets");
	assert_int_equal(pj->proxy_port, 8011);
	assert_int_equal(pj->all, 0);
	assert_int_equal(pj->n_flavour, 1);
	assert_string_equal(pj->flavour[0], "fx-other");
	assert_string_equal(pj->root, FX);
	assert_string_equal(pj->target_file, FX "/k8s/configs/microk8s.yaml");
	assert_string_equal(pj->data_folder, FX "/data");
	assert_string_equal(pj->config_folder, FX "/flavours");
	assert_string_equal(dm_yaml_get(pj->local, "profile")->scalar, "dm-fx-inline");
	assert_string_equal(dm_yaml_get(pj->remote, "context")->scalar, "dm-fx");
	unload(&l);
}

/* Each error fixture: the message and its file:line[:col]. */
static const struct {
	const char *flavour;
	const char *want[3];
} errors[] = {
	{ "flavours/unknown-project-key.yaml",
	  { "unknown-project-key.yaml:5:3: ", "unknown key 'k8s_namespce'", NULL } },
	{ "flavours/unknown-component-key.yaml", { "unknown-component-key.yaml:8:3: ", "unknown key 'relase'", NULL } },
	{ "flavours/unknown-component.yaml",
	  { "unknown-component.yaml:4:", "'fx-nope', which is no component", NULL } },
	{ "flavours/unknown-section.yaml", { "unknown-section.yaml:6:1: ", "'fx-nope' is not a component", NULL } },
	{ "flavours/duplicate-key.yaml", { "duplicate-key.yaml:5:", "duplicate key 'flavour'", NULL } },
	{ "flavours/malformed.yaml", { "malformed.yaml:5:13: ", "flow sequence", NULL } },
	{ "cycle/flavours/cycle.yaml", { "cycle in needs: cy-a -> cy-b -> cy-c -> cy-a", NULL, NULL } },
	{ "unknown-need/flavours/unknown-need.yaml",
	  { "unknown-need/components/un-a/config.yaml:6:", "'un-a' needs 'un-ghost', which is no component", NULL } },
	{ "unknown-key/flavours/unknown-key.yaml",
	  { "unknown-key/components/uk-a/config.yaml:4:1: ", "unknown key 'relase'", NULL } },
	{ "malformed/flavours/malformed.yaml", { "malformed/components/mf-a/config.yaml:", "quoted scalar", NULL } },
	{ "duplicate-name/flavours/duplicate-name.yaml",
	  { "'dn-same'", "duplicate-name/components/dn-one/config.yaml",
	    "duplicate-name/components/dn-two/config.yaml" } },
	{ "bad-ref/flavours/unneeded.yaml",
	  { "br-unneeded/config.yaml:8:", "${br-store.access_key} refers to br-store, which is not in needs", NULL } },
	{ "bad-ref/flavours/field.yaml",
	  { "br-field/config.yaml:8:", "'password' is not a field a component exposes", NULL } },
	{ "bad-ref/flavours/kind.yaml",
	  { "br-kind/config.yaml:5:1: ", "'chart' is not allowed with kind manifest", NULL } },
};

static void test_platform__each_error_fixture_names_file_and_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		loaded l;
		char path[1024];
		dm_err e;

		snprintf(path, sizeof(path), FX "/%s", errors[i].flavour);
		e = load(&l, path, 0);
		if (e != DM_ERR_CONFIG)
			fail_msg("%s: expected a configuration error, got %d (%s)", errors[i].flavour, e,
				 dm_err_detail());
		for (size_t k = 0; k < 3 && errors[i].want[k]; k++) {
			if (!strstr(dm_err_detail(), errors[i].want[k]))
				fail_msg("%s: '%s' not in '%s'", errors[i].flavour, errors[i].want[k], dm_err_detail());
		}
		unload(&l);
	}
}

static void test_platform__cycle_names_only_the_cycle(void **state)
{
	loaded l;

	(void)state;
	assert_int_equal(load(&l, FX "/cycle/flavours/cycle.yaml", 0), DM_ERR_CONFIG);
	assert_null(strstr(dm_err_detail(), "cy-d"));
	unload(&l);
}

static void test_platform__references_expand_in_plans(void **state)
{
	loaded l;
	char *cmds;
	dm_err e;

	(void)state;
	/* the whole platform: argo reads MinIO's host and Secret by reference, grafana's password is
	 * a generated secret, and a quoted value stays a string */
	assert_int_equal(load(&l, DM_SOURCE_DIR "/flavours/default.yaml", 0), DM_OK);
	assert_true(set_of(dm_platform_find(l.p, "grafana"), "adminPassword")->secret);
	assert_false(set_of(dm_platform_find(l.p, "argo"), "artifactRepository.s3.endpoint")->secret);
	assert_false(set_of(dm_platform_find(l.p, "argo"), "artifactRepository.s3.accessKeySecret.name")->secret);
	cmds = commands(l.p, DM_ACTION_INSTALL, &e);
	assert_int_equal(e, DM_OK);
	assert_non_null(strstr(cmds, "--set artifactRepository.s3.endpoint=minio.data-mill.svc.cluster.local:9000 "));
	assert_non_null(strstr(cmds, "--set artifactRepository.s3.accessKeySecret.name=minio-credentials "));
	assert_non_null(strstr(cmds, "--set-string artifactRepository.s3.region=us-east-1 "));
	assert_null(strstr(cmds, "adminPassword="));
	assert_non_null(strstr(cmds, "helm repo add --force-update charts-min-io https://charts.min.io/\n"));
	assert_non_null(strstr(cmds, "charts-min-io/minio --namespace data-mill --create-namespace --version 5.4.0 "));
	free(cmds);
	unload(&l);
}

static void test_platform__only_restricts_and_checks_names(void **state)
{
	dm_flavour *f = NULL;
	dm_platform *p = NULL;
	dm_platform_opts o = DM_PLATFORM_OPTS_INIT;
	const char *only[] = { "fx-app", "fx-base", NULL };
	const char *bad[] = { "fx-deploy", NULL };

	(void)state;
	assert_int_equal(dm_flavour_load(&f, FX "/flavours/basic.yaml"), DM_OK);
	o.only = only;
	assert_int_equal(dm_platform_load(&p, f, &o), DM_OK);
	assert_int_equal(dm_platform_count(p), 2);
	assert_string_equal(dm_platform_at(p, 0)->name, "fx-base");
	assert_string_equal(dm_platform_at(p, 1)->name, "fx-app");
	dm_platform_free(p);
	o.only = bad;
	assert_int_equal(dm_platform_load(&p, f, &o), DM_ERR_USAGE);
	assert_non_null(strstr(dm_err_detail(), "'fx-deploy' is not part of flavour 'basic.yaml'"));
	dm_flavour_free(f);
}

/* Public for the tools that read a component's settings from the flavour
 * file as dm_platform_load does (dm_component_credentials reads its layer 1
 * through it): the section is the map under the component's name, and only
 * component names have one. */
static void test_platform__flavour_section_is_the_inline_map_of_a_component(void **state)
{
	dm_flavour *f = NULL;
	const dm_ynode *sec, *set;

	(void)state;
	assert_int_equal(dm_flavour_load(&f, FX "/flavours/precedence.yaml"), DM_OK);
	assert_non_null(sec = dm_flavour_section(f, "fx-prec"));
	assert_int_equal(sec->kind, DM_YAML_MAP);
	assert_non_null(set = dm_yaml_get(sec, "set"));
	assert_string_equal(dm_yaml_get(set, "data.c")->scalar, "inline");
	assert_null(dm_flavour_section(f, "fx-decoy"));
	assert_null(dm_flavour_section(f, "project"));
	dm_flavour_free(f);
}

static void test_platform__programs_are_those_the_components_run(void **state)
{
	const char *only_manifest[] = { "fx-manifest", NULL };
	dm_platform_opts o = DM_PLATFORM_OPTS_INIT;
	dm_platform *p = NULL;
	loaded l;
	int helm, kubectl;

	(void)state;
	assert_int_equal(load(&l, FX "/flavours/all.yaml", 0), DM_OK);
	dm_platform_programs(l.p, 0, &helm, &kubectl);
	assert_true(helm == 1 && kubectl == 1);
	o.only = only_manifest;
	assert_int_equal(dm_platform_load(&p, l.f, &o), DM_OK);
	dm_platform_programs(p, 0, &helm, &kubectl);
	assert_true(helm == 0 && kubectl == 1);
	dm_platform_free(p);
	unload(&l);

	assert_int_equal(load(&l, FX "/flavours/basic.yaml", 0), DM_OK);
	dm_platform_programs(l.p, 0, &helm, &kubectl);
	assert_true(helm == 1 && kubectl == 0);
	/* the namespaces go with kubectl */
	dm_platform_programs(l.p, 1, &helm, &kubectl);
	assert_true(helm == 1 && kubectl == 1);
	unload(&l);
}

static void test_platform__durations_for_helm(void **state)
{
	char d[32];

	(void)state;
	dm_platform_duration(d, 600000);
	assert_string_equal(d, "600s");
	dm_platform_duration(d, 1500);
	assert_string_equal(d, "1500ms");
}

/* ---- requires: gpu, and the images of rendered manifests ---- */

#define GX DM_SOURCE_DIR "/tests/fixtures/platform-gpu"

static void test_platform__requires_gpu_in_its_three_forms(void **state)
{
	loaded l;
	const dm_component *c;

	(void)state;
	assert_int_equal(load(&l, GX "/flavours/gpu.yaml", 0), DM_OK);
	c = dm_platform_find(l.p, "gx-plain");
	assert_false(c->requires_gpu);
	assert_int_equal(c->n_gpu, 0);
	c = dm_platform_find(l.p, "gx-any");
	assert_true(c->requires_gpu);
	assert_int_equal(c->n_gpu, 0);
	c = dm_platform_find(l.p, "gx-cuda");
	assert_true(c->requires_gpu);
	assert_int_equal(c->n_gpu, 1);
	assert_string_equal(c->gpu[0].image, "quay.io/jupyter/pytorch-notebook:cuda12-python-3.11");
	assert_string_equal(c->gpu[0].profile, "pydl_gpu_env");
	assert_string_equal(c->gpu[0].file, GX "/components/gx-cuda/config.yaml");
	assert_int_equal(c->gpu[0].line, 11);
	assert_int_equal(c->gpu[0].col, 14);
	unload(&l);
}

/* A flavour in a fresh folder whose one component `c` has config.yaml `body`. */
static dm_err load_one(loaded *l, char *dir, const char *body)
{
	char path[512];
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/components", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/components/c", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/components/c/config.yaml", dir);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "name: c\nkind: manifest\nmanifests: [https://example.invalid/x.yaml]\n%s", body);
	fclose(f);
	snprintf(path, sizeof(path), "%s/f.yaml", dir);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "project:\n  k8s_namespace: ns\n  flavour: [c]\n");
	fclose(f);
	return load(l, path, 0);
}

static void drop_one(const char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/components/c/config.yaml", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/components/c", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/components", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/f.yaml", dir);
	unlink(path);
	rmdir(dir);
}

static void test_platform__requires_is_checked_with_file_and_line(void **state)
{
	static const struct {
		const char *body, *want;
	} bad[] = {
		{ "requires: cpu\n", "config.yaml:4:11: 'requires' must be gpu or a map with 'gpu', not 'cpu'" },
		{ "requires:\n  tpu: true\n", "config.yaml:5:3: unknown key 'tpu'" },
		{ "requires:\n  gpu: maybe\n", "config.yaml:5:8:" },
		{ "requires:\n  gpu:\n    image: x\n    cuda: \"12.1\"\n", "config.yaml:7:5: unknown key 'cuda'" },
		{ "requires:\n  gpu: [{image: \"a b\"}]\n", "'image' must be an image reference, not 'a b'" },
	};
	char dir[64];
	loaded l;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(dir, sizeof(dir), "/tmp/dm-requires-XXXXXX");
		assert_int_equal(load_one(&l, dir, bad[i].body), DM_ERR_CONFIG);
		if (!strstr(dm_err_detail(), bad[i].want))
			fail_msg("%s: '%s' lacks '%s'", bad[i].body, dm_err_detail(), bad[i].want);
		unload(&l);
		drop_one(dir);
	}
	/* requires.gpu: false, and an empty requires, require nothing */
	snprintf(dir, sizeof(dir), "/tmp/dm-requires-XXXXXX");
	assert_int_equal(load_one(&l, dir, "requires:\n  gpu: false\n"), DM_OK);
	assert_false(dm_platform_find(l.p, "c")->requires_gpu);
	unload(&l);
	drop_one(dir);
	snprintf(dir, sizeof(dir), "/tmp/dm-requires-XXXXXX");
	assert_int_equal(load_one(&l, dir, "requires: {}\n"), DM_OK);
	assert_false(dm_platform_find(l.p, "c")->requires_gpu);
	unload(&l);
	drop_one(dir);
}

/* dm-gpu knows every image that a shipped flavour's components require a GPU for. */
static void test_platform__shipped_gpu_images_are_in_the_image_table(void **state)
{
	dm_gpu_images *t = NULL;
	glob_t g;

	(void)state;
	assert_int_equal(dm_gpu_images_load_file(&t, DM_SOURCE_DIR "/k8s/gpu-images.yaml"), DM_OK);
	assert_int_equal(glob(DM_SOURCE_DIR "/flavours/*.yaml", 0, NULL, &g), 0);
	assert_int_equal(glob(DM_SOURCE_DIR "/flavours/gpu_flavour/gpu_flavour.yaml", GLOB_APPEND, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		loaded l;

		assert_int_equal(load(&l, g.gl_pathv[i], 0), DM_OK);
		for (size_t k = 0; k < dm_platform_count(l.p); k++) {
			const dm_component *c = dm_platform_at(l.p, k);

			for (size_t j = 0; j < c->n_gpu; j++) {
				dm_gpu_image *img = NULL;

				if (c->gpu[j].image && dm_gpu_images_find(&img, t, c->gpu[j].image) != DM_OK)
					fail_msg("%s: %s: %s", g.gl_pathv[i], c->name, dm_err_detail());
				dm_gpu_image_free(img);
			}
		}
		unload(&l);
	}
	globfree(&g);
	dm_gpu_images_free(t);
}

static void test_platform__images_of_every_container_list(void **state)
{
	static const char yaml[] = "# Source: x\n"
				   "kind: Pod\nspec:\n  containers:\n  - {name: a, image: \"r/a:1\"}\n"
				   "  - {name: b, image: r/b:2}\n  initContainers:\n  - {name: i, image: r/a:1}\n"
				   "  ephemeralContainers:\n  - {name: e, image: r/e@sha256:00}\n"
				   "---\n"
				   "---\n"
				   "kind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
				   "          containers:\n          - name: c\n            image: r/c:3\n"
				   "          - name: noimage\n"
				   "---\n"
				   "kind: ConfigMap\ndata:\n  image: r/not:1\n  containers: r/not:2\n"
				   "---\n"
				   "kind: Custom\nspec:\n  image: r/not:3\n  podTemplate:\n    containers: [r/not:4]\n";
	char **list = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(dm_images_from_yaml(&list, &n, yaml, strlen(yaml), "t"), DM_OK);
	assert_int_equal(n, 4);
	assert_string_equal(list[0], "r/a:1");
	assert_string_equal(list[1], "r/b:2");
	assert_string_equal(list[2], "r/e@sha256:00");
	assert_string_equal(list[3], "r/c:3");
	assert_null(list[4]);
	/* more documents add to the list, each image once */
	assert_int_equal(dm_images_from_yaml(&list, &n, "containers: [{image: r/b:2}, {image: r/z:9}]\n", 45, "u"),
			 DM_OK);
	assert_int_equal(n, 5);
	assert_string_equal(list[4], "r/z:9");
	assert_int_equal(dm_images_from_yaml(&list, &n, "a: [\n", 5, "rendered"), DM_ERR_PARSE);
	assert_non_null(strstr(dm_err_detail(), "rendered: line "));
	dm_strv_free(list);
	list = NULL;
	n = 0;
	{
		/* nine levels of ten aliases: 10^9 nodes to visit, stopped */
		dm_buf b = DM_BUF_INIT;

		dm_buf_puts(&b, "a0: &a0 [x]\n");
		for (int i = 1; i < 10; i++) {
			dm_buf_printf(&b, "a%d: &a%d [", i, i);
			for (int k = 0; k < 10; k++)
				dm_buf_printf(&b, "%s*a%d", k ? ", " : "", i - 1);
			dm_buf_puts(&b, "]\n");
		}
		assert_int_equal(dm_images_from_yaml(&list, &n, dm_buf_str(&b), b.len, "laughs"), DM_ERR_PARSE);
		assert_non_null(strstr(dm_err_detail(), "laughs: more than 1000000 nodes"));
		dm_buf_release(&b);
		dm_strv_free(list);
		list = NULL;
		n = 0;
	}
	assert_int_equal(dm_images_from_yaml(&list, &n, "", 0, "empty"), DM_OK);
	assert_int_equal(n, 0);
	dm_strv_free(list);
}

static void test_platform__results_images_are_sorted_and_unique(void **state)
{
	char *a[] = { "z/x:1", "a/b:2", NULL }, *b[] = { "a/b:2", "m/n:3", NULL };
	dm_run_result r[3];
	char **out = NULL;

	(void)state;
	memset(r, 0, sizeof(r));
	r[0].images = a;
	r[2].images = b;
	assert_int_equal(dm_run_results_images(&out, r, 3), DM_OK);
	assert_string_equal(out[0], "a/b:2");
	assert_string_equal(out[1], "m/n:3");
	assert_string_equal(out[2], "z/x:1");
	assert_null(out[3]);
	dm_strv_free(out);
	assert_int_equal(dm_run_results_images(&out, r, 0), DM_OK);
	assert_null(out[0]);
	dm_strv_free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_platform__every_shipped_flavour_loads_resolves_and_plans),
		cmocka_unit_test(test_platform__datalake_installs_minio_before_lakefs),
		cmocka_unit_test(test_platform__basic_order_and_uninstall_reversed),
		cmocka_unit_test(test_platform__dry_run_keeps_secret_values_off_argv),
		cmocka_unit_test(test_platform__all_selects_every_component_folder),
		cmocka_unit_test(test_platform__precedence_inline_then_flavour_file_then_config_by_name),
		cmocka_unit_test(test_platform__mode1_flavour_folder_holds_values),
		cmocka_unit_test(test_platform__mode2_config_folder_shadows_component_values),
		cmocka_unit_test(test_platform__mode3_component_folder_only),
		cmocka_unit_test(test_platform__shipped_modes_resolve_their_own_values),
		cmocka_unit_test(test_platform__missing_need_is_an_error_unless_with_needs),
		cmocka_unit_test(test_platform__project_keys_and_targets),
		cmocka_unit_test(test_platform__each_error_fixture_names_file_and_line),
		cmocka_unit_test(test_platform__cycle_names_only_the_cycle),
		cmocka_unit_test(test_platform__references_expand_in_plans),
		cmocka_unit_test(test_platform__only_restricts_and_checks_names),
		cmocka_unit_test(test_platform__flavour_section_is_the_inline_map_of_a_component),
		cmocka_unit_test(test_platform__programs_are_those_the_components_run),
		cmocka_unit_test(test_platform__durations_for_helm),
		cmocka_unit_test(test_platform__requires_gpu_in_its_three_forms),
		cmocka_unit_test(test_platform__requires_is_checked_with_file_and_line),
		cmocka_unit_test(test_platform__shipped_gpu_images_are_in_the_image_table),
		cmocka_unit_test(test_platform__images_of_every_container_list),
		cmocka_unit_test(test_platform__results_images_are_sorted_and_unique),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
