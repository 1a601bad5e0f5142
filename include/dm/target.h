/* dm/target.h - cluster targets (files in k8s/configs/, or a flavour's inline
 * `local:` / `remote:`) and the operations on the cluster they describe:
 * preflight, start, stop, delete, status; kubectl proxy and throw-away
 * debugging pods.  docs/configuration.md ("Target
 * files") is the contract for the keys; docs/dm-cluster.md for the behaviour.
 *
 * minikube and microk8s are driven through their command-line tools (argv
 * only, dm/proc.h); every cluster, remote or local, is then checked through
 * the Kubernetes API (dm/k8s.h).  Nothing here prints: commands are reported
 * through a callback and progress through the logger (dm/log.h).
 * Credentials never leave the kubeconfig files: they are neither logged nor
 * returned in any string of this module.
 */
#ifndef DM_TARGET_H
#define DM_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <dm/err.h>
#include <dm/k8s.h>
#include <dm/platform.h>
#include <dm/yaml.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- targets ---------------------------------------------------------------------------- */

typedef enum { DM_PROVIDER_MINIKUBE = 0, DM_PROVIDER_MICROK8S = 1, DM_PROVIDER_REMOTE = 2 } dm_provider;

/* "minikube", "microk8s", "remote". */
const char *dm_provider_name(dm_provider p);

/* A pull-through cache that dm-cluster runs beside the cluster: the CNCF distribution registry
 * (Debian's docker-registry) with proxy.remoteurl, started before minikube and stopped by delete
 * (docs/dm-cluster.md, "Registry mirror").  Strings owned by the target. */
typedef struct dm_mirror_serve {
	char *serve;    /* HOST:PORT it listens on (http.addr) */
	char *upstream; /* http(s)://HOST[:PORT] of the registry it caches (proxy.remoteurl) */
	char *storage;  /* absolute folder of its cache; NULL: STATE/registry-mirror-PORT/data */
	char *probe;    /* http://HOST:PORT/v2/ that tells it answers (127.0.0.1 for a 0.0.0.0 serve) */
} dm_mirror_serve;

/* A loaded target.  Every string is owned by the target (dm_target_free). */
typedef struct {
	dm_provider provider;
	char *source;        /* for messages: "k8s/configs/x.yaml" or "flavour.yaml (local:)" */
	char *profile;       /* minikube: default "data-mill"; else NULL */
	char *driver;        /* minikube: NULL = minikube's choice */
	int cpus;            /* 0: not given */
	uint64_t memory_mib; /* 0: not given */
	uint64_t disk_mib;   /* 0: not given (minikube) */
	int gpu;             /* minikube: --gpus all; microk8s: the NVIDIA addon */
	char **addons;       /* NULL-terminated, never NULL */
	size_t n_addons;
	char *kubernetes_version; /* minikube: NULL = minikube's default */
	/* microk8s: where `microk8s config` is written (absolute; default
	 * ${XDG_CONFIG_HOME:-~/.config}/dm/microk8s.kubeconfig).
	 * remote: the kubeconfig (absolute), NULL = $KUBECONFIG, then ~/.kube/config. */
	char *kubeconfig;
	char *context; /* remote: NULL = the kubeconfig's current context */
	/* minikube: registry mirrors, "http(s)://HOST[:PORT]", passed as --registry-mirror (an http://
	 * one also as --insecure-registry HOST:PORT); NULL-terminated, never NULL */
	char **registry_mirrors;
	size_t n_registry_mirrors;
	/* minikube: the mirror dm-cluster runs itself (registry_mirror as a mapping), else NULL.
	 * Its URL is then the one entry of registry_mirrors. */
	struct dm_mirror_serve *mirror;
	/* every provider: `endpoints:`, the Services reachable from outside the cluster, each
	 * "NAME.NAMESPACE: http(s)://HOST[:PORT]" (a NodePort, an Ingress, a LoadBalancer).
	 * dm_cluster_start records them with the current target; an alias whose url is such a
	 * Service's in-cluster name then uses the URL instead of a port-forward (dm_alias_connect). */
	dm_k8s_endpoint *endpoints;
	size_t n_endpoints;
} dm_target;

/* Loads an inline target: node of doc, a MAP (a flavour's `local:` or
 * `remote:`).  section is "local" or "remote": local must be minikube or
 * microk8s, remote must be remote.  Relative paths are taken relative to
 * the folder of doc's file.  doc may be freed afterwards. */
dm_err dm_target_load_node(dm_target **out, const dm_yaml *doc, const dm_ynode *node, const char *section);

/* The target a flavour's project names, by the first that applies: file (a target file
 * given), section ("local" or "remote": the project's inline `local:`/`remote:` target, an
 * error when absent), else the project's k8s_default_config file.  Errors as the two loaders
 * above; DM_ERR_CONFIG "FILE has no inline 'local:' target". *out: dm_target_free(). */
dm_err dm_target_of_project(dm_target **out, const dm_project *p, const char *file, const char *section);

void dm_target_free(dm_target *t);

/* Reads a size as docs/configuration.md writes it: "<n>" and "<n>m", "mb",
 * "mib" are MiB; "<n>g", "gb", "gib" are GiB (case-insensitive).  libdm's
 * convention is MB = 10^6 bytes (dm_parse_size); "mb" and "gb" stay binary
 * here because the target files already use them so, as minikube and docker
 * read them. */
dm_err dm_target_parse_size_mib(const char *text, uint64_t *mib);

/* ---- operations ------------------------------------------------------------------------- */

typedef struct {
	const char *ns;       /* the project namespace (start makes sure it exists; status checks it) */
	const char *minikube; /* program paths (dm_proc_find); required for the provider's actions */
	const char *microk8s;
	const char *kubectl;  /* proxy and debug */
	const char *registry; /* docker-registry: for a target whose mirror dm-cluster runs */
	uint64_t timeout_ms;  /* limit of each command and of each wait (0: 10 minutes) */
	int dry_run;          /* report the commands that would change something; run none */
	/* microk8s: write `microk8s config` here instead of t->kubeconfig */
	const char *kubeconfig_out;
	/* Called before a command that changes the cluster is run; with
	 * dry_run, instead of running every command, the read-only probes
	 * (status, addons list, config) included.  argv never holds a credential. */
	void (*on_command)(void *ud, const char *const *argv);
	void *ud;
} dm_cluster_opts;
/* clang-format off */
#define DM_CLUSTER_OPTS_INIT { .ns = NULL, .timeout_ms = 0, .dry_run = 0 }
/* clang-format on */

/* What preflight found.  Strings owned (dm_preflight_release). */
typedef struct {
	char *tool; /* "minikube v1.36.0", "MicroK8s v1.32.3 revision 8148", NULL for remote */
	int host_cpus;
	uint64_t host_memory_mib;
} dm_preflight;
/* clang-format off */
#define DM_PREFLIGHT_INIT { .tool = NULL, .host_cpus = 0, .host_memory_mib = 0 }
/* clang-format on */
void dm_preflight_release(dm_preflight *p);

/* Checks the provider's program answers (its version) and that the CPUs and
 * memory the target asks for exist on this machine.  DM_ERR_NOTFOUND (no
 * program), DM_ERR_UNSUPPORTED (not enough CPUs or memory: detail names both
 * numbers), DM_ERR_PROC / DM_ERR_TIMEOUT (the program failed). */
dm_err dm_cluster_preflight(const dm_target *t, const dm_cluster_opts *o, dm_preflight *out);

/* One node of the cluster, as GET /api/v1/nodes shows it. */
typedef struct {
	char *name;
	int ready;    /* condition Ready is True */
	char *cpu;    /* status.allocatable.cpu as the API writes it ("2", "1500m"); NULL: not reported */
	char *memory; /* status.allocatable.memory ("8029840Ki"); NULL: not reported */
} dm_cluster_node;

/* The state of a cluster.  Strings owned (dm_cluster_status_release). */
typedef struct {
	dm_provider provider;
	int running;                  /* the provider says it runs (remote: the API answered) */
	char *state;                  /* the provider's words: "Running", "Stopped", "not found", "not running" */
	char *kubeconfig;             /* the kubeconfig used for the API ("" when the default) */
	char *context;                /* the context used (NULL: current context) */
	char *server;                 /* API server URL, NULL when no kubeconfig could be loaded */
	int api_reachable;            /* /readyz answered ok */
	char *server_version;         /* /version gitVersion */
	int nodes_total, nodes_ready; /* -1: unknown */
	int namespace_present;        /* -1: unknown */
	char **addons_enabled;        /* minikube/microk8s: NULL-terminated (NULL: unknown) */
	int ready;                    /* running, API ready, >= 1 node Ready, namespace present */
	char *problem;                /* the first reason it is not ready (NULL when ready) */
	dm_cluster_node *nodes;       /* every node, in the API's order (NULL when the list could not be read) */
	size_t n_nodes;
	/* the target's own registry mirror (t->mirror != NULL): whether its recorded process runs
	 * and answers GET /v2/, and that process's id (0: none recorded) */
	int mirror_running;
	long mirror_pid;
} dm_cluster_status;
/* clang-format off */
#define DM_CLUSTER_STATUS_INIT \
	{ .provider = DM_PROVIDER_MINIKUBE, .nodes_total = -1, .nodes_ready = -1, .namespace_present = -1 }
/* clang-format on */
void dm_cluster_status_release(dm_cluster_status *s);

/* Fills *st.  Returns DM_OK when the status could be determined (ready or
 * not: see st->ready and st->problem); DM_ERR_TIMEOUT when the provider's
 * status command did not answer within the timeout (detail says which
 * command and how long); other errors when the provider's tool fails. */
dm_err dm_cluster_status_get(const dm_target *t, const dm_cluster_opts *o, dm_cluster_status *st);

/* The target's own registry mirror (t->mirror; DM_OK and nothing done without one).  start:
 * writes its configuration (mode 0600) and starts `o->registry serve CONFIG` detached, unless the
 * process its pidfile names runs with that configuration, then waits (up to a minute, never past
 * o->timeout_ms) for GET /v2/ to answer.  stop: ends that process; the cache stays on disk.  The
 * files are in ${XDG_STATE_HOME:-~/.local/state}/dm/registry-mirror-PORT/ (config.yml,
 * registry.pid, registry.log).  Errors: DM_ERR_CONFIG (another configuration runs on that
 * port), DM_ERR_PROC (it exited: detail quotes its log and names the file), DM_ERR_TIMEOUT,
 * DM_ERR_IO. dm_cluster_start and dm_cluster_delete call these. */
dm_err dm_mirror_start(const dm_target *t, const dm_cluster_opts *o);
dm_err dm_mirror_stop(const dm_target *t, const dm_cluster_opts *o);
/* Fills st->mirror_running and st->mirror_pid. */
void dm_mirror_status(const dm_target *t, dm_cluster_status *st);

/* Starts the cluster unless it runs (then no start command is issued),
 * enables the missing addons, waits (within the timeout) for the API, and
 * makes sure the namespace o->ns exists.  remote: checks /readyz and
 * /version, then the namespace.  microk8s: writes `microk8s config` to the
 * kubeconfig file (mode 0600) and, when kubeconfig_path is not NULL, sets
 * *kubeconfig_path to it (malloc'd).  Idempotent. */
dm_err dm_cluster_start(const dm_target *t, const dm_cluster_opts *o, char **kubeconfig_path);

/* minikube stop / microk8s stop.  A stopped or missing cluster is DM_OK.
 * remote: DM_ERR_UNSUPPORTED (dm-cluster never stops a cluster it did not start). */
dm_err dm_cluster_stop(const dm_target *t, const dm_cluster_opts *o);

/* minikube delete / microk8s reset (destroys the cluster's workloads and data).
 * The caller asks for confirmation.  remote: DM_ERR_UNSUPPORTED. */
dm_err dm_cluster_delete(const dm_target *t, const dm_cluster_opts *o);

/* ---- kubectl proxy and debugging pods ----------------------------------------------------- */

/* The path of the dashboard's service proxy as the provider installs it
 * ("/api/v1/namespaces/kubernetes-dashboard/services/https:kubernetes-dashboard:/proxy/"),
 * to follow http://127.0.0.1:PORT.  Static. */
const char *dm_cluster_dashboard_path(const dm_target *t);

/* Runs `kubectl proxy --port PORT` (o->kubectl) for the target's cluster on
 * the caller's terminal (kubectl's stdin, stdout and stderr are the caller's)
 * until it ends; the caller flushes its stdout first.  Reports the command
 * through on_command; with dry_run only that.  Errors: those of dm_proc_run. */
dm_err dm_cluster_proxy(const dm_target *t, const dm_cluster_opts *o, int port);

#define DM_DEBUG_IMAGE_NET "nicolaka/netshoot:v0.13" /* network tools */
#define DM_DEBUG_IMAGE_APP "python:3.12-slim"        /* application debugging */

typedef struct {
	const char *kind;           /* "net" or "app": in the pod's name; picks the default image */
	const char *image;          /* NULL: DM_DEBUG_IMAGE_NET or DM_DEBUG_IMAGE_APP by kind */
	int host_network;           /* the pod uses the node's network (hostNetwork) */
	const char *const *command; /* NULL: an interactive pod; else COMMAND ARGS..., NULL-terminated */
} dm_debug_opts;
/* clang-format off */
#define DM_DEBUG_OPTS_INIT { .kind = "net", .image = NULL, .host_network = 0, .command = NULL }
/* clang-format on */

typedef struct {
	char pod[64];    /* the pod's name: dm-debug-KIND-PID-TIME */
	int exit_code;   /* with a command and DM_OK: the command's exit code; else 0 */
	char left[1024]; /* "", or that the pod could not be deleted, why, and how to delete it */
} dm_debug_result;

/* A throw-away pod of o->kubectl in namespace o->ns of the target's cluster,
 * given o->timeout_ms to start (0: 5 minutes).  The pod's output goes to the
 * caller's terminal: the caller flushes its stdout first.
 *
 * Without a command: `kubectl run -it --rm` on the caller's terminal, a shell
 * that kubectl removes when it ends.  With one (no shell, no stdin): the pod
 * is created, waited for, its log (the command's stdout and stderr) followed
 * to the caller's stdout from its first line, the command's exit code read
 * into res->exit_code, and the pod deleted, also after a failure once it
 * exists and after dm_proc_cancel.  A caller that catches SIGINT and SIGTERM
 * with a handler calling dm_proc_cancel (and nothing else) gets its pod
 * deleted before it exits.  dry_run: every command is reported
 * (on_command), none runs.
 *
 * Returns DM_OK (the shell ended; the command ran to its end, whatever its
 * exit code), DM_ERR_INTERRUPTED (dm_proc_cancel; detail "interrupted: pod
 * 'P' deleted" or "... left in place"), or the failure: the pod could not be
 * created, its state not read, it did not start in time (DM_ERR_TIMEOUT, with
 * Kubernetes' reason), the command's exit code is unknown (DM_ERR_PROC).  In
 * every case res->left says whether a pod was left behind.  Not thread-safe:
 * it uses the process-wide dm_proc_cancel. */
dm_err dm_cluster_debug(const dm_target *t, const dm_cluster_opts *o, const dm_debug_opts *d, dm_debug_result *res);

#ifdef __cplusplus
}
#endif
#endif
