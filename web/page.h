/*
 * page.h - what the server (server.c) hands a page and gets back: the
 * request, checked and parsed, and the response.  Each page is a function
 * of the repository's state and the request alone, so that its response
 * can be cached by (HEAD, URL, language, format; the refs for a URL that
 * names one).
 */
#ifndef KK_WEB_PAGE_H
#define KK_WEB_PAGE_H

#include <git2.h>
#include <jansson.h>

#include "buf.h"
#include "common.h"
#include "query.h"
#include "store.h"

/* Limits on what a request may ask (docs/deploy.md lists them). */
enum {
	KW_MAX_URL = 2048,   /* bytes of path and query string */
	KW_MAX_PARAMS = 12,  /* query parameters */
	KW_MAX_VALUE = 200,  /* bytes of one parameter's value */
	KW_LOG_PAGE = 50,    /* commits on a page of the audit trail */
	KW_MAX_PAGE = 10000, /* the last page number asked for */
	KW_DIFF_MAX = 500,   /* items a difference page lists */
};

typedef struct kw_param {
	const char *name;
	const char *value; /* "" for a name without a value */
} kw_param;

typedef struct kw_request {
	const char *path; /* as sent, before the query string */
	kw_param params[KW_MAX_PARAMS];
	size_t nparams;
	int english; /* else Japanese */
	int json;    /* Accept: application/json */
	kk_store *store;
	struct kk_query_memo *memo; /* the store's: HEAD's history between requests */
	git_oid head;
	char head_hex[GIT_OID_HEXSZ + 1];
	int utc_offset;
	int use_history_cache;
	unsigned query_ms; /* the time a page's queries may take, or 0 for no limit */
} kw_request;

typedef struct kw_response {
	int status;	  /* 200, 400, 404, 500, 503 */
	const char *type; /* the Content-Type */
	kk_buf body;
} kw_response;

/*
 * Answers `req`: dispatches on its path to the page, which fills `res`.
 * Every failure is a page too (400 naming the parameter, 404, 500).
 */
void kw_page_answer(kw_response *res, const kw_request *req);

/*
 * True when `req` asks for a page that reads the whole plan or a long stretch of its
 * history: the report, the trail with a filter other than an item, the difference of two
 * revisions, schedules, pending items.  server.c makes few of those at once.
 */
int kw_page_costly(const kw_request *req);

/* Fills `res` with the 503 page of a request that found the costly pages' line full. */
void kw_busy_page(kw_response *res, const kw_request *req);

/*
 * The page of a query or a read of the plan that failed with `error` and
 * `diag`: 404 for what is not there, 400 for what the request got wrong,
 * 503 for a query past its time (KK_ETIMEOUT: narrowing it helps), else
 * 500.  A file of the repository that is not a valid plan file (KK_EINVALID
 * naming the file) is no fault of the request: 500, naming the file.
 */
void kw_query_error(kw_response *res, const kw_request *req, int error, const kk_diag *diag);

/* The value of parameter `name`, or NULL. */
const char *kw_param_get(const kw_request *req, const char *name);

/* --- the pages (page_*.c); each returns 0, or fills `res` with an error page --- */

/* What a page works on: the revision asked for (`at`), and the plan's settings there. */
typedef struct kw_view {
	const kw_request *req;
	git_oid commit;
	char commit_hex[GIT_OID_HEXSZ + 1];
	const char *at;	  /* as asked, or NULL */
	json_t *settings; /* keikaku.json at `commit` (shared: not to be modified), or NULL */
	kk_budget *budget; /* the page's time (req->query_ms), or NULL */
} kw_view;

/* How the view's queries are asked: the request's dates and memo, the page's budget. */
static inline kk_query_env kw_query_env(const kw_view *v)
{
	return (kk_query_env){v->req->utc_offset, v->req->use_history_cache, v->req->memo,
			      v->budget};
}

void kw_page_report(kw_response *res, const kw_view *v, const char *year);
void kw_page_item(kw_response *res, const kw_view *v, const char *id);
void kw_page_log(kw_response *res, const kw_view *v);
void kw_page_diff(kw_response *res, const kw_view *v);
void kw_page_schedule(kw_response *res, const kw_view *v);
void kw_page_pending(kw_response *res, const kw_view *v);

/*
 * Runs query `method` (core/history/query.h) with `params` (stolen) at
 * the view's revision.  Returns 0 with *out, or fills `res` with the error
 * page: 400 naming the parameter (`names` maps query parameters back to
 * the URL's, {query, url} pairs up to a NULL) or 404 for an unknown
 * revision or item.
 */
int kw_query(json_t **out, kw_response *res, const kw_view *v, const char *method, json_t *params,
	     const char *const names[][2]);

/* Fills `res` with the 400 page "invalid parameter 'NAME': WHY". */
void kw_bad_param(kw_response *res, const kw_request *req, const char *name, const char *why);

/* A decimal number of at most 9 digits from 1 to `max` into *out; returns 0 or -1. */
int kw_parse_number(long *out, const char *text, long max);

/* The default fiscal year: the first open one of keikaku.json, else its last; or 0. */
int kw_default_year(const json_t *settings);

/* --- HTML (html.c) --- */

/* Appends `s` with & < > " ' escaped. */
void kw_html_escape(kk_buf *b, const char *s);

/* Appends printf's output, escaped. */
void kw_html_printf(kk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends `s` as a URL query value (percent-encoded). */
void kw_url_escape(kk_buf *b, const char *s);

/*
 * Makes `res` a 200 HTML page and opens it with kw_html_begin(); returns the body to
 * write the rest into, then close with kw_html_end().
 */
kk_buf *kw_html_page(kw_response *res, const kw_view *v, const char *title);

/* The string `key` of object `obj`, or `fallback` when it is none. */
const char *kw_json_str(const json_t *obj, const char *key, const char *fallback);

/* Opens a page: the doctype, head with the style sheet, header with the navigation. */
void kw_html_begin(kk_buf *b, const kw_view *v, const char *title);

/* Closes it: the footer naming the commit. */
void kw_html_end(kk_buf *b, const kw_view *v);

/* The navigation bar alone (for the report's own page). */
void kw_html_nav(kk_buf *b, const kw_view *v);

/* "?at=REV" or "&at=REV" when the view has one, for links that keep the revision. */
void kw_html_at(kk_buf *b, const kw_view *v, int first);

/* A commit's line: time, author, department, the commit's short id; and its reason. */
void kw_html_commit(kk_buf *b, const json_t *info);

/* A field's name in plan terms: "令和3年度 進捗度", "担当課". */
void kw_html_field(kk_buf *b, const char *path, const json_t *settings);

/* A value in plan terms (marks, labels, lists joined by 、), escaped. */
void kw_html_value(kk_buf *b, const char *path, const json_t *value);

/* Fills `res` with an error page of `status` and `message`. */
void kw_error_page(kw_response *res, const kw_request *req, int status, const char *message);

/* Fills `res` with `doc` (stolen) as JSON, 200. */
void kw_json_page(kw_response *res, json_t *doc);

/*
 * Writes log entries (history.log's "entries", newest first) one block per
 * commit: its line, reason and changed fields.  Only the commits from
 * `skip` on, at most `max` of them; `with_item` names the item of each
 * change.  Returns how many commits the entries have in all.
 */
size_t kw_html_log(kk_buf *b, const kw_view *v, const json_t *entries, size_t skip, size_t max,
		   int with_item);

/* The style sheet, compiled in. */
extern const char kw_style[];

#endif
