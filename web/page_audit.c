/*
 * page_audit.c - the audit pages, each one query of core/history/query.h
 * as `keikaku log`, `diff`, `schedule` and `pending` ask it, and the same
 * JSON: /log (the audit trail with the CLI's filters, newest first, a page
 * of commits at a time), /diff (two revisions in plan terms), /schedule
 * (the schedules whose revision differs from the plan) and /pending.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "page.h"
#include "plan.h"
#include "schedule.h"

/* A paragraph of `text`. */
static void para(kk_buf *b, const char *text)
{
	kk_buf_puts(b, "<p>");
	kw_html_escape(b, text);
	kk_buf_puts(b, "</p>\n");
}

/* One change of a log entry or a difference: "令和3年度 進捗度: ○ → ▲". */
static void change_line(kk_buf *b, const kw_view *v, const json_t *c, const char *path)
{
	const json_t *old = json_object_get(c, "old"), *new = json_object_get(c, "new");

	kk_buf_puts(b, "<li>");
	kw_html_field(b, path ? path : "?", v->settings);
	kk_buf_puts(b, ": ");
	if (old) {
		kk_buf_puts(b, "<del>");
		kw_html_value(b, path, old);
		kk_buf_puts(b, "</del>");
	}
	if (old && new)
		kk_buf_puts(b, " → ");
	if (new) {
		kk_buf_puts(b, "<ins>");
		kw_html_value(b, path, new);
		kk_buf_puts(b, "</ins>");
	}
	kk_buf_puts(b, "</li>\n");
}

static void item_link(kk_buf *b, const kw_view *v, const json_t *id, const char *title)
{
	kk_buf_printf(b, "<a href=\"/items/%lld", (long long)json_integer_value(id));
	kw_html_at(b, v, 1);
	kk_buf_printf(b, "\">%03lld ", (long long)json_integer_value(id));
	kw_html_escape(b, title ? title : "");
	kk_buf_puts(b, "</a>");
}

size_t kw_html_log(kk_buf *b, const kw_view *v, const json_t *entries, size_t skip, size_t max,
		   int with_item)
{
	const char *prev_commit = NULL, *prev_file = NULL;
	const json_t *e, *open = NULL;
	size_t commits = 0, i;

	if (json_array_size(entries) == 0) {
		para(b, _("no changes"));
		return 0;
	}
	json_array_foreach(entries, i, e) {
		const char *commit = json_string_value(json_object_get(e, "commit"));
		const char *file = json_string_value(json_object_get(e, "file"));
		const char *kind = json_string_value(json_object_get(e, "file_change"));
		int shown;

		if (!prev_commit || strcmp(commit, prev_commit) != 0) {
			commits++;
			prev_file = NULL;
			if (open)
				kk_buf_puts(b, "</ul>\n");
			open = NULL;
			if (commits > skip && commits - skip <= max) {
				kw_html_commit(b, e);
				kk_buf_puts(b, "<ul class=\"changes\">\n");
				open = e;
			}
		}
		prev_commit = commit;
		shown = open != NULL;
		if (!shown)
			continue;
		if (kind && strcmp(kind, "changed") != 0) {
			/* A new or removed file: one line, not one per field. */
			if (prev_file && file && strcmp(prev_file, file) == 0)
				continue;
			kk_buf_puts(b, "<li>");
			if (json_is_integer(json_object_get(e, "item")))
				item_link(b, v, json_object_get(e, "item"),
					  json_string_value(json_object_get(e, "title")));
			else
				kw_html_escape(b, file);
			kk_buf_puts(b, " (");
			kw_html_escape(b, strcmp(kind, "added") == 0 ? _("added") : _("removed"));
			kk_buf_puts(b, ")</li>\n");
		} else {
			if (with_item && json_is_integer(json_object_get(e, "item"))) {
				kk_buf_puts(b, "<li class=\"meta\">");
				item_link(b, v, json_object_get(e, "item"),
					  json_string_value(json_object_get(e, "title")));
				kk_buf_puts(b, "</li>\n");
			} else if (with_item && file) {
				kk_buf_puts(b, "<li class=\"meta\">");
				kw_html_escape(b, file);
				kk_buf_puts(b, "</li>\n");
			}
			change_line(b, v, e, json_string_value(json_object_get(e, "path")));
		}
		prev_file = file;
	}
	if (open)
		kk_buf_puts(b, "</ul>\n");
	return commits;
}

/* A GET form of text fields: each {URL name, label}. */
static void filter_form(kk_buf *b, const kw_view *v, const char *action, const char *const f[][2])
{
	kk_buf_printf(b, "<form class=\"filters\" method=\"get\" action=\"%s\">\n", action);
	for (size_t i = 0; f[i][0]; i++) {
		const char *value = kw_param_get(v->req, f[i][0]);

		kk_buf_puts(b, "<label>");
		kw_html_escape(b, _(f[i][1]));
		kk_buf_printf(b, " <input type=\"text\" name=\"%s\" value=\"", f[i][0]);
		kw_html_escape(b, value ? value : "");
		kk_buf_puts(b, "\"></label>\n");
	}
	kk_buf_puts(b, "<button type=\"submit\">");
	kw_html_escape(b, _("Show"));
	kk_buf_puts(b, "</button></form>\n");
}

/*
 * Without a filter, a page of the trail is a window of the first-parent chain from the
 * revision: "since" and "until" are the page's oldest and newest commits, so that a page
 * costs its own commits and not the whole history's.  Returns 1 with the bounds and *more
 * (older commits remain), or 0 when the chain is shorter than the page's start.
 */
static int log_window(char since[GIT_OID_HEXSZ + 1], char until[GIT_OID_HEXSZ + 1], int *more,
		      const kw_view *v, long page)
{
	size_t n = 0, skip = (size_t)(page - 1) * KW_LOG_PAGE;
	git_revwalk *walk = NULL;
	git_oid oid;
	int found = 0;

	*more = 0;
	if (git_revwalk_new(&walk, kk_store_repository(v->req->store)) < 0 ||
	    git_revwalk_push(walk, &v->commit) < 0)
		goto done;
	git_revwalk_simplify_first_parent(walk);
	while (git_revwalk_next(&oid, walk) == 0) {
		if (n == skip) {
			git_oid_tostr(until, GIT_OID_HEXSZ + 1, &oid);
			found = 1;
		}
		if (n >= skip)
			git_oid_tostr(since, GIT_OID_HEXSZ + 1, &oid);
		if (++n == skip + KW_LOG_PAGE) {
			*more = git_revwalk_next(&oid, walk) == 0;
			break;
		}
	}
done:
	git_revwalk_free(walk);
	return found;
}

void kw_page_log(kw_response *res, const kw_view *v)
{
	static const char *const map[][2] = {
		{"dept", "department"}, {"author", "author"}, {"field", "field"}, {"fy", "fy"},
		{"since", "since"},	{"until", "until"},   {"file", "file"},	  {NULL, NULL},
	};
	static const char *const names[][2] = {{"department", "dept"}, {"rev", "at"}, {NULL, NULL}};
	static const char *const form[][2] = {
		{"dept", N_("department")}, {"author", N_("author")},
		{"item", N_("item")},	    {"field", N_("field")},
		{"fy", N_("fiscal year")},  {"since", N_("since")},
		{"until", N_("until")},	    {NULL, NULL},
	};
	json_t *params = json_pack("{s:s}", "rev", v->commit_hex), *result = NULL;
	char since[GIT_OID_HEXSZ + 1], until[GIT_OID_HEXSZ + 1];
	long item = 0, page = 1;
	int windowed = 1, more = 0;
	size_t commits, skip;
	kk_buf *b;

	if (kw_param_get(v->req, "item") &&
	    kw_parse_number(&item, kw_param_get(v->req, "item"), KK_ITEM_ID_MAX) < 0) {
		json_decref(params);
		kw_bad_param(res, v->req, "item", _("expected an item number"));
		return;
	}
	if (kw_param_get(v->req, "page") &&
	    kw_parse_number(&page, kw_param_get(v->req, "page"), KW_MAX_PAGE) < 0) {
		json_decref(params);
		kw_bad_param(res, v->req, "page", _("expected a page number"));
		return;
	}
	for (size_t i = 0; params && map[i][0]; i++)
		if (kw_param_get(v->req, map[i][0]))
			json_object_set_new(params, map[i][1],
					    json_string(kw_param_get(v->req, map[i][0])));
	if (params && item)
		json_object_set_new(params, "item", json_integer(item));
	for (size_t i = 0; i < v->req->nparams; i++)
		windowed &= strcmp(v->req->params[i].name, "page") == 0 ||
			    strcmp(v->req->params[i].name, "at") == 0;
	if (windowed && params) {
		if (!log_window(since, until, &more, v, page)) {
			json_decref(params);
			kw_bad_param(res, v->req, "page", _("past the last page"));
			return;
		}
		json_object_set_new(params, "since", json_string(since));
		json_object_set_new(params, "until", json_string(until));
	} else if (params) {
		/* The commits up to this page's, and one more: is there an older page? */
		json_object_set_new(params, "max_commits",
				    json_integer((json_int_t)page * KW_LOG_PAGE + 1));
	}
	if (kw_query(&result, res, v, "history.log", params, names) < 0)
		return;
	skip = windowed ? 0 : (size_t)(page - 1) * KW_LOG_PAGE;
	if (v->req->json) {
		/* The page's commits only, in `keikaku log --json`'s document. */
		json_t *entries = json_object_get(result, "entries"), *kept = json_array(), *e;
		const char *prev = NULL;
		size_t i, n = 0;

		json_array_foreach(entries, i, e) {
			const char *c = json_string_value(json_object_get(e, "commit"));

			if (!prev || strcmp(prev, c) != 0)
				n++;
			prev = c;
			if (kept && n > skip && n <= skip + KW_LOG_PAGE)
				json_array_append(kept, e);
		}
		json_object_set_new(result, "entries", kept ? kept : json_array());
		kw_json_page(res, result);
		return;
	}
	b = kw_html_page(res, v, _("Changes"));
	filter_form(b, v, "/log", form);
	commits = kw_html_log(b, v, json_object_get(result, "entries"), skip, KW_LOG_PAGE, 1);
	kk_buf_puts(b, "<p class=\"pages\">");
	for (int dir = -1; dir <= 1; dir += 2) {
		long to = page + dir;

		if (to < 1 ||
		    (dir > 0 && (windowed ? !more : (size_t)page * KW_LOG_PAGE >= commits)))
			continue;
		kk_buf_printf(b, "<a href=\"/log?page=%ld", to);
		for (size_t i = 0; i < v->req->nparams; i++)
			if (strcmp(v->req->params[i].name, "page") != 0) {
				kk_buf_printf(b, "&amp;%s=", v->req->params[i].name);
				kw_url_escape(b, v->req->params[i].value);
			}
		kk_buf_puts(b, "\">");
		kw_html_escape(b, dir < 0 ? _("← newer") : _("older →"));
		kk_buf_puts(b, "</a>");
	}
	kk_buf_puts(b, "</p>\n");
	kw_html_end(b, v);
	json_decref(result);
}

static void diff_entry(kk_buf *b, const kw_view *v, const json_t *e, int is_item)
{
	const char *kind = json_string_value(json_object_get(e, "change"));
	const json_t *c;
	size_t i;

	kk_buf_puts(b, "<h2>");
	if (is_item)
		item_link(b, v, json_object_get(e, "id"),
			  json_string_value(json_object_get(e, "title")));
	else
		kw_html_escape(b, json_string_value(json_object_get(e, "path")));
	if (kind && strcmp(kind, "changed") != 0) {
		kk_buf_puts(b, " (");
		kw_html_escape(b, strcmp(kind, "added") == 0 ? _("added") : _("removed"));
		kk_buf_puts(b, ")");
	}
	kk_buf_puts(b, "</h2>\n<ul class=\"changes\">\n");
	json_array_foreach(json_object_get(e, "changes"), i, c)
		change_line(b, v, c, json_string_value(json_object_get(c, "path")));
	kk_buf_puts(b, "</ul>\n");
}

void kw_page_diff(kw_response *res, const kw_view *v)
{
	static const char *const form[][2] = {
		{"from", N_("from")},	   {"to", N_("to")}, {"item", N_("item")},
		{"fy", N_("fiscal year")}, {NULL, NULL},
	};
	const char *from = kw_param_get(v->req, "from"), *to = kw_param_get(v->req, "to");
	json_t *params = json_object(), *result = NULL, *e;
	char parent[GIT_OID_HEXSZ + 1];
	long item = 0;
	size_t i, shown = 0;
	kk_buf *b;

	if (kw_param_get(v->req, "item") &&
	    kw_parse_number(&item, kw_param_get(v->req, "item"), KK_ITEM_ID_MAX) < 0) {
		json_decref(params);
		kw_bad_param(res, v->req, "item", _("expected an item number"));
		return;
	}
	/* at=REV alone is that commit's own change; with from, the end of the difference. */
	if (!from && !to && v->at) {
		git_commit *commit = NULL;

		if (git_commit_lookup(&commit, kk_store_repository(v->req->store), &v->commit) ==
			    0 &&
		    git_commit_parentcount(commit) > 0)
			git_oid_tostr(parent, sizeof(parent), git_commit_parent_id(commit, 0));
		else
			memcpy(parent, v->commit_hex, sizeof(parent)); /* the first commit */
		git_commit_free(commit);
		from = parent;
	}
	if (!to && v->at)
		to = v->commit_hex;
	if (params && from)
		json_object_set_new(params, "from", json_string(from));
	if (params && to)
		json_object_set_new(params, "to", json_string(to));
	if (params && item)
		json_object_set_new(params, "item", json_integer(item));
	if (params && kw_param_get(v->req, "fy"))
		json_object_set_new(params, "fy", json_string(kw_param_get(v->req, "fy")));
	if (kw_query(&result, res, v, "plan.diff", params, NULL) < 0)
		return;
	if (v->req->json) {
		kw_json_page(res, result);
		return;
	}
	b = kw_html_page(res, v, _("Differences"));
	filter_form(b, v, "/diff", form);
	kk_buf_puts(b, "<p class=\"meta\">");
	kw_html_printf(b, _("from %.10s to %.10s"), kw_json_str(result, "from", "—"),
		       kw_json_str(result, "to", "—"));
	kk_buf_puts(b, "</p>\n");
	json_array_foreach(json_object_get(result, "files"), i, e)
		diff_entry(b, v, e, 0);
	json_array_foreach(json_object_get(result, "items"), i, e) {
		if (++shown > KW_DIFF_MAX) {
			kk_buf_puts(b, "<p>");
			kw_html_printf(b, _("and %zu more items (ask for JSON for all of them)"),
				       json_array_size(json_object_get(result, "items")) -
					       KW_DIFF_MAX);
			kk_buf_puts(b, "</p>\n");
			break;
		}
		diff_entry(b, v, e, 1);
	}
	if (!json_array_size(json_object_get(result, "files")) &&
	    !json_array_size(json_object_get(result, "items"))) {
		para(b, _("no changes"));
	}
	kw_html_end(b, v);
	json_decref(result);
}

void kw_page_schedule(kw_response *res, const kw_view *v)
{
	const char *all = kw_param_get(v->req, "all");
	static const char *const names[][2] = {{"rev", "at"}, {NULL, NULL}};
	json_t *params, *result = NULL;
	const json_t *item, *y;
	size_t i, j;
	kk_buf *b;

	if (all && strcmp(all, "1") != 0) {
		kw_bad_param(res, v->req, "all", _("expected 1"));
		return;
	}
	params = json_pack("{s:s, s:b}", "rev", v->commit_hex, "changed", !all);
	if (params && kw_param_get(v->req, "fy"))
		json_object_set_new(params, "fy", json_string(kw_param_get(v->req, "fy")));
	if (kw_query(&result, res, v, "plan.schedule", params, names) < 0)
		return;
	if (v->req->json) {
		kw_json_page(res, result);
		return;
	}
	b = kw_html_page(res, v, all ? _("Schedules") : _("Schedules that changed"));
	kk_buf_puts(b, "<div class=\"scroll\"><table class=\"schedule\">\n<tr><th>");
	kw_html_escape(b, _("item"));
	kk_buf_puts(b, "</th><th>");
	kw_html_escape(b, _("year"));
	kk_buf_puts(b, "</th><th>計画スケジュール</th><th>変更スケジュール</th><th>");
	kw_html_escape(b, _("verdict"));
	kk_buf_puts(b, "</th><th>");
	kw_html_escape(b, _("revised by"));
	kk_buf_puts(b, "</th></tr>\n");
	json_array_foreach(json_object_get(result, "items"), i, item) {
		json_array_foreach(json_object_get(item, "years"), j, y) {
			const char *verdict = json_string_value(json_object_get(y, "verdict"));
			const json_t *by = json_object_get(y, "revised_by");
			char name[KK_FY_NAME_MAX];

			kk_fy_format(name, sizeof(name), v->settings,
				     atoi(kw_json_str(y, "year", "0")));
			kk_buf_puts(b, "<tr><td>");
			item_link(b, v, json_object_get(item, "id"),
				  json_string_value(json_object_get(item, "title")));
			kk_buf_puts(b, "</td><td>");
			kw_html_escape(b, name);
			kk_buf_puts(b, "</td><td>");
			kw_html_value(b, "planned", json_object_get(y, "planned"));
			kk_buf_puts(b, "</td><td>");
			kw_html_value(b, "revised", json_object_get(y, "revised"));
			kk_buf_puts(b, "</td><td class=\"");
			kw_html_escape(b, verdict ? verdict : "");
			kk_buf_puts(b, "\">");
			kw_html_escape(b, kk_schedule_verdict_text(verdict));
			kk_buf_puts(b, "</td><td>");
			if (json_is_object(by))
				kw_html_commit(b, by);
			kk_buf_puts(b, "</td></tr>\n");
		}
	}
	kk_buf_puts(b, "</table></div>\n");
	if (!json_array_size(json_object_get(result, "items"))) {
		para(b, _("no schedules"));
	}
	kw_html_end(b, v);
	json_decref(result);
}

void kw_page_pending(kw_response *res, const kw_view *v)
{
	static const char *const names[][2] = {{"rev", "at"}, {NULL, NULL}};
	const char *fy = kw_param_get(v->req, "fy");
	json_t *params = json_pack("{s:s}", "rev", v->commit_hex), *result = NULL;
	const json_t *d, *item;
	char year[16], name[KK_FY_NAME_MAX];
	size_t i, j;
	kk_buf *b;

	snprintf(year, sizeof(year), "%d", kw_default_year(v->settings));
	if (!fy && !kw_default_year(v->settings)) {
		json_decref(params);
		kw_error_page(res, v->req, 500,
			      _("the repository holds no valid plan: keikaku.json names no fiscal "
				"year"));
		return;
	}
	if (params)
		json_object_set_new(params, "fy", json_string(fy ? fy : year));
	if (params && kw_param_get(v->req, "since"))
		json_object_set_new(params, "since", json_string(kw_param_get(v->req, "since")));
	if (kw_query(&result, res, v, "plan.pending", params, names) < 0)
		return;
	if (v->req->json) {
		kw_json_page(res, result);
		return;
	}
	kk_fy_format(name, sizeof(name), v->settings, atoi(kw_json_str(result, "year", "0")));
	b = kw_html_page(res, v, _("Pending items"));
	kk_buf_puts(b, "<p>");
	kw_html_printf(b, _("%s: not updated by their owners since %.16s"), name,
		       kw_json_str(result, "since", "?"));
	kk_buf_puts(b, "</p>\n");
	json_array_foreach(json_object_get(result, "departments"), i, d) {
		kk_buf_puts(b, "<h2>");
		kw_html_escape(b, json_string_value(json_object_get(d, "name")));
		kk_buf_printf(b, " (%zu)</h2>\n<ul>\n",
			      json_array_size(json_object_get(d, "items")));
		json_array_foreach(json_object_get(d, "items"), j, item) {
			const char *when = json_string_value(
				json_object_get(json_object_get(item, "last_update"), "time"));

			kk_buf_puts(b, "<li>");
			item_link(b, v, json_object_get(item, "id"),
				  json_string_value(json_object_get(item, "title")));
			kk_buf_puts(b, " <span class=\"meta\">");
			if (when)
				kw_html_printf(b, _("last updated %.10s"), when);
			else
				kw_html_escape(b, _("never updated"));
			kk_buf_puts(b, "</span></li>\n");
		}
		kk_buf_puts(b, "</ul>\n");
	}
	if (!json_array_size(json_object_get(result, "departments"))) {
		para(b, _("nothing pending"));
	}
	kw_html_end(b, v);
	json_decref(result);
}
