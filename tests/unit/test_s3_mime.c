/* tests/unit/test_s3_mime.c - libdm/s3/mime.c: an object's Content-Type from its file's
 * name, by a table in /etc/mime.types' format (the system's, else the built-in one). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <dm/s3.h>
#include "s3/mime.h"

static const char sample[] = "# comment line\n"
			     "\n"
			     "text/csv\t\t\t\t\tcsv\n"
			     "text/markdown  md markdown # trailing comment\n"
			     "not-a-type ext1\n"
			     "application/x-first dup\n"
			     "application/x-second dup other\n"
			     "text/plain txt";

static void test_s3_mime__reads_the_mime_types_format(void **state)
{
	dm_mime_table *t;

	(void)state;
	assert_int_equal(dm_mime_table_parse(&t, sample, strlen(sample)), DM_OK);
	assert_string_equal(dm_mime_table_lookup(t, "a.csv"), "text/csv");
	assert_string_equal(dm_mime_table_lookup(t, "notes.markdown"), "text/markdown");
	assert_string_equal(dm_mime_table_lookup(t, "README.md"), "text/markdown");
	/* the last line has no newline */
	assert_string_equal(dm_mime_table_lookup(t, "x.txt"), "text/plain");
	/* the first line that names an extension wins; the second's others still count */
	assert_string_equal(dm_mime_table_lookup(t, "x.dup"), "application/x-first");
	assert_string_equal(dm_mime_table_lookup(t, "x.other"), "application/x-second");
	/* a line whose first word is no type, and what follows a '#', are left out */
	assert_null(dm_mime_table_lookup(t, "x.ext1"));
	assert_null(dm_mime_table_lookup(t, "x.trailing"));
	dm_mime_table_free(t);
}

static void test_s3_mime__extension_of_the_last_segment_any_case(void **state)
{
	dm_mime_table *t;

	(void)state;
	assert_int_equal(dm_mime_table_parse(&t, sample, strlen(sample)), DM_OK);
	assert_string_equal(dm_mime_table_lookup(t, "2024/01/DATA.CSV"), "text/csv");
	assert_string_equal(dm_mime_table_lookup(t, "a.tar.csv"), "text/csv");
	assert_null(dm_mime_table_lookup(t, "logs.csv/readme")); /* the folder's dot is not the file's */
	assert_null(dm_mime_table_lookup(t, "sub/.csv"));        /* a dot file has no extension */
	assert_null(dm_mime_table_lookup(t, "noext"));
	assert_null(dm_mime_table_lookup(t, "trailing."));
	assert_null(dm_mime_table_lookup(t, "x.unknownext"));
	dm_mime_table_free(t);
}

static void test_s3_mime__builtin_table_has_the_lake_types(void **state)
{
	dm_mime_table *t;

	(void)state;
	assert_int_equal(dm_mime_table_parse(&t, dm_mime_builtin, strlen(dm_mime_builtin)), DM_OK);
	assert_string_equal(dm_mime_table_lookup(t, "a.csv"), "text/csv");
	assert_string_equal(dm_mime_table_lookup(t, "a.md"), "text/markdown");
	assert_string_equal(dm_mime_table_lookup(t, "a.json"), "application/json");
	assert_string_equal(dm_mime_table_lookup(t, "a.parquet"), "application/vnd.apache.parquet");
	dm_mime_table_free(t);
}

static void test_s3_mime__missing_file_is_notfound(void **state)
{
	dm_mime_table *t = (dm_mime_table *)&t;

	(void)state;
	assert_int_equal(dm_mime_table_load(&t, "/nonexistent/mime.types"), DM_ERR_NOTFOUND);
	assert_null(t);
}

static void test_s3_mime__content_type_from_the_system_table(void **state)
{
	(void)state;
	/* /etc/mime.types (media-types, a build dependency) */
	assert_string_equal(dm_s3_content_type("data/x.csv"), "text/csv");
	assert_string_equal(dm_s3_content_type("README.md"), "text/markdown");
	assert_string_equal(dm_s3_content_type("x.json"), "application/json");
	assert_string_equal(dm_s3_content_type("blob.zzqq"), DM_S3_DEFAULT_CONTENT_TYPE);
	assert_string_equal(dm_s3_content_type("noext"), "application/octet-stream");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s3_mime__reads_the_mime_types_format),
		cmocka_unit_test(test_s3_mime__extension_of_the_last_segment_any_case),
		cmocka_unit_test(test_s3_mime__builtin_table_has_the_lake_types),
		cmocka_unit_test(test_s3_mime__missing_file_is_notfound),
		cmocka_unit_test(test_s3_mime__content_type_from_the_system_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
