/* libdm/http.c - the one libcurl setup shared by the S3 and Kubernetes clients. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
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

dm_err dm_http_setup(CURL *h, const dm_http_opts *o, char *errbuf)
{
	const char *ca = ca_file_of(o);

	errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, o->low_speed_time_s > 0 ? o->low_speed_time_s : 60L);
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

dm_err dm_http_fail(CURLcode rc, const char *errbuf, const char *url, const dm_http_opts *o)
{
	char where[512];
	const char *why = errbuf && *errbuf ? errbuf : curl_easy_strerror(rc);
	const char *ca = o ? ca_file_of(o) : NULL;

	origin_of(where, sizeof(where), url);
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return dm_fail(DM_ERR_NET, "cannot connect to %s: %s", where, why);
	case CURLE_OPERATION_TIMEDOUT:
		return dm_fail(DM_ERR_TIMEOUT, "no answer from %s in time: %s", where, why);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return dm_fail(DM_ERR_TLS, "certificate not trusted for %s: %s (CA: %s; use --ca-bundle FILE or --insecure)",
			       where, why, o && o->ca_pem ? "certificate-authority-data" : ca ? ca : "system store");
	case CURLE_SSL_CONNECT_ERROR:
		return dm_fail(DM_ERR_TLS, "TLS handshake with %s failed: %s", where, why);
	default:
		return dm_fail(DM_ERR_NET, "request to %s failed: %s", where, why);
	}
}

int dm_http_retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}
