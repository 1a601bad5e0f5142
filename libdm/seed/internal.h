/* libdm/seed/internal.h - private: the rooms of dm-seed's engine and what they share.
 *
 *   seed.c      the producer: walk x listing (decisions in plan.c), orphaned uploads, --delete,
 *               buckets, and dm_seed_run's life cycle
 *   queue.c     the work queue, the part-buffer budget, counters and stop state, the workers
 *   source.c    reads of local files that refuse a file changed before or while it is read
 *   transfer.c  the work on one file (single PUT, multipart, checks) and deletes
 *
 * A file_job is owned by one task at a time: the task that holds it frees it (dm_job_free)
 * or hands it on (a T_CHECK to its parts; the last part of a multipart upload finishes it).
 */
#ifndef DM_LIBDM_SEED_INTERNAL_H
#define DM_LIBDM_SEED_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dm/s3.h>
#include <dm/seed.h>

#define DEFAULT_JOBS 32
#define DEFAULT_THRESHOLD (16ULL << 20)
#define READ_TRIES 3
/* Parts are read and hashed in batches of at most this many (dm_md5_many's
 * AVX2 lanes; fewer are hashed interleaved in plain C), then uploaded by any
 * free workers. */
#define PART_BATCH 8
/* What the part buffers of a run may take: PART_MEMORY / part size of them
 * (5 of the default 8 MiB), but never fewer than 2 nor more than min(jobs,
 * 2 batches).  Every buffer is a part read and hashed or on the wire, so this
 * is also the number of parts in flight: radosgw spent 30 % more CPU on a
 * 512 MiB file with 16 parts in flight than with 5 (bench/RESULTS.md), and
 * 5 keep its two cores as busy.  A batch starts when half the buffers (or as
 * many as it has parts) are free, and takes as many parts as there are free
 * buffers: the other half stay on the wire while it is read and hashed. */
#define PART_MEMORY (40ULL << 20)

typedef struct {
	char *path, *key;
	const char *bucket;
	const char *content_type; /* the object's: --content-type, else by the key's extension */
	uint64_t size;
	dev_t dev;
	ino_t ino;
	int64_t mtime_ns;
	int64_t ctime_ns; /* with mtime: a rewrite that put the old mtime back still moves ctime */
	int have_remote;
	uint64_t remote_size;
	char remote_etag[80];
	/* multipart */
	int nparts;
	uint64_t part_size;
	char *upload_id;
	/* the initiate runs as a task of its own while the first batch is read and
	 * hashed: 0 not asked for, 1 queued or running, 2 over (upload_id set, or
	 * f failed); parts ready before it is over wait in held, newest first */
	int init_state;
	struct task *held;
	char **etags;
	unsigned char (*md5s)[16];
	int remaining;
	uint64_t counted; /* part bytes counted into the progress */
	int failed;
	char reason[1024];
	pthread_mutex_t lock;
} file_job;

enum { T_FILE, T_CHECK, T_BATCH, T_PART, T_DELETE, T_INIT };

typedef struct {
	unsigned char *data;
	size_t cap;
} wbuf;

typedef struct task {
	int kind;
	file_job *f;
	int part;  /* 0-based; T_BATCH: the first of the batch */
	int count; /* T_BATCH: how many parts */
	int spill; /* T_BATCH: parts after these that found no buffer: queued again by do_batch */
	wbuf buf;  /* T_PART: the part, read and hashed */
	char *bucket, *key;
	struct task *next;
} task;

typedef struct {
	dm_s3 *s3;
	const dm_seed_opts *o;
	dm_seed_summary *sum;
	uint64_t threshold;
	pthread_mutex_t lock; /* queue, counters, callbacks */
	pthread_cond_t not_empty, not_full;
	task *head, *tail;
	size_t queued, cap;
	int busy;     /* workers holding a task */
	int closed;   /* producer done */
	dm_err fatal; /* a run-stopping error (auth, TLS) */
	char fatal_detail[2048];
	uint64_t files_done, bytes_done, files_total, bytes_total;
	uint64_t bytes_skipped, sent0; /* sent0: dm_s3_bytes_sent when the run began */
	int walk_done;
	double start;
	/* part buffers: at most part_budget exist; free ones are kept for reuse */
	int part_budget, parts_in_use, nfree;
	int part_need; /* a batch starts when this many buffers (or all it needs) are free */
	wbuf free_bufs[2 * PART_BATCH];
} run;

/* set by dm_seed_cancel (a signal handler may call it) */
extern volatile sig_atomic_t dm_seed_cancelled;

/* queue.c */
void dm_queue_push(run *r, task *t, int force);
void dm_queue_push_front(run *r, task *t);
wbuf dm_queue_take_buffer(run *r);
void dm_queue_give_buffer(run *r, wbuf *b);
int dm_queue_stopping(run *r);
void dm_queue_set_fatal(run *r, dm_err e);
int dm_seed_is_fatal(dm_err e);
void dm_queue_report(run *r, dm_seed_action a, const char *path, const char *bucket, const char *key, uint64_t size,
		     const char *reason);
void dm_job_free(file_job *f);
void *dm_queue_worker(void *arg);
void *dm_queue_progress(void *arg);

/* source.c */
int64_t dm_source_ns(const struct timespec *t);
dm_err dm_source_read_range(file_job *f, wbuf *b, uint64_t off, size_t len, char *why, size_t nwhy);

/* transfer.c */
void dm_transfer_task(run *r, task *t, wbuf *b);
int dm_transfer_alloc_parts(file_job *f);
void dm_transfer_queue_parts(run *r, file_job *f, int force);
void dm_transfer_parts_done(run *r, file_job *f, int n);
int dm_transfer_hash_parts(file_job *f, unsigned char (*md5s)[16], char *why, size_t nwhy);
void dm_transfer_drop_queued(run *r);

#endif
