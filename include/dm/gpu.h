/* dm/gpu.h - what a node's NVIDIA GPUs and driver are, and whether a CUDA
 * notebook image can run on them.
 *
 * The probe never links to the driver: it dlopen()s "libnvidia-ml.so.1" (NVML,
 * what nvidia-smi, the device plugin and nvidia-container-cli use) and
 * "libcuda.so.1" (the CUDA driver API), never the unversioned ".so" names,
 * which may be the CUDA toolkit's stub.  Either path can be replaced by an
 * absolute path in $DM_NVML_LIBRARY / $DM_CUDA_LIBRARY (or the probe options).
 * Symbols are resolved one by one, newest version first (..._v2, then the
 * plain name); a missing optional symbol leaves its field unknown and is
 * listed in dm_gpu_lib.missing.  The libraries stay loaded until the process
 * exits (libcuda registers exit handlers; unloading it early is unsafe).
 *
 * Flow: dm_gpu_probe() gathers facts into a dm_gpu_report; dm_gpu_check()
 * judges them against requirements and returns the reasons; nothing prints.
 * Not thread-safe: probe from one thread at a time (NVML init/shutdown are
 * process-wide).
 */
#ifndef DM_GPU_H
#define DM_GPU_H

#include <stddef.h>
#include <stdint.h>
#include <dm/err.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every int/long long fact below is DM_GPU_UNKNOWN (-1) when the driver did
 * not say (missing symbol, NOT_SUPPORTED, library absent). */
#define DM_GPU_UNKNOWN (-1)

/* nvmlComputeMode_t / CUcomputemode values. */
enum {
	DM_GPU_COMPUTE_DEFAULT = 0,
	DM_GPU_COMPUTE_EXCLUSIVE_THREAD = 1,
	DM_GPU_COMPUTE_PROHIBITED = 2,
	DM_GPU_COMPUTE_EXCLUSIVE_PROCESS = 3
};

typedef struct {
	int index;                          /* NVML index (nvidia-smi's); the CUDA ordinal when NVML is absent */
	int cuda_index;                     /* CUDA ordinal, DM_GPU_UNKNOWN when CUDA does not see it */
	int minor;                          /* N of /dev/nvidiaN */
	char name[96];                      /* "" when unknown */
	char uuid[96];                      /* "GPU-xxxxxxxx-xxxx-..." or "" */
	char pci_bus_id[32];                /* "00000000:3B:00.0" or "" */
	int cc_major, cc_minor;             /* compute capability */
	long long mem_total, mem_free;      /* bytes */
	int sm_count;                       /* streaming multiprocessors */
	int clock_sm_mhz, clock_mem_mhz;    /* maximum clocks */
	int mig_mode, mig_pending;          /* 0 disabled, 1 enabled */
	int compute_mode;                   /* DM_GPU_COMPUTE_* */
	int persistence;                    /* 0 off, 1 on */
	int ecc_mode;                       /* 0 off, 1 on (current) */
	long long ecc_uncorrected_volatile; /* uncorrected errors since the driver loaded */
	int temperature_c;
	int util_gpu, util_mem; /* percent */
} dm_gpu_device;

#define DM_GPU_MISSING_MAX 32

typedef struct {
	const char *soname;                      /* static: "libnvidia-ml.so.1" or "libcuda.so.1" */
	char *path;                              /* what was passed to dlopen (soname or the override) */
	const char *path_from;                   /* static: "default", "DM_NVML_LIBRARY", "DM_CUDA_LIBRARY", "option" */
	char *resolved;                          /* the file actually loaded (realpath), NULL when not loaded */
	char file_version[32];                   /* "535.54.03" from the resolved file name, "" if none */
	int loaded;                              /* dlopen worked and the required symbols are there */
	char *load_error;                        /* why not loaded (dlerror or the missing required symbol) */
	int init_rc;                             /* nvmlInit / cuInit return code, DM_GPU_UNKNOWN when not called */
	char init_error[128];                    /* the library's own name/text for init_rc, "" on success */
	const char *missing[DM_GPU_MISSING_MAX]; /* static names of optional symbols not found */
	size_t n_missing;
} dm_gpu_lib;

typedef struct {
	char *path; /* "/dev/nvidia0" (under the probe root) */
	int exists;
	int is_char;   /* a character device */
	int access_ok; /* readable and writable by this process */
	int required;  /* nvidiactl, nvidia-uvm, and one per GPU */
} dm_gpu_devnode;

typedef struct {
	dm_gpu_lib nvml, cuda;
	char driver_version[80];         /* "550.54.14": NVML, else the kernel module, else libcuda's file */
	const char *driver_version_from; /* static: "nvml", "kernel module", "libcuda file name", "" */
	int cuda_version;                /* highest CUDA the driver supports: 12040 = 12.4; 0 unknown */
	const char *cuda_version_from;   /* static: "cuDriverGetVersion", "nvmlSystemGetCudaDriverVersion", "" */
	char nvml_version[80];           /* "12.550.54.14" or "" */
	char kernel_module_version[64];  /* from /proc/driver/nvidia/version, "" when absent */
	char *proc_version_path;         /* the file read */
	int nvml_count, cuda_count;      /* devices each API reports, DM_GPU_UNKNOWN */
	dm_gpu_device *devices;
	size_t n_devices;
	dm_gpu_devnode *devnodes;
	size_t n_devnodes;
	/* container runtime pieces found (NULL when absent) */
	char *runtime_path; /* nvidia-container-runtime */
	char *ctk_path;     /* nvidia-ctk */
	char *cli_path;     /* nvidia-container-cli */
	char **cdi_specs;   /* CDI spec files naming nvidia.com/gpu */
	size_t n_cdi_specs;
	int in_container; /* /.dockerenv, /run/.containerenv or $KUBERNETES_SERVICE_HOST */
	/* set by the caller when a kubeconfig was given */
	char *k8s_node;
	long long k8s_allocatable; /* node status.allocatable["nvidia.com/gpu"], DM_GPU_UNKNOWN */
	long long k8s_capacity;
	char *k8s_error;  /* why the node could not be read, NULL when fine */
	char *fact_error; /* why a driver fact file that is there could not be read
					    (unreadable, larger than dm_read_file's cap), NULL when fine */
} dm_gpu_report;

typedef struct {
	const char *nvml_library; /* absolute path; NULL: $DM_NVML_LIBRARY, else "libnvidia-ml.so.1" */
	const char *cuda_library; /* absolute path; NULL: $DM_CUDA_LIBRARY, else "libcuda.so.1" */
	const char *root;         /* NULL or "/": this machine; else a host's / mounted here, where
				     proc/driver/nvidia, dev/nvidia*, CDI specs and the container
				     runtime are looked for (the libraries are still loaded here) */
} dm_gpu_probe_opts;
/* clang-format off */
#define DM_GPU_PROBE_OPTS_INIT { .nvml_library = NULL, .cuda_library = NULL, .root = NULL }
/* clang-format on */

/* Gathers every fact.  A missing or broken driver is not an error: it is
 * recorded in the report for dm_gpu_check to explain.  Fails only with
 * DM_ERR_USAGE (an override that is not an absolute path) or DM_ERR_NOMEM.
 * *out is the caller's: dm_gpu_report_free(). */
dm_err dm_gpu_probe(dm_gpu_report **out, const dm_gpu_probe_opts *opts);
void dm_gpu_report_free(dm_gpu_report *r);

/* Reads node `node` (NULL: $NODE_NAME, else this host's name) from the cluster
 * of kubeconfig and context (as dm_k8s_choose chose them; NULL: $KUBECONFIG,
 * else ~/.kube/config, and its current context) and stores its
 * name, allocatable and capacity of nvidia.com/gpu in r (0 when the resource
 * is absent).  A failure to reach or read the node is kept in r->k8s_error for
 * dm_gpu_check to report; only DM_ERR_NOMEM is returned as an error.
 * Part of builds with the Kubernetes client (the main build); the standalone
 * dm-gpu build (tools/dm-gpu/standalone) leaves it out. */
dm_err dm_gpu_k8s_node(dm_gpu_report *r, const char *kubeconfig, const char *context, const char *node);

/* What a Kubernetes cluster's nodes say about their GPUs: what the device
 * plugin registered (allocatable nvidia.com/gpu) and the driver that NVIDIA's
 * GPU feature discovery labels the node with.  Read without running anything
 * on the nodes, so that an install can be refused before it starts. */
typedef struct {
	char *name;
	long long allocatable;   /* status.allocatable["nvidia.com/gpu"]: 0 when absent, DM_GPU_UNKNOWN unreadable */
	char driver_version[80]; /* "535.104.05" from the labels, "" when no label says */
	int cuda_version;        /* highest CUDA the driver supports (12020), from the labels, else from the
				    driver table; 0 unknown */
	const char *driver_from; /* static: the labels read ("nvidia.com/cuda.driver-version.*"), "" none */
} dm_gpu_node_info;

typedef struct {
	dm_gpu_node_info *nodes;
	size_t n;
} dm_gpu_cluster;

/* The label keys read, in order of preference: nvidia.com/cuda.driver-version.full
 * (or .major/.minor/.revision), then the older nvidia.com/cuda.driver.major/.minor/.rev;
 * the CUDA version from nvidia.com/cuda.runtime-version.major/.minor, then
 * nvidia.com/cuda.runtime.major/.minor (GPU feature discovery's names: "runtime"
 * is what cuDriverGetVersion says), else from the driver table.
 * Parses a NodeList (GET /api/v1/nodes) into *out (dm_gpu_cluster_free).
 * DM_ERR_PARSE when json is no NodeList. */
dm_err dm_gpu_cluster_parse(dm_gpu_cluster **out, const char *json, size_t len);
/* Reads every node through the Kubernetes client (a struct dm_k8s of dm/k8s.h).
 * Errors: the client's (DM_ERR_FORBIDDEN when nodes may not be listed ...).
 * Part of builds with the Kubernetes client, as dm_gpu_k8s_node. */
struct dm_k8s;
dm_err dm_gpu_cluster_read(dm_gpu_cluster **out, struct dm_k8s *k);
void dm_gpu_cluster_free(dm_gpu_cluster *c);

/* The highest CUDA version (12020 = 12.2) that driver fully supports, from the
 * driver table; 0 when older than every entry or not a version. */
int dm_gpu_driver_cuda(const char *driver);

/* One known notebook image and what it needs. */
typedef struct {
	char *name;    /* short name: "pydl_gpu_env" */
	char **images; /* glob patterns of image references (fnmatch) */
	size_t n_images;
	int cuda_major, cuda_minor;     /* 0.0 with cuda_from_tag */
	int cuda_from_tag;              /* "nvidia/cuda:9.0-base": the version is the tag's leading X.Y */
	int min_cc_major, min_cc_minor; /* 0.0: only the toolkit's floor */
	char *note;                     /* where the requirement comes from, or NULL */
} dm_gpu_image;

typedef struct dm_gpu_images dm_gpu_images;

/* Loads the image table (k8s/gpu-images.yaml; see the file for the format).
 * Errors are DM_ERR_CONFIG "FILE:LINE:COL: ..." or DM_ERR_IO. Free with dm_gpu_images_free. */
dm_err dm_gpu_images_load_file(dm_gpu_images **out, const char *path);
dm_err dm_gpu_images_load_string(dm_gpu_images **out, const char *name, const char *text, size_t len);
void dm_gpu_images_free(dm_gpu_images *t);
size_t dm_gpu_images_count(const dm_gpu_images *t);
const dm_gpu_image *dm_gpu_images_at(const dm_gpu_images *t, size_t i);

/* Finds NAME (a short name or an image reference; "docker.io/" and
 * "docker.io/library/" prefixes are ignored).  On success *out is a copy the
 * caller frees with dm_gpu_image_free, with cuda_* filled in from the tag when
 * cuda_from_tag.  DM_ERR_NOTFOUND lists the known short names. */
dm_err dm_gpu_images_find(dm_gpu_image **out, const dm_gpu_images *t, const char *name);
void dm_gpu_image_free(dm_gpu_image *img);

/* Result of the optional runtime smoke test on one device. */
typedef struct {
	int cuda_index;
	int ok;
	double h2d_gbps, d2h_gbps; /* pinned host <-> device copy bandwidth, GB/s (1e9) */
	double kernel_ms;
	size_t bytes;
	int runtime_version; /* the CUDA runtime built in: 13000 = 13.0 */
	char error[256];     /* the CUDA runtime's name and text, "" when ok */
} dm_gpu_smoke_result;

/* Allocates `bytes` on CUDA device cuda_index, copies them there and back
 * through pinned memory, runs a kernel over them and checks the result.
 * Compiled only when CMake found the CUDA toolkit: such builds define
 * DM_GPU_HAVE_SMOKE for the programs linked with the dm_gpu_smoke library.
 * Returns DM_OK when the test ran (see out->ok), DM_ERR_INVALID on a bad index. */
dm_err dm_gpu_smoke_run(dm_gpu_smoke_result *out, int cuda_index, size_t bytes);

typedef enum {
	DM_GPU_WARNING = 1, /* ready, but worth knowing */
	DM_GPU_ERROR = 2    /* not ready */
} dm_gpu_severity;

typedef struct {
	dm_gpu_severity severity;
	const char *code; /* static, stable: "no-library", "low-memory", ... (see docs/dm-gpu.md) */
	int device;       /* the dm_gpu_device.index it is about, DM_GPU_UNKNOWN for the node */
	char *message;    /* one line: what is wrong and the fix */
} dm_gpu_reason;

typedef struct {
	int cuda_major, cuda_minor;     /* required CUDA; 0.0: none */
	uint64_t min_memory;            /* free bytes each GPU must have; 0: none */
	int min_cc_major, min_cc_minor; /* 0.0: none beyond the toolkit floor */
	const dm_gpu_image *image;      /* adds its CUDA (the higher one wins) and compute capability */
	int smoke;                      /* the smoke test was asked for */
	int smoke_built;                /* this build has dm_gpu_smoke_run */
	const dm_gpu_smoke_result *smoke_results;
	size_t n_smoke;
	/* How the reasons name where a requirement came from, in the caller's words (dm-gpu passes
	 * its flags: "--min-memory"); NULL: plain words ("the minimum free memory").  libdm names
	 * no tool's flag.  The strings must outlive the verdict (cuda_from points at one). */
	struct {
		const char *cuda;       /* the CUDA version asked for */
		const char *image;      /* the image's CUDA and compute capability */
		const char *min_memory; /* the free memory asked for */
		const char *min_cc;     /* the compute capability asked for */
		const char *smoke;      /* the smoke test */
		const char *node_check; /* the command that checks a node on the node itself, the
					 * image (or X.Y) follows: "dm-gpu check --image"; named in the
					 * remedy for a node without driver labels; NULL: none named */
	} label;
} dm_gpu_check_opts;
/* 0 and NULL: no requirement */
/* clang-format off */
#define DM_GPU_CHECK_OPTS_INIT { .cuda_major = 0, .image = NULL, .smoke_results = NULL }
/* clang-format on */

typedef struct {
	int ready;                  /* no reason of DM_GPU_ERROR severity */
	int ready_devices;          /* devices with no error of their own */
	int cuda_major, cuda_minor; /* the effective requirement (0.0 none) */
	const char *cuda_from;      /* o->label.cuda or .image (or their plain words); "" without CUDA */
	int cc_major, cc_minor;     /* effective compute capability floor (0.0 none) */
	const char *min_driver;     /* static: the driver that fully supports the CUDA asked, or NULL */
	int minor_compat;           /* passes only through minor-version compatibility */
	dm_gpu_reason *reasons;
	size_t n_reasons;
} dm_gpu_verdict;

/* Judges a report: the driver diagnoses (no library, toolkit stub, driver not
 * loaded, version mismatch, no device, no permission, device nodes), the CUDA
 * version rule, and per device MIG, compute mode, ECC, free memory and compute
 * capability.  Reasons come in that order.  *out: dm_gpu_verdict_free(). */
dm_err dm_gpu_check(dm_gpu_verdict **out, const dm_gpu_report *r, const dm_gpu_check_opts *o);
void dm_gpu_verdict_free(dm_gpu_verdict *v);

/* Judges a cluster for o's requirement (its CUDA version, from o->cuda_* or
 * o->image; the device, memory and smoke options are not used): ready when
 * some node offers nvidia.com/gpu and, when a CUDA version is asked, its
 * driver (from its labels) supports it, also through minor-version
 * compatibility.  Reasons: "no-allocatable-gpu" (no node offers a GPU),
 * "driver-version-unknown" (a GPU node without driver labels),
 * "driver-too-old" and "minor-version-compat" prefixed with "node 'NAME': ".
 * When some node is ready, the other nodes' errors are kept as warnings.
 * ready_devices is the allocatable nvidia.com/gpu of the ready nodes.
 * *out: dm_gpu_verdict_free(). */
dm_err dm_gpu_check_cluster(dm_gpu_verdict **out, const dm_gpu_cluster *c, const dm_gpu_check_opts *o);

/* The driver table (NVIDIA's Linux release notes). */

/* Minimum Linux driver for CUDA major.minor ("525.60.13"), or NULL when the
 * version is not in the table (a later minor takes the next entry up). */
const char *dm_gpu_min_driver(int major, int minor);
/* The minor-version compatibility floor of a CUDA major (11: "450.80.02"), NULL below 11. */
const char *dm_gpu_minor_compat_floor(int major);
/* Lowest compute capability the toolkit of that major builds for: 9..10 -> 3.0,
 * 11 -> 3.5, 12 -> 5.0, 13 -> 7.5; *cc_major 0 when unknown. */
void dm_gpu_cc_floor(int cuda_major, int *cc_major, int *cc_minor);
/* Compares dotted driver versions numerically ("470.57.02" < "525.60.13");
 * missing parts count as 0. Returns <0, 0, >0. */
int dm_gpu_version_cmp(const char *a, const char *b);
/* Parses "X.Y" (or "X") into major/minor; DM_ERR_USAGE otherwise. */
dm_err dm_gpu_parse_xy(const char *text, int *major, int *minor);

/* Static text for an NVML return code / a CUDA driver CUresult ("NVML_ERROR_NO_PERMISSION"). */
const char *dm_gpu_nvml_code_name(int rc);
const char *dm_gpu_cuda_code_name(int rc);

#ifdef __cplusplus
}
#endif
#endif
