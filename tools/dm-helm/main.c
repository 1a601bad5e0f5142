/* dm-helm: install, uninstall and inspect the components of a flavour with
 * Helm 3 (and kubectl for plain manifests), in dependency order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dm/cli.h>
#include <dm/json.h>
#include <dm/err.h>
#include <dm/log.h>
#include <dm/platform.h>
#include <dm/proc.h>
#include <dm/util.h>

static const char help_head[] = "Usage: dm-helm [OPTIONS] plan|install|uninstall|status [COMPONENT...]\n"
				"Install the components of a flavour with Helm 3 (kubectl for plain manifests),\n"
				"in dependency order; uninstall in reverse order; show their status.\n"
				"\n"
				"Commands:\n"
				"  plan        the ordered steps: each component's files, values, Secrets and\n"
				"              commands\n"
				"  install     helm upgrade --install each component (kubectl apply for kind\n"
				"              manifest)\n"
				"  uninstall   helm uninstall each component, in reverse order\n"
				"  status      helm status of each component, as a table (or --json)\n";

static const char help_tail[] =
	"Secret values (generated keys, keys read from the cluster) reach helm on its\n"
	"stdin (-f -), never the command line or a file; plan shows them as <secret>.\n"
	"Generated Secrets are created once and kept on reinstall.  SIGINT/SIGTERM stop\n"
	"the running helm or kubectl and start nothing more (exit 130, what was done\n"
	"listed).\n"
	"\n" DM_CLI_EXIT_HELP "  install/uninstall: 4 when some components failed or were skipped (listed);\n"
	"  status: 4 when some component is not deployed.\n";

enum {
	OPT_DRY = DM_CLI_LONG_ONLY,
	OPT_TIMEOUT,
	OPT_JSON,
	OPT_KUBECONFIG,
	OPT_CONTEXT,
	OPT_WITH_NEEDS,
	OPT_DELETE_NS,
	OPT_HELM,
	OPT_KUBECTL,
	OPT_CRASH_RESTARTS
};

static const dm_cli_option option_table[] = {
	{ 'f', "flavour", "FILE", "flavour file (default: $DM_FLAVOUR, else flavours/default.yaml)", 0 },
	{ 'c', "component", "NAME", "only this component (repeatable; same as a positional COMPONENT)", 0 },
	{ OPT_WITH_NEEDS, "with-needs", NULL, "add the components that selected ones need", 0 },
	{ OPT_DRY, "dry-run", NULL, "print every command with its exact argv; run nothing", 0 },
	{ 'j', "jobs", "N", "install components whose needs are met, N at a time (default 1)", 0 },
	{ OPT_TIMEOUT, "timeout", "DUR",
	  "limit of each component's install (e.g. 90s, 10m), replacing the components' own timeouts", 0 },
	{ OPT_CRASH_RESTARTS, "crash-restarts", "N",
	  "install: fail a component, without waiting for its timeout, once a container of its new pods has "
	  "crashed and been restarted N times (default 3); 0: wait for the timeout",
	  0 },
	{ OPT_DELETE_NS, "delete-namespace", NULL,
	  "uninstall: delete the components' namespaces too (and with them the generated Secrets); only "
	  "namespaces that dm created and that hold nothing else: else nothing is deleted (exit 1)",
	  0 },
	{ OPT_JSON, "json", NULL, "one JSON document on stdout", 0 },
	{ OPT_KUBECONFIG, "kubeconfig", "FILE", "kubeconfig (default: $KUBECONFIG, else ~/.kube/config)", 0 },
	{ OPT_CONTEXT, "context", "CTX", "kubeconfig context (default: its current context)", 0 },
	{ OPT_HELM, "helm", "PATH", "the helm program (default: $DM_HELM, else PATH)", 0 },
	{ OPT_KUBECTL, "kubectl", "PATH", "the kubectl program (default: $DM_KUBECTL, else PATH)", 0 },
	{ 'v', "verbose", NULL, "show each command as it runs (-vv: debug)", 0 },
	{ 'q', "quiet", NULL, "errors only", 0 },
	DM_CLI_OPT_HELP,
	DM_CLI_OPT_VERSION,
	DM_CLI_END,
};

#define TOOLS_HINT                                                                                                     \
	"run scripts/k8s-tools.sh, which prints where it put helm and kubectl, "                                       \
	"and pass that path with --%s or $DM_%s"

typedef struct {
	dm_action action;
	int dry_run, json, verbosity;
	size_t step;
} ui;

static void print_argv(const char *const *argv)
{
	dm_buf b = DM_BUF_INIT;

	if (dm_proc_format_argv(&b, argv) == DM_OK)
		printf("%s\n", dm_buf_str(&b));
	dm_buf_release(&b);
}

static void on_command(void *ud, const dm_component *c, const char *const *argv)
{
	ui *u = ud;

	if (u->action == DM_ACTION_PLAN) {
		fputs("   $ ", stdout);
		print_argv(argv);
	} else if (u->dry_run) {
		if (!u->json)
			print_argv(argv);
	} else if (u->verbosity > 0) {
		dm_buf b = DM_BUF_INIT;

		if (dm_proc_format_argv(&b, argv) == DM_OK)
			dm_info("%s%s$ %s", c ? c->name : "", c ? ": " : "", dm_buf_str(&b));
		dm_buf_release(&b);
	}
}

static void print_plan_component(ui *u, const dm_component *c)
{
	static const char *const layer_names[] = { "config", "override", "flavour" };
	char dur[32];

	printf("%zu. %s (%s, namespace %s)%s%s\n", ++u->step, c->name,
	       c->kind == DM_COMPONENT_HELM ? "helm" : "manifest", c->ns, *c->description ? ": " : "", c->description);
	for (int i = 0; i < 3; i++) {
		if (c->files[i])
			printf("   %-9s %s\n", layer_names[i], c->files[i]);
	}
	if (c->n_needs) {
		printf("   needs    ");
		for (size_t i = 0; i < c->n_needs; i++)
			printf("%s%s", i ? ", " : "", c->needs[i]);
		printf("\n");
	}
	if (c->kind == DM_COMPONENT_HELM) {
		if (c->chart_repo)
			printf("   chart    %s from %s, version %s\n", c->chart_name, c->chart_repo, c->version);
		else if (c->chart_oci)
			printf("   chart    %s, version %s\n", c->chart_oci, c->version);
		else
			printf("   chart    %s\n", c->chart_path);
		printf("   release  %s\n", c->release);
	}
	for (size_t i = 0; i < c->n_values; i++)
		printf("   values   %s\n", c->values[i]);
	for (size_t i = 0; i < c->n_set; i++)
		printf("   set      %s=%s\n", c->set[i].key, c->set[i].secret ? "<secret>" : c->set[i].value);
	for (size_t i = 0; i < c->n_kustomize; i++)
		printf("   apply -k %s\n", c->kustomize[i]);
	for (size_t i = 0; i < c->n_manifests; i++)
		printf("   apply -f %s\n", c->manifests[i]);
	for (size_t i = 0; i < c->n_secrets; i++) {
		printf("   secret   %s (", c->secrets[i].name);
		for (size_t k = 0; k < c->secrets[i].n_keys; k++)
			printf("%s%s", k ? ", " : "", c->secrets[i].keys[k]);
		printf("; %d characters): created unless it exists\n", c->secrets[i].length);
	}
	dm_platform_duration(dur, c->timeout_ms);
	printf("   wait     %s, timeout %s\n", c->wait ? "yes" : "no", dur);
}

static const char *outcome_word(dm_action a, dm_outcome o)
{
	switch (o) {
	case DM_OUTCOME_OK:
		return a == DM_ACTION_INSTALL ? "installed" : a == DM_ACTION_UNINSTALL ? "uninstalled" : "ok";
	case DM_OUTCOME_FAILED: return "failed";
	case DM_OUTCOME_SKIPPED: return "skipped";
	case DM_OUTCOME_INTERRUPTED: return "interrupted";
	default: return "not started";
	}
}

static void on_component(void *ud, const dm_component *c, const dm_run_result *res)
{
	ui *u = ud;

	if (u->action == DM_ACTION_PLAN) {
		if (!res)
			print_plan_component(u, c);
		return;
	}
	if (u->dry_run || u->action == DM_ACTION_STATUS)
		return;
	if (!res) {
		dm_info("%s: %s ...", c->name, u->action == DM_ACTION_INSTALL ? "installing" : "uninstalling");
		return;
	}
	if (res->outcome == DM_OUTCOME_OK)
		dm_info("%s: %s (%.1fs)", c->name, outcome_word(u->action, res->outcome), res->seconds);
	else if (res->outcome == DM_OUTCOME_SKIPPED)
		dm_warn("%s: %s", c->name, res->detail ? res->detail : "skipped");
	else
		dm_error("%s: %s", c->name, res->detail ? res->detail : "failed");
}

static void on_signal(int sig)
{
	(void)sig;
	dm_proc_cancel();
}

/* After an interrupt: one line of what was done,
 * "install interrupted: 1 installed (a), 1 interrupted (b), 2 not started (c, d)". */
static void print_interrupted(dm_action action, const dm_run_result *r, size_t n)
{
	static const dm_outcome shown[] = { DM_OUTCOME_OK, DM_OUTCOME_FAILED, DM_OUTCOME_SKIPPED,
					    DM_OUTCOME_INTERRUPTED, DM_OUTCOME_PENDING };
	static const char *const names[] = { "plan", "install", "uninstall", "status" };
	dm_buf line = DM_BUF_INIT;

	dm_buf_printf(&line, "%s interrupted", names[action]);
	for (size_t k = 0, parts = 0; k < sizeof(shown) / sizeof(shown[0]); k++) {
		size_t count = 0;

		for (size_t i = 0; i < n; i++)
			count += r[i].outcome == shown[k];
		if (!count)
			continue;
		dm_buf_printf(&line, "%s %zu %s (", parts++ ? "," : ":", count, outcome_word(action, shown[k]));
		for (size_t i = 0, m = 0; i < n; i++) {
			if (r[i].outcome == shown[k])
				dm_buf_printf(&line, "%s%s", m++ ? ", " : "", r[i].component->name);
		}
		dm_buf_puts(&line, ")");
	}
	fprintf(stderr, "dm-helm: %s\n", dm_buf_str(&line) ? dm_buf_str(&line) : "interrupted");
	dm_buf_release(&line);
}

/* The variable that names a program: DM_HELM, else the test beds' DM_TEST_HELM; NULL when neither is set. */
static const char *program_variable(const char *env, const char *test_env)
{
	if (getenv(env) && *getenv(env))
		return env;
	if (getenv(test_env) && *getenv(test_env))
		return test_env;
	return NULL;
}

/* Finds helm or kubectl: the flag's value, else the variable's, else PATH.
 * A plan or a dry run that cannot find it shows what the user named, else its name. */
static dm_err find_program(char **out, const char *flag, const char *name, const char *env, const char *test_env,
			   const char *upper, int needed)
{
	const char *var = program_variable(env, test_env);
	char hint[256];
	dm_err e;

	snprintf(hint, sizeof(hint), TOOLS_HINT, name, upper);
	if ((e = dm_proc_find_given(out, flag, name, var, hint)) == DM_OK || needed)
		return e;
	dm_err_clear();
	*out = strdup(flag ? flag : var ? getenv(var) : name);
	return *out ? DM_OK : dm_nomem();
}

static int print_json(const dm_platform *p, dm_action action, const dm_run_result *r, size_t n, dm_err e)
{
	const dm_project *pj = dm_flavour_project(dm_platform_flavour(p));
	json_t *root = json_object(), *list = json_array();
	static const char *const names[] = { "plan", "install", "uninstall", "status" };

	json_object_set_new(root, "action", json_string(names[action]));
	json_object_set_new(root, "flavour", json_string(pj->file));
	for (size_t i = 0; i < n; i++) {
		const dm_component *c = r[i].component;
		json_t *o = json_object();

		json_object_set_new(o, "component", json_string(c->name));
		json_object_set_new(o, "kind", json_string(c->kind == DM_COMPONENT_HELM ? "helm" : "manifest"));
		if (c->release)
			json_object_set_new(o, "release", json_string(c->release));
		json_object_set_new(o, "namespace", json_string(c->ns));
		json_object_set_new(o, "outcome", json_string(outcome_word(action, r[i].outcome)));
		if (r[i].detail)
			json_object_set_new(o, "detail", json_string(r[i].detail));
		if (action == DM_ACTION_STATUS) {
			json_object_set_new(o, "status", r[i].status ? json_string(r[i].status) : json_null());
			if (r[i].chart)
				json_object_set_new(o, "chart", json_string(r[i].chart));
			if (r[i].revision)
				json_object_set_new(o, "revision", json_integer(r[i].revision));
			if (r[i].updated)
				json_object_set_new(o, "updated", json_string(r[i].updated));
			if (r[i].raw_json) {
				json_t *h = json_loads(r[i].raw_json, 0, NULL);

				if (h) {
					/* the rendered manifest and values can hold secrets: keep the summary */
					json_object_del(h, "manifest");
					json_object_del(h, "config");
					json_object_del(h, "hooks");
					json_object_set_new(o, "helm", h);
				}
			}
		} else {
			json_object_set_new(o, "seconds", json_real(r[i].seconds));
		}
		json_array_append_new(list, o);
	}
	json_object_set_new(root, "components", list);
	json_object_set_new(root, "ok", json_boolean(e == DM_OK));
	dm_json_print(root);
	return 0;
}

static void print_status_table(const dm_run_result *r, size_t n)
{
	int w = 9;

	for (size_t i = 0; i < n; i++) {
		int l = (int)strlen(r[i].component->name);

		w = l > w ? l : w;
	}
	printf("%-*s  %-9s  %-16s  %-14s  %-8s  %s\n", w, "COMPONENT", "KIND", "NAMESPACE", "STATUS", "REVISION",
	       "UPDATED");
	for (size_t i = 0; i < n; i++) {
		const dm_component *c = r[i].component;
		char rev[16] = "-";

		if (r[i].revision)
			snprintf(rev, sizeof(rev), "%d", r[i].revision);
		printf("%-*s  %-9s  %-16s  %-14s  %-8s  %s\n", w, c->name,
		       c->kind == DM_COMPONENT_HELM ? "helm" : "manifest", c->ns, r[i].status ? r[i].status : "unknown",
		       rev, r[i].updated ? r[i].updated : "-");
	}
}

int main(int argc, char **argv)
{
	const char *flavour = NULL, *kubeconfig = NULL, *context = NULL, *helm_flag = NULL, *kubectl_flag = NULL;
	const char **only = NULL;
	size_t n_only = 0;
	int opt, json = 0, dry = 0, with_needs = 0, delete_ns = 0, verbosity = 0, code;
	long jobs = 1, crash_restarts = DM_RUN_CRASH_RESTARTS;
	uint64_t timeout_ms = 0;
	dm_action action;
	dm_flavour *f = NULL;
	dm_platform *p = NULL;
	dm_platform_opts po = DM_PLATFORM_OPTS_INIT;
	dm_run_opts ro = DM_RUN_OPTS_INIT;
	dm_run_result *res = NULL;
	char *helm = NULL, *kubectl = NULL;
	ui u;
	dm_cli_parser args;
	dm_err e = DM_OK;

	dm_cli_init("dm-helm");
	only = calloc((size_t)argc + 1, sizeof(*only));
	if (!only)
		return dm_cli_fail(dm_fail(DM_ERR_NOMEM, "out of memory"));
	dm_cli_parser_init(&args, option_table, argc, argv);
	while ((opt = dm_cli_next(&args)) > 0) {
		const char *v = args.value;
		char *end;

		switch (opt) {
		case 'f': flavour = v; break;
		case 'c': only[n_only++] = v; break;
		case 'j':
			jobs = strtol(v, &end, 10);
			if (*end || end == v || jobs < 1 || jobs > 64) {
				free(only);
				return dm_cli_usage_error("--jobs must be a number from 1 to 64, not '%s'", v);
			}
			break;
		case OPT_CRASH_RESTARTS:
			crash_restarts = strtol(v, &end, 10);
			if (*end || end == v || crash_restarts < 0 || crash_restarts > 1000) {
				free(only);
				return dm_cli_usage_error("--crash-restarts must be a number from 0 to 1000, not '%s'",
							  v);
			}
			break;
		case OPT_DRY: dry = 1; break;
		case OPT_TIMEOUT:
			if (dm_parse_duration_ms(v, &timeout_ms) || timeout_ms == 0) {
				free(only);
				return dm_cli_usage_error(
					"--timeout must be a duration like 90s, 10m or 1h30m, not '%s'", v);
			}
			break;
		case OPT_JSON: json = 1; break;
		case OPT_KUBECONFIG: kubeconfig = v; break;
		case OPT_CONTEXT: context = v; break;
		case OPT_WITH_NEEDS: with_needs = 1; break;
		case OPT_DELETE_NS: delete_ns = 1; break;
		case OPT_HELM: helm_flag = v; break;
		case OPT_KUBECTL: kubectl_flag = v; break;
		case 'v': verbosity = verbosity < 0 ? 1 : verbosity + 1; break;
		case 'q': verbosity = -1; break;
		case 'h': free(only); return dm_cli_help(help_head, option_table, help_tail);
		case 'V': free(only); return dm_cli_version();
		}
	}
	if (opt == DM_CLI_BAD) {
		free(only);
		return DM_EXIT_USAGE;
	}
	dm_cli_set_verbosity(verbosity);
	if (args.noperands == 0) {
		free(only);
		return dm_cli_usage_error("name a command: plan, install, uninstall or status");
	}
	if (!strcmp(args.operands[0], "plan")) {
		action = DM_ACTION_PLAN;
	} else if (!strcmp(args.operands[0], "install")) {
		action = DM_ACTION_INSTALL;
	} else if (!strcmp(args.operands[0], "uninstall")) {
		action = DM_ACTION_UNINSTALL;
	} else if (!strcmp(args.operands[0], "status")) {
		action = DM_ACTION_STATUS;
	} else {
		code = dm_cli_usage_error("unknown command '%s' (plan, install, uninstall or status)",
					  args.operands[0]);
		free(only);
		return code;
	}
	for (int i = 1; i < args.noperands; i++)
		only[n_only++] = args.operands[i];
	if (delete_ns && action != DM_ACTION_UNINSTALL) {
		free(only);
		return dm_cli_usage_error("--delete-namespace goes with uninstall only");
	}
	if (json && action == DM_ACTION_PLAN) {
		free(only);
		return dm_cli_usage_error("plan prints text; use --json with install, uninstall or status");
	}
	dm_cli_no_core();
	/* from here on an interrupt stops what runs and is reported */
	dm_cli_on_interrupt(on_signal);

	flavour = dm_flavour_path(flavour, NULL);
	if ((e = dm_flavour_load(&f, flavour)))
		goto fail;
	po.with_needs = with_needs;
	po.only = n_only ? only : NULL;
	if ((e = dm_platform_load(&p, f, &po)))
		goto fail;

	/* helm and kubectl: required where they will run, shown by name where they will not */
	{
		int want_helm = 0, want_kubectl = delete_ns;

		for (size_t i = 0; i < dm_platform_count(p); i++) {
			if (dm_platform_at(p, i)->kind == DM_COMPONENT_HELM)
				want_helm = 1;
			else
				want_kubectl = 1;
		}
		if (want_helm && (e = find_program(&helm, helm_flag, "helm", "DM_HELM", "DM_TEST_HELM", "HELM",
						   action != DM_ACTION_PLAN && !dry)))
			goto fail;
		if (want_kubectl && (e = find_program(&kubectl, kubectl_flag, "kubectl", "DM_KUBECTL",
						      "DM_TEST_KUBECTL", "KUBECTL", action != DM_ACTION_PLAN && !dry)))
			goto fail;
		e = DM_OK;
	}

	memset(&u, 0, sizeof(u));
	u.action = action;
	u.dry_run = dry;
	u.json = json;
	u.verbosity = verbosity;
	ro.helm = helm;
	ro.kubectl = kubectl;
	ro.kubeconfig = kubeconfig;
	ro.context = context;
	ro.timeout_ms = timeout_ms;
	/* plans and dry runs print in a fixed order */
	ro.jobs = action == DM_ACTION_PLAN || dry ? 1 : (int)jobs;
	ro.dry_run = dry;
	ro.delete_namespace = delete_ns;
	ro.crash_restarts = crash_restarts ? (int)crash_restarts : -1;
	ro.on_command = on_command;
	ro.on_component = on_component;
	ro.ud = &u;
	if (action == DM_ACTION_PLAN) {
		const dm_project *pj = dm_flavour_project(f);

		printf("flavour %s (namespace %s, root %s)\n", pj->file, pj->k8s_namespace, pj->root);
		printf("config folder %s\n", pj->config_folder);
	}
	e = dm_platform_run(p, action, &ro, &res);
	if (e == DM_ERR_INTERRUPTED && res && !json) {
		print_interrupted(action, res, dm_platform_count(p));
		code = DM_EXIT_INTERRUPTED;
		goto out;
	}
	if (res && json) {
		print_json(p, action, res, dm_platform_count(p), e);
	} else if (res && action == DM_ACTION_STATUS && !dry) {
		print_status_table(res, dm_platform_count(p));
	}
	/* no summary when the run could not start (kubeconfig, helm): the error alone says it */
	if (res && !dry && (e == DM_OK || e == DM_ERR_PARTIAL) &&
	    (action == DM_ACTION_INSTALL || action == DM_ACTION_UNINSTALL)) {
		size_t ok = 0, failed = 0, skipped = 0;
		dm_buf which = DM_BUF_INIT;

		for (size_t i = 0; i < dm_platform_count(p); i++) {
			ok += res[i].outcome == DM_OUTCOME_OK;
			failed += res[i].outcome == DM_OUTCOME_FAILED;
			skipped += res[i].outcome == DM_OUTCOME_SKIPPED;
			if (res[i].outcome == DM_OUTCOME_FAILED || res[i].outcome == DM_OUTCOME_SKIPPED)
				dm_buf_printf(&which, "%s%s (%s)", which.len ? ", " : "", res[i].component->name,
					      outcome_word(action, res[i].outcome));
		}
		/* the summary line, always (but with -q) */
		if (verbosity >= 0 && (failed || skipped))
			fprintf(stderr, "dm-helm: %s: %zu %s, %zu failed, %zu skipped: %s\n",
				action == DM_ACTION_INSTALL ? "install" : "uninstall", ok,
				outcome_word(action, DM_OUTCOME_OK), failed, skipped, dm_buf_str(&which));
		else if (verbosity >= 0)
			fprintf(stderr, "dm-helm: %s: %zu %s\n", action == DM_ACTION_INSTALL ? "install" : "uninstall",
				ok, outcome_word(action, DM_OUTCOME_OK));
		dm_buf_release(&which);
	}
	if (e == DM_ERR_PARTIAL && action == DM_ACTION_STATUS && !json) {
		for (size_t i = 0; i < dm_platform_count(p); i++) {
			if (res[i].outcome != DM_OUTCOME_OK)
				dm_warn("%s: %s", res[i].component->name,
					res[i].detail ? res[i].detail : "not deployed");
		}
	}
	if (e && e != DM_ERR_PARTIAL)
		goto fail;
	code = dm_cli_exit_code(e);
	if (e == DM_ERR_PARTIAL && action == DM_ACTION_STATUS)
		dm_err_clear();
	goto out;
fail:
	code = dm_cli_fail(e);
out:
	if (p)
		dm_run_results_free(res, dm_platform_count(p));
	dm_platform_free(p);
	dm_flavour_free(f);
	free(helm);
	free(kubectl);
	free(only);
	return dm_cli_close_stdout(code);
}
