/* tests/fakes/nvidia/fake_nvml.c - a fake libnvidia-ml.so.1 (NVML).
 *
 * Imitates the NVIDIA Management Library as shipped with the driver: the
 * real symbol names (nvmlInit_v2, nvmlDeviceGetCount_v2,
 * nvmlDeviceGetHandleByIndex_v2, nvmlDeviceGetPciInfo_v3,
 * nvmlDeviceGetMemoryInfo_v2, nvmlSystemGetCudaDriverVersion_v2 ... and their
 * older unversioned forms), the nvmlReturn_t codes (NVML_SUCCESS 0,
 * NVML_ERROR_UNINITIALIZED 1, NVML_ERROR_INVALID_ARGUMENT 2,
 * NVML_ERROR_NOT_SUPPORTED 3, NVML_ERROR_NO_PERMISSION 4,
 * NVML_ERROR_DRIVER_NOT_LOADED 9, NVML_ERROR_LIB_RM_VERSION_MISMATCH 18,
 * NVML_ERROR_UNKNOWN 999), the structure layouts (nvmlPciInfo_t v1 and v3,
 * nvmlMemory_t v1 and v2) and the rule that every call but nvmlInit and
 * nvmlErrorString fails with UNINITIALIZED before a successful init.
 * The machine it describes comes from $DM_FAKE_NVIDIA_SCENARIO (scenario.h).
 *
 * Built with -DFAKE_LEGACY it is an R384-era library instead: no _v2/_v3
 * entry points, no nvmlSystemGetCudaDriverVersion, no
 * nvmlDeviceGetCudaComputeCapability, no nvmlDeviceGetMigMode.
 */
#include <stdio.h>
#include <string.h>

#include "scenario.h"

#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_UNKNOWN 999

#define EXPORT __attribute__((visibility("default")))

typedef const struct fake_gpu *nvmlDevice_t;

static int initialised;

static const char *error_string(int rc)
{
	switch (rc) {
	case 0: return "Success";
	case 1: return "Uninitialized";
	case 2: return "Invalid Argument";
	case 3: return "Not Supported";
	case 4: return "Insufficient Permissions";
	case 9: return "Driver Not Loaded";
	case 18: return "Driver/library version mismatch";
	default: return "Unknown Error";
	}
}

EXPORT const char *nvmlErrorString(int rc)
{
	return error_string(rc);
}

static int init(void)
{
	const struct fake_scenario *s = fake_scenario();

	if (!s)
		return NVML_ERROR_UNKNOWN;
	if (s->nvml_init_rc)
		return s->nvml_init_rc;
	initialised++;
	return NVML_SUCCESS;
}

EXPORT int nvmlInit(void)
{
	return init();
}

EXPORT int nvmlShutdown(void)
{
	if (!initialised)
		return NVML_ERROR_UNINITIALIZED;
	initialised--;
	return NVML_SUCCESS;
}

#define NEED_INIT()                                                                                                    \
	do {                                                                                                           \
		if (!initialised)                                                                                      \
			return NVML_ERROR_UNINITIALIZED;                                                               \
	} while (0)

static int put(char *buf, unsigned len, const char *s)
{
	if (!buf)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (strlen(s) + 1 > len)
		return NVML_ERROR_INSUFFICIENT_SIZE;
	memcpy(buf, s, strlen(s) + 1);
	return NVML_SUCCESS;
}

EXPORT int nvmlSystemGetDriverVersion(char *buf, unsigned len)
{
	NEED_INIT();
	return put(buf, len, fake_scenario()->driver);
}

EXPORT int nvmlSystemGetNVMLVersion(char *buf, unsigned len)
{
	char v[80];

	NEED_INIT();
	snprintf(v, sizeof(v), "%d.%s", fake_scenario()->cuda_version / 1000, fake_scenario()->driver);
	return put(buf, len, v);
}

static int count(unsigned *n)
{
	NEED_INIT();
	if (!n)
		return NVML_ERROR_INVALID_ARGUMENT;
	*n = (unsigned)fake_scenario()->n;
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetCount(unsigned *n)
{
	return count(n);
}

static int handle(unsigned i, nvmlDevice_t *out)
{
	NEED_INIT();
	if (!out || i >= (unsigned)fake_scenario()->n)
		return NVML_ERROR_INVALID_ARGUMENT;
	*out = &fake_scenario()->gpus[i];
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetHandleByIndex(unsigned i, nvmlDevice_t *out)
{
	return handle(i, out);
}

static int index_of(nvmlDevice_t d)
{
	return (int)(d - fake_scenario()->gpus);
}

EXPORT int nvmlDeviceGetName(nvmlDevice_t d, char *buf, unsigned len)
{
	NEED_INIT();
	return put(buf, len, d->name);
}

EXPORT int nvmlDeviceGetUUID(nvmlDevice_t d, char *buf, unsigned len)
{
	char u[96];

	NEED_INIT();
	snprintf(u, sizeof(u), "GPU-%08x-1111-2222-3333-%012x", 0xfa4e0000u + d->bus, index_of(d));
	return put(buf, len, u);
}

EXPORT int nvmlDeviceGetMinorNumber(nvmlDevice_t d, unsigned *minor)
{
	NEED_INIT();
	*minor = (unsigned)index_of(d);
	return NVML_SUCCESS;
}

/* nvmlPciInfo_t before R390: busId[16] then five uints and four reserved. */
struct pci_v1 {
	char busId[16];
	unsigned domain, bus, device, pciDeviceId, pciSubSystemId;
	unsigned reserved[4];
};

EXPORT int nvmlDeviceGetPciInfo(nvmlDevice_t d, struct pci_v1 *p)
{
	NEED_INIT();
	memset(p, 0, sizeof(*p));
	snprintf(p->busId, sizeof(p->busId), "0000:%02X:00.0", d->bus);
	p->bus = d->bus;
	p->pciDeviceId = 0x233010de;
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetMemoryInfo(nvmlDevice_t d, unsigned long long m[3])
{
	NEED_INIT();
	m[0] = d->total;
	m[1] = d->free;
	m[2] = d->total - d->free;
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetMaxClockInfo(nvmlDevice_t d, int type, unsigned *mhz)
{
	NEED_INIT();
	if (type == 1)
		*mhz = (unsigned)d->clock_sm;
	else if (type == 2)
		*mhz = (unsigned)d->clock_mem;
	else
		return NVML_ERROR_NOT_SUPPORTED;
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetComputeMode(nvmlDevice_t d, int *mode)
{
	NEED_INIT();
	*mode = d->compute_mode;
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetPersistenceMode(nvmlDevice_t d, int *mode)
{
	NEED_INIT();
	*mode = d->persistence;
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetEccMode(nvmlDevice_t d, int *current, int *pending)
{
	NEED_INIT();
	if (d->ecc == NA)
		return NVML_ERROR_NOT_SUPPORTED;
	*current = *pending = d->ecc;
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetTotalEccErrors(nvmlDevice_t d, int type, int counter, unsigned long long *n)
{
	NEED_INIT();
	if (d->ecc != 1)
		return NVML_ERROR_NOT_SUPPORTED;
	/* uncorrected (1), volatile (0) */
	*n = type == 1 && counter == 0 ? d->ecc_uncorrected : 0;
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor, unsigned *t)
{
	NEED_INIT();
	if (sensor != 0)
		return NVML_ERROR_NOT_SUPPORTED;
	*t = (unsigned)d->temp;
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetUtilizationRates(nvmlDevice_t d, unsigned u[2])
{
	NEED_INIT();
	u[0] = (unsigned)d->util;
	u[1] = (unsigned)d->util;
	return NVML_SUCCESS;
}

#ifndef FAKE_LEGACY
EXPORT int nvmlInit_v2(void)
{
	return init();
}

EXPORT int nvmlDeviceGetCount_v2(unsigned *n)
{
	return count(n);
}

EXPORT int nvmlDeviceGetHandleByIndex_v2(unsigned i, nvmlDevice_t *out)
{
	return handle(i, out);
}

EXPORT int nvmlSystemGetCudaDriverVersion(int *v)
{
	NEED_INIT();
	*v = fake_scenario()->cuda_version;
	return NVML_SUCCESS;
}

EXPORT int nvmlSystemGetCudaDriverVersion_v2(int *v)
{
	return nvmlSystemGetCudaDriverVersion(v);
}

/* nvmlPciInfo_t v3: busIdLegacy[16], five uints, busId[32]. */
struct pci_v3 {
	char busIdLegacy[16];
	unsigned domain, bus, device, pciDeviceId, pciSubSystemId;
	char busId[32];
};

EXPORT int nvmlDeviceGetPciInfo_v3(nvmlDevice_t d, struct pci_v3 *p)
{
	NEED_INIT();
	memset(p, 0, sizeof(*p));
	snprintf(p->busIdLegacy, sizeof(p->busIdLegacy), "0000:%02X:00.0", d->bus);
	snprintf(p->busId, sizeof(p->busId), "00000000:%02X:00.0", d->bus);
	p->bus = d->bus;
	p->pciDeviceId = 0x233010de;
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetCudaComputeCapability(nvmlDevice_t d, int *major, int *minor)
{
	NEED_INIT();
	*major = d->cc_major;
	*minor = d->cc_minor;
	return NVML_SUCCESS;
}

/* nvmlMemory_v2_t: the version word must be NVML_STRUCT_VERSION(Memory, 2). */
struct mem_v2 {
	unsigned version;
	unsigned long long total, reserved, free, used;
};

EXPORT int nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t d, struct mem_v2 *m)
{
	NEED_INIT();
	if (m->version != (unsigned)(sizeof(struct mem_v2) | (2u << 24)))
		return 25; /* NVML_ERROR_ARGUMENT_VERSION_MISMATCH */
	m->total = d->total;
	m->reserved = 0;
	m->free = d->free;
	m->used = d->total - d->free;
	return NVML_SUCCESS;
}

EXPORT int nvmlDeviceGetMigMode(nvmlDevice_t d, unsigned *current, unsigned *pending)
{
	NEED_INIT();
	if (d->mig == NA)
		return NVML_ERROR_NOT_SUPPORTED;
	*current = *pending = (unsigned)d->mig;
	return NVML_SUCCESS;
}
#endif
