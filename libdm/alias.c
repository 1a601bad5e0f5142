/* libdm/alias.c - where an S3 alias points and with which keys (see dm/alias.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include <dm/alias.h>
#include <dm/json.h>
#include <dm/log.h>
#include <dm/proc.h>
#include <dm/sigv4.h>
#include <dm/util.h>
#include <dm/yaml.h>

#define DEFAULT_REGION "us-east-1"
#define NAME_MAX_BYTES 200
/* how long a writer waits for another one to finish with the alias file */
#define LOCK_TIMEOUT_MS 10000

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
	free(a->secret);
	free(a->secret_ns);
	free(a->access_key_field);
	free(a->secret_key_field);
	free(a);
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* name as it can be shown in a one-line message: control bytes (and every byte
 * above 0x7f when the name is not UTF-8) as \xNN, at most 40 bytes of it */
static void put_shown(dm_buf *b, const char *name)
{
	int utf8 = dm_utf8_valid(name, strlen(name));
	size_t i;

	for (i = 0; name[i] && i < 40; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch < 0x20 || ch == 0x7f || (ch >= 0x80 && !utf8))
			dm_buf_printf(b, "\\x%02x", ch);
		else
			dm_buf_append(b, &ch, 1);
	}
	if (name[i])
		dm_buf_puts(b, "...");
}

dm_err dm_alias_check_name(const char *name)
{
	const char *why = NULL;
	size_t n = strlen(name);
	dm_buf shown = DM_BUF_INIT;
	dm_err e;

	if (n == 0)
		why = "it is empty";
	else if (n > NAME_MAX_BYTES)
		why = "it is longer than 200 bytes";
	else if (strchr(name, '/'))
		why = "it holds '/', which ends the alias in dm-seed's target ALIAS/BUCKET/PREFIX";
	else if (strchr(name, '='))
		why = "it holds '=', which cannot be part of the variable MC_HOST_<alias>";
	else if (!dm_utf8_valid(name, n))
		why = "it is not valid UTF-8";
	for (size_t i = 0; !why && i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			why = "it holds a control character";
	if (!why)
		return DM_OK;
	put_shown(&shown, name);
	e = dm_fail(DM_ERR_USAGE, "'%s' is not an alias name: %s", dm_buf_str(&shown), why);
	dm_buf_release(&shown);
	return e;
}

/* What is wrong with url as an S3 endpoint, scheme://HOST[:PORT] with any number of
 * trailing '/', or NULL when nothing; why (n bytes) holds the reason. */
static const char *url_problem(const char *url, char *why, size_t n)
{
	const char *host, *end, *hend, *port = NULL;

	if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		return snprintf(why, n, "must start with http:// or https://"), why;
	end = host + strcspn(host, "/?#");
	if (end == host)
		return snprintf(why, n, "has no host"), why;
	if (memchr(host, '@', (size_t)(end - host)))
		return snprintf(why, n, "must not hold credentials: they go in the access and secret key"), why;
	for (const char *c = host; c < end; c++) {
		unsigned char ch = (unsigned char)*c;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      strchr("-._~:[]%", ch)))
			return (ch > 0x20 && ch < 0x7f ? snprintf(why, n, "has '%c' in the host", ch)
						       : snprintf(why, n, "has the byte 0x%02x in the host", ch)),
			       why;
	}
	if (*host == '[') {
		hend = memchr(host, ']', (size_t)(end - host));
		if (!hend)
			return snprintf(why, n, "has an unclosed '[' in the host"), why;
		if (hend + 1 < end && hend[1] != ':')
			return snprintf(why, n, "has '%.*s' after the host", (int)(end - hend - 1), hend + 1), why;
		port = hend + 1 < end ? hend + 2 : NULL;
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
			return snprintf(why, n, "has the port '%.*s', not a number from 1 to 65535", (int)(end - port),
					port),
			       why;
	}
	if (end[strspn(end, "/")])
		return snprintf(why, n,
				"must not have a path, query or fragment ('%s'): an S3 endpoint is "
				"http(s)://HOST[:PORT]",
				end),
		       why;
	return NULL;
}

dm_err dm_alias_check_url(const char *url)
{
	char why[512];

	if (url_problem(url, why, sizeof(why)))
		return dm_fail(DM_ERR_CONFIG, "url '%s' %s", url, why);
	return DM_OK;
}

/* Builds an alias; url is normalised (no trailing '/'). */
static dm_err make_alias(dm_alias **out, const char *name, const char *url, const char *ak, const char *sk,
			 const char *token, const char *region, const char *source)
{
	dm_alias *a;
	char why[512];
	size_t n;

	*out = NULL;
	if (url_problem(url, why, sizeof(why)))
		return dm_fail(DM_ERR_CONFIG, "alias '%s' (%s): url '%s' %s", name, source, url, why);
	a = calloc(1, sizeof(*a));
	if (!a)
		return dm_nomem();
	a->name = strdup(name);
	a->url = strdup(url);
	a->access_key = strdup(ak ? ak : "");
	a->secret_key = strdup(sk ? sk : "");
	a->session_token = dup_or_null(token);
	a->region = strdup(region && *region ? region : DEFAULT_REGION);
	a->source = source;
	if (!a->name || !a->url || !a->access_key || !a->secret_key || !a->region) {
		dm_alias_free(a);
		return dm_nomem();
	}
	n = strlen(a->url);
	while (n > 0 && a->url[n - 1] == '/')
		a->url[--n] = '\0';
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
	char why[512];
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
		return dm_fail(DM_ERR_CONFIG,
			       "MC_HOST_%s: URL has no credentials (expected http(s)://ACCESS:SECRET@host:port)", name);
	host = at + 1;
	/* what follows the credentials is checked as the alias file's url is: the same message */
	if (asprintf(&base, "%.*s%s", (int)(scheme_end + 3 - url), url, host) < 0)
		return dm_nomem();
	if (url_problem(base, why, sizeof(why))) {
		e = dm_fail(DM_ERR_CONFIG, "MC_HOST_%s: url '%s' %s", name, base, why);
		free(base);
		return e;
	}
	colon = memchr(creds, ':', (size_t)(at - creds));
	if (!colon) {
		free(base);
		return dm_fail(DM_ERR_CONFIG, "MC_HOST_%s: credentials must be ACCESS:SECRET", name);
	}
	colon2 = memchr(colon + 1, ':', (size_t)(at - colon - 1));
	ak = pct_decode(creds, (size_t)(colon - creds));
	sk = pct_decode(colon + 1, (size_t)((colon2 ? colon2 : at) - colon - 1));
	tok = colon2 ? pct_decode(colon2 + 1, (size_t)(at - colon2 - 1)) : NULL;
	if (!ak || !sk || (colon2 && !tok)) {
		e = dm_nomem();
		goto done;
	}
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

dm_err dm_alias_of_secret(dm_alias **out, const char *name, const char *url, const char *secret, const char *ns,
			  const char *access_key_field, const char *secret_key_field, const char *source)
{
	dm_alias *a;
	dm_err e;

	if ((e = make_alias(out, name, url, "", "", NULL, NULL, source)))
		return e;
	a = *out;
	if (!(a->secret = strdup(secret)) || !(a->secret_ns = strdup(ns)) ||
	    (access_key_field && !(a->access_key_field = strdup(access_key_field))) ||
	    (secret_key_field && !(a->secret_key_field = strdup(secret_key_field)))) {
		dm_alias_free(a);
		*out = NULL;
		return dm_nomem();
	}
	return DM_OK;
}

dm_err dm_alias_url(dm_buf *out, const dm_alias *a)
{
	const char *rest = strstr(a->url, "://");
	dm_err e;

	if (!rest)
		return dm_fail(DM_ERR_INVALID, "alias '%s': url '%s' has no scheme", a->name, a->url);
	if ((e = dm_buf_append(out, a->url, (size_t)(rest + 3 - a->url))) ||
	    (e = dm_sigv4_encode(out, a->access_key, strlen(a->access_key), 0)) || (e = dm_buf_puts(out, ":")) ||
	    (e = dm_sigv4_encode(out, a->secret_key, strlen(a->secret_key), 0)))
		return e;
	if (a->session_token && *a->session_token &&
	    ((e = dm_buf_puts(out, ":")) || (e = dm_sigv4_encode(out, a->session_token, strlen(a->session_token), 0))))
		return e;
	return dm_buf_printf(out, "@%s", rest + 3);
}

char *dm_alias_file_path(void)
{
	const char *p = getenv("DM_ALIASES");
	char *out = NULL;

	if (p && *p)
		return strdup(p);
	if (dm_xdg_path(&out, DM_XDG_CONFIG, "aliases.yaml") == DM_ERR_CONFIG) /* no HOME: here */
		return strdup("./.config/dm/aliases.yaml");
	return out;
}

static const char *const alias_keys[] = { "url",    "access_key", "secret_key",       "session_token",    "region",
					  "secret", "namespace",  "access_key_field", "secret_key_field", NULL };

typedef struct {
	const char *url, *ak, *sk, *tok, *region; /* borrowed from the document */
	const char *secret, *ns, *akf, *skf;      /* or where the keys are in the cluster */
} file_entry;

/* The checks every reader of the alias file makes: a map with only 'aliases',
 * a map of aliases (either may be empty). */
static dm_err check_file(const dm_yaml *doc, const dm_ynode **all)
{
	const dm_ynode *root = dm_yaml_root(doc);
	dm_err e;

	if ((e = dm_yaml_want_map(doc, root, "the alias file", 1)) ||
	    (e = dm_yaml_check_keys(doc, root, "the alias file", (const char *const[]){ "aliases", NULL })))
		return e;
	*all = dm_yaml_get(root, "aliases");
	return dm_yaml_want_map(doc, *all, "'aliases'", 1);
}

/* One alias of the file, checked as dm-seed reads it. */
static dm_err read_entry(const dm_yaml *doc, const dm_ynode *entry, const char *name, file_entry *f)
{
	char why[512];
	dm_err e;

	memset(f, 0, sizeof(*f));
	if ((e = dm_yaml_want_map(doc, entry, "an alias", 0)) ||
	    (e = dm_yaml_check_keys(doc, entry, "an alias", alias_keys)) ||
	    (e = dm_yaml_get_str(doc, entry, "url", 1, &f->url)) ||
	    (e = dm_yaml_get_str(doc, entry, "secret", 0, &f->secret)))
		return e;
	if (f->secret) { /* the keys are read from the cluster when the alias is used */
		if ((e = dm_yaml_get_str(doc, entry, "namespace", 1, &f->ns)) ||
		    (e = dm_yaml_get_str(doc, entry, "access_key_field", 0, &f->akf)) ||
		    (e = dm_yaml_get_str(doc, entry, "secret_key_field", 0, &f->skf)))
			return e;
		if (dm_yaml_get(entry, "access_key") || dm_yaml_get(entry, "secret_key"))
			return dm_yaml_fail(doc, entry,
					    "alias '%s': 'secret' and 'access_key'/'secret_key' exclude each other",
					    name);
	} else if ((e = dm_yaml_get_str(doc, entry, "access_key", 1, &f->ak)) ||
		   (e = dm_yaml_get_str(doc, entry, "secret_key", 1, &f->sk))) {
		return e;
	}
	if ((e = dm_yaml_get_str(doc, entry, "session_token", 0, &f->tok)) ||
	    (e = dm_yaml_get_str(doc, entry, "region", 0, &f->region)))
		return e;
	if (url_problem(f->url, why, sizeof(why)))
		return dm_yaml_fail(doc, dm_yaml_get(entry, "url"), "alias '%s': url '%s' %s", name, f->url, why);
	return DM_OK;
}

/* Loads the alias file (*doc NULL when there is none); *text, when asked for, is
 * its text (NULL when none; wipe and free it: it holds secrets). */
static dm_err load_file(dm_yaml **doc, char **text_out, size_t *len_out, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	dm_err e;

	*doc = NULL;
	if (text_out)
		*text_out = NULL;
	e = dm_read_file(&text, &len, path);
	if (e == DM_ERR_NOTFOUND) {
		dm_err_clear();
		return DM_OK;
	}
	if (e)
		return e == DM_ERR_NOMEM ? e : DM_ERR_IO;
	e = dm_yaml_load_string(doc, path, text, len);
	if (e || !text_out) {
		dm_wipe(text, len);
		free(text);
	} else {
		*text_out = text;
		*len_out = len;
	}
	return e;
}

static dm_err from_alias_file(dm_alias **out, const char *path, const char *name, int *found)
{
	dm_yaml *doc;
	const dm_ynode *all, *entry;
	file_entry f;
	dm_err e;

	*found = 0;
	if ((e = load_file(&doc, NULL, NULL, path)) || !doc)
		return e;
	if ((e = check_file(doc, &all)))
		goto done;
	entry = dm_yaml_get(all, name);
	if (!entry)
		goto done;
	if ((e = read_entry(doc, entry, name, &f)))
		goto done;
	*found = 1;
	e = make_alias(out, name, f.url, f.ak, f.sk, f.tok, f.region, "alias file");
	if (!e && f.secret &&
	    (!((*out)->secret = strdup(f.secret)) || !((*out)->secret_ns = strdup(f.ns)) ||
	     (f.akf && !((*out)->access_key_field = strdup(f.akf))) ||
	     (f.skf && !((*out)->secret_key_field = strdup(f.skf))))) {
		dm_alias_free(*out);
		*out = NULL;
		e = dm_nomem();
	}
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
	if ((e = dm_alias_check_name(name)))
		return e;
	snprintf(var, sizeof(var), "MC_HOST_%s", name);
	env = getenv(var);
	if (env && *env)
		return dm_alias_parse_url(out, name, env);

	path = dm_alias_file_path();
	if (!path)
		return dm_nomem();
	e = from_alias_file(out, path, name, &found);
	if (e || found) {
		free(path);
		return e;
	}
	{
		char *mc = mc_config_path();

		if (!mc) {
			free(path);
			return dm_nomem();
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
			e = make_alias(out, name, ep && *ep ? ep : "https://s3.amazonaws.com",
				       getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"),
				       getenv("AWS_SESSION_TOKEN"), region, "AWS_* environment");
			free(path);
			free(mc);
			return e;
		}
		e = dm_fail(DM_ERR_CONFIG, "unknown alias '%s' (looked in %s, %s, %s%s)", name, var, path, mc,
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

/* key: "value" on a line of its own, when value is set */
static dm_err put_field(dm_buf *b, int indent, const char *key, const char *value)
{
	dm_err e;

	if (!value || !*value)
		return DM_OK;
	if ((e = dm_buf_printf(b, "%*s%s: ", indent, "", key)) || (e = put_quoted(b, value)))
		return e;
	return dm_buf_puts(b, "\n");
}

/* One alias as the file holds it, its name indented by indent spaces. */
static dm_err put_entry(dm_buf *b, int indent, const dm_alias *a)
{
	dm_err e;

	if ((e = dm_buf_printf(b, "%*s", indent, "")) || (e = put_quoted(b, a->name)) || (e = dm_buf_puts(b, ":\n")) ||
	    (e = put_field(b, indent + 2, "url", a->url)))
		return e;
	if (a->secret) {
		if ((e = put_field(b, indent + 2, "secret", a->secret)) ||
		    (e = put_field(b, indent + 2, "namespace", a->secret_ns)) ||
		    (e = put_field(b, indent + 2, "access_key_field", a->access_key_field)) ||
		    (e = put_field(b, indent + 2, "secret_key_field", a->secret_key_field)))
			return e;
	} else if ((e = put_field(b, indent + 2, "access_key", a->access_key)) ||
		   (e = put_field(b, indent + 2, "secret_key", a->secret_key))) {
		return e;
	}
	if ((e = put_field(b, indent + 2, "session_token", a->session_token)))
		return e;
	return put_field(b, indent + 2, "region", a->region);
}

/* What an alias must be before it is written: a name dm-seed can resolve, an
 * endpoint it accepts, and UTF-8 text (YAML text is UTF-8: anything else could
 * never be read back). */
static dm_err check_alias(const dm_alias *a)
{
	const char *fields[] = { a->url, a->access_key, a->secret_key, a->session_token, a->region };
	const char *names[] = { "url", "access key", "secret key", "session token", "region" };
	char why[512];
	dm_err e;

	if ((e = dm_alias_check_name(a->name)))
		return e;
	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		if (fields[i] && !dm_utf8_valid(fields[i], strlen(fields[i])))
			return dm_fail(DM_ERR_INVALID, "cannot write alias '%s': its %s is not valid UTF-8", a->name,
				       names[i]);
	if (!a->secret && (!a->access_key || !*a->access_key || !a->secret_key || !*a->secret_key))
		return dm_fail(DM_ERR_INVALID, "cannot write alias '%s': it has no keys", a->name);
	if (a->secret && !a->secret_ns)
		return dm_fail(DM_ERR_INVALID, "cannot write alias '%s': its Secret has no namespace", a->name);
	if (url_problem(a->url ? a->url : "", why, sizeof(why)))
		return dm_fail(DM_ERR_INVALID, "cannot write alias '%s': url '%s' %s", a->name, a->url ? a->url : "",
			       why);
	return DM_OK;
}

dm_err dm_alias_format(dm_buf *out, const dm_alias *a)
{
	dm_err e;

	if ((e = check_alias(a)) || (e = dm_buf_puts(out, "aliases:\n")))
		return e;
	return put_entry(out, 2, a);
}

/* ---- the other forms of an alias (dm-secrets --format) ---------------------------------------- */

static dm_err put_shell_quoted(dm_buf *b, const char *v)
{
	dm_err e = dm_buf_puts(b, "'");

	for (; *v && !e; v++)
		e = *v == '\'' ? dm_buf_puts(b, "'\\''") : dm_buf_append(b, v, 1);
	return e ? e : dm_buf_puts(b, "'");
}

static int env_name_ok(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static dm_err export_env(dm_buf *out, const dm_alias *a)
{
	dm_buf url = DM_BUF_INIT;
	dm_err e;

	if ((e = dm_buf_puts(out, "export AWS_ACCESS_KEY_ID=")) || (e = put_shell_quoted(out, a->access_key)) ||
	    (e = dm_buf_puts(out, "\nexport AWS_SECRET_ACCESS_KEY=")) || (e = put_shell_quoted(out, a->secret_key)) ||
	    (e = dm_buf_puts(out, "\n")) || !a->url)
		return e;
	if ((e = dm_buf_puts(out, "export AWS_ENDPOINT_URL=")) || (e = put_shell_quoted(out, a->url)) ||
	    (e = dm_buf_puts(out, "\n")))
		return e;
	if (!env_name_ok(a->name)) {
		dm_warn("'%s' cannot be part of an environment variable name: no MC_HOST_ line (choose another alias "
			"name)",
			a->name);
		return DM_OK;
	}
	if (!(e = dm_alias_url(&url, a)) && !(e = dm_buf_printf(out, "export MC_HOST_%s=", a->name)) &&
	    !(e = put_shell_quoted(out, dm_buf_str(&url))))
		e = dm_buf_puts(out, "\n");
	dm_buf_release(&url);
	return e;
}

static dm_err export_mc(dm_buf *out, const dm_alias *a)
{
	dm_err e;

	if ((e = dm_buf_puts(out, "{\n  ")) || (e = dm_json_put_string(out, a->name, strlen(a->name))) ||
	    (e = dm_buf_puts(out, ": {\n    \"url\": ")) || (e = dm_json_put_string(out, a->url, strlen(a->url))) ||
	    (e = dm_buf_puts(out, ",\n    \"accessKey\": ")) ||
	    (e = dm_json_put_string(out, a->access_key, strlen(a->access_key))) ||
	    (e = dm_buf_puts(out, ",\n    \"secretKey\": ")) ||
	    (e = dm_json_put_string(out, a->secret_key, strlen(a->secret_key))))
		return e;
	return dm_buf_puts(out, ",\n    \"api\": \"s3v4\",\n    \"path\": \"auto\"\n  }\n}\n");
}

dm_err dm_alias_export(dm_buf *out, const dm_alias *a, dm_alias_export_form form)
{
	switch (form) {
	case DM_ALIAS_EXPORT_ENV: return export_env(out, a);
	case DM_ALIAS_EXPORT_MC: return export_mc(out, a);
	case DM_ALIAS_EXPORT_FILE: return dm_alias_format(out, a);
	}
	return dm_fail(DM_ERR_INVALID, "unknown alias form %d", (int)form);
}

/* ---- writing the file: line by line, so that its comments stay ------------------------------ */

#define FILE_HEAD "# dm aliases: written by dm-secrets --alias; read by dm-seed. Keep private (0600).\n"

typedef struct {
	const char *text;
	size_t len;
	size_t *start; /* start[i]: offset of line i + 1; start[n] == len */
	size_t n;
} lines;

static dm_err lines_split(lines *l, const char *text, size_t len)
{
	size_t cap = 16;

	l->text = text;
	l->len = len;
	l->n = 0;
	l->start = malloc(cap * sizeof(*l->start));
	if (!l->start)
		return dm_nomem();
	for (size_t off = 0; off < len; l->n++) {
		const char *nl = memchr(text + off, '\n', len - off);

		if (l->n + 2 > cap) {
			size_t *grown = realloc(l->start, (cap *= 2) * sizeof(*l->start));

			if (!grown)
				return dm_nomem();
			l->start = grown;
		}
		l->start[l->n] = off;
		off = nl ? (size_t)(nl - text) + 1 : len;
	}
	l->start[l->n] = len;
	return DM_OK;
}

/* line i (1-based) as [*p, *end), without its line break */
static void line_at(const lines *l, size_t i, const char **p, const char **end)
{
	*p = l->text + l->start[i - 1];
	*end = l->text + l->start[i];
	while (*end > *p && ((*end)[-1] == '\n' || (*end)[-1] == '\r'))
		(*end)--;
}

/* nothing but blanks, or a comment */
static int line_is_blank_or_comment(const lines *l, size_t i)
{
	const char *p, *end;

	line_at(l, i, &p, &end);
	p += strspn(p, " \t");
	return p >= end || *p == '#';
}

/* Does line i hold a comment: a '#' at its start or after a blank, outside quotes?
 * A quote opens a quoted scalar only where a scalar may start. */
static int line_has_comment(const lines *l, size_t i)
{
	const char *p, *end;
	char q = 0, prev = ' ';

	line_at(l, i, &p, &end);
	for (const char *s = p; s < end; s++) {
		if (q == '"') {
			if (*s == '\\' && s + 1 < end)
				s++;
			else if (*s == '"')
				q = 0;
		} else if (q == '\'') {
			if (*s == '\'')
				q = 0;
		} else if ((*s == '"' || *s == '\'') && strchr(" \t:-[{,", prev)) {
			q = *s;
		} else if (*s == '#' && (s == p || s[-1] == ' ' || s[-1] == '\t')) {
			return 1;
		}
		if (*s != ' ' && *s != '\t')
			prev = *s;
	}
	return 0;
}

/* Does the text hold a comment other than the head dm writes? */
static int text_has_comments(const lines *l)
{
	for (size_t i = 1; i <= l->n; i++) {
		const char *p, *end;

		line_at(l, i, &p, &end);
		if (i == 1 && (size_t)(end - p) + 1 == strlen(FILE_HEAD) &&
		    memcmp(p, FILE_HEAD, (size_t)(end - p)) == 0)
			continue;
		if (line_has_comment(l, i))
			return 1;
	}
	return 0;
}

static dm_err put_lines(dm_buf *b, const lines *l, size_t from, size_t to)
{
	if (from > to)
		return DM_OK;
	return dm_buf_append(b, l->text + l->start[from - 1], l->start[to] - l->start[from - 1]);
}

/* Does the value of the key node k end its line (blanks or a comment after the ':')? */
static int key_ends_line(const lines *l, const dm_ynode *k)
{
	const char *p, *end;

	line_at(l, k->line, &p, &end);
	p += k->col - 1;
	if (p < end && (*p == '"' || *p == '\'')) {
		const char *close = memchr(p + 1, *p, (size_t)(end - p - 1));

		if (!close)
			return 0;
		p = close + 1;
	} else {
		p += strlen(k->scalar);
	}
	p += strspn(p, " \t");
	if (p >= end || *p != ':')
		return 0;
	p++;
	p += strspn(p, " \t");
	return p >= end || *p == '#';
}

/* The file's text with alias a put in: its entry replaced, or added at the end,
 * every other line as it was.  *done is 0, and out untouched, when the layout is
 * not the block layout dm writes (a flow map, document markers, ...). */
static dm_err edit_lines(dm_buf *out, const lines *l, const dm_yaml *doc, const dm_alias *a, int *done,
			 int *lost_comment)
{
	const dm_ynode *root = dm_yaml_root(doc), *k = NULL, *all = NULL;
	size_t from, to, at = 0;
	int indent = 2;
	dm_err e;

	*done = 0;
	*lost_comment = 0;
	for (size_t i = 1; i <= l->n; i++) {
		const char *p, *end;

		line_at(l, i, &p, &end);
		if (end - p >= 3 && (memcmp(p, "---", 3) == 0 || memcmp(p, "...", 3) == 0))
			return DM_OK;
	}
	if (root->kind == DM_YAML_MAP) {
		k = dm_yaml_key(root, "aliases");
		all = dm_yaml_get(root, "aliases");
		/* a block map, the only key of the root, at the start of its line */
		if (!k || root->len != 1 || root->line != k->line || root->col != k->col || k->col != 1)
			return DM_OK;
		if (all->kind == DM_YAML_NULL) {
			if (!key_ends_line(l, k))
				return DM_OK;
		} else {
			/* a block map below 'aliases:', each key at the start of its line */
			if (!key_ends_line(l, k) || all->line <= k->line || all->len == 0 ||
			    all->keys[0]->line != all->line || all->keys[0]->col != all->col)
				return DM_OK;
			indent = (int)all->col - 1;
			for (size_t i = 0; i < all->len; i++) {
				const char *p, *end;

				line_at(l, all->keys[i]->line, &p, &end);
				if (all->keys[i]->col != all->col || strspn(p, " ") != all->col - 1)
					return DM_OK;
				if (strcmp(all->keys[i]->scalar, a->name) == 0)
					at = i + 1;
			}
		}
	} else if (root->kind != DM_YAML_NULL) {
		return DM_OK;
	}

	if (at) {
		/* the entry's lines: from its key to the last line before the next key
		 * that is not blank or a comment; comments between stay, above it */
		from = all->keys[at - 1]->line;
		to = at < all->len ? all->keys[at]->line - 1 : l->n;
		while (to > from && line_is_blank_or_comment(l, to))
			to--;
		if ((e = put_lines(out, l, 1, from - 1)))
			return e;
		for (size_t i = from; i <= to; i++) {
			if (line_is_blank_or_comment(l, i) && !(e = put_lines(out, l, i, i)))
				continue;
			if (e)
				return e;
			*lost_comment |= line_has_comment(l, i);
		}
		if ((e = put_entry(out, indent, a)) || (e = put_lines(out, l, to + 1, l->n)))
			return e;
	} else {
		if ((e = put_lines(out, l, 1, l->n)))
			return e;
		if (l->len && l->text[l->len - 1] != '\n' && (e = dm_buf_puts(out, "\n")))
			return e;
		if (root->kind == DM_YAML_NULL &&
		    (e = dm_buf_puts(out, l->len ? "aliases:\n" : FILE_HEAD "aliases:\n")))
			return e;
		if ((e = put_entry(out, indent, a)))
			return e;
	}
	*done = 1;
	return DM_OK;
}

/* The whole file in dm's own layout: the other aliases as they were read, then a. */
static dm_err rewrite(dm_buf *out, const dm_yaml *doc, const dm_ynode *all, const dm_alias *a)
{
	dm_err e;

	if ((e = dm_buf_puts(out, FILE_HEAD "aliases:\n")))
		return e;
	for (size_t i = 0; all && all->kind == DM_YAML_MAP && i < all->len; i++) {
		dm_alias other = { .name = NULL };
		file_entry f;

		if (strcmp(all->keys[i]->scalar, a->name) == 0)
			continue;
		if ((e = read_entry(doc, all->vals[i], all->keys[i]->scalar, &f)))
			return e;
		other.name = (char *)all->keys[i]->scalar;
		other.url = (char *)f.url;
		other.access_key = (char *)f.ak;
		other.secret_key = (char *)f.sk;
		other.session_token = (char *)f.tok;
		other.region = (char *)f.region;
		other.secret = (char *)f.secret;
		other.secret_ns = (char *)f.ns;
		other.access_key_field = (char *)f.akf;
		other.secret_key_field = (char *)f.skf;
		if ((e = put_entry(out, 2, &other)))
			return e;
	}
	return put_entry(out, 2, a);
}

dm_err dm_alias_save(const char *path_in, const dm_alias *a)
{
	char *path = path_in ? strdup(path_in) : dm_alias_file_path();
	char *text = NULL;
	size_t len = 0;
	dm_buf b = DM_BUF_INIT;
	dm_yaml *doc = NULL;
	const dm_ynode *all = NULL;
	lines l = { 0 };
	int lock = -1, done = 0, lost = 0;
	dm_err e;

	if (!path)
		return dm_nomem();
	if ((e = check_alias(a)))
		goto out;
	/* read, change and replace under one lock: writers at the same time each keep
	 * what the others wrote */
	if ((e = dm_lock_file(&lock, path, LOCK_TIMEOUT_MS)) || (e = load_file(&doc, &text, &len, path)))
		goto out;
	if (doc) {
		/* every alias must read back as dm-seed reads it: a broken file is not replaced */
		if ((e = check_file(doc, &all)))
			goto out;
		for (size_t i = 0; all && i < all->len; i++) {
			file_entry f;

			if ((e = read_entry(doc, all->vals[i], all->keys[i]->scalar, &f)))
				goto out;
		}
	} else if ((e = dm_yaml_load_string(&doc, path, "", 0))) {
		goto out;
	}
	if ((e = lines_split(&l, text ? text : "", len)) || (e = edit_lines(&b, &l, doc, a, &done, &lost)))
		goto out;
	if (!done) {
		if (text_has_comments(&l))
			dm_warn("'%s' is not in the layout dm writes: it is written anew, and its comments are not "
				"kept",
				path);
		dm_buf_clear(&b);
		if ((e = rewrite(&b, doc, all, a)))
			goto out;
	} else if (lost) {
		dm_warn("'%s': a comment at the end of a line of alias '%s' is not kept: the line was replaced", path,
			a->name);
	}
	e = dm_write_file_atomic(path, b.data, b.len, 0600);
out:
	dm_unlock_file(lock, path);
	dm_yaml_free(doc);
	dm_buf_release(&b);
	free(l.start);
	if (text) {
		dm_wipe(text, len);
		free(text);
	}
	free(path);
	return e;
}

/* ---- an alias of the cluster's object store ----------------------------------------------- */

/* The host of url into host (without the brackets of an IPv6 address) and its port, the
 * scheme's when none is written, into port; 0 when url has no host that fits. */
static int url_host_port(const char *url, char *host, size_t hn, char *port, size_t pn)
{
	const char *h = strstr(url, "://"), *end, *colon;
	size_t n;

	if (!h)
		return 0;
	h += 3;
	end = h + strcspn(h, "/?#");
	if (*h == '[') {
		const char *close = memchr(h, ']', (size_t)(end - h));

		if (!close)
			return 0;
		colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
		h++;
		n = (size_t)(close - h);
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		n = (size_t)((colon ? colon : end) - h);
	}
	if (n == 0 || n >= hn)
		return 0;
	memcpy(host, h, n);
	host[n] = '\0';
	if (colon)
		snprintf(port, pn, "%.*s", (int)(end - colon - 1), colon + 1);
	else
		snprintf(port, pn, "%s", strncmp(url, "https:", 6) ? "80" : "443");
	return 1;
}

/* Does host (of url) resolve here?  Inside the cluster a Service's name does. */
static int url_host_resolves(const char *url)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	char host[256], port[8];

	if (!url_host_port(url, host, sizeof(host), port, sizeof(port)) || getaddrinfo(host, NULL, &hints, &res) != 0)
		return 0;
	freeaddrinfo(res);
	return 1;
}

static int in_cluster_url(const char *url, char **ns, char **name, int *port)
{
	if (!dm_k8s_service_of_url(url, ns, name, port))
		return 0;
	if (!url_host_resolves(url))
		return 1;
	free(*ns);
	free(*name);
	*ns = *name = NULL;
	return 0;
}

int dm_alias_needs_cluster(const dm_alias *a)
{
	char *ns = NULL, *name = NULL;
	int port, in = in_cluster_url(a->url, &ns, &name, &port);

	free(ns);
	free(name);
	return a->secret || in;
}

/* The keys of an alias that names a Secret. */
static dm_err read_keys(dm_alias *a, dm_k8s *c)
{
	const dm_k8s_secret_item *ak, *sk;
	dm_k8s_secret *s = NULL;
	dm_err e;

	if ((e = dm_k8s_get_secret(c, a->secret_ns, a->secret, &s)))
		return e;
	if (!(e = dm_k8s_secret_pair(s, a->access_key_field, a->secret_key_field, &ak, &sk))) {
		dm_free_secret(a->access_key);
		dm_free_secret(a->secret_key);
		a->access_key = strndup((const char *)ak->value, ak->len);
		a->secret_key = strndup((const char *)sk->value, sk->len);
		if (!a->access_key || !a->secret_key)
			e = dm_nomem();
		else
			dm_log_add_secret(a->secret_key);
	}
	dm_k8s_secret_free(s);
	return e;
}

const char *dm_alias_declared_endpoint(const dm_alias *a, const dm_k8s_current *target, char **service)
{
	char *ns = NULL, *name = NULL;
	const char *url = NULL;
	int port;

	*service = NULL;
	if (!target || !target->n_endpoints || !in_cluster_url(a->url, &ns, &name, &port))
		return NULL;
	url = dm_k8s_current_endpoint(target, ns, name);
	if (url && asprintf(service, "%s.%s", name, ns) < 0) {
		*service = NULL;
		url = NULL;
	}
	free(ns);
	free(name);
	return url;
}

dm_err dm_alias_connect(dm_alias *a, const dm_alias_connect_opts *o, dm_k8s_forward **fwd)
{
	dm_k8s_forward_opts fo = { .kubectl = o->kubectl, .kubeconfig = o->kubeconfig, .context = o->context };
	char *ns = NULL, *name = NULL, *url = NULL, *kubectl = NULL;
	const char *declared;
	int port = 0;
	dm_err e = DM_OK;

	*fwd = NULL;
	if (a->secret && (e = read_keys(a, o->k8s)))
		return e;
	if ((declared = dm_alias_declared_endpoint(a, o->target, &name))) {
		dm_info("alias '%s': Service %s through %s, declared by target %s (endpoints:); no port-forward",
			a->name, name, declared, o->target->target ? o->target->target : "(unnamed)");
		free(name);
		if (!(url = strdup(declared)))
			return dm_nomem();
		free(a->url);
		a->url = url;
		return DM_OK;
	}
	if (!in_cluster_url(a->url, &ns, &name, &port))
		return DM_OK;
	fo.ns = ns;
	fo.service = name;
	fo.port = port;
	if (!fo.kubectl && !(e = dm_proc_find(&kubectl, "kubectl", "DM_KUBECTL", "install kubectl, or set DM_KUBECTL")))
		fo.kubectl = kubectl;
	if (!e && !(e = dm_k8s_forward_open(fwd, o->k8s, &fo))) {
		if (asprintf(&url, "%s://127.0.0.1:%d", strncmp(a->url, "https:", 6) ? "http" : "https",
			     dm_k8s_forward_port(*fwd)) < 0) {
			dm_k8s_forward_close(*fwd);
			*fwd = NULL;
			e = dm_nomem();
		} else {
			free(a->url);
			a->url = url;
		}
	}
	free(kubectl);
	free(ns);
	free(name);
	return e;
}

dm_alias_reach dm_alias_reachability(const dm_alias *a)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	char host[256], port[8], *ns = NULL, *name = NULL;
	int fd, ok, svc_port;

	if (in_cluster_url(a->url, &ns, &name, &svc_port)) {
		free(ns);
		free(name);
		return DM_REACH_IN_CLUSTER;
	}
	if (!url_host_port(a->url, host, sizeof(host), port, sizeof(port)))
		return DM_REACH_OK;
	if (strcmp(host, "127.0.0.1") && strcmp(host, "localhost") && strcmp(host, "::1"))
		return DM_REACH_OK;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return DM_REACH_OK;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ok = fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0;
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return ok ? DM_REACH_OK : DM_REACH_LOOPBACK_SHUT;
}
