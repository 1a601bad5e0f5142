/* dm-secrets: read a Kubernetes Secret (a component's, e.g. MinIO's keys, or any by name) and
 * hand it on as shell exports, JSON, an mc alias entry, or an alias in dm's alias file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dm/alias.h>
#include <dm/cli.h>
#include <dm/err.h>
#include <dm/json.h>
#include <dm/k8s.h>
#include <dm/log.h>
#include <dm/platform.h>
#include <dm/util.h>

#define DEFAULT_NAMESPACE "data-mill"

static const char help_head[] = "Usage: dm-secrets [OPTIONS] COMPONENT\n"
				"       dm-secrets [OPTIONS] --secret NAME\n"
				"Read a Kubernetes Secret and print it in the form the next tool wants.\n"
				"COMPONENT names its Secret and key names in\n"
				"COMPONENTS_DIR/COMPONENT/config.yaml (secret: {name: N, keys: {access_key: K,\n"
				"secret_key: K}, endpoint: URL}).\n";

static const char help_tail[] =
	"Secret values never appear in messages; the process refuses to dump core.\n" DM_CLI_EXIT_HELP;

enum {
	OPT_SECRET = DM_CLI_LONG_ONLY,
	OPT_ROOT,
	OPT_KEY,
	OPT_FORMAT,
	OPT_ALIAS,
	OPT_ENDPOINT,
	OPT_AK,
	OPT_SK,
	OPT_CDIR,
	OPT_KUBECONFIG,
	OPT_CONTEXT,
	OPT_IN_CLUSTER,
	OPT_JSON
};

static const dm_cli_option option_table[] = {
	{ 'n', "namespace", "NS",
	  "namespace of the Secret; default: the component's namespace, the flavour's project.k8s_namespace, the "
	  "context's, else data-mill",
	  0 },
	{ OPT_SECRET, "secret", "NAME", "read any Secret by name", 0 },
	{ OPT_KEY, "key", "K", "print one key's decoded value, raw, nothing else", 0 },
	{ OPT_FORMAT, "format", "FMT",
	  "env (default): shell-safe export lines of AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, with an "
	  "endpoint, AWS_ENDPOINT_URL and MC_HOST_<alias>; use as eval \"$(dm-secrets minio)\"\n"
	  "json: one object with every key of the Secret\n"
	  "mc: an alias entry for the MinIO client's config.json\n"
	  "alias: an entry for dm's alias file",
	  0 },
	{ OPT_JSON, "json", NULL,
	  "one JSON document (docs/json.md): the Secret's name, namespace, endpoint and key names, and its "
	  "values under \"data\" (with --key, that key's; with --alias, none)",
	  0 },
	{ OPT_ALIAS, "alias", "NAME",
	  "write the keys as alias NAME into dm's alias file (0600) for dm-seed; also the name used by MC_HOST_ "
	  "and the mc/alias formats",
	  0 },
	{ OPT_ENDPOINT, "endpoint", "URL", "the S3 endpoint of the keys (default: the component's endpoint)", 0 },
	{ OPT_AK, "access-key-field", "F", "the Secret key holding the access key", 0 },
	{ OPT_SK, "secret-key-field", "F",
	  "the Secret key holding the secret key (default: the component's, else the first pair present of "
	  "accesskey/secretkey, rootUser/rootPassword, root-user/root-password, "
	  "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, access_key/secret_key, accessKey/secretKey)",
	  0 },
	{ 'f', "flavour", "FILE",
	  "flavour file: the default namespace, and its settings of COMPONENT (default: $DM_FLAVOUR, else "
	  "flavours/default.yaml of the platform root when there is one)",
	  0 },
	DM_CLI_OPT_ROOT(OPT_ROOT, 0),
	{ OPT_CDIR, "components-dir", "DIR",
	  "folder of the component configs (default: the flavour's, the components/ at or above its folder; else "
	  "./components)",
	  0 },
	DM_CLI_OPT_KUBECONFIG(OPT_KUBECONFIG, 0),
	DM_CLI_OPT_CONTEXT(OPT_CONTEXT, 0),
	{ OPT_IN_CLUSTER, "in-cluster", NULL, "use the pod's service account", 0 },
	{ 'v', "verbose", NULL, "say what is read from where (repeat for debug); never values", 0 },
	DM_CLI_OPT_QUIET,
	DM_CLI_OPT_HELP,
	DM_CLI_OPT_VERSION,
	DM_CLI_END,
};

typedef struct {
	const char *component, *secret, *ns, *key, *format, *alias, *endpoint, *ak_field, *sk_field;
	const char *flavour, *root, *components_dir;
	dm_k8s_opts k8s;
	int verbosity, json;
} options;

/* What main holds, released in one place (run_release). */
typedef struct {
	dm_credentials comp;
	dm_flavour *flavour;
	dm_k8s_config *cfg;
	dm_k8s *client;
	dm_k8s_secret *sec;
	dm_k8s_current cur; /* the current target, when it is the cluster read: its endpoints */
	char *endpoint;
	const char *ns, *secret_name, *alias_name, *fmt;
	dm_buf out;
} run;

/* DM_CLI_GO_ON, or the exit code (--help, --version, misuse). */
static int parse_args(options *o, int argc, char **argv)
{
	dm_k8s_opts k8s_init = DM_K8S_OPTS_INIT;
	dm_cli_parser args;
	int opt;

	o->k8s = k8s_init;
	dm_cli_parser_init(&args, option_table, argc, argv);
	while ((opt = dm_cli_next(&args)) > 0) {
		switch (opt) {
		case 'n': o->ns = args.value; break;
		case OPT_SECRET: o->secret = args.value; break;
		case OPT_KEY: o->key = args.value; break;
		case OPT_FORMAT: o->format = args.value; break;
		case OPT_ALIAS: o->alias = args.value; break;
		case OPT_ENDPOINT: o->endpoint = args.value; break;
		case OPT_AK: o->ak_field = args.value; break;
		case OPT_SK: o->sk_field = args.value; break;
		case 'f': o->flavour = args.value; break;
		case OPT_ROOT: o->root = args.value; break;
		case OPT_CDIR: o->components_dir = args.value; break;
		case OPT_KUBECONFIG: o->k8s.kubeconfig = args.value; break;
		case OPT_CONTEXT: o->k8s.context = args.value; break;
		case OPT_IN_CLUSTER: o->k8s.in_cluster = 1; break;
		case OPT_JSON: o->json = 1; break;
		case 'v': o->verbosity = o->verbosity < 0 ? 1 : o->verbosity + 1; break;
		case 'q': o->verbosity = -1; break;
		case 'h': return dm_cli_help(help_head, option_table, help_tail);
		case 'V': return dm_cli_version();
		}
	}
	if (opt == DM_CLI_BAD)
		return DM_EXIT_USAGE;
	if (args.noperands > 0)
		o->component = args.operands[0];
	if (args.noperands > 1)
		return dm_cli_usage_error("unexpected argument '%s'", args.operands[1]);
	if (!o->component && !o->secret)
		return dm_cli_usage_error("name a COMPONENT or a Secret with --secret NAME");
	if (o->component && o->secret)
		return dm_cli_usage_error("give either COMPONENT or --secret NAME, not both");
	if (o->json && o->format)
		return dm_cli_usage_error("--json and --format both say what stdout carries: give one");
	if (o->key && (o->format || o->alias))
		return dm_cli_usage_error("--key prints one raw value; it does not go with --format or --alias");
	if (o->format && strcmp(o->format, "env") != 0 && strcmp(o->format, "json") != 0 &&
	    strcmp(o->format, "mc") != 0 && strcmp(o->format, "alias") != 0)
		return dm_cli_usage_error("unknown --format '%s' (env, json, mc or alias)", o->format);
	if (o->endpoint && dm_alias_check_url(o->endpoint))
		return dm_cli_usage_error("--endpoint '%s' must be http://HOST[:PORT] or https://HOST[:PORT]",
					  o->endpoint);
	/* the name dm-seed will look up: refused here when dm-seed could never resolve it */
	if (o->alias && dm_alias_check_name(o->alias))
		return dm_cli_usage_error("--alias: %s", dm_err_detail());
	if (o->k8s.in_cluster && (o->k8s.kubeconfig || o->k8s.context))
		return dm_cli_usage_error("--in-cluster does not go with --kubeconfig or --context");
	return DM_CLI_GO_ON;
}

/* ---- output ---------------------------------------------------------------------------------- */

/* A value that --format fmt cannot carry is refused, naming the way that can (--key). */
static dm_err need_text(const dm_k8s_secret *s, const dm_k8s_secret_item *it, const char *fmt)
{
	if (memchr(it->value, '\0', it->len))
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

/* --format json: every key of the Secret (only, when not NULL: that key), as an object at
 * the top (nested 0) or as the value of --json's "data" (nested 1, no final newline) */
static dm_err format_json(dm_buf *out, const dm_k8s_secret *s, const char *only, int nested)
{
	const char *sep = nested ? ",\n    " : ",\n  ";
	dm_err e = dm_buf_puts(out, "{");
	size_t n = 0;

	for (size_t i = 0; i < s->n && !e; i++) {
		if (only && strcmp(s->items[i].key, only) != 0)
			continue;
		if (!(e = need_text(s, &s->items[i], "json")) && !(e = dm_buf_puts(out, n++ ? sep : sep + 1)) &&
		    !(e = dm_json_put_string(out, s->items[i].key, strlen(s->items[i].key))) &&
		    !(e = dm_buf_puts(out, ": ")))
			e = dm_json_put_string(out, (const char *)s->items[i].value, s->items[i].len);
	}
	if (e)
		return e;
	return dm_buf_puts(out, !n ? (nested ? "}" : "}\n") : nested ? "\n  }" : "\n}\n");
}

/* The key pair as an alias named name (borrowed: valid while the Secret is). */
static dm_alias pair_alias(const char *name, char *endpoint, const dm_k8s_secret_item *ak, const dm_k8s_secret_item *sk)
{
	return (dm_alias){ .name = (char *)name,
			   .url = endpoint,
			   .access_key = (char *)ak->value,
			   .secret_key = (char *)sk->value };
}

/* ---- the run --------------------------------------------------------------------------------- */

/* The flavour, when there is one: a Secret by name needs no platform. */
static dm_err load_flavour(run *r, const options *o)
{
	int none;
	dm_err e = dm_flavour_choose(&r->flavour, o->root, o->flavour, &none);

	return none ? DM_OK : e;
}

/* Which Secret, in which namespace, with which endpoint, printed how. */
static dm_err choose_secret(run *r, const options *o)
{
	dm_err e;

	if (o->component) {
		dm_credentials_opts co = { .flavour = r->flavour,
					   .components_dir = o->components_dir,
					   .component = o->component,
					   .ns = o->ns,
					   .ns_default = r->cfg->ns ? r->cfg->ns : DEFAULT_NAMESPACE,
					   .hint = "use --components-dir DIR, or --secret NAME" };

		if ((e = dm_component_credentials(&r->comp, &co)) != DM_OK)
			return e;
		dm_info("component '%s': Secret '%s' (from '%s')", o->component, r->comp.secret, r->comp.file);
		r->ns = r->comp.ns;
	} else {
		r->ns = o->ns        ? o->ns
			: r->flavour ? dm_flavour_project(r->flavour)->k8s_namespace
			: r->cfg->ns ? r->cfg->ns
				     : DEFAULT_NAMESPACE;
	}
	r->secret_name = o->secret ? o->secret : r->comp.secret;
	r->alias_name = o->alias ? o->alias : o->component ? o->component : r->secret_name;
	r->fmt = o->format ? o->format : o->alias || o->key || o->json ? NULL : "env";
	if (o->endpoint || (r->comp.endpoint && *r->comp.endpoint)) {
		size_t n;

		if (!(r->endpoint = strdup(o->endpoint ? o->endpoint : r->comp.endpoint)))
			return dm_nomem();
		for (n = strlen(r->endpoint); n > 8 && r->endpoint[n - 1] == '/';)
			r->endpoint[--n] = '\0';
	}
	if ((o->alias || (r->fmt && (strcmp(r->fmt, "mc") == 0 || strcmp(r->fmt, "alias") == 0))) && !r->endpoint)
		return dm_fail(DM_ERR_USAGE, "%s needs the S3 endpoint: give --endpoint URL%s",
			       o->alias ? "--alias" : r->fmt, o->component ? " (the component config has none)" : "");
	return DM_OK;
}

static dm_err read_secret(run *r, const options *o)
{
	dm_k8s_opts ko = o->k8s;
	dm_err e;

	if (!(e = dm_cli_k8s_choose(&ko, &r->cur)))
		e = dm_k8s_config_load(&r->cfg, &ko);
	if (e != DM_OK)
		return e;
	if (r->cfg->context)
		dm_info("using context '%s' (cluster '%s', user '%s') from %s", r->cfg->context, r->cfg->cluster,
			r->cfg->user ? r->cfg->user : "", r->cfg->source);
	else
		dm_info("using the in-cluster service account (%s)", r->cfg->server);
	if ((e = choose_secret(r, o)) != DM_OK || (e = dm_k8s_new(&r->client, r->cfg)) != DM_OK)
		return e;
	dm_info("reading secret \"%s\" in namespace \"%s\" from %s", r->secret_name, r->ns, r->cfg->server);
	if ((e = dm_k8s_get_secret(r->client, r->ns, r->secret_name, &r->sec)) != DM_OK)
		return e;
	dm_info("secret \"%s\": %zu key(s)", r->secret_name, r->sec->n);
	return DM_OK;
}

/* --key K: the raw value */
static dm_err one_key(run *r, const char *key)
{
	const dm_k8s_secret_item *it = dm_k8s_secret_find(r->sec, key);
	dm_buf keys = DM_BUF_INIT;
	dm_err e;

	if (it)
		return dm_buf_append(&r->out, it->value, it->len);
	e = dm_k8s_secret_keys(r->sec, &keys)
		    ? dm_nomem()
		    : dm_fail(DM_ERR_NOTFOUND, "secret \"%s\" in namespace \"%s\" has no key '%s' (keys: %s)",
			      r->secret_name, r->ns, key, dm_buf_str(&keys));
	dm_buf_release(&keys);
	return e;
}

/* --format env: which endpoint goes out (declared: by the current target, for service), and a
 * hint when this machine cannot reach it as it is. */
static void say_endpoint(const dm_alias *a, const run *r, const char *service, int verbosity)
{
	if (!a->url)
		return;
	if (verbosity >= 0 && service)
		fprintf(stderr, "dm-secrets: exporting AWS_ENDPOINT_URL=%s (Service %s, declared by target %s)\n",
			a->url, service, r->cur.target ? r->cur.target : "(unnamed)");
	else if (verbosity >= 0)
		fprintf(stderr, "dm-secrets: exporting AWS_ENDPOINT_URL=%s\n", a->url);
	switch (dm_alias_reachability(a)) {
	case DM_REACH_IN_CLUSTER:
		dm_warn("%s is a name inside the cluster: dm-seed reaches it through a port-forward of the "
			"current cluster; other S3 clients need one of their own (kubectl port-forward), or "
			"the target's endpoints: for the Service",
			a->url);
		break;
	case DM_REACH_LOOPBACK_SHUT:
		dm_warn("nothing listens on %s here: start the port-forward or proxy it needs first", a->url);
		break;
	case DM_REACH_OK: break;
	}
}

/* --alias with an in-cluster endpoint: the alias names the Secret, not the keys (dm-seed reads
 * them, and reaches the Service as the target in use says, at each run). */
static dm_err save_alias(const run *r, const options *o, dm_alias *pair, const char *akf, const char *skf,
			 const char *declared)
{
	char *path = dm_alias_file_path();
	char *svc_ns = NULL, *svc = NULL;
	int port, in_cluster = dm_k8s_service_of_url(r->endpoint, &svc_ns, &svc, &port);
	dm_alias *ref = NULL;
	dm_err e;

	pair->name = (char *)o->alias;
	pair->region = (char *)"us-east-1";
	pair->source = "dm-secrets";
	pair->url = r->endpoint;
	e = in_cluster ? dm_alias_of_secret(&ref, o->alias, r->endpoint, r->secret_name, r->ns, akf, skf, "dm-secrets")
		       : DM_OK;
	if (!e)
		e = dm_alias_save(NULL, ref ? ref : pair);
	if (!e && o->verbosity >= 0)
		fprintf(stderr, "dm-secrets: alias '%s' (%s%s%s%s%s%s%s%s%s) written to '%s'\n", o->alias, r->endpoint,
			in_cluster ? "; keys read from Secret " : "", in_cluster ? r->ns : "", in_cluster ? "/" : "",
			in_cluster ? r->secret_name : "", declared ? "; reached at " : "", declared ? declared : "",
			declared ? ", declared by target " : "", declared && r->cur.target ? r->cur.target : "",
			path ? path : "the alias file");
	dm_alias_free(ref);
	free(svc_ns);
	free(svc);
	free(path);
	return e;
}

static dm_err key_pair(run *r, const options *o)
{
	const dm_k8s_secret_item *ak, *sk;
	const char *akf = o->ak_field ? o->ak_field : r->comp.access_key;
	const char *skf = o->sk_field ? o->sk_field : r->comp.secret_key;
	const char *fmt = r->fmt && strcmp(r->fmt, "json") != 0 ? r->fmt : "alias";
	const char *declared;
	char *service = NULL;
	dm_alias a;
	dm_err e;

	if (r->fmt && strcmp(r->fmt, "json") == 0 && !o->alias)
		return format_json(&r->out, r->sec, NULL, 0);
	if ((e = dm_k8s_secret_pair(r->sec, akf, skf, &ak, &sk)) != DM_OK)
		return akf || skf ? e
				  : dm_fail(e, "%s; name them with --access-key-field and --secret-key-field",
					    dm_err_detail());
	dm_info("access key from '%s', secret key from '%s'", ak->key, sk->key);
	if ((e = need_text(r->sec, ak, fmt)) != DM_OK || (e = need_text(r->sec, sk, fmt)) != DM_OK)
		return e;
	if (o->alias &&
	    ((e = need_text(r->sec, ak, "alias")) != DM_OK || (e = need_text(r->sec, sk, "alias")) != DM_OK))
		return e;
	a = pair_alias(r->alias_name, r->endpoint, ak, sk);
	/* what other S3 clients read (env, mc) goes to the endpoint the target declares; an alias of
	 * dm's file keeps the Service's name, which dm-seed maps at each run */
	declared = r->endpoint ? dm_alias_declared_endpoint(&a, &r->cur, &service) : NULL;
	if (declared && r->fmt && (!strcmp(r->fmt, "env") || !strcmp(r->fmt, "mc")))
		a.url = (char *)declared;
	if (r->fmt)
		e = strcmp(r->fmt, "json") == 0  ? format_json(&r->out, r->sec, NULL, 0)
		    : strcmp(r->fmt, "env") == 0 ? dm_alias_export(&r->out, &a, DM_ALIAS_EXPORT_ENV)
		    : strcmp(r->fmt, "mc") == 0  ? dm_alias_export(&r->out, &a, DM_ALIAS_EXPORT_MC)
						 : dm_alias_export(&r->out, &a, DM_ALIAS_EXPORT_FILE);
	if (!e && r->fmt && !strcmp(r->fmt, "env"))
		say_endpoint(&a, r, declared ? service : NULL, o->verbosity);
	if (!e && o->alias)
		e = save_alias(r, o, &a, ak->key, sk->key, declared);
	free(service);
	return e;
}

static void run_release(run *r)
{
	dm_buf_release(&r->out);
	dm_k8s_secret_free(r->sec);
	dm_k8s_free(r->client);
	dm_k8s_config_free(r->cfg);
	dm_k8s_current_release(&r->cur);
	dm_credentials_release(&r->comp);
	dm_flavour_free(r->flavour);
	free(r->endpoint);
}

/* What stdout carries: the raw value of --key, the forms of --format, the alias written; with
 * --json, print_json does it (here only a missing --key is said). */
static dm_err take(run *r, const options *o)
{
	if (o->key && (!o->json || !dm_k8s_secret_find(r->sec, o->key)))
		return one_key(r, o->key);
	if (o->key || (o->json && !o->alias))
		return DM_OK;
	return key_pair(r, o);
}

/* --json: what was read, and the values asked for (not through jansson: see dm_json_print_raw). */
static dm_err print_json(run *r, const options *o)
{
	json_t *doc = json_object(), *keys = json_array();
	char *path = NULL;
	dm_err e = DM_OK;

	for (size_t i = 0; i < r->sec->n; i++)
		json_array_append_new(keys, json_string(r->sec->items[i].key));
	json_object_set_new(doc, "component", o->component ? json_string(o->component) : json_null());
	json_object_set_new(doc, "secret", json_string(r->secret_name));
	json_object_set_new(doc, "namespace", json_string(r->ns));
	json_object_set_new(doc, "endpoint", r->endpoint ? json_string(r->endpoint) : json_null());
	json_object_set_new(doc, "keys", keys);
	if (o->alias) {
		path = dm_alias_file_path();
		json_object_set_new(doc, "alias", json_pack("{s:s, s:s?}", "name", o->alias, "file", path));
		free(path);
		return dm_cli_json_print(doc, DM_EXIT_OK) ? DM_ERR_IO : DM_OK;
	}
	json_object_set_new(doc, "alias", json_null());
	if ((e = format_json(&r->out, r->sec, o->key, 1))) {
		json_decref(doc);
		return e;
	}
	return dm_cli_json_print_raw(doc, DM_EXIT_OK, "data", r->out.data, r->out.len) ? DM_ERR_IO : DM_OK;
}

int main(int argc, char **argv)
{
	options o = { 0 };
	run r = { .out = DM_BUF_INIT };
	int code;
	dm_err e;

	dm_cli_init("dm-secrets");
	if (dm_cli_argv_has(argc, argv, "--json")) /* a usage error is a document too */
		dm_cli_json_set(DM_CLI_JSON_DOC);
	if ((code = parse_args(&o, argc, argv)) != DM_CLI_GO_ON)
		return dm_cli_finish(code);
	dm_cli_set_verbosity(o.verbosity);
	/* kubeconfig tokens and keys are secrets too: no core from here on */
	dm_cli_no_core();

	if ((e = load_flavour(&r, &o)) || (e = read_secret(&r, &o)) || (e = take(&r, &o)))
		code = e == DM_ERR_USAGE ? dm_cli_usage_error("%s", dm_err_detail()) : dm_cli_fail(e);
	else if (o.json)
		code = (e = print_json(&r, &o)) == DM_OK ? DM_EXIT_OK : e == DM_ERR_IO ? DM_EXIT_FAIL : dm_cli_fail(e);
	else if (r.out.len && fwrite(r.out.data, 1, r.out.len, stdout) != r.out.len)
		code = (dm_cli_close_stdout(DM_EXIT_OK), DM_EXIT_FAIL); /* it says why */
	else
		code = DM_EXIT_OK;
	code = dm_cli_finish(code);
	run_release(&r);
	dm_log_forget_secrets();
	return code;
}
