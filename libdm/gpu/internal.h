/* libdm/gpu/internal.h - private: shared between the probe's parts. */
#ifndef DM_LIBDM_GPU_INTERNAL_H
#define DM_LIBDM_GPU_INTERNAL_H

#include <jansson.h>
#include <dm/gpu.h>

/* The probe's host-side part (node.c): kernel module version, device nodes,
 * container runtime, CDI specs.  root is "" for this machine. */
dm_err dm_gpu_probe_node(dm_gpu_report *r, const char *root);

/* "a/b" joined into a malloc'd string; NULL on out of memory. */
char *dm_gpu_join(const char *a, const char *b);

/* Copies src into dst (size n), always terminated. */
void dm_gpu_copy(char *dst, size_t n, const char *src);

/* Parses "D:B:D.F" PCI bus ids of either width; returns 1 on success. */
int dm_gpu_parse_bus_id(const char *s, unsigned *domain, unsigned *bus, unsigned *dev);

/* status.<field>["nvidia.com/gpu"] of a node's status: 0 when absent (the device
 * plugin never registered), DM_GPU_UNKNOWN when not a whole number.  Quantities
 * of extended resources are whole numbers ("8"). */
long long dm_gpu_quantity(json_t *status, const char *field);

/* dm_gpu_cluster_parse of a parsed document (borrowed). */
dm_err dm_gpu_cluster_from_json(dm_gpu_cluster **out, json_t *doc);

#endif
