/*
 * import_row.h - what import_row.c (placing a row's cells) and import_item.c
 * (the item made of them, corrected and explained) share.  Private to the
 * importer.
 */
#ifndef KK_IMPORT_ROW_H
#define KK_IMPORT_ROW_H

#include <jansson.h>

#include "import_cell.h"
#include "import_int.h"

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
static inline const char *value(const char *s)
{
	return !s || !*s || kk_cell_is_dash(s) ? NULL : s;
}

static inline int nonempty(const imp_row *r, int i)
{
	return *imp_cell(r, i) != '\0';
}

/* The text of a row's cell for a message: quoted by the caller, cut short. */
static inline const char *excerpt(char *buf, size_t size, const char *s)
{
	kk_cell_excerpt(buf, size, s, EXCERPT);
	return buf;
}

/* What a row says about one fiscal year. */
typedef struct year_values {
	const char *planned, *revised, *progress, *achievement, *result;
} year_values;

/* The fields of a row, in the order a report's columns have them. */
enum {
	F_MEASURE,
	F_MEASURE_TITLE,
	F_DESCRIPTION,
	F_TITLE,
	F_OWNERS,
	F_RELATED,
	F_PREV_PLANNED,
	F_PREV_PROGRESS,
	F_PREV_ACHIEVEMENT,
	F_PREV_RESULT,
	F_PLANNED,
	F_REVISED,
	F_PROGRESS,
	F_RESULT,
	F_NEXT_REVISED,
	F_ID,
	F_STATUS,
	F_COUNT
};

typedef struct placed {
	long id;
	const char *status;
	int id_col;
	int prev_mark, mark; /* columns of the two 進捗度 marks, or -1 */
	const char *prev_code, *code;
	int anchor; /* the 項目 column found by its 【…追加】 marker, or -1 */
	int title_col, owner_col, related_col;
	year_values prev, cur;
	const char *next_revised;
	int merged;	    /* the previous year's 達成度 and result share a cell */
	int prev_from_dash; /* its 達成度 was a dash */
	/* Where each field was read from (a column, or -1) and why: for --explain. */
	int col[F_COUNT];
	const char *why[F_COUNT];
} placed;

/* Records that field `f` was read from column `col` because of `why` (N_()). */
static inline void read_as(placed *p, int f, int col, const char *why)
{
	p->col[f] = col;
	p->why[f] = why;
}

/* --- import_item.c --- */

/*
 * Builds the item of placed row `r` (in measure `measure`, key
 * `measure_key`) and adds it to x->items.  Returns 0, 1 when the row fails
 * (reported), or KK_ENOMEM.
 */
int imp_add_item(imp *x, const imp_row *r, placed *p, int measure, const char *measure_key);

/* Applies the corrections of row `r` and of item `id` to the item just added. */
int imp_apply_fixes(imp *x, const imp_row *r, long id, json_t *cells);

/* Tells whether `fix` gives every field an item needs, to build it without its row. */
int imp_fix_is_whole(const json_t *fix);

/*
 * Row `r` cannot be read, but the corrections give its item whole: builds
 * it in the current section and measure (or the one they give), and takes
 * the row's problem back.  Returns 0, 1 when it still fails, KK_ENOMEM.
 */
int imp_item_from_fix(imp *x, const imp_row *r, const json_t *fix, json_t *cells);

/*
 * How row `r` was read, field by field in the order of its cells, for
 * --explain; a row that `failed` also lists the filled cells not read.
 */
json_t *imp_reading(const imp *x, const imp_row *r, const placed *p, int failed);

#endif
