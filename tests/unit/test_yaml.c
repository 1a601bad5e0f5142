/* tests/unit/test_yaml.c - the YAML loader (dm/yaml.h): values with their
 * positions, and errors that read "FILE:LINE:COL: what" for the line a user
 * must fix.  Samples live in tests/fixtures/yaml/. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dm/err.h>
#include <dm/yaml.h>

#define FIXTURE(name) DM_SOURCE_DIR "/tests/fixtures/yaml/" name

/* Loads a fixture that must fail, and checks the whole detail. */
static void expect_load_error(const char *path, const char *want_after_path)
{
	dm_yaml *doc = (dm_yaml *)0x1;
	char want[2048];
	dm_err e = dm_yaml_load_file(&doc, path);

	assert_null(doc);
	if (e != DM_ERR_CONFIG)
		fail_msg("%s: expected DM_ERR_CONFIG, got %d (%s)", path, (int)e, dm_err_detail());
	snprintf(want, sizeof(want), "%s%s", path, want_after_path);
	assert_string_equal(dm_err_detail(), want);
}

static dm_yaml *load_ok(const char *path)
{
	dm_yaml *doc = NULL;

	if (dm_yaml_load_file(&doc, path) != DM_OK)
		fail_msg("%s did not load: %s", path, dm_err_detail());
	assert_non_null(doc);
	return doc;
}

static dm_yaml *load_text(const char *text)
{
	dm_yaml *doc = NULL;

	if (dm_yaml_load_string(&doc, "inline.yaml", text, strlen(text)) != DM_OK)
		fail_msg("text did not load: %s", dm_err_detail());
	return doc;
}

/* ---- loading good documents ---- */

static void test_yaml__loads_values_with_their_positions(void **state)
{
	dm_yaml *doc = load_ok(FIXTURE("good-component.yaml"));
	const dm_ynode *root = dm_yaml_root(doc), *chart, *n;

	(void)state;
	assert_string_equal(dm_yaml_name(doc), FIXTURE("good-component.yaml"));
	assert_int_equal(root->kind, DM_YAML_MAP);
	n = dm_yaml_get(root, "name");
	assert_non_null(n);
	assert_int_equal(n->kind, DM_YAML_SCALAR);
	assert_string_equal(n->scalar, "minio");
	assert_int_equal(n->line, 2);
	assert_int_equal(n->col, 7);
	chart = dm_yaml_get(root, "chart");
	assert_int_equal(chart->kind, DM_YAML_MAP);
	assert_int_equal(chart->len, 3);
	n = dm_yaml_get(chart, "version");
	assert_string_equal(n->scalar, "5.4.0");
	assert_true(n->quoted);
	assert_int_equal(n->line, 6);
	assert_int_equal(n->col, 12);
	n = dm_yaml_key(chart, "version");
	assert_int_equal(n->line, 6);
	assert_int_equal(n->col, 3);
	assert_null(dm_yaml_get(root, "absent"));
	assert_null(dm_yaml_get(n, "not a map"));
	dm_yaml_free(doc);
}

static void test_yaml__reads_typed_values(void **state)
{
	dm_yaml *doc = load_ok(FIXTURE("good-component.yaml"));
	const dm_ynode *root = dm_yaml_root(doc);
	const char *s = NULL, **tags = NULL;
	long long replicas = 0;
	int enabled = 0;
	size_t ntags = 0;

	(void)state;
	assert_int_equal(dm_yaml_get_str(doc, root, "name", 1, &s), DM_OK);
	assert_string_equal(s, "minio");
	assert_int_equal(dm_yaml_get_int(doc, root, "replicas", 1, 1, 10, &replicas), DM_OK);
	assert_int_equal(replicas, 2);
	assert_int_equal(dm_yaml_get_bool(doc, root, "enabled", 1, &enabled), DM_OK);
	assert_int_equal(enabled, 1);
	assert_int_equal(dm_yaml_get_strlist(doc, root, "tags", 1, &tags, &ntags), DM_OK);
	assert_int_equal(ntags, 2);
	assert_string_equal(tags[0], "storage");
	assert_string_equal(tags[1], "s3");
	assert_null(tags[2]);
	free(tags);
	dm_yaml_free(doc);
}

static void test_yaml__absent_optional_keys_leave_values_untouched(void **state)
{
	dm_yaml *doc = load_ok(FIXTURE("good-component.yaml"));
	const dm_ynode *root = dm_yaml_root(doc);
	const char *s = "default";
	long long n = 42;
	int b = 7;

	(void)state;
	assert_int_equal(dm_yaml_get_str(doc, root, "missing", 0, &s), DM_OK);
	assert_string_equal(s, "default");
	/* "namespace:" has no value: null, same as absent */
	assert_int_equal(dm_yaml_get(root, "namespace")->kind, DM_YAML_NULL);
	assert_int_equal(dm_yaml_get_str(doc, root, "namespace", 0, &s), DM_OK);
	assert_string_equal(s, "default");
	assert_int_equal(dm_yaml_get_int(doc, root, "missing", 0, 0, 9, &n), DM_OK);
	assert_int_equal(n, 42);
	assert_int_equal(dm_yaml_get_bool(doc, root, "missing", 0, &b), DM_OK);
	assert_int_equal(b, 7);
	dm_yaml_free(doc);
}

static void test_yaml__resolves_anchors_and_aliases(void **state)
{
	dm_yaml *doc = load_ok(FIXTURE("good-component.yaml"));
	const dm_ynode *root = dm_yaml_root(doc);
	const dm_ynode *req = dm_yaml_get(dm_yaml_get(root, "resources"), "requests");
	const char *cpu = NULL;

	(void)state;
	assert_non_null(req);
	assert_int_equal(req->kind, DM_YAML_MAP);
	assert_ptr_equal(req, dm_yaml_get(root, "defaults"));
	assert_int_equal(dm_yaml_get_str(doc, req, "cpu", 1, &cpu), DM_OK);
	assert_string_equal(cpu, "100m");
	dm_yaml_free(doc);
}

static void test_yaml__shares_aliased_nodes_instead_of_copying(void **state)
{
	/* nine levels of nine references: 9^9 nodes if copied, a few dozen if shared */
	char text[4096];
	size_t n = 0;
	dm_yaml *doc;
	const dm_ynode *root, *l9;

	(void)state;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "l0: &l0 [x]\n");
	for (int i = 1; i <= 9; i++) {
		n += (size_t)snprintf(text + n, sizeof(text) - n, "l%d: &l%d [", i, i);
		for (int j = 0; j < 9; j++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s*l%d", j ? ", " : "", i - 1);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "]\n");
	}
	doc = load_text(text);
	root = dm_yaml_root(doc);
	l9 = dm_yaml_get(root, "l9");
	assert_int_equal(l9->kind, DM_YAML_SEQ);
	assert_int_equal(l9->len, 9);
	assert_ptr_equal(l9->vals[0], dm_yaml_get(root, "l8"));
	assert_ptr_equal(l9->vals[8], dm_yaml_get(root, "l8"));
	dm_yaml_free(doc);
}

static void test_yaml__takes_a_scalar_as_a_list_of_one(void **state)
{
	dm_yaml *doc = load_text("only: one\n");
	const char **list = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(dm_yaml_get_strlist(doc, dm_yaml_root(doc), "only", 1, &list, &n), DM_OK);
	assert_int_equal(n, 1);
	assert_string_equal(list[0], "one");
	assert_null(list[1]);
	free(list);
	dm_yaml_free(doc);
}

static void test_yaml__empty_document_has_a_null_root(void **state)
{
	dm_yaml *doc = load_text("# only a comment\n");

	(void)state;
	assert_int_equal(dm_yaml_root(doc)->kind, DM_YAML_NULL);
	assert_int_equal(dm_yaml_want_map(doc, dm_yaml_root(doc), "the file", 1), DM_OK);
	assert_int_equal(dm_yaml_want_map(doc, dm_yaml_root(doc), "the file", 0), DM_ERR_CONFIG);
	dm_yaml_free(doc);
}

static void test_yaml__accepts_nesting_64_levels_deep(void **state)
{
	char text[256];
	dm_yaml *doc;

	(void)state;
	memset(text, 0, sizeof(text));
	memset(text, '[', 64);
	memset(text + 64, ']', 64);
	doc = load_text(text);
	assert_int_equal(dm_yaml_root(doc)->kind, DM_YAML_SEQ);
	dm_yaml_free(doc);
}

/* ---- errors with file, line and column ---- */

static void test_yaml__syntax_error_names_file_line_and_column(void **state)
{
	(void)state;
	/* the flow sequence opened on line 4 is still open when line 5 starts */
	expect_load_error(FIXTURE("bad-syntax.yaml"), ":5:9: did not find expected ',' or ']' while parsing a flow "
						      "sequence started at line 4, column 12");
}

static void test_yaml__bad_indentation_names_file_line_and_column(void **state)
{
	(void)state;
	expect_load_error(FIXTURE("bad-indent.yaml"), ":4:11: mapping values are not allowed in this context");
}

static void test_yaml__tab_indentation_names_file_line_and_column(void **state)
{
	(void)state;
	expect_load_error(FIXTURE("bad-tab.yaml"), ":2:1: found a tab character that violates indentation while "
						   "scanning a plain scalar started at line 1, column 7");
}

static void test_yaml__rejects_duplicate_keys_with_both_lines(void **state)
{
	(void)state;
	expect_load_error(FIXTURE("bad-duplicate-key.yaml"), ":5:3: duplicate key 'repo' (first at line 3)");
}

static void test_yaml__rejects_unknown_alias(void **state)
{
	(void)state;
	expect_load_error(FIXTURE("bad-alias.yaml"), ":3:13: unknown alias '*undefined'");
}

static void test_yaml__rejects_more_than_one_document(void **state)
{
	(void)state;
	expect_load_error(FIXTURE("bad-two-documents.yaml"), ":2:1: more than one YAML document in the file");
}

static void test_yaml__rejects_nesting_deeper_than_64_levels(void **state)
{
	char text[256];
	dm_yaml *doc = NULL;

	(void)state;
	memset(text, 0, sizeof(text));
	memset(text, '[', 65);
	memset(text + 65, ']', 65);
	assert_int_equal(dm_yaml_load_string(&doc, "deep.yaml", text, strlen(text)), DM_ERR_CONFIG);
	assert_null(doc);
	assert_string_equal(dm_err_detail(), "deep.yaml:1:65: nesting deeper than 64 levels");
}

static void test_yaml__rejects_non_scalar_keys(void **state)
{
	static const char text[] = "ok: 1\n? [a, b]\n: value\n";
	dm_yaml *doc = NULL;

	(void)state;
	assert_int_equal(dm_yaml_load_string(&doc, "keys.yaml", text, strlen(text)), DM_ERR_CONFIG);
	assert_null(doc);
	assert_string_equal(dm_err_detail(), "keys.yaml:2:3: mapping keys must be plain strings");
}

static void test_yaml__rejects_more_than_a_million_nodes(void **state)
{
	size_t items = 1000001, n = 0;
	char *text = malloc(items * 2 + 3);
	dm_yaml *doc = NULL;

	(void)state;
	assert_non_null(text);
	text[n++] = '[';
	for (size_t i = 0; i < items; i++) {
		text[n++] = '0';
		text[n++] = ',';
	}
	text[n - 1] = ']';
	assert_int_equal(dm_yaml_load_string(&doc, "big.yaml", text, n), DM_ERR_CONFIG);
	assert_null(doc);
	assert_non_null(strstr(dm_err_detail(), "big.yaml"));
	free(text);
}

static void test_yaml__missing_file_is_not_found_with_its_name(void **state)
{
	dm_yaml *doc = (dm_yaml *)0x1;

	(void)state;
	assert_int_equal(dm_yaml_load_file(&doc, FIXTURE("no-such-file.yaml")), DM_ERR_NOTFOUND);
	assert_null(doc);
	assert_non_null(strstr(dm_err_detail(), "cannot read '" FIXTURE("no-such-file.yaml") "'"));
}

static void test_yaml__unknown_key_names_position_and_allowed_keys(void **state)
{
	static const char *const allowed[] = { "repo", "name", "version", NULL };
	dm_yaml *doc = load_ok(FIXTURE("bad-unknown-key.yaml"));
	const dm_ynode *chart = dm_yaml_get(dm_yaml_root(doc), "chart");

	(void)state;
	assert_int_equal(dm_yaml_check_keys(doc, chart, "'chart'", allowed), DM_ERR_CONFIG);
	assert_string_equal(dm_err_detail(), FIXTURE("bad-unknown-key.yaml") ":4:3: unknown key 'verison' in 'chart' "
									     "(expected one of: repo, name, version)");
	/* a known set passes, and an absent map is fine */
	assert_int_equal(dm_yaml_check_keys(doc, dm_yaml_root(doc), "the file",
					    (const char *const[]){ "name", "chart", NULL }),
			 DM_OK);
	assert_int_equal(dm_yaml_check_keys(doc, NULL, "nothing", allowed), DM_OK);
	dm_yaml_free(doc);
}

static void test_yaml__wrong_number_names_key_and_position(void **state)
{
	dm_yaml *doc = load_ok(FIXTURE("bad-type.yaml"));
	long long n = 5;

	(void)state;
	assert_int_equal(dm_yaml_get_int(doc, dm_yaml_root(doc), "replicas", 1, 0, 100, &n), DM_ERR_CONFIG);
	assert_int_equal(n, 5);
	assert_string_equal(dm_err_detail(),
			    FIXTURE("bad-type.yaml") ":2:11: 'replicas' must be a whole number, not 'two'");
	dm_yaml_free(doc);
}

static void test_yaml__number_out_of_range_names_the_range(void **state)
{
	dm_yaml *doc = load_ok(FIXTURE("good-component.yaml"));
	long long n = 0;

	(void)state;
	assert_int_equal(dm_yaml_get_int(doc, dm_yaml_root(doc), "replicas", 1, 3, 9, &n), DM_ERR_CONFIG);
	assert_string_equal(dm_err_detail(),
			    FIXTURE("good-component.yaml") ":7:11: 'replicas' must be between 3 and 9, not 2");
	dm_yaml_free(doc);
}

static void test_yaml__mapping_where_string_expected_names_the_type(void **state)
{
	dm_yaml *doc = load_ok(FIXTURE("good-component.yaml"));
	const char *s = NULL;

	(void)state;
	assert_int_equal(dm_yaml_get_str(doc, dm_yaml_root(doc), "chart", 1, &s), DM_ERR_CONFIG);
	assert_null(s);
	assert_string_equal(dm_err_detail(),
			    FIXTURE("good-component.yaml") ":4:3: 'chart' must be a string, not a mapping");
	dm_yaml_free(doc);
}

static void test_yaml__quoted_true_is_not_a_bool(void **state)
{
	dm_yaml *doc = load_ok(FIXTURE("good-component.yaml"));
	int b = 5;

	(void)state;
	assert_int_equal(dm_yaml_get_bool(doc, dm_yaml_root(doc), "quoted_bool", 1, &b), DM_ERR_CONFIG);
	assert_int_equal(b, 5);
	assert_string_equal(dm_err_detail(),
			    FIXTURE("good-component.yaml") ":9:14: 'quoted_bool' must be true or false");
	dm_yaml_free(doc);
}

static void test_yaml__list_with_a_mapping_item_names_the_item(void **state)
{
	dm_yaml *doc = load_text("tags:\n  - a\n  - {b: 1}\n");
	const char **list = (const char **)0x1;

	(void)state;
	assert_int_equal(dm_yaml_get_strlist(doc, dm_yaml_root(doc), "tags", 1, &list, NULL), DM_ERR_CONFIG);
	assert_string_equal(dm_err_detail(), "inline.yaml:3:5: items of 'tags' must be strings, not a mapping");
	dm_yaml_free(doc);
}

static void test_yaml__missing_required_key_is_an_error(void **state)
{
	dm_yaml *doc = load_ok(FIXTURE("good-component.yaml"));
	const char *s = NULL;

	(void)state;
	assert_int_equal(dm_yaml_get_str(doc, dm_yaml_root(doc), "image", 1, &s), DM_ERR_CONFIG);
	assert_non_null(strstr(dm_err_detail(), "missing required key 'image'"));
	assert_int_equal(strncmp(dm_err_detail(), FIXTURE("good-component.yaml") ":",
				 strlen(FIXTURE("good-component.yaml") ":")),
			 0);
	assert_int_equal(dm_yaml_get_str(doc, dm_yaml_root(doc), "namespace", 1, &s), DM_ERR_CONFIG);
	assert_string_equal(dm_err_detail(), FIXTURE("good-component.yaml") ":10:1: key 'namespace' needs a value");
	dm_yaml_free(doc);
}

static void test_yaml__want_map_names_what_was_found(void **state)
{
	dm_yaml *doc = load_text("aliases: [a, b]\n");

	(void)state;
	assert_int_equal(dm_yaml_want_map(doc, dm_yaml_get(dm_yaml_root(doc), "aliases"), "'aliases'", 1),
			 DM_ERR_CONFIG);
	assert_string_equal(dm_err_detail(), "inline.yaml:1:10: 'aliases' must be a mapping, not a list");
	dm_yaml_free(doc);
}

static void test_yaml__fail_formats_position_of_a_node(void **state)
{
	dm_yaml *doc = load_text("a:\n  b: 3\n");
	const dm_ynode *b = dm_yaml_get(dm_yaml_get(dm_yaml_root(doc), "a"), "b");

	(void)state;
	assert_int_equal(dm_yaml_fail(doc, b, "value %d is odd", 3), DM_ERR_CONFIG);
	assert_string_equal(dm_err_detail(), "inline.yaml:2:6: value 3 is odd");
	dm_yaml_free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml__loads_values_with_their_positions),
		cmocka_unit_test(test_yaml__reads_typed_values),
		cmocka_unit_test(test_yaml__absent_optional_keys_leave_values_untouched),
		cmocka_unit_test(test_yaml__resolves_anchors_and_aliases),
		cmocka_unit_test(test_yaml__shares_aliased_nodes_instead_of_copying),
		cmocka_unit_test(test_yaml__takes_a_scalar_as_a_list_of_one),
		cmocka_unit_test(test_yaml__empty_document_has_a_null_root),
		cmocka_unit_test(test_yaml__accepts_nesting_64_levels_deep),
		cmocka_unit_test(test_yaml__syntax_error_names_file_line_and_column),
		cmocka_unit_test(test_yaml__bad_indentation_names_file_line_and_column),
		cmocka_unit_test(test_yaml__tab_indentation_names_file_line_and_column),
		cmocka_unit_test(test_yaml__rejects_duplicate_keys_with_both_lines),
		cmocka_unit_test(test_yaml__rejects_unknown_alias),
		cmocka_unit_test(test_yaml__rejects_more_than_one_document),
		cmocka_unit_test(test_yaml__rejects_nesting_deeper_than_64_levels),
		cmocka_unit_test(test_yaml__rejects_non_scalar_keys),
		cmocka_unit_test(test_yaml__rejects_more_than_a_million_nodes),
		cmocka_unit_test(test_yaml__missing_file_is_not_found_with_its_name),
		cmocka_unit_test(test_yaml__unknown_key_names_position_and_allowed_keys),
		cmocka_unit_test(test_yaml__wrong_number_names_key_and_position),
		cmocka_unit_test(test_yaml__number_out_of_range_names_the_range),
		cmocka_unit_test(test_yaml__mapping_where_string_expected_names_the_type),
		cmocka_unit_test(test_yaml__quoted_true_is_not_a_bool),
		cmocka_unit_test(test_yaml__list_with_a_mapping_item_names_the_item),
		cmocka_unit_test(test_yaml__missing_required_key_is_an_error),
		cmocka_unit_test(test_yaml__want_map_names_what_was_found),
		cmocka_unit_test(test_yaml__fail_formats_position_of_a_node),
	};

	return cmocka_run_group_tests_name("yaml", tests, NULL, NULL);
}
