/*
 * page.c - from a request to its page: the route, every parameter checked
 * against the route's own list (a bad one is a 400 page naming it), the
 * revision asked for resolved, and the queries run on the worker's
 * repository handle with their errors turned into 400 and 404 pages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "i18n.h"
#include "page.h"
#include "plan.h"
#include "query.h"
#include "revision.h"

/*
 * A route: its path (a prefix when it ends in '/'), its page, the parameters it takes, and
 * whether a request of it is costly (kw_page_costly()).
 */
typedef struct route {
	const char *path;
	int has_arg; /* the rest of the path is the page's argument */
	void (*page)(kw_response *res, const kw_view *v, const char *arg);
	const char *params[12];
	int (*costly)(const kw_request *req); /* NULL: never */
} route;

static void page_root(kw_response *res, const kw_view *v, const char *arg)
{
	kw_page_report(res, v, NULL);
}

static void page_report(kw_response *res, const kw_view *v, const char *arg)
{
	kw_page_report(res, v, arg);
}

static void page_item(kw_response *res, const kw_view *v, const char *arg)
{
	kw_page_item(res, v, arg);
}

#define NOARG(fn)                                                                                  \
	static void fn##_route(kw_response *res, const kw_view *v, const char *arg)                \
	{                                                                                          \
		fn(res, v);                                                                        \
	}
NOARG(kw_page_log)
NOARG(kw_page_diff)
NOARG(kw_page_schedule)
NOARG(kw_page_pending)

/* The report (every item of the plan), schedules and pending items (every item's history). */
static int always(const kw_request *req)
{
	return 1;
}

/*
 * The trail: one item's is short, and so is a page of the whole chain without a filter
 * (a window of 50 commits) unless it is deep in it; any other filter reads the history.
 */
static int log_costly(const kw_request *req)
{
	const char *page = kw_param_get(req, "page");

	if (kw_param_get(req, "item"))
		return 0;
	for (size_t i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].name, "page") != 0 &&
		    strcmp(req->params[i].name, "at") != 0)
			return 1;
	return page && strlen(page) > 2; /* from page 100 on, thousands of commits walked */
}

/* A commit's own change (`at` alone), or one item's, is small; two revisions apart are not. */
static int diff_costly(const kw_request *req)
{
	return (kw_param_get(req, "from") || kw_param_get(req, "to")) && !kw_param_get(req, "item");
}

static const route routes[] = {
	{"/", 0, page_root, {"at", NULL}, always},
	{"/report/", 1, page_report, {"at", NULL}, always},
	{"/items/", 1, page_item, {"at", NULL}, NULL},
	{"/log",
	 0,
	 kw_page_log_route,
	 {"dept", "item", "author", "field", "fy", "since", "until", "file", "page", "at", NULL},
	 log_costly},
	{"/diff", 0, kw_page_diff_route, {"from", "to", "item", "fy", "at", NULL}, diff_costly},
	{"/schedule", 0, kw_page_schedule_route, {"fy", "all", "at", NULL}, always},
	{"/pending", 0, kw_page_pending_route, {"fy", "since", "at", NULL}, always},
};

const char *kw_param_get(const kw_request *req, const char *name)
{
	for (size_t i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].name, name) == 0)
			return req->params[i].value;
	return NULL;
}

/*
 * True when `s` is UTF-8 without control characters, the bidirectional ones included
 * (U+200E/F, U+202A-E, U+2066-9): escaped they inject nothing, but shown in a page's
 * message they can turn the text around it back to front.
 */
static int clean_text(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_ssize_t len = (utf8proc_ssize_t)strlen(s), n;
	utf8proc_int32_t c;

	while (len > 0) {
		if ((n = utf8proc_iterate(p, len, &c)) <= 0 || c < 0x20 || c == 0x7f ||
		    (c >= 0x80 && c < 0xa0) || c == 0x061c || c == 0x200e || c == 0x200f ||
		    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
			return 0;
		p += n;
		len -= n;
	}
	return 1;
}

/*
 * `why` without the "invalid parameter 'NAME': " it opens with when a query said it (core
 * names its own parameter so; the page names the URL's): in the language of the page,
 * which is the query's.
 */
static const char *param_reason(const char *why)
{
	char pattern[256];
	const char *mark, *tail;

	/* The prefix with "\x1f" for the name: what comes before and after it. */
	snprintf(pattern, sizeof(pattern), _("invalid parameter '%s': %s"), "\x1f", "");
	if (!(mark = strchr(pattern, '\x1f')) || strncmp(why, pattern, (size_t)(mark - pattern)))
		return why;
	tail = strstr(why + (mark - pattern), mark + 1);
	return tail && tail[strlen(mark + 1)] ? tail + strlen(mark + 1) : why;
}

void kw_bad_param(kw_response *res, const kw_request *req, const char *name, const char *why)
{
	char message[KK_DIAG_MESSAGE_MAX + 128];

	snprintf(message, sizeof(message), _("invalid parameter '%s': %s"), name,
		 param_reason(why));
	kw_error_page(res, req, 400, message);
}

int kw_parse_number(long *out, const char *text, long max)
{
	long n;

	/* As the server writes it, so that one page has one address: no "026". */
	if (!text || !*text || text[0] == '0' || strlen(text) > 9 ||
	    strspn(text, "0123456789") != strlen(text))
		return -1;
	n = strtol(text, NULL, 10);
	if (n < 1 || n > max)
		return -1;
	*out = n;
	return 0;
}

/* Checks the request's parameters against the route's; returns 0 or fills `res`. */
static int check_params(kw_response *res, const kw_request *req, const route *r)
{
	for (size_t i = 0; i < req->nparams; i++) {
		const kw_param *p = &req->params[i];
		int known = 0;

		for (size_t k = 0; r->params[k] && !known; k++)
			known = strcmp(p->name, r->params[k]) == 0;
		if (!known || !clean_text(p->name)) {
			kw_bad_param(res, req, clean_text(p->name) ? p->name : "?",
				     _("this page takes no such parameter"));
			return -1;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(req->params[k].name, p->name) == 0) {
				kw_bad_param(res, req, p->name, _("given more than once"));
				return -1;
			}
		if (strlen(p->value) > KW_MAX_VALUE) {
			kw_bad_param(res, req, p->name, _("too long"));
			return -1;
		}
		if (!p->value[0] || !clean_text(p->value)) {
			kw_bad_param(res, req, p->name,
				     p->value[0] ? _("not text") : _("expected a value"));
			return -1;
		}
	}
	return 0;
}

int kw_default_year(const json_t *settings)
{
	const json_t *years = json_object_get(settings, "years"), *state;
	const char *key;
	int first_open = 0, last = 0;

	json_object_foreach((json_t *)years, key, state) {
		int y = atoi(key);

		if (!first_open && json_is_string(state) &&
		    strcmp(json_string_value(state), "open") == 0)
			first_open = y;
		if (y > last)
			last = y;
	}
	return first_open ? first_open : last;
}

/* Resolves the revision asked for into `v`; returns 0 or fills `res`. */
static int resolve(kw_view *v, kw_response *res)
{
	kk_query_env env = kw_query_env(v);
	kk_diag diag = {0};
	int error;

	if (!v->at) {
		v->commit = v->req->head;
	} else if ((error = kk_query_resolve(&v->commit, v->req->store, v->at, &env, &diag)) < 0) {
		if (error == KK_EINVALID)
			kw_bad_param(res, v->req, "at", diag.message);
		else
			kw_query_error(res, v->req, error, &diag);
		return -1;
	}
	git_oid_tostr(v->commit_hex, sizeof(v->commit_hex), &v->commit);
	/* Through the history index: a version of keikaku.json is parsed once, not per page. */
	kk_query_document(&v->settings, v->req->store, &v->commit, KK_PATH_SETTINGS, &env, NULL);
	return 0;
}

int kw_query(json_t **out, kw_response *res, const kw_view *v, const char *method, json_t *params,
	     const char *const names[][2])
{
	kk_query_env env = kw_query_env(v);
	kk_diag diag = {0};
	int error;

	*out = NULL;
	if (!params) {
		kw_error_page(res, v->req, 500, _("out of memory"));
		return -1;
	}
	error = kk_query_run(out, v->req->store, method, params, &env, &diag);
	json_decref(params);
	if (error == 0)
		return 0;
	/* A pointer into the query's parameters; with a file, it points into the file. */
	if (error == KK_EINVALID && diag.pointer[0] == '/' && !diag.path[0]) {
		const char *name = diag.pointer + 1;

		for (size_t i = 0; names && names[i][0]; i++)
			if (strcmp(names[i][0], name) == 0)
				name = names[i][1];
		/* The query's message names its own parameter; the page names the URL's. */
		kw_bad_param(res, v->req, name, diag.message);
	} else {
		kw_query_error(res, v->req, error, &diag);
	}
	return -1;
}

/*
 * True when `s` is written as a date, a number, "-", a number, "-", a number, with or
 * without a sign and with anything after: "2021-01-01T00:00", "-0001-01-01", "2021-1-1".
 */
static int date_like(const char *s)
{
	s += *s == '+' || *s == '-';
	for (int part = 0; part < 3; part++) {
		size_t digits = strspn(s, "0123456789");

		if (!digits || (part < 2 && s[digits] != '-'))
			return 0;
		s += digits + (part < 2);
	}
	return 1;
}

/*
 * since and until are dates (YYYY-MM-DD) or revisions.  One written as a date that is none
 * and that no revision is either ("2021-01-01T00:00", "-0001-01-01") is a 400 saying so,
 * not a 404 for an unknown revision; a revision that looks like a date stays one.  Returns
 * 0 or fills `res`.
 */
static int check_dates(kw_response *res, const kw_request *req)
{
	static const char *const names[] = {"since", "until"};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		const char *value = kw_param_get(req, names[i]);
		char why[KK_DIAG_MESSAGE_MAX];
		git_oid oid;

		if (!value || !date_like(value) ||
		    (strlen(value) == 10 && value[0] >= '0' && value[0] <= '9' &&
		     value[4] == '-') ||
		    kk_store_resolve(&oid, req->store, value, NULL) != KK_ENOTFOUND)
			continue; /* core's own date, or some revision: the query says what it is */
		snprintf(why, sizeof(why), _("'%s' is not a date (YYYY-MM-DD)"), value);
		kw_bad_param(res, req, names[i], why);
		return -1;
	}
	return 0;
}

/* The route of `path`, its argument in *arg; or NULL. */
static const route *find_route(const char *path, const char **arg)
{
	*arg = NULL;
	for (size_t i = 0; i < sizeof(routes) / sizeof(*routes); i++) {
		size_t n = strlen(routes[i].path);

		if (routes[i].has_arg && strncmp(path, routes[i].path, n) == 0 && path[n] &&
		    !strchr(path + n, '/')) {
			*arg = path + n;
			return &routes[i];
		}
		if (!routes[i].has_arg && strcmp(path, routes[i].path) == 0)
			return &routes[i];
	}
	return NULL;
}

int kw_page_costly(const kw_request *req)
{
	const char *arg;
	const route *r = find_route(req->path, &arg);

	return r && r->costly && r->costly(req);
}

void kw_page_answer(kw_response *res, const kw_request *req)
{
	const char *arg;
	const route *r = find_route(req->path, &arg);
	kw_view v = {.req = req};
	kk_budget budget;

	if (!r) {
		kw_error_page(res, req, 404, _("no such page"));
		return;
	}
	if (check_params(res, req, r) < 0)
		return;
	if (arg && (strlen(arg) > 64 || !clean_text(arg))) {
		kw_error_page(res, req, 404, _("no such page"));
		return;
	}
	if (check_dates(res, req) < 0)
		return;
	v.at = kw_param_get(req, "at");
	if (req->query_ms) {
		kk_budget_start(&budget, req->query_ms);
		v.budget = &budget;
	}
	if (resolve(&v, res) == 0)
		r->page(res, &v, arg);
	json_decref(v.settings);
}
