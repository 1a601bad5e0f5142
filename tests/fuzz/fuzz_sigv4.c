/* fuzz_sigv4: AWS Signature Version 4 (dm/sigv4.h).
 *
 * Input, one field a line:
 *   METHOD / PATH / QUERY / REGION / SECRET / SESSION-TOKEN / SECONDS / then
 *   up to 16 "name:value" headers, one a line.
 * The whole input is also S3-encoded with and without keep_slash.
 *
 * Invariants: dm_sigv4_encode emits only unreserved bytes, '/' (with
 * keep_slash) and %XX with upper-case hex, and decodes back to the input;
 * dm_sigv4_sign gives the same bytes twice; the canonical query is a sorted
 * list of encoded name=value pairs, one per non-empty '&' segment; the signed
 * headers are lower-case and sorted; the date is 16 characters. */
#include <ctype.h>

#include <dm/err.h>
#include <dm/sigv4.h>
#include <dm/util.h>

#include "fuzz_common.h"

#define NFIXED 7
#define NHEADERS 16
#define TCHARS "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

static int unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int hexdig(int c)
{
	return (c >= '0' && c <= '9') ? c - '0' : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

/* Checks that s[0..n) is well-formed S3 encoding; returns the decoded length
 * and writes the decoding into out (at least n bytes). */
static size_t check_encoded(const char *s, size_t n, int keep_slash, unsigned char *out, const char *what)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			FUZZ_CHECK(i + 2 < n, "%s: '%%' without two hex digits at the end", what);
			FUZZ_CHECK(hexdig(s[i + 1]) >= 0 && hexdig(s[i + 2]) >= 0, "%s: bad escape at %zu", what, i);
			if (out)
				out[o] = (unsigned char)(hexdig(s[i + 1]) << 4 | hexdig(s[i + 2]));
			o++;
			i += 2;
			continue;
		}
		FUZZ_CHECK(unreserved(c) || (keep_slash && c == '/'), "%s: byte 0x%02x left unencoded", what, c);
		if (out)
			out[o] = c;
		o++;
	}
	return o;
}

static void fuzz_encode(const uint8_t *data, size_t size)
{
	for (int keep = 0; keep <= 1; keep++) {
		dm_buf b = DM_BUF_INIT;
		unsigned char *dec;
		size_t n;

		FUZZ_CHECK(dm_sigv4_encode(&b, (const char *)data, size, keep) == DM_OK, "encode failed");
		FUZZ_CHECK(b.len == strlen(dm_buf_str(&b)), "encoding holds a NUL byte");
		dec = malloc(b.len + 1);
		if (!dec)
			abort();
		n = check_encoded(dm_buf_str(&b), b.len, keep, dec, "encode");
		FUZZ_CHECK(n == size && (size == 0 || memcmp(dec, data, size) == 0), "encoding does not decode back");
		free(dec);
		dm_buf_release(&b);
	}
}

/* Line 3 of the canonical request. */
static void check_query(const char *canonical, const char *query)
{
	const char *l = canonical;
	size_t segments = 0, pairs = 0;
	const char *prev = NULL;
	size_t prevlen = 0;

	for (int i = 0; i < 2; i++) {
		l = strchr(l, '\n');
		FUZZ_CHECK(l != NULL, "canonical request has fewer than 3 lines");
		l++;
	}
	for (const char *p = query; *p;) {
		size_t len = strcspn(p, "&");

		segments += len > 0;
		p += len;
		if (*p)
			p++;
	}
	for (const char *p = l; *p && *p != '\n';) {
		size_t len = strcspn(p, "&\n");
		const char *eq = memchr(p, '=', len);

		FUZZ_CHECK(eq != NULL, "query pair %zu has no '='", pairs);
		check_encoded(p, (size_t)(eq - p), 0, NULL, "query name");
		check_encoded(eq + 1, len - (size_t)(eq - p) - 1, 0, NULL, "query value");
		if (prev) {
			/* sorted by name, then by value: compared apart, since '-', '.' and
			 * '%' sort below '=' */
			size_t pk = strcspn(prev, "="), ck = (size_t)(eq - p);
			int c = strncmp(prev, p, pk < ck ? pk : ck);

			if (c == 0)
				c = (pk > ck) - (pk < ck);
			if (c == 0) {
				size_t pv = prevlen - pk - 1, cv = len - ck - 1;

				c = strncmp(prev + pk + 1, eq + 1, pv < cv ? pv : cv);
				if (c == 0)
					c = (pv > cv) - (pv < cv);
			}
			FUZZ_CHECK(c <= 0, "canonical query not sorted at pair %zu: '%.*s' before '%.*s'", pairs,
				   (int)prevlen, prev, (int)len, p);
		}
		prev = p;
		prevlen = len;
		pairs++;
		p += len;
		if (*p == '&')
			p++;
	}
	FUZZ_CHECK(pairs == segments, "%zu query pairs for %zu segments", pairs, segments);
}

static void check_signed_headers(const char *authz)
{
	const char *sh = NULL, *end = NULL, *prev = NULL;
	size_t prevlen = 0;

	/* the region is part of the credential scope and may hold anything:
	 * read the last two fields, which follow it */
	for (const char *p = authz; (p = strstr(p, ", SignedHeaders=")); p++)
		sh = p;
	FUZZ_CHECK(sh != NULL, "no SignedHeaders in '%s'", authz);
	sh += strlen(", SignedHeaders=");
	for (const char *p = sh; (p = strstr(p, ", Signature=")); p++)
		end = p;
	FUZZ_CHECK(end != NULL, "no Signature in '%s'", authz);
	FUZZ_CHECK(strlen(end + strlen(", Signature=")) == 64, "signature is not 64 hex digits");
	for (const char *p = sh; p < end;) {
		size_t len = strcspn(p, ";");

		if (p + len > end)
			len = (size_t)(end - p);
		for (size_t i = 0; i < len; i++)
			FUZZ_CHECK(!isupper((unsigned char)p[i]), "signed header name not lower-case");
		if (prev) {
			int c = strncmp(prev, p, prevlen < len ? prevlen : len);

			FUZZ_CHECK(c < 0 || (c == 0 && prevlen <= len), "signed headers not sorted");
		}
		prev = p;
		prevlen = len;
		p += len + 1;
	}
}

static void fuzz_sign(const uint8_t *data, size_t size)
{
	char *buf, *f[NFIXED + 1];
	dm_header hs[NHEADERS];
	size_t nh = 0;
	char amz_date[17];
	long long t;
	dm_sigv4_request r;
	dm_buf a1 = DM_BUF_INIT, c1 = DM_BUF_INIT, s1 = DM_BUF_INIT;
	dm_buf a2 = DM_BUF_INIT, c2 = DM_BUF_INIT, s2 = DM_BUF_INIT;
	dm_err e1, e2;

	fuzz_split(&buf, data, size, f, NFIXED + 1);
	/* the headers: what follows the fixed fields, one a line */
	for (char *p = f[NFIXED]; *p && nh < NHEADERS;) {
		char *nl = strchr(p, '\n'), *colon;

		if (nl)
			*nl = '\0';
		colon = strchr(p, ':');
		/* header names are HTTP tokens: the client only signs names it chose */
		if (colon && colon > p && strspn(p, TCHARS) == (size_t)(colon - p)) {
			*colon = '\0';
			hs[nh].name = p;
			hs[nh].value = colon + 1;
			nh++;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	/* the clock of a running program: dates from 1970 to 9999 */
	t = strtoll(f[6], NULL, 10);
	t = t < 0 ? -(t + 1) : t;
	t %= 253402300800LL;
	dm_sigv4_amz_date(amz_date, t);
	FUZZ_CHECK(strlen(amz_date) == 16 && amz_date[8] == 'T' && amz_date[15] == 'Z', "amz date '%s' for %lld",
		   amz_date, t);

	memset(&r, 0, sizeof(r));
	r.method = f[0][0] ? f[0] : "GET";
	r.host = "127.0.0.1:7480";
	r.path = f[1];
	r.query = f[2];
	r.headers = hs;
	r.nheaders = nh;
	r.payload_hash = DM_UNSIGNED_PAYLOAD;
	r.amz_date = amz_date;
	r.region = f[3][0] ? f[3] : "us-east-1";
	r.service = "s3";
	r.access_key = "AKIDEXAMPLE";
	r.secret_key = f[4];
	r.session_token = f[5][0] ? f[5] : NULL;

	e1 = dm_sigv4_sign(&a1, &c1, &s1, &r);
	e2 = dm_sigv4_sign(&a2, &c2, &s2, &r);
	FUZZ_CHECK(e1 == e2, "two signatures of one request: %d then %d", (int)e1, (int)e2);
	if (e1 == DM_OK) {
		FUZZ_CHECK(a1.len == a2.len && memcmp(a1.data, a2.data, a1.len) == 0, "authorization differs");
		FUZZ_CHECK(c1.len == c2.len && memcmp(c1.data, c2.data, c1.len) == 0, "canonical request differs");
		FUZZ_CHECK(s1.len == s2.len && memcmp(s1.data, s2.data, s1.len) == 0, "string to sign differs");
		FUZZ_CHECK(strncmp(dm_buf_str(&a1), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 40) == 0,
			   "authorization '%s'", dm_buf_str(&a1));
		FUZZ_CHECK(strncmp(dm_buf_str(&s1), "AWS4-HMAC-SHA256\n", 17) == 0, "string to sign");
		check_query(dm_buf_str(&c1), r.query);
		check_signed_headers(dm_buf_str(&a1));
	}
	dm_buf_release(&a1);
	dm_buf_release(&c1);
	dm_buf_release(&s1);
	dm_buf_release(&a2);
	dm_buf_release(&c2);
	dm_buf_release(&s2);
	free(buf);
	dm_err_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_encode(data, size);
	fuzz_sign(data, size);
	return 0;
}
