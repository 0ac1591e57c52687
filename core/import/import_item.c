/*
 * import_item.c - the item of a placed row: its fields checked against the
 * schemas' limits (so that an error names the row), an 【R3追加】 marker,
 * the corrections file's fields; and how each row was read, for --explain.
 */
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "import_row.h"
#include "plan.h"

/* Strips an 【R3追加】 marker from the title; *added_out gets its year, or 0. */
static int place_added(imp *x, const imp_row *r, char *title, int *added_out)
{
	char *open, *close, inner[128], buf[160];
	size_t n;
	int year;
	kk_diag diag = {0};

	*added_out = 0;
	for (open = strstr(title, "【"); open; open = strstr(close, "【")) {
		if (!(close = strstr(open, "】")))
			return 0;
		n = (size_t)(close - open - strlen("【"));
		snprintf(buf, sizeof(buf), "%.*s", (int)(close + strlen("】") - open), open);
		if (n >= sizeof(inner))
			continue;
		memcpy(inner, open + strlen("【"), n);
		inner[n] = '\0';
		kk_cell_compact(inner, sizeof(inner), inner);
		n = strlen(inner);
		if (n <= strlen("追加") || strcmp(inner + n - strlen("追加"), "追加") != 0)
			continue;
		inner[n - strlen("追加")] = '\0';
		if (kk_fy_parse(&year, inner, x->settings, &diag) < 0)
			return imp_fail(x, r, _("'%s' does not name a fiscal year"), buf);
		if (year > x->year + 1)
			return imp_fail(x, r, _("'%s' is after the years of the report"), buf);
		memmove(open, close + strlen("】"), strlen(close + strlen("】")) + 1);
		/* Trim what the marker leaves around it. */
		{
			char *clean = kk_cell_clean(title);

			if (!clean)
				return KK_ENOMEM;
			strcpy(title, clean);
			free(clean);
		}
		*added_out = year;
		return 0;
	}
	return 0;
}

static int year_empty(const year_values *v)
{
	return !v->planned && !v->revised && !v->progress && !v->achievement && !v->result;
}

/* Checks the lengths of a year's texts. */
static int check_year(imp *x, const imp_row *r, const year_values *v)
{
	const struct {
		const char *text, *label;
		size_t max;
	} texts[] = {
		{v->planned, "計画スケジュール", SCHEDULE_MAX},
		{v->revised, "変更スケジュール", SCHEDULE_MAX},
		{v->result, "取組内容または結果", RESULT_MAX},
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++)
		if (texts[i].text && kk_cell_length(texts[i].text) > texts[i].max)
			return imp_fail(x, r, _("%s is %zu characters long (at most %d)"),
					texts[i].label, kk_cell_length(texts[i].text),
					(int)texts[i].max);
	return 0;
}

static json_t *year_json(const year_values *v)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	if ((v->planned && json_object_set_new(o, "planned", json_string(v->planned)) < 0) ||
	    (v->revised && json_object_set_new(o, "revised", json_string(v->revised)) < 0) ||
	    (v->progress && json_object_set_new(o, "progress", json_string(v->progress)) < 0) ||
	    (v->achievement &&
	     json_object_set_new(o, "achievement", json_string(v->achievement)) < 0) ||
	    (v->result && json_object_set_new(o, "result", json_string(v->result)) < 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int check_departments(imp *x, const imp_row *r, const json_t *names, const char *label,
			     size_t max)
{
	size_t i;
	json_t *v;

	if (json_array_size(names) > max)
		return imp_fail(x, r, _("too many %s (%zu; at most %zu)"), label,
				json_array_size(names), max);
	json_array_foreach(names, i, v)
		if (kk_cell_length(json_string_value(v)) > NAME_MAX_CP)
			return imp_fail(x, r, _("%s is %zu characters long (at most %d)"), label,
					kk_cell_length(json_string_value(v)), NAME_MAX_CP);
	return 0;
}

/* Adds `names` to the department names known, which later rows are read by. */
static int learn_departments(imp *x, const json_t *names)
{
	size_t i;
	json_t *v;

	json_array_foreach(names, i, v)
		if (json_object_set_new(x->known, json_string_value(v), json_true()) < 0)
			return -1;
	return 0;
}

int imp_add_item(imp *x, const imp_row *r, placed *p, int measure, const char *measure_key)
{
	json_t *item = NULL, *owners = json_array(), *related = json_array(), *years = NULL, *y;
	char *title = strdup(imp_cell(r, p->title_col)), idkey[16], fy[8], name[32], name2[32];
	int added = 0, error;
	year_values next = {0};

	if (!title || !owners || !related) {
		error = KK_ENOMEM;
		goto done;
	}
	if ((error = place_added(x, r, title, &added)) != 0)
		goto done;
	if (!value(title)) {
		error = imp_fail(x, r, _("no 項目 (item title)"));
		goto done;
	}
	if (kk_cell_length(title) > TITLE_MAX) {
		error = imp_fail(x, r, _("%s is %zu characters long (at most %d)"), "項目",
				 kk_cell_length(title), TITLE_MAX);
		goto done;
	}
	if (kk_cell_departments(owners, imp_cell(r, p->owner_col)) < 0 ||
	    kk_cell_departments(related, imp_cell(r, p->related_col)) < 0) {
		error = KK_ENOMEM;
		goto done;
	}
	if (json_array_size(owners) == 0 && !nonempty(r, p->owner_col) && x->last_owners) {
		/* An empty 担当課 under an item's: the cell was merged with the one above. */
		if (json_array_extend(owners, x->last_owners) < 0) {
			error = KK_ENOMEM;
			goto done;
		}
		read_as(p, F_OWNERS, p->owner_col,
			imp_merged_above(r, p->owner_col)
				? N_("merged with the cell above in the workbook: the 担当課 of the "
				     "row above")
				: N_("empty, under an item of this table: the 担当課 of the row above "
				     "(a merged cell)"));
	}
	if (json_array_size(owners) == 0) {
		error = imp_fail(x, r, _("no 担当課 (owner department)"));
		goto done;
	}
	if ((error = check_departments(x, r, owners, "担当課", OWNERS_MAX)) != 0 ||
	    (error = check_departments(x, r, related, "関係課", RELATED_MAX)) != 0 ||
	    (error = check_year(x, r, &p->prev)) != 0 || (error = check_year(x, r, &p->cur)) != 0)
		goto done;
	next.revised = p->next_revised;
	if ((error = check_year(x, r, &next)) != 0)
		goto done;
	/* An item added mid-plan has nothing for the years before (a dash is nothing). */
	if (added) {
		year_values prev = p->prev;

		if (p->prev_from_dash && !prev.planned && !prev.progress && !prev.result)
			prev.achievement = NULL;
		if ((added >= x->year && !year_empty(&prev)) ||
		    (added > x->year && !year_empty(&p->cur))) {
			int had = added >= x->year && !year_empty(&prev) ? x->year - 1 : x->year;

			error = imp_fail(x, r, _("the item is added in %s but has entries for %s"),
					 imp_year_name(x, added, name, sizeof(name)),
					 imp_year_name(x, had, name2, sizeof(name2)));
			goto done;
		}
		p->prev = prev;
	}
	snprintf(idkey, sizeof(idkey), "%ld", p->id);
	if (json_object_get(x->ids, idkey)) {
		error = imp_fail(x, r, _("duplicate 通番 %ld (also on row %zu)"), p->id,
				 (size_t)json_integer_value(json_object_get(x->ids, idkey)));
		goto done;
	}
	if (!(years = json_object())) {
		error = KK_ENOMEM;
		goto done;
	}
	{
		const year_values *list[3] = {&p->prev, &p->cur, &next};

		for (int i = 0; i < 3; i++) {
			if (year_empty(list[i]))
				continue;
			snprintf(fy, sizeof(fy), "%d", x->year - 1 + i);
			if (!(y = year_json(list[i])) || json_object_set_new(years, fy, y) < 0) {
				error = KK_ENOMEM;
				goto done;
			}
		}
	}
	item = json_pack("{s:I, s:i, s:i, s:i, s:s, s:O, s:O, s:s, s:O}", "id", (json_int_t)p->id,
			 "pillar", x->pillar, "section", x->section, "measure", measure, "title",
			 title, "owners", owners, "related", related, "status", p->status, "years",
			 years);
	if (!item) {
		error = KK_ENOMEM;
		goto done;
	}
	if (added) {
		snprintf(fy, sizeof(fy), "%d", added);
		if (json_object_set_new(item, "added_in", json_string(fy)) < 0) {
			error = KK_ENOMEM;
			goto done;
		}
	}
	if (json_array_append(x->items, item) < 0 ||
	    json_object_set_new(x->ids, idkey, json_integer((json_int_t)r->line)) < 0 ||
	    json_object_set_new(json_object_get(x->measures, measure_key), "used", json_true()) <
		    0 ||
	    learn_departments(x, owners) < 0 || learn_departments(x, related) < 0) {
		error = KK_ENOMEM;
		goto done;
	}
	json_decref(x->last_owners);
	x->last_owners = json_incref(owners);
	x->last_owners_line = r->line;
	error = 0;
done:
	json_decref(item);
	json_decref(years);
	json_decref(owners);
	json_decref(related);
	free(title);
	return error;
}

/* The JSON path and the report's own name of field `f`, for --explain. */
static void field_names(const imp *x, int f, char *path, size_t psize, char *label, size_t lsize)
{
	static const struct {
		const char *path, *label;
		int year; /* 0: none; 1, 2, 3: the report's previous, own, next year */
	} fields[F_COUNT] = {
		[F_MEASURE] = {"measure", "施策", 0},
		[F_MEASURE_TITLE] = {"measure.title", "施策", 0},
		[F_DESCRIPTION] = {"measure.description", "施策の内容", 0},
		[F_TITLE] = {"title", "項目", 0},
		[F_OWNERS] = {"owners", "担当課", 0},
		[F_RELATED] = {"related", "関係課", 0},
		[F_PREV_PLANNED] = {"planned", "計画スケジュール", 1},
		[F_PREV_PROGRESS] = {"progress", "進捗度", 1},
		[F_PREV_ACHIEVEMENT] = {"achievement", "達成度", 1},
		[F_PREV_RESULT] = {"result", "取組内容または結果", 1},
		[F_PLANNED] = {"planned", "計画スケジュール", 2},
		[F_REVISED] = {"revised", "変更スケジュール", 2},
		[F_PROGRESS] = {"progress", "進捗度", 2},
		[F_RESULT] = {"result", "取組内容または結果", 2},
		[F_NEXT_REVISED] = {"revised", "変更スケジュール", 3},
		[F_ID] = {"id", "通番", 0},
		[F_STATUS] = {"status", "達成度", 0},
	};
	char year[32];

	if (!fields[f].year) {
		snprintf(path, psize, "%s", fields[f].path);
		snprintf(label, lsize, "%s", fields[f].label);
		return;
	}
	snprintf(path, psize, "years.%d.%s", x->year - 2 + fields[f].year, fields[f].path);
	snprintf(label, lsize, "%s %s",
		 imp_year_name(x, x->year - 2 + fields[f].year, year, sizeof(year)),
		 fields[f].label);
}

json_t *imp_reading(const imp *x, const imp_row *r, const placed *p, int failed)
{
	json_t *cells = json_array();
	int order[F_COUNT], n = 0;

	for (int f = 0; f < F_COUNT; f++)
		if (p->why[f])
			order[n++] = f;
	/* By column, then in the order of the fields (a stable insertion sort). */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && p->col[order[j - 1]] > p->col[order[j]]; j--) {
			int f = order[j];

			order[j] = order[j - 1];
			order[j - 1] = f;
		}
	for (int i = 0; cells && i < n; i++) {
		int f = order[i], col = p->col[f];
		char path[64], label[96];
		json_t *e;

		field_names(x, f, path, sizeof(path), label, sizeof(label));
		e = json_pack("{s:i, s:s, s:s, s:s, s:s}", "column", col + 1, "text",
			      imp_cell(r, col), "field", path, "label", label, "why", _(p->why[f]));
		if (!e || json_array_append_new(cells, e) < 0) {
			json_decref(cells);
			return NULL;
		}
	}
	for (int col = 0; failed && cells && col < r->count; col++) {
		int read = 0;
		json_t *e;

		for (int f = 0; f < F_COUNT; f++)
			read |= p->why[f] && p->col[f] == col;
		if (read || !nonempty(r, col))
			continue;
		e = json_pack("{s:i, s:s, s:s, s:s, s:s}", "column", col + 1, "text",
			      imp_cell(r, col), "field", "", "label", "", "why",
			      _("not read: the row could not be placed"));
		if (!e || json_array_append_new(cells, e) < 0) {
			json_decref(cells);
			return NULL;
		}
	}
	return cells;
}

int imp_fix_is_whole(const json_t *fix)
{
	const json_t *set = json_object_get(fix, "set");

	return json_object_get(set, "id") && json_object_get(set, "title") &&
	       json_object_get(set, "owners") && json_object_get(set, "status");
}

int imp_item_from_fix(imp *x, const imp_row *r, const json_t *fix, json_t *cells)
{
	const json_t *set = json_object_get(fix, "set");
	json_int_t id = json_integer_value(json_object_get(set, "id"));
	int measure = 0, error;
	json_t *item, *m;
	char key[32], idkey[16];

	if (json_object_get(set, "measure"))
		measure = (int)json_integer_value(json_object_get(set, "measure"));
	else if (x->measure[0] && !x->measure_broken)
		sscanf(strrchr(x->measure, '/') + 1, "%d", &measure);
	/* The problem the row was reported with is answered by the corrections. */
	x->problems->count--;
	x->failed--;
	if (!measure)
		return imp_fail(x, r,
				_("the corrections give the row's item, but not its "
				  "'measure', and there is no 施策 above it"));
	snprintf(idkey, sizeof(idkey), "%lld", (long long)id);
	if (json_object_get(x->ids, idkey))
		return imp_fail(x, r, _("duplicate 通番 %ld (also on row %zu)"), (long)id,
				(size_t)json_integer_value(json_object_get(x->ids, idkey)));
	snprintf(key, sizeof(key), "%d/%d/%d", x->pillar, x->section, measure);
	if (!json_object_get(set, "measure") && (m = json_object_get(x->measures, key)) &&
	    json_object_set_new(m, "used", json_true()) < 0)
		return KK_ENOMEM;
	item = json_pack("{s:I, s:i, s:i, s:i, s:s, s:[], s:[], s:s, s:{}}", "id", id, "pillar",
			 x->pillar, "section", x->section, "measure", measure, "title", "",
			 "owners", "related", "status", "open", "years");
	if (!item)
		return KK_ENOMEM;
	if ((error = imp_fix_apply(x, r, item, fix, cells)) != 0) {
		json_decref(item);
		return error;
	}
	if (json_array_append_new(x->items, item) < 0 ||
	    learn_departments(x, json_object_get(item, "owners")) < 0 ||
	    learn_departments(x, json_object_get(item, "related")) < 0)
		return KK_ENOMEM;
	return 0;
}

int imp_apply_fixes(imp *x, const imp_row *r, long id, json_t *cells)
{
	json_t *item = json_array_get(x->items, json_array_size(x->items) - 1);
	const json_t *by_row = imp_fix_row(x, r);
	const json_t *by_id = imp_fix_find(x, "id", id);
	int error = 0;

	if (by_row && json_object_get(by_row, "set"))
		error = imp_fix_apply(x, r, item, by_row, cells);
	if (!error && by_id)
		error = imp_fix_apply(x, r, item, by_id, cells);
	if (error > 0) { /* the item stays out: its row is reported */
		char idkey[16];

		snprintf(idkey, sizeof(idkey), "%ld", id);
		json_object_del(x->ids, idkey);
		json_array_remove(x->items, json_array_size(x->items) - 1);
	}
	return error;
}

int imp_explain(imp *x, const imp_row *r, const char *what, json_t *cells, long id, int failed)
{
	json_t *e;

	if (!x->explain) {
		json_decref(cells);
		return 0;
	}
	if (!(e = json_pack("{s:I}", "row", (json_int_t)r->line))) {
		json_decref(cells);
		return KK_ENOMEM;
	}
	if ((cells && json_object_set_new(e, "cells", cells) < 0) ||
	    (r->sheet && json_object_set_new(e, "sheet", json_string(r->sheet)) < 0) ||
	    (what && json_object_set_new(e, "what", json_string(what)) < 0) ||
	    (id && json_object_set_new(e, "id", json_integer(id)) < 0) ||
	    (failed && x->problems->count &&
	     json_object_set_new(e, "problem",
				 json_string(x->problems->items[x->problems->count - 1].message)) <
		     0)) {
		json_decref(e);
		return KK_ENOMEM;
	}
	/* It takes `e` whether it succeeds or not. */
	return json_array_append_new(x->explain, e) < 0 ? KK_ENOMEM : 0;
}

static int by_row(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "row"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "row"));

	return (x > y) - (x < y);
}

/*
 * Hands the rows' readings to the caller in the file's order (a table's
 * rows are read when the table ends, after the notes inside it).
 */
int imp_explain_out(imp *x)
{
	size_t n = json_array_size(x->explain);
	json_t **list = calloc(n ? n : 1, sizeof(*list));

	if (!list)
		return -1;
	for (size_t i = 0; i < n; i++)
		list[i] = json_array_get(x->explain, i);
	/* An insertion sort: nearly in order already, and a row's entries keep theirs. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && by_row(&list[j - 1], &list[j]) > 0; j--) {
			json_t *e = list[j];

			list[j] = list[j - 1];
			list[j - 1] = e;
		}
	for (size_t i = 0; i < n; i++)
		if (json_array_append(x->opts->explain, list[i]) < 0) {
			free(list);
			return -1;
		}
	free(list);
	return 0;
}
