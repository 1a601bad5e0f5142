/* tools/common/dm/cli.h - what every dm-* tool shares (the tools' layer over libdm, the one part
 * of dm that prints): the stderr log sink, exit codes,
 * verbosity, core-dump refusal and a checked stdout.
 *
 * Exit codes (documented in every --help):
 *   0 ok, 1 failed, 2 usage, 3 bad configuration, 4 partial failure, 130 interrupted.
 */
#ifndef DM_CLI_H
#define DM_CLI_H

#include <dm/err.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	DM_EXIT_OK = 0,
	DM_EXIT_FAIL = 1,
	DM_EXIT_USAGE = 2,
	DM_EXIT_CONFIG = 3,
	DM_EXIT_PARTIAL = 4,
	DM_EXIT_INTERRUPTED = 130
};

/* Text for the EXIT CODES section of --help, ending in a newline. */
#define DM_CLI_EXIT_HELP                                                                                               \
	"Exit codes:\n"                                                                                                \
	"  0 ok, 1 failed, 2 usage, 3 bad configuration, 4 partial failure (listed), 130 interrupted\n"

/* Installs a log sink printing "PROG: error: MSG" / "PROG: warning: MSG" /
 * "PROG: MSG" to stderr, at level INFO (WARN with quiet). Call first in main().
 * Also catches SIGINT and SIGTERM: while a program of dm_proc_run runs, the
 * signal stops it (dm_proc_cancel; the tool then exits 130), otherwise it ends
 * the tool as an uncaught signal would.  Ignored signals stay ignored. */
void dm_cli_init(const char *prog);

/* Replaces that SIGINT/SIGTERM handler (a tool that stops gracefully whenever
 * the signal comes; handler must be async-signal-safe).  A signal that was
 * ignored when the tool started (nohup) stays ignored. */
void dm_cli_on_interrupt(void (*handler)(int));

/* -q / -v counting: verbosity < 0 errors only, 0 normal (warnings and errors), 1 -v (info), 2 -vv (debug). */
void dm_cli_set_verbosity(int verbosity);

/* The program name given to dm_cli_init. */
const char *dm_cli_prog(void);

/* Maps an error to the exit code above. */
int dm_cli_exit_code(dm_err err);

/* Prints "PROG: error: " + detail (or dm_strerror when there is none) and
 * returns dm_cli_exit_code(err). */
int dm_cli_fail(dm_err err);

/* Prints "PROG: error: MSG\nTry 'PROG --help' for more information.\n" and returns 2. */
int dm_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* For getopt_long with an optstring starting with ':' (and so no getopt message of
 * its own, which would start with argv[0] as typed): reports the unknown option or
 * missing value that getopt returned as '?' or ':' in the "PROG: error:" form and
 * returns 2.  Call right after getopt_long returned c. */
int dm_cli_bad_option(int c, char **argv);

/* Refuses core dumps (RLIMIT_CORE 0, PR_SET_DUMPABLE 0): call before holding secrets. */
void dm_cli_no_core(void);

/* Flushes stdout; a failed write (EPIPE, ENOSPC) is reported and turns ok into 1.
 * Use as `return dm_cli_close_stdout(code);`. */
int dm_cli_close_stdout(int code);

#ifdef __cplusplus
}
#endif
#endif
