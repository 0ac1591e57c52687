/*
 * daemon.h - what keikakud's parts share: configuration, the calls that
 * travel between the loop thread, the read workers and the writer thread,
 * and JSON-RPC's error vocabulary.
 *
 * Threads: the loop thread owns every libuv handle and every connection;
 * reads run on libuv's thread pool; one writer thread owns the repository
 * for writes.  A kd_call is handed from the loop to exactly one of them and
 * handed back; while it is away, only that thread touches it.
 */
#ifndef KD_DAEMON_H
#define KD_DAEMON_H

#include <git2.h>
#include <locale.h>
#include <stdarg.h>
#include <jansson.h>
#include <uv.h>

#include "doccache.h"
#include "identity.h"
#include "rpc.h"
#include "sshsig.h"

typedef struct kd_config {
	const char *repo;
	const char *socket_path;
	const char *email_domain;
	unsigned socket_mode;	   /* of a socket we bind ourselves */
	size_t max_line;	   /* bytes per request line */
	unsigned max_conns;	   /* connections in total */
	unsigned max_conns_user;   /* connections per uid */
	unsigned idle_seconds;	   /* close a connection idle this long */
	size_t max_items;	   /* items per submission */
	size_t max_batch;	   /* submissions per group commit */
	size_t max_batch_requests; /* requests per JSON-RPC batch */
	unsigned max_in_flight;	   /* a connection's unanswered requests before it is not read */
	size_t max_unsent;	   /* a connection's unsent answer bytes before it is not read */
	unsigned max_queued_user;  /* a user's reads waiting for the thread pool */
	const kk_sshkey *signing_key; /* signs every commit and tag, or NULL: unsigned */
	const char *const *mirrors;   /* URLs the branch and tags are pushed to */
	size_t mirror_count;
	unsigned sync_mirrors;	   /* answer a write once this many mirrors hold it */
	unsigned sync_timeout;	   /* seconds to wait for them, then -32009 */
	unsigned mirror_retry_max; /* seconds between a failing mirror's attempts, at most */
	int verbose;
} kd_config;

struct kd_requests;
struct kd_batch;

typedef struct kd_call {
	struct kd_requests *origin; /* the connection's requests (request.h); outlive the call */
	struct kd_batch *batch;	    /* the JSON-RPC batch it belongs to, or NULL */
	json_t *id;		    /* NULL for a notification */
	const char *method;	    /* borrowed from `request` */
	json_t *request;	    /* the whole request object */
	json_t *params;		    /* borrowed from `request`; an object (maybe empty) */
	kk_identity who;	    /* the caller, from the kernel and the passwd database */
	json_t *result;		    /* set by whoever answers: result ... */
	json_t *error;		    /* ... or error object {code, message, data?} */
	uv_work_t work;		    /* for read calls on the thread pool */
	void *handler;		    /* the module answering the call */
	char locale[64];	    /* the caller's messages locale ("ja_JP.UTF-8"), or "" */
	struct kd_call *next;	    /* queue link (writer) */
} kd_call;

/* Builds a JSON-RPC error object; `data` (may be NULL) is stolen. */
json_t *kd_error(int code, const char *message, json_t *data);
/*
 * kd_error() with the message made from `fmt`: at most 1023 bytes of it,
 * and only whole UTF-8 characters.
 */
json_t *kd_verror(int code, json_t *data, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Sets `call`'s error; returns -1 for convenience. */
int kd_call_fail(kd_call *call, int code, json_t *data, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Runs the rest of the calling thread's work for `call` with messages in
 * the caller's locale, when it gave one that this system has; returns the
 * previous thread locale for kd_call_locale_end().
 */
locale_t kd_call_locale_begin(const kd_call *call);
/* The same for the locale named `name` ("" or NULL: none, nothing changes). */
locale_t kd_locale_begin(const char *name);
void kd_call_locale_end(locale_t previous);
/*
 * Whether `name` may be taken as a locale's name: 1 to 63 letters, digits
 * and "_.-@", nothing that could name a file elsewhere.
 */
int kd_locale_name_ok(const char *name);

/* Frees a call and everything it owns. */
void kd_call_free(kd_call *call);

/*
 * Parameter checks for handlers; each sets an "invalid params" error on
 * `call` and returns -1 when the member is missing (if required) or of the
 * wrong type.
 */
int kd_param_id(json_int_t *out, kd_call *call, const char *name);
int kd_param_string(const char **out, kd_call *call, const char *name, int required);
int kd_param_bool(int *out, kd_call *call, const char *name);
int kd_param_object(const json_t **out, kd_call *call, const char *name, int required);
int kd_param_commit(const char **out, kd_call *call, const char *name, int required);

/* --- reads.c: read methods on the thread pool --- */

typedef struct kd_reads kd_reads;
/*
 * Reads of `repo`, whose owner is an admin; at most `max_queued` reads of
 * one user wait for the thread pool at a time, across all their connections.
 */
int kd_reads_new(kd_reads **out, const char *repo, uid_t repo_owner, unsigned max_queued);
void kd_reads_free(kd_reads *reads);
/* Tells whether `method` is a read this module answers. */
int kd_reads_handles(const char *method);
/*
 * Answers `call` on the thread pool, then calls `done` on the loop thread.
 * Fails with the call's error set when it cannot be queued: -32006 in the
 * caller's language when the user has max_queued reads waiting already.
 */
int kd_reads_queue(kd_reads *reads, uv_loop_t *loop, kd_call *call, uv_after_work_cb done);
/*
 * Closes the stores waiting in the pool that are past their age (10 s), with
 * the history and parsed versions their memos keep.  Returns how many it
 * closed.  Any thread.
 */
int kd_reads_expire(kd_reads *reads);
/*
 * Answers `call` on the calling thread, as the thread pool does: sets its
 * result or error.  For tests/fuzz/fuzz_request.c, which has no loop.
 */
void kd_reads_answer(kd_reads *reads, kd_call *call);

/* --- writer.c: the writer thread --- */

/* libgit2's last error message, or "unknown error" (rpc.c). */
const char *kd_git_message(void);

/* `oid` in hex as a JSON string (a new reference). */
json_t *kd_oid_json(const git_oid *oid);

typedef struct kd_writer kd_writer;

typedef struct kd_writer_stats {
	char head[GIT_OID_HEXSZ + 1];
	unsigned long long commits; /* commits made since start */
	unsigned long long batches; /* group commits made since start */
	size_t queued;		    /* submissions waiting */
	size_t packs;		    /* packs in the repository */
	kk_doccache_stats docs;	    /* the writer's parsed files */
} kd_writer_stats;

/*
 * Starts the writer thread on `cfg->repo`, which the caller has locked.
 * Finished calls are handed to `done` on `loop`'s thread.  Fails with a
 * message in `errbuf` when the repository cannot be opened or read.
 */
int kd_writer_start(kd_writer **out, const kd_config *cfg, uv_loop_t *loop,
		    void (*done)(kd_call *call, void *arg), void *arg, char *errbuf, size_t errlen);
/* Tells whether `method` is a write. */
int kd_writer_handles(const char *method);
/* Queues a write; called on the loop thread. */
void kd_writer_submit(kd_writer *writer, kd_call *call);
void kd_writer_stats_get(kd_writer *writer, kd_writer_stats *out);
/* Each mirror's state (mirror.h), a new JSON array: empty without mirrors. */
json_t *kd_writer_mirrors_json(kd_writer *writer);
/* The mirrors in a line for systemd's STATUS=, or "" without mirrors. */
void kd_writer_mirrors_summary(kd_writer *writer, char *buf, size_t size);
/*
 * Finishes every queued write and answers it, stops the threads and
 * closes the writer's handle, waiting for all that on the calling thread
 * (the loop's, which stands still meanwhile).  For when the loop is not
 * running; otherwise kd_writer_stop_async().
 */
void kd_writer_stop(kd_writer *writer);

/*
 * As kd_writer_stop(), without waiting: the loop goes on (answering what
 * the writer finishes) and `stopped` runs on it once every queued write is
 * answered and the threads are gone; the writer is freed after that.
 */
void kd_writer_stop_async(kd_writer *writer, void (*stopped)(void *arg), void *arg);

#endif
