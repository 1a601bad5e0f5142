/* fuzz_target: the cluster target loader (dm/target.h) - a target document
 * read through dm_target_load_node as a `local:` and as a `remote:` target,
 * and as a flavour's inline local:/remote: sections when it has them;
 * dm_target_parse_size_mib on every line.
 *
 * A loaded target has a source, a provider that fits its section and a
 * NULL-terminated addon list of n_addons entries. */
#include <dm/err.h>
#include <dm/target.h>
#include <dm/yaml.h>

#include "fuzz_common.h"

static void check_target(const dm_target *t, const char *section)
{
	FUZZ_CHECK(t->source != NULL, "target without a source");
	FUZZ_CHECK(t->addons != NULL, "addons NULL");
	for (size_t i = 0; i < t->n_addons; i++)
		FUZZ_CHECK(t->addons[i] != NULL, "addon %zu NULL", i);
	FUZZ_CHECK(t->addons[t->n_addons] == NULL, "addons not NULL-terminated");
	if (strcmp(section, "remote") == 0)
		FUZZ_CHECK(t->provider == DM_PROVIDER_REMOTE, "a remote target with provider %d", (int)t->provider);
	else
		FUZZ_CHECK(t->provider != DM_PROVIDER_REMOTE, "a local target with provider remote");
	FUZZ_CHECK(strcmp(dm_provider_name(t->provider), "") != 0, "provider without a name");
	if (t->kubeconfig)
		FUZZ_CHECK(t->kubeconfig[0] == '/', "kubeconfig '%s' is not absolute", t->kubeconfig);
}

static void load(const dm_yaml *doc, const dm_ynode *n, const char *section)
{
	dm_target *t = NULL;
	dm_err e;

	if (!n || n->kind != DM_YAML_MAP)
		return;
	e = dm_target_load_node(&t, doc, n, section);
	if (e == DM_OK) {
		FUZZ_CHECK(t != NULL, "ok without a target");
		check_target(t, section);
	} else {
		FUZZ_CHECK(t == NULL, "failure left a target");
		FUZZ_CHECK(dm_err_detail()[0] != '\0', "failure (%d) without a detail", (int)e);
	}
	dm_target_free(t);
	dm_err_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[600], *text, *line, *save = NULL;
	dm_yaml *doc = NULL;
	const dm_ynode *root;
	uint64_t mib;

	snprintf(name, sizeof(name), "%s/k8s/configs/fuzz.yaml", fuzz_dir());
	if (dm_yaml_load_string(&doc, name, (const char *)data, size) == DM_OK) {
		root = dm_yaml_root(doc);
		load(doc, root, "local");
		load(doc, root, "remote");
		load(doc, dm_yaml_get(root, "local"), "local");
		load(doc, dm_yaml_get(root, "remote"), "remote");
		dm_yaml_free(doc);
	}
	dm_err_clear();
	text = fuzz_strndup(data, size);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (dm_target_parse_size_mib(line, &mib) != DM_OK)
			FUZZ_CHECK(dm_err_detail()[0] != '\0', "size failure without a detail");
		dm_err_clear();
	}
	free(text);
	return 0;
}
