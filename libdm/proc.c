/* libdm/proc.c - run a program from an argv (never through a shell), feed its
 * stdin, capture its output through pipes with poll(), enforce a timeout, and
 * stop it on an interrupt (dm_proc_cancel).
 *
 * The child leads a process group of its own: a helm that runs plugins, a
 * shell-script exec plugin that runs `sleep`, a minikube that runs docker all
 * leave children that a kill of the pid alone would orphan.  A timeout or an
 * interrupt signals the whole group, and once the child has exited (seen with
 * WNOWAIT, so that its pid, and with it the group id, cannot be reused yet) the
 * group gets a final KILL for whatever ignored the TERM.  A child that exits by
 * itself keeps what it started in the background (minikube's daemons).
 *
 * Thread-safety: every descriptor is created close-on-exec, so a program
 * started by one thread never inherits the pipes of a run in another thread
 * (which would keep that run's pipes open and hang it).  posix_spawn is used
 * rather than fork: it is safe in threaded programs and reports exec failures
 * (ENOENT, EACCES, ENOEXEC) as its return value.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dm/log.h>
#include <dm/proc.h>

extern char **environ;

#define PROC_DEFAULT_MAX_OUTPUT ((size_t)64 << 20)
#define PROC_KILL_GRACE_MS 5000
/* After the child has exited, a grandchild may still hold the pipes open
 * (a daemon, a backgrounded sleep): keep reading only while data keeps coming. */
#define PROC_DRAIN_IDLE_MS 200
#define PROC_TICK_MS 100

static volatile sig_atomic_t proc_cancelled;
static int proc_active; /* __atomic: read from signal handlers */

void dm_proc_cancel(void)
{
	proc_cancelled = 1;
}

int dm_proc_cancelled(void)
{
	return proc_cancelled != 0;
}

void dm_proc_cancel_clear(void)
{
	proc_cancelled = 0;
}

int dm_proc_active(void)
{
	return __atomic_load_n(&proc_active, __ATOMIC_SEQ_CST);
}

/* o->stop: one run stopped by another thread (dm-helm's pod watch), not all of them */
static int stop_asked(const dm_proc_opts *o)
{
	return o->stop && __atomic_load_n(o->stop, __ATOMIC_SEQ_CST);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int is_executable_file(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	return access(path, X_OK) == 0;
}

/* Looks name up in PATH (an empty PATH entry is the current folder, as execvp does). */
static dm_err path_lookup(char **out, const char *name)
{
	const char *path = getenv("PATH");
	const char *p;

	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	p = path;
	for (;;) {
		const char *end = strchr(p, ':');
		size_t dlen = end ? (size_t)(end - p) : strlen(p);
		dm_buf cand = DM_BUF_INIT;
		dm_err e;

		if (dlen == 0)
			e = dm_buf_puts(&cand, name);
		else
			e = dm_buf_printf(&cand, "%.*s/%s", (int)dlen, p, name);
		if (e != DM_OK) {
			dm_buf_release(&cand);
			return e;
		}
		if (is_executable_file(dm_buf_str(&cand))) {
			*out = dm_buf_detach(&cand);
			return *out ? DM_OK : dm_nomem();
		}
		dm_buf_release(&cand);
		if (!end)
			break;
		p = end + 1;
	}
	/* dm_proc_find words it with the variable and the hint */
	return dm_fail(DM_ERR_NOTFOUND, "'%s' not found in PATH", name);
}

dm_err dm_proc_find(char **out, const char *name, const char *env_name, const char *hint)
{
	const char *envval = env_name ? getenv(env_name) : NULL;
	char *found = NULL;
	dm_err e;

	*out = NULL;
	if (envval && *envval) {
		if (strchr(envval, '/')) {
			if (!is_executable_file(envval))
				return dm_fail(DM_ERR_NOTFOUND, "%s='%s' is not an executable file%s%s", env_name,
					       envval, hint ? "; " : "", hint ? hint : "");
			found = strdup(envval);
			if (!found)
				return dm_nomem();
			*out = found;
			return DM_OK;
		}
		e = path_lookup(&found, envval);
		if (e == DM_ERR_NOTFOUND)
			return dm_fail(DM_ERR_NOTFOUND, "%s='%s' not found in PATH%s%s", env_name, envval,
				       hint ? "; " : "", hint ? hint : "");
		if (e != DM_OK)
			return e;
		*out = found;
		return DM_OK;
	}
	if (!name || !*name)
		return dm_fail(DM_ERR_NOTFOUND, "no program name given");
	if (strchr(name, '/')) {
		if (!is_executable_file(name))
			return dm_fail(DM_ERR_NOTFOUND, "'%s' is not an executable file%s%s", name, hint ? "; " : "",
				       hint ? hint : "");
		found = strdup(name);
		if (!found)
			return dm_nomem();
		*out = found;
		return DM_OK;
	}
	e = path_lookup(&found, name);
	if (e == DM_ERR_NOTFOUND) {
		if (env_name)
			return dm_fail(DM_ERR_NOTFOUND, "'%s' not found in PATH (or set %s to its path)%s%s", name,
				       env_name, hint ? "; " : "", hint ? hint : "");
		return dm_fail(DM_ERR_NOTFOUND, "'%s' not found in PATH%s%s", name, hint ? "; " : "", hint ? hint : "");
	}
	if (e != DM_OK)
		return e;
	*out = found;
	return DM_OK;
}

dm_err dm_proc_find_given(char **out, const char *given, const char *name, const char *env_name, const char *hint)
{
	*out = NULL;
	if (!given)
		return dm_proc_find(out, name, env_name, hint);
	if (!(*out = strdup(given)))
		return dm_nomem();
	return DM_OK;
}

/* ---- quoting ---- */

static int shell_safe(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		if (strchr("@%+=:,./_-", c))
			continue;
		return 0;
	}
	return 1;
}

dm_err dm_proc_format_argv(dm_buf *out, const char *const *argv)
{
	dm_err e = DM_OK;

	for (size_t i = 0; argv[i] && e == DM_OK; i++) {
		const char *a = argv[i];

		if (i > 0)
			e = dm_buf_puts(out, " ");
		if (e != DM_OK)
			break;
		if (shell_safe(a)) {
			e = dm_buf_puts(out, a);
			continue;
		}
		/* single quotes keep everything literal; a quote is closed, escaped, reopened */
		e = dm_buf_puts(out, "'");
		for (const char *p = a; *p && e == DM_OK; p++) {
			if (*p == '\'')
				e = dm_buf_puts(out, "'\\''");
			else
				e = dm_buf_append(out, p, 1);
		}
		if (e == DM_OK)
			e = dm_buf_puts(out, "'");
	}
	if (e == DM_OK && !dm_buf_str(out))
		e = dm_nomem();
	return e;
}

/* ---- running ---- */

void dm_proc_result_release(dm_proc_result *res)
{
	if (!res)
		return;
	dm_buf_release(&res->out);
	dm_buf_release(&res->err);
}

/* Pipe ends must not land on 0/1/2 (a caller that closed its stdin): a
 * dup2 onto itself would not clear close-on-exec in every libc. */
static int fd_above_stdio(int fd)
{
	int nfd;

	if (fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}

static int make_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	p[0] = fd_above_stdio(p[0]);
	p[1] = fd_above_stdio(p[1]);
	if (p[0] < 0 || p[1] < 0) {
		if (p[0] >= 0)
			close(p[0]);
		if (p[1] >= 0)
			close(p[1]);
		return -1;
	}
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* environ with the caller's "NAME=value" entries replacing or adding NAME;
 * an entry without '=' removes NAME.  The array is malloc'd, strings borrowed. */
static char **build_env(const char *const *extra)
{
	size_t n = 0, m = 0, k = 0;
	char **env;

	for (char **e = environ; e && *e; e++)
		n++;
	while (extra && extra[m])
		m++;
	env = calloc(n + m + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *cur = environ[i];
		size_t nl = strcspn(cur, "=");
		int overridden = 0;

		for (size_t j = 0; j < m; j++) {
			size_t xl = strcspn(extra[j], "=");

			if (xl == nl && strncmp(cur, extra[j], nl) == 0) {
				overridden = 1;
				break;
			}
		}
		if (!overridden)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < m; j++) {
		int later = 0;
		size_t xl = strcspn(extra[j], "=");

		if (!extra[j][xl])
			continue;
		/* the last of duplicate entries wins */
		for (size_t l = j + 1; l < m; l++)
			if (strcspn(extra[l], "=") == xl && strncmp(extra[l], extra[j], xl) == 0)
				later = 1;
		if (!later)
			env[k++] = (char *)extra[j];
	}
	env[k] = NULL;
	return env;
}

/* Writes to the stdin pipe without letting SIGPIPE kill us when the child
 * has closed its end: SIGPIPE is blocked in this thread for the write and a
 * SIGPIPE this write raised is consumed. */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t len)
{
	sigset_t pipe_set, old, pending;
	ssize_t n;
	int saved, was_pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	n = write(fd, buf, len);
	saved = errno;
	if (n < 0 && saved == EPIPE && !was_pending) {
		struct timespec zero = { 0, 0 };

		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return n;
}

/* Appends what is readable on fd into b (up to cap, the rest is read and
 * dropped so the child never blocks).  Returns 0 at EOF, 1 otherwise. */
static int drain_fd(int fd, dm_buf *b, size_t cap, int *truncated, dm_err *err)
{
	char chunk[65536];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n == 0)
		return 0;
	if (n < 0)
		return (errno == EINTR || errno == EAGAIN) ? 1 : 0;
	if (b->len < cap) {
		size_t keep = (size_t)n;

		if (keep > cap - b->len) {
			keep = cap - b->len;
			*truncated = 1;
		}
		if (dm_buf_append(b, chunk, keep) != DM_OK && *err == DM_OK)
			*err = dm_nomem();
	} else {
		*truncated = 1;
	}
	return 1;
}

static const char *prog_label(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	return (slash && slash[1]) ? slash + 1 : argv0;
}

void dm_proc_last_line(char *out, size_t n, const dm_buf *b)
{
	size_t end = b->len, start;

	out[0] = '\0';
	while (end > 0 && (b->data[end - 1] == '\n' || b->data[end - 1] == '\r' || b->data[end - 1] == ' ' ||
			   b->data[end - 1] == '\t'))
		end--;
	if (end == 0)
		return;
	start = end;
	while (start > 0 && b->data[start - 1] != '\n')
		start--;
	if (end - start >= n)
		end = start + n - 1;
	memcpy(out, b->data + start, end - start);
	out[end - start] = '\0';
}

/* Has the child exited?  It stays a zombie (WNOWAIT): its pid and group id stay ours. */
static int child_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
		return errno == ECHILD;
	return si.si_pid == pid;
}

/* sig to the child's process group (or to the child alone when it shares ours). */
static void signal_child(pid_t pid, int grouped, int sig)
{
	if (!grouped || kill(-pid, sig) != 0)
		kill(pid, sig);
}

/* One run, from the spawn to the verdict. */
typedef struct {
	const dm_proc_opts *o;
	dm_proc_result *res;
	const char *label;
	size_t cap;      /* captured bytes per stream */
	int capture_err; /* stderr into res->err */
	int grouped;     /* the child leads a process group of its own */
	int in_p[2], out_p[2], err_p[2];
	size_t in_off; /* bytes of stdin_data written */
	pid_t pid;
	int reaped, wstatus, truncated;
	enum { RUNNING, TIMED_OUT, INTERRUPTED } stopping;
	uint64_t start, deadline, kill_at, drain_until;
	dm_err buf_err; /* out of memory while capturing */
} proc_run;

/* The child starts with default dispositions and nothing blocked, whatever this
 * process ignores (SIGPIPE) or blocks; interactive children stay in our group,
 * the terminal's foreground. */
static void spawn_attrs(posix_spawnattr_t *attr, int grouped)
{
	sigset_t all, none;

	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(attr, &all);
	posix_spawnattr_setsigmask(attr, &none);
	if (grouped)
		posix_spawnattr_setpgroup(attr, 0);
	posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK |
					       (grouped ? POSIX_SPAWN_SETPGROUP : 0));
}

/* The pipes, and the child's ends of them as its 0, 1 and 2. */
static dm_err spawn_pipes(proc_run *r, posix_spawn_file_actions_t *fa)
{
	const dm_proc_opts *o = r->o;

	if (o->inherit_stdio)
		return DM_OK;
	if (make_pipe(r->out_p) != 0 || (r->capture_err && make_pipe(r->err_p) != 0) ||
	    (o->stdin_data && make_pipe(r->in_p) != 0))
		return dm_fail(DM_ERR_PROC, "cannot run '%s': pipe: %s", r->label, strerror(errno));
	if (o->stdin_data)
		posix_spawn_file_actions_adddup2(fa, r->in_p[0], 0);
	else
		posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(fa, r->out_p[1], 1);
	if (r->capture_err)
		posix_spawn_file_actions_adddup2(fa, r->err_p[1], 2);
	return DM_OK;
}

/* Starts path with o->argv; on success our copies of the child's pipe ends are closed. */
static dm_err spawn_child(proc_run *r, const char *path, char **envp)
{
	const dm_proc_opts *o = r->o;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	dm_err e;
	int rc;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return dm_nomem();
	if (posix_spawnattr_init(&attr) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return dm_nomem();
	}
	spawn_attrs(&attr, r->grouped);
	e = spawn_pipes(r, &fa);
	if (e == DM_OK && o->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, o->cwd);
	if (e == DM_OK) {
		rc = posix_spawn(&r->pid, path, &fa, &attr, (char *const *)o->argv, envp ? envp : environ);
		if (rc != 0) {
			r->pid = -1;
			if (rc == ENOENT && o->cwd && access(o->cwd, X_OK) != 0)
				e = dm_fail(DM_ERR_PROC, "cannot run '%s' in '%s': %s", r->label, o->cwd, strerror(rc));
			else
				e = dm_fail(DM_ERR_PROC, "cannot run '%s': %s", path, strerror(rc));
		}
	}
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (e != DM_OK)
		return e;
	close_fd(&r->in_p[0]);
	close_fd(&r->out_p[1]);
	close_fd(&r->err_p[1]);
	if (r->in_p[1] >= 0) {
		fcntl(r->in_p[1], F_SETFL, fcntl(r->in_p[1], F_GETFL) | O_NONBLOCK);
		if (o->stdin_len == 0)
			close_fd(&r->in_p[1]);
	}
	return DM_OK;
}

/* Reaps a child that exited, and stops one that ran past the deadline or was
 * interrupted: TERM, then KILL after the grace period. */
static void watch_child(proc_run *r, uint64_t now)
{
	const dm_proc_opts *o = r->o;

	if (!r->reaped && child_exited(r->pid)) {
		/* the zombie still holds the group id: what the child left running goes too */
		if (r->stopping != RUNNING)
			signal_child(r->pid, r->grouped, SIGKILL);
		while (waitpid(r->pid, &r->wstatus, 0) < 0 && errno == EINTR)
			;
		r->reaped = 1;
		r->drain_until = now + PROC_DRAIN_IDLE_MS;
		close_fd(&r->in_p[1]);
	}
	if (!r->reaped && r->stopping == RUNNING &&
	    (proc_cancelled || stop_asked(o) || (r->deadline && now >= r->deadline))) {
		r->stopping = proc_cancelled || stop_asked(o) ? INTERRUPTED : TIMED_OUT;
		r->res->timed_out = r->stopping == TIMED_OUT;
		signal_child(r->pid, r->grouped, SIGTERM);
		r->kill_at = now + PROC_KILL_GRACE_MS;
		if (r->stopping == TIMED_OUT)
			dm_debug("%s: timed out after %.1f s, sent TERM", r->label, o->timeout_ms / 1000.0);
		else
			dm_debug("%s: interrupted, sent TERM", r->label);
	}
	if (!r->reaped && r->kill_at && now >= r->kill_at) {
		signal_child(r->pid, r->grouped, SIGKILL);
		r->kill_at = 0;
		dm_debug("%s: still running 5 s after TERM, sent KILL", r->label);
	}
}

/* Writes what the pipe takes of the rest of stdin_data; closes it when all is
 * written or the child stopped reading (not our error). */
static void feed_stdin(proc_run *r, short revents)
{
	ssize_t n;

	if (revents & (POLLERR | POLLHUP)) {
		close_fd(&r->in_p[1]);
		return;
	}
	n = write_nosigpipe(r->in_p[1], r->o->stdin_data + r->in_off, r->o->stdin_len - r->in_off);
	if (n > 0)
		r->in_off += (size_t)n;
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		close_fd(&r->in_p[1]);
	if (r->in_off >= r->o->stdin_len)
		close_fd(&r->in_p[1]);
}

/* One wait of at most a tick (or until the deadline, or the end of the drain)
 * for the pipes, then stdin fed and stdout/stderr read. */
static dm_err exchange(proc_run *r, uint64_t now)
{
	struct pollfd pfd[3];
	int nfd = 0, idx_in = -1, idx_out = -1, idx_err = -1, rc;
	int wait_ms = PROC_TICK_MS;

	if (r->in_p[1] >= 0) {
		pfd[nfd] = (struct pollfd){ .fd = r->in_p[1], .events = POLLOUT };
		idx_in = nfd++;
	}
	if (r->out_p[0] >= 0) {
		pfd[nfd] = (struct pollfd){ .fd = r->out_p[0], .events = POLLIN };
		idx_out = nfd++;
	}
	if (r->err_p[0] >= 0) {
		pfd[nfd] = (struct pollfd){ .fd = r->err_p[0], .events = POLLIN };
		idx_err = nfd++;
	}
	if (r->reaped)
		wait_ms = (int)(r->drain_until - now);
	else if (r->deadline && r->stopping == RUNNING && r->deadline - now < (uint64_t)wait_ms)
		wait_ms = (int)(r->deadline - now);
	if (nfd == 0) {
		/* nothing to watch (inherited stdio, or the child closed its
		 * pipes): sleep until it exits or the timeout */
		struct timespec ts = { 0, (long)wait_ms * 1000000L };

		nanosleep(&ts, NULL);
		return DM_OK;
	}
	rc = poll(pfd, (nfds_t)nfd, wait_ms);
	if (rc < 0)
		return errno == EINTR ? DM_OK : dm_fail(DM_ERR_PROC, "%s: poll: %s", r->label, strerror(errno));
	if (rc == 0)
		return DM_OK;
	if (r->reaped)
		r->drain_until = now_ms() + PROC_DRAIN_IDLE_MS;
	if (idx_in >= 0 && pfd[idx_in].revents)
		feed_stdin(r, pfd[idx_in].revents);
	if (idx_out >= 0 && (pfd[idx_out].revents & (POLLIN | POLLHUP | POLLERR)))
		if (!drain_fd(r->out_p[0], &r->res->out, r->cap, &r->truncated, &r->buf_err))
			close_fd(&r->out_p[0]);
	if (idx_err >= 0 && (pfd[idx_err].revents & (POLLIN | POLLHUP | POLLERR)))
		if (!drain_fd(r->err_p[0], &r->res->err, r->cap, &r->truncated, &r->buf_err))
			close_fd(&r->err_p[0]);
	return DM_OK;
}

/* Feeds, reads and watches the child until it has exited and its pipes are
 * drained (or stay quiet for PROC_DRAIN_IDLE_MS), or poll fails. */
static dm_err follow(proc_run *r)
{
	dm_err e = DM_OK;

	while (e == DM_OK) {
		uint64_t now = now_ms();

		watch_child(r, now);
		if (r->reaped && ((r->out_p[0] < 0 && r->err_p[0] < 0) || now >= r->drain_until))
			break;
		e = exchange(r, now);
	}
	if (!r->reaped && r->pid > 0) {
		/* only after a poll failure: do not leave a zombie or its group behind */
		signal_child(r->pid, r->grouped, SIGKILL);
		while (waitpid(r->pid, &r->wstatus, 0) < 0 && errno == EINTR)
			;
		r->reaped = 1;
	}
	return e;
}

/* How the child ended, into res and the returned dm_err. */
static dm_err verdict(proc_run *r)
{
	dm_proc_result *res = r->res;

	if (WIFEXITED(r->wstatus)) {
		res->exited = 1;
		res->status = WEXITSTATUS(r->wstatus);
	} else if (WIFSIGNALED(r->wstatus)) {
		res->exited = 0;
		res->status = WTERMSIG(r->wstatus);
	}
	/* output is kept even when memory ran out mid-way; the caller learns it */
	if (r->buf_err != DM_OK)
		return dm_fail(r->buf_err, "%s: out of memory capturing its output", r->label);
	if (r->stopping == INTERRUPTED)
		return dm_fail(DM_ERR_INTERRUPTED, "%s interrupted and stopped", r->label);
	if (res->timed_out)
		return dm_fail(DM_ERR_TIMEOUT, "%s timed out after %.1f s and was stopped", r->label,
			       r->o->timeout_ms / 1000.0);
	if (res->exited && res->status != 0) {
		char line[512];

		dm_proc_last_line(line, sizeof(line), &res->err);
		if (line[0])
			return dm_fail(DM_ERR_PROC, "%s exited with %d: %s", r->label, res->status, line);
		return dm_fail(DM_ERR_PROC, "%s exited with %d", r->label, res->status);
	}
	if (!res->exited) {
		const char *sig = sigabbrev_np(res->status);

		return dm_fail(DM_ERR_PROC, "%s killed by signal %d (SIG%s)", r->label, res->status, sig ? sig : "?");
	}
	return DM_OK;
}

dm_err dm_proc_run(const dm_proc_opts *o, dm_proc_result *res)
{
	dm_proc_result init = DM_PROC_RESULT_INIT;
	proc_run r = { .o = o,
		       .res = res,
		       .in_p = { -1, -1 },
		       .out_p = { -1, -1 },
		       .err_p = { -1, -1 },
		       .pid = -1,
		       .stopping = RUNNING };
	char *path = NULL;
	char **envp = NULL;
	dm_err e;

	assert(o && o->argv && o->argv[0] && res);
	*res = init;
	r.label = prog_label(o->argv[0]);
	r.cap = o->max_output ? o->max_output : PROC_DEFAULT_MAX_OUTPUT;
	r.capture_err = o->capture_stderr && !o->inherit_stdio;
	r.grouped = !o->inherit_stdio;
	r.start = now_ms();
	/* counted before the check: a handler that finds no run active may end the
	 * process, one that finds this one active cancels it before the spawn */
	__atomic_add_fetch(&proc_active, 1, __ATOMIC_SEQ_CST);
	if (proc_cancelled || stop_asked(o)) {
		e = dm_fail(DM_ERR_INTERRUPTED, "interrupted: '%s' not started", r.label);
		goto done;
	}
	if ((e = dm_proc_find(&path, o->argv[0], NULL, NULL)) != DM_OK)
		goto done;
	if (o->env && !(envp = build_env(o->env))) {
		e = dm_nomem();
		goto done;
	}
	if ((e = spawn_child(&r, path, envp)) != DM_OK)
		goto done;
	if (o->timeout_ms)
		r.deadline = r.start + o->timeout_ms;
	e = follow(&r);
	res->seconds = (now_ms() - r.start) / 1000.0;
	if (r.truncated)
		dm_warn("output of '%s' cut at %zu bytes", r.label, r.cap);
	if (e == DM_OK)
		e = verdict(&r);
done:
	close_fd(&r.in_p[0]);
	close_fd(&r.in_p[1]);
	close_fd(&r.out_p[0]);
	close_fd(&r.out_p[1]);
	close_fd(&r.err_p[0]);
	close_fd(&r.err_p[1]);
	free(envp);
	free(path);
	__atomic_sub_fetch(&proc_active, 1, __ATOMIC_SEQ_CST);
	if (e != DM_OK && res->seconds == 0)
		res->seconds = (now_ms() - r.start) / 1000.0;
	return e;
}

/* ---- programs that outlive us ---- */

dm_err dm_proc_spawn_detached(const char *const *argv, const char *log_path, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	char *path = NULL;
	dm_err e;
	int rc, logfd;

	assert(argv && argv[0] && log_path && pid);
	*pid = -1;
	if (proc_cancelled)
		return dm_fail(DM_ERR_INTERRUPTED, "interrupted: '%s' not started", prog_label(argv[0]));
	if ((e = dm_proc_find(&path, argv[0], NULL, NULL)) != DM_OK)
		return e;
	logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (logfd < 0) {
		e = dm_fail(DM_ERR_IO, "cannot open '%s': %s", log_path, strerror(errno));
		free(path);
		return e;
	}
	if (posix_spawn_file_actions_init(&fa) != 0) {
		close(logfd);
		free(path);
		return dm_nomem();
	}
	if (posix_spawnattr_init(&attr) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(logfd);
		free(path);
		return dm_nomem();
	}
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	/* a session of its own: no terminal, and the terminal's Ctrl-C does not reach it */
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, logfd, 1);
	posix_spawn_file_actions_adddup2(&fa, logfd, 2);
	posix_spawn_file_actions_addchdir_np(&fa, "/");
	rc = posix_spawn(pid, path, &fa, &attr, (char *const *)argv, environ);
	if (rc != 0) {
		*pid = -1;
		e = dm_fail(DM_ERR_PROC, "cannot run '%s': %s", path, strerror(rc));
	}
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(logfd);
	free(path);
	return e;
}

/* The state letter of /proc/PID/stat ('R', 'S', 'Z', ...), 0 when there is no such process. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *close_paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "PID (COMM) S ...": COMM may hold anything, the last ')' ends it */
	close_paren = strrchr(buf, ')');
	return close_paren && close_paren[1] == ' ' ? close_paren[2] : 0;
}

int dm_proc_alive(pid_t pid)
{
	char s;

	if (pid <= 0)
		return 0;
	waitpid(pid, NULL, WNOHANG); /* ours and exited: reaped; anyone else's: ECHILD */
	if (kill(pid, 0) != 0 && errno == ESRCH)
		return 0;
	s = proc_state(pid);
	return s != 0 && s != 'Z' && s != 'X';
}

int dm_proc_has_arg(pid_t pid, const char *arg)
{
	char path[64], *text = NULL;
	size_t len = 0, at = 0;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if (dm_read_file(&text, &len, path) != DM_OK) {
		dm_err_clear();
		return 0;
	}
	/* NUL-separated arguments, the last one NUL-terminated too */
	while (at < len && !found) {
		size_t n = strnlen(text + at, len - at);

		found = n == strlen(arg) && !memcmp(text + at, arg, n);
		at += n + 1;
	}
	free(text);
	return found;
}

/* 1 when pid is gone within ms. */
static int gone_within(pid_t pid, uint64_t ms)
{
	uint64_t end = now_ms() + ms;

	while (dm_proc_alive(pid) && now_ms() < end)
		usleep(PROC_TICK_MS * 1000);
	return !dm_proc_alive(pid);
}

dm_err dm_proc_stop_pid(pid_t pid, uint64_t grace_ms)
{
	if (!dm_proc_alive(pid))
		return DM_OK;
	if (kill(pid, SIGTERM) != 0 && errno != ESRCH)
		return dm_fail(DM_ERR_PROC, "cannot stop process %ld: %s", (long)pid, strerror(errno));
	if (gone_within(pid, grace_ms))
		return DM_OK;
	kill(pid, SIGKILL);
	return gone_within(pid, 5000) ? DM_OK : dm_fail(DM_ERR_PROC, "process %ld did not end after KILL", (long)pid);
}
