/*
 * import_int.h - what core/import/import.c (the report: headings, tables, the plan
 * it builds) and core/import/import_row.c (placing one row's cells) share.
 * Private to the importer.
 */
#ifndef KK_IMPORT_INT_H
#define KK_IMPORT_INT_H

#include <stddef.h>

#include <jansson.h>

#include "common.h"
#include "import.h"

/* What a header column holds. */
enum {
	COL_NONE,
	COL_MEASURE,
	COL_DESCRIPTION,
	COL_TITLE,
	COL_OWNERS,
	COL_RELATED,
	COL_PLANNED,
	COL_REVISED,
	COL_PROGRESS,
	COL_ACHIEVEMENT,
	COL_RESULT,
	COL_ID,
	COL_STATUS,
};

/* One row of the file, its cells cleaned (kk_cell_clean). */
typedef struct imp_row {
	size_t line;	      /* its line, or in a workbook its row number in its sheet */
	const char *sheet;    /* a workbook's sheet name when it has several, or NULL */
	char **cells;
	unsigned char *flags; /* KK_SHEET_MERGED_* per cell (a workbook's), or NULL */
	int count;
} imp_row;

/* One table: its header, read once, and its data rows. */
typedef struct imp_table {
	size_t line;	     /* the header row's line */
	int pillar, section; /* the headings above it; 0 when there is none */
	int year;	     /* the report year its header names; 0 when it names none */
	char problem[KK_DIAG_MESSAGE_MAX]; /* when set, why none of its rows can be placed */
	int columns;
	int *kind; /* per header column: COL_* */
	int *fy;   /* per header column: the fiscal year of its group, or 0 */
	/* Header columns (0-based) of the previous year's 進捗度 and 結果, this year's 進捗度. */
	int prev_progress, prev_result, progress;
	int title;    /* the header's 項目 column */
	int offset;   /* how far right of the header its rows' previous-year cells usually are */
	unsigned char used[100]; /* the measure numbers its rows' first cells name */
	size_t *rows; /* indices into imp->rows */
	size_t row_count;
} imp_table;

/* A progress mark and what it means. */
typedef struct imp_mark {
	char text[8];
	const char *code;
} imp_mark;

typedef struct imp {
	const kk_import_options *opts;
	const char *name; /* for messages */
	json_t *settings; /* the keikaku.json the plan starts from: eras, phases */
	kk_diaglist *problems;
	imp_row *rows;
	size_t row_count;
	imp_mark marks[16];
	size_t mark_count;
	int year;	       /* the report year, from the first table; 0 before */
	size_t year_line;      /* the header row that named it */
	int pillar, section;   /* the current headings */
	json_t *pillars;       /* "1" -> {"title", "line"} */
	json_t *sections;      /* "1/2" -> {"title", "line"} */
	json_t *measures;      /* "1/2/3" -> {"title", "description"?, "line", "used"?} */
	char measure[16];      /* key of the current measure, or "" */
	size_t measure_broken; /* the row whose 施策 could not be read, or 0 */
	json_t *items;	       /* imported items, in row order */
	json_t *ids;	       /* "26" -> the line of its row */
	json_t *known;	       /* the department names read so far: name -> true */
	json_t *last_owners;   /* the 担当課 of the table's last item, or NULL */
	size_t last_owners_line;
	json_t *explain;       /* with opts->explain: how each row was read */
	json_t *fixes;	       /* the corrections' entries, checked (import_fix.c), or NULL */
	json_t *corrected;     /* the entries applied: kk_import.corrected */
	size_t failed;	       /* rows reported */
	size_t fix_failed;     /* problems of the corrections file reported */
	size_t sheets;	       /* a workbook's sheets; 0 for TSV and CSV */
} imp;

/*
 * With opts->explain, adds to it how row `r` was read: `what` (a
 * heading, the header, a note: translated) and, for a data row, `cells`
 * ([{column, text, field, label, why}], taken) and the item's `id`; a row
 * that failed gets the last problem reported.  Returns 0 or KK_ENOMEM.
 */
int imp_explain(imp *x, const imp_row *r, const char *what, json_t *cells, long id, int failed);

/*
 * Hands the rows' readings to the caller (opts->explain) in the file's
 * order.  Returns 0, or -1 when out of memory.
 */
int imp_explain_out(imp *x);

/*
 * Records that row `r` cannot be placed and why.  Returns 1 (the row
 * failed), or KK_ENOMEM.
 */
int imp_fail(imp *x, const imp_row *r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The cell at `i`, or "" beyond the row. */
const char *imp_cell(const imp_row *r, int i);

/* Tells whether the cell at `i` is merged with the one above it (a workbook's merged range). */
int imp_merged_above(const imp_row *r, int i);

/* The progress code of mark `s` ("on_track" for ○), or NULL. */
const char *imp_mark_code(const imp *x, const char *s);

/* The era name of fiscal year `year` ("令和3年度") in `buf`. */
const char *imp_year_name(const imp *x, int year, char *buf, size_t size);

/*
 * The column of row `r`'s previous-year 進捗度 mark when it can be told
 * without the table's layout (the first of two marks, or a mark followed by
 * a 達成度 word), or -1.
 */
int imp_row_prev_mark(const imp *x, const imp_row *r);

/*
 * Places data row `r` of table `t`: adds its item to x->items, or reports
 * why not.  Returns 0 when placed, 1 when it failed, KK_ENOMEM.
 */
int imp_place_row(imp *x, const imp_table *t, const imp_row *r);

/*
 * Fills `result`'s items (by 通番), departments.json, plan.json and
 * keikaku.json from what the rows said (import_plan.c).  Returns 0, or -1
 * when out of memory.
 */
int imp_build(kk_import *result, const imp *x);

/* --- the corrections file (import_fix.c) --- */

/*
 * Checks opts->corrections and keeps its entries in x->fixes, values as
 * the plan stores them.  Returns 0, 1 when it reported problems (each with
 * the file's name and a JSON pointer), or KK_ENOMEM.
 */
int imp_fix_load(imp *x);

/* The entry whose `key` ("row" or "id") is `value`, or NULL. */
const json_t *imp_fix_find(const imp *x, const char *key, long value);

/* The entry for row `r`: its line, and its sheet in a workbook of several; or NULL. */
const json_t *imp_fix_row(const imp *x, const imp_row *r);

/*
 * Sets the cells an entry gives for row `r` (cleaned), before the row is
 * classified and read; records it.  Returns 0 or KK_ENOMEM.
 */
int imp_fix_cells(imp *x, imp_row *r);

/* Adds to `cells` (may be NULL) which of row `r`'s cells the corrections set. */
int imp_fix_explain_cells(const imp *x, const imp_row *r, json_t *cells);

/* When an entry skips row `r`: records it and returns 1; else 0; KK_ENOMEM. */
int imp_fix_skip(imp *x, const imp_row *r);

/*
 * Sets the fields of `fix` on `item`, read from row `r`; adds to `cells`
 * (may be NULL) why each was set, and records the entry.  Returns 0, 1
 * when the row fails (a 通番 or 施策 that cannot be), or KK_ENOMEM.
 */
int imp_fix_apply(imp *x, const imp_row *r, json_t *item, const json_t *fix, json_t *cells);

/* Reports every entry that matched no row or item.  Returns 0 or KK_ENOMEM. */
int imp_fix_unused(imp *x);

#endif
