/* libdm/k8s/exec.c - exec credential plugins: run the command a kubeconfig
 * user names (argv, no shell) and read the ExecCredential it prints. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <dm/k8s.h>
#include <dm/log.h>
#include <dm/util.h>

#include "k8s_private.h"

extern char **environ;

#define EXEC_TIMEOUT_MS 60000
#define EXEC_MAX_OUT (1u << 20)
#define EXEC_MAX_ERR 4096

static char *json_str_dup(json_t *obj, const char *key, int secret)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v) || json_string_length(v) == 0)
		return NULL;
	if (secret)
		return dm_k8s_secret_dup(json_string_value(v), json_string_length(v));
	return strdup(json_string_value(v));
}

dm_err dm_k8s_exec_credential_parse(const char *json, size_t len, const char *want, char **token,
				    char **cert_pem, char **key_pem)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr), *st;
	const char *kind, *api;
	dm_err e = DM_OK;

	*token = *cert_pem = *key_pem = NULL;
	if (!root)
		/* jerr.text may quote the input: only the position is given */
		return dm_fail(DM_ERR_PARSE, "the exec plugin's output is not JSON (line %d, column %d)",
			       jerr.line, jerr.column);
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
		e = dm_fail(DM_ERR_PARSE, "the exec plugin's output has apiVersion '%s', expected "
			    "client.authentication.k8s.io/v1 or /v1beta1", api ? api : "(none)");
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

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The last non-empty line of the plugin's stderr, for the error message. */
static void last_line(char *out, size_t n, const dm_buf *err)
{
	size_t end = err->len, start;

	while (end && (err->data[end - 1] == '\n' || err->data[end - 1] == '\r'))
		end--;
	start = end;
	while (start && err->data[start - 1] != '\n')
		start--;
	snprintf(out, n, "%.*s", (int)(end - start > 300 ? 300 : end - start), err->data ? err->data + start : "");
}

dm_err dm_k8s_config_run_exec(dm_k8s_config *c)
{
	dm_k8s_exec *x = c->exec;
	posix_spawn_file_actions_t fa;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, fa_ok = 0, status = 0, rc;
	char **envp = NULL, *info = NULL, **argv = NULL;
	size_t nenv = 0, nextra = 0, nargs = 0;
	dm_buf out = DM_BUF_INIT, err = DM_BUF_INIT;
	struct timespec t0;
	pid_t pid = -1;
	dm_err e = DM_OK;
	char *tok = NULL, *cert = NULL, *key = NULL;

	if (!x)
		return DM_OK;
	while (environ[nenv])
		nenv++;
	while (x->env && x->env[nextra])
		nextra++;
	while (x->args && x->args[nargs])
		nargs++;
	if (asprintf(&info, "KUBERNETES_EXEC_INFO={\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\","
		     "\"spec\":{\"interactive\":false}}", x->api_version) < 0) {
		info = NULL;
		goto nomem;
	}
	envp = calloc(nenv + nextra + 2, sizeof(char *));
	argv = calloc(nargs + 2, sizeof(char *));
	if (!envp || !argv)
		goto nomem;
	{
		size_t k = 0;

		/* the plugin's own variables replace inherited ones of the same name */
		for (size_t i = 0; i < nenv; i++) {
			size_t nl = strcspn(environ[i], "=");
			int over = strncmp(environ[i], "KUBERNETES_EXEC_INFO=", 21) == 0;

			for (size_t j = 0; j < nextra && !over; j++)
				over = strncmp(environ[i], x->env[j], nl + 1) == 0;
			if (!over)
				envp[k++] = environ[i];
		}
		for (size_t j = 0; j < nextra; j++)
			envp[k++] = x->env[j];
		envp[k++] = info;
	}
	argv[0] = x->command;
	for (size_t i = 0; i < nargs; i++)
		argv[i + 1] = x->args[i];

	if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		e = dm_fail(DM_ERR_PROC, "cannot create a pipe for the exec plugin: %s", strerror(errno));
		goto done;
	}
	if (posix_spawn_file_actions_init(&fa) != 0)
		goto nomem;
	fa_ok = 1;
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	rc = posix_spawnp(&pid, x->command, &fa, NULL, argv, envp);
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	if (rc != 0) {
		pid = -1;
		e = dm_fail(DM_ERR_PROC, "cannot run the exec credential plugin '%s' of user '%s': %s",
			    x->command, c->user ? c->user : "", strerror(rc));
		goto done;
	}
	dm_debug("ran exec credential plugin '%s' for user '%s'", x->command, c->user ? c->user : "");

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int open_fds = 2; open_fds > 0;) {
		struct pollfd pfd[2] = { { outp[0], POLLIN, 0 }, { errp[0], POLLIN, 0 } };
		long left = EXEC_TIMEOUT_MS - elapsed_ms(&t0);
		char chunk[4096];

		if (left <= 0) {
			kill(pid, SIGKILL);
			e = dm_fail(DM_ERR_TIMEOUT, "the exec credential plugin '%s' of user '%s' did not finish in %d s",
				    x->command, c->user ? c->user : "", EXEC_TIMEOUT_MS / 1000);
			goto done;
		}
		if (poll(pfd, 2, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			e = dm_fail(DM_ERR_PROC, "poll: %s", strerror(errno));
			goto done;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t r;

			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(pfd[i].fd, chunk, sizeof(chunk));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				close(pfd[i].fd);
				if (i == 0)
					outp[0] = -1;
				else
					errp[0] = -1;
				open_fds--;
				continue;
			}
			if (i == 0) {
				if (out.len + (size_t)r > EXEC_MAX_OUT) {
					kill(pid, SIGKILL);
					e = dm_fail(DM_ERR_PROC, "the exec credential plugin '%s' printed more than %u bytes",
						    x->command, EXEC_MAX_OUT);
					goto done;
				}
				if (dm_buf_append(&out, chunk, (size_t)r) != DM_OK)
					goto nomem;
			} else {
				if (err.len > EXEC_MAX_ERR)
					dm_buf_clear(&err); /* only the end matters */
				if (dm_buf_append(&err, chunk, (size_t)r) != DM_OK)
					goto nomem;
			}
		}
		if (outp[0] < 0 && errp[0] < 0)
			break;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char line[320];

		last_line(line, sizeof(line), &err);
		if (WIFEXITED(status))
			e = dm_fail(DM_ERR_PROC, "the exec credential plugin '%s' of user '%s' exited with status %d%s%s",
				    x->command, c->user ? c->user : "", WEXITSTATUS(status), *line ? ": " : "", line);
		else
			e = dm_fail(DM_ERR_PROC, "the exec credential plugin '%s' of user '%s' was killed by signal %d",
				    x->command, c->user ? c->user : "", WTERMSIG(status));
		goto done;
	}
	if ((e = dm_k8s_exec_credential_parse(out.data ? out.data : "", out.len, x->api_version, &tok, &cert,
					      &key)) != DM_OK) {
		char why[512];

		snprintf(why, sizeof(why), "%s", dm_err_detail());
		e = dm_fail(e, "exec credential plugin '%s' of user '%s': %s", x->command, c->user ? c->user : "", why);
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
	e = dm_fail(DM_ERR_NOMEM, "out of memory");
done:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	dm_buf_release(&out);
	dm_buf_release(&err);
	free(envp);
	free(argv);
	free(info);
	return e;
}
