/* tests/unit/test_sigv4.c - the Signature V4 signer against botocore's vectors
 * (tests/fixtures/sigv4-s3.json) and the worked examples of the AWS documentation
 * "Signature Calculations for the Authorization Header: Transferring Payload in a
 * Single Chunk". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>

#include <dm/sigv4.h>

#define VECTORS DM_SOURCE_DIR "/tests/fixtures/sigv4-s3.json"
#define NVECTORS 43
#define NKEY_VECTORS 32

/* ---- helpers ---- */

/* Reports where two texts part; returns 1 when equal. */
static int same(const char *vector, const char *what, const char *want, const char *got)
{
	size_t i = 0;

	if (strcmp(want, got) == 0)
		return 1;
	while (want[i] && want[i] == got[i])
		i++;
	print_error("vector \"%s\": %s differs at byte %zu\n--- expected:\n%s\n--- got:\n%s\n---\n", vector, what, i,
		    want, got);
	return 0;
}

/* Independent SHA-256 (OpenSSL EVP) for payload hashes. */
static void sha256_hex(char out[65], const void *data, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	assert_int_equal(EVP_Digest(data, n, md, &len, EVP_sha256(), NULL), 1);
	assert_int_equal(len, 32);
	for (unsigned i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static json_t *load_vectors(void)
{
	json_error_t err;
	json_t *root = json_load_file(VECTORS, 0, &err);
	json_t *vs;

	if (!root)
		fail_msg("cannot load %s: %d:%d: %s", VECTORS, err.line, err.column, err.text);
	vs = json_object_get(root, "vectors");
	assert_true(json_is_array(vs));
	assert_int_equal(json_array_size(vs), NVECTORS);
	return root;
}

static const char *str_of(json_t *v, const char *field)
{
	json_t *s = json_object_get(v, field);

	if (!json_is_string(s))
		fail_msg("vector \"%s\": field '%s' is not a string", json_string_value(json_object_get(v, "name")),
			 field);
	return json_string_value(s);
}

/* What the signer produced for one vector. */
typedef struct {
	dm_buf canonical, sts, authz;
} signed_out;

static void signed_release(signed_out *s)
{
	dm_buf_release(&s->canonical);
	dm_buf_release(&s->sts);
	dm_buf_release(&s->authz);
}

/* Builds dm_sigv4_request from one vector and signs it; url, when not NULL,
 * replaces the vector's (the same path on another scheme and port).  The Host
 * is dm_sigv4_host's, as the S3 client has it. */
static void sign_vector(json_t *v, const char *url, signed_out *out)
{
	const char *canonical = str_of(v, "canonical_request");
	const char *rest, *slash, *qmark;
	char path[1024], query[1024], payload_hash[128];
	dm_buf host = DM_BUF_INIT;
	json_t *hin = json_object_get(v, "headers_in");
	json_t *token = json_object_get(v, "session_token");
	dm_header headers[16];
	size_t nh = 0;
	const char *key;
	json_t *val;
	dm_sigv4_request r;
	dm_err e;

	memset(out, 0, sizeof(*out));
	if (!url)
		url = str_of(v, "url");
	assert_non_null(strstr(url, "://"));
	rest = strstr(url, "://") + 3;
	slash = strchr(rest, '/');
	assert_non_null(slash);
	assert_int_equal(dm_sigv4_host(&host, url), DM_OK);
	qmark = strchr(slash, '?');
	snprintf(path, sizeof(path), "%.*s", (int)(qmark ? (size_t)(qmark - slash) : strlen(slash)), slash);
	snprintf(query, sizeof(query), "%s", qmark ? qmark + 1 : "");

	/* botocore over plain http signs the payload even when asked for
	 * UNSIGNED-PAYLOAD: the x-amz-content-sha256 it really signed is the last
	 * line of its canonical request, so that value is both the payload hash
	 * and the header value we sign. */
	assert_non_null(strrchr(canonical, '\n'));
	snprintf(payload_hash, sizeof(payload_hash), "%s", strrchr(canonical, '\n') + 1);

	assert_true(json_is_object(hin));
	json_object_foreach(hin, key, val)
	{
		assert_true(nh < sizeof(headers) / sizeof(headers[0]));
		headers[nh].name = key;
		headers[nh].value =
			strcasecmp(key, "x-amz-content-sha256") == 0 ? payload_hash : json_string_value(val);
		assert_non_null(headers[nh].value);
		nh++;
	}

	memset(&r, 0, sizeof(r));
	r.method = str_of(v, "method");
	r.host = dm_buf_str(&host);
	r.path = path;
	r.query = query;
	r.headers = headers;
	r.nheaders = nh;
	r.payload_hash = payload_hash;
	r.amz_date = str_of(v, "amz_date");
	r.region = str_of(v, "region");
	r.service = str_of(v, "service");
	r.access_key = str_of(v, "access_key");
	r.secret_key = str_of(v, "secret_key");
	r.session_token = json_is_string(token) ? json_string_value(token) : NULL;
	e = dm_sigv4_sign(&out->authz, &out->canonical, &out->sts, &r);
	dm_buf_release(&host);
	if (e != DM_OK)
		fail_msg("vector \"%s\": dm_sigv4_sign failed: %s", str_of(v, "name"), dm_err_detail());
}

typedef enum { CHECK_CANONICAL, CHECK_STS, CHECK_AUTHZ } check_what;

static void check_all_vectors(check_what what)
{
	json_t *root = load_vectors();
	json_t *vs = json_object_get(root, "vectors");
	size_t i, bad = 0;
	json_t *v;

	json_array_foreach(vs, i, v)
	{
		signed_out s;
		const char *name = str_of(v, "name");
		int ok;

		sign_vector(v, NULL, &s);
		switch (what) {
		case CHECK_CANONICAL:
			ok = same(name, "canonical request", str_of(v, "canonical_request"), dm_buf_str(&s.canonical));
			break;
		case CHECK_STS:
			ok = same(name, "string to sign", str_of(v, "string_to_sign"), dm_buf_str(&s.sts));
			break;
		default: ok = same(name, "Authorization", str_of(v, "authorization"), dm_buf_str(&s.authz)); break;
		}
		bad += !ok;
		signed_release(&s);
	}
	json_decref(root);
	if (bad)
		fail_msg("%zu of %d botocore vectors differ (see above)", bad, NVECTORS);
}

/* ---- botocore vectors ---- */

static void test_sigv4__matches_botocore_canonical_requests(void **state)
{
	(void)state;
	check_all_vectors(CHECK_CANONICAL);
}

static void test_sigv4__matches_botocore_strings_to_sign(void **state)
{
	(void)state;
	check_all_vectors(CHECK_STS);
}

static void test_sigv4__matches_botocore_authorization_headers(void **state)
{
	(void)state;
	check_all_vectors(CHECK_AUTHZ);
}

/* Every vector again on origin (a scheme's default port spelled out): libcurl
 * sends the Host without that port, and botocore signs it without (its
 * _host_from_url drops a default port; checked with botocore 1.43.11 for
 * http://127.0.0.1:80 and https://127.0.0.1:443), so the canonical request
 * must be the vector's with "host:127.0.0.1" for "host:127.0.0.1:7480". */
static void check_default_port(const char *origin)
{
	json_t *root = load_vectors();
	json_t *vs = json_object_get(root, "vectors");
	size_t i, bad = 0;
	json_t *v;

	json_array_foreach(vs, i, v)
	{
		const char *url = str_of(v, "url"), *want = str_of(v, "canonical_request");
		const char *path = strstr(url, "127.0.0.1:7480/"), *line = strstr(want, "\nhost:127.0.0.1:7480\n");
		dm_buf moved = DM_BUF_INIT, expected = DM_BUF_INIT;
		signed_out s;

		assert_non_null(path);
		assert_non_null(line);
		assert_int_equal(dm_buf_printf(&moved, "%s%s", origin, path + strlen("127.0.0.1:7480")), DM_OK);
		assert_int_equal(dm_buf_printf(&expected, "%.*s\nhost:127.0.0.1\n%s", (int)(line - want), want,
					       line + strlen("\nhost:127.0.0.1:7480\n")),
				 DM_OK);
		sign_vector(v, moved.data, &s);
		bad += !same(str_of(v, "name"), "canonical request", expected.data, dm_buf_str(&s.canonical));
		signed_release(&s);
		dm_buf_release(&moved);
		dm_buf_release(&expected);
	}
	json_decref(root);
	if (bad)
		fail_msg("%zu of %d vectors differ on %s (see above)", bad, NVECTORS, origin);
}

static void test_sigv4__signs_http_port_80_without_the_port_as_botocore(void **state)
{
	(void)state;
	check_default_port("http://127.0.0.1:80");
}

static void test_sigv4__signs_https_port_443_without_the_port_as_botocore(void **state)
{
	(void)state;
	check_default_port("https://127.0.0.1:443");
}

static void test_sigv4__host_keeps_every_port_but_the_schemes_default(void **state)
{
	static const char *const cases[][2] = {
		{ "http://127.0.0.1:80/b/k", "127.0.0.1" },
		{ "https://127.0.0.1:443", "127.0.0.1" },
		{ "HTTP://s3.example.org:80/", "s3.example.org" },
		{ "http://127.0.0.1:443/b", "127.0.0.1:443" },
		{ "https://127.0.0.1:80/b", "127.0.0.1:80" },
		{ "http://127.0.0.1:8080/b", "127.0.0.1:8080" },
		{ "http://127.0.0.1:800/b", "127.0.0.1:800" },
		{ "http://127.0.0.1", "127.0.0.1" },
		{ "http://[::1]:80/b", "[::1]" },
		{ "http://[::1]:7480/b", "[::1]:7480" },
		{ "http://[::1]/b", "[::1]" },
		{ "http://user:pw@127.0.0.1:80/b", "127.0.0.1" },
		{ "http://127.0.0.1:7480?x=1", "127.0.0.1:7480" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dm_buf b = DM_BUF_INIT;

		assert_int_equal(dm_sigv4_host(&b, cases[i][0]), DM_OK);
		if (strcmp(dm_buf_str(&b), cases[i][1]) != 0)
			fail_msg("dm_sigv4_host(\"%s\") is \"%s\", wanted \"%s\"", cases[i][0], dm_buf_str(&b),
				 cases[i][1]);
		dm_buf_release(&b);
	}
}

/* The raw key of a vector named  put 'KEY'  or  put "KEY"  (Python repr), or NULL. */
static char *key_from_name(const char *name)
{
	size_t n = strlen(name);
	char q, *out, *o;

	if (strncmp(name, "put ", 4) != 0 || n < 6)
		return NULL;
	q = name[4];
	if ((q != '\'' && q != '"') || name[n - 1] != q)
		return NULL;
	out = o = malloc(n);
	assert_non_null(out);
	for (const char *p = name + 5; p < name + n - 1; p++) {
		if (*p == '\\') {
			p++;
			if (*p != '\\' && *p != '\'' && *p != '"')
				fail_msg("vector \"%s\": escape '\\%c' in the name is not understood", name, *p);
		}
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

static void test_sigv4__encodes_keys_like_botocore(void **state)
{
	json_t *root = load_vectors();
	json_t *vs = json_object_get(root, "vectors");
	size_t i, bad = 0, checked = 0;
	json_t *v;

	(void)state;
	json_array_foreach(vs, i, v)
	{
		const char *name = str_of(v, "name");
		const char *url = str_of(v, "url");
		const char *want = strstr(url, "/datalake/");
		char *key = key_from_name(name);
		dm_buf got = DM_BUF_INIT;

		if (!key)
			continue;
		assert_non_null(want);
		want += strlen("/datalake/");
		assert_int_equal(dm_sigv4_encode(&got, key, strlen(key), 1), DM_OK);
		bad += !same(name, "encoded key", want, dm_buf_str(&got));
		checked++;
		dm_buf_release(&got);
		free(key);
	}
	json_decref(root);
	assert_int_equal(checked, NKEY_VECTORS);
	if (bad)
		fail_msg("%zu of %zu keys encoded differently from botocore (see above)", bad, checked);
}

/* ---- the AWS documentation's worked examples ---- */

#define AWS_HOST "examplebucket.s3.amazonaws.com"
#define AWS_DATE "20130524T000000Z"
#define AWS_AK "AKIAIOSFODNN7EXAMPLE"
#define AWS_SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

static void sign_aws_example(const char *name, const char *method, const char *path, const char *query,
			     const dm_header *extra, size_t nextra, const char *payload_hash,
			     const char *want_canonical, const char *want_sts, const char *signed_headers,
			     const char *signature)
{
	dm_header hs[8];
	size_t nh = 0;
	dm_buf authz = DM_BUF_INIT, canonical = DM_BUF_INIT, sts = DM_BUF_INIT;
	char want_authz[512];
	dm_sigv4_request r;

	for (size_t i = 0; i < nextra; i++)
		hs[nh++] = extra[i];
	hs[nh].name = "x-amz-content-sha256";
	hs[nh++].value = payload_hash;
	memset(&r, 0, sizeof(r));
	r.method = method;
	r.host = AWS_HOST;
	r.path = path;
	r.query = query;
	r.headers = hs;
	r.nheaders = nh;
	r.payload_hash = payload_hash;
	r.amz_date = AWS_DATE;
	r.region = "us-east-1";
	r.service = "s3";
	r.access_key = AWS_AK;
	r.secret_key = AWS_SK;
	assert_int_equal(dm_sigv4_sign(&authz, &canonical, &sts, &r), DM_OK);
	/* The documentation writes the header without spaces after the commas;
	 * S3 accepts both, and dm (like botocore) writes ", ". */
	snprintf(want_authz, sizeof(want_authz),
		 "AWS4-HMAC-SHA256 Credential=" AWS_AK "/20130524/us-east-1/s3/aws4_request, SignedHeaders=%s, "
		 "Signature=%s",
		 signed_headers, signature);
	if (!same(name, "canonical request", want_canonical, dm_buf_str(&canonical)) |
	    !same(name, "string to sign", want_sts, dm_buf_str(&sts)) |
	    !same(name, "Authorization", want_authz, dm_buf_str(&authz)))
		fail_msg("AWS example \"%s\" signed differently (see above)", name);
	/* the same with the day's signing key derived beforehand, as dm_s3 keeps it */
	{
		unsigned char key[32];
		dm_buf again = DM_BUF_INIT;

		assert_int_equal(dm_sigv4_signing_key(key, AWS_SK, AWS_DATE, "us-east-1", "s3"), DM_OK);
		r.signing_key = key;
		assert_int_equal(dm_sigv4_sign(&again, NULL, NULL, &r), DM_OK);
		if (!same(name, "Authorization with a kept signing key", want_authz, dm_buf_str(&again)))
			fail_msg("AWS example \"%s\" signed differently with a kept signing key", name);
		dm_buf_release(&again);
	}
	dm_buf_release(&authz);
	dm_buf_release(&canonical);
	dm_buf_release(&sts);
}

static void test_sigv4__signs_aws_get_object_example(void **state)
{
	const dm_header range = { "Range", "bytes=0-9" };

	(void)state;
	sign_aws_example("GET Object", "GET", "/test.txt", NULL, &range, 1, DM_SHA256_EMPTY,
			 "GET\n/test.txt\n\n"
			 "host:examplebucket.s3.amazonaws.com\n"
			 "range:bytes=0-9\n"
			 "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
			 "x-amz-date:20130524T000000Z\n\n"
			 "host;range;x-amz-content-sha256;x-amz-date\n"
			 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			 "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
			 "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
			 "host;range;x-amz-content-sha256;x-amz-date",
			 "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

static void test_sigv4__signs_aws_put_object_example(void **state)
{
	static const char body[] = "Welcome to Amazon S3.";
	const dm_header hs[] = {
		{ "Date", "Fri, 24 May 2013 00:00:00 GMT" },
		{ "x-amz-storage-class", "REDUCED_REDUNDANCY" },
	};
	char payload[65];
	dm_buf path = DM_BUF_INIT;

	(void)state;
	sha256_hex(payload, body, strlen(body));
	assert_string_equal(payload, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	/* the key is "test$file.text": '$' is encoded once, as %24 */
	assert_int_equal(dm_buf_puts(&path, "/"), DM_OK);
	assert_int_equal(dm_sigv4_encode(&path, "test$file.text", strlen("test$file.text"), 1), DM_OK);
	assert_string_equal(dm_buf_str(&path), "/test%24file.text");
	sign_aws_example("PUT Object", "PUT", dm_buf_str(&path), "", hs, 2, payload,
			 "PUT\n/test%24file.text\n\n"
			 "date:Fri, 24 May 2013 00:00:00 GMT\n"
			 "host:examplebucket.s3.amazonaws.com\n"
			 "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
			 "x-amz-date:20130524T000000Z\n"
			 "x-amz-storage-class:REDUCED_REDUNDANCY\n\n"
			 "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
			 "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
			 "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
			 "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
			 "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
			 "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
	dm_buf_release(&path);
}

static void test_sigv4__signs_aws_get_bucket_lifecycle_example(void **state)
{
	(void)state;
	/* "?lifecycle" has no '=': its canonical form is "lifecycle=" */
	sign_aws_example("GET Bucket Lifecycle", "GET", "/", "lifecycle", NULL, 0, DM_SHA256_EMPTY,
			 "GET\n/\nlifecycle=\n"
			 "host:examplebucket.s3.amazonaws.com\n"
			 "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
			 "x-amz-date:20130524T000000Z\n\n"
			 "host;x-amz-content-sha256;x-amz-date\n"
			 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			 "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
			 "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
			 "host;x-amz-content-sha256;x-amz-date",
			 "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

static void test_sigv4__signs_aws_list_objects_example(void **state)
{
	(void)state;
	/* given in the other order on purpose: the canonical query is sorted */
	sign_aws_example("Get Bucket (List Objects)", "GET", "/", "prefix=J&max-keys=2", NULL, 0, DM_SHA256_EMPTY,
			 "GET\n/\nmax-keys=2&prefix=J\n"
			 "host:examplebucket.s3.amazonaws.com\n"
			 "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
			 "x-amz-date:20130524T000000Z\n\n"
			 "host;x-amz-content-sha256;x-amz-date\n"
			 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			 "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
			 "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
			 "host;x-amz-content-sha256;x-amz-date",
			 "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

/* ---- smaller behaviours ---- */

static void test_sigv4__encode_keeps_unreserved_and_escapes_the_rest(void **state)
{
	/* every byte value: unreserved ones stay, others become %XX (upper-case hex) */
	dm_buf got = DM_BUF_INIT, want = DM_BUF_INIT;
	char all[256];

	(void)state;
	for (int i = 0; i < 256; i++)
		all[i] = (char)(i == 0 ? 1 : i);
	assert_int_equal(dm_sigv4_encode(&got, all, sizeof(all), 0), DM_OK);
	for (int i = 0; i < 256; i++) {
		int c = i == 0 ? 1 : i;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~')
			assert_int_equal(dm_buf_printf(&want, "%c", c), DM_OK);
		else
			assert_int_equal(dm_buf_printf(&want, "%%%02X", c), DM_OK);
	}
	assert_string_equal(dm_buf_str(&got), dm_buf_str(&want));
	dm_buf_release(&got);
	dm_buf_release(&want);
}

static void test_sigv4__encode_escapes_slash_unless_asked_to_keep_it(void **state)
{
	dm_buf a = DM_BUF_INIT, b = DM_BUF_INIT;

	(void)state;
	assert_int_equal(dm_sigv4_encode(&a, "a b/c+d", 7, 0), DM_OK);
	assert_int_equal(dm_sigv4_encode(&b, "a b/c+d", 7, 1), DM_OK);
	assert_string_equal(dm_buf_str(&a), "a%20b%2Fc%2Bd");
	assert_string_equal(dm_buf_str(&b), "a%20b/c%2Bd");
	dm_buf_release(&a);
	dm_buf_release(&b);
}

static void test_sigv4__encode_of_empty_text_is_empty(void **state)
{
	dm_buf a = DM_BUF_INIT;

	(void)state;
	assert_int_equal(dm_sigv4_encode(&a, "", 0, 1), DM_OK);
	assert_string_equal(dm_buf_str(&a), "");
	assert_int_equal(a.len, 0);
	dm_buf_release(&a);
}

static void test_sigv4__trims_and_collapses_header_values(void **state)
{
	const dm_header hs[] = { { "X-Amz-Meta-Note", "  two   words\t here  " } };
	dm_buf authz = DM_BUF_INIT, canonical = DM_BUF_INIT;
	dm_sigv4_request r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.method = "PUT";
	r.host = "127.0.0.1:7480";
	r.path = "/b/k";
	r.headers = hs;
	r.nheaders = 1;
	r.payload_hash = DM_UNSIGNED_PAYLOAD;
	r.amz_date = "20261128T120000Z";
	r.region = "us-east-1";
	r.service = "s3";
	r.access_key = "AK";
	r.secret_key = "SK";
	assert_int_equal(dm_sigv4_sign(&authz, &canonical, NULL, &r), DM_OK);
	assert_string_equal(dm_buf_str(&canonical), "PUT\n/b/k\n\n"
						    "host:127.0.0.1:7480\n"
						    "x-amz-date:20261128T120000Z\n"
						    "x-amz-meta-note:two words here\n\n"
						    "host;x-amz-date;x-amz-meta-note\n"
						    "UNSIGNED-PAYLOAD");
	dm_buf_release(&authz);
	dm_buf_release(&canonical);
}

/* AWS documentation, "Derive a signing key for Signature Version 4" (Python example) */
static void test_sigv4__derives_the_documented_signing_key(void **state)
{
	unsigned char key[32];
	char hex[65];

	(void)state;
	assert_int_equal(dm_sigv4_signing_key(key, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1",
					      "iam"),
			 DM_OK);
	dm_hex(hex, key, 32);
	assert_string_equal(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

static void test_sigv4__formats_amz_date_in_utc(void **state)
{
	char out[17];

	(void)state;
	dm_sigv4_amz_date(out, 1369353600LL); /* 2013-05-24 00:00:00 UTC */
	assert_string_equal(out, "20130524T000000Z");
	dm_sigv4_amz_date(out, 1795867200LL); /* 2026-11-28 12:00:00 UTC */
	assert_string_equal(out, "20261128T120000Z");
}

static void test_sigv4__sha256_hex_matches_openssl(void **state)
{
	char got[65], want[65];
	static const char text[] = "Welcome to Amazon S3.";

	(void)state;
	dm_sha256_hex(got, "", 0);
	assert_string_equal(got, DM_SHA256_EMPTY);
	sha256_hex(want, "", 0);
	assert_string_equal(got, want);
	dm_sha256_hex(got, text, strlen(text));
	sha256_hex(want, text, strlen(text));
	assert_string_equal(got, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigv4__matches_botocore_canonical_requests),
		cmocka_unit_test(test_sigv4__matches_botocore_strings_to_sign),
		cmocka_unit_test(test_sigv4__matches_botocore_authorization_headers),
		cmocka_unit_test(test_sigv4__encodes_keys_like_botocore),
		cmocka_unit_test(test_sigv4__signs_http_port_80_without_the_port_as_botocore),
		cmocka_unit_test(test_sigv4__signs_https_port_443_without_the_port_as_botocore),
		cmocka_unit_test(test_sigv4__host_keeps_every_port_but_the_schemes_default),
		cmocka_unit_test(test_sigv4__signs_aws_get_object_example),
		cmocka_unit_test(test_sigv4__signs_aws_put_object_example),
		cmocka_unit_test(test_sigv4__signs_aws_get_bucket_lifecycle_example),
		cmocka_unit_test(test_sigv4__signs_aws_list_objects_example),
		cmocka_unit_test(test_sigv4__encode_keeps_unreserved_and_escapes_the_rest),
		cmocka_unit_test(test_sigv4__encode_escapes_slash_unless_asked_to_keep_it),
		cmocka_unit_test(test_sigv4__encode_of_empty_text_is_empty),
		cmocka_unit_test(test_sigv4__trims_and_collapses_header_values),
		cmocka_unit_test(test_sigv4__derives_the_documented_signing_key),
		cmocka_unit_test(test_sigv4__formats_amz_date_in_utc),
		cmocka_unit_test(test_sigv4__sha256_hex_matches_openssl),
	};

	return cmocka_run_group_tests_name("sigv4", tests, NULL, NULL);
}
