/*
 * report_text.c - the report as delimited text (TSV, CSV) and as Markdown.
 *
 * The TSV is the sample report's shape (data/progress-report-R3-part1.tsv)
 * made consistent: every table has the legend, both headings, the same two
 * header rows and all sixteen columns, so that keikaku import reads it
 * back cell for cell.  The CSV is the same rows for Excel.
 */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "report_internal.h"

#define BOM "\xEF\xBB\xBF"

typedef struct table_writer {
	kk_buf *b;
	const kk_report *r;
	char sep;
	const char *eol;
	iconv_t cd;		  /* UTF-8 to CP932, or (iconv_t)-1 for UTF-8 output */
	kk_buf cell;		  /* the cell being quoted */
	const kk_report_row *row; /* the row being written, for messages; NULL for headings */
	int column;
	kk_diag *diag;
	int error;
} table_writer;

/* Decodes the UTF-8 sequence at `s` (at most `n` bytes); returns its length. */
static size_t utf8_char(unsigned long *cp, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = u[0] < 0x80 ? 1 : u[0] < 0xE0 ? 2 : u[0] < 0xF0 ? 3 : 4;

	if (len > n)
		len = n;
	*cp = len == 1 ? u[0] : u[0] & (0xFF >> (len + 1));
	for (size_t i = 1; i < len; i++)
		*cp = (*cp << 6) | (u[i] & 0x3F);
	return len;
}

/* Records that the character at `bad` (inside `text`) has no CP932 code. */
static void unencodable(table_writer *w, const char *text, const char *bad, size_t left)
{
	unsigned long cp;
	size_t n = utf8_char(&cp, bad, left);
	char column[128];
	const kk_report_column_info *info;

	if (!w->row) {
		w->error = kk_diag_set(w->diag, KK_EINVALID,
				       _("cannot encode '%s' in cp932: '%.*s' (U+%04lX) has no "
					 "cp932 code"),
				       text, (int)n, bad, cp);
		return;
	}
	info = kk_report_column_describe((kk_report_column)w->column);
	if (info->year != 2)
		snprintf(column, sizeof(column), "%s %s", kk_report_year_name(w->r, info->year),
			 info->label);
	else
		snprintf(column, sizeof(column), "%s", info->label);
	w->error =
		kk_diag_set(w->diag, KK_EINVALID,
			    _("cannot encode item '%lld' in cp932: '%.*s' (U+%04lX) in %s has no "
			      "cp932 code"),
			    (long long)w->row->id, (int)n, bad, cp, column);
}

/* Appends `n` bytes of UTF-8 at `s`, converted to the output's encoding. */
static void emit(table_writer *w, const char *s, size_t n, const char *text)
{
	char out[1024];

	if (w->error)
		return;
	if (w->cd == (iconv_t)-1) {
		kk_buf_put(w->b, s, n);
		return;
	}
	iconv(w->cd, NULL, NULL, NULL, NULL);
	while (n > 0) {
		char *in = (char *)s, *o = out;
		size_t in_left = n, out_left = sizeof(out);
		size_t rc = iconv(w->cd, &in, &in_left, &o, &out_left);

		kk_buf_put(w->b, out, sizeof(out) - out_left);
		if (rc == (size_t)-1 && errno != E2BIG) {
			unencodable(w, text, in, in_left);
			return;
		}
		s = in;
		n = in_left;
	}
}

static void emit_str(table_writer *w, const char *s)
{
	emit(w, s, strlen(s), s);
}

/* Tells whether `s` must be quoted in a cell. */
static int needs_quotes(const table_writer *w, const char *s)
{
	if (w->sep == '\t')
		return s[0] == '"' || strpbrk(s, "\t\r\n") != NULL;
	return strpbrk(s, ",\"\r\n") != NULL;
}

/* Writes one cell (after its separator when it is not the first). */
static void put_cell(table_writer *w, int first, const char *text)
{
	if (!first)
		emit(w, &w->sep, 1, "");
	if (!needs_quotes(w, text)) {
		emit_str(w, text);
		return;
	}
	w->cell.len = 0;
	kk_buf_puts(&w->cell, "\"");
	for (const char *p = text; *p; p++) {
		if (*p == '"')
			kk_buf_puts(&w->cell, "\"");
		kk_buf_put(&w->cell, p, 1);
	}
	kk_buf_puts(&w->cell, "\"");
	if (w->cell.failed) {
		w->b->failed = 1;
		return;
	}
	emit(w, w->cell.data, w->cell.len, text);
}

static void end_line(table_writer *w)
{
	emit_str(w, w->eol);
}

/* A line of `n` cells. */
static void put_line(table_writer *w, const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_cell(w, i == 0, cells[i]);
	end_line(w);
}

static void put_legend(table_writer *w)
{
	static const char *const codes[] = {"ahead", "on_track", "behind"};
	const char *line[2] = {"進捗度の凡例", ""};

	put_line(w, line, 2);
	for (size_t i = 0; i < 3; i++) {
		line[0] = kk_progress_legend(codes[i]);
		line[1] = kk_progress_mark(codes[i]);
		put_line(w, line, 2);
	}
}

static void put_header(table_writer *w)
{
	const char *top[KK_REPORT_COLUMNS], *bottom[KK_REPORT_COLUMNS];

	for (int c = 0; c < KK_REPORT_COLUMNS; c++) {
		const kk_report_column_info *info = kk_report_column_describe((kk_report_column)c);
		int opens = info->year != 2 &&
			    (c == 0 || kk_report_column_describe((kk_report_column)(c - 1))->year !=
					       info->year);

		if (info->year == 2) {
			top[c] = info->label;
			bottom[c] = "";
		} else {
			top[c] = opens ? kk_report_year_name(w->r, info->year) : "";
			bottom[c] = info->label;
		}
	}
	put_line(w, top, KK_REPORT_COLUMNS);
	put_line(w, bottom, KK_REPORT_COLUMNS);
}

static void put_rows(table_writer *w, const kk_report_section *s)
{
	for (size_t c = 0; c < s->nmeasures; c++) {
		const kk_report_measure *m = &s->measures[c];

		for (size_t d = 0; d < m->nrows; d++) {
			w->row = &m->rows[d];
			for (int k = 0; k < KK_REPORT_COLUMNS; k++) {
				w->column = k;
				put_cell(w, k == 0,
					 kk_report_shows(m, d, (kk_report_column)k)
						 ? m->rows[d].cells[k]
						 : "");
			}
			end_line(w);
		}
	}
	w->row = NULL;
}

int kk_report_write_tsv(kk_buf *b, const kk_report *r, char sep, const kk_report_text_opts *opts,
			kk_diag *diag)
{
	table_writer w = {0};
	int tables = 0;

	w.b = b;
	w.r = r;
	w.sep = sep;
	w.eol = sep == '\t' ? "\n" : "\r\n";
	w.cd = (iconv_t)-1;
	w.diag = diag;
	if (opts->encoding == KK_REPORT_CP932 &&
	    (w.cd = iconv_open("CP932", "UTF-8")) == (iconv_t)-1)
		return kk_diag_set(diag, errno == ENOMEM ? KK_ENOMEM : KK_EINVALID,
				   _("cannot convert to cp932: %s"), strerror(errno));
	if (sep == ',' && opts->encoding == KK_REPORT_UTF8 && !opts->no_bom)
		kk_buf_puts(b, BOM);
	/* As the sample starts: two blank lines, then a table after each blank line. */
	end_line(&w);
	for (kk_report_cursor c = {0}; !w.error && kk_report_next_section(&c, r);) {
		end_line(&w);
		put_legend(&w);
		end_line(&w);
		put_line(&w, (const char *const *)&c.pillar->heading, 1);
		end_line(&w);
		put_line(&w, (const char *const *)&c.section->heading, 1);
		end_line(&w);
		put_header(&w);
		put_rows(&w, c.section);
		tables++;
	}
	if (!tables && !w.error) {
		/* An empty plan still gets its legend and header rows. */
		end_line(&w);
		put_legend(&w);
		end_line(&w);
		put_header(&w);
	}
	if (w.cd != (iconv_t)-1)
		iconv_close(w.cd);
	kk_buf_clear(&w.cell);
	return w.error;
}

/* --- Markdown --- */

/*
 * True at a space that starts a new point of the text as the report shows
 * it: before a "・" bullet or a "【" heading (the spreadsheet's cells keep
 * their points apart with a space where a person sees lines).
 */
static int starts_point(const char *p, const char *text)
{
	return p > text && *p == ' ' &&
	       (strncmp(p + 1, "\u30fb", 3) == 0 || strncmp(p + 1, "\u3010", 3) == 0);
}

/*
 * Appends `text` as table cell content: Markdown's specials escaped, line
 * breaks, and the space before each point, as <br> (GFM tables keep a cell
 * on one line).
 */
static void md_text(kk_buf *b, const char *text)
{
	for (const char *p = text; *p; p++) {
		if (*p == '\n' || starts_point(p, text)) {
			kk_buf_puts(b, "<br>");
		} else if (*p == '\r') {
			continue;
		} else {
			if (strchr("\\`*_[]<>|", *p))
				kk_buf_puts(b, "\\");
			kk_buf_put(b, p, 1);
		}
	}
}

static void md_summary(kk_buf *b, const kk_report *r)
{
	kk_buf_printf(b, "## 進捗度の集計（%s）\n\n", kk_report_year_name(r, 0));
	kk_buf_puts(b, "| 計画の柱 | ◎ | ○ | ▲ | 項目 |\n|---|--:|--:|--:|--:|\n");
	for (size_t a = 0; a < r->npillars; a++) {
		const kk_report_pillar *p = &r->pillars[a];

		kk_buf_printf(b, "| %" JSON_INTEGER_FORMAT ". ", p->number);
		md_text(b, p->title);
		kk_buf_printf(b, " | %zu | %zu | %zu | %zu |\n", p->counts.ahead,
			      p->counts.on_track, p->counts.behind, p->counts.rows);
	}
	kk_buf_printf(b, "| 計 | %zu | %zu | %zu | %zu |\n\n", r->counts.ahead, r->counts.on_track,
		      r->counts.behind, r->counts.rows);
	kk_buf_puts(b, "進捗度の凡例: ◎ 計画より早く進んでいる · ○ 計画どおり進んでいる · "
		       "▲ 計画より遅れている\n\n");
}

static void md_table(kk_buf *b, const kk_report *r, const kk_report_section *s)
{
	kk_buf_puts(b, "|");
	for (int c = 0; c < KK_REPORT_COLUMNS; c++) {
		const kk_report_column_info *info = kk_report_column_describe((kk_report_column)c);

		if (info->year != 2)
			kk_buf_printf(b, " %s %s |", kk_report_year_name(r, info->year),
				      info->label);
		else
			kk_buf_printf(b, " %s |", info->label);
	}
	kk_buf_puts(b, "\n|");
	for (int c = 0; c < KK_REPORT_COLUMNS; c++)
		kk_buf_puts(b, c == KK_REPORT_ID ? "--:|" : "---|");
	kk_buf_puts(b, "\n");
	for (size_t i = 0; i < s->nmeasures; i++) {
		const kk_report_measure *m = &s->measures[i];

		for (size_t d = 0; d < m->nrows; d++) {
			const kk_report_row *row = &m->rows[d];

			kk_buf_puts(b, "|");
			for (int c = 0; c < KK_REPORT_COLUMNS; c++) {
				unsigned bits =
					c <= KK_REPORT_DESCRIPTION ? m->changed : row->changed;

				kk_buf_puts(b, " ");
				if (kk_report_shows(m, d, (kk_report_column)c)) {
					md_text(b, row->cells[c]);
					if (bits & (1u << c))
						kk_buf_puts(b, " †");
				}
				kk_buf_puts(b, " |");
			}
			kk_buf_puts(b, "\n");
		}
	}
	kk_buf_puts(b, "\n");
}

int kk_report_write_md(kk_buf *b, const kk_report *r, kk_diag *diag)
{
	(void)diag;
	kk_buf_puts(b, "# ");
	md_text(b, r->title);
	kk_buf_printf(b, " %s 進捗状況\n\n", kk_report_year_name(r, 0));
	if (r->organisation) {
		md_text(b, r->organisation);
		kk_buf_puts(b, "\n\n");
	}
	if (r->since) {
		kk_buf_puts(b, "† ");
		md_text(b, r->since);
		kk_buf_printf(b, " 以降に変更された箇所（%zu）\n\n", r->nchanged);
	}
	md_summary(b, r);
	for (kk_report_cursor c = {0}; kk_report_next_section(&c, r);) {
		if (c.opens) {
			kk_buf_puts(b, "## ");
			md_text(b, c.pillar->heading);
			kk_buf_puts(b, c.pillar->changed ? " †\n\n" : "\n\n");
		}
		kk_buf_puts(b, "### ");
		md_text(b, c.section->heading);
		kk_buf_puts(b, c.section->changed ? " †\n\n" : "\n\n");
		md_table(b, r, c.section);
	}
	if (r->nremoved) {
		kk_buf_puts(b, "## ");
		md_text(b, r->since);
		kk_buf_puts(b, " 以降に削除された項目\n\n");
		for (size_t i = 0; i < r->nremoved; i++) {
			kk_buf_printf(b, "- %" JSON_INTEGER_FORMAT " ", r->removed[i].id);
			md_text(b, r->removed[i].title);
			kk_buf_puts(b, "\n");
		}
		kk_buf_puts(b, "\n");
	}
	return 0;
}
