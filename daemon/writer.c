/*
 * writer.c - the one thread that writes the repository, and its syncer.
 *
 * Submissions queue while the writer decides the previous batch.  It then
 * takes the whole queue as the next batch: each submission is decided
 * (core/update) against the head as the batches before have left it and
 * becomes its own commit, made in memory: new objects go into a mempack in
 * front of the repository's object database.  The batch's objects then go
 * to the syncer thread, which writes them as one pack, fsyncs it, and only
 * then moves the ref by compare-and-swap and answers the batch's callers.
 * Meanwhile the writer decides the next batch on top of it, its objects in
 * a second mempack, and takes in whatever queues until the first has
 * landed; then it hands the batch over.  A batch is stored and answered
 * only after the one before it, and when one is not stored, neither is the
 * one decided on top of it.  Closing a fiscal year also makes an annotated
 * tag: its object goes into the batch's pack, and its ref is created once
 * the pack is durable, just before the branch moves.
 *
 * The writer remembers its own commits since it read the head (core/recent),
 * so that the version an update was made against is read from memory.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/ioprio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>

#include "buf.h"
#include "daemon.h"
#include "i18n.h"
#include "json.h"
#include "log.h"
#include "pack.h"
#include "patch.h"
#include "plan.h"
#include "rules.h"
#include "store.h"
#include "update.h"
#include "verify.h"
#include "writer.h"
#include "year.h"

static const char *const write_methods[] = {"item.update", "plan.submit", "item.create",
					    "plan.update", "plan.import", "year.open",
					    "year.close"};

int kd_writer_handles(const char *method)
{
	for (size_t i = 0; i < sizeof(write_methods) / sizeof(*write_methods); i++)
		if (strcmp(method, write_methods[i]) == 0)
			return 1;
	return 0;
}

/* Keeps a copy of a new object's bytes; duplicates are dropped when the pack is written. */
static int obj_list_add(obj_list *list, const git_oid *oid, const void *data, size_t len,
			git_object_t type)
{
	void *copy = malloc(len ? len : 1);

	if (!copy)
		return -1;
	if (list->count == list->alloc) {
		size_t alloc = list->alloc ? list->alloc * 2 : 256;
		kk_pack_object *grown = realloc(list->items, alloc * sizeof(*grown));

		if (!grown) {
			free(copy);
			return -1;
		}
		list->items = grown;
		list->alloc = alloc;
	}
	memcpy(copy, data, len);
	list->items[list->count++] = (kk_pack_object){type, copy, len, *oid};
	return 0;
}

static void obj_list_clear(obj_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free((void *)list->items[i].data);
	list->count = 0;
}

static int cmp_objects(const void *a, const void *b)
{
	return git_oid_cmp(&((const kk_pack_object *)a)->oid, &((const kk_pack_object *)b)->oid);
}

/* Sorts by id and drops repeats: the same content may be written twice in a batch. */
static void obj_list_dedupe(obj_list *list)
{
	size_t kept = 0;

	qsort(list->items, list->count, sizeof(*list->items), cmp_objects);
	for (size_t i = 0; i < list->count; i++) {
		if (kept && git_oid_equal(&list->items[kept - 1].oid, &list->items[i].oid))
			free((void *)list->items[i].data);
		else
			list->items[kept++] = list->items[i];
	}
	list->count = kept;
}

const char *kd_git_message(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown error";
}

json_t *kd_oid_json(const git_oid *oid)
{
	char buf[GIT_OID_HEXSZ + 1];

	return json_string(git_oid_tostr(buf, sizeof(buf), oid));
}

/* The login a commit's author e-mail names: the request-id index is per person. */
static void author_login(char *buf, size_t size, const git_signature *author)
{
	const char *at = strchr(author->email, '@');
	size_t n = at ? (size_t)(at - author->email) : strlen(author->email);

	snprintf(buf, size, "%.*s", (int)n, author->email);
}

/*
 * Indexes the Request-Id trailers of the whole history, so that a retry
 * after a restart finds its first answer.
 */
static int index_request_ids(kd_writer *w)
{
	git_revwalk *walk = NULL;
	git_oid oid;
	size_t n = 0;
	int error = 0;

	json_t *ids = json_object();

	if (!ids || git_revwalk_new(&walk, w->repo) < 0 || git_revwalk_push(walk, &w->head) < 0) {
		json_decref(ids);
		git_revwalk_free(walk);
		return -1;
	}
	while (git_revwalk_next(&oid, walk) == 0) {
		git_commit *c = NULL;
		char rid[256], login[128], key[400];

		if (git_commit_lookup(&c, w->repo, &oid) < 0) {
			error = -1;
			break;
		}
		if (kk_commit_trailer(rid, sizeof(rid), git_commit_message(c), "Request-Id")) {
			author_login(login, sizeof(login), git_commit_author(c));
			snprintf(key, sizeof(key), "%s:%s", login, rid);
			/* Walking newest first: keep the oldest, the first answer. */
			json_object_set_new(ids, key, kd_oid_json(&oid));
			n++;
		}
		git_commit_free(c);
	}
	git_revwalk_free(walk);
	if (error < 0) {
		json_decref(ids);
		return error;
	}
	/* Only a complete index replaces the one in use. */
	json_decref(w->request_ids);
	w->request_ids = ids;
	log_debug("indexed %zu request ids", n);
	return 0;
}

/*
 * Gives the repository a fresh object database: the packs on disk, and two
 * mempacks in front of them, one for the objects of the batch being made
 * and one for those of the batch in flight.  Only with no batch in flight.
 */
static int reopen_odb(kd_writer *w)
{
	git_odb *odb = NULL;
	git_odb_backend *mempacks[2] = {NULL, NULL};
	char *objects = NULL;
	int error = -1;

	if (asprintf(&objects, "%sobjects", git_repository_path(w->repo)) < 0)
		return -1;
	if (git_odb_new(&odb) < 0 || git_odb_add_disk_alternate(odb, objects) < 0)
		goto done;
	for (int i = 0; i < 2; i++) {
		git_odb_backend *mempack = NULL;

		if (git_mempack_new(&mempack) < 0)
			goto done;
		if (git_odb_add_backend(odb, mempack, 999 - i) < 0) {
			mempack->free(mempack);
			goto done;
		}
		mempacks[i] = mempack; /* owned by the odb from here on */
	}
	git_repository_set_odb(w->repo, odb);
	git_odb_free(w->odb);
	w->odb = odb;
	w->mempacks[0] = mempacks[0];
	w->mempacks[1] = mempacks[1];
	w->current = 0;
	w->mempack = mempacks[0];
	odb = NULL;
	error = 0;
done:
	git_odb_free(odb); /* and the mempacks it took */
	free(objects);
	return error;
}

/*
 * Fresh object databases for the writer and the syncer: after packs were
 * merged (to drop those that are gone), or a batch failed.  Only with
 * nothing in flight.
 */
static int reopen_odbs(kd_writer *w)
{
	git_repository *repo = NULL;

	if (reopen_odb(w) < 0 || git_repository_open_bare(&repo, git_repository_path(w->repo)) < 0)
		return -1;
	git_repository_free(w->sync_repo);
	w->sync_repo = repo;
	return 0;
}

/* Reads the head and its files; what was loaded before stays until this succeeds. */
static int load_head(kd_writer *w, char *errbuf, size_t errlen)
{
	kk_fileset files = {0};
	kk_diag diag = {0};
	git_oid head;

	if (git_reference_name_to_id(&head, w->repo, MAIN_REF) < 0) {
		snprintf(errbuf, errlen, "cannot read %s: %s", MAIN_REF, kd_git_message());
		return -1;
	}
	if (kk_store_read_all(&files, w->store, &head, &diag) < 0) {
		kk_fileset_free(&files);
		snprintf(errbuf, errlen, "cannot read the plan: %s", diag.message);
		return -1;
	}
	kk_fileset_free(&w->files);
	w->files = files;
	w->head = head;
	kk_recent_reset(&w->recent, &head);
	return 0;
}

/*
 * After a batch could not be stored, the writer's picture of the head is
 * wrong until it has read the repository again; until then it stores
 * nothing.  Returns 0 once it is in step.
 */
static int resync(kd_writer *w)
{
	char errbuf[512] = "";

	if (!w->stale)
		return 0;
	if (reopen_odbs(w) < 0 || load_head(w, errbuf, sizeof(errbuf)) < 0 ||
	    index_request_ids(w) < 0) {
		if (!errbuf[0])
			snprintf(errbuf, sizeof(errbuf), "%s", kd_git_message());
		log_warnx("cannot read the repository again: %s", errbuf);
		return -1;
	}
	w->stale = 0;
	log_info("back in step with the repository at %s", git_oid_tostr_s(&w->head));
	return 0;
}

static int open_repository(kd_writer *w, char *errbuf, size_t errlen)
{
	kk_diag diag = {0};
	struct stat st;

	if (kk_store_discover(&w->store, w->cfg->repo, &diag) < 0) {
		snprintf(errbuf, errlen, "%s", diag.message);
		return -1;
	}
	w->repo = kk_store_repository(w->store);
	if (!git_repository_is_bare(w->repo)) {
		snprintf(errbuf, errlen, "'%s' is not a bare repository", w->cfg->repo);
		return -1;
	}
	if (stat(git_repository_path(w->repo), &st) < 0) {
		snprintf(errbuf, errlen, "cannot stat '%s': %s", w->cfg->repo, strerror(errno));
		return -1;
	}
	w->owner = st.st_uid;
	if (asprintf(&w->pack_dir, "%sobjects/pack", git_repository_path(w->repo)) < 0)
		return -1;
	/* The syncer moves the refs on its own handle: a repository is one thread's. */
	if (git_repository_open_bare(&w->sync_repo, git_repository_path(w->repo)) < 0) {
		snprintf(errbuf, errlen, "cannot open '%s': %s", w->cfg->repo, kd_git_message());
		return -1;
	}
	/* New objects go to memory first; the batch's pack is what reaches the disk. */
	if (reopen_odb(w) < 0) {
		snprintf(errbuf, errlen, "cannot set up the object database: %s", kd_git_message());
		return -1;
	}
	if (load_head(w, errbuf, errlen) < 0)
		return -1;
	if (kk_verifier_new(&w->verifier) < 0 || kk_doccache_new(&w->docs, DOC_CACHE_BYTES) < 0 ||
	    !(w->request_ids = json_object())) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	kk_verifier_use_docs(w->verifier, w->docs);
	if (index_request_ids(w) < 0) {
		snprintf(errbuf, errlen, "cannot index the history: %s", kd_git_message());
		return -1;
	}
	git_oid_tostr(w->stats.head, sizeof(w->stats.head), &w->head);
	return 0;
}

/* The department named in the commit: one the author acts for among the owners. */
static const char *acting_department(kd_writer *w, const kk_identity *who, const json_t *items,
				     const kk_fileset *files)
{
	size_t i, j;
	json_t *id, *owner;

	json_array_foreach(items, i, id) {
		char path[KK_ITEM_PATH_MAX];
		const kk_file *f;
		json_t *item = NULL;
		const char *found = NULL;

		kk_item_path(path, sizeof(path), json_integer_value(id));
		if (!(f = kk_fileset_get(files, path)) ||
		    !(item = kk_doccache_parse(w->docs, f, NULL)))
			continue;
		json_array_foreach(json_object_get(item, "owners"), j, owner) {
			for (size_t k = 0; k < who->department_count && !found; k++)
				if (strcmp(who->departments[k], json_string_value(owner)) == 0)
					found = who->departments[k];
		}
		json_decref(item);
		if (found)
			return found;
	}
	return who->department_count ? who->departments[0] : NULL;
}

/*
 * New objects go straight into the mempack, already hashed: going through
 * git_odb_write() would first look for each new object in every pack and,
 * not finding it, rescan the pack directory, once per object.
 */
int kd_writer_put_object(kd_writer *w, git_oid *out, const void *data, size_t len,
			 git_object_t type)
{
	if (git_odb_hash(out, data, len, type) < 0 ||
	    w->mempack->write(w->mempack, out, data, len, type) < 0)
		return -1;
	return obj_list_add(&w->writes.objects, out, data, len, type);
}

/* Git orders a tree's entries by name, a subtree's name as if it ended in '/'. */
static int cmp_entries(const void *pa, const void *pb)
{
	const tree_entry *a = pa, *b = pb;
	size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
	int c = memcmp(a->name, b->name, n);
	unsigned char ca, cb;

	if (c)
		return c;
	ca = n < a->name_len ? (unsigned char)a->name[n] : a->mode == GIT_FILEMODE_TREE ? '/' : 0;
	cb = n < b->name_len ? (unsigned char)b->name[n] : b->mode == GIT_FILEMODE_TREE ? '/' : 0;
	return (ca > cb) - (ca < cb);
}

static int append_entry(tree_entry **entries, size_t *count, size_t *alloc, const char *name,
			size_t name_len, unsigned mode, const git_oid *oid)
{
	if (*count == *alloc) {
		size_t grown = *alloc ? *alloc * 2 : 16;
		tree_entry *e = realloc(*entries, grown * sizeof(*e));

		if (!e)
			return -1;
		*entries = e;
		*alloc = grown;
	}
	(*entries)[(*count)++] = (tree_entry){name, name_len, mode, *oid};
	return 0;
}

/*
 * Replaces the entry `name` among the first `count`, or appends it; sets
 * *unsorted when the entries may be out of git's order after that.
 */
static int upsert(tree_entry **entries, size_t *count, size_t *alloc, const char *name,
		  size_t name_len, unsigned mode, const git_oid *oid, int *unsorted)
{
	for (size_t i = 0; i < *count; i++) {
		tree_entry *e = &(*entries)[i];

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

static int memo_is_at(const tree_memo *m, const char *prefix, size_t prefix_len)
{
	return m->used && strlen(m->prefix) == prefix_len &&
	       memcmp(m->prefix, prefix, prefix_len) == 0;
}

/* The kept entries of tree `oid` at `prefix` (only there: its slot is not replaced meanwhile). */
static const tree_memo *memo_find(const kd_writer *w, const char *prefix, size_t prefix_len,
				  const git_oid *oid)
{
	for (size_t i = 0; i < TREE_MEMOS; i++)
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
		       const tree_entry *entries, size_t count)
{
	tree_memo *slot = NULL;
	size_t bytes = 0;
	tree_entry *copy;
	char *names, *p;

	if (prefix_len >= sizeof(slot->prefix))
		return;
	for (size_t i = 0; i < TREE_MEMOS && !slot; i++)
		if (memo_is_at(&w->trees[i], prefix, prefix_len))
			slot = &w->trees[i];
	for (size_t i = 0; i < TREE_MEMOS && !slot; i++)
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

static void memo_free(kd_writer *w)
{
	for (size_t i = 0; i < TREE_MEMOS; i++) {
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
static int update_tree(git_oid *out, kd_writer *w, const git_oid *base, const kk_file *files,
		       size_t n, size_t prefix_len)
{
	git_tree *tree = NULL;
	const tree_memo *memo = NULL;
	tree_entry *entries = NULL;
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
			    obj_list_add(&w->writes.objects, &oid, files[i].data, files[i].len,
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
			if (update_tree(&oid, w, has_sub ? &sub : NULL, files + i, j - i,
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
	kk_buf_free(&buf);
	free(entries);
	git_tree_free(tree);
	return error;
}

/* "author Name <email> 1700000000 +0900\n", as libgit2 writes a signature. */
static void put_signature(kk_buf *buf, const char *header, const git_signature *sig)
{
	int offset = sig->when.offset < 0 ? -sig->when.offset : sig->when.offset;
	char sign = sig->when.offset < 0 || sig->when.sign == '-' ? '-' : '+';

	kk_buf_printf(buf, "%s %s <%s> %lld %c%02d%02d\n", header, sig->name, sig->email,
		      (long long)sig->when.time, sign, offset / 60, offset % 60);
}

/* Makes the commit for an accepted submission; moves the in-memory head. */
int kd_writer_commit(kd_writer *w, kd_call *call, const kk_update_result *r, const char *reason,
		     const char *request_id, int correction, git_oid *out)
{
	git_commit *parent = NULL;
	git_signature *author = NULL, *committer = NULL;
	kk_buf buf = {0};
	char email[512], committer_email[512], hex[GIT_OID_HEXSZ + 1], *message = NULL;
	git_oid tree_id;
	int error = -1;

	if (git_commit_lookup(&parent, w->repo, &w->head) < 0 ||
	    update_tree(&tree_id, w, git_commit_tree_id(parent), r->files.files, r->files.count,
			0) < 0)
		goto done;

	message = kk_commit_message(&(kk_commit_info){
		.summary = r->summary,
		.reason = reason,
		.items = r->items,
		.files = &r->files,
		.years = r->years,
		.department = acting_department(w, &call->who, r->items, &r->files),
		.request_id = request_id,
		.correction = correction && r->corrects_closed_year,
	});
	snprintf(email, sizeof(email), "%s@%s", call->who.user, w->cfg->email_domain);
	snprintf(committer_email, sizeof(committer_email), "keikakud@%s", w->cfg->email_domain);
	if (!message || git_signature_now(&author, call->who.name, email) < 0 ||
	    git_signature_now(&committer, "keikakud", committer_email) < 0)
		goto done;
	/* As git_commit_create_buffer() writes it, without reading the new tree back. */
	kk_buf_printf(&buf, "tree %s\n", git_oid_tostr(hex, sizeof(hex), &tree_id));
	kk_buf_printf(&buf, "parent %s\n", git_oid_tostr(hex, sizeof(hex), &w->head));
	put_signature(&buf, "author", author);
	put_signature(&buf, "committer", committer);
	kk_buf_puts(&buf, "\n");
	kk_buf_puts(&buf, message);
	if (buf.failed || kd_writer_put_object(w, out, buf.data, buf.len, GIT_OBJECT_COMMIT) < 0)
		goto done;
	/* Out of memory, it forgets the older commits: their bases are then read from git. */
	kk_recent_commit(&w->recent, out, r->files.files, r->files.count, &w->files);
	for (size_t i = 0; i < r->files.count; i++) {
		if (kk_fileset_put_file(&w->files, &r->files.files[i], NULL) < 0)
			goto done;
	}
	w->head = *out;
	error = 0;
done:
	if (error < 0) {
		log_warnx("cannot commit: %s", kd_git_message());
		kk_recent_free(&w->recent); /* it may have taken note of this commit */
	}
	free(message);
	git_signature_free(author);
	git_signature_free(committer);
	kk_buf_free(&buf);
	git_commit_free(parent);
	return error;
}

static void writes_clear(batch_writes *writes)
{
	obj_list_clear(&writes->objects);
	writes->tag_count = 0;
}

static void writes_free(batch_writes *writes)
{
	obj_list_clear(&writes->objects);
	free(writes->objects.items);
	free(writes->tags);
	memset(writes, 0, sizeof(*writes));
}

int kd_writer_tag_pending(kd_writer *w, const char *name)
{
	int in_flight;

	for (size_t i = 0; i < w->writes.tag_count; i++)
		if (strcmp(w->writes.tags[i].name, name) == 0)
			return 1;
	pthread_mutex_lock(&w->lock);
	in_flight = w->flight.state == FLIGHT_SYNCING;
	pthread_mutex_unlock(&w->lock);
	/* The syncer only reads the flight's tags: so may the writer. */
	for (size_t i = 0; in_flight && i < w->flight.writes.tag_count; i++)
		if (strcmp(w->flight.writes.tags[i].name, name) == 0)
			return 1;
	return 0;
}

/*
 * The errno behind libgit2's last error, `saved` (errno right after the
 * failed call), when that error was the system's; else 0.
 */
static int git_os_errno(int saved)
{
	const git_error *e = git_error_last();

	return e && e->klass == GIT_ERROR_OS ? saved : 0;
}

/* On the syncer: removes the first `count` tag refs of the flight, which it made. */
static void remove_tags(kd_writer *w, const kd_flight *f, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		char name[sizeof(TAG_REFS) + KK_YEAR_TAG_MAX];

		snprintf(name, sizeof(name), TAG_REFS "%s", f->writes.tags[i].name);
		if (git_reference_remove(w->sync_repo, name) < 0)
			log_warnx("cannot remove %s again: %s, ignoring", name, kd_git_message());
	}
}

/*
 * On the syncer: writes the flight's objects as one pack, then creates its
 * tags' refs (which must not exist) and moves the branch from its start to
 * its head.
 */
static int make_durable(kd_writer *w, kd_flight *f)
{
	git_reference *ref = NULL;
	git_odb *odb = NULL;
	kk_diag diag = {0};
	size_t tags = 0;
	int error = -1;

	f->errnum = 0;
	obj_list_dedupe(&f->writes.objects);
	if (kk_pack_write(NULL, w->pack_dir, f->writes.objects.items, f->writes.objects.count,
			  &diag) < 0) {
		f->errnum = diag.sys_errno;
		log_warnx("cannot write pack: %s", diag.message);
		goto done;
	}
	/* The pack is durable: only now may the refs point into it. */
	if (git_repository_odb(&odb, w->sync_repo) < 0 || git_odb_refresh(odb) < 0) {
		f->errnum = git_os_errno(errno);
		log_warnx("cannot read the new pack: %s", kd_git_message());
		goto done;
	}
	/* Tags first: once the branch has the closing commit, its tag is there too. */
	for (; tags < f->writes.tag_count; tags++) {
		char name[sizeof(TAG_REFS) + KK_YEAR_TAG_MAX];

		snprintf(name, sizeof(name), TAG_REFS "%s", f->writes.tags[tags].name);
		if (git_reference_create(&ref, w->sync_repo, name, &f->writes.tags[tags].oid, 0,
					 NULL) < 0) {
			f->errnum = git_os_errno(errno);
			log_warnx("cannot create %s: %s", name, kd_git_message());
			goto done;
		}
		git_reference_free(ref);
		ref = NULL;
	}
	if (git_reference_create_matching(&ref, w->sync_repo, MAIN_REF, &f->head, 1, &f->start,
					  NULL) < 0) {
		f->errnum = git_os_errno(errno);
		log_warnx("cannot move %s: %s", MAIN_REF, kd_git_message());
		goto done;
	}
	error = 0;
done:
	if (error < 0)
		remove_tags(w, f, tags);
	git_reference_free(ref);
	git_odb_free(odb);
	return error;
}

/* Hands answered calls to the loop thread, in order. */
static void answer(kd_writer *w, kd_call *calls, kd_call *tail)
{
	pthread_mutex_lock(&w->lock);
	if (w->finished_tail)
		w->finished_tail->next = calls;
	else
		w->finished = calls;
	w->finished_tail = tail;
	pthread_mutex_unlock(&w->lock);
	uv_async_send(&w->async);
}

/*
 * Why a write failed, for the caller, in the caller's language:
 * {"errno": "ENOSPC", "cause": "No space left on device"}; NULL when the
 * cause is not the system's (it is in keikakud's log then).
 */
static json_t *cause_data(const kd_call *call, int errnum)
{
	const char *name = errnum ? strerrorname_np(errnum) : NULL;
	locale_t previous;
	char text[256];
	json_t *data;

	if (!name)
		return NULL;
	previous = kd_call_locale_begin(call);
	data = json_pack("{s:s, s:s}", "errno", name, "cause",
			 strerror_r(errnum, text, sizeof(text)));
	kd_call_locale_end(previous);
	return data;
}

/*
 * Nothing of a batch is stored: every caller gets an error, also those whose
 * answer was decided on top of it (a refusal or a dry run may describe a
 * state that is not going to exist), with the system's reason (`errnum`,
 * or 0).  A replayed answer stays: it was stored before.
 */
static void fail_calls(kd_call *calls, int errnum)
{
	for (kd_call *call = calls; call; call = call->next) {
		if (call->result && json_object_get(call->result, "replayed"))
			continue;
		json_decref(call->result);
		call->result = NULL;
		kd_call_fail(call, KD_EWRITE, cause_data(call, errnum),
			     "the update could not be stored");
	}
}

/* The last thing each of the writer's threads does: kd_writer_stop_async() waits for all. */
static void thread_exit(kd_writer *w)
{
	pthread_mutex_lock(&w->lock);
	w->threads_running--;
	pthread_mutex_unlock(&w->lock);
	uv_async_send(&w->async);
}

static void *syncer_main(void *arg)
{
	kd_writer *w = arg;
	kd_flight *f = &w->flight;

	for (;;) {
		int stored;

		pthread_mutex_lock(&w->lock);
		while (f->state != FLIGHT_SYNCING && !w->sync_stop)
			pthread_cond_wait(&w->sync_work, &w->lock);
		if (f->state != FLIGHT_SYNCING) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		pthread_mutex_unlock(&w->lock);

		if (!(stored = make_durable(w, f) == 0))
			fail_calls(f->calls, f->errnum);
		/* Answered before the writer hears of it: the next batch's answers come after. */
		answer(w, f->calls, f->tail);
		pthread_mutex_lock(&w->lock);
		f->calls = f->tail = NULL;
		f->state = stored ? FLIGHT_STORED : FLIGHT_FAILED;
		if (stored) {
			git_oid_tostr(w->stats.head, sizeof(w->stats.head), &f->head);
			w->stats.commits += f->commits;
			w->stats.batches++;
		}
		pthread_cond_signal(&w->synced);
		pthread_cond_signal(&w->cond); /* the writer may be deciding more meanwhile */
		pthread_mutex_unlock(&w->lock);
	}
	thread_exit(w);
	return NULL;
}

/*
 * Waits until the flight (if any) has landed and takes note: its objects
 * are now read from its pack, so its mempack is emptied for the batch
 * after next.  Returns 0, or -1 when it was not stored.
 */
static int settle(kd_writer *w)
{
	kd_flight *f = &w->flight;
	enum flight_state state;

	pthread_mutex_lock(&w->lock);
	while (f->state == FLIGHT_SYNCING)
		pthread_cond_wait(&w->synced, &w->lock);
	state = f->state;
	f->state = FLIGHT_IDLE;
	pthread_mutex_unlock(&w->lock);
	if (state == FLIGHT_IDLE)
		return 0;
	writes_clear(&f->writes);
	if (state == FLIGHT_FAILED) {
		w->stale = 1;
		return -1;
	}
	if (git_odb_refresh(w->odb) < 0) {
		/* Its objects are stored, but this odb cannot see them: read everything again. */
		log_warnx("cannot read the new pack: %s", kd_git_message());
		w->stale = 1;
		return 0;
	}
	git_mempack_reset(w->mempacks[f->mempack]);
	return 0;
}

/* Hands the batch just decided to the syncer; its successor goes to the other mempack. */
static void launch(kd_writer *w, kd_call *batch, kd_call *tail, const git_oid *start,
		   size_t commits)
{
	kd_flight *f = &w->flight;
	batch_writes spare = f->writes; /* emptied by settle(): reused for the next batch */

	f->calls = batch;
	f->tail = tail;
	f->writes = w->writes;
	f->start = *start;
	f->head = w->head;
	f->commits = commits;
	f->mempack = w->current;
	w->writes = spare;
	w->current = !w->current;
	w->mempack = w->mempacks[w->current];
	pthread_mutex_lock(&w->lock);
	f->state = FLIGHT_SYNCING;
	pthread_cond_signal(&w->sync_work);
	pthread_mutex_unlock(&w->lock);
}

/* Moves up to `max` calls from the queue to the list *head..*tail; under the lock. */
static void take_queued(kd_writer *w, kd_call **head, kd_call **tail, size_t max)
{
	for (size_t n = 0; w->queue && n < max; n++) {
		kd_call *call = w->queue;

		w->queue = call->next;
		call->next = NULL;
		if (*tail)
			(*tail)->next = call;
		else
			*head = call;
		*tail = call;
		w->stats.queued--;
	}
	if (!w->queue)
		w->queue_tail = NULL;
}

/* Decides one call on top of everything decided before; tells whether it made a commit. */
static int decide(kd_writer *w, kd_call *call)
{
	git_oid before = w->head;
	locale_t previous = kd_call_locale_begin(call);

	if (strncmp(call->method, "year.", 5) == 0)
		kd_methods_handle_year(w, call);
	else
		kd_methods_handle(w, call);
	kd_call_locale_end(previous);
	return !git_oid_equal(&before, &w->head);
}

/*
 * Decides every call of a batch on top of the batch in flight, and what
 * queues until that one has landed, then hands them over: a batch is
 * stored, and answered, only after the one before it.
 */
static void process_batch(kd_writer *w, kd_call *batch, kd_call *tail)
{
	git_oid start;
	size_t commits = 0, n = 0;
	int landed_badly;

	/* A batch on top of one known to have failed would fail too: read the repository again. */
	pthread_mutex_lock(&w->lock);
	landed_badly = w->flight.state == FLIGHT_FAILED;
	pthread_mutex_unlock(&w->lock);
	/* Reading the repository again, or fresh odbs, need everything landed. */
	if (w->stale || w->odb_stale_seen || landed_badly) {
		settle(w);
		if (w->odb_stale_seen && !w->stale && reopen_odbs(w) < 0) {
			log_warnx("cannot reopen the object database: %s", kd_git_message());
			w->stale = 1;
		}
		w->odb_stale_seen = 0;
	}
	if (resync(w) < 0) {
		for (kd_call *call = batch; call; call = call->next)
			kd_call_fail(
				call, KD_EWRITE, NULL,
				"the repository cannot be read at the moment; try again later");
		answer(w, batch, tail);
		return;
	}
	start = w->head;
	for (kd_call *call = batch; call; call = call->next) {
		commits += decide(w, call);
		n++;
	}
	/*
	 * While the batch before syncs, decide what queues meanwhile: the
	 * writer does not wait while there is work, and the syncer gets it
	 * all as soon as it is free.
	 */
	while (n < w->cfg->max_batch) {
		kd_call *more = NULL, *more_tail = NULL;

		pthread_mutex_lock(&w->lock);
		while (w->flight.state == FLIGHT_SYNCING && !w->queue && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->flight.state == FLIGHT_SYNCING)
			take_queued(w, &more, &more_tail, 1);
		pthread_mutex_unlock(&w->lock);
		if (!more)
			break;
		commits += decide(w, more);
		tail->next = more;
		tail = more;
		n++;
	}
	pthread_mutex_lock(&w->lock);
	kk_doccache_stats_get(w->docs, &w->stats.docs);
	pthread_mutex_unlock(&w->lock);

	if (settle(w) < 0) {
		/* This batch stands on one that is not stored: nor is it, for the same reason. */
		fail_calls(batch, w->flight.errnum);
		commits = 0;
	}
	if (commits) {
		launch(w, batch, tail, &start, commits);
		return;
	}
	/* Objects of an update given up on, if any, are of no use. */
	git_mempack_reset(w->mempack);
	writes_clear(&w->writes);
	answer(w, batch, tail);
}

static off_t pack_size(const kd_writer *w, const git_oid *pack)
{
	char path[PATH_MAX], hex[GIT_OID_HEXSZ + 1];
	struct stat st;

	snprintf(path, sizeof(path), "%s/pack-%s.pack", w->pack_dir,
		 git_oid_tostr(hex, sizeof(hex), pack));
	return stat(path, &st) == 0 ? st.st_size : 0;
}

/*
 * Keeps the number of packs bounded without rewriting everything again
 * and again: once there are more than PACKS_MAX below PACK_FINAL_SIZE
 * (the final ones, one per PACK_FINAL_SIZE of history, are left as they
 * are and not counted), the smallest packs (at
 * least PACKS_MERGE_MIN) are merged up to the first pack that is larger
 * than their total, so that an object is rewritten a few times in all.
 * (Stopping at twice their total instead rewrote every byte 4.9 times
 * over 4,200 batches where this rewrites it 2.9 times, with the same
 * bound on the pack count: a simulation of this rule.)  Runs on
 * the maintainer thread, beside the writer: a reader of an old pack that
 * vanishes misses, rescans and finds the merged one.  Old packs stay open
 * in the writer's object database, though, until it opens a fresh one.
 */
static void maintain_packs(kd_writer *w)
{
	git_oid *packs = NULL;
	size_t count = 0, small = 0, k = 0;
	off_t total = 0;
	kk_diag diag = {0};
	struct timespec t0, t1;

	if (kk_pack_list(&packs, &count, w->pack_dir, &diag) < 0) {
		log_warnx("cannot list packs: %s, ignoring", diag.message);
		return;
	}
	/* kk_pack_list gives them smallest first; final packs are not counted. */
	while (small < count && pack_size(w, &packs[small]) < PACK_FINAL_SIZE)
		small++;
	if (small > PACKS_MAX) {
		for (k = 0; k < count; k++) {
			off_t size = pack_size(w, &packs[k]);

			/*
			 * A large pack is left as it is: rewriting and syncing it would
			 * hold up the writer's own syncs for little gain.
			 */
			if ((k >= PACKS_MERGE_MIN && size > total) || size >= PACK_FINAL_SIZE)
				break;
			total += size;
		}
		if (k < 2)
			k = 2;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (kk_pack_merge(NULL, w->pack_dir, packs, k, &diag) < 0) {
			log_warnx("cannot merge packs: %s, ignoring", diag.message);
		} else {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			log_debug("merged %zu of %zu packs (%.1f MiB) in %.0f ms", k, count,
				  (double)total / (1 << 20),
				  (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
					  (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
			count -= k - 1;
			pthread_mutex_lock(&w->lock);
			w->odb_stale = 1;
			pthread_mutex_unlock(&w->lock);
		}
	}
	pthread_mutex_lock(&w->lock);
	w->stats.packs = count;
	pthread_mutex_unlock(&w->lock);
	free(packs);
}

static void *writer_main(void *arg)
{
	kd_writer *w = arg;

	for (;;) {
		kd_call *batch = NULL, *tail = NULL;

		pthread_mutex_lock(&w->lock);
		while (!w->queue && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->queue && w->stopping) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		take_queued(w, &batch, &tail, w->cfg->max_batch);
		/* Packs were merged: a fresh odb drops the old ones, once nothing is in flight. */
		w->odb_stale_seen |= w->odb_stale;
		w->odb_stale = 0;
		w->batches_since_check = 1;
		pthread_cond_signal(&w->maintain);
		pthread_mutex_unlock(&w->lock);

		process_batch(w, batch, tail);
	}
	/* Everything decided is stored (or refused) before the writer stops. */
	settle(w);
	pthread_mutex_lock(&w->lock);
	w->sync_stop = 1;
	pthread_cond_signal(&w->sync_work);
	pthread_mutex_unlock(&w->lock);
	thread_exit(w);
	return NULL;
}

static void *maintainer_main(void *arg)
{
	kd_writer *w = arg;

	/*
	 * A merge writes and syncs megabytes: its I/O waits for the syncer's,
	 * which callers are waiting for (ignored where the I/O scheduler has
	 * no priorities).  The kernel ages waiting requests, so merges finish.
	 */
	if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0,
		    IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0)) < 0)
		log_warn("cannot lower the pack maintainer's I/O priority, ignoring");
	/* Its CPU time yields to theirs as well: on 2 cores a merge otherwise delays the syncs. */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) < 0)
		log_warn("cannot lower the pack maintainer's priority, ignoring");
	for (;;) {
		pthread_mutex_lock(&w->lock);
		while (!w->batches_since_check && !w->stopping)
			pthread_cond_wait(&w->maintain, &w->lock);
		if (w->stopping) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		w->batches_since_check = 0;
		pthread_mutex_unlock(&w->lock);
		maintain_packs(w);
	}
	thread_exit(w);
	return NULL;
}

static void finish_stop(kd_writer *w);

/* Tells whether every thread of the writer has returned (joining them will not wait). */
static int stopped_all(kd_writer *w)
{
	int running;

	pthread_mutex_lock(&w->lock);
	running = w->threads_running;
	pthread_mutex_unlock(&w->lock);
	return running == 0;
}

/* On the loop thread: hands every finished call back, the whole list each time. */
static void deliver(kd_writer *w)
{
	kd_call *list;

	pthread_mutex_lock(&w->lock);
	list = w->finished;
	w->finished = w->finished_tail = NULL;
	pthread_mutex_unlock(&w->lock);
	while (list) {
		kd_call *next = list->next;

		list->next = NULL;
		w->done(list, w->done_arg);
		list = next;
	}
}

static void on_finished(uv_async_t *async)
{
	kd_writer *w = async->data;

	deliver(w);
	if (w->stopped && stopped_all(w)) {
		/* What the threads answered after the list above was taken, before they returned.
		 */
		deliver(w);
		finish_stop(w);
	}
}

static void writer_free(kd_writer *w)
{
	kk_verifier_free(w->verifier);
	kk_doccache_free(w->docs);
	json_decref(w->request_ids);
	kk_fileset_free(&w->files);
	kk_recent_free(&w->recent);
	git_odb_free(w->odb); /* also frees the mempacks it owns */
	kk_store_free(w->store);
	git_repository_free(w->sync_repo);
	memo_free(w);
	free(w->pack_dir);
	writes_free(&w->writes);
	writes_free(&w->flight.writes);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	pthread_cond_destroy(&w->maintain);
	pthread_cond_destroy(&w->sync_work);
	pthread_cond_destroy(&w->synced);
	free(w);
}

int kd_writer_start(kd_writer **out, const kd_config *cfg, uv_loop_t *loop,
		    void (*done)(kd_call *call, void *arg), void *arg, char *errbuf, size_t errlen)
{
	kd_writer *w = calloc(1, sizeof(*w));

	if (!w) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	w->cfg = cfg;
	w->loop = loop;
	w->done = done;
	w->done_arg = arg;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	pthread_cond_init(&w->maintain, NULL);
	pthread_cond_init(&w->sync_work, NULL);
	pthread_cond_init(&w->synced, NULL);
	if (open_repository(w, errbuf, errlen) < 0) {
		writer_free(w);
		return -1;
	}
	maintain_packs(w);
	if (w->odb_stale && reopen_odbs(w) < 0) {
		snprintf(errbuf, errlen, "cannot reopen the object database: %s", kd_git_message());
		writer_free(w);
		return -1;
	}
	w->odb_stale = 0;
	if (uv_async_init(loop, &w->async, on_finished) < 0) {
		snprintf(errbuf, errlen, "cannot set up the writer's wake-up");
		writer_free(w);
		return -1;
	}
	w->async.data = w;
	/* Named, for top -H and perf: the names show which thread is busy. */
	w->threads_running = 1;
	if (pthread_create(&w->syncer, NULL, syncer_main, w) != 0) {
		snprintf(errbuf, errlen, "cannot start the syncer thread");
		uv_close((uv_handle_t *)&w->async, NULL);
		return -1; /* freed with the loop's handles by the caller's shutdown */
	}
	w->syncer_started = 1;
	pthread_setname_np(w->syncer, "kk-syncer");
	pthread_mutex_lock(&w->lock);
	w->threads_running++;
	pthread_mutex_unlock(&w->lock);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		snprintf(errbuf, errlen, "cannot start the writer thread");
		pthread_mutex_lock(&w->lock);
		w->sync_stop = 1;
		pthread_cond_signal(&w->sync_work);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->syncer, NULL);
		uv_close((uv_handle_t *)&w->async, NULL);
		return -1;
	}
	w->started = 1;
	pthread_setname_np(w->thread, "kk-writer");
	pthread_mutex_lock(&w->lock);
	w->threads_running++;
	pthread_mutex_unlock(&w->lock);
	if (pthread_create(&w->maintainer, NULL, maintainer_main, w) == 0) {
		w->maintainer_started = 1;
		pthread_setname_np(w->maintainer, "kk-packs");
	} else {
		pthread_mutex_lock(&w->lock);
		w->threads_running--;
		pthread_mutex_unlock(&w->lock);
		log_warnx("cannot start the pack maintainer, ignoring: packs will not be merged");
	}
	*out = w;
	return 0;
}

void kd_writer_submit(kd_writer *w, kd_call *call)
{
	call->next = NULL;
	pthread_mutex_lock(&w->lock);
	if (w->queue_tail)
		w->queue_tail->next = call;
	else
		w->queue = call;
	w->queue_tail = call;
	w->stats.queued++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void kd_writer_stats_get(kd_writer *w, kd_writer_stats *out)
{
	pthread_mutex_lock(&w->lock);
	*out = w->stats;
	pthread_mutex_unlock(&w->lock);
}

static void on_async_closed(uv_handle_t *handle)
{
	writer_free(handle->data);
}

/* Tells the threads to finish: the writer stores what is queued, then the syncer stops. */
static void request_stop(kd_writer *w)
{
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->cond);
	pthread_cond_signal(&w->maintain);
	pthread_mutex_unlock(&w->lock);
}

static void join_threads(kd_writer *w)
{
	if (w->maintainer_started)
		pthread_join(w->maintainer, NULL);
	if (w->started)
		pthread_join(w->thread, NULL);
	/* The writer told the syncer to stop once everything had landed. */
	if (w->syncer_started)
		pthread_join(w->syncer, NULL);
	w->maintainer_started = w->started = w->syncer_started = 0;
}

/* On the loop thread, once every thread has returned: the rest of kd_writer_stop_async(). */
static void finish_stop(kd_writer *w)
{
	void (*stopped)(void *arg) = w->stopped;

	w->stopped = NULL;
	join_threads(w);
	stopped(w->stopped_arg);
	uv_close((uv_handle_t *)&w->async, on_async_closed);
}

void kd_writer_stop_async(kd_writer *w, void (*stopped)(void *arg), void *arg)
{
	w->stopped = stopped;
	w->stopped_arg = arg;
	request_stop(w);
	/* In case no thread is left to say so. */
	uv_async_send(&w->async);
}

void kd_writer_stop(kd_writer *w)
{
	request_stop(w);
	join_threads(w);
	/* Answer what the last batch finished before the handle goes. */
	deliver(w);
	uv_close((uv_handle_t *)&w->async, on_async_closed);
}
