/*
 * pack.h - writing git packfiles for group commit.
 *
 * The writer thread collects the objects a batch of submissions creates
 * (blobs, trees, commits) and writes them as one pack with one durability
 * barrier, before it moves the ref.  libgit2's packbuilder would walk and
 * repack whole trees; this writes exactly the objects given, undeltified.
 * kk_pack_merge keeps the number of packs bounded.
 */
#ifndef KK_PACK_H
#define KK_PACK_H

#include <git2.h>

#include "common.h"

typedef struct kk_pack_object {
	git_object_t type; /* GIT_OBJECT_BLOB, _TREE, _COMMIT or _TAG */
	const void *data;  /* the object's content, without git's "type len\0" header */
	size_t len;
	git_oid oid; /* its id; the caller computed it (git_odb_hash) */
} kk_pack_object;

/*
 * Writes `objects` (no duplicates) as a version 2 pack and its version 2
 * index into `pack_dir` (a repository's objects/pack), durably: both are
 * written to temporary files and fsynced, renamed to pack-<checksum>.pack
 * and then .idx (a reader never sees an index without its pack), and the
 * directory is fsynced.  *checksum_out (may be NULL) is the pack's
 * checksum.  Objects are stored without compressing (the pack is on the
 * acknowledgement path, and kk_pack_merge compresses it later), in the
 * order given; writing the same objects in the same order again gives the same pack,
 * and succeeds.  Fails with KK_EIO (the diagnostic names the file and
 * errno), or with KK_EINVALID for an empty list (an empty batch should
 * not write a pack), an object that is not a blob, tree, commit or tag,
 * an id that does not match its content (each is hashed again: a wrong id
 * would corrupt the repository) or an object given twice.  Nothing is left
 * behind on failure.
 */
int kk_pack_write(git_oid *checksum_out, const char *pack_dir, const kk_pack_object *objects,
		  size_t count, kk_diag *diag);

/*
 * kk_pack_write() for a pack that must not be repacked away before refs
 * name its objects (a push into another repository, where a `git gc
 * --prune=now` may run at any time): a pack-<checksum>.keep file holding
 * the line `why` is made before the index appears, as git's receive-pack
 * does, and stays until kk_pack_unkeep().
 */
int kk_pack_write_kept(git_oid *checksum_out, const char *pack_dir, const kk_pack_object *objects,
		       size_t count, const char *why, kk_diag *diag);

/* Removes the .keep file of pack `checksum`, if any.  Fails with KK_EIO. */
int kk_pack_unkeep(const char *pack_dir, const git_oid *checksum, kk_diag *diag);

/*
 * Lists the packs in `pack_dir` that have an index, as checksums, smallest
 * (by .pack size) first, equal sizes by checksum; packs with a .keep file
 * are listed too.  *out is an array the caller frees with free(), NULL
 * when *count_out is 0.  Fails with KK_ENOTFOUND when `pack_dir` does not
 * exist, KK_EIO when it cannot be read.
 */
int kk_pack_list(git_oid **out, size_t *count_out, const char *pack_dir, kk_diag *diag);

/*
 * Combines the packs named by `packs` into one new pack (as kk_pack_write
 * writes it, objects deduplicated) and then removes them: first each .idx,
 * then each .pack, so that a concurrent reader that misses an object
 * rescans and finds it in the new pack.  Safe while readers use the
 * repository; not safe with a concurrent kk_pack_merge of the same packs.
 * Packs with a .keep file are neither read nor removed.  Objects are read
 * through libgit2 (so packs git wrote, with deltas, are fine) one at a
 * time, and written whole: the merged pack has no deltas.  Blobs are
 * compressed (Z_BEST_SPEED); trees, commits and tags are stored, since their
 * ids do not compress.  An entry already in that form is copied as it is.
 * Fails with
 * KK_EINVALID when `count` is 0 or every pack is kept, KK_ENOTFOUND when
 * a pack or its index does not exist, KK_EIO otherwise; if removing an old
 * pack fails, the new pack is in place and holds every object.
 */
int kk_pack_merge(git_oid *checksum_out, const char *pack_dir, const git_oid *packs, size_t count,
		  kk_diag *diag);

#endif
