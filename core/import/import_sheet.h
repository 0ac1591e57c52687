/*
 * import_sheet.h - a spreadsheet export as rows of text cells.
 *
 * The first step of `keikaku import` (core/import/import.h): the bytes of a TSV or
 * CSV file, as a spreadsheet writes them, become rows of UTF-8 cells.  The
 * reader accepts UTF-8 (with or without a byte-order mark), UTF-16 with a
 * byte-order mark (Excel's "Unicode text") and CP932 (Shift_JIS as Windows
 * writes it); LF, CRLF or CR line ends; RFC 4180 quoting in both formats,
 * with newlines inside quoted cells.  A cell that starts with a quote but
 * is not properly quoted is read as written.  Cells are left as they are
 * (no trimming); newlines inside a cell become LF.
 *
 * An Excel workbook (.xlsx, recognised by its zip signature or its name)
 * is read by import_xlsx.c into the same rows: every visible worksheet in
 * the workbook's order, each cell's text as Excel's "Text (Tab delimited)"
 * export would write it, empty rows and columns where they are, and the
 * merged ranges as flags on the cells they cover.  An old binary .xls and
 * an OpenDocument .ods are refused with a message that says to save the
 * file as .xlsx.
 */
#ifndef KK_IMPORT_SHEET_H
#define KK_IMPORT_SHEET_H

#include <stddef.h>

#include "common.h"

/*
 * The largest file the reader takes; for a workbook also the most it
 * inflates (all the parts read, together) and the most cell text it keeps.
 */
#define KK_SHEET_MAX_SIZE (64u * 1024u * 1024u)
/* The most rows, and cells, a workbook gives (in all its sheets together). */
#define KK_SHEET_MAX_ROWS  (1u << 20)
#define KK_SHEET_MAX_CELLS (1u << 21)

/*
 * Flags of a cell of a workbook that lies inside a merged range but is not
 * its top-left cell, whose value the whole range shows (the cell's own text
 * is then ""): MERGED_ABOVE when the value sits in a row above ("same as
 * above": a measure or an owner merged down the rows that share it),
 * MERGED_LEFT when it sits in a column to the left (a heading merged over
 * the table's width).  A cell below and right of the value has both.
 */
#define KK_SHEET_MERGED_ABOVE 1
#define KK_SHEET_MERGED_LEFT  2

typedef struct kk_sheet_row {
	size_t line;	      /* 1-based line of the file where the row starts; in a
				 workbook, the row's number in its sheet */
	size_t sheet;	      /* a workbook's: an index into kk_sheet.sheets; in TSV and
				 CSV, 0 */
	char **cells;	      /* NUL-terminated UTF-8 */
	unsigned char *flags; /* `count` KK_SHEET_MERGED_* flags, one per cell; NULL when
				 no cell of the row has one (always, in TSV and CSV) */
	size_t count;
} kk_sheet_row;

typedef struct kk_sheet {
	kk_sheet_row *rows; /* a workbook's sheets one after the other */
	size_t count;
	char **sheets; /* a workbook's sheet names, in its order; NULL in TSV/CSV */
	size_t sheet_count;
	char delimiter;	      /* '\t' or ','; '\t' for a workbook */
	const char *encoding; /* "UTF-8", "UTF-16LE", "UTF-16BE", "CP932", or "xlsx" for a
				 workbook; static */
} kk_sheet;

/*
 * Reads `len` bytes at `data`.  `name` (may be NULL) is the file's name: an
 * extension .csv means commas, .tsv or .tab tabs; otherwise the content
 * decides (tabs outside quotes mean TSV).  A zip (an .xlsx workbook) or a
 * name ending in .xlsx is read as a workbook.  Fails with KK_EINVALID when
 * the bytes are neither UTF-8, UTF-16 nor CP932 text, when they are an
 * .xls, an .ods or a damaged or hostile workbook (the message names the
 * part or the cell), KK_ELIMIT when they are over KK_SHEET_MAX_SIZE or a
 * workbook over one of the limits above, KK_ENOMEM.  Free with
 * kk_sheet_free().
 */
int kk_sheet_parse(kk_sheet **out, const char *data, size_t len, const char *name, kk_diag *diag);
void kk_sheet_free(kk_sheet *sheet);

#endif
