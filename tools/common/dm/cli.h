/* tools/common/dm/cli.h - what every dm-* tool shares (the tools' layer over libdm, the one part
 * of dm that prints): the stderr log sink, exit codes,
 * verbosity, core-dump refusal and a checked stdout.
 *
 * Exit codes (documented in every --help):
 *   0 ok, 1 failed, 2 usage, 3 bad configuration, 4 partial failure, 130 interrupted.
 */
#ifndef DM_CLI_H
#define DM_CLI_H

#include <stdio.h>

#include <dm/err.h>
#include <dm/json.h>
#include <dm/k8s.h>

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

/* Writes the tools' wording of a libdm remedy hint (dm_hint in dm/err.h; hints.c) into out:
 * the one table that names flags in libdm's messages.  dm_cli_init installs it with
 * dm_err_set_hint_text. */
void dm_cli_hint_text(dm_hint hint, unsigned long long n, char *out, size_t size);

/* Text for the EXIT CODES section of --help, ending in a newline. */
#define DM_CLI_EXIT_HELP                                                                                               \
	"Exit codes:\n"                                                                                                \
	"  0 ok, 1 failed, 2 usage, 3 bad configuration, 4 partial failure (listed),\n"                                \
	"  130 interrupted\n"

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

/* Refuses core dumps (RLIMIT_CORE 0, PR_SET_DUMPABLE 0): call before holding secrets. */
void dm_cli_no_core(void);

/* Flushes stdout; a failed write (EPIPE, ENOSPC) is reported and turns ok into 1.
 * Use as `return dm_cli_close_stdout(code);`. */
int dm_cli_close_stdout(int code);

/* Which cluster a tool talks to (dm_k8s_choose: its --kubeconfig/--context, $KUBECONFIG, the
 * current target, ~/.kube/config), said at -v.  ko then points into *cur: release it last. */
dm_err dm_cli_k8s_choose(dm_k8s_opts *ko, dm_k8s_current *cur);

/* ---- options (tools/common/options.c) ----
 *
 * A tool's options are one table of dm_cli_option, ended by DM_CLI_END.  The
 * table drives both parsing (dm_cli_next) and the Options part of --help
 * (dm_cli_help), so the two cannot drift apart.  A long option is taken by its
 * whole name only, never by a prefix. */

/* ids from here on have no short letter */
#define DM_CLI_LONG_ONLY 256

typedef struct {
	int id;           /* what dm_cli_next returns: the short letter, or from DM_CLI_LONG_ONLY on */
	const char *name; /* the long name, without "--"; NULL: a heading in --help (help is its text) */
	const char *arg;  /* NULL: a switch; else it takes a value, shown in --help as this ("N", "FILE") */
	const char *help; /* wrapped to 80 columns in --help; "\n" breaks the line; NULL: not shown */
	int tag;          /* the tool's own use of the entry (dm-seed: what --k8s-job does with it) */
} dm_cli_option;

/* clang-format off */
/* the last entry of a table */
#define DM_CLI_END { 0, NULL, NULL, NULL, 0 }
/* -q, -h and -V as every tool has them */
/* Where the platform is (dm_platform_root) and which flavour (dm_flavour_choose). */
#define DM_CLI_OPT_ROOT(id, tag) { id, "root", "DIR", "the platform root: flavours/, components/, k8s/ " \
	"(default: $DM_HOME, else the nearest folder with .dm-platform at or above the working " \
	"folder, else the installed one)", tag }
#define DM_CLI_OPT_FLAVOUR(id) { id, "flavour", "FILE", \
	"flavour file (default: $DM_FLAVOUR, else flavours/default.yaml of the platform root)", 0 }
/* Which cluster, as kubectl's flags (dm_cli_k8s_choose). */
#define DM_CLI_OPT_KUBECONFIG(id, tag) { id, "kubeconfig", "FILE", "kubeconfig (default: $KUBECONFIG, " \
	"else the cluster that dm-cluster start recorded, else ~/.kube/config)", tag }
#define DM_CLI_OPT_CONTEXT(id, tag) { id, "context", "CTX", \
	"its context (default: the recorded one, else its current context)", tag }
#define DM_CLI_OPT_QUIET { 'q', "quiet", NULL, "errors only", 0 }
#define DM_CLI_OPT_HELP { 'h', "help", NULL, "show this help", 0 }
#define DM_CLI_OPT_VERSION { 'V', "version", NULL, "show the version", 0 }
/* clang-format on */

typedef struct {
	const dm_cli_option *table;
	int argc;
	char **argv;
	int next;                 /* argv index of the next word */
	const char *bundle;       /* the letters left of a group of short options ("-vq") */
	const dm_cli_option *opt; /* the entry dm_cli_next returned last */
	const char *value;        /* its value (a pointer into argv), or NULL */
	char **operands;          /* the words that are no option, in order (moved to the front of argv);
				    * NULL-terminated once dm_cli_next returned 0 */
	int noperands;
	int dashdash; /* how many operands came before a "--"; -1: there was none */
} dm_cli_parser;

/* What a tool's parse_args returns when the run goes on; anything else is the exit code
 * (0 after --help or --version, DM_EXIT_USAGE after a usage error). */
#define DM_CLI_GO_ON (-1)

/* Starts parsing argv[1..argc) with table (which must outlive the parser).  Holds
 * nothing to release.  It reorders argv's slots (not the strings). */
void dm_cli_parser_init(dm_cli_parser *p, const dm_cli_option *table, int argc, char **argv);

/* The next option: its id (opt and value say more), 0 when none is left (the
 * operands are then all in p->operands), or DM_CLI_BAD after printing the usage
 * error (an unknown option, a missing value, a value given to a switch): exit
 * with DM_EXIT_USAGE.  Options and operands may come in any order; every word
 * after "--" is an operand. */
#define DM_CLI_BAD (-1)
int dm_cli_next(dm_cli_parser *p);

/* The options of table as --help shows them (headings, then "  -j, --jobs N  text"). */
void dm_cli_print_options(FILE *f, const dm_cli_option *table);

/* Prints head, "Options:", the options of table and tail (each ending in a
 * newline; tail may be NULL) on stdout; returns dm_cli_close_stdout(0). */
int dm_cli_help(const char *head, const dm_cli_option *table, const char *tail);

/* The release, and the git describe of the build when it was built from a checkout. */
const char *dm_cli_version_string(void);

/* Prints "PROG VERSION" on stdout; returns dm_cli_close_stdout(0). */
int dm_cli_version(void);

/* ---- --json (tools/common/json.c; the envelope is documented in docs/json.md) ----
 *
 * Every --json document is one object whose first keys are the envelope: "tool", "version",
 * "command" (the subcommand, or null), "ok" (exit_code == 0), "exit_code" and "error" (null,
 * or {"message", "kind", "code"}: the last error the tool reported on stderr, kind from the
 * exit code, code a dm_err_name or null); the command's own keys follow. */

typedef enum {
	DM_CLI_JSON_OFF = 0, /* text */
	DM_CLI_JSON_DOC,     /* one indented document */
	DM_CLI_JSON_LINES    /* the document on one line (after --ndjson's event lines) */
} dm_cli_json_mode;

/* Whether word ("--json") is on the command line before any "--", alone or as word=VALUE:
 * how a tool knows, before its options are parsed, that even a usage error is a document. */
int dm_cli_argv_has(int argc, char *const *argv, const char *word);

/* The run's mode (DM_CLI_JSON_OFF until set; --help and --version set it off). */
void dm_cli_json_set(dm_cli_json_mode mode);
dm_cli_json_mode dm_cli_json_get(void);

/* The envelope's "command" (borrowed: a static string or an argv word); NULL: none. */
void dm_cli_json_command(const char *command);

/* Records the envelope's error (message copied, code static or NULL); dm_cli_fail,
 * dm_cli_usage_error and the log sink's error lines call it.  Thread-safe. */
void dm_cli_json_note_error(const char *message, const char *code);

/* A new object: the envelope for exit_code, then doc's keys (the envelope's win); drops
 * doc.  NULL when out of memory. */
json_t *dm_cli_json_envelope(json_t *doc, int exit_code);

/* Prints the run's document: the envelope and doc's keys (doc NULL: the envelope alone), in
 * the mode set; drops doc.  Returns exit_code, or 1 when it could not be written and
 * exit_code was 0. */
int dm_cli_json_print(json_t *doc, int exit_code);

/* A command line as --dry-run --json shows it: an array of its words (new reference). */
json_t *dm_cli_json_argv(const char *const *argv);

/* The same with one more key whose value is raw JSON text (dm_json_print_raw: secrets). */
int dm_cli_json_print_raw(json_t *doc, int exit_code, const char *key, const char *raw, size_t n);

/* Whether the document was printed. */
int dm_cli_json_printed(void);

/* The end of main: `return dm_cli_finish(code);`.  With --json and no document printed yet
 * (the run stopped before it), prints the envelope alone; then dm_cli_close_stdout(code). */
int dm_cli_finish(int code);

#ifdef __cplusplus
}
#endif
#endif
