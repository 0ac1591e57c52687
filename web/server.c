/*
 * server.c - keikaku serve's HTTP side (web.h), on libmicrohttpd: its
 * thread pool, the limits on connections, request size and idle time, the
 * methods (GET and HEAD; 405 for any other), the language and format a
 * request asks for, the response cache and ETags, and the headers every
 * response carries.  The pages are page.c's.
 *
 * Each worker borrows a repository handle from a pool of as many as there
 * are workers (libgit2 handles are not shared between threads), and reads
 * HEAD on every request: the cache key has HEAD's commit in it (and the
 * refs, for a URL that names one), so a new commit makes new pages and the
 * old ones age out.
 */
#include "web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <locale.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "cache.h"
#include "deadline.h"
#include "i18n.h"
#include "page.h"
#include "query.h"
#include "workers.h"

/*
 * No script, no frame, nothing fetched from elsewhere: styles are inline
 * (the report's page is one self-contained document, with style attributes
 * on its columns), images only the report's inline SVG.
 */
#define KW_CSP                                                                                     \
	"default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "       \
	"base-uri 'none'; frame-ancestors 'none'"

/* The seconds a 503 asks a client to wait: about the time a few costly pages take. */
#define KW_RETRY_AFTER "10"

struct kw_server {
	struct MHD_Daemon *mhd;
	kw_deadline *deadline; /* for a request's line and headers */
	kw_options opts;
	char *repo;
	kw_cache *cache;
	locale_t ja, en;
	kk_store *head_store; /* for reading HEAD alone, under head_lock */
	pthread_mutex_t head_lock;
	kw_workers *workers; /* who makes the pages */
};

/* --- what the request asks for --- */

typedef struct collected {
	kw_request *req;
	size_t bytes;
	int too_many;
} collected;

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	collected *c = cls;

	c->bytes += strlen(key) + (value ? strlen(value) : 0) + 2;
	if (c->req->nparams == KW_MAX_PARAMS) {
		c->too_many = 1;
		return MHD_NO;
	}
	c->req->params[c->req->nparams].name = key;
	c->req->params[c->req->nparams].value = value ? value : "";
	c->req->nparams++;
	return MHD_YES;
}

/*
 * A weight (RFC 9110 12.4.2: "0", "0.5", "1.000") in thousandths, or -1 when it is none.
 * By hand: strtod would follow the process's LC_NUMERIC, where "0.5" may be 0.
 */
static int qvalue(const char *s, size_t n)
{
	int q = 0, digits = 0;

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!n || (s[0] != '0' && s[0] != '1') || (n > 1 && (s[1] != '.' || n > 5)))
		return -1;
	for (size_t i = 2; i < n; i++, digits++) {
		if (s[i] < '0' || s[i] > '9' || (s[0] == '1' && s[i] != '0'))
			return -1;
		q = q * 10 + (s[i] - '0');
	}
	while (digits++ < 3)
		q *= 10;
	return s[0] == '1' ? 1000 : q;
}

/*
 * The next element of a list of weighted values (Accept, Accept-Language) at *p: the
 * value without its parameters (`*value`, `*len`) and its q in thousandths (1000 when it
 * has none, -1 when its q is malformed).  Returns 0 at the end of the list.
 */
static int next_weighted(const char **p, const char **value, size_t *len, int *q)
{
	const char *s = *p + strspn(*p, " \t,"), *param;
	size_t n = strcspn(s, ","), v = strcspn(s, ";,");

	if (!*s)
		return 0;
	*value = s;
	while (v && (s[v - 1] == ' ' || s[v - 1] == '\t'))
		v--;
	*len = v;
	*q = 1000;
	for (param = s + strcspn(s, ";,"); param < s + n && *param == ';';) {
		size_t m;

		param += 1 + strspn(param + 1, " \t");
		m = strcspn(param, ";,");
		if (m >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=')
			*q = qvalue(param + 2, m - 2);
		param += m;
	}
	*p = s + n;
	return 1;
}

/*
 * English when Accept-Language ranks English above Japanese: "en-GB,en;q=0.8",
 * "ja;q=0.5, en"; Japanese by default and on a tie.
 */
static int wants_english(const char *header)
{
	const char *tag;
	size_t len;
	int q, ja = 0, en = 0;

	while (header && next_weighted(&header, &tag, &len, &q)) {
		size_t primary = strcspn(tag, "-;, \t");

		if (primary == 2 && primary <= len && strncasecmp(tag, "ja", 2) == 0 && q > ja)
			ja = q;
		else if (primary == 2 && primary <= len && strncasecmp(tag, "en", 2) == 0 && q > en)
			en = q;
	}
	return en > ja;
}

static int is_range(const char *range, size_t len, const char *name)
{
	return len == strlen(name) && strncasecmp(range, name, len) == 0;
}

/*
 * JSON when Accept ranks application/json above text/html (RFC 9110 12.5.1): each type
 * weighs what its most specific range says (the type itself, then "application/" or
 * "text/" with a star, then the star of any type); q=0 is "not acceptable", and so is a
 * type no range names.  HTML by default and on a tie, as for a browser's "text/html, ...,
 * any;q=0.8" or curl's "any".
 */
static int wants_json(const char *accept)
{
	/* The weight of each type by how specific the range that named it is: -1, none. */
	int json[3] = {-1, -1, -1}, html[3] = {-1, -1, -1};
	const char *range;
	size_t len;
	int q, j, h;

	while (accept && next_weighted(&accept, &range, &len, &q)) {
		if (q < 0)
			continue;
		if (is_range(range, len, "application/json"))
			json[0] = q > json[0] ? q : json[0];
		else if (is_range(range, len, "application/*"))
			json[1] = q > json[1] ? q : json[1];
		else if (is_range(range, len, "text/html"))
			html[0] = q > html[0] ? q : html[0];
		else if (is_range(range, len, "text/*"))
			html[1] = q > html[1] ? q : html[1];
		else if (is_range(range, len, "*/*"))
			json[2] = html[2] = q > json[2] ? q : json[2];
	}
	j = json[0] >= 0 ? json[0] : json[1] >= 0 ? json[1] : json[2];
	h = html[0] >= 0 ? html[0] : html[1] >= 0 ? html[1] : html[2];
	return j > 0 && j > h;
}

/* --- answers --- */

static void add_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Security-Policy", KW_CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(r, "Vary", "Accept, Accept-Language");
}

/* Sends `r` (NULL: out of memory); with `etag`, a page that may be cached; a 503 says when. */
static enum MHD_Result send_response(struct MHD_Connection *conn, struct MHD_Response *r,
				     int status, const char *type, const char *etag)
{
	enum MHD_Result ok;

	if (!r)
		return MHD_NO;
	add_headers(r);
	if (type)
		MHD_add_response_header(r, "Content-Type", type);
	if (etag) {
		MHD_add_response_header(r, "ETag", etag);
		/* HEAD moves: a cached copy is checked again before it is shown. */
		MHD_add_response_header(r, "Cache-Control", "no-cache");
	} else {
		MHD_add_response_header(r, "Cache-Control", "no-store");
	}
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, "Retry-After", KW_RETRY_AFTER);
	ok = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	return ok;
}

/* Sends a copy of `len` bytes at `body`, as send_response(). */
static enum MHD_Result send_buffer(struct MHD_Connection *conn, int status, const char *type,
				   const char *body, size_t len, const char *etag)
{
	return send_response(
		conn, MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY),
		status, type, etag);
}

static void release_body(void *body)
{
	kw_body_unref(body);
}

/*
 * Sends a page as it was made, without a copy: the response holds a reference to it until
 * it is sent.  Only a 200 has an ETag: a precondition is for a page (RFC 9110 13.2.1).
 */
static enum MHD_Result send_body(struct MHD_Connection *conn, kw_body *body, const char *etag)
{
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback_cls(
		body->len, body->data, release_body, kw_body_ref(body));

	if (!r)
		kw_body_unref(body);
	return send_response(conn, r, body->status, body->type,
			     body->status == MHD_HTTP_OK ? etag : NULL);
}

/* A plain error before any page is made: no repository read, no translation needed. */
static enum MHD_Result send_plain(struct MHD_Connection *conn, int status, const char *text)
{
	return send_buffer(conn, status, "text/plain; charset=utf-8", text, strlen(text), NULL);
}

/*
 * True when what parameter `name`'s `value` means depends on refs besides HEAD: a
 * revision named by a tag (fy2021 is one once the year is closed) or a branch, and a
 * commit named by its id, full or not, which is a revision only while a branch or a tag
 * holds it (kk_rev_resolve): a page asked for at it is no page once its branch is
 * deleted.  @DATE (a time on HEAD's history), and a date given to since or until,
 * depend on HEAD alone; a date given to at, from or to is looked up as a ref too.
 */
static int names_ref(const char *name, const char *value)
{
	static const char *const revisions[] = {"at", "from", "to", "since", "until"};
	int revision = 0;

	for (size_t i = 0; i < sizeof(revisions) / sizeof(*revisions); i++)
		revision |= strcmp(name, revisions[i]) == 0;
	if (!revision || (value[0] == '@' && value[1] >= '0' && value[1] <= '9'))
		return 0;
	/* A date is one only to since and until; at, from and to look it up as a ref. */
	return !(name[0] == 's' || name[0] == 'u') || strlen(value) != 10 ||
	       strspn(value, "0123456789-") != 10 || value[4] != '-';
}

static int append_ref(git_reference *ref, void *payload)
{
	kk_buf *b = payload;
	const git_oid *target = git_reference_target(ref);

	kk_buf_printf(b, "%s %s\n", git_reference_name(ref),
		      target ? git_oid_tostr_s(target) : git_reference_symbolic_target(ref));
	git_reference_free(ref);
	return 0;
}

/*
 * The cache key's hash, hex and as bytes: SHA-1 of what a page is a function of.  That is
 * HEAD's commit, the URL, the language and the format; and when the URL names a revision
 * by a ref or a commit id (at=fy2022, from=v1, to=3f2a...), every ref and its target, so
 * that a tag created or moved while HEAD stays (pushed to a mirror, a year closed), or a
 * branch deleted, makes a new page.  Returns 0, or -1
 * when memory or the refs cannot be read.
 */
static int make_key(unsigned char key[20], char etag[48], kw_server *s, const kw_request *req,
		    const char *url)
{
	kk_buf b = {0};
	git_oid oid;
	int error, refs = 0;

	/* Each name and value after its length: "item=2&fy=2021" is no value of item. */
	kk_buf_printf(&b, "%s\n%zu:%s\n", req->head_hex, strlen(url), url);
	for (size_t i = 0; i < req->nparams; i++) {
		kk_buf_printf(&b, "%zu:%s%zu:%s", strlen(req->params[i].name), req->params[i].name,
			      strlen(req->params[i].value), req->params[i].value);
		refs |= names_ref(req->params[i].name, req->params[i].value);
	}
	kk_buf_printf(&b, "\n%s\n%s\n", req->english ? "en" : "ja", req->json ? "json" : "html");
	if (refs) {
		pthread_mutex_lock(&s->head_lock);
		error = git_reference_foreach(kk_store_repository(s->head_store), append_ref, &b);
		pthread_mutex_unlock(&s->head_lock);
		if (error < 0)
			b.failed = 1;
	}
	if (b.failed) {
		kk_buf_clear(&b);
		return -1;
	}
	error = git_odb_hash(&oid, b.data, b.len, GIT_OBJECT_BLOB);
	kk_buf_clear(&b);
	if (error < 0)
		return -1;
	memcpy(key, oid.id, 20);
	snprintf(etag, 48, "\"%.20s\"", git_oid_tostr_s(&oid));
	return 0;
}

/*
 * libmicrohttpd's unescaping of the path and the query, except that "%00"
 * becomes a byte that is no UTF-8 (0xFF) rather than a NUL, which would
 * end the C string there: "/items/26%00/../x" was item 26, and a value
 * cut short at a NUL passed for the value before it.  A path or a
 * parameter holding it is now refused as any bad one is.
 */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *uri)
{
	size_t len = MHD_http_unescape(uri);

	(void)cls;
	(void)conn;
	for (char *nul = memchr(uri, '\0', len); nul;
	     nul = memchr(nul, '\0', len - (size_t)(nul - uri)))
		*nul = (char)0xFF;
	return len;
}

/*
 * What is wrong with a request whose headers are in, before anything more is read: an
 * HTTP/1.1 request without Host (RFC 9112 3.2), and a body, which no GET or HEAD needs
 * (answering now is what keeps libmicrohttpd from reading it, and the connection is
 * closed after the answer).  Returns the status with its text, or 0.
 */
static int refused(struct MHD_Connection *conn, const char *version, const char **text)
{
	const char *length =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (strncmp(version, "HTTP/1.", 7) == 0 && strcmp(version, MHD_HTTP_VERSION_1_0) != 0 &&
	    !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)) {
		*text = "400 an HTTP/1.1 request names its Host\n";
		return MHD_HTTP_BAD_REQUEST;
	}
	if ((length && strspn(length, "0") != strlen(length)) ||
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		*text = "413 a GET or HEAD request has no body\n";
		return MHD_HTTP_CONTENT_TOO_LARGE;
	}
	return 0;
}

/* Appends `s` with what would make a trace line ambiguous as %XX. */
static void trace_put(kk_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c == 0x7f || c == 0xff || strchr("%&=?", c))
			kk_buf_printf(b, "%%%02X", c);
		else
			kk_buf_put(b, s, 1);
	}
}

/*
 * With kw_options.trace (KEIKAKU_SERVE_TRACE), a line on stderr for each page made, and
 * each handed over from a request that made it: "keikaku serve: made 200 /log?dept=X ja
 * html 12 ms".  What the tests of the cache and its flights count.
 */
static void trace(const kw_server *s, const char *what, const kw_request *req, int status, long ms)
{
	kk_buf b = {0};

	if (!s->opts.trace)
		return;
	trace_put(&b, req->path);
	for (size_t i = 0; i < req->nparams; i++) {
		kk_buf_put(&b, i ? "&" : "?", 1);
		trace_put(&b, req->params[i].name);
		kk_buf_put(&b, "=", 1);
		trace_put(&b, req->params[i].value);
	}
	fprintf(stderr, "keikaku serve: %s %d %s %s %s %ld ms\n", what, status,
		b.data ? b.data : "", req->english ? "en" : "ja", req->json ? "json" : "html", ms);
	kk_buf_clear(&b);
}

/* Makes the page of `req`; returns it (a reference), or NULL when memory ran out. */
static kw_body *make_body(kw_server *s, kw_request *req)
{
	kw_response res = {0};
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	kw_workers_make(s->workers, req, &res);
	if (res.body.failed || !res.type) {
		kk_buf_clear(&res.body);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	trace(s, "made", req, res.status,
	      (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	return kw_body_new(&res.body, res.type, res.status);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_size, void **con_cls)
{
	static int first_call;
	kw_server *s = cls;
	kw_request req = {0};
	collected col = {&req, 0, 0};
	unsigned char key[20];
	char etag[48];
	int error, found, stored, share, keep;
	enum MHD_Result ok;
	kk_diag diag = {0};
	kw_body *body = NULL;
	kw_flight *flight = NULL;
	const char *type = NULL, *if_none_match;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return send_plain(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "405 method not allowed: this server only reads\n");
	if (!*con_cls) { /* the headers are in, no body is read yet */
		*con_cls = &first_call;
		kw_deadline_request(conn);
		return (error = refused(conn, version, &type)) != 0 ? send_plain(conn, error, type)
								    : MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_param, &col);
	if (col.too_many || strlen(url) + col.bytes > KW_MAX_URL)
		return send_plain(conn, MHD_HTTP_URI_TOO_LONG,
				  "414 the address is too long or has too many parameters\n");
	req.path = url;
	req.english = wants_english(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
								MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
	req.json = wants_json(
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT));
	req.utc_offset = s->opts.utc_offset;
	req.use_history_cache = s->opts.use_history_cache;
	req.query_ms = s->opts.query_ms == KW_ZERO ? 0 : s->opts.query_ms;

	/* HEAD, on a handle of its own: a cached page never waits for a page being made. */
	pthread_mutex_lock(&s->head_lock);
	error = kk_store_resolve(&req.head, s->head_store, NULL, &diag);
	pthread_mutex_unlock(&s->head_lock);
	if (error < 0)
		return send_plain(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "500 the repository has no HEAD commit\n");
	git_oid_tostr(req.head_hex, sizeof(req.head_hex), &req.head);
	if (make_key(key, etag, s, &req, url) < 0)
		return send_plain(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "500 out of memory, or the refs cannot be read\n");
	/*
	 * An ETag is only given with a page (200), and a page is a function of its key, so
	 * naming the key's is asking again for that page: 304 at once, even while the page
	 * is being made, unless the cache holds the key's answer as no page (a 400, a 404:
	 * a precondition is for a page, RFC 9110 13.2.1).  "*" asks about any page, which
	 * only the answer's status tells.
	 */
	if_none_match =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (if_none_match && strstr(if_none_match, etag) &&
	    ((stored = kw_cache_status(s->cache, key)) == 0 || stored == MHD_HTTP_OK))
		return send_buffer(conn, MHD_HTTP_NOT_MODIFIED, NULL, "", 0, etag);

	/*
	 * From the cache; or, while another request makes the same page, waited for (holding
	 * no handle and no costly turn); or made.  A page made is handed to those that waited
	 * unless it is a 500, and kept when it is as stable per key as a page is: a 400 or a
	 * 404 made from the repository is.  A 503 (the costly line full, the query's time up)
	 * goes to those that waited, but is never kept.
	 */
	if (!(found = kw_cache_get(s->cache, key, &body, &flight))) {
		body = make_body(s, &req);
		share = body && body->status != MHD_HTTP_INTERNAL_SERVER_ERROR;
		keep = share &&
		       (body->status == MHD_HTTP_OK || body->status == MHD_HTTP_BAD_REQUEST ||
			body->status == MHD_HTTP_NOT_FOUND);
		if (flight)
			kw_cache_land(s->cache, flight, share ? body : NULL, keep);
		else if (keep)
			kw_cache_put(s->cache, key, body);
		if (!body)
			return send_plain(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
					  "500 out of memory\n");
	} else if (found == 2) {
		trace(s, "shared", &req, body->status, 0);
	}
	ok = body->status == MHD_HTTP_OK && if_none_match && strcmp(if_none_match, "*") == 0
		     ? send_buffer(conn, MHD_HTTP_NOT_MODIFIED, NULL, "", 0, etag)
		     : send_body(conn, body, etag);
	kw_body_unref(body);
	return ok;
}

/* --- the server --- */

int kw_listen_parse(kw_options *opts, char *host_buf, size_t size, const char *text, kk_diag *diag)
{
	const char *colon = strrchr(text, ':'), *host = text;
	size_t host_len;
	char *end;
	unsigned long port = KW_DEFAULT_PORT;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || (close[1] && close[1] != ':'))
			return kk_diag_set(diag, KK_EINVALID, _("'%s' is not ADDR:PORT"), text);
		host = text + 1;
		host_len = (size_t)(close - host);
		colon = close[1] == ':' ? close + 1 : NULL;
	} else if (colon && strchr(text, ':') != colon) {
		colon = NULL; /* a bare IPv6 address */
		host_len = strlen(text);
	} else {
		host_len = colon ? (size_t)(colon - text) : strlen(text);
	}
	if (colon) {
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (!colon[1] || *end || errno || port > 65535 || colon[1] == '-' ||
		    colon[1] == '+')
			return kk_diag_set(diag, KK_EINVALID, _("'%s' is not a port"), colon + 1);
	}
	if (host_len >= size)
		return kk_diag_set(diag, KK_EINVALID, _("'%s' is not ADDR:PORT"), text);
	memcpy(host_buf, host, host_len);
	host_buf[host_len] = '\0';
	opts->host = host_len ? host_buf : NULL;
	opts->port = (unsigned)port;
	opts->any_port = port == 0;
	return 0;
}

static void free_server(kw_server *s)
{
	kw_deadline_stop(s->deadline);
	kw_workers_free(s->workers);
	kk_store_free(s->head_store);
	pthread_mutex_destroy(&s->head_lock);
	kw_cache_free(s->cache);
	if (s->ja)
		freelocale(s->ja);
	if (s->en)
		freelocale(s->en);
	free(s->repo);
	free(s);
}

/* The locales pages are made in: English is the messages' own text ("C"). */
static int make_locales(kw_server *s, kk_diag *diag)
{
	locale_t base = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);

	if (!base)
		base = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (!base || !(s->en = newlocale(LC_MESSAGES_MASK, "C", base))) {
		if (base)
			freelocale(base);
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	}
	s->ja = newlocale(LC_ALL_MASK, s->opts.ja_locale ? s->opts.ja_locale : "ja_JP.UTF-8",
			  (locale_t)0);
	if (!s->ja)
		return kk_diag_set(diag, KK_ENOTFOUND,
				   _("the locale %s is not installed: Japanese pages need it"),
				   s->opts.ja_locale ? s->opts.ja_locale : "ja_JP.UTF-8");
	return 0;
}

static int bind_address(struct sockaddr_storage *ss, const kw_options *o, kk_diag *diag)
{
	const char *host = o->host ? o->host : "127.0.0.1";
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	unsigned port = o->any_port ? 0 : o->port ? o->port : KW_DEFAULT_PORT;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		return 1;
	}
	return kk_diag_set(diag, KK_EINVALID, _("'%s' is not an IP address"), host);
}

/*
 * As many workers as CPUs (2 to 8): a worker is busy for a whole page, and each keeps a
 * repository handle and HEAD's history (about 10 MiB on a 100,000-commit history).
 */
static unsigned default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 2 ? 2 : n > 8 ? 8 : (unsigned)n;
}

int kw_server_start(kw_server **out, const kw_options *opts, kk_diag *diag)
{
	kw_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage addr;
	/*
	 * A thread for each connection (up to the limit): a page that takes seconds (a
	 * department's whole trail on a long history) holds its own connection and one
	 * repository handle, not every connection a pooled thread would also serve.
	 */
	unsigned flags =
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_AUTO;
	int error, v6;

	if (!s)
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	pthread_mutex_init(&s->head_lock, NULL);
	s->opts = *opts;
	if (!s->opts.query_ms)
		s->opts.query_ms = KW_DEFAULT_QUERY_MS;
	s->opts.threads = opts->threads ? opts->threads : default_threads();
	if (!(s->repo = strdup(opts->repo)) ||
	    !(s->cache = kw_cache_new(opts->cache_bytes ? opts->cache_bytes
							: KW_DEFAULT_CACHE_BYTES))) {
		error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
		goto fail;
	}
	s->opts.repo = s->repo;
	if ((error = make_locales(s, diag)) < 0 ||
	    (error = kw_workers_new(&s->workers, s->repo, s->opts.threads,
				    opts->costly_pages == KW_ZERO ? 0
				    : opts->costly_pages	  ? opts->costly_pages
								  : KW_DEFAULT_COSTLY_PAGES,
				    opts->costly_queue == KW_ZERO ? 0
				    : opts->costly_queue	  ? opts->costly_queue
								  : KW_DEFAULT_COSTLY_QUEUE,
				    s->ja, s->en, diag)) < 0 ||
	    (error = kk_store_discover(&s->head_store, s->repo, diag)) < 0)
		goto fail;
	if ((v6 = error = bind_address(&addr, &s->opts, diag)) < 0)
		goto fail;
	if (v6)
		flags |= MHD_USE_IPv6;
	/* The idle timeout is also the time a request's line and headers may take in all. */
	if ((error = kw_deadline_start(&s->deadline,
				       s->opts.timeout ? s->opts.timeout : KW_DEFAULT_TIMEOUT,
				       diag)) < 0)
		goto fail;
	s->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, answer, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_CONNECTION_LIMIT,
		s->opts.connections ? s->opts.connections : KW_DEFAULT_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		s->opts.per_ip ? s->opts.per_ip : KW_DEFAULT_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT,
		s->opts.timeout ? s->opts.timeout : KW_DEFAULT_TIMEOUT,
		/* The request line and headers: a longer one is refused by libmicrohttpd. */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384, MHD_OPTION_UNESCAPE_CALLBACK,
		unescape, NULL, MHD_OPTION_NOTIFY_CONNECTION, kw_deadline_connection, s->deadline,
		MHD_OPTION_NOTIFY_COMPLETED, kw_deadline_completed, NULL, MHD_OPTION_END);
	if (!s->mhd) {
		error = kk_diag_set(diag, KK_EIO, _("cannot listen on %s port %u"),
				    s->opts.host ? s->opts.host : "127.0.0.1",
				    s->opts.any_port ? 0
				    : s->opts.port   ? s->opts.port
						     : KW_DEFAULT_PORT);
		kk_diag_set_errno(diag, errno);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	free_server(s);
	return error;
}

unsigned kw_server_port(const kw_server *s)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);

	return info ? info->port : 0;
}

void kw_server_stop(kw_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->mhd);
	free_server(s);
}
