/*
 * fuzz_import_xlsx.c - the .xlsx workbook reader (core/import/import_xlsx.c)
 * through kk_sheet_parse().
 *
 * Each input is read twice.  First as it is, as the bytes of a workbook: the
 * corpus holds real ones (tests/fixtures/import/xlsx), so that the zip
 * layer sees damaged directories and entries.  Then as the XML of a
 * workbook's parts, split at NUL bytes - a sheet, its shared strings, the
 * workbook, the workbook's relationships; the parts not given are the
 * usual ones - zipped here, stored or deflated by the input's length, so
 * that the XML readers see everything a mutation makes of them and not only
 * what gets past the zip's checksums.
 *
 * Invariants: an error is KK_EINVALID, KK_ELIMIT or KK_ENOMEM with a
 * message; rows are within the limits, in their sheets' order with rising
 * row numbers, and a cell with a merge flag is empty.
 */
#include <string.h>
#include <zlib.h>

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

static void put16(unsigned char **p, unsigned v)
{
	*(*p)++ = (unsigned char)v;
	*(*p)++ = (unsigned char)(v >> 8);
}

static void put32(unsigned char **p, unsigned long v)
{
	put16(p, (unsigned)(v & 0xffff));
	put16(p, (unsigned)(v >> 16));
}

/*
 * `len` bytes deflated (raw, as a zip holds them) to `out`, which has room
 * for deflateBound()'s; returns their length, or 0 when zlib fails.  One
 * stream serves every input: a new one each time (zlib's 256 KiB of state,
 * fresh pages under ASan) once took most of the target's time.
 */
static size_t deflate_to(unsigned char *out, size_t room, const char *data, size_t len)
{
	static z_stream *z;
	if (!z) {
		FUZZ_CHECK((z = calloc(1, sizeof(*z))));
		/* libzip's: level 1 (as the target asked it), a raw stream, 32 KiB window. */
		FUZZ_CHECK(deflateInit2(z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	}
	FUZZ_CHECK(deflateReset(z) == Z_OK);
	z->next_in = (unsigned char *)data;
	z->avail_in = (uInt)len;
	z->next_out = out;
	z->avail_out = (uInt)room;
	if (deflate(z, Z_FINISH) != Z_STREAM_END)
		return 0;
	return room - z->avail_out;
}

/*
 * The parts in `data`, split at NULs, as a zip: each entry stored when the
 * input's length is even, deflated when odd; NULL when out of memory.  The
 * zip is written here (local headers, the central directory, its end), as
 * any zip tool writes one without extras.
 */
static char *zip_parts(size_t *len_out, const char *data, size_t size)
{
	const char *part[4] = {0};
	size_t part_len[4] = {0}, offset[4] = {0}, csize[4] = {0}, n = 0, start = 0, room = 22;
	unsigned long crc[4] = {0};
	unsigned method = size % 2 ? 8 : 0, count = 0;
	unsigned char *out, *p, *cd;
	size_t cd_len;

	/* memchr(), not a loop here: the target's own compares would be traced byte by byte. */
	while (n < 4) {
		const char *nul = memchr(data + start, '\0', size - start);
		size_t end = nul ? (size_t)(nul - data) : size;

		part[n] = data + start;
		part_len[n++] = end - start;
		if (!nul)
			break;
		start = end + 1;
	}
	for (size_t i = 0; i < 4; i++) {
		if (i >= n) {
			part[i] = defaults[i];
			part_len[i] = part[i] ? strlen(part[i]) : 0;
		}
		if (part[i])
			room += 30 + 46 + 2 * strlen(names[i]) + deflateBound(NULL, part_len[i]) +
				part_len[i];
	}
	if (!(out = malloc(room)))
		return NULL;
	p = out;
	for (size_t i = 0; i < 4; i++) {
		unsigned char *head = p;

		if (!part[i])
			continue;
		offset[i] = (size_t)(p - out);
		crc[i] = crc32(0, (const unsigned char *)part[i], (uInt)part_len[i]);
		p += 30 + strlen(names[i]);
		if (method == 0) {
			memcpy(p, part[i], part_len[i]);
			csize[i] = part_len[i];
		} else {
			csize[i] = deflate_to(p, room - (size_t)(p - out), part[i], part_len[i]);
			FUZZ_CHECK(csize[i] > 0);
		}
		p += csize[i];
		put32(&head, 0x04034b50);
		put16(&head, 20);
		put16(&head, 0);
		put16(&head, method);
		put16(&head, 0);      /* 00:00:00 */
		put16(&head, 0x21);   /* 1980-01-01 */
		put32(&head, crc[i]);
		put32(&head, csize[i]);
		put32(&head, part_len[i]);
		put16(&head, (unsigned)strlen(names[i]));
		put16(&head, 0);
		memcpy(head, names[i], strlen(names[i]));
		count++;
	}
	cd = p;
	for (size_t i = 0; i < 4; i++) {
		if (!part[i])
			continue;
		put32(&p, 0x02014b50);
		put16(&p, 20);
		put16(&p, 20);
		put16(&p, 0);
		put16(&p, method);
		put16(&p, 0);
		put16(&p, 0x21);
		put32(&p, crc[i]);
		put32(&p, csize[i]);
		put32(&p, part_len[i]);
		put16(&p, (unsigned)strlen(names[i]));
		put16(&p, 0); /* extra */
		put16(&p, 0); /* comment */
		put16(&p, 0); /* disk */
		put16(&p, 0); /* internal attributes */
		put32(&p, 0); /* external attributes */
		put32(&p, offset[i]);
		memcpy(p, names[i], strlen(names[i]));
		p += strlen(names[i]);
	}
	cd_len = (size_t)(p - cd);
	put32(&p, 0x06054b50);
	put16(&p, 0);
	put16(&p, 0);
	put16(&p, count);
	put16(&p, count);
	put32(&p, cd_len);
	put32(&p, (unsigned long)(cd - out));
	put16(&p, 0);
	*len_out = (size_t)(p - out);
	return (char *)out;
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
