/* Components: reading every component folder, merging the three layers by
 * component name, resolving values files and references, and the install
 * order.  docs/configuration.md is the contract. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dm/platform.h>
#include <dm/util.h>
#include "internal.h"

static const char *const component_keys[] = { "name",      "description", "kind",   "release", "chart",
					      "version",   "namespace",   "values", "needs",   "set",
					      "secrets",   "secret",      "wait",   "timeout", "manifests",
					      "kustomize", "requires",    NULL };
static const char *const chart_keys[] = { "repo", "name", "oci", "path", NULL };
static const char *const gen_secret_keys[] = { "name", "keys", "length", NULL };
static const char *const secret_keys[] = { "name", "keys", "endpoint", NULL };
static const char *const secret_keys_keys[] = { "access_key", "secret_key", NULL };
static const char *const requires_keys[] = { "gpu", NULL };
static const char *const gpu_need_keys[] = { "image", "profile", NULL };
static const char *const reserved[] = { "project", "local", "remote", "secrets", NULL };

static dm_err nomem(void)
{
	return dm_nomem();
}

static const dm_component *find_any(const dm_platform *p, const char *name);

/* One layer of a component's configuration. */
typedef struct {
	const dm_yaml *doc;
	const dm_ynode *map;
} layer;

/* The layers of one component, lowest first. */
typedef struct {
	layer l[3];
	int n;
} layers;

/* The highest layer that sets key (non-null), or NULL. */
static const layer *pick(const layers *ls, const char *key)
{
	for (int i = ls->n - 1; i >= 0; i--) {
		const dm_ynode *v = dm_yaml_get(ls->l[i].map, key);

		if (v && v->kind != DM_YAML_NULL)
			return &ls->l[i];
	}
	return NULL;
}

static int in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list && list[i]; i++) {
		if (strcmp(list[i], s) == 0)
			return 1;
	}
	return 0;
}

static int secret_key_name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		      *s == '_'))
			return 0;
	}
	return 1;
}

/* A list of strings from layer la, copied into the pool. */
static dm_err get_list(dm_platform *p, const layer *la, const char *key, const char *const **out, size_t *n)
{
	const char **list = NULL;
	dm_err e;

	*out = NULL;
	*n = 0;
	if ((e = dm_yaml_get_strlist(la->doc, la->map, key, 1, &list, n)))
		return e;
	if (!dm_pool_own(&p->pool, (void *)list))
		return nomem();
	*out = list;
	return DM_OK;
}

static dm_err read_chart(dm_platform *p, dm_component *c, const layer *la)
{
	const dm_ynode *ch = dm_yaml_get(la->map, "chart");
	const char *repo = NULL, *name = NULL, *oci = NULL, *path = NULL;
	dm_err e;

	if ((e = dm_yaml_want_map(la->doc, ch, "'chart'", 0)) ||
	    (e = dm_yaml_check_keys(la->doc, ch, "chart", chart_keys)) ||
	    (e = dm_yaml_get_str(la->doc, ch, "repo", 0, &repo)) ||
	    (e = dm_yaml_get_str(la->doc, ch, "name", 0, &name)) ||
	    (e = dm_yaml_get_str(la->doc, ch, "oci", 0, &oci)) || (e = dm_yaml_get_str(la->doc, ch, "path", 0, &path)))
		return e;
	if ((repo || name) && !oci && !path) {
		if (!repo || !name)
			return dm_yaml_fail(la->doc, ch, "'chart' needs both 'repo' and 'name'");
		if (strncmp(repo, "http://", 7) != 0 && strncmp(repo, "https://", 8) != 0)
			return dm_yaml_fail(la->doc, dm_yaml_get(ch, "repo"),
					    "'repo' must be an http(s):// URL, not '%s'", repo);
		c->chart_repo = repo;
		c->chart_name = name;
	} else if (oci && !repo && !name && !path) {
		if (strncmp(oci, "oci://", 6) != 0)
			return dm_yaml_fail(la->doc, dm_yaml_get(ch, "oci"), "'oci' must start with oci://, not '%s'",
					    oci);
		c->chart_oci = oci;
	} else if (path && !repo && !name && !oci) {
		char *cy;

		c->chart_path = dm_pool_own(&p->pool, dm_path_resolve(c->folder, path));
		if (!c->chart_path)
			return nomem();
		cy = dm_path_resolve(c->chart_path, "Chart.yaml");
		if (!cy)
			return nomem();
		if (!dm_path_is_file(cy)) {
			free(cy);
			return dm_yaml_fail(la->doc, dm_yaml_get(ch, "path"), "chart folder '%s' holds no Chart.yaml",
					    c->chart_path);
		}
		free(cy);
	} else {
		return dm_yaml_fail(la->doc, ch,
				    "'chart' takes exactly one form: 'repo' and 'name', or 'oci', or 'path'");
	}
	return DM_OK;
}

static dm_err read_gen_secrets(dm_platform *p, dm_component *c, const layer *la)
{
	const dm_ynode *s = dm_yaml_get(la->map, "secrets");
	dm_gen_secret *gs;

	if (s->kind != DM_YAML_SEQ)
		return dm_yaml_fail(la->doc, s, "'secrets' must be a list of generated Secrets");
	gs = dm_pool_calloc(&p->pool, s->len, sizeof(*gs));
	if (!gs)
		return nomem();
	for (size_t i = 0; i < s->len; i++) {
		const dm_ynode *it = s->vals[i];
		long long len = 32;
		dm_err e;

		if ((e = dm_yaml_want_map(la->doc, it, "an item of 'secrets'", 0)) ||
		    (e = dm_yaml_check_keys(la->doc, it, "secrets item", gen_secret_keys)) ||
		    (e = dm_yaml_get_str(la->doc, it, "name", 1, &gs[i].name)) ||
		    (e = dm_yaml_get_int(la->doc, it, "length", 0, 16, 256, &len)))
			return e;
		if (!dm_platform_name_ok(gs[i].name, 253))
			return dm_yaml_fail(la->doc, dm_yaml_get(it, "name"), "invalid Secret name '%s'", gs[i].name);
		{
			layer il = { la->doc, it };

			if ((e = get_list(p, &il, "keys", &gs[i].keys, &gs[i].n_keys)))
				return e;
		}
		if (gs[i].n_keys == 0)
			return dm_yaml_fail(la->doc, dm_yaml_get(it, "keys"), "'keys' of Secret '%s' is empty",
					    gs[i].name);
		for (size_t k = 0; k < gs[i].n_keys; k++) {
			if (!secret_key_name_ok(gs[i].keys[k]))
				return dm_yaml_fail(la->doc, dm_yaml_get(it, "keys"),
						    "invalid key '%s' of Secret '%s' (letters, digits, '-' and '_')",
						    gs[i].keys[k], gs[i].name);
		}
		gs[i].length = (int)len;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(gs[i].name, gs[j].name) == 0)
				return dm_yaml_fail(la->doc, it, "Secret '%s' is listed twice", gs[i].name);
		}
	}
	c->secrets = gs;
	c->n_secrets = s->len;
	return DM_OK;
}

static dm_err read_secret(dm_component *c, const layer *la)
{
	const dm_ynode *s = dm_yaml_get(la->map, "secret"), *k;
	dm_err e;

	if ((e = dm_yaml_want_map(la->doc, s, "'secret'", 0)) ||
	    (e = dm_yaml_check_keys(la->doc, s, "secret", secret_keys)) ||
	    (e = dm_yaml_get_str(la->doc, s, "name", 1, &c->secret_name)) ||
	    (e = dm_yaml_get_str(la->doc, s, "endpoint", 1, &c->secret_endpoint)))
		return e;
	k = dm_yaml_get(s, "keys");
	if (!k)
		return dm_yaml_fail(la->doc, s, "missing required key 'keys'");
	if ((e = dm_yaml_want_map(la->doc, k, "'secret.keys'", 0)) ||
	    (e = dm_yaml_check_keys(la->doc, k, "secret.keys", secret_keys_keys)) ||
	    (e = dm_yaml_get_str(la->doc, k, "access_key", 1, &c->secret_access_key)) ||
	    (e = dm_yaml_get_str(la->doc, k, "secret_key", 1, &c->secret_secret_key)))
		return e;
	return DM_OK;
}

/* One item of requires.gpu: {image: REF, profile: NAME}. */
static dm_err read_gpu_need(dm_gpu_need *g, const dm_yaml *doc, const dm_ynode *it)
{
	dm_err e;

	if ((e = dm_yaml_want_map(doc, it, "an item of 'requires.gpu'", 0)) ||
	    (e = dm_yaml_check_keys(doc, it, "requires.gpu", gpu_need_keys)) ||
	    (e = dm_yaml_get_str(doc, it, "image", 0, &g->image)) ||
	    (e = dm_yaml_get_str(doc, it, "profile", 0, &g->profile)))
		return e;
	if (g->image && (!*g->image || strchr(g->image, ' ')))
		return dm_yaml_fail(doc, dm_yaml_get(it, "image"), "'image' must be an image reference, not '%s'",
				    g->image);
	g->file = dm_yaml_name(doc);
	g->line = (g->image ? dm_yaml_get(it, "image") : it)->line;
	g->col = (g->image ? dm_yaml_get(it, "image") : it)->col;
	return DM_OK;
}

/* requires: `gpu`, or a map whose `gpu` is true/false, one {image, profile} or a list of them. */
static dm_err read_requires(dm_platform *p, dm_component *c, const layer *la)
{
	const dm_ynode *r = dm_yaml_get(la->map, "requires"), *g;
	dm_gpu_need *needs;
	size_t n;
	dm_err e;

	if (r->kind == DM_YAML_SCALAR) {
		if (strcmp(r->scalar, "gpu") != 0)
			return dm_yaml_fail(la->doc, r, "'requires' must be gpu or a map with 'gpu', not '%s'",
					    r->scalar);
		c->requires_gpu = 1;
		return DM_OK;
	}
	if ((e = dm_yaml_want_map(la->doc, r, "'requires'", 0)) ||
	    (e = dm_yaml_check_keys(la->doc, r, "requires", requires_keys)))
		return e;
	if (!(g = dm_yaml_get(r, "gpu")) || g->kind == DM_YAML_NULL)
		return DM_OK;
	if (g->kind == DM_YAML_SCALAR)
		return dm_yaml_get_bool(la->doc, r, "gpu", 0, &c->requires_gpu);
	n = g->kind == DM_YAML_SEQ ? g->len : 1;
	if (!(needs = dm_pool_calloc(&p->pool, n + 1, sizeof(*needs))))
		return nomem();
	for (size_t i = 0; i < n; i++) {
		if ((e = read_gpu_need(&needs[i], la->doc, g->kind == DM_YAML_SEQ ? g->vals[i] : g)))
			return e;
	}
	c->requires_gpu = 1;
	c->gpu = needs;
	c->n_gpu = n;
	return DM_OK;
}

/* set: merged entry by entry, lowest layer first. */
static dm_err read_set(dm_platform *p, dm_component *c, const layers *ls)
{
	size_t cap = 0, n = 0;
	dm_set_entry *set;

	for (int i = 0; i < ls->n; i++) {
		const dm_ynode *s = dm_yaml_get(ls->l[i].map, "set");

		if (s && s->kind == DM_YAML_MAP)
			cap += s->len;
	}
	set = dm_pool_calloc(&p->pool, cap, sizeof(*set));
	if (!set)
		return nomem();
	for (int i = 0; i < ls->n; i++) {
		const layer *la = &ls->l[i];
		const dm_ynode *s = dm_yaml_get(la->map, "set");
		dm_err e;

		if (!s || s->kind == DM_YAML_NULL)
			continue;
		if ((e = dm_yaml_want_map(la->doc, s, "'set'", 0)))
			return e;
		for (size_t j = 0; j < s->len; j++) {
			const dm_ynode *v = s->vals[j];
			const char *key = s->keys[j]->scalar;
			size_t at;

			if (v->kind == DM_YAML_MAP || v->kind == DM_YAML_SEQ)
				return dm_yaml_fail(la->doc, v,
						    "set '%s': values must be scalars (put lists and maps in a values "
						    "file)",
						    key);
			if (!*key || strchr(key, '['))
				return dm_yaml_fail(la->doc, s->keys[j],
						    "set '%s': not a value path (list indexes are not supported)", key);
			for (at = 0; at < n; at++) {
				if (strcmp(set[at].key, key) == 0)
					break;
			}
			if (at == n)
				n++;
			set[at].key = key;
			set[at].value = v->kind == DM_YAML_NULL ? "" : v->scalar;
			set[at].quoted = v->kind == DM_YAML_SCALAR && v->quoted;
			set[at].is_null = v->kind == DM_YAML_NULL ||
					  (!v->quoted && (!strcmp(v->scalar, "null") || !strcmp(v->scalar, "~") ||
							  !strcmp(v->scalar, "Null") || !strcmp(v->scalar, "NULL")));
			set[at].secret = 0;
			set[at].file = dm_yaml_name(la->doc);
			set[at].line = v->line;
			set[at].col = v->col;
		}
	}
	c->set = set;
	c->n_set = n;
	return DM_OK;
}

static dm_err check_kind_keys(const dm_component *c, const layers *ls)
{
	static const char *const helm_only[] = { "chart", "release", "version", "values", "set", NULL };
	static const char *const manifest_only[] = { "manifests", "kustomize", NULL };
	const char *const *bad = c->kind == DM_COMPONENT_HELM ? manifest_only : helm_only;

	for (size_t k = 0; bad[k]; k++) {
		for (int i = ls->n - 1; i >= 0; i--) {
			const dm_ynode *key = dm_yaml_key(ls->l[i].map, bad[k]);

			if (key)
				return dm_yaml_fail(ls->l[i].doc, key, "'%s' is not allowed with kind %s", bad[k],
						    c->kind == DM_COMPONENT_HELM ? "helm" : "manifest");
		}
	}
	return DM_OK;
}

/* Every layer holds only component keys; a layer above config.yaml that gives
 * a name gives this component's. */
static dm_err check_layers(const dm_component *c, const layers *ls)
{
	dm_err e;

	for (int i = 0; i < ls->n; i++) {
		const char *name = NULL;

		if ((e = dm_yaml_check_keys(ls->l[i].doc, ls->l[i].map, "component", component_keys)))
			return e;
		if (i > 0) {
			if ((e = dm_yaml_get_str(ls->l[i].doc, ls->l[i].map, "name", 0, &name)))
				return e;
			if (name && strcmp(name, c->name) != 0)
				return dm_yaml_fail(ls->l[i].doc, dm_yaml_get(ls->l[i].map, "name"),
						    "'name' is '%s' but these settings are for component '%s'", name,
						    c->name);
		}
	}
	return DM_OK;
}

/* The keys of either kind: description, kind, namespace, needs, wait, timeout, secrets, secret,
 * requires. */
static dm_err merge_common(dm_platform *p, dm_component *c, const layers *ls)
{
	const dm_project *pj = dm_flavour_project(p->f);
	const layer *la;
	const char *kind = "helm", *timeout = NULL;
	dm_err e;

	c->description = "";
	if ((la = pick(ls, "description")) &&
	    (e = dm_yaml_get_str(la->doc, la->map, "description", 0, &c->description)))
		return e;
	if ((la = pick(ls, "kind")) && (e = dm_yaml_get_str(la->doc, la->map, "kind", 0, &kind)))
		return e;
	if (strcmp(kind, "helm") == 0) {
		c->kind = DM_COMPONENT_HELM;
	} else if (strcmp(kind, "manifest") == 0) {
		c->kind = DM_COMPONENT_MANIFEST;
	} else {
		return dm_yaml_fail(la->doc, dm_yaml_get(la->map, "kind"), "'kind' must be helm or manifest, not '%s'",
				    kind);
	}
	if ((e = check_kind_keys(c, ls)))
		return e;

	c->ns = pj->k8s_namespace;
	if ((la = pick(ls, "namespace"))) {
		if ((e = dm_yaml_get_str(la->doc, la->map, "namespace", 0, &c->ns)))
			return e;
		if (!dm_platform_name_ok(c->ns, 63))
			return dm_yaml_fail(la->doc, dm_yaml_get(la->map, "namespace"),
					    "invalid namespace '%s' (lower-case letters, digits and '-', at most 63)",
					    c->ns);
	}
	c->needs = (const char *const *)dm_pool_calloc(&p->pool, 1, sizeof(char *));
	if (!c->needs)
		return nomem();
	if ((la = pick(ls, "needs"))) {
		const dm_ynode *nn = dm_yaml_get(la->map, "needs");

		if ((e = get_list(p, la, "needs", &c->needs, &c->n_needs)))
			return e;
		for (size_t j = 0; j < c->n_needs; j++) {
			const dm_ynode *at = nn->kind == DM_YAML_SEQ ? nn->vals[j] : nn;

			if (!strcmp(c->needs[j], c->name))
				return dm_yaml_fail(la->doc, at, "'%s' needs itself", c->name);
			if (!find_any(p, c->needs[j]))
				return dm_yaml_fail(la->doc, at, "'%s' needs '%s', which is no component", c->name,
						    c->needs[j]);
		}
	}
	c->wait = 1;
	if ((la = pick(ls, "wait")) && (e = dm_yaml_get_bool(la->doc, la->map, "wait", 0, &c->wait)))
		return e;
	c->timeout_ms = 600000;
	if ((la = pick(ls, "timeout"))) {
		if ((e = dm_yaml_get_str(la->doc, la->map, "timeout", 0, &timeout)))
			return e;
		if (dm_parse_duration_ms(timeout, &c->timeout_ms) || c->timeout_ms == 0)
			return dm_yaml_fail(la->doc, dm_yaml_get(la->map, "timeout"),
					    "'timeout' must be a duration like 90s, 10m or 1h30m, not '%s'", timeout);
	}
	if ((la = pick(ls, "secrets")) && (e = read_gen_secrets(p, c, la)))
		return e;
	if ((la = pick(ls, "secret")) && (e = read_secret(c, la)))
		return e;
	if ((la = pick(ls, "requires")) && (e = read_requires(p, c, la)))
		return e;
	return DM_OK;
}

/* kind helm: release, chart, version, values and set. */
static dm_err merge_helm(dm_platform *p, dm_component *c, const layers *ls)
{
	const layer *la;
	dm_err e;

	c->release = c->name;
	if ((la = pick(ls, "release"))) {
		if ((e = dm_yaml_get_str(la->doc, la->map, "release", 0, &c->release)))
			return e;
		if (!dm_platform_name_ok(c->release, 53))
			return dm_yaml_fail(la->doc, dm_yaml_get(la->map, "release"),
					    "invalid release name '%s' (lower-case letters, digits and '-', "
					    "at most 53)",
					    c->release);
	}
	if (!(la = pick(ls, "chart")))
		return dm_yaml_fail(ls->l[0].doc, ls->l[0].map, "component '%s' has no 'chart'", c->name);
	if ((e = read_chart(p, c, la)))
		return e;
	if ((la = pick(ls, "version")) && (e = dm_yaml_get_str(la->doc, la->map, "version", 0, &c->version)))
		return e;
	if (!c->version && !c->chart_path)
		return dm_yaml_fail(ls->l[0].doc, ls->l[0].map,
				    "component '%s' has no 'version' (required for repository and OCI charts)",
				    c->name);
	if ((la = pick(ls, "values"))) {
		if ((e = get_list(p, la, "values", &c->values, &c->n_values)))
			return e;
		p->values_at[c - p->all].doc = la->doc;
		p->values_at[c - p->all].map = la->map;
	}
	return read_set(p, c, ls);
}

/* kind manifest: manifests and kustomize, paths relative to the component's folder, URLs as they are. */
static dm_err merge_manifest(dm_platform *p, dm_component *c, const layers *ls)
{
	const layer *la;
	dm_err e;

	if ((la = pick(ls, "manifests")) && (e = get_list(p, la, "manifests", &c->manifests, &c->n_manifests)))
		return e;
	if ((la = pick(ls, "kustomize")) && (e = get_list(p, la, "kustomize", &c->kustomize, &c->n_kustomize)))
		return e;
	if (c->n_manifests + c->n_kustomize == 0)
		return dm_yaml_fail(ls->l[0].doc, ls->l[0].map,
				    "component '%s' (kind manifest) needs 'manifests' or 'kustomize'", c->name);
	for (int pass = 0; pass < 2; pass++) {
		const char *const *src = pass ? c->kustomize : c->manifests;
		size_t n = pass ? c->n_kustomize : c->n_manifests;
		const char **dst = dm_pool_calloc(&p->pool, n + 1, sizeof(*dst));

		if (!dst)
			return nomem();
		for (size_t i = 0; i < n; i++) {
			dst[i] = dm_path_is_url(src[i]) ? src[i]
							: dm_pool_own(&p->pool, dm_path_resolve(c->folder, src[i]));
			if (!dst[i])
				return nomem();
		}
		if (pass)
			c->kustomize = dst;
		else
			c->manifests = dst;
	}
	return DM_OK;
}

/* Merges the layers of component c (name, folder and layers already set). */
static dm_err merge(dm_platform *p, dm_component *c, const layers *ls)
{
	dm_err e;

	if ((e = check_layers(c, ls)) || (e = merge_common(p, c, ls)))
		return e;
	e = c->kind == DM_COMPONENT_HELM ? merge_helm(p, c, ls) : merge_manifest(p, c, ls);
	if (e)
		return e;
	if (!c->values) {
		c->values = (const char *const *)dm_pool_calloc(&p->pool, 1, sizeof(char *));
		if (!c->values)
			return nomem();
	}
	return DM_OK;
}

static int cmp_comp(const void *a, const void *b)
{
	return strcmp(((const dm_component *)a)->name, ((const dm_component *)b)->name);
}

static const dm_component *find_any(const dm_platform *p, const char *name)
{
	dm_component key;

	memset(&key, 0, sizeof(key));
	key.name = name;
	return p->n_all ? bsearch(&key, p->all, p->n_all, sizeof(*p->all), cmp_comp) : NULL;
}

const dm_component *dm_platform_any(const dm_platform *p, const char *name)
{
	return p ? find_any(p, name) : NULL;
}

const dm_component *dm_platform_find(const dm_platform *p, const char *name)
{
	const dm_component *c = find_any(p, name);

	return c && p->layers_of && p->layers_of[c - p->all] ? c : NULL;
}

static size_t index_of(const dm_platform *p, const dm_component *c)
{
	return (size_t)(c - p->all);
}

static dm_err own_doc(dm_platform *p, dm_yaml *d)
{
	dm_yaml **nd = realloc(p->docs, (p->n_docs + 1) * sizeof(*nd));

	if (!nd) {
		dm_yaml_free(d);
		return nomem();
	}
	p->docs = nd;
	p->docs[p->n_docs++] = d;
	return DM_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Reads config.yaml of every folder of the components folder. */
static dm_err read_folders(dm_platform *p)
{
	const dm_project *pj = dm_flavour_project(p->f);
	DIR *dir = opendir(pj->components_dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	dm_err e = DM_OK;

	if (!dir)
		return dm_fail(DM_ERR_IO, "cannot read the components folder '%s'", pj->components_dir);
	while ((de = readdir(dir))) {
		char **nn;

		if (de->d_name[0] == '.')
			continue;
		nn = realloc(names, (n + 1) * sizeof(*nn));
		if (!nn || !(nn[n] = strdup(de->d_name))) {
			names = nn ? nn : names;
			e = nomem();
			goto done;
		}
		names = nn;
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	p->all = dm_pool_calloc(&p->pool, n, sizeof(*p->all));
	p->cfg = dm_pool_calloc(&p->pool, n, sizeof(*p->cfg));
	if (!p->all || !p->cfg) {
		e = nomem();
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		char *folder = dm_pool_own(&p->pool, dm_path_resolve(pj->components_dir, names[i]));
		char *file;
		dm_yaml *d;
		const dm_ynode *root;
		dm_component *c = &p->all[p->n_all];

		if (!folder || !(file = dm_pool_own(&p->pool, dm_path_resolve(folder, pj->component_default_config)))) {
			e = nomem();
			goto done;
		}
		if (!dm_path_is_dir(folder) || !dm_path_is_file(file))
			continue;
		if ((e = dm_yaml_load_file(&d, file)) || (e = own_doc(p, d)))
			goto done;
		root = dm_yaml_root(d);
		if ((e = dm_yaml_want_map(d, root, "a component file", 0)) ||
		    (e = dm_yaml_check_keys(d, root, "component", component_keys)) ||
		    (e = dm_yaml_get_str(d, root, "name", 1, &c->name)))
			goto done;
		if (!dm_platform_name_ok(c->name, 53) || in_list(reserved, c->name)) {
			e = dm_yaml_fail(d, dm_yaml_get(root, "name"),
					 "invalid component name '%s' (lower-case letters, digits and '-', at most 53; "
					 "not project, local, remote or secrets)",
					 c->name);
			goto done;
		}
		c->folder = folder;
		c->files[0] = file;
		p->cfg[p->n_all].doc = d;
		p->cfg[p->n_all].map = root;
		p->n_all++;
	}
	/* sort by name, keeping each config beside its component */
	for (size_t i = 1; i < p->n_all; i++) {
		for (size_t j = i; j > 0 && strcmp(p->all[j - 1].name, p->all[j].name) > 0; j--) {
			dm_component tc = p->all[j];
			dm_cfg_layer tl = p->cfg[j];

			p->all[j] = p->all[j - 1];
			p->cfg[j] = p->cfg[j - 1];
			p->all[j - 1] = tc;
			p->cfg[j - 1] = tl;
		}
	}
	for (size_t i = 1; i < p->n_all; i++) {
		if (strcmp(p->all[i - 1].name, p->all[i].name) == 0) {
			e = dm_fail(DM_ERR_CONFIG, "two component folders name the component '%s': '%s' and '%s'",
				    p->all[i].name, p->all[i - 1].files[0], p->all[i].files[0]);
			goto done;
		}
	}
done:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dir);
	return e;
}

/* The flavour's names: project.flavour and the top-level sections. */
static dm_err check_flavour_names(dm_platform *p)
{
	const dm_project *pj = dm_flavour_project(p->f);
	const dm_ynode *root = dm_flavour_root_node(p->f);
	const dm_ynode *fl = dm_yaml_get(dm_yaml_get(root, "project"), "flavour");

	for (size_t i = 0; i < pj->n_flavour; i++) {
		if (!find_any(p, pj->flavour[i]))
			return dm_yaml_fail(pj->doc, fl->kind == DM_YAML_SEQ ? fl->vals[i] : fl,
					    "project.flavour names '%s', which is no component (none of the folders "
					    "of '%s' has a %s with name: %s)",
					    pj->flavour[i], pj->components_dir, pj->component_default_config,
					    pj->flavour[i]);
	}
	for (size_t i = 0; i < root->len; i++) {
		const char *k = root->keys[i]->scalar;

		if (!strcmp(k, "project") || !strcmp(k, "local") || !strcmp(k, "remote"))
			continue;
		if (!find_any(p, k))
			return dm_yaml_fail(pj->doc, root->keys[i],
					    "'%s' is not a component (top-level sections are project, local, remote "
					    "and component names)",
					    k);
	}
	return DM_OK;
}

/* Layer 2 of a component: ov (components/<folder>/<flavour file name>) when it
 * is a file other than config (layer 3) and the flavour itself.  *out: the
 * loaded file (the caller frees it), NULL when there is none.  A file that
 * holds nothing loads, but is no layer: *is_layer 0. */
static dm_err load_override(dm_yaml **out, int *is_layer, const dm_project *pj, const char *ov, const char *config)
{
	char *real;
	int same;
	dm_err e;

	*out = NULL;
	*is_layer = 0;
	if (strcmp(ov, config) == 0 || strcmp(ov, pj->file) == 0 || !dm_path_is_file(ov))
		return DM_OK;
	real = realpath(ov, NULL);
	same = real && strcmp(real, pj->file) == 0;
	free(real);
	if (same)
		return DM_OK;
	if ((e = dm_yaml_load_file(out, ov)))
		return e;
	if (dm_yaml_root(*out)->kind == DM_YAML_NULL)
		return DM_OK;
	*is_layer = 1;
	return dm_yaml_want_map(*out, dm_yaml_root(*out), "a component override file", 0);
}

/* Layers 2 and 1 (the flavour's inline section named name) on top of ls. */
static dm_err flavour_layers(layers *ls, dm_yaml **ovdoc, const char **files, const dm_flavour *f, const char *ov,
			     const char *name)
{
	const dm_project *pj = dm_flavour_project(f);
	const dm_ynode *inl = dm_flavour_section(f, name);
	int is_layer;
	dm_err e;

	if ((e = load_override(ovdoc, &is_layer, pj, ov, files[0])))
		return e;
	if (is_layer) {
		ls->l[ls->n].doc = *ovdoc;
		ls->l[ls->n].map = dm_yaml_root(*ovdoc);
		ls->n++;
		files[1] = ov;
	}
	if (inl && inl->kind == DM_YAML_MAP) {
		ls->l[ls->n].doc = pj->doc;
		ls->l[ls->n].map = inl;
		ls->n++;
		files[2] = pj->file;
	}
	return DM_OK;
}

/* Merges the layers of all[i] once. */
static dm_err merge_one(dm_platform *p, size_t i)
{
	const dm_project *pj = dm_flavour_project(p->f);
	dm_component *c = &p->all[i];
	layers ls;
	dm_yaml *d = NULL;
	char *ov;
	dm_err e;

	if (p->layers_of[i])
		return DM_OK;
	ov = dm_pool_own(&p->pool, dm_path_resolve(c->folder, pj->file_name));
	if (!ov)
		return nomem();
	memset(&ls, 0, sizeof(ls));
	ls.l[0].doc = p->cfg[i].doc;
	ls.l[0].map = p->cfg[i].map;
	ls.n = 1;
	e = flavour_layers(&ls, &d, c->files, p->f, ov, c->name);
	if (d) {
		dm_err oe = own_doc(p, d);

		e = e ? e : oe;
	}
	if (e)
		return e;
	if ((e = merge(p, c, &ls)))
		return e;
	p->layers_of[i] = ls.n;
	return DM_OK;
}

/* The references of a merged component (its needs merged too), read into
 * the tokens that dm-helm expands, and checked. */
static dm_err check_component_refs(dm_platform *p, dm_component *c)
{
	dm_component_refs *cr = &p->refs[index_of(p, c)];
	dm_err e;

	if (!(cr->set = dm_pool_calloc(&p->pool, c->n_set, sizeof(*cr->set))))
		return nomem();
	for (size_t j = 0; j < c->n_set; j++) {
		dm_set_entry *s = (dm_set_entry *)&c->set[j];
		dm_ref_where at = { .file = s->file, .line = s->line, .col = s->col };

		if ((e = dm_refs_parse(&p->pool, &cr->set[j], s->value)) ||
		    (e = dm_refs_check(&cr->set[j], p, c, &at, &s->secret)))
			return e;
	}
	if (c->secret_endpoint) {
		dm_ref_where at = { .file = c->files[0], .endpoint = 1 };
		int dummy = 0;

		if ((e = dm_refs_parse(&p->pool, &cr->endpoint, c->secret_endpoint)) ||
		    (e = dm_refs_check(&cr->endpoint, p, c, &at, &dummy)))
			return e;
	}
	cr->read = 1;
	return DM_OK;
}

const dm_refs *dm_platform_set_refs(const dm_platform *p, const dm_component *c, size_t j)
{
	const dm_component_refs *cr = p ? &p->refs[index_of(p, c)] : NULL;

	return cr && cr->read && j < c->n_set ? &cr->set[j] : NULL;
}

const dm_refs *dm_platform_endpoint_refs(const dm_platform *p, const dm_component *c)
{
	const dm_component_refs *cr = p ? &p->refs[index_of(p, c)] : NULL;

	return cr && cr->read && c->secret_endpoint ? &cr->endpoint : NULL;
}

/* Is path (real) dir (real) or inside it? */
static int path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return 1;
	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

/* A values file is read from the platform (its root) or from the flavour's
 * config folder; one that resolves, symlinks followed, anywhere else (a
 * `../../` too many, a link to /etc) is a configuration error at its line. */
static dm_err values_inside(dm_platform *p, const dm_component *c, size_t i, const char *path)
{
	const dm_project *pj = dm_flavour_project(p->f);
	const dm_cfg_layer *at = &p->values_at[c - p->all];
	char *real = realpath(path, NULL), *root = realpath(pj->root, NULL), *cf = realpath(pj->config_folder, NULL);
	int ok = real && ((root && path_under(real, root)) || (cf && path_under(real, cf)));
	dm_err e = DM_OK;

	if (!ok) {
		const dm_ynode *n = at->map ? dm_yaml_get(at->map, "values") : NULL;

		if (n && n->kind == DM_YAML_SEQ && i < n->len)
			n = n->vals[i];
		if (!real)
			e = dm_fail(DM_ERR_CONFIG, "values file '%s' of component '%s': cannot resolve '%s': %s",
				    c->values[i], c->name, path, strerror(errno));
		else if (at->doc && n)
			e = dm_yaml_fail(at->doc, n,
					 "values file '%s' is outside the platform root '%s' and the config "
					 "folder '%s' (it is '%s')",
					 c->values[i], pj->root, pj->config_folder, real);
		else
			e = dm_fail(DM_ERR_CONFIG,
				    "values file '%s' of component '%s' is outside the platform root '%s' "
				    "and the config folder '%s' (it is '%s')",
				    c->values[i], c->name, pj->root, pj->config_folder, real);
	}
	free(real);
	free(root);
	free(cf);
	return e;
}

/* Values files of a selected component: config folder, then its folder. */
static dm_err resolve_values(dm_platform *p, dm_component *c)
{
	const dm_project *pj = dm_flavour_project(p->f);
	const char **out = dm_pool_calloc(&p->pool, c->n_values + 1, sizeof(*out));
	dm_err e;

	if (!out)
		return nomem();
	for (size_t i = 0; i < c->n_values; i++) {
		char *a = dm_pool_own(&p->pool, dm_path_resolve(pj->config_folder, c->values[i]));
		char *b = dm_pool_own(&p->pool, dm_path_resolve(c->folder, c->values[i]));

		if (!a || !b)
			return nomem();
		if (dm_path_is_file(a))
			out[i] = a;
		else if (dm_path_is_file(b))
			out[i] = b;
		else
			return dm_fail(DM_ERR_CONFIG, "values file '%s' of component '%s' is neither '%s' nor '%s'",
				       c->values[i], c->name, a, b);
		if ((e = values_inside(p, c, i, out[i])))
			return e;
	}
	c->values = out;
	return DM_OK;
}

/* ---- the install order: dm_platform_load's last steps ---------------------------------- */

/* sel[i]: does the flavour select all[i] (project.flavour, or `all`)? */
static void select_flavour(dm_platform *p, unsigned char *sel)
{
	const dm_project *pj = dm_flavour_project(p->f);

	for (size_t i = 0; i < p->n_all; i++)
		sel[i] = pj->all || in_list(pj->flavour, p->all[i].name);
}

/* Merges each selected component.  A need outside the selection is added to
 * it with --with-needs (and merged in turn), else an error naming them all. */
static dm_err close_over_needs(dm_platform *p, unsigned char *sel, const dm_platform_opts *o)
{
	const dm_project *pj = dm_flavour_project(p->f);
	dm_err e;
	int changed;

	do {
		changed = 0;
		for (size_t i = 0; i < p->n_all; i++) {
			const dm_component *c = &p->all[i];
			dm_buf miss = DM_BUF_INIT;
			size_t nmiss = 0;

			if (!sel[i])
				continue;
			if ((e = merge_one(p, i)))
				return e;
			for (size_t j = 0; j < c->n_needs; j++) {
				size_t k = index_of(p, find_any(p, c->needs[j]));

				if (sel[k])
					continue;
				if (o && o->with_needs) {
					sel[k] = 1;
					changed = 1;
				} else {
					dm_buf_printf(&miss, "%s'%s'", nmiss ? " and " : "", c->needs[j]);
					nmiss++;
				}
			}
			if (nmiss) {
				e = dm_fail_hint(DM_ERR_CONFIG, DM_HINT_WITH_NEEDS, 0,
						 "%s: component '%s' needs %s, which the flavour does not select: "
						 "add %s to project.flavour",
						 pj->file, c->name, dm_buf_str(&miss), nmiss > 1 ? "them" : "it");
				dm_buf_release(&miss);
				return e;
			}
		}
	} while (changed);
	return DM_OK;
}

static dm_err check_selection_refs(dm_platform *p, const unsigned char *sel)
{
	dm_err e;

	for (size_t i = 0; i < p->n_all; i++) {
		if (sel[i] && (e = check_component_refs(p, &p->all[i])))
			return e;
	}
	return DM_OK;
}

/* No selected component that is not placed yet has all its needs placed: a
 * cycle.  Walks the unplaced needs (the alphabetically first of each) from the
 * first unplaced component until one repeats, and names that loop alone. */
static dm_err cycle_error(const dm_platform *p, const unsigned char *sel, const unsigned char *placed)
{
	size_t *path = calloc(p->n_all + 1, sizeof(*path)), len = 0, cur = 0, start = 0;
	dm_buf b = DM_BUF_INIT;
	dm_err e;

	if (!path)
		return nomem();
	while (cur < p->n_all && !(sel[cur] && !placed[cur]))
		cur++;
	for (;;) {
		const dm_component *c = &p->all[cur];
		size_t next = p->n_all, k;

		for (k = 0; k < len && path[k] != cur; k++)
			;
		if (k < len) {
			start = k;
			break;
		}
		path[len++] = cur;
		for (size_t j = 0; j < c->n_needs; j++) {
			size_t t = index_of(p, find_any(p, c->needs[j]));

			if (!placed[t] && (next == p->n_all || strcmp(p->all[t].name, p->all[next].name) < 0))
				next = t;
		}
		cur = next;
	}
	for (size_t k = start; k < len; k++)
		dm_buf_printf(&b, "%s -> ", p->all[path[k]].name);
	dm_buf_puts(&b, p->all[path[start]].name);
	e = dm_fail(DM_ERR_CONFIG, "cycle in needs: %s", dm_buf_str(&b));
	dm_buf_release(&b);
	free(path);
	return e;
}

/* p->order: the selection, topologically; of the components whose needs are
 * placed, the alphabetically first goes next. */
static dm_err place_in_order(dm_platform *p, const unsigned char *sel)
{
	unsigned char *placed = calloc(p->n_all + 1, 1);
	size_t nsel = 0;
	dm_err e = DM_OK;

	for (size_t i = 0; i < p->n_all; i++)
		nsel += sel[i];
	p->order = dm_pool_calloc(&p->pool, nsel, sizeof(*p->order));
	if (!placed || !p->order) {
		free(placed);
		return nomem();
	}
	while (p->n_order < nsel) {
		size_t pick_i = p->n_all;

		for (size_t i = 0; i < p->n_all && pick_i == p->n_all; i++) {
			const dm_component *c = &p->all[i];
			int ready = sel[i] && !placed[i];

			for (size_t j = 0; ready && j < c->n_needs; j++)
				ready = placed[index_of(p, find_any(p, c->needs[j]))];
			if (ready)
				pick_i = i;
		}
		if (pick_i == p->n_all) {
			e = cycle_error(p, sel, placed);
			break;
		}
		placed[pick_i] = 1;
		p->order[p->n_order++] = &p->all[pick_i];
	}
	free(placed);
	return e;
}

/* With opts.only: the order keeps those components alone, each of which must be selected. */
static dm_err keep_only(dm_platform *p, const dm_platform_opts *o)
{
	const dm_project *pj = dm_flavour_project(p->f);
	size_t w = 0;

	if (!o || !o->only)
		return DM_OK;
	for (size_t k = 0; o->only[k]; k++) {
		const dm_component *c = find_any(p, o->only[k]);
		size_t j;

		if (!c)
			return dm_fail(DM_ERR_USAGE, "'%s' is no component", o->only[k]);
		for (j = 0; j < p->n_order && p->order[j] != c; j++)
			;
		if (j == p->n_order)
			return dm_fail_hint(DM_ERR_USAGE, o->with_needs ? DM_HINT_NONE : DM_HINT_WITH_NEEDS_ADDS, 0,
					    "component '%s' is not part of flavour '%s'", o->only[k], pj->file_name);
	}
	for (size_t j = 0; j < p->n_order; j++) {
		if (in_list(o->only, p->order[j]->name))
			p->order[w++] = p->order[j];
	}
	p->n_order = w;
	return DM_OK;
}

/* The selection, merged, checked and in install order (p->order), its values files resolved. */
static dm_err order(dm_platform *p, const dm_platform_opts *o)
{
	unsigned char *sel = calloc(p->n_all + 1, 1);
	dm_err e;

	if (!sel)
		return nomem();
	select_flavour(p, sel);
	if (!(e = close_over_needs(p, sel, o)) && !(e = check_selection_refs(p, sel)) &&
	    !(e = place_in_order(p, sel)) && !(e = keep_only(p, o))) {
		for (size_t j = 0; j < p->n_order && !e; j++)
			e = resolve_values(p, (dm_component *)p->order[j]);
	}
	free(sel);
	return e;
}

dm_err dm_platform_load(dm_platform **out, const dm_flavour *f, const dm_platform_opts *o)
{
	dm_platform *p = calloc(1, sizeof(*p));
	dm_err e;

	*out = NULL;
	if (!p)
		return nomem();
	p->f = f;
	if ((e = read_folders(p)))
		goto done;
	p->layers_of = dm_pool_calloc(&p->pool, p->n_all, sizeof(*p->layers_of));
	p->values_at = dm_pool_calloc(&p->pool, p->n_all, sizeof(*p->values_at));
	p->refs = dm_pool_calloc(&p->pool, p->n_all, sizeof(*p->refs));
	if (!p->layers_of || !p->values_at || !p->refs) {
		e = nomem();
		goto done;
	}
	if ((e = check_flavour_names(p)) || (e = order(p, o)))
		goto done;
	*out = p;
	p = NULL;
done:
	dm_platform_free(p);
	return e;
}

size_t dm_platform_count(const dm_platform *p)
{
	return p->n_order;
}

const dm_component *dm_platform_at(const dm_platform *p, size_t i)
{
	return i < p->n_order ? p->order[i] : NULL;
}

const dm_flavour *dm_platform_flavour(const dm_platform *p)
{
	return p->f;
}

void dm_platform_free(dm_platform *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_docs; i++)
		dm_yaml_free(p->docs[i]);
	free(p->docs);
	dm_pool_release(&p->pool);
	free(p);
}

/* The tokens of an endpoint with ${release} and ${namespace} filled in (*out
 * malloc'd).  The references were checked when the component was read. */
static dm_err expand_endpoint(char **out, const dm_refs *r, const char *release, const char *ns)
{
	dm_ref_env env = { .release = release, .ns = ns };
	dm_buf b = DM_BUF_INIT;
	dm_err e;

	*out = NULL;
	if ((e = dm_refs_expand(&b, r, &env))) {
		dm_buf_release(&b);
		return e;
	}
	*out = dm_buf_detach(&b);
	return DM_OK;
}

dm_err dm_component_endpoint(char **out, const dm_component *c)
{
	dm_pool pl = { 0 };
	dm_refs r;
	dm_err e;

	*out = NULL;
	if (!c->secret_endpoint)
		return dm_fail(DM_ERR_CONFIG, "component '%s' exposes no 'secret:' endpoint", c->name);
	/* c alone does not lead to the tokens read at load: read them again */
	if (!(e = dm_refs_parse(&pl, &r, c->secret_endpoint)))
		e = expand_endpoint(out, &r, c->release ? c->release : c->name, c->ns);
	dm_pool_release(&pl);
	return e;
}

/* ---- one component's credentials --------------------------------------------------------- */

/* Reads only what says where a component's keys are (its config.yaml, the flavour's layers
 * over it: release, namespace, secret, endpoint), in that order, each step failing with the
 * file that holds the key; one function, as every step reads the layers the one before set up. */
dm_err dm_component_credentials(dm_credentials *out, const dm_credentials_opts *o)
{
	const dm_project *pj = o->flavour ? dm_flavour_project(o->flavour) : NULL;
	const char *dir = o->components_dir ? o->components_dir : pj ? pj->components_dir : "components";
	const char *file_name = pj ? pj->component_default_config : "config.yaml";
	const char *name = o->component, *release = NULL, *ns = NULL, *files[3] = { NULL, NULL, NULL };
	char *folder = NULL, *file = NULL, *ov = NULL, *endpoint = NULL;
	dm_yaml *doc = NULL, *ovdoc = NULL;
	dm_pool pool = { 0 };
	dm_refs ep_refs;
	dm_component c;
	layers ls;
	const layer *la;
	dm_err e;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	memset(&ls, 0, sizeof(ls));
	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return dm_fail(DM_ERR_USAGE, "invalid component name '%s'", name ? name : "");
	/* as given (a relative folder stays relative, for messages) */
	if (asprintf(&folder, "%s/%s", dir, name) < 0)
		folder = NULL;
	if (!folder || asprintf(&file, "%s/%s", folder, file_name) < 0)
		file = NULL;
	if (!file) {
		e = nomem();
		goto done;
	}
	if (access(file, F_OK) != 0) {
		e = dm_fail(DM_ERR_CONFIG, "no component '%s': '%s' does not exist%s%s%s", name, file,
			    o->hint ? " (" : "", o->hint ? o->hint : "", o->hint ? ")" : "");
		goto done;
	}
	if ((e = dm_yaml_load_file(&doc, file)) ||
	    (e = dm_yaml_want_map(doc, dm_yaml_root(doc), "a component file", 0)) ||
	    (e = dm_yaml_get_str(doc, dm_yaml_root(doc), "name", 0, &c.name)))
		goto done;
	/* the folder names the component; its `name:` (when given) names its flavour section */
	if (!c.name)
		c.name = name;
	files[0] = file;
	ls.l[0].doc = doc;
	ls.l[0].map = dm_yaml_root(doc);
	ls.n = 1;
	if (o->flavour) {
		if (asprintf(&ov, "%s/%s", folder, pj->file_name) < 0) {
			ov = NULL;
			e = nomem();
			goto done;
		}
		if ((e = flavour_layers(&ls, &ovdoc, files, o->flavour, ov, c.name)))
			goto done;
	}
	/* only the keys that say where the keys are: the others are dm-helm's to check */
	if ((la = pick(&ls, "release")) && (e = dm_yaml_get_str(la->doc, la->map, "release", 0, &release)))
		goto done;
	if ((la = pick(&ls, "namespace"))) {
		if ((e = dm_yaml_get_str(la->doc, la->map, "namespace", 0, &ns)))
			goto done;
		if (!dm_platform_name_ok(ns, 63)) {
			e = dm_yaml_fail(la->doc, dm_yaml_get(la->map, "namespace"),
					 "invalid namespace '%s' (lower-case letters, digits and '-', at most 63)", ns);
			goto done;
		}
	}
	if (!(la = pick(&ls, "secret"))) {
		e = dm_fail(DM_ERR_CONFIG, "%s: component '%s' names no Secret, having no 'secret:' map%s%s%s", file,
			    name, o->hint ? " (" : "", o->hint ? o->hint : "", o->hint ? ")" : "");
		goto done;
	}
	if ((e = read_secret(&c, la)))
		goto done;
	{
		const dm_ynode *ep = dm_yaml_get(dm_yaml_get(la->map, "secret"), "endpoint");
		dm_ref_where at = { .file = dm_yaml_name(la->doc), .line = ep->line, .col = ep->col, .endpoint = 1 };
		int dummy = 0;

		if ((e = dm_refs_parse(&pool, &ep_refs, c.secret_endpoint)) ||
		    (e = dm_refs_check(&ep_refs, NULL, &c, &at, &dummy)))
			goto done;
	}
	ns = o->ns ? o->ns : ns ? ns : pj ? pj->k8s_namespace : o->ns_default;
	if (!ns) {
		e = dm_fail(DM_ERR_CONFIG, "%s: component '%s' names no namespace, and no flavour gives one", file,
			    name);
		goto done;
	}
	if ((e = expand_endpoint(&endpoint, &ep_refs, release ? release : c.name, ns)))
		goto done;
	out->component = strdup(c.name);
	out->file = strdup(file);
	out->secret = strdup(c.secret_name);
	out->ns = strdup(ns);
	out->access_key = strdup(c.secret_access_key);
	out->secret_key = strdup(c.secret_secret_key);
	out->endpoint = endpoint;
	endpoint = NULL;
	if (!out->component || !out->file || !out->secret || !out->ns || !out->access_key || !out->secret_key) {
		dm_credentials_release(out);
		e = nomem();
	}
done:
	free(endpoint);
	free(folder);
	free(file);
	free(ov);
	dm_pool_release(&pool);
	dm_yaml_free(ovdoc);
	dm_yaml_free(doc);
	return e;
}

void dm_credentials_release(dm_credentials *c)
{
	if (!c)
		return;
	free(c->component);
	free(c->file);
	free(c->secret);
	free(c->ns);
	free(c->access_key);
	free(c->secret_key);
	free(c->endpoint);
	memset(c, 0, sizeof(*c));
}
