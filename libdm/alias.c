/* libdm/alias.c - where an S3 alias points and with which keys (see dm/alias.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <dm/alias.h>
#include <dm/log.h>
#include <dm/util.h>
#include <dm/yaml.h>

#define DEFAULT_REGION "us-east-1"

void dm_alias_free(dm_alias *a)
{
	if (!a)
		return;
	free(a->name);
	free(a->url);
	dm_free_secret(a->access_key);
	dm_free_secret(a->secret_key);
	dm_free_secret(a->session_token);
	free(a->region);
	free(a);
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* Builds an alias; url is normalised (no trailing '/'). */
static dm_err make_alias(dm_alias **out, const char *name, const char *url, const char *ak, const char *sk,
			 const char *token, const char *region, const char *source)
{
	dm_alias *a = calloc(1, sizeof(*a));
	size_t n;

	*out = NULL;
	if (!a)
		return dm_fail(DM_ERR_NOMEM, "out of memory");
	a->name = strdup(name);
	a->url = strdup(url);
	a->access_key = strdup(ak ? ak : "");
	a->secret_key = strdup(sk ? sk : "");
	a->session_token = dup_or_null(token);
	a->region = strdup(region && *region ? region : DEFAULT_REGION);
	a->source = source;
	if (!a->name || !a->url || !a->access_key || !a->secret_key || !a->region) {
		dm_alias_free(a);
		return dm_fail(DM_ERR_NOMEM, "out of memory");
	}
	n = strlen(a->url);
	while (n > 0 && a->url[n - 1] == '/')
		a->url[--n] = '\0';
	if (strncmp(a->url, "http://", 7) != 0 && strncmp(a->url, "https://", 8) != 0) {
		dm_err e = dm_fail(DM_ERR_CONFIG, "alias '%s' (%s): url '%s' must start with http:// or https://",
				   name, source, a->url);
		dm_alias_free(a);
		return e;
	}
	dm_log_add_secret(a->secret_key);
	dm_log_add_secret(a->session_token);
	*out = a;
	return DM_OK;
}

/* Decodes %XX escapes of s[0..n) into a new string (NULL when out of memory). */
static char *pct_decode(const char *s, size_t n)
{
	dm_buf b = DM_BUF_INIT;

	if (dm_pct_decode(&b, s, n, 0) != DM_OK) {
		dm_buf_release(&b);
		return NULL;
	}
	return dm_buf_detach(&b);
}

dm_err dm_alias_parse_url(dm_alias **out, const char *name, const char *url)
{
	const char *scheme_end, *creds, *at, *host, *colon, *colon2, *end;
	char *ak = NULL, *sk = NULL, *tok = NULL, *base = NULL;
	dm_err e;

	*out = NULL;
	scheme_end = strstr(url, "://");
	if (!scheme_end || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		return dm_fail(DM_ERR_CONFIG, "MC_HOST_%s: URL must be http(s)://ACCESS:SECRET@host:port", name);
	creds = scheme_end + 3;
	end = creds + strcspn(creds, "/?#");
	/* the last '@' before the path separates credentials from the host: secrets may hold '@' */
	at = NULL;
	for (const char *p = creds; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return dm_fail(DM_ERR_CONFIG, "MC_HOST_%s: URL has no credentials (expected http(s)://ACCESS:SECRET@host:port)",
			       name);
	host = at + 1;
	if (host == end)
		return dm_fail(DM_ERR_CONFIG, "MC_HOST_%s: URL has no host", name);
	{
		/* host[:port] or [v6]:port: a port, when given, is a number from 1 to 65535 */
		const char *hend = host;
		const char *port = NULL;

		if (*host == '[') {
			hend = memchr(host, ']', (size_t)(end - host));
			if (!hend)
				return dm_fail(DM_ERR_CONFIG, "MC_HOST_%s: unclosed '[' in the host", name);
			port = hend + 1 < end && hend[1] == ':' ? hend + 2 : NULL;
		} else {
			port = memchr(host, ':', (size_t)(end - host));
			port = port ? port + 1 : NULL;
		}
		if (port) {
			long v = 0;
			const char *q;

			for (q = port; q < end && *q >= '0' && *q <= '9' && v <= 65535; q++)
				v = v * 10 + (*q - '0');
			if (q != end || q == port || v < 1 || v > 65535)
				return dm_fail(DM_ERR_CONFIG, "MC_HOST_%s: the port '%.*s' is not a number from 1 to 65535",
					       name, (int)(end - port), port);
		}
	}
	colon = memchr(creds, ':', (size_t)(at - creds));
	if (!colon)
		return dm_fail(DM_ERR_CONFIG, "MC_HOST_%s: credentials must be ACCESS:SECRET", name);
	colon2 = memchr(colon + 1, ':', (size_t)(at - colon - 1));
	ak = pct_decode(creds, (size_t)(colon - creds));
	sk = pct_decode(colon + 1, (size_t)((colon2 ? colon2 : at) - colon - 1));
	tok = colon2 ? pct_decode(colon2 + 1, (size_t)(at - colon2 - 1)) : NULL;
	base = malloc((size_t)(scheme_end + 3 - url) + (size_t)(end - host) + 1);
	if (!ak || !sk || (colon2 && !tok) || !base) {
		e = dm_fail(DM_ERR_NOMEM, "out of memory");
		goto done;
	}
	sprintf(base, "%.*s%.*s", (int)(scheme_end + 3 - url), url, (int)(end - host), host);
	if (!*ak || !*sk) {
		e = dm_fail(DM_ERR_CONFIG, "MC_HOST_%s: access key and secret key must not be empty", name);
		goto done;
	}
	e = make_alias(out, name, base, ak, sk, tok, getenv("AWS_REGION"), "MC_HOST_ environment");
done:
	dm_free_secret(ak);
	dm_free_secret(sk);
	dm_free_secret(tok);
	free(base);
	return e;
}

char *dm_alias_file_path(void)
{
	const char *p = getenv("DM_ALIASES");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *out;

	if (p && *p)
		return strdup(p);
	if (xdg && *xdg) {
		if (asprintf(&out, "%s/dm/aliases.yaml", xdg) < 0)
			return NULL;
		return out;
	}
	if (asprintf(&out, "%s/.config/dm/aliases.yaml", home && *home ? home : ".") < 0)
		return NULL;
	return out;
}

static const char *const alias_keys[] = { "url", "access_key", "secret_key", "session_token", "region", NULL };

static dm_err from_alias_file(dm_alias **out, const char *path, const char *name, int *found)
{
	dm_yaml *doc;
	const dm_ynode *root, *all, *entry;
	const char *url = NULL, *ak = NULL, *sk = NULL, *tok = NULL, *region = NULL;
	dm_err e;

	*found = 0;
	e = dm_yaml_load_file(&doc, path);
	if (e == DM_ERR_NOTFOUND) {
		dm_err_clear();
		return DM_OK;
	}
	if (e)
		return e;
	root = dm_yaml_root(doc);
	if ((e = dm_yaml_want_map(doc, root, "the alias file", 1)) ||
	    (e = dm_yaml_check_keys(doc, root, "the alias file", (const char *const[]){ "aliases", NULL })))
		goto done;
	all = dm_yaml_get(root, "aliases");
	if ((e = dm_yaml_want_map(doc, all, "'aliases'", 1)))
		goto done;
	entry = dm_yaml_get(all, name);
	if (!entry)
		goto done;
	if ((e = dm_yaml_want_map(doc, entry, "an alias", 0)) ||
	    (e = dm_yaml_check_keys(doc, entry, "an alias", alias_keys)) ||
	    (e = dm_yaml_get_str(doc, entry, "url", 1, &url)) ||
	    (e = dm_yaml_get_str(doc, entry, "access_key", 1, &ak)) ||
	    (e = dm_yaml_get_str(doc, entry, "secret_key", 1, &sk)) ||
	    (e = dm_yaml_get_str(doc, entry, "session_token", 0, &tok)) ||
	    (e = dm_yaml_get_str(doc, entry, "region", 0, &region)))
		goto done;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		e = dm_yaml_fail(doc, dm_yaml_get(entry, "url"), "alias '%s': url '%s' must start with http:// or https://",
				 name, url);
		goto done;
	}
	*found = 1;
	e = make_alias(out, name, url, ak, sk, tok, region, "alias file");
done:
	dm_yaml_free(doc);
	return e;
}

static char *mc_config_path(void)
{
	const char *dir = getenv("MC_CONFIG_DIR");
	const char *home = getenv("HOME");
	char *out;

	if (dir && *dir) {
		if (asprintf(&out, "%s/config.json", dir) < 0)
			return NULL;
	} else if (asprintf(&out, "%s/.mc/config.json", home && *home ? home : ".") < 0) {
		return NULL;
	}
	return out;
}

static dm_err from_mc_config(dm_alias **out, const char *path, const char *name, int *found)
{
	json_error_t jerr;
	json_t *root, *all, *entry;
	const char *url, *ak, *sk, *tok;
	char *text = NULL;
	size_t len = 0;
	dm_err e;

	*found = 0;
	e = dm_read_file(&text, &len, path);
	if (e == DM_ERR_NOTFOUND)
		dm_err_clear();
	if (e)
		return e == DM_ERR_NOTFOUND ? DM_OK : e;
	root = json_loadb(text, len, 0, &jerr);
	dm_wipe(text, len);
	free(text);
	if (!root)
		return dm_fail(DM_ERR_CONFIG, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
	all = json_object_get(root, "aliases");
	if (!all)
		all = json_object_get(root, "hosts");
	entry = json_is_object(all) ? json_object_get(all, name) : NULL;
	if (!json_is_object(entry)) {
		json_decref(root);
		return DM_OK;
	}
	url = json_string_value(json_object_get(entry, "url"));
	ak = json_string_value(json_object_get(entry, "accessKey"));
	sk = json_string_value(json_object_get(entry, "secretKey"));
	tok = json_string_value(json_object_get(entry, "sessionToken"));
	if (!url || !ak || !sk) {
		json_decref(root);
		return dm_fail(DM_ERR_CONFIG, "%s: alias '%s' needs url, accessKey and secretKey", path, name);
	}
	*found = 1;
	e = make_alias(out, name, url, ak, sk, tok, getenv("AWS_REGION"), "mc config");
	json_decref(root);
	return e;
}

dm_err dm_alias_resolve(dm_alias **out, const char *name)
{
	char var[256];
	const char *env;
	char *path;
	int found = 0;
	dm_err e;

	*out = NULL;
	if (!*name || strlen(name) > 200)
		return dm_fail(DM_ERR_USAGE, "invalid alias name '%s'", name);
	snprintf(var, sizeof(var), "MC_HOST_%s", name);
	env = getenv(var);
	if (env && *env)
		return dm_alias_parse_url(out, name, env);

	path = dm_alias_file_path();
	if (!path)
		return dm_fail(DM_ERR_NOMEM, "out of memory");
	e = from_alias_file(out, path, name, &found);
	if (e || found) {
		free(path);
		return e;
	}
	{
		char *mc = mc_config_path();

		if (!mc) {
			free(path);
			return dm_fail(DM_ERR_NOMEM, "out of memory");
		}
		e = from_mc_config(out, mc, name, &found);
		if (e || found) {
			free(path);
			free(mc);
			return e;
		}
		if (strcmp(name, "s3") == 0 && getenv("AWS_ACCESS_KEY_ID") && getenv("AWS_SECRET_ACCESS_KEY")) {
			const char *ep = getenv("AWS_ENDPOINT_URL");
			const char *region = getenv("AWS_REGION");

			if (!region || !*region)
				region = getenv("AWS_DEFAULT_REGION");
			e = make_alias(out, name, ep && *ep ? ep : "https://s3.amazonaws.com", getenv("AWS_ACCESS_KEY_ID"),
				       getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN"), region,
				       "AWS_* environment");
			free(path);
			free(mc);
			return e;
		}
		e = dm_fail(DM_ERR_CONFIG,
			    "unknown alias '%s' (looked in %s, %s, %s%s)", name, var, path, mc,
			    strcmp(name, "s3") == 0 ? " and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY" : "");
		free(mc);
	}
	free(path);
	return e;
}

/* YAML double-quoted scalar of UTF-8 text (checked by the caller): every
 * character YAML does not allow as it is (C0 and C1 controls, DEL, the BOM,
 * U+FFFE/U+FFFF) is written as an escape, so the file reads back exactly. */
static dm_err put_quoted(dm_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	dm_err e = dm_buf_puts(b, "\"");

	while (!e && *p) {
		unsigned cp = *p;
		size_t len = cp < 0x80 ? 1 : cp < 0xe0 ? 2 : cp < 0xf0 ? 3 : 4;

		if (len > 1) {
			cp &= len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07;
			for (size_t k = 1; k < len && p[k]; k++)
				cp = cp << 6 | (p[k] & 0x3f);
		}
		if (cp == '"' || cp == '\\')
			e = dm_buf_printf(b, "\\%c", (int)cp);
		else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			e = dm_buf_printf(b, "\\x%02x", cp);
		else if (cp == 0xfeff || cp == 0xfffe || cp == 0xffff)
			e = dm_buf_printf(b, "\\u%04x", cp);
		else
			e = dm_buf_append(b, p, len);
		p += len;
	}
	return e ? e : dm_buf_puts(b, "\"");
}

static dm_err put_entry(dm_buf *b, const char *name, const char *url, const char *ak, const char *sk,
			const char *tok, const char *region)
{
	dm_err e;

	if ((e = dm_buf_puts(b, "  ")) || (e = put_quoted(b, name)) || (e = dm_buf_puts(b, ":\n    url: ")) ||
	    (e = put_quoted(b, url)) || (e = dm_buf_puts(b, "\n    access_key: ")) || (e = put_quoted(b, ak)) ||
	    (e = dm_buf_puts(b, "\n    secret_key: ")) || (e = put_quoted(b, sk)))
		return e;
	if (tok && *tok && ((e = dm_buf_puts(b, "\n    session_token: ")) || (e = put_quoted(b, tok))))
		return e;
	if (region && *region && ((e = dm_buf_puts(b, "\n    region: ")) || (e = put_quoted(b, region))))
		return e;
	return dm_buf_puts(b, "\n");
}

dm_err dm_alias_save(const char *path_in, const dm_alias *a)
{
	char *path = path_in ? strdup(path_in) : dm_alias_file_path();
	dm_buf b = DM_BUF_INIT;
	dm_yaml *doc = NULL;
	const dm_ynode *all;
	dm_err e;

	if (!path)
		return dm_fail(DM_ERR_NOMEM, "out of memory");
	{
		/* YAML text is UTF-8: a value that is not could never be read back */
		const char *fields[] = { a->name, a->url, a->access_key, a->secret_key, a->session_token, a->region };
		const char *names[] = { "name", "url", "access key", "secret key", "session token", "region" };

		for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
			if (fields[i] && !dm_utf8_valid(fields[i], strlen(fields[i]))) {
				free(path);
				return dm_fail(DM_ERR_INVALID, "cannot save alias '%s': its %s is not valid UTF-8",
					       dm_utf8_valid(a->name, strlen(a->name)) ? a->name : "?", names[i]);
			}
		}
	}
	e = dm_yaml_load_file(&doc, path);
	if (e == DM_ERR_NOTFOUND) {
		dm_err_clear();
		e = DM_OK;
	}
	if (e)
		goto done;
	if ((e = dm_buf_puts(&b, "# dm aliases: written by dm-secrets --alias; read by dm-seed. Keep private (0600).\naliases:\n")))
		goto done;
	all = doc ? dm_yaml_get(dm_yaml_root(doc), "aliases") : NULL;
	for (size_t i = 0; all && all->kind == DM_YAML_MAP && i < all->len; i++) {
		const dm_ynode *en = all->vals[i];
		const char *url = NULL, *ak = NULL, *sk = NULL, *tok = NULL, *region = NULL;

		if (strcmp(all->keys[i]->scalar, a->name) == 0)
			continue;
		dm_yaml_get_str(doc, en, "url", 0, &url);
		dm_yaml_get_str(doc, en, "access_key", 0, &ak);
		dm_yaml_get_str(doc, en, "secret_key", 0, &sk);
		dm_yaml_get_str(doc, en, "session_token", 0, &tok);
		dm_yaml_get_str(doc, en, "region", 0, &region);
		if ((e = put_entry(&b, all->keys[i]->scalar, url ? url : "", ak ? ak : "", sk ? sk : "", tok, region)))
			goto done;
	}
	if ((e = put_entry(&b, a->name, a->url, a->access_key, a->secret_key, a->session_token, a->region)))
		goto done;
	e = dm_write_file_atomic(path, b.data, b.len, 0600);
done:
	dm_yaml_free(doc);
	dm_buf_release(&b);
	free(path);
	return e;
}
