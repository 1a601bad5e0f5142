/* libdm/seed/plan.h - private: dm-seed's plan, the merge of the sorted local
 * walk with the sorted listing of the target prefix, as pure decisions.
 *
 * No I/O: the caller hands over the next walk entry and the next listed
 * object, the plan says which of them it took and what to do with it.  The
 * plan also checks the listing before the merge trusts it, keeps the stale
 * objects (--delete) as candidates, and at the end says which of them a walk
 * failure protects.  The rule for --delete: an object is a candidate only if
 * its key lies under the prefix and no local entry maps to it; a candidate is
 * deleted only if no folder above it (nor the key itself) failed in the walk,
 * and the caller's last check (lstat of the file it would map to) finds
 * nothing there.  Even then, a tree loses no more than --max-delete allows
 * (dm_plan_check_deletes), all its deletions or none.
 */
#ifndef DM_LIBDM_SEED_PLAN_H
#define DM_LIBDM_SEED_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <dm/err.h>
#include <dm/s3.h>
#include <dm/seed.h>

#include "walk.h"

typedef struct {
	const char *bucket;
	const char *prefix; /* "" or ending in '/' */
	const dm_seed_rule *rules;
	size_t nrules;
	unsigned shard_index, shard_count; /* shard_count 0 or 1: no sharding */
	int collect_stale;                 /* --delete: keep stale objects as candidates */
	/* the guard of dm_plan_check_deletes: max_delete_given 0, at most half of the objects
	 * in scope; else at most max_delete (DM_SEED_MAX_DELETE_ALL: any number) in the run,
	 * deleted_before of them already gone in its earlier trees (bucket mode) */
	int max_delete_given;
	uint64_t max_delete, deleted_before;
} dm_plan_opts;

typedef enum {
	DM_PLAN_UPLOAD,    /* a wanted file, and no object has its key */
	DM_PLAN_COMPARE,   /* a wanted file and the object of its key: skip it when size and ETag match */
	DM_PLAN_STALE,     /* an object no local entry maps to, kept as a delete candidate */
	DM_PLAN_IGNORE,    /* left out by the filters or the shard, or a stale object without --delete */
	DM_PLAN_WALK_FAIL, /* the walk could not take the entry: a failure; it protects its key and all below */
	DM_PLAN_WALK_WARN, /* skipped on purpose (fifo, socket, device): a warning */
	DM_PLAN_BAD_NAME   /* a file whose key S3 cannot take: a failure, why says which */
} dm_plan_verdict;

typedef struct {
	dm_plan_verdict verdict;
	int took_local;  /* the walk entry was used: move the walk on */
	int took_remote; /* the object was used: move the listing on */
	const char *key; /* the entry's key (prefix + rel) or the object's; borrowed until the next step */
	const char *why; /* DM_PLAN_BAD_NAME */
} dm_plan_step;

typedef struct {
	char *key;
	const char *rel; /* key past the prefix */
	uint64_t size;
	const char *protected_by; /* the rel of the walk failure that keeps it, or NULL */
} dm_plan_candidate;

typedef struct dm_plan dm_plan;

/* The opts' strings and rules are borrowed for the plan's life. */
dm_err dm_plan_new(dm_plan **out, const dm_plan_opts *opts);
void dm_plan_free(dm_plan *p);

/* Checks one page of the listing before the merge sees it: every key lies
 * under the prefix and comes strictly after the one before (byte order, across
 * pages), and the continuation token (NULL: last page) was not handed out
 * before.  DM_ERR_PARSE with "bad listing of 'BUCKET/PREFIX': ..." naming the
 * key or token (escaped for display) otherwise. */
dm_err dm_plan_check_page(dm_plan *p, const dm_s3_page *page, const char *next_token);

/* One step of the merge over the heads of the two streams (either may be
 * NULL at its end); both NULL: nothing taken, the merge is over.  The object
 * must have passed dm_plan_check_page.  DM_ERR_NOMEM, or DM_ERR_PARSE for an
 * object outside the prefix (never when the page was checked). */
dm_err dm_plan_next(dm_plan *p, const dm_walk_entry *local, const dm_s3_object *remote, dm_plan_step *out);

/* After the whole walk and the whole listing: the stale candidates in key
 * order, each with the walk failure that protects it, if any.  Borrowed from
 * the plan. */
const dm_plan_candidate *dm_plan_candidates(dm_plan *p, size_t *n);

/* The listed objects in scope so far: under the prefix, selected by the rules
 * and in the shard (the objects --delete could touch, whether a file maps to
 * them or not). */
uint64_t dm_plan_in_scope(const dm_plan *p);

/* The --delete guard, after the whole merge: may ndelete objects of this tree
 * go?  By default no more than half of the objects in scope (2 x ndelete <=
 * in scope); with max_delete_given, no more than max_delete in the run.
 * DM_OK, or DM_ERR_FORBIDDEN with one line naming the count, the limit and the
 * option that allows it: then the caller deletes none of them. */
dm_err dm_plan_check_deletes(const dm_plan *p, uint64_t ndelete);

#endif
