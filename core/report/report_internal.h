/*
 * report_internal.h - what the report's writers (report_*.c) share.  Not a
 * public API.
 */
#ifndef KK_REPORT_INTERNAL_H
#define KK_REPORT_INTERNAL_H

#include <stddef.h>

#include "buf.h"
#include "report.h"

/* The header of year column group -1, 0, +1 ("令和3年度"). */
const char *kk_report_year_name(const kk_report *report, int offset);

/* Tells whether the cell `column` of `row` is to be shown: measure cells only on a measure's first
 * row. */
int kk_report_shows(const kk_report_measure *measure, size_t row, kk_report_column column);

/*
 * A walk over the sections a report shows, those with rows, in order:
 * zero-initialise, then call kk_report_next_section() until it returns 0.
 */
typedef struct kk_report_cursor {
	const kk_report_pillar *pillar;
	const kk_report_section *section;
	int opens;   /* the first section shown of its pillar: the pillar's heading comes first */
	int closes;  /* the last section shown of its pillar */
	size_t a, i; /* where the walk goes on: pillar a, from section i */
} kk_report_cursor;

/* Moves `c` to the next section with rows; returns 0 when there is none. */
int kk_report_next_section(kk_report_cursor *c, const kk_report *report);

/* The writers; each appends to `b` and returns 0 or a KK_E* code with `diag` set. */
int kk_report_write_tsv(kk_buf *b, const kk_report *report, char sep,
			const kk_report_text_opts *opts, kk_diag *diag);
int kk_report_write_md(kk_buf *b, const kk_report *report, kk_diag *diag);
/* kk_report_json()'s document as json_dumps() writes it with JSON_INDENT(2), and a newline. */
int kk_report_write_json(kk_buf *b, const kk_report *report, kk_diag *diag);
int kk_report_write_html(kk_buf *b, const kk_report *report, const kk_report_text_opts *opts,
			 kk_diag *diag);

#endif
