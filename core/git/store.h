/*
 * store.h - plan repositories on disk (libgit2).
 *
 * Reads work on any revision straight from the object database, so a bare
 * repository (the daemon's) and an ordinary clone are read the same way and
 * no working tree is ever consulted.
 */
#ifndef KK_STORE_H
#define KK_STORE_H

#include <stdint.h>

#include <git2.h>

#include "common.h"
#include "fileset.h"

typedef struct kk_store kk_store;

/* Who made a commit; `when` < 0 means now.  `offset` is minutes east of UTC. */
typedef struct kk_signature {
	const char *name;
	const char *email;
	int64_t when;
	int offset;
} kk_signature;

/*
 * Opens the repository at or above `start` (a directory), as git finds
 * one.  Fails with KK_ENOTFOUND when there is none.  Free with
 * kk_store_free().
 */
int kk_store_discover(kk_store **out, const char *start, kk_diag *diag);
void kk_store_free(kk_store *store);

/* The underlying repository and its path; borrowed. */
git_repository *kk_store_repository(kk_store *store);
const char *kk_store_path(const kk_store *store);

/*
 * Resolves `rev` (a commit id or prefix, branch, tag, or any git revision
 * expression; NULL or "" for HEAD) to a commit.  Fails with KK_ENOTFOUND
 * for an unknown revision, KK_EINVALID for one that is not a commit.
 */
int kk_store_resolve(git_oid *out, kk_store *store, const char *rev, kk_diag *diag);

/*
 * Reads the file at `path` in `commit`.  *out is NUL-terminated and freed
 * by the caller with free().  Fails with KK_ENOTFOUND when the commit has
 * no such file.
 */
int kk_store_read(char **out, size_t *len_out, kk_store *store, const git_oid *commit,
		  const char *path, kk_diag *diag);

/* Reads every file of `commit` into `out` (which should be empty). */
int kk_store_read_all(kk_fileset *out, kk_store *store, const git_oid *commit, kk_diag *diag);

/*
 * Writes `files` as a tree and returns its id.  Trees and blobs go into the
 * repository's object database; no ref moves.
 */
int kk_store_write_tree(git_oid *out, git_repository *repo, const kk_fileset *files, kk_diag *diag);

/*
 * Creates a bare repository at `path` (default branch main) whose first
 * commit holds `files`, authored and committed by `sig` with `message`.
 * The repository is built beside `path` and renamed into place, so a
 * failure leaves nothing behind.  Fails with KK_EEXISTS when `path` exists
 * and is not an empty directory.  On success *out (may be NULL) is the open
 * store and *commit_out (may be NULL) the commit.
 */
int kk_store_init(kk_store **out, git_oid *commit_out, const char *path, const kk_fileset *files,
		  const kk_signature *sig, const char *message, kk_diag *diag);

#endif
