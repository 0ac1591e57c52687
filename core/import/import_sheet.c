/*
 * import_sheet.c - reading a TSV or CSV export into rows of cells.
 */
#include "import_sheet.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "i18n.h"
#include "import_xlsx.h"

/* Length of the valid UTF-8 sequence at `s` (of `avail` bytes), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t avail)
{
	unsigned cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

static int utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence(p + i, len - i);

		if (n == 0 || p[i] == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* Converts `len` bytes from `from` to UTF-8 with iconv; *out is malloc'd, NUL-terminated. */
static int convert(char **out, size_t *len_out, const char *data, size_t len, const char *from)
{
	iconv_t cd = iconv_open("UTF-8", from);
	size_t cap = len * 2 + 16, left = len, room;
	char *buf = NULL, *in = (char *)data, *o;
	int error = KK_EINVALID;

	if (cd == (iconv_t)-1)
		return errno == ENOMEM ? KK_ENOMEM : KK_EINVALID;
	if (!(buf = malloc(cap))) {
		error = KK_ENOMEM;
		goto done;
	}
	o = buf;
	room = cap - 1;
	while (left > 0) {
		if (iconv(cd, &in, &left, &o, &room) != (size_t)-1)
			continue;
		if (errno != E2BIG)
			goto done;
		{
			size_t used = (size_t)(o - buf);
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				error = KK_ENOMEM;
				goto done;
			}
			buf = bigger;
			cap *= 2;
			o = buf + used;
			room = cap - used - 1;
		}
	}
	*o = '\0';
	*len_out = (size_t)(o - buf);
	*out = buf;
	buf = NULL;
	error = 0;
done:
	free(buf);
	iconv_close(cd);
	return error;
}

/* Decodes the file's bytes to UTF-8 without a byte-order mark. */
static int decode(char **out, size_t *len_out, const char **encoding_out, const char *data,
		  size_t len, const char *name, kk_diag *diag)
{
	const unsigned char *u = (const unsigned char *)data;
	const char *from = NULL;
	int error;

	if (len >= 2 && u[0] == 0xFF && u[1] == 0xFE)
		from = "UTF-16LE", data += 2, len -= 2;
	else if (len >= 2 && u[0] == 0xFE && u[1] == 0xFF)
		from = "UTF-16BE", data += 2, len -= 2;
	else if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		data += 3, len -= 3;
	if (!from && utf8_valid(data, len)) {
		if (!(*out = malloc(len + 1)))
			return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
		memcpy(*out, data, len);
		(*out)[len] = '\0';
		*len_out = len;
		*encoding_out = "UTF-8";
		return 0;
	}
	if (!from && memchr(data, '\0', len))
		return kk_diag_set(diag, KK_EINVALID, _("'%s' is not a text file"),
				   name ? name : "-");
	if ((error = convert(out, len_out, data, len, from ? from : "CP932")) == KK_ENOMEM)
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	if (error < 0 || !utf8_valid(*out, *len_out)) {
		if (error == 0) {
			free(*out); /* the caller frees *out too, on every path */
			*out = NULL;
		}
		return kk_diag_set(diag, KK_EINVALID,
				   _("'%s' is not UTF-8, UTF-16 or Shift_JIS (CP932) text"),
				   name ? name : "-");
	}
	*encoding_out = from ? from : "CP932";
	return 0;
}

static int has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);

	return n >= m && strcasecmp(name + n - m, suffix) == 0;
}

/* Tabs outside quoted cells mean TSV; the file's name decides first. */
static char detect_delimiter(const char *s, size_t len, const char *name)
{
	int quoted = 0, at_start = 1;

	if (name && has_suffix(name, ".csv"))
		return ',';
	if (name && (has_suffix(name, ".tsv") || has_suffix(name, ".tab")))
		return '\t';
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (quoted) {
			if (c == '"' && i + 1 < len && s[i + 1] == '"')
				i++;
			else if (c == '"')
				quoted = 0;
			continue;
		}
		if (c == '\t')
			return '\t';
		if (c == '"' && at_start)
			quoted = 1;
		at_start = c == ',' || c == '\n' || c == '\r';
	}
	return ',';
}

/* Appends `n` bytes at `s` to `b`; returns 0 or KK_ENOMEM. */
static int buf_put(kk_buf *b, const char *s, size_t n)
{
	kk_buf_put(b, s, n);
	return b->failed ? KK_ENOMEM : 0;
}

static int row_add_cell(kk_sheet_row *row, size_t *cap, kk_buf *cell)
{
	char *text;

	if (row->count == *cap) {
		size_t n = *cap ? *cap * 2 : 16;
		char **cells = realloc(row->cells, n * sizeof(*cells));

		if (!cells)
			return KK_ENOMEM;
		row->cells = cells;
		*cap = n;
	}
	if (!(text = strdup(cell->data ? cell->data : "")))
		return KK_ENOMEM;
	row->cells[row->count++] = text;
	cell->len = 0;
	if (cell->data)
		cell->data[0] = '\0';
	return 0;
}

static int sheet_add_row(kk_sheet *sheet, size_t *cap, kk_sheet_row *row)
{
	if (sheet->count == *cap) {
		size_t n = *cap ? *cap * 2 : 64;
		kk_sheet_row *rows = realloc(sheet->rows, n * sizeof(*rows));

		if (!rows)
			return KK_ENOMEM;
		sheet->rows = rows;
		*cap = n;
	}
	sheet->rows[sheet->count++] = *row;
	memset(row, 0, sizeof(*row));
	return 0;
}

/*
 * Reads the quoted cell whose opening quote is at s[*i].  Returns
 * 1 when the cell was properly quoted (its closing quote followed by the
 * delimiter, a line end or the end), 0 when not (the caller rereads it as
 * written).  Newlines inside count towards *lines.
 */
static int read_quoted(kk_buf *cell, const char *s, size_t len, size_t *i, char delim,
		       size_t *lines, int *error)
{
	size_t j = *i + 1, newlines = 0;

	while (j < len) {
		char c = s[j];

		if (c == '"') {
			if (j + 1 < len && s[j + 1] == '"') {
				*error = buf_put(cell, "\"", 1);
				j += 2;
				continue;
			}
			if (j + 1 == len || s[j + 1] == delim || s[j + 1] == '\n' ||
			    s[j + 1] == '\r') {
				*i = j + 1;
				*lines += newlines;
				return 1;
			}
			return 0;
		}
		if (c == '\r' || c == '\n') {
			newlines++;
			if (c == '\r' && j + 1 < len && s[j + 1] == '\n')
				j++;
			*error = buf_put(cell, "\n", 1);
		} else {
			*error = buf_put(cell, &s[j], 1);
		}
		if (*error < 0)
			return 0;
		j++;
	}
	return 0;
}

/*
 * Splits the text into rows of cells.  KK_ELIMIT past KK_SHEET_MAX_ROWS rows
 * or KK_SHEET_MAX_CELLS cells, as a workbook: 64 MiB of tabs would be tens of
 * millions of cells.
 */
static int split(kk_sheet *sheet, const char *s, size_t len)
{
	kk_sheet_row row = {0};
	size_t row_cap = 0, cell_cap = 0, line = 1, i = 0, cells = 0;
	kk_buf cell = {0};
	int error = 0;

	row.line = 1;
	while (i < len) {
		/* At the start of a cell. */
		int quoted = 0;

		if (s[i] == '"') {
			size_t save = i, save_line = line;

			quoted = read_quoted(&cell, s, len, &i, sheet->delimiter, &line, &error);
			if (error < 0)
				goto done;
			if (!quoted) {
				/* Not a quoted cell after all: read it as written. */
				i = save, line = save_line;
				cell.len = 0;
				if (cell.data)
					cell.data[0] = '\0';
			}
		}
		while (!quoted && i < len && s[i] != sheet->delimiter && s[i] != '\n' &&
		       s[i] != '\r') {
			if ((error = buf_put(&cell, &s[i], 1)) < 0)
				goto done;
			i++;
		}
		if (++cells > KK_SHEET_MAX_CELLS || sheet->count >= KK_SHEET_MAX_ROWS) {
			error = KK_ELIMIT;
			goto done;
		}
		if ((error = row_add_cell(&row, &cell_cap, &cell)) < 0)
			goto done;
		if (i < len && s[i] == sheet->delimiter) {
			i++;
			if (i < len)
				continue;
			/* A delimiter at the very end: one more, empty, cell. */
			if (++cells > KK_SHEET_MAX_CELLS) {
				error = KK_ELIMIT;
				goto done;
			}
			if ((error = row_add_cell(&row, &cell_cap, &cell)) < 0)
				goto done;
		}
		/* A line end, or the end of the input, ends the row. */
		if (i < len) {
			if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
				i++;
			i++;
			line++;
		}
		if (row.count == 1 && row.cells[0][0] == '\0') {
			free(row.cells[0]);
			row.count = 0;
		}
		if ((error = sheet_add_row(sheet, &row_cap, &row)) < 0)
			goto done;
		cell_cap = 0;
		row.line = line;
	}
done:
	for (size_t k = 0; k < row.count; k++)
		free(row.cells[k]);
	free(row.cells);
	free(cell.data);
	return error;
}

void kk_sheet_free(kk_sheet *sheet)
{
	if (!sheet)
		return;
	for (size_t i = 0; i < sheet->count; i++) {
		for (size_t j = 0; j < sheet->rows[i].count; j++)
			free(sheet->rows[i].cells[j]);
		free(sheet->rows[i].cells);
		free(sheet->rows[i].flags);
	}
	free(sheet->rows);
	for (size_t i = 0; i < sheet->sheet_count; i++)
		free(sheet->sheets[i]);
	free(sheet->sheets);
	free(sheet);
}

int kk_sheet_parse(kk_sheet **out, const char *data, size_t len, const char *name, kk_diag *diag)
{
	kk_sheet *sheet = NULL;
	char *text = NULL;
	size_t text_len = 0;
	int error;

	if (len > KK_SHEET_MAX_SIZE)
		return kk_diag_set(diag, KK_ELIMIT, _("'%s' is larger than %u MiB"),
				   name ? name : "-", KK_SHEET_MAX_SIZE >> 20);
	/* Spreadsheets that are not text: a zip is an .xlsx (or says what it is), .xls is named. */
	if (len >= 8 && memcmp(data, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0)
		return kk_diag_set(
			diag, KK_EINVALID,
			_("'%s' is an Excel 97-2003 workbook (.xls) or one with a "
			  "password: save it as an Excel workbook (.xlsx) without a password"),
			name ? name : "-");
	if (!(sheet = calloc(1, sizeof(*sheet))))
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	if ((len >= 4 && (memcmp(data, "PK\3\4", 4) == 0 || memcmp(data, "PK\5\6", 4) == 0)) ||
	    (name && has_suffix(name, ".xlsx"))) {
		if ((error = kk_xlsx_read(sheet, data, len, name, diag)) < 0)
			goto done;
		*out = sheet;
		return 0;
	}
	if ((error = decode(&text, &text_len, &sheet->encoding, data, len, name, diag)) < 0)
		goto done;
	sheet->delimiter = detect_delimiter(text, text_len, name);
	if ((error = split(sheet, text, text_len)) == KK_ELIMIT) {
		kk_diag_set(diag, error, _("'%s' has more than %u rows or %u cells"),
			    name ? name : "-", KK_SHEET_MAX_ROWS, KK_SHEET_MAX_CELLS);
		goto done;
	} else if (error < 0) {
		kk_diag_set(diag, error, _("out of memory"));
		goto done;
	}
	*out = sheet;
	sheet = NULL;
done:
	free(text);
	kk_sheet_free(sheet);
	return error;
}
