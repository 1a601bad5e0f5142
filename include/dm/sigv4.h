/* dm/sigv4.h - AWS Signature Version 4 for S3, on OpenSSL's HMAC/SHA-256.
 *
 * Pure functions: no I/O, thread-safe.  Checked against botocore's vectors
 * (tests/fixtures/sigv4-s3.json) and the worked examples of the AWS documentation.
 */
#ifndef DM_SIGV4_H
#define DM_SIGV4_H

#include <stddef.h>
#include <dm/err.h>
#include <dm/util.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DM_SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define DM_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

typedef struct {
	const char *name;
	const char *value;
} dm_header;

typedef struct {
	const char *method;       /* "PUT" */
	const char *host;         /* "127.0.0.1:7480": the Host header as sent */
	const char *path;         /* already S3-encoded: "/bucket/a%20b.txt" */
	const char *query;        /* raw query as in the URL, without '?'; NULL or "" for none */
	const dm_header *headers; /* extra headers to sign (Content-MD5, x-amz-content-sha256 ...) */
	size_t nheaders;
	const char *payload_hash; /* hex SHA-256 of the body, or DM_UNSIGNED_PAYLOAD */
	const char *amz_date;     /* "20261128T120000Z" */
	const char *region;
	const char *service; /* "s3" */
	const char *access_key;
	const char *secret_key;
	const char *session_token; /* NULL: none; else signed as x-amz-security-token */
	/* optional: dm_sigv4_signing_key() of secret_key for amz_date's day, region
	 * and service, kept by a caller that signs many requests (it saves four of
	 * the five HMACs); NULL: derived from secret_key here */
	const unsigned char *signing_key;
} dm_sigv4_request;

/* The signing key of a day: HMAC-SHA256 chain of "AWS4" secret_key, date
 * (YYYYMMDD, the first 8 characters of an x-amz-date), region, service and
 * "aws4_request".  As secret as the key it comes from: wipe it after use. */
dm_err dm_sigv4_signing_key(unsigned char out[32], const char *secret_key, const char *date, const char *region,
			    const char *service);

/* Appends the S3 encoding of s: RFC 3986 unreserved bytes kept, '/' kept when
 * keep_slash, every other byte as %XX (upper-case hex) of its UTF-8. */
dm_err dm_sigv4_encode(dm_buf *out, const char *s, size_t n, int keep_slash);

/* Appends the Host header value that libcurl sends for url (and that the
 * server signs again): its host[:port] without credentials or path, the port
 * left out when it is the scheme's default (":80" of http://, ":443" of
 * https://), as botocore signs it too.  "http://127.0.0.1:80/b" -> "127.0.0.1". */
dm_err dm_sigv4_host(dm_buf *out, const char *url);

/* Computes the Authorization header value into authz.  When not NULL,
 * canonical and string_to_sign receive those intermediate texts (for tests
 * and --debug; they hold no secret). */
dm_err dm_sigv4_sign(dm_buf *authz, dm_buf *canonical, dm_buf *string_to_sign, const dm_sigv4_request *r);

/* "YYYYMMDDTHHMMSSZ" for the time t (seconds since the epoch, UTC) into out[17]. */
void dm_sigv4_amz_date(char out[17], long long t);

/* Lower-case hex SHA-256 of data into out[65]. */
void dm_sha256_hex(char out[65], const void *data, size_t n);

#ifdef __cplusplus
}
#endif
#endif
