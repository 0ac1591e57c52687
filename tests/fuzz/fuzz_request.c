/*
 * fuzz_request.c - keikakud's request handling (daemon/request.h): a line
 * in, the answers out, without sockets.
 *
 * The input is what a client sends on a connection.  It is cut into lines
 * at each newline, as conn.c cuts what it reads (the last one need not end
 * in one), and each of the first MAX_LINES lines goes to a kd_requests whose
 * owner is this file instead of a connection:
 *
 *   - the read methods (whoami, item.get, item.list, plan.get, plan.files
 *     and the audit queries) are answered for real by reads.c, on this
 *     thread (kd_reads_answer()), from a bare repository holding the example
 *     plan (examples/dx-plan-r3), made once in a temporary directory;
 *   - status, which the server answers from its own figures, by a stub;
 *   - the write methods by a stub that runs the checks of their params'
 *     shape (rpc.c's kd_param_*, as methods.c calls them: base, reason,
 *     request_id, dry_run, correction, items, patch, item, files, year) and
 *     commits nothing.  Its answers are held back and given in reverse
 *     order once the line is taken, as the writer answers later.
 *
 * Not fuzzed here: conn.c (reading and cutting lines, back-pressure, the
 * loop), the writer's decisions and commits, and the per-user queue of
 * reads (kd_reads_queue()).
 *
 * For each line: every answer is one line of JSON that the strict reader
 * takes, ending in its only newline; it is a response object, or a
 * non-empty array of them, each with "jsonrpc": "2.0", an id, and a result
 * or an error with a known code and a message; a blank line gets nothing; a
 * line over the limit, one that does not parse, an empty batch and a batch
 * over the limit get one error with "id": null and run nothing; otherwise
 * every request with an id, and every invalid one, gets one answer that
 * echoes its id (null for an invalid id), notifications get none, and
 * exactly the requests that should run are handed out, each answered once.
 * A read never answers -32603: the repository is sound, so that would be a
 * caller's mistake taken for keikakud's own.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "fuzz.h"
#include "conn.h"
#include "plan.h"
#include "request.h"
#include "store.h"

/*
 * The daemon's defaults but the line's, the least --max-line takes but
 * three times: libFuzzer's inputs (4 KiB) reach over it, and a method's name
 * reaches past what an error message holds (1 KiB).
 */
static const kd_config cfg = {
	.max_line = 3072,
	.max_batch_requests = 64,
	.max_in_flight = 16,
	.max_unsent = 4 << 20,
	.max_queued_user = 64,
};

/*
 * The lines of an input that are taken; the rest is ignored.  What one line
 * leaves for the next (the connection's language, a batch whose writes are
 * held back) takes a few lines to reach.  Inputs of hundreds of short lines
 * reach nothing more, yet a run's corpus gathers them, and each line costs
 * an answer: uncapped, they took a run from about 4,900 executions a second
 * a worker to about 500 within 45 minutes.
 */
#define MAX_LINES 16

static char *fuzz_groups[] = {"fuzz", NULL};
static const kk_identity fuzz_caller = {
	.uid = 4242,
	.gid = 4242,
	.user = "fuzz",
	.name = "Fuzz Caller",
	.groups = fuzz_groups,
	.group_count = 1,
};

static char sandbox[] = "/tmp/fuzz_request.XXXXXX";
static kd_reads *reads;

/* What one line made: the answer lines sent, the calls handed out and held back. */
static struct {
	char **lines;
	size_t *lens;
	size_t count, alloc;
	unsigned dispatched, finished;
	kd_call *held[64];
	unsigned held_count;
} out;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void clean_up(void)
{
	kd_reads_free(reads);
	reads = NULL;
	nftw(sandbox, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	git_libgit2_shutdown();
}

static int is_json(const char *path)
{
	return strstr(path, ".json") != NULL;
}

/* The example plan and the schemas, committed into a bare repository in `sandbox`. */
static void make_repository(void)
{
	kk_fileset files = {0}, schemas = {0};
	kk_signature sig = {"Fuzz", "fuzz@keikaku.test", 1600000000, 540};
	kk_diag diag = {0};
	char repo[sizeof(sandbox) + 16];
	static const int levels[] = {GIT_CONFIG_LEVEL_PROGRAMDATA, GIT_CONFIG_LEVEL_SYSTEM,
				     GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL};

	git_libgit2_init();
	/* As keikakud: nothing from $HOME's or the system's git configuration. */
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, levels[i], "");
	FUZZ_CHECK(mkdtemp(sandbox) != NULL);
	atexit(clean_up);
	FUZZ_CHECK(kk_fileset_read_dir(&files, KK_SOURCE_DIR "/examples/dx-plan-r3", is_json,
				       &diag) == 0);
	FUZZ_CHECK(kk_fileset_read_dir(&schemas, KK_SOURCE_DIR "/schema", is_json, &diag) == 0);
	for (size_t i = 0; i < schemas.count; i++) {
		char path[256];

		snprintf(path, sizeof(path), "schema/%s", schemas.files[i].path);
		FUZZ_CHECK(kk_fileset_put(&files, path, schemas.files[i].data, schemas.files[i].len,
					  &diag) == 0);
	}
	snprintf(repo, sizeof(repo), "%s/plan.git", sandbox);
	FUZZ_CHECK(kk_store_init(NULL, NULL, repo, &files, &sig, "the example plan", &diag) == 0);
	FUZZ_CHECK(kd_reads_new(&reads, repo, getuid(), cfg.max_queued_user) == 0);
	kk_fileset_clear(&schemas);
	kk_fileset_clear(&files);
}

/* --- the owner of the requests: what keikakud's connection would be --- */

static void sent(kd_requests *r, char *line, size_t len)
{
	(void)r;
	if (out.count == out.alloc) {
		out.alloc = out.alloc ? 2 * out.alloc : 8;
		FUZZ_CHECK((out.lines = realloc(out.lines, out.alloc * sizeof(*out.lines))));
		FUZZ_CHECK((out.lens = realloc(out.lens, out.alloc * sizeof(*out.lens))));
	}
	out.lines[out.count] = line;
	out.lens[out.count++] = len;
}

static void finish(kd_call *call)
{
	/* An answer is a result or an error, not both. */
	FUZZ_CHECK(!call->result != !call->error);
	out.finished++;
	kd_requests_finish(call);
}

static int param_items(kd_call *call, const char *name)
{
	const json_t *items = json_object_get(call->params, name);

	if (!json_is_array(items) || json_array_size(items) == 0)
		return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
				    "invalid params: '%s' must be a non-empty array", name);
	return 0;
}

/* The write methods' checks of their params, and an answer of a write's shape. */
static void write_stub(kd_call *call)
{
	const char *method = call->method, *text;
	const json_t *object;
	json_int_t id;
	int flag, year = strncmp(method, "year.", 5) == 0;

	if (kd_param_string(&text, call, "reason", 0) < 0 ||
	    kd_param_string(&text, call, "request_id", 0) < 0 ||
	    kd_param_bool(&flag, call, "dry_run") < 0 ||
	    (!year && kd_param_bool(&flag, call, "correction") < 0) ||
	    (!year && kd_param_commit(&text, call, "base", strcmp(method, "item.create") != 0) < 0))
		return;
	if (strcmp(method, "item.update") == 0) {
		if (kd_param_id(&id, call, "id") < 0 ||
		    kd_param_object(&object, call, "patch", 1) < 0)
			return;
	} else if (strcmp(method, "plan.submit") == 0) {
		if (param_items(call, "items") < 0)
			return;
	} else if (strcmp(method, "item.create") == 0) {
		if (kd_param_object(&object, call, "item", 1) < 0)
			return;
	} else if (strcmp(method, "plan.update") == 0) {
		if (kd_param_object(&object, call, "files", 1) < 0)
			return;
	} else if (strcmp(method, "plan.import") == 0) {
		if (kd_param_object(&object, call, "files", 1) < 0 ||
		    param_items(call, "items") < 0)
			return;
	} else {
		const json_t *v = json_object_get(call->params, "year");

		FUZZ_CHECK(year);
		if (!json_is_integer(v) && !json_is_string(v)) {
			kd_call_fail(call, KK_RPC_EPARAMS, NULL,
				     "invalid params: 'year' must be a fiscal year");
			return;
		}
	}
	call->result = json_pack("{s:n, s:s, s:[]}", "commit", "head",
				 "0000000000000000000000000000000000000000", "changes");
}

/* A locale's name only ("" or up to 63 of "A-Za-z0-9_.-@"): nothing that could name a file. */
static int safe_locale(const char *name, size_t size)
{
	size_t n = strnlen(name, size);

	return n < size && strspn(name, "abcdefghijklmnopqrstuvwxyz"
					"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					"0123456789_.-@") == n;
}

static void dispatched(kd_requests *r, kd_call *call)
{
	enum kd_method_kind kind = kd_conn_method_kind(call->method);

	out.dispatched++;
	FUZZ_CHECK(call->origin == r && kind != KD_METHOD_NONE);
	FUZZ_CHECK(json_is_object(call->params));
	FUZZ_CHECK(call->id || kind == KD_METHOD_WRITE);
	FUZZ_CHECK(call->who.uid == fuzz_caller.uid && strcmp(call->who.user, "fuzz") == 0);
	FUZZ_CHECK(safe_locale(call->locale, sizeof(call->locale)));
	if (kind == KD_METHOD_WRITE) {
		write_stub(call);
		FUZZ_CHECK(out.held_count < sizeof(out.held) / sizeof(out.held[0]));
		out.held[out.held_count++] = call;
		return;
	}
	if (strcmp(call->method, "status") == 0) {
		call->result = json_pack("{s:s}", "version", "fuzz");
	} else {
		kd_reads_answer(reads, call);
		/*
		 * The repository is sound: whatever a read is asked, an internal
		 * error would blame keikakud (and log) for the caller's mistake.
		 */
		FUZZ_CHECK(!call->error || json_integer_value(json_object_get(
						   call->error, "code")) != KK_RPC_EINTERNAL);
	}
	finish(call);
}

static const kd_request_ops fuzz_ops = {
	.kind = kd_conn_method_kind,
	.dispatch = dispatched,
	.send = sent,
};

/* --- the invariants --- */

static int known_code(json_int_t code)
{
	switch (code) {
	case KK_RPC_EPARSE:
	case KK_RPC_EREQUEST:
	case KK_RPC_EMETHOD:
	case KK_RPC_EPARAMS:
	case KK_RPC_EINTERNAL:
	case KK_RPC_EFORBIDDEN:
	case KK_RPC_ECONFLICT:
	case KK_RPC_ERULES:
	case KK_RPC_EINVALID:
	case KK_RPC_ENOTFOUND:
	case KK_RPC_ELIMIT:
	case KK_RPC_EUNAVAILABLE:
	case KK_RPC_EWRITE: return 1;
	default: return 0;
	}
}

/* One response object: {"jsonrpc": "2.0", "id", "result" or "error": {code, message, data?}}. */
static void check_response(const json_t *resp)
{
	const json_t *id = json_object_get(resp, "id"), *error = json_object_get(resp, "error");
	const char *version = json_string_value(json_object_get(resp, "jsonrpc"));

	FUZZ_CHECK(json_is_object(resp) && json_object_size(resp) == 3);
	FUZZ_CHECK(version && strcmp(version, "2.0") == 0);
	FUZZ_CHECK(json_is_string(id) || json_is_number(id) || json_is_null(id));
	FUZZ_CHECK(!error != !json_object_get(resp, "result"));
	if (error) {
		FUZZ_CHECK(json_is_object(error));
		FUZZ_CHECK(json_is_integer(json_object_get(error, "code")) &&
			   known_code(json_integer_value(json_object_get(error, "code"))));
		FUZZ_CHECK(json_is_string(json_object_get(error, "message")));
		FUZZ_CHECK(json_object_size(error) ==
			   2u + (json_object_get(error, "data") != NULL));
	}
}

/* The answer line `i`, parsed: one line of JSON, a response or a non-empty array of them. */
static json_t *answer(size_t i)
{
	const kk_json_limits big = {(size_t)1 << 30, 0};
	const char *text = out.lines[i];
	size_t len = out.lens[i], j;
	kk_diag diag = {0};
	json_t *value = NULL, *el;

	FUZZ_CHECK(len >= 2 && text[len - 1] == '\n' && text[len] == '\0');
	FUZZ_CHECK(memchr(text, '\n', len - 1) == NULL);
	FUZZ_CHECK(kk_json_parse(&value, text, len - 1, &big, &diag) == 0);
	if (json_is_array(value)) {
		FUZZ_CHECK(json_array_size(value) > 0);
		json_array_foreach(value, j, el)
			check_response(el);
	} else {
		check_response(value);
	}
	return value;
}

/* The one answer of a line that runs nothing: an error with "id": null. */
static void check_refused(int code, json_int_t limit)
{
	json_t *resp, *error;

	FUZZ_CHECK(out.count == 1 && out.dispatched == 0);
	resp = answer(0);
	error = json_object_get(resp, "error");
	FUZZ_CHECK(json_is_object(resp) && json_is_null(json_object_get(resp, "id")));
	FUZZ_CHECK(json_integer_value(json_object_get(error, "code")) == code);
	if (limit)
		FUZZ_CHECK(json_integer_value(json_object_get(json_object_get(error, "data"),
							      "limit")) == limit);
	json_decref(resp);
}

/*
 * What JSON-RPC 2.0 says of one element of a line: whether it is answered,
 * with which id (null when the id is what is wrong) and which error code
 * when keikakud answers it without running it (0: it runs); whether it is
 * handed out to run.
 */
typedef struct expected {
	int answered, code, runs;
	const json_t *id;
} expected;

static expected expect(const json_t *req)
{
	const json_t *id = json_object_get(req, "id"), *params = json_object_get(req, "params");
	const char *version = json_string_value(json_object_get(req, "jsonrpc"));
	const char *method = json_string_value(json_object_get(req, "method"));
	int id_ok = !id || json_is_string(id) || json_is_number(id) || json_is_null(id);
	expected e = {0, 0, 0, id && id_ok ? id : json_null()};
	enum kd_method_kind kind;

	if (!json_is_object(req) || !version || strcmp(version, "2.0") != 0 || !method || !id_ok ||
	    (params && !json_is_object(params) && !json_is_array(params))) {
		e.answered = 1;
		e.code = KK_RPC_EREQUEST;
		return e;
	}
	kind = kd_conn_method_kind(method);
	e.answered = id != NULL;
	if (kind == KD_METHOD_NONE)
		e.code = KK_RPC_EMETHOD;
	else if (params && !json_is_object(params))
		e.code = KK_RPC_EPARAMS;
	else
		e.runs = id || kind == KD_METHOD_WRITE;
	return e;
}

/* The answers of a line that parsed to `value` and is not refused whole. */
static void check_answers(const json_t *value)
{
	const json_t *el;
	json_t *resp;
	unsigned runs = 0;
	size_t answered = 0, i, j;

	if (!json_is_array(value)) {
		expected e = expect(value);

		FUZZ_CHECK(out.dispatched == (unsigned)e.runs);
		FUZZ_CHECK(out.count == (size_t)e.answered);
		if (!e.answered)
			return;
		resp = answer(0);
		FUZZ_CHECK(json_is_object(resp));
		FUZZ_CHECK(json_equal(json_object_get(resp, "id"), (json_t *)e.id));
		if (e.code)
			FUZZ_CHECK(json_integer_value(json_object_get(
					   json_object_get(resp, "error"), "code")) == e.code);
		json_decref(resp);
		return;
	}
	json_array_foreach(value, i, el) {
		expected e = expect(el);

		runs += e.runs;
		answered += e.answered;
	}
	FUZZ_CHECK(out.dispatched == runs && runs <= cfg.max_batch_requests);
	/* A batch of notifications only is answered with nothing, not "[]". */
	FUZZ_CHECK(out.count == (answered > 0));
	if (!answered)
		return;
	resp = answer(0);
	FUZZ_CHECK(json_is_array(resp) && json_array_size(resp) == answered);
	/* The same ids, each as often, in any order. */
	{
		char used[64] = {0};

		json_array_foreach(value, i, el) {
			expected e = expect(el);

			if (!e.answered)
				continue;
			for (j = 0; j < answered; j++)
				if (!used[j] &&
				    json_equal(json_object_get(json_array_get(resp, j), "id"),
					       (json_t *)e.id))
					break;
			FUZZ_CHECK(j < answered);
			used[j] = 1;
		}
	}
	json_decref(resp);
}

static int blank(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r", line[i]) || line[i] == '\0')
			return 0;
	return 1;
}

static void run_line(kd_requests *r, const char *line, size_t len)
{
	const kk_json_limits limits = {cfg.max_line, 64};
	kk_diag diag = {0};
	json_t *value = NULL;
	size_t i;

	kd_requests_line(r, line, len);
	/* The connection's language, taken from lines, is a locale's name too. */
	FUZZ_CHECK(safe_locale(r->locale, sizeof(r->locale)));
	/* A write, or a batch with writes in it, is answered once the last write is. */
	FUZZ_CHECK(out.held_count == 0 || out.count == 0);
	while (out.held_count > 0)
		finish(out.held[--out.held_count]);
	FUZZ_CHECK(out.finished == out.dispatched);

	if (blank(line, len)) {
		FUZZ_CHECK(out.count == 0 && out.dispatched == 0);
	} else if (len > cfg.max_line) {
		check_refused(KK_RPC_ELIMIT, (json_int_t)cfg.max_line);
	} else if (kk_json_parse(&value, line, len, &limits, &diag) < 0) {
		check_refused(KK_RPC_EPARSE, 0);
	} else if (json_is_array(value) && json_array_size(value) == 0) {
		check_refused(KK_RPC_EREQUEST, 0);
	} else if (json_array_size(value) > cfg.max_batch_requests) {
		check_refused(KK_RPC_ELIMIT, (json_int_t)cfg.max_batch_requests);
	} else {
		check_answers(value);
	}
	json_decref(value);
	for (i = 0; i < out.count; i++)
		free(out.lines[i]);
	out.count = 0;
	out.dispatched = out.finished = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	kd_requests requests;

	if (!reads)
		make_repository();
	kd_requests_init(&requests, &fuzz_ops, &cfg, &fuzz_caller, NULL);
	for (int lines = 0; p < end && lines < MAX_LINES; lines++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		run_line(&requests, p, len);
		p += len + 1;
	}
	return 0;
}
