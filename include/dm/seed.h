/* dm/seed.h - replicate a local folder into S3 buckets, proving every byte arrived.
 *
 * Flow: the local walk (keys in byte order) is merged with ListObjectsV2 of the
 * target prefix (also byte order); each file is then skipped (same size and
 * ETag), uploaded (PUT with Content-MD5, or multipart with Content-MD5 on every
 * part, parts in parallel) and verified (the object's ETag against the local
 * MD5, or MD5-of-part-MD5s-N), or failed with a reason.  A large file's parts
 * are read and hashed in batches of up to eight (dm_md5_many) into 40 MiB of
 * pooled part buffers (5 of the default 8 MiB; at least 2, at most
 * min(jobs, 16)); memory is bounded by those, never by the size of the tree.
 *
 * Sharding: a file belongs to shard I of N when FNV-1a-64(bucket "/" key) mod N == I.
 */
#ifndef DM_SEED_H
#define DM_SEED_H

#include <stdint.h>
#include <dm/err.h>
#include <dm/k8s.h>
#include <dm/s3.h>
#include <dm/util.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	DM_SEED_UPLOADED = 0, /* uploaded and verified */
	DM_SEED_SKIPPED,      /* already there with the same size and ETag */
	DM_SEED_FAILED,       /* reason given */
	DM_SEED_DELETED,      /* stale object removed (--delete) */
	DM_SEED_VERIFIED,     /* --verify: object matches */
	DM_SEED_WOULD_UPLOAD, /* --dry-run */
	DM_SEED_WOULD_DELETE, /* --dry-run */
	DM_SEED_BUCKET_CREATED,
	DM_SEED_WARNING /* skipped on purpose (fifo, socket, device): reason given */
} dm_seed_action;

typedef struct {
	dm_seed_action action;
	const char *path; /* local path, or NULL */
	const char *bucket;
	const char *key; /* NULL for bucket-level events */
	uint64_t size;
	const char *reason; /* FAILED / WARNING */
} dm_seed_item;

typedef struct {
	uint64_t files_done, files_total; /* files_total grows as the walk goes on */
	uint64_t bytes_done, bytes_total; /* done: of files (and parts) finished, skipped ones too */
	int walk_done;
	double seconds;
	uint64_t bytes_sent;    /* bytes sent so far, as they go (dm_s3_bytes_sent): no skipped ones */
	uint64_t bytes_skipped; /* of the files skipped (already there) */
	int in_flight;          /* requests being worked on: a file, a part, a check, a delete */
} dm_seed_progress;

/* Called from worker threads, one at a time (the engine serialises them). */
typedef void (*dm_seed_item_fn)(const dm_seed_item *item, void *userdata);
typedef void (*dm_seed_progress_fn)(const dm_seed_progress *p, void *userdata);

typedef enum { DM_SEED_INCLUDE, DM_SEED_EXCLUDE } dm_seed_rule_kind;
typedef struct {
	dm_seed_rule_kind kind;
	const char *glob; /* fnmatch(3) on the key relative to the prefix; '*' also matches '/' */
} dm_seed_rule;

/* What a run holds open, for dm_fit_jobs_to_fd_limit: per job a connection,
 * a file being read and room for libcurl's resolver (a socket pair while a
 * name is looked up); besides the jobs, the standard streams, the walk's
 * folder, the listing's connection and the libraries' own files. */
#define DM_SEED_FDS_PER_JOB 3
#define DM_SEED_FDS_FIXED 64

typedef struct {
	const char *source;           /* local folder */
	const char *bucket;           /* NULL: bucket mode, each top-level folder of source is a bucket */
	const char *prefix;           /* key prefix in bucket ("" or NULL for none); '/' added if missing */
	int jobs;                     /* requests in flight; 0: default 32 */
	uint64_t part_size;           /* 0: dm_s3_part_size(file size) */
	uint64_t multipart_threshold; /* 0: 16 MiB; files larger go multipart */
	const char *content_type;     /* every object's; NULL: by its extension (dm_s3_content_type) */
	int dry_run;
	int delete_stale; /* delete objects no file maps to, by the rule of libdm/seed/plan.h */
	/* --max-delete: with max_delete_given 0 (the default), a tree whose deletions would
	 * take more than half of the objects in scope under its prefix (listed, selected by
	 * the rules and the shard) deletes none of them; else the run deletes at most
	 * max_delete objects (0: none; DM_SEED_MAX_DELETE_ALL: no limit), and a tree that
	 * would go over deletes none.  Such a refusal is checked after the whole walk and
	 * listing of the tree, before its first DELETE; the uploads of the run go on, and
	 * the run returns DM_ERR_FORBIDDEN naming the count and the limit (--dry-run too). */
	int max_delete_given;
	uint64_t max_delete;
	int verify_only;
	const dm_seed_rule *rules; /* first match wins; with include rules, unmatched files are excluded */
	size_t nrules;
	unsigned shard_index, shard_count; /* shard_count 0 or 1: no sharding */
	dm_seed_item_fn on_item;
	dm_seed_progress_fn on_progress;
	void *userdata;
	double progress_interval; /* seconds between progress calls; 0: 0.2 */
} dm_seed_opts;
#define DM_SEED_MAX_DELETE_ALL UINT64_MAX
/* clang-format off */
#define DM_SEED_OPTS_INIT { .source = NULL } /* every field 0 or NULL: dm_seed_run's defaults */
/* clang-format on */

typedef struct {
	uint64_t files_seen; /* local files considered (after filters and sharding) */
	uint64_t uploaded, skipped, failed, deleted, verified, warnings, buckets_created;
	uint64_t bytes_uploaded, bytes_seen;
	double seconds;
	uint64_t
		kept; /* --delete: stale objects kept (under a folder the walk could not read, or a file is there): each a warning */
} dm_seed_summary;

/* Runs the seed. DM_OK when nothing failed; DM_ERR_PARTIAL when some items
 * failed (each reported through on_item); another error when the run could not
 * go on (authentication, unreachable endpoint, bad source): its detail says why. */
dm_err dm_seed_run(dm_s3 *s3, const dm_seed_opts *opts, dm_seed_summary *summary);

/* Asks a running dm_seed_run to stop (async-signal-safe): in-flight multipart
 * uploads are aborted and the run returns DM_ERR_INTERRUPTED. */
void dm_seed_cancel(void);

/* The stable shard hash: FNV-1a 64-bit of "bucket/key". */
uint64_t dm_seed_shard_hash(const char *bucket, const char *key);

/* The ETag dm expects for a local file of this content, given the run's part
 * rules: hex MD5 for single-part files, MD5-of-part-MD5s-N otherwise.
 * out needs 48 bytes.  Reads the file once. */
dm_err dm_seed_local_etag(const char *path, uint64_t multipart_threshold, uint64_t part_size, char *out);

/* ---- dm-seed as Kubernetes Jobs (--k8s-job N) --------------------------------------------------
 *
 * Pod I of shards runs
 *   dm-seed --shard I/shards --no-progress ARGS... /data/SOURCE s3[/BUCKET[/PREFIX]]
 * with the claim pvc mounted read-only at /data, and its keys (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY) from a Secret, beside AWS_ENDPOINT_URL (and AWS_REGION when
 * region is set): the alias "s3".  Two forms of the same pods:
 *   indexed    one Job NAME, completionMode Indexed (Kubernetes 1.22 on; 1.21 with the
 *              IndexedJob feature gate): pod I learns I from its completion index;
 *   per-shard  N Jobs NAME-0 .. NAME-(N-1) of one pod each, args "--shard I/N" as written
 *              (any Kubernetes: the "expansion" pattern of the Kubernetes docs).
 * Every Job and pod is labelled app.kubernetes.io/name=dm-seed and DM_SEED_JOB_LABEL=NAME;
 * the per-shard form's also DM_SEED_SHARD_LABEL=I.  Pods restart Never (a failed pod keeps
 * its log; the Job starts another, up to its backoff limit) and pull IfNotPresent. */
typedef enum { DM_SEED_JOB_INDEXED = 0, DM_SEED_JOB_PER_SHARD } dm_seed_job_form;

#define DM_SEED_JOB_LABEL "dm.data-mill.io/job"
#define DM_SEED_SHARD_LABEL "dm.data-mill.io/shard"
/* the retries of a shard's pod that dm-seed asks for by default */
#define DM_SEED_JOB_BACKOFF 2

typedef struct {
	unsigned shards;               /* pods, one shard each: 1 to 10000 */
	const char *name, *ns, *image; /* name: a DNS label; per-shard, NAME-(N-1) fits 63 bytes */
	const char *pvc;               /* the claim that holds the data */
	const char *source;            /* the folder inside the claim */
	const char *bucket;            /* NULL: bucket mode */
	const char *prefix;            /* NULL or "": none */
	const char *secret, *access_key_field, *secret_key_field;
	const char *endpoint;
	const char *region;      /* NULL: none set (the pods sign for us-east-1) */
	const char *const *args; /* dm-seed options for every pod, in order, as given */
	size_t nargs;
	dm_seed_job_form form;
	int host_network;  /* pods on the node's network (hostNetwork, dnsPolicy ClusterFirstWithHostNet) */
	int backoff_limit; /* retries of a shard's pod before its Job fails (0 to 100; the
				      Indexed Job's limit is this times shards: it counts all its pods) */
} dm_seed_job;

/* DM_OK, or DM_ERR_INVALID naming what is missing or not a name Kubernetes takes. */
dm_err dm_seed_job_check(const dm_seed_job *job);

/* "indexed" or "per-shard". */
const char *dm_seed_job_form_name(dm_seed_job_form form);

/* The form a server of this gitVersion ("v1.20.2", "v1.22.0-gke.1") runs: Indexed from
 * 1.22 on (Indexed Jobs are on by default there), per-shard before or when the version
 * does not read. */
dm_seed_job_form dm_seed_job_form_for(const char *git_version);

/* Appends the Job(s) of job->form as YAML that kubectl applies: a comment line, then
 * one document (indexed) or one a shard, each after "---" (per-shard).  Every text of
 * job reaches the pods as it is: quoted for YAML, and with each '$' doubled, which
 * Kubernetes' $(VAR) expansion turns back into one.  Every field but bucket, prefix,
 * region and args is required; a bad one is DM_ERR_INVALID (dm_seed_job_check) and
 * nothing is appended. */
dm_err dm_seed_job_manifest(dm_buf *out, const dm_seed_job *job);

/* ---- --k8s-job N --apply: create the Jobs, wait, gather the shards' summaries --------------- */

typedef enum {
	DM_SEED_SHARD_POD_WAITING, /* a pod of the shard cannot start yet: reason (ErrImagePull ...) */
	DM_SEED_SHARD_POD_FAILED,  /* a pod ended with exit_code != 0; the Job may start another */
	DM_SEED_SHARD_POD_GONE,    /* a pod went away before it ended (deleted, evicted) */
	DM_SEED_SHARD_RETRIED,     /* another pod of the shard came (the Job's retry); exit_code: its try, 2 on */
	DM_SEED_SHARD_DONE,        /* the shard completed: its pod succeeded */
	DM_SEED_SHARD_FAILED       /* the shard's Job gave up: reason */
} dm_seed_shard_event_kind;

typedef struct {
	dm_seed_shard_event_kind kind;
	unsigned shard;
	const char *job, *pod; /* pod: NULL for SHARD_FAILED */
	int exit_code;         /* POD_FAILED: the container's exit code, -1 unknown; RETRIED: the try */
	const char *reason;    /* POD_WAITING, POD_FAILED (may be NULL), SHARD_FAILED */
} dm_seed_shard_event;

typedef struct {
	unsigned shards, done, failed, running; /* shards completed, failed for good, with a pod running */
	double seconds;
} dm_seed_job_progress;

typedef void (*dm_seed_shard_event_fn)(const dm_seed_shard_event *ev, void *userdata);
typedef void (*dm_seed_job_progress_fn)(const dm_seed_job_progress *p, void *userdata);

typedef struct {
	uint64_t timeout_ms;     /* the most to wait for the Jobs; 0: no limit */
	uint64_t poll_ms;        /* between two looks at the Jobs; 0: 1000 */
	dm_seed_item_fn on_item; /* the failures, warnings (and with -v the items) of the pods' summaries */
	dm_seed_shard_event_fn on_event;
	dm_seed_job_progress_fn on_progress; /* after each look; may be NULL */
	void *userdata;
} dm_seed_job_run_opts;
/* clang-format off */
#define DM_SEED_JOB_RUN_OPTS_INIT { .timeout_ms = 0, .poll_ms = 0 } /* no limit, the default poll */
/* clang-format on */

typedef enum {
	DM_SEED_SHARD_UNFINISHED = 0, /* still running when the wait ended */
	DM_SEED_SHARD_SUCCEEDED,
	DM_SEED_SHARD_GAVE_UP /* its Job failed */
} dm_seed_shard_state;

typedef struct {
	unsigned shard;
	char *job; /* the Job that runs it */
	char *pod; /* the pod whose log was read; NULL when none */
	dm_seed_shard_state state;
	int exit_code;           /* the exit code in the pod's summary; -1 when none was read */
	dm_seed_summary summary; /* the pod's summary (zero when none was read) */
	char *error;             /* why it failed or its summary could not be read; NULL */
} dm_seed_shard_result;

typedef struct {
	unsigned nshards;
	dm_seed_shard_result *shards; /* nshards of them, by shard */
	dm_seed_summary summary;      /* the shards' summaries summed; seconds: the wall time of the wait */
	int kept;                     /* the Jobs were left in place (the run did not succeed) */
} dm_seed_job_result;

/* The pods' summaries are read from their logs: dm-seed --json writes one JSON document
 * on stdout, which the log holds beside the pod's stderr.  job->args must hold "--json". */

/* Creates the Jobs of job (job->form), waits for them and reads each shard's summary from
 * the log of its pod that succeeded (else its last pod that failed).  Before anything is
 * created: the namespace, the claim and the Secret with its two keys must exist, and no
 * Job of the names to create (DM_ERR_NOTFOUND, DM_ERR_HTTP "job \"x\" already exists in
 * namespace \"y\"", nothing created).  When creating Job k fails, the Jobs already
 * created are deleted (propagationPolicy Background) and the error returned.
 * Returns DM_OK when every shard succeeded with a summary of exit code 0; DM_ERR_PARTIAL
 * when some reported failed files (exit code 4) and none worse; DM_ERR_TIMEOUT when the
 * wait ran out (the Jobs are left running, the detail says how to delete them);
 * DM_ERR_PROC when a shard's Job failed or its summary could not be read; the detail
 * names the shards.  A run that succeeded deletes its Jobs (with their pods); any other
 * leaves them to look at (res->kept).  dm_seed_job_cancel() during the run deletes the Jobs created (with
 * their pods) and returns DM_ERR_INTERRUPTED.  *res is filled as far as the run got
 * (dm_seed_job_result_release), whatever the return.  Not thread-safe (the cancel flag). */
dm_err dm_seed_job_apply(dm_k8s *k8s, const dm_seed_job *job, const dm_seed_job_run_opts *opts,
			 dm_seed_job_result *res);

/* Asks a running dm_seed_job_apply to stop (async-signal-safe). */
void dm_seed_job_cancel(void);

/* Frees what res holds; a zeroed result is a no-op. */
void dm_seed_job_result_release(dm_seed_job_result *res);

/* Reads a dm-seed --json summary out of a pod's log: the last JSON object with "tool":
 * "dm-seed" that starts a line, once the lines of the pod's stderr (which start with
 * "dm-seed: ") are left out: a log may hold them between the document's lines.  Fills *sum and *exit_code,
 * reports its "failures" and "warnings" (and "items") through on_item (may be NULL);
 * *error (may be NULL) is set to a malloc'd copy of its "error", if any.
 * DM_ERR_PARSE when the log holds no such document. */
dm_err dm_seed_summary_from_log(const char *log, size_t len, dm_seed_summary *sum, int *exit_code, char **error,
				dm_seed_item_fn on_item, void *userdata);

#ifdef __cplusplus
}
#endif
#endif
