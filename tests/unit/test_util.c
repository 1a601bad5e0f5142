/* tests/unit/test_util.c - dm/util.h (sizes, durations, base64, UTF-8, atomic
 * files) and the redacting logger of dm/log.h and dm/err.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include <dm/err.h>
#include <dm/json.h>
#include <dm/log.h>
#include <dm/util.h>
#include "testutil.h"

/* ---- sizes and durations ---- */

static void expect_size(const char *text, uint64_t want)
{
	uint64_t got = 12345;

	if (dm_parse_size(text, &got) != DM_OK)
		fail_msg("size '%s' rejected: %s", text, dm_err_detail());
	if (got != want)
		fail_msg("size '%s': expected %llu, got %llu", text, (unsigned long long)want, (unsigned long long)got);
}

static void expect_bad_size(const char *text)
{
	uint64_t got = 777;

	if (dm_parse_size(text, &got) != DM_ERR_USAGE)
		fail_msg("size '%s' accepted as %llu", text, (unsigned long long)got);
	assert_int_equal(got, 777);
	if (*text && !strstr(dm_err_detail(), text))
		fail_msg("size '%s': detail '%s' does not name it", text, dm_err_detail());
}

static void test_util__parses_binary_and_decimal_sizes(void **state)
{
	(void)state;
	expect_size("0", 0);
	expect_size("512", 512);
	expect_size("4k", 4096);
	expect_size("4K", 4096);
	expect_size("4KiB", 4096);
	expect_size("8M", 8ULL << 20);
	expect_size("8MiB", 8ULL << 20);
	expect_size("1.5G", 3ULL << 29);
	expect_size("2T", 2ULL << 40);
	expect_size("1kB", 1000);
	expect_size("2MB", 2000000);
	expect_size("3GB", 3000000000ULL);
	expect_size("10b", 10);
}

static void test_util__rejects_bad_sizes(void **state)
{
	(void)state;
	expect_bad_size("");
	expect_bad_size("abc");
	expect_bad_size("-1");
	expect_bad_size("5x");
	expect_bad_size("5KiBx");
	expect_bad_size("8 MiB");
	expect_bad_size("10bytes");
	expect_bad_size("1e30");
}

static void test_util__rejects_nan_and_infinite_sizes(void **state)
{
	/* strtod reads "nan" and "inf": neither is a size */
	(void)state;
	expect_bad_size("nan");
	expect_bad_size("NaN");
	expect_bad_size("nanM");
	expect_bad_size("inf");
}

static void expect_ms(const char *text, uint64_t want)
{
	uint64_t got = 12345;

	if (dm_parse_duration_ms(text, &got) != DM_OK)
		fail_msg("duration '%s' rejected: %s", text, dm_err_detail());
	if (got != want)
		fail_msg("duration '%s': expected %llu ms, got %llu", text, (unsigned long long)want,
			 (unsigned long long)got);
}

static void expect_bad_duration(const char *text)
{
	uint64_t got = 777;

	if (dm_parse_duration_ms(text, &got) != DM_ERR_USAGE)
		fail_msg("duration '%s' accepted as %llu ms", text, (unsigned long long)got);
	assert_int_equal(got, 777);
}

static void test_util__parses_durations_to_milliseconds(void **state)
{
	(void)state;
	expect_ms("30", 30000);
	expect_ms("30s", 30000);
	expect_ms("500ms", 500);
	expect_ms("5m", 300000);
	expect_ms("1h", 3600000);
	expect_ms("1m30s", 90000);
	expect_ms("1h2m3s4ms", 3723004);
	expect_ms("0.5s", 500);
}

static void test_util__rejects_bad_durations(void **state)
{
	(void)state;
	expect_bad_duration("");
	expect_bad_duration("s");
	expect_bad_duration("5x");
	expect_bad_duration("-1s");
	expect_bad_duration("1m30");
	expect_bad_duration("10 s");
}

static void test_util__rejects_nan_and_infinite_durations(void **state)
{
	(void)state;
	expect_bad_duration("nan");
	expect_bad_duration("nans");
	expect_bad_duration("inf");
	expect_bad_duration("infms");
}

/* ---- hex and base64 ---- */

static void test_util__hex_is_lower_case(void **state)
{
	static const unsigned char in[] = { 0x00, 0x0f, 0xab, 0xff };
	char out[9];

	(void)state;
	dm_hex(out, in, sizeof(in));
	assert_string_equal(out, "000fabff");
}

static void test_util__base64_encodes_rfc4648_vectors(void **state)
{
	static const char *const pairs[][2] = {
		{ "", "" },
		{ "f", "Zg==" },
		{ "fo", "Zm8=" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		char out[16];
		unsigned char *dec = NULL;
		size_t n = strlen(pairs[i][0]), declen = 99;

		assert_int_equal(dm_base64_encode(out, (const unsigned char *)pairs[i][0], n), strlen(pairs[i][1]));
		assert_string_equal(out, pairs[i][1]);
		assert_int_equal(dm_base64_decode(&dec, &declen, pairs[i][1], strlen(pairs[i][1])), DM_OK);
		assert_int_equal(declen, n);
		assert_memory_equal(dec, pairs[i][0], n);
		assert_int_equal(dec[declen], '\0');
		free(dec);
	}
}

static void test_util__base64_round_trips_every_length_and_byte(void **state)
{
	unsigned char in[300];

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 131 + 7);
	for (size_t n = 0; n <= sizeof(in); n++) {
		char enc[4 * ((sizeof(in) + 2) / 3) + 1];
		unsigned char *dec = NULL;
		size_t declen = 0, enclen = dm_base64_encode(enc, in, n);

		assert_int_equal(enclen, 4 * ((n + 2) / 3));
		assert_int_equal(strlen(enc), enclen);
		assert_int_equal(dm_base64_decode(&dec, &declen, enc, enclen), DM_OK);
		assert_int_equal(declen, n);
		assert_memory_equal(dec, in, n);
		free(dec);
	}
}

static void test_util__base64_decodes_without_padding(void **state)
{
	unsigned char *dec = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(dm_base64_decode(&dec, &n, "Zm9vYg", 6), DM_OK);
	assert_int_equal(n, 4);
	assert_memory_equal(dec, "foob", 4);
	free(dec);
}

static void test_util__base64_rejects_bad_input(void **state)
{
	unsigned char *dec = (unsigned char *)"untouched";
	size_t n = 0;

	(void)state;
	assert_int_equal(dm_base64_decode(&dec, &n, "Zm9v!mFy", 8), DM_ERR_PARSE);
	assert_null(dec);
	assert_int_equal(dm_base64_decode(&dec, &n, "Zm 9v", 5), DM_ERR_PARSE);
	assert_int_equal(dm_base64_decode(&dec, &n, "Z", 1), DM_ERR_PARSE);
	assert_int_equal(dm_base64_decode(&dec, &n, "Zm9vY", 5), DM_ERR_PARSE);
}

static void test_util__content_md5_of_empty_body_matches_s3(void **state)
{
	/* the Content-MD5 S3 clients send for an empty body */
	unsigned char md5[16], ref[16];
	unsigned int len = 0;
	char b64[25];

	(void)state;
	dm_md5(md5, "", 0);
	assert_int_equal(EVP_Digest("", 0, ref, &len, EVP_md5(), NULL), 1);
	assert_memory_equal(md5, ref, 16);
	dm_base64_encode(b64, md5, 16);
	assert_string_equal(b64, "1B2M2Y8AsgTpgAmY7PhCfg==");
}

/* ---- UTF-8 ---- */

static void expect_utf8(const char *s, size_t n, int want, const char *what)
{
	if (dm_utf8_valid(s, n) != want)
		fail_msg("%s: expected %s", what, want ? "valid" : "invalid");
}

#define VALID(s) expect_utf8(s, sizeof(s) - 1, 1, #s)
#define INVALID(s) expect_utf8(s, sizeof(s) - 1, 0, #s)

static void test_util__utf8_accepts_valid_text(void **state)
{
	(void)state;
	VALID("");
	VALID("plain ascii.txt");
	VALID("caf\xc3\xa9");
	VALID("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	VALID("emoji-\xf0\x9f\x98\x80");
	VALID("\xc2\x80");         /* U+0080, smallest two-byte */
	VALID("\xe0\xa0\x80");     /* U+0800, smallest three-byte */
	VALID("\xed\x9f\xbf");     /* U+D7FF, just below the surrogates */
	VALID("\xee\x80\x80");     /* U+E000, just above */
	VALID("\xef\xbf\xbf");     /* U+FFFF */
	VALID("\xf0\x90\x80\x80"); /* U+10000, smallest four-byte */
	VALID("\xf4\x8f\xbf\xbf"); /* U+10FFFF, the last code point */
	VALID("a\0b");             /* length-counted, NUL is a character */
}

static void test_util__utf8_rejects_overlong_forms(void **state)
{
	(void)state;
	INVALID("\xc0\xaf"); /* '/' in two bytes */
	INVALID("\xc1\xbf");
	INVALID("\xe0\x80\xaf");     /* '/' in three bytes */
	INVALID("\xe0\x9f\xbf");     /* U+07FF in three bytes */
	INVALID("\xf0\x80\x80\xaf"); /* '/' in four bytes */
	INVALID("\xf0\x8f\xbf\xbf"); /* U+FFFF in four bytes */
}

static void test_util__utf8_rejects_surrogates(void **state)
{
	(void)state;
	INVALID("\xed\xa0\x80");             /* U+D800 */
	INVALID("\xed\xbf\xbf");             /* U+DFFF */
	INVALID("\xed\xa0\xbd\xed\xb8\x80"); /* CESU-8 pair for U+1F600 */
}

static void test_util__utf8_rejects_broken_sequences(void **state)
{
	(void)state;
	INVALID("\x80"); /* lone continuation */
	INVALID("a\xbf");
	INVALID("\xe6\x97"); /* cut short */
	INVALID("\xf0\x9f\x98");
	INVALID("\xc3("); /* bad continuation */
	INVALID("\xff");
	INVALID("\xfe");
	INVALID("\xf8\x88\x80\x80\x80"); /* five-byte form */
	INVALID("\xf4\x90\x80\x80");     /* U+110000, past the last code point */
	INVALID("\xf5\x80\x80\x80");
	/* the length given is what counts: a valid character cut by n is invalid */
	expect_utf8("caf\xc3\xa9", 4, 0, "cut by n");
}

/* ---- paths ---- */

static void expect_path(const char *base, const char *rel, const char *want)
{
	char *got = dm_path_resolve(base, rel);

	if (!got)
		fail_msg("resolve('%s', '%s'): NULL, expected '%s'", base ? base : "(null)", rel, want);
	if (strcmp(got, want) != 0)
		fail_msg("resolve('%s', '%s'): expected '%s', got '%s'", base ? base : "(null)", rel, want, got);
	free(got);
}

/* the short names of the --json envelope's error.code: stable, never NULL */
static void test_util__err_names_are_stable(void **state)
{
	(void)state;
	assert_string_equal(dm_err_name(DM_OK), "ok");
	assert_string_equal(dm_err_name(DM_ERR_USAGE), "usage");
	assert_string_equal(dm_err_name(DM_ERR_CONFIG), "config");
	assert_string_equal(dm_err_name(DM_ERR_AUTH), "auth");
	assert_string_equal(dm_err_name(DM_ERR_NOTFOUND), "notfound");
	assert_string_equal(dm_err_name(DM_ERR_INVALID), "invalid");
	assert_string_equal(dm_err_name((dm_err)999), "unknown");
	assert_string_equal(dm_err_name((dm_err)-1), "unknown");
}

/* What dm_json_print_raw writes to stdout: the document with the raw value as its last key. */
static char *printed_raw(json_t *doc, const char *raw)
{
	char path[] = "/tmp/dm-test-json-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDOUT_FILENO);
	static char got[512];
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stdout);
	dup2(fd, STDOUT_FILENO);
	assert_int_equal(dm_json_print_raw(doc, "data", raw, strlen(raw)), 0);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	n = pread(fd, got, sizeof(got) - 1, 0);
	close(fd);
	unlink(path);
	got[n > 0 ? n : 0] = '\0';
	return got;
}

static void test_util__json_print_raw_puts_the_key_last(void **state)
{
	(void)state;
	assert_string_equal(printed_raw(json_pack("{s:s, s:i}", "a", "x", "b", 1), "{\"k\": \"v\"}"),
			    "{\n  \"a\": \"x\",\n  \"b\": 1,\n  \"data\": {\"k\": \"v\"}\n}\n");
	assert_string_equal(printed_raw(json_object(), "[]"), "{\n  \"data\": []\n}\n");
}

static void test_path__absolute_rel_ignores_the_base(void **state)
{
	(void)state;
	expect_path("/a/b", "/x/y", "/x/y");
	expect_path("/a/b", "/x/../y/./z", "/y/z");
	expect_path("rel", "/x", "/x");
	expect_path("/a", "/", "/");
}

static void test_path__relative_rel_joins_the_base_and_folds_dots(void **state)
{
	(void)state;
	expect_path("/a/b", "c", "/a/b/c");
	expect_path("/a/b", "./c/./d", "/a/b/c/d");
	expect_path("/a/b", "../c", "/a/c");
	expect_path("/a/b", "../../../../c", "/c");
	expect_path("/", "..", "/");
	expect_path("/a", "", "/a");
	expect_path("/a/./b/..", "c", "/a/c");
}

static void test_path__relative_base_stays_relative(void **state)
{
	(void)state;
	expect_path("a/b", "c", "a/b/c");
	expect_path("a", "..", ".");
	expect_path("a", "../../b", "../b");
	expect_path("..", "../x/..", "../..");
	expect_path(".", "x", "x");
}

static void test_path__empty_or_null_base_is_rel_alone(void **state)
{
	(void)state;
	expect_path("", "a/./b", "a/b");
	expect_path(NULL, "a/b/..", "a");
	expect_path(NULL, "/a//b/", "/a/b");
	expect_path("", "", ".");
}

static void test_path__repeated_and_trailing_slashes_go(void **state)
{
	(void)state;
	expect_path("/a/b/", "c", "/a/b/c");
	expect_path("/a//b//", "c//d/", "/a/b/c/d");
	expect_path("//", "x/", "/x");
	expect_path("a/", "b/", "a/b");
}

static void test_path__null_rel_is_null(void **state)
{
	(void)state;
	assert_null(dm_path_resolve("/a", NULL));
	assert_null(dm_path_resolve(NULL, NULL));
}

/* ---- files ---- */

static char tmpdir[256];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/dm-test-util-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int drop_tmpdir(void **state)
{
	(void)state;
	return dm_test_remove_tree(tmpdir);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void test_util__atomic_write_creates_file_with_mode_0600(void **state)
{
	char path[512], *back = NULL;
	size_t n = 0;
	struct stat st;
	mode_t old = umask(0);

	(void)state;
	snprintf(path, sizeof(path), "%s/secret.yaml", tmpdir);
	assert_int_equal(dm_write_file_atomic(path, "key: value\n", 11, 0600), DM_OK);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(dm_read_file(&back, &n, path), DM_OK);
	assert_int_equal(n, 11);
	assert_string_equal(back, "key: value\n");
	free(back);
	assert_int_equal(count_entries(tmpdir), 1); /* no temporary file left */
}

static void test_util__atomic_write_replaces_file_and_its_mode(void **state)
{
	char path[512], *back = NULL;
	struct stat st;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/aliases.yaml", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("old content that is longer than the new one\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(dm_write_file_atomic(path, "new\n", 4, 0600), DM_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(dm_read_file(&back, NULL, path), DM_OK);
	assert_string_equal(back, "new\n");
	free(back);
	assert_int_equal(count_entries(tmpdir), 1);
}

static void test_util__atomic_write_creates_missing_folders_private(void **state)
{
	char path[1024], dir[512];
	struct stat st;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/config/dm", tmpdir);
	snprintf(path, sizeof(path), "%s/aliases.yaml", dir);
	assert_int_equal(dm_write_file_atomic(path, "", 0, 0600), DM_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 077, 0);
}

static void test_util__atomic_write_into_unwritable_place_fails_with_path(void **state)
{
	char path[512];

	(void)state;
	/* a regular file where a folder should be: fails even for root */
	snprintf(path, sizeof(path), "%s/plain", tmpdir);
	assert_int_equal(dm_write_file_atomic(path, "x", 1, 0600), DM_OK);
	snprintf(path, sizeof(path), "%s/plain/below.yaml", tmpdir);
	assert_int_equal(dm_write_file_atomic(path, "x", 1, 0600), DM_ERR_IO);
	assert_non_null(strstr(dm_err_detail(), tmpdir));
}

static void test_util__atomic_write_does_not_follow_a_planted_temp_symlink(void **state)
{
	/* the temporary name is predictable (path.tmp.PID): a symlink planted there
	 * must not redirect the secret into another file */
	char path[512], tmp[600], victim[512], *back = NULL;
	FILE *f;
	dm_err e;
	int same;

	(void)state;
	snprintf(path, sizeof(path), "%s/aliases.yaml", tmpdir);
	snprintf(victim, sizeof(victim), "%s/victim.txt", tmpdir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	f = fopen(victim, "w");
	assert_non_null(f);
	fputs("untouched\n", f);
	fclose(f);
	assert_int_equal(symlink(victim, tmp), 0);
	e = dm_write_file_atomic(path, "secret_key: s3cr3t\n", 19, 0600);
	assert_int_equal(dm_read_file(&back, NULL, victim), DM_OK);
	same = strcmp(back, "untouched\n") == 0;
	free(back);
	if (!same)
		fail_msg("the secret was written through the symlink into '%s'", victim);
	if (e == DM_OK) {
		assert_int_equal(dm_read_file(&back, NULL, path), DM_OK);
		assert_string_equal(back, "secret_key: s3cr3t\n");
		free(back);
	}
}

static void test_util__read_file_of_missing_path_is_not_found(void **state)
{
	char path[512], *back = (char *)"untouched";

	(void)state;
	snprintf(path, sizeof(path), "%s/missing.txt", tmpdir);
	assert_int_equal(dm_read_file(&back, NULL, path), DM_ERR_NOTFOUND);
	assert_null(back);
	assert_non_null(strstr(dm_err_detail(), "missing.txt"));
}

/* ---- the redacting logger ---- */

typedef struct {
	char last[4096];
	int calls;
	dm_log_level level;
} sink_state;

static void capture(dm_log_level level, const char *msg, void *userdata)
{
	sink_state *s = userdata;

	snprintf(s->last, sizeof(s->last), "%s", msg);
	s->level = level;
	s->calls++;
}

static int log_setup(void **state)
{
	sink_state *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	dm_log_set(capture, s);
	dm_log_set_level(DM_LOG_DEBUG);
	*state = s;
	return 0;
}

static int log_teardown(void **state)
{
	dm_log_set(NULL, NULL);
	dm_log_set_level(DM_LOG_INFO);
	dm_log_forget_secrets();
	dm_err_clear();
	free(*state);
	return 0;
}

static void test_log__redacts_registered_secrets_in_messages(void **state)
{
	sink_state *s = *state;

	dm_log_add_secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	dm_log(DM_LOG_INFO, "signing with secret %s for alias '%s'", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	       "minio");
	assert_int_equal(s->calls, 1);
	assert_string_equal(s->last, "signing with secret **** for alias 'minio'");
	assert_int_equal(s->level, DM_LOG_INFO);
}

static void test_log__redacts_every_occurrence_and_every_secret(void **state)
{
	sink_state *s = *state;

	dm_log_add_secret("first-secret");
	dm_log_add_secret("token-XYZ");
	dm_warn("a=first-secret b=token-XYZ c=first-secretfirst-secret");
	assert_string_equal(s->last, "a=**** b=**** c=********");
}

static void test_log__redacts_the_longest_overlapping_secret(void **state)
{
	sink_state *s = *state;

	dm_log_add_secret("abcd");
	dm_log_add_secret("abcdefgh");
	dm_info("x abcdefgh y abcd z");
	assert_string_equal(s->last, "x **** y **** z");
}

static void test_log__ignores_secrets_shorter_than_four_bytes(void **state)
{
	sink_state *s = *state;

	dm_log_add_secret("abc");
	dm_info("abc stays");
	assert_string_equal(s->last, "abc stays");
}

static void test_log__forgotten_secrets_are_no_longer_redacted(void **state)
{
	sink_state *s = *state;

	dm_log_add_secret("s3cr3t-value");
	dm_log_forget_secrets();
	dm_info("s3cr3t-value");
	assert_string_equal(s->last, "s3cr3t-value");
}

static void test_log__drops_messages_above_the_level(void **state)
{
	sink_state *s = *state;

	dm_log_set_level(DM_LOG_WARN);
	assert_int_equal(dm_log_get_level(), DM_LOG_WARN);
	dm_debug("not shown");
	dm_info("not shown either");
	assert_int_equal(s->calls, 0);
	dm_error("shown");
	assert_int_equal(s->calls, 1);
	assert_int_equal(s->level, DM_LOG_ERROR);
	assert_string_equal(s->last, "shown");
}

static void test_log__redacts_secrets_in_error_details(void **state)
{
	(void)state;
	dm_log_add_secret("AKIA-SECRET-KEY-42");
	assert_int_equal(dm_fail(DM_ERR_AUTH, "authentication failed for alias 'x' (key %s)", "AKIA-SECRET-KEY-42"),
			 DM_ERR_AUTH);
	assert_string_equal(dm_err_detail(), "authentication failed for alias 'x' (key ****)");
}

static void test_log__redact_is_usable_by_tools(void **state)
{
	char out[64];

	(void)state;
	dm_log_add_secret("p4ssw0rd");
	assert_ptr_equal(dm_redact(out, sizeof(out), "url http://ak:p4ssw0rd@host"), out);
	assert_string_equal(out, "url http://ak:****@host");
	/* truncated to the buffer, still terminated */
	dm_redact(out, 8, "0123456789");
	assert_string_equal(out, "0123456");
}

static void test_err__strerror_is_never_null(void **state)
{
	(void)state;
	for (int e = 0; e <= DM_ERR_INVALID; e++) {
		const char *s = dm_strerror((dm_err)e);

		assert_non_null(s);
		assert_true(strlen(s) > 0);
	}
	assert_string_equal(dm_strerror(DM_OK), "ok");
}

static void test_err__detail_is_kept_until_cleared(void **state)
{
	(void)state;
	assert_int_equal(dm_fail(DM_ERR_IO, "cannot read '%s': %s", "data/x.csv", "Permission denied"), DM_ERR_IO);
	assert_string_equal(dm_err_detail(), "cannot read 'data/x.csv': Permission denied");
	dm_err_clear();
	assert_string_equal(dm_err_detail(), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_util__parses_binary_and_decimal_sizes),
		cmocka_unit_test(test_util__rejects_bad_sizes),
		cmocka_unit_test(test_util__rejects_nan_and_infinite_sizes),
		cmocka_unit_test(test_util__parses_durations_to_milliseconds),
		cmocka_unit_test(test_util__rejects_bad_durations),
		cmocka_unit_test(test_util__rejects_nan_and_infinite_durations),
		cmocka_unit_test(test_util__hex_is_lower_case),
		cmocka_unit_test(test_util__base64_encodes_rfc4648_vectors),
		cmocka_unit_test(test_util__base64_round_trips_every_length_and_byte),
		cmocka_unit_test(test_util__base64_decodes_without_padding),
		cmocka_unit_test(test_util__base64_rejects_bad_input),
		cmocka_unit_test(test_util__content_md5_of_empty_body_matches_s3),
		cmocka_unit_test(test_util__utf8_accepts_valid_text),
		cmocka_unit_test(test_util__utf8_rejects_overlong_forms),
		cmocka_unit_test(test_util__utf8_rejects_surrogates),
		cmocka_unit_test(test_util__utf8_rejects_broken_sequences),
		cmocka_unit_test(test_util__err_names_are_stable),
		cmocka_unit_test(test_util__json_print_raw_puts_the_key_last),
		cmocka_unit_test(test_path__absolute_rel_ignores_the_base),
		cmocka_unit_test(test_path__relative_rel_joins_the_base_and_folds_dots),
		cmocka_unit_test(test_path__relative_base_stays_relative),
		cmocka_unit_test(test_path__empty_or_null_base_is_rel_alone),
		cmocka_unit_test(test_path__repeated_and_trailing_slashes_go),
		cmocka_unit_test(test_path__null_rel_is_null),
		cmocka_unit_test_setup_teardown(test_util__atomic_write_creates_file_with_mode_0600, make_tmpdir,
						drop_tmpdir),
		cmocka_unit_test_setup_teardown(test_util__atomic_write_replaces_file_and_its_mode, make_tmpdir,
						drop_tmpdir),
		cmocka_unit_test_setup_teardown(test_util__atomic_write_creates_missing_folders_private, make_tmpdir,
						drop_tmpdir),
		cmocka_unit_test_setup_teardown(test_util__atomic_write_into_unwritable_place_fails_with_path,
						make_tmpdir, drop_tmpdir),
		cmocka_unit_test_setup_teardown(test_util__atomic_write_does_not_follow_a_planted_temp_symlink,
						make_tmpdir, drop_tmpdir),
		cmocka_unit_test_setup_teardown(test_util__read_file_of_missing_path_is_not_found, make_tmpdir,
						drop_tmpdir),
		cmocka_unit_test_setup_teardown(test_log__redacts_registered_secrets_in_messages, log_setup,
						log_teardown),
		cmocka_unit_test_setup_teardown(test_log__redacts_every_occurrence_and_every_secret, log_setup,
						log_teardown),
		cmocka_unit_test_setup_teardown(test_log__redacts_the_longest_overlapping_secret, log_setup,
						log_teardown),
		cmocka_unit_test_setup_teardown(test_log__ignores_secrets_shorter_than_four_bytes, log_setup,
						log_teardown),
		cmocka_unit_test_setup_teardown(test_log__forgotten_secrets_are_no_longer_redacted, log_setup,
						log_teardown),
		cmocka_unit_test_setup_teardown(test_log__drops_messages_above_the_level, log_setup, log_teardown),
		cmocka_unit_test_setup_teardown(test_log__redacts_secrets_in_error_details, log_setup, log_teardown),
		cmocka_unit_test_setup_teardown(test_log__redact_is_usable_by_tools, log_setup, log_teardown),
		cmocka_unit_test(test_err__strerror_is_never_null),
		cmocka_unit_test(test_err__detail_is_kept_until_cleared),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
