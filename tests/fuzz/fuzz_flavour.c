/* fuzz_flavour: the flavour loader (dm_flavour_load) and, when it loads, the
 * platform model built on it (dm_platform_load: component names, inline
 * sections merged over the components' own files, needs, install order).
 *
 * The input is written as <root>/flavours/fuzz.yaml of a private platform
 * root whose components/ holds three small components (base, store, app;
 * app needs base and store).  Checked: a loaded flavour's paths are absolute
 * and under the root; the install order puts every component after the ones
 * it needs; each component is found by name. */
#include "fuzz_platform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dm_flavour *f = NULL;
	const dm_project *pj;
	dm_err e;

	setup();
	fuzz_write_file(flavour_file, data, size);
	e = dm_flavour_load(&f, flavour_file);
	if (e != DM_OK) {
		FUZZ_CHECK(f == NULL && dm_err_detail()[0] != '\0', "failure (%d) left a flavour or no detail", (int)e);
		dm_err_clear();
		return 0;
	}
	pj = dm_flavour_project(f);
	FUZZ_CHECK(pj->root && strcmp(pj->root, root_dir) == 0, "root '%s'", pj->root ? pj->root : "(null)");
	FUZZ_CHECK(pj->target_file && pj->target_file[0] == '/', "target file not absolute");
	FUZZ_CHECK(pj->data_folder && pj->data_folder[0] == '/', "data folder not absolute");
	FUZZ_CHECK(pj->config_folder && pj->config_folder[0] == '/', "config folder not absolute");
	FUZZ_CHECK(pj->flavour[pj->n_flavour] == NULL, "flavour list not NULL-terminated");
	platform(f, 0);
	platform(f, 1);
	dm_flavour_free(f);
	dm_err_clear();
	return 0;
}
