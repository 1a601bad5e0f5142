/* libdm/target/mirror.c - the registry mirror dm-cluster runs beside a
 * minikube cluster, as Data-Mill's original setup did with `registry:2`: the
 * CNCF distribution registry (Debian's docker-registry) as a pull-through
 * cache (proxy.remoteurl), started detached before `minikube start`, found
 * again through its pidfile, stopped by `dm-cluster delete`.
 *
 * Its files live in ${XDG_STATE_HOME:-~/.local/state}/dm/registry-mirror-PORT/
 * beside the current-target record: config.yml (0600, written by each start),
 * registry.pid, registry.log (its stdout and stderr, appended) and, unless the
 * target names a storage folder, data/ (the cache, which outlives the
 * process).  A pidfile's process counts as the mirror only while it runs with
 * that config.yml as an argument (/proc), so a pid reused by another program
 * is never signalled.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include <dm/log.h>
#include <dm/proc.h>
#include <dm/target.h>
#include <dm/util.h>

#include "../http.h"

#define MIRROR_WAIT_MAX_MS 60000ULL /* how long a start waits for GET /v2/ at most */
#define MIRROR_STOP_GRACE_MS 10000ULL
#define MIRROR_TICK_MS 100

typedef struct {
	char *dir, *config, *pidfile, *log, *storage;
} mirror_files;

static void files_release(mirror_files *f)
{
	free(f->dir);
	free(f->config);
	free(f->pidfile);
	free(f->log);
	free(f->storage);
}

static dm_err files_of(mirror_files *f, const dm_mirror_serve *m)
{
	char name[64];
	dm_err e;

	memset(f, 0, sizeof(*f));
	snprintf(name, sizeof(name), "registry-mirror-%s", strrchr(m->serve, ':') + 1);
	if ((e = dm_xdg_path(&f->dir, DM_XDG_STATE, name)) != DM_OK)
		return e;
	f->config = dm_path_resolve(f->dir, "config.yml");
	f->pidfile = dm_path_resolve(f->dir, "registry.pid");
	f->log = dm_path_resolve(f->dir, "registry.log");
	f->storage = m->storage ? strdup(m->storage) : dm_path_resolve(f->dir, "data");
	if (!f->config || !f->pidfile || !f->log || !f->storage) {
		files_release(f);
		memset(f, 0, sizeof(*f));
		return dm_nomem();
	}
	return DM_OK;
}

/* s as a YAML double-quoted scalar (a JSON string is one). */
static dm_err put_quoted(dm_buf *b, const char *s)
{
	json_t *j = json_string(s);
	char *q = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	dm_err e = q ? dm_buf_puts(b, q) : dm_nomem();

	free(q);
	json_decref(j);
	return e;
}

static dm_err config_text(dm_buf *b, const dm_target *t, const mirror_files *f)
{
	const dm_mirror_serve *m = t->mirror;
	dm_err e;

	if ((e = dm_buf_puts(b, "# written by dm-cluster start for ")) || (e = put_quoted(b, t->source)) ||
	    (e = dm_buf_puts(b, "; rewritten by each start\nversion: 0.1\nlog:\n  level: info\n"
				"storage:\n  filesystem:\n    rootdirectory: ")) ||
	    (e = put_quoted(b, f->storage)) || (e = dm_buf_puts(b, "\nhttp:\n  addr: ")) ||
	    (e = put_quoted(b, m->serve)) || (e = dm_buf_puts(b, "\nproxy:\n  remoteurl: ")) ||
	    (e = put_quoted(b, m->upstream)) || (e = dm_buf_puts(b, "\n")))
		return e;
	return DM_OK;
}

/* The pid the pidfile names when that process runs this mirror's configuration; else 0. */
static pid_t running_pid(const mirror_files *f)
{
	char *text = NULL, *end = NULL;
	long pid;

	if (dm_read_file(&text, NULL, f->pidfile) != DM_OK) {
		dm_err_clear();
		return 0;
	}
	errno = 0;
	pid = strtol(text, &end, 10);
	if (errno || end == text || (*end && strcmp(end, "\n")) || pid <= 0 || pid > 0x3fffffff)
		pid = 0;
	free(text);
	return pid && dm_proc_alive((pid_t)pid) && dm_proc_has_arg((pid_t)pid, f->config) ? (pid_t)pid : 0;
}

/* 1 when GET url answers as a registry's /v2/ does: 200, or 401 for one that wants a login. */
static int answers(const char *url)
{
	dm_http_opts ho = DM_HTTP_OPTS_INIT;
	dm_buf body = DM_BUF_INIT;
	dm_http_reply rep = { .body = &body, .kind = DM_HTTP_SHORT };
	char errbuf[CURL_ERROR_SIZE];
	long code = 0;
	CURL *h;

	dm_http_global_init();
	if (!(h = curl_easy_init()))
		return 0;
	ho.connect_timeout_ms = 1000;
	if (dm_http_setup(h, &ho, &rep, errbuf) == DM_OK) {
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 3000L);
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	}
	curl_easy_cleanup(h);
	dm_buf_release(&body);
	dm_err_clear();
	return code == 200 || code == 401;
}

/* Why the registry ended, from what it wrote to its log since offset from: its fatal message
 * (msg="..." of a level=fatal line), a Go panic's first line, else its last line. */
static void log_reason(char *out, size_t n, const char *log, off_t from)
{
	dm_buf b = DM_BUF_INIT;
	char chunk[4096];
	ssize_t got;
	int fd = open(log, O_RDONLY | O_CLOEXEC);

	out[0] = '\0';
	if (fd < 0)
		return;
	if (lseek(fd, from, SEEK_SET) == from)
		while (b.len < (64 << 10) && (got = read(fd, chunk, sizeof(chunk))) > 0)
			if (dm_buf_append(&b, chunk, (size_t)got) != DM_OK)
				break;
	close(fd);
	for (const char *line = dm_buf_str(&b); line && *line;) {
		size_t len = strcspn(line, "\n");
		const char *msg = strstr(line, "level=fatal msg=\"");

		if (msg && msg < line + len) {
			msg += 17;
			snprintf(out, n, "%.*s", (int)strcspn(msg, "\"\n"), msg);
			break;
		}
		if (!strncmp(line, "panic: ", 7)) {
			snprintf(out, n, "%.*s", (int)len, line);
			break;
		}
		line += len + (line[len] == '\n');
	}
	if (!out[0])
		dm_proc_last_line(out, n, &b);
	dm_buf_release(&b);
}

static uint64_t wait_limit(const dm_cluster_opts *o)
{
	return o->timeout_ms && o->timeout_ms < MIRROR_WAIT_MAX_MS ? o->timeout_ms : MIRROR_WAIT_MAX_MS;
}

/* Waits for the process pid to answer GET /v2/; a process that ends meanwhile is a failure
 * that quotes its log from offset from. */
static dm_err wait_answer(const dm_target *t, const dm_cluster_opts *o, const mirror_files *f, pid_t pid, off_t from)
{
	double end = dm_now() + wait_limit(o) / 1000.0;
	char why[512];

	for (;;) {
		if (!dm_proc_alive(pid)) {
			log_reason(why, sizeof(why), f->log, from);
			return dm_fail(DM_ERR_PROC, "the registry mirror on %s (%s) ended at start: %s (see %s)",
				       t->mirror->serve, o->registry, why[0] ? why : "no message", f->log);
		}
		if (answers(t->mirror->probe))
			return DM_OK;
		if (dm_proc_cancelled())
			return dm_fail(DM_ERR_INTERRUPTED, "interrupted while waiting for the registry mirror");
		if (dm_now() >= end)
			return dm_fail(DM_ERR_TIMEOUT,
				       "the registry mirror on %s did not answer GET %s within %llus (see %s)",
				       t->mirror->serve, t->mirror->probe, (unsigned long long)(wait_limit(o) / 1000),
				       f->log);
		usleep(MIRROR_TICK_MS * 1000);
	}
}

static dm_err same_config(const mirror_files *f, dm_buf *want, int *same)
{
	char *have = NULL;
	size_t len = 0;
	dm_err e = dm_read_file(&have, &len, f->config);

	*same = e == DM_OK && len == want->len && !memcmp(have, dm_buf_str(want), len);
	free(have);
	if (e == DM_ERR_NOTFOUND) {
		dm_err_clear();
		return DM_OK;
	}
	return e;
}

/* Under the lock: reuse the running mirror, or start one. */
static dm_err start_locked(const dm_target *t, const dm_cluster_opts *o, const mirror_files *f, dm_buf *text)
{
	const dm_mirror_serve *m = t->mirror;
	const char *argv[] = { o->registry, "serve", f->config, NULL };
	pid_t pid = running_pid(f);
	char pidtext[32];
	struct stat st;
	off_t from;
	dm_err e;
	int same = 0;

	if (pid) {
		if ((e = same_config(f, text, &same)) != DM_OK)
			return e;
		if (!same)
			return dm_fail_hint(DM_ERR_CONFIG, DM_HINT_MIRROR_STOP, 0,
					    "%s: a registry mirror with another configuration already runs on port %s "
					    "(pid %ld, %s)",
					    t->source, strrchr(m->serve, ':') + 1, (long)pid, f->config);
		if ((e = wait_answer(t, o, f, pid, 0)) != DM_OK)
			return e;
		dm_info("registry mirror on %s is already running (pid %ld): using it", m->serve, (long)pid);
		return DM_OK;
	}
	if (answers(m->probe))
		return dm_fail(DM_ERR_CONFIG,
			       "%s: another registry already answers at %s: stop it or choose another port in "
			       "registry_mirror's serve",
			       t->source, m->probe);
	if ((e = dm_write_file_atomic(f->config, dm_buf_str(text), text->len, 0600)) != DM_OK)
		return e;
	from = stat(f->log, &st) == 0 ? st.st_size : 0;
	if (o->on_command)
		o->on_command(o->ud, argv);
	if ((e = dm_proc_spawn_detached(argv, f->log, &pid)) != DM_OK)
		return e;
	snprintf(pidtext, sizeof(pidtext), "%ld\n", (long)pid);
	if ((e = dm_write_file_atomic(f->pidfile, pidtext, strlen(pidtext), 0600)) != DM_OK) {
		dm_proc_stop_pid(pid, MIRROR_STOP_GRACE_MS);
		return e;
	}
	dm_info("started the registry mirror on %s (pid %ld), caching %s in %s; waiting up to %llus for it", m->serve,
		(long)pid, m->upstream, f->storage, (unsigned long long)(wait_limit(o) / 1000));
	if ((e = wait_answer(t, o, f, pid, from)) != DM_OK) {
		char *why = strdup(dm_err_detail());

		dm_proc_stop_pid(pid, MIRROR_STOP_GRACE_MS);
		unlink(f->pidfile);
		e = why ? dm_fail(e, "%s", why) : dm_nomem();
		free(why);
		return e;
	}
	return DM_OK;
}

dm_err dm_mirror_start(const dm_target *t, const dm_cluster_opts *o)
{
	mirror_files f;
	dm_buf text = DM_BUF_INIT;
	dm_err e;
	int lock = -1;

	if (!t->mirror)
		return DM_OK;
	if ((e = files_of(&f, t->mirror)) != DM_OK)
		return e;
	if ((e = config_text(&text, t, &f)) != DM_OK)
		goto done;
	if (o->dry_run) {
		const char *argv[] = { o->registry ? o->registry : "docker-registry", "serve", f.config, NULL };

		if (o->on_command)
			o->on_command(o->ud, argv);
		goto done;
	}
	if ((e = dm_lock_file(&lock, f.pidfile, (unsigned)wait_limit(o))) != DM_OK)
		goto done;
	e = start_locked(t, o, &f, &text);
	dm_unlock_file(lock, f.pidfile);
done:
	dm_buf_release(&text);
	files_release(&f);
	return e;
}

dm_err dm_mirror_stop(const dm_target *t, const dm_cluster_opts *o)
{
	mirror_files f;
	dm_err e;
	pid_t pid;
	int lock = -1;

	if (!t->mirror)
		return DM_OK;
	if ((e = files_of(&f, t->mirror)) != DM_OK)
		return e;
	if (o->dry_run) {
		dm_info("would stop the registry mirror on %s (%s), keeping its cache in %s", t->mirror->serve,
			f.pidfile, f.storage);
		goto done;
	}
	if ((e = dm_lock_file(&lock, f.pidfile, (unsigned)wait_limit(o))) != DM_OK)
		goto done;
	if (!(pid = running_pid(&f))) {
		dm_info("no registry mirror of this target runs on %s", t->mirror->serve);
	} else if ((e = dm_proc_stop_pid(pid, MIRROR_STOP_GRACE_MS)) == DM_OK) {
		dm_info("stopped the registry mirror on %s (pid %ld); its cache stays in %s", t->mirror->serve,
			(long)pid, f.storage);
	}
	if (e == DM_OK && unlink(f.pidfile) != 0 && errno != ENOENT)
		e = dm_fail(DM_ERR_IO, "cannot remove '%s': %s", f.pidfile, strerror(errno));
	dm_unlock_file(lock, f.pidfile);
done:
	files_release(&f);
	return e;
}

void dm_mirror_status(const dm_target *t, dm_cluster_status *st)
{
	mirror_files f;
	pid_t pid;

	st->mirror_running = 0;
	st->mirror_pid = 0;
	if (!t->mirror)
		return;
	if (files_of(&f, t->mirror) != DM_OK) {
		dm_err_clear();
		return;
	}
	if ((pid = running_pid(&f))) {
		st->mirror_pid = pid;
		st->mirror_running = answers(t->mirror->probe);
	}
	files_release(&f);
}
