/* dm-seed: parallel, checksummed upload of a folder into S3 buckets. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dm/alias.h>
#include <dm/cli.h>
#include <dm/json.h>
#include <dm/k8s.h>
#include <dm/log.h>
#include <dm/platform.h>
#include <dm/s3.h>
#include <dm/seed.h>
#include <dm/util.h>

static const char help_head[] = "Usage: dm-seed [OPTIONS] SOURCE ALIAS/BUCKET[/PREFIX]\n"
				"       dm-seed [OPTIONS] SOURCE s3://BUCKET[/PREFIX]   (the alias s3)\n"
				"       dm-seed [OPTIONS] SOURCE ALIAS\n"
				"       dm-seed [OPTIONS]     the project's data_folder into the platform's\n"
				"                             lake (--component), a bucket per folder\n"
				"\n"
				"Upload the files below SOURCE (a folder, or one file: PREFIX/NAME) into S3,\n"
				"checksummed: every PUT and every part carries Content-MD5, and every object's\n"
				"ETag is checked against the local MD5 (or MD5-of-part-MD5s-N for multipart\n"
				"objects) after upload.  Files already there with the same size and ETag are\n"
				"skipped, found with one listing of the target prefix.  With ALIAS alone, each\n"
				"top-level folder of SOURCE becomes a bucket of that name (created when\n"
				"missing); files at the top level are refused.\n"
				"\n"
				"Aliases are looked up in this order:\n"
				"  1. MC_HOST_<ALIAS>=http(s)://ACCESS:SECRET@host:port (the MinIO client's\n"
				"     convention)\n"
				"  2. dm's alias file: $DM_ALIASES, else $XDG_CONFIG_HOME/dm/aliases.yaml, else\n"
				"     ~/.config/dm/aliases.yaml (written by 'dm-secrets --alias')\n"
				"  3. the MinIO client's ~/.mc/config.json (or $MC_CONFIG_DIR/config.json)\n"
				"  4. for the alias 's3' only: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,\n"
				"     AWS_SESSION_TOKEN, AWS_ENDPOINT_URL, AWS_REGION\n";

static const char help_tail[] = "With --k8s-job N --apply, dm-seed creates the Job(s) itself through the\n"
				"Kubernetes API, in the form the server runs (indexed from 1.22 on, per-shard\n"
				"before; --job-form chooses), after checking that the namespace, the claim and\n"
				"the Secret with its keys exist and that no Job of those names does (exit 1,\n"
				"nothing created).  It waits, with a line on stderr when a shard's pod fails,\n"
				"goes away or a shard ends, reads each shard's summary from its pod's log (the\n"
				"pods run with --json) and prints one result as a local run does (--json: one\n"
				"document with the summed counts, the failures and a 'shards' array).  Exit 0\n"
				"when every shard succeeded (the Jobs are then deleted), 4 when files failed, 1\n"
				"when a Job failed, the wait timed out or a summary could not be read (the Jobs\n"
				"are then kept to look at), 130 on SIGINT or SIGTERM (the Jobs are deleted, with\n"
				"their pods).\n"
				"\n" DM_CLI_EXIT_HELP;

enum {
	OPT_PART_SIZE = DM_CLI_LONG_ONLY,
	OPT_THRESHOLD,
	OPT_CONTENT_TYPE,
	OPT_RETRIES,
	OPT_CONNECT_TIMEOUT,
	OPT_DELETE,
	OPT_MAX_DELETE,
	OPT_VERIFY,
	OPT_INCLUDE,
	OPT_EXCLUDE,
	OPT_SHARD,
	OPT_K8S_JOB,
	OPT_CA_BUNDLE,
	OPT_INSECURE,
	OPT_JSON,
	OPT_NDJSON,
	OPT_NO_PROGRESS,
	OPT_PVC,
	OPT_SECRET,
	OPT_AK_FIELD,
	OPT_SK_FIELD,
	OPT_ENDPOINT,
	OPT_IMAGE,
	OPT_JOB_NAME,
	OPT_COMPONENT,
	OPT_JOB_FORM,
	OPT_HOST_NETWORK,
	OPT_BACKOFF,
	OPT_APPLY,
	OPT_TIMEOUT,
	OPT_KUBECONFIG,
	OPT_CONTEXT,
	OPT_ROOT,
	OPT_DRY_RUN
};

/* What --k8s-job does with an option (its tag in option_table).  Every option that
 * changes what is uploaded or how reaches the pods, or is refused; an option with
 * no tag is refused too, so a new one cannot be left out unnoticed. */
typedef enum {
	JOB_CARRY = 1, /* given to every pod, as given */
	JOB_MANIFEST,  /* shapes the Job itself */
	JOB_LOCAL,     /* for this run of dm-seed only */
	JOB_REFUSE_SHARD,
	JOB_REFUSE_CA
} job_use;

static const dm_cli_option option_table[] = {
	{ 'j', "jobs", "N",
	  "requests in flight (default 32; a large file's parts take 40 MiB: 5 of 8 MiB, at least 2 and at most "
	  "min(jobs, 16) parts); lowered, with a warning, to fit the open-file limit",
	  JOB_CARRY },
	{ OPT_PART_SIZE, "part-size", "SIZE",
	  "multipart part size (default: 8MiB, doubled until the file fits in 10,000 parts)", JOB_CARRY },
	{ OPT_THRESHOLD, "multipart-threshold", "SIZE", "files larger than this go multipart (default 16MiB)",
	  JOB_CARRY },
	{ OPT_CONTENT_TYPE, "content-type", "TYPE",
	  "every object's Content-Type (default: by the file's extension, as /etc/mime.types says; "
	  "else application/octet-stream)",
	  JOB_CARRY },
	{ OPT_RETRIES, "retries", "N",
	  "retries of a failed request (default 5; 10 through a port-forward); 5xx, SlowDown, timeouts and resets are "
	  "retried, auth errors "
	  "never; bytes the server refused (BadDigest) are read again",
	  JOB_CARRY },
	{ OPT_CONNECT_TIMEOUT, "connect-timeout", "DUR", "give up connecting after DUR (default 10s)", JOB_CARRY },
	{ OPT_DRY_RUN, "dry-run", NULL, "show what would be uploaded or deleted; change nothing", JOB_CARRY },
	{ OPT_DELETE, "delete", NULL, "delete objects under the prefix that have no local file", JOB_CARRY },
	{ OPT_MAX_DELETE, "max-delete", "N",
	  "--delete: delete at most N objects, or none (exit 1, uploads done); 0: none; all: no limit "
	  "(default: at most half of the objects under the prefix)",
	  JOB_CARRY },
	{ OPT_VERIFY, "verify", NULL, "upload nothing: compare every file with its object", JOB_CARRY },
	{ OPT_INCLUDE, "include", "GLOB", "take only matching keys (repeatable; first match wins)", JOB_CARRY },
	{ OPT_EXCLUDE, "exclude", "GLOB", "leave out matching keys (repeatable; first match wins)", JOB_CARRY },
	{ OPT_SHARD, "shard", "I/N",
	  "take only the files whose key hashes to I mod N (FNV-1a 64 of \"bucket/key\"); N runs cover every file "
	  "once",
	  JOB_REFUSE_SHARD },
	{ OPT_CA_BUNDLE, "ca-bundle", "FILE", "trust these CA certificates (default: $SSL_CERT_FILE or the system)",
	  JOB_REFUSE_CA },
	{ OPT_INSECURE, "insecure", NULL, "do not check TLS certificates (warns)", JOB_CARRY },
	{ OPT_JSON, "json", NULL, "print one JSON document with the result on stdout", JOB_CARRY },
	{ OPT_NDJSON, "ndjson", NULL,
	  "--json as lines (NDJSON): one JSON object a line on stdout for each file as it ends, then the "
	  "--json document on one line",
	  0 /* not for --k8s-job: --apply prints the shards' result */ },
	{ OPT_NO_PROGRESS, "no-progress", NULL, "no live progress line (it is shown only on a terminal)",
	  JOB_LOCAL /* the pods always run with it */ },
	{ 'v', "verbose", NULL, "list every file (uploaded, skipped, deleted) on stdout", JOB_CARRY },
	{ 'q', "quiet", NULL, "errors only", JOB_CARRY },
	{ 'h', "help", NULL, "show this help", JOB_LOCAL },
	{ 'V', "version", NULL, "show the version", JOB_LOCAL },
	{ 0, NULL, NULL,
	  "Kubernetes Jobs (N pods, each seeding one shard; every pod also gets the options above that are given, "
	  "in the same order, except --shard and --ca-bundle, which are refused):",
	  0 },
	{ OPT_K8S_JOB, "k8s-job", "N", "print Kubernetes Job(s) running N shards, or with --apply run them and wait",
	  JOB_MANIFEST },
	{ OPT_PVC, "pvc", "NAME", "the claim that holds the data (required; SOURCE is a path inside it, at /data)",
	  JOB_MANIFEST },
	{ OPT_COMPONENT, "component", "NAME",
	  "the platform's component whose Secret, key names, in-cluster endpoint and namespace the options below "
	  "default to, read as dm-secrets reads it (default minio)",
	  JOB_MANIFEST },
	{ 'f', "flavour", "FILE",
	  "the flavour of that component (default: $DM_FLAVOUR, else "
	  "flavours/default.yaml of the platform root)",
	  JOB_MANIFEST },
	DM_CLI_OPT_ROOT(OPT_ROOT, JOB_MANIFEST),
	{ OPT_SECRET, "secret", "NAME", "the Secret with the S3 keys", JOB_MANIFEST },
	{ OPT_AK_FIELD, "access-key-field", "F", "its key holding the access key", JOB_MANIFEST },
	{ OPT_SK_FIELD, "secret-key-field", "F", "its key holding the secret key", JOB_MANIFEST },
	{ OPT_ENDPOINT, "endpoint", "URL", "the S3 endpoint as the pods reach it", JOB_MANIFEST },
	{ 'n', "namespace", "NS", "the Jobs' namespace (-n is the namespace in every dm tool, as in kubectl)",
	  JOB_MANIFEST },
	{ OPT_IMAGE, "image", "IMAGE",
	  "the pods' image (default localhost/dm:" DM_VERSION ", dm's image as 'make image' names it; push it to "
	  "the cluster's registry and name it here)",
	  JOB_MANIFEST },
	{ OPT_JOB_NAME, "job-name", "NAME", "default dm-seed", JOB_MANIFEST },
	{ OPT_JOB_FORM, "job-form", "FORM",
	  "indexed (default): one Indexed Job, Kubernetes 1.22 on; per-shard: Jobs NAME-0 .. NAME-(N-1), one pod "
	  "each, args '--shard I/N', any Kubernetes",
	  JOB_MANIFEST },
	{ OPT_HOST_NETWORK, "host-network", NULL, "pods on the node's network", JOB_MANIFEST },
	{ OPT_BACKOFF, "backoff-limit", "N", "retries of a shard's pod (default 2)", JOB_MANIFEST },
	{ OPT_APPLY, "apply", NULL, "create the Job(s) and wait for them (see below)", JOB_LOCAL },
	{ OPT_TIMEOUT, "timeout", "DUR", "--apply: how long to wait (default 1h)", JOB_LOCAL },
	DM_CLI_OPT_KUBECONFIG(OPT_KUBECONFIG, JOB_LOCAL),
	DM_CLI_OPT_CONTEXT(OPT_CONTEXT, JOB_LOCAL),
	DM_CLI_END,
};

typedef struct {
	int verbosity;
	int json;
	int ndjson; /* --ndjson: an event line for each item, the document on one line */
	int progress;
	int progress_shown;
	json_t *failures;
	json_t *warnings;
	json_t *items;
	uint64_t would_delete, would_delete_bytes; /* --dry-run --delete */
	/* the progress line's smoothing: the rate of bytes sent, and the ETA shown */
	double last_seconds, rate, eta;
	uint64_t last_sent;
	int have_rate, have_eta;
	json_t *would_delete_keys;
} output;

static void on_signal(int sig)
{
	(void)sig;
	dm_seed_cancel();
}

static const char *action_word(dm_seed_action a)
{
	switch (a) {
	case DM_SEED_UPLOADED: return "uploaded";
	case DM_SEED_SKIPPED: return "skipped";
	case DM_SEED_FAILED: return "failed";
	case DM_SEED_DELETED: return "deleted";
	case DM_SEED_VERIFIED: return "verified";
	case DM_SEED_WOULD_UPLOAD: return "would upload";
	case DM_SEED_WOULD_DELETE: return "would delete";
	case DM_SEED_BUCKET_CREATED: return "created bucket";
	case DM_SEED_WARNING: return "warning";
	}
	return "?";
}

static void clear_progress(output *out)
{
	if (out->progress_shown) {
		fputs("\r\033[K", stderr);
		out->progress_shown = 0;
	}
}

/* --ndjson: one line for an item, as it comes (the engine serialises the calls) */
static void print_event(const dm_seed_item *it)
{
	char word[32], *sp;
	json_t *ev;

	snprintf(word, sizeof(word), "%s", action_word(it->action));
	while ((sp = strchr(word, ' ')))
		*sp = '_';
	ev = json_pack("{s:s, s:s?, s:s?, s:s?, s:I}", "event", word, "path", it->path, "bucket", it->bucket, "key",
		       it->key, "size", (json_int_t)it->size);
	if (ev && it->reason)
		json_object_set_new(ev, "reason", json_string(it->reason));
	dm_json_print_line(ev);
}

static void on_item(const dm_seed_item *it, void *ud)
{
	output *out = ud;
	char object[2048];
	const char *where = it->path;

	if (out->ndjson)
		print_event(it);

	/* an object without a local file is named as BUCKET/KEY */
	if (!where && it->key) {
		snprintf(object, sizeof(object), "%s/%s", it->bucket, it->key);
		where = object;
	} else if (!where) {
		where = it->bucket;
	}
	if (it->action == DM_SEED_WOULD_DELETE) {
		out->would_delete++;
		out->would_delete_bytes += it->size;
		json_array_append_new(out->would_delete_keys, json_pack("{s:s, s:s, s:I}", "bucket", it->bucket, "key",
									it->key, "size", (json_int_t)it->size));
	}
	if (it->action == DM_SEED_FAILED || it->action == DM_SEED_WARNING) {
		json_t *o = json_pack("{s:s?, s:s?, s:s?, s:s}", "path", it->path, "bucket", it->bucket, "key", it->key,
				      "reason", it->reason ? it->reason : "");

		json_array_append_new(it->action == DM_SEED_FAILED ? out->failures : out->warnings, o);
		clear_progress(out);
		if (it->action == DM_SEED_FAILED)
			dm_error("'%s': %s", where, it->reason ? it->reason : "failed");
		else
			dm_warn("'%s': %s", where, it->reason ? it->reason : "skipped");
		return;
	}
	if (out->json) {
		if (out->verbosity > 0)
			json_array_append_new(out->items, json_pack("{s:s, s:s?, s:s?, s:I}", "action",
								    action_word(it->action), "bucket", it->bucket,
								    "key", it->key, "size", (json_int_t)it->size));
		return;
	}
	if (out->verbosity > 0 || it->action == DM_SEED_WOULD_UPLOAD || it->action == DM_SEED_WOULD_DELETE) {
		clear_progress(out);
		if (it->key)
			printf("%s %s/%s\n", action_word(it->action), it->bucket, it->key);
		else
			printf("%s %s\n", action_word(it->action), it->bucket);
	}
}

static void human_bytes(char *out, size_t n, double b)
{
	const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int i = 0;

	while (b >= 1024 && i < 4) {
		b /= 1024;
		i++;
	}
	snprintf(out, n, i ? "%.1f %s" : "%.0f %s", b, u[i]);
}

/* "5s", "2m03s", "1h02m03s" */
static void human_seconds(char *out, size_t n, double s)
{
	unsigned long t = s > 0 && s < 360000000 ? (unsigned long)(s + 0.5) : 0;

	if (t >= 3600)
		snprintf(out, n, "%luh%02lum%02lus", t / 3600, t / 60 % 60, t % 60);
	else if (t >= 60)
		snprintf(out, n, "%lum%02lus", t / 60, t % 60);
	else
		snprintf(out, n, "%lus", t);
}

/* The rate of bytes sent, averaged over about 5 s (an exponential moving average), and
 * the ETA it gives, moved toward its new value by at most 10% (and the time passed) at
 * each update: parts that land together, or a run of skipped files, do not make it jump. */
static void smooth(output *out, const dm_seed_progress *p, uint64_t remaining)
{
	double dt = p->seconds - out->last_seconds, raw;

	if (dt <= 0)
		return;
	if (!out->have_rate) {
		out->rate = p->bytes_sent / p->seconds;
		out->have_rate = p->bytes_sent > 0;
	} else {
		double inst = (double)(p->bytes_sent - out->last_sent) / dt;
		double a = dt / (5.0 + dt); /* about 1 - exp(-dt / 5) */

		out->rate += a * (inst - out->rate);
	}
	out->last_seconds = p->seconds;
	out->last_sent = p->bytes_sent;
	if (!p->walk_done || !out->have_rate || out->rate <= 0) {
		out->have_eta = 0;
		return;
	}
	raw = remaining / out->rate;
	if (!out->have_eta) {
		out->eta = raw;
		out->have_eta = 1;
	} else {
		double base = out->eta > dt ? out->eta - dt : 0;
		double step = 0.1 * (base > 1 ? base : 1) + dt;

		out->eta = raw > base + step ? base + step : raw < base - step ? base - step : raw;
	}
}

/* One line like rclone -P's: bytes done of the total, %, the rate of bytes sent (skipped
 * files are done without sending), the ETA, the files, the requests in flight, the time. */
static void on_progress(const dm_seed_progress *p, void *ud)
{
	output *out = ud;
	char done[32], total[32], rate[32], eta[32] = "-", elapsed[32], pct[16] = "";
	/* a part's bytes count as they are sent, not when the part ends */
	uint64_t shown = p->bytes_skipped + p->bytes_sent;

	if (shown < p->bytes_done)
		shown = p->bytes_done;
	if (shown > p->bytes_total)
		shown = p->bytes_total;
	smooth(out, p, p->bytes_total - shown);
	human_bytes(done, sizeof(done), (double)shown);
	human_bytes(total, sizeof(total), (double)p->bytes_total);
	human_bytes(rate, sizeof(rate), out->have_rate ? out->rate : 0);
	human_seconds(elapsed, sizeof(elapsed), p->seconds);
	if (out->have_eta)
		human_seconds(eta, sizeof(eta), out->eta);
	if (p->walk_done)
		snprintf(pct, sizeof(pct), " %3.0f%%,",
			 p->bytes_total ? 100.0 * (double)shown / (double)p->bytes_total : 100.0);
	fprintf(stderr, "\r\033[K%s / %s%s,%s %s/s, ETA %s, %llu/%llu%s files, %d in flight, %s elapsed", done, total,
		p->walk_done ? "" : "+", pct, rate, eta, (unsigned long long)p->files_done,
		(unsigned long long)p->files_total, p->walk_done ? "" : "+", p->in_flight, elapsed);
	fflush(stderr);
	out->progress_shown = 1;
}

/* --k8s-job --apply: a line for each change of a shard, a live line on a terminal */
static void on_shard_event(const dm_seed_shard_event *ev, void *ud)
{
	output *out = ud;
	const char *r = ev->reason;

	if (out->verbosity < 0)
		return;
	clear_progress(out);
	switch (ev->kind) {
	case DM_SEED_SHARD_POD_WAITING:
		fprintf(stderr, "dm-seed: shard %u: pod %s cannot start: %s\n", ev->shard, ev->pod, r ? r : "");
		break;
	case DM_SEED_SHARD_POD_FAILED:
		fprintf(stderr, "dm-seed: shard %u: pod %s failed (exit code %d%s%s)\n", ev->shard, ev->pod,
			ev->exit_code, r ? ", " : "", r ? r : "");
		break;
	case DM_SEED_SHARD_POD_GONE:
		fprintf(stderr, "dm-seed: shard %u: pod %s went away before it ended (%s)\n", ev->shard, ev->pod,
			r ? r : "deleted");
		break;
	case DM_SEED_SHARD_RETRIED:
		fprintf(stderr, "dm-seed: shard %u: job %s started pod %s (try %d)\n", ev->shard, ev->job, ev->pod,
			ev->exit_code);
		break;
	case DM_SEED_SHARD_DONE:
		fprintf(stderr, "dm-seed: shard %u done (pod %s)\n", ev->shard, ev->pod ? ev->pod : "?");
		break;
	case DM_SEED_SHARD_FAILED:
		fprintf(stderr, "dm-seed: shard %u failed: job %s: %s\n", ev->shard, ev->job, r ? r : "failed");
		break;
	}
}

static void on_job_progress(const dm_seed_job_progress *p, void *ud)
{
	output *out = ud;

	fprintf(stderr, "\r\033[Kshards: %u/%u done, %u running, %u failed, %.0f s", p->done, p->shards, p->running,
		p->failed, p->seconds);
	fflush(stderr);
	out->progress_shown = 1;
}

static void on_job_signal(int sig)
{
	(void)sig;
	dm_seed_job_cancel();
}

/* The summary line of a run (local, or the shards' summed) and the failed files' count. */
static void print_summary(const output *out, const dm_seed_opts *o, const dm_seed_summary *sum, dm_err e)
{
	char bytes[32], kept[48] = "";
	double mibs = sum->seconds > 0 ? sum->bytes_uploaded / 1048576.0 / sum->seconds : 0;

	human_bytes(bytes, sizeof(bytes), (double)sum->bytes_uploaded);
	if (sum->kept)
		snprintf(kept, sizeof(kept), "%llu kept (see the warnings)", (unsigned long long)sum->kept);
	/* a run that stopped before its first file has nothing to sum up */
	if ((out->verbosity >= 0 || e) && !(e && e != DM_ERR_PARTIAL && sum->files_seen == 0)) {
		if (o->verify_only)
			fprintf(stderr, "dm-seed: %llu verified, %llu failed, %.2f s\n",
				(unsigned long long)sum->verified, (unsigned long long)sum->failed, sum->seconds);
		else
			fprintf(stderr,
				"dm-seed: %s%llu uploaded, %llu skipped, %llu failed, %llu deleted, %s%s%s in %.2f s, "
				"%.1f MiB/s\n",
				o->dry_run ? "dry run: " : "", (unsigned long long)sum->uploaded,
				(unsigned long long)sum->skipped, (unsigned long long)sum->failed,
				(unsigned long long)sum->deleted, kept, kept[0] ? ", " : "", bytes, sum->seconds, mibs);
	}
	/* what --delete would remove, also when the guard refuses it */
	if (o->dry_run && o->delete_stale && out->verbosity >= 0 &&
	    (!e || e == DM_ERR_PARTIAL || e == DM_ERR_FORBIDDEN)) {
		char b[32];

		human_bytes(b, sizeof(b), (double)out->would_delete_bytes);
		fprintf(stderr, "dm-seed: dry run: --delete would remove %llu object(s), %s\n",
			(unsigned long long)out->would_delete, b);
	}
	if (e == DM_ERR_PARTIAL) /* through the log: the --json envelope's error */
		dm_error("%llu file(s) failed: see the lines above", (unsigned long long)sum->failed);
}

/* The --json document of a run, without the envelope (dm_cli_json_print adds it, with the error). */
static json_t *result_doc(const output *out, const dm_seed_opts *o, const dm_seed_summary *sum, const char *source,
			  const char *target)
{
	json_t *doc =
		json_pack("{s:s, s:s, s:b, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, "
			  "s:O, s:O}",
			  "source", source, "target", target, "dry_run", o->dry_run, "verify", o->verify_only, "delete",
			  o->delete_stale, "files", (json_int_t)sum->files_seen, "uploaded", (json_int_t)sum->uploaded,
			  "skipped", (json_int_t)sum->skipped, "failed", (json_int_t)sum->failed, "deleted",
			  (json_int_t)sum->deleted, "kept", (json_int_t)sum->kept, "verified",
			  (json_int_t)sum->verified, "buckets_created", (json_int_t)sum->buckets_created,
			  "bytes_uploaded", (json_int_t)sum->bytes_uploaded, "bytes_seen", (json_int_t)sum->bytes_seen,
			  "seconds", sum->seconds, "failures", out->failures, "warnings", out->warnings);

	if (doc && out->verbosity > 0)
		json_object_set(doc, "items", out->items);
	if (doc && o->dry_run && o->delete_stale)
		json_object_set_new(doc, "would_delete",
				    json_pack("{s:I, s:I, s:O}", "objects", (json_int_t)out->would_delete, "bytes",
					      (json_int_t)out->would_delete_bytes, "keys", out->would_delete_keys));
	return doc;
}

static const char *shard_state_word(dm_seed_shard_state s)
{
	return s == DM_SEED_SHARD_SUCCEEDED ? "succeeded" : s == DM_SEED_SHARD_GAVE_UP ? "failed" : "unfinished";
}

/* --k8s-job N --apply: creates the Jobs, follows them, prints the combined result. */
static int apply_jobs(dm_seed_job *job, int form_given, const dm_k8s_opts *ko, uint64_t timeout_ms, int no_progress,
		      output *out, const dm_seed_opts *o, const char *source, const char *target)
{
	dm_seed_job_run_opts ro = DM_SEED_JOB_RUN_OPTS_INIT;
	dm_seed_job_result res = { 0 };
	dm_k8s_opts chosen = *ko;
	dm_k8s_current cur;
	dm_k8s *k8s = NULL;
	char *version = NULL;
	int code;
	dm_err e;

	if (!(e = dm_cli_k8s_choose(&chosen, &cur)))
		e = dm_k8s_open(&k8s, &chosen);
	dm_k8s_current_release(&cur);
	if (e || (e = dm_k8s_server_version(k8s, &version))) {
		code = dm_cli_fail(e);
		goto done;
	}
	if (!form_given)
		job->form = dm_seed_job_form_for(version);
	else if (job->form == DM_SEED_JOB_INDEXED && dm_seed_job_form_for(version) != DM_SEED_JOB_INDEXED)
		dm_warn("Kubernetes %s may not run Indexed Jobs (1.22 on; 1.21 with the IndexedJob feature gate): "
			"without them every pod gets no index",
			version);
	if ((e = dm_seed_job_check(job))) {
		code = dm_cli_usage_error("%s", dm_err_detail());
		goto done;
	}
	if (out->verbosity >= 0) {
		const char *why = form_given                         ? " (--job-form)"
				  : job->form == DM_SEED_JOB_INDEXED ? " (Indexed Jobs from 1.22 on)"
								     : " (no Indexed Jobs before 1.22)";

		if (job->form == DM_SEED_JOB_INDEXED)
			fprintf(stderr, "dm-seed: Kubernetes %s%s: one Indexed Job %s of %u pods in namespace %s\n",
				version, why, job->name, job->shards, job->ns);
		else
			fprintf(stderr,
				"dm-seed: Kubernetes %s%s: %u Jobs %s-0 .. %s-%u, one a shard, in namespace %s\n",
				version, why, job->shards, job->name, job->name, job->shards - 1, job->ns);
	}
	ro.timeout_ms = timeout_ms;
	ro.on_item = on_item;
	ro.on_event = on_shard_event;
	ro.on_progress = !no_progress && out->verbosity >= 0 && isatty(STDERR_FILENO) ? on_job_progress : NULL;
	ro.userdata = out;
	dm_cli_on_interrupt(on_job_signal);
	e = dm_seed_job_apply(k8s, job, &ro, &res);
	clear_progress(out);
	code = dm_cli_exit_code(e);
	if (e && e != DM_ERR_PARTIAL)
		dm_cli_fail(e);
	if (!res.shards || e == DM_ERR_INTERRUPTED ||
	    (e && e != DM_ERR_PARTIAL && e != DM_ERR_PROC && e != DM_ERR_TIMEOUT))
		goto done; /* nothing ran to gather */
	print_summary(out, o, &res.summary, e);
	if (res.kept && out->verbosity >= 0 && e != DM_ERR_TIMEOUT)
		fprintf(stderr,
			"dm-seed: the Jobs are kept to look at: kubectl -n %s get pods -l %s=%s; delete them "
			"before a rerun: kubectl -n %s delete jobs -l %s=%s\n",
			job->ns, DM_SEED_JOB_LABEL, job->name, job->ns, DM_SEED_JOB_LABEL, job->name);
	if (out->json) {
		json_t *doc = result_doc(out, o, &res.summary, source, target);
		json_t *shards = json_array();

		for (unsigned i = 0; doc && shards && i < res.nshards; i++) {
			const dm_seed_shard_result *sh = &res.shards[i];

			json_array_append_new(
				shards,
				json_pack("{s:i, s:s, s:s?, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s?}",
					  "shard", (int)sh->shard, "job", sh->job, "pod", sh->pod, "state",
					  shard_state_word(sh->state), "exit_code", sh->exit_code, "files",
					  (json_int_t)sh->summary.files_seen, "uploaded",
					  (json_int_t)sh->summary.uploaded, "skipped", (json_int_t)sh->summary.skipped,
					  "failed", (json_int_t)sh->summary.failed, "deleted",
					  (json_int_t)sh->summary.deleted, "verified", (json_int_t)sh->summary.verified,
					  "bytes_uploaded", (json_int_t)sh->summary.bytes_uploaded, "error",
					  sh->error));
		}
		if (doc) {
			json_object_set_new(doc, "kubernetes", json_string(version));
			json_object_set_new(doc, "job_form", json_string(dm_seed_job_form_name(job->form)));
			json_object_set_new(doc, "shards", shards);
		} else {
			json_decref(shards);
		}
		code = dm_cli_json_print(doc, code);
	}
done:
	dm_seed_job_result_release(&res);
	free(version);
	dm_k8s_free(k8s);
	return code;
}

/* ALIAS[/BUCKET[/PREFIX]], or s3://BUCKET[/PREFIX]: the alias s3 */
static int split_target(const char *target, char **alias, char **bucket, char **prefix)
{
	const char *s1, *s2;

	*bucket = *prefix = NULL;
	if (strncmp(target, "s3://", 5) == 0) {
		*alias = strdup("s3");
		s1 = target + 4; /* the '/' before BUCKET */
	} else {
		s1 = strchr(target, '/');
	}
	if (!s1) {
		*alias = strdup(target);
		return 0;
	}
	if (!*alias)
		*alias = strndup(target, (size_t)(s1 - target));
	s2 = strchr(s1 + 1, '/');
	if (!s2) {
		*bucket = s1[1] ? strdup(s1 + 1) : NULL;
		return 0;
	}
	*bucket = strndup(s1 + 1, (size_t)(s2 - s1 - 1));
	*prefix = strdup(s2 + 1);
	return 0;
}

/* An option as given on the command line, for the Job's pods. */
typedef struct {
	const dm_cli_option *opt;
	const char *arg;
} given;

/* The pods' options (*out, NULL-terminated, for dm_strv_free): each given option
 * by its long name, in the order given; DM_EXIT_OK, or the usage exit code for an
 * option the Job cannot carry. */
static int job_args(const given *g, size_t n, char ***out)
{
	char **args = calloc(2 * n + 1, sizeof(*args));
	size_t k = 0;

	*out = args;
	if (!args)
		return dm_cli_fail(dm_nomem());
	for (size_t i = 0; i < n; i++) {
		const char *name = g[i].opt->name;

		switch ((job_use)g[i].opt->tag) {
		case JOB_CARRY: break;
		case JOB_MANIFEST:
		case JOB_LOCAL: continue;
		case JOB_REFUSE_SHARD:
			return dm_cli_usage_error("--%s does not go with --k8s-job: the Job gives pod I the shard I/N",
						  name);
		case JOB_REFUSE_CA:
			return dm_cli_usage_error(
				"--%s does not go with --k8s-job: the file is on this machine, where the Job's pods "
				"cannot read it (build the CA into the image and set SSL_CERT_FILE there)",
				name);
		default:
			return dm_cli_usage_error("--%s does not go with --k8s-job: the Job's pods are not told of it",
						  name);
		}
		if (asprintf(&args[k], "--%s", name) < 0) {
			args[k] = NULL;
			return dm_cli_fail(dm_nomem());
		}
		k++;
		if (g[i].opt->arg && !(args[k++] = strdup(g[i].arg)))
			return dm_cli_fail(dm_nomem());
	}
	return DM_EXIT_OK;
}

/* The checks that need no network; DM_EXIT_OK or the usage exit code. */
static int check_usage(const dm_seed_opts *o, const char *target, char **alias_name, char **bucket, char **prefix)
{
	const char *url;
	dm_err e;

	if (o->dry_run + o->verify_only > 1)
		return dm_cli_usage_error("--dry-run and --verify cannot be used together");
	if (o->verify_only && o->delete_stale)
		return dm_cli_usage_error("--verify and --delete cannot be used together");
	if (o->max_delete_given && !o->delete_stale)
		return dm_cli_usage_error("--max-delete goes with --delete");
	*alias_name = NULL;
	split_target(target, alias_name, bucket, prefix);
	if (strncmp(target, "s3://", 5) == 0 && !*bucket)
		return dm_cli_usage_error("TARGET '%s' names no bucket: s3://BUCKET[/PREFIX] (or the alias alone, "
					  "'s3', to make each top-level folder a bucket)",
					  target);
	if ((url = strstr(target, "://")) && !memchr(target, '/', (size_t)(url - target)) &&
	    strncmp(target, "s3://", 5) != 0)
		return dm_cli_usage_error("TARGET '%s': the one URL form is s3://BUCKET[/PREFIX] (the alias s3); "
					  "else ALIAS/BUCKET[/PREFIX]",
					  target);
	if (!*alias_name || !**alias_name)
		return dm_cli_usage_error("TARGET '%s' must be ALIAS, ALIAS/BUCKET or ALIAS/BUCKET/PREFIX", target);
	if (*bucket && (e = dm_s3_bucket_name_check(*bucket)))
		return dm_cli_usage_error("%s", dm_err_detail());
	return DM_EXIT_OK;
}

/* The Job's Secret, key names, endpoint and namespace that were not given: those
 * of the platform's component (the one dm-secrets reads the keys of).  DM_EXIT_OK,
 * or the exit code after the message. */
static int job_defaults(dm_seed_job *job, dm_flavour **fl, dm_credentials *cr, const char *root, const char *flavour,
			const char *component)
{
	const char *opts[] = { "--secret", "--access-key-field", "--secret-key-field", "--endpoint", "--namespace" };
	const char **have[] = { &job->secret, &job->access_key_field, &job->secret_key_field, &job->endpoint,
				&job->ns };
	dm_credentials_opts co = { 0 };
	dm_buf missing = DM_BUF_INIT;
	int none, code = DM_EXIT_OK;
	dm_err e;

	for (size_t i = 0; i < sizeof(opts) / sizeof(*opts); i++)
		if (!*have[i])
			dm_buf_printf(&missing, "%s%s", missing.len ? ", " : "", opts[i]);
	if (!missing.len)
		goto done;
	if ((e = dm_flavour_choose(fl, root, flavour, &none)) && none) {
		code = dm_cli_usage_error("--k8s-job: %s, to take the S3 keys and endpoint of component '%s' from: "
					  "give --root DIR or --flavour FILE, or %s",
					  dm_err_detail(), component, dm_buf_str(&missing));
		goto done;
	}
	if (e) {
		code = dm_cli_fail(e);
		goto done;
	}
	co.flavour = *fl;
	co.component = component;
	co.ns = job->ns;
	co.hint = "give --component NAME, or --secret, --access-key-field, --secret-key-field, --endpoint and "
		  "--namespace";
	if ((e = dm_component_credentials(cr, &co))) {
		code = dm_cli_fail(e);
		goto done;
	}
	dm_info("--k8s-job: %s from component '%s' (%s)", dm_buf_str(&missing), cr->component, cr->file);
	job->secret = job->secret ? job->secret : cr->secret;
	job->access_key_field = job->access_key_field ? job->access_key_field : cr->access_key;
	job->secret_key_field = job->secret_key_field ? job->secret_key_field : cr->secret_key;
	job->endpoint = job->endpoint ? job->endpoint : cr->endpoint;
	job->ns = cr->ns;
done:
	dm_buf_release(&missing);
	return code;
}

/* Everything the command line says, and what main holds; released by args_release. */
typedef struct {
	dm_seed_opts o;
	dm_s3_config cfg;
	dm_seed_rule *rules;
	size_t nrules;
	/* the Secret, its key names, the endpoint and the namespace: given, else the platform's (job_defaults) */
	dm_seed_job job;
	const char *flavour_file, *root, *component;
	given *used; /* each option as given, for the pods of --k8s-job */
	size_t nused;
	long k8s_job, backoff;
	int no_progress, apply, form_given;
	uint64_t timeout_ms;
	dm_k8s_opts k8s_opts;
	const char *source, *target;
	char *alias_name, *bucket, *prefix;
} args;

/* A whole number from lo to hi, or the usage error naming the option. */
static int take_long(const char *name, const char *v, long lo, long hi, long *out)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (!*v || *end || n < lo || n > hi)
		return dm_cli_usage_error("--%s: '%s' is not a number from %ld to %ld", name, v, lo, hi);
	*out = n;
	return DM_EXIT_OK;
}

/* The options that shape what is uploaded or how; DM_EXIT_OK or the usage exit code. */
static int take_seed_option(args *a, int c, const char *v)
{
	uint64_t n;
	long l = 0;
	int code = DM_EXIT_OK;

	switch (c) {
	case 'j':
		if (!(code = take_long("jobs", v, 1, 1024, &l)))
			a->o.jobs = (int)l;
		break;
	case OPT_PART_SIZE:
	case OPT_THRESHOLD:
		if (dm_parse_size(v, &n) || n < DM_S3_MIN_PART || n > DM_S3_MAX_PART)
			return dm_cli_usage_error("--%s: '%s' must be a size from 5MiB to 5GiB",
						  c == OPT_PART_SIZE ? "part-size" : "multipart-threshold", v);
		*(c == OPT_PART_SIZE ? &a->o.part_size : &a->o.multipart_threshold) = n;
		break;
	case OPT_CONTENT_TYPE: {
		const char *slash = strchr(v, '/');

		/* it goes into a header as given: printable ASCII, TYPE/SUBTYPE */
		for (const char *p = v; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				slash = NULL;
		if (!slash || slash == v || !slash[1] || strlen(v) > 255) {
			dm_buf shown = DM_BUF_INIT;

			dm_buf_put_shown(&shown, v, strlen(v));
			code = dm_cli_usage_error("--content-type: '%s' is not a media type (TYPE/SUBTYPE, "
						  "printable ASCII, e.g. text/csv)",
						  dm_buf_str(&shown));
			dm_buf_release(&shown);
			return code;
		}
		a->o.content_type = v;
		break;
	}
	case OPT_RETRIES:
		if (!(code = take_long("retries", v, 0, 100, &l)))
			a->cfg.retries = (int)l;
		break;
	case OPT_CONNECT_TIMEOUT:
		if (dm_parse_duration_ms(v, &n) || n == 0)
			return dm_cli_usage_error("--connect-timeout: invalid duration '%s' (e.g. 5s, 500ms)", v);
		a->cfg.connect_timeout_ms = (long)n;
		break;
	case OPT_DRY_RUN: a->o.dry_run = 1; break;
	case OPT_DELETE: a->o.delete_stale = 1; break;
	case OPT_MAX_DELETE: {
		char *end;
		unsigned long long m;

		a->o.max_delete_given = 1;
		if (strcmp(v, "all") == 0) {
			a->o.max_delete = DM_SEED_MAX_DELETE_ALL;
			break;
		}
		errno = 0;
		m = strtoull(v, &end, 10);
		if (*v < '0' || *v > '9' || *end || errno || m == DM_SEED_MAX_DELETE_ALL)
			return dm_cli_usage_error("--max-delete: '%s' is not a count of objects or 'all'", v);
		a->o.max_delete = m;
		break;
	}
	case OPT_VERIFY: a->o.verify_only = 1; break;
	case OPT_INCLUDE:
	case OPT_EXCLUDE: {
		dm_seed_rule *grown = realloc(a->rules, (a->nrules + 1) * sizeof(*a->rules));

		if (!grown)
			return dm_cli_fail(dm_nomem());
		a->rules = grown;
		a->rules[a->nrules].kind = c == OPT_INCLUDE ? DM_SEED_INCLUDE : DM_SEED_EXCLUDE;
		a->rules[a->nrules++].glob = v;
		break;
	}
	case OPT_SHARD: {
		unsigned i, s;
		char tail;

		if (sscanf(v, "%u/%u%c", &i, &s, &tail) != 2 || s == 0 || i >= s)
			return dm_cli_usage_error("--shard: '%s' must be I/N with 0 <= I < N", v);
		a->o.shard_index = i;
		a->o.shard_count = s;
		break;
	}
	case OPT_CA_BUNDLE:
		if (access(v, R_OK) != 0)
			return dm_cli_usage_error("--ca-bundle: cannot read '%s': %s", v, strerror(errno));
		a->cfg.ca_file = v;
		break;
	case OPT_INSECURE: a->cfg.insecure = 1; break;
	}
	return code;
}

/* The options of --k8s-job; DM_EXIT_OK or the usage exit code. */
static int take_job_option(args *a, int c, const char *v)
{
	uint64_t n;

	switch (c) {
	case OPT_K8S_JOB: return take_long("k8s-job", v, 1, 10000, &a->k8s_job);
	case OPT_PVC: a->job.pvc = v; break;
	case OPT_SECRET: a->job.secret = v; break;
	case OPT_AK_FIELD: a->job.access_key_field = v; break;
	case OPT_SK_FIELD: a->job.secret_key_field = v; break;
	case OPT_ENDPOINT: a->job.endpoint = v; break;
	case OPT_IMAGE: a->job.image = v; break;
	case 'n': a->job.ns = v; break;
	case OPT_JOB_NAME: a->job.name = v; break;
	case 'f': a->flavour_file = v; break;
	case OPT_ROOT: a->root = v; break;
	case OPT_COMPONENT: a->component = v; break;
	case OPT_JOB_FORM:
		if (strcmp(v, "indexed") == 0)
			a->job.form = DM_SEED_JOB_INDEXED;
		else if (strcmp(v, "per-shard") == 0)
			a->job.form = DM_SEED_JOB_PER_SHARD;
		else
			return dm_cli_usage_error("--job-form: '%s' is not 'indexed' or 'per-shard'", v);
		a->form_given = 1;
		break;
	case OPT_HOST_NETWORK: a->job.host_network = 1; break;
	case OPT_BACKOFF: return take_long("backoff-limit", v, 0, 100, &a->backoff);
	case OPT_APPLY: a->apply = 1; break;
	case OPT_TIMEOUT:
		if (dm_parse_duration_ms(v, &n) || n == 0)
			return dm_cli_usage_error("--timeout: invalid duration '%s' (e.g. 30m, 90s)", v);
		a->timeout_ms = n;
		break;
	case OPT_KUBECONFIG: a->k8s_opts.kubeconfig = v; break;
	case OPT_CONTEXT: a->k8s_opts.context = v; break;
	}
	return DM_EXIT_OK;
}

/* DM_CLI_GO_ON, or the exit code (--help, --version, misuse). */
static int parse_args(args *a, output *out, int argc, char **argv)
{
	struct stat st;
	dm_cli_parser cl;
	int c, code = DM_EXIT_OK;

	if (!(a->used = calloc((size_t)argc, sizeof(*a->used))))
		return dm_cli_fail(dm_nomem());
	dm_cli_parser_init(&cl, option_table, argc, argv);
	while (!code && (c = dm_cli_next(&cl)) > 0) {
		a->used[a->nused++] = (given){ cl.opt, cl.value };
		switch (c) {
		case OPT_JSON: out->json = 1; break;
		case OPT_NDJSON: out->json = out->ndjson = 1; break;
		case OPT_NO_PROGRESS: a->no_progress = 1; break;
		case 'v': out->verbosity++; break;
		case 'q': out->verbosity = -1; break;
		case 'h': return dm_cli_help(help_head, option_table, help_tail);
		case 'V': return dm_cli_version();
		default:
			code = cl.opt->tag == JOB_MANIFEST || cl.opt->tag == JOB_LOCAL
				       ? take_job_option(a, c, cl.value)
				       : take_seed_option(a, c, cl.value);
		}
	}
	if (code)
		return code;
	if (c == DM_CLI_BAD)
		return DM_EXIT_USAGE;
	/* before the operands: "dm-seed -n data/ minio/b", meant as a dry run, took data/ as -n's value */
	if (a->job.ns && !a->k8s_job)
		return dm_cli_usage_error("-n/--namespace NS is the Jobs' namespace: it goes with --k8s-job N "
					  "(a dry run is --dry-run)");
	if (cl.noperands == 0 && a->k8s_job)
		return dm_cli_usage_error("--k8s-job needs SOURCE and TARGET");
	if (cl.noperands == 0) /* the project's data into the platform's lake: run_project */
		return DM_CLI_GO_ON;
	if (cl.noperands != 2)
		return dm_cli_usage_error(cl.noperands < 2 ? "missing TARGET" : "too many arguments");
	a->source = cl.operands[0];
	a->target = cl.operands[1];
	if ((code = check_usage(&a->o, a->target, &a->alias_name, &a->bucket, &a->prefix)) != DM_EXIT_OK)
		return code;
	if (!a->k8s_job && stat(a->source, &st) == 0 && S_ISREG(st.st_mode)) {
		if (!a->bucket)
			return dm_cli_usage_error("SOURCE '%s' is a file: name the bucket it goes to, "
						  "ALIAS/BUCKET[/PREFIX] (ALIAS alone takes a folder of buckets)",
						  a->source);
		if (a->o.delete_stale)
			return dm_cli_usage_error("--delete needs a folder as SOURCE: '%s' is a file", a->source);
	}
	if (a->apply && !a->k8s_job)
		return dm_cli_usage_error("--apply goes with --k8s-job N");
	for (size_t i = 0; i < a->nused && !a->apply; i++)
		if (a->used[i].opt->id == OPT_TIMEOUT)
			return dm_cli_usage_error("--%s goes with --k8s-job N --apply", a->used[i].opt->name);
	return DM_CLI_GO_ON;
}

/* The pods' options with --json added (dm-seed --apply reads their summaries from their logs). */
static int add_json(char ***carried, size_t *n)
{
	char **grown;

	for (size_t k = 0; k < *n; k++)
		if (strcmp((*carried)[k], "--json") == 0)
			return DM_EXIT_OK;
	if (!(grown = realloc(*carried, (*n + 2) * sizeof(**carried))))
		return dm_cli_fail(dm_nomem());
	*carried = grown;
	if (!(grown[*n] = strdup("--json")))
		return dm_cli_fail(dm_nomem());
	grown[++*n] = NULL;
	return DM_EXIT_OK;
}

/* --k8s-job N: prints the manifest, or with --apply runs the Jobs. */
static int run_k8s_job(args *a, output *out)
{
	dm_flavour *flavour = NULL;
	dm_credentials creds = { 0 };
	dm_buf manifest = DM_BUF_INIT;
	char **carried = NULL;
	int code;
	dm_err e;

	if ((code = job_args(a->used, a->nused, &carried)) != DM_EXIT_OK)
		goto done;
	if (!a->job.pvc) {
		code = dm_cli_usage_error("--k8s-job needs --pvc NAME (the claim that holds the data)");
		goto done;
	}
	if ((code = job_defaults(&a->job, &flavour, &creds, a->root, a->flavour_file, a->component)) != DM_EXIT_OK)
		goto done;
	a->job.shards = (unsigned)a->k8s_job;
	a->job.source = a->source;
	a->job.bucket = a->bucket;
	a->job.prefix = a->prefix;
	a->job.backoff_limit = (int)a->backoff;
	for (a->job.nargs = 0; carried[a->job.nargs]; a->job.nargs++)
		;
	if (a->apply && (code = add_json(&carried, &a->job.nargs)) != DM_EXIT_OK)
		goto done;
	a->job.args = (const char *const *)carried;
	if (a->apply) {
		a->o.rules = a->rules;
		code = apply_jobs(&a->job, a->form_given, &a->k8s_opts, a->timeout_ms, a->no_progress, out, &a->o,
				  a->source, a->target);
	} else if ((e = dm_seed_job_manifest(&manifest, &a->job))) {
		code = e == DM_ERR_INVALID ? dm_cli_usage_error("%s", dm_err_detail()) : dm_cli_fail(e);
	} else {
		fwrite(manifest.data, 1, manifest.len, stdout);
		code = DM_EXIT_OK;
	}
done:
	dm_strv_free(carried);
	dm_buf_release(&manifest);
	dm_credentials_release(&creds);
	dm_flavour_free(flavour);
	return code;
}

/* An alias of the cluster's object store (its keys in a Secret, its url a Service's in-cluster
 * name): the keys from the cluster, the endpoint the current target declares for the Service or
 * a port-forward to it (dm_alias_connect). */
static dm_err connect_alias(args *a, dm_alias *alias, dm_k8s_forward **fwd)
{
	dm_alias_connect_opts co = { .k8s = NULL };
	dm_k8s_opts ko = a->k8s_opts;
	dm_k8s_current cur;
	dm_k8s *k8s = NULL;
	dm_err e;

	*fwd = NULL;
	if (!dm_alias_needs_cluster(alias))
		return DM_OK;
	if (!(e = dm_cli_k8s_choose(&ko, &cur)) && !(e = dm_k8s_open(&k8s, &ko))) {
		co.k8s = k8s;
		co.kubeconfig = ko.kubeconfig;
		co.context = ko.context;
		co.target = &cur;
		e = dm_alias_connect(alias, &co, fwd);
	}
	if (e)
		e = dm_fail(e, "alias '%s' (%s): %s", alias->name, alias->url, dm_err_detail());
	dm_k8s_free(k8s);
	dm_k8s_current_release(&cur);
	return e;
}

/* The object store a run writes to: its alias, a port-forward when the alias needs one, and
 * the S3 client.  Released by lake_close. */
typedef struct {
	dm_alias *alias;
	dm_k8s_forward *fwd;
	dm_s3 *s3;
} lake;

static dm_err lake_open(lake *l, args *a)
{
	dm_err e;

	if ((e = connect_alias(a, l->alias, &l->fwd)))
		return e;
	if (l->fwd && a->cfg.retries < 0) /* time for a lost forward to be reopened: about 20 s */
		a->cfg.retries = 10;
	if (a->cfg.insecure)
		dm_warn("TLS certificate checks are off (--insecure): anyone on the path can read and change the data");
	a->cfg.endpoint = l->alias->url;
	a->cfg.access_key = l->alias->access_key;
	a->cfg.secret_key = l->alias->secret_key;
	a->cfg.session_token = l->alias->session_token;
	a->cfg.region = l->alias->region;
	a->cfg.alias = l->alias->name;
	return dm_s3_new(&l->s3, &a->cfg);
}

static void lake_close(lake *l)
{
	dm_s3_free(l->s3);
	if (l->fwd && dm_k8s_forward_losses(l->fwd))
		dm_warn("the port-forward was lost %d time(s) during the run and reopened",
			dm_k8s_forward_losses(l->fwd));
	dm_k8s_forward_close(l->fwd);
	dm_alias_free(l->alias);
}

/* One seed: a->source into a->bucket/a->prefix, with its summary.  The exit code. */
static int seed_one(args *a, output *out, dm_s3 *s3)
{
	dm_seed_summary sum;
	int code, asked;
	unsigned long limit = 0;
	dm_err e;

	out->progress = !a->no_progress && out->verbosity >= 0 && isatty(STDERR_FILENO);
	a->o.source = a->source;
	a->o.bucket = a->bucket;
	a->o.prefix = a->prefix;
	a->o.rules = a->rules;
	a->o.nrules = a->nrules;
	a->o.on_item = on_item;
	a->o.on_progress = out->progress ? on_progress : NULL;
	a->o.userdata = out;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	asked = a->o.jobs > 0 ? a->o.jobs : 32; /* dm_seed_run's default */
	a->o.jobs = dm_fit_jobs_to_fd_limit(asked, DM_SEED_FDS_PER_JOB, DM_SEED_FDS_FIXED, &limit);
	if (a->o.jobs < asked)
		dm_warn("--jobs %d lowered to %d: the open-file limit is %lu", asked, a->o.jobs, limit);
	e = dm_seed_run(s3, &a->o, &sum);
	clear_progress(out);
	code = dm_cli_exit_code(e);
	if (e && e != DM_ERR_PARTIAL)
		dm_cli_fail(e);
	print_summary(out, &a->o, &sum, e);
	if (out->json) /* --ndjson: on one line (dm_cli_json_set) */
		code = dm_cli_json_print(result_doc(out, &a->o, &sum, a->source, a->target), code);
	return code;
}

/* The seed itself, on this machine. */
static int run_local(args *a, output *out)
{
	lake l = { .alias = NULL };
	int code;
	dm_err e;

	if ((e = dm_alias_resolve(&l.alias, a->alias_name)) || (e = lake_open(&l, a)))
		code = dm_cli_fail(e);
	else
		code = seed_one(a, out, l.s3);
	lake_close(&l);
	return code;
}

/* No SOURCE and TARGET: the project's data into the platform's lake, as at install time:
 * project.data_folder in bucket mode (each folder at its top a bucket) into the component's
 * object store, reached as dm-secrets reads it: the keys from its Secret in the cluster, a
 * port-forward when its endpoint is the cluster's own. */
static int run_project(args *a, output *out)
{
	dm_credentials_opts co = { .component = a->component };
	dm_credentials cr = { 0 };
	dm_flavour *fl = NULL;
	lake l = { .alias = NULL };
	int code;
	dm_err e;

	if ((e = dm_flavour_choose(&fl, a->root, a->flavour_file, NULL)))
		goto fail;
	co.flavour = fl;
	if ((e = dm_component_credentials(&cr, &co)))
		goto fail;
	if ((e = dm_alias_of_secret(&l.alias, cr.component, cr.endpoint, cr.secret, cr.ns, cr.access_key, cr.secret_key,
				    "the platform")))
		goto fail;
	a->source = dm_flavour_project(fl)->data_folder;
	a->target = cr.component;
	dm_info("seeding '%s' into component '%s' (%s): each folder at its top a bucket", a->source, cr.component,
		cr.endpoint);
	if ((e = lake_open(&l, a)))
		goto fail;
	code = seed_one(a, out, l.s3);
	goto done;
fail:
	code = dm_cli_fail(e);
done:
	lake_close(&l);
	dm_credentials_release(&cr);
	dm_flavour_free(fl);
	return code;
}

int main(int argc, char **argv)
{
	args a = { .o = DM_SEED_OPTS_INIT,
		   .cfg = DM_S3_CONFIG_INIT,
		   .job = { .name = "dm-seed", .image = "localhost/dm:" DM_VERSION },
		   .component = "minio",
		   .backoff = DM_SEED_JOB_BACKOFF,
		   .timeout_ms = 3600 * 1000, /* --timeout: 1h */
		   .k8s_opts = DM_K8S_OPTS_INIT };
	output out = { 0 };
	int code;

	dm_cli_init("dm-seed");
	dm_cli_no_core();
	/* a usage error is a document too, but not where --json is for the pods of printed Jobs */
	if ((dm_cli_argv_has(argc, argv, "--json") || dm_cli_argv_has(argc, argv, "--ndjson")) &&
	    (!dm_cli_argv_has(argc, argv, "--k8s-job") || dm_cli_argv_has(argc, argv, "--apply")))
		dm_cli_json_set(dm_cli_argv_has(argc, argv, "--ndjson") ? DM_CLI_JSON_LINES : DM_CLI_JSON_DOC);
	code = parse_args(&a, &out, argc, argv);
	if (code == DM_CLI_GO_ON)
		dm_cli_json_set(!out.json || (a.k8s_job && !a.apply) ? DM_CLI_JSON_OFF
				: out.ndjson                         ? DM_CLI_JSON_LINES
								     : DM_CLI_JSON_DOC);
	if (code == DM_CLI_GO_ON) {
		dm_cli_set_verbosity(out.verbosity < 0 ? -1 : out.verbosity > 1 ? 2 : out.verbosity);
		out.failures = json_array();
		out.warnings = json_array();
		out.items = json_array();
		out.would_delete_keys = json_array();
		code = a.k8s_job ? run_k8s_job(&a, &out) : a.source ? run_local(&a, &out) : run_project(&a, &out);
	}
	free(a.used);
	free(a.alias_name);
	free(a.bucket);
	free(a.prefix);
	free(a.rules);
	json_decref(out.failures);
	json_decref(out.warnings);
	json_decref(out.items);
	json_decref(out.would_delete_keys);
	dm_log_forget_secrets();
	return dm_cli_finish(code);
}
