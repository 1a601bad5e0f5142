/* libdm/seed/plan.c - the walk x listing merge (see plan.h).
 *
 * Why the listing is checked before it is merged: the merge reads every
 * listed key that sorts before the next local key as "no local file", so a
 * key outside the prefix, or keys out of order, would each turn into a
 * deletion of an object whose file exists.  A continuation token handed out
 * twice would list the same pages forever.  The server is not trusted on any
 * of these; the check costs one string compare per key.
 *
 * Memory: the last key, the tokens seen (one per page), the walk failures and
 * the stale candidates: never the size of the tree. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dm/util.h>

#include "plan.h"

struct dm_plan {
	dm_plan_opts o;
	size_t plen;
	dm_buf key;    /* the current walk entry's key */
	char *last;    /* the last listed key, NULL before the first */
	char **tokens; /* open addressing, ntokens_cap a power of 2 */
	size_t ntokens, tokens_cap;
	char **fails; /* rels the walk could not take */
	size_t nfails, fails_cap;
	int fails_sorted;
	dm_plan_candidate *cands;
	size_t ncands, cands_cap;
	uint64_t in_scope; /* listed objects the rules and the shard select */
	char why[128];
};

dm_err dm_plan_new(dm_plan **out, const dm_plan_opts *opts)
{
	dm_plan *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return dm_nomem();
	p->o = *opts;
	if (!p->o.prefix)
		p->o.prefix = "";
	p->plen = strlen(p->o.prefix);
	*out = p;
	return DM_OK;
}

void dm_plan_free(dm_plan *p)
{
	if (!p)
		return;
	dm_buf_release(&p->key);
	free(p->last);
	for (size_t i = 0; i < p->tokens_cap; i++)
		free(p->tokens[i]);
	free(p->tokens);
	for (size_t i = 0; i < p->nfails; i++)
		free(p->fails[i]);
	free(p->fails);
	for (size_t i = 0; i < p->ncands; i++)
		free(p->cands[i].key);
	free(p->cands);
	free(p);
}

/* The part of key past the prefix, or NULL when key is not under it: the one
 * place a rel is made from a listed key. */
static const char *rel_of(const dm_plan *p, const char *key)
{
	return strncmp(key, p->o.prefix, p->plen) == 0 ? key + p->plen : NULL;
}

/* "bad listing of 'B/P': WHAT 'SHOWN'[ TAIL]" */
static dm_err bad_listing(const dm_plan *p, const char *what, const char *text, const char *tail)
{
	dm_buf shown = DM_BUF_INIT;
	dm_err e = dm_buf_put_shown(&shown, text, strlen(text));

	if (e) {
		dm_buf_release(&shown);
		return dm_nomem();
	}
	e = dm_fail(DM_ERR_PARSE, "bad listing of '%s/%s': %s '%s'%s", p->o.bucket, p->o.prefix, what, shown.data,
		    tail);
	dm_buf_release(&shown);
	return e;
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Adds token to the set; 1 if it was there already, -1 out of memory. */
static int token_seen(dm_plan *p, const char *token)
{
	size_t i;

	if (2 * (p->ntokens + 1) > p->tokens_cap) {
		size_t ncap = p->tokens_cap ? 2 * p->tokens_cap : 16;
		char **grown = calloc(ncap, sizeof(*grown));

		if (!grown)
			return -1;
		for (size_t k = 0; k < p->tokens_cap; k++) {
			if (!p->tokens[k])
				continue;
			for (i = fnv(p->tokens[k]) & (ncap - 1); grown[i]; i = (i + 1) & (ncap - 1))
				;
			grown[i] = p->tokens[k];
		}
		free(p->tokens);
		p->tokens = grown;
		p->tokens_cap = ncap;
	}
	for (i = fnv(token) & (p->tokens_cap - 1); p->tokens[i]; i = (i + 1) & (p->tokens_cap - 1))
		if (strcmp(p->tokens[i], token) == 0)
			return 1;
	if (!(p->tokens[i] = strdup(token)))
		return -1;
	p->ntokens++;
	return 0;
}

dm_err dm_plan_check_page(dm_plan *p, const dm_s3_page *page, const char *next_token)
{
	/* the token first: a server that loops hands out the same page again,
	 * whose keys would otherwise be blamed for the order */
	if (next_token) {
		int seen = token_seen(p, next_token);

		if (seen < 0)
			return dm_nomem();
		if (seen)
			return bad_listing(p, "continuation token", next_token, " was handed out before");
	}
	for (size_t i = 0; i < page->n; i++) {
		const char *key = page->items[i].key;
		char *copy;

		if (!rel_of(p, key))
			return bad_listing(p, "key", key, " is outside the prefix");
		if (p->last && strcmp(key, p->last) <= 0) {
			char tail[64 + 1024 * 4];
			dm_buf shown = DM_BUF_INIT;

			if (dm_buf_put_shown(&shown, p->last, strlen(p->last))) {
				dm_buf_release(&shown);
				return dm_nomem();
			}
			snprintf(tail, sizeof(tail), " comes after '%s': keys must be listed in ascending byte order",
				 shown.data);
			dm_buf_release(&shown);
			return bad_listing(p, "key", key, tail);
		}
		if (!(copy = strdup(key)))
			return dm_nomem();
		free(p->last);
		p->last = copy;
	}
	return DM_OK;
}

static int selected(const dm_plan *p, const char *rel)
{
	int any_include = 0;

	for (size_t i = 0; i < p->o.nrules; i++) {
		if (p->o.rules[i].kind == DM_SEED_INCLUDE)
			any_include = 1;
		if (fnmatch(p->o.rules[i].glob, rel, 0) == 0)
			return p->o.rules[i].kind == DM_SEED_INCLUDE;
	}
	return !any_include;
}

static int wanted(const dm_plan *p, const char *key, const char *rel)
{
	return selected(p, rel) &&
	       (p->o.shard_count <= 1 || dm_seed_shard_hash(p->o.bucket, key) % p->o.shard_count == p->o.shard_index);
}

static int add_fail(dm_plan *p, const char *rel)
{
	char *copy;

	if (p->nfails == p->fails_cap) {
		size_t ncap = p->fails_cap ? 2 * p->fails_cap : 8;
		char **grown = realloc(p->fails, ncap * sizeof(*grown));

		if (!grown)
			return -1;
		p->fails = grown;
		p->fails_cap = ncap;
	}
	if (!(copy = strdup(rel)))
		return -1;
	p->fails[p->nfails++] = copy;
	p->fails_sorted = 0;
	return 0;
}

static int add_candidate(dm_plan *p, const dm_s3_object *obj)
{
	dm_plan_candidate *c;

	if (p->ncands == p->cands_cap) {
		size_t ncap = p->cands_cap ? 2 * p->cands_cap : 16;
		dm_plan_candidate *grown = realloc(p->cands, ncap * sizeof(*grown));

		if (!grown)
			return -1;
		p->cands = grown;
		p->cands_cap = ncap;
	}
	c = &p->cands[p->ncands];
	if (!(c->key = strdup(obj->key)))
		return -1;
	c->rel = c->key + p->plen;
	c->size = obj->size;
	c->protected_by = NULL;
	p->ncands++;
	return 0;
}

dm_err dm_plan_next(dm_plan *p, const dm_walk_entry *local, const dm_s3_object *remote, dm_plan_step *out)
{
	const char *rel;
	int cmp;

	memset(out, 0, sizeof(*out));
	if (!local && !remote)
		return DM_OK;
	if (local) {
		dm_buf_clear(&p->key);
		if (dm_buf_puts(&p->key, p->o.prefix) || dm_buf_puts(&p->key, local->rel))
			return dm_nomem();
	}
	cmp = !local ? -1 : !remote ? 1 : strcmp(remote->key, p->key.data);
	if (cmp < 0) {
		/* an object that sorts before every local entry left: no file maps to it */
		out->took_remote = 1;
		out->key = remote->key;
		if (!(rel = rel_of(p, remote->key)))
			return bad_listing(p, "key", remote->key, " is outside the prefix");
		out->verdict = DM_PLAN_IGNORE;
		if (!wanted(p, remote->key, rel))
			return DM_OK;
		p->in_scope++;
		if (p->o.collect_stale) {
			if (add_candidate(p, remote) != 0)
				return dm_nomem();
			out->verdict = DM_PLAN_STALE;
		}
		return DM_OK;
	}
	out->took_local = 1;
	out->took_remote = cmp == 0;
	out->key = p->key.data;
	/* what the walk could not read protects its subtree, filtered or not:
	 * the files there may be wanted even when the folder's own name is not */
	if (local->kind == DM_WALK_FAIL && add_fail(p, local->rel) != 0)
		return dm_nomem();
	if (!wanted(p, p->key.data, local->rel)) {
		out->verdict = DM_PLAN_IGNORE;
		return DM_OK;
	}
	p->in_scope += (uint64_t)out->took_remote;
	if (local->kind == DM_WALK_FAIL) {
		out->verdict = DM_PLAN_WALK_FAIL;
	} else if (local->kind == DM_WALK_WARN) {
		out->verdict = DM_PLAN_WALK_WARN;
	} else if (!dm_utf8_valid(local->rel, strlen(local->rel))) {
		out->verdict = DM_PLAN_BAD_NAME;
		out->why = "name is not valid UTF-8: S3 keys must be UTF-8";
	} else if (p->key.len > DM_S3_MAX_KEY) {
		snprintf(p->why, sizeof(p->why), "key is %zu bytes long, over S3's limit of %d", p->key.len,
			 DM_S3_MAX_KEY);
		out->verdict = DM_PLAN_BAD_NAME;
		out->why = p->why;
	} else {
		out->verdict = cmp == 0 ? DM_PLAN_COMPARE : DM_PLAN_UPLOAD;
	}
	return DM_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The walk failure whose rel is exactly rel[0..n), or NULL (fails sorted). */
static const char *failed_at(const dm_plan *p, const char *rel, size_t n)
{
	size_t lo = 0, hi = p->nfails;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *f = p->fails[mid];
		int c = strncmp(f, rel, n);

		if (c == 0 && f[n] != '\0')
			c = 1;
		if (c == 0)
			return f;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const dm_plan_candidate *dm_plan_candidates(dm_plan *p, size_t *n)
{
	if (!p->fails_sorted && p->nfails > 1)
		qsort(p->fails, p->nfails, sizeof(*p->fails), cmp_str);
	p->fails_sorted = 1;
	for (size_t i = 0; i < p->ncands && p->nfails; i++) {
		dm_plan_candidate *c = &p->cands[i];
		const char *rel = c->rel;

		/* rel itself, then each folder above it, the nearest first */
		c->protected_by = failed_at(p, rel, strlen(rel));
		for (size_t k = strlen(rel); !c->protected_by && k-- > 0;)
			if (rel[k] == '/')
				c->protected_by = failed_at(p, rel, k);
	}
	*n = p->ncands;
	return p->cands;
}

uint64_t dm_plan_in_scope(const dm_plan *p)
{
	return p->in_scope;
}

dm_err dm_plan_check_deletes(const dm_plan *p, uint64_t ndelete)
{
	unsigned long long n = ndelete, before = p->o.deleted_before, max = p->o.max_delete;

	if (!p->o.max_delete_given) {
		if (ndelete <= p->in_scope / 2)
			return DM_OK;
		return dm_fail_hint(DM_ERR_FORBIDDEN, DM_HINT_MAX_DELETE, n + before,
				    "refusing to delete %llu of the %llu objects under '%s/%s': more than half of "
				    "them; "
				    "nothing deleted; check SOURCE and TARGET",
				    n, (unsigned long long)p->in_scope, p->o.bucket, p->o.prefix);
	}
	if (max == DM_SEED_MAX_DELETE_ALL || (before <= max && ndelete <= max - before))
		return DM_OK;
	if (before)
		return dm_fail_hint(DM_ERR_FORBIDDEN, DM_HINT_MAX_DELETE, n + before,
				    "refusing to delete %llu objects under '%s/%s': with the %llu deleted before in "
				    "this run, over the limit of %llu deletions; nothing deleted there",
				    n, p->o.bucket, p->o.prefix, before, max);
	return dm_fail_hint(DM_ERR_FORBIDDEN, DM_HINT_MAX_DELETE, n,
			    "refusing to delete %llu objects under '%s/%s': over the limit of %llu deletions; "
			    "nothing deleted",
			    n, p->o.bucket, p->o.prefix, max);
}
