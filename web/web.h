/*
 * web.h - keikaku serve: a read-only HTTP view of a plan repository (the
 * progress report, items with their history, the audit trail, differences,
 * schedules and pending items), in HTML and JSON, built on libmicrohttpd.
 *
 * The server owns its worker threads, one repository handle per worker,
 * and a response cache keyed by (HEAD's commit, URL, language, format, and
 * the refs when the URL names a revision by one).
 * It reads the repository on every request, so a mirror that keikakud
 * pushes to is served as it is now.  docs/architecture.md describes it.
 */
#ifndef KK_WEB_H
#define KK_WEB_H

#include <limits.h>
#include <stddef.h>

#include "common.h"

typedef struct kw_server kw_server;

/* Zero-initialise; 0 means the default. */
typedef struct kw_options {
	const char *repo;      /* the repository (or any directory in it); required */
	const char *host;      /* numeric IPv4 or IPv6 address; default 127.0.0.1 */
	unsigned port;	       /* default 8080; 0 with `any_port` lets the kernel pick */
	int any_port;	       /* listen on a port the kernel picks (kw_server_port) */
	unsigned threads;      /* worker threads, default the CPUs online (2 to 8) */
	unsigned connections;  /* open connections at most, default 256 */
	unsigned per_ip;       /* open connections from one address at most, default 64 */
	unsigned timeout;      /* seconds a connection may stay idle, and may take in all
				  for a request's line and headers (deadline.h), default 15 */
	size_t cache_bytes;    /* memory the response cache may hold, default 32 MiB */
	unsigned costly_pages; /* costly pages made at once on threads and handles of their
				  own, default 1; KW_ZERO: made as the others, no lane */
	unsigned costly_queue; /* costly pages waiting at most, default 4; KW_ZERO: none */
	unsigned query_ms;     /* milliseconds a page's queries may take, default 10 s;
				  KW_ZERO: no limit.  Past it the page is a 503 (budget.h) */
	int utc_offset;	       /* minutes east of UTC that dates (@DATE, since) are meant in */
	int use_history_cache; /* keep the history index in the repository's git directory */
	int trace;	       /* a line on stderr for each page made (KEIKAKU_SERVE_TRACE) */
	const char *ja_locale; /* the locale of Japanese pages, default "ja_JP.UTF-8" */
} kw_options;

/* The defaults above. */
enum {
	KW_DEFAULT_PORT = 8080,
	KW_DEFAULT_CONNECTIONS = 256,
	KW_DEFAULT_PER_IP = 64,
	KW_DEFAULT_TIMEOUT = 15,
	KW_DEFAULT_COSTLY_PAGES = 1,
	KW_DEFAULT_COSTLY_QUEUE = 4,
	KW_DEFAULT_QUERY_MS = 10000,
};
/* An option's explicit 0, where 0 means the default. */
#define KW_ZERO		       UINT_MAX
#define KW_DEFAULT_CACHE_BYTES ((size_t)32 << 20)

/*
 * Parses "ADDR:PORT", "[V6ADDR]:PORT", "ADDR" or ":PORT" into `opts` (host
 * points into a copy in `host_buf`, of `size` bytes).  Returns 0, or
 * KK_EINVALID with a message saying what is wrong.
 */
int kw_listen_parse(kw_options *opts, char *host_buf, size_t size, const char *text, kk_diag *diag);

/*
 * Opens the repository once per worker and starts listening.  Fails with
 * KK_ENOTFOUND when `repo` is no repository, KK_EIO when the address
 * cannot be listened on (errno in the diagnostic), KK_EINVALID for a bad
 * address.  Stop and free with kw_server_stop().
 */
int kw_server_start(kw_server **out, const kw_options *opts, kk_diag *diag);

/* The port it listens on. */
unsigned kw_server_port(const kw_server *server);

/* Stops listening, waits for the workers and frees everything; accepts NULL. */
void kw_server_stop(kw_server *server);

#endif
