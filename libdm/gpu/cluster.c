/* libdm/gpu/cluster.c - what a Kubernetes NodeList says about the nodes' GPUs:
 * allocatable nvidia.com/gpu (the device plugin) and the driver version that
 * NVIDIA's GPU feature discovery writes into node labels.
 *
 * Pure parsing (no client): the standalone dm-gpu build keeps it, and the
 * unit tests feed it NodeLists.  dm_gpu_cluster_read (k8s_node.c) fetches one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <dm/gpu.h>
#include "internal.h"

long long dm_gpu_quantity(json_t *status, const char *field)
{
	json_t *q = json_object_get(json_object_get(status, field), "nvidia.com/gpu");
	const char *s = json_string_value(q);
	char *end;
	long long v;

	if (json_is_integer(q))
		return json_integer_value(q);
	if (!s)
		return 0; /* absent: the device plugin never registered */
	v = strtoll(s, &end, 10);
	return *end || end == s || v < 0 ? DM_GPU_UNKNOWN : v;
}

/* A label that is a whole number (digits only, as GFD writes them), else NULL. */
static const char *number_label(json_t *labels, const char *key)
{
	const char *s = json_string_value(json_object_get(labels, key));

	if (!s || !*s || strlen(s) > 16 || strspn(s, "0123456789") != strlen(s))
		return NULL;
	return s;
}

/* "major.minor[.rev]" from three labels (rev optional) into out; 1 when found. */
static int version_from(char *out, size_t n, json_t *labels, const char *major, const char *minor, const char *rev)
{
	const char *a = number_label(labels, major), *b = number_label(labels, minor), *c = number_label(labels, rev);

	if (!a || !b)
		return 0;
	snprintf(out, n, "%s.%s%s%s", a, b, c ? "." : "", c ? c : "");
	return 1;
}

/* "535.104.05": digits and dots only. */
static int dotted(const char *s)
{
	return s && *s >= '0' && *s <= '9' && strlen(s) < 64 && strspn(s, "0123456789.") == strlen(s);
}

static void read_driver(dm_gpu_node_info *nd, json_t *labels)
{
	const char *full = json_string_value(json_object_get(labels, "nvidia.com/cuda.driver-version.full"));
	const char *maj, *min;
	char cuda[64];

	nd->driver_from = "";
	if (dotted(full)) {
		dm_gpu_copy(nd->driver_version, sizeof(nd->driver_version), full);
		nd->driver_from = "nvidia.com/cuda.driver-version.full";
	} else if (version_from(nd->driver_version, sizeof(nd->driver_version), labels,
				"nvidia.com/cuda.driver-version.major", "nvidia.com/cuda.driver-version.minor",
				"nvidia.com/cuda.driver-version.revision")) {
		nd->driver_from = "nvidia.com/cuda.driver-version.*";
	} else if (version_from(nd->driver_version, sizeof(nd->driver_version), labels, "nvidia.com/cuda.driver.major",
				"nvidia.com/cuda.driver.minor", "nvidia.com/cuda.driver.rev")) {
		nd->driver_from = "nvidia.com/cuda.driver.*";
	}
	maj = number_label(labels, "nvidia.com/cuda.runtime-version.major");
	min = number_label(labels, "nvidia.com/cuda.runtime-version.minor");
	if (!maj || !min) {
		maj = number_label(labels, "nvidia.com/cuda.runtime.major");
		min = number_label(labels, "nvidia.com/cuda.runtime.minor");
	}
	if (maj && min) {
		int x = 0, y = 0;

		snprintf(cuda, sizeof(cuda), "%s.%s", maj, min);
		if (dm_gpu_parse_xy(cuda, &x, &y) == DM_OK && x > 0)
			nd->cuda_version = x * 1000 + y * 10;
		dm_err_clear();
	}
	if (!nd->cuda_version && nd->driver_version[0])
		nd->cuda_version = dm_gpu_driver_cuda(nd->driver_version);
}

void dm_gpu_cluster_free(dm_gpu_cluster *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		free(c->nodes[i].name);
	free(c->nodes);
	free(c);
}

dm_err dm_gpu_cluster_from_json(dm_gpu_cluster **out, json_t *doc)
{
	json_t *items = json_object_get(doc, "items"), *it;
	dm_gpu_cluster *c = NULL;
	dm_err err = DM_OK;
	size_t i;

	*out = NULL;
	if (!json_is_array(items))
		return dm_fail(DM_ERR_PARSE, "the node list from the API server is not a NodeList");
	c = calloc(1, sizeof(*c));
	if (!c || !(c->nodes = calloc(json_array_size(items) + 1, sizeof(*c->nodes)))) {
		err = dm_nomem();
		goto done;
	}
	json_array_foreach(items, i, it)
	{
		dm_gpu_node_info *nd = &c->nodes[c->n];
		const char *name = json_string_value(json_object_get(json_object_get(it, "metadata"), "name"));
		json_t *status = json_object_get(it, "status");

		if (!(nd->name = strdup(name ? name : ""))) {
			err = dm_nomem();
			goto done;
		}
		c->n++;
		nd->allocatable = dm_gpu_quantity(status, "allocatable");
		read_driver(nd, json_object_get(json_object_get(it, "metadata"), "labels"));
	}
done:
	if (err != DM_OK) {
		dm_gpu_cluster_free(c);
		return err;
	}
	*out = c;
	return DM_OK;
}

dm_err dm_gpu_cluster_parse(dm_gpu_cluster **out, const char *json, size_t len)
{
	json_t *doc = json_loadb(json, len, 0, NULL);
	dm_err err = dm_gpu_cluster_from_json(out, doc);

	json_decref(doc);
	return err;
}
