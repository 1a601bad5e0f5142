/* libdm/s3/client.c - S3 requests: signing, a pool of reused curl handles,
 * retries with full jitter, error replies turned into dm_err with detail. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <dm/log.h>
#include <dm/s3.h>
#include <dm/sigv4.h>

#include "http.h"
#include "xml.h"

#define POOL_MAX 256
#define BACKOFF_BASE_MS 100
#define BACKOFF_CAP_MS 8000

/* A curl handle with the socket of its connection (dm_http_track_socket). */
typedef struct {
	CURL *h;
	curl_socket_t fd;
} conn;

struct dm_s3 {
	char *endpoint; /* scheme://host:port */
	char *host;     /* host:port as sent in Host */
	char *access_key, *secret_key, *session_token, *region, *ca_file, *alias;
	dm_http_opts http;
	int retries;
	pthread_mutex_t lock;
	conn *pool[POOL_MAX];
	int npool;
	/* the signing key of key_date's day (under lock): derived once a day, not per request */
	char key_date[9];
	unsigned char signing_key[32];
	_Atomic uint64_t sent; /* body bytes handed to curl (dm_s3_bytes_sent) */
};

/* The S3 error code ("BucketAlreadyOwnedByYou") of the last failed request on this
 * thread, "" if none: for the callers that tell codes apart. */
static _Thread_local char last_code[64];

dm_err dm_s3_new(dm_s3 **out, const dm_s3_config *cfg)
{
	dm_s3 *s3;
	const char *p;
	size_t n;

	*out = NULL;
	if (!cfg->endpoint || (strncmp(cfg->endpoint, "http://", 7) && strncmp(cfg->endpoint, "https://", 8)))
		return dm_fail(DM_ERR_CONFIG, "endpoint '%s' must start with http:// or https://",
			       cfg->endpoint ? cfg->endpoint : "");
	dm_http_global_init();
	s3 = calloc(1, sizeof(*s3));
	if (!s3)
		return dm_nomem();
	s3->endpoint = strdup(cfg->endpoint);
	n = strlen(s3->endpoint);
	while (n > 0 && s3->endpoint[n - 1] == '/')
		s3->endpoint[--n] = '\0';
	p = strstr(s3->endpoint, "://") + 3;
	if (strchr(p, '/')) {
		dm_s3_free(s3);
		return dm_fail(DM_ERR_CONFIG, "endpoint '%s' must not have a path", cfg->endpoint);
	}
	{
		/* the Host that curl sends, so the signed one is the same: no ":80"/":443" */
		dm_buf host = DM_BUF_INIT;

		if (dm_sigv4_host(&host, s3->endpoint) == DM_OK)
			s3->host = dm_buf_detach(&host);
		dm_buf_release(&host);
	}
	s3->access_key = dm_strdup_null(cfg->access_key);
	s3->secret_key = dm_strdup_null(cfg->secret_key);
	s3->session_token = cfg->session_token && *cfg->session_token ? strdup(cfg->session_token) : NULL;
	s3->region = strdup(cfg->region && *cfg->region ? cfg->region : "us-east-1");
	s3->ca_file = dm_strdup_null(cfg->ca_file);
	s3->alias = strdup(cfg->alias ? cfg->alias : s3->host ? s3->host : "");
	s3->retries = cfg->retries < 0 ? 5 : cfg->retries;
	s3->http.ca_file = s3->ca_file;
	s3->http.insecure = cfg->insecure;
	s3->http.connect_timeout_ms = cfg->connect_timeout_ms;
	pthread_mutex_init(&s3->lock, NULL);
	if (!s3->endpoint || !s3->host || !s3->access_key || !s3->secret_key || !s3->region || !s3->alias ||
	    (cfg->ca_file && !s3->ca_file)) {
		dm_s3_free(s3);
		return dm_nomem();
	}
	dm_log_add_secret(s3->secret_key);
	dm_log_add_secret(s3->session_token);
	*out = s3;
	return DM_OK;
}

static conn *take_handle(dm_s3 *s3)
{
	conn *c = NULL;

	pthread_mutex_lock(&s3->lock);
	if (s3->npool > 0)
		c = s3->pool[--s3->npool];
	pthread_mutex_unlock(&s3->lock);
	if (c)
		return c;
	if (!(c = malloc(sizeof(*c))))
		return NULL;
	if (!(c->h = curl_easy_init())) {
		free(c);
		return NULL;
	}
	c->fd = CURL_SOCKET_BAD;
	return c;
}

static void drop_handle(conn *c)
{
	curl_easy_cleanup(c->h);
	free(c);
}

static void give_handle(dm_s3 *s3, conn *c)
{
	pthread_mutex_lock(&s3->lock);
	if (s3->npool < POOL_MAX) {
		s3->pool[s3->npool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&s3->lock);
	if (c)
		drop_handle(c);
}

void dm_s3_free(dm_s3 *s3)
{
	if (!s3)
		return;
	for (int i = 0; i < s3->npool; i++)
		drop_handle(s3->pool[i]);
	free(s3->endpoint);
	free(s3->host);
	free(s3->access_key);
	dm_free_secret(s3->secret_key);
	dm_free_secret(s3->session_token);
	free(s3->region);
	free(s3->ca_file);
	free(s3->alias);
	dm_wipe(s3->signing_key, sizeof(s3->signing_key));
	pthread_mutex_destroy(&s3->lock);
	free(s3);
}

typedef struct {
	const char *method;
	const char *bucket; /* NULL: service level */
	const char *key;    /* NULL: bucket level */
	const char *query;  /* already encoded, without '?' */
	const void *body;
	size_t body_len;
	const unsigned char *md5; /* Content-MD5 of body, or NULL */
	const char *content_type;
	int sign_body; /* sign the SHA-256 of the body instead of UNSIGNED-PAYLOAD */
	int no_retry;
	dm_http_kind kind; /* its time limits (http.h); SHORT unless said */
} request;

typedef struct {
	long status;
	dm_buf body;
	char etag[80];
	uint64_t content_length;
	int have_length;
	int headers_done;        /* the blank line that ends the headers arrived */
	int tries;               /* tries after the first one (set by perform) */
	const curl_socket_t *fd; /* the transfer's socket, for header_cb */
} reply;

typedef struct {
	const char *data;
	size_t len, off;
	_Atomic uint64_t *sent;
} reader;

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *ud)
{
	reader *r = ud;
	size_t n = size * nmemb;

	if (n > r->len - r->off)
		n = r->len - r->off;
	memcpy(buf, r->data + r->off, n);
	r->off += n;
	*r->sent += n;
	return n;
}

/* curl rewinds the body when it sends the request again on a fresh connection
 * (a kept-alive one the server had closed, or a reset in the middle of the
 * upload); without this, such a PUT failed with CURLE_SEND_FAIL_REWIND, which
 * is not worth a retry, so one reset connection cost the file. */
static int seek_cb(void *ud, curl_off_t offset, int origin)
{
	reader *r = ud;

	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > r->len)
		return CURL_SEEKFUNC_FAIL;
	r->off = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

static size_t header_cb(char *buf, size_t size, size_t nmemb, void *ud)
{
	reply *rep = ud;
	size_t n = size * nmemb;

	if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
		rep->headers_done = 0;
		dm_http_ack_now(*rep->fd); /* the body may be waiting for it */
	} else if ((n == 2 && buf[0] == '\r' && buf[1] == '\n') || (n == 1 && buf[0] == '\n')) {
		rep->headers_done = 1;
	} else if (n > 5 && strncasecmp(buf, "ETag:", 5) == 0) {
		const char *v = buf + 5;
		size_t l;

		while (*v == ' ')
			v++;
		l = (size_t)(buf + n - v);
		while (l > 0 && (v[l - 1] == '\r' || v[l - 1] == '\n' || v[l - 1] == ' '))
			l--;
		if (l >= 2 && v[0] == '"' && v[l - 1] == '"') {
			v++;
			l -= 2;
		}
		if (l >= sizeof(rep->etag))
			l = sizeof(rep->etag) - 1;
		memcpy(rep->etag, v, l);
		rep->etag[l] = '\0';
	} else if (n > 15 && strncasecmp(buf, "Content-Length:", 15) == 0) {
		rep->content_length = strtoull(buf + 15, NULL, 10);
		rep->have_length = 1;
	}
	return n;
}

static int is_auth_code(const char *code)
{
	static const char *const codes[] = {
		"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
		"InvalidToken",       "TokenRefreshRequired",  "AuthorizationHeaderMalformed",
		"InvalidSecurity",    "RequestTimeTooSkewed",  NULL
	};

	for (int i = 0; codes[i]; i++)
		if (strcmp(code, codes[i]) == 0)
			return 1;
	return 0;
}

/* BadDigest and InvalidDigest are not retried here: the body in memory is what
 * the Content-MD5 was computed from, and only the caller can read its source
 * again (dm-seed does, within the same retries: see do_small and do_part). */
static int retryable_status(long status, const char *code)
{
	if (status >= 500)
		return 1;
	if (status == 429 || strcmp(code, "SlowDown") == 0 || strcmp(code, "RequestTimeout") == 0 ||
	    strcmp(code, "InternalError") == 0)
		return 1;
	return 0;
}

static void sleep_backoff(int attempt)
{
	unsigned long cap = BACKOFF_BASE_MS << (attempt < 7 ? attempt : 7);
	unsigned int r;

	if (cap > BACKOFF_CAP_MS)
		cap = BACKOFF_CAP_MS;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (unsigned int)rand();
	usleep((useconds_t)((r % (cap + 1)) * 1000));
}

/* The signing key for amz_date's day, derived when the day changes. */
static dm_err signing_key(dm_s3 *s3, const char *amz_date, unsigned char out[32])
{
	dm_err e = DM_OK;

	pthread_mutex_lock(&s3->lock);
	if (strncmp(s3->key_date, amz_date, 8) != 0) {
		e = dm_sigv4_signing_key(s3->signing_key, s3->secret_key, amz_date, s3->region, "s3");
		if (!e)
			memcpy(s3->key_date, amz_date, 8);
	}
	memcpy(out, s3->signing_key, 32);
	pthread_mutex_unlock(&s3->lock);
	return e;
}

/* What the request names, for messages: 'bucket/key'. */
static void what_of(char *out, size_t n, const request *rq)
{
	if (rq->key)
		snprintf(out, n, "'%s/%s'", rq->bucket, rq->key);
	else if (rq->bucket)
		snprintf(out, n, "bucket '%s'", rq->bucket);
	else
		snprintf(out, n, "the service");
}

static dm_err status_error(dm_s3 *s3, const request *rq, reply *rep)
{
	char code[64], msg[256], reqid[128], what[1200];

	dm_s3_xml_error(rep->body.data, rep->body.len, code, sizeof(code), msg, sizeof(msg), reqid, sizeof(reqid));
	snprintf(last_code, sizeof(last_code), "%s", code);
	what_of(what, sizeof(what), rq);
	if (!*code) {
		if (rep->status == 404)
			snprintf(code, sizeof(code), "NotFound");
		else if (rep->status == 403)
			snprintf(code, sizeof(code), "Forbidden");
		else
			snprintf(code, sizeof(code), "HTTP %ld", rep->status);
	}
	if (is_auth_code(code) || rep->status == 401)
		return dm_fail(DM_ERR_AUTH, "authentication failed for alias '%s' (%s%s%s)", s3->alias, code,
			       *msg ? ": " : "", msg);
	if (rep->status == 404)
		return dm_fail(DM_ERR_NOTFOUND, "%s: %s%s%s", what, code, *msg ? ": " : "", msg);
	if (rep->status == 403)
		return dm_fail(DM_ERR_FORBIDDEN, "%s: access denied (%s%s%s)", what, code, *msg ? ": " : "", msg);
	if (strcmp(code, "BadDigest") == 0 || strcmp(code, "InvalidDigest") == 0)
		return dm_fail(DM_ERR_CHECKSUM, "%s: the server rejected the bytes (%s: Content-MD5 did not match)",
			       what, code);
	return dm_fail(DM_ERR_HTTP, "%s: %s %s%s%s (HTTP %ld%s%s)", what, rq->method, code, *msg ? ": " : "", msg,
		       rep->status, *reqid ? ", request " : "", reqid);
}

/* What stays the same on every try of one request: where it goes and the
 * headers that are signed besides the date.  hs points into md5b64 and hash,
 * so a prepared is not copied once filled in. */
typedef struct {
	dm_buf path; /* "/bucket/key", encoded as it is signed */
	dm_buf url;
	char md5b64[32], hash[65];
	dm_header hs[4];
	size_t nh;
} prepared;

static void prepared_release(prepared *p)
{
	dm_buf_release(&p->url);
	dm_buf_release(&p->path);
}

static dm_err prepare_request(prepared *p, dm_s3 *s3, const request *rq)
{
	dm_err e;

	if ((e = dm_buf_puts(&p->path, "/")))
		return e;
	if (rq->bucket && (e = dm_sigv4_encode(&p->path, rq->bucket, strlen(rq->bucket), 0)))
		return e;
	if (rq->key &&
	    ((e = dm_buf_puts(&p->path, "/")) || (e = dm_sigv4_encode(&p->path, rq->key, strlen(rq->key), 1))))
		return e;
	if ((e = dm_buf_printf(&p->url, "%s%s%s%s", s3->endpoint, p->path.data, rq->query && *rq->query ? "?" : "",
			       rq->query ? rq->query : "")))
		return e;
	if (rq->md5) {
		dm_base64_encode(p->md5b64, rq->md5, 16);
		p->hs[p->nh].name = "Content-MD5";
		p->hs[p->nh++].value = p->md5b64;
	}
	if (rq->content_type) {
		p->hs[p->nh].name = "Content-Type";
		p->hs[p->nh++].value = rq->content_type;
	}
	if (rq->sign_body || !rq->body_len)
		dm_sha256_hex(p->hash, rq->body ? rq->body : "", rq->body_len);
	else
		snprintf(p->hash, sizeof(p->hash), "%s", DM_UNSIGNED_PAYLOAD);
	p->hs[p->nh].name = "x-amz-content-sha256";
	p->hs[p->nh++].value = p->hash;
	return DM_OK;
}

/* The headers of one try, signed anew for it: the signature covers
 * x-amz-date, the time of this try, not of the first. */
static dm_err signed_headers(struct curl_slist **out, dm_s3 *s3, const request *rq, const prepared *p)
{
	struct curl_slist *list = NULL;
	dm_buf authz = DM_BUF_INIT, line = DM_BUF_INIT;
	char date[17];
	dm_sigv4_request sr;
	unsigned char key[32];
	dm_err e;

	*out = NULL;
	dm_sigv4_amz_date(date, (long long)time(NULL));
	memset(&sr, 0, sizeof(sr));
	sr.method = rq->method;
	sr.host = s3->host;
	sr.path = p->path.data;
	sr.query = rq->query;
	sr.headers = p->hs;
	sr.nheaders = p->nh;
	sr.payload_hash = p->hash;
	sr.amz_date = date;
	sr.region = s3->region;
	sr.service = "s3";
	sr.access_key = s3->access_key;
	sr.secret_key = s3->secret_key;
	sr.session_token = s3->session_token;
	e = signing_key(s3, date, key);
	sr.signing_key = key;
	e = e ? e : dm_sigv4_sign(&authz, NULL, NULL, &sr);
	dm_wipe(key, sizeof(key));
	for (size_t i = 0; !e && i < p->nh; i++) {
		dm_buf_clear(&line);
		if (!(e = dm_buf_printf(&line, "%s: %s", p->hs[i].name, p->hs[i].value)))
			list = curl_slist_append(list, line.data);
	}
	if (!e) {
		dm_buf_clear(&line);
		e = dm_buf_printf(&line, "x-amz-date: %s", date);
		list = curl_slist_append(list, line.data);
		dm_buf_clear(&line);
		e = e ? e : dm_buf_printf(&line, "Authorization: %s", authz.data);
		list = curl_slist_append(list, line.data);
		if (s3->session_token) {
			dm_buf_clear(&line);
			e = e ? e : dm_buf_printf(&line, "x-amz-security-token: %s", s3->session_token);
			list = curl_slist_append(list, line.data);
		}
		list = curl_slist_append(list, "Expect:");
	}
	dm_buf_release(&line);
	dm_buf_release(&authz);
	if (e) {
		curl_slist_free_all(list);
		return e;
	}
	*out = list;
	return DM_OK;
}

/* What curl sends for rq->method; rd must outlive the transfer. */
static void set_method(CURL *h, const request *rq, reader *rd)
{
	if (strcmp(rq->method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(h, CURLOPT_READDATA, rd);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_cb);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, rd);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)rq->body_len);
	} else if (strcmp(rq->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
	} else if (strcmp(rq->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(rq->method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	}
}

/* One try of the request.  *sent is 0 when it could not even be sent (no curl
 * handle, or its headers could not be made): perform then gives up at once,
 * since another try would fail the same way.  Otherwise *retry says whether the
 * failure is worth another try. */
static dm_err try_once(dm_s3 *s3, const request *rq, const prepared *p, reply *rep, dm_http_reply *got, int *sent,
		       int *retry)
{
	conn *c = take_handle(s3);
	CURL *h = c ? c->h : NULL;
	struct curl_slist *list = NULL;
	reader rd = { rq->body, rq->body_len, 0, &s3->sent };
	char errbuf[CURL_ERROR_SIZE];
	CURLcode rc;
	dm_err e;

	*sent = 0;
	*retry = 0;
	if (!c)
		return dm_fail(DM_ERR_NOMEM, "cannot create a curl handle");
	curl_easy_reset(h);
	dm_http_setup(h, &s3->http, got, errbuf);
	dm_http_track_socket(h, &c->fd);
	if ((e = signed_headers(&list, s3, rq, p))) {
		give_handle(s3, c);
		return e;
	}
	*sent = 1;
	curl_easy_setopt(h, CURLOPT_URL, p->url.data);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, rep);
	set_method(h, rq, &rd);
	dm_buf_clear(&rep->body);
	rep->etag[0] = '\0';
	rep->status = 0;
	rep->have_length = 0;
	rep->headers_done = 0;
	rep->fd = &c->fd;
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rep->status);
	curl_slist_free_all(list);
	if (rc != CURLE_OK) {
		e = dm_http_fail(rc, errbuf, p->url.data, &s3->http, got);
		*retry = dm_http_retryable(rc, errbuf, got);
		/* a connection that broke is not reused */
		drop_handle(c);
		c = NULL;
	} else if (!rep->headers_done) {
		/* libcurl takes a reply that ends inside its headers as complete; its
		 * ETag or Content-Length may be among the lost lines, so it is a broken
		 * reply like any other, and worth another try */
		e = dm_fail(DM_ERR_NET, "request to %s failed: the reply ended inside its headers", s3->endpoint);
		*retry = 1;
		drop_handle(c);
		c = NULL;
	} else if (rep->status >= 200 && rep->status < 300) {
		e = DM_OK;
	} else {
		char code[64], msg[8], rid[8];

		dm_s3_xml_error(rep->body.data, rep->body.len, code, sizeof(code), msg, sizeof(msg), rid, sizeof(rid));
		e = status_error(s3, rq, rep);
		*retry = retryable_status(rep->status, code);
	}
	if (c)
		give_handle(s3, c);
	return e;
}

/* One request with retries. rep->body holds the reply body (also for errors). */
static dm_err perform(dm_s3 *s3, const request *rq, reply *rep)
{
	prepared p = { .path = DM_BUF_INIT, .url = DM_BUF_INIT };
	dm_http_reply got = { .body = &rep->body, .kind = rq->kind };
	int attempt = 0, sent, retry;
	dm_err e;

	last_code[0] = '\0';
	if ((e = prepare_request(&p, s3, rq)))
		goto done;
	for (;;) {
		e = try_once(s3, rq, &p, rep, &got, &sent, &retry);
		if (!sent)
			goto done;
		if (e == DM_OK || !retry || rq->no_retry || attempt >= s3->retries)
			break;
		dm_debug("retrying %s %s after: %s", rq->method, p.path.data, dm_err_detail());
		sleep_backoff(attempt++);
	}
	rep->tries = attempt;
	if (e && attempt > 0) {
		char detail[2048];

		snprintf(detail, sizeof(detail), "%s", dm_err_detail());
		dm_fail(e, "%s (after %d retries)", detail, attempt);
	}
done:
	prepared_release(&p);
	return e;
}

static void reply_release(reply *rep)
{
	dm_buf_release(&rep->body);
}

dm_err dm_s3_bucket_name_check(const char *b)
{
	size_t n = strlen(b);
	int dots = 0, digits_dots = 1;

	if (n < 3 || n > 63)
		return dm_fail(DM_ERR_INVALID, "invalid bucket name '%s': must be 3 to 63 characters long", b);
	for (size_t i = 0; i < n; i++) {
		char c = b[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
			return dm_fail(DM_ERR_INVALID,
				       "invalid bucket name '%s': only lower-case letters, digits, '.' and '-' are "
				       "allowed",
				       b);
		if (c == '.')
			dots++;
		else if (!(c >= '0' && c <= '9'))
			digits_dots = 0;
	}
	if (!((b[0] >= 'a' && b[0] <= 'z') || (b[0] >= '0' && b[0] <= '9')) ||
	    !((b[n - 1] >= 'a' && b[n - 1] <= 'z') || (b[n - 1] >= '0' && b[n - 1] <= '9')))
		return dm_fail(DM_ERR_INVALID, "invalid bucket name '%s': must start and end with a letter or digit",
			       b);
	if (strstr(b, ".."))
		return dm_fail(DM_ERR_INVALID, "invalid bucket name '%s': must not contain '..'", b);
	if (strstr(b, ".-") || strstr(b, "-."))
		return dm_fail(DM_ERR_INVALID, "invalid bucket name '%s': '.' must not be next to '-'", b);
	if (digits_dots && dots == 3)
		return dm_fail(DM_ERR_INVALID, "invalid bucket name '%s': must not look like an IP address", b);
	if (strncmp(b, "xn--", 4) == 0 || strncmp(b, "sthree-", 7) == 0)
		return dm_fail(DM_ERR_INVALID, "invalid bucket name '%s': reserved prefix", b);
	if (n > 8 && strcmp(b + n - 8, "-s3alias") == 0)
		return dm_fail(DM_ERR_INVALID, "invalid bucket name '%s': reserved suffix '-s3alias'", b);
	return DM_OK;
}

dm_err dm_s3_bucket_head(dm_s3 *s3, const char *bucket)
{
	request rq = { .method = "HEAD", .bucket = bucket };
	reply rep = { 0 };
	dm_err e = perform(s3, &rq, &rep);

	if (e == DM_ERR_FORBIDDEN || e == DM_ERR_HTTP) {
		/* HEAD replies carry no error body: ask again with a GET to learn why */
		request g = { .method = "GET", .bucket = bucket, .query = "list-type=2&max-keys=0" };

		e = perform(s3, &g, &rep);
	}
	reply_release(&rep);
	return e;
}

dm_err dm_s3_bucket_create(dm_s3 *s3, const char *bucket)
{
	request rq = { .method = "PUT", .bucket = bucket };
	reply rep = { 0 };
	dm_buf body = DM_BUF_INIT;
	dm_err e;

	if (strcmp(s3->region, "us-east-1") != 0) {
		dm_buf_printf(&body,
			      "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
			      "<LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>",
			      s3->region);
		rq.body = body.data;
		rq.body_len = body.len;
		rq.sign_body = 1;
	}
	e = perform(s3, &rq, &rep);
	if (e && strcmp(last_code, "BucketAlreadyOwnedByYou") == 0) {
		dm_err_clear();
		e = DM_OK;
	} else if (e && strcmp(last_code, "BucketAlreadyExists") == 0) {
		e = dm_fail(DM_ERR_FORBIDDEN, "bucket '%s' exists and belongs to someone else", bucket);
	}
	reply_release(&rep);
	dm_buf_release(&body);
	return e;
}

uint64_t dm_s3_bytes_sent(dm_s3 *s3)
{
	return s3->sent;
}

dm_err dm_s3_put(dm_s3 *s3, const char *bucket, const char *key, const void *data, size_t len,
		 const unsigned char md5[16], const char *content_type, char *etag_out)
{
	request rq = { .method = "PUT",
		       .bucket = bucket,
		       .key = key,
		       .body = data,
		       .body_len = len,
		       .md5 = md5,
		       .content_type = content_type ? content_type : DM_S3_DEFAULT_CONTENT_TYPE,
		       .kind = DM_HTTP_BODY };
	reply rep = { 0 };
	dm_err e = perform(s3, &rq, &rep);

	if (!e && etag_out)
		snprintf(etag_out, 80, "%s", rep.etag);
	reply_release(&rep);
	return e;
}

/* An initiate that had to be tried again may have created an upload whose
 * reply never arrived (a reset or a truncated answer after the server acted):
 * nothing would ever complete or abort it, and it would hold its parts' space.
 * This lists the uploads of exactly this key and aborts those initiated while
 * the tries went on, by the server's clock counted back from the upload kept
 * (so the two machines' clocks need not agree).  Older uploads of the key (an
 * earlier run's, or another client's) are left alone.  Best effort: it logs,
 * and never fails the upload. */
static void abort_lost_uploads(dm_s3 *s3, const char *bucket, const char *key, const char *keep, double took_s)
{
	dm_buf q = DM_BUF_INIT;
	reply rep = { 0 };
	dm_s3_xml_upload_time *ups = NULL;
	size_t n = 0;
	double kept_at = -1;
	dm_err e = dm_buf_puts(&q, "prefix=");

	e = e ? e : dm_sigv4_encode(&q, key, strlen(key), 0);
	e = e ? e : dm_buf_puts(&q, "&uploads=");
	if (!e) {
		request rq = { .method = "GET", .bucket = bucket, .query = q.data };

		e = perform(s3, &rq, &rep);
	}
	if (!e)
		e = dm_s3_xml_upload_times(rep.body.data, rep.body.len, key, &ups, &n);
	for (size_t i = 0; !e && i < n; i++)
		if (strcmp(ups[i].upload_id, keep) == 0)
			kept_at = ups[i].initiated;
	if (e) {
		dm_warn("'%s/%s': cannot look for multipart uploads lost by a retried start: %s", bucket, key,
			dm_err_detail());
	} else if (kept_at < 0) {
		dm_warn("'%s/%s': cannot tell when the multipart upload started; other uploads of it are left as they "
			"are",
			bucket, key);
	} else {
		/* one second of slack for the server's rounding of Initiated */
		double since = kept_at - took_s - 1;

		for (size_t i = 0; i < n; i++) {
			if (strcmp(ups[i].upload_id, keep) == 0 || ups[i].initiated < since ||
			    ups[i].initiated > kept_at)
				continue;
			if (dm_s3_mpu_abort(s3, bucket, key, ups[i].upload_id) == DM_OK)
				dm_debug("'%s/%s': aborted multipart upload %s, started by a try whose reply was lost",
					 bucket, key, ups[i].upload_id);
			else
				dm_warn("'%s/%s': cannot abort multipart upload %s, started by a try whose reply was "
					"lost: %s",
					bucket, key, ups[i].upload_id, dm_err_detail());
		}
	}
	dm_s3_xml_upload_times_free(ups, n);
	reply_release(&rep);
	dm_buf_release(&q);
}

dm_err dm_s3_mpu_init(dm_s3 *s3, const char *bucket, const char *key, const char *content_type, char **upload_id)
{
	/* the object's type is stored when the upload starts; without one, curl would send its
	 * form default (application/x-www-form-urlencoded) and the server would keep that */
	request rq = { .method = "POST",
		       .bucket = bucket,
		       .key = key,
		       .query = "uploads=",
		       .content_type = content_type ? content_type : DM_S3_DEFAULT_CONTENT_TYPE };
	reply rep = { 0 };
	double start = dm_now();
	dm_err e = perform(s3, &rq, &rep);

	*upload_id = NULL;
	if (!e)
		e = dm_s3_xml_upload_id(rep.body.data, rep.body.len, upload_id);
	if (!e && rep.tries > 0)
		abort_lost_uploads(s3, bucket, key, *upload_id, dm_now() - start);
	reply_release(&rep);
	return e;
}

static dm_err upload_query(dm_buf *q, const char *upload_id, int part)
{
	dm_err e = part > 0 ? dm_buf_printf(q, "partNumber=%d&uploadId=", part) : dm_buf_puts(q, "uploadId=");

	return e ? e : dm_sigv4_encode(q, upload_id, strlen(upload_id), 0);
}

dm_err dm_s3_mpu_part(dm_s3 *s3, const char *bucket, const char *key, const char *upload_id, int part_number,
		      const void *data, size_t len, const unsigned char md5[16], char *etag_out)
{
	dm_buf q = DM_BUF_INIT;
	reply rep = { 0 };
	dm_err e = upload_query(&q, upload_id, part_number);

	if (!e) {
		request rq = { .method = "PUT",
			       .bucket = bucket,
			       .key = key,
			       .query = q.data,
			       .body = data,
			       .body_len = len,
			       .md5 = md5,
			       .kind = DM_HTTP_BODY };

		e = perform(s3, &rq, &rep);
	}
	if (!e && etag_out)
		snprintf(etag_out, 80, "%s", rep.etag);
	if (!e && !rep.etag[0])
		e = dm_fail(DM_ERR_PARSE, "'%s/%s': part %d reply has no ETag", bucket, key, part_number);
	reply_release(&rep);
	dm_buf_release(&q);
	return e;
}

dm_err dm_s3_mpu_complete(dm_s3 *s3, const char *bucket, const char *key, const char *upload_id, char *const *etags,
			  int nparts, char *etag_out)
{
	dm_buf q = DM_BUF_INIT, body = DM_BUF_INIT;
	reply rep = { 0 };
	dm_err e = upload_query(&q, upload_id, 0);

	if (!e)
		e = dm_buf_puts(&body, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
	for (int i = 0; !e && i < nparts; i++)
		e = dm_buf_printf(&body, "<Part><PartNumber>%d</PartNumber><ETag>\"%s\"</ETag></Part>", i + 1,
				  etags[i]);
	if (!e)
		e = dm_buf_puts(&body, "</CompleteMultipartUpload>");
	if (!e) {
		request rq = { .method = "POST",
			       .bucket = bucket,
			       .key = key,
			       .query = q.data,
			       .body = body.data,
			       .body_len = body.len,
			       .content_type = "application/xml",
			       .sign_body = 1,
			       .kind = DM_HTTP_SLOW };

		e = perform(s3, &rq, &rep);
	}
	if (!e) {
		char code[64], msg[256], rid[128];

		/* S3 may answer 200 and put the error in the body */
		if (dm_s3_xml_error(rep.body.data, rep.body.len, code, sizeof(code), msg, sizeof(msg), rid,
				    sizeof(rid)))
			e = dm_fail(DM_ERR_HTTP, "'%s/%s': CompleteMultipartUpload failed: %s: %s", bucket, key, code,
				    msg);
		else
			e = dm_s3_xml_complete(rep.body.data, rep.body.len, etag_out ? etag_out : (char[80]){ 0 });
	}
	reply_release(&rep);
	dm_buf_release(&q);
	dm_buf_release(&body);
	return e;
}

dm_err dm_s3_mpu_abort(dm_s3 *s3, const char *bucket, const char *key, const char *upload_id)
{
	dm_buf q = DM_BUF_INIT;
	reply rep = { 0 };
	dm_err e = upload_query(&q, upload_id, 0);

	if (!e) {
		request rq = { .method = "DELETE", .bucket = bucket, .key = key, .query = q.data };

		e = perform(s3, &rq, &rep);
	}
	if (e == DM_ERR_NOTFOUND) {
		dm_err_clear();
		e = DM_OK;
	}
	reply_release(&rep);
	dm_buf_release(&q);
	return e;
}

dm_err dm_s3_mpu_list(dm_s3 *s3, const char *bucket, const char *prefix, dm_s3_upload **out, size_t *n)
{
	dm_s3_upload *all = NULL;
	size_t total = 0;
	char *next_key = NULL, *next_id = NULL;
	dm_err e = DM_OK;

	*out = NULL;
	*n = 0;
	do {
		dm_buf q = DM_BUF_INIT;
		reply rep = { 0 };
		dm_s3_upload *page = NULL;
		size_t np = 0;

		e = dm_buf_puts(&q, "uploads=");
		if (!e && prefix && *prefix) {
			e = dm_buf_puts(&q, "&prefix=");
			e = e ? e : dm_sigv4_encode(&q, prefix, strlen(prefix), 0);
		}
		if (!e && next_key) {
			e = dm_buf_puts(&q, "&key-marker=");
			e = e ? e : dm_sigv4_encode(&q, next_key, strlen(next_key), 0);
			if (!e && next_id) {
				e = dm_buf_puts(&q, "&upload-id-marker=");
				e = e ? e : dm_sigv4_encode(&q, next_id, strlen(next_id), 0);
			}
		}
		free(next_key);
		free(next_id);
		next_key = next_id = NULL;
		if (!e) {
			request rq = { .method = "GET", .bucket = bucket, .query = q.data };

			e = perform(s3, &rq, &rep);
		}
		if (!e)
			e = dm_s3_xml_uploads(rep.body.data, rep.body.len, &page, &np, &next_key, &next_id);
		if (!e && np) {
			dm_s3_upload *grown = realloc(all, (total + np) * sizeof(*grown));

			if (!grown) {
				e = dm_nomem();
				dm_s3_uploads_free(page, np);
			} else {
				all = grown;
				memcpy(all + total, page, np * sizeof(*page));
				total += np;
				free(page);
			}
		} else {
			free(page);
		}
		reply_release(&rep);
		dm_buf_release(&q);
	} while (!e && next_key);
	free(next_key);
	free(next_id);
	if (e) {
		dm_s3_uploads_free(all, total);
		return e;
	}
	*out = all;
	*n = total;
	return DM_OK;
}

dm_err dm_s3_list_page(dm_s3 *s3, const char *bucket, const char *prefix, char **token, dm_s3_page *out)
{
	dm_buf q = DM_BUF_INIT;
	reply rep = { 0 };
	char *next = NULL;
	dm_err e = DM_OK;

	out->items = NULL;
	out->n = 0;
	if (*token) {
		e = dm_buf_puts(&q, "continuation-token=");
		e = e ? e : dm_sigv4_encode(&q, *token, strlen(*token), 0);
		e = e ? e : dm_buf_puts(&q, "&");
	}
	e = e ? e : dm_buf_puts(&q, "encoding-type=url&list-type=2&max-keys=1000");
	if (!e && prefix && *prefix) {
		e = dm_buf_puts(&q, "&prefix=");
		e = e ? e : dm_sigv4_encode(&q, prefix, strlen(prefix), 0);
	}
	if (!e) {
		request rq = { .method = "GET", .bucket = bucket, .query = q.data };

		e = perform(s3, &rq, &rep);
	}
	if (!e)
		e = dm_s3_xml_list(rep.body.data, rep.body.len, out, &next);
	free(*token);
	*token = next;
	reply_release(&rep);
	dm_buf_release(&q);
	return e;
}

dm_err dm_s3_head(dm_s3 *s3, const char *bucket, const char *key, uint64_t *size, char *etag_out)
{
	request rq = { .method = "HEAD", .bucket = bucket, .key = key };
	reply rep = { 0 };
	dm_err e = perform(s3, &rq, &rep);

	if (!e) {
		if (size)
			*size = rep.content_length;
		if (etag_out)
			snprintf(etag_out, 80, "%s", rep.etag);
	}
	reply_release(&rep);
	return e;
}

dm_err dm_s3_delete(dm_s3 *s3, const char *bucket, const char *key)
{
	request rq = { .method = "DELETE", .bucket = bucket, .key = key };
	reply rep = { 0 };
	dm_err e = perform(s3, &rq, &rep);

	if (e == DM_ERR_NOTFOUND) {
		dm_err_clear();
		e = DM_OK;
	}
	reply_release(&rep);
	return e;
}

uint64_t dm_s3_part_size(uint64_t file_size)
{
	uint64_t part = 8ULL << 20;

	while (part < DM_S3_MAX_PART && dm_s3_part_count(file_size, part) > DM_S3_MAX_PARTS)
		part *= 2;
	return part > DM_S3_MAX_PART ? DM_S3_MAX_PART : part;
}

uint64_t dm_s3_part_count(uint64_t file_size, uint64_t part_size)
{
	return part_size ? file_size / part_size + (file_size % part_size != 0) : 0;
}

int dm_s3_retries(const dm_s3 *s3)
{
	return s3->retries;
}

void dm_s3_multipart_etag(char *out, const unsigned char (*part_md5s)[16], size_t nparts)
{
	unsigned char md[16];

	dm_md5(md, part_md5s, nparts * 16);
	dm_hex(out, md, 16);
	sprintf(out + 32, "-%zu", nparts);
}
