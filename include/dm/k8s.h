/* dm/k8s.h - a small Kubernetes API client: kubeconfig and in-cluster
 * credentials, JSON requests, and Kubernetes Status replies turned into
 * clear messages.
 *
 * Credentials (tokens, client keys, Secret values) are registered with the
 * log redactor as soon as they are read and wiped before they are freed.
 * A dm_k8s_config is read-only after loading and may be shared between
 * threads; a dm_k8s client is used by one thread at a time.
 */
#ifndef DM_K8S_H
#define DM_K8S_H

#include <stddef.h>
#include <dm/err.h>
#include <dm/json.h>
#include <dm/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where the credentials come from. */
typedef struct {
	const char *kubeconfig; /* one file (--kubeconfig); NULL: $KUBECONFIG (a ':' list,
				    merged, first wins), else ~/.kube/config */
	const char *context;    /* NULL: the kubeconfig's current-context */
	int in_cluster;         /* use the pod's service account instead of a kubeconfig */
	int run_exec;           /* run exec credential plugins while loading (normally 1) */
} dm_k8s_opts;
/* clang-format off */
#define DM_K8S_OPTS_INIT { .run_exec = 1 } /* every other field 0 or NULL */
/* clang-format on */

/* ---- which cluster: the current target ---------------------------------------------------- */

/* The cluster that the last start of a target reached (dm-cluster start records it): the tools
 * that talk to Kubernetes use it unless their options or $KUBECONFIG say otherwise.  Kept in
 * $XDG_STATE_HOME/dm/current-target.json (default ~/.local/state/dm/), mode 0600. */
/* A Service that is reachable from outside the cluster at url (a NodePort, an Ingress, a
 * LoadBalancer): an entry of a target's `endpoints:` (docs/configuration.md). */
typedef struct {
	char *service; /* "NAME.NAMESPACE", as the Service's in-cluster name NAME.NAMESPACE.svc... starts */
	char *url;     /* http(s)://HOST[:PORT] (dm_alias_check_url), no trailing '/' */
} dm_k8s_endpoint;

typedef struct {
	char *kubeconfig; /* the kubeconfig file, absolute */
	char *context;    /* the context in it */
	char *target;     /* the target it was started from, for messages */
	char *file;       /* the record */
	/* the target's `endpoints:` as they were at its start; dm_k8s_choose keeps them only when the
	 * tool talks to the recorded cluster (the record's kubeconfig and context) */
	dm_k8s_endpoint *endpoints;
	size_t n_endpoints;
} dm_k8s_current;

/* Records kubeconfig (made absolute), context and the target's n endpoints (may be 0) as the
 * current target. */
dm_err dm_k8s_current_save(const char *kubeconfig, const char *context, const char *target,
			   const dm_k8s_endpoint *endpoints, size_t n);
/* Reads the record.  DM_ERR_NOTFOUND when there is none; DM_ERR_CONFIG when it is not one
 * (the detail names the file).  *out: dm_k8s_current_release(). */
dm_err dm_k8s_current_load(dm_k8s_current *out);
/* The url that c declares for the Service name in namespace ns (borrowed from c), or NULL;
 * c may be NULL. */
const char *dm_k8s_current_endpoint(const dm_k8s_current *c, const char *ns, const char *name);
/* Removes the record when it names this kubeconfig and context (a deleted cluster). */
dm_err dm_k8s_current_forget(const char *kubeconfig, const char *context);
void dm_k8s_current_release(dm_k8s_current *c);

/* Where the kubeconfig that a tool uses comes from. */
typedef enum {
	DM_K8S_FROM_GIVEN = 0, /* the tool's option (opts.kubeconfig) */
	DM_K8S_FROM_ENV,       /* $KUBECONFIG */
	DM_K8S_FROM_CURRENT,   /* the current target */
	DM_K8S_FROM_HOME,      /* ~/.kube/config, or in a pod its service account */
	DM_K8S_FROM_IN_CLUSTER /* opts.in_cluster */
} dm_k8s_from;

/* Chooses the cluster as kubectl does, with the current target in between: ko->kubeconfig
 * when set, else $KUBECONFIG, else the current target's kubeconfig (with its context unless
 * ko->context is set), else ~/.kube/config.  ko's strings then point into *cur (release it
 * after ko's last use).  A record that cannot be read is an error: it never silently sends a
 * tool to another cluster.  cur->endpoints are left only when the choice is the recorded
 * cluster itself (DM_K8S_FROM_CURRENT, and ko->context unset or the recorded one). */
dm_err dm_k8s_choose(dm_k8s_opts *ko, dm_k8s_current *cur, dm_k8s_from *from);

/* An exec credential plugin of a kubeconfig user. */
typedef struct {
	char *command;     /* as written, or resolved against the kubeconfig's folder */
	char **args;       /* NULL-terminated */
	char **env;        /* NULL-terminated "NAME=VALUE" added to the environment */
	char *api_version; /* client.authentication.k8s.io/v1beta1 or /v1 */
} dm_k8s_exec;

/* The resolved connection settings of one context. */
typedef struct {
	char *source;      /* the kubeconfig file(s) read, or "in-cluster" */
	char *context;     /* the context used; NULL in-cluster */
	char *cluster;     /* its cluster's name; NULL in-cluster */
	char *user;        /* its user's name; NULL in-cluster */
	char *server;      /* https://host:port[/path], no trailing slash */
	char *ns;          /* the context's namespace (or the pod's); NULL when unset */
	char *ca_file;     /* certificate-authority, absolute; NULL when none */
	char *ca_pem;      /* decoded certificate-authority-data; NULL when none */
	char *ca_origin;   /* where the CA came from, for messages ("'/x/ca.crt'",
			        "certificate-authority-data of cluster 'c' in '/x/config'") */
	int insecure;      /* insecure-skip-tls-verify */
	char *token;       /* bearer token (token, tokenFile, exec or in-cluster); secret */
	char *token_file;  /* where the token was read from, when it was */
	char *cert_file;   /* client-certificate, absolute */
	char *key_file;    /* client-key, absolute */
	char *cert_pem;    /* client-certificate-data (or from exec) */
	char *key_pem;     /* client-key-data (or from exec); secret */
	dm_k8s_exec *exec; /* the user's exec plugin; NULL when none */
} dm_k8s_config;

/* Loads the settings of the chosen context from kubeconfig files, or the
 * in-cluster service account.  Relative paths in a kubeconfig are taken
 * relative to its folder.  Errors name file:line:col (DM_ERR_CONFIG), the
 * missing file (DM_ERR_IO / DM_ERR_CONFIG), or the failed exec plugin
 * (DM_ERR_PROC, DM_ERR_PARSE).  *out is the caller's: dm_k8s_config_free(). */
dm_err dm_k8s_config_load(dm_k8s_config **out, const dm_k8s_opts *o);

/* Loads from kubeconfig text held in memory (tests, fuzzing); name is used as
 * the file name in messages and its folder for relative paths. */
dm_err dm_k8s_config_load_string(dm_k8s_config **out, const char *name, const char *text, size_t len,
				 const char *context, int run_exec);

/* Runs cfg->exec (argv, no shell; KUBERNETES_EXEC_INFO set) and stores the
 * credential it returns in cfg.  Called by dm_k8s_config_load with run_exec. */
dm_err dm_k8s_config_run_exec(dm_k8s_config *cfg);

/* Reads an ExecCredential JSON document (len bytes).  want_api_version may be
 * NULL.  Sets *token, or *cert_pem and *key_pem (the others NULL); malloc'd,
 * the caller wipes and frees them.  Errors never quote the document. */
dm_err dm_k8s_exec_credential_parse(const char *json, size_t len, const char *want_api_version, char **token,
				    char **cert_pem, char **key_pem);

/* Wipes the secrets and frees; NULL is a no-op. */
void dm_k8s_config_free(dm_k8s_config *cfg);

typedef struct dm_k8s dm_k8s;

/* A client for cfg (copied: cfg may be freed afterwards).  No request is made. */
dm_err dm_k8s_new(dm_k8s **out, const dm_k8s_config *cfg);
/* dm_k8s_config_load + dm_k8s_new. */
dm_err dm_k8s_open(dm_k8s **out, const dm_k8s_opts *o);
/* The client's settings. Borrowed. */
const dm_k8s_config *dm_k8s_config_of(const dm_k8s *c);
void dm_k8s_free(dm_k8s *c);

/* One request: method "GET", "POST", "PUT", "PATCH" or "DELETE", path from
 * the server root ("/api/v1/namespaces/x"), json_body NULL or the JSON text
 * (PATCH sends it as a merge patch).  Any HTTP status is DM_OK: *status is
 * set, *reply (when reply is not NULL) is the body, malloc'd, NUL-terminated
 * (wipe it if it may hold secrets).  Fails only when no reply came (DM_ERR_NET,
 * DM_ERR_TLS naming the CA used, DM_ERR_TIMEOUT). */
dm_err dm_k8s_request(dm_k8s *c, const char *method, const char *path, const char *json_body, long *status,
		      char **reply);

/* Turns a non-2xx reply into an error with a clear detail:
 *   401 -> DM_ERR_AUTH "the API server SERVER rejected the credentials of user 'U' (context 'C'): ..."
 *   403 -> DM_ERR_FORBIDDEN `User "x" cannot get secrets in namespace "y"`
 *   404 -> DM_ERR_NOTFOUND `secret "x" not found in namespace "y"`
 *   409 -> DM_ERR_HTTP `secret "x" already exists in namespace "y"`
 *   else DM_ERR_HTTP with the Status message.
 * verb is the Kubernetes verb ("get", "create", "list"), resource the plural
 * ("secrets"), name and ns may be NULL.  c may be NULL (no server/user named). */
dm_err dm_k8s_status_fail(const dm_k8s *c, long status, const char *reply, const char *verb, const char *resource,
			  const char *name, const char *ns);

/* One key of a Secret, its value decoded (byte-exact, NUL-terminated after len). */
typedef struct {
	char *key;
	unsigned char *value;
	size_t len;
} dm_k8s_secret_item;

typedef struct {
	char *name;
	char *ns;
	char *type; /* "Opaque", ... */
	size_t n;
	dm_k8s_secret_item *items; /* sorted by key */
} dm_k8s_secret;

/* GETs Secret name in namespace ns; a 404 tells a missing namespace (when the
 * credentials may see namespaces) from a missing Secret.  The values are
 * registered with the redactor.  *out: dm_k8s_secret_free(). */
dm_err dm_k8s_get_secret(dm_k8s *c, const char *ns, const char *name, dm_k8s_secret **out);
/* Reads a Secret object's JSON (a GET reply) into *out. */
dm_err dm_k8s_secret_parse(const char *json, size_t len, dm_k8s_secret **out);
/* The item of key, or NULL. Borrowed. */
const dm_k8s_secret_item *dm_k8s_secret_find(const dm_k8s_secret *s, const char *key);
/* The keys of s for a message, "a, b, c" ("none" when it has none), into out (emptied first;
 * dm_buf_release it).  Never the values. */
dm_err dm_k8s_secret_keys(const dm_k8s_secret *s, dm_buf *out);

/* The S3 key pair of s: the items named access_field and secret_field; with
 * only one named, the other is its partner among the common spellings; with
 * neither, the first pair present of accesskey/secretkey, rootUser/rootPassword,
 * root-user/root-password, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
 * access_key/secret_key, accessKey/secretKey.  *ak and *sk are borrowed from s.
 * DM_ERR_NOTFOUND (both NULL) with a detail that lists the keys s holds. */
dm_err dm_k8s_secret_pair(const dm_k8s_secret *s, const char *access_field, const char *secret_field,
			  const dm_k8s_secret_item **ak, const dm_k8s_secret_item **sk);

/* How dm_k8s_put_secret writes. */
typedef enum {
	DM_K8S_SECRET_CREATE = 0, /* POST a new Secret; one of that name must not exist */
	DM_K8S_SECRET_REPLACE,    /* POST, or PUT over the Secret of that name when it exists */
	DM_K8S_SECRET_ADD_KEYS    /* PATCH the Secret that exists: the items are set, its other keys stay */
} dm_k8s_put_mode;
/* Writes n items to the Secret name in ns: creates (or replaces) an Opaque
 * Secret labelled app.kubernetes.io/managed-by=dm, or adds the items to the
 * Secret that exists (its type and labels kept), as mode says.  The values
 * are wiped from the request and the reply; errors name the verb ("create",
 * "update", "patch"), the Secret and ns. */
dm_err dm_k8s_put_secret(dm_k8s *c, const char *ns, const char *name, const dm_k8s_secret_item *items, size_t n,
			 dm_k8s_put_mode mode);
/* Wipes the values and frees; NULL is a no-op. */
void dm_k8s_secret_free(dm_k8s_secret *s);

/* Creates namespace ns unless it exists, labelled app.kubernetes.io/managed-by=dm
 * (an existing one is left as it is). */
dm_err dm_k8s_ensure_namespace(dm_k8s *c, const char *ns);
/* Does namespace ns exist?  *exists 0/1. */
dm_err dm_k8s_namespace_exists(dm_k8s *c, const char *ns, int *exists);
/* The server's gitVersion ("v1.20.2"), malloc'd. */
dm_err dm_k8s_server_version(dm_k8s *c, char **out);
/* GET /readyz: DM_OK when the server says "ok". */
dm_err dm_k8s_readyz(dm_k8s *c);

/* --- Objects of any kind (dm-seed --apply) ------------------------------------------------------
 * api is the group's path, "api/v1" or "apis/GROUP/VERSION"; resource the plural ("jobs");
 * ns and name must be names Kubernetes takes (DM_ERR_INVALID otherwise, no request made).
 * A reply that is not 2xx is dm_k8s_status_fail's error. */

/* Creates obj, which names itself in metadata.name, in ns (POST).  A missing namespace is
 * DM_ERR_NOTFOUND `namespace "ns" not found (creating job "x")`; an object of that name
 * DM_ERR_HTTP `job "x" already exists in namespace "ns"`. */
dm_err dm_k8s_create(dm_k8s *c, const char *api, const char *resource, const char *ns, json_t *obj);

/* Deletes name (DELETE), with propagationPolicy (Background, Foreground, Orphan; NULL: the
 * server's default for the kind).  An object already gone (404) is DM_OK. */
dm_err dm_k8s_delete(dm_k8s *c, const char *api, const char *resource, const char *ns, const char *name,
		     const char *propagation);

/* GETs object name, or with name NULL the list of resource in ns, only those matching the
 * label selector when one is given.  *out: the reply parsed (json_decref). */
dm_err dm_k8s_get_json(dm_k8s *c, const char *api, const char *resource, const char *ns, const char *name,
		       const char *selector, json_t **out);

/* The log of container (NULL: the pod's only one) of pod: *out malloc'd and NUL-terminated,
 * *len bytes (a log holding NUL bytes is cut at the first). */
dm_err dm_k8s_pod_log(dm_k8s *c, const char *ns, const char *pod, const char *container, char **out, size_t *len);

/* ---- reaching a Service from outside the cluster (k8s/forward.c) -------------------------- */

/* Is url's host a Service's in-cluster name, NAME.NS.svc or NAME.NS.svc.cluster.local?  Then
 * 1, with *ns and *name malloc'd and *port the url's (else 80 or 443). */
int dm_k8s_service_of_url(const char *url, char **ns, char **name, int *port);

typedef struct {
	const char *kubectl;              /* the program that forwards (dm_proc_find) */
	const char *kubeconfig, *context; /* the cluster (dm_k8s_choose); NULL: kubectl's defaults */
	const char *ns, *service;         /* the Service */
	int port;                         /* its port */
	uint64_t ready_timeout_ms;        /* for the forward to listen; 0: 30 s */
	int retries;                      /* reopenings after a loss; 0: 5 */
} dm_k8s_forward_opts;

typedef struct dm_k8s_forward dm_k8s_forward;

/* Forwards a free port of 127.0.0.1 to the Service through the API server, after checking
 * with c that a ready pod is behind it; a forward that is lost is reopened on the same port,
 * with a warning, up to o->retries times.  Errors: DM_ERR_NOTFOUND (no such Service, no ready
 * pod), DM_ERR_FORBIDDEN (RBAC: the detail quotes the server), DM_ERR_PROC (kubectl's last
 * line), DM_ERR_TIMEOUT.  *out: dm_k8s_forward_close(). */
dm_err dm_k8s_forward_open(dm_k8s_forward **out, dm_k8s *c, const dm_k8s_forward_opts *o);
/* The local port. */
int dm_k8s_forward_port(const dm_k8s_forward *f);
/* How many times the forward ended while open (each one reopened, within the retries). */
int dm_k8s_forward_losses(const dm_k8s_forward *f);
/* Stops the forward and frees; NULL is a no-op. */
void dm_k8s_forward_close(dm_k8s_forward *f);

#ifdef __cplusplus
}
#endif
#endif
