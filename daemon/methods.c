/*
 * methods.c - the write methods on the writer thread: item.update,
 * plan.submit, item.create, plan.update, year.open and year.close.  Each
 * is decided by core (kk_update_prepare, and coowners.c for texts several
 * departments share) against the head as the batch has left it, answered
 * with its changes or refused with its reasons, and committed through
 * writer.c, which makes the batch durable.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "daemon.h"
#include "i18n.h"
#include "json.h"
#include "log.h"
#include "patch.h"
#include "plan.h"
#include "rules.h"
#include "store.h"
#include "update.h"
#include "verify.h"
#include "commit.h"
#include "coowners.h"
#include "methods.h"
#include "objects.h"
#include "signers.h"
#include "writer.h"
#include "year.h"

/* The parse of blob `oid` (file `path`), through the writer's documents: shared, read only. */
static int read_blob(json_t **out, kd_writer *w, const git_oid *oid, const char *path)
{
	git_blob *blob = NULL;

	if ((*out = kk_doccache_get(w->docs, oid)))
		return 0;
	if (git_blob_lookup(&blob, w->repo, oid) == 0)
		*out = kk_doccache_parse(w->docs,
					 &(kk_file){.path = (char *)path,
						    .data = (char *)git_blob_rawcontent(blob),
						    .len = (size_t)git_blob_rawsize(blob),
						    .oid = *oid},
					 NULL);
	git_blob_free(blob);
	return *out ? 0 : -1;
}

/*
 * Reads and parses `path` at `commit`, through the writer's documents;
 * *out is NULL when the file is absent.  *out may be shared: read it only.
 */
static int read_at(json_t **out, kd_writer *w, const git_oid *commit, const char *path)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	int error = 0;

	*out = NULL;
	if (git_commit_lookup(&c, w->repo, commit) < 0 || git_commit_tree(&tree, c) < 0)
		error = -1;
	else if (git_tree_entry_bypath(&entry, tree, path) == 0)
		error = read_blob(out, w, git_tree_entry_id(entry), path);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(c);
	return error;
}

static void add_item_id(const char *value, size_t len, void *ids)
{
	(void)len; /* a number, then the end of the line */
	json_array_append_new(ids, json_integer(strtoll(value, NULL, 10)));
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
		return kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "cannot read commit %s",
				    commit_hex);
	}
	/* Items named in the trailers, which list every one (a reason may mention others). */
	if ((ids = json_array()))
		kk_commit_trailers(git_commit_message(c), "Keikaku-Item", add_item_id, ids);
	json_array_foreach(ids, i, id) {
		char path[KK_ITEM_PATH_MAX];
		json_t *old = NULL, *new = NULL, *fields = json_array(), *f;
		size_t j;

		kk_item_path(path, sizeof(path), json_integer_value(id));
		read_at(&old, w, git_commit_parent_id(c, 0), path);
		read_at(&new, w, &oid, path);
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
				 kd_oid_json(&w->head), "changes", changes, "replayed", 1);
	json_decref(ids);
	git_commit_free(parent);
	git_commit_free(c);
	return 0;
}

/* Refuses a request with more items than a submission may hold. */
static int check_count(kd_writer *w, kd_call *call, size_t n)
{
	if (n > w->cfg->max_items)
		return kd_call_fail(call, KK_RPC_ELIMIT,
				    json_pack("{s:I}", "limit", (json_int_t)w->cfg->max_items),
				    _("a submission may hold at most %zu items"), w->cfg->max_items);
	return 0;
}

/* Refuses items[i] when an item before it has the same id. */
static int check_unique(kd_call *call, const kk_update_item *items, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (items[j].id == items[i].id)
			return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
					    "invalid params: item %lld is listed twice",
					    (long long)items[i].id);
	return 0;
}

/* Reads the base version of `path` (NULL when absent) into *out, which `keep` holds. */
static int read_base(json_t **out, kd_writer *w, kd_call *call, const git_oid *base,
		     const char *path, json_t *keep)
{
	const kk_file *f = NULL;
	git_oid blob;
	int error = 0;

	/* A recent base (the usual case) needs no walk through its trees. */
	switch (kk_recent_lookup(&w->recent, base, path, &blob)) {
	case KK_RECENT_AT_HEAD:
		f = kk_fileset_get(&w->files, path);
		*out = f ? kk_doccache_parse(w->docs, f, NULL) : NULL;
		error = f && !*out ? -1 : 0;
		break;
	case KK_RECENT_BLOB: error = read_blob(out, w, &blob, path); break;
	case KK_RECENT_ABSENT: *out = NULL; break;
	case KK_RECENT_UNKNOWN: error = read_at(out, w, base, path); break;
	}
	if (error < 0)
		return kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "cannot read the base commit");
	json_array_append_new(keep, *out ? *out : json_null());
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
			return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
					    "invalid params: 'items' must be a non-empty array");
		if (check_count(w, call, n = json_array_size(list)) < 0)
			return -1;
	}
	if (!(items = calloc(n, sizeof(*items))))
		return kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "out of memory");
	*out = items;
	*count_out = n;
	for (size_t i = 0; i < n; i++) {
		const json_t *spec = list ? json_array_get(list, i) : call->params;
		json_t *id = json_object_get(spec, "id"), *base_item = NULL;
		char path[KK_ITEM_PATH_MAX];

		if (strcmp(call->method, "item.create") == 0) {
			if (!json_is_object(item = json_object_get(spec, "item")))
				return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
						    "invalid params: 'item' must be an object");
			id = json_object_get(item, "id");
			items[i].item = item;
		} else if (!json_is_object(patch = json_object_get(spec, "patch"))) {
			return kd_call_fail(
				call, KK_RPC_EPARAMS, NULL,
				"invalid params: 'patch' must be an object (a JSON Merge "
				"Patch)");
		} else {
			items[i].patch = patch;
		}
		if (!json_is_integer(id) || json_integer_value(id) < 1 ||
		    json_integer_value(id) > KK_ITEM_ID_MAX)
			return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
					    "invalid params: 'id' must be an item id (1 to 99999)");
		items[i].id = json_integer_value(id);
		if (check_unique(call, items, i) < 0)
			return -1;
		kk_item_path(path, sizeof(path), items[i].id);
		if (base && read_base(&base_item, w, call, base, path, *keep) < 0)
			return -1;
		items[i].base_item = base_item;
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
		return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
				    "invalid params: 'files' must be an object of merge patches");
	if (!(list = calloc(json_object_size(files), sizeof(*list))))
		return kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "out of memory");
	*out = list;
	json_object_foreach((json_t *)files, path, patch) {
		json_t *doc = NULL;

		if (strcmp(path, KK_PATH_SIGNERS) == 0) {
			if (kd_signers_param(&list[n++], w, call, base, patch, keep) < 0)
				return -1;
			continue;
		}
		if (strcmp(path, KK_PATH_SETTINGS) && strcmp(path, KK_PATH_DEPARTMENTS) &&
		    strcmp(path, KK_PATH_STRUCTURE))
			return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
					    "invalid params: '%s' is not keikaku.json, "
					    "departments.json, plan.json or " KK_PATH_SIGNERS,
					    path);
		if (!json_is_object(patch))
			return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
					    "invalid params: the patch for '%s' must be an object",
					    path);
		if (read_base(&doc, w, call, base, path, keep) < 0)
			return -1;
		list[n].path = path;
		list[n].patch = patch;
		list[n].base_doc = doc;
		n++;
	}
	*count_out = n;
	return 0;
}

/*
 * The current version of `path` in the writer's head, parsed (and maybe
 * shared: read it only); NULL when absent.
 */
static json_t *head_doc(kd_writer *w, const char *path)
{
	const kk_file *f = kk_fileset_get(&w->files, path);

	return f ? kk_doccache_parse(w->docs, f, NULL) : NULL;
}

/* What plan.import sends instead of a patch: `doc` as a patch on the head's version. */
static int patch_for(const json_t **out, kd_writer *w, kd_call *call, const char *path,
		     const json_t *doc, json_t *keep)
{
	json_t *cur = head_doc(w, path), *patch = NULL;
	kk_diag diag = {0};
	int error = 0;

	if (!cur) {
		*out = doc; /* a merge patch on nothing is the document */
		return 0;
	}
	if (kk_patch_diff(&patch, cur, doc, &diag) < 0)
		error = kd_call_fail(call, KK_RPC_EPARAMS, NULL, "invalid params: '%s': %s", path,
				     diag.message);
	else if (json_array_append_new(keep, patch) < 0)
		error = kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "out of memory");
	else
		*out = patch;
	json_decref(cur);
	return error;
}

/*
 * plan.import: whole documents (the three plan files, every item) that
 * replace the plan in one commit.  Each becomes a merge patch on its
 * current version, or a creation; an item of the plan that the import
 * lacks is refused, since items are never removed.
 */
static int gather_import(kd_writer *w, kd_call *call, const git_oid *base,
			 kk_update_item **items_out, size_t *item_count, kk_update_file **files_out,
			 size_t *file_count, json_t *keep)
{
	static const char *const paths[] = {KK_PATH_SETTINGS, KK_PATH_DEPARTMENTS,
					    KK_PATH_STRUCTURE};
	const json_t *files = json_object_get(call->params, "files");
	const json_t *list = json_object_get(call->params, "items"), *item;
	json_t *violations = NULL;
	kk_update_item *items;
	kk_update_file *docs;
	size_t n, i;

	if (!json_is_object(files) || !json_is_array(list) || json_array_size(list) == 0)
		return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
				    "invalid params: 'files' must be an object of plan files and "
				    "'items' a non-empty array of items");
	if (check_count(w, call, n = json_array_size(list)) < 0)
		return -1;
	if (!(items = calloc(n, sizeof(*items))) || !(docs = calloc(3, sizeof(*docs)))) {
		free(items);
		return kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "out of memory");
	}
	*items_out = items;
	*files_out = docs;
	*item_count = n;
	*file_count = 0;
	for (i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
		const json_t *doc = json_object_get(files, paths[i]);
		json_t *base_doc = NULL;

		if (!json_is_object(doc))
			return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
					    "invalid params: 'files' must hold '%s' as an object",
					    paths[i]);
		if (read_base(&base_doc, w, call, base, paths[i], keep) < 0)
			return -1;
		docs[*file_count].path = paths[i];
		docs[*file_count].base_doc = base_doc;
		if (patch_for(&docs[*file_count].patch, w, call, paths[i], doc, keep) < 0)
			return -1;
		(*file_count)++;
	}
	json_array_foreach(list, i, item) {
		json_t *id = json_object_get(item, "id"), *base_item = NULL;
		char path[KK_ITEM_PATH_MAX];

		if (!json_is_object(item) || !json_is_integer(id) ||
		    kk_item_path(path, sizeof(path), json_integer_value(id)) < 0)
			return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
					    "invalid params: item %zu has no item id (1 to 99999)",
					    i + 1);
		items[i].id = json_integer_value(id);
		if (check_unique(call, items, i) < 0)
			return -1;
		if (kk_fileset_get(&w->files, path)) {
			if (patch_for(&items[i].patch, w, call, path, item, keep) < 0)
				return -1;
		} else {
			items[i].item = item;
		}
		if (read_base(&base_item, w, call, base, path, keep) < 0)
			return -1;
		items[i].base_item = base_item;
	}
	/* Items the import would leave out. */
	for (size_t f = 0; f < w->files.count; f++) {
		json_int_t id;
		int listed = 0;

		if (!kk_item_path_parse(&id, w->files.files[f].path))
			continue;
		for (i = 0; i < n && !listed; i++)
			listed = items[i].id == id;
		if (listed)
			continue;
		if (!violations && !(violations = json_array()))
			return kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "out of memory");
		json_array_append_new(violations,
				      json_pack("{s:I, s:s, s:s}", "item", id, "rule",
						"import-removes", "message",
						_("the plan has this item and the report does not; "
						  "an import does not remove items")));
	}
	if (violations)
		return kd_call_fail(call, KK_RPC_ERULES,
				    json_pack("{s:o}", "violations", violations), "%s",
				    _("the report lacks items of the plan"));
	return 0;
}

/* Decides `req` (kk_update_prepare) against the head; fails the call when it cannot. */
static int prepare(kk_update_result *r, kd_writer *w, kd_call *call, const kk_update_request *req)
{
	kk_diag diag = {0};

	if (kk_update_prepare(r, &w->files, req, w->verifier, &diag) < 0)
		return kd_call_fail(call,
				    diag.code == KK_ENOMEM ? KK_RPC_EINTERNAL : KK_RPC_EPARAMS,
				    NULL, "%s", diag.message);
	return 0;
}

static int refuse(kd_writer *w, kd_call *call, const kk_update_result *r)
{
	json_t *data;

	switch (r->verdict) {
	case KK_UPDATE_NOT_FOUND:
		return kd_call_fail(call, KK_RPC_ENOTFOUND, NULL,
				    strcmp(call->method, "item.create") == 0
					    ? "the item already exists"
					    : "an item to update does not exist");
	case KK_UPDATE_CONFLICT:
		data = json_deep_copy(r->conflict);
		json_object_set_new(data, "head", kd_oid_json(&w->head));
		return kd_call_fail(call, KK_RPC_ECONFLICT, data, "%s",
				    _("someone changed the same fields since your base commit"));
	case KK_UPDATE_FORBIDDEN:
		return kd_call_fail(call, KK_RPC_EFORBIDDEN,
				    json_pack("{s:O}", "violations", r->violations), "%s",
				    _("you may not make this change"));
	case KK_UPDATE_RULES:
		return kd_call_fail(call, KK_RPC_ERULES,
				    json_pack("{s:O}", "violations", r->violations), "%s",
				    _("the change breaks the plan's rules"));
	case KK_UPDATE_INVALID:
		return kd_call_fail(call, KK_RPC_EINVALID, json_pack("{s:O}", "errors", r->errors),
				    "%s", _("the result would not validate"));
	default: return 0;
	}
}

static int check_request_id(kd_call *call, const char *request_id)
{
	if (request_id &&
	    (strlen(request_id) == 0 || strlen(request_id) > 200 || strpbrk(request_id, "\r\n")))
		return kd_call_fail(
			call, KK_RPC_EPARAMS, NULL,
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
static void handle_write(kd_writer *w, kd_call *call)
{
	const char *base_hex = NULL, *reason = NULL, *request_id = NULL;
	int dry_run = 0, correction = 0;
	kk_update_item *items = NULL;
	kk_update_file *files = NULL;
	size_t item_count = 0, file_count = 0;
	json_t *keep = NULL, *departments = NULL;
	kk_update_result r = {0};
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

		/* The writer's own commits are known: reading one from a pack inflates it. */
		if (git_oid_fromstr(&base, base_hex) < 0 ||
		    (!kk_recent_has(&w->recent, &base) &&
		     git_commit_lookup(&c, w->repo, &base) < 0)) {
			kd_call_fail(call, KK_RPC_ENOTFOUND, NULL, "base commit %s does not exist",
				     base_hex);
			goto done;
		}
		git_commit_free(c);
	}
	if (strcmp(call->method, "plan.update") == 0) {
		if (!(keep = json_array()) ||
		    gather_files(w, call, &base, &files, &file_count, keep) < 0)
			goto done;
	} else if (strcmp(call->method, "plan.import") == 0) {
		if (!(keep = json_array()) || gather_import(w, call, &base, &items, &item_count,
							    &files, &file_count, keep) < 0)
			goto done;
	} else if (gather_items(w, call, base_hex ? &base : NULL, &items, &item_count, &keep) < 0) {
		goto done;
	}

	/* Rights follow departments.json as it is now, not as the client read it. */
	departments = head_doc(w, KK_PATH_DEPARTMENTS);
	kk_identity_resolve(&call->who, departments, w->owner);
	if (strcmp(call->method, "plan.import") == 0 && !call->who.admin) {
		kd_call_fail(call, KK_RPC_EFORBIDDEN, NULL, "%s",
			     _("only an admin may import a plan"));
		goto done;
	}
	if (prepare(&r, w, call,
		    &(kk_update_request){&call->who, reason, correction, items, item_count, files,
					 file_count}) < 0 ||
	    kd_coowners_check(w, call, &r) < 0)
		goto done;
	if (dry_run) {
		call->result = json_pack("{s:n, s:o, s:O, s:O, s:O}", "commit", "head",
					 kd_oid_json(&w->head), "changes", r.changes, "violations",
					 r.violations, "errors", r.errors);
		if (r.conflict)
			json_object_set(call->result, "conflict", r.conflict);
		goto done;
	}
	if (refuse(w, call, &r) < 0)
		goto done;
	if (r.files.count == 0) {
		call->result = json_pack("{s:n, s:o, s:[]}", "commit", "head",
					 kd_oid_json(&w->head), "changes");
		goto done;
	}
	if (kd_writer_commit(w, call, &r, reason, request_id, correction, &made) < 0) {
		kd_call_fail(call, KK_RPC_EWRITE, NULL, "the update could not be stored");
		goto done;
	}
	if (request_id)
		json_object_set_new(w->request_ids, key, kd_oid_json(&made));
	call->result = json_pack("{s:o, s:o, s:O}", "commit", kd_oid_json(&made), "head",
				 kd_oid_json(&made), "changes", r.changes);
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
			call, KK_RPC_EPARAMS, NULL,
			"invalid params: 'year' must be a fiscal year (2022 or \"2022\")");
	if (kk_fy_parse(out, text, settings, &diag) < 0)
		return kd_call_fail(call, KK_RPC_EPARAMS, NULL, "invalid params: %s", diag.message);
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

/* Tells whether tag `name` exists, or is about to with this batch or the one in flight. */
static int tag_exists(kd_writer *w, const char *name)
{
	char ref[sizeof(KD_TAG_REFS) + KK_YEAR_TAG_MAX];
	git_oid oid;

	if (kd_writer_tag_pending(w, name))
		return 1;
	snprintf(ref, sizeof(ref), KD_TAG_REFS "%s", name);
	return git_reference_name_to_id(&oid, w->repo, ref) == 0;
}

/*
 * Makes the annotated tag `name` of `commit` (in memory, like the commit);
 * its ref is created when the batch is made durable.
 */
static int make_tag(kd_writer *w, const char *name, const git_oid *commit,
		    const git_signature *tagger, const char *message)
{
	char hex[GIT_OID_HEXSZ + 1], *buf = NULL, *sig = NULL;
	const git_time *t = &tagger->when;
	int offset = t->offset < 0 ? -t->offset : t->offset, len, error;
	size_t sig_len = 0;
	kd_batch_tag *tag;

	if (KK_ARRAY_GROW(w->writes.tags, w->writes.tag_count + 1, w->writes.tag_alloc) < 0)
		return -1;
	tag = &w->writes.tags[w->writes.tag_count];
	len = asprintf(&buf, "object %s\ntype commit\ntag %s\ntagger %s <%s> %lld %c%02d%02d\n\n%s",
		       git_oid_tostr(hex, sizeof(hex), commit), name, tagger->name, tagger->email,
		       (long long)t->time, t->offset < 0 ? '-' : '+', offset / 60, offset % 60,
		       message);
	if (len < 0)
		return -1;
	error = kd_writer_sign(&sig, &sig_len, w, GIT_OBJECT_TAG, buf, (size_t)len);
	if (error == 0 && !sig)
		error = kd_writer_put_object(w, &tag->oid, buf, (size_t)len, GIT_OBJECT_TAG);
	else if (error == 0)
		error = kd_writer_put_object(w, &tag->oid, sig, sig_len, GIT_OBJECT_TAG);
	free(sig);
	free(buf);
	if (error < 0)
		return -1;
	snprintf(tag->name, sizeof(tag->name), "%s", name);
	w->writes.tag_count++;
	return 0;
}

/* Undoes kd_writer_commit() of a close after the tag that goes with it could not be made. */
static void uncommit(kd_writer *w, const git_oid *head, const char *settings, size_t len)
{
	w->head = *head;
	kk_recent_reset(&w->recent, head); /* the line of commits went back */
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
 * The refusals of opening or closing fiscal year `year` as a whole, added
 * to `violations`; without any, `change` gets the change to make.  Returns
 * 0, or a negative code when out of memory.
 */
static int year_violations(json_t *violations, kk_year_change *change, kd_writer *w,
			   const kd_call *call, const json_t *settings, int close, int year,
			   const char *tag)
{
	kk_diag diag = {0};
	char text[256], title[KK_FY_TITLE_MAX];
	int error;

	kk_fy_title(title, sizeof(title), settings, year);

	if (!call->who.admin) {
		snprintf(text, sizeof(text),
			 close ? _("cannot close %s: only an admin may close a fiscal year")
			       : _("cannot open %s: only an admin may open a fiscal year"),
			 title);
		return add_year_violation(violations, year, KK_RULE_ADMIN_ONLY, text);
	}
	if ((error = close ? kk_year_close(change, &w->files, year, &diag)
			   : kk_year_open(change, &w->files, year, &diag)) < 0)
		return error == KK_ENOMEM ? error
					  : add_year_violation(violations, year, KK_RULE_YEAR_STATE,
							       diag.message);
	if (close && tag_exists(w, tag)) {
		snprintf(text, sizeof(text),
			 _("cannot close %s: tag '%s' exists already"), title, tag);
		return add_year_violation(violations, year, KK_RULE_TAG_EXISTS, text);
	}
	return 0;
}

/* Answers a year change refused as a whole: a dry run's result, else the refusal. */
static int refuse_year(kd_writer *w, kd_call *call, json_t *violations, int dry_run)
{
	kk_update_result refusal = {.violations = violations};

	if (dry_run) {
		call->result = json_pack("{s:n, s:o, s:[], s:O, s:[]}", "commit", "head",
					 kd_oid_json(&w->head), "changes", "violations", violations,
					 "errors");
		return call->result ? 0 : -1;
	}
	refusal.verdict = kk_rules_forbidden(violations) ? KK_UPDATE_FORBIDDEN : KK_UPDATE_RULES;
	refuse(w, call, &refusal);
	return 0;
}

/*
 * Opens or closes a fiscal year (core/plan/year), as one commit through the
 * same decision and commit path as plan.update; closing also makes the tag.
 */
static void handle_year(kd_writer *w, kd_call *call)
{
	const char *reason = NULL, *request_id = NULL;
	int dry_run = 0, year = 0, close = strcmp(call->method, "year.close") == 0;
	json_t *settings = NULL, *departments = NULL, *violations = NULL, *keep = NULL;
	json_t *summary = NULL, *id;
	kk_year_change change = {0};
	kk_update_item *items = NULL;
	kk_update_file file = {.path = KK_PATH_SETTINGS};
	kk_update_result r = {0};
	char *saved = NULL;
	size_t saved_len = 0;
	git_signature *tagger = NULL;
	char key[512], tag[KK_YEAR_TAG_MAX] = "", email[512], *message = NULL;
	const kk_file *f;
	git_oid before = w->head, made;
	size_t i;

	settings = head_doc(w, KK_PATH_SETTINGS);
	departments = head_doc(w, KK_PATH_DEPARTMENTS);
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
	if (!(violations = json_array()) ||
	    year_violations(violations, &change, w, call, settings, close, year, tag) < 0)
		goto nomem;
	if (json_array_size(violations)) {
		if (refuse_year(w, call, violations, dry_run) < 0)
			goto nomem;
		goto done;
	}

	/* The same decision as any other write: rules, validation, canonical files. */
	if (!(keep = json_array()) ||
	    !(items = calloc(json_array_size(change.items) + 1, sizeof(*items))))
		goto nomem;
	json_array_foreach(change.items, i, id) {
		char path[KK_ITEM_PATH_MAX];
		json_t *base;

		kk_item_path(path, sizeof(path), json_integer_value(id));
		base = head_doc(w, path);
		json_array_append_new(keep, base ? base : json_null());
		items[i] = (kk_update_item){json_integer_value(id), change.item_patch, NULL, base};
	}
	file.patch = change.settings_patch;
	file.base_doc = settings;
	if (prepare(&r, w, call,
		    &(kk_update_request){&call->who, reason, 0, items,
					 json_array_size(change.items), &file, 1}) < 0)
		goto done;
	free(r.summary);
	if (!(r.summary = strdup(change.summary)) || note_year(&r, year) < 0 ||
	    !(summary = kk_year_counts_json(year, &change.counts)) ||
	    (!close && json_object_set(summary, "added", change.items) < 0) ||
	    (close && !(message = kk_year_tag_message(settings, year, &change.counts))))
		goto nomem;
	if (dry_run) {
		call->result = json_pack("{s:n, s:o, s:O, s:O, s:O, s:O}", "commit", "head",
					 kd_oid_json(&w->head), "changes", r.changes, "violations",
					 r.violations, "errors", r.errors, "summary", summary);
		goto answer;
	}
	if (refuse(w, call, &r) < 0)
		goto done;
	snprintf(email, sizeof(email), "%s@%s", call->who.user, w->cfg->email_domain);
	if (close) {
		/* What kd_writer_commit() replaces, should the tag fail after it. */
		f = kk_fileset_get(&w->files, KK_PATH_SETTINGS);
		if (!(saved = malloc(f->len + 1)) ||
		    git_signature_now(&tagger, call->who.name, email) < 0) {
			kd_call_fail(call, KK_RPC_EWRITE, NULL, "the update could not be stored");
			goto done;
		}
		memcpy(saved, f->data, f->len + 1);
		saved_len = f->len;
	}
	if (kd_writer_commit(w, call, &r, reason, request_id, 0, &made) < 0) {
		kd_call_fail(call, KK_RPC_EWRITE, NULL, "the update could not be stored");
		goto done;
	}
	if (close && make_tag(w, tag, &made, tagger, message) < 0) {
		log_warnx("cannot make tag %s: out of memory", tag);
		uncommit(w, &before, saved, saved_len);
		kd_call_fail(call, KK_RPC_EWRITE, NULL, "the update could not be stored");
		goto done;
	}
	if (request_id)
		json_object_set_new(w->request_ids, key, kd_oid_json(&made));
	call->result = json_pack("{s:o, s:o, s:O, s:O}", "commit", kd_oid_json(&made), "head",
				 kd_oid_json(&made), "changes", r.changes, "summary", summary);
	/* The tag's id, to publish: `keikaku verify --tag fyY=ID` checks a clone against it. */
	if (close && call->result &&
	    json_object_set_new(call->result, "tag_id",
				kd_oid_json(&w->writes.tags[w->writes.tag_count - 1].oid)) < 0)
		goto nomem;
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
	kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "out of memory");
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

static const kd_write_method methods[] = {
	{"item.update", handle_write}, {"plan.submit", handle_write}, {"item.create", handle_write},
	{"plan.update", handle_write}, {"plan.import", handle_write}, {"year.open", handle_year},
	{"year.close", handle_year},
};

const kd_write_method *kd_write_method_find(const char *name)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(*methods); i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}
