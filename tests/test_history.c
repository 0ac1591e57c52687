/*
 * Tests for core/history/history: the history index (history.c), its queries
 * (history_query.c) and revisions (revision.c): a sandbox plan repository with a scripted history,
 * made with fixed signatures and times so that every answer is known exactly.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dates.h"
#include "history.h"
#include "query.h"
#include "revision.h"
#include "store.h"

/* 2021-04-01T00:00:00Z, 09:00 in Japan, where the commits are made (+09:00). */
#define T0  1617235200
#define JST 540

#define NCOMMITS 8

typedef struct {
	char *dir;
	char *repo;
	kk_store *store;
	kk_fileset files; /* the tree of the next commit */
	git_oid head;
	git_oid c[NCOMMITS];
} sandbox;

/* The commits' times: C0..C2 on 2021-04-01 JST, C3 on 04-02 JST (04-01 UTC), C4 in June, C5
 * on 2022-04-01 JST (03-31 UTC), C6 and C7 in FY2022. */
static const int64_t times[NCOMMITS] = {T0,	    T0 + 3600,	T0 + 7200,  T0 + 72000,
					1622509200, 1648767600, 1652144400, 1654045200};

#define MSG_C1                                                                                                                    \
	"001 申請のオンライン化 · 令和3年度 進捗度, 取組内容または結果\n\n規程案を作成した\n\n" \
	"Keikaku-Item: 1\nFiscal-Year: 2021\nDepartment: 秘書課\nRequest-Id: r1\n"
#define MSG_C2                                                                                                            \
	"001 申請のオンライン化 · 令和3年度 変更スケジュール\n\n事業者の選定が遅れた\n\n" \
	"来年度に再検討する\n\nKeikaku-Item: 1\nFiscal-Year: 2021\nDepartment: デジタル戦略課\n"
#define MSG_C3                                                                                               \
	"001 申請のオンライン化 · 令和3年度 進捗度\n\nKeikaku-Item: 1\nFiscal-Year: 2021\n" \
	"Department: 秘書課\n"
#define MSG_C6                                                                                                                 \
	"001 申請のオンライン化 · 令和2年度 取組内容または結果\n\n誤記の訂正\n\nKeikaku-Item: 1\n" \
	"Fiscal-Year: 2020\nDepartment: デジタル戦略課\nKeikaku-Correction: yes\n"

static const kk_signature first_sig = {"Keikaku Test", "test@keikaku.invalid", T0, JST};

/* --- building the sandbox --- */

static void put(sandbox *sb, const char *path, const char *text)
{
	assert_int_equal(kk_fileset_put(&sb->files, path, text, strlen(text), NULL), 0);
}

static void drop(sandbox *sb, const char *path)
{
	kk_fileset kept = {0};

	for (size_t i = 0; i < sb->files.count; i++)
		if (strcmp(sb->files.files[i].path, path) != 0)
			assert_int_equal(kk_fileset_put_file(&kept, &sb->files.files[i], NULL), 0);
	kk_fileset_clear(&sb->files);
	sb->files = kept;
}

/* Sets dotted `field` of the JSON file at `path` to `value` (JSON text), or removes it (NULL). */
static void set(sandbox *sb, const char *path, const char *field, const char *value)
{
	const kk_file *f = kk_fileset_get(&sb->files, path);
	json_t *doc, *at;
	char *copy = strdup(field), *key = copy, *dot, *text;

	assert_non_null(f);
	doc = kk_test_parse(f->data);
	at = doc;
	while ((dot = strchr(key, '.'))) {
		*dot = '\0';
		if (!json_object_get(at, key))
			json_object_set_new(at, key, json_object());
		at = json_object_get(at, key);
		key = dot + 1;
	}
	if (value)
		json_object_set_new(at, key, kk_test_parse(value));
	else
		json_object_del(at, key);
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	put(sb, path, text);
	free(text);
	free(copy);
	json_decref(doc);
}

/* Commits the file set on main, by `name` <`email`> at `when` (+09:00). */
static git_oid commit(sandbox *sb, const char *name, const char *email, int64_t when,
		      const char *message)
{
	git_repository *repo = kk_store_repository(sb->store);
	git_signature *author = NULL, *committer = NULL;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, oid;

	assert_int_equal(kk_store_write_tree(&tree_id, repo, &sb->files, NULL), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_commit_lookup(&parent, repo, &sb->head), 0);
	assert_int_equal(git_signature_new(&author, name, email, when, JST), 0);
	assert_int_equal(
		git_signature_new(&committer, "keikakud", "keikakud@keikaku.test", when, JST), 0);
	assert_int_equal(git_commit_create(&oid, repo, "refs/heads/main", author, committer, NULL,
					   message, tree, 1, (const git_commit **)&parent),
			 0);
	git_signature_free(author);
	git_signature_free(committer);
	git_commit_free(parent);
	git_tree_free(tree);
	sb->head = oid;
	return oid;
}

static git_oid hisho(sandbox *sb, int64_t when, const char *message)
{
	return commit(sb, "田中 秘書", "hisho@keikaku.test", when, message);
}

static git_oid dx(sandbox *sb, int64_t when, const char *message)
{
	return commit(sb, "DX Admin", "dx@keikaku.test", when, message);
}

/*
 * The scripted history:
 *   C0 the plan: items 1 (秘書課) and 2 (市民課), FY2020 closed
 *   C1 秘書課: item 1's FY2021 progress and result, with a reason
 *   C2 デジタル戦略課: item 1's FY2021 revised schedule, a reason of two paragraphs
 *   C3 秘書課: item 1's FY2021 progress again, no reason
 *   C4 デジタル戦略課: item 3 added
 *   C5 someone with plain git: item 2 removed, a message of one line
 *   C6 デジタル戦略課: a correction to item 1's FY2020 result
 *   C7 秘書課: item 1's FY2022 progress
 */
static int setup(void **state)
{
	sandbox *sb = calloc(1, sizeof(*sb));

	sb->dir = kk_test_mkdtemp();
	assert_true(asprintf(&sb->repo, "%s/plan.git", sb->dir) > 0);
	put(sb, "keikaku.json",
	    "{\"title\": \"テスト計画\", \"fiscal_year_start\": \"04-01\", \"phases\": [\"検討\", "
	    "\"導入\", \"運用開始\"], \"years\": {\"2020\": \"closed\", \"2021\": \"open\", "
	    "\"2022\": \"open\"}}\n");
	put(sb, "departments.json",
	    "{\"departments\": [{\"name\": \"デジタル戦略課\", \"users\": [\"dx\"], \"admin\": true}, "
	    "{\"name\": \"秘書課\", \"users\": [\"hisho\"]}, {\"name\": \"市民課\"}]}\n");
	put(sb, "plan.json", "{\"pillars\": []}\n");
	put(sb, "items/0001.json",
	    "{\"id\": 1, \"title\": \"申請のオンライン化\", \"owners\": [\"秘書課\"], \"status\": "
	    "\"open\", \"years\": {\"2020\": {\"result\": \"旧\"}, \"2021\": {\"planned\": \"導入\", "
	    "\"progress\": \"behind\"}, \"2022\": {}}}\n");
	put(sb, "items/0002.json",
	    "{\"id\": 2, \"title\": \"窓口の改善\", \"owners\": [\"市民課\"], \"status\": \"open\", "
	    "\"years\": {\"2021\": {\"planned\": \"検討\"}}}\n");
	assert_int_equal(kk_store_init(&sb->store, &sb->c[0], sb->repo, &sb->files, &first_sig,
				       "Create plan\n", NULL),
			 0);
	sb->head = sb->c[0];

	set(sb, "items/0001.json", "years.2021.progress", "\"on_track\"");
	set(sb, "items/0001.json", "years.2021.result", "\"・案を作成した\"");
	sb->c[1] = hisho(sb, times[1], MSG_C1);
	set(sb, "items/0001.json", "years.2021.revised", "\"検討\"");
	sb->c[2] = dx(sb, times[2], MSG_C2);
	set(sb, "items/0001.json", "years.2021.progress", "\"ahead\"");
	sb->c[3] = hisho(sb, times[3], MSG_C3);
	put(sb, "items/0003.json",
	    "{\"id\": 3, \"title\": \"新しい項目\", \"owners\": [\"デジタル戦略課\"], \"status\": "
	    "\"open\", \"years\": {\"2022\": {\"planned\": \"検討\"}}}\n");
	sb->c[4] = dx(sb, times[4],
		      "003 新しい項目 を追加\n\n年度途中の追加\n\nKeikaku-Item: 3\nDepartment: "
		      "デジタル戦略課\n");
	drop(sb, "items/0002.json");
	sb->c[5] = commit(sb, "Hand Editor", "hand@example.org", times[5], "remove 2\n");
	set(sb, "items/0001.json", "years.2020.result", "\"旧(訂正)\"");
	sb->c[6] = dx(sb, times[6], MSG_C6);
	set(sb, "items/0001.json", "years.2022.progress", "\"on_track\"");
	sb->c[7] = hisho(sb, times[7],
			 "001 申請のオンライン化 · 令和4年度 進捗度\n\nKeikaku-Item: 1\n"
			 "Fiscal-Year: 2022\nDepartment: 秘書課\n");
	*state = sb;
	return 0;
}

static int teardown(void **state)
{
	sandbox *sb = *state;

	kk_store_free(sb->store);
	kk_fileset_clear(&sb->files);
	kk_test_rmrf(sb->dir);
	free(sb->dir);
	free(sb->repo);
	free(sb);
	return 0;
}

/* --- helpers --- */

static const char *hex(const git_oid *oid)
{
	static char buf[4][GIT_OID_HEXSZ + 1];
	static int n;

	n = (n + 1) % 4;
	git_oid_tostr(buf[n], sizeof(buf[n]), oid);
	return buf[n];
}

static char *dump(const json_t *v)
{
	return json_dumps(v, JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

static kk_history *open_at(sandbox *sb, const git_oid *tip, int use_cache)
{
	kk_history *h = NULL;
	kk_diag diag = {0};

	if (kk_history_open(&h, sb->store, tip, use_cache, &diag) < 0)
		fail_msg("kk_history_open: %s", diag.message);
	return h;
}

static json_t *log_of(kk_history *h, const kk_log_filter *f)
{
	json_t *entries = NULL;
	kk_diag diag = {0};

	if (kk_history_log(&entries, h, f, &diag) < 0)
		fail_msg("kk_history_log: %s", diag.message);
	return entries;
}

/* "C3 years.2021.progress" for each entry, commits by their names here, newest first. */
static char *outline(const sandbox *sb, const json_t *entries)
{
	char *out = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&out, &size);
	const json_t *e;
	size_t i;

	json_array_foreach(entries, i, e) {
		const char *c = json_string_value(json_object_get(e, "commit"));
		int name = -1;

		for (int k = 0; k < NCOMMITS; k++)
			if (strcmp(c, hex(&sb->c[k])) == 0)
				name = k;
		fprintf(m, "%sC%d %s %s", i ? "; " : "", name,
			json_string_value(json_object_get(e, "file")),
			json_string_value(json_object_get(e, "path")));
	}
	fclose(m);
	return out;
}

static void assert_outline(const sandbox *sb, const json_t *entries, const char *expected)
{
	char *got = outline(sb, entries);
	int same = strcmp(got, expected) == 0;

	if (!same)
		print_error("got      %s\nexpected %s\n", got, expected);
	free(got);
	if (!same)
		fail();
}

/* A log entry's commit information, as JSON text. */
static char *info(const sandbox *sb, int c, const char *who, const char *email, const char *dept,
		  const char *reason, int correction)
{
	char when[32], *out = NULL;

	kk_time_format(when, sizeof(when), times[c], JST);
	assert_true(
		asprintf(&out,
			 "\"commit\": \"%s\", \"time\": \"%s\", \"timestamp\": %lld, "
			 "\"author\": {\"name\": \"%s\", \"email\": \"%s\"}, \"department\": %s, "
			 "\"reason\": %s, \"correction\": %s",
			 hex(&sb->c[c]), when, (long long)times[c], who, email, dept, reason,
			 correction ? "true" : "false") > 0);
	return out;
}

/* --- the log --- */

/* Every change to item 1, newest first, with the commits' information and reasons. */
static void test_log_item(void **state)
{
	sandbox *sb = *state;
	kk_history *h = open_at(sb, &sb->head, 0);
	kk_log_filter f = {.item = 1};
	json_t *entries = log_of(h, &f);
	char *text, *i1, *i2, *i3, *i6;
	const char *item =
		"\"file\": \"items/0001.json\", \"file_change\": \"changed\", \"item\": 1, "
		"\"title\": \"申請のオンライン化\"";

	/* The first commit is a fixed one: fixed files, signature and time. */
	assert_string_equal(hex(&sb->c[0]), "658f225f446f8d4da947c88976236250afdfa052");
	assert_int_equal(kk_history_count(h), NCOMMITS);
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

	i1 = info(sb, 1, "田中 秘書", "hisho@keikaku.test", "\"秘書課\"", "\"規程案を作成した\"",
		  0);
	i2 = info(sb, 2, "DX Admin", "dx@keikaku.test", "\"デジタル戦略課\"",
		  "\"事業者の選定が遅れた\\n\\n来年度に再検討する\"", 0);
	i3 = info(sb, 3, "田中 秘書", "hisho@keikaku.test", "\"秘書課\"", "null", 0);
	i6 = info(sb, 6, "DX Admin", "dx@keikaku.test", "\"デジタル戦略課\"", "\"誤記の訂正\"", 1);
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
	sandbox *sb = *state;
	kk_history *h = open_at(sb, &sb->head, 0);
	kk_log_filter f = {0};
	json_t *e;

	f.department = "秘書課";
	e = log_of(h, &f);
	assert_outline(
		sb, e,
		"C7 items/0001.json years.2022.progress; C3 items/0001.json years.2021.progress; "
		"C1 items/0001.json years.2021.progress; C1 items/0001.json years.2021.result");
	json_decref(e);

	/* An author by login (the e-mail's local part), full name or e-mail. */
	memset(&f, 0, sizeof(f));
	f.author = "dx";
	e = log_of(h, &f);
	assert_outline(
		sb, e,
		"C6 items/0001.json years.2020.result; C4 items/0003.json id; "
		"C4 items/0003.json title; C4 items/0003.json owners; C4 items/0003.json status; "
		"C4 items/0003.json years.2022.planned; C2 items/0001.json years.2021.revised");
	json_decref(e);
	f.author = "Hand Editor";
	e = log_of(h, &f);
	assert_outline(
		sb, e,
		"C5 items/0002.json id; C5 items/0002.json title; C5 items/0002.json owners; "
		"C5 items/0002.json status; C5 items/0002.json years.2021.planned");
	json_decref(e);
	f.author = "hand@example.org";
	e = log_of(h, &f);
	assert_int_equal(json_array_size(e), 5);
	json_decref(e);
	f.author = "hand@example";
	e = log_of(h, &f);
	assert_int_equal(json_array_size(e), 0);
	json_decref(e);
	f.author = "Hand";
	e = log_of(h, &f);
	assert_int_equal(json_array_size(e), 0);
	json_decref(e);

	/* One fiscal year's fields, in every file; with times, the first commit left out. */
	memset(&f, 0, sizeof(f));
	f.year = 2020;
	e = log_of(h, &f);
	assert_outline(sb, e,
		       "C6 items/0001.json years.2020.result; C0 keikaku.json years.2020; "
		       "C0 items/0001.json years.2020.result");
	json_decref(e);
	f.year = 2021;
	f.since = times[1];
	f.until = times[3];
	e = log_of(h, &f);
	assert_outline(
		sb, e,
		"C3 items/0001.json years.2021.progress; C2 items/0001.json years.2021.revised; "
		"C1 items/0001.json years.2021.progress; C1 items/0001.json years.2021.result");
	json_decref(e);
	/* Bounds are inclusive, to the second. */
	f.since = times[2];
	f.until = times[3] - 1;
	e = log_of(h, &f);
	assert_outline(sb, e, "C2 items/0001.json years.2021.revised");
	json_decref(e);

	/* A field in every year, and one of one year, also with an item. */
	memset(&f, 0, sizeof(f));
	f.field = "progress";
	e = log_of(h, &f);
	assert_outline(
		sb, e,
		"C7 items/0001.json years.2022.progress; C3 items/0001.json years.2021.progress; "
		"C1 items/0001.json years.2021.progress; C0 items/0001.json years.2021.progress");
	json_decref(e);
	f.field = "years.2021";
	f.item = 1;
	f.since = times[2];
	e = log_of(h, &f);
	assert_outline(
		sb, e,
		"C3 items/0001.json years.2021.progress; C2 items/0001.json years.2021.revised");
	json_decref(e);

	/* A plan-wide file; items only. */
	memset(&f, 0, sizeof(f));
	f.file = "keikaku.json";
	f.field = "years";
	e = log_of(h, &f);
	assert_outline(sb, e,
		       "C0 keikaku.json years.2020; C0 keikaku.json years.2021; "
		       "C0 keikaku.json years.2022");
	json_decref(e);
	memset(&f, 0, sizeof(f));
	f.items_only = 1;
	f.until = T0;
	e = log_of(h, &f);
	assert_int_equal(json_array_size(e), 8 + 5);
	json_decref(e);
	/* An item that never was: nothing. */
	memset(&f, 0, sizeof(f));
	f.item = 9;
	e = log_of(h, &f);
	assert_int_equal(json_array_size(e), 0);
	json_decref(e);
	kk_history_free(h);
}

/* Files added and removed: "added" has only "new", "removed" only "old" (and the old title). */
static void test_file_change(void **state)
{
	sandbox *sb = *state;
	kk_history *h = open_at(sb, &sb->head, 0);
	kk_log_filter f = {.item = 2};
	kk_diag diag = {0};
	json_t *e = log_of(h, &f), *blame = NULL;
	char *text, *i5;

	assert_outline(
		sb, e,
		"C5 items/0002.json id; C5 items/0002.json title; C5 items/0002.json owners; "
		"C5 items/0002.json status; C5 items/0002.json years.2021.planned; "
		"C0 items/0002.json id; C0 items/0002.json title; C0 items/0002.json owners; "
		"C0 items/0002.json status; C0 items/0002.json years.2021.planned");
	i5 = info(sb, 5, "Hand Editor", "hand@example.org", "null", "null", 0);
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
	e = log_of(h, &f);
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
	h = open_at(sb, &sb->c[4], 0);
	assert_int_equal(kk_history_blame(&blame, h, 2, &diag), 0);
	assert_int_equal(json_array_size(json_object_get(blame, "fields")), 5);
	assert_string_equal(json_string_value(json_object_get(blame, "commit")), hex(&sb->c[4]));
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
	sandbox *sb = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		kk_history *h;
		json_t *got = NULL;

		/* A commit that changes nothing is fine for the message. */
		commit(sb, "a", "a@b", times[7] + 10 + (int64_t)i, cases[i].message);
		h = open_at(sb, &sb->head, 0);
		assert_int_equal(kk_history_commit_info(&got, h, &sb->head, NULL), 0);
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
	sandbox *sb = *state;
	kk_history *h = open_at(sb, &sb->head, 0);
	json_t *blame = NULL, *fields;
	char *text, *i3;

	assert_int_equal(kk_history_blame(&blame, h, 1, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(blame, "id")), 1);
	assert_string_equal(json_string_value(json_object_get(blame, "title")),
			    "申請のオンライン化");
	assert_string_equal(json_string_value(json_object_get(blame, "commit")), hex(&sb->head));
	fields = json_object_get(blame, "fields");
	assert_int_equal(json_array_size(fields), sizeof(want) / sizeof(*want));
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		const json_t *field = json_array_get(fields, i);

		assert_string_equal(json_string_value(json_object_get(field, "path")),
				    want[i].path);
		assert_string_equal(json_string_value(json_object_get(field, "commit")),
				    hex(&sb->c[want[i].commit]));
	}
	i3 = info(sb, 3, "田中 秘書", "hisho@keikaku.test", "\"秘書課\"", "null", 0);
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
	h = open_at(sb, &sb->c[2], 0);
	assert_int_equal(kk_history_blame(&blame, h, 1, NULL), 0);
	fields = json_object_get(blame, "fields");
	assert_int_equal(json_array_size(fields), 10);
	assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 9), "path")),
			    "years.2022");
	kk_assert_json(json_object_get(json_array_get(fields, 9), "value"), "{}");
	assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 9), "commit")),
			    hex(&sb->c[0]));
	assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 8), "commit")),
			    hex(&sb->c[2]));
	assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 6), "path")),
			    "years.2021.progress");
	assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 6), "commit")),
			    hex(&sb->c[1]));
	assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 4), "path")),
			    "years.2020.result");
	assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 4), "commit")),
			    hex(&sb->c[0]));
	json_decref(blame);
	kk_history_free(h);
}

/*
 * A year's entry emptied by removing its last field is itself a field ({}),
 * last changed by the commit that emptied it: item 3's FY2022 entry was
 * never empty before, item 1's was empty at first (C0), then had progress.
 */
static git_oid empty_entries(sandbox *sb)
{
	set(sb, "items/0003.json", "years.2022.planned", NULL);
	set(sb, "items/0001.json", "years.2022.progress", NULL);
	return dx(sb, times[7] + 60, "empty the entries\n");
}

static void assert_last_field(sandbox *sb, json_int_t id, size_t count, const git_oid *by)
{
	kk_history *h = open_at(sb, &sb->head, 0);
	json_t *blame = NULL, *fields;
	const json_t *last;
	char *value, problem[512] = "";
	size_t n;

	assert_int_equal(kk_history_blame(&blame, h, id, NULL), 0);
	fields = json_object_get(blame, "fields");
	n = json_array_size(fields);
	last = json_array_get(fields, n - 1);
	value = dump(json_object_get(last, "value"));
	if (n != count || strcmp(json_string_value(json_object_get(last, "path")), "years.2022") ||
	    strcmp(value, "{}") ||
	    strcmp(json_string_value(json_object_get(last, "commit")), hex(by)))
		snprintf(problem, sizeof(problem),
			 "item %lld: %zu fields, the last '%s' = %s by %.10s; expected %zu, "
			 "'years.2022' = {} by %.10s",
			 (long long)id, n, json_string_value(json_object_get(last, "path")), value,
			 json_string_value(json_object_get(last, "commit")), count, hex(by));
	/* Freed before failing, so that a failure leaks nothing. */
	free(value);
	json_decref(blame);
	kk_history_free(h);
	if (problem[0])
		fail_msg("%s", problem);
}

static void test_blame_emptied_entry(void **state)
{
	sandbox *sb = *state;
	git_oid emptied = empty_entries(sb);

	assert_last_field(sb, 3, 5, &emptied);
}

static void test_blame_entry_emptied_again(void **state)
{
	sandbox *sb = *state;
	git_oid emptied = empty_entries(sb);

	assert_last_field(sb, 1, 10, &emptied);
}

/* The last change of one field, as the schedule's "revised_by" uses it. */
static void test_last_change(void **state)
{
	sandbox *sb = *state;
	kk_history *h = open_at(sb, &sb->head, 0);
	json_t *got = NULL;

	assert_int_equal(
		kk_history_last_change(&got, h, "items/0001.json", "years.2021.revised", NULL), 0);
	assert_string_equal(json_string_value(json_object_get(got, "commit")), hex(&sb->c[2]));
	assert_string_equal(json_string_value(json_object_get(got, "reason")),
			    "事業者の選定が遅れた\n\n来年度に再検討する");
	json_decref(got);
	assert_int_equal(
		kk_history_last_change(&got, h, "items/0001.json", "years.2021.planned", NULL), 0);
	assert_string_equal(json_string_value(json_object_get(got, "commit")), hex(&sb->c[0]));
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
	assert_string_equal(json_string_value(json_object_get(got, "commit")), hex(&sb->c[5]));
	json_decref(got);
	kk_history_free(h);
}

/* --- times and revisions --- */

static void test_at_time(void **state)
{
	sandbox *sb = *state;
	kk_history *h = open_at(sb, &sb->head, 0);
	kk_diag diag = {0};
	git_oid at;
	int64_t t;

	assert_int_equal(kk_history_at_time(&at, h, T0 - 1, &diag), KK_ENOTFOUND);
	assert_string_equal(diag.message, "no commit at or before 2021-03-31T23:59:59+00:00");
	for (int c = 0; c < NCOMMITS; c++) {
		assert_int_equal(kk_history_at_time(&at, h, times[c], NULL), 0);
		assert_string_equal(hex(&at), hex(&sb->c[c]));
		assert_int_equal(kk_history_at_time(&at, h, times[c] - 1, NULL),
				 c ? 0 : KK_ENOTFOUND);
		if (c)
			assert_string_equal(hex(&at), hex(&sb->c[c - 1]));
		assert_int_equal(kk_history_time(&t, h, &sb->c[c]), 0);
		assert_int_equal(t, times[c]);
	}
	assert_int_equal(kk_history_at_time(&at, h, INT64_MAX, NULL), 0);
	assert_string_equal(hex(&at), hex(&sb->head));
	kk_history_free(h);

	/* A shorter chain ends sooner; its later commits are not on it. */
	h = open_at(sb, &sb->c[2], 0);
	assert_int_equal(kk_history_count(h), 3);
	assert_int_equal(kk_history_at_time(&at, h, INT64_MAX, NULL), 0);
	assert_string_equal(hex(&at), hex(&sb->c[2]));
	assert_int_equal(kk_history_time(&t, h, &sb->c[3]), KK_ENOTFOUND);
	assert_int_equal(kk_history_time(&t, h, &(git_oid){{0}}), KK_ENOTFOUND);
	kk_history_free(h);
}

static void resolves(sandbox *sb, const char *rev, int offset, int want)
{
	kk_rev_opts opts = {offset, NULL};
	kk_diag diag = {0};
	git_oid at;

	if (kk_rev_resolve(&at, sb->store, rev, &opts, &diag) < 0)
		fail_msg("'%s' at %+d: %s", rev, offset, diag.message);
	if (!git_oid_equal(&at, &sb->c[want]))
		fail_msg("'%s' at %+d: %s, expected C%d", rev, offset, hex(&at), want);
}

/* "@DATE": the end of that day where the dates are meant; "fyYYYY": the tag, else the FY's end. */
static void test_rev_resolve(void **state)
{
	sandbox *sb = *state;
	kk_history *h = open_at(sb, &sb->head, 0);
	kk_rev_opts opts = {JST, h};
	kk_diag diag = {0};
	git_oid at, tag;
	git_object *target = NULL;
	git_signature *tagger = NULL;
	int64_t t;

	resolves(sb, "@2021-04-01", JST, 2); /* 04-01 ends at 15:00 UTC, before C3 */
	resolves(sb, "@2021-04-01", 0, 3);
	resolves(sb, "@2021-04-02", JST, 3);
	resolves(sb, "@2021-03-31", -600, 2); /* ends at 2021-04-01T09:59:59Z */
	resolves(sb, "@2030-01-01", JST, 7);
	resolves(sb, NULL, JST, 7);
	resolves(sb, "", JST, 7);
	resolves(sb, "main~2", JST, 5);
	/* With the history given, the same answers. */
	assert_int_equal(kk_rev_resolve(&at, sb->store, "@2021-04-01", &opts, NULL), 0);
	assert_string_equal(hex(&at), hex(&sb->c[2]));
	assert_int_equal(kk_rev_resolve(&at, sb->store, "@2021-04-01", NULL, NULL), 0);
	assert_string_equal(hex(&at), hex(&sb->c[3])); /* no options: UTC */

	assert_int_equal(kk_rev_resolve(&at, sb->store, "@2021-03-31", &opts, &diag), KK_ENOTFOUND);
	assert_string_equal(diag.message, "no commit at or before '@2021-03-31'");
	assert_int_equal(kk_rev_resolve(&at, sb->store, "@2021-02-29", &opts, &diag), KK_EINVALID);
	assert_string_equal(diag.message, "'2021-02-29' is not a date (YYYY-MM-DD)");
	assert_int_equal(kk_rev_resolve(&at, sb->store, "@yesterday", &opts, &diag), KK_EINVALID);
	assert_int_equal(kk_rev_resolve(&at, sb->store, "nosuchbranch", &opts, &diag),
			 KK_ENOTFOUND);

	/* FY2021 not tagged: its end, 2022-03-31 23:59:59 where dates are meant (C5 is 04-01 JST).
	 */
	resolves(sb, "fy2021", JST, 4);
	resolves(sb, "FY2021", JST, 4);
	resolves(sb, "fy2021", 0, 5);
	resolves(sb, "fy2022", JST, 7);
	assert_int_equal(kk_rev_resolve(&at, sb->store, "fy2020", &opts, &diag), KK_ENOTFOUND);
	kk_history_free(h);

	/* The year's start is keikaku.json's at HEAD: with July, FY2021 ends on 2022-06-30. */
	set(sb, "keikaku.json", "fiscal_year_start", "\"07-01\"");
	{
		git_oid c8 = dx(sb, 1669852800, "fiscal year from July\n");
		kk_rev_opts o = {JST, NULL};

		assert_int_equal(kk_rev_resolve(&at, sb->store, "fy2021", &o, NULL), 0);
		assert_string_equal(hex(&at), hex(&sb->c[7]));
		assert_int_equal(kk_rev_resolve(&at, sb->store, "fy2022", &o, NULL), 0);
		assert_string_equal(hex(&at), hex(&c8));
	}

	/* Tagged: the tag, whatever the dates say. */
	assert_int_equal(git_object_lookup(&target, kk_store_repository(sb->store), &sb->c[3],
					   GIT_OBJECT_COMMIT),
			 0);
	assert_int_equal(git_signature_new(&tagger, "DX Admin", "dx@keikaku.test", times[3], JST),
			 0);
	assert_int_equal(git_tag_create(&tag, kk_store_repository(sb->store), "fy2021", target,
					tagger, "令和3年度 (FY2021) を締め切り\n", 0),
			 0);
	git_object_free(target);
	git_signature_free(tagger);
	resolves(sb, "fy2021", JST, 3);
	resolves(sb, "FY2021", 0, 3);

	/* As a bound: a date's start or end, a revision's commit time. */
	assert_int_equal(kk_rev_time(&t, sb->store, "2021-04-01", 0, &opts, NULL), 0);
	assert_int_equal(t, T0 - 9 * 3600);
	assert_int_equal(kk_rev_time(&t, sb->store, "2021-04-01", 1, &opts, NULL), 0);
	assert_int_equal(t, T0 - 9 * 3600 + 86399);
	assert_int_equal(kk_rev_time(&t, sb->store, "main~1", 1, &(kk_rev_opts){JST, NULL}, NULL),
			 0);
	assert_int_equal(t, times[7]);
	assert_int_equal(kk_rev_time(&t, sb->store, "fy2021", 0, &(kk_rev_opts){JST, NULL}, NULL),
			 0);
	assert_int_equal(t, times[3]);
	assert_int_equal(kk_rev_time(&t, sb->store, "2021-13-01", 0, NULL, &diag), KK_EINVALID);

	assert_int_equal(kk_rev_fiscal_year("fy2021"), 2021);
	assert_int_equal(kk_rev_fiscal_year("FY1999"), 1999);
	assert_int_equal(kk_rev_fiscal_year("Fy2021"), 2021);
	assert_int_equal(kk_rev_fiscal_year("fy21"), 0);
	assert_int_equal(kk_rev_fiscal_year("fy20211"), 0);
	assert_int_equal(kk_rev_fiscal_year("fy20a1"), 0);
	assert_int_equal(kk_rev_fiscal_year("2021"), 0);
	assert_int_equal(kk_rev_fiscal_year("R3"), 0);
	assert_int_equal(kk_rev_fiscal_year(NULL), 0);
}

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

static void test_time(void **state)
{
	static const struct {
		int64_t when;
		int offset;
		const char *text;
	} formats[] = {
		{0, 0, "1970-01-01T00:00:00+00:00"},
		{T0, JST, "2021-04-01T09:00:00+09:00"},
		{T0, 0, "2021-04-01T00:00:00+00:00"},
		{T0, -330, "2021-03-31T18:30:00-05:30"},
		{1648738799, JST, "2022-03-31T23:59:59+09:00"},
		{951782400, 0, "2000-02-29T00:00:00+00:00"},
		{-1, 0, "1969-12-31T23:59:59+00:00"},
		{4102444800, 0, "2100-01-01T00:00:00+00:00"},
	};
	static const char *const bad[] = {
		"2021-02-29", "2021-13-01", "2021-1-01",  "2021-00-10", "2021-04-31",  "2021-04-00",
		"1900-02-29", "2021/04/01", "20210401",	  "2021-04-1",	"2021-04-01x", "",
		"21-04-01",   "2021-04- 1", "2021- 4-01", "+021-04-01", " 021-04-01",  "2021-04-+1",
	};
	char buf[32];
	kk_diag diag = {0};
	int64_t t;
	int taken = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(formats) / sizeof(*formats); i++) {
		kk_time_format(buf, sizeof(buf), formats[i].when, formats[i].offset);
		assert_string_equal(buf, formats[i].text);
	}
	/* Dates need not be valid: days and months roll over. */
	assert_int_equal(kk_time_of_day(2021, 4, 1, 0), T0);
	assert_int_equal(kk_time_of_day(2021, 4, 1, JST), T0 - 9 * 3600);
	assert_int_equal(kk_time_of_day(2021, 3, 32, 0), T0);
	assert_int_equal(kk_time_of_day(2020, 16, 1, 0), T0);
	assert_int_equal(kk_time_of_day(2021, 1, 91, 0), T0);

	assert_int_equal(kk_time_parse_date(&t, "2021-04-01", JST, 0, NULL), 0);
	assert_int_equal(t, T0 - 9 * 3600);
	assert_int_equal(kk_time_parse_date(&t, "2021-04-01", JST, 1, NULL), 0);
	assert_int_equal(t, T0 - 9 * 3600 + 86399);
	assert_int_equal(kk_time_parse_date(&t, "2021-03-31", 0, 1, NULL), 0);
	assert_int_equal(t, T0 - 1);
	assert_int_equal(kk_time_parse_date(&t, "2020-02-29", 0, 0, NULL), 0);
	assert_int_equal(kk_time_parse_date(&t, "2000-02-29", 0, 0, NULL), 0);
	assert_int_equal(t, 951782400);
	assert_int_equal(kk_time_parse_date(&t, "2021-12-31", 0, 1, NULL), 0);
	assert_int_equal(t, 1640995199);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char want[64];

		t = 42;
		if (kk_time_parse_date(&t, bad[i], 0, 0, &diag) != KK_EINVALID) {
			print_error("'%s' taken for a date\n", bad[i]);
			taken++;
			continue;
		}
		snprintf(want, sizeof(want), "'%s' is not a date (YYYY-MM-DD)", bad[i]);
		assert_string_equal(diag.message, want);
		assert_int_equal(t, 42);
	}
	assert_int_equal(taken, 0);
}

/* --- the cache --- */

static char *cache_file(const sandbox *sb)
{
	char *path = NULL;

	assert_true(asprintf(&path, "%s/keikaku/history.idx", sb->repo) > 0);
	return path;
}

static char *log_text(kk_history *h)
{
	json_t *all = log_of(h, NULL);
	char *text = dump(all);

	json_decref(all);
	return text;
}

/* The answers of a history without the cache, for comparison. */
static char *fresh_log(sandbox *sb, const git_oid *tip)
{
	kk_history *h = open_at(sb, tip, 0);
	char *text = log_text(h);

	kk_history_free(h);
	return text;
}

static void test_cache(void **state)
{
	sandbox *sb = *state;
	char *path = cache_file(sb), *want = fresh_log(sb, &sb->head), *got;
	kk_history *h;
	struct stat st;
	size_t len = 0;
	char *bytes;

	/* Without use_cache nothing is written. */
	assert_int_equal(stat(path, &st), -1);

	/* The first open builds and writes it; the second reads it, same answers. */
	h = open_at(sb, &sb->head, 1);
	assert_int_equal(kk_history_cached(h), 0);
	got = log_text(h);
	assert_string_equal(got, want);
	free(got);
	kk_history_free(h);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 0);
	h = open_at(sb, &sb->head, 1);
	assert_int_equal(kk_history_count(h), NCOMMITS);
	assert_int_equal(kk_history_cached(h), NCOMMITS);
	got = log_text(h);
	assert_string_equal(got, want);
	free(got);
	kk_history_free(h);

	/* A shorter chain is a prefix of it: read, not rewritten. */
	h = open_at(sb, &sb->c[3], 1);
	assert_int_equal(kk_history_count(h), 4);
	assert_int_equal(kk_history_cached(h), NCOMMITS);
	got = log_text(h);
	free(want);
	want = fresh_log(sb, &sb->c[3]);
	assert_string_equal(got, want);
	free(got);
	kk_history_free(h);
	free(want);
	want = fresh_log(sb, &sb->head);

	/* A byte flipped, anywhere: ignored, rebuilt with the same answers, written again. */
	bytes = kk_test_slurp(path, &len);
	for (size_t at = 0; at < len; at += len / 7 + 1) {
		bytes[at] ^= 0x20;
		kk_test_write(path, bytes, len);
		bytes[at] ^= 0x20;
		h = open_at(sb, &sb->head, 1);
		assert_int_equal(kk_history_cached(h), 0);
		got = log_text(h);
		assert_string_equal(got, want);
		free(got);
		kk_history_free(h);
		h = open_at(sb, &sb->head, 1);
		assert_int_equal(kk_history_cached(h), NCOMMITS);
		kk_history_free(h);
	}
	/* Cut short, empty, or of another kind: the same. */
	kk_test_write(path, bytes, len / 2);
	h = open_at(sb, &sb->head, 1);
	assert_int_equal(kk_history_cached(h), 0);
	got = log_text(h);
	assert_string_equal(got, want);
	free(got);
	kk_history_free(h);
	kk_test_write(path, "", 0);
	h = open_at(sb, &sb->head, 1);
	assert_int_equal(kk_history_cached(h), 0);
	kk_history_free(h);
	kk_test_write(path, "KKHIST\0\2", 8);
	h = open_at(sb, &sb->head, 1);
	assert_int_equal(kk_history_cached(h), 0);
	got = log_text(h);
	assert_string_equal(got, want);
	free(got);
	kk_history_free(h);
	free(bytes);

	/* A new commit: the index is read and extended by it. */
	set(sb, "items/0003.json", "years.2022.progress", "\"ahead\"");
	git_oid c8 = dx(sb, times[7] + 100,
			"003 新しい項目 · 令和4年度 進捗度\n\nDepartment: デジタル戦略課\n");
	h = open_at(sb, &sb->head, 1);
	assert_int_equal(kk_history_count(h), NCOMMITS + 1);
	assert_int_equal(kk_history_cached(h), NCOMMITS);
	got = log_text(h);
	free(want);
	want = fresh_log(sb, &sb->head);
	assert_string_equal(got, want);
	free(got);
	{
		json_t *e = log_of(h, NULL);

		assert_string_equal(
			json_string_value(json_object_get(json_array_get(e, 0), "commit")),
			hex(&c8));
		json_decref(e);
	}
	kk_history_free(h);
	h = open_at(sb, &sb->head, 1);
	assert_int_equal(kk_history_cached(h), NCOMMITS + 1);
	kk_history_free(h);
	free(path);
	free(want);
}

/* main moved back and on to something else: the answers follow the new chain. */
static void test_cache_rewritten_history(void **state)
{
	sandbox *sb = *state;
	git_reference *ref = NULL;
	kk_history *h;
	kk_fileset at_c5 = {0};
	json_t *e;
	char *want, *got;
	git_oid x;

	h = open_at(sb, &sb->head, 1); /* writes the index of C0..C7 */
	kk_history_free(h);

	assert_int_equal(git_reference_create(&ref, kk_store_repository(sb->store),
					      "refs/heads/main", &sb->c[5], 1, "reset"),
			 0);
	git_reference_free(ref);
	assert_int_equal(kk_store_read_all(&at_c5, sb->store, &sb->c[5], NULL), 0);
	kk_fileset_clear(&sb->files);
	sb->files = at_c5;
	sb->head = sb->c[5];
	set(sb, "items/0003.json", "title", "\"書き直した項目\"");
	x = dx(sb, times[6] + 5, "003 書き直し\n\n別の歴史\n\nDepartment: デジタル戦略課\n");

	h = open_at(sb, &sb->head, 1);
	assert_int_equal(kk_history_count(h), 7);
	assert_int_equal(kk_history_cached(h), 6); /* C0..C5 */
	got = log_text(h);
	want = fresh_log(sb, &sb->head);
	assert_string_equal(got, want);
	free(got);
	free(want);
	e = log_of(h, &(kk_log_filter){.item = 1, .since = times[5]});
	assert_int_equal(json_array_size(e), 0); /* C6 and C7 are gone */
	json_decref(e);
	e = log_of(h, &(kk_log_filter){.item = 3});
	assert_string_equal(json_string_value(json_object_get(json_array_get(e, 0), "commit")),
			    hex(&x));
	assert_string_equal(json_string_value(json_object_get(json_array_get(e, 0), "new")),
			    "書き直した項目");
	json_decref(e);
	{
		json_t *blame = NULL;

		assert_int_equal(kk_history_blame(&blame, h, 1, NULL), 0);
		/* years.2020.result is C0's again, and there is no FY2022 progress. */
		assert_string_equal(
			json_string_value(json_object_get(
				json_array_get(json_object_get(blame, "fields"), 4), "commit")),
			hex(&sb->c[0]));
		assert_int_equal(json_array_size(json_object_get(blame, "fields")), 10);
		json_decref(blame);
	}
	kk_history_free(h);
	h = open_at(sb, &sb->head, 1);
	assert_int_equal(kk_history_cached(h), 7);
	kk_history_free(h);
	/* The old tip still answers as it did (its commits are still in the repository). */
	h = open_at(sb, &sb->c[7], 1);
	assert_int_equal(kk_history_count(h), NCOMMITS);
	got = log_text(h);
	want = fresh_log(sb, &sb->c[7]);
	assert_string_equal(got, want);
	free(got);
	free(want);
	kk_history_free(h);
}

/*
 * --since and --until given as revisions: from that commit on, up to it, along
 * the chain, even when commits around it share its second.
 */
static void test_log_since_revision_same_second(void **state)
{
	sandbox *sb = *state;
	kk_query_env env = {JST, 0};
	git_oid x[3];
	json_t *params, *out = NULL;
	char *got = NULL;
	size_t size = 0;
	FILE *m;

	for (int i = 0; i < 3; i++) {
		char value[16], message[32];

		snprintf(value, sizeof(value), "\"r%d\"", i);
		snprintf(message, sizeof(message), "same second %d\n", i);
		set(sb, "items/0003.json", "years.2022.result", value);
		x[i] = dx(sb, times[7] + 100, message);
	}
	m = open_memstream(&got, &size);
	for (int bound = 0; bound < 2; bound++) {
		const json_t *e;
		size_t i;

		params = json_pack("{s:s, s:I}", bound ? "until" : "since", hex(&x[1]), "item",
				   (json_int_t)3);
		assert_int_equal(kk_query_run(&out, sb->store, "history.log", params, &env, NULL),
				 0);
		json_array_foreach(json_object_get(out, "entries"), i, e)
			fprintf(m, "%s ", json_string_value(json_object_get(e, "summary")));
		fputs("| ", m);
		json_decref(params);
		json_decref(out);
	}
	fclose(m);
	/* The until side also lists item 3's first commit. */
	if (strcmp(got,
		   "same second 2 same second 1 | same second 1 same second 0 003 新しい項目 を追加 "
		   "003 新しい項目 を追加 003 新しい項目 を追加 003 新しい項目 を追加 003 "
		   "新しい項目 を追加 | ") != 0) {
		print_error("got %s\n", got);
		free(got);
		fail();
	}
	free(got);
}

/* --- closed years and pending items --- */

static void test_check_closed(void **state)
{
	sandbox *sb = *state;
	kk_history *h = open_at(sb, &sb->head, 0);
	kk_diaglist problems = {0};
	char want[256];
	git_oid bad;

	/* C6 changed closed FY2020, as a correction. */
	assert_int_equal(kk_history_check_closed(h, &problems, NULL), 0);
	assert_int_equal(problems.count, 0);
	kk_history_free(h);

	set(sb, "items/0001.json", "years.2020.result", "\"手で書き換え\"");
	bad = commit(sb, "Hand Editor", "hand@example.org", times[7] + 1,
		     "edit 2020\n\nDepartment: 秘書課\n");
	h = open_at(sb, &sb->head, 0);
	assert_int_equal(kk_history_check_closed(h, &problems, NULL), 0);
	assert_int_equal(problems.count, 1);
	assert_string_equal(problems.items[0].path, "items/0001.json");
	assert_string_equal(problems.items[0].pointer, "/years/2020");
	snprintf(
		want, sizeof(want),
		"commit %.12s changes fiscal year 2020, which was closed, without being a correction",
		hex(&bad));
	assert_string_equal(problems.items[0].message, want);
	kk_diaglist_clear(&problems);
	kk_history_free(h);
}

/*
 * An admin puts FY2022 back to 'planned' and opens it again at `when`; then
 * 秘書課 updates item 1's FY2022 result `after` later.  Returns the opening.
 */
static git_oid open_then_update(sandbox *sb, int64_t when, int64_t after)
{
	git_oid opened;

	set(sb, "keikaku.json", "years.2022", "\"planned\"");
	dx(sb, when - 3600,
	   "令和4年度 (FY2022) を計画中に戻す\n\nKeikaku-File: keikaku.json\n"
	   "Fiscal-Year: 2022\nDepartment: デジタル戦略課\n");
	set(sb, "keikaku.json", "years.2022", "\"open\"");
	opened = dx(sb, when,
		    "令和4年度 (FY2022) を開始\n\n開始\n\nKeikaku-File: keikaku.json\n"
		    "Fiscal-Year: 2022\nDepartment: デジタル戦略課\n");
	set(sb, "items/0001.json", "years.2022.result", "\"・報告\"");
	hisho(sb, when + after,
	      "001 申請のオンライン化 · 令和4年度 取組内容または結果\n\nKeikaku-Item: 1\n"
	      "Fiscal-Year: 2022\nDepartment: 秘書課\n");
	return opened;
}

static json_t *pending(sandbox *sb, const char *params)
{
	kk_query_env env = {JST, 0};
	json_t *p = kk_test_parse(params), *out = NULL;
	kk_diag diag = {0};

	if (kk_query_run(&out, sb->store, "plan.pending", p, &env, &diag) < 0)
		fail_msg("plan.pending %s: %s", params, diag.message);
	json_decref(p);
	return out;
}

/* A year open from the plan's first commit is reported on from that commit. */
static void test_pending_open_from_the_start(void **state)
{
	sandbox *sb = *state;
	json_t *r = pending(sb, "{\"fy\": 2022}");
	char *text;

	assert_true(
		asprintf(&text,
			 "{\"year\": \"2022\", \"since\": \"2021-04-01T09:00:00+09:00\", "
			 "\"since_timestamp\": 1617235200, \"since_commit\": \"%s\", "
			 "\"since_reason\": \"opened\", \"commit\": \"%s\", \"departments\": []}",
			 hex(&sb->c[0]), hex(&sb->head)) > 0);
	kk_assert_json(r, text);
	free(text);
	json_decref(r);
}

/* FY2022's period starts at the commit that opened it: an owner's update after it counts. */
static void test_pending_after_open(void **state)
{
	sandbox *sb = *state;
	git_oid opened = open_then_update(sb, 1656633600, 1);
	json_t *r = pending(sb, "{\"fy\": 2022}");
	char *text, *i4;

	i4 = info(sb, 4, "DX Admin", "dx@keikaku.test", "\"デジタル戦略課\"", "\"年度途中の追加\"",
		  0);
	assert_true(
		asprintf(
			&text,
			"{\"year\": \"2022\", \"since\": \"2022-07-01T09:00:00+09:00\", "
			"\"since_timestamp\": 1656633600, \"since_commit\": \"%s\", "
			"\"since_reason\": \"opened\", \"commit\": \"%s\", \"departments\": "
			"[{\"name\": \"デジタル戦略課\", \"items\": [{\"id\": 3, \"title\": "
			"\"新しい項目\", \"last_update\": {%s, \"summary\": \"003 新しい項目 を追加\"}}]}]}",
			hex(&opened), hex(&sb->head), i4) > 0);
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
	sandbox *sb = *state;
	json_t *r;
	char *got;
	size_t n;

	open_then_update(sb, 1656633600, 0);
	r = pending(sb, "{\"fy\": 2022}");
	got = dump(json_object_get(r, "departments"));
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
		cmocka_unit_test_setup_teardown(test_log_item, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blame, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blame_emptied_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blame_entry_emptied_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_at_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rev_resolve, setup, teardown),
		cmocka_unit_test(test_field_matches),
		cmocka_unit_test(test_time),
		cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_rewritten_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_since_revision_same_second, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_check_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_open_from_the_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_after_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_same_second_as_open, setup, teardown),
	};
	int failed;

	git_libgit2_init();
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return failed;
}
