/* dm-gpu - list a node's CUDA devices and say whether GPU notebook images can
 * run on it.  Argument parsing and output only; the facts and the rules are
 * libdm's (dm/gpu.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dm/cli.h>
#include <dm/json.h>
#include <dm/err.h>
#include <dm/gpu.h>
#include <dm/log.h>
#include <dm/util.h>

#define SMOKE_BYTES ((size_t)64 << 20)

extern const unsigned char dm_gpu_images_yaml[];
extern const size_t dm_gpu_images_yaml_len;

static const char help_head[] = "Usage: dm-gpu [list] [--json]\n"
				"       dm-gpu check [--cuda X.Y] [--image NAME] [--min-memory SIZE]\n"
				"                    [--min-cc X.Y] [--smoke] [--json]\n"
				"\n"
				"List the NVIDIA GPUs of this node and the driver's facts, or check that a CUDA\n"
				"notebook image can run here; every problem found is named with its fix.\n"
				"\n"
				"Commands:\n"
				"  list                    the driver, CUDA version, device nodes, container\n"
				"                          runtime and every GPU (the default)\n"
				"  check                   list's facts judged against the requirements below\n";

static const char help_tail[] = "Environment:\n"
				"  DM_NVML_LIBRARY         absolute path loaded instead of libnvidia-ml.so.1\n"
				"  DM_CUDA_LIBRARY         absolute path loaded instead of libcuda.so.1\n"
				"\n"
				"Exit codes:\n"
				"  0 ready, 1 not ready (the reasons are listed), 2 usage (a missing --images\n"
				"  file too), 3 bad configuration (a malformed --images file)\n";

struct args {
	int check;
	int json;
	int smoke;
	int verbosity;
	const char *cuda;
	const char *image;
	const char *images_file;
	const char *min_memory;
	const char *min_cc;
	const char *root;
	const char *kubeconfig, *context;
	const char *node;
	int k8s;
};

enum {
	OPT_CUDA = DM_CLI_LONG_ONLY,
	OPT_IMAGE,
	OPT_IMAGES,
	OPT_MIN_MEMORY,
	OPT_MIN_CC,
	OPT_SMOKE,
	OPT_ROOT,
	OPT_JSON,
	OPT_KUBECONFIG,
	OPT_CONTEXT,
	OPT_NODE
};

/* tag: the option belongs to 'check' */
static const dm_cli_option option_table[] = {
	{ OPT_CUDA, "cuda", "X.Y", "the CUDA version the image needs from the driver", 1 },
	{ OPT_IMAGE, "image", "NAME",
	  "take the CUDA version (and compute capability) from the image table: a short name (pydl_gpu_env) or "
	  "an image reference",
	  1 },
	{ OPT_IMAGES, "images", "FILE",
	  "read the image table from FILE (default: the built-in copy of k8s/gpu-images.yaml)", 0 },
	{ OPT_MIN_MEMORY, "min-memory", "SIZE", "free memory each GPU must have (e.g. 4GiB, 512M)", 1 },
	{ OPT_MIN_CC, "min-cc", "X.Y",
	  "lowest compute capability accepted (the toolkit's floor for the CUDA version always applies)", 1 },
	{ OPT_SMOKE, "smoke", NULL,
	  "also allocate, copy and run a kernel on each GPU through the CUDA runtime, and report the copy "
	  "bandwidth",
	  1 },
	{ OPT_ROOT, "root", "DIR",
	  "look for proc/driver/nvidia, dev/nvidia*, CDI specs and the container runtime under DIR (a host's / "
	  "mounted in a container)",
	  0 },
#ifdef DM_GPU_HAVE_K8S
	{ OPT_NODE, "node", "NAME",
	  "also read this node from Kubernetes (default with --kubeconfig or --context: $NODE_NAME, else the "
	  "host name): its allocatable nvidia.com/gpu must be > 0",
	  0 },
	{ OPT_KUBECONFIG, "kubeconfig", "FILE",
	  "the cluster of --node (default: $KUBECONFIG, else the cluster that dm-cluster start recorded, else "
	  "~/.kube/config; '' as not given)",
	  0 },
	DM_CLI_OPT_CONTEXT(OPT_CONTEXT, 0),
#endif
	{ OPT_JSON, "json", NULL, "print one JSON document with every fact and every reason", 0 },
	{ 'q', "quiet", NULL, "errors only on stderr", 0 },
	{ 'v', "verbose", NULL, "more detail on stderr", 0 },
	DM_CLI_OPT_HELP,
	DM_CLI_OPT_VERSION,
	DM_CLI_END,
};

/* The command word and the options' combinations; DM_CLI_GO_ON or the usage exit code. */
static int check_words(struct args *a, const dm_cli_parser *p, int check_only)
{
	if (p->noperands > 0) {
		if (!strcmp(p->operands[0], "check"))
			a->check = 1;
		else if (strcmp(p->operands[0], "list"))
			return dm_cli_usage_error("unknown command '%s' (expected list or check)", p->operands[0]);
	}
	if (p->noperands > 1)
		return dm_cli_usage_error("unexpected argument '%s'", p->operands[1]);
	if (check_only && !a->check)
		return dm_cli_usage_error("--cuda, --image, --min-memory, --min-cc and --smoke belong to 'check'");
	return DM_CLI_GO_ON;
}

/* DM_CLI_GO_ON, or the exit code (--help, --version, misuse) */
static int parse_args(struct args *a, int argc, char **argv)
{
	dm_cli_parser p;
	int c, check_only = 0;

	dm_cli_parser_init(&p, option_table, argc, argv);
	while ((c = dm_cli_next(&p)) > 0) {
		check_only |= p.opt->tag;
		switch (c) {
		case OPT_CUDA: a->cuda = p.value; break;
		case OPT_IMAGE: a->image = p.value; break;
		case OPT_IMAGES: a->images_file = p.value; break;
		case OPT_MIN_MEMORY: a->min_memory = p.value; break;
		case OPT_MIN_CC: a->min_cc = p.value; break;
		case OPT_SMOKE: a->smoke = 1; break;
		case OPT_ROOT: a->root = p.value; break;
		case OPT_JSON: a->json = 1; break;
		case OPT_KUBECONFIG:
			a->kubeconfig = *p.value ? p.value : NULL;
			a->k8s = 1;
			break;
		case OPT_CONTEXT:
			a->context = p.value;
			a->k8s = 1;
			break;
		case OPT_NODE:
			a->node = p.value;
			a->k8s = 1;
			break;
		case 'q': a->verbosity = -1; break;
		case 'v': a->verbosity++; break;
		case 'h': return dm_cli_help(help_head, option_table, help_tail);
		case 'V': return dm_cli_version();
		}
	}
	if (c == DM_CLI_BAD)
		return DM_EXIT_USAGE;
	return check_words(a, &p, check_only);
}

/* ---- human output ---- */

static const char *tri(int v, const char *off, const char *on)
{
	return v < 0 ? "-" : v ? on : off;
}

static const char *compute_mode_name(int m)
{
	switch (m) {
	case DM_GPU_COMPUTE_DEFAULT: return "Default";
	case DM_GPU_COMPUTE_EXCLUSIVE_THREAD: return "Exclusive_Thread";
	case DM_GPU_COMPUTE_PROHIBITED: return "Prohibited";
	case DM_GPU_COMPUTE_EXCLUSIVE_PROCESS: return "Exclusive_Process";
	default: return "-";
	}
}

static void gib(char *out, size_t n, long long b)
{
	if (b < 0)
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%.1f", (double)b / (1024.0 * 1024 * 1024));
}

static void print_lib(const dm_gpu_lib *l)
{
	printf("%-16s ", l->soname);
	if (!l->loaded)
		printf("not loaded: %s\n", l->load_error ? l->load_error : "not found");
	else if (l->init_rc != 0)
		printf("%s, init failed: %s\n", l->resolved, l->init_error);
	else
		printf("%s\n", l->resolved);
	if (l->n_missing) {
		size_t i;

		printf("%-16s missing optional symbols:", "");
		for (i = 0; i < l->n_missing; i++)
			printf(" %s", l->missing[i]);
		printf("\n");
	}
}

static void print_facts(const dm_gpu_report *r)
{
	size_t i;

	print_lib(&r->nvml);
	print_lib(&r->cuda);
	printf("%-16s %s%s%s%s\n", "driver", r->driver_version[0] ? r->driver_version : "-",
	       r->driver_version_from[0] ? " (from " : "", r->driver_version_from,
	       r->driver_version_from[0] ? ")" : "");
	if (r->cuda_version > 0)
		printf("%-16s %d.%d\n", "CUDA (driver)", r->cuda_version / 1000, (r->cuda_version % 1000) / 10);
	else
		printf("%-16s -\n", "CUDA (driver)");
	printf("%-16s %s\n", "kernel module", r->kernel_module_version[0] ? r->kernel_module_version : "-");
	printf("%-16s", "device nodes");
	for (i = 0; i < r->n_devnodes; i++) {
		const dm_gpu_devnode *n = &r->devnodes[i];

		printf(" %s%s", n->path, !n->exists ? " (missing)" : !n->access_ok ? " (no access)" : "");
	}
	printf("%s\n", r->n_devnodes ? "" : " -");
	printf("%-16s", "container");
	if (r->runtime_path)
		printf(" %s", r->runtime_path);
	if (r->ctk_path)
		printf(" %s", r->ctk_path);
	if (r->cli_path)
		printf(" %s", r->cli_path);
	for (i = 0; i < r->n_cdi_specs; i++)
		printf(" %s", r->cdi_specs[i]);
	if (!r->runtime_path && !r->ctk_path && !r->cli_path && !r->n_cdi_specs)
		printf(" %s", r->in_container ? "- (inside a container)" : "-");
	printf("\n");
	if (r->k8s_node && r->k8s_error)
		printf("%-16s node %s, not read (see the reasons)\n", "kubernetes", r->k8s_node);
	else if (r->k8s_node)
		printf("%-16s node %s, allocatable nvidia.com/gpu %lld\n", "kubernetes", r->k8s_node,
		       r->k8s_allocatable);
	printf("%-16s %zu\n", "GPUs", r->n_devices);
	if (!r->n_devices)
		return;
	printf("\n%-3s %-28s %-4s %-15s %-4s %-10s %-4s %-17s %-7s %-4s %-6s %-5s %-5s %s\n", "IDX", "NAME", "CC",
	       "FREE/TOTAL GiB", "SMS", "SM/MEM MHz", "MIG", "COMPUTE", "PERSIST", "ECC", "UNCORR", "TEMP", "UTIL",
	       "BUS ID / UUID");
	for (i = 0; i < r->n_devices; i++) {
		const dm_gpu_device *d = &r->devices[i];
		char cc[16], mem[40], f[16], t[16], sms[16], clk[32], unc[24], temp[16], util[16];

		if (d->cc_major >= 0)
			snprintf(cc, sizeof(cc), "%d.%d", d->cc_major, d->cc_minor);
		else
			snprintf(cc, sizeof(cc), "-");
		gib(f, sizeof(f), d->mem_free);
		gib(t, sizeof(t), d->mem_total);
		snprintf(mem, sizeof(mem), "%s/%s", f, t);
		snprintf(sms, sizeof(sms), d->sm_count >= 0 ? "%d" : "-", d->sm_count);
		if (d->clock_sm_mhz >= 0 || d->clock_mem_mhz >= 0)
			snprintf(clk, sizeof(clk), "%d/%d", d->clock_sm_mhz, d->clock_mem_mhz);
		else
			snprintf(clk, sizeof(clk), "-");
		snprintf(unc, sizeof(unc), d->ecc_uncorrected_volatile >= 0 ? "%lld" : "-",
			 d->ecc_uncorrected_volatile);
		snprintf(temp, sizeof(temp), d->temperature_c >= 0 ? "%dC" : "-", d->temperature_c);
		snprintf(util, sizeof(util), d->util_gpu >= 0 ? "%d%%" : "-", d->util_gpu);
		printf("%-3d %-28.28s %-4s %-15s %-4s %-10s %-4s %-17s %-7s %-4s %-6s %-5s %-5s %s %s\n", d->index,
		       d->name[0] ? d->name : "-", cc, mem, sms, clk, tri(d->mig_mode, "off", "on"),
		       compute_mode_name(d->compute_mode), tri(d->persistence, "off", "on"),
		       tri(d->ecc_mode, "off", "on"), unc, temp, util, d->pci_bus_id[0] ? d->pci_bus_id : "-",
		       d->uuid[0] ? d->uuid : "-");
	}
}

/* The summary line on stdout with the report; each reason on stderr, as every error and warning of
 * dm's tools ("dm-gpu: error: [code] message"; -q keeps the errors). */
static void print_verdict(const dm_gpu_report *r, const dm_gpu_verdict *v, const dm_gpu_smoke_result *smoke,
			  size_t n_smoke, int json)
{
	size_t i, errors = 0, warnings = 0;
	const dm_gpu_reason *first = NULL;

	for (i = 0; i < v->n_reasons; i++) {
		const dm_gpu_reason *re = &v->reasons[i];

		errors += re->severity == DM_GPU_ERROR;
		warnings += re->severity == DM_GPU_WARNING;
		if (re->severity == DM_GPU_ERROR)
			dm_error("[%s] %s", re->code, re->message);
		else
			dm_warn("[%s] %s", re->code, re->message);
		if (re->severity == DM_GPU_ERROR && !first)
			first = re;
	}
	/* the --json envelope's error: the first problem, with its code */
	if (first)
		dm_cli_json_note_error(first->message, first->code);
	if (json)
		return;
	for (i = 0; i < n_smoke; i++) {
		if (smoke[i].ok)
			printf("smoke CUDA %-4d %zu MiB: host->device %.1f GB/s, device->host %.1f GB/s, kernel %.3f "
			       "ms\n",
			       smoke[i].cuda_index, smoke[i].bytes >> 20, smoke[i].h2d_gbps, smoke[i].d2h_gbps,
			       smoke[i].kernel_ms);
	}
	printf("\n");
	if (v->ready)
		printf("ready: %d of %zu GPUs", v->ready_devices, r->n_devices);
	else
		printf("not ready: %zu problem%s", errors, errors == 1 ? "" : "s");
	if (warnings)
		printf(", %zu warning%s", warnings, warnings == 1 ? "" : "s");
	if (v->cuda_major)
		printf(" (CUDA %d.%d from %s%s%s)", v->cuda_major, v->cuda_minor, v->cuda_from,
		       v->min_driver ? ", full support from driver " : "", v->min_driver ? v->min_driver : "");
	printf("\n");
}

/* ---- JSON ---- */

static json_t *jstr(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static json_t *jint(long long v)
{
	return v < 0 ? json_null() : json_integer(v);
}

static json_t *jtri(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

static json_t *jxy(int major, int minor)
{
	char s[32];

	if (major <= 0)
		return json_null();
	snprintf(s, sizeof(s), "%d.%d", major, minor);
	return json_string(s);
}

static json_t *json_lib(const dm_gpu_lib *l)
{
	json_t *missing = json_array();
	size_t i;

	for (i = 0; i < l->n_missing; i++)
		json_array_append_new(missing, json_string(l->missing[i]));
	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:o}", "soname", l->soname, "path",
			 jstr(l->path), "path_from", jstr(l->path_from), "resolved", jstr(l->resolved), "file_version",
			 jstr(l->file_version), "loaded", l->loaded, "load_error", jstr(l->load_error), "init_rc",
			 l->init_rc == DM_GPU_UNKNOWN ? json_null() : json_integer(l->init_rc), "init_error",
			 jstr(l->init_error), "missing_symbols", missing);
}

static json_t *json_device(const dm_gpu_device *d)
{
	static const char *const modes[] = { "default", "exclusive_thread", "prohibited", "exclusive_process" };
	json_t *o = json_object();

	json_object_set_new(o, "index", json_integer(d->index));
	json_object_set_new(o, "cuda_index", jint(d->cuda_index));
	json_object_set_new(o, "minor", jint(d->minor));
	json_object_set_new(o, "name", jstr(d->name));
	json_object_set_new(o, "uuid", jstr(d->uuid));
	json_object_set_new(o, "pci_bus_id", jstr(d->pci_bus_id));
	json_object_set_new(o, "compute_capability", jxy(d->cc_major < 0 ? 0 : d->cc_major, d->cc_minor));
	json_object_set_new(o, "memory_total", jint(d->mem_total));
	json_object_set_new(o, "memory_free", jint(d->mem_free));
	json_object_set_new(o, "sm_count", jint(d->sm_count));
	json_object_set_new(o, "clock_sm_max_mhz", jint(d->clock_sm_mhz));
	json_object_set_new(o, "clock_mem_max_mhz", jint(d->clock_mem_mhz));
	json_object_set_new(o, "mig_enabled", jtri(d->mig_mode));
	json_object_set_new(o, "mig_pending", jtri(d->mig_pending));
	json_object_set_new(o, "compute_mode",
			    d->compute_mode >= 0 && d->compute_mode <= 3 ? json_string(modes[d->compute_mode])
									 : json_null());
	json_object_set_new(o, "persistence_mode", jtri(d->persistence));
	json_object_set_new(o, "ecc_enabled", jtri(d->ecc_mode));
	json_object_set_new(o, "ecc_uncorrected_volatile", jint(d->ecc_uncorrected_volatile));
	json_object_set_new(o, "temperature_c", jint(d->temperature_c));
	json_object_set_new(o, "utilization_gpu", jint(d->util_gpu));
	json_object_set_new(o, "utilization_memory", jint(d->util_mem));
	return o;
}

static json_t *json_doc(const dm_gpu_report *r, const dm_gpu_verdict *v, const dm_gpu_check_opts *o,
			const dm_gpu_smoke_result *smoke, size_t n_smoke, int smoke_built)
{
	json_t *doc = json_object(), *devs = json_array(), *nodes = json_array(), *cdi = json_array();
	json_t *reasons = json_array(), *req, *drv, *rt, *sm = json_null();
	size_t i;

	for (i = 0; i < r->n_devices; i++)
		json_array_append_new(devs, json_device(&r->devices[i]));
	for (i = 0; i < r->n_devnodes; i++)
		json_array_append_new(nodes,
				      json_pack("{s:s, s:b, s:b, s:b, s:b}", "path", r->devnodes[i].path, "exists",
						r->devnodes[i].exists, "char_device", r->devnodes[i].is_char, "access",
						r->devnodes[i].access_ok, "required", r->devnodes[i].required));
	for (i = 0; i < r->n_cdi_specs; i++)
		json_array_append_new(cdi, json_string(r->cdi_specs[i]));
	for (i = 0; i < v->n_reasons; i++)
		json_array_append_new(reasons, json_pack("{s:s, s:s, s:o, s:s}", "severity",
							 v->reasons[i].severity == DM_GPU_ERROR ? "error" : "warning",
							 "code", v->reasons[i].code, "device",
							 jint(v->reasons[i].device), "message", v->reasons[i].message));
	req = json_pack("{s:o, s:o, s:o, s:o, s:o, s:b}", "cuda", jxy(v->cuda_major, v->cuda_minor), "cuda_from",
			jstr(v->cuda_from), "min_driver", jstr(v->min_driver), "min_compute_capability",
			jxy(v->cc_major, v->cc_minor), "min_memory",
			o->min_memory ? json_integer((json_int_t)o->min_memory) : json_null(), "minor_version_compat",
			v->minor_compat);
	if (o->image)
		json_object_set_new(req, "image",
				    json_pack("{s:s, s:o, s:o, s:o}", "name", o->image->name, "cuda",
					      jxy(o->image->cuda_major, o->image->cuda_minor), "min_compute_capability",
					      jxy(o->image->min_cc_major, o->image->min_cc_minor), "note",
					      jstr(o->image->note)));
	else
		json_object_set_new(req, "image", json_null());
	drv = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "version", jstr(r->driver_version), "version_from",
			jstr(r->driver_version_from), "cuda_version",
			r->cuda_version > 0 ? jxy(r->cuda_version / 1000, (r->cuda_version % 1000) / 10) : json_null(),
			"cuda_version_int", r->cuda_version > 0 ? json_integer(r->cuda_version) : json_null(),
			"cuda_version_from", jstr(r->cuda_version_from), "nvml_version", jstr(r->nvml_version),
			"kernel_module_version", jstr(r->kernel_module_version), "proc_version_path",
			jstr(r->proc_version_path));
	rt = json_pack("{s:o, s:o, s:o, s:o, s:b}", "nvidia_container_runtime", jstr(r->runtime_path), "nvidia_ctk",
		       jstr(r->ctk_path), "nvidia_container_cli", jstr(r->cli_path), "cdi_specs", cdi, "in_container",
		       r->in_container);
	if (o->smoke) {
		json_t *res = json_array();

		for (i = 0; i < n_smoke; i++)
			json_array_append_new(res, json_pack("{s:i, s:b, s:I, s:i, s:f, s:f, s:f, s:o}", "cuda_index",
							     smoke[i].cuda_index, "ok", smoke[i].ok, "bytes",
							     (json_int_t)smoke[i].bytes, "runtime_version",
							     smoke[i].runtime_version, "h2d_gbps", smoke[i].h2d_gbps,
							     "d2h_gbps", smoke[i].d2h_gbps, "kernel_ms",
							     smoke[i].kernel_ms, "error", jstr(smoke[i].error)));
		json_decref(sm);
		sm = json_pack("{s:b, s:o}", "built", smoke_built, "results", res);
	}
	json_object_set_new(doc, "ready", json_boolean(v->ready));
	json_object_set_new(doc, "ready_devices", json_integer(v->ready_devices));
	json_object_set_new(doc, "device_count", json_integer((json_int_t)r->n_devices));
	json_object_set_new(doc, "requirements", req);
	json_object_set_new(doc, "driver", drv);
	json_object_set_new(doc, "libraries",
			    json_pack("{s:o, s:o}", "nvml", json_lib(&r->nvml), "cuda", json_lib(&r->cuda)));
	json_object_set_new(doc, "counts",
			    json_pack("{s:o, s:o}", "nvml", jint(r->nvml_count), "cuda", jint(r->cuda_count)));
	json_object_set_new(doc, "devices", devs);
	json_object_set_new(doc, "device_nodes", nodes);
	json_object_set_new(doc, "container_runtime", rt);
	if (r->k8s_node || r->k8s_error)
		json_object_set_new(doc, "kubernetes",
				    json_pack("{s:o, s:o, s:o, s:o}", "node", jstr(r->k8s_node), "allocatable",
					      jint(r->k8s_allocatable), "capacity", jint(r->k8s_capacity), "error",
					      jstr(r->k8s_error)));
	else
		json_object_set_new(doc, "kubernetes", json_null());
	json_object_set_new(doc, "smoke", sm);
	json_object_set_new(doc, "reasons", reasons);
	return doc;
}

static dm_err load_image(dm_gpu_image **out, const struct args *a)
{
	dm_gpu_images *t = NULL;
	dm_err err;

	*out = NULL;
	if (a->images_file)
		err = dm_gpu_images_load_file(&t, a->images_file);
	else
		err = dm_gpu_images_load_string(&t, "k8s/gpu-images.yaml (built in)", (const char *)dm_gpu_images_yaml,
						dm_gpu_images_yaml_len);
	if (err == DM_OK)
		err = dm_gpu_images_find(out, t, a->image);
	dm_gpu_images_free(t);
	return err;
}

/* The requirement the flags ask for, into co (*img: the --image looked up, for the caller to
 * free): DM_CLI_GO_ON, or the exit code of a usage error.  The reasons (and the requirement's
 * cuda_from) name where a requirement came from: here, the flags that asked for it. */
static int requirement(dm_gpu_check_opts *co, dm_gpu_image **img, const struct args *a)
{
	dm_err err;

	if (a->cuda && dm_gpu_parse_xy(a->cuda, &co->cuda_major, &co->cuda_minor) != DM_OK)
		return dm_cli_usage_error("--cuda: %s", dm_err_detail());
	if (a->cuda && co->cuda_major < 1)
		return dm_cli_usage_error("--cuda: invalid version '%s'", a->cuda);
	if (a->min_cc && dm_gpu_parse_xy(a->min_cc, &co->min_cc_major, &co->min_cc_minor) != DM_OK)
		return dm_cli_usage_error("--min-cc: %s", dm_err_detail());
	if (a->min_memory && dm_parse_size(a->min_memory, &co->min_memory) != DM_OK)
		return dm_cli_usage_error("--min-memory: %s", dm_err_detail());
	if (a->image) {
		err = load_image(img, a);
		if (err == DM_ERR_NOTFOUND)
			return dm_cli_usage_error("--image: %s", dm_err_detail());
		if (err != DM_OK)
			return dm_cli_fail(err);
		co->image = *img;
	}
	co->smoke = a->smoke;
	co->label.cuda = "--cuda";
	co->label.image = "--image";
	co->label.min_memory = "--min-memory";
	co->label.min_cc = "--min-cc";
	co->label.smoke = "--smoke";
	co->label.node_check = a->image ? "dm-gpu check --image" : "dm-gpu check --cuda";
	return DM_CLI_GO_ON;
}

int main(int argc, char **argv)
{
	struct args a;
	dm_gpu_probe_opts po = DM_GPU_PROBE_OPTS_INIT;
	dm_gpu_check_opts co = DM_GPU_CHECK_OPTS_INIT;
	dm_gpu_report *r = NULL;
	dm_gpu_verdict *v = NULL;
	dm_gpu_image *img = NULL;
	dm_gpu_smoke_result *smoke = NULL;
	size_t n_smoke = 0;
	int code, smoke_built = 0;
	dm_err err;

#ifdef DM_GPU_HAVE_SMOKE
	smoke_built = 1;
#endif
	dm_cli_init("dm-gpu");
	dm_cli_no_core(); /* it may read kubeconfig tokens */
	memset(&a, 0, sizeof(a));
	if (dm_cli_argv_has(argc, argv, "--json")) /* a usage error is a document too */
		dm_cli_json_set(DM_CLI_JSON_DOC);
	if ((code = parse_args(&a, argc, argv)) != DM_CLI_GO_ON)
		return dm_cli_finish(code);
	dm_cli_json_command(a.check ? "check" : "list");
	dm_cli_set_verbosity(a.verbosity);

	if ((code = requirement(&co, &img, &a)) != DM_CLI_GO_ON)
		return dm_cli_finish(code);
	co.smoke_built = smoke_built;

	po.root = a.root;
	err = dm_gpu_probe(&r, &po);
	if (err == DM_ERR_USAGE) {
		code = dm_cli_usage_error("%s", dm_err_detail());
		goto done;
	}
	if (err != DM_OK) {
		code = dm_cli_fail(err);
		goto done;
	}
#ifdef DM_GPU_HAVE_K8S
	if (a.k8s) {
		dm_k8s_opts ko = DM_K8S_OPTS_INIT;
		dm_k8s_current cur;

		ko.kubeconfig = a.kubeconfig;
		ko.context = a.context;
		if (!(err = dm_cli_k8s_choose(&ko, &cur)))
			err = dm_gpu_k8s_node(r, ko.kubeconfig, ko.context, a.node);
		dm_k8s_current_release(&cur);
		if (err != DM_OK) {
			code = dm_cli_fail(err);
			goto done;
		}
	}
#endif
	err = dm_gpu_check(&v, r, &co);
	if (err != DM_OK) {
		code = dm_cli_fail(err);
		goto done;
	}
#ifdef DM_GPU_HAVE_SMOKE
	/* Only on GPUs that passed everything else: the others are explained already. */
	if (a.smoke && r->cuda.init_rc == 0 && r->n_devices) {
		size_t i;

		smoke = calloc(r->n_devices, sizeof(*smoke));
		if (!smoke) {
			code = dm_cli_fail(DM_ERR_NOMEM);
			goto done;
		}
		for (i = 0; i < r->n_devices; i++) {
			const dm_gpu_device *d = &r->devices[i];
			size_t k;
			int bad = d->cuda_index < 0;

			for (k = 0; k < v->n_reasons; k++)
				bad |= v->reasons[k].device == d->index && v->reasons[k].severity == DM_GPU_ERROR;
			if (!bad && dm_gpu_smoke_run(&smoke[n_smoke], d->cuda_index, SMOKE_BYTES) == DM_OK)
				n_smoke++;
		}
		co.smoke_results = smoke;
		co.n_smoke = n_smoke;
		dm_gpu_verdict_free(v);
		v = NULL;
		if ((err = dm_gpu_check(&v, r, &co)) != DM_OK) {
			code = dm_cli_fail(err);
			goto done;
		}
	}
#endif
	code = v->ready ? DM_EXIT_OK : DM_EXIT_FAIL;
	if (!a.json)
		print_facts(r);
	print_verdict(r, v, smoke, n_smoke, a.json);
	if (a.json)
		code = dm_cli_json_print(json_doc(r, v, &co, smoke, n_smoke, smoke_built), code);
done:
	free(smoke);
	dm_gpu_verdict_free(v);
	dm_gpu_report_free(r);
	dm_gpu_image_free(img);
	return dm_cli_finish(code);
}
