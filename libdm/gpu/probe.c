/* libdm/gpu/probe.c - NVML and CUDA driver API facts, through dlopen.
 *
 * The prototypes and structures below are declared here on purpose (no
 * nvml.h / cuda.h at build time); they follow the ABI NVIDIA has kept
 * stable since the 384 drivers.  Each symbol is looked up newest version
 * first, so an old driver still answers through the older entry point.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dm/gpu.h>
#include "internal.h"

/* NVML return codes used for decisions (nvmlReturn_t). */
#define NVML_SUCCESS 0
#define NVML_ERROR_NOT_SUPPORTED 3

/* NVML enums. */
#define NVML_CLOCK_SM 1
#define NVML_CLOCK_MEM 2
#define NVML_MEMORY_ERROR_TYPE_UNCORRECTED 1
#define NVML_VOLATILE_ECC 0
#define NVML_TEMPERATURE_GPU 0

typedef struct {
	unsigned long long total, free, used;
} nvml_memory_v1;

typedef struct {
	unsigned int version;
	unsigned long long total, reserved, free, used;
} nvml_memory_v2;
/* NVML_STRUCT_VERSION(Memory, 2) */
#define NVML_MEMORY_V2_VERSION ((unsigned)(sizeof(nvml_memory_v2) | (2u << 24)))

typedef struct {
	unsigned int gpu, memory;
} nvml_utilization;

/* nvmlPciInfo_t: v1 ended after five uints and four reserved ones; v2/v3
 * renamed the first field busIdLegacy and appended busId[32]. */
typedef struct {
	char bus_id_legacy[16];
	unsigned int domain, bus, device, pci_device_id, pci_subsystem_id;
	char bus_id[32];
} nvml_pci_info;

typedef void *nvml_device;
typedef int cu_device;
typedef void *cu_context;

struct nvml_api {
	int (*init)(void);
	int (*shutdown)(void);
	const char *(*error_string)(int);
	int (*driver_version)(char *, unsigned);
	int (*cuda_version)(int *);
	int (*nvml_version)(char *, unsigned);
	int (*count)(unsigned *);
	int (*handle)(unsigned, nvml_device *);
	int (*name)(nvml_device, char *, unsigned);
	int (*uuid)(nvml_device, char *, unsigned);
	int (*pci)(nvml_device, void *);
	int pci_v1;
	int (*cc)(nvml_device, int *, int *);
	int (*mem2)(nvml_device, nvml_memory_v2 *);
	int (*mem1)(nvml_device, nvml_memory_v1 *);
	int (*max_clock)(nvml_device, int, unsigned *);
	int (*mig)(nvml_device, unsigned *, unsigned *);
	int (*compute_mode)(nvml_device, int *);
	int (*persistence)(nvml_device, int *);
	int (*ecc_mode)(nvml_device, int *, int *);
	int (*ecc_total)(nvml_device, int, int, unsigned long long *);
	int (*temperature)(nvml_device, int, unsigned *);
	int (*utilization)(nvml_device, nvml_utilization *);
	int (*minor)(nvml_device, unsigned *);
};

struct cuda_api {
	int (*init)(unsigned);
	int (*driver_version)(int *);
	int (*count)(int *);
	int (*get)(cu_device *, int);
	int (*error_name)(int, const char **);
	int (*error_string)(int, const char **);
	int (*name)(char *, int, cu_device);
	int (*uuid)(unsigned char *, cu_device);
	int (*total_mem2)(size_t *, cu_device);
	int (*total_mem1)(unsigned *, cu_device);
	int (*attribute)(int *, int, cu_device);
	int (*bus_id)(char *, int, cu_device);
	int (*ctx_retain)(cu_context *, cu_device);
	int (*ctx_release)(cu_device);
	int (*ctx_set_current)(cu_context);
	int (*mem_info)(size_t *, size_t *);
};

/* CUdevice_attribute values. */
#define CU_ATTR_CLOCK_RATE 13
#define CU_ATTR_MULTIPROCESSOR_COUNT 16
#define CU_ATTR_COMPUTE_MODE 20
#define CU_ATTR_ECC_ENABLED 32
#define CU_ATTR_MEMORY_CLOCK_RATE 36
#define CU_ATTR_CC_MAJOR 75
#define CU_ATTR_CC_MINOR 76

/* Looks up the first of the candidates that the library has.  When none is
 * there and optional is set, the first name is recorded as missing. */
static void *sym(dm_gpu_lib *lib, void *h, int optional, const char *const *names)
{
	size_t i;

	for (i = 0; names[i]; i++) {
		void *p = dlsym(h, names[i]);

		if (p)
			return p;
	}
	if (optional && lib->n_missing < DM_GPU_MISSING_MAX)
		lib->missing[lib->n_missing++] = names[0];
	return NULL;
}

#define SYM(lib, h, opt, ...) sym((lib), (h), (opt), (const char *const[]){ __VA_ARGS__, NULL })

static int set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? strdup(s) : NULL;
	return !s || *dst;
}

/* "libnvidia-ml.so.535.54.03" -> "535.54.03" */
static void file_version(char *out, size_t n, const char *path)
{
	const char *base = strrchr(path, '/');
	const char *so;

	out[0] = '\0';
	base = base ? base + 1 : path;
	so = strstr(base, ".so.");
	if (!so)
		return;
	so += 4;
	if (so[0] >= '0' && so[0] <= '9' && strchr(so, '.'))
		dm_gpu_copy(out, n, so);
}

/* Chooses the path (option, environment, soname) and opens it. */
static dm_err open_lib(dm_gpu_lib *lib, void **handle, const char *soname, const char *opt, const char *env)
{
	const char *val = opt;
	const char *from = "option";
	struct link_map *lm = NULL;
	void *h;

	lib->soname = soname;
	lib->init_rc = DM_GPU_UNKNOWN;
	if (!val || !*val) {
		val = getenv(env);
		from = env;
	}
	if (!val || !*val) {
		val = soname;
		from = "default";
	} else if (val[0] != '/') {
		return dm_fail(DM_ERR_USAGE, "%s must be an absolute path to %s, not '%s'",
			       strcmp(from, "option") ? env : "the library path", soname, val);
	}
	lib->path_from = from;
	if (!set_str(&lib->path, val))
		return dm_nomem();
	h = dlopen(val, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();

		return set_str(&lib->load_error, e ? e : "cannot be loaded") ? DM_OK : dm_nomem();
	}
	*handle = h;
	if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name && lm->l_name[0]) {
		char real[PATH_MAX];

		if (!set_str(&lib->resolved, realpath(lm->l_name, real) ? real : lm->l_name))
			return dm_nomem();
	} else if (!set_str(&lib->resolved, val)) {
		return dm_nomem();
	}
	file_version(lib->file_version, sizeof(lib->file_version), lib->resolved);
	return DM_OK;
}

static dm_err required_missing(dm_gpu_lib *lib, const char *what)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "%s has no %s (not a driver library?)", lib->resolved ? lib->resolved : lib->path,
		 what);
	return set_str(&lib->load_error, msg) ? DM_OK : dm_nomem();
}

static dm_gpu_device *add_device(dm_gpu_report *r)
{
	dm_gpu_device *d;
	dm_gpu_device *n = realloc(r->devices, (r->n_devices + 1) * sizeof(*n));

	if (!n)
		return NULL;
	r->devices = n;
	d = &n[r->n_devices];
	memset(d, 0, sizeof(*d));
	d->index = (int)r->n_devices;
	d->cuda_index = d->minor = DM_GPU_UNKNOWN;
	d->cc_major = d->cc_minor = DM_GPU_UNKNOWN;
	d->mem_total = d->mem_free = DM_GPU_UNKNOWN;
	d->sm_count = d->clock_sm_mhz = d->clock_mem_mhz = DM_GPU_UNKNOWN;
	d->mig_mode = d->mig_pending = d->compute_mode = DM_GPU_UNKNOWN;
	d->persistence = d->ecc_mode = DM_GPU_UNKNOWN;
	d->ecc_uncorrected_volatile = DM_GPU_UNKNOWN;
	d->temperature_c = d->util_gpu = d->util_mem = DM_GPU_UNKNOWN;
	r->n_devices++;
	return d;
}

static void nvml_device_facts(const struct nvml_api *a, nvml_device h, dm_gpu_device *d)
{
	char buf[256];
	unsigned u1, u2;
	int i1, i2;
	unsigned long long ull;

	if (a->name && a->name(h, buf, 96) == NVML_SUCCESS)
		dm_gpu_copy(d->name, sizeof(d->name), buf);
	if (a->uuid && a->uuid(h, buf, 96) == NVML_SUCCESS)
		dm_gpu_copy(d->uuid, sizeof(d->uuid), buf);
	if (a->pci) {
		union {
			nvml_pci_info info;
			unsigned char room[256];
		} pci;

		memset(&pci, 0, sizeof(pci));
		if (a->pci(h, &pci) == NVML_SUCCESS) {
			if (!a->pci_v1 && pci.info.bus_id[0])
				dm_gpu_copy(d->pci_bus_id, sizeof(d->pci_bus_id), pci.info.bus_id);
			else
				snprintf(d->pci_bus_id, sizeof(d->pci_bus_id), "%08X:%02X:%02X.0", pci.info.domain,
					 pci.info.bus, pci.info.device);
		}
	}
	if (a->cc && a->cc(h, &i1, &i2) == NVML_SUCCESS) {
		d->cc_major = i1;
		d->cc_minor = i2;
	}
	if (a->mem2) {
		nvml_memory_v2 m;

		memset(&m, 0, sizeof(m));
		m.version = NVML_MEMORY_V2_VERSION;
		if (a->mem2(h, &m) == NVML_SUCCESS) {
			d->mem_total = (long long)m.total;
			d->mem_free = (long long)m.free;
		}
	}
	if (d->mem_total < 0 && a->mem1) {
		nvml_memory_v1 m;

		if (a->mem1(h, &m) == NVML_SUCCESS) {
			d->mem_total = (long long)m.total;
			d->mem_free = (long long)m.free;
		}
	}
	if (a->max_clock && a->max_clock(h, NVML_CLOCK_SM, &u1) == NVML_SUCCESS)
		d->clock_sm_mhz = (int)u1;
	if (a->max_clock && a->max_clock(h, NVML_CLOCK_MEM, &u1) == NVML_SUCCESS)
		d->clock_mem_mhz = (int)u1;
	if (a->mig && a->mig(h, &u1, &u2) == NVML_SUCCESS) {
		d->mig_mode = (int)u1;
		d->mig_pending = (int)u2;
	}
	if (a->compute_mode && a->compute_mode(h, &i1) == NVML_SUCCESS)
		d->compute_mode = i1;
	if (a->persistence && a->persistence(h, &i1) == NVML_SUCCESS)
		d->persistence = i1;
	if (a->ecc_mode && a->ecc_mode(h, &i1, &i2) == NVML_SUCCESS)
		d->ecc_mode = i1;
	if (a->ecc_total && d->ecc_mode != 0 &&
	    a->ecc_total(h, NVML_MEMORY_ERROR_TYPE_UNCORRECTED, NVML_VOLATILE_ECC, &ull) == NVML_SUCCESS)
		d->ecc_uncorrected_volatile = (long long)ull;
	if (a->temperature && a->temperature(h, NVML_TEMPERATURE_GPU, &u1) == NVML_SUCCESS)
		d->temperature_c = (int)u1;
	if (a->utilization) {
		nvml_utilization ut;

		if (a->utilization(h, &ut) == NVML_SUCCESS) {
			d->util_gpu = (int)ut.gpu;
			d->util_mem = (int)ut.memory;
		}
	}
	if (a->minor && a->minor(h, &u1) == NVML_SUCCESS)
		d->minor = (int)u1;
}

static dm_err probe_nvml(dm_gpu_report *r, void *h)
{
	dm_gpu_lib *lib = &r->nvml;
	struct nvml_api a;
	unsigned count = 0, i;
	char buf[96];
	int v;

	memset(&a, 0, sizeof(a));
	a.init = (int (*)(void))SYM(lib, h, 0, "nvmlInit_v2", "nvmlInit");
	a.shutdown = (int (*)(void))SYM(lib, h, 0, "nvmlShutdown");
	a.count = (int (*)(unsigned *))SYM(lib, h, 0, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount");
	a.handle = (int (*)(unsigned, nvml_device *))SYM(lib, h, 0, "nvmlDeviceGetHandleByIndex_v2",
							 "nvmlDeviceGetHandleByIndex");
	if (!a.init || !a.shutdown || !a.count || !a.handle)
		return required_missing(lib, !a.init       ? "nvmlInit"
					     : !a.shutdown ? "nvmlShutdown"
					     : !a.count    ? "nvmlDeviceGetCount"
							   : "nvmlDeviceGetHandleByIndex");
	lib->loaded = 1;
	a.error_string = (const char *(*)(int))SYM(lib, h, 1, "nvmlErrorString");
	a.driver_version = (int (*)(char *, unsigned))SYM(lib, h, 1, "nvmlSystemGetDriverVersion");
	a.cuda_version =
		(int (*)(int *))SYM(lib, h, 1, "nvmlSystemGetCudaDriverVersion_v2", "nvmlSystemGetCudaDriverVersion");
	a.nvml_version = (int (*)(char *, unsigned))SYM(lib, h, 1, "nvmlSystemGetNVMLVersion");
	a.name = (int (*)(nvml_device, char *, unsigned))SYM(lib, h, 1, "nvmlDeviceGetName");
	a.uuid = (int (*)(nvml_device, char *, unsigned))SYM(lib, h, 1, "nvmlDeviceGetUUID");
	a.pci = (int (*)(nvml_device, void *))SYM(lib, h, 0, "nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo_v2");
	if (!a.pci) {
		a.pci = (int (*)(nvml_device, void *))SYM(lib, h, 1, "nvmlDeviceGetPciInfo");
		a.pci_v1 = 1;
	}
	a.cc = (int (*)(nvml_device, int *, int *))SYM(lib, h, 1, "nvmlDeviceGetCudaComputeCapability");
	a.mem2 = (int (*)(nvml_device, nvml_memory_v2 *))SYM(lib, h, 0, "nvmlDeviceGetMemoryInfo_v2");
	a.mem1 = (int (*)(nvml_device, nvml_memory_v1 *))SYM(lib, h, a.mem2 == NULL, "nvmlDeviceGetMemoryInfo");
	a.max_clock = (int (*)(nvml_device, int, unsigned *))SYM(lib, h, 1, "nvmlDeviceGetMaxClockInfo");
	a.mig = (int (*)(nvml_device, unsigned *, unsigned *))SYM(lib, h, 1, "nvmlDeviceGetMigMode");
	a.compute_mode = (int (*)(nvml_device, int *))SYM(lib, h, 1, "nvmlDeviceGetComputeMode");
	a.persistence = (int (*)(nvml_device, int *))SYM(lib, h, 1, "nvmlDeviceGetPersistenceMode");
	a.ecc_mode = (int (*)(nvml_device, int *, int *))SYM(lib, h, 1, "nvmlDeviceGetEccMode");
	a.ecc_total =
		(int (*)(nvml_device, int, int, unsigned long long *))SYM(lib, h, 1, "nvmlDeviceGetTotalEccErrors");
	a.temperature = (int (*)(nvml_device, int, unsigned *))SYM(lib, h, 1, "nvmlDeviceGetTemperature");
	a.utilization = (int (*)(nvml_device, nvml_utilization *))SYM(lib, h, 1, "nvmlDeviceGetUtilizationRates");
	a.minor = (int (*)(nvml_device, unsigned *))SYM(lib, h, 1, "nvmlDeviceGetMinorNumber");

	lib->init_rc = a.init();
	if (lib->init_rc != NVML_SUCCESS) {
		const char *s = a.error_string ? a.error_string(lib->init_rc) : NULL;

		snprintf(lib->init_error, sizeof(lib->init_error), "%s%s%s", dm_gpu_nvml_code_name(lib->init_rc),
			 s ? ": " : "", s ? s : "");
		return DM_OK;
	}
	if (a.driver_version && a.driver_version(buf, sizeof(buf)) == NVML_SUCCESS) {
		dm_gpu_copy(r->driver_version, sizeof(r->driver_version), buf);
		r->driver_version_from = "nvml";
	}
	if (a.cuda_version && a.cuda_version(&v) == NVML_SUCCESS && v > 0) {
		r->cuda_version = v;
		r->cuda_version_from = "nvmlSystemGetCudaDriverVersion";
	}
	if (a.nvml_version && a.nvml_version(buf, sizeof(buf)) == NVML_SUCCESS)
		dm_gpu_copy(r->nvml_version, sizeof(r->nvml_version), buf);
	if (a.count(&count) == NVML_SUCCESS) {
		r->nvml_count = (int)count;
		for (i = 0; i < count; i++) {
			nvml_device dev = NULL;
			dm_gpu_device *d = add_device(r);

			if (!d) {
				a.shutdown();
				return dm_nomem();
			}
			if (a.handle(i, &dev) == NVML_SUCCESS)
				nvml_device_facts(&a, dev, d);
		}
	}
	a.shutdown();
	return DM_OK;
}

static void cuda_error_text(const struct cuda_api *a, int rc, char *out, size_t n)
{
	const char *s = NULL;

	/* The stub answers every call with 34, cuGetErrorString included. */
	if (a->error_string && a->error_string(rc, &s) != 0)
		s = NULL;
	snprintf(out, n, "%s%s%s", dm_gpu_cuda_code_name(rc), s ? ": " : "", s ? s : "");
}

static dm_gpu_device *match_device(dm_gpu_report *r, const char *bus_id, size_t nvml_n)
{
	unsigned d1, b1, v1, d2, b2, v2;
	size_t i;

	if (!dm_gpu_parse_bus_id(bus_id, &d1, &b1, &v1))
		return NULL;
	for (i = 0; i < nvml_n; i++) {
		if (dm_gpu_parse_bus_id(r->devices[i].pci_bus_id, &d2, &b2, &v2) && d1 == d2 && b1 == b2 && v1 == v2)
			return &r->devices[i];
	}
	return NULL;
}

static void cuda_device_facts(const struct cuda_api *a, cu_device dev, dm_gpu_device *d, int fill_all)
{
	char buf[256];
	int v;

	/* Fields NVML already gave are kept: NVML is what nvidia-smi shows. */
	if (a->name && !d->name[0] && a->name(buf, 96, dev) == 0)
		dm_gpu_copy(d->name, sizeof(d->name), buf);
	if (a->uuid && !d->uuid[0]) {
		unsigned char u[16];

		if (a->uuid(u, dev) == 0)
			snprintf(d->uuid, sizeof(d->uuid),
				 "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
				 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
				 u[15]);
	}
	if (!d->pci_bus_id[0] && a->bus_id && a->bus_id(buf, 32, dev) == 0)
		dm_gpu_copy(d->pci_bus_id, sizeof(d->pci_bus_id), buf);
	if (d->mem_total < 0) {
		size_t t;
		unsigned t1;

		if (a->total_mem2 && a->total_mem2(&t, dev) == 0)
			d->mem_total = (long long)t;
		else if (a->total_mem1 && a->total_mem1(&t1, dev) == 0)
			d->mem_total = (long long)t1;
	}
	if (!a->attribute)
		return;
	if (d->cc_major < 0 && a->attribute(&v, CU_ATTR_CC_MAJOR, dev) == 0) {
		d->cc_major = v;
		if (a->attribute(&v, CU_ATTR_CC_MINOR, dev) == 0)
			d->cc_minor = v;
	}
	if (a->attribute(&v, CU_ATTR_MULTIPROCESSOR_COUNT, dev) == 0)
		d->sm_count = v;
	if (d->clock_sm_mhz < 0 && a->attribute(&v, CU_ATTR_CLOCK_RATE, dev) == 0 && v > 0)
		d->clock_sm_mhz = v / 1000;
	if (d->clock_mem_mhz < 0 && a->attribute(&v, CU_ATTR_MEMORY_CLOCK_RATE, dev) == 0 && v > 0)
		d->clock_mem_mhz = v / 1000;
	if (d->compute_mode < 0 && a->attribute(&v, CU_ATTR_COMPUTE_MODE, dev) == 0)
		d->compute_mode = v;
	if (d->ecc_mode < 0 && a->attribute(&v, CU_ATTR_ECC_ENABLED, dev) == 0)
		d->ecc_mode = v;
	/* Free memory needs a context; only worth it when NVML could not say. */
	if (fill_all && d->mem_free < 0 && d->compute_mode != DM_GPU_COMPUTE_PROHIBITED && a->ctx_retain &&
	    a->ctx_release && a->ctx_set_current && a->mem_info) {
		cu_context ctx = NULL;
		size_t fr, tot;

		if (a->ctx_retain(&ctx, dev) == 0) {
			if (a->ctx_set_current(ctx) == 0 && a->mem_info(&fr, &tot) == 0)
				d->mem_free = (long long)fr;
			a->ctx_set_current(NULL);
			a->ctx_release(dev);
		}
	}
}

static dm_err probe_cuda(dm_gpu_report *r, void *h)
{
	dm_gpu_lib *lib = &r->cuda;
	struct cuda_api a;
	size_t nvml_n = r->n_devices;
	int use_nvml = r->nvml.init_rc == 0;
	int count = 0, i, v = 0;

	memset(&a, 0, sizeof(a));
	a.init = (int (*)(unsigned))SYM(lib, h, 0, "cuInit");
	a.driver_version = (int (*)(int *))SYM(lib, h, 0, "cuDriverGetVersion");
	a.count = (int (*)(int *))SYM(lib, h, 0, "cuDeviceGetCount");
	a.get = (int (*)(cu_device *, int))SYM(lib, h, 0, "cuDeviceGet");
	if (!a.init || !a.driver_version || !a.count || !a.get)
		return required_missing(lib, !a.init             ? "cuInit"
					     : !a.driver_version ? "cuDriverGetVersion"
					     : !a.count          ? "cuDeviceGetCount"
								 : "cuDeviceGet");
	lib->loaded = 1;
	a.error_name = (int (*)(int, const char **))SYM(lib, h, 1, "cuGetErrorName");
	a.error_string = (int (*)(int, const char **))SYM(lib, h, 1, "cuGetErrorString");
	a.name = (int (*)(char *, int, cu_device))SYM(lib, h, 1, "cuDeviceGetName");
	a.uuid = (int (*)(unsigned char *, cu_device))SYM(lib, h, 1, "cuDeviceGetUuid_v2", "cuDeviceGetUuid");
	a.total_mem2 = (int (*)(size_t *, cu_device))SYM(lib, h, 0, "cuDeviceTotalMem_v2");
	if (!a.total_mem2)
		a.total_mem1 = (int (*)(unsigned *, cu_device))SYM(lib, h, 1, "cuDeviceTotalMem");
	a.attribute = (int (*)(int *, int, cu_device))SYM(lib, h, 1, "cuDeviceGetAttribute");
	a.bus_id = (int (*)(char *, int, cu_device))SYM(lib, h, 1, "cuDeviceGetPCIBusId");
	if (!use_nvml) {
		a.ctx_retain = (int (*)(cu_context *, cu_device))SYM(lib, h, 1, "cuDevicePrimaryCtxRetain");
		a.ctx_release =
			(int (*)(cu_device))SYM(lib, h, 1, "cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease");
		a.ctx_set_current = (int (*)(cu_context))SYM(lib, h, 1, "cuCtxSetCurrent");
		a.mem_info = (int (*)(size_t *, size_t *))SYM(lib, h, 1, "cuMemGetInfo_v2", "cuMemGetInfo");
	}

	/* cuDriverGetVersion needs no cuInit: it answers even when init fails. */
	if (a.driver_version(&v) == 0 && v > 0) {
		r->cuda_version = v;
		r->cuda_version_from = "cuDriverGetVersion";
	}
	lib->init_rc = a.init(0);
	if (lib->init_rc != 0) {
		cuda_error_text(&a, lib->init_rc, lib->init_error, sizeof(lib->init_error));
		return DM_OK;
	}
	if (a.count(&count) != 0)
		return DM_OK;
	r->cuda_count = count;
	for (i = 0; i < count; i++) {
		cu_device dev;
		dm_gpu_device *d = NULL;
		char bus[32] = "";

		if (a.get(&dev, i) != 0)
			continue;
		if (nvml_n && a.bus_id && a.bus_id(bus, sizeof(bus), dev) == 0)
			d = match_device(r, bus, nvml_n);
		if (!d && nvml_n && (size_t)i < nvml_n && !a.bus_id)
			d = &r->devices[i];
		if (!d) {
			d = add_device(r);
			if (!d)
				return dm_nomem();
		}
		d->cuda_index = i;
		cuda_device_facts(&a, dev, d, !use_nvml);
	}
	return DM_OK;
}

dm_err dm_gpu_probe(dm_gpu_report **out, const dm_gpu_probe_opts *opts)
{
	dm_gpu_probe_opts none = DM_GPU_PROBE_OPTS_INIT;
	dm_gpu_report *r;
	dm_err err;
	void *h;
	const char *root;

	*out = NULL;
	if (!opts)
		opts = &none;
	r = calloc(1, sizeof(*r));
	if (!r)
		return dm_nomem();
	r->nvml_count = r->cuda_count = DM_GPU_UNKNOWN;
	r->k8s_allocatable = r->k8s_capacity = DM_GPU_UNKNOWN;
	r->driver_version_from = r->cuda_version_from = "";

	h = NULL;
	err = open_lib(&r->nvml, &h, "libnvidia-ml.so.1", opts->nvml_library, "DM_NVML_LIBRARY");
	if (err == DM_OK && h)
		err = probe_nvml(r, h);
	if (err != DM_OK)
		goto done;
	h = NULL;
	err = open_lib(&r->cuda, &h, "libcuda.so.1", opts->cuda_library, "DM_CUDA_LIBRARY");
	if (err == DM_OK && h)
		err = probe_cuda(r, h);
	if (err != DM_OK)
		goto done;
	root = opts->root && strcmp(opts->root, "/") ? opts->root : "";
	err = dm_gpu_probe_node(r, root);
	if (err != DM_OK)
		goto done;
	if (!r->driver_version[0] && r->kernel_module_version[0]) {
		dm_gpu_copy(r->driver_version, sizeof(r->driver_version), r->kernel_module_version);
		r->driver_version_from = "kernel module";
	}
	if (!r->driver_version[0] && r->cuda.loaded && r->cuda.init_rc != 34 && r->cuda.file_version[0]) {
		dm_gpu_copy(r->driver_version, sizeof(r->driver_version), r->cuda.file_version);
		r->driver_version_from = "libcuda file name";
	}
done:
	if (err != DM_OK) {
		dm_gpu_report_free(r);
		return err;
	}
	*out = r;
	return DM_OK;
}

static void lib_release(dm_gpu_lib *lib)
{
	free(lib->path);
	free(lib->resolved);
	free(lib->load_error);
}

void dm_gpu_report_free(dm_gpu_report *r)
{
	size_t i;

	if (!r)
		return;
	/* The libraries are never dlclose()d (see dm/gpu.h), so their handles are not kept. */
	lib_release(&r->nvml);
	lib_release(&r->cuda);
	free(r->devices);
	for (i = 0; i < r->n_devnodes; i++)
		free(r->devnodes[i].path);
	free(r->devnodes);
	free(r->proc_version_path);
	free(r->runtime_path);
	free(r->ctk_path);
	free(r->cli_path);
	for (i = 0; i < r->n_cdi_specs; i++)
		free(r->cdi_specs[i]);
	free(r->cdi_specs);
	free(r->k8s_node);
	free(r->k8s_error);
	free(r->fact_error);
	free(r);
}
