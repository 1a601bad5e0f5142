/* libdm/target/cluster.c - preflight, start, stop, delete and status of the
 * cluster a target describes.
 *
 * minikube: `minikube status -p P -o json` answers with an exit code that is
 * a bitmask (1 host, 2 cluster, 4 kubernetes/kubeconfig not OK) and exit 85
 * for a profile that does not exist; only a non-zero answer leads to
 * `minikube start`.  microk8s: `microk8s status --format yaml`, which prints
 * "microk8s is not running, try microk8s start" and exits 0 when stopped;
 * addon names differ by release and are taken from that status.  Every
 * cluster is then checked through the API (dm/k8s.h): /readyz, /version,
 * nodes, the namespace.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <dm/k8s.h>
#include <dm/log.h>
#include <dm/proc.h>
#include <dm/target.h>
#include <dm/util.h>
#include <dm/yaml.h>

#define DEFAULT_TIMEOUT_MS (10ULL * 60 * 1000)
#define MINIKUBE_NOT_FOUND_EXIT 85 /* ExGuestNotFound: no such profile */

static uint64_t op_timeout(const dm_cluster_opts *o)
{
	return o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
}

/* A status query waits at most a minute, and never longer than the operation. */
static uint64_t status_timeout(const dm_cluster_opts *o)
{
	return op_timeout(o) < 60000 ? op_timeout(o) : 60000;
}

static void fmt_duration(char *out, size_t n, uint64_t ms)
{
	if (ms % 1000)
		snprintf(out, n, "%.1fs", ms / 1000.0);
	else if (ms >= 60000 && ms % 60000 == 0)
		snprintf(out, n, "%llum", (unsigned long long)(ms / 60000));
	else
		snprintf(out, n, "%llus", (unsigned long long)(ms / 1000));
}

/* Hands argv to on_command when it changes something (report) or with
 * dry_run; else it shows at debug level. */
static void announce(const dm_cluster_opts *o, const char *const *argv, int report)
{
	dm_buf line = DM_BUF_INIT;

	if ((report || o->dry_run) && o->on_command)
		o->on_command(o->ud, argv);
	else if (dm_proc_format_argv(&line, argv) == DM_OK)
		dm_debug("running: %s", dm_buf_str(&line));
	dm_buf_release(&line);
}

/* Runs argv with the operation's timeout.  report: hand it to on_command
 * first (commands that change something).  With dry_run nothing runs: every
 * command is reported and DM_OK returned with an empty result. */
static dm_err run_cmd(const dm_cluster_opts *o, const char *const *argv, int report, uint64_t timeout_ms,
		      dm_proc_result *res)
{
	dm_proc_opts po = DM_PROC_OPTS_INIT;
	dm_proc_result init = DM_PROC_RESULT_INIT;
	dm_buf line = DM_BUF_INIT;
	dm_err e;

	*res = init;
	announce(o, argv, report);
	if (o->dry_run)
		return DM_OK;
	po.argv = argv;
	po.timeout_ms = timeout_ms;
	e = dm_proc_run(&po, res);
	if (e == DM_ERR_TIMEOUT) {
		char d[32];

		fmt_duration(d, sizeof(d), timeout_ms);
		e = dm_proc_format_argv(&line, argv) != DM_OK
			    ? dm_nomem()
			    : dm_fail_hint(DM_ERR_TIMEOUT, DM_HINT_TIMEOUT, 0,
					   "'%s' did not finish within %s and was stopped", dm_buf_str(&line), d);
	}
	dm_buf_release(&line);
	return e;
}

/* ---- preflight -------------------------------------------------------------------------- */

void dm_preflight_release(dm_preflight *p)
{
	if (!p)
		return;
	free(p->tool);
	p->tool = NULL;
}

static uint64_t host_memory_mib(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || psize <= 0)
		return 0;
	return (uint64_t)pages * (uint64_t)psize / (1024 * 1024);
}

static void first_line(char *out, size_t n, const char *s)
{
	size_t l = strcspn(s, "\r\n");

	if (l >= n)
		l = n - 1;
	memcpy(out, s, l);
	out[l] = '\0';
}

dm_err dm_cluster_preflight(const dm_target *t, const dm_cluster_opts *o, dm_preflight *out)
{
	dm_proc_result r = DM_PROC_RESULT_INIT;
	dm_err e = DM_OK;
	char line[256];

	out->tool = NULL;
	out->host_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	out->host_memory_mib = host_memory_mib();
	if (t->provider == DM_PROVIDER_REMOTE)
		return DM_OK;

	if (t->provider == DM_PROVIDER_MINIKUBE) {
		const char *argv[] = { o->minikube, "version", "--short", NULL };

		if (!o->minikube)
			return dm_fail(DM_ERR_NOTFOUND, "'minikube' not found");
		e = o->dry_run ? DM_OK : run_cmd(o, argv, 0, 60000, &r);
		if (e == DM_OK && !o->dry_run) {
			first_line(line, sizeof(line), dm_buf_str(&r.out));
			if (asprintf(&out->tool, "minikube %s", line) < 0)
				e = dm_nomem();
		}
	} else {
		const char *argv[] = { o->microk8s, "version", NULL };

		if (!o->microk8s)
			return dm_fail(DM_ERR_NOTFOUND, "'microk8s' not found");
		e = o->dry_run ? DM_OK : run_cmd(o, argv, 0, 60000, &r);
		if (e == DM_OK && !o->dry_run) {
			first_line(line, sizeof(line), dm_buf_str(&r.out));
			if (!(out->tool = strdup(line)))
				e = dm_nomem();
		}
	}
	dm_proc_result_release(&r);
	if (e != DM_OK)
		return e;

	if (t->cpus > 0 && out->host_cpus > 0 && t->cpus > out->host_cpus)
		return dm_fail(DM_ERR_UNSUPPORTED, "%s asks for %d CPUs but this machine has %d (lower 'cpus')",
			       t->source, t->cpus, out->host_cpus);
	if (t->memory_mib > 0 && out->host_memory_mib > 0 && t->memory_mib > out->host_memory_mib)
		return dm_fail(DM_ERR_UNSUPPORTED,
			       "%s asks for %llu MiB of memory but this machine has %llu MiB (lower 'memory')",
			       t->source, (unsigned long long)t->memory_mib, (unsigned long long)out->host_memory_mib);
	return DM_OK;
}

/* ---- status records --------------------------------------------------------------------- */

void dm_cluster_status_release(dm_cluster_status *s)
{
	if (!s)
		return;
	free(s->state);
	free(s->kubeconfig);
	free(s->context);
	free(s->server);
	free(s->server_version);
	dm_strv_free(s->addons_enabled);
	free(s->problem);
	for (size_t i = 0; i < s->n_nodes; i++) {
		free(s->nodes[i].name);
		free(s->nodes[i].cpu);
		free(s->nodes[i].memory);
	}
	free(s->nodes);
	s->nodes = NULL;
	s->n_nodes = 0;
	s->state = s->kubeconfig = s->context = s->server = s->server_version = s->problem = NULL;
	s->addons_enabled = NULL;
}

static void set_problem(dm_cluster_status *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_problem(dm_cluster_status *st, const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;

	if (st->problem)
		return;
	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		p = NULL;
	va_end(ap);
	st->problem = p;
}

/* ---- minikube --------------------------------------------------------------------------- */

typedef struct {
	int exists; /* the profile exists */
	int code;   /* the status exit code (bitmask) */
	char host[32], kubelet[32], apiserver[32], kubeconfig[32];
} mk_status;

static void copy_field(char *dst, size_t n, json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));

	snprintf(dst, n, "%s", v ? v : "");
}

static dm_err minikube_status(const dm_target *t, const dm_cluster_opts *o, uint64_t timeout_ms, mk_status *ms)
{
	const char *argv[] = { o->minikube, "status", "-p", t->profile, "-o", "json", NULL };
	dm_proc_result r;
	json_t *root = NULL, *obj;
	dm_err e;

	memset(ms, 0, sizeof(*ms));
	e = run_cmd(o, argv, 0, timeout_ms, &r);
	if (o->dry_run) {
		ms->code = 7;
		goto done;
	}
	if (e != DM_OK && e != DM_ERR_PROC)
		goto done;
	if (!r.exited) {
		e = dm_fail(DM_ERR_PROC, "'minikube status' was killed by signal %d", r.status);
		goto done;
	}
	ms->code = r.status;
	if (r.status == MINIKUBE_NOT_FOUND_EXIT) {
		ms->exists = 0;
		snprintf(ms->host, sizeof(ms->host), "not found");
		e = DM_OK;
		goto done;
	}
	if (r.status > 7) {
		char l[300];

		first_line(l, sizeof(l), r.err.len ? dm_buf_str(&r.err) : dm_buf_str(&r.out));
		e = dm_fail(DM_ERR_PROC, "'minikube status -p %s' failed with exit code %d: %s", t->profile, r.status,
			    l);
		goto done;
	}
	e = DM_OK;
	ms->exists = 1;
	root = json_loadb(r.out.data ? r.out.data : "", r.out.len, 0, NULL);
	obj = json_is_array(root) ? json_array_get(root, 0) : root;
	if (!json_is_object(obj)) {
		/* the exit code alone still tells what is not running */
		snprintf(ms->host, sizeof(ms->host), "%s", (r.status & 1) ? "Stopped" : "Running");
		goto done;
	}
	copy_field(ms->host, sizeof(ms->host), obj, "Host");
	copy_field(ms->kubelet, sizeof(ms->kubelet), obj, "Kubelet");
	copy_field(ms->apiserver, sizeof(ms->apiserver), obj, "APIServer");
	copy_field(ms->kubeconfig, sizeof(ms->kubeconfig), obj, "Kubeconfig");
	if (!strcmp(ms->host, "Nonexistent"))
		ms->exists = 0;
done:
	json_decref(root);
	dm_proc_result_release(&r);
	return e;
}

/* addon name -> "enabled"/"disabled" from `minikube addons list -o json`. */
static dm_err minikube_addons(const dm_target *t, const dm_cluster_opts *o, json_t **out)
{
	const char *argv[] = { o->minikube, "addons", "list", "-p", t->profile, "-o", "json", NULL };
	dm_proc_result r;
	json_error_t jerr;
	dm_err e;

	*out = NULL;
	e = run_cmd(o, argv, 0, op_timeout(o), &r);
	if (e == DM_OK && !o->dry_run) {
		*out = json_loadb(r.out.data ? r.out.data : "", r.out.len, 0, &jerr);
		if (!json_is_object(*out)) {
			json_decref(*out);
			*out = NULL;
			e = dm_fail(DM_ERR_PARSE, "'minikube addons list -o json' did not print a JSON object: %s",
				    jerr.text);
		}
	}
	dm_proc_result_release(&r);
	return e;
}

static int minikube_addon_enabled(json_t *list, const char *name)
{
	const char *s = json_string_value(json_object_get(json_object_get(list, name), "Status"));

	return s && !strcmp(s, "enabled");
}

/* ---- microk8s --------------------------------------------------------------------------- */

typedef struct {
	int running;
	char **names; /* every addon the release knows, NULL-terminated */
	int *enabled;
	size_t n;
} uk_status;

static void uk_status_release(uk_status *u)
{
	dm_strv_free(u->names);
	free(u->enabled);
	memset(u, 0, sizeof(*u));
}

static int yaml_true(const char *s)
{
	return s && (!strcasecmp(s, "true") || !strcasecmp(s, "yes"));
}

static dm_err microk8s_parse_status(const char *text, size_t len, uk_status *u)
{
	dm_yaml *doc = NULL;
	const dm_ynode *root, *mk, *addons;
	dm_err e;

	memset(u, 0, sizeof(*u));
	/* a stopped microk8s says so in plain words (and exits 0) */
	if (strstr(text, "microk8s is not running") && strncmp(text, "microk8s:", 9) != 0)
		return DM_OK;
	e = dm_yaml_load_string(&doc, "microk8s status", text, len);
	if (e != DM_OK)
		return dm_fail(DM_ERR_PARSE, "cannot read the output of 'microk8s status --format yaml': %s",
			       dm_err_detail());
	root = dm_yaml_root(doc);
	mk = dm_yaml_get(root, "microk8s");
	if (!mk || mk->kind != DM_YAML_MAP) {
		e = dm_fail(DM_ERR_PARSE, "'microk8s status --format yaml' printed no 'microk8s:' section");
		goto done;
	}
	{
		const dm_ynode *rn = dm_yaml_get(mk, "running");

		u->running = rn && rn->kind == DM_YAML_SCALAR && yaml_true(rn->scalar);
	}
	addons = dm_yaml_get(root, "addons");
	if (addons && addons->kind == DM_YAML_SEQ) {
		u->names = calloc(addons->len + 1, sizeof(*u->names));
		u->enabled = calloc(addons->len + 1, sizeof(*u->enabled));
		if (!u->names || !u->enabled) {
			e = dm_nomem();
			goto done;
		}
		for (size_t i = 0; i < addons->len; i++) {
			const dm_ynode *a = addons->vals[i], *nn = dm_yaml_get(a, "name"),
				       *sn = dm_yaml_get(a, "status");

			if (!nn || nn->kind != DM_YAML_SCALAR)
				continue;
			if (!(u->names[u->n] = strdup(nn->scalar))) {
				e = dm_nomem();
				goto done;
			}
			u->enabled[u->n] = sn && sn->kind == DM_YAML_SCALAR && !strcmp(sn->scalar, "enabled");
			u->n++;
		}
	} else if (addons && addons->kind == DM_YAML_MAP) {
		/* the short form: `name: enabled` */
		u->names = calloc(addons->len + 1, sizeof(*u->names));
		u->enabled = calloc(addons->len + 1, sizeof(*u->enabled));
		if (!u->names || !u->enabled) {
			e = dm_nomem();
			goto done;
		}
		for (size_t i = 0; i < addons->len; i++) {
			if (!(u->names[u->n] = strdup(addons->keys[i]->scalar))) {
				e = dm_nomem();
				goto done;
			}
			u->enabled[u->n] =
				addons->vals[i]->kind == DM_YAML_SCALAR && !strcmp(addons->vals[i]->scalar, "enabled");
			u->n++;
		}
	}
done:
	dm_yaml_free(doc);
	if (e != DM_OK)
		uk_status_release(u);
	return e;
}

static dm_err microk8s_status(const dm_cluster_opts *o, uint64_t wait_ms, uint64_t timeout_ms, uk_status *u)
{
	char secs[32];
	const char *wait_argv[] = {
		o->microk8s, "status", "--wait-ready", "--timeout", secs, "--format", "yaml", NULL
	};
	const char *argv[] = { o->microk8s, "status", "--format", "yaml", NULL };
	dm_proc_result r;
	dm_err e;

	memset(u, 0, sizeof(*u));
	snprintf(secs, sizeof(secs), "%llu", (unsigned long long)((wait_ms + 999) / 1000));
	e = run_cmd(o, wait_ms ? wait_argv : argv, 0, timeout_ms, &r);
	if (e == DM_OK && !o->dry_run)
		e = microk8s_parse_status(dm_buf_str(&r.out), r.out.len, u);
	dm_proc_result_release(&r);
	return e;
}

/* Addon names that changed between microk8s releases. */
static const char *const uk_aliases[][2] = {
	{ "storage", "hostpath-storage" },
	{ "gpu", "nvidia" },
};

/* The name this release uses for want, or NULL. *enabled tells its state. */
static const char *microk8s_map_addon(const uk_status *u, const char *want, int *enabled)
{
	const char *base = strrchr(want, '/') ? strrchr(want, '/') + 1 : want;

	for (size_t i = 0; i < u->n; i++)
		if (!strcmp(u->names[i], base)) {
			*enabled = u->enabled[i];
			return u->names[i];
		}
	for (size_t a = 0; a < sizeof(uk_aliases) / sizeof(uk_aliases[0]); a++) {
		const char *other = NULL;

		if (!strcmp(base, uk_aliases[a][0]))
			other = uk_aliases[a][1];
		else if (!strcmp(base, uk_aliases[a][1]))
			other = uk_aliases[a][0];
		if (!other)
			continue;
		for (size_t i = 0; i < u->n; i++)
			if (!strcmp(u->names[i], other)) {
				*enabled = u->enabled[i];
				return u->names[i];
			}
	}
	return NULL;
}

static char *joined_names(const uk_status *u)
{
	dm_buf b = DM_BUF_INIT;

	for (size_t i = 0; i < u->n; i++)
		dm_buf_printf(&b, "%s%s", i ? ", " : "", u->names[i]);
	return dm_buf_detach(&b);
}

/* Registers the credentials of a kubeconfig text with the redactor, so that
 * no message can ever show them. */
static void redact_kubeconfig_secrets(const char *text)
{
	static const char *const keys[] = { "token:", "client-key-data:", "password:", "client-certificate-data:" };
	const char *p = text;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[8192];

		if (len < sizeof(line)) {
			const char *s = line;

			memcpy(line, p, len);
			line[len] = '\0';
			while (*s == ' ' || *s == '\t' || *s == '-')
				s++;
			for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
				size_t kl = strlen(keys[k]);

				if (!strncmp(s, keys[k], kl)) {
					const char *v = s + kl;
					char *end;

					while (*v == ' ' || *v == '"' || *v == '\'')
						v++;
					end = line + strlen(line);
					while (end > v &&
					       (end[-1] == ' ' || end[-1] == '"' || end[-1] == '\'' || end[-1] == '\r'))
						*--end = '\0';
					dm_log_add_secret(v);
				}
			}
			dm_wipe(line, sizeof(line));
		}
		p = eol ? eol + 1 : NULL;
	}
}

static dm_err microk8s_write_config(const dm_target *t, const dm_cluster_opts *o, const char *path)
{
	const char *argv[] = { o->microk8s, "config", NULL };
	dm_proc_result r;
	dm_err e;

	e = run_cmd(o, argv, 0, op_timeout(o), &r);
	if (e == DM_OK && !o->dry_run) {
		redact_kubeconfig_secrets(dm_buf_str(&r.out));
		if (r.out.len == 0 || !strstr(dm_buf_str(&r.out), "clusters:"))
			e = dm_fail(DM_ERR_PARSE, "'microk8s config' printed no kubeconfig");
		else
			e = dm_write_file_atomic(path, r.out.data, r.out.len, 0600);
		if (e == DM_OK)
			dm_info("kubeconfig of microk8s written to '%s' (mode 0600)", path);
	}
	(void)t;
	dm_proc_result_release(&r); /* wipes the captured credentials */
	return e;
}

/* ---- the API ---------------------------------------------------------------------------- */

/* The kubeconfig and context through which the provider's cluster is reached. */
static void api_opts(const dm_target *t, const dm_cluster_opts *o, dm_k8s_opts *ko)
{
	dm_k8s_opts init = DM_K8S_OPTS_INIT;

	*ko = init;
	switch (t->provider) {
	case DM_PROVIDER_MINIKUBE:
		ko->context = t->profile; /* minikube names the context after the profile */
		break;
	case DM_PROVIDER_MICROK8S: ko->kubeconfig = o->kubeconfig_out ? o->kubeconfig_out : t->kubeconfig; break;
	case DM_PROVIDER_REMOTE:
		ko->kubeconfig = t->kubeconfig;
		ko->context = t->context;
		break;
	}
}

/* The one kubeconfig file through which the provider's cluster is reached: ko's, else the
 * first of $KUBECONFIG that exists (where minikube writes), else ~/.kube/config.  malloc'd. */
static dm_err api_kubeconfig_file(char **out, const dm_k8s_opts *ko)
{
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");
	char *list, *save = NULL;

	*out = NULL;
	if (ko->kubeconfig)
		return (*out = strdup(ko->kubeconfig)) ? DM_OK : dm_nomem();
	if (env && *env) {
		if (!(list = strdup(env)))
			return dm_nomem();
		for (char *tok = strtok_r(list, ":", &save); tok && !*out; tok = strtok_r(NULL, ":", &save))
			if (access(tok, F_OK) == 0 && !(*out = strdup(tok))) {
				free(list);
				return dm_nomem();
			}
		free(list);
		if (*out)
			return DM_OK;
	}
	if (asprintf(out, "%s/.kube/config", home && *home ? home : ".") < 0) {
		*out = NULL;
		return dm_nomem();
	}
	return DM_OK;
}

/* The cluster that start reached becomes the current target (dm_k8s_choose): its kubeconfig
 * file, the context used in it, and the target's endpoints (the tools read the record, not the
 * target). */
static dm_err record_current(const dm_target *t, const dm_cluster_opts *o)
{
	dm_k8s_config *cfg = NULL;
	dm_k8s_current cur;
	char *file = NULL;
	dm_k8s_opts ko;
	dm_err e;

	api_opts(t, o, &ko);
	if (!(e = api_kubeconfig_file(&file, &ko)) && !(e = dm_k8s_config_load(&cfg, &ko)) &&
	    !(e = dm_k8s_current_save(file, cfg->context, t->source, t->endpoints, t->n_endpoints)) &&
	    !(e = dm_k8s_current_load(&cur))) {
		dm_info("the current target is now %s: kubeconfig '%s', context '%s' (recorded in '%s')", t->source,
			cur.kubeconfig, cfg->context ? cfg->context : "", cur.file);
		for (size_t i = 0; i < cur.n_endpoints; i++)
			dm_info("endpoint of Service %s from outside the cluster: %s", cur.endpoints[i].service,
				cur.endpoints[i].url);
		dm_k8s_current_release(&cur);
	}
	dm_k8s_config_free(cfg);
	free(file);
	return e;
}

/* A deleted cluster is no longer the current target. */
static dm_err forget_current(const dm_target *t, const dm_cluster_opts *o)
{
	dm_k8s_config *cfg = NULL;
	char *file = NULL;
	dm_k8s_opts ko;
	dm_err e;

	api_opts(t, o, &ko);
	if ((e = api_kubeconfig_file(&file, &ko)))
		return e;
	/* the context minikube deleted is gone from the kubeconfig: the one asked for is the one recorded */
	if (!ko.context && dm_k8s_config_load(&cfg, &ko) == DM_OK)
		ko.context = cfg->context;
	e = dm_k8s_current_forget(file, ko.context);
	dm_k8s_config_free(cfg);
	free(file);
	return e;
}

/* The node list: how many, how many Ready, and each one's name, readiness and
 * allocatable CPU and memory (as the API writes the quantities). */
static dm_err list_nodes(dm_k8s *c, dm_cluster_status *st)
{
	char *reply = NULL;
	long status = 0;
	json_t *root = NULL, *items;
	size_t n;
	dm_err e;

	st->nodes_total = st->nodes_ready = -1;
	e = dm_k8s_request(c, "GET", "/api/v1/nodes", NULL, &status, &reply);
	if (e != DM_OK)
		return e;
	if (status != 200) {
		e = dm_k8s_status_fail(c, status, reply, "list", "nodes", NULL, NULL);
		goto done;
	}
	root = json_loads(reply, 0, NULL);
	items = json_object_get(root, "items");
	if (!json_is_array(items)) {
		e = dm_fail(DM_ERR_PARSE, "the node list has no items");
		goto done;
	}
	n = json_array_size(items);
	if (n && !(st->nodes = calloc(n, sizeof(*st->nodes)))) {
		e = dm_nomem();
		goto done;
	}
	st->nodes_total = (int)n;
	st->nodes_ready = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *item = json_array_get(items, i);
		json_t *stat = json_object_get(item, "status");
		json_t *conds = json_object_get(stat, "conditions");
		json_t *alloc = json_object_get(stat, "allocatable");
		const char *name = json_string_value(json_object_get(json_object_get(item, "metadata"), "name"));
		const char *cpu = json_string_value(json_object_get(alloc, "cpu"));
		const char *mem = json_string_value(json_object_get(alloc, "memory"));
		dm_cluster_node *nd = &st->nodes[st->n_nodes++];

		if (!(nd->name = strdup(name ? name : "?")) || (cpu && !(nd->cpu = strdup(cpu))) ||
		    (mem && !(nd->memory = strdup(mem)))) {
			e = dm_nomem();
			goto done;
		}
		for (size_t j = 0; j < json_array_size(conds); j++) {
			json_t *cnd = json_array_get(conds, j);
			const char *type = json_string_value(json_object_get(cnd, "type"));
			const char *cs = json_string_value(json_object_get(cnd, "status"));

			if (type && cs && !strcmp(type, "Ready") && !strcmp(cs, "True"))
				nd->ready = 1;
		}
		st->nodes_ready += nd->ready;
	}
done:
	json_decref(root);
	free(reply);
	return e;
}

/* Fills the API part of st.  wait_ms > 0: keep asking /readyz until it says
 * ok or wait_ms passed.  ensure_ns: create the namespace when missing.
 * Returns the first hard error (for start); status ignores it and reports
 * st->problem instead. */
static dm_err api_check(const dm_target *t, const dm_cluster_opts *o, dm_cluster_status *st, uint64_t wait_ms,
			int ensure_ns)
{
	dm_k8s_opts ko;
	dm_k8s *c = NULL;
	dm_err e;

	api_opts(t, o, &ko);
	free(st->kubeconfig);
	free(st->context);
	st->kubeconfig = strdup(ko.kubeconfig ? ko.kubeconfig : "");
	st->context = dm_strdup_null(ko.context);
	e = dm_k8s_open(&c, &ko);
	if (e != DM_OK) {
		set_problem(st, "cannot use the kubeconfig: %s", dm_err_detail());
		return e;
	}
	free(st->server);
	st->server = dm_strdup_null(dm_k8s_config_of(c)->server);

	e = dm_k8s_readyz(c);
	if (e != DM_OK && wait_ms > 0) {
		double deadline = dm_now() + wait_ms / 1000.0;
		char d[32];

		fmt_duration(d, sizeof(d), wait_ms);
		dm_info("waiting up to %s for the API server at %s to be ready (%s)", d, st->server, dm_err_detail());
		while (e != DM_OK && dm_now() < deadline) {
			sleep(1);
			e = dm_k8s_readyz(c);
		}
		if (e != DM_OK)
			e = dm_fail(DM_ERR_TIMEOUT, "the API server at %s was not ready within %s: %s", st->server, d,
				    dm_err_detail());
	}
	if (e != DM_OK) {
		set_problem(st, "API server not ready: %s", dm_err_detail());
		goto done;
	}
	st->api_reachable = 1;
	if ((e = dm_k8s_server_version(c, &st->server_version)) != DM_OK) {
		set_problem(st, "cannot read the server version: %s", dm_err_detail());
		goto done;
	}
	if (ensure_ns && o->ns) {
		if ((e = dm_k8s_ensure_namespace(c, o->ns)) != DM_OK) {
			set_problem(st, "%s", dm_err_detail());
			goto done;
		}
	}
	if (o->ns) {
		int exists = 0;

		if ((e = dm_k8s_namespace_exists(c, o->ns, &exists)) != DM_OK) {
			set_problem(st, "cannot check namespace '%s': %s", o->ns, dm_err_detail());
			goto done;
		}
		st->namespace_present = exists;
	}
	if ((e = list_nodes(c, st)) != DM_OK) {
		set_problem(st, "cannot list nodes: %s", dm_err_detail());
		goto done;
	}
done:
	dm_k8s_free(c);
	return e;
}

static void judge(dm_cluster_status *st, const char *ns)
{
	if (!st->running)
		set_problem(st, "the cluster is not running (%s)", st->state ? st->state : "unknown");
	if (!st->api_reachable)
		set_problem(st, "the API server is not reachable");
	if (ns && st->namespace_present != 1)
		set_problem(st, "namespace '%s' does not exist (dm-cluster start creates it)", ns);
	if (st->nodes_ready <= 0)
		set_problem(st, "no node is Ready (%d of %d)", st->nodes_ready < 0 ? 0 : st->nodes_ready,
			    st->nodes_total < 0 ? 0 : st->nodes_total);
	st->ready = st->problem == NULL;
}

/* ---- status ----------------------------------------------------------------------------- */

dm_err dm_cluster_status_get(const dm_target *t, const dm_cluster_opts *o, dm_cluster_status *st)
{
	dm_cluster_status init = DM_CLUSTER_STATUS_INIT;
	dm_err e = DM_OK;

	*st = init;
	st->provider = t->provider;
	if (t->provider == DM_PROVIDER_MINIKUBE) {
		mk_status ms;
		json_t *list = NULL;

		e = minikube_status(t, o, op_timeout(o), &ms);
		if (e != DM_OK)
			return e;
		st->running = ms.exists && ms.code == 0;
		if (!ms.exists)
			st->state = strdup("not found");
		else if (ms.code == 0)
			st->state = strdup("Running");
		else if (asprintf(&st->state, "host %s, kubelet %s, apiserver %s, kubeconfig %s",
				  ms.host[0] ? ms.host : "?", ms.kubelet[0] ? ms.kubelet : "?",
				  ms.apiserver[0] ? ms.apiserver : "?", ms.kubeconfig[0] ? ms.kubeconfig : "?") < 0)
			st->state = NULL;
		if (st->running && minikube_addons(t, o, &list) == DM_OK && list) {
			size_t n = 0;
			const char *k;
			json_t *v;

			st->addons_enabled = calloc(json_object_size(list) + 1, sizeof(char *));
			json_object_foreach(list, k, v)
			{
				if (st->addons_enabled && minikube_addon_enabled(list, k))
					st->addons_enabled[n++] = strdup(k);
			}
		}
		json_decref(list);
	} else if (t->provider == DM_PROVIDER_MICROK8S) {
		uk_status u;

		e = microk8s_status(o, 0, op_timeout(o), &u);
		if (e != DM_OK)
			return e;
		st->running = u.running;
		st->state = strdup(u.running ? "running" : "not running");
		if (u.running) {
			size_t n = 0;

			st->addons_enabled = calloc(u.n + 1, sizeof(char *));
			for (size_t i = 0; st->addons_enabled && i < u.n; i++)
				if (u.enabled[i])
					st->addons_enabled[n++] = strdup(u.names[i]);
		}
		uk_status_release(&u);
	}
	if (t->provider == DM_PROVIDER_REMOTE || st->running) {
		api_check(t, o, st, 0, 0);
		if (t->provider == DM_PROVIDER_REMOTE) {
			st->running = st->api_reachable;
			st->state = strdup(st->api_reachable ? "reachable" : "unreachable");
		}
	}
	dm_mirror_status(t, st);
	dm_err_clear();
	judge(st, o->ns);
	return DM_OK;
}

/* ---- start ------------------------------------------------------------------------------ */

/* minikube start -p PROFILE with the target's settings, one flag after another as
 * docs/configuration.md lists the keys. */
static dm_err minikube_start_profile(const dm_target *t, const dm_cluster_opts *o, const mk_status *ms)
{
	dm_proc_result r;
	dm_err e;
	/* 17 at most without mirrors, 4 per mirror */
	const char **argv = calloc(18 + 4 * t->n_registry_mirrors, sizeof(*argv));
	char cpus[32], mem[48], disk[48], d[32], **insecure = NULL;
	size_t n = 0;

	if (!argv || !(insecure = calloc(t->n_registry_mirrors + 1, sizeof(*insecure)))) {
		free(argv);
		return dm_nomem();
	}

	argv[n++] = o->minikube;
	argv[n++] = "start";
	argv[n++] = "-p";
	argv[n++] = t->profile;
	if (t->driver) {
		argv[n++] = "--driver";
		argv[n++] = t->driver;
	}
	if (t->cpus) {
		snprintf(cpus, sizeof(cpus), "%d", t->cpus);
		argv[n++] = "--cpus";
		argv[n++] = cpus;
	}
	/* minikube reads "mb" as MiB (binary units, like docker) */
	if (t->memory_mib) {
		snprintf(mem, sizeof(mem), "%llumb", (unsigned long long)t->memory_mib);
		argv[n++] = "--memory";
		argv[n++] = mem;
	}
	if (t->disk_mib) {
		snprintf(disk, sizeof(disk), "%llumb", (unsigned long long)t->disk_mib);
		argv[n++] = "--disk-size";
		argv[n++] = disk;
	}
	if (t->gpu) {
		argv[n++] = "--gpus";
		argv[n++] = "all";
	}
	if (t->kubernetes_version) {
		argv[n++] = "--kubernetes-version";
		argv[n++] = t->kubernetes_version;
	}
	/* the original's pull-through cache beside the cluster: minikube hands each mirror to
	 * the container runtime in the node; a plain-http one must be allowed as insecure */
	for (size_t i = 0; i < t->n_registry_mirrors; i++) {
		const char *u = t->registry_mirrors[i];

		argv[n++] = "--registry-mirror";
		argv[n++] = u;
		if (!strncmp(u, "http://", 7)) {
			insecure[i] = strndup(u + 7, strcspn(u + 7, "/"));
			if (!insecure[i]) {
				dm_strv_free(insecure);
				free(argv);
				return dm_nomem();
			}
			argv[n++] = "--insecure-registry";
			argv[n++] = insecure[i];
		}
	}
	argv[n] = NULL;
	fmt_duration(d, sizeof(d), op_timeout(o));
	if (!o->dry_run)
		dm_info("starting minikube profile '%s' (%s); waiting up to %s", t->profile,
			ms->exists ? ms->host : "new", d);
	e = run_cmd(o, argv, 1, op_timeout(o), &r);
	dm_proc_result_release(&r);
	dm_strv_free(insecure);
	free(argv);
	return e;
}

/* The target's addons, each enabled unless it is already; one minikube does not know is
 * a configuration error. */
static dm_err minikube_enable_addons(const dm_target *t, const dm_cluster_opts *o)
{
	json_t *list = NULL;
	dm_err e;

	if (!t->n_addons)
		return DM_OK;
	if ((e = minikube_addons(t, o, &list)) != DM_OK)
		return e;
	for (size_t i = 0; i < t->n_addons && e == DM_OK; i++) {
		const char *argv[] = { o->minikube, "addons", "enable", t->addons[i], "-p", t->profile, NULL };
		dm_proc_result r;

		if (!o->dry_run) {
			if (!json_object_get(list, t->addons[i])) {
				e = dm_fail(DM_ERR_CONFIG,
					    "%s: minikube has no addon '%s' (see 'minikube addons list')", t->source,
					    t->addons[i]);
				break;
			}
			if (minikube_addon_enabled(list, t->addons[i])) {
				dm_debug("addon '%s' is already enabled", t->addons[i]);
				continue;
			}
			dm_info("enabling minikube addon '%s'", t->addons[i]);
		}
		e = run_cmd(o, argv, 1, op_timeout(o), &r);
		dm_proc_result_release(&r);
	}
	json_decref(list);
	return e;
}

/* minikube start unless the profile already runs, then the target's addons. */
static dm_err minikube_start(const dm_target *t, const dm_cluster_opts *o)
{
	mk_status ms;
	dm_err e;

	e = minikube_status(t, o, status_timeout(o), &ms);
	if (e != DM_OK)
		return e;
	if (ms.exists && ms.code == 0 && !o->dry_run)
		dm_info("minikube profile '%s' is already running: not starting it", t->profile);
	else if ((e = minikube_start_profile(t, o, &ms)) != DM_OK)
		return e;
	return minikube_enable_addons(t, o);
}

static dm_err microk8s_start(const dm_target *t, const dm_cluster_opts *o, const char *kubeconfig)
{
	uk_status u;
	dm_err e;
	char d[32];
	size_t nwant = t->n_addons + (t->gpu ? 1 : 0);

	fmt_duration(d, sizeof(d), op_timeout(o));
	e = microk8s_status(o, 0, status_timeout(o), &u);
	if (e != DM_OK)
		return e;
	if (u.running && !o->dry_run) {
		dm_info("microk8s is already running: not starting it");
	} else {
		const char *argv[] = { o->microk8s, "start", NULL };
		dm_proc_result r;

		if (!o->dry_run)
			dm_info("starting microk8s; waiting up to %s for it to be ready", d);
		e = run_cmd(o, argv, 1, op_timeout(o), &r);
		dm_proc_result_release(&r);
		if (e != DM_OK)
			goto done;
	}
	/* wait for ready (a no-op when it already is); the status lists the addons */
	uk_status_release(&u);
	e = microk8s_status(o, op_timeout(o), op_timeout(o) + 30000, &u);
	if (e != DM_OK)
		goto done;
	if (!u.running && !o->dry_run) {
		e = dm_fail(DM_ERR_TIMEOUT, "microk8s was not ready within %s (see 'microk8s inspect')", d);
		goto done;
	}
	for (size_t i = 0; i < nwant && e == DM_OK; i++) {
		const char *want = i < t->n_addons ? t->addons[i] : "gpu";
		const char *name = want;
		int enabled = 0;
		dm_proc_result r;

		if (!o->dry_run) {
			name = microk8s_map_addon(&u, want, &enabled);
			if (!name) {
				char *all = joined_names(&u);

				e = dm_fail(DM_ERR_CONFIG, "%s: this microk8s release has no addon '%s' (it has: %s)",
					    t->source, want, all ? all : "");
				free(all);
				break;
			}
			if (enabled) {
				dm_debug("addon '%s' is already enabled", name);
				continue;
			}
			if (strcmp(name, want) != 0)
				dm_info("enabling microk8s addon '%s' (this release's name for '%s')", name, want);
			else
				dm_info("enabling microk8s addon '%s'", name);
		}
		{
			const char *argv[] = { o->microk8s, "enable", name, NULL };

			e = run_cmd(o, argv, 1, op_timeout(o), &r);
			dm_proc_result_release(&r);
		}
	}
	if (e == DM_OK)
		e = microk8s_write_config(t, o, kubeconfig);
done:
	uk_status_release(&u);
	return e;
}

dm_err dm_cluster_start(const dm_target *t, const dm_cluster_opts *o, char **kubeconfig_path)
{
	dm_cluster_status st = DM_CLUSTER_STATUS_INIT;
	const char *kc = o->kubeconfig_out ? o->kubeconfig_out : t->kubeconfig;
	dm_err e = DM_OK;

	if (kubeconfig_path)
		*kubeconfig_path = NULL;
	/* the mirror answers before minikube's node is told to use it */
	if (t->provider == DM_PROVIDER_MINIKUBE && (e = dm_mirror_start(t, o)) == DM_OK)
		e = minikube_start(t, o);
	else if (t->provider == DM_PROVIDER_MICROK8S)
		e = microk8s_start(t, o, kc);
	if (e != DM_OK)
		return e;
	if (o->dry_run) {
		dm_info("would then check the API server and make sure namespace '%s' exists", o->ns ? o->ns : "");
		return DM_OK;
	}
	st.provider = t->provider;
	e = api_check(t, o, &st, t->provider == DM_PROVIDER_REMOTE ? 0 : op_timeout(o), 1);
	if (e == DM_OK)
		dm_info("API server %s is ready (Kubernetes %s)", st.server, st.server_version);
	dm_cluster_status_release(&st);
	if (e == DM_OK)
		e = record_current(t, o);
	if (e == DM_OK && kubeconfig_path && t->provider == DM_PROVIDER_MICROK8S) {
		*kubeconfig_path = strdup(kc);
		if (!*kubeconfig_path)
			e = dm_nomem();
	}
	return e;
}

/* ---- stop and delete -------------------------------------------------------------------- */

dm_err dm_cluster_stop(const dm_target *t, const dm_cluster_opts *o)
{
	dm_proc_result r;
	dm_err e;

	if (t->provider == DM_PROVIDER_REMOTE)
		return dm_fail(DM_ERR_UNSUPPORTED, "%s is a remote cluster: dm-cluster does not stop it", t->source);
	if (t->provider == DM_PROVIDER_MINIKUBE) {
		const char *argv[] = { o->minikube, "stop", "-p", t->profile, NULL };
		mk_status ms;

		e = minikube_status(t, o, status_timeout(o), &ms);
		if (e != DM_OK)
			return e;
		if (!ms.exists && !o->dry_run) {
			dm_info("minikube profile '%s' does not exist: nothing to stop", t->profile);
			return DM_OK;
		}
		if ((ms.code & 1) && !o->dry_run) {
			dm_info("minikube profile '%s' is already stopped", t->profile);
			return DM_OK;
		}
		e = run_cmd(o, argv, 1, op_timeout(o), &r);
	} else {
		const char *argv[] = { o->microk8s, "stop", NULL };
		uk_status u;

		e = microk8s_status(o, 0, status_timeout(o), &u);
		if (e != DM_OK)
			return e;
		if (!u.running && !o->dry_run) {
			uk_status_release(&u);
			dm_info("microk8s is not running: nothing to stop");
			return DM_OK;
		}
		uk_status_release(&u);
		e = run_cmd(o, argv, 1, op_timeout(o), &r);
	}
	dm_proc_result_release(&r);
	return e;
}

dm_err dm_cluster_delete(const dm_target *t, const dm_cluster_opts *o)
{
	dm_proc_result r;
	dm_err e;

	if (t->provider == DM_PROVIDER_REMOTE)
		return dm_fail(DM_ERR_UNSUPPORTED, "%s is a remote cluster: dm-cluster never deletes it", t->source);
	if (t->provider == DM_PROVIDER_MINIKUBE) {
		const char *argv[] = { o->minikube, "delete", "-p", t->profile, NULL };

		e = run_cmd(o, argv, 1, op_timeout(o), &r);
	} else {
		const char *argv[] = { o->microk8s, "reset", NULL };

		e = run_cmd(o, argv, 1, op_timeout(o), &r);
	}
	dm_proc_result_release(&r);
	if (e == DM_OK && !o->dry_run)
		e = forget_current(t, o);
	/* the mirror goes with the cluster; its cache stays on disk */
	if (e == DM_OK)
		e = dm_mirror_stop(t, o);
	return e;
}

/* ---- kubectl proxy and debugging pods --------------------------------------------------- */

#define DEBUG_WAIT_MS (5ULL * 60 * 1000) /* how long a debugging pod may take to start */

/* kubectl's --kubeconfig/--context for the target's cluster: those of the API. */
static size_t kubectl_conn(const dm_target *t, const dm_cluster_opts *o, const char **argv, size_t n)
{
	dm_k8s_opts ko;

	api_opts(t, o, &ko);
	if (ko.kubeconfig) {
		argv[n++] = "--kubeconfig";
		argv[n++] = ko.kubeconfig;
	}
	if (ko.context) {
		argv[n++] = "--context";
		argv[n++] = ko.context;
	}
	return n;
}

/* Runs argv on the caller's terminal (stdin, stdout and stderr are the child's too). */
static dm_err run_on_terminal(const char *const *argv)
{
	dm_proc_opts po = DM_PROC_OPTS_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;
	dm_err e;

	po.argv = argv;
	po.inherit_stdio = 1;
	po.capture_stderr = 0;
	e = dm_proc_run(&po, &r);
	dm_proc_result_release(&r);
	return e;
}

const char *dm_cluster_dashboard_path(const dm_target *t)
{
	switch (t->provider) {
	case DM_PROVIDER_MINIKUBE:
		return "/api/v1/namespaces/kubernetes-dashboard/services/http:kubernetes-dashboard:/proxy/";
	case DM_PROVIDER_MICROK8S: return "/api/v1/namespaces/kube-system/services/https:kubernetes-dashboard:/proxy/";
	default: return "/api/v1/namespaces/kubernetes-dashboard/services/https:kubernetes-dashboard:/proxy/";
	}
}

dm_err dm_cluster_proxy(const dm_target *t, const dm_cluster_opts *o, int port)
{
	char p[16];
	const char *argv[16];
	size_t n = 0;

	snprintf(p, sizeof(p), "%d", port);
	argv[n++] = o->kubectl;
	argv[n++] = "proxy";
	argv[n++] = "--port";
	argv[n++] = p;
	n = kubectl_conn(t, o, argv, n);
	argv[n] = NULL;
	announce(o, argv, 1);
	return o->dry_run ? DM_OK : run_on_terminal(argv);
}

/* An interrupt came (dm_proc_cancel) while e was being had. */
static int interrupted(dm_err e)
{
	return e == DM_ERR_INTERRUPTED || dm_proc_cancelled();
}

/* kubectl ARGS... --namespace NS with the target's connection, output
 * captured (stderr too); args ends with NULL. */
static dm_err debug_kubectl(const dm_target *t, const dm_cluster_opts *o, const char *const *args, int report,
			    uint64_t timeout_ms, dm_proc_result *r)
{
	dm_proc_opts po = DM_PROC_OPTS_INIT;
	const char *argv[24];
	size_t n = 0;

	argv[n++] = o->kubectl;
	for (size_t i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n++] = "--namespace";
	argv[n++] = o->ns;
	n = kubectl_conn(t, o, argv, n);
	argv[n] = NULL;
	announce(o, argv, report);
	if (o->dry_run)
		return DM_OK;
	po.argv = argv;
	po.timeout_ms = timeout_ms;
	po.capture_stderr = 1;
	return dm_proc_run(&po, r);
}

/* Deletes the debugging pod and waits until it is gone (a pod that is not
 * there is fine); 1 when it is gone, else 0 with res->left saying so.  Runs
 * after an interrupt too: the cancel is cleared first.  never_started: its
 * container never ran (image not pulled ...), so nothing is left to stop and
 * the object goes at once: a kubelet in image-pull back-off takes most of a
 * minute to confirm a graceful deletion. */
static int debug_delete(const dm_target *t, const dm_cluster_opts *o, dm_debug_result *res, int never_started)
{
	const char *del[] = { "delete",
			      "pod",
			      res->pod,
			      "--ignore-not-found",
			      "--wait",
			      never_started ? "--force" : "--now",
			      never_started ? "--grace-period=0" : NULL,
			      NULL };
	dm_proc_result r = DM_PROC_RESULT_INIT;
	dm_err e;

	dm_proc_cancel_clear();
	e = debug_kubectl(t, o, del, 1, 120000, &r);
	if (e != DM_OK) {
		char l[512];

		dm_proc_last_line(l, sizeof(l), &r.err);
		snprintf(res->left, sizeof(res->left),
			 "pod '%s' in namespace '%s' could not be deleted (%s); delete it with 'kubectl delete pod %s "
			 "-n %s'",
			 res->pod, o->ns, *l ? l : dm_err_detail(), res->pod, o->ns);
	}
	dm_proc_result_release(&r);
	return e == DM_OK;
}

/* After an interrupt: the pod goes (a killed kubectl does not delete it). */
static dm_err debug_interrupted(const dm_target *t, const dm_cluster_opts *o, dm_debug_result *res)
{
	int deleted = debug_delete(t, o, res, 0);

	return dm_fail(DM_ERR_INTERRUPTED, "interrupted: pod '%s' %s", res->pod, deleted ? "deleted" : "left in place");
}

/* The pod's state: phase, the container's exit code when it terminated, and
 * the reason and message when it waits.  Fields are "" when absent; absent
 * when there is no such pod. */
typedef struct {
	char phase[32], exit_code[16], reason[64], message[512];
	int absent;
} pod_state;

static dm_err debug_state(const dm_target *t, const dm_cluster_opts *o, const char *name, pod_state *ps)
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
	e = debug_kubectl(t, o, get, 0, 60000, &r);
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

/* Creates the pod (kubectl run without -it: kubectl attach loses what a quick
 * command printed before it connected). */
static dm_err debug_create(const char *const *run_argv, const char *name)
{
	dm_proc_opts po = DM_PROC_OPTS_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;
	dm_err e;
	char l[512];

	po.argv = run_argv;
	po.capture_stderr = 1;
	e = dm_proc_run(&po, &r);
	if (e != DM_OK && !interrupted(e)) {
		dm_proc_last_line(l, sizeof(l), &r.err);
		e = dm_fail(e, "cannot create pod '%s': %s", name, *l ? l : dm_err_detail());
	}
	dm_proc_result_release(&r);
	return e;
}

/* "5m" waits are written as the user gave them: "300s", "1500ms". */
static void wait_words(char *out, size_t n, uint64_t ms)
{
	if (ms % 1000 == 0)
		snprintf(out, n, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(out, n, "%llums", (unsigned long long)ms);
}

/* Waits until the pod's container runs or ran.  *never_started: it did not
 * start, and waiting longer cannot mend it, or the wait is over
 * (DM_ERR_TIMEOUT, with Kubernetes' reason). */
static dm_err debug_wait_started(const dm_target *t, const dm_cluster_opts *o, const char *name, const char *image,
				 int *never_started)
{
	uint64_t wait_ms = o->timeout_ms ? o->timeout_ms : DEBUG_WAIT_MS;
	double deadline = dm_now() + wait_ms / 1000.0;
	pod_state ps;
	char wait[32];
	dm_err e;

	wait_words(wait, sizeof(wait), wait_ms);
	for (;;) {
		if ((e = debug_state(t, o, name, &ps)) != DM_OK)
			return e;
		if (!strcmp(ps.phase, "Running") || !strcmp(ps.phase, "Succeeded") || !strcmp(ps.phase, "Failed"))
			return DM_OK;
		if (!strcmp(ps.reason, "InvalidImageName") || !strcmp(ps.reason, "ErrImageNeverPull") ||
		    dm_now() >= deadline)
			break;
		usleep(500 * 1000);
		if (dm_proc_cancelled())
			return dm_fail(DM_ERR_INTERRUPTED, "interrupted");
	}
	*never_started = 1;
	if (ps.reason[0])
		return dm_fail(DM_ERR_TIMEOUT, "pod '%s' (image '%s') did not start within %s: %s%s%s", name, image,
			       wait, ps.reason, ps.message[0] ? ": " : "", ps.message);
	return dm_fail(DM_ERR_TIMEOUT, "pod '%s' (image '%s') did not start within %s (phase %s)", name, image, wait,
		       ps.phase[0] ? ps.phase : "unknown");
}

/* Follows the pod's log to the caller's stdout, from its first line, as it
 * comes, until the container ends.  A log that fails is a warning: the exit
 * code may still be read. */
static dm_err debug_follow_log(const dm_target *t, const dm_cluster_opts *o, const char *name)
{
	const char *logs[] = { o->kubectl, "logs", "-f", name, "--namespace", o->ns, NULL, NULL, NULL, NULL, NULL };
	dm_err e;

	kubectl_conn(t, o, logs, 6);
	e = run_on_terminal(logs);
	if (interrupted(e))
		return dm_fail(DM_ERR_INTERRUPTED, "interrupted");
	if (e != DM_OK)
		dm_warn("kubectl logs failed: %s", dm_err_detail());
	return DM_OK;
}

/* The command's exit code: the pod's status may lag a moment behind the log's end. */
static dm_err debug_exit_code(const dm_target *t, const dm_cluster_opts *o, const char *name, int *code)
{
	double deadline = dm_now() + 60;
	pod_state ps;
	dm_err e;

	for (;;) {
		if ((e = debug_state(t, o, name, &ps)) != DM_OK)
			return e;
		if (ps.exit_code[0]) {
			*code = atoi(ps.exit_code);
			return DM_OK;
		}
		if (ps.absent || dm_now() >= deadline)
			return dm_fail(DM_ERR_PROC, "pod '%s': its command's exit code is unknown (phase %s)", name,
				       ps.phase[0] ? ps.phase : "gone");
		usleep(250 * 1000);
		if (dm_proc_cancelled())
			return dm_fail(DM_ERR_INTERRUPTED, "interrupted");
	}
}

/* debug ... -- COMMAND: create, wait, follow the log, read the exit code;
 * then delete the pod, whatever happened once it existed. */
static dm_err debug_command(const dm_target *t, const dm_cluster_opts *o, const char *image,
			    const char *const *run_argv, dm_debug_result *res)
{
	char detail[2048];
	int never_started = 0;
	dm_err e;

	e = debug_create(run_argv, res->pod);
	if (e != DM_OK && !interrupted(e))
		return e; /* no pod */
	if (e == DM_OK)
		e = debug_wait_started(t, o, res->pod, image, &never_started);
	if (e == DM_OK)
		e = debug_follow_log(t, o, res->pod);
	if (e == DM_OK)
		e = debug_exit_code(t, o, res->pod, &res->exit_code);
	if (e != DM_OK && interrupted(e))
		return debug_interrupted(t, o, res);
	/* the deletion's commands must not replace what went wrong */
	snprintf(detail, sizeof(detail), "%s", e == DM_OK ? "" : dm_err_detail());
	debug_delete(t, o, res, never_started);
	return e == DM_OK ? DM_OK : dm_fail(e, "%s", detail);
}

/* The kubectl run command of the pod; *argv: free(). */
static dm_err debug_run_argv(const char ***argv, const dm_target *t, const dm_cluster_opts *o, const dm_debug_opts *d,
			     const char *image, const char *name, const char *wait_arg)
{
	size_t cmdc = 0, n = 0;
	const char **a;

	while (d->command && d->command[cmdc])
		cmdc++;
	if (!(*argv = a = calloc(cmdc + 32, sizeof(*a))))
		return dm_nomem();
	a[n++] = o->kubectl;
	a[n++] = "run";
	a[n++] = name;
	if (!d->command) {
		a[n++] = "-it";
		a[n++] = "--rm";
	}
	a[n++] = "--restart=Never";
	a[n++] = "--namespace";
	a[n++] = o->ns;
	a[n++] = "--image";
	a[n++] = image;
	n = kubectl_conn(t, o, a, n);
	/* never pull what the node has (a tag such as :latest would mean Always) */
	a[n++] = "--image-pull-policy=IfNotPresent";
	if (!d->command)
		a[n++] = wait_arg;
	if (d->host_network)
		a[n++] = "--overrides={\"apiVersion\":\"v1\",\"spec\":{\"hostNetwork\":true}}";
	if (d->command) {
		a[n++] = "--command";
		a[n++] = "--";
		for (size_t i = 0; i < cmdc; i++)
			a[n++] = d->command[i];
	}
	a[n] = NULL;
	return DM_OK;
}

dm_err dm_cluster_debug(const dm_target *t, const dm_cluster_opts *o, const dm_debug_opts *d, dm_debug_result *res)
{
	const char *image = d->image ? d->image : !strcmp(d->kind, "net") ? DM_DEBUG_IMAGE_NET : DM_DEBUG_IMAGE_APP;
	uint64_t wait_ms = o->timeout_ms ? o->timeout_ms : DEBUG_WAIT_MS;
	char wait_arg[64];
	const char **argv;
	dm_err e;

	memset(res, 0, sizeof(*res));
	/* the pid and the time: a pod of another run is never taken for ours (and deleted) */
	snprintf(res->pod, sizeof(res->pod), "dm-debug-%s-%ld-%llx", d->kind, (long)getpid(),
		 (unsigned long long)time(NULL));
	snprintf(wait_arg, sizeof(wait_arg), "--pod-running-timeout=%llums", (unsigned long long)wait_ms);
	if ((e = debug_run_argv(&argv, t, o, d, image, res->pod, wait_arg)) != DM_OK)
		return e;
	if (!o->dry_run && !d->command)
		dm_info("starting pod '%s' (%s) in namespace '%s'; it is removed when the shell exits", res->pod, image,
			o->ns);
	else if (!o->dry_run)
		dm_info("running '%s' in pod '%s' (%s) in namespace '%s'", d->command[0], res->pod, image, o->ns);
	announce(o, argv, 1);
	if (o->dry_run && d->command)
		debug_delete(t, o, res, 0); /* shown */
	else if (d->command)
		e = debug_command(t, o, image, argv, res);
	else if (!o->dry_run && interrupted(e = run_on_terminal(argv)))
		e = debug_interrupted(t, o, res);
	free(argv);
	return e;
}
