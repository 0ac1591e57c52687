/*
 * recent.h - which files the recent commits of a line of history changed.
 *
 * keikakud checks an update against the version its submitter read, at
 * the commit it names as `base`: a few commits behind the head, as a rule.
 * Reading that version from git means walking the base's trees.  This
 * knows the answer for recent bases without git: a number for each commit
 * made on top of a known start, in order, and for each file its last few
 * changes, each with the commit's number and the blob it replaced.
 *
 * The commits must form one line: each one the child of the one before.
 * Whoever moves the head any other way (back, or to a commit read from the
 * repository) starts again with kk_recent_reset().  Not thread-safe.
 */
#ifndef KK_RECENT_H
#define KK_RECENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <git2.h>

#include "fileset.h"

/* Room for this many commits; one whose place a later one took is read from git. */
#define KK_RECENT_COMMITS 4096
/* The last changes kept of each file: a base before them is read from git. */
#define KK_RECENT_CHANGES 8

typedef struct kk_recent_path kk_recent_path;

typedef struct kk_recent {
	struct {
		git_oid oid;
		uint64_t seq; /* 0: the start; 1 up: the commits since, in order */
		int used;
	} commits[KK_RECENT_COMMITS];  /* by the commit id's first bytes */
	uint64_t seq;		       /* of the newest commit */
	kk_recent_path *paths;	       /* open addressing, by the path's hash */
	size_t path_count, path_alloc; /* path_alloc: 0 or a power of two */
} kk_recent;

/* Forgets everything and starts a new line at `start` (the head as read, say). */
void kk_recent_reset(kk_recent *r, const git_oid *start);

/* Frees what `r` holds; it is then as after kk_recent_reset() with no start. */
void kk_recent_clear(kk_recent *r);

/*
 * Notes `commit`, the child of the newest commit noted (or of the start),
 * which wrote the `count` files at `files` over those in `before` (the
 * files of its parent).  Returns 0, or KK_ENOMEM: then `r` knows no commit
 * before this one (such a base is read from git).
 */
int kk_recent_commit(kk_recent *r, const git_oid *commit, const kk_file *files, size_t count,
		     const kk_fileset *before);

enum kk_recent_answer {
	KK_RECENT_UNKNOWN, /* cannot be told: read it from git */
	KK_RECENT_AT_HEAD, /* as at the newest commit: see the head's files */
	KK_RECENT_BLOB,	   /* the blob *blob */
	KK_RECENT_ABSENT,  /* there was no such file at the base */
};

/* Whether `commit` is the start or a commit noted since, and not forgotten. */
bool kk_recent_has(const kk_recent *r, const git_oid *commit);
/* What `path` was at commit `base`, as far as the recent commits tell. */
enum kk_recent_answer kk_recent_lookup(const kk_recent *r, const git_oid *base, const char *path,
				       git_oid *blob);

#endif
