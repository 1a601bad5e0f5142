/* libdm/http.h - private: the one libcurl setup shared by the S3 and
 * Kubernetes clients (TLS, timeouts, the bounds on every reply, error mapping).
 */
#ifndef DM_LIBDM_HTTP_H
#define DM_LIBDM_HTTP_H

#include <curl/curl.h>
#include <dm/err.h>
#include <dm/util.h>

typedef struct {
	const char *ca_file;     /* PEM bundle file; NULL: $SSL_CERT_FILE, else the system store */
	const char *ca_pem;      /* PEM text in memory (kubeconfig certificate-authority-data); wins over ca_file */
	int insecure;            /* skip certificate verification */
	const char *cert_file;   /* client certificate (PEM file) */
	const char *key_file;    /* client key (PEM file) */
	const char *cert_pem;    /* client certificate (PEM text in memory) */
	const char *key_pem;     /* client key (PEM text in memory) */
	long connect_timeout_ms; /* 0: 10 s */
} dm_http_opts;
/* clang-format off */
#define DM_HTTP_OPTS_INIT { .ca_file = NULL, .insecure = 0, .connect_timeout_ms = 0 } /* the defaults above */
/* clang-format on */

/* What a request carries decides how long it may take (docs/hardening.md,
 * "Bounds"); every kind has the same cap on the reply's size.
 *   SHORT  a small request and reply (listings, HEAD, DELETE, initiate, every
 *          Kubernetes request): a stall limit and a total time limit;
 *   BODY   an object's or a part's bytes (up to 5 GiB): the stall limit only,
 *          since its time grows with its size;
 *   SLOW   an answer the server may think about for minutes while it sends
 *          blanks to keep the connection open (CompleteMultipartUpload): a
 *          stall is no byte at all for a minute, and the total limit is long. */
typedef enum { DM_HTTP_SHORT = 0, DM_HTTP_BODY, DM_HTTP_SLOW } dm_http_kind;

/* One request's reply, as the shared write callback fills it; it lives across
 * the tries of the request. */
typedef struct {
	dm_buf *body; /* where the reply's body goes (cleared by the caller before each try) */
	dm_http_kind kind;
	int over;       /* set when the body went past the cap (the try then fails) */
	int slow_tries; /* tries that stalled or ran out of time */
} dm_http_reply;

/* Process-wide curl_global_init, once (thread-safe); also reads the test knob
 * $DM_TEST_HTTP_LIMITS (docs/hardening.md). */
void dm_http_global_init(void);

/* Applies TLS, the connect timeout, the stall and total time limits of
 * rep->kind, keep-alive, the error buffer and the capped write callback into
 * rep->body to a fresh or reset easy handle.  errbuf must have CURL_ERROR_SIZE
 * bytes; errbuf and rep must outlive the transfer. */
dm_err dm_http_setup(CURL *h, const dm_http_opts *o, dm_http_reply *rep, char *errbuf);

/* Keeps the socket of every connection h opens in *slot (CURLOPT_SOCKOPTFUNCTION):
 * curl names a transfer's socket only once the transfer is over.  The slot
 * outlives resets of h and so still names the connection a later request of h
 * reuses; set it to CURL_SOCKET_BAD before h's first request. */
void dm_http_track_socket(CURL *h, curl_socket_t *slot);

/* Sends the acknowledgement of what has arrived on fd now (TCP_QUICKACK)
 * instead of after the delayed-ACK timer (40 ms on Linux).  A server that writes
 * a reply's headers and its body in two small writes (Ceph RGW does, for every
 * XML reply: listings, initiate, complete) holds the body under Nagle's
 * algorithm until that ACK comes, so each such reply would take 40 ms longer.
 * Called from a header callback when the status line arrives; does nothing for
 * CURL_SOCKET_BAD, and a failure changes nothing but the timing. */
void dm_http_ack_now(curl_socket_t fd);

/* Turns a failed transfer into a dm_err with a clear detail: a bound that was
 * hit names the whole URL ("reply from URL exceeded 64 MiB", "... stalled:
 * under 1 KiB/s for 30 s"); other failures name its host:port only (never
 * credentials) and, for TLS, the CA file used.  rep may be NULL. */
dm_err dm_http_fail(CURLcode rc, const char *errbuf, const char *url, const dm_http_opts *o, const dm_http_reply *rep);

/* Is this failed try worth another (connection reset, timeout, partial
 * reply)?  A reply over the cap never is; a try that stalled or ran out of
 * time is retried once, not again: a server that drips does not speed up.
 * Counts rep->slow_tries (rep may be NULL). */
int dm_http_retryable(CURLcode rc, const char *errbuf, dm_http_reply *rep);

#endif
