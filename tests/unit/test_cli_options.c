/* tests/unit/test_cli_options.c - tools/common's option tables (dm/cli.h): whole long
 * names only (never a prefix), the forms of a value, groups of short options, operands
 * in order and "--", the usage errors, and --help's layout within 80 columns. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <dm/cli.h>

enum { OPT_KUBECONFIG_OUT = DM_CLI_LONG_ONLY, OPT_DRY_RUN, OPT_TIMEOUT };

static const dm_cli_option table[] = {
	{ 'f', "flavour", "FILE", "flavour file", 0 },
	{ 'v', "verbose", NULL, "more detail", 0 },
	{ 'q', "quiet", NULL, "errors only", 0 },
	{ OPT_KUBECONFIG_OUT, "kubeconfig-out", "FILE",
	  "write the kubeconfig here (mode 0600) instead of the target's kubeconfig path, a text long enough to "
	  "wrap over more than one line of the help",
	  7 },
	{ 0, NULL, NULL, "A heading:", 0 },
	{ OPT_DRY_RUN, "dry-run", NULL, "change nothing", 0 },
	{ OPT_TIMEOUT, "timeout", "DUR", NULL, 0 }, /* not in --help */
	DM_CLI_OPT_HELP,
	DM_CLI_END,
};

/* Parses a copy of words (argv[0] is "prog"); returns the ids, each followed by its
 * value or "-", space-separated, then "|" and the operands; "BAD" on a usage error. */
static char *parse(dm_cli_parser *p, char **argv, const char *const *words)
{
	static char out[512];
	int argc = 1, c;

	argv[0] = "prog";
	while (words[argc - 1]) {
		argv[argc] = (char *)words[argc - 1];
		argc++;
	}
	argv[argc] = NULL;
	out[0] = '\0';
	dm_cli_parser_init(p, table, argc, argv);
	while ((c = dm_cli_next(p)) > 0) {
		char one[64];

		snprintf(one, sizeof(one), "%s%d=%s", out[0] ? " " : "", c, p->value ? p->value : "-");
		strcat(out, one);
	}
	if (c == DM_CLI_BAD)
		return "BAD";
	strcat(out, " |");
	for (int i = 0; i < p->noperands; i++) {
		strcat(out, " ");
		strcat(out, p->operands[i]);
	}
	return out;
}

#define PARSE(...) parse(&p, argv, (const char *const[]){ __VA_ARGS__, NULL })

static void test_cli_options__takes_whole_long_names_and_their_values(void **state)
{
	dm_cli_parser p;
	char *argv[16];

	(void)state;
	assert_string_equal(PARSE("--flavour", "a.yaml", "--kubeconfig-out=k", "start"), "102=a.yaml 256=k | start");
	assert_string_equal(PARSE("--flavour=", "x"), "102= | x"); /* an empty value is a value */
	assert_string_equal(PARSE("--flavour", "--dry-run"), "102=--dry-run |");
}

static void test_cli_options__never_takes_a_prefix(void **state)
{
	dm_cli_parser p;
	char *argv[16];

	(void)state;
	/* getopt_long took --kubeconfig for --kubeconfig-out */
	assert_string_equal(PARSE("--kubeconfig", "k"), "BAD");
	assert_string_equal(PARSE("--dry"), "BAD");
	assert_string_equal(PARSE("--flavourx=a"), "BAD");
}

static void test_cli_options__groups_short_options_and_their_values(void **state)
{
	dm_cli_parser p;
	char *argv[16];

	(void)state;
	assert_string_equal(PARSE("-vq", "-fa.yaml", "-vf", "b.yaml"), "118=- 113=- 102=a.yaml 118=- 102=b.yaml |");
	assert_string_equal(PARSE("-x"), "BAD");
	assert_string_equal(PARSE("-vf"), "BAD"); /* no value left */
}

static void test_cli_options__keeps_operands_in_order_and_after_dashdash(void **state)
{
	dm_cli_parser p;
	char *argv[16];

	(void)state;
	assert_string_equal(PARSE("debug", "-v", "net", "--", "sh", "-c", "--dry-run", "-"),
			    "118=- | debug net sh -c --dry-run -");
	assert_int_equal(p.noperands, 6);
	assert_int_equal(p.dashdash, 2);
	assert_null(p.operands[p.noperands]);
	assert_string_equal(PARSE("-", "a"), " | - a"); /* "-" alone is an operand (stdin) */
	assert_int_equal(p.dashdash, -1);
}

static void test_cli_options__refuses_values_it_cannot_take(void **state)
{
	dm_cli_parser p;
	char *argv[16];

	(void)state;
	assert_string_equal(PARSE("--dry-run=yes"), "BAD");
	assert_string_equal(PARSE("--flavour"), "BAD");
	assert_string_equal(PARSE("start", "--timeout"), "BAD");
}

static void test_cli_options__usage_errors_name_the_option(void **state)
{
	char path[] = "/tmp/dm-cli-options-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	char text[1024] = "";
	dm_cli_parser p;
	char *argv[16];
	FILE *f;
	size_t n;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	dm_cli_init("prog");
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	assert_string_equal(PARSE("--kubeconfig", "k"), "BAD");
	assert_string_equal(PARSE("-f"), "BAD");
	assert_string_equal(PARSE("--dry-run=1"), "BAD");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	f = fdopen(fd, "r");
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	unlink(path);
	assert_string_equal(text, "prog: error: unknown option '--kubeconfig'\n"
				  "Try 'prog --help' for more information.\n"
				  "prog: error: option '-f' needs a value\n"
				  "Try 'prog --help' for more information.\n"
				  "prog: error: option '--dry-run' takes no value\n"
				  "Try 'prog --help' for more information.\n");
}

static void test_cli_options__help_lists_every_shown_option_within_80_columns(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char *line;

	(void)state;
	assert_non_null(f);
	dm_cli_print_options(f, table);
	fclose(f);
	assert_string_equal(text, "  -f, --flavour FILE      flavour file\n"
				  "  -v, --verbose           more detail\n"
				  "  -q, --quiet             errors only\n"
				  "      --kubeconfig-out FILE\n"
				  "                          write the kubeconfig here (mode 0600) instead of the\n"
				  "                          target's kubeconfig path, a text long enough to wrap\n"
				  "                          over more than one line of the help\n"
				  "\n"
				  "A heading:\n"
				  "      --dry-run           change nothing\n"
				  "  -h, --help              show this help\n");
	for (line = text; *line; line = strchr(line, '\n') + 1)
		assert_true(strchr(line, '\n') - line <= 80);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_options__takes_whole_long_names_and_their_values),
		cmocka_unit_test(test_cli_options__never_takes_a_prefix),
		cmocka_unit_test(test_cli_options__groups_short_options_and_their_values),
		cmocka_unit_test(test_cli_options__keeps_operands_in_order_and_after_dashdash),
		cmocka_unit_test(test_cli_options__refuses_values_it_cannot_take),
		cmocka_unit_test(test_cli_options__usage_errors_name_the_option),
		cmocka_unit_test(test_cli_options__help_lists_every_shown_option_within_80_columns),
	};

	/* the usage errors of the refusal tests go to stderr: name them */
	dm_cli_init("test_cli_options");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
