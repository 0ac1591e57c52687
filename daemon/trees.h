/*
 * trees.h - the trees of the writer's commits (trees.c).
 */
#ifndef KD_TREES_H
#define KD_TREES_H

#include "writer.h"

/*
 * Writes the tree `base` (NULL: none yet) with files[0, n) upserted into
 * the batch; their paths, after `prefix_len` bytes, are relative to this
 * tree and sorted, so a subdirectory's files are contiguous.  *out is the
 * new tree.  Returns 0 or -1.
 */
int kd_tree_write(git_oid *out, kd_writer *w, const git_oid *base, const kk_file *files, size_t n,
		  size_t prefix_len);

/* Forgets the trees the writer kept (after its head was read again, and at the end). */
void kd_trees_clear(kd_writer *w);

#endif
