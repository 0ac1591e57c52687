/*
 * lru.h - a least-recently-used order for a cache's entries, intrusive: each
 * entry holds a kk_lru_node, the cache a kk_lru.  It allocates nothing and
 * locks nothing: the cache that owns it does both.  The parse cache
 * (doccache.c) and keikaku serve's response cache (web/cache.c) keep their
 * entries' order with it.
 */
#ifndef KK_LRU_H
#define KK_LRU_H

#include <stddef.h>

/* In an entry; zero-initialise.  Linked while the entry is in a kk_lru. */
typedef struct kk_lru_node {
	struct kk_lru_node *newer, *older;
} kk_lru_node;

/* The order; zero-initialise.  Empty when `newest` is NULL. */
typedef struct kk_lru {
	kk_lru_node *newest, *oldest;
} kk_lru;

/* The entry of type `type` whose member `member` is `node`. */
#define KK_LRU_ENTRY(node, type, member) ((type *)(void *)((char *)(node)-offsetof(type, member)))

/* Links `node`, not in the order yet, as the newest. */
void kk_lru_push(kk_lru *lru, kk_lru_node *node);

/* Unlinks `node`, which is in the order, and leaves it zeroed. */
void kk_lru_remove(kk_lru *lru, kk_lru_node *node);

/* Makes `node`, which is in the order, the newest: it has just been used. */
void kk_lru_touch(kk_lru *lru, kk_lru_node *node);

/* The least recently used node, or NULL when the order is empty. */
static inline kk_lru_node *kk_lru_oldest(const kk_lru *lru)
{
	return lru->oldest;
}

#endif
