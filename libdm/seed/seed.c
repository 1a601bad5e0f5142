/* libdm/seed/seed.c - the seed engine: walk + listing merged into a plan,
 * a worker team that reads, hashes, uploads and verifies (see dm/seed.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dm/log.h>
#include <dm/seed.h>
#include <dm/util.h>

#include "plan.h"
#include "walk.h"

#define DEFAULT_JOBS 32
#define DEFAULT_THRESHOLD (16ULL << 20)
#define READ_TRIES 3
/* Parts are read and hashed in batches of this many (dm_md5_many's lanes),
 * then uploaded by any free workers; at most min(jobs, 2 batches) part
 * buffers exist, so one batch is hashed while the one before is on the wire. */
#define PART_BATCH 8

static volatile sig_atomic_t cancelled;

void dm_seed_cancel(void)
{
	cancelled = 1;
}

uint64_t dm_seed_shard_hash(const char *bucket, const char *key)
{
	uint64_t h = 14695981039346656037ULL; /* FNV-1a 64 offset basis */

	for (const unsigned char *p = (const unsigned char *)bucket; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ '/') * 1099511628211ULL;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

/* ---- jobs and the queue ---- */

typedef struct {
	char *path, *key;
	const char *bucket;
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
	char **etags;
	unsigned char (*md5s)[16];
	int remaining;
	uint64_t counted; /* part bytes counted into the progress */
	int failed;
	char reason[1024];
	pthread_mutex_t lock;
} file_job;

enum { T_FILE, T_CHECK, T_BATCH, T_PART, T_DELETE };

typedef struct {
	unsigned char *data;
	size_t cap;
} wbuf;

typedef struct task {
	int kind;
	file_job *f;
	int part;  /* 0-based; T_BATCH: the first of the batch */
	int count; /* T_BATCH: how many parts */
	wbuf buf;  /* T_PART: the part, read and hashed */
	char *bucket, *key;
	struct task *next;
} task;

typedef struct {
	dm_s3 *s3;
	const dm_seed_opts *o;
	dm_seed_summary *sum;
	uint64_t threshold;
	pthread_mutex_t lock;   /* queue, counters, callbacks */
	pthread_cond_t not_empty, not_full;
	task *head, *tail;
	size_t queued, cap;
	int busy;               /* workers holding a task */
	int closed;             /* producer done */
	dm_err fatal;           /* a run-stopping error (auth, TLS) */
	char fatal_detail[2048];
	uint64_t files_done, bytes_done, files_total, bytes_total;
	int walk_done;
	double start;
	/* part buffers: at most part_budget exist; free ones are kept for reuse */
	int part_budget, parts_in_use, nfree;
	wbuf free_bufs[2 * PART_BATCH];
} run;

static void push(run *r, task *t, int force)
{
	pthread_mutex_lock(&r->lock);
	while (!force && r->queued >= r->cap && !r->fatal && !cancelled)
		pthread_cond_wait(&r->not_full, &r->lock);
	t->next = NULL;
	if (r->tail)
		r->tail->next = t;
	else
		r->head = t;
	r->tail = t;
	r->queued++;
	pthread_cond_signal(&r->not_empty);
	pthread_mutex_unlock(&r->lock);
}

/* Parts already read go first: they hold buffers that the next batch waits for. */
static void push_front(run *r, task *t)
{
	pthread_mutex_lock(&r->lock);
	t->next = r->head;
	r->head = t;
	if (!r->tail)
		r->tail = t;
	r->queued++;
	pthread_cond_signal(&r->not_empty);
	pthread_mutex_unlock(&r->lock);
}

/* A batch waits until its buffers fit the budget; everything else runs at once.
 * A waiting batch never blocks the queue for good: the buffers in use belong to
 * parts that are queued or running, and each gives its buffer back. */
static int runnable(const run *r, const task *t)
{
	return t->kind != T_BATCH || r->parts_in_use + t->count <= r->part_budget;
}

/* The first runnable task, or NULL when the queue is closed and drained. */
static task *pop(run *r)
{
	task *t, *prev;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		for (prev = NULL, t = r->head; t && !runnable(r, t); t = t->next)
			prev = t;
		if (t || (!r->head && r->closed && r->busy == 0))
			break;
		pthread_cond_wait(&r->not_empty, &r->lock);
	}
	if (t) {
		if (prev)
			prev->next = t->next;
		else
			r->head = t->next;
		if (r->tail == t)
			r->tail = prev;
		r->queued--;
		r->busy++;
		if (t->kind == T_BATCH)
			r->parts_in_use += t->count;
		pthread_cond_signal(&r->not_full);
	} else {
		pthread_cond_broadcast(&r->not_empty);
	}
	pthread_mutex_unlock(&r->lock);
	return t;
}

/* One of the buffers a batch reserved when it was popped. */
static wbuf take_buffer(run *r)
{
	wbuf b = { NULL, 0 };

	pthread_mutex_lock(&r->lock);
	if (r->nfree > 0)
		b = r->free_bufs[--r->nfree];
	pthread_mutex_unlock(&r->lock);
	return b;
}

static void give_buffer(run *r, wbuf *b)
{
	pthread_mutex_lock(&r->lock);
	if (r->nfree < r->part_budget && b->data)
		r->free_bufs[r->nfree++] = *b;
	else
		free(b->data);
	b->data = NULL;
	b->cap = 0;
	r->parts_in_use--;
	/* a batch may fit now */
	pthread_cond_broadcast(&r->not_empty);
	pthread_mutex_unlock(&r->lock);
}

static void task_done(run *r)
{
	pthread_mutex_lock(&r->lock);
	r->busy--;
	if (r->busy == 0 && !r->head)
		pthread_cond_broadcast(&r->not_empty);
	pthread_mutex_unlock(&r->lock);
}

static int stopping(run *r)
{
	int s;

	pthread_mutex_lock(&r->lock);
	s = r->fatal != DM_OK || cancelled;
	pthread_mutex_unlock(&r->lock);
	return s;
}

static void set_fatal(run *r, dm_err e)
{
	pthread_mutex_lock(&r->lock);
	if (!r->fatal) {
		r->fatal = e;
		snprintf(r->fatal_detail, sizeof(r->fatal_detail), "%s", dm_err_detail());
	}
	pthread_cond_broadcast(&r->not_full);
	pthread_mutex_unlock(&r->lock);
}

static int is_fatal(dm_err e)
{
	return e == DM_ERR_AUTH || e == DM_ERR_TLS;
}

static void report(run *r, dm_seed_action a, const char *path, const char *bucket, const char *key, uint64_t size,
		   const char *reason)
{
	dm_seed_item it = { a, path, bucket, key, size, reason };
	dm_seed_summary *s = r->sum;

	pthread_mutex_lock(&r->lock);
	switch (a) {
	case DM_SEED_UPLOADED: s->uploaded++; s->bytes_uploaded += size; break;
	case DM_SEED_SKIPPED: s->skipped++; break;
	case DM_SEED_FAILED: s->failed++; break;
	case DM_SEED_DELETED: s->deleted++; break;
	case DM_SEED_VERIFIED: s->verified++; break;
	case DM_SEED_WOULD_UPLOAD: s->uploaded++; s->bytes_uploaded += size; break;
	case DM_SEED_WOULD_DELETE: s->deleted++; break;
	case DM_SEED_BUCKET_CREATED: s->buckets_created++; break;
	case DM_SEED_WARNING: s->warnings++; break;
	}
	if (key && a != DM_SEED_DELETED && a != DM_SEED_WOULD_DELETE && a != DM_SEED_BUCKET_CREATED &&
	    a != DM_SEED_WARNING) {
		r->files_done++;
		r->bytes_done += size;
	}
	if (r->o->on_item)
		r->o->on_item(&it, r->o->userdata);
	pthread_mutex_unlock(&r->lock);
}

static void free_job(file_job *f)
{
	if (!f)
		return;
	free(f->path);
	free(f->key);
	free(f->upload_id);
	if (f->etags)
		for (int i = 0; i < f->nparts; i++)
			free(f->etags[i]);
	free(f->etags);
	free(f->md5s);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* ---- reading files ---- */

static int grow(wbuf *b, size_t n)
{
	unsigned char *p;

	if (n <= b->cap)
		return 0;
	p = realloc(b->data, n ? n : 1);
	if (!p)
		return -1;
	b->data = p;
	b->cap = n;
	return 0;
}

static int64_t ns_of(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* The walk's file, not another one put in its place: the same device and inode. */
static int same_file(const file_job *f, const struct stat *st)
{
	return st->st_dev == f->dev && st->st_ino == f->ino;
}

/* The file is as the job last saw it: same mtime and ctime.  ctime counts
 * because mtime can be put back (touch -r, cp -p, rsync --inplace) after a
 * rewrite of the same size, and then only ctime tells. */
static int same_times(const file_job *f, const struct stat *st)
{
	return ns_of(&st->st_mtim) == f->mtime_ns && ns_of(&st->st_ctim) == f->ctime_ns;
}

/* Reads len bytes at off of the job's file into b, checking that the file is
 * the one the walk saw and did not change while being read. */
static int read_range(file_job *f, wbuf *b, uint64_t off, size_t len, char *why, size_t nwhy)
{
	for (int attempt = 0; attempt < READ_TRIES; attempt++) {
		struct stat before, after;
		size_t got = 0;
		int fd = open(f->path, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			snprintf(why, nwhy, "cannot read: %s", strerror(errno));
			return -1;
		}
		if (fstat(fd, &before) != 0 || grow(b, len) != 0) {
			snprintf(why, nwhy, "cannot read: %s", strerror(errno ? errno : ENOMEM));
			close(fd);
			return -1;
		}
		if ((uint64_t)before.st_size != f->size || !same_file(f, &before)) {
			/* changed since the walk: a small file is simply taken as it is now */
			if (f->nparts > 0) {
				/* say which: a same-size replacement read as "size N, was N" */
				if (!same_file(f, &before))
					snprintf(why, nwhy, "changed while uploading (replaced by another file)");
				else
					snprintf(why, nwhy, "changed while uploading (size %llu, was %llu)",
						 (unsigned long long)before.st_size, (unsigned long long)f->size);
				close(fd);
				return -1;
			}
			f->size = (uint64_t)before.st_size;
			f->dev = before.st_dev;
			f->ino = before.st_ino;
			len = (size_t)f->size;
			if (grow(b, len) != 0) {
				snprintf(why, nwhy, "out of memory");
				close(fd);
				return -1;
			}
		}
		if (f->nparts > 0) {
			/* parts are read one by one, maybe by several threads: each must see the walk's file */
			if (!same_times(f, &before)) {
				snprintf(why, nwhy, "changed while uploading");
				close(fd);
				return -1;
			}
		} else {
			f->mtime_ns = ns_of(&before.st_mtim);
			f->ctime_ns = ns_of(&before.st_ctim);
		}
		while (got < len) {
			ssize_t n = pread(fd, b->data + got, len - got, (off_t)(off + got));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got < len) {
			snprintf(why, nwhy, got == 0 && errno ? "cannot read: %s" : "file shrank while being read%s",
				 got == 0 && errno ? strerror(errno) : "");
			close(fd);
			if (attempt + 1 < READ_TRIES && f->nparts == 0)
				continue;
			return -1;
		}
		fstat(fd, &after);
		close(fd);
		/* before matched the job's times (checked above, or taken as the job's) */
		if (after.st_size == before.st_size && same_file(f, &after) && same_times(f, &after))
			return 0;
		snprintf(why, nwhy, "changed while being read");
		if (f->nparts > 0)
			return -1;
	}
	return -1;
}

static void md5_hex(char out[33], const unsigned char md5[16])
{
	dm_hex(out, md5, 16);
}

/* ---- the work ---- */

static void fail_file(run *r, file_job *f, const char *why)
{
	report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, why);
}

/* Compares a finished upload's ETag with the expected one; HEADs when the reply had none. */
static dm_err confirm_etag(run *r, file_job *f, const char *got, const char *want, char *why, size_t nwhy)
{
	char etag[80];

	snprintf(etag, sizeof(etag), "%s", got ? got : "");
	if (!etag[0]) {
		uint64_t size = 0;
		dm_err e = dm_s3_head(r->s3, f->bucket, f->key, &size, etag);

		if (e) {
			snprintf(why, nwhy, "uploaded, but cannot check its ETag: %s", dm_err_detail());
			return e;
		}
		if (size != f->size) {
			snprintf(why, nwhy, "object is %llu bytes after upload, file is %llu", (unsigned long long)size,
				 (unsigned long long)f->size);
			return DM_ERR_CHECKSUM;
		}
	}
	if (strcmp(etag, want) != 0) {
		snprintf(why, nwhy, "ETag after upload is %s, expected %s", etag, want);
		return DM_ERR_CHECKSUM;
	}
	return DM_OK;
}

static void do_small(run *r, file_job *f, wbuf *b)
{
	unsigned char md5[16];
	char hex[33], etag[80], why[1024];
	dm_err e;

	if (read_range(f, b, 0, (size_t)f->size, why, sizeof(why)) != 0) {
		report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, why);
		return;
	}
	dm_md5(md5, b->data, (size_t)f->size);
	md5_hex(hex, md5);
	if (r->o->verify_only) {
		if (!f->have_remote)
			report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, "missing in the bucket");
		else if (f->remote_size != f->size || strcmp(f->remote_etag, hex) != 0) {
			snprintf(why, sizeof(why), "object differs (size %llu, ETag %s; file: size %llu, MD5 %s)",
				 (unsigned long long)f->remote_size, f->remote_etag, (unsigned long long)f->size, hex);
			report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, why);
		} else
			report(r, DM_SEED_VERIFIED, f->path, f->bucket, f->key, f->size, NULL);
		return;
	}
	if (f->have_remote && f->remote_size == f->size && strcmp(f->remote_etag, hex) == 0) {
		report(r, DM_SEED_SKIPPED, f->path, f->bucket, f->key, f->size, NULL);
		return;
	}
	if (r->o->dry_run) {
		report(r, DM_SEED_WOULD_UPLOAD, f->path, f->bucket, f->key, f->size, NULL);
		return;
	}
	/* BadDigest: the bytes were damaged on the way; read the file again and resend */
	for (int retry = 1;; retry++) {
		e = dm_s3_put(r->s3, f->bucket, f->key, b->data, (size_t)f->size, md5, etag);
		if (e != DM_ERR_CHECKSUM || retry > dm_s3_retries(r->s3) || stopping(r))
			break;
		dm_info("retrying '%s' (read again from the file, %d of %d): %s", f->path, retry, dm_s3_retries(r->s3),
			dm_err_detail());
		if (read_range(f, b, 0, (size_t)f->size, why, sizeof(why)) != 0) {
			report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, why);
			return;
		}
		dm_md5(md5, b->data, (size_t)f->size);
		md5_hex(hex, md5);
	}
	if (e) {
		if (is_fatal(e))
			set_fatal(r, e);
		fail_file(r, f, dm_err_detail());
		return;
	}
	if (confirm_etag(r, f, etag, hex, why, sizeof(why)) != DM_OK) {
		report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, why);
		return;
	}
	report(r, DM_SEED_UPLOADED, f->path, f->bucket, f->key, f->size, NULL);
}

static int alloc_parts(file_job *f)
{
	f->etags = calloc((size_t)f->nparts, sizeof(*f->etags));
	f->md5s = calloc((size_t)f->nparts, sizeof(*f->md5s));
	f->remaining = f->nparts;
	return f->etags && f->md5s ? 0 : -1;
}

static void finish_file(run *r, file_job *f);

static void part_failed(file_job *f, const char *why)
{
	if (!f->failed) {
		f->failed = 1;
		snprintf(f->reason, sizeof(f->reason), "%s", why);
	}
}

/* n parts of f are done with (uploaded, dropped, or never queued); after the
 * last, the file is completed or aborted. */
static void parts_done(run *r, file_job *f, int n)
{
	int last;

	pthread_mutex_lock(&f->lock);
	f->remaining -= n;
	last = f->remaining == 0;
	pthread_mutex_unlock(&f->lock);
	if (last) {
		/* the parts' bytes were counted as they went: count the file alone */
		pthread_mutex_lock(&r->lock);
		r->bytes_done -= f->counted;
		pthread_mutex_unlock(&r->lock);
		finish_file(r, f);
	}
}

/* Fails the rest of f's parts if the run is stopping (f->lock held, or f no longer shared). */
static void stop_if_stopping(run *r, file_job *f)
{
	if (!f->failed && stopping(r))
		part_failed(f, cancelled ? "interrupted" : "stopped after an earlier error");
}

static void queue_parts(run *r, file_job *f, int force)
{
	int batch = r->part_budget < PART_BATCH ? r->part_budget : PART_BATCH;

	for (int i = 0; i < f->nparts; i += batch) {
		task *t = calloc(1, sizeof(*t));

		if (!t) {
			pthread_mutex_lock(&f->lock);
			part_failed(f, "out of memory");
			pthread_mutex_unlock(&f->lock);
			parts_done(r, f, f->nparts - i);
			return;
		}
		t->kind = T_BATCH;
		t->f = f;
		t->part = i;
		t->count = f->nparts - i < batch ? f->nparts - i : batch;
		push(r, t, force);
	}
}

static size_t part_len(const file_job *f, int i)
{
	uint64_t off = (uint64_t)i * f->part_size;

	return (size_t)(f->size - off < f->part_size ? f->size - off : f->part_size);
}

/* dm_md5_many_read's reader over a group of parts: one chunk buffer per part. */
typedef struct {
	file_job *f;
	int first; /* the group's first part */
	wbuf b[PART_BATCH];
	char why[512];
} part_reader;

static const void *read_part_chunk(void *arg, size_t i, uint64_t off, size_t n)
{
	part_reader *pr = arg;
	uint64_t at = (uint64_t)(pr->first + (int)i) * pr->f->part_size + off;

	return read_range(pr->f, &pr->b[i], at, n, pr->why, sizeof(pr->why)) == 0 ? pr->b[i].data : NULL;
}

/* MD5 of every part of f into md5s: groups of PART_BATCH parts hashed together
 * a chunk at a time (dm_md5_many_read), groups spread over an OpenMP team of
 * at most 4 threads (the disk and the network are shared).  Memory: a chunk
 * per part of a group, whatever the part size.  0 or -1 with why. */
static int hash_parts(file_job *f, unsigned char (*md5s)[16], char *why, size_t nwhy)
{
	int failed = 0;
	int ngroups = (f->nparts + PART_BATCH - 1) / PART_BATCH;

#pragma omp parallel num_threads(ngroups < 4 ? ngroups : 4)
	{
		part_reader pr;

		memset(&pr, 0, sizeof(pr));
		pr.f = f;
#pragma omp for schedule(dynamic, 1)
		for (int g = 0; g < ngroups; g++) {
			uint64_t len[PART_BATCH];
			int bad, n;

#pragma omp atomic read
			bad = failed;
			if (bad)
				continue;
			pr.first = g * PART_BATCH;
			n = f->nparts - pr.first < PART_BATCH ? f->nparts - pr.first : PART_BATCH;
			for (int k = 0; k < n; k++)
				len[k] = part_len(f, pr.first + k);
			if (dm_md5_many_read(md5s + pr.first, len, (size_t)n, read_part_chunk, &pr) != 0) {
#pragma omp critical(dm_seed_hash_fail)
				{
					if (!failed)
						snprintf(why, nwhy, "%s", pr.why);
					failed = 1;
				}
			}
		}
		for (int k = 0; k < PART_BATCH; k++)
			free(pr.b[k].data);
	}
	return failed ? -1 : 0;
}

/* A multipart file whose object exists with the same size: compute the ETag first. */
static void do_check(run *r, file_job *f, wbuf *b)
{
	char want[48], why[1024];

	(void)b;
	if (stopping(r)) {
		free_job(f);
		return;
	}
	if (hash_parts(f, f->md5s, why, sizeof(why)) != 0) {
		report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, why);
		free_job(f);
		return;
	}
	dm_s3_multipart_etag(want, (const unsigned char(*)[16])f->md5s, (size_t)f->nparts);
	if (f->have_remote && f->remote_size == f->size && strcmp(f->remote_etag, want) == 0) {
		report(r, r->o->verify_only ? DM_SEED_VERIFIED : DM_SEED_SKIPPED, f->path, f->bucket, f->key, f->size,
		       NULL);
		free_job(f);
		return;
	}
	if (r->o->verify_only) {
		if (!f->have_remote)
			snprintf(why, sizeof(why), "missing in the bucket");
		else
			snprintf(why, sizeof(why), "object differs (size %llu, ETag %s; file: size %llu, ETag %s)",
				 (unsigned long long)f->remote_size, f->remote_etag, (unsigned long long)f->size, want);
		report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, why);
		free_job(f);
		return;
	}
	if (r->o->dry_run) {
		report(r, DM_SEED_WOULD_UPLOAD, f->path, f->bucket, f->key, f->size, NULL);
		free_job(f);
		return;
	}
	queue_parts(r, f, 1);
}

/* The last part of a file finished (or was dropped): complete or abort. */
static void finish_file(run *r, file_job *f)
{
	char want[48], why[1024], etag[80] = "";
	dm_err e;

	stop_if_stopping(r, f);
	if (f->failed) {
		if (f->upload_id && dm_s3_mpu_abort(r->s3, f->bucket, f->key, f->upload_id) != DM_OK)
			dm_warn("cannot abort the multipart upload of '%s/%s': %s", f->bucket, f->key, dm_err_detail());
		report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, f->reason);
		free_job(f);
		return;
	}
	dm_s3_multipart_etag(want, (const unsigned char(*)[16])f->md5s, (size_t)f->nparts);
	e = dm_s3_mpu_complete(r->s3, f->bucket, f->key, f->upload_id, f->etags, f->nparts, etag);
	if (e) {
		snprintf(why, sizeof(why), "%s", dm_err_detail());
		if (is_fatal(e))
			set_fatal(r, e);
		dm_s3_mpu_abort(r->s3, f->bucket, f->key, f->upload_id);
		report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, why);
	} else if (confirm_etag(r, f, etag, want, why, sizeof(why)) != DM_OK) {
		report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, why);
	} else {
		report(r, DM_SEED_UPLOADED, f->path, f->bucket, f->key, f->size, NULL);
	}
	free_job(f);
}

/* Reads and hashes a batch of parts, then queues each for upload; a part of a
 * file that failed goes on too, to give its buffer back and be counted. */
static void do_batch(run *r, task *t)
{
	file_job *f = t->f;
	task *parts[PART_BATCH] = { NULL };
	const void *data[PART_BATCH];
	size_t len[PART_BATCH];
	char why[1024];
	int ok;
	dm_err e;

	for (int k = 0; k < t->count; k++) {
		parts[k] = calloc(1, sizeof(*parts[k]));
		if (parts[k]) {
			parts[k]->kind = T_PART;
			parts[k]->f = f;
			parts[k]->part = t->part + k;
			parts[k]->buf = take_buffer(r);
		}
	}
	pthread_mutex_lock(&f->lock);
	for (int k = 0; k < t->count; k++)
		if (!parts[k])
			part_failed(f, "out of memory");
	stop_if_stopping(r, f);
	if (!f->failed && !f->upload_id) {
		e = dm_s3_mpu_init(r->s3, f->bucket, f->key, &f->upload_id);
		if (e) {
			if (is_fatal(e))
				set_fatal(r, e);
			part_failed(f, dm_err_detail());
		}
	}
	ok = !f->failed;
	pthread_mutex_unlock(&f->lock);
	for (int k = 0; ok && k < t->count; k++) {
		int i = t->part + k;

		if (read_range(f, &parts[k]->buf, (uint64_t)i * f->part_size, part_len(f, i), why, sizeof(why)) != 0) {
			pthread_mutex_lock(&f->lock);
			part_failed(f, why);
			pthread_mutex_unlock(&f->lock);
			ok = 0;
		}
		data[k] = parts[k]->buf.data;
		len[k] = part_len(f, i);
	}
	if (ok)
		dm_md5_many(f->md5s + t->part, data, len, (size_t)t->count);
	/* in reverse, so that the batch's first part is first in the queue */
	for (int k = t->count - 1; k >= 0; k--) {
		if (parts[k]) {
			push_front(r, parts[k]);
		} else {
			/* no task to carry it: its reserved buffer and its count end here */
			wbuf none = { NULL, 0 };

			give_buffer(r, &none);
			parts_done(r, f, 1);
		}
	}
}

/* Uploads one part read and hashed by its batch (or drops it if the file
 * failed), gives its buffer back, and completes the file after its last part. */
static void do_part(run *r, file_job *f, int i, wbuf *b)
{
	char why[1024], etag[80], hex[33];
	int skip;
	dm_err e;

	pthread_mutex_lock(&f->lock);
	stop_if_stopping(r, f);
	skip = f->failed;
	pthread_mutex_unlock(&f->lock);
	if (!skip) {
		/* BadDigest: the bytes were damaged on the way; read the part again and resend */
		why[0] = '\0';
		for (int retry = 1;; retry++) {
			unsigned char again[16];

			e = dm_s3_mpu_part(r->s3, f->bucket, f->key, f->upload_id, i + 1, b->data, part_len(f, i),
					   f->md5s[i], etag);
			if (e != DM_ERR_CHECKSUM || retry > dm_s3_retries(r->s3) || stopping(r))
				break;
			dm_info("retrying part %d of '%s' (read again from the file, %d of %d): %s", i + 1, f->path, retry,
				dm_s3_retries(r->s3), dm_err_detail());
			if (read_range(f, b, (uint64_t)i * f->part_size, part_len(f, i), why, sizeof(why)) != 0)
				break;
			dm_md5(again, b->data, part_len(f, i));
			if (memcmp(again, f->md5s[i], 16) != 0) {
				snprintf(why, sizeof(why), "changed while uploading (part %d read again differs)", i + 1);
				break;
			}
		}
		md5_hex(hex, f->md5s[i]);
		pthread_mutex_lock(&f->lock);
		if (why[0]) {
			part_failed(f, why);
		} else if (e) {
			if (is_fatal(e))
				set_fatal(r, e);
			snprintf(why, sizeof(why), "part %d: %s", i + 1, dm_err_detail());
			part_failed(f, why);
		} else if (strcmp(etag, hex) != 0) {
			snprintf(why, sizeof(why), "part %d: ETag %s, expected %s", i + 1, etag, hex);
			part_failed(f, why);
		} else {
			f->etags[i] = strdup(etag);
			if (!f->etags[i])
				part_failed(f, "out of memory");
		}
		pthread_mutex_unlock(&f->lock);
		pthread_mutex_lock(&r->lock);
		r->bytes_done += part_len(f, i);
		f->counted += part_len(f, i);
		pthread_mutex_unlock(&r->lock);
	}
	give_buffer(r, b);
	parts_done(r, f, 1);
}

static void do_delete(run *r, task *t)
{
	dm_err e;

	if (stopping(r))
		return;
	e = dm_s3_delete(r->s3, t->bucket, t->key);
	if (e) {
		if (is_fatal(e))
			set_fatal(r, e);
		report(r, DM_SEED_FAILED, NULL, t->bucket, t->key, 0, dm_err_detail());
	} else {
		report(r, DM_SEED_DELETED, NULL, t->bucket, t->key, 0, NULL);
	}
}

static void *worker(void *arg)
{
	run *r = arg;
	wbuf b = { NULL, 0 };
	task *t;

	while ((t = pop(r)) != NULL) {
		switch (t->kind) {
		case T_FILE:
			if (!stopping(r))
				do_small(r, t->f, &b);
			free_job(t->f);
			break;
		case T_CHECK:
			if (stopping(r))
				free_job(t->f);
			else
				do_check(r, t->f, &b);
			break;
		case T_BATCH:
			do_batch(r, t);
			break;
		case T_PART:
			do_part(r, t->f, t->part, &t->buf);
			break;
		case T_DELETE:
			do_delete(r, t);
			break;
		}
		free(t->bucket);
		free(t->key);
		free(t);
		task_done(r);
	}
	free(b.data);
	return NULL;
}

static void *progress_thread(void *arg)
{
	run *r = arg;
	double every = r->o->progress_interval > 0 ? r->o->progress_interval : 0.2;

	for (;;) {
		dm_seed_progress p;
		int done;

		usleep((useconds_t)(every * 1e6));
		pthread_mutex_lock(&r->lock);
		done = r->closed && r->busy == 0 && !r->head;
		p.files_done = r->files_done;
		p.files_total = r->files_total;
		p.bytes_done = r->bytes_done;
		p.bytes_total = r->bytes_total;
		p.walk_done = r->walk_done;
		p.seconds = dm_now() - r->start;
		pthread_mutex_unlock(&r->lock);
		if (done)
			break;
		r->o->on_progress(&p, r->o->userdata);
	}
	return NULL;
}

/* ---- the producer: walk x listing (the decisions are plan.c's) ---- */

typedef struct {
	run *r;
	dm_plan *plan;
	const char *bucket;
	const char *prefix;
	char *token;
	dm_s3_page page;
	size_t idx;
	int done, missing;
} lister;

/* Fills the next page when the current one is used up.  Each page is
 * checked whole by the plan before the merge sees any of it. */
static dm_err lister_fill(lister *l)
{
	dm_err e;

	while (!l->done && l->idx >= l->page.n) {
		dm_s3_page_release(&l->page);
		l->idx = 0;
		if (l->missing) {
			l->done = 1;
			break;
		}
		e = dm_s3_list_page(l->r->s3, l->bucket, l->prefix, &l->token, &l->page);
		if (e == DM_ERR_NOTFOUND) {
			dm_err_clear();
			l->done = 1;
			break;
		}
		if (e == DM_ERR_PARSE) {
			char why[1024];

			snprintf(why, sizeof(why), "%s", dm_err_detail());
			return dm_fail(e, "bad listing of '%s/%s': %s", l->bucket, l->prefix, why);
		}
		if (e)
			return e;
		if ((e = dm_plan_check_page(l->plan, &l->page, l->token)))
			return e;
		if (!l->token)
			l->missing = 1; /* last page: stop after it */
	}
	return DM_OK;
}

static const dm_s3_object *lister_peek(lister *l)
{
	return !l->done && l->idx < l->page.n ? &l->page.items[l->idx] : NULL;
}

static void plan_file(run *r, const char *bucket, const dm_walk_entry *en, const char *key, const dm_s3_object *remote)
{
	file_job *f = calloc(1, sizeof(*f));
	task *t;

	if (!f || !(f->path = strdup(en->path)) || !(f->key = strdup(key))) {
		if (f) {
			free(f->path);
			free(f);
		}
		report(r, DM_SEED_FAILED, en->path, bucket, key, en->size, "out of memory");
		return;
	}
	pthread_mutex_init(&f->lock, NULL);
	f->bucket = bucket;
	f->size = en->size;
	f->dev = en->dev;
	f->ino = en->ino;
	f->mtime_ns = en->mtime_ns;
	f->ctime_ns = en->ctime_ns;
	if (remote) {
		f->have_remote = 1;
		f->remote_size = remote->size;
		snprintf(f->remote_etag, sizeof(f->remote_etag), "%s", remote->etag);
	}
	pthread_mutex_lock(&r->lock);
	r->files_total++;
	r->bytes_total += en->size;
	r->sum->files_seen++;
	r->sum->bytes_seen += en->size;
	pthread_mutex_unlock(&r->lock);

	if (f->size > r->threshold) {
		f->part_size = r->o->part_size ? r->o->part_size : dm_s3_part_size(f->size);
		f->nparts = (int)dm_s3_part_count(f->size, f->part_size);
		if (f->nparts > DM_S3_MAX_PARTS || f->size > DM_S3_MAX_OBJECT) {
			report(r, DM_SEED_FAILED, f->path, bucket, key, f->size,
			       f->size > DM_S3_MAX_OBJECT ? "larger than S3's 5 TiB object limit"
							   : "needs more than 10,000 parts: raise --part-size");
			free_job(f);
			return;
		}
		if (alloc_parts(f) != 0) {
			report(r, DM_SEED_FAILED, f->path, bucket, key, f->size, "out of memory");
			free_job(f);
			return;
		}
		if ((remote && remote->size == f->size) || r->o->verify_only) {
			t = calloc(1, sizeof(*t));
			if (!t) {
				report(r, DM_SEED_FAILED, f->path, bucket, key, f->size, "out of memory");
				free_job(f);
				return;
			}
			t->kind = T_CHECK;
			t->f = f;
			push(r, t, 0);
		} else if (r->o->dry_run) {
			report(r, DM_SEED_WOULD_UPLOAD, f->path, bucket, key, f->size, NULL);
			free_job(f);
		} else {
			queue_parts(r, f, 0);
		}
		return;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		report(r, DM_SEED_FAILED, f->path, bucket, key, f->size, "out of memory");
		free_job(f);
		return;
	}
	t->kind = T_FILE;
	t->f = f;
	push(r, t, 0);
}

/* ---- multipart uploads left unfinished (a killed run, another client) ---- */

typedef struct {
	dm_s3_upload *u;
	size_t n, next;
	int *ours; /* a file of this run maps to the upload's key */
	int listed;
} orphans;

static int cmp_upload(const void *a, const void *b)
{
	return strcmp(((const dm_s3_upload *)a)->key, ((const dm_s3_upload *)b)->key);
}

/* Lists the unfinished uploads under the prefix before this run starts any. */
static void orphans_list(run *r, orphans *o, const char *bucket, const char *prefix)
{
	dm_err e;

	memset(o, 0, sizeof(*o));
	if (r->o->verify_only)
		return;
	/* a bucket that does not exist yet (--dry-run) has none */
	if ((e = dm_s3_mpu_list(r->s3, bucket, prefix, &o->u, &o->n)) != DM_OK) {
		if (e != DM_ERR_NOTFOUND)
			dm_warn("cannot list the unfinished multipart uploads under '%s/%s': %s", bucket, prefix,
				dm_err_detail());
		dm_err_clear();
		return;
	}
	if (o->n > 1)
		qsort(o->u, o->n, sizeof(*o->u), cmp_upload);
	o->ours = calloc(o->n ? o->n : 1, sizeof(*o->ours));
	o->listed = o->ours != NULL;
}

/* key (in ascending order from call to call) is uploaded or skipped by this run. */
static void orphans_see(orphans *o, const char *key)
{
	while (o->listed && o->next < o->n && strcmp(o->u[o->next].key, key) < 0)
		o->next++;
	for (size_t i = o->next; o->listed && i < o->n && strcmp(o->u[i].key, key) == 0; i++)
		o->ours[i] = 1;
}

/* Aborts the uploads of keys this run took care of and reports the others. */
static void orphans_finish(run *r, orphans *o, const char *bucket)
{
	for (size_t i = 0; o->listed && i < o->n && !stopping(r); i++) {
		const dm_s3_upload *u = &o->u[i];
		char when[64] = "at an unknown time", why[1536];
		time_t t = (time_t)u->initiated;
		struct tm tm;

		if (u->initiated >= 0 && gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (!o->ours[i]) {
			snprintf(why, sizeof(why),
				 "an unfinished multipart upload started %s is left as it is: no local file maps to it "
				 "(upload ID %s)", when, u->upload_id);
		} else if (r->o->dry_run) {
			snprintf(why, sizeof(why), "would abort an unfinished multipart upload started %s", when);
		} else if (dm_s3_mpu_abort(r->s3, bucket, u->key, u->upload_id) != DM_OK) {
			snprintf(why, sizeof(why), "cannot abort an unfinished multipart upload started %s (upload ID %s): %s",
				 when, u->upload_id, dm_err_detail());
		} else {
			snprintf(why, sizeof(why), "aborted an unfinished multipart upload started %s", when);
		}
		report(r, DM_SEED_WARNING, NULL, bucket, u->key, 0, why);
	}
	dm_s3_uploads_free(o->u, o->n);
	free(o->ours);
}

/* ---- --delete: candidates checked once more, then deleted ---- */

static void keep(run *r, const char *bucket, const dm_plan_candidate *c, const char *why)
{
	pthread_mutex_lock(&r->lock);
	r->sum->kept++;
	pthread_mutex_unlock(&r->lock);
	report(r, DM_SEED_WARNING, NULL, bucket, c->key, c->size, why);
}

/* After the whole walk and the whole listing of the tree, and only then: the
 * stale candidates that no walk failure protects and whose file is truly not
 * there (lstat: only ENOENT and ENOTDIR say so) are queued for deletion. */
static dm_err delete_stale(run *r, dm_plan *plan, const char *dir, const char *bucket)
{
	size_t n;
	const dm_plan_candidate *c = dm_plan_candidates(plan, &n);
	char why[4200];

	for (size_t i = 0; i < n && !stopping(r); i++) {
		struct stat st;
		char *path;
		task *t;
		int there;

		if (c[i].protected_by) {
			snprintf(why, sizeof(why), "not deleted: '%s/%s' could not be read", dir, c[i].protected_by);
			keep(r, bucket, &c[i], why);
			continue;
		}
		if (asprintf(&path, "%s/%s", dir, c[i].rel) < 0)
			return dm_fail(DM_ERR_NOMEM, "out of memory");
		there = lstat(path, &st) == 0;
		if (there || (errno != ENOENT && errno != ENOTDIR)) {
			if (there)
				snprintf(why, sizeof(why), "not deleted: '%s' exists", path);
			else
				snprintf(why, sizeof(why), "not deleted: cannot check '%s': %s", path, strerror(errno));
			free(path);
			keep(r, bucket, &c[i], why);
			continue;
		}
		free(path);
		if (r->o->dry_run) {
			report(r, DM_SEED_WOULD_DELETE, NULL, bucket, c[i].key, c[i].size, NULL);
			continue;
		}
		t = calloc(1, sizeof(*t));
		if (!t || !(t->bucket = strdup(bucket)) || !(t->key = strdup(c[i].key))) {
			if (t)
				free(t->bucket);
			free(t);
			return dm_fail(DM_ERR_NOMEM, "out of memory");
		}
		t->kind = T_DELETE;
		push(r, t, 0);
	}
	return DM_OK;
}

/* Seeds one folder into bucket/prefix. Returns a run-stopping error only. */
static dm_err seed_tree(run *r, const char *dir, const char *bucket, const char *prefix)
{
	const dm_seed_opts *o = r->o;
	dm_plan_opts po = { .bucket = bucket, .prefix = prefix, .rules = o->rules, .nrules = o->nrules,
			    .shard_index = o->shard_index, .shard_count = o->shard_count,
			    .collect_stale = o->delete_stale && !o->verify_only };
	lister l;
	orphans orph;
	dm_plan *plan;
	dm_walk *w;
	const dm_walk_entry *en = NULL;
	dm_plan_step st;
	dm_err e;

	memset(&l, 0, sizeof(l));
	l.r = r;
	l.bucket = bucket;
	l.prefix = prefix;
	if ((e = dm_plan_new(&plan, &po)))
		return e;
	l.plan = plan;
	if ((e = dm_walk_open(&w, dir))) {
		dm_plan_free(plan);
		return e;
	}
	orphans_list(r, &orph, bucket, prefix);
	e = lister_fill(&l);
	/* a walk that ends early must never read as "no files": everything would look stale */
	if (!e && !(en = dm_walk_next(w)))
		e = dm_walk_status(w);
	while (!e && !stopping(r)) {
		if ((e = dm_plan_next(plan, en, lister_peek(&l), &st)))
			break;
		if (!st.took_local && !st.took_remote)
			break; /* both at their end */
		switch (st.verdict) {
		case DM_PLAN_UPLOAD:
		case DM_PLAN_COMPARE:
			orphans_see(&orph, st.key);
			plan_file(r, bucket, en, st.key, st.verdict == DM_PLAN_COMPARE ? lister_peek(&l) : NULL);
			break;
		case DM_PLAN_WALK_FAIL:
			report(r, DM_SEED_FAILED, en->path, bucket, st.key, 0, en->reason);
			break;
		case DM_PLAN_WALK_WARN:
			report(r, DM_SEED_WARNING, en->path, bucket, st.key, 0, en->reason);
			break;
		case DM_PLAN_BAD_NAME:
			report(r, DM_SEED_FAILED, en->path, bucket,
			       dm_utf8_valid(en->rel, strlen(en->rel)) ? st.key : NULL, en->size, st.why);
			break;
		case DM_PLAN_STALE:
		case DM_PLAN_IGNORE:
			break;
		}
		if (st.took_local && !(en = dm_walk_next(w)))
			e = dm_walk_status(w);
		if (!e && st.took_remote) {
			l.idx++;
			e = lister_fill(&l);
		}
	}
	/* deletions only after the whole walk and the whole listing, and never
	 * after an error or an interrupt: then the merge saw only part of them */
	if (!e && !stopping(r) && !en && !lister_peek(&l))
		e = delete_stale(r, plan, dir, bucket);
	if (!e && !stopping(r))
		orphans_finish(r, &orph, bucket);
	else {
		dm_s3_uploads_free(orph.u, orph.n);
		free(orph.ours);
	}
	dm_s3_page_release(&l.page);
	free(l.token);
	dm_walk_close(w);
	dm_plan_free(plan);
	return e;
}

static dm_err prepare_bucket(run *r, const char *bucket)
{
	dm_err e;

	if (r->o->dry_run || r->o->verify_only) {
		e = dm_s3_bucket_head(r->s3, bucket);
		if (e == DM_ERR_NOTFOUND) {
			dm_err_clear();
			if (r->o->dry_run)
				dm_info("would create bucket '%s'", bucket);
			return DM_OK;
		}
		return e;
	}
	e = dm_s3_bucket_head(r->s3, bucket);
	if (e == DM_ERR_NOTFOUND) {
		dm_err_clear();
		e = dm_s3_bucket_create(r->s3, bucket);
		if (!e)
			report(r, DM_SEED_BUCKET_CREATED, NULL, bucket, NULL, 0, NULL);
	}
	return e;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Bucket mode: every top-level entry must be a folder named like a bucket. */
static dm_err list_buckets(const char *source, char ***out, size_t *n)
{
	DIR *d = opendir(source);
	struct dirent *de;
	char **names = NULL;
	size_t cnt = 0;
	dm_err e = DM_OK;

	*out = NULL;
	*n = 0;
	if (!d)
		return dm_fail(errno == ENOENT ? DM_ERR_NOTFOUND : DM_ERR_IO, "cannot read '%s': %s", source, strerror(errno));
	while ((de = readdir(d)) != NULL && !e) {
		char *path;
		struct stat st;
		char **grown;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (asprintf(&path, "%s/%s", source, de->d_name) < 0) {
			e = dm_fail(DM_ERR_NOMEM, "out of memory");
			break;
		}
		if (stat(path, &st) != 0)
			e = dm_fail(DM_ERR_INVALID, "'%s': %s", path, strerror(errno));
		else if (!S_ISDIR(st.st_mode))
			e = dm_fail(DM_ERR_INVALID,
				    "'%s' is a file at the top level of '%s': in bucket mode each top-level entry must be a "
				    "folder (it becomes a bucket); move it into a folder or name a bucket (ALIAS/BUCKET)",
				    path, source);
		else if (dm_s3_bucket_name_check(de->d_name) != DM_OK) {
			char why[512];

			snprintf(why, sizeof(why), "%s", dm_err_detail());
			e = dm_fail(DM_ERR_INVALID, "folder '%s' cannot become a bucket: %s", path, why);
		}
		free(path);
		if (e)
			break;
		grown = realloc(names, (cnt + 1) * sizeof(*names));
		if (!grown || !(grown[cnt] = strdup(de->d_name))) {
			free(grown ? grown : names);
			names = NULL;
			cnt = 0;
			e = dm_fail(DM_ERR_NOMEM, "out of memory");
			break;
		}
		names = grown;
		cnt++;
	}
	closedir(d);
	if (e) {
		for (size_t i = 0; i < cnt; i++)
			free(names[i]);
		free(names);
		return e;
	}
	if (cnt > 1)
		qsort(names, cnt, sizeof(*names), cmp_str);
	*out = names;
	*n = cnt;
	return DM_OK;
}

dm_err dm_seed_run(dm_s3 *s3, const dm_seed_opts *o, dm_seed_summary *sum)
{
	run r;
	pthread_t *threads = NULL, prog;
	int jobs = o->jobs > 0 ? o->jobs : DEFAULT_JOBS;
	int started = 0, have_prog = 0;
	char *prefix = NULL;
	char **buckets = NULL;
	size_t nbuckets = 0;
	dm_err e = DM_OK;

	memset(sum, 0, sizeof(*sum));
	memset(&r, 0, sizeof(r));
	cancelled = 0;
	r.s3 = s3;
	r.o = o;
	r.sum = sum;
	r.threshold = o->multipart_threshold ? o->multipart_threshold : DEFAULT_THRESHOLD;
	if (o->part_size && r.threshold < o->part_size)
		r.threshold = o->part_size;
	r.cap = (size_t)jobs * 4;
	r.part_budget = jobs < 2 * PART_BATCH ? jobs : 2 * PART_BATCH;
	r.start = dm_now();

	/* everything that can be refused is refused before the first request */
	if (o->bucket) {
		size_t pl;

		if ((e = dm_s3_bucket_name_check(o->bucket)))
			return e;
		/* a leading '/' would make an empty first path segment */
		const char *pfx = o->prefix ? o->prefix : "";

		while (*pfx == '/')
			pfx++;
		pl = strlen(pfx);
		if (asprintf(&prefix, "%s%s", pfx, pl && pfx[pl - 1] != '/' ? "/" : "") < 0)
			return dm_fail(DM_ERR_NOMEM, "out of memory");
		if (!dm_utf8_valid(prefix, strlen(prefix)) || strlen(prefix) > DM_S3_MAX_KEY) {
			free(prefix);
			return dm_fail(DM_ERR_INVALID, "invalid prefix '%s'", o->prefix);
		}
		{
			struct stat st;

			if (stat(o->source, &st) != 0) {
				free(prefix);
				return dm_fail(errno == ENOENT ? DM_ERR_NOTFOUND : DM_ERR_IO, "cannot read '%s': %s",
					       o->source, strerror(errno));
			}
			if (!S_ISDIR(st.st_mode)) {
				free(prefix);
				return dm_fail(DM_ERR_INVALID, "'%s' is not a folder", o->source);
			}
		}
	} else if ((e = list_buckets(o->source, &buckets, &nbuckets))) {
		return e;
	}

	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.not_empty, NULL);
	pthread_cond_init(&r.not_full, NULL);

	/* the first request tells whether the endpoint and the keys work */
	if (o->bucket)
		e = prepare_bucket(&r, o->bucket);
	else if (nbuckets > 0)
		e = prepare_bucket(&r, buckets[0]);
	if (e)
		goto cleanup;

	threads = calloc((size_t)jobs, sizeof(*threads));
	if (!threads) {
		e = dm_fail(DM_ERR_NOMEM, "out of memory");
		goto cleanup;
	}
	for (started = 0; started < jobs; started++)
		if (pthread_create(&threads[started], NULL, worker, &r) != 0)
			break;
	if (started == 0) {
		e = dm_fail(DM_ERR_NOMEM, "cannot start worker threads");
		goto cleanup;
	}
	if (o->on_progress)
		have_prog = pthread_create(&prog, NULL, progress_thread, &r) == 0;

	if (o->bucket) {
		e = seed_tree(&r, o->source, o->bucket, prefix);
	} else {
		for (size_t i = 0; i < nbuckets && !e && !stopping(&r); i++) {
			char *dir;

			if (i > 0 && (e = prepare_bucket(&r, buckets[i])))
				break;
			if (asprintf(&dir, "%s/%s", o->source, buckets[i]) < 0) {
				e = dm_fail(DM_ERR_NOMEM, "out of memory");
				break;
			}
			e = seed_tree(&r, dir, buckets[i], "");
			free(dir);
		}
	}
	if (e && !is_fatal(e) && e != DM_ERR_NOMEM)
		set_fatal(&r, e);

	pthread_mutex_lock(&r.lock);
	r.walk_done = 1;
	r.closed = 1;
	pthread_cond_broadcast(&r.not_empty);
	pthread_mutex_unlock(&r.lock);
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	if (have_prog)
		pthread_join(prog, NULL);

	if (r.fatal) {
		e = dm_fail(r.fatal, "%s", r.fatal_detail);
	} else if (cancelled) {
		e = dm_fail(DM_ERR_INTERRUPTED, "interrupted");
	} else if (!e) {
		e = sum->failed ? dm_fail(DM_ERR_PARTIAL, "%llu of %llu files failed", (unsigned long long)sum->failed,
					  (unsigned long long)sum->files_seen)
				: DM_OK;
	}
cleanup:
	/* tasks left behind by a stop: drop them, aborting what was begun */
	while (r.head) {
		task *t = r.head;

		r.head = t->next;
		if (t->kind == T_PART || t->kind == T_BATCH) {
			free(t->buf.data);
			parts_done(&r, t->f, t->kind == T_BATCH ? t->count : 1);
		} else if (t->f) {
			free_job(t->f);
		}
		free(t->bucket);
		free(t->key);
		free(t);
	}
	sum->seconds = dm_now() - r.start;
	free(threads);
	free(prefix);
	for (int i = 0; i < r.nfree; i++)
		free(r.free_bufs[i].data);
	for (size_t i = 0; i < nbuckets; i++)
		free(buckets[i]);
	free(buckets);
	pthread_mutex_destroy(&r.lock);
	pthread_cond_destroy(&r.not_empty);
	pthread_cond_destroy(&r.not_full);
	return e;
}

dm_err dm_seed_local_etag(const char *path, uint64_t multipart_threshold, uint64_t part_size, char *out)
{
	file_job f;
	wbuf b = { NULL, 0 };
	struct stat st;
	char why[512];
	uint64_t threshold = multipart_threshold ? multipart_threshold : DEFAULT_THRESHOLD;
	unsigned char md5[16];

	if (stat(path, &st) != 0)
		return dm_fail(DM_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
	memset(&f, 0, sizeof(f));
	f.path = (char *)path;
	f.size = (uint64_t)st.st_size;
	f.dev = st.st_dev;
	f.ino = st.st_ino;
	f.mtime_ns = ns_of(&st.st_mtim);
	f.ctime_ns = ns_of(&st.st_ctim);
	if (part_size && threshold < part_size)
		threshold = part_size;
	if (f.size <= threshold) {
		if (read_range(&f, &b, 0, (size_t)f.size, why, sizeof(why)) != 0) {
			free(b.data);
			return dm_fail(DM_ERR_IO, "'%s': %s", path, why);
		}
		dm_md5(md5, b.data, (size_t)f.size);
		md5_hex(out, md5);
	} else {
		unsigned char(*md5s)[16];

		f.part_size = part_size ? part_size : dm_s3_part_size(f.size);
		f.nparts = (int)dm_s3_part_count(f.size, f.part_size);
		md5s = calloc((size_t)f.nparts, 16);
		if (!md5s)
			return dm_fail(DM_ERR_NOMEM, "out of memory");
		if (hash_parts(&f, md5s, why, sizeof(why)) != 0) {
			free(md5s);
			return dm_fail(DM_ERR_IO, "'%s': %s", path, why);
		}
		dm_s3_multipart_etag(out, (const unsigned char(*)[16])md5s, (size_t)f.nparts);
		free(md5s);
	}
	free(b.data);
	return DM_OK;
}
