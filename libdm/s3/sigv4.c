/* libdm/s3/sigv4.c - AWS Signature Version 4 (see dm/sigv4.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <dm/sigv4.h>

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
	       c == '_' || c == '~';
}

dm_err dm_sigv4_encode(dm_buf *out, const char *s, size_t n, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	dm_err e = DM_OK;
	size_t start = 0;

	for (size_t i = 0; i < n && !e; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[3];

		if (unreserved(c) || (keep_slash && c == '/'))
			continue;
		if (i > start)
			e = dm_buf_append(out, s + start, i - start);
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		if (!e)
			e = dm_buf_append(out, esc, 3);
		start = i + 1;
	}
	if (!e && n > start)
		e = dm_buf_append(out, s + start, n - start);
	return e ? e : dm_buf_append(out, "", 0);
}

void dm_sha256_hex(char out[65], const void *data, size_t n)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, n, md);
	dm_hex(out, md, sizeof(md));
}

void dm_sigv4_amz_date(char out[17], long long t)
{
	time_t tt;
	struct tm tm;

	/* the format has room for years 0000-9999 only: keep t inside 1970-9999 */
	if (t < 0)
		t = 0;
	if (t > 253402300799LL)
		t = 253402300799LL;
	tt = (time_t)t;
	gmtime_r(&tt, &tm);
	if (strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) == 0)
		memcpy(out, "19700101T000000Z", 17);
}

dm_err dm_sigv4_host(dm_buf *out, const char *url)
{
	const char *sep = strstr(url, "://");
	const char *host = sep ? sep + 3 : url;
	const char *end = host + strcspn(host, "/?#");
	const char *port;
	const char *dflt = NULL;

	for (const char *q = host; q < end; q++)
		if (*q == '@')
			host = q + 1;
	if (sep && (size_t)(sep - url) == 4 && strncasecmp(url, "http", 4) == 0)
		dflt = "80";
	else if (sep && (size_t)(sep - url) == 5 && strncasecmp(url, "https", 5) == 0)
		dflt = "443";
	/* the port's ':' comes after an IPv6 literal's ']' */
	port = memchr(host, ']', (size_t)(end - host));
	port = memchr(port ? port : host, ':', (size_t)(end - (port ? port : host)));
	if (port && dflt && (size_t)(end - port - 1) == strlen(dflt) && strncmp(port + 1, dflt, strlen(dflt)) == 0)
		end = port;
	return dm_buf_append(out, host, (size_t)(end - host));
}

typedef struct {
	char *key;
	char *val;
} param;

static int cmp_param(const void *a, const void *b)
{
	const param *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->val, y->val);
}

/* The canonical query: every name and value decoded, re-encoded, sorted. */
static dm_err canonical_query(dm_buf *out, const char *q)
{
	param *ps = NULL;
	size_t np = 0;
	dm_err e = DM_OK;
	const char *p = q;

	if (!q || !*q)
		return DM_OK;
	while (*p && !e) {
		size_t len = strcspn(p, "&");
		const char *eq = memchr(p, '=', len);
		size_t klen = eq ? (size_t)(eq - p) : len;
		dm_buf kd = DM_BUF_INIT, vd = DM_BUF_INIT, ke = DM_BUF_INIT, ve = DM_BUF_INIT;
		param *grown;

		if (len == 0) {
			p++;
			continue;
		}
		/* '+' is a plus in S3 queries, not a space */
		if ((e = dm_pct_decode(&kd, p, klen, 0)) ||
		    (e = dm_pct_decode(&vd, eq ? eq + 1 : "", eq ? len - klen - 1 : 0, 0)) ||
		    (e = dm_sigv4_encode(&ke, kd.data, kd.len, 0)) || (e = dm_sigv4_encode(&ve, vd.data, vd.len, 0))) {
			dm_buf_release(&kd);
			dm_buf_release(&vd);
			dm_buf_release(&ke);
			dm_buf_release(&ve);
			break;
		}
		dm_buf_release(&kd);
		dm_buf_release(&vd);
		grown = realloc(ps, (np + 1) * sizeof(*ps));
		if (!grown) {
			dm_buf_release(&ke);
			dm_buf_release(&ve);
			e = dm_nomem();
			break;
		}
		ps = grown;
		ps[np].key = dm_buf_detach(&ke);
		ps[np].val = dm_buf_detach(&ve);
		np++;
		p += len;
		if (*p == '&')
			p++;
	}
	if (!e) {
		if (np > 1)
			qsort(ps, np, sizeof(*ps), cmp_param);
		for (size_t i = 0; i < np && !e; i++)
			e = dm_buf_printf(out, "%s%s=%s", i ? "&" : "", ps[i].key, ps[i].val);
	}
	for (size_t i = 0; i < np; i++) {
		free(ps[i].key);
		free(ps[i].val);
	}
	free(ps);
	return e;
}

typedef struct {
	char *name;        /* lower-case */
	const char *value; /* borrowed */
} hdr;

static int cmp_hdr(const void *a, const void *b)
{
	return strcmp(((const hdr *)a)->name, ((const hdr *)b)->name);
}

/* Appends value with leading/trailing spaces trimmed and inner runs collapsed. */
static dm_err put_trimmed(dm_buf *out, const char *v)
{
	dm_err e = DM_OK;
	int space = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v && !e; v++) {
		if (*v == ' ' || *v == '\t') {
			space = 1;
			continue;
		}
		if (space)
			e = dm_buf_append(out, " ", 1);
		space = 0;
		if (!e)
			e = dm_buf_append(out, v, 1);
	}
	return e;
}

static void hmac(unsigned char out[32], const void *key, size_t klen, const char *msg, size_t mlen)
{
	unsigned int len = 32;

	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, mlen, out, &len);
}

dm_err dm_sigv4_signing_key(unsigned char out[32], const char *secret_key, const char *date, const char *region,
			    const char *service)
{
	char small[256], *k = small;
	size_t n = strlen(secret_key);

	if (n + 5 > sizeof(small) && !(k = malloc(n + 5)))
		return dm_nomem();
	memcpy(k, "AWS4", 4);
	memcpy(k + 4, secret_key, n + 1);
	hmac(out, k, n + 4, date, 8);
	hmac(out, out, 32, region, strlen(region));
	hmac(out, out, 32, service, strlen(service));
	hmac(out, out, 32, "aws4_request", 12);
	dm_wipe(k, n + 4);
	if (k != small)
		free(k);
	return DM_OK;
}

dm_err dm_sigv4_sign(dm_buf *authz, dm_buf *canonical_out, dm_buf *sts_out, const dm_sigv4_request *r)
{
	dm_buf creq = DM_BUF_INIT, sts = DM_BUF_INIT, signed_names = DM_BUF_INIT;
	hdr *hs;
	size_t nh = 0;
	char date[9], hash[65], sig[65];
	unsigned char k[32];
	dm_err e;

	hs = calloc(r->nheaders + 3, sizeof(*hs));
	if (!hs)
		return dm_nomem();
	hs[nh].name = strdup("host");
	hs[nh++].value = r->host;
	hs[nh].name = strdup("x-amz-date");
	hs[nh++].value = r->amz_date;
	if (r->session_token) {
		hs[nh].name = strdup("x-amz-security-token");
		hs[nh++].value = r->session_token;
	}
	for (size_t i = 0; i < r->nheaders; i++) {
		char *n = strdup(r->headers[i].name);

		for (char *c = n; c && *c; c++)
			*c = (char)tolower((unsigned char)*c);
		hs[nh].name = n;
		hs[nh++].value = r->headers[i].value;
	}
	for (size_t i = 0; i < nh; i++) {
		if (!hs[i].name) {
			e = dm_nomem();
			goto done;
		}
	}
	qsort(hs, nh, sizeof(*hs), cmp_hdr);

	if ((e = dm_buf_printf(&creq, "%s\n%s\n", r->method, r->path && *r->path ? r->path : "/")) ||
	    (e = canonical_query(&creq, r->query)) || (e = dm_buf_puts(&creq, "\n")))
		goto done;
	for (size_t i = 0; i < nh; i++) {
		if ((e = dm_buf_printf(&creq, "%s:", hs[i].name)) || (e = put_trimmed(&creq, hs[i].value)) ||
		    (e = dm_buf_puts(&creq, "\n")) ||
		    (e = dm_buf_printf(&signed_names, "%s%s", i ? ";" : "", hs[i].name)))
			goto done;
	}
	if ((e = dm_buf_printf(&creq, "\n%s\n%s", dm_buf_str(&signed_names), r->payload_hash)))
		goto done;

	memcpy(date, r->amz_date, 8);
	date[8] = '\0';
	dm_sha256_hex(hash, creq.data, creq.len);
	if ((e = dm_buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", r->amz_date, date, r->region,
			       r->service, hash)))
		goto done;

	if (r->signing_key)
		memcpy(k, r->signing_key, 32);
	else if ((e = dm_sigv4_signing_key(k, r->secret_key, date, r->region, r->service)))
		goto done;
	hmac(k, k, 32, sts.data, sts.len);
	dm_hex(sig, k, 32);
	e = dm_buf_printf(authz, "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
			  r->access_key, date, r->region, r->service, dm_buf_str(&signed_names), sig);
	if (!e && canonical_out)
		e = dm_buf_append(canonical_out, creq.data, creq.len);
	if (!e && sts_out)
		e = dm_buf_append(sts_out, sts.data, sts.len);
done:
	dm_wipe(k, sizeof(k));
	for (size_t i = 0; i < nh; i++)
		free(hs[i].name);
	free(hs);
	dm_buf_release(&creq);
	dm_buf_release(&sts);
	dm_buf_release(&signed_names);
	return e;
}
