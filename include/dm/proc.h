/* dm/proc.h - run a program: argv only (never a shell), output captured,
 * a timeout, the exit status.  The one process runner of libdm: dm-helm (helm,
 * kubectl), dm-cluster (minikube, microk8s, kubectl) and kubeconfig exec
 * credential plugins.  Thread-safe: each call is independent (posix_spawn; no
 * global state but the PATH lookup and the interrupt flag below).
 *
 * The child runs in a process group of its own (except with inherit_stdio), so
 * that a timeout or an interrupt stops everything it started, not just itself.
 */
#ifndef DM_PROC_H
#define DM_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <dm/err.h>
#include <dm/util.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
	const char *const *argv; /* argv[0] is the program: a path, or a name looked up in PATH */
	const char *const *env;  /* extra "NAME=value" entries added to the environment (NULL: none) */
	const char *cwd;         /* NULL: the current folder */
	const char *stdin_data;  /* written to the child's stdin, then closed (NULL: /dev/null) */
	size_t stdin_len;
	uint64_t timeout_ms; /* 0: none; on expiry TERM to the child's process group, KILL after 5 s */
	int inherit_stdio;   /* 1: the child uses our stdin/stdout/stderr (interactive: kubectl run -it) */
	int capture_stderr;  /* 1 (DM_PROC_OPTS_INIT): stderr captured into res->err; 0 (or with
				inherit_stdio): the child writes to our stderr */
	size_t max_output;   /* cap on captured bytes per stream; 0: 64 MiB */
	const int *stop;     /* NULL, or a flag another thread sets (__atomic_store_n) to stop this
				     child alone, as an interrupt would: DM_ERR_INTERRUPTED */
} dm_proc_opts;
/* clang-format off */
#define DM_PROC_OPTS_INIT { .argv = NULL, .capture_stderr = 1 }
/* clang-format on */

typedef struct {
	int exited; /* 1 if it exited; else killed by signal (or timed out) */
	int status; /* exit code when exited, else the signal number */
	int timed_out;
	dm_buf out; /* captured stdout */
	dm_buf err; /* captured stderr (with capture_stderr) */
	double seconds;
} dm_proc_result;
/* clang-format off */
#define DM_PROC_RESULT_INIT { .exited = 0, .out = DM_BUF_INIT, .err = DM_BUF_INIT }
/* clang-format on */

/* Runs the program and waits. DM_OK when it ran and exited 0.  Otherwise
 * DM_ERR_NOTFOUND (program not found: detail names it), DM_ERR_TIMEOUT,
 * DM_ERR_INTERRUPTED (dm_proc_cancel or o->stop: the child's group was stopped, or it never started),
 * DM_ERR_PROC (non-zero exit or signal: detail "PROG exited with N: <last stderr line>"),
 * with *res filled in either way.  Release res with dm_proc_result_release. */
dm_err dm_proc_run(const dm_proc_opts *o, dm_proc_result *res);

/* Stops every dm_proc_run in progress and refuses later ones (async-signal-safe:
 * made for a SIGINT/SIGTERM handler).  Each running child's process group gets
 * TERM, then KILL 5 s later; its dm_proc_run returns DM_ERR_INTERRUPTED once the
 * child is reaped, so that the caller can clean up and report. */
void dm_proc_cancel(void);
/* 1 after dm_proc_cancel, until dm_proc_cancel_clear (async-signal-safe). */
int dm_proc_cancelled(void);
/* Lets programs run again after dm_proc_cancel. */
void dm_proc_cancel_clear(void);
/* How many dm_proc_run calls have a child (or are about to start one) now
 * (async-signal-safe).  A signal handler that finds none may simply end the
 * process: nothing of ours is left running. */
int dm_proc_active(void);
void dm_proc_result_release(dm_proc_result *res);

/* The last non-empty line of captured output b (a stderr, for messages), cut to n - 1
 * bytes; "" when there is none. */
void dm_proc_last_line(char *out, size_t n, const dm_buf *b);

/* Finds a program: an env var holding a path (env_name, may be NULL) wins,
 * then PATH.  *out malloc'd.  DM_ERR_NOTFOUND names what was tried and how to get it (hint). */
dm_err dm_proc_find(char **out, const char *name, const char *env_name, const char *hint);

/* dm_proc_find for a tool with a flag naming the program: given (the flag's
 * value, NULL when not given) wins and is taken as it is, unchecked: running
 * it says what is wrong with it.  Else dm_proc_find(out, name, env_name, hint). */
dm_err dm_proc_find_given(char **out, const char *given, const char *name, const char *env_name, const char *hint);

/* Starts a program that outlives us (a server beside the cluster): a session of its own (no
 * terminal; the terminal's Ctrl-C does not reach it), stdin /dev/null, stdout and stderr appended
 * to log_path (created 0600), the current folder "/", no timeout; not waited for.  argv[0]: a path
 * or a name looked up in PATH.  *pid: the child's; the caller records it (a pidfile), polls it
 * (dm_proc_alive) and ends it (dm_proc_stop_pid).  Errors: those of dm_proc_find, DM_ERR_IO (the
 * log file), DM_ERR_PROC (the spawn). */
dm_err dm_proc_spawn_detached(const char *const *argv, const char *log_path, pid_t *pid);
/* 1 when process pid exists and is not a zombie (a child of ours that exited is reaped). */
int dm_proc_alive(pid_t pid);
/* 1 when process pid runs with arg as one of its arguments (Linux /proc): tells a pidfile's
 * process from another that got the same pid later. */
int dm_proc_has_arg(pid_t pid, const char *arg);
/* Ends process pid: TERM, then KILL after grace_ms.  DM_OK once it is gone (or was). */
dm_err dm_proc_stop_pid(pid_t pid, uint64_t grace_ms);

/* Quotes argv for display (--dry-run): one shell-safe line; secrets are the caller's to keep out. */
dm_err dm_proc_format_argv(dm_buf *out, const char *const *argv);

#ifdef __cplusplus
}
#endif
#endif
