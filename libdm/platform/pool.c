/* Ownership pool and path tests for the platform model (dm_path_resolve, the lexical
 * join, is libdm's one, in util.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

void *dm_pool_own(dm_pool *pl, void *ptr)
{
	if (!ptr)
		return NULL;
	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? pl->cap * 2 : 64;
		void **np = realloc(pl->p, cap * sizeof(*np));

		if (!np) {
			free(ptr);
			return NULL;
		}
		pl->p = np;
		pl->cap = cap;
	}
	pl->p[pl->n++] = ptr;
	return ptr;
}

char *dm_pool_strdup(dm_pool *pl, const char *s)
{
	return s ? dm_pool_own(pl, strdup(s)) : NULL;
}

char *dm_pool_printf(dm_pool *pl, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return NULL;
	return dm_pool_own(pl, s);
}

void *dm_pool_calloc(dm_pool *pl, size_t n, size_t size)
{
	return dm_pool_own(pl, calloc(n ? n : 1, size ? size : 1));
}

void dm_pool_release(dm_pool *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		free(pl->p[i]);
	free(pl->p);
	pl->p = NULL;
	pl->n = pl->cap = 0;
}

int dm_path_is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int dm_path_is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int dm_path_is_url(const char *s)
{
	const char *p = s;

	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return 0;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '+' ||
	       *p == '-' || *p == '.')
		p++;
	return strncmp(p, "://", 3) == 0;
}

int dm_platform_name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return s[0] != '-' && s[n - 1] != '-';
}
