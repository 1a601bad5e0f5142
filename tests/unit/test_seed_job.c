/* tests/unit/test_seed_job.c - dm-seed's Kubernetes Jobs (dm_seed_job_manifest): the
 * manifest reads back as YAML with the shards, the claim, the Secret and the endpoint;
 * the caller's options reach every pod in order and byte for byte, with Kubernetes'
 * $(VAR) expansion defused; bucket mode and prefixes; refused input; the per-shard
 * form (N Jobs, "--shard I/N" as written, their labels); the form a server version
 * runs; a pod's summary read out of a log that interleaves its stderr. */
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
	return (dm_seed_job){ .shards = 4,
			      .name = "seed-lake",
			      .ns = "data-mill",
			      .image = "localhost/dm:0.1.0",
			      .pvc = "lake-data",
			      .source = "./raw/2024",
			      .bucket = "datalake",
			      .prefix = "in/raw",
			      .secret = "minio-credentials",
			      .access_key_field = "rootUser",
			      .secret_key_field = "rootPassword",
			      .endpoint = "http://minio.data-mill.svc.cluster.local:9000",
			      .backoff_limit = DM_SEED_JOB_BACKOFF };
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
	assert_string_equal(str(at(r, "spec", "template", "spec", "volumes", "#0", "persistentVolumeClaim", "claimName",
				   NULL)),
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
	static const char *const opts[] = { "--exclude",
					    "keep/f1*",
					    "--include",
					    "*.csv",
					    "--jobs",
					    "4",
					    "--part-size",
					    "5MiB",
					    "--multipart-threshold",
					    "5MiB",
					    "--retries",
					    "2",
					    "--connect-timeout",
					    "5s",
					    "--delete",
					    "--dry-run",
					    "--verify",
					    "--insecure",
					    "--json",
					    "--verbose",
					    "--quiet" };
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
	static const char *const want[] = { "--shard",
					    "$(JOB_COMPLETION_INDEX)/4",
					    "--no-progress",
					    "--include",
					    "a \"b\" 'c'\n# d: [e] $$(HOME) $$$$ $$x",
					    "/data/raw/$$(x)",
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

static void test_seed_job__per_shard_form_is_one_job_a_shard_with_its_args_and_labels(void **state)
{
	static const char *const opts[] = { "--include", "a$b" };
	dm_seed_job job = base();
	dm_buf text = DM_BUF_INIT;
	dm_yaml *docs[4] = { 0 };
	const char *p, *q;
	size_t n = 0;

	(void)state;
	job.form = DM_SEED_JOB_PER_SHARD;
	job.shards = 3;
	job.host_network = 1;
	job.args = opts;
	job.nargs = 2;
	assert_int_equal(dm_seed_job_manifest(&text, &job), DM_OK);
	assert_true(strncmp(dm_buf_str(&text),
			    "# dm-seed as 3 Kubernetes Jobs, one a shard: Job seed-lake-I seeds shard I/3.\n---\n",
			    81) == 0);
	/* one document after each "---" */
	for (p = strstr(text.data, "---\n"); p; p = q) {
		q = strstr(p + 4, "\n---\n");
		assert_true(n < 3);
		assert_int_equal(dm_yaml_load_string(&docs[n], "doc", p + 4,
						     q ? (size_t)(q + 1 - (p + 4)) : strlen(p + 4)),
				 DM_OK);
		n++;
		if (q)
			q++;
	}
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		const dm_ynode *r = dm_yaml_root(docs[i]), *c = container(docs[i]), *args = at(c, "args", NULL);
		const dm_ynode *pod = at(r, "spec", "template", "spec", NULL);
		char name[48], shard[32], num[24];

		snprintf(name, sizeof(name), "seed-lake-%zu", i);
		snprintf(shard, sizeof(shard), "%zu/3", i);
		snprintf(num, sizeof(num), "%zu", i);
		assert_string_equal(str(at(r, "metadata", "name", NULL)), name);
		assert_string_equal(str(at(r, "metadata", "labels", "app.kubernetes.io/name", NULL)), "dm-seed");
		assert_string_equal(str(at(r, "metadata", "labels", DM_SEED_JOB_LABEL, NULL)), "seed-lake");
		assert_string_equal(str(at(r, "metadata", "labels", DM_SEED_SHARD_LABEL, NULL)), num);
		assert_string_equal(str(at(r, "spec", "template", "metadata", "labels", DM_SEED_SHARD_LABEL, NULL)),
				    num);
		assert_string_equal(str(at(r, "spec", "completions", NULL)), "1");
		assert_string_equal(str(at(r, "spec", "parallelism", NULL)), "1");
		assert_string_equal(str(at(r, "spec", "backoffLimit", NULL)), "2");
		assert_null(dm_yaml_get(at(r, "spec", NULL), "completionMode"));
		assert_string_equal(str(at(args, "#0", NULL)), "--shard");
		assert_string_equal(str(at(args, "#1", NULL)), shard);
		assert_string_equal(str(at(args, "#4", NULL)), "a$$b");
		assert_string_equal(str(at(c, "command", "#0", NULL)), "dm-seed");
		assert_string_equal(str(at(c, "imagePullPolicy", NULL)), "IfNotPresent");
		/* no completion index in this form */
		assert_string_equal(str(at(c, "env", "#0", "name", NULL)), "AWS_ACCESS_KEY_ID");
		assert_string_equal(str(at(pod, "hostNetwork", NULL)), "true");
		assert_string_equal(str(at(pod, "restartPolicy", NULL)), "Never");
		dm_yaml_free(docs[i]);
	}
	dm_buf_release(&text);
}

static void test_seed_job__names_kubernetes_refuses_are_refused(void **state)
{
	dm_seed_job job = base();
	dm_buf text = DM_BUF_INIT;
	char name[64];

	(void)state;
	job.name = "Seed";
	assert_int_equal(dm_seed_job_manifest(&text, &job), DM_ERR_INVALID);
	job = base();
	job.ns = "a_b";
	assert_int_equal(dm_seed_job_manifest(&text, &job), DM_ERR_INVALID);
	/* 61 bytes: an Indexed Job's name, but no room for "-10" */
	memset(name, 'a', 61);
	name[61] = '\0';
	job = base();
	job.name = name;
	job.shards = 11;
	assert_int_equal(dm_seed_job_manifest(&text, &job), DM_OK);
	dm_buf_release(&text);
	job.form = DM_SEED_JOB_PER_SHARD;
	assert_int_equal(dm_seed_job_manifest(&text, &job), DM_ERR_INVALID);
	assert_non_null(strstr(dm_err_detail(), "room left for the shard's suffix"));
	assert_int_equal(text.len, 0);
}

static void test_seed_job__indexed_from_kubernetes_1_22_on(void **state)
{
	(void)state;
	assert_int_equal(dm_seed_job_form_for("v1.20.2"), DM_SEED_JOB_PER_SHARD);
	assert_int_equal(dm_seed_job_form_for("v1.21.14"), DM_SEED_JOB_PER_SHARD);
	assert_int_equal(dm_seed_job_form_for("v1.22.0"), DM_SEED_JOB_INDEXED);
	assert_int_equal(dm_seed_job_form_for("v1.30.1-gke.100"), DM_SEED_JOB_INDEXED);
	assert_int_equal(dm_seed_job_form_for("garbage"), DM_SEED_JOB_PER_SHARD);
}

static int nfailed;

static void count_failed(const dm_seed_item *it, void *ud)
{
	if (it->action == DM_SEED_FAILED && strcmp(it->path, "/data/x") == 0 && strcmp(it->reason, "why") == 0)
		nfailed++;
	(void)ud;
}

static void test_seed_job__summary_is_read_from_a_log_that_interleaves_stderr(void **state)
{
	/* the runtime reads stdout and stderr through two pipes: stderr lines land between the
	 * document's lines */
	static const char log[] = "dm-seed: error: '/data/x': why\n"
				  "{\n"
				  "  \"tool\": \"dm-seed\",\n"
				  "  \"files\": 7,\n"
				  "dm-seed: 6 uploaded, 0 skipped, 1 failed, 0 deleted, 15 B in 0.25 s, 0.0 MiB/s\n"
				  "  \"uploaded\": 6,\n"
				  "  \"failed\": 1,\n"
				  "dm-seed: error: 1 file(s) failed: see the lines above\n"
				  "  \"bytes_uploaded\": 15,\n"
				  "  \"exit_code\": 4,\n"
				  "  \"failures\": [\n"
				  "    {\n"
				  "      \"path\": \"/data/x\",\n"
				  "      \"reason\": \"why\"\n"
				  "    }\n"
				  "  ],\n"
				  "  \"warnings\": []\n"
				  "}\n";
	dm_seed_summary sum;
	int code;
	char *err = NULL;

	(void)state;
	nfailed = 0;
	assert_int_equal(dm_seed_summary_from_log(log, strlen(log), &sum, &code, &err, count_failed, NULL), DM_OK);
	assert_int_equal(code, 4);
	assert_int_equal(sum.files_seen, 7);
	assert_int_equal(sum.uploaded, 6);
	assert_int_equal(sum.failed, 1);
	assert_int_equal(sum.bytes_uploaded, 15);
	assert_int_equal(nfailed, 1);
	assert_null(err);
	/* a log cut before the document's end holds no summary */
	assert_int_equal(dm_seed_summary_from_log(log, strlen(log) - 30, &sum, &code, &err, NULL, NULL), DM_ERR_PARSE);
	assert_int_equal(code, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_job__is_an_indexed_job_of_the_claim_the_secret_and_the_endpoint),
		cmocka_unit_test(test_seed_job__every_option_reaches_the_pods_in_order_as_given),
		cmocka_unit_test(test_seed_job__text_with_quotes_newlines_and_dollars_stays_as_it_is),
		cmocka_unit_test(test_seed_job__bucket_mode_and_no_prefix),
		cmocka_unit_test(test_seed_job__refuses_a_job_it_cannot_describe),
		cmocka_unit_test(test_seed_job__per_shard_form_is_one_job_a_shard_with_its_args_and_labels),
		cmocka_unit_test(test_seed_job__names_kubernetes_refuses_are_refused),
		cmocka_unit_test(test_seed_job__indexed_from_kubernetes_1_22_on),
		cmocka_unit_test(test_seed_job__summary_is_read_from_a_log_that_interleaves_stderr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
