/*
 * query.c - the queries by name (query.h): each method's parameters
 * checked and named when wrong, the revision resolved, the history index
 * opened, and the answer built by the module that owns it.
 */
#include "query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "history.h"
#include "history_index.h"
#include "i18n.h"
#include "keytext.h"
#include "json.h"
#include "plan.h"
#include "query_impl.h"
#include "revision.h"
#include "schedule.h"

static const char *const methods[] = {"history.log",   "history.blame", "plan.diff",
				      "plan.schedule", "plan.pending",	"plan.verify"};

int kk_query_handles(const char *method)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(*methods); i++)
		if (strcmp(method, methods[i]) == 0)
			return 1;
	return 0;
}

static void query_clear(query *q)
{
	if (q->head_history) /* the memo's outlives the budget */
		kk_history_set_budget(q->head_history, NULL);
	if (q->history != q->head_history)
		kk_history_free(q->history);
	if (!q->head_kept)
		kk_history_free(q->head_history);
	json_decref(q->settings);
}

static int name_param(kk_diag *diag, const char *name)
{
	char pointer[64];

	snprintf(pointer, sizeof(pointer), "/%s", name);
	kk_diag_set_pointer(diag, pointer);
	return KK_EINVALID;
}

/* A bad parameter: the diagnostic's pointer names it ("/fy"). */
int kk_query_bad_param(kk_diag *diag, const char *name, const char *what)
{
	kk_diag_set(diag, KK_EINVALID, _("invalid parameter '%s': %s"), name, what);
	return name_param(diag, name);
}

/* A file filter that names none of the plan's files, with the one it is likely a typo of. */
static int unknown_file(kk_diag *diag, const char *file)
{
	static const char *const files[] = {KK_PATH_SETTINGS, KK_PATH_DEPARTMENTS,
					    KK_PATH_STRUCTURE};
	const char *meant = kk_key_nearest(file, files, sizeof(files) / sizeof(*files));

	if (meant)
		kk_diag_set(diag, KK_EINVALID, _("file '%s' is not a plan file (did you mean '%s'?)"),
			    file, meant);
	else
		kk_diag_set(diag, KK_EINVALID,
			    _("file '%s' is not a plan file: give keikaku.json, departments.json, "
			      "plan.json or items/NNNN.json"),
			    file);
	return name_param(diag, "file");
}

static int param_string(const char **out, const query *q, const char *name, kk_diag *diag)
{
	const json_t *v = json_object_get(q->params, name);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || !*json_string_value(v))
		return kk_query_bad_param(diag, name, _("expected a non-empty string"));
	*out = json_string_value(v);
	return 0;
}

int kk_query_param_bool(int *out, const query *q, const char *name, kk_diag *diag)
{
	const json_t *v = json_object_get(q->params, name);

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return kk_query_bad_param(diag, name, _("expected true or false"));
	*out = json_is_true(v);
	return 0;
}

static int param_item(json_int_t *out, const query *q, const char *name, int required,
		      kk_diag *diag)
{
	const json_t *v = json_object_get(q->params, name);
	char path[KK_ITEM_PATH_MAX];

	*out = 0;
	if (!v || json_is_null(v))
		return required ? kk_query_bad_param(diag, name, _("missing")) : 0;
	if (!json_is_integer(v) || kk_item_path(path, sizeof(path), json_integer_value(v)) < 0)
		return kk_query_bad_param(diag, name, _("expected an item number"));
	*out = json_integer_value(v);
	return 0;
}

static int param_year(int *out, const query *q, const char *name, int required, kk_diag *diag)
{
	const json_t *v = json_object_get(q->params, name);
	char digits[32];
	const char *text;
	kk_diag d = {0};

	*out = 0;
	if (!v || json_is_null(v))
		return required ? kk_query_bad_param(diag, name, _("missing")) : 0;
	/*
	 * A string as it is: cut to a buffer, a long one ended within a
	 * character, or ended where what is left reads as a year.
	 */
	if (json_is_integer(v)) {
		snprintf(digits, sizeof(digits), "%lld", (long long)json_integer_value(v));
		text = digits;
	} else if (json_is_string(v)) {
		text = json_string_value(v);
	} else {
		return kk_query_bad_param(diag, name, _("expected a fiscal year"));
	}
	/* The text is the user's: its own message says what is wrong with it. */
	if (kk_fy_parse(out, text, q->settings, &d) < 0) {
		kk_diag_set(diag, KK_EINVALID, "%s", d.message);
		return name_param(diag, name);
	}
	/* A year the plan does not have matches nothing: say so rather than "nothing". */
	if (q->settings && !kk_fy_state(q->settings, *out)) {
		char era[KK_FY_NAME_MAX];

		kk_fy_format(era, sizeof(era), q->settings, *out);
		kk_diag_set(diag, KK_EINVALID, _("fiscal year %d (%s) is not a year of the plan"),
			    *out, era);
		return name_param(diag, name);
	}
	return 0;
}

/*
 * Tells whether item `id` is in the plan at HEAD, at the revision asked
 * about, or at `also` (may be NULL: a diff's ends).
 */
static int item_exists(query *q, json_int_t id, const git_oid *also[2])
{
	char path[KK_ITEM_PATH_MAX];
	const git_oid *at[] = {&q->head, &q->rev, also ? also[0] : NULL, also ? also[1] : NULL};

	if (kk_item_path(path, sizeof(path), id) < 0)
		return 0;
	for (size_t i = 0; i < 4; i++) {
		char *data = NULL;
		size_t len;
		int found = at[i] && kk_store_read(&data, &len, q->store, at[i], path, NULL) == 0;

		free(data);
		if (found)
			return 1;
	}
	return 0;
}

/* A filter naming an item the plan does not have (at `also` either). */
static int check_item(query *q, const char *name, json_int_t id, const git_oid *also[2],
		      kk_diag *diag)
{
	if (!id || item_exists(q, id, also))
		return 0;
	kk_diag_set(diag, KK_EINVALID, _("item %lld does not exist"), (long long)id);
	return name_param(diag, name);
}

/*
 * A filter naming a department that neither departments.json (at HEAD or
 * the revision asked about) nor any commit has: an error that names the
 * department meant, when there is one.
 */
static int check_department(query *q, const char *name, const char *dept, kk_diag *diag)
{
	const git_oid *at[] = {&q->head, &q->rev};
	const char *names[256];
	json_t *docs[2] = {NULL, NULL}, *d;
	size_t count = 0, i;
	int found = 0;

	for (size_t k = 0; k < 2; k++) {
		char *data = NULL;
		size_t len;

		if (kk_store_read(&data, &len, q->store, at[k], KK_PATH_DEPARTMENTS, NULL) == 0)
			kk_json_parse(&docs[k], data, len, NULL, NULL);
		free(data);
		found |= kk_plan_department(docs[k], dept) != NULL;
		json_array_foreach(json_object_get(docs[k], "departments"), i, d)
			if (count < sizeof(names) / sizeof(*names) &&
			    json_is_string(json_object_get(d, "name")))
				names[count++] = json_string_value(json_object_get(d, "name"));
	}
	if (!found) {
		const char *meant = kk_key_nearest(dept, names, count);

		if (meant)
			kk_diag_set(diag, KK_EINVALID,
				    _("department '%s' does not exist (did you mean '%s'?)"), dept,
				    meant);
		else
			kk_diag_set(diag, KK_EINVALID, _("department '%s' does not exist"), dept);
	}
	json_decref(docs[0]);
	json_decref(docs[1]);
	return found ? 0 : name_param(diag, name);
}

/*
 * A field filter: "years.2021.progress", "years.2021", "years", an item's
 * field, or a year's field in every year ("progress").  Anything else names
 * no field, and the error names the one meant.
 */
static int check_field(const char *name, const char *field, kk_diag *diag)
{
	char first[64];
	const char *dot = strchr(field, '.'), *rest = dot ? dot + 1 : NULL, *meant;
	size_t n = dot ? (size_t)(dot - field) : strlen(field);
	int known = 0;

	snprintf(first, sizeof(first), "%.*s", (int)(n < sizeof(first) ? n : sizeof(first) - 1),
		 field);
	for (size_t i = 0; i < kk_item_field_count; i++)
		known |= strcmp(first, kk_item_fields[i]) == 0;
	for (size_t i = 0; !dot && i < kk_year_field_count; i++)
		known |= strcmp(first, kk_year_fields[i]) == 0;
	if (known && strcmp(first, "years") == 0 && rest) {
		const char *leaf = strchr(rest, '.');

		known = (leaf ? (size_t)(leaf - rest) : strlen(rest)) == 4 &&
			strspn(rest, "0123456789") == 4;
		for (size_t i = 0; known && leaf && i < kk_year_field_count; i++)
			if (strcmp(leaf + 1, kk_year_fields[i]) == 0)
				break;
			else if (i + 1 == kk_year_field_count)
				known = 0;
	} else if (known && rest) {
		known = 0; /* only years has fields below it */
	}
	if (known)
		return 0;
	if (strcmp(first, "years") == 0 && rest && strchr(rest, '.') &&
	    (meant = kk_key_nearest(strchr(rest, '.') + 1, kk_year_fields, kk_year_field_count))) {
		kk_diag_set(diag, KK_EINVALID, _("unknown field '%s' (did you mean '%.*s%s'?)"),
			    field, (int)(strchr(rest, '.') + 1 - field), field, meant);
		return name_param(diag, name);
	}
	meant = kk_key_nearest(first, kk_item_fields, kk_item_field_count);
	if (!meant)
		meant = kk_key_nearest(first, kk_year_fields, kk_year_field_count);
	if (meant && strcmp(meant, first) != 0)
		kk_diag_set(diag, KK_EINVALID, _("unknown field '%s' (did you mean '%s'?)"), field,
			    meant);
	else
		kk_diag_set(diag, KK_EINVALID,
			    _("unknown field '%s' (a field of an item such as title or owners, a "
			      "year's such as progress, or years.2021.progress)"),
			    field);
	return name_param(diag, name);
}

/*
 * A bound (since, until): `text` is a date or a revision, resolved once.
 * *time gets the date's first (or, with `end`, last) second or the commit's
 * time; *commit and *is_commit say whether it was a commit.  A malformed
 * date is a bad parameter `name`.  A start named by a time (@DATE, fyYYYY)
 * before the first commit is the beginning: the first commit's time.
 */
static int bound(int64_t *time, git_oid *commit, int *is_commit, query *q, const char *text,
		 const char *name, int end, kk_diag *diag)
{
	int error = kk_rev_bound(time, commit, q->store, text, end, &q->rev_opts, diag);

	if (error == KK_ENOTFOUND && !end && text && (text[0] == '@' || kk_rev_fiscal_year(text)) &&
	    q->head_history->count > 0) {
		kk_diag_clear(diag);
		*time = q->head_history->commits[0].time;
		*is_commit = 0;
		return 0;
	}
	if (error == KK_EINVALID)
		return name_param(diag, name);
	if (error < 0)
		return error;
	*is_commit = error;
	return 0;
}

/* Parameter `name` as a bound; *time is 0 and *is_commit 0 when it is absent. */
static int param_bound(int64_t *time, git_oid *commit, int *is_commit, query *q, const char *name,
		       int end, kk_diag *diag)
{
	const char *s;
	int error;

	*time = 0;
	*is_commit = 0;
	if ((error = param_string(&s, q, name, diag)) < 0 || !s)
		return error;
	return bound(time, commit, is_commit, q, s, name, end, diag);
}

/* Opens HEAD's history and resolves the revision named by parameter `name`. */
static int query_begin(query *q, kk_store *store, const json_t *params, const char *name,
		       const kk_query_env *env, kk_diag *diag)
{
	const char *rev = NULL;
	char *data = NULL;
	size_t len = 0;
	int error;

	q->store = store;
	q->params = params;
	q->rev_opts.utc_offset = env ? env->utc_offset : 0;
	q->budget = env ? env->budget : NULL;
	if (params && !json_is_object(params))
		return kk_diag_set(diag, KK_EINVALID, _("invalid parameters: expected an object"));
	if ((error = kk_store_resolve(&q->head, store, NULL, diag)) < 0 ||
	    (error = kk_query_memo_head(&q->head_history, &q->head_kept, env ? env->memo : NULL,
					store, &q->head, env && env->use_cache, diag)) < 0)
		return error;
	kk_history_set_budget(q->head_history, q->budget); /* and so its views' */
	q->rev_opts.history = q->head_history;
	if (kk_store_read(&data, &len, store, &q->head, KK_PATH_SETTINGS, NULL) == 0)
		kk_json_parse(&q->settings, data, len, NULL, NULL);
	free(data);
	if (name && (error = param_string(&rev, q, name, diag)) < 0)
		return error;
	if ((error = kk_rev_resolve(&q->rev, store, rev, &q->rev_opts, diag)) < 0)
		return error == KK_EINVALID && name ? name_param(diag, name) : error; /* @DATE */
	if (git_oid_equal(&q->rev, &q->head)) {
		q->history = q->head_history;
		return 0;
	}
	/* A revision on HEAD's chain is a view of its history; any other is read. */
	if ((error = kk_history_view(&q->history, q->head_history, &q->rev, NULL)) == 0 ||
	    error != KK_ENOTFOUND)
		return error == 0 ? 0 : kk_diag_set(diag, error, _("out of memory"));
	if ((error = kk_history_open(&q->history, store, &q->rev, env && env->use_cache, diag)) < 0)
		return error;
	kk_history_set_docs(q->history, q->head_history->docs);
	kk_history_set_budget(q->history, q->budget);
	return 0;
}

int kk_query_with_commit(json_t **out, json_t *result, const git_oid *commit, kk_diag *diag)
{
	if (!result ||
	    json_object_set_new(result, "commit", json_string(git_oid_tostr_s(commit))) < 0) {
		json_decref(result);
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	}
	*out = result;
	return 0;
}

/*
 * The log found nothing: when a filter names an item, a department or an
 * author the history has never seen, that is the user's mistake, not
 * "no changes".
 */
static int log_names(query *q, const kk_log_filter *f, kk_diag *diag)
{
	kk_log_filter alone = {0};
	json_t *any = NULL;
	int error;

	if ((error = check_item(q, "item", f->item, NULL, diag)) < 0)
		return error;
	if (f->department) {
		alone.department = f->department;
		if ((error = kk_history_log(&any, q->head_history, &alone, diag)) < 0)
			return error;
		error = json_array_size(any) ? 0 : check_department(q, "department",
								   f->department, diag);
		json_decref(any);
		if (error < 0)
			return error;
	}
	if (f->author) {
		memset(&alone, 0, sizeof(alone));
		alone.author = f->author;
		if ((error = kk_history_log(&any, q->head_history, &alone, diag)) < 0)
			return error;
		error = json_array_size(any) ? 0 : -1;
		json_decref(any);
		if (error < 0) {
			kk_diag_set(diag, KK_EINVALID, _("no commit of the plan is by '%s'"),
				    f->author);
			return name_param(diag, "author");
		}
	}
	return 0;
}

/* "max_commits": absent or null for all, else 1 or more. */
static int param_max_commits(size_t *out, const query *q, kk_diag *diag)
{
	const json_t *v = json_object_get(q->params, "max_commits");

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return kk_query_bad_param(diag, "max_commits", _("expected 1 or more commits"));
	*out = (size_t)json_integer_value(v);
	return 0;
}

static int do_log(json_t **out, query *q, kk_diag *diag)
{
	kk_log_filter f = {0};
	json_t *entries = NULL;
	git_oid since, until;
	int has_since, has_until, error;

	if ((error = param_item(&f.item, q, "item", 0, diag)) < 0 ||
	    (error = param_string(&f.file, q, "file", diag)) < 0 ||
	    (error = param_string(&f.department, q, "department", diag)) < 0 ||
	    (error = param_string(&f.author, q, "author", diag)) < 0 ||
	    (error = param_year(&f.year, q, "fy", 0, diag)) < 0 ||
	    (error = param_string(&f.field, q, "field", diag)) < 0 ||
	    (error = param_bound(&f.since, &since, &has_since, q, "since", 0, diag)) < 0 ||
	    (error = param_bound(&f.until, &until, &has_until, q, "until", 1, diag)) < 0)
		return error;
	f.since_commit = has_since ? &since : NULL;
	f.until_commit = has_until ? &until : NULL;
	/* HEAD's history, or a view of it, that a memo keeps (their table is one). */
	f.kept = q->head_kept && q->history->people == q->head_history->people;
	if ((error = param_max_commits(&f.max_commits, q, diag)) < 0)
		return error;
	if (f.file && strcmp(f.file, KK_PATH_SETTINGS) && strcmp(f.file, KK_PATH_DEPARTMENTS) &&
	    strcmp(f.file, KK_PATH_STRUCTURE) && !kk_item_path_parse(&(json_int_t){0}, f.file))
		return unknown_file(diag, f.file);
	/* Fields of the plan-wide files are theirs; those of items are checked. */
	if (f.field && (!f.file || kk_item_path_parse(&(json_int_t){0}, f.file)) &&
	    (error = check_field("field", f.field, diag)) < 0)
		return error;
	if ((error = kk_history_log(&entries, q->history, &f, diag)) < 0)
		return error;
	if (json_array_size(entries) == 0 && (error = log_names(q, &f, diag)) < 0) {
		json_decref(entries);
		return error;
	}
	return kk_query_with_commit(out, json_pack("{s:o}", "entries", entries), &q->rev, diag);
}

static int do_blame(json_t **out, query *q, kk_diag *diag)
{
	json_int_t id;
	int error;

	if ((error = param_item(&id, q, "id", 1, diag)) < 0)
		return error;
	return kk_history_blame(out, q->history, id, diag);
}

/*
 * plan.diff: from `from` to `to` (HEAD); with neither, the change HEAD made
 * (from its first parent, or from nothing for the first commit).
 */
static int do_diff(json_t **out, query *q, kk_diag *diag)
{
	const char *from_rev, *to_rev;
	kk_diff_filter filter = {0};
	git_oid from, to;
	int has_from = 1, error;

	if ((error = param_string(&from_rev, q, "from", diag)) < 0 ||
	    (error = param_string(&to_rev, q, "to", diag)) < 0 ||
	    (error = param_item(&filter.item, q, "item", 0, diag)) < 0 ||
	    (error = param_year(&filter.year, q, "fy", 0, diag)) < 0)
		return error;
	if (to_rev && !from_rev)
		return kk_query_bad_param(diag, "to", _("needs 'from'"));
	if ((error = kk_rev_resolve(&to, q->store, to_rev, &q->rev_opts, diag)) < 0)
		return error;
	if (from_rev) {
		if ((error = kk_rev_resolve(&from, q->store, from_rev, &q->rev_opts, diag)) < 0)
			return error;
	} else {
		git_commit *commit = NULL;

		if (git_commit_lookup(&commit, kk_store_repository(q->store), &to) < 0)
			return kk_diag_git(diag, KK_EIO, _("cannot read the history"));
		if ((has_from = git_commit_parentcount(commit) > 0))
			from = *git_commit_parent_id(commit, 0);
		git_commit_free(commit);
	}
	filter.budget = q->budget;
	if ((error = check_item(q, "item", filter.item,
				(const git_oid *[2]){has_from ? &from : NULL, &to}, diag)) < 0)
		return error;
	return kk_diff_commits(out, q->store, has_from ? &from : NULL, &to, &filter, diag);
}

static int load_plan(kk_plan **out, kk_fileset *files, query *q, kk_diag *diag)
{
	int error;

	if ((error = kk_store_read_all(files, q->store, &q->rev, diag)) < 0)
		return error;
	return kk_plan_load(out, files, diag);
}

/* Keeps the log entries of schedule fields, for --history. */
static int schedule_history(json_t **out, query *q, int year, kk_diag *diag)
{
	kk_log_filter f = {0};
	json_t *all = NULL, *kept = json_array(), *e;
	size_t i;
	int error;

	f.year = year;
	f.items_only = 1;
	if (!kept)
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	if ((error = kk_history_log(&all, q->history, &f, diag)) < 0) {
		json_decref(kept);
		return error;
	}
	json_array_foreach(all, i, e) {
		const char *path = json_string_value(json_object_get(e, "path"));

		if ((kk_history_field_matches("revised", path) ||
		     kk_history_field_matches("planned", path)) &&
		    json_array_append(kept, e) < 0)
			error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	}
	json_decref(all);
	if (error < 0) {
		json_decref(kept);
		return error;
	}
	*out = kept;
	return 0;
}

static int do_schedule(json_t **out, query *q, kk_diag *diag)
{
	kk_fileset files = {0};
	kk_plan *plan = NULL;
	json_t *result = NULL, *revisions = NULL;
	int year, changed, history, error;

	if ((error = param_year(&year, q, "fy", 0, diag)) < 0 ||
	    (error = kk_query_param_bool(&changed, q, "changed", diag)) < 0 ||
	    (error = kk_query_param_bool(&history, q, "history", diag)) < 0)
		return error;
	if ((error = load_plan(&plan, &files, q, diag)) < 0 ||
	    (error = kk_schedule_list(&result, q->history, plan, year, changed, diag)) < 0)
		goto done;
	if (history && ((error = schedule_history(&revisions, q, year, diag)) < 0 ||
			json_object_set_new(result, "revisions", revisions) < 0)) {
		error = error < 0 ? error : kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
		goto done;
	}
	error = kk_query_with_commit(out, result, &q->rev, diag);
	result = NULL;
done:
	json_decref(result);
	kk_plan_free(plan);
	kk_fileset_clear(&files);
	return error;
}

/*
 * The commit that opened fiscal year `year` for reporting: the last that
 * made it "open" in keikaku.json, or the plan's first commit when the year
 * was open from the start.  Returns 1 and sets *commit, 0 when there is
 * none (the year was never open), or an error.
 */
static int year_opened(git_oid *commit, query *q, int year, kk_diag *diag)
{
	kk_log_filter f = {0};
	json_t *entries = NULL, *e;
	char field[32];
	size_t i;
	int error, found = 0;

	snprintf(field, sizeof(field), "years.%d", year);
	f.file = KK_PATH_SETTINGS;
	if ((error = kk_history_log(&entries, q->history, &f, diag)) < 0)
		return error;
	/* Newest first: the last change to the year's state that opened it. */
	json_array_foreach(entries, i, e) {
		const char *path = json_string_value(json_object_get(e, "path"));
		const char *state = json_string_value(json_object_get(e, "new"));
		const char *file_change = json_string_value(json_object_get(e, "file_change"));

		if ((path && strcmp(path, field) == 0 && state && strcmp(state, "open") == 0) ||
		    (file_change && strcmp(file_change, "added") == 0)) {
			found = git_oid_fromstr(commit,
						json_string_value(json_object_get(e, "commit"))) == 0;
			break;
		}
	}
	json_decref(entries);
	return found;
}

/*
 * The start of plan.pending's period: "since" as a date (its first second)
 * or a revision (after its commit); by default the commit that opened the
 * year: an owner may report on a year only once it is open, and whatever
 * they report from then on counts, even before the year before is closed.
 * *opened says the period starts at that opening.
 */
static int pending_since(int64_t *since, git_oid *commit, int *has_commit, int *opened, query *q,
			 int year, kk_diag *diag)
{
	const char *text, *s = json_string_value(json_object_get(q->settings, "fiscal_year_start"));
	char hex[GIT_OID_HEXSZ + 1], date[16], start[8] = "04-01";
	int error;

	*opened = 0;
	if ((error = param_string(&text, q, "since", diag)) < 0)
		return error;
	if (!text) {
		if ((error = year_opened(commit, q, year, diag)) < 0)
			return error;
		if (error > 0) {
			*opened = 1;
			text = git_oid_tostr(hex, sizeof(hex), commit);
		} else {
			if (s && strlen(s) == 5)
				memcpy(start, s, 6);
			snprintf(date, sizeof(date), "%04d-%s", year, start);
			text = date;
		}
	}
	return bound(since, commit, has_commit, q, text, "since", 0, diag);
}

static int do_pending(json_t **out, query *q, kk_diag *diag)
{
	kk_fileset files = {0};
	kk_plan *plan = NULL;
	json_t *result = NULL;
	int64_t since;
	git_oid commit;
	int year, has_commit, opened, error;

	if ((error = param_year(&year, q, "fy", 1, diag)) < 0 ||
	    (error = pending_since(&since, &commit, &has_commit, &opened, q, year, diag)) < 0)
		return error;
	if ((error = load_plan(&plan, &files, q, diag)) == 0 &&
	    (error = kk_history_pending(&result, q->history, plan->items, plan->departments, year,
					since, has_commit ? &commit : NULL, diag)) == 0 &&
	    ((has_commit && json_object_set_new(result, "since_commit",
						json_string(git_oid_tostr_s(&commit))) < 0) ||
	     json_object_set_new(result, "since_reason",
				 json_string(opened	    ? "opened"
					     : has_commit   ? "revision"
					     : json_object_get(q->params, "since") ? "date"
										    : "year_start")) <
		     0)) {
		json_decref(result);
		error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	}
	if (error == 0)
		error = kk_query_with_commit(out, result, &q->rev, diag);
	kk_plan_free(plan);
	kk_fileset_clear(&files);
	return error;
}

int kk_query_run(json_t **out, kk_store *store, const char *method, const json_t *params,
		 const kk_query_env *env, kk_diag *diag)
{
	query q = {0};
	int error;

	if (!kk_query_handles(method))
		return kk_diag_set(diag, KK_EINVALID, _("unknown query '%s'"), method);
	if ((error = query_begin(&q, store, params, "rev", env, diag)) < 0)
		goto done;
	if (strcmp(method, "history.log") == 0)
		error = do_log(out, &q, diag);
	else if (strcmp(method, "history.blame") == 0)
		error = do_blame(out, &q, diag);
	else if (strcmp(method, "plan.diff") == 0)
		error = do_diff(out, &q, diag);
	else if (strcmp(method, "plan.schedule") == 0)
		error = do_schedule(out, &q, diag);
	else if (strcmp(method, "plan.pending") == 0)
		error = do_pending(out, &q, diag);
	else
		error = kk_query_verify(out, &q, diag);
done:
	query_clear(&q);
	return error;
}
