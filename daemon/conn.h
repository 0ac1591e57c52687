/*
 * conn.h - keikakud's connections (conn.c) and the server state they share
 * with server.c.  Loop thread only.
 */
#ifndef KD_CONN_H
#define KD_CONN_H

#include <stdint.h>
#include <time.h>

#include "daemon.h"
#include "request.h"
#include "server.h"

#define KD_READ_CHUNK	    65536     /* bytes read from a connection at a time */
#define KD_LINES_PER_TURN   32	      /* lines taken from one connection per loop turn */
#define KD_TRIM_AFTER	    (8 << 20) /* bytes freed before memory is given back */
#define KD_PARSE_INLINE_MAX 65536     /* longer lines are parsed off the loop thread */
#define KD_ACCEPTS_PER_TURN 16	      /* connections accepted per loop turn */
#define KD_USER_LOCALES	    64	      /* users whose language is remembered */

typedef struct kd_conn {
	uv_pipe_t pipe;
	uv_timer_t idle;
	uv_idle_t resume; /* takes the next lines, on the loop's next turn */
	kd_server *server;
	kd_requests requests; /* its JSON-RPC: lines in, calls out, answers back */
	kk_identity who;
	uv_work_t lookup;  /* of `found`, on the thread pool */
	kk_identity found; /* the lookup's answer, taken into `who` on the loop thread */
	int lookup_failed;
	/* Decided as it connects, in order; UNDECIDED until its peer is known. */
	enum { UNDECIDED, ADMITTED, OVER_TOTAL, OVER_USER } admission;
	char *line; /* bytes of the current line so far */
	size_t len, cap;
	int skipping;  /* discarding the rest of an overlong line */
	int eof;       /* the client will send no more */
	int finishing; /* shutting down its side: closing once the answers are out */
	int closing;
	int reading;	   /* uv_read_start is in effect */
	int parsing;	   /* a long line is being parsed on the thread pool */
	unsigned pending;  /* calls not yet answered */
	unsigned refs;	   /* pipe + timer + resume + the lookup + pending calls + a parse */
	size_t rpos, rend; /* readbuf's bytes not taken yet; nothing is read while there are some */
	/*
	 * KD_READ_CHUNK bytes, allocated when the connection is first read: a
	 * connection refused over a limit, or waiting for its peer's lookup,
	 * holds none (a flood of thousands of them once took 160 MiB).
	 */
	char *readbuf;
	struct kd_conn *prev, *next;
} kd_conn;

/* A user's admitted connections (the per-user limit counts them). */
typedef struct kd_user_conns {
	uid_t uid;
	unsigned admitted;
	struct kd_user_conns *next;
} kd_user_conns;

struct kd_server {
	const kd_config *cfg;
	uv_loop_t *loop;
	uv_pipe_t listener;
	uv_prepare_t accept_turn; /* each loop turn: a new turn's accepts */
	uv_idle_t accept_later;	  /* the loop's next turn takes the connection left waiting */
	unsigned accepts_this_turn;
	uv_signal_t sigterm, sigint;
	uv_timer_t ticker; /* sd_notify STATUS and WATCHDOG */
	kd_writer *writer;
	kd_reads *reads;
	kd_conn *conns;
	unsigned conn_count;
	unsigned admitted;    /* of conn_count, those within the limits: what the limits count */
	kd_user_conns *users; /* the admitted connections of each user that has any */
	/*
	 * The latest locale each of the last KD_USER_LOCALES users to name one
	 * named: the language of a new connection's errors before it has named
	 * one (a connection refused over a limit, or idle, names none).
	 */
	struct kd_user_locale {
		uid_t uid;
		char locale[64];
	} user_locales[KD_USER_LOCALES];
	unsigned user_locale_next;
	int stopping;
	int bound; /* we created the socket file (and remove it) */
	uint64_t watchdog_usec;
	time_t started;
	char last_status[1024]; /* with the mirrors, one line */
	time_t last_accept_warning;
	unsigned long long accept_failures;
	size_t freed; /* bytes of answers and long lines freed since the last trim */
};

/* The listener's callback: accepts a connection and starts learning its peer. */
void kd_conn_accept(uv_stream_t *listener, int status);

/*
 * Takes the connection kd_conn_accept() left waiting (an idle handle's
 * callback, the loop's next turn).
 */
void kd_conn_accept_later(uv_idle_t *handle);

/*
 * What `method` is, for a connection's requests (request.h): a write, a
 * read (status too), or none.  The fuzz target of request.c asks it too.
 */
enum kd_method_kind kd_conn_method_kind(const char *method);

/* The writer's callback for a finished write call: answers it on its connection. */
void kd_conn_write_done(kd_call *call, void *arg);

/*
 * Every write is stored and answered (the writer has stopped): reads no
 * more from any connection, and closes those with nothing pending.
 */
void kd_conns_stop_reading(kd_server *s);

#endif
