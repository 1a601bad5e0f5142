/* libdm/http.h - private: the one libcurl setup shared by the S3 and
 * Kubernetes clients (TLS, timeouts, error mapping).
 */
#ifndef DM_LIBDM_HTTP_H
#define DM_LIBDM_HTTP_H

#include <curl/curl.h>
#include <dm/err.h>

typedef struct {
	const char *ca_file;      /* PEM bundle file; NULL: $SSL_CERT_FILE, else the system store */
	const char *ca_pem;       /* PEM text in memory (kubeconfig certificate-authority-data); wins over ca_file */
	int insecure;             /* skip certificate verification */
	const char *cert_file;    /* client certificate (PEM file) */
	const char *key_file;     /* client key (PEM file) */
	const char *cert_pem;     /* client certificate (PEM text in memory) */
	const char *key_pem;      /* client key (PEM text in memory) */
	long connect_timeout_ms;  /* 0: 10 s */
	long low_speed_time_s;    /* abort when under 1 byte/s for this long; 0: 60 s */
} dm_http_opts;
#define DM_HTTP_OPTS_INIT { NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, 0 }

/* Process-wide curl_global_init, once (thread-safe). */
void dm_http_global_init(void);

/* Applies TLS, timeouts, keep-alive and the error buffer to a fresh or reset
 * easy handle.  errbuf must have CURL_ERROR_SIZE bytes and outlive the transfer. */
dm_err dm_http_setup(CURL *h, const dm_http_opts *o, char *errbuf);

/* Turns a failed transfer into a dm_err with a clear detail naming the URL
 * (host:port only; never credentials) and, for TLS, the CA file used. */
dm_err dm_http_fail(CURLcode rc, const char *errbuf, const char *url, const dm_http_opts *o);

/* Is this curl result worth retrying (connection reset, timeout, partial reply)? */
int dm_http_retryable(CURLcode rc);

#endif
