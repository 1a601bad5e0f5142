/* dm-secrets: read a Kubernetes Secret (a component's, e.g. MinIO's keys, or any by name) and
 * hand it on as shell exports, JSON, an mc alias entry, or an alias in dm's alias file. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dm/alias.h>
#include <dm/cli.h>
#include <dm/err.h>
#include <dm/k8s.h>
#include <dm/log.h>
#include <dm/platform.h>
#include <dm/util.h>

#define DEFAULT_NAMESPACE "data-mill"

static const char usage_text[] =
	"Usage: dm-secrets [OPTIONS] COMPONENT\n"
	"       dm-secrets [OPTIONS] --secret NAME\n"
	"Read a Kubernetes Secret and print it in the form the next tool wants.\n"
	"COMPONENT names its Secret and key names in COMPONENTS_DIR/COMPONENT/config.yaml\n"
	"(secret: {name: N, keys: {access_key: K, secret_key: K}, endpoint: URL}).\n"
	"\n"
	"  -n, --namespace NS          namespace of the Secret; default: the component's namespace,\n"
	"                              the flavour's project.k8s_namespace, the context's, else data-mill\n"
	"      --secret NAME           read any Secret by name\n"
	"      --key K                 print one key's decoded value, raw, nothing else\n"
	"      --format FMT            env (default): shell-safe export lines of AWS_ACCESS_KEY_ID,\n"
	"                                AWS_SECRET_ACCESS_KEY and, with an endpoint, AWS_ENDPOINT_URL\n"
	"                                and MC_HOST_<alias>; use as eval \"$(dm-secrets minio)\"\n"
	"                              json: one object with every key of the Secret\n"
	"                              mc: an alias entry for the MinIO client's config.json\n"
	"                              alias: an entry for dm's alias file\n"
	"      --alias NAME            write the keys as alias NAME into dm's alias file (0600) for\n"
	"                              dm-seed; also the name used by MC_HOST_ and the mc/alias formats\n"
	"      --endpoint URL          the S3 endpoint of the keys (default: the component's endpoint)\n"
	"      --access-key-field F    the Secret key holding the access key\n"
	"      --secret-key-field F    the Secret key holding the secret key\n"
	"                              (default: the component's, else the first pair present of\n"
	"                              accesskey/secretkey, rootUser/rootPassword, root-user/root-password,\n"
	"                              AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, access_key/secret_key,\n"
	"                              accessKey/secretKey)\n"
	"  -f, --flavour FILE          flavour file: the default namespace, and its settings of\n"
	"                              COMPONENT (default: $DM_FLAVOUR, else flavours/default.yaml\n"
	"                              when present)\n"
	"      --components-dir DIR    folder of the component configs (default: the flavour's, the\n"
	"                              components/ at or above its folder; else ./components)\n"
	"      --kubeconfig FILE       kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config,\n"
	"                              else, in a pod, its service account)\n"
	"      --context CTX           kubeconfig context (default: current-context)\n"
	"      --in-cluster            use the pod's service account\n"
	"  -v, --verbose               say what is read from where (repeat for debug); never values\n"
	"  -q, --quiet                 errors only\n"
	"  -h, --help                  this help\n"
	"\n"
	"Secret values never appear in messages; the process refuses to dump core.\n" DM_CLI_EXIT_HELP;

enum {
	OPT_SECRET = 256,
	OPT_KEY,
	OPT_FORMAT,
	OPT_ALIAS,
	OPT_ENDPOINT,
	OPT_AK,
	OPT_SK,
	OPT_CDIR,
	OPT_KUBECONFIG,
	OPT_CONTEXT,
	OPT_IN_CLUSTER
};

static const struct option long_opts[] = {
	{ "namespace", required_argument, NULL, 'n' },
	{ "secret", required_argument, NULL, OPT_SECRET },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "alias", required_argument, NULL, OPT_ALIAS },
	{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
	{ "access-key-field", required_argument, NULL, OPT_AK },
	{ "secret-key-field", required_argument, NULL, OPT_SK },
	{ "flavour", required_argument, NULL, 'f' },
	{ "components-dir", required_argument, NULL, OPT_CDIR },
	{ "kubeconfig", required_argument, NULL, OPT_KUBECONFIG },
	{ "context", required_argument, NULL, OPT_CONTEXT },
	{ "in-cluster", no_argument, NULL, OPT_IN_CLUSTER },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

typedef struct {
	const char *component, *secret, *ns, *key, *format, *alias, *endpoint, *ak_field, *sk_field;
	const char *flavour, *components_dir;
	dm_k8s_opts k8s;
	int verbosity;
} options;

static const char *const common_pairs[][2] = {
	{ "accesskey", "secretkey" },     { "rootUser", "rootPassword" },
	{ "root-user", "root-password" }, { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY" },
	{ "access_key", "secret_key" },   { "accessKey", "secretKey" },
};

/* ---- output ---------------------------------------------------------------------------------- */

static int has_nul(const dm_k8s_secret_item *it)
{
	return memchr(it->value, '\0', it->len) != NULL;
}

static void put_shell_quoted(dm_buf *b, const unsigned char *v, size_t n)
{
	dm_buf_puts(b, "'");
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\'')
			dm_buf_puts(b, "'\\''");
		else
			dm_buf_append(b, &v[i], 1);
	}
	dm_buf_puts(b, "'");
}

static void put_json_string(dm_buf *b, const char *v, size_t n)
{
	dm_buf_puts(b, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];

		switch (ch) {
		case '"': dm_buf_puts(b, "\\\""); break;
		case '\\': dm_buf_puts(b, "\\\\"); break;
		case '\n': dm_buf_puts(b, "\\n"); break;
		case '\r': dm_buf_puts(b, "\\r"); break;
		case '\t': dm_buf_puts(b, "\\t"); break;
		default:
			if (ch < 0x20 || ch == 0x7f)
				dm_buf_printf(b, "\\u%04x", ch);
			else
				dm_buf_append(b, &ch, 1);
		}
	}
	dm_buf_puts(b, "\"");
}

static int env_name_ok(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static dm_err need_text(const dm_k8s_secret *s, const dm_k8s_secret_item *it, const char *fmt)
{
	if (has_nul(it))
		return dm_fail(DM_ERR_INVALID,
			       "the value of key '%s' in secret \"%s\" holds a NUL byte, which "
			       "--format %s cannot carry; use --key %s",
			       it->key, s->name, fmt, it->key);
	if (strcmp(fmt, "env") != 0 && !dm_utf8_valid((const char *)it->value, it->len))
		return dm_fail(DM_ERR_INVALID,
			       "the value of key '%s' in secret \"%s\" is not UTF-8 text, which "
			       "--format %s cannot carry; use --key %s",
			       it->key, s->name, fmt, it->key);
	return DM_OK;
}

static dm_err find_pair(const dm_k8s_secret *s, const char *akf, const char *skf, const dm_k8s_secret_item **ak,
			const dm_k8s_secret_item **sk)
{
	dm_buf keys = DM_BUF_INIT;
	dm_err e;

	*ak = *sk = NULL;
	if (akf || skf) {
		if (akf && !(*ak = dm_k8s_secret_find(s, akf)))
			goto missing;
		if (skf && !(*sk = dm_k8s_secret_find(s, skf)))
			goto missing;
		if (!akf || !skf) {
			/* one named, the other from the common spellings */
			for (size_t i = 0; i < sizeof(common_pairs) / sizeof(common_pairs[0]); i++) {
				if (!akf && strcmp(common_pairs[i][1], skf) == 0)
					*ak = dm_k8s_secret_find(s, common_pairs[i][0]);
				if (!skf && strcmp(common_pairs[i][0], akf) == 0)
					*sk = dm_k8s_secret_find(s, common_pairs[i][1]);
			}
			if (!*ak || !*sk)
				goto missing;
		}
		return DM_OK;
	}
	for (size_t i = 0; i < sizeof(common_pairs) / sizeof(common_pairs[0]); i++) {
		*ak = dm_k8s_secret_find(s, common_pairs[i][0]);
		*sk = dm_k8s_secret_find(s, common_pairs[i][1]);
		if (*ak && *sk)
			return DM_OK;
	}
missing:
	*ak = *sk = NULL;
	for (size_t i = 0; i < s->n; i++)
		dm_buf_printf(&keys, "%s%s", i ? ", " : "", s->items[i].key);
	if (akf || skf)
		e = dm_fail(DM_ERR_NOTFOUND, "secret \"%s\" has no key '%s' (keys: %s)", s->name,
			    akf && !dm_k8s_secret_find(s, akf) ? akf
			    : skf                              ? skf
							       : "?",
			    s->n ? dm_buf_str(&keys) : "none");
	else
		e = dm_fail(DM_ERR_NOTFOUND,
			    "secret \"%s\" holds no access/secret key pair of a known spelling "
			    "(keys: %s); name them with --access-key-field and --secret-key-field",
			    s->name, s->n ? dm_buf_str(&keys) : "none");
	dm_buf_release(&keys);
	return e;
}

static dm_err format_output(dm_buf *out, const char *fmt, const dm_k8s_secret *s, const dm_k8s_secret_item *ak,
			    const dm_k8s_secret_item *sk, const char *endpoint, const char *alias)
{
	dm_err e;

	if (strcmp(fmt, "json") == 0) {
		for (size_t i = 0; i < s->n; i++)
			if ((e = need_text(s, &s->items[i], fmt)) != DM_OK)
				return e;
		dm_buf_puts(out, "{");
		for (size_t i = 0; i < s->n; i++) {
			dm_buf_puts(out, i ? ",\n  " : "\n  ");
			put_json_string(out, s->items[i].key, strlen(s->items[i].key));
			dm_buf_puts(out, ": ");
			put_json_string(out, (const char *)s->items[i].value, s->items[i].len);
		}
		dm_buf_puts(out, s->n ? "\n}\n" : "}\n");
		return DM_OK;
	}
	if ((e = need_text(s, ak, fmt)) != DM_OK || (e = need_text(s, sk, fmt)) != DM_OK)
		return e;
	if (strcmp(fmt, "env") == 0) {
		dm_buf_puts(out, "export AWS_ACCESS_KEY_ID=");
		put_shell_quoted(out, ak->value, ak->len);
		dm_buf_puts(out, "\nexport AWS_SECRET_ACCESS_KEY=");
		put_shell_quoted(out, sk->value, sk->len);
		dm_buf_puts(out, "\n");
		if (endpoint) {
			dm_buf_puts(out, "export AWS_ENDPOINT_URL=");
			put_shell_quoted(out, (const unsigned char *)endpoint, strlen(endpoint));
			dm_buf_puts(out, "\n");
			if (env_name_ok(alias)) {
				dm_buf mc = DM_BUF_INIT;
				dm_alias a = { .name = (char *)alias,
					       .url = (char *)endpoint,
					       .access_key = (char *)ak->value,
					       .secret_key = (char *)sk->value };

				if ((e = dm_alias_url(&mc, &a)) == DM_OK) {
					dm_buf_printf(out, "export MC_HOST_%s=", alias);
					put_shell_quoted(out, (const unsigned char *)dm_buf_str(&mc), mc.len);
					dm_buf_puts(out, "\n");
				}
				dm_buf_release(&mc);
				return e;
			} else {
				dm_warn("'%s' cannot be part of an environment variable name: no MC_HOST_ line "
					"(choose a name with --alias)",
					alias);
			}
		}
		return DM_OK;
	}
	if (strcmp(fmt, "mc") == 0) {
		dm_buf_puts(out, "{\n  ");
		put_json_string(out, alias, strlen(alias));
		dm_buf_puts(out, ": {\n    \"url\": ");
		put_json_string(out, endpoint, strlen(endpoint));
		dm_buf_puts(out, ",\n    \"accessKey\": ");
		put_json_string(out, (const char *)ak->value, ak->len);
		dm_buf_puts(out, ",\n    \"secretKey\": ");
		put_json_string(out, (const char *)sk->value, sk->len);
		dm_buf_puts(out, ",\n    \"api\": \"s3v4\",\n    \"path\": \"auto\"\n  }\n}\n");
		return DM_OK;
	}
	/* alias: an entry of dm's alias file, written by the alias file's own writer */
	{
		dm_alias a = { .name = (char *)alias,
			       .url = (char *)endpoint,
			       .access_key = (char *)ak->value,
			       .secret_key = (char *)sk->value };

		return dm_alias_format(out, &a);
	}
}

int main(int argc, char **argv)
{
	options o = { 0 };
	dm_k8s_opts k8s_init = DM_K8S_OPTS_INIT;
	dm_credentials comp = { 0 };
	dm_flavour *flavour = NULL;
	dm_k8s_config *cfg = NULL;
	dm_k8s *client = NULL;
	dm_k8s_secret *sec = NULL;
	const dm_k8s_secret_item *ak = NULL, *sk = NULL;
	char *endpoint = NULL;
	const char *ns, *secret_name, *alias_name, *fmt;
	dm_buf out = DM_BUF_INIT;
	int opt, code = DM_EXIT_OK, need_pair;
	dm_err e = DM_OK;
	dm_cli_init("dm-secrets");
	o.k8s = k8s_init;
	while ((opt = getopt_long(argc, argv, ":n:f:vqh", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'n': o.ns = optarg; break;
		case OPT_SECRET: o.secret = optarg; break;
		case OPT_KEY: o.key = optarg; break;
		case OPT_FORMAT: o.format = optarg; break;
		case OPT_ALIAS: o.alias = optarg; break;
		case OPT_ENDPOINT: o.endpoint = optarg; break;
		case OPT_AK: o.ak_field = optarg; break;
		case OPT_SK: o.sk_field = optarg; break;
		case 'f': o.flavour = optarg; break;
		case OPT_CDIR: o.components_dir = optarg; break;
		case OPT_KUBECONFIG: o.k8s.kubeconfig = optarg; break;
		case OPT_CONTEXT: o.k8s.context = optarg; break;
		case OPT_IN_CLUSTER: o.k8s.in_cluster = 1; break;
		case 'v': o.verbosity = o.verbosity < 0 ? 1 : o.verbosity + 1; break;
		case 'q': o.verbosity = -1; break;
		case 'h': fputs(usage_text, stdout); return dm_cli_close_stdout(DM_EXIT_OK);
		default: return dm_cli_bad_option(opt, argv);
		}
	}
	dm_cli_set_verbosity(o.verbosity);
	if (optind < argc)
		o.component = argv[optind++];
	if (optind < argc)
		return dm_cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!o.component && !o.secret)
		return dm_cli_usage_error("name a COMPONENT or a Secret with --secret NAME");
	if (o.component && o.secret)
		return dm_cli_usage_error("give either COMPONENT or --secret NAME, not both");
	if (o.key && (o.format || o.alias))
		return dm_cli_usage_error("--key prints one raw value; it does not go with --format or --alias");
	if (o.format && strcmp(o.format, "env") != 0 && strcmp(o.format, "json") != 0 && strcmp(o.format, "mc") != 0 &&
	    strcmp(o.format, "alias") != 0)
		return dm_cli_usage_error("unknown --format '%s' (env, json, mc or alias)", o.format);
	if (o.endpoint && dm_alias_check_url(o.endpoint))
		return dm_cli_usage_error("--endpoint '%s' must be http://HOST[:PORT] or https://HOST[:PORT]",
					  o.endpoint);
	/* the name dm-seed will look up: refused here when dm-seed could never resolve it */
	if (o.alias && dm_alias_check_name(o.alias))
		return dm_cli_usage_error("--alias: %s", dm_err_detail());
	if (o.k8s.in_cluster && (o.k8s.kubeconfig || o.k8s.context))
		return dm_cli_usage_error("--in-cluster does not go with --kubeconfig or --context");

	/* kubeconfig tokens and keys are secrets too: no core from here on */
	dm_cli_no_core();

	{
		int implicit;
		const char *path = dm_flavour_path(o.flavour, &implicit);

		/* flavours/default.yaml only when present: a Secret by name needs no platform */
		if (!implicit || access(path, F_OK) == 0) {
			if (access(path, F_OK) != 0) {
				e = dm_fail(DM_ERR_CONFIG, "flavour '%s' does not exist", path);
				goto fail;
			}
			if ((e = dm_flavour_load(&flavour, path)) != DM_OK)
				goto fail;
		}
	}

	if ((e = dm_k8s_config_load(&cfg, &o.k8s)) != DM_OK)
		goto fail;
	if (cfg->context)
		dm_info("using context '%s' (cluster '%s', user '%s') from %s", cfg->context, cfg->cluster,
			cfg->user ? cfg->user : "", cfg->source);
	else
		dm_info("using the in-cluster service account (%s)", cfg->server);

	if (o.component) {
		dm_credentials_opts co = { .flavour = flavour,
					   .components_dir = o.components_dir,
					   .component = o.component,
					   .ns = o.ns,
					   .ns_default = cfg->ns ? cfg->ns : DEFAULT_NAMESPACE,
					   .hint = "use --components-dir DIR, or --secret NAME" };

		if ((e = dm_component_credentials(&comp, &co)) != DM_OK)
			goto fail;
		dm_info("component '%s': Secret '%s' (from '%s')", o.component, comp.secret, comp.file);
		ns = comp.ns;
	} else {
		ns = o.ns      ? o.ns
		     : flavour ? dm_flavour_project(flavour)->k8s_namespace
		     : cfg->ns ? cfg->ns
			       : DEFAULT_NAMESPACE;
	}
	secret_name = o.secret ? o.secret : comp.secret;
	alias_name = o.alias ? o.alias : o.component ? o.component : secret_name;
	fmt = o.format ? o.format : o.alias ? NULL : o.key ? NULL : "env";

	if (o.endpoint)
		endpoint = strdup(o.endpoint);
	else if (comp.endpoint && *comp.endpoint)
		endpoint = strdup(comp.endpoint);
	if (endpoint) {
		size_t n = strlen(endpoint);

		while (n > 8 && endpoint[n - 1] == '/')
			endpoint[--n] = '\0';
	}
	if ((o.alias || (fmt && (strcmp(fmt, "mc") == 0 || strcmp(fmt, "alias") == 0))) && !endpoint) {
		code = dm_cli_usage_error("%s needs the S3 endpoint: give --endpoint URL%s", o.alias ? "--alias" : fmt,
					  o.component ? " (the component config has none)" : "");
		goto done;
	}

	if ((e = dm_k8s_new(&client, cfg)) != DM_OK)
		goto fail;
	dm_info("reading secret \"%s\" in namespace \"%s\" from %s", secret_name, ns, cfg->server);
	if ((e = dm_k8s_get_secret(client, ns, secret_name, &sec)) != DM_OK)
		goto fail;
	dm_info("secret \"%s\": %zu key(s)", secret_name, sec->n);

	if (o.key) {
		const dm_k8s_secret_item *it = dm_k8s_secret_find(sec, o.key);

		if (!it) {
			dm_buf keys = DM_BUF_INIT;

			for (size_t i = 0; i < sec->n; i++)
				dm_buf_printf(&keys, "%s%s", i ? ", " : "", sec->items[i].key);
			e = dm_fail(DM_ERR_NOTFOUND, "secret \"%s\" in namespace \"%s\" has no key '%s' (keys: %s)",
				    secret_name, ns, o.key, sec->n ? dm_buf_str(&keys) : "none");
			dm_buf_release(&keys);
			goto fail;
		}
		if (it->len && fwrite(it->value, 1, it->len, stdout) != it->len) {
			code = dm_cli_close_stdout(DM_EXIT_OK);
			code = code ? code : DM_EXIT_FAIL;
			goto done;
		}
		code = dm_cli_close_stdout(DM_EXIT_OK);
		goto done;
	}

	need_pair = o.alias || (fmt && strcmp(fmt, "json") != 0);
	if (need_pair && (e = find_pair(sec, o.ak_field ? o.ak_field : comp.access_key,
					o.sk_field ? o.sk_field : comp.secret_key, &ak, &sk)) != DM_OK)
		goto fail;
	if (need_pair)
		dm_info("access key from '%s', secret key from '%s'", ak->key, sk->key);

	if (fmt) {
		if ((e = format_output(&out, fmt, sec, ak, sk, endpoint, alias_name)) != DM_OK)
			goto fail;
	}
	if (o.alias) {
		dm_alias a = { 0 };
		char *path = dm_alias_file_path();

		if ((e = need_text(sec, ak, "alias")) != DM_OK || (e = need_text(sec, sk, "alias")) != DM_OK) {
			free(path);
			goto fail;
		}
		a.name = (char *)o.alias;
		a.url = endpoint;
		a.access_key = (char *)ak->value;
		a.secret_key = (char *)sk->value;
		a.region = (char *)"us-east-1";
		a.source = "dm-secrets";
		e = dm_alias_save(NULL, &a);
		if (e == DM_OK && o.verbosity >= 0)
			fprintf(stderr, "dm-secrets: alias '%s' (%s) written to '%s'\n", o.alias, endpoint,
				path ? path : "the alias file");
		free(path);
		if (e != DM_OK)
			goto fail;
	}
	if (out.len && fwrite(out.data, 1, out.len, stdout) != out.len) {
		code = dm_cli_close_stdout(DM_EXIT_OK);
		code = code ? code : DM_EXIT_FAIL;
		goto done;
	}
	code = dm_cli_close_stdout(DM_EXIT_OK);
	goto done;
fail:
	code = dm_cli_fail(e);
done:
	dm_buf_release(&out);
	dm_k8s_secret_free(sec);
	dm_k8s_free(client);
	dm_k8s_config_free(cfg);
	dm_credentials_release(&comp);
	dm_flavour_free(flavour);
	free(endpoint);
	dm_log_forget_secrets();
	return code;
}
