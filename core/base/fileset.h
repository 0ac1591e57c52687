/*
 * fileset.h - an in-memory set of plan files (path -> bytes).
 *
 * The plan loader and verify work on a fileset, so that the same checks run
 * on a directory about to become a repository, on any commit of one, and
 * (later) on the tree a write is about to commit.
 */
#ifndef KK_FILESET_H
#define KK_FILESET_H

#include <stddef.h>

#include <git2.h>

#include "common.h"

typedef struct kk_file {
	char *path; /* "items/0026.json": '/'-separated, relative */
	char *data; /* NUL-terminated for convenience; may hold NULs */
	size_t len;
	git_oid oid; /* the blob id git gives these bytes */
} kk_file;

typedef struct kk_fileset {
	kk_file *files; /* sorted by path */
	size_t count;
	size_t alloc;
} kk_fileset;

/* Frees the files; the set may be reused.  Accepts NULL. */
void kk_fileset_clear(kk_fileset *set);

/*
 * Adds or replaces `path` with a copy of `len` bytes at `data`.  Returns 0,
 * KK_ENOMEM, or KK_EINVALID for a path that is absolute, empty, has empty,
 * "." or ".." components, or starts with ".git".
 */
int kk_fileset_put(kk_fileset *set, const char *path, const char *data, size_t len, kk_diag *diag);

/*
 * Tells whether `path` may name a file of a set: relative, not empty, no
 * empty, "." or ".." components, not under ".git".
 */
int kk_fileset_path_valid(const char *path);

/* As kk_fileset_put(), copying `file` (from another set) without hashing it again. */
int kk_fileset_put_file(kk_fileset *set, const kk_file *file, kk_diag *diag);

/* Returns the file at `path`, or NULL; the pointer is borrowed. */
const kk_file *kk_fileset_get(const kk_fileset *set, const char *path);

/*
 * Reads every regular file under `dir` into `set`, with paths relative to
 * `dir`.  `accept` (may be NULL) filters relative paths: it returns
 * nonzero to keep one.  Symbolic links and special files fail with
 * KK_EINVALID; unreadable files with KK_EIO.
 */
int kk_fileset_read_dir(kk_fileset *set, const char *dir, int (*accept)(const char *path),
			kk_diag *diag);

#endif
