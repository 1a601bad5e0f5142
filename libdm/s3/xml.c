/* libdm/s3/xml.c - S3 XML replies through libxml2 (no network, no entities). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <dm/util.h>

#include "xml.h"

static xmlDocPtr parse(const char *xml, size_t len)
{
	if (!xml || len == 0 || len > (size_t)64 << 20)
		return NULL;
	return xmlReadMemory(xml, (int)len, "s3.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static int named(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
		if (named(c, name))
			return c;
	return NULL;
}

/* *root: the root element of a reply that must be named root_name.  DM_OK, or
 * DM_ERR_PARSE ("malformed/unexpected WHAT reply") with doc freed. */
static dm_err reply_root(xmlNodePtr *root, xmlDocPtr doc, const char *root_name, const char *what)
{
	*root = NULL;
	if (!doc)
		return dm_fail(DM_ERR_PARSE, "malformed %s reply", what);
	*root = xmlDocGetRootElement(doc);
	if (!*root || !named(*root, root_name)) {
		*root = NULL;
		xmlFreeDoc(doc);
		return dm_fail(DM_ERR_PARSE, "unexpected %s reply", what);
	}
	return DM_OK;
}

/* Text of parent/name as a malloc'd string, or NULL when absent. */
static char *text_of(xmlNodePtr parent, const char *name)
{
	xmlNodePtr c = child(parent, name);
	xmlChar *t;
	char *out;

	if (!c)
		return NULL;
	t = xmlNodeGetContent(c);
	out = strdup(t ? (const char *)t : "");
	xmlFree(t);
	return out;
}

static void copy_text(xmlNodePtr parent, const char *name, char *out, size_t n)
{
	char *t = text_of(parent, name);

	if (n == 0)
		return;
	out[0] = '\0';
	if (t) {
		snprintf(out, n, "%s", t);
		free(t);
	}
}

static void unquote(char *etag)
{
	size_t n = strlen(etag);

	if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"') {
		memmove(etag, etag + 1, n - 2);
		etag[n - 2] = '\0';
	} else if (n >= 12 && strncmp(etag, "&quot;", 6) == 0) {
		memmove(etag, etag + 6, n - 6 + 1);
	}
}

int dm_s3_xml_error(const char *xml, size_t len, char *code, size_t ncode, char *msg, size_t nmsg, char *reqid,
		    size_t nreqid)
{
	xmlDocPtr doc = parse(xml, len);
	xmlNodePtr root;
	int ok = 0;

	if (ncode)
		code[0] = '\0';
	if (nmsg)
		msg[0] = '\0';
	if (nreqid)
		reqid[0] = '\0';
	if (!doc)
		return 0;
	root = xmlDocGetRootElement(doc);
	if (root && named(root, "Error")) {
		copy_text(root, "Code", code, ncode);
		copy_text(root, "Message", msg, nmsg);
		copy_text(root, "RequestId", reqid, nreqid);
		ok = 1;
	}
	xmlFreeDoc(doc);
	return ok;
}

dm_err dm_s3_xml_upload_id(const char *xml, size_t len, char **upload_id)
{
	xmlDocPtr doc = parse(xml, len);
	xmlNodePtr root;
	char *id = NULL;

	*upload_id = NULL;
	if (!doc)
		return dm_fail(DM_ERR_PARSE, "malformed InitiateMultipartUpload reply");
	root = xmlDocGetRootElement(doc);
	if (root && named(root, "InitiateMultipartUploadResult"))
		id = text_of(root, "UploadId");
	xmlFreeDoc(doc);
	if (!id || !*id) {
		free(id);
		return dm_fail(DM_ERR_PARSE, "InitiateMultipartUpload reply has no UploadId");
	}
	*upload_id = id;
	return DM_OK;
}

dm_err dm_s3_xml_complete(const char *xml, size_t len, char *etag)
{
	xmlDocPtr doc = parse(xml, len);
	xmlNodePtr root;
	dm_err e;

	etag[0] = '\0';
	if ((e = reply_root(&root, doc, "CompleteMultipartUploadResult", "CompleteMultipartUpload")) != DM_OK)
		return e;
	copy_text(root, "ETag", etag, 80);
	unquote(etag);
	xmlFreeDoc(doc);
	return DM_OK;
}

/* A listed key as the reply wrote it into its text: percent-decoded exactly
 * once when the reply says <EncodingType>url</EncodingType> (where '+' is a
 * space, as S3 writes it), taken as it is otherwise (a server that ignored
 * encoding-type=url sends raw keys, and "a+b" is then a plus).  A key that
 * does not decode, or decodes to a NUL byte or to bytes that are not UTF-8,
 * is refused: no local file can map to it, and acting on a guess could
 * delete the wrong object.  The detail names the key as listed. */
static dm_err listed_key(char **key, int url_encoded)
{
	dm_buf b = DM_BUF_INIT, shown = DM_BUF_INIT;
	const char *why = NULL;
	dm_err e = DM_OK;

	if (url_encoded) {
		e = dm_pct_decode_strict(&b, *key, strlen(*key), 1);
		if (e == DM_ERR_PARSE)
			why = "has a bad %-escape";
		else if (e)
			goto done;
	} else if ((e = dm_buf_puts(&b, *key))) {
		goto done;
	}
	if (!why && !**key)
		why = "is empty";
	else if (!why && strlen(b.data) != b.len)
		why = "decodes to a NUL byte";
	else if (!why && !dm_utf8_valid(b.data, b.len))
		why = "is not UTF-8";
	if (why) {
		e = dm_buf_put_shown(&shown, *key, strlen(*key));
		e = e ? e : dm_fail(DM_ERR_PARSE, "key '%s' %s", shown.data, why);
		goto done;
	}
	free(*key);
	*key = dm_buf_detach(&b);
done:
	dm_buf_release(&b);
	dm_buf_release(&shown);
	return e == DM_ERR_NOMEM ? dm_fail(e, "out of memory") : e;
}

void dm_s3_page_release(dm_s3_page *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->items[i].key);
	free(p->items);
	p->items = NULL;
	p->n = 0;
}

dm_err dm_s3_xml_list(const char *xml, size_t len, dm_s3_page *page, char **next_token)
{
	xmlDocPtr doc = parse(xml, len);
	xmlNodePtr root;
	size_t cap = 0;
	char *trunc, *encoding;
	int url_encoded;
	dm_err e = DM_OK;

	page->items = NULL;
	page->n = 0;
	*next_token = NULL;
	if ((e = reply_root(&root, doc, "ListBucketResult", "ListObjectsV2")) != DM_OK)
		return e;
	encoding = text_of(root, "EncodingType");
	url_encoded = encoding && strcmp(encoding, "url") == 0;
	if (encoding && !url_encoded) {
		dm_buf shown = DM_BUF_INIT;

		e = dm_buf_put_shown(&shown, encoding, strlen(encoding));
		e = dm_fail(e ? e : DM_ERR_PARSE, "unknown EncodingType '%s'", e ? "" : shown.data);
		dm_buf_release(&shown);
	}
	free(encoding);
	for (xmlNodePtr c = root->children; c && !e; c = c->next) {
		dm_s3_object *o;
		char *size;

		if (!named(c, "Contents"))
			continue;
		if (page->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			dm_s3_object *grown = realloc(page->items, ncap * sizeof(*grown));

			if (!grown) {
				e = dm_nomem();
				break;
			}
			page->items = grown;
			cap = ncap;
		}
		o = &page->items[page->n];
		memset(o, 0, sizeof(*o));
		o->key = text_of(c, "Key");
		if (!o->key) {
			e = dm_fail(DM_ERR_PARSE, "ListObjectsV2 reply has an entry without Key");
			break;
		}
		if ((e = listed_key(&o->key, url_encoded))) {
			free(o->key);
			break;
		}
		size = text_of(c, "Size");
		o->size = size ? strtoull(size, NULL, 10) : 0;
		free(size);
		copy_text(c, "ETag", o->etag, sizeof(o->etag));
		unquote(o->etag);
		page->n++;
	}
	trunc = text_of(root, "IsTruncated");
	if (!e && trunc && strcmp(trunc, "true") == 0) {
		*next_token = text_of(root, "NextContinuationToken");
		if (!*next_token || !**next_token) {
			free(*next_token);
			*next_token = NULL;
			e = dm_fail(DM_ERR_PARSE, "truncated ListObjectsV2 reply without NextContinuationToken");
		}
	}
	free(trunc);
	xmlFreeDoc(doc);
	if (e)
		dm_s3_page_release(page);
	return e;
}

/* "2026-11-28T13:15:07.662Z" -> seconds since the epoch, or -1. */
static double iso8601(const char *s)
{
	struct tm tm;
	double sec = 0;
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (!s ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%lf%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &sec,
		   &n) != 6 ||
	    sec < 0 || sec >= 61)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_sec = 0;
	return (double)timegm(&tm) + sec;
}

void dm_s3_uploads_free(dm_s3_upload *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(u[i].key);
		free(u[i].upload_id);
	}
	free(u);
}

dm_err dm_s3_xml_uploads(const char *xml, size_t len, dm_s3_upload **out, size_t *n, char **next_key, char **next_id)
{
	xmlDocPtr doc = parse(xml, len);
	xmlNodePtr root;
	dm_s3_upload *list = NULL;
	size_t cnt = 0;
	char *trunc;
	dm_err e;

	*next_key = *next_id = NULL;
	if ((e = reply_root(&root, doc, "ListMultipartUploadsResult", "ListMultipartUploads")) != DM_OK)
		return e;
	for (xmlNodePtr c = root->children; c; c = c->next) {
		dm_s3_upload *grown;

		if (!named(c, "Upload"))
			continue;
		grown = realloc(list, (cnt + 1) * sizeof(*grown));
		if (!grown) {
			dm_s3_uploads_free(list, cnt);
			xmlFreeDoc(doc);
			return dm_nomem();
		}
		list = grown;
		list[cnt].key = text_of(c, "Key");
		list[cnt].upload_id = text_of(c, "UploadId");
		{
			char *when = text_of(c, "Initiated");

			list[cnt].initiated = iso8601(when);
			free(when);
		}
		cnt++;
		if (!list[cnt - 1].key || !list[cnt - 1].upload_id) {
			dm_s3_uploads_free(list, cnt);
			xmlFreeDoc(doc);
			return dm_fail(DM_ERR_PARSE, "ListMultipartUploads entry without Key or UploadId");
		}
	}
	trunc = text_of(root, "IsTruncated");
	if (trunc && strcmp(trunc, "true") == 0) {
		*next_key = text_of(root, "NextKeyMarker");
		*next_id = text_of(root, "NextUploadIdMarker");
	}
	free(trunc);
	xmlFreeDoc(doc);
	*out = list;
	*n = cnt;
	return DM_OK;
}

void dm_s3_xml_upload_times_free(dm_s3_xml_upload_time *u, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(u[i].upload_id);
	free(u);
}

dm_err dm_s3_xml_upload_times(const char *xml, size_t len, const char *key, dm_s3_xml_upload_time **out, size_t *n)
{
	xmlDocPtr doc = parse(xml, len);
	xmlNodePtr root;
	dm_s3_xml_upload_time *list = NULL;
	size_t cnt = 0;
	dm_err e = DM_OK;

	*out = NULL;
	*n = 0;
	if ((e = reply_root(&root, doc, "ListMultipartUploadsResult", "ListMultipartUploads")) != DM_OK)
		return e;
	for (xmlNodePtr c = root->children; c && !e; c = c->next) {
		char *k, *id, *when;
		dm_s3_xml_upload_time *grown;

		if (!named(c, "Upload"))
			continue;
		k = text_of(c, "Key");
		id = text_of(c, "UploadId");
		when = text_of(c, "Initiated");
		if (k && id && strcmp(k, key) == 0) {
			grown = realloc(list, (cnt + 1) * sizeof(*grown));
			if (!grown) {
				e = dm_nomem();
			} else {
				list = grown;
				list[cnt].upload_id = id;
				list[cnt++].initiated = iso8601(when);
				id = NULL;
			}
		}
		free(k);
		free(id);
		free(when);
	}
	xmlFreeDoc(doc);
	if (e) {
		dm_s3_xml_upload_times_free(list, cnt);
		return e;
	}
	*out = list;
	*n = cnt;
	return DM_OK;
}
