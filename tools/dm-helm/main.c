/* dm-helm: install, uninstall and inspect the components of a flavour with
 * Helm 3 (and kubectl for plain manifests), in dependency order. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dm/cli.h>
#include <dm/json.h>
#include <dm/err.h>
#include <dm/gpu.h>
#include <dm/log.h>
#include <dm/platform.h>
#include <dm/proc.h>
#include <dm/util.h>

static const char help_head[] = "Usage: dm-helm [OPTIONS] plan|install|uninstall|status|images [COMPONENT...]\n"
				"Install the components of a flavour with Helm 3 (kubectl for plain manifests),\n"
				"in dependency order; uninstall in reverse order; show their status.\n"
				"\n"
				"Commands:\n"
				"  plan        the ordered steps: each component's files, values, Secrets and\n"
				"              commands\n"
				"  install     helm upgrade --install each component (kubectl apply for kind\n"
				"              manifest)\n"
				"  uninstall   helm uninstall each component, in reverse order\n"
				"  status      helm status of each component, as a table (or --json); 8\n"
				"              components at a time unless -j says\n"
				"  images      every image the components' pods would pull, from the charts\n"
				"              rendered with dm's values (helm template), one a line, sorted\n"
				"              (--json: a list); nothing reaches the cluster\n";

static const char help_tail[] =
	"install and uninstall print a line on stderr as each component starts, and as\n"
	"it ends: \"minio: installed in 12.3 s\", or an error with the time and the reason\n"
	"(-q: errors only; --ndjson: these events on stdout, as JSON lines).\n"
	"Secret values (generated keys, keys read from the cluster) reach helm on its\n"
	"stdin (-f -), never the command line or a file; plan shows them as <secret>.\n"
	"Generated Secrets are created once and kept on reinstall.  SIGINT/SIGTERM stop\n"
	"the running helm or kubectl and start nothing more (exit 130, what was done\n"
	"listed).  install first checks the nodes for every component that requires a\n"
	"GPU (docs/dm-helm.md): when one cannot run there, nothing is installed (exit 1).\n"
	"\n" DM_CLI_EXIT_HELP "  install/uninstall: 4 when some components failed or were skipped (listed);\n"
	"  status: 4 when some component is not deployed; images: 4 when some chart\n"
	"  could not be rendered (each named; the others' images are listed).\n";

enum {
	OPT_DRY = DM_CLI_LONG_ONLY,
	OPT_TIMEOUT,
	OPT_JSON,
	OPT_NDJSON,
	OPT_KUBECONFIG,
	OPT_CONTEXT,
	OPT_WITH_NEEDS,
	OPT_DELETE_NS,
	OPT_HELM,
	OPT_KUBECTL,
	OPT_CRASH_RESTARTS,
	OPT_ROOT,
	OPT_SKIP_GPU_CHECK,
	OPT_COMPONENT
};

extern const unsigned char dm_gpu_images_yaml[];
extern const size_t dm_gpu_images_yaml_len;

static const dm_cli_option option_table[] = {
	DM_CLI_OPT_FLAVOUR('f'),
	DM_CLI_OPT_ROOT(OPT_ROOT, 0),
	{ OPT_COMPONENT, "component", "NAME", "only this component (repeatable; same as a positional COMPONENT)", 0 },
	{ OPT_WITH_NEEDS, "with-needs", NULL, "add the components that selected ones need", 0 },
	{ OPT_DRY, "dry-run", NULL, "print every command with its exact argv; run nothing", 0 },
	{ 'j', "jobs", "N",
	  "run N components at a time: install and uninstall those whose needs allow it (default 1), status "
	  "queries (default 8)",
	  0 },
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
	{ OPT_SKIP_GPU_CHECK, "skip-gpu-check", NULL,
	  "install: also components that require a GPU when the cluster's nodes do not pass the GPU check "
	  "(each named in a warning)",
	  0 },
	{ OPT_JSON, "json", NULL, "one JSON document on stdout", 0 },
	{ OPT_NDJSON, "ndjson", NULL,
	  "install, uninstall: --json as lines (NDJSON): a JSON object a line on stdout as each component starts "
	  "and ends, then the --json document on one line",
	  0 },
	DM_CLI_OPT_KUBECONFIG(OPT_KUBECONFIG, 0),
	DM_CLI_OPT_CONTEXT(OPT_CONTEXT, 0),
	{ OPT_HELM, "helm", "PATH", "the helm program (default: $DM_HELM, else PATH)", 0 },
	{ OPT_KUBECTL, "kubectl", "PATH", "the kubectl program (default: $DM_KUBECTL, else PATH)", 0 },
	{ 'v', "verbose", NULL, "show each command as it runs (-vv: debug)", 0 },
	DM_CLI_OPT_QUIET,
	DM_CLI_OPT_HELP,
	DM_CLI_OPT_VERSION,
	DM_CLI_END,
};

#define TOOLS_HINT                                                                                                     \
	"run scripts/k8s-tools.sh, which prints where it put helm and kubectl, "                                       \
	"and pass that path with --%s or $DM_%s"

typedef struct {
	const char *flavour, *root, *kubeconfig, *context;
	const char *helm, *kubectl; /* --helm, --kubectl */
	const char **only;          /* -c and the COMPONENT words (malloc'd, NULL-terminated) */
	size_t n_only;
	int json, ndjson, dry_run, with_needs, delete_ns, verbosity, skip_gpu_check;
	long jobs, crash_restarts; /* jobs 0: not given */
	uint64_t timeout_ms;
	dm_action action;
} options;

/* What the callbacks print by (held in run). */
typedef struct {
	dm_action action;
	int dry_run, json, ndjson, verbosity;
	size_t step;
	json_t *commands; /* --json with plan or --dry-run: each component's commands, by name ("" for none) */
} ui;

/* status: helm status runs this many at once unless -j says (each is a short request) */
#define STATUS_JOBS 8

/* What main holds from the loaded flavour to the end: released in one place. */
typedef struct {
	dm_flavour *f;
	dm_platform *p;
	dm_run_result *res;
	char *helm, *kubectl;
	dm_k8s_current cur;        /* the cluster, when it is the current target */
	dm_gpu_images *gpu_images; /* the built-in table, for install's GPU check */
	ui u;                      /* what the callbacks print by */
} run;

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

	if (u->json && u->commands && (u->action == DM_ACTION_PLAN || u->dry_run)) {
		const char *name = c ? c->name : "";
		json_t *list = json_object_get(u->commands, name);

		if (!list)
			json_object_set_new(u->commands, name, list = json_array());
		json_array_append_new(list, dm_cli_json_argv(argv));
	} else if (u->action == DM_ACTION_PLAN) {
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
	if (c->requires_gpu && !c->n_gpu)
		printf("   requires a GPU node (nvidia.com/gpu), checked before install\n");
	for (size_t i = 0; i < c->n_gpu; i++)
		printf("   requires a GPU node%s%s%s%s%s, checked before install\n", c->gpu[i].image ? " for " : "",
		       c->gpu[i].image ? c->gpu[i].image : "", c->gpu[i].profile ? " (profile " : "",
		       c->gpu[i].profile ? c->gpu[i].profile : "", c->gpu[i].profile ? ")" : "");
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

/* A progress line on stderr, "dm-helm: minio: installed in 12.3 s", in one write so that the
 * lines of components that run at once never mix; none with -q. */
static void say(const ui *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const ui *u, const char *fmt, ...)
{
	char msg[512], line[600];
	va_list ap;
	int n;

	if (u->verbosity < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = snprintf(line, sizeof(line), "%s: %s\n", dm_cli_prog(), msg);
	if (n > (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 1;
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return; /* stderr gone: nothing to say it on */
}

/* detail on one line: helm's messages are, but a Kubernetes message may not be */
static const char *one_line(char *out, size_t n, const char *detail)
{
	snprintf(out, n, "%s", detail ? detail : "");
	for (char *p = out; *p; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	}
	return out;
}

/* --ndjson: {"event":"started"|"installed"|"uninstalled"|"failed"|"skipped"|"interrupted",
 * "component":C, "elapsed_ms":N, "detail":D}, the words of the document's "outcome". */
static void print_event(const ui *u, const dm_component *c, const dm_run_result *res)
{
	json_t *ev = json_pack("{s:s, s:s}", "event", res ? outcome_word(u->action, res->outcome) : "started",
			       "component", c->name);

	if (ev && res && res->outcome != DM_OUTCOME_SKIPPED)
		json_object_set_new(ev, "elapsed_ms", json_integer((json_int_t)(res->seconds * 1000.0 + 0.5)));
	if (ev && res && res->detail)
		json_object_set_new(ev, "detail", json_string(res->detail));
	dm_json_print_line(ev);
}

static void on_component(void *ud, const dm_component *c, const dm_run_result *res)
{
	ui *u = ud;
	char why[2048];

	if (u->action == DM_ACTION_PLAN) {
		if (!res && !u->json)
			print_plan_component(u, c);
		return;
	}
	if (u->dry_run || u->action == DM_ACTION_STATUS)
		return;
	if (u->action == DM_ACTION_IMAGES) {
		/* each component that could not be rendered, on stderr; the list goes on */
		if (res && res->outcome != DM_OUTCOME_OK)
			dm_error("%s: %s", c->name, res->detail ? res->detail : "failed");
		else if (res && u->verbosity > 0)
			dm_info("%s: rendered (%.1fs)", c->name, res->seconds);
		return;
	}
	if (u->ndjson)
		print_event(u, c, res);
	if (!res)
		say(u, "%s: %s ...", c->name, u->action == DM_ACTION_INSTALL ? "installing" : "uninstalling");
	else if (res->outcome == DM_OUTCOME_OK)
		say(u, "%s: %s in %.1f s", c->name, outcome_word(u->action, res->outcome), res->seconds);
	else if (res->outcome == DM_OUTCOME_SKIPPED)
		dm_warn("%s: %s", c->name, one_line(why, sizeof(why), res->detail ? res->detail : "skipped"));
	else
		dm_error("%s: %s after %.1f s: %s", c->name, outcome_word(u->action, res->outcome), res->seconds,
			 one_line(why, sizeof(why), res->detail ? res->detail : "failed"));
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
	static const char *const names[] = { "plan", "install", "uninstall", "status", "images" };
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

/* Finds helm or kubectl: the flag's value, else the variable's, else PATH.
 * A plan or a dry run that cannot find it shows what the user named, else its name. */
static dm_err find_program(char **out, const char *flag, const char *name, const char *var, const char *upper,
			   int needed)
{
	const char *val = getenv(var);
	char hint[256];
	dm_err e;

	/* the hint names the variable already: pass it only when set, for what it holds */
	snprintf(hint, sizeof(hint), TOOLS_HINT, name, upper);
	if ((e = dm_proc_find_given(out, flag, name, val && *val ? var : NULL, hint)) == DM_OK || needed)
		return e;
	dm_err_clear();
	*out = strdup(flag ? flag : val && *val ? val : name);
	return *out ? DM_OK : dm_nomem();
}

/* plan --json: what the text plan shows of a component */
static void plan_json(json_t *o, const dm_component *c)
{
	static const char *const layer_names[] = { "config", "override", "flavour" };
	json_t *files = json_object(), *needs = json_array(), *values = json_array(), *set = json_array();
	json_t *secrets = json_array(), *gpu = json_array(), *kustomize = json_array(), *manifests = json_array();

	for (int i = 0; i < 3; i++)
		json_object_set_new(files, layer_names[i], c->files[i] ? json_string(c->files[i]) : json_null());
	for (size_t i = 0; i < c->n_needs; i++)
		json_array_append_new(needs, json_string(c->needs[i]));
	for (size_t i = 0; i < c->n_values; i++)
		json_array_append_new(values, json_string(c->values[i]));
	for (size_t i = 0; i < c->n_set; i++)
		json_array_append_new(set, json_pack("{s:s, s:s, s:b}", "key", c->set[i].key, "value",
						     c->set[i].secret ? "<secret>" : c->set[i].value, "secret",
						     c->set[i].secret));
	for (size_t i = 0; i < c->n_secrets; i++) {
		json_t *keys = json_array();

		for (size_t k = 0; k < c->secrets[i].n_keys; k++)
			json_array_append_new(keys, json_string(c->secrets[i].keys[k]));
		json_array_append_new(secrets, json_pack("{s:s, s:o, s:i}", "name", c->secrets[i].name, "keys", keys,
							 "length", c->secrets[i].length));
	}
	for (size_t i = 0; i < c->n_gpu; i++)
		json_array_append_new(gpu, json_pack("{s:s?, s:s?}", "image", c->gpu[i].image, "profile",
						     c->gpu[i].profile));
	for (size_t i = 0; i < c->n_kustomize; i++)
		json_array_append_new(kustomize, json_string(c->kustomize[i]));
	for (size_t i = 0; i < c->n_manifests; i++)
		json_array_append_new(manifests, json_string(c->manifests[i]));
	json_object_set_new(o, "description", json_string(c->description ? c->description : ""));
	json_object_set_new(o, "needs", needs);
	json_object_set_new(o, "version", c->version ? json_string(c->version) : json_null());
	json_object_set_new(o, "chart",
			    c->kind != DM_COMPONENT_HELM
				    ? json_null()
				    : json_pack("{s:s?, s:s?, s:s?, s:s?}", "repo", c->chart_repo, "name",
						c->chart_name, "oci", c->chart_oci, "path", c->chart_path));
	json_object_set_new(o, "files", files);
	json_object_set_new(o, "values", values);
	json_object_set_new(o, "set", set);
	json_object_set_new(o, "kustomize", kustomize);
	json_object_set_new(o, "manifests", manifests);
	json_object_set_new(o, "secrets", secrets);
	json_object_set_new(o, "requires_gpu", json_boolean(c->requires_gpu));
	json_object_set_new(o, "gpu", gpu);
	json_object_set_new(o, "wait", json_boolean(c->wait));
	json_object_set_new(o, "timeout_seconds", json_real((double)c->timeout_ms / 1000.0));
}

/* The --json document of plan, install, uninstall and status; returns the exit code. */
static int print_json(const dm_platform *p, const ui *u, const dm_run_result *r, size_t n, int code)
{
	const dm_project *pj = dm_flavour_project(dm_platform_flavour(p));
	json_t *root = json_object(), *list = json_array();
	static const char *const names[] = { "plan", "install", "uninstall", "status", "images" };
	dm_action action = u->action;

	json_object_set_new(root, "action", json_string(names[action]));
	json_object_set_new(root, "flavour", json_string(pj->file));
	if (action == DM_ACTION_PLAN) {
		json_object_set_new(root, "namespace", json_string(pj->k8s_namespace));
		json_object_set_new(root, "root", json_string(pj->root));
		json_object_set_new(root, "config_folder", json_string(pj->config_folder));
	}
	if (u->dry_run)
		json_object_set_new(root, "dry_run", json_true());
	for (size_t i = 0; i < n; i++) {
		const dm_component *c = r[i].component;
		json_t *o = json_object(), *cmds = u->commands ? json_object_get(u->commands, c->name) : NULL;

		json_object_set_new(o, "component", json_string(c->name));
		json_object_set_new(o, "kind", json_string(c->kind == DM_COMPONENT_HELM ? "helm" : "manifest"));
		if (c->release)
			json_object_set_new(o, "release", json_string(c->release));
		json_object_set_new(o, "namespace", json_string(c->ns));
		if (action == DM_ACTION_PLAN)
			plan_json(o, c);
		else
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
		} else if (action != DM_ACTION_PLAN) {
			json_object_set_new(o, "seconds", json_real(r[i].seconds));
		}
		if (action == DM_ACTION_PLAN || u->dry_run)
			json_object_set_new(o, "commands", cmds ? json_incref(cmds) : json_array());
		json_array_append_new(list, o);
	}
	json_object_set_new(root, "components", list);
	if (u->commands && json_object_get(u->commands, ""))
		json_object_set(root, "commands", json_object_get(u->commands, ""));
	return dm_cli_json_print(root, code);
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

/* The summary line of install and uninstall, always (but with -q):
 * "install: 2 installed, 1 failed, 1 skipped: c (failed), d (skipped)". */
static void print_summary(dm_action action, const dm_run_result *res, size_t n, int verbosity)
{
	size_t ok = 0, failed = 0, skipped = 0;
	dm_buf which = DM_BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		ok += res[i].outcome == DM_OUTCOME_OK;
		failed += res[i].outcome == DM_OUTCOME_FAILED;
		skipped += res[i].outcome == DM_OUTCOME_SKIPPED;
		if (res[i].outcome == DM_OUTCOME_FAILED || res[i].outcome == DM_OUTCOME_SKIPPED)
			dm_buf_printf(&which, "%s%s (%s)", which.len ? ", " : "", res[i].component->name,
				      outcome_word(action, res[i].outcome));
	}
	if (verbosity >= 0 && (failed || skipped))
		fprintf(stderr, "dm-helm: %s: %zu %s, %zu failed, %zu skipped: %s\n",
			action == DM_ACTION_INSTALL ? "install" : "uninstall", ok, outcome_word(action, DM_OUTCOME_OK),
			failed, skipped, dm_buf_str(&which));
	else if (verbosity >= 0)
		fprintf(stderr, "dm-helm: %s: %zu %s\n", action == DM_ACTION_INSTALL ? "install" : "uninstall", ok,
			outcome_word(action, DM_OUTCOME_OK));
	dm_buf_release(&which);
}

/* ---- the command line ----------------------------------------------------------------------- */

/* A number from lo to hi in v, else the usage error "FLAG must be a number from lo to hi, not 'v'". */
static int parse_number(long *out, const char *v, long lo, long hi, const char *flag)
{
	char *end;

	*out = strtol(v, &end, 10);
	if (*end || end == v || *out < lo || *out > hi)
		return dm_cli_usage_error("%s must be a number from %ld to %ld, not '%s'", flag, lo, hi, v);
	return DM_CLI_GO_ON;
}

/* The options; DM_CLI_GO_ON, or the exit code (--help, --version, misuse). */
static int parse_options(options *o, dm_cli_parser *args)
{
	int opt, code = DM_CLI_GO_ON;

	while (code == DM_CLI_GO_ON && (opt = dm_cli_next(args)) > 0) {
		const char *v = args->value;

		switch (opt) {
		case 'f': o->flavour = v; break;
		case OPT_ROOT: o->root = v; break;
		case OPT_COMPONENT: o->only[o->n_only++] = v; break;
		case 'j': code = parse_number(&o->jobs, v, 1, 64, "--jobs"); break;
		case OPT_CRASH_RESTARTS: code = parse_number(&o->crash_restarts, v, 0, 1000, "--crash-restarts"); break;
		case OPT_DRY: o->dry_run = 1; break;
		case OPT_TIMEOUT:
			if (dm_parse_duration_ms(v, &o->timeout_ms) || o->timeout_ms == 0)
				code = dm_cli_usage_error(
					"--timeout must be a duration like 90s, 10m or 1h30m, not '%s'", v);
			break;
		case OPT_JSON: o->json = 1; break;
		case OPT_NDJSON: o->json = o->ndjson = 1; break;
		case OPT_KUBECONFIG: o->kubeconfig = v; break;
		case OPT_CONTEXT: o->context = v; break;
		case OPT_WITH_NEEDS: o->with_needs = 1; break;
		case OPT_DELETE_NS: o->delete_ns = 1; break;
		case OPT_SKIP_GPU_CHECK: o->skip_gpu_check = 1; break;
		case OPT_HELM: o->helm = v; break;
		case OPT_KUBECTL: o->kubectl = v; break;
		case 'v': o->verbosity = o->verbosity < 0 ? 1 : o->verbosity + 1; break;
		case 'q': o->verbosity = -1; break;
		case 'h': return dm_cli_help(help_head, option_table, help_tail);
		case 'V': return dm_cli_version();
		}
	}
	return code != DM_CLI_GO_ON ? code : opt == DM_CLI_BAD ? DM_EXIT_USAGE : DM_CLI_GO_ON;
}

/* The command word and the components named after it. */
static int parse_words(options *o, const dm_cli_parser *args)
{
	static const char *const actions[] = { "plan", "install", "uninstall", "status", "images" };
	size_t i;

	if (args->noperands == 0)
		return dm_cli_usage_error("name a command: plan, install, uninstall, status or images");
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]) && strcmp(args->operands[0], actions[i]); i++)
		;
	if (i == sizeof(actions) / sizeof(actions[0]))
		return dm_cli_usage_error("unknown command '%s' (plan, install, uninstall, status or images)",
					  args->operands[0]);
	o->action = (dm_action)i;
	dm_cli_json_command(actions[i]);
	for (int k = 1; k < args->noperands; k++)
		o->only[o->n_only++] = args->operands[k];
	return DM_CLI_GO_ON;
}

/* Fills o; DM_CLI_GO_ON, or the exit code.  o->only is the caller's to free, whatever is returned. */
static int parse_args(options *o, int argc, char **argv)
{
	dm_cli_parser args;
	int code;

	memset(o, 0, sizeof(*o));
	o->crash_restarts = DM_RUN_CRASH_RESTARTS;
	if (!(o->only = calloc((size_t)argc + 1, sizeof(*o->only))))
		return dm_cli_fail(dm_nomem());
	dm_cli_parser_init(&args, option_table, argc, argv);
	if ((code = parse_options(o, &args)) != DM_CLI_GO_ON)
		return code;
	dm_cli_set_verbosity(o->verbosity);
	if ((code = parse_words(o, &args)) != DM_CLI_GO_ON)
		return code;
	if (o->delete_ns && o->action != DM_ACTION_UNINSTALL)
		return dm_cli_usage_error("--delete-namespace goes with uninstall only");
	if (o->skip_gpu_check && o->action != DM_ACTION_INSTALL)
		return dm_cli_usage_error("--skip-gpu-check goes with install only");
	if (o->dry_run && o->action == DM_ACTION_IMAGES)
		return dm_cli_usage_error("images runs nothing on the cluster; it takes no --dry-run");
	if (o->ndjson && o->action != DM_ACTION_INSTALL && o->action != DM_ACTION_UNINSTALL)
		return dm_cli_usage_error("--ndjson goes with install and uninstall (status and images: --json)");
	return DM_CLI_GO_ON;
}

/* ---- the run ----------------------------------------------------------------------------------- */

static dm_err load(run *r, const options *o)
{
	dm_platform_opts po = DM_PLATFORM_OPTS_INIT;
	dm_err e;

	if ((e = dm_flavour_choose(&r->f, o->root, o->flavour, NULL)))
		return e;
	po.with_needs = o->with_needs;
	po.only = o->n_only ? o->only : NULL;
	return dm_platform_load(&r->p, r->f, &po);
}

/* helm and kubectl: required where they will run, shown by name where they will not. */
static dm_err find_programs(run *r, const options *o)
{
	int want_helm, want_kubectl, needed = o->action != DM_ACTION_PLAN && !o->dry_run;
	dm_err e;

	dm_platform_programs(r->p, o->delete_ns, &want_helm, &want_kubectl);
	if (want_helm && (e = find_program(&r->helm, o->helm, "helm", "DM_HELM", "HELM", needed)))
		return e;
	/* images: only kustomizations need kubectl, and they fail alone without it */
	if (want_kubectl && (e = find_program(&r->kubectl, o->kubectl, "kubectl", "DM_KUBECTL", "KUBECTL",
					      needed && o->action != DM_ACTION_IMAGES)))
		return e;
	return DM_OK;
}

static dm_err run_action(run *r, const options *o)
{
	ui *u = &r->u;
	dm_run_opts ro = DM_RUN_OPTS_INIT;
	dm_k8s_opts ko = DM_K8S_OPTS_INIT;
	dm_err e;

	ko.kubeconfig = o->kubeconfig;
	ko.context = o->context;
	if ((e = dm_cli_k8s_choose(&ko, &r->cur)))
		return e;
	ro.helm = r->helm;
	ro.kubectl = r->kubectl;
	ro.kubeconfig = ko.kubeconfig;
	ro.context = ko.context;
	ro.timeout_ms = o->timeout_ms;
	/* status queries are independent: several at once unless -j says */
	ro.jobs = o->jobs ? (int)o->jobs : o->action == DM_ACTION_STATUS ? STATUS_JOBS : 1;
	/* plans and dry runs print in a fixed order */
	if (o->action == DM_ACTION_PLAN || o->dry_run)
		ro.jobs = 1;
	ro.dry_run = o->dry_run;
	ro.delete_namespace = o->delete_ns;
	ro.crash_restarts = o->crash_restarts ? (int)o->crash_restarts : -1;
	ro.gpu_images = r->gpu_images;
	ro.gpu_node_check = "dm-gpu check --image";
	ro.skip_gpu_check = o->skip_gpu_check;
	ro.on_command = on_command;
	ro.on_component = on_component;
	ro.ud = u;
	u->action = o->action;
	u->dry_run = o->dry_run;
	u->json = o->json;
	u->ndjson = o->ndjson;
	u->verbosity = o->verbosity;
	if (o->json && (o->action == DM_ACTION_PLAN || o->dry_run) && !(u->commands = json_object()))
		return dm_nomem();
	if (o->action == DM_ACTION_PLAN && !o->json) {
		const dm_project *pj = dm_flavour_project(r->f);

		printf("flavour %s (namespace %s, root %s)\n", pj->file, pj->k8s_namespace, pj->root);
		printf("config folder %s\n", pj->config_folder);
	}
	return dm_platform_run(r->p, o->action, &ro, &r->res);
}

/* images: the list on stdout (or a JSON list), what is missing from it on stderr; the exit code. */
static int report_images(const run *r, const options *o, dm_err e)
{
	size_t n = dm_platform_count(r->p), failed = 0;
	dm_buf which = DM_BUF_INIT;
	char **images = NULL;
	int code = dm_cli_exit_code(e);
	dm_err me;

	if ((me = dm_run_results_images(&images, r->res, n)))
		return dm_cli_fail(me);
	if (!o->json) {
		for (size_t i = 0; images[i]; i++)
			printf("%s\n", images[i]);
	}
	for (size_t i = 0; i < n; i++) {
		if (r->res[i].outcome != DM_OUTCOME_OK)
			dm_buf_printf(&which, "%s%s", failed++ ? ", " : "", r->res[i].component->name);
	}
	if (failed) {
		char line[1024];

		snprintf(line, sizeof(line),
			 "images: the list is partial: %zu of %zu components could not be rendered (%s)", failed, n,
			 dm_buf_str(&which));
		dm_warn("%s", line);
		dm_cli_json_note_error(line, "partial");
	}
	if (o->json) {
		json_t *list = json_array();

		for (size_t i = 0; images[i]; i++)
			json_array_append_new(list, json_string(images[i]));
		code = dm_cli_json_print(json_pack("{s:o}", "images", list), code);
	}
	dm_buf_release(&which);
	dm_strv_free(images);
	if (e == DM_ERR_PARTIAL)
		dm_err_clear();
	return code;
}

/* --json (and --ndjson's last line): the error first, since the document carries it; the
 * summary and the lines of what failed on stderr as without --json; the exit code. */
static int report_json(const run *r, const options *o, dm_err e)
{
	size_t n = dm_platform_count(r->p);
	const dm_run_result *first = NULL;
	char why[2048], line[2600];
	int code = e && e != DM_ERR_PARTIAL ? dm_cli_fail(e) : dm_cli_exit_code(e);

	if (!o->dry_run && (e == DM_OK || e == DM_ERR_PARTIAL) &&
	    (o->action == DM_ACTION_INSTALL || o->action == DM_ACTION_UNINSTALL))
		print_summary(o->action, r->res, n, o->verbosity);
	if (e != DM_ERR_PARTIAL)
		return print_json(r->p, &r->u, r->res, n, code);
	/* the envelope's error: the line of the first failed (else skipped, not deployed) component */
	for (size_t i = 0; i < n; i++) {
		const dm_run_result *x = &r->res[i];

		if (x->outcome == DM_OUTCOME_OK)
			continue;
		if (o->action == DM_ACTION_STATUS) /* no table: each one said */
			dm_warn("%s: %s", x->component->name,
				one_line(why, sizeof(why),
					 x->detail   ? x->detail
					 : x->status ? x->status
						     : "no status"));
		if (!first || (first->outcome != DM_OUTCOME_FAILED && x->outcome == DM_OUTCOME_FAILED))
			first = x;
	}
	one_line(why, sizeof(why), first->detail ? first->detail : first->status ? first->status : "");
	if (first->outcome == DM_OUTCOME_FAILED && o->action != DM_ACTION_STATUS)
		snprintf(line, sizeof(line), "%s: %s after %.1f s: %s", first->component->name,
			 outcome_word(o->action, first->outcome), first->seconds, *why ? why : "failed");
	else
		snprintf(line, sizeof(line), "%s: %s", first->component->name,
			 *why ? why : outcome_word(o->action, first->outcome));
	dm_err_clear();
	dm_cli_json_note_error(line, "partial");
	return print_json(r->p, &r->u, r->res, n, code);
}

/* What the run did, on stdout and stderr; the exit code. */
static int report(const run *r, const options *o, dm_err e)
{
	size_t n = dm_platform_count(r->p);

	if (o->action == DM_ACTION_IMAGES && r->res && (e == DM_OK || e == DM_ERR_PARTIAL))
		return report_images(r, o, e);
	if (e == DM_ERR_INTERRUPTED && r->res && !o->json) {
		print_interrupted(o->action, r->res, n);
		return DM_EXIT_INTERRUPTED;
	}
	if (r->res && o->json)
		return report_json(r, o, e);
	if (r->res && o->action == DM_ACTION_STATUS && !o->dry_run)
		print_status_table(r->res, n);
	/* no summary when the run could not start (kubeconfig, helm): the error alone says it */
	if (r->res && !o->dry_run && (e == DM_OK || e == DM_ERR_PARTIAL) &&
	    (o->action == DM_ACTION_INSTALL || o->action == DM_ACTION_UNINSTALL))
		print_summary(o->action, r->res, n, o->verbosity);
	/* the table's row says "not installed", "failed" ...; a query that failed (the cluster
	 * unreachable, helm's error) has no status to show: one line says why */
	if (e == DM_ERR_PARTIAL && o->action == DM_ACTION_STATUS && !o->json) {
		for (size_t i = 0; i < n; i++) {
			const dm_run_result *x = &r->res[i];
			char why[2048];

			if (x->outcome != DM_OUTCOME_OK && (!x->status || !strcmp(x->status, "unknown")))
				dm_warn("%s: %s", x->component->name,
					one_line(why, sizeof(why), x->detail ? x->detail : "no status"));
		}
	}
	if (e && e != DM_ERR_PARTIAL)
		return dm_cli_fail(e);
	if (e == DM_ERR_PARTIAL && o->action == DM_ACTION_STATUS)
		dm_err_clear();
	return dm_cli_exit_code(e);
}

static void run_release(run *r)
{
	if (r->p)
		dm_run_results_free(r->res, dm_platform_count(r->p));
	dm_platform_free(r->p);
	dm_flavour_free(r->f);
	free(r->helm);
	free(r->kubectl);
	dm_k8s_current_release(&r->cur);
	dm_gpu_images_free(r->gpu_images);
	json_decref(r->u.commands);
}

int main(int argc, char **argv)
{
	options o;
	run r = { .f = NULL };
	dm_err e;
	int code;

	dm_cli_init("dm-helm");
	if (dm_cli_argv_has(argc, argv, "--json") || dm_cli_argv_has(argc, argv, "--ndjson"))
		dm_cli_json_set(dm_cli_argv_has(argc, argv, "--ndjson") ? DM_CLI_JSON_LINES : DM_CLI_JSON_DOC);
	if ((code = parse_args(&o, argc, argv)) != DM_CLI_GO_ON) {
		free(o.only);
		return dm_cli_finish(code);
	}
	dm_cli_no_core();
	/* from here on an interrupt stops what runs and is reported */
	dm_cli_on_interrupt(on_signal);
	if ((e = load(&r, &o)) || (e = find_programs(&r, &o)) ||
	    (e = dm_gpu_images_load_string(&r.gpu_images, "k8s/gpu-images.yaml (built in)",
					   (const char *)dm_gpu_images_yaml, dm_gpu_images_yaml_len)))
		code = dm_cli_fail(e);
	else
		code = report(&r, &o, run_action(&r, &o));
	run_release(&r);
	free(o.only);
	return dm_cli_finish(code);
}
