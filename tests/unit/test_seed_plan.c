/* tests/unit/test_seed_plan.c - libdm/seed/plan.h: the walk x listing merge
 * without a server.  Each test feeds a walk (entries as dm_walk yields them)
 * and a listing (pages as dm_s3_xml_list parses them) through the plan and
 * checks every decision, above all which objects --delete may remove. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dm/s3.h>
#include <dm/seed.h>
#include "s3/xml.h"
#include "seed/plan.h"

#define LEN(s) (sizeof(s) - 1)

typedef struct {
	dm_walk_kind kind;
	const char *rel;
} entry;

#define FILE_(r)                                                                                                       \
	{                                                                                                              \
		DM_WALK_FILE, r                                                                                        \
	}
#define FAIL_(r)                                                                                                       \
	{                                                                                                              \
		DM_WALK_FAIL, r                                                                                        \
	}
#define WARN_(r)                                                                                                       \
	{                                                                                                              \
		DM_WALK_WARN, r                                                                                        \
	}

/* What a merge did: one letter per step (U upload, C compare, S stale, I
 * ignore, F walk failure, W warning, B bad name) and the key, "U:pre/a.txt ". */
typedef struct {
	char steps[4096];
	char cands[4096];
	unsigned long long in_scope;
	char guard[1024]; /* dm_plan_check_deletes of the unprotected candidates: "ok" or its detail */
} result;

static const char *const verdict_letter = "UCSIFWB";

static dm_plan_opts opts(const char *prefix)
{
	dm_plan_opts o = { .bucket = "bkt", .prefix = prefix, .collect_stale = 1 };

	return o;
}

/* Runs the whole merge of walk (n entries) against keys (one page, checked
 * first); returns the first error, with the steps and candidates so far. */
static dm_err merge(const dm_plan_opts *o, const entry *walk, size_t nwalk, const char *const *keys, size_t nkeys,
		    result *res)
{
	dm_plan *p;
	dm_s3_object objs[64];
	dm_s3_page page = { objs, nkeys };
	size_t wi = 0, li = 0, n;
	const dm_plan_candidate *c;
	dm_err e;

	memset(res, 0, sizeof(*res));
	memset(objs, 0, sizeof(objs));
	assert_true(nkeys <= 64);
	for (size_t i = 0; i < nkeys; i++) {
		objs[i].key = (char *)keys[i];
		objs[i].size = 10 + i;
	}
	assert_int_equal(dm_plan_new(&p, o), DM_OK);
	if ((e = dm_plan_check_page(p, &page, NULL)))
		goto done;
	for (;;) {
		dm_walk_entry en = { 0 };
		dm_plan_step st;

		if (wi < nwalk) {
			en.kind = walk[wi].kind;
			en.rel = walk[wi].rel;
			en.path = walk[wi].rel;
		}
		if ((e = dm_plan_next(p, wi < nwalk ? &en : NULL, li < nkeys ? &objs[li] : NULL, &st)))
			goto done;
		if (!st.took_local && !st.took_remote)
			break;
		n = strlen(res->steps);
		snprintf(res->steps + n, sizeof(res->steps) - n, "%c:%s ", verdict_letter[st.verdict], st.key);
		wi += (size_t)st.took_local;
		li += (size_t)st.took_remote;
	}
	c = dm_plan_candidates(p, &n);
	res->in_scope = dm_plan_in_scope(p);
	{
		uint64_t go = 0;

		for (size_t i = 0; i < n; i++)
			go += !c[i].protected_by;
		if (dm_plan_check_deletes(p, go) == DM_OK)
			snprintf(res->guard, sizeof(res->guard), "ok");
		else { /* libdm names no flag: the remedy is a hint (dm_fail_hint), worded by the tools */
			unsigned long long hn;
			dm_hint h = dm_err_hint(&hn);

			snprintf(res->guard, sizeof(res->guard), "%s [hint %d %llu]", dm_err_detail(), (int)h, hn);
		}
	}
	for (size_t i = 0; i < n; i++) {
		size_t at = strlen(res->cands);

		snprintf(res->cands + at, sizeof(res->cands) - at, "%s%s%s ", c[i].key, c[i].protected_by ? "<" : "",
			 c[i].protected_by ? c[i].protected_by : "");
	}
done:
	dm_plan_free(p);
	return e;
}

#define MERGE(o, walk, keys, res)                                                                                      \
	merge(o, walk, sizeof(walk) / sizeof(walk[0]), keys, sizeof(keys) / sizeof(keys[0]), res)

/* ---- the merge's decisions ---- */

static void test_seed_plan__uploads_compares_and_collects_stale(void **state)
{
	static const entry walk[] = { FILE_("a.txt"), FILE_("b.txt"), FILE_("d/e.txt") };
	static const char *const keys[] = { "pre/a.txt", "pre/c.txt", "pre/d/e.txt", "pre/z.txt" };
	dm_plan_opts o = opts("pre/");
	result r;

	(void)state;
	assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
	assert_string_equal(r.steps, "C:pre/a.txt U:pre/b.txt S:pre/c.txt C:pre/d/e.txt S:pre/z.txt ");
	assert_string_equal(r.cands, "pre/c.txt pre/z.txt ");
}

static void test_seed_plan__without_delete_nothing_is_a_candidate(void **state)
{
	static const entry walk[] = { FILE_("b.txt") };
	static const char *const keys[] = { "pre/a.txt", "pre/c.txt" };
	dm_plan_opts o = opts("pre/");
	result r;

	(void)state;
	o.collect_stale = 0;
	assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
	assert_string_equal(r.steps, "I:pre/a.txt U:pre/b.txt I:pre/c.txt ");
	assert_string_equal(r.cands, "");
}

static void test_seed_plan__empty_prefix_takes_every_key(void **state)
{
	static const entry walk[] = { FILE_("a") };
	static const char *const keys[] = { "a", "a/b", "b" };
	dm_plan_opts o = opts("");
	result r;

	(void)state;
	assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
	assert_string_equal(r.steps, "C:a S:a/b S:b ");
	assert_string_equal(r.cands, "a/b b ");
}

static void test_seed_plan__walk_failures_warnings_and_bad_names(void **state)
{
	static const entry walk[] = { FAIL_("a"), FILE_("bad\xff.txt"), WARN_("fifo"), FILE_("ok.txt") };
	static const char *const keys[] = { "pre/a", "pre/fifo" };
	dm_plan_opts o = opts("pre/");
	result r;

	(void)state;
	assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
	/* the object of a failed or skipped entry's own key is used by it: never stale */
	assert_string_equal(r.steps, "F:pre/a B:pre/bad\xff.txt W:pre/fifo U:pre/ok.txt ");
	assert_string_equal(r.cands, "");
}

static void test_seed_plan__key_over_1024_bytes_is_a_bad_name(void **state)
{
	char rel[1100];
	entry walk[1];
	dm_plan *p;
	dm_walk_entry en = { 0 };
	dm_plan_step st;
	dm_plan_opts o = opts("pre/");

	(void)state;
	memset(rel, 'x', sizeof(rel) - 1);
	rel[sizeof(rel) - 1] = '\0';
	walk[0].kind = DM_WALK_FILE;
	walk[0].rel = rel;
	en.kind = walk[0].kind;
	en.rel = en.path = rel;
	assert_int_equal(dm_plan_new(&p, &o), DM_OK);
	assert_int_equal(dm_plan_next(p, &en, NULL, &st), DM_OK);
	assert_int_equal(st.verdict, DM_PLAN_BAD_NAME);
	assert_string_equal(st.why, "key is 1103 bytes long, over S3's limit of 1024");
	dm_plan_free(p);
}

/* ---- what a walk failure protects ---- */

static void test_seed_plan__failed_folder_protects_its_subtree_not_a_sibling(void **state)
{
	/* the walk's order: "a-b/" sorts before "a/" ('-' is 0x2D, '/' 0x2F) */
	static const entry walk[] = { FILE_("a-b/kept.txt"), FAIL_("a"), FILE_("keep.txt") };
	static const char *const keys[] = { "pre/a",   "pre/a-b/kept.txt", "pre/a-b/x", "pre/a.txt",
					    "pre/a/x", "pre/a/y/z",        "pre/ab",    "pre/keep.txt" };
	dm_plan_opts o = opts("pre/");
	result r;

	(void)state;
	assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
	/* "pre/a" sorts before the walk reaches the failure: kept all the same */
	assert_string_equal(r.cands, "pre/a<a pre/a-b/x pre/a.txt pre/a/x<a pre/a/y/z<a pre/ab ");
}

static void test_seed_plan__failed_file_protects_its_own_key(void **state)
{
	/* stat failed: the entry may be a folder, so its key and all below are kept */
	static const entry walk[] = { FILE_("a.txt"), FAIL_("locked"), FILE_("z.txt") };
	static const char *const keys[] = { "locked/in/side", "locked2" };
	dm_plan_opts o = opts("");
	result r;

	(void)state;
	assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
	assert_string_equal(r.cands, "locked/in/side<locked locked2 ");
}

static void test_seed_plan__filtered_failure_still_protects(void **state)
{
	static const entry walk[] = { FAIL_("logs"), FILE_("z.txt") };
	static const char *const keys[] = { "logs/today.csv" };
	static const dm_seed_rule rules[] = { { DM_SEED_EXCLUDE, "logs" } };
	dm_plan_opts o = opts("");
	result r;

	(void)state;
	o.rules = rules;
	o.nrules = 1;
	assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
	assert_string_equal(r.steps, "I:logs S:logs/today.csv U:z.txt ");
	assert_string_equal(r.cands, "logs/today.csv<logs ");
}

static void test_seed_plan__nested_failures_name_the_nearest(void **state)
{
	static const entry walk[] = { FAIL_("a"), FAIL_("a/b") };
	static const char *const keys[] = { "a/b/c", "a/x" };
	dm_plan_opts o = opts("");
	result r;

	(void)state;
	assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
	assert_string_equal(r.cands, "a/b/c<a/b a/x<a ");
}

/* ---- filters and shards on stale keys ---- */

static void test_seed_plan__filters_apply_to_stale_keys(void **state)
{
	static const entry walk[] = { FILE_("keep.csv") };
	static const char *const keys[] = { "p/logs/a.log", "p/old.csv", "p/other/x.csv", "p/x.txt" };
	static const dm_seed_rule rules[] = { { DM_SEED_EXCLUDE, "other/*" }, { DM_SEED_INCLUDE, "*.csv" } };
	dm_plan_opts o = opts("p/");
	result r;

	(void)state;
	o.rules = rules;
	o.nrules = 2;
	assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
	/* the globs match the key past the prefix, as for files */
	assert_string_equal(r.steps, "U:p/keep.csv I:p/logs/a.log S:p/old.csv I:p/other/x.csv I:p/x.txt ");
	assert_string_equal(r.cands, "p/old.csv ");
}

static void test_seed_plan__shards_split_stale_keys(void **state)
{
	static const entry walk[] = { FILE_("zzz") };
	static const char *const keys[] = { "s/k0", "s/k1", "s/k2", "s/k3", "s/k4", "s/k5", "s/k6", "s/k7" };
	char want[256] = "", all[4200] = "";
	result r;

	(void)state;
	for (unsigned shard = 0; shard < 3; shard++) {
		dm_plan_opts o = opts("s/");

		o.shard_index = shard;
		o.shard_count = 3;
		want[0] = '\0';
		for (size_t i = 0; i < 8; i++)
			if (dm_seed_shard_hash("bkt", keys[i]) % 3 == shard)
				snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s ", keys[i]);
		assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
		assert_string_equal(r.cands, want);
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s", r.cands);
	}
	/* every stale key in exactly one shard */
	assert_int_equal(strlen(all), strlen("s/k0 ") * 8);
}

/* ---- the listing is checked before the merge trusts it ---- */

static dm_err check_keys(const char *prefix, const char *const *keys, size_t n)
{
	dm_plan *p;
	dm_s3_object objs[8];
	dm_s3_page page = { objs, n };
	dm_plan_opts o = opts(prefix);
	dm_err e;

	memset(objs, 0, sizeof(objs));
	for (size_t i = 0; i < n; i++)
		objs[i].key = (char *)keys[i];
	assert_int_equal(dm_plan_new(&p, &o), DM_OK);
	e = dm_plan_check_page(p, &page, NULL);
	dm_plan_free(p);
	return e;
}

static void test_seed_plan__keys_sharing_the_prefix_string_are_outside(void **state)
{
	static const char *const outside[] = { "pre-x/b.txt", "prez.txt", "pre", "a", "other/secret-object" };

	(void)state;
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		const char *keys[] = { "pre/a.txt", outside[i] };
		char want[256];

		/* alone, and after a good key */
		assert_int_equal(check_keys("pre/", &outside[i], 1), DM_ERR_PARSE);
		snprintf(want, sizeof(want), "bad listing of 'bkt/pre/': key '%s' is outside the prefix", outside[i]);
		assert_string_equal(dm_err_detail(), want);
		assert_int_equal(check_keys("pre/", keys, 2), DM_ERR_PARSE);
	}
	{
		static const char *const inside[] = { "pre/", "pre/a", "pre/a/b" };

		assert_int_equal(check_keys("pre/", inside, 3), DM_OK);
	}
}

static void test_seed_plan__unsorted_or_repeated_keys_stop_the_listing(void **state)
{
	static const char *const unsorted[] = { "p/b", "p/a" };
	static const char *const twice[] = { "p/a", "p/a" };
	static const char *const ok[] = { "p/a", "p/a b", "p/a+b", "p/a/b", "p/\xc3\xa9" };

	(void)state;
	assert_int_equal(check_keys("p/", unsorted, 2), DM_ERR_PARSE);
	assert_string_equal(dm_err_detail(), "bad listing of 'bkt/p/': key 'p/a' comes after 'p/b': keys must be "
					     "listed in ascending byte order");
	assert_int_equal(check_keys("p/", twice, 2), DM_ERR_PARSE);
	assert_int_equal(check_keys("p/", ok, 5), DM_OK);
}

static void test_seed_plan__order_is_checked_across_pages(void **state)
{
	dm_plan *p;
	dm_s3_object a = { .key = (char *)"p/m" }, b = { .key = (char *)"p/c" };
	dm_s3_page one = { &a, 1 }, two = { &b, 1 };
	dm_plan_opts o = opts("p/");

	(void)state;
	assert_int_equal(dm_plan_new(&p, &o), DM_OK);
	assert_int_equal(dm_plan_check_page(p, &one, "t1"), DM_OK);
	assert_int_equal(dm_plan_check_page(p, &two, NULL), DM_ERR_PARSE);
	dm_plan_free(p);
}

static void test_seed_plan__a_continuation_token_seen_before_stops_the_listing(void **state)
{
	dm_plan *p;
	dm_s3_page empty = { NULL, 0 };
	dm_plan_opts o = opts("p/");
	char tok[32];

	(void)state;
	assert_int_equal(dm_plan_new(&p, &o), DM_OK);
	/* many distinct tokens (the set grows), then one from long ago */
	for (int i = 0; i < 100; i++) {
		snprintf(tok, sizeof(tok), "token-%d", i);
		assert_int_equal(dm_plan_check_page(p, &empty, tok), DM_OK);
	}
	assert_int_equal(dm_plan_check_page(p, &empty, "token-3"), DM_ERR_PARSE);
	assert_string_equal(dm_err_detail(),
			    "bad listing of 'bkt/p/': continuation token 'token-3' was handed out before");
	dm_plan_free(p);
}

static void test_seed_plan__an_object_outside_the_prefix_never_gets_a_rel(void **state)
{
	/* the path valgrind saw: a key shorter than the prefix, with rules set,
	 * read past its end; unchecked, the plan refuses it instead */
	static const dm_seed_rule rules[] = { { DM_SEED_EXCLUDE, "*.tmp" } };
	dm_s3_object obj = { .key = (char *)"a" };
	dm_plan *p;
	dm_plan_step st;
	dm_plan_opts o = opts("some/long/prefix/");
	size_t n;

	(void)state;
	o.rules = rules;
	o.nrules = 1;
	assert_int_equal(dm_plan_new(&p, &o), DM_OK);
	assert_int_equal(dm_plan_next(p, NULL, &obj, &st), DM_ERR_PARSE);
	dm_plan_candidates(p, &n);
	assert_int_equal(n, 0);
	dm_plan_free(p);
}

/* ---- listings as a server writes them, through the parser ---- */

/* Parses xml as a ListObjectsV2 page and checks it with a plan for prefix. */
static dm_err parse_and_check(const char *xml, size_t len, const char *prefix, dm_s3_page *page)
{
	dm_plan *p;
	dm_plan_opts o = opts(prefix);
	char *token = NULL;
	dm_err e = dm_s3_xml_list(xml, len, page, &token);

	if (!e) {
		assert_int_equal(dm_plan_new(&p, &o), DM_OK);
		e = dm_plan_check_page(p, page, token);
		dm_plan_free(p);
		if (e)
			dm_s3_page_release(page);
	}
	free(token);
	return e;
}

static void test_seed_plan__raw_keys_without_encoding_type_are_kept(void **state)
{
	/* a server that ignores encoding-type=url: "a+b" is a plus, and both
	 * objects match their files, so neither is stale */
	static const char xml[] = "<ListBucketResult><IsTruncated>false</IsTruncated>"
				  "<Contents><Key>p/a b</Key><Size>1</Size></Contents>"
				  "<Contents><Key>p/a+b</Key><Size>1</Size></Contents></ListBucketResult>";
	static const entry walk[] = { FILE_("a b"), FILE_("a+b") };
	dm_plan_opts o = opts("p/");
	dm_s3_page page;
	result r;
	const char *keys[2];

	(void)state;
	assert_int_equal(parse_and_check(xml, LEN(xml), "p/", &page), DM_OK);
	assert_int_equal(page.n, 2);
	keys[0] = page.items[0].key;
	keys[1] = page.items[1].key;
	assert_int_equal(merge(&o, walk, 2, keys, 2, &r), DM_OK);
	assert_string_equal(r.steps, "C:p/a b C:p/a+b ");
	assert_string_equal(r.cands, "");
	dm_s3_page_release(&page);
}

static void test_seed_plan__url_keys_are_decoded_once(void **state)
{
	static const char xml[] = "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
				  "<Contents><Key>p/a+b</Key><Size>1</Size></Contents>"
				  "<Contents><Key>p/a%252B</Key><Size>1</Size></Contents>"
				  "<Contents><Key>p/a%2Bb</Key><Size>1</Size></Contents></ListBucketResult>";
	dm_s3_page page;

	(void)state;
	assert_int_equal(parse_and_check(xml, LEN(xml), "p/", &page), DM_OK);
	assert_string_equal(page.items[0].key, "p/a b");
	assert_string_equal(page.items[1].key, "p/a%2B");
	assert_string_equal(page.items[2].key, "p/a+b");
	dm_s3_page_release(&page);
}

static void test_seed_plan__hostile_listings_stop_the_run(void **state)
{
	static const struct {
		const char *xml, *detail;
	} cases[] = {
		{ "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
		  "<Contents><Key>p/zz%00hidden</Key></Contents></ListBucketResult>",
		  "key 'p/zz%00hidden' decodes to a NUL byte" },
		{ "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
		  "<Contents><Key>p/a%zzb</Key></Contents></ListBucketResult>",
		  "key 'p/a%zzb' has a bad %-escape" },
		{ "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
		  "<Contents><Key>p/a%4</Key></Contents></ListBucketResult>",
		  "key 'p/a%4' has a bad %-escape" },
		{ "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
		  "<Contents><Key>p/a%FFb</Key></Contents></ListBucketResult>",
		  "key 'p/a%FFb' is not UTF-8" },
		{ "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
		  "<Contents><Key>p/%0A%1b</Key></Contents></ListBucketResult>",
		  NULL /* control characters are legal in keys */ },
		{ "<ListBucketResult><IsTruncated>false</IsTruncated>"
		  "<Contents><Key></Key></Contents></ListBucketResult>",
		  "key '' is empty" },
		{ "<ListBucketResult><EncodingType>base64</EncodingType><IsTruncated>false</IsTruncated>"
		  "<Contents><Key>p/a</Key></Contents></ListBucketResult>",
		  "unknown EncodingType 'base64'" },
		{ "<ListBucketResult><IsTruncated>true</IsTruncated>"
		  "<Contents><Key>p/a</Key></Contents></ListBucketResult>",
		  "truncated ListObjectsV2 reply without NextContinuationToken" },
		{ "<ListBucketResult><IsTruncated>false</IsTruncated>"
		  "<Contents><Key>p/b</Key></Contents><Contents><Key>p/a</Key></Contents></ListBucketResult>",
		  "bad listing of 'bkt/p/': key 'p/a' comes after 'p/b': keys must be listed in ascending byte order" },
		{ "<ListBucketResult><IsTruncated>false</IsTruncated>"
		  "<Contents><Key>other/secret-object</Key></Contents></ListBucketResult>",
		  "bad listing of 'bkt/p/': key 'other/secret-object' is outside the prefix" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dm_s3_page page;
		dm_err e = parse_and_check(cases[i].xml, strlen(cases[i].xml), "p/", &page);

		if (!cases[i].detail) {
			if (e)
				fail_msg("case %zu: %s", i, dm_err_detail());
			assert_string_equal(page.items[0].key, "p/\n\x1b");
			dm_s3_page_release(&page);
			continue;
		}
		if (e != DM_ERR_PARSE)
			fail_msg("case %zu: %d %s", i, e, dm_err_detail());
		assert_string_equal(dm_err_detail(), cases[i].detail);
		assert_int_equal(page.n, 0);
	}
}

static void test_seed_plan__bad_keys_are_shown_escaped(void **state)
{
	static const char *const keys[] = { "p/a\nb\\c\x1b[2J\xc2\x85" };

	(void)state;
	assert_int_equal(check_keys("q/", keys, 1), DM_ERR_PARSE);
	assert_string_equal(dm_err_detail(),
			    "bad listing of 'bkt/q/': key 'p/a\\x0ab\\\\c\\x1b[2J\\xc2\\x85' is outside the prefix");
}

/* ---- --delete's guard (--max-delete) ---- */

static void test_seed_plan__guard_lets_half_of_the_objects_in_scope_go(void **state)
{
	static const entry walk[] = { FILE_("a"), FILE_("b") };
	static const char *const keys[] = { "p/a", "p/b", "p/c", "p/d" };
	dm_plan_opts o = opts("p/");
	result r;

	(void)state;
	assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
	assert_int_equal(r.in_scope, 4);
	assert_string_equal(r.cands, "p/c p/d ");
	assert_string_equal(r.guard, "ok");
}

static void test_seed_plan__guard_refuses_more_than_half(void **state)
{
	/* the parent folder given by mistake: no file maps to any object */
	static const entry walk[] = { FILE_("examples/a"), FILE_("examples/b") };
	static const char *const keys[] = { "examples/a", "examples/b", "examples/c" };
	dm_plan_opts o = opts("examples/");
	result r;

	(void)state;
	assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
	assert_int_equal(r.in_scope, 3);
	assert_string_equal(r.guard,
			    "refusing to delete 3 of the 3 objects under 'bkt/examples/': more than half of them; "
			    "nothing deleted; check SOURCE and TARGET [hint 3 3]");
}

static void test_seed_plan__guard_counts_only_the_objects_in_scope(void **state)
{
	/* the rules leave x.log and skip/ out: 2 in scope, 1 stale of them is half */
	static const entry walk[] = { FILE_("b.txt") };
	static const char *const keys[] = { "a.txt", "b.txt", "c.log", "skip/d.txt" };
	static const dm_seed_rule rules[] = { { DM_SEED_EXCLUDE, "skip/*" }, { DM_SEED_INCLUDE, "*.txt" } };
	dm_plan_opts o = opts("");
	result r;

	(void)state;
	o.rules = rules;
	o.nrules = 2;
	assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
	assert_int_equal(r.in_scope, 2);
	assert_string_equal(r.cands, "a.txt ");
	assert_string_equal(r.guard, "ok");
}

static void test_seed_plan__guard_max_delete_n_zero_and_all(void **state)
{
	static const entry walk[] = { FILE_("z") };
	static const char *const keys[] = { "p/a", "p/b", "p/c" };
	dm_plan_opts o = opts("p/");
	result r;

	(void)state;
	o.max_delete_given = 1;
	o.max_delete = 3;
	assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
	assert_string_equal(r.guard, "ok");
	o.max_delete = 2;
	assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
	assert_string_equal(r.guard, "refusing to delete 3 objects under 'bkt/p/': over the limit of 2 deletions; "
				     "nothing deleted "
				     "[hint 3 3]");
	o.max_delete = 0;
	assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
	assert_string_equal(r.guard, "refusing to delete 3 objects under 'bkt/p/': over the limit of 0 deletions; "
				     "nothing deleted "
				     "[hint 3 3]");
	o.max_delete = DM_SEED_MAX_DELETE_ALL;
	assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
	assert_string_equal(r.guard, "ok");
	/* bucket mode: the trees before took 2 of the run's 4 */
	o.max_delete = 4;
	o.deleted_before = 2;
	assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
	assert_string_equal(r.guard,
			    "refusing to delete 3 objects under 'bkt/p/': with the 2 deleted before in this run, "
			    "over the limit of 4 deletions; nothing deleted there [hint 3 5]");
}

static void test_seed_plan__guard_leaves_protected_objects_out(void **state)
{
	/* what a walk failure protects is never deleted, so it does not count */
	static const entry walk[] = { FAIL_("locked"), FILE_("z") };
	static const char *const keys[] = { "locked/a", "locked/b", "locked/c", "x" };
	dm_plan_opts o = opts("");
	result r;

	(void)state;
	assert_int_equal(MERGE(&o, walk, keys, &r), DM_OK);
	assert_int_equal(r.in_scope, 4);
	assert_string_equal(r.guard, "ok");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_plan__uploads_compares_and_collects_stale),
		cmocka_unit_test(test_seed_plan__without_delete_nothing_is_a_candidate),
		cmocka_unit_test(test_seed_plan__empty_prefix_takes_every_key),
		cmocka_unit_test(test_seed_plan__walk_failures_warnings_and_bad_names),
		cmocka_unit_test(test_seed_plan__key_over_1024_bytes_is_a_bad_name),
		cmocka_unit_test(test_seed_plan__failed_folder_protects_its_subtree_not_a_sibling),
		cmocka_unit_test(test_seed_plan__failed_file_protects_its_own_key),
		cmocka_unit_test(test_seed_plan__filtered_failure_still_protects),
		cmocka_unit_test(test_seed_plan__nested_failures_name_the_nearest),
		cmocka_unit_test(test_seed_plan__filters_apply_to_stale_keys),
		cmocka_unit_test(test_seed_plan__shards_split_stale_keys),
		cmocka_unit_test(test_seed_plan__keys_sharing_the_prefix_string_are_outside),
		cmocka_unit_test(test_seed_plan__unsorted_or_repeated_keys_stop_the_listing),
		cmocka_unit_test(test_seed_plan__order_is_checked_across_pages),
		cmocka_unit_test(test_seed_plan__a_continuation_token_seen_before_stops_the_listing),
		cmocka_unit_test(test_seed_plan__an_object_outside_the_prefix_never_gets_a_rel),
		cmocka_unit_test(test_seed_plan__raw_keys_without_encoding_type_are_kept),
		cmocka_unit_test(test_seed_plan__url_keys_are_decoded_once),
		cmocka_unit_test(test_seed_plan__hostile_listings_stop_the_run),
		cmocka_unit_test(test_seed_plan__bad_keys_are_shown_escaped),
		cmocka_unit_test(test_seed_plan__guard_lets_half_of_the_objects_in_scope_go),
		cmocka_unit_test(test_seed_plan__guard_refuses_more_than_half),
		cmocka_unit_test(test_seed_plan__guard_counts_only_the_objects_in_scope),
		cmocka_unit_test(test_seed_plan__guard_max_delete_n_zero_and_all),
		cmocka_unit_test(test_seed_plan__guard_leaves_protected_objects_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
