/*
 * import_row.c - placing one data row of a report table.
 *
 * The header says where columns should be, but real rows disagree: an extra
 * 施策 cell, one schedule cell instead of two, a row shifted by a cell.  So
 * a row is placed by its anchors, found by value: the 通番 and final 達成度
 * at its end, and its ◎○▲ marks.  The previous year's mark (the one
 * followed by a 達成度 word) fixes that year's four cells and, before
 * them, 関係課, 担当課, 項目 and the 施策 cells; this year's mark fixes its
 * result after it and its schedules before it; what is left between this
 * year's result and the 通番 is next year's 変更スケジュール.  The header
 * is used where a row has no mark to go by.  docs/data-model.md lists
 * every rule.
 */
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "import_cell.h"
#include "import_int.h"
#include "plan.h"

#define EXCERPT 24

/* Limits of the schemas, checked here so that a row's error names the row. */
#define TITLE_MAX	200
#define SCHEDULE_MAX	1000
#define RESULT_MAX	20000
#define DESCRIPTION_MAX 5000
#define NAME_MAX_CP	100
#define OWNERS_MAX	20
#define RELATED_MAX	50
#define NUMBER_MAX	99

/* A cell's text as a value: NULL when empty or a dash ("—": none). */
static const char *value(const char *s)
{
	return !s || !*s || kk_cell_is_dash(s) ? NULL : s;
}

static int nonempty(const imp_row *r, int i)
{
	return *imp_cell(r, i) != '\0';
}

int imp_row_prev_mark(const imp *x, const imp_row *r)
{
	int marks[2], n = 0;
	const char *code, *rest;

	for (int i = 0; i < r->count && n < 2; i++)
		if (kk_cell_is_symbol(r->cells[i]) && imp_mark_code(x, r->cells[i]))
			marks[n++] = i;
	if (n == 2)
		return marks[0];
	if (n == 1 && (kk_cell_achievement(imp_cell(r, marks[0] + 1)) ||
		       kk_cell_achievement_merged(&code, &rest, imp_cell(r, marks[0] + 1))))
		return marks[0];
	return -1;
}

/* The text of a row's cell for a message: quoted by the caller, cut short. */
static const char *excerpt(char *buf, size_t size, const char *s)
{
	kk_cell_excerpt(buf, size, s, EXCERPT);
	return buf;
}

/* What a row says about one fiscal year. */
typedef struct year_values {
	const char *planned, *revised, *progress, *achievement, *result;
} year_values;

typedef struct placed {
	long id;
	const char *status;
	int id_col;
	int prev_mark, mark; /* columns of the two 進捗度 marks, or -1 */
	const char *prev_code, *code;
	int title_col;
	year_values prev, cur;
	const char *next_revised;
	int merged;	    /* the previous year's 達成度 and result share a cell */
	int prev_from_dash; /* its 達成度 was a dash */
} placed;

/* Finds the 通番 and final 達成度 at the end of the row. */
static int place_end(imp *x, const imp_row *r, placed *p)
{
	int last = r->count - 1, prev;
	char buf[128];

	while (last >= 0 && !nonempty(r, last))
		last--;
	if (kk_cell_integer_achievement(&p->id, &p->status, imp_cell(r, last))) {
		p->id_col = last;
	} else if ((p->status = kk_cell_achievement(imp_cell(r, last)))) {
		prev = last - 1;
		while (prev >= 0 && !nonempty(r, prev))
			prev--;
		if (prev < 0 || !kk_cell_integer(&p->id, imp_cell(r, prev)))
			return imp_fail(x, r, _("no 通番 (item number)"));
		p->id_col = prev;
	} else if (kk_cell_integer(&p->id, imp_cell(r, last))) {
		return imp_fail(x, r, _("no final 達成度 after 通番 %ld"), p->id);
	} else {
		long id;

		prev = last - 1;
		while (prev >= 0 && !nonempty(r, prev))
			prev--;
		if (prev >= 0 && kk_cell_integer(&id, imp_cell(r, prev)))
			return imp_fail(x, r,
					_("unknown 達成度 '%s' (expected 導入完了, 取り下げ or —)"),
					excerpt(buf, sizeof(buf), imp_cell(r, last)));
		return imp_fail(x, r, _("no 通番 (item number)"));
	}
	if (p->id < 1 || p->id > KK_ITEM_ID_MAX)
		return imp_fail(x, r, _("通番 %ld is out of range (1 to %d)"), p->id,
				KK_ITEM_ID_MAX);
	return 0;
}

/* Finds the row's progress marks and tells the previous year's from this year's. */
static int place_marks(imp *x, const imp_table *t, const imp_row *r, placed *p)
{
	int cols[2], n = 0;
	const char *codes[2], *code, *rest;
	char buf[128];

	p->prev_mark = p->mark = -1;
	for (int i = 0; i < p->id_col; i++) {
		if (!kk_cell_is_symbol(imp_cell(r, i)))
			continue;
		if (!(code = imp_mark_code(x, imp_cell(r, i))))
			return imp_fail(x, r, _("unknown 進捗度 '%s' (expected ◎, ○ or ▲)"),
					excerpt(buf, sizeof(buf), imp_cell(r, i)));
		if (n == 2)
			return imp_fail(x, r, _("more than two 進捗度 marks"));
		cols[n] = i;
		codes[n++] = code;
	}
	if (n == 2) {
		p->prev_mark = cols[0], p->prev_code = codes[0];
		p->mark = cols[1], p->code = codes[1];
	} else if (n == 1) {
		const char *next = imp_cell(r, cols[0] + 1);
		int to_prev = abs(cols[0] - (t->prev_progress + t->offset));
		int to_cur = abs(cols[0] - (t->progress + t->offset));

		if (kk_cell_achievement(next) || kk_cell_achievement_merged(&code, &rest, next) ||
		    to_prev <= to_cur)
			p->prev_mark = cols[0], p->prev_code = codes[0];
		else
			p->mark = cols[0], p->code = codes[0];
	}
	return 0;
}

/*
 * The previous year's cells: 計画スケジュール, 進捗度, 達成度, 取組内容または結果,
 * at the mark or, without one, where the table's rows have them.  Sets
 * *end to the column after them.
 */
static int place_previous(imp *x, const imp_table *t, const imp_row *r, placed *p, int *end)
{
	int at = p->prev_mark >= 0 ? p->prev_mark : t->prev_progress + t->offset;
	const char *cell, *code, *rest;
	char buf[128];

	if (p->prev_mark < 0 && at == p->mark) {
		/* The only mark is where the previous year's goes. */
		p->prev_mark = p->mark, p->prev_code = p->code;
		p->mark = -1, p->code = NULL;
	}
	if (at < 0 || at >= p->id_col)
		return imp_fail(x, r,
				_("cannot place the row: no 進捗度 mark where the header "
				  "expects one"));
	if (p->prev_mark < 0 && nonempty(r, at))
		return imp_fail(x, r, _("unknown 進捗度 '%s' (expected ◎, ○ or ▲)"),
				excerpt(buf, sizeof(buf), imp_cell(r, at)));
	p->prev.planned = value(imp_cell(r, at - 1));
	p->prev.progress = p->prev_mark >= 0 ? p->prev_code : NULL;
	*end = at + 1;
	cell = at + 1 < p->id_col ? imp_cell(r, at + 1) : "";
	if (!*cell) {
		*end = at + 2;
	} else if ((code = kk_cell_achievement(cell))) {
		p->prev.achievement = code;
		p->prev_from_dash = kk_cell_is_dash(cell);
		*end = at + 2;
	} else if (kk_cell_achievement_merged(&code, &rest, cell)) {
		p->prev.achievement = code;
		p->prev_from_dash = kk_cell_is_dash(cell);
		p->prev.result = value(rest);
		p->merged = 1;
		*end = at + 2;
		goto done;
	} else {
		return imp_fail(x, r, _("unknown 達成度 '%s' (expected 導入完了, 取り下げ or —)"),
				excerpt(buf, sizeof(buf), cell));
	}
	if (*end < p->id_col) {
		p->prev.result = value(imp_cell(r, *end));
		(*end)++;
	}
done:
	p->title_col = at - 4;
	if (p->title_col < 0) {
		char year[32];

		return imp_fail(x, r, _("cannot place the row: too few cells before %s's columns"),
				imp_year_name(x, x->year - 1, year, sizeof(year)));
	}
	if (p->mark >= 0 && p->mark < *end)
		return imp_fail(x, r, _("cannot place '%s' (column %d)"), imp_cell(r, p->mark),
				p->mark + 1);
	return 0;
}

/* Sets one field from the header's column, refusing a second value for it. */
static int place_by_header(imp *x, const imp_table *t, const imp_row *r, placed *p, int col, int hc)
{
	int kind = hc >= 0 && hc < t->columns ? t->kind[hc] : COL_NONE;
	int fy = hc >= 0 && hc < t->columns ? t->fy[hc] : 0;
	const char **slot = NULL;
	char buf[128];

	if (fy == x->year && kind == COL_PLANNED)
		slot = &p->cur.planned;
	else if (fy == x->year && kind == COL_REVISED)
		slot = &p->cur.revised;
	else if (fy == x->year && kind == COL_RESULT)
		slot = &p->cur.result;
	else if (fy == x->year + 1)
		slot = &p->next_revised;
	else if (fy == x->year && kind == COL_PROGRESS)
		return imp_fail(x, r, _("unknown 進捗度 '%s' (expected ◎, ○ or ▲)"),
				excerpt(buf, sizeof(buf), imp_cell(r, col)));
	if (!slot || *slot)
		return imp_fail(x, r, _("cannot place '%s' (column %d)"),
				excerpt(buf, sizeof(buf), imp_cell(r, col)), col + 1);
	*slot = value(imp_cell(r, col));
	return 0;
}

/*
 * This year's cells and next year's revised schedule, from column `start`
 * to the 通番.  Between the previous year's result and this year's mark are
 * its schedules: two cells are 計画 and 変更; a single one is 変更 when the
 * item was behind the year before (a carry-over) and 計画 otherwise.
 */
static int place_current(imp *x, const imp_table *t, const imp_row *r, placed *p, int start)
{
	char buf[128];
	int error;

	if (p->mark < 0) {
		int virtual = p->merged ? start : start - 1; /* the previous result's column */

		for (int i = start; i < p->id_col; i++)
			if (nonempty(r, i) &&
			    (error = place_by_header(x, t, r, p, i,
						     t->prev_result + (i - virtual))))
				return error;
		return 0;
	}
	{
		int cells[3], n = 0, count = p->mark - start;

		for (int i = start; i < p->mark; i++) {
			if (!nonempty(r, i))
				continue;
			if (n == 2)
				return imp_fail(x, r, _("cannot place '%s' (column %d)"),
						excerpt(buf, sizeof(buf), imp_cell(r, i)), i + 1);
			cells[n++] = i;
		}
		if (count == 2 && n > 0) {
			p->cur.planned = value(imp_cell(r, start));
			p->cur.revised = value(imp_cell(r, start + 1));
		} else if (n == 2) {
			p->cur.planned = value(imp_cell(r, cells[0]));
			p->cur.revised = value(imp_cell(r, cells[1]));
		} else if (n == 1) {
			const char *v = value(imp_cell(r, cells[0]));

			if (p->prev.progress && strcmp(p->prev.progress, "behind") == 0)
				p->cur.revised = v;
			else
				p->cur.planned = v;
		}
	}
	p->cur.progress = p->code;
	if (p->mark + 1 < p->id_col)
		p->cur.result = value(imp_cell(r, p->mark + 1));
	for (int i = p->mark + 2, seen = 0; i < p->id_col; i++) {
		if (!nonempty(r, i))
			continue;
		if (seen++)
			return imp_fail(x, r, _("cannot place '%s' (column %d)"),
					excerpt(buf, sizeof(buf), imp_cell(r, i)), i + 1);
		p->next_revised = value(imp_cell(r, i));
	}
	return 0;
}

/* The measure of the row: its 施策 cells, or the one above when they are empty. */
static int place_measure(imp *x, const imp_row *r, const placed *p, char *key, size_t size,
			 int *measure_out)
{
	const char *cells[4], *rest, *title, *description = NULL;
	int n = 0, number, cols[4];
	json_t *m;
	char buf[128], buf2[128], circled[16];

	for (int i = 0; i < p->title_col; i++) {
		if (!nonempty(r, i))
			continue;
		if (n == 3)
			return imp_fail(x, r, _("cannot place '%s' (column %d)"),
					excerpt(buf, sizeof(buf), imp_cell(r, i)), i + 1);
		cols[n] = i;
		cells[n++] = imp_cell(r, i);
	}
	if (n == 0) {
		if (x->measure_broken)
			return imp_fail(x, r, _("the 施策 above (row %zu) could not be read"),
					x->measure_broken);
		if (!x->measure[0])
			return imp_fail(x, r, _("no 施策 (measure) on this row or above it"));
		snprintf(key, size, "%s", x->measure);
		sscanf(strrchr(key, '/') + 1, "%d", measure_out);
		return 0;
	}
	if (!kk_cell_measure_number(&number, &rest, cells[0]))
		return imp_fail(x, r, _("施策 '%s' has no number"),
				excerpt(buf, sizeof(buf), cells[0]));
	kk_circled_number(circled, sizeof(circled), number);
	if (number < 1 || number > NUMBER_MAX)
		return imp_fail(x, r, _("施策 number %d is out of range (1 to %d)"), number,
				NUMBER_MAX);
	if (*rest) {
		title = rest;
		if (n > 2)
			return imp_fail(x, r, _("cannot place '%s' (column %d)"),
					excerpt(buf, sizeof(buf), cells[2]), cols[2] + 1);
		description = n > 1 ? cells[1] : NULL;
	} else {
		if (n < 2)
			return imp_fail(x, r, _("施策 %s has no title"), circled);
		title = cells[1];
		description = n > 2 ? cells[2] : NULL;
	}
	if (kk_cell_length(title) > TITLE_MAX)
		return imp_fail(x, r, _("%s is %zu characters long (at most %d)"), "施策",
				kk_cell_length(title), TITLE_MAX);
	if (description && kk_cell_length(description) > DESCRIPTION_MAX)
		return imp_fail(x, r, _("%s is %zu characters long (at most %d)"), "施策の内容",
				kk_cell_length(description), DESCRIPTION_MAX);
	snprintf(key, size, "%d/%d/%d", x->pillar, x->section, number);
	if ((m = json_object_get(x->measures, key))) {
		const char *had = json_string_value(json_object_get(m, "title"));
		const char *had_description = json_string_value(json_object_get(m, "description"));
		size_t line = (size_t)json_integer_value(json_object_get(m, "line"));

		if (strcmp(had, title) != 0)
			return imp_fail(x, r, _("施策 %s is '%s' here but '%s' on row %zu"),
					circled, excerpt(buf, sizeof(buf), title),
					excerpt(buf2, sizeof(buf2), had), line);
		if (description && had_description && strcmp(description, had_description) != 0)
			return imp_fail(x, r, _("施策 %s has another 施策の内容 on row %zu"),
					circled, line);
		if (description && !had_description &&
		    json_object_set_new(m, "description", json_string(description)) < 0)
			return KK_ENOMEM;
	} else {
		m = json_pack("{s:s, s:I}", "title", title, "line", (json_int_t)r->line);
		if (!m ||
		    (description &&
		     json_object_set_new(m, "description", json_string(description)) < 0) ||
		    json_object_set_new(x->measures, key, m) < 0)
			return KK_ENOMEM;
	}
	*measure_out = number;
	return 0;
}

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

/* Builds the item of a placed row and adds it. */
static int add_item(imp *x, const imp_row *r, placed *p, int measure, const char *measure_key)
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
	if (kk_cell_departments(owners, imp_cell(r, p->title_col + 1)) < 0 ||
	    kk_cell_departments(related, imp_cell(r, p->title_col + 2)) < 0) {
		error = KK_ENOMEM;
		goto done;
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
		    0) {
		error = KK_ENOMEM;
		goto done;
	}
	error = 0;
done:
	json_decref(item);
	json_decref(years);
	json_decref(owners);
	json_decref(related);
	free(title);
	return error;
}

int imp_place_row(imp *x, const imp_table *t, const imp_row *r)
{
	placed p = {0};
	char key[16];
	int error, end = 0, measure = 0, measure_known = 0;

	if (t->problem[0]) {
		error = imp_fail(x, r, "%s", t->problem);
		goto done;
	}
	if ((error = place_end(x, r, &p)) != 0 || (error = place_marks(x, t, r, &p)) != 0 ||
	    (error = place_previous(x, t, r, &p, &end)) != 0)
		goto done;
	error = place_measure(x, r, &p, key, sizeof(key), &measure);
	if (error != 0)
		goto done;
	measure_known = 1;
	snprintf(x->measure, sizeof(x->measure), "%s", key);
	x->measure_broken = 0;
	if ((error = place_current(x, t, r, &p, end)) != 0 ||
	    (error = add_item(x, r, &p, measure, key)) != 0)
		goto done;
done:
	/*
	 * A row that fails before its 施策 cells were read may have started a
	 * new measure: the rows below it cannot be taken to belong to the one
	 * above.
	 */
	if (error > 0 && !measure_known && (nonempty(r, 0) || nonempty(r, 1))) {
		x->measure[0] = '\0';
		x->measure_broken = r->line;
	}
	return error;
}
