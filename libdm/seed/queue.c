/* libdm/seed/queue.c - dm-seed's work queue: tasks, the part-buffer budget, the run's
 * counters and stop state, the worker team and the progress thread (see internal.h). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <dm/seed.h>
#include <dm/util.h>

#include "internal.h"

volatile sig_atomic_t dm_seed_cancelled;

void dm_seed_cancel(void)
{
	dm_seed_cancelled = 1;
}

void dm_queue_push(run *r, task *t, int force)
{
	pthread_mutex_lock(&r->lock);
	while (!force && r->queued >= r->cap && !r->fatal && !dm_seed_cancelled)
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
void dm_queue_push_front(run *r, task *t)
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

/* A batch waits until part_need of its buffers are free (PART_MEMORY in
 * internal.h); everything else runs at once.
 * A waiting batch never blocks the queue for good: the buffers in use belong to
 * parts that are queued or running, and each gives its buffer back. */
static int runnable(const run *r, const task *t)
{
	int free = r->part_budget - r->parts_in_use;

	return t->kind != T_BATCH || free >= (t->count < r->part_need ? t->count : r->part_need);
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
		if (t->kind == T_BATCH) {
			/* as many of the batch's parts as there are buffers; do_batch queues the rest */
			int free = r->part_budget - r->parts_in_use;

			if (t->count > free) {
				t->spill = t->count - free;
				t->count = free;
			}
			r->parts_in_use += t->count;
		}
		pthread_cond_signal(&r->not_full);
	} else {
		pthread_cond_broadcast(&r->not_empty);
	}
	pthread_mutex_unlock(&r->lock);
	return t;
}

/* One of the buffers a batch reserved when it was popped. */
wbuf dm_queue_take_buffer(run *r)
{
	wbuf b = { NULL, 0 };

	pthread_mutex_lock(&r->lock);
	if (r->nfree > 0)
		b = r->free_bufs[--r->nfree];
	pthread_mutex_unlock(&r->lock);
	return b;
}

void dm_queue_give_buffer(run *r, wbuf *b)
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

int dm_queue_stopping(run *r)
{
	int s;

	pthread_mutex_lock(&r->lock);
	s = r->fatal != DM_OK || dm_seed_cancelled;
	pthread_mutex_unlock(&r->lock);
	return s;
}

void dm_queue_set_fatal(run *r, dm_err e)
{
	pthread_mutex_lock(&r->lock);
	if (!r->fatal) {
		r->fatal = e;
		snprintf(r->fatal_detail, sizeof(r->fatal_detail), "%s", dm_err_detail());
	}
	pthread_cond_broadcast(&r->not_full);
	pthread_mutex_unlock(&r->lock);
}

int dm_seed_is_fatal(dm_err e)
{
	return e == DM_ERR_AUTH || e == DM_ERR_TLS;
}

void dm_queue_report(run *r, dm_seed_action a, const char *path, const char *bucket, const char *key, uint64_t size,
		     const char *reason)
{
	dm_seed_item it = { a, path, bucket, key, size, reason };
	dm_seed_summary *s = r->sum;

	pthread_mutex_lock(&r->lock);
	switch (a) {
	case DM_SEED_UPLOADED:
		s->uploaded++;
		s->bytes_uploaded += size;
		break;
	case DM_SEED_SKIPPED:
		s->skipped++;
		r->bytes_skipped += size;
		break;
	case DM_SEED_FAILED: s->failed++; break;
	case DM_SEED_DELETED: s->deleted++; break;
	case DM_SEED_VERIFIED: s->verified++; break;
	case DM_SEED_WOULD_UPLOAD:
		s->uploaded++;
		s->bytes_uploaded += size;
		break;
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

void dm_job_free(file_job *f)
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

void *dm_queue_worker(void *arg)
{
	run *r = arg;
	wbuf b = { NULL, 0 };
	task *t;

	while ((t = pop(r)) != NULL) {
		dm_transfer_task(r, t, &b);
		free(t->bucket);
		free(t->key);
		free(t);
		task_done(r);
	}
	free(b.data);
	return NULL;
}

void *dm_queue_progress(void *arg)
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
		p.bytes_skipped = r->bytes_skipped;
		p.in_flight = r->busy;
		p.bytes_sent = dm_s3_bytes_sent(r->s3) - r->sent0;
		pthread_mutex_unlock(&r->lock);
		if (done)
			break;
		r->o->on_progress(&p, r->o->userdata);
	}
	return NULL;
}
