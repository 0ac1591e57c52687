/*
 * page_item.c - /items/ID: an item with its fields, its fiscal years
 * planned against revised with the verdict, each field's last change
 * (history.blame) and its whole history (history.log).
 *
 * As JSON, an item is {"commit", "item": the stored file (keikaku show
 * --json), "blame": keikaku blame --json, "log": keikaku log --item --json}.
 */
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "page.h"
#include "plan.h"
#include "query.h"
#include "schedule.h"

static void cell(kk_buf *b, const char *path, const json_t *value)
{
	kk_buf_puts(b, "<td>");
	kw_html_value(b, path, value);
	kk_buf_puts(b, "</td>");
}

static void years_table(kk_buf *b, const kw_view *v, const json_t *item)
{
	const json_t *phases = json_object_get(v->settings, "phases"), *year;
	const char *key;

	kk_buf_puts(b, "<h2>");
	kw_html_escape(b, _("Fiscal years"));
	kk_buf_puts(b, "</h2>\n<div class=\"scroll\"><table class=\"years\">\n<tr><th>");
	kw_html_escape(b, _("year"));
	kk_buf_puts(b, "</th><th>計画スケジュール</th><th>変更スケジュール</th><th>");
	kw_html_escape(b, _("verdict"));
	kk_buf_puts(b, "</th><th>進捗度</th><th>達成度</th><th>取組内容または結果</th></tr>\n");
	json_object_foreach((json_t *)json_object_get(item, "years"), key, year) {
		const char *planned = json_string_value(json_object_get(year, "planned"));
		const char *revised = json_string_value(json_object_get(year, "revised"));
		const char *verdict = kk_schedule_verdict(phases, planned, revised);
		char name[KK_FY_NAME_MAX];

		kk_fy_format(name, sizeof(name), v->settings, atoi(key));
		kk_buf_puts(b, "<tr><th>");
		kw_html_escape(b, name);
		kk_buf_puts(b, "</th>");
		cell(b, "planned", json_object_get(year, "planned"));
		cell(b, "revised", json_object_get(year, "revised"));
		kk_buf_printf(b, "<td class=\"%s\">", verdict);
		kw_html_escape(b, kk_schedule_verdict_text(verdict));
		kk_buf_puts(b, "</td>");
		cell(b, "progress", json_object_get(year, "progress"));
		cell(b, "achievement", json_object_get(year, "achievement"));
		kk_buf_puts(b, "<td class=\"text\">");
		kw_html_value(b, "result", json_object_get(year, "result"));
		kk_buf_puts(b, "</td></tr>\n");
	}
	kk_buf_puts(b, "</table></div>\n");
}

/* Each field's value and last change, as history.blame gives them. */
static void blame_table(kk_buf *b, const kw_view *v, const json_t *blame)
{
	const json_t *f;
	size_t i;

	kk_buf_puts(b, "<h2>");
	kw_html_escape(b, _("Fields and their last change"));
	kk_buf_puts(b, "</h2>\n<div class=\"scroll\"><table class=\"blame\">\n<tr><th>");
	kw_html_escape(b, _("field"));
	kk_buf_puts(b, "</th><th>");
	kw_html_escape(b, _("value"));
	kk_buf_puts(b, "</th><th>");
	kw_html_escape(b, _("last change"));
	kk_buf_puts(b, "</th></tr>\n");
	json_array_foreach(json_object_get(blame, "fields"), i, f) {
		const char *path = json_string_value(json_object_get(f, "path"));

		kk_buf_puts(b, "<tr><th>");
		kw_html_field(b, path ? path : "?", v->settings);
		kk_buf_puts(b, "</th><td class=\"text\">");
		kw_html_value(b, path, json_object_get(f, "value"));
		kk_buf_puts(b, "</td><td>");
		kw_html_commit(b, f);
		kk_buf_puts(b, "</td></tr>\n");
	}
	kk_buf_puts(b, "</table></div>\n");
}

/* The item's place in the plan: "1. pillar › (2) section › ③ measure". */
static void place(kk_buf *b, const kw_view *v, const json_t *item)
{
	kk_query_env env = kw_query_env(v);
	json_t *structure = NULL;
	char circled[16];
	json_int_t p = json_integer_value(json_object_get(item, "pillar"));
	json_int_t s = json_integer_value(json_object_get(item, "section"));
	json_int_t m = json_integer_value(json_object_get(item, "measure"));

	/* Through the history index: a version of plan.json is parsed once, not per page. */
	kk_query_document(&structure, v->req->store, &v->commit, KK_PATH_STRUCTURE, &env, NULL);
	kk_circled_number(circled, sizeof(circled), m);
	kk_buf_puts(b, "<p class=\"meta\">");
	kw_html_printf(b, "%lld. ", (long long)p);
	kw_html_escape(b, kw_json_str(kk_plan_pillar(structure, p), "title", NULL));
	kw_html_printf(b, " › (%lld) ", (long long)s);
	kw_html_escape(b, kw_json_str(kk_plan_section(structure, p, s), "title", NULL));
	kk_buf_puts(b, " › ");
	kw_html_escape(b, circled);
	kk_buf_puts(b, " ");
	kw_html_escape(b, kw_json_str(kk_plan_measure(structure, p, s, m), "title", NULL));
	kk_buf_puts(b, "</p>\n");
	json_decref(structure);
}

void kw_page_item(kw_response *res, const kw_view *v, const char *arg)
{
	const kw_request *req = v->req;
	const char *const names[][2] = {{"rev", "at"}, {"id", "item"}, {NULL, NULL}};
	json_t *item = NULL, *blame = NULL, *log = NULL;
	kk_query_env env = kw_query_env(v);
	char path[KK_ITEM_PATH_MAX], title[512], message[256];
	long id;
	kk_diag diag = {0};
	kk_buf *b;

	/*
	 * An item's page has one address, /items/26: "0026", as its file is named, is a 400
	 * naming that address rather than a second copy of the page.
	 */
	if (arg[0] == '0' && arg[strspn(arg, "0")] && strlen(arg) <= 9 &&
	    strspn(arg, "0123456789") == strlen(arg)) {
		snprintf(message, sizeof(message),
			 _("item '%s' is written without leading zeros: /items/%s"), arg,
			 arg + strspn(arg, "0"));
		kw_error_page(res, req, 400, message);
		return;
	}
	if (kw_parse_number(&id, arg, KK_ITEM_ID_MAX) < 0) {
		kw_error_page(res, req, 404, _("no such page"));
		return;
	}
	kk_item_path(path, sizeof(path), id);
	if (kk_query_document(&item, req->store, &v->commit, path, &env, &diag) < 0) {
		snprintf(message, sizeof(message), _("item %lld does not exist"), (long long)id);
		if (diag.code == KK_ENOTFOUND) {
			kw_error_page(res, req, 404, message);
			goto done;
		}
		if (!diag.path[0]) /* the item's file is the repository's, whatever is wrong */
			kk_diag_set_path(&diag, path);
		kw_query_error(res, req, diag.code, &diag);
		goto done;
	}
	if (kw_query(&blame, res, v, "history.blame",
		     json_pack("{s:I, s:s}", "id", (json_int_t)id, "rev", v->commit_hex),
		     names) < 0 ||
	    kw_query(&log, res, v, "history.log",
		     json_pack("{s:I, s:s}", "item", (json_int_t)id, "rev", v->commit_hex),
		     names) < 0)
		goto done;
	if (req->json) {
		kw_json_page(res, json_pack("{s:s, s:O, s:O, s:O}", "commit", v->commit_hex, "item",
					    item, "blame", blame, "log", log));
		goto done;
	}
	snprintf(title, sizeof(title), "%03ld %s", id, kw_json_str(item, "title", ""));
	b = kw_html_page(res, v, title);
	place(b, v, item);
	years_table(b, v, item);
	blame_table(b, v, blame);
	kk_buf_puts(b, "<h2>");
	kw_html_escape(b, _("History"));
	kk_buf_puts(b, "</h2>\n");
	kw_html_log(b, v, json_object_get(log, "entries"), 0, (size_t)-1, 0);
	kw_html_end(b, v);
done:
	json_decref(item);
	json_decref(blame);
	json_decref(log);
}
