/* tests/unit/testutil.h - what several unit tests need: temporary folders. */
#ifndef DM_TESTUTIL_H
#define DM_TESTUTIL_H

/* Removes path and everything below it (folders made unreadable are opened
 * up first); a missing path is fine.  0 or -1. */
int dm_test_remove_tree(const char *path);

#endif
