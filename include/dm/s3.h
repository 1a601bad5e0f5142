/* dm/s3.h - a small S3 client: path-style requests signed with SigV4 over libcurl.
 *
 * One dm_s3 serves many threads at once: each request borrows a curl handle
 * from the client's pool, so connections are reused.  Every call is
 * thread-safe.  Failed requests that are worth retrying (5xx, SlowDown,
 * RequestTimeout, resets, timeouts) are retried with exponential backoff and
 * full jitter, up to cfg.retries times; authentication errors never are.
 * A body the server refused (BadDigest: it did not match its Content-MD5)
 * comes back as DM_ERR_CHECKSUM at once, for the caller to read its source
 * again and resend (dm_s3_retries says how often).
 * Every reply is bounded (libdm/http.c): at most 64 MiB, under 1 KiB/s for
 * 30 s fails the try (retried once more at most), and a request without an
 * object's bytes has 60 s in all.
 */
#ifndef DM_S3_H
#define DM_S3_H

#include <stddef.h>
#include <stdint.h>
#include <dm/err.h>
#include <dm/util.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DM_S3_MAX_PARTS 10000
#define DM_S3_MIN_PART (5ULL << 20)
#define DM_S3_MAX_PART (5ULL << 30)
#define DM_S3_MAX_OBJECT (5ULL << 40)
#define DM_S3_MAX_KEY 1024

typedef struct {
	const char *endpoint; /* "http://127.0.0.1:7480" */
	const char *access_key;
	const char *secret_key;
	const char *session_token; /* NULL: none */
	const char *region;        /* NULL: us-east-1 */
	const char *ca_file;       /* NULL: $SSL_CERT_FILE or the system store */
	int insecure;              /* skip certificate checks */
	int retries;               /* retries after the first try; default (-1) 5 */
	long connect_timeout_ms;   /* 0: 10 s */
	const char *alias;         /* name used in messages ("authentication failed for alias 'x'") */
} dm_s3_config;
/* clang-format off */
#define DM_S3_CONFIG_INIT { .retries = -1 } /* every other field 0 or NULL: the defaults above */
/* clang-format on */

typedef struct dm_s3 dm_s3;

dm_err dm_s3_new(dm_s3 **out, const dm_s3_config *cfg);
void dm_s3_free(dm_s3 *s3);

/* S3's bucket naming rules: 3-63 of [a-z0-9.-], starts and ends alphanumeric,
 * no "..", not an IP address, no "xn--" prefix, no "-s3alias" suffix.
 * On failure the detail says which rule. */
dm_err dm_s3_bucket_name_check(const char *bucket);

/* HEAD bucket: DM_OK, DM_ERR_NOTFOUND, DM_ERR_AUTH, DM_ERR_FORBIDDEN ... */
dm_err dm_s3_bucket_head(dm_s3 *s3, const char *bucket);
/* Creates the bucket; one we already own is not an error. */
dm_err dm_s3_bucket_create(dm_s3 *s3, const char *bucket);

/* The bytes of request bodies (PUT objects and parts) curl has taken to send on this
 * handle since dm_s3_new, as they go: a part's bytes advance while it is sent; a body
 * sent again (a retry) counts again.  Thread-safe. */
uint64_t dm_s3_bytes_sent(dm_s3 *s3);

/* The Content-Type of an object from its file's name (the extension after the last '.',
 * any case), as Debian's /etc/mime.types (package media-types) says, read once; when that
 * file is missing, a small table of the common types of a data lake (csv, json, parquet,
 * md ...).  DM_S3_DEFAULT_CONTENT_TYPE when the extension is unknown.  Thread-safe; the
 * string lives as long as the process. */
#define DM_S3_DEFAULT_CONTENT_TYPE "application/octet-stream"
const char *dm_s3_content_type(const char *name);

/* PUT object from memory with Content-MD5 (md5 = the 16-byte digest of data) and
 * Content-Type content_type (NULL: DM_S3_DEFAULT_CONTENT_TYPE).
 * etag_out (>= 80 bytes, may be NULL) receives the ETag without quotes. */
dm_err dm_s3_put(dm_s3 *s3, const char *bucket, const char *key, const void *data, size_t len,
		 const unsigned char md5[16], const char *content_type, char *etag_out);

/* Multipart upload. upload_id is malloc'd (free()).  content_type (NULL:
 * DM_S3_DEFAULT_CONTENT_TYPE) is the object's, stored when the upload starts. */
dm_err dm_s3_mpu_init(dm_s3 *s3, const char *bucket, const char *key, const char *content_type, char **upload_id);
dm_err dm_s3_mpu_part(dm_s3 *s3, const char *bucket, const char *key, const char *upload_id, int part_number,
		      const void *data, size_t len, const unsigned char md5[16], char *etag_out);
/* etags[i] is part i+1's ETag (without quotes). etag_out may receive "" (RGW): HEAD then. */
dm_err dm_s3_mpu_complete(dm_s3 *s3, const char *bucket, const char *key, const char *upload_id, char *const *etags,
			  int nparts, char *etag_out);
dm_err dm_s3_mpu_abort(dm_s3 *s3, const char *bucket, const char *key, const char *upload_id);

typedef struct {
	char *key;
	char *upload_id;
	double initiated; /* seconds since the epoch by the server's clock; -1 when not given */
} dm_s3_upload;
/* Lists multipart uploads in progress under prefix. Free with dm_s3_uploads_free. */
dm_err dm_s3_mpu_list(dm_s3 *s3, const char *bucket, const char *prefix, dm_s3_upload **out, size_t *n);
void dm_s3_uploads_free(dm_s3_upload *u, size_t n);

typedef struct {
	char *key;
	uint64_t size;
	char etag[80]; /* without quotes */
} dm_s3_object;

/* One page of ListObjectsV2 (keys in byte order).  *token (in/out) is the
 * continuation token: pass NULL first; NULL back means the listing is done. */
typedef struct {
	dm_s3_object *items;
	size_t n;
} dm_s3_page;
dm_err dm_s3_list_page(dm_s3 *s3, const char *bucket, const char *prefix, char **token, dm_s3_page *out);
void dm_s3_page_release(dm_s3_page *p);

/* HEAD object: size and ETag (either may be NULL). */
dm_err dm_s3_head(dm_s3 *s3, const char *bucket, const char *key, uint64_t *size, char *etag_out);
/* DELETE object (missing is not an error). */
dm_err dm_s3_delete(dm_s3 *s3, const char *bucket, const char *key);

/* The multipart part size dm uses for a file of this size: a pure function so a
 * later run recomputes the same ETag: 8 MiB, doubled until the file fits in
 * 10,000 parts, capped at 5 GiB. */
uint64_t dm_s3_part_size(uint64_t file_size);

/* How many parts of part_size bytes hold file_size bytes: ceil(file_size /
 * part_size), the last part the remainder (never an empty part, so a size that
 * is an exact multiple has exactly file_size / part_size parts).  The one home
 * of this arithmetic: the upload plan and every local ETag use it.  0 for an
 * empty file or a part_size of 0. */
uint64_t dm_s3_part_count(uint64_t file_size, uint64_t part_size);

/* The retries after the first try this client makes (cfg.retries): callers
 * that retry a whole operation themselves (a BadDigest upload read again) keep
 * within the same budget. */
int dm_s3_retries(const dm_s3 *s3);

/* The multipart ETag "hex(md5(md5_1 || ... || md5_n))-n" into out (>= 48 bytes). */
void dm_s3_multipart_etag(char *out, const unsigned char (*part_md5s)[16], size_t nparts);

#ifdef __cplusplus
}
#endif
#endif
