/* The reference language (libdm/platform/ref.c): a text read once into
 * tokens; the check of those tokens (errors at FILE:LINE:COL, the first wrong
 * reference of a text) and their expansion.  The components are the fixture
 * platform tests/fixtures/platform/flavours/basic.yaml: fx-app needs fx-base
 * and fx-store; fx-store generates fx-store-keys and exposes a Secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dm/platform.h>
#include <dm/util.h>
#include "platform/internal.h"

#define BASIC DM_SOURCE_DIR "/tests/fixtures/platform/flavours/basic.yaml"

typedef struct {
	dm_flavour *f;
	dm_platform *p;
	dm_pool pool;
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(dm_flavour_load(&fx->f, BASIC), DM_OK);
	assert_int_equal(dm_platform_load(&fx->p, fx->f, NULL), DM_OK);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;

	dm_pool_release(&fx->pool);
	dm_platform_free(fx->p);
	dm_flavour_free(fx->f);
	free(fx);
	return 0;
}

static dm_refs parse(fixture *fx, const char *text)
{
	dm_refs r;

	assert_int_equal(dm_refs_parse(&fx->pool, &r, text), DM_OK);
	return r;
}

/* The check of text as a set value (or an endpoint) of component name, at f.yaml:3:7. */
static dm_err check(fixture *fx, const char *name, const char *text, int endpoint, int *secret)
{
	dm_refs r = parse(fx, text);
	dm_ref_where at = { .file = "f.yaml", .line = 3, .col = 7, .endpoint = endpoint };

	*secret = 0;
	return dm_refs_check(&r, fx->p, dm_platform_find(fx->p, name), &at, secret);
}

static void test_refs__text_reads_into_tokens_in_order(void **state)
{
	fixture *fx = *state;
	dm_refs r = parse(fx, "a $${x} ${release}-${namespace}/${secrets.k.ak}:${fx-store.host} $ b");

	assert_int_equal(r.n, 9);
	assert_int_equal(r.v[0].kind, DM_REF_TEXT);
	assert_string_equal(r.v[0].text, "a ${x} ");
	assert_int_equal(r.v[1].kind, DM_REF_RELEASE);
	assert_string_equal(r.v[2].text, "-");
	assert_int_equal(r.v[3].kind, DM_REF_NAMESPACE);
	assert_int_equal(r.v[5].kind, DM_REF_GENERATED);
	assert_string_equal(r.v[5].name, "k");
	assert_string_equal(r.v[5].key, "ak");
	assert_string_equal(r.v[6].text, ":");
	assert_int_equal(r.v[7].kind, DM_REF_COMPONENT);
	assert_string_equal(r.v[7].name, "fx-store");
	assert_string_equal(r.v[7].key, "host");
	assert_int_equal(r.v[7].field, DM_REF_FIELD_HOST);
	assert_int_equal(r.v[8].kind, DM_REF_TEXT);
	assert_string_equal(r.v[8].text, " $ b");
	assert_int_equal(parse(fx, "").n, 0);
}

static void test_refs__malformed_references_are_tokens_too(void **state)
{
	fixture *fx = *state;
	char lng[300];
	dm_refs r = parse(fx, "${nodot} ${secrets.k} ${a.b.nofield} ${x");

	assert_int_equal(r.v[0].kind, DM_REF_UNKNOWN);
	assert_int_equal(r.v[2].kind, DM_REF_UNKNOWN);
	assert_int_equal(r.v[4].kind, DM_REF_COMPONENT);
	assert_string_equal(r.v[4].name, "a.b");
	assert_int_equal(r.v[4].field, DM_REF_FIELD_UNKNOWN);
	assert_int_equal(r.v[6].kind, DM_REF_UNTERMINATED);
	assert_string_equal(r.v[6].text, "${x");
	snprintf(lng, sizeof(lng), "${%0256d}", 0);
	assert_int_equal(parse(fx, lng).v[0].kind, DM_REF_TOO_LONG);
	lng[strlen(lng) - 2] = '}';
	lng[strlen(lng) - 1] = '\0';
	assert_int_equal(parse(fx, lng).v[0].kind, DM_REF_UNKNOWN);
}

static const struct {
	const char *component, *text;
	int endpoint;
	const char *want;
} bad[] = {
	{ "fx-app", "ok ${x", 0, "f.yaml:3:7: unterminated reference '${x'" },
	{ "fx-app", "${nodot}", 0, "f.yaml:3:7: ${nodot}: unknown reference (write ${COMPONENT.FIELD}" },
	{ "fx-app", "${secrets.k}", 0, "f.yaml:3:7: ${secrets.k}: write ${secrets.NAME.KEY}" },
	{ "fx-app", "${nope.release}", 0, "f.yaml:3:7: ${nope.release}: 'nope' is no component" },
	{ "fx-app", "${fx-other.release}", 0,
	  "${fx-other.release} refers to fx-other, which is not in needs of 'fx-app'" },
	{ "fx-app", "${fx-base.password}", 0, "${fx-base.password}: 'password' is not a field a component exposes" },
	{ "fx-app", "${fx-base.endpoint}", 0, "${fx-base.endpoint}: component 'fx-base' exposes no 'secret:'" },
	{ "fx-app", "${secrets.nope.k}", 0, "${secrets.nope.k}: 'nope' is not a generated Secret of 'fx-app'" },
	{ "fx-store", "${secrets.fx-store-keys.k}", 0, "Secret 'fx-store-keys' has no key 'k'" },
	{ "fx-store", "http://${fx-store.host}", 1, "${fx-store.host}: an endpoint may only use ${release} and" },
	/* the first wrong reference of a text is the one reported */
	{ "fx-app", "${fx-base.password} ${x", 0, "'password' is not a field" },
	{ "fx-app", "${release} ${x", 0, "unterminated reference '${x'" },
};

static void test_refs__check_names_the_first_bad_reference_at_file_line_col(void **state)
{
	fixture *fx = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int secret;
		dm_err e = check(fx, bad[i].component, bad[i].text, bad[i].endpoint, &secret);

		if (e != DM_ERR_CONFIG || !strstr(dm_err_detail(), bad[i].want))
			fail_msg("'%s': got %d '%s', wanted '%s'", bad[i].text, e, dm_err_detail(), bad[i].want);
	}
}

static void test_refs__check_marks_texts_that_read_a_key(void **state)
{
	fixture *fx = *state;
	int secret;

	assert_int_equal(check(fx, "fx-app", "${fx-store.host} $${fx-store.access_key}", 0, &secret), DM_OK);
	assert_int_equal(secret, 0);
	assert_int_equal(check(fx, "fx-app", "${fx-store.access_key}", 0, &secret), DM_OK);
	assert_int_equal(secret, 1);
	assert_int_equal(check(fx, "fx-store", "${secrets.fx-store-keys.secret_key}", 0, &secret), DM_OK);
	assert_int_equal(secret, 1);
	assert_int_equal(check(fx, "fx-store", "https://${release}.${namespace}:9000", 1, &secret), DM_OK);
	assert_int_equal(secret, 0);
}

/* A stand-in for the cluster: "NS/SECRET/KEY". */
static dm_err fake_secret(void *ud, const char *ns, const char *secret, const char *key, dm_buf *out)
{
	(void)ud;
	return dm_buf_printf(out, "%s/%s/%s", ns, secret, key);
}

static char *expanded(fixture *fx, const char *name, const char *text, int with_secrets)
{
	const dm_component *c = dm_platform_find(fx->p, name);
	dm_refs r = parse(fx, text);
	dm_ref_env env = { .p = fx->p,
			   .release = c->release,
			   .ns = c->ns,
			   .secret_value = with_secrets ? fake_secret : NULL };
	dm_buf b = DM_BUF_INIT;
	int secret;

	assert_int_equal(check(fx, name, text, 0, &secret), DM_OK);
	assert_int_equal(dm_refs_expand(&b, &r, &env), DM_OK);
	return dm_buf_detach(&b);
}

static void test_refs__expansion_fills_in_fields_and_keys(void **state)
{
	fixture *fx = *state;
	char *s;

	s = expanded(fx, "fx-app",
		     "h=${fx-store.host} e=${fx-store.endpoint} r=${release} n=${namespace} $${lit} "
		     "s=${fx-store.secret_name} f=${fx-store.access_key_field} k=${fx-store.secret_key}",
		     0);
	assert_string_equal(s, "h=fx-store.dm-fx-basic.svc.cluster.local:9000 "
			       "e=http://fx-store.dm-fx-basic.svc.cluster.local:9000 r=fx-app n=dm-fx-basic ${lit} "
			       "s=fx-store-keys f=access_key k=<secret>");
	free(s);
	s = expanded(fx, "fx-app", "${fx-store.access_key}:${fx-store.secret_key}", 1);
	assert_string_equal(s, "dm-fx-basic/fx-store-keys/access_key:dm-fx-basic/fx-store-keys/secret_key");
	free(s);
	s = expanded(fx, "fx-store", "${secrets.fx-store-keys.access_key}", 1);
	assert_string_equal(s, "dm-fx-basic/fx-store-keys/access_key");
	free(s);
	s = expanded(fx, "fx-app", "", 0);
	assert_string_equal(s, "");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refs__text_reads_into_tokens_in_order),
		cmocka_unit_test(test_refs__malformed_references_are_tokens_too),
		cmocka_unit_test(test_refs__check_names_the_first_bad_reference_at_file_line_col),
		cmocka_unit_test(test_refs__check_marks_texts_that_read_a_key),
		cmocka_unit_test(test_refs__expansion_fills_in_fields_and_keys),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
