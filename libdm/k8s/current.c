/* The current target: which cluster the tools talk to after dm-cluster start.
 *
 * kubectl's choice is --kubeconfig, else $KUBECONFIG, else ~/.kube/config.  A
 * microk8s kubeconfig or a remote target's context would be ignored by that
 * choice, and an install could land on another cluster, so the start of a
 * target records what it reached, and dm_k8s_choose puts that record between
 * $KUBECONFIG and ~/.kube/config.  The record holds paths, a context name and the
 * target's endpoints (Services reachable from outside the cluster, which an alias naming the
 * Service then uses instead of a port-forward: dm_alias_connect), never credentials.  The
 * endpoints are kept here, not read again from the target: an inline target has no file of its
 * own, and the record is what the tools talk to. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <dm/alias.h>
#include <dm/k8s.h>
#include <dm/util.h>

#define CURRENT_FILE "current-target.json"

static void drop_endpoints(dm_k8s_current *c)
{
	for (size_t i = 0; i < c->n_endpoints; i++) {
		free(c->endpoints[i].service);
		free(c->endpoints[i].url);
	}
	free(c->endpoints);
	c->endpoints = NULL;
	c->n_endpoints = 0;
}

void dm_k8s_current_release(dm_k8s_current *c)
{
	if (!c)
		return;
	free(c->kubeconfig);
	free(c->context);
	free(c->target);
	free(c->file);
	drop_endpoints(c);
	memset(c, 0, sizeof(*c));
}

const char *dm_k8s_current_endpoint(const dm_k8s_current *c, const char *ns, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; c && i < c->n_endpoints; i++) {
		const char *s = c->endpoints[i].service;

		if (!strncmp(s, name, nl) && s[nl] == '.' && !strcmp(s + nl + 1, ns))
			return c->endpoints[i].url;
	}
	return NULL;
}

dm_err dm_k8s_current_save(const char *kubeconfig, const char *context, const char *target,
			   const dm_k8s_endpoint *endpoints, size_t n)
{
	char *path = NULL, *abs = realpath(kubeconfig, NULL), *text = NULL;
	json_t *doc = NULL, *eps = n ? json_object() : NULL;
	dm_err e;

	if (!abs) {
		json_decref(eps);
		return dm_fail(DM_ERR_IO, "cannot resolve '%s': %s", kubeconfig, strerror(errno));
	}
	if ((e = dm_xdg_path(&path, DM_XDG_STATE, CURRENT_FILE)))
		goto done;
	for (size_t i = 0; eps && i < n; i++)
		if (json_object_set_new(eps, endpoints[i].service, json_string(endpoints[i].url))) {
			e = dm_nomem();
			goto done;
		}
	doc = json_pack("{s:s, s:s?, s:s?}", "kubeconfig", abs, "context", context, "target", target);
	if (!doc || (eps && json_object_set(doc, "endpoints", eps)) ||
	    !(text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
		e = dm_nomem();
		goto done;
	}
	e = dm_write_file_atomic(path, text, strlen(text), 0600);
done:
	json_decref(eps);
	json_decref(doc);
	free(text);
	free(path);
	free(abs);
	return e;
}

static dm_err take(char **out, json_t *doc, const char *key, int required, const char *file)
{
	json_t *v = json_object_get(doc, key);

	if (!v && !required)
		return DM_OK;
	if (!json_is_string(v) || !*json_string_value(v))
		return dm_fail(DM_ERR_CONFIG,
			       "%s: '%s' must be a non-empty string (remove the file to forget the "
			       "current target)",
			       file, key);
	*out = strdup(json_string_value(v));
	return *out ? DM_OK : dm_nomem();
}

/* "endpoints": {"NAME.NAMESPACE": "URL", ...}, when there */
static dm_err take_endpoints(dm_k8s_current *out, json_t *doc)
{
	json_t *eps = json_object_get(doc, "endpoints"), *v;
	const char *k;

	if (!eps)
		return DM_OK;
	if (!json_is_object(eps))
		return dm_fail(DM_ERR_CONFIG,
			       "%s: 'endpoints' must be an object (remove the file to forget the "
			       "current target)",
			       out->file);
	if (!(out->endpoints = calloc(json_object_size(eps) + 1, sizeof(*out->endpoints))))
		return dm_nomem();
	json_object_foreach(eps, k, v)
	{
		dm_k8s_endpoint *ep = &out->endpoints[out->n_endpoints];

		if (!strchr(k, '.') || !json_is_string(v) || dm_alias_check_url(json_string_value(v)))
			return dm_fail(DM_ERR_CONFIG,
				       "%s: endpoint '%s' must be a Service NAME.NAMESPACE with an "
				       "http(s)://HOST[:PORT] "
				       "URL (start the target again, or remove the file)",
				       out->file, k);
		if (!(ep->service = strdup(k)) || !(ep->url = strdup(json_string_value(v)))) {
			free(ep->service);
			return dm_nomem();
		}
		out->n_endpoints++;
	}
	return DM_OK;
}

dm_err dm_k8s_current_load(dm_k8s_current *out)
{
	json_error_t jerr;
	json_t *doc = NULL;
	char *text = NULL;
	size_t len = 0;
	dm_err e;

	memset(out, 0, sizeof(*out));
	if ((e = dm_xdg_path(&out->file, DM_XDG_STATE, CURRENT_FILE)))
		return e;
	if ((e = dm_read_file(&text, &len, out->file))) {
		if (e == DM_ERR_NOTFOUND)
			dm_fail(e, "no current target ('%s' does not exist)", out->file);
		goto done;
	}
	doc = json_loadb(text, len, 0, &jerr);
	if (!json_is_object(doc)) {
		e = dm_fail(DM_ERR_CONFIG, "%s:%d: not a current-target record: %s", out->file, jerr.line,
			    doc ? "not an object" : jerr.text);
		goto done;
	}
	if ((e = take(&out->kubeconfig, doc, "kubeconfig", 1, out->file)) ||
	    (e = take(&out->context, doc, "context", 0, out->file)) ||
	    (e = take(&out->target, doc, "target", 0, out->file)) || (e = take_endpoints(out, doc)))
		goto done;
	if (out->kubeconfig[0] != '/')
		e = dm_fail(DM_ERR_CONFIG, "%s: 'kubeconfig' must be an absolute path", out->file);
done:
	json_decref(doc);
	free(text);
	if (e) {
		char *file = out->file;

		out->file = NULL;
		dm_k8s_current_release(out);
		out->file = file;
	}
	return e;
}

dm_err dm_k8s_current_forget(const char *kubeconfig, const char *context)
{
	dm_k8s_current cur;
	char *abs = realpath(kubeconfig, NULL);
	dm_err e = dm_k8s_current_load(&cur);

	if (e == DM_ERR_NOTFOUND) {
		e = DM_OK;
	} else if (!e && abs && !strcmp(cur.kubeconfig, abs) &&
		   !strcmp(cur.context ? cur.context : "", context ? context : "")) {
		if (unlink(cur.file) != 0 && errno != ENOENT)
			e = dm_fail(DM_ERR_IO, "cannot remove '%s': %s", cur.file, strerror(errno));
	}
	dm_k8s_current_release(&cur);
	free(abs);
	return e;
}

dm_err dm_k8s_choose(dm_k8s_opts *ko, dm_k8s_current *cur, dm_k8s_from *from)
{
	const char *env = getenv("KUBECONFIG");
	dm_err e;

	memset(cur, 0, sizeof(*cur));
	if (ko->in_cluster) {
		*from = DM_K8S_FROM_IN_CLUSTER;
		return DM_OK;
	}
	if (ko->kubeconfig && *ko->kubeconfig) {
		*from = DM_K8S_FROM_GIVEN;
		return DM_OK;
	}
	if (env && *env) {
		*from = DM_K8S_FROM_ENV;
		return DM_OK;
	}
	e = dm_k8s_current_load(cur);
	if (e == DM_ERR_NOTFOUND) {
		dm_k8s_current_release(cur);
		*from = DM_K8S_FROM_HOME;
		return DM_OK;
	}
	if (e)
		return e;
	if (access(cur->kubeconfig, F_OK) != 0)
		return dm_fail(DM_ERR_CONFIG,
			       "the current target%s%s%s names kubeconfig '%s', which does not exist (%s; start "
			       "the target again, or remove '%s')",
			       cur->target ? " (" : "", cur->target ? cur->target : "", cur->target ? ")" : "",
			       cur->kubeconfig, strerror(errno), cur->file);
	ko->kubeconfig = cur->kubeconfig;
	if (!ko->context)
		ko->context = cur->context;
	else if (strcmp(ko->context, cur->context ? cur->context : "")) {
		/* another context of that kubeconfig: another cluster, whose endpoints are not known */
		drop_endpoints(cur);
	}
	*from = DM_K8S_FROM_CURRENT;
	return DM_OK;
}
