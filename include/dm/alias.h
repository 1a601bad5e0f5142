/* dm/alias.h - S3 aliases: where a name like "minio" points and with which keys.
 *
 * Resolution order for dm_alias_resolve(NAME):
 *   1. MC_HOST_<NAME>=http(s)://ACCESS:SECRET[:TOKEN]@host:port  (the MinIO client's convention)
 *   2. dm's alias file: $DM_ALIASES, else $XDG_CONFIG_HOME/dm/aliases.yaml, else ~/.config/dm/aliases.yaml
 *   3. the MinIO client's ~/.mc/config.json (or $MC_CONFIG_DIR/config.json) aliases
 *   4. for NAME "s3" only: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
 *      AWS_ENDPOINT_URL (default https://s3.amazonaws.com), AWS_REGION / AWS_DEFAULT_REGION
 *
 * An alias name is 1 to 200 bytes of UTF-8 without '/' (dm-seed's target is
 * ALIAS/BUCKET/PREFIX), '=' (MC_HOST_<name> could not be looked up) or control
 * characters.  An alias url is http(s)://HOST[:PORT], trailing '/' allowed: no
 * credentials, path, query or fragment, whichever source it comes from.
 *
 * The alias file (YAML, mode 0600, replaced atomically on write, under a lock):
 *   aliases:
 *     minio:
 *       url: http://127.0.0.1:9000
 *       access_key: AKIA...
 *       secret_key: ...
 *       session_token: ...      # optional
 *       region: us-east-1       # optional, default us-east-1
 *     lake:                     # keys read from the cluster at each use (dm_alias_connect)
 *       url: http://minio.data-mill.svc.cluster.local:9000
 *       secret: minio-credentials
 *       namespace: data-mill
 *       access_key_field: rootUser      # optional: the common spellings otherwise
 *       secret_key_field: rootPassword
 */
#ifndef DM_ALIAS_H
#define DM_ALIAS_H

#include <dm/err.h>
#include <dm/k8s.h>
#include <dm/util.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
	char *name;
	char *url; /* scheme://host[:port], no trailing slash, no credentials */
	char *access_key;
	char *secret_key;
	char *session_token; /* NULL when none */
	char *region;        /* never NULL after resolve: default "us-east-1" */
	const char *source;  /* static text: "MC_HOST_ environment", "alias file", "mc config", "AWS_* environment" */
	/* An alias of the alias file may name, instead of its keys, the Secret of the cluster that
	 * holds them (dm-secrets --alias on a component): access_key and secret_key are then ""
	 * until dm_alias_connect reads them. */
	char *secret;           /* the Secret, or NULL */
	char *secret_ns;        /* its namespace */
	char *access_key_field; /* its keys (NULL: the common spellings, dm_k8s_secret_pair) */
	char *secret_key_field;
} dm_alias;

/* Resolves name as above. *out is the caller's: dm_alias_free(). The keys are
 * registered with the log redactor.  An unknown alias is DM_ERR_CONFIG (exit 3)
 * with a detail naming every place looked in. */
dm_err dm_alias_resolve(dm_alias **out, const char *name);

/* Parses an MC_HOST_* style URL "http(s)://ACCESS:SECRET[:TOKEN]@host[:port][/]".
 * Percent-escapes in the credentials are decoded.  What follows the credentials
 * is checked as every alias url is (dm_alias_check_url), with the same words. */
dm_err dm_alias_parse_url(dm_alias **out, const char *name, const char *url);

/* An alias of the cluster's object store that names where its keys are, not the keys: the
 * Secret secret in namespace ns, under access_key_field and secret_key_field (NULL: the common
 * spellings, dm_k8s_secret_pair); dm_alias_connect reads them.  url is checked and normalised
 * as every alias url is; region us-east-1; source is static text for messages.  *out:
 * dm_alias_free(). */
dm_err dm_alias_of_secret(dm_alias **out, const char *name, const char *url, const char *secret, const char *ns,
			  const char *access_key_field, const char *secret_key_field, const char *source);

/* Appends the MC_HOST_* URL of a: the inverse of dm_alias_parse_url, the keys
 * and token percent-encoded (dm_sigv4_encode). */
dm_err dm_alias_url(dm_buf *out, const dm_alias *a);

/* DM_OK when name is an alias name dm-seed can resolve (see above); else
 * DM_ERR_USAGE, detail "'NAME' is not an alias name: why". */
dm_err dm_alias_check_name(const char *name);

/* DM_OK when url is an alias url (see above); else DM_ERR_CONFIG, detail
 * "url 'URL' why". */
dm_err dm_alias_check_url(const char *url);

/* The alias file path that resolve reads and save writes (malloc'd). */
char *dm_alias_file_path(void);

/* Adds or replaces alias a in the alias file at path (NULL: the default path),
 * keeping the others; written 0600, atomically (temporary file, fsync, rename),
 * the whole read-change-write under dm_lock_file, so writers at the same time
 * keep each other's aliases.  The other lines stay as they were, comments
 * included, when the file has the block layout that dm writes; a file in
 * another layout (flow maps, document markers) is written anew in dm's layout,
 * with a warning when that drops comments.  A file that does not read back
 * (syntax, an alias without keys ...) is not replaced: DM_ERR_CONFIG. */
dm_err dm_alias_save(const char *path, const dm_alias *a);

/* Appends alias a as a document of the alias file ("aliases:" and its entry),
 * written as dm_alias_save writes it: every character YAML does not take raw
 * (C0 and C1 controls, DEL, the BOM, U+FFFE/U+FFFF) escaped.  region and
 * session_token are left out when NULL.  The checks of dm_alias_save apply. */
dm_err dm_alias_format(dm_buf *out, const dm_alias *a);

/* The forms dm_alias_export writes (dm-secrets --format). */
typedef enum {
	DM_ALIAS_EXPORT_ENV = 1, /* shell export lines (eval "$(dm-secrets minio)") */
	DM_ALIAS_EXPORT_MC,      /* an entry of the MinIO client's config.json */
	DM_ALIAS_EXPORT_FILE     /* an entry of dm's alias file: dm_alias_format */
} dm_alias_export_form;

/* Appends alias a in form.  ENV: "export AWS_ACCESS_KEY_ID=...",
 * AWS_SECRET_ACCESS_KEY and, when a has a url, AWS_ENDPOINT_URL and
 * MC_HOST_<name> (left out, with a warning, when the name cannot be part of a
 * variable name), each value single-quoted for the shell, so any bytes but NUL
 * pass.  MC and FILE need the url and UTF-8 text (the caller checks).  The
 * keys reach only out (the caller's wiped dm_buf). */
dm_err dm_alias_export(dm_buf *out, const dm_alias *a, dm_alias_export_form form);

/* ---- an alias of the cluster's object store, used from outside the cluster ---------------- */

/* Does a need the cluster to be used from here: its keys are in a Secret, or its url is a
 * Service's in-cluster name (NAME.NS.svc...) that this machine cannot resolve? */
int dm_alias_needs_cluster(const dm_alias *a);

/* Can this machine reach a's url as it is? */
typedef enum {
	DM_REACH_OK = 0,       /* as far as can be told without a request */
	DM_REACH_IN_CLUSTER,   /* a Service's in-cluster name that does not resolve here */
	DM_REACH_LOOPBACK_SHUT /* 127.0.0.1/localhost, and nothing listens on that port */
} dm_alias_reach;
dm_alias_reach dm_alias_reachability(const dm_alias *a);

/* The endpoint that target declares (its `endpoints:`, recorded by dm-cluster start) for the
 * Service whose in-cluster name is a's url, when that name does not resolve here; NULL when
 * none (target NULL: none).  Borrowed from target.  *service is then "NAME.NAMESPACE"
 * (malloc'd, for messages), else NULL. */
const char *dm_alias_declared_endpoint(const dm_alias *a, const dm_k8s_current *target, char **service);

typedef struct {
	dm_k8s *k8s;                      /* the cluster (the caller chose it: dm_k8s_choose) */
	const char *kubectl;              /* the program that forwards a port; NULL: dm_proc_find's
					     kubectl ($DM_KUBECTL, else PATH), looked for only when a
					     forward is needed */
	const char *kubeconfig, *context; /* handed to it: the same cluster */
	/* the current target when k8s is its cluster (what dm_k8s_choose left in its record):
	 * its endpoints are used instead of a forward; NULL: none */
	const dm_k8s_current *target;
} dm_alias_connect_opts;

/* Makes a usable here: an alias naming a Secret gets its keys from it (registered with the
 * redactor); an alias whose url is a Service's in-cluster name that does not resolve here
 * takes the endpoint that o->target declares for that Service (dm_alias_declared_endpoint,
 * said at dm_info), else gets a port-forward to a ready pod behind the Service (*fwd: close it
 * after the last request, before freeing a) and its url becomes http(s)://127.0.0.1:PORT.
 * *fwd is NULL when no forward was needed.  Errors: those of dm_k8s_get_secret,
 * dm_k8s_secret_pair, dm_proc_find, dm_k8s_forward_open. */
dm_err dm_alias_connect(dm_alias *a, const dm_alias_connect_opts *o, dm_k8s_forward **fwd);

/* Wipes the secrets and frees; NULL is a no-op. */
void dm_alias_free(dm_alias *a);

#ifdef __cplusplus
}
#endif
#endif
