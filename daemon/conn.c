/*
 * conn.c - keikakud's connections, on the loop thread: accepting one and
 * learning its peer, reading its lines, handing them to its JSON-RPC
 * (request.c, which checks them and answers what is wrong), dispatching
 * the calls to status, the read workers and the writer, and writing the
 * answers.
 *
 * Every libuv handle is closed with uv_close and freed in its close
 * callback.  A connection lives until its pipe, idle timer and resume
 * handle are closed, the lookup of its peer is done and every call it made
 * has been answered; each holds a reference.
 *
 * Back-pressure: a connection is read no further while it has too many
 * calls unanswered (notifications too) or too many answer bytes unsent;
 * the lines already read wait in its read buffer, and the read resumes as
 * answers go out.  Each loop iteration takes at most KD_LINES_PER_TURN lines
 * from one connection, then yields to the others through an idle handle.
 * The peer's uid and gid come from the kernel as it connects; its names and
 * groups from the passwd and group databases on libuv's thread pool
 * (peer.c), and the connection is read only once they are there.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "conn.h"
#include "i18n.h"
#include "json.h"
#include "log.h"
#include "peer.h"

/*
 * The count of `uid`'s admitted connections, made when `create`; NULL if
 * none.  A list of the users connected, not a walk of every connection: a
 * flood keeps thousands of refused ones closing at a time.
 */
static kd_user_conns *user_conns(kd_server *s, uid_t uid, int create)
{
	kd_user_conns *u;

	for (u = s->users; u; u = u->next)
		if (u->uid == uid)
			return u;
	if (!create || !(u = calloc(1, sizeof(*u))))
		return NULL;
	u->uid = uid;
	u->next = s->users;
	s->users = u;
	return u;
}

/* The language `uid` last named, or NULL. */
static struct kd_user_locale *user_locale(kd_server *s, uid_t uid)
{
	for (size_t i = 0; i < KD_USER_LOCALES; i++)
		if (s->user_locales[i].locale[0] && s->user_locales[i].uid == uid)
			return &s->user_locales[i];
	return NULL;
}

/*
 * Remembers `locale` ("": nothing), the language a line of `uid`'s named,
 * as that user's, in place of the oldest user's when full.
 */
static void remember_locale(kd_server *s, uid_t uid, const char *locale)
{
	struct kd_user_locale *u = user_locale(s, uid);

	if (!locale[0] || (u && strcmp(u->locale, locale) == 0))
		return;
	if (!u) {
		u = &s->user_locales[s->user_locale_next++ % KD_USER_LOCALES];
		u->uid = uid;
	}
	snprintf(u->locale, sizeof(u->locale), "%s", locale);
}

/* One admitted connection of `uid` fewer. */
static void user_conns_drop(kd_server *s, uid_t uid)
{
	for (kd_user_conns **p = &s->users; *p; p = &(*p)->next) {
		if ((*p)->uid == uid) {
			if (--(*p)->admitted == 0) {
				kd_user_conns *u = *p;

				*p = u->next;
				free(u);
			}
			return;
		}
	}
}

static void conn_unref(kd_conn *c)
{
	if (--c->refs > 0)
		return;
	kk_identity_clear(&c->who);
	kk_identity_clear(&c->found);
	free(c->line);
	free(c->readbuf);
	free(c);
}

static void on_conn_handle_closed(uv_handle_t *handle)
{
	conn_unref(handle->data);
}

static void conn_close(kd_conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->server->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->server->conn_count--;
	if (c->admission == ADMITTED) {
		c->server->admitted--;
		user_conns_drop(c->server, c->who.uid);
	}
	uv_close((uv_handle_t *)&c->idle, on_conn_handle_closed);
	uv_close((uv_handle_t *)&c->resume, on_conn_handle_closed);
	uv_close((uv_handle_t *)&c->pipe, on_conn_handle_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	kd_conn *c = req->data;

	(void)status;
	free(req);
	conn_close(c);
	conn_unref(c);
}

/* Closes after the responses already queued have been written. */
static void conn_finish(kd_conn *c)
{
	uv_shutdown_t *req;

	if (c->closing || c->finishing)
		return;
	c->finishing = 1;
	if (!(req = malloc(sizeof(*req))) ||
	    uv_shutdown(req, (uv_stream_t *)&c->pipe, on_shutdown) < 0) {
		free(req);
		conn_close(c);
		return;
	}
	req->data = c;
	c->refs++;
}

typedef struct {
	uv_write_t req;
	char *data;
	size_t len;
} write_req;

static void conn_wake(kd_conn *c);

static void on_written(uv_write_t *req, int status)
{
	write_req *w = (write_req *)req;
	kd_conn *c = req->handle->data;

	(void)status;
	c->server->freed += w->len;
	free(w->data);
	free(w);
	conn_wake(c);
}

/* Sends one answer line (request.c's); a client that went away is not an error. */
static void conn_send(kd_requests *r, char *line, size_t len)
{
	kd_conn *c = r->arg;
	write_req *w;
	uv_buf_t buf;

	if (c->closing || !(w = malloc(sizeof(*w)))) {
		free(line);
		return;
	}
	w->data = line;
	w->len = len;
	buf = uv_buf_init(w->data, (unsigned)len);
	if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &buf, 1, on_written) < 0) {
		free(w->data);
		free(w);
	}
}

/*
 * One thing `c` waited for is done (a call answered, a long line parsed):
 * take lines again, or finish when nothing more will come; drops the
 * reference it held.
 */
static void call_done(kd_conn *c)
{
	c->pending--;
	conn_wake(c);
	/* While the writer finishes, even an idle connection is answered (-32007). */
	if (c->pending == 0 && (c->eof || (c->server->stopping && !c->server->writer)))
		conn_finish(c);
	conn_unref(c);
}

/* A call is answered: send it (or add it to its batch) and release it. */
static void finish_call(kd_call *call)
{
	kd_conn *c = call->origin->arg;

	kd_requests_finish(call);
	call_done(c);
}

void kd_conn_write_done(kd_call *call, void *arg)
{
	(void)arg;
	finish_call(call);
}

static void on_read_done(uv_work_t *work, int status)
{
	kd_call *call = work->data;

	if (status == UV_ECANCELED)
		kd_call_fail(call, KK_RPC_EUNAVAILABLE, NULL, "keikakud is shutting down");
	finish_call(call);
}

static void answer_status(kd_server *s, kd_call *call)
{
	kd_writer_stats st;

	kd_writer_stats_get(s->writer, &st);
	call->result = json_pack(
		"{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}}", "version",
		KK_VERSION, "repository", s->cfg->repo, "head", st.head, "uptime",
		(json_int_t)(time(NULL) - s->started), "connections", (json_int_t)s->conn_count,
		"queued", (json_int_t)st.queued, "commits", (json_int_t)st.commits, "batches",
		(json_int_t)st.batches, "packs", (json_int_t)st.packs, "documents", "kept",
		(json_int_t)st.docs.documents, "bytes", (json_int_t)st.docs.bytes, "hits",
		(json_int_t)st.docs.hits, "misses", (json_int_t)st.docs.misses);
	/* Only with --mirror: each mirror, and how many a write waits for. */
	if (call->result && s->cfg->mirror_count) {
		json_object_set_new(call->result, "mirrors", kd_writer_mirrors_json(s->writer));
		json_object_set_new(call->result, "sync_mirrors",
				    json_integer((json_int_t)s->cfg->sync_mirrors));
	}
}

enum kd_method_kind kd_conn_method_kind(const char *method)
{
	if (kd_writer_handles(method))
		return KD_METHOD_WRITE;
	if (strcmp(method, "status") == 0 || kd_reads_handles(method))
		return KD_METHOD_READ;
	return KD_METHOD_NONE;
}

/* Hands a checked call to whoever answers it; it counts as pending until it is answered. */
static void conn_dispatch(kd_requests *r, kd_call *call)
{
	kd_conn *c = r->arg;
	kd_server *s = c->server;

	c->pending++;
	c->refs++;
	if (s->stopping) {
		kd_call_fail(call, KK_RPC_EUNAVAILABLE, NULL, "keikakud is shutting down");
		finish_call(call);
	} else if (strcmp(call->method, "status") == 0) {
		answer_status(s, call);
		finish_call(call);
	} else if (kd_reads_handles(call->method)) {
		/* Refused (its error set) over the user's limit of reads waiting. */
		if (kd_reads_queue(s->reads, s->loop, call, on_read_done) < 0)
			finish_call(call);
	} else {
		kd_writer_submit(s->writer, call);
	}
}

static const kd_request_ops conn_request_ops = {
	.kind = kd_conn_method_kind,
	.dispatch = conn_dispatch,
	.send = conn_send,
};

/* A long line parsed on the thread pool: the loop thread never parses a megabyte. */
typedef struct parse_job {
	uv_work_t work;
	kd_conn *conn;
	const kd_config *cfg;
	char *line;
	size_t len;
	json_t *value;
	kk_diag diag;
	int error;
} parse_job;

static void parse_work(uv_work_t *work)
{
	parse_job *job = work->data;

	job->error = kd_request_parse(&job->value, job->line, job->len, job->cfg, &job->diag);
}

static void parse_done(uv_work_t *work, int status)
{
	parse_job *job = work->data;
	kd_conn *c = job->conn;

	c->parsing = 0;
	if (status == 0 && !c->closing) {
		kd_requests_take(&c->requests, job->error, job->value, &job->diag);
		remember_locale(c->server, c->who.uid, c->requests.locale);
	}
	json_decref(job->value);
	c->server->freed += job->len;
	free(job->line);
	free(job);
	call_done(c);
}

/*
 * Parses and answers one line.  A line longer than KD_PARSE_INLINE_MAX
 * (the connection's own buffer, which `line` is) is parsed on the thread
 * pool: it counts as a call in flight, and nothing more is taken from the
 * connection until it is answered.
 */
static void handle_line(kd_conn *c, char *line, size_t len)
{
	parse_job *job;

	if (kd_request_blank(line, len))
		return;
	if (len > KD_PARSE_INLINE_MAX && (job = calloc(1, sizeof(*job)))) {
		job->conn = c;
		job->cfg = c->server->cfg;
		job->line = line;
		job->len = len;
		job->work.data = job;
		if (uv_queue_work(c->server->loop, &job->work, parse_work, parse_done) == 0) {
			/* The job owns the line now. */
			c->line = NULL;
			c->cap = 0;
			c->parsing = 1;
			c->pending++;
			c->refs++;
			return;
		}
		free(job);
	}
	kd_requests_line(&c->requests, line, len);
	remember_locale(c->server, c->who.uid, c->requests.locale);
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	kd_conn *c = handle->data;

	(void)suggested;
	/* Without it, libuv reports UV_ENOBUFS to on_read, which closes the connection. */
	if (!c->readbuf)
		c->readbuf = malloc(KD_READ_CHUNK);
	*buf = uv_buf_init(c->readbuf, c->readbuf ? KD_READ_CHUNK : 0);
}

/* Appends to the line buffer; an overlong line is answered and skipped. */
static void take_bytes(kd_conn *c, const char *p, size_t n)
{
	size_t max = c->server->cfg->max_line;

	if (c->skipping)
		return;
	if (c->len + n > max) {
		/* Its language is in its first bytes, if anywhere. */
		kd_requests_too_long(&c->requests, c->len ? c->line : p, c->len ? c->len : n);
		remember_locale(c->server, c->who.uid, c->requests.locale);
		c->skipping = 1;
		c->len = 0;
		return;
	}
	/* Room for the NUL too; never more than the longest line allowed. */
	if (KK_ARRAY_GROW_MAX(c->line, c->len + n + 1, c->cap, max + 1) < 0) {
		kd_requests_error(&c->requests, KK_RPC_EINTERNAL, NULL, "out of memory");
		c->skipping = 1;
		c->len = 0;
		return;
	}
	memcpy(c->line + c->len, p, n);
	c->len += n;
}

/* Too much unanswered or unsent: read nothing more until answers go out. */
static int conn_blocked(kd_conn *c)
{
	const kd_config *cfg = c->server->cfg;

	return c->parsing || c->pending >= cfg->max_in_flight ||
	       uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) >= cfg->max_unsent;
}

/* Whether lines may still be taken from `c`: not once it finishes or the writer is gone. */
static int conn_takes_lines(kd_conn *c)
{
	return !c->closing && !c->finishing && c->server->writer;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

static void conn_reading(kd_conn *c, int on)
{
	if (on && !c->reading && !c->eof &&
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) == 0)
		c->reading = 1;
	else if (!on && c->reading) {
		uv_read_stop((uv_stream_t *)&c->pipe);
		c->reading = 0;
	}
}

static void on_resume(uv_idle_t *handle);

/*
 * Takes the lines read and not yet taken, a turn's worth at most, while
 * `c` is not blocked; reads more once they are all taken.
 */
static void conn_pump(kd_conn *c)
{
	unsigned lines = 0;

	while (c->rpos < c->rend && conn_takes_lines(c) && !conn_blocked(c) &&
	       lines < KD_LINES_PER_TURN) {
		const char *p = c->readbuf + c->rpos, *end = c->readbuf + c->rend;
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		take_bytes(c, p, nl ? (size_t)(nl - p) : (size_t)(end - p));
		if (!nl) {
			c->rpos = c->rend;
			break;
		}
		if (!c->skipping) {
			c->line[c->len] = '\0';
			handle_line(c, c->line, c->len);
			lines++;
		}
		c->skipping = 0;
		c->len = 0;
		c->rpos = (size_t)(nl + 1 - c->readbuf);
		/* A long line's buffer is not kept for the short ones after it. */
		if (c->cap > KD_READ_CHUNK) {
			c->server->freed += c->cap;
			free(c->line);
			c->line = NULL;
			c->cap = 0;
		}
	}
	if (!conn_takes_lines(c)) {
		conn_reading(c, 0);
		uv_idle_stop(&c->resume);
	} else if (conn_blocked(c)) {
		/* conn_wake() resumes it as answers go out. */
		conn_reading(c, 0);
		uv_idle_stop(&c->resume);
	} else if (c->rpos < c->rend) {
		/* A turn's worth: the others' turn, then more of these lines. */
		conn_reading(c, 0);
		uv_idle_start(&c->resume, on_resume);
	} else {
		uv_idle_stop(&c->resume);
		conn_reading(c, 1);
	}
}

static void on_resume(uv_idle_t *handle)
{
	conn_pump(handle->data);
}

/* An answer went out or a call finished: take lines again if `c` waits for that. */
static void conn_wake(kd_conn *c)
{
	if (!c->reading && !c->eof && conn_takes_lines(c) && !conn_blocked(c) &&
	    !uv_is_active((uv_handle_t *)&c->resume))
		uv_idle_start(&c->resume, on_resume);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	kd_conn *c = stream->data;

	(void)buf;
	if (nread < 0) {
		conn_reading(c, 0);
		c->eof = 1;
		if (c->pending == 0)
			conn_finish(c);
		return;
	}
	uv_timer_again(&c->idle);
	c->rpos = 0;
	c->rend = (size_t)nread;
	conn_pump(c);
}

static void on_idle(uv_timer_t *timer)
{
	kd_conn *c = timer->data;

	if (c->pending == 0) {
		log_debug("closing idle connection of '%s'", c->who.user);
		/* Its last line says why, as for the other limits. */
		kd_requests_error(
			&c->requests, KK_RPC_ELIMIT,
			json_pack("{s:I}", "limit", (json_int_t)c->server->cfg->idle_seconds),
			N_("idle for %u s: the connection is closed"), c->server->cfg->idle_seconds);
		conn_finish(c);
	}
}

static void lookup_work(uv_work_t *req)
{
	kd_conn *c = req->data;

	c->lookup_failed = kd_peer_lookup(&c->found, c->who.uid, c->who.gid) < 0;
}

/* The peer is known: the limits, then its requests. */
static void lookup_done(uv_work_t *req, int status)
{
	kd_conn *c = req->data;
	kd_server *s = c->server;

	/* Finishing already: the daemon stopped while the lookup ran. */
	if (c->closing || c->finishing || status < 0 || c->lookup_failed) {
		if (!c->closing && !c->finishing) {
			log_warnx("cannot identify a peer, ignoring");
			conn_close(c);
		}
		conn_unref(c);
		return;
	}
	c->who = c->found;
	memset(&c->found, 0, sizeof(c->found));
	conn_unref(c); /* the pipe and the handles still hold it */
	if (s->stopping) {
		kd_requests_error(&c->requests, KK_RPC_EUNAVAILABLE, NULL,
				  "keikakud is shutting down");
		conn_finish(c);
		return;
	}
	uv_timer_start(&c->idle, on_idle, (uint64_t)s->cfg->idle_seconds * 1000,
		       (uint64_t)s->cfg->idle_seconds * 1000);
	conn_reading(c, 1);
}

static void accept_one(kd_server *s);

void kd_conn_accept(uv_stream_t *listener, int status)
{
	kd_server *s = listener->data;

	if (status < 0) {
		/* Out of descriptors, libuv refuses the waiting peers and calls again: say so
		 * rarely. */
		time_t now = time(NULL);

		s->accept_failures++;
		if (now - s->last_accept_warning >= 10) {
			log_warnx("cannot accept connections: %s (%llu times), ignoring",
				  uv_strerror(status), s->accept_failures);
			s->last_accept_warning = now;
			s->accept_failures = 0;
		}
		return;
	}
	/*
	 * At most KD_ACCEPTS_PER_TURN connections a loop turn.  libuv accepts
	 * until the backlog is empty, and a client connecting in a tight loop
	 * refills it: the loop would do nothing else, and another user's
	 * connection, accepted, would wait for its answer until the flood ends.
	 * Not taking a connection makes libuv stop watching the listener; the
	 * next turn takes it (on_accept_turn) and libuv watches again.
	 */
	if (s->accepts_this_turn >= KD_ACCEPTS_PER_TURN) {
		uv_idle_start(&s->accept_later, kd_conn_accept_later);
		return;
	}
	s->accepts_this_turn++;
	accept_one(s);
}

void kd_conn_accept_later(uv_idle_t *handle)
{
	kd_server *s = handle->data;

	uv_idle_stop(&s->accept_later);
	s->accepts_this_turn++;
	accept_one(s);
}

/* Takes the connection libuv holds for us, and starts learning its peer. */
static void accept_one(kd_server *s)
{
	kd_conn *c;
	uv_os_fd_t fd;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	kd_user_conns *user;
	struct kd_user_locale *known;

	if (!(c = calloc(1, sizeof(*c)))) {
		/* Not taken: libuv stops listening until a later turn takes it. */
		time_t now = time(NULL);

		if (now - s->last_accept_warning >= 10) {
			log_warnx("out of memory for a connection, trying again");
			s->last_accept_warning = now;
		}
		uv_idle_start(&s->accept_later, kd_conn_accept_later);
		return;
	}
	c->server = s;
	kd_requests_init(&c->requests, &conn_request_ops, s->cfg, &c->who, c);
	c->refs = 3;
	uv_pipe_init(s->loop, &c->pipe, 0);
	uv_timer_init(s->loop, &c->idle);
	uv_idle_init(s->loop, &c->resume);
	c->pipe.data = c->idle.data = c->resume.data = c;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->conn_count++;
	/* The kernel's word for uid and gid; the rest comes from the databases. */
	if (uv_accept((uv_stream_t *)&s->listener, (uv_stream_t *)&c->pipe) < 0 ||
	    uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_warnx("cannot identify a peer, ignoring");
		conn_close(c);
		return;
	}
	c->who.uid = cred.uid;
	c->who.gid = cred.gid;
	if ((known = user_locale(s, c->who.uid)))
		memcpy(c->requests.locale, known->locale, sizeof(known->locale));
	/*
	 * The limits, decided now, among the earlier connections.  The user's
	 * own limit first, and only admitted connections count: one user's flood
	 * of connections, each refused and closed a moment later, never fills
	 * the total for everyone else.
	 */
	user = user_conns(s, c->who.uid, 0);
	if (user && user->admitted >= s->cfg->max_conns_user) {
		c->admission = OVER_USER;
	} else if (s->admitted >= s->cfg->max_conns ||
		   (!user && !(user = user_conns(s, c->who.uid, 1)))) {
		c->admission = OVER_TOTAL; /* or no memory to count it: refused all the same */
	} else {
		c->admission = ADMITTED;
		s->admitted++;
		user->admitted++;
	}
	/*
	 * Over a limit, it is told so at once, by uid: looking its name up
	 * first would let one user's flood of connections fill the thread pool
	 * with lookups that everyone else's connections wait behind.
	 */
	if (c->admission == OVER_TOTAL) {
		kd_requests_error(&c->requests, KK_RPC_ELIMIT,
				  json_pack("{s:I}", "limit", (json_int_t)s->cfg->max_conns),
				  N_("too many connections (at most %u)"), s->cfg->max_conns);
		conn_finish(c);
		return;
	}
	if (c->admission == OVER_USER) {
		kd_requests_error(&c->requests, KK_RPC_ELIMIT,
				  json_pack("{s:I}", "limit", (json_int_t)s->cfg->max_conns_user),
				  N_("too many connections for uid %lu (at most %u)"),
				  (unsigned long)c->who.uid, s->cfg->max_conns_user);
		conn_finish(c);
		return;
	}
	c->lookup.data = c;
	c->refs++;
	if (uv_queue_work(s->loop, &c->lookup, lookup_work, lookup_done) < 0) {
		c->refs--;
		log_warnx("cannot identify a peer, ignoring");
		conn_close(c);
	}
}

void kd_conns_stop_reading(kd_server *s)
{
	for (kd_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		conn_reading(c, 0);
		uv_idle_stop(&c->resume);
		if (c->pending == 0)
			conn_finish(c);
	}
}
