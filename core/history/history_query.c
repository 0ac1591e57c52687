/*
 * history_query.c - the queries on a chain's history index (history.c): the
 * audit trail field by field, blame, pending updates, and the check that
 * closed fiscal years were changed only by corrections.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history_index.h"
#include "dates.h"
#include "i18n.h"
#include "keytext.h"
#include "json.h"
#include "patch.h"
#include "plan.h"
#include "update.h"

/* --- selecting fields --- */

static int under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '.');
}

int kk_history_field_matches(const char *field, const char *path)
{
	const char *rest;

	if (under(path, field))
		return 1;
	if (strncmp(field, "years.", 6) == 0 || strncmp(path, "years.", 6) != 0)
		return 0;
	/* "progress" selects years.<any>.progress */
	rest = strchr(path + 6, '.');
	return rest && under(rest + 1, field);
}

static int year_matches(int year, const char *path)
{
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "years.%d", year);
	return under(path, prefix);
}

/* --- commits --- */

/* The paragraphs of a message between its first line and its trailers, or NULL. */
static json_t *message_reason(const char *message)
{
	const char *body = strstr(message, "\n\n"), *last = NULL, *end;
	json_t *reason;

	if (!body)
		return json_null();
	body += 2;
	/* The last paragraph is the trailers when every line of it is "Key: value". */
	for (const char *p = body; (p = strstr(p, "\n\n")) != NULL; p++)
		if (p[2] && p[2] != '\n')
			last = p + 2;
	if (!last)
		last = body;
	end = message + strlen(message);
	{
		int trailers = 1;

		for (const char *line = last; line < end && *line != '\n';) {
			const char *nl = strchr(line, '\n');
			const char *colon = strchr(line, ':');
			const char *k;

			if (!nl)
				nl = end;
			if (!colon || colon > nl || colon == line)
				trailers = 0;
			for (k = line; trailers && k < colon; k++)
				if (!isalnum((unsigned char)*k) && *k != '-')
					trailers = 0;
			line = nl + (nl < end);
		}
		if (trailers)
			end = last;
	}
	while (end > body && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	if (end <= body)
		return json_null();
	reason = json_stringn(body, (size_t)(end - body));
	return reason ? reason : json_null();
}

static json_t *commit_info(git_commit *commit, int64_t time, int offset)
{
	const git_signature *author = git_commit_author(commit);
	const char *message = git_commit_message(commit);
	char when[40], dept[256], corr[16];
	const char *nl = strchr(message, '\n');
	json_t *info;

	kk_time_format(when, sizeof(when), time, offset);
	info = json_pack(
		"{s:s, s:s, s:I, s:{s:s, s:s}, s:o, s:s%, s:o, s:b}", "commit",
		git_oid_tostr_s(git_commit_id(commit)), "time", when, "timestamp", (json_int_t)time,
		"author", "name", author->name, "email", author->email, "department",
		kk_commit_trailer(dept, sizeof(dept), message, "Department") ? json_string(dept)
									     : json_null(),
		"summary", message, nl ? (size_t)(nl - message) : strlen(message), "reason",
		message_reason(message), "correction",
		kk_commit_trailer(corr, sizeof(corr), message, "Keikaku-Correction") &&
			strcmp(corr, "yes") == 0);
	return info;
}

int kk_history_commit_info(json_t **out, kk_history *h, const git_oid *oid, kk_diag *diag)
{
	git_commit *commit = NULL;
	json_t *info;

	if (git_commit_lookup(&commit, h->repo, oid) < 0)
		return kk_diag_git(diag, KK_EIO, _("cannot read the history"));
	info = commit_info(commit, git_commit_time(commit), git_commit_time_offset(commit));
	git_commit_free(commit);
	if (!info)
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	*out = info;
	return 0;
}

/* A commit's information, remembered for the changes of one commit in a row. */
typedef struct info_cache {
	uint32_t commit;
	json_t *info;
} info_cache;

static int cached_info(json_t **out, info_cache *cache, kk_history *h, uint32_t i, kk_diag *diag)
{
	git_commit *commit = NULL;

	if (cache->info && cache->commit == i) {
		*out = cache->info;
		return 0;
	}
	json_decref(cache->info);
	cache->info = NULL;
	if (git_commit_lookup(&commit, h->repo, &h->commits[i].oid) < 0)
		return kk_diag_git(diag, KK_EIO, _("cannot read the history"));
	cache->info = commit_info(commit, h->commits[i].time, h->commits[i].offset);
	git_commit_free(commit);
	if (!cache->info)
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	cache->commit = i;
	*out = cache->info;
	return 0;
}

/* --- versions of files --- */

int kk_hist_version(json_t **out, kk_history *h, uint32_t c, kk_diag *diag)
{
	git_blob *blob = NULL;
	const kk_hist_change *ch;
	kk_file file = {0};
	kk_diag none = {0}, *d = diag ? diag : &none;
	int error;

	*out = NULL;
	if (c == KK_HIST_NONE || kk_hist_is_removal(ch = &h->changes[c]))
		return 0;
	if ((*out = kk_doccache_get(h->docs, &ch->blob)))
		return 0;
	if (git_blob_lookup(&blob, h->repo, &ch->blob) < 0)
		return kk_diag_git(diag, KK_EIO, _("cannot read the history"));
	file.data = (char *)git_blob_rawcontent(blob);
	file.len = (size_t)git_blob_rawsize(blob);
	file.oid = ch->blob;
	*out = kk_doccache_parse(h->docs, &file, d);
	error = *out ? 0 : d->code ? d->code : KK_ENOMEM;
	git_blob_free(blob);
	if (error < 0) {
		char where[80];

		snprintf(where, sizeof(where), "%s@%.12s", h->paths[ch->path],
			 git_oid_tostr_s(&h->commits[ch->commit].oid));
		kk_diag_set_path(diag, where);
	}
	return error;
}

/* --- the log --- */

static int author_matches(const json_t *info, const char *who)
{
	const json_t *author = json_object_get(info, "author");

	return kk_hist_author_is(json_string_value(json_object_get(author, "name")),
				 json_string_value(json_object_get(author, "email")), who);
}

static int commit_selected(const json_t *info, const kk_log_filter *f)
{
	if (f->author && !author_matches(info, f->author))
		return 0;
	if (f->department) {
		const char *d = json_string_value(json_object_get(info, "department"));

		if (!d || !kk_key_equal(d, f->department))
			return 0;
	}
	return 1;
}

/*
 * Tells whether commit `i` of the chain is in `f`'s range: commit bounds by
 * position on the chain (commit times are whole seconds), times otherwise.
 */
static int in_range(const kk_history *h, uint32_t i, const kk_log_filter *f)
{
	uint32_t lo = f->since_commit ? kk_hist_find_commit(h, f->since_commit) : KK_HIST_NONE;
	uint32_t hi = f->until_commit ? kk_hist_find_commit(h, f->until_commit) : KK_HIST_NONE;

	if (lo != KK_HIST_NONE ? i < lo : f->since && h->commits[i].time < f->since)
		return 0;
	if (hi != KK_HIST_NONE ? i > hi : f->until && h->commits[i].time > f->until)
		return 0;
	return 1;
}

/* Appends the log entries of change `c` that `f` selects. */
static int log_change(json_t *entries, kk_history *h, uint32_t c, const kk_log_filter *f,
		      info_cache *cache, kk_diag *diag)
{
	const kk_hist_change *ch = &h->changes[c];
	json_t *info, *old = NULL, *new = NULL, *changes = NULL, *change, *title = NULL;
	const char *path = h->paths[ch->path];
	json_int_t id = 0;
	size_t i;
	int error;

	if (!in_range(h, ch->commit, f))
		return 0;
	if ((error = kk_budget_check(h->budget, diag)) < 0 ||
	    (error = cached_info(&info, cache, h, ch->commit, diag)) < 0)
		return error;
	if (!commit_selected(info, f))
		return 0;
	if ((error = kk_hist_version(&old, h, ch->prev, diag)) < 0 ||
	    (error = kk_hist_version(&new, h, c, diag)) < 0)
		goto done;
	if (!(changes = json_array())) {
		error = KK_ENOMEM;
		goto done;
	}
	if ((error = kk_diff_fields(changes, old, new, NULL)) < 0)
		goto done;
	error = 0;
	if (kk_item_path_parse(&id, path))
		title = json_object_get(new ? new : old, "title");
	json_array_foreach(changes, i, change) {
		const char *field = json_string_value(json_object_get(change, "path"));
		json_t *entry;

		if ((f->year && !year_matches(f->year, field)) ||
		    (f->field && !kk_history_field_matches(f->field, field)))
			continue;
		if (!(entry = json_deep_copy(info)) ||
		    json_object_set_new(entry, "file", json_string(path)) < 0 ||
		    json_object_set_new(entry, "file_change",
					json_string(!old   ? "added"
						    : !new ? "removed"
							   : "changed")) < 0 ||
		    (id && json_object_set_new(entry, "item", json_integer(id)) < 0) ||
		    (json_is_string(title) && json_object_set(entry, "title", title) < 0) ||
		    json_object_update(entry, change) < 0) {
			json_decref(entry);
			error = KK_ENOMEM;
			goto done;
		}
		/* It takes `entry` whether it succeeds or not. */
		if (json_array_append_new(entries, entry) < 0) {
			error = KK_ENOMEM;
			goto done;
		}
	}
done:
	json_decref(old);
	json_decref(new);
	json_decref(changes);
	if (error == KK_ENOMEM)
		kk_diag_set(diag, error, _("out of memory"));
	return error;
}

/* The commits with entries so far: `seen` of them, and the entries they had. */
typedef struct log_count {
	size_t seen, entries;
} log_count;

/*
 * Called before each commit's changes (newest first): whether `f->max_commits` commits
 * have had entries, counting the one just done if it added some.
 */
static int enough(const json_t *entries, const kk_log_filter *f, log_count *n)
{
	if (json_array_size(entries) > n->entries) {
		n->entries = json_array_size(entries);
		n->seen++;
	}
	return f->max_commits && n->seen >= f->max_commits;
}

int kk_history_log(json_t **out, kk_history *h, const kk_log_filter *filter, kk_diag *diag)
{
	static const kk_log_filter none;
	const kk_log_filter *f = filter ? filter : &none;
	info_cache cache = {0};
	json_t *entries = json_array();
	const char *only = f->file;
	char item_path[KK_ITEM_PATH_MAX];
	log_count commits = {0};
	uint8_t *sel = NULL; /* per commit: by the author and for the department asked for */
	int error = 0;

	if (!entries)
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	if (f->item) {
		if ((error = kk_item_path(item_path, sizeof(item_path), f->item)) < 0) {
			kk_diag_set(diag, error, _("'%lld' is not an item number"),
				    (long long)f->item);
			goto done;
		}
		only = item_path;
	}
	/*
	 * Who made each commit, read once for the whole history (and kept by a memo): worth
	 * it for a walk of the whole history, which would read each commit anyway; for a
	 * walk that may stop early (max_commits), only when it is kept for later ones.
	 */
	if ((f->author || f->department) && !only && !f->since && !f->since_commit &&
	    (!f->max_commits || f->kept || kk_hist_people_complete(h)) &&
	    (error = kk_hist_people_select(&sel, h, f->author, f->department, diag)) < 0)
		goto done;
	if (only && (!f->item || !f->file || strcmp(f->file, item_path) == 0)) {
		/* One file: follow its own chain of changes, one a commit. */
		uint32_t p = kk_hist_find_path(h, only);

		for (uint32_t c = kk_hist_last(h, p);
		     c != KK_HIST_NONE && error == 0 && !enough(entries, f, &commits);
		     c = h->changes[c].prev)
			error = log_change(entries, h, c, f, &cache, diag);
	} else if (!only) {
		for (size_t i = h->count; i-- > 0 && error == 0 && !enough(entries, f, &commits);) {
			uint32_t end = kk_hist_changes_end(h, i);

			if ((sel && !sel[i]) || !in_range(h, (uint32_t)i, f))
				continue;
			for (uint32_t c = h->commits[i].first; c < end && error == 0; c++) {
				json_int_t id;

				if (f->items_only &&
				    !kk_item_path_parse(&id, h->paths[h->changes[c].path]))
					continue;
				error = log_change(entries, h, c, f, &cache, diag);
			}
		}
	}
done:
	free(sel);
	json_decref(cache.info);
	if (error < 0) {
		json_decref(entries);
		return error;
	}
	*out = entries;
	return 0;
}

/* --- blame --- */

int kk_history_blame(json_t **out, kk_history *h, json_int_t id, kk_diag *diag)
{
	char path[KK_ITEM_PATH_MAX];
	uint32_t p, newest, *chain = NULL;
	size_t n = 0;
	json_t *last = json_object(), *prev = NULL, *cur = NULL, *changes = NULL, *fields = NULL;
	json_t *result = NULL, *change, *leaves = NULL;
	info_cache cache = {0};
	size_t i, k;
	int error = 0;

	if (!last) {
		error = KK_ENOMEM;
		goto done;
	}
	if ((error = kk_item_path(path, sizeof(path), id)) < 0) {
		kk_diag_set(diag, error, _("'%lld' is not an item number"), (long long)id);
		goto done;
	}
	p = kk_hist_find_path(h, path);
	newest = kk_hist_last(h, p);
	if (newest == KK_HIST_NONE || kk_hist_is_removal(&h->changes[newest])) {
		error = kk_diag_set(diag, KK_ENOTFOUND, _("no item %lld in the plan"),
				    (long long)id);
		goto done;
	}
	for (uint32_t c = newest; c != KK_HIST_NONE; c = h->changes[c].prev)
		n++;
	if (!(chain = malloc(n * sizeof(*chain)))) {
		error = KK_ENOMEM;
		goto done;
	}
	i = n;
	for (uint32_t c = newest; c != KK_HIST_NONE; c = h->changes[c].prev)
		chain[--i] = c;

	/* Oldest first: each field's last change wins. */
	for (i = 0; i < n; i++) {
		if ((error = kk_budget_check(h->budget, diag)) < 0 ||
		    (error = kk_hist_version(&cur, h, chain[i], diag)) < 0)
			goto done;
		json_decref(changes);
		if (!(changes = json_array()) || kk_diff_fields(changes, prev, cur, NULL) < 0) {
			error = KK_ENOMEM;
			goto done;
		}
		json_array_foreach(changes, k, change) {
			const char *field = json_string_value(json_object_get(change, "path"));

			if (json_object_set_new(last, field, json_integer(chain[i])) < 0) {
				error = KK_ENOMEM;
				goto done;
			}
		}
		json_decref(prev);
		prev = cur;
		cur = NULL;
	}

	/* Every field of the item as it is now, in its order. */
	if (!(leaves = json_array()) || kk_diff_fields(leaves, NULL, prev, NULL) < 0 ||
	    !(fields = json_array())) {
		error = KK_ENOMEM;
		goto done;
	}
	json_array_foreach(leaves, i, change) {
		const char *field = json_string_value(json_object_get(change, "path"));
		json_t *at = json_object_get(last, field), *info, *entry;

		{
			/*
			 * An empty object ("years.2022": {}) may have been emptied since
			 * it was made: then its last change is the last change of a
			 * field that was below it.
			 */
			size_t len = strlen(field);
			const char *key;
			json_t *v;

			json_object_foreach(last, key, v) {
				if (strncmp(key, field, len) == 0 && key[len] == '.' &&
				    (!at || json_integer_value(v) > json_integer_value(at)))
					at = v;
			}
		}
		if (!at)
			continue; /* cannot happen: some change made the field */
		if ((error = cached_info(&info, &cache, h,
					 h->changes[json_integer_value(at)].commit, diag)) < 0)
			goto done;
		if (!(entry = json_pack("{s:s, s:O}", "path", field, "value",
					json_object_get(change, "new"))) ||
		    json_object_update(entry, info) < 0) {
			json_decref(entry);
			error = KK_ENOMEM;
			goto done;
		}
		if (json_array_append_new(fields, entry) < 0) {
			error = KK_ENOMEM;
			goto done;
		}
	}
	result = json_pack(
		"{s:I, s:O, s:s, s:O}", "id", id, "title",
		json_object_get(prev, "title") ? json_object_get(prev, "title") : json_null(),
		"commit", git_oid_tostr_s(&h->commits[h->count - 1].oid), "fields", fields);
	if (!result)
		error = KK_ENOMEM;
done:
	free(chain);
	json_decref(cache.info);
	json_decref(last);
	json_decref(prev);
	json_decref(cur);
	json_decref(changes);
	json_decref(leaves);
	json_decref(fields);
	if (error == KK_ENOMEM)
		kk_diag_set(diag, error, _("out of memory"));
	if (error < 0)
		return error;
	*out = result;
	return 0;
}

/* --- closed years --- */

/* The years `settings` marks closed. */
static int is_closed(const json_t *settings, const char *year)
{
	const char *state =
		json_string_value(json_object_get(json_object_get(settings, "years"), year));

	return state && strcmp(state, "closed") == 0;
}

static int closed_problem(kk_diaglist *problems, kk_history *h, uint32_t commit, const char *file,
			  const json_t *settings, const char *year)
{
	kk_diag d = {0};
	char era[KK_FY_NAME_MAX];

	d.code = KK_EINVALID;
	kk_diag_set_path(&d, file);
	snprintf(d.pointer, sizeof(d.pointer), "/years/%s", year);
	/* The year as the report names it too, as the closed-year rule does. */
	kk_fy_format(era, sizeof(era), settings, atoi(year));
	snprintf(d.message, sizeof(d.message),
		 _("commit %.12s changes fiscal year %s (%s), which was closed, without being a "
		   "correction"),
		 git_oid_tostr_s(&h->commits[commit].oid), year, era);
	return kk_diaglist_add(problems, &d);
}

static int any_closed(const json_t *settings)
{
	const char *year;
	json_t *state;

	json_object_foreach(json_object_get(settings, "years"), year, state)
		if (is_closed(settings, year))
			return 1;
	return 0;
}

/* Checks the changes of commit `i`, made when `settings` was in force. */
static int check_commit(kk_history *h, size_t i, const json_t *settings, info_cache *cache,
			kk_diaglist *problems, kk_diag *diag)
{
	uint32_t end = kk_hist_changes_end(h, i);
	json_t *info;
	int error;

	if ((error = kk_budget_check(h->budget, diag)) < 0 ||
	    (error = cached_info(&info, cache, h, (uint32_t)i, diag)) < 0)
		return error;
	if (json_is_true(json_object_get(info, "correction")))
		return 0;
	for (uint32_t c = h->commits[i].first; c < end; c++) {
		const kk_hist_change *ch = &h->changes[c];
		json_t *old = NULL, *new = NULL, *changes = NULL, *change;
		size_t k;

		char reported[8] = "";

		/* A version that does not parse is verify's to report, not this check's. */
		if (kk_hist_version(&old, h, ch->prev, NULL) < 0 ||
		    kk_hist_version(&new, h, c, NULL) < 0) {
			json_decref(old);
			continue;
		}
		if (!(changes = json_array()) || kk_diff_fields(changes, old, new, NULL) < 0)
			error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
		json_array_foreach(changes, k, change) {
			const char *field = json_string_value(json_object_get(change, "path"));
			char year[8] = "";

			/*
			 * In keikaku.json this is reopening or removing a closed year.
			 * One problem per file and year: its fields change together.
			 */
			if (error == 0 && sscanf(field, "years.%4[0-9]", year) == 1 &&
			    is_closed(settings, year) && strcmp(year, reported) != 0) {
				snprintf(reported, sizeof(reported), "%s", year);
				if (closed_problem(problems, h, (uint32_t)i, h->paths[ch->path],
						   settings, year) < 0)
					error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
			}
		}
		json_decref(old);
		json_decref(new);
		json_decref(changes);
		if (error < 0)
			return error;
	}
	return 0;
}

int kk_history_check_closed(kk_history *h, kk_diaglist *problems, kk_diag *diag)
{
	uint32_t settings_path = kk_hist_find_path(h, KK_PATH_SETTINGS);
	json_t *settings = NULL;
	info_cache cache = {0};
	int error = 0;

	for (size_t i = 0; i < h->count && error == 0; i++) {
		uint32_t end = kk_hist_changes_end(h, i);

		if (settings && any_closed(settings))
			error = check_commit(h, i, settings, &cache, problems, diag);
		/* The settings this commit leaves in force for the next one. */
		for (uint32_t c = h->commits[i].first; c < end && error == 0; c++) {
			json_t *next;

			if (h->changes[c].path != settings_path)
				continue;
			if ((error = kk_hist_version(&next, h, c, diag)) < 0)
				break;
			json_decref(settings);
			settings = next;
		}
	}
	json_decref(settings);
	json_decref(cache.info);
	return error < 0 ? error : 0;
}

/* --- single fields --- */

static const json_t *field_at(const json_t *doc, const char *path)
{
	char key[256];

	while (doc && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		doc = json_object_get(doc, key);
		path += n + (dot ? 1 : 0);
	}
	return doc;
}

static int same_value(const json_t *a, const json_t *b)
{
	return (!a && !b) || (a && b && json_equal(a, b));
}

int kk_history_last_change(json_t **out, kk_history *h, const char *file, const char *field,
			   kk_diag *diag)
{
	uint32_t p = kk_hist_find_path(h, file);
	uint32_t c = kk_hist_last(h, p);
	json_t *cur = NULL, *prev = NULL;
	int error = 0;

	*out = NULL;
	if (c != KK_HIST_NONE && (error = kk_hist_version(&cur, h, c, diag)) < 0)
		return error;
	for (; c != KK_HIST_NONE; c = h->changes[c].prev) {
		if ((error = kk_budget_check(h->budget, diag)) < 0 ||
		    (error = kk_hist_version(&prev, h, h->changes[c].prev, diag)) < 0)
			break;
		if (!same_value(field_at(cur, field), field_at(prev, field))) {
			error = kk_history_commit_info(out, h,
						       &h->commits[h->changes[c].commit].oid, diag);
			break;
		}
		json_decref(cur);
		cur = prev;
		prev = NULL;
	}
	json_decref(cur);
	json_decref(prev);
	return error;
}

/* --- pending items --- */

/*
 * The last change to fiscal year `year` of the item at `path` made for one
 * of its owners: *out is its commit information, or NULL.
 */
static int last_owner_update(json_t **out, uint32_t *commit_out, kk_history *h, const json_t *item,
			     const char *path, int year, kk_diag *diag)
{
	uint32_t p = kk_hist_find_path(h, path);
	info_cache cache = {0};
	int error = 0;

	*out = NULL;
	for (uint32_t c = kk_hist_last(h, p); c != KK_HIST_NONE; c = h->changes[c].prev) {
		json_t *info, *old = NULL, *new = NULL, *changes = NULL, *change;
		const char *dept;
		size_t k;
		int touched = 0;

		if ((error = kk_budget_check(h->budget, diag)) < 0 ||
		    (error = cached_info(&info, &cache, h, h->changes[c].commit, diag)) < 0)
			break;
		dept = json_string_value(json_object_get(info, "department"));
		if (!dept || !kk_item_owned_by(item, dept))
			continue;
		if ((error = kk_hist_version(&old, h, h->changes[c].prev, diag)) == 0 &&
		    (error = kk_hist_version(&new, h, c, diag)) == 0 &&
		    (!(changes = json_array()) || kk_diff_fields(changes, old, new, NULL) < 0))
			error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
		json_array_foreach(changes, k, change)
			touched |= year_matches(year,
						json_string_value(json_object_get(change, "path")));
		json_decref(old);
		json_decref(new);
		json_decref(changes);
		if (error < 0)
			break;
		if (touched) {
			*out = json_incref(info);
			*commit_out = h->changes[c].commit;
			break;
		}
	}
	json_decref(cache.info);
	return error;
}

static json_t *group_for(json_t *groups, const char *dept)
{
	size_t i;
	json_t *g;

	json_array_foreach(groups, i, g)
		if (strcmp(json_string_value(json_object_get(g, "name")), dept) == 0)
			return g;
	g = json_pack("{s:s, s:[]}", "name", dept, "items");
	if (!g || json_array_append_new(groups, g) < 0)
		return NULL;
	return g;
}

int kk_history_pending(json_t **out, kk_history *h, const json_t *items, const json_t *departments,
		       int year, int64_t since, const git_oid *since_commit, kk_diag *diag)
{
	uint32_t start = since_commit ? kk_hist_find_commit(h, since_commit) : KK_HIST_NONE;
	json_t *groups = json_array(), *result = NULL, *item, *d, *sorted = NULL;
	char key[16], when[40];
	size_t i;
	int error = 0;

	snprintf(key, sizeof(key), "%d", year);
	/* Departments in the order departments.json lists them. */
	json_array_foreach(json_object_get(departments, "departments"), i, d)
		if (json_is_string(json_object_get(d, "name")) &&
		    !group_for(groups, json_string_value(json_object_get(d, "name"))))
			error = KK_ENOMEM;
	json_array_foreach(items, i, item) {
		const char *status = json_string_value(json_object_get(item, "status"));
		char path[KK_ITEM_PATH_MAX];
		json_t *last = NULL, *entry, *owner;
		uint32_t at = KK_HIST_NONE;
		size_t k;

		if (error < 0)
			break;
		if (!status || strcmp(status, "open") != 0 ||
		    !json_object_get(json_object_get(item, "years"), key) ||
		    kk_item_path(path, sizeof(path),
				 json_integer_value(json_object_get(item, "id"))) < 0)
			continue;
		if ((error = last_owner_update(&last, &at, h, item, path, year, diag)) < 0)
			break;
		/* After the period's first commit, or from the first second of its first day. */
		if (last &&
		    (start != KK_HIST_NONE && start < h->count ? at > start
							       : h->commits[at].time >= since)) {
			json_decref(last);
			continue;
		}
		entry = json_pack("{s:O, s:O, s:o}", "id", json_object_get(item, "id"), "title",
				  json_object_get(item, "title"), "last_update",
				  last ? last : json_null());
		json_array_foreach(json_object_get(item, "owners"), k, owner) {
			json_t *g = json_is_string(owner)
					    ? group_for(groups, json_string_value(owner))
					    : NULL;

			if (!entry || !g ||
			    json_array_append(json_object_get(g, "items"), entry) < 0)
				error = KK_ENOMEM;
		}
		json_decref(entry);
	}
	/* Only the departments that have pending items. */
	if (error == 0 && !(sorted = json_array()))
		error = KK_ENOMEM;
	json_array_foreach(groups, i, d)
		if (error == 0 && json_array_size(json_object_get(d, "items")) &&
		    json_array_append(sorted, d) < 0)
			error = KK_ENOMEM;
	kk_time_format(when, sizeof(when), since, h->count ? h->commits[h->count - 1].offset : 0);
	if (error == 0 &&
	    !(result = json_pack("{s:s, s:s, s:I, s:O}", "year", key, "since", when,
				 "since_timestamp", (json_int_t)since, "departments", sorted)))
		error = KK_ENOMEM;
	json_decref(groups);
	json_decref(sorted);
	if (error == KK_ENOMEM)
		kk_diag_set(diag, error, _("out of memory"));
	if (error < 0)
		return error;
	*out = result;
	return 0;
}
