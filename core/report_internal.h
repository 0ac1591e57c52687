/*
 * report_internal.h - what the report's writers (report_*.c) share: a
 * growable output buffer and the writers themselves.  Not a public API.
 */
#ifndef KK_REPORT_INTERNAL_H
#define KK_REPORT_INTERNAL_H

#include <stddef.h>

#include "report.h"

/* A growable byte buffer that remembers running out of memory. */
typedef struct kk_report_buf {
	char *data;
	size_t len;
	size_t alloc;
	int failed; /* an allocation failed; everything after it was dropped */
} kk_report_buf;

void kk_report_buf_put(kk_report_buf *b, const char *s, size_t n);
void kk_report_buf_puts(kk_report_buf *b, const char *s);
void kk_report_buf_printf(kk_report_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void kk_report_buf_free(kk_report_buf *b);

/* The header of year column group -1, 0, +1 ("令和3年度"). */
const char *kk_report_year_name(const kk_report *report, int offset);

/* Tells whether the cell `column` of `row` is to be shown: measure cells only on a measure's first
 * row. */
int kk_report_shows(const kk_report_measure *measure, size_t row, kk_report_column column);

/* The writers; each appends to `b` and returns 0 or a KK_E* code with `diag` set. */
int kk_report_write_tsv(kk_report_buf *b, const kk_report *report, char sep,
			const kk_report_text_opts *opts, kk_diag *diag);
int kk_report_write_md(kk_report_buf *b, const kk_report *report, kk_diag *diag);
int kk_report_write_html(kk_report_buf *b, const kk_report *report, kk_diag *diag);

#endif
