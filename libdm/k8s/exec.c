/* libdm/k8s/exec.c - exec credential plugins: run the command a kubeconfig
 * user names (argv, no shell) and read the ExecCredential it prints. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <dm/k8s.h>
#include <dm/log.h>
#include <dm/proc.h>
#include <dm/util.h>

#include "internal.h"

#define EXEC_TIMEOUT_MS 60000
#define EXEC_MAX_OUT (1u << 20)
#define EXEC_MAX_ERR 4096

/* The plugin's time limit: a minute, or DM_TEST_EXEC_TIMEOUT=DURATION (at least 1 s), for tests
 * only, so that the limit is hit in seconds. */
static uint64_t exec_timeout_ms(void)
{
	const char *env = getenv("DM_TEST_EXEC_TIMEOUT");
	uint64_t ms;

	if (env && dm_parse_duration_ms(env, &ms) == DM_OK && ms >= 1000)
		return ms;
	return EXEC_TIMEOUT_MS;
}

static char *json_str_dup(json_t *obj, const char *key, int secret)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v) || json_string_length(v) == 0)
		return NULL;
	if (secret)
		return dm_k8s_secret_dup(json_string_value(v), json_string_length(v));
	return strdup(json_string_value(v));
}

dm_err dm_k8s_exec_credential_parse(const char *json, size_t len, const char *want, char **token, char **cert_pem,
				    char **key_pem)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr), *st;
	const char *kind, *api;
	dm_err e = DM_OK;

	*token = *cert_pem = *key_pem = NULL;
	if (!root)
		/* jerr.text may quote the input: only the position is given */
		return dm_fail(DM_ERR_PARSE, "the exec plugin's output is not JSON (line %d, column %d)", jerr.line,
			       jerr.column);
	if (!json_is_object(root)) {
		e = dm_fail(DM_ERR_PARSE, "the exec plugin's output is not a JSON object");
		goto done;
	}
	kind = json_string_value(json_object_get(root, "kind"));
	api = json_string_value(json_object_get(root, "apiVersion"));
	if (!kind || strcmp(kind, "ExecCredential") != 0) {
		e = dm_fail(DM_ERR_PARSE, "the exec plugin's output has kind '%s', expected 'ExecCredential'",
			    kind ? kind : "(none)");
		goto done;
	}
	if (!api || strncmp(api, "client.authentication.k8s.io/", 29) != 0) {
		e = dm_fail(DM_ERR_PARSE,
			    "the exec plugin's output has apiVersion '%s', expected "
			    "client.authentication.k8s.io/v1 or /v1beta1",
			    api ? api : "(none)");
		goto done;
	}
	if (want && strcmp(api, want) != 0) {
		e = dm_fail(DM_ERR_PARSE, "the exec plugin returned apiVersion '%s', but the kubeconfig asked for '%s'",
			    api, want);
		goto done;
	}
	st = json_object_get(root, "status");
	if (!json_is_object(st)) {
		e = dm_fail(DM_ERR_PARSE, "the exec plugin's ExecCredential has no 'status'");
		goto done;
	}
	*token = json_str_dup(st, "token", 1);
	if (!*token) {
		*cert_pem = json_str_dup(st, "clientCertificateData", 0);
		*key_pem = json_str_dup(st, "clientKeyData", 1);
		if (!*cert_pem || !*key_pem) {
			free(*cert_pem);
			dm_free_secret(*key_pem);
			*cert_pem = *key_pem = NULL;
			e = dm_fail(DM_ERR_PARSE, "the exec plugin's ExecCredential has neither status.token nor "
						  "status.clientCertificateData with status.clientKeyData");
			goto done;
		}
	}
done:
	json_decref(root);
	return e;
}

/* Runs the plugin through dm_proc_run (its own process group: a timed-out
 * plugin is stopped with everything it started).  stdin is /dev/null: dm is
 * never interactive here (spec.interactive false). */
dm_err dm_k8s_config_run_exec(dm_k8s_config *c)
{
	dm_k8s_exec *x = c->exec;
	dm_proc_opts po = DM_PROC_OPTS_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;
	char *info = NULL, **argv = NULL, **env = NULL;
	const char *user = c->user ? c->user : "";
	size_t nextra = 0, nargs = 0;
	dm_err e = DM_OK;
	char *tok = NULL, *cert = NULL, *key = NULL;

	if (!x)
		return DM_OK;
	while (x->env && x->env[nextra])
		nextra++;
	while (x->args && x->args[nargs])
		nargs++;
	if (asprintf(&info,
		     "KUBERNETES_EXEC_INFO={\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\","
		     "\"spec\":{\"interactive\":false}}",
		     x->api_version) < 0) {
		info = NULL;
		goto nomem;
	}
	env = calloc(nextra + 2, sizeof(char *));
	argv = calloc(nargs + 2, sizeof(char *));
	if (!env || !argv)
		goto nomem;
	/* the plugin's own variables replace inherited ones of the same name; the
	 * request description comes last and wins over both */
	for (size_t j = 0; j < nextra; j++)
		env[j] = x->env[j];
	env[nextra] = info;
	argv[0] = x->command;
	for (size_t i = 0; i < nargs; i++)
		argv[i + 1] = x->args[i];

	po.argv = (const char *const *)argv;
	po.env = (const char *const *)env;
	po.timeout_ms = exec_timeout_ms();
	po.capture_stderr = 1;
	/* one byte over the limit tells an oversized credential from one that fits */
	po.max_output = EXEC_MAX_OUT + 1;
	dm_debug("running exec credential plugin '%s' for user '%s'", x->command, user);
	e = dm_proc_run(&po, &r);
	if (e == DM_ERR_NOMEM || e == DM_ERR_INTERRUPTED)
		goto done;
	if (e == DM_ERR_TIMEOUT) {
		e = dm_fail(e, "the exec credential plugin '%s' of user '%s' did not finish in %llu s (stopped)",
			    x->command, user, (unsigned long long)(po.timeout_ms / 1000));
		goto done;
	}
	if (e != DM_OK && !r.exited && r.status == 0) {
		/* it never ran: not found, not executable */
		char why[512];

		snprintf(why, sizeof(why), "%s", e == DM_ERR_NOTFOUND ? strerror(ENOENT) : dm_err_detail());
		e = dm_fail(DM_ERR_PROC, "cannot run the exec credential plugin '%s' of user '%s': %s", x->command,
			    user, why);
		goto done;
	}
	if (e != DM_OK) {
		char line[320];

		dm_proc_last_line(line, sizeof(line), &r.err);
		if (r.exited)
			e = dm_fail(DM_ERR_PROC,
				    "the exec credential plugin '%s' of user '%s' exited with status %d%s%s",
				    x->command, user, r.status, *line ? ": " : "", line);
		else
			e = dm_fail(DM_ERR_PROC, "the exec credential plugin '%s' of user '%s' was killed by signal %d",
				    x->command, user, r.status);
		goto done;
	}
	if (r.out.len > EXEC_MAX_OUT) {
		e = dm_fail(DM_ERR_PROC, "the exec credential plugin '%s' printed more than %u bytes", x->command,
			    EXEC_MAX_OUT);
		goto done;
	}
	if ((e = dm_k8s_exec_credential_parse(r.out.data ? r.out.data : "", r.out.len, x->api_version, &tok, &cert,
					      &key)) != DM_OK) {
		char why[512];

		snprintf(why, sizeof(why), "%s", dm_err_detail());
		e = dm_fail(e, "exec credential plugin '%s' of user '%s': %s", x->command, user, why);
		goto done;
	}
	/* what the plugin returns replaces static credentials, as in kubectl */
	if (tok) {
		dm_free_secret(c->token);
		c->token = tok;
	} else {
		free(c->cert_pem);
		dm_free_secret(c->key_pem);
		free(c->cert_file);
		free(c->key_file);
		c->cert_file = c->key_file = NULL;
		c->cert_pem = cert;
		c->key_pem = key;
	}
	goto done;
nomem:
	e = dm_nomem();
done:
	/* the output holds the credential */
	if (r.out.data)
		dm_wipe(r.out.data, r.out.len);
	dm_proc_result_release(&r);
	free(env);
	free(argv);
	free(info);
	return e;
}
