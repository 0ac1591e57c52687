/*
 * update.c - a submission turned into new plan files or refused (update.h):
 * merge patches applied to the current versions, conflicts against the
 * base, the rules, validation, and the commit's summary and trailers.
 */
#include "update.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "canon.h"
#include "i18n.h"
#include "json.h"
#include "keytext.h"
#include "patch.h"
#include "plan.h"
#include "rules.h"

/* Summaries quote schedules; long ones are cut to this many characters. */
#define SUMMARY_VALUE_MAX 24

void kk_update_result_clear(kk_update_result *r)
{
	if (!r)
		return;
	json_decref(r->changes);
	json_decref(r->violations);
	json_decref(r->errors);
	json_decref(r->conflict);
	json_decref(r->items);
	json_decref(r->years);
	kk_fileset_clear(&r->files);
	free(r->summary);
	memset(r, 0, sizeof(*r));
}

/*
 * Parses file `path` of `set` through the verifier's documents into *out,
 * NULL when it is absent or broken.  The document may be shared: it is
 * read, never modified.  Fails only with KK_ENOMEM: running out of memory
 * is not a missing file (an item "not found", a year not open).
 */
static int parse_file(json_t **out, kk_verifier *verifier, const kk_fileset *set, const char *path)
{
	const kk_file *f = kk_fileset_get(set, path);
	kk_diag why = {0};

	*out = f ? kk_doccache_parse(kk_verifier_docs(verifier), f, &why) : NULL;
	return !*out && why.code == KK_ENOMEM ? KK_ENOMEM : 0;
}

/* Tags each change with its item or file and moves it to the result. */
static int collect_changes(kk_update_result *out, json_t *changes, const char *key, json_t *owner)
{
	size_t i;
	json_t *c;

	json_array_foreach(changes, i, c) {
		if (json_object_set(c, key, owner) < 0 || json_array_append(out->changes, c) < 0)
			return KK_ENOMEM;
	}
	return 0;
}

/* Adds the fiscal year of a change path ("years.2021.progress") to out->years. */
static int note_year(kk_update_result *out, const char *path)
{
	char year[8];
	size_t i;
	json_t *y;

	if (strncmp(path, "years.", 6) != 0 || strlen(path) < 10)
		return 0;
	memcpy(year, path + 6, 4);
	year[4] = '\0';
	json_array_foreach(out->years, i, y) {
		int c = strcmp(json_string_value(y), year);

		if (c == 0)
			return 0;
		if (c > 0)
			return json_array_insert_new(out->years, i, json_string(year)) < 0
				       ? KK_ENOMEM
				       : 0;
	}
	return json_array_append_new(out->years, json_string(year)) < 0 ? KK_ENOMEM : 0;
}

/* Adds item `id` to out->items, which are listed ascending whatever the request's order. */
static int note_item(kk_update_result *out, json_t *id)
{
	size_t i;
	json_t *v;

	json_array_foreach(out->items, i, v) {
		if (json_integer_value(v) > json_integer_value(id))
			return json_array_insert(out->items, i, id) < 0 ? KK_ENOMEM : 0;
	}
	return json_array_append(out->items, id) < 0 ? KK_ENOMEM : 0;
}

/* Writes `doc` canonically (key order from the head's schema) into out->files. */
static int stage(kk_update_result *out, kk_verifier *verifier, const kk_fileset *head,
		 const char *path, json_t *doc, kk_diag *diag)
{
	const json_t *schema = NULL;
	char *bytes = NULL;
	size_t len = 0;
	bool same = false;
	kk_diag why = {0}; /* not `diag`: it may be NULL, and this is no failure of ours */
	int error;

	/* Without its schema the file would be written in another key order. */
	if ((error = kk_verifier_schema_doc(&schema, verifier, head, kk_plan_schema_for(path),
					    diag)) < 0)
		return error;
	if ((error = kk_canon_dump_same(&bytes, &len, &same, doc, schema, &why)) == 0) {
		error = kk_fileset_put(&out->files, path, bytes, len, diag);
		/* The checks of this update read these bytes next: they need no parse. */
		if (error == 0 && same)
			kk_doccache_keep(kk_verifier_docs(verifier),
					 kk_fileset_get(&out->files, path), doc);
	} else if (error == KK_EINVALID) {
		/* Text that cannot be stored at all (not UTF-8): the submitter's error. */
		error = json_array_append_new(out->errors,
					      json_pack("{s:s, s:s, s:s}", "file", path, "pointer",
							why.pointer, "message", why.message)) < 0
				? KK_ENOMEM
				: 0;
	} else if (diag)
		*diag = why;
	free(bytes);
	return error;
}

static int add_conflict(kk_update_result *out, json_t *fields, const char *key, json_t *owner,
			const json_t *current)
{
	size_t i;
	json_t *f;

	if (!out->conflict && !(out->conflict = json_pack("{s:[], s:[]}", "fields", "current")))
		return KK_ENOMEM;
	json_array_foreach(fields, i, f) {
		if (json_array_append_new(json_object_get(out->conflict, "fields"),
					  json_pack("{s:O, s:O}", key, owner, "path", f)) < 0)
			return KK_ENOMEM;
	}
	if (!current)
		return 0;
	/* A copy: `current` may be a shared document, and the answer goes to another thread. */
	if (strcmp(key, "file") == 0) {
		json_t *files = json_object_get(out->conflict, "current_files");

		if (!files &&
		    json_object_set_new(out->conflict, "current_files", files = json_object()) < 0)
			return KK_ENOMEM;
		return json_object_set_new(files, json_string_value(owner),
					   json_deep_copy(current)) < 0
			       ? KK_ENOMEM
			       : 0;
	}
	if (json_array_append_new(json_object_get(out->conflict, "current"),
				  json_deep_copy(current)) < 0)
		return KK_ENOMEM;
	return 0;
}

/* Reports field `name` of `file` at `pointer` as unknown, naming the field meant. */
static int unknown_field(kk_update_result *out, const char *file, const char *pointer,
			 const char *name, int in_year)
{
	const char *meant = kk_key_nearest(name, in_year ? kk_year_fields : kk_item_fields,
					   in_year ? kk_year_field_count : kk_item_field_count);
	const char *elsewhere =
		meant ? NULL
		      : kk_key_nearest(name, in_year ? kk_item_fields : kk_year_fields,
				       in_year ? kk_item_field_count : kk_year_field_count);
	char message[KK_DIAG_MESSAGE_MAX];

	if (meant)
		snprintf(message, sizeof(message), _("unknown field '%s' (did you mean '%s'?)"),
			 name, meant);
	else if (elsewhere && !in_year)
		snprintf(message, sizeof(message),
			 _("unknown field '%s' (did you mean '%s', a field of a fiscal year under "
			   "'years'?)"),
			 name, elsewhere);
	else if (elsewhere)
		snprintf(message, sizeof(message),
			 _("unknown field '%s' (did you mean '%s', a field of the item?)"), name,
			 elsewhere);
	else
		snprintf(message, sizeof(message), _("unknown field '%s'"), name);
	return json_array_append_new(out->errors, json_pack("{s:s, s:s, s:s}", "file", file,
							    "pointer", pointer, "message",
							    message)) < 0
		       ? KK_ENOMEM
		       : 1;
}

/* Replaces `key` of `o` by the code `code` when it is a string that names one. */
static int to_code(json_t *o, const char *key, const char *(*code_of)(const char *))
{
	const char *text = json_string_value(json_object_get(o, key)), *code;

	if (!text || !(code = code_of(text)) || strcmp(code, text) == 0)
		return 0;
	return json_object_set_new(o, key, json_string(code)) < 0 ? KK_ENOMEM : 0;
}

/*
 * An item's patch (or a whole item) as the plan stores it: fiscal years
 * named as a person names them ("R3", "令和３年度") become "2021"; marks and
 * the report's words (〇, ◎, 導入完了, 取下げ, —) become codes; everything
 * else, free text above all, is left as written.  A field the item does not
 * have is reported in out->errors ("did you mean"), rather than later as a
 * change no one may make.  Returns 0, 1 when a field was reported, or
 * KK_ENOMEM; *out is a new reference on success.
 */
static int item_patch(json_t **out_patch, kk_update_result *out, const char *file,
		      const json_t *patch, const json_t *settings)
{
	json_t *p = json_deep_copy(patch), *years, *y;
	const char *key;
	void *tmp;
	char pointer[KK_DIAG_POINTER_MAX];
	int error = 0, bad = 0;

	if (!p)
		return KK_ENOMEM;
	if (!json_is_object(p)) { /* kk_patch_apply says what is wrong with it */
		*out_patch = p;
		return 0;
	}
	json_object_foreach_safe(p, tmp, key, y) {
		int known = 0;

		for (size_t i = 0; i < kk_item_field_count; i++)
			known |= strcmp(key, kk_item_fields[i]) == 0;
		if (!known) {
			snprintf(pointer, sizeof(pointer), "/%s", key);
			if ((error = unknown_field(out, file, pointer, key, 0)) < 0)
				goto fail;
			bad = 1;
		}
	}
	if ((error = to_code(p, "status", kk_achievement_from_label)) < 0)
		goto fail;
	years = json_object_get(p, "years");
	json_object_foreach_safe(json_is_object(years) ? years : NULL, tmp, key, y) {
		const char *field;
		json_t *v;
		void *tmp2;
		int year;

		if (!(strlen(key) == 4 && strspn(key, "0123456789") == 4) &&
		    kk_fy_parse(&year, key, settings, NULL) == 0) {
			char name[16];

			snprintf(name, sizeof(name), "%d", year);
			/*
			 * A patch made by diffing a file where the person renamed "2021"
			 * to "R3" removes the one and adds the other: the same year.
			 */
			if (json_object_get(years, name) && !json_is_null(json_object_get(years, name))) {
				snprintf(pointer, sizeof(pointer), "/years/%s", key);
				if (json_array_append_new(
					    out->errors,
					    json_pack("{s:s, s:s, s:s}", "file", file, "pointer",
						      pointer, "message",
						      _("the same fiscal year is named twice"))) < 0) {
					error = KK_ENOMEM;
					goto fail;
				}
				bad = 1;
				continue;
			}
			if (json_object_set(years, name, y) < 0 || json_object_del(years, key) < 0) {
				error = KK_ENOMEM;
				goto fail;
			}
			y = json_object_get(years, name);
			key = name;
		}
		json_object_foreach_safe(json_is_object(y) ? y : NULL, tmp2, field, v) {
			int known = 0;

			for (size_t i = 0; i < kk_year_field_count; i++)
				known |= strcmp(field, kk_year_fields[i]) == 0;
			if (!known) {
				snprintf(pointer, sizeof(pointer), "/years/%s/%s", key, field);
				if ((error = unknown_field(out, file, pointer, field, 1)) < 0)
					goto fail;
				bad = 1;
			}
		}
		if (json_is_object(y) && ((error = to_code(y, "progress", kk_progress_from_mark)) < 0 ||
					  (error = to_code(y, "achievement",
							   kk_achievement_from_label)) < 0))
			goto fail;
	}
	if (bad) {
		json_decref(p);
		return 1;
	}
	*out_patch = p;
	return 0;
fail:
	json_decref(p);
	return error;
}

static int prepare_item(kk_update_result *out, kk_verifier *verifier, const kk_fileset *head,
			const kk_update_request *req, const kk_update_item *it,
			const kk_change_ctx *ctx, int *not_found, kk_diag *diag)
{
	char path[KK_ITEM_PATH_MAX];
	json_t *cur = NULL, *next = NULL, *changes = NULL, *fields = NULL, *id = NULL, *patch = NULL;
	size_t i;
	json_t *c;
	int error;

	(void)req;
	if (kk_item_path(path, sizeof(path), it->id) < 0)
		return kk_diag_set(diag, KK_EINVALID, _("'%lld' is not an item id"),
				   (long long)it->id);
	if ((error = item_patch(&patch, out, path, it->patch ? it->patch : it->item,
				ctx->settings)) != 0)
		return error < 0 ? kk_diag_set(diag, KK_ENOMEM, "%s", _("out of memory")) : 0;
	if (parse_file(&cur, verifier, head, path) < 0 || !(changes = json_array()) ||
	    !(fields = json_array()) || !(id = json_integer(it->id))) {
		error = KK_ENOMEM;
		goto done;
	}
	if (it->patch) {
		if (!cur) {
			*not_found = 1;
			error = 0;
			goto done;
		}
		if ((error = kk_patch_conflicts(fields, it->base_item, cur, patch)) < 0)
			goto done;
		if (error > 0 && (error = add_conflict(out, fields, "item", id, cur)) < 0)
			goto done;
		if ((error = kk_patch_apply(&next, cur, patch, diag)) < 0)
			goto done;
	} else {
		if (cur) {
			*not_found = 1;
			error = 0;
			goto done;
		}
		/* A copy (item_patch's): the document may be kept for later readers. */
		next = json_incref(patch);
	}
	if ((error = kk_diff_fields(changes, cur, next, NULL)) < 0)
		goto done;
	if (error == 0)
		goto done; /* nothing changes */
	json_array_foreach(changes, i, c) {
		if ((error = note_year(out, json_string_value(json_object_get(c, "path")))) < 0)
			goto done;
	}
	if ((error = collect_changes(out, changes, "item", id)) < 0 ||
	    (error = kk_rules_check_item(out->violations, ctx, cur, next)) < 0 ||
	    (error = stage(out, verifier, head, path, next, diag)) < 0)
		goto done;
	error = note_item(out, id);
done:
	json_decref(patch);
	json_decref(cur);
	json_decref(next);
	json_decref(changes);
	json_decref(fields);
	json_decref(id);
	return error == KK_ENOMEM ? kk_diag_set(diag, KK_ENOMEM, "%s", _("out of memory")) : error;
}

static int prepare_file(kk_update_result *out, kk_verifier *verifier, const kk_fileset *head,
			const kk_update_file *uf, const kk_change_ctx *ctx, kk_diag *diag)
{
	json_t *cur = NULL, *next = NULL, *changes = NULL, *fields = NULL;
	json_t *name = json_string(uf->path);
	int error;

	if (parse_file(&cur, verifier, head, uf->path) < 0 || !(changes = json_array()) ||
	    !(fields = json_array()) || !name) {
		error = KK_ENOMEM;
		goto done;
	}
	if ((error = kk_patch_conflicts(fields, uf->base_doc, cur, uf->patch)) < 0)
		goto done;
	if (error > 0 && (error = add_conflict(out, fields, "file", name, cur)) < 0)
		goto done;
	if ((error = kk_patch_apply(&next, cur, uf->patch, diag)) < 0)
		goto done;
	if ((error = kk_diff_fields(changes, cur, next, NULL)) <= 0)
		goto done;
	/* A change to a year's state in keikaku.json is a change to that year. */
	if (strcmp(uf->path, KK_PATH_SETTINGS) == 0) {
		size_t i;
		json_t *c;

		json_array_foreach(changes, i, c) {
			if ((error = note_year(out,
					       json_string_value(json_object_get(c, "path")))) < 0)
				goto done;
		}
	}
	if ((error = collect_changes(out, changes, "file", name)) < 0 ||
	    (error = kk_rules_check_file(out->violations, ctx, uf->path, cur, next)) < 0)
		goto done;
	error = stage(out, verifier, head, uf->path, next, diag);
done:
	json_decref(cur);
	json_decref(next);
	json_decref(changes);
	json_decref(fields);
	json_decref(name);
	return error == KK_ENOMEM ? kk_diag_set(diag, KK_ENOMEM, "%s", _("out of memory")) : error;
}

/*
 * The allowed signers file (KK_PATH_SIGNERS): text, not JSON.  Its whole
 * new text replaces it; a submitter who read another version than the
 * head's is in conflict; only an admin changes it, with a reason
 * (rules.h); validate() has the verifier's text check read it.
 */
static int prepare_text_file(kk_update_result *out, const kk_fileset *head,
			     const kk_update_file *uf, const kk_change_ctx *ctx, kk_diag *diag)
{
	const kk_file *f = kk_fileset_get(head, uf->path);
	json_t *cur = f ? json_stringn(f->data, f->len) : json_null();
	json_t *name = json_string(uf->path), *fields = json_array(), *change = NULL;
	size_t len = strlen(uf->text);
	int error = KK_ENOMEM;

	if (!cur || !name || !fields)
		goto done;
	/* The file as read (absent: NULL) against the head's: another version is a conflict. */
	if ((uf->base_text ? !f || strlen(uf->base_text) != f->len ||
				     memcmp(uf->base_text, f->data, f->len) != 0
			   : f != NULL) &&
	    (json_array_append_new(fields, json_string("")) < 0 ||
	     (error = add_conflict(out, fields, "file", name, cur)) < 0))
		goto done;
	error = 0;
	if (f && f->len == len && memcmp(f->data, uf->text, len) == 0)
		goto done; /* nothing changes */
	if (!(change = json_pack("{s:s, s:O, s:s}", "path", "", "old", cur, "new", uf->text)) ||
	    json_object_set(change, "file", name) < 0 ||
	    json_array_append(out->changes, change) < 0) {
		error = KK_ENOMEM;
		goto done;
	}
	if ((error = kk_rules_check_file(out->violations, ctx, uf->path, cur,
					 json_object_get(change, "new"))) < 0 ||
	    (error = kk_fileset_put(&out->files, uf->path, uf->text, len, diag)) < 0)
		goto done;
	error = 0;
done:
	json_decref(cur);
	json_decref(name);
	json_decref(fields);
	json_decref(change);
	return error == KK_ENOMEM ? kk_diag_set(diag, KK_ENOMEM, "%s", _("out of memory")) : error;
}

static int is_plan_wide(const char *path)
{
	return strcmp(path, KK_PATH_SETTINGS) == 0 || strcmp(path, KK_PATH_DEPARTMENTS) == 0 ||
	       strcmp(path, KK_PATH_STRUCTURE) == 0;
}

/*
 * Validates the files that change (rule 5).  When only items change, the
 * checks need just them and the plan-wide files; when a plan-wide file
 * changes, every item is checked again, since a removed department or
 * measure breaks the items that name it.
 */
static int had_problem(const kk_diaglist *list, const kk_diag *p)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i].path, p->path) == 0 &&
		    strcmp(list->items[i].pointer, p->pointer) == 0 &&
		    strcmp(list->items[i].message, p->message) == 0)
			return 1;
	return 0;
}

/*
 * Fills `view` with the files of `changed` and those of `head` it does not
 * replace (without items, unless `with_items`), in path order.  The files
 * are borrowed from both: free only view->files, and only while they live.
 */
static int overlay(kk_fileset *view, const kk_fileset *head, const kk_fileset *changed,
		   int with_items, kk_diag *diag)
{
	size_t i = 0, j = 0;

	if (!(view->files = malloc((head->count + changed->count + 1) * sizeof(*view->files))))
		return kk_diag_set(diag, KK_ENOMEM, "%s", _("out of memory"));
	view->alloc = head->count + changed->count + 1;
	view->count = 0;
	while (i < head->count || j < changed->count) {
		int c = i == head->count      ? 1
			: j == changed->count ? -1
					      : strcmp(head->files[i].path, changed->files[j].path);
		json_int_t id;

		if (c < 0) {
			if (with_items || !kk_item_path_parse(&id, head->files[i].path))
				view->files[view->count++] = head->files[i];
			i++;
		} else {
			view->files[view->count++] = changed->files[j++];
			i += c == 0;
		}
	}
	return 0;
}

static int validate(kk_update_result *out, const kk_fileset *head, kk_verifier *verifier,
		    kk_diag *diag)
{
	kk_fileset set = {0};
	kk_diaglist problems = {0}, before = {0};
	int wide = 0, error = 0;

	for (size_t i = 0; i < out->files.count; i++)
		wide |= is_plan_wide(out->files.files[i].path);
	if ((error = overlay(&set, head, &out->files, wide, diag)) == 0)
		error = kk_verifier_check_written(verifier, &set, &out->files, &problems, diag);
	/* What was wrong before a plan-wide change is not this submission's doing. */
	if (!error && wide)
		error = kk_verifier_check(verifier, head, 0, &before, diag);
	for (size_t i = 0; i < problems.count && !error; i++) {
		const kk_diag *p = &problems.items[i];
		json_int_t id;

		/* Existing problems of files nobody touched are not this submission's. */
		if (!kk_fileset_get(&out->files, p->path) &&
		    !(wide && kk_item_path_parse(&id, p->path)))
			continue;
		if (wide && !kk_fileset_get(&out->files, p->path) && had_problem(&before, p))
			continue;
		if (json_array_append_new(out->errors,
					  json_pack("{s:s, s:s, s:s}", "file", p->path, "pointer",
						    p->pointer, "message", p->message)) < 0)
			error = kk_diag_set(diag, KK_ENOMEM, "%s", _("out of memory"));
	}
	kk_diaglist_clear(&before);
	kk_diaglist_clear(&problems);
	free(set.files); /* only the array: the files are head's and out's */
	return error;
}

/* Appends `s` cut to SUMMARY_VALUE_MAX characters ("…" when cut); NULL shows as —. */
static void put_value(char *buf, size_t size, const json_t *v, const char *field)
{
	const char *s = json_string_value(v);
	size_t len = strlen(buf), chars = 0, i;

	if (s && strcmp(field, "progress") == 0 && kk_progress_mark(s))
		s = kk_progress_mark(s);
	else if (s && (strcmp(field, "achievement") == 0 || strcmp(field, "status") == 0) &&
		 kk_achievement_label(s))
		s = kk_achievement_label(s);
	if (!s)
		s = "—";
	for (i = 0; s[i] && chars < SUMMARY_VALUE_MAX; i++)
		chars += ((unsigned char)s[i] & 0xC0) != 0x80;
	while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80)
		i++;
	snprintf(buf + len, size > len ? size - len : 0, "%.*s%s", (int)i, s, s[i] ? "…" : "");
}

/* Values shown in a summary: text, or absent (—); numbers and lists show the label only. */
static int is_text(const json_t *v)
{
	return !v || json_is_string(v);
}

static void append(char *buf, size_t size, const char *s)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size > len ? size - len : 0, "%s", s);
}

/* The summary as a new string; cut at a character, not inside one, when it filled `buf`. */
static char *finish(char *buf)
{
	size_t len = strlen(buf), start = len;

	while (start > 0 && ((unsigned char)buf[start - 1] & 0xC0) == 0x80)
		start--;
	if (start > 0) {
		unsigned char lead = (unsigned char)buf[start - 1];
		size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;

		if (len - (start - 1) < need)
			buf[start - 1] = '\0';
	}
	return strdup(buf);
}

/*
 * The commit's first line, in the report's terms:
 *   026 テレワークの拡大 · 令和3年度 進捗度: ○ → ▲
 *   026 テレワークの拡大 · 令和3年度 進捗度, 取組内容または結果
 *   025 規程の整備 ほか2項目
 */
static char *summarise(const kk_update_result *out, const kk_fileset *head, const json_t *settings,
		       kk_verifier *verifier)
{
	char buf[1024] = "", prefix[KK_FY_NAME_MAX + 1] = "", path[KK_ITEM_PATH_MAX];
	json_int_t id = json_integer_value(json_array_get(out->items, 0));
	const char *title = NULL;
	json_t *item = NULL;
	size_t nfields = 0, i;
	json_t *c;

	if (json_array_size(out->items) == 0) {
		/* Plan-wide files only. */
		json_array_foreach(out->changes, i, c) {
			const char *file = json_string_value(json_object_get(c, "file"));

			if (file && !strstr(buf, file)) {
				append(buf, sizeof(buf), buf[0] ? ", " : "");
				append(buf, sizeof(buf), file);
			}
		}
		append(buf, sizeof(buf), " を更新");
		return finish(buf);
	}
	kk_item_path(path, sizeof(path), id);
	if (parse_file(&item, verifier, &out->files, path) < 0)
		return NULL;
	title = json_string_value(json_object_get(item, "title"));
	snprintf(buf, sizeof(buf), "%03lld %s", (long long)id, title ? title : "");
	if (json_array_size(out->items) > 1) {
		snprintf(prefix, sizeof(prefix), " ほか%zu項目", json_array_size(out->items) - 1);
		append(buf, sizeof(buf), prefix);
		json_decref(item);
		return finish(buf);
	}
	if (!kk_fileset_get(head, path)) {
		append(buf, sizeof(buf), " を追加");
		json_decref(item);
		return finish(buf);
	}
	json_array_foreach(out->changes, i, c) {
		const char *fpath = json_string_value(json_object_get(c, "path"));
		const char *field = strrchr(fpath, '.') ? strrchr(fpath, '.') + 1 : fpath;
		const char *label = kk_field_label(field);
		char year[KK_FY_NAME_MAX + 1] = "";

		if (strncmp(fpath, "years.", 6) == 0 && strlen(fpath) >= 10) {
			kk_fy_format(year, sizeof(year), settings, atoi(fpath + 6));
			append(year, sizeof(year), " ");
		}
		if (strcmp(year, prefix) != 0 || nfields == 0) {
			append(buf, sizeof(buf), nfields ? "; " : " · ");
			append(buf, sizeof(buf), year);
			snprintf(prefix, sizeof(prefix), "%s", year);
		} else {
			append(buf, sizeof(buf), ", ");
		}
		append(buf, sizeof(buf), label ? label : fpath);
		if (json_array_size(out->changes) == 1 && strcmp(field, "result") != 0 && label &&
		    is_text(json_object_get(c, "old")) && is_text(json_object_get(c, "new"))) {
			append(buf, sizeof(buf), ": ");
			put_value(buf, sizeof(buf), json_object_get(c, "old"), field);
			append(buf, sizeof(buf), " → ");
			put_value(buf, sizeof(buf), json_object_get(c, "new"), field);
		}
		nfields++;
	}
	json_decref(item);
	return finish(buf);
}

int kk_update_prepare(kk_update_result *out, const kk_fileset *head, const kk_update_request *req,
		      kk_verifier *verifier, kk_diag *diag)
{
	json_t *settings = NULL;
	kk_change_ctx ctx = {req->who, NULL, req->reason, req->correction};
	int not_found = 0, error = 0;

	memset(out, 0, sizeof(*out));
	if (parse_file(&settings, verifier, head, KK_PATH_SETTINGS) < 0 ||
	    !(out->changes = json_array()) || !(out->violations = json_array()) ||
	    !(out->errors = json_array()) || !(out->items = json_array()) ||
	    !(out->years = json_array())) {
		error = kk_diag_set(diag, KK_ENOMEM, "%s", _("out of memory"));
		goto done;
	}
	ctx.settings = settings;
	for (size_t i = 0; i < req->item_count && !error; i++)
		error = prepare_item(out, verifier, head, req, &req->items[i], &ctx, &not_found,
				     diag);
	for (size_t i = 0; i < req->file_count && !error; i++)
		error = req->files[i].text
				? prepare_text_file(out, head, &req->files[i], &ctx, diag)
				: prepare_file(out, verifier, head, &req->files[i], &ctx, diag);
	if (error < 0)
		goto done;
	if (out->files.count && (error = validate(out, head, verifier, diag)) < 0)
		goto done;

	if (not_found)
		out->verdict = KK_UPDATE_NOT_FOUND;
	else if (out->conflict)
		out->verdict = KK_UPDATE_CONFLICT;
	else if (json_array_size(out->violations))
		out->verdict =
			kk_rules_forbidden(out->violations) ? KK_UPDATE_FORBIDDEN : KK_UPDATE_RULES;
	else if (json_array_size(out->errors))
		out->verdict = KK_UPDATE_INVALID;
	{
		size_t i;
		json_t *y;

		json_array_foreach(out->years, i, y) {
			const char *state = kk_fy_state(settings, atoi(json_string_value(y)));

			out->corrects_closed_year |= state && strcmp(state, "closed") == 0;
		}
	}
	if (out->files.count && !(out->summary = summarise(out, head, settings, verifier)))
		error = kk_diag_set(diag, KK_ENOMEM, "%s", _("out of memory"));
done:
	json_decref(settings);
	if (error < 0)
		kk_update_result_clear(out);
	return error;
}

char *kk_commit_message(const kk_commit_info *info)
{
	kk_buf b = {0};
	size_t i;
	json_t *v;

	kk_buf_printf(&b, "%s\n", info->summary);
	if (kk_rules_reason_given(info->reason)) {
		const char *r = info->reason;
		size_t n = strlen(r);

		/* Trim ASCII white space; the reason is kept as the person wrote it. */
		while (n && isspace((unsigned char)r[n - 1]))
			n--;
		while (isspace((unsigned char)*r))
			r++, n--;
		kk_buf_puts(&b, "\n");
		kk_buf_put(&b, r, n);
		kk_buf_puts(&b, "\n");
	}
	kk_buf_puts(&b, "\n");
	json_array_foreach(info->items, i, v)
		kk_buf_printf(&b, "Keikaku-Item: %lld\n", (long long)json_integer_value(v));
	for (i = 0; info->files && i < info->files->count; i++) {
		json_int_t id;

		if (!kk_item_path_parse(&id, info->files->files[i].path))
			kk_buf_printf(&b, "Keikaku-File: %s\n", info->files->files[i].path);
	}
	json_array_foreach(info->years, i, v)
		kk_buf_printf(&b, "Fiscal-Year: %s\n", json_string_value(v));
	if (info->department)
		kk_buf_printf(&b, "Department: %s\n", info->department);
	if (info->request_id)
		kk_buf_printf(&b, "Request-Id: %s\n", info->request_id);
	if (info->correction)
		kk_buf_puts(&b, "Keikaku-Correction: yes\n");
	if (b.failed) {
		kk_buf_clear(&b);
		return NULL;
	}
	return b.data; /* the caller frees it */
}

size_t kk_commit_trailers(const char *message, const char *key,
			  void (*fn)(const char *value, size_t len, void *ctx), void *ctx)
{
	const char *last = message, *p, *line;
	size_t klen = strlen(key), found = 0;

	/* The trailers are the last paragraph. */
	for (p = message; (p = strstr(p, "\n\n")) != NULL; p++)
		if (p[2] && p[2] != '\n')
			last = p + 2;
	for (line = last; *line;) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);

		if (n > klen + 1 && strncmp(line, key, klen) == 0 && line[klen] == ':') {
			const char *v = line + klen + 1;

			while (*v == ' ')
				v++;
			fn(v, n - (size_t)(v - line), ctx);
			found++;
		}
		line += n + (end ? 1 : 0);
	}
	return found;
}

struct trailer_buf {
	char *buf;
	size_t size;
};

static void keep_value(const char *value, size_t len, void *ctx)
{
	const struct trailer_buf *b = ctx;

	snprintf(b->buf, b->size, "%.*s", (int)len, value);
}

int kk_commit_trailer(char *buf, size_t size, const char *message, const char *key)
{
	struct trailer_buf b = {buf, size};

	/* Each value overwrites the one before: the last one stays. */
	return kk_commit_trailers(message, key, keep_value, &b) > 0;
}
