/* libdm/json.c - the one --json writer of the tools (see dm/json.h). */
#include <stdio.h>

#include <dm/json.h>

int dm_json_print(json_t *doc)
{
	int rc;

	if (!doc)
		return -1;
	rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (rc == 0 && fputc('\n', stdout) == EOF)
		rc = -1;
	json_decref(doc);
	return rc;
}
