/* dm/seed.h - replicate a local folder into S3 buckets, proving every byte arrived.
 *
 * Flow: the local walk (keys in byte order) is merged with ListObjectsV2 of the
 * target prefix (also byte order); each file is then skipped (same size and
 * ETag), uploaded (PUT with Content-MD5, or multipart with Content-MD5 on every
 * part, parts in parallel) and verified (the object's ETag against the local
 * MD5, or MD5-of-part-MD5s-N), or failed with a reason.  A large file's parts
 * are read and hashed in batches of eight (dm_md5_many) into at most
 * min(jobs, 16) pooled part buffers; memory is bounded by jobs x part size,
 * never by the size of the tree.
 *
 * Sharding: a file belongs to shard I of N when FNV-1a-64(bucket "/" key) mod N == I.
 */
#ifndef DM_SEED_H
#define DM_SEED_H

#include <stdint.h>
#include <dm/err.h>
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
	DM_SEED_WARNING       /* skipped on purpose (fifo, socket, device): reason given */
} dm_seed_action;

typedef struct {
	dm_seed_action action;
	const char *path;   /* local path, or NULL */
	const char *bucket;
	const char *key;    /* NULL for bucket-level events */
	uint64_t size;
	const char *reason; /* FAILED / WARNING */
} dm_seed_item;

typedef struct {
	uint64_t files_done, files_total; /* files_total grows as the walk goes on */
	uint64_t bytes_done, bytes_total;
	int walk_done;
	double seconds;
} dm_seed_progress;

/* Called from worker threads, one at a time (the engine serialises them). */
typedef void (*dm_seed_item_fn)(const dm_seed_item *item, void *userdata);
typedef void (*dm_seed_progress_fn)(const dm_seed_progress *p, void *userdata);

typedef enum { DM_SEED_INCLUDE, DM_SEED_EXCLUDE } dm_seed_rule_kind;
typedef struct {
	dm_seed_rule_kind kind;
	const char *glob;  /* fnmatch(3) on the key relative to the prefix; '*' also matches '/' */
} dm_seed_rule;

/* What a run holds open, for dm_fit_jobs_to_fd_limit: per job a connection,
 * a file being read and room for libcurl's resolver (a socket pair while a
 * name is looked up); besides the jobs, the standard streams, the walk's
 * folder, the listing's connection and the libraries' own files. */
#define DM_SEED_FDS_PER_JOB 3
#define DM_SEED_FDS_FIXED 64

typedef struct {
	const char *source;       /* local folder */
	const char *bucket;       /* NULL: bucket mode, each top-level folder of source is a bucket */
	const char *prefix;       /* key prefix in bucket ("" or NULL for none); '/' added if missing */
	int jobs;                 /* requests in flight; 0: default 32 */
	uint64_t part_size;       /* 0: dm_s3_part_size(file size) */
	uint64_t multipart_threshold; /* 0: 16 MiB; files larger go multipart */
	int dry_run;
	int delete_stale;         /* delete objects no file maps to, by the rule of libdm/seed/plan.h */
	int verify_only;
	const dm_seed_rule *rules; /* first match wins; with include rules, unmatched files are excluded */
	size_t nrules;
	unsigned shard_index, shard_count; /* shard_count 0 or 1: no sharding */
	dm_seed_item_fn on_item;
	dm_seed_progress_fn on_progress;
	void *userdata;
	double progress_interval; /* seconds between progress calls; 0: 0.2 */
} dm_seed_opts;
#define DM_SEED_OPTS_INIT { .source = NULL } /* every field 0 or NULL: dm_seed_run's defaults */

typedef struct {
	uint64_t files_seen;      /* local files considered (after filters and sharding) */
	uint64_t uploaded, skipped, failed, deleted, verified, warnings, buckets_created;
	uint64_t bytes_uploaded, bytes_seen;
	double seconds;
	uint64_t kept; /* --delete: stale objects kept (under a folder the walk could not read, or a file is there): each a warning */
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

/* dm-seed as a Kubernetes Indexed Job: pod I of shards runs
 *   dm-seed --shard I/shards --no-progress ARGS... /data/SOURCE s3[/BUCKET[/PREFIX]]
 * with the claim pvc mounted read-only at /data, and its keys (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY) from a Secret, beside AWS_ENDPOINT_URL (and AWS_REGION when
 * region is set): the alias "s3". */
typedef struct {
	unsigned shards;           /* pods, one shard each: 1 to 10000 */
	const char *name, *ns, *image;
	const char *pvc;           /* the claim that holds the data */
	const char *source;        /* the folder inside the claim */
	const char *bucket;        /* NULL: bucket mode */
	const char *prefix;        /* NULL or "": none */
	const char *secret, *access_key_field, *secret_key_field;
	const char *endpoint;
	const char *region;        /* NULL: none set (the pods sign for us-east-1) */
	const char *const *args;   /* dm-seed options for every pod, in order, as given */
	size_t nargs;
} dm_seed_job;

/* Appends the Job as YAML that kubectl applies: a comment line, then one document.
 * Every text of job reaches the pod as it is: quoted for YAML, and with each '$'
 * doubled, which Kubernetes' $(VAR) expansion turns back into one.  Every field
 * but bucket, prefix and args is required (DM_ERR_INVALID). */
dm_err dm_seed_job_manifest(dm_buf *out, const dm_seed_job *job);

#ifdef __cplusplus
}
#endif
#endif
