/*
 * import_xlsx.c - reading an Excel workbook (.xlsx) into rows of cells.
 *
 * An .xlsx is a zip of XML parts (ECMA-376 SpreadsheetML).  libzip opens
 * the zip in memory and inflates one part at a time; expat reads each part
 * as it comes, so that no part is ever held whole.  The parts, in the order
 * they are read: the package's relationships (_rels/.rels: where the
 * workbook is), the workbook (its sheets, in order), the workbook's
 * relationships (where each sheet's part is), the shared strings, then each
 * visible worksheet: its cells (sorted, as a writer may put them in any
 * order) and its merged ranges, which become rows (import_sheet.h).  This
 * file reads the zip, the relationships and the workbook, and runs expat;
 * import_xlsx_sheet.c makes the shared strings, the cells and the rows.
 *
 * Everything a hostile file can make large is bounded: the bytes inflated
 * and the text kept (KK_SHEET_MAX_SIZE, counted as they are read, not taken
 * from what the zip declares), rows and cells (KK_SHEET_MAX_ROWS and
 * KK_SHEET_MAX_CELLS, counting the empty cells that keep others in their
 * columns), the parts of the zip, sheets, shared strings, merged ranges and
 * the nesting of XML elements; a part with a DTD is refused, so no entity
 * is ever expanded.
 */
#include "import_xlsx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "i18n.h"
#include "import_xlsx_int.h"

static const struct {
	const char *name;
	enum elem elem;
} main_elements[] = {
	{"workbook", E_WORKBOOK},
	{"sheets", E_SHEETS},
	{"sheet", E_SHEET},
	{"sst", E_SST},
	{"si", E_SI},
	{"r", E_R},
	{"rPh", E_RPH},
	{"t", E_T},
	{"sheetData", E_SHEETDATA},
	{"row", E_ROW},
	{"c", E_C},
	{"v", E_V},
	{"is", E_IS},
	{"mergeCells", E_MERGECELLS},
	{"mergeCell", E_MERGECELL},
};

/* SpreadsheetML's namespaces: transitional (what Excel writes) and strict. */
static const char *const main_namespaces[] = {
	"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
	"http://purl.oclc.org/ooxml/spreadsheetml/main",
};
#define PACKAGE_RELS_NS "http://schemas.openxmlformats.org/package/2006/relationships"

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The element `name` ("namespace|local" from expat) names. */
static enum elem elem_of(const char *name)
{
	const char *bar = strrchr(name, '|'), *local = bar ? bar + 1 : name;
	size_t ns_len = bar ? (size_t)(bar - name) : 0;
	int main_ns = !bar; /* no namespace at all: read it as SpreadsheetML */

	if (!bar || (ns_len == strlen(PACKAGE_RELS_NS) && !memcmp(name, PACKAGE_RELS_NS, ns_len)))
		if (strcmp(local, "Relationship") == 0)
			return E_RELATIONSHIP;
	for (size_t i = 0; bar && i < sizeof(main_namespaces) / sizeof(main_namespaces[0]); i++)
		if (ns_len == strlen(main_namespaces[i]) &&
		    !memcmp(name, main_namespaces[i], ns_len))
			main_ns = 1;
	if (!main_ns)
		return E_OTHER;
	for (size_t i = 0; i < sizeof(main_elements) / sizeof(main_elements[0]); i++)
		if (strcmp(local, main_elements[i].name) == 0)
			return main_elements[i].elem;
	return E_OTHER;
}

/* An attribute without a namespace, or NULL. */
const char *xlsx_attr(const XML_Char **atts, const char *name)
{
	for (; *atts; atts += 2)
		if (strcmp(atts[0], name) == 0)
			return atts[1];
	return NULL;
}

/* r:id, in the transitional or the strict relationships namespace. */
static const char *attr_rid(const XML_Char **atts)
{
	for (; *atts; atts += 2)
		if (has_suffix(atts[0], "/relationships|id"))
			return atts[1];
	return NULL;
}

/* Records a handler's error (the first one only) and stops the parser. */
void xlsx_halt(xlsx *x, int code)
{
	if (x->error)
		return;
	x->error = code;
	XML_StopParser(x->parser, XML_FALSE);
}

int xlsx_no_memory(xlsx *x)
{
	return kk_diag_set(x->diag, KK_ENOMEM, _("out of memory"));
}

void xlsx_out_of_memory(xlsx *x)
{
	xlsx_halt(x, xlsx_no_memory(x));
}

/* --- the workbook and its relationships --- */

static void workbook_start(xlsx *x, enum elem e, const XML_Char **atts)
{
	const char *name = xlsx_attr(atts, "name"), *rid = attr_rid(atts),
		   *state = xlsx_attr(atts, "state");
	xsheet *s;
	int error;

	if (e == E_WORKBOOK && x->depth == 1)
		x->saw_workbook = 1;
	if (e != E_SHEET || xlsx_up(x, 1) != E_SHEETS || !rid)
		return;
	if ((error = KK_ARRAY_GROW_MAX(x->sheets, x->nsheets + 1, x->sheets_cap, XLSX_MAX_SHEETS)) <
	    0) {
		xlsx_halt(x, error == KK_ENOMEM ? xlsx_no_memory(x)
						: kk_diag_set(x->diag, KK_ELIMIT,
							      _("'%s' has more than %d sheets"),
							      x->name, XLSX_MAX_SHEETS));
		return;
	}
	s = &x->sheets[x->nsheets];
	s->visible = !state || strcmp(state, "visible") == 0;
	s->name = strdup(name ? name : "");
	s->rid = strdup(rid);
	x->nsheets++;
	if (!s->name || !s->rid)
		xlsx_out_of_memory(x);
}

static void rels_start(xlsx *x, enum elem e, const XML_Char **atts)
{
	const char *id = xlsx_attr(atts, "Id"), *type = xlsx_attr(atts, "Type"),
		   *target = xlsx_attr(atts, "Target");
	const char *mode = xlsx_attr(atts, "TargetMode");
	xrel *r;
	int error;

	if (e != E_RELATIONSHIP || !id || !type || !target || (mode && strcmp(mode, "Internal")))
		return;
	if ((error = KK_ARRAY_GROW_MAX(x->rels, x->nrels + 1, x->rels_cap, XLSX_MAX_RELS)) < 0) {
		xlsx_halt(x, error == KK_ENOMEM
				     ? xlsx_no_memory(x)
				     : kk_diag_set(x->diag, KK_ELIMIT,
						   _("'%s': %s has more than %d relationships"),
						   x->name, x->part, XLSX_MAX_RELS));
		return;
	}
	r = &x->rels[x->nrels++];
	r->id = strdup(id);
	r->type = strdup(type);
	r->target = strdup(target);
	if (!r->id || !r->type || !r->target)
		xlsx_out_of_memory(x);
}

/* --- expat's handlers --- */

static void XMLCALL on_start(void *data, const XML_Char *name, const XML_Char **atts)
{
	xlsx *x = data;
	enum elem e;

	if (x->error)
		return;
	if (x->depth == XLSX_MAX_DEPTH) {
		xlsx_halt(x, kk_diag_set(x->diag, KK_ELIMIT,
					 _("'%s': %s nests elements more than %d deep"), x->name,
					 x->part, XLSX_MAX_DEPTH));
		return;
	}
	e = elem_of(name);
	x->stack[x->depth++] = (unsigned char)e;
	if (x->into)
		return; /* markup inside text: its text is the text's */
	switch (x->kind) {
	case PART_RELS: rels_start(x, e, atts); break;
	case PART_WORKBOOK: workbook_start(x, e, atts); break;
	case PART_STRINGS: xlsx_strings_start(x, e); break;
	case PART_SHEET: xlsx_sheet_start(x, e, atts); break;
	}
}

static void XMLCALL on_end(void *data, const XML_Char *name)
{
	xlsx *x = data;
	enum elem e;

	if (x->error || x->depth == 0)
		return;
	e = (enum elem)x->stack[x->depth - 1];
	if (x->into) {
		if (x->depth == x->into_depth)
			x->into = NULL;
	} else if (x->kind == PART_STRINGS) {
		xlsx_strings_end(x, e);
	} else if (x->kind == PART_SHEET && e == E_C && xlsx_up(x, 1) == E_ROW) {
		xlsx_cell_end(x);
	}
	x->depth--;
}

static void XMLCALL on_text(void *data, const XML_Char *s, int len)
{
	xlsx *x = data;

	if (x->error || !x->into)
		return;
	kk_buf_put(x->into, s, (size_t)len);
	if (x->into->failed)
		xlsx_out_of_memory(x);
}

static void XMLCALL on_doctype(void *data, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	xlsx *x = data;

	if (x->error)
		return;
	xlsx_halt(x,
		  kk_diag_set(x->diag, KK_EINVALID,
			      _("'%s': %s has a document type declaration, which no workbook has"),
			      x->name, x->part));
}

/* --- the zip --- */

static int damaged(xlsx *x, const char *part, zip_error_t *zerr)
{
	if (zerr && zip_error_code_zip(zerr) == ZIP_ER_MEMORY)
		return xlsx_no_memory(x);
	return kk_diag_set(x->diag, KK_EINVALID, _("'%s': %s is damaged and cannot be read"),
			   x->name, part);
}

/*
 * Reads the part `part` as `kind`.  Returns KK_ENOTFOUND, with nothing in
 * the diagnostic, when the zip has no such part: the caller says what that
 * means.
 */
static int read_part(xlsx *x, const char *part, enum part_kind kind)
{
	zip_int64_t index = zip_name_locate(x->zip, part, ZIP_FL_NOCASE);
	zip_file_t *f = NULL;
	zip_uint64_t part_len = 0;
	zip_stat_t st;
	char buf[16384];
	int error = 0;

	if (index < 0)
		return KK_ENOTFOUND;
	zip_stat_init(&st);
	if (zip_stat_index(x->zip, (zip_uint64_t)index, 0, &st) < 0)
		return damaged(x, part, zip_get_error(x->zip));
	if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
		return kk_diag_set(x->diag, KK_EINVALID,
				   _("'%s': %s is encrypted: save the workbook without a password"),
				   x->name, part);
	if ((st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method != ZIP_CM_STORE &&
	    st.comp_method != ZIP_CM_DEFLATE)
		return kk_diag_set(x->diag, KK_EINVALID,
				   _("'%s': %s is compressed with method %d; only deflate is read"),
				   x->name, part, (int)st.comp_method);
	if ((st.valid & ZIP_STAT_SIZE) && st.size > KK_SHEET_MAX_SIZE - x->inflated)
		return kk_diag_set(x->diag, KK_ELIMIT,
				   _("'%s': %s takes the workbook over %u MiB uncompressed"),
				   x->name, part, KK_SHEET_MAX_SIZE >> 20);
	if (!(f = zip_fopen_index(x->zip, (zip_uint64_t)index, 0)))
		return damaged(x, part, zip_get_error(x->zip));
	if (!(x->parser = XML_ParserCreateNS(NULL, '|'))) {
		error = xlsx_no_memory(x);
		goto done;
	}
	XML_SetUserData(x->parser, x);
	XML_SetElementHandler(x->parser, on_start, on_end);
	XML_SetCharacterDataHandler(x->parser, on_text);
	XML_SetStartDoctypeDeclHandler(x->parser, on_doctype);
	x->part = part;
	x->kind = kind;
	x->error = 0;
	x->depth = 0;
	x->into = NULL;
	for (;;) {
		zip_int64_t n = zip_fread(f, buf, sizeof(buf));

		if (n < 0) {
			error = damaged(x, part, zip_file_get_error(f));
			goto done;
		}
		part_len += (zip_uint64_t)n;
		if ((st.valid & ZIP_STAT_SIZE) && part_len > st.size) {
			error = damaged(x, part, NULL);
			goto done;
		}
		if ((size_t)n > KK_SHEET_MAX_SIZE - x->inflated) {
			error = kk_diag_set(
				x->diag, KK_ELIMIT,
				_("'%s': %s takes the workbook over %u MiB uncompressed"), x->name,
				part, KK_SHEET_MAX_SIZE >> 20);
			goto done;
		}
		x->inflated += (size_t)n;
		if (XML_Parse(x->parser, buf, (int)n, n == 0) == XML_STATUS_ERROR) {
			if (x->error)
				error = x->error;
			else if (XML_GetErrorCode(x->parser) == XML_ERROR_NO_MEMORY)
				error = xlsx_no_memory(x);
			else
				error = kk_diag_set(
					x->diag, KK_EINVALID,
					_("'%s': %s is not well-formed XML (line %lu)"), x->name,
					part, (unsigned long)XML_GetCurrentLineNumber(x->parser));
			goto done;
		}
		if (n == 0)
			break;
	}
done:
	if (x->parser)
		XML_ParserFree(x->parser);
	x->parser = NULL;
	x->into = NULL;
	zip_fclose(f);
	return error;
}

/*
 * The part a relationship's `target` names, seen from the part `source`:
 * relative to its folder, or from the package's root when it starts with
 * '/'.  Returns 0, or -1 when it leaves the package or is too long.
 */
static int resolve(char out[XLSX_PART_MAX], const char *source, const char *target)
{
	const char *slash = strrchr(source, '/'), *seg = target;
	size_t len = 0;

	if (*target == '/')
		seg++;
	else if (slash) {
		len = (size_t)(slash - source);
		if (len >= XLSX_PART_MAX)
			return -1;
		memcpy(out, source, len);
	}
	while (*seg) {
		size_t n = strcspn(seg, "/");

		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			if (len == 0)
				return -1;
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
		} else if (n > 0 && !(n == 1 && seg[0] == '.')) {
			if (len + 1 + n >= XLSX_PART_MAX)
				return -1;
			if (len > 0)
				out[len++] = '/';
			memcpy(out + len, seg, n);
			len += n;
		}
		seg += n + (seg[n] == '/');
	}
	out[len] = '\0';
	return len > 0 ? 0 : -1;
}

/* The relationships of the part `part`: folder/_rels/name.rels. */
static int rels_of(char out[XLSX_PART_MAX], const char *part)
{
	const char *slash = strrchr(part, '/');
	int dir = slash ? (int)(slash - part + 1) : 0;
	int n = snprintf(out, XLSX_PART_MAX, "%.*s_rels/%s.rels", dir, part, part + dir);

	return n > 0 && n < XLSX_PART_MAX ? 0 : -1;
}

static const xrel *rel_by_type(const xlsx *x, const char *suffix)
{
	for (size_t i = 0; i < x->nrels; i++)
		if (has_suffix(x->rels[i].type, suffix))
			return &x->rels[i];
	return NULL;
}

static const xrel *rel_by_id(const xlsx *x, const char *id)
{
	for (size_t i = 0; i < x->nrels; i++)
		if (strcmp(x->rels[i].id, id) == 0)
			return &x->rels[i];
	return NULL;
}

static void rels_clear(xlsx *x)
{
	for (size_t i = 0; i < x->nrels; i++) {
		free(x->rels[i].id);
		free(x->rels[i].type);
		free(x->rels[i].target);
	}
	x->nrels = 0;
}

/* --- the whole workbook --- */

/* Reads the worksheet `s` (its part is `part`) and appends its rows. */
static int read_sheet(xlsx *x, const xsheet *s, const char *part)
{
	kk_sheet *out = x->out;
	char **names;
	int error;

	if (!(names = realloc(out->sheets, (out->sheet_count + 1) * sizeof(*names))))
		return xlsx_no_memory(x);
	out->sheets = names;
	if (!(names[out->sheet_count] = strdup(s->name)))
		return xlsx_no_memory(x);
	out->sheet_count++;
	x->sheet_name = s->name;
	error = read_part(x, part, PART_SHEET);
	if (error == KK_ENOTFOUND)
		error = kk_diag_set(x->diag, KK_EINVALID,
				    _("'%s': the part of sheet '%s', %s, is missing"), x->name,
				    s->name, part);
	if (error == 0)
		error = xlsx_add_rows(x, out->sheet_count - 1);
	xlsx_sheet_reset(x);
	return error;
}

static int open_zip(xlsx *x, const char *data, size_t len)
{
	zip_source_t *src;
	zip_error_t zerr;
	int error = 0;

	zip_error_init(&zerr);
	if (!(src = zip_source_buffer_create(data, len, 0, &zerr))) {
		error = xlsx_no_memory(x);
	} else if (!(x->zip = zip_open_from_source(src, ZIP_RDONLY, &zerr))) {
		zip_source_free(src);
		if (zip_error_code_zip(&zerr) == ZIP_ER_MEMORY)
			error = xlsx_no_memory(x);
		else
			error = kk_diag_set(
				x->diag, KK_EINVALID,
				_("'%s' is not a whole .xlsx workbook: its zip directory "
				  "is missing or damaged (is the file cut short?)"),
				x->name);
	} else if (zip_get_num_entries(x->zip, 0) > XLSX_MAX_ENTRIES) {
		error = kk_diag_set(x->diag, KK_ELIMIT, _("'%s' has more than %d files in its zip"),
				    x->name, XLSX_MAX_ENTRIES);
	}
	zip_error_fini(&zerr);
	return error;
}

/* Why a zip without a workbook part is not a workbook. */
static int not_a_workbook(xlsx *x, const char *part)
{
	if (zip_name_locate(x->zip, "mimetype", 0) >= 0 &&
	    zip_name_locate(x->zip, "content.xml", 0) >= 0)
		return kk_diag_set(x->diag, KK_EINVALID,
				   _("'%s' is an OpenDocument spreadsheet (.ods): save it as an "
				     "Excel workbook (.xlsx)"),
				   x->name);
	return kk_diag_set(x->diag, KK_EINVALID,
			   _("'%s' is not an Excel workbook (.xlsx): it has no %s"), x->name, part);
}

static int missing(xlsx *x, const char *part)
{
	return kk_diag_set(x->diag, KK_EINVALID, _("'%s': the workbook's part %s is missing"),
			   x->name, part);
}

static void xlsx_clear(xlsx *x)
{
	xlsx_sheet_reset(x);
	free(x->xcells);
	free(x->merges);
	for (size_t i = 0; i < x->nsheets; i++) {
		free(x->sheets[i].name);
		free(x->sheets[i].rid);
	}
	free(x->sheets);
	rels_clear(x);
	free(x->rels);
	for (size_t i = 0; i < x->nstrings; i++)
		free(x->strings[i]);
	free(x->strings);
	kk_buf_clear(&x->string);
	kk_buf_clear(&x->value);
	kk_buf_clear(&x->inline_text);
	if (x->c_locale)
		freelocale(x->c_locale);
	if (x->zip)
		zip_discard(x->zip);
}

int kk_xlsx_read(kk_sheet *sheet, const char *data, size_t len, const char *name, kk_diag *diag)
{
	char workbook[XLSX_PART_MAX] = "xl/workbook.xml", rels[XLSX_PART_MAX], part[XLSX_PART_MAX];
	xlsx x = {.name = name ? name : "-", .diag = diag, .out = sheet};
	const xrel *rel;
	int error;

	sheet->encoding = "xlsx";
	sheet->delimiter = '\t';
	if (len < 4 || (memcmp(data, "PK\3\4", 4) != 0 && memcmp(data, "PK\5\6", 4) != 0))
		return kk_diag_set(diag, KK_EINVALID,
				   _("'%s' is not an Excel workbook (.xlsx): it is not a zip file"),
				   x.name);
	if ((error = open_zip(&x, data, len)) < 0)
		goto done;
	if (!(x.c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0))) {
		error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
		goto done;
	}
	/* The package's relationships say where the workbook is; else Excel's own place. */
	error = read_part(&x, "_rels/.rels", PART_RELS);
	if (error < 0 && error != KK_ENOTFOUND)
		goto done;
	if (error == 0 && (rel = rel_by_type(&x, "/officeDocument")) &&
	    resolve(part, "", rel->target) == 0)
		memcpy(workbook, part, sizeof(part));
	rels_clear(&x);

	if ((error = read_part(&x, workbook, PART_WORKBOOK)) == KK_ENOTFOUND) {
		error = not_a_workbook(&x, workbook);
		goto done;
	}
	if (error < 0)
		goto done;
	if (!x.saw_workbook) {
		error = kk_diag_set(
			diag, KK_EINVALID,
			_("'%s' is not an Excel workbook (.xlsx): %s is not a workbook"), x.name,
			workbook);
		goto done;
	}
	if (rels_of(rels, workbook) < 0 ||
	    (error = read_part(&x, rels, PART_RELS)) == KK_ENOTFOUND) {
		error = missing(&x, rels);
		goto done;
	}
	if (error < 0)
		goto done;

	/*
	 * The shared strings, which the sheets' cells name by number.  A part
	 * that is missing holds none: only a cell that names one is an error.
	 */
	if ((rel = rel_by_type(&x, "/sharedStrings"))) {
		if (resolve(part, workbook, rel->target) < 0) {
			error = missing(&x, rel->target);
			goto done;
		}
		if ((error = read_part(&x, part, PART_STRINGS)) == KK_ENOTFOUND)
			error = 0;
		if (error < 0)
			goto done;
	}

	/* The worksheets a person sees, in the workbook's order; not charts, not hidden ones. */
	for (size_t i = 0; i < x.nsheets; i++) {
		if (!x.sheets[i].visible || !(rel = rel_by_id(&x, x.sheets[i].rid)) ||
		    !has_suffix(rel->type, "/worksheet"))
			continue;
		if (resolve(part, workbook, rel->target) < 0) {
			error = missing(&x, rel->target);
			goto done;
		}
		if ((error = read_sheet(&x, &x.sheets[i], part)) < 0)
			goto done;
	}
done:
	xlsx_clear(&x);
	return error;
}
