/* tests/unit/test_proc.c - dm/proc.h: exit codes, signals, timeouts (TERM
 * then KILL, to the child's whole process group), interrupts (dm_proc_cancel),
 * large output on both streams, stdin, program lookup, the environment,
 * quoting for --dry-run, runs from several threads at once, and detached programs
 * (dm_proc_spawn_detached, dm_proc_alive, dm_proc_has_arg, dm_proc_stop_pid). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <dm/err.h>
#include <dm/proc.h>
#include <dm/util.h>

static dm_err run_sh(const char *script, dm_proc_result *res, uint64_t timeout_ms)
{
	const char *argv[] = { "sh", "-c", script, NULL };
	dm_proc_opts o = DM_PROC_OPTS_INIT;

	o.argv = argv;
	o.timeout_ms = timeout_ms;
	return dm_proc_run(&o, res);
}

static void test_proc__captures_stdout_of_a_successful_run(void **state)
{
	const char *argv[] = { "echo", "hello", "world", NULL };
	dm_proc_opts o = DM_PROC_OPTS_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;

	(void)state;
	o.argv = argv;
	assert_int_equal(dm_proc_run(&o, &r), DM_OK);
	assert_int_equal(r.exited, 1);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.timed_out, 0);
	assert_string_equal(dm_buf_str(&r.out), "hello world\n");
	assert_int_equal(r.err.len, 0);
	assert_true(r.seconds >= 0.0 && r.seconds < 5.0);
	dm_proc_result_release(&r);
}

static void test_proc__nonzero_exit_names_program_code_and_last_stderr_line(void **state)
{
	dm_proc_result r = DM_PROC_RESULT_INIT;

	(void)state;
	assert_int_equal(run_sh("echo partial; echo first >&2; echo 'the real reason' >&2; exit 3", &r, 0),
			 DM_ERR_PROC);
	assert_int_equal(r.exited, 1);
	assert_int_equal(r.status, 3);
	assert_string_equal(dm_buf_str(&r.out), "partial\n");
	assert_string_equal(dm_buf_str(&r.err), "first\nthe real reason\n");
	assert_string_equal(dm_err_detail(), "sh exited with 3: the real reason");
	dm_proc_result_release(&r);
}

static void test_proc__exit_codes_pass_through(void **state)
{
	static const int codes[] = { 1, 2, 42, 127, 255 };

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		char script[64];
		dm_proc_result r = DM_PROC_RESULT_INIT;

		snprintf(script, sizeof(script), "exit %d", codes[i]);
		assert_int_equal(run_sh(script, &r, 0), DM_ERR_PROC);
		assert_int_equal(r.exited, 1);
		assert_int_equal(r.status, codes[i]);
		dm_proc_result_release(&r);
	}
}

static void test_proc__death_by_signal_reports_the_signal(void **state)
{
	dm_proc_result r = DM_PROC_RESULT_INIT;

	(void)state;
	assert_int_equal(run_sh("kill -SEGV $$", &r, 0), DM_ERR_PROC);
	assert_int_equal(r.exited, 0);
	assert_int_equal(r.status, SIGSEGV);
	assert_int_equal(r.timed_out, 0);
	assert_non_null(strstr(dm_err_detail(), "killed by signal 11 (SIGSEGV)"));
	dm_proc_result_release(&r);
}

static void test_proc__child_starts_with_default_signals_and_empty_mask(void **state)
{
	const char *argv[] = { "grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status", NULL };
	dm_proc_opts o = DM_PROC_OPTS_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;
	struct sigaction ign, old;
	sigset_t usr1, oldmask;

	(void)state;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, &oldmask);
	o.argv = argv;
	assert_int_equal(dm_proc_run(&o, &r), DM_OK);
	{
		/* bit n-1 stands for signal n; other bits may come from whoever started us */
		unsigned long long blk = 0, ignmask = 0;

		assert_int_equal(sscanf(dm_buf_str(&r.out), "SigBlk:\t%llx\nSigIgn:\t%llx", &blk, &ignmask), 2);
		assert_int_equal(blk & (1ULL << (SIGUSR1 - 1)), 0);
		assert_int_equal(ignmask & (1ULL << (SIGPIPE - 1)), 0);
	}
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	sigaction(SIGPIPE, &old, NULL);
	dm_proc_result_release(&r);
}

static void test_proc__timeout_terminates_the_child(void **state)
{
	dm_proc_result r = DM_PROC_RESULT_INIT;

	(void)state;
	assert_int_equal(run_sh("echo started; exec sleep 30", &r, 300), DM_ERR_TIMEOUT);
	assert_int_equal(r.timed_out, 1);
	assert_int_equal(r.exited, 0);
	assert_int_equal(r.status, SIGTERM);
	assert_string_equal(dm_buf_str(&r.out), "started\n");
	assert_true(r.seconds >= 0.3 && r.seconds < 3.0);
	assert_string_equal(dm_err_detail(), "sh timed out after 0.3 s and was stopped");
	dm_proc_result_release(&r);
}

static void test_proc__timeout_kills_a_child_that_ignores_term_after_5s(void **state)
{
	dm_proc_result r = DM_PROC_RESULT_INIT;

	(void)state;
	/* the grandchild `sleep` keeps the output pipe open: the run must still end */
	assert_int_equal(run_sh("trap '' TERM; echo ready; sleep 30; echo never", &r, 200), DM_ERR_TIMEOUT);
	assert_int_equal(r.timed_out, 1);
	assert_int_equal(r.exited, 0);
	assert_int_equal(r.status, SIGKILL);
	assert_string_equal(dm_buf_str(&r.out), "ready\n");
	assert_true(r.seconds >= 5.2 && r.seconds < 8.0);
	dm_proc_result_release(&r);
}

/* Is process pid gone (or a zombie waiting for init), within 3 s? */
static int gone_soon(pid_t pid)
{
	for (int i = 0; i < 300; i++) {
		char path[64], line[256] = "";
		FILE *f;

		if (kill(pid, 0) != 0 && errno == ESRCH)
			return 1;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if ((f = fopen(path, "r"))) {
			size_t n = fread(line, 1, sizeof(line) - 1, f);

			fclose(f);
			line[n] = '\0';
			/* "PID (comm) STATE ..." */
			if (strstr(line, ") Z "))
				return 1;
		}
		usleep(10000);
	}
	return 0;
}

/* The shell leaves a grandchild that holds no pipe: a kill of the shell alone
 * would leave it running. */
#define GRANDCHILD_SCRIPT "sleep 30 </dev/null >/dev/null 2>&1 & echo $!; wait"

static void test_proc__timeout_stops_the_whole_process_group(void **state)
{
	dm_proc_result r = DM_PROC_RESULT_INIT;
	pid_t grandchild;

	(void)state;
	assert_int_equal(run_sh(GRANDCHILD_SCRIPT, &r, 300), DM_ERR_TIMEOUT);
	grandchild = (pid_t)atoi(dm_buf_str(&r.out));
	assert_true(grandchild > 1);
	if (!gone_soon(grandchild)) {
		kill(grandchild, SIGKILL);
		fail_msg("the grandchild %d outlived the timed-out run", (int)grandchild);
	}
	assert_true(r.seconds < 3.0);
	dm_proc_result_release(&r);
}

static void *cancel_later(void *arg)
{
	(void)arg;
	usleep(300000);
	dm_proc_cancel();
	return NULL;
}

static void test_proc__cancel_stops_the_whole_group_and_refuses_new_runs(void **state)
{
	dm_proc_result r = DM_PROC_RESULT_INIT;
	pthread_t t;
	pid_t grandchild;

	(void)state;
	assert_int_equal(dm_proc_cancelled(), 0);
	assert_int_equal(pthread_create(&t, NULL, cancel_later, NULL), 0);
	assert_int_equal(run_sh(GRANDCHILD_SCRIPT, &r, 0), DM_ERR_INTERRUPTED);
	pthread_join(t, NULL);
	assert_string_equal(dm_err_detail(), "sh interrupted and stopped");
	assert_int_equal(r.timed_out, 0);
	assert_true(r.seconds < 3.0);
	grandchild = (pid_t)atoi(dm_buf_str(&r.out));
	assert_true(grandchild > 1);
	if (!gone_soon(grandchild)) {
		kill(grandchild, SIGKILL);
		dm_proc_cancel_clear();
		fail_msg("the grandchild %d outlived the interrupted run", (int)grandchild);
	}
	dm_proc_result_release(&r);
	assert_int_equal(dm_proc_active(), 0);
	/* after the interrupt nothing starts */
	assert_int_equal(run_sh("echo no", &r, 5000), DM_ERR_INTERRUPTED);
	assert_string_equal(dm_err_detail(), "interrupted: 'sh' not started");
	assert_int_equal(r.out.len, 0);
	dm_proc_result_release(&r);
	dm_proc_cancel_clear();
	assert_int_equal(run_sh("echo yes", &r, 5000), DM_OK);
	assert_string_equal(dm_buf_str(&r.out), "yes\n");
	dm_proc_result_release(&r);
}

static void *stop_later(void *arg)
{
	usleep(300000);
	__atomic_store_n((int *)arg, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *sleep_one_second(void *arg)
{
	dm_proc_result r = DM_PROC_RESULT_INIT;

	*(dm_err *)arg = run_sh("exec sleep 1", &r, 20000);
	dm_proc_result_release(&r);
	return NULL;
}

/* o.stop stops its own run (the whole group, as an interrupt does) and no other */
static void test_proc__stop_flag_stops_that_run_alone(void **state)
{
	const char *argv[] = { "sh", "-c", GRANDCHILD_SCRIPT, NULL };
	dm_proc_opts o = DM_PROC_OPTS_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;
	pthread_t t, other;
	dm_err other_e = DM_ERR_PROC;
	int stop = 0;
	pid_t grandchild;

	(void)state;
	o.argv = argv;
	o.stop = &stop;
	assert_int_equal(pthread_create(&other, NULL, sleep_one_second, &other_e), 0);
	assert_int_equal(pthread_create(&t, NULL, stop_later, &stop), 0);
	assert_int_equal(dm_proc_run(&o, &r), DM_ERR_INTERRUPTED);
	pthread_join(t, NULL);
	assert_string_equal(dm_err_detail(), "sh interrupted and stopped");
	assert_true(r.seconds < 3.0);
	assert_int_equal(dm_proc_cancelled(), 0);
	grandchild = (pid_t)atoi(dm_buf_str(&r.out));
	assert_true(grandchild > 1);
	if (!gone_soon(grandchild)) {
		kill(grandchild, SIGKILL);
		fail_msg("the grandchild %d outlived the stopped run", (int)grandchild);
	}
	dm_proc_result_release(&r);
	pthread_join(other, NULL);
	assert_int_equal(other_e, DM_OK);
	/* the flag still set: the run does not start */
	assert_int_equal(dm_proc_run(&o, &r), DM_ERR_INTERRUPTED);
	assert_string_equal(dm_err_detail(), "interrupted: 'sh' not started");
	dm_proc_result_release(&r);
}

static void test_proc__fast_child_is_not_marked_timed_out(void **state)
{
	dm_proc_result r = DM_PROC_RESULT_INIT;

	(void)state;
	assert_int_equal(run_sh("echo quick", &r, 5000), DM_OK);
	assert_int_equal(r.timed_out, 0);
	assert_true(r.seconds < 2.0);
	dm_proc_result_release(&r);
}

static void test_proc__large_output_on_both_streams_does_not_deadlock(void **state)
{
	dm_proc_result r = DM_PROC_RESULT_INIT;

	(void)state;
	/* far beyond a pipe buffer on each stream, interleaved */
	assert_int_equal(run_sh("i=0; while [ $i -lt 4 ]; do head -c 2000000 /dev/zero; "
				"head -c 1500000 /dev/zero >&2; i=$((i+1)); done",
				&r, 60000),
			 DM_OK);
	assert_int_equal(r.out.len, 8000000);
	assert_int_equal(r.err.len, 6000000);
	for (size_t i = 0; i < r.out.len; i += 4093)
		assert_int_equal(r.out.data[i], 0);
	dm_proc_result_release(&r);
}

static void test_proc__max_output_caps_capture_and_still_reaps(void **state)
{
	const char *argv[] = { "head", "-c", "3000000", "/dev/zero", NULL };
	dm_proc_opts o = DM_PROC_OPTS_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;

	(void)state;
	o.argv = argv;
	o.max_output = 100000;
	assert_int_equal(dm_proc_run(&o, &r), DM_OK);
	assert_int_equal(r.out.len, 100000);
	assert_int_equal(r.exited, 1);
	dm_proc_result_release(&r);
}

static void test_proc__stdin_data_reaches_the_child_byte_for_byte(void **state)
{
	const char *argv[] = { "cat", NULL };
	dm_proc_opts o = DM_PROC_OPTS_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;
	size_t n = 3 * 1024 * 1024 + 17;
	char *data = malloc(n);

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 131 + (i >> 9));
	o.argv = argv;
	o.stdin_data = data;
	o.stdin_len = n;
	o.timeout_ms = 60000;
	assert_int_equal(dm_proc_run(&o, &r), DM_OK);
	assert_int_equal(r.out.len, n);
	assert_memory_equal(r.out.data, data, n);
	free(data);
	dm_proc_result_release(&r);
}

static void test_proc__stdin_ignored_by_the_child_is_not_an_error(void **state)
{
	const char *argv[] = { "true", NULL };
	dm_proc_opts o = DM_PROC_OPTS_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;
	size_t n = 2 * 1024 * 1024;
	char *data = calloc(1, n);

	(void)state;
	assert_non_null(data);
	o.argv = argv;
	o.stdin_data = data;
	o.stdin_len = n;
	/* the write fails with EPIPE; SIGPIPE must not kill this process */
	assert_int_equal(dm_proc_run(&o, &r), DM_OK);
	free(data);
	dm_proc_result_release(&r);
}

static void test_proc__no_stdin_data_means_dev_null(void **state)
{
	const char *argv[] = { "cat", NULL };
	dm_proc_opts o = DM_PROC_OPTS_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;

	(void)state;
	o.argv = argv;
	o.timeout_ms = 5000;
	assert_int_equal(dm_proc_run(&o, &r), DM_OK);
	assert_int_equal(r.out.len, 0);
	assert_int_equal(r.timed_out, 0);
	dm_proc_result_release(&r);
}

static void test_proc__stderr_not_captured_when_asked(void **state)
{
	const char *argv[] = { "sh", "-c", "echo out; echo to-our-stderr >&2", NULL };
	dm_proc_opts o = DM_PROC_OPTS_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;

	(void)state;
	o.argv = argv;
	o.capture_stderr = 0;
	assert_int_equal(dm_proc_run(&o, &r), DM_OK);
	assert_string_equal(dm_buf_str(&r.out), "out\n");
	assert_int_equal(r.err.len, 0);
	dm_proc_result_release(&r);
}

static void test_proc__env_entries_add_and_replace(void **state)
{
	const char *argv[] = { "sh", "-c",
			       "printf '%s|%s|%s|%s' \"$DM_PROC_NEW\" \"$DM_PROC_OLD\" "
			       "\"${DM_PROC_GONE-unset}\" \"$DM_PROC_KEEP\"",
			       NULL };
	const char *env[] = { "DM_PROC_NEW=a b", "DM_PROC_OLD=replaced", "DM_PROC_GONE", "DM_PROC_NEW=last wins",
			      NULL };
	dm_proc_opts o = DM_PROC_OPTS_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;

	(void)state;
	setenv("DM_PROC_OLD", "original", 1);
	setenv("DM_PROC_GONE", "present", 1);
	setenv("DM_PROC_KEEP", "kept", 1);
	o.argv = argv;
	o.env = env;
	assert_int_equal(dm_proc_run(&o, &r), DM_OK);
	assert_string_equal(dm_buf_str(&r.out), "last wins|replaced|unset|kept");
	/* our own environment is untouched */
	assert_string_equal(getenv("DM_PROC_OLD"), "original");
	unsetenv("DM_PROC_OLD");
	unsetenv("DM_PROC_GONE");
	unsetenv("DM_PROC_KEEP");
	dm_proc_result_release(&r);
}

static void test_proc__cwd_is_honoured(void **state)
{
	const char *argv[] = { "pwd", "-P", NULL };
	dm_proc_opts o = DM_PROC_OPTS_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;
	char tmpl[] = "/tmp/dm-proc-cwd-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char *real, want[4200];

	(void)state;
	assert_non_null(dir);
	real = realpath(dir, NULL);
	assert_non_null(real);
	snprintf(want, sizeof(want), "%s\n", real);
	o.argv = argv;
	o.cwd = dir;
	assert_int_equal(dm_proc_run(&o, &r), DM_OK);
	assert_string_equal(dm_buf_str(&r.out), want);
	dm_proc_result_release(&r);
	free(real);
	rmdir(dir);
}

static void test_proc__missing_program_is_notfound_and_named(void **state)
{
	const char *argv[] = { "dm-no-such-program-here", "x", NULL };
	dm_proc_opts o = DM_PROC_OPTS_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;

	(void)state;
	o.argv = argv;
	assert_int_equal(dm_proc_run(&o, &r), DM_ERR_NOTFOUND);
	assert_string_equal(dm_err_detail(), "'dm-no-such-program-here' not found in PATH");
	assert_int_equal(r.exited, 0);
	dm_proc_result_release(&r);
}

static void test_proc__unexecutable_file_is_a_proc_error(void **state)
{
	char path[] = "/tmp/dm-proc-bad-XXXXXX";
	int fd = mkstemp(path);
	const char *argv[] = { path, NULL };
	dm_proc_opts o = DM_PROC_OPTS_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd,
			       "\x7f"
			       "ELF garbage",
			       12),
			 12);
	close(fd);
	chmod(path, 0755);
	o.argv = argv;
	assert_int_equal(dm_proc_run(&o, &r), DM_ERR_PROC);
	assert_non_null(strstr(dm_err_detail(), "cannot run"));
	assert_non_null(strstr(dm_err_detail(), path));
	dm_proc_result_release(&r);
	unlink(path);
}

static void test_proc__find_prefers_env_var_then_path(void **state)
{
	char *p = NULL;

	(void)state;
	unsetenv("DM_PROC_TOOL");
	assert_int_equal(dm_proc_find(&p, "sh", "DM_PROC_TOOL", NULL), DM_OK);
	assert_non_null(p);
	assert_true(p[0] == '/' && strcmp(strrchr(p, '/'), "/sh") == 0);
	free(p);

	setenv("DM_PROC_TOOL", "/bin/true", 1);
	assert_int_equal(dm_proc_find(&p, "sh", "DM_PROC_TOOL", NULL), DM_OK);
	assert_string_equal(p, "/bin/true");
	free(p);

	/* a bare name in the variable is looked up in PATH */
	setenv("DM_PROC_TOOL", "cat", 1);
	assert_int_equal(dm_proc_find(&p, "sh", "DM_PROC_TOOL", NULL), DM_OK);
	assert_string_equal(strrchr(p, '/'), "/cat");
	free(p);
	unsetenv("DM_PROC_TOOL");
}

static void test_proc__find_notfound_names_the_variable_and_the_hint(void **state)
{
	char *p = (char *)"untouched";

	(void)state;
	unsetenv("DM_PROC_TOOL");
	assert_int_equal(dm_proc_find(&p, "dm-no-such-tool", "DM_PROC_TOOL", "install it from its releases page"),
			 DM_ERR_NOTFOUND);
	assert_null(p);
	assert_string_equal(dm_err_detail(), "'dm-no-such-tool' not found in PATH (or set DM_PROC_TOOL to its path); "
					     "install it from its releases page");

	{
		char plain[] = "/tmp/dm-proc-plain-XXXXXX";
		int fd = mkstemp(plain);
		char want[256];

		assert_true(fd >= 0);
		close(fd);
		chmod(plain, 0644);
		setenv("DM_PROC_TOOL", plain, 1);
		assert_int_equal(dm_proc_find(&p, "sh", "DM_PROC_TOOL", NULL), DM_ERR_NOTFOUND);
		snprintf(want, sizeof(want), "DM_PROC_TOOL='%s' is not an executable file", plain);
		assert_string_equal(dm_err_detail(), want);
		unsetenv("DM_PROC_TOOL");
		unlink(plain);
	}

	assert_int_equal(dm_proc_find(&p, "/nonexistent/tool", NULL, NULL), DM_ERR_NOTFOUND);
	assert_string_equal(dm_err_detail(), "'/nonexistent/tool' is not an executable file");
}

static void test_proc__find_given_wins_unchecked_else_env_then_path(void **state)
{
	char *p = NULL;

	(void)state;
	setenv("DM_PROC_TOOL", "/bin/true", 1);
	/* what the user named is taken as it is: running it says what is wrong with it */
	assert_int_equal(dm_proc_find_given(&p, "/nonexistent/tool", "sh", "DM_PROC_TOOL", NULL), DM_OK);
	assert_string_equal(p, "/nonexistent/tool");
	free(p);
	assert_int_equal(dm_proc_find_given(&p, NULL, "sh", "DM_PROC_TOOL", NULL), DM_OK);
	assert_string_equal(p, "/bin/true");
	free(p);
	unsetenv("DM_PROC_TOOL");
	p = (char *)"untouched";
	assert_int_equal(dm_proc_find_given(&p, NULL, "dm-no-such-tool", NULL, "get it"), DM_ERR_NOTFOUND);
	assert_null(p);
	assert_string_equal(dm_err_detail(), "'dm-no-such-tool' not found in PATH; get it");
}

static void test_proc__find_skips_directories_and_non_executables_in_path(void **state)
{
	char tmpl[] = "/tmp/dm-proc-path-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char a[256], b[256], sub[512], f[512], newpath[600];
	const char *oldpath = getenv("PATH");
	char *saved = oldpath ? strdup(oldpath) : NULL;
	char *p = NULL;
	FILE *fp;

	(void)state;
	assert_non_null(dir);
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	mkdir(a, 0755);
	mkdir(b, 0755);
	snprintf(sub, sizeof(sub), "%s/dmtool", a); /* a directory named like the tool */
	mkdir(sub, 0755);
	snprintf(f, sizeof(f), "%s/b/dmtool", dir);
	fp = fopen(f, "w");
	assert_non_null(fp);
	fputs("#!/bin/sh\necho from-b\n", fp);
	fclose(fp);
	chmod(f, 0755);
	snprintf(newpath, sizeof(newpath), "%s:%s", a, b);
	setenv("PATH", newpath, 1);
	assert_int_equal(dm_proc_find(&p, "dmtool", NULL, NULL), DM_OK);
	assert_string_equal(p, f);
	free(p);
	chmod(f, 0644);
	assert_int_equal(dm_proc_find(&p, "dmtool", NULL, NULL), DM_ERR_NOTFOUND);
	if (saved)
		setenv("PATH", saved, 1);
	free(saved);
	unlink(f);
	rmdir(sub);
	rmdir(a);
	rmdir(b);
	rmdir(dir);
}

static void test_proc__format_argv_quotes_only_what_needs_it(void **state)
{
	const char *argv[] = { "helm", "upgrade", "--install",  "a=b,c:d/e.f@g%h+i_j-k", "two words", "it's",
			       "",     "$HOME",   "x;rm -rf /", "line\nbreak",           "*",         NULL };
	dm_buf b = DM_BUF_INIT;

	(void)state;
	assert_int_equal(dm_proc_format_argv(&b, argv), DM_OK);
	assert_string_equal(dm_buf_str(&b),
			    "helm upgrade --install a=b,c:d/e.f@g%h+i_j-k 'two words' 'it'\\''s' '' '$HOME' "
			    "'x;rm -rf /' 'line\nbreak' '*'");
	dm_buf_release(&b);
}

static void test_proc__format_argv_round_trips_through_a_shell(void **state)
{
	const char *args[] = { "printf", "[%s]",        "plain",     "two words",   "it's",  "",  "$HOME", "`id`",
			       "a\"b",   "back\\slash", "tab\there", "line\nbreak", "!bang", "~", "#hash", NULL };
	dm_buf line = DM_BUF_INIT, want = DM_BUF_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;

	(void)state;
	assert_int_equal(dm_proc_format_argv(&line, args), DM_OK);
	for (size_t i = 2; args[i]; i++)
		dm_buf_printf(&want, "[%s]", args[i]);
	assert_int_equal(run_sh(dm_buf_str(&line), &r, 5000), DM_OK);
	assert_string_equal(dm_buf_str(&r.out), dm_buf_str(&want));
	dm_buf_release(&line);
	dm_buf_release(&want);
	dm_proc_result_release(&r);
}

/* ---- several runs at once ---- */

struct cat_job {
	char data[64];
	dm_err e;
	int ok;
	double seconds;
};

static void *cat_thread(void *arg)
{
	struct cat_job *j = arg;
	const char *argv[] = { "cat", NULL };
	dm_proc_opts o = DM_PROC_OPTS_INIT;
	dm_proc_result r = DM_PROC_RESULT_INIT;

	o.argv = argv;
	o.stdin_data = j->data;
	o.stdin_len = strlen(j->data);
	o.timeout_ms = 20000;
	for (int k = 0; k < 5; k++) {
		j->e = dm_proc_run(&o, &r);
		j->ok = j->e == DM_OK && r.out.len == o.stdin_len && memcmp(r.out.data, j->data, r.out.len) == 0;
		j->seconds = r.seconds > j->seconds ? r.seconds : j->seconds;
		dm_proc_result_release(&r);
		if (!j->ok)
			break;
	}
	return NULL;
}

static void *sleeper_thread(void *arg)
{
	dm_proc_result r = DM_PROC_RESULT_INIT;

	(void)arg;
	run_sh("exec sleep 4", &r, 20000);
	dm_proc_result_release(&r);
	return NULL;
}

static void test_proc__parallel_runs_do_not_share_pipes(void **state)
{
	enum { N = 6 };
	pthread_t sleeper, t[N];
	struct cat_job jobs[N];

	(void)state;
	memset(jobs, 0, sizeof(jobs));
	/* a long-lived child started alongside: were our pipes inherited by it,
	 * the cats below would never see EOF on stdin until it exits */
	assert_int_equal(pthread_create(&sleeper, NULL, sleeper_thread, NULL), 0);
	usleep(100000);
	for (int i = 0; i < N; i++) {
		snprintf(jobs[i].data, sizeof(jobs[i].data), "job %d says hello\n", i);
		assert_int_equal(pthread_create(&t[i], NULL, cat_thread, &jobs[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		if (!jobs[i].ok)
			fail_msg("job %d: %s (%s)", i, dm_strerror(jobs[i].e), dm_err_detail());
		if (jobs[i].seconds > 2.0)
			fail_msg("job %d took %.1f s: a pipe leaked into another child", i, jobs[i].seconds);
	}
	pthread_join(sleeper, NULL);
}

/* A detached program: its own session, output appended to the log, found by its argument,
 * stopped with TERM; one that exits is no longer alive (reaped, not a zombie). */
static void test_proc__detached_program_outlives_the_call_and_stops(void **state)
{
	char tmpl[] = "/tmp/dm-proc-detached-XXXXXX";
	char *dir = mkdtemp(tmpl), log[4200], *text = NULL;
	const char *sleeper[] = { "sleep", "31.25", NULL };
	const char *quick[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	const char *nothing[] = { "dm-no-such-program-here", NULL };
	struct stat st;
	pid_t pid = -1;
	int found = 0;

	(void)state;
	assert_non_null(dir);
	snprintf(log, sizeof(log), "%s/log", dir);
	assert_int_equal(dm_proc_spawn_detached(sleeper, log, &pid), DM_OK);
	assert_true(pid > 0);
	assert_true(dm_proc_alive(pid));
	assert_int_equal(getsid(pid), pid);
	assert_int_equal(stat(log, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* until the child has exec'd sleep, /proc shows this program's argv */
	for (int i = 0; i < 50 && !(found = dm_proc_has_arg(pid, "31.25")); i++)
		usleep(100000);
	assert_true(found);
	assert_false(dm_proc_has_arg(pid, "31.2"));
	assert_false(dm_proc_has_arg(pid, "1.25"));
	assert_int_equal(dm_proc_stop_pid(pid, 5000), DM_OK);
	assert_false(dm_proc_alive(pid));
	assert_false(dm_proc_has_arg(pid, "31.25"));
	assert_int_equal(dm_proc_stop_pid(pid, 5000), DM_OK); /* gone: nothing to do */

	assert_int_equal(dm_proc_spawn_detached(quick, log, &pid), DM_OK);
	for (int i = 0; i < 50 && dm_proc_alive(pid); i++)
		usleep(100000);
	assert_false(dm_proc_alive(pid));
	assert_int_equal(dm_proc_spawn_detached(quick, log, &pid), DM_OK);
	for (int i = 0; i < 50 && dm_proc_alive(pid); i++)
		usleep(100000);
	assert_int_equal(dm_read_file(&text, NULL, log), DM_OK);
	assert_string_equal(text, "out\nerr\nout\nerr\n"); /* appended, both streams */
	free(text);

	assert_int_equal(dm_proc_spawn_detached(nothing, log, &pid), DM_ERR_NOTFOUND);
	assert_int_equal(pid, -1);
	assert_false(dm_proc_alive(0));
	unlink(log);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc__captures_stdout_of_a_successful_run),
		cmocka_unit_test(test_proc__nonzero_exit_names_program_code_and_last_stderr_line),
		cmocka_unit_test(test_proc__exit_codes_pass_through),
		cmocka_unit_test(test_proc__death_by_signal_reports_the_signal),
		cmocka_unit_test(test_proc__child_starts_with_default_signals_and_empty_mask),
		cmocka_unit_test(test_proc__timeout_terminates_the_child),
		cmocka_unit_test(test_proc__timeout_kills_a_child_that_ignores_term_after_5s),
		cmocka_unit_test(test_proc__timeout_stops_the_whole_process_group),
		cmocka_unit_test(test_proc__cancel_stops_the_whole_group_and_refuses_new_runs),
		cmocka_unit_test(test_proc__stop_flag_stops_that_run_alone),
		cmocka_unit_test(test_proc__fast_child_is_not_marked_timed_out),
		cmocka_unit_test(test_proc__large_output_on_both_streams_does_not_deadlock),
		cmocka_unit_test(test_proc__max_output_caps_capture_and_still_reaps),
		cmocka_unit_test(test_proc__stdin_data_reaches_the_child_byte_for_byte),
		cmocka_unit_test(test_proc__stdin_ignored_by_the_child_is_not_an_error),
		cmocka_unit_test(test_proc__no_stdin_data_means_dev_null),
		cmocka_unit_test(test_proc__stderr_not_captured_when_asked),
		cmocka_unit_test(test_proc__env_entries_add_and_replace),
		cmocka_unit_test(test_proc__cwd_is_honoured),
		cmocka_unit_test(test_proc__missing_program_is_notfound_and_named),
		cmocka_unit_test(test_proc__unexecutable_file_is_a_proc_error),
		cmocka_unit_test(test_proc__find_prefers_env_var_then_path),
		cmocka_unit_test(test_proc__find_notfound_names_the_variable_and_the_hint),
		cmocka_unit_test(test_proc__find_given_wins_unchecked_else_env_then_path),
		cmocka_unit_test(test_proc__find_skips_directories_and_non_executables_in_path),
		cmocka_unit_test(test_proc__format_argv_quotes_only_what_needs_it),
		cmocka_unit_test(test_proc__format_argv_round_trips_through_a_shell),
		cmocka_unit_test(test_proc__parallel_runs_do_not_share_pipes),
		cmocka_unit_test(test_proc__detached_program_outlives_the_call_and_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
