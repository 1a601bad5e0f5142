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
#include <stddef.h>

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

/* dm_fail(DM_ERR_NOMEM, "out of memory"): `return dm_nomem();` where an allocation failed, so
 * that no failure leaves an earlier error's detail behind. */
dm_err dm_nomem(void);

/* This thread's detail of the last dm_fail (or dm_nomem), "" when none was set
 * since the thread started or since dm_err_clear.  Borrowed: valid until this
 * thread's next dm_fail or dm_err_clear.  Never NULL. */
const char *dm_err_detail(void);

/* Clears this thread's detail (and its hint). */
void dm_err_clear(void);

/* ---- remedy hints ----
 *
 * Many failures have a remedy that is one of the calling tool's flags ("raise --part-size").
 * libdm never names a flag: it records which remedy applies, as a hint id and at most one
 * number, and the tools' layer turns that into its own wording (one table, in the tools).
 * A detail set with dm_fail_hint ends where the hint's text goes: the text starts with its
 * own separator (" (...)", "; ...", ": ..."). */
typedef enum {
	DM_HINT_NONE = 0,
	DM_HINT_PART_SIZE = 1,         /* a file needs more parts than S3 allows: larger parts */
	DM_HINT_DELETE_NEEDS_DIR = 2,  /* deleting stale objects needs a folder as the source */
	DM_HINT_MAX_DELETE = 3,        /* a delete limit refused N deletions; n: the limit that allows them */
	DM_HINT_CONTEXT = 4,           /* no current context: choose one */
	DM_HINT_KUBECONFIG = 5,        /* no kubeconfig: name one, or use the service account */
	DM_HINT_TIMEOUT = 6,           /* a program ran past the time limit the user set */
	DM_HINT_WITH_NEEDS = 7,        /* a component needs another that the flavour does not select */
	DM_HINT_WITH_NEEDS_ADDS = 8,   /* a chosen component is not part of the flavour */
	DM_HINT_ROOT = 9,              /* no platform root found: name one */
	DM_HINT_ROOT_GIVEN = 10,       /* the platform root named by the user is wrong */
	DM_HINT_DELETE_NAMESPACE = 11, /* the namespace is not dm's to delete */
	DM_HINT_SKIP_GPU_CHECK = 12,   /* the GPU check could not run: it can be skipped */
	DM_HINT_SKIP_GPU_REFUSED = 13, /* n components refused for want of a GPU: the check can be skipped */
	DM_HINT_CA_BUNDLE = 14,        /* a server certificate is not trusted: name the CA, or do not check */
	DM_HINT_CUDA = 15,             /* an image dm does not know: name its CUDA version instead */
	DM_HINT_NODE = 16,             /* the node's name is not known: name it */
	DM_HINT_FLAVOUR = 17,          /* no flavour was named and the platform has no default: name one */
	DM_HINT_MIRROR_STOP = 18       /* a registry mirror of another target holds the port: stop it there */
} dm_hint;

/* Writes the wording of a hint into out (size bytes, always terminated): "" without a hint
 * or without wording for it. */
typedef void (*dm_hint_text_fn)(dm_hint hint, unsigned long long n, char *out, size_t size);

/* Sets the process's hint wording (the tools' layer does, once, before any thread starts);
 * NULL: none, details end without hints. */
void dm_err_set_hint_text(dm_hint_text_fn fn);

/* The wording of hint (with n) into out, as the function set above writes it ("" without one).
 * For messages that are not error details (a per-file report line).  Returns out. */
const char *dm_hint_text(dm_hint hint, unsigned long long n, char *out, size_t size);

/* dm_fail, recording the remedy hint (and its number n): the detail is the message followed by
 * the hint's wording, when one is set. */
dm_err dm_fail_hint(dm_err err, dm_hint hint, unsigned long long n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* This thread's hint of the last dm_fail/dm_fail_hint (DM_HINT_NONE after dm_fail), and its
 * number into *n when n is not NULL. */
dm_hint dm_err_hint(unsigned long long *n);

#ifdef __cplusplus
}
#endif
#endif
