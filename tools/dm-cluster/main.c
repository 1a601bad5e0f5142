/* dm-cluster: start, stop, delete and inspect the platform's cluster
 * (minikube, microk8s, or an existing remote cluster), open a kubectl proxy,
 * or a throw-away debugging pod. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dm/cli.h>
#include <dm/json.h>
#include <dm/err.h>
#include <dm/log.h>
#include <dm/platform.h>
#include <dm/proc.h>
#include <dm/target.h>
#include <dm/util.h>

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
				"  debug net    an interactive pod with network tools (" DM_DEBUG_IMAGE_NET ")\n"
				"               in the namespace, removed on exit\n"
				"  debug app    the same with an application debugging image (" DM_DEBUG_IMAGE_APP ")\n"
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

static int cmd_proxy(const args *a, const dm_project *p, const dm_target *t, const dm_cluster_opts *o)
{
	int port = a->port ? a->port : p->proxy_port;
	dm_err e;

	printf("dashboard: http://127.0.0.1:%d%s\n", port, dm_cluster_dashboard_path(t));
	fflush(stdout);
	if ((e = dm_cluster_proxy(t, o, port)) != DM_OK)
		return dm_cli_fail(e);
	return 0;
}

/* From here on an interrupt never ends dm-cluster at once: the pod must go first. */
static void debug_on_interrupt(int sig)
{
	(void)sig;
	dm_proc_cancel();
}

static int cmd_debug(const args *a, const dm_target *t, const dm_cluster_opts *o, const char *kind, char *const *cmdv)
{
	dm_debug_opts d = DM_DEBUG_OPTS_INIT;
	dm_debug_result res;
	dm_err e;
	int code;

	d.kind = kind;
	d.image = a->image;
	d.host_network = a->host_network;
	d.command = (const char *const *)cmdv;
	if (cmdv && !a->dry_run)
		dm_cli_on_interrupt(debug_on_interrupt);
	fflush(stdout); /* the pod's output follows */
	e = dm_cluster_debug(t, o, &d, &res);
	if (e == DM_ERR_INTERRUPTED) {
		if (*res.left)
			dm_error("%s", res.left);
		return dm_cli_fail(e);
	}
	/* what went wrong first, then the pod left behind (which fails an otherwise good run) */
	code = e == DM_OK ? res.exit_code : dm_cli_fail(e);
	if (*res.left) {
		dm_error("%s", res.left);
		code = code ? code : DM_EXIT_FAIL;
	}
	return code;
}

int main(int argc, char **argv)
{
	args a;
	const char *cmd, *sub = NULL;
	char *const *cmdv = NULL;
	int words;
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
			if (!cmdv[0])
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
		o.kubectl = kubectl ? kubectl : "kubectl";
		if (!strcmp(cmd, "proxy"))
			code = cmd_proxy(&a, p, t, &o);
		else
			code = cmd_debug(&a, t, &o, sub, cmdv);
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
