/*
 * mirror_push.h - one push to a mirror (mirror_push.c), on a mirror
 * thread: the branch and the tags the mirror lacks, never forcing.  A
 * mirror on this machine (a path or a file:// URL) gets the new objects as
 * one pack written directly into its repository (mirror_local.c); any
 * other goes through libgit2's push (ssh, https).
 */
#ifndef KD_MIRROR_PUSH_H
#define KD_MIRROR_PUSH_H

#include <git2.h>

#include "mirror.h"

/* A mirror thread's state from push to push; zeroed, then url and source set. */
typedef struct kd_pusher {
	const char *url;    /* the mirror, as given */
	const char *source; /* keikakud's repository */
	int fresh;	    /* open both repositories again before the next push */

	/* Kept from push to push (see mirror_push.c). */
	git_repository *repo; /* keikakud's */
	git_repository *dest; /* a local mirror's */
	unsigned uses;	      /* pushes since they were opened */
	int wrote_pack;	      /* into the local mirror, since kd_pusher_tidy() */
} kd_pusher;

/* A tag of ours, and what the mirror has under its name. */
typedef struct kd_push_tag {
	char name[256];
	git_oid oid;
	git_oid theirs;
	int has_theirs; /* the mirror has a tag of that name */
	int send;	/* the mirror lacks it */
} kd_push_tag;

/* The refs one push is about. */
typedef struct kd_push_refs {
	git_oid ours;
	git_oid theirs;
	int has_theirs; /* the mirror has the branch */
	int send;	/* the mirror lacks ours */
	kd_push_tag *tags;
	size_t tag_count, tag_alloc;
} kd_push_refs;

/*
 * Pushes the branch and the tags to the mirror if it lacks them.  Returns
 * 0 with *pushed the branch the mirror now holds; or -1 with the reason
 * in `error`, and *diverged set when the mirror's history is not ours.
 */
int kd_push(kd_pusher *p, git_oid *pushed, int *diverged, char *error, size_t size);

/*
 * After a push to a local mirror that wrote a pack, merges the mirror's
 * small packs as keikakud merges its own (kd_packs_tidy); a failure is
 * logged, and costs the mirror's readers only speed.  Called once the push
 * is reported, which it does not delay.
 */
void kd_pusher_tidy(kd_pusher *p);

/* Lets go of the repositories the pusher keeps. */
void kd_pusher_clear(kd_pusher *p);

/*
 * After the mirror's side of `refs` is filled in: which refs to send.  A
 * branch the mirror holds must be an ancestor of ours, and a tag it holds
 * must be ours; otherwise -1, *diverged and the reason in `error`.
 */
int kd_push_decide(git_repository *repo, kd_push_refs *refs, int *diverged, char *error,
		   size_t size);

/*
 * The path of a mirror on this machine that mirror_local.c can write to:
 * `url` itself when absolute, or a file:// URL's path without percent
 * escapes; NULL for any other.
 */
const char *kd_push_local_path(const char *url);

/*
 * Sends `refs` (decided) to the local mirror at `path` as one pack and a
 * compare-and-swap of each ref.  Returns 0 when sent, -1 with the reason
 * in `error`, or 1 when this push is one for libgit2's (the mirror has no
 * branch yet, a tag's target is elsewhere, or the push is too large to
 * hold in memory).
 */
int kd_push_local(kd_pusher *p, const char *path, const kd_push_refs *refs, char *error,
		  size_t size);

/* Where libgit2's push leaves the branch in a local mirror, before kd_push_local_land(). */
#define KD_MIRROR_INCOMING "refs/keikaku/incoming"

/*
 * After libgit2's push left our branch at KD_MIRROR_INCOMING in the local
 * mirror at `path`: moves the mirror's branch there by compare-and-swap
 * from what the push found (`refs`), and removes KD_MIRROR_INCOMING.
 * Returns 0, or -1 with the reason in `error`.
 */
int kd_push_local_land(kd_pusher *p, const char *path, const kd_push_refs *refs, char *error,
		       size_t size);

/*
 * Reads the local mirror's side of `refs`: its branch and each tag.
 * Returns 0, or -1 with the reason in `error`.
 */
int kd_push_local_refs(kd_pusher *p, const char *path, kd_push_refs *refs, char *error,
		       size_t size);

#endif
