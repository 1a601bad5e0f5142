/* The reference language of set values and endpoints (docs/configuration.md):
 * ${release}, ${namespace}, ${COMPONENT.FIELD}, ${secrets.NAME.KEY}, and $${
 * for a literal "${".  A text is read once, when the platform loads, into
 * tokens; the check (at load, with file:line:col) and the expansion (at run
 * time, in dm-helm) both walk those tokens, so that they cannot read the same
 * text two ways. */
#include <stdlib.h>
#include <string.h>

#include <dm/util.h>
#include "internal.h"

/* The longest reference read, ${ and } aside. */
#define REF_MAX 255

static const char *const field_names[] = {
	[DM_REF_FIELD_RELEASE] = "release",
	[DM_REF_FIELD_NAMESPACE] = "namespace",
	[DM_REF_FIELD_ENDPOINT] = "endpoint",
	[DM_REF_FIELD_HOST] = "host",
	[DM_REF_FIELD_SECRET_NAME] = "secret_name",
	[DM_REF_FIELD_ACCESS_KEY_FIELD] = "access_key_field",
	[DM_REF_FIELD_SECRET_KEY_FIELD] = "secret_key_field",
	[DM_REF_FIELD_ACCESS_KEY] = "access_key",
	[DM_REF_FIELD_SECRET_KEY] = "secret_key",
};

static dm_ref_field field_of(const char *s)
{
	for (size_t i = 1; i < sizeof(field_names) / sizeof(field_names[0]); i++) {
		if (!strcmp(field_names[i], s))
			return (dm_ref_field)i;
	}
	return DM_REF_FIELD_UNKNOWN;
}

/* ---- reading ----------------------------------------------------------------------------- */

static dm_ref *add(dm_pool *pl, dm_refs *r, dm_ref_kind kind, const char *text, size_t len)
{
	dm_ref *t;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4;
		dm_ref *nv = dm_pool_calloc(pl, cap, sizeof(*nv));

		if (!nv)
			return NULL;
		if (r->n)
			memcpy(nv, r->v, r->n * sizeof(*nv));
		r->v = nv;
		r->cap = cap;
	}
	t = &r->v[r->n];
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->text = dm_pool_own(pl, strndup(text, len));
	if (!t->text)
		return NULL;
	r->n++;
	return t;
}

/* Appends len bytes of literal text, to the literal before it when there is one. */
static int add_text(dm_pool *pl, dm_refs *r, const char *s, size_t len)
{
	if (r->n && r->v[r->n - 1].kind == DM_REF_TEXT) {
		dm_ref *t = &r->v[r->n - 1];
		char *j = dm_pool_printf(pl, "%s%.*s", t->text, (int)len, s);

		if (!j)
			return -1;
		t->text = j;
		return 0;
	}
	return add(pl, r, DM_REF_TEXT, s, len) ? 0 : -1;
}

/* One ${ref}: its kind by its shape alone (whether it names something that is
 * there is the check's to say). */
static int add_ref(dm_pool *pl, dm_refs *r, const char *ref, size_t len)
{
	dm_ref *t;
	char *dot;

	if (len > REF_MAX)
		return add(pl, r, DM_REF_TOO_LONG, ref, len) ? 0 : -1;
	if (!(t = add(pl, r, DM_REF_UNKNOWN, ref, len)))
		return -1;
	if (!strcmp(t->text, "release")) {
		t->kind = DM_REF_RELEASE;
	} else if (!strcmp(t->text, "namespace")) {
		t->kind = DM_REF_NAMESPACE;
	} else if (!strncmp(t->text, "secrets.", 8)) {
		if (!(dot = strchr(t->text + 8, '.')))
			return 0; /* ${secrets.NAME}: no key */
		t->kind = DM_REF_GENERATED;
		t->name = dm_pool_own(pl, strndup(t->text + 8, (size_t)(dot - t->text - 8)));
		t->key = dot + 1;
	} else if ((dot = strrchr(t->text, '.'))) {
		t->kind = DM_REF_COMPONENT;
		t->name = dm_pool_own(pl, strndup(t->text, (size_t)(dot - t->text)));
		t->key = dot + 1;
		t->field = field_of(t->key);
	}
	return (t->kind == DM_REF_GENERATED || t->kind == DM_REF_COMPONENT) && !t->name ? -1 : 0;
}

dm_err dm_refs_parse(dm_pool *pl, dm_refs *out, const char *text)
{
	const char *s = text, *lit = text;

	memset(out, 0, sizeof(*out));
	while (*s) {
		const char *end;

		if (s[0] == '$' && s[1] == '$' && s[2] == '{') {
			/* $${ is a literal ${ */
			if ((s > lit && add_text(pl, out, lit, (size_t)(s - lit))) || add_text(pl, out, s + 1, 2))
				return dm_nomem();
			s += 3;
			lit = s;
			continue;
		}
		if (!(s[0] == '$' && s[1] == '{')) {
			s++;
			continue;
		}
		if ((s > lit && add_text(pl, out, lit, (size_t)(s - lit))))
			return dm_nomem();
		if (!(end = strchr(s + 2, '}'))) {
			/* the rest of the text, as written */
			if (!add(pl, out, DM_REF_UNTERMINATED, s, strlen(s)))
				return dm_nomem();
			return DM_OK;
		}
		if (add_ref(pl, out, s + 2, (size_t)(end - s - 2)))
			return dm_nomem();
		s = end + 1;
		lit = s;
	}
	if (s > lit && add_text(pl, out, lit, (size_t)(s - lit)))
		return dm_nomem();
	return DM_OK;
}

/* ---- checking ---------------------------------------------------------------------------- */

static int listed(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(list[i], s))
			return 1;
	}
	return 0;
}

/* ${secrets.NAME.KEY}: NAME is a Secret that c generates, with that key. */
static dm_err check_generated(const dm_component *c, const dm_ref *t, const char *file, unsigned line, unsigned col)
{
	size_t i;

	for (i = 0; i < c->n_secrets && strcmp(c->secrets[i].name, t->name); i++)
		;
	if (i == c->n_secrets)
		return dm_fail(DM_ERR_CONFIG, "%s:%u:%u: ${secrets.%s.%s}: '%s' is not a generated Secret of '%s'",
			       file, line, col, t->name, t->key, t->name, c->name);
	if (!listed(c->secrets[i].keys, c->secrets[i].n_keys, t->key))
		return dm_fail(DM_ERR_CONFIG, "%s:%u:%u: ${secrets.%s.%s}: Secret '%s' has no key '%s'", file, line,
			       col, t->name, t->key, t->name, t->key);
	return DM_OK;
}

/* ${COMPONENT.FIELD}: a component that c needs (or c), and a field it exposes. */
static dm_err check_component(const dm_platform *p, const dm_component *c, const dm_ref *t, const char *file,
			      unsigned line, unsigned col)
{
	const dm_component *to = dm_platform_any(p, t->name);

	if (!to)
		return dm_fail(DM_ERR_CONFIG, "%s:%u:%u: ${%s.%s}: '%s' is no component", file, line, col, t->name,
			       t->key, t->name);
	if (to != c && !listed(c->needs, c->n_needs, t->name))
		return dm_fail(DM_ERR_CONFIG, "%s:%u:%u: ${%s.%s} refers to %s, which is not in needs of '%s'", file,
			       line, col, t->name, t->key, t->name, c->name);
	if (t->field == DM_REF_FIELD_UNKNOWN)
		return dm_fail(DM_ERR_CONFIG,
			       "%s:%u:%u: ${%s.%s}: '%s' is not a field a component exposes "
			       "(release, namespace, endpoint, host, secret_name, access_key_field, "
			       "secret_key_field, access_key, secret_key)",
			       file, line, col, t->name, t->key, t->key);
	if (t->field != DM_REF_FIELD_RELEASE && t->field != DM_REF_FIELD_NAMESPACE && !to->secret_name)
		return dm_fail(DM_ERR_CONFIG, "%s:%u:%u: ${%s.%s}: component '%s' exposes no 'secret:'", file, line,
			       col, t->name, t->key, t->name);
	return DM_OK;
}

dm_err dm_refs_check(const dm_refs *r, const dm_platform *p, const dm_component *c, const dm_ref_where *at, int *secret)
{
	const char *file = at->file;
	unsigned line = at->line, col = at->col;
	dm_err e;

	for (size_t i = 0; i < r->n; i++) {
		const dm_ref *t = &r->v[i];

		switch (t->kind) {
		case DM_REF_TEXT:
		case DM_REF_RELEASE:
		case DM_REF_NAMESPACE: continue;
		case DM_REF_UNTERMINATED:
			return dm_fail(DM_ERR_CONFIG, "%s:%u:%u: unterminated reference '%s'", file, line, col,
				       t->text);
		case DM_REF_TOO_LONG: return dm_fail(DM_ERR_CONFIG, "%s:%u:%u: reference too long", file, line, col);
		default: break;
		}
		if (at->endpoint)
			return dm_fail(DM_ERR_CONFIG,
				       "%s:%u:%u: ${%s}: an endpoint may only use ${release} and ${namespace}", file,
				       line, col, t->text);
		if (t->kind == DM_REF_UNKNOWN && !strncmp(t->text, "secrets.", 8))
			return dm_fail(DM_ERR_CONFIG, "%s:%u:%u: ${%s}: write ${secrets.NAME.KEY}", file, line, col,
				       t->text);
		if (t->kind == DM_REF_UNKNOWN)
			return dm_fail(DM_ERR_CONFIG,
				       "%s:%u:%u: ${%s}: unknown reference (write ${COMPONENT.FIELD}, "
				       "${release}, ${namespace} or ${secrets.NAME.KEY})",
				       file, line, col, t->text);
		if (t->kind == DM_REF_GENERATED) {
			if ((e = check_generated(c, t, file, line, col)))
				return e;
			*secret = 1;
			continue;
		}
		if ((e = check_component(p, c, t, file, line, col)))
			return e;
		if (t->field == DM_REF_FIELD_ACCESS_KEY || t->field == DM_REF_FIELD_SECRET_KEY)
			*secret = 1;
	}
	return DM_OK;
}

/* ---- expanding --------------------------------------------------------------------------- */

static const char *release_of(const dm_component *c)
{
	return c->release ? c->release : c->name;
}

/* The endpoint of component to, its own references filled in. */
static dm_err endpoint_of(const dm_platform *p, const dm_component *to, dm_buf *out)
{
	const dm_refs *r = dm_platform_endpoint_refs(p, to);
	dm_ref_env env = { .release = release_of(to), .ns = to->ns };
	dm_pool pl = { 0 };
	dm_refs own;
	dm_err e;

	if (!to->secret_endpoint)
		return dm_fail(DM_ERR_CONFIG, "component '%s' exposes no 'secret:' endpoint", to->name);
	/* a component that was not checked (not selected) has no tokens yet */
	if (!r) {
		if ((e = dm_refs_parse(&pl, &own, to->secret_endpoint))) {
			dm_pool_release(&pl);
			return e;
		}
		r = &own;
	}
	e = dm_refs_expand(out, r, &env);
	dm_pool_release(&pl);
	return e;
}

/* The host[:port] of an endpoint: its scheme and its path aside. */
static void put_host(dm_buf *out, const char *ep)
{
	const char *h = strstr(ep, "://"), *slash;

	h = h ? h + 3 : ep;
	slash = strchr(h, '/');
	dm_buf_append(out, h, slash ? (size_t)(slash - h) : strlen(h));
}

static dm_err put_secret_value(const dm_ref_env *env, const char *ns, const char *secret, const char *key, dm_buf *out)
{
	if (!env->secret_value)
		return dm_buf_puts(out, "<secret>");
	return env->secret_value(env->ud, ns, secret, key, out);
}

static dm_err expand_component(const dm_ref *t, const dm_ref_env *env, dm_buf *out)
{
	const dm_component *to = env->p ? dm_platform_find(env->p, t->name) : NULL;
	dm_buf ep = DM_BUF_INIT;
	dm_err e = DM_OK;

	if (!to)
		return dm_fail(DM_ERR_CONFIG, "bad reference ${%s}", t->text);
	switch (t->field) {
	case DM_REF_FIELD_RELEASE: return dm_buf_puts(out, release_of(to));
	case DM_REF_FIELD_NAMESPACE: return dm_buf_puts(out, to->ns);
	case DM_REF_FIELD_ENDPOINT:
	case DM_REF_FIELD_HOST:
		if ((e = endpoint_of(env->p, to, &ep)))
			break;
		if (t->field == DM_REF_FIELD_HOST)
			put_host(out, dm_buf_str(&ep));
		else
			dm_buf_puts(out, dm_buf_str(&ep));
		break;
	case DM_REF_FIELD_SECRET_NAME: return dm_buf_puts(out, to->secret_name);
	case DM_REF_FIELD_ACCESS_KEY_FIELD: return dm_buf_puts(out, to->secret_access_key);
	case DM_REF_FIELD_SECRET_KEY_FIELD: return dm_buf_puts(out, to->secret_secret_key);
	case DM_REF_FIELD_ACCESS_KEY: return put_secret_value(env, to->ns, to->secret_name, to->secret_access_key, out);
	case DM_REF_FIELD_SECRET_KEY: return put_secret_value(env, to->ns, to->secret_name, to->secret_secret_key, out);
	default: return dm_fail(DM_ERR_CONFIG, "bad reference ${%s}", t->text);
	}
	dm_buf_release(&ep);
	return e;
}

dm_err dm_refs_expand(dm_buf *out, const dm_refs *r, const dm_ref_env *env)
{
	dm_err e = DM_OK;

	for (size_t i = 0; i < r->n && !e; i++) {
		const dm_ref *t = &r->v[i];

		switch (t->kind) {
		case DM_REF_TEXT: dm_buf_puts(out, t->text); break;
		case DM_REF_RELEASE: dm_buf_puts(out, env->release); break;
		case DM_REF_NAMESPACE: dm_buf_puts(out, env->ns); break;
		case DM_REF_GENERATED: e = put_secret_value(env, env->ns, t->name, t->key, out); break;
		case DM_REF_COMPONENT: e = expand_component(t, env, out); break;
		default: e = dm_fail(DM_ERR_CONFIG, "bad reference ${%s}", t->text); break;
		}
	}
	if (!e && !dm_buf_str(out))
		e = dm_nomem();
	return e;
}
