/*
 * Tests for core/import/import_xlsx: an Excel workbook read as rows of cells
 * (kk_sheet_parse() on an .xlsx).
 *
 * The workbooks of tests/fixtures/import/xlsx/ were written with openpyxl
 * by make_xlsx.py there; each is read and compared cell by cell, flags
 * included.  Smaller workbooks, each with one oddity (a DTD, a cell twice,
 * a part that says it is encrypted), are built here with libzip; every
 * error is asserted with its code and exact message.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "buf.h"
#include "import_sheet.h"

#define FIXTURES KK_SOURCE_DIR "/tests/fixtures/import/xlsx"
#define SAMPLE	 KK_SOURCE_DIR "/examples/dx-plan-r3/progress-report-R3-part1.tsv"

#define MAIN_NS "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define REL_NS	"http://schemas.openxmlformats.org/officeDocument/2006/relationships"

/*
 * The rows of `s`, one a line: "SHEET:ROW: cell|cell|…", with a cell of a
 * merged range that is not its top-left one as ^ (its value is above), <
 * (to the left) or ^< (both), and a newline in a cell as \n.
 */
static char *dump(const kk_sheet *s)
{
	kk_buf b = {0};

	for (size_t i = 0; i < s->count; i++) {
		const kk_sheet_row *row = &s->rows[i];

		if (s->sheets) {
			assert_true(row->sheet < s->sheet_count);
			kk_buf_printf(&b, "%s:", s->sheets[row->sheet]);
		}
		kk_buf_printf(&b, "%zu:", row->line);
		for (size_t j = 0; j < row->count; j++) {
			unsigned flags = row->flags ? row->flags[j] : 0;

			kk_buf_puts(&b, j ? "|" : " ");
			if (flags) {
				assert_string_equal(row->cells[j], "");
				assert_true(flags <=
					    (KK_SHEET_MERGED_ABOVE | KK_SHEET_MERGED_LEFT));
				kk_buf_puts(&b, flags & KK_SHEET_MERGED_ABOVE ? "^" : "");
				kk_buf_puts(&b, flags & KK_SHEET_MERGED_LEFT ? "<" : "");
				continue;
			}
			for (const char *p = row->cells[j]; *p; p++)
				if (*p == '\n')
					kk_buf_puts(&b, "\\n");
				else
					kk_buf_put(&b, p, 1);
		}
		kk_buf_puts(&b, "\n");
	}
	assert_false(b.failed);
	return b.data ? b.data : strdup("");
}

static kk_sheet *parse_file(const char *path, const char *name)
{
	size_t len = 0;
	char *data = kk_test_slurp(path, &len);
	kk_sheet *s = NULL;
	kk_diag diag = {0};

	assert_non_null(data);
	if (kk_sheet_parse(&s, data, len, name, &diag) != 0)
		fail_msg("%s: %s", path, diag.message);
	free(data);
	return s;
}

/* Fails unless reading `len` bytes at `data` as `name` fails with `code` and `message`. */
static void assert_refused(const char *data, size_t len, const char *name, int code,
			   const char *message)
{
	kk_sheet *s = NULL;
	kk_diag diag = {0};
	int error = kk_sheet_parse(&s, data, len, name, &diag);

	if (error != code || strcmp(diag.message, message) != 0)
		fail_msg("%s: got %d '%s', expected %d '%s'", name, error, diag.message, code,
			 message);
	assert_null(s);
}

static void assert_file_refused(const char *file, int code, const char *message)
{
	char path[512];
	size_t len = 0;
	char *data;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, file);
	assert_non_null(data = kk_test_slurp(path, &len));
	assert_refused(data, len, file, code, message);
	free(data);
}

/* --- zips built here --- */

/* A zip of the parts `parts` (name, text, name, text, …, NULL); *len_out its size. */
static char *make_zip(size_t *len_out, const char *const *parts)
{
	zip_error_t zerr;
	zip_source_t *src;
	zip_stat_t st;
	zip_t *za;
	char *data;

	zip_error_init(&zerr);
	assert_non_null(src = zip_source_buffer_create(NULL, 0, 0, &zerr));
	zip_source_keep(src);
	assert_non_null(za = zip_open_from_source(src, ZIP_TRUNCATE, &zerr));
	for (size_t i = 0; parts[i]; i += 2) {
		zip_source_t *s = zip_source_buffer(za, parts[i + 1], strlen(parts[i + 1]), 0);

		assert_non_null(s);
		assert_true(zip_file_add(za, parts[i], s, ZIP_FL_ENC_UTF_8) >= 0);
	}
	assert_int_equal(zip_close(za), 0);
	assert_int_equal(zip_source_open(src), 0);
	zip_stat_init(&st);
	assert_int_equal(zip_source_stat(src, &st), 0);
	assert_non_null(data = malloc(st.size ? st.size : 1));
	assert_int_equal(zip_source_read(src, data, st.size), (zip_int64_t)st.size);
	zip_source_close(src);
	zip_source_free(src);
	zip_error_fini(&zerr);
	*len_out = st.size;
	return data;
}

static const char workbook_xml[] =
	"<workbook xmlns=\"" MAIN_NS "\" xmlns:r=\"" REL_NS "\"><sheets>"
	"<sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
static const char workbook_rels[] =
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	"<Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\" Type=\"" REL_NS "/worksheet\"/>"
	"<Relationship Id=\"rId2\" Target=\"sharedStrings.xml\" Type=\"" REL_NS "/sharedStrings\"/>"
	"</Relationships>";

/* A workbook of one sheet "S" whose part is `sheet`, with the shared strings `sst` (or none). */
static char *make_workbook(size_t *len_out, const char *sheet, const char *sst)
{
	const char *parts[] = {"xl/workbook.xml",
			       workbook_xml,
			       "xl/_rels/workbook.xml.rels",
			       workbook_rels,
			       "xl/worksheets/sheet1.xml",
			       sheet,
			       sst ? "xl/sharedStrings.xml" : NULL,
			       sst,
			       NULL};

	return make_zip(len_out, parts);
}

/* `rows` (the inside of <sheetData>) and `after` (what follows it) in a sheet part. */
static char *sheet_xml(const char *rows, const char *after)
{
	char *s = NULL;

	assert_true(asprintf(&s, "<worksheet xmlns=\"%s\"><sheetData>%s</sheetData>%s</worksheet>",
			     MAIN_NS, rows, after ? after : "") > 0);
	return s;
}

/* The dump of a workbook of one sheet, or fails the test. */
static char *read_sheet(const char *rows, const char *after, const char *sst)
{
	char *sheet = sheet_xml(rows, after), *data, *text;
	kk_sheet *s = NULL;
	kk_diag diag = {0};
	size_t len;

	data = make_workbook(&len, sheet, sst);
	if (kk_sheet_parse(&s, data, len, "t.xlsx", &diag) != 0)
		fail_msg("%s", diag.message);
	text = dump(s);
	kk_sheet_free(s);
	free(data);
	free(sheet);
	return text;
}

static void assert_sheet(const char *rows, const char *after, const char *sst, const char *expected)
{
	char *got = read_sheet(rows, after, sst);

	assert_string_equal(got, expected);
	free(got);
}

static void assert_sheet_refused(const char *rows, const char *after, const char *sst, int code,
				 const char *message)
{
	char *sheet = sheet_xml(rows, after), *data;
	size_t len;

	data = make_workbook(&len, sheet, sst);
	assert_refused(data, len, "t.xlsx", code, message);
	free(data);
	free(sheet);
}

/* Sets the 16 bits at `offset` of the central directory entry of `name` in the zip `data`. */
static void patch_entry(char *data, size_t len, const char *name, size_t offset, unsigned value)
{
	size_t n = strlen(name);
	int found = 0;

	for (size_t i = 0; i + 46 + n <= len; i++) {
		unsigned char *p = (unsigned char *)data + i;

		if (memcmp(p, "PK\1\2", 4) != 0 || (size_t)(p[28] | p[29] << 8) != n ||
		    memcmp(p + 46, name, n) != 0)
			continue;
		p[offset] = (unsigned char)(value & 0xFF);
		p[offset + 1] = (unsigned char)(value >> 8);
		found = 1;
	}
	assert_true(found);
}

/* --- the tests --- */

/* Every kind of cell openpyxl and Excel write, merged ranges, two sheets and a hidden one. */
static void test_cells(void **state)
{
	kk_sheet *s = parse_file(FIXTURES "/cells.xlsx", "cells.xlsx");
	char *got = dump(s);

	(void)state;
	assert_string_equal(s->encoding, "xlsx");
	assert_int_equal(s->delimiter, '\t');
	assert_int_equal(s->sheet_count, 2);
	assert_string_equal(got, "進捗:1: 令和3年度 進捗状況|<|<|<|<|<\n"
				 "進捗:2:\n"
				 "進捗:3: 番号|施策|担当課|件数|比率|完了\n"
				 "進捗:4: 1|窓口のオンライン化|市民課|26|0.25|TRUE\n"
				 "進捗:5: 2|^|^|27|1234567.891|FALSE\n"
				 "進捗:6: 3|^|情報政策課|インライン|-1.5|電子申請 \n"
				 "進捗:7:\n"
				 "進捗:8: 一行目\\n二行目|1e-07|0.30000000000000004|行A\\n行B|"
				 "_x0041_|||右端\n"
				 "別表:1:\n"
				 "別表:2: |二枚目\n"
				 "別表:3: 3.14||二枚目|#N/A\n"
				 "別表:4:\n"
				 "別表:5: 縦\n"
				 "別表:6: ^|x\n");
	/* The flags are exactly where the dump shows them, and only there. */
	assert_null(s->rows[3].flags);
	assert_non_null(s->rows[4].flags);
	assert_memory_equal(s->rows[4].flags, "\0\1\1\0\0\0", 6);
	assert_memory_equal(s->rows[0].flags, "\0\2\2\2\2\2", 6);
	free(got);
	kk_sheet_free(s);
}

/* A workbook is known by its content whatever its name, and by its name .xlsx. */
static void test_recognised(void **state)
{
	static const char *const names[] = {NULL, "report.bin", "report.tsv", "REPORT.XLSX"};
	kk_sheet *first = parse_file(FIXTURES "/cells.xlsx", "cells.xlsx");
	char *expected = dump(first);

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		kk_sheet *s = parse_file(FIXTURES "/cells.xlsx", names[i]);
		char *got = dump(s);

		assert_string_equal(got, expected);
		assert_string_equal(s->encoding, "xlsx");
		free(got);
		kk_sheet_free(s);
	}
	free(expected);
	kk_sheet_free(first);
}

/*
 * The example's report as a person's workbook holds it (make_xlsx.py): the
 * same text in every cell as the TSV export, and the merges as flags.
 */
static void test_example(void **state)
{
	kk_sheet *tsv = parse_file(SAMPLE, "r.tsv");
	kk_sheet *merged = parse_file(FIXTURES "/example-merged.xlsx", "m.xlsx");
	kk_sheet *owners = parse_file(FIXTURES "/example-owners-merged.xlsx", "o.xlsx");
	size_t above = 0, left = 0;

	(void)state;
	assert_null(tsv->sheets);
	assert_int_equal(merged->sheet_count, 1);
	assert_string_equal(merged->sheets[0], "令和3年度");
	/* The TSV ends in blank lines; the workbook at its last row with text. */
	assert_true(merged->count <= tsv->count);
	for (size_t i = merged->count; i < tsv->count; i++)
		assert_int_equal(tsv->rows[i].count, 0);
	for (size_t i = 0; i < merged->count; i++) {
		const kk_sheet_row *t = &tsv->rows[i], *m = &merged->rows[i], *o = &owners->rows[i];
		size_t n = m->count > t->count ? m->count : t->count;

		assert_int_equal(m->line, i + 1);
		assert_int_equal(t->line, i + 1);
		for (size_t j = 0; j < n; j++) {
			const char *a = j < t->count ? t->cells[j] : "";
			const char *b = j < m->count ? m->cells[j] : "";
			const char *c = j < o->count ? o->cells[j] : "";
			unsigned f = m->flags && j < m->count ? m->flags[j] : 0;
			unsigned g = o->flags && j < o->count ? o->flags[j] : 0;

			if (strcmp(a, b) != 0)
				fail_msg(
					"row %zu column %zu: '%s' in the TSV, '%s' in the workbook",
					i + 1, j + 1, a, b);
			above += (f & KK_SHEET_MERGED_ABOVE) != 0;
			left += (f & KK_SHEET_MERGED_LEFT) != 0;
			/* Only the owners merged down rows 71 and 75 differ. */
			if ((i + 1 == 71 || i + 1 == 75) && j == 3) {
				assert_string_equal(a, "デジタル戦略課");
				assert_string_equal(c, "");
				assert_int_equal(g, KK_SHEET_MERGED_ABOVE);
			} else {
				assert_string_equal(c, a);
				assert_int_equal(g, f);
			}
		}
	}
	/* A measure's first row holds it; the rows under it are "same as above". */
	assert_string_equal(merged->rows[17].cells[0], "⑤");
	assert_int_equal(merged->rows[17].flags ? merged->rows[17].flags[0] : 0, 0);
	for (size_t i = 18; i <= 19; i++) {
		assert_string_equal(merged->rows[i].cells[2],
				    i == 18 ? "対象年度の拡大" : "利便性向上に向けた取組の検討");
		assert_int_equal(merged->rows[i].flags[0], KK_SHEET_MERGED_ABOVE);
		assert_int_equal(merged->rows[i].flags[1], KK_SHEET_MERGED_ABOVE);
		assert_int_equal(merged->rows[i].flags[2], 0);
	}
	/* The two header rows: 施策 to 関係課 merged down, 令和N年度 across. */
	assert_string_equal(merged->rows[11].cells[0], "施策");
	assert_memory_equal(merged->rows[11].flags, "\0\0\0\0\0\0\2\2\2\0\2\2\2\0\0\0", 16);
	assert_memory_equal(merged->rows[12].flags, "\1\1\1\1\1\0\0\0\0\0\0\0\0\0\0\0", 16);
	/* A section's heading merged over the table's width. */
	assert_string_equal(merged->rows[9].cells[0], "(1) 行政手続きの原則オンライン化");
	assert_int_equal(merged->rows[9].count, 16);
	assert_memory_equal(merged->rows[9].flags, "\0\2\2\2\2\2\2\2\2\2\2\2\2\2\2\2", 16);
	assert_true(above > 0 && left > 0);
	kk_sheet_free(tsv);
	kk_sheet_free(merged);
	kk_sheet_free(owners);
}

/*
 * Keikaku's own xlsx report (libxlsxwriter) and the example's workbooks
 * read as openpyxl reads them (NAME.expected, written by make_xlsx.py).
 */
static void test_as_openpyxl_reads(void **state)
{
	static const char *const names[] = {"report", "example-merged", "example-owners-merged"};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		char path[512], *expected, *got;
		kk_sheet *s;

		snprintf(path, sizeof(path), "%s/%s.expected", FIXTURES, names[i]);
		assert_non_null(expected = kk_test_slurp(path, NULL));
		snprintf(path, sizeof(path), "%s/%s.xlsx", FIXTURES, names[i]);
		s = parse_file(path, names[i]);
		got = dump(s);
		if (strcmp(got, expected) != 0)
			fail_msg("%s reads otherwise than openpyxl reads it:\n%s", path, got);
		free(got);
		free(expected);
		kk_sheet_free(s);
	}
}

/* Cells and rows without references, escapes, numbers, namespaces, hidden sheets. */
static void test_small(void **state)
{
	(void)state;
	/* No r: the next row, the next column; an r moves both on. */
	assert_sheet("<row><c t=\"inlineStr\"><is><t>a</t></is></c><c><v>1</v></c></row>"
		     "<row><c r=\"C2\"><v>2</v></c><c><v>3</v></c></row>"
		     "<row r=\"5\"><c><v>4</v></c></row><row><c r=\"b6\"><v>5</v></c></row>",
		     NULL, NULL, "S:1: a|1\nS:2: ||2|3\nS:3:\nS:4:\nS:5: 4\nS:6: |5\n");
	/* Rows and cells in any order; a cell with nothing in it keeps no column. */
	assert_sheet("<row r=\"3\"><c r=\"B3\"><v>x</v></c></row>"
		     "<row r=\"1\"><c r=\"C1\"/><c r=\"A1\" t=\"str\"><v>y</v></c></row>",
		     NULL, NULL, "S:1: y\nS:2:\nS:3: |x\n");
	/* Numbers: integers without a fraction, others in their shortest form. */
	assert_sheet("<row><c><v>26.0</v></c><c><v>-0</v></c><c><v>1E+20</v></c>"
		     "<c><v>0.1</v></c><c><v>123456789012345</v></c><c><v>1e15</v></c>"
		     "<c><v> 7 </v></c><c><v>0x10</v></c><c><v>nan</v></c><c><v>1e999</v></c>"
		     "<c t=\"b\"><v>1</v></c><c t=\"b\"><v>0</v></c><c t=\"e\"><v>#DIV/0!</v></c>"
		     "<c t=\"d\"><v>2021-04-01</v></c><c><f>SUM(A1)</f></c><c><v>5</v></c></row>",
		     NULL, NULL,
		     "S:1: 26|0|1e+20|0.1|123456789012345|1e+15|7|0x10|nan|1e999|TRUE|FALSE|"
		     "#DIV/0!|2021-04-01||5\n");
	/* _xHHHH_ escapes: a surrogate pair, a lone surrogate, a NUL dropped, CR LF as LF. */
	assert_sheet("<row><c t=\"s\"><v>0</v></c><c t=\"s\"><v>1</v></c><c t=\"s\"><v>2</v></c>"
		     "<c t=\"inlineStr\"><is><r><t>a_x000D_</t></r><r><t>&#10;b&#13;c</t></r>"
		     "<rPh><t>ふり</t></rPh></is></c></row>",
		     NULL,
		     "<sst xmlns=\"" MAIN_NS "\"><si><t>_xD83D__xDE00_</t></si>"
		     "<si><t>_xD800_x_x0000_</t></si><si><t>_x41_ _x004g_</t></si></sst>",
		     "S:1: 😀|\xEF\xBF\xBDx|_x41_ _x004g_|a\\nb\\nc\n");
	/* Prefixed elements, and Strict OOXML's namespace. */
	{
		const char *parts[] = {
			"xl/workbook.xml",
			"<x:workbook xmlns:x=\"" MAIN_NS "\" xmlns:r=\"" REL_NS "\"><x:sheets>"
			"<x:sheet name=\"P\" r:id=\"rId1\"/></x:sheets></x:workbook>",
			"xl/_rels/workbook.xml.rels",
			workbook_rels,
			"xl/worksheets/sheet1.xml",
			"<worksheet xmlns=\"http://purl.oclc.org/ooxml/spreadsheetml/main\">"
			"<sheetData><row><c t=\"inlineStr\"><is><t>strict</t></is></c></row>"
			"</sheetData><other xmlns=\"urn:x\"><sheetData><row><c><v>9</v></c></row>"
			"</sheetData></other></worksheet>",
			NULL};
		size_t len;
		char *data = make_zip(&len, parts), *got;
		kk_sheet *s = NULL;
		kk_diag diag = {0};

		assert_int_equal(kk_sheet_parse(&s, data, len, NULL, &diag), 0);
		got = dump(s);
		assert_string_equal(got, "P:1: strict\n");
		free(got);
		kk_sheet_free(s);
		free(data);
	}
	/* A merged range beyond the cells with text is cut where they end. */
	assert_sheet("<row><c t=\"str\"><v>x</v></c></row><row><c r=\"B2\"><v>1</v></c></row>",
		     "<mergeCells><mergeCell ref=\"A1:XFD1048576\"/><mergeCell ref=\"D9:E9\"/>"
		     "<mergeCell ref=\"A2\"/></mergeCells>",
		     NULL, "S:1: x|<\nS:2: ^|^<\n");
	/* A range written bottom-right first is the same range. */
	assert_sheet("<row><c t=\"str\"><v>x</v></c><c r=\"C1\"><v>1</v></c></row>",
		     "<mergeCells><mergeCell ref=\"B1:A1\"/></mergeCells>", NULL, "S:1: x|<|1\n");
}

/* Sheets in the workbook's order, hidden ones and chart sheets left out. */
static void test_sheets(void **state)
{
	const char *parts[] = {
		"_rels/.rels",
		"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/"
		"relationships\"><Relationship Id=\"r\" Type=\"" REL_NS "/officeDocument\" "
		"Target=\"/book/main.xml\"/></Relationships>",
		"book/main.xml",
		"<workbook xmlns=\"" MAIN_NS "\" xmlns:r=\"" REL_NS "\"><sheets>"
		"<sheet name=\"二\" r:id=\"b\"/><sheet name=\"隠\" r:id=\"a\" state=\"hidden\"/>"
		"<sheet name=\"図\" r:id=\"c\"/><sheet name=\"一\" r:id=\"a\"/>"
		"<sheet name=\"空\" r:id=\"d\"/></sheets></workbook>",
		"book/_rels/main.xml.rels",
		"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/"
		"relationships\">"
		"<Relationship Id=\"a\" Type=\"" REL_NS "/worksheet\" Target=\"s/../one.xml\"/>"
		"<Relationship Id=\"b\" Type=\"" REL_NS "/worksheet\" Target=\"./two.xml\"/>"
		"<Relationship Id=\"c\" Type=\"" REL_NS "/chartsheet\" Target=\"c.xml\"/>"
		"<Relationship Id=\"d\" Type=\"" REL_NS "/worksheet\" Target=\"/book/empty.xml\"/>"
		"</Relationships>",
		"book/one.xml",
		"<worksheet xmlns=\"" MAIN_NS "\"><sheetData><row r=\"2\"><c><v>1</v></c></row>"
		"</sheetData></worksheet>",
		"book/two.xml",
		"<worksheet xmlns=\"" MAIN_NS "\"><sheetData><row><c><v>2</v></c></row>"
		"</sheetData></worksheet>",
		"book/empty.xml",
		"<worksheet xmlns=\"" MAIN_NS "\"><sheetData/></worksheet>",
		NULL};
	size_t len;
	char *data = make_zip(&len, parts), *got;
	kk_sheet *s = NULL;
	kk_diag diag = {0};

	(void)state;
	assert_int_equal(kk_sheet_parse(&s, data, len, "t.xlsx", &diag), 0);
	got = dump(s);
	assert_string_equal(got, "二:1: 2\n一:1:\n一:2: 1\n");
	assert_int_equal(s->sheet_count, 3);
	assert_string_equal(s->sheets[2], "空");
	free(got);
	kk_sheet_free(s);
	free(data);
}

/* A shared-strings part named but missing holds no string; no visible sheet, no row. */
static void test_no_rows(void **state)
{
	const char *parts[] = {
		"xl/workbook.xml",
		"<workbook xmlns=\"" MAIN_NS "\" xmlns:r=\"" REL_NS "\"><sheets>"
		"<sheet name=\"S\" r:id=\"rId1\" state=\"veryHidden\"/></sheets></workbook>",
		"xl/_rels/workbook.xml.rels", workbook_rels, NULL};
	size_t len;
	char *data = make_zip(&len, parts);
	kk_sheet *s = NULL;
	kk_diag diag = {0};

	(void)state;
	assert_int_equal(kk_sheet_parse(&s, data, len, "t.xlsx", &diag), 0);
	assert_int_equal(s->count, 0);
	assert_int_equal(s->sheet_count, 0);
	kk_sheet_free(s);
	free(data);
	assert_sheet_refused("<row><c t=\"s\"><v>0</v></c></row>", NULL, NULL, KK_EINVALID,
			     "'t.xlsx': cell A1 of sheet 'S' names shared string '0', but there "
			     "are 0");
}

/* Files that are not workbooks, or broken ones: each refused with a clear message. */
static void test_refused(void **state)
{
	static const char xls[] = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0";
	static const char empty_zip[22] = "PK\5\6";
	const char *ods[] = {"mimetype", "application/vnd.oasis.opendocument.spreadsheet",
			     "content.xml", "<office:document-content/>", NULL};
	const char *docx[] = {"_rels/.rels",
			      "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/"
			      "2006/relationships\"><Relationship Id=\"r\" Type=\"" REL_NS
			      "/officeDocument\" Target=\"word/document.xml\"/></Relationships>",
			      "word/document.xml", "<document/>", NULL};
	const char *norels[] = {"xl/workbook.xml", workbook_xml, NULL};
	const char *nosheet[] = {"xl/workbook.xml", workbook_xml, "xl/_rels/workbook.xml.rels",
				 workbook_rels, NULL};
	size_t len;
	char *data;

	(void)state;
	assert_refused("番号\t施策\n", strlen("番号\t施策\n"), "r.xlsx", KK_EINVALID,
		       "'r.xlsx' is not an Excel workbook (.xlsx): it is not a zip file");
	assert_refused(xls, sizeof(xls), "r.xls", KK_EINVALID,
		       "'r.xls' is an Excel 97-2003 workbook (.xls) or one with a password: "
		       "save it as an Excel workbook (.xlsx) without a password");
	assert_refused(empty_zip, sizeof(empty_zip), "e.xlsx", KK_EINVALID,
		       "'e.xlsx' is not an Excel workbook (.xlsx): it has no xl/workbook.xml");
	data = make_zip(&len, ods);
	assert_refused(data, len, "r.ods", KK_EINVALID,
		       "'r.ods' is an OpenDocument spreadsheet (.ods): save it as an Excel "
		       "workbook (.xlsx)");
	free(data);
	data = make_zip(&len, docx);
	assert_refused(data, len, "r.docx", KK_EINVALID,
		       "'r.docx' is not an Excel workbook (.xlsx): word/document.xml is not a "
		       "workbook");
	free(data);
	data = make_zip(&len, norels);
	assert_refused(data, len, "t.xlsx", KK_EINVALID,
		       "'t.xlsx': the workbook's part xl/_rels/workbook.xml.rels is missing");
	free(data);
	data = make_zip(&len, nosheet);
	assert_refused(data, len, "t.xlsx", KK_EINVALID,
		       "'t.xlsx': the part of sheet 'S', xl/worksheets/sheet1.xml, is missing");
	free(data);

	/* The fixtures of make_xlsx.py. */
	assert_file_refused("no-workbook.xlsx", KK_EINVALID,
			    "'no-workbook.xlsx' is not an Excel workbook (.xlsx): it has no "
			    "xl/workbook.xml");
	assert_file_refused("truncated.xlsx", KK_EINVALID,
			    "'truncated.xlsx' is not a whole .xlsx workbook: its zip directory "
			    "is missing or damaged (is the file cut short?)");
	assert_file_refused("bad-string.xlsx", KK_EINVALID,
			    "'bad-string.xlsx': cell A1 of sheet 'Sheet' names shared string "
			    "'99999', but there are 1");
	assert_file_refused("bomb.xlsx", KK_ELIMIT,
			    "'bomb.xlsx': xl/worksheets/sheet1.xml takes the workbook over 64 MiB "
			    "uncompressed");
	assert_file_refused("liar.xlsx", KK_EINVALID,
			    "'liar.xlsx': xl/worksheets/sheet1.xml is damaged and cannot be read");

	/* A part that says it is encrypted, or compressed in another way than deflate. */
	{
		static const struct {
			const char *part;
			size_t offset; /* in the central directory's entry */
			unsigned value;
			const char *message;
		} patches[] = {
			{"xl/worksheets/sheet1.xml", 8, 1, /* flags: encrypted */
			 "'t.xlsx': xl/worksheets/sheet1.xml is encrypted: save the workbook without "
			 "a password"},
			{"xl/workbook.xml", 10, 12, /* method: bzip2 */
			 "'t.xlsx': xl/workbook.xml is compressed with method 12; only deflate is "
			 "read"},
		};
		char *sheet = sheet_xml("", NULL);

		for (size_t i = 0; i < sizeof(patches) / sizeof(*patches); i++) {
			data = make_workbook(&len, sheet, NULL);
			patch_entry(data, len, patches[i].part, patches[i].offset,
				    patches[i].value);
			assert_refused(data, len, "t.xlsx", KK_EINVALID, patches[i].message);
			free(data);
		}
		free(sheet);
	}
}

/* Hostile or broken XML and cells. */
static void test_refused_xml(void **state)
{
	char *deep = NULL;
	kk_buf b = {0};

	(void)state;
	assert_sheet_refused("<row>", NULL, NULL, KK_EINVALID,
			     "'t.xlsx': xl/worksheets/sheet1.xml is not well-formed XML (line 1)");
	{
		size_t len;
		char *data;
		const char *parts[] = {"xl/workbook.xml",
				       "<!DOCTYPE w [<!ENTITY a \"aaaa\">]><workbook/>", NULL};

		data = make_zip(&len, parts);
		assert_refused(data, len, "t.xlsx", KK_EINVALID,
			       "'t.xlsx': xl/workbook.xml has a document type declaration, "
			       "which no workbook has");
		free(data);
	}
	for (int i = 0; i < 70; i++)
		kk_buf_puts(&b, "<x>");
	for (int i = 0; i < 70; i++)
		kk_buf_puts(&b, "</x>");
	deep = b.data;
	b = (kk_buf){0};
	assert_sheet_refused("", deep, NULL, KK_ELIMIT,
			     "'t.xlsx': xl/worksheets/sheet1.xml nests elements more than 64 deep");
	free(deep);
	assert_sheet_refused("<row><c r=\"XFE1\"><v>1</v></c></row>", NULL, NULL, KK_EINVALID,
			     "'t.xlsx': 'XFE1' in sheet 'S' is not a cell (columns A to XFD, rows "
			     "1 to 1048576)");
	assert_sheet_refused("<row><c r=\"A1048577\"><v>1</v></c></row>", NULL, NULL, KK_EINVALID,
			     "'t.xlsx': 'A1048577' in sheet 'S' is not a cell (columns A to XFD, "
			     "rows 1 to 1048576)");
	assert_sheet_refused("<row r=\"0\"/>", NULL, NULL, KK_EINVALID,
			     "'t.xlsx': '0' in sheet 'S' is not a cell (columns A to XFD, rows 1 "
			     "to 1048576)");
	assert_sheet_refused("<row><c r=\"A01\"><v>1</v></c></row>", NULL, NULL, KK_EINVALID,
			     "'t.xlsx': 'A01' in sheet 'S' is not a cell (columns A to XFD, rows 1 "
			     "to 1048576)");
	assert_sheet_refused(
		"<row><c r=\"XFD1\"/><c><v>1</v></c></row>", NULL, NULL, KK_EINVALID,
		"'t.xlsx': 'XFE1' in sheet 'S' is not a cell (columns A to XFD, rows 1 "
		"to 1048576)");
	assert_sheet_refused("<row><c><v>1</v></c></row>",
			     "<mergeCells><mergeCell ref=\"A1:\"/></mergeCells>", NULL, KK_EINVALID,
			     "'t.xlsx': 'A1:' in sheet 'S' is not a cell (columns A to XFD, rows 1 "
			     "to 1048576)");
	assert_sheet_refused("<row><c><v>1</v></c></row><row r=\"1\"><c><v>2</v></c></row>", NULL,
			     NULL, KK_EINVALID, "'t.xlsx': cell A1 of sheet 'S' is written twice");
	assert_sheet_refused("<row><c t=\"s\"><v>1</v></c></row>", NULL,
			     "<sst xmlns=\"" MAIN_NS "\"><si><t>a</t></si></sst>", KK_EINVALID,
			     "'t.xlsx': cell A1 of sheet 'S' names shared string '1', but there "
			     "are 1");
	assert_sheet_refused("<row><c t=\"s\"><v>-0</v></c></row>", NULL,
			     "<sst xmlns=\"" MAIN_NS "\"><si><t>a</t></si></sst>", KK_EINVALID,
			     "'t.xlsx': cell A1 of sheet 'S' names shared string '-0', but there "
			     "are 1");

	/* A few cells in the file, each at the far right: a rectangle of them in rows. */
	for (unsigned i = 1; i <= 2100; i++)
		kk_buf_printf(&b, "<row r=\"%u\"><c r=\"XFD%u\"><v>1</v></c></row>", i, i);
	assert_sheet_refused(b.data, NULL, NULL, KK_ELIMIT, "'t.xlsx' has more than 2097152 cells");
	kk_buf_clear(&b);
	/* Merged ranges over one another: the area they cover is counted. */
	kk_buf_puts(&b, "<mergeCells>");
	for (int i = 0; i < 40; i++)
		kk_buf_puts(&b, "<mergeCell ref=\"A1:Z2100\"/>");
	kk_buf_puts(&b, "</mergeCells>");
	assert_sheet_refused("<row><c><v>1</v></c></row><row r=\"2100\"><c r=\"Z2100\"><v>1</v></c>"
			     "</row>",
			     b.data, NULL, KK_ELIMIT, "'t.xlsx' has more than 2097152 cells");
	kk_buf_clear(&b);
}

/* The text kept and the shared strings are bounded too. */
static void test_limits(void **state)
{
	kk_buf sst = {0}, rows = {0};

	(void)state;
	/* 65 cells of one 1 MiB string: more than 64 MiB of text. */
	kk_buf_puts(&sst, "<sst xmlns=\"" MAIN_NS "\"><si><t>");
	for (int i = 0; i < 1024; i++)
		kk_buf_printf(&sst, "%01024d", 0);
	kk_buf_puts(&sst, "</t></si></sst>");
	kk_buf_puts(&rows, "<row>");
	for (int i = 0; i < 65; i++)
		kk_buf_puts(&rows, "<c t=\"s\"><v>0</v></c>");
	kk_buf_puts(&rows, "</row>");
	assert_false(sst.failed || rows.failed);
	assert_sheet_refused(rows.data, NULL, sst.data, KK_ELIMIT,
			     "'t.xlsx' holds more than 64 MiB of text");
	kk_buf_clear(&sst);
	kk_buf_clear(&rows);

	/* One shared string more than the reader keeps. */
	kk_buf_puts(&sst, "<sst xmlns=\"" MAIN_NS "\">");
	for (unsigned i = 0; i <= 1u << 20; i++)
		kk_buf_puts(&sst, "<si/>");
	kk_buf_puts(&sst, "</sst>");
	assert_sheet_refused("", NULL, sst.data, KK_ELIMIT,
			     "'t.xlsx': xl/sharedStrings.xml has more than 1048576 strings");
	kk_buf_clear(&sst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cells),	    cmocka_unit_test(test_recognised),
		cmocka_unit_test(test_example),	    cmocka_unit_test(test_as_openpyxl_reads),
		cmocka_unit_test(test_small),	    cmocka_unit_test(test_sheets),
		cmocka_unit_test(test_no_rows),	    cmocka_unit_test(test_refused),
		cmocka_unit_test(test_refused_xml), cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
