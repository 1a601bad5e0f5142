/* dm-cluster: start, stop, delete and inspect the platform's cluster
 * (minikube, microk8s, or an existing remote cluster), open a kubectl proxy,
 * or a throw-away debugging pod. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dm/cli.h>
#include <dm/json.h>
#include <dm/err.h>
#include <dm/log.h>
#include <dm/platform.h>
#include <dm/proc.h>
#include <dm/target.h>
#include <dm/util.h>

#define NET_IMAGE "nicolaka/netshoot:v0.13"
#define APP_IMAGE "python:3.12-slim"
#define DEBUG_WAIT_MS (5ULL * 60 * 1000) /* debug: how long the pod may take to start */

static const char help_head[] = "Usage: dm-cluster [OPTIONS] start|stop|delete|status|proxy|debug [net|app]\n"
				"       dm-cluster [OPTIONS] debug net|app -- COMMAND [ARGS...]\n"
				"Start, stop, delete and inspect the platform's Kubernetes cluster.\n"
				"\n"
				"Commands:\n"
				"  start        preflight (program and version, CPUs and memory), then start the\n"
				"               cluster unless it runs, enable the target's addons, wait for the\n"
				"               API server and create the project namespace; microk8s: write its\n"
				"               kubeconfig (mode 0600) and print the file's path\n"
				"  stop         minikube stop / microk8s stop (a remote cluster is never stopped)\n"
				"  delete       minikube delete / microk8s reset; needs --yes (never for remote)\n"
				"  status       provider, running, API, server version, nodes Ready (each node\n"
				"               with its allocatable cpu and memory), namespace; exit 0 only when\n"
				"               all are ready\n"
				"  proxy        kubectl proxy on the flavour's proxy_port, after printing the\n"
				"               dashboard URL\n"
				"  debug net    an interactive pod with network tools (" NET_IMAGE ")\n"
				"               in the namespace, removed on exit\n"
				"  debug app    the same with an application debugging image (" APP_IMAGE ")\n"
				"  debug net|app -- COMMAND [ARGS...]\n"
				"               run COMMAND (no shell, no stdin) in such a pod, print its log\n"
				"               (stdout and stderr) and exit with its exit code (1 also when the\n"
				"               pod did not start, with the reason); the pod is deleted\n"
				"               afterwards, also when interrupted\n"
				"\n"
				"Programs are looked up in PATH; DM_MINIKUBE, DM_MICROK8S and DM_KUBECTL override\n"
				"them.  Credentials are never printed: the microk8s kubeconfig goes to a 0600\n"
				"file, only its path is shown.\n";

static const char help_tail[] = DM_CLI_EXIT_HELP "  debug -- COMMAND exits with COMMAND's exit code\n";

enum {
	OPT_DRY_RUN = DM_CLI_LONG_ONLY,
	OPT_JSON,
	OPT_TIMEOUT,
	OPT_YES,
	OPT_KCOUT,
	OPT_PORT,
	OPT_IMAGE,
	OPT_HOST_NETWORK
};

static const dm_cli_option option_table[] = {
	{ 'f', "flavour", "FILE", "flavour file (default: $DM_FLAVOUR, else " DM_FLAVOUR_DEFAULT ")", 0 },
	{ 't', "target", "FILE", "target file (default: the flavour's project.k8s_default_config)", 0 },
	{ 'l', "local", NULL, "use the flavour's inline local: target", 0 },
	{ 'r', "remote", NULL, "use the flavour's inline remote: target", 0 },
	{ OPT_DRY_RUN, "dry-run", NULL, "print the commands that would run, one per line; run none", 0 },
	{ OPT_JSON, "json", NULL, "status/start: one JSON document on stdout", 0 },
	{ OPT_TIMEOUT, "timeout", "DUR",
	  "limit of each command and each wait (e.g. 90s, 10m; default 10m, status 30s; debug: for the pod to "
	  "start, default 5m)",
	  0 },
	{ OPT_YES, "yes", NULL, "confirm delete", 0 },
	{ OPT_KCOUT, "kubeconfig-out", "FILE",
	  "microk8s: write its kubeconfig here (mode 0600) instead of the target's kubeconfig path", 0 },
	{ OPT_PORT, "port", "N", "proxy: local port (default: the flavour's proxy_port)", 0 },
	{ OPT_IMAGE, "image", "IMAGE", "debug: the pod's image (pulled only if the node lacks it)", 0 },
	{ OPT_HOST_NETWORK, "host-network", NULL, "debug: the pod uses the node's network (hostNetwork)", 0 },
	{ 'v', "verbose", NULL, "also show every command run (progress is shown by default)", 0 },
	{ 'q', "quiet", NULL, "errors only", 0 },
	DM_CLI_OPT_HELP,
	DM_CLI_OPT_VERSION,
	DM_CLI_END,
};

typedef struct {
	const char *flavour;
	const char *target;
	int local, remote;
	int dry_run, json, yes;
	uint64_t timeout_ms;
	const char *kubeconfig_out;
	int port;
	const char *image;
	int host_network;
	int verbosity;
} args;

static void print_command(void *ud, const char *const *argv)
{
	const args *a = ud;
	dm_buf line = DM_BUF_INIT;

	if (dm_proc_format_argv(&line, argv) != DM_OK) {
		dm_buf_release(&line);
		return;
	}
	if (a->dry_run)
		printf("%s\n", dm_buf_str(&line));
	else
		dm_debug("running: %s", dm_buf_str(&line));
	dm_buf_release(&line);
}

static dm_err load_target(const args *a, const dm_project *p, dm_target **t)
{
	if (a->target)
		return dm_target_load_file(t, a->target);
	if (a->local || a->remote) {
		const dm_ynode *n = a->local ? p->local : p->remote;

		if (!n)
			return dm_fail(DM_ERR_CONFIG, "%s has no inline '%s:' target", p->file,
				       a->local ? "local" : "remote");
		return dm_target_load_node(t, p->doc, n, a->local ? "local" : "remote");
	}
	return dm_target_load_file(t, p->target_file);
}

static int json_out(json_t *doc)
{
	return dm_json_print(doc) == 0 ? 0 : dm_cli_fail(DM_ERR_NOMEM);
}

static int cmd_status(const args *a, const dm_project *p, const dm_target *t, dm_cluster_opts *o)
{
	dm_cluster_status st;
	dm_err e;
	int code;

	e = dm_cluster_status_get(t, o, &st);
	if (e != DM_OK)
		return dm_cli_fail(e);
	if (a->json) {
		json_t *addons = json_array();
		json_t *nodes = json_null();
		json_t *doc;

		for (size_t i = 0; st.addons_enabled && st.addons_enabled[i]; i++)
			json_array_append_new(addons, json_string(st.addons_enabled[i]));
		if (st.nodes_total >= 0) {
			json_t *items = json_array();

			for (size_t i = 0; i < st.n_nodes; i++)
				json_array_append_new(items,
						      json_pack("{s:s, s:b, s:s?, s:s?}", "name", st.nodes[i].name,
								"ready", st.nodes[i].ready, "cpu", st.nodes[i].cpu,
								"memory", st.nodes[i].memory));
			nodes = json_pack("{s:i, s:i, s:o}", "total", st.nodes_total, "ready", st.nodes_ready, "items",
					  items);
		}
		doc = json_pack("{s:s, s:s, s:b, s:s?, s:s?, s:b, s:s?, s:o, s:s, s:o, s:o, s:s?, s:s?, s:b, s:s?}",
				"provider", dm_provider_name(st.provider), "target", t->source, "running", st.running,
				"state", st.state, "server", st.server, "api_ready", st.api_reachable, "server_version",
				st.server_version, "nodes", nodes, "namespace", p->k8s_namespace, "namespace_present",
				st.namespace_present < 0 ? json_null() : json_boolean(st.namespace_present),
				"addons_enabled", st.addons_enabled ? addons : (json_decref(addons), json_null()),
				"kubeconfig", st.kubeconfig && *st.kubeconfig ? st.kubeconfig : NULL, "context",
				st.context, "ready", st.ready, "problem", st.problem);
		code = json_out(doc);
	} else {
		printf("%-12s %s\n", "provider", dm_provider_name(st.provider));
		printf("%-12s %s\n", "target", t->source);
		printf("%-12s %s\n", "state", st.state ? st.state : "unknown");
		printf("%-12s %s (%s)\n", "api", st.server ? st.server : "-", st.api_reachable ? "ready" : "not ready");
		printf("%-12s %s\n", "version", st.server_version ? st.server_version : "-");
		if (st.nodes_total >= 0)
			printf("%-12s %d/%d Ready\n", "nodes", st.nodes_ready, st.nodes_total);
		else
			printf("%-12s -\n", "nodes");
		for (size_t i = 0; i < st.n_nodes; i++)
			printf("%-12s %s %s, allocatable cpu %s, memory %s\n", "node", st.nodes[i].name,
			       st.nodes[i].ready ? "Ready" : "NotReady", st.nodes[i].cpu ? st.nodes[i].cpu : "-",
			       st.nodes[i].memory ? st.nodes[i].memory : "-");
		printf("%-12s %s (%s)\n", "namespace", p->k8s_namespace,
		       st.namespace_present == 1   ? "present"
		       : st.namespace_present == 0 ? "missing"
						   : "unknown");
		if (st.addons_enabled) {
			printf("%-12s", "addons");
			for (size_t i = 0; st.addons_enabled[i]; i++)
				printf("%s%s", i ? ", " : " ", st.addons_enabled[i]);
			printf("\n");
		}
		printf("%-12s %s%s%s%s\n", "kubeconfig", st.kubeconfig && *st.kubeconfig ? st.kubeconfig : "(default)",
		       st.context ? " (context " : "", st.context ? st.context : "", st.context ? ")" : "");
		printf("%-12s %s\n", "ready", st.ready ? "yes" : "no");
		code = 0;
	}
	if (code == 0 && !st.ready) {
		dm_error("not ready: %s", st.problem ? st.problem : "unknown reason");
		code = DM_EXIT_FAIL;
	}
	dm_cluster_status_release(&st);
	return code;
}

/* kubectl's --kubeconfig/--context for the target's cluster. */
static size_t kubectl_conn(const dm_target *t, const args *a, const char **argv, size_t n)
{
	if (t->provider == DM_PROVIDER_MINIKUBE) {
		argv[n++] = "--context";
		argv[n++] = t->profile;
	} else if (t->provider == DM_PROVIDER_MICROK8S) {
		argv[n++] = "--kubeconfig";
		argv[n++] = a->kubeconfig_out ? a->kubeconfig_out : t->kubeconfig;
	} else {
		if (t->kubeconfig) {
			argv[n++] = "--kubeconfig";
			argv[n++] = t->kubeconfig;
		}
		if (t->context) {
			argv[n++] = "--context";
			argv[n++] = t->context;
		}
	}
	return n;
}

/* Runs argv on our terminal (stdin, stdout and stderr are the child's too). */
static dm_err run_on_terminal(const char *const *argv)
{
	dm_proc_opts po = DM_PROC_OPTS_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;
	dm_err e;

	fflush(stdout);
	po.argv = argv;
	po.inherit_stdio = 1;
	po.capture_stderr = 0;
	e = dm_proc_run(&po, &r);
	dm_proc_result_release(&r);
	return e;
}

static int run_interactive(const args *a, const char *const *argv)
{
	dm_err e;

	print_command((void *)a, argv);
	if (a->dry_run)
		return 0;
	if ((e = run_on_terminal(argv)) != DM_OK)
		return dm_cli_fail(e);
	return 0;
}

static int cmd_proxy(const args *a, const dm_project *p, const dm_target *t, const char *kubectl)
{
	char port[16];
	const char *argv[16];
	size_t n = 0;
	int pn = a->port ? a->port : p->proxy_port;

	snprintf(port, sizeof(port), "%d", pn);
	/* the dashboard's service as each provider installs it */
	if (t->provider == DM_PROVIDER_MINIKUBE)
		printf("dashboard: http://127.0.0.1:%d/api/v1/namespaces/kubernetes-dashboard/services/"
		       "http:kubernetes-dashboard:/proxy/\n",
		       pn);
	else if (t->provider == DM_PROVIDER_MICROK8S)
		printf("dashboard: http://127.0.0.1:%d/api/v1/namespaces/kube-system/services/"
		       "https:kubernetes-dashboard:/proxy/\n",
		       pn);
	else
		printf("dashboard: http://127.0.0.1:%d/api/v1/namespaces/kubernetes-dashboard/services/"
		       "https:kubernetes-dashboard:/proxy/\n",
		       pn);
	fflush(stdout);
	argv[n++] = kubectl;
	argv[n++] = "proxy";
	argv[n++] = "--port";
	argv[n++] = port;
	n = kubectl_conn(t, a, argv, n);
	argv[n] = NULL;
	return run_interactive(a, argv);
}

/* kubectl ARGS... with the target's connection and the namespace, output
 * captured (stderr too); argv ends with NULL. */
static dm_err kubectl_capture(const args *a, const dm_project *p, const dm_target *t, const char *kubectl,
			      const char *const *args_in, uint64_t timeout_ms, dm_proc_result *r)
{
	dm_proc_opts po = DM_PROC_OPTS_INIT;
	const char *argv[24];
	size_t n = 0;

	argv[n++] = kubectl;
	for (size_t i = 0; args_in[i]; i++)
		argv[n++] = args_in[i];
	argv[n++] = "--namespace";
	argv[n++] = p->k8s_namespace;
	n = kubectl_conn(t, a, argv, n);
	argv[n] = NULL;
	print_command((void *)a, argv);
	if (a->dry_run)
		return DM_OK;
	po.argv = argv;
	po.timeout_ms = timeout_ms;
	po.capture_stderr = 1;
	return dm_proc_run(&po, r);
}

/* Deletes the debugging pod and waits until it is gone (a pod that is not
 * there is fine).  Runs after an interrupt too: the cancel is cleared first.
 * never_started: its container never ran (image not pulled ...), so nothing
 * is left to stop and the object goes at once: a kubelet in image-pull
 * back-off takes most of a minute to confirm a graceful deletion. */
static int debug_delete(const args *a, const dm_project *p, const dm_target *t, const char *kubectl, const char *name,
			int never_started)
{
	const char *del[] = { "delete",
			      "pod",
			      name,
			      "--ignore-not-found",
			      "--wait",
			      never_started ? "--force" : "--now",
			      never_started ? "--grace-period=0" : NULL,
			      NULL };
	dm_proc_result r = DM_PROC_RESULT_INIT;
	dm_err e;

	dm_proc_cancel_clear();
	e = kubectl_capture(a, p, t, kubectl, del, 120000, &r);
	if (e != DM_OK && !a->dry_run) {
		char l[512];

		dm_proc_last_line(l, sizeof(l), &r.err);
		dm_error("pod '%s' in namespace '%s' could not be deleted (%s); delete it with 'kubectl delete pod "
			 "%s -n %s'",
			 name, p->k8s_namespace, *l ? l : dm_err_detail(), name, p->k8s_namespace);
	}
	dm_proc_result_release(&r);
	return e == DM_OK || a->dry_run ? 0 : DM_EXIT_FAIL;
}

/* The pod's state: phase, the container's exit code when it terminated, and
 * the reason and message when it waits.  Fields are "" when absent; *absent
 * when there is no such pod. */
typedef struct {
	char phase[32], exit_code[16], reason[64], message[512];
	int absent;
} pod_state;

static dm_err debug_state(const args *a, const dm_project *p, const dm_target *t, const char *kubectl, const char *name,
			  pod_state *ps)
{
	const char *get[] = { "get",
			      "pod",
			      name,
			      "--ignore-not-found",
			      "-o",
			      "jsonpath={.status.phase}{\"\\n\"}"
			      "{.status.containerStatuses[0].state.terminated.exitCode}{\"\\n\"}"
			      "{.status.containerStatuses[0].state.waiting.reason}{\"\\n\"}"
			      "{.status.containerStatuses[0].state.waiting.message}",
			      NULL };
	char *fields[4] = { ps->phase, ps->exit_code, ps->reason, ps->message };
	size_t sizes[4] = { sizeof(ps->phase), sizeof(ps->exit_code), sizeof(ps->reason), sizeof(ps->message) };
	dm_proc_result r = DM_PROC_RESULT_INIT;
	const char *q;
	dm_err e;

	memset(ps, 0, sizeof(*ps));
	e = kubectl_capture(a, p, t, kubectl, get, 60000, &r);
	if (e == DM_OK) {
		ps->absent = r.out.len == 0;
		q = dm_buf_str(&r.out);
		/* empty fields stay empty: split by hand rather than with strtok */
		for (int i = 0; i < 4 && q; i++) {
			size_t l = strcspn(q, "\n");

			snprintf(fields[i], sizes[i], "%.*s", (int)l, q);
			q = q[l] ? q + l + 1 : NULL;
		}
	} else if (e != DM_ERR_INTERRUPTED) {
		char l[512];

		dm_proc_last_line(l, sizeof(l), &r.err);
		e = dm_fail(e, "cannot read the state of pod '%s': %s", name, *l ? l : dm_err_detail());
	}
	dm_proc_result_release(&r);
	return e;
}

static volatile sig_atomic_t debug_interrupted;

/* From here on an interrupt never ends dm-cluster at once: the pod must go first. */
static void debug_on_interrupt(int sig)
{
	(void)sig;
	debug_interrupted = 1;
	dm_proc_cancel();
}

/* debug ... -- COMMAND: the pod is created (not attached: kubectl attach
 * loses what a quick command printed before it connected), waited for, its
 * log followed from the start, its exit code read, and the pod deleted. */
static int debug_command(const args *a, const dm_project *p, const dm_target *t, const char *kubectl, const char *name,
			 const char *image, const char *const *run_argv, uint64_t wait_ms)
{
	const char *logs[] = { kubectl, "logs", "-f", name, "--namespace", p->k8s_namespace,
			       NULL,    NULL,   NULL, NULL, NULL };
	dm_proc_opts po = DM_PROC_OPTS_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;
	pod_state ps;
	double deadline;
	char wait[32];
	int code = DM_EXIT_FAIL, never_started = 0, del;
	dm_err e;

	if (wait_ms % 1000 == 0)
		snprintf(wait, sizeof(wait), "%llus", (unsigned long long)(wait_ms / 1000));
	else
		snprintf(wait, sizeof(wait), "%llums", (unsigned long long)wait_ms);
	kubectl_conn(t, a, logs, 6);
	dm_cli_on_interrupt(debug_on_interrupt);

	po.argv = run_argv;
	po.capture_stderr = 1;
	e = dm_proc_run(&po, &r);
	if (e != DM_OK) {
		char l[512];

		dm_proc_last_line(l, sizeof(l), &r.err);
		dm_proc_result_release(&r);
		if (e == DM_ERR_INTERRUPTED || debug_interrupted)
			goto interrupted;
		return dm_cli_fail(dm_fail(e, "cannot create pod '%s': %s", name, *l ? l : dm_err_detail()));
	}
	dm_proc_result_release(&r);

	/* until the container runs or ran */
	deadline = dm_now() + wait_ms / 1000.0;
	for (;;) {
		if ((e = debug_state(a, p, t, kubectl, name, &ps)) != DM_OK) {
			if (e == DM_ERR_INTERRUPTED || debug_interrupted)
				goto interrupted;
			code = dm_cli_fail(e);
			goto done;
		}
		if (!strcmp(ps.phase, "Running") || !strcmp(ps.phase, "Succeeded") || !strcmp(ps.phase, "Failed"))
			break;
		/* what waiting longer cannot mend */
		if (!strcmp(ps.reason, "InvalidImageName") || !strcmp(ps.reason, "ErrImageNeverPull") ||
		    dm_now() >= deadline) {
			never_started = 1;
			if (ps.reason[0])
				dm_error("pod '%s' (image '%s') did not start within %s: %s%s%s", name, image, wait,
					 ps.reason, ps.message[0] ? ": " : "", ps.message);
			else
				dm_error("pod '%s' (image '%s') did not start within %s (phase %s)", name, image, wait,
					 ps.phase[0] ? ps.phase : "unknown");
			goto done;
		}
		usleep(500 * 1000);
		if (debug_interrupted)
			goto interrupted;
	}

	/* the log from its first line, as it comes, until the container ends */
	e = run_on_terminal(logs);
	if (e == DM_ERR_INTERRUPTED || debug_interrupted)
		goto interrupted;
	if (e != DM_OK)
		dm_warn("kubectl logs failed: %s", dm_err_detail());

	/* the exit code: the status may lag a moment behind the log's end */
	deadline = dm_now() + 60;
	for (;;) {
		if ((e = debug_state(a, p, t, kubectl, name, &ps)) != DM_OK) {
			if (e == DM_ERR_INTERRUPTED || debug_interrupted)
				goto interrupted;
			code = dm_cli_fail(e);
			goto done;
		}
		if (ps.exit_code[0]) {
			code = atoi(ps.exit_code);
			break;
		}
		if (ps.absent || dm_now() >= deadline) {
			dm_error("pod '%s': its command's exit code is unknown (phase %s)", name,
				 ps.phase[0] ? ps.phase : "gone");
			goto done;
		}
		usleep(250 * 1000);
		if (debug_interrupted)
			goto interrupted;
	}
done:
	del = debug_delete(a, p, t, kubectl, name, never_started);
	return code ? code : del;
interrupted:
	del = debug_delete(a, p, t, kubectl, name, 0);
	dm_error("interrupted: pod '%s' %s", name, del ? "left in place" : "deleted");
	return DM_EXIT_INTERRUPTED;
}

static int cmd_debug(const args *a, const dm_project *p, const dm_target *t, const char *kubectl, const char *what,
		     char *const *cmdv, int cmdc)
{
	char name[64], wait_arg[64];
	const char **argv;
	size_t n = 0;
	const char *image = a->image ? a->image : !strcmp(what, "net") ? NET_IMAGE : APP_IMAGE;
	uint64_t wait_ms = a->timeout_ms ? a->timeout_ms : DEBUG_WAIT_MS;
	dm_err e;
	int code, del;

	/* the pid and the time: a pod of another run is never taken for ours (and deleted) */
	snprintf(name, sizeof(name), "dm-debug-%s-%ld-%llx", what, (long)getpid(), (unsigned long long)time(NULL));
	snprintf(wait_arg, sizeof(wait_arg), "--pod-running-timeout=%llums", (unsigned long long)wait_ms);
	if (!(argv = calloc((size_t)cmdc + 32, sizeof(*argv))))
		return dm_cli_fail(dm_nomem());
	argv[n++] = kubectl;
	argv[n++] = "run";
	argv[n++] = name;
	if (!cmdc) {
		argv[n++] = "-it";
		argv[n++] = "--rm";
	}
	argv[n++] = "--restart=Never";
	argv[n++] = "--namespace";
	argv[n++] = p->k8s_namespace;
	argv[n++] = "--image";
	argv[n++] = image;
	n = kubectl_conn(t, a, argv, n);
	/* never pull what the node has (a tag such as :latest would mean Always) */
	argv[n++] = "--image-pull-policy=IfNotPresent";
	if (!cmdc)
		argv[n++] = wait_arg;
	if (a->host_network)
		argv[n++] = "--overrides={\"apiVersion\":\"v1\",\"spec\":{\"hostNetwork\":true}}";
	if (cmdc) {
		argv[n++] = "--command";
		argv[n++] = "--";
		for (int i = 0; i < cmdc; i++)
			argv[n++] = cmdv[i];
	}
	argv[n] = NULL;
	if (!a->dry_run && !cmdc)
		dm_info("starting pod '%s' (%s) in namespace '%s'; it is removed when the shell exits", name, image,
			p->k8s_namespace);
	else if (!a->dry_run)
		dm_info("running '%s' in pod '%s' (%s) in namespace '%s'", cmdv[0], name, image, p->k8s_namespace);
	print_command((void *)a, argv);
	if (a->dry_run) {
		free(argv);
		return cmdc ? debug_delete(a, p, t, kubectl, name, 0) : 0;
	}
	if (cmdc) {
		code = debug_command(a, p, t, kubectl, name, image, argv, wait_ms);
		free(argv);
		return code;
	}
	/* the terminal is kubectl's, and a ^C reaches kubectl and us alike */
	e = run_on_terminal(argv);
	free(argv);
	if (e == DM_ERR_INTERRUPTED || dm_proc_cancelled()) {
		/* a killed kubectl does not delete the pod */
		del = debug_delete(a, p, t, kubectl, name, 0);
		dm_error("interrupted: pod '%s' %s", name, del ? "left in place" : "deleted");
		return DM_EXIT_INTERRUPTED;
	}
	return e == DM_OK ? 0 : dm_cli_fail(e);
}

int main(int argc, char **argv)
{
	args a;
	const char *cmd, *sub = NULL;
	char *const *cmdv = NULL;
	int cmdc = 0, words;
	dm_cli_parser cl;
	dm_flavour *fl = NULL;
	const dm_project *p;
	dm_target *t = NULL;
	dm_cluster_opts o = DM_CLUSTER_OPTS_INIT;
	char *minikube = NULL, *microk8s = NULL, *kubectl = NULL;
	dm_err e;
	int c, code = 0;

	dm_cli_init("dm-cluster");
	dm_cli_no_core(); /* it writes kubeconfigs holding credentials */
	memset(&a, 0, sizeof(a));
	dm_cli_parser_init(&cl, option_table, argc, argv);
	while ((c = dm_cli_next(&cl)) > 0) {
		switch (c) {
		case 'f': a.flavour = cl.value; break;
		case 't': a.target = cl.value; break;
		case 'l': a.local = 1; break;
		case 'r': a.remote = 1; break;
		case OPT_DRY_RUN: a.dry_run = 1; break;
		case OPT_JSON: a.json = 1; break;
		case OPT_YES: a.yes = 1; break;
		case OPT_KCOUT: a.kubeconfig_out = cl.value; break;
		case OPT_IMAGE: a.image = cl.value; break;
		case OPT_HOST_NETWORK: a.host_network = 1; break;
		case OPT_TIMEOUT:
			if (dm_parse_duration_ms(cl.value, &a.timeout_ms) != DM_OK || a.timeout_ms == 0)
				return dm_cli_usage_error("invalid --timeout '%s' (e.g. 90s, 10m)", cl.value);
			break;
		case OPT_PORT: {
			char *end;
			long v = strtol(cl.value, &end, 10);

			if (*end || v < 1 || v > 65535)
				return dm_cli_usage_error("invalid --port '%s' (1..65535)", cl.value);
			a.port = (int)v;
			break;
		}
		case 'v': a.verbosity++; break;
		case 'q': a.verbosity = -1; break;
		case 'h': return dm_cli_help(help_head, option_table, help_tail);
		case 'V': return dm_cli_version();
		}
	}
	if (c == DM_CLI_BAD)
		return DM_EXIT_USAGE;
	/* progress (what is started, what is waited for and how long) is shown
	 * by default: starting a cluster takes minutes; -v adds every command */
	dm_cli_set_verbosity(a.verbosity < 0 ? -1 : a.verbosity + 1);
	/* the words before "--": the command (and debug's net|app); after it: the pod's command */
	words = cl.dashdash >= 0 ? cl.dashdash : cl.noperands;
	if (words == 0)
		return dm_cli_usage_error("no command given (start, stop, delete, status, proxy or debug)");
	cmd = cl.operands[0];
	if (strcmp(cmd, "start") && strcmp(cmd, "stop") && strcmp(cmd, "delete") && strcmp(cmd, "status") &&
	    strcmp(cmd, "proxy") && strcmp(cmd, "debug"))
		return dm_cli_usage_error("unknown command '%s'", cmd);
	if (!strcmp(cmd, "debug")) {
		sub = words > 1 ? cl.operands[1] : "net";
		if (strcmp(sub, "net") && strcmp(sub, "app"))
			return dm_cli_usage_error("debug takes 'net' or 'app', not '%s'", sub);
		if (words > 2)
			return dm_cli_usage_error("unexpected argument '%s' (the command to run in the pod goes after "
						  "'--': debug %s -- COMMAND [ARGS...])",
						  cl.operands[2], sub);
		if (cl.dashdash >= 0) {
			cmdv = cl.operands + cl.dashdash;
			cmdc = cl.noperands - cl.dashdash;
			if (!cmdc)
				return dm_cli_usage_error("no command after '--' (debug %s -- COMMAND [ARGS...])", sub);
		}
	} else if (cl.noperands > 1) {
		return dm_cli_usage_error("unexpected argument '%s'", cl.operands[1]);
	}
	if (a.host_network && strcmp(cmd, "debug"))
		return dm_cli_usage_error("--host-network is for debug");
	if ((a.target != NULL) + a.local + a.remote > 1)
		return dm_cli_usage_error("-t, -l and -r exclude each other");
	if (a.json && strcmp(cmd, "status") && strcmp(cmd, "start"))
		return dm_cli_usage_error("--json is for status and start");
	if (!strcmp(cmd, "delete") && !a.yes && !a.dry_run)
		return dm_cli_usage_error("delete destroys the cluster and every workload and volume in it: "
					  "add --yes to confirm");
	a.flavour = dm_flavour_path(a.flavour, NULL);

	if ((e = dm_flavour_load(&fl, a.flavour)) != DM_OK) {
		code = dm_cli_fail(e);
		goto done;
	}
	p = dm_flavour_project(fl);
	if ((e = load_target(&a, p, &t)) != DM_OK) {
		code = dm_cli_fail(e);
		goto done;
	}
	if (!strcmp(cmd, "delete") && t->provider == DM_PROVIDER_REMOTE) {
		code = dm_cli_fail(
			dm_fail(DM_ERR_UNSUPPORTED, "%s is a remote cluster: dm-cluster never deletes it", t->source));
		goto done;
	}

	o.ns = p->k8s_namespace;
	o.timeout_ms = a.timeout_ms ? a.timeout_ms : !strcmp(cmd, "status") ? 30000 : 0;
	o.dry_run = a.dry_run;
	o.kubeconfig_out = a.kubeconfig_out;
	o.on_command = print_command;
	o.ud = &a;

	if (!strcmp(cmd, "proxy") || !strcmp(cmd, "debug")) {
		if ((e = dm_proc_find(&kubectl, "kubectl", "DM_KUBECTL", "install kubectl")) != DM_OK && !a.dry_run) {
			code = dm_cli_fail(e);
			goto done;
		}
		if (!strcmp(cmd, "proxy"))
			code = cmd_proxy(&a, p, t, kubectl ? kubectl : "kubectl");
		else
			code = cmd_debug(&a, p, t, kubectl ? kubectl : "kubectl", sub, cmdv, cmdc);
		goto done;
	}

	if (t->provider == DM_PROVIDER_MINIKUBE) {
		e = dm_proc_find(&minikube, "minikube", "DM_MINIKUBE",
				 "install minikube (see docs/dm-cluster.md) or use a microk8s or remote target");
		o.minikube = minikube ? minikube : "minikube";
	} else if (t->provider == DM_PROVIDER_MICROK8S) {
		e = dm_proc_find(&microk8s, "microk8s", "DM_MICROK8S",
				 "install microk8s (see docs/dm-cluster.md) or use a minikube or remote target");
		o.microk8s = microk8s ? microk8s : "microk8s";
	}
	if (e != DM_OK && !a.dry_run) {
		code = dm_cli_fail(e);
		goto done;
	}

	if (!strcmp(cmd, "status")) {
		code = cmd_status(&a, p, t, &o);
	} else if (!strcmp(cmd, "start")) {
		dm_preflight pf = DM_PREFLIGHT_INIT;
		char *kc = NULL;

		e = dm_cluster_preflight(t, &o, &pf);
		if (e == DM_OK && !a.dry_run && t->provider != DM_PROVIDER_REMOTE)
			dm_info("preflight: %s%sthis machine has %d CPUs and %llu MiB of memory",
				pf.tool ? pf.tool : "", pf.tool ? "; " : "", pf.host_cpus,
				(unsigned long long)pf.host_memory_mib);
		dm_preflight_release(&pf);
		if (e == DM_OK)
			e = dm_cluster_start(t, &o, &kc);
		if (e != DM_OK) {
			code = dm_cli_fail(e);
		} else if (a.json && !a.dry_run) {
			code = json_out(json_pack("{s:s, s:s, s:s, s:s?}", "provider", dm_provider_name(t->provider),
						  "target", t->source, "namespace", p->k8s_namespace, "kubeconfig",
						  kc));
		} else if (kc) {
			printf("%s\n", kc);
		}
		free(kc);
	} else if (!strcmp(cmd, "stop")) {
		if ((e = dm_cluster_stop(t, &o)) != DM_OK)
			code = dm_cli_fail(e);
	} else if (!strcmp(cmd, "delete")) {
		if ((e = dm_cluster_delete(t, &o)) != DM_OK)
			code = dm_cli_fail(e);
	}
done:
	free(minikube);
	free(microk8s);
	free(kubectl);
	dm_target_free(t);
	dm_flavour_free(fl);
	return dm_cli_close_stdout(code);
}
