/* tools/common/options.c - each tool's one option table: parsing and the Options part of --help
 * (see dm/cli.h).
 *
 * Why not getopt_long: it takes any unambiguous prefix of a long option, so
 * "--kubeconfig FILE" was read as "--kubeconfig-out FILE" by a tool that had only the
 * latter, and did something else than asked.  Here a long option is its whole name or
 * an error, and the same table prints --help, so the two cannot drift apart.
 */
#include <stdio.h>
#include <string.h>

#include <dm/cli.h>

#define HELP_WIDTH 80
#define HELP_TEXT_COLUMN 26 /* where an option's text starts in --help */

void dm_cli_parser_init(dm_cli_parser *p, const dm_cli_option *table, int argc, char **argv)
{
	memset(p, 0, sizeof(*p));
	p->table = table;
	p->argc = argc;
	p->argv = argv;
	p->next = 1;
	p->dashdash = -1;
	p->operands = argv + 1;
}

static int is_entry_end(const dm_cli_option *o)
{
	return !o->name && !o->help;
}

static const dm_cli_option *find_long(const dm_cli_option *t, const char *name, size_t len)
{
	for (; !is_entry_end(t); t++)
		if (t->name && strlen(t->name) == len && !strncmp(t->name, name, len))
			return t;
	return NULL;
}

static const dm_cli_option *find_short(const dm_cli_option *t, int c)
{
	for (; !is_entry_end(t); t++)
		if (t->name && t->id == c && c < DM_CLI_LONG_ONLY)
			return t;
	return NULL;
}

/* "--name", "--name=value", "--name value" */
static int next_long(dm_cli_parser *p, const char *word)
{
	const char *eq = strchr(word + 2, '=');
	size_t len = eq ? (size_t)(eq - word - 2) : strlen(word + 2);
	const dm_cli_option *o = find_long(p->table, word + 2, len);

	if (!o) {
		dm_cli_usage_error("unknown option '%.*s'", (int)(len + 2), word);
		return DM_CLI_BAD;
	}
	if (!o->arg && eq) {
		dm_cli_usage_error("option '--%s' takes no value", o->name);
		return DM_CLI_BAD;
	}
	if (o->arg && !eq && p->next >= p->argc) {
		dm_cli_usage_error("option '--%s' needs a value", o->name);
		return DM_CLI_BAD;
	}
	p->opt = o;
	p->value = !o->arg ? NULL : eq ? eq + 1 : p->argv[p->next++];
	return o->id;
}

/* one letter of "-abc", "-jVALUE", "-j VALUE" */
static int next_short(dm_cli_parser *p)
{
	int c = (unsigned char)*p->bundle++;
	const dm_cli_option *o = find_short(p->table, c);

	if (!o) {
		p->bundle = NULL;
		dm_cli_usage_error("unknown option '-%c'", c > ' ' && c < 127 ? c : '?');
		return DM_CLI_BAD;
	}
	p->opt = o;
	p->value = NULL;
	if (o->arg) {
		if (*p->bundle)
			p->value = p->bundle;
		else if (p->next < p->argc)
			p->value = p->argv[p->next++];
		else {
			dm_cli_usage_error("option '-%c' needs a value", c);
			return DM_CLI_BAD;
		}
		p->bundle = NULL;
	} else if (!*p->bundle) {
		p->bundle = NULL;
	}
	return o->id;
}

int dm_cli_next(dm_cli_parser *p)
{
	if (p->bundle)
		return next_short(p);
	while (p->next < p->argc) {
		char *word = p->argv[p->next++];

		/* operands move to the front of argv, behind those before them: every
		 * slot written was read already (values point at the strings, not the slots) */
		if (p->dashdash >= 0 || word[0] != '-' || !word[1]) {
			p->operands[p->noperands++] = word;
			continue;
		}
		if (!strcmp(word, "--")) {
			p->dashdash = p->noperands;
			continue;
		}
		if (word[1] == '-')
			return next_long(p, word);
		p->bundle = word + 1;
		return next_short(p);
	}
	p->opt = NULL;
	p->value = NULL;
	p->operands[p->noperands] = NULL;
	return 0;
}

/* Writes s from column `col` (the cursor is there), wrapping at HELP_WIDTH with
 * continuation lines indented to `indent`; "\n" in s starts a new line there. */
static void print_wrapped(FILE *f, const char *s, int col, int indent)
{
	while (*s) {
		size_t word = strcspn(s, " \n");

		if (col > indent && col + 1 + (int)word > HELP_WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fwrite(s, 1, word, f);
		col += (int)word;
		s += word;
		if (*s == '\n') {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		}
		while (*s == ' ' || *s == '\n')
			s++;
	}
	fputc('\n', f);
}

void dm_cli_print_options(FILE *f, const dm_cli_option *t)
{
	for (; !is_entry_end(t); t++) {
		char left[64];
		int n;

		if (!t->name) { /* a group's heading */
			fputc('\n', f);
			print_wrapped(f, t->help, 0, 0);
			continue;
		}
		if (!t->help)
			continue;
		if (t->id < DM_CLI_LONG_ONLY)
			n = snprintf(left, sizeof(left), "  -%c, --%s%s%s", t->id, t->name, t->arg ? " " : "",
				     t->arg ? t->arg : "");
		else
			n = snprintf(left, sizeof(left), "      --%s%s%s", t->name, t->arg ? " " : "",
				     t->arg ? t->arg : "");
		fputs(left, f);
		if (n + 2 > HELP_TEXT_COLUMN) {
			fputc('\n', f);
			n = 0;
		}
		fprintf(f, "%*s", HELP_TEXT_COLUMN - n, "");
		print_wrapped(f, t->help, HELP_TEXT_COLUMN, HELP_TEXT_COLUMN);
	}
}

int dm_cli_help(const char *head, const dm_cli_option *table, const char *tail)
{
	dm_cli_json_set(DM_CLI_JSON_OFF); /* --help is text, --json or not */
	fputs(head, stdout);
	fputs("\nOptions:\n", stdout);
	dm_cli_print_options(stdout, table);
	if (tail && *tail) {
		fputc('\n', stdout);
		fputs(tail, stdout);
	}
	return dm_cli_close_stdout(DM_EXIT_OK);
}

/* DM_VERSION comes from the build (the project's version), never a copy here that could drift */
#ifndef DM_GIT_DESCRIBE
#define DM_GIT_DESCRIBE ""
#endif

const char *dm_cli_version_string(void)
{
	return DM_GIT_DESCRIBE[0] ? DM_VERSION " (" DM_GIT_DESCRIBE ")" : DM_VERSION;
}

int dm_cli_version(void)
{
	dm_cli_json_set(DM_CLI_JSON_OFF);
	printf("%s %s\n", dm_cli_prog(), dm_cli_version_string());
	return dm_cli_close_stdout(DM_EXIT_OK);
}
