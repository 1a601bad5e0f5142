/* libdm/md5x.c - MD5 of several buffers at once (dm_md5_many in dm/util.h).
 *
 * MD5 is serial within one message: OpenSSL's assembly does about 0.75 GB/s
 * on one core, and that is the ceiling for one part.  The parts of a
 * multipart upload are independent messages, so eight of them can share the
 * eight 32-bit lanes of an AVX2 register: the same 64 steps per block, eight
 * blocks at a time (the "multi-buffer" technique of Intel's ISA-L crypto and
 * of the md5-simd package; neither has a C library in Debian 12, hence this
 * file).  The steps are RFC 1321's; tests/unit/test_md5x.c checks every
 * result against OpenSSL.
 *
 * Messages of different lengths share a pass: each lane runs its own number
 * of blocks (full blocks from the buffer, then one or two padded tail blocks
 * built here), and a lane that has finished keeps its state through a blend
 * mask while the others go on.  dm_md5_many_read takes the messages a chunk
 * at a time from a reader, so eight parts of any size are hashed with eight
 * chunk buffers of the caller's; dm_md5_many is the same over buffers in
 * memory, read in place.
 *
 * Fewer than eight messages, and every group without AVX2 (or not on x86-64,
 * or with DM_MD5_SCALAR=1 in the environment), go through plain C instead:
 * the same steps on 32-bit registers, two or three messages interleaved step
 * by step.  One MD5 waits on its own previous step; three interleaved keep
 * the core's ALUs busy (four need more registers than x86-64 has, and their
 * spills ran 4 times slower in some builds).  On the benchmark's machine (AMD
 * EPYC, 8 MiB messages, CPU time) three messages went at 1,970 MiB/s
 * together and two at 1,370, against 680 and 450 for three and two lanes of
 * AVX2, which do all eight lanes' work whatever the number in use; eight
 * lanes of AVX2 went at 1,840, OpenSSL's one message at 720.  A lone message
 * goes through OpenSSL's MD5 a chunk at a time. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <dm/util.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

/* The padded end of a message of len bytes whose last len % 64 bytes are at
 * rem: one or two blocks in tail. */
static uint64_t pad_tail(unsigned char tail[128], const unsigned char *rem, uint64_t len)
{
	size_t r = (size_t)(len % 64);
	uint64_t bits = len * 8;
	size_t ntail = r < 56 ? 1 : 2;

	memset(tail, 0, 128);
	if (r)
		memcpy(tail, rem, r);
	tail[r] = 0x80;
	for (int i = 0; i < 8; i++)
		tail[ntail * 64 - 8 + i] = (unsigned char)(bits >> (8 * i));
	return ntail;
}

static const unsigned char zero_block[64];

/* The chunk at off of the full blocks of messages first .. first + n - 1: base[j] and
 * nblk[j] (none, from zero_block, where message j has no full block left).  1 if any
 * message had some, 0 if none, -1 if read gave up. */
static int read_chunks(const uint64_t *len, size_t n, uint64_t off, dm_md5_reader read, void *arg, size_t first,
		       const unsigned char **base, uint64_t *nblk)
{
	int any = 0;

	for (size_t j = 0; j < n; j++) {
		uint64_t full = len[j] / 64 * 64;
		uint64_t take = off < full ? (full - off < DM_MD5_CHUNK ? full - off : DM_MD5_CHUNK) : 0;

		base[j] = zero_block;
		nblk[j] = take / 64;
		if (take) {
			if (!(base[j] = read(arg, first + j, off, (size_t)take)))
				return -1;
			any = 1;
		}
	}
	return any;
}

/* The last len % 64 bytes of every message into rem (zero_block where there are none):
 * 0, or -1 if read gave up. */
static int read_rems(const uint64_t *len, size_t n, dm_md5_reader read, void *arg, size_t first,
		     const unsigned char **rem)
{
	for (size_t j = 0; j < n; j++) {
		size_t r = (size_t)(len[j] % 64);

		rem[j] = zero_block;
		if (r && !(rem[j] = read(arg, first + j, len[j] - r, r)))
			return -1;
	}
	return 0;
}

/* RFC 1321's 64 steps, one S(f, a, b, c, d, k, t, s) each (the round's function, the
 * registers in turn, the message word, the constant, the rotation): written once for the
 * AVX2 lanes and the plain-C path alike, which pass their own S and F, G, H, I. */
#define MD5_STEPS(S, F, G, H, I)                                                                                       \
	S(F, a, b, c, d, 0, 0xd76aa478, 7)                                                                             \
	S(F, d, a, b, c, 1, 0xe8c7b756, 12)                                                                            \
	S(F, c, d, a, b, 2, 0x242070db, 17)                                                                            \
	S(F, b, c, d, a, 3, 0xc1bdceee, 22)                                                                            \
	S(F, a, b, c, d, 4, 0xf57c0faf, 7)                                                                             \
	S(F, d, a, b, c, 5, 0x4787c62a, 12)                                                                            \
	S(F, c, d, a, b, 6, 0xa8304613, 17)                                                                            \
	S(F, b, c, d, a, 7, 0xfd469501, 22)                                                                            \
	S(F, a, b, c, d, 8, 0x698098d8, 7)                                                                             \
	S(F, d, a, b, c, 9, 0x8b44f7af, 12)                                                                            \
	S(F, c, d, a, b, 10, 0xffff5bb1, 17)                                                                           \
	S(F, b, c, d, a, 11, 0x895cd7be, 22)                                                                           \
	S(F, a, b, c, d, 12, 0x6b901122, 7)                                                                            \
	S(F, d, a, b, c, 13, 0xfd987193, 12)                                                                           \
	S(F, c, d, a, b, 14, 0xa679438e, 17)                                                                           \
	S(F, b, c, d, a, 15, 0x49b40821, 22)                                                                           \
	S(G, a, b, c, d, 1, 0xf61e2562, 5)                                                                             \
	S(G, d, a, b, c, 6, 0xc040b340, 9)                                                                             \
	S(G, c, d, a, b, 11, 0x265e5a51, 14)                                                                           \
	S(G, b, c, d, a, 0, 0xe9b6c7aa, 20)                                                                            \
	S(G, a, b, c, d, 5, 0xd62f105d, 5)                                                                             \
	S(G, d, a, b, c, 10, 0x02441453, 9)                                                                            \
	S(G, c, d, a, b, 15, 0xd8a1e681, 14)                                                                           \
	S(G, b, c, d, a, 4, 0xe7d3fbc8, 20)                                                                            \
	S(G, a, b, c, d, 9, 0x21e1cde6, 5)                                                                             \
	S(G, d, a, b, c, 14, 0xc33707d6, 9)                                                                            \
	S(G, c, d, a, b, 3, 0xf4d50d87, 14)                                                                            \
	S(G, b, c, d, a, 8, 0x455a14ed, 20)                                                                            \
	S(G, a, b, c, d, 13, 0xa9e3e905, 5)                                                                            \
	S(G, d, a, b, c, 2, 0xfcefa3f8, 9)                                                                             \
	S(G, c, d, a, b, 7, 0x676f02d9, 14)                                                                            \
	S(G, b, c, d, a, 12, 0x8d2a4c8a, 20)                                                                           \
	S(H, a, b, c, d, 5, 0xfffa3942, 4)                                                                             \
	S(H, d, a, b, c, 8, 0x8771f681, 11)                                                                            \
	S(H, c, d, a, b, 11, 0x6d9d6122, 16)                                                                           \
	S(H, b, c, d, a, 14, 0xfde5380c, 23)                                                                           \
	S(H, a, b, c, d, 1, 0xa4beea44, 4)                                                                             \
	S(H, d, a, b, c, 4, 0x4bdecfa9, 11)                                                                            \
	S(H, c, d, a, b, 7, 0xf6bb4b60, 16)                                                                            \
	S(H, b, c, d, a, 10, 0xbebfbc70, 23)                                                                           \
	S(H, a, b, c, d, 13, 0x289b7ec6, 4)                                                                            \
	S(H, d, a, b, c, 0, 0xeaa127fa, 11)                                                                            \
	S(H, c, d, a, b, 3, 0xd4ef3085, 16)                                                                            \
	S(H, b, c, d, a, 6, 0x04881d05, 23)                                                                            \
	S(H, a, b, c, d, 9, 0xd9d4d039, 4)                                                                             \
	S(H, d, a, b, c, 12, 0xe6db99e5, 11)                                                                           \
	S(H, c, d, a, b, 15, 0x1fa27cf8, 16)                                                                           \
	S(H, b, c, d, a, 2, 0xc4ac5665, 23)                                                                            \
	S(I, a, b, c, d, 0, 0xf4292244, 6)                                                                             \
	S(I, d, a, b, c, 7, 0x432aff97, 10)                                                                            \
	S(I, c, d, a, b, 14, 0xab9423a7, 15)                                                                           \
	S(I, b, c, d, a, 5, 0xfc93a039, 21)                                                                            \
	S(I, a, b, c, d, 12, 0x655b59c3, 6)                                                                            \
	S(I, d, a, b, c, 3, 0x8f0ccc92, 10)                                                                            \
	S(I, c, d, a, b, 10, 0xffeff47d, 15)                                                                           \
	S(I, b, c, d, a, 1, 0x85845dd1, 21)                                                                            \
	S(I, a, b, c, d, 8, 0x6fa87e4f, 6)                                                                             \
	S(I, d, a, b, c, 15, 0xfe2ce6e0, 10)                                                                           \
	S(I, c, d, a, b, 6, 0xa3014314, 15)                                                                            \
	S(I, b, c, d, a, 13, 0x4e0811a1, 21)                                                                           \
	S(I, a, b, c, d, 4, 0xf7537e82, 6)                                                                             \
	S(I, d, a, b, c, 11, 0xbd3af235, 10)                                                                           \
	S(I, c, d, a, b, 2, 0x2ad7d2bb, 15)                                                                            \
	S(I, b, c, d, a, 9, 0xeb86d391, 21)

#ifdef HAVE_AVX2_PATH

#define LANES 8

#define F(b, c, d) _mm256_xor_si256(d, _mm256_and_si256(b, _mm256_xor_si256(c, d)))
#define G(b, c, d) _mm256_xor_si256(c, _mm256_and_si256(d, _mm256_xor_si256(b, c)))
#define H(b, c, d) _mm256_xor_si256(_mm256_xor_si256(b, c), d)
#define I(b, c, d) _mm256_xor_si256(c, _mm256_or_si256(b, _mm256_xor_si256(d, ones)))
#define ROTL(x, s) _mm256_or_si256(_mm256_slli_epi32(x, s), _mm256_srli_epi32(x, 32 - (s)))
/* one step of the eight lanes (a block of its own, so that MD5_STEPS needs no separators) */
#define STEP(f, a, b, c, d, k, t, s)                                                                                   \
	{                                                                                                              \
		a = _mm256_add_epi32(a, _mm256_add_epi32(f(b, c, d),                                                   \
							 _mm256_add_epi32(w[k], _mm256_set1_epi32((int)(t)))));        \
		a = _mm256_add_epi32(b, ROTL(a, s));                                                                   \
	}

/* w[k]: word k of the block of every lane (lane j in element j). */
__attribute__((target("avx2"))) static void load_words(__m256i w[16], const unsigned char *const p[LANES])
{
	for (int half = 0; half < 2; half++) {
		__m256i r[LANES], t[LANES], u[LANES];

		for (int j = 0; j < LANES; j++)
			r[j] = _mm256_loadu_si256((const __m256i *)(const void *)(p[j] + 32 * half));
		for (int j = 0; j < LANES; j += 2) {
			t[j] = _mm256_unpacklo_epi32(r[j], r[j + 1]);
			t[j + 1] = _mm256_unpackhi_epi32(r[j], r[j + 1]);
		}
		u[0] = _mm256_unpacklo_epi64(t[0], t[2]);
		u[1] = _mm256_unpackhi_epi64(t[0], t[2]);
		u[2] = _mm256_unpacklo_epi64(t[1], t[3]);
		u[3] = _mm256_unpackhi_epi64(t[1], t[3]);
		u[4] = _mm256_unpacklo_epi64(t[4], t[6]);
		u[5] = _mm256_unpackhi_epi64(t[4], t[6]);
		u[6] = _mm256_unpacklo_epi64(t[5], t[7]);
		u[7] = _mm256_unpackhi_epi64(t[5], t[7]);
		for (int k = 0; k < 4; k++) {
			w[8 * half + k] = _mm256_permute2x128_si256(u[k], u[k + 4], 0x20);
			w[8 * half + k + 4] = _mm256_permute2x128_si256(u[k], u[k + 4], 0x31);
		}
	}
}

__attribute__((target("avx2"))) static void compress8(__m256i st[4], const unsigned char *const p[LANES],
						      __m256i active)
{
	const __m256i ones = _mm256_set1_epi32(-1);
	__m256i w[16];
	__m256i a = st[0], b = st[1], c = st[2], d = st[3];

	load_words(w, p);

	MD5_STEPS(STEP, F, G, H, I)

	/* a lane past its last block keeps its state */
	st[0] = _mm256_blendv_epi8(st[0], _mm256_add_epi32(st[0], a), active);
	st[1] = _mm256_blendv_epi8(st[1], _mm256_add_epi32(st[1], b), active);
	st[2] = _mm256_blendv_epi8(st[2], _mm256_add_epi32(st[2], c), active);
	st[3] = _mm256_blendv_epi8(st[3], _mm256_add_epi32(st[3], d), active);
}

/* Runs nblk[j] blocks from base[j] through lane j; a lane with fewer waits. */
__attribute__((target("avx2"))) static void run_blocks(__m256i st[4], const unsigned char *const base[LANES],
						       const uint64_t nblk[LANES])
{
	uint64_t most = 0;

	for (int j = 0; j < LANES; j++)
		if (nblk[j] > most)
			most = nblk[j];
	for (uint64_t blk = 0; blk < most; blk++) {
		const unsigned char *p[LANES];
		int32_t act[LANES];

		for (int j = 0; j < LANES; j++) {
			p[j] = blk < nblk[j] ? base[j] + 64 * blk : zero_block;
			act[j] = blk < nblk[j] ? -1 : 0;
		}
		compress8(st, p, _mm256_loadu_si256((const __m256i *)(const void *)act));
	}
}

__attribute__((target("avx2"))) static void state_init(__m256i st[4])
{
	st[0] = _mm256_set1_epi32(0x67452301);
	st[1] = _mm256_set1_epi32((int)0xefcdab89);
	st[2] = _mm256_set1_epi32((int)0x98badcfe);
	st[3] = _mm256_set1_epi32(0x10325476);
}

/* The padded ends of every lane, then the digests of the first n lanes. */
__attribute__((target("avx2"))) static void finish(unsigned char (*out)[16], __m256i st[4],
						   const unsigned char *const rem[LANES], const uint64_t len[LANES],
						   size_t n)
{
	unsigned char tail[LANES][128];
	const unsigned char *base[LANES];
	uint64_t nblk[LANES];
	uint32_t words[4][LANES];

	for (int j = 0; j < LANES; j++) {
		nblk[j] = pad_tail(tail[j], rem[j], len[j]);
		base[j] = tail[j];
	}
	run_blocks(st, base, nblk);
	for (int k = 0; k < 4; k++)
		_mm256_storeu_si256((__m256i *)(void *)words[k], st[k]);
	for (size_t j = 0; j < n; j++)
		for (int k = 0; k < 4; k++)
			for (int i = 0; i < 4; i++)
				out[j][4 * k + i] = (unsigned char)(words[k][j] >> (8 * i));
}

/* Up to LANES messages read piecewise, DM_MD5_CHUNK bytes of each at a time. */
__attribute__((target("avx2"))) static int md5_group_read(unsigned char (*out)[16], const uint64_t *len, size_t n,
							  dm_md5_reader read, void *arg, size_t first)
{
	const unsigned char *base[LANES], *rem[LANES];
	uint64_t nblk[LANES], l[LANES];
	__m256i st[4];

	for (size_t j = 0; j < LANES; j++)
		l[j] = j < n ? len[j] : 0;
	state_init(st);
	for (uint64_t off = 0;; off += DM_MD5_CHUNK) {
		int got = read_chunks(l, LANES, off, read, arg, first, base, nblk);

		if (got < 0)
			return -1;
		if (!got)
			break;
		run_blocks(st, base, nblk);
	}
	if (read_rems(l, LANES, read, arg, first, rem) != 0)
		return -1;
	finish(out, st, rem, l, n);
	return 0;
}

static int use_simd(void)
{
	static int known = -1;
	int v = __atomic_load_n(&known, __ATOMIC_RELAXED);

	if (v < 0) {
		const char *s = getenv("DM_MD5_SCALAR");

		__builtin_cpu_init();
		v = __builtin_cpu_supports("avx2") && !(s && *s && strcmp(s, "0") != 0);
		__atomic_store_n(&known, v, __ATOMIC_RELAXED);
	}
	return v;
}
#endif /* HAVE_AVX2_PATH */

int dm_md5_many_lanes(void)
{
#ifdef HAVE_AVX2_PATH
	if (use_simd())
		return LANES;
#endif
	return 1;
}

/* ---- two or three messages interleaved, in plain C --------------------- */

#define IL_MAX 3

#if defined(__clang__)
#define IL_UNROLL _Pragma("unroll")
#else
#define IL_UNROLL _Pragma("GCC unroll 4")
#endif

/* the message's words are read where they are (a copy on the stack was 4 times slower where
 * the stack and the buffers fell on the same offsets within their pages) */
static inline uint32_t il_word(const unsigned char *q)
{
	return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
}

#define IL_ROTL(x, s) (((x) << (s)) | ((x) >> (32 - (s))))
#define IL_F(b, c, d) ((d) ^ ((b) & ((c) ^ (d))))
#define IL_G(b, c, d) ((c) ^ ((d) & ((b) ^ (c))))
#define IL_H(b, c, d) ((b) ^ (c) ^ (d))
#define IL_I(b, c, d) ((c) ^ ((b) | ~(d)))
/* one step of every message: the loop over j is unrolled, so the messages' steps interleave */
#define IL_STEP(f, a, b, c, d, k, t, s)                                                                                \
	IL_UNROLL for (int j = 0; j < N; j++)                                                                          \
	{                                                                                                              \
		a[j] += f(b[j], c[j], d[j]) + il_word(q[j] + 4 * (k)) + (uint32_t)(t);                                 \
		a[j] = b[j] + IL_ROTL(a[j], s);                                                                        \
	}

/* nblk blocks of each of N messages (from p[j]) through the states st[j]. */
#define IL_BLOCKS(NN)                                                                                                  \
	static void il_blocks##NN(uint32_t st[][4], const unsigned char *const p[], uint64_t nblk)                     \
	{                                                                                                              \
		enum { N = NN };                                                                                       \
		uint32_t a[N], b[N], c[N], d[N];                                                                       \
                                                                                                                       \
		for (int j = 0; j < N; j++) {                                                                          \
			a[j] = st[j][0];                                                                               \
			b[j] = st[j][1];                                                                               \
			c[j] = st[j][2];                                                                               \
			d[j] = st[j][3];                                                                               \
		}                                                                                                      \
		for (uint64_t blk = 0; blk < nblk; blk++) {                                                            \
			uint32_t a0[N], b0[N], c0[N], d0[N];                                                           \
			const unsigned char *q[N];                                                                     \
                                                                                                                       \
			for (int j = 0; j < N; j++) {                                                                  \
				q[j] = p[j] + 64 * blk;                                                                \
				a0[j] = a[j];                                                                          \
				b0[j] = b[j];                                                                          \
				c0[j] = c[j];                                                                          \
				d0[j] = d[j];                                                                          \
			}                                                                                              \
			MD5_STEPS(IL_STEP, IL_F, IL_G, IL_H, IL_I)                                                     \
			for (int j = 0; j < N; j++) {                                                                  \
				a[j] += a0[j];                                                                         \
				b[j] += b0[j];                                                                         \
				c[j] += c0[j];                                                                         \
				d[j] += d0[j];                                                                         \
			}                                                                                              \
		}                                                                                                      \
		for (int j = 0; j < N; j++) {                                                                          \
			st[j][0] = a[j];                                                                               \
			st[j][1] = b[j];                                                                               \
			st[j][2] = c[j];                                                                               \
			st[j][3] = d[j];                                                                               \
		}                                                                                                      \
	}

IL_BLOCKS(1)
IL_BLOCKS(2)
IL_BLOCKS(3)

/* nblk blocks of n (1 to IL_MAX) messages interleaved. */
static void il_blocks(uint32_t st[][4], const unsigned char *const p[], size_t n, uint64_t nblk)
{
	switch (n) {
	case 1: il_blocks1(st, p, nblk); break;
	case 2: il_blocks2(st, p, nblk); break;
	default: il_blocks3(st, p, nblk); break;
	}
}

/* Runs nblk[j] blocks from base[j] through message j's state: the blocks they all have
 * interleaved, then each message's rest alone. */
static void il_run(uint32_t st[][4], const unsigned char *const base[], const uint64_t nblk[], size_t n)
{
	uint32_t s[IL_MAX][4];
	const unsigned char *p[IL_MAX];
	size_t idx[IL_MAX], k = 0;
	uint64_t common = UINT64_MAX;

	for (size_t j = 0; j < n; j++)
		if (nblk[j] > 0) {
			idx[k++] = j;
			if (nblk[j] < common)
				common = nblk[j];
		}
	if (k == 0)
		return;
	for (size_t i = 0; i < k; i++) {
		memcpy(s[i], st[idx[i]], sizeof(s[i]));
		p[i] = base[idx[i]];
	}
	il_blocks(s, p, k, common);
	for (size_t i = 0; i < k; i++) {
		if (nblk[idx[i]] > common) {
			const unsigned char *rest = base[idx[i]] + 64 * common;

			il_blocks1(&s[i], &rest, nblk[idx[i]] - common);
		}
		memcpy(st[idx[i]], s[i], sizeof(s[i]));
	}
}

/* n (2 to IL_MAX) messages read piecewise, DM_MD5_CHUNK bytes of each at a time. */
static int md5_group_read_il(unsigned char (*out)[16], const uint64_t *len, size_t n, dm_md5_reader read, void *arg,
			     size_t first)
{
	uint32_t st[IL_MAX][4];
	const unsigned char *base[IL_MAX], *rem[IL_MAX];
	unsigned char tail[IL_MAX][128];
	uint64_t nblk[IL_MAX];

	for (size_t j = 0; j < n; j++) {
		st[j][0] = 0x67452301;
		st[j][1] = 0xefcdab89;
		st[j][2] = 0x98badcfe;
		st[j][3] = 0x10325476;
	}
	for (uint64_t off = 0;; off += DM_MD5_CHUNK) {
		int got = read_chunks(len, n, off, read, arg, first, base, nblk);

		if (got < 0)
			return -1;
		if (!got)
			break;
		il_run(st, base, nblk, n);
	}
	if (read_rems(len, n, read, arg, first, rem) != 0)
		return -1;
	for (size_t j = 0; j < n; j++) {
		nblk[j] = pad_tail(tail[j], rem[j], len[j]);
		base[j] = tail[j];
	}
	il_run(st, base, nblk, n);
	for (size_t j = 0; j < n; j++)
		for (int k = 0; k < 4; k++)
			for (int i = 0; i < 4; i++)
				out[j][4 * k + i] = (unsigned char)(st[j][k] >> (8 * i));
	return 0;
}

/* One message through OpenSSL, DM_MD5_CHUNK bytes at a time. */
static int md5_read_one(unsigned char out[16], uint64_t len, dm_md5_reader read, void *arg, size_t i)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int olen = 16;
	int rc = c && EVP_DigestInit_ex(c, EVP_md5(), NULL) == 1 ? 0 : -1;

	for (uint64_t off = 0; rc == 0 && off < len; off += DM_MD5_CHUNK) {
		size_t take = (size_t)(len - off < DM_MD5_CHUNK ? len - off : DM_MD5_CHUNK);
		const void *p = read(arg, i, off, take);

		rc = p && EVP_DigestUpdate(c, p, take) == 1 ? 0 : -1;
	}
	if (rc == 0 && EVP_DigestFinal_ex(c, out, &olen) != 1)
		rc = -1;
	EVP_MD_CTX_free(c);
	return rc;
}

int dm_md5_many_read(unsigned char (*out)[16], const uint64_t *len, size_t n, dm_md5_reader read, void *arg)
{
	size_t i = 0;

	while (n - i > 1) {
		size_t left = n - i, g;

#ifdef HAVE_AVX2_PATH
		if (left >= LANES && use_simd()) {
			if (md5_group_read(out + i, len + i, LANES, read, arg, i) != 0)
				return -1;
			i += LANES;
			continue;
		}
#endif
		/* groups of three, and four as two of two: one alone is OpenSSL's, at half the speed */
		g = left == 4 ? 2 : left < IL_MAX ? left : IL_MAX;
		if (md5_group_read_il(out + i, len + i, g, read, arg, i) != 0)
			return -1;
		i += g;
	}
	for (; i < n; i++)
		if (md5_read_one(out[i], len[i], read, arg, i) != 0)
			return -1;
	return 0;
}

/* Messages in memory are read in place. */
typedef struct {
	const void *const *data;
} in_memory;

static const void *from_memory(void *arg, size_t i, uint64_t off, size_t n)
{
	(void)n;
	return (const unsigned char *)((in_memory *)arg)->data[i] + off;
}

void dm_md5_many(unsigned char (*out)[16], const void *const *data, const size_t *len, size_t n)
{
	enum { GROUP = 8 };

	for (size_t i = 0; i < n; i += GROUP) {
		in_memory m = { data + i };
		uint64_t l[GROUP];
		size_t g = n - i < GROUP ? n - i : GROUP;

		for (size_t k = 0; k < g; k++)
			l[k] = len[i + k];
		/* the reader never fails, so neither does this */
		(void)dm_md5_many_read(out + i, l, g, from_memory, &m);
	}
}
