/*
 * import_xlsx_int.h - what core/import/import_xlsx.c (the zip, the workbook
 * and its relationships) and core/import/import_xlsx_sheet.c (shared
 * strings, worksheets, the text of cells and the rows they make) share: the
 * state of one workbook being read.  Private to the .xlsx reader.
 */
#ifndef KK_IMPORT_XLSX_INT_H
#define KK_IMPORT_XLSX_INT_H

#include <expat.h>
#include <locale.h>
#include <stddef.h>
#include <stdint.h>
#include <zip.h>

#include "buf.h"
#include "common.h"
#include "import_sheet.h"

#define XLSX_MAX_ROW	 1048576u /* rows of a sheet: Excel's own limits */
#define XLSX_MAX_COL	 16384u	  /* columns: A to XFD */
#define XLSX_MAX_ENTRIES 65536	  /* files in the zip */
#define XLSX_MAX_SHEETS	 1024
#define XLSX_MAX_RELS	 4096 /* relationships of one part */
#define XLSX_MAX_STRINGS (1u << 20)
#define XLSX_MAX_MERGES	 (1u << 18) /* merged ranges of one sheet */
#define XLSX_MAX_DEPTH	 64	    /* nesting of XML elements */
#define XLSX_PART_MAX	 512	    /* bytes of a part's name */

/* The elements the reader looks at; everything else is E_OTHER. */
enum elem {
	E_OTHER,
	E_WORKBOOK,
	E_SHEETS,
	E_SHEET,
	E_RELATIONSHIP,
	E_SST,
	E_SI,
	E_R,
	E_RPH,
	E_T,
	E_SHEETDATA,
	E_ROW,
	E_C,
	E_V,
	E_IS,
	E_MERGECELLS,
	E_MERGECELL,
};

enum part_kind { PART_RELS, PART_WORKBOOK, PART_STRINGS, PART_SHEET };

enum cell_type { T_NUMBER, T_SHARED, T_INLINE, T_FORMULA_STRING, T_BOOL, T_AS_WRITTEN };

typedef struct xsheet {
	char *name;
	char *rid; /* the relationship that names its part */
	int visible;
} xsheet;

typedef struct xrel {
	char *id;
	char *type;
	char *target;
} xrel;

typedef struct xcell {
	uint32_t row, col; /* 1-based */
	char *text;	   /* never "" */
} xcell;

typedef struct xrange {
	uint32_t r0, c0, r1, c1; /* 1-based, inclusive; r0 == 0: outside the cells */
} xrange;

typedef struct xlsx {
	const char *name; /* the file's, for messages */
	kk_diag *diag;
	kk_sheet *out;
	zip_t *zip;
	locale_t c_locale; /* numbers are read and written the C way */
	size_t inflated;   /* bytes of all parts read so far */
	size_t text;	   /* bytes of cell text kept */
	size_t cells;	   /* cells in out's rows */

	/* The part being read. */
	XML_Parser parser;
	const char *part;
	enum part_kind kind;
	int error; /* a handler's, which stopped the parser */
	unsigned depth;
	unsigned char stack[XLSX_MAX_DEPTH];
	kk_buf *into; /* where character data goes, or NULL */
	unsigned into_depth;
	int saw_workbook;

	xsheet *sheets; /* the workbook's */
	size_t nsheets, sheets_cap;
	xrel *rels; /* the last .rels part read */
	size_t nrels, rels_cap;
	char **strings; /* the shared strings */
	size_t nstrings, strings_cap;
	kk_buf string; /* the one being read */

	/* The worksheet being read. */
	const char *sheet_name;
	xcell *xcells;
	size_t ncells, xcells_cap;
	xrange *merges;
	size_t nmerges, merges_cap;
	uint32_t row, col; /* the current row, the last cell's column */
	uint32_t cell_row, cell_col;
	enum cell_type type;
	int has_is;
	kk_buf value, inline_text;
} xlsx;

/* The element `n` levels above the current one (0: itself), or E_OTHER. */
static inline enum elem xlsx_up(const xlsx *x, unsigned n)
{
	return x->depth > n ? (enum elem)x->stack[x->depth - 1 - n] : E_OTHER;
}

/* An attribute without a namespace, or NULL. */
const char *xlsx_attr(const XML_Char **atts, const char *name);

/* Records a handler's error (the first one only) and stops the parser. */
void xlsx_halt(xlsx *x, int code);

/* Sets "out of memory" in the diagnostic; returns KK_ENOMEM. */
int xlsx_no_memory(xlsx *x);

/* xlsx_halt(), out of memory. */
void xlsx_out_of_memory(xlsx *x);

/* The handlers of the shared strings' elements (x->kind PART_STRINGS). */
void xlsx_strings_start(xlsx *x, enum elem e);
void xlsx_strings_end(xlsx *x, enum elem e);

/* The handlers of a worksheet's elements (PART_SHEET): a <c> ends in xlsx_cell_end(). */
void xlsx_sheet_start(xlsx *x, enum elem e, const XML_Char **atts);
void xlsx_cell_end(xlsx *x);

/*
 * Appends the rows of the worksheet just read (x->xcells, x->merges) to
 * x->out, its rows naming sheet `sheet_index`.  Returns 0, or an error
 * with the diagnostic set.
 */
int xlsx_add_rows(xlsx *x, size_t sheet_index);

/* Forgets the worksheet just read, for the next one. */
void xlsx_sheet_reset(xlsx *x);

#endif
