/*
 * fuzz_import_xlsx.c - the .xlsx workbook reader (core/import/import_xlsx.c)
 * through kk_sheet_parse().
 *
 * Each input is read twice.  First as it is, as the bytes of a workbook: the
 * corpus holds real ones (tests/fixtures/import/xlsx), so that the zip
 * layer sees damaged directories and entries.  Then as the XML of a
 * workbook's parts, split at NUL bytes - a sheet, its shared strings, the
 * workbook, the workbook's relationships; the parts not given are the
 * usual ones - zipped here with libzip, stored or deflated by the input's
 * length, so that the XML readers see everything a mutation makes of them
 * and not only what gets past the zip's checksums.
 *
 * Invariants: an error is KK_EINVALID, KK_ELIMIT or KK_ENOMEM with a
 * message; rows are within the limits, in their sheets' order with rising
 * row numbers, and a cell with a merge flag is empty.
 */
#include <string.h>
#include <zip.h>

#include "fuzz.h"
#include "import_sheet.h"

#define MAIN_NS "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define REL_NS	"http://schemas.openxmlformats.org/officeDocument/2006/relationships"

static const char *const names[] = {"xl/worksheets/sheet1.xml", "xl/sharedStrings.xml",
				    "xl/workbook.xml", "xl/_rels/workbook.xml.rels"};
static const char *const defaults[] = {
	NULL,
	NULL,
	"<workbook xmlns=\"" MAIN_NS "\" xmlns:r=\"" REL_NS "\"><sheets>"
	"<sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	"<Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\" Type=\"" REL_NS "/worksheet\"/>"
	"<Relationship Id=\"rId2\" Target=\"sharedStrings.xml\" Type=\"" REL_NS "/sharedStrings\"/>"
	"</Relationships>",
};

static void check_sheet(const char *data, size_t size, const char *name)
{
	kk_sheet *sheet = NULL;
	kk_diag diag = {0};
	size_t cells = 0;
	int error = kk_sheet_parse(&sheet, data, size, name, &diag);

	FUZZ_CHECK(error == 0 || error == KK_EINVALID || error == KK_ELIMIT || error == KK_ENOMEM);
	if (error < 0) {
		FUZZ_CHECK(sheet == NULL && diag.message[0] != '\0');
		return;
	}
	if (strcmp(sheet->encoding, "xlsx") != 0) {
		kk_sheet_free(sheet); /* text: fuzz_import's */
		return;
	}
	FUZZ_CHECK(sheet->delimiter == '\t' && sheet->count <= KK_SHEET_MAX_ROWS);
	for (size_t i = 0; i < sheet->count; i++) {
		const kk_sheet_row *row = &sheet->rows[i];

		FUZZ_CHECK(row->sheet < sheet->sheet_count && row->line >= 1);
		if (i > 0 && row->sheet == row[-1].sheet)
			FUZZ_CHECK(row->line == row[-1].line + 1);
		else
			FUZZ_CHECK(row->line == 1 && (i == 0 || row->sheet > row[-1].sheet));
		cells += row->count;
		for (size_t j = 0; j < row->count; j++) {
			FUZZ_CHECK(row->cells[j] != NULL);
			if (row->flags && row->flags[j])
				FUZZ_CHECK(row->flags[j] <= 3 && row->cells[j][0] == '\0');
		}
	}
	FUZZ_CHECK(cells <= KK_SHEET_MAX_CELLS);
	kk_sheet_free(sheet);
}

/* The parts in `data`, split at NULs, zipped; NULL when libzip fails (out of memory). */
static char *zip_parts(size_t *len_out, const char *data, size_t size)
{
	const char *part[4] = {0};
	size_t part_len[4] = {0};
	zip_source_t *src = NULL;
	zip_error_t zerr;
	zip_stat_t st;
	zip_t *za = NULL;
	char *out = NULL;
	size_t n = 0, start = 0;

	for (size_t i = 0; i <= size && n < 4; i++)
		if (i == size || data[i] == '\0') {
			part[n] = data + start;
			part_len[n++] = i - start;
			start = i + 1;
		}
	zip_error_init(&zerr);
	if (!(src = zip_source_buffer_create(NULL, 0, 0, &zerr)))
		goto done;
	zip_source_keep(src);
	if (!(za = zip_open_from_source(src, ZIP_TRUNCATE, &zerr)))
		goto done;
	for (size_t i = 0; i < 4; i++) {
		const char *text = i < n ? part[i] : defaults[i];
		size_t len = i < n ? part_len[i] : text ? strlen(text) : 0;
		zip_source_t *s;
		zip_int64_t index;

		if (!text || !(s = zip_source_buffer(za, text, len, 0)))
			continue;
		if ((index = zip_file_add(za, names[i], s, 0)) < 0) {
			zip_source_free(s);
			continue;
		}
		zip_set_file_compression(za, (zip_uint64_t)index,
					 size % 2 ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 1);
	}
	if (zip_close(za) < 0) {
		zip_discard(za);
		goto done;
	}
	if (zip_source_open(src) < 0)
		goto done;
	zip_stat_init(&st);
	if (zip_source_stat(src, &st) == 0 && (out = malloc(st.size ? st.size : 1)) &&
	    zip_source_read(src, out, st.size) == (zip_int64_t)st.size)
		*len_out = st.size;
	else {
		free(out);
		out = NULL;
	}
	zip_source_close(src);
done:
	zip_source_free(src);
	zip_error_fini(&zerr);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = 0;
	char *zipped;

	check_sheet((const char *)data, size, "f.xlsx");
	if (size > 1 << 20)
		return 0;
	if ((zipped = zip_parts(&len, (const char *)data, size))) {
		check_sheet(zipped, len, "parts.xlsx");
		free(zipped);
	}
	return 0;
}
