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
 */
#ifndef KK_IMPORT_SHEET_H
#define KK_IMPORT_SHEET_H

#include <stddef.h>

#include "common.h"

/* The largest file the reader takes. */
#define KK_SHEET_MAX_SIZE (64u * 1024u * 1024u)

typedef struct kk_sheet_row {
	size_t line;  /* 1-based line of the file where the row starts */
	char **cells; /* NUL-terminated UTF-8 */
	size_t count;
} kk_sheet_row;

typedef struct kk_sheet {
	kk_sheet_row *rows;
	size_t count;
	char delimiter;	      /* '\t' or ',' */
	const char *encoding; /* "UTF-8", "UTF-16LE", "UTF-16BE" or "CP932"; static */
} kk_sheet;

/*
 * Reads `len` bytes at `data`.  `name` (may be NULL) is the file's name: an
 * extension .csv means commas, .tsv or .tab tabs; otherwise the content
 * decides (tabs outside quotes mean TSV).  Fails with KK_EINVALID when the
 * bytes are neither UTF-8, UTF-16 nor CP932 text, KK_ELIMIT when they are
 * over KK_SHEET_MAX_SIZE, KK_ENOMEM.  Free with kk_sheet_free().
 */
int kk_sheet_parse(kk_sheet **out, const char *data, size_t len, const char *name, kk_diag *diag);
void kk_sheet_free(kk_sheet *sheet);

#endif
