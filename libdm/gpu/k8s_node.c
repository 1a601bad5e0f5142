/* libdm/gpu/k8s_node.c - what Kubernetes says a node offers: allocatable and
 * capacity of nvidia.com/gpu, through the shared Kubernetes client.
 *
 * Kept apart from the probe so that a dm-gpu built without the HTTP stack
 * (tools/dm-gpu/standalone) leaves this file out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <dm/gpu.h>
#include <dm/k8s.h>
#include <dm/util.h>
#include "internal.h"

static dm_err keep_error(dm_gpu_report *r, const char *msg)
{
	free(r->k8s_error);
	r->k8s_error = strdup(msg);
	return r->k8s_error ? DM_OK : dm_nomem();
}

dm_err dm_gpu_k8s_node(dm_gpu_report *r, const char *kubeconfig, const char *context, const char *node)
{
	dm_k8s_opts o = DM_K8S_OPTS_INIT;
	char host[256], *reply = NULL, *path = NULL;
	dm_k8s *c = NULL;
	json_t *doc = NULL;
	long status = 0;
	dm_err err;

	if (!node || !*node)
		node = getenv("NODE_NAME");
	if (!node || !*node) {
		if (gethostname(host, sizeof(host)) != 0) {
			char why[96], hint[64];

			snprintf(why, sizeof(why), "no node name%s", dm_hint_text(DM_HINT_NODE, 0, hint, sizeof(hint)));
			return keep_error(r, why);
		}
		host[sizeof(host) - 1] = '\0';
		node = host;
	}
	free(r->k8s_node);
	r->k8s_node = strdup(node);
	if (!r->k8s_node)
		return dm_nomem();
	r->k8s_allocatable = r->k8s_capacity = DM_GPU_UNKNOWN;

	o.kubeconfig = kubeconfig;
	o.context = context;
	if ((err = dm_k8s_open(&c, &o)) != DM_OK) {
		err = err == DM_ERR_NOMEM ? err : keep_error(r, dm_err_detail());
		goto done;
	}
	if (asprintf(&path, "/api/v1/nodes/%s", node) < 0) {
		path = NULL;
		err = dm_nomem();
		goto done;
	}
	if ((err = dm_k8s_request(c, "GET", path, NULL, &status, &reply)) != DM_OK) {
		err = err == DM_ERR_NOMEM ? err : keep_error(r, dm_err_detail());
		goto done;
	}
	if (status < 200 || status > 299) {
		dm_k8s_status_fail(c, status, reply, "get", "nodes", node, NULL);
		err = keep_error(r, dm_err_detail());
		goto done;
	}
	doc = json_loads(reply, 0, NULL);
	if (!json_is_object(json_object_get(doc, "status"))) {
		err = keep_error(r, "the node reply has no status");
		goto done;
	}
	r->k8s_allocatable = dm_gpu_quantity(json_object_get(doc, "status"), "allocatable");
	r->k8s_capacity = dm_gpu_quantity(json_object_get(doc, "status"), "capacity");
	err = DM_OK;
done:
	dm_err_clear();
	json_decref(doc);
	free(reply);
	free(path);
	dm_k8s_free(c);
	return err;
}

dm_err dm_gpu_cluster_read(dm_gpu_cluster **out, dm_k8s *k)
{
	char *reply = NULL;
	long status = 0;
	dm_err err;

	*out = NULL;
	/* nodes are cluster-scoped: dm_k8s_get_json builds namespaced paths only */
	if ((err = dm_k8s_request(k, "GET", "/api/v1/nodes", NULL, &status, &reply)) != DM_OK)
		return err;
	if (status != 200)
		err = dm_k8s_status_fail(k, status, reply, "list", "nodes", NULL, NULL);
	else
		err = dm_gpu_cluster_parse(out, reply, strlen(reply));
	free(reply);
	return err;
}
