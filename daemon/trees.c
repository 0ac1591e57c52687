/*
 * trees.c - the trees of the writer's commits, written without libgit2's
 * treebuilder: a commit changes a few files, so each tree on their paths is
 * the tree before with those entries replaced, and the writer keeps the
 * entries of the last few trees it wrote (its "memos") so that the next
 * commit need not read them back and parse them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2/sys/odb_backend.h>

#include "array.h"
#include "buf.h"
#include "objects.h"
#include "trees.h"

/* Git orders a tree's entries by name, a subtree's name as if it ended in '/'. */
static int cmp_entries(const void *pa, const void *pb)
{
	const kd_tree_entry *a = pa, *b = pb;
	size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
	int c = memcmp(a->name, b->name, n);
	unsigned char ca, cb;

	if (c)
		return c;
	ca = n < a->name_len ? (unsigned char)a->name[n] : a->mode == GIT_FILEMODE_TREE ? '/' : 0;
	cb = n < b->name_len ? (unsigned char)b->name[n] : b->mode == GIT_FILEMODE_TREE ? '/' : 0;
	return (ca > cb) - (ca < cb);
}

static int append_entry(kd_tree_entry **entries, size_t *count, size_t *alloc, const char *name,
			size_t name_len, unsigned mode, const git_oid *oid)
{
	if (KK_ARRAY_GROW(*entries, *count + 1, *alloc) < 0)
		return -1;
	(*entries)[(*count)++] = (kd_tree_entry){name, name_len, mode, *oid};
	return 0;
}

/*
 * Replaces the entry `name` among the first `count`, or appends it; sets
 * *unsorted when the entries may be out of git's order after that.
 */
static int upsert(kd_tree_entry **entries, size_t *count, size_t *alloc, const char *name,
		  size_t name_len, unsigned mode, const git_oid *oid, int *unsorted)
{
	for (size_t i = 0; i < *count; i++) {
		kd_tree_entry *e = &(*entries)[i];

		if (e->name_len == name_len && memcmp(e->name, name, name_len) == 0) {
			/* A tree sorts as if its name ended in '/': a blob in its place may not. */
			*unsorted |= (e->mode == GIT_FILEMODE_TREE) != (mode == GIT_FILEMODE_TREE);
			e->mode = mode;
			e->oid = *oid;
			return 0;
		}
	}
	*unsorted = 1;
	return append_entry(entries, count, alloc, name, name_len, mode, oid);
}

static int memo_is_at(const kd_tree_memo *m, const char *prefix, size_t prefix_len)
{
	return m->used && strlen(m->prefix) == prefix_len &&
	       memcmp(m->prefix, prefix, prefix_len) == 0;
}

/* The kept entries of tree `oid` at `prefix` (only there: its slot is not replaced meanwhile). */
static const kd_tree_memo *memo_find(const kd_writer *w, const char *prefix, size_t prefix_len,
				     const git_oid *oid)
{
	for (size_t i = 0; i < KD_TREE_MEMOS; i++)
		if (memo_is_at(&w->trees[i], prefix, prefix_len) &&
		    git_oid_equal(&w->trees[i].oid, oid))
			return &w->trees[i];
	return NULL;
}

/*
 * Keeps the entries of tree `oid`, just written at `prefix`, in place of
 * what was kept for that path (or in a free slot; else not at all, so that
 * no caller's entries lose the names they point to).
 */
static void memo_store(kd_writer *w, const char *prefix, size_t prefix_len, const git_oid *oid,
		       const kd_tree_entry *entries, size_t count)
{
	kd_tree_memo *slot = NULL;
	size_t bytes = 0;
	kd_tree_entry *copy;
	char *names, *p;

	if (prefix_len >= sizeof(slot->prefix))
		return;
	for (size_t i = 0; i < KD_TREE_MEMOS && !slot; i++)
		if (memo_is_at(&w->trees[i], prefix, prefix_len))
			slot = &w->trees[i];
	for (size_t i = 0; i < KD_TREE_MEMOS && !slot; i++)
		if (!w->trees[i].used)
			slot = &w->trees[i];
	if (!slot)
		return;
	for (size_t i = 0; i < count; i++)
		bytes += entries[i].name_len;
	copy = malloc((count ? count : 1) * sizeof(*copy));
	names = malloc(bytes ? bytes : 1);
	if (!copy || !names) {
		free(copy);
		free(names);
		return; /* the old memo stays: it is right for its own tree */
	}
	p = names;
	for (size_t i = 0; i < count; i++) {
		memcpy(p, entries[i].name, entries[i].name_len);
		copy[i] = entries[i];
		copy[i].name = p;
		p += entries[i].name_len;
	}
	free(slot->entries);
	free(slot->names);
	memcpy(slot->prefix, prefix, prefix_len);
	slot->prefix[prefix_len] = '\0';
	slot->used = 1;
	slot->oid = *oid;
	slot->entries = copy;
	slot->count = count;
	slot->names = names;
}

void kd_trees_clear(kd_writer *w)
{
	for (size_t i = 0; i < KD_TREE_MEMOS; i++) {
		free(w->trees[i].entries);
		free(w->trees[i].names);
	}
	memset(w->trees, 0, sizeof(w->trees));
}

/*
 * Writes the tree `base` (NULL: none yet) with files[0, n) upserted; their
 * paths, after `prefix_len` bytes, are relative to this tree and sorted, so
 * a subdirectory's files are contiguous.
 */
int kd_tree_write(git_oid *out, kd_writer *w, const git_oid *base, const kk_file *files, size_t n,
		  size_t prefix_len)
{
	git_tree *tree = NULL;
	const kd_tree_memo *memo = NULL;
	kd_tree_entry *entries = NULL;
	size_t count = 0, alloc = 0;
	kk_buf buf = {0};
	char mode[16];
	int mode_len = 0, unsorted = !base, error = -1;

	/* The tree the last commit wrote here, as it was kept; else read from the odb. */
	if (base && (memo = memo_find(w, files[0].path, prefix_len, base))) {
		for (size_t i = 0; i < memo->count; i++)
			if (append_entry(&entries, &count, &alloc, memo->entries[i].name,
					 memo->entries[i].name_len, memo->entries[i].mode,
					 &memo->entries[i].oid) < 0)
				goto done;
	} else if (base && git_tree_lookup(&tree, w->repo, base) < 0) {
		goto done;
	}
	/* A tree's entries are distinct already: only the files of the update are looked up. */
	for (size_t i = 0; tree && i < git_tree_entrycount(tree); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);

		if (append_entry(&entries, &count, &alloc, name, strlen(name),
				 (unsigned)git_tree_entry_filemode(e), git_tree_entry_id(e)) < 0)
			goto done;
	}
	for (size_t i = 0; i < n;) {
		const char *rel = files[i].path + prefix_len, *slash = strchr(rel, '/');
		git_oid oid;

		if (!slash) {
			/* The fileset hashed the blob already. */
			oid = files[i].oid;
			if (w->mempack->write(w->mempack, &oid, files[i].data, files[i].len,
					      GIT_OBJECT_BLOB) < 0 ||
			    kd_objects_add(&w->writes.objects, &oid, files[i].data, files[i].len,
					   GIT_OBJECT_BLOB) < 0 ||
			    upsert(&entries, &count, &alloc, rel, strlen(rel), GIT_FILEMODE_BLOB,
				   &oid, &unsorted) < 0)
				goto done;
			i++;
		} else {
			size_t dirlen = (size_t)(slash - rel), j = i;
			git_oid sub;
			int has_sub = 0;

			/* The base's subtree of that name: its entry is not upserted yet. */
			for (size_t k = 0; k < count && !has_sub; k++) {
				if (entries[k].mode == GIT_FILEMODE_TREE &&
				    entries[k].name_len == dirlen &&
				    memcmp(entries[k].name, rel, dirlen) == 0) {
					sub = entries[k].oid;
					has_sub = 1;
				}
			}
			while (j < n && strncmp(files[j].path + prefix_len, rel, dirlen + 1) == 0)
				j++;
			if (kd_tree_write(&oid, w, has_sub ? &sub : NULL, files + i, j - i,
					  prefix_len + dirlen + 1) < 0 ||
			    upsert(&entries, &count, &alloc, rel, dirlen, GIT_FILEMODE_TREE, &oid,
				   &unsorted) < 0)
				goto done;
			i = j;
		}
	}
	/* The base tree's entries are in git's order already. */
	if (unsorted)
		qsort(entries, count, sizeof(*entries), cmp_entries);
	for (size_t i = 0; i < count; i++) {
		/* "<octal mode> <name>\0<raw id>", the mode without a leading 0. */
		if (i == 0 || entries[i].mode != entries[i - 1].mode)
			mode_len = snprintf(mode, sizeof(mode), "%o ", entries[i].mode);
		kk_buf_put(&buf, mode, (size_t)mode_len);
		kk_buf_put(&buf, entries[i].name, entries[i].name_len);
		kk_buf_put(&buf, "", 1);
		kk_buf_put(&buf, (const char *)entries[i].oid.id, GIT_OID_RAWSZ);
	}
	if (!buf.failed &&
	    (error = kd_writer_put_object(w, out, buf.data, buf.len, GIT_OBJECT_TREE)) == 0)
		memo_store(w, files[0].path, prefix_len, out, entries, count);
done:
	kk_buf_clear(&buf);
	free(entries);
	git_tree_free(tree);
	return error;
}
