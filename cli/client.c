/*
 * client.c - a blocking JSON-RPC client for keikakud: connecting, calls and
 * their answers, and the reads every write starts from.  What the daemon
 * answers to writes is put in plan terms by answers.c.
 */
#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "cli.h"
#include "client.h"
#include "json.h"

#define READ_CHUNK	  65536
#define CONNECT_TRIES	  20 /* when the daemon's backlog is full (EAGAIN) */
#define CONNECTION_CLOSED (-100000)
#define RESPONSE_TOO_LONG (-100001)

struct cli_client {
	const char *path;
	int fd;
	json_int_t next_id;
	char *buf; /* bytes received and not yet consumed */
	size_t len, cap;
};

void cli_rpc_error_clear(cli_rpc_error *err)
{
	if (!err)
		return;
	free(err->message);
	json_decref(err->data);
	memset(err, 0, sizeof(*err));
}

const char *cli_socket_path(const char *option)
{
	const char *env = getenv(CLI_SOCKET_ENV);

	if (option)
		return option;
	if (env && *env)
		return env;
	return CLI_SOCKET_DEFAULT;
}

int cli_client_new(cli_client **out, const char *path)
{
	cli_client *c = calloc(1, sizeof(*c));

	if (!c)
		return KK_ENOMEM;
	c->path = path;
	c->fd = -1;
	*out = c;
	return 0;
}

static void disconnect(cli_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
}

void cli_client_free(cli_client *client)
{
	if (!client)
		return;
	disconnect(client);
	free(client->buf);
	free(client);
}

static int unreachable(const cli_client *c, int errnum)
{
	cli_error(_("cannot reach keikakud at '%s': %s"), c->path, strerror(errnum));
	return -1;
}

static int client_connect(cli_client *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, tries = 0;

	if (strlen(c->path) >= sizeof(sa.sun_path))
		return unreachable(c, ENAMETOOLONG);
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return unreachable(c, errno);
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		if (e == EINTR)
			continue;
		if (e == EISCONN) /* an interrupted connect() that went through */
			break;
		if (e == EAGAIN && ++tries < CONNECT_TRIES) {
			nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
			continue;
		}
		close(fd);
		return unreachable(c, e);
	}
	c->fd = fd;
	c->len = 0;
	return 0;
}

/* Returns 0 or a negative errno. */
static int send_all(cli_client *c, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Reads up to the next newline.  Returns 0 with the line (without its
 * newline) at c->buf[0..*len_out), CONNECTION_CLOSED, RESPONSE_TOO_LONG or
 * a negative errno.
 */
static int read_line(size_t *len_out, cli_client *c)
{
	size_t scanned = 0;

	for (;;) {
		char *nl =
			c->len > scanned ? memchr(c->buf + scanned, '\n', c->len - scanned) : NULL;
		ssize_t n;

		if (nl) {
			*len_out = (size_t)(nl - c->buf);
			return 0;
		}
		scanned = c->len;
		if (c->len >= CLI_RESPONSE_MAX)
			return RESPONSE_TOO_LONG;
		if (c->cap - c->len < READ_CHUNK &&
		    KK_ARRAY_GROW_MAX(c->buf, c->len + READ_CHUNK, c->cap,
				      CLI_RESPONSE_MAX + READ_CHUNK) < 0)
			return -ENOMEM;
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			return CONNECTION_CLOSED;
		c->len += (size_t)n;
	}
}

/* Drops the line just read (and its newline) from the buffer. */
static void consume_line(cli_client *c, size_t len)
{
	c->len -= len + 1;
	memmove(c->buf, c->buf + len + 1, c->len);
}

static int bad_response(const cli_client *c, const char *why)
{
	cli_error(_("keikakud at '%s' sent a bad response: %s"), c->path, why);
	return CLI_CALL_TRANSPORT;
}

/* Checks one response line and splits it into result or error. */
static int take_response(json_t **result_out, cli_client *c, const char *line, size_t len,
			 json_int_t id, cli_rpc_error *err)
{
	kk_json_limits limits = {CLI_RESPONSE_MAX, 0};
	json_t *resp = NULL, *rid, *result, *error;
	const char *version;
	kk_diag diag = {0};
	int outcome = CLI_CALL_TRANSPORT;

	if (kk_json_parse(&resp, line, len, &limits, &diag) < 0)
		return bad_response(c, diag.message);
	rid = json_object_get(resp, "id");
	result = json_object_get(resp, "result");
	error = json_object_get(resp, "error");
	version = json_string_value(json_object_get(resp, "jsonrpc"));
	if (!json_is_object(resp) || !version || strcmp(version, "2.0") != 0) {
		bad_response(c, _("not a JSON-RPC 2.0 response"));
		goto done;
	}
	if (!!result == !!error) {
		bad_response(c, _("a response has either a result or an error"));
		goto done;
	}
	/* A request the daemon could not read at all is answered with a null id. */
	if (!(json_is_integer(rid) && json_integer_value(rid) == id) &&
	    !(json_is_null(rid) && error)) {
		bad_response(c, _("the response is for another request"));
		goto done;
	}
	if (result) {
		*result_out = json_incref(result);
		outcome = 0;
		goto done;
	}
	if (!json_is_object(error) || !json_is_integer(json_object_get(error, "code")) ||
	    !json_is_string(json_object_get(error, "message"))) {
		bad_response(c, _("an error needs an integer code and a message"));
		goto done;
	}
	err->code = (int)json_integer_value(json_object_get(error, "code"));
	err->message = strdup(json_string_value(json_object_get(error, "message")));
	err->data = json_incref(json_object_get(error, "data"));
	if (!err->message) {
		cli_error("%s", _("out of memory"));
		cli_rpc_error_clear(err);
		goto done;
	}
	outcome = CLI_CALL_REFUSED;
done:
	json_decref(resp);
	return outcome;
}

/*
 * The locale of the user's messages, for keikakud to answer in, or NULL in
 * the C locale.  Only the name travels; it says nothing about who asks.
 */
static const char *messages_locale(void)
{
	const char *name = setlocale(LC_MESSAGES, NULL);

	if (!name || strcmp(name, "C") == 0 || strcmp(name, "POSIX") == 0 ||
	    strncmp(name, "C.", 2) == 0)
		return NULL;
	return name;
}

int cli_call(json_t **result_out, cli_client *c, const char *method, json_t *params,
	     cli_rpc_error *err)
{
	json_t *req = json_pack("{s:s, s:I, s:s}", "jsonrpc", "2.0", "id", ++c->next_id, "method",
				method);
	char *line = NULL;
	size_t len = 0, line_len;
	int rc, outcome = CLI_CALL_TRANSPORT;

	memset(err, 0, sizeof(*err));
	if (req && messages_locale()) {
		/*
		 * The locale the answer is to be in, first: keikakud finds it in
		 * the first bytes of a line too long to read whole, and says so in
		 * that language.  Then the caller's params.
		 */
		json_t *with = json_pack("{s:s}", "locale", messages_locale());

		if (!with || (params && json_object_update_missing(with, params) < 0)) {
			json_decref(with);
			with = NULL;
		}
		/* It takes `with`, even when it fails; without it, out of memory below. */
		if (!with || json_object_set_new(req, "params", with) < 0) {
			json_decref(req);
			req = NULL;
		}
		json_decref(params);
		params = NULL;
	}
	if (!req || (params && json_object_set(req, "params", params) < 0) ||
	    !(line = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
		cli_error("%s", _("out of memory"));
		goto done;
	}
	line_len = strlen(line);
	line[line_len] = '\n'; /* json_dumps() left room: its NUL */

	for (int attempt = 0;; attempt++) {
		if (c->fd < 0 && client_connect(c) < 0)
			goto done;
		if ((rc = send_all(c, line, line_len + 1)) == 0 && (rc = read_line(&len, c)) == 0)
			break;
		/* Reset before the answer: send it again, once, with the same request_id. */
		if (attempt == 0 &&
		    (rc == CONNECTION_CLOSED || rc == -ECONNRESET || rc == -EPIPE)) {
			disconnect(c);
			continue;
		}
		if (rc == CONNECTION_CLOSED)
			cli_error(_("keikakud at '%s' closed the connection without answering"),
				  c->path);
		else if (rc == RESPONSE_TOO_LONG)
			cli_error(_("keikakud at '%s' sent a response longer than %u MiB"), c->path,
				  CLI_RESPONSE_MAX >> 20);
		else
			cli_error(_("cannot talk to keikakud at '%s': %s"), c->path, strerror(-rc));
		disconnect(c);
		goto done;
	}
	outcome = take_response(result_out, c, c->buf, len, c->next_id, err);
	consume_line(c, len);
done:
	free(line);
	json_decref(req);
	json_decref(params);
	return outcome;
}

int cli_request_id(char buf[CLI_REQUEST_ID_SIZE])
{
	unsigned char bytes[16];
	size_t got = 0;

	while (got < sizeof(bytes)) {
		ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(buf + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

/* --- reads every write starts from --- */

int cli_is_commit_id(const char *s)
{
	return s && strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

/* Takes member `name` (an object) and the commit id out of a read's result. */
static int take_read(json_t **doc_out, char *commit_out, cli_client *c, json_t *result,
		     const char *name)
{
	const char *commit = json_string_value(json_object_get(result, "commit"));
	json_t *doc = json_object_get(result, name);

	if (!cli_is_commit_id(commit) || !json_is_object(doc)) {
		bad_response(c, _("the result lacks a commit id or the document"));
		return EXIT_FAIL;
	}
	memcpy(commit_out, commit, 41);
	*doc_out = json_incref(doc);
	return EXIT_OK;
}

int cli_item_get(json_t **item_out, char *commit_out, cli_client *c, json_int_t id, const char *at)
{
	json_t *params = json_pack("{s:I}", "id", id), *result = NULL;
	cli_rpc_error err;
	int outcome, code;

	if (params && at)
		json_object_set_new(params, "at", json_string(at));
	if ((outcome = cli_call(&result, c, "item.get", params, &err)) < 0)
		return cli_call_failed(outcome, &err, NULL);
	code = take_read(item_out, commit_out, c, result, "item");
	json_decref(result);
	return code;
}

int cli_plan_get(json_t **content_out, char *commit_out, cli_client *c, const char *file,
		 const char *at)
{
	json_t *params = json_pack("{s:s}", "file", file), *result = NULL;
	cli_rpc_error err;
	int outcome, code;

	if (params && at)
		json_object_set_new(params, "at", json_string(at));
	if ((outcome = cli_call(&result, c, "plan.get", params, &err)) < 0)
		return cli_call_failed(outcome, &err, NULL);
	code = take_read(content_out, commit_out, c, result, "content");
	json_decref(result);
	return code;
}

int cli_write(json_t **result_out, cli_client *c, const char *method, json_t *params,
	      const cli_view *view, cli_rpc_error *refusal)
{
	cli_rpc_error err;
	int outcome;

	if ((outcome = cli_call(result_out, c, method, params, &err)) < 0) {
		if (refusal && outcome == CLI_CALL_REFUSED &&
		    (err.code == KK_RPC_EFORBIDDEN || err.code == KK_RPC_ECONFLICT ||
		     err.code == KK_RPC_ERULES || err.code == KK_RPC_EINVALID)) {
			*refusal = err;
			return -1;
		}
		return cli_call_failed(outcome, &err, view);
	}
	if (!json_is_object(*result_out) ||
	    !json_is_array(json_object_get(*result_out, "changes"))) {
		json_decref(*result_out);
		*result_out = NULL;
		bad_response(c, _("a write's result needs its changes"));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cli_write_params(json_t *params, const char *reason, int dry_run)
{
	char request_id[CLI_REQUEST_ID_SIZE];

	if (reason && *reason && json_object_set_new(params, "reason", json_string(reason)) < 0)
		return -1;
	if (cli_request_id(request_id) < 0) {
		cli_error(_("cannot make a request id: %s"), strerror(errno));
		return -1;
	}
	if (json_object_set_new(params, "request_id", json_string(request_id)) < 0 ||
	    (dry_run && json_object_set_new(params, "dry_run", json_true()) < 0))
		return -1;
	return 0;
}

typedef struct simple_query_args {
	int json;
} simple_query_args;

const cli_option cli_simple_query_options[] = {
	CLI_OPT_BOOL(0, "json", simple_query_args, json, N_("print keikakud's answer as JSON")),
	CLI_OPT_END(),
};

int cli_simple_query(json_t **result_out, cli_ctx *ctx, const cli_usage *u, const char *method,
		     int argc, char **argv)
{
	simple_query_args args = {0};
	json_t *result = NULL;
	cli_rpc_error err;
	int outcome;

	if ((outcome = cli_parse_options(&argc, argv, u, &args, 0)) != CLI_PARSED)
		return outcome;
	if (argc != 0)
		return cli_usage_error(u->name, _("unexpected argument '%s'"), argv[0]);
	if ((outcome = cli_call(&result, ctx->client, method, NULL, &err)) < 0)
		return cli_call_failed(outcome, &err, NULL);
	if (args.json) {
		json_dumpf(result, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(result);
		return EXIT_OK;
	}
	*result_out = result;
	return -1;
}

int cli_current_head(char *out, cli_client *client)
{
	json_t *result = NULL;
	const char *head;
	cli_rpc_error err;
	int outcome;

	if ((outcome = cli_call(&result, client, "status", NULL, &err)) < 0)
		return cli_call_failed(outcome, &err, NULL);
	head = json_string_value(json_object_get(result, "head"));
	if (!cli_is_commit_id(head)) {
		cli_error("%s", _("keikakud did not say which commit is its head"));
		json_decref(result);
		return EXIT_FAIL;
	}
	memcpy(out, head, 41);
	json_decref(result);
	return EXIT_OK;
}
