/* libdm/seed/walk.h - private: a depth-first walk of a folder that yields
 * keys in S3's byte order, holding one directory listing per level. */
#ifndef DM_LIBDM_SEED_WALK_H
#define DM_LIBDM_SEED_WALK_H

#include <stdint.h>
#include <sys/types.h>
#include <dm/err.h>

typedef enum {
	DM_WALK_FILE, /* a regular file (or a symlink to one) */
	DM_WALK_FAIL, /* cannot be taken: reason says why (unreadable folder, loop, bad name) */
	DM_WALK_WARN  /* skipped on purpose: reason says why (fifo, socket, device) */
} dm_walk_kind;

typedef struct {
	dm_walk_kind kind;
	const char *rel;  /* path relative to the root, '/'-separated (the key without prefix) */
	const char *path; /* root + "/" + rel */
	uint64_t size;
	dev_t dev;
	ino_t ino;
	int64_t mtime_ns;
	int64_t ctime_ns;   /* the inode change time: moves on every write, and cannot be set back */
	const char *reason; /* FAIL / WARN */
} dm_walk_entry;

typedef struct dm_walk dm_walk;

/* Opens root: a folder, or a regular file (or a symlink to one), which the walk
 * yields alone, its rel the file's name and its path root. */
dm_err dm_walk_open(dm_walk **out, const char *root);
/* Next entry (borrowed until the next call) or NULL at the end.  A folder
 * that cannot be read whole (opendir or readdir failing, EMFILE included, or
 * memory running out mid-listing) is one DM_WALK_FAIL entry, never a folder
 * read in part. */
const dm_walk_entry *dm_walk_next(dm_walk *w);
/* After dm_walk_next returned NULL: DM_OK at the true end, DM_ERR_NOMEM (detail
 * set) when the walk stopped early for lack of memory. */
dm_err dm_walk_status(const dm_walk *w);
void dm_walk_close(dm_walk *w);

#endif
