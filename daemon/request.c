/*
 * request.c - JSON-RPC 2.0 for one connection (request.h): lines in, the
 * requests checked, calls out to the connection's owner, the answers back
 * as lines of text.  Nothing here knows of sockets, the loop or threads:
 * the owner says what a method is and who answers it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "request.h"

#define KD_REQUEST_DEPTH 64 /* nesting of a request line */

/* The calls of one JSON-RPC batch: answered together, as one array. */
typedef struct kd_batch {
	json_t *responses;
	unsigned pending; /* its calls not answered yet, and 1 while its requests are taken */
} kd_batch;

void kd_requests_init(kd_requests *r, const kd_request_ops *ops, const kd_config *cfg,
		      const kk_identity *who, void *arg)
{
	r->ops = ops;
	r->cfg = cfg;
	r->who = who;
	r->arg = arg;
	r->locale[0] = '\0';
}

int kd_request_blank(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return 0;
	return 1;
}

/* Sends `value` as one line, handing the text to the owner. */
static void send_value(kd_requests *r, const json_t *value)
{
	char *text, *line;
	size_t len;

	if (!(text = json_dumps(value, JSON_COMPACT))) {
		log_warnx("cannot encode a response, ignoring");
		return;
	}
	len = strlen(text);
	if (!(line = realloc(text, len + 2))) {
		free(text);
		return;
	}
	line[len] = '\n';
	line[len + 1] = '\0';
	r->ops->send(r, line, len + 1);
}

static json_t *response(json_t *id, json_t *result, json_t *error)
{
	json_t *r = json_pack("{s:s, s:O}", "jsonrpc", "2.0", "id", id ? id : json_null());

	if (error)
		json_object_set(r, "error", error);
	else
		json_object_set(r, "result", result ? result : json_null());
	return r;
}

/* Answers `id` (NULL: null) with `error`, which it steals: in `batch`, or on a line of its own. */
static void answer_error(kd_requests *r, kd_batch *batch, json_t *id, json_t *error)
{
	json_t *resp = response(id, NULL, error);

	if (batch) {
		json_array_append(batch->responses, resp);
	} else {
		send_value(r, resp);
	}
	json_decref(resp);
	json_decref(error);
}

/* An error object with a message made from `fmt` (kd_verror()). */
static json_t *error_fmt(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static json_t *error_fmt(int code, const char *fmt, ...)
{
	json_t *error;
	va_list ap;

	va_start(ap, fmt);
	error = kd_verror(code, NULL, fmt, ap);
	va_end(ap);
	return error;
}

void kd_requests_error(kd_requests *r, int code, json_t *data, const char *fmt, ...)
{
	locale_t previous = kd_locale_begin(r->locale);
	json_t *error;
	va_list ap;

	va_start(ap, fmt);
	error = kd_verror(code, data, _(fmt), ap);
	va_end(ap);
	kd_call_locale_end(previous);
	answer_error(r, NULL, NULL, error);
}

/* The locale `req`'s params name, or NULL. */
static const char *request_locale(const json_t *req)
{
	const char *loc =
		json_string_value(json_object_get(json_object_get(req, "params"), "locale"));

	return loc && kd_locale_name_ok(loc) ? loc : NULL;
}

/* A parsed line's locale becomes the connection's: a request's, or a batch's first. */
static void adopt_locale(kd_requests *r, const json_t *value)
{
	const char *loc = NULL;
	const json_t *el;
	size_t i;

	if (!json_is_array(value))
		loc = request_locale(value);
	else
		json_array_foreach(value, i, el) {
			if ((loc = request_locale(el)))
				break;
		}
	if (loc)
		snprintf(r->locale, sizeof(r->locale), "%s", loc);
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

/*
 * The same for a line that is not parsed: the first `"locale": "NAME"` in
 * its `len` bytes whose NAME is a locale's name.  Only the language of the
 * error depends on it.
 */
static void adopt_locale_text(kd_requests *r, const char *text, size_t len)
{
	static const char key[] = "\"locale\"";
	const char *p = text, *end = text + len, *hit;

	while ((hit = memmem(p, (size_t)(end - p), key, sizeof(key) - 1))) {
		char name[sizeof(r->locale)];
		size_t n = 0;

		p = skip_blanks(hit + sizeof(key) - 1, end);
		if (p == end || *p != ':')
			continue;
		p = skip_blanks(p + 1, end);
		if (p == end || *p != '"')
			continue;
		for (p++; p < end && *p != '"' && n < sizeof(name) - 1; p++)
			name[n++] = *p;
		name[n] = '\0';
		if (p < end && *p == '"' && kd_locale_name_ok(name)) {
			memcpy(r->locale, name, n + 1);
			return;
		}
	}
}

void kd_requests_too_long(kd_requests *r, const char *head, size_t len)
{
	size_t max = r->cfg->max_line;

	adopt_locale_text(r, head, len);
	kd_requests_error(r, KK_RPC_ELIMIT, json_pack("{s:I}", "limit", (json_int_t)max),
			  N_("request line is longer than %zu bytes"), max);
}

/* One of `batch`'s calls is answered, or all its requests are taken: sent after the last. */
static void batch_release(kd_requests *r, kd_batch *batch)
{
	if (--batch->pending > 0)
		return;
	if (json_array_size(batch->responses))
		send_value(r, batch->responses);
	json_decref(batch->responses);
	free(batch);
}

void kd_requests_finish(kd_call *call)
{
	kd_requests *r = call->origin;
	kd_batch *batch = call->batch;

	if (call->id) {
		json_t *resp = response(call->id, call->result, call->error);

		if (batch)
			json_array_append(batch->responses, resp);
		else
			send_value(r, resp);
		json_decref(resp);
	}
	if (batch)
		batch_release(r, batch);
	kd_call_free(call);
}

static int copy_identity(kk_identity *dst, const kk_identity *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->uid = src->uid;
	dst->gid = src->gid;
	if (!(dst->user = strdup(src->user)) || !(dst->name = strdup(src->name)) ||
	    !(dst->groups = calloc(src->group_count + 1, sizeof(char *))))
		return -1;
	for (size_t i = 0; i < src->group_count; i++) {
		if (!(dst->groups[i] = strdup(src->groups[i])))
			return -1;
		dst->group_count++;
	}
	return 0;
}

/* The call's "locale" param, when it is a locale's name and nothing that could name a file. */
static void take_locale(kd_call *call)
{
	const char *loc = json_string_value(json_object_get(call->params, "locale"));

	if (loc && kd_locale_name_ok(loc))
		snprintf(call->locale, sizeof(call->locale), "%s", loc);
}

/* Checks one request and answers it, or hands it on as a call. */
static void take_request(kd_requests *r, json_t *req, kd_batch *batch)
{
	json_t *id = json_object_get(req, "id"), *params = json_object_get(req, "params");
	const char *method = json_string_value(json_object_get(req, "method"));
	const char *version = json_string_value(json_object_get(req, "jsonrpc"));
	const char *invalid = NULL;
	int notification = !id;
	enum kd_method_kind kind;
	kd_call *call;

	if (id && !json_is_string(id) && !json_is_integer(id) && !json_is_real(id) &&
	    !json_is_null(id))
		id = NULL;
	if (!json_is_object(req) || !version || strcmp(version, "2.0") != 0 || !method ||
	    (!notification && !id))
		invalid = "invalid request: expected a JSON-RPC 2.0 request object";
	else if (params && !json_is_object(params) && !json_is_array(params))
		/* JSON-RPC 2.0: params, when present, is an array or an object. */
		invalid = "invalid request: 'params' must be an object or an array";
	if (invalid) {
		answer_error(r, batch, id, kd_error(KK_RPC_EREQUEST, invalid, NULL));
		return;
	}
	/*
	 * A notification answers nothing: one that is not a write would change
	 * nothing either, and running it would only take the read workers from
	 * everyone else.  A write's runs, and its errors go unsaid.
	 */
	kind = r->ops->kind(method);
	if (notification && kind != KD_METHOD_WRITE)
		return;
	if (kind == KD_METHOD_NONE || (params && !json_is_object(params))) {
		if (notification)
			return;
		if (kind == KD_METHOD_NONE) {
			/* Whatever its params: the method is what is wrong. */
			answer_error(r, batch, id,
				     error_fmt(KK_RPC_EMETHOD, "method not found: '%s'", method));
		} else {
			/* Every method takes its params by name. */
			answer_error(r, batch, id,
				     kd_error(KK_RPC_EPARAMS,
					      "invalid params: 'params' must be an object", NULL));
		}
		return;
	}
	if (!(call = calloc(1, sizeof(*call))) || copy_identity(&call->who, r->who) < 0) {
		kd_call_free(call);
		if (!notification)
			answer_error(r, batch, id,
				     kd_error(KK_RPC_EINTERNAL, "out of memory", NULL));
		return;
	}
	if (!params) {
		/* No params: an empty object, owned by the request. */
		json_object_set_new(req, "params", json_object());
		params = json_object_get(req, "params");
	}
	call->origin = r;
	call->batch = batch;
	call->id = id ? json_incref(id) : NULL;
	call->request = json_incref(req);
	call->method = method;
	call->params = params;
	take_locale(call);
	if (batch)
		batch->pending++;
	r->ops->dispatch(r, call);
}

/* Answers a parsed line: a request, or a batch of them. */
static void take_value(kd_requests *r, json_t *value)
{
	size_t i, max = r->cfg->max_batch_requests;
	kd_batch *batch = NULL;
	json_t *el;

	adopt_locale(r, value);
	if (!json_is_array(value)) {
		take_request(r, value, NULL);
	} else if (json_array_size(value) == 0) {
		kd_requests_error(r, KK_RPC_EREQUEST, NULL, "invalid request: empty batch");
	} else if (json_array_size(value) > max) {
		/* Refused whole, before any of it runs: its answer would be unbounded. */
		kd_requests_error(r, KK_RPC_ELIMIT, json_pack("{s:I}", "limit", (json_int_t)max),
				  N_("a batch of %zu requests is more than %zu"),
				  json_array_size(value), max);
	} else if ((batch = calloc(1, sizeof(*batch))) && (batch->responses = json_array())) {
		/* Held open until every element is taken. */
		batch->pending = 1;
		json_array_foreach(value, i, el)
			take_request(r, el, batch);
		batch_release(r, batch);
	} else {
		free(batch);
		kd_requests_error(r, KK_RPC_EINTERNAL, NULL, "out of memory");
	}
}

int kd_request_parse(json_t **out, const char *line, size_t len, const kd_config *cfg,
		     kk_diag *diag)
{
	kk_json_limits limits = {cfg->max_line, KD_REQUEST_DEPTH};

	return kk_json_parse(out, line, len, &limits, diag);
}

void kd_requests_take(kd_requests *r, int error, json_t *value, const kk_diag *diag)
{
	if (error < 0)
		kd_requests_error(r, KK_RPC_EPARSE, NULL, "parse error: line %zu, column %zu: %s",
				  diag->line, diag->column, diag->message);
	else
		take_value(r, value);
}

void kd_requests_line(kd_requests *r, const char *line, size_t len)
{
	kk_diag diag = {0};
	json_t *value = NULL;
	int error;

	if (kd_request_blank(line, len))
		return;
	if (len > r->cfg->max_line) {
		kd_requests_too_long(r, line, len);
		return;
	}
	error = kd_request_parse(&value, line, len, r->cfg, &diag);
	kd_requests_take(r, error, value, &diag);
	json_decref(value);
}
