/* Unit tests of the Kubernetes client: kubeconfig loading and merging, exec
 * plugins and ExecCredential, in-cluster settings, Status messages, Secrets. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <dm/err.h>
#include <dm/k8s.h>
#include <dm/log.h>
#include <dm/proc.h>
#include <dm/util.h>

static char tmpdir[256];

static int make_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dm-test-k8s.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int remove_tmp(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	unsetenv("KUBECONFIG");
	return 0;
}

static char *write_file(const char *name, const char *text, unsigned mode)
{
	static char path[8][512];
	static int slot;
	char *p = path[slot++ % 8];
	FILE *f;

	snprintf(p, 512, "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
	return p;
}

static dm_err load_text(dm_k8s_config **out, const char *text, const char *context)
{
	char name[512];

	snprintf(name, sizeof(name), "%s/config", tmpdir);
	return dm_k8s_config_load_string(out, name, text, strlen(text), context, 1);
}

/* "hello" and a PEM-ish text in base64 */
#define CA_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCmNhCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"

static const char basic[] = "apiVersion: v1\n"
			    "kind: Config\n"
			    "current-context: dev\n"
			    "clusters:\n"
			    "- name: c1\n"
			    "  cluster:\n"
			    "    server: https://127.0.0.1:6443/\n"
			    "    certificate-authority-data: " CA_B64 "\n"
			    "- name: c2\n"
			    "  cluster:\n"
			    "    server: https://10.0.0.1:443\n"
			    "    certificate-authority: certs/ca.crt\n"
			    "    insecure-skip-tls-verify: true\n"
			    "users:\n"
			    "- name: u1\n"
			    "  user:\n"
			    "    token: tok-abcdef-123456\n"
			    "- name: u2\n"
			    "  user:\n"
			    "    client-certificate: certs/u2.crt\n"
			    "    client-key: /abs/u2.key\n"
			    "contexts:\n"
			    "- name: dev\n"
			    "  context:\n"
			    "    cluster: c1\n"
			    "    user: u1\n"
			    "    namespace: team-a\n"
			    "- name: prod\n"
			    "  context:\n"
			    "    cluster: c2\n"
			    "    user: u2\n";

static void test_kubeconfig__current_context_with_token_and_ca_data(void **state)
{
	dm_k8s_config *c = NULL;

	(void)state;
	assert_int_equal(load_text(&c, basic, NULL), DM_OK);
	assert_string_equal(c->context, "dev");
	assert_string_equal(c->cluster, "c1");
	assert_string_equal(c->user, "u1");
	assert_string_equal(c->server, "https://127.0.0.1:6443");
	assert_string_equal(c->ns, "team-a");
	assert_string_equal(c->token, "tok-abcdef-123456");
	assert_string_equal(c->ca_pem, "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n");
	assert_null(c->ca_file);
	assert_non_null(strstr(c->ca_origin, "certificate-authority-data of cluster 'c1'"));
	assert_int_equal(c->insecure, 0);
	dm_k8s_config_free(c);
}

static void test_kubeconfig__context_flag_and_relative_paths(void **state)
{
	dm_k8s_config *c = NULL;
	char want[600];

	(void)state;
	assert_int_equal(load_text(&c, basic, "prod"), DM_OK);
	assert_string_equal(c->context, "prod");
	assert_string_equal(c->server, "https://10.0.0.1:443");
	snprintf(want, sizeof(want), "%s/certs/ca.crt", tmpdir);
	assert_string_equal(c->ca_file, want);
	snprintf(want, sizeof(want), "%s/certs/u2.crt", tmpdir);
	assert_string_equal(c->cert_file, want);
	assert_string_equal(c->key_file, "/abs/u2.key");
	assert_int_equal(c->insecure, 1);
	assert_null(c->token);
	assert_null(c->ns);
	dm_k8s_config_free(c);
}

static void test_kubeconfig__unknown_context_lists_the_known_ones(void **state)
{
	dm_k8s_config *c = NULL;

	(void)state;
	assert_int_equal(load_text(&c, basic, "staging"), DM_ERR_CONFIG);
	assert_null(c);
	assert_non_null(strstr(dm_err_detail(), "context 'staging' not found"));
	assert_non_null(strstr(dm_err_detail(), "contexts: dev, prod"));
}

static void test_kubeconfig__no_current_context_asks_for_one(void **state)
{
	dm_k8s_config *c = NULL;
	const char *text = "clusters:\n- name: a\n  cluster: {server: https://x}\n"
			   "contexts:\n- name: a\n  context: {cluster: a}\n";

	(void)state;
	assert_int_equal(load_text(&c, text, NULL), DM_ERR_CONFIG);
	assert_non_null(strstr(dm_err_detail(), "no current-context"));
	assert_int_equal(dm_err_hint(NULL), DM_HINT_CONTEXT); /* the tools name their flag */
	assert_int_equal(load_text(&c, text, "a"), DM_OK);
	assert_null(c->user);
	assert_null(c->token);
	dm_k8s_config_free(c);
}

static void test_kubeconfig__missing_cluster_points_at_the_line(void **state)
{
	dm_k8s_config *c = NULL;
	const char *text = "current-context: x\n"
			   "contexts:\n"
			   "- name: x\n"
			   "  context:\n"
			   "    cluster: nowhere\n";
	char want[600];

	(void)state;
	assert_int_equal(load_text(&c, text, NULL), DM_ERR_CONFIG);
	snprintf(want, sizeof(want), "%s/config:5:14: context 'x' names cluster 'nowhere'", tmpdir);
	assert_non_null(strstr(dm_err_detail(), want));
}

static void test_kubeconfig__bad_base64_points_at_the_line(void **state)
{
	dm_k8s_config *c = NULL;
	const char *text = "current-context: x\n"
			   "clusters:\n"
			   "- name: a\n"
			   "  cluster:\n"
			   "    server: https://h\n"
			   "    certificate-authority-data: '%%%not base64'\n"
			   "contexts:\n"
			   "- name: x\n"
			   "  context: {cluster: a}\n";
	char want[600];

	(void)state;
	assert_int_equal(load_text(&c, text, NULL), DM_ERR_CONFIG);
	snprintf(want, sizeof(want), "%s/config:6:33: 'certificate-authority-data' is not valid base64", tmpdir);
	assert_string_equal(dm_err_detail(), want);
}

static void test_kubeconfig__yaml_syntax_error_has_position(void **state)
{
	dm_k8s_config *c = NULL;

	(void)state;
	assert_int_equal(load_text(&c, "clusters:\n- name: [a\n", NULL), DM_ERR_CONFIG);
	assert_non_null(strstr(dm_err_detail(), "/config:"));
}

static void test_kubeconfig__wrong_types_are_reported(void **state)
{
	dm_k8s_config *c = NULL;

	(void)state;
	assert_int_equal(load_text(&c, "clusters: {a: b}\n", NULL), DM_ERR_CONFIG);
	assert_non_null(strstr(dm_err_detail(), ":1:11: 'clusters' must be a list"));
	assert_int_equal(load_text(&c,
				   "current-context: x\nclusters:\n- name: a\n  cluster: {server: ftp://h}\n"
				   "contexts:\n- name: x\n  context: {cluster: a}\n",
				   NULL),
			 DM_ERR_CONFIG);
	assert_non_null(strstr(dm_err_detail(), "must start with https:// or http://"));
	/* a scheme alone names no host (found by fuzzing) */
	assert_int_equal(load_text(&c,
				   "current-context: x\nclusters:\n- name: a\n  cluster: {server: 'https://'}\n"
				   "contexts:\n- name: x\n  context: {cluster: a}\n",
				   NULL),
			 DM_ERR_CONFIG);
	assert_non_null(strstr(dm_err_detail(), "and name a host"));
}

static void test_kubeconfig__certificate_without_key_is_an_error(void **state)
{
	dm_k8s_config *c = NULL;
	const char *text = "current-context: x\n"
			   "clusters:\n- name: a\n  cluster: {server: https://h}\n"
			   "users:\n- name: u\n  user:\n    client-certificate: a.crt\n"
			   "contexts:\n- name: x\n  context: {cluster: a, user: u}\n";

	(void)state;
	assert_int_equal(load_text(&c, text, NULL), DM_ERR_CONFIG);
	assert_non_null(strstr(dm_err_detail(), "client certificate without a key"));
}

static void test_kubeconfig__token_file_relative_to_the_kubeconfig(void **state)
{
	dm_k8s_config *c = NULL;
	const char *text = "current-context: x\n"
			   "clusters:\n- name: a\n  cluster: {server: https://h}\n"
			   "users:\n- name: u\n  user:\n    tokenFile: tok\n"
			   "contexts:\n- name: x\n  context: {cluster: a, user: u}\n";

	(void)state;
	write_file("tok", "file-token-0123456789\n", 0600);
	assert_int_equal(load_text(&c, text, NULL), DM_OK);
	assert_string_equal(c->token, "file-token-0123456789");
	dm_k8s_config_free(c);
	unlink(write_file("tok", "", 0600));
	assert_int_equal(load_text(&c, text, NULL), DM_ERR_CONFIG);
	assert_non_null(strstr(dm_err_detail(), "cannot read the tokenFile of user 'u'"));
}

static void test_kubeconfig__merged_files_first_wins(void **state)
{
	dm_k8s_config *c = NULL;
	dm_k8s_opts o = DM_K8S_OPTS_INIT;
	char list[2048];
	char *a = write_file("a.yaml",
			     "current-context: from-a\n"
			     "clusters:\n- name: shared\n  cluster: {server: https://a.example:1}\n"
			     "contexts:\n- name: from-a\n  context: {cluster: shared, user: ub, namespace: na}\n",
			     0600);
	char *b = write_file("b.yaml",
			     "current-context: from-b\n"
			     "clusters:\n- name: shared\n  cluster: {server: https://b.example:2}\n"
			     "- name: only-b\n  cluster: {server: https://b.example:3}\n"
			     "users:\n- name: ub\n  user: {token: token-from-b-file}\n"
			     "contexts:\n- name: from-a\n  context: {cluster: only-b}\n"
			     "- name: from-b\n  context: {cluster: only-b, user: ub}\n",
			     0600);

	(void)state;
	snprintf(list, sizeof(list), "%s/missing.yaml:%s::%s", tmpdir, a, b);
	setenv("KUBECONFIG", list, 1);
	assert_int_equal(dm_k8s_config_load(&c, &o), DM_OK);
	assert_string_equal(c->context, "from-a");             /* first current-context */
	assert_string_equal(c->server, "https://a.example:1"); /* first definition of "shared" */
	assert_string_equal(c->token, "token-from-b-file");    /* user only in the second file */
	assert_string_equal(c->ns, "na");
	assert_non_null(strstr(c->source, "a.yaml"));
	assert_non_null(strstr(c->source, "b.yaml"));
	dm_k8s_config_free(c);

	o.context = "from-b";
	assert_int_equal(dm_k8s_config_load(&c, &o), DM_OK);
	assert_string_equal(c->server, "https://b.example:3");
	dm_k8s_config_free(c);

	/* --kubeconfig reads that file only */
	o.context = NULL;
	o.kubeconfig = b;
	assert_int_equal(dm_k8s_config_load(&c, &o), DM_OK);
	assert_string_equal(c->context, "from-b");
	dm_k8s_config_free(c);

	snprintf(list, sizeof(list), "%s/none1:%s/none2", tmpdir, tmpdir);
	setenv("KUBECONFIG", list, 1);
	o.kubeconfig = NULL;
	assert_int_equal(dm_k8s_config_load(&c, &o), DM_ERR_CONFIG);
	assert_non_null(strstr(dm_err_detail(), "none of the KUBECONFIG files exists"));
}

static void test_kubeconfig__missing_explicit_file_is_named(void **state)
{
	dm_k8s_config *c = NULL;
	dm_k8s_opts o = DM_K8S_OPTS_INIT;
	char p[512];

	(void)state;
	snprintf(p, sizeof(p), "%s/does-not-exist", tmpdir);
	o.kubeconfig = p;
	assert_int_not_equal(dm_k8s_config_load(&c, &o), DM_OK);
	assert_non_null(strstr(dm_err_detail(), p));
}

/* --- ExecCredential --------------------------------------------------------------------------- */

static void test_exec_credential__token(void **state)
{
	const char *j = "{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
			"\"status\":{\"token\":\"exec-token-42\",\"expirationTimestamp\":\"2030-01-01T00:00:00Z\"}}";
	char *tok, *cert, *key;

	(void)state;
	assert_int_equal(dm_k8s_exec_credential_parse(j, strlen(j), "client.authentication.k8s.io/v1beta1", &tok, &cert,
						      &key),
			 DM_OK);
	assert_string_equal(tok, "exec-token-42");
	assert_null(cert);
	assert_null(key);
	dm_free_secret(tok);
}

static void test_exec_credential__client_certificate(void **state)
{
	const char *j = "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
			"\"status\":{\"clientCertificateData\":\"CERT\",\"clientKeyData\":\"KEYDATA\"}}";
	char *tok, *cert, *key;

	(void)state;
	assert_int_equal(dm_k8s_exec_credential_parse(j, strlen(j), NULL, &tok, &cert, &key), DM_OK);
	assert_null(tok);
	assert_string_equal(cert, "CERT");
	assert_string_equal(key, "KEYDATA");
	free(cert);
	dm_free_secret(key);
}

static void test_exec_credential__bad_documents_never_quote_the_output(void **state)
{
	static const char *bad[] = {
		"not json secret-in-output-1234",
		"[\"secret-in-output-1234\"]",
		"{\"apiVersion\":\"client.authentication.k8s.io/"
		"v1\",\"kind\":\"Secret\",\"status\":{\"token\":\"secret-in-output-1234\"}}",
		"{\"apiVersion\":\"v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"secret-in-output-1234\"}}",
		"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\"}",
		"{\"apiVersion\":\"client.authentication.k8s.io/"
		"v1\",\"kind\":\"ExecCredential\",\"status\":{\"clientKeyData\":\"secret-in-output-1234\"}}",
	};
	char *tok, *cert, *key;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dm_k8s_exec_credential_parse(bad[i], strlen(bad[i]), NULL, &tok, &cert, &key),
				 DM_ERR_PARSE);
		assert_null(tok);
		assert_null(cert);
		assert_null(key);
		assert_null(strstr(dm_err_detail(), "secret-in-output"));
	}
}

static void test_exec_credential__api_version_must_match_the_request(void **state)
{
	const char *j = "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
			"\"status\":{\"token\":\"t-123456\"}}";
	char *tok, *cert, *key;

	(void)state;
	assert_int_equal(dm_k8s_exec_credential_parse(j, strlen(j), "client.authentication.k8s.io/v1beta1", &tok, &cert,
						      &key),
			 DM_ERR_PARSE);
	assert_non_null(strstr(dm_err_detail(), "asked for 'client.authentication.k8s.io/v1beta1'"));
}

static void test_exec_plugin__runs_with_args_env_and_exec_info(void **state)
{
	dm_k8s_config *c = NULL;
	char text[2048];

	(void)state;
	/* the plugin proves it got its args, env and KUBERNETES_EXEC_INFO by echoing them into the token */
	write_file("plugin.sh",
		   "#!/bin/sh\n"
		   "case \"$KUBERNETES_EXEC_INFO\" in *'\"kind\":\"ExecCredential\"'*) ;; *) echo no info >&2; exit "
		   "3;; esac\n"
		   "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
		   "\"status\":{\"token\":\"%s-%s\"}}' \"$1\" \"$PLUGIN_VAR\"\n",
		   0700);
	snprintf(text, sizeof(text),
		 "current-context: x\n"
		 "clusters:\n- name: a\n  cluster: {server: https://h}\n"
		 "users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
		 "      command: ./plugin.sh\n      args: [arg1]\n      env:\n      - {name: PLUGIN_VAR, value: v2}\n"
		 "contexts:\n- name: x\n  context: {cluster: a, user: u}\n");
	assert_int_equal(load_text(&c, text, NULL), DM_OK);
	assert_non_null(c->exec);
	assert_string_equal(c->token, "arg1-v2");
	dm_k8s_config_free(c);
}

static void test_exec_plugin__failure_names_the_plugin_and_its_last_line(void **state)
{
	dm_k8s_config *c = NULL;
	char text[2048];

	(void)state;
	write_file("fail.sh", "#!/bin/sh\necho 'first line' >&2\necho 'error: token expired' >&2\nexit 7\n", 0700);
	snprintf(text, sizeof(text),
		 "current-context: x\n"
		 "clusters:\n- name: a\n  cluster: {server: https://h}\n"
		 "users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
		 "      command: %s/fail.sh\n"
		 "contexts:\n- name: x\n  context: {cluster: a, user: u}\n",
		 tmpdir);
	assert_int_equal(load_text(&c, text, NULL), DM_ERR_PROC);
	assert_non_null(strstr(dm_err_detail(), "fail.sh' of user 'u' exited with status 7: error: token expired"));

	snprintf(text, sizeof(text),
		 "current-context: x\n"
		 "clusters:\n- name: a\n  cluster: {server: https://h}\n"
		 "users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
		 "      command: dm-no-such-plugin\n"
		 "contexts:\n- name: x\n  context: {cluster: a, user: u}\n");
	assert_int_equal(load_text(&c, text, NULL), DM_ERR_PROC);
	assert_non_null(strstr(dm_err_detail(), "cannot run the exec credential plugin 'dm-no-such-plugin'"));
}

static void test_exec_plugin__garbage_output_is_a_parse_error(void **state)
{
	dm_k8s_config *c = NULL;
	char text[2048];

	(void)state;
	write_file("junk.sh", "#!/bin/sh\necho 'token=secret-junk-999'\n", 0700);
	snprintf(text, sizeof(text),
		 "current-context: x\n"
		 "clusters:\n- name: a\n  cluster: {server: https://h}\n"
		 "users:\n- name: u\n  user:\n    exec: {command: ./junk.sh}\n"
		 "contexts:\n- name: x\n  context: {cluster: a, user: u}\n");
	assert_int_equal(load_text(&c, text, NULL), DM_ERR_PARSE);
	assert_non_null(strstr(dm_err_detail(), "junk.sh' of user 'u': the exec plugin's output is not JSON"));
	assert_null(strstr(dm_err_detail(), "secret-junk"));
}

static void *cancel_soon(void *arg)
{
	(void)arg;
	usleep(300000);
	dm_proc_cancel();
	return NULL;
}

/* The plugin runs through dm_proc_run: an interrupt (as a timeout) stops it and
 * what it started, here a `sleep` that holds none of its pipes. */
static void test_exec_plugin__interrupt_stops_the_plugin_and_what_it_started(void **state)
{
	dm_k8s_config *c = NULL;
	char text[2048], pidfile[600];
	FILE *f;
	int pid = 0, gone = 0;

	(void)state;
	write_file("slow.sh", "#!/bin/sh\nsleep 30 </dev/null >/dev/null 2>&1 &\necho $! >\"$0.pid\"\nwait\n", 0700);
	snprintf(text, sizeof(text),
		 "current-context: x\n"
		 "clusters:\n- name: a\n  cluster: {server: https://h}\n"
		 "users:\n- name: u\n  user:\n    exec: {command: %s/slow.sh}\n"
		 "contexts:\n- name: x\n  context: {cluster: a, user: u}\n",
		 tmpdir);
	{
		pthread_t t;

		assert_int_equal(pthread_create(&t, NULL, cancel_soon, NULL), 0);
		assert_int_equal(load_text(&c, text, NULL), DM_ERR_INTERRUPTED);
		pthread_join(t, NULL);
	}
	dm_proc_cancel_clear();
	snprintf(pidfile, sizeof(pidfile), "%s/slow.sh.pid", tmpdir);
	f = fopen(pidfile, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	fclose(f);
	for (int i = 0; i < 300 && !gone; i++) {
		char path[64], line[256] = "";
		FILE *st;

		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		gone = kill(pid, 0) != 0 && errno == ESRCH;
		if (!gone && (st = fopen(path, "r"))) {
			line[fread(line, 1, sizeof(line) - 1, st)] = '\0';
			fclose(st);
			gone = strstr(line, ") Z ") != NULL;
		}
		if (!gone)
			usleep(10000);
	}
	if (!gone) {
		kill(pid, SIGKILL);
		fail_msg("the exec plugin's child %d outlived the run", pid);
	}
}

/* --- in-cluster -------------------------------------------------------------------------------- */

static void test_in_cluster__reads_the_service_account_folder(void **state)
{
	dm_k8s_config *c = NULL;
	dm_k8s_opts o = DM_K8S_OPTS_INIT;
	char want[600];

	(void)state;
	o.in_cluster = 1;
	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_int_equal(dm_k8s_config_load(&c, &o), DM_ERR_CONFIG);
	assert_non_null(strstr(dm_err_detail(), "KUBERNETES_SERVICE_HOST"));

	write_file("token", "sa-token-abcdef\n", 0600);
	write_file("ca.crt", "x", 0600);
	write_file("namespace", "pod-ns", 0600);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	setenv("DM_K8S_SERVICEACCOUNT_DIR", tmpdir, 1);
	assert_int_equal(dm_k8s_config_load(&c, &o), DM_OK);
	assert_string_equal(c->server, "https://[fd00::1]:443");
	assert_string_equal(c->token, "sa-token-abcdef");
	assert_string_equal(c->ns, "pod-ns");
	snprintf(want, sizeof(want), "%s/ca.crt", tmpdir);
	assert_string_equal(c->ca_file, want);
	assert_null(c->context);
	dm_k8s_config_free(c);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv("DM_K8S_SERVICEACCOUNT_DIR");
}

/* --- Status messages ----------------------------------------------------------------------- */

/* as kube-apiserver v1.20 sends them */
static const char forbidden[] =
	"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
	"\"secrets \\\"s\\\" is forbidden: User \\\"dm-user\\\" cannot get resource \\\"secrets\\\" in API group "
	"\\\"\\\" in the namespace \\\"team\\\"\",\"reason\":\"Forbidden\",\"details\":{\"name\":\"s\",\"kind\":"
	"\"secrets\"},\"code\":403}";
static const char notfound[] =
	"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
	"\"secrets \\\"s\\\" not found\",\"reason\":\"NotFound\",\"details\":{\"name\":\"s\",\"kind\":\"secrets\"},"
	"\"code\":404}";
static const char unauthorized[] =
	"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
	"\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}";

static void test_status__403_names_user_verb_resource_namespace(void **state)
{
	(void)state;
	assert_int_equal(dm_k8s_status_fail(NULL, 403, forbidden, "get", "secrets", "s", "team"), DM_ERR_FORBIDDEN);
	assert_string_equal(dm_err_detail(), "User \"dm-user\" cannot get secrets in namespace \"team\"");
}

static void test_status__404_names_the_secret_and_namespace(void **state)
{
	(void)state;
	assert_int_equal(dm_k8s_status_fail(NULL, 404, notfound, "get", "secrets", "s", "team"), DM_ERR_NOTFOUND);
	assert_string_equal(dm_err_detail(), "secret \"s\" not found in namespace \"team\"");
	assert_int_equal(dm_k8s_status_fail(NULL, 404, "<html>nope</html>", "get", "secrets", "s", "team"),
			 DM_ERR_NOTFOUND);
	assert_non_null(strstr(dm_err_detail(), "is it a Kubernetes API server?"));
}

static void test_status__401_says_credentials_rejected(void **state)
{
	(void)state;
	assert_int_equal(dm_k8s_status_fail(NULL, 401, unauthorized, "get", "secrets", "s", "team"), DM_ERR_AUTH);
	assert_non_null(strstr(dm_err_detail(), "credentials rejected"));
	assert_non_null(strstr(dm_err_detail(), "401 Unauthorized"));
}

static void test_status__other_codes_carry_the_status_message(void **state)
{
	(void)state;
	assert_int_equal(dm_k8s_status_fail(NULL, 409, NULL, "create", "namespaces", "x", NULL), DM_ERR_HTTP);
	assert_string_equal(dm_err_detail(), "namespace \"x\" already exists");
	assert_int_equal(dm_k8s_status_fail(NULL, 500,
					    "{\"kind\":\"Status\",\"message\":\"etcdserver: request timed out\"}",
					    "get", "secrets", "s", "n"),
			 DM_ERR_HTTP);
	assert_non_null(strstr(dm_err_detail(), "500 Internal Server Error"));
	assert_non_null(strstr(dm_err_detail(), "etcdserver: request timed out"));
}

/* --- Secret replies ------------------------------------------------------------------------ */

static void test_secret__values_are_decoded_byte_exact_and_sorted(void **state)
{
	/* zeta: "a\0b\n'", alpha: "x" */
	const char *j = "{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"m\",\"namespace\":\"n\"},"
			"\"data\":{\"zeta\":\"YQBiCic=\",\"alpha\":\"eA==\",\"empty\":\"\"},\"type\":\"Opaque\"}";
	dm_k8s_secret *s = NULL;
	const dm_k8s_secret_item *it;

	(void)state;
	assert_int_equal(dm_k8s_secret_parse(j, strlen(j), &s), DM_OK);
	assert_string_equal(s->name, "m");
	assert_string_equal(s->ns, "n");
	assert_int_equal(s->n, 3);
	assert_string_equal(s->items[0].key, "alpha");
	assert_string_equal(s->items[1].key, "empty");
	assert_string_equal(s->items[2].key, "zeta");
	it = dm_k8s_secret_find(s, "zeta");
	assert_int_equal(it->len, 5);
	assert_memory_equal(it->value, "a\0b\n'", 5);
	assert_int_equal(dm_k8s_secret_find(s, "empty")->len, 0);
	assert_null(dm_k8s_secret_find(s, "nope"));
	dm_k8s_secret_free(s);
}

static void test_secret__malformed_replies_are_parse_errors(void **state)
{
	static const char *bad[] = {
		"{\"kind\":\"Status\"}",
		"{\"kind\":\"Secret\",\"data\":{\"k\":\"***\"}}",
		"{\"kind\":\"Secret\",\"data\":{\"k\":5}}",
		"{\"kind\":\"Secret\",\"data\":[]}",
		"nope",
	};
	dm_k8s_secret *s = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dm_k8s_secret_parse(bad[i], strlen(bad[i]), &s), DM_ERR_PARSE);
		assert_null(s);
	}
	/* a Secret with no data is fine */
	assert_int_equal(dm_k8s_secret_parse("{\"kind\":\"Secret\"}", 17, &s), DM_OK);
	assert_int_equal(s->n, 0);
	dm_k8s_secret_free(s);
}

static void test_secret__values_are_redacted_from_messages(void **state)
{
	/* "super-secret-value" */
	const char *j =
		"{\"kind\":\"Secret\",\"metadata\":{\"name\":\"m\"},\"data\":{\"k\":\"c3VwZXItc2VjcmV0LXZhbHVl\"}}";
	dm_k8s_secret *s = NULL;

	(void)state;
	assert_int_equal(dm_k8s_secret_parse(j, strlen(j), &s), DM_OK);
	dm_fail(DM_ERR_INVALID, "oops: %s", "super-secret-value");
	assert_null(strstr(dm_err_detail(), "super-secret-value"));
	dm_k8s_secret_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kubeconfig__current_context_with_token_and_ca_data, make_tmp,
						remove_tmp),
		cmocka_unit_test_setup_teardown(test_kubeconfig__context_flag_and_relative_paths, make_tmp, remove_tmp),
		cmocka_unit_test_setup_teardown(test_kubeconfig__unknown_context_lists_the_known_ones, make_tmp,
						remove_tmp),
		cmocka_unit_test_setup_teardown(test_kubeconfig__no_current_context_asks_for_one, make_tmp, remove_tmp),
		cmocka_unit_test_setup_teardown(test_kubeconfig__missing_cluster_points_at_the_line, make_tmp,
						remove_tmp),
		cmocka_unit_test_setup_teardown(test_kubeconfig__bad_base64_points_at_the_line, make_tmp, remove_tmp),
		cmocka_unit_test_setup_teardown(test_kubeconfig__yaml_syntax_error_has_position, make_tmp, remove_tmp),
		cmocka_unit_test_setup_teardown(test_kubeconfig__wrong_types_are_reported, make_tmp, remove_tmp),
		cmocka_unit_test_setup_teardown(test_kubeconfig__certificate_without_key_is_an_error, make_tmp,
						remove_tmp),
		cmocka_unit_test_setup_teardown(test_kubeconfig__token_file_relative_to_the_kubeconfig, make_tmp,
						remove_tmp),
		cmocka_unit_test_setup_teardown(test_kubeconfig__merged_files_first_wins, make_tmp, remove_tmp),
		cmocka_unit_test_setup_teardown(test_kubeconfig__missing_explicit_file_is_named, make_tmp, remove_tmp),
		cmocka_unit_test(test_exec_credential__token),
		cmocka_unit_test(test_exec_credential__client_certificate),
		cmocka_unit_test(test_exec_credential__bad_documents_never_quote_the_output),
		cmocka_unit_test(test_exec_credential__api_version_must_match_the_request),
		cmocka_unit_test_setup_teardown(test_exec_plugin__runs_with_args_env_and_exec_info, make_tmp,
						remove_tmp),
		cmocka_unit_test_setup_teardown(test_exec_plugin__failure_names_the_plugin_and_its_last_line, make_tmp,
						remove_tmp),
		cmocka_unit_test_setup_teardown(test_exec_plugin__garbage_output_is_a_parse_error, make_tmp,
						remove_tmp),
		cmocka_unit_test_setup_teardown(test_exec_plugin__interrupt_stops_the_plugin_and_what_it_started,
						make_tmp, remove_tmp),
		cmocka_unit_test_setup_teardown(test_in_cluster__reads_the_service_account_folder, make_tmp,
						remove_tmp),
		cmocka_unit_test(test_status__403_names_user_verb_resource_namespace),
		cmocka_unit_test(test_status__404_names_the_secret_and_namespace),
		cmocka_unit_test(test_status__401_says_credentials_rejected),
		cmocka_unit_test(test_status__other_codes_carry_the_status_message),
		cmocka_unit_test(test_secret__values_are_decoded_byte_exact_and_sorted),
		cmocka_unit_test(test_secret__malformed_replies_are_parse_errors),
		cmocka_unit_test(test_secret__values_are_redacted_from_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
