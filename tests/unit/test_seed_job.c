/* tests/unit/test_seed_job.c - dm-seed's Kubernetes Indexed Job (dm_seed_job_manifest):
 * the manifest reads back as YAML with the shards, the claim, the Secret and the
 * endpoint; the caller's options reach every pod in order and byte for byte, with
 * Kubernetes' $(VAR) expansion defused; bucket mode and prefixes; refused input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <dm/seed.h>
#include <dm/util.h>
#include <dm/yaml.h>

static dm_seed_job base(void)
{
	/* what dm-seed takes from the shipped platform's minio component (components/minio/config.yaml) */
	return (dm_seed_job){ .shards = 4, .name = "seed-lake", .ns = "data-mill", .image = "localhost/dm:0.1.0",
			      .pvc = "lake-data", .source = "./raw/2024", .bucket = "datalake", .prefix = "in/raw",
			      .secret = "minio-credentials", .access_key_field = "rootUser",
			      .secret_key_field = "rootPassword",
			      .endpoint = "http://minio.data-mill.svc.cluster.local:9000" };
}

/* node at a path of map keys and sequence indexes ("spec", "template", ... ; "#0" an index) */
static const dm_ynode *at(const dm_ynode *n, ...)
{
	va_list ap;
	const char *k;

	va_start(ap, n);
	while (n && (k = va_arg(ap, const char *)) != NULL) {
		if (k[0] == '#') {
			size_t i = (size_t)(k[1] - '0');

			n = n->kind == DM_YAML_SEQ && i < n->len ? n->vals[i] : NULL;
		} else {
			n = dm_yaml_get(n, k);
		}
	}
	va_end(ap);
	if (!n)
		fail_msg("no such node");
	return n;
}

static const char *str(const dm_ynode *n)
{
	assert_int_equal(n->kind, DM_YAML_SCALAR);
	return n->scalar;
}

static dm_yaml *manifest(const dm_seed_job *job, dm_buf *text)
{
	dm_yaml *doc = NULL;

	assert_int_equal(dm_seed_job_manifest(text, job), DM_OK);
	if (dm_yaml_load_string(&doc, "manifest", text->data, text->len) != DM_OK)
		fail_msg("the manifest does not read back: %s\n%s", dm_err_detail(), dm_buf_str(text));
	return doc;
}

static const dm_ynode *container(const dm_yaml *doc)
{
	return at(dm_yaml_root(doc), "spec", "template", "spec", "containers", "#0", NULL);
}

static void test_seed_job__is_an_indexed_job_of_the_claim_the_secret_and_the_endpoint(void **state)
{
	dm_seed_job job = base();
	dm_buf text = DM_BUF_INIT;
	dm_yaml *doc = manifest(&job, &text);
	const dm_ynode *r = dm_yaml_root(doc), *c = container(doc), *env = at(c, "env", NULL);

	(void)state;
	assert_true(strncmp(dm_buf_str(&text), "# dm-seed as a Kubernetes Indexed Job: 4 pods", 45) == 0);
	assert_string_equal(str(at(r, "apiVersion", NULL)), "batch/v1");
	assert_string_equal(str(at(r, "kind", NULL)), "Job");
	assert_string_equal(str(at(r, "metadata", "name", NULL)), "seed-lake");
	assert_string_equal(str(at(r, "metadata", "namespace", NULL)), "data-mill");
	assert_string_equal(str(at(r, "spec", "completionMode", NULL)), "Indexed");
	assert_string_equal(str(at(r, "spec", "completions", NULL)), "4");
	assert_string_equal(str(at(r, "spec", "parallelism", NULL)), "4");
	assert_string_equal(str(at(c, "image", NULL)), "localhost/dm:0.1.0");
	assert_string_equal(str(at(r, "spec", "template", "spec", "volumes", "#0", "persistentVolumeClaim",
				   "claimName", NULL)),
			    "lake-data");
	assert_string_equal(str(at(c, "volumeMounts", "#0", "mountPath", NULL)), "/data");
	assert_string_equal(str(at(env, "#0", "name", NULL)), "JOB_COMPLETION_INDEX");
	assert_string_equal(str(at(env, "#1", "name", NULL)), "AWS_ACCESS_KEY_ID");
	assert_string_equal(str(at(env, "#1", "valueFrom", "secretKeyRef", "name", NULL)), "minio-credentials");
	assert_string_equal(str(at(env, "#1", "valueFrom", "secretKeyRef", "key", NULL)), "rootUser");
	assert_string_equal(str(at(env, "#2", "valueFrom", "secretKeyRef", "key", NULL)), "rootPassword");
	assert_string_equal(str(at(env, "#3", "name", NULL)), "AWS_ENDPOINT_URL");
	assert_string_equal(str(at(env, "#3", "value", NULL)), "http://minio.data-mill.svc.cluster.local:9000");
	assert_int_equal(env->len, 4);
	dm_yaml_free(doc);
	dm_buf_release(&text);
	/* the alias's region, when there is one, signs the pods' requests too */
	job.region = "eu-west-1";
	doc = manifest(&job, &text);
	env = at(container(doc), "env", NULL);
	assert_string_equal(str(at(env, "#4", "name", NULL)), "AWS_REGION");
	assert_string_equal(str(at(env, "#4", "value", NULL)), "eu-west-1");
	dm_yaml_free(doc);
	dm_buf_release(&text);
}

static void expect_args(const dm_seed_job *job, const char *const *want, size_t n)
{
	dm_buf text = DM_BUF_INIT;
	dm_yaml *doc = manifest(job, &text);
	const dm_ynode *args = at(container(doc), "args", NULL);

	assert_int_equal(args->kind, DM_YAML_SEQ);
	if (args->len != n)
		fail_msg("%zu args, wanted %zu:\n%s", args->len, n, dm_buf_str(&text));
	for (size_t i = 0; i < n; i++)
		assert_string_equal(str(args->vals[i]), want[i]);
	dm_yaml_free(doc);
	dm_buf_release(&text);
}

static void test_seed_job__every_option_reaches_the_pods_in_order_as_given(void **state)
{
	static const char *const opts[] = { "--exclude", "keep/f1*", "--include", "*.csv", "--jobs", "4",
					    "--part-size", "5MiB", "--multipart-threshold", "5MiB", "--retries", "2",
					    "--connect-timeout", "5s", "--delete", "--dry-run", "--verify",
					    "--insecure", "--json", "--verbose", "--quiet" };
	const size_t n = sizeof(opts) / sizeof(*opts);
	const char *want[32] = { "--shard", "$(JOB_COMPLETION_INDEX)/4", "--no-progress" };
	dm_seed_job job = base();

	(void)state;
	job.args = opts;
	job.nargs = n;
	memcpy(want + 3, opts, n * sizeof(*opts));
	want[3 + n] = "/data/raw/2024";
	want[4 + n] = "s3/datalake/in/raw";
	expect_args(&job, want, n + 5);
}

static void test_seed_job__text_with_quotes_newlines_and_dollars_stays_as_it_is(void **state)
{
	/* Kubernetes reads $(VAR) in args as a reference and "$$" as "$": every '$' is doubled */
	static const char *const opts[] = { "--include", "a \"b\" 'c'\n# d: [e] $(HOME) $$ $x" };
	static const char *const want[] = { "--shard", "$(JOB_COMPLETION_INDEX)/4", "--no-progress", "--include",
					    "a \"b\" 'c'\n# d: [e] $$(HOME) $$$$ $$x", "/data/raw/$$(x)",
					    "s3/datalake/p $$q" };
	dm_seed_job job = base();

	(void)state;
	job.args = opts;
	job.nargs = 2;
	job.source = "/raw/$(x)";
	job.prefix = "p $q";
	expect_args(&job, want, sizeof(want) / sizeof(*want));
}

static void test_seed_job__bucket_mode_and_no_prefix(void **state)
{
	static const char *const bucket_mode[] = { "--shard", "$(JOB_COMPLETION_INDEX)/4", "--no-progress",
						   "/data/raw/2024", "s3" };
	static const char *const no_prefix[] = { "--shard", "$(JOB_COMPLETION_INDEX)/4", "--no-progress",
						 "/data/raw/2024", "s3/datalake" };
	dm_seed_job job = base();

	(void)state;
	job.bucket = NULL;
	expect_args(&job, bucket_mode, 5);
	job.bucket = "datalake";
	job.prefix = "";
	expect_args(&job, no_prefix, 5);
}

static void test_seed_job__refuses_a_job_it_cannot_describe(void **state)
{
	dm_seed_job job = base();
	dm_buf text = DM_BUF_INIT;

	(void)state;
	job.shards = 0;
	assert_int_equal(dm_seed_job_manifest(&text, &job), DM_ERR_INVALID);
	job = base();
	job.pvc = NULL;
	assert_int_equal(dm_seed_job_manifest(&text, &job), DM_ERR_INVALID);
	assert_int_equal(text.len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_job__is_an_indexed_job_of_the_claim_the_secret_and_the_endpoint),
		cmocka_unit_test(test_seed_job__every_option_reaches_the_pods_in_order_as_given),
		cmocka_unit_test(test_seed_job__text_with_quotes_newlines_and_dollars_stays_as_it_is),
		cmocka_unit_test(test_seed_job__bucket_mode_and_no_prefix),
		cmocka_unit_test(test_seed_job__refuses_a_job_it_cannot_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
