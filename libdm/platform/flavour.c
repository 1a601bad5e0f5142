/* The flavour file: project keys, paths, inline target and component sections. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dm/platform.h>
#include "internal.h"

struct dm_flavour {
	dm_yaml *doc;
	dm_project pj;
	dm_pool pool;
};

static const char *const top_fixed[] = { "project", "local", "remote", NULL };
static const char *const project_keys[] = {
	"k8s_namespace", "proxy_port",    "flavour", "k8s_default_config", "component_default_config",
	"data_folder",   "config_folder", NULL
};

static dm_err nomem(void)
{
	return dm_nomem();
}

/* The nearest folder at or above dir (absolute) for which has(folder) holds. */
static char *walk_up(const char *dir, int (*has)(const char *folder))
{
	char *cur = strdup(dir);

	while (cur) {
		char *slash;

		if (has(cur))
			return cur;
		if (strcmp(cur, "/") == 0)
			break;
		slash = strrchr(cur, '/');
		if (!slash)
			break;
		if (slash == cur)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	free(cur);
	return NULL;
}

static int has_child(const char *folder, const char *name, int (*is)(const char *))
{
	char *p = dm_path_resolve(folder, name);
	int ok = p && is(p);

	free(p);
	return ok;
}

static dm_err flavour_open(dm_flavour **out, const char *root_given, const char *path);

static int has_components(const char *folder)
{
	return has_child(folder, "components", dm_path_is_dir);
}

static int has_marker(const char *folder)
{
	return has_child(folder, DM_PLATFORM_MARKER, dm_path_is_file);
}

/* For messages: "given", "$DM_HOME", "the working folder" ... Never NULL. */
static const char *root_source_name(dm_root_source s)
{
	switch (s) {
	case DM_ROOT_GIVEN: return "given";
	case DM_ROOT_ENV: return "$DM_HOME";
	case DM_ROOT_FLAVOUR: return "the flavour file's folder";
	case DM_ROOT_WALK: return "the working folder";
	case DM_ROOT_SHARE: return "the installed share folder";
	}
	return "?";
}

/* A root that was named (by the caller, hint DM_HINT_ROOT_GIVEN, or by $DM_HOME) must be a
 * platform: it holds components/. */
static dm_err named_root(char **out, const char *dir, const char *what, dm_hint hint)
{
	char *abs = realpath(dir, NULL);

	if (!abs)
		return dm_fail_hint(DM_ERR_CONFIG, hint, 0, "%s '%s': %s", what, dir, strerror(errno));
	if (!has_components(abs)) {
		free(abs);
		return dm_fail_hint(DM_ERR_CONFIG, hint, 0,
				    "%s '%s' is no platform root: it holds no components/ folder", what, dir);
	}
	*out = abs;
	return DM_OK;
}

dm_err dm_platform_root(char **out, dm_root_source *source, const char *given)
{
	const char *home = getenv("DM_HOME");
	char *cwd = NULL;
	dm_err e;

	*out = NULL;
	if (given) {
		*source = DM_ROOT_GIVEN;
		return named_root(out, given, "the folder", DM_HINT_ROOT_GIVEN);
	}
	if (home && *home) {
		*source = DM_ROOT_ENV;
		return named_root(out, home, "$DM_HOME", DM_HINT_NONE);
	}
	cwd = getcwd(NULL, 0);
	if (cwd && (*out = walk_up(cwd, has_marker))) {
		free(cwd);
		*source = DM_ROOT_WALK;
		return DM_OK;
	}
	if (has_marker(DM_SHARE_DIR) && has_components(DM_SHARE_DIR)) {
		free(cwd);
		*source = DM_ROOT_SHARE;
		*out = strdup(DM_SHARE_DIR);
		return *out ? DM_OK : nomem();
	}
	e = dm_fail_hint(DM_ERR_NOTFOUND, DM_HINT_ROOT, 0,
			 "no platform found: no %s in '%s' or a folder above it, and none installed in '%s'",
			 DM_PLATFORM_MARKER, cwd ? cwd : ".", DM_SHARE_DIR);
	free(cwd);
	return e;
}

dm_err dm_flavour_choose(dm_flavour **out, const char *root, const char *file, int *none)
{
	const char *env = getenv("DM_FLAVOUR");
	dm_root_source src;
	char *dir = NULL, *path = NULL;
	dm_err e;

	*out = NULL;
	if (none)
		*none = 0;
	if (file || (env && *env))
		return flavour_open(out, root, file ? file : env);
	/* flavours/default.yaml of the platform root */
	if ((e = dm_platform_root(&dir, &src, root))) {
		if (none)
			*none = e == DM_ERR_NOTFOUND;
		else if (e == DM_ERR_NOTFOUND) /* needed, and not there: the configuration to fix */
			e = dm_fail(DM_ERR_CONFIG, "%s", dm_err_detail());
		return e;
	}
	if (!(path = dm_path_resolve(dir, DM_FLAVOUR_DEFAULT))) {
		e = nomem();
	} else if (!dm_path_is_file(path)) {
		e = dm_fail_hint(none ? DM_ERR_NOTFOUND : DM_ERR_CONFIG, DM_HINT_FLAVOUR, 0,
				 "the platform in '%s' (%s) has no %s", dir, root_source_name(src), DM_FLAVOUR_DEFAULT);
		if (none)
			*none = 1;
	} else if (!(e = flavour_open(out, dir, path))) {
		(*out)->pj.root_source = src;
	}
	free(path);
	free(dir);
	return e;
}

static dm_err read_project(dm_flavour *f, const dm_ynode *pj)
{
	dm_yaml *d = f->doc;
	dm_project *p = &f->pj;
	const dm_ynode *n;
	long long port = 8001;
	const char *data_folder = NULL, *config_folder = NULL;
	dm_err e;

	if ((e = dm_yaml_check_keys(d, pj, "project", project_keys)))
		return e;
	if ((e = dm_yaml_get_str(d, pj, "k8s_namespace", 1, &p->k8s_namespace)))
		return e;
	if (!dm_platform_name_ok(p->k8s_namespace, 63))
		return dm_yaml_fail(d, dm_yaml_get(pj, "k8s_namespace"),
				    "invalid namespace '%s' (lower-case letters, digits and '-', at most 63)",
				    p->k8s_namespace);
	if ((e = dm_yaml_get_int(d, pj, "proxy_port", 0, 1, 65535, &port)))
		return e;
	p->proxy_port = (int)port;

	n = dm_yaml_get(pj, "flavour");
	if (!n || n->kind == DM_YAML_NULL)
		return dm_yaml_fail(d, n ? dm_yaml_key(pj, "flavour") : pj,
				    "missing required key 'flavour' (`all` or a list of component names)");
	if (n->kind == DM_YAML_SCALAR && strcmp(n->scalar, "all") == 0) {
		const char **none = dm_pool_calloc(&f->pool, 1, sizeof(*none));

		if (!none)
			return nomem();
		p->all = 1;
		p->flavour = none;
	} else {
		const char **list = NULL;

		if ((e = dm_yaml_get_strlist(d, pj, "flavour", 1, &list, &p->n_flavour)))
			return e;
		if (!dm_pool_own(&f->pool, (void *)list))
			return nomem();
		p->flavour = list;
		for (size_t i = 0; i < p->n_flavour; i++) {
			const dm_ynode *item = n->kind == DM_YAML_SEQ ? n->vals[i] : n;

			if (!dm_platform_name_ok(list[i], 53))
				return dm_yaml_fail(d, item, "invalid component name '%s' in 'flavour'", list[i]);
			for (size_t j = 0; j < i; j++) {
				if (strcmp(list[i], list[j]) == 0)
					return dm_yaml_fail(d, item, "component '%s' is listed twice in 'flavour'",
							    list[i]);
			}
		}
	}

	p->k8s_default_config = "default_mc.yaml";
	p->component_default_config = "config.yaml";
	if ((e = dm_yaml_get_str(d, pj, "k8s_default_config", 0, &p->k8s_default_config)) ||
	    (e = dm_yaml_get_str(d, pj, "component_default_config", 0, &p->component_default_config)) ||
	    (e = dm_yaml_get_str(d, pj, "data_folder", 0, &data_folder)) ||
	    (e = dm_yaml_get_str(d, pj, "config_folder", 0, &config_folder)))
		return e;
	if (!*p->k8s_default_config)
		return dm_yaml_fail(d, dm_yaml_get(pj, "k8s_default_config"), "'k8s_default_config' is empty");
	if (!*p->component_default_config || strchr(p->component_default_config, '/') ||
	    strcmp(p->component_default_config, ".") == 0 || strcmp(p->component_default_config, "..") == 0)
		return dm_yaml_fail(d, dm_yaml_get(pj, "component_default_config"),
				    "'component_default_config' must be a file name, not '%s'",
				    p->component_default_config);

	p->target_file = dm_pool_own(&f->pool, dm_path_resolve(p->targets_dir, p->k8s_default_config));
	p->data_folder = data_folder && *data_folder ? dm_pool_own(&f->pool, dm_path_resolve(p->dir, data_folder))
						     : dm_pool_own(&f->pool, dm_path_resolve(p->root, "data"));
	p->config_folder = config_folder && *config_folder
				   ? dm_pool_own(&f->pool, dm_path_resolve(p->dir, config_folder))
				   : p->dir;
	if (!p->target_file || !p->data_folder || !p->config_folder)
		return nomem();
	return DM_OK;
}

dm_err dm_flavour_load(dm_flavour **out, const char *path)
{
	return flavour_open(out, NULL, path);
}

/* The platform root of a flavour file: the root that was named (--root, $DM_HOME), else the
 * nearest folder at or above its own that holds components/, else the one of the working
 * folder or the installed share folder. */
static dm_err flavour_root(dm_flavour *f, const char *given)
{
	const char *home = getenv("DM_HOME");
	char *root = NULL;
	dm_err e = DM_OK;

	if (given || (home && *home)) {
		e = dm_platform_root(&root, &f->pj.root_source, given);
	} else if ((root = walk_up(f->pj.dir, has_components))) {
		f->pj.root_source = DM_ROOT_FLAVOUR;
	} else if ((e = dm_platform_root(&root, &f->pj.root_source, NULL)) == DM_ERR_NOTFOUND) {
		e = dm_fail_hint(DM_ERR_CONFIG, DM_HINT_ROOT, 0,
				 "%s: no 'components' folder in '%s' or any folder above it, no %s at or above the "
				 "working folder, none installed in '%s'",
				 f->pj.file, f->pj.dir, DM_PLATFORM_MARKER, DM_SHARE_DIR);
	}
	if (e)
		return e;
	if (!(f->pj.root = dm_pool_own(&f->pool, root)))
		return nomem();
	return DM_OK;
}

/* dm_flavour_load with a root: the platform root is root_given when not NULL, else $DM_HOME,
 * else the nearest folder with components/ at or above the file's, else that of the working
 * folder or the share folder (dm_platform_root). */
static dm_err flavour_open(dm_flavour **out, const char *root_given, const char *path)
{
	dm_flavour *f;
	const dm_ynode *root, *pj;
	char *abs = NULL, *slash;
	dm_err e;

	*out = NULL;
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return dm_fail(DM_ERR_CONFIG, "flavour '%s' does not exist", path);
	f = calloc(1, sizeof(*f));
	if (!f)
		return nomem();
	if ((e = dm_yaml_load_file(&f->doc, path)))
		goto done;
	root = dm_yaml_root(f->doc);
	if (root->kind != DM_YAML_MAP) {
		e = dm_yaml_fail(f->doc, root, "a flavour file must be a mapping with a 'project' section");
		goto done;
	}
	abs = realpath(path, NULL);
	if (!abs) {
		e = dm_fail(DM_ERR_IO, "cannot resolve '%s': %s", path, strerror(errno));
		goto done;
	}
	f->pj.doc = f->doc;
	f->pj.file = dm_pool_own(&f->pool, abs);
	if (!f->pj.file) {
		e = nomem();
		goto done;
	}
	slash = strrchr(abs, '/');
	f->pj.file_name = slash + 1;
	f->pj.dir = slash == abs ? dm_pool_strdup(&f->pool, "/")
				 : dm_pool_own(&f->pool, strndup(abs, (size_t)(slash - abs)));
	if (!f->pj.dir) {
		e = nomem();
		goto done;
	}
	if ((e = flavour_root(f, root_given)))
		goto done;
	f->pj.components_dir = dm_pool_own(&f->pool, dm_path_resolve(f->pj.root, "components"));
	f->pj.targets_dir = dm_pool_own(&f->pool, dm_path_resolve(f->pj.root, "k8s/configs"));
	if (!f->pj.components_dir || !f->pj.targets_dir) {
		e = nomem();
		goto done;
	}

	pj = dm_yaml_get(root, "project");
	if (!pj) {
		e = dm_yaml_fail(f->doc, root, "missing required section 'project'");
		goto done;
	}
	if ((e = dm_yaml_want_map(f->doc, pj, "'project'", 0)))
		goto done;
	for (size_t i = 0; i < root->len; i++) {
		const char *k = root->keys[i]->scalar;
		const dm_ynode *v = root->vals[i];
		int fixed = 0;

		for (size_t j = 0; top_fixed[j]; j++)
			fixed |= strcmp(top_fixed[j], k) == 0;
		if (strcmp(k, "project") == 0)
			continue;
		if (v->kind != DM_YAML_MAP && v->kind != DM_YAML_NULL) {
			e = dm_yaml_fail(f->doc, v, "'%s' must be a mapping (%s)", k,
					 fixed ? "a target" : "a component's settings");
			goto done;
		}
		if (!fixed && strcmp(k, "secrets") == 0) {
			e = dm_yaml_fail(f->doc, root->keys[i], "'%s' is not a component", k);
			goto done;
		}
	}
	if ((e = read_project(f, pj)))
		goto done;
	f->pj.local = dm_yaml_get(root, "local");
	f->pj.remote = dm_yaml_get(root, "remote");
	if (f->pj.local && f->pj.local->kind != DM_YAML_MAP)
		f->pj.local = NULL;
	if (f->pj.remote && f->pj.remote->kind != DM_YAML_MAP)
		f->pj.remote = NULL;
	*out = f;
	f = NULL;
done:
	dm_flavour_free(f);
	return e;
}

const dm_project *dm_flavour_project(const dm_flavour *f)
{
	return &f->pj;
}

const dm_ynode *dm_flavour_root_node(const dm_flavour *f)
{
	return dm_yaml_root(f->doc);
}

const dm_ynode *dm_flavour_section(const dm_flavour *f, const char *name)
{
	for (size_t j = 0; top_fixed[j]; j++) {
		if (strcmp(top_fixed[j], name) == 0)
			return NULL;
	}
	return dm_yaml_get(dm_yaml_root(f->doc), name);
}

void dm_flavour_free(dm_flavour *f)
{
	if (!f)
		return;
	dm_yaml_free(f->doc);
	dm_pool_release(&f->pool);
	free(f);
}
