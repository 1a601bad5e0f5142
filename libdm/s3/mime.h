/* libdm/s3/mime.h - private: a table of file extensions to media types, in the format of
 * /etc/mime.types ("TYPE EXT..." a line, '#' comments), behind dm_s3_content_type. */
#ifndef DM_LIBDM_S3_MIME_H
#define DM_LIBDM_S3_MIME_H

#include <stddef.h>
#include <dm/err.h>

typedef struct dm_mime_table dm_mime_table;

/* Reads a table from text (len bytes).  The first line that names an extension
 * wins.  DM_ERR_NOMEM only: lines that do not read are left out. */
dm_err dm_mime_table_parse(dm_mime_table **out, const char *text, size_t len);

/* Reads the file at path: DM_ERR_NOTFOUND when it does not exist, DM_ERR_IO when it
 * cannot be read, the detail naming it. */
dm_err dm_mime_table_load(dm_mime_table **out, const char *path);

/* The type of name's extension (after the last '.' of its last path segment, any
 * case), or NULL.  Borrowed from the table. */
const char *dm_mime_table_lookup(const dm_mime_table *t, const char *name);

void dm_mime_table_free(dm_mime_table *t);

/* The table dm_s3_content_type falls back to when /etc/mime.types is missing. */
extern const char dm_mime_builtin[];

#endif
