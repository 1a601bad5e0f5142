/* libdm/err.c - dm_err names and the per-thread detail. */
#include <stdio.h>
#include <string.h>

#include <dm/err.h>
#include <dm/log.h>

#define DETAIL_MAX 2048

static _Thread_local char detail[DETAIL_MAX];
static _Thread_local dm_hint hint_id;
static _Thread_local unsigned long long hint_n;
static dm_hint_text_fn hint_text;

const char *dm_strerror(dm_err err)
{
	switch (err) {
	case DM_OK: return "ok";
	case DM_ERR_NOMEM: return "out of memory";
	case DM_ERR_USAGE: return "bad usage";
	case DM_ERR_CONFIG: return "bad configuration";
	case DM_ERR_IO: return "file system error";
	case DM_ERR_NET: return "network error";
	case DM_ERR_TLS: return "TLS error";
	case DM_ERR_AUTH: return "authentication failed";
	case DM_ERR_HTTP: return "unexpected HTTP reply";
	case DM_ERR_NOTFOUND: return "not found";
	case DM_ERR_FORBIDDEN: return "permission denied";
	case DM_ERR_CHECKSUM: return "checksum mismatch";
	case DM_ERR_PARSE: return "malformed reply";
	case DM_ERR_TIMEOUT: return "timed out";
	case DM_ERR_PARTIAL: return "some items failed";
	case DM_ERR_INTERRUPTED: return "interrupted";
	case DM_ERR_PROC: return "child process failed";
	case DM_ERR_UNSUPPORTED: return "not supported here";
	case DM_ERR_INVALID: return "invalid input";
	}
	return "unknown error";
}

const char *dm_err_name(dm_err err)
{
	static const char *const names[] = { "ok",          "nomem",    "usage",       "config",  "io",
					     "net",         "tls",      "auth",        "http",    "notfound",
					     "forbidden",   "checksum", "parse",       "timeout", "partial",
					     "interrupted", "proc",     "unsupported", "invalid" };

	return (unsigned)err < sizeof(names) / sizeof(names[0]) ? names[err] : "unknown";
}

/* The detail is the message, then the hint's wording; both redacted. */
static dm_err vfail_hint(dm_err err, dm_hint hint, unsigned long long n, const char *fmt, va_list ap)
{
	char raw[DETAIL_MAX];
	size_t len;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	len = strlen(raw);
	if (hint != DM_HINT_NONE)
		dm_hint_text(hint, n, raw + len, sizeof(raw) - len);
	dm_redact(detail, sizeof(detail), raw);
	hint_id = hint;
	hint_n = n;
	return err;
}

dm_err dm_fail_hint(dm_err err, dm_hint hint, unsigned long long n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_hint(err, hint, n, fmt, ap);
	va_end(ap);
	return err;
}

void dm_err_set_hint_text(dm_hint_text_fn fn)
{
	hint_text = fn;
}

const char *dm_hint_text(dm_hint hint, unsigned long long n, char *out, size_t size)
{
	if (!size)
		return out;
	out[0] = '\0';
	if (hint != DM_HINT_NONE && hint_text)
		hint_text(hint, n, out, size);
	out[size - 1] = '\0';
	return out;
}

dm_hint dm_err_hint(unsigned long long *n)
{
	if (n)
		*n = hint_n;
	return hint_id;
}

dm_err dm_fail(dm_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_hint(err, DM_HINT_NONE, 0, fmt, ap);
	va_end(ap);
	return err;
}

dm_err dm_nomem(void)
{
	return dm_fail(DM_ERR_NOMEM, "out of memory");
}

const char *dm_err_detail(void)
{
	return detail;
}

void dm_err_clear(void)
{
	detail[0] = '\0';
	hint_id = DM_HINT_NONE;
	hint_n = 0;
}
