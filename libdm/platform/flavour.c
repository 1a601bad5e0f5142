/* The flavour file: project keys, paths, inline target and component sections. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

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
	return dm_fail(DM_ERR_NOMEM, "out of memory");
}

/* The nearest folder at or above dir that holds components/. */
static char *find_root(const char *dir)
{
	char *cur = strdup(dir);

	while (cur) {
		char *cand = dm_path_resolve(cur, "components");
		int ok = cand && dm_path_is_dir(cand);
		char *slash;

		free(cand);
		if (ok)
			return cur;
		if (strcmp(cur, "/") == 0)
			break;
		slash = strrchr(cur, '/');
		if (slash == cur)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	free(cur);
	return NULL;
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
	dm_flavour *f;
	const dm_ynode *root, *pj;
	char *abs = NULL, *slash;
	dm_err e;

	*out = NULL;
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
	f->pj.root = dm_pool_own(&f->pool, find_root(f->pj.dir));
	if (!f->pj.root) {
		e = dm_fail(DM_ERR_CONFIG,
			    "%s: no 'components' folder in '%s' or any folder above it "
			    "(the platform root holds components/)",
			    path, f->pj.dir);
		goto done;
	}
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
