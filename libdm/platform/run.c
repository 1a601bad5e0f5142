/* Running helm and kubectl for the components of a platform: install in
 * dependency order (parallel where needs allow), uninstall in reverse,
 * status, and the same commands printed instead of run (--dry-run, plan).
 *
 * Secret values (generated keys, keys read from the cluster) never reach an
 * argv nor the disk: helm reads them as a values document from its stdin
 * (`-f -`), so that no file is left behind when dm-helm is killed, even by
 * SIGKILL.
 *
 * An interrupt (dm_proc_cancel) stops the helm or kubectl that runs (its whole
 * process group), lets the running components end as interrupted and starts
 * no other.
 *
 * --delete-namespace deletes only namespaces that dm created (labelled
 * app.kubernetes.io/managed-by=dm when dm_k8s_ensure_namespace made them) and
 * that hold nothing but what the uninstalled components left: checked before
 * anything is uninstalled (no Helm release of another component) and again
 * just before the delete (no object that dm did not create). */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <dm/gpu.h>
#include <dm/k8s.h>
#include <dm/log.h>
#include <dm/platform.h>
#include <dm/proc.h>
#include <dm/util.h>
#include "internal.h"

#define SECRET_VALUES_STDIN "-"
#define DM_MANAGED_LABEL "app.kubernetes.io/managed-by"
#define REPO_CMD_TIMEOUT_MS (5 * 60 * 1000)

typedef struct run_ctx run_ctx;

/* Where a component is in the scheduler (calloc'd: all start waiting). */
typedef enum {
	JOB_WAITING = 0, /* not started: its predecessors run, or no slot is free */
	JOB_RUNNING,     /* a worker runs it */
	JOB_DONE         /* ended, or skipped because a component it needs failed */
} job_state;

struct run_ctx {
	const dm_platform *p;
	dm_action action;
	const dm_run_opts *o;
	dm_k8s_config *kcfg;  /* loaded when a run needs the API */
	pthread_mutex_t lock; /* state, outcomes */
	pthread_cond_t cond;
	pthread_mutex_t cb_lock;   /* callbacks, serialised */
	pthread_mutex_t repo_lock; /* helm repo add/update write one file */
	dm_run_result *res;
	size_t n;
	size_t *seq; /* the order in which this action visits res[] */
	job_state *state;
	size_t running;
	char last_detail[1024]; /* delete_namespaces: the error held back */
};

/* A component's work: the context and where its result goes. */
typedef struct {
	run_ctx *x;
	size_t i;
} job;

/* ---- small helpers ------------------------------------------------------------------------ */

void dm_platform_duration(char out[32], uint64_t ms)
{
	if (ms % 1000 == 0)
		snprintf(out, 32, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(out, 32, "%llums", (unsigned long long)ms);
}

/* A command line, built as a list: AV_ADD(&a, "helm", "status", c->release)
 * appends its items in order, av_addf one formatted item, av_opt a flag and
 * its value when the value is set.  Every string is owned; a failed
 * allocation is remembered (oom) and reported when the command runs. */
typedef struct {
	char **v; /* NULL-terminated once anything was added */
	size_t n, cap;
	int oom;
} argv_b;

#define AV_ADD(a, ...)                                                                                                 \
	av_addv((a), (const char *const[]){ __VA_ARGS__ },                                                             \
		sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

static void av_add(argv_b *a, const char *s)
{
	char *d;

	assert(s);
	if (a->oom)
		return;
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		char **nv = realloc(a->v, cap * sizeof(*nv));

		if (!nv) {
			a->oom = 1;
			return;
		}
		a->v = nv;
		a->cap = cap;
	}
	d = strdup(s);
	if (!d) {
		a->oom = 1;
		return;
	}
	a->v[a->n++] = d;
	a->v[a->n] = NULL;
}

static void av_addv(argv_b *a, const char *const *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		av_add(a, items[i]);
}

/* flag and value, when value is not NULL */
static void av_opt(argv_b *a, const char *flag, const char *value)
{
	if (value)
		AV_ADD(a, flag, value);
}

static void av_addf(argv_b *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void av_addf(argv_b *a, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		a->oom = 1;
	va_end(ap);
	if (s) {
		av_add(a, s);
		free(s);
	}
}

static void av_release(argv_b *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

static const char *helm_prog(const run_ctx *x)
{
	return x->o->helm ? x->o->helm : "helm";
}

static const char *kubectl_prog(const run_ctx *x)
{
	return x->o->kubectl ? x->o->kubectl : "kubectl";
}

/* --kube-context (helm) or --context (kubectl), and --kubeconfig, when given */
static void kube_flags(const run_ctx *x, argv_b *a, const char *context_flag)
{
	av_opt(a, context_flag, x->o->context);
	av_opt(a, "--kubeconfig", x->o->kubeconfig);
}

static void helm_kube_flags(const run_ctx *x, argv_b *a)
{
	kube_flags(x, a, "--kube-context");
}

static void kubectl_kube_flags(const run_ctx *x, argv_b *a)
{
	kube_flags(x, a, "--context");
}

/* kubectl VERB -f|-k WHAT --namespace NS -o name [--context] [--kubeconfig] */
static void kubectl_on(const run_ctx *x, argv_b *a, const char *verb, const char *how, const char *what, const char *ns)
{
	AV_ADD(a, kubectl_prog(x), verb, how, what, "--namespace", ns, "-o", "name");
	kubectl_kube_flags(x, a);
}

static uint64_t timeout_of(const run_ctx *x, const dm_component *c)
{
	return x->o->timeout_ms ? x->o->timeout_ms : c->timeout_ms;
}

static void notify_command(run_ctx *x, const dm_component *c, char *const *argv)
{
	if (!x->o->on_command)
		return;
	pthread_mutex_lock(&x->cb_lock);
	x->o->on_command(x->o->ud, c, (const char *const *)argv);
	pthread_mutex_unlock(&x->cb_lock);
}

/* Runs argv (reported first) with in (NULL: nothing) on its stdin; captures
 * stdout and stderr; stop (NULL: none) is dm_proc_opts.stop.  On failure the
 * detail names the command and its last stderr line. */
static dm_err run_cmd_in(run_ctx *x, const dm_component *c, argv_b *a, uint64_t timeout_ms, const dm_buf *in,
			 const int *stop, dm_proc_result *res)
{
	dm_proc_opts po = DM_PROC_OPTS_INIT;
	dm_err e;

	if (a->oom)
		return dm_nomem();
	notify_command(x, c, a->v);
	po.argv = (const char *const *)a->v;
	po.timeout_ms = timeout_ms;
	po.capture_stderr = 1;
	po.stop = stop;
	if (in) {
		po.stdin_data = in->data ? in->data : "";
		po.stdin_len = in->len;
	}
	e = dm_proc_run(&po, res);
	if (e == DM_ERR_TIMEOUT)
		return dm_fail(e, "'%s %s' did not finish within %llus", a->v[0], a->n > 1 ? a->v[1] : "",
			       (unsigned long long)(timeout_ms / 1000));
	return e;
}

static dm_err run_cmd(run_ctx *x, const dm_component *c, argv_b *a, uint64_t timeout_ms, dm_proc_result *res)
{
	return run_cmd_in(x, c, a, timeout_ms, NULL, NULL, res);
}

/* helm or kubectl failed: the detail is "<what>: <its last stderr line>". */
static dm_err cmd_fail(dm_err e, const char *what, dm_proc_result *res)
{
	char line[1024];

	if (e == DM_ERR_NOMEM || e == DM_ERR_NOTFOUND || e == DM_ERR_TIMEOUT || e == DM_ERR_INTERRUPTED)
		return e;
	dm_proc_last_line(line, sizeof(line), res->err.len ? &res->err : &res->out);
	return dm_fail(DM_ERR_PROC, "%s: %s", what, *line ? line : dm_err_detail());
}

/* ---- references --------------------------------------------------------------------------- */

/* The value of field of C's Secret, read from the cluster; *out malloc'd (a secret). */
static dm_err read_secret_field(dm_k8s *k, const char *ns, const char *secret, const char *field, char **out)
{
	dm_k8s_secret *s = NULL;
	const dm_k8s_secret_item *it;
	dm_err e;

	*out = NULL;
	if ((e = dm_k8s_get_secret(k, ns, secret, &s)))
		return e;
	it = dm_k8s_secret_find(s, field);
	if (!it) {
		e = dm_fail(DM_ERR_NOTFOUND, "Secret '%s' in namespace '%s' has no field '%s'", secret, ns, field);
	} else {
		*out = malloc(it->len + 1);
		if (!*out) {
			e = dm_nomem();
		} else {
			memcpy(*out, it->value, it->len);
			(*out)[it->len] = '\0';
		}
	}
	dm_k8s_secret_free(s);
	return e;
}

/* The value of key of a Secret, read from the cluster (k), appended to out:
 * the dm_ref_env.secret_value of a run. */
static dm_err cluster_secret_value(void *k, const char *ns, const char *secret, const char *key, dm_buf *out)
{
	char *v = NULL;
	dm_err e = read_secret_field(k, ns, secret, key, &v);

	if (!e)
		e = dm_buf_puts(out, v);
	dm_free_secret(v);
	return e;
}

/* Expands set entry j of c, from the tokens read when the platform loaded.  k
 * NULL: secret references become "<secret>" (plans, dry runs). */
static dm_err expand(const dm_platform *p, const dm_component *c, size_t j, dm_k8s *k, dm_buf *out)
{
	const dm_refs *r = dm_platform_set_refs(p, c, j);
	dm_ref_env env = { .p = p,
			   .release = c->release ? c->release : c->name,
			   .ns = c->ns,
			   .secret_value = k ? cluster_secret_value : NULL,
			   .ud = k };

	if (!r)
		return dm_fail(DM_ERR_CONFIG, "the references of component '%s' were not read", c->name);
	return dm_refs_expand(out, r, &env);
}

/* helm's --set parser (strvals, helm 3.17) reads the value after the first '='
 * with `\` making the next character literal, ends it at ',', and reads it as
 * a list ("{a,b}") when it starts with '{', a list that '}' ends.  '=', '.',
 * '[' and ']' mean something only in the key, which is parsed before.  So '\',
 * ',', '{' and '}' are escaped wherever they stand, and the value arrives as
 * written, byte for byte (nothing is trimmed; --set-string keeps it a string). */
static void set_escape(dm_buf *b, const char *v)
{
	for (; *v; v++) {
		if (strchr(",{}\\", *v))
			dm_buf_append(b, "\\", 1);
		dm_buf_append(b, v, 1);
	}
}

/* ---- generated secrets -------------------------------------------------------------------- */

static dm_err random_value(char *out, int len)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char buf[512];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC), n = 0;

	if (fd < 0)
		return dm_fail(DM_ERR_IO, "cannot open /dev/urandom: %s", strerror(errno));
	while (n < len) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r <= 0) {
			close(fd);
			return dm_fail(DM_ERR_IO, "cannot read /dev/urandom");
		}
		/* 248 = 4 * 62: taking bytes below it keeps every character equally likely */
		for (ssize_t i = 0; i < r && n < len; i++) {
			if (buf[i] < 248)
				out[n++] = alphabet[buf[i] % 62];
		}
	}
	out[n] = '\0';
	dm_wipe(buf, sizeof(buf));
	close(fd);
	return DM_OK;
}

/* What ensure_gen_secret did. */
typedef enum { GEN_SECRET_KEPT = 0, GEN_SECRET_CREATED, GEN_SECRET_KEYS_ADDED } gen_secret_done;

/* Creates Secret gs in ns unless it exists; adds keys that an existing one lacks. */
static dm_err ensure_gen_secret(dm_k8s *k, const char *ns, const dm_gen_secret *gs, gen_secret_done *done)
{
	dm_k8s_secret *have = NULL;
	dm_k8s_secret_item *items = NULL;
	size_t added = 0;
	dm_err e = dm_k8s_get_secret(k, ns, gs->name, &have);

	*done = GEN_SECRET_KEPT;
	if (e && e != DM_ERR_NOTFOUND)
		return e;
	dm_err_clear();
	if (!(items = calloc(gs->n_keys + 1, sizeof(*items)))) {
		e = dm_nomem();
		goto out;
	}
	for (size_t i = 0; i < gs->n_keys; i++) {
		dm_k8s_secret_item *it = &items[added];

		if (have && dm_k8s_secret_find(have, gs->keys[i]))
			continue;
		if (!(it->value = malloc((size_t)gs->length + 1))) {
			e = dm_nomem();
			goto out;
		}
		added++;
		it->key = (char *)gs->keys[i];
		it->len = (size_t)gs->length;
		if ((e = random_value((char *)it->value, gs->length)))
			goto out;
		dm_log_add_secret((const char *)it->value);
	}
	if (have && !added)
		goto out;
	if ((e = dm_k8s_put_secret(k, ns, gs->name, items, added,
				   have ? DM_K8S_SECRET_ADD_KEYS : DM_K8S_SECRET_CREATE)))
		goto out;
	*done = have ? GEN_SECRET_KEYS_ADDED : GEN_SECRET_CREATED;
out:
	for (size_t i = 0; i < added; i++) {
		dm_wipe(items[i].value, (size_t)gs->length + 1);
		free(items[i].value);
	}
	free(items);
	dm_k8s_secret_free(have);
	return e;
}

/* ---- the secret values file --------------------------------------------------------------- */

/* Sets path (helm value path, `\.` a literal dot) to v in root. */
static int json_set_path(json_t *root, const char *path, json_t *v)
{
	json_t *cur = root;
	char seg[512];
	size_t n = 0;

	for (const char *s = path;; s++) {
		if (*s == '\\' && s[1] == '.') {
			if (n < sizeof(seg) - 1)
				seg[n++] = '.';
			s++;
			continue;
		}
		if (*s == '.' || *s == '\0') {
			seg[n] = '\0';
			n = 0;
			if (*s == '\0')
				return json_object_set_new(cur, seg, v);
			{
				json_t *next = json_object_get(cur, seg);

				if (!json_is_object(next)) {
					next = json_object();
					if (json_object_set_new(cur, seg, next))
						return -1;
				}
				cur = next;
			}
			continue;
		}
		if (n < sizeof(seg) - 1)
			seg[n++] = *s;
	}
}

/* ---- the pods of a release: why it did not become ready ---------------------------------- */

/* helm --wait says only "timed out waiting for the condition"; the pods of the
 * release say why.  While helm waits, they are read every POD_WATCH_MS; a
 * container that has crashed and been restarted dm_run_opts.crash_restarts
 * times (DM_RUN_CRASH_RESTARTS) stops helm at once rather than at the timeout.
 * Not at the first crash: charts whose pods wait for one another (a server for
 * its database) crash a few times on the way to Ready; the kubelet's back-off
 * (10 s, then 20 s) puts the third restart some 30 to 45 s after the first
 * crash.  Pods that were there before helm ran are not watched: an upgrade
 * that fixes a crash-looping release replaces them.  A failure at the timeout
 * names every pod of the release that is not Ready. */
#define POD_WATCH_MS 2000
#define POD_LINES_MAX 3

static json_t *jpath(json_t *o, const char *a, const char *b)
{
	return json_object_get(json_object_get(o, a), b);
}

static const char *jstr(json_t *o, const char *a, const char *b)
{
	return json_string_value(jpath(o, a, b));
}

/* Is o's key the string want? */
static int jis(json_t *o, const char *key, const char *want)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && !strcmp(s, want);
}

/* Does the object at path carry helm's annotation of release rel? */
static int owner_of_release(dm_k8s *k, const char *ns, const char *rel, json_t *ref, int hops)
{
	static const struct {
		const char *kind, *api, *plural;
	} kinds[] = {
		{ "ReplicaSet", "apps/v1", "replicasets" },
		{ "Deployment", "apps/v1", "deployments" },
		{ "StatefulSet", "apps/v1", "statefulsets" },
		{ "DaemonSet", "apps/v1", "daemonsets" },
		{ "Job", "batch/v1", "jobs" },
	};
	const char *kind = json_string_value(json_object_get(ref, "kind"));
	const char *name = json_string_value(json_object_get(ref, "name"));
	char path[512], *reply = NULL;
	long status = 0;
	json_t *obj, *owners, *o;
	const char *mark;
	size_t i;
	int yes = 0;

	if (!kind || !name || hops <= 0)
		return 0;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && strcmp(kinds[i].kind, kind); i++)
		;
	if (i == sizeof(kinds) / sizeof(kinds[0]))
		return 0;
	snprintf(path, sizeof(path), "/apis/%s/namespaces/%s/%s/%s", kinds[i].api, ns, kinds[i].plural, name);
	if (dm_k8s_request(k, "GET", path, NULL, &status, &reply) || status != 200) {
		free(reply);
		dm_err_clear();
		return 0;
	}
	obj = json_loads(reply, 0, NULL);
	free(reply);
	mark = json_string_value(json_object_get(jpath(obj, "metadata", "annotations"), "meta.helm.sh/release-name"));
	if (mark)
		yes = !strcmp(mark, rel);
	owners = jpath(obj, "metadata", "ownerReferences");
	json_array_foreach(owners, i, o)
	{
		if (!mark && !yes && json_is_true(json_object_get(o, "controller")))
			yes = owner_of_release(k, ns, rel, o, hops - 1);
	}
	json_decref(obj);
	return yes;
}

/* Is pod one of release rel's?  The labels charts put on their pods
 * (app.kubernetes.io/instance, or release in older charts), else helm's
 * annotation on the object that owns it (a Deployment through its ReplicaSet). */
static int pod_of_release(dm_k8s *k, const char *ns, const char *rel, json_t *pod)
{
	json_t *labels = jpath(pod, "metadata", "labels"), *o;
	const char *inst = json_string_value(json_object_get(labels, "app.kubernetes.io/instance"));
	const char *old = json_string_value(json_object_get(labels, "release"));
	size_t i;

	if (inst || old)
		return (inst && !strcmp(inst, rel)) || (old && !strcmp(old, rel));
	json_array_foreach(jpath(pod, "metadata", "ownerReferences"), i, o)
	{
		if (json_is_true(json_object_get(o, "controller")))
			return owner_of_release(k, ns, rel, o, 3);
	}
	return 0;
}

/* The last non-empty line of a container's log (previous: of its last run); "" when none. */
static void last_log_line(dm_k8s *k, const char *ns, const char *pod, const char *container, int previous, char *out,
			  size_t n)
{
	char path[768], *reply = NULL;
	long status = 0;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/log?container=%s&tailLines=5&limitBytes=16384%s",
		 ns, pod, container, previous ? "&previous=true" : "");
	/* a kubelet (1.20) whose log file of the container is gone answers 200 with
	 * its error as the log ("failed to try resolving symlinks in path ..."): that
	 * is no line the container wrote */
	if (!dm_k8s_request(k, "GET", path, NULL, &status, &reply) && status == 200 &&
	    strncmp(reply, "failed to try resolving symlinks in path", 40) != 0) {
		dm_buf b = { .data = reply, .len = strlen(reply) };

		dm_proc_last_line(out, n, &b);
	}
	dm_err_clear();
	free(reply);
}

/* Control characters of text a pod wrote (its log, an event) shown as '?'. */
static void printable(char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	}
}

/* The pod's latest Warning event, "REASON: MESSAGE" ("" when none): why a
 * container is still being created, why a running one is not ready. */
static void pod_warning(dm_k8s *k, const char *ns, const char *uid, char *out, size_t n)
{
	char path[512], *reply = NULL;
	const char *best_at = "", *at;
	json_t *list = NULL, *ev, *best = NULL;
	long status = 0;
	size_t i;

	out[0] = '\0';
	if (!uid)
		return;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events?fieldSelector=involvedObject.uid%%3D%s", ns, uid);
	if (!dm_k8s_request(k, "GET", path, NULL, &status, &reply) && status == 200)
		list = json_loads(reply, 0, NULL);
	dm_err_clear();
	free(reply);
	json_array_foreach(json_object_get(list, "items"), i, ev)
	{
		if (!jis(ev, "type", "Warning"))
			continue;
		at = json_string_value(json_object_get(ev, "lastTimestamp"));
		if (!at)
			at = json_string_value(json_object_get(ev, "eventTime"));
		/* RFC 3339 times in UTC: later is greater */
		if (at && strcmp(at, best_at) >= 0) {
			best = ev;
			best_at = at;
		}
	}
	if (best) {
		const char *why = json_string_value(json_object_get(best, "reason"));
		const char *msg = json_string_value(json_object_get(best, "message"));

		snprintf(out, n, "%s%s%s", why ? why : "", why && msg ? ": " : "", msg ? msg : "");
		printable(out);
	}
	json_decref(list);
}

/* One container that is not ready: "pod P: container C: REASON (exit N, R restarts): WHY",
 * REASON that of its state ("running, not ready (last run: Error, exit 1, ...)"
 * when it crashed and runs again), WHY its last log line (of the run that
 * crashed, when the next has not started or runs), else Kubernetes' message,
 * else the pod's latest Warning event.
 * crash_only > 0: only a container that crashed and was restarted crash_only times.
 * Returns 1 when it described one. */
static int describe_container(dm_k8s *k, const char *ns, json_t *pod, json_t *cs, int crash_only, dm_buf *out)
{
	const char *pod_name = jstr(pod, "metadata", "name");
	const char *name = json_string_value(json_object_get(cs, "name"));
	json_t *state = json_object_get(cs, "state"), *last = jpath(cs, "lastState", "terminated");
	json_t *waiting = json_object_get(state, "waiting"), *term = json_object_get(state, "terminated");
	json_t *running = json_object_get(state, "running");
	json_t *code = json_object_get(term ? term : last, "exitCode");
	long long restarts = json_integer_value(json_object_get(cs, "restartCount"));
	const char *reason = NULL, *msg = NULL;
	char counts[96] = "", line[512] = "";
	int crashed, with_exit;

	if (!name || json_is_true(json_object_get(cs, "ready")))
		return 0;
	crashed = (term || last) && json_is_integer(code) && json_integer_value(code) != 0;
	if (crash_only > 0 && !(crashed && restarts >= crash_only))
		return 0;
	if (waiting) {
		reason = json_string_value(json_object_get(waiting, "reason"));
		msg = json_string_value(json_object_get(waiting, "message"));
	} else if (term) {
		reason = json_string_value(json_object_get(term, "reason"));
	} else if (running) {
		reason = "running, not ready";
	}
	with_exit = json_is_integer(code) && (term || (last && (waiting || crashed)));
	if (running && crashed) {
		/* restarted, maybe an instant ago and crashing again: how its last run ended */
		const char *how = json_string_value(json_object_get(last, "reason"));

		snprintf(counts, sizeof(counts), " (last run: %s%sexit %lld, %lld restart%s)", how ? how : "",
			 how ? ", " : "", json_integer_value(code), restarts, restarts == 1 ? "" : "s");
	} else if (with_exit) {
		snprintf(counts, sizeof(counts), " (exit %lld, %lld restart%s)", json_integer_value(code), restarts,
			 restarts == 1 ? "" : "s");
	} else if (restarts) {
		snprintf(counts, sizeof(counts), " (%lld restart%s)", restarts, restarts == 1 ? "" : "s");
	}
	if (running && !crashed)
		pod_warning(k, ns, jstr(pod, "metadata", "uid"), line, sizeof(line));
	if (!line[0] && (term || last || running)) {
		last_log_line(k, ns, pod_name, name, !term && last && (waiting || crashed), line, sizeof(line));
		printable(line);
	}
	if (!line[0] && msg) {
		snprintf(line, sizeof(line), "%s", msg);
		printable(line);
	}
	if (!line[0])
		pod_warning(k, ns, jstr(pod, "metadata", "uid"), line, sizeof(line));
	dm_buf_printf(out, "%spod %s: container %s: %s%s%s%s", out->len ? "; " : "", pod_name, name,
		      reason ? reason : "not ready", counts, line[0] ? ": " : "", line);
	return 1;
}

static int uid_in(const char *old, const char *uid)
{
	const char *s = old;
	size_t n = uid ? strlen(uid) : 0;

	while (n && (s = strstr(s, uid))) {
		if (s > old && s[-1] == '\n' && s[n] == '\n')
			return 1;
		s += n;
	}
	return 0;
}

/* The uids of the pods in ns now, "\nUID\n...": a crash loop the watch finds among
 * them is not this install's (an upgrade that fixes a broken release replaces them). */
static dm_err pods_before(dm_k8s *k, const char *ns, dm_buf *out)
{
	json_t *list, *pod;
	size_t i;
	dm_err e;

	if ((e = dm_k8s_get_json(k, "api/v1", "pods", ns, NULL, NULL, &list)))
		return e;
	dm_buf_puts(out, "\n");
	json_array_foreach(json_object_get(list, "items"), i, pod)
	{
		const char *uid = jstr(pod, "metadata", "uid");

		if (uid)
			dm_buf_printf(out, "%s\n", uid);
	}
	json_decref(list);
	return dm_buf_str(out) ? DM_OK : dm_nomem();
}

/* The pods of release rel in ns that are not Ready, one "pod P: ..." part each
 * ("; " between them, at most POD_LINES_MAX, then how many more).  crash_only > 0:
 * only containers restarted that many times after a crash, in pods whose uid is not in old ("\nUID\n..."),
 * those that were there before helm ran (the watch).  *found: how many were described. */
static dm_err diagnose_release(dm_k8s *k, const char *ns, const char *rel, int crash_only, const char *old, dm_buf *out,
			       size_t *found)
{
	json_t *list, *pod;
	size_t i, more = 0;
	dm_err e;

	*found = 0;
	if ((e = dm_k8s_get_json(k, "api/v1", "pods", ns, NULL, NULL, &list)))
		return e;
	json_array_foreach(json_object_get(list, "items"), i, pod)
	{
		const char *name = jstr(pod, "metadata", "name");
		const char *phase = jstr(pod, "status", "phase");
		json_t *cond, *cs;
		size_t j;
		int ready = 0, told = 0;

		if (!name || json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp") ||
		    (phase && !strcmp(phase, "Succeeded")))
			continue;
		json_array_foreach(jpath(pod, "status", "conditions"), j, cond)
		{
			const char *type = json_string_value(json_object_get(cond, "type"));

			if (type && !strcmp(type, "Ready"))
				ready = jis(cond, "status", "True");
		}
		if (crash_only && old && uid_in(old, jstr(pod, "metadata", "uid")))
			continue;
		if (ready || !pod_of_release(k, ns, rel, pod))
			continue;
		if (*found >= POD_LINES_MAX) {
			more++;
			continue;
		}
		json_array_foreach(jpath(pod, "status", "initContainerStatuses"), j, cs) told +=
			describe_container(k, ns, pod, cs, crash_only, out);
		json_array_foreach(jpath(pod, "status", "containerStatuses"), j, cs) told +=
			describe_container(k, ns, pod, cs, crash_only, out);
		if (!told && !crash_only) {
			/* no container yet: the pod's own condition (Unschedulable ...) */
			const char *why = jstr(pod, "status", "reason"), *msg = jstr(pod, "status", "message");
			char ev[512] = "";

			json_array_foreach(jpath(pod, "status", "conditions"), j, cond)
			{
				if (!why && jis(cond, "status", "False")) {
					why = json_string_value(json_object_get(cond, "reason"));
					msg = json_string_value(json_object_get(cond, "message"));
				}
			}
			if (!why)
				pod_warning(k, ns, jstr(pod, "metadata", "uid"), ev, sizeof(ev));
			dm_buf_printf(out, "%spod %s: %s%s%s%s%s%s%s", out->len ? "; " : "", name,
				      phase ? phase : "not ready", why ? ": " : "", why ? why : "", msg ? ": " : "",
				      msg ? msg : "", ev[0] ? ": " : "", ev);
			told = 1;
		}
		*found += told > 0;
	}
	if (more)
		dm_buf_printf(out, "; %zu more pod%s not ready", more, more > 1 ? "s" : "");
	json_decref(list);
	return DM_OK;
}

/* Watches the pods of a release while helm waits for them. */
typedef struct {
	dm_k8s *k; /* this thread's alone until it is joined */
	const char *ns, *release;
	const char *old; /* the pods there before helm ran (pods_before) */
	int restarts;    /* crash_restarts */
	int stop;        /* set (atomically) when a crash loop is found: helm is stopped */
	int done;        /* helm ended */
	pthread_mutex_t m;
	pthread_cond_t cv;
	char *found; /* what stopped helm (malloc'd) */
} pod_watch;

static void *pod_watch_run(void *arg)
{
	pod_watch *w = arg;

	pthread_mutex_lock(&w->m);
	while (!w->done) {
		struct timespec ts;
		dm_buf b = DM_BUF_INIT;
		size_t found = 0;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += POD_WATCH_MS / 1000;
		ts.tv_nsec += (POD_WATCH_MS % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&w->cv, &w->m, &ts) == 0 && w->done)
			break;
		if (w->done)
			break;
		pthread_mutex_unlock(&w->m);
		/* a failed listing is tried again at the next tick; helm's wait goes on */
		if (diagnose_release(w->k, w->ns, w->release, w->restarts, w->old, &b, &found) == DM_OK && found)
			w->found = strdup(dm_buf_str(&b) ? dm_buf_str(&b) : "");
		dm_err_clear();
		dm_buf_release(&b);
		pthread_mutex_lock(&w->m);
		if (w->found) {
			__atomic_store_n(&w->stop, 1, __ATOMIC_SEQ_CST);
			break;
		}
	}
	pthread_mutex_unlock(&w->m);
	return NULL;
}

/* ---- one component ------------------------------------------------------------------------ */

static const char *repo_alias(char *out, size_t n, const char *url)
{
	const char *s = strstr(url, "://");
	size_t o = 0;

	s = s ? s + 3 : url;
	for (; *s && o + 1 < n; s++) {
		char ch = *s;

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
			ch = '-';
		if (ch == '-' && (o == 0 || out[o - 1] == '-'))
			continue;
		out[o++] = ch;
	}
	while (o > 0 && out[o - 1] == '-')
		o--;
	out[o] = '\0';
	return out;
}

/* helm repo add / update, as needed (always shown in a dry run). */
static dm_err ensure_repo(run_ctx *x, const dm_component *c, const char *alias)
{
	argv_b a = { 0 };
	dm_proc_result r = DM_PROC_RESULT_INIT;
	int have = 0, known = 0;
	dm_err e = DM_OK;

	if (x->o->dry_run) {
		AV_ADD(&a, helm_prog(x), "repo", "add", "--force-update", alias, c->chart_repo);
		notify_command(x, c, a.v);
		av_release(&a);
		AV_ADD(&a, helm_prog(x), "repo", "update", alias);
		notify_command(x, c, a.v);
		av_release(&a);
		return DM_OK;
	}
	pthread_mutex_lock(&x->repo_lock);
	AV_ADD(&a, helm_prog(x), "repo", "list", "-o", "json");
	/* "no repositories to show" is an exit 1: nothing known yet */
	if (run_cmd(x, c, &a, REPO_CMD_TIMEOUT_MS, &r) == DM_OK) {
		json_t *list = json_loadb(r.out.data ? r.out.data : "", r.out.len, 0, NULL);
		size_t i;
		json_t *it;

		json_array_foreach(list, i, it)
		{
			const char *nm = json_string_value(json_object_get(it, "name"));
			const char *url = json_string_value(json_object_get(it, "url"));

			if (nm && url && !strcmp(nm, alias) && !strcmp(url, c->chart_repo))
				have = 1;
		}
		json_decref(list);
	}
	dm_err_clear();
	dm_proc_result_release(&r);
	av_release(&a);
	if (!have) {
		AV_ADD(&a, helm_prog(x), "repo", "add", "--force-update", alias, c->chart_repo);
		if ((e = run_cmd(x, c, &a, REPO_CMD_TIMEOUT_MS, &r)))
			e = cmd_fail(e, "helm repo add", &r);
		dm_proc_result_release(&r);
		av_release(&a);
	} else {
		AV_ADD(&a, helm_prog(x), "search", "repo");
		av_addf(&a, "%s/%s", alias, c->chart_name);
		AV_ADD(&a, "--version", c->version, "-o", "json");
		if (run_cmd(x, c, &a, REPO_CMD_TIMEOUT_MS, &r) == DM_OK) {
			json_t *list = json_loadb(r.out.data ? r.out.data : "", r.out.len, 0, NULL);

			known = json_array_size(list) > 0;
			json_decref(list);
		}
		dm_err_clear();
		dm_proc_result_release(&r);
		av_release(&a);
	}
	if (!e && !known) {
		AV_ADD(&a, helm_prog(x), "repo", "update", alias);
		if ((e = run_cmd(x, c, &a, REPO_CMD_TIMEOUT_MS, &r)))
			e = cmd_fail(e, "helm repo update", &r);
		dm_proc_result_release(&r);
		av_release(&a);
	}
	pthread_mutex_unlock(&x->repo_lock);
	return e;
}

static dm_err open_k8s(run_ctx *x, dm_k8s **k)
{
	*k = NULL;
	if (!x->kcfg)
		return dm_fail(DM_ERR_CONFIG, "no Kubernetes configuration loaded");
	return dm_k8s_new(k, x->kcfg);
}

/* helm upgrade --install, its pods watched while it waits (see POD_WATCH_MS); when
 * it fails, the pods of the release that are not Ready say why. */
static dm_err run_helm_install(run_ctx *x, const dm_component *c, dm_k8s *k, argv_b *a, const dm_buf *in,
			       dm_proc_result *r)
{
	pod_watch w = { .k = k, .ns = c->ns, .release = c->release };
	dm_buf old = DM_BUF_INIT, why = DM_BUF_INIT;
	pthread_t t;
	int watching = 0;
	size_t found = 0;
	char what[256];
	dm_err e;

	w.restarts = x->o->crash_restarts ? x->o->crash_restarts : DM_RUN_CRASH_RESTARTS;
	if (c->wait && k && w.restarts > 0 && pods_before(k, c->ns, &old) == DM_OK) {
		w.old = dm_buf_str(&old);
		pthread_mutex_init(&w.m, NULL);
		pthread_cond_init(&w.cv, NULL);
		watching = pthread_create(&t, NULL, pod_watch_run, &w) == 0;
		if (!watching) {
			pthread_mutex_destroy(&w.m);
			pthread_cond_destroy(&w.cv);
		}
	}
	dm_err_clear();
	e = run_cmd_in(x, c, a, timeout_of(x, c) + 120000, in, watching ? &w.stop : NULL, r);
	if (watching) {
		/* the watch thread has its own error detail: this one's stays */
		pthread_mutex_lock(&w.m);
		w.done = 1;
		pthread_cond_signal(&w.cv);
		pthread_mutex_unlock(&w.m);
		pthread_join(t, NULL);
		pthread_mutex_destroy(&w.m);
		pthread_cond_destroy(&w.cv);
	}
	snprintf(what, sizeof(what), "helm upgrade --install %s failed", c->release);
	if (!e) {
		/* helm was done first: what the watch saw no longer matters */
	} else if (e == DM_ERR_INTERRUPTED && w.found && !dm_proc_cancelled()) {
		e = dm_fail(DM_ERR_PROC, "helm upgrade --install %s stopped: %s", c->release, w.found);
	} else if (e == DM_ERR_INTERRUPTED) {
		e = dm_fail(e, "helm upgrade --install %s was stopped", c->release);
	} else {
		char detail[1024];

		e = cmd_fail(e, what, r);
		snprintf(detail, sizeof(detail), "%s", dm_err_detail());
		if ((e == DM_ERR_PROC || e == DM_ERR_TIMEOUT) && c->wait && k &&
		    diagnose_release(k, c->ns, c->release, 0, NULL, &why, &found) == DM_OK && found)
			dm_fail(e, "%s; %s", detail, dm_buf_str(&why));
		else
			dm_fail(e, "%s", detail);
	}
	free(w.found);
	dm_buf_release(&old);
	dm_buf_release(&why);
	return e;
}

/* The values of c on a's argv: -f for each values file, --set / --set-string for
 * each set entry.  Entries that read a secret go into *secret_values (made
 * here), for helm's stdin, unless placeholders: then they are set to
 * "<secret>" as plans show them (helm template for dm-helm images). */
static dm_err helm_value_args(run_ctx *x, const dm_component *c, dm_k8s *k, argv_b *a, json_t **secret_values,
			      int placeholders)
{
	const dm_platform *p = x->p;
	dm_err e = DM_OK;

	for (size_t i = 0; i < c->n_values; i++)
		AV_ADD(a, "-f", c->values[i]);
	for (size_t i = 0; i < c->n_set; i++) {
		const dm_set_entry *s = &c->set[i];
		dm_buf b = DM_BUF_INIT, v = DM_BUF_INIT;

		if (s->secret && !placeholders) {
			if (!*secret_values && !(*secret_values = json_object()))
				return dm_nomem();
			if (x->o->dry_run)
				continue;
			e = expand(p, c, i, k, &v);
			if (!e)
				json_set_path(*secret_values, s->key, json_string(dm_buf_str(&v)));
			if (v.data)
				dm_wipe(v.data, v.len);
			dm_buf_release(&v);
			if (e)
				return e;
			continue;
		}
		if ((e = expand(p, c, i, NULL, &v))) {
			dm_buf_release(&v);
			return e;
		}
		dm_buf_printf(&b, "%s=", s->key);
		if (s->is_null)
			dm_buf_puts(&b, "null");
		else
			set_escape(&b, dm_buf_str(&v));
		if (!dm_buf_str(&b))
			a->oom = 1;
		else
			AV_ADD(a, s->quoted || s->secret ? "--set-string" : "--set", dm_buf_str(&b));
		dm_buf_release(&b);
		dm_buf_release(&v);
	}
	return DM_OK;
}

static dm_err install_helm(run_ctx *x, const dm_component *c, dm_k8s *k)
{
	argv_b a = { 0 };
	dm_proc_result r = DM_PROC_RESULT_INIT;
	char alias[200], dur[32];
	json_t *secret_values = NULL;
	dm_buf in = DM_BUF_INIT;
	dm_err e = DM_OK;

	if (c->chart_repo && (e = ensure_repo(x, c, repo_alias(alias, sizeof(alias), c->chart_repo))))
		return e;
	AV_ADD(&a, helm_prog(x), "upgrade", "--install", c->release);
	if (c->chart_repo)
		av_addf(&a, "%s/%s", alias, c->chart_name);
	else
		AV_ADD(&a, c->chart_oci ? c->chart_oci : c->chart_path);
	AV_ADD(&a, "--namespace", c->ns, "--create-namespace");
	av_opt(&a, "--version", c->version);
	if ((e = helm_value_args(x, c, k, &a, &secret_values, 0)))
		goto done;
	if (secret_values) {
		/* last, so that they win over every other values file */
		AV_ADD(&a, "-f", SECRET_VALUES_STDIN);
		if (!x->o->dry_run) {
			char *text = json_dumps(secret_values, JSON_INDENT(2));

			if (!text || dm_buf_puts(&in, text) != DM_OK || !dm_buf_str(&in)) {
				if (text)
					dm_free_secret(text);
				e = dm_nomem();
				goto done;
			}
			dm_free_secret(text);
		}
	}
	if (c->wait)
		AV_ADD(&a, "--wait");
	dm_platform_duration(dur, timeout_of(x, c));
	AV_ADD(&a, "--timeout", dur);
	helm_kube_flags(x, &a);
	if (x->o->dry_run)
		notify_command(x, c, a.v);
	else
		e = run_helm_install(x, c, k, &a, secret_values ? &in : NULL, &r);
done:
	if (in.data)
		dm_wipe(in.data, in.len);
	dm_buf_release(&in);
	dm_proc_result_release(&r);
	json_decref(secret_values);
	av_release(&a);
	return e;
}

/* kubectl apply of every entry, then the waits. */
static dm_err install_manifest(run_ctx *x, const dm_component *c)
{
	argv_b a = { 0 };
	dm_proc_result r = DM_PROC_RESULT_INIT;
	dm_buf rollouts = DM_BUF_INIT;
	char dur[32];
	dm_err e = DM_OK;
	uint64_t t = timeout_of(x, c);

	dm_platform_duration(dur, t);
	for (size_t pass = 0; pass < 2 && !e; pass++) {
		const char *const *list = pass ? c->manifests : c->kustomize;
		size_t n = pass ? c->n_manifests : c->n_kustomize;

		for (size_t i = 0; i < n && !e; i++) {
			dm_buf crds = DM_BUF_INIT;

			kubectl_on(x, &a, "apply", pass ? "-f" : "-k", list[i], c->ns);
			if (x->o->dry_run) {
				notify_command(x, c, a.v);
				av_release(&a);
				continue;
			}
			if ((e = run_cmd(x, c, &a, t + 60000, &r))) {
				e = cmd_fail(e, "kubectl apply failed", &r);
			} else {
				/* names like "customresourcedefinition.apiextensions.k8s.io/x", "deployment.apps/y" */
				char *save = NULL, *line;

				for (line = strtok_r(r.out.data, "\n", &save); line;
				     line = strtok_r(NULL, "\n", &save)) {
					if (!strncmp(line, "customresourcedefinition", 24))
						dm_buf_printf(&crds, "%s\n", line);
					else if (!strncmp(line, "deployment", 10) ||
						 !strncmp(line, "statefulset", 11) || !strncmp(line, "daemonset", 9))
						dm_buf_printf(&rollouts, "%s\n", line);
				}
			}
			dm_proc_result_release(&r);
			av_release(&a);
			if (!e && c->wait && crds.len) {
				char *save = NULL, *line;

				AV_ADD(&a, kubectl_prog(x), "wait", "--for", "condition=established");
				av_addf(&a, "--timeout=%s", dur);
				for (line = strtok_r(crds.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
					av_add(&a, line);
				kubectl_kube_flags(x, &a);
				if ((e = run_cmd(x, c, &a, t + 60000, &r)))
					e = cmd_fail(e, "waiting for CustomResourceDefinitions failed", &r);
				dm_proc_result_release(&r);
				av_release(&a);
			}
			dm_buf_release(&crds);
		}
	}
	if (!e && c->wait && rollouts.len) {
		char *save = NULL, *line;

		for (line = strtok_r(rollouts.data, "\n", &save); line && !e; line = strtok_r(NULL, "\n", &save)) {
			AV_ADD(&a, kubectl_prog(x), "rollout", "status", line, "--namespace", c->ns);
			av_addf(&a, "--timeout=%s", dur);
			kubectl_kube_flags(x, &a);
			if ((e = run_cmd(x, c, &a, t + 60000, &r)))
				e = cmd_fail(e, "waiting for the rollout failed", &r);
			dm_proc_result_release(&r);
			av_release(&a);
		}
	}
	dm_buf_release(&rollouts);
	av_release(&a);
	return e;
}

static dm_err do_install(run_ctx *x, const dm_component *c)
{
	dm_k8s *k = NULL;
	dm_err e = DM_OK;

	/* the namespace is created through the API (so that dm's label marks it as
	 * dm's: --delete-namespace deletes no other), before helm's
	 * --create-namespace, which then finds it */
	if (!x->o->dry_run) {
		if ((e = open_k8s(x, &k)))
			return e;
		if ((e = dm_k8s_ensure_namespace(k, c->ns)))
			goto done;
	}
	for (size_t i = 0; i < c->n_secrets; i++) {
		gen_secret_done did = GEN_SECRET_KEPT;

		if (x->o->dry_run)
			continue;
		if ((e = ensure_gen_secret(k, c->ns, &c->secrets[i], &did)))
			goto done;
		if (did == GEN_SECRET_CREATED)
			dm_info("%s: Secret '%s' created in namespace '%s' (%zu keys)", c->name, c->secrets[i].name,
				c->ns, c->secrets[i].n_keys);
		else if (did == GEN_SECRET_KEYS_ADDED)
			dm_info("%s: missing keys added to Secret '%s'", c->name, c->secrets[i].name);
		else
			dm_debug("%s: Secret '%s' exists, kept as it is", c->name, c->secrets[i].name);
	}
	if (dm_proc_cancelled()) {
		e = dm_fail(DM_ERR_INTERRUPTED, "stopped before %s ran",
			    c->kind == DM_COMPONENT_HELM ? "helm" : "kubectl");
		goto done;
	}
	e = c->kind == DM_COMPONENT_HELM ? install_helm(x, c, k) : install_manifest(x, c);
done:
	dm_k8s_free(k);
	return e;
}

/* ---- images --------------------------------------------------------------------------------- */

/* Runs a (helm template, kubectl kustomize) and adds the images of its output to res. */
static dm_err images_of_command(run_ctx *x, const dm_component *c, argv_b *a, const char *what, dm_run_result *res,
				size_t *n)
{
	dm_proc_result r = DM_PROC_RESULT_INIT;
	dm_err e;

	if (!(e = run_cmd(x, c, a, REPO_CMD_TIMEOUT_MS, &r)))
		e = dm_images_from_yaml(&res->images, n, r.out.data ? r.out.data : "", r.out.len, what);
	else
		e = cmd_fail(e, what, &r);
	dm_proc_result_release(&r);
	return e;
}

static dm_err do_images(run_ctx *x, const dm_component *c, dm_run_result *res)
{
	argv_b a = { 0 };
	json_t *unused = NULL;
	char what[512];
	size_t n = 0;
	dm_err e = DM_OK;

	if (c->kind == DM_COMPONENT_HELM) {
		/* --repo, not helm repo add: the user's repositories stay as they are */
		AV_ADD(&a, helm_prog(x), "template", c->release);
		if (c->chart_repo)
			AV_ADD(&a, c->chart_name, "--repo", c->chart_repo);
		else
			AV_ADD(&a, c->chart_oci ? c->chart_oci : c->chart_path);
		AV_ADD(&a, "--namespace", c->ns);
		av_opt(&a, "--version", c->version);
		if (!(e = helm_value_args(x, c, NULL, &a, &unused, 1))) {
			snprintf(what, sizeof(what), "helm template %s (%s%s%s) failed", c->release,
				 c->chart_path ? "chart " : "cannot render the chart without fetching ",
				 c->chart_path   ? c->chart_path
				 : c->chart_repo ? c->chart_repo
						 : c->chart_oci,
				 c->chart_path ? "" : ": offline?");
			e = images_of_command(x, c, &a, what, res, &n);
		}
		av_release(&a);
		json_decref(unused);
		return e;
	}
	for (size_t i = 0; i < c->n_manifests && !e; i++) {
		char *text = NULL;
		size_t len = 0;

		if (dm_path_is_url(c->manifests[i]))
			return dm_fail(DM_ERR_UNSUPPORTED, "manifest '%s' is a URL: images reads local files only",
				       c->manifests[i]);
		if (!(e = dm_read_file(&text, &len, c->manifests[i])))
			e = dm_images_from_yaml(&res->images, &n, text, len, c->manifests[i]);
		free(text);
	}
	for (size_t i = 0; i < c->n_kustomize && !e; i++) {
		AV_ADD(&a, kubectl_prog(x), "kustomize", c->kustomize[i]);
		snprintf(what, sizeof(what), "kubectl kustomize %s failed%s", c->kustomize[i],
			 dm_path_is_url(c->kustomize[i]) ? " (it fetches the URL: offline?)" : "");
		e = images_of_command(x, c, &a, what, res, &n);
		av_release(&a);
	}
	return e;
}

static dm_err do_uninstall(run_ctx *x, const dm_component *c)
{
	argv_b a = { 0 };
	dm_proc_result r = DM_PROC_RESULT_INIT;
	char dur[32];
	dm_err e = DM_OK;

	dm_platform_duration(dur, timeout_of(x, c));
	if (c->kind == DM_COMPONENT_HELM) {
		AV_ADD(&a, helm_prog(x), "uninstall", c->release, "--namespace", c->ns);
		if (c->wait)
			AV_ADD(&a, "--wait");
		AV_ADD(&a, "--timeout", dur);
		helm_kube_flags(x, &a);
		if (x->o->dry_run) {
			notify_command(x, c, a.v);
		} else if ((e = run_cmd(x, c, &a, timeout_of(x, c) + 60000, &r))) {
			char line[1024];

			dm_proc_last_line(line, sizeof(line), &r.err);
			if (strstr(line, "not found")) {
				dm_err_clear();
				e = DM_OK;
				dm_info("%s: release '%s' is not installed", c->name, c->release);
			} else {
				e = cmd_fail(e, "helm uninstall failed", &r);
			}
		}
		dm_proc_result_release(&r);
		av_release(&a);
		return e;
	}
	/* manifests: the entries in reverse order, manifests before kustomize */
	for (int pass = 1; pass >= 0 && !e; pass--) {
		const char *const *list = pass ? c->manifests : c->kustomize;
		size_t n = pass ? c->n_manifests : c->n_kustomize;

		for (size_t i = n; i-- > 0 && !e;) {
			AV_ADD(&a, kubectl_prog(x), "delete", pass ? "-f" : "-k", list[i], "--namespace", c->ns,
			       "--ignore-not-found");
			av_addf(&a, "--timeout=%s", dur);
			kubectl_kube_flags(x, &a);
			if (x->o->dry_run)
				notify_command(x, c, a.v);
			else if ((e = run_cmd(x, c, &a, timeout_of(x, c) + 60000, &r)))
				e = cmd_fail(e, "kubectl delete failed", &r);
			dm_proc_result_release(&r);
			av_release(&a);
		}
	}
	return e;
}

static char *dup_json_str(json_t *v)
{
	const char *s = json_string_value(v);

	return s ? strdup(s) : NULL;
}

static dm_err do_status(run_ctx *x, const dm_component *c, dm_run_result *res)
{
	argv_b a = { 0 };
	dm_proc_result r = DM_PROC_RESULT_INIT;
	dm_err e = DM_OK;

	if (c->kind == DM_COMPONENT_HELM) {
		AV_ADD(&a, helm_prog(x), "status", c->release, "--namespace", c->ns, "-o", "json");
		helm_kube_flags(x, &a);
		if (x->o->dry_run) {
			notify_command(x, c, a.v);
			goto done;
		}
		e = run_cmd(x, c, &a, REPO_CMD_TIMEOUT_MS, &r);
		if (e == DM_ERR_PROC && strstr(dm_buf_str(&r.err), "not found")) {
			dm_err_clear();
			res->status = strdup("not installed");
			e = dm_fail(DM_ERR_NOTFOUND, "release '%s' is not installed in namespace '%s'", c->release,
				    c->ns);
		} else if (e) {
			e = cmd_fail(e, "helm status failed", &r);
		} else {
			json_t *root = json_loadb(r.out.data ? r.out.data : "", r.out.len, 0, NULL);
			json_t *info = json_object_get(root, "info");
			json_t *meta = json_object_get(json_object_get(root, "chart"), "metadata");
			const char *cn = json_string_value(json_object_get(meta, "name"));
			const char *cv = json_string_value(json_object_get(meta, "version"));

			if (!root) {
				e = dm_fail(DM_ERR_PARSE, "helm status printed no JSON");
			} else {
				res->status = dup_json_str(json_object_get(info, "status"));
				res->updated = dup_json_str(json_object_get(info, "last_deployed"));
				res->revision = (int)json_integer_value(json_object_get(root, "version"));
				if (cn && asprintf(&res->chart, "%s-%s", cn, cv ? cv : "") < 0)
					res->chart = NULL;
				res->raw_json = strdup(dm_buf_str(&r.out));
				if (!res->status || strcmp(res->status, "deployed") != 0)
					e = dm_fail(DM_ERR_PROC, "release '%s' is %s", c->release,
						    res->status ? res->status : "in an unknown state");
			}
			json_decref(root);
		}
		goto done;
	}
	for (int pass = 0; pass < 2 && !e; pass++) {
		const char *const *list = pass ? c->manifests : c->kustomize;
		size_t n = pass ? c->n_manifests : c->n_kustomize;

		for (size_t i = 0; i < n && !e; i++) {
			kubectl_on(x, &a, "get", pass ? "-f" : "-k", list[i], c->ns);
			if (x->o->dry_run)
				notify_command(x, c, a.v);
			else if ((e = run_cmd(x, c, &a, REPO_CMD_TIMEOUT_MS, &r)))
				e = strstr(dm_buf_str(&r.err), "NotFound") || strstr(dm_buf_str(&r.err), "not found")
					    ? dm_fail(DM_ERR_NOTFOUND, "not applied (%s)", list[i])
					    : cmd_fail(e, "kubectl get failed", &r);
			dm_proc_result_release(&r);
			av_release(&a);
		}
	}
	if (!x->o->dry_run)
		res->status = strdup(e == DM_ERR_NOTFOUND ? "not installed" : e ? "unknown" : "applied");
done:
	dm_proc_result_release(&r);
	av_release(&a);
	return e;
}

/* ---- scheduling --------------------------------------------------------------------------- */

/* Must i wait for j?  install: i needs j; uninstall: j needs i. */
static int depends(const run_ctx *x, size_t i, size_t j)
{
	const dm_component *a = x->res[i].component, *b = x->res[j].component;

	if (x->action == DM_ACTION_INSTALL || x->action == DM_ACTION_PLAN) {
		for (size_t k = 0; k < a->n_needs; k++) {
			if (!strcmp(a->needs[k], b->name))
				return 1;
		}
	} else if (x->action == DM_ACTION_UNINSTALL) {
		for (size_t k = 0; k < b->n_needs; k++) {
			if (!strcmp(b->needs[k], a->name))
				return 1;
		}
	}
	return 0;
}

static void *worker(void *arg)
{
	job *jb = arg;
	run_ctx *x = jb->x;
	dm_run_result *res = &x->res[jb->i];
	const dm_component *c = res->component;
	double t0 = dm_now();
	dm_err e;

	if (x->o->on_component) {
		pthread_mutex_lock(&x->cb_lock);
		x->o->on_component(x->o->ud, c, NULL);
		pthread_mutex_unlock(&x->cb_lock);
	}
	dm_err_clear();
	switch (x->action) {
	case DM_ACTION_PLAN:
	case DM_ACTION_INSTALL: e = do_install(x, c); break;
	case DM_ACTION_UNINSTALL: e = do_uninstall(x, c); break;
	case DM_ACTION_IMAGES: e = do_images(x, c, res); break;
	default: e = do_status(x, c, res); break;
	}
	pthread_mutex_lock(&x->lock);
	res->seconds = dm_now() - t0;
	res->outcome = !e ? DM_OUTCOME_OK : e == DM_ERR_INTERRUPTED ? DM_OUTCOME_INTERRUPTED : DM_OUTCOME_FAILED;
	if (e)
		res->detail = strdup(dm_err_detail()[0] ? dm_err_detail() : dm_strerror(e));
	pthread_mutex_unlock(&x->lock);
	if (x->o->on_component) {
		pthread_mutex_lock(&x->cb_lock);
		x->o->on_component(x->o->ud, c, res);
		pthread_mutex_unlock(&x->cb_lock);
	}
	pthread_mutex_lock(&x->lock);
	x->state[jb->i] = JOB_DONE;
	x->running--;
	pthread_cond_broadcast(&x->cond);
	pthread_mutex_unlock(&x->lock);
	free(jb);
	return NULL;
}

/* Marks as skipped every waiting component that depends on a failed or skipped one. */
static void skip_dependents(run_ctx *x)
{
	int changed;

	if (x->action != DM_ACTION_INSTALL && x->action != DM_ACTION_PLAN)
		return;
	do {
		changed = 0;
		for (size_t i = 0; i < x->n; i++) {
			if (x->state[i] != JOB_WAITING)
				continue;
			for (size_t j = 0; j < x->n; j++) {
				if (x->state[j] == JOB_DONE &&
				    (x->res[j].outcome == DM_OUTCOME_FAILED ||
				     x->res[j].outcome == DM_OUTCOME_SKIPPED) &&
				    depends(x, i, j)) {
					char *d = NULL;

					if (asprintf(&d, "skipped: needs '%s', which %s", x->res[j].component->name,
						     x->res[j].outcome == DM_OUTCOME_FAILED ? "failed"
											    : "was skipped") < 0)
						d = NULL;
					x->res[i].outcome = DM_OUTCOME_SKIPPED;
					x->res[i].detail = d;
					x->state[i] = JOB_DONE;
					changed = 1;
					if (x->o->on_component) {
						pthread_mutex_lock(&x->cb_lock);
						x->o->on_component(x->o->ud, x->res[i].component, &x->res[i]);
						pthread_mutex_unlock(&x->cb_lock);
					}
					break;
				}
			}
		}
	} while (changed);
}

static dm_err schedule(run_ctx *x)
{
	size_t jobs = x->o->jobs > 0 ? (size_t)x->o->jobs : 1;
	pthread_t *threads = calloc(x->n + 1, sizeof(*threads));
	size_t nthreads = 0;
	dm_err e = DM_OK;

	if (!threads)
		return dm_nomem();
	pthread_mutex_lock(&x->lock);
	for (;;) {
		size_t done = 0;
		int launched = 0;

		skip_dependents(x);
		for (size_t s = 0; s < x->n; s++)
			done += x->state[s] == JOB_DONE;
		/* interrupted: what runs ends (its child stopped), nothing else starts */
		if (done == x->n || dm_proc_cancelled())
			break;
		/* in the action's order: the first waiting component whose predecessors are done */
		for (size_t s = 0; s < x->n && x->running < jobs; s++) {
			size_t i = x->seq[s];
			int ready = x->state[i] == JOB_WAITING;
			job *jb;

			for (size_t j = 0; ready && j < x->n; j++) {
				if (j != i && x->state[j] != JOB_DONE && depends(x, i, j))
					ready = 0;
			}
			/* with --jobs 1 the order is exactly the sequence */
			if (!ready) {
				if (jobs == 1 && x->state[i] == JOB_WAITING)
					break;
				continue;
			}
			jb = malloc(sizeof(*jb));
			if (!jb) {
				e = dm_nomem();
				goto stop;
			}
			jb->x = x;
			jb->i = i;
			x->state[i] = JOB_RUNNING;
			x->running++;
			if (pthread_create(&threads[nthreads], NULL, worker, jb) != 0) {
				x->state[i] = JOB_WAITING;
				x->running--;
				free(jb);
				e = dm_fail(DM_ERR_NOMEM, "cannot start a thread");
				goto stop;
			}
			nthreads++;
			launched = 1;
		}
		if (!launched && x->running == 0) {
			e = dm_fail(DM_ERR_INVALID, "no component can start (dependency error)");
			break;
		}
		pthread_cond_wait(&x->cond, &x->lock);
	}
stop:
	while (x->running > 0)
		pthread_cond_wait(&x->cond, &x->lock);
	pthread_mutex_unlock(&x->lock);
	for (size_t t = 0; t < nthreads; t++)
		pthread_join(threads[t], NULL);
	free(threads);
	return e;
}

/* ---- --delete-namespace ------------------------------------------------------------------ */

/* Is i the first component in namespace ns (each namespace is handled once)? */
static int first_in_ns(const run_ctx *x, size_t i)
{
	for (size_t j = 0; j < i; j++) {
		if (!strcmp(x->res[j].component->ns, x->res[i].component->ns))
			return 0;
	}
	return 1;
}

/* Is release rel one of the helm components of this run in namespace ns? */
static int uninstalling(const run_ctx *x, const char *ns, const char *rel)
{
	for (size_t i = 0; i < x->n; i++) {
		const dm_component *c = x->res[i].component;

		if (c->kind == DM_COMPONENT_HELM && !strcmp(c->ns, ns) && !strcmp(c->release, rel))
			return 1;
	}
	return 0;
}

/* GET path as JSON; *out NULL on 404. */
static dm_err api_get_json(dm_k8s *k, const char *path, const char *resource, const char *name, const char *ns,
			   json_t **out)
{
	char *reply = NULL;
	long status = 0;
	dm_err e;

	*out = NULL;
	if ((e = dm_k8s_request(k, "GET", path, NULL, &status, &reply)))
		return e;
	if (status == 200 && !(*out = json_loads(reply, 0, NULL)))
		e = dm_fail(DM_ERR_PARSE, "the API server's reply to GET %s is not JSON", path);
	else if (status != 200 && status != 404)
		e = dm_k8s_status_fail(k, status, reply, status == 404 ? "get" : "list", resource, name, ns);
	free(reply);
	return e;
}

/* Before anything is uninstalled: namespace ns may go only if dm created it
 * (its label) and no Helm release of a component that stays lives in it (a
 * release is stored as Secrets, or ConfigMaps, labelled owner=helm). */
static dm_err ns_precheck(run_ctx *x, dm_k8s *k, const char *ns)
{
	static const char *const stores[] = { "secrets", "configmaps" };
	char path[512];
	json_t *nsobj = NULL;
	const char *mark;
	dm_buf others = DM_BUF_INIT;
	size_t n_others = 0;
	dm_err e;

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s", ns);
	if ((e = api_get_json(k, path, "namespaces", ns, NULL, &nsobj)) || !nsobj)
		return e; /* none: nothing to delete */
	mark = json_string_value(
		json_object_get(json_object_get(json_object_get(nsobj, "metadata"), "labels"), DM_MANAGED_LABEL));
	if (!mark || strcmp(mark, "dm") != 0) {
		json_decref(nsobj);
		return dm_fail_hint(DM_ERR_INVALID, DM_HINT_DELETE_NAMESPACE, 0,
				    "namespace '%s' was not created by dm (no label %s=dm)", ns, DM_MANAGED_LABEL);
	}
	json_decref(nsobj);
	for (size_t s = 0; s < 2 && !e; s++) {
		json_t *list = NULL, *it;
		size_t i;

		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/%s?labelSelector=owner%%3Dhelm", ns, stores[s]);
		if ((e = api_get_json(k, path, stores[s], NULL, ns, &list)))
			break;
		json_array_foreach(json_object_get(list, "items"), i, it)
		{
			const char *rel = json_string_value(
				json_object_get(json_object_get(json_object_get(it, "metadata"), "labels"), "name"));
			char quoted[300];

			if (!rel || uninstalling(x, ns, rel))
				continue;
			snprintf(quoted, sizeof(quoted), "'%s'", rel);
			/* one line per release, whatever its revisions */
			if (!strstr(dm_buf_str(&others) ? dm_buf_str(&others) : "", quoted)) {
				dm_buf_printf(&others, "%s%s", n_others ? ", " : "", quoted);
				n_others++;
			}
		}
		json_decref(list);
	}
	if (!e && n_others)
		e = dm_fail_hint(DM_ERR_INVALID, DM_HINT_DELETE_NAMESPACE, 0,
				 "namespace '%s' still holds Helm release%s %s, which %s not being uninstalled", ns,
				 n_others > 1 ? "s" : "", dm_buf_str(&others), n_others > 1 ? "are" : "is");
	dm_buf_release(&others);
	return e;
}

/* Is item one that dm made, or one Kubernetes makes in every namespace, or on its way
 * out (being deleted, or owned by an object that is)? */
static int ns_item_ours(const char *kind, json_t *item)
{
	json_t *md = json_object_get(item, "metadata");
	const char *name = json_string_value(json_object_get(md, "name"));
	const char *mark = json_string_value(json_object_get(json_object_get(md, "labels"), DM_MANAGED_LABEL));
	const char *type = json_string_value(json_object_get(item, "type"));

	if ((mark && !strcmp(mark, "dm")) || json_object_get(md, "deletionTimestamp") ||
	    json_array_size(json_object_get(md, "ownerReferences")) > 0 || !name || !kind)
		return 1;
	if (!strcmp(kind, "Event") || !strcmp(kind, "Endpoints") || !strcmp(kind, "EndpointSlice"))
		return 1;
	if (!strcmp(kind, "ConfigMap") && !strcmp(name, "kube-root-ca.crt"))
		return 1;
	if (!strcmp(kind, "ServiceAccount") && !strcmp(name, "default"))
		return 1;
	return !strcmp(kind, "Secret") && type && !strcmp(type, "kubernetes.io/service-account-token");
}

/* The kinds kubectl can list in a namespace, comma-separated (kubectl api-resources). */
static dm_err ns_kinds(run_ctx *x, dm_buf *kinds)
{
	argv_b a = { 0 };
	dm_proc_result r = DM_PROC_RESULT_INIT;
	char *save = NULL, *line;
	dm_err e;

	AV_ADD(&a, kubectl_prog(x), "api-resources", "--verbs=list", "--namespaced", "-o", "name");
	kubectl_kube_flags(x, &a);
	e = run_cmd(x, NULL, &a, REPO_CMD_TIMEOUT_MS, &r);
	/* an aggregated API that is down (metrics) fails the listing of its group alone */
	if (e == DM_ERR_PROC && r.out.len) {
		dm_debug("kubectl api-resources: %s", dm_err_detail());
		e = DM_OK;
	}
	if (e) {
		e = cmd_fail(e, "kubectl api-resources failed", &r);
	} else {
		for (line = strtok_r(r.out.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			/* derived, or not objects at all */
			if (!strcmp(line, "events") || !strcmp(line, "events.events.k8s.io") ||
			    strstr(line, ".metrics.k8s.io") ||
			    !strcmp(line, "localsubjectaccessreviews.authorization.k8s.io"))
				continue;
			dm_buf_printf(kinds, "%s%s", kinds->len ? "," : "", line);
		}
		if (!kinds->len)
			e = dm_fail(DM_ERR_PROC, "kubectl api-resources listed no kinds");
	}
	dm_proc_result_release(&r);
	av_release(&a);
	return e;
}

/* After the uninstall, just before the delete: every object left in ns is dm's
 * (its generated Secrets) or Kubernetes' own; anything else keeps the namespace. */
static dm_err ns_postcheck(run_ctx *x, const char *ns, const char *kinds)
{
	argv_b a = { 0 };
	dm_proc_result r = DM_PROC_RESULT_INIT;
	dm_buf left = DM_BUF_INIT;
	size_t n_left = 0, i;
	json_t *list, *it;
	dm_err e;

	AV_ADD(&a, kubectl_prog(x), "get", kinds, "--namespace", ns, "-o", "json");
	kubectl_kube_flags(x, &a);
	if ((e = run_cmd(x, NULL, &a, REPO_CMD_TIMEOUT_MS, &r))) {
		char what[300];

		snprintf(what, sizeof(what), "namespace '%s' not deleted: cannot list what it holds", ns);
		e = cmd_fail(e, what, &r);
		goto done;
	}
	list = json_loadb(r.out.data ? r.out.data : "", r.out.len, 0, NULL);
	if (!list) {
		e = dm_fail(DM_ERR_PARSE, "namespace '%s' not deleted: kubectl get printed no JSON", ns);
		goto done;
	}
	json_array_foreach(json_object_get(list, "items"), i, it)
	{
		const char *kind = json_string_value(json_object_get(it, "kind"));
		const char *name = json_string_value(json_object_get(json_object_get(it, "metadata"), "name"));

		if (ns_item_ours(kind, it))
			continue;
		if (n_left < 5)
			dm_buf_printf(&left, "%s%s/%s", n_left ? ", " : "", kind, name);
		n_left++;
	}
	json_decref(list);
	if (n_left)
		e = dm_fail(DM_ERR_INVALID,
			    "namespace '%s' not deleted: it holds %zu object%s that dm did not create: "
			    "%s%s",
			    ns, n_left, n_left > 1 ? "s" : "", dm_buf_str(&left), n_left > 5 ? ", ..." : "");
done:
	dm_buf_release(&left);
	dm_proc_result_release(&r);
	av_release(&a);
	return e;
}

/* Deletes the namespaces of the components (after uninstall), each after its
 * post-check.  Each namespace that stays is one error line; the last is returned
 * (the tool prints it), the others are logged. */
static dm_err delete_namespaces(run_ctx *x)
{
	dm_buf kinds = DM_BUF_INIT;
	dm_err last = DM_OK;

	if (!x->o->dry_run && (last = ns_kinds(x, &kinds))) {
		dm_buf_release(&kinds);
		return last;
	}
	for (size_t i = 0; i < x->n; i++) {
		const char *ns = x->res[i].component->ns;
		argv_b a = { 0 };
		dm_proc_result r = DM_PROC_RESULT_INIT;
		dm_err e = DM_OK;

		if (!first_in_ns(x, i))
			continue;
		AV_ADD(&a, kubectl_prog(x), "delete", "namespace", ns, "--ignore-not-found", "--wait=false");
		kubectl_kube_flags(x, &a);
		if (x->o->dry_run) {
			notify_command(x, NULL, a.v);
		} else if (!(e = ns_postcheck(x, ns, dm_buf_str(&kinds))) &&
			   (e = run_cmd(x, NULL, &a, REPO_CMD_TIMEOUT_MS, &r))) {
			e = cmd_fail(e, "kubectl delete namespace failed", &r);
		}
		if (e) {
			if (last)
				dm_error("%s", x->last_detail);
			last = e;
			snprintf(x->last_detail, sizeof(x->last_detail), "%s", dm_err_detail());
		}
		dm_proc_result_release(&r);
		av_release(&a);
	}
	dm_buf_release(&kinds);
	if (last)
		dm_fail(last, "%s", x->last_detail);
	return last;
}

/* The pre-checks of every namespace, before anything is uninstalled. */
static dm_err precheck_namespaces(run_ctx *x)
{
	dm_k8s *k = NULL;
	dm_err e;

	if ((e = open_k8s(x, &k)))
		return e;
	for (size_t i = 0; i < x->n && !e; i++) {
		if (first_in_ns(x, i))
			e = ns_precheck(x, k, x->res[i].component->ns);
	}
	dm_k8s_free(k);
	return e;
}

/* ---- the GPU check before an install -------------------------------------------------------- */

/* "C (profile P) needs a GPU node for image I (CUDA X.Y)" */
static void gpu_need_text(dm_buf *b, const dm_component *c, const dm_gpu_need *g, const dm_gpu_verdict *v)
{
	dm_buf_puts(b, c->name);
	if (g && g->profile)
		dm_buf_printf(b, " (profile %s)", g->profile);
	dm_buf_puts(b, " needs a GPU node");
	if (g && g->image)
		dm_buf_printf(b, " for image '%s'", g->image);
	if (v && v->cuda_major)
		dm_buf_printf(b, " (CUDA %d.%d)", v->cuda_major, v->cuda_minor);
}

/* Checks one need of c against the nodes: DM_OK with *ok set, or an error (unknown image). */
static dm_err gpu_check_need(run_ctx *x, const dm_gpu_cluster *cl, const dm_component *c, const dm_gpu_need *g,
			     dm_buf *why, int *ok)
{
	dm_gpu_check_opts co = DM_GPU_CHECK_OPTS_INIT;
	dm_gpu_image *img = NULL;
	dm_gpu_verdict *v = NULL;
	dm_buf line = DM_BUF_INIT;
	dm_err e;

	*ok = 0;
	if (g && g->image) {
		if (!x->o->gpu_images)
			return dm_fail(DM_ERR_CONFIG, "no GPU image table to look image '%s' up in", g->image);
		if ((e = dm_gpu_images_find(&img, x->o->gpu_images, g->image)) == DM_ERR_NOTFOUND)
			return dm_fail(DM_ERR_CONFIG,
				       "%s:%u:%u: component '%s': image '%s' is not in dm-gpu's image table, so the "
				       "CUDA version it needs is unknown: add it to k8s/gpu-images.yaml",
				       g->file, g->line, g->col, c->name, g->image);
		if (e)
			return e;
		co.image = img;
	}
	co.label.node_check = x->o->gpu_node_check;
	if ((e = dm_gpu_check_cluster(&v, cl, &co)))
		goto done;
	gpu_need_text(&line, c, g, v);
	*ok = v->ready;
	for (size_t i = 0; i < v->n_reasons; i++) {
		const dm_gpu_reason *r = &v->reasons[i];

		if (r->severity == DM_GPU_WARNING)
			dm_warn("%s: [%s] %s", dm_buf_str(&line), r->code, r->message);
		else
			dm_buf_printf(why, "%s%s: [%s] %s", why->len ? "; " : "", dm_buf_str(&line), r->code,
				      r->message);
	}
	if (v->ready)
		dm_info("%s: GPU check passed: %d nvidia.com/gpu on nodes that can run it", dm_buf_str(&line),
			v->ready_devices);
	if (!dm_buf_str(why) && !v->ready)
		e = dm_nomem();
done:
	dm_buf_release(&line);
	dm_gpu_verdict_free(v);
	dm_gpu_image_free(img);
	return e;
}

/* Before anything of an install runs: every component that requires a GPU is
 * checked against the cluster's nodes; one that does not pass stops the whole
 * install (nothing half-made is left, the other components included). */
static dm_err gpu_gate(run_ctx *x)
{
	dm_gpu_cluster *cl = NULL;
	dm_buf all = DM_BUF_INIT;
	dm_k8s *k = NULL;
	size_t gated = 0, refused = 0;
	dm_err e = DM_OK;

	for (size_t i = 0; i < x->n; i++)
		gated += x->res[i].component->requires_gpu != 0;
	if (!gated)
		return DM_OK;
	if (x->o->skip_gpu_check) {
		for (size_t i = 0; i < x->n; i++) {
			if (x->res[i].component->requires_gpu)
				dm_warn("%s: needs a GPU node: not checked, as asked", x->res[i].component->name);
		}
		return DM_OK;
	}
	if ((e = open_k8s(x, &k)))
		return e;
	if ((e = dm_gpu_cluster_read(&cl, k))) {
		char detail[1024];

		snprintf(detail, sizeof(detail), "%s", dm_err_detail());
		e = dm_fail_hint(e, DM_HINT_SKIP_GPU_CHECK, 0,
				 "cannot read the nodes to check the GPUs that %zu component%s need: %s", gated,
				 gated == 1 ? "" : "s", detail);
		goto done;
	}
	for (size_t i = 0; i < x->n && !e; i++) {
		const dm_component *c = x->res[i].component;
		dm_buf why = DM_BUF_INIT;
		int ok = 1;

		if (!c->requires_gpu)
			continue;
		for (size_t j = 0; j < (c->n_gpu ? c->n_gpu : 1) && !e; j++) {
			int one = 0;

			e = gpu_check_need(x, cl, c, c->n_gpu ? &c->gpu[j] : NULL, &why, &one);
			ok &= one;
		}
		if (!e && !ok) {
			refused++;
			x->res[i].outcome = DM_OUTCOME_FAILED;
			x->res[i].detail = strdup(dm_buf_str(&why) ? dm_buf_str(&why) : "no GPU node");
			dm_buf_printf(&all, "%s%s", all.len ? "; " : "", dm_buf_str(&why) ? dm_buf_str(&why) : "");
		}
		dm_buf_release(&why);
	}
	if (!e && refused)
		e = dm_fail_hint(DM_ERR_UNSUPPORTED, DM_HINT_SKIP_GPU_REFUSED, (unsigned long long)refused,
				 "%s; nothing was installed", dm_buf_str(&all) ? dm_buf_str(&all) : "");
done:
	dm_buf_release(&all);
	dm_gpu_cluster_free(cl);
	dm_k8s_free(k);
	return e;
}

dm_err dm_platform_run(const dm_platform *p, dm_action action, const dm_run_opts *o, dm_run_result **results)
{
	run_ctx x;
	dm_err e = DM_OK;
	int need_api = 0;
	size_t failed = 0;

	*results = NULL;
	memset(&x, 0, sizeof(x));
	x.p = p;
	x.action = action;
	x.o = o;
	x.n = dm_platform_count(p);
	x.res = calloc(x.n + 1, sizeof(*x.res));
	x.seq = calloc(x.n + 1, sizeof(*x.seq));
	x.state = calloc(x.n + 1, sizeof(*x.state));
	if (!x.res || !x.seq || !x.state) {
		free(x.res);
		free(x.seq);
		free(x.state);
		return dm_nomem();
	}
	pthread_mutex_init(&x.lock, NULL);
	pthread_mutex_init(&x.cb_lock, NULL);
	pthread_mutex_init(&x.repo_lock, NULL);
	pthread_cond_init(&x.cond, NULL);
	for (size_t i = 0; i < x.n; i++) {
		x.res[i].component = dm_platform_at(p, i);
		x.seq[i] = action == DM_ACTION_UNINSTALL ? x.n - 1 - i : i;
	}
	/* every install creates its namespace through the API (do_install) */
	need_api = action == DM_ACTION_INSTALL && x.n > 0;
	if (action == DM_ACTION_PLAN) {
		/* plans never run anything */
		dm_run_opts po = *o;

		po.dry_run = 1;
		x.o = o = &po;
		e = schedule(&x);
		x.o = NULL;
		goto out;
	}
	if (action == DM_ACTION_UNINSTALL && o->delete_namespace)
		need_api = 1;
	if (need_api && !o->dry_run) {
		dm_k8s_opts ko = DM_K8S_OPTS_INIT;

		ko.kubeconfig = o->kubeconfig;
		ko.context = o->context;
		if ((e = dm_k8s_config_load(&x.kcfg, &ko)))
			goto out;
	}
	/* nothing is installed when a component cannot have the GPU it needs */
	if (action == DM_ACTION_INSTALL && !o->dry_run && (e = gpu_gate(&x)))
		goto out;
	/* nothing is uninstalled when a namespace would have to stay */
	if (action == DM_ACTION_UNINSTALL && o->delete_namespace && !o->dry_run && (e = precheck_namespaces(&x)))
		goto out;
	e = schedule(&x);
	for (size_t i = 0; i < x.n; i++)
		failed += x.res[i].outcome != DM_OUTCOME_OK;
	if (!e && dm_proc_cancelled())
		e = dm_fail(DM_ERR_INTERRUPTED, "interrupted");
	/* a component that is still there keeps its namespace */
	if (!e && !failed && action == DM_ACTION_UNINSTALL && o->delete_namespace)
		e = delete_namespaces(&x);
out:
	if (!e && dm_proc_cancelled())
		e = dm_fail(DM_ERR_INTERRUPTED, "interrupted");
	failed = 0;
	for (size_t i = 0; i < x.n; i++)
		failed += x.res[i].outcome != DM_OUTCOME_OK;
	if (!e && failed)
		e = dm_fail(DM_ERR_PARTIAL, "%zu of %zu components failed or were skipped", failed, x.n);
	dm_k8s_config_free(x.kcfg);
	pthread_mutex_destroy(&x.lock);
	pthread_mutex_destroy(&x.cb_lock);
	pthread_mutex_destroy(&x.repo_lock);
	pthread_cond_destroy(&x.cond);
	free(x.seq);
	free(x.state);
	*results = x.res;
	return e;
}

void dm_platform_programs(const dm_platform *p, int delete_namespace, int *helm, int *kubectl)
{
	*helm = 0;
	*kubectl = delete_namespace != 0; /* kubectl delete namespace */
	for (size_t i = 0; i < dm_platform_count(p); i++) {
		if (dm_platform_at(p, i)->kind == DM_COMPONENT_HELM)
			*helm = 1;
		else
			*kubectl = 1;
	}
}

void dm_run_results_free(dm_run_result *results, size_t n)
{
	if (!results)
		return;
	for (size_t i = 0; i < n; i++) {
		free(results[i].detail);
		free(results[i].status);
		free(results[i].chart);
		free(results[i].updated);
		free(results[i].raw_json);
		dm_strv_free(results[i].images);
	}
	free(results);
}
