/* fuzz_k8s_json: the JSON readers of the Kubernetes client - an exec
 * plugin's ExecCredential (dm_k8s_exec_credential_parse, with and without a
 * wanted apiVersion) and a Secret object (dm_k8s_secret_parse).
 *
 * ExecCredential: on success exactly a token, or a certificate and its key.
 * Secret: items sorted by key, each value NUL-terminated after its length and
 * found again by dm_k8s_secret_find. */
#include <dm/err.h>
#include <dm/k8s.h>
#include <dm/log.h>

#include "fuzz_common.h"

static void exec_credential(const char *json, size_t len, const char *want)
{
	char *token = NULL, *cert = NULL, *key = NULL;
	dm_err e = dm_k8s_exec_credential_parse(json, len, want, &token, &cert, &key);

	if (e == DM_OK)
		FUZZ_CHECK((token && !cert && !key) || (!token && cert && key),
			   "credential: token %p, certificate %p, key %p", (void *)token, (void *)cert, (void *)key);
	else
		FUZZ_CHECK(dm_err_detail()[0] != '\0', "failure (%d) without a detail", (int)e);
	free(token);
	free(cert);
	free(key);
	dm_err_clear();
}

static void secret(const char *json, size_t len)
{
	dm_k8s_secret *s = NULL;
	dm_err e = dm_k8s_secret_parse(json, len, &s);

	if (e == DM_OK) {
		FUZZ_CHECK(s != NULL && s->type != NULL, "ok without a Secret or its type");
		for (size_t i = 0; i < s->n; i++) {
			const dm_k8s_secret_item *it = &s->items[i];

			FUZZ_CHECK(it->key && it->value, "item %zu without key or value", i);
			FUZZ_CHECK(it->value[it->len] == '\0', "value of '%s' not NUL-terminated", it->key);
			FUZZ_CHECK(i == 0 || strcmp(s->items[i - 1].key, it->key) < 0, "items not sorted at '%s'",
				   it->key);
			FUZZ_CHECK(dm_k8s_secret_find(s, it->key) == it, "'%s' not found again", it->key);
		}
	} else {
		FUZZ_CHECK(s == NULL, "failure left a Secret");
		FUZZ_CHECK(dm_err_detail()[0] != '\0', "failure (%d) without a detail", (int)e);
	}
	dm_k8s_secret_free(s);
	dm_err_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy: a read past the end is a finding */
	char *json = malloc(size ? size : 1);

	if (!json)
		abort();
	if (size)
		memcpy(json, data, size);
	exec_credential(json, size, NULL);
	exec_credential(json, size, "client.authentication.k8s.io/v1");
	secret(json, size);
	free(json);
	dm_log_forget_secrets();
	return 0;
}
