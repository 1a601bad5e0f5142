/* dm/err.h - the one error enum of libdm, and the human detail kept beside it.
 *
 * Every libdm function that can fail returns a dm_err.  The detail (which
 * file, which key, which HTTP status) is kept per thread, like errno, and is
 * read with dm_err_detail() right after the failing call.  The enum only ever
 * grows: values are never renumbered or reused.
 */
#ifndef DM_ERR_H
#define DM_ERR_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	DM_OK = 0,
	DM_ERR_NOMEM = 1,        /* out of memory */
	DM_ERR_USAGE = 2,        /* bad flag or argument from the user */
	DM_ERR_CONFIG = 3,       /* bad configuration file, key or value */
	DM_ERR_IO = 4,           /* local file system */
	DM_ERR_NET = 5,          /* cannot connect, reset, DNS */
	DM_ERR_TLS = 6,          /* certificate not trusted, handshake */
	DM_ERR_AUTH = 7,         /* credentials rejected (401/403 on auth) */
	DM_ERR_HTTP = 8,         /* unexpected HTTP status */
	DM_ERR_NOTFOUND = 9,     /* object, secret, file not found */
	DM_ERR_FORBIDDEN = 10,   /* authenticated but not allowed */
	DM_ERR_CHECKSUM = 11,    /* bytes did not arrive intact */
	DM_ERR_PARSE = 12,       /* malformed reply (XML, JSON) */
	DM_ERR_TIMEOUT = 13,     /* a wait ran out */
	DM_ERR_PARTIAL = 14,     /* some items failed, others succeeded */
	DM_ERR_INTERRUPTED = 15, /* stopped by a signal */
	DM_ERR_PROC = 16,        /* a child process failed to start or exited non-zero */
	DM_ERR_UNSUPPORTED = 17, /* not possible here (missing library, driver) */
	DM_ERR_INVALID = 18      /* invalid input data (bad name, too long, not UTF-8) */
} dm_err;

/* A static, never-NULL description of the code. */
const char *dm_strerror(dm_err err);

/* A static, never-NULL short name of the code, stable across releases, for
 * machines ("ok", "nomem", "usage", "config", "io", "net", "tls", "auth",
 * "http", "notfound", "forbidden", "checksum", "parse", "timeout", "partial",
 * "interrupted", "proc", "unsupported", "invalid"; "unknown" outside the enum). */
const char *dm_err_name(dm_err err);

/* Sets this thread's detail from a printf format and returns err, so that a
 * failure reads `return dm_fail(DM_ERR_IO, "cannot read '%s': %s", p, strerror(errno));`.
 * Registered secrets (dm_log_add_secret) are redacted from the detail. */
dm_err dm_fail(dm_err err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
dm_err dm_vfail(dm_err err, const char *fmt, va_list ap);

/* dm_fail(DM_ERR_NOMEM, "out of memory"): `return dm_nomem();` where an allocation failed, so
 * that no failure leaves an earlier error's detail behind. */
dm_err dm_nomem(void);

/* This thread's detail of the last dm_fail (or dm_nomem), "" when none was set
 * since the thread started or since dm_err_clear.  Borrowed: valid until this
 * thread's next dm_fail or dm_err_clear.  Never NULL. */
const char *dm_err_detail(void);

/* Clears this thread's detail. */
void dm_err_clear(void);

#ifdef __cplusplus
}
#endif
#endif
