/* dm/platform.h - the platform model: a flavour file (project keys, inline
 * targets, inline component sections), the components it selects with their
 * merged configuration, the install order, and the helm/kubectl runner that
 * installs, uninstalls and inspects them.  docs/configuration.md is the
 * contract for every key, path and precedence rule used here.
 *
 * Loaded objects are read-only and may be read from many threads.
 */
#ifndef DM_PLATFORM_H
#define DM_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <dm/err.h>
#include <dm/yaml.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dm_flavour dm_flavour;

/* ---- where the platform is -------------------------------------------------------------- */

/* The file that marks a platform root (flavours/, components/, k8s/): the repository's top
 * folder and the installed share folder hold one. */
#define DM_PLATFORM_MARKER ".dm-platform"
/* The flavour file a tool reads when -f is not given, in the platform root. */
#define DM_FLAVOUR_DEFAULT "flavours/default.yaml"

/* How a platform root was found. */
typedef enum {
	DM_ROOT_GIVEN = 0, /* a tool's --root */
	DM_ROOT_ENV,       /* $DM_HOME */
	DM_ROOT_FLAVOUR,   /* the nearest folder with components/ at or above the flavour file's */
	DM_ROOT_WALK,      /* the nearest folder with DM_PLATFORM_MARKER at or above the working folder */
	DM_ROOT_SHARE      /* the share folder dm was installed with (DM_SHARE_DIR) */
} dm_root_source;

/* The platform root: given (a tool's --root) when not NULL, else $DM_HOME when set and not
 * empty, else the nearest folder at or above the working folder that holds
 * DM_PLATFORM_MARKER, else the installed share folder when it holds one.  *out: absolute,
 * malloc'd.  Errors: DM_ERR_CONFIG when the named folder (--root, $DM_HOME) does not exist
 * or holds no components/; DM_ERR_NOTFOUND when no root is found (the detail names where
 * it looked and how to name one). */
dm_err dm_platform_root(char **out, dm_root_source *source, const char *given);

/* The flavour a tool works with: file when not NULL, else $DM_FLAVOUR when set and not
 * empty, else DM_FLAVOUR_DEFAULT in the platform root (dm_platform_root(root)); its platform
 * root is root when not NULL, else found as dm_flavour_load finds it.  When no file was named
 * and no platform or no default flavour is found (DM_ERR_NOTFOUND, the detail says where it looked), *none (when not NULL) is set
 * to 1: a tool that can do without the platform goes on without it.  With none NULL that is
 * DM_ERR_CONFIG. */
dm_err dm_flavour_choose(dm_flavour **out, const char *root, const char *file, int *none);

/* ---- the flavour file ------------------------------------------------------------------- */

/* The project section of a flavour, with every path resolved.  All strings
 * are borrowed from the dm_flavour and live as long as it does. */
typedef struct {
	const char *file;           /* the flavour file, absolute */
	const char *file_name;      /* its base name ("datalake_flavour.yaml") */
	const char *dir;            /* its folder, absolute */
	const char *root;           /* platform root (dm_flavour_choose says which), absolute */
	dm_root_source root_source; /* how root was found */
	const char *components_dir; /* <root>/components */
	const char *targets_dir;    /* <root>/k8s/configs */
	const char *k8s_namespace;  /* project.k8s_namespace */
	int proxy_port;             /* project.proxy_port (default 8001) */
	int all;                    /* 1 when project.flavour is `all` */
	const char *const *flavour; /* the names listed (NULL-terminated; empty with all) */
	size_t n_flavour;
	const char *k8s_default_config;       /* as written (default "default_mc.yaml") */
	const char *target_file;              /* resolved: <targets_dir>/<k8s_default_config> or absolute */
	const char *component_default_config; /* file name (default "config.yaml") */
	const char *data_folder;              /* resolved (default <root>/data) */
	const char *config_folder;            /* resolved (default: dir) */
	/* The loaded document and its nodes, for loaders of the inline sections
	 * (dm-cluster's target loader reads local:/remote: through dm/yaml.h). */
	const dm_yaml *doc;
	const dm_ynode *local;  /* the inline `local:` node, or NULL when absent */
	const dm_ynode *remote; /* the inline `remote:` node, or NULL when absent */
} dm_project;

/* Loads a flavour file: YAML, the top-level shape, every project key (types,
 * ranges, unknown keys, names) and the paths.  Component names (in
 * project.flavour and top-level sections) are checked by dm_platform_load,
 * targets by their own loader.  Errors: DM_ERR_CONFIG "FILE:LINE:COL: ..." and for a file
 * that does not exist, DM_ERR_IO for an unreadable file.  Its platform root: $DM_HOME, else
 * the nearest folder with components/ at or above the file's, else that of the working folder
 * or the share folder (dm_platform_root).  *out: dm_flavour_free(). */
dm_err dm_flavour_load(dm_flavour **out, const char *path);
/* The project section. Borrowed. */
const dm_project *dm_flavour_project(const dm_flavour *f);
/* The inline section of component `name`, or NULL. Borrowed. */
const dm_ynode *dm_flavour_section(const dm_flavour *f, const char *name);
void dm_flavour_free(dm_flavour *f);

/* ---- components ------------------------------------------------------------------------- */

typedef enum { DM_COMPONENT_HELM = 0, DM_COMPONENT_MANIFEST = 1 } dm_component_kind;

/* One `set` entry after merging.  value is as written, references included. */
typedef struct {
	const char *key;   /* helm value path, `\.` kept as written */
	const char *value; /* scalar text ("" for null) */
	int quoted;        /* written quoted: always a string */
	int is_null;       /* written as null / ~ / nothing */
	int secret;        /* holds ${C.access_key}, ${C.secret_key} or ${secrets...} */
	const char *file;  /* where it was set, for messages */
	unsigned line, col;
} dm_set_entry;

/* One generated Secret (`secrets:`). */
typedef struct {
	const char *name;
	const char *const *keys; /* NULL-terminated */
	size_t n_keys;
	int length; /* 16..256, default 32 */
} dm_gen_secret;

/* One image that needs a GPU node (`requires: {gpu: ...}`, docs/configuration.md). */
typedef struct {
	const char *image;   /* the image reference whose CUDA the nodes' driver must run; NULL:
				a GPU node is enough (no CUDA version checked) */
	const char *profile; /* the JupyterHub profile that uses it, for messages; NULL: the component */
	const char *file;    /* where it was written, for messages */
	unsigned line, col;
} dm_gpu_need;

/* A component's merged configuration.  Strings are borrowed from the platform. */
typedef struct {
	const char *name;
	const char *description;
	const char *folder;   /* its folder, absolute */
	const char *files[3]; /* the layers read: config.yaml, override file, flavour (NULL when not) */
	dm_component_kind kind;
	const char *release;       /* helm: default name */
	const char *chart_repo;    /* repository form: URL ... */
	const char *chart_name;    /* ... and chart name */
	const char *chart_oci;     /* OCI form */
	const char *chart_path;    /* path form, absolute */
	const char *version;       /* NULL for path charts when not given */
	const char *ns;            /* namespace (default project.k8s_namespace) */
	const char *const *values; /* resolved values files, absolute, in order */
	size_t n_values;
	const char *const *needs;
	size_t n_needs;
	const dm_set_entry *set; /* in the order written (config first, new keys appended) */
	size_t n_set;
	const dm_gen_secret *secrets;
	size_t n_secrets;
	/* secret: what this component exposes (all NULL without `secret:`) */
	const char *secret_name;
	const char *secret_access_key; /* field names */
	const char *secret_secret_key;
	const char *secret_endpoint;  /* as written */
	int wait;                     /* default 1 */
	uint64_t timeout_ms;          /* default 10m */
	const char *const *kustomize; /* manifest: URLs as written, paths absolute */
	size_t n_kustomize;
	const char *const *manifests;
	size_t n_manifests;
	/* requires: what the cluster must offer before an install.  requires_gpu:
	 * `requires: gpu` or a `requires.gpu` (then gpu lists its images). */
	int requires_gpu;
	const dm_gpu_need *gpu;
	size_t n_gpu;
} dm_component;

typedef struct dm_platform dm_platform;

typedef struct {
	int with_needs;          /* add needed components the flavour does not select */
	const char *const *only; /* NULL or a NULL-terminated list: restrict to these (must be selected) */
} dm_platform_opts;
/* clang-format off */
#define DM_PLATFORM_OPTS_INIT { .with_needs = 0, .only = NULL }
/* clang-format on */

/* Reads every component folder of the flavour's components folder, checks
 * the flavour's component names and inline sections, merges the layers of
 * each selected component (inline > components/<folder>/<flavour file name>
 * > config.yaml, key by key, `set` entry by entry), resolves values files
 * (config folder, then component folder) and references, and orders the
 * selection topologically (ties alphabetical).  Errors (DM_ERR_CONFIG) name
 * file:line, the cycle, or the missing need.  f must outlive the platform.
 * *out: dm_platform_free(). */
dm_err dm_platform_load(dm_platform **out, const dm_flavour *f, const dm_platform_opts *o);
/* The selected components in install order (0 <= i < count). Borrowed. */
size_t dm_platform_count(const dm_platform *p);
const dm_component *dm_platform_at(const dm_platform *p, size_t i);
/* A component of the flavour's selection by name (with the needs that
 * with_needs added, and those that `only` left out of the order), or NULL for
 * any other component of the components folder, which is not merged. */
const dm_component *dm_platform_find(const dm_platform *p, const char *name);
const dm_flavour *dm_platform_flavour(const dm_platform *p);
void dm_platform_free(dm_platform *p);

/* ${release}-style references in an endpoint: *out is the endpoint of c with
 * its own ${release} and ${namespace} filled in (malloc'd).  DM_ERR_CONFIG
 * when c exposes no endpoint. */
dm_err dm_component_endpoint(char **out, const dm_component *c);

/* ---- where a component's keys are --------------------------------------------------------- */

typedef struct {
	const dm_flavour *flavour;  /* NULL: none (no override layers, no project namespace) */
	const char *components_dir; /* NULL: the flavour's components folder, else "components" */
	const char *component;      /* its folder in components_dir */
	const char *ns;             /* NULL, or the namespace that replaces the component's */
	const char *ns_default;     /* the namespace when neither the component nor a flavour names one */
	const char *hint;           /* NULL, or what the user can do instead, added in parentheses to
					"no component" and "names no Secret" */
} dm_credentials_opts;

/* Where a component's S3 keys are: its `secret:` (docs/configuration.md). */
typedef struct {
	char *component;  /* its name (`name:`, else its folder) */
	char *file;       /* its config file, for messages */
	char *secret;     /* the Secret */
	char *ns;         /* its namespace: opts.ns, the component's, the flavour's, opts.ns_default */
	char *access_key; /* the Secret's key holding the access key */
	char *secret_key; /* ... and the secret key */
	char *endpoint;   /* `secret.endpoint` with ${release} and ${namespace} filled in */
} dm_credentials;

/* Reads components_dir/component/<component_default_config> and, with a
 * flavour, the two layers above it (the override file beside it, the
 * flavour's inline section), as dm_platform_load merges them, but only the
 * keys that say where the keys are: release, namespace and secret (checked as
 * dm_platform_load checks them).  The other components and keys are not read.
 * Errors: DM_ERR_CONFIG (no such component, no `secret:`, a bad key:
 * "FILE:LINE:COL: ..."; no namespace at all), DM_ERR_USAGE (a component name
 * that is no folder name).  *out: dm_credentials_release(). */
dm_err dm_component_credentials(dm_credentials *out, const dm_credentials_opts *o);
void dm_credentials_release(dm_credentials *c);

/* ---- running helm and kubectl ----------------------------------------------------------- */

/* DM_ACTION_IMAGES: render each component as an install would apply it (helm
 * template with its values and set entries, secrets as "<secret>"; manifest
 * files read; kustomizations built with kubectl kustomize) and list the images
 * of its pods in dm_run_result.images.  Nothing reaches the cluster; a chart
 * that cannot be fetched (no network) fails that component alone. */
typedef enum {
	DM_ACTION_PLAN = 0,
	DM_ACTION_INSTALL,
	DM_ACTION_UNINSTALL,
	DM_ACTION_STATUS,
	DM_ACTION_IMAGES
} dm_action;

typedef enum {
	DM_OUTCOME_PENDING = 0,
	DM_OUTCOME_OK,
	DM_OUTCOME_FAILED,
	DM_OUTCOME_SKIPPED,    /* a component it needs failed */
	DM_OUTCOME_INTERRUPTED /* dm_proc_cancel stopped it (its helm or kubectl stopped) */
} dm_outcome;

/* What happened to one component.  detail: the error, or the reason for a skip. */
typedef struct {
	const dm_component *component;
	dm_outcome outcome;
	char *detail; /* malloc'd or NULL */
	double seconds;
	/* status only: */
	char *status; /* helm's info.status ("deployed", "failed"), "not installed", "applied" ... */
	char *chart;  /* chart name-version, from helm */
	int revision;
	char *updated;  /* helm's info.last_deployed */
	char *raw_json; /* helm status -o json as helm printed it (helm components) */
	/* images only: the images of the component's pods, NULL-terminated, unique */
	char **images;
} dm_run_result;

typedef struct {
	const char *helm; /* program paths; NULL: "helm" and "kubectl", looked up in PATH */
	const char *kubectl;
	const char *kubeconfig; /* NULL: $KUBECONFIG / ~/.kube/config (passed on to helm/kubectl) */
	const char *context;    /* NULL: the kubeconfig's current context */
	uint64_t timeout_ms;    /* 0: each component's own timeout; else replaces them all */
	int jobs;               /* components at once (>= 1) */
	int dry_run;            /* report every command through on_command, run nothing */
	int delete_namespace;   /* uninstall: delete the namespaces afterwards, only those that dm
				    created and that hold nothing else (checked first: see run.c) */
	int crash_restarts;     /* install with wait: stop helm's wait as soon as a container of the
				    release, in a pod this install made, has crashed (non-zero exit)
				    and been restarted this many times; 0: DM_RUN_CRASH_RESTARTS;
				    < 0: never (helm's timeout) */
	/* Called (serialised, from any thread) for each command before it runs
	 * or, with dry_run, instead of running it; argv never holds a secret. */
	void (*on_command)(void *ud, const dm_component *c, const char *const *argv);
	/* Called (serialised, from any thread) when a component starts (res NULL)
	 * and as soon as it ends (res->outcome, res->seconds since its start,
	 * res->detail): a tool's progress lines.  A component skipped because a
	 * need failed ends without having started. */
	void (*on_component)(void *ud, const dm_component *c, const dm_run_result *res);
	void *ud;
	/* install: the image table (dm/gpu.h) in which the GPU check looks up the
	 * images of components that require a GPU; skip_gpu_check: install them
	 * without the check (a warning each).  See dm_platform_run. */
	const struct dm_gpu_images *gpu_images;
	int skip_gpu_check;
	/* the command that checks a GPU node on the node, named in the check's remedy
	 * (dm_gpu_check_opts.label.node_check); NULL: none named */
	const char *gpu_node_check;
} dm_run_opts;
/* clang-format off */
#define DM_RUN_OPTS_INIT { .helm = NULL, .jobs = 1 }
/* clang-format on */
/* The default of crash_restarts: about 30 s of crash loop with the kubelet's back-off. */
#define DM_RUN_CRASH_RESTARTS 3

/* Runs action for every component of p (install: in order, dependents of a
 * failure skipped; uninstall: reverse order; status: each).  An install that
 * fails while waiting names, in its detail, the release's pods that are not
 * Ready: "pod P: container C: REASON (exit N, R restarts): last log line".  *results is an
 * array of dm_platform_count(p) entries in install order: dm_run_results_free().
 * DM_OK when all succeeded; DM_ERR_PARTIAL when some failed or were skipped
 * (listed in the results); DM_ERR_INTERRUPTED after dm_proc_cancel (from a
 * signal handler: the running components end DM_OUTCOME_INTERRUPTED, those not
 * started stay DM_OUTCOME_PENDING); other errors when nothing could be tried (a
 * kubeconfig that does not load, a namespace that --delete-namespace must not
 * delete) or a namespace could not be deleted.
 * An install (not a dry run) first checks the cluster for every component that
 * requires a GPU (dm_gpu_check_cluster over the nodes, each image's CUDA from
 * o->gpu_images): when one does not pass, nothing at all is run, those
 * components end DM_OUTCOME_FAILED with the diagnosis as detail, and the
 * result is DM_ERR_UNSUPPORTED (DM_ERR_CONFIG for an image the table does not
 * know, DM_ERR_FORBIDDEN ... when the nodes cannot be read). */
dm_err dm_platform_run(const dm_platform *p, dm_action action, const dm_run_opts *o, dm_run_result **results);

/* The programs dm_platform_run runs for p: *helm for a helm component,
 * *kubectl for a manifest component or with delete_namespace (1 or 0 each),
 * so that a caller looks up only those (dm_proc_find_given). */
void dm_platform_programs(const dm_platform *p, int delete_namespace, int *helm, int *kubectl);
void dm_run_results_free(dm_run_result *results, size_t n);
/* The images of every result of DM_ACTION_IMAGES, unique and sorted (byte order);
 * *out NULL-terminated: dm_strv_free (dm/util.h). */
dm_err dm_run_results_images(char ***out, const dm_run_result *results, size_t n);

/* The Go duration text helm takes for ms ("90s", "10m0s" style: "600s"). */
void dm_platform_duration(char out[32], uint64_t ms);

#ifdef __cplusplus
}
#endif
#endif
