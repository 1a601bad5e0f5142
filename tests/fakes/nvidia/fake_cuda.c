/* tests/fakes/nvidia/fake_cuda.c - a fake libcuda.so.1 (CUDA driver API).
 *
 * Imitates the driver's libcuda: the real symbol names (cuInit,
 * cuDriverGetVersion, cuDeviceGetCount, cuDeviceGet, cuDeviceGetName,
 * cuDeviceGetUuid_v2 / cuDeviceGetUuid, cuDeviceTotalMem_v2,
 * cuDeviceGetAttribute, cuDeviceGetPCIBusId, cuGetErrorName,
 * cuGetErrorString, cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease_v2,
 * cuCtxSetCurrent, cuMemGetInfo_v2), the CUresult codes (CUDA_SUCCESS 0,
 * CUDA_ERROR_INVALID_VALUE 1, CUDA_ERROR_NOT_INITIALIZED 3,
 * CUDA_ERROR_NO_DEVICE 100, CUDA_ERROR_INVALID_DEVICE 101,
 * CUDA_ERROR_SYSTEM_DRIVER_MISMATCH 803, CUDA_ERROR_UNKNOWN 999), the
 * CUdevice_attribute numbers used, and two behaviours of the real one:
 * cuDriverGetVersion answers without cuInit while everything else fails with
 * NOT_INITIALIZED until cuInit succeeds, and CUDA orders devices its own way
 * (here: the reverse of NVML's PCI order, as CUDA_DEVICE_ORDER=FASTEST_FIRST
 * may), so callers must match the two by PCI bus id.
 * The machine it describes comes from $DM_FAKE_NVIDIA_SCENARIO (scenario.h).
 *
 * Built with -DFAKE_LEGACY it is an R384-era library: no cuDeviceGetUuid
 * (added in CUDA 9.2) and no cuDevicePrimaryCtxRelease_v2 (CUDA 11).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "scenario.h"

#define CUDA_SUCCESS 0
#define CUDA_ERROR_INVALID_VALUE 1
#define CUDA_ERROR_NOT_INITIALIZED 3
#define CUDA_ERROR_INVALID_CONTEXT 201
#define CUDA_ERROR_INVALID_DEVICE 101
#define CUDA_ERROR_UNKNOWN 999

#define EXPORT __attribute__((visibility("default")))

static int initialised;
static const struct fake_gpu *current;

#define NEED_INIT()                                                                                                    \
	do {                                                                                                           \
		if (!initialised)                                                                                      \
			return CUDA_ERROR_NOT_INITIALIZED;                                                             \
	} while (0)

EXPORT int cuGetErrorName(int rc, const char **s)
{
	switch (rc) {
	case 0: *s = "CUDA_SUCCESS"; break;
	case 3: *s = "CUDA_ERROR_NOT_INITIALIZED"; break;
	case 100: *s = "CUDA_ERROR_NO_DEVICE"; break;
	case 803: *s = "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"; break;
	case 999: *s = "CUDA_ERROR_UNKNOWN"; break;
	default: *s = NULL; return CUDA_ERROR_INVALID_VALUE;
	}
	return CUDA_SUCCESS;
}

EXPORT int cuGetErrorString(int rc, const char **s)
{
	switch (rc) {
	case 0: *s = "no error"; break;
	case 3: *s = "initialization error"; break;
	case 100: *s = "no CUDA-capable device is detected"; break;
	case 803: *s = "system has unsupported display driver / cuda driver combination"; break;
	case 999: *s = "unknown error"; break;
	default: *s = NULL; return CUDA_ERROR_INVALID_VALUE;
	}
	return CUDA_SUCCESS;
}

EXPORT int cuDriverGetVersion(int *v)
{
	const struct fake_scenario *s = fake_scenario();

	if (!v)
		return CUDA_ERROR_INVALID_VALUE;
	if (!s)
		return CUDA_ERROR_UNKNOWN;
	*v = s->cuda_version;
	return CUDA_SUCCESS;
}

EXPORT int cuInit(unsigned flags)
{
	const struct fake_scenario *s = fake_scenario();

	if (flags)
		return CUDA_ERROR_INVALID_VALUE;
	if (!s)
		return CUDA_ERROR_UNKNOWN;
	if (s->cu_init_rc)
		return s->cu_init_rc;
	initialised = 1;
	return CUDA_SUCCESS;
}

EXPORT int cuDeviceGetCount(int *n)
{
	NEED_INIT();
	*n = fake_scenario()->n;
	return CUDA_SUCCESS;
}

/* CUDA ordinal i is NVML index n-1-i. */
static const struct fake_gpu *gpu(int dev)
{
	const struct fake_scenario *s = fake_scenario();

	if (dev < 0 || dev >= s->n)
		return NULL;
	return &s->gpus[s->n - 1 - dev];
}

EXPORT int cuDeviceGet(int *dev, int ordinal)
{
	NEED_INIT();
	if (!gpu(ordinal))
		return CUDA_ERROR_INVALID_DEVICE;
	*dev = ordinal;
	return CUDA_SUCCESS;
}

EXPORT int cuDeviceGetName(char *buf, int len, int dev)
{
	NEED_INIT();
	if (!gpu(dev))
		return CUDA_ERROR_INVALID_DEVICE;
	snprintf(buf, (size_t)len, "%s", gpu(dev)->name);
	return CUDA_SUCCESS;
}

EXPORT int cuDeviceTotalMem_v2(size_t *bytes, int dev)
{
	NEED_INIT();
	if (!gpu(dev))
		return CUDA_ERROR_INVALID_DEVICE;
	*bytes = (size_t)gpu(dev)->total;
	return CUDA_SUCCESS;
}

EXPORT int cuDeviceGetPCIBusId(char *buf, int len, int dev)
{
	NEED_INIT();
	if (!gpu(dev))
		return CUDA_ERROR_INVALID_DEVICE;
	snprintf(buf, (size_t)len, "0000:%02x:00.0", gpu(dev)->bus);
	return CUDA_SUCCESS;
}

EXPORT int cuDeviceGetAttribute(int *v, int attr, int dev)
{
	const struct fake_gpu *g;

	NEED_INIT();
	g = gpu(dev);
	if (!g)
		return CUDA_ERROR_INVALID_DEVICE;
	switch (attr) {
	case 13: *v = g->clock_sm * 1000; break;  /* CLOCK_RATE, kHz */
	case 16: *v = g->sms; break;              /* MULTIPROCESSOR_COUNT */
	case 20: *v = g->compute_mode; break;     /* COMPUTE_MODE */
	case 32: *v = g->ecc == 1; break;         /* ECC_ENABLED */
	case 36: *v = g->clock_mem * 1000; break; /* MEMORY_CLOCK_RATE, kHz */
	case 75: *v = g->cc_major; break;         /* COMPUTE_CAPABILITY_MAJOR */
	case 76: *v = g->cc_minor; break;         /* COMPUTE_CAPABILITY_MINOR */
	default: return CUDA_ERROR_INVALID_VALUE;
	}
	return CUDA_SUCCESS;
}

EXPORT int cuDevicePrimaryCtxRetain(void **ctx, int dev)
{
	NEED_INIT();
	if (!gpu(dev))
		return CUDA_ERROR_INVALID_DEVICE;
	*ctx = (void *)gpu(dev);
	return CUDA_SUCCESS;
}

EXPORT int cuDevicePrimaryCtxRelease(int dev)
{
	NEED_INIT();
	return gpu(dev) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_DEVICE;
}

EXPORT int cuCtxSetCurrent(void *ctx)
{
	NEED_INIT();
	current = ctx;
	return CUDA_SUCCESS;
}

EXPORT int cuMemGetInfo_v2(size_t *free_, size_t *total)
{
	NEED_INIT();
	if (!current)
		return CUDA_ERROR_INVALID_CONTEXT;
	*free_ = (size_t)current->free;
	*total = (size_t)current->total;
	return CUDA_SUCCESS;
}

#ifndef FAKE_LEGACY
/* The same bytes as the fake NVML's "GPU-fa4e00BB-1111-2222-3333-0000000000II". */
EXPORT int cuDeviceGetUuid_v2(unsigned char u[16], int dev)
{
	const struct fake_scenario *s = fake_scenario();
	const struct fake_gpu *g;
	unsigned long long idx;
	unsigned word;
	int i;

	NEED_INIT();
	g = gpu(dev);
	if (!g)
		return CUDA_ERROR_INVALID_DEVICE;
	word = 0xfa4e0000u + g->bus;
	idx = (unsigned long long)(g - s->gpus);
	for (i = 0; i < 4; i++)
		u[i] = (unsigned char)(word >> (24 - 8 * i));
	u[4] = u[5] = 0x11;
	u[6] = u[7] = 0x22;
	u[8] = u[9] = 0x33;
	for (i = 0; i < 6; i++)
		u[10 + i] = (unsigned char)(idx >> (40 - 8 * i));
	return CUDA_SUCCESS;
}

EXPORT int cuDeviceGetUuid(unsigned char u[16], int dev)
{
	return cuDeviceGetUuid_v2(u, dev);
}

EXPORT int cuDevicePrimaryCtxRelease_v2(int dev)
{
	return cuDevicePrimaryCtxRelease(dev);
}
#endif
