/* libdm/json.c - the one --json writer of the tools (see dm/json.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int dm_json_print_line(json_t *doc)
{
	int rc;

	if (!doc)
		return -1;
	rc = json_dumpf(doc, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (rc == 0 && fputc('\n', stdout) == EOF)
		rc = -1;
	/* a reader of the stream sees each line as it comes, not when a pipe's buffer fills */
	if (fflush(stdout) == EOF)
		rc = -1;
	json_decref(doc);
	return rc;
}

int dm_json_print_raw(json_t *doc, const char *key, const char *raw, size_t n)
{
	json_t *k = json_string(key);
	char *head = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	char *kt = k ? json_dumps(k, JSON_ENCODE_ANY) : NULL;
	size_t len = head ? strlen(head) : 0;
	int rc = -1;

	/* "{\n  ...\n}" loses its "\n}", "{}" its "}"; the key goes last */
	if (head && kt && len >= 2 && head[len - 1] == '}') {
		int empty = len == 2;

		len -= empty ? 1 : 2;
		if (fwrite(head, 1, len, stdout) == len && fprintf(stdout, "%s\n  %s: ", empty ? "" : ",", kt) > 0 &&
		    fwrite(raw, 1, n, stdout) == n && fputs("\n}\n", stdout) != EOF)
			rc = 0;
	}
	free(head);
	free(kt);
	json_decref(k);
	json_decref(doc);
	return rc;
}

dm_err dm_json_put_string(dm_buf *b, const char *s, size_t n)
{
	dm_err e = dm_buf_puts(b, "\"");

	for (size_t i = 0; i < n && !e; i++) {
		unsigned char ch = (unsigned char)s[i];

		switch (ch) {
		case '"': e = dm_buf_puts(b, "\\\""); break;
		case '\\': e = dm_buf_puts(b, "\\\\"); break;
		case '\n': e = dm_buf_puts(b, "\\n"); break;
		case '\r': e = dm_buf_puts(b, "\\r"); break;
		case '\t': e = dm_buf_puts(b, "\\t"); break;
		default:
			if (ch < 0x20 || ch == 0x7f)
				e = dm_buf_printf(b, "\\u%04x", ch);
			else
				e = dm_buf_append(b, &ch, 1);
		}
	}
	return e ? e : dm_buf_puts(b, "\"");
}
