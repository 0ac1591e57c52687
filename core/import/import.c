/*
 * import.c - a plan from a progress report: the report's parts (legend,
 * headings, tables and their headers) and the plan files built from it.
 *
 * A row of the file is one of: blank; the 進捗度 legend (its title or a
 * line "計画より遅れている ▲", which teaches the marks); a 計画の柱 or
 * section heading; a note (one filled cell, skipped); a table's header (a
 * row with 項目 and 令和N年度, and the row below it when it names
 * 計画スケジュール, 進捗度, …); or a data row of the table above it, which
 * core/import/import_row.c places.
 */
#include "import.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "i18n.h"
#include "import_cell.h"
#include "import_int.h"
#include "import_sheet.h"
#include "json.h"
#include "plan.h"

/* The plan settings a report starts from when the caller gives none (repo-template/). */
static const char default_settings[] =
	"{\"title\": \"新しい計画\", \"fiscal_year_start\": \"04-01\","
	" \"eras\": [{\"name\": \"令和\", \"abbreviation\": \"R\", \"start\": 2019}],"
	" \"phases\": [\"検討\", \"立案\", \"設計\", \"システム調整\", \"実証実験\", \"整備\","
	" \"導入\", \"運用開始\"], \"years\": {}}";

/* --- shared with import_row.c --- */

int imp_fail(imp *x, const imp_row *r, const char *fmt, ...)
{
	kk_diag d = {0};
	va_list ap;

	d.code = KK_EINVALID;
	d.line = r->line;
	if (r->sheet) { /* a workbook of several sheets: the row's sheet too */
		char path[KK_DIAG_PATH_MAX];

		snprintf(path, sizeof(path), "%s[%s]", x->name, r->sheet);
		kk_diag_set_path(&d, path);
	} else {
		kk_diag_set_path(&d, x->name);
	}
	va_start(ap, fmt);
	vsnprintf(d.message, sizeof(d.message), fmt, ap);
	va_end(ap);
	if (kk_diaglist_add(x->problems, &d) < 0)
		return KK_ENOMEM;
	x->failed++;
	return 1;
}

int imp_merged_above(const imp_row *r, int i)
{
	return r->flags && i >= 0 && i < r->count && (r->flags[i] & KK_SHEET_MERGED_ABOVE);
}

const char *imp_cell(const imp_row *r, int i)
{
	return i >= 0 && i < r->count ? r->cells[i] : "";
}

const char *imp_mark_code(const imp *x, const char *s)
{
	for (size_t i = 0; i < x->mark_count; i++)
		if (strcmp(x->marks[i].text, s) == 0)
			return x->marks[i].code;
	return NULL;
}

const char *imp_year_name(const imp *x, int year, char *buf, size_t size)
{
	kk_fy_format(buf, size, x->settings, year);
	return buf;
}

/* --- rows --- */

static int filled(const imp_row *r)
{
	int n = 0;

	for (int i = 0; i < r->count; i++)
		n += r->cells[i][0] != '\0';
	return n;
}

/* The first filled cell, or "". */
static const char *first_filled(const imp_row *r)
{
	for (int i = 0; i < r->count; i++)
		if (r->cells[i][0])
			return r->cells[i];
	return "";
}

static int clean_rows(imp *x, const kk_sheet *sheet)
{
	if (!(x->rows = calloc(sheet->count ? sheet->count : 1, sizeof(*x->rows))))
		return KK_ENOMEM;
	x->sheets = sheet->sheet_count;
	for (size_t i = 0; i < sheet->count; i++) {
		const kk_sheet_row *in = &sheet->rows[i];
		imp_row *r = &x->rows[x->row_count++];

		r->line = in->line;
		if (sheet->sheet_count > 1 && in->sheet < sheet->sheet_count)
			r->sheet = sheet->sheets[in->sheet];
		if (in->count && !(r->cells = calloc(in->count, sizeof(*r->cells))))
			return KK_ENOMEM;
		if (in->flags && in->count) {
			if (!(r->flags = malloc(in->count)))
				return KK_ENOMEM;
			memcpy(r->flags, in->flags, in->count);
		}
		for (size_t j = 0; j < in->count; j++) {
			if (!(r->cells[j] = kk_cell_clean(in->cells[j])))
				return KK_ENOMEM;
			r->count++;
		}
		if (imp_fix_cells(x, r) < 0)
			return KK_ENOMEM;
	}
	return 0;
}

/* --- the legend --- */

static int add_mark(imp *x, const char *text, const char *code, int front)
{
	size_t n = x->mark_count;

	if (n == sizeof(x->marks) / sizeof(*x->marks) || strlen(text) >= sizeof(x->marks[0].text))
		return 0;
	if (front) {
		memmove(&x->marks[1], &x->marks[0], n * sizeof(*x->marks));
		n = 0;
	}
	snprintf(x->marks[n].text, sizeof(x->marks[n].text), "%s", text);
	x->marks[n].code = code;
	x->mark_count++;
	return 1;
}

/* "計画より遅れている ▲": a line of the legend.  Teaches the mark and returns 1. */
static int legend_entry(imp *x, const imp_row *r)
{
	const char *symbol = NULL, *text = NULL, *code = NULL;

	if (filled(r) != 2)
		return 0;
	for (int i = 0; i < r->count; i++) {
		if (!r->cells[i][0])
			continue;
		if (kk_cell_is_symbol(r->cells[i]))
			symbol = r->cells[i];
		else
			text = r->cells[i];
	}
	if (!symbol || !text || !strstr(text, "計画"))
		return 0;
	if (strstr(text, "早"))
		code = "ahead";
	else if (strstr(text, "遅"))
		code = "behind";
	else if (strstr(text, "どおり") || strstr(text, "通り") || strstr(text, "順調"))
		code = "on_track";
	if (!code)
		return 0;
	add_mark(x, symbol, code, 1);
	return 1;
}

/* --- headings --- */

/* "計画の柱 1. …" or "(1) …".  Returns 1 when `r` is one (reported if wrong), or KK_ENOMEM. */
static int heading(imp *x, const imp_row *r)
{
	const char *text = first_filled(r), *title, *had, *what;
	char key[16], buf[128], buf2[128];
	int number, is_pillar;
	json_t *map, *h;

	if (kk_cell_pillar_heading(&number, &title, text)) {
		is_pillar = 1, map = x->pillars, what = "計画の柱";
		snprintf(key, sizeof(key), "%d", number);
		x->pillar = 0;
	} else if (kk_cell_section_heading(&number, &title, text)) {
		is_pillar = 0, map = x->sections, what = _("section");
		snprintf(key, sizeof(key), "%d/%d", x->pillar, number);
	} else {
		return 0;
	}
	x->section = 0;
	x->measure[0] = '\0';
	x->measure_broken = 0;
	if (!is_pillar && !x->pillar)
		return imp_fail(x, r, _("section (%d) is not under a 計画の柱 heading"), number);
	if (number < 1 || number > 99)
		return imp_fail(x, r, _("%s number %d is out of range (1 to %d)"), what, number,
				99);
	if (!*title)
		return imp_fail(x, r, _("%s %d has no title"), what, number);
	if (kk_cell_length(title) > 200)
		return imp_fail(x, r, _("%s is %zu characters long (at most %d)"), what,
				kk_cell_length(title), 200);
	if (is_pillar)
		x->pillar = number;
	else
		x->section = number;
	if ((h = json_object_get(map, key))) {
		had = json_string_value(json_object_get(h, "title"));
		if (strcmp(had, title) != 0) {
			kk_cell_excerpt(buf, sizeof(buf), title, 24);
			kk_cell_excerpt(buf2, sizeof(buf2), had, 24);
			return imp_fail(x, r, _("%s %d is '%s' here but '%s' on row %zu"), what,
					number, buf, buf2,
					(size_t)json_integer_value(json_object_get(h, "line")));
		}
	} else if (!(h = json_pack("{s:s, s:I}", "title", title, "line", (json_int_t)r->line)) ||
		   json_object_set_new(map, key, h) < 0) {
		return KK_ENOMEM;
	}
	return 1;
}

/* --- tables --- */

/* Tells whether `s` names a fiscal year ("令和3年度…"); sets *year and *rest. */
static int year_label(const imp *x, int *year, const char **rest, const char *s)
{
	char compact[64];
	const char *end = strstr(s, "年度");
	size_t n;

	if (!end)
		return 0;
	n = (size_t)(end + strlen("年度") - s);
	if (n >= sizeof(compact))
		return 0;
	memcpy(compact, s, n);
	compact[n] = '\0';
	kk_cell_compact(compact, sizeof(compact), compact);
	if (kk_fy_parse(year, compact, x->settings, NULL) < 0)
		return 0;
	*rest = end + strlen("年度");
	while (**rest == ' ')
		(*rest)++;
	return 1;
}

static int is_header(const imp *x, const imp_row *r)
{
	int title = 0, year = 0, fy;
	const char *rest;
	char compact[64];

	for (int i = 0; i < r->count; i++) {
		kk_cell_compact(compact, sizeof(compact), r->cells[i]);
		title |= strcmp(compact, "項目") == 0;
		year |= year_label(x, &fy, &rest, r->cells[i]);
	}
	return title && year;
}

/* The row below a header that names its columns' parts. */
static int is_subheader(const imp_row *r)
{
	long n;

	for (int i = 0; i < r->count; i++)
		if (kk_cell_integer(&n, r->cells[i]))
			return 0;
	for (int i = 0; i < r->count; i++)
		if (strstr(r->cells[i], "計画") || strstr(r->cells[i], "進捗") ||
		    strstr(r->cells[i], "変更") || strstr(r->cells[i], "取組"))
			return 1;
	return 0;
}

static int year_part(const char *s)
{
	if (strstr(s, "変更"))
		return COL_REVISED;
	if (strstr(s, "計画"))
		return COL_PLANNED;
	if (strstr(s, "進捗"))
		return COL_PROGRESS;
	if (strstr(s, "達成"))
		return COL_ACHIEVEMENT;
	if (strstr(s, "取組") || strstr(s, "結果") || strstr(s, "内容"))
		return COL_RESULT;
	return COL_NONE;
}

static int plain_part(const char *s)
{
	if (strstr(s, "通番"))
		return COL_ID;
	if (strstr(s, "達成"))
		return COL_STATUS;
	if (strstr(s, "内容"))
		return COL_DESCRIPTION;
	if (strstr(s, "施策"))
		return COL_MEASURE;
	if (strstr(s, "項目"))
		return COL_TITLE;
	if (strstr(s, "担当"))
		return COL_OWNERS;
	if (strstr(s, "関係"))
		return COL_RELATED;
	return COL_NONE;
}

/* The header column of `kind` in fiscal year `fy`, or of the group's first column + `dflt`. */
static int header_column(const imp_table *t, int fy, int kind, int dflt)
{
	int first = -1;

	for (int j = 0; j < t->columns; j++) {
		if (t->fy[j] != fy)
			continue;
		if (t->kind[j] == kind)
			return j;
		if (first < 0)
			first = j;
	}
	return first < 0 ? -1000 : first + dflt;
}

/* Reads a table's header rows: what each column holds, and the report year. */
static int read_header(imp *x, imp_table *t, const imp_row *top, const imp_row *sub)
{
	int columns = top->count > (sub ? sub->count : 0) ? top->count : sub->count, group = 0;
	int years[8], nyears = 0, year = 0, has[8] = {0};
	char a[128], b[128];

	t->line = top->line;
	t->columns = columns;
	if (!(t->kind = calloc((size_t)columns + 1, sizeof(int))) ||
	    !(t->fy = calloc((size_t)columns + 1, sizeof(int))))
		return KK_ENOMEM;
	for (int j = 0; j < columns; j++) {
		const char *top_cell = imp_cell(top, j), *sub_cell = sub ? imp_cell(sub, j) : "";
		const char *rest;
		int fy;

		kk_cell_compact(a, sizeof(a), top_cell);
		kk_cell_compact(b, sizeof(b), sub_cell);
		if (year_label(x, &fy, &rest, top_cell)) {
			group = fy;
			t->fy[j] = fy;
			t->kind[j] = year_part(*b ? b : rest);
		} else if (!*a && group) {
			t->fy[j] = group;
			t->kind[j] = year_part(b);
		} else {
			group = 0;
			t->kind[j] = plain_part(*a ? a : b);
		}
		if (t->fy[j]) {
			int k = 0;

			while (k < nyears && years[k] != t->fy[j])
				k++;
			if (k == nyears && nyears < 8)
				years[nyears++] = t->fy[j];
			if (k < 8)
				has[k] |= 1 << t->kind[j];
		}
	}
	/* The report year is the one with both a planned and a revised schedule. */
	for (int k = 0; k < nyears && !year; k++)
		if ((has[k] & (1 << COL_PLANNED)) && (has[k] & (1 << COL_REVISED)))
			year = years[k];
	for (int k = 0; k < nyears && !year; k++)
		if ((has[k] & (1 << COL_PROGRESS)) && (has[k] & (1 << COL_REVISED)))
			year = years[k];
	if (!year && nyears >= 2)
		year = years[1];
	if (!year) {
		snprintf(t->problem, sizeof(t->problem),
			 _("the table's header (row %zu) names no report year (a 令和N年度 with "
			   "計画スケジュール and 変更スケジュール)"),
			 t->line);
		return 0;
	}
	t->year = year;
	for (int k = 0; k < nyears; k++) {
		if (years[k] < year - 1 || years[k] > year + 1) {
			char n1[32], n2[32];

			snprintf(
				t->problem, sizeof(t->problem),
				_("the table's header (row %zu) has columns for %s, which a report "
				  "on %s does not have"),
				t->line, imp_year_name(x, years[k], n1, sizeof(n1)),
				imp_year_name(x, year, n2, sizeof(n2)));
			return 0;
		}
	}
	t->title = 2;
	for (int j = columns - 1; j >= 0; j--)
		if (t->kind[j] == COL_TITLE)
			t->title = j;
	t->prev_progress = header_column(t, year - 1, COL_PROGRESS, 1);
	t->prev_result = header_column(t, year - 1, COL_RESULT, 3);
	t->progress = header_column(t, year, COL_PROGRESS, 2);
	if (t->prev_progress < 0) {
		char n1[32];

		snprintf(t->problem, sizeof(t->problem),
			 _("the table's header (row %zu) has no columns for %s"), t->line,
			 imp_year_name(x, year - 1, n1, sizeof(n1)));
		return 0;
	}
	if (!x->year) {
		x->year = year;
		x->year_line = t->line;
	} else if (year != x->year) {
		char n1[32], n2[32];

		snprintf(t->problem, sizeof(t->problem),
			 _("the table's header (row %zu) is for %s, but the report is for %s "
			   "(row %zu)"),
			 t->line, imp_year_name(x, year, n1, sizeof(n1)),
			 imp_year_name(x, x->year, n2, sizeof(n2)), x->year_line);
		return 0;
	}
	return 0;
}

/*
 * Starts table `t` with the header of `last`: the rows under a heading that
 * no header follows are laid out as the table above them (a workbook shows
 * its header once, at the top, and on every printed page).
 */
static int table_from(imp_table *t, const imp_table *last)
{
	size_t n = (size_t)last->columns + 1;

	memset(t, 0, sizeof(*t));
	if (!(t->kind = malloc(n * sizeof(int))) || !(t->fy = malloc(n * sizeof(int)))) {
		free(t->kind);
		t->kind = NULL;
		return KK_ENOMEM;
	}
	memcpy(t->kind, last->kind, n * sizeof(int));
	memcpy(t->fy, last->fy, n * sizeof(int));
	t->line = last->line;
	t->year = last->year;
	memcpy(t->problem, last->problem, sizeof(t->problem));
	t->columns = last->columns;
	t->prev_progress = last->prev_progress;
	t->prev_result = last->prev_result;
	t->progress = last->progress;
	t->title = last->title;
	return 0;
}

static void table_clear(imp_table *t)
{
	free(t->kind);
	free(t->fy);
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

/*
 * Places the rows of a table: first learns how far its rows' previous-year
 * cells sit from the header's columns (an extra 施策 cell moves them), so
 * that a row without a mark of its own is read as its neighbours are.
 */
static int finish_table(imp *x, imp_table *t)
{
	int counts[9] = {0}, best = 4, error = 0;

	if (!t->kind)
		return 0;
	if (!t->problem[0] && !t->pillar)
		snprintf(t->problem, sizeof(t->problem),
			 _("no 計画の柱 heading above the table (row %zu)"), t->line);
	if (!t->problem[0] && !t->section)
		snprintf(t->problem, sizeof(t->problem),
			 _("no section heading ((1) …) above the table (row %zu)"), t->line);
	json_decref(x->last_owners);
	x->last_owners = NULL;
	if (!t->problem[0]) {
		for (size_t i = 0; i < t->row_count; i++) {
			const imp_row *r = &x->rows[t->rows[i]];
			int mark = imp_row_prev_mark(x, r);
			int d = mark - t->prev_progress, number;
			const char *rest, *first = first_filled(r);

			if (mark >= 0 && d >= -4 && d <= 4)
				counts[d + 4]++;
			if (kk_cell_measure_number(&number, &rest, first) && number > 0 &&
			    number < (int)sizeof(t->used))
				t->used[number] = 1;
		}
		for (int d = 0; d < 9; d++)
			if (counts[d] > counts[best] ||
			    (counts[d] == counts[best] && abs(d - 4) < abs(best - 4)))
				best = d;
		t->offset = best - 4;
	}
	for (size_t i = 0; i < t->row_count && error >= 0; i++) {
		x->pillar = t->pillar;
		x->section = t->section;
		error = imp_place_row(x, t, &x->rows[t->rows[i]]);
	}
	table_clear(t);
	return error < 0 ? error : 0;
}

static int is_heading(const char *s)
{
	const char *title;
	int n;

	return kk_cell_pillar_heading(&n, &title, s) || kk_cell_section_heading(&n, &title, s);
}

/* A row outside any table that still looks like an item. */
static int looks_like_data(const imp_row *r)
{
	int mark = 0, ach = 0, number = 0;
	long n;

	for (int i = 0; i < r->count; i++) {
		mark |= kk_cell_is_symbol(r->cells[i]);
		ach |= kk_cell_achievement(r->cells[i]) != NULL && r->cells[i][0];
		number |= kk_cell_integer(&n, r->cells[i]);
	}
	return mark || (ach && number);
}

/* Says how a row that is not an item was read, for --explain. */
static int explain_part(imp *x, const imp_row *r, const char *what)
{
	return imp_explain(x, r, what, NULL, 0, 0);
}

static int walk(imp *x)
{
	imp_table t = {0}, last = {0};
	int error = 0, tables = 0;
	char buf[64];

	for (size_t i = 0; i < x->row_count && error >= 0; i++) {
		const imp_row *r = &x->rows[i];
		int n = filled(r);

		if (n == 0)
			continue;
		if (strstr(first_filled(r), "凡例") && n <= 2) {
			if ((error = finish_table(x, &t)) >= 0)
				error = explain_part(x, r, _("the 進捗度 legend"));
			continue;
		}
		if (legend_entry(x, r)) {
			if ((error = finish_table(x, &t)) >= 0)
				error = explain_part(
					x, r, _("a line of the 進捗度 legend: it teaches a mark"));
			continue;
		}
		if (n == 1) {
			long v;
			const char *only = first_filled(r);

			if (is_heading(only)) {
				size_t failed = x->failed;

				if ((error = finish_table(x, &t)) >= 0 &&
				    (error = heading(x, r)) > 0)
					error = 0;
				if (error >= 0)
					error = imp_explain(x, r,
							    strstr(only, "計画の柱")
								    ? _("a 計画の柱 heading")
								    : _("a section heading"),
							    NULL, 0, x->failed > failed);
				continue;
			}
			/* A note or a page title, unless it is a lone value of a row. */
			if (t.kind && (kk_cell_integer(&v, only) || kk_cell_is_symbol(only) ||
				       kk_cell_achievement(only))) {
				error = imp_fail(
					x, r, _("cannot place the row: only '%s'"),
					(kk_cell_excerpt(buf, sizeof(buf), only, 24), buf));
				if (error >= 0)
					error = imp_explain(x, r, NULL, NULL, 0, 1);
			} else {
				error = explain_part(x, r,
						     _("one filled cell: a note or a page title, "
						       "skipped"));
			}
			continue;
		}
		if (is_header(x, r)) {
			const imp_row *sub = i + 1 < x->row_count && is_subheader(&x->rows[i + 1])
						     ? &x->rows[i + 1]
						     : NULL;

			if ((error = finish_table(x, &t)) < 0 ||
			    (error = read_header(x, &t, r, sub)) < 0)
				break;
			/* Kept for the tables under later headings that repeat no header. */
			table_clear(&last);
			if ((error = table_from(&last, &t)) < 0 ||
			    (error = explain_part(x, r,
						  _("a table's header: 項目 and 令和N年度"))) < 0 ||
			    (sub && (error = explain_part(x, sub,
							  _("the header's second row: the parts "
							    "of each year"))) < 0))
				break;
			t.pillar = x->pillar;
			t.section = x->section;
			tables++;
			if (sub)
				i++;
			continue;
		}
		if (!t.kind && last.kind && x->pillar && looks_like_data(r)) {
			/* Under a heading, with no header of its own: the header above. */
			if ((error = table_from(&t, &last)) < 0)
				break;
			t.pillar = x->pillar;
			t.section = x->section;
			tables++;
		}
		if (t.kind) {
			size_t *rows = realloc(t.rows, (t.row_count + 1) * sizeof(*rows));

			if (!rows) {
				error = KK_ENOMEM;
				break;
			}
			t.rows = rows;
			t.rows[t.row_count++] = i;
		} else if (looks_like_data(r)) {
			error = imp_fail(x, r,
					 _("not in a table (no header row with 項目 and "
					   "令和N年度 above it)"));
			if (error >= 0)
				error = imp_explain(x, r, NULL, NULL, 0, 1);
		} else {
			error = explain_part(x, r,
					     _("outside any table, and not an item: skipped"));
		}
	}
	if (error >= 0)
		error = finish_table(x, &t);
	table_clear(&t);
	table_clear(&last);
	if (error < 0)
		return error;
	return tables;
}

void kk_import_free(kk_import *import)
{
	if (!import)
		return;
	json_decref(import->settings);
	json_decref(import->departments);
	json_decref(import->structure);
	json_decref(import->items);
	json_decref(import->corrected);
	free(import);
}

static void imp_clear(imp *x)
{
	for (size_t i = 0; i < x->row_count; i++) {
		for (int j = 0; j < x->rows[i].count; j++)
			free(x->rows[i].cells[j]);
		free(x->rows[i].cells);
		free(x->rows[i].flags);
	}
	free(x->rows);
	json_decref(x->settings);
	json_decref(x->pillars);
	json_decref(x->sections);
	json_decref(x->measures);
	json_decref(x->items);
	json_decref(x->ids);
	json_decref(x->known);
	json_decref(x->last_owners);
	json_decref(x->explain);
	json_decref(x->fixes);
	json_decref(x->corrected);
}

/* Fails for the problems of the corrections file, which --force does not skip. */
static int fix_problems(const imp *x, kk_diag *diag)
{
	return kk_diag_set(diag, KK_EINVALID,
			   P_("'%s' has %zu problem", "'%s' has %zu problems", x->fix_failed),
			   x->opts->corrections_name ? x->opts->corrections_name : "-",
			   x->fix_failed);
}

int kk_import_read(kk_import **out, const char *data, size_t len, const kk_import_options *opts,
		   kk_diaglist *rows, kk_diag *diag)
{
	static const kk_import_options none = {0};
	kk_import *result = NULL;
	kk_sheet *sheet = NULL;
	imp x = {0};
	int error, tables;

	x.opts = opts ? opts : &none;
	x.name = x.opts->name ? x.opts->name : "-";
	x.problems = rows;
	if (x.opts->settings)
		x.settings = json_deep_copy(x.opts->settings);
	else
		kk_json_parse(&x.settings, default_settings, strlen(default_settings), NULL, NULL);
	x.pillars = json_object();
	x.sections = json_object();
	x.measures = json_object();
	x.items = json_array();
	x.ids = json_object();
	x.known = json_object();
	x.corrected = json_array();
	if (x.opts->explain)
		x.explain = json_array();
	if (!x.settings || !x.pillars || !x.sections || !x.measures || !x.items || !x.ids ||
	    !x.known || !x.corrected || (x.opts->explain && !x.explain) ||
	    !add_mark(&x, "◎", "ahead", 0) || !add_mark(&x, "○", "on_track", 0) ||
	    !add_mark(&x, "▲", "behind", 0) || !add_mark(&x, "◯", "on_track", 0) ||
	    !add_mark(&x, "〇", "on_track", 0)) {
		error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
		goto done;
	}
	if ((error = kk_sheet_parse(&sheet, data, len, x.opts->name, diag)) < 0)
		goto done;
	if ((error = imp_fix_load(&x)) != 0) {
		if (error < 0)
			error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
		else
			error = fix_problems(&x, diag);
		goto done;
	}
	if ((error = clean_rows(&x, sheet)) < 0 || (tables = walk(&x)) < 0 ||
	    imp_fix_unused(&x) < 0 || (x.explain && imp_explain_out(&x) < 0)) {
		error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
		goto done;
	}
	if (tables == 0) {
		error = kk_diag_set(diag, KK_EINVALID,
				    _("'%s' has no report table (a header row with 項目 and "
				      "令和N年度)"),
				    x.name);
		goto done;
	}
	if (x.fix_failed) {
		error = fix_problems(&x, diag);
		goto done;
	}
	if (x.failed && !x.opts->force) {
		error = kk_diag_set(diag, KK_EINVALID,
				    P_("'%s' has %zu row that cannot be imported",
				       "'%s' has %zu rows that cannot be imported", x.failed),
				    x.name, x.failed);
		goto done;
	}
	if (json_array_size(x.items) == 0) {
		error = kk_diag_set(diag, KK_EINVALID, _("no row of '%s' can be imported"), x.name);
		goto done;
	}
	if (!(result = calloc(1, sizeof(*result))) || imp_build(result, &x) < 0) {
		error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
		goto done;
	}
	result->year = x.year;
	result->skipped = x.failed;
	result->corrected = json_incref(x.corrected);
	result->encoding = sheet->encoding;
	result->delimiter = sheet->delimiter;
	*out = result;
	result = NULL;
	error = 0;
done:
	kk_import_free(result);
	kk_sheet_free(sheet);
	imp_clear(&x);
	return error;
}

int kk_import_read_file(kk_import **out, const char *path, const kk_import_options *opts,
			kk_diaglist *rows, kk_diag *diag)
{
	kk_import_options o = opts ? *opts : (kk_import_options){0};
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0, cap = 0, n;
	int error = 0;

	if (!o.name)
		o.name = path;
	if (!f)
		return kk_diag_set(diag, KK_EIO, _("cannot read '%s': %s"), path, strerror(errno));
	do {
		if (len == cap) {
			char *bigger;

			if (cap > KK_SHEET_MAX_SIZE) {
				error = kk_diag_set(diag, KK_ELIMIT,
						    _("'%s' is larger than %u MiB"), path,
						    KK_SHEET_MAX_SIZE >> 20);
				goto done;
			}
			cap = cap ? cap * 2 : 65536;
			if (!(bigger = realloc(data, cap))) {
				error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
				goto done;
			}
			data = bigger;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		error = kk_diag_set(diag, KK_EIO, _("cannot read '%s': %s"), path, strerror(errno));
		goto done;
	}
	error = kk_import_read(out, data ? data : "", len, &o, rows, diag);
done:
	free(data);
	fclose(f);
	return error;
}
