/* libdm/s3/mime.c - the Content-Type of an object from its file's name, as aws-cli and
 * rclone set it: Debian's /etc/mime.types (package media-types), read once; a small table
 * in the same format when that file is missing.  The one home of the lookup. */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <dm/s3.h>
#include <dm/util.h>

#include "mime.h"

typedef struct {
	char *ext; /* lower case */
	const char *type;
	size_t line; /* the type's: of two lines that name an extension, the first wins */
} mime_entry;

struct dm_mime_table {
	mime_entry *e; /* sorted by ext, one each */
	size_t n;
	char **types;
	size_t ntypes;
};

/* What a data lake holds most, for a machine without media-types. */
const char dm_mime_builtin[] = "application/gzip gz\n"
			       "application/json json\n"
			       "application/pdf pdf\n"
			       "application/vnd.apache.parquet parquet\n"
			       "application/x-ndjson ndjson jsonl\n"
			       "application/x-tar tar\n"
			       "application/xml xml\n"
			       "application/yaml yaml yml\n"
			       "application/zip zip\n"
			       "application/zstd zst\n"
			       "image/jpeg jpeg jpg\n"
			       "image/png png\n"
			       "text/csv csv\n"
			       "text/html html htm\n"
			       "text/markdown md markdown\n"
			       "text/plain txt text log\n"
			       "text/tab-separated-values tsv\n";

static int cmp_ext(const void *a, const void *b)
{
	return strcmp(((const mime_entry *)a)->ext, ((const mime_entry *)b)->ext);
}

static int cmp_entry(const void *a, const void *b)
{
	const mime_entry *x = a, *y = b;
	int c = strcmp(x->ext, y->ext);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

void dm_mime_table_free(dm_mime_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->e[i].ext);
	for (size_t i = 0; i < t->ntypes; i++)
		free(t->types[i]);
	free(t->e);
	free(t->types);
	free(t);
}

static char *lower_dup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++)
		d[i] = (char)tolower((unsigned char)s[i]);
	d[n] = '\0';
	return d;
}

/* The next word of a line at *p (before end), *p moved past it; NULL at the line's end or
 * its comment. */
static const char *next_word(const char **p, const char *end)
{
	const char *w;

	while (*p < end && isspace((unsigned char)**p))
		(*p)++;
	if (*p == end || **p == '#')
		return NULL;
	for (w = *p; *p < end && !isspace((unsigned char)**p);)
		(*p)++;
	return w;
}

/* Adds one line's type and extensions; -1 out of memory. */
static int add_line(dm_mime_table *t, const char *s, const char *end, size_t *ecap, size_t *tcap)
{
	const char *p = s, *w;
	char *type;

	if (!(w = next_word(&p, end)))
		return 0;
	if (!memchr(w, '/', (size_t)(p - w)))
		return 0; /* not a type */
	if (t->ntypes == *tcap) {
		size_t ncap = *tcap ? 2 * *tcap : 256;
		char **grown = realloc(t->types, ncap * sizeof(*grown));

		if (!grown)
			return -1;
		t->types = grown;
		*tcap = ncap;
	}
	if (!(type = strndup(w, (size_t)(p - w))))
		return -1;
	t->types[t->ntypes++] = type;
	while ((w = next_word(&p, end))) {
		if (t->n == *ecap) {
			size_t ncap = *ecap ? 2 * *ecap : 512;
			mime_entry *grown = realloc(t->e, ncap * sizeof(*grown));

			if (!grown)
				return -1;
			t->e = grown;
			*ecap = ncap;
		}
		if (!(t->e[t->n].ext = lower_dup(w, (size_t)(p - w))))
			return -1;
		t->e[t->n].line = t->ntypes;
		t->e[t->n++].type = type;
	}
	return 0;
}

dm_err dm_mime_table_parse(dm_mime_table **out, const char *text, size_t len)
{
	dm_mime_table *t = calloc(1, sizeof(*t));
	const char *s = text, *end = text + len;
	size_t ecap = 0, tcap = 0, k = 0;

	*out = NULL;
	if (!t)
		return dm_nomem();
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));

		if (!nl)
			nl = end;
		if (add_line(t, s, nl, &ecap, &tcap) != 0) {
			dm_mime_table_free(t);
			return dm_nomem();
		}
		s = nl + 1;
	}
	if (t->n > 1)
		qsort(t->e, t->n, sizeof(*t->e), cmp_entry);
	/* one entry an extension: the first line's */
	for (size_t i = 0; i < t->n; i++) {
		if (k > 0 && strcmp(t->e[k - 1].ext, t->e[i].ext) == 0) {
			free(t->e[i].ext);
			continue;
		}
		t->e[k++] = t->e[i];
	}
	t->n = k;
	*out = t;
	return DM_OK;
}

dm_err dm_mime_table_load(dm_mime_table **out, const char *path)
{
	char *text;
	size_t len;
	dm_err e;

	*out = NULL;
	if ((e = dm_read_file(&text, &len, path)))
		return e;
	e = dm_mime_table_parse(out, text, len);
	free(text);
	return e;
}

const char *dm_mime_table_lookup(const dm_mime_table *t, const char *name)
{
	const char *base = strrchr(name, '/'), *dot;
	mime_entry key, *hit;
	char ext[64];
	size_t n;

	base = base ? base + 1 : name;
	dot = strrchr(base, '.');
	/* ".bashrc" has no extension; "a." an empty one */
	if (!dot || dot == base || !dot[1] || (n = strlen(dot + 1)) >= sizeof(ext))
		return NULL;
	for (size_t i = 0; i <= n; i++)
		ext[i] = (char)tolower((unsigned char)dot[1 + i]);
	key.ext = ext;
	key.line = 0;
	hit = t && t->n ? bsearch(&key, t->e, t->n, sizeof(*t->e), cmp_ext) : NULL;
	return hit ? hit->type : NULL;
}

/* ---- dm_s3_content_type: the system's table, read once ---- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static dm_mime_table *table; /* for the life of the process */

static void load_table(void)
{
	if (dm_mime_table_load(&table, "/etc/mime.types") == DM_OK)
		return;
	dm_err_clear();
	if (dm_mime_table_parse(&table, dm_mime_builtin, sizeof(dm_mime_builtin) - 1) != DM_OK)
		dm_err_clear(); /* out of memory: every type is the default */
}

const char *dm_s3_content_type(const char *name)
{
	const char *type;

	pthread_once(&once, load_table);
	type = dm_mime_table_lookup(table, name);
	return type ? type : DM_S3_DEFAULT_CONTENT_TYPE;
}
