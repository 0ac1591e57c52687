/*
 * writer.c - the one thread that writes the repository.
 *
 * Submissions queue while the writer makes the previous batch durable.  It
 * then takes the whole queue as the next batch: each submission is decided
 * (core/update) against the head as the batch has left it and becomes its
 * own commit, but the batch's new objects go into one pack, written and
 * fsynced before the ref moves by compare-and-swap.  Only then are the
 * batch's callers answered.  New objects are made in an in-memory object
 * database (mempack) in front of the repository's, so nothing but the pack
 * and the ref ever touches the disk.  Closing a fiscal year also makes an
 * annotated tag: its object goes into the same pack, and its ref is created
 * once the pack is durable, just before the branch moves.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>

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
#include "year.h"

#define MAIN_REF "refs/heads/main"
#define TAG_REFS "refs/tags/"
/* Past this many packs, small ones are merged (after the batch is answered). */
#define PACKS_MAX 32
/* Packs this large are final: never merged again. */
#define PACK_FINAL_SIZE ((off_t)64 << 20)
/* Merge at least this many packs at a time. */
#define PACKS_MERGE_MIN 8

/* The objects a batch made, with their bytes, for its pack. */
typedef struct {
	kk_pack_object *items;
	size_t count, alloc;
} obj_list;

/* A tag a batch made (closing a fiscal year): its ref is created with the batch's. */
typedef struct {
	char name[KK_YEAR_TAG_MAX];
	git_oid oid;
} batch_tag;

struct kd_writer {
	const kd_config *cfg;
	uv_loop_t *loop;
	uv_async_t async;
	void (*done)(kd_call *call, void *arg);
	void *done_arg;
	pthread_t thread;
	int started;
	pthread_t maintainer; /* merges packs beside the writer */
	int maintainer_started;

	/* Shared with the loop thread, under `lock`. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	kd_call *queue, *queue_tail;
	kd_call *finished, *finished_tail;
	int stopping;
	int batches_since_check; /* the maintainer looks at the packs when this is set */
	int odb_stale;		 /* packs were merged: the writer reopens its odb */
	pthread_cond_t maintain;
	kd_writer_stats stats;

	/* The writer thread's own. */
	kk_store *store;
	git_repository *repo;
	git_odb *odb;
	git_odb_backend *mempack;
	git_oid head;
	kk_fileset files; /* every file of `head` */
	kk_verifier *verifier;
	uid_t owner;
	json_t *request_ids; /* "login:request_id" -> commit id */
	char *pack_dir;
	obj_list batch_objects;
	batch_tag *batch_tags;
	size_t tag_count, tag_alloc;
	int stale; /* a batch failed: the head must be read again */
};

static const char *const write_methods[] = {"item.update", "plan.submit", "item.create",
					    "plan.update", "year.open",	  "year.close"};

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

static const char *git_message(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown error";
}

/* Reads and parses `path` at `commit`; *out is NULL when the file is absent. */
static int read_at(json_t **out, git_repository *repo, const git_oid *commit, const char *path)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	int error = 0;

	*out = NULL;
	if (git_commit_lookup(&c, repo, commit) < 0 || git_commit_tree(&tree, c) < 0) {
		error = -1;
		goto done;
	}
	if (git_tree_entry_bypath(&entry, tree, path) < 0)
		goto done;
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(entry)) < 0 ||
	    kk_json_parse(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), NULL,
			  NULL) < 0)
		error = -1;
done:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(c);
	return error;
}

static json_t *hex(const git_oid *oid)
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
			json_object_set_new(ids, key, hex(&oid));
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
 * Gives the repository a fresh object database: the packs on disk, and a
 * mempack in front of them for the objects of the batch being made.
 */
static int reopen_odb(kd_writer *w)
{
	git_odb *odb = NULL;
	git_odb_backend *mempack = NULL;
	char *objects = NULL;
	int error = -1;

	if (asprintf(&objects, "%sobjects", git_repository_path(w->repo)) < 0)
		return -1;
	if (git_odb_new(&odb) < 0 || git_odb_add_disk_alternate(odb, objects) < 0 ||
	    git_mempack_new(&mempack) < 0 || git_odb_add_backend(odb, mempack, 999) < 0)
		goto done;
	git_repository_set_odb(w->repo, odb);
	git_odb_free(w->odb);
	w->odb = odb;
	w->mempack = mempack; /* owned by the odb from here on */
	odb = NULL;
	mempack = NULL;
	error = 0;
done:
	if (mempack)
		mempack->free(mempack);
	git_odb_free(odb);
	free(objects);
	return error;
}

/* Reads the head and its files; what was loaded before stays until this succeeds. */
static int load_head(kd_writer *w, char *errbuf, size_t errlen)
{
	kk_fileset files = {0};
	kk_diag diag = {0};
	git_oid head;

	if (git_reference_name_to_id(&head, w->repo, MAIN_REF) < 0) {
		snprintf(errbuf, errlen, "cannot read %s: %s", MAIN_REF, git_message());
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
	if (reopen_odb(w) < 0 || load_head(w, errbuf, sizeof(errbuf)) < 0 ||
	    index_request_ids(w) < 0) {
		if (!errbuf[0])
			snprintf(errbuf, sizeof(errbuf), "%s", git_message());
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
	/* New objects go to memory first; the batch's pack is what reaches the disk. */
	if (reopen_odb(w) < 0) {
		snprintf(errbuf, errlen, "cannot set up the object database: %s", git_message());
		return -1;
	}
	if (load_head(w, errbuf, errlen) < 0)
		return -1;
	if (kk_verifier_new(&w->verifier) < 0 || !(w->request_ids = json_object()) ||
	    index_request_ids(w) < 0) {
		snprintf(errbuf, errlen, "cannot index the history: %s", git_message());
		return -1;
	}
	git_oid_tostr(w->stats.head, sizeof(w->stats.head), &w->head);
	return 0;
}

/* The department named in the commit: one the author acts for among the owners. */
static const char *acting_department(const kk_identity *who, const json_t *items,
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
		    kk_json_parse(&item, f->data, f->len, NULL, NULL) < 0)
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
static int put_object(kd_writer *w, git_oid *out, const void *data, size_t len, git_object_t type)
{
	if (git_odb_hash(out, data, len, type) < 0 ||
	    w->mempack->write(w->mempack, out, data, len, type) < 0)
		return -1;
	return obj_list_add(&w->batch_objects, out, data, len, type);
}

typedef struct {
	const char *name;
	size_t name_len;
	unsigned mode;
	git_oid oid;
} tree_entry;

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

static int upsert(tree_entry **entries, size_t *count, size_t *alloc, const char *name,
		  size_t name_len, unsigned mode, const git_oid *oid)
{
	for (size_t i = 0; i < *count; i++) {
		if ((*entries)[i].name_len == name_len &&
		    memcmp((*entries)[i].name, name, name_len) == 0) {
			(*entries)[i].mode = mode;
			(*entries)[i].oid = *oid;
			return 0;
		}
	}
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
 * Writes the tree `base` (NULL: none yet) with files[0, n) upserted; their
 * paths, after `prefix_len` bytes, are relative to this tree and sorted, so
 * a subdirectory's files are contiguous.
 */
static int update_tree(git_oid *out, kd_writer *w, const git_oid *base, const kk_file *files,
		       size_t n, size_t prefix_len)
{
	git_tree *tree = NULL;
	tree_entry *entries = NULL;
	size_t count = 0, alloc = 0, len = 0;
	char *buf = NULL;
	FILE *f = NULL;
	int error = -1;

	if (base && git_tree_lookup(&tree, w->repo, base) < 0)
		goto done;
	for (size_t i = 0; tree && i < git_tree_entrycount(tree); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const char *name = git_tree_entry_name(e);

		if (upsert(&entries, &count, &alloc, name, strlen(name),
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
			    obj_list_add(&w->batch_objects, &oid, files[i].data, files[i].len,
					 GIT_OBJECT_BLOB) < 0 ||
			    upsert(&entries, &count, &alloc, rel, strlen(rel), GIT_FILEMODE_BLOB,
				   &oid) < 0)
				goto done;
			i++;
		} else {
			size_t dirlen = (size_t)(slash - rel), j = i;
			const git_tree_entry *sub;
			char name[256];

			snprintf(name, sizeof(name), "%.*s", (int)dirlen, rel);
			sub = tree ? git_tree_entry_byname(tree, name) : NULL;
			while (j < n && strncmp(files[j].path + prefix_len, rel, dirlen + 1) == 0)
				j++;
			if (update_tree(&oid, w,
					sub && git_tree_entry_type(sub) == GIT_OBJECT_TREE
						? git_tree_entry_id(sub)
						: NULL,
					files + i, j - i, prefix_len + dirlen + 1) < 0 ||
			    upsert(&entries, &count, &alloc, rel, dirlen, GIT_FILEMODE_TREE, &oid) <
				    0)
				goto done;
			i = j;
		}
	}
	qsort(entries, count, sizeof(*entries), cmp_entries);
	if (!(f = open_memstream(&buf, &len)))
		goto done;
	for (size_t i = 0; i < count; i++) {
		fprintf(f, "%o %.*s", entries[i].mode, (int)entries[i].name_len, entries[i].name);
		fputc('\0', f);
		fwrite(entries[i].oid.id, 1, GIT_OID_RAWSZ, f);
	}
	if (fclose(f) != 0) {
		f = NULL;
		goto done;
	}
	f = NULL;
	error = put_object(w, out, buf, len, GIT_OBJECT_TREE);
done:
	if (f)
		fclose(f);
	free(buf);
	free(entries);
	git_tree_free(tree);
	return error;
}

/* Makes the commit for an accepted submission; moves the in-memory head. */
static int commit(kd_writer *w, kd_call *call, const kk_update_result *r, const char *reason,
		  const char *request_id, int correction, git_oid *out)
{
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_signature *author = NULL, *committer = NULL;
	git_buf buf = GIT_BUF_INIT;
	char email[512], committer_email[512], *message = NULL;
	git_oid tree_id;
	int error = -1;

	if (git_commit_lookup(&parent, w->repo, &w->head) < 0 ||
	    update_tree(&tree_id, w, git_commit_tree_id(parent), r->files.files, r->files.count,
			0) < 0 ||
	    git_tree_lookup(&tree, w->repo, &tree_id) < 0)
		goto done;

	message = kk_commit_message(&(kk_commit_info){
		.summary = r->summary,
		.reason = reason,
		.items = r->items,
		.files = &r->files,
		.years = r->years,
		.department = acting_department(&call->who, r->items, &r->files),
		.request_id = request_id,
		.correction = correction && r->corrects_closed_year,
	});
	snprintf(email, sizeof(email), "%s@%s", call->who.user, w->cfg->email_domain);
	snprintf(committer_email, sizeof(committer_email), "keikakud@%s", w->cfg->email_domain);
	if (!message || git_signature_now(&author, call->who.name, email) < 0 ||
	    git_signature_now(&committer, "keikakud", committer_email) < 0 ||
	    git_commit_create_buffer(&buf, w->repo, author, committer, NULL, message, tree, 1,
				     (const git_commit **)&parent) < 0 ||
	    put_object(w, out, buf.ptr, buf.size, GIT_OBJECT_COMMIT) < 0)
		goto done;
	for (size_t i = 0; i < r->files.count; i++) {
		if (kk_fileset_put_file(&w->files, &r->files.files[i], NULL) < 0)
			goto done;
	}
	w->head = *out;
	error = 0;
done:
	if (error < 0)
		log_warnx("cannot commit: %s", git_message());
	free(message);
	git_signature_free(author);
	git_signature_free(committer);
	git_buf_dispose(&buf);
	git_tree_free(tree);
	git_commit_free(parent);
	return error;
}

/* The answer to a retried request: the commit it made and what changed in it. */
static int replay(kd_writer *w, kd_call *call, const char *commit_hex)
{
	git_commit *c = NULL, *parent = NULL;
	json_t *changes = json_array(), *ids = NULL, *id;
	git_oid oid;
	size_t i;

	if (!changes || git_oid_fromstr(&oid, commit_hex) < 0 ||
	    git_commit_lookup(&c, w->repo, &oid) < 0 || git_commit_parent(&parent, c, 0) < 0) {
		json_decref(changes);
		git_commit_free(c);
		return kd_call_fail(call, KD_EINTERNAL, NULL, "cannot read commit %s", commit_hex);
	}
	ids = json_array();
	/* Items named in the trailers; the message lists every one. */
	for (const char *p = git_commit_message(c); (p = strstr(p, "Keikaku-Item: ")) != NULL;) {
		p += strlen("Keikaku-Item: ");
		json_array_append_new(ids, json_integer(strtoll(p, NULL, 10)));
	}
	json_array_foreach(ids, i, id) {
		char path[KK_ITEM_PATH_MAX];
		json_t *old = NULL, *new = NULL, *fields = json_array(), *f;
		size_t j;

		kk_item_path(path, sizeof(path), json_integer_value(id));
		read_at(&old, w->repo, git_commit_parent_id(c, 0), path);
		read_at(&new, w->repo, &oid, path);
		kk_diff_fields(fields, old, new, NULL);
		json_array_foreach(fields, j, f) {
			json_object_set(f, "item", id);
			json_array_append(changes, f);
		}
		json_decref(fields);
		json_decref(old);
		json_decref(new);
	}
	call->result = json_pack("{s:s, s:o, s:o, s:b}", "commit", commit_hex, "head",
				 hex(&w->head), "changes", changes, "replayed", 1);
	json_decref(ids);
	git_commit_free(parent);
	git_commit_free(c);
	return 0;
}

/* Parses the items of a plan.submit or item.update into `items`; base versions read at `base`. */
static int gather_items(kd_writer *w, kd_call *call, const git_oid *base, kk_update_item **out,
			size_t *count_out, json_t **keep)
{
	const json_t *list = json_object_get(call->params, "items"), *patch, *item;
	kk_update_item *items = NULL;
	size_t n = 1;

	*keep = json_array();
	if (strcmp(call->method, "plan.submit") == 0) {
		if (!json_is_array(list) || json_array_size(list) == 0)
			return kd_call_fail(call, KD_EPARAMS, NULL,
					    "invalid params: 'items' must be a non-empty array");
		n = json_array_size(list);
		if (n > w->cfg->max_items)
			return kd_call_fail(
				call, KD_ELIMIT,
				json_pack("{s:I}", "limit", (json_int_t)w->cfg->max_items),
				"a submission may hold at most %zu items", w->cfg->max_items);
	}
	if (!(items = calloc(n, sizeof(*items))))
		return kd_call_fail(call, KD_EINTERNAL, NULL, "out of memory");
	*out = items;
	*count_out = n;
	for (size_t i = 0; i < n; i++) {
		const json_t *spec = list ? json_array_get(list, i) : call->params;
		json_t *id = json_object_get(spec, "id"), *base_item = NULL;
		char path[KK_ITEM_PATH_MAX];

		if (strcmp(call->method, "item.create") == 0) {
			if (!json_is_object(item = json_object_get(spec, "item")))
				return kd_call_fail(call, KD_EPARAMS, NULL,
						    "invalid params: 'item' must be an object");
			id = json_object_get(item, "id");
			items[i].item = item;
		} else if (!json_is_object(patch = json_object_get(spec, "patch"))) {
			return kd_call_fail(
				call, KD_EPARAMS, NULL,
				"invalid params: 'patch' must be an object (a JSON Merge "
				"Patch)");
		} else {
			items[i].patch = patch;
		}
		if (!json_is_integer(id) || json_integer_value(id) < 1 ||
		    json_integer_value(id) > KK_ITEM_ID_MAX)
			return kd_call_fail(call, KD_EPARAMS, NULL,
					    "invalid params: 'id' must be an item id (1 to 99999)");
		items[i].id = json_integer_value(id);
		for (size_t j = 0; j < i; j++)
			if (items[j].id == items[i].id)
				return kd_call_fail(call, KD_EPARAMS, NULL,
						    "invalid params: item %lld is listed twice",
						    (long long)items[i].id);
		kk_item_path(path, sizeof(path), items[i].id);
		if (base && read_at(&base_item, w->repo, base, path) < 0)
			return kd_call_fail(call, KD_EINTERNAL, NULL,
					    "cannot read the base commit");
		items[i].base_item = base_item;
		json_array_append_new(*keep, base_item ? base_item : json_null());
	}
	return 0;
}

static int gather_files(kd_writer *w, kd_call *call, const git_oid *base, kk_update_file **out,
			size_t *count_out, json_t *keep)
{
	const json_t *files = json_object_get(call->params, "files");
	kk_update_file *list;
	const char *path;
	json_t *patch;
	size_t n = 0;

	if (!json_is_object(files) || json_object_size(files) == 0)
		return kd_call_fail(call, KD_EPARAMS, NULL,
				    "invalid params: 'files' must be an object of merge patches");
	if (!(list = calloc(json_object_size(files), sizeof(*list))))
		return kd_call_fail(call, KD_EINTERNAL, NULL, "out of memory");
	*out = list;
	json_object_foreach((json_t *)files, path, patch) {
		json_t *doc = NULL;

		if (strcmp(path, KK_PATH_SETTINGS) && strcmp(path, KK_PATH_DEPARTMENTS) &&
		    strcmp(path, KK_PATH_STRUCTURE))
			return kd_call_fail(call, KD_EPARAMS, NULL,
					    "invalid params: '%s' is not keikaku.json, "
					    "departments.json or plan.json",
					    path);
		if (!json_is_object(patch))
			return kd_call_fail(call, KD_EPARAMS, NULL,
					    "invalid params: the patch for '%s' must be an object",
					    path);
		if (read_at(&doc, w->repo, base, path) < 0)
			return kd_call_fail(call, KD_EINTERNAL, NULL,
					    "cannot read the base commit");
		json_array_append_new(keep, doc ? doc : json_null());
		list[n].path = path;
		list[n].patch = patch;
		list[n].base_doc = doc;
		n++;
	}
	*count_out = n;
	return 0;
}

static int refuse(kd_writer *w, kd_call *call, const kk_update_result *r)
{
	json_t *data;

	switch (r->verdict) {
	case KK_UPDATE_NOT_FOUND:
		return kd_call_fail(call, KD_ENOTFOUND, NULL,
				    strcmp(call->method, "item.create") == 0
					    ? "the item already exists"
					    : "an item to update does not exist");
	case KK_UPDATE_CONFLICT:
		data = json_deep_copy(r->conflict);
		json_object_set_new(data, "head", hex(&w->head));
		return kd_call_fail(call, KD_ECONFLICT, data, "%s",
				    _("someone changed the same fields since your base commit"));
	case KK_UPDATE_FORBIDDEN:
		return kd_call_fail(call, KD_EFORBIDDEN,
				    json_pack("{s:O}", "violations", r->violations), "%s",
				    _("you may not make this change"));
	case KK_UPDATE_RULES:
		return kd_call_fail(call, KD_ERULES,
				    json_pack("{s:O}", "violations", r->violations), "%s",
				    _("the change breaks the plan's rules"));
	case KK_UPDATE_INVALID:
		return kd_call_fail(call, KD_EINVALID, json_pack("{s:O}", "errors", r->errors),
				    "%s", _("the result would not validate"));
	default: return 0;
	}
}

static int check_request_id(kd_call *call, const char *request_id)
{
	if (request_id &&
	    (strlen(request_id) == 0 || strlen(request_id) > 200 || strpbrk(request_id, "\r\n")))
		return kd_call_fail(
			call, KD_EPARAMS, NULL,
			"invalid params: 'request_id' must be 1 to 200 characters on one line");
	return 0;
}

/*
 * Tells whether `request_id` was answered before and, if so, answers the
 * call as then; `key` gets the request's key in the index either way.
 */
static int replayed(kd_writer *w, kd_call *call, char *key, size_t size, const char *request_id)
{
	const char *seen;

	snprintf(key, size, "%s:%s", call->who.user, request_id);
	if (!(seen = json_string_value(json_object_get(w->request_ids, key))))
		return 0;
	replay(w, call, seen);
	return 1;
}

/* Decides one submission and, when it is accepted, commits it (in memory). */
static void handle(kd_writer *w, kd_call *call)
{
	const char *base_hex = NULL, *reason = NULL, *request_id = NULL;
	int dry_run = 0, correction = 0;
	kk_update_item *items = NULL;
	kk_update_file *files = NULL;
	size_t item_count = 0, file_count = 0;
	json_t *keep = NULL, *departments = NULL;
	kk_update_result r = {0};
	kk_diag diag = {0};
	char key[512];
	git_oid base, made;
	int need_base = strcmp(call->method, "item.create") != 0;

	if (kd_param_commit(&base_hex, call, "base", need_base) < 0 ||
	    kd_param_string(&reason, call, "reason", 0) < 0 ||
	    kd_param_string(&request_id, call, "request_id", 0) < 0 ||
	    kd_param_bool(&dry_run, call, "dry_run") < 0 ||
	    kd_param_bool(&correction, call, "correction") < 0)
		goto done;
	if (check_request_id(call, request_id) < 0)
		goto done;
	if (request_id && !dry_run && replayed(w, call, key, sizeof(key), request_id))
		goto done;
	if (base_hex) {
		git_commit *c = NULL;

		if (git_oid_fromstr(&base, base_hex) < 0 ||
		    git_commit_lookup(&c, w->repo, &base) < 0) {
			kd_call_fail(call, KD_ENOTFOUND, NULL, "base commit %s does not exist",
				     base_hex);
			goto done;
		}
		git_commit_free(c);
	}
	if (strcmp(call->method, "plan.update") == 0) {
		if (!(keep = json_array()) ||
		    gather_files(w, call, &base, &files, &file_count, keep) < 0)
			goto done;
	} else if (gather_items(w, call, base_hex ? &base : NULL, &items, &item_count, &keep) < 0) {
		goto done;
	}

	/* Rights follow departments.json as it is now, not as the client read it. */
	{
		const kk_file *f = kk_fileset_get(&w->files, KK_PATH_DEPARTMENTS);

		if (f)
			kk_json_parse(&departments, f->data, f->len, NULL, NULL);
		kk_identity_resolve(&call->who, departments, w->owner);
	}
	if (kk_update_prepare(&r, &w->files,
			      &(kk_update_request){&call->who, reason, correction, items,
						   item_count, files, file_count},
			      w->verifier, &diag) < 0) {
		kd_call_fail(call, diag.code == KK_ENOMEM ? KD_EINTERNAL : KD_EPARAMS, NULL, "%s",
			     diag.message);
		goto done;
	}
	if (dry_run) {
		call->result = json_pack("{s:n, s:o, s:O, s:O, s:O}", "commit", "head",
					 hex(&w->head), "changes", r.changes, "violations",
					 r.violations, "errors", r.errors);
		if (r.conflict)
			json_object_set(call->result, "conflict", r.conflict);
		goto done;
	}
	if (refuse(w, call, &r) < 0)
		goto done;
	if (r.files.count == 0) {
		call->result =
			json_pack("{s:n, s:o, s:[]}", "commit", "head", hex(&w->head), "changes");
		goto done;
	}
	if (commit(w, call, &r, reason, request_id, correction, &made) < 0) {
		kd_call_fail(call, KD_EWRITE, NULL, "the update could not be stored");
		goto done;
	}
	if (request_id)
		json_object_set_new(w->request_ids, key, hex(&made));
	call->result = json_pack("{s:o, s:o, s:O}", "commit", hex(&made), "head", hex(&made),
				 "changes", r.changes);
done:
	kk_update_result_clear(&r);
	json_decref(departments);
	json_decref(keep);
	free(items);
	free(files);
}

/* --- year.open and year.close --- */

/* Reads the year a request names: 2022, "2022", or any spelling kk_fy_parse() knows. */
static int param_year(int *out, kd_call *call, const json_t *settings)
{
	const json_t *v = json_object_get(call->params, "year");
	char digits[16];
	const char *text;
	kk_diag diag = {0};

	if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) < 10000) {
		snprintf(digits, sizeof(digits), "%d", (int)json_integer_value(v));
		text = digits;
	} else if (json_is_string(v)) {
		text = json_string_value(v);
	} else
		return kd_call_fail(
			call, KD_EPARAMS, NULL,
			"invalid params: 'year' must be a fiscal year (2022 or \"2022\")");
	if (kk_fy_parse(out, text, settings, &diag) < 0)
		return kd_call_fail(call, KD_EPARAMS, NULL, "invalid params: %s", diag.message);
	return 0;
}

static int add_year_violation(json_t *violations, int year, const char *rule, const char *message)
{
	char path[32];

	snprintf(path, sizeof(path), "years.%d", year);
	return json_array_append_new(violations,
				     json_pack("{s:s, s:s, s:s, s:s}", "file", KK_PATH_SETTINGS,
					       "path", path, "rule", rule, "message", message));
}

/* Tells whether tag `name` exists, or is about to with this batch. */
static int tag_exists(kd_writer *w, const char *name)
{
	char ref[sizeof(TAG_REFS) + KK_YEAR_TAG_MAX];
	git_oid oid;

	for (size_t i = 0; i < w->tag_count; i++)
		if (strcmp(w->batch_tags[i].name, name) == 0)
			return 1;
	snprintf(ref, sizeof(ref), TAG_REFS "%s", name);
	return git_reference_name_to_id(&oid, w->repo, ref) == 0;
}

/*
 * Makes the annotated tag `name` of `commit` (in memory, like the commit);
 * its ref is created when the batch is made durable.
 */
static int make_tag(kd_writer *w, const char *name, const git_oid *commit,
		    const git_signature *tagger, const char *message)
{
	char hex[GIT_OID_HEXSZ + 1], *buf = NULL;
	const git_time *t = &tagger->when;
	int offset = t->offset < 0 ? -t->offset : t->offset, len;
	batch_tag *tag;

	if (w->tag_count == w->tag_alloc) {
		size_t alloc = w->tag_alloc ? w->tag_alloc * 2 : 4;
		batch_tag *grown = realloc(w->batch_tags, alloc * sizeof(*grown));

		if (!grown)
			return -1;
		w->batch_tags = grown;
		w->tag_alloc = alloc;
	}
	tag = &w->batch_tags[w->tag_count];
	len = asprintf(&buf, "object %s\ntype commit\ntag %s\ntagger %s <%s> %lld %c%02d%02d\n\n%s",
		       git_oid_tostr(hex, sizeof(hex), commit), name, tagger->name, tagger->email,
		       (long long)t->time, t->offset < 0 ? '-' : '+', offset / 60, offset % 60,
		       message);
	if (len < 0)
		return -1;
	if (put_object(w, &tag->oid, buf, (size_t)len, GIT_OBJECT_TAG) < 0) {
		free(buf);
		return -1;
	}
	free(buf);
	snprintf(tag->name, sizeof(tag->name), "%s", name);
	w->tag_count++;
	return 0;
}

/* Undoes commit() of a close after the tag that goes with it could not be made. */
static void uncommit(kd_writer *w, const git_oid *head, const char *settings, size_t len)
{
	w->head = *head;
	if (kk_fileset_put(&w->files, KK_PATH_SETTINGS, settings, len, NULL) < 0)
		w->stale = 1; /* read everything again before the next batch */
}

/* Adds `year` to the fiscal years a result's commit names, once. */
static int note_year(kk_update_result *r, int year)
{
	char key[16];
	size_t i;
	json_t *y;

	snprintf(key, sizeof(key), "%d", year);
	json_array_foreach(r->years, i, y)
		if (strcmp(json_string_value(y), key) == 0)
			return 0;
	return json_array_append_new(r->years, json_string(key));
}

/*
 * Opens or closes a fiscal year (core/year), as one commit through the
 * same decision and commit path as plan.update; closing also makes the tag.
 */
static void handle_year(kd_writer *w, kd_call *call)
{
	const char *reason = NULL, *request_id = NULL;
	int dry_run = 0, year = 0, error, close = strcmp(call->method, "year.close") == 0;
	json_t *settings = NULL, *departments = NULL, *violations = NULL, *keep = NULL;
	json_t *summary = NULL, *id;
	kk_year_change change = {0};
	kk_update_item *items = NULL;
	kk_update_file file = {KK_PATH_SETTINGS, NULL, NULL};
	kk_update_result r = {0};
	char *saved = NULL;
	size_t saved_len = 0;
	kk_diag diag = {0};
	git_signature *tagger = NULL;
	char key[512], tag[KK_YEAR_TAG_MAX] = "", email[512], *message = NULL;
	const kk_file *f;
	git_oid before = w->head, made;
	size_t i;

	if ((f = kk_fileset_get(&w->files, KK_PATH_SETTINGS)))
		kk_json_parse(&settings, f->data, f->len, NULL, NULL);
	if ((f = kk_fileset_get(&w->files, KK_PATH_DEPARTMENTS)))
		kk_json_parse(&departments, f->data, f->len, NULL, NULL);
	if (kd_param_string(&reason, call, "reason", 0) < 0 ||
	    kd_param_string(&request_id, call, "request_id", 0) < 0 ||
	    kd_param_bool(&dry_run, call, "dry_run") < 0 ||
	    check_request_id(call, request_id) < 0 || param_year(&year, call, settings) < 0)
		goto done;
	kk_year_tag_name(tag, sizeof(tag), year);
	if (request_id && !dry_run && replayed(w, call, key, sizeof(key), request_id)) {
		if (close && call->result)
			json_object_set_new(call->result, "tag", json_string(tag));
		goto done;
	}
	kk_identity_resolve(&call->who, departments, w->owner);

	/* Refusals of the year as a whole come before any item is looked at. */
	if (!(violations = json_array()))
		goto nomem;
	if (!call->who.admin) {
		char text[256];

		snprintf(text, sizeof(text),
			 close ? _("cannot close fiscal year %d: only an admin may close a fiscal "
				   "year")
			       : _("cannot open fiscal year %d: only an admin may open a fiscal "
				   "year"),
			 year);
		error = add_year_violation(violations, year, KK_RULE_ADMIN_ONLY, text);
	} else if ((error = close ? kk_year_close(&change, &w->files, year, &diag)
				  : kk_year_open(&change, &w->files, year, &diag)) < 0) {
		if (error == KK_ENOMEM)
			goto nomem;
		error = add_year_violation(violations, year, KK_RULE_YEAR_STATE, diag.message);
	} else if (close && tag_exists(w, tag)) {
		char text[256];

		snprintf(text, sizeof(text),
			 _("cannot close fiscal year %d: tag '%s' exists already"), year, tag);
		error = add_year_violation(violations, year, KK_RULE_TAG_EXISTS, text);
	}
	if (error < 0)
		goto nomem;
	if (json_array_size(violations)) {
		if (dry_run) {
			call->result = json_pack("{s:n, s:o, s:[], s:O, s:[]}", "commit", "head",
						 hex(&w->head), "changes", "violations", violations,
						 "errors");
			if (!call->result)
				goto nomem;
		} else {
			kk_update_result refusal = {.violations = violations};

			refusal.verdict = kk_rules_forbidden(violations) ? KK_UPDATE_FORBIDDEN
									 : KK_UPDATE_RULES;
			refuse(w, call, &refusal);
		}
		goto done;
	}

	/* The same decision as any other write: rules, validation, canonical files. */
	if (!(keep = json_array()) ||
	    !(items = calloc(json_array_size(change.items) + 1, sizeof(*items))))
		goto nomem;
	json_array_foreach(change.items, i, id) {
		char path[KK_ITEM_PATH_MAX];
		json_t *base = NULL;

		kk_item_path(path, sizeof(path), json_integer_value(id));
		if ((f = kk_fileset_get(&w->files, path)))
			kk_json_parse(&base, f->data, f->len, NULL, NULL);
		json_array_append_new(keep, base ? base : json_null());
		items[i] = (kk_update_item){json_integer_value(id), change.item_patch, NULL, base};
	}
	file.patch = change.settings_patch;
	file.base_doc = settings;
	if (kk_update_prepare(&r, &w->files,
			      &(kk_update_request){&call->who, reason, 0, items,
						   json_array_size(change.items), &file, 1},
			      w->verifier, &diag) < 0) {
		kd_call_fail(call, diag.code == KK_ENOMEM ? KD_EINTERNAL : KD_EPARAMS, NULL, "%s",
			     diag.message);
		goto done;
	}
	free(r.summary);
	if (!(r.summary = strdup(change.summary)) || note_year(&r, year) < 0 ||
	    !(summary = kk_year_counts_json(year, &change.counts)) ||
	    (!close && json_object_set(summary, "added", change.items) < 0) ||
	    (close && !(message = kk_year_tag_message(settings, year, &change.counts))))
		goto nomem;
	if (dry_run) {
		call->result = json_pack("{s:n, s:o, s:O, s:O, s:O, s:O}", "commit", "head",
					 hex(&w->head), "changes", r.changes, "violations",
					 r.violations, "errors", r.errors, "summary", summary);
		goto answer;
	}
	if (refuse(w, call, &r) < 0)
		goto done;
	snprintf(email, sizeof(email), "%s@%s", call->who.user, w->cfg->email_domain);
	if (close) {
		/* What commit() replaces, should the tag fail after it. */
		f = kk_fileset_get(&w->files, KK_PATH_SETTINGS);
		if (!(saved = malloc(f->len + 1)) ||
		    git_signature_now(&tagger, call->who.name, email) < 0) {
			kd_call_fail(call, KD_EWRITE, NULL, "the update could not be stored");
			goto done;
		}
		memcpy(saved, f->data, f->len + 1);
		saved_len = f->len;
	}
	if (commit(w, call, &r, reason, request_id, 0, &made) < 0) {
		kd_call_fail(call, KD_EWRITE, NULL, "the update could not be stored");
		goto done;
	}
	if (close && make_tag(w, tag, &made, tagger, message) < 0) {
		log_warnx("cannot make tag %s: out of memory", tag);
		uncommit(w, &before, saved, saved_len);
		kd_call_fail(call, KD_EWRITE, NULL, "the update could not be stored");
		goto done;
	}
	if (request_id)
		json_object_set_new(w->request_ids, key, hex(&made));
	call->result = json_pack("{s:o, s:o, s:O, s:O}", "commit", hex(&made), "head", hex(&made),
				 "changes", r.changes, "summary", summary);
answer:
	if (!call->result)
		goto nomem;
	if (close && (json_object_set_new(call->result, "tag", json_string(tag)) < 0 ||
		      json_object_set_new(call->result, "message", json_string(message)) < 0))
		goto nomem;
	goto done;
nomem:
	json_decref(call->result);
	call->result = NULL;
	kd_call_fail(call, KD_EINTERNAL, NULL, "out of memory");
done:
	git_signature_free(tagger);
	free(saved);
	free(message);
	kk_update_result_clear(&r);
	kk_year_change_clear(&change);
	json_decref(summary);
	json_decref(violations);
	json_decref(keep);
	json_decref(departments);
	json_decref(settings);
	free(items);
}

/* Removes the first `count` tag refs of the batch, which it made. */
static void remove_tags(kd_writer *w, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		char name[sizeof(TAG_REFS) + KK_YEAR_TAG_MAX];

		snprintf(name, sizeof(name), TAG_REFS "%s", w->batch_tags[i].name);
		if (git_reference_remove(w->repo, name) < 0)
			log_warnx("cannot remove %s again: %s, ignoring", name, git_message());
	}
}

/*
 * Writes the batch's objects as one pack, then creates its tags' refs
 * (which must not exist) and moves the branch from `from` to the head.
 */
static int make_durable(kd_writer *w, const git_oid *from)
{
	git_reference *ref = NULL;
	kk_diag diag = {0};
	size_t tags = 0;
	int error = -1;

	obj_list_dedupe(&w->batch_objects);
	if (kk_pack_write(NULL, w->pack_dir, w->batch_objects.items, w->batch_objects.count,
			  &diag) < 0) {
		log_warnx("cannot write pack: %s", diag.message);
		goto done;
	}
	/* The pack is durable: only now may the refs point into it. */
	if (git_odb_refresh(w->odb) < 0) {
		log_warnx("cannot read the new pack: %s", git_message());
		goto done;
	}
	/* Tags first: once the branch has the closing commit, its tag is there too. */
	for (; tags < w->tag_count; tags++) {
		char name[sizeof(TAG_REFS) + KK_YEAR_TAG_MAX];

		snprintf(name, sizeof(name), TAG_REFS "%s", w->batch_tags[tags].name);
		if (git_reference_create(&ref, w->repo, name, &w->batch_tags[tags].oid, 0, NULL) <
		    0) {
			log_warnx("cannot create %s: %s", name, git_message());
			goto done;
		}
		git_reference_free(ref);
		ref = NULL;
	}
	if (git_reference_create_matching(&ref, w->repo, MAIN_REF, &w->head, 1, from, NULL) < 0) {
		log_warnx("cannot move %s: %s", MAIN_REF, git_message());
		goto done;
	}
	error = 0;
done:
	if (error < 0)
		remove_tags(w, tags);
	git_reference_free(ref);
	return error;
}

static void process_batch(kd_writer *w, kd_call *batch)
{
	git_oid start;
	size_t commits = 0;
	int stored = 1;

	if (resync(w) < 0) {
		for (kd_call *call = batch; call; call = call->next)
			kd_call_fail(
				call, KD_EWRITE, NULL,
				"the repository cannot be read at the moment; try again later");
		return;
	}
	start = w->head;

	obj_list_clear(&w->batch_objects);
	w->tag_count = 0;
	for (kd_call *call = batch; call; call = call->next) {
		git_oid before = w->head;
		locale_t previous = kd_call_locale_begin(call);

		if (strncmp(call->method, "year.", 5) == 0)
			handle_year(w, call);
		else
			handle(w, call);
		kd_call_locale_end(previous);
		commits += !git_oid_equal(&before, &w->head);
	}
	if (commits && make_durable(w, &start) < 0) {
		stored = 0;
		/* Nothing of this batch is stored: tell every caller whose commit it held. */
		for (kd_call *call = batch; call; call = call->next) {
			if (call->result &&
			    !json_is_null(json_object_get(call->result, "commit")) &&
			    !json_object_get(call->result, "replayed")) {
				json_decref(call->result);
				call->result = NULL;
				kd_call_fail(call, KD_EWRITE, NULL,
					     "the update could not be stored");
			}
		}
		w->head = start;
		w->stale = 1;
	}
	git_mempack_reset(w->mempack);
	obj_list_clear(&w->batch_objects);
	w->tag_count = 0;
	if (w->stale)
		resync(w); /* now, if it can: else before the next batch */
	pthread_mutex_lock(&w->lock);
	git_oid_tostr(w->stats.head, sizeof(w->stats.head), &w->head);
	if (commits && stored) {
		w->stats.commits += commits;
		w->stats.batches++;
	}
	pthread_mutex_unlock(&w->lock);
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
 * and again: once there are more than PACKS_MAX, the smallest packs are
 * merged up to the first pack that is more than twice their total, so
 * that an object is rewritten about log2(updates) times in all.  Runs on
 * the maintainer thread, beside the writer: a reader of an old pack that
 * vanishes misses, rescans and finds the merged one.  Old packs stay open
 * in the writer's object database, though, until it opens a fresh one.
 */
static void maintain_packs(kd_writer *w)
{
	git_oid *packs = NULL;
	size_t count = 0, k = 0;
	off_t total = 0;
	kk_diag diag = {0};

	if (kk_pack_list(&packs, &count, w->pack_dir, &diag) < 0) {
		log_warnx("cannot list packs: %s, ignoring", diag.message);
		return;
	}
	if (count > PACKS_MAX) {
		/* kk_pack_list gives them smallest first. */
		for (k = 0; k < count; k++) {
			off_t size = pack_size(w, &packs[k]);

			/*
			 * A large pack is left as it is: rewriting and syncing it would
			 * hold up the writer's own syncs for little gain.
			 */
			if ((k >= PACKS_MERGE_MIN && size > 2 * total) || size >= PACK_FINAL_SIZE)
				break;
			total += size;
		}
		if (k < 2)
			k = 2;
		if (kk_pack_merge(NULL, w->pack_dir, packs, k, &diag) < 0) {
			log_warnx("cannot merge packs: %s, ignoring", diag.message);
		} else {
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
		size_t n = 0;

		pthread_mutex_lock(&w->lock);
		while (!w->queue && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->queue && w->stopping) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		while (w->queue && n < w->cfg->max_batch) {
			kd_call *call = w->queue;

			w->queue = call->next;
			call->next = NULL;
			if (tail)
				tail->next = call;
			else
				batch = call;
			tail = call;
			n++;
		}
		if (!w->queue)
			w->queue_tail = NULL;
		w->stats.queued -= n;
		pthread_mutex_unlock(&w->lock);

		process_batch(w, batch);

		pthread_mutex_lock(&w->lock);
		if (w->finished_tail)
			w->finished_tail->next = batch;
		else
			w->finished = batch;
		w->finished_tail = tail;
		pthread_mutex_unlock(&w->lock);
		uv_async_send(&w->async);

		pthread_mutex_lock(&w->lock);
		w->batches_since_check = 1;
		pthread_cond_signal(&w->maintain);
		if (w->odb_stale) {
			w->odb_stale = 0;
			pthread_mutex_unlock(&w->lock);
			if (reopen_odb(w) < 0)
				log_warnx("cannot reopen the object database: %s, ignoring",
					  git_message());
		} else {
			pthread_mutex_unlock(&w->lock);
		}
	}
	return NULL;
}

static void *maintainer_main(void *arg)
{
	kd_writer *w = arg;

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
	return NULL;
}

/* On the loop thread: hand every finished call back, the whole list each time. */
static void on_finished(uv_async_t *async)
{
	kd_writer *w = async->data;
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

static void writer_free(kd_writer *w)
{
	kk_verifier_free(w->verifier);
	json_decref(w->request_ids);
	kk_fileset_free(&w->files);
	git_odb_free(w->odb); /* also frees the mempack backend it owns */
	kk_store_free(w->store);
	free(w->pack_dir);
	obj_list_clear(&w->batch_objects);
	free(w->batch_objects.items);
	free(w->batch_tags);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	pthread_cond_destroy(&w->maintain);
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
	if (open_repository(w, errbuf, errlen) < 0) {
		writer_free(w);
		return -1;
	}
	maintain_packs(w);
	if (w->odb_stale && reopen_odb(w) < 0) {
		snprintf(errbuf, errlen, "cannot reopen the object database: %s", git_message());
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
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		snprintf(errbuf, errlen, "cannot start the writer thread");
		uv_close((uv_handle_t *)&w->async, NULL);
		return -1; /* freed with the loop's handles by the caller's shutdown */
	}
	w->started = 1;
	if (pthread_create(&w->maintainer, NULL, maintainer_main, w) == 0)
		w->maintainer_started = 1;
	else
		log_warnx("cannot start the pack maintainer, ignoring: packs will not be merged");
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

void kd_writer_stop(kd_writer *w)
{
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->cond);
	pthread_cond_signal(&w->maintain);
	pthread_mutex_unlock(&w->lock);
	if (w->maintainer_started)
		pthread_join(w->maintainer, NULL);
	if (w->started)
		pthread_join(w->thread, NULL);
	/* Answer what the last batch finished before the handle goes. */
	on_finished(&w->async);
	uv_close((uv_handle_t *)&w->async, on_async_closed);
}
