/* libdm/seed/source.c - dm-seed's reads of local files: a range of the file the walk saw,
 * refused when the file changed (size, device and inode, mtime and ctime) before or while it
 * was read (see internal.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dm/seed.h>

#include "internal.h"

/* x86-64's transparent huge page */
#define HUGE_PAGE ((size_t)2 << 20)

/* Room for n bytes in b; its bytes are not kept, as every read fills it anew.  A buffer of
 * HUGE_PAGE or more (a part, a large small file) is aligned to HUGE_PAGE and asks for huge
 * pages (madvise: a no-op where the kernel's THP is "never"): the kernel's copy of a part
 * into 4 KiB pages faulted and missed the TLB once per page, and 2 MiB pages cut dm-seed's
 * own CPU on a 512 MiB file by a fifth (bench/RESULTS.md, "512 MiB: huge pages for the part
 * buffers"). */
static int grow(wbuf *b, size_t n)
{
	void *p = NULL;

	if (n <= b->cap)
		return 0;
	if (n >= HUGE_PAGE) {
		if (posix_memalign(&p, HUGE_PAGE, n) != 0) {
			errno = ENOMEM;
			return -1;
		}
		(void)madvise(p, n, MADV_HUGEPAGE);
	} else if (!(p = malloc(n ? n : 1))) {
		return -1;
	}
	free(b->data);
	b->data = p;
	b->cap = n;
	return 0;
}

int64_t dm_source_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* The walk's file, not another one put in its place: the same device and inode. */
static int same_file(const file_job *f, const struct stat *st)
{
	return st->st_dev == f->dev && st->st_ino == f->ino;
}

/* The file is as the job last saw it: same mtime and ctime.  ctime counts
 * because mtime can be put back (touch -r, cp -p, rsync --inplace) after a
 * rewrite of the same size, and then only ctime tells. */
static int same_times(const file_job *f, const struct stat *st)
{
	return dm_source_ns(&st->st_mtim) == f->mtime_ns && dm_source_ns(&st->st_ctim) == f->ctime_ns;
}

/* Reads len bytes at off of the job's file into b, checking that the file is
 * the one the walk saw and did not change while being read.  DM_OK, or DM_ERR_IO with the
 * reason in why, and in this thread's detail too; callers read why, because parts are read
 * by an OpenMP team whose threads' details the caller does not see. */
dm_err dm_source_read_range(file_job *f, wbuf *b, uint64_t off, size_t len, char *why, size_t nwhy)
{
	for (int attempt = 0; attempt < READ_TRIES; attempt++) {
		struct stat before, after;
		size_t got = 0;
		int fd = open(f->path, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			snprintf(why, nwhy, "cannot read: %s", strerror(errno));
			return dm_fail(DM_ERR_IO, "%s", why);
		}
		if (fstat(fd, &before) != 0 || grow(b, len) != 0) {
			snprintf(why, nwhy, "cannot read: %s", strerror(errno ? errno : ENOMEM));
			close(fd);
			return dm_fail(DM_ERR_IO, "%s", why);
		}
		if ((uint64_t)before.st_size != f->size || !same_file(f, &before)) {
			/* changed since the walk: a small file is simply taken as it is now */
			if (f->nparts > 0) {
				/* say which: a same-size replacement read as "size N, was N" */
				if (!same_file(f, &before))
					snprintf(why, nwhy, "changed while uploading (replaced by another file)");
				else
					snprintf(why, nwhy, "changed while uploading (size %llu, was %llu)",
						 (unsigned long long)before.st_size, (unsigned long long)f->size);
				close(fd);
				return dm_fail(DM_ERR_IO, "%s", why);
			}
			f->size = (uint64_t)before.st_size;
			f->dev = before.st_dev;
			f->ino = before.st_ino;
			len = (size_t)f->size;
			if (grow(b, len) != 0) {
				snprintf(why, nwhy, "out of memory");
				close(fd);
				return dm_fail(DM_ERR_IO, "%s", why);
			}
		}
		if (f->nparts > 0) {
			/* parts are read one by one, maybe by several threads: each must see the walk's file */
			if (!same_times(f, &before)) {
				snprintf(why, nwhy, "changed while uploading");
				close(fd);
				return dm_fail(DM_ERR_IO, "%s", why);
			}
		} else {
			f->mtime_ns = dm_source_ns(&before.st_mtim);
			f->ctime_ns = dm_source_ns(&before.st_ctim);
		}
		while (got < len) {
			ssize_t n = pread(fd, b->data + got, len - got, (off_t)(off + got));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got < len) {
			snprintf(why, nwhy, got == 0 && errno ? "cannot read: %s" : "file shrank while being read%s",
				 got == 0 && errno ? strerror(errno) : "");
			close(fd);
			if (attempt + 1 < READ_TRIES && f->nparts == 0)
				continue;
			return dm_fail(DM_ERR_IO, "%s", why);
		}
		fstat(fd, &after);
		close(fd);
		/* before matched the job's times (checked above, or taken as the job's) */
		if (after.st_size == before.st_size && same_file(f, &after) && same_times(f, &after))
			return DM_OK;
		snprintf(why, nwhy, "changed while being read");
		if (f->nparts > 0)
			return dm_fail(DM_ERR_IO, "%s", why);
	}
	return dm_fail(DM_ERR_IO, "%s", why);
}
