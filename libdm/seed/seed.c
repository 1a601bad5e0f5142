/* libdm/seed/seed.c - dm_seed_run: the producer (walk + listing merged into a plan by plan.c),
 * unfinished uploads, --delete, buckets, and the run's life cycle; the workers that read, hash,
 * upload and verify are the other rooms' (internal.h; the API in dm/seed.h). */
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

#include "internal.h"
#include "plan.h"
#include "walk.h"

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
		dm_queue_report(r, DM_SEED_FAILED, en->path, bucket, key, en->size, "out of memory");
		return;
	}
	pthread_mutex_init(&f->lock, NULL);
	f->bucket = bucket;
	f->content_type = r->o->content_type ? r->o->content_type : dm_s3_content_type(key);
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
			char why[128], hint[64];

			snprintf(why, sizeof(why), "needs more than 10,000 parts%s",
				 dm_hint_text(DM_HINT_PART_SIZE, 0, hint, sizeof(hint)));
			dm_queue_report(r, DM_SEED_FAILED, f->path, bucket, key, f->size,
					f->size > DM_S3_MAX_OBJECT ? "larger than S3's 5 TiB object limit" : why);
			dm_job_free(f);
			return;
		}
		if (dm_transfer_alloc_parts(f) != 0) {
			dm_queue_report(r, DM_SEED_FAILED, f->path, bucket, key, f->size, "out of memory");
			dm_job_free(f);
			return;
		}
		if ((remote && remote->size == f->size) || r->o->verify_only) {
			t = calloc(1, sizeof(*t));
			if (!t) {
				dm_queue_report(r, DM_SEED_FAILED, f->path, bucket, key, f->size, "out of memory");
				dm_job_free(f);
				return;
			}
			t->kind = T_CHECK;
			t->f = f;
			dm_queue_push(r, t, 0);
		} else if (r->o->dry_run) {
			dm_queue_report(r, DM_SEED_WOULD_UPLOAD, f->path, bucket, key, f->size, NULL);
			dm_job_free(f);
		} else {
			dm_transfer_queue_parts(r, f, 0);
		}
		return;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		dm_queue_report(r, DM_SEED_FAILED, f->path, bucket, key, f->size, "out of memory");
		dm_job_free(f);
		return;
	}
	t->kind = T_FILE;
	t->f = f;
	dm_queue_push(r, t, 0);
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
	for (size_t i = 0; o->listed && i < o->n && !dm_queue_stopping(r); i++) {
		const dm_s3_upload *u = &o->u[i];
		char when[64] = "at an unknown time", why[1536];
		time_t t = (time_t)u->initiated;
		struct tm tm;

		if (u->initiated >= 0 && gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (!o->ours[i]) {
			snprintf(why, sizeof(why),
				 "an unfinished multipart upload started %s is left as it is: no local file maps to it "
				 "(upload ID %s)",
				 when, u->upload_id);
		} else if (r->o->dry_run) {
			snprintf(why, sizeof(why), "would abort an unfinished multipart upload started %s", when);
		} else if (dm_s3_mpu_abort(r->s3, bucket, u->key, u->upload_id) != DM_OK) {
			snprintf(why, sizeof(why),
				 "cannot abort an unfinished multipart upload started %s (upload ID %s): %s", when,
				 u->upload_id, dm_err_detail());
		} else {
			snprintf(why, sizeof(why), "aborted an unfinished multipart upload started %s", when);
		}
		dm_queue_report(r, DM_SEED_WARNING, NULL, bucket, u->key, 0, why);
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
	dm_queue_report(r, DM_SEED_WARNING, NULL, bucket, c->key, c->size, why);
}

/* --delete's guard over the trees of a run (bucket mode: one a bucket). */
typedef struct {
	uint64_t deleted; /* deletions queued (--dry-run: reported) by the trees before */
	dm_err refused;   /* the first refusal, or DM_OK */
	char detail[1024];
} delete_guard;

/* After the whole walk and the whole listing of the tree, and only then: the
 * stale candidates that no walk failure protects and whose file is truly not
 * there (lstat: only ENOENT and ENOTDIR say so) are counted, and if the guard
 * (--max-delete) lets that many go, queued for deletion; else none is. */
static dm_err delete_stale(run *r, dm_plan *plan, const char *dir, const char *bucket, delete_guard *g)
{
	size_t n, ngo = 0;
	const dm_plan_candidate *c = dm_plan_candidates(plan, &n);
	unsigned char *go = calloc(n ? n : 1, 1);
	char why[4200];
	dm_err e = DM_OK, refused;

	if (!go)
		return dm_nomem();
	for (size_t i = 0; i < n && !dm_queue_stopping(r); i++) {
		struct stat st;
		char *path;
		int there;

		if (c[i].protected_by) {
			snprintf(why, sizeof(why), "not deleted: '%s/%s' could not be read", dir, c[i].protected_by);
			keep(r, bucket, &c[i], why);
			continue;
		}
		if (asprintf(&path, "%s/%s", dir, c[i].rel) < 0) {
			e = dm_nomem();
			goto done;
		}
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
		go[i] = 1;
		ngo++;
	}
	if (dm_queue_stopping(r))
		goto done;
	/* all of the tree's deletions or none, decided before the first is queued */
	if ((refused = dm_plan_check_deletes(plan, ngo)) != DM_OK) {
		if (!g->refused) {
			g->refused = refused;
			snprintf(g->detail, sizeof(g->detail), "%s", dm_err_detail());
		}
		dm_err_clear();
		if (!r->o->dry_run)
			goto done;
	} else {
		g->deleted += ngo;
	}
	for (size_t i = 0; i < n; i++) {
		task *t;

		if (!go[i])
			continue;
		if (r->o->dry_run) {
			dm_queue_report(r, DM_SEED_WOULD_DELETE, NULL, bucket, c[i].key, c[i].size, NULL);
			continue;
		}
		t = calloc(1, sizeof(*t));
		if (!t || !(t->bucket = strdup(bucket)) || !(t->key = strdup(c[i].key))) {
			if (t)
				free(t->bucket);
			free(t);
			e = dm_nomem();
			goto done;
		}
		t->kind = T_DELETE;
		dm_queue_push(r, t, 0);
	}
done:
	free(go);
	return e;
}

/* Seeds one folder into bucket/prefix. Returns a run-stopping error only. */
static dm_err seed_tree(run *r, const char *dir, const char *bucket, const char *prefix, delete_guard *g)
{
	const dm_seed_opts *o = r->o;
	dm_plan_opts po = { .bucket = bucket,
			    .prefix = prefix,
			    .rules = o->rules,
			    .nrules = o->nrules,
			    .shard_index = o->shard_index,
			    .shard_count = o->shard_count,
			    .collect_stale = o->delete_stale && !o->verify_only,
			    .max_delete_given = o->max_delete_given,
			    .max_delete = o->max_delete,
			    .deleted_before = g->deleted };
	lister l;
	orphans orph;
	dm_plan *plan;
	dm_walk *w;
	const dm_walk_entry *en = NULL;
	dm_plan_step st;
	struct stat sst;
	char *one = NULL; /* a file as SOURCE: its key, the only one listed */
	dm_err e;

	memset(&l, 0, sizeof(l));
	if (stat(dir, &sst) == 0 && S_ISREG(sst.st_mode)) {
		const char *base = strrchr(dir, '/');

		po.collect_stale = 0;
		if (asprintf(&one, "%s%s", prefix, base ? base + 1 : dir) < 0)
			return dm_nomem();
	}
	l.r = r;
	l.bucket = bucket;
	l.prefix = one ? one : prefix;
	if ((e = dm_plan_new(&plan, &po))) {
		free(one);
		return e;
	}
	l.plan = plan;
	if ((e = dm_walk_open(&w, dir))) {
		dm_plan_free(plan);
		free(one);
		return e;
	}
	orphans_list(r, &orph, bucket, l.prefix);
	e = lister_fill(&l);
	/* a walk that ends early must never read as "no files": everything would look stale */
	if (!e && !(en = dm_walk_next(w)))
		e = dm_walk_status(w);
	while (!e && !dm_queue_stopping(r)) {
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
			dm_queue_report(r, DM_SEED_FAILED, en->path, bucket, st.key, 0, en->reason);
			break;
		case DM_PLAN_WALK_WARN:
			dm_queue_report(r, DM_SEED_WARNING, en->path, bucket, st.key, 0, en->reason);
			break;
		case DM_PLAN_BAD_NAME:
			dm_queue_report(r, DM_SEED_FAILED, en->path, bucket,
					dm_utf8_valid(en->rel, strlen(en->rel)) ? st.key : NULL, en->size, st.why);
			break;
		case DM_PLAN_STALE:
		case DM_PLAN_IGNORE: break;
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
	if (!e && !dm_queue_stopping(r) && !en && !lister_peek(&l))
		e = delete_stale(r, plan, dir, bucket, g);
	if (!e && !dm_queue_stopping(r))
		orphans_finish(r, &orph, bucket);
	else {
		dm_s3_uploads_free(orph.u, orph.n);
		free(orph.ours);
	}
	dm_s3_page_release(&l.page);
	free(l.token);
	dm_walk_close(w);
	dm_plan_free(plan);
	free(one);
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
			dm_queue_report(r, DM_SEED_BUCKET_CREATED, NULL, bucket, NULL, 0, NULL);
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
		return dm_fail(errno == ENOENT ? DM_ERR_NOTFOUND : DM_ERR_IO, "cannot read '%s': %s", source,
			       strerror(errno));
	while ((de = readdir(d)) != NULL && !e) {
		char *path;
		struct stat st;
		char **grown;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (asprintf(&path, "%s/%s", source, de->d_name) < 0) {
			e = dm_nomem();
			break;
		}
		if (stat(path, &st) != 0)
			e = dm_fail(DM_ERR_INVALID, "'%s': %s", path, strerror(errno));
		else if (!S_ISDIR(st.st_mode))
			e = dm_fail(DM_ERR_INVALID,
				    "'%s' is a file at the top level of '%s': in bucket mode each top-level entry must "
				    "be a "
				    "folder (it becomes a bucket); move it into a folder or name a bucket "
				    "(ALIAS/BUCKET)",
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
			e = dm_nomem();
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

static void run_init(run *r, dm_s3 *s3, const dm_seed_opts *o, dm_seed_summary *sum, int jobs)
{
	memset(sum, 0, sizeof(*sum));
	memset(r, 0, sizeof(*r));
	dm_seed_cancelled = 0;
	r->s3 = s3;
	r->o = o;
	r->sum = sum;
	r->threshold = o->multipart_threshold ? o->multipart_threshold : DEFAULT_THRESHOLD;
	if (o->part_size && r->threshold < o->part_size)
		r->threshold = o->part_size;
	r->cap = (size_t)jobs * 4;
	r->part_budget = (int)(PART_MEMORY / (o->part_size ? o->part_size : dm_s3_part_size(0)));
	r->part_budget = r->part_budget < 2 ? 2 : r->part_budget > 2 * PART_BATCH ? 2 * PART_BATCH : r->part_budget;
	r->part_budget = jobs < r->part_budget ? jobs : r->part_budget;
	r->part_need = (r->part_budget + 1) / 2;
	r->start = dm_now();
	r->sent0 = dm_s3_bytes_sent(s3);
}

/* Where the run goes: o->bucket under the prefix it returns in *prefix
 * (normalised: no leading '/', one trailing '/' unless empty), or in bucket
 * mode one bucket per top-level folder of o->source.  Everything that can be
 * refused is refused here, before the first request; on error nothing is
 * left to free. */
static dm_err check_destination(const dm_seed_opts *o, char **prefix, char ***buckets, size_t *nbuckets)
{
	const char *pfx;
	char *p;
	size_t pl;
	struct stat st;
	dm_err e;

	if (!o->bucket) {
		if (stat(o->source, &st) == 0 && S_ISREG(st.st_mode))
			return dm_fail(DM_ERR_INVALID,
				       "'%s' is a file: name the bucket it goes to (ALIAS/BUCKET[/PREFIX]); with ALIAS "
				       "alone, SOURCE is a folder whose folders become buckets",
				       o->source);
		return list_buckets(o->source, buckets, nbuckets);
	}
	if ((e = dm_s3_bucket_name_check(o->bucket)))
		return e;
	/* a leading '/' would make an empty first path segment */
	pfx = o->prefix ? o->prefix : "";
	while (*pfx == '/')
		pfx++;
	pl = strlen(pfx);
	if (asprintf(&p, "%s%s", pfx, pl && pfx[pl - 1] != '/' ? "/" : "") < 0)
		return dm_nomem();
	if (!dm_utf8_valid(p, strlen(p)) || strlen(p) > DM_S3_MAX_KEY) {
		free(p);
		return dm_fail(DM_ERR_INVALID, "invalid prefix '%s'", o->prefix);
	}
	if (stat(o->source, &st) != 0) {
		free(p);
		return dm_fail(errno == ENOENT ? DM_ERR_NOTFOUND : DM_ERR_IO, "cannot read '%s': %s", o->source,
			       strerror(errno));
	}
	if (S_ISREG(st.st_mode) && o->delete_stale) {
		free(p);
		return dm_fail_hint(DM_ERR_INVALID, DM_HINT_DELETE_NEEDS_DIR, 0,
				    "'%s' is a file, and no other object under the prefix is its to delete", o->source);
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		free(p);
		return dm_fail(DM_ERR_INVALID, "'%s' is not a folder or a regular file", o->source);
	}
	*prefix = p;
	return DM_OK;
}

/* The threads of one run: the workers and, when the caller wants progress,
 * the thread that reports it. */
typedef struct {
	pthread_t *threads, prog;
	int started, have_prog;
} crew;

/* Fails only when not one worker starts: fewer than asked still finish the run. */
static dm_err start_crew(crew *c, run *r, int jobs)
{
	c->threads = calloc((size_t)jobs, sizeof(*c->threads));
	if (!c->threads)
		return dm_nomem();
	for (c->started = 0; c->started < jobs; c->started++)
		if (pthread_create(&c->threads[c->started], NULL, dm_queue_worker, r) != 0)
			break;
	if (c->started == 0)
		return dm_fail(DM_ERR_NOMEM, "cannot start worker threads");
	if (r->o->on_progress)
		c->have_prog = pthread_create(&c->prog, NULL, dm_queue_progress, r) == 0;
	return DM_OK;
}

/* Tells the workers that no more tasks will come and waits for every thread. */
static void stop_crew(crew *c, run *r)
{
	pthread_mutex_lock(&r->lock);
	r->walk_done = 1;
	r->closed = 1;
	pthread_cond_broadcast(&r->not_empty);
	pthread_mutex_unlock(&r->lock);
	for (int i = 0; i < c->started; i++)
		pthread_join(c->threads[i], NULL);
	if (c->have_prog)
		pthread_join(c->prog, NULL);
}

/* The producer: the source's files into the queue, bucket after bucket in
 * bucket mode (the first bucket was prepared before the workers started). */
static dm_err produce(run *r, const char *prefix, char **buckets, size_t nbuckets, delete_guard *g)
{
	const dm_seed_opts *o = r->o;
	dm_err e = DM_OK;

	if (o->bucket)
		return seed_tree(r, o->source, o->bucket, prefix, g);
	for (size_t i = 0; i < nbuckets && !e && !dm_queue_stopping(r); i++) {
		char *dir;

		if (i > 0 && (e = prepare_bucket(r, buckets[i])))
			break;
		if (asprintf(&dir, "%s/%s", o->source, buckets[i]) < 0) {
			e = dm_nomem();
			break;
		}
		e = seed_tree(r, dir, buckets[i], "", g);
		free(dir);
	}
	return e;
}

/* The run's one result once every thread is done: what stopped it (a fatal
 * error, an interrupt) comes first, then the producer's own error, then a
 * refusal of --delete's guard, then the files that failed. */
static dm_err run_verdict(run *r, dm_err e, const delete_guard *g)
{
	if (r->fatal)
		return dm_fail(r->fatal, "%s", r->fatal_detail);
	if (dm_seed_cancelled)
		return dm_fail(DM_ERR_INTERRUPTED, "interrupted");
	if (e)
		return e;
	if (g->refused)
		return dm_fail(g->refused, "%s", g->detail);
	return r->sum->failed ? dm_fail(DM_ERR_PARTIAL, "%llu of %llu files failed", (unsigned long long)r->sum->failed,
					(unsigned long long)r->sum->files_seen)
			      : DM_OK;
}

dm_err dm_seed_run(dm_s3 *s3, const dm_seed_opts *o, dm_seed_summary *sum)
{
	run r;
	crew c = { .threads = NULL };
	delete_guard g = { .deleted = 0 };
	int jobs = o->jobs > 0 ? o->jobs : DEFAULT_JOBS;
	char *prefix = NULL;
	char **buckets = NULL;
	size_t nbuckets = 0;
	dm_err e;

	run_init(&r, s3, o, sum, jobs);
	if ((e = check_destination(o, &prefix, &buckets, &nbuckets)))
		return e;

	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.not_empty, NULL);
	pthread_cond_init(&r.not_full, NULL);

	/* the first request tells whether the endpoint and the keys work */
	if (o->bucket)
		e = prepare_bucket(&r, o->bucket);
	else if (nbuckets > 0)
		e = prepare_bucket(&r, buckets[0]);
	if (e || (e = start_crew(&c, &r, jobs)))
		goto cleanup;

	e = produce(&r, prefix, buckets, nbuckets, &g);
	if (e && !dm_seed_is_fatal(e) && e != DM_ERR_NOMEM)
		dm_queue_set_fatal(&r, e);
	stop_crew(&c, &r);
	e = run_verdict(&r, e, &g);
cleanup:
	/* tasks left behind by a stop: drop them, aborting what was begun */
	dm_transfer_drop_queued(&r);
	sum->seconds = dm_now() - r.start;
	free(c.threads);
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
	f.mtime_ns = dm_source_ns(&st.st_mtim);
	f.ctime_ns = dm_source_ns(&st.st_ctim);
	if (part_size && threshold < part_size)
		threshold = part_size;
	if (f.size <= threshold) {
		if (dm_source_read_range(&f, &b, 0, (size_t)f.size, why, sizeof(why)) != DM_OK) {
			free(b.data);
			return dm_fail(DM_ERR_IO, "'%s': %s", path, why);
		}
		dm_md5(md5, b.data, (size_t)f.size);
		dm_hex(out, md5, 16);
	} else {
		unsigned char(*md5s)[16];

		f.part_size = part_size ? part_size : dm_s3_part_size(f.size);
		f.nparts = (int)dm_s3_part_count(f.size, f.part_size);
		md5s = calloc((size_t)f.nparts, 16);
		if (!md5s)
			return dm_nomem();
		if (dm_transfer_hash_parts(&f, md5s, why, sizeof(why)) != 0) {
			free(md5s);
			return dm_fail(DM_ERR_IO, "'%s': %s", path, why);
		}
		dm_s3_multipart_etag(out, (const unsigned char(*)[16])md5s, (size_t)f.nparts);
		free(md5s);
	}
	free(b.data);
	return DM_OK;
}
