/* tests/unit/test_s3_xml.c - the S3 XML replies (libdm/s3/xml.h), fed with
 * bodies shaped like those AWS S3 and Ceph's RADOS Gateway send. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dm/err.h>
#include "s3/xml.h"

#define LEN(s) (sizeof(s) - 1)

/* ---- InitiateMultipartUpload ---- */

static void test_s3_xml__reads_upload_id_of_initiate_reply(void **state)
{
	static const char xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				  "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
				  "<Bucket>datalake</Bucket><Key>big file.bin</Key>"
				  "<UploadId>2~iCw_lDY8VMsUj5w0bKVwfbbqdf3rVZa</UploadId>"
				  "</InitiateMultipartUploadResult>";
	char *id = NULL;

	(void)state;
	assert_int_equal(dm_s3_xml_upload_id(xml, LEN(xml), &id), DM_OK);
	assert_string_equal(id, "2~iCw_lDY8VMsUj5w0bKVwfbbqdf3rVZa");
	free(id);
}

static void test_s3_xml__initiate_reply_without_upload_id_is_a_parse_error(void **state)
{
	static const char xml[] = "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId></UploadId>"
				  "</InitiateMultipartUploadResult>";
	char *id = (char *)"untouched";

	(void)state;
	assert_int_equal(dm_s3_xml_upload_id(xml, LEN(xml), &id), DM_ERR_PARSE);
	assert_null(id);
	assert_non_null(strstr(dm_err_detail(), "UploadId"));
}

/* ---- CompleteMultipartUpload ---- */

static void test_s3_xml__reads_quoted_etag_of_complete_reply(void **state)
{
	static const char xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				  "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
				  "<Location>http://127.0.0.1:7480/datalake/big%20file.bin</Location>"
				  "<Bucket>datalake</Bucket><Key>big file.bin</Key>"
				  "<ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag>"
				  "</CompleteMultipartUploadResult>";
	char etag[80];

	(void)state;
	assert_int_equal(dm_s3_xml_complete(xml, LEN(xml), etag), DM_OK);
	assert_string_equal(etag, "3858f62230ac3c915f300c664312c11f-9");
}

static void test_s3_xml__reads_entity_quoted_etag_of_complete_reply(void **state)
{
	/* AWS escapes the quotes of the ETag as &quot; */
	static const char xml[] = "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
				  "<ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>"
				  "</CompleteMultipartUploadResult>";
	char etag[80];

	(void)state;
	assert_int_equal(dm_s3_xml_complete(xml, LEN(xml), etag), DM_OK);
	assert_string_equal(etag, "3858f62230ac3c915f300c664312c11f-9");
}

static void test_s3_xml__accepts_rgw_empty_etag_in_complete_reply(void **state)
{
	/* Ceph RGW completes with an empty ETag element: the caller must HEAD */
	static const char xml[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		"<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Location>127.0.0.1:7480/datalake/big.bin</Location><Bucket>datalake</Bucket><Key>big.bin</Key>"
		"<ETag></ETag></CompleteMultipartUploadResult>";
	char etag[80];

	(void)state;
	memset(etag, 'x', sizeof(etag));
	assert_int_equal(dm_s3_xml_complete(xml, LEN(xml), etag), DM_OK);
	assert_string_equal(etag, "");
}

static void test_s3_xml__complete_reply_that_is_an_error_is_a_parse_error(void **state)
{
	/* S3 may answer 200 OK and put an <Error> in the body of a Complete */
	static const char xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				  "<Error><Code>InternalError</Code><Message>We encountered an internal error. "
				  "Please try again.</Message><RequestId>656c76696e6727732072657175657374</RequestId>"
				  "</Error>";
	char etag[80];

	(void)state;
	assert_int_equal(dm_s3_xml_complete(xml, LEN(xml), etag), DM_ERR_PARSE);
	assert_string_equal(etag, "");
}

/* ---- ListObjectsV2 ---- */

static void test_s3_xml__lists_keys_sizes_and_etags(void **state)
{
	static const char xml[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Name>datalake</Name><Prefix>examples/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>"
		"<IsTruncated>false</IsTruncated>"
		"<Contents><Key>examples/iris.csv</Key><LastModified>2026-11-28T12:00:00.000Z</LastModified>"
		"<ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>0</Size>"
		"<StorageClass>STANDARD</StorageClass></Contents>"
		"<Contents><Key>examples/big.bin</Key><LastModified>2026-11-28T12:00:00.000Z</LastModified>"
		"<ETag>\"0f343b0931126a20f133d67c2b018a3b-4\"</ETag><Size>6442450944</Size>"
		"<StorageClass>STANDARD</StorageClass></Contents>"
		"</ListBucketResult>";
	dm_s3_page page;
	char *token = (char *)"untouched";

	(void)state;
	assert_int_equal(dm_s3_xml_list(xml, LEN(xml), &page, &token), DM_OK);
	assert_null(token);
	assert_int_equal(page.n, 2);
	assert_string_equal(page.items[0].key, "examples/iris.csv");
	assert_int_equal(page.items[0].size, 0);
	assert_string_equal(page.items[0].etag, "d41d8cd98f00b204e9800998ecf8427e");
	assert_string_equal(page.items[1].key, "examples/big.bin");
	assert_true(page.items[1].size == 6442450944ULL);
	assert_string_equal(page.items[1].etag, "0f343b0931126a20f133d67c2b018a3b-4");
	dm_s3_page_release(&page);
	assert_int_equal(page.n, 0);
	assert_null(page.items);
}

static void test_s3_xml__decodes_url_encoded_keys(void **state)
{
	/* encoding-type=url: S3 writes a space as '+' (or %20) and a plus as %2B */
	static const char xml[] =
		"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Name>datalake</Name><EncodingType>url</EncodingType>"
		"<IsTruncated>false</IsTruncated>"
		"<Contents><Key>a%20b.txt</Key><Size>1</Size><ETag>\"e\"</ETag></Contents>"
		"<Contents><Key>lead+space+.txt</Key><Size>1</Size><ETag>\"e\"</ETag></Contents>"
		"<Contents><Key>plus%2Bsign.csv</Key><Size>1</Size><ETag>\"e\"</ETag></Contents>"
		"<Contents><Key>per%25cent%2541.txt</Key><Size>1</Size><ETag>\"e\"</ETag></Contents>"
		"<Contents><Key>caf%C3%A9/%E6%97%A5.txt</Key><Size>1</Size><ETag>\"e\"</ETag></Contents>"
		"</ListBucketResult>";
	dm_s3_page page;
	char *token;

	(void)state;
	assert_int_equal(dm_s3_xml_list(xml, LEN(xml), &page, &token), DM_OK);
	assert_null(token);
	assert_int_equal(page.n, 5);
	assert_string_equal(page.items[0].key, "a b.txt");
	assert_string_equal(page.items[1].key, "lead space .txt");
	assert_string_equal(page.items[2].key, "plus+sign.csv");
	assert_string_equal(page.items[3].key, "per%cent%41.txt"); /* decoded once, not twice */
	assert_string_equal(page.items[4].key, "caf\xc3\xa9/\xe6\x97\xa5.txt");
	dm_s3_page_release(&page);
}

static void test_s3_xml__keeps_keys_verbatim_without_url_encoding(void **state)
{
	static const char xml[] = "<ListBucketResult><IsTruncated>false</IsTruncated>"
				  "<Contents><Key>a+b%20c&amp;d.txt</Key><Size>3</Size><ETag>\"e\"</ETag></Contents>"
				  "</ListBucketResult>";
	dm_s3_page page;
	char *token;

	(void)state;
	assert_int_equal(dm_s3_xml_list(xml, LEN(xml), &page, &token), DM_OK);
	assert_int_equal(page.n, 1);
	assert_string_equal(page.items[0].key, "a+b%20c&d.txt");
	dm_s3_page_release(&page);
}

static void test_s3_xml__returns_continuation_token_when_truncated(void **state)
{
	static const char xml[] =
		"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Name>datalake</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1</MaxKeys>"
		"<IsTruncated>true</IsTruncated>"
		"<Contents><Key>a.txt</Key><Size>5</Size><ETag>\"e\"</ETag></Contents>"
		"<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
		"</ListBucketResult>";
	dm_s3_page page;
	char *token = NULL;

	(void)state;
	assert_int_equal(dm_s3_xml_list(xml, LEN(xml), &page, &token), DM_OK);
	assert_int_equal(page.n, 1);
	/* the token is opaque: handed back as sent, never url-decoded */
	assert_non_null(token);
	assert_string_equal(token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
	free(token);
	dm_s3_page_release(&page);
}

static void test_s3_xml__ignores_continuation_token_when_not_truncated(void **state)
{
	static const char xml[] = "<ListBucketResult><IsTruncated>false</IsTruncated>"
				  "<NextContinuationToken>stale</NextContinuationToken></ListBucketResult>";
	dm_s3_page page;
	char *token = (char *)"untouched";

	(void)state;
	assert_int_equal(dm_s3_xml_list(xml, LEN(xml), &page, &token), DM_OK);
	assert_int_equal(page.n, 0);
	assert_null(token);
	dm_s3_page_release(&page);
}

static void test_s3_xml__truncated_listing_without_token_is_a_parse_error(void **state)
{
	/* going on would list the first page forever */
	static const char xml[] = "<ListBucketResult><IsTruncated>true</IsTruncated>"
				  "<Contents><Key>a</Key><Size>1</Size><ETag>\"e\"</ETag></Contents>"
				  "</ListBucketResult>";
	dm_s3_page page;
	char *token;

	(void)state;
	assert_int_equal(dm_s3_xml_list(xml, LEN(xml), &page, &token), DM_ERR_PARSE);
	assert_null(token);
	assert_int_equal(page.n, 0);
	assert_non_null(strstr(dm_err_detail(), "NextContinuationToken"));
}

static void test_s3_xml__listing_entry_without_key_is_a_parse_error(void **state)
{
	static const char xml[] = "<ListBucketResult><IsTruncated>false</IsTruncated>"
				  "<Contents><Key>a</Key><Size>1</Size></Contents>"
				  "<Contents><Size>1</Size></Contents></ListBucketResult>";
	dm_s3_page page;
	char *token;

	(void)state;
	assert_int_equal(dm_s3_xml_list(xml, LEN(xml), &page, &token), DM_ERR_PARSE);
	assert_int_equal(page.n, 0);
	assert_null(page.items);
}

static void test_s3_xml__empty_listing_has_no_items(void **state)
{
	static const char xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
				  "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
				  "<Name>datalake</Name><Prefix>none/</Prefix><KeyCount>0</KeyCount>"
				  "<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>";
	dm_s3_page page;
	char *token;

	(void)state;
	assert_int_equal(dm_s3_xml_list(xml, LEN(xml), &page, &token), DM_OK);
	assert_int_equal(page.n, 0);
	assert_null(token);
	dm_s3_page_release(&page);
}

static void test_s3_xml__lists_many_entries(void **state)
{
	/* more than one growth of the item array */
	char *xml = NULL;
	size_t cap = 1 << 20, len = 0;
	dm_s3_page page;
	char *token;

	(void)state;
	xml = malloc(cap);
	assert_non_null(xml);
	len += (size_t)snprintf(xml + len, cap - len, "<ListBucketResult><IsTruncated>false</IsTruncated>");
	for (int i = 0; i < 1000; i++)
		len += (size_t)snprintf(xml + len, cap - len,
					"<Contents><Key>k/%04d</Key><Size>%d</Size><ETag>\"%032d\"</ETag></Contents>",
					i, i * 7, i);
	len += (size_t)snprintf(xml + len, cap - len, "</ListBucketResult>");
	assert_int_equal(dm_s3_xml_list(xml, len, &page, &token), DM_OK);
	assert_int_equal(page.n, 1000);
	assert_string_equal(page.items[0].key, "k/0000");
	assert_string_equal(page.items[999].key, "k/0999");
	assert_int_equal(page.items[999].size, 999 * 7);
	assert_string_equal(page.items[999].etag, "00000000000000000000000000000999");
	dm_s3_page_release(&page);
	free(xml);
}

static void test_s3_xml__unexpected_root_is_a_parse_error(void **state)
{
	static const char xml[] = "<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>";
	dm_s3_page page;
	char *token;
	char etag[80];

	(void)state;
	assert_int_equal(dm_s3_xml_list(xml, LEN(xml), &page, &token), DM_ERR_PARSE);
	assert_int_equal(dm_s3_xml_complete(xml, LEN(xml), etag), DM_ERR_PARSE);
}

/* ---- malformed bodies ---- */

static void test_s3_xml__malformed_xml_is_a_parse_error(void **state)
{
	static const char *const bad[] = {
		"<ListBucketResult><Contents><Key>a</Key></Contents>",              /* cut short */
		"<ListBucketResult><Contents><Key>a</Contents></ListBucketResult>", /* mismatched */
		"not xml at all",
		"<html><body>502 Bad Gateway</body>",
		"\x00\x01\x02",
	};
	char etag[80];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strlen(bad[i]) ? strlen(bad[i]) : 3;
		dm_s3_page page;
		char *token = (char *)"untouched", *id = (char *)"untouched";
		dm_s3_upload *ups = NULL;
		size_t nups = 0;
		char *nk, *ni;

		assert_int_equal(dm_s3_xml_list(bad[i], n, &page, &token), DM_ERR_PARSE);
		assert_null(token);
		assert_int_equal(dm_s3_xml_complete(bad[i], n, etag), DM_ERR_PARSE);
		assert_int_equal(dm_s3_xml_upload_id(bad[i], n, &id), DM_ERR_PARSE);
		assert_null(id);
		assert_int_equal(dm_s3_xml_uploads(bad[i], n, &ups, &nups, &nk, &ni), DM_ERR_PARSE);
	}
}

static void test_s3_xml__empty_body_is_a_parse_error(void **state)
{
	dm_s3_page page;
	char *token, *id;
	char etag[80];

	(void)state;
	assert_int_equal(dm_s3_xml_list("", 0, &page, &token), DM_ERR_PARSE);
	assert_int_equal(dm_s3_xml_complete("", 0, etag), DM_ERR_PARSE);
	assert_int_equal(dm_s3_xml_upload_id("", 0, &id), DM_ERR_PARSE);
	assert_int_equal(dm_s3_xml_upload_id(NULL, 0, &id), DM_ERR_PARSE);
}

static void test_s3_xml__does_not_expand_external_entities(void **state)
{
	/* a reply must never make us read local files */
	static const char xml[] = "<?xml version=\"1.0\"?>\n"
				  "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
				  "<ListBucketResult><IsTruncated>false</IsTruncated>"
				  "<Contents><Key>a&x;</Key><Size>1</Size><ETag>\"e\"</ETag></Contents>"
				  "</ListBucketResult>";
	dm_s3_page page;
	char *token;
	dm_err e;

	(void)state;
	e = dm_s3_xml_list(xml, LEN(xml), &page, &token);
	if (e == DM_OK) {
		assert_int_equal(page.n, 1);
		assert_null(strstr(page.items[0].key, "root:"));
		dm_s3_page_release(&page);
	} else {
		assert_int_equal(e, DM_ERR_PARSE);
	}
}

/* ---- error bodies ---- */

static void test_s3_xml__reads_code_message_and_request_id_of_error(void **state)
{
	static const char xml[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<Error><Code>SignatureDoesNotMatch</Code>"
		"<Message>The request signature we calculated does not match the signature you provided. "
		"Check your key and signing method.</Message>"
		"<AWSAccessKeyId>AKIDEXAMPLE</AWSAccessKeyId>"
		"<RequestId>4442587FB7D0A2F9</RequestId><HostId>abc/def=</HostId></Error>";
	char code[64], msg[256], reqid[128];

	(void)state;
	assert_int_equal(dm_s3_xml_error(xml, LEN(xml), code, sizeof(code), msg, sizeof(msg), reqid, sizeof(reqid)), 1);
	assert_string_equal(code, "SignatureDoesNotMatch");
	assert_string_equal(msg, "The request signature we calculated does not match the signature you provided. "
				 "Check your key and signing method.");
	assert_string_equal(reqid, "4442587FB7D0A2F9");
}

static void test_s3_xml__reads_rgw_error_without_message(void **state)
{
	static const char xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
				  "<Error><Code>NoSuchBucket</Code><BucketName>nope</BucketName>"
				  "<RequestId>tx00000c1d1d5a1b8a1e6a4-0069298a00-1014-default</RequestId>"
				  "<HostId>1014-default-default</HostId></Error>";
	char code[64], msg[256], reqid[128];

	(void)state;
	memset(msg, 'x', sizeof(msg));
	assert_int_equal(dm_s3_xml_error(xml, LEN(xml), code, sizeof(code), msg, sizeof(msg), reqid, sizeof(reqid)), 1);
	assert_string_equal(code, "NoSuchBucket");
	assert_string_equal(msg, "");
	assert_string_equal(reqid, "tx00000c1d1d5a1b8a1e6a4-0069298a00-1014-default");
}

static void test_s3_xml__truncates_error_fields_to_their_buffers(void **state)
{
	static const char xml[] = "<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you "
				  "provided does not exist in our records.</Message><RequestId>0123456789</RequestId>"
				  "</Error>";
	char code[8], msg[4], reqid[5];

	(void)state;
	assert_int_equal(dm_s3_xml_error(xml, LEN(xml), code, sizeof(code), msg, sizeof(msg), reqid, sizeof(reqid)), 1);
	assert_string_equal(code, "Invalid");
	assert_string_equal(msg, "The");
	assert_string_equal(reqid, "0123");
}

static void test_s3_xml__non_error_body_is_not_an_error(void **state)
{
	static const char list[] = "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>";
	static const char html[] = "<html><head><title>503 Service Unavailable</title></head></html>";
	static const char junk[] = "Service Unavailable";
	char code[64], msg[64], reqid[64];

	(void)state;
	assert_int_equal(dm_s3_xml_error(list, LEN(list), code, sizeof(code), msg, sizeof(msg), reqid, sizeof(reqid)),
			 0);
	assert_string_equal(code, "");
	assert_int_equal(dm_s3_xml_error(html, LEN(html), code, sizeof(code), msg, sizeof(msg), reqid, sizeof(reqid)),
			 0);
	assert_int_equal(dm_s3_xml_error(junk, LEN(junk), code, sizeof(code), msg, sizeof(msg), reqid, sizeof(reqid)),
			 0);
	assert_string_equal(code, "");
	assert_string_equal(msg, "");
	assert_string_equal(reqid, "");
	assert_int_equal(dm_s3_xml_error("", 0, code, sizeof(code), msg, sizeof(msg), reqid, sizeof(reqid)), 0);
}

/* ---- ListMultipartUploads ---- */

static void test_s3_xml__lists_multipart_uploads_with_markers(void **state)
{
	static const char xml[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		"<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Bucket>datalake</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>"
		"<NextKeyMarker>big/b.bin</NextKeyMarker><NextUploadIdMarker>2~B</NextUploadIdMarker>"
		"<MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated>"
		"<Upload><Key>big/a.bin</Key><UploadId>2~A</UploadId><Initiated>2026-11-28T12:00:00.000Z</Initiated>"
		"</Upload>"
		"<Upload><Key>big/b.bin</Key><UploadId>2~B</UploadId><Initiated>2026-11-28T12:00:01.000Z</Initiated>"
		"</Upload></ListMultipartUploadsResult>";
	dm_s3_upload *ups = NULL;
	size_t n = 0;
	char *nk = NULL, *ni = NULL;

	(void)state;
	assert_int_equal(dm_s3_xml_uploads(xml, LEN(xml), &ups, &n, &nk, &ni), DM_OK);
	assert_int_equal(n, 2);
	assert_string_equal(ups[0].key, "big/a.bin");
	assert_string_equal(ups[0].upload_id, "2~A");
	assert_string_equal(ups[1].key, "big/b.bin");
	assert_string_equal(ups[1].upload_id, "2~B");
	assert_non_null(nk);
	assert_non_null(ni);
	assert_string_equal(nk, "big/b.bin");
	assert_string_equal(ni, "2~B");
	free(nk);
	free(ni);
	dm_s3_uploads_free(ups, n);
}

static void test_s3_xml__complete_listing_of_uploads_has_no_markers(void **state)
{
	static const char xml[] = "<ListMultipartUploadsResult><Bucket>datalake</Bucket>"
				  "<IsTruncated>false</IsTruncated></ListMultipartUploadsResult>";
	dm_s3_upload *ups = NULL;
	size_t n = 99;
	char *nk = (char *)"untouched", *ni = (char *)"untouched";

	(void)state;
	assert_int_equal(dm_s3_xml_uploads(xml, LEN(xml), &ups, &n, &nk, &ni), DM_OK);
	assert_int_equal(n, 0);
	assert_null(nk);
	assert_null(ni);
	dm_s3_uploads_free(ups, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s3_xml__reads_upload_id_of_initiate_reply),
		cmocka_unit_test(test_s3_xml__initiate_reply_without_upload_id_is_a_parse_error),
		cmocka_unit_test(test_s3_xml__reads_quoted_etag_of_complete_reply),
		cmocka_unit_test(test_s3_xml__reads_entity_quoted_etag_of_complete_reply),
		cmocka_unit_test(test_s3_xml__accepts_rgw_empty_etag_in_complete_reply),
		cmocka_unit_test(test_s3_xml__complete_reply_that_is_an_error_is_a_parse_error),
		cmocka_unit_test(test_s3_xml__lists_keys_sizes_and_etags),
		cmocka_unit_test(test_s3_xml__decodes_url_encoded_keys),
		cmocka_unit_test(test_s3_xml__keeps_keys_verbatim_without_url_encoding),
		cmocka_unit_test(test_s3_xml__returns_continuation_token_when_truncated),
		cmocka_unit_test(test_s3_xml__ignores_continuation_token_when_not_truncated),
		cmocka_unit_test(test_s3_xml__truncated_listing_without_token_is_a_parse_error),
		cmocka_unit_test(test_s3_xml__listing_entry_without_key_is_a_parse_error),
		cmocka_unit_test(test_s3_xml__empty_listing_has_no_items),
		cmocka_unit_test(test_s3_xml__lists_many_entries),
		cmocka_unit_test(test_s3_xml__unexpected_root_is_a_parse_error),
		cmocka_unit_test(test_s3_xml__malformed_xml_is_a_parse_error),
		cmocka_unit_test(test_s3_xml__empty_body_is_a_parse_error),
		cmocka_unit_test(test_s3_xml__does_not_expand_external_entities),
		cmocka_unit_test(test_s3_xml__reads_code_message_and_request_id_of_error),
		cmocka_unit_test(test_s3_xml__reads_rgw_error_without_message),
		cmocka_unit_test(test_s3_xml__truncates_error_fields_to_their_buffers),
		cmocka_unit_test(test_s3_xml__non_error_body_is_not_an_error),
		cmocka_unit_test(test_s3_xml__lists_multipart_uploads_with_markers),
		cmocka_unit_test(test_s3_xml__complete_listing_of_uploads_has_no_markers),
	};

	return cmocka_run_group_tests_name("s3_xml", tests, NULL, NULL);
}
