/* The current target: which cluster the tools talk to after dm-cluster start.
 *
 * kubectl's choice is --kubeconfig, else $KUBECONFIG, else ~/.kube/config.  A
 * microk8s kubeconfig or a remote target's context would be ignored by that
 * choice, and an install could land on another cluster, so the start of a
 * target records what it reached, and dm_k8s_choose puts that record between
 * $KUBECONFIG and ~/.kube/config.  The record holds paths and a context name,
 * never credentials. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <dm/k8s.h>
#include <dm/util.h>

#define CURRENT_FILE "current-target.json"

void dm_k8s_current_release(dm_k8s_current *c)
{
	if (!c)
		return;
	free(c->kubeconfig);
	free(c->context);
	free(c->target);
	free(c->file);
	memset(c, 0, sizeof(*c));
}

dm_err dm_k8s_current_save(const char *kubeconfig, const char *context, const char *target)
{
	char *path = NULL, *abs = realpath(kubeconfig, NULL), *text = NULL;
	json_t *doc = NULL;
	dm_err e;

	if (!abs)
		return dm_fail(DM_ERR_IO, "cannot resolve '%s': %s", kubeconfig, strerror(errno));
	if ((e = dm_xdg_path(&path, DM_XDG_STATE, CURRENT_FILE)))
		goto done;
	doc = json_pack("{s:s, s:s?, s:s?}", "kubeconfig", abs, "context", context, "target", target);
	if (!doc || !(text = json_dumps(doc, JSON_INDENT(2)))) {
		e = dm_nomem();
		goto done;
	}
	e = dm_write_file_atomic(path, text, strlen(text), 0600);
done:
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
	    (e = take(&out->target, doc, "target", 0, out->file)))
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
	*from = DM_K8S_FROM_CURRENT;
	return DM_OK;
}
