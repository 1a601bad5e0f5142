/* Reaching a Service of the cluster from outside it: a port-forward through the API server.
 *
 * The stream under `kubectl port-forward` is SPDY (WebSocket only from Kubernetes 1.30 on), and
 * Debian's libcurl speaks neither, so the forward is kubectl's own, run by dm_proc_run in a
 * thread of its own.  The local port is chosen here, not by kubectl, so that a forward lost
 * mid-run (the pod restarted, the API server's stream reset) is reopened on the same port and
 * the S3 client's retries find it again.  Before kubectl runs, the pods that the Service's
 * selector picks say whether a ready one is behind it: that failure is named plainly rather
 * than as kubectl's timeout. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <dm/k8s.h>
#include <dm/log.h>
#include <dm/proc.h>
#include <dm/util.h>

struct dm_k8s_forward {
	dm_k8s_forward_opts o;
	char *kubectl, *kubeconfig, *context, *ns, *target, *ports;
	int local_port;
	pthread_t thread;
	int started;
	int up;         /* it listened once (__atomic) */
	int stop;       /* set by dm_k8s_forward_close (__atomic) */
	int exits;      /* how many times kubectl ended (__atomic) */
	char last[256]; /* kubectl's last stderr line when it ended, under mu */
	pthread_mutex_t mu;
};

int dm_k8s_service_of_url(const char *url, char **ns, char **name, int *port)
{
	const char *host = strstr(url, "://"), *end, *colon, *d1, *d2;
	size_t hl;

	*ns = *name = NULL;
	*port = 0;
	if (!host)
		return 0;
	host += 3;
	end = host + strcspn(host, "/");
	colon = memchr(host, ':', (size_t)(end - host));
	hl = (size_t)((colon ? colon : end) - host);
	d1 = memchr(host, '.', hl);
	d2 = d1 ? memchr(d1 + 1, '.', hl - (size_t)(d1 + 1 - host)) : NULL;
	/* NAME.NS.svc or NAME.NS.svc.cluster.local */
	if (!d1 || !d2 || d1 == host || d2 == d1 + 1)
		return 0;
	if (!((size_t)(host + hl - d2) == 4 && !strncmp(d2, ".svc", 4)) &&
	    !((size_t)(host + hl - d2) == 18 && !strncmp(d2, ".svc.cluster.local", 18)))
		return 0;
	*port = colon ? atoi(colon + 1) : !strncmp(url, "https:", 6) ? 443 : 80;
	*name = strndup(host, (size_t)(d1 - host));
	*ns = strndup(d1 + 1, (size_t)(d2 - d1 - 1));
	if (!*name || !*ns || *port <= 0 || *port > 65535) {
		free(*name);
		free(*ns);
		*ns = *name = NULL;
		return 0;
	}
	return 1;
}

/* A free local port: the kernel's choice for a socket bound to port 0. */
static dm_err free_port(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		return dm_fail(DM_ERR_IO, "cannot find a free local port: %s", strerror(err));
	}
	close(fd);
	*port = ntohs(a.sin_port);
	return DM_OK;
}

static int accepts(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	a.sin_port = htons((uint16_t)port);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static int pod_ready(json_t *pod)
{
	json_t *conds = json_object_get(json_object_get(pod, "status"), "conditions"), *c;
	size_t i;

	json_array_foreach(conds, i, c)
	{
		if (!strcmp(json_string_value(json_object_get(c, "type")) ?: "", "Ready"))
			return !strcmp(json_string_value(json_object_get(c, "status")) ?: "", "True");
	}
	return 0;
}

/* Is a ready pod behind the Service?  The pods its selector picks, as kubectl port-forward picks
 * them (not its Endpoints: a pod on the host's network at a loopback address has none). */
static dm_err check_ready_pod(dm_k8s *c, const char *ns, const char *name)
{
	json_t *svc = NULL, *pods = NULL, *sel, *v, *p;
	dm_buf selector = DM_BUF_INIT;
	size_t ready = 0, total, i;
	const char *k;
	dm_err e;

	if ((e = dm_k8s_get_json(c, "api/v1", "services", ns, name, NULL, &svc)))
		return e;
	sel = json_object_get(json_object_get(svc, "spec"), "selector");
	if (!json_object_size(sel)) {
		json_decref(svc);
		return dm_fail(DM_ERR_NOTFOUND, "service \"%s\" in namespace \"%s\" selects no pods (no selector)",
			       name, ns);
	}
	json_object_foreach(sel, k, v)
	{
		if ((e = dm_buf_printf(&selector, "%s%s=%s", selector.len ? "," : "", k, json_string_value(v) ?: "")))
			break;
	}
	json_decref(svc);
	if (!e)
		e = dm_k8s_get_json(c, "api/v1", "pods", ns, NULL, dm_buf_str(&selector), &pods);
	if (e) {
		dm_buf_release(&selector);
		return e;
	}
	total = json_array_size(json_object_get(pods, "items"));
	json_array_foreach(json_object_get(pods, "items"), i, p) ready += pod_ready(p);
	json_decref(pods);
	if (!ready)
		e = dm_fail(DM_ERR_NOTFOUND,
			    "no ready pod behind service \"%s\" in namespace \"%s\" (%zu pod(s) match %s)", name, ns,
			    total, dm_buf_str(&selector));
	dm_buf_release(&selector);
	return e;
}

/* kubectl port-forward, again and again until closed or out of retries. */
static void *forward_loop(void *arg)
{
	dm_k8s_forward *f = arg;
	const char *argv[16];
	size_t n = 0;

	argv[n++] = f->kubectl;
	argv[n++] = "port-forward";
	argv[n++] = "--address";
	argv[n++] = "127.0.0.1";
	argv[n++] = "--namespace";
	argv[n++] = f->ns;
	if (f->kubeconfig) {
		argv[n++] = "--kubeconfig";
		argv[n++] = f->kubeconfig;
	}
	if (f->context) {
		argv[n++] = "--context";
		argv[n++] = f->context;
	}
	argv[n++] = f->target;
	argv[n++] = f->ports;
	argv[n] = NULL;
	for (;;) {
		dm_proc_opts po = DM_PROC_OPTS_INIT;
		dm_proc_result r = DM_PROC_RESULT_INIT;
		double r_seconds;
		int exits;

		po.argv = argv;
		po.stop = &f->stop;
		dm_proc_run(&po, &r);
		r_seconds = r.seconds;
		pthread_mutex_lock(&f->mu);
		dm_proc_last_line(f->last, sizeof(f->last), &r.err);
		if (!f->last[0])
			snprintf(f->last, sizeof(f->last), "kubectl %s %d",
				 r.exited ? "exited with" : "was killed by signal", r.status);
		pthread_mutex_unlock(&f->mu);
		dm_proc_result_release(&r);
		exits = __atomic_add_fetch(&f->exits, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&f->stop, __ATOMIC_SEQ_CST) || exits > f->o.retries)
			break;
		if (__atomic_load_n(&f->up, __ATOMIC_SEQ_CST)) /* lost after it was up: say so, reopen */
			dm_warn("port-forward to %s/%s lost (%s): reopening it on 127.0.0.1:%d (%d of %d)", f->ns,
				f->target, f->last, f->local_port, exits, f->o.retries);
		if (r_seconds < 2) /* it did not get far: not at once again */
			sleep(1);
	}
	return NULL;
}

dm_err dm_k8s_forward_open(dm_k8s_forward **out, dm_k8s *c, const dm_k8s_forward_opts *o)
{
	uint64_t wait_ms = o->ready_timeout_ms ? o->ready_timeout_ms : 30000;
	dm_k8s_forward *f;
	double deadline;
	dm_err e;

	*out = NULL;
	if ((e = check_ready_pod(c, o->ns, o->service)))
		return e;
	if (!(f = calloc(1, sizeof(*f))))
		return dm_nomem();
	f->o = *o;
	f->o.retries = o->retries ? o->retries : 5;
	pthread_mutex_init(&f->mu, NULL);
	if ((e = free_port(&f->local_port)))
		goto fail;
	f->kubectl = strdup(o->kubectl);
	f->kubeconfig = dm_strdup_null(o->kubeconfig);
	f->context = dm_strdup_null(o->context);
	f->ns = strdup(o->ns);
	if (!f->kubectl || (o->kubeconfig && !f->kubeconfig) || (o->context && !f->context) || !f->ns ||
	    asprintf(&f->target, "svc/%s", o->service) < 0 ||
	    asprintf(&f->ports, "%d:%d", f->local_port, o->port) < 0) {
		e = dm_nomem();
		goto fail;
	}
	if (pthread_create(&f->thread, NULL, forward_loop, f) != 0) {
		e = dm_fail(DM_ERR_IO, "cannot start a thread: %s", strerror(errno));
		goto fail;
	}
	f->started = 1;
	deadline = dm_now() + wait_ms / 1000.0;
	while (!accepts(f->local_port)) {
		if (__atomic_load_n(&f->exits, __ATOMIC_SEQ_CST) > 0 || dm_now() > deadline) {
			char last[256];

			pthread_mutex_lock(&f->mu);
			snprintf(last, sizeof(last), "%s", f->last[0] ? f->last : "no answer");
			pthread_mutex_unlock(&f->mu);
			e = dm_fail(strstr(last, "forbidden") ? DM_ERR_FORBIDDEN
				    : f->exits > 0            ? DM_ERR_PROC
							      : DM_ERR_TIMEOUT,
				    "cannot forward a port to service \"%s\" in namespace \"%s\": %s", o->service,
				    o->ns, f->exits > 0 ? last : "kubectl port-forward did not listen in time");
			goto fail;
		}
		usleep(100 * 1000);
	}
	__atomic_store_n(&f->up, 1, __ATOMIC_SEQ_CST);
	dm_info("port-forward: 127.0.0.1:%d -> service %s/%s port %d (through the API server)", f->local_port, o->ns,
		o->service, o->port);
	*out = f;
	return DM_OK;
fail:
	dm_k8s_forward_close(f);
	return e;
}

int dm_k8s_forward_port(const dm_k8s_forward *f)
{
	return f->local_port;
}

int dm_k8s_forward_losses(const dm_k8s_forward *f)
{
	return __atomic_load_n(&((dm_k8s_forward *)f)->exits, __ATOMIC_SEQ_CST);
}

void dm_k8s_forward_close(dm_k8s_forward *f)
{
	if (!f)
		return;
	if (f->started) {
		__atomic_store_n(&f->stop, 1, __ATOMIC_SEQ_CST);
		pthread_join(f->thread, NULL);
	}
	pthread_mutex_destroy(&f->mu);
	free(f->kubectl);
	free(f->kubeconfig);
	free(f->context);
	free(f->ns);
	free(f->target);
	free(f->ports);
	free(f);
}
