/* libdm/platform's private header: what flavour.c, components.c, run.c and
 * pool.c share and no tool may see.  An ownership pool for the strings and
 * arrays of a loaded model, lexical path handling, and the loaded platform. */
#ifndef DM_PLATFORM_INTERNAL_H
#define DM_PLATFORM_INTERNAL_H

#include <stddef.h>
#include <dm/err.h>
#include <dm/platform.h>
#include <dm/util.h>

/* ---- the ownership pool ------------------------------------------------------------------ */

/* Everything a loaded model allocates, freed at once. */
typedef struct {
	void **p;
	size_t n, cap;
} dm_pool;

/* Takes ownership of ptr (freed by dm_pool_release); NULL (and ptr freed) when out of memory. */
void *dm_pool_own(dm_pool *pl, void *ptr);
char *dm_pool_strdup(dm_pool *pl, const char *s);
char *dm_pool_printf(dm_pool *pl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void *dm_pool_calloc(dm_pool *pl, size_t n, size_t size);
void dm_pool_release(dm_pool *pl);

/* ---- paths and names --------------------------------------------------------------------- */

/* (dm_path_resolve, the one path resolver, is in dm/util.h) */
int dm_path_is_dir(const char *p);
int dm_path_is_file(const char *p);
/* Does s start with a URL scheme ("https://", "oci://")? */
int dm_path_is_url(const char *s);

/* The name rule of docs/configuration.md: ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ of at most max. */
int dm_platform_name_ok(const char *s, size_t max);

/* For the component loader. */
const dm_ynode *dm_flavour_root_node(const dm_flavour *f);

/* ---- the reference language (ref.c) ------------------------------------------------------ */

typedef enum {
	DM_REF_TEXT = 0,     /* literal text, "$${" read as "${" */
	DM_REF_RELEASE,      /* ${release}: the component's own */
	DM_REF_NAMESPACE,    /* ${namespace}: the component's own */
	DM_REF_GENERATED,    /* ${secrets.NAME.KEY}: name, key */
	DM_REF_COMPONENT,    /* ${COMPONENT.FIELD}: name, key (the field as written), field */
	DM_REF_UNKNOWN,      /* ${...} of no known shape (no dot, or ${secrets.NAME}) */
	DM_REF_UNTERMINATED, /* "${" with no "}" after it: text is the rest of the text */
	DM_REF_TOO_LONG      /* ${...} longer than 255 */
} dm_ref_kind;

typedef enum {
	DM_REF_FIELD_UNKNOWN = 0,
	DM_REF_FIELD_RELEASE,
	DM_REF_FIELD_NAMESPACE,
	DM_REF_FIELD_ENDPOINT,
	DM_REF_FIELD_HOST,
	DM_REF_FIELD_SECRET_NAME,
	DM_REF_FIELD_ACCESS_KEY_FIELD,
	DM_REF_FIELD_SECRET_KEY_FIELD,
	DM_REF_FIELD_ACCESS_KEY,
	DM_REF_FIELD_SECRET_KEY
} dm_ref_field;

/* One token of a text.  Strings live in the pool the text was read into. */
typedef struct {
	dm_ref_kind kind;
	const char *text; /* TEXT: the text; else the reference as written, without ${ and } */
	const char *name; /* GENERATED: the Secret; COMPONENT: the component */
	const char *key;  /* GENERATED: the Secret's key; COMPONENT: the field */
	dm_ref_field field;
} dm_ref;

/* A text read into tokens, in order. */
typedef struct {
	dm_ref *v;
	size_t n, cap;
} dm_refs;

/* Reads text into *out; only running out of memory fails (a malformed
 * reference is a token that dm_refs_check reports). */
dm_err dm_refs_parse(dm_pool *pl, dm_refs *out, const char *text);

/* Where a text was written, for messages, and what may be in it. */
typedef struct {
	const char *file;
	unsigned line, col;
	int endpoint; /* an endpoint: only ${release} and ${namespace} */
} dm_ref_where;

/* Checks the tokens of a text of component c: DM_ERR_CONFIG "FILE:LINE:COL: ..."
 * for the first that is wrong.  *secret set to 1 when one reads a key.  p
 * (NULL: none) finds the components that ${COMPONENT.FIELD} names. */
dm_err dm_refs_check(const dm_refs *r, const dm_platform *p, const dm_component *c, const dm_ref_where *at,
		     int *secret);

/* What the tokens expand to. */
typedef struct {
	const dm_platform *p;     /* ${COMPONENT.FIELD}: the components (dm_platform_find) */
	const char *release, *ns; /* ${release}, ${namespace}; ns is also that of ${secrets...} */
	/* Appends the value of key of Secret secret in ns to out; NULL: "<secret>" (plans, dry runs). */
	dm_err (*secret_value)(void *ud, const char *ns, const char *secret, const char *key, dm_buf *out);
	void *ud;
} dm_ref_env;

/* Appends the expansion of checked tokens to out. */
dm_err dm_refs_expand(dm_buf *out, const dm_refs *r, const dm_ref_env *env);

/* ---- the loaded platform (components.c builds it, run.c reads it) ------------------------ */

/* The tokens of a selected component's texts, read when its references were checked. */
typedef struct {
	dm_refs *set;     /* one per set entry */
	dm_refs endpoint; /* its secret.endpoint (none: n 0) */
	int read;         /* set when the above were read */
} dm_component_refs;

typedef struct {
	const dm_yaml *doc;
	const dm_ynode *map;
} dm_cfg_layer;

struct dm_platform {
	const dm_flavour *f;
	dm_pool pool;
	dm_yaml **docs; /* every component file read */
	size_t n_docs;
	dm_component *all;       /* every component, sorted by name */
	dm_cfg_layer *cfg;       /* config.yaml of all[i] */
	int *layers_of;          /* how many layers all[i] merged */
	dm_cfg_layer *values_at; /* the layer whose `values` all[i] took (doc NULL: none) */
	size_t n_all;
	dm_component_refs *refs;    /* refs[i]: the tokens of all[i] */
	const dm_component **order; /* the selection, install order */
	size_t n_order;
};

/* Adds to *list (*n entries, NULL-terminated, malloc'd; NULL and 0 to start) the
 * images of every container list in the YAML stream text, each once (images.c).
 * DM_ERR_PARSE "WHAT: line L: PROBLEM" when text is no YAML. */
dm_err dm_images_from_yaml(char ***list, size_t *n, const char *text, size_t len, const char *what);

/* Any component by name, merged or not (p may be NULL: none). */
const dm_component *dm_platform_any(const dm_platform *p, const char *name);
/* The tokens of set entry j of c, and of its endpoint; NULL when c's references were not read. */
const dm_refs *dm_platform_set_refs(const dm_platform *p, const dm_component *c, size_t j);
const dm_refs *dm_platform_endpoint_refs(const dm_platform *p, const dm_component *c);

#endif
