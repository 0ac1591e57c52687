/*
 * cache.c - the response cache (cache.h): a hash table of entries in a
 * least-recently-used order (core/base/lru.h), under one mutex.  An entry
 * costs its body and a fixed overhead; the oldest go when the total would
 * pass the bound.
 */
#include "cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lru.h"

#define BUCKETS	 4096
#define OVERHEAD 128 /* bytes counted for an entry besides its body */

typedef struct entry {
	unsigned char key[20];
	char *body;
	size_t len;
	const char *type;
	struct entry *next_in_bucket;
	kk_lru_node use; /* in the use order */
} entry;

struct kw_cache {
	pthread_mutex_t lock;
	size_t limit, bytes, entries;
	unsigned long long hits, misses;
	entry *buckets[BUCKETS];
	kk_lru use;
};

kw_cache *kw_cache_new(size_t bytes)
{
	kw_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	c->limit = bytes;
	return c;
}

static size_t bucket_of(const unsigned char key[20])
{
	size_t h;

	memcpy(&h, key, sizeof(h)); /* the key is a hash already */
	return h % BUCKETS;
}

static entry *oldest(kw_cache *c)
{
	return KK_LRU_ENTRY(kk_lru_oldest(&c->use), entry, use);
}

static entry *find(kw_cache *c, const unsigned char key[20])
{
	for (entry *e = c->buckets[bucket_of(key)]; e; e = e->next_in_bucket)
		if (memcmp(e->key, key, 20) == 0)
			return e;
	return NULL;
}

static void drop(kw_cache *c, entry *e)
{
	entry **p = &c->buckets[bucket_of(e->key)];

	while (*p != e)
		p = &(*p)->next_in_bucket;
	*p = e->next_in_bucket;
	kk_lru_remove(&c->use, &e->use);
	c->bytes -= e->len + OVERHEAD;
	c->entries--;
	free(e->body);
	free(e);
}

void kw_cache_free(kw_cache *c)
{
	if (!c)
		return;
	while (kk_lru_oldest(&c->use))
		drop(c, oldest(c));
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int kw_cache_get(kw_cache *c, const unsigned char key[20], char **body_out, size_t *len_out,
		 const char **type_out)
{
	entry *e;
	int found = 0;

	pthread_mutex_lock(&c->lock);
	if ((e = find(c, key)) && (*body_out = malloc(e->len ? e->len : 1))) {
		memcpy(*body_out, e->body, e->len);
		*len_out = e->len;
		*type_out = e->type;
		kk_lru_touch(&c->use, &e->use);
		found = 1;
	}
	if (found)
		c->hits++;
	else
		c->misses++;
	pthread_mutex_unlock(&c->lock);
	return found;
}

void kw_cache_put(kw_cache *c, const unsigned char key[20], const char *body, size_t len,
		  const char *type)
{
	entry *e;

	if (len + OVERHEAD > c->limit / 4 || !(e = calloc(1, sizeof(*e))))
		return;
	if (!(e->body = malloc(len ? len : 1))) {
		free(e);
		return;
	}
	memcpy(e->key, key, 20);
	memcpy(e->body, body, len);
	e->len = len;
	e->type = type;
	pthread_mutex_lock(&c->lock);
	if (find(c, key)) { /* another worker made it meanwhile */
		pthread_mutex_unlock(&c->lock);
		free(e->body);
		free(e);
		return;
	}
	while (kk_lru_oldest(&c->use) && c->bytes + len + OVERHEAD > c->limit)
		drop(c, oldest(c));
	e->next_in_bucket = c->buckets[bucket_of(key)];
	c->buckets[bucket_of(key)] = e;
	kk_lru_push(&c->use, &e->use);
	c->bytes += len + OVERHEAD;
	c->entries++;
	pthread_mutex_unlock(&c->lock);
}

void kw_cache_stats_get(kw_cache *c, kw_cache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	out->entries = c->entries;
	out->bytes = c->bytes;
	out->hits = c->hits;
	out->misses = c->misses;
	pthread_mutex_unlock(&c->lock);
}
