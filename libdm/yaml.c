/* libdm/yaml.c - the one YAML loader: libyaml events into a read-only tree
 * that remembers where every node came from. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include <dm/util.h>
#include <dm/yaml.h>

#define MAX_DEPTH 64
#define MAX_NODES 1000000

typedef struct {
	char *name;
	dm_ynode *node;
} anchor;

struct dm_yaml {
	char *name;
	dm_ynode *root;
	dm_ynode **nodes; /* every node, for freeing */
	size_t nnodes, capnodes;
	anchor *anchors;
	size_t nanchors;
};

static dm_ynode null_node = { DM_YAML_NULL, "", 0, 0, 0, 0, NULL, NULL };

static dm_ynode *new_node(dm_yaml *d, dm_yaml_kind kind, const yaml_mark_t *m)
{
	dm_ynode *n;

	if (d->nnodes >= MAX_NODES)
		return NULL;
	if (d->nnodes == d->capnodes) {
		size_t cap = d->capnodes ? d->capnodes * 2 : 64;
		dm_ynode **p = realloc(d->nodes, cap * sizeof(*p));

		if (!p)
			return NULL;
		d->nodes = p;
		d->capnodes = cap;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	n->scalar = "";
	d->nodes[d->nnodes++] = n;
	return n;
}

static int add_child(dm_ynode *parent, dm_ynode *key, dm_ynode *val)
{
	size_t cap = 1;

	while (cap < parent->len + 1)
		cap *= 2;
	if ((parent->len & (parent->len - 1)) == 0 || parent->len == 0) {
		dm_ynode **v = realloc(parent->vals, cap * 2 * sizeof(*v));

		if (!v)
			return -1;
		parent->vals = v;
		if (parent->kind == DM_YAML_MAP) {
			dm_ynode **k = realloc(parent->keys, cap * 2 * sizeof(*k));

			if (!k)
				return -1;
			parent->keys = k;
		}
	}
	if (parent->kind == DM_YAML_MAP)
		parent->keys[parent->len] = key;
	parent->vals[parent->len++] = val;
	return 0;
}

static int is_null_scalar(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	       strcmp(v, "NULL") == 0;
}

typedef struct {
	dm_ynode *node;
	dm_ynode *pending_key; /* MAP: key waiting for its value */
} frame;

static dm_err fail_at(const char *name, const yaml_mark_t *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static dm_err fail_at(const char *name, const yaml_mark_t *m, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return dm_fail(DM_ERR_CONFIG, "%s:%u:%u: %s", name, (unsigned)m->line + 1, (unsigned)m->column + 1, msg);
}

/* Places a finished node into its parent frame (or as the root). */
static dm_err place(dm_yaml *d, frame *stack, int depth, dm_ynode *n, const yaml_mark_t *m)
{
	frame *top;

	if (depth == 0) {
		if (d->root)
			return fail_at(d->name, m, "more than one document");
		d->root = n;
		return DM_OK;
	}
	top = &stack[depth - 1];
	if (top->node->kind == DM_YAML_SEQ) {
		if (add_child(top->node, NULL, n) != 0)
			return dm_nomem();
		return DM_OK;
	}
	if (!top->pending_key) {
		if (n->kind != DM_YAML_SCALAR)
			return fail_at(d->name, m, "mapping keys must be plain strings");
		for (size_t i = 0; i < top->node->len; i++) {
			if (strcmp(top->node->keys[i]->scalar, n->scalar) == 0)
				return fail_at(d->name, m, "duplicate key '%s' (first at line %u)", n->scalar,
					       top->node->keys[i]->line);
		}
		top->pending_key = n;
		return DM_OK;
	}
	if (add_child(top->node, top->pending_key, n) != 0)
		return dm_nomem();
	top->pending_key = NULL;
	return DM_OK;
}

static dm_err register_anchor(dm_yaml *d, const yaml_char_t *name, dm_ynode *n)
{
	anchor *a;

	if (!name)
		return DM_OK;
	a = realloc(d->anchors, (d->nanchors + 1) * sizeof(*a));
	if (!a)
		return dm_nomem();
	d->anchors = a;
	a[d->nanchors].name = strdup((const char *)name);
	if (!a[d->nanchors].name)
		return dm_nomem();
	a[d->nanchors++].node = n;
	return DM_OK;
}

/* libyaml's events into the node tree.  One loop with one case an event kind, kept whole:
 * the stack of open collections, the anchors and the document count are shared by every
 * case, and split apart they would travel as five arguments. */
static dm_err parse(dm_yaml *d, yaml_parser_t *p)
{
	frame stack[MAX_DEPTH];
	const yaml_char_t *anchors[MAX_DEPTH];
	int depth = 0;
	int docs = 0;
	dm_err e = DM_OK;

	for (;;) {
		yaml_event_t ev;
		dm_ynode *n = NULL;

		if (!yaml_parser_parse(p, &ev)) {
			yaml_mark_t m = p->problem_mark;

			while (depth > 0)
				free((void *)anchors[--depth]);

			if (p->context)
				return fail_at(d->name, &m, "%s %s started at line %u, column %u",
					       p->problem ? p->problem : "syntax error", p->context,
					       (unsigned)p->context_mark.line + 1,
					       (unsigned)p->context_mark.column + 1);
			return fail_at(d->name, &m, "%s", p->problem ? p->problem : "syntax error");
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT: yaml_event_delete(&ev); return e;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				e = fail_at(d->name, &ev.start_mark, "more than one YAML document in the file");
			break;
		case YAML_SCALAR_EVENT:
			if (is_null_scalar(&ev) && !(depth > 0 && stack[depth - 1].node->kind == DM_YAML_MAP &&
						     !stack[depth - 1].pending_key)) {
				n = new_node(d, DM_YAML_NULL, &ev.start_mark);
			} else {
				n = new_node(d, DM_YAML_SCALAR, &ev.start_mark);
				if (n) {
					n->scalar = strdup((const char *)ev.data.scalar.value);
					n->quoted = ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
					if (!n->scalar)
						n = NULL;
				}
			}
			if (!n) {
				e = dm_fail(DM_ERR_CONFIG, "%s: too many nodes or out of memory", d->name);
				break;
			}
			if ((e = register_anchor(d, ev.data.scalar.anchor, n)) == DM_OK)
				e = place(d, stack, depth, n, &ev.start_mark);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth >= MAX_DEPTH) {
				e = fail_at(d->name, &ev.start_mark, "nesting deeper than %d levels", MAX_DEPTH);
				break;
			}
			n = new_node(d, ev.type == YAML_MAPPING_START_EVENT ? DM_YAML_MAP : DM_YAML_SEQ,
				     &ev.start_mark);
			if (!n) {
				e = dm_fail(DM_ERR_CONFIG, "%s: too many nodes or out of memory", d->name);
				break;
			}
			if (depth > 0 && stack[depth - 1].node->kind == DM_YAML_MAP && !stack[depth - 1].pending_key) {
				e = fail_at(d->name, &ev.start_mark, "mapping keys must be plain strings");
				break;
			}
			anchors[depth] = ev.type == YAML_MAPPING_START_EVENT ? ev.data.mapping_start.anchor
									     : ev.data.sequence_start.anchor;
			/* the anchor name is owned by the event: keep a copy until the end event */
			anchors[depth] =
				anchors[depth] ? (const yaml_char_t *)strdup((const char *)anchors[depth]) : NULL;
			stack[depth].node = n;
			stack[depth].pending_key = NULL;
			depth++;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			n = stack[depth].node;
			e = register_anchor(d, anchors[depth], n);
			free((void *)anchors[depth]);
			anchors[depth] = NULL;
			if (e == DM_OK)
				e = place(d, stack, depth, n, &ev.start_mark);
			break;
		case YAML_ALIAS_EVENT: {
			const char *name = (const char *)ev.data.alias.anchor;
			size_t i;

			for (i = d->nanchors; i > 0; i--) {
				if (strcmp(d->anchors[i - 1].name, name) == 0)
					break;
			}
			if (i == 0)
				e = fail_at(d->name, &ev.start_mark, "unknown alias '*%s'", name);
			else
				e = place(d, stack, depth, d->anchors[i - 1].node, &ev.start_mark);
			break;
		}
		default: break;
		}
		yaml_event_delete(&ev);
		if (e != DM_OK) {
			while (depth > 0)
				free((void *)anchors[--depth]);
			return e;
		}
	}
}

dm_err dm_yaml_load_string(dm_yaml **out, const char *name, const char *text, size_t len)
{
	yaml_parser_t p;
	dm_yaml *d;
	dm_err e;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d || !(d->name = strdup(name ? name : "<string>"))) {
		free(d);
		return dm_nomem();
	}
	if (!yaml_parser_initialize(&p)) {
		dm_yaml_free(d);
		return dm_nomem();
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	e = parse(d, &p);
	yaml_parser_delete(&p);
	if (e != DM_OK) {
		dm_yaml_free(d);
		return e;
	}
	*out = d;
	return DM_OK;
}

dm_err dm_yaml_load_file(dm_yaml **out, const char *path)
{
	char *text;
	size_t len;
	dm_err e;

	*out = NULL;
	if ((e = dm_read_file(&text, &len, path)) != DM_OK)
		return e == DM_ERR_NOTFOUND ? e : DM_ERR_IO;
	e = dm_yaml_load_string(out, path, text, len);
	free(text);
	return e;
}

void dm_yaml_free(dm_yaml *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nnodes; i++) {
		dm_ynode *n = d->nodes[i];

		if (n->kind == DM_YAML_SCALAR)
			free((char *)n->scalar);
		free(n->keys);
		free(n->vals);
		free(n);
	}
	for (size_t i = 0; i < d->nanchors; i++)
		free(d->anchors[i].name);
	free(d->anchors);
	free(d->nodes);
	free(d->name);
	free(d);
}

const dm_ynode *dm_yaml_root(const dm_yaml *d)
{
	return d->root ? d->root : &null_node;
}

const char *dm_yaml_name(const dm_yaml *d)
{
	return d->name;
}

static long find_key(const dm_ynode *map, const char *key)
{
	if (!map || map->kind != DM_YAML_MAP)
		return -1;
	for (size_t i = 0; i < map->len; i++) {
		if (strcmp(map->keys[i]->scalar, key) == 0)
			return (long)i;
	}
	return -1;
}

const dm_ynode *dm_yaml_get(const dm_ynode *map, const char *key)
{
	long i = find_key(map, key);

	return i < 0 ? NULL : map->vals[i];
}

const dm_ynode *dm_yaml_key(const dm_ynode *map, const char *key)
{
	long i = find_key(map, key);

	return i < 0 ? NULL : map->keys[i];
}

dm_err dm_yaml_fail(const dm_yaml *d, const dm_ynode *n, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!n || n->line == 0)
		return dm_fail(DM_ERR_CONFIG, "%s: %s", d->name, msg);
	return dm_fail(DM_ERR_CONFIG, "%s:%u:%u: %s", d->name, n->line, n->col, msg);
}

static const char *kind_name(dm_yaml_kind k)
{
	switch (k) {
	case DM_YAML_NULL: return "nothing";
	case DM_YAML_SCALAR: return "a value";
	case DM_YAML_MAP: return "a mapping";
	case DM_YAML_SEQ: return "a list";
	}
	return "?";
}

dm_err dm_yaml_check_keys(const dm_yaml *d, const dm_ynode *map, const char *what, const char *const *allowed)
{
	if (!map || map->kind != DM_YAML_MAP)
		return DM_OK;
	for (size_t i = 0; i < map->len; i++) {
		const char *k = map->keys[i]->scalar;
		size_t j;
		dm_buf list = DM_BUF_INIT;
		dm_err e;

		for (j = 0; allowed[j]; j++) {
			if (strcmp(allowed[j], k) == 0)
				break;
		}
		if (allowed[j])
			continue;
		for (j = 0; allowed[j]; j++)
			dm_buf_printf(&list, "%s%s", j ? ", " : "", allowed[j]);
		e = dm_yaml_fail(d, map->keys[i], "unknown key '%s' in %s (expected one of: %s)", k, what,
				 dm_buf_str(&list) ? dm_buf_str(&list) : "");
		dm_buf_release(&list);
		return e;
	}
	return DM_OK;
}

dm_err dm_yaml_want_map(const dm_yaml *d, const dm_ynode *n, const char *what, int may_be_null)
{
	if (n && n->kind == DM_YAML_MAP)
		return DM_OK;
	if (may_be_null && (!n || n->kind == DM_YAML_NULL))
		return DM_OK;
	if (!n)
		return dm_fail(DM_ERR_CONFIG, "%s: %s is missing", d->name, what);
	return dm_yaml_fail(d, n, "%s must be a mapping, not %s", what, kind_name(n->kind));
}

static dm_err get_node(const dm_yaml *d, const dm_ynode *map, const char *key, int required, const dm_ynode **out)
{
	const dm_ynode *n = dm_yaml_get(map, key);

	*out = NULL;
	if (!n || n->kind == DM_YAML_NULL) {
		if (!required)
			return DM_OK;
		if (map && map->kind == DM_YAML_MAP && n)
			return dm_yaml_fail(d, dm_yaml_key(map, key), "key '%s' needs a value", key);
		return dm_yaml_fail(d, map, "missing required key '%s'", key);
	}
	*out = n;
	return DM_OK;
}

dm_err dm_yaml_get_str(const dm_yaml *d, const dm_ynode *map, const char *key, int required, const char **out)
{
	const dm_ynode *n;
	dm_err e = get_node(d, map, key, required, &n);

	if (e || !n)
		return e;
	if (n->kind != DM_YAML_SCALAR)
		return dm_yaml_fail(d, n, "'%s' must be a string, not %s", key, kind_name(n->kind));
	*out = n->scalar;
	return DM_OK;
}

dm_err dm_yaml_get_int(const dm_yaml *d, const dm_ynode *map, const char *key, int required, long long min,
		       long long max, long long *out)
{
	const dm_ynode *n;
	dm_err e = get_node(d, map, key, required, &n);
	char *end;
	long long v;

	if (e || !n)
		return e;
	if (n->kind != DM_YAML_SCALAR)
		return dm_yaml_fail(d, n, "'%s' must be a number, not %s", key, kind_name(n->kind));
	errno = 0;
	v = strtoll(n->scalar, &end, 10);
	if (errno || end == n->scalar || *end)
		return dm_yaml_fail(d, n, "'%s' must be a whole number, not '%s'", key, n->scalar);
	if (v < min || v > max)
		return dm_yaml_fail(d, n, "'%s' must be between %lld and %lld, not %lld", key, min, max, v);
	*out = v;
	return DM_OK;
}

dm_err dm_yaml_get_bool(const dm_yaml *d, const dm_ynode *map, const char *key, int required, int *out)
{
	const dm_ynode *n;
	dm_err e = get_node(d, map, key, required, &n);

	if (e || !n)
		return e;
	if (n->kind == DM_YAML_SCALAR && !n->quoted) {
		if (!strcasecmp(n->scalar, "true") || !strcasecmp(n->scalar, "yes") || !strcasecmp(n->scalar, "on")) {
			*out = 1;
			return DM_OK;
		}
		if (!strcasecmp(n->scalar, "false") || !strcasecmp(n->scalar, "no") || !strcasecmp(n->scalar, "off")) {
			*out = 0;
			return DM_OK;
		}
	}
	return dm_yaml_fail(d, n, "'%s' must be true or false", key);
}

dm_err dm_yaml_get_strlist(const dm_yaml *d, const dm_ynode *map, const char *key, int required, const char ***out,
			   size_t *count)
{
	const dm_ynode *n;
	dm_err e = get_node(d, map, key, required, &n);
	const char **list;
	size_t len;

	if (e || !n)
		return e;
	len = n->kind == DM_YAML_SEQ ? n->len : 1;
	if (n->kind == DM_YAML_MAP)
		return dm_yaml_fail(d, n, "'%s' must be a list of strings, not a mapping", key);
	list = calloc(len + 1, sizeof(*list));
	if (!list)
		return dm_nomem();
	if (n->kind == DM_YAML_SCALAR) {
		list[0] = n->scalar;
	} else {
		for (size_t i = 0; i < len; i++) {
			if (n->vals[i]->kind != DM_YAML_SCALAR) {
				free(list);
				return dm_yaml_fail(d, n->vals[i], "items of '%s' must be strings, not %s", key,
						    kind_name(n->vals[i]->kind));
			}
			list[i] = n->vals[i]->scalar;
		}
	}
	*out = list;
	if (count)
		*count = len;
	return DM_OK;
}
