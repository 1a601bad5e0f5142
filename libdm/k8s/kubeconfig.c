/* libdm/k8s/kubeconfig.c - kubeconfig files (merged as kubectl merges them)
 * and the in-cluster service account, resolved into one dm_k8s_config. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dm/k8s.h>
#include <dm/log.h>
#include <dm/util.h>
#include <dm/yaml.h>

#include "internal.h"

#define SA_DIR_DEFAULT "/var/run/secrets/kubernetes.io/serviceaccount"

/* One named entry (cluster, user or context) and the document it came from. */
typedef struct {
	const char *name;
	const dm_yaml *doc;
	const dm_ynode *entry; /* the list item, for positions */
	const dm_ynode *body;  /* the inner map ("cluster:", "user:", "context:"); may be NULL */
} named;

typedef struct {
	named *v;
	size_t n, cap;
} named_list;

typedef struct {
	dm_yaml **docs;
	size_t ndocs;
	named_list clusters, users, contexts;
	const char *current; /* first current-context set */
	const dm_yaml *current_doc;
	dm_buf files; /* "a, b" for messages */
} merged;

char *dm_k8s_secret_dup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	dm_log_add_secret(p);
	return p;
}

void dm_k8s_exec_free(dm_k8s_exec *e)
{
	if (!e)
		return;
	free(e->command);
	dm_strv_free(e->args);
	if (e->env) {
		for (size_t i = 0; e->env[i]; i++)
			dm_free_secret(e->env[i]); /* plugin settings may hold keys */
		free(e->env);
	}
	free(e->api_version);
	free(e);
}

void dm_k8s_config_free(dm_k8s_config *c)
{
	if (!c)
		return;
	free(c->source);
	free(c->context);
	free(c->cluster);
	free(c->user);
	free(c->server);
	free(c->ns);
	free(c->ca_file);
	free(c->ca_pem);
	free(c->ca_origin);
	dm_free_secret(c->token);
	free(c->token_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->cert_pem);
	dm_free_secret(c->key_pem);
	dm_k8s_exec_free(c->exec);
	free(c);
}

dm_err dm_k8s_config_dup(dm_k8s_config **out, const dm_k8s_config *s)
{
	dm_k8s_config *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return dm_nomem();
#define DUP(f)                                                                                                         \
	do {                                                                                                           \
		if (s->f && !(c->f = strdup(s->f)))                                                                    \
			goto nomem;                                                                                    \
	} while (0)
	DUP(source);
	DUP(context);
	DUP(cluster);
	DUP(user);
	DUP(server);
	DUP(ns);
	DUP(ca_file);
	DUP(ca_pem);
	DUP(ca_origin);
	DUP(token);
	DUP(token_file);
	DUP(cert_file);
	DUP(key_file);
	DUP(cert_pem);
	DUP(key_pem);
#undef DUP
	c->insecure = s->insecure;
	*out = c;
	return DM_OK;
nomem:
	dm_k8s_config_free(c);
	return dm_nomem();
}

/* --- merging ------------------------------------------------------------------------------ */

static void merged_release(merged *m)
{
	for (size_t i = 0; i < m->ndocs; i++)
		dm_yaml_free(m->docs[i]);
	free(m->docs);
	free(m->clusters.v);
	free(m->users.v);
	free(m->contexts.v);
	dm_buf_release(&m->files);
}

static const named *named_find(const named_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

static dm_err named_add(named_list *l, const named *e)
{
	if (named_find(l, e->name))
		return DM_OK; /* first file wins, as in kubectl */
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		named *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return dm_nomem();
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
	return DM_OK;
}

/* Reads the list "clusters:" (item maps with name: and inner:) of one document. */
static dm_err read_list(const dm_yaml *doc, const dm_ynode *root, const char *key, const char *inner, named_list *l)
{
	const dm_ynode *seq = dm_yaml_get(root, key);
	dm_err e;

	if (!seq || seq->kind == DM_YAML_NULL)
		return DM_OK;
	if (seq->kind != DM_YAML_SEQ)
		return dm_yaml_fail(doc, seq, "'%s' must be a list", key);
	for (size_t i = 0; i < seq->len; i++) {
		const dm_ynode *it = seq->vals[i];
		named e2 = { NULL, doc, it, NULL };

		if (it->kind != DM_YAML_MAP)
			return dm_yaml_fail(doc, it, "each item of '%s' must be a map with 'name' and '%s'", key,
					    inner);
		if ((e = dm_yaml_get_str(doc, it, "name", 1, &e2.name)) != DM_OK)
			return e;
		e2.body = dm_yaml_get(it, inner);
		if (e2.body && e2.body->kind == DM_YAML_NULL)
			e2.body = NULL;
		if (e2.body && e2.body->kind != DM_YAML_MAP)
			return dm_yaml_fail(doc, e2.body, "'%s' of %s '%s' must be a map", inner, inner, e2.name);
		if ((e = named_add(l, &e2)) != DM_OK)
			return e;
	}
	return DM_OK;
}

static dm_err merge_doc(merged *m, dm_yaml *doc)
{
	const dm_ynode *root = dm_yaml_root(doc);
	const char *cur = NULL;
	dm_err e;

	if (root->kind == DM_YAML_NULL)
		return DM_OK; /* an empty kubeconfig is allowed */
	if (root->kind != DM_YAML_MAP)
		return dm_yaml_fail(doc, root, "a kubeconfig must be a map (apiVersion, clusters, users, contexts)");
	if ((e = read_list(doc, root, "clusters", "cluster", &m->clusters)) != DM_OK ||
	    (e = read_list(doc, root, "users", "user", &m->users)) != DM_OK ||
	    (e = read_list(doc, root, "contexts", "context", &m->contexts)) != DM_OK)
		return e;
	if ((e = dm_yaml_get_str(doc, root, "current-context", 0, &cur)) != DM_OK)
		return e;
	if (!m->current && cur && *cur) {
		m->current = cur;
		m->current_doc = doc;
	}
	return DM_OK;
}

static dm_err merged_add_doc(merged *m, dm_yaml *doc)
{
	dm_yaml **d = realloc(m->docs, (m->ndocs + 1) * sizeof(*d));

	if (!d) {
		dm_yaml_free(doc);
		return dm_nomem();
	}
	m->docs = d;
	m->docs[m->ndocs++] = doc;
	if (m->files.len)
		dm_buf_puts(&m->files, ", ");
	dm_buf_printf(&m->files, "'%s'", dm_yaml_name(doc));
	return merge_doc(m, doc);
}

/* --- resolving one context ---------------------------------------------------------------- */

/* path relative to the folder of the kubeconfig it was written in (the current
 * folder for a kubeconfig named without one), folded lexically as kubectl's
 * filepath.Join does. */
static char *resolve_path(const dm_yaml *doc, const char *p)
{
	const char *name = dm_yaml_name(doc);
	const char *slash;
	char *dir, *out;

	if (!p || !*p)
		return NULL;
	slash = strrchr(name, '/');
	if (p[0] == '/')
		return dm_path_resolve(NULL, p);
	if (!slash) {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)))
			return strdup(p);
		return dm_path_resolve(cwd, p);
	}
	if (!(dir = slash == name ? strdup("/") : strndup(name, (size_t)(slash - name))))
		return NULL;
	out = dm_path_resolve(dir, p);
	free(dir);
	return out;
}

static dm_err decode_data(const dm_yaml *doc, const dm_ynode *map, const char *key, int secret, char **out)
{
	const dm_ynode *n = dm_yaml_get(map, key);
	unsigned char *raw = NULL;
	size_t len = 0;
	dm_buf clean = DM_BUF_INIT;
	dm_err e;

	*out = NULL;
	if (!n || n->kind == DM_YAML_NULL)
		return DM_OK;
	if (n->kind != DM_YAML_SCALAR)
		return dm_yaml_fail(doc, n, "'%s' must be a base64 string", key);
	/* base64 in YAML may be folded over several lines */
	for (const char *s = n->scalar; *s; s++)
		if (*s != ' ' && *s != '\n' && *s != '\r' && *s != '\t' && (e = dm_buf_append(&clean, s, 1)) != DM_OK)
			goto done;
	e = dm_base64_decode(&raw, &len, dm_buf_str(&clean), clean.len);
	if (e != DM_OK) {
		e = dm_yaml_fail(doc, n, "'%s' is not valid base64", key);
		goto done;
	}
	if (secret)
		dm_log_add_secret((const char *)raw);
	*out = (char *)raw;
	raw = NULL;
done:
	dm_buf_release(&clean);
	dm_free_secret((char *)raw);
	return e;
}

/* Reads a whole small file holding a secret; trailing newlines dropped. */
static dm_err read_token_file(const char *path, char **out)
{
	char *data = NULL;
	size_t len = 0;
	dm_err e = dm_read_file(&data, &len, path);

	*out = NULL;
	if (e != DM_OK)
		return e;
	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == ' '))
		data[--len] = '\0';
	dm_log_add_secret(data);
	*out = data;
	return DM_OK;
}

static dm_err read_exec(const dm_yaml *doc, const dm_ynode *ex, const char *user, dm_k8s_exec **out)
{
	dm_k8s_exec *x = calloc(1, sizeof(*x));
	const char *cmd = NULL, *api = NULL;
	const dm_ynode *args, *env;
	dm_err e;

	*out = NULL;
	if (!x)
		return dm_nomem();
	if ((e = dm_yaml_want_map(doc, ex, "exec", 0)) != DM_OK ||
	    (e = dm_yaml_get_str(doc, ex, "command", 1, &cmd)) != DM_OK ||
	    (e = dm_yaml_get_str(doc, ex, "apiVersion", 0, &api)) != DM_OK)
		goto fail;
	if (!*cmd) {
		e = dm_yaml_fail(doc, dm_yaml_get(ex, "command"), "the exec command of user '%s' is empty", user);
		goto fail;
	}
	if (api && strcmp(api, "client.authentication.k8s.io/v1beta1") != 0 &&
	    strcmp(api, "client.authentication.k8s.io/v1") != 0) {
		e = dm_yaml_fail(doc, dm_yaml_get(ex, "apiVersion"),
				 "unsupported exec apiVersion '%s' (expected client.authentication.k8s.io/v1 or "
				 "/v1beta1)",
				 api);
		goto fail;
	}
	x->api_version = strdup(api ? api : "client.authentication.k8s.io/v1beta1");
	/* kubectl runs a relative command with a '/' from the kubeconfig's folder */
	x->command = strchr(cmd, '/') && cmd[0] != '/' ? resolve_path(doc, cmd) : strdup(cmd);
	if (!x->api_version || !x->command)
		goto nomem;

	args = dm_yaml_get(ex, "args");
	x->args = calloc((args && args->kind == DM_YAML_SEQ ? args->len : 0) + 1, sizeof(char *));
	if (!x->args)
		goto nomem;
	if (args && args->kind != DM_YAML_NULL) {
		if (args->kind != DM_YAML_SEQ) {
			e = dm_yaml_fail(doc, args, "exec 'args' must be a list of strings");
			goto fail;
		}
		for (size_t i = 0; i < args->len; i++) {
			if (args->vals[i]->kind != DM_YAML_SCALAR) {
				e = dm_yaml_fail(doc, args->vals[i], "exec 'args' must be a list of strings");
				goto fail;
			}
			if (!(x->args[i] = strdup(args->vals[i]->scalar)))
				goto nomem;
		}
	}

	env = dm_yaml_get(ex, "env");
	x->env = calloc((env && env->kind == DM_YAML_SEQ ? env->len : 0) + 1, sizeof(char *));
	if (!x->env)
		goto nomem;
	if (env && env->kind != DM_YAML_NULL) {
		if (env->kind != DM_YAML_SEQ) {
			e = dm_yaml_fail(doc, env, "exec 'env' must be a list of {name, value}");
			goto fail;
		}
		for (size_t i = 0; i < env->len; i++) {
			const char *name = NULL, *value = "";

			if (env->vals[i]->kind != DM_YAML_MAP) {
				e = dm_yaml_fail(doc, env->vals[i],
						 "exec 'env' items must be maps with 'name' and 'value'");
				goto fail;
			}
			if ((e = dm_yaml_get_str(doc, env->vals[i], "name", 1, &name)) != DM_OK ||
			    (e = dm_yaml_get_str(doc, env->vals[i], "value", 0, &value)) != DM_OK)
				goto fail;
			if (!*name || strchr(name, '=')) {
				e = dm_yaml_fail(doc, env->vals[i], "invalid exec environment variable name '%s'",
						 name);
				goto fail;
			}
			if (asprintf(&x->env[i], "%s=%s", name, value) < 0) {
				x->env[i] = NULL;
				goto nomem;
			}
		}
	}
	*out = x;
	return DM_OK;
nomem:
	e = dm_nomem();
fail:
	dm_k8s_exec_free(x);
	return e;
}

static dm_err context_names(const merged *m, dm_buf *b)
{
	for (size_t i = 0; i < m->contexts.n; i++)
		dm_buf_printf(b, "%s%s", i ? ", " : "", m->contexts.v[i].name);
	if (!m->contexts.n)
		dm_buf_puts(b, "none");
	return DM_OK;
}

/* The cluster part of c: server, TLS settings and the CA. */
static dm_err resolve_cluster(const named *cl, const char *clname, dm_k8s_config *c)
{
	const char *server = NULL, *ca = NULL;
	dm_err e;

	if (!cl->body)
		return dm_yaml_fail(cl->doc, cl->entry, "cluster '%s' has no 'cluster' map", clname);
	if ((e = dm_yaml_get_str(cl->doc, cl->body, "server", 1, &server)) != DM_OK ||
	    (e = dm_yaml_get_str(cl->doc, cl->body, "certificate-authority", 0, &ca)) != DM_OK ||
	    (e = dm_yaml_get_bool(cl->doc, cl->body, "insecure-skip-tls-verify", 0, &c->insecure)) != DM_OK)
		return e;
	if ((strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0) ||
	    !server[strcspn(server, ":") + 3] || server[strcspn(server, ":") + 3] == '/')
		return dm_yaml_fail(cl->doc, dm_yaml_get(cl->body, "server"),
				    "server '%s' of cluster '%s' must start with https:// or http:// and name a host",
				    server, clname);
	if (!(c->server = strdup(server)))
		return dm_nomem();
	while (strlen(c->server) > 8 && c->server[strlen(c->server) - 1] == '/')
		c->server[strlen(c->server) - 1] = '\0';
	if ((e = decode_data(cl->doc, cl->body, "certificate-authority-data", 0, &c->ca_pem)) != DM_OK)
		return e;
	if (c->ca_pem) {
		if (asprintf(&c->ca_origin, "certificate-authority-data of cluster '%s' in '%s'", clname,
			     dm_yaml_name(cl->doc)) < 0) {
			c->ca_origin = NULL;
			return dm_nomem();
		}
	} else if (ca && *ca) {
		if (!(c->ca_file = resolve_path(cl->doc, ca)))
			return dm_nomem();
		if (asprintf(&c->ca_origin, "'%s' (certificate-authority of cluster '%s')", c->ca_file, clname) < 0) {
			c->ca_origin = NULL;
			return dm_nomem();
		}
	}
	return DM_OK;
}

/* The user part of c: token or token file, client certificate and key, exec plugin. */
static dm_err resolve_user(const named *us, const char *usname, dm_k8s_config *c)
{
	const dm_ynode *ub = us->body, *ex;
	const char *tok = NULL, *tokfile = NULL, *cert = NULL, *key = NULL;
	dm_err e;

	if (dm_yaml_get(ub, "auth-provider"))
		return dm_yaml_fail(us->doc, dm_yaml_key(ub, "auth-provider"),
				    "user '%s' uses an auth-provider, which is not supported; use an exec plugin",
				    usname);
	if ((e = dm_yaml_get_str(us->doc, ub, "token", 0, &tok)) != DM_OK ||
	    (e = dm_yaml_get_str(us->doc, ub, "tokenFile", 0, &tokfile)) != DM_OK ||
	    (e = dm_yaml_get_str(us->doc, ub, "client-certificate", 0, &cert)) != DM_OK ||
	    (e = dm_yaml_get_str(us->doc, ub, "client-key", 0, &key)) != DM_OK)
		return e;
	if (tok && *tok) {
		if (!(c->token = dm_k8s_secret_dup(tok, strlen(tok))))
			return dm_nomem();
	} else if (tokfile && *tokfile) {
		if (!(c->token_file = resolve_path(us->doc, tokfile)))
			return dm_nomem();
		if ((e = read_token_file(c->token_file, &c->token)) != DM_OK) {
			char why[512];

			snprintf(why, sizeof(why), "%s", dm_err_detail());
			return dm_yaml_fail(us->doc, dm_yaml_get(ub, "tokenFile"),
					    "cannot read the tokenFile of user '%s': %s", usname, why);
		}
	}
	if ((e = decode_data(us->doc, ub, "client-certificate-data", 0, &c->cert_pem)) != DM_OK ||
	    (e = decode_data(us->doc, ub, "client-key-data", 1, &c->key_pem)) != DM_OK)
		return e;
	if (!c->cert_pem && cert && *cert && !(c->cert_file = resolve_path(us->doc, cert)))
		return dm_nomem();
	if (!c->key_pem && key && *key && !(c->key_file = resolve_path(us->doc, key)))
		return dm_nomem();
	if ((c->cert_pem || c->cert_file) != (c->key_pem || c->key_file))
		return dm_yaml_fail(us->doc, us->entry,
				    "user '%s' has a client certificate without a key, or a key without a certificate",
				    usname);
	ex = dm_yaml_get(ub, "exec");
	if (ex && ex->kind != DM_YAML_NULL && (e = read_exec(us->doc, ex, usname, &c->exec)) != DM_OK)
		return e;
	return DM_OK;
}

/* The context want (NULL or "": the current one), its cluster and its user, into c. */
static dm_err resolve(merged *m, const char *want, dm_k8s_config *c)
{
	const named *ctx, *cl, *us = NULL;
	const char *ctxname = want && *want ? want : m->current;
	const char *clname = NULL, *usname = NULL, *ns = NULL;
	dm_buf names = DM_BUF_INIT;
	dm_err e;

	if (!ctxname) {
		context_names(m, &names);
		e = dm_fail_hint(DM_ERR_CONFIG, DM_HINT_CONTEXT, 0, "no current-context in %s (contexts: %s)",
				 dm_buf_str(&m->files), dm_buf_str(&names));
		goto done;
	}
	ctx = named_find(&m->contexts, ctxname);
	if (!ctx) {
		context_names(m, &names);
		if (want && *want)
			e = dm_fail(DM_ERR_CONFIG, "context '%s' not found in %s (contexts: %s)", ctxname,
				    dm_buf_str(&m->files), dm_buf_str(&names));
		else
			e = dm_fail(DM_ERR_CONFIG, "current-context '%s' of %s is not defined there (contexts: %s)",
				    ctxname, dm_buf_str(&m->files), dm_buf_str(&names));
		goto done;
	}
	if (!ctx->body) {
		e = dm_yaml_fail(ctx->doc, ctx->entry, "context '%s' has no 'context' map", ctxname);
		goto done;
	}
	if ((e = dm_yaml_get_str(ctx->doc, ctx->body, "cluster", 1, &clname)) != DM_OK ||
	    (e = dm_yaml_get_str(ctx->doc, ctx->body, "user", 0, &usname)) != DM_OK ||
	    (e = dm_yaml_get_str(ctx->doc, ctx->body, "namespace", 0, &ns)) != DM_OK)
		goto done;
	cl = named_find(&m->clusters, clname);
	if (!cl) {
		e = dm_yaml_fail(ctx->doc, dm_yaml_get(ctx->body, "cluster"),
				 "context '%s' names cluster '%s', which is not defined in %s", ctxname, clname,
				 dm_buf_str(&m->files));
		goto done;
	}
	if (usname && *usname) {
		us = named_find(&m->users, usname);
		if (!us) {
			e = dm_yaml_fail(ctx->doc, dm_yaml_get(ctx->body, "user"),
					 "context '%s' names user '%s', which is not defined in %s", ctxname, usname,
					 dm_buf_str(&m->files));
			goto done;
		}
	}
	if (!(c->source = strdup(dm_buf_str(&m->files))) || !(c->context = strdup(ctxname)) ||
	    !(c->cluster = strdup(clname)) || (usname && !(c->user = strdup(usname))) ||
	    (ns && *ns && !(c->ns = strdup(ns)))) {
		e = dm_nomem();
		goto done;
	}
	if ((e = resolve_cluster(cl, clname, c)) == DM_OK && us && us->body)
		e = resolve_user(us, usname, c);
done:
	dm_buf_release(&names);
	return e;
}

static dm_err finish(dm_k8s_config *c, int run_exec, dm_k8s_config **out)
{
	dm_err e;

	if (run_exec && c->exec && (e = dm_k8s_config_run_exec(c)) != DM_OK) {
		dm_k8s_config_free(c);
		return e;
	}
	*out = c;
	return DM_OK;
}

dm_err dm_k8s_config_load_string(dm_k8s_config **out, const char *name, const char *text, size_t len,
				 const char *context, int run_exec)
{
	merged m = { 0 };
	dm_yaml *doc = NULL;
	dm_k8s_config *c = NULL;
	dm_err e;

	*out = NULL;
	if ((e = dm_yaml_load_string(&doc, name, text, len)) != DM_OK)
		return e;
	if ((e = merged_add_doc(&m, doc)) != DM_OK)
		goto done;
	if (!(c = calloc(1, sizeof(*c)))) {
		e = dm_nomem();
		goto done;
	}
	if ((e = resolve(&m, context, c)) != DM_OK)
		goto done;
	e = finish(c, run_exec, out);
	c = NULL;
done:
	dm_k8s_config_free(c);
	merged_release(&m);
	return e;
}

/* What client-go's in-cluster check asks: the service's address in the
 * environment and the service account's token in its folder. */
static int in_cluster_possible(void)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = getenv("DM_K8S_SERVICEACCOUNT_DIR");
	char path[PATH_MAX];

	if (!host || !*host || !port || !*port)
		return 0;
	snprintf(path, sizeof(path), "%s/token", dir && *dir ? dir : SA_DIR_DEFAULT);
	return access(path, R_OK) == 0;
}

static dm_err load_in_cluster(dm_k8s_config **out)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = getenv("DM_K8S_SERVICEACCOUNT_DIR");
	dm_k8s_config *c = calloc(1, sizeof(*c));
	char *path = NULL, *ns = NULL;
	size_t nslen = 0;
	struct stat st;
	dm_err e;

	if (!c)
		return dm_nomem();
	if (!dir || !*dir)
		dir = SA_DIR_DEFAULT;
	if (!host || !*host || !port || !*port) {
		e = dm_fail(DM_ERR_CONFIG, "not running in a cluster: KUBERNETES_SERVICE_HOST and "
					   "KUBERNETES_SERVICE_PORT are not set");
		goto done;
	}
	if (asprintf(&c->server, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port) < 0 ||
	    !(c->source = strdup("in-cluster"))) {
		c->server = NULL;
		goto nomem;
	}
	if (asprintf(&path, "%s/token", dir) < 0) {
		path = NULL;
		goto nomem;
	}
	if ((e = read_token_file(path, &c->token)) != DM_OK) {
		char why[512];

		snprintf(why, sizeof(why), "%s", dm_err_detail());
		e = dm_fail(DM_ERR_CONFIG, "in-cluster: cannot read the service account token: %s", why);
		goto done;
	}
	c->token_file = path;
	path = NULL;
	if (asprintf(&c->ca_file, "%s/ca.crt", dir) < 0) {
		c->ca_file = NULL;
		goto nomem;
	}
	if (stat(c->ca_file, &st) != 0) {
		e = dm_fail(DM_ERR_CONFIG, "in-cluster: cannot read the service account CA '%s': %s", c->ca_file,
			    strerror(errno));
		goto done;
	}
	if (asprintf(&c->ca_origin, "'%s' (the service account's ca.crt)", c->ca_file) < 0) {
		c->ca_origin = NULL;
		goto nomem;
	}
	if (asprintf(&path, "%s/namespace", dir) < 0) {
		path = NULL;
		goto nomem;
	}
	if (dm_read_file(&ns, &nslen, path) == DM_OK) {
		while (nslen && (ns[nslen - 1] == '\n' || ns[nslen - 1] == ' ' || ns[nslen - 1] == '\r'))
			ns[--nslen] = '\0';
		if (nslen)
			c->ns = ns;
		else
			free(ns);
		ns = NULL;
	}
	dm_err_clear();
	*out = c;
	c = NULL;
	e = DM_OK;
	goto done;
nomem:
	e = dm_nomem();
done:
	free(path);
	dm_k8s_config_free(c);
	return e;
}

dm_err dm_k8s_config_load(dm_k8s_config **out, const dm_k8s_opts *o)
{
	dm_k8s_opts def = DM_K8S_OPTS_INIT;
	merged m = { 0 };
	dm_k8s_config *c = NULL;
	char *list = NULL, *home_cfg = NULL;
	const char *env;
	dm_err e = DM_OK;

	*out = NULL;
	if (!o)
		o = &def;
	if (o->in_cluster)
		return load_in_cluster(out);

	env = getenv("KUBECONFIG");
	if (o->kubeconfig && *o->kubeconfig) {
		dm_yaml *doc = NULL;

		if ((e = dm_yaml_load_file(&doc, o->kubeconfig)) != DM_OK)
			goto done;
		if ((e = merged_add_doc(&m, doc)) != DM_OK)
			goto done;
	} else if (env && *env) {
		char *save = NULL, *tok;

		if (!(list = strdup(env)))
			goto nomem;
		for (tok = strtok_r(list, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
			dm_yaml *doc = NULL;
			int seen = 0;

			for (size_t i = 0; i < m.ndocs; i++)
				seen |= strcmp(dm_yaml_name(m.docs[i]), tok) == 0;
			if (seen || access(tok, F_OK) != 0)
				continue; /* kubectl skips files that do not exist */
			if ((e = dm_yaml_load_file(&doc, tok)) != DM_OK)
				goto done;
			if ((e = merged_add_doc(&m, doc)) != DM_OK)
				goto done;
		}
		if (!m.ndocs) {
			e = dm_fail_hint(DM_ERR_CONFIG, DM_HINT_KUBECONFIG, 0,
					 "none of the KUBECONFIG files exists ('%s')", env);
			goto done;
		}
	} else {
		const char *home = getenv("HOME");
		dm_yaml *doc = NULL;

		if (asprintf(&home_cfg, "%s/.kube/config", home && *home ? home : ".") < 0) {
			home_cfg = NULL;
			goto nomem;
		}
		if (access(home_cfg, F_OK) != 0 && in_cluster_possible()) {
			/* no kubeconfig at all, inside a pod: its service account, as kubectl does */
			e = load_in_cluster(out);
			goto done;
		}
		if (access(home_cfg, F_OK) != 0) {
			e = dm_fail_hint(DM_ERR_CONFIG, DM_HINT_KUBECONFIG, 0,
					 "no kubeconfig: '%s' does not exist and KUBECONFIG is not set", home_cfg);
			goto done;
		}
		if ((e = dm_yaml_load_file(&doc, home_cfg)) != DM_OK)
			goto done;
		if ((e = merged_add_doc(&m, doc)) != DM_OK)
			goto done;
	}
	if (!(c = calloc(1, sizeof(*c))))
		goto nomem;
	if ((e = resolve(&m, o->context, c)) != DM_OK)
		goto done;
	e = finish(c, o->run_exec, out);
	c = NULL;
	goto done;
nomem:
	e = dm_nomem();
done:
	dm_k8s_config_free(c);
	merged_release(&m);
	free(list);
	free(home_cfg);
	return e;
}
