/*
 * doccache.c - parsed plan files kept by blob id (doccache.h): a hash table
 * of parses in a least-recently-used order (lru.h) that keeps it within its
 * bytes.
 */
#include "doccache.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "lru.h"

typedef struct entry entry;
struct entry {
	git_oid oid;
	json_t *doc;
	size_t len;	 /* of the file it came from */
	entry *chain;	 /* next in the same bucket */
	kk_lru_node use; /* in the use order */
};

struct kk_doccache {
	size_t max_bytes;
	entry **buckets;
	size_t bucket_count; /* a power of two, or 0 before the first entry */
	kk_lru use;
	kk_doccache_stats stats;
};

int kk_doccache_new(kk_doccache **out, size_t max_bytes)
{
	kk_doccache *c = calloc(1, sizeof(*c));

	if (!c)
		return KK_ENOMEM;
	c->max_bytes = max_bytes;
	*out = c;
	return 0;
}

void kk_doccache_free(kk_doccache *c)
{
	if (!c)
		return;
	for (kk_lru_node *n = c->use.newest, *next; n; n = next) {
		entry *e = KK_LRU_ENTRY(n, entry, use);

		next = n->older;
		json_decref(e->doc);
		free(e);
	}
	free(c->buckets);
	free(c);
}

/* A blob id is a hash already: its first bytes spread well enough. */
static size_t slot(const git_oid *oid, size_t bucket_count)
{
	size_t h;

	memcpy(&h, oid->id, sizeof(h));
	return h & (bucket_count - 1);
}

static size_t bucket_of(const kk_doccache *c, const git_oid *oid)
{
	return slot(oid, c->bucket_count);
}

static entry *find(const kk_doccache *c, const git_oid *oid)
{
	if (!c->bucket_count)
		return NULL;
	for (entry *e = c->buckets[bucket_of(c, oid)]; e; e = e->chain)
		if (git_oid_equal(&e->oid, oid))
			return e;
	return NULL;
}

static void evict_oldest(kk_doccache *c)
{
	entry *e = KK_LRU_ENTRY(kk_lru_oldest(&c->use), entry, use);
	entry **link = &c->buckets[bucket_of(c, &e->oid)];

	while (*link != e)
		link = &(*link)->chain;
	*link = e->chain;
	kk_lru_remove(&c->use, &e->use);
	c->stats.documents--;
	c->stats.bytes -= e->len;
	c->stats.evictions++;
	json_decref(e->doc);
	free(e);
}

/* Keeps the chains short: about one entry per bucket. */
static int grow(kk_doccache *c)
{
	size_t count = c->bucket_count ? c->bucket_count * 2 : 64;
	entry **buckets = calloc(count, sizeof(*buckets));

	if (!buckets)
		return KK_ENOMEM;
	for (size_t i = 0; i < c->bucket_count; i++) {
		for (entry *e = c->buckets[i], *next; e; e = next) {
			size_t b = slot(&e->oid, count);

			next = e->chain;
			e->chain = buckets[b];
			buckets[b] = e;
		}
	}
	free(c->buckets);
	c->buckets = buckets;
	c->bucket_count = count;
	return 0;
}

json_t *kk_doccache_get(kk_doccache *c, const git_oid *oid)
{
	entry *e = c ? find(c, oid) : NULL;

	if (!e)
		return NULL;
	c->stats.hits++;
	kk_lru_touch(&c->use, &e->use);
	return json_incref(e->doc);
}

/* Keeps `doc` (a new reference is taken) as the parse of `file`, dropping the oldest. */
static void keep(kk_doccache *c, const kk_file *file, json_t *doc)
{
	entry *e;
	size_t b;

	if (file->len > c->max_bytes)
		return;
	if (c->stats.documents >= c->bucket_count && grow(c) < 0)
		return; /* not kept: the caller has its document all the same */
	if (!(e = calloc(1, sizeof(*e))))
		return;
	while (kk_lru_oldest(&c->use) && c->stats.bytes + file->len > c->max_bytes)
		evict_oldest(c);
	e->oid = file->oid;
	e->doc = json_incref(doc);
	e->len = file->len;
	b = bucket_of(c, &e->oid);
	e->chain = c->buckets[b];
	c->buckets[b] = e;
	kk_lru_push(&c->use, &e->use);
	c->stats.documents++;
	c->stats.bytes += file->len;
}

json_t *kk_doccache_parse(kk_doccache *c, const kk_file *file, kk_diag *diag)
{
	json_t *doc = kk_doccache_get(c, &file->oid);

	if (doc)
		return doc;
	if (c)
		c->stats.misses++;
	if (kk_json_parse(&doc, file->data, file->len, NULL, diag) < 0)
		return NULL;
	if (c)
		keep(c, file, doc);
	return doc;
}

void kk_doccache_keep(kk_doccache *c, const kk_file *file, json_t *doc)
{
	/* The same bytes again (an update that puts back an earlier version): one entry is enough. */
	if (c && !find(c, &file->oid))
		keep(c, file, doc);
}

void kk_doccache_stats_get(const kk_doccache *c, kk_doccache_stats *out)
{
	if (c)
		*out = c->stats;
	else
		memset(out, 0, sizeof(*out));
}
