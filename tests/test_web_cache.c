/*
 * Tests for web/cache: keikaku serve's response cache.  A body as large as the whole cache
 * is kept; a response keeps its status (a 400 or 404 is kept as a page is); a body dropped
 * from the cache lives while an answer still holds it; requests for a page being made wait
 * for that one page (a flight) and get it, or, when it brings nothing to share, make their
 * own.
 */
#include "testutil.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"

#define KEY(c) ((const unsigned char[20]){c})

/* A body of `len` bytes of `fill`, with `status`. */
static kw_body *body_of(size_t len, char fill, int status)
{
	kk_buf b = {0};
	kw_body *body;

	for (size_t i = 0; i < len; i++)
		kk_buf_put(&b, &fill, 1);
	body = kw_body_new(&b, "text/html; charset=utf-8", status);
	assert_non_null(body);
	assert_null(b.data);
	assert_int_equal(body->len, len);
	return body;
}

static void test_large_and_negative(void **state)
{
	kw_cache *c = kw_cache_new(1 << 20);
	kw_body *big = body_of(900 << 10, 'a', 200), *huge = body_of(1 << 20, 'b', 200);
	kw_body *missing = body_of(100, 'c', 404), *got = NULL;
	kw_flight *flight;
	kw_cache_stats stats;

	(void)state;
	assert_non_null(c);
	/* Nine tenths of the cache is kept (a quarter was the most before); all of it is not. */
	kw_cache_put(c, KEY(1), big);
	kw_cache_put(c, KEY(2), huge);
	assert_int_equal(kw_cache_get(c, KEY(1), &got, &flight), 1);
	assert_ptr_equal(got, big); /* the same bytes, not a copy */
	assert_null(flight);
	kw_body_unref(got);
	assert_int_equal(kw_cache_status(c, KEY(1)), 200);
	assert_int_equal(kw_cache_status(c, KEY(2)), 0);
	assert_int_equal(kw_cache_get(c, KEY(2), &got, &flight), 0);
	assert_non_null(flight);
	kw_cache_land(c, flight, NULL, 0);
	/* A 404 is kept with its status. */
	kw_cache_put(c, KEY(3), missing);
	assert_int_equal(kw_cache_status(c, KEY(3)), 404);
	assert_int_equal(kw_cache_get(c, KEY(3), &got, &flight), 1);
	assert_int_equal(got->status, 404);
	assert_memory_equal(got->data, "ccc", 3);
	kw_body_unref(got);
	kw_cache_stats_get(c, &stats);
	assert_int_equal(stats.entries, 2);
	/* The large one again, as an answer would hold it; then dropped for a second one. */
	assert_int_equal(kw_cache_get(c, KEY(1), &got, &flight), 1);
	kw_cache_put(c, KEY(4), huge); /* too large: nothing moves */
	kw_body_unref(huge);
	{
		kw_body *other = body_of(600 << 10, 'd', 200);

		kw_cache_put(c, KEY(5), other);
		kw_body_unref(other);
	}
	assert_int_equal(kw_cache_status(c, KEY(1)), 0);
	assert_int_equal(kw_cache_status(c, KEY(5)), 200);
	assert_int_equal(got->len, 900 << 10); /* still whole: the answer's reference */
	assert_int_equal(got->data[(900 << 10) - 1], 'a');
	kw_body_unref(got);
	kw_body_unref(big);
	kw_body_unref(missing);
	kw_cache_free(c);
}

typedef struct asker {
	kw_cache *cache;
	int found;
	kw_body *body;
	kw_flight *flight;
	pthread_t thread;
} asker;

static void *ask(void *arg)
{
	asker *a = arg;

	a->found = kw_cache_get(a->cache, KEY(9), &a->body, &a->flight);
	return NULL;
}

/* Starts `n` askers of KEY(9) and waits until all of them wait for its flight. */
static void start_askers(asker *a, size_t n, kw_cache *c)
{
	kw_cache_stats stats;

	for (size_t i = 0; i < n; i++) {
		a[i] = (asker){.cache = c};
		assert_int_equal(pthread_create(&a[i].thread, NULL, ask, &a[i]), 0);
	}
	kw_cache_stats_get(c, &stats);
	for (int tries = 0; tries < 10000 && stats.waiting < n; tries++) {
		usleep(1000);
		kw_cache_stats_get(c, &stats);
	}
	assert_int_equal(stats.flights, 1);
	assert_int_equal(stats.waiting, n);
}

/* A flight of KEY(9) that `n` more requests wait for, landed with `body`: they are done. */
static void fly(asker *a, size_t n, kw_cache *c, kw_body *body, int keep)
{
	kw_body *got = NULL;
	kw_flight *flight = NULL;

	assert_int_equal(kw_cache_get(c, KEY(9), &got, &flight), 0);
	assert_non_null(flight);
	start_askers(a, n, c);
	kw_cache_land(c, flight, body, keep);
	for (size_t i = 0; i < n; i++)
		pthread_join(a[i].thread, NULL);
}

static void test_flights(void **state)
{
	kw_cache *c = kw_cache_new(1 << 20);
	kw_body *page = body_of(1000, 'p', 400), *got = NULL;
	kw_flight *flight = NULL;
	kw_cache_stats stats;
	asker a[4];

	(void)state;
	/* The first to ask makes it; the others wait, and get that very page. */
	fly(a, 4, c, page, 1);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(a[i].found, 2);
		assert_ptr_equal(a[i].body, page);
		assert_null(a[i].flight);
		kw_body_unref(a[i].body);
	}
	kw_cache_stats_get(c, &stats);
	assert_int_equal(stats.shared, 4);
	assert_int_equal(stats.flights, 0);
	assert_int_equal(kw_cache_status(c, KEY(9)), 400); /* and it is kept */
	assert_int_equal(kw_cache_get(c, KEY(9), &got, &flight), 1);
	kw_body_unref(got);
	kw_body_unref(page);
	kw_cache_free(c);

	/* A flight that brings nothing to share: each waiter makes its own, alone. */
	c = kw_cache_new(1 << 20);
	fly(a, 3, c, NULL, 0);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(a[i].found, 0);
		assert_null(a[i].flight);
		assert_null(a[i].body);
	}
	/* A 503 handed over but not kept: the next request makes the page again. */
	page = body_of(10, 'b', 503);
	fly(a, 2, c, page, 0);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(a[i].found, 2);
		assert_int_equal(a[i].body->status, 503);
		kw_body_unref(a[i].body);
	}
	assert_int_equal(kw_cache_status(c, KEY(9)), 0);
	fly(a, 0, c, NULL, 0);
	kw_body_unref(page);
	kw_cache_free(c);
}

static void test_empty_body(void **state)
{
	kk_buf b = {0};
	kw_body *body = kw_body_new(&b, "text/plain", 200);

	(void)state;
	assert_non_null(body);
	assert_int_equal(body->len, 0);
	assert_string_equal(body->data, "");
	assert_ptr_equal(kw_body_ref(body), body);
	kw_body_unref(body);
	kw_body_unref(body);
	kw_body_unref(NULL);
}

/*
 * Hits on one page while another thread stores pages nearly the cache's size, each
 * of which drops every other entry: a hit's body is its own reference, taken before
 * the entry can be dropped (under ASan, a body read after it was freed is a report).
 */
static kw_cache *race_cache;

/* A body of `len` (at most 1,000) bytes of `fill`, made in one go: the race needs speed. */
static kw_body *quick_body(size_t len, char fill)
{
	char bytes[1000];
	kk_buf b = {0};

	memset(bytes, fill, len);
	kk_buf_put(&b, bytes, len);
	return kw_body_new(&b, "text/html; charset=utf-8", 200);
}

static void *race_puts(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < 200000; i++) {
		kw_body *big = quick_body(900, 'b');

		kw_cache_put(
			race_cache,
			(const unsigned char[20]){2, (unsigned char)i, (unsigned char)(i >> 8)},
			big);
		kw_body_unref(big);
	}
	return NULL;
}

static void test_hit_while_dropped(void **state)
{
	pthread_t writer;

	(void)state;
	race_cache = kw_cache_new(1100);
	assert_non_null(race_cache);
	assert_int_equal(pthread_create(&writer, NULL, race_puts, NULL), 0);
	for (unsigned i = 0; i < 200000; i++) {
		kw_body *body = NULL;
		kw_flight *flight = NULL;

		if (kw_cache_get(race_cache, KEY(1), &body, &flight)) {
			assert_int_equal(body->data[0], 's');
			kw_body_unref(body);
		} else {
			kw_body *small = quick_body(10, 's');

			if (flight)
				kw_cache_land(race_cache, flight, small, 1);
			else
				kw_cache_put(race_cache, KEY(1), small);
			kw_body_unref(small);
		}
	}
	assert_int_equal(pthread_join(writer, NULL), 0);
	kw_cache_free(race_cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_large_and_negative),
		cmocka_unit_test(test_flights),
		cmocka_unit_test(test_empty_body),
		cmocka_unit_test(test_hit_while_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
