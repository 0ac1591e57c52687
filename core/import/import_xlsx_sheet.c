/*
 * import_xlsx_sheet.c - the shared strings and the worksheets of an .xlsx
 * (import_xlsx.c reads the zip and calls these as expat reads the parts),
 * and a sheet's cells and merged ranges made into rows (import_sheet.h).
 *
 * A cell's text is what Excel's "Text (Tab delimited)" export writes: a
 * shared or inline string (rich text runs joined, phonetic runs left out,
 * the _xHHHH_ escapes decoded, line ends made LF), a number in the fewest
 * digits that read back as the same number (26, not 26.0), TRUE or FALSE,
 * an error as written (#N/A), a formula's cached value; a merged range's
 * value in its top-left cell only.  Number formats (dates, percentages)
 * are not applied: a date cell reads as its serial number.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "i18n.h"
#include "import_xlsx_int.h"
#include "json.h"

static int limit_cells(xlsx *x)
{
	return kk_diag_set(x->diag, KK_ELIMIT, _("'%s' has more than %u cells"), x->name,
			   KK_SHEET_MAX_CELLS);
}

/* Reads a cell reference such as "C12" at *s and moves past it; 0 when there is none. */
static int parse_ref(const char **s, uint32_t *col, uint32_t *row)
{
	const char *p = *s;
	uint32_t c = 0, r = 0;
	int n;

	for (n = 0; n < 3 && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')); n++, p++)
		c = c * 26 + (uint32_t)((*p & ~0x20) - 'A' + 1);
	if (n == 0 || c > XLSX_MAX_COL || *p < '1' || *p > '9')
		return 0;
	for (n = 0; n < 7 && *p >= '0' && *p <= '9'; n++, p++)
		r = r * 10 + (uint32_t)(*p - '0');
	if (r > XLSX_MAX_ROW || (*p >= '0' && *p <= '9'))
		return 0;
	*s = p;
	*col = c;
	*row = r;
	return 1;
}

/* "C12" for column 3, row 12. */
static void ref_name(char out[16], uint32_t col, uint32_t row)
{
	char letters[4];
	int n = 0;

	while (col > 0 && n < 3) {
		col--;
		letters[2 - n++] = (char)('A' + col % 26);
		col /= 26;
	}
	snprintf(out, 16, "%.*s%u", n, letters + 3 - n, row);
}

/* A row number as written (1 to Excel's last row), or 0. */
static uint32_t parse_row(const char *s)
{
	uint32_t r = 0;
	int n = 0;

	if (*s < '1' || *s > '9')
		return 0;
	for (; n < 7 && *s >= '0' && *s <= '9'; n++, s++)
		r = r * 10 + (uint32_t)(*s - '0');
	return *s || r > XLSX_MAX_ROW ? 0 : r;
}

/* --- text --- */

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		int d = kk_json_hex_digit((unsigned char)s[i]);

		if (d < 0)
			return 0;
		v = v << 4 | (unsigned)d;
	}
	*out = v;
	return 1;
}

/* The escape _xHHHH_ at s[i] (of n bytes): its UTF-16 unit, or -1. */
static long escape_at(const char *s, size_t i, size_t n)
{
	unsigned v;

	if (i + 7 > n || s[i] != '_' || s[i + 1] != 'x' || s[i + 6] != '_' || !hex4(s + i + 2, &v))
		return -1;
	return (long)v;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * Decodes a string's _xHHHH_ escapes (how SpreadsheetML writes characters
 * XML cannot hold, such as a CR) and makes every line end LF, as the
 * TSV reader does, in place: the text only gets shorter.  A NUL is dropped,
 * an unpaired surrogate becomes U+FFFD.
 */
static void unescape(kk_buf *b)
{
	char *s = b->data, *o = s;
	size_t i = 0, n = b->len;

	if (!s)
		return;
	while (i < n) {
		long u = escape_at(s, i, n), lo;
		unsigned cp;

		if (u < 0) {
			*o++ = s[i++];
			continue;
		}
		i += 7;
		cp = (unsigned)u;
		if (cp >= 0xD800 && cp <= 0xDBFF && (lo = escape_at(s, i, n)) >= 0xDC00 &&
		    lo <= 0xDFFF) {
			cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned)lo - 0xDC00);
			i += 7;
		} else if (cp >= 0xD800 && cp <= 0xDFFF) {
			cp = 0xFFFD;
		}
		if (cp != 0)
			o += put_utf8(o, cp);
	}
	n = (size_t)(o - s);
	for (i = 0, o = s; i < n; i++) {
		if (s[i] == '\r') {
			*o++ = '\n';
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	b->len = (size_t)(o - s);
}

/*
 * The text of a number as Excel's General format shows it: an integer
 * without a fraction (26, not 26.0), any other number in the fewest digits
 * that read back as the same double.  Returns NULL when `v` is not a
 * number, and the caller keeps it as written.
 */
static const char *number_text(char *out, size_t size, const char *v, locale_t c)
{
	const char *result = out;
	locale_t previous;
	double d;
	char *end;

	if (!*v || strspn(v, "0123456789+-.eE") != strlen(v))
		return NULL;
	previous = uselocale(c);
	d = strtod(v, &end);
	if (*end || !isfinite(d))
		result = NULL;
	else if (d == 0)
		snprintf(out, size, "0");
	else /* 15 digits: every integer of Excel's precision, without a fraction */
		for (int digits = 15; digits <= 17; digits++) {
			snprintf(out, size, "%.*g", digits, d);
			if (strtod(out, NULL) == d)
				break;
		}
	uselocale(previous);
	return result;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Trims XML white space from both ends of `b`. */
static void trim(kk_buf *b)
{
	size_t start = 0, end = b->len;

	if (!b->data)
		return;
	while (start < end && is_space(b->data[start]))
		start++;
	while (end > start && is_space(b->data[end - 1]))
		end--;
	memmove(b->data, b->data + start, end - start);
	b->data[end - start] = '\0';
	b->len = end - start;
}

static void buf_reset(kk_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* --- shared strings and worksheets --- */

void xlsx_strings_start(xlsx *x, enum elem e)
{
	if (e == E_SI && xlsx_up(x, 1) == E_SST) {
		buf_reset(&x->string);
		return;
	}
	/* <si><t> or a rich text run's <si><r><t>, never a phonetic run's <si><rPh><t> */
	if (e == E_T &&
	    ((xlsx_up(x, 1) == E_SI && xlsx_up(x, 2) == E_SST) ||
	     (xlsx_up(x, 1) == E_R && xlsx_up(x, 2) == E_SI && xlsx_up(x, 3) == E_SST))) {
		x->into = &x->string;
		x->into_depth = x->depth;
	}
}

void xlsx_strings_end(xlsx *x, enum elem e)
{
	int error;

	if (e != E_SI || xlsx_up(x, 1) != E_SST)
		return;
	if ((error = KK_ARRAY_GROW_MAX(x->strings, x->nstrings + 1, x->strings_cap,
				       XLSX_MAX_STRINGS)) < 0) {
		xlsx_halt(x, error == KK_ENOMEM
				     ? xlsx_no_memory(x)
				     : kk_diag_set(x->diag, KK_ELIMIT,
						   _("'%s': %s has more than %u strings"), x->name,
						   x->part, XLSX_MAX_STRINGS));
		return;
	}
	unescape(&x->string);
	if (!(x->strings[x->nstrings] = strdup(x->string.data ? x->string.data : ""))) {
		xlsx_out_of_memory(x);
		return;
	}
	x->nstrings++;
}

/* A cell or a range's reference that is not one, or a row number that is not one. */
static void bad_ref(xlsx *x, const char *ref)
{
	xlsx_halt(
		x,
		kk_diag_set(x->diag, KK_EINVALID,
			    _("'%s': '%.32s' in sheet '%s' is not a cell (columns A to XFD, rows 1 "
			      "to 1048576)"),
			    x->name, ref, x->sheet_name));
}

static void merge_start(xlsx *x, const XML_Char **atts)
{
	const char *ref = xlsx_attr(atts, "ref"), *p = ref;
	uint32_t c0, r0, c1, r1;
	int error;

	if (!ref)
		return;
	if (!parse_ref(&p, &c0, &r0) ||
	    (*p && (*p != ':' || (p++, !parse_ref(&p, &c1, &r1)) || *p))) {
		bad_ref(x, ref);
		return;
	}
	if (!strchr(ref, ':'))
		return; /* one cell: nothing is merged */
	if ((error = KK_ARRAY_GROW_MAX(x->merges, x->nmerges + 1, x->merges_cap, XLSX_MAX_MERGES)) <
	    0) {
		xlsx_halt(x, error == KK_ENOMEM
				     ? xlsx_no_memory(x)
				     : kk_diag_set(
					       x->diag, KK_ELIMIT,
					       _("'%s': sheet '%s' has more than %u merged ranges"),
					       x->name, x->sheet_name, XLSX_MAX_MERGES));
		return;
	}
	x->merges[x->nmerges++] = (xrange){r0 < r1 ? r0 : r1, c0 < c1 ? c0 : c1, r0 < r1 ? r1 : r0,
					   c0 < c1 ? c1 : c0};
}

void xlsx_sheet_start(xlsx *x, enum elem e, const XML_Char **atts)
{
	const char *r, *t, *p;

	switch (e) {
	case E_ROW:
		if (xlsx_up(x, 1) != E_SHEETDATA)
			return;
		if ((r = xlsx_attr(atts, "r"))) {
			if (!(x->row = parse_row(r)))
				bad_ref(x, r);
		} else if (++x->row > XLSX_MAX_ROW) {
			bad_ref(x, "1048577");
		}
		x->col = 0;
		return;
	case E_C:
		if (xlsx_up(x, 1) != E_ROW || xlsx_up(x, 2) != E_SHEETDATA)
			return;
		if ((p = r = xlsx_attr(atts, "r"))) {
			if (!parse_ref(&p, &x->col, &x->cell_row) || *p) {
				bad_ref(x, r);
				return;
			}
		} else if (++x->col > XLSX_MAX_COL) {
			bad_ref(x, "XFE1");
			return;
		} else {
			x->cell_row = x->row;
		}
		x->cell_col = x->col;
		t = xlsx_attr(atts, "t");
		x->type = !t || !strcmp(t, "n")	    ? T_NUMBER
			  : !strcmp(t, "s")	    ? T_SHARED
			  : !strcmp(t, "inlineStr") ? T_INLINE
			  : !strcmp(t, "str")	    ? T_FORMULA_STRING
			  : !strcmp(t, "b")	    ? T_BOOL
						    : T_AS_WRITTEN;
		x->has_is = 0;
		buf_reset(&x->value);
		buf_reset(&x->inline_text);
		return;
	case E_V:
		if (xlsx_up(x, 1) == E_C && xlsx_up(x, 2) == E_ROW)
			x->into = &x->value;
		break;
	case E_IS:
		if (xlsx_up(x, 1) == E_C && xlsx_up(x, 2) == E_ROW)
			x->has_is = 1;
		return;
	case E_T:
		if ((xlsx_up(x, 1) == E_IS && xlsx_up(x, 2) == E_C) ||
		    (xlsx_up(x, 1) == E_R && xlsx_up(x, 2) == E_IS && xlsx_up(x, 3) == E_C))
			x->into = &x->inline_text;
		break;
	case E_MERGECELL:
		if (xlsx_up(x, 1) == E_MERGECELLS)
			merge_start(x, atts);
		return;
	default: return;
	}
	if (x->into)
		x->into_depth = x->depth;
}

/* The text of the cell just read into x->value or x->inline_text; NULL when out of memory. */
static const char *cell_text(xlsx *x, char *number, size_t size)
{
	const char *v;
	char *end;
	unsigned long long index;
	char ref[16];
	kk_buf *b;

	switch (x->type) {
	case T_SHARED:
		trim(&x->value);
		v = x->value.data ? x->value.data : "";
		index = strtoull(v, &end, 10);
		if (!*v || *end || *v == '-' || *v == '+' || index >= x->nstrings) {
			ref_name(ref, x->cell_col, x->cell_row);
			xlsx_halt(x,
				  kk_diag_set(x->diag, KK_EINVALID,
					      _("'%s': cell %s of sheet '%s' names shared string "
						"'%.24s', but there are %zu"),
					      x->name, ref, x->sheet_name, v, x->nstrings));
			return NULL;
		}
		return x->strings[index];
	case T_INLINE:
	case T_FORMULA_STRING:
		/* an inline string's <is>, or its <v> from a writer that put it there */
		b = x->type == T_INLINE && x->has_is ? &x->inline_text : &x->value;
		unescape(b);
		return b->data ? b->data : "";
	case T_BOOL:
		trim(&x->value);
		v = x->value.data ? x->value.data : "";
		return !strcmp(v, "1") ? "TRUE" : !strcmp(v, "0") ? "FALSE" : v;
	case T_NUMBER:
		trim(&x->value);
		v = x->value.data ? x->value.data : "";
		return number_text(number, size, v, x->c_locale) ? number : v;
	case T_AS_WRITTEN: break;
	}
	return x->value.data ? x->value.data : "";
}

void xlsx_cell_end(xlsx *x)
{
	char number[40];
	const char *text = cell_text(x, number, sizeof(number));
	size_t len;
	xcell *c;
	int error;

	if (!text || !*text)
		return;
	len = strlen(text);
	if (len > KK_SHEET_MAX_SIZE - x->text) {
		xlsx_halt(x,
			  kk_diag_set(x->diag, KK_ELIMIT, _("'%s' holds more than %u MiB of text"),
				      x->name, KK_SHEET_MAX_SIZE >> 20));
		return;
	}
	if ((error = KK_ARRAY_GROW_MAX(x->xcells, x->ncells + 1, x->xcells_cap,
				       KK_SHEET_MAX_CELLS - x->cells)) < 0) {
		xlsx_halt(x, error == KK_ENOMEM ? xlsx_no_memory(x) : limit_cells(x));
		return;
	}
	c = &x->xcells[x->ncells];
	if (!(c->text = strdup(text))) {
		xlsx_out_of_memory(x);
		return;
	}
	c->row = x->cell_row;
	c->col = x->cell_col;
	x->ncells++;
	x->text += len;
}

/* --- rows --- */

static int cell_cmp(const void *a, const void *b)
{
	const xcell *p = a, *q = b;

	if (p->row != q->row)
		return p->row < q->row ? -1 : 1;
	return p->col < q->col ? -1 : p->col > q->col;
}

/* Marks the cells of merged range `m` but its top-left one, in the rows from `first`. */
static int mark_merge(kk_sheet_row *first, const xrange *m)
{
	for (uint32_t r = m->r0; r <= m->r1; r++) {
		kk_sheet_row *row = &first[r - 1];

		for (uint32_t c = m->c0; c <= m->c1; c++) {
			if (r == m->r0 && c == m->c0)
				continue;
			if (!row->flags && !(row->flags = calloc(row->count, 1)))
				return KK_ENOMEM;
			row->cells[c - 1][0] = '\0';
			row->flags[c - 1] |= (r > m->r0 ? KK_SHEET_MERGED_ABOVE : 0) |
					     (c > m->c0 ? KK_SHEET_MERGED_LEFT : 0);
		}
	}
	return 0;
}

/*
 * Appends the rows of the sheet just read (x->xcells, x->merges) to x->out:
 * from row 1 to its last cell with text, each as wide as its last cell with
 * text or inside a merged range.  Merged ranges are cut at the last row and
 * column with text, as what lies beyond holds nothing.
 */
int xlsx_add_rows(xlsx *x, size_t sheet_index)
{
	kk_sheet *out = x->out;
	uint32_t last_row, last_col = 0, *width = NULL;
	uint64_t area = 0, total = 0;
	kk_sheet_row *rows, *first;
	size_t k = 0;
	int error = 0;
	char ref[16];

	if (x->ncells == 0)
		return 0;
	qsort(x->xcells, x->ncells, sizeof(*x->xcells), cell_cmp);
	for (size_t i = 0; i < x->ncells; i++) {
		if (i > 0 && cell_cmp(&x->xcells[i - 1], &x->xcells[i]) == 0) {
			ref_name(ref, x->xcells[i].col, x->xcells[i].row);
			return kk_diag_set(x->diag, KK_EINVALID,
					   _("'%s': cell %s of sheet '%s' is written twice"),
					   x->name, ref, x->sheet_name);
		}
		if (x->xcells[i].col > last_col)
			last_col = x->xcells[i].col;
	}
	last_row = x->xcells[x->ncells - 1].row;
	if (last_row > KK_SHEET_MAX_ROWS - out->count)
		return kk_diag_set(x->diag, KK_ELIMIT, _("'%s' has more than %u rows"), x->name,
				   KK_SHEET_MAX_ROWS);
	if (!(width = calloc((size_t)last_row + 1, sizeof(*width))))
		return xlsx_no_memory(x);
	for (size_t i = 0; i < x->ncells; i++)
		width[x->xcells[i].row] = x->xcells[i].col;
	for (size_t i = 0; i < x->nmerges; i++) {
		xrange *m = &x->merges[i];

		if (m->r0 > last_row || m->c0 > last_col) {
			m->r0 = 0;
			continue;
		}
		if (m->r1 > last_row)
			m->r1 = last_row;
		if (m->c1 > last_col)
			m->c1 = last_col;
		area += (uint64_t)(m->r1 - m->r0 + 1) * (m->c1 - m->c0 + 1);
		if (area > KK_SHEET_MAX_CELLS) {
			error = limit_cells(x);
			goto done;
		}
		for (uint32_t r = m->r0; r <= m->r1; r++) {
			uint32_t w = r > m->r0 || m->c1 > m->c0 ? m->c1 : 0;

			if (w > width[r])
				width[r] = w;
		}
	}
	for (uint32_t r = 1; r <= last_row; r++)
		total += width[r];
	if (total > KK_SHEET_MAX_CELLS - x->cells) {
		error = limit_cells(x);
		goto done;
	}
	if (!(rows = realloc(out->rows, (out->count + last_row) * sizeof(*rows)))) {
		error = xlsx_no_memory(x);
		goto done;
	}
	out->rows = rows;
	first = &rows[out->count];
	for (uint32_t r = 1; r <= last_row; r++) {
		kk_sheet_row *row = &out->rows[out->count++];

		*row = (kk_sheet_row){.line = r, .sheet = sheet_index};
		if (width[r] && !(row->cells = calloc(width[r], sizeof(*row->cells)))) {
			error = xlsx_no_memory(x);
			goto done;
		}
		for (uint32_t c = 1; c <= width[r]; c++) {
			if (k < x->ncells && x->xcells[k].row == r && x->xcells[k].col == c) {
				row->cells[c - 1] = x->xcells[k].text;
				x->xcells[k++].text = NULL;
			} else if (!(row->cells[c - 1] = strdup(""))) {
				error = xlsx_no_memory(x);
				goto done;
			}
			row->count++;
		}
	}
	x->cells += total;
	for (size_t i = 0; i < x->nmerges; i++)
		if (x->merges[i].r0 && mark_merge(first, &x->merges[i]) < 0) {
			error = xlsx_no_memory(x);
			goto done;
		}
done:
	free(width);
	return error;
}

/* Forgets the worksheet just read. */
void xlsx_sheet_reset(xlsx *x)
{
	for (size_t i = 0; i < x->ncells; i++)
		free(x->xcells[i].text);
	x->ncells = 0;
	x->nmerges = 0;
	x->row = x->col = 0;
}
