/* tools/common/json.c - the one --json envelope of every dm-* tool (see dm/cli.h and docs/json.md).
 *
 * Every document a tool prints with --json is one object whose first keys are the same for
 * every tool and command: tool, version, command, ok, exit_code, error; the command's own keys
 * follow at the top level.  The error is the last one the tool reported on stderr (dm_cli_fail,
 * dm_cli_usage_error, an error line of the log), so a script reads the same message as a
 * person; a run that ends before its document (a bad flag, a missing flavour) still prints the
 * envelope alone, from dm_cli_finish.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <dm/cli.h>
#include <dm/json.h>

static dm_cli_json_mode mode;
static const char *command;
static int printed;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char last_message[1024];
static const char *last_code; /* a dm_err_name, or NULL */
static int have_error;

int dm_cli_argv_has(int argc, char *const *argv, const char *word)
{
	size_t n = strlen(word);

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strncmp(argv[i], word, n) && (argv[i][n] == '\0' || argv[i][n] == '='))
			return 1;
	return 0;
}

void dm_cli_json_set(dm_cli_json_mode m)
{
	mode = m;
}

dm_cli_json_mode dm_cli_json_get(void)
{
	return mode;
}

void dm_cli_json_command(const char *c)
{
	command = c;
}

void dm_cli_json_note_error(const char *message, const char *code)
{
	pthread_mutex_lock(&lock);
	snprintf(last_message, sizeof(last_message), "%s", message);
	last_code = code;
	have_error = 1;
	pthread_mutex_unlock(&lock);
}

/* what an exit code says, as the envelope's error.kind */
static const char *kind_of(int exit_code)
{
	switch (exit_code) {
	case DM_EXIT_USAGE: return "usage";
	case DM_EXIT_CONFIG: return "config";
	case DM_EXIT_PARTIAL: return "partial";
	case DM_EXIT_INTERRUPTED: return "interrupted";
	default: return "failed";
	}
}

json_t *dm_cli_json_envelope(json_t *doc, int exit_code)
{
	json_t *env = json_object(), *err = json_null(), *v;
	const char *key;

	if (exit_code != DM_EXIT_OK) {
		pthread_mutex_lock(&lock);
		err = json_pack("{s:s, s:s, s:s?}", "message", have_error ? last_message : kind_of(exit_code), "kind",
				kind_of(exit_code), "code", last_code);
		pthread_mutex_unlock(&lock);
	}
	if (!env || !err) {
		json_decref(env);
		json_decref(err);
		json_decref(doc);
		return NULL;
	}
	json_object_set_new(env, "tool", json_string(dm_cli_prog()));
	json_object_set_new(env, "version", json_string(dm_cli_version_string()));
	json_object_set_new(env, "command", command ? json_string(command) : json_null());
	json_object_set_new(env, "ok", json_boolean(exit_code == DM_EXIT_OK));
	json_object_set_new(env, "exit_code", json_integer(exit_code));
	json_object_set_new(env, "error", err);
	/* the command's keys after the envelope's, which win */
	json_object_foreach(doc, key, v)
	{
		if (!json_object_get(env, key))
			json_object_set(env, key, v);
	}
	json_decref(doc);
	return env;
}

static int printed_code(int rc, int exit_code)
{
	printed = 1;
	if (rc)
		fprintf(stderr, "%s: error: cannot write the JSON document\n", dm_cli_prog());
	return rc && exit_code == DM_EXIT_OK ? DM_EXIT_FAIL : exit_code;
}

int dm_cli_json_print(json_t *doc, int exit_code)
{
	json_t *env = dm_cli_json_envelope(doc ? doc : json_object(), exit_code);

	return printed_code(mode == DM_CLI_JSON_LINES ? dm_json_print_line(env) : dm_json_print(env), exit_code);
}

int dm_cli_json_print_raw(json_t *doc, int exit_code, const char *key, const char *raw, size_t n)
{
	json_t *env = dm_cli_json_envelope(doc ? doc : json_object(), exit_code);

	return printed_code(dm_json_print_raw(env, key, raw, n), exit_code);
}

int dm_cli_json_printed(void)
{
	return printed;
}

int dm_cli_finish(int code)
{
	if (mode != DM_CLI_JSON_OFF && !printed)
		code = dm_cli_json_print(NULL, code);
	return dm_cli_close_stdout(code);
}

json_t *dm_cli_json_argv(const char *const *argv)
{
	json_t *words = json_array();

	for (size_t i = 0; argv[i]; i++)
		json_array_append_new(words, json_string(argv[i]));
	return words;
}
