/* libdm/gpu/internal.h - private: shared between the probe's parts. */
#ifndef DM_LIBDM_GPU_INTERNAL_H
#define DM_LIBDM_GPU_INTERNAL_H

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

#endif
