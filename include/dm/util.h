/* dm/util.h - small shared helpers: growable buffer, size and duration parsing,
 * hex, base64, safe file writing.  All thread-safe (no shared state).
 */
#ifndef DM_UTIL_H
#define DM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <dm/err.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A growable byte buffer, always NUL-terminated when len > 0 or after dm_buf_str. */
typedef struct {
	char *data;
	size_t len;
	size_t cap;
} dm_buf;
/* clang-format off */
#define DM_BUF_INIT { .data = NULL, .len = 0, .cap = 0 }
/* clang-format on */

dm_err dm_buf_append(dm_buf *b, const void *data, size_t len);
dm_err dm_buf_puts(dm_buf *b, const char *s);
dm_err dm_buf_printf(dm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the contents as a string ("" when empty); never NULL unless out of memory. */
const char *dm_buf_str(dm_buf *b);
/* Drops the contents, keeps the storage. */
void dm_buf_clear(dm_buf *b);
/* Frees the storage; wipes it first (buffers may hold secrets). */
void dm_buf_release(dm_buf *b);
/* Hands the storage to the caller (free with free()); b is left empty. */
char *dm_buf_detach(dm_buf *b);

/* strdup(s), or NULL when s is NULL (a NULL result for a non-NULL s: out of memory) */
char *dm_strdup_null(const char *s);

/* base + "/" + rel (rel alone when it is absolute or base is NULL or ""), folded
 * lexically, without looking at the file system: "." and "name/.." go, and so do
 * repeated and trailing slashes.  ".." of "/" is "/"; a relative result keeps
 * the ".." it cannot fold ("../x") and is "." when nothing is left.  malloc'd;
 * NULL when rel is NULL or out of memory. */
char *dm_path_resolve(const char *base, const char *rel);

/* "512", "4k", "8MiB", "1.5G" (k/M/G/T are powers of 1024; "kB"/"MB" powers of 1000). */
dm_err dm_parse_size(const char *text, uint64_t *out);
/* "30", "30s", "500ms", "5m", "1h", "1m30s" -> milliseconds. */
dm_err dm_parse_duration_ms(const char *text, uint64_t *out);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void dm_hex(char *out, const unsigned char *in, size_t n);
/* Standard base64 with padding; out needs 4*((n+2)/3)+1 bytes. Returns length. */
size_t dm_base64_encode(char *out, const unsigned char *in, size_t n);
/* Decodes standard base64 (padding optional, no whitespace). *out is malloc'd
 * (caller frees, wipe if secret) and NUL-terminated after *outlen bytes. */
dm_err dm_base64_decode(unsigned char **out, size_t *outlen, const char *in, size_t n);

/* Appends s[0..n) with %XX escapes decoded (a '%' not followed by two hex digits
 * is kept as it is); with plus_is_space, '+' becomes ' ' (form and S3
 * encoding-type=url style).  out stays NUL-terminated. */
dm_err dm_pct_decode(dm_buf *out, const char *s, size_t n, int plus_is_space);
/* The same, for text a server wrote: a '%' not followed by two hex digits is
 * DM_ERR_PARSE, the detail giving its byte offset (the caller names the text). */
dm_err dm_pct_decode_strict(dm_buf *out, const char *s, size_t n, int plus_is_space);

/* Is s (n bytes) valid UTF-8 (no overlongs, no surrogates)? */
int dm_utf8_valid(const char *s, size_t n);
/* Appends s[0..n) for display on one line of a message: printable UTF-8 as it
 * is; ASCII and C1 controls, DEL and bytes that are not UTF-8 as \xHH; a
 * backslash as \\ (so the escapes read back unambiguously). */
dm_err dm_buf_put_shown(dm_buf *b, const char *s, size_t n);

/* Where dm keeps a file of its own, as the XDG base directory spec says: in
 * $XDG_CONFIG_HOME/dm (default ~/.config/dm) or $XDG_STATE_HOME/dm (default
 * ~/.local/state/dm).  An XDG variable that is not an absolute path is ignored.
 * *out: malloc'd.  DM_ERR_CONFIG when neither it nor HOME is set. */
typedef enum { DM_XDG_CONFIG = 0, DM_XDG_STATE } dm_xdg;
dm_err dm_xdg_path(char **out, dm_xdg kind, const char *name);

/* Writes data to path atomically (temp file in the same folder, fsync, rename)
 * with the given mode; the folder is created (0700) when missing. */
dm_err dm_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);
/* Takes an exclusive lock for a read-modify-write of path: flock(2) on the
 * sibling file "PATH.lock" (created 0600, the folder 0700 when missing),
 * waiting at most timeout_ms for another holder.  *fd_out is the lock, for
 * dm_unlock_file, which removes the lock file and releases it.  Cooperative:
 * it keeps out only writers that take the same lock. */
dm_err dm_lock_file(int *fd_out, const char *path, unsigned timeout_ms);
void dm_unlock_file(int fd, const char *path);
/* The most dm_read_file reads: every file dm reads whole (configuration,
 * kubeconfig, token files, aliases, mc's config.json, driver facts) is small,
 * and a link to /dev/zero must not fill the memory. */
#define DM_READ_FILE_MAX ((size_t)16 << 20)
/* Reads a whole file of at most DM_READ_FILE_MAX bytes; *out malloc'd and
 * NUL-terminated.  A larger one fails with DM_ERR_IO, "cannot read 'PATH':
 * larger than 16 MiB"; a missing one with DM_ERR_NOTFOUND. */
dm_err dm_read_file(char **out, size_t *outlen, const char *path);

/* Fits `jobs` parallel jobs, each holding per_job file descriptors, beside
 * `fixed` more, to the open-file limit (RLIMIT_NOFILE): when the soft limit is
 * too low it is raised, up to the hard limit; when even that is too low, fewer
 * jobs are returned (at least 1).  *limit (may be NULL) receives the soft limit
 * in force afterwards.  Changes the process's limit: call it from the main
 * thread before the jobs start. */
int dm_fit_jobs_to_fd_limit(int jobs, int per_job, int fixed, unsigned long *limit);

/* Frees a NULL-terminated array of malloc'd strings and the array; NULL is a no-op. */
void dm_strv_free(char **v);

/* Wipes memory the compiler may not optimise away. */
void dm_wipe(void *p, size_t n);
/* Wipes a NUL-terminated string and frees it; NULL is a no-op. */
void dm_free_secret(char *s);

/* MD5 of n bytes into out (16 bytes), through OpenSSL's EVP interface. */
void dm_md5(unsigned char out[16], const void *data, size_t n);
/* MD5 of n messages (data[i], len[i]) into out[i]; the same digests as
 * dm_md5, computed eight at a time in AVX2 lanes where the CPU has them, and
 * two or three at a time interleaved in plain C otherwise (libdm/md5x.c). */
void dm_md5_many(unsigned char (*out)[16], const void *const *data, const size_t *len, size_t n);
/* How many messages dm_md5_many hashes in AVX2 lanes here: 8, or 1 without
 * AVX2 or with DM_MD5_SCALAR=1 in the environment. */
int dm_md5_many_lanes(void);
/* Where dm_md5_many_read takes its messages from: a pointer to n bytes of
 * message i at offset off, valid until the next call for message i, or NULL
 * to stop.  Offsets go up; n is at most DM_MD5_CHUNK. */
typedef const void *(*dm_md5_reader)(void *arg, size_t i, uint64_t off, size_t n);
#define DM_MD5_CHUNK ((size_t)1 << 20)
/* dm_md5_many over n messages of len[i] bytes read piecewise through read;
 * 0, or -1 when read returned NULL (out is then undefined). */
int dm_md5_many_read(unsigned char (*out)[16], const uint64_t *len, size_t n, dm_md5_reader read, void *arg);

/* Monotonic clock in seconds. */
double dm_now(void);

#ifdef __cplusplus
}
#endif
#endif
