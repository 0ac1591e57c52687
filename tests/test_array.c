/* Tests for core/base/array: KK_ARRAY_GROW(), its growth, bound, overflow and failure. */
#include "testutil.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "common.h"

/*
 * The failures below ask for more than any machine has.  AddressSanitizer
 * would stop the program there; make it return NULL, as libc does.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

typedef struct pair {
	uint64_t a, b;
} pair;

static void fill(pair *v, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		v[i] = (pair){i, ~(uint64_t)i};
}

static void assert_filled(const pair *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(v[i].a, i);
		assert_int_equal(v[i].b, ~(uint64_t)i);
	}
}

/* Room for 8 first, then doubling, or exactly what is asked when that is more. */
static void test_growth(void **state)
{
	pair *v = NULL, *before;
	size_t alloc = 0;

	(void)state;
	assert_int_equal(KK_ARRAY_GROW(v, 0, alloc), 0);
	assert_null(v);
	assert_int_equal(alloc, 0);

	assert_int_equal(KK_ARRAY_GROW(v, 1, alloc), 0);
	assert_non_null(v);
	assert_int_equal(alloc, 8);
	fill(v, 0, 8);

	before = v;
	assert_int_equal(KK_ARRAY_GROW(v, 8, alloc), 0);
	assert_ptr_equal(v, before);
	assert_int_equal(alloc, 8);

	assert_int_equal(KK_ARRAY_GROW(v, 9, alloc), 0);
	assert_int_equal(alloc, 16);
	assert_filled(v, 8);
	fill(v, 8, 16);

	assert_int_equal(KK_ARRAY_GROW(v, 100, alloc), 0);
	assert_int_equal(alloc, 100);
	assert_filled(v, 16);
	fill(v, 16, 100);
	free(v);
}

/* Appending one at a time reallocates a logarithmic number of times. */
static void test_append(void **state)
{
	size_t alloc = 0, n = 0, grown = 0, last = 0;
	pair *v = NULL;

	(void)state;
	for (; n < 100000; n++) {
		assert_int_equal(KK_ARRAY_GROW(v, n + 1, alloc), 0);
		if (alloc != last)
			grown++;
		last = alloc;
		v[n] = (pair){n, ~(uint64_t)n};
	}
	assert_filled(v, n);
	assert_int_equal(alloc, 131072);
	assert_int_equal(grown, 15); /* 8, 16, ..., 2^17 */
	free(v);
}

/* A count whose size in bytes overflows fails before anything is allocated. */
static void test_overflow(void **state)
{
	pair *v = NULL, *before;
	size_t alloc = 0;

	(void)state;
	assert_int_equal(KK_ARRAY_GROW(v, 8, alloc), 0);
	fill(v, 0, 8);
	before = v;

	errno = 0;
	assert_int_equal(KK_ARRAY_GROW(v, SIZE_MAX / sizeof(pair) + 1, alloc), KK_ENOMEM);
	assert_int_equal(errno, ENOMEM);
	assert_ptr_equal(v, before);
	assert_int_equal(alloc, 8);
	assert_filled(v, 8);

	assert_int_equal(KK_ARRAY_GROW(v, SIZE_MAX, alloc), KK_ENOMEM);
	assert_ptr_equal(v, before);
	assert_int_equal(alloc, 8);
	assert_filled(v, 8);
	free(v);
}

/*
 * Where doubling the room would overflow the byte count, the room asked
 * for is the most a size_t can count; a doubled count that wrapped around
 * would ask realloc() for a few bytes and report success.
 */
static void test_doubling_overflow(void **state)
{
	size_t alloc = (size_t)1 << (sizeof(size_t) * 8 - 5); /* 16 bytes each: 2^63 */
	pair *v = NULL;

	(void)state;
	assert_int_equal(kk_array_grow(&v, &alloc, alloc + 1, SIZE_MAX, sizeof(*v)), KK_ENOMEM);
	assert_null(v);
	assert_int_equal(alloc, (size_t)1 << (sizeof(size_t) * 8 - 5));
}

/* When realloc() fails, the array, its contents and its room are as they were. */
static void test_failure_keeps_array(void **state)
{
	pair *v = NULL, *before;
	size_t alloc = 0;

	(void)state;
	assert_int_equal(KK_ARRAY_GROW(v, 20, alloc), 0);
	assert_int_equal(alloc, 20);
	fill(v, 0, 20);
	before = v;

	errno = 0;
	assert_int_equal(KK_ARRAY_GROW(v, SIZE_MAX / 2 / sizeof(pair), alloc), KK_ENOMEM);
	assert_int_equal(errno, ENOMEM);
	assert_ptr_equal(v, before);
	assert_int_equal(alloc, 20);
	assert_filled(v, 20);

	/* and it grows again afterwards */
	assert_int_equal(KK_ARRAY_GROW(v, 21, alloc), 0);
	assert_int_equal(alloc, 40);
	assert_filled(v, 20);
	free(v);
}

/* A byte buffer: element size 1. */
static void test_bytes(void **state)
{
	size_t alloc = 0;
	char *s = NULL;

	(void)state;
	assert_int_equal(KK_ARRAY_GROW(s, 3, alloc), 0);
	assert_int_equal(alloc, 8);
	memcpy(s, "ab", 3);
	assert_int_equal(KK_ARRAY_GROW(s, 4097, alloc), 0);
	assert_int_equal(alloc, 4097);
	assert_string_equal(s, "ab");
	assert_int_equal(KK_ARRAY_GROW(s, SIZE_MAX, alloc), KK_ENOMEM);
	assert_int_equal(alloc, 4097);
	assert_string_equal(s, "ab");
	free(s);
}

/* KK_ARRAY_GROW_MAX(): the doubling stops at the bound, and past it is KK_ELIMIT. */
static void test_bound(void **state)
{
	size_t alloc = 0, small_alloc = 0;
	char *s = NULL, *small = NULL, *before;

	(void)state;
	assert_int_equal(KK_ARRAY_GROW_MAX(small, 3, small_alloc, 5), 0);
	assert_int_equal(small_alloc, 5);
	free(small);

	assert_int_equal(KK_ARRAY_GROW_MAX(s, 3, alloc, 100), 0);
	assert_int_equal(alloc, 8);
	assert_int_equal(KK_ARRAY_GROW_MAX(s, 9, alloc, 100), 0);
	assert_int_equal(alloc, 16);
	assert_int_equal(KK_ARRAY_GROW_MAX(s, 60, alloc, 100), 0);
	assert_int_equal(alloc, 60);
	memset(s, 'x', 60);
	assert_int_equal(KK_ARRAY_GROW_MAX(s, 61, alloc, 100), 0);
	assert_int_equal(alloc, 100);
	before = s;
	assert_int_equal(KK_ARRAY_GROW_MAX(s, 100, alloc, 100), 0);
	assert_int_equal(KK_ARRAY_GROW_MAX(s, 101, alloc, 100), KK_ELIMIT);
	assert_ptr_equal(s, before);
	assert_int_equal(alloc, 100);
	for (size_t i = 0; i < 60; i++)
		assert_int_equal(s[i], 'x');
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_doubling_overflow),
		cmocka_unit_test(test_failure_keeps_array),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
