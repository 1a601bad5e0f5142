/* Where the platform is (dm_platform_root) and which flavour a tool reads
 * (dm_flavour_choose): --root, $DM_HOME, the .dm-platform marker at or above the
 * working folder, the installed share folder; -f, $DM_FLAVOUR and
 * flavours/default.yaml of the root; what a tool that can do without the
 * platform is told; errors that name what was tried. */
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

#include <dm/err.h>
#include <dm/platform.h>
#include "testutil.h"

static char tmp[256];
static char start[4096];

/* tmp/rel with its folders; text NULL: a folder */
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
	if (!text) {
		mkdir(path, 0755);
		return;
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char *at(const char *rel)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	return path;
}

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");
	char *real;

	(void)state;
	unsetenv("DM_HOME");
	unsetenv("DM_FLAVOUR");
	if (!getcwd(start, sizeof(start)))
		return -1;
	snprintf(tmp, sizeof(tmp), "%s/dm-root.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmp))
		return -1;
	real = realpath(tmp, NULL); /* the roots come back absolute and resolved */
	snprintf(tmp, sizeof(tmp), "%s", real);
	free(real);
	/* a platform with its marker and a default flavour, a second one without either */
	put("plat/.dm-platform", "");
	put("plat/components", NULL);
	put("plat/flavours/default.yaml", "project:\n  k8s_namespace: plat-ns\n  flavour: all\n");
	put("plat/sub/deep", NULL);
	put("other/components", NULL);
	put("other/flavours/mine.yaml", "project:\n  k8s_namespace: other-ns\n  flavour: all\n");
	put("loose/f.yaml", "project:\n  k8s_namespace: loose-ns\n  flavour: all\n");
	put("nowhere", NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unsetenv("DM_HOME");
	unsetenv("DM_FLAVOUR");
	if (chdir(start) != 0)
		return -1;
	return dm_test_remove_tree(tmp);
}

static void expect_root(const char *given, const char *want, dm_root_source want_src)
{
	dm_root_source src = (dm_root_source)-1;
	char *root = NULL;

	assert_int_equal(dm_platform_root(&root, &src, given), DM_OK);
	assert_string_equal(root, want);
	assert_int_equal(src, want_src);
	free(root);
}

static void expect_root_error(const char *given, dm_err want, const char *detail)
{
	dm_root_source src;
	char *root = (char *)1;

	assert_int_equal(dm_platform_root(&root, &src, given), want);
	assert_null(root);
	if (!strstr(dm_err_detail(), detail))
		fail_msg("detail '%s' lacks '%s'", dm_err_detail(), detail);
}

static void test_root__given_then_home_then_marker(void **state)
{
	char want[512];

	(void)state;
	assert_int_equal(chdir(at("plat/sub/deep")), 0);
	snprintf(want, sizeof(want), "%s", at("plat"));
	expect_root(NULL, want, DM_ROOT_WALK);
	setenv("DM_HOME", at("other"), 1);
	expect_root(NULL, at("other"), DM_ROOT_ENV);
	/* --root wins over $DM_HOME, and a relative one is resolved */
	assert_int_equal(chdir(at("other")), 0);
	expect_root("../plat", want, DM_ROOT_GIVEN);
	setenv("DM_HOME", "", 1); /* empty: as if unset */
	assert_int_equal(chdir(at("plat/sub")), 0);
	expect_root(NULL, want, DM_ROOT_WALK);
}

static void test_root__named_folders_must_be_platforms(void **state)
{
	(void)state;
	expect_root_error(at("nowhere"), DM_ERR_CONFIG, "is no platform root: it holds no components/ folder");
	expect_root_error(at("nowhere"), DM_ERR_CONFIG, "the folder '");
	assert_int_equal(dm_err_hint(NULL), DM_HINT_ROOT_GIVEN);
	expect_root_error(at("missing"), DM_ERR_CONFIG, "the folder '");
	assert_int_equal(dm_err_hint(NULL), DM_HINT_ROOT_GIVEN);
	setenv("DM_HOME", at("missing"), 1);
	expect_root_error(NULL, DM_ERR_CONFIG, "$DM_HOME '");
}

/* components/ alone does not make a root for the walk: only the marker does */
static void test_root__walk_needs_the_marker(void **state)
{
	dm_root_source src;
	char *root = NULL;
	char share[512];
	dm_err e;

	(void)state;
	assert_int_equal(chdir(at("other/flavours")), 0);
	e = dm_platform_root(&root, &src, NULL);
	snprintf(share, sizeof(share), "%s/%s", DM_SHARE_DIR, DM_PLATFORM_MARKER);
	if (access(share, F_OK) == 0) { /* a machine with dm installed: found there */
		assert_int_equal(e, DM_OK);
		assert_int_equal(src, DM_ROOT_SHARE);
		assert_string_equal(root, DM_SHARE_DIR);
		free(root);
		return;
	}
	assert_int_equal(e, DM_ERR_NOTFOUND);
	assert_null(root);
	if (!strstr(dm_err_detail(), "no platform found: no .dm-platform in '") || dm_err_hint(NULL) != DM_HINT_ROOT)
		fail_msg("detail: %s", dm_err_detail());
}

static void test_choose__file_env_default(void **state)
{
	char plat[512];
	dm_flavour *f = NULL;
	int none = -1;

	(void)state;
	assert_int_equal(chdir(at("plat/sub")), 0);
	/* the platform's flavours/default.yaml */
	assert_int_equal(dm_flavour_choose(&f, NULL, NULL, &none), DM_OK);
	assert_int_equal(none, 0);
	assert_string_equal(dm_flavour_project(f)->k8s_namespace, "plat-ns");
	assert_int_equal(dm_flavour_project(f)->root_source, DM_ROOT_WALK);
	dm_flavour_free(f);
	/* $DM_FLAVOUR: its own tree's components/ is its root */
	setenv("DM_FLAVOUR", at("other/flavours/mine.yaml"), 1);
	assert_int_equal(dm_flavour_choose(&f, NULL, NULL, &none), DM_OK);
	assert_string_equal(dm_flavour_project(f)->k8s_namespace, "other-ns");
	assert_string_equal(dm_flavour_project(f)->root, at("other"));
	assert_int_equal(dm_flavour_project(f)->root_source, DM_ROOT_FLAVOUR);
	dm_flavour_free(f);
	/* -f wins over $DM_FLAVOUR; a file outside any platform takes the working folder's */
	assert_int_equal(dm_flavour_choose(&f, NULL, at("loose/f.yaml"), &none), DM_OK);
	assert_string_equal(dm_flavour_project(f)->k8s_namespace, "loose-ns");
	assert_string_equal(dm_flavour_project(f)->root, at("plat"));
	assert_int_equal(dm_flavour_project(f)->root_source, DM_ROOT_WALK);
	dm_flavour_free(f);
	/* --root wins over the file's own tree, and its default flavour is read with no -f */
	unsetenv("DM_FLAVOUR");
	snprintf(plat, sizeof(plat), "%s", at("plat"));
	assert_int_equal(dm_flavour_choose(&f, plat, at("other/flavours/mine.yaml"), NULL), DM_OK);
	assert_string_equal(dm_flavour_project(f)->root, plat);
	assert_int_equal(dm_flavour_project(f)->root_source, DM_ROOT_GIVEN);
	dm_flavour_free(f);
}

static void test_choose__none_only_when_nothing_was_named(void **state)
{
	dm_flavour *f = (dm_flavour *)1;
	char share[512];
	int none = -1;

	(void)state;
	/* a root without flavours/default.yaml: a tool that can do without goes on */
	assert_int_equal(dm_flavour_choose(&f, at("other"), NULL, &none), DM_ERR_NOTFOUND);
	assert_null(f);
	assert_int_equal(none, 1);
	if (!strstr(dm_err_detail(), "has no flavours/default.yaml") || !strstr(dm_err_detail(), "(given)") ||
	    dm_err_hint(NULL) != DM_HINT_FLAVOUR)
		fail_msg("detail: %s", dm_err_detail());
	/* a tool that needs the platform: a configuration to fix (exit 3) */
	assert_int_equal(dm_flavour_choose(&f, at("other"), NULL, NULL), DM_ERR_CONFIG);
	/* no root at all */
	snprintf(share, sizeof(share), "%s/%s", DM_SHARE_DIR, DM_PLATFORM_MARKER);
	assert_int_equal(chdir(at("nowhere")), 0);
	if (access(share, F_OK) != 0) {
		assert_int_equal(dm_flavour_choose(&f, NULL, NULL, &none), DM_ERR_NOTFOUND);
		assert_int_equal(none, 1);
	}
	/* a file that was named and does not exist is an error for every tool */
	assert_int_equal(dm_flavour_choose(&f, NULL, at("plat/flavours/nope.yaml"), &none), DM_ERR_CONFIG);
	assert_int_equal(none, 0);
	assert_null(f);
	if (!strstr(dm_err_detail(), "flavour '") || !strstr(dm_err_detail(), "nope.yaml' does not exist"))
		fail_msg("detail: %s", dm_err_detail());
	/* a bad --root is an error even where the tool could do without */
	assert_int_equal(dm_flavour_choose(&f, at("nowhere"), NULL, &none), DM_ERR_CONFIG);
	assert_int_equal(none, 0);
	/* a loose file and no platform anywhere: the error says how to name one */
	if (access(share, F_OK) != 0) {
		assert_int_equal(dm_flavour_choose(&f, NULL, at("loose/f.yaml"), &none), DM_ERR_CONFIG);
		if (!strstr(dm_err_detail(), "no 'components' folder in '") || dm_err_hint(NULL) != DM_HINT_ROOT)
			fail_msg("detail: %s", dm_err_detail());
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_root__given_then_home_then_marker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root__named_folders_must_be_platforms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root__walk_needs_the_marker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_choose__file_env_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_choose__none_only_when_nothing_was_named, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
