/* tests/unit/test_s3_rules.c - the pure rules of dm/s3.h: bucket names, the
 * multipart part size, the multipart ETag (checked against OpenSSL's MD5). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include <dm/s3.h>

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)

/* ---- bucket names ---- */

static void expect_rejected(const char *name, const char *why)
{
	dm_err e = dm_s3_bucket_name_check(name);

	if (e != DM_ERR_INVALID)
		fail_msg("bucket name '%s': expected DM_ERR_INVALID, got %d", name, (int)e);
	if (!strstr(dm_err_detail(), why))
		fail_msg("bucket name '%s': detail '%s' does not say '%s'", name, dm_err_detail(), why);
	/* the detail names the bucket a user must rename */
	if (!strstr(dm_err_detail(), name))
		fail_msg("bucket name '%s': detail '%s' does not name it", name, dm_err_detail());
}

static void test_s3_rules__accepts_valid_bucket_names(void **state)
{
	static const char *const ok[] = {
		"abc",
		"datalake",
		"examples",
		"my-bucket",
		"my.bucket.1",
		"0bucket9",
		"a1-b2.c3",
		"123",
		"1.2.3",
		"1.2.3.4.5",
		"xn-not-prefix",
		"my-s3alias-not-suffix",
		"a23456789012345678901234567890123456789012345678901234567890123", /* 63 */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (dm_s3_bucket_name_check(ok[i]) != DM_OK)
			fail_msg("bucket name '%s' rejected: %s", ok[i], dm_err_detail());
	}
}

static void test_s3_rules__rejects_too_short_and_too_long_bucket_names(void **state)
{
	(void)state;
	expect_rejected("ab", "3 to 63");
	expect_rejected("a234567890123456789012345678901234567890123456789012345678901234", "3 to 63"); /* 64 */
	assert_int_equal(dm_s3_bucket_name_check(""), DM_ERR_INVALID);
}

static void test_s3_rules__rejects_upper_case_underscores_and_other_characters(void **state)
{
	(void)state;
	expect_rejected("DataLake", "lower-case");
	expect_rejected("data_lake", "lower-case");
	expect_rejected("data lake", "lower-case");
	expect_rejected("data/lake", "lower-case");
	expect_rejected("caf\xc3\xa9", "lower-case");
}

static void test_s3_rules__rejects_bucket_names_not_starting_and_ending_alphanumeric(void **state)
{
	(void)state;
	expect_rejected("-bucket", "start and end");
	expect_rejected(".bucket", "start and end");
	expect_rejected("bucket-", "start and end");
	expect_rejected("bucket.", "start and end");
}

static void test_s3_rules__rejects_adjacent_dots_and_dot_dash(void **state)
{
	(void)state;
	expect_rejected("my..bucket", "'..'");
	expect_rejected("my.-bucket", "next to");
	expect_rejected("my-.bucket", "next to");
}

static void test_s3_rules__rejects_bucket_names_shaped_like_ip_addresses(void **state)
{
	(void)state;
	expect_rejected("192.168.5.4", "IP address");
	expect_rejected("127.0.0.1", "IP address");
}

static void test_s3_rules__rejects_reserved_prefixes_and_suffix(void **state)
{
	(void)state;
	expect_rejected("xn--bucket", "reserved prefix");
	expect_rejected("sthree-bucket", "reserved prefix");
	expect_rejected("bucket-s3alias", "-s3alias");
}

/* ---- part size ---- */

static void test_s3_rules__part_size_starts_at_8_mib(void **state)
{
	(void)state;
	assert_true(dm_s3_part_size(0) == 8 * MiB);
	assert_true(dm_s3_part_size(1) == 8 * MiB);
	assert_true(dm_s3_part_size(70 * MiB) == 8 * MiB);
	/* exactly 10,000 parts of 8 MiB still fit */
	assert_true(dm_s3_part_size(10000 * 8 * MiB) == 8 * MiB);
	assert_true(dm_s3_part_size(10000 * 8 * MiB + 1) == 16 * MiB);
}

static void test_s3_rules__part_size_keeps_every_object_within_10000_parts(void **state)
{
	static const uint64_t sizes[] = {
		5 * MiB, 16 * MiB + 1, 1 * GiB, 5 * GiB + 1, 78 * GiB, 100 * GiB, 1 * TiB, 3 * TiB + 12345, 5 * TiB,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t p = dm_s3_part_size(sizes[i]);
		uint64_t parts = (sizes[i] + p - 1) / p;

		if (parts > DM_S3_MAX_PARTS || p < DM_S3_MIN_PART || p > DM_S3_MAX_PART)
			fail_msg("size %llu: part %llu gives %llu parts", (unsigned long long)sizes[i],
				 (unsigned long long)p, (unsigned long long)parts);
		/* the smallest power-of-two multiple of 8 MiB that fits: half would not */
		if (p > 8 * MiB && (sizes[i] + p / 2 - 1) / (p / 2) <= DM_S3_MAX_PARTS)
			fail_msg("size %llu: part %llu is larger than needed", (unsigned long long)sizes[i],
				 (unsigned long long)p);
	}
}

/* Every doubling of the part size, each side of its boundary (10,000 parts of
 * the smaller part), written out by hand: 10,000 x 8 MiB = 80,000 MiB, and so
 * on up to 10,000 x 4 GiB, above which the part is capped at 5 GiB.  Asked in
 * both orders, so an answer cannot depend on what was asked before. */
static const struct {
	uint64_t size, part;
} part_table[] = {
	{ 0, 8 * MiB },
	{ 1, 8 * MiB },
	{ 5 * MiB, 8 * MiB },
	{ 16 * MiB + 1, 8 * MiB },
	{ 78 * GiB, 8 * MiB },
	{ 80000 * MiB, 8 * MiB },
	{ 80000 * MiB + 1, 16 * MiB },
	{ 100 * GiB, 16 * MiB },
	{ 160000 * MiB, 16 * MiB },
	{ 160000 * MiB + 1, 32 * MiB },
	{ 320000 * MiB, 32 * MiB },
	{ 320000 * MiB + 1, 64 * MiB },
	{ 640000 * MiB, 64 * MiB },
	{ 640000 * MiB + 1, 128 * MiB },
	{ 1 * TiB, 128 * MiB },
	{ 1280000 * MiB, 128 * MiB },
	{ 1280000 * MiB + 1, 256 * MiB },
	{ 2560000 * MiB, 256 * MiB },
	{ 2560000 * MiB + 1, 512 * MiB },
	{ 3 * TiB + 12345, 512 * MiB },
	{ 5120000 * MiB, 512 * MiB },
	{ 5120000 * MiB + 1, 1 * GiB },
	{ 5 * TiB, 1 * GiB },
	{ 10240000 * MiB, 1 * GiB },
	{ 10240000 * MiB + 1, 2 * GiB },
	{ 20480000 * MiB, 2 * GiB },
	{ 20480000 * MiB + 1, 4 * GiB },
	{ 40960000 * MiB, 4 * GiB },
	{ 40960000 * MiB + 1, 5 * GiB },
	{ 100 * TiB, 5 * GiB },
	{ UINT64_MAX / 2, 5 * GiB },
};

static void expect_part_size(size_t i)
{
	uint64_t got = dm_s3_part_size(part_table[i].size);

	if (got != part_table[i].part)
		fail_msg("size %llu: part %llu, expected %llu", (unsigned long long)part_table[i].size,
			 (unsigned long long)got, (unsigned long long)part_table[i].part);
}

static void test_s3_rules__part_size_is_a_pure_function_of_the_size(void **state)
{
	size_t n = sizeof(part_table) / sizeof(part_table[0]);

	(void)state;
	for (size_t i = 0; i < n; i++)
		expect_part_size(i);
	for (size_t i = n; i-- > 0;)
		expect_part_size(i);
}

static void test_s3_rules__part_size_is_capped_at_5_gib(void **state)
{
	(void)state;
	assert_true(dm_s3_part_size(UINT64_MAX / 2) == DM_S3_MAX_PART);
	assert_true(dm_s3_part_size(100 * TiB) == 5 * GiB);
}

/* ---- part count: the one home of the arithmetic ---- */

static void test_s3_rules__part_count_has_no_empty_last_part(void **state)
{
	static const struct {
		uint64_t size, part, want;
	} cases[] = {
		{ 10 * MiB, 5 * MiB, 2 }, /* exact multiples: no extra empty part */
		{ 15 * MiB, 5 * MiB, 3 },
		{ 5 * MiB, 5 * MiB, 1 },
		{ 80 * GiB, 8 * MiB, 10240 },
		{ 5 * GiB, 5 * GiB, 1 },
		{ 10 * MiB + 1, 5 * MiB, 3 }, /* one byte over: a last part of 1 byte */
		{ 10 * MiB - 1, 5 * MiB, 2 },
		{ 1, 5 * MiB, 1 },
		{ 0, 5 * MiB, 0 },
		{ 7, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (dm_s3_part_count(cases[i].size, cases[i].part) != cases[i].want)
			fail_msg("size %llu in parts of %llu: %llu parts, want %llu", (unsigned long long)cases[i].size,
				 (unsigned long long)cases[i].part,
				 (unsigned long long)dm_s3_part_count(cases[i].size, cases[i].part),
				 (unsigned long long)cases[i].want);
}

/* ---- multipart ETag ---- */

static void md5_of(unsigned char out[16], const void *data, size_t n)
{
	unsigned int len = 0;

	assert_int_equal(EVP_Digest(data, n, out, &len, EVP_md5(), NULL), 1);
	assert_int_equal(len, 16);
}

static void hex_of(char *out, const unsigned char *in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", in[i]);
}

static void test_s3_rules__multipart_etag_is_md5_of_part_md5s_with_count(void **state)
{
	static const char *const parts[] = { "first part", "second part", "" };
	unsigned char md5s[3][16], all[48], top[16];
	char want[48], got[48];

	(void)state;
	for (int i = 0; i < 3; i++) {
		md5_of(md5s[i], parts[i], strlen(parts[i]));
		memcpy(all + 16 * i, md5s[i], 16);
	}
	md5_of(top, all, sizeof(all));
	hex_of(want, top, 16);
	strcat(want, "-3");
	memset(got, 'x', sizeof(got));
	dm_s3_multipart_etag(got, (const unsigned char(*)[16])md5s, 3);
	assert_string_equal(got, want);
	assert_int_equal(strlen(got), 34);
}

static void test_s3_rules__multipart_etag_of_one_part_differs_from_plain_md5(void **state)
{
	/* a one-part upload's ETag is md5(md5(data))-1, not md5(data) */
	static const char data[] = "hello";
	unsigned char md5[1][16], top[16];
	char plain[33], want[48], got[48];

	(void)state;
	md5_of(md5[0], data, strlen(data));
	hex_of(plain, md5[0], 16);
	md5_of(top, md5[0], 16);
	hex_of(want, top, 16);
	strcat(want, "-1");
	dm_s3_multipart_etag(got, (const unsigned char(*)[16])md5, 1);
	assert_string_equal(got, want);
	assert_string_not_equal(got, plain);
}

static void test_s3_rules__multipart_etag_fits_10000_parts(void **state)
{
	unsigned char(*md5s)[16] = calloc(DM_S3_MAX_PARTS, 16);
	unsigned char top[16];
	char want[48], got[48];

	(void)state;
	assert_non_null(md5s);
	for (int i = 0; i < DM_S3_MAX_PARTS; i++) {
		char part[16];
		int n = snprintf(part, sizeof(part), "part %d", i);

		md5_of(md5s[i], part, (size_t)n);
	}
	md5_of(top, md5s, (size_t)DM_S3_MAX_PARTS * 16);
	hex_of(want, top, 16);
	strcat(want, "-10000");
	dm_s3_multipart_etag(got, (const unsigned char(*)[16])md5s, DM_S3_MAX_PARTS);
	assert_string_equal(got, want);
	free(md5s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s3_rules__accepts_valid_bucket_names),
		cmocka_unit_test(test_s3_rules__rejects_too_short_and_too_long_bucket_names),
		cmocka_unit_test(test_s3_rules__rejects_upper_case_underscores_and_other_characters),
		cmocka_unit_test(test_s3_rules__rejects_bucket_names_not_starting_and_ending_alphanumeric),
		cmocka_unit_test(test_s3_rules__rejects_adjacent_dots_and_dot_dash),
		cmocka_unit_test(test_s3_rules__rejects_bucket_names_shaped_like_ip_addresses),
		cmocka_unit_test(test_s3_rules__rejects_reserved_prefixes_and_suffix),
		cmocka_unit_test(test_s3_rules__part_size_starts_at_8_mib),
		cmocka_unit_test(test_s3_rules__part_size_keeps_every_object_within_10000_parts),
		cmocka_unit_test(test_s3_rules__part_size_is_a_pure_function_of_the_size),
		cmocka_unit_test(test_s3_rules__part_size_is_capped_at_5_gib),
		cmocka_unit_test(test_s3_rules__part_count_has_no_empty_last_part),
		cmocka_unit_test(test_s3_rules__multipart_etag_is_md5_of_part_md5s_with_count),
		cmocka_unit_test(test_s3_rules__multipart_etag_of_one_part_differs_from_plain_md5),
		cmocka_unit_test(test_s3_rules__multipart_etag_fits_10000_parts),
	};

	return cmocka_run_group_tests_name("s3_rules", tests, NULL, NULL);
}
