/* tests/fakes/nvidia/scenario.h - the machines the fake NVIDIA libraries
 * pretend to be.  The child process picks one with
 *   DM_FAKE_NVIDIA_SCENARIO=<name>
 * (unset or unknown: every init call fails with the libraries' UNKNOWN code).
 * Both fakes read the same table so that NVML and CUDA describe one machine,
 * as the real libnvidia-ml and libcuda of one driver do.
 */
#ifndef DM_FAKE_NVIDIA_SCENARIO_H
#define DM_FAKE_NVIDIA_SCENARIO_H

#include <stdlib.h>
#include <string.h>

#define GiB (1024ULL * 1024 * 1024)
#define NA (-1) /* the real library answers NOT_SUPPORTED */

struct fake_gpu {
	const char *name;
	int cc_major, cc_minor;
	unsigned long long total, free;
	int sms, clock_sm, clock_mem;
	int mig;          /* NA, 0, 1 */
	int compute_mode; /* 0 default, 2 prohibited */
	int persistence, ecc;
	unsigned long long ecc_uncorrected;
	int temp, util;
	unsigned bus;
};

struct fake_scenario {
	const char *id;
	const char *driver; /* nvmlSystemGetDriverVersion */
	int cuda_version;   /* cuDriverGetVersion / nvmlSystemGetCudaDriverVersion */
	int nvml_init_rc;   /* nvmlReturn_t of nvmlInit */
	int cu_init_rc;     /* CUresult of cuInit */
	int n;
	struct fake_gpu gpus[8];
};

#define H100(free_, bus_, temp_)                                                                                       \
	{                                                                                                              \
		"NVIDIA H100 80GB HBM3", 9, 0, 85520809984ULL, free_, 132, 1980, 2619, 0, 0, 1, 1, 0, temp_, 0, bus_   \
	}
#define A100(mig_, bus_)                                                                                               \
	{                                                                                                              \
		"NVIDIA A100-SXM4-80GB", 8, 0, 85899345920ULL, 84 * GiB, 108, 1410, 1593, mig_, 0, 1, 1, 0, 33, 0,     \
			bus_                                                                                           \
	}

static const struct fake_scenario fake_scenarios[] = {
	/* an HGX H100 node: GPU 3 has 2 GiB free, a process holds the rest */
	{ "h100x8",
	  "550.54.14",
	  12040,
	  0,
	  0,
	  8,
	  { H100(78 * GiB, 0x18, 31), H100(78 * GiB, 0x2a, 30), H100(78 * GiB, 0x3a, 33), H100(2 * GiB, 0x5d, 45),
	    H100(78 * GiB, 0x9a, 32), H100(78 * GiB, 0xab, 30), H100(78 * GiB, 0xba, 31), H100(78 * GiB, 0xdb, 34) } },
	/* driver loaded, no GPU given to this container */
	{ "none", "550.54.14", 12040, 0, 100, 0, { { 0 } } },
	/* R375 (CUDA 8.0) on a K80: too old for CUDA 9.0 */
	{ "r375",
	  "375.26",
	  8000,
	  0,
	  0,
	  1,
	  { { "Tesla K80", 3, 7, 12 * GiB, 11 * GiB, 13, 875, 2505, NA, 0, 0, 1, 0, 40, 0, 0x04 } } },
	/* R470 (CUDA 11.4) on A100s: too old for 12.0, minor-compatible for 11.8 */
	{ "r470", "470.57.02", 11040, 0, 0, 2, { A100(0, 0x07), A100(0, 0x0f) } },
	/* the first 11.0 driver with minor-version compatibility */
	{ "r450",
	  "450.80.02",
	  11000,
	  0,
	  0,
	  1,
	  { { "A100-SXM4-40GB", 8, 0, 42949672960ULL, 40 * GiB, 108, 1410, 1215, 0, 0, 1, 1, 0, 30, 0, 0x07 } } },
	/* a Kepler GK104 (compute capability 3.0) under CUDA 11's floor of 3.5 */
	{ "k520",
	  "470.57.02",
	  11040,
	  0,
	  0,
	  1,
	  { { "GRID K520", 3, 0, 4 * GiB, 4 * GiB, 8, 797, 2500, NA, 0, 0, NA, 0, 35, 0, 0x03 } } },
	/* GPU 0 partitioned with MIG */
	{ "mig", "535.54.03", 12020, 0, 0, 2, { A100(1, 0x07), A100(0, 0x0f) } },
	/* GPU 1 in compute mode Prohibited */
	{ "prohibited",
	  "535.54.03",
	  12020,
	  0,
	  0,
	  2,
	  { { "Tesla V100-SXM2-16GB", 7, 0, 16 * GiB, 15 * GiB, 80, 1530, 877, NA, 0, 1, 1, 0, 36, 0, 0x1a },
	    { "Tesla V100-SXM2-16GB", 7, 0, 16 * GiB, 15 * GiB, 80, 1530, 877, NA, 2, 1, 1, 0, 37, 0, 0x1b } } },
	/* uncorrected volatile ECC errors on a T4 */
	{ "ecc",
	  "535.54.03",
	  12020,
	  0,
	  0,
	  1,
	  { { "Tesla T4", 7, 5, 16 * GiB, 15 * GiB, 40, 1590, 5001, NA, 0, 1, 1, 3, 52, 0, 0x3b } } },
	/* an R384 machine (CUDA 9.0): run with the legacy builds of the fakes */
	{ "r384",
	  "384.81",
	  9000,
	  0,
	  0,
	  1,
	  { { "Tesla P100-PCIE-16GB", 6, 0, 16 * GiB, 15 * GiB, 56, 1328, 715, NA, 0, 0, 1, 0, 29, 0, 0x82 } } },
	/* user-space libraries upgraded, old kernel module still loaded */
	{ "mismatch", "550.54.14", 12040, 18, 803, 0, { { 0 } } },
	/* /dev/nvidiactl not accessible to this user */
	{ "noperm", "550.54.14", 12040, 4, 100, 0, { { 0 } } },
	/* libraries installed, kernel module not loaded */
	{ "notloaded", "550.54.14", 12040, 9, 100, 0, { { 0 } } },
};

static const struct fake_scenario *fake_scenario(void)
{
	const char *id = getenv("DM_FAKE_NVIDIA_SCENARIO");
	size_t i;

	for (i = 0; id && i < sizeof(fake_scenarios) / sizeof(fake_scenarios[0]); i++) {
		if (!strcmp(fake_scenarios[i].id, id))
			return &fake_scenarios[i];
	}
	return NULL;
}

#endif
