/*
 * cache.h - the server's responses, by a 20-byte hash of what they are a
 * function of (server.c's make_key()), in at most a given number of bytes:
 * the least recently used go first.  A response's body is made once and
 * shared, counted, by the cache and every answer that sends it, so that a
 * hit copies nothing.  A page being made is a flight: a request for the same
 * key meanwhile waits for it rather than making it again.  Safe to use from
 * every worker thread.
 */
#ifndef KK_WEB_CACHE_H
#define KK_WEB_CACHE_H

#include <stdatomic.h>
#include <stddef.h>

#include "buf.h"

/*
 * A response as made: its body, Content-Type (static) and status.  Read-only once made;
 * freed when the last reference goes.
 */
typedef struct kw_body {
	char *data; /* `len` bytes, NUL-terminated */
	size_t len;
	const char *type;
	int status;
	atomic_uint refs;
} kw_body;

/*
 * A body of `status` and `type` holding `buf`'s text, taken from it (`buf` is left empty
 * either way), with one reference; NULL when out of memory.
 */
kw_body *kw_body_new(kk_buf *buf, const char *type, int status);

/* Another reference to `body`; returns it. */
kw_body *kw_body_ref(kw_body *body);

/* Drops a reference; the last one frees the body.  Accepts NULL. */
void kw_body_unref(kw_body *body);

typedef struct kw_cache kw_cache;
typedef struct kw_flight kw_flight;

/* A cache of at most `bytes`; NULL when out of memory.  Free with kw_cache_free(). */
kw_cache *kw_cache_new(size_t bytes);

/* Frees the cache; no flight may be in the air.  Bodies still referenced live on. */
void kw_cache_free(kw_cache *cache);

/*
 * Looks up `key` (20 bytes).  Returns 1 with *body_out (a reference the caller drops) when
 * the cache has it; 2 when another request was making that page and has handed it over:
 * the caller waits for that, holding nothing else.  Returns 0 when the caller is to make
 * the page: with *flight_out when it is the first to ask, to be ended by kw_cache_land()
 * whatever happens; with *flight_out NULL when the flight it waited for brought nothing
 * to share (or memory ran out), so that it makes its own, alone.
 */
int kw_cache_get(kw_cache *cache, const unsigned char key[20], kw_body **body_out,
		 kw_flight **flight_out);

/* The status of the response stored under `key`, or 0 when none is; never waits. */
int kw_cache_status(kw_cache *cache, const unsigned char key[20]);

/*
 * Ends a flight of kw_cache_get(): hands `body` (the page made, or NULL when there is none
 * to share) to the requests that wait for it, and with `keep` stores it too, when it fits:
 * a body may be as large as the whole cache.  Takes its own references.
 */
void kw_cache_land(kw_cache *cache, kw_flight *flight, kw_body *body, int keep);

/* Stores `body` under `key` as kw_cache_land() does, for a page made outside a flight. */
void kw_cache_put(kw_cache *cache, const unsigned char key[20], kw_body *body);

/*
 * What it holds: entries and bytes; pages being made and the requests waiting for them;
 * hits, misses and pages handed over from a flight so far.
 */
typedef struct kw_cache_stats {
	size_t entries, bytes, flights, waiting;
	unsigned long long hits, misses, shared;
} kw_cache_stats;
void kw_cache_stats_get(kw_cache *cache, kw_cache_stats *out);

#endif
