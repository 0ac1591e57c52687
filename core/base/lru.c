/*
 * lru.c - the least-recently-used order (lru.h): a doubly linked list, the
 * newest at one end and the oldest at the other.
 */
#include "lru.h"

void kk_lru_push(kk_lru *lru, kk_lru_node *node)
{
	node->older = lru->newest;
	node->newer = NULL;
	if (lru->newest)
		lru->newest->newer = node;
	else
		lru->oldest = node;
	lru->newest = node;
}

void kk_lru_remove(kk_lru *lru, kk_lru_node *node)
{
	if (node->newer)
		node->newer->older = node->older;
	else
		lru->newest = node->older;
	if (node->older)
		node->older->newer = node->newer;
	else
		lru->oldest = node->newer;
	node->newer = node->older = NULL;
}

void kk_lru_touch(kk_lru *lru, kk_lru_node *node)
{
	if (lru->newest == node)
		return;
	kk_lru_remove(lru, node);
	kk_lru_push(lru, node);
}
