/*
 * history_script.c - the scripted history that the tests of core's history
 * layer share (history_script.h): a plan repository whose eight commits,
 * their authors, times and messages are fixed, so that every answer about
 * them is known exactly.
 */
#include "history_script.h"

#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "sandbox.h"

const int64_t hs_times[HS_NCOMMITS] = {HS_T0,	   HS_T0 + 3600, HS_T0 + 7200, HS_T0 + 72000,
				       1622509200, 1648767600,	 1652144400,   1654045200};

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

void hs_put(hs_sandbox *sb, const char *path, const char *text)
{
	assert_int_equal(kk_fileset_put(&sb->box.files, path, text, strlen(text), NULL), 0);
}

void hs_drop(hs_sandbox *sb, const char *path)
{
	kk_fileset kept = {0};

	for (size_t i = 0; i < sb->box.files.count; i++)
		if (strcmp(sb->box.files.files[i].path, path) != 0)
			assert_int_equal(kk_fileset_put_file(&kept, &sb->box.files.files[i], NULL),
					 0);
	kk_fileset_clear(&sb->box.files);
	sb->box.files = kept;
}

void hs_set(hs_sandbox *sb, const char *path, const char *field, const char *value)
{
	const kk_file *f = kk_fileset_get(&sb->box.files, path);
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
	hs_put(sb, path, text);
	free(text);
	free(copy);
	json_decref(doc);
}

git_oid hs_commit(hs_sandbox *sb, const char *name, const char *email, int64_t when,
		  const char *message)
{
	git_repository *repo = kk_store_repository(sb->box.store);
	git_signature *author = NULL, *committer = NULL;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, oid;

	assert_int_equal(kk_store_write_tree(&tree_id, repo, &sb->box.files, NULL), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_commit_lookup(&parent, repo, &sb->box.head), 0);
	assert_int_equal(git_signature_new(&author, name, email, when, HS_JST), 0);
	assert_int_equal(
		git_signature_new(&committer, "keikakud", "keikakud@keikaku.test", when, HS_JST),
		0);
	assert_int_equal(git_commit_create(&oid, repo, "refs/heads/main", author, committer, NULL,
					   message, tree, 1, (const git_commit **)&parent),
			 0);
	git_signature_free(author);
	git_signature_free(committer);
	git_commit_free(parent);
	git_tree_free(tree);
	sb->box.head = oid;
	return oid;
}

git_oid hs_hisho(hs_sandbox *sb, int64_t when, const char *message)
{
	return hs_commit(sb, "田中 秘書", "hisho@keikaku.test", when, message);
}

git_oid hs_dx(hs_sandbox *sb, int64_t when, const char *message)
{
	return hs_commit(sb, "DX Admin", "dx@keikaku.test", when, message);
}

int hs_init(void **state)
{
	(void)state;
	return git_libgit2_init() < 0 ? -1 : 0;
}

int hs_shutdown(void **state)
{
	(void)state;
	git_libgit2_shutdown();
	return 0;
}

/* C0..C7: see history_script.h. */
int hs_setup(void **state)
{
	hs_sandbox *sb = calloc(1, sizeof(*sb));

	sb->box.dir = kk_test_mkdtemp();
	sb->box.repo = kk_test_sandbox_path(&sb->box, "plan.git");
	hs_put(sb, "keikaku.json",
	       "{\"title\": \"テスト計画\", \"fiscal_year_start\": \"04-01\", \"phases\": [\"検討\", "
	       "\"導入\", \"運用開始\"], \"years\": {\"2020\": \"closed\", \"2021\": \"open\", "
	       "\"2022\": \"open\"}}\n");
	hs_put(sb, "departments.json",
	       "{\"departments\": [{\"name\": \"デジタル戦略課\", \"users\": [\"dx\"], \"admin\": true}, "
	       "{\"name\": \"秘書課\", \"users\": [\"hisho\"]}, {\"name\": \"市民課\"}]}\n");
	hs_put(sb, "plan.json", "{\"pillars\": []}\n");
	hs_put(sb, "items/0001.json",
	       "{\"id\": 1, \"title\": \"申請のオンライン化\", \"owners\": [\"秘書課\"], \"status\": "
	       "\"open\", \"years\": {\"2020\": {\"result\": \"旧\"}, \"2021\": {\"planned\": \"導入\", "
	       "\"progress\": \"behind\"}, \"2022\": {}}}\n");
	hs_put(sb, "items/0002.json",
	       "{\"id\": 2, \"title\": \"窓口の改善\", \"owners\": [\"市民課\"], \"status\": \"open\", "
	       "\"years\": {\"2021\": {\"planned\": \"検討\"}}}\n");
	/* By kk_test_sig: Keikaku Test at HS_T0 (+09:00). */
	kk_test_sandbox_init(&sb->box, "Create plan\n");
	sb->c[0] = sb->box.first;

	hs_set(sb, "items/0001.json", "years.2021.progress", "\"on_track\"");
	hs_set(sb, "items/0001.json", "years.2021.result", "\"・案を作成した\"");
	sb->c[1] = hs_hisho(sb, hs_times[1], MSG_C1);
	hs_set(sb, "items/0001.json", "years.2021.revised", "\"検討\"");
	sb->c[2] = hs_dx(sb, hs_times[2], MSG_C2);
	hs_set(sb, "items/0001.json", "years.2021.progress", "\"ahead\"");
	sb->c[3] = hs_hisho(sb, hs_times[3], MSG_C3);
	hs_put(sb, "items/0003.json",
	       "{\"id\": 3, \"title\": \"新しい項目\", \"owners\": [\"デジタル戦略課\"], \"status\": "
	       "\"open\", \"years\": {\"2022\": {\"planned\": \"検討\"}}}\n");
	sb->c[4] = hs_dx(sb, hs_times[4],
			 "003 新しい項目 を追加\n\n年度途中の追加\n\nKeikaku-Item: 3\nDepartment: "
			 "デジタル戦略課\n");
	hs_drop(sb, "items/0002.json");
	sb->c[5] = hs_commit(sb, "Hand Editor", "hand@example.org", hs_times[5], "remove 2\n");
	hs_set(sb, "items/0001.json", "years.2020.result", "\"旧(訂正)\"");
	sb->c[6] = hs_dx(sb, hs_times[6], MSG_C6);
	hs_set(sb, "items/0001.json", "years.2022.progress", "\"on_track\"");
	sb->c[7] = hs_hisho(sb, hs_times[7],
			    "001 申請のオンライン化 · 令和4年度 進捗度\n\nKeikaku-Item: 1\n"
			    "Fiscal-Year: 2022\nDepartment: 秘書課\n");
	*state = sb;
	return 0;
}

int hs_teardown(void **state)
{
	return kk_test_sandbox_teardown(state);
}

const char *hs_hex(const git_oid *oid)
{
	static char buf[4][GIT_OID_HEXSZ + 1];
	static int n;

	n = (n + 1) % 4;
	git_oid_tostr(buf[n], sizeof(buf[n]), oid);
	return buf[n];
}

char *hs_dump(const json_t *v)
{
	return json_dumps(v, JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

kk_history *hs_open(hs_sandbox *sb, const git_oid *tip, int use_cache)
{
	kk_history *h = NULL;
	kk_diag diag = {0};

	if (kk_history_open(&h, sb->box.store, tip, use_cache, &diag) < 0)
		fail_msg("kk_history_open: %s", diag.message);
	return h;
}

json_t *hs_log(kk_history *h, const kk_log_filter *f)
{
	json_t *entries = NULL;
	kk_diag diag = {0};

	if (kk_history_log(&entries, h, f, &diag) < 0)
		fail_msg("kk_history_log: %s", diag.message);
	return entries;
}

char *hs_info(const hs_sandbox *sb, int c, const char *who, const char *email, const char *dept,
	      const char *reason, int correction)
{
	char when[32], *out = NULL;

	kk_time_format(when, sizeof(when), hs_times[c], HS_JST);
	assert_true(
		asprintf(&out,
			 "\"commit\": \"%s\", \"time\": \"%s\", \"timestamp\": %lld, "
			 "\"author\": {\"name\": \"%s\", \"email\": \"%s\"}, \"department\": %s, "
			 "\"reason\": %s, \"correction\": %s",
			 hs_hex(&sb->c[c]), when, (long long)hs_times[c], who, email, dept, reason,
			 correction ? "true" : "false") > 0);
	return out;
}

void hs_tag(hs_sandbox *sb, const char *name, const git_oid *commit, int64_t when)
{
	git_repository *repo = kk_store_repository(sb->box.store);
	git_object *target = NULL;
	git_signature *tagger = NULL;
	git_oid tag;

	assert_int_equal(git_object_lookup(&target, repo, commit, GIT_OBJECT_COMMIT), 0);
	assert_int_equal(git_signature_new(&tagger, "DX Admin", "dx@keikaku.test", when, HS_JST),
			 0);
	assert_int_equal(git_tag_create(&tag, repo, name, target, tagger,
					"令和3年度 (FY2021) を締め切り\n", 0),
			 0);
	git_object_free(target);
	git_signature_free(tagger);
}
