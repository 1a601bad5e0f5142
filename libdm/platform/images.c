/* The images that rendered manifests pull: every `image` of the items of
 * `containers`, `initContainers` and `ephemeralContainers`, wherever those
 * lists stand (Pods, the pod templates of Deployments, StatefulSets, Jobs,
 * CronJobs, and custom resources that embed a pod spec), read with libyaml
 * from a stream of documents (helm template's output, a manifest file).
 * Other `image:` keys (a chart's values echoed in a ConfigMap, a custom
 * resource's own field) are not pod images and are left out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include <dm/platform.h>
#include <dm/util.h>
#include "internal.h"

#define MAX_DEPTH 128
/* Aliases let a small document name one node many times ("billion laughs"): the walk
 * visits at most this many nodes per document. */
#define MAX_VISITS 1000000

typedef struct {
	char **v;
	size_t n, cap;
} strlist;

static dm_err add_image(strlist *l, const char *s)
{
	char *d;

	for (size_t i = 0; i < l->n; i++) {
		if (!strcmp(l->v[i], s))
			return DM_OK;
	}
	if (l->n + 2 > l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return dm_nomem();
		l->v = nv;
		l->cap = cap;
	}
	if (!(d = strdup(s)))
		return dm_nomem();
	l->v[l->n++] = d;
	l->v[l->n] = NULL;
	return DM_OK;
}

static int is_scalar(const yaml_node_t *n, const char *s)
{
	return n && n->type == YAML_SCALAR_NODE && n->data.scalar.length == strlen(s) &&
	       !memcmp(n->data.scalar.value, s, n->data.scalar.length);
}

static int is_container_list(const yaml_node_t *key)
{
	return is_scalar(key, "containers") || is_scalar(key, "initContainers") ||
	       is_scalar(key, "ephemeralContainers");
}

/* The `image` of each container of list (a sequence of mappings). */
static dm_err container_images(yaml_document_t *d, const yaml_node_t *list, strlist *out)
{
	for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
		const yaml_node_t *c = yaml_document_get_node(d, *it);

		if (!c || c->type != YAML_MAPPING_NODE)
			continue;
		for (yaml_node_pair_t *p = c->data.mapping.pairs.start; p < c->data.mapping.pairs.top; p++) {
			const yaml_node_t *v = yaml_document_get_node(d, p->value);
			dm_err e;

			if (is_scalar(yaml_document_get_node(d, p->key), "image") && v && v->type == YAML_SCALAR_NODE &&
			    v->data.scalar.length && (e = add_image(out, (const char *)v->data.scalar.value)))
				return e;
		}
	}
	return DM_OK;
}

static dm_err walk(yaml_document_t *d, const yaml_node_t *n, strlist *out, int depth, size_t *visits)
{
	dm_err e;

	if (!n || depth > MAX_DEPTH)
		return DM_OK;
	if (++*visits > MAX_VISITS)
		return dm_fail(DM_ERR_PARSE, "more than %d nodes to visit in one document (aliases?)", MAX_VISITS);
	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			if ((e = walk(d, yaml_document_get_node(d, *it), out, depth + 1, visits)))
				return e;
		}
	} else if (n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			const yaml_node_t *v = yaml_document_get_node(d, p->value);

			if (v && v->type == YAML_SEQUENCE_NODE &&
			    is_container_list(yaml_document_get_node(d, p->key)) && (e = container_images(d, v, out)))
				return e;
			if ((e = walk(d, v, out, depth + 1, visits)))
				return e;
		}
	}
	return DM_OK;
}

dm_err dm_images_from_yaml(char ***list, size_t *n, const char *text, size_t len, const char *what)
{
	strlist l = { .v = *list, .n = *n, .cap = *n ? *n + 1 : 0 };
	yaml_parser_t parser;
	dm_err e = DM_OK;

	if (!yaml_parser_initialize(&parser))
		return dm_nomem();
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	for (;;) {
		yaml_document_t doc;
		const yaml_node_t *root;
		size_t visits = 0;

		if (!yaml_parser_load(&parser, &doc)) {
			e = dm_fail(DM_ERR_PARSE, "%s: line %zu: %s", what, parser.problem_mark.line + 1,
				    parser.problem ? parser.problem : "not YAML");
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (!root) { /* the end of the stream */
			yaml_document_delete(&doc);
			break;
		}
		e = walk(&doc, root, &l, 0, &visits);
		yaml_document_delete(&doc);
		if (e) {
			char detail[256];

			snprintf(detail, sizeof(detail), "%s", dm_err_detail());
			dm_fail(e, "%s: %s", what, detail);
			break;
		}
	}
	yaml_parser_delete(&parser);
	*list = l.v;
	*n = l.n;
	return e;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

dm_err dm_run_results_images(char ***out, const dm_run_result *r, size_t n)
{
	strlist l = { 0 };
	dm_err e = DM_OK;

	*out = NULL;
	for (size_t i = 0; i < n && !e; i++) {
		for (size_t k = 0; r[i].images && r[i].images[k] && !e; k++)
			e = add_image(&l, r[i].images[k]);
	}
	if (!e && !l.v && !(l.v = calloc(1, sizeof(*l.v))))
		e = dm_nomem();
	if (e) {
		dm_strv_free(l.v);
		return e;
	}
	qsort(l.v, l.n, sizeof(*l.v), cmp_str);
	*out = l.v;
	return DM_OK;
}
