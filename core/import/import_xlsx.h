/*
 * import_xlsx.h - an Excel workbook (.xlsx) as rows of text cells.
 *
 * Private to core/import: kk_sheet_parse() (import_sheet.h) calls it when the
 * bytes are a zip or the name ends in .xlsx, and the rows come out as that
 * header describes them.
 */
#ifndef KK_IMPORT_XLSX_H
#define KK_IMPORT_XLSX_H

#include <stddef.h>

#include "common.h"
#include "import_sheet.h"

/*
 * Reads the workbook in `len` bytes at `data` into `sheet`, which is empty
 * (zeroed) and which the caller frees with kk_sheet_free() whether or not
 * the call succeeds.  `name` is the file's name for messages (may be NULL).
 * Fails with KK_EINVALID when the bytes are not a readable workbook (not a
 * zip, cut short, no workbook part, an encrypted or oddly compressed part,
 * XML that is not well-formed, a cell that names a shared string or a
 * position that does not exist), KK_ELIMIT when the workbook is over a
 * limit of import_sheet.h, KK_ENOMEM; `diag` names the part, or the sheet
 * and the cell.
 */
int kk_xlsx_read(kk_sheet *sheet, const char *data, size_t len, const char *name, kk_diag *diag);

#endif
