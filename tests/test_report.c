/* Tests for core/report/report: the progress report's model and its formats, on the example plan.
 */
#include "testutil.h"

#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "plan.h"
#include "report.h"
#include "sandbox.h"
#include "store.h"

#define FIXTURES KK_SOURCE_DIR "/tests/fixtures/report"

typedef struct {
	kk_fileset files;
	kk_plan *plan;
	kk_report *report;
	char *text;
	size_t len;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	kk_test_load_example(&f->files);
	assert_int_equal(kk_plan_load(&f->plan, &f->files, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	free(f->text);
	kk_report_free(f->report);
	kk_plan_free(f->plan);
	kk_fileset_clear(&f->files);
	free(f);
	return 0;
}

/* Builds the FY2021 report of the fixture's plan (reloaded from its files) and renders it. */
static const char *render(fixture *f, kk_report_format format, const kk_report_text_opts *opts)
{
	kk_diag diag = {0};

	kk_report_free(f->report);
	kk_plan_free(f->plan);
	f->report = NULL;
	assert_int_equal(kk_plan_load(&f->plan, &f->files, NULL), 0);
	assert_int_equal(kk_report_build(&f->report, f->plan, 2021, NULL, &diag), 0);
	free(f->text);
	f->text = NULL;
	assert_int_equal(kk_report_render(&f->text, &f->len, f->report, format, opts, &diag), 0);
	assert_int_equal(strlen(f->text), f->len);
	return f->text;
}

/* Changes item `id` of the fixture's files with `edit`. */
static void edit_item(fixture *f, int id, void (*edit)(json_t *item))
{
	char path[32], *text;
	json_t *item;

	snprintf(path, sizeof(path), "items/%04d.json", id);
	item = kk_test_parse(kk_fileset_get(&f->files, path)->data);
	edit(item);
	text = json_dumps(item, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	assert_int_equal(kk_fileset_put(&f->files, path, text, strlen(text), NULL), 0);
	free(text);
	json_decref(item);
}

/* The lines of `text` from line `from` (1-based), `count` of them, as a new string. */
static char *lines(const char *text, int from, int count)
{
	const char *p = text, *start;

	for (int n = 1; n < from; n++) {
		assert_non_null(p = strchr(p, '\n'));
		p++;
	}
	start = p;
	for (int n = 0; n < count; n++) {
		assert_non_null(p = strchr(p, '\n'));
		p++;
	}
	return strndup(start, (size_t)(p - start));
}

static void assert_text_equal(const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		print_error("expected:\n%s\n     got:\n%s\n", want, got);
		fail();
	}
}

static void assert_contains(const char *text, const char *needle)
{
	if (!strstr(text, needle)) {
		print_error("missing: %s\n", needle);
		fail();
	}
}

static void assert_prefix(const char *text, const char *prefix)
{
	if (strncmp(text, prefix, strlen(prefix)) != 0) {
		print_error("expected a start of:\n%s\n     got:\n%.200s\n", prefix, text);
		fail();
	}
}

static size_t occurrences(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The value at JSON Pointer `pointer` of `doc` ("/pillars/1/title"), or NULL. */
static json_t *at(json_t *doc, const char *pointer)
{
	char token[64];

	while (doc && *pointer == '/') {
		size_t n = strcspn(pointer + 1, "/");

		snprintf(token, sizeof(token), "%.*s", (int)n, pointer + 1);
		doc = json_is_array(doc) ? json_array_get(doc, strtoul(token, NULL, 10))
					 : json_object_get(doc, token);
		pointer += n + 1;
	}
	return doc;
}

/* --- TSV --- */

/*
 * The fixtures are the sample report's own lines (data/progress-report-R3-part1.tsv):
 * pillar 1 (1) with the measure number and title in one 施策 cell, and pillar 2 (1) as it
 * is, with item 28's shifted row moved back.
 */
static void tsv_matches_the_sample(void **state)
{
	fixture *f = *state;
	const char *text = render(f, KK_REPORT_TSV, NULL);
	char *want, *got;
	size_t n;

	assert_non_null(want = kk_test_slurp(FIXTURES "/fy2021-p1s1.tsv", NULL));
	got = lines(text, 1, 22);
	assert_text_equal(got, want);
	free(got);
	free(want);

	/* The last table ends the file. */
	assert_non_null(want = kk_test_slurp(FIXTURES "/fy2021-p2s1.tsv", NULL));
	n = strlen(want);
	assert_true(f->len > n);
	assert_text_equal(text + f->len - n, want);
	free(want);
}

static void tsv_is_the_fixture(void **state)
{
	fixture *f = *state;
	char *want = kk_test_slurp(FIXTURES "/fy2021.tsv", NULL);

	assert_non_null(want);
	assert_text_equal(render(f, KK_REPORT_TSV, NULL), want);
	free(want);
}

static void set_multiline(json_t *item)
{
	json_object_set_new(json_object_get(json_object_get(item, "years"), "2021"), "result",
			    json_string("一行目\n\"二行目\"\tです"));
}

/* A cell with a line break or a tab is quoted as Excel quotes it when copying. */
static void tsv_quotes_as_excel(void **state)
{
	fixture *f = *state;

	edit_item(f, 26, set_multiline);
	assert_contains(render(f, KK_REPORT_TSV, NULL),
			"\t○\t\"一行目\n\"\"二行目\"\"\tです\"\t\t26\t導入完了\n");
}

/* --- CSV --- */

static void set_quoted_title(json_t *item)
{
	json_object_set_new(item, "title", json_string("\"書かない窓口\", 導入"));
}

static void csv_is_rfc4180_with_a_bom(void **state)
{
	fixture *f = *state;
	kk_report_text_opts no_bom = {.encoding = KK_REPORT_UTF8, .no_bom = 1};
	const char *text;

	edit_item(f, 11, set_quoted_title);
	text = render(f, KK_REPORT_CSV, NULL);
	assert_prefix(text, "\xEF\xBB\xBF\r\n\r\n進捗度の凡例,\r\n計画より早く進んでいる,◎\r\n");
	/* Every line ends in CRLF; no bare LF. */
	for (const char *p = text; (p = strchr(p, '\n')); p++)
		assert_int_equal(p[-1], '\r');
	assert_contains(text, "\r\n施策,施策の内容,項目,担当課,関係課,令和2年度,,,,令和3年度,,,,"
			      "令和4年度,通番,達成度\r\n");
	assert_contains(text,
			",\"\"\"書かない窓口\"\", 導入\",市民課,デジタル戦略課,導入,○,導入完了,");
	/* "検討, 導入" holds a comma. */
	assert_contains(text, "\r\n,,子育て等に関する相談の予約,健康増進課,"
			      "社会福祉課、子ども福祉課、高齢福祉課、こども育成支援センター,"
			      "\"検討, 導入\",○,導入完了,");
	text = render(f, KK_REPORT_CSV, &no_bom);
	assert_prefix(text, "\r\n\r\n進捗度の凡例,\r\n");
}

/* Converts `len` bytes of UTF-8 to CP932 with iconv, in one go. */
static char *to_cp932(const char *text, size_t len, size_t *len_out)
{
	iconv_t cd = iconv_open("CP932", "UTF-8");
	size_t alloc = len * 2 + 16, left = alloc;
	char *out = malloc(alloc), *o = out, *in = (char *)text;

	assert_true(cd != (iconv_t)-1);
	assert_int_not_equal(iconv(cd, &in, &len, &o, &left), (size_t)-1);
	iconv_close(cd);
	*len_out = alloc - left;
	return out;
}

static void csv_in_cp932(void **state)
{
	fixture *f = *state;
	kk_report_text_opts cp932 = {.encoding = KK_REPORT_CP932},
			    utf8_no_bom = {.encoding = KK_REPORT_UTF8, .no_bom = 1};
	char *utf8, *want;
	size_t len, want_len;

	render(f, KK_REPORT_CSV, &utf8_no_bom);
	utf8 = strndup(f->text, f->len);
	want = to_cp932(utf8, strlen(utf8), &want_len);
	render(f, KK_REPORT_CSV, &cp932);
	len = f->len;
	assert_int_equal(len, want_len);
	assert_memory_equal(f->text, want, len);
	/* No BOM; "—" is 0x815C, as Excel's CP932 has it. */
	assert_memory_equal(f->text, "\r\n\r\n\x90\x69", 6);
	assert_non_null(memmem(f->text, len, ",\x81\x5C,", 4));
	free(want);
	free(utf8);
}

static void set_unencodable(json_t *item)
{
	json_object_set_new(json_object_get(json_object_get(item, "years"), "2021"), "result",
			    json_string("𠮷野家で会議"));
}

static void cp932_names_what_it_cannot_encode(void **state)
{
	fixture *f = *state;
	kk_report_text_opts cp932 = {.encoding = KK_REPORT_CP932};
	kk_diag diag = {0};
	char *text = NULL;
	size_t len = 0;

	edit_item(f, 12, set_unencodable);
	render(f, KK_REPORT_TSV, NULL);
	assert_int_equal(kk_report_render(&text, &len, f->report, KK_REPORT_CSV, &cp932, &diag),
			 KK_EINVALID);
	assert_null(text);
	assert_string_equal(diag.message, "cannot encode item '12' in cp932: '𠮷' (U+20BB7) in "
					  "令和3年度 取組内容または結果 has no cp932 code");
	/* UTF-8 holds it. */
	assert_int_equal(kk_report_render(&text, &len, f->report, KK_REPORT_CSV, NULL, &diag), 0);
	assert_non_null(strstr(text, "𠮷野家で会議"));
	free(text);
	/* Only csv and tsv take another encoding. */
	assert_int_equal(kk_report_render(&text, &len, f->report, KK_REPORT_HTML, &cp932, &diag),
			 KK_EINVALID);
	assert_string_equal(diag.message, "the html report is written in UTF-8 only");
}

/* --- Markdown --- */

static void md_has_headings_summary_and_rows(void **state)
{
	fixture *f = *state;
	const char *text = render(f, KK_REPORT_MD, NULL);
	char *head = lines(text, 1, 12);

	assert_text_equal(head,
			  "# 空閑市DX推進計画 令和3年度 進捗状況\n"
			  "\n"
			  "空閑市\n"
			  "\n"
			  "## 進捗度の集計（令和3年度）\n"
			  "\n"
			  "| 計画の柱 | ◎ | ○ | ▲ | 項目 |\n"
			  "|---|--:|--:|--:|--:|\n"
			  "| 1. 多様なライフスタイルに対応した行政サービス | 0 | 15 | 0 | 24 |\n"
			  "| 2. 効率化を追求した行政運営 | 1 | 5 | 2 | 11 |\n"
			  "| 計 | 1 | 20 | 2 | 35 |\n"
			  "\n");
	free(head);
	assert_contains(text,
			"\n## 計画の柱 2. 効率化を追求した行政運営\n\n"
			"### (1) テレワークの拡大とペーパーレスの推進\n\n| 施策 | 施策の内容 |");
	assert_contains(text, "\n|  |  | 電子契約の導入 | デジタル戦略課 | 財政課 | "
			      "光ファイバの回線使用権に関する契約について導入 | ▲ | — | "
			      "電子契約サービスを提供している弁護士ドットコム社の");
	assert_contains(text, " | 対象案件の拡大 | 運用規則の整備 | ◎ | ・令和3年7月から");
	assert_contains(text, " |  | 31 | 導入完了 |\n");
	/* The points of a cell stay apart: a space before ・ or 【 is a line break there. */
	assert_contains(text, "申請手続きのオンライン化を行った。<br>・オンライン化された手続きが");
	assert_contains(text, "【税務課】<br>・納税証明書の申請");
	assert_contains(text, "取り下げる。<br>【戸籍関係】<br>・国の方針により");
	/* Not a ・ inside a sentence ("イベント・各種"), nor the text's first one. */
	assert_contains(text, "従来通りにイベント・各種カルチャー教室");
	assert_contains(text, " | ・令和3年度の重点取り組み項目");
}

/* --- HTML --- */

/* Counts the ◎ ○ ▲ of FY2021 per pillar straight from the item files. */
static void count_marks(size_t counts[3][3], const kk_fileset *files)
{
	memset(counts, 0, sizeof(size_t[3][3]));
	for (size_t i = 0; i < files->count; i++) {
		json_t *item, *p;
		const char *mark;
		int pillar;

		if (strncmp(files->files[i].path, "items/", 6) != 0)
			continue;
		item = kk_test_parse(files->files[i].data);
		pillar = (int)json_integer_value(json_object_get(item, "pillar"));
		p = json_object_get(json_object_get(json_object_get(item, "years"), "2021"),
				    "progress");
		mark = json_string_value(p);
		assert_true(pillar >= 1 && pillar <= 2);
		if (mark)
			counts[pillar][strcmp(mark, "ahead") == 0      ? 0
				       : strcmp(mark, "on_track") == 0 ? 1
								       : 2]++;
		json_decref(item);
	}
}

static void html_chart_counts_marks_per_pillar(void **state)
{
	fixture *f = *state;
	static const char *const marks[] = {"ahead", "on_track", "behind"};
	const char *text = render(f, KK_REPORT_HTML, NULL);
	size_t counts[3][3];
	char want[128];

	count_marks(counts, &f->files);
	assert_int_equal(counts[2][0] + counts[2][1] + counts[2][2], 8); /* not all zero */
	for (int p = 1; p <= 2; p++)
		for (int k = 0; k < 3; k++) {
			snprintf(want, sizeof(want),
				 "data-pillar=\"%d\" data-mark=\"%s\" data-count=\"%zu\"", p,
				 marks[k], counts[p][k]);
			assert_int_equal(occurrences(text, want), 1);
		}
	assert_int_equal(occurrences(text, "<rect class=\"bar "), 6);
	assert_contains(text, "<html lang=\"ja\">");
	assert_contains(text, "<meta charset=\"utf-8\">");
	/* Self-contained: nothing is fetched. */
	assert_null(strstr(text, "<script"));
	assert_null(strstr(text, " src="));
	assert_null(strstr(text, "<link"));
	assert_null(strstr(text, "@import"));
	assert_null(strstr(text, "url("));
	/* 35 rows, measure cells spanning their items. */
	assert_int_equal(occurrences(text, "<tr id=\"item-"), 35);
	assert_contains(text, "<td rowspan=\"3\" class=\"measure\" data-col=\"measure\" "
			      "data-label=\"施策\">⑤ コンビニ交付サービスの利便性向上</td>");
	assert_contains(text, "<th colspan=\"4\" scope=\"colgroup\">令和2年度</th>");
	assert_null(strstr(text, " changed"));
}

static void set_markup(json_t *item)
{
	json_object_set_new(item, "title", json_string("<b>書かない</b> & \"窓口\" 'x'"));
}

static void html_escapes(void **state)
{
	fixture *f = *state;
	const char *text;

	edit_item(f, 11, set_markup);
	text = render(f, KK_REPORT_HTML, NULL);
	assert_contains(text, "&lt;b&gt;書かない&lt;/b&gt; &amp; &quot;窓口&quot; &#39;x&#39;");
	assert_null(strstr(text, "<b>"));
	assert_null(strstr(text, "& \""));
}

/* --- changes since a revision --- */

static json_t *get(const kk_fileset *set, const char *path)
{
	const kk_file *file = kk_fileset_get(set, path);

	assert_non_null(file);
	return kk_test_parse(file->data);
}

static void put(kk_fileset *set, const char *path, json_t *doc)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	assert_int_equal(kk_fileset_put(set, path, text, strlen(text), NULL), 0);
	free(text);
	json_decref(doc);
}

static kk_report_row *row_of(kk_report *r, json_int_t id)
{
	for (size_t a = 0; a < r->npillars; a++)
		for (size_t b = 0; b < r->pillars[a].nsections; b++)
			for (size_t c = 0; c < r->pillars[a].sections[b].nmeasures; c++) {
				kk_report_measure *m = &r->pillars[a].sections[b].measures[c];

				for (size_t d = 0; d < m->nrows; d++)
					if (m->rows[d].id == id)
						return &m->rows[d];
			}
	return NULL;
}

static void changes_since_marks_exactly_the_changed_cells(void **state)
{
	kk_test_sandbox *sb = *state;
	kk_fileset *files = &sb->files;
	char *text = NULL;
	kk_plan *plan = NULL;
	kk_report *r = NULL;
	kk_report_source src = {0};
	json_t *doc, *diff = NULL, *measure;
	kk_diag diag = {0};
	git_oid c1;
	size_t len;

	/* 26: FY2021 progress; 5: its title; 27: a whole FY2022 entry; a measure's description. */
	doc = get(files, "items/0026.json");
	json_object_set_new(json_object_get(json_object_get(doc, "years"), "2021"), "progress",
			    json_string("behind"));
	put(files, "items/0026.json", doc);
	doc = get(files, "items/0005.json");
	json_object_set_new(doc, "title", json_string("対象証明書の拡大 (住民票)"));
	put(files, "items/0005.json", doc);
	doc = get(files, "items/0027.json");
	json_object_set_new(json_object_get(doc, "years"), "2022",
			    json_pack("{s:s}", "revised", "運用開始"));
	put(files, "items/0027.json", doc);
	doc = get(files, "plan.json");
	measure = at(doc, "/pillars/1/sections/0/measures/1");
	json_object_set_new(measure, "description", json_string("○タブレット会議を拡大します。"));
	put(files, "plan.json", doc);
	c1 = kk_test_sandbox_commit(sb, "Change\n");

	assert_int_equal(kk_diff_commits(&diff, sb->store, &sb->first, &c1, NULL, &diag), 0);
	assert_int_equal(kk_plan_load(&plan, files, NULL), 0);
	src.changes = diff;
	src.since = "fy2020";
	assert_int_equal(kk_report_build(&r, plan, 2021, &src, &diag), 0);

	assert_int_equal(r->nchanged, 4);
	for (json_int_t id = 1; id <= 35; id++) {
		unsigned want = id == 26   ? 1u << KK_REPORT_PROGRESS
				: id == 5  ? 1u << KK_REPORT_TITLE
				: id == 27 ? 1u << KK_REPORT_NEXT_REVISED
					   : 0;

		assert_non_null(row_of(r, id));
		assert_int_equal(row_of(r, id)->changed, want);
	}
	assert_int_equal(r->pillars[1].sections[0].measures[1].changed,
			 1u << KK_REPORT_DESCRIPTION);
	assert_int_equal(r->pillars[1].sections[0].measures[0].changed, 0);

	assert_int_equal(kk_report_render(&text, &len, r, KK_REPORT_HTML, NULL, &diag), 0);
	assert_int_equal(occurrences(text, " changed\" data-col="), 4);
	assert_contains(text, "<td class=\"mark changed\" data-col=\"year.progress\" "
			      "data-label=\"令和3年度 進捗度\" title=\"fy2020 以降に変更\">▲</td>");
	assert_contains(text, "<td class=\"title changed\" data-col=\"title\" data-label=\"項目\" "
			      "title=\"fy2020 以降に変更\">対象証明書の拡大 (住民票)</td>");
	assert_contains(text,
			"class=\"schedule changed\" data-col=\"next.revised\" "
			"data-label=\"令和4年度 変更スケジュール\" title=\"fy2020 以降に変更\">"
			"運用開始</td>");
	assert_contains(text, "class=\"description changed\" data-col=\"description\"");
	assert_contains(text, "<p class=\"changes\"><span class=\"changed\">変更</span> fy2020 "
			      "以降に変更された箇所（4）</p>");
	free(text);
	/* Markdown marks them with †. */
	assert_int_equal(kk_report_render(&text, &len, r, KK_REPORT_MD, NULL, &diag), 0);
	assert_int_equal(occurrences(text, " †"), 4);
	assert_contains(text, "\n† fy2020 以降に変更された箇所（4）\n");
	assert_contains(text, " | ▲ † | ");
	free(text);

	kk_report_free(r);
	json_decref(diff);
	kk_plan_free(plan);
}

/* --- the model --- */

static void set_added(json_t *item)
{
	json_object_set_new(item, "added_in", json_string("2021"));
	json_object_del(json_object_get(item, "years"), "2020");
}

static void added_items_are_marked(void **state)
{
	fixture *f = *state;

	edit_item(f, 35, set_added);
	assert_contains(render(f, KK_REPORT_TSV, NULL),
			"\t【R3追加】文書の電子化の推進\t総務課\t\t\t\t\t\t\t実施\t○\t");
}

static void year_must_be_the_plans(void **state)
{
	fixture *f = *state;
	kk_report *r = NULL;
	kk_diag diag = {0};

	assert_int_equal(kk_report_build(&r, f->plan, 2030, NULL, &diag), KK_ENOTFOUND);
	assert_null(r);
	assert_string_equal(diag.message,
			    "fiscal year 2030 (令和12年度) is not a year of the plan");
	/* Every year of keikaku.json is. */
	for (int y = 2020; y <= 2022; y++) {
		assert_int_equal(kk_report_build(&r, f->plan, y, NULL, &diag), 0);
		kk_report_free(r);
		r = NULL;
	}
}

static void set_missing_measure(json_t *item)
{
	json_object_set_new(item, "measure", json_integer(9));
}

static void items_need_their_measure(void **state)
{
	fixture *f = *state;
	kk_report *r = NULL;
	kk_diag diag = {0};

	edit_item(f, 26, set_missing_measure);
	kk_plan_free(f->plan);
	assert_int_equal(kk_plan_load(&f->plan, &f->files, NULL), 0);
	assert_int_equal(kk_report_build(&r, f->plan, 2021, NULL, &diag), KK_EINVALID);
	assert_string_equal(diag.message,
			    "cannot report item '26': plan.json has no measure 9 of section 1 of "
			    "pillar 2");
}

static void json_is_the_model(void **state)
{
	fixture *f = *state;
	json_t *doc;

	render(f, KK_REPORT_JSON, NULL);
	doc = kk_test_parse(f->text);
	assert_int_equal(json_integer_value(at(doc, "/year")), 2021);
	assert_string_equal(json_string_value(at(doc, "/years/2/name")), "令和4年度");
	assert_int_equal(json_array_size(at(doc, "/columns")), KK_REPORT_COLUMNS);
	assert_string_equal(json_string_value(at(doc, "/columns/5/key")), "prev.planned");
	assert_int_equal(json_integer_value(at(doc, "/columns/5/year")), 2020);
	assert_true(json_is_null(at(doc, "/changes_since")));
	assert_int_equal(json_integer_value(at(doc, "/summary/on_track")), 20);
	assert_int_equal(json_integer_value(at(doc, "/summary/pillars/1/behind")), 2);
	assert_int_equal(json_array_size(at(doc, "/pillars/1/sections/0/measures/0/items")), 3);
	assert_int_equal(json_integer_value(at(doc, "/pillars/1/sections/0/measures/0/items/1/id")),
			 26);
	assert_string_equal(json_string_value(at(doc, "/pillars/1/sections/0/measures/0/items/1/"
						      "cells/prev.progress")),
			    "▲");
	assert_string_equal(json_string_value(at(doc, "/pillars/1/sections/0/measures/0/cells/"
						      "measure")),
			    "① テレワークの拡大");
	json_decref(doc);
}

/*
 * Items added one at a time, in any order, make the report kk_report_build() makes of them
 * in id order; a report given up half built leaks nothing (under ASan).
 */
static void builder_takes_items_in_any_order(void **state)
{
	fixture *f = *state;
	const kk_report_source src = {"0123456789abcdef0123456789abcdef01234567", 1617235200, NULL,
				      NULL};
	kk_report_builder *bd = NULL;
	kk_report *r = NULL;
	kk_diag diag = {0};
	char *want, *text = NULL;
	json_t *settings = json_deep_copy(f->plan->settings);
	size_t len, n = json_array_size(f->plan->items);

	/* 【R3追加】 is made from the settings' eras, after the caller has let them go. */
	json_object_set_new(json_array_get(f->plan->items, 3), "added_in", json_string("2021"));
	assert_int_equal(kk_report_build(&f->report, f->plan, 2021, &src, &diag), 0);
	assert_int_equal(
		kk_report_render(&f->text, &f->len, f->report, KK_REPORT_JSON, NULL, &diag), 0);
	want = f->text;
	f->text = NULL;

	/* Backwards, every other one first; settings given up by the caller before the end. */
	assert_int_equal(kk_report_begin(&bd, settings, f->plan->structure, 2021, &src, &diag), 0);
	json_decref(settings);
	for (size_t i = n; i-- > 0;)
		if (i % 2)
			assert_int_equal(
				kk_report_add(bd, json_array_get(f->plan->items, i), &diag), 0);
	for (size_t i = n; i-- > 0;)
		if (!(i % 2))
			assert_int_equal(
				kk_report_add(bd, json_array_get(f->plan->items, i), &diag), 0);
	assert_int_equal(kk_report_end(&r, bd, &diag), 0);
	assert_int_equal(kk_report_render(&text, &len, r, KK_REPORT_JSON, NULL, &diag), 0);
	assert_string_equal(text, want);
	assert_non_null(strstr(text, "【R3追加】"));
	assert_int_equal(r->nrows, 35);
	free(text);
	free(want);
	kk_report_free(r);

	/* Begin fails as build does; an item with no measure fails its add. */
	assert_int_equal(
		kk_report_begin(&bd, f->plan->settings, f->plan->structure, 2030, NULL, &diag),
		KK_ENOTFOUND);
	assert_int_equal(
		kk_report_begin(&bd, f->plan->settings, f->plan->structure, 2021, NULL, &diag), 0);
	assert_int_equal(kk_report_add(bd, json_array_get(f->plan->items, 0), &diag), 0);
	set_missing_measure(json_array_get(f->plan->items, 1));
	assert_int_equal(kk_report_add(bd, json_array_get(f->plan->items, 1), &diag), KK_EINVALID);
	assert_non_null(strstr(diag.message, "plan.json has no measure 9"));
	kk_report_builder_free(bd);
	kk_report_builder_free(NULL);
}

static void set_hard_text(json_t *item)
{
	json_object_set_new(json_object_get(json_object_get(item, "years"), "2021"), "result",
			    json_string("\"quoted\" \\ a/b \x01\x1f\x7f\t\r\n\b\f €𝄞 終"));
}

/*
 * The report's JSON text is written without building the document, and is byte for byte
 * what jansson writes of kk_report_json(): escapes, nulls, empty containers, changes and
 * removed items included.
 */
static void json_text_is_janssons(void **state)
{
	fixture *f = *state;
	json_t *changes = kk_test_parse(
		"{\"from\": \"0123456789abcdef0123456789abcdef01234567\", \"files\": [], "
		"\"items\": [{\"change\": \"removed\", \"id\": 99, \"title\": \"消えた\\\"項目\\\"\"}, "
		"{\"change\": \"added\", \"id\": 26}, "
		"{\"change\": \"changed\", \"id\": 5, \"changes\": [{\"path\": \"title\"}]}]}");
	kk_report_source src = {NULL, 0, changes, "fy2020"};
	json_t *pillars;
	kk_diag diag = {0};
	char *want = NULL, *text = NULL;
	size_t len;

	edit_item(f, 27, set_hard_text);
	kk_plan_free(f->plan);
	assert_int_equal(kk_plan_load(&f->plan, &f->files, NULL), 0);
	pillars = json_object_get(f->plan->structure, "pillars");
	/* A pillar without sections, a section without measures; no organisation. */
	json_array_append_new(
		pillars, json_pack("{s:i, s:s, s:[]}", "number", 9, "title", "空", "sections"));
	json_array_append_new(
		json_object_get(json_array_get(pillars, 0), "sections"),
		json_pack("{s:i, s:s, s:[]}", "number", 9, "title", "空", "measures"));
	json_object_del(f->plan->settings, "organisation");
	for (int with_changes = 0; with_changes < 2; with_changes++) {
		json_t *doc;

		assert_int_equal(kk_report_build(&f->report, f->plan, 2021,
						 with_changes ? &src : NULL, &diag),
				 0);
		assert_non_null(doc = kk_report_json(f->report));
		assert_non_null(want = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER));
		json_decref(doc);
		assert_int_equal(
			kk_report_render(&text, &len, f->report, KK_REPORT_JSON, NULL, &diag), 0);
		assert_int_equal(len, strlen(want) + 1);
		assert_memory_equal(text, want, strlen(want));
		assert_int_equal(text[len - 1], '\n');
		assert_non_null(strstr(
			text, "\\\"quoted\\\" \\\\ a/b \\u0001\\u001F\x7f\\t\\r\\n\\b\\f €𝄞 終"));
		assert_non_null(strstr(text, "\"organisation\": null,"));
		assert_non_null(strstr(text, "\"measures\": []"));
		assert_non_null(strstr(text, "\"sections\": []"));
		assert_non_null(strstr(text, with_changes
						     ? "\"removed\": [\n    {\n      \"id\": 99,"
						     : "\"removed\": []\n}"));
		free(want);
		free(text);
		kk_report_free(f->report);
		f->report = NULL;
	}
	json_decref(changes);
}

/* A year's name is whole however long its era's name (20 characters, the schema's most). */
static void long_era_names_are_whole(void **state)
{
	fixture *f = *state;
	kk_diag diag = {0};

	json_object_set_new(json_array_get(json_object_get(f->plan->settings, "eras"), 0), "name",
			    json_string("長い元号の名前はここまで二十文字ですよね"));
	assert_int_equal(kk_report_build(&f->report, f->plan, 2021, NULL, &diag), 0);
	assert_string_equal(f->report->year_names[1],
			    "長い元号の名前はここまで二十文字ですよね3年度");
	assert_int_equal(
		kk_report_render(&f->text, &f->len, f->report, KK_REPORT_JSON, NULL, &diag), 0);
	json_decref(kk_test_parse(f->text));
}

/* An item file is checked as kk_plan_load() checks it, and named when it fails. */
static void builder_checks_item_files(void **state)
{
	fixture *f = *state;
	const kk_file *item = kk_fileset_get(&f->files, "items/0026.json");
	kk_report_builder *bd = NULL;
	kk_diag diag = {0};
	char *moved;

	assert_int_equal(
		kk_report_begin(&bd, f->plan->settings, f->plan->structure, 2021, NULL, &diag), 0);
	assert_int_equal(kk_report_add_file(bd, "plan.json", "[", 1, &diag), 0); /* no item's */
	assert_int_equal(kk_report_add_file(bd, "items/0027.json", item->data, item->len, &diag),
			 KK_EINVALID);
	assert_string_equal(diag.message, "id does not match the file name 'items/0027.json'");
	assert_string_equal(diag.path, "items/0027.json");
	assert_string_equal(diag.pointer, "/id");
	assert_int_equal(kk_report_add_file(bd, "items/0027.json", "[27]", 4, &diag), KK_EINVALID);
	assert_string_equal(diag.message, "'items/0027.json' does not hold a JSON object");
	assert_int_equal(kk_report_add_file(bd, "items/0027.json", "{\"id\": 27,", 11, &diag),
			 KK_EINVALID);
	assert_string_equal(diag.path, "items/0027.json");
	assert_int_equal(kk_report_add_file(bd, "items/0026.json", item->data, item->len, &diag),
			 0);
	kk_report_builder_free(bd);

	assert_int_equal(
		kk_report_begin(&bd, f->plan->settings, f->plan->structure, 2021, NULL, &diag), 0);
	assert_non_null(moved = strdup(item->data));
	memcpy(strstr(moved, "\"measure\": ") + strlen("\"measure\": "), "9", 1);
	assert_int_equal(kk_report_add_file(bd, "items/0026.json", moved, strlen(moved), &diag),
			 KK_EINVALID);
	assert_string_equal(diag.path, "items/0026.json");
	assert_non_null(strstr(diag.message, "plan.json has no measure 9"));
	free(moved);
	kk_report_builder_free(bd);
}

/* html_head goes before </head>, html_body right after <body>; other formats ignore them. */
static void html_takes_head_and_body_additions(void **state)
{
	fixture *f = *state;
	const kk_report_text_opts opts = {.html_head = "<style>nav{}</style>\n",
					  .html_body = "<nav>N</nav>\n"};
	const char *text = render(f, KK_REPORT_HTML, &opts);
	char *md;

	assert_non_null(strstr(text,
			       "</style>\n<style>nav{}</style>\n</head>\n<body>\n<nav>N</nav>\n"
			       "<header>\n"));
	assert_int_equal(occurrences(text, "<nav>"), 1);
	assert_null(strstr(render(f, KK_REPORT_HTML, NULL), "<nav>"));
	/* The additions are HTML's: the other formats are written as without them. */
	assert_non_null(md = strdup(render(f, KK_REPORT_MD, NULL)));
	assert_string_equal(render(f, KK_REPORT_MD, &opts), md);
	free(md);
}

static void xlsx_is_a_workbook(void **state)
{
	fixture *f = *state;
	char *dir = kk_test_mkdtemp(), *path = NULL, *data;
	kk_diag diag = {0};
	size_t len;

	render(f, KK_REPORT_TSV, NULL);
	assert_true(asprintf(&path, "%s/r.xlsx", dir) > 0);
	assert_int_equal(kk_report_write_xlsx(f->report, path, dir, &diag), 0);
	assert_non_null(data = kk_test_slurp(path, &len));
	assert_true(len > 4000);
	assert_memory_equal(data, "PK\x03\x04", 4);
	free(data);
	assert_int_equal(kk_test_system("cd '%s' && unzip -p r.xlsx xl/sharedStrings.xml >s.xml && "
					"unzip -p r.xlsx xl/worksheets/sheet1.xml >w.xml",
					dir),
			 0);
	free(path);
	assert_true(asprintf(&path, "%s/s.xml", dir) > 0);
	assert_non_null(data = kk_test_slurp(path, NULL));
	assert_contains(data, "<t>効果検証を行った上、同時利用可能人数の拡大</t>");
	assert_contains(data, "<t>令和3年度</t>");
	assert_contains(data, "<t>計画の柱 2. 効率化を追求した行政運営</t>");
	free(data);
	free(path);
	assert_true(asprintf(&path, "%s/w.xml", dir) > 0);
	assert_non_null(data = kk_test_slurp(path, NULL));
	assert_contains(data, "<mergeCell ref=\"F3:I3\"/>"); /* 令和2年度 over its four columns */
	assert_contains(data, "<mergeCell ref=\"J3:M3\"/>");
	assert_contains(data, "<mergeCell ref=\"A3:A4\"/>"); /* 施策 over both header rows */
	assert_contains(data, "<pane ySplit=\"4\" topLeftCell=\"A5\"");
	free(data);
	free(path);
	kk_test_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(tsv_matches_the_sample, setup, teardown),
		cmocka_unit_test_setup_teardown(tsv_is_the_fixture, setup, teardown),
		cmocka_unit_test_setup_teardown(tsv_quotes_as_excel, setup, teardown),
		cmocka_unit_test_setup_teardown(csv_is_rfc4180_with_a_bom, setup, teardown),
		cmocka_unit_test_setup_teardown(csv_in_cp932, setup, teardown),
		cmocka_unit_test_setup_teardown(cp932_names_what_it_cannot_encode, setup, teardown),
		cmocka_unit_test_setup_teardown(md_has_headings_summary_and_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(html_chart_counts_marks_per_pillar, setup,
						teardown),
		cmocka_unit_test_setup_teardown(html_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(changes_since_marks_exactly_the_changed_cells,
						kk_test_sandbox_setup_example,
						kk_test_sandbox_teardown),
		cmocka_unit_test_setup_teardown(added_items_are_marked, setup, teardown),
		cmocka_unit_test_setup_teardown(year_must_be_the_plans, setup, teardown),
		cmocka_unit_test_setup_teardown(items_need_their_measure, setup, teardown),
		cmocka_unit_test_setup_teardown(json_is_the_model, setup, teardown),
		cmocka_unit_test_setup_teardown(builder_takes_items_in_any_order, setup, teardown),
		cmocka_unit_test_setup_teardown(html_takes_head_and_body_additions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(json_text_is_janssons, setup, teardown),
		cmocka_unit_test_setup_teardown(builder_checks_item_files, setup, teardown),
		cmocka_unit_test_setup_teardown(long_era_names_are_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(xlsx_is_a_workbook, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
