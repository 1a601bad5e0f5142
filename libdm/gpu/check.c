/* libdm/gpu/check.c - the driver table and the rules that turn a report
 * into "ready" or a list of reasons, each with its fix.
 *
 * The tables are compiled in: they are NVIDIA's published facts (CUDA
 * release notes, "CUDA Toolkit and Corresponding Driver Versions" and the
 * minor-version compatibility section), not site configuration.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dm/gpu.h>
#include <dm/util.h>
#include "internal.h"

/* The caller's name for where a requirement came from (o->label), or plain words. */
static const char *source_name(const char *given, const char *plain)
{
	return given ? given : plain;
}

static const struct {
	int major, minor;
	const char *driver;
} min_drivers[] = {
	{ 9, 0, "384.81" },     { 9, 1, "390.46" },     { 9, 2, "396.26" },     { 10, 0, "410.48" },
	{ 10, 1, "418.39" },    { 10, 2, "440.33" },    { 11, 0, "450.51.05" }, { 11, 1, "455.23" },
	{ 11, 2, "460.27.03" }, { 11, 3, "465.19.01" }, { 11, 4, "470.42.01" }, { 11, 5, "495.29.05" },
	{ 11, 6, "510.39.01" }, { 11, 7, "515.43.04" }, { 11, 8, "520.61.05" }, { 12, 0, "525.60.13" },
	{ 12, 1, "530.30.02" }, { 12, 2, "535.54.03" }, { 12, 3, "545.23.06" }, { 12, 4, "550.54.14" },
	{ 12, 5, "555.42.02" }, { 12, 6, "560.28.03" }, { 12, 8, "570.26" },    { 12, 9, "575.51.03" },
	{ 13, 0, "580.65.06" },
};

const char *dm_gpu_min_driver(int major, int minor)
{
	size_t i;

	for (i = 0; i < sizeof(min_drivers) / sizeof(min_drivers[0]); i++) {
		if (min_drivers[i].major > major || (min_drivers[i].major == major && min_drivers[i].minor >= minor))
			return major >= 9 ? min_drivers[i].driver : NULL;
	}
	return NULL;
}

int dm_gpu_driver_cuda(const char *driver)
{
	int best = 0;
	size_t i;

	if (!driver || *driver < '0' || *driver > '9')
		return 0;
	for (i = 0; i < sizeof(min_drivers) / sizeof(min_drivers[0]); i++) {
		if (dm_gpu_version_cmp(driver, min_drivers[i].driver) >= 0)
			best = min_drivers[i].major * 1000 + min_drivers[i].minor * 10;
	}
	return best;
}

const char *dm_gpu_minor_compat_floor(int major)
{
	switch (major) {
	case 11: return "450.80.02";
	case 12: return "525.60.13";
	case 13: return "580";
	default: return NULL;
	}
}

void dm_gpu_cc_floor(int cuda_major, int *cc_major, int *cc_minor)
{
	*cc_major = 0;
	*cc_minor = 0;
	if (cuda_major == 9 || cuda_major == 10) {
		*cc_major = 3;
	} else if (cuda_major == 11) {
		*cc_major = 3;
		*cc_minor = 5;
	} else if (cuda_major == 12) {
		*cc_major = 5;
	} else if (cuda_major >= 13) {
		*cc_major = 7;
		*cc_minor = 5;
	}
}

int dm_gpu_version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		unsigned long x = strtoul(a, (char **)&a, 10);
		unsigned long y = strtoul(b, (char **)&b, 10);

		if (x != y)
			return x < y ? -1 : 1;
		a += *a == '.';
		b += *b == '.';
		if (*a && (*a < '0' || *a > '9'))
			a += strlen(a);
		if (*b && (*b < '0' || *b > '9'))
			b += strlen(b);
	}
	return 0;
}

dm_err dm_gpu_parse_xy(const char *text, int *major, int *minor)
{
	char *end;
	long x, y = 0;

	if (!text || text[0] < '0' || text[0] > '9')
		return dm_fail(DM_ERR_USAGE, "invalid version '%s' (expected X.Y, e.g. 12.0)", text ? text : "");
	x = strtol(text, &end, 10);
	if (*end == '.') {
		const char *m = end + 1;

		if (*m < '0' || *m > '9')
			return dm_fail(DM_ERR_USAGE, "invalid version '%s' (expected X.Y, e.g. 12.0)", text);
		y = strtol(m, &end, 10);
	}
	if (*end || x > 99 || y > 99)
		return dm_fail(DM_ERR_USAGE, "invalid version '%s' (expected X.Y, e.g. 12.0)", text);
	*major = (int)x;
	*minor = (int)y;
	return DM_OK;
}

const char *dm_gpu_nvml_code_name(int rc)
{
	switch (rc) {
	case 0: return "NVML_SUCCESS";
	case 1: return "NVML_ERROR_UNINITIALIZED";
	case 2: return "NVML_ERROR_INVALID_ARGUMENT";
	case 3: return "NVML_ERROR_NOT_SUPPORTED";
	case 4: return "NVML_ERROR_NO_PERMISSION";
	case 6: return "NVML_ERROR_NOT_FOUND";
	case 9: return "NVML_ERROR_DRIVER_NOT_LOADED";
	case 10: return "NVML_ERROR_TIMEOUT";
	case 11: return "NVML_ERROR_IRQ_ISSUE";
	case 12: return "NVML_ERROR_LIBRARY_NOT_FOUND";
	case 13: return "NVML_ERROR_FUNCTION_NOT_FOUND";
	case 14: return "NVML_ERROR_CORRUPTED_INFOROM";
	case 15: return "NVML_ERROR_GPU_IS_LOST";
	case 16: return "NVML_ERROR_RESET_REQUIRED";
	case 17: return "NVML_ERROR_OPERATING_SYSTEM";
	case 18: return "NVML_ERROR_LIB_RM_VERSION_MISMATCH";
	case 20: return "NVML_ERROR_MEMORY";
	case 999: return "NVML_ERROR_UNKNOWN";
	default: return "NVML_ERROR";
	}
}

const char *dm_gpu_cuda_code_name(int rc)
{
	switch (rc) {
	case 0: return "CUDA_SUCCESS";
	case 1: return "CUDA_ERROR_INVALID_VALUE";
	case 2: return "CUDA_ERROR_OUT_OF_MEMORY";
	case 3: return "CUDA_ERROR_NOT_INITIALIZED";
	case 4: return "CUDA_ERROR_DEINITIALIZED";
	case 34: return "CUDA_ERROR_STUB_LIBRARY";
	case 46: return "CUDA_ERROR_DEVICE_UNAVAILABLE";
	case 100: return "CUDA_ERROR_NO_DEVICE";
	case 101: return "CUDA_ERROR_INVALID_DEVICE";
	case 102: return "CUDA_ERROR_DEVICE_NOT_LICENSED";
	case 304: return "CUDA_ERROR_OPERATING_SYSTEM";
	case 803: return "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH";
	case 804: return "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE";
	case 999: return "CUDA_ERROR_UNKNOWN";
	default: return "CUDA_ERROR";
	}
}

/* NVML and CUresult codes the rules act on. */
#define NVML_NO_PERMISSION 4
#define NVML_DRIVER_NOT_LOADED 9
#define NVML_VERSION_MISMATCH 18
#define CU_STUB_LIBRARY 34
#define CU_NO_DEVICE 100
#define CU_SYSTEM_DRIVER_MISMATCH 803

static dm_err add(dm_gpu_verdict *v, dm_gpu_severity sev, const char *code, int device, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static dm_err add(dm_gpu_verdict *v, dm_gpu_severity sev, const char *code, int device, const char *fmt, ...)
{
	dm_gpu_reason *n = realloc(v->reasons, (v->n_reasons + 1) * sizeof(*n));
	va_list ap;
	int len;

	if (!n)
		return dm_nomem();
	v->reasons = n;
	n = &n[v->n_reasons];
	n->severity = sev;
	n->code = code;
	n->device = device;
	va_start(ap, fmt);
	len = vasprintf(&n->message, fmt, ap);
	va_end(ap);
	if (len < 0)
		return dm_nomem();
	v->n_reasons++;
	return DM_OK;
}

#define ADD(...)                                                                                                       \
	do {                                                                                                           \
		if ((err = add(__VA_ARGS__)) != DM_OK)                                                                 \
			goto done;                                                                                     \
	} while (0)

static void human_size(char *out, size_t n, long long bytes)
{
	snprintf(out, n, "%.1f GiB", (double)bytes / (1024.0 * 1024 * 1024));
}

static const char *gpu_label(char *out, size_t n, const dm_gpu_device *d)
{
	snprintf(out, n, "GPU %d%s%s%s", d->index, d->name[0] ? " (" : "", d->name, d->name[0] ? ")" : "");
	return out;
}

static int cc_less(int a_major, int a_minor, int b_major, int b_minor)
{
	return a_major < b_major || (a_major == b_major && a_minor < b_minor);
}

/* The one line about the driver libraries, or none when they answered.
 * Returns 1 when the driver cannot be used at all (nothing else to judge). */
static int driver_reason(dm_gpu_verdict *v, const dm_gpu_report *r, dm_err *errp)
{
	const dm_gpu_lib *nv = &r->nvml, *cu = &r->cuda;
	const char *lib_ver = nv->file_version[0] ? nv->file_version : cu->file_version;
	dm_err err = DM_OK;
	int fatal = 1;

	if (!nv->loaded && !cu->loaded) {
		ADD(v, DM_GPU_ERROR, "no-library", DM_GPU_UNKNOWN,
		    "no NVIDIA driver library: neither %s nor %s can be loaded: the driver is not installed, "
		    "or not mounted into this container (run it with the NVIDIA container runtime and "
		    "NVIDIA_DRIVER_CAPABILITIES=compute,utility, or request nvidia.com/gpu)",
		    nv->path ? nv->path : nv->soname, cu->path ? cu->path : cu->soname);
	} else if (cu->loaded && cu->init_rc == CU_STUB_LIBRARY) {
		ADD(v, DM_GPU_ERROR, "stub-library", DM_GPU_UNKNOWN,
		    "%s is the CUDA toolkit's stub library, not the driver (CUDA error 34, "
		    "CUDA_ERROR_STUB_LIBRARY): remove the toolkit's lib64/stubs folder from LD_LIBRARY_PATH "
		    "and ld.so.conf, and install the NVIDIA driver",
		    cu->resolved ? cu->resolved : cu->path);
	} else if ((nv->loaded && nv->init_rc == NVML_VERSION_MISMATCH) ||
		   (cu->loaded && cu->init_rc == CU_SYSTEM_DRIVER_MISMATCH)) {
		ADD(v, DM_GPU_ERROR, "version-mismatch", DM_GPU_UNKNOWN,
		    "driver library %s does not match the loaded kernel module %s (%s %d): reboot, or reload "
		    "the module ('rmmod nvidia_uvm nvidia_drm nvidia_modeset nvidia && modprobe nvidia')",
		    lib_ver[0] ? lib_ver : "(unknown version)",
		    r->kernel_module_version[0] ? r->kernel_module_version : "(unknown version)",
		    nv->init_rc == NVML_VERSION_MISMATCH ? "NVML error" : "CUDA error",
		    nv->init_rc == NVML_VERSION_MISMATCH ? NVML_VERSION_MISMATCH : CU_SYSTEM_DRIVER_MISMATCH);
	} else if (nv->loaded && nv->init_rc == NVML_DRIVER_NOT_LOADED) {
		ADD(v, DM_GPU_ERROR, "driver-not-loaded", DM_GPU_UNKNOWN,
		    "the NVIDIA kernel module is not loaded (NVML error 9, NVML_ERROR_DRIVER_NOT_LOADED): "
		    "load it with 'modprobe nvidia' (check 'dmesg | grep -i nvrm'), or reinstall the driver "
		    "for the running kernel");
	} else if (nv->loaded && nv->init_rc == NVML_NO_PERMISSION) {
		ADD(v, DM_GPU_ERROR, "no-permission", DM_GPU_UNKNOWN,
		    "no permission to open the GPU device nodes (NVML error 4, NVML_ERROR_NO_PERMISSION): "
		    "give this user read and write access to /dev/nvidiactl and /dev/nvidia* (e.g. the "
		    "'video' group, or NVreg_DeviceFileMode=0666)");
	} else if ((nv->loaded && nv->init_rc == 0 && r->nvml_count == 0) ||
		   (cu->loaded && cu->init_rc == CU_NO_DEVICE)) {
		ADD(v, DM_GPU_ERROR, "no-device", DM_GPU_UNKNOWN,
		    "no CUDA-capable device found (%s): check 'lspci | grep -i nvidia' on the host, and that "
		    "this container was given a GPU (nvidia.com/gpu limit, NVIDIA_VISIBLE_DEVICES)",
		    cu->init_rc == CU_NO_DEVICE ? "CUDA error 100, CUDA_ERROR_NO_DEVICE" : "NVML counts 0 GPUs");
	} else if (nv->loaded && nv->init_rc != 0) {
		ADD(v, DM_GPU_ERROR, "nvml-error", DM_GPU_UNKNOWN,
		    "NVML cannot start: error %d (%s): see 'nvidia-smi' and 'dmesg | grep -i nvrm'", nv->init_rc,
		    nv->init_error);
	} else if (cu->loaded && cu->init_rc != 0) {
		ADD(v, DM_GPU_ERROR, "cuda-error", DM_GPU_UNKNOWN,
		    "the CUDA driver cannot start: cuInit returned %d (%s): see 'dmesg | grep -i nvrm'", cu->init_rc,
		    cu->init_error);
	} else {
		fatal = 0;
	}
	if (fatal || err != DM_OK)
		goto done;
	if (!cu->loaded) {
		ADD(v, DM_GPU_ERROR, "no-cuda-library", DM_GPU_UNKNOWN,
		    "NVML works but %s cannot be loaded (%s): CUDA programs cannot run; install the driver's "
		    "CUDA library (libnvidia-compute / nvidia-driver-libs) or, in a container, set "
		    "NVIDIA_DRIVER_CAPABILITIES=compute,utility",
		    cu->path ? cu->path : cu->soname, cu->load_error ? cu->load_error : "not found");
		fatal = 1;
	} else if (!nv->loaded) {
		ADD(v, DM_GPU_WARNING, "no-nvml", DM_GPU_UNKNOWN,
		    "%s cannot be loaded (%s): MIG, ECC, persistence and temperature are not known and not "
		    "checked; install the driver's NVML library (libnvidia-ml)",
		    nv->path ? nv->path : nv->soname, nv->load_error ? nv->load_error : "not found");
	}
done:
	*errp = err;
	return fatal;
}

static dm_err devnode_reasons(dm_gpu_verdict *v, const dm_gpu_report *r)
{
	dm_err err = DM_OK;
	size_t i;

	for (i = 0; i < r->n_devnodes; i++) {
		const dm_gpu_devnode *n = &r->devnodes[i];
		const char *base = strrchr(n->path, '/') + 1;

		if (n->required && !n->exists) {
			if (!strcmp(base, "nvidia-uvm"))
				ADD(v, DM_GPU_ERROR, "missing-device-node", DM_GPU_UNKNOWN,
				    "%s is missing: CUDA needs the nvidia-uvm module; run 'modprobe nvidia-uvm' and "
				    "'nvidia-modprobe -u -c=0' (or start persistenced), or mount it into the container",
				    n->path);
			else
				ADD(v, DM_GPU_ERROR, "missing-device-node", DM_GPU_UNKNOWN,
				    "%s is missing: create it with 'nvidia-modprobe -c=0' (or 'nvidia-smi' as root), "
				    "or mount it into the container (the NVIDIA container runtime does)",
				    n->path);
		} else if (n->exists && !n->access_ok) {
			ADD(v, DM_GPU_ERROR, "no-permission", DM_GPU_UNKNOWN,
			    "%s is not readable and writable by this user: add the user to the group owning it "
			    "(often 'video') or load the driver with NVreg_DeviceFileMode=0666",
			    n->path);
		}
	}
done:
	return err;
}

static dm_err cuda_rule(dm_gpu_verdict *v, const dm_gpu_report *r)
{
	int drv_major = r->cuda_version / 1000, drv_minor = (r->cuda_version % 1000) / 10;
	const char *floor = dm_gpu_minor_compat_floor(v->cuda_major);
	const char *drv = r->driver_version[0] ? r->driver_version : "(unknown version)";
	char need[64];
	dm_err err = DM_OK;

	v->min_driver = dm_gpu_min_driver(v->cuda_major, v->cuda_minor);
	if (v->min_driver)
		snprintf(need, sizeof(need), "driver %s or newer", v->min_driver);
	else
		snprintf(need, sizeof(need), "a driver that supports CUDA %d.%d", v->cuda_major, v->cuda_minor);
	if (r->cuda_version <= 0) {
		ADD(v, DM_GPU_ERROR, "cuda-version-unknown", DM_GPU_UNKNOWN,
		    "the driver did not say which CUDA version it supports, so CUDA %d.%d (from %s) cannot "
		    "be confirmed: update the driver to %s",
		    v->cuda_major, v->cuda_minor, v->cuda_from, need);
		goto done;
	}
	if (drv_major > v->cuda_major || (drv_major == v->cuda_major && drv_minor >= v->cuda_minor))
		goto done;
	if (floor && drv_major == v->cuda_major && r->driver_version[0] &&
	    dm_gpu_version_cmp(r->driver_version, floor) >= 0) {
		v->minor_compat = 1;
		ADD(v, DM_GPU_WARNING, "minor-version-compat", DM_GPU_UNKNOWN,
		    "driver %s supports CUDA %d.%d, below the %d.%d asked for: it runs through CUDA minor-version "
		    "compatibility (any %d.x driver >= %s), but features new in %d.%d and PTX built by the newer "
		    "toolkit will not work; for full support install %s",
		    drv, drv_major, drv_minor, v->cuda_major, v->cuda_minor, v->cuda_major, floor, v->cuda_major,
		    v->cuda_minor, need);
		goto done;
	}
	if (floor && drv_major == v->cuda_major)
		ADD(v, DM_GPU_ERROR, "driver-too-old", DM_GPU_UNKNOWN,
		    "driver %s supports CUDA %d.%d, but CUDA %d.%d needs %s (minor-version compatibility "
		    "needs at least %s)",
		    drv, drv_major, drv_minor, v->cuda_major, v->cuda_minor, need, floor);
	else
		ADD(v, DM_GPU_ERROR, "driver-too-old", DM_GPU_UNKNOWN,
		    "driver %s supports CUDA %d.%d, but CUDA %d.%d needs %s: upgrade the NVIDIA driver", drv, drv_major,
		    drv_minor, v->cuda_major, v->cuda_minor, need);
done:
	return err;
}

static dm_err device_reasons(dm_gpu_verdict *v, const dm_gpu_report *r, const dm_gpu_check_opts *o, int *device_bad)
{
	dm_err err = DM_OK;
	char label[160], a[32], b[32];
	size_t i;

	for (i = 0; i < r->n_devices; i++) {
		const dm_gpu_device *d = &r->devices[i];
		size_t before = v->n_reasons;

		gpu_label(label, sizeof(label), d);
		if (d->mig_mode == 1)
			ADD(v, DM_GPU_ERROR, "mig-enabled", d->index,
			    "%s has MIG mode enabled: a whole-GPU request (nvidia.com/gpu) cannot use it; disable it "
			    "with 'nvidia-smi -i %d -mig 0' (then reset the GPU), or serve MIG slices through the "
			    "device plugin's MIG strategy",
			    label, d->index);
		if (d->compute_mode == DM_GPU_COMPUTE_PROHIBITED)
			ADD(v, DM_GPU_ERROR, "compute-prohibited", d->index,
			    "%s is in compute mode Prohibited: no CUDA context can be created on it; set "
			    "'nvidia-smi -i %d -c DEFAULT'",
			    label, d->index);
		if (d->ecc_uncorrected_volatile > 0)
			ADD(v, DM_GPU_ERROR, "ecc-errors", d->index,
			    "%s has %lld uncorrected ECC errors since the driver loaded: drain the node and reset the "
			    "GPU ('nvidia-smi -i %d -r') or reboot; if they come back, replace the GPU",
			    label, d->ecc_uncorrected_volatile, d->index);
		if (o->min_memory > 0 && d->mem_free >= 0 && (uint64_t)d->mem_free < o->min_memory) {
			human_size(a, sizeof(a), d->mem_free);
			human_size(b, sizeof(b), (long long)o->min_memory);
			ADD(v, DM_GPU_ERROR, "low-memory", d->index,
			    "%s has %s free, below %s %s: stop the processes holding it (see "
			    "'nvidia-smi --query-compute-apps=pid,used_memory --format=csv')",
			    label, a, source_name(o->label.min_memory, "the minimum free memory of"), b);
		} else if (o->min_memory > 0 && d->mem_free < 0) {
			ADD(v, DM_GPU_WARNING, "memory-unknown", d->index,
			    "%s: free memory is not known, %s not checked", label,
			    source_name(o->label.min_memory, "the minimum free memory"));
		}
		if (v->cc_major > 0 && d->cc_major >= 0 &&
		    cc_less(d->cc_major, d->cc_minor, v->cc_major, v->cc_minor)) {
			if (v->cuda_major > 0)
				ADD(v, DM_GPU_ERROR, "cc-too-low", d->index,
				    "%s has compute capability %d.%d, below the %d.%d that %s needs: use an image "
				    "built for an older CUDA, or schedule the notebook on a newer GPU",
				    label, d->cc_major, d->cc_minor, v->cc_major, v->cc_minor,
				    o->min_cc_major ? source_name(o->label.min_cc, "the compute capability asked for")
						    : "the CUDA version asked for");
			else
				ADD(v, DM_GPU_ERROR, "cc-too-low", d->index,
				    "%s has compute capability %d.%d, below %s %d.%d: schedule the notebook on "
				    "a newer GPU",
				    label, d->cc_major, d->cc_minor,
				    source_name(o->label.min_cc, "the minimum compute capability"), v->cc_major,
				    v->cc_minor);
		}
		if (v->n_reasons > before)
			device_bad[i] = 1;
	}
done:
	return err;
}

static void requirement(dm_gpu_verdict *v, const dm_gpu_check_opts *o);

dm_err dm_gpu_check(dm_gpu_verdict **out, const dm_gpu_report *r, const dm_gpu_check_opts *o)
{
	dm_gpu_check_opts none = DM_GPU_CHECK_OPTS_INIT;
	dm_gpu_verdict *v;
	int *device_bad = NULL;
	dm_err err = DM_OK;
	size_t i;
	int fatal;

	*out = NULL;
	if (!o)
		o = &none;
	v = calloc(1, sizeof(*v));
	if (!v)
		return dm_nomem();
	requirement(v, o);

	fatal = driver_reason(v, r, &err);
	if (err != DM_OK)
		goto done;
	if (!fatal) {
		device_bad = calloc(r->n_devices + 1, sizeof(*device_bad));
		if (!device_bad) {
			err = dm_nomem();
			goto done;
		}
		if ((err = devnode_reasons(v, r)) != DM_OK)
			goto done;
		if (v->cuda_major > 0 && (err = cuda_rule(v, r)) != DM_OK)
			goto done;
		if ((err = device_reasons(v, r, o, device_bad)) != DM_OK)
			goto done;
		for (i = 0; i < o->n_smoke; i++) {
			const dm_gpu_smoke_result *s = &o->smoke_results[i];
			int idx = DM_GPU_UNKNOWN;
			size_t k;

			for (k = 0; k < r->n_devices; k++) {
				if (r->devices[k].cuda_index == s->cuda_index) {
					idx = r->devices[k].index;
					if (!s->ok)
						device_bad[k] = 1;
				}
			}
			if (!s->ok && s->runtime_version > r->cuda_version && r->cuda_version > 0)
				ADD(v, DM_GPU_ERROR, "smoke-failed", idx,
				    "the smoke test on CUDA device %d failed: %s; this dm-gpu was built with CUDA "
				    "%d.%d, newer than the driver's %d.%d: rebuild it with an older toolkit, or "
				    "upgrade the driver",
				    s->cuda_index, s->error, s->runtime_version / 1000,
				    (s->runtime_version % 1000) / 10, r->cuda_version / 1000,
				    (r->cuda_version % 1000) / 10);
			else if (!s->ok)
				ADD(v, DM_GPU_ERROR, "smoke-failed", idx, "the smoke test on CUDA device %d failed: %s",
				    s->cuda_index, s->error);
		}
		if (!r->runtime_path && !r->ctk_path && !r->n_cdi_specs && !r->in_container)
			ADD(v, DM_GPU_WARNING, "no-container-runtime", DM_GPU_UNKNOWN,
			    "no NVIDIA container runtime found (nvidia-container-runtime, nvidia-ctk or a CDI spec "
			    "for nvidia.com/gpu): pods on this node cannot be given GPUs; install "
			    "nvidia-container-toolkit and run 'nvidia-ctk runtime configure'");
		if (r->k8s_error)
			; /* reported below, whatever the driver said */
		else if (r->k8s_node && r->k8s_allocatable <= 0)
			ADD(v, DM_GPU_ERROR, "no-allocatable-gpu", DM_GPU_UNKNOWN,
			    "Kubernetes node '%s' offers no nvidia.com/gpu (allocatable 0): deploy the NVIDIA "
			    "device plugin (or the GPU operator) and check its pod's log on this node",
			    r->k8s_node);
		else if (r->k8s_node && (size_t)r->k8s_allocatable < r->n_devices)
			ADD(v, DM_GPU_WARNING, "allocatable-below-gpus", DM_GPU_UNKNOWN,
			    "Kubernetes node '%s' offers %lld nvidia.com/gpu but %zu GPUs are here: some are "
			    "unhealthy or held back by the device plugin (see its log)",
			    r->k8s_node, r->k8s_allocatable, r->n_devices);
		for (i = 0; i < r->n_devices; i++)
			v->ready_devices += !device_bad[i];
	}
	/* a Kubernetes problem is its own reason: a broken driver must not hide it */
	if (r->k8s_error)
		ADD(v, DM_GPU_ERROR, "kubernetes-node", DM_GPU_UNKNOWN, "cannot read node '%s' from Kubernetes: %s",
		    r->k8s_node ? r->k8s_node : "", r->k8s_error);
	if (r->fact_error)
		ADD(v, DM_GPU_ERROR, "unreadable-fact", DM_GPU_UNKNOWN,
		    "%s: the driver's facts cannot be trusted; check what the file is (ls -l)", r->fact_error);
	if (o->smoke && !o->smoke_built)
		ADD(v, DM_GPU_ERROR, "smoke-unavailable", DM_GPU_UNKNOWN,
		    "%s asked for, but this program was built without the CUDA toolkit: rebuild where CMake "
		    "finds nvcc (e.g. with /usr/local/cuda/bin on PATH)",
		    source_name(o->label.smoke, "the smoke test"));
	v->ready = 1;
	for (i = 0; i < v->n_reasons; i++)
		v->ready &= v->reasons[i].severity != DM_GPU_ERROR;
done:
	free(device_bad);
	if (err != DM_OK) {
		dm_gpu_verdict_free(v);
		return err;
	}
	*out = v;
	return DM_OK;
}

/* The requirement of o in v: CUDA (the higher of the version asked for and the image's) and
 * the compute capability floor. */
static void requirement(dm_gpu_verdict *v, const dm_gpu_check_opts *o)
{
	v->cuda_from = "";
	v->cuda_major = o->cuda_major;
	v->cuda_minor = o->cuda_minor;
	if (o->cuda_major)
		v->cuda_from = source_name(o->label.cuda, "the CUDA version asked for");
	if (o->image && cc_less(v->cuda_major, v->cuda_minor, o->image->cuda_major, o->image->cuda_minor)) {
		v->cuda_major = o->image->cuda_major;
		v->cuda_minor = o->image->cuda_minor;
		v->cuda_from = source_name(o->label.image, "the image");
	}
	dm_gpu_cc_floor(v->cuda_major, &v->cc_major, &v->cc_minor);
	if (cc_less(v->cc_major, v->cc_minor, o->min_cc_major, o->min_cc_minor)) {
		v->cc_major = o->min_cc_major;
		v->cc_minor = o->min_cc_minor;
	}
	if (o->image && cc_less(v->cc_major, v->cc_minor, o->image->min_cc_major, o->image->min_cc_minor)) {
		v->cc_major = o->image->min_cc_major;
		v->cc_minor = o->image->min_cc_minor;
	}
}

/* Moves the reasons of one node (scratch verdict n) into v, "node 'NAME': " before each;
 * errors become warnings when demote. */
static dm_err take_node_reasons(dm_gpu_verdict *v, dm_gpu_verdict *n, const char *node, int demote)
{
	dm_err err = DM_OK;
	size_t i;

	for (i = 0; i < n->n_reasons; i++)
		ADD(v, demote ? DM_GPU_WARNING : n->reasons[i].severity, n->reasons[i].code, DM_GPU_UNKNOWN,
		    "node '%s': %s", node, n->reasons[i].message);
done:
	return err;
}

/* The CUDA rule for one GPU node, in scratch verdict n (requirement copied from v). */
static dm_err node_cuda(dm_gpu_verdict *n, const dm_gpu_verdict *v, const dm_gpu_node_info *nd,
			const dm_gpu_check_opts *o)
{
	const char *image = o->image ? o->image->name : NULL;
	char there[256] = "";
	dm_gpu_report r;
	dm_err err = DM_OK;

	n->cuda_major = v->cuda_major;
	n->cuda_minor = v->cuda_minor;
	n->cuda_from = v->cuda_from;
	if (!nd->driver_version[0] && nd->cuda_version <= 0) {
		if (o->label.node_check)
			snprintf(there, sizeof(there), ", or run '%s %s' on the node", o->label.node_check,
				 image ? image : "X.Y");
		else
			snprintf(there, sizeof(there), ", or check the driver on the node itself");
		ADD(n, DM_GPU_ERROR, "driver-version-unknown", DM_GPU_UNKNOWN,
		    "offers %lld nvidia.com/gpu, but no label says its driver version "
		    "(nvidia.com/cuda.driver-version.* "
		    "or nvidia.com/cuda.driver.*), so CUDA %d.%d cannot be confirmed: deploy NVIDIA GPU feature "
		    "discovery (the GPU operator does)%s",
		    nd->allocatable, v->cuda_major, v->cuda_minor, there);
		goto done;
	}
	memset(&r, 0, sizeof(r));
	dm_gpu_copy(r.driver_version, sizeof(r.driver_version), nd->driver_version);
	r.cuda_version = nd->cuda_version;
	err = cuda_rule(n, &r);
done:
	return err;
}

dm_err dm_gpu_check_cluster(dm_gpu_verdict **out, const dm_gpu_cluster *c, const dm_gpu_check_opts *o)
{
	dm_gpu_check_opts none = DM_GPU_CHECK_OPTS_INIT;
	dm_gpu_verdict *v, **per = NULL;
	dm_buf names = DM_BUF_INIT;
	dm_err err = DM_OK;
	size_t i, gpu_nodes = 0;
	int any_ready = 0;

	*out = NULL;
	if (!o)
		o = &none;
	v = calloc(1, sizeof(*v));
	per = calloc(c->n + 1, sizeof(*per));
	if (!v || !per) {
		free(per);
		free(v);
		return dm_nomem();
	}
	requirement(v, o);
	for (i = 0; i < c->n; i++) {
		const dm_gpu_node_info *nd = &c->nodes[i];
		size_t k;
		int bad = 0;

		if (nd->allocatable <= 0)
			continue;
		gpu_nodes++;
		if (!(per[i] = calloc(1, sizeof(*per[i])))) {
			err = dm_nomem();
			goto done;
		}
		if (v->cuda_major > 0 && (err = node_cuda(per[i], v, nd, o)) != DM_OK)
			goto done;
		for (k = 0; k < per[i]->n_reasons; k++)
			bad |= per[i]->reasons[k].severity == DM_GPU_ERROR;
		if (!bad) {
			any_ready = 1;
			v->ready_devices += (int)nd->allocatable;
			v->minor_compat |= per[i]->minor_compat;
		}
		per[i]->ready = !bad;
	}
	v->min_driver = v->cuda_major > 0 ? dm_gpu_min_driver(v->cuda_major, v->cuda_minor) : NULL;
	if (!gpu_nodes) {
		for (i = 0; i < c->n && i < 8; i++)
			dm_buf_printf(&names, "%s'%s'", i ? ", " : "", c->nodes[i].name);
		if (c->n > 8)
			dm_buf_printf(&names, ", ...");
		if (c->n == 0)
			ADD(v, DM_GPU_ERROR, "no-allocatable-gpu", DM_GPU_UNKNOWN,
			    "the cluster has no node, so none offers nvidia.com/gpu");
		else
			ADD(v, DM_GPU_ERROR, "no-allocatable-gpu", DM_GPU_UNKNOWN,
			    "no node of the cluster offers nvidia.com/gpu (%zu node%s: %s, allocatable 0): deploy the "
			    "NVIDIA device plugin (or the GPU operator) on the GPU nodes and check its pods' logs",
			    c->n, c->n == 1 ? "" : "s", dm_buf_str(&names) ? dm_buf_str(&names) : "");
	}
	/* the ready nodes' warnings first, then what keeps the others out */
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < c->n; i++) {
			if (per[i] && per[i]->ready == !pass &&
			    (err = take_node_reasons(v, per[i], c->nodes[i].name, any_ready)) != DM_OK)
				goto done;
		}
	}
	v->ready = 1;
	for (i = 0; i < v->n_reasons; i++)
		v->ready &= v->reasons[i].severity != DM_GPU_ERROR;
done:
	for (i = 0; i < c->n; i++)
		dm_gpu_verdict_free(per[i]);
	free(per);
	dm_buf_release(&names);
	if (err != DM_OK) {
		dm_gpu_verdict_free(v);
		return err;
	}
	*out = v;
	return DM_OK;
}

void dm_gpu_verdict_free(dm_gpu_verdict *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n_reasons; i++)
		free(v->reasons[i].message);
	free(v->reasons);
	free(v);
}
