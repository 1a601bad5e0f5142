/* libdm/k8s/client.c - requests to the Kubernetes API over the shared curl
 * setup, and Kubernetes Status replies turned into clear messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include <dm/k8s.h>
#include <dm/log.h>
#include <dm/util.h>

#include "http.h"
#include "internal.h"

#define MAX_TRIES 3

struct dm_k8s {
	dm_k8s_config *cfg;
	CURL *h;
	dm_http_opts http;
	char errbuf[CURL_ERROR_SIZE];
};

dm_err dm_k8s_new(dm_k8s **out, const dm_k8s_config *cfg)
{
	dm_k8s *c;
	dm_err e;

	*out = NULL;
	if (!(c = calloc(1, sizeof(*c))))
		return dm_nomem();
	if ((e = dm_k8s_config_dup(&c->cfg, cfg)) != DM_OK) {
		free(c);
		return e;
	}
	dm_http_global_init();
	if (!(c->h = curl_easy_init())) {
		dm_k8s_free(c);
		return dm_fail(DM_ERR_NOMEM, "cannot create an HTTP handle");
	}
	c->http.ca_file = c->cfg->ca_file;
	c->http.ca_pem = c->cfg->ca_pem;
	c->http.insecure = c->cfg->insecure;
	c->http.cert_file = c->cfg->cert_file;
	c->http.key_file = c->cfg->key_file;
	c->http.cert_pem = c->cfg->cert_pem;
	c->http.key_pem = c->cfg->key_pem;
	*out = c;
	return DM_OK;
}

dm_err dm_k8s_open(dm_k8s **out, const dm_k8s_opts *o)
{
	dm_k8s_config *cfg = NULL;
	dm_err e;

	*out = NULL;
	if ((e = dm_k8s_config_load(&cfg, o)) != DM_OK)
		return e;
	e = dm_k8s_new(out, cfg);
	dm_k8s_config_free(cfg);
	return e;
}

const dm_k8s_config *dm_k8s_config_of(const dm_k8s *c)
{
	return c->cfg;
}

void dm_k8s_free(dm_k8s *c)
{
	if (!c)
		return;
	if (c->h)
		curl_easy_cleanup(c->h);
	dm_k8s_config_free(c->cfg);
	free(c);
}

/* A transfer that got no reply, in words a user can act on. */
static dm_err transfer_fail(const dm_k8s *c, CURLcode rc, const char *url, const dm_http_reply *rep)
{
	const dm_k8s_config *k = c->cfg;
	const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		if (k->ca_origin)
			return dm_fail(DM_ERR_TLS, "the certificate of the API server %s did not match the CA %s: %s",
				       k->server, k->ca_origin, why);
		return dm_fail(DM_ERR_TLS,
			       "the certificate of the API server %s is not trusted by the system CA "
			       "store and cluster '%s' sets no certificate-authority: %s",
			       k->server, k->cluster ? k->cluster : "", why);
	case CURLE_SSL_CACERT_BADFILE:
		return dm_fail(DM_ERR_TLS, "cannot use the CA %s: %s", k->ca_origin ? k->ca_origin : "(system store)",
			       why);
	case CURLE_SSL_CERTPROBLEM:
		return dm_fail(DM_ERR_TLS, "cannot use the client certificate of user '%s' (%s): %s",
			       k->user ? k->user : "", k->cert_file ? k->cert_file : "client-certificate-data", why);
	default: return dm_http_fail(rc, c->errbuf, url, &c->http, rep);
	}
}

dm_err dm_k8s_request(dm_k8s *c, const char *method, const char *path, const char *body, long *status, char **reply)
{
	struct curl_slist *hdr = NULL;
	dm_buf url = DM_BUF_INIT, got = DM_BUF_INIT;
	dm_http_reply sink = { .body = &got, .kind = DM_HTTP_SHORT };
	CURLcode rc = CURLE_OK;
	dm_err e = DM_OK;
	int is_get = strcmp(method, "GET") == 0;

	*status = 0;
	if (reply)
		*reply = NULL;
	if ((e = dm_buf_printf(&url, "%s%s", c->cfg->server, path)) != DM_OK)
		return e;
	hdr = curl_slist_append(hdr, "Accept: application/json");
	if (body)
		hdr = curl_slist_append(hdr, strcmp(method, "PATCH") == 0 ? "Content-Type: application/merge-patch+json"
									  : "Content-Type: application/json");
	if (!hdr) {
		e = dm_nomem();
		goto done;
	}
	for (int attempt = 1;; attempt++) {
		curl_easy_reset(c->h);
		if ((e = dm_http_setup(c->h, &c->http, &sink, c->errbuf)) != DM_OK)
			goto done;
		curl_easy_setopt(c->h, CURLOPT_URL, dm_buf_str(&url));
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c->h, CURLOPT_USERAGENT, "dm/k8s");
		if (c->cfg->token) {
			curl_easy_setopt(c->h, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
			curl_easy_setopt(c->h, CURLOPT_XOAUTH2_BEARER, c->cfg->token);
		}
		if (!is_get)
			curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, method);
		if (body) {
			curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
		}
		dm_debug("%s %s%s", method, c->cfg->server, path);
		rc = curl_easy_perform(c->h);
		/* only GETs are repeated: a POST may have been applied before the connection broke */
		if (rc == CURLE_OK || !is_get || attempt >= MAX_TRIES || !dm_http_retryable(rc, c->errbuf, &sink))
			break;
		dm_debug("retrying %s %s: %s", method, path, c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		dm_buf_release(&got);
		usleep(200000u * (unsigned)attempt);
	}
	if (rc != CURLE_OK) {
		e = transfer_fail(c, rc, dm_buf_str(&url), &sink);
		goto done;
	}
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, status);
	dm_debug("%s %s: HTTP %ld, %zu bytes", method, path, *status, got.len);
	if (reply) {
		if (!dm_buf_str(&got)) {
			e = dm_nomem();
			goto done;
		}
		*reply = dm_buf_detach(&got);
	}
done:
	/* curl keeps a copy of the token in the handle until the next reset */
	curl_easy_reset(c->h);
	curl_slist_free_all(hdr);
	dm_buf_release(&url);
	dm_buf_release(&got);
	return e;
}

/* "secrets" -> "secret", "ingresses" -> "ingress", "policies" -> "policy". */
static void singular(char *out, size_t n, const char *plural)
{
	size_t len = strlen(plural);

	if (len > 3 && strcmp(plural + len - 3, "ies") == 0)
		snprintf(out, n, "%.*sy", (int)(len - 3), plural);
	else if (len > 4 && strcmp(plural + len - 4, "sses") == 0)
		snprintf(out, n, "%.*s", (int)(len - 2), plural);
	else if (len > 1 && plural[len - 1] == 's')
		snprintf(out, n, "%.*s", (int)(len - 1), plural);
	else
		snprintf(out, n, "%s", plural);
}

/* The User "x" named in a Status message, or NULL. */
static int user_of(char *out, size_t n, const char *msg)
{
	const char *p = msg ? strstr(msg, "User \"") : NULL;
	const char *q;

	if (!p)
		return 0;
	p += 6;
	q = strchr(p, '"');
	if (!q)
		return 0;
	snprintf(out, n, "%.*s", (int)(q - p), p);
	return 1;
}

static const char *reason_phrase(long status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "";
	}
}

dm_err dm_k8s_status_fail(const dm_k8s *c, long status, const char *reply, const char *verb, const char *resource,
			  const char *name, const char *ns)
{
	json_t *root = reply ? json_loads(reply, 0, NULL) : NULL;
	const char *kind = json_string_value(json_object_get(root, "kind"));
	const char *msg = NULL;
	const char *server = c ? c->cfg->server : "the API server";
	char what[128], user[256], where[300];
	dm_err e;

	if (kind && strcmp(kind, "Status") == 0)
		msg = json_string_value(json_object_get(root, "message"));
	singular(what, sizeof(what), resource ? resource : "object");
	if (ns && *ns)
		snprintf(where, sizeof(where), " in namespace \"%s\"", ns);
	else
		where[0] = '\0';

	switch (status) {
	case 401:
		if (c && c->cfg->context)
			e = dm_fail(DM_ERR_AUTH,
				    "credentials rejected by the API server %s (401 Unauthorized): "
				    "check user '%s' of context '%s' in %s",
				    server, c->cfg->user ? c->cfg->user : "", c->cfg->context, c->cfg->source);
		else if (c)
			e = dm_fail(DM_ERR_AUTH,
				    "credentials rejected by the API server %s (401 Unauthorized): "
				    "check the token from %s",
				    server, c->cfg->token_file ? c->cfg->token_file : c->cfg->source);
		else
			e = dm_fail(DM_ERR_AUTH, "credentials rejected by the API server (401 Unauthorized)");
		break;
	case 403:
		if (user_of(user, sizeof(user), msg))
			e = dm_fail(DM_ERR_FORBIDDEN, "User \"%s\" cannot %s %s%s", user, verb ? verb : "access",
				    resource ? resource : "this", where);
		else
			e = dm_fail(DM_ERR_FORBIDDEN, "forbidden (403): %s",
				    msg ? msg : "the API server refused the request");
		break;
	case 404:
		if (msg && kind && name && *name)
			e = dm_fail(DM_ERR_NOTFOUND, "%s \"%s\" not found%s", what, name, where);
		else if (msg)
			e = dm_fail(DM_ERR_NOTFOUND, "not found: %s", msg);
		else
			e = dm_fail(DM_ERR_NOTFOUND,
				    "%s answered 404 Not Found without a Kubernetes Status: "
				    "is it a Kubernetes API server?",
				    server);
		break;
	case 409:
		if (name && *name)
			e = dm_fail(DM_ERR_HTTP, "%s \"%s\" already exists%s", what, name, where);
		else
			e = dm_fail(DM_ERR_HTTP, "conflict (409): %s", msg ? msg : "");
		break;
	default:
		e = dm_fail(DM_ERR_HTTP, "the API server %s answered %ld %s to %s %s%s%s%s%s%s", server, status,
			    reason_phrase(status), verb ? verb : "the request", resource ? resource : "",
			    name ? " \"" : "", name ? name : "", name ? "\"" : "", msg ? ": " : "", msg ? msg : "");
		break;
	}
	json_decref(root);
	return e;
}

/* DNS-1123 names: what the API accepts for namespaces and most objects; anything else could
 * reach another path. */
static int valid_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || s[0] == '.' || s[0] == '-' || s[n - 1] == '-' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

static dm_err check_names(const char *ns, const char *name, const char *kind)
{
	if (ns && (!valid_name(ns, 63) || strchr(ns, '.')))
		return dm_fail(DM_ERR_INVALID, "invalid namespace name '%s' (lower-case letters, digits and '-')", ns);
	if (name && !valid_name(name, 253))
		return dm_fail(DM_ERR_INVALID, "invalid %s name '%s' (lower-case letters, digits, '-' and '.')", kind,
			       name);
	return DM_OK;
}

dm_err dm_k8s_namespace_exists(dm_k8s *c, const char *ns, int *exists)
{
	char path[128];
	char *reply = NULL;
	long status;
	dm_err e;

	*exists = 0;
	if ((e = check_names(ns, NULL, NULL)) != DM_OK)
		return e;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s", ns);
	if ((e = dm_k8s_request(c, "GET", path, NULL, &status, &reply)) != DM_OK)
		return e;
	if (status == 200)
		*exists = 1;
	else if (status != 404)
		e = dm_k8s_status_fail(c, status, reply, "get", "namespaces", ns, NULL);
	free(reply);
	return e;
}

dm_err dm_k8s_ensure_namespace(dm_k8s *c, const char *ns)
{
	char path[128], *body = NULL, *reply = NULL;
	int exists = 0;
	long status;
	dm_err e;

	if ((e = dm_k8s_namespace_exists(c, ns, &exists)) == DM_OK && exists)
		return DM_OK;
	if (e != DM_OK && e != DM_ERR_FORBIDDEN)
		return e;
	/* someone allowed to create but not to get namespaces still gets one */
	dm_err_clear();
	snprintf(path, sizeof(path), "/api/v1/namespaces");
	/* the label marks it as dm's: dm-helm --delete-namespace deletes no other */
	if (asprintf(&body,
		     "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\","
		     "\"labels\":{\"app.kubernetes.io/managed-by\":\"dm\"}}}",
		     ns) < 0)
		return dm_nomem();
	if ((e = dm_k8s_request(c, "POST", path, body, &status, &reply)) == DM_OK && status != 201 && status != 200 &&
	    status != 409)
		e = dm_k8s_status_fail(c, status, reply, "create", "namespaces", ns, NULL);
	if (e == DM_OK)
		dm_info("namespace '%s' %s", ns, status == 409 ? "exists" : "created");
	free(body);
	free(reply);
	return e;
}

dm_err dm_k8s_server_version(dm_k8s *c, char **out)
{
	char *reply = NULL;
	json_t *root = NULL;
	const char *v;
	long status;
	dm_err e;

	*out = NULL;
	if ((e = dm_k8s_request(c, "GET", "/version", NULL, &status, &reply)) != DM_OK)
		return e;
	if (status != 200) {
		e = dm_k8s_status_fail(c, status, reply, "get", "version", NULL, NULL);
		goto done;
	}
	root = json_loads(reply, 0, NULL);
	v = json_string_value(json_object_get(root, "gitVersion"));
	if (!v) {
		e = dm_fail(DM_ERR_PARSE, "the reply of %s/version has no gitVersion", c->cfg->server);
		goto done;
	}
	if (!(*out = strdup(v)))
		e = dm_nomem();
done:
	json_decref(root);
	free(reply);
	return e;
}

dm_err dm_k8s_readyz(dm_k8s *c)
{
	char *reply = NULL;
	long status;
	dm_err e;

	if ((e = dm_k8s_request(c, "GET", "/readyz", NULL, &status, &reply)) != DM_OK)
		return e;
	if (status == 200 && strncmp(reply, "ok", 2) == 0)
		e = DM_OK;
	else if (status == 401 || status == 403)
		e = dm_k8s_status_fail(c, status, reply, "get", "readyz", NULL, NULL);
	else
		e = dm_fail(DM_ERR_HTTP, "the API server %s is not ready (HTTP %ld)", c->cfg->server, status);
	free(reply);
	return e;
}

/* --- Secrets ------------------------------------------------------------------------------ */

void dm_k8s_secret_free(dm_k8s_secret *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->items[i].key);
		if (s->items[i].value) {
			dm_wipe(s->items[i].value, s->items[i].len);
			free(s->items[i].value);
		}
	}
	free(s->items);
	free(s->name);
	free(s->ns);
	free(s->type);
	free(s);
}

static int item_cmp(const void *a, const void *b)
{
	return strcmp(((const dm_k8s_secret_item *)a)->key, ((const dm_k8s_secret_item *)b)->key);
}

dm_err dm_k8s_secret_parse(const char *json, size_t len, dm_k8s_secret **out)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr), *meta, *data, *v;
	dm_k8s_secret *s = NULL;
	const char *kind, *k;
	dm_err e = DM_OK;

	*out = NULL;
	if (!root)
		return dm_fail(DM_ERR_PARSE, "the Secret reply is not JSON (line %d, column %d)", jerr.line,
			       jerr.column);
	kind = json_string_value(json_object_get(root, "kind"));
	if (!json_is_object(root) || !kind || strcmp(kind, "Secret") != 0) {
		e = dm_fail(DM_ERR_PARSE, "the reply is not a Secret (kind '%s')", kind ? kind : "(none)");
		goto done;
	}
	if (!(s = calloc(1, sizeof(*s))))
		goto nomem;
	meta = json_object_get(root, "metadata");
	if (json_string_value(json_object_get(meta, "name")) &&
	    !(s->name = strdup(json_string_value(json_object_get(meta, "name")))))
		goto nomem;
	if (json_string_value(json_object_get(meta, "namespace")) &&
	    !(s->ns = strdup(json_string_value(json_object_get(meta, "namespace")))))
		goto nomem;
	if (!(s->type = strdup(json_string_value(json_object_get(root, "type"))
				       ? json_string_value(json_object_get(root, "type"))
				       : "Opaque")))
		goto nomem;
	data = json_object_get(root, "data");
	if (data && !json_is_object(data) && !json_is_null(data)) {
		e = dm_fail(DM_ERR_PARSE, "the Secret's 'data' is not an object");
		goto done;
	}
	if (json_is_object(data) && json_object_size(data)) {
		if (!(s->items = calloc(json_object_size(data), sizeof(*s->items))))
			goto nomem;
		json_object_foreach(data, k, v)
		{
			dm_k8s_secret_item *it = &s->items[s->n];

			if (!json_is_string(v)) {
				e = dm_fail(DM_ERR_PARSE, "the value of key '%s' in the Secret is not a string", k);
				goto done;
			}
			if (!(it->key = strdup(k)))
				goto nomem;
			s->n++;
			if (dm_base64_decode(&it->value, &it->len, json_string_value(v), json_string_length(v)) !=
			    DM_OK) {
				e = dm_fail(DM_ERR_PARSE, "the value of key '%s' in the Secret is not base64", k);
				goto done;
			}
			if (it->len >= 4 && memchr(it->value, '\0', it->len) == NULL)
				dm_log_add_secret((const char *)it->value);
		}
		qsort(s->items, s->n, sizeof(*s->items), item_cmp);
	}
	*out = s;
	s = NULL;
	goto done;
nomem:
	e = dm_nomem();
done:
	dm_k8s_secret_free(s);
	json_decref(root);
	return e;
}

const dm_k8s_secret_item *dm_k8s_secret_find(const dm_k8s_secret *s, const char *key)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (strcmp(s->items[i].key, key) == 0)
			return &s->items[i];
	return NULL;
}

/* The spellings of an S3 key pair in the Secrets of common charts, first match wins. */
static const char *const common_pairs[][2] = {
	{ "accesskey", "secretkey" },     { "rootUser", "rootPassword" },
	{ "root-user", "root-password" }, { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY" },
	{ "access_key", "secret_key" },   { "accessKey", "secretKey" },
};

/* With one field named, the other: its partner among the common spellings. */
static void pair_other(const dm_k8s_secret *s, const char *akf, const char *skf, const dm_k8s_secret_item **ak,
		       const dm_k8s_secret_item **sk)
{
	for (size_t i = 0; i < sizeof(common_pairs) / sizeof(common_pairs[0]); i++) {
		if (!akf && strcmp(common_pairs[i][1], skf) == 0)
			*ak = dm_k8s_secret_find(s, common_pairs[i][0]);
		if (!skf && strcmp(common_pairs[i][0], akf) == 0)
			*sk = dm_k8s_secret_find(s, common_pairs[i][1]);
	}
}

dm_err dm_k8s_secret_keys(const dm_k8s_secret *s, dm_buf *out)
{
	dm_err e = DM_OK;

	dm_buf_clear(out);
	for (size_t i = 0; i < s->n && !e; i++)
		e = dm_buf_printf(out, "%s%s", i ? ", " : "", s->items[i].key);
	if (!e && !s->n)
		e = dm_buf_puts(out, "none");
	return e;
}

static dm_err pair_missing(const dm_k8s_secret *s, const char *akf, const char *skf)
{
	dm_buf keys = DM_BUF_INIT;
	dm_err e;

	if (dm_k8s_secret_keys(s, &keys)) {
		dm_buf_release(&keys);
		return dm_nomem();
	}
	if (akf || skf)
		e = dm_fail(DM_ERR_NOTFOUND, "secret \"%s\" has no key '%s' (keys: %s)", s->name,
			    akf && !dm_k8s_secret_find(s, akf) ? akf
			    : skf                              ? skf
							       : "?",
			    dm_buf_str(&keys));
	else
		e = dm_fail(DM_ERR_NOTFOUND,
			    "secret \"%s\" holds no access/secret key pair of a known spelling (keys: %s)", s->name,
			    dm_buf_str(&keys));
	dm_buf_release(&keys);
	return e;
}

dm_err dm_k8s_secret_pair(const dm_k8s_secret *s, const char *akf, const char *skf, const dm_k8s_secret_item **ak,
			  const dm_k8s_secret_item **sk)
{
	*ak = *sk = NULL;
	if (akf || skf) {
		*ak = akf ? dm_k8s_secret_find(s, akf) : NULL;
		*sk = skf ? dm_k8s_secret_find(s, skf) : NULL;
		if ((akf && !*ak) || (skf && !*sk))
			goto missing;
		if (!akf || !skf)
			pair_other(s, akf, skf, ak, sk);
		if (*ak && *sk)
			return DM_OK;
		goto missing;
	}
	for (size_t i = 0; i < sizeof(common_pairs) / sizeof(common_pairs[0]); i++) {
		*ak = dm_k8s_secret_find(s, common_pairs[i][0]);
		*sk = dm_k8s_secret_find(s, common_pairs[i][1]);
		if (*ak && *sk)
			return DM_OK;
	}
missing:
	*ak = *sk = NULL;
	return pair_missing(s, akf, skf);
}

dm_err dm_k8s_get_secret(dm_k8s *c, const char *ns, const char *name, dm_k8s_secret **out)
{
	char path[512], *reply = NULL;
	long status;
	dm_err e;

	*out = NULL;
	if ((e = check_names(ns, name, "secret")) != DM_OK)
		return e;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/secrets/%s", ns, name);
	if ((e = dm_k8s_request(c, "GET", path, NULL, &status, &reply)) != DM_OK)
		return e;
	if (status == 200) {
		e = dm_k8s_secret_parse(reply, strlen(reply), out);
	} else if (status == 404) {
		int exists = 1;

		/* the API answers a GET in a missing namespace like a missing object: ask */
		if (dm_k8s_namespace_exists(c, ns, &exists) == DM_OK && !exists)
			e = dm_fail(DM_ERR_NOTFOUND, "namespace \"%s\" not found (looking for secret \"%s\")", ns,
				    name);
		else
			e = dm_k8s_status_fail(c, status, reply, "get", "secrets", name, ns);
	} else {
		e = dm_k8s_status_fail(c, status, reply, "get", "secrets", name, ns);
	}
	if (reply) {
		dm_wipe(reply, strlen(reply));
		free(reply);
	}
	return e;
}

dm_err dm_k8s_put_secret(dm_k8s *c, const char *ns, const char *name, const dm_k8s_secret_item *items, size_t n,
			 dm_k8s_put_mode mode)
{
	int replace = mode == DM_K8S_SECRET_REPLACE, add = mode == DM_K8S_SECRET_ADD_KEYS;
	json_t *root = NULL, *data;
	char path[512], *body = NULL, *reply = NULL, *b64 = NULL;
	long status = 0;
	dm_err e;

	if ((e = check_names(ns, name, "secret")) != DM_OK)
		return e;
	/* the label marks it as dm's: dm-helm --delete-namespace counts it among dm's objects */
	root = add ? json_pack("{s:{}}", "data")
		   : json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:s, s:{}}", "apiVersion", "v1", "kind", "Secret",
			       "metadata", "name", name, "namespace", ns, "labels", "app.kubernetes.io/managed-by",
			       "dm", "type", "Opaque", "data");
	if (!root)
		goto nomem;
	data = json_object_get(root, "data");
	for (size_t i = 0; i < n; i++) {
		if (!(b64 = malloc(4 * ((items[i].len + 2) / 3) + 1)))
			goto nomem;
		dm_base64_encode(b64, items[i].value, items[i].len);
		if (json_object_set_new(data, items[i].key, json_string(b64)) != 0)
			goto nomem;
		dm_free_secret(b64);
		b64 = NULL;
	}
	if (!(body = json_dumps(root, JSON_COMPACT)))
		goto nomem;
	if (add) {
		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/secrets/%s", ns, name);
		if ((e = dm_k8s_request(c, "PATCH", path, body, &status, &reply)) == DM_OK &&
		    (status < 200 || status > 299))
			e = dm_k8s_status_fail(c, status, reply, "patch", "secrets", name, ns);
		goto done;
	}
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/secrets", ns);
	if ((e = dm_k8s_request(c, "POST", path, body, &status, &reply)) != DM_OK)
		goto done;
	if (status == 409 && replace) {
		free(reply);
		reply = NULL;
		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/secrets/%s", ns, name);
		if ((e = dm_k8s_request(c, "PUT", path, body, &status, &reply)) != DM_OK)
			goto done;
	}
	if (status != 200 && status != 201)
		e = dm_k8s_status_fail(c, status, reply,
				       status == 409 ? "create"
				       : replace     ? "update"
						     : "create",
				       "secrets", name, ns);
	goto done;
nomem:
	e = dm_nomem();
done:
	dm_free_secret(b64);
	dm_free_secret(body);
	if (reply) {
		dm_wipe(reply, strlen(reply));
		free(reply);
	}
	json_decref(root);
	return e;
}

/* --- Objects of any kind: create, delete, get, list; pod logs ----------------------------------- */

/* "/{api}/namespaces/{ns}/{resource}[/{name}]" after checking the names */
static dm_err object_path(dm_buf *path, const char *api, const char *resource, const char *ns, const char *name)
{
	char kind[128];
	dm_err e;

	singular(kind, sizeof(kind), resource);
	if ((e = check_names(ns, name, kind)) != DM_OK)
		return e;
	if (name)
		return dm_buf_printf(path, "/%s/namespaces/%s/%s/%s", api, ns, resource, name);
	return dm_buf_printf(path, "/%s/namespaces/%s/%s", api, ns, resource);
}

dm_err dm_k8s_create(dm_k8s *c, const char *api, const char *resource, const char *ns, json_t *obj)
{
	const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
	dm_buf path = DM_BUF_INIT;
	char *body = NULL, *reply = NULL;
	long status;
	dm_err e;

	if (!name)
		return dm_fail(DM_ERR_INVALID, "cannot create a %s without metadata.name", resource);
	if ((e = object_path(&path, api, resource, ns, name)) != DM_OK)
		goto done;
	dm_buf_clear(&path);
	if ((e = object_path(&path, api, resource, ns, NULL)) != DM_OK)
		goto done;
	if (!(body = json_dumps(obj, JSON_COMPACT))) {
		e = dm_nomem();
		goto done;
	}
	if ((e = dm_k8s_request(c, "POST", dm_buf_str(&path), body, &status, &reply)) != DM_OK)
		goto done;
	if (status == 404) {
		int exists = 1;

		/* a POST into a missing namespace is a 404 of the namespace, not of the object */
		if (dm_k8s_namespace_exists(c, ns, &exists) == DM_OK && !exists) {
			char kind[128];

			singular(kind, sizeof(kind), resource);
			e = dm_fail(DM_ERR_NOTFOUND, "namespace \"%s\" not found (creating %s \"%s\")", ns, kind, name);
			goto done;
		}
		dm_err_clear();
	}
	if (status != 201 && status != 200 && status != 202)
		e = dm_k8s_status_fail(c, status, reply, "create", resource, name, ns);
done:
	free(body);
	free(reply);
	dm_buf_release(&path);
	return e;
}

dm_err dm_k8s_delete(dm_k8s *c, const char *api, const char *resource, const char *ns, const char *name,
		     const char *propagation)
{
	dm_buf path = DM_BUF_INIT;
	char *reply = NULL;
	long status;
	dm_err e;

	if ((e = object_path(&path, api, resource, ns, name)) != DM_OK ||
	    (propagation && (e = dm_buf_printf(&path, "?propagationPolicy=%s", propagation)) != DM_OK))
		goto done;
	if ((e = dm_k8s_request(c, "DELETE", dm_buf_str(&path), NULL, &status, &reply)) != DM_OK)
		goto done;
	if (status != 200 && status != 202 && status != 404)
		e = dm_k8s_status_fail(c, status, reply, "delete", resource, name, ns);
done:
	free(reply);
	dm_buf_release(&path);
	return e;
}

dm_err dm_k8s_get_json(dm_k8s *c, const char *api, const char *resource, const char *ns, const char *name,
		       const char *selector, json_t **out)
{
	dm_buf path = DM_BUF_INIT;
	char *reply = NULL, *esc = NULL;
	json_error_t jerr;
	long status;
	dm_err e;

	*out = NULL;
	if ((e = object_path(&path, api, resource, ns, name)) != DM_OK)
		goto done;
	if (selector) {
		if (!(esc = curl_easy_escape(c->h, selector, 0))) {
			e = dm_nomem();
			goto done;
		}
		if ((e = dm_buf_printf(&path, "?labelSelector=%s", esc)) != DM_OK)
			goto done;
	}
	if ((e = dm_k8s_request(c, "GET", dm_buf_str(&path), NULL, &status, &reply)) != DM_OK)
		goto done;
	if (status != 200) {
		e = dm_k8s_status_fail(c, status, reply, name ? "get" : "list", resource, name, ns);
		goto done;
	}
	if (!(*out = json_loads(reply, 0, &jerr)))
		e = dm_fail(DM_ERR_PARSE, "the reply of %s%s is not JSON (line %d, column %d)", c->cfg->server,
			    dm_buf_str(&path), jerr.line, jerr.column);
done:
	curl_free(esc);
	free(reply);
	dm_buf_release(&path);
	return e;
}

dm_err dm_k8s_pod_log(dm_k8s *c, const char *ns, const char *pod, const char *container, char **out, size_t *len)
{
	dm_buf path = DM_BUF_INIT;
	char *reply = NULL;
	long status;
	dm_err e;

	*out = NULL;
	*len = 0;
	if ((e = object_path(&path, "api/v1", "pods", ns, pod)) != DM_OK || (e = dm_buf_puts(&path, "/log")) != DM_OK ||
	    (container && (e = dm_buf_printf(&path, "?container=%s", container)) != DM_OK))
		goto done;
	if ((e = dm_k8s_request(c, "GET", dm_buf_str(&path), NULL, &status, &reply)) != DM_OK)
		goto done;
	if (status != 200) {
		e = dm_k8s_status_fail(c, status, reply, "get", "pods", pod, ns);
		goto done;
	}
	*len = strlen(reply);
	*out = reply;
	reply = NULL;
done:
	free(reply);
	dm_buf_release(&path);
	return e;
}
