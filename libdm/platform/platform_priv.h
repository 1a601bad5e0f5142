/* libdm/platform: the loaded platform (shared by components.c and run.c). */
#ifndef DM_PLATFORM_PRIV_H
#define DM_PLATFORM_PRIV_H

#include <dm/platform.h>
#include "platform_int.h"

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
