/*
 * doccache.h - parsed plan files, kept by the id of the blob they came from.
 *
 * keikakud reads the same keikaku.json and departments.json with every
 * update, and each item it has just written is read again by the next
 * update of that item.  A blob id names its bytes, so a parse kept under it
 * never goes stale: the cache only has to stay within its size, and drops
 * the least recently used documents to do so.
 *
 * The documents are shared: whoever gets one holds a reference, and must
 * not modify it (copy it first).  Not thread-safe: one thread uses a cache.
 */
#ifndef KK_DOCCACHE_H
#define KK_DOCCACHE_H

#include <stddef.h>

#include <git2.h>
#include <jansson.h>

#include "common.h"
#include "fileset.h"

typedef struct kk_doccache kk_doccache;

/*
 * Creates a cache that keeps documents whose files hold at most `max_bytes`
 * bytes in all (the files' sizes, not the parsed documents').  A document
 * larger than that is parsed but not kept.
 */
int kk_doccache_new(kk_doccache **out, size_t max_bytes);
void kk_doccache_free(kk_doccache *cache);

/* The kept parse of blob `oid` as a new reference, or NULL when it is not kept. */
json_t *kk_doccache_get(kk_doccache *cache, const git_oid *oid);

/*
 * The parse of `file` (kk_json_parse with the default limits), from the
 * cache or parsed now and kept, as a new reference the caller must not
 * modify.  NULL with `diag` (may be NULL) when the bytes do not parse, or
 * when memory runs out.  `cache` may be NULL: the file is parsed then.
 */
json_t *kk_doccache_parse(kk_doccache *cache, const kk_file *file, kk_diag *diag);

/*
 * Keeps `doc` as the parse of `file`, which the caller has just written
 * from it (kk_canon_dump_same() says when the two agree), so that the
 * next reader of those bytes needs no parse.  The cache takes a reference:
 * `doc` must not be modified from now on.  Memory running out only means
 * it is not kept.
 */
void kk_doccache_keep(kk_doccache *cache, const kk_file *file, json_t *doc);

/* What the cache holds and has done, for tests and the daemon's status. */
typedef struct kk_doccache_stats {
	size_t documents, bytes;
	unsigned long hits, misses, evictions;
} kk_doccache_stats;

void kk_doccache_stats_get(const kk_doccache *cache, kk_doccache_stats *out);

#endif
