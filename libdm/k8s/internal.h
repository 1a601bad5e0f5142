/* libdm/k8s/internal.h - private: shared by the files of the Kubernetes client. */
#ifndef DM_LIBDM_K8S_INTERNAL_H
#define DM_LIBDM_K8S_INTERNAL_H

#include <stddef.h>
#include <dm/k8s.h>

/* strdup that registers the copy with the redactor. */
char *dm_k8s_secret_dup(const char *s, size_t n);

/* Frees the strings of an exec plugin description. */
void dm_k8s_exec_free(dm_k8s_exec *e);

/* Deep copy of a config (the exec description is not copied). */
dm_err dm_k8s_config_dup(dm_k8s_config **out, const dm_k8s_config *cfg);

#endif
