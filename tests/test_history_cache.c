/*
 * Tests for the ways a history is had without building it again: the index
 * on disk (core/history/history.c's cache, keikaku/history.idx), written,
 * read back, extended, rebuilt when damaged or when the branch was
 * rewritten; views of HEAD's history at an older commit; the versions a
 * history keeps parsed (kk_history_set_docs); and the queries' memo of
 * HEAD's history, and a plan file read through it (memo.c).  Each gives the answers of a history
 * built without it, on the scripted history of util/history_script.h.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "history.h"
#include "history_script.h"
#include "query.h"
#include "store.h"

static char *cache_file(const hs_sandbox *sb)
{
	char *path = NULL;

	assert_true(asprintf(&path, "%s/keikaku/history.idx", sb->box.repo) > 0);
	return path;
}

static char *log_text(kk_history *h)
{
	json_t *all = hs_log(h, NULL);
	char *text = hs_dump(all);

	json_decref(all);
	return text;
}

/* Fails unless the whole log of `h` reads `want` (log_text()'s form). */
static void assert_log_text(kk_history *h, const char *want)
{
	char *got = log_text(h);

	assert_string_equal(got, want);
	free(got);
}

/* The answers of a history without the cache, for comparison. */
static char *fresh_log(hs_sandbox *sb, const git_oid *tip)
{
	kk_history *h = hs_open(sb, tip, 0);
	char *text = log_text(h);

	kk_history_free(h);
	return text;
}

static void test_cache(void **state)
{
	hs_sandbox *sb = *state;
	char *path = cache_file(sb), *want = fresh_log(sb, &sb->box.head), *got;
	kk_history *h;
	struct stat st;
	size_t len = 0;
	char *bytes;

	/* Without use_cache nothing is written. */
	assert_int_equal(stat(path, &st), -1);

	/* The first open builds and writes it; the second reads it, same answers. */
	h = hs_open(sb, &sb->box.head, 1);
	assert_int_equal(kk_history_cached(h), 0);
	assert_log_text(h, want);
	kk_history_free(h);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 0);
	h = hs_open(sb, &sb->box.head, 1);
	assert_int_equal(kk_history_count(h), HS_NCOMMITS);
	assert_int_equal(kk_history_cached(h), HS_NCOMMITS);
	assert_log_text(h, want);
	kk_history_free(h);

	/* A shorter chain is a prefix of it: read, not rewritten. */
	h = hs_open(sb, &sb->c[3], 1);
	assert_int_equal(kk_history_count(h), 4);
	assert_int_equal(kk_history_cached(h), HS_NCOMMITS);
	got = log_text(h);
	free(want);
	want = fresh_log(sb, &sb->c[3]);
	assert_string_equal(got, want);
	free(got);
	kk_history_free(h);
	free(want);
	want = fresh_log(sb, &sb->box.head);

	/* A byte flipped, anywhere: ignored, rebuilt with the same answers, written again. */
	bytes = kk_test_slurp(path, &len);
	for (size_t at = 0; at < len; at += len / 7 + 1) {
		bytes[at] ^= 0x20;
		kk_test_write(path, bytes, len);
		bytes[at] ^= 0x20;
		h = hs_open(sb, &sb->box.head, 1);
		assert_int_equal(kk_history_cached(h), 0);
		assert_log_text(h, want);
		kk_history_free(h);
		h = hs_open(sb, &sb->box.head, 1);
		assert_int_equal(kk_history_cached(h), HS_NCOMMITS);
		kk_history_free(h);
	}
	/* Cut short, empty, or of another kind: the same. */
	kk_test_write(path, bytes, len / 2);
	h = hs_open(sb, &sb->box.head, 1);
	assert_int_equal(kk_history_cached(h), 0);
	assert_log_text(h, want);
	kk_history_free(h);
	kk_test_write(path, "", 0);
	h = hs_open(sb, &sb->box.head, 1);
	assert_int_equal(kk_history_cached(h), 0);
	kk_history_free(h);
	kk_test_write(path, "KKHIST\0\2", 8);
	h = hs_open(sb, &sb->box.head, 1);
	assert_int_equal(kk_history_cached(h), 0);
	assert_log_text(h, want);
	kk_history_free(h);
	free(bytes);

	/* A new commit: the index is read and extended by it. */
	hs_set(sb, "items/0003.json", "years.2022.progress", "\"ahead\"");
	git_oid c8 = hs_dx(sb, hs_times[7] + 100,
			   "003 新しい項目 · 令和4年度 進捗度\n\nDepartment: デジタル戦略課\n");
	h = hs_open(sb, &sb->box.head, 1);
	assert_int_equal(kk_history_count(h), HS_NCOMMITS + 1);
	assert_int_equal(kk_history_cached(h), HS_NCOMMITS);
	got = log_text(h);
	free(want);
	want = fresh_log(sb, &sb->box.head);
	assert_string_equal(got, want);
	free(got);
	{
		json_t *e = hs_log(h, NULL);

		assert_string_equal(
			json_string_value(json_object_get(json_array_get(e, 0), "commit")),
			hs_hex(&c8));
		json_decref(e);
	}
	kk_history_free(h);
	h = hs_open(sb, &sb->box.head, 1);
	assert_int_equal(kk_history_cached(h), HS_NCOMMITS + 1);
	kk_history_free(h);
	free(path);
	free(want);
}

/* main moved back and on to something else: the answers follow the new chain. */
static void test_cache_rewritten_history(void **state)
{
	hs_sandbox *sb = *state;
	git_reference *ref = NULL;
	kk_history *h;
	kk_fileset at_c5 = {0};
	json_t *e;
	char *want, *got;
	git_oid x;

	h = hs_open(sb, &sb->box.head, 1); /* writes the index of C0..C7 */
	kk_history_free(h);

	assert_int_equal(git_reference_create(&ref, kk_store_repository(sb->box.store),
					      "refs/heads/main", &sb->c[5], 1, "reset"),
			 0);
	git_reference_free(ref);
	assert_int_equal(kk_store_read_all(&at_c5, sb->box.store, &sb->c[5], NULL), 0);
	kk_fileset_clear(&sb->box.files);
	sb->box.files = at_c5;
	sb->box.head = sb->c[5];
	hs_set(sb, "items/0003.json", "title", "\"書き直した項目\"");
	x = hs_dx(sb, hs_times[6] + 5, "003 書き直し\n\n別の歴史\n\nDepartment: デジタル戦略課\n");

	h = hs_open(sb, &sb->box.head, 1);
	assert_int_equal(kk_history_count(h), 7);
	assert_int_equal(kk_history_cached(h), 6); /* C0..C5 */
	got = log_text(h);
	want = fresh_log(sb, &sb->box.head);
	assert_string_equal(got, want);
	free(got);
	free(want);
	e = hs_log(h, &(kk_log_filter){.item = 1, .since = hs_times[5]});
	assert_int_equal(json_array_size(e), 0); /* C6 and C7 are gone */
	json_decref(e);
	e = hs_log(h, &(kk_log_filter){.item = 3});
	assert_string_equal(json_string_value(json_object_get(json_array_get(e, 0), "commit")),
			    hs_hex(&x));
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
			hs_hex(&sb->c[0]));
		assert_int_equal(json_array_size(json_object_get(blame, "fields")), 10);
		json_decref(blame);
	}
	kk_history_free(h);
	h = hs_open(sb, &sb->box.head, 1);
	assert_int_equal(kk_history_cached(h), 7);
	kk_history_free(h);
	/* The old tip still answers as it did (its commits are still in the repository). */
	h = hs_open(sb, &sb->c[7], 1);
	assert_int_equal(kk_history_count(h), HS_NCOMMITS);
	got = log_text(h);
	want = fresh_log(sb, &sb->c[7]);
	assert_string_equal(got, want);
	free(got);
	free(want);
	kk_history_free(h);
}

/* --- views and the memo: the same answers without reading the index again --- */

/* A view of HEAD's history at each commit of the chain is the history opened there. */
/* log and blame of item 1 on `h`, as text. */
static char *log_and_blame(kk_history *h)
{
	json_t *all = hs_log(h, NULL), *blame = NULL;
	kk_diag diag = {0};
	char *text;

	assert_int_equal(kk_history_blame(&blame, h, 1, &diag), 0);
	json_array_extend(all, blame);
	text = hs_dump(all);
	json_decref(all);
	json_decref(blame);
	return text;
}

/* Fails unless `a` and `b` give the same log and blame of item 1. */
static void assert_same_answers(kk_history *a, kk_history *b)
{
	char *ta = log_and_blame(a), *tb = log_and_blame(b);

	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
}

static void test_view(void **state)
{
	hs_sandbox *sb = *state;
	kk_history *head = hs_open(sb, &sb->box.head, 0), *view = NULL;
	kk_diag diag = {0};
	git_oid nowhere;

	for (int k = 0; k < HS_NCOMMITS; k++) {
		kk_history *opened = hs_open(sb, &sb->c[k], 0);

		assert_int_equal(kk_history_view(&view, head, &sb->c[k], &diag), 0);
		assert_int_equal(kk_history_count(view), kk_history_count(opened));
		assert_same_answers(view, opened);
		kk_history_free(view);
		kk_history_free(opened);
	}
	/* A commit off the chain is for kk_history_open(). */
	memset(&nowhere, 0x42, sizeof(nowhere));
	assert_int_equal(kk_history_view(&view, head, &nowhere, &diag), KK_ENOTFOUND);
	kk_history_free(head);
}

/*
 * With a kk_doccache, a history and its views answer as without one, and a
 * version parsed once is not parsed again, by any of them, however often asked.
 */
static void test_docs(void **state)
{
	hs_sandbox *sb = *state;
	kk_history *head = hs_open(sb, &sb->box.head, 0), *plain = hs_open(sb, &sb->box.head, 0);
	kk_doccache *docs = NULL;
	kk_doccache_stats first, again;
	kk_diag diag = {0};

	assert_int_equal(kk_doccache_new(&docs, 1 << 20), 0);
	kk_history_set_docs(head, docs);
	for (int round = 0; round < 2; round++) {
		if (round == 1)
			kk_doccache_stats_get(docs, &first);
		for (int k = 0; k < HS_NCOMMITS; k++) {
			kk_history *view = NULL, *plain_view = NULL;

			assert_int_equal(kk_history_view(&view, head, &sb->c[k], &diag), 0);
			assert_int_equal(kk_history_view(&plain_view, plain, &sb->c[k], &diag), 0);
			assert_same_answers(view, plain_view);
			kk_history_free(view);
			kk_history_free(plain_view);
		}
	}
	kk_doccache_stats_get(docs, &again);
	/* Each version parsed once (a miss), in the first round only. */
	assert_true(first.misses > 0);
	assert_int_equal(first.misses, first.documents);
	assert_int_equal(again.misses, first.misses);
	assert_true(again.hits > first.hits);
	kk_history_free(head);
	kk_history_free(plain);
	kk_doccache_free(docs);
}

/* A plan file at a revision, as text, or its error code and message. */
static char *document_text(hs_sandbox *sb, const git_oid *rev, const char *path,
			   kk_query_memo *memo)
{
	kk_query_env env = {.utc_offset = HS_JST, .memo = memo};
	kk_diag diag = {0};
	json_t *doc = NULL;
	char *text = NULL;

	if (kk_query_document(&doc, sb->box.store, rev, path, &env, &diag) < 0) {
		assert_null(doc);
		assert_true(asprintf(&text, "%d %s", diag.code, diag.message) > 0);
		return text;
	}
	text = hs_dump(doc);
	json_decref(doc);
	return text;
}

/*
 * kk_query_document() with a memo (from the history index) reads what it reads
 * without (from the commit's trees): an item at every commit, before it was added,
 * after it was removed, a file the index does not follow, and one that never was.
 */
static void test_query_document(void **state)
{
	hs_sandbox *sb = *state;
	kk_query_memo *memo = kk_query_memo_new();
	const char *paths[] = {"items/0001.json", "items/0002.json", "items/0003.json",
			       "keikaku.json", "items/0999.json"};

	for (int k = 0; k < HS_NCOMMITS; k++)
		for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
			char *with = document_text(sb, &sb->c[k], paths[i], memo);
			char *without = document_text(sb, &sb->c[k], paths[i], NULL);

			assert_string_equal(with, without);
			free(with);
			free(without);
		}
	/* From the memo's parsed versions: the same document each time. */
	{
		kk_query_env env = {.utc_offset = HS_JST, .memo = memo};
		json_t *a = NULL, *b = NULL;
		kk_diag diag = {0};

		assert_int_equal(kk_query_document(&a, sb->box.store, &sb->box.head,
						   "items/0001.json", &env, &diag),
				 0);
		assert_int_equal(kk_query_document(&b, sb->box.store, &sb->box.head,
						   "items/0001.json", &env, &diag),
				 0);
		assert_ptr_equal(a, b);
		json_decref(a);
		json_decref(b);
	}
	kk_query_memo_free(memo);
}

/* One query's answer, as text. */
static char *ask(hs_sandbox *sb, kk_query_memo *memo, const char *method, const char *params)
{
	kk_query_env env = {.utc_offset = HS_JST, .memo = memo};
	json_t *p = kk_test_parse(params), *out = NULL;
	kk_diag diag = {0};
	char *text;

	if (kk_query_run(&out, sb->box.store, method, p, &env, &diag) < 0)
		fail_msg("%s %s: %s", method, params, diag.message);
	json_decref(p);
	text = hs_dump(out);
	json_decref(out);
	return text;
}

/*
 * Queries with a memo answer as without one, at HEAD and at older revisions, and a
 * commit made between two queries is in the second one's answer.
 */
static void test_query_memo(void **state)
{
	hs_sandbox *sb = *state;
	kk_query_memo *memo = kk_query_memo_new();
	char params[256];
	const char *asked[][2] = {
		{"history.log", "{\"item\": 1}"},
		{"history.blame", "{\"id\": 1}"},
		{"history.log", params},
		{"plan.schedule", "{\"changed\": true}"},
		/* Who made each commit is kept too, and read on for the new ones. */
		{"history.log", "{\"author\": \"hisho\"}"},
		{"history.log", "{\"author\": \"DX Admin\"}"},
		{"history.log", "{\"author\": \"hand@example.org\"}"},
		{"history.log", "{\"department\": \"秘書課\"}"},
		{"history.log", "{\"department\": \"デジタル戦略課\", \"author\": \"dx\"}"},
		{"plan.pending", "{\"fy\": 2022}"},
	};
	char *with, *without;

	snprintf(params, sizeof(params), "{\"item\": 1, \"rev\": \"%s\"}", hs_hex(&sb->c[3]));
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(asked) / sizeof(*asked); i++) {
			with = ask(sb, memo, asked[i][0], asked[i][1]);
			without = ask(sb, NULL, asked[i][0], asked[i][1]);
			assert_string_equal(with, without);
			free(with);
			free(without);
		}
		if (round == 0) {
			/* HEAD moves: the memo's history is HEAD's no longer. */
			hs_set(sb, "items/0001.json", "years.2022.result", "\"・新しい報告\"");
			hs_hisho(sb, hs_times[HS_NCOMMITS - 1] + 3600,
				 "001 申請のオンライン化 · 令和4年度 取組内容または結果\n\n"
				 "Keikaku-Item: 1\nFiscal-Year: 2022\nDepartment: 秘書課\n");
		}
	}
	with = ask(sb, memo, "history.log", "{\"item\": 1}");
	assert_non_null(strstr(with, "・新しい報告"));
	free(with);
	kk_query_memo_free(memo);
	kk_query_memo_free(NULL);
}

/*
 * A query past its budget fails with KK_ETIMEOUT, whichever walk it is in; within
 * it, it answers as without one; and the memo's history keeps no budget after it.
 */
static void test_query_budget(void **state)
{
	hs_sandbox *sb = *state;
	kk_query_memo *memo = kk_query_memo_new();
	char from[128];
	const char *asked[][2] = {
		{"history.log", "{}"},
		{"history.log", "{\"fy\": 2022}"},
		{"history.log", "{\"item\": 1}"},
		{"history.blame", "{\"id\": 1}"},
		{"plan.diff", from},
		{"plan.schedule", "{\"history\": true}"},
		{"plan.pending", "{\"fy\": 2022}"},
		{"plan.verify", "{\"all_history\": true}"},
	};

	snprintf(from, sizeof(from), "{\"from\": \"%s\"}", hs_hex(&sb->c[0]));
	for (size_t i = 0; i < sizeof(asked) / sizeof(*asked); i++) {
		json_t *p = kk_test_parse(asked[i][1]), *out = NULL;
		kk_budget spent, ample;
		kk_query_env env = {.utc_offset = HS_JST, .memo = memo, .budget = &spent};
		kk_diag diag = {0};
		char *with, *without;

		kk_budget_start(&spent, 0);
		assert_int_equal(kk_query_run(&out, sb->box.store, asked[i][0], p, &env, &diag),
				 KK_ETIMEOUT);
		assert_null(out);
		assert_non_null(strstr(diag.message, "the 0 s allowed"));
		/* Within a budget, and after it on the same memo: the answer without one. */
		kk_budget_start(&ample, 60000);
		env.budget = &ample;
		assert_int_equal(kk_query_run(&out, sb->box.store, asked[i][0], p, &env, &diag), 0);
		with = hs_dump(out);
		json_decref(out);
		without = ask(sb, memo, asked[i][0], asked[i][1]);
		assert_string_equal(with, without);
		free(with);
		free(without);
		json_decref(p);
	}
	kk_query_memo_free(memo);
}

/* history.log's entries as a query answers them, with `extra` members in its params. */
static json_t *log_entries(hs_sandbox *sb, const char *filter, const char *extra, int *code)
{
	char params[256];
	kk_query_env env = {.utc_offset = HS_JST};
	json_t *p, *out = NULL, *entries;
	kk_diag diag = {0};

	snprintf(params, sizeof(params), "{%s%s%s}", filter, *filter && *extra ? ", " : "", extra);
	p = kk_test_parse(params);
	*code = kk_query_run(&out, sb->box.store, "history.log", p, &env, &diag);
	json_decref(p);
	if (*code < 0) {
		assert_string_equal(diag.pointer, "/max_commits");
		return NULL;
	}
	entries = json_incref(json_object_get(out, "entries"));
	json_decref(out);
	return entries;
}

/*
 * history.log with max_commits N: the entries of the newest N commits that have any,
 * exactly the start of the whole log, with or without a filter; a bad N is refused.
 */
static void test_log_max_commits(void **state)
{
	hs_sandbox *sb = *state;
	const char *filters[] = {"", "\"item\": 1", "\"fy\": 2022", "\"field\": \"progress\""};
	const char *bad[] = {"0", "-1", "\"2\"", "1.5", "true"};
	int code;

	for (size_t k = 0; k < sizeof(filters) / sizeof(*filters); k++) {
		json_t *all = log_entries(sb, filters[k], "", &code);
		size_t commits = 0, i;
		const char *prev = NULL;
		json_t *e;

		assert_int_equal(code, 0);
		assert_true(json_array_size(all) > 0);
		/* For each N, the prefix of `all` that holds its first N commits. */
		json_array_foreach(all, i, e) {
			const char *c = json_string_value(json_object_get(e, "commit"));

			if (prev && strcmp(prev, c) != 0) {
				char extra[64];
				json_t *some, *prefix = json_array();

				snprintf(extra, sizeof(extra), "\"max_commits\": %zu", commits);
				some = log_entries(sb, filters[k], extra, &code);
				assert_int_equal(code, 0);
				for (size_t j = 0; j < i; j++)
					json_array_append(prefix, json_array_get(all, j));
				assert_true(json_equal(some, prefix));
				json_decref(some);
				json_decref(prefix);
			}
			if (!prev || strcmp(prev, c) != 0)
				commits++;
			prev = c;
		}
		/* As many commits as there are, or more: all of it. */
		for (size_t more = 0; more < 2; more++) {
			char extra[64];
			json_t *some;

			snprintf(extra, sizeof(extra), "\"max_commits\": %zu", commits + more);
			some = log_entries(sb, filters[k], extra, &code);
			assert_true(json_equal(some, all));
			json_decref(some);
		}
		json_decref(all);
	}
	for (size_t k = 0; k < sizeof(bad) / sizeof(*bad); k++) {
		char extra[64];

		snprintf(extra, sizeof(extra), "\"max_commits\": %s", bad[k]);
		assert_null(log_entries(sb, "", extra, &code));
		assert_int_equal(code, KK_EINVALID);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cache, hs_setup, hs_teardown),
		cmocka_unit_test_setup_teardown(test_cache_rewritten_history, hs_setup,
						hs_teardown),
		cmocka_unit_test_setup_teardown(test_view, hs_setup, hs_teardown),
		cmocka_unit_test_setup_teardown(test_docs, hs_setup, hs_teardown),
		cmocka_unit_test_setup_teardown(test_query_memo, hs_setup, hs_teardown),
		cmocka_unit_test_setup_teardown(test_query_document, hs_setup, hs_teardown),
		cmocka_unit_test_setup_teardown(test_query_budget, hs_setup, hs_teardown),
		cmocka_unit_test_setup_teardown(test_log_max_commits, hs_setup, hs_teardown),
	};

	return cmocka_run_group_tests(tests, hs_init, hs_shutdown);
}
