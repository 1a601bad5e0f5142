/* tests/fuzz/fuzz_common.h - helpers shared by the fuzz targets.
 *
 * Every target is a libFuzzer entry point (LLVMFuzzerTestOneInput).  The same
 * sources also build, with gcc, against tests/fuzz/replay.c, which feeds files
 * to the entry point: the plain and sanitizer builds replay the seed corpora
 * and the saved crash inputs that way.
 *
 * A broken invariant calls FUZZ_CHECK, which prints what failed and aborts:
 * libFuzzer then saves the input as a crash file.
 */
#ifndef DM_FUZZ_COMMON_H
#define DM_FUZZ_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                                          \
	do {                                                                                                           \
		if (!(cond)) {                                                                                         \
			fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__, __LINE__, #cond);                   \
			fprintf(stderr, __VA_ARGS__);                                                                  \
			fputc('\n', stderr);                                                                           \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

/* A NUL-terminated copy of the input (malloc'd; aborts when out of memory). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Splits the input at '\n' into at most max fields (the last one keeps the
 * rest, newlines included).  Each field is NUL-terminated inside buf, which
 * the caller frees; missing fields are "". Returns the number found. */
static inline size_t fuzz_split(char **buf, const uint8_t *data, size_t size, char **fields, size_t max)
{
	char *s = fuzz_strndup(data, size), *p = s;
	size_t n = 0;

	for (size_t i = 0; i < max; i++)
		fields[i] = (char *)"";
	while (n < max) {
		char *nl = n + 1 < max ? memchr(p, '\n', (size_t)(s + size - p)) : NULL;

		fields[n++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	*buf = s;
	return n;
}

/* A private folder for files the loaders must read from disk, made once per
 * process and removed at exit (with what the target left in it). */
static char fuzz_dir_path[256];

static void fuzz_dir_cleanup(void)
{
	char cmd[300];

	if (fuzz_dir_path[0] && strncmp(fuzz_dir_path, "/tmp/", 5) == 0 && !strchr(fuzz_dir_path, '\'')) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir_path);
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir_path);
	}
}

static inline const char *fuzz_dir(void)
{
	if (!fuzz_dir_path[0]) {
		snprintf(fuzz_dir_path, sizeof(fuzz_dir_path), "/tmp/dm-fuzz-XXXXXX");
		if (!mkdtemp(fuzz_dir_path)) {
			perror("fuzz: mkdtemp");
			abort();
		}
		atexit(fuzz_dir_cleanup);
	}
	return fuzz_dir_path;
}

/* Writes size bytes to path (replacing it); aborts on failure. */
static inline void fuzz_write_file(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *p = data;

	if (fd < 0) {
		fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
		abort();
	}
	while (size) {
		ssize_t w = write(fd, p, size);

		if (w <= 0) {
			fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
			abort();
		}
		p += w;
		size -= (size_t)w;
	}
	close(fd);
}

static inline void fuzz_mkdir(const char *path)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "fuzz: cannot make %s: %s\n", path, strerror(errno));
		abort();
	}
}

#endif
