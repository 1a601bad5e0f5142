/* libdm/platform's private header: what flavour.c, components.c, run.c and
 * pool.c share and no tool may see.  An ownership pool for the strings and
 * arrays of a loaded model, lexical path handling, and the loaded platform. */
#ifndef DM_PLATFORM_INTERNAL_H
#define DM_PLATFORM_INTERNAL_H

#include <stddef.h>
#include <dm/err.h>
#include <dm/platform.h>

/* ---- the ownership pool ------------------------------------------------------------------ */

/* Everything a loaded model allocates, freed at once. */
typedef struct {
	void **p;
	size_t n, cap;
} dm_pool;

/* Takes ownership of ptr (freed by dm_pool_release); NULL (and ptr freed) when out of memory. */
void *dm_pool_own(dm_pool *pl, void *ptr);
char *dm_pool_strdup(dm_pool *pl, const char *s);
char *dm_pool_printf(dm_pool *pl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void *dm_pool_calloc(dm_pool *pl, size_t n, size_t size);
void dm_pool_release(dm_pool *pl);

/* ---- paths and names --------------------------------------------------------------------- */

/* base + rel (rel taken as is when absolute), with "." and ".." folded
 * lexically and repeated slashes removed.  malloc'd. */
char *dm_path_resolve(const char *base, const char *rel);
int dm_path_is_dir(const char *p);
int dm_path_is_file(const char *p);
/* Does s start with a URL scheme ("https://", "oci://")? */
int dm_path_is_url(const char *s);

/* The name rule of docs/configuration.md: ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ of at most max. */
int dm_platform_name_ok(const char *s, size_t max);

/* For the component loader. */
const dm_ynode *dm_flavour_root_node(const dm_flavour *f);

/* ---- the loaded platform (components.c builds it, run.c reads it) ------------------------ */

typedef struct {
	const dm_yaml *doc;
	const dm_ynode *map;
} dm_cfg_layer;

struct dm_platform {
	const dm_flavour *f;
	dm_pool pool;
	dm_yaml **docs; /* every component file read */
	size_t n_docs;
	dm_component *all;       /* every component, sorted by name */
	dm_cfg_layer *cfg;       /* config.yaml of all[i] */
	int *layers_of;          /* how many layers all[i] merged */
	dm_cfg_layer *values_at; /* the layer whose `values` all[i] took (doc NULL: none) */
	size_t n_all;
	const dm_component **order; /* the selection, install order */
	size_t n_order;
};

#endif
