/*
 * client.c - a blocking JSON-RPC client for keikakud, and the rendering of
 * what the daemon answers to writes (changes, violations, conflicts) in
 * plan terms.
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
#include "plan.h"

#define READ_CHUNK	  65536
#define CONNECT_TRIES	  20 /* when the daemon's backlog is full (EAGAIN) */
#define VALUE_WIDTH	  40 /* columns of a value shown in a change */
#define TITLE_WIDTH	  30 /* columns of an item's title in a change */
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

/* --- rendering --- */

const json_t *cli_json_path(const json_t *doc, const char *path)
{
	const char *p = path;

	while (doc && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		doc = json_object_getn(doc, p, n);
		p += n + (dot ? 1 : 0);
	}
	return doc;
}

static const json_t *find_item(const cli_view *view, json_int_t id)
{
	size_t i;
	json_t *item;

	if (!view || !view->items)
		return NULL;
	json_array_foreach(view->items, i, item)
		if (json_integer_value(json_object_get(item, "id")) == id)
			return item;
	return NULL;
}

static const char *field_label(const char *field)
{
	const char *label = kk_field_label(field);

	return label ? label : field;
}

/*
 * Where a change or problem is, in plan terms: "026 テレワークの拡大 · 令和3年度
 * 進捗度" for an item's field, "departments.json departments" for a plan file's.
 * `entry` holds "item" or "file".  The caller frees the string.
 */
static void cut_text(FILE *out, const char *s, size_t width);

static char *where(const json_t *entry, const char *path, const cli_view *view)
{
	const json_t *item = json_object_get(entry, "item");
	const char *file = json_string_value(json_object_get(entry, "file"));
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	if (!out)
		return NULL;
	if (!path)
		path = "";
	if (json_is_integer(item)) {
		const char *title = json_string_value(json_object_get(entry, "title"));

		if (!title)
			title = json_string_value(json_object_get(
				find_item(view, json_integer_value(item)), "title"));

		fprintf(out, "%03" JSON_INTEGER_FORMAT, json_integer_value(item));
		if (title) {
			/* Long titles are cut, so that the field and its values still fit. */
			fputc(' ', out);
			cut_text(out, title, TITLE_WIDTH);
		}
		if (strncmp(path, "years.", 6) == 0 && path[6]) {
			const char *year = path + 6, *rest = strchr(year, '.');
			char name[64];

			kk_fy_format(name, sizeof(name), view ? view->settings : NULL, atoi(year));
			fprintf(out, " · %s", name);
			if (rest)
				fprintf(out, " %s", field_label(rest + 1));
		} else if (*path) {
			fprintf(out, " · %s", field_label(path));
		}
	} else if (file && strcmp(file, KK_PATH_SETTINGS) == 0 && strncmp(path, "years.", 6) == 0 &&
		   path[6]) {
		/* A year of the plan as the report names it: "keikaku.json · 令和3年度". */
		const char *rest = strchr(path + 6, '.');
		char name[64];

		kk_fy_format(name, sizeof(name), view ? view->settings : NULL, atoi(path + 6));
		fprintf(out, "%s · %s", file, name);
		if (rest)
			fprintf(out, " %s", rest + 1);
	} else if (file) {
		fputs(file, out);
		if (*path)
			fprintf(out, " %s", path);
	} else {
		fputs(path, out);
	}
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* Writes `s` on one line, cut to VALUE_WIDTH columns. */
static void short_text(FILE *out, const char *s)
{
	char *flat = strdup(s), *text = NULL;
	size_t size = 0;
	FILE *m;

	if (!flat) {
		fputs(s, out);
		return;
	}
	for (char *p = flat; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	if (render_width(flat) <= VALUE_WIDTH || !(m = open_memstream(&text, &size))) {
		fputs(flat, out);
		free(flat);
		return;
	}
	render_fitted(m, flat, VALUE_WIDTH);
	if (fclose(m) == 0) {
		while (size > 0 && text[size - 1] == ' ')
			text[--size] = '\0';
		fputs(text, out);
	}
	free(text);
	free(flat);
}

char *cli_value_text(const char *path, const json_t *v)
{
	const char *field = path ? strrchr(path, '.') : NULL;
	const char *s = json_string_value(v), *shown = NULL;
	char *text = NULL;
	size_t size = 0, i;
	json_t *e;
	FILE *m;
	int strings = json_is_array(v);

	field = field ? field + 1 : path ? path : "";
	if (!v)
		return strdup(_("(none)"));
	if (s) {
		if (strcmp(field, "progress") == 0)
			shown = kk_progress_mark(s);
		else if (strcmp(field, "achievement") == 0 || strcmp(field, "status") == 0)
			shown = kk_achievement_label(s);
		return strdup(shown ? shown : s);
	}
	json_array_foreach(v, i, e)
		strings &= json_is_string(e);
	if (!strings)
		return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	if (!json_array_size(v))
		return strdup(_("(none)"));
	if (!(m = open_memstream(&text, &size)))
		return NULL;
	json_array_foreach(v, i, e)
		fprintf(m, "%s%s", i ? "、" : "", json_string_value(e));
	if (fclose(m) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* A field's value as the report writes it, on one line and cut short. */
static void value_text(FILE *out, const char *path, const json_t *v)
{
	char *text = cli_value_text(path, v);

	short_text(out, text ? text : "?");
	free(text);
}

void cli_print_field(FILE *out, const char *path, const json_t *value, const cli_view *view)
{
	if (strncmp(path, "years.", 6) == 0 && path[6]) {
		const char *year = path + 6, *rest = strchr(year, '.');
		char name[64];

		kk_fy_format(name, sizeof(name), view ? view->settings : NULL, atoi(year));
		fputs(name, out);
		if (rest)
			fprintf(out, " %s", field_label(rest + 1));
	} else {
		fputs(field_label(path), out);
	}
	fputs(": ", out);
	value_text(out, path, value);
	fputc('\n', out);
}

/* A value as value_text() writes it, in a new string; NULL when out of memory. */
static char *value_string(const char *path, const json_t *v)
{
	char *text = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&text, &size);

	if (!m)
		return NULL;
	value_text(m, path, v);
	if (fclose(m) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* Writes `s` cut to `width` columns, without padding it. */
static void cut_text(FILE *out, const char *s, size_t width)
{
	char *text = NULL;
	size_t size = 0;
	FILE *m;

	if (render_width(s) <= width || !(m = open_memstream(&text, &size))) {
		fputs(s, out);
		return;
	}
	render_fitted(m, s, width);
	if (fclose(m) == 0) {
		while (size > 0 && text[size - 1] == ' ')
			text[--size] = '\0';
		fputs(text, out);
	}
	free(text);
}

void cli_print_changes(FILE *out, const char *prefix, const json_t *changes, const cli_view *view)
{
	size_t cols = render_columns(), i;
	json_t *c;

	if (cols < 40)
		cols = 40;
	json_array_foreach(changes, i, c) {
		const char *path = json_string_value(json_object_get(c, "path"));
		char *w = where(c, path, view);
		char *old = value_string(path, json_object_get(c, "old"));
		char *new = value_string(path, json_object_get(c, "new"));
		size_t pw = render_width(prefix), ww = render_width(w ? w : "?");

		if (!old || !new) {
			fprintf(out, "%s%s\n", prefix, w ? w : "?");
		} else if (pw + ww + 2 + render_width(old) + 3 + render_width(new) <= cols) {
			fprintf(out, "%s%s: %s → %s\n", prefix, w ? w : "?", old, new);
		} else {
			/* Too wide for one line: the field, then both values, each cut to half. */
			size_t half = (cols - pw - 4 - 3) / 2;

			fprintf(out, "%s%s:\n%s    ", prefix, w ? w : "?", prefix);
			cut_text(out, old, half);
			fputs(" → ", out);
			cut_text(out, new, half);
			fputc('\n', out);
		}
		free(old);
		free(new);
		free(w);
	}
}

/* The conflicting fields, as the daemon gives them: paths, or objects with item and path. */
static size_t print_conflict(FILE *out, const char *prefix, const json_t *conflict,
			     const cli_view *view)
{
	const json_t *fields = json_object_get(conflict, "fields");
	size_t i, n = 0;
	json_t *f;

	json_array_foreach(fields, i, f) {
		json_t *entry = json_is_object(f) ? json_incref(f)
						  : json_pack("{s:O?}", "item",
							      json_object_get(conflict, "item"));
		const char *path = json_is_string(f)
					   ? json_string_value(f)
					   : json_string_value(json_object_get(f, "path"));
		char *w = where(entry, path, view);

		fprintf(out, _("%s%s: changed since your base commit\n"), prefix, w ? w : "?");
		free(w);
		json_decref(entry);
		n++;
	}
	return n;
}

/*
 * The lines of a co-owned text a violation says to keep (rule 6), each with
 * who wrote it, those the new text lost marked: the user sees what they
 * would have erased.
 */
static void print_kept_lines(FILE *out, const char *prefix, const json_t *keep)
{
	size_t i;
	json_t *line;

	if (!json_array_size(keep))
		return;
	fprintf(out, "%s  %s\n", prefix,
		_("lines to keep, with who wrote them ('-': your text leaves it out or moves it):"));
	json_array_foreach(keep, i, line) {
		const char *author = json_string_value(json_object_get(line, "author"));
		const char *text = json_string_value(json_object_get(line, "text"));

		if (author && strcmp(author, "admin") == 0)
			author = _("admin");
		fprintf(out, "%s  %s %s: %s\n", prefix,
			json_is_true(json_object_get(line, "missing")) ? "-" : " ",
			author ? author : "?", text ? text : "");
	}
}

size_t cli_print_problems(FILE *out, const char *prefix, const json_t *data, const cli_view *view)
{
	const json_t *conflict = json_object_get(data, "conflict");
	size_t i, n = 0;
	json_t *v;

	json_array_foreach(json_object_get(data, "violations"), i, v) {
		const char *message = json_string_value(json_object_get(v, "message"));
		char *w = where(v, json_string_value(json_object_get(v, "path")), view);

		if (w && *w)
			fprintf(out, "%s%s: %s\n", prefix, w, message ? message : "?");
		else
			fprintf(out, "%s%s\n", prefix, message ? message : "?");
		print_kept_lines(out, prefix, json_object_get(v, "keep"));
		free(w);
		n++;
	}
	json_array_foreach(json_object_get(data, "errors"), i, v) {
		const char *file = json_string_value(json_object_get(v, "file"));
		const char *pointer = json_string_value(json_object_get(v, "pointer"));
		const char *message = json_string_value(json_object_get(v, "message"));

		fprintf(out, "%s%s: %s: %s\n", prefix, file ? file : "?",
			pointer && *pointer ? pointer : "/", message ? message : "?");
		n++;
	}
	/* A conflict error's data is the conflict; a dry run's result carries it as "conflict". */
	n += print_conflict(out, prefix, json_is_object(conflict) ? conflict : data, view);
	return n;
}

int cli_rpc_report(const cli_rpc_error *err, const cli_view *view)
{
	const char *cause = json_string_value(json_object_get(err->data, "cause"));

	/* The system's reason a write failed (a full disk), in the user's language. */
	if (cause)
		cli_error("%s: %s", err->message ? err->message : "?", cause);
	else
		cli_error("%s", err->message ? err->message : "?");
	cli_print_problems(stderr, "  ", err->data, view);
	switch (err->code) {
	case KK_RPC_EFORBIDDEN:
	case KK_RPC_ECONFLICT:
	case KK_RPC_ERULES:
	case KK_RPC_EINVALID: return EXIT_NO;
	default: return EXIT_FAIL;
	}
}

int cli_call_failed(int outcome, cli_rpc_error *err, const cli_view *view)
{
	int code = EXIT_FAIL;

	if (outcome == CLI_CALL_REFUSED)
		code = cli_rpc_report(err, view);
	cli_rpc_error_clear(err);
	return code;
}

int cli_print_write_result(const json_t *result, int dry_run, const char *summary,
			   const cli_view *view)
{
	const char *commit = json_string_value(json_object_get(result, "commit"));
	const json_t *changes = json_object_get(result, "changes");

	if (dry_run) {
		char *problems = NULL;
		size_t size = 0, n;
		FILE *m = open_memstream(&problems, &size);

		puts(_("dry run: nothing committed"));
		if (summary)
			puts(summary);
		else if (json_array_size(changes))
			cli_print_changes(stdout, "", changes, view);
		else
			puts(_("no changes"));
		if (!m)
			return EXIT_FAIL;
		n = cli_print_problems(m, "  ", result, view);
		fclose(m);
		if (n) {
			puts(_("would be refused:"));
			fputs(problems, stdout);
		}
		free(problems);
		return n ? EXIT_NO : EXIT_OK;
	}
	if (!commit) {
		puts(_("no changes; nothing committed"));
		return EXIT_OK;
	}
	printf(_("committed %.10s\n"), commit);
	if (summary)
		puts(summary);
	else
		cli_print_changes(stdout, "", changes, view);
	return EXIT_OK;
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
