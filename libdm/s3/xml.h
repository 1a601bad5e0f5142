/* libdm/s3/xml.h - private: the S3 XML replies, parsed with libxml2.
 * Exposed to the unit tests and fuzz targets; not part of the public API. */
#ifndef DM_LIBDM_S3_XML_H
#define DM_LIBDM_S3_XML_H

#include <stddef.h>
#include <dm/s3.h>

/* <Error><Code/><Message/><RequestId/></Error>: fields truncated to their sizes. Returns 0 if not an S3 error. */
int dm_s3_xml_error(const char *xml, size_t len, char *code, size_t ncode, char *msg, size_t nmsg, char *reqid,
		    size_t nreqid);
/* The UploadId of an InitiateMultipartUploadResult (malloc'd). */
dm_err dm_s3_xml_upload_id(const char *xml, size_t len, char **upload_id);
/* The ETag of a CompleteMultipartUploadResult (without quotes; "" if absent) into etag (>= 80 bytes). */
dm_err dm_s3_xml_complete(const char *xml, size_t len, char *etag);
/* ListBucketResult: Contents (Key, Size, ETag), NextContinuationToken when IsTruncated.
 * Keys are percent-decoded once when the reply's EncodingType is url, and
 * taken as they are without it; DM_ERR_PARSE (the detail names the key) for a
 * key that is empty, does not decode, or decodes to a NUL byte or non-UTF-8. */
dm_err dm_s3_xml_list(const char *xml, size_t len, dm_s3_page *page, char **next_token);
/* ListMultipartUploadsResult: Upload (Key, UploadId); next_key and next_id are set when truncated. */
dm_err dm_s3_xml_uploads(const char *xml, size_t len, dm_s3_upload **out, size_t *n, char **next_key, char **next_id);

/* ListMultipartUploadsResult: the uploads of exactly key (other keys under the
 * same prefix are left out), each with the time it was initiated in seconds
 * since the epoch by the server's clock (-1 when absent or unreadable). */
typedef struct {
	char *upload_id;
	double initiated;
} dm_s3_xml_upload_time;
dm_err dm_s3_xml_upload_times(const char *xml, size_t len, const char *key, dm_s3_xml_upload_time **out, size_t *n);
void dm_s3_xml_upload_times_free(dm_s3_xml_upload_time *u, size_t n);

#endif
