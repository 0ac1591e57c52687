/*
 * Tests for core/history/history: the history index (history.c) and its
 * queries (history_query.c): the log, blame, the last change of a field,
 * closed years and pending items; who wrote each line of a text
 * (history_lines.c); on the scripted history of util/history_script.h.  The
 * index on disk, views and the queries' memo are test_history_cache's, times
 * and revisions test_revision's.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "history_script.h"
#include "query.h"
#include "store.h"

/* --- helpers --- */

/* "C3 years.2021.progress" for each entry, commits by their names here, newest first. */
static char *outline(const hs_sandbox *sb, const json_t *entries)
{
	char *out = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&out, &size);
	const json_t *e;
	size_t i;

	json_array_foreach(entries, i, e) {
		const char *c = json_string_value(json_object_get(e, "commit"));
		int name = -1;

		for (int k = 0; k < HS_NCOMMITS; k++)
			if (strcmp(c, hs_hex(&sb->c[k])) == 0)
				name = k;
		fprintf(m, "%sC%d %s %s", i ? "; " : "", name,
			json_string_value(json_object_get(e, "file")),
			json_string_value(json_object_get(e, "path")));
	}
	fclose(m);
	return out;
}

static void assert_outline(const hs_sandbox *sb, const json_t *entries, const char *expected)
{
	char *got = outline(sb, entries);
	int same = strcmp(got, expected) == 0;

	if (!same)
		print_error("got      %s\nexpected %s\n", got, expected);
	free(got);
	if (!same)
		fail();
}

/* The entries of the log that `f` selects, as assert_outline() shows them. */
static void assert_log(const hs_sandbox *sb, kk_history *h, const kk_log_filter *f,
		       const char *expected)
{
	json_t *entries = hs_log(h, f);

	assert_outline(sb, entries, expected);
	json_decref(entries);
}

/* How many log entries `f` selects. */
static size_t log_count(kk_history *h, const kk_log_filter *f)
{
	json_t *entries = hs_log(h, f);
	size_t n = json_array_size(entries);

	json_decref(entries);
	return n;
}

/* --- the log --- */

/* Every change to item 1, newest first, with the commits' information and reasons. */
static void test_log_item(void **state)
{
	hs_sandbox *sb = *state;
	kk_history *h = hs_open(sb, &sb->box.head, 0);
	kk_log_filter f = {.item = 1};
	json_t *entries = hs_log(h, &f);
	char *text, *i1, *i2, *i3, *i6;
	const char *item =
		"\"file\": \"items/0001.json\", \"file_change\": \"changed\", \"item\": 1, "
		"\"title\": \"申請のオンライン化\"";

	/* The first commit is a fixed one: fixed files, signature and time. */
	assert_string_equal(hs_hex(&sb->c[0]), "658f225f446f8d4da947c88976236250afdfa052");
	assert_int_equal(kk_history_count(h), HS_NCOMMITS);
	assert_int_equal(kk_history_cached(h), 0);
	assert_outline(
		sb, entries,
		"C7 items/0001.json years.2022.progress; "
		"C6 items/0001.json years.2020.result; "
		"C3 items/0001.json years.2021.progress; "
		"C2 items/0001.json years.2021.revised; "
		"C1 items/0001.json years.2021.progress; "
		"C1 items/0001.json years.2021.result; "
		"C0 items/0001.json id; C0 items/0001.json title; C0 items/0001.json owners; "
		"C0 items/0001.json status; C0 items/0001.json years.2020.result; "
		"C0 items/0001.json years.2021.planned; C0 items/0001.json years.2021.progress; "
		"C0 items/0001.json years.2022");

	i1 = hs_info(sb, 1, "田中 秘書", "hisho@keikaku.test", "\"秘書課\"", "\"規程案を作成した\"",
		     0);
	i2 = hs_info(sb, 2, "DX Admin", "dx@keikaku.test", "\"デジタル戦略課\"",
		     "\"事業者の選定が遅れた\\n\\n来年度に再検討する\"", 0);
	i3 = hs_info(sb, 3, "田中 秘書", "hisho@keikaku.test", "\"秘書課\"", "null", 0);
	i6 = hs_info(sb, 6, "DX Admin", "dx@keikaku.test", "\"デジタル戦略課\"", "\"誤記の訂正\"",
		     1);
	assert_true(
		asprintf(
			&text,
			"[{%s, %s, \"summary\": \"001 申請のオンライン化 · 令和2年度 取組内容または結果\", "
			"\"path\": \"years.2020.result\", \"old\": \"旧\", \"new\": \"旧(訂正)\"},"
			" {%s, %s, \"summary\": \"001 申請のオンライン化 · 令和3年度 進捗度\", "
			"\"path\": \"years.2021.progress\", \"old\": \"on_track\", \"new\": \"ahead\"},"
			" {%s, %s, \"summary\": \"001 申請のオンライン化 · 令和3年度 変更スケジュール\", "
			"\"path\": \"years.2021.revised\", \"new\": \"検討\"},"
			" {%s, %s, \"summary\": \"001 申請のオンライン化 · 令和3年度 進捗度, 取組内容または結果\", "
			"\"path\": \"years.2021.progress\", \"old\": \"behind\", \"new\": \"on_track\"},"
			" {%s, %s, \"summary\": \"001 申請のオンライン化 · 令和3年度 進捗度, 取組内容または結果\", "
			"\"path\": \"years.2021.result\", \"new\": \"・案を作成した\"}]",
			i6, item, i3, item, i2, item, i1, item, i1, item) > 0);
	{
		json_t *middle = json_array();

		for (size_t i = 1; i < 6; i++)
			json_array_append(middle, json_array_get(entries, i));
		kk_assert_json(middle, text);
		json_decref(middle);
	}
	/* The times are those of the commits, at their offset. */
	assert_string_equal(json_string_value(json_object_get(json_array_get(entries, 3), "time")),
			    "2021-04-01T11:00:00+09:00");
	/* The first commit: no department, no reason, every field added. */
	kk_assert_json(
		json_array_get(entries, 6),
		"{\"commit\": \"658f225f446f8d4da947c88976236250afdfa052\", \"time\": "
		"\"2021-04-01T09:00:00+09:00\", \"timestamp\": 1617235200, \"author\": {\"name\": "
		"\"Keikaku Test\", \"email\": \"test@keikaku.invalid\"}, \"department\": null, "
		"\"summary\": \"Create plan\", \"reason\": null, \"correction\": false, \"file\": "
		"\"items/0001.json\", \"file_change\": \"added\", \"item\": 1, \"title\": "
		"\"申請のオンライン化\", \"path\": \"id\", \"new\": 1}");
	kk_assert_json(
		json_array_get(entries, 13),
		"{\"commit\": \"658f225f446f8d4da947c88976236250afdfa052\", \"time\": "
		"\"2021-04-01T09:00:00+09:00\", \"timestamp\": 1617235200, \"author\": {\"name\": "
		"\"Keikaku Test\", \"email\": \"test@keikaku.invalid\"}, \"department\": null, "
		"\"summary\": \"Create plan\", \"reason\": null, \"correction\": false, \"file\": "
		"\"items/0001.json\", \"file_change\": \"added\", \"item\": 1, \"title\": "
		"\"申請のオンライン化\", \"path\": \"years.2022\", \"new\": {}}");
	free(text);
	free(i1);
	free(i2);
	free(i3);
	free(i6);
	json_decref(entries);
	kk_history_free(h);
}

/* Department, author, fiscal year, field, time and file filters. */
static void test_log_filters(void **state)
{
	hs_sandbox *sb = *state;
	kk_history *h = hs_open(sb, &sb->box.head, 0);
	kk_log_filter f = {0};

	f.department = "秘書課";
	assert_log(
		sb, h, &f,
		"C7 items/0001.json years.2022.progress; C3 items/0001.json years.2021.progress; "
		"C1 items/0001.json years.2021.progress; C1 items/0001.json years.2021.result");

	/* An author by login (the e-mail's local part), full name or e-mail. */
	memset(&f, 0, sizeof(f));
	f.author = "dx";
	assert_log(
		sb, h, &f,
		"C6 items/0001.json years.2020.result; C4 items/0003.json id; "
		"C4 items/0003.json title; C4 items/0003.json owners; C4 items/0003.json status; "
		"C4 items/0003.json years.2022.planned; C2 items/0001.json years.2021.revised");
	f.author = "Hand Editor";
	assert_log(sb, h, &f,
		   "C5 items/0002.json id; C5 items/0002.json title; C5 items/0002.json owners; "
		   "C5 items/0002.json status; C5 items/0002.json years.2021.planned");
	f.author = "hand@example.org";
	assert_int_equal(log_count(h, &f), 5);
	f.author = "hand@example";
	assert_int_equal(log_count(h, &f), 0);
	f.author = "Hand";
	assert_int_equal(log_count(h, &f), 0);

	/* One fiscal year's fields, in every file; with times, the first commit left out. */
	memset(&f, 0, sizeof(f));
	f.year = 2020;
	assert_log(sb, h, &f,
		   "C6 items/0001.json years.2020.result; C0 keikaku.json years.2020; "
		   "C0 items/0001.json years.2020.result");
	f.year = 2021;
	f.since = hs_times[1];
	f.until = hs_times[3];
	assert_log(sb, h, &f,
		   "C3 items/0001.json years.2021.progress; C2 items/0001.json years.2021.revised; "
		   "C1 items/0001.json years.2021.progress; C1 items/0001.json years.2021.result");
	/* Bounds are inclusive, to the second. */
	f.since = hs_times[2];
	f.until = hs_times[3] - 1;
	assert_log(sb, h, &f, "C2 items/0001.json years.2021.revised");

	/* A field in every year, and one of one year, also with an item. */
	memset(&f, 0, sizeof(f));
	f.field = "progress";
	assert_log(
		sb, h, &f,
		"C7 items/0001.json years.2022.progress; C3 items/0001.json years.2021.progress; "
		"C1 items/0001.json years.2021.progress; C0 items/0001.json years.2021.progress");
	f.field = "years.2021";
	f.item = 1;
	f.since = hs_times[2];
	assert_log(sb, h, &f,
		   "C3 items/0001.json years.2021.progress; C2 items/0001.json years.2021.revised");

	/* A plan-wide file; items only. */
	memset(&f, 0, sizeof(f));
	f.file = "keikaku.json";
	f.field = "years";
	assert_log(sb, h, &f,
		   "C0 keikaku.json years.2020; C0 keikaku.json years.2021; "
		   "C0 keikaku.json years.2022");
	memset(&f, 0, sizeof(f));
	f.items_only = 1;
	f.until = HS_T0;
	assert_int_equal(log_count(h, &f), 8 + 5);
	/* An item that never was: nothing. */
	memset(&f, 0, sizeof(f));
	f.item = 9;
	assert_int_equal(log_count(h, &f), 0);
	kk_history_free(h);
}

/* Files added and removed: "added" has only "new", "removed" only "old" (and the old title). */
static void test_file_change(void **state)
{
	hs_sandbox *sb = *state;
	kk_history *h = hs_open(sb, &sb->box.head, 0);
	kk_log_filter f = {.item = 2};
	kk_diag diag = {0};
	json_t *e = hs_log(h, &f), *blame = NULL;
	char *text, *i5;

	assert_outline(
		sb, e,
		"C5 items/0002.json id; C5 items/0002.json title; C5 items/0002.json owners; "
		"C5 items/0002.json status; C5 items/0002.json years.2021.planned; "
		"C0 items/0002.json id; C0 items/0002.json title; C0 items/0002.json owners; "
		"C0 items/0002.json status; C0 items/0002.json years.2021.planned");
	i5 = hs_info(sb, 5, "Hand Editor", "hand@example.org", "null", "null", 0);
	assert_true(
		asprintf(&text,
			 "{%s, \"summary\": \"remove 2\", \"file\": \"items/0002.json\", "
			 "\"file_change\": \"removed\", \"item\": 2, \"title\": \"窓口の改善\", "
			 "\"path\": \"years.2021.planned\", \"old\": \"検討\"}",
			 i5) > 0);
	kk_assert_json(json_array_get(e, 4), text);
	for (size_t i = 5; i < 10; i++)
		assert_string_equal(
			json_string_value(json_object_get(json_array_get(e, i), "file_change")),
			"added");
	free(text);
	free(i5);
	json_decref(e);

	/* Item 3, added by C4: its fields, each with "new" only. */
	f.item = 3;
	e = hs_log(h, &f);
	assert_outline(
		sb, e,
		"C4 items/0003.json id; C4 items/0003.json title; C4 items/0003.json owners; "
		"C4 items/0003.json status; C4 items/0003.json years.2022.planned");
	for (size_t i = 0; i < 5; i++) {
		const json_t *entry = json_array_get(e, i);

		assert_string_equal(json_string_value(json_object_get(entry, "file_change")),
				    "added");
		assert_null(json_object_get(entry, "old"));
		assert_non_null(json_object_get(entry, "new"));
		assert_string_equal(json_string_value(json_object_get(entry, "reason")),
				    "年度途中の追加");
	}
	json_decref(e);

	/* A removed item has no blame; nor has one that never was. */
	assert_int_equal(kk_history_blame(&blame, h, 2, &diag), KK_ENOTFOUND);
	assert_string_equal(diag.message, "no item 2 in the plan");
	assert_int_equal(kk_history_blame(&blame, h, 9, &diag), KK_ENOTFOUND);
	assert_string_equal(diag.message, "no item 9 in the plan");
	kk_history_free(h);

	/* At C4, item 2 was there and is blamed on the first commit. */
	h = hs_open(sb, &sb->c[4], 0);
	assert_int_equal(kk_history_blame(&blame, h, 2, &diag), 0);
	assert_int_equal(json_array_size(json_object_get(blame, "fields")), 5);
	assert_string_equal(json_string_value(json_object_get(blame, "commit")), hs_hex(&sb->c[4]));
	json_decref(blame);
	kk_history_free(h);
}

/* The reason is what stands between the summary and the trailers; null when nothing does. */
static void test_reason(void **state)
{
	static const struct {
		const char *message, *reason, *department;
	} cases[] = {
		{"subject\n\nKeikaku-Item: 1\nDepartment: 秘書課\n", NULL, "秘書課"},
		{"subject\n", NULL, NULL},
		{"subject", NULL, NULL},
		{"subject\n\n", NULL, NULL},
		{"subject\n\n理由だけ\n", "理由だけ", NULL},
		{"subject\n\n一つ目\n\n二つ目\n\nDepartment: 市民課\n", "一つ目\n\n二つ目",
		 "市民課"},
		/* A line with a colon is a reason's when its key is not a trailer's. */
		{"subject\n\n注意: 全角のキー\n", "注意: 全角のキー", NULL},
		{"subject\n\nline one\nKeikaku-Item: 1\n", "line one\nKeikaku-Item: 1", NULL},
		{"subject\n\nthe reason\n\nKeikaku-Item: 1\nKeikaku-Correction: yes\n",
		 "the reason", NULL},
	};
	hs_sandbox *sb = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		kk_history *h;
		json_t *got = NULL;

		/* A commit that changes nothing is fine for the message. */
		hs_commit(sb, "a", "a@b", hs_times[7] + 10 + (int64_t)i, cases[i].message);
		h = hs_open(sb, &sb->box.head, 0);
		assert_int_equal(kk_history_commit_info(&got, h, &sb->box.head, NULL), 0);
		if (cases[i].reason)
			assert_string_equal(json_string_value(json_object_get(got, "reason")),
					    cases[i].reason);
		else if (!json_is_null(json_object_get(got, "reason")))
			fail_msg("case %zu: reason %s, expected null", i,
				 json_string_value(json_object_get(got, "reason")));
		if (cases[i].department)
			assert_string_equal(json_string_value(json_object_get(got, "department")),
					    cases[i].department);
		else
			assert_true(json_is_null(json_object_get(got, "department")));
		assert_string_equal(json_string_value(json_object_get(got, "summary")), "subject");
		assert_int_equal(json_is_true(json_object_get(got, "correction")), i == 8);
		json_decref(got);
		kk_history_free(h);
	}
}

/* A log filter's field selects the paths at or below it, in any year when it names none. */
static void test_field_matches(void **state)
{
	static const struct {
		const char *field, *path;
		int matches;
	} cases[] = {
		{"years.2021.progress", "years.2021.progress", 1},
		{"years.2021", "years.2021.progress", 1},
		{"years", "years.2021.progress", 1},
		{"progress", "years.2021.progress", 1},
		{"progress", "years.2022.progress", 1},
		{"progress", "progress", 1},
		{"status", "status", 1},
		{"departments", "departments", 1},
		{"years.2021", "years.2021", 1},
		{"years.202", "years.2021.progress", 0},
		{"years.2021.prog", "years.2021.progress", 0},
		{"prog", "years.2021.progress", 0},
		{"progress", "years.2021.progress_note", 0},
		{"years.2022", "years.2021.progress", 0},
		{"years.2021.progress", "years.2021", 0},
		{"years.2021.progress", "progress", 0},
		{"2021", "years.2021.progress", 0},
		{"2021.progress", "years.2021.progress", 0},
		{"status", "years.2021.status", 1},
		{"title", "status", 0},
		{"years.progress", "years.2021.progress", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		if (kk_history_field_matches(cases[i].field, cases[i].path) != cases[i].matches)
			fail_msg("'%s' selects '%s': expected %d", cases[i].field, cases[i].path,
				 cases[i].matches);
}

/* --- blame --- */

/* Each field of the item at the tip, in its order, with the commit that last changed it. */
static void test_blame(void **state)
{
	static const struct {
		const char *path;
		int commit;
	} want[] = {
		{"id", 0},
		{"title", 0},
		{"owners", 0},
		{"status", 0},
		{"years.2020.result", 6},
		{"years.2021.planned", 0},
		{"years.2021.progress", 3},
		{"years.2021.result", 1},
		{"years.2021.revised", 2},
		{"years.2022.progress", 7},
	};
	hs_sandbox *sb = *state;
	kk_history *h = hs_open(sb, &sb->box.head, 0);
	json_t *blame = NULL, *fields;
	char *text, *i3;

	assert_int_equal(kk_history_blame(&blame, h, 1, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(blame, "id")), 1);
	assert_string_equal(json_string_value(json_object_get(blame, "title")),
			    "申請のオンライン化");
	assert_string_equal(json_string_value(json_object_get(blame, "commit")),
			    hs_hex(&sb->box.head));
	fields = json_object_get(blame, "fields");
	assert_int_equal(json_array_size(fields), sizeof(want) / sizeof(*want));
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		const json_t *field = json_array_get(fields, i);

		assert_string_equal(json_string_value(json_object_get(field, "path")),
				    want[i].path);
		assert_string_equal(json_string_value(json_object_get(field, "commit")),
				    hs_hex(&sb->c[want[i].commit]));
	}
	i3 = hs_info(sb, 3, "田中 秘書", "hisho@keikaku.test", "\"秘書課\"", "null", 0);
	assert_true(asprintf(&text,
			     "{\"path\": \"years.2021.progress\", \"value\": \"ahead\", %s, "
			     "\"summary\": \"001 申請のオンライン化 · 令和3年度 進捗度\"}",
			     i3) > 0);
	kk_assert_json(json_array_get(fields, 6), text);
	kk_assert_json(json_object_get(json_array_get(fields, 2), "value"), "[\"秘書課\"]");
	free(text);
	free(i3);
	json_decref(blame);
	kk_history_free(h);

	/* As of C2: progress and result from C1, revised from C2, FY2022's empty entry from C0. */
	h = hs_open(sb, &sb->c[2], 0);
	assert_int_equal(kk_history_blame(&blame, h, 1, NULL), 0);
	fields = json_object_get(blame, "fields");
	assert_int_equal(json_array_size(fields), 10);
	assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 9), "path")),
			    "years.2022");
	kk_assert_json(json_object_get(json_array_get(fields, 9), "value"), "{}");
	assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 9), "commit")),
			    hs_hex(&sb->c[0]));
	assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 8), "commit")),
			    hs_hex(&sb->c[2]));
	assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 6), "path")),
			    "years.2021.progress");
	assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 6), "commit")),
			    hs_hex(&sb->c[1]));
	assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 4), "path")),
			    "years.2020.result");
	assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 4), "commit")),
			    hs_hex(&sb->c[0]));
	json_decref(blame);
	kk_history_free(h);
}

/*
 * A year's entry emptied by removing its last field is itself a field ({}),
 * last changed by the commit that emptied it: item 3's FY2022 entry was
 * never empty before, item 1's was empty at first (C0), then had progress.
 */
static git_oid empty_entries(hs_sandbox *sb)
{
	hs_set(sb, "items/0003.json", "years.2022.planned", NULL);
	hs_set(sb, "items/0001.json", "years.2022.progress", NULL);
	return hs_dx(sb, hs_times[7] + 60, "empty the entries\n");
}

static void assert_last_field(hs_sandbox *sb, json_int_t id, size_t count, const git_oid *by)
{
	kk_history *h = hs_open(sb, &sb->box.head, 0);
	json_t *blame = NULL, *fields;
	const json_t *last;
	char *value, problem[512] = "";
	size_t n;

	assert_int_equal(kk_history_blame(&blame, h, id, NULL), 0);
	fields = json_object_get(blame, "fields");
	n = json_array_size(fields);
	last = json_array_get(fields, n - 1);
	value = hs_dump(json_object_get(last, "value"));
	if (n != count || strcmp(json_string_value(json_object_get(last, "path")), "years.2022") ||
	    strcmp(value, "{}") ||
	    strcmp(json_string_value(json_object_get(last, "commit")), hs_hex(by)))
		snprintf(problem, sizeof(problem),
			 "item %lld: %zu fields, the last '%s' = %s by %.10s; expected %zu, "
			 "'years.2022' = {} by %.10s",
			 (long long)id, n, json_string_value(json_object_get(last, "path")), value,
			 json_string_value(json_object_get(last, "commit")), count, hs_hex(by));
	/* Freed before failing, so that a failure leaks nothing. */
	free(value);
	json_decref(blame);
	kk_history_free(h);
	if (problem[0])
		fail_msg("%s", problem);
}

static void test_blame_emptied_entry(void **state)
{
	hs_sandbox *sb = *state;
	git_oid emptied = empty_entries(sb);

	assert_last_field(sb, 3, 5, &emptied);
}

static void test_blame_entry_emptied_again(void **state)
{
	hs_sandbox *sb = *state;
	git_oid emptied = empty_entries(sb);

	assert_last_field(sb, 1, 10, &emptied);
}

/* The last change of one field, as the schedule's "revised_by" uses it. */
static void test_last_change(void **state)
{
	hs_sandbox *sb = *state;
	kk_history *h = hs_open(sb, &sb->box.head, 0);
	json_t *got = NULL;

	assert_int_equal(
		kk_history_last_change(&got, h, "items/0001.json", "years.2021.revised", NULL), 0);
	assert_string_equal(json_string_value(json_object_get(got, "commit")), hs_hex(&sb->c[2]));
	assert_string_equal(json_string_value(json_object_get(got, "reason")),
			    "事業者の選定が遅れた\n\n来年度に再検討する");
	json_decref(got);
	assert_int_equal(
		kk_history_last_change(&got, h, "items/0001.json", "years.2021.planned", NULL), 0);
	assert_string_equal(json_string_value(json_object_get(got, "commit")), hs_hex(&sb->c[0]));
	json_decref(got);
	got = json_true();
	assert_int_equal(
		kk_history_last_change(&got, h, "items/0001.json", "years.2021.nothing", NULL), 0);
	assert_null(got);
	got = json_true();
	assert_int_equal(kk_history_last_change(&got, h, "items/0009.json", "title", NULL), 0);
	assert_null(got);
	/* A removed file's field was last changed by the removal. */
	assert_int_equal(kk_history_last_change(&got, h, "items/0002.json", "title", NULL), 0);
	assert_string_equal(json_string_value(json_object_get(got, "commit")), hs_hex(&sb->c[5]));
	json_decref(got);
	kk_history_free(h);
}

/* --- who wrote each line of a text --- */

/* kk_history_text_authors() of item `id`'s `field` at the sandbox's head, as JSON text. */
static void assert_authors(hs_sandbox *sb, json_int_t id, const char *field, const char *expected)
{
	kk_history *h = hs_open(sb, &sb->box.head, 0);
	json_t *got = NULL;
	kk_diag diag = {0};

	if (kk_history_text_authors(&got, h, id, field, &diag) < 0)
		fail_msg("kk_history_text_authors: %s", diag.message);
	kk_assert_json_exact(got, expected);
	json_decref(got);
	kk_history_free(h);
}

/* A commit of item 5's FY2021 result, `text`, with the trailers `trailers`. */
static void result_by(hs_sandbox *sb, int64_t when, const char *text, const char *trailers)
{
	json_t *value = json_string(text);
	char *json = json_dumps(value, JSON_ENCODE_ANY), *message = NULL;

	hs_set(sb, "items/0005.json", "years.2021.result", json);
	assert_true(asprintf(&message, "005 対象証明書の拡大\n\nKeikaku-Item: 5\n%s", trailers) >
		    0);
	hs_commit(sb, "Someone", "someone@keikaku.test", when, message);
	free(message);
	free(json);
	json_decref(value);
}

/*
 * Item 5, owned by 税務課 and 市民課: a line keeps its author until it is
 * changed; the import, a correction and an admin acting for a department
 * that does not own the item write as "admin" (null).
 */
static void test_text_authors(void **state)
{
	hs_sandbox *sb = *state;
	int64_t t = hs_times[7];

	hs_put(sb, "items/0005.json",
	       "{\"id\": 5, \"title\": \"対象証明書の拡大\", \"owners\": [\"税務課\", \"市民課\"], "
	       "\"status\": \"open\", \"years\": {\"2021\": {\"result\": \"【税務課】\\n・旧\"}}}\n");
	hs_commit(sb, "Keikaku Import", "import@keikaku.test", t + 1, "import\n");
	assert_authors(sb, 5, "years.2021.result",
		       "[{\"text\": \"【税務課】\", \"department\": null}, "
		       "{\"text\": \"・旧\", \"department\": null}]");

	/* 税務課 inserts a line; 市民課 appends its part after a blank line. */
	result_by(sb, t + 2, "【税務課】\n・納税証明書\n・旧", "Department: 税務課\n");
	result_by(sb, t + 3, "【税務課】\n・納税証明書\n・旧\n\n【戸籍関係】\n・広域交付",
		  "Department: 市民課\n");
	/* A change to another field leaves the text's authors alone. */
	hs_set(sb, "items/0005.json", "years.2021.progress", "\"on_track\"");
	hs_commit(sb, "Someone", "someone@keikaku.test", t + 4,
		  "005\n\nKeikaku-Item: 5\nDepartment: 税務課\n");
	/* 税務課 changes its own line; a correction and an admin of another department write. */
	result_by(sb, t + 5,
		  "【税務課】\n・納税証明書 (取り下げ)\n・旧\n\n【戸籍関係】\n・広域交付",
		  "Department: 税務課\n");
	result_by(sb, t + 6,
		  "【税務課】\n・納税証明書 (取り下げ)\n・旧\n\n【戸籍関係】\n・広域交付 (訂正)",
		  "Department: 市民課\nKeikaku-Correction: yes\n");
	result_by(sb, t + 7,
		  "【税務課】\n・納税証明書 (取り下げ)\n・旧\n\n【戸籍関係】\n・広域交付 (訂正)\n"
		  "・備考",
		  "Department: デジタル戦略課\n");
	assert_authors(sb, 5, "years.2021.result",
		       "[{\"text\": \"【税務課】\", \"department\": null}, "
		       "{\"text\": \"・納税証明書 (取り下げ)\", \"department\": \"税務課\"}, "
		       "{\"text\": \"・旧\", \"department\": null}, "
		       "{\"text\": \"\", \"department\": \"市民課\"}, "
		       "{\"text\": \"【戸籍関係】\", \"department\": \"市民課\"}, "
		       "{\"text\": \"・広域交付 (訂正)\", \"department\": null}, "
		       "{\"text\": \"・備考\", \"department\": null}]");

	/* A line moved is a line written again: the longest common subsequence stays. */
	result_by(sb, t + 8, "・旧\n【税務課】\n・納税証明書 (取り下げ)", "Department: 市民課\n");
	assert_authors(sb, 5, "years.2021.result",
		       "[{\"text\": \"・旧\", \"department\": \"市民課\"}, "
		       "{\"text\": \"【税務課】\", \"department\": null}, "
		       "{\"text\": \"・納税証明書 (取り下げ)\", \"department\": \"税務課\"}]");

	/* Removed, then written again: nothing of before is anyone's. */
	hs_set(sb, "items/0005.json", "years.2021.result", NULL);
	hs_commit(sb, "Someone", "someone@keikaku.test", t + 9,
		  "005\n\nKeikaku-Item: 5\nDepartment: 市民課\n");
	assert_authors(sb, 5, "years.2021.result", "[]");
	result_by(sb, t + 10, "【税務課】", "Department: 税務課\n");
	assert_authors(sb, 5, "years.2021.result",
		       "[{\"text\": \"【税務課】\", \"department\": \"税務課\"}]");

	/* Item 1 (秘書課 alone): C1's line is 秘書課's, C6's correction an admin's. */
	assert_authors(sb, 1, "years.2021.result",
		       "[{\"text\": \"・案を作成した\", \"department\": \"秘書課\"}]");
	assert_authors(sb, 1, "years.2020.result",
		       "[{\"text\": \"旧(訂正)\", \"department\": null}]");
	/* No such text, no such item, a removed item. */
	assert_authors(sb, 1, "years.2021.revised", "[{\"text\": \"検討\", \"department\": null}]");
	assert_authors(sb, 1, "years.2022.result", "[]");
	assert_authors(sb, 99, "years.2021.result", "[]");
	assert_authors(sb, 2, "years.2021.planned", "[]");
}

/* Past a thousand lines changed by a thousand, lines are matched in order, and still kept. */
static void test_text_authors_long(void **state)
{
	hs_sandbox *sb = *state;
	char *old = NULL, *new = NULL, *expected = NULL;
	size_t olen = 0, nlen = 0, elen = 0;
	FILE *o = open_memstream(&old, &olen), *n = open_memstream(&new, &nlen);
	FILE *e = open_memstream(&expected, &elen);

	hs_put(sb, "items/0005.json",
	       "{\"id\": 5, \"title\": \"対象証明書の拡大\", \"owners\": [\"税務課\", \"市民課\"], "
	       "\"status\": \"open\", \"years\": {}}\n");
	hs_commit(sb, "Keikaku Import", "import@keikaku.test", hs_times[7] + 1, "import\n");
	fputs("先頭\n", n);
	fputs("[{\"text\": \"先頭\", \"department\": \"市民課\"}", e);
	for (int i = 0; i < 1100; i++) {
		fprintf(o, "%s・行 %d", i ? "\n" : "", i);
		fprintf(n, "・行 %d\n", i);
		fprintf(e, ", {\"text\": \"・行 %d\", \"department\": \"税務課\"}", i);
	}
	fputs("末尾", n);
	fputs(", {\"text\": \"末尾\", \"department\": \"市民課\"}]", e);
	fclose(o);
	fclose(n);
	fclose(e);
	result_by(sb, hs_times[7] + 2, old, "Department: 税務課\n");
	result_by(sb, hs_times[7] + 3, new, "Department: 市民課\n");
	assert_authors(sb, 5, "years.2021.result", expected);
	free(old);
	free(new);
	free(expected);
}

/* --- closed years and pending items --- */

static void test_check_closed(void **state)
{
	hs_sandbox *sb = *state;
	kk_history *h = hs_open(sb, &sb->box.head, 0);
	kk_diaglist problems = {0};
	char want[256];
	git_oid bad;

	/* C6 changed closed FY2020, as a correction. */
	assert_int_equal(kk_history_check_closed(h, &problems, NULL), 0);
	assert_int_equal(problems.count, 0);
	kk_history_free(h);

	hs_set(sb, "items/0001.json", "years.2020.result", "\"手で書き換え\"");
	bad = hs_commit(sb, "Hand Editor", "hand@example.org", hs_times[7] + 1,
			"edit 2020\n\nDepartment: 秘書課\n");
	h = hs_open(sb, &sb->box.head, 0);
	assert_int_equal(kk_history_check_closed(h, &problems, NULL), 0);
	assert_int_equal(problems.count, 1);
	assert_string_equal(problems.items[0].path, "items/0001.json");
	assert_string_equal(problems.items[0].pointer, "/years/2020");
	snprintf(
		want, sizeof(want),
		"commit %.12s changes fiscal year 2020 (2020年度), which was closed, without being a "
		"correction", /* the sandbox's plan names no era */
		hs_hex(&bad));
	assert_string_equal(problems.items[0].message, want);
	kk_diaglist_clear(&problems);
	kk_history_free(h);
}

/*
 * An admin puts FY2022 back to 'planned' and opens it again at `when`; then
 * 秘書課 updates item 1's FY2022 result `after` later.  Returns the opening.
 */
static git_oid open_then_update(hs_sandbox *sb, int64_t when, int64_t after)
{
	git_oid opened;

	hs_set(sb, "keikaku.json", "years.2022", "\"planned\"");
	hs_dx(sb, when - 3600,
	      "令和4年度 (FY2022) を計画中に戻す\n\nKeikaku-File: keikaku.json\n"
	      "Fiscal-Year: 2022\nDepartment: デジタル戦略課\n");
	hs_set(sb, "keikaku.json", "years.2022", "\"open\"");
	opened = hs_dx(sb, when,
		       "令和4年度 (FY2022) を開始\n\n開始\n\nKeikaku-File: keikaku.json\n"
		       "Fiscal-Year: 2022\nDepartment: デジタル戦略課\n");
	hs_set(sb, "items/0001.json", "years.2022.result", "\"・報告\"");
	hs_hisho(sb, when + after,
		 "001 申請のオンライン化 · 令和4年度 取組内容または結果\n\nKeikaku-Item: 1\n"
		 "Fiscal-Year: 2022\nDepartment: 秘書課\n");
	return opened;
}

static json_t *pending(hs_sandbox *sb, const char *params)
{
	kk_query_env env = {.utc_offset = HS_JST};
	json_t *p = kk_test_parse(params), *out = NULL;
	kk_diag diag = {0};

	if (kk_query_run(&out, sb->box.store, "plan.pending", p, &env, &diag) < 0)
		fail_msg("plan.pending %s: %s", params, diag.message);
	json_decref(p);
	return out;
}

/* A year open from the plan's first commit is reported on from that commit. */
static void test_pending_open_from_the_start(void **state)
{
	hs_sandbox *sb = *state;
	json_t *r = pending(sb, "{\"fy\": 2022}");
	char *text;

	assert_true(
		asprintf(&text,
			 "{\"year\": \"2022\", \"since\": \"2021-04-01T09:00:00+09:00\", "
			 "\"since_timestamp\": 1617235200, \"since_commit\": \"%s\", "
			 "\"since_reason\": \"opened\", \"commit\": \"%s\", \"departments\": []}",
			 hs_hex(&sb->c[0]), hs_hex(&sb->box.head)) > 0);
	kk_assert_json(r, text);
	free(text);
	json_decref(r);
}

/* FY2022's period starts at the commit that opened it: an owner's update after it counts. */
static void test_pending_after_open(void **state)
{
	hs_sandbox *sb = *state;
	git_oid opened = open_then_update(sb, 1656633600, 1);
	json_t *r = pending(sb, "{\"fy\": 2022}");
	char *text, *i4;

	i4 = hs_info(sb, 4, "DX Admin", "dx@keikaku.test", "\"デジタル戦略課\"",
		     "\"年度途中の追加\"", 0);
	assert_true(
		asprintf(
			&text,
			"{\"year\": \"2022\", \"since\": \"2022-07-01T09:00:00+09:00\", "
			"\"since_timestamp\": 1656633600, \"since_commit\": \"%s\", "
			"\"since_reason\": \"opened\", \"commit\": \"%s\", \"departments\": "
			"[{\"name\": \"デジタル戦略課\", \"items\": [{\"id\": 3, \"title\": "
			"\"新しい項目\", \"last_update\": {%s, \"summary\": \"003 新しい項目 を追加\"}}]}]}",
			hs_hex(&opened), hs_hex(&sb->box.head), i4) > 0);
	kk_assert_json(r, text);
	free(text);
	free(i4);
	json_decref(r);
	/* Since a later day: item 1 too, with its owner's last FY2022 update. */
	r = pending(sb, "{\"fy\": \"FY2022\", \"since\": \"2022-07-02\"}");
	assert_string_equal(json_string_value(json_object_get(r, "since_reason")), "date");
	assert_int_equal(json_array_size(json_object_get(r, "departments")), 2);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(r, "departments"), 1), "name")),
			    "秘書課");
	json_decref(r);
}

/* The same when the update is made in the same second as the opening, after it. */
static void test_pending_same_second_as_open(void **state)
{
	hs_sandbox *sb = *state;
	json_t *r;
	char *got;
	size_t n;

	open_then_update(sb, 1656633600, 0);
	r = pending(sb, "{\"fy\": 2022}");
	got = hs_dump(json_object_get(r, "departments"));
	n = json_array_size(json_object_get(r, "departments"));
	json_decref(r);
	if (n != 1 || !strstr(got, "\"id\": 3,") || strstr(got, "秘書課")) {
		print_error("pending: %s\n", got);
		free(got);
		fail_msg("expected デジタル戦略課's item 3 only");
	}
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_log_item, hs_setup, hs_teardown),
		cmocka_unit_test_setup_teardown(test_log_filters, hs_setup, hs_teardown),
		cmocka_unit_test_setup_teardown(test_file_change, hs_setup, hs_teardown),
		cmocka_unit_test_setup_teardown(test_reason, hs_setup, hs_teardown),
		cmocka_unit_test(test_field_matches),
		cmocka_unit_test_setup_teardown(test_blame, hs_setup, hs_teardown),
		cmocka_unit_test_setup_teardown(test_blame_emptied_entry, hs_setup, hs_teardown),
		cmocka_unit_test_setup_teardown(test_blame_entry_emptied_again, hs_setup,
						hs_teardown),
		cmocka_unit_test_setup_teardown(test_last_change, hs_setup, hs_teardown),
		cmocka_unit_test_setup_teardown(test_text_authors, hs_setup, hs_teardown),
		cmocka_unit_test_setup_teardown(test_text_authors_long, hs_setup, hs_teardown),
		cmocka_unit_test_setup_teardown(test_check_closed, hs_setup, hs_teardown),
		cmocka_unit_test_setup_teardown(test_pending_open_from_the_start, hs_setup,
						hs_teardown),
		cmocka_unit_test_setup_teardown(test_pending_after_open, hs_setup, hs_teardown),
		cmocka_unit_test_setup_teardown(test_pending_same_second_as_open, hs_setup,
						hs_teardown),
	};

	return cmocka_run_group_tests(tests, hs_init, hs_shutdown);
}
