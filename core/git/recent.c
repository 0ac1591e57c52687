/*
 * recent.c - the files the writer's recent commits changed (recent.h): per
 * file, its last few changes and the blob each replaced, so that the
 * version a recent base had is found without walking git's trees.
 */
#include "recent.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"

struct kk_recent_path {
	char *path; /* NULL: a free slot */
	uint64_t hash;
	struct {
		uint64_t seq;	      /* of the commit that made the change */
		git_oid blob;	      /* the file before it... */
		int existed;	      /* ...if there was one */
	} changes[KK_RECENT_CHANGES]; /* a ring, oldest at `first` */
	size_t first, count;
	uint64_t forgotten; /* the newest change no longer kept: an earlier base is unknown */
};

static uint64_t hash_path(const char *s)
{
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t commit_slot(const git_oid *oid)
{
	/* Ids are uniformly distributed: their first bytes are hash enough. */
	return ((size_t)oid->id[0] << 8 | oid->id[1]) % KK_RECENT_COMMITS;
}

static void clear_paths(kk_recent *r)
{
	for (size_t i = 0; i < r->path_alloc; i++)
		free(r->paths[i].path);
	free(r->paths);
	r->paths = NULL;
	r->path_count = r->path_alloc = 0;
}

void kk_recent_clear(kk_recent *r)
{
	clear_paths(r);
	memset(r->commits, 0, sizeof(r->commits));
	r->seq = 0;
}

static void note_commit(kk_recent *r, const git_oid *oid, uint64_t seq)
{
	size_t slot = commit_slot(oid);

	/* A commit that shares the slot is forgotten: a base that old is read from git. */
	r->commits[slot].oid = *oid;
	r->commits[slot].seq = seq;
	r->commits[slot].used = 1;
}

void kk_recent_reset(kk_recent *r, const git_oid *start)
{
	kk_recent_clear(r);
	note_commit(r, start, 0);
}

static kk_recent_path *find_path(const kk_recent *r, const char *path, uint64_t hash)
{
	size_t mask = r->path_alloc - 1;

	if (!r->path_alloc)
		return NULL;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		kk_recent_path *p = &r->paths[i];

		if (!p->path || (p->hash == hash && strcmp(p->path, path) == 0))
			return p;
	}
}

/* Keeps the table at most half full, so that a probe ends soon at a free slot. */
static int grow_paths(kk_recent *r)
{
	size_t alloc = r->path_alloc ? r->path_alloc * 2 : 64;
	kk_recent_path *old = r->paths, *paths = calloc(alloc, sizeof(*paths));
	size_t old_alloc = r->path_alloc;

	if (!paths)
		return KK_ENOMEM;
	r->paths = paths;
	r->path_alloc = alloc;
	for (size_t i = 0; i < old_alloc; i++)
		if (old[i].path)
			*find_path(r, old[i].path, old[i].hash) = old[i];
	free(old);
	return 0;
}

int kk_recent_commit(kk_recent *r, const git_oid *commit, const kk_file *files, size_t count,
		     const kk_fileset *before)
{
	uint64_t seq = r->seq + 1;

	for (size_t i = 0; i < count; i++) {
		const kk_file *old = kk_fileset_get(before, files[i].path);
		uint64_t hash = hash_path(files[i].path);
		kk_recent_path *p;
		size_t at;

		if ((r->path_count + 1) * 2 > r->path_alloc && grow_paths(r) < 0)
			goto nomem;
		if (!(p = find_path(r, files[i].path, hash))->path) {
			if (!(p->path = strdup(files[i].path)))
				goto nomem;
			p->hash = hash;
			r->path_count++;
		}
		if (p->count == KK_RECENT_CHANGES) {
			p->forgotten = p->changes[p->first].seq;
			p->first = (p->first + 1) % KK_RECENT_CHANGES;
			p->count--;
		}
		at = (p->first + p->count++) % KK_RECENT_CHANGES;
		p->changes[at].seq = seq;
		p->changes[at].existed = old != NULL;
		if (old)
			p->changes[at].blob = old->oid;
	}
	r->seq = seq;
	note_commit(r, commit, seq);
	return 0;
nomem:
	/*
	 * Knowing nothing is safe: every base is read from git, until this
	 * line starts again at the next commit (whose successors are noted).
	 */
	kk_recent_clear(r);
	return KK_ENOMEM;
}

bool kk_recent_has(const kk_recent *r, const git_oid *commit)
{
	size_t slot = commit_slot(commit);

	return r->commits[slot].used && git_oid_equal(&r->commits[slot].oid, commit);
}

enum kk_recent_answer kk_recent_lookup(const kk_recent *r, const git_oid *base, const char *path,
				       git_oid *blob)
{
	const kk_recent_path *p;
	uint64_t seq;

	if (!kk_recent_has(r, base))
		return KK_RECENT_UNKNOWN;
	seq = r->commits[commit_slot(base)].seq;
	p = find_path(r, path, hash_path(path));
	if (!p || !p->path)
		return KK_RECENT_AT_HEAD; /* not changed since the start */
	if (seq < p->forgotten)
		return KK_RECENT_UNKNOWN;
	/* The first change after the base replaced what the file was at the base. */
	for (size_t i = 0; i < p->count; i++) {
		size_t at = (p->first + i) % KK_RECENT_CHANGES;

		if (p->changes[at].seq > seq) {
			if (!p->changes[at].existed)
				return KK_RECENT_ABSENT;
			*blob = p->changes[at].blob;
			return KK_RECENT_BLOB;
		}
	}
	return KK_RECENT_AT_HEAD;
}
