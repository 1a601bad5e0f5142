/* libdm/seed/transfer.c - dm-seed's work on one file: a small file read, hashed, put and
 * confirmed; a large one as a multipart upload (batches read and hashed together, parts put
 * by any worker, completed and confirmed); checks of what is there; deletes (see internal.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dm/log.h>
#include <dm/s3.h>
#include <dm/seed.h>
#include <dm/util.h>

#include "internal.h"

static void fail_file(run *r, file_job *f, const char *why)
{
	dm_queue_report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, why);
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
			return dm_fail(DM_ERR_CHECKSUM, "%s", why);
		}
	}
	if (strcmp(etag, want) != 0) {
		snprintf(why, nwhy, "ETag after upload is %s, expected %s", etag, want);
		return dm_fail(DM_ERR_CHECKSUM, "%s", why);
	}
	return DM_OK;
}

static void do_small(run *r, file_job *f, wbuf *b)
{
	unsigned char md5[16];
	char hex[33], etag[80], why[1024];
	dm_err e;

	if (dm_source_read_range(f, b, 0, (size_t)f->size, why, sizeof(why)) != DM_OK) {
		dm_queue_report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, why);
		return;
	}
	dm_md5(md5, b->data, (size_t)f->size);
	dm_hex(hex, md5, 16);
	if (r->o->verify_only) {
		if (!f->have_remote)
			dm_queue_report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size,
					"missing in the bucket");
		else if (f->remote_size != f->size || strcmp(f->remote_etag, hex) != 0) {
			snprintf(why, sizeof(why), "object differs (size %llu, ETag %s; file: size %llu, MD5 %s)",
				 (unsigned long long)f->remote_size, f->remote_etag, (unsigned long long)f->size, hex);
			dm_queue_report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, why);
		} else
			dm_queue_report(r, DM_SEED_VERIFIED, f->path, f->bucket, f->key, f->size, NULL);
		return;
	}
	if (f->have_remote && f->remote_size == f->size && strcmp(f->remote_etag, hex) == 0) {
		dm_queue_report(r, DM_SEED_SKIPPED, f->path, f->bucket, f->key, f->size, NULL);
		return;
	}
	if (r->o->dry_run) {
		dm_queue_report(r, DM_SEED_WOULD_UPLOAD, f->path, f->bucket, f->key, f->size, NULL);
		return;
	}
	/* BadDigest: the bytes were damaged on the way; read the file again and resend */
	for (int retry = 1;; retry++) {
		e = dm_s3_put(r->s3, f->bucket, f->key, b->data, (size_t)f->size, md5, f->content_type, etag);
		if (e != DM_ERR_CHECKSUM || retry > dm_s3_retries(r->s3) || dm_queue_stopping(r))
			break;
		dm_info("retrying '%s' (read again from the file, %d of %d): %s", f->path, retry, dm_s3_retries(r->s3),
			dm_err_detail());
		if (dm_source_read_range(f, b, 0, (size_t)f->size, why, sizeof(why)) != DM_OK) {
			dm_queue_report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, why);
			return;
		}
		dm_md5(md5, b->data, (size_t)f->size);
		dm_hex(hex, md5, 16);
	}
	if (e) {
		if (dm_seed_is_fatal(e))
			dm_queue_set_fatal(r, e);
		fail_file(r, f, dm_err_detail());
		return;
	}
	if (confirm_etag(r, f, etag, hex, why, sizeof(why)) != DM_OK) {
		dm_queue_report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, why);
		return;
	}
	dm_queue_report(r, DM_SEED_UPLOADED, f->path, f->bucket, f->key, f->size, NULL);
}

int dm_transfer_alloc_parts(file_job *f)
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
void dm_transfer_parts_done(run *r, file_job *f, int n)
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

/* Fails the rest of f's parts if the run is dm_queue_stopping (f->lock held, or f no longer shared). */
static void stop_if_stopping(run *r, file_job *f)
{
	if (!f->failed && dm_queue_stopping(r))
		part_failed(f, dm_seed_cancelled ? "interrupted" : "stopped after an earlier error");
}

void dm_transfer_queue_parts(run *r, file_job *f, int force)
{
	int batch = r->part_budget < PART_BATCH ? r->part_budget : PART_BATCH;

	for (int i = 0; i < f->nparts; i += batch) {
		task *t = calloc(1, sizeof(*t));

		if (!t) {
			pthread_mutex_lock(&f->lock);
			part_failed(f, "out of memory");
			pthread_mutex_unlock(&f->lock);
			dm_transfer_parts_done(r, f, f->nparts - i);
			return;
		}
		t->kind = T_BATCH;
		t->f = f;
		t->part = i;
		t->count = f->nparts - i < batch ? f->nparts - i : batch;
		dm_queue_push(r, t, force);
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

	return dm_source_read_range(pr->f, &pr->b[i], at, n, pr->why, sizeof(pr->why)) == DM_OK ? pr->b[i].data : NULL;
}

/* MD5 of every part of f into md5s: groups of PART_BATCH parts hashed together
 * a chunk at a time (dm_md5_many_read), groups spread over an OpenMP team of
 * at most 4 threads (the disk and the network are shared).  Memory: a chunk
 * per part of a group, whatever the part size.  0 or -1 with why. */
int dm_transfer_hash_parts(file_job *f, unsigned char (*md5s)[16], char *why, size_t nwhy)
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
	if (dm_queue_stopping(r)) {
		dm_job_free(f);
		return;
	}
	if (dm_transfer_hash_parts(f, f->md5s, why, sizeof(why)) != 0) {
		dm_queue_report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, why);
		dm_job_free(f);
		return;
	}
	dm_s3_multipart_etag(want, (const unsigned char(*)[16])f->md5s, (size_t)f->nparts);
	if (f->have_remote && f->remote_size == f->size && strcmp(f->remote_etag, want) == 0) {
		dm_queue_report(r, r->o->verify_only ? DM_SEED_VERIFIED : DM_SEED_SKIPPED, f->path, f->bucket, f->key,
				f->size, NULL);
		dm_job_free(f);
		return;
	}
	if (r->o->verify_only) {
		if (!f->have_remote)
			snprintf(why, sizeof(why), "missing in the bucket");
		else
			snprintf(why, sizeof(why), "object differs (size %llu, ETag %s; file: size %llu, ETag %s)",
				 (unsigned long long)f->remote_size, f->remote_etag, (unsigned long long)f->size, want);
		dm_queue_report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, why);
		dm_job_free(f);
		return;
	}
	if (r->o->dry_run) {
		dm_queue_report(r, DM_SEED_WOULD_UPLOAD, f->path, f->bucket, f->key, f->size, NULL);
		dm_job_free(f);
		return;
	}
	dm_transfer_queue_parts(r, f, 1);
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
		dm_queue_report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, f->reason);
		dm_job_free(f);
		return;
	}
	dm_s3_multipart_etag(want, (const unsigned char(*)[16])f->md5s, (size_t)f->nparts);
	e = dm_s3_mpu_complete(r->s3, f->bucket, f->key, f->upload_id, f->etags, f->nparts, etag);
	if (e) {
		snprintf(why, sizeof(why), "%s", dm_err_detail());
		if (dm_seed_is_fatal(e))
			dm_queue_set_fatal(r, e);
		dm_s3_mpu_abort(r->s3, f->bucket, f->key, f->upload_id);
		dm_queue_report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, why);
	} else if (confirm_etag(r, f, etag, want, why, sizeof(why)) != DM_OK) {
		dm_queue_report(r, DM_SEED_FAILED, f->path, f->bucket, f->key, f->size, why);
	} else {
		dm_queue_report(r, DM_SEED_UPLOADED, f->path, f->bucket, f->key, f->size, NULL);
	}
	dm_job_free(f);
}

/* Reads and hashes a batch of parts, then queues each for upload; a part of a
 * file that failed goes on too, to give its buffer back and be counted. */
static void do_batch(run *r, task *t)
{
	file_job *f = t->f;
	task *parts[PART_BATCH] = { NULL }, *init;
	const void *data[PART_BATCH];
	size_t len[PART_BATCH];
	char why[1024];
	int ok, wait;

	if (t->spill > 0) {
		task *rest = calloc(1, sizeof(*rest));

		if (rest) {
			rest->kind = T_BATCH;
			rest->f = f;
			rest->part = t->part + t->count;
			rest->count = t->spill;
			dm_queue_push_front(r, rest);
		} else {
			pthread_mutex_lock(&f->lock);
			part_failed(f, "out of memory");
			pthread_mutex_unlock(&f->lock);
			dm_transfer_parts_done(r, f, t->spill);
		}
		t->spill = 0;
	}
	for (int k = 0; k < t->count; k++) {
		parts[k] = calloc(1, sizeof(*parts[k]));
		if (parts[k]) {
			parts[k]->kind = T_PART;
			parts[k]->f = f;
			parts[k]->part = t->part + k;
			parts[k]->buf = dm_queue_take_buffer(r);
		}
	}
	pthread_mutex_lock(&f->lock);
	for (int k = 0; k < t->count; k++)
		if (!parts[k])
			part_failed(f, "out of memory");
	stop_if_stopping(r, f);
	init = f->init_state == 0 ? calloc(1, sizeof(*init)) : NULL;
	if (init) {
		f->init_state = 1;
	} else if (f->init_state == 0) {
		/* no initiate will run: the parts go on (and are dropped) instead of waiting */
		part_failed(f, "out of memory");
		f->init_state = 2;
	}
	ok = !f->failed;
	pthread_mutex_unlock(&f->lock);
	if (init) {
		/* another worker initiates the upload while this one reads and hashes */
		init->kind = T_INIT;
		init->f = f;
		dm_queue_push_front(r, init);
	}
	for (int k = 0; ok && k < t->count; k++) {
		int i = t->part + k;

		if (dm_source_read_range(f, &parts[k]->buf, (uint64_t)i * f->part_size, part_len(f, i), why,
					 sizeof(why)) != DM_OK) {
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
	/* parts ready before the upload was initiated wait for it: do_init queues them */
	pthread_mutex_lock(&f->lock);
	wait = f->init_state != 2;
	if (wait) /* held is newest first: do_init's pushes to the front put them back in order */
		for (int k = 0; k < t->count; k++)
			if (parts[k]) {
				parts[k]->next = f->held;
				f->held = parts[k];
			}
	pthread_mutex_unlock(&f->lock);
	/* in reverse, so that the batch's first part is first in the queue */
	for (int k = t->count - 1; k >= 0; k--) {
		if (parts[k]) {
			if (!wait)
				dm_queue_push_front(r, parts[k]);
		} else {
			/* no task to carry it: its reserved buffer and its count end here */
			wbuf none = { NULL, 0 };

			dm_queue_give_buffer(r, &none);
			dm_transfer_parts_done(r, f, 1);
		}
	}
}

/* Initiates f's multipart upload, then queues the parts that were read and hashed
 * meanwhile (failed ones too: do_part gives their buffers back and counts them). */
static void do_init(run *r, file_job *f)
{
	task *held, *next;
	dm_err e;

	pthread_mutex_lock(&f->lock);
	stop_if_stopping(r, f);
	if (!f->failed) {
		pthread_mutex_unlock(&f->lock);
		e = dm_s3_mpu_init(r->s3, f->bucket, f->key, f->content_type, &f->upload_id);
		pthread_mutex_lock(&f->lock);
		if (e) {
			if (dm_seed_is_fatal(e))
				dm_queue_set_fatal(r, e);
			part_failed(f, dm_err_detail());
		}
	}
	f->init_state = 2;
	held = f->held;
	f->held = NULL;
	pthread_mutex_unlock(&f->lock);
	/* newest first: each pushed to the queue's front leaves the oldest part first */
	for (; held; held = next) {
		next = held->next;
		dm_queue_push_front(r, held);
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
			if (e != DM_ERR_CHECKSUM || retry > dm_s3_retries(r->s3) || dm_queue_stopping(r))
				break;
			dm_info("retrying part %d of '%s' (read again from the file, %d of %d): %s", i + 1, f->path,
				retry, dm_s3_retries(r->s3), dm_err_detail());
			if (dm_source_read_range(f, b, (uint64_t)i * f->part_size, part_len(f, i), why, sizeof(why)) !=
			    DM_OK)
				break;
			dm_md5(again, b->data, part_len(f, i));
			if (memcmp(again, f->md5s[i], 16) != 0) {
				snprintf(why, sizeof(why), "changed while uploading (part %d read again differs)",
					 i + 1);
				break;
			}
		}
		dm_hex(hex, f->md5s[i], 16);
		pthread_mutex_lock(&f->lock);
		if (why[0]) {
			part_failed(f, why);
		} else if (e) {
			if (dm_seed_is_fatal(e))
				dm_queue_set_fatal(r, e);
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
	dm_queue_give_buffer(r, b);
	dm_transfer_parts_done(r, f, 1);
}

static void do_delete(run *r, task *t)
{
	dm_err e;

	if (dm_queue_stopping(r))
		return;
	e = dm_s3_delete(r->s3, t->bucket, t->key);
	if (e) {
		if (dm_seed_is_fatal(e))
			dm_queue_set_fatal(r, e);
		dm_queue_report(r, DM_SEED_FAILED, NULL, t->bucket, t->key, 0, dm_err_detail());
	} else {
		dm_queue_report(r, DM_SEED_DELETED, NULL, t->bucket, t->key, 0, NULL);
	}
}

/* Runs one task of the queue (b: the worker's buffer for whole files). */
void dm_transfer_task(run *r, task *t, wbuf *b)
{
	switch (t->kind) {
	case T_FILE:
		if (!dm_queue_stopping(r))
			do_small(r, t->f, b);
		dm_job_free(t->f);
		break;
	case T_CHECK:
		if (dm_queue_stopping(r))
			dm_job_free(t->f);
		else
			do_check(r, t->f, b);
		break;
	case T_BATCH: do_batch(r, t); break;
	case T_PART: do_part(r, t->f, t->part, &t->buf); break;
	case T_DELETE: do_delete(r, t); break;
	case T_INIT: do_init(r, t->f); break;
	}
}

/* After a stop: drops the tasks still queued, aborting the uploads they belonged to. */
void dm_transfer_drop_queued(run *r)
{
	while (r->head) {
		task *t = r->head;

		r->head = t->next;
		if (t->kind == T_PART || t->kind == T_BATCH) {
			free(t->buf.data);
			dm_transfer_parts_done(r, t->f, t->kind == T_BATCH ? t->count : 1);
		} else if (t->kind == T_INIT) {
			/* the parts that waited for it end here, as queued ones do */
			task *p = t->f->held, *next;

			t->f->held = NULL;
			for (; p; p = next) {
				next = p->next;
				free(p->buf.data);
				free(p);
				dm_transfer_parts_done(r, t->f, 1);
			}
		} else if (t->f) {
			dm_job_free(t->f);
		}
		free(t->bucket);
		free(t->key);
		free(t);
	}
}
