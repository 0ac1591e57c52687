/* Tests for core/base/patch: RFC 7396 merge patches, three-way conflicts, semantic field changes.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "patch.h"

#define ITEMS	 KK_SOURCE_DIR "/examples/dx-plan-r3/items"
#define FIXTURES KK_SOURCE_DIR "/tests/fixtures/patch"
#define N_ITEMS	 35

static json_t *load_item(int id)
{
	char path[256];

	snprintf(path, sizeof(path), ITEMS "/%04d.json", id);
	return kk_test_load_json(path);
}

static json_t *apply(const json_t *target, const json_t *patch)
{
	json_t *out = NULL;
	kk_diag diag = {0};

	assert_int_equal(kk_patch_apply(&out, target, patch, &diag), 0);
	return out;
}

static json_t *diff(const json_t *from, const json_t *to)
{
	json_t *out = NULL;
	kk_diag diag = {0};

	if (kk_patch_diff(&out, from, to, &diag) < 0)
		fail_msg("kk_patch_diff: %s", diag.message);
	return out;
}

/* Every example of RFC 7396 Appendix A, applied, and diffed back where a patch can say it. */
static void test_rfc7396_examples(void **state)
{
	json_t *cases = kk_test_load_json(FIXTURES "/rfc7396.json"), *c;
	size_t i;

	(void)state;
	assert_int_equal(json_array_size(cases), 15);
	json_array_foreach(cases, i, c) {
		json_t *original = json_object_get(c, "original"),
		       *patch = json_object_get(c, "patch");
		json_t *result = json_object_get(c, "result");
		json_t *before = json_deep_copy(original), *out = NULL, *back = NULL, *again = NULL;
		kk_diag diag = {0};

		out = apply(original, patch);
		if (!json_equal(out, result))
			fail_msg("case %zu: wrong result", i + 1);
		assert_true(json_equal(original, before)); /* the target is left alone */

		/* Cases 11 ({"a":"foo"} -> null) and 13 ({"e":null}) hold nulls. */
		if (i == 10 || i == 12) {
			assert_int_equal(kk_patch_diff(&back, original, result, &diag),
					 KK_EINVALID);
			assert_null(back);
		} else {
			back = diff(original, result);
			again = apply(original, back);
			if (!json_equal(again, result))
				fail_msg("case %zu: the diff does not lead back to the result",
					 i + 1);
		}
		json_decref(before);
		json_decref(out);
		json_decref(back);
		json_decref(again);
	}
	json_decref(cases);
}

static void test_apply(void **state)
{
	json_t *patch = kk_test_parse("{\"a\": {\"b\": null, \"c\": {\"d\": 1}}, \"e\": null}");
	json_t *target = kk_test_parse("{\"a\": \"x\", \"f\": [1, null]}");
	json_t *shared = kk_test_parse("{\"k\": {\"v\": 1}}"), *out;

	(void)state;
	/* No document yet: the patch builds one, nulls dropped at every depth. */
	out = apply(NULL, patch);
	kk_assert_json(out, "{\"a\": {\"c\": {\"d\": 1}}}");
	json_decref(out);
	/* A scalar member becomes an object; arrays are kept whole, nulls in them too. */
	out = apply(target, patch);
	kk_assert_json(out, "{\"a\": {\"c\": {\"d\": 1}}, \"f\": [1, null]}");
	json_decref(out);
	kk_assert_json(target, "{\"a\": \"x\", \"f\": [1, null]}");
	/* The result shares nothing with the patch: changing it leaves the patch alone. */
	out = apply(NULL, shared);
	json_integer_set(json_object_get(json_object_get(out, "k"), "v"), 2);
	kk_assert_json(shared, "{\"k\": {\"v\": 1}}");
	json_decref(out);
	/* Object members keep their place; new ones go last. */
	json_decref(patch);
	patch = kk_test_parse("{\"g\": 2, \"a\": 1}");
	out = apply(target, patch);
	assert_string_equal(json_object_iter_key(json_object_iter(out)), "a");
	json_decref(out);
	assert_int_equal(kk_patch_apply(&out, target, NULL, NULL), KK_EINVALID);
	json_decref(patch);
	json_decref(target);
	json_decref(shared);
}

/* A patch into a nested object copies the objects on its way and shares the rest. */
static void test_apply_shares(void **state)
{
	json_t *target =
		kk_test_parse("{\"years\": {\"2021\": {\"result\": \"a\", \"note\": \"n\"},"
			      " \"2022\": {\"result\": \"b\"}}, \"title\": \"t\"}");
	json_t *before = json_deep_copy(target);
	json_t *patch = kk_test_parse("{\"years\": {\"2021\": {\"result\": \"c\"}}}");
	json_t *out = apply(target, patch), *years = json_object_get(target, "years");

	(void)state;
	kk_assert_json(out, "{\"years\": {\"2021\": {\"result\": \"c\", \"note\": \"n\"},"
			    " \"2022\": {\"result\": \"b\"}}, \"title\": \"t\"}");
	assert_true(json_equal(target, before));
	/* Copied where the patch goes... */
	assert_ptr_not_equal(json_object_get(out, "years"), years);
	assert_ptr_not_equal(json_object_get(json_object_get(out, "years"), "2021"),
			     json_object_get(years, "2021"));
	/* ...and shared where it does not. */
	assert_ptr_equal(json_object_get(json_object_get(out, "years"), "2022"),
			 json_object_get(years, "2022"));
	assert_ptr_equal(json_object_get(out, "title"), json_object_get(target, "title"));
	/* Freeing the target first leaves the result whole. */
	json_decref(target);
	json_decref(before);
	kk_assert_json(out, "{\"years\": {\"2021\": {\"result\": \"c\", \"note\": \"n\"},"
			    " \"2022\": {\"result\": \"b\"}}, \"title\": \"t\"}");
	json_decref(out);
	json_decref(patch);
}

/* diff then apply gives the second item back, for every pair of real items. */
static void test_diff_round_trip_items(void **state)
{
	json_t *items[N_ITEMS];

	(void)state;
	for (int i = 0; i < N_ITEMS; i++)
		items[i] = load_item(i + 1);
	for (int i = 0; i < N_ITEMS; i++) {
		for (int j = 0; j < N_ITEMS; j++) {
			json_t *patch = diff(items[i], items[j]), *out = apply(items[i], patch);

			if (!json_equal(out, items[j]))
				fail_msg("items %d -> %d do not round-trip", i + 1, j + 1);
			if (i == j)
				assert_int_equal(json_object_size(patch), 0);
			json_decref(patch);
			json_decref(out);
		}
	}
	for (int i = 0; i < N_ITEMS; i++)
		json_decref(items[i]);
}

/* The patch an edit gives says exactly what changed, and nothing else. */
static void test_diff_minimal(void **state)
{
	json_t *old = load_item(29), *new = json_deep_copy(old), *patch;
	json_t *years = json_object_get(new, "years");

	(void)state;
	json_object_set_new(json_object_get(years, "2021"), "progress", json_string("on_track"));
	json_object_del(years, "2022");
	json_object_set_new(new, "owners", json_pack("[s,s]", "高齢福祉課", "デジタル戦略課"));
	patch = diff(old, new);
	kk_assert_json(patch,
		       "{\"owners\": [\"高齢福祉課\", \"デジタル戦略課\"], \"years\": {\"2021\": "
		       "{\"progress\": \"on_track\"}, \"2022\": null}}");
	json_decref(patch);

	/* Only an object patch merges: anything else is the new value itself. */
	patch = diff(json_object_get(old, "owners"), json_object_get(old, "owners"));
	kk_assert_json(patch, "[\"高齢福祉課\"]");
	json_decref(patch);
	patch = diff(NULL, old);
	assert_true(json_equal(patch, old));
	json_decref(patch);
	json_decref(old);
	json_decref(new);
}

static void test_diff_null(void **state)
{
	json_t *old = load_item(26), *new = json_deep_copy(old), *patch = NULL;
	kk_diag diag = {0};

	(void)state;
	json_object_set_new(json_object_get(json_object_get(new, "years"), "2021"), "progress",
			    json_null());
	assert_int_equal(kk_patch_diff(&patch, old, new, &diag), KK_EINVALID);
	assert_null(patch);
	assert_string_equal(diag.pointer, "/years/2021/progress");
	assert_string_equal(diag.message, "cannot build a merge patch: the value at "
					  "'/years/2021/progress' is null, which a merge patch "
					  "cannot express");
	/* In `from` too, and inside arrays. */
	json_object_set_new(old, "related", json_pack("[s,n]", "総務課"));
	assert_int_equal(kk_patch_diff(&patch, old, old, &diag), KK_EINVALID);
	assert_string_equal(diag.pointer, "/related/1");
	assert_int_equal(kk_patch_diff(&patch, old, NULL, &diag), KK_EINVALID);
	json_decref(old);
	json_decref(new);
}

/* What kk_patch_conflicts() lists for `patch`, against item 25 and an edited head. */
static int conflicts(json_t **fields, const json_t *base, const json_t *head, const char *patch)
{
	json_t *p = kk_test_parse(patch);
	int n;

	*fields = json_array();
	n = kk_patch_conflicts(*fields, base, head, p);
	json_decref(p);
	return n;
}

static void test_conflicts(void **state)
{
	json_t *base = load_item(25), *head, *fields;
	json_t *changed =
		kk_test_parse("{\"owners\": [\"秘書課\", \"総務課\"], \"years\": {\"2021\": "
			      "{\"progress\": \"ahead\"}, \"2022\": null}}");

	(void)state;
	/* Since base, someone set FY2021 progress, added an owner and dropped FY2022. */
	head = apply(base, changed);

	/* The same field: listed. */
	assert_int_equal(conflicts(&fields, base, head,
				   "{\"years\": {\"2021\": {\"progress\": \"on_track\"}}}"),
			 1);
	kk_assert_json(fields, "[\"years.2021.progress\"]");
	json_decref(fields);
	/* Another field of the same year: merges. */
	assert_int_equal(
		conflicts(&fields, base, head, "{\"years\": {\"2021\": {\"result\": \"x\"}}}"), 0);
	kk_assert_json(fields, "[]");
	json_decref(fields);
	/* Removing a changed field is touching it. */
	assert_int_equal(
		conflicts(&fields, base, head, "{\"years\": {\"2021\": {\"progress\": null}}}"), 1);
	kk_assert_json(fields, "[\"years.2021.progress\"]");
	json_decref(fields);
	/* Arrays are one field. */
	assert_int_equal(
		conflicts(&fields, base, head, "{\"owners\": [\"秘書課\"], \"title\": \"t\"}"), 1);
	kk_assert_json(fields, "[\"owners\"]");
	json_decref(fields);
	/* Nested: a field of a year that is gone now, and one that was never there. */
	assert_int_equal(conflicts(&fields, base, head,
				   "{\"years\": {\"2022\": {\"revised\": \"導入\", \"progress\": "
				   "\"ahead\"}}}"),
			 1);
	kk_assert_json(fields, "[\"years.2022.revised\"]");
	json_decref(fields);
	/* Replacing a whole changed year touches all of it. */
	assert_int_equal(
		conflicts(&fields, base, head, "{\"years\": {\"2021\": null, \"2020\": null}}"), 1);
	kk_assert_json(fields, "[\"years.2021\"]");
	json_decref(fields);
	/* Several at once, in the patch's order, appended after what is there. */
	fields = json_pack("[s]", "earlier");
	{
		json_t *p = kk_test_parse("{\"years\": {\"2022\": null, \"2021\": {\"progress\": "
					  "\"behind\"}}, \"owners\": []}");

		assert_int_equal(kk_patch_conflicts(fields, base, head, p), 3);
		json_decref(p);
	}
	kk_assert_json(fields,
		       "[\"earlier\", \"years.2022\", \"years.2021.progress\", \"owners\"]");
	json_decref(fields);
	/* Nothing changed since base: nothing conflicts. */
	assert_int_equal(
		conflicts(&fields, base, base, "{\"years\": {\"2021\": {\"progress\": null}}}"), 0);
	json_decref(fields);
	/* No document at base (created since): every field the patch touches. */
	assert_int_equal(conflicts(&fields, NULL, head,
				   "{\"title\": \"t\", \"years\": {\"2023\": "
				   "{\"revised\": \"r\"}}}"),
			 1);
	kk_assert_json(fields, "[\"title\"]");
	json_decref(fields);
	assert_int_equal(conflicts(&fields, NULL, NULL, "{\"title\": \"t\"}"), 0);
	json_decref(fields);
	json_decref(base);
	json_decref(head);
	json_decref(changed);
}

/* An object in the patch where a changed non-object is now replaces it: a conflict. */
static void test_conflicts_shapes(void **state)
{
	json_t *base = kk_test_parse("{\"a\": \"x\", \"b\": {\"c\": 1}}");
	json_t *head = kk_test_parse("{\"a\": \"y\", \"b\": 2}"), *fields;

	(void)state;
	assert_int_equal(conflicts(&fields, base, head, "{\"a\": {\"d\": 1}}"), 1);
	kk_assert_json(fields, "[\"a\"]");
	json_decref(fields);
	assert_int_equal(conflicts(&fields, base, head, "{\"b\": {\"c\": 3}}"), 1);
	kk_assert_json(fields, "[\"b\"]");
	json_decref(fields);
	/* A patch that is not an object replaces the whole document. */
	assert_int_equal(conflicts(&fields, base, head, "[1]"), 1);
	kk_assert_json(fields, "[\"\"]");
	json_decref(fields);
	assert_int_equal(conflicts(&fields, base, base, "[1]"), 0);
	json_decref(fields);
	json_decref(base);
	json_decref(head);
}

static json_t *fields_of(const json_t *old, const json_t *new, const char *prefix, int count)
{
	json_t *changes = json_array();

	assert_int_equal(kk_diff_fields(changes, old, new, prefix), count);
	assert_int_equal(json_array_size(changes), count);
	return changes;
}

static void test_diff_fields(void **state)
{
	json_t *old = load_item(26), *new, *changes;
	json_t *edit = kk_test_parse(
		"{\"owners\": [\"デジタル戦略課\", \"総務課\"], \"years\": {\"2021\": {\"progress\": "
		"\"behind\", \"result\": null}, \"2022\": {\"revised\": \"拡大\", \"progress\": "
		"\"ahead\"}}}");

	(void)state;
	new = apply(old, edit);
	/* new's order (years.2021 before 2022), removed fields after each object's own. */
	changes = fields_of(old, new, NULL, 5);
	kk_assert_json(
		changes,
		"[{\"path\": \"owners\", \"old\": [\"デジタル戦略課\"], \"new\": [\"デジタル戦略課\", "
		"\"総務課\"]},"
		" {\"path\": \"years.2021.progress\", \"old\": \"on_track\", \"new\": \"behind\"},"
		" {\"path\": \"years.2021.result\", \"old\": \"・検証の結果、テレワーク端末の同時"
		"利用が可能となった。また、テレワーク端末を新たに調達し、170台体制となった。\"},"
		" {\"path\": \"years.2022.revised\", \"new\": \"拡大\"},"
		" {\"path\": \"years.2022.progress\", \"new\": \"ahead\"}]");
	json_decref(changes);

	/* The other way round: what was added is removed. */
	changes = fields_of(new, old, NULL, 5);
	kk_assert_json(json_array_get(changes, 4), "{\"path\": \"years.2022.progress\", \"old\": "
						   "\"ahead\"}");
	json_decref(changes);

	/* Below a prefix. */
	changes =
		fields_of(json_object_get(old, "years"), json_object_get(new, "years"), "years", 4);
	kk_assert_json(json_object_get(json_array_get(changes, 0), "path"),
		       "\"years.2021.progress\"");
	json_decref(changes);
	changes = fields_of(json_object_get(old, "years"), json_object_get(new, "years"), "", 4);
	kk_assert_json(json_object_get(json_array_get(changes, 3), "path"), "\"2022.progress\"");
	json_decref(changes);

	/* Nothing differs: nothing appended, and what is there stays. */
	changes = json_pack("[i]", 1);
	assert_int_equal(kk_diff_fields(changes, old, old, NULL), 0);
	kk_assert_json(changes, "[1]");
	json_decref(changes);
	changes = fields_of(NULL, NULL, NULL, 0);
	json_decref(changes);
	json_decref(old);
	json_decref(new);
	json_decref(edit);
}

/* A new item lists all its fields, without "old"; a removed one all, without "new". */
static void test_diff_fields_whole(void **state)
{
	json_t *item = load_item(29), *changes, *c, *empty = json_object();
	static const char *const paths[] = {
		"id",
		"pillar",
		"section",
		"measure",
		"title",
		"owners",
		"related",
		"status",
		"years.2020.planned",
		"years.2020.progress",
		"years.2020.achievement",
		"years.2020.result",
		"years.2021.planned",
		"years.2021.revised",
		"years.2021.progress",
		"years.2021.result",
		"years.2022.revised",
	};
	size_t i;

	(void)state;
	changes = fields_of(NULL, item, NULL, 17);
	json_array_foreach(changes, i, c) {
		assert_string_equal(json_string_value(json_object_get(c, "path")), paths[i]);
		assert_null(json_object_get(c, "old"));
		assert_non_null(json_object_get(c, "new"));
	}
	kk_assert_json(json_array_get(changes, 6), "{\"path\": \"related\", \"new\": []}");
	json_decref(changes);
	changes = fields_of(item, NULL, NULL, 17);
	kk_assert_json(json_array_get(changes, 16),
		       "{\"path\": \"years.2022.revised\", \"old\": \"導入\"}");
	json_decref(changes);

	/* An empty object appearing is a change in itself; no document is an empty one. */
	json_object_set_new(json_object_get(item, "years"), "2023", json_object());
	changes = fields_of(NULL, item, NULL, 18);
	kk_assert_json(json_array_get(changes, 17), "{\"path\": \"years.2023\", \"new\": {}}");
	json_decref(changes);
	changes = fields_of(NULL, empty, NULL, 0);
	json_decref(changes);
	changes = fields_of(empty, NULL, "x", 0);
	json_decref(changes);
	/* Scalars and type changes are compared as values. */
	changes = fields_of(json_object_get(item, "id"), json_object_get(item, "title"), "v", 1);
	kk_assert_json(changes,
		       "[{\"path\": \"v\", \"old\": 29, \"new\": \"介護認定審査会でのタブレット"
		       "の活用\"}]");
	json_decref(changes);
	json_decref(item);
	json_decref(empty);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7396_examples),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_apply_shares),
		cmocka_unit_test(test_diff_round_trip_items),
		cmocka_unit_test(test_diff_minimal),
		cmocka_unit_test(test_diff_null),
		cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_conflicts_shapes),
		cmocka_unit_test(test_diff_fields),
		cmocka_unit_test(test_diff_fields_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
