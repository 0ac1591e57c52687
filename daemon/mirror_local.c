/*
 * mirror_local.c - a push to a mirror on this machine (a path, or a
 * file:// URL) without libgit2's push.  That push builds a pack with the
 * packbuilder (reading every new object, searching for deltas, deflating)
 * and then indexes it again on the mirror's side, in the same process: on
 * 2 busy cores it took a third of keikakud's write rate.  Here the new
 * objects are found by comparing each new commit's tree with its parent's,
 * level by level, and written as one pack with kk_pack_write (as the syncer
 * writes a batch's: undeltified, synced, with its index), and each ref is
 * then moved by compare-and-swap.  The mirror's small packs are merged by
 * the writer's own rule (kd_packs_tidy).
 *
 * A mirror's first push (it has no branch yet: the whole history), a tag
 * whose target is not on the branch, and a push too large to hold in
 * memory go through libgit2's push, which streams.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "log.h"
#include "mirror_push.h"
#include "pack.h"
#include "packs.h"

/* Past this, libgit2's push, which does not hold the objects in memory. */
#define KD_LOCAL_MAX_OBJECTS 100000
#define KD_LOCAL_MAX_BYTES   ((size_t)64 << 20)

/* The new objects of a push, each with the odb object that holds its bytes. */
typedef struct {
	git_repository *repo;
	git_odb *odb;
	kk_pack_object *items;
	git_odb_object **held; /* held_count of them, in the order read */
	size_t count, alloc, held_count, held_alloc, bytes;
	int too_large;
} kd_new_objects;

const char *kd_push_local_path(const char *url)
{
	if (url[0] == '/')
		return url;
	if (strncmp(url, "file:///", 8) == 0 && !strchr(url, '%'))
		return url + 7;
	return NULL;
}

/* The mirror, opened if need be; NULL when it is no bare repository here. */
static git_repository *mirror_repo(kd_pusher *p, const char *path)
{
	if (p->dest)
		return p->dest;
	if (git_repository_open_ext(&p->dest, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return NULL;
	if (!git_repository_is_bare(p->dest)) {
		git_repository_free(p->dest);
		p->dest = NULL;
	}
	return p->dest;
}

/* 1 and *out when the mirror has `name`, 0 when not, -1 on an error. */
static int mirror_ref(git_oid *out, git_repository *dest, const char *name)
{
	int rc = git_reference_name_to_id(out, dest, name);

	return rc == 0 ? 1 : rc == GIT_ENOTFOUND ? 0 : -1;
}

int kd_push_local_refs(kd_pusher *p, const char *path, kd_push_refs *refs, char *error, size_t size)
{
	git_repository *dest = mirror_repo(p, path);
	int rc;

	/* libgit2's push says what is wrong with it. */
	if (!dest)
		return 1;
	if ((rc = mirror_ref(&refs->theirs, dest, KD_MIRROR_BRANCH)) < 0)
		goto fail;
	refs->has_theirs = rc;
	for (size_t i = 0; i < refs->tag_count; i++) {
		if ((rc = mirror_ref(&refs->tags[i].theirs, dest, refs->tags[i].name)) < 0)
			goto fail;
		refs->tags[i].has_theirs = rc;
	}
	return 0;
fail:
	snprintf(error, size, "cannot read the mirror's refs: %s", kd_git_message());
	return -1;
}

/* --- The new objects. --- */

static int add_object(kd_new_objects *n, const git_oid *oid)
{
	git_odb_object *obj;

	if (n->count >= KD_LOCAL_MAX_OBJECTS || n->bytes >= KD_LOCAL_MAX_BYTES) {
		n->too_large = 1;
		return -1;
	}
	if (KK_ARRAY_GROW(n->items, n->count + 1, n->alloc) < 0 ||
	    KK_ARRAY_GROW(n->held, n->held_count + 1, n->held_alloc) < 0) {
		git_error_set_oom();
		return -1;
	}
	if (git_odb_read(&obj, n->odb, oid) < 0)
		return -1;
	n->held[n->held_count++] = obj;
	n->items[n->count++] = (kk_pack_object){git_odb_object_type(obj), git_odb_object_data(obj),
						git_odb_object_size(obj), *oid};
	n->bytes += git_odb_object_size(obj);
	return 0;
}

/*
 * Adds tree `id` and what it holds that tree `old` (NULL: none) does not
 * hold at the same path: everything else the mirror has, or gets from the
 * parent commit's own comparison.  Gitlinks are not objects of ours.
 */
static int add_tree(kd_new_objects *n, const git_oid *id, const git_oid *old_id)
{
	git_tree *tree = NULL, *old = NULL;
	int rc = -1;

	if (old_id && git_oid_equal(id, old_id))
		return 0;
	if (add_object(n, id) < 0 || git_tree_lookup(&tree, n->repo, id) < 0 ||
	    (old_id && git_tree_lookup(&old, n->repo, old_id) < 0))
		goto done;
	for (size_t i = 0, count = git_tree_entrycount(tree); i < count; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const git_tree_entry *was =
			old ? git_tree_entry_byname(old, git_tree_entry_name(e)) : NULL;
		const git_oid *eid = git_tree_entry_id(e);
		git_object_t type = git_tree_entry_type(e);

		if (was && git_oid_equal(eid, git_tree_entry_id(was)))
			continue;
		if (type == GIT_OBJECT_TREE) {
			int was_tree = was && git_tree_entry_type(was) == GIT_OBJECT_TREE;

			if (add_tree(n, eid, was_tree ? git_tree_entry_id(was) : NULL) < 0)
				goto done;
		} else if (type == GIT_OBJECT_BLOB && add_object(n, eid) < 0) {
			goto done;
		}
	}
	rc = 0;
done:
	git_tree_free(tree);
	git_tree_free(old);
	return rc;
}

/* The commits of ours the mirror lacks, each with its tree compared with its first parent's. */
static int add_commits(kd_new_objects *n, const kd_push_refs *refs)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int rc = -1, next;

	if (git_revwalk_new(&walk, n->repo) < 0 || git_revwalk_push(walk, &refs->ours) < 0 ||
	    git_revwalk_hide(walk, &refs->theirs) < 0)
		goto done;
	while ((next = git_revwalk_next(&id, walk)) == 0) {
		git_commit *commit = NULL, *parent = NULL;
		int failed = git_commit_lookup(&commit, n->repo, &id) < 0 ||
			     add_object(n, &id) < 0 ||
			     (git_commit_parentcount(commit) &&
			      git_commit_parent(&parent, commit, 0) < 0) ||
			     add_tree(n, git_commit_tree_id(commit),
				      parent ? git_commit_tree_id(parent) : NULL) < 0;

		git_commit_free(parent);
		git_commit_free(commit);
		if (failed)
			goto done;
	}
	rc = next == GIT_ITEROVER ? 0 : -1;
done:
	git_revwalk_free(walk);
	return rc;
}

/*
 * The tags to send, and their objects.  1 when a tag is not one this push
 * can carry: not an annotated tag or a commit, or its commit is not on our
 * branch (only the branch's new objects are sent).
 */
static int add_tags(kd_new_objects *n, const kd_push_refs *refs)
{
	for (size_t i = 0; i < refs->tag_count; i++) {
		const kd_push_tag *tag = &refs->tags[i];
		git_object *obj = NULL;
		git_oid target;
		int on_branch;

		if (!tag->send)
			continue;
		if (git_object_lookup(&obj, n->repo, &tag->oid, GIT_OBJECT_ANY) < 0)
			return -1;
		if (git_object_type(obj) == GIT_OBJECT_TAG &&
		    git_tag_target_type((git_tag *)obj) == GIT_OBJECT_COMMIT) {
			target = *git_tag_target_id((git_tag *)obj);
		} else if (git_object_type(obj) == GIT_OBJECT_COMMIT) {
			target = tag->oid;
		} else {
			git_object_free(obj);
			return 1;
		}
		git_object_free(obj);
		on_branch = git_oid_equal(&target, &refs->ours) ||
			    git_graph_descendant_of(n->repo, &refs->ours, &target) == 1;
		if (!on_branch)
			return 1;
		if (!git_oid_equal(&target, &tag->oid) && add_object(n, &tag->oid) < 0)
			return -1;
	}
	return 0;
}

static int cmp_objects(const void *a, const void *b)
{
	return git_oid_cmp(&((const kk_pack_object *)a)->oid, &((const kk_pack_object *)b)->oid);
}

/* Sorts by id and drops repeats (a file that went back to earlier content). */
static void dedupe(kd_new_objects *n)
{
	size_t kept = 0;

	qsort(n->items, n->count, sizeof(*n->items), cmp_objects);
	for (size_t i = 0; i < n->count; i++)
		if (!kept || !git_oid_equal(&n->items[kept - 1].oid, &n->items[i].oid))
			n->items[kept++] = n->items[i];
	n->count = kept;
}

static void new_objects_clear(kd_new_objects *n)
{
	for (size_t i = 0; i < n->held_count; i++)
		git_odb_object_free(n->held[i]);
	free(n->held);
	free(n->items);
	git_odb_free(n->odb);
}

void kd_pusher_tidy(kd_pusher *p)
{
	char pack_dir[PATH_MAX];
	size_t packs, merged;
	kk_diag diag = {0};

	if (!p->wrote_pack || !p->dest)
		return;
	p->wrote_pack = 0;
	snprintf(pack_dir, sizeof(pack_dir), "%sobjects/pack", git_repository_path(p->dest));
	if (kd_packs_tidy(pack_dir, &packs, &merged, &diag) < 0)
		log_warnx("mirror %s: cannot merge its packs: %s", p->url, diag.message);
}

/* --- The refs. --- */

static int move_refs(git_repository *dest, const kd_push_refs *refs, char *error, size_t size)
{
	git_reference *ref = NULL;

	/* Compare-and-swap: a branch moved since we read it is not overwritten. */
	if (refs->send) {
		if (git_reference_create_matching(&ref, dest, KD_MIRROR_BRANCH, &refs->ours, 1,
						  &refs->theirs, NULL) < 0) {
			snprintf(error, size, "cannot move the mirror's %s: %s", KD_MIRROR_BRANCH,
				 kd_git_message());
			return -1;
		}
		git_reference_free(ref);
	}
	for (size_t i = 0; i < refs->tag_count; i++) {
		if (!refs->tags[i].send)
			continue;
		if (git_reference_create(&ref, dest, refs->tags[i].name, &refs->tags[i].oid, 0,
					 NULL) < 0) {
			snprintf(error, size, "cannot make the mirror's %s: %s", refs->tags[i].name,
				 kd_git_message());
			return -1;
		}
		git_reference_free(ref);
	}
	return 0;
}

int kd_push_local_land(kd_pusher *p, const char *path, const kd_push_refs *refs, char *error,
		       size_t size)
{
	git_repository *dest = mirror_repo(p, path);
	git_reference *ref = NULL;
	int rc;

	if (!dest) {
		snprintf(error, size, "cannot open the mirror: %s", kd_git_message());
		return -1;
	}
	/* The branch as the push found it, or none: a branch moved since is not overwritten. */
	rc = refs->has_theirs
		     ? git_reference_create_matching(&ref, dest, KD_MIRROR_BRANCH, &refs->ours, 1,
						     &refs->theirs, NULL)
		     : git_reference_create(&ref, dest, KD_MIRROR_BRANCH, &refs->ours, 0, NULL);
	git_reference_free(ref);
	if (rc < 0)
		snprintf(error, size, "cannot move the mirror's %s: %s", KD_MIRROR_BRANCH,
			 kd_git_message());
	if (git_reference_remove(dest, KD_MIRROR_INCOMING) < 0)
		log_warnx("mirror %s: cannot remove %s: %s", path, KD_MIRROR_INCOMING,
			  kd_git_message());
	return rc < 0 ? -1 : 0;
}

int kd_push_local(kd_pusher *p, const char *path, const kd_push_refs *refs, char *error,
		  size_t size)
{
	kd_new_objects n = {.repo = p->repo};
	char pack_dir[PATH_MAX];
	git_oid pack;
	kk_diag diag = {0};
	int rc = -1, tags = 0;

	if (!refs->has_theirs)
		return 1;
	if (git_repository_odb(&n.odb, p->repo) < 0 || (refs->send && add_commits(&n, refs) < 0) ||
	    (tags = add_tags(&n, refs)) < 0) {
		if (!n.too_large)
			snprintf(error, size, "cannot read the objects to send: %s",
				 kd_git_message());
		rc = n.too_large ? 1 : -1;
		goto done;
	}
	if (tags > 0) {
		rc = 1;
		goto done;
	}
	snprintf(pack_dir, sizeof(pack_dir), "%sobjects/pack", git_repository_path(p->dest));
	/*
	 * Kept until the refs name its objects: a `git gc --prune=now` on the
	 * mirror in between would find them unreachable and drop them.
	 */
	if (n.count) {
		dedupe(&n);
		if (kk_pack_write_kept(&pack, pack_dir, n.items, n.count, "keikakud: mirroring",
				       &diag) < 0) {
			snprintf(error, size, "%s", diag.message);
			goto done;
		}
	}
	rc = move_refs(p->dest, refs, error, size);
	if (n.count && kk_pack_unkeep(pack_dir, &pack, &diag) < 0)
		log_warnx("mirror %s: %s", path, diag.message);
	if (rc < 0)
		goto done;
	log_debug("mirror %s: sent %zu objects in a pack of their own", path, n.count);
	p->wrote_pack = n.count > 0;
done:
	new_objects_clear(&n);
	return rc;
}
