/* fuzz_yaml: the YAML loader (dm_yaml_load_string) and every typed getter.
 *
 * Contract checked (dm/yaml.h): a loaded document has no duplicate keys in a
 * mapping, only scalar keys, nesting of at most 64, positions that are
 * 1-based (0:0 only for the root of an empty document); a failed load or getter sets a detail that names the document;
 * the getters never crash on any node, whatever its kind. */
#include <dm/err.h>
#include <dm/yaml.h>

#include "fuzz_common.h"

#define NAME "fuzz.yaml"

static size_t nodes;

static void check_detail(dm_err e)
{
	const char *d = dm_err_detail();

	FUZZ_CHECK(d != NULL, "dm_err_detail returned NULL");
	if (e == DM_ERR_CONFIG)
		FUZZ_CHECK(strncmp(d, NAME ":", sizeof(NAME)) == 0, "detail does not name the document: '%s'", d);
	dm_err_clear();
}

static void visit(const dm_yaml *doc, const dm_ynode *n, int depth)
{
	static const char *const allowed[] = { "project", "name", "url", "set", "needs", NULL };

	FUZZ_CHECK(n != NULL, "NULL node");
	FUZZ_CHECK(depth <= 65, "nesting %d beyond the documented limit of 64", depth);
	/* 0:0 is "no position": only the root of an empty document has it */
	FUZZ_CHECK((n->line >= 1 && n->col >= 1) || (depth == 1 && n->kind == DM_YAML_NULL && !n->line && !n->col),
		   "position %u:%u is not 1-based", n->line, n->col);
	nodes++;
	switch (n->kind) {
	case DM_YAML_NULL:
	case DM_YAML_SCALAR: FUZZ_CHECK(n->scalar != NULL, "scalar text is NULL"); break;
	case DM_YAML_SEQ:
		for (size_t i = 0; i < n->len; i++)
			visit(doc, n->vals[i], depth + 1);
		break;
	case DM_YAML_MAP:
		for (size_t i = 0; i < n->len; i++) {
			const dm_ynode *k = n->keys[i], *v = n->vals[i];
			const char *s = NULL, **list = NULL;
			long long ll = 0;
			int b = 0;
			size_t nl = 0;
			dm_err e;

			FUZZ_CHECK(k->kind == DM_YAML_SCALAR, "key %zu of a mapping is not a scalar (kind %d)", i,
				   (int)k->kind);
			for (size_t j = 0; j < i; j++)
				FUZZ_CHECK(strcmp(n->keys[j]->scalar, k->scalar) != 0, "duplicate key '%s' was loaded",
					   k->scalar);
			/* the first key of that name is the one returned */
			FUZZ_CHECK(dm_yaml_get(n, k->scalar) == v, "dm_yaml_get('%s') is not its value", k->scalar);
			FUZZ_CHECK(dm_yaml_key(n, k->scalar) == k, "dm_yaml_key('%s') is not its key", k->scalar);

			e = dm_yaml_get_str(doc, n, k->scalar, 1, &s);
			if (e == DM_OK)
				FUZZ_CHECK(s != NULL, "get_str ok without a value");
			check_detail(e);
			e = dm_yaml_get_int(doc, n, k->scalar, 0, -1000, 1000, &ll);
			if (e == DM_OK && v->kind == DM_YAML_SCALAR)
				FUZZ_CHECK(ll >= -1000 && ll <= 1000, "get_int out of its range: %lld", ll);
			check_detail(e);
			check_detail(dm_yaml_get_int(doc, n, k->scalar, 1, -9223372036854775807LL - 1,
						     9223372036854775807LL, &ll));
			e = dm_yaml_get_bool(doc, n, k->scalar, 0, &b);
			if (e == DM_OK)
				FUZZ_CHECK(b == 0 || b == 1, "get_bool gave %d", b);
			check_detail(e);
			e = dm_yaml_get_strlist(doc, n, k->scalar, 0, &list, &nl);
			if (e == DM_OK && list) {
				for (size_t j = 0; j < nl; j++)
					FUZZ_CHECK(list[j] != NULL, "strlist item %zu is NULL", j);
				FUZZ_CHECK(list[nl] == NULL, "strlist is not NULL-terminated");
				free(list);
			}
			check_detail(e);
			check_detail(dm_yaml_want_map(doc, v, "a value", 1));
			visit(doc, v, depth + 1);
		}
		check_detail(dm_yaml_check_keys(doc, n, "a mapping", allowed));
		break;
	default: FUZZ_CHECK(0, "unknown node kind %d", (int)n->kind);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dm_yaml *doc = NULL;
	const dm_ynode *root;
	dm_err e;

	e = dm_yaml_load_string(&doc, NAME, (const char *)data, size);
	if (e != DM_OK) {
		FUZZ_CHECK(doc == NULL, "failed load left a document");
		check_detail(e);
		return 0;
	}
	FUZZ_CHECK(strcmp(dm_yaml_name(doc), NAME) == 0, "name is '%s'", dm_yaml_name(doc));
	root = dm_yaml_root(doc);
	nodes = 0;
	visit(doc, root, 1);
	FUZZ_CHECK(nodes <= 1000000, "%zu nodes loaded, beyond the documented limit", nodes);
	/* getters on a missing key and on a non-map node */
	check_detail(dm_yaml_get_str(doc, root, "\x01missing", 1, &(const char *){ NULL }));
	FUZZ_CHECK(dm_yaml_get(root, "\x01missing") == NULL, "absent key found");
	dm_yaml_free(doc);
	return 0;
}
