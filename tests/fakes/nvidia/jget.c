/* tests/fakes/nvidia/jget.c - reads one value out of a JSON document for the
 * dm-gpu test scripts (the CI machines have no jq).
 *
 *   jget FILE PATH     PATH: dot-separated keys and array indexes
 *                      ("devices.3.memory_free"); "" for the whole document;
 *                      a final "#" gives the length of an array or object
 *
 * Prints strings raw, other values as compact JSON.  Exit 0, 1 when FILE is
 * not exactly one valid JSON document, 2 when PATH is not there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

int main(int argc, char **argv)
{
	json_error_t jerr;
	json_t *doc, *cur;
	char *path, *tok, *save = NULL;

	if (argc != 3) {
		fprintf(stderr, "usage: jget FILE PATH\n");
		return 2;
	}
	doc = json_load_file(argv[1], JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		fprintf(stderr, "jget: %s:%d:%d: %s\n", argv[1], jerr.line, jerr.column, jerr.text);
		return 1;
	}
	cur = doc;
	path = strdup(argv[2]);
	for (tok = strtok_r(path, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save)) {
		if (!strcmp(tok, "#")) {
			printf("%zu\n", json_is_array(cur) ? json_array_size(cur) : json_object_size(cur));
			free(path);
			json_decref(doc);
			return 0;
		}
		if (json_is_array(cur)) {
			char *end;
			long i = strtol(tok, &end, 10);

			cur = *end || i < 0 ? NULL : json_array_get(cur, (size_t)i);
		} else {
			cur = json_object_get(cur, tok);
		}
	}
	free(path);
	if (!cur) {
		fprintf(stderr, "jget: '%s' not in %s\n", argv[2], argv[1]);
		json_decref(doc);
		return 2;
	}
	if (json_is_string(cur)) {
		printf("%s\n", json_string_value(cur));
	} else {
		char *s = json_dumps(cur, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);

		printf("%s\n", s ? s : "");
		free(s);
	}
	json_decref(doc);
	return 0;
}
