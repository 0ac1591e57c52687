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

/* The writers; each appends to `b` and returns 0 or a KK_E* code with `diag` set. */
int kk_report_write_tsv(kk_buf *b, const kk_report *report, char sep,
			const kk_report_text_opts *opts, kk_diag *diag);
int kk_report_write_md(kk_buf *b, const kk_report *report, kk_diag *diag);
int kk_report_write_html(kk_buf *b, const kk_report *report, kk_diag *diag);

#endif
