/*
 * report_html.c - the report as one self-contained page for the city's
 * website: inline CSS and an inline SVG chart, no scripts, fonts or other
 * files.  Wide screens get the report's table (two header rows, measure
 * cells spanning their items); phones get one card per item; print gets
 * A3 landscape with the header rows repeated on every page.
 */
#include <string.h>

#include "report_internal.h"

static const char style[] =
	":root{--ink:#1a1a1a;--muted:#555;--line:#b9bec6;--head:#e8edf3;--band:#f4f6f9;"
	"--changed:#fff1a8;--changed-edge:#d89c00;--ahead:#2e7d32;--on-track:#1565c0;"
	"--behind:#d84315}\n"
	"*{box-sizing:border-box}\n"
	"html{-webkit-text-size-adjust:100%;text-size-adjust:100%}\n"
	"body{margin:0;padding:16px 20px 40px;color:var(--ink);background:#fff;"
	"font-family:\"Noto Sans CJK JP\",\"Noto Sans JP\",\"Hiragino Kaku Gothic ProN\","
	"\"Yu Gothic\",Meiryo,sans-serif;font-size:15px;line-height:1.6;"
	"line-break:strict;overflow-wrap:anywhere}\n"
	"header{border-bottom:3px solid var(--on-track);margin-bottom:16px}\n"
	".org{margin:0;color:var(--muted)}\n"
	"h1{margin:0 0 8px;font-size:1.6em;line-height:1.3}\n"
	"h1 span{display:block;font-size:.75em;font-weight:normal}\n"
	"h2{font-size:1.3em;margin:28px 0 8px;padding:4px 10px;background:var(--head);"
	"border-left:6px solid var(--on-track)}\n"
	"h3{font-size:1.1em;margin:18px 0 8px}\n"
	".overview{display:flex;flex-wrap:wrap;gap:12px 32px;align-items:flex-start}\n"
	".chart{flex:1 1 420px;max-width:640px;margin:0}\n"
	".chart figcaption{font-weight:bold}\n"
	".pillar-label{margin:10px 0 2px;font-size:.93em}\n"
	".chart svg{width:100%;max-width:600px;height:auto;display:block}\n"
	".chart text{font-family:inherit;font-size:13px;fill:var(--ink)}\n"
	".bar.ahead{fill:var(--ahead)}.bar.on_track{fill:var(--on-track)}"
	".bar.behind{fill:var(--behind)}\n"
	".side{flex:0 1 340px}\n"
	"table{border-collapse:collapse}\n"
	".counts th,.counts td,.legend th,.legend td{border:1px solid var(--line);"
	"padding:2px 10px}\n"
	".counts td{text-align:right}.counts th{background:var(--head);font-weight:normal}\n"
	".counts tr.total td,.counts tr.total th{font-weight:bold}\n"
	".legend{margin:10px 0}.legend td.mark{text-align:center;width:3em}\n"
	".legend caption{text-align:left;font-weight:bold}\n"
	".changes{margin:10px 0;padding:6px 10px;border:1px solid var(--changed-edge);"
	"background:#fffbe6}\n"
	".changes .changed{padding:0 6px}\n"
	".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}\n"
	".report{width:100%;min-width:1180px;table-layout:fixed;font-size:12px;"
	"line-height:1.5}\n"
	".report th,.report td{border:1px solid var(--line);padding:4px 5px;"
	"vertical-align:top;text-align:left}\n"
	".report thead th{background:var(--head);text-align:center;vertical-align:middle;"
	"font-weight:bold;font-size:11px;padding:4px 2px}\n"
	".report td.measure,.report td.description{background:var(--band)}\n"
	".report td.mark,.report td.id{text-align:center}\n"
	".report td.mark{font-size:15px}\n"
	".report td.status{text-align:center}\n"
	".report td.withdrawn{color:var(--muted)}\n"
	".report td.changed,.changes .changed{background:var(--changed);"
	"box-shadow:inset 3px 0 0 var(--changed-edge)}\n"
	".report tr.added td.title{font-weight:bold}\n"
	"h2.changed,h3.changed{background:var(--changed)}\n"
	".removed{color:var(--muted)}\n"
	"footer{margin-top:32px;color:var(--muted);font-size:.85em}\n"
	"@media (max-width:760px){\n"
	"body{padding:12px;font-size:15px}\n"
	".report,.report tbody,.report tr,.report td{display:block;width:auto;min-width:0}\n"
	".report{font-size:14px}\n"
	".report thead,.report colgroup{display:none}\n"
	".report tr{border:1px solid var(--line);border-radius:6px;margin:0 0 12px;"
	"padding:6px 10px}\n"
	".report td{border:0;padding:2px 0}\n"
	".report td:empty{display:none}\n"
	".report td::before{content:attr(data-label);display:inline-block;min-width:6em;"
	"margin-right:.5em;color:var(--muted);font-size:12px}\n"
	".report td.measure::before,.report td.description::before,.report td.result::before,"
	".report td.schedule::before{display:block}\n"
	".chart text{font-size:17px}\n"
	".report td.measure,.report td.description{background:none}\n"
	".report td.measure{font-weight:bold;font-size:15px}\n"
	".report td.mark,.report td.id,.report td.status{text-align:left}\n"
	"}\n"
	"@media print{\n"
	"@page{size:A3 landscape;margin:10mm}\n"
	"body{padding:0;font-size:10pt}\n"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
	".scroll{overflow:visible}\n"
	".report{min-width:0;font-size:7.5pt}\n"
	".report thead{display:table-header-group}\n"
	".report tr{break-inside:avoid}\n"
	"h2,h3{break-after:avoid}\n"
	"}\n";

/* Appends `text` escaped for HTML text and attribute values. */
static void esc(kk_buf *b, const char *text)
{
	const char *run = text;

	for (const char *p = text; *p; p++) {
		const char *e = NULL;

		switch (*p) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default: continue;
		}
		kk_buf_put(b, run, (size_t)(p - run));
		kk_buf_puts(b, e);
		run = p + 1;
	}
	kk_buf_puts(b, run);
}

/* Tells whether `p` starts a bullet (・), heading (【) or point (○) that starts a line. */
static int opens_line(const char *p)
{
	static const char *const openers[] = {"・", "【", "○"};

	for (size_t i = 0; i < sizeof(openers) / sizeof(*openers); i++)
		if (strncmp(p, openers[i], strlen(openers[i])) == 0)
			return 1;
	return 0;
}

/*
 * Appends a cell's text, escaped, with its line breaks, and with a line
 * break for a space before a ・ bullet, a 【 heading or a ○ point: the
 * report's long texts came out of spreadsheet cells with those on lines of
 * their own (as `keikaku show` wraps them).
 */
static void cell_text(kk_buf *b, const char *text)
{
	static const char ideographic_space[] = "\u3000";
	kk_buf plain = {0};
	const char *p = text;

	while (*p) {
		size_t space = *p == ' ' ? 1
			       : strncmp(p, ideographic_space, strlen(ideographic_space)) == 0
				       ? strlen(ideographic_space)
				       : 0;

		if (*p == '\n' || (space && p != text && opens_line(p + space))) {
			plain.len = 0;
			kk_buf_put(&plain, text, (size_t)(p - text));
			esc(b, plain.data ? plain.data : "");
			kk_buf_puts(b, "<br>");
			if (plain.failed)
				b->failed = 1;
			p += *p == '\n' ? 1 : space;
			text = p;
			continue;
		}
		p++;
	}
	esc(b, text);
	kk_buf_clear(&plain);
}

static const char *const mark_codes[] = {"ahead", "on_track", "behind"};

static size_t count_of(const kk_report_counts *c, int mark)
{
	return mark == 0 ? c->ahead : mark == 1 ? c->on_track : c->behind;
}

/*
 * The summary chart: per pillar, its heading (HTML, so that it wraps) and an
 * SVG of one bar for each of ◎ ○ ▲ in year Y, all on one scale.
 */
static void chart(kk_buf *b, const kk_report *r)
{
	const int width = 480, left = 30, right = 44, bar = 18, gap = 6;
	size_t max = 1;

	for (size_t a = 0; a < r->npillars; a++)
		for (int k = 0; k < 3; k++)
			if (count_of(&r->pillars[a].counts, k) > max)
				max = count_of(&r->pillars[a].counts, k);
	kk_buf_printf(b,
		      "<figure class=\"chart\">\n<figcaption>計画の柱ごとの進捗度（%s）"
		      "</figcaption>\n",
		      kk_report_year_name(r, 0));
	for (size_t a = 0; a < r->npillars; a++) {
		const kk_report_pillar *p = &r->pillars[a];

		kk_buf_puts(b, "<p class=\"pillar-label\">");
		esc(b, p->heading);
		kk_buf_printf(b, "（%zu 項目）</p>\n", p->counts.rows);
		kk_buf_printf(b,
			      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
			      "role=\"img\" aria-label=\"",
			      width, 3 * (bar + gap));
		esc(b, p->heading);
		for (int k = 0; k < 3; k++)
			kk_buf_printf(b, " %s %zu", kk_progress_mark(mark_codes[k]),
				      count_of(&p->counts, k));
		kk_buf_puts(b, "\">\n");
		for (int k = 0; k < 3; k++) {
			size_t n = count_of(&p->counts, k);
			int top = k * (bar + gap);
			int w = (int)((double)n * (width - left - right) / (double)max + 0.5);

			kk_buf_printf(b,
				      "<text x=\"2\" y=\"%d\">%s</text>"
				      "<rect class=\"bar %s\" x=\"%d\" y=\"%d\" width=\"%d\" "
				      "height=\"%d\" data-pillar=\"%" JSON_INTEGER_FORMAT
				      "\" data-mark=\"%s\" data-count=\"%zu\">"
				      "<title>%s %s %zu</title></rect>"
				      "<text x=\"%d\" y=\"%d\" class=\"count\">%zu</text>\n",
				      top + bar - 4, kk_progress_mark(mark_codes[k]), mark_codes[k],
				      left, top, w, bar, p->number, mark_codes[k], n,
				      kk_progress_mark(mark_codes[k]),
				      kk_progress_legend(mark_codes[k]), n, left + w + 6,
				      top + bar - 4, n);
		}
		kk_buf_puts(b, "</svg>\n");
	}
	kk_buf_puts(b, "</figure>\n");
}

static void counts_table(kk_buf *b, const kk_report *r)
{
	kk_buf_puts(b, "<table class=\"counts\">\n<thead><tr><th scope=\"col\">計画の柱</th>"
		       "<th scope=\"col\">◎</th><th scope=\"col\">○</th>"
		       "<th scope=\"col\">▲</th><th scope=\"col\">項目</th></tr></thead>\n"
		       "<tbody>\n");
	for (size_t a = 0; a < r->npillars; a++) {
		const kk_report_pillar *p = &r->pillars[a];

		kk_buf_printf(b,
			      "<tr><th scope=\"row\">%" JSON_INTEGER_FORMAT "</th>"
			      "<td>%zu</td><td>%zu</td><td>%zu</td><td>%zu</td></tr>\n",
			      p->number, p->counts.ahead, p->counts.on_track, p->counts.behind,
			      p->counts.rows);
	}
	kk_buf_printf(b,
		      "<tr class=\"total\"><th scope=\"row\">計</th><td>%zu</td><td>%zu</td>"
		      "<td>%zu</td><td>%zu</td></tr>\n</tbody>\n</table>\n",
		      r->counts.ahead, r->counts.on_track, r->counts.behind, r->counts.rows);
}

static void legend(kk_buf *b)
{
	kk_buf_puts(b, "<table class=\"legend\">\n<caption>進捗度の凡例</caption>\n");
	for (int k = 0; k < 3; k++)
		kk_buf_printf(b, "<tr><td>%s</td><td class=\"mark\">%s</td></tr>\n",
			      kk_progress_legend(mark_codes[k]), kk_progress_mark(mark_codes[k]));
	kk_buf_puts(b, "</table>\n");
}

/* The label a cell carries for the card layout: "令和3年度 進捗度". */
static void data_label(kk_buf *b, const kk_report *r, const kk_report_column_info *info)
{
	if (info->year != 2)
		kk_buf_printf(b, "%s ", kk_report_year_name(r, info->year));
	kk_buf_puts(b, info->label);
}

static const char *column_class(kk_report_column c)
{
	switch (c) {
	case KK_REPORT_MEASURE: return "measure";
	case KK_REPORT_DESCRIPTION: return "description";
	case KK_REPORT_TITLE: return "title";
	case KK_REPORT_OWNERS:
	case KK_REPORT_RELATED: return "dept";
	case KK_REPORT_PREV_PROGRESS:
	case KK_REPORT_PROGRESS: return "mark";
	case KK_REPORT_PREV_ACHIEVEMENT:
	case KK_REPORT_STATUS: return "status";
	case KK_REPORT_PREV_RESULT:
	case KK_REPORT_RESULT: return "result";
	case KK_REPORT_ID: return "id";
	default: return "schedule";
	}
}

/* Column widths, in thousandths of the table's. */
static const int widths[KK_REPORT_COLUMNS] = {
	[KK_REPORT_MEASURE] = 70,
	[KK_REPORT_DESCRIPTION] = 90,
	[KK_REPORT_TITLE] = 75,
	[KK_REPORT_OWNERS] = 50,
	[KK_REPORT_RELATED] = 50,
	[KK_REPORT_PREV_PLANNED] = 52,
	[KK_REPORT_PREV_PROGRESS] = 32,
	[KK_REPORT_PREV_ACHIEVEMENT] = 45,
	[KK_REPORT_PREV_RESULT] = 138,
	[KK_REPORT_PLANNED] = 52,
	[KK_REPORT_REVISED] = 52,
	[KK_REPORT_PROGRESS] = 32,
	[KK_REPORT_RESULT] = 138,
	[KK_REPORT_NEXT_REVISED] = 45,
	[KK_REPORT_ID] = 30,
	[KK_REPORT_STATUS] = 49,
};

static void table_head(kk_buf *b, const kk_report *r)
{
	kk_buf_puts(b, "<colgroup>");
	for (int c = 0; c < KK_REPORT_COLUMNS; c++)
		kk_buf_printf(b, "<col style=\"width:%d.%d%%\">", widths[c] / 10, widths[c] % 10);
	kk_buf_puts(b, "</colgroup>\n<thead>\n<tr>");
	for (int c = 0; c < KK_REPORT_COLUMNS; c++) {
		const kk_report_column_info *info = kk_report_column_describe((kk_report_column)c);
		int span = 1;

		if (info->year == 2) {
			kk_buf_printf(b, "<th rowspan=\"2\" scope=\"col\">%s</th>", info->label);
			continue;
		}
		if (c > 0 &&
		    kk_report_column_describe((kk_report_column)(c - 1))->year == info->year)
			continue;
		while (c + span < KK_REPORT_COLUMNS &&
		       kk_report_column_describe((kk_report_column)(c + span))->year == info->year)
			span++;
		kk_buf_printf(b, "<th colspan=\"%d\" scope=\"colgroup\">%s</th>", span,
			      kk_report_year_name(r, info->year));
	}
	kk_buf_puts(b, "</tr>\n<tr>");
	for (int c = 0; c < KK_REPORT_COLUMNS; c++) {
		const kk_report_column_info *info = kk_report_column_describe((kk_report_column)c);

		if (info->year != 2)
			kk_buf_printf(b, "<th scope=\"col\">%s</th>", info->label);
	}
	kk_buf_puts(b, "</tr>\n</thead>\n");
}

static void cell(kk_buf *b, const kk_report *r, kk_report_column c, const char *text, int changed,
		 size_t rowspan)
{
	const char *status = c == KK_REPORT_STATUS || c == KK_REPORT_PREV_ACHIEVEMENT
				     ? kk_achievement_from_label(text)
				     : NULL;

	kk_buf_puts(b, "<td");
	if (rowspan > 1)
		kk_buf_printf(b, " rowspan=\"%zu\"", rowspan);
	kk_buf_printf(b, " class=\"%s%s%s%s\" data-col=\"%s\" data-label=\"", column_class(c),
		      status ? " " : "", status ? status : "", changed ? " changed" : "",
		      kk_report_column_describe(c)->key);
	data_label(b, r, kk_report_column_describe(c));
	kk_buf_puts(b, "\"");
	if (changed) {
		kk_buf_puts(b, " title=\"");
		esc(b, r->since);
		kk_buf_puts(b, " 以降に変更\"");
	}
	kk_buf_puts(b, ">");
	cell_text(b, text);
	kk_buf_puts(b, "</td>");
}

static void section_table(kk_buf *b, const kk_report *r, const kk_report_pillar *p,
			  const kk_report_section *s)
{
	kk_buf_printf(b,
		      "<section class=\"section\" id=\"p%" JSON_INTEGER_FORMAT
		      "-s%" JSON_INTEGER_FORMAT "\">\n<h3%s>",
		      p->number, s->number, s->changed ? " class=\"changed\"" : "");
	esc(b, s->heading);
	kk_buf_puts(b, "</h3>\n<div class=\"scroll\">\n<table class=\"report\">\n");
	table_head(b, r);
	kk_buf_puts(b, "<tbody>\n");
	for (size_t i = 0; i < s->nmeasures; i++) {
		const kk_report_measure *m = &s->measures[i];

		for (size_t d = 0; d < m->nrows; d++) {
			const kk_report_row *row = &m->rows[d];

			kk_buf_printf(b, "<tr id=\"item-%" JSON_INTEGER_FORMAT "\"%s>", row->id,
				      row->added ? " class=\"added\"" : "");
			for (int c = 0; c < KK_REPORT_COLUMNS; c++) {
				int measure_cell =
					c == KK_REPORT_MEASURE || c == KK_REPORT_DESCRIPTION;

				if (!kk_report_shows(m, d, (kk_report_column)c))
					continue;
				cell(b, r, (kk_report_column)c, row->cells[c],
				     ((measure_cell ? m->changed : row->changed) & (1u << c)) != 0,
				     measure_cell ? m->nrows : 1);
			}
			kk_buf_puts(b, "</tr>\n");
		}
	}
	kk_buf_puts(b, "</tbody>\n</table>\n</div>\n</section>\n");
}

int kk_report_write_html(kk_buf *b, const kk_report *r, const kk_report_text_opts *opts,
			 kk_diag *diag)
{
	(void)diag;
	kk_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n"
		       "<meta name=\"viewport\" content=\"width=device-width, "
		       "initial-scale=1\">\n<meta name=\"generator\" content=\"keikaku\">\n"
		       "<title>");
	esc(b, r->title);
	kk_buf_printf(b, " %s 進捗状況</title>\n<style>\n%s</style>\n", kk_report_year_name(r, 0),
		      style);
	kk_buf_puts(b, opts->html_head ? opts->html_head : "");
	kk_buf_puts(b, "</head>\n<body>\n");
	kk_buf_puts(b, opts->html_body ? opts->html_body : "");

	kk_buf_puts(b, "<header>\n");
	if (r->organisation) {
		kk_buf_puts(b, "<p class=\"org\">");
		esc(b, r->organisation);
		kk_buf_puts(b, "</p>\n");
	}
	kk_buf_puts(b, "<h1>");
	esc(b, r->title);
	kk_buf_printf(b, "<span>%s 進捗状況</span></h1>\n</header>\n<main>\n",
		      kk_report_year_name(r, 0));

	kk_buf_printf(b,
		      "<section class=\"summary\" aria-labelledby=\"summary\">\n"
		      "<h2 id=\"summary\">進捗度の集計（%s）</h2>\n"
		      "<div class=\"overview\">\n<div class=\"chart\">\n",
		      kk_report_year_name(r, 0));
	chart(b, r);
	kk_buf_puts(b, "</div>\n<div class=\"side\">\n");
	counts_table(b, r);
	legend(b);
	kk_buf_puts(b, "</div>\n</div>\n");
	if (r->since) {
		kk_buf_puts(b, "<p class=\"changes\"><span class=\"changed\">変更</span> ");
		esc(b, r->since);
		kk_buf_printf(b, " 以降に変更された箇所（%zu）</p>\n", r->nchanged);
	}
	kk_buf_puts(b, "</section>\n");

	for (kk_report_cursor c = {0}; kk_report_next_section(&c, r);) {
		if (c.opens) {
			kk_buf_printf(b,
				      "<section class=\"pillar\" id=\"p%" JSON_INTEGER_FORMAT
				      "\">\n<h2%s>",
				      c.pillar->number,
				      c.pillar->changed ? " class=\"changed\"" : "");
			esc(b, c.pillar->heading);
			kk_buf_puts(b, "</h2>\n");
		}
		section_table(b, r, c.pillar, c.section);
		if (c.closes)
			kk_buf_puts(b, "</section>\n");
	}
	if (r->nremoved) {
		kk_buf_puts(b, "<section class=\"removed\">\n<h2>");
		esc(b, r->since);
		kk_buf_puts(b, " 以降に削除された項目</h2>\n<ul>\n");
		for (size_t i = 0; i < r->nremoved; i++) {
			kk_buf_printf(b, "<li>%" JSON_INTEGER_FORMAT " ", r->removed[i].id);
			esc(b, r->removed[i].title);
			kk_buf_puts(b, "</li>\n");
		}
		kk_buf_puts(b, "</ul>\n</section>\n");
	}
	kk_buf_puts(b, "</main>\n<footer>\n<p>keikaku report");
	if (r->commit)
		kk_buf_printf(b, " · commit %.12s", r->commit);
	if (r->since_commit) {
		kk_buf_puts(b, " · 比較: ");
		esc(b, r->since);
		kk_buf_printf(b, " (%.12s)", r->since_commit);
	}
	kk_buf_puts(b, "</p>\n</footer>\n</body>\n</html>\n");
	return 0;
}
