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
				"               target's registry mirror (docker-registry) unless it runs, start\n"
				"               the cluster unless it runs, enable the target's addons, wait for\n"
				"               the API server and create the project namespace; microk8s: write\n"
				"               its kubeconfig (mode 0600) and print the file's path\n"
				"  stop         minikube stop / microk8s stop (a remote cluster is never\n"
				"               stopped); the registry mirror keeps running\n"
				"  delete       minikube delete / microk8s reset, then stop the registry mirror\n"
				"               (its cache stays on disk); needs --yes (never for remote)\n"
				"  status       provider, running, API, server version, nodes Ready (each node\n"
				"               with its allocatable cpu and memory), namespace, registry mirror;\n"
				"               exit 0 only when all are ready (the mirror aside)\n"
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
				"Programs are looked up in PATH; DM_MINIKUBE, DM_MICROK8S, DM_KUBECTL and\n"
				"DM_DOCKER_REGISTRY override them.  Credentials are never printed: the microk8s\n"
				"kubeconfig goes to a 0600 file, only its path is shown.\n";

static const char help_tail[] = DM_CLI_EXIT_HELP "  debug -- COMMAND exits with COMMAND's exit code\n";

enum {
	OPT_DRY_RUN = DM_CLI_LONG_ONLY,
	OPT_JSON,
	OPT_TIMEOUT,
	OPT_YES,
	OPT_KCOUT,
	OPT_PORT,
	OPT_IMAGE,
	OPT_HOST_NETWORK,
	OPT_ROOT,
	OPT_TARGET,
	OPT_LOCAL,
	OPT_REMOTE
};

static const dm_cli_option option_table[] = {
	DM_CLI_OPT_FLAVOUR('f'),
	DM_CLI_OPT_ROOT(OPT_ROOT, 0),
	{ OPT_TARGET, "target", "FILE", "target file (default: the flavour's project.k8s_default_config)", 0 },
	{ OPT_LOCAL, "local", NULL, "use the flavour's inline local: target", 0 },
	{ OPT_REMOTE, "remote", NULL, "use the flavour's inline remote: target", 0 },
	{ OPT_DRY_RUN, "dry-run", NULL, "print the commands that would run, one per line; run none", 0 },
	{ OPT_JSON, "json", NULL, "start, stop, delete, status: one JSON document on stdout (docs/json.md)", 0 },
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
	DM_CLI_OPT_QUIET,
	DM_CLI_OPT_HELP,
	DM_CLI_OPT_VERSION,
	DM_CLI_END,
};

typedef struct {
	const char *flavour, *root;
	const char *target;
	int local, remote;
	int dry_run, json, yes;
	uint64_t timeout_ms;
	const char *kubeconfig_out;
	int port;
	const char *image;
	int host_network;
	int verbosity;
	const char *cmd;      /* start, stop, delete, status, proxy or debug */
	const char *kind;     /* debug: net or app */
	char *const *command; /* debug: the pod's command after "--" (NULL-terminated), else NULL */
	json_t *commands;     /* --dry-run --json: the commands, each an array of words */
} args;

/* What main holds from the loaded flavour to the end: released in one place. */
typedef struct {
	dm_flavour *fl;
	const dm_project *p;
	dm_target *t;
	dm_cluster_opts o;
	char *minikube, *microk8s, *kubectl, *registry;
} run;

static void print_command(void *ud, const char *const *argv)
{
	const args *a = ud;
	dm_buf line = DM_BUF_INIT;

	if (dm_proc_format_argv(&line, argv) != DM_OK) {
		dm_buf_release(&line);
		return;
	}
	if (a->dry_run && a->commands)
		json_array_append_new(a->commands, dm_cli_json_argv(argv));
	else if (a->dry_run)
		printf("%s\n", dm_buf_str(&line));
	else
		dm_debug("running: %s", dm_buf_str(&line));
	dm_buf_release(&line);
}

/* The --json document of a command, with --dry-run's commands; returns code. */
static int json_out(const args *a, json_t *doc, int code)
{
	if (doc && a->dry_run)
		json_object_set(doc, "commands", a->commands);
	return dm_cli_json_print(doc, code);
}

/* Which cluster the other tools talk to now, and why (dm_k8s_choose with no options). */
typedef struct {
	dm_k8s_from from;
	dm_k8s_current cur;
	const char *why;
} current;

static dm_err current_get(current *c)
{
	dm_k8s_opts ko = DM_K8S_OPTS_INIT;
	dm_err e = dm_k8s_choose(&ko, &c->cur, &c->from);

	c->why = e                                ? dm_err_detail()
		 : c->from == DM_K8S_FROM_ENV     ? "$KUBECONFIG is set: it wins over the current target"
		 : c->from == DM_K8S_FROM_CURRENT ? "recorded by dm-cluster start"
						  : "no target started: ~/.kube/config";
	return e;
}

static json_t *current_json(const current *c, const dm_target *t)
{
	if (c->from != DM_K8S_FROM_CURRENT)
		return json_pack("{s:n, s:n, s:n, s:b, s:s}", "target", "kubeconfig", "context", "this_target", 0,
				 "why", c->why);
	return json_pack("{s:s?, s:s, s:s?, s:b, s:s, s:s}", "target", c->cur.target, "kubeconfig", c->cur.kubeconfig,
			 "context", c->cur.context, "this_target", c->cur.target && !strcmp(c->cur.target, t->source),
			 "why", c->why, "record", c->cur.file);
}

static void current_text(const current *c, const dm_target *t)
{
	if (c->from != DM_K8S_FROM_CURRENT) {
		printf("%-12s none (%s)\n", "current", c->why);
		return;
	}
	printf("%-12s %s%s: kubeconfig %s, context %s (%s, in %s)\n", "current", c->cur.target ? c->cur.target : "-",
	       c->cur.target && !strcmp(c->cur.target, t->source) ? " (this target)" : "", c->cur.kubeconfig,
	       c->cur.context ? c->cur.context : "-", c->why, c->cur.file);
}

/* status --json: one document */
static int status_json(const args *a, const dm_project *p, const dm_target *t, const dm_cluster_status *s,
		       const current *c, int code)
{
	json_t *addons = json_array();
	json_t *nodes = json_null();
	json_t *doc;

	for (size_t i = 0; s->addons_enabled && s->addons_enabled[i]; i++)
		json_array_append_new(addons, json_string(s->addons_enabled[i]));
	if (s->nodes_total >= 0) {
		json_t *items = json_array();

		for (size_t i = 0; i < s->n_nodes; i++)
			json_array_append_new(items, json_pack("{s:s, s:b, s:s?, s:s?}", "name", s->nodes[i].name,
							       "ready", s->nodes[i].ready, "cpu", s->nodes[i].cpu,
							       "memory", s->nodes[i].memory));
		nodes = json_pack("{s:i, s:i, s:o}", "total", s->nodes_total, "ready", s->nodes_ready, "items", items);
	}
	doc = json_pack("{s:s, s:s, s:b, s:s?, s:s?, s:b, s:s?, s:o, s:s, s:o, s:o, s:s?, s:s?, s:b, s:s?}", "provider",
			dm_provider_name(s->provider), "target", t->source, "running", s->running, "state", s->state,
			"server", s->server, "api_ready", s->api_reachable, "server_version", s->server_version,
			"nodes", nodes, "namespace", p->k8s_namespace, "namespace_present",
			s->namespace_present < 0 ? json_null() : json_boolean(s->namespace_present), "addons_enabled",
			s->addons_enabled ? addons : (json_decref(addons), json_null()), "kubeconfig",
			s->kubeconfig && *s->kubeconfig ? s->kubeconfig : NULL, "context", s->context, "ready",
			s->ready, "problem", s->problem);
	if (doc)
		json_object_set_new(doc, "current", current_json(c, t));
	if (doc && t->mirror)
		json_object_set_new(doc, "registry_mirror",
				    json_pack("{s:s, s:s, s:s, s:b, s:o}", "serve", t->mirror->serve, "url",
					      t->registry_mirrors[0], "upstream", t->mirror->upstream, "running",
					      s->mirror_running, "pid",
					      s->mirror_pid ? json_integer(s->mirror_pid) : json_null()));
	else if (doc)
		json_object_set_new(doc, "registry_mirror", json_null());
	return json_out(a, doc, code);
}

/* status: one "what value" line each */
static void status_text(const dm_project *p, const dm_target *t, const dm_cluster_status *s, const current *c)
{
	printf("%-12s %s\n", "provider", dm_provider_name(s->provider));
	printf("%-12s %s\n", "target", t->source);
	printf("%-12s %s\n", "state", s->state ? s->state : "unknown");
	printf("%-12s %s (%s)\n", "api", s->server ? s->server : "-", s->api_reachable ? "ready" : "not ready");
	printf("%-12s %s\n", "version", s->server_version ? s->server_version : "-");
	if (s->nodes_total >= 0)
		printf("%-12s %d/%d Ready\n", "nodes", s->nodes_ready, s->nodes_total);
	else
		printf("%-12s -\n", "nodes");
	for (size_t i = 0; i < s->n_nodes; i++)
		printf("%-12s %s %s, allocatable cpu %s, memory %s\n", "node", s->nodes[i].name,
		       s->nodes[i].ready ? "Ready" : "NotReady", s->nodes[i].cpu ? s->nodes[i].cpu : "-",
		       s->nodes[i].memory ? s->nodes[i].memory : "-");
	printf("%-12s %s (%s)\n", "namespace", p->k8s_namespace,
	       s->namespace_present == 1   ? "present"
	       : s->namespace_present == 0 ? "missing"
					   : "unknown");
	if (s->addons_enabled) {
		printf("%-12s", "addons");
		for (size_t i = 0; s->addons_enabled[i]; i++)
			printf("%s%s", i ? ", " : " ", s->addons_enabled[i]);
		printf("\n");
	}
	printf("%-12s %s%s%s%s\n", "kubeconfig", s->kubeconfig && *s->kubeconfig ? s->kubeconfig : "(default)",
	       s->context ? " (context " : "", s->context ? s->context : "", s->context ? ")" : "");
	if (t->mirror) {
		if (s->mirror_running)
			printf("%-12s %s (running, pid %ld; caching %s)\n", "mirror", t->mirror->serve, s->mirror_pid,
			       t->mirror->upstream);
		else if (s->mirror_pid)
			printf("%-12s %s (pid %ld does not answer %s)\n", "mirror", t->mirror->serve, s->mirror_pid,
			       t->mirror->probe);
		else
			printf("%-12s %s (not running)\n", "mirror", t->mirror->serve);
	}
	current_text(c, t);
	printf("%-12s %s\n", "ready", s->ready ? "yes" : "no");
}

static int cmd_status(const args *a, const dm_project *p, const dm_target *t, dm_cluster_opts *o)
{
	dm_cluster_status st;
	current c = { .why = NULL };
	dm_err e;
	int code = 0;

	if ((e = current_get(&c)) != DM_OK) { /* a broken record: said, and status goes on */
		dm_warn("%s", dm_err_detail());
		c.why = "the record cannot be read";
	}
	e = dm_cluster_status_get(t, o, &st);
	if (e != DM_OK) {
		dm_k8s_current_release(&c.cur);
		return dm_cli_fail(e);
	}
	if (!a->json)
		status_text(p, t, &st, &c);
	if (!st.ready) {
		dm_error("not ready: %s", st.problem ? st.problem : "unknown reason");
		code = DM_EXIT_FAIL;
	}
	if (a->json)
		code = status_json(a, p, t, &st, &c, code);
	dm_k8s_current_release(&c.cur);
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

static int cmd_debug(const args *a, const dm_target *t, const dm_cluster_opts *o)
{
	dm_debug_opts d = DM_DEBUG_OPTS_INIT;
	dm_debug_result res;
	dm_err e;
	int code;

	d.kind = a->kind;
	d.image = a->image;
	d.host_network = a->host_network;
	d.command = (const char *const *)a->command;
	if (a->command && !a->dry_run)
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

/* ---- the command line ----------------------------------------------------------------------- */

/* The options; DM_CLI_GO_ON, or the exit code (--help, --version, misuse). */
static int parse_options(args *a, dm_cli_parser *cl)
{
	int c;

	while ((c = dm_cli_next(cl)) > 0) {
		switch (c) {
		case 'f': a->flavour = cl->value; break;
		case OPT_ROOT: a->root = cl->value; break;
		case OPT_TARGET: a->target = cl->value; break;
		case OPT_LOCAL: a->local = 1; break;
		case OPT_REMOTE: a->remote = 1; break;
		case OPT_DRY_RUN: a->dry_run = 1; break;
		case OPT_JSON: a->json = 1; break;
		case OPT_YES: a->yes = 1; break;
		case OPT_KCOUT: a->kubeconfig_out = cl->value; break;
		case OPT_IMAGE: a->image = cl->value; break;
		case OPT_HOST_NETWORK: a->host_network = 1; break;
		case OPT_TIMEOUT:
			if (dm_parse_duration_ms(cl->value, &a->timeout_ms) != DM_OK || a->timeout_ms == 0)
				return dm_cli_usage_error("invalid --timeout '%s' (e.g. 90s, 10m)", cl->value);
			break;
		case OPT_PORT: {
			char *end;
			long v = strtol(cl->value, &end, 10);

			if (*end || v < 1 || v > 65535)
				return dm_cli_usage_error("invalid --port '%s' (1..65535)", cl->value);
			a->port = (int)v;
			break;
		}
		case 'v': a->verbosity++; break;
		case 'q': a->verbosity = -1; break;
		case 'h': return dm_cli_help(help_head, option_table, help_tail);
		case 'V': return dm_cli_version();
		}
	}
	return c == DM_CLI_BAD ? DM_EXIT_USAGE : DM_CLI_GO_ON;
}

/* The words before "--": the command (and debug's net|app); after it: the pod's command. */
static int parse_words(args *a, const dm_cli_parser *cl)
{
	int words = cl->dashdash >= 0 ? cl->dashdash : cl->noperands;

	if (words == 0)
		return dm_cli_usage_error("no command given (start, stop, delete, status, proxy or debug)");
	a->cmd = cl->operands[0];
	if (strcmp(a->cmd, "start") && strcmp(a->cmd, "stop") && strcmp(a->cmd, "delete") && strcmp(a->cmd, "status") &&
	    strcmp(a->cmd, "proxy") && strcmp(a->cmd, "debug"))
		return dm_cli_usage_error("unknown command '%s'", a->cmd);
	dm_cli_json_command(a->cmd);
	if (strcmp(a->cmd, "debug")) {
		if (cl->noperands > 1)
			return dm_cli_usage_error("unexpected argument '%s'", cl->operands[1]);
		return DM_CLI_GO_ON;
	}
	a->kind = words > 1 ? cl->operands[1] : "net";
	if (strcmp(a->kind, "net") && strcmp(a->kind, "app"))
		return dm_cli_usage_error("debug takes 'net' or 'app', not '%s'", a->kind);
	if (words > 2)
		return dm_cli_usage_error("unexpected argument '%s' (the command to run in the pod goes after "
					  "'--': debug %s -- COMMAND [ARGS...])",
					  cl->operands[2], a->kind);
	if (cl->dashdash >= 0) {
		a->command = cl->operands + cl->dashdash;
		if (!a->command[0])
			return dm_cli_usage_error("no command after '--' (debug %s -- COMMAND [ARGS...])", a->kind);
	}
	return DM_CLI_GO_ON;
}

static int parse_args(args *a, int argc, char **argv)
{
	dm_cli_parser cl;
	int code;

	memset(a, 0, sizeof(*a));
	dm_cli_parser_init(&cl, option_table, argc, argv);
	if ((code = parse_options(a, &cl)) != DM_CLI_GO_ON || (code = parse_words(a, &cl)) != DM_CLI_GO_ON)
		return code;
	if (a->host_network && strcmp(a->cmd, "debug"))
		return dm_cli_usage_error("--host-network is for debug");
	if ((a->target != NULL) + a->local + a->remote > 1)
		return dm_cli_usage_error("--target, --local and --remote exclude each other");
	if (a->json && (!strcmp(a->cmd, "proxy") || !strcmp(a->cmd, "debug")))
		return dm_cli_usage_error("--json is for start, stop, delete and status: %s hands the terminal to "
					  "%s",
					  a->cmd, strcmp(a->cmd, "proxy") ? "the pod" : "kubectl proxy");
	if (!strcmp(a->cmd, "delete") && !a->yes && !a->dry_run)
		return dm_cli_usage_error("delete destroys the cluster and every workload and volume in it: "
					  "add --yes to confirm");
	return DM_CLI_GO_ON;
}

/* ---- the run ----------------------------------------------------------------------------------- */

/* The flavour, the target, and the options of the cluster operations. */
static dm_err load(run *r, args *a)
{
	dm_cluster_opts init = DM_CLUSTER_OPTS_INIT;
	dm_err e;

	if ((e = dm_flavour_choose(&r->fl, a->root, a->flavour, NULL)) != DM_OK)
		return e;
	r->p = dm_flavour_project(r->fl);
	if ((e = dm_target_of_project(&r->t, r->p, a->target,
				      a->local    ? "local"
				      : a->remote ? "remote"
						  : NULL)) != DM_OK)
		return e;
	if (!strcmp(a->cmd, "delete") && r->t->provider == DM_PROVIDER_REMOTE)
		return dm_fail(DM_ERR_UNSUPPORTED, "%s is a remote cluster: dm-cluster never deletes it", r->t->source);
	r->o = init;
	r->o.ns = r->p->k8s_namespace;
	r->o.timeout_ms = a->timeout_ms ? a->timeout_ms : !strcmp(a->cmd, "status") ? 30000 : 0;
	r->o.dry_run = a->dry_run;
	r->o.kubeconfig_out = a->kubeconfig_out;
	r->o.on_command = print_command;
	r->o.ud = a;
	return DM_OK;
}

/* The programs the command runs: kubectl for proxy and debug, else the
 * provider's.  A dry run that cannot find one shows it by name. */
static dm_err find_programs(run *r, const args *a)
{
	dm_err e = DM_OK;

	if (!strcmp(a->cmd, "proxy") || !strcmp(a->cmd, "debug")) {
		e = dm_proc_find(&r->kubectl, "kubectl", "DM_KUBECTL", "install kubectl");
		r->o.kubectl = r->kubectl ? r->kubectl : "kubectl";
	} else if (r->t->provider == DM_PROVIDER_MINIKUBE) {
		e = dm_proc_find(&r->minikube, "minikube", "DM_MINIKUBE",
				 "install minikube (see docs/dm-cluster.md) or use a microk8s or remote target");
		r->o.minikube = r->minikube ? r->minikube : "minikube";
		/* the mirror dm-cluster runs: start needs its program, before minikube is asked anything */
		if (e == DM_OK && r->t->mirror && !strcmp(a->cmd, "start"))
			e = dm_proc_find(&r->registry, "docker-registry", "DM_DOCKER_REGISTRY",
					 "install docker-registry (the Debian package of the CNCF distribution "
					 "registry), or give registry_mirror as a URL of a mirror you run");
		r->o.registry = r->registry ? r->registry : "docker-registry";
	} else if (r->t->provider == DM_PROVIDER_MICROK8S) {
		e = dm_proc_find(&r->microk8s, "microk8s", "DM_MICROK8S",
				 "install microk8s (see docs/dm-cluster.md) or use a minikube or remote target");
		r->o.microk8s = r->microk8s ? r->microk8s : "microk8s";
	}
	return a->dry_run ? DM_OK : e;
}

static int cmd_start(const args *a, const run *r)
{
	dm_preflight pf = DM_PREFLIGHT_INIT;
	char *kc = NULL;
	dm_err e;
	int code = 0;

	e = dm_cluster_preflight(r->t, &r->o, &pf);
	if (e == DM_OK && !a->dry_run && r->t->provider != DM_PROVIDER_REMOTE)
		dm_info("preflight: %s%sthis machine has %d CPUs and %llu MiB of memory", pf.tool ? pf.tool : "",
			pf.tool ? "; " : "", pf.host_cpus, (unsigned long long)pf.host_memory_mib);
	dm_preflight_release(&pf);
	if (e == DM_OK)
		e = dm_cluster_start(r->t, &r->o, &kc);
	if (e != DM_OK)
		code = dm_cli_fail(e);
	else if (a->json)
		code = json_out(a,
				json_pack("{s:s, s:s, s:s, s:s?}", "provider", dm_provider_name(r->t->provider),
					  "target", r->t->source, "namespace", r->p->k8s_namespace, "kubeconfig", kc),
				code);
	else if (kc)
		printf("%s\n", kc);
	free(kc);
	return code;
}

/* The command; its exit code. */
static int run_command(const args *a, run *r)
{
	dm_err e = DM_OK;

	if (!strcmp(a->cmd, "proxy"))
		return cmd_proxy(a, r->p, r->t, &r->o);
	if (!strcmp(a->cmd, "debug"))
		return cmd_debug(a, r->t, &r->o);
	if (!strcmp(a->cmd, "status"))
		return cmd_status(a, r->p, r->t, &r->o);
	if (!strcmp(a->cmd, "start"))
		return cmd_start(a, r);
	if (!strcmp(a->cmd, "stop"))
		e = dm_cluster_stop(r->t, &r->o);
	else if (!strcmp(a->cmd, "delete"))
		e = dm_cluster_delete(r->t, &r->o);
	if (e != DM_OK)
		return dm_cli_fail(e);
	if (a->json)
		return json_out(a,
				json_pack("{s:s, s:s}", "provider", dm_provider_name(r->t->provider), "target",
					  r->t->source),
				DM_EXIT_OK);
	return DM_EXIT_OK;
}

static void run_release(run *r)
{
	free(r->minikube);
	free(r->microk8s);
	free(r->kubectl);
	free(r->registry);
	dm_target_free(r->t);
	dm_flavour_free(r->fl);
}

int main(int argc, char **argv)
{
	args a;
	run r = { .fl = NULL };
	dm_err e;
	int code;

	dm_cli_init("dm-cluster");
	dm_cli_no_core();                          /* it writes kubeconfigs holding credentials */
	if (dm_cli_argv_has(argc, argv, "--json")) /* a usage error is a document too */
		dm_cli_json_set(DM_CLI_JSON_DOC);
	if ((code = parse_args(&a, argc, argv)) != DM_CLI_GO_ON)
		return dm_cli_finish(code);
	dm_cli_json_command(a.cmd);
	if (a.json && a.dry_run && !(a.commands = json_array()))
		return dm_cli_finish(dm_cli_fail(dm_nomem()));
	/* progress (what is started, what is waited for and how long) is shown
	 * by default: starting a cluster takes minutes; -v adds every command */
	dm_cli_set_verbosity(a.verbosity < 0 ? -1 : a.verbosity + 1);
	if ((e = load(&r, &a)) != DM_OK || (e = find_programs(&r, &a)) != DM_OK)
		code = dm_cli_fail(e);
	else
		code = run_command(&a, &r);
	run_release(&r);
	json_decref(a.commands);
	return dm_cli_finish(code);
}
