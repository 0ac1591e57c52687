/*
 * html.c - the pages' HTML: escaping, the layout every page shares (its
 * style sheet compiled in, the navigation, the footer naming the commit),
 * commits, fields and values in plan terms, error and JSON pages.
 *
 * Everything that comes from the repository or the request goes through
 * kw_html_escape() or kw_url_escape(); nothing else writes it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "page.h"
#include "plan.h"

/* Plain CSS: phones (tables scroll sideways, no fixed widths), print (no navigation). */
const char kw_style[] =
	":root{color-scheme:light}\n"
	"body{font-family:\"Noto Sans CJK JP\",\"Hiragino Sans\",\"Yu Gothic\",sans-serif;"
	"margin:0;color:#1a1a1a;background:#fff;line-height:1.55}\n"
	"main{padding:0 1rem 2rem;max-width:72rem}\n"
	"nav.kw{background:#1f3a5f;padding:.4rem 1rem;display:flex;flex-wrap:wrap;gap:.2rem 1.2rem}\n"
	"nav.kw a{color:#fff;text-decoration:none;font-size:.95rem}\n"
	"nav.kw a:hover,nav.kw a:focus{text-decoration:underline}\n"
	"h1{font-size:1.35rem;margin:1rem 0 .5rem}h2{font-size:1.1rem;margin:1.5rem 0 .4rem;"
	"border-bottom:1px solid #ccd}\n"
	".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}\n"
	"table{border-collapse:collapse;margin:.3rem 0 1rem;font-size:.92rem}\n"
	"th,td{border:1px solid #bbc;padding:.25rem .45rem;vertical-align:top;text-align:left}\n"
	"th{background:#eef1f6;font-weight:600}\n"
	".meta{color:#555;font-size:.85rem}\n"
	".commit{margin:.8rem 0 .2rem;font-size:.92rem}\n"
	".reason{margin:.1rem 0 .4rem 1.2rem;white-space:pre-wrap}\n"
	"ul.changes{margin:.1rem 0 .2rem;padding-left:1.6rem}\n"
	"del{background:#fde2e2;text-decoration:line-through}ins{background:#dcf5dc;"
	"text-decoration:none}\n"
	".slipped{color:#a40000;font-weight:600}.advanced{color:#1d6b1d}\n"
	".text{white-space:pre-wrap}\n"
	"form.filters{display:flex;flex-wrap:wrap;gap:.4rem .8rem;align-items:end;margin:.6rem 0}\n"
	"form.filters label{display:flex;flex-direction:column;font-size:.85rem}\n"
	"form.filters input{font:inherit;padding:.2rem;max-width:11rem}\n"
	".pages{margin:1rem 0}.pages a{margin-right:1rem}\n"
	"footer{padding:.6rem 1rem;color:#555;font-size:.8rem;border-top:1px solid #ccd}\n"
	"code{font-family:ui-monospace,monospace;font-size:.9em}\n"
	"@media (max-width:40rem){main{padding:0 .5rem 1rem}table{font-size:.85rem}}\n"
	"@media print{nav.kw,form.filters,.pages{display:none}main{max-width:none}"
	"a{color:inherit;text-decoration:none}.scroll{overflow:visible}"
	"tr,.commit{page-break-inside:avoid}}\n";

void kw_html_escape(kk_buf *b, const char *s)
{
	const char *run = s;

	for (; s && *s; s++) {
		const char *rep;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		kk_buf_put(b, run, (size_t)(s - run));
		kk_buf_puts(b, rep);
		run = s + 1;
	}
	if (run)
		kk_buf_puts(b, run);
}

void kw_html_printf(kk_buf *b, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	kw_html_escape(b, text);
	free(text);
}

void kw_url_escape(kk_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			kk_buf_put(b, s, 1);
		} else {
			char esc[3] = {'%', hex[c >> 4], hex[c & 15]};

			kk_buf_put(b, esc, 3);
		}
	}
}

void kw_html_at(kk_buf *b, const kw_view *v, int first)
{
	if (!v->at)
		return;
	kk_buf_puts(b, first ? "?at=" : "&amp;at=");
	kw_url_escape(b, v->at);
}

void kw_html_nav(kk_buf *b, const kw_view *v)
{
	int year = kw_default_year(v->settings);

	kk_buf_puts(b, "<nav class=\"kw\"><a href=\"/");
	kw_html_at(b, v, 1);
	kk_buf_printf(b, "\">");
	kw_html_escape(b, _("Report"));
	kk_buf_puts(b, "</a><a href=\"/log");
	kw_html_at(b, v, 1);
	kk_buf_puts(b, "\">");
	kw_html_escape(b, _("Changes"));
	kk_buf_puts(b, "</a><a href=\"/schedule");
	kw_html_at(b, v, 1);
	kk_buf_puts(b, "\">");
	kw_html_escape(b, _("Schedules"));
	kk_buf_printf(b, "</a><a href=\"/pending?fy=%d", year);
	kw_html_at(b, v, 0);
	kk_buf_puts(b, "\">");
	kw_html_escape(b, _("Pending"));
	kk_buf_puts(b, "</a><a href=\"/diff");
	kw_html_at(b, v, 1);
	kk_buf_puts(b, "\">");
	kw_html_escape(b, _("Differences"));
	kk_buf_puts(b, "</a></nav>\n");
}

void kw_html_begin(kk_buf *b, const kw_view *v, const char *title)
{
	const char *plan = json_string_value(json_object_get(v->settings, "title"));

	kk_buf_printf(b,
		      "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		      "<meta name=\"generator\" content=\"keikaku\">\n<title>",
		      v->req->english ? "en" : "ja");
	kw_html_escape(b, title);
	if (plan) {
		kk_buf_puts(b, " — ");
		kw_html_escape(b, plan);
	}
	kk_buf_printf(b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", kw_style);
	kw_html_nav(b, v);
	kk_buf_puts(b, "<main>\n<h1>");
	kw_html_escape(b, title);
	kk_buf_puts(b, "</h1>\n");
}

kk_buf *kw_html_page(kw_response *res, const kw_view *v, const char *title)
{
	res->status = 200;
	res->type = "text/html; charset=utf-8";
	kw_html_begin(&res->body, v, title);
	return &res->body;
}

const char *kw_json_str(const json_t *obj, const char *key, const char *fallback)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : fallback;
}

void kw_html_end(kk_buf *b, const kw_view *v)
{
	kk_buf_puts(b, "</main>\n<footer>");
	if (v->commit_hex[0]) {
		kw_html_printf(b, _("As of commit %.10s"), v->commit_hex);
		if (v->at) {
			kk_buf_puts(b, " (");
			kw_html_escape(b, v->at);
			kk_buf_puts(b, ")");
		}
		kk_buf_puts(b, " · ");
	}
	kw_html_escape(b, _("keikaku serve: a read-only view"));
	kk_buf_puts(b, "</footer>\n</body>\n</html>\n");
}

void kw_html_commit(kk_buf *b, const json_t *info)
{
	const char *commit = json_string_value(json_object_get(info, "commit"));
	const char *time = json_string_value(json_object_get(info, "time"));
	const char *name =
		json_string_value(json_object_get(json_object_get(info, "author"), "name"));
	const char *dept = json_string_value(json_object_get(info, "department"));
	const char *reason = json_string_value(json_object_get(info, "reason"));
	const char *summary = json_string_value(json_object_get(info, "summary"));

	kk_buf_puts(b, "<div class=\"commit\"><time>");
	kk_buf_printf(b, "%.10s %.5s", time ? time : "?",
		      time && strlen(time) > 11 ? time + 11 : "");
	kk_buf_puts(b, "</time> <strong class=\"author\">");
	kw_html_escape(b, name ? name : "?");
	kk_buf_puts(b, "</strong>");
	if (dept) {
		kk_buf_puts(b, " (<span class=\"dept\">");
		kw_html_escape(b, dept);
		kk_buf_puts(b, "</span>)");
	}
	if (json_is_true(json_object_get(info, "correction"))) {
		kk_buf_puts(b, " [");
		kw_html_escape(b, _("correction"));
		kk_buf_puts(b, "]");
	}
	if (commit) {
		kk_buf_puts(b, " <a class=\"meta\" href=\"/diff?at=");
		kw_url_escape(b, commit);
		kk_buf_printf(b, "\"><code>%.10s</code></a>", commit);
	}
	kk_buf_puts(b, "</div>\n");
	if (reason || summary) {
		kk_buf_puts(b, "<div class=\"reason\">");
		if (reason) {
			kw_html_escape(b, _("reason: "));
			kw_html_escape(b, reason);
		} else {
			kk_buf_puts(b, "<span class=\"meta\">");
			kw_html_escape(b, summary);
			kk_buf_puts(b, "</span>");
		}
		kk_buf_puts(b, "</div>\n");
	}
}

void kw_html_field(kk_buf *b, const char *path, const json_t *settings)
{
	const char *label;

	if (strncmp(path, "years.", 6) == 0 && path[6]) {
		const char *rest = strchr(path + 6, '.');
		char name[KK_FY_NAME_MAX];

		kk_fy_format(name, sizeof(name), settings, atoi(path + 6));
		kw_html_escape(b, name);
		if (!rest)
			return;
		kk_buf_puts(b, " ");
		path = rest + 1;
	}
	label = kk_field_label(path);
	kw_html_escape(b, label ? label : path);
}

void kw_html_value(kk_buf *b, const char *path, const json_t *v)
{
	const char *field = path ? strrchr(path, '.') : NULL;
	const char *s = json_string_value(v), *shown = NULL;
	const json_t *e;
	size_t i;
	char *dump;

	field = field ? field + 1 : path ? path : "";
	if (!v || json_is_null(v) || (json_is_array(v) && !json_array_size(v))) {
		kk_buf_puts(b, "<span class=\"meta\">");
		kw_html_escape(b, _("(none)"));
		kk_buf_puts(b, "</span>");
		return;
	}
	if (s) {
		if (strcmp(field, "progress") == 0)
			shown = kk_progress_mark(s);
		else if (strcmp(field, "achievement") == 0 || strcmp(field, "status") == 0)
			shown = kk_achievement_label(s);
		kw_html_escape(b, shown ? shown : s);
		return;
	}
	if (json_is_array(v)) {
		int strings = 1;

		json_array_foreach(v, i, e)
			strings &= json_is_string(e);
		if (strings) {
			json_array_foreach(v, i, e) {
				if (i)
					kk_buf_puts(b, "、");
				kw_html_escape(b, json_string_value(e));
			}
			return;
		}
	}
	if ((dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER))) {
		kw_html_escape(b, dump);
		free(dump);
	} else {
		b->failed = 1;
	}
}

void kw_error_page(kw_response *res, const kw_request *req, int status, const char *message)
{
	kw_view v = {.req = req};
	const char *title = status == 404   ? _("Not found")
			    : status == 400 ? _("Bad request")
			    : status == 503 ? _("Busy")
					    : _("Server error");

	kk_buf_clear(&res->body);
	res->status = status;
	if (req->json) {
		json_t *doc =
			json_pack("{s:{s:i, s:s}}", "error", "status", status, "message", message);

		res->type = "application/json";
		if (doc) {
			char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

			kk_buf_puts(&res->body, text ? text : "{}");
			kk_buf_puts(&res->body, "\n");
			free(text);
			json_decref(doc);
		}
		return;
	}
	res->type = "text/html; charset=utf-8";
	kw_html_begin(&res->body, &v, title);
	kk_buf_puts(&res->body, "<p class=\"error\">");
	kw_html_escape(&res->body, message);
	kk_buf_puts(&res->body, "</p>\n");
	kw_html_end(&res->body, &v);
}

void kw_busy_page(kw_response *res, const kw_request *req)
{
	kw_error_page(res, req, 503,
		      _("too many costly pages are being made: try again in a minute, or narrow "
			"the query (an item, a department, since and until, a fiscal year)"));
}

void kw_query_error(kw_response *res, const kw_request *req, int error, const kk_diag *diag)
{
	char text[KK_DIAG_PATH_MAX + KK_DIAG_MESSAGE_MAX + 256];

	switch (error) {
	case KK_ENOTFOUND: kw_error_page(res, req, 404, diag->message); break;
	case KK_EINVALID:
		if (!diag->path[0]) {
			kw_error_page(res, req, 400, diag->message);
			break;
		}
		snprintf(text, sizeof(text), _("the repository holds no valid plan: %s: %s"),
			 diag->path, diag->message);
		kw_error_page(res, req, 500, text);
		break;
	case KK_ETIMEOUT:
		snprintf(text, sizeof(text), "%s: %s", diag->message,
			 _("narrow the query (an item, a department, since and until, a fiscal "
			   "year), or try again when the server is less busy"));
		kw_error_page(res, req, 503, text);
		break;
	default: kw_error_page(res, req, 500, diag->message);
	}
}

void kw_json_page(kw_response *res, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL, *page;
	size_t len = text ? strlen(text) : 0;

	json_decref(doc);
	kk_buf_clear(&res->body);
	res->status = 200;
	res->type = "application/json";
	/* The text is the page's, with its newline: not copied (a report's is 20 MB). */
	if (!text || !(page = realloc(text, len + 2))) {
		free(text);
		res->body.failed = 1;
		return;
	}
	memcpy(page + len, "\n", 2);
	res->body.data = page;
	res->body.len = len + 1;
	res->body.alloc = len + 2;
}
