/* tests/fuzz/fuzz_platform.h - the private platform root shared by the
 * flavour and component fuzz targets: <root>/components/{base,store,app}
 * (app needs base and store; store exposes a secret and an endpoint),
 * <root>/flavours/, <root>/data/; and the checks on a loaded platform. */
#ifndef DM_FUZZ_PLATFORM_H
#define DM_FUZZ_PLATFORM_H

#include <limits.h>

#include <dm/err.h>
#include <dm/platform.h>

#include "fuzz_common.h"

static char root_dir[512], flavour_file[600];

static void fuzz_component_write(const char *name, const char *yaml)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/components/%s", root_dir, name);
	fuzz_mkdir(path);
	snprintf(path, sizeof(path), "%s/components/%s/config.yaml", root_dir, name);
	fuzz_write_file(path, yaml, strlen(yaml));
}

static void setup(void)
{
	char path[600];

	if (root_dir[0])
		return;
	snprintf(root_dir, sizeof(root_dir), "%s/platform", fuzz_dir());
	fuzz_mkdir(root_dir);
	snprintf(path, sizeof(path), "%s/components", root_dir);
	fuzz_mkdir(path);
	snprintf(path, sizeof(path), "%s/flavours", root_dir);
	fuzz_mkdir(path);
	snprintf(path, sizeof(path), "%s/data", root_dir);
	fuzz_mkdir(path);
	fuzz_component_write("base", "name: base\nkind: manifest\nmanifests: [base.yaml]\n");
	fuzz_component_write(
		"store",
		"name: store\nkind: helm\nrelease: store\nchart:\n  repo: https://charts.example.org/\n"
		"  name: store\nversion: \"1.0.0\"\nneeds: [base]\nset:\n  existingSecret: store-credentials\n"
		"secrets:\n  - name: store-credentials\n    keys: [rootUser, rootPassword]\n"
		"secret:\n  name: store-credentials\n  keys:\n    access_key: rootUser\n    secret_key: rootPassword\n"
		"  endpoint: http://${release}.${namespace}.svc:9000\ntimeout: 10m\n");
	fuzz_component_write("app",
			     "name: app\nkind: helm\nrelease: app\nchart:\n  oci: oci://registry.example.org/app\n"
			     "version: \"2.0.0\"\nneeds: [base, store]\nset:\n  store.endpoint: ${store.endpoint}\n"
			     "  store.accessKey: ${store.access_key}\n");
	snprintf(flavour_file, sizeof(flavour_file), "%s/flavours/fuzz.yaml", root_dir);
	/* the loader reports real paths */
	{
		char *real = realpath(root_dir, NULL);

		if (!real)
			abort();
		snprintf(root_dir, sizeof(root_dir), "%s", real);
		free(real);
	}
}

static size_t index_of(const dm_platform *p, const char *name)
{
	for (size_t i = 0; i < dm_platform_count(p); i++)
		if (strcmp(dm_platform_at(p, i)->name, name) == 0)
			return i;
	return (size_t)-1;
}

static void check_platform(const dm_platform *p)
{
	size_t n = dm_platform_count(p);

	for (size_t i = 0; i < n; i++) {
		const dm_component *c = dm_platform_at(p, i);
		char *ep = NULL;

		FUZZ_CHECK(c && c->name && c->folder, "component %zu incomplete", i);
		FUZZ_CHECK(dm_platform_find(p, c->name) == c, "'%s' not found by name", c->name);
		for (size_t j = 0; j < c->n_needs; j++) {
			size_t k = index_of(p, c->needs[j]);

			FUZZ_CHECK(k == (size_t)-1 || k < i, "'%s' installed before '%s', which it needs", c->name,
				   c->needs[j]);
		}
		for (size_t j = 0; j < c->n_set; j++)
			FUZZ_CHECK(c->set[j].key && c->set[j].value, "'%s' set entry %zu incomplete", c->name, j);
		if (c->secret_endpoint) {
			if (dm_component_endpoint(&ep, c) == DM_OK)
				FUZZ_CHECK(ep != NULL, "endpoint ok without text");
			free(ep);
			dm_err_clear();
		}
	}
}

static void platform(const dm_flavour *f, int with_needs)
{
	dm_platform_opts o = DM_PLATFORM_OPTS_INIT;
	dm_platform *p = NULL;
	dm_err e;

	o.with_needs = with_needs;
	e = dm_platform_load(&p, f, &o);
	if (e == DM_OK)
		check_platform(p);
	else
		FUZZ_CHECK(p == NULL && dm_err_detail()[0] != '\0', "failure (%d) left a platform or no detail",
			   (int)e);
	dm_platform_free(p);
	dm_err_clear();
}

#endif
