/* fuzz_kubeconfig: the kubeconfig loader (dm_k8s_config_load_string), with
 * exec plugins never run.  The document is named as a file in a private
 * folder, so relative paths (certificate-authority, tokenFile) resolve there;
 * the target writes a token file and a CA file beside it for seeds to use.
 *
 * Each input is loaded with the current context and with the context "dev".
 * A loaded config has a server without a trailing '/' and a source; a
 * failure has a detail, and the detail never holds the token file's text. */
#include <dm/err.h>
#include <dm/k8s.h>
#include <dm/log.h>

#include "fuzz_common.h"

#define TOKEN "fuzz-token-0123456789"

static char name[512];

static void setup(void)
{
	char path[600];

	if (name[0])
		return;
	snprintf(name, sizeof(name), "%s/config", fuzz_dir());
	snprintf(path, sizeof(path), "%s/token", fuzz_dir());
	fuzz_write_file(path, TOKEN "\n", sizeof(TOKEN));
	snprintf(path, sizeof(path), "%s/ca.crt", fuzz_dir());
	fuzz_write_file(path, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", 58);
}

static void load(const char *text, size_t len, const char *context)
{
	dm_k8s_config *c = NULL;
	dm_err e = dm_k8s_config_load_string(&c, name, text, len, context, 0);

	if (e == DM_OK) {
		FUZZ_CHECK(c != NULL, "ok without a config");
		FUZZ_CHECK(c->server && c->server[0], "loaded config without a server");
		FUZZ_CHECK(c->source != NULL, "loaded config without a source");
		FUZZ_CHECK(c->server[strlen(c->server) - 1] != '/' || strcmp(c->server, "/") == 0,
			   "server '%s' keeps a trailing '/'", c->server);
	} else {
		FUZZ_CHECK(c == NULL, "failure left a config");
		FUZZ_CHECK(dm_err_detail()[0] != '\0', "failure (%d) without a detail", (int)e);
		/* (unless the document itself holds that text: a syntax error may quote it) */
		FUZZ_CHECK(!strstr(dm_err_detail(), TOKEN) || memmem(text, len, TOKEN, sizeof(TOKEN) - 1),
			   "the token file's content is in the detail: %s", dm_err_detail());
	}
	dm_k8s_config_free(c);
	dm_err_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	setup();
	/* an exact-size copy: a read past the end is a finding */
	text = malloc(size ? size : 1);
	if (!text)
		abort();
	if (size)
		memcpy(text, data, size);
	load(text, size, NULL);
	load(text, size, "dev");
	free(text);
	dm_log_forget_secrets();
	return 0;
}
