/* tools/common/cli.c - the parts every dm-* tool shares: stderr sink, exit codes (see dm/cli.h). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <dm/cli.h>
#include <dm/log.h>
#include <dm/proc.h>

static const char *prog = "dm";

static void stderr_sink(dm_log_level level, const char *msg, void *ud)
{
	(void)ud;
	switch (level) {
	case DM_LOG_ERROR:
		fprintf(stderr, "%s: error: %s\n", prog, msg);
		dm_cli_json_note_error(msg, NULL);
		break;
	case DM_LOG_WARN: fprintf(stderr, "%s: warning: %s\n", prog, msg); break;
	default: fprintf(stderr, "%s: %s\n", prog, msg); break;
	}
}

/* Programs run in process groups of their own (proc.c), out of reach of the
 * terminal's ^C: an interrupt that finds one running stops it and lets the
 * tool report and exit 130; otherwise the signal ends the tool as before. */
static void on_interrupt(int sig)
{
	if (dm_proc_active() > 0) {
		dm_proc_cancel();
		return;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void dm_cli_on_interrupt(void (*handler)(int))
{
	static const int sigs[] = { SIGINT, SIGTERM };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction sa, old;

		/* a signal ignored by whoever started us (nohup, a script's background job) stays ignored */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = handler;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

void dm_cli_init(const char *name)
{
	prog = name;
	dm_err_set_hint_text(dm_cli_hint_text);
	dm_log_set(stderr_sink, NULL);
	dm_log_set_level(DM_LOG_WARN);
	dm_cli_on_interrupt(on_interrupt);
}

void dm_cli_set_verbosity(int v)
{
	dm_log_set_level(v < 0 ? DM_LOG_ERROR : v == 0 ? DM_LOG_WARN : v == 1 ? DM_LOG_INFO : DM_LOG_DEBUG);
}

const char *dm_cli_prog(void)
{
	return prog;
}

int dm_cli_exit_code(dm_err err)
{
	switch (err) {
	case DM_OK: return DM_EXIT_OK;
	case DM_ERR_USAGE: return DM_EXIT_USAGE;
	case DM_ERR_CONFIG: return DM_EXIT_CONFIG;
	case DM_ERR_PARTIAL: return DM_EXIT_PARTIAL;
	case DM_ERR_INTERRUPTED: return DM_EXIT_INTERRUPTED;
	default: return DM_EXIT_FAIL;
	}
}

int dm_cli_fail(dm_err err)
{
	const char *d = dm_err_detail();

	fprintf(stderr, "%s: error: %s\n", prog, d && *d ? d : dm_strerror(err));
	dm_cli_json_note_error(d && *d ? d : dm_strerror(err), dm_err_name(err));
	return dm_cli_exit_code(err);
}

int dm_cli_usage_error(const char *fmt, ...)
{
	char raw[1024], clean[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: error: %s\nTry '%s --help' for more information.\n", prog,
		dm_redact(clean, sizeof(clean), raw), prog);
	dm_cli_json_note_error(clean, dm_err_name(DM_ERR_USAGE));
	return DM_EXIT_USAGE;
}

void dm_cli_no_core(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int dm_cli_close_stdout(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "%s: error: cannot write to standard output: %s\n", prog, strerror(errno));
		return code == DM_EXIT_OK ? DM_EXIT_FAIL : code;
	}
	return code;
}
