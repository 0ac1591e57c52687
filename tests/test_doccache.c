/* Tests for core/base/doccache: sharing, the size bound, least recently used first out. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "doccache.h"
#include "fileset.h"

/* Adds a small JSON file `path` holding {"n": n} to `set` and returns it. */
static const kk_file *file(kk_fileset *set, const char *path, int n)
{
	char text[64];

	snprintf(text, sizeof(text), "{\"n\": %d}\n", n);
	assert_int_equal(kk_fileset_put(set, path, text, strlen(text), NULL), 0);
	return kk_fileset_get(set, path);
}

static void expect_stats(const kk_doccache *c, size_t documents, unsigned long hits,
			 unsigned long misses, unsigned long evictions)
{
	kk_doccache_stats s;

	kk_doccache_stats_get(c, &s);
	assert_int_equal(s.documents, documents);
	assert_int_equal(s.hits, hits);
	assert_int_equal(s.misses, misses);
	assert_int_equal(s.evictions, evictions);
}

/* The same bytes give the same document, whatever the path; other bytes another. */
static void test_shared_by_blob(void **state)
{
	kk_fileset set = {0};
	kk_doccache *c = NULL;
	json_t *a, *b, *d;

	(void)state;
	assert_int_equal(kk_doccache_new(&c, 1 << 20), 0);
	assert_non_null(a = kk_doccache_parse(c, file(&set, "items/0001.json", 1), NULL));
	assert_non_null(b = kk_doccache_parse(c, file(&set, "items/0002.json", 1), NULL));
	assert_ptr_equal(a, b);
	assert_non_null(d = kk_doccache_parse(c, file(&set, "items/0003.json", 3), NULL));
	assert_ptr_not_equal(a, d);
	assert_int_equal(json_integer_value(json_object_get(d, "n")), 3);
	assert_ptr_equal(kk_doccache_get(c, &kk_fileset_get(&set, "items/0003.json")->oid), d);
	json_decref(d);
	expect_stats(c, 2, 2, 2, 0);
	json_decref(a);
	json_decref(b);
	json_decref(d);
	kk_doccache_free(c);
	kk_fileset_clear(&set);
}

/* A document kept for bytes just written is what the next parse of them gives. */
static void test_keep(void **state)
{
	kk_fileset set = {0};
	kk_doccache *c = NULL;
	json_t *doc = json_pack("{s:i}", "n", 7), *got;
	const kk_file *f;

	(void)state;
	assert_int_equal(kk_doccache_new(&c, 1 << 20), 0);
	f = file(&set, "items/0007.json", 7);
	kk_doccache_keep(c, f, doc);
	assert_ptr_equal(got = kk_doccache_parse(c, f, NULL), doc);
	json_decref(got);
	/* Kept once, however often it is offered. */
	kk_doccache_keep(c, f, doc);
	expect_stats(c, 1, 1, 0, 0);
	/* The cache holds its own reference. */
	json_decref(doc);
	assert_non_null(got = kk_doccache_get(c, &f->oid));
	assert_int_equal(json_integer_value(json_object_get(got, "n")), 7);
	json_decref(got);
	/* No cache: nothing to do. */
	kk_doccache_keep(NULL, f, got);
	kk_doccache_free(c);
	kk_fileset_clear(&set);
}

/* Past the byte budget the least recently used document goes; one held stays valid. */
static void test_bounded_lru(void **state)
{
	kk_fileset set = {0};
	kk_doccache *c = NULL;
	const kk_file *f1 = NULL, *f2, *f3;
	json_t *first, *again;
	size_t len;

	(void)state;
	f1 = file(&set, "a.json", 1);
	len = f1->len; /* every file here is this long */
	assert_int_equal(kk_doccache_new(&c, 2 * len), 0);
	assert_non_null(first = kk_doccache_parse(c, f1, NULL));
	f2 = file(&set, "b.json", 2);
	json_decref(kk_doccache_parse(c, f2, NULL));
	/* Using a.json again makes b.json the oldest: c.json pushes b.json out. */
	f1 = kk_fileset_get(&set, "a.json");
	json_decref(kk_doccache_parse(c, f1, NULL));
	f3 = file(&set, "c.json", 3);
	json_decref(kk_doccache_parse(c, f3, NULL));
	expect_stats(c, 2, 1, 3, 1);
	f2 = kk_fileset_get(&set, "b.json");
	assert_null(kk_doccache_get(c, &f2->oid));
	assert_non_null(again = kk_doccache_get(c, &kk_fileset_get(&set, "a.json")->oid));
	assert_ptr_equal(again, first);
	json_decref(again);
	kk_doccache_free(c);
	/* The cache is gone; the reference taken from it is not. */
	assert_int_equal(json_integer_value(json_object_get(first, "n")), 1);
	json_decref(first);
	kk_fileset_clear(&set);
}

/* A file larger than the whole budget is parsed, not kept; many files grow the table. */
static void test_large_and_many(void **state)
{
	kk_fileset set = {0};
	kk_doccache *c = NULL;
	kk_doccache_stats s;
	json_t *doc;

	(void)state;
	assert_int_equal(kk_doccache_new(&c, 4), 0);
	assert_non_null(doc = kk_doccache_parse(c, file(&set, "big.json", 1), NULL));
	json_decref(doc);
	expect_stats(c, 0, 0, 1, 0);
	kk_doccache_free(c);

	assert_int_equal(kk_doccache_new(&c, 1 << 20), 0);
	for (int i = 0; i < 1000; i++) {
		char path[32];

		snprintf(path, sizeof(path), "items/%04d.json", i);
		json_decref(kk_doccache_parse(c, file(&set, path, i), NULL));
	}
	for (int i = 0; i < 1000; i++) {
		char path[32];

		snprintf(path, sizeof(path), "items/%04d.json", i);
		assert_non_null(doc = kk_doccache_get(c, &kk_fileset_get(&set, path)->oid));
		assert_int_equal(json_integer_value(json_object_get(doc, "n")), i);
		json_decref(doc);
	}
	kk_doccache_stats_get(c, &s);
	assert_int_equal(s.documents, 1000);
	assert_int_equal(s.hits, 1000);
	kk_doccache_free(c);
	kk_fileset_clear(&set);
}

/* Bytes that do not parse give NULL and the parser's message, and are not kept. */
static void test_broken(void **state)
{
	kk_fileset set = {0};
	kk_doccache *c = NULL;
	kk_diag diag = {0};

	(void)state;
	assert_int_equal(kk_doccache_new(&c, 1 << 20), 0);
	assert_int_equal(kk_fileset_put(&set, "x.json", "{\"a\": ", 6, NULL), 0);
	assert_null(kk_doccache_parse(c, kk_fileset_get(&set, "x.json"), &diag));
	assert_int_equal(diag.code, KK_EINVALID);
	assert_int_not_equal(diag.line, 0);
	expect_stats(c, 0, 0, 1, 0);
	/* Without a cache it parses all the same. */
	assert_null(kk_doccache_parse(NULL, kk_fileset_get(&set, "x.json"), NULL));
	kk_doccache_free(c);
	kk_fileset_clear(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_by_blob), cmocka_unit_test(test_keep),
		cmocka_unit_test(test_bounded_lru),    cmocka_unit_test(test_large_and_many),
		cmocka_unit_test(test_broken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
