/* libdm/seed/job.c - dm-seed as a Kubernetes Indexed Job (see dm/seed.h).
 *
 * The manifest is built as a tree (jansson) and written as YAML by libyaml's
 * emitter, so that no text the user gave (a path, a glob, a name) can break
 * out of its string, whatever quotes, newlines or colons it holds.  The pods'
 * arguments are the caller's: this file does not know which options exist,
 * the tool decides which of its options reach the pods. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include <dm/seed.h>
#include <dm/util.h>

#define MOUNT "/data"

/* Kubernetes expands $(VAR) in a container's args and env values, and reads
 * "$$" as "$": every '$' of the caller's text is doubled, so it stays as given. */
static json_t *verbatim(const char *s)
{
	dm_buf b = DM_BUF_INIT;
	json_t *j;

	for (const char *p = s; *p; p++)
		if (dm_buf_append(&b, p, 1) || (*p == '$' && dm_buf_append(&b, p, 1))) {
			dm_buf_release(&b);
			return NULL;
		}
	j = json_string(dm_buf_str(&b));
	dm_buf_release(&b);
	return j;
}

static json_t *env_from_secret(const char *var, const char *secret, const char *key)
{
	return json_pack("{s:s, s:{s:{s:s, s:s}}}", "name", var, "valueFrom", "secretKeyRef", "name", secret, "key",
			 key);
}

/* The pod's arguments: its shard, the caller's options, then SOURCE and TARGET
 * as they are inside the pod. */
static json_t *pod_args(const dm_seed_job *job)
{
	json_t *args = json_array();
	const char *src = job->source;
	char shard[64];
	dm_buf b = DM_BUF_INIT;
	int bad = !args;

	snprintf(shard, sizeof(shard), "$(JOB_COMPLETION_INDEX)/%u", job->shards);
	bad |= json_array_append_new(args, json_string("--shard")) || json_array_append_new(args, json_string(shard)) ||
	       json_array_append_new(args, json_string("--no-progress"));
	for (size_t i = 0; i < job->nargs; i++)
		bad |= json_array_append_new(args, verbatim(job->args[i]));
	while (src[0] == '.' && src[1] == '/')
		src += 2;
	while (*src == '/')
		src++;
	bad |= dm_buf_printf(&b, MOUNT "/%s", src) != DM_OK || json_array_append_new(args, verbatim(dm_buf_str(&b)));
	dm_buf_clear(&b);
	/* the pods read their keys from AWS_*, which serve the alias "s3" */
	bad |= dm_buf_puts(&b, "s3") || (job->bucket && dm_buf_printf(&b, "/%s", job->bucket)) ||
	       (job->bucket && job->prefix && *job->prefix && dm_buf_printf(&b, "/%s", job->prefix)) ||
	       json_array_append_new(args, verbatim(dm_buf_str(&b)));
	dm_buf_release(&b);
	if (bad) {
		json_decref(args);
		return NULL;
	}
	return args;
}

static json_t *job_tree(const dm_seed_job *job)
{
	json_t *labels = json_pack("{s:s}", "app.kubernetes.io/name", "dm-seed");
	json_t *env = json_pack("[{s:s, s:{s:{s:s}}}, o, o, {s:s, s:o}]", "name", "JOB_COMPLETION_INDEX", "valueFrom",
				"fieldRef", "fieldPath",
				"metadata.annotations['batch.kubernetes.io/job-completion-index']",
				env_from_secret("AWS_ACCESS_KEY_ID", job->secret, job->access_key_field),
				env_from_secret("AWS_SECRET_ACCESS_KEY", job->secret, job->secret_key_field), "name",
				"AWS_ENDPOINT_URL", "value", verbatim(job->endpoint));
	json_t *container;

	if (env && job->region && *job->region &&
	    json_array_append_new(env, json_pack("{s:s, s:o}", "name", "AWS_REGION", "value", verbatim(job->region)))) {
		json_decref(env);
		env = NULL;
	}
	container = json_pack("{s:s, s:s, s:o, s:o, s:[{s:s, s:s, s:b}]}", "name", "dm-seed", "image", job->image,
			      "args", pod_args(job), "env", env, "volumeMounts", "name", "data", "mountPath", MOUNT,
			      "readOnly", 1);

	return json_pack("{s:s, s:s, s:{s:s, s:s, s:O}, s:{s:s, s:I, s:I, s:I, s:{s:{s:o}, s:{s:s, s:[o], "
			 "s:[{s:s, s:{s:s, s:b}}]}}}}",
			 "apiVersion", "batch/v1", "kind", "Job", "metadata", "name", job->name, "namespace", job->ns,
			 "labels", labels, "spec", "completionMode", "Indexed", "completions", (json_int_t)job->shards,
			 "parallelism", (json_int_t)job->shards, "backoffLimit", (json_int_t)job->shards * 2,
			 "template", "metadata", "labels", labels, "spec", "restartPolicy", "OnFailure", "containers",
			 container, "volumes", "name", "data", "persistentVolumeClaim", "claimName", job->pvc,
			 "readOnly", 1);
}

/* ---- the tree as YAML ------------------------------------------------------------------------- */

static int to_buf(void *data, unsigned char *text, size_t n)
{
	return dm_buf_append(data, text, n) == DM_OK;
}

static int scalar(yaml_emitter_t *em, const char *text, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	return yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), 1, 1, style) &&
	       yaml_emitter_emit(em, &ev);
}

/* keys and numbers plain, every string double-quoted: no text is read as another type */
static int emit(yaml_emitter_t *em, json_t *j)
{
	yaml_event_t ev;
	char num[32];

	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *v;

		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return 0;
		json_object_foreach(j, k, v)
			if (!scalar(em, k, YAML_PLAIN_SCALAR_STYLE) || !emit(em, v))
				return 0;
		return yaml_mapping_end_event_initialize(&ev) && yaml_emitter_emit(em, &ev);
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *v;

		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return 0;
		json_array_foreach(j, i, v)
			if (!emit(em, v))
				return 0;
		return yaml_sequence_end_event_initialize(&ev) && yaml_emitter_emit(em, &ev);
	}
	case JSON_STRING:
		return scalar(em, json_string_value(j), YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(j));
		return scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
	case JSON_TRUE:
		return scalar(em, "true", YAML_PLAIN_SCALAR_STYLE);
	case JSON_FALSE:
		return scalar(em, "false", YAML_PLAIN_SCALAR_STYLE);
	default:
		return scalar(em, "null", YAML_PLAIN_SCALAR_STYLE);
	}
}

static dm_err emit_yaml(dm_buf *out, json_t *doc)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int ok;

	if (!yaml_emitter_initialize(&em))
		return dm_fail(DM_ERR_NOMEM, "out of memory");
	yaml_emitter_set_output(&em, to_buf, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_indent(&em, 2);
	ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && yaml_emitter_emit(&em, &ev) &&
	     yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) && yaml_emitter_emit(&em, &ev) &&
	     emit(&em, doc) && yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&em, &ev) &&
	     yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&em, &ev) && yaml_emitter_flush(&em);
	yaml_emitter_delete(&em);
	return ok ? DM_OK : dm_fail(DM_ERR_NOMEM, "cannot write the Job manifest: out of memory");
}

dm_err dm_seed_job_manifest(dm_buf *out, const dm_seed_job *job)
{
	const char *need[] = { job->name, job->ns, job->image, job->pvc, job->source, job->secret,
			       job->access_key_field, job->secret_key_field, job->endpoint };
	json_t *doc;
	dm_err e;

	for (size_t i = 0; i < sizeof(need) / sizeof(*need); i++)
		if (!need[i] || !*need[i])
			return dm_fail(DM_ERR_INVALID, "a Job needs a name, namespace, image, claim, source folder, "
				       "Secret with its two key names, and endpoint");
	if (job->shards < 1 || job->shards > 10000)
		return dm_fail(DM_ERR_INVALID, "a Job runs 1 to 10000 shards, not %u", job->shards);
	if (!(doc = job_tree(job)))
		return dm_fail(DM_ERR_NOMEM, "out of memory");
	if (!(e = dm_buf_printf(out, "# dm-seed as a Kubernetes Indexed Job: %u pods, pod I seeds shard I/%u.\n",
				job->shards, job->shards)))
		e = emit_yaml(out, doc);
	json_decref(doc);
	return e;
}
