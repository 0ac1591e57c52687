/*
 * report_xlsx.c - the report as an xlsx workbook (libxlsxwriter).
 *
 * One sheet: the title, the legend, the two header rows (frozen, and
 * repeated on every printed page) with each 令和N年度 merged over its
 * columns, then per pillar and section a heading merged over the table's
 * width and the items, with each measure's two cells merged down its rows.
 *
 * libxlsxwriter reports some failures on stderr as well as in its return
 * codes; the checks below catch what they can (cell length, the path)
 * before the library would complain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "i18n.h"
#include "report_internal.h"

#define CELL_MAX 32767 /* characters in an Excel cell */

/* Column widths in Excel's units (characters of the default font). */
static const double widths[KK_REPORT_COLUMNS] = {
	[KK_REPORT_MEASURE] = 18,
	[KK_REPORT_DESCRIPTION] = 34,
	[KK_REPORT_TITLE] = 20,
	[KK_REPORT_OWNERS] = 12,
	[KK_REPORT_RELATED] = 14,
	[KK_REPORT_PREV_PLANNED] = 16,
	[KK_REPORT_PREV_PROGRESS] = 7,
	[KK_REPORT_PREV_ACHIEVEMENT] = 9,
	[KK_REPORT_PREV_RESULT] = 44,
	[KK_REPORT_PLANNED] = 16,
	[KK_REPORT_REVISED] = 16,
	[KK_REPORT_PROGRESS] = 7,
	[KK_REPORT_RESULT] = 44,
	[KK_REPORT_NEXT_REVISED] = 16,
	[KK_REPORT_ID] = 6,
	[KK_REPORT_STATUS] = 9,
};

typedef struct xlsx {
	lxw_workbook *wb;
	lxw_worksheet *ws;
	const kk_report *r;
	lxw_format *title, *note, *header, *pillar, *section;
	lxw_format *text[2], *center[2], *measure[2], *number[2]; /* [changed] */
	lxw_row_t row;
	lxw_error error;
	const kk_report_row *item; /* the row being written, for messages */
	kk_diag *diag;
} xlsx;

static lxw_format *new_format(xlsx *x, int wrap, int align, int changed)
{
	lxw_format *f = workbook_add_format(x->wb);

	format_set_font_size(f, 10);
	format_set_align(f, LXW_ALIGN_VERTICAL_TOP);
	if (align)
		format_set_align(f, (uint8_t)align);
	if (wrap)
		format_set_text_wrap(f);
	format_set_border(f, LXW_BORDER_THIN);
	format_set_border_color(f, 0xB9BEC6);
	if (changed)
		format_set_bg_color(f, 0xFFF1A8);
	return f;
}

static void formats(xlsx *x)
{
	for (int c = 0; c < 2; c++) {
		x->text[c] = new_format(x, 1, 0, c);
		x->center[c] = new_format(x, 1, LXW_ALIGN_CENTER, c);
		x->number[c] = new_format(x, 0, LXW_ALIGN_CENTER, c);
		x->measure[c] = new_format(x, 1, 0, c);
		if (!c)
			format_set_bg_color(x->measure[c], 0xF4F6F9);
	}
	x->title = workbook_add_format(x->wb);
	format_set_bold(x->title);
	format_set_font_size(x->title, 14);
	x->note = workbook_add_format(x->wb);
	format_set_font_size(x->note, 10);
	x->header = new_format(x, 1, LXW_ALIGN_CENTER, 0);
	format_set_align(x->header, LXW_ALIGN_VERTICAL_CENTER);
	format_set_bold(x->header);
	format_set_bg_color(x->header, 0xE8EDF3);
	x->pillar = workbook_add_format(x->wb);
	format_set_bold(x->pillar);
	format_set_font_size(x->pillar, 12);
	format_set_bg_color(x->pillar, 0xE8EDF3);
	format_set_align(x->pillar, LXW_ALIGN_VERTICAL_CENTER);
	x->section = workbook_add_format(x->wb);
	format_set_bold(x->section);
	format_set_font_size(x->section, 11);
	format_set_align(x->section, LXW_ALIGN_VERTICAL_CENTER);
}

/* Records the first error of a libxlsxwriter call. */
static void check(xlsx *x, lxw_error error)
{
	if (error != LXW_NO_ERROR && x->error == LXW_NO_ERROR)
		x->error = error;
}

/* Counts the code points of UTF-8 `s`. */
static size_t chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* Fails when `text` does not fit a cell, naming the item or the heading. */
static int fits(xlsx *x, const char *text)
{
	if (chars(text) <= CELL_MAX)
		return 1;
	if (x->error == LXW_NO_ERROR)
		x->error = LXW_ERROR_MAX_STRING_LENGTH_EXCEEDED;
	if (x->item)
		kk_diag_set(x->diag, KK_ELIMIT,
			    _("cannot write item '%lld' to xlsx: a cell holds more than %d "
			      "characters"),
			    (long long)x->item->id, CELL_MAX);
	else
		kk_diag_set(x->diag, KK_ELIMIT,
			    _("cannot write '%.40s' to xlsx: a cell holds more than %d characters"),
			    text, CELL_MAX);
	return 0;
}

static void put(xlsx *x, lxw_row_t row, lxw_col_t col, const char *text, lxw_format *f)
{
	if (fits(x, text))
		check(x, worksheet_write_string(x->ws, row, col, text, f));
}

/* A merged range, or a single cell when the range is one cell. */
static void merged(xlsx *x, lxw_row_t r0, lxw_col_t c0, lxw_row_t r1, lxw_col_t c1,
		   const char *text, lxw_format *f)
{
	if (r0 == r1 && c0 == c1)
		put(x, r0, c0, text, f);
	else if (fits(x, text))
		check(x, worksheet_merge_range(x->ws, r0, c0, r1, c1, text, f));
}

static void header(xlsx *x)
{
	const kk_report *r = x->r;
	lxw_row_t top = x->row;

	for (int c = 0; c < KK_REPORT_COLUMNS; c++) {
		const kk_report_column_info *info = kk_report_column_describe((kk_report_column)c);
		int span = 1;

		if (info->year == 2) {
			merged(x, top, (lxw_col_t)c, top + 1, (lxw_col_t)c, info->label, x->header);
			continue;
		}
		put(x, top + 1, (lxw_col_t)c, info->label, x->header);
		if (c > 0 &&
		    kk_report_column_describe((kk_report_column)(c - 1))->year == info->year)
			continue;
		while (c + span < KK_REPORT_COLUMNS &&
		       kk_report_column_describe((kk_report_column)(c + span))->year == info->year)
			span++;
		merged(x, top, (lxw_col_t)c, top, (lxw_col_t)(c + span - 1),
		       kk_report_year_name(r, info->year), x->header);
	}
	x->row += 2;
}

static void rows(xlsx *x, const kk_report_section *s)
{
	for (size_t i = 0; i < s->nmeasures; i++) {
		const kk_report_measure *m = &s->measures[i];
		lxw_row_t first = x->row;

		if (!m->nrows)
			continue;
		x->item = &m->rows[0];
		for (int c = KK_REPORT_MEASURE; c <= KK_REPORT_DESCRIPTION; c++)
			merged(x, first, (lxw_col_t)c, first + (lxw_row_t)m->nrows - 1,
			       (lxw_col_t)c, m->rows[0].cells[c],
			       x->measure[(m->changed & (1u << c)) != 0]);
		for (size_t d = 0; d < m->nrows; d++) {
			const kk_report_row *row = &m->rows[d];

			x->item = row;
			for (int c = KK_REPORT_TITLE; c < KK_REPORT_COLUMNS; c++) {
				int changed = (row->changed & (1u << c)) != 0;

				if (c == KK_REPORT_ID)
					check(x, worksheet_write_number(x->ws, x->row, (lxw_col_t)c,
									(double)row->id,
									x->number[changed]));
				else if (c == KK_REPORT_PREV_PROGRESS || c == KK_REPORT_PROGRESS ||
					 c == KK_REPORT_PREV_ACHIEVEMENT || c == KK_REPORT_STATUS)
					put(x, x->row, (lxw_col_t)c, row->cells[c],
					    x->center[changed]);
				else
					put(x, x->row, (lxw_col_t)c, row->cells[c],
					    x->text[changed]);
			}
			x->row++;
		}
	}
	x->item = NULL;
}

static void sheet(xlsx *x)
{
	const kk_report *r = x->r;
	char *line = NULL;
	lxw_row_t header_row;

	for (int c = 0; c < KK_REPORT_COLUMNS; c++)
		check(x, worksheet_set_column(x->ws, (lxw_col_t)c, (lxw_col_t)c, widths[c], NULL));
	if (asprintf(&line, "%s %s 進捗状況", r->title, kk_report_year_name(r, 0)) < 0) {
		x->error = LXW_ERROR_MEMORY_MALLOC_FAILED;
		return;
	}
	merged(x, 0, 0, 0, KK_REPORT_COLUMNS - 1, line, x->title);
	free(line);
	merged(x, 1, 0, 1, KK_REPORT_COLUMNS - 1,
	       "進捗度の凡例　◎ 計画より早く進んでいる　○ 計画どおり進んでいる　▲ 計画より遅れている",
	       x->note);
	x->row = 2;
	if (r->since) {
		if (asprintf(&line, "網掛けは %s 以降に変更された箇所（%zu）", r->since,
			     r->nchanged) < 0) {
			x->error = LXW_ERROR_MEMORY_MALLOC_FAILED;
			return;
		}
		merged(x, 2, 0, 2, KK_REPORT_COLUMNS - 1, line, x->note);
		free(line);
		x->row = 3;
	}
	header_row = x->row;
	header(x);
	worksheet_freeze_panes(x->ws, x->row, 0);
	check(x, worksheet_repeat_rows(x->ws, header_row, header_row + 1));

	for (kk_report_cursor c = {0}; kk_report_next_section(&c, r);) {
		if (c.opens) {
			check(x, worksheet_set_row(x->ws, x->row, 22, NULL));
			merged(x, x->row, 0, x->row, KK_REPORT_COLUMNS - 1, c.pillar->heading,
			       x->pillar);
			x->row++;
		}
		check(x, worksheet_set_row(x->ws, x->row, 20, NULL));
		merged(x, x->row, 0, x->row, KK_REPORT_COLUMNS - 1, c.section->heading, x->section);
		x->row++;
		rows(x, c.section);
	}
	worksheet_set_landscape(x->ws);
	worksheet_set_paper(x->ws, 8); /* A3 */
	worksheet_fit_to_pages(x->ws, 1, 0);
}

int kk_report_write_xlsx(const kk_report *r, const char *path, const char *tmpdir, kk_diag *diag)
{
	lxw_workbook_options options = {LXW_FALSE, (char *)tmpdir, LXW_FALSE};
	lxw_doc_properties props = {0};
	char comments[128];
	xlsx x = {0};
	lxw_error closed;

	x.r = r;
	x.diag = diag;
	if (!(x.wb = workbook_new_opt(path, &options)))
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	props.title = r->title;
	props.company = r->organisation;
	snprintf(comments, sizeof(comments), "keikaku report%s%.40s", r->commit ? " " : "",
		 r->commit ? r->commit : "");
	props.comments = comments;
	/* The plan's time, not now: the same plan gives the same workbook. */
	props.created = (time_t)r->time;
	check(&x, workbook_set_properties(x.wb, &props));
	/* The year's name makes a valid sheet name: no []:*?/\ and under 32 characters. */
	if (!(x.ws = workbook_add_worksheet(x.wb, kk_report_year_name(r, 0))))
		x.error = LXW_ERROR_PARAMETER_VALIDATION;
	else {
		formats(&x);
		sheet(&x);
	}
	closed = workbook_close(x.wb);
	if (x.error == LXW_NO_ERROR && closed == LXW_NO_ERROR)
		return 0;
	unlink(path);
	if (x.error == LXW_ERROR_MAX_STRING_LENGTH_EXCEEDED)
		return KK_ELIMIT; /* fits() said which cell */
	if ((x.error != LXW_NO_ERROR ? x.error : closed) == LXW_ERROR_MEMORY_MALLOC_FAILED)
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	return kk_diag_set(diag, KK_EIO, _("cannot write the xlsx report to '%s': %s"), path,
			   lxw_strerror(x.error != LXW_NO_ERROR ? x.error : closed));
}
