/* Tests for core/history/diff: the semantic difference between commits, and inline text diffs. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "json.h"
#include "patch.h"
#include "sandbox.h"
#include "store.h"

#define FIXTURES KK_SOURCE_DIR "/tests/fixtures/diff"

typedef struct {
	kk_test_sandbox *box; /* the example plan (c0), and c1 and c2 on top of it */
	git_oid c0, c1, c2;
} sandbox;

static void assert_json_file(const json_t *actual, const char *name)
{
	char path[512];
	char *text;

	snprintf(path, sizeof(path), FIXTURES "/%s", name);
	assert_non_null(text = kk_test_slurp(path, NULL));
	kk_assert_json_exact(actual, text);
	free(text);
}

static json_t *get(const kk_fileset *set, const char *path)
{
	const kk_file *f = kk_fileset_get(set, path);

	assert_non_null(f);
	return kk_test_parse(f->data);
}

/* Stores `doc` at `path` as keikaku fmt would (the diff does not care, as long as it parses). */
static void put(kk_fileset *set, const char *path, json_t *doc)
{
	char *text = json_dumps(doc, JSON_INDENT(2));

	assert_non_null(text);
	assert_int_equal(kk_fileset_put(set, path, text, strlen(text), NULL), 0);
	free(text);
	json_decref(doc);
}

static void put_text(kk_fileset *set, const char *path, const char *text)
{
	assert_int_equal(kk_fileset_put(set, path, text, strlen(text), NULL), 0);
}

/* Drops `path` from `set`. */
static void drop(kk_fileset *set, const char *path)
{
	kk_fileset rest = {0};

	for (size_t i = 0; i < set->count; i++)
		if (strcmp(set->files[i].path, path) != 0)
			assert_int_equal(kk_fileset_put_file(&rest, &set->files[i], NULL), 0);
	assert_int_equal(rest.count + 1, set->count);
	kk_fileset_clear(set);
	*set = rest;
}

static json_t *small_item(int id, const char *title, const char *year)
{
	return json_pack("{s:i, s:i, s:i, s:i, s:s, s:[s], s:[], s:s, s:{s:{s:s}}}", "id", id,
			 "pillar", 2, "section", 1, "measure", 1, "title", title, "owners",
			 "デジタル戦略課", "related", "status", "open", "years", year, "revised",
			 "検討");
}

/*
 * c0: the example plan.  c1: item 26 changed (progress, a word of its
 * result, status), items 36 and 10000 added, item 1 reformatted only,
 * FY2021 closed, a user mapped, a measure's description edited.  c2: item
 * 36 removed, 37 added, 10000 changed.
 */
static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));
	kk_fileset *files;
	json_t *doc, *year;
	void *box;
	char *text;

	if (!sb || kk_test_sandbox_setup_example(&box) < 0)
		return -1;
	sb->box = box;
	sb->c0 = sb->box->first;
	files = &sb->box->files;

	doc = get(files, "items/0026.json");
	year = json_object_get(json_object_get(doc, "years"), "2021");
	json_object_set_new(year, "progress", json_string("behind"));
	json_object_set_new(
		year, "result",
		json_string("・検証の結果、テレワーク端末の同時利用が可能となった。また、"
			    "テレワーク端末を新たに調達し、200台体制となった。"));
	json_object_set_new(doc, "status", json_string("open"));
	put(files, "items/0026.json", doc);
	put(files, "items/0036.json", small_item(36, "新しい項目", "2022"));
	put(files, "items/10000.json", small_item(10000, "一万番目の項目", "2021"));
	/* Same content, other bytes: not a change. */
	doc = get(files, "items/0001.json");
	assert_non_null(text = json_dumps(doc, JSON_COMPACT));
	put_text(files, "items/0001.json", text);
	free(text);
	json_decref(doc);

	doc = get(files, "keikaku.json");
	json_object_set_new(json_object_get(doc, "years"), "2021", json_string("closed"));
	put(files, "keikaku.json", doc);
	doc = get(files, "departments.json");
	json_object_set_new(json_array_get(json_object_get(doc, "departments"), 1), "users",
			    json_pack("[s]", "alice"));
	put(files, "departments.json", doc);
	doc = get(files, "plan.json");
	json_object_set_new(
		json_array_get(
			json_object_get(
				json_array_get(
					json_object_get(
						json_array_get(json_object_get(doc, "pillars"), 1),
						"sections"),
					0),
				"measures"),
			0),
		"description",
		json_string(
			"○試行実施を行ったテレワークについて、実施における規程等を整備し、本格的"
			"な導入を行います。 ○タブレット端末によりテレワークができる環境を構築しま"
			"す。"));
	put(files, "plan.json", doc);
	sb->c1 = kk_test_sandbox_commit(sb->box, "Second\n");

	drop(files, "items/0036.json");
	put(files, "items/0037.json", small_item(37, "次の項目", "2021"));
	put(files, "items/10000.json", small_item(10000, "一万番目", "2021"));
	sb->c2 = kk_test_sandbox_commit(sb->box, "Third\n");
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;
	void *box = sb->box;

	free(sb);
	return kk_test_sandbox_teardown(&box);
}

/* Diffs and checks "from" and "to", then drops them so that the rest compares to a fixture. */
static json_t *diff(sandbox *sb, const git_oid *from, const git_oid *to,
		    const kk_diff_filter *filter)
{
	json_t *out = NULL;
	kk_diag diag = {0};
	char hex[GIT_OID_HEXSZ + 1];

	if (kk_diff_commits(&out, sb->box->store, from, to, filter, &diag) < 0)
		fail_msg("kk_diff_commits: %s", diag.message);
	if (from)
		assert_string_equal(json_string_value(json_object_get(out, "from")),
				    git_oid_tostr(hex, sizeof(hex), from));
	else
		assert_true(json_is_null(json_object_get(out, "from")));
	assert_string_equal(json_string_value(json_object_get(out, "to")),
			    git_oid_tostr(hex, sizeof(hex), to));
	assert_int_equal(json_object_size(out), 4);
	json_object_del(out, "from");
	json_object_del(out, "to");
	return out;
}

/* Every kind of change, in the documented shape, exactly. */
static void test_changes(void **state)
{
	sandbox *sb = *state;
	json_t *d = diff(sb, &sb->c0, &sb->c1, NULL);

	assert_json_file(d, "c0-c1.json");
	json_decref(d);
}

/* Removed and added items sort by id, whatever the order of their files in the tree. */
static void test_removed_and_sorted(void **state)
{
	sandbox *sb = *state;
	json_t *d = diff(sb, &sb->c1, &sb->c2, NULL);

	assert_json_file(d, "c1-c2.json");
	json_decref(d);
	/* Backwards, the same changes the other way round. */
	d = diff(sb, &sb->c2, &sb->c1, NULL);
	kk_assert_json_exact(
		json_object_get(json_array_get(json_object_get(d, "items"), 0), "change"),
		"\"added\"");
	kk_assert_json_exact(
		json_object_get(json_array_get(json_object_get(d, "items"), 1), "change"),
		"\"removed\"");
	json_decref(d);
	/* A commit against itself: nothing. */
	d = diff(sb, &sb->c1, &sb->c1, NULL);
	kk_assert_json_exact(d, "{\"items\": [], \"files\": []}");
	json_decref(d);
}

/* One item only: its entry as in the whole diff, no files; nothing when it did not change. */
static void test_filter_item(void **state)
{
	sandbox *sb = *state;
	static const struct {
		json_int_t id;
		const char *expected;
	} cases[] = {
		{1, "{\"items\": [], \"files\": []}"}, /* reformatted only */
		{2, "{\"items\": [], \"files\": []}"}, /* unchanged */
		{99, "{\"items\": [], \"files\": []}"},
		{36,
		 "{\"items\": [{\"id\": 36, \"title\": \"新しい項目\", \"change\": \"added\","
		 " \"item\": {\"id\": 36, \"pillar\": 2, \"section\": 1, \"measure\": 1,"
		 " \"title\": \"新しい項目\", \"owners\": [\"デジタル戦略課\"], \"related\": [],"
		 " \"status\": \"open\", \"years\": {\"2022\": {\"revised\": \"検討\"}}}}],"
		 " \"files\": []}"},
	};
	kk_diff_filter f = {.item = 26};
	json_t *all = diff(sb, &sb->c0, &sb->c1, NULL), *d = diff(sb, &sb->c0, &sb->c1, &f);
	char *text;

	assert_int_equal(json_array_size(json_object_get(d, "items")), 1);
	assert_int_equal(json_array_size(json_object_get(d, "files")), 0);
	text = json_dumps(json_array_get(json_object_get(all, "items"), 0), JSON_COMPACT);
	kk_assert_json_exact(json_array_get(json_object_get(d, "items"), 0), text);
	free(text);
	json_decref(all);
	json_decref(d);

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		f.item = cases[i].id;
		d = diff(sb, &sb->c0, &sb->c1, &f);
		kk_assert_json_exact(d, cases[i].expected);
		json_decref(d);
	}
}

/* A fiscal year: only its fields; added items only if they have it; files too. */
static void test_filter_year(void **state)
{
	sandbox *sb = *state;
	kk_diff_filter f = {.year = 2021};
	json_t *d = diff(sb, &sb->c0, &sb->c1, &f);

	assert_json_file(d, "c0-c1-fy2021.json");
	json_decref(d);

	f.year = 2022;
	d = diff(sb, &sb->c0, &sb->c1, &f);
	kk_assert_json_exact(json_object_get(d, "files"), "[]");
	assert_int_equal(json_array_size(json_object_get(d, "items")), 1);
	kk_assert_json_exact(json_object_get(json_array_get(json_object_get(d, "items"), 0), "id"),
			     "36");
	json_decref(d);

	/* Both: item 26 in FY2020 changed nothing. */
	f.item = 26;
	f.year = 2020;
	d = diff(sb, &sb->c0, &sb->c1, &f);
	kk_assert_json_exact(d, "{\"items\": [], \"files\": []}");
	json_decref(d);
}

/* From nothing: a root commit adds every item and every plan-wide file. */
static void test_from_nothing(void **state)
{
	sandbox *sb = *state;
	json_t *d = diff(sb, NULL, &sb->c0, NULL), *items = json_object_get(d, "items");
	json_t *files = json_object_get(d, "files");

	assert_int_equal(json_array_size(items), 35);
	for (size_t i = 0; i < 35; i++) {
		json_t *e = json_array_get(items, i);

		assert_int_equal(json_integer_value(json_object_get(e, "id")), (json_int_t)i + 1);
		assert_string_equal(json_string_value(json_object_get(e, "change")), "added");
		assert_true(json_is_object(json_object_get(e, "item")));
	}
	kk_assert_json_exact(json_object_get(json_array_get(items, 25), "title"),
			     "\"テレワークの拡大\"");
	assert_int_equal(json_array_size(files), 3);
	kk_assert_json_exact(json_object_get(json_array_get(files, 0), "path"), "\"keikaku.json\"");
	kk_assert_json_exact(json_object_get(json_array_get(files, 0), "change"), "\"added\"");
	kk_assert_json_exact(
		json_array_get(json_object_get(json_array_get(files, 0), "changes"), 0),
		"{\"path\": \"title\", \"new\": \"空閑市DX推進計画\"}");
	kk_assert_json_exact(json_object_get(json_array_get(files, 1), "path"),
			     "\"departments.json\"");
	kk_assert_json_exact(json_object_get(json_array_get(files, 2), "path"), "\"plan.json\"");
	json_decref(d);
}

/* A missing commit, and a file that does not parse, are named. */
static void test_errors(void **state)
{
	sandbox *sb = *state;
	json_t *out = NULL;
	kk_diag diag = {0};
	git_oid missing, c3, c4, c5;

	assert_int_equal(git_oid_fromstr(&missing, "0123456789abcdef0123456789abcdef01234567"), 0);
	assert_int_equal(kk_diff_commits(&out, sb->box->store, &sb->c0, &missing, NULL, &diag),
			 KK_ENOTFOUND);
	assert_string_equal(diag.message,
			    "commit 0123456789abcdef0123456789abcdef01234567 does not exist");
	assert_int_equal(kk_diff_commits(&out, sb->box->store, &missing, &sb->c0, NULL, &diag),
			 KK_ENOTFOUND);
	assert_null(out);

	put_text(&sb->box->files, "items/0026.json", "{\"id\": 26,\n  \"title\": }\n");
	c3 = kk_test_sandbox_commit(sb->box, "Broken\n");
	assert_int_equal(kk_diff_commits(&out, sb->box->store, &sb->c2, &c3, NULL, &diag),
			 KK_EINVALID);
	assert_null(out);
	assert_int_equal(diag.code, KK_EINVALID);
	assert_string_equal(diag.path, "items/0026.json");
	assert_int_equal(diag.line, 2);

	/* A broken file that did not change is never read. */
	put(&sb->box->files, "items/0037.json", small_item(37, "次の項目を直す", "2021"));
	c4 = kk_test_sandbox_commit(sb->box, "Fourth\n");
	assert_int_equal(kk_diff_commits(&out, sb->box->store, &c3, &c4, NULL, &diag), 0);
	assert_int_equal(json_array_size(json_object_get(out, "items")), 1);
	json_decref(out);
	out = NULL;

	put_text(&sb->box->files, "plan.json", "[]\n");
	c5 = kk_test_sandbox_commit(sb->box, "Not an object\n");
	assert_int_equal(kk_diff_commits(&out, sb->box->store, &c4, &c5, NULL, &diag), KK_EINVALID);
	assert_string_equal(diag.message, "'plan.json' does not hold a JSON object");
	assert_string_equal(diag.path, "plan.json");
	/* ...but under an item filter plan-wide files are not looked at. */
	kk_diff_filter f = {.item = 37};
	assert_int_equal(kk_diff_commits(&out, sb->box->store, &c4, &c5, &f, &diag), 0);
	json_decref(out);
}

/* kk_diff_inline, case by case from tests/fixtures/diff/inline.json. */
static void test_inline_cases(void **state)
{
	json_t *cases = kk_test_load_json(FIXTURES "/inline.json"), *c;
	size_t i;

	(void)state;
	json_array_foreach(cases, i, c) {
		json_t *changes = json_pack("[{s:s}]", "path", "years.2021.result");
		json_t *change = json_array_get(changes, 0), *want = json_object_get(c, "inline");
		char *got, *w;

		if (json_is_null(want))
			want = NULL; /* no inline diff */
		if (json_object_get(c, "old"))
			json_object_set(change, "old", json_object_get(c, "old"));
		if (json_object_get(c, "new"))
			json_object_set(change, "new", json_object_get(c, "new"));
		assert_int_equal(kk_diff_inline(changes), 0);
		got = json_dumps(json_object_get(change, "inline"), JSON_ENCODE_ANY | JSON_COMPACT);
		w = json_dumps(want, JSON_ENCODE_ANY | JSON_COMPACT);
		if (!want ? got != NULL : !got || strcmp(got, w) != 0) {
			print_error("case '%s': expected %s\n     got %s\n",
				    json_string_value(json_object_get(c, "name")), w ? w : "none",
				    got ? got : "none");
			fail_msg("case %zu", i);
		}
		free(got);
		free(w);
		json_decref(changes);
	}
	json_decref(cases);
}

/* The segments put back together give the old and the new text. */
static void assert_segments_rebuild(const json_t *segments, const char *old, const char *new)
{
	char *a = calloc(1, strlen(old) + strlen(new) + 1),
	     *b = calloc(1, strlen(old) + strlen(new) + 1);
	size_t i;
	json_t *s;

	json_array_foreach(segments, i, s) {
		const char *op = json_string_value(json_object_get(s, "op"));
		const char *t = json_string_value(json_object_get(s, "text"));

		assert_true(*t);
		if (*op != '+')
			strcat(a, t);
		if (*op != '-')
			strcat(b, t);
	}
	assert_string_equal(a, old);
	assert_string_equal(b, new);
	free(a);
	free(b);
}

/* "共通の始まり", `count` times `same` and `edit` by turns, "共通の終わり"; malloc'd. */
static char *alternating(int count, const char *same, const char *edit)
{
	char *s = malloc((size_t)count * (strlen(same) + strlen(edit)) + 64);
	size_t n = (size_t)sprintf(s, "共通の始まり");

	for (int i = 0; i < count; i++)
		n += (size_t)sprintf(s + n, "%s", i % 2 ? edit : same);
	strcpy(s + n, "共通の終わり");
	return s;
}

static const char *seg(const json_t *segments, size_t i, const char *member)
{
	return json_string_value(json_object_get(json_array_get(segments, i), member));
}

/* Beyond the limit, one deletion and one insertion between the common prefix and suffix. */
static void test_inline_limit(void **state)
{
	/* 4,000 code points each, every other one different: 2,000 edits at least. */
	char *old = alternating(4000, "い", "あ"), *new = alternating(4000, "い", "う");
	json_t *changes = json_pack("[{s:s, s:s, s:s}]", "path", "result", "old", old, "new", new);
	json_t *segs;

	(void)state;
	assert_int_equal(kk_diff_inline(changes), 0);
	segs = json_object_get(json_array_get(changes, 0), "inline");
	assert_int_equal(json_array_size(segs), 4);
	assert_string_equal(seg(segs, 0, "op"), "=");
	assert_string_equal(seg(segs, 0, "text"), "共通の始まりい");
	assert_string_equal(seg(segs, 1, "op"), "-");
	assert_string_equal(seg(segs, 2, "op"), "+");
	assert_string_equal(seg(segs, 3, "op"), "=");
	assert_string_equal(seg(segs, 3, "text"), "共通の終わり");
	assert_segments_rebuild(segs, old, new);
	json_decref(changes);
	free(old);
	free(new);

	/* Under it, the same kind of text gets a real diff that rebuilds both sides. */
	old = alternating(200, "いろは", "あ");
	new = alternating(200, "いろは", "う");
	changes = json_pack("[{s:s, s:s, s:s}]", "path", "result", "old", old, "new", new);
	assert_int_equal(kk_diff_inline(changes), 0);
	segs = json_object_get(json_array_get(changes, 0), "inline");
	assert_int_equal(json_array_size(segs), 1 + 100 * 3);
	assert_string_equal(seg(segs, 1, "op"), "-");
	assert_string_equal(seg(segs, 1, "text"), "あ");
	assert_string_equal(seg(segs, 2, "text"), "う");
	assert_string_equal(seg(segs, 3, "text"), "いろは");
	assert_segments_rebuild(segs, old, new);
	json_decref(changes);
	free(old);
	free(new);
}

/* Every field change of the example plan's items against each other rebuilds both texts. */
static void test_inline_rebuilds(void **state)
{
	kk_fileset set = {0};
	json_t *changes = json_array(), *c;
	size_t i, checked = 0;

	(void)state;
	kk_test_load_example(&set);
	for (int id = 1; id < 35; id++) {
		char a[32], b[32];
		json_t *x, *y;

		snprintf(a, sizeof(a), "items/%04d.json", id);
		snprintf(b, sizeof(b), "items/%04d.json", id + 1);
		x = get(&set, a);
		y = get(&set, b);
		assert_true(kk_diff_fields(changes, x, y, NULL) >= 0);
		json_decref(x);
		json_decref(y);
	}
	assert_int_equal(kk_diff_inline(changes), 0);
	json_array_foreach(changes, i, c) {
		json_t *segs = json_object_get(c, "inline");

		if (!segs)
			continue;
		assert_segments_rebuild(segs, json_string_value(json_object_get(c, "old")),
					json_string_value(json_object_get(c, "new")));
		/* Never two segments of the same kind in a row, nor "+" before "-". */
		for (size_t j = 1; j < json_array_size(segs); j++) {
			const char *p = json_string_value(
				json_object_get(json_array_get(segs, j - 1), "op"));
			const char *q =
				json_string_value(json_object_get(json_array_get(segs, j), "op"));

			assert_true(strcmp(p, q) != 0);
			assert_false(*p == '+' && *q == '-');
		}
		checked++;
	}
	assert_true(checked > 20);
	json_decref(changes);
	kk_fileset_clear(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_and_sorted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_item, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_year, setup, teardown),
		cmocka_unit_test_setup_teardown(test_from_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test(test_inline_cases),
		cmocka_unit_test(test_inline_limit),
		cmocka_unit_test(test_inline_rebuilds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
