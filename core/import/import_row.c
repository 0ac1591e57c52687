/*
 * import_row.c - placing one data row of a report table.
 *
 * The header says where columns should be, but real rows disagree: an extra
 * 施策 cell, a 施策の内容 between the 施策 and the item, one schedule cell
 * instead of two, a row shifted by a cell or two, an item added mid-year
 * written from the first column.  So a row is read as a person reads it,
 * by what its cells hold: the 通番 and final 達成度 at its end, its ◎○▲
 * marks, a 達成度 word after the previous year's mark, department names,
 * a 【R3追加】 marker on the item's title.  The previous year's mark fixes
 * that year's cells; department names fix 担当課, with 項目 before and 関係課
 * after; this year's mark fixes its result after it and its schedules
 * before it; what is left between this year's result and the 通番 is next
 * year's 変更スケジュール.  The header and the rows around it are used
 * where a row has nothing better to go by: a row without a mark has its
 * cells where its table's rows have them, an empty 施策 or 担当課 is the
 * one of the row above (a merged cell).  Every choice is recorded with its
 * reason, for `keikaku import --explain`.  docs/data-model.md lists every
 * rule.
 */#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "import_row.h"
#include "plan.h"

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

/* Finds the 通番 and final 達成度 at the end of the row. */
static int place_end(imp *x, const imp_row *r, placed *p)
{
	int last = r->count - 1, prev;
	char buf[128];

	while (last >= 0 && !nonempty(r, last))
		last--;
	if (kk_cell_integer_achievement(&p->id, &p->status, imp_cell(r, last))) {
		p->id_col = last;
		read_as(p, F_ID, last,
			N_("a number and a 達成度 word in one cell, last in the row"));
		read_as(p, F_STATUS, last,
			N_("a number and a 達成度 word in one cell, last in the row"));
	} else if ((p->status = kk_cell_achievement(imp_cell(r, last)))) {
		prev = last - 1;
		while (prev >= 0 && !nonempty(r, prev))
			prev--;
		if (prev < 0 || !kk_cell_integer(&p->id, imp_cell(r, prev)))
			return imp_fail(x, r, _("no 通番 (item number)"));
		p->id_col = prev;
		read_as(p, F_ID, prev, N_("a number just before the final 達成度"));
		read_as(p, F_STATUS, last, N_("a 達成度 word, the row's last filled cell"));
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

/* Tells whether `s` holds an 【…追加】 marker, as only an item's title does. */
static int has_added_marker(const char *s)
{
	const char *open = strstr(s, "【"), *close = open ? strstr(open, "】") : NULL;

	return close && close - open > (ptrdiff_t)strlen("【追加") &&
	       memcmp(close - strlen("追加"), "追加", strlen("追加")) == 0;
}

/* The first cell before the 通番 with an 【…追加】 marker: the 項目, wherever it stands. */
static void place_anchor(const imp_row *r, placed *p)
{
	p->anchor = -1;
	for (int i = 0; i < p->id_col; i++)
		if (has_added_marker(imp_cell(r, i))) {
			p->anchor = i;
			return;
		}
}

/*
 * How far right of the header this row's cells sit: the 項目 found by its
 * marker says it for the row; otherwise the table's rows do.
 */
static int row_shift(const imp_table *t, const placed *p)
{
	return p->anchor >= 0 ? p->anchor - t->title : t->offset;
}

/* Finds the row's progress marks and tells the previous year's from this year's. */
static int place_marks(imp *x, const imp_table *t, const imp_row *r, placed *p)
{
	int cols[2], n = 0, shift = row_shift(t, p);
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
		read_as(p, F_PREV_PROGRESS, cols[0], N_("the first of the row's two 進捗度 marks"));
		read_as(p, F_PROGRESS, cols[1], N_("the second of the row's two 進捗度 marks"));
	} else if (n == 1) {
		const char *next = imp_cell(r, cols[0] + 1);
		int to_prev = abs(cols[0] - (t->prev_progress + shift));
		int to_cur = abs(cols[0] - (t->progress + shift));

		if (kk_cell_achievement(next) || kk_cell_achievement_merged(&code, &rest, next)) {
			p->prev_mark = cols[0], p->prev_code = codes[0];
			read_as(p, F_PREV_PROGRESS, cols[0],
				N_("a 進捗度 mark followed by a 達成度 word"));
		} else if (to_prev <= to_cur) {
			p->prev_mark = cols[0], p->prev_code = codes[0];
			read_as(p, F_PREV_PROGRESS, cols[0],
				N_("the row's only 進捗度 mark, nearer the previous year's column "
				   "than this year's"));
		} else {
			p->mark = cols[0], p->code = codes[0];
			read_as(p, F_PROGRESS, cols[0],
				N_("the row's only 進捗度 mark, nearer this year's column than the "
				   "previous year's"));
		}
	}
	return 0;
}

/* Tells whether the cell at `i` holds department names. */
static int department(const imp *x, const imp_row *r, int i)
{
	return kk_cell_is_department(imp_cell(r, i), x->known);
}

/*
 * Finds 担当課 before column `limit` by what the cells hold: department
 * names right after a filled cell that holds none (the 項目).  Its place by the
 * previous year's 進捗度 at column `at` (at - 3) wins when it qualifies;
 * otherwise the qualifying cell nearest to it.  Returns the column, or -1.
 */
static int find_owner(const imp *x, const imp_row *r, int at, int limit)
{
	int best = -1;

	if (at - 4 >= 0 && at - 3 < limit && department(x, r, at - 3) && nonempty(r, at - 4))
		return at - 3;
	for (int c = 1; c < limit && c < r->count; c++) {
		/*
		 * The 項目 right before it: department names after an empty cell
		 * are 関係課 after a merged 担当課, not a shifted 担当課.
		 */
		if (!department(x, r, c) || !nonempty(r, c - 1) || department(x, r, c - 1))
			continue;
		if (best < 0 || abs(c - (at - 3)) < abs(best - (at - 3)))
			best = c;
	}
	return best;
}

/*
 * The cells left of the previous year's: 項目, 担当課 and 関係課, then that
 * year's 計画スケジュール, before column `at`.  Sets title_col, owner_col
 * and related_col (-1 when none).
 */
static int place_left(imp *x, const imp_row *r, placed *p, int at)
{
	int o, between;
	char year[32];

	p->related_col = -1;
	if (p->anchor >= 0 && p->anchor < at) {
		o = p->anchor + 1;
		read_as(p, F_TITLE, p->anchor,
			N_("an 【…追加】 marker: the item's title, wherever it stands"));
		read_as(p, F_OWNERS, o, N_("the cell after the title"));
	} else if ((o = find_owner(x, r, at, at)) >= 0) {
		read_as(p, F_TITLE, o - 1, N_("the cell before the 担当課"));
		read_as(p, F_OWNERS, o,
			o == at - 3
				? N_("department names, where the header has 担当課")
				: N_("department names after the title: the row is shifted here"));
	} else if (at - 4 >= 0) {
		o = at - 3;
		read_as(p, F_TITLE, o - 1, N_("four cells before the previous year's 進捗度"));
		read_as(p, F_OWNERS, o, N_("three cells before the previous year's 進捗度"));
	} else {
		return imp_fail(x, r, _("cannot place the row: too few cells before %s's columns"),
				imp_year_name(x, x->year - 1, year, sizeof(year)));
	}
	p->title_col = o - 1;
	p->owner_col = o;
	/*
	 * Between 担当課 and the mark: 関係課, then the schedule.  One cell is
	 * either, by what it holds; more are the two, with empty ones between.
	 */
	between = at - o - 1;
	if (between >= 2) {
		p->related_col = o + 1;
		if (nonempty(r, at - 1)) {
			p->prev.planned = value(imp_cell(r, at - 1));
			read_as(p, F_PREV_PLANNED, at - 1,
				N_("the cell before the previous year's 進捗度"));
		}
		for (int i = o + 2; i < at - 1; i++)
			if (nonempty(r, i)) {
				char buf[128];

				return imp_fail(x, r, _("cannot place '%s' (column %d)"),
						excerpt(buf, sizeof(buf), imp_cell(r, i)), i + 1);
			}
	} else if (between == 1 && nonempty(r, o + 1)) {
		if (department(x, r, o + 1)) {
			p->related_col = o + 1;
		} else {
			p->prev.planned = value(imp_cell(r, o + 1));
			read_as(p, F_PREV_PLANNED, o + 1,
				N_("the only cell between 担当課 and the previous year's 進捗度, and "
				   "not department names"));
		}
	}
	if (p->related_col >= 0 && nonempty(r, p->related_col))
		read_as(p, F_RELATED, p->related_col, N_("the cell after the 担当課"));
	return 0;
}

/*
 * The previous year's cells: 進捗度, 達成度, 取組内容または結果, at the mark
 * or, without one, at column `at`.  Sets *end to the column after them.
 */
static int place_previous(imp *x, const imp_row *r, placed *p, int at, int *end)
{
	const char *cell, *code, *rest;
	char buf[128];

	if (p->prev_mark < 0 && at == p->mark) {
		/* The only mark is where the previous year's goes. */
		p->prev_mark = p->mark, p->prev_code = p->code;
		p->mark = -1, p->code = NULL;
		read_as(p, F_PREV_PROGRESS, at,
			N_("the row's only 進捗度 mark, where the previous year's goes"));
		p->col[F_PROGRESS] = -1;
	}
	if (at < 0 || at >= p->id_col)
		return imp_fail(x, r,
				_("cannot place the row: no 進捗度 mark where the header "
				  "expects one"));
	if (p->prev_mark < 0 && nonempty(r, at) && !kk_cell_is_dash(imp_cell(r, at)))
		return imp_fail(x, r, _("unknown 進捗度 '%s' (expected ◎, ○ or ▲)"),
				excerpt(buf, sizeof(buf), imp_cell(r, at)));
	p->prev.progress = p->prev_mark >= 0 ? p->prev_code : NULL;
	*end = at + 1;
	cell = at + 1 < p->id_col ? imp_cell(r, at + 1) : "";
	if (!*cell) {
		*end = at + 2;
	} else if ((code = kk_cell_achievement(cell))) {
		p->prev.achievement = code;
		p->prev_from_dash = kk_cell_is_dash(cell);
		read_as(p, F_PREV_ACHIEVEMENT, at + 1,
			N_("a 達成度 word after the previous year's 進捗度"));
		*end = at + 2;
	} else if (kk_cell_achievement_merged(&code, &rest, cell)) {
		p->prev.achievement = code;
		p->prev_from_dash = kk_cell_is_dash(cell);
		p->prev.result = value(rest);
		p->merged = 1;
		read_as(p, F_PREV_ACHIEVEMENT, at + 1,
			N_("a 達成度 word and text in one cell: the word"));
		read_as(p, F_PREV_RESULT, at + 1,
			N_("a 達成度 word and text in one cell: the text"));
		*end = at + 2;
		goto done;
	} else {
		return imp_fail(x, r, _("unknown 達成度 '%s' (expected 導入完了, 取り下げ or —)"),
				excerpt(buf, sizeof(buf), cell));
	}
	if (*end < p->id_col) {
		p->prev.result = value(imp_cell(r, *end));
		if (nonempty(r, *end))
			read_as(p, F_PREV_RESULT, *end,
				N_("the cell after the previous year's 達成度"));
		(*end)++;
	}
done:
	if (p->mark >= 0 && p->mark < *end)
		return imp_fail(x, r, _("cannot place '%s' (column %d)"), imp_cell(r, p->mark),
				p->mark + 1);
	return 0;
}

/* Sets one field from the header's column, refusing a second value for it. */
static int place_by_header(imp *x, const imp_table *t, const imp_row *r, placed *p, int col, int hc)
{
	static const char why[] = N_("under the header's column for it: the row has no 進捗度 "
				     "mark for this year to go by");
	int kind = hc >= 0 && hc < t->columns ? t->kind[hc] : COL_NONE;
	int fy = hc >= 0 && hc < t->columns ? t->fy[hc] : 0, f = -1;
	const char **slot = NULL;
	char buf[128];

	if (fy == x->year && kind == COL_PLANNED)
		slot = &p->cur.planned, f = F_PLANNED;
	else if (fy == x->year && kind == COL_REVISED)
		slot = &p->cur.revised, f = F_REVISED;
	else if (fy == x->year && kind == COL_RESULT)
		slot = &p->cur.result, f = F_RESULT;
	else if (fy == x->year + 1)
		slot = &p->next_revised, f = F_NEXT_REVISED;
	else if (fy == x->year && kind == COL_PROGRESS && kk_cell_is_dash(imp_cell(r, col))) {
		read_as(p, F_PROGRESS, col, why); /* a dash: no mark */
		return 0;
	} else if (fy == x->year && kind == COL_PROGRESS) {
		return imp_fail(x, r, _("unknown 進捗度 '%s' (expected ◎, ○ or ▲)"),
				excerpt(buf, sizeof(buf), imp_cell(r, col)));
	}
	if (!slot || *slot)
		return imp_fail(x, r, _("cannot place '%s' (column %d)"),
				excerpt(buf, sizeof(buf), imp_cell(r, col)), col + 1);
	*slot = value(imp_cell(r, col));
	read_as(p, f, col, why);
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
			if (nonempty(r, start))
				read_as(p, F_PLANNED, start,
					N_("the first of the two cells before this year's 進捗度"));
			if (nonempty(r, start + 1))
				read_as(p, F_REVISED, start + 1,
					N_("the second of the two cells before this year's 進捗度"));
		} else if (n == 2) {
			p->cur.planned = value(imp_cell(r, cells[0]));
			p->cur.revised = value(imp_cell(r, cells[1]));
			read_as(p, F_PLANNED, cells[0],
				N_("the first of the two filled cells before this year's 進捗度"));
			read_as(p, F_REVISED, cells[1],
				N_("the second of the two filled cells before this year's 進捗度"));
		} else if (n == 1) {
			const char *v = value(imp_cell(r, cells[0]));

			if (p->prev.progress && strcmp(p->prev.progress, "behind") == 0) {
				p->cur.revised = v;
				read_as(p, F_REVISED, cells[0],
					N_("the only schedule, and the item was behind (▲) the year "
					   "before: a carry-over, so the revised one"));
			} else {
				p->cur.planned = v;
				read_as(p, F_PLANNED, cells[0],
					N_("the only schedule, and the item was not behind the year "
					   "before: the planned one"));
			}
		}
	}
	p->cur.progress = p->code;
	if (p->mark + 1 < p->id_col) {
		p->cur.result = value(imp_cell(r, p->mark + 1));
		if (nonempty(r, p->mark + 1))
			read_as(p, F_RESULT, p->mark + 1, N_("the cell after this year's 進捗度"));
	}
	for (int i = p->mark + 2, seen = 0; i < p->id_col; i++) {
		if (!nonempty(r, i))
			continue;
		if (seen++)
			return imp_fail(x, r, _("cannot place '%s' (column %d)"),
					excerpt(buf, sizeof(buf), imp_cell(r, i)), i + 1);
		p->next_revised = value(imp_cell(r, i));
		read_as(p, F_NEXT_REVISED, i,
			N_("the one filled cell between this year's result and the 通番"));
	}
	return 0;
}

/* Tells whether measure number `n` is taken in the current section, or named in table `t`. */
static int measure_taken(const imp *x, const imp_table *t, int n)
{
	char key[32];

	snprintf(key, sizeof(key), "%d/%d/%d", x->pillar, x->section, n);
	return (n < (int)sizeof(t->used) && t->used[n]) || json_object_get(x->measures, key);
}

/*
 * A number for a 施策 written without one: the number after the measure
 * above when no row of the section uses it, else the first after every
 * number the section uses.  The same title again gets the same number.
 */
static int unnumbered_measure(const imp *x, const imp_table *t, const char *title)
{
	char prefix[32];
	const char *key;
	json_t *m;
	int n = 1;

	snprintf(prefix, sizeof(prefix), "%d/%d/", x->pillar, x->section);
	json_object_foreach(x->measures, key, m)
		if (strncmp(key, prefix, strlen(prefix)) == 0 &&
		    strcmp(json_string_value(json_object_get(m, "title")), title) == 0)
			return atoi(key + strlen(prefix));
	if (x->measure[0] && strncmp(x->measure, prefix, strlen(prefix)) == 0)
		n = atoi(x->measure + strlen(prefix)) + 1;
	if (measure_taken(x, t, n))
		for (n = NUMBER_MAX; n > 0 && !measure_taken(x, t, n); n--)
			;
	while (n <= NUMBER_MAX && measure_taken(x, t, n))
		n++;
	if (n < 1)
		n = 1;
	return n;
}

/* The measure of the row: its 施策 cells, or the one above when they are empty. */
static int place_measure(imp *x, const imp_table *t, const imp_row *r, placed *p, char *key,
			 size_t size, int *measure_out)
{
	const char *cells[4], *rest, *title, *description = NULL;
	int n = 0, number, cols[4], numbered;
	long integer;
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
		read_as(p, F_MEASURE, -1,
			imp_merged_above(r, 0) || imp_merged_above(r, 1)
				? N_("the 施策 cells are merged with those above in the workbook: the "
				     "施策 of the row above")
				: N_("no 施策 cell filled: the 施策 of the row above (a merged cell)"));
		return 0;
	}
	numbered = kk_cell_measure_number(&number, &rest, cells[0]);
	if (!numbered) {
		/* A title only: the rest of the section's measures decide its number. */
		if (kk_cell_is_symbol(cells[0]) || kk_cell_integer(&integer, cells[0]))
			return imp_fail(x, r, _("施策 '%s' has no number"),
					excerpt(buf, sizeof(buf), cells[0]));
		if (n > 2)
			return imp_fail(x, r, _("cannot place '%s' (column %d)"),
					excerpt(buf, sizeof(buf), cells[2]), cols[2] + 1);
		title = cells[0];
		description = n > 1 ? cells[1] : NULL;
		number = unnumbered_measure(x, t, title);
		read_as(p, F_MEASURE, cols[0],
			N_("a 施策 title without a number: given the next number no other 施策 of "
			   "the section has"));
		read_as(p, F_MEASURE_TITLE, cols[0], N_("a 施策 title without a number"));
		if (description)
			read_as(p, F_DESCRIPTION, cols[1], N_("the cell after the 施策's title"));
	} else if (*rest) {
		title = rest;
		if (n > 2)
			return imp_fail(x, r, _("cannot place '%s' (column %d)"),
					excerpt(buf, sizeof(buf), cells[2]), cols[2] + 1);
		description = n > 1 ? cells[1] : NULL;
		read_as(p, F_MEASURE, cols[0], N_("a 施策 number and title in one cell"));
		read_as(p, F_MEASURE_TITLE, cols[0], N_("the text after the 施策 number"));
		if (description)
			read_as(p, F_DESCRIPTION, cols[1], N_("the cell after the 施策's title"));
	} else {
		kk_circled_number(circled, sizeof(circled), number);
		if (n < 2)
			return imp_fail(x, r, _("施策 %s has no title"), circled);
		title = cells[1];
		description = n > 2 ? cells[2] : NULL;
		read_as(p, F_MEASURE, cols[0], N_("a 施策 number in the first filled cell"));
		read_as(p, F_MEASURE_TITLE, cols[1], N_("the cell after the 施策 number"));
		if (description)
			read_as(p, F_DESCRIPTION, cols[2], N_("the cell after the 施策's title"));
	}
	kk_circled_number(circled, sizeof(circled), number);
	if (number < 1 || number > NUMBER_MAX)
		return imp_fail(x, r, _("施策 number %d is out of range (1 to %d)"), number,
				NUMBER_MAX);
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
		if (m && description &&
		    json_object_set_new(m, "description", json_string(description)) < 0) {
			json_decref(m);
			return KK_ENOMEM;
		}
		if (!m || json_object_set_new(x->measures, key, m) < 0)
			return KK_ENOMEM;
	}
	*measure_out = number;
	return 0;
}

int imp_place_row(imp *x, const imp_table *t, const imp_row *r)
{
	placed p = {0};
	char key[16];
	int error, end = 0, measure = 0, measure_known = 0, at;
	json_t *fixed = x->explain ? json_array() : NULL;
	const json_t *fix;

	if (x->explain && !fixed)
		return KK_ENOMEM;
	for (int f = 0; f < F_COUNT; f++)
		p.col[f] = -1;
	p.owner_col = p.related_col = -1;
	if ((error = imp_fix_skip(x, r)) != 0) {
		json_decref(fixed);
		return error < 0 ? error : 0;
	}
	if (t->problem[0]) {
		error = imp_fail(x, r, "%s", t->problem);
		goto done;
	}
	if ((error = place_end(x, r, &p)) != 0)
		goto done;
	place_anchor(r, &p);
	if ((error = place_marks(x, t, r, &p)) != 0)
		goto done;
	/*
	 * The previous year's cells start at its mark; without one, at four
	 * cells after the 項目 its marker or 担当課 shows, or where the table's
	 * rows have them.
	 */
	if (p.prev_mark >= 0) {
		at = p.prev_mark;
	} else if (p.anchor >= 0) {
		at = p.anchor + 4;
	} else {
		int owner;

		at = t->prev_progress + t->offset;
		owner = find_owner(x, r, at, p.mark >= 0 ? p.mark : p.id_col);
		if (owner >= 0 && (p.mark < 0 || owner + 3 < p.mark))
			at = owner + 3;
	}
	if ((error = place_previous(x, r, &p, at, &end)) != 0 ||
	    (error = place_left(x, r, &p, at)) != 0)
		goto done;
	error = place_measure(x, t, r, &p, key, sizeof(key), &measure);
	if (error != 0)
		goto done;
	measure_known = 1;
	snprintf(x->measure, sizeof(x->measure), "%s", key);
	x->measure_broken = 0;
	if ((error = place_current(x, t, r, &p, end)) != 0 ||
	    (error = imp_add_item(x, r, &p, measure, key)) != 0 ||
	    (error = imp_apply_fixes(x, r, p.id, fixed)) != 0)
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
	/* A row no reading can place, whose item the corrections give whole. */
	if (error > 0 && (fix = imp_fix_row(x, r)) && imp_fix_is_whole(fix) &&
	    !json_object_get(fix, "used")) {
		memset(&p, 0, sizeof(p));
		for (int f = 0; f < F_COUNT; f++)
			p.col[f] = -1;
		if ((error = imp_item_from_fix(x, r, fix, fixed)) == 0) {
			const json_t *item =
				json_array_get(x->items, json_array_size(x->items) - 1);

			/* The rows below that do not repeat the 施策 are under the one it gives. */
			p.id = (long)json_integer_value(json_object_get(item, "id"));
			snprintf(x->measure, sizeof(x->measure), "%d/%d/%lld", x->pillar,
				 x->section,
				 (long long)json_integer_value(json_object_get(item, "measure")));
			x->measure_broken = 0;
		}
	}
	if (error >= 0 && x->explain) {
		json_t *cells = imp_reading(x, r, &p, error > 0);

		if (!cells || imp_fix_explain_cells(x, r, cells) < 0 ||
		    json_array_extend(cells, fixed) < 0 ||
		    imp_explain(x, r, NULL, cells, error == 0 ? p.id : 0, error > 0) < 0) {
			json_decref(fixed);
			return KK_ENOMEM;
		}
	}
	json_decref(fixed);
	return error;
}
