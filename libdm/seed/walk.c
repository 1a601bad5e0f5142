/* libdm/seed/walk.c - sorted depth-first walk (see walk.h).
 *
 * S3 lists keys in byte order, and "a/b" sorts after "a.txt" ('/' is 0x2F,
 * '.' 0x2E), so each folder's entries are sorted by name with '/' appended to
 * folder names: the walk then yields keys in exactly the listing's order. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <dm/util.h>

#include "walk.h"

#define MAX_DEPTH 256

typedef struct {
	char *name; /* with a trailing '/' for folders */
	int is_dir;
	struct stat st;
	int err; /* errno of stat, 0 if fine */
} item;

typedef struct {
	item *items;
	size_t n, next;
	char *rel; /* folder's rel path with trailing '/', "" for the root */
	dev_t dev;
	ino_t ino;
} frame;

struct dm_walk {
	char *root;
	frame stack[MAX_DEPTH];
	int depth;
	dm_walk_entry cur;
	char *cur_rel, *cur_path;
	char reason[512];
	int nomem; /* the walk ended early for lack of memory */
};

static int cmp_item(const void *a, const void *b)
{
	return strcmp(((const item *)a)->name, ((const item *)b)->name);
}

static void free_frame(frame *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->items[i].name);
	free(f->items);
	free(f->rel);
	memset(f, 0, sizeof(*f));
}

/* Reads and sorts the folder at root/rel. On failure returns errno and leaves
 * f empty: a folder read in part is a folder not read, since every object
 * under it that the missing entries would have matched looks stale. */
static int load_frame(dm_walk *w, frame *f, const char *rel, dev_t dev, ino_t ino)
{
	char *path;
	DIR *d;
	struct dirent *de;
	size_t cap = 0;
	int err = 0;

	memset(f, 0, sizeof(*f));
	if (asprintf(&path, "%s/%s", w->root, rel) < 0)
		return ENOMEM;
	d = opendir(path);
	if (!d) {
		err = errno;
		free(path);
		return err;
	}
	f->dev = dev;
	f->ino = ino;
	if (!(f->rel = strdup(rel)))
		err = ENOMEM;
	while (!err) {
		item *it;
		char *full;

		errno = 0;
		if ((de = readdir(d)) == NULL) {
			err = errno;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (f->n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			item *grown = realloc(f->items, ncap * sizeof(*grown));

			if (!grown) {
				err = ENOMEM;
				break;
			}
			f->items = grown;
			cap = ncap;
		}
		it = &f->items[f->n];
		memset(it, 0, sizeof(*it));
		if (asprintf(&full, "%s/%s", path, de->d_name) < 0) {
			err = ENOMEM;
			break;
		}
		if (stat(full, &it->st) != 0) {
			it->err = errno;
			if (lstat(full, &it->st) != 0)
				memset(&it->st, 0, sizeof(it->st));
		}
		free(full);
		it->is_dir = !it->err && S_ISDIR(it->st.st_mode);
		if (asprintf(&it->name, "%s%s", de->d_name, it->is_dir ? "/" : "") < 0) {
			err = ENOMEM;
			break;
		}
		f->n++;
	}
	closedir(d);
	free(path);
	if (err) {
		free_frame(f);
		return err;
	}
	if (f->n > 1)
		qsort(f->items, f->n, sizeof(*f->items), cmp_item);
	return 0;
}

/* A file as root: the walk of its folder that holds it alone (rel: its name). */
static dm_err open_file(dm_walk **out, const char *root, const struct stat *st)
{
	dm_walk *w = calloc(1, sizeof(*w));
	const char *slash = strrchr(root, '/');
	frame *f;

	if (!w)
		return dm_nomem();
	f = &w->stack[0];
	w->root = !slash ? strdup(".") : slash == root ? strdup("") : strndup(root, (size_t)(slash - root));
	f->items = calloc(1, sizeof(*f->items));
	f->rel = strdup("");
	if (!w->root || !f->items || !f->rel || !(f->items[0].name = strdup(slash ? slash + 1 : root))) {
		dm_walk_close(w);
		return dm_nomem();
	}
	f->items[0].st = *st;
	f->n = 1;
	w->depth = 1;
	*out = w;
	return DM_OK;
}

dm_err dm_walk_open(dm_walk **out, const char *root)
{
	dm_walk *w;
	struct stat st;
	int err;
	size_t n;

	*out = NULL;
	if (stat(root, &st) != 0)
		return dm_fail(errno == ENOENT ? DM_ERR_NOTFOUND : DM_ERR_IO, "cannot read '%s': %s", root,
			       strerror(errno));
	if (S_ISREG(st.st_mode))
		return open_file(out, root, &st);
	if (!S_ISDIR(st.st_mode))
		return dm_fail(DM_ERR_INVALID, "'%s' is not a folder or a regular file", root);
	w = calloc(1, sizeof(*w));
	if (!w || !(w->root = strdup(root))) {
		free(w);
		return dm_nomem();
	}
	n = strlen(w->root);
	while (n > 1 && w->root[n - 1] == '/')
		w->root[--n] = '\0';
	err = load_frame(w, &w->stack[0], "", st.st_dev, st.st_ino);
	if (err) {
		dm_walk_close(w);
		return dm_fail(DM_ERR_IO, "cannot read folder '%s': %s", root, strerror(err));
	}
	w->depth = 1;
	*out = w;
	return DM_OK;
}

static const dm_walk_entry *emit(dm_walk *w, dm_walk_kind kind, const char *rel, const struct stat *st,
				 const char *reason)
{
	free(w->cur_rel);
	free(w->cur_path);
	w->cur_rel = strdup(rel);
	if (asprintf(&w->cur_path, "%s/%s", w->root, rel) < 0)
		w->cur_path = NULL;
	if (!w->cur_rel || !w->cur_path) {
		w->nomem = 1;
		return NULL;
	}
	memset(&w->cur, 0, sizeof(w->cur));
	w->cur.kind = kind;
	w->cur.rel = w->cur_rel;
	w->cur.path = w->cur_path;
	if (st) {
		w->cur.size = (uint64_t)st->st_size;
		w->cur.dev = st->st_dev;
		w->cur.ino = st->st_ino;
		w->cur.mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
		w->cur.ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
	}
	if (reason) {
		snprintf(w->reason, sizeof(w->reason), "%s", reason);
		w->cur.reason = w->reason;
	}
	return &w->cur;
}

const dm_walk_entry *dm_walk_next(dm_walk *w)
{
	while (w->depth > 0 && !w->nomem) {
		frame *f = &w->stack[w->depth - 1];
		item *it;
		char *rel;
		const dm_walk_entry *out = NULL;

		if (f->next >= f->n) {
			free_frame(f);
			w->depth--;
			continue;
		}
		it = &f->items[f->next++];
		if (asprintf(&rel, "%s%s", f->rel, it->name) < 0) {
			w->nomem = 1;
			return NULL;
		}
		if (it->err) {
			char why[256];

			if (it->err == ELOOP)
				snprintf(why, sizeof(why), "symlink loop");
			else if (it->err == ENOENT)
				snprintf(why, sizeof(why), "broken symlink");
			else
				snprintf(why, sizeof(why), "cannot read: %s", strerror(it->err));
			out = emit(w, DM_WALK_FAIL, rel, NULL, why);
		} else if (it->is_dir) {
			int loop = 0;

			rel[strlen(rel) - 1] = '\0'; /* drop the '/' added for sorting */
			for (int i = 0; i < w->depth; i++)
				if (w->stack[i].dev == it->st.st_dev && w->stack[i].ino == it->st.st_ino)
					loop = 1;
			if (loop) {
				out = emit(w, DM_WALK_FAIL, rel, NULL, "symlink loop: the folder contains itself");
			} else if (w->depth >= MAX_DEPTH) {
				out = emit(w, DM_WALK_FAIL, rel, NULL, "folders nested too deep");
			} else {
				char *sub;
				int err;

				if (asprintf(&sub, "%s/", rel) < 0) {
					free(rel);
					w->nomem = 1;
					return NULL;
				}
				err = load_frame(w, &w->stack[w->depth], sub, it->st.st_dev, it->st.st_ino);
				free(sub);
				if (err) {
					char why[256];

					snprintf(why, sizeof(why), "cannot read folder: %s", strerror(err));
					out = emit(w, DM_WALK_FAIL, rel, NULL, why);
				} else {
					w->depth++;
				}
			}
		} else if (S_ISREG(it->st.st_mode)) {
			out = emit(w, DM_WALK_FILE, rel, &it->st, NULL);
		} else {
			const char *what = S_ISFIFO(it->st.st_mode)   ? "a fifo"
					   : S_ISSOCK(it->st.st_mode) ? "a socket"
					   : S_ISCHR(it->st.st_mode)  ? "a character device"
					   : S_ISBLK(it->st.st_mode)  ? "a block device"
								      : "not a regular file";
			char why[64];

			snprintf(why, sizeof(why), "skipped: %s", what);
			out = emit(w, DM_WALK_WARN, rel, NULL, why);
		}
		free(rel);
		if (out || w->nomem)
			return out;
	}
	return NULL;
}

dm_err dm_walk_status(const dm_walk *w)
{
	return w->nomem ? dm_fail(DM_ERR_NOMEM, "out of memory while walking '%s'", w->root) : DM_OK;
}

void dm_walk_close(dm_walk *w)
{
	if (!w)
		return;
	while (w->depth > 0)
		free_frame(&w->stack[--w->depth]);
	free(w->cur_rel);
	free(w->cur_path);
	free(w->root);
	free(w);
}
