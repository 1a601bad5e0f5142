/* dm/yaml.h - the one loader for every YAML file (flavour, component, target,
 * aliases, kubeconfig).  Built on libyaml; keeps file:line:column for every
 * node so that errors point at the line a user must fix.
 *
 * Loading rejects: syntax errors, duplicate keys in a mapping, non-scalar keys,
 * more than one document, nesting deeper than 64, more than 1,000,000 nodes.
 * A loaded document is read-only and may be read from many threads.
 */
#ifndef DM_YAML_H
#define DM_YAML_H

#include <stddef.h>
#include <dm/err.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	DM_YAML_NULL = 0, /* empty document, `~`, `null`, or a key with no value */
	DM_YAML_SCALAR,
	DM_YAML_MAP,
	DM_YAML_SEQ
} dm_yaml_kind;

typedef struct dm_ynode {
	dm_yaml_kind kind;
	const char *scalar;     /* SCALAR: the text (NUL-terminated; "" for NULL) */
	int quoted;             /* SCALAR: was quoted, so never null/bool/number */
	unsigned line, col;     /* 1-based position of the node's start */
	size_t len;             /* MAP: number of pairs; SEQ: number of items */
	struct dm_ynode **keys; /* MAP: key nodes (always SCALAR) */
	struct dm_ynode **vals; /* MAP: values; SEQ: items */
} dm_ynode;

typedef struct dm_yaml dm_yaml;

/* Loads a file. On error the detail reads "FILE:LINE:COL: what" (or
 * "cannot read 'FILE': reason") and the code is DM_ERR_CONFIG, DM_ERR_NOTFOUND
 * (no such file) or DM_ERR_IO. */
dm_err dm_yaml_load_file(dm_yaml **out, const char *path);
/* Loads text; name is used in messages as the file name. */
dm_err dm_yaml_load_string(dm_yaml **out, const char *name, const char *text, size_t len);
void dm_yaml_free(dm_yaml *doc);

/* The root node (never NULL: an empty document has a NULL-kind root). Borrowed. */
const dm_ynode *dm_yaml_root(const dm_yaml *doc);
/* The name the document was loaded under. Borrowed. */
const char *dm_yaml_name(const dm_yaml *doc);

/* The value of key in a MAP, or NULL when absent (or map is not a MAP). */
const dm_ynode *dm_yaml_get(const dm_ynode *map, const char *key);
/* The key node of key in a MAP (for positions), or NULL. */
const dm_ynode *dm_yaml_key(const dm_ynode *map, const char *key);

/* Fails with DM_ERR_CONFIG and detail "FILE:LINE:COL: MESSAGE" at node n. */
dm_err dm_yaml_fail(const dm_yaml *doc, const dm_ynode *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Each key of map must be in allowed (NULL-terminated); else
 * "FILE:L:C: unknown key 'K' in WHAT (expected one of: a, b, c)". A NULL/absent map is ok. */
dm_err dm_yaml_check_keys(const dm_yaml *doc, const dm_ynode *map, const char *what, const char *const *allowed);
/* Fails unless n is a MAP (or, with may_be_null, NULL/absent). */
dm_err dm_yaml_want_map(const dm_yaml *doc, const dm_ynode *n, const char *what, int may_be_null);

/* Typed readers of map[key]. Absent or null keys leave *out untouched and
 * return DM_OK unless required.  Wrong types fail naming key and position. */
dm_err dm_yaml_get_str(const dm_yaml *doc, const dm_ynode *map, const char *key, int required, const char **out);
dm_err dm_yaml_get_int(const dm_yaml *doc, const dm_ynode *map, const char *key, int required, long long min,
		       long long max, long long *out);
dm_err dm_yaml_get_bool(const dm_yaml *doc, const dm_ynode *map, const char *key, int required, int *out);
/* A list of strings (a SEQ of scalars, or one scalar taken as a list of one).
 * *out is a malloc'd NULL-terminated array of borrowed strings: free(*out) only. */
dm_err dm_yaml_get_strlist(const dm_yaml *doc, const dm_ynode *map, const char *key, int required, const char ***out,
			   size_t *n);

#ifdef __cplusplus
}
#endif
#endif
