/* fuzz_s3_xml: the S3 XML reply parsers of libdm/s3/xml.h - Error,
 * InitiateMultipartUploadResult, CompleteMultipartUploadResult,
 * ListBucketResult (plain and encoding-type=url) and
 * ListMultipartUploadsResult - each run on every input.
 *
 * The output buffers are heap blocks of exactly the documented sizes, so that
 * a write past them is caught by AddressSanitizer. */
#include <dm/err.h>
#include <dm/s3.h>

#include "s3/xml.h"
#include "fuzz_common.h"

static char *block(size_t n)
{
	char *p = malloc(n);

	if (!p)
		abort();
	memset(p, 'x', n);
	return p;
}

static void check_str(const char *s, size_t cap, const char *what)
{
	FUZZ_CHECK(memchr(s, '\0', cap) != NULL, "%s is not NUL-terminated within %zu bytes", what, cap);
}

static void fuzz_error(const char *xml, size_t len)
{
	char *code = block(32), *msg = block(256), *reqid = block(64);

	if (dm_s3_xml_error(xml, len, code, 32, msg, 256, reqid, 64)) {
		check_str(code, 32, "Code");
		check_str(msg, 256, "Message");
		check_str(reqid, 64, "RequestId");
	}
	free(code);
	free(msg);
	free(reqid);
	/* one-byte buffers: only room for the terminator */
	code = block(1);
	msg = block(1);
	reqid = block(1);
	if (dm_s3_xml_error(xml, len, code, 1, msg, 1, reqid, 1))
		FUZZ_CHECK(!code[0] && !msg[0] && !reqid[0], "one-byte buffers hold more than a terminator");
	free(code);
	free(msg);
	free(reqid);
}

static void fuzz_upload_id(const char *xml, size_t len)
{
	char *id = NULL;

	if (dm_s3_xml_upload_id(xml, len, &id) == DM_OK)
		FUZZ_CHECK(id != NULL, "ok without an UploadId");
	free(id);
	dm_err_clear();
}

static void fuzz_complete(const char *xml, size_t len)
{
	char *etag = block(80);

	if (dm_s3_xml_complete(xml, len, etag) == DM_OK)
		check_str(etag, 80, "ETag");
	free(etag);
	dm_err_clear();
}

static void fuzz_list(const char *xml, size_t len)
{
	dm_s3_page page = { NULL, 0 };
	char *next = NULL;
	dm_err e = dm_s3_xml_list(xml, len, &page, &next);

	if (e == DM_OK) {
		for (size_t i = 0; i < page.n; i++) {
			FUZZ_CHECK(page.items[i].key != NULL, "item %zu without a key", i);
			FUZZ_CHECK(page.items[i].key[0] && dm_utf8_valid(page.items[i].key, strlen(page.items[i].key)),
				   "item %zu: an empty key or one that is not UTF-8", i);
			check_str(page.items[i].etag, sizeof(page.items[i].etag), "ETag");
		}
		FUZZ_CHECK(!next || next[0], "empty continuation token");
	} else {
		FUZZ_CHECK(page.n == 0 && page.items == NULL, "failed list left %zu items", page.n);
		FUZZ_CHECK(next == NULL, "failed list left a token");
	}
	dm_s3_page_release(&page);
	free(next);
	dm_err_clear();
}

static void fuzz_uploads(const char *xml, size_t len)
{
	dm_s3_upload *u = NULL;
	size_t n = 0;
	char *nk = NULL, *ni = NULL;

	if (dm_s3_xml_uploads(xml, len, &u, &n, &nk, &ni) == DM_OK) {
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(u[i].key && u[i].upload_id, "upload %zu without key or id", i);
		dm_s3_uploads_free(u, n);
	}
	free(nk);
	free(ni);
	dm_err_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy: a read past the end is a finding */
	char *xml = malloc(size ? size : 1);

	if (!xml)
		abort();
	if (size)
		memcpy(xml, data, size);
	fuzz_error(xml, size);
	fuzz_upload_id(xml, size);
	fuzz_complete(xml, size);
	fuzz_list(xml, size);
	fuzz_uploads(xml, size);
	free(xml);
	return 0;
}
