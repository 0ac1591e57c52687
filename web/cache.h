/*
 * cache.h - the server's responses, by a 20-byte hash of what they are a
 * function of (server.c's make_key()), in at most a given number of bytes:
 * the least recently used go first.  Safe to use from every worker thread.
 */
#ifndef KK_WEB_CACHE_H
#define KK_WEB_CACHE_H

#include <stddef.h>

typedef struct kw_cache kw_cache;

/* A cache of at most `bytes`; NULL when out of memory.  Free with kw_cache_free(). */
kw_cache *kw_cache_new(size_t bytes);
void kw_cache_free(kw_cache *cache);

/*
 * Copies the response stored under `key` (20 bytes) into *body_out (the
 * caller frees it) and *len_out, its Content-Type into *type_out (static);
 * returns 1, or 0 when there is none (or memory ran out).
 */
int kw_cache_get(kw_cache *cache, const unsigned char key[20], char **body_out, size_t *len_out,
		 const char **type_out);

/* Stores a copy of `body` under `key`; one larger than a quarter of the cache is not kept. */
void kw_cache_put(kw_cache *cache, const unsigned char key[20], const char *body, size_t len,
		  const char *type);

/* What it holds: entries and bytes, hits and misses so far. */
typedef struct kw_cache_stats {
	size_t entries, bytes;
	unsigned long long hits, misses;
} kw_cache_stats;
void kw_cache_stats_get(kw_cache *cache, kw_cache_stats *out);

#endif
