/* tests/unit/test_hard_xml.c - dm_s3_xml_upload_times (libdm/s3/xml.h), which
 * finds the multipart uploads a retried CreateMultipartUpload left behind:
 * only uploads of exactly the key, with their Initiated time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dm/err.h>
#include "s3/xml.h"

#define LEN(s) (sizeof(s) - 1)

/* shaped like RGW's answer to GET /bucket?prefix=KEY&uploads= */
static const char rgw_reply[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
				"<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
				"<Bucket>b</Bucket><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>"
				"<Upload><Key>d05/big.bin</Key><UploadId>2~first</UploadId>"
				"<Initiator><ID>dmtest</ID></Initiator><StorageClass>STANDARD</StorageClass>"
				"<Initiated>2026-11-28T13:15:07.662Z</Initiated></Upload>"
				"<Upload><Key>d05/big.bin.old</Key><UploadId>2~other-key</UploadId>"
				"<Initiated>2026-11-28T13:15:07.700Z</Initiated></Upload>"
				"<Upload><Key>d05/big.bin</Key><UploadId>2~second</UploadId>"
				"<Initiated>2026-11-28T13:15:08.001Z</Initiated></Upload>"
				"<Upload><Key>d05/big.bin</Key><UploadId>2~no-time</UploadId></Upload>"
				"</ListMultipartUploadsResult>";

static void test_hard_xml__upload_times_keeps_only_the_exact_key(void **state)
{
	dm_s3_xml_upload_time *u = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(dm_s3_xml_upload_times(rgw_reply, LEN(rgw_reply), "d05/big.bin", &u, &n), DM_OK);
	assert_int_equal(n, 3);
	assert_string_equal(u[0].upload_id, "2~first");
	assert_string_equal(u[1].upload_id, "2~second");
	assert_string_equal(u[2].upload_id, "2~no-time");
	dm_s3_xml_upload_times_free(u, n);
}

static void test_hard_xml__upload_times_reads_initiated_with_fractions(void **state)
{
	dm_s3_xml_upload_time *u = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(dm_s3_xml_upload_times(rgw_reply, LEN(rgw_reply), "d05/big.bin", &u, &n), DM_OK);
	/* date -u -d 2026-11-28T13:15:07Z +%s = 1795871707 */
	assert_true(u[0].initiated > 1795871707.661 && u[0].initiated < 1795871707.663);
	assert_true(u[1].initiated - u[0].initiated > 0.338 && u[1].initiated - u[0].initiated < 0.340);
	assert_true(u[2].initiated < 0); /* no Initiated: unknown, never taken as recent */
	dm_s3_xml_upload_times_free(u, n);
}

static void test_hard_xml__upload_times_refuses_other_replies(void **state)
{
	static const char err[] = "<Error><Code>NoSuchBucket</Code></Error>";
	static const char cut[] = "<ListMultipartUploadsResult><Upload><Key>k</Key>";
	dm_s3_xml_upload_time *u = (void *)1;
	size_t n = 7;

	(void)state;
	assert_int_equal(dm_s3_xml_upload_times(err, LEN(err), "k", &u, &n), DM_ERR_PARSE);
	assert_null(u);
	assert_int_equal(n, 0);
	assert_int_equal(dm_s3_xml_upload_times(cut, LEN(cut), "k", &u, &n), DM_ERR_PARSE);
	assert_int_equal(dm_s3_xml_upload_times("", 0, "k", &u, &n), DM_ERR_PARSE);
}

static void test_hard_xml__upload_times_of_empty_list(void **state)
{
	static const char none[] = "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
				   "</ListMultipartUploadsResult>";
	dm_s3_xml_upload_time *u = NULL;
	size_t n = 1;

	(void)state;
	assert_int_equal(dm_s3_xml_upload_times(none, LEN(none), "k", &u, &n), DM_OK);
	assert_int_equal(n, 0);
	dm_s3_xml_upload_times_free(u, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hard_xml__upload_times_keeps_only_the_exact_key),
		cmocka_unit_test(test_hard_xml__upload_times_reads_initiated_with_fractions),
		cmocka_unit_test(test_hard_xml__upload_times_refuses_other_replies),
		cmocka_unit_test(test_hard_xml__upload_times_of_empty_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
