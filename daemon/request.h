/*
 * request.h - JSON-RPC 2.0 for one connection, without the connection: a
 * line in, its requests checked, what is wrong with them answered at once,
 * the rest handed on as calls, and every answer out as one line of text.
 *
 * No libuv, no sockets, no threads: conn.c gives it the lines it reads and
 * writes the answers it gets back, and tests/fuzz/fuzz_request.c drives it
 * with no connection at all.  What it checks, in order:
 *
 *   - the line: at most cfg->max_line bytes (-32006), JSON by the strict
 *     reader, nesting at most 64 deep (-32700);
 *   - a batch: not empty (-32600), at most cfg->max_batch_requests requests
 *     (-32006, refused whole, before any of them runs);
 *   - each request: an object with "jsonrpc": "2.0", a string "method", an
 *     "id" (if any) that is a string, a number or null, "params" (if any) an
 *     object or an array (-32600, answered with "id": null when the id is
 *     what is wrong); a notification (no "id") of a method that is not a
 *     write is dropped unanswered; an unknown method is -32601 whatever its
 *     params, params that are not an object -32602.
 *
 * Every answer of a batch goes out in one line, once its last call is done.
 *
 * An error outside any request (those above with "id": null, and what the
 * owner sends with kd_requests_error()) is in the connection's language:
 * that of the "locale" the line names (a request's param; a batch's first
 * that names one; for a line too long to parse, one in its first bytes),
 * else the latest one a line on the connection named, else the one its
 * owner set in `locale` - as a request's own errors are in its "locale".
 */
#ifndef KD_REQUEST_H
#define KD_REQUEST_H

#include <stddef.h>

#include "daemon.h"
#include "json.h"

/* What a method is, as the owner of a kd_requests tells it. */
enum kd_method_kind {
	KD_METHOD_NONE,	 /* no such method: -32601 */
	KD_METHOD_READ,	 /* answers something and changes nothing: a notification is dropped */
	KD_METHOD_WRITE, /* run even as a notification */
};

typedef struct kd_requests kd_requests;

typedef struct kd_request_ops {
	/* What `method` is. */
	enum kd_method_kind (*kind)(const char *method);
	/*
	 * Takes a call that passed every check: `params` is an object, the
	 * caller and its locale are set, `id` is NULL for a notification.
	 * Whoever answers it sets its result or error and hands it to
	 * kd_requests_finish(), at once or later, exactly once.
	 */
	void (*dispatch)(kd_requests *r, kd_call *call);
	/*
	 * Sends one answer line: `len` bytes ending in its only '\n' (and a NUL
	 * after them), malloc'd; the callee frees it.
	 */
	void (*send)(kd_requests *r, char *line, size_t len);
} kd_request_ops;

/* One connection's JSON-RPC, in a struct its owner keeps; nothing in it to release. */
struct kd_requests {
	const kd_request_ops *ops;
	const kd_config *cfg;	/* max_line and max_batch_requests */
	const kk_identity *who; /* the caller; each call gets a copy of it */
	void *arg;		/* the owner's */
	char locale[64];	/* the connection's language (kd_locale_name_ok()), or "" */
};

/* Sets up `r`, with no language yet. */
void kd_requests_init(kd_requests *r, const kd_request_ops *ops, const kd_config *cfg,
		      const kk_identity *who, void *arg);

/* Whether `len` bytes are only spaces, tabs and CRs: such a line is answered with nothing. */
int kd_request_blank(const char *line, size_t len);

/*
 * Parses a line as kd_requests_line() does, for an owner that parses a
 * long one elsewhere (conn.c, on the thread pool): the strict reader with
 * cfg->max_line bytes and 64 levels.  *out is a new reference; fails as
 * kk_json_parse() does.  Touches nothing but its arguments.
 */
int kd_request_parse(json_t **out, const char *line, size_t len, const kd_config *cfg,
		     kk_diag *diag);

/*
 * Answers one line (without its '\n'; need not end in a NUL): nothing for
 * a blank one, else its requests as described above.  Calls that need
 * answering go to ops->dispatch before this returns.
 */
void kd_requests_line(kd_requests *r, const char *line, size_t len);

/*
 * Answers a line that kd_request_parse() returned `error` for: `value`
 * (borrowed) when it is 0, else the parse error in `diag`.
 */
void kd_requests_take(kd_requests *r, int error, json_t *value, const kk_diag *diag);

/*
 * Answers a line longer than cfg->max_line, which the owner found too long
 * before it had all of it: -32006 with {"limit": max_line}, in the language
 * `head` (the `len` first bytes of the line) names, if any.
 */
void kd_requests_too_long(kd_requests *r, const char *head, size_t len);

/*
 * Sends one error answer with "id": null, for what goes wrong outside any
 * request (a limit on the connection, shutting down); `data` (may be NULL)
 * is stolen.  `fmt` is translated into the connection's language: mark it
 * with N_().
 */
void kd_requests_error(kd_requests *r, int code, json_t *data, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * A dispatched call is answered: sends its answer (a notification's:
 * none), or adds it to its batch's and sends the batch's line when it was
 * the last; then frees the call.
 */
void kd_requests_finish(kd_call *call);

#endif
