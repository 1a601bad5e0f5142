/* libdm/err.c - dm_err names and the per-thread detail. */
#include <stdio.h>
#include <string.h>

#include <dm/err.h>
#include <dm/log.h>

#define DETAIL_MAX 2048

static _Thread_local char detail[DETAIL_MAX];

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

dm_err dm_vfail(dm_err err, const char *fmt, va_list ap)
{
	char raw[DETAIL_MAX];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	dm_redact(detail, sizeof(detail), raw);
	return err;
}

dm_err dm_fail(dm_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dm_vfail(err, fmt, ap);
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
}
