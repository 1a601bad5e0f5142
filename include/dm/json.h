/* dm/json.h - JSON in dm is jansson (Debian's libjansson): the Kubernetes API,
 * the MinIO client's config, ExecCredential replies, and every tool's --json.
 * Tools include this header, not jansson's, so that --json looks the same
 * from every tool: one document, two-space indent, keys in the order the tool
 * set them, a final newline.
 */
#ifndef DM_JSON_H
#define DM_JSON_H

#include <stddef.h>

#include <jansson.h>

#include <dm/err.h>
#include <dm/util.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Writes doc to stdout as dm's --json document and drops the caller's
 * reference (doc may be NULL: out of memory).  Returns 0, or -1 when the
 * document could not be built or written (the caller's exit code says so;
 * dm_cli_close_stdout reports a failed write). */
int dm_json_print(json_t *doc);
/* The same as one line (NDJSON: compact, a newline), flushed at once: the
 * events a tool's --ndjson streams and the document that ends the stream.
 * Not thread-safe against other writers of stdout: callers serialise. */
int dm_json_print_line(json_t *doc);

/* Writes the object doc as dm_json_print does, with one more key at its end,
 * key, whose value is the n bytes of JSON text at raw (built by the caller
 * with dm_json_put_string, laid out for the second level of indentation):
 * for values that must not pass through jansson's memory (secrets).  Drops
 * doc; 0 or -1. */
int dm_json_print_raw(json_t *doc, const char *key, const char *raw, size_t n);

/* Appends the n bytes of s (UTF-8 text, checked by the caller) to b as a JSON
 * string: quotes, \" \\ \n \r \t, every other control and DEL as \u00XX.
 * For values that must not pass through jansson's memory, which is freed
 * without being wiped: secrets go into a dm_buf, wiped on release. */
dm_err dm_json_put_string(dm_buf *b, const char *s, size_t n);

#ifdef __cplusplus
}
#endif
#endif
