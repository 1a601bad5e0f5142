/* fuzz_component: a component's configuration files as dm_platform_load
 * reads and merges them.  The private platform root of fuzz_platform.h gets
 * a fixed flavour that selects `app`; the first input byte picks where the
 * rest goes:
 *   even: components/app/config.yaml        (the component's own file)
 *   odd:  components/app/fuzz.yaml          (the override named after the flavour)
 * The other layer keeps app's normal config.yaml.  The platform is loaded
 * with and without needed components added; checked as in fuzz_flavour. */
#include "fuzz_platform.h"

static const char app_config[] = "name: app\nkind: helm\nrelease: app\nchart:\n  oci: oci://registry.example.org/app\n"
				 "version: \"2.0.0\"\nneeds: [base, store]\nset:\n  store.endpoint: ${store.endpoint}\n"
				 "  store.accessKey: ${store.access_key}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char flavour[] = "project:\n  k8s_namespace: dm-fuzz\n  flavour: [app, store]\n"
				      "  k8s_default_config: default_mc.yaml\n";
	static int ready;
	char config[700], override[700];
	dm_flavour *f = NULL;

	if (size < 1)
		return 0;
	setup();
	snprintf(config, sizeof(config), "%s/components/app/config.yaml", root_dir);
	snprintf(override, sizeof(override), "%s/components/app/fuzz.yaml", root_dir);
	if (!ready) {
		fuzz_write_file(flavour_file, flavour, sizeof(flavour) - 1);
		ready = 1;
	}
	if (data[0] % 2 == 0) {
		unlink(override);
		fuzz_write_file(config, data + 1, size - 1);
	} else {
		fuzz_write_file(config, app_config, sizeof(app_config) - 1);
		fuzz_write_file(override, data + 1, size - 1);
	}
	FUZZ_CHECK(dm_flavour_load(&f, flavour_file) == DM_OK, "the fixed flavour does not load: %s", dm_err_detail());
	platform(f, 0);
	platform(f, 1);
	dm_flavour_free(f);
	dm_err_clear();
	return 0;
}
