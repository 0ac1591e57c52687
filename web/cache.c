/*
 * cache.c - the response cache (cache.h): a hash table of entries in a
 * least-recently-used order (core/base/lru.h), and the flights, the pages
 * being made, in a list; all under one mutex, which is never held while a
 * page is made or a body copied or freed.  An entry costs its body and a
 * fixed overhead; the oldest go when the total would pass the bound.  A body
 * is counted: an entry dropped while an answer still sends it lives until
 * that answer is done.
 */
#include "cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lru.h"

#define BUCKETS	 4096
#define OVERHEAD 128 /* bytes counted for an entry besides its body */

/* --- bodies --- */

kw_body *kw_body_new(kk_buf *buf, const char *type, int status)
{
	kw_body *b = malloc(sizeof(*b));
	char *data = buf->data, *smaller;

	if (b && !data && (data = malloc(1)))
		data[0] = '\0';
	if (!b || !data) {
		free(b);
		if (data != buf->data)
			free(data);
		kk_buf_clear(buf);
		return NULL;
	}
	/*
	 * A buffer grows by doubling.  Kept for long, and counted in the cache by its length,
	 * the body goes into a block of its own size, made once: shrunk in place, the rest
	 * of each page's buffer was a hole between the cached bodies that the next page's
	 * could not use (18 MiB more at bench/serve_ab's peak).
	 */
	if (buf->data && buf->alloc > buf->len + 1 && (smaller = malloc(buf->len + 1))) {
		memcpy(smaller, data, buf->len + 1);
		free(data);
		data = smaller;
	}
	b->data = data;
	b->len = buf->len;
	b->type = type;
	b->status = status;
	atomic_init(&b->refs, 1);
	memset(buf, 0, sizeof(*buf));
	return b;
}

kw_body *kw_body_ref(kw_body *b)
{
	atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	return b;
}

void kw_body_unref(kw_body *b)
{
	if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1) {
		free(b->data);
		free(b);
	}
}

/* --- the cache --- */

typedef struct entry {
	unsigned char key[20];
	kw_body *body;
	struct entry *next_in_bucket; /* also the list of those dropped, to free unlocked */
	kk_lru_node use;	      /* in the use order */
} entry;

/* A page being made, and the requests waiting for it. */
struct kw_flight {
	unsigned char key[20];
	pthread_cond_t landed;
	unsigned waiting;
	int done;
	kw_body *body; /* what it brought to share, a reference; or NULL */
	struct kw_flight *next;
};

struct kw_cache {
	pthread_mutex_t lock;
	size_t limit, bytes, entries;
	unsigned long long hits, misses, shared;
	entry *buckets[BUCKETS];
	kk_lru use;
	kw_flight *flights; /* in the air */
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

/* Takes `e` out of the cache, under the lock, onto `*dead` for free_dead(). */
static void drop(kw_cache *c, entry *e, entry **dead)
{
	entry **p = &c->buckets[bucket_of(e->key)];

	while (*p != e)
		p = &(*p)->next_in_bucket;
	*p = e->next_in_bucket;
	kk_lru_remove(&c->use, &e->use);
	c->bytes -= e->body->len + OVERHEAD;
	c->entries--;
	e->next_in_bucket = *dead;
	*dead = e;
}

/* Frees the entries drop() took out, without the lock: a body may be megabytes. */
static void free_dead(entry *dead)
{
	while (dead) {
		entry *next = dead->next_in_bucket;

		kw_body_unref(dead->body);
		free(dead);
		dead = next;
	}
}

void kw_cache_free(kw_cache *c)
{
	entry *dead = NULL;

	if (!c)
		return;
	while (kk_lru_oldest(&c->use))
		drop(c, oldest(c), &dead);
	free_dead(dead);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static void flight_free(kw_flight *f)
{
	if (!f)
		return;
	kw_body_unref(f->body);
	pthread_cond_destroy(&f->landed);
	free(f);
}

int kw_cache_get(kw_cache *c, const unsigned char key[20], kw_body **body_out,
		 kw_flight **flight_out)
{
	kw_flight *f, *done = NULL;
	kw_body *body = NULL;
	entry *e;

	*flight_out = NULL;
	pthread_mutex_lock(&c->lock);
	if ((e = find(c, key))) {
		kk_lru_touch(&c->use, &e->use);
		c->hits++;
		/* Under the lock: once it is let go, a put may drop `e` and its body. */
		*body_out = kw_body_ref(e->body);
		pthread_mutex_unlock(&c->lock);
		return 1;
	}
	for (f = c->flights; f && memcmp(f->key, key, 20) != 0; f = f->next)
		;
	if (f) { /* being made: wait for it */
		f->waiting++;
		while (!f->done)
			pthread_cond_wait(&f->landed, &c->lock);
		if (f->body) {
			body = kw_body_ref(f->body);
			c->shared++;
		} else {
			c->misses++;
		}
		if (--f->waiting == 0)
			done = f; /* landed and out of the list: the last one out frees it */
		pthread_mutex_unlock(&c->lock);
		flight_free(done);
		*body_out = body;
		return body ? 2 : 0;
	}
	c->misses++;
	/* The first to ask makes it; without the memory for a flight, alone. */
	if ((f = calloc(1, sizeof(*f)))) {
		memcpy(f->key, key, 20);
		pthread_cond_init(&f->landed, NULL);
		f->next = c->flights;
		c->flights = f;
		*flight_out = f;
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* Stores `body` under `key`, under the lock, dropping the oldest onto `*dead` for room. */
static void store(kw_cache *c, const unsigned char key[20], kw_body *body, entry **dead)
{
	entry *e;

	if (c->limit < OVERHEAD || body->len > c->limit - OVERHEAD || find(c, key) ||
	    !(e = calloc(1, sizeof(*e))))
		return; /* too large for the whole cache; or another made it meanwhile */
	memcpy(e->key, key, 20);
	e->body = kw_body_ref(body);
	while (kk_lru_oldest(&c->use) && c->bytes + body->len + OVERHEAD > c->limit)
		drop(c, oldest(c), dead);
	e->next_in_bucket = c->buckets[bucket_of(key)];
	c->buckets[bucket_of(key)] = e;
	kk_lru_push(&c->use, &e->use);
	c->bytes += body->len + OVERHEAD;
	c->entries++;
}

int kw_cache_status(kw_cache *c, const unsigned char key[20])
{
	entry *e;
	int status;

	pthread_mutex_lock(&c->lock);
	status = (e = find(c, key)) ? e->body->status : 0;
	pthread_mutex_unlock(&c->lock);
	return status;
}

void kw_cache_land(kw_cache *c, kw_flight *f, kw_body *body, int keep)
{
	kw_flight **p;
	entry *dead = NULL;
	int alone;

	pthread_mutex_lock(&c->lock);
	for (p = &c->flights; *p != f; p = &(*p)->next)
		;
	*p = f->next;
	if (body && keep)
		store(c, f->key, body, &dead);
	if (body)
		f->body = kw_body_ref(body);
	f->done = 1;
	if (!(alone = f->waiting == 0))
		pthread_cond_broadcast(&f->landed);
	pthread_mutex_unlock(&c->lock);
	if (alone)
		flight_free(f);
	free_dead(dead);
}

void kw_cache_put(kw_cache *c, const unsigned char key[20], kw_body *body)
{
	entry *dead = NULL;

	pthread_mutex_lock(&c->lock);
	store(c, key, body, &dead);
	pthread_mutex_unlock(&c->lock);
	free_dead(dead);
}

void kw_cache_stats_get(kw_cache *c, kw_cache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	out->entries = c->entries;
	out->bytes = c->bytes;
	out->flights = out->waiting = 0;
	for (kw_flight *f = c->flights; f; f = f->next) {
		out->flights++;
		out->waiting += f->waiting;
	}
	out->hits = c->hits;
	out->misses = c->misses;
	out->shared = c->shared;
	pthread_mutex_unlock(&c->lock);
}
