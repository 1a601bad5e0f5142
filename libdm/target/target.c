/* libdm/target/target.c - load a cluster target from its own file or from a
 * flavour's inline section, exactly as docs/configuration.md describes. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dm/alias.h>
#include <dm/platform.h>
#include <dm/target.h>
#include <dm/util.h>
#include <dm/yaml.h>

static const char *const target_keys[] = { "provider",  "cpus",       "memory",  "disk",
					   "driver",    "gpu",        "addons",  "kubernetes_version",
					   "profile",   "kubeconfig", "context", "registry_mirror",
					   "endpoints", NULL };

/* Which keys each provider takes (docs/configuration.md, "Target files"). */
static const char *const minikube_keys[] = {
	"provider",           "profile",         "driver",    "cpus", "memory", "disk", "gpu", "addons",
	"kubernetes_version", "registry_mirror", "endpoints", NULL
};
static const char *const microk8s_keys[] = { "provider", "cpus",       "memory",    "gpu",
					     "addons",   "kubeconfig", "endpoints", NULL };
static const char *const remote_keys[] = { "provider", "kubeconfig", "context", "endpoints", NULL };

const char *dm_provider_name(dm_provider p)
{
	switch (p) {
	case DM_PROVIDER_MINIKUBE: return "minikube";
	case DM_PROVIDER_MICROK8S: return "microk8s";
	case DM_PROVIDER_REMOTE: return "remote";
	}
	return "unknown";
}

static void mirror_free(dm_mirror_serve *m)
{
	if (!m)
		return;
	free(m->serve);
	free(m->upstream);
	free(m->storage);
	free(m->probe);
	free(m);
}

void dm_target_free(dm_target *t)
{
	if (!t)
		return;
	free(t->source);
	free(t->profile);
	free(t->driver);
	if (t->addons)
		for (size_t i = 0; t->addons[i]; i++)
			free(t->addons[i]);
	free(t->addons);
	free(t->kubernetes_version);
	free(t->kubeconfig);
	free(t->context);
	dm_strv_free(t->registry_mirrors);
	mirror_free(t->mirror);
	for (size_t i = 0; i < t->n_endpoints; i++) {
		free(t->endpoints[i].service);
		free(t->endpoints[i].url);
	}
	free(t->endpoints);
	free(t);
}

dm_err dm_target_parse_size_mib(const char *text, uint64_t *mib)
{
	const char *p = text;
	uint64_t n = 0, mult = 1;
	char unit[8];
	size_t ul = 0;

	if (!isdigit((unsigned char)*p))
		return dm_fail(DM_ERR_CONFIG, "'%s' is not a size (write e.g. 8g or 4096m)", text);
	while (isdigit((unsigned char)*p)) {
		if (n > (UINT64_MAX - 9) / 10)
			return dm_fail(DM_ERR_CONFIG, "size '%s' is too large", text);
		n = n * 10 + (uint64_t)(*p - '0');
		p++;
	}
	while (*p && ul < sizeof(unit) - 1)
		unit[ul++] = (char)tolower((unsigned char)*p++);
	unit[ul] = '\0';
	if (*p)
		return dm_fail(DM_ERR_CONFIG, "'%s' is not a size (write e.g. 8g or 4096m)", text);
	if (!strcmp(unit, "") || !strcmp(unit, "m") || !strcmp(unit, "mb") || !strcmp(unit, "mib"))
		mult = 1;
	else if (!strcmp(unit, "g") || !strcmp(unit, "gb") || !strcmp(unit, "gib"))
		mult = 1024;
	else
		return dm_fail(DM_ERR_CONFIG, "'%s' is not a size: unit '%s' is not one of m, mb, mib, g, gb, gib",
			       text, unit);
	if (n > UINT64_MAX / mult / (1024 * 1024))
		return dm_fail(DM_ERR_CONFIG, "size '%s' is too large", text);
	*mib = n * mult;
	return DM_OK;
}

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return 1;
	return 0;
}

/* A value handed to a program as the argument of an option must not look
 * like an option itself. */
static dm_err check_arg_value(const dm_yaml *doc, const dm_ynode *n, const char *key, const char *v)
{
	if (!*v)
		return dm_yaml_fail(doc, n, "'%s' is empty", key);
	if (v[0] == '-')
		return dm_yaml_fail(doc, n, "'%s' cannot start with '-' ('%s')", key, v);
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20)
			return dm_yaml_fail(doc, n, "'%s' holds a control character", key);
	return DM_OK;
}

static char *dir_of(const char *file)
{
	const char *slash = strrchr(file, '/');
	char *d;

	if (!slash)
		return strdup(".");
	if (slash == file)
		return strdup("/");
	d = strndup(file, (size_t)(slash - file));
	return d;
}

/* `~/x` is the home folder's x; a relative path is relative to base_dir, itself
 * relative to the current folder when it is not absolute.  Folded lexically (messages
 * then show the path a user would write). */
static dm_err resolve_path(char **out, const char *path, const char *base_dir)
{
	char cwd[PATH_MAX];
	char *abs_base = NULL;

	*out = NULL;
	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0')) {
		const char *home = getenv("HOME");

		if (!home || !*home)
			return dm_fail(DM_ERR_CONFIG, "cannot resolve '%s': HOME is not set", path);
		*out = dm_path_resolve(home, path[1] ? path + 2 : "");
	} else if (path[0] == '/' || base_dir[0] == '/') {
		*out = dm_path_resolve(base_dir, path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return dm_fail(DM_ERR_IO, "cannot read the current folder: %s", strerror(errno));
		if (!(abs_base = dm_path_resolve(cwd, base_dir)))
			return dm_nomem();
		*out = dm_path_resolve(abs_base, path);
		free(abs_base);
	}
	return *out ? DM_OK : dm_nomem();
}

static dm_err dup_str(char **out, const char *s)
{
	if (!s) {
		*out = NULL;
		return DM_OK;
	}
	*out = strdup(s);
	return *out ? DM_OK : dm_nomem();
}

static dm_err default_microk8s_kubeconfig(char **out)
{
	dm_err e = dm_xdg_path(out, DM_XDG_CONFIG, "microk8s.kubeconfig");

	if (e == DM_ERR_CONFIG)
		return dm_fail(e, "%s: give the microk8s target a 'kubeconfig' path", dm_err_detail());
	return e;
}

/* Sets t->provider from the 'provider' key, and checks that the section may
 * hold that provider and that every key present applies to it. */
static dm_err read_provider(dm_target *t, const dm_yaml *doc, const dm_ynode *map, const char *section)
{
	const dm_ynode *pn;
	const char *provider = NULL;
	const char *const *allowed;
	dm_err e;

	e = dm_yaml_get_str(doc, map, "provider", 1, &provider);
	if (e != DM_OK)
		return e;
	pn = dm_yaml_get(map, "provider");
	if (!strcmp(provider, "minikube")) {
		t->provider = DM_PROVIDER_MINIKUBE;
		allowed = minikube_keys;
	} else if (!strcmp(provider, "microk8s")) {
		t->provider = DM_PROVIDER_MICROK8S;
		allowed = microk8s_keys;
	} else if (!strcmp(provider, "remote")) {
		t->provider = DM_PROVIDER_REMOTE;
		allowed = remote_keys;
	} else {
		return dm_yaml_fail(doc, pn, "provider '%s' is not one of minikube, microk8s, remote", provider);
	}
	if (section && !strcmp(section, "local") && t->provider == DM_PROVIDER_REMOTE)
		return dm_yaml_fail(doc, pn, "the inline 'local' target must have provider minikube or microk8s");
	if (section && !strcmp(section, "remote") && t->provider != DM_PROVIDER_REMOTE)
		return dm_yaml_fail(doc, pn, "the inline 'remote' target must have provider remote");
	for (size_t i = 0; i < map->len; i++) {
		const char *k = map->keys[i]->scalar;

		if (!in_list(allowed, k))
			return dm_yaml_fail(doc, map->keys[i], "key '%s' does not apply to provider %s", k, provider);
	}
	return DM_OK;
}

/* The optional size under key ("8g"), in MiB; 0 when absent, never 0 when given. */
static dm_err read_size(const dm_yaml *doc, const dm_ynode *map, const char *key, uint64_t *mib)
{
	const char *s = NULL;
	dm_err e;

	if ((e = dm_yaml_get_str(doc, map, key, 0, &s)) != DM_OK)
		return e;
	if (s && (e = dm_target_parse_size_mib(s, mib)) != DM_OK)
		return dm_yaml_fail(doc, dm_yaml_get(map, key), "%s: %s", key, dm_err_detail());
	if (s && *mib == 0)
		return dm_yaml_fail(doc, dm_yaml_get(map, key), "%s must be more than 0", key);
	return DM_OK;
}

static dm_err read_resources(dm_target *t, const dm_yaml *doc, const dm_ynode *map)
{
	long long ll = 0;
	dm_err e;

	if ((e = dm_yaml_get_int(doc, map, "cpus", 0, 1, 4096, &ll)) != DM_OK)
		return e;
	t->cpus = (int)ll;
	if ((e = read_size(doc, map, "memory", &t->memory_mib)) != DM_OK)
		return e;
	if ((e = read_size(doc, map, "disk", &t->disk_mib)) != DM_OK)
		return e;
	return dm_yaml_get_bool(doc, map, "gpu", 0, &t->gpu);
}

/* Each addon becomes an argument of `minikube addons enable` or `microk8s
 * enable`, so it is checked like one, and a second mention is refused. */
static dm_err read_addons(dm_target *t, const dm_yaml *doc, const dm_ynode *map)
{
	const char **list = NULL;
	size_t n = 0;
	dm_err e;

	if ((e = dm_yaml_get_strlist(doc, map, "addons", 0, &list, &n)) != DM_OK)
		return e;
	t->addons = calloc(n + 1, sizeof(*t->addons));
	if (!t->addons) {
		free(list);
		return dm_nomem();
	}
	for (size_t i = 0; i < n; i++) {
		const dm_ynode *an = dm_yaml_get(map, "addons");

		if (an && an->kind == DM_YAML_SEQ && i < an->len)
			an = an->vals[i];
		if ((e = check_arg_value(doc, an, "addons", list[i])) != DM_OK)
			break;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(t->addons[j], list[i])) {
				e = dm_yaml_fail(doc, an, "addon '%s' is listed twice", list[i]);
				break;
			}
		if (e != DM_OK)
			break;
		if (!(t->addons[i] = strdup(list[i]))) {
			e = dm_nomem();
			break;
		}
		t->n_addons = i + 1;
	}
	free(list);
	return e;
}

/* A registry's address as minikube and the registry take it: http(s)://HOST[:PORT] (a trailing
 * '/' allowed).  No path, no ',' (minikube splits its list flags at commas). */
static int registry_url_ok(const char *u)
{
	const char *host = strstr(u, "://");
	size_t hl = host ? strcspn(host + 3, "/") : 0;

	return host && (!strncmp(u, "http://", 7) || !strncmp(u, "https://", 8)) && hl > 0 && !strpbrk(u, " ,@?#") &&
	       (!host[3 + hl] || !strcmp(host + 3 + hl, "/"));
}

/* serve: HOST:PORT, HOST a name or an IPv4 address (0.0.0.0: every address), PORT 1..65535. */
static int serve_ok(const char *s, int *wildcard)
{
	const char *colon = strrchr(s, ':');
	char *end = NULL;
	long port;

	if (!colon || colon == s || !isdigit((unsigned char)colon[1]))
		return 0;
	for (const char *p = s; p < colon; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return 0;
	if (s[0] == '-' || s[0] == '.')
		return 0;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || port < 1 || port > 65535)
		return 0;
	*wildcard = (size_t)(colon - s) == 7 && !strncmp(s, "0.0.0.0", 7);
	return 1;
}

/* registry_mirror as a mapping: the pull-through cache dm-cluster runs itself.  serve and
 * upstream are required; storage is relative to the target's file like kubeconfig; url is what
 * the node uses (default http://SERVE, required when SERVE is 0.0.0.0). */
static dm_err read_mirror_serve(dm_target *t, const dm_yaml *doc, const dm_ynode *rn)
{
	static const char *const keys[] = { "serve", "upstream", "storage", "url", NULL };
	const char *serve = NULL, *upstream = NULL, *storage = NULL, *url = NULL;
	dm_mirror_serve *m;
	char *base, *own_url = NULL;
	int wildcard = 0;
	dm_err e;

	if ((e = dm_yaml_check_keys(doc, rn, "registry_mirror", keys)) != DM_OK ||
	    (e = dm_yaml_get_str(doc, rn, "serve", 1, &serve)) != DM_OK ||
	    (e = dm_yaml_get_str(doc, rn, "upstream", 1, &upstream)) != DM_OK ||
	    (e = dm_yaml_get_str(doc, rn, "storage", 0, &storage)) != DM_OK ||
	    (e = dm_yaml_get_str(doc, rn, "url", 0, &url)) != DM_OK)
		return e;
	if (!serve_ok(serve, &wildcard))
		return dm_yaml_fail(doc, dm_yaml_get(rn, "serve"),
				    "registry_mirror: serve '%s' must be HOST:PORT (the address the registry "
				    "listens on, e.g. 127.0.0.1:5000 or 0.0.0.0:5000)",
				    serve);
	if (!registry_url_ok(upstream))
		return dm_yaml_fail(doc, dm_yaml_get(rn, "upstream"),
				    "registry_mirror: upstream '%s' must be http://HOST[:PORT] or "
				    "https://HOST[:PORT] (the registry to cache, no path)",
				    upstream);
	if (url && (check_arg_value(doc, dm_yaml_get(rn, "url"), "url", url) != DM_OK || !registry_url_ok(url)))
		return dm_yaml_fail(doc, dm_yaml_get(rn, "url"),
				    "registry_mirror: url '%s' must be http://HOST[:PORT] or https://HOST[:PORT] "
				    "(where minikube's node reaches the mirror)",
				    url);
	if (!url && wildcard)
		return dm_yaml_fail(doc, dm_yaml_get(rn, "serve"),
				    "registry_mirror: serve '%s' listens on every address: give 'url', where "
				    "minikube's node reaches it (e.g. http://192.168.49.1%s)",
				    serve, strrchr(serve, ':'));
	if (storage && !*storage)
		return dm_yaml_fail(doc, dm_yaml_get(rn, "storage"), "registry_mirror: 'storage' is empty");
	if (!(m = calloc(1, sizeof(*m))))
		return dm_nomem();
	t->mirror = m;
	if (!(m->serve = strdup(serve)) || !(m->upstream = strdup(upstream)))
		return dm_nomem();
	if (asprintf(&m->probe, "http://%s%s/v2/", wildcard ? "127.0.0.1" : "",
		     wildcard ? strrchr(serve, ':') : serve) < 0) {
		m->probe = NULL;
		return dm_nomem();
	}
	if (url ? !(own_url = strdup(url)) : asprintf(&own_url, "http://%s", serve) < 0)
		return dm_nomem();
	t->registry_mirrors[0] = own_url;
	t->n_registry_mirrors = 1;
	if (!storage)
		return DM_OK;
	if (!(base = dir_of(dm_yaml_name(doc))))
		return dm_nomem();
	if ((e = resolve_path(&m->storage, storage, base)) != DM_OK)
		e = dm_yaml_fail(doc, dm_yaml_get(rn, "storage"), "registry_mirror: %s", dm_err_detail());
	free(base);
	return e;
}

/* registry_mirror: one URL or a list of them, mirrors run elsewhere; or a mapping, the mirror
 * dm-cluster runs (read_mirror_serve). */
static dm_err read_registry_mirrors(dm_target *t, const dm_yaml *doc, const dm_ynode *map)
{
	const dm_ynode *rn = dm_yaml_get(map, "registry_mirror");
	const char **list = NULL;
	size_t n = 0;
	dm_err e;

	if (rn && rn->kind == DM_YAML_MAP) {
		if (!(t->registry_mirrors = calloc(2, sizeof(*t->registry_mirrors))))
			return dm_nomem();
		return read_mirror_serve(t, doc, rn);
	}
	if ((e = dm_yaml_get_strlist(doc, map, "registry_mirror", 0, &list, &n)) != DM_OK)
		return e;
	if (!(t->registry_mirrors = calloc(n + 1, sizeof(*t->registry_mirrors)))) {
		free(list);
		return dm_nomem();
	}
	for (size_t i = 0; i < n && e == DM_OK; i++) {
		const dm_ynode *at = rn && rn->kind == DM_YAML_SEQ && i < rn->len ? rn->vals[i] : rn;
		const char *u = list[i];

		if ((e = check_arg_value(doc, at, "registry_mirror", u)) != DM_OK)
			break;
		if (!registry_url_ok(u))
			e = dm_yaml_fail(doc, at,
					 "registry_mirror '%s' must be http://HOST[:PORT] or https://HOST[:PORT] "
					 "(a registry, no path)",
					 u);
		else if (!(t->registry_mirrors[i] = strdup(u)))
			e = dm_nomem();
		else
			t->n_registry_mirrors = i + 1;
	}
	free(list);
	return e;
}

/* A Kubernetes name of one label (RFC 1123): 1 to 63 of a-z, 0-9 and '-', not at either end. */
static int dns_label(const char *s, size_t n)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/* endpoints: a map of Services reachable from outside the cluster, each "NAME.NAMESPACE: URL":
 * the Service named as its in-cluster name NAME.NAMESPACE.svc.cluster.local starts, the URL as
 * an alias url is checked (dm_alias_check_url). */
static dm_err read_endpoints(dm_target *t, const dm_yaml *doc, const dm_ynode *map)
{
	const dm_ynode *en = dm_yaml_get(map, "endpoints");
	dm_err e;

	if (!en)
		return DM_OK;
	if ((e = dm_yaml_want_map(doc, en, "'endpoints'", 1)))
		return e;
	if (en->kind != DM_YAML_MAP)
		return DM_OK;
	if (!(t->endpoints = calloc(en->len + 1, sizeof(*t->endpoints))))
		return dm_nomem();
	for (size_t i = 0; i < en->len; i++) {
		const char *svc = en->keys[i]->scalar, *dot = strchr(svc, '.'), *url;
		dm_k8s_endpoint *ep = &t->endpoints[i];
		size_t n;

		if (!dot || !dns_label(svc, (size_t)(dot - svc)) || !dns_label(dot + 1, strlen(dot + 1)))
			return dm_yaml_fail(doc, en->keys[i],
					    "endpoints: '%s' is not a Service NAME.NAMESPACE (as in "
					    "http://NAME.NAMESPACE.svc.cluster.local:PORT)",
					    svc);
		if ((e = dm_yaml_get_str(doc, en, svc, 1, &url)))
			return e;
		if (dm_alias_check_url(url))
			return dm_yaml_fail(doc, en->vals[i], "endpoints: %s: %s", svc, dm_err_detail());
		if (!(ep->service = strdup(svc)) || !(ep->url = strdup(url))) {
			free(ep->service);
			return dm_nomem();
		}
		t->n_endpoints = i + 1;
		for (n = strlen(ep->url); ep->url[n - 1] == '/';)
			ep->url[--n] = '\0';
	}
	return DM_OK;
}

/* The keys whose values are handed to minikube or kubectl as option arguments. */
static dm_err read_arg_values(dm_target *t, const dm_yaml *doc, const dm_ynode *map)
{
	static const char *const arg_keys[] = { "profile", "driver", "kubernetes_version", "context", NULL };
	char **dst[] = { &t->profile, &t->driver, &t->kubernetes_version, &t->context };
	const char *s;
	dm_err e;

	for (size_t i = 0; arg_keys[i]; i++) {
		s = NULL;
		if ((e = dm_yaml_get_str(doc, map, arg_keys[i], 0, &s)) != DM_OK)
			return e;
		if (!s)
			continue;
		if ((e = check_arg_value(doc, dm_yaml_get(map, arg_keys[i]), arg_keys[i], s)) != DM_OK)
			return e;
		if ((e = dup_str(dst[i], s)) != DM_OK)
			return e;
	}
	if (t->provider == DM_PROVIDER_MINIKUBE && !t->profile)
		return dup_str(&t->profile, "data-mill");
	return DM_OK;
}

/* A relative kubeconfig is relative to the file that names it, not to the
 * folder dm runs in; microk8s without one gets dm's own. */
static dm_err read_kubeconfig(dm_target *t, const dm_yaml *doc, const dm_ynode *map)
{
	const char *s = NULL;
	char *base;
	dm_err e;

	if ((e = dm_yaml_get_str(doc, map, "kubeconfig", 0, &s)) != DM_OK)
		return e;
	if (!s)
		return t->provider == DM_PROVIDER_MICROK8S ? default_microk8s_kubeconfig(&t->kubeconfig) : DM_OK;
	if (!*s)
		return dm_yaml_fail(doc, dm_yaml_get(map, "kubeconfig"), "'kubeconfig' is empty");
	base = dir_of(dm_yaml_name(doc));
	if (!base)
		return dm_nomem();
	if ((e = resolve_path(&t->kubeconfig, s, base)) != DM_OK)
		e = dm_yaml_fail(doc, dm_yaml_get(map, "kubeconfig"), "%s", dm_err_detail());
	free(base);
	return e;
}

static dm_err load_map(dm_target **out, const dm_yaml *doc, const dm_ynode *map, const char *section,
		       const char *source)
{
	dm_target *t;
	dm_err e;

	*out = NULL;
	e = dm_yaml_want_map(doc, map, section ? section : "target", 0);
	if (e != DM_OK)
		return e;
	e = dm_yaml_check_keys(doc, map, section ? section : "target", target_keys);
	if (e != DM_OK)
		return e;
	t = calloc(1, sizeof(*t));
	if (!t)
		return dm_nomem();
	if ((e = read_provider(t, doc, map, section)) != DM_OK || (e = dup_str(&t->source, source)) != DM_OK ||
	    (e = read_resources(t, doc, map)) != DM_OK || (e = read_addons(t, doc, map)) != DM_OK ||
	    (e = read_arg_values(t, doc, map)) != DM_OK || (e = read_kubeconfig(t, doc, map)) != DM_OK ||
	    (e = read_registry_mirrors(t, doc, map)) != DM_OK || (e = read_endpoints(t, doc, map)) != DM_OK) {
		dm_target_free(t);
		return e;
	}
	*out = t;
	return DM_OK;
}

/* Loads a target file.  Errors: DM_ERR_CONFIG "FILE:LINE:COL: ..." (unknown
 * key, key that does not apply to the provider, bad type, size, provider or endpoint),
 * DM_ERR_NOTFOUND / DM_ERR_IO for an unreadable file. *out: dm_target_free(). */
static dm_err load_file(dm_target **out, const char *path)
{
	dm_yaml *doc = NULL;
	dm_err e;

	*out = NULL;
	e = dm_yaml_load_file(&doc, path);
	if (e != DM_OK)
		return e;
	e = load_map(out, doc, dm_yaml_root(doc), NULL, path);
	dm_yaml_free(doc);
	return e;
}

dm_err dm_target_load_node(dm_target **out, const dm_yaml *doc, const dm_ynode *node, const char *section)
{
	dm_buf src = DM_BUF_INIT;
	dm_err e;

	*out = NULL;
	assert(section && (!strcmp(section, "local") || !strcmp(section, "remote")));
	e = dm_buf_printf(&src, "%s (%s:)", dm_yaml_name(doc), section);
	if (e == DM_OK)
		e = load_map(out, doc, node, section, dm_buf_str(&src));
	dm_buf_release(&src);
	return e;
}

dm_err dm_target_of_project(dm_target **out, const dm_project *p, const char *file, const char *section)
{
	const dm_ynode *n;

	*out = NULL;
	if (file)
		return load_file(out, file);
	if (!section)
		return load_file(out, p->target_file);
	n = !strcmp(section, "local") ? p->local : !strcmp(section, "remote") ? p->remote : NULL;
	if (!n)
		return dm_fail(DM_ERR_CONFIG, "%s has no inline '%s:' target", p->file, section);
	return dm_target_load_node(out, p->doc, n, section);
}
