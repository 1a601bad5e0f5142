/* libdm/gpu/node.c - the host side of a GPU node: kernel module, device
 * nodes, container runtime and CDI specs.  Everything is looked up under a
 * root ("" for this machine) so that a container with the host's / mounted
 * somewhere can inspect the host.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dm/gpu.h>
#include <dm/util.h>
#include "internal.h"

void dm_gpu_copy(char *dst, size_t n, const char *src)
{
	size_t l = strlen(src);

	if (l >= n)
		l = n - 1;
	memcpy(dst, src, l);
	dst[l] = '\0';
}

char *dm_gpu_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 2);

	if (!s)
		return NULL;
	memcpy(s, a, la);
	if (la && a[la - 1] != '/' && b[0] != '/')
		s[la++] = '/';
	memcpy(s + la, b, lb + 1);
	return s;
}

int dm_gpu_parse_bus_id(const char *s, unsigned *domain, unsigned *bus, unsigned *dev)
{
	unsigned fn;

	return s && sscanf(s, "%x:%x:%x.%x", domain, bus, dev, &fn) == 4;
}

/* "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 ..."
 * or "... Open Kernel Module for x86_64  550.54.14  Release Build ...":
 * the first token that looks like a driver version. */
static void module_version(char *out, size_t n, const char *text)
{
	const char *line = strstr(text, "NVRM version:");
	const char *p;

	out[0] = '\0';
	if (!line)
		return;
	for (p = line + 13; *p && *p != '\n'; p++) {
		size_t len = 0, dots = 0;

		if (!isdigit((unsigned char)*p) || (p[-1] != ' ' && p[-1] != '\t'))
			continue;
		while (isdigit((unsigned char)p[len]) || p[len] == '.') {
			dots += p[len] == '.';
			len++;
		}
		if (dots >= 1 && (p[len] == ' ' || p[len] == '\t' || p[len] == '\n' || !p[len]) && len < n) {
			memcpy(out, p, len);
			out[len] = '\0';
			return;
		}
		p += len ? len - 1 : 0;
	}
}

static dm_err add_node(dm_gpu_report *r, const char *root, const char *name, int required)
{
	dm_gpu_devnode *nodes, *d;
	char rel[64];
	struct stat st;
	size_t i;

	snprintf(rel, sizeof(rel), "/dev/%s", name);
	for (i = 0; i < r->n_devnodes; i++) {
		if (!strcmp(r->devnodes[i].path + strlen(root), rel)) {
			r->devnodes[i].required |= required;
			return DM_OK;
		}
	}
	nodes = realloc(r->devnodes, (r->n_devnodes + 1) * sizeof(*nodes));
	if (!nodes)
		return dm_nomem();
	r->devnodes = nodes;
	d = &nodes[r->n_devnodes];
	memset(d, 0, sizeof(*d));
	d->path = dm_gpu_join(root, rel);
	if (!d->path)
		return dm_nomem();
	r->n_devnodes++;
	d->required = required;
	if (stat(d->path, &st) == 0) {
		d->exists = 1;
		d->is_char = S_ISCHR(st.st_mode);
		d->access_ok = access(d->path, R_OK | W_OK) == 0;
	}
	return DM_OK;
}

static int devnode_cmp(const void *a, const void *b)
{
	return strcmp(((const dm_gpu_devnode *)a)->path, ((const dm_gpu_devnode *)b)->path);
}

static dm_err probe_devnodes(dm_gpu_report *r, const char *root)
{
	char *dev = dm_gpu_join(root, "/dev");
	struct dirent *e;
	dm_err err = DM_OK;
	DIR *dir;
	size_t i;

	if (!dev)
		return dm_nomem();
	dir = opendir(dev);
	while (dir && err == DM_OK && (e = readdir(dir)) != NULL) {
		if (!strncmp(e->d_name, "nvidia", 6) && strcmp(e->d_name, "nvidia-caps"))
			err = add_node(r, root, e->d_name, 0);
	}
	if (dir)
		closedir(dir);
	free(dev);
	if (err != DM_OK)
		return err;
	/* Which nodes a CUDA process needs: only once the driver answered,
	 * since without one their absence says nothing new. */
	if (r->n_devices > 0 || r->nvml.init_rc == 0 || r->cuda.init_rc == 0) {
		if ((err = add_node(r, root, "nvidiactl", 1)) != DM_OK ||
		    (err = add_node(r, root, "nvidia-uvm", 1)) != DM_OK)
			return err;
		for (i = 0; i < r->n_devices; i++) {
			char name[32];
			int minor = r->devices[i].minor >= 0 ? r->devices[i].minor : r->devices[i].index;

			snprintf(name, sizeof(name), "nvidia%d", minor);
			if ((err = add_node(r, root, name, 1)) != DM_OK)
				return err;
		}
	}
	if (r->n_devnodes > 1)
		qsort(r->devnodes, r->n_devnodes, sizeof(*r->devnodes), devnode_cmp);
	return DM_OK;
}

static int is_exec(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* Looks for a program: on $PATH and the usual places on this machine, or
 * only in the usual places under a root. */
static dm_err find_program(char **out, const char *root, const char *name)
{
	static const char *const usual[] = { "/usr/bin", "/usr/sbin", "/usr/local/bin",
					     "/bin",     "/sbin",     "/usr/local/nvidia/toolkit",
					     NULL };
	const char *path = root[0] ? NULL : getenv("PATH");
	dm_buf b = DM_BUF_INIT;
	size_t i;

	*out = NULL;
	while (path && *path) {
		const char *colon = strchr(path, ':');
		size_t len = colon ? (size_t)(colon - path) : strlen(path);

		dm_buf_clear(&b);
		if (len && dm_buf_printf(&b, "%.*s/%s", (int)len, path, name) != DM_OK)
			goto nomem;
		if (len && is_exec(dm_buf_str(&b)))
			goto found;
		path = colon ? colon + 1 : NULL;
	}
	for (i = 0; usual[i]; i++) {
		dm_buf_clear(&b);
		if (dm_buf_printf(&b, "%s%s/%s", root, usual[i], name) != DM_OK)
			goto nomem;
		if (is_exec(dm_buf_str(&b)))
			goto found;
	}
	dm_buf_release(&b);
	return DM_OK;
found:
	*out = dm_buf_detach(&b);
	return *out ? DM_OK : dm_nomem();
nomem:
	dm_buf_release(&b);
	return dm_nomem();
}

static int has_suffix(const char *s, const char *suf)
{
	size_t ls = strlen(s), lf = strlen(suf);

	return ls >= lf && !strcmp(s + ls - lf, suf);
}

/* CDI specs (/etc/cdi, /var/run/cdi) whose kind is nvidia.com/gpu. */
static dm_err probe_cdi(dm_gpu_report *r, const char *root)
{
	static const char *const dirs[] = { "/etc/cdi", "/var/run/cdi", "/run/cdi", NULL };
	size_t i;

	for (i = 0; dirs[i]; i++) {
		char *dir = dm_gpu_join(root, dirs[i]);
		struct dirent *e;
		DIR *d;

		if (!dir)
			return dm_nomem();
		d = opendir(dir);
		while (d && (e = readdir(d)) != NULL) {
			char *path, *text = NULL, **specs;
			size_t len, k;
			int dup = 0;

			if (!has_suffix(e->d_name, ".yaml") && !has_suffix(e->d_name, ".json"))
				continue;
			path = dm_gpu_join(dir, e->d_name);
			if (!path)
				goto nomem;
			if (dm_read_file(&text, &len, path) != DM_OK || !strstr(text, "nvidia.com/gpu")) {
				free(text);
				free(path);
				continue;
			}
			free(text);
			/* /var/run is usually a link to /run */
			for (k = 0; k < r->n_cdi_specs; k++)
				dup |= !strcmp(strrchr(r->cdi_specs[k], '/'), strrchr(path, '/'));
			if (dup) {
				free(path);
				continue;
			}
			specs = realloc(r->cdi_specs, (r->n_cdi_specs + 1) * sizeof(*specs));
			if (!specs) {
				free(path);
				goto nomem;
			}
			r->cdi_specs = specs;
			specs[r->n_cdi_specs++] = path;
			continue;
		nomem:
			closedir(d);
			free(dir);
			return dm_nomem();
		}
		if (d)
			closedir(d);
		free(dir);
	}
	return DM_OK;
}

dm_err dm_gpu_probe_node(dm_gpu_report *r, const char *root)
{
	char *text = NULL;
	size_t len;
	dm_err err;
	const char *k8s = getenv("KUBERNETES_SERVICE_HOST");

	r->proc_version_path = dm_gpu_join(root, "/proc/driver/nvidia/version");
	if (!r->proc_version_path)
		return dm_nomem();
	err = dm_read_file(&text, &len, r->proc_version_path);
	if (err == DM_OK)
		module_version(r->kernel_module_version, sizeof(r->kernel_module_version), text);
	else if (err != DM_ERR_NOTFOUND && !(r->fact_error = strdup(dm_err_detail())))
		return dm_nomem();
	free(text);
	dm_err_clear();
	if ((err = probe_devnodes(r, root)) != DM_OK)
		return err;
	if ((err = find_program(&r->runtime_path, root, "nvidia-container-runtime")) != DM_OK ||
	    (err = find_program(&r->ctk_path, root, "nvidia-ctk")) != DM_OK ||
	    (err = find_program(&r->cli_path, root, "nvidia-container-cli")) != DM_OK)
		return err;
	if ((err = probe_cdi(r, root)) != DM_OK)
		return err;
	r->in_container = !root[0] && (access("/.dockerenv", F_OK) == 0 || access("/run/.containerenv", F_OK) == 0 ||
				       (k8s && *k8s));
	return DM_OK;
}
