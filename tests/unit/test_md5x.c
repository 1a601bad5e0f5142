/* tests/unit/test_md5x.c - dm_md5_many (libdm/md5x.c): RFC 1321's test suite,
 * and every digest against OpenSSL's for lengths around each block and
 * padding boundary, unaligned buffers and groups of 1 to 19 messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include <dm/util.h>

/* OpenSSL directly, not through dm_md5 (which dm_md5_many may fall back to). */
static void reference(unsigned char out[16], const void *data, size_t n)
{
	unsigned int len = 16;

	assert_int_equal(EVP_Digest(data, n, out, &len, EVP_md5(), NULL), 1);
}

static void test_md5x__rfc1321_suite(void **state)
{
	/* RFC 1321, appendix A.5 */
	static const char *msg[] = {
		"",
		"a",
		"abc",
		"message digest",
		"abcdefghijklmnopqrstuvwxyz",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
	};
	static const char *want[] = {
		"d41d8cd98f00b204e9800998ecf8427e", "0cc175b9c0f1b6a831c399e269772661",
		"900150983cd24fb0d6963f7d28e17f72", "f96b697d7cb7938d525a2f31aaf161d0",
		"c3fcd3d76192e4007dfb496cca67e13b", "d174ab98d277d9f5a5611c2c9f419d9f",
		"57edf4a22be3c955ac49da2e2107b67a",
	};
	const void *data[7];
	size_t len[7];
	unsigned char out[7][16];
	char h[33];

	(void)state;
	for (int i = 0; i < 7; i++) {
		data[i] = msg[i];
		len[i] = strlen(msg[i]);
	}
	dm_md5_many(out, data, len, 7);
	for (int i = 0; i < 7; i++) {
		dm_hex(h, out[i], 16);
		assert_string_equal(h, want[i]);
	}
}

static uint32_t rng = 12345;

static uint32_t next(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

/* Every length from 0 to 300 (all tail cases: 55, 56, 63, 64, 119, 120 ...)
 * in groups of every size, each buffer starting at an odd offset. */
static void test_md5x__matches_openssl_at_every_boundary(void **state)
{
	enum { MAXLEN = 300, MAXN = 19 };
	unsigned char *pool = malloc(MAXN * (MAXLEN + 8));
	const void *data[MAXN];
	size_t len[MAXN];
	unsigned char out[MAXN][16], want[16];

	(void)state;
	assert_non_null(pool);
	for (size_t i = 0; i < MAXN * (MAXLEN + 8); i++)
		pool[i] = (unsigned char)next();
	for (size_t n = 1; n <= MAXN; n++) {
		for (size_t base = 0; base <= MAXLEN; base++) {
			for (size_t j = 0; j < n; j++) {
				/* neighbours differ in length, so lanes finish at different blocks */
				len[j] = (base + j * 37) % (MAXLEN + 1);
				data[j] = pool + j * (MAXLEN + 8) + 1 + j % 7;
			}
			dm_md5_many(out, data, len, n);
			for (size_t j = 0; j < n; j++) {
				reference(want, data[j], len[j]);
				if (memcmp(out[j], want, 16) != 0)
					fail_msg("n=%zu lane %zu len %zu: digest differs from OpenSSL's", n, j, len[j]);
			}
		}
	}
	free(pool);
}

/* Part-sized messages as an upload's batches: eight of 1 MiB and a short last one
 * (the AVX2 lanes, then OpenSSL), and the usual batches of two, three and four
 * (interleaved in plain C), each with a short last one. */
static void test_md5x__matches_openssl_on_large_parts(void **state)
{
	enum { N = 9, PART = 1 << 20 };
	static const int groups[] = { 9, 2, 3, 4 };
	unsigned char *buf = malloc((size_t)N * PART);
	const void *data[N];
	size_t len[N];
	unsigned char out[N][16], want[16];

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < (size_t)N * PART; i++)
		buf[i] = (unsigned char)next();
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		int n = groups[g];

		for (int j = 0; j < n; j++) {
			data[j] = buf + (size_t)j * PART;
			len[j] = j == n - 1 ? 12345 : PART;
		}
		dm_md5_many(out, data, len, (size_t)n);
		for (int j = 0; j < n; j++) {
			reference(want, data[j], len[j]);
			if (memcmp(out[j], want, 16) != 0)
				fail_msg("group of %d, part %d: digest differs from OpenSSL's", n, j);
		}
	}
	free(buf);
}

/* The tests above compare the AVX2 lanes with OpenSSL only if the lanes run:
 * on an AVX2 machine they must (DM_MD5_EXPECT_LANES says what to expect; the
 * ctest variant with DM_MD5_SCALAR=1 expects 1). */
static void test_md5x__runs_the_lanes_the_cpu_has(void **state)
{
	const char *want = getenv("DM_MD5_EXPECT_LANES");
	int expect;

	(void)state;
	if (want && *want) {
		expect = atoi(want);
	} else {
		__builtin_cpu_init();
		expect = __builtin_cpu_supports("avx2") ? 8 : 1;
	}
	assert_int_equal(dm_md5_many_lanes(), expect);
}

/* dm_md5_many_read: the reader copies into one scratch buffer per message,
 * overwritten on every call, and checks that offsets only go up. */
typedef struct {
	const unsigned char *msg[11];
	unsigned char *scratch[11];
	uint64_t next_off[11];
	int fail_at; /* -1, or the call that returns NULL */
	int calls;
} reader_state;

static const void *read_msg(void *arg, size_t i, uint64_t off, size_t n)
{
	reader_state *rs = arg;

	assert_true(n <= DM_MD5_CHUNK);
	assert_true(off >= rs->next_off[i]);
	rs->next_off[i] = off + n;
	if (rs->calls++ == rs->fail_at)
		return NULL;
	memcpy(rs->scratch[i], rs->msg[i] + off, n);
	return rs->scratch[i];
}

static void test_md5x__read_matches_openssl_across_chunks(void **state)
{
	static const uint64_t lens[] = {
		0, 1, 63, 64, 65, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, (2 << 20) + 100, (3 << 20) + 63, 120
	};
	enum { N = 11 };
	unsigned char *buf = malloc((size_t)N * (4 << 20));
	reader_state rs;
	unsigned char out[N][16], want[16];

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < (size_t)N * (4 << 20); i++)
		buf[i] = (unsigned char)next();
	memset(&rs, 0, sizeof(rs));
	for (int j = 0; j < N; j++) {
		rs.msg[j] = buf + (size_t)j * (4 << 20);
		rs.scratch[j] = malloc(DM_MD5_CHUNK);
		assert_non_null(rs.scratch[j]);
	}
	for (size_t n = 1; n <= N; n++) {
		memset(rs.next_off, 0, sizeof(rs.next_off));
		rs.fail_at = -1;
		assert_int_equal(dm_md5_many_read(out, lens, n, read_msg, &rs), 0);
		for (size_t j = 0; j < n; j++) {
			reference(want, rs.msg[j], lens[j]);
			if (memcmp(out[j], want, 16) != 0)
				fail_msg("n=%zu message %zu (%llu bytes): digest differs from OpenSSL's", n, j,
					 (unsigned long long)lens[j]);
		}
	}
	/* a reader that gives up stops the run */
	memset(rs.next_off, 0, sizeof(rs.next_off));
	rs.calls = 0;
	rs.fail_at = 3;
	assert_int_equal(dm_md5_many_read(out, lens, N, read_msg, &rs), -1);
	for (int j = 0; j < N; j++)
		free(rs.scratch[j]);
	free(buf);
}

static void test_md5x__no_messages_is_a_no_op(void **state)
{
	unsigned char out[1][16] = { { 0xAA } };

	(void)state;
	dm_md5_many(out, NULL, NULL, 0);
	assert_int_equal(out[0][0], 0xAA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md5x__rfc1321_suite),
		cmocka_unit_test(test_md5x__matches_openssl_at_every_boundary),
		cmocka_unit_test(test_md5x__matches_openssl_on_large_parts),
		cmocka_unit_test(test_md5x__read_matches_openssl_across_chunks),
		cmocka_unit_test(test_md5x__runs_the_lanes_the_cpu_has),
		cmocka_unit_test(test_md5x__no_messages_is_a_no_op),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
