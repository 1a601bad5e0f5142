/* libdm/seed/job.c - dm-seed as Kubernetes Jobs (see dm/seed.h): one Indexed Job, or
 * one Job a shard, built from the same tree.
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

#include "job.h"

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

/* The pod's arguments: its shard ("$(JOB_COMPLETION_INDEX)/N" in the Indexed
 * form, "I/N" literally in the per-shard one), the caller's options, then
 * SOURCE and TARGET as they are inside the pod. */
static json_t *pod_args(const dm_seed_job *job, int shard)
{
	json_t *args = json_array();
	const char *src = job->source;
	char spec[64];
	dm_buf b = DM_BUF_INIT;
	int bad = !args;

	if (shard < 0)
		snprintf(spec, sizeof(spec), "$(JOB_COMPLETION_INDEX)/%u", job->shards);
	else
		snprintf(spec, sizeof(spec), "%d/%u", shard, job->shards);
	bad |= json_array_append_new(args, json_string("--shard")) || json_array_append_new(args, json_string(spec)) ||
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

/* The labels of every Job and pod of this run; with the shard's own in the per-shard form. */
static json_t *labels_of(const dm_seed_job *job, int shard)
{
	json_t *l = json_pack("{s:s, s:s}", "app.kubernetes.io/name", "dm-seed", DM_SEED_JOB_LABEL, job->name);
	char num[16];

	snprintf(num, sizeof(num), "%d", shard);
	if (l && shard >= 0 && json_object_set_new(l, DM_SEED_SHARD_LABEL, json_string(num))) {
		json_decref(l);
		return NULL;
	}
	return l;
}

json_t *dm_seed_job_tree(const dm_seed_job *job, int shard)
{
	json_t *env = json_pack("[o, o, {s:s, s:o}]",
				env_from_secret("AWS_ACCESS_KEY_ID", job->secret, job->access_key_field),
				env_from_secret("AWS_SECRET_ACCESS_KEY", job->secret, job->secret_key_field), "name",
				"AWS_ENDPOINT_URL", "value", verbatim(job->endpoint));
	json_t *labels = labels_of(job, shard), *container, *pod, *spec;
	char name[128];

	/* the Indexed form's pods learn their index from an annotation the Job controller sets */
	if (env && shard < 0 &&
	    json_array_insert_new(env, 0,
				  json_pack("{s:s, s:{s:{s:s}}}", "name", "JOB_COMPLETION_INDEX", "valueFrom",
					    "fieldRef", "fieldPath",
					    "metadata.annotations['batch.kubernetes.io/job-completion-index']"))) {
		json_decref(env);
		env = NULL;
	}
	if (env && job->region && *job->region &&
	    json_array_append_new(env, json_pack("{s:s, s:o}", "name", "AWS_REGION", "value", verbatim(job->region)))) {
		json_decref(env);
		env = NULL;
	}
	/* IfNotPresent: an image already on the node is used as it is (a ":latest" would be pulled).
	 * The command is named: dm's image has no entrypoint (its CMD is "dm-seed --help"), and args
	 * alone would replace the CMD, program name included. */
	container = json_pack("{s:s, s:s, s:s, s:[s], s:o, s:o, s:[{s:s, s:s, s:b}]}", "name", "dm-seed", "image",
			      job->image, "imagePullPolicy", "IfNotPresent", "command", "dm-seed", "args",
			      pod_args(job, shard), "env", env, "volumeMounts", "name", "data", "mountPath", MOUNT,
			      "readOnly", 1);
	/* Never: a pod that failed is kept with its log (its summary), and the Job starts another */
	pod = json_pack("{s:s, s:[o], s:[{s:s, s:{s:s, s:b}}]}", "restartPolicy", "Never", "containers", container,
			"volumes", "name", "data", "persistentVolumeClaim", "claimName", job->pvc, "readOnly", 1);
	/* a pod on the host's network still resolves the cluster's names */
	if (pod && job->host_network &&
	    (json_object_set_new(pod, "hostNetwork", json_true()) ||
	     json_object_set_new(pod, "dnsPolicy", json_string("ClusterFirstWithHostNet")))) {
		json_decref(pod);
		pod = NULL;
	}
	if (shard < 0) {
		snprintf(name, sizeof(name), "%s", job->name);
		/* an Indexed Job's backoff limit counts the failures of all its pods together */
		spec = json_pack("{s:s, s:I, s:I, s:I}", "completionMode", "Indexed", "completions",
				 (json_int_t)job->shards, "parallelism", (json_int_t)job->shards, "backoffLimit",
				 (json_int_t)job->backoff_limit * job->shards);
	} else {
		snprintf(name, sizeof(name), "%s-%d", job->name, shard);
		spec = json_pack("{s:I, s:I, s:I}", "completions", (json_int_t)1, "parallelism", (json_int_t)1,
				 "backoffLimit", (json_int_t)job->backoff_limit);
	}
	if (!spec)
		json_decref(pod);
	else if (json_object_set_new(spec, "template",
				     json_pack("{s:{s:O}, s:o}", "metadata", "labels", labels, "spec", pod))) {
		json_decref(spec);
		spec = NULL;
	}
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:o}, s:o}", "apiVersion", "batch/v1", "kind", "Job", "metadata",
			 "name", name, "namespace", job->ns, "labels", labels, "spec", spec);
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
		json_object_foreach(j, k, v) if (!scalar(em, k, YAML_PLAIN_SCALAR_STYLE) || !emit(em, v)) return 0;
		return yaml_mapping_end_event_initialize(&ev) && yaml_emitter_emit(em, &ev);
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *v;

		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return 0;
		json_array_foreach(j, i, v) if (!emit(em, v)) return 0;
		return yaml_sequence_end_event_initialize(&ev) && yaml_emitter_emit(em, &ev);
	}
	case JSON_STRING: return scalar(em, json_string_value(j), YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(j));
		return scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
	case JSON_TRUE: return scalar(em, "true", YAML_PLAIN_SCALAR_STYLE);
	case JSON_FALSE: return scalar(em, "false", YAML_PLAIN_SCALAR_STYLE);
	default: return scalar(em, "null", YAML_PLAIN_SCALAR_STYLE);
	}
}

/* docs (a JSON array) as one YAML stream; with explicit, each document starts with "---" */
static dm_err emit_yaml(dm_buf *out, json_t *docs, int explicit)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	size_t i;
	json_t *doc;
	int ok;

	if (!yaml_emitter_initialize(&em))
		return dm_nomem();
	yaml_emitter_set_output(&em, to_buf, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_indent(&em, 2);
	ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && yaml_emitter_emit(&em, &ev);
	json_array_foreach(docs, i, doc) ok = ok &&
					      yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, !explicit) &&
					      yaml_emitter_emit(&em, &ev) && emit(&em, doc) &&
					      yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&em, &ev);
	ok = ok && yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&em, &ev) && yaml_emitter_flush(&em);
	yaml_emitter_delete(&em);
	return ok ? DM_OK : dm_fail(DM_ERR_NOMEM, "cannot write the Job manifest: out of memory");
}

/* A DNS-1123 label of at most max bytes: what Kubernetes takes for a namespace, and for a Job's
 * name, which its pods carry in a label (63 bytes at most). */
static int dns_label(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

dm_err dm_seed_job_check(const dm_seed_job *job)
{
	const char *need[] = { job->name,
			       job->ns,
			       job->image,
			       job->pvc,
			       job->source,
			       job->secret,
			       job->access_key_field,
			       job->secret_key_field,
			       job->endpoint };
	char last[16];
	size_t room;

	for (size_t i = 0; i < sizeof(need) / sizeof(*need); i++)
		if (!need[i] || !*need[i])
			return dm_fail(DM_ERR_INVALID, "a Job needs a name, namespace, image, claim, source folder, "
						       "Secret with its two key names, and endpoint");
	if (job->shards < 1 || job->shards > 10000)
		return dm_fail(DM_ERR_INVALID, "a Job runs 1 to 10000 shards, not %u", job->shards);
	if (job->form != DM_SEED_JOB_INDEXED && job->form != DM_SEED_JOB_PER_SHARD)
		return dm_fail(DM_ERR_INVALID, "unknown Job form %d", (int)job->form);
	if (job->backoff_limit < 0 || job->backoff_limit > 100)
		return dm_fail(DM_ERR_INVALID, "a shard's backoff limit is 0 to 100, not %d", job->backoff_limit);
	if (!dns_label(job->ns, 63))
		return dm_fail(DM_ERR_INVALID,
			       "namespace '%s' is not a namespace name (lower-case letters, digits "
			       "and '-', at most 63)",
			       job->ns);
	snprintf(last, sizeof(last), "-%u", job->shards - 1);
	room = 63 - (job->form == DM_SEED_JOB_PER_SHARD ? strlen(last) : 0);
	if (!dns_label(job->name, room))
		return dm_fail(DM_ERR_INVALID,
			       "Job name '%s' is not a name Kubernetes takes (lower-case letters, "
			       "digits and '-', at most %zu%s)",
			       job->name, room,
			       job->form == DM_SEED_JOB_PER_SHARD ? ", room left for the shard's suffix" : "");
	return DM_OK;
}

const char *dm_seed_job_form_name(dm_seed_job_form form)
{
	return form == DM_SEED_JOB_PER_SHARD ? "per-shard" : "indexed";
}

dm_err dm_seed_job_manifest(dm_buf *out, const dm_seed_job *job)
{
	json_t *docs;
	size_t len0 = out->len;
	dm_err e = DM_OK;
	int per_shard = job->form == DM_SEED_JOB_PER_SHARD;

	if ((e = dm_seed_job_check(job)) != DM_OK)
		return e;
	if (!(docs = json_array()))
		return dm_nomem();
	for (int i = per_shard ? 0 : -1; i < (per_shard ? (int)job->shards : 0) && !e; i++)
		if (json_array_append_new(docs, dm_seed_job_tree(job, i)))
			e = dm_nomem();
	if (!e && per_shard)
		e = dm_buf_printf(out, "# dm-seed as %u Kubernetes Jobs, one a shard: Job %s-I seeds shard I/%u.\n",
				  job->shards, job->name, job->shards);
	else if (!e)
		e = dm_buf_printf(out, "# dm-seed as a Kubernetes Indexed Job: %u pods, pod I seeds shard I/%u.\n",
				  job->shards, job->shards);
	if (!e)
		e = emit_yaml(out, docs, per_shard);
	json_decref(docs);
	if (e && out->data) {
		out->len = len0;
		out->data[len0] = '\0';
	}
	return e;
}

dm_seed_job_form dm_seed_job_form_for(const char *git_version)
{
	unsigned major = 0, minor = 0;

	if (!git_version || sscanf(git_version + (git_version[0] == 'v'), "%u.%u", &major, &minor) != 2)
		return DM_SEED_JOB_PER_SHARD;
	return major > 1 || (major == 1 && minor >= 22) ? DM_SEED_JOB_INDEXED : DM_SEED_JOB_PER_SHARD;
}
