/* libdm/http.c - the one libcurl setup shared by the S3 and Kubernetes clients.
 *
 * Every reply dm reads is bounded here, with libcurl's own mechanisms: its
 * body by a cap in the write callback (a short count ends the transfer), its
 * pace by the low-speed limit (a drip stalls out), and, for the small requests,
 * its whole time by CURLOPT_TIMEOUT_MS.  An object's bytes are never timed as a
 * whole: a 5 GiB part at a modest rate takes many minutes. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http.h"

/* The bounds (docs/hardening.md, "Bounds"); the test knob may change them. */
static size_t reply_max = (size_t)64 << 20;
static long stall_s = 30; /* SHORT and BODY: under stall_bytes/s for this long */
static const long stall_bytes = 1024;
static long total_short_ms = 60000;  /* SHORT: the whole request */
static const long slow_stall_s = 60; /* SLOW: not one byte for this long */
static const long total_slow_ms = 15 * 60000L;

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* DM_TEST_HTTP_LIMITS=reply=SIZE,stall=DURATION,total=DURATION, for tests only:
 * the bounds are hit in seconds, not minutes.  A part that does not parse is
 * ignored. */
static void read_test_knob(void)
{
	const char *env = getenv("DM_TEST_HTTP_LIMITS");
	char buf[256], *save = NULL;
	uint64_t v;

	if (!env || !*env || strlen(env) >= sizeof(buf))
		return;
	snprintf(buf, sizeof(buf), "%s", env);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "reply=", 6) == 0 && dm_parse_size(tok + 6, &v) == DM_OK && v > 0)
			reply_max = (size_t)v;
		else if (strncmp(tok, "stall=", 6) == 0 && dm_parse_duration_ms(tok + 6, &v) == DM_OK && v >= 1000)
			stall_s = (long)(v / 1000);
		else if (strncmp(tok, "total=", 6) == 0 && dm_parse_duration_ms(tok + 6, &v) == DM_OK && v > 0)
			total_short_ms = (long)v;
	}
	dm_err_clear();
}

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	read_test_knob();
}

void dm_http_global_init(void)
{
	pthread_once(&once, global_init);
}

static const char *ca_file_of(const dm_http_opts *o)
{
	const char *env;

	if (o->ca_file && *o->ca_file)
		return o->ca_file;
	env = getenv("SSL_CERT_FILE");
	return env && *env ? env : NULL;
}

static void set_blob(CURL *h, CURLoption opt, const char *pem)
{
	struct curl_blob blob;

	blob.data = (void *)pem;
	blob.len = strlen(pem);
	blob.flags = CURL_BLOB_COPY;
	curl_easy_setopt(h, opt, &blob);
}

/* The one write callback: the body goes into rep->body up to the cap; past
 * it, a short count makes libcurl end the transfer (CURLE_WRITE_ERROR). */
static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	dm_http_reply *rep = ud;
	size_t len = size * n;

	if (rep->body->len + len > reply_max) {
		rep->over = 1;
		return 0;
	}
	return dm_buf_append(rep->body, p, len) == DM_OK ? len : 0;
}

static int keep_socket(void *slot, curl_socket_t fd, curlsocktype purpose)
{
	if (purpose == CURLSOCKTYPE_IPCXN)
		*(curl_socket_t *)slot = fd;
	return CURL_SOCKOPT_OK;
}

void dm_http_track_socket(CURL *h, curl_socket_t *slot)
{
	curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, keep_socket);
	curl_easy_setopt(h, CURLOPT_SOCKOPTDATA, slot);
}

void dm_http_ack_now(curl_socket_t fd)
{
	int one = 1;

	if (fd != CURL_SOCKET_BAD)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

dm_err dm_http_setup(CURL *h, const dm_http_opts *o, dm_http_reply *rep, char *errbuf)
{
	const char *ca = ca_file_of(o);

	errbuf[0] = '\0';
	rep->over = 0;
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, rep);
	switch (rep->kind) {
	case DM_HTTP_SHORT:
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, stall_bytes);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall_s);
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_short_ms);
		break;
	case DM_HTTP_BODY:
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, stall_bytes);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall_s);
		break;
	case DM_HTTP_SLOW:
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, slow_stall_s);
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_slow_ms);
		break;
	}
	/* the path goes out as dm built it: S3 keys may hold "." and ".." segments,
	 * which RFC 3986's dot-segment removal would rewrite into another key */
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	if (o->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	} else {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	}
	if (o->ca_pem)
		set_blob(h, CURLOPT_CAINFO_BLOB, o->ca_pem);
	else if (ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	if (o->cert_pem)
		set_blob(h, CURLOPT_SSLCERT_BLOB, o->cert_pem);
	else if (o->cert_file)
		curl_easy_setopt(h, CURLOPT_SSLCERT, o->cert_file);
	if (o->key_pem)
		set_blob(h, CURLOPT_SSLKEY_BLOB, o->key_pem);
	else if (o->key_file)
		curl_easy_setopt(h, CURLOPT_SSLKEY, o->key_file);
	return DM_OK;
}

/* "scheme://host:port" of url, without credentials or path, into out. */
static void origin_of(char *out, size_t n, const char *url)
{
	const char *p = strstr(url, "://");
	const char *host = p ? p + 3 : url;
	const char *end = host + strcspn(host, "/?#");
	const char *at;

	for (at = end; at > host && *(at - 1) != '@'; at--)
		;
	if (at > host)
		host = at;
	snprintf(out, n, "%.*s%.*s", p ? (int)(p + 3 - url) : 0, url, (int)(end - host), host);
}

/* url without credentials, into out. */
static void url_of(char *out, size_t n, const char *url)
{
	const char *p = strstr(url, "://");
	const char *host = p ? p + 3 : url;
	const char *end = host + strcspn(host, "/?#");
	const char *at = host;

	for (const char *q = host; q < end; q++)
		if (*q == '@')
			at = q + 1;
	snprintf(out, n, "%.*s%s", (int)(host - url), url, at);
}

/* "64 MiB", "512 KiB", "100 bytes" */
static void size_words(char *out, size_t n, size_t v)
{
	if (v >= (1u << 20) && v % (1u << 20) == 0)
		snprintf(out, n, "%zu MiB", v >> 20);
	else if (v >= 1024 && v % 1024 == 0)
		snprintf(out, n, "%zu KiB", v >> 10);
	else
		snprintf(out, n, "%zu bytes", v);
}

/* libcurl's words for its two timeouts after the connection stood (lib/speedcheck.c, lib/multi.c) */
static int stalled(const char *errbuf)
{
	return errbuf && strncmp(errbuf, "Operation too slow", 18) == 0;
}

static int timed_out(const char *errbuf)
{
	return errbuf && strncmp(errbuf, "Operation timed out", 19) == 0;
}

/* A bound of rep that this failure hit, as a dm_err; DM_OK when none was. */
static dm_err bound_fail(CURLcode rc, const char *errbuf, const char *url, const dm_http_reply *rep)
{
	char where[1536], size[32];
	long total_ms = rep->kind == DM_HTTP_SLOW ? total_slow_ms : total_short_ms;

	url_of(where, sizeof(where), url);
	if (rc == CURLE_WRITE_ERROR && rep->over) {
		size_words(size, sizeof(size), reply_max);
		return dm_fail(DM_ERR_HTTP, "reply from %s exceeded %s", where, size);
	}
	if (rc != CURLE_OPERATION_TIMEDOUT)
		return DM_OK;
	if (stalled(errbuf) && rep->kind == DM_HTTP_SLOW)
		return dm_fail(DM_ERR_TIMEOUT, "reply from %s stalled: not one byte for %ld s", where, slow_stall_s);
	if (stalled(errbuf))
		return dm_fail(DM_ERR_TIMEOUT, "reply from %s stalled: under 1 KiB/s for %ld s", where, stall_s);
	if (timed_out(errbuf) && rep->kind != DM_HTTP_BODY) {
		if (total_ms % 1000)
			return dm_fail(DM_ERR_TIMEOUT, "reply from %s took longer than %ld ms", where, total_ms);
		return dm_fail(DM_ERR_TIMEOUT, "reply from %s took longer than %ld s", where, total_ms / 1000);
	}
	return DM_OK;
}

dm_err dm_http_fail(CURLcode rc, const char *errbuf, const char *url, const dm_http_opts *o, const dm_http_reply *rep)
{
	char where[512];
	const char *why = errbuf && *errbuf ? errbuf : curl_easy_strerror(rc);
	const char *ca = o ? ca_file_of(o) : NULL;
	dm_err e = rep ? bound_fail(rc, errbuf, url, rep) : DM_OK;

	if (e)
		return e;
	origin_of(where, sizeof(where), url);
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY: return dm_fail(DM_ERR_NET, "cannot connect to %s: %s", where, why);
	case CURLE_OPERATION_TIMEDOUT: return dm_fail(DM_ERR_TIMEOUT, "no answer from %s in time: %s", where, why);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return dm_fail_hint(DM_ERR_TLS, DM_HINT_CA_BUNDLE, 0, "certificate not trusted for %s: %s (CA: %s)",
				    where, why,
				    o && o->ca_pem ? "certificate-authority-data"
				    : ca           ? ca
						   : "system store");
	case CURLE_SSL_CONNECT_ERROR: return dm_fail(DM_ERR_TLS, "TLS handshake with %s failed: %s", where, why);
	default: return dm_fail(DM_ERR_NET, "request to %s failed: %s", where, why);
	}
}

int dm_http_retryable(CURLcode rc, const char *errbuf, dm_http_reply *rep)
{
	if (rep && rc == CURLE_WRITE_ERROR && rep->over)
		return 0;
	if (rep && rc == CURLE_OPERATION_TIMEDOUT && (stalled(errbuf) || timed_out(errbuf)))
		return ++rep->slow_tries < 2;
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM: return 1;
	default: return 0;
	}
}
