/* Tests for core/base/lru: the order of pushes, touches and removals, from either end. */
#include "testutil.h"

#include "lru.h"

typedef struct entry {
	int n;
	kk_lru_node use;
} entry;

/* Checks the order, oldest first, against `want` (n of each entry), both ways. */
static void expect_order(const kk_lru *lru, const int *want, size_t count)
{
	const kk_lru_node *node = kk_lru_oldest(lru);
	size_t i = 0;

	for (; node; node = node->newer, i++) {
		assert_true(i < count);
		assert_int_equal(KK_LRU_ENTRY(node, entry, use)->n, want[i]);
	}
	assert_int_equal(i, count);
	for (node = lru->newest; node; node = node->older)
		assert_int_equal(KK_LRU_ENTRY(node, entry, use)->n, want[--i]);
	assert_int_equal(i, 0);
}

static void test_push_touch_remove(void **state)
{
	entry e[4] = {{1, {0}}, {2, {0}}, {3, {0}}, {4, {0}}};
	kk_lru lru = {0};

	(void)state;
	assert_null(kk_lru_oldest(&lru));
	expect_order(&lru, NULL, 0);
	for (int i = 0; i < 4; i++)
		kk_lru_push(&lru, &e[i].use);
	expect_order(&lru, (int[]){1, 2, 3, 4}, 4);
	kk_lru_touch(&lru, &e[0].use); /* the oldest used */
	expect_order(&lru, (int[]){2, 3, 4, 1}, 4);
	kk_lru_touch(&lru, &e[2].use); /* one in the middle */
	expect_order(&lru, (int[]){2, 4, 1, 3}, 4);
	kk_lru_touch(&lru, &e[2].use); /* the newest again: nothing moves */
	expect_order(&lru, (int[]){2, 4, 1, 3}, 4);
	kk_lru_remove(&lru, &e[0].use); /* the middle */
	assert_null(e[0].use.newer);
	assert_null(e[0].use.older);
	expect_order(&lru, (int[]){2, 4, 3}, 3);
	kk_lru_remove(&lru, kk_lru_oldest(&lru)); /* the oldest, as an eviction does */
	expect_order(&lru, (int[]){4, 3}, 2);
	kk_lru_remove(&lru, &e[2].use); /* the newest */
	expect_order(&lru, (int[]){4}, 1);
	kk_lru_push(&lru, &e[0].use); /* a removed node goes back in */
	expect_order(&lru, (int[]){4, 1}, 2);
	kk_lru_remove(&lru, &e[3].use);
	kk_lru_remove(&lru, &e[0].use);
	expect_order(&lru, NULL, 0);
	assert_null(lru.newest);
	assert_null(kk_lru_oldest(&lru));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_touch_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
