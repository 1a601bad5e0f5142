/* tests/unit/test_walk.c - libdm/seed: the sorted walk (libdm/seed/walk.h),
 * the shard hash and the local ETag of dm/seed.h.  Each test builds its own
 * tree in a temporary folder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include <dm/s3.h>
#include <dm/seed.h>
#include "seed/walk.h"
#include "testutil.h"

static char root[256];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "%s/dm-test-walk-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return dm_test_remove_tree(root);
}

/* path = root/rel; a path that does not fit fails the test (never a truncated path). */
static void under_root(char *path, size_t size, const char *rel)
{
	if ((size_t)snprintf(path, size, "%s/%s", root, rel) >= size)
		fail_msg("path too long: '%s/%s'", root, rel);
}

/* root/rel, with its folders, holding n bytes of a pattern seeded by seed. */
static void put_file(const char *rel, size_t n, unsigned seed)
{
	char path[1024];
	FILE *f;

	under_root(path, sizeof(path), rel);
	for (char *p = path + strlen(root) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(path, 0755) != 0 && errno != EEXIST)
				fail_msg("mkdir '%s': %s", path, strerror(errno));
			*p = '/';
		}
	}
	f = fopen(path, "wb");
	if (!f)
		fail_msg("cannot create '%s': %s", path, strerror(errno));
	for (size_t i = 0; i < n; i++)
		fputc((int)((i * 2654435761u + seed) >> 7 & 0xff), f);
	assert_int_equal(fclose(f), 0);
}

static void put_dir(const char *rel)
{
	char path[1024];

	under_root(path, sizeof(path), rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void put_symlink(const char *target, const char *rel)
{
	char path[1024];

	under_root(path, sizeof(path), rel);
	if (symlink(target, path) != 0)
		fail_msg("symlink '%s' -> '%s': %s", path, target, strerror(errno));
}

static dm_walk *open_root(void)
{
	dm_walk *w = NULL;

	if (dm_walk_open(&w, root) != DM_OK)
		fail_msg("dm_walk_open '%s': %s", root, dm_err_detail());
	return w;
}

/* Finds the entry with this rel in the walk (and checks it comes once). */
typedef struct {
	dm_walk_kind kind;
	char reason[512];
	uint64_t size;
	char path[1024];
	int seen;
} found;

/* Walks w to the end and closes it; no assertions, so a forked child can use it. */
static found collect(dm_walk *w, const char *rel)
{
	const dm_walk_entry *e;
	found f;

	memset(&f, 0, sizeof(f));
	while ((e = dm_walk_next(w)) != NULL) {
		if (strcmp(e->rel, rel) != 0)
			continue;
		f.seen++;
		f.kind = e->kind;
		f.size = e->size;
		snprintf(f.path, sizeof(f.path), "%s", e->path);
		snprintf(f.reason, sizeof(f.reason), "%s", e->reason ? e->reason : "");
	}
	dm_walk_close(w);
	return f;
}

static found find_entry(const char *rel)
{
	return collect(open_root(), rel);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- the walk ---- */

static void test_walk__yields_keys_in_s3_byte_order(void **state)
{
	/* S3 lists "a-b" < "a.txt" < "a/b" < "a0" < "b": '-' 0x2D, '.' 0x2E, '/' 0x2F, '0' 0x30 */
	static const char *const keys[] = {
		"a.txt",   "a/b",
		"a-b",     "a0",
		"b",       "B",
		"a/b.d/x", "a/bc/c",
		"a/b-c",   "a b.txt",
		"Z/z",     "caf\xc3\xa9.txt",
		"cafe/x",  "deep/1/2/3/4/5/6/7/8/9/file.bin",
		"x~",      "x_y",
		"x+y",
	};
	const size_t n = sizeof(keys) / sizeof(keys[0]);
	const char *want[sizeof(keys) / sizeof(keys[0])];
	dm_walk *w;
	const dm_walk_entry *e;
	size_t i = 0;

	(void)state;
	for (size_t k = 0; k < n; k++) {
		put_file(keys[k], k, (unsigned)k);
		want[k] = keys[k];
	}
	qsort(want, n, sizeof(want[0]), cmp_str);
	w = open_root();
	while ((e = dm_walk_next(w)) != NULL) {
		assert_int_equal(e->kind, DM_WALK_FILE);
		if (i >= n)
			fail_msg("walk yielded more than the %zu files: '%s'", n, e->rel);
		if (strcmp(e->rel, want[i]) != 0)
			fail_msg("walk entry %zu: expected '%s', got '%s'", i, want[i], e->rel);
		i++;
	}
	dm_walk_close(w);
	assert_int_equal(i, n);
}

static void test_walk__puts_a_dot_file_before_a_folder_of_the_same_stem(void **state)
{
	dm_walk *w;
	const dm_walk_entry *e;

	(void)state;
	put_file("a/b", 1, 1);
	put_file("a.txt", 1, 2);
	w = open_root();
	e = dm_walk_next(w);
	assert_non_null(e);
	assert_string_equal(e->rel, "a.txt");
	e = dm_walk_next(w);
	assert_non_null(e);
	assert_string_equal(e->rel, "a/b");
	assert_null(dm_walk_next(w));
	dm_walk_close(w);
}

static void test_walk__reports_size_path_and_identity_of_files(void **state)
{
	dm_walk *w;
	const dm_walk_entry *e;
	char want[1024];
	struct stat st;

	(void)state;
	put_file("sub/data.csv", 1234, 3);
	snprintf(want, sizeof(want), "%s/sub/data.csv", root);
	assert_int_equal(stat(want, &st), 0);
	w = open_root();
	e = dm_walk_next(w);
	assert_non_null(e);
	assert_int_equal(e->kind, DM_WALK_FILE);
	assert_string_equal(e->rel, "sub/data.csv");
	assert_string_equal(e->path, want);
	assert_int_equal(e->size, 1234);
	assert_true(e->ino == st.st_ino);
	assert_true(e->dev == st.st_dev);
	assert_true(e->mtime_ns == (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
	assert_null(dm_walk_next(w));
	dm_walk_close(w);
}

static void test_walk__yields_empty_files_and_skips_empty_folders(void **state)
{
	dm_walk *w;
	const dm_walk_entry *e;

	(void)state;
	put_dir("nothing");
	put_file("empty.txt", 0, 0);
	w = open_root();
	e = dm_walk_next(w);
	assert_non_null(e);
	assert_string_equal(e->rel, "empty.txt");
	assert_int_equal(e->kind, DM_WALK_FILE);
	assert_int_equal(e->size, 0);
	assert_null(dm_walk_next(w));
	dm_walk_close(w);
}

static void test_walk__follows_symlinks_to_files(void **state)
{
	found f;

	(void)state;
	put_file("real.txt", 77, 4);
	put_symlink("real.txt", "link.txt");
	f = find_entry("link.txt");
	assert_int_equal(f.seen, 1);
	assert_int_equal(f.kind, DM_WALK_FILE);
	assert_int_equal(f.size, 77);
}

static void test_walk__follows_symlinks_to_folders_outside_the_loop(void **state)
{
	found f;

	(void)state;
	put_file("store/x.bin", 5, 5);
	put_symlink("store", "alias");
	f = find_entry("alias/x.bin");
	assert_int_equal(f.seen, 1);
	assert_int_equal(f.kind, DM_WALK_FILE);
	assert_int_equal(f.size, 5);
}

static void test_walk__reports_folder_symlink_loop_as_failure(void **state)
{
	found f;
	dm_walk *w;
	const dm_walk_entry *e;
	int n = 0;

	(void)state;
	put_file("loop/file.txt", 3, 6);
	put_symlink("..", "loop/up");
	f = find_entry("loop/up");
	assert_int_equal(f.seen, 1);
	assert_int_equal(f.kind, DM_WALK_FAIL);
	assert_non_null(strstr(f.reason, "symlink loop"));
	/* and the walk ends: the tree is read once */
	w = open_root();
	while ((e = dm_walk_next(w)) != NULL)
		n++;
	dm_walk_close(w);
	assert_int_equal(n, 2); /* loop/file.txt and the failure */
}

static void test_walk__reports_symlink_cycle_as_failure(void **state)
{
	found f;

	(void)state;
	put_symlink("ping", "pong");
	put_symlink("pong", "ping");
	f = find_entry("ping");
	assert_int_equal(f.kind, DM_WALK_FAIL);
	assert_non_null(strstr(f.reason, "symlink loop"));
}

static void test_walk__reports_broken_symlink_as_failure(void **state)
{
	found f;

	(void)state;
	put_symlink("does-not-exist", "dangling");
	f = find_entry("dangling");
	assert_int_equal(f.seen, 1);
	assert_int_equal(f.kind, DM_WALK_FAIL);
	assert_non_null(strstr(f.reason, "broken symlink"));
}

static void test_walk__warns_about_fifo_and_goes_on(void **state)
{
	char path[1024];
	found f;

	(void)state;
	snprintf(path, sizeof(path), "%s/pipe", root);
	assert_int_equal(mkfifo(path, 0600), 0);
	put_file("z.txt", 1, 7);
	f = find_entry("pipe");
	assert_int_equal(f.seen, 1);
	assert_int_equal(f.kind, DM_WALK_WARN);
	assert_non_null(strstr(f.reason, "fifo"));
	f = find_entry("z.txt");
	assert_int_equal(f.kind, DM_WALK_FILE);
}

static void test_walk__warns_about_socket(void **state)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	found f;

	(void)state;
	assert_true(fd >= 0);
	assert_true(here >= 0);
	/* bound by a name relative to root, so a long $TMPDIR cannot exceed sun_path */
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, "sock");
	assert_int_equal(chdir(root), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(fchdir(here), 0);
	close(here);
	f = find_entry("sock");
	close(fd);
	assert_int_equal(f.kind, DM_WALK_WARN);
	assert_non_null(strstr(f.reason, "socket"));
}

/* Root reads every folder: as root, the walk runs in a child that has dropped to
 * the unprivileged uid/gid 65534 and sends back what it found through a pipe. */
static found find_entry_unprivileged(const char *rel)
{
	found f;
	int fds[2];
	pid_t pid;
	int status = 0;

	memset(&f, 0, sizeof(f));
	if (geteuid() != 0)
		return find_entry(rel);
	assert_int_equal(chmod(root, 0755), 0);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dm_walk *w;

		close(fds[0]);
		if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
		    setresuid(65534, 65534, 65534) != 0)
			_exit(2);
		if (dm_walk_open(&w, root) != DM_OK)
			_exit(3);
		f = collect(w, rel);
		_exit(write(fds[1], &f, sizeof(f)) == (ssize_t)sizeof(f) ? 0 : 4);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &f, sizeof(f)), (ssize_t)sizeof(f));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return f;
}

static void test_walk__reports_unreadable_folder_as_failure(void **state)
{
	char path[1024];
	found f;

	(void)state;
	put_file("locked/secret.txt", 1, 8);
	snprintf(path, sizeof(path), "%s/locked", root);
	assert_int_equal(chmod(path, 0), 0);
	f = find_entry_unprivileged("locked");
	assert_int_equal(f.seen, 1);
	assert_int_equal(f.kind, DM_WALK_FAIL);
	assert_non_null(strstr(f.reason, "cannot read folder: Permission denied"));
}

static void test_walk__reports_folders_nested_too_deep(void **state)
{
	char rel[1024];
	size_t n = 0;
	dm_walk *w;
	const dm_walk_entry *e;
	int fails = 0, files = 0;

	(void)state;
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(rel + n, sizeof(rel) - n, "d/");
	snprintf(rel + n, sizeof(rel) - n, "f.txt");
	put_file(rel, 1, 15);
	put_file("shallow.txt", 1, 16);
	w = open_root();
	while ((e = dm_walk_next(w)) != NULL) {
		if (e->kind == DM_WALK_FAIL) {
			assert_non_null(strstr(e->reason, "too deep"));
			fails++;
		} else if (e->kind == DM_WALK_FILE) {
			assert_string_equal(e->rel, "shallow.txt");
			files++;
		}
	}
	dm_walk_close(w);
	assert_int_equal(fails, 1);
	assert_int_equal(files, 1);
}

static void test_walk__a_file_as_root_is_walked_alone(void **state)
{
	char path[1024];
	dm_walk *w = (dm_walk *)0x1;
	const dm_walk_entry *en;

	(void)state;
	put_file("plain.txt", 9, 9);
	put_file("plain.txt.bak", 1, 1);
	snprintf(path, sizeof(path), "%s/plain.txt", root);
	assert_int_equal(dm_walk_open(&w, path), DM_OK);
	en = dm_walk_next(w);
	assert_non_null(en);
	assert_int_equal(en->kind, DM_WALK_FILE);
	assert_string_equal(en->rel, "plain.txt");
	assert_string_equal(en->path, path);
	assert_int_equal(en->size, 9);
	assert_null(dm_walk_next(w));
	assert_int_equal(dm_walk_status(w), DM_OK);
	dm_walk_close(w);
}

static void test_walk__open_refuses_a_fifo_and_a_missing_path(void **state)
{
	char path[1024];
	dm_walk *w = (dm_walk *)0x1;

	(void)state;
	snprintf(path, sizeof(path), "%s/fifo", root);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(dm_walk_open(&w, path), DM_ERR_INVALID);
	assert_null(w);
	assert_non_null(strstr(dm_err_detail(), "is not a folder or a regular file"));
	snprintf(path, sizeof(path), "%s/missing", root);
	assert_int_equal(dm_walk_open(&w, path), DM_ERR_NOTFOUND);
	assert_non_null(strstr(dm_err_detail(), "missing"));
}

static void test_walk__root_with_trailing_slash_gives_same_keys(void **state)
{
	char slashed[512];
	dm_walk *w = NULL;
	const dm_walk_entry *e;

	(void)state;
	put_file("k/v.txt", 2, 10);
	snprintf(slashed, sizeof(slashed), "%s//", root);
	assert_int_equal(dm_walk_open(&w, slashed), DM_OK);
	e = dm_walk_next(w);
	assert_non_null(e);
	assert_string_equal(e->rel, "k/v.txt");
	dm_walk_close(w);
}

/* ---- seed: shard hash ---- */

static void test_seed__shard_hash_is_fnv1a_64_of_bucket_slash_key(void **state)
{
	/* expected values computed with an independent FNV-1a 64 (offset basis
	 * 14695981039346656037 = 0xcbf29ce484222325, prime 0x100000001b3), which gives
	 * the published 0xaf63dc4c8601ec8c for "a" and 0x85944171f73967e8 for "foobar" */
	static const struct {
		const char *bucket, *key;
		uint64_t want;
	} cases[] = {
		{ "", "", 0xaf63a24c860189feULL }, /* "/" */
		{ "datalake", "a.txt", 0x80f0a49c1fe1de00ULL },
		{ "examples", "iris.csv", 0x4ffdf2878a2b985eULL },
		{ "b", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/\xe3\x83\x95\xe3\x82\xa1\xe3\x82\xa4\xe3\x83\xab.txt",
		  0xa6a596c89f3ea458ULL },
		{ "x", "", 0x08f0f907b58d58f8ULL },
	};
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t got = dm_seed_shard_hash(cases[i].bucket, cases[i].key);

		if (got != cases[i].want) {
			print_error("dm_seed_shard_hash(\"%s\", \"%s\"): expected 0x%016llx, got 0x%016llx\n",
				    cases[i].bucket, cases[i].key, (unsigned long long)cases[i].want,
				    (unsigned long long)got);
			bad++;
		}
	}
	if (bad)
		fail_msg("%d shard hashes are not FNV-1a 64 of \"bucket/key\"", bad);
}

static void test_seed__shard_hash_depends_only_on_the_joined_text(void **state)
{
	(void)state;
	assert_true(dm_seed_shard_hash("a/b", "c") == dm_seed_shard_hash("a", "b/c"));
	assert_true(dm_seed_shard_hash("a", "b") != dm_seed_shard_hash("b", "a"));
}

/* ---- seed: local ETag ---- */

static void md5_file_range(unsigned char out[16], const char *path, uint64_t off, uint64_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	FILE *f = fopen(path, "rb");
	unsigned char buf[65536];
	unsigned int n = 0;

	assert_non_null(ctx);
	assert_non_null(f);
	assert_int_equal(fseeko(f, (off_t)off, SEEK_SET), 0);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_md5(), NULL), 1);
	while (len > 0) {
		size_t want = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		size_t got = fread(buf, 1, want, f);

		assert_int_equal(got, want);
		assert_int_equal(EVP_DigestUpdate(ctx, buf, got), 1);
		len -= got;
	}
	assert_int_equal(EVP_DigestFinal_ex(ctx, out, &n), 1);
	assert_int_equal(n, 16);
	fclose(f);
	EVP_MD_CTX_free(ctx);
}

static void hex16(char out[33], const unsigned char in[16])
{
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", in[i]);
}

/* The S3 ETag of a file uploaded in parts of part bytes, computed here with EVP MD5. */
static void expected_multipart_etag(char out[48], const char *path, uint64_t size, uint64_t part)
{
	uint64_t nparts = (size + part - 1) / part;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[16], top[16];
	unsigned int n = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_md5(), NULL), 1);
	for (uint64_t i = 0; i < nparts; i++) {
		uint64_t off = i * part;

		md5_file_range(md, path, off, size - off < part ? size - off : part);
		assert_int_equal(EVP_DigestUpdate(ctx, md, 16), 1);
	}
	assert_int_equal(EVP_DigestFinal_ex(ctx, top, &n), 1);
	EVP_MD_CTX_free(ctx);
	hex16(out, top);
	sprintf(out + 32, "-%llu", (unsigned long long)nparts);
}

static void test_seed__local_etag_of_small_file_is_its_md5(void **state)
{
	char path[1024], want[33], got[48];
	unsigned char md[16];

	(void)state;
	put_file("small.csv", 100000, 11);
	snprintf(path, sizeof(path), "%s/small.csv", root);
	md5_file_range(md, path, 0, 100000);
	hex16(want, md);
	assert_int_equal(dm_seed_local_etag(path, 0, 0, got), DM_OK);
	assert_string_equal(got, want);
}

static void test_seed__local_etag_of_empty_file_is_md5_of_nothing(void **state)
{
	char path[1024], want[33], got[48];
	unsigned char md[16];
	unsigned int n = 0;

	(void)state;
	put_file("empty", 0, 0);
	snprintf(path, sizeof(path), "%s/empty", root);
	assert_int_equal(EVP_Digest("", 0, md, &n, EVP_md5(), NULL), 1);
	hex16(want, md);
	assert_int_equal(dm_seed_local_etag(path, 0, 0, got), DM_OK);
	assert_string_equal(got, want);
}

static void test_seed__local_etag_of_multipart_file_is_md5_of_part_md5s(void **state)
{
	const uint64_t part = 1 << 20, size = 3 * (1 << 20) + 5;
	char path[1024], want[48], got[48];

	(void)state;
	put_file("big.bin", size, 12);
	snprintf(path, sizeof(path), "%s/big.bin", root);
	expected_multipart_etag(want, path, size, part);
	assert_int_equal(dm_seed_local_etag(path, part, part, got), DM_OK);
	assert_string_equal(got, want);
	assert_non_null(strstr(got, "-4"));
}

static void test_seed__local_etag_of_an_exact_multiple_has_no_empty_part(void **state)
{
	const uint64_t part = 1 << 20, size = 4 * (1 << 20);
	char path[1024], want[48], got[48];

	(void)state;
	put_file("four.bin", size, 15);
	snprintf(path, sizeof(path), "%s/four.bin", root);
	expected_multipart_etag(want, path, size, part);
	assert_int_equal(dm_seed_local_etag(path, part, part, got), DM_OK);
	assert_string_equal(got, want);
	assert_non_null(strstr(got, "-4"));
}

static void test_seed__local_etag_uses_the_default_part_size_rule(void **state)
{
	/* threshold below the size, no part size given: dm_s3_part_size(size) decides */
	const uint64_t size = 9 * (1 << 20) + 1;
	char path[1024], want[48], got[48];

	(void)state;
	put_file("nine.bin", size, 13);
	snprintf(path, sizeof(path), "%s/nine.bin", root);
	expected_multipart_etag(want, path, size, dm_s3_part_size(size));
	assert_int_equal(dm_seed_local_etag(path, 5 << 20, 0, got), DM_OK);
	assert_string_equal(got, want);
	assert_non_null(strstr(got, "-2"));
}

static void test_seed__local_etag_at_the_threshold_is_single_part(void **state)
{
	const uint64_t size = 1 << 20;
	char path[1024], want[33], got[48];
	unsigned char md[16];

	(void)state;
	put_file("edge.bin", size, 14);
	snprintf(path, sizeof(path), "%s/edge.bin", root);
	md5_file_range(md, path, 0, size);
	hex16(want, md);
	assert_int_equal(dm_seed_local_etag(path, size, 0, got), DM_OK);
	assert_string_equal(got, want);
}

static void test_seed__local_etag_of_missing_file_names_it(void **state)
{
	char path[1024], got[48];

	(void)state;
	snprintf(path, sizeof(path), "%s/gone.bin", root);
	assert_int_equal(dm_seed_local_etag(path, 0, 0, got), DM_ERR_IO);
	assert_non_null(strstr(dm_err_detail(), "gone.bin"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_walk__yields_keys_in_s3_byte_order),
		T(test_walk__puts_a_dot_file_before_a_folder_of_the_same_stem),
		T(test_walk__reports_size_path_and_identity_of_files),
		T(test_walk__yields_empty_files_and_skips_empty_folders),
		T(test_walk__follows_symlinks_to_files),
		T(test_walk__follows_symlinks_to_folders_outside_the_loop),
		T(test_walk__reports_folder_symlink_loop_as_failure),
		T(test_walk__reports_symlink_cycle_as_failure),
		T(test_walk__reports_broken_symlink_as_failure),
		T(test_walk__warns_about_fifo_and_goes_on),
		T(test_walk__warns_about_socket),
		T(test_walk__reports_unreadable_folder_as_failure),
		T(test_walk__reports_folders_nested_too_deep),
		T(test_walk__a_file_as_root_is_walked_alone),
		T(test_walk__open_refuses_a_fifo_and_a_missing_path),
		T(test_walk__root_with_trailing_slash_gives_same_keys),
		cmocka_unit_test(test_seed__shard_hash_is_fnv1a_64_of_bucket_slash_key),
		cmocka_unit_test(test_seed__shard_hash_depends_only_on_the_joined_text),
		T(test_seed__local_etag_of_small_file_is_its_md5),
		T(test_seed__local_etag_of_empty_file_is_md5_of_nothing),
		T(test_seed__local_etag_of_multipart_file_is_md5_of_part_md5s),
		T(test_seed__local_etag_of_an_exact_multiple_has_no_empty_part),
		T(test_seed__local_etag_uses_the_default_part_size_rule),
		T(test_seed__local_etag_at_the_threshold_is_single_part),
		T(test_seed__local_etag_of_missing_file_names_it),
	};

	return cmocka_run_group_tests_name("walk", tests, NULL, NULL);
}
