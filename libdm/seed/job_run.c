/* libdm/seed/job_run.c - dm-seed --k8s-job N --apply (see dm/seed.h): create the Jobs,
 * follow their pods, read each shard's summary from its pod's log.
 *
 * The Jobs and pods are followed by polling their lists (one label selector names the
 * run's): a watch would save a request a second but needs a reconnect and resync logic
 * of its own, for runs that last minutes.  A pod is judged by what it says of itself
 * (phase, exit code, waiting reason); a shard by its Job (per-shard form) or by the
 * completed indexes of the one Job (Indexed form), so a shard is done only when
 * Kubernetes says so.  Pods restart Never (job.c): every pod that failed keeps its log,
 * and the last one holds the summary of the shard's last try. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <dm/k8s.h>
#include <dm/seed.h>
#include <dm/util.h>

#include "job.h"

#define BATCH "apis/batch/v1"
#define INDEX_ANNOTATION "batch.kubernetes.io/job-completion-index"
/* how often, and how far apart, a log without its summary is read again */
#define LOG_TRIES 20
#define LOG_WAIT_MS 500

static volatile sig_atomic_t cancelled;

void dm_seed_job_cancel(void)
{
	cancelled = 1;
}

typedef struct {
	char *name;
	unsigned shard;
	int ended;     /* Succeeded or Failed seen */
	int gone;      /* reported gone */
	char *waiting; /* the waiting reason last reported */
	int seen;      /* in the last listing */
} pod_seen;

typedef struct {
	dm_seed_shard_state state;
	int done_told;      /* DM_SEED_SHARD_DONE told (once its pod is known, or at the end) */
	char *ok_pod;       /* the pod that succeeded */
	char *failed_pod;   /* the latest pod that failed */
	char failed_at[40]; /* its creationTimestamp (RFC 3339: ordered as text) */
	int running;
	int tries;           /* pods seen */
	char *log, *log_pod; /* the log (with its summary) of log_pod, read as soon as it ended */
} shard_seen;

typedef struct {
	dm_k8s *k8s;
	const dm_seed_job *job;
	const dm_seed_job_run_opts *o;
	int indexed;
	unsigned njobs;
	char **names;     /* the Jobs' names, njobs of them */
	unsigned created; /* names[0 .. created) were created by this run */
	char selector[128];
	shard_seen *sh;
	pod_seen *pods;
	size_t npods;
	double t0;
} run;

static void tell(run *r, dm_seed_shard_event_kind kind, unsigned shard, const char *pod, int code, const char *reason)
{
	dm_seed_shard_event ev = { .kind = kind,
				   .shard = shard,
				   .job = r->names[r->indexed ? 0 : shard],
				   .pod = pod,
				   .exit_code = code,
				   .reason = reason };

	if (r->o->on_event)
		r->o->on_event(&ev, r->o->userdata);
}

/* Deletes the Jobs this run created, their pods with them; the first error, if any. */
static dm_err delete_created(run *r)
{
	dm_err first = DM_OK;

	for (unsigned k = 0; k < r->created; k++) {
		dm_err e = dm_k8s_delete(r->k8s, BATCH, "jobs", r->job->ns, r->names[k], "Background");

		if (e && !first)
			first = e;
	}
	return first;
}

/* "x-0 .. x-2", or "x": the Jobs of this run, for messages */
static void jobs_named(const run *r, char *out, size_t n)
{
	if (r->njobs == 1)
		snprintf(out, n, "job \"%s\"", r->names[0]);
	else
		snprintf(out, n, "jobs \"%s\" .. \"%s\"", r->names[0], r->names[r->njobs - 1]);
}

/* ---- before anything is created --------------------------------------------------------------- */

static dm_err precheck(run *r)
{
	const dm_seed_job *job = r->job;
	dm_k8s_secret *sec = NULL;
	json_t *obj = NULL, *items;
	const char *field = NULL;
	int exists = 1;
	dm_err e;
	size_t i;
	json_t *it;

	/* a GET in a missing namespace reads like a missing object: ask first (when allowed to) */
	if ((e = dm_k8s_namespace_exists(r->k8s, job->ns, &exists)) == DM_OK && !exists)
		return dm_fail(DM_ERR_NOTFOUND, "namespace \"%s\" not found", job->ns);
	if (e && e != DM_ERR_FORBIDDEN)
		return e;
	dm_err_clear();
	if ((e = dm_k8s_get_json(r->k8s, "api/v1", "persistentvolumeclaims", job->ns, job->pvc, NULL, &obj)))
		return e;
	json_decref(obj);
	obj = NULL;
	if ((e = dm_k8s_get_secret(r->k8s, job->ns, job->secret, &sec)))
		return e;
	if (!dm_k8s_secret_find(sec, job->access_key_field))
		field = job->access_key_field;
	else if (!dm_k8s_secret_find(sec, job->secret_key_field))
		field = job->secret_key_field;
	dm_k8s_secret_free(sec);
	if (field)
		return dm_fail(DM_ERR_NOTFOUND, "secret \"%s\" in namespace \"%s\" has no key \"%s\"", job->secret,
			       job->ns, field);
	/* one listing finds a Job of any of the names (whatever its labels) */
	if ((e = dm_k8s_get_json(r->k8s, BATCH, "jobs", job->ns, NULL, NULL, &obj)) == DM_ERR_FORBIDDEN) {
		dm_err_clear();
		return DM_OK; /* creating them will tell */
	}
	if (e)
		return e;
	items = json_object_get(obj, "items");
	json_array_foreach(items, i, it)
	{
		const char *name = json_string_value(json_object_get(json_object_get(it, "metadata"), "name"));

		for (unsigned k = 0; name && k < r->njobs; k++)
			if (strcmp(name, r->names[k]) == 0) {
				e = dm_fail(DM_ERR_HTTP,
					    "job \"%s\" already exists in namespace \"%s\": delete it "
					    "first (kubectl -n %s delete job %s) or choose another name",
					    name, job->ns, job->ns, name);
				json_decref(obj);
				return e;
			}
	}
	json_decref(obj);
	return DM_OK;
}

static dm_err create_all(run *r)
{
	char what[300];
	dm_err e = DM_OK;

	for (unsigned k = 0; k < r->njobs && !e; k++) {
		json_t *obj;

		if (cancelled) {
			e = dm_fail(DM_ERR_INTERRUPTED, "interrupted");
			break;
		}
		if (!(obj = dm_seed_job_tree(r->job, r->indexed ? -1 : (int)k))) {
			e = dm_nomem();
			break;
		}
		e = dm_k8s_create(r->k8s, BATCH, "jobs", r->job->ns, obj);
		json_decref(obj);
		if (!e)
			r->created++;
	}
	if (!e)
		return DM_OK;
	/* nothing half-made: what was created goes */
	{
		dm_buf why = DM_BUF_INIT;
		unsigned n = r->created;
		dm_err de;

		if (e == DM_ERR_INTERRUPTED)
			dm_buf_puts(&why, "interrupted");
		else
			dm_buf_puts(&why, dm_err_detail());
		de = delete_created(r);
		jobs_named(r, what, sizeof(what));
		if (n && de)
			e = dm_fail(e, "%s; deleting the %u Job(s) already created failed too: %s", dm_buf_str(&why), n,
				    dm_err_detail());
		else if (n)
			e = dm_fail(e, "%s; the %u Job(s) already created were deleted", dm_buf_str(&why), n);
		else if (e == DM_ERR_INTERRUPTED)
			e = dm_fail(e, "interrupted: nothing was created");
		r->created = 0;
		dm_buf_release(&why);
	}
	return e;
}

/* ---- following the Jobs and their pods -------------------------------------------------------- */

static pod_seen *pod_of(run *r, const char *name, unsigned shard)
{
	pod_seen *grown;

	for (size_t i = 0; i < r->npods; i++)
		if (strcmp(r->pods[i].name, name) == 0)
			return &r->pods[i];
	if (!(grown = realloc(r->pods, (r->npods + 1) * sizeof(*grown))))
		return NULL;
	r->pods = grown;
	grown = &r->pods[r->npods];
	*grown = (pod_seen){ .name = strdup(name), .shard = shard };
	if (!grown->name)
		return NULL;
	r->npods++;
	if (++r->sh[shard].tries > 1)
		tell(r, DM_SEED_SHARD_RETRIED, shard, name, r->sh[shard].tries, NULL);
	return grown;
}

static int set_str(char **slot, const char *s)
{
	char *d = strdup(s);

	if (!d)
		return -1;
	free(*slot);
	*slot = d;
	return 0;
}

/* The shard a pod runs: its label (per-shard) or its completion index (Indexed); -1 if neither. */
static long shard_of_pod(const run *r, json_t *meta)
{
	const char *s =
		r->indexed ? json_string_value(json_object_get(json_object_get(meta, "annotations"), INDEX_ANNOTATION))
			   : json_string_value(json_object_get(json_object_get(meta, "labels"), DM_SEED_SHARD_LABEL));
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	return *end || v < 0 || v >= (long)r->job->shards ? -1 : v;
}

/* Waiting reasons that mean a pod cannot start by itself (ContainerCreating and PodInitializing are
 * the normal way up). */
static int bad_waiting(const char *reason)
{
	return reason && strcmp(reason, "ContainerCreating") != 0 && strcmp(reason, "PodInitializing") != 0;
}

static dm_err look_at_pods(run *r)
{
	json_t *list = NULL, *it;
	size_t i;
	dm_err e;

	if ((e = dm_k8s_get_json(r->k8s, "api/v1", "pods", r->job->ns, NULL, r->selector, &list)))
		return e;
	for (i = 0; i < r->npods; i++)
		r->pods[i].seen = 0;
	for (unsigned s = 0; s < r->job->shards; s++)
		r->sh[s].running = 0;
	json_array_foreach(json_object_get(list, "items"), i, it)
	{
		json_t *meta = json_object_get(it, "metadata"), *status = json_object_get(it, "status");
		json_t *cs = json_array_get(json_object_get(status, "containerStatuses"), 0);
		json_t *state = json_object_get(cs, "state");
		const char *name = json_string_value(json_object_get(meta, "name"));
		const char *phase = json_string_value(json_object_get(status, "phase"));
		const char *created = json_string_value(json_object_get(meta, "creationTimestamp"));
		long shard = shard_of_pod(r, meta);
		pod_seen *p;
		shard_seen *sh;

		if (!name || !phase || shard < 0)
			continue;
		if (!(p = pod_of(r, name, (unsigned)shard))) {
			e = dm_nomem();
			break;
		}
		p->seen = 1;
		sh = &r->sh[shard];
		if (strcmp(phase, "Succeeded") == 0 && !p->ended) {
			p->ended = 1;
			if (!sh->ok_pod && set_str(&sh->ok_pod, name)) {
				e = dm_nomem();
				break;
			}
		} else if (strcmp(phase, "Failed") == 0 && !p->ended) {
			json_t *term = json_object_get(state, "terminated");
			json_t *code = json_object_get(term, "exitCode");
			const char *why = json_string_value(json_object_get(term, "reason"));

			p->ended = 1;
			if (!why)
				why = json_string_value(json_object_get(status, "reason"));
			if (created && strcmp(created, sh->failed_at) >= 0) {
				if (set_str(&sh->failed_pod, name)) {
					e = dm_nomem();
					break;
				}
				snprintf(sh->failed_at, sizeof(sh->failed_at), "%s", created);
			}
			tell(r, DM_SEED_SHARD_POD_FAILED, (unsigned)shard, name,
			     json_is_integer(code) ? (int)json_integer_value(code) : -1, why);
		} else if (strcmp(phase, "Running") == 0) {
			sh->running = 1;
		} else if (strcmp(phase, "Pending") == 0) {
			json_t *w = json_object_get(state, "waiting");
			const char *reason = json_string_value(json_object_get(w, "reason"));
			const char *msg = json_string_value(json_object_get(w, "message"));

			if (bad_waiting(reason) && (!p->waiting || strcmp(p->waiting, reason) != 0)) {
				char text[1024];

				if (set_str(&p->waiting, reason)) {
					e = dm_nomem();
					break;
				}
				snprintf(text, sizeof(text), "%s%s%s", reason, msg ? ": " : "", msg ? msg : "");
				tell(r, DM_SEED_SHARD_POD_WAITING, (unsigned)shard, name, -1, text);
			}
		}
		/* a pod on its way out before it ended: deleted, evicted */
		if (!p->ended && !p->gone && json_object_get(meta, "deletionTimestamp")) {
			p->gone = 1;
			tell(r, DM_SEED_SHARD_POD_GONE, (unsigned)shard, name, -1, "deleted");
		}
	}
	for (i = 0; !e && i < r->npods; i++)
		if (!r->pods[i].seen && !r->pods[i].ended && !r->pods[i].gone) {
			r->pods[i].gone = 1;
			tell(r, DM_SEED_SHARD_POD_GONE, r->pods[i].shard, r->pods[i].name, -1, "deleted");
		}
	json_decref(list);
	return e;
}

/* "0-2,4" (an Indexed Job's completedIndexes): marks those shards done */
static void completed_indexes(run *r, const char *s, unsigned char *done)
{
	while (s && *s) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;

		if (end == s)
			return;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s)
				return;
		}
		for (unsigned long i = a; i <= b && i < r->job->shards; i++)
			done[i] = 1;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return;
	}
}

/* The condition of type ("Complete", "Failed") that holds, or NULL; *why its reason and message. */
static json_t *condition(json_t *jobobj, const char *type)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(json_object_get(jobobj, "status"), "conditions"), i, c)
	{
		const char *t = json_string_value(json_object_get(c, "type"));
		const char *st = json_string_value(json_object_get(c, "status"));

		if (t && st && strcmp(t, type) == 0 && strcmp(st, "True") == 0)
			return c;
	}
	return NULL;
}

/* Told by tell_done, once the pod that succeeded is known: the Job may say so before a
 * listing of the pods does. */
static void shard_done(run *r, unsigned s)
{
	if (r->sh[s].state != DM_SEED_SHARD_UNFINISHED)
		return;
	r->sh[s].state = DM_SEED_SHARD_SUCCEEDED;
}

/* Tells each shard done whose pod is known; at the end (last) the others too, their pod unknown. */
static void tell_done(run *r, int last)
{
	for (unsigned s = 0; s < r->job->shards; s++) {
		shard_seen *sh = &r->sh[s];

		if (sh->state == DM_SEED_SHARD_SUCCEEDED && !sh->done_told && (sh->ok_pod || last)) {
			sh->done_told = 1;
			tell(r, DM_SEED_SHARD_DONE, s, sh->ok_pod, 0, NULL);
		}
	}
}

static void shard_gave_up(run *r, unsigned s, const char *why)
{
	if (r->sh[s].state != DM_SEED_SHARD_UNFINISHED)
		return;
	r->sh[s].state = DM_SEED_SHARD_GAVE_UP;
	tell(r, DM_SEED_SHARD_FAILED, s, NULL, -1, why);
}

static void condition_text(char *out, size_t n, json_t *c)
{
	const char *reason = json_string_value(json_object_get(c, "reason"));
	const char *msg = json_string_value(json_object_get(c, "message"));

	snprintf(out, n, "%s%s%s", reason ? reason : "failed", msg ? ": " : "", msg ? msg : "");
}

/* Looks at the Jobs; *finished when every Job has ended. */
static dm_err look_at_jobs(run *r, int *finished)
{
	json_t *list = NULL, *it;
	unsigned char *found = calloc(r->njobs, 1), *done = calloc(r->job->shards, 1);
	char why[1024];
	size_t i;
	dm_err e;

	*finished = 0;
	if (!found || !done) {
		e = dm_nomem();
		goto out;
	}
	if ((e = dm_k8s_get_json(r->k8s, BATCH, "jobs", r->job->ns, NULL, r->selector, &list)))
		goto out;
	json_array_foreach(json_object_get(list, "items"), i, it)
	{
		const char *name = json_string_value(json_object_get(json_object_get(it, "metadata"), "name"));
		json_t *failed = condition(it, "Failed");
		unsigned k;

		for (k = 0; name && k < r->njobs && strcmp(r->names[k], name) != 0; k++)
			;
		if (!name || k == r->njobs)
			continue;
		found[k] = 1;
		if (r->indexed) {
			completed_indexes(r,
					  json_string_value(
						  json_object_get(json_object_get(it, "status"), "completedIndexes")),
					  done);
			if (condition(it, "Complete"))
				memset(done, 1, r->job->shards);
			for (unsigned s = 0; s < r->job->shards; s++)
				if (done[s])
					shard_done(r, s);
			if (failed) {
				condition_text(why, sizeof(why), failed);
				for (unsigned s = 0; s < r->job->shards; s++)
					shard_gave_up(r, s, why);
			}
		} else if (condition(it, "Complete")) {
			shard_done(r, k);
		} else if (failed) {
			condition_text(why, sizeof(why), failed);
			shard_gave_up(r, k, why);
		}
	}
	/* a Job deleted by someone else ends its shards */
	for (unsigned k = 0; k < r->njobs; k++)
		if (!found[k]) {
			if (r->indexed)
				for (unsigned s = 0; s < r->job->shards; s++)
					shard_gave_up(r, s, "its Job was deleted");
			else
				shard_gave_up(r, k, "its Job was deleted");
		}
	*finished = 1;
	for (unsigned s = 0; s < r->job->shards; s++)
		if (r->sh[s].state == DM_SEED_SHARD_UNFINISHED)
			*finished = 0;
out:
	json_decref(list);
	free(found);
	free(done);
	return e;
}

static void progress(run *r)
{
	dm_seed_job_progress p = { .shards = r->job->shards, .seconds = dm_now() - r->t0 };

	if (!r->o->on_progress)
		return;
	for (unsigned s = 0; s < r->job->shards; s++) {
		p.done += r->sh[s].state == DM_SEED_SHARD_SUCCEEDED;
		p.failed += r->sh[s].state == DM_SEED_SHARD_GAVE_UP;
		p.running += r->sh[s].state == DM_SEED_SHARD_UNFINISHED && r->sh[s].running;
	}
	r->o->on_progress(&p, r->o->userdata);
}

/* Sleeps ms in short steps, so that a cancel is seen soon. */
static void nap(uint64_t ms)
{
	while (ms && !cancelled) {
		uint64_t step = ms < 100 ? ms : 100;
		struct timespec ts = { 0, (long)step * 1000000L };

		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/* Reads the log of each shard's pod that ended as soon as its summary is there: a log can go
 * before its pod does (a node's log folder cleaned up, a log rotated). */
static dm_err keep_logs(run *r)
{
	for (unsigned s = 0; s < r->job->shards; s++) {
		shard_seen *sh = &r->sh[s];
		const char *pod = sh->ok_pod ? sh->ok_pod : sh->failed_pod;
		dm_seed_summary sum;
		char *log = NULL;
		size_t len = 0;
		int code;
		dm_err e;

		if (!pod || (sh->log_pod && strcmp(sh->log_pod, pod) == 0))
			continue;
		if ((e = dm_k8s_pod_log(r->k8s, r->job->ns, pod, "dm-seed", &log, &len)) == DM_OK)
			e = dm_seed_summary_from_log(log, len, &sum, &code, NULL, NULL, NULL);
		if (e == DM_ERR_NOMEM) {
			free(log);
			return e;
		}
		dm_err_clear();
		if (e) {
			free(log); /* not yet: the next look tries again, and the gathering after the wait */
			continue;
		}
		if (set_str(&sh->log_pod, pod)) {
			free(log);
			return dm_nomem();
		}
		free(sh->log);
		sh->log = log;
	}
	return DM_OK;
}

static dm_err wait_all(run *r)
{
	uint64_t poll = r->o->poll_ms ? r->o->poll_ms : 1000;
	int finished = 0;
	dm_err e;

	for (;;) {
		/* pods first: a shard's pod is seen succeed (or fail) before its Job says it is done */
		if ((e = look_at_pods(r)) || (e = keep_logs(r)) || (e = look_at_jobs(r, &finished)))
			return e;
		tell_done(r, 0);
		if (finished) {
			/* a pod may have ended between the two listings: the last look sees it */
			if ((e = look_at_pods(r)) || (e = keep_logs(r)))
				return e;
			progress(r);
			return DM_OK;
		}
		progress(r);
		/* dm_seed_job_apply words these two with what it deleted or left behind */
		if (cancelled)
			return dm_fail(DM_ERR_INTERRUPTED, "interrupted");
		if (r->o->timeout_ms && (dm_now() - r->t0) * 1000.0 >= (double)r->o->timeout_ms)
			return dm_fail(DM_ERR_TIMEOUT, "timed out waiting for the shards");
		nap(poll);
		if (cancelled)
			return dm_fail(DM_ERR_INTERRUPTED, "interrupted");
	}
}

/* ---- the shards' summaries -------------------------------------------------------------------- */

static const struct {
	const char *word;
	dm_seed_action action;
} actions[] = {
	{ "uploaded", DM_SEED_UPLOADED },
	{ "skipped", DM_SEED_SKIPPED },
	{ "failed", DM_SEED_FAILED },
	{ "deleted", DM_SEED_DELETED },
	{ "verified", DM_SEED_VERIFIED },
	{ "would upload", DM_SEED_WOULD_UPLOAD },
	{ "would delete", DM_SEED_WOULD_DELETE },
	{ "created bucket", DM_SEED_BUCKET_CREATED },
	{ "warning", DM_SEED_WARNING },
};

static uint64_t count(json_t *doc, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(doc, key));

	return v > 0 ? (uint64_t)v : 0;
}

static void report_items(json_t *arr, dm_seed_action action, dm_seed_item_fn fn, void *ud)
{
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o)
	{
		dm_seed_item it = { .action = action,
				    .path = json_string_value(json_object_get(o, "path")),
				    .bucket = json_string_value(json_object_get(o, "bucket")),
				    .key = json_string_value(json_object_get(o, "key")),
				    .size = count(o, "size"),
				    .reason = json_string_value(json_object_get(o, "reason")) };
		const char *word = json_string_value(json_object_get(o, "action"));

		for (size_t a = 0; word && a < sizeof(actions) / sizeof(*actions); a++)
			if (strcmp(actions[a].word, word) == 0)
				it.action = actions[a].action;
		fn(&it, ud);
	}
}

dm_err dm_seed_summary_from_log(const char *log, size_t len, dm_seed_summary *sum, int *exit_code, char **error,
				dm_seed_item_fn on_item, void *userdata)
{
	json_t *doc = NULL;
	const char *err;
	dm_buf out = DM_BUF_INIT;

	memset(sum, 0, sizeof(*sum));
	*exit_code = -1;
	if (error)
		*error = NULL;
	/* A log interleaves the lines of stdout and stderr in the order the runtime read them from
	 * two pipes, not the order they were written: the pod's stderr lines (each starts with
	 * "dm-seed: ") may sit between the lines of the document.  They are left out. */
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(log + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (log + i)) + 1 : len - i;

		if (!(n >= 9 && memcmp(log + i, "dm-seed: ", 9) == 0) && dm_buf_append(&out, log + i, n)) {
			dm_buf_release(&out);
			return dm_nomem();
		}
		i += n;
	}
	log = out.data;
	len = out.len;
	/* the last document that starts a line */
	for (size_t i = len; i-- > 0;) {
		if (log[i] != '{' || (i > 0 && log[i - 1] != '\n'))
			continue;
		doc = json_loadb(log + i, len - i, JSON_DISABLE_EOF_CHECK, NULL);
		if (json_is_object(doc) && json_is_string(json_object_get(doc, "tool")) &&
		    strcmp(json_string_value(json_object_get(doc, "tool")), "dm-seed") == 0 &&
		    json_is_integer(json_object_get(doc, "exit_code")))
			break;
		json_decref(doc);
		doc = NULL;
	}
	dm_buf_release(&out);
	if (!doc)
		return dm_fail(DM_ERR_PARSE, "no JSON summary of dm-seed in the log");
	sum->files_seen = count(doc, "files");
	sum->uploaded = count(doc, "uploaded");
	sum->skipped = count(doc, "skipped");
	sum->failed = count(doc, "failed");
	sum->deleted = count(doc, "deleted");
	sum->kept = count(doc, "kept");
	sum->verified = count(doc, "verified");
	sum->buckets_created = count(doc, "buckets_created");
	sum->bytes_uploaded = count(doc, "bytes_uploaded");
	sum->bytes_seen = count(doc, "bytes_seen");
	sum->warnings = json_array_size(json_object_get(doc, "warnings"));
	sum->seconds = json_number_value(json_object_get(doc, "seconds"));
	*exit_code = (int)json_integer_value(json_object_get(doc, "exit_code"));
	if (on_item) {
		report_items(json_object_get(doc, "failures"), DM_SEED_FAILED, on_item, userdata);
		report_items(json_object_get(doc, "warnings"), DM_SEED_WARNING, on_item, userdata);
		report_items(json_object_get(doc, "items"), DM_SEED_UPLOADED, on_item, userdata);
	}
	/* the envelope's error (docs/json.md): {"message": ...}; a string from an older dm-seed image */
	err = json_string_value(json_object_get(doc, "error"));
	if (!err)
		err = json_string_value(json_object_get(json_object_get(doc, "error"), "message"));
	if (error && err && !(*error = strdup(err))) {
		json_decref(doc);
		return dm_nomem();
	}
	json_decref(doc);
	return DM_OK;
}

static void add_summary(dm_seed_summary *to, const dm_seed_summary *s)
{
	to->files_seen += s->files_seen;
	to->uploaded += s->uploaded;
	to->skipped += s->skipped;
	to->failed += s->failed;
	to->deleted += s->deleted;
	to->verified += s->verified;
	to->warnings += s->warnings;
	to->buckets_created += s->buckets_created;
	to->bytes_uploaded += s->bytes_uploaded;
	to->bytes_seen += s->bytes_seen;
	to->kept += s->kept;
}

static dm_err gather(run *r, dm_seed_job_result *res)
{
	for (unsigned s = 0; s < r->job->shards; s++) {
		dm_seed_shard_result *out = &res->shards[s];
		const char *pod = r->sh[s].ok_pod ? r->sh[s].ok_pod : r->sh[s].failed_pod;
		char *log = NULL;
		size_t len = 0;
		dm_err e;

		out->state = r->sh[s].state;
		if (!pod) {
			if (asprintf(&out->error, "%s",
				     out->state == DM_SEED_SHARD_UNFINISHED ? "still running"
									    : "no pod of it ran to its end") < 0)
				out->error = NULL;
			continue;
		}
		if (!(out->pod = strdup(pod)))
			return dm_nomem();
		/* the runtime copies a container's output into its log after the container ended: the
		 * summary, written last, may come a moment after the pod says it is done */
		for (int tries = 1;; tries++) {
			if (r->sh[s].log && strcmp(r->sh[s].log_pod, pod) == 0) {
				log = r->sh[s].log;
				len = strlen(log);
				r->sh[s].log = NULL;
				e = DM_OK;
			} else {
				e = dm_k8s_pod_log(r->k8s, r->job->ns, pod, "dm-seed", &log, &len);
			}
			if (e == DM_OK)
				e = dm_seed_summary_from_log(log, len, &out->summary, &out->exit_code, &out->error,
							     r->o->on_item, r->o->userdata);
			free(log);
			log = NULL;
			if (e != DM_ERR_PARSE || tries >= LOG_TRIES)
				break;
			dm_err_clear();
			nap(LOG_WAIT_MS);
		}
		if (e == DM_ERR_NOMEM)
			return e;
		if (e) {
			free(out->error);
			if (asprintf(&out->error, "cannot read the summary of pod \"%s\": %s", pod, dm_err_detail()) <
			    0)
				out->error = NULL;
			dm_err_clear();
			continue;
		}
		add_summary(&res->summary, &out->summary);
	}
	return DM_OK;
}

/* The run's verdict from its shards, with a detail naming the shards that failed. */
static dm_err verdict(run *r, dm_seed_job_result *res)
{
	dm_buf why = DM_BUF_INIT;
	unsigned bad = 0, partial = 0;
	char text[1024];
	dm_err e;

	for (unsigned s = 0; s < res->nshards; s++) {
		dm_seed_shard_result *sh = &res->shards[s];

		if (sh->exit_code == 4 && sh->state != DM_SEED_SHARD_UNFINISHED) {
			partial++;
			continue;
		}
		if (sh->exit_code == 0 && sh->state == DM_SEED_SHARD_SUCCEEDED)
			continue;
		bad++;
		if (sh->error)
			snprintf(text, sizeof(text), "%s", sh->error);
		else if (sh->state == DM_SEED_SHARD_GAVE_UP)
			snprintf(text, sizeof(text), "its Job failed (the summary says exit code %d)", sh->exit_code);
		else
			snprintf(text, sizeof(text), "exit code %d", sh->exit_code);
		dm_buf_printf(&why, "%sshard %u (job \"%s\"%s%s%s): %s", bad > 1 ? "; " : "", s, sh->job,
			      sh->pod ? ", pod \"" : "", sh->pod ? sh->pod : "", sh->pod ? "\"" : "", text);
	}
	if (bad)
		e = dm_fail(DM_ERR_PROC, "%u of %u shard(s) failed: %s", bad, res->nshards, dm_buf_str(&why));
	else if (partial)
		e = dm_fail(DM_ERR_PARTIAL, "%u of %u shard(s) had files that failed", partial, res->nshards);
	else
		e = DM_OK;
	(void)r;
	dm_buf_release(&why);
	return e;
}

static void run_release(run *r)
{
	for (unsigned k = 0; r->names && k < r->njobs; k++)
		free(r->names[k]);
	free(r->names);
	for (unsigned s = 0; r->sh && s < r->job->shards; s++) {
		free(r->sh[s].ok_pod);
		free(r->sh[s].failed_pod);
		free(r->sh[s].log);
		free(r->sh[s].log_pod);
	}
	free(r->sh);
	for (size_t i = 0; i < r->npods; i++) {
		free(r->pods[i].name);
		free(r->pods[i].waiting);
	}
	free(r->pods);
}

dm_err dm_seed_job_apply(dm_k8s *k8s, const dm_seed_job *job, const dm_seed_job_run_opts *opts, dm_seed_job_result *res)
{
	static const dm_seed_job_run_opts none = DM_SEED_JOB_RUN_OPTS_INIT;
	run r = { .k8s = k8s, .job = job, .o = opts ? opts : &none, .indexed = job->form == DM_SEED_JOB_INDEXED };
	char what[300];
	int has_json = 0;
	dm_err e;

	memset(res, 0, sizeof(*res));
	cancelled = 0;
	if ((e = dm_seed_job_check(job)))
		return e;
	for (size_t i = 0; i < job->nargs; i++)
		has_json |= strcmp(job->args[i], "--json") == 0;
	if (!has_json)
		return dm_fail(DM_ERR_INVALID, "the pods of a Job that is followed must print their JSON summary");
	r.njobs = r.indexed ? 1 : job->shards;
	snprintf(r.selector, sizeof(r.selector), DM_SEED_JOB_LABEL "=%s", job->name);
	if (!(r.names = calloc(r.njobs, sizeof(*r.names))) || !(r.sh = calloc(job->shards, sizeof(*r.sh))) ||
	    !(res->shards = calloc(job->shards, sizeof(*res->shards)))) {
		e = dm_nomem();
		goto done;
	}
	res->nshards = job->shards;
	for (unsigned k = 0; k < r.njobs; k++)
		if ((r.indexed ? asprintf(&r.names[k], "%s", job->name)
			       : asprintf(&r.names[k], "%s-%u", job->name, k)) < 0) {
			r.names[k] = NULL;
			e = dm_nomem();
			goto done;
		}
	for (unsigned s = 0; s < job->shards; s++) {
		res->shards[s].shard = s;
		res->shards[s].exit_code = -1;
		if (!(res->shards[s].job = strdup(r.names[r.indexed ? 0 : s]))) {
			e = dm_nomem();
			goto done;
		}
	}
	if ((e = precheck(&r)) || (e = create_all(&r)))
		goto done;
	r.t0 = dm_now();
	e = wait_all(&r);
	/* whatever ended the wait, every shard seen done is told, its pod named where known */
	tell_done(&r, 1);
	res->summary.seconds = dm_now() - r.t0;
	jobs_named(&r, what, sizeof(what));
	if (e == DM_ERR_INTERRUPTED) {
		dm_err de = delete_created(&r);

		if (de)
			e = dm_fail(DM_ERR_INTERRUPTED, "interrupted; deleting %s failed: %s", what, dm_err_detail());
		else
			e = dm_fail(DM_ERR_INTERRUPTED, "interrupted: %s deleted, with their pods", what);
		goto done;
	}
	if (e && e != DM_ERR_TIMEOUT) {
		/* the API failed us while the Jobs run: they go on, say where */
		res->kept = 1;
		e = dm_fail(e, "%s; %s left in namespace \"%s\" (kubectl -n %s delete jobs -l %s)", dm_err_detail(),
			    what, job->ns, job->ns, r.selector);
		goto done;
	}
	{
		dm_err waited = e;
		char left[512];

		snprintf(left, sizeof(left), "%s left in namespace \"%s\" (kubectl -n %s delete jobs -l %s)", what,
			 job->ns, job->ns, r.selector);
		if ((e = gather(&r, res)))
			goto done;
		if (waited) {
			res->kept = 1;
			e = dm_fail(DM_ERR_TIMEOUT, "timed out after %.0f s waiting for the shards: %s",
				    res->summary.seconds, left);
			goto done;
		}
		e = verdict(&r, res);
		res->kept = e != DM_OK;
		/* a run that went well leaves nothing behind; one that did not keeps its Jobs and pods to look at */
		if (!e) {
			dm_err de = delete_created(&r);

			if (de)
				e = dm_fail(DM_ERR_PROC, "the shards succeeded, but deleting %s failed: %s", what,
					    dm_err_detail());
		}
	}
done:
	run_release(&r);
	return e;
}

void dm_seed_job_result_release(dm_seed_job_result *res)
{
	for (unsigned s = 0; res->shards && s < res->nshards; s++) {
		free(res->shards[s].job);
		free(res->shards[s].pod);
		free(res->shards[s].error);
	}
	free(res->shards);
	memset(res, 0, sizeof(*res));
}
