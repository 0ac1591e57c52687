/*
 * Tests for core/import/import: a progress report exported from a spreadsheet
 * becomes a plan.
 *
 * The sample report's items are compared, field by field, with the files a
 * person wrote from the source (tests/fixtures/import/expected/, a copy of
 * examples/dx-plan-r3 taken before the importer existed), never with the
 * importer's own output.  The messy variants have their own hand-written
 * expectations; broken files have exact messages.
 */
#include "testutil.h"

#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "fileset.h"
#include "import.h"
#include "import_cell.h"
#include "import_sheet.h"
#include "json.h"
#include "plan.h"
#include "verify.h"

#define FIXTURES KK_SOURCE_DIR "/tests/fixtures/import"
#define SAMPLE	 KK_SOURCE_DIR "/examples/dx-plan-r3/progress-report-R3-part1.tsv"

/* The example's settings, which a person took from the city's report by hand. */
static const kk_import_options sample_options = {
	.title = "空閑市DX推進計画",
	.organisation = "空閑市",
	.admin = "デジタル戦略課",
};

static char *text_of(const json_t *v)
{
	return v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : strdup("(absent)");
}

/* Prints each field where `got` differs from `expected`, under `path`; returns how many. */
static size_t diff_fields(const char *what, const char *path, const json_t *expected,
			  const json_t *got)
{
	size_t n = 0;

	if (json_is_object(expected) && json_is_object(got)) {
		const char *key;
		json_t *v;
		char sub[256];

		json_object_foreach((json_t *)expected, key, v) {
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
			n += diff_fields(what, sub, v, json_object_get(got, key));
		}
		json_object_foreach((json_t *)got, key, v) {
			if (json_object_get(expected, key))
				continue;
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
			n += diff_fields(what, sub, NULL, v);
		}
		return n;
	}
	if (expected && got && kk_json_equal(expected, got))
		return 0;
	{
		char *e = text_of(expected), *g = text_of(got);

		print_message("%s: %s: expected %s\n%*s got      %s\n", what, path, e,
			      (int)(strlen(what) + strlen(path) + 2), "", g);
		free(e);
		free(g);
	}
	return 1;
}

/* Compares every item with the hand-written one; returns how many are equal. */
static size_t compare_items(const json_t *expected_items, const json_t *items)
{
	size_t equal = 0, i;
	json_t *want;

	json_array_foreach(expected_items, i, want) {
		json_int_t id = json_integer_value(json_object_get(want, "id"));
		const json_t *got = NULL;
		char what[32];
		size_t j;
		json_t *v;

		json_array_foreach(items, j, v)
			if (json_integer_value(json_object_get(v, "id")) == id)
				got = v;
		snprintf(what, sizeof(what), "item %lld", (long long)id);
		if (!got)
			print_message("%s: not imported\n", what);
		else if (diff_fields(what, "", want, got) == 0)
			equal++;
	}
	return equal;
}

/* The person-written items of the example. */
static json_t *expected_sample_items(void)
{
	json_t *items = json_array();

	for (int id = 1; id <= 35; id++) {
		char path[256];

		snprintf(path, sizeof(path), FIXTURES "/expected/items/%04d.json", id);
		json_array_append_new(items, kk_test_load_json(path));
	}
	return items;
}

static kk_import *import_file(const char *path, const kk_import_options *opts)
{
	kk_import_options o = *opts;
	kk_diaglist rows = {0};
	kk_diag diag = {0};
	kk_import *imp = NULL;

	if (!o.name)
		o.name = path;
	if (kk_import_read_file(&imp, path, &o, &rows, &diag) < 0) {
		for (size_t i = 0; i < rows.count; i++)
			print_message("row %zu: %s\n", rows.items[i].line, rows.items[i].message);
		fail_msg("cannot import '%s': %s", path, diag.message);
	}
	assert_int_equal(rows.count, 0);
	kk_diaglist_clear(&rows);
	return imp;
}

static kk_import *import_bytes(const char *data, size_t len, const char *name,
			       const kk_import_options *opts)
{
	kk_import_options o = *opts;
	kk_diaglist rows = {0};
	kk_diag diag = {0};
	kk_import *imp = NULL;

	o.name = name;
	if (kk_import_read(&imp, data, len, &o, &rows, &diag) < 0)
		fail_msg("cannot import '%s': %s", name, diag.message);
	assert_int_equal(rows.count, 0);
	kk_diaglist_clear(&rows);
	return imp;
}

/*
 * Checks an import of the sample report against the person-written example:
 * all 35 items field by field, then the plan files, then the exact bytes of
 * every file, which must also pass verify.
 */
static void check_sample(kk_import *imp, const char *label)
{
	json_t *expected = expected_sample_items();
	kk_fileset files = {0};
	kk_diaglist problems = {0};
	kk_verifier *v = NULL;
	kk_diag diag = {0};
	size_t equal;
	const char *plan_files[] = {"keikaku.json", "departments.json", "plan.json"};
	json_t *docs[3] = {imp->settings, imp->departments, imp->structure};

	assert_int_equal(imp->year, 2021);
	assert_int_equal(imp->skipped, 0);
	assert_int_equal(json_array_size(imp->items), 35);
	equal = compare_items(expected, imp->items);
	print_message("%s: %zu of 35 items equal field by field\n", label, equal);
	assert_int_equal(equal, 35);
	for (int i = 0; i < 3; i++) {
		char path[256];
		json_t *want;

		snprintf(path, sizeof(path), FIXTURES "/expected/%s", plan_files[i]);
		want = kk_test_load_json(path);
		assert_int_equal(diff_fields(plan_files[i], "", want, docs[i]), 0);
		json_decref(want);
	}

	kk_test_load_schemas(&files);
	assert_int_equal(kk_import_files(&files, imp, &diag), 0);
	assert_int_equal(files.count, 4 + 3 + 35);
	for (size_t i = 0; i < files.count; i++) {
		char path[512];
		size_t len;
		char *want;

		if (strncmp(files.files[i].path, "schema/", 7) == 0)
			continue;
		snprintf(path, sizeof(path), FIXTURES "/expected/%s", files.files[i].path);
		want = kk_test_slurp(path, &len);
		assert_non_null(want);
		if (len != files.files[i].len || memcmp(want, files.files[i].data, len) != 0)
			fail_msg("%s: %s is not byte for byte the expected file", label,
				 files.files[i].path);
		free(want);
	}
	assert_int_equal(kk_verifier_new(&v), 0);
	assert_int_equal(kk_verifier_check(v, &files, 0, &problems, &diag), 0);
	for (size_t i = 0; i < problems.count; i++)
		print_message("%s: %s: %s\n", problems.items[i].path, problems.items[i].pointer,
			      problems.items[i].message);
	assert_int_equal(problems.count, 0);
	kk_verifier_free(v);
	kk_diaglist_clear(&problems);
	kk_fileset_clear(&files);
	json_decref(expected);
}

static void test_sample(void **state)
{
	kk_import *imp = import_file(SAMPLE, &sample_options);

	(void)state;
	assert_string_equal(imp->encoding, "UTF-8");
	assert_int_equal(imp->delimiter, '\t');
	check_sample(imp, "TSV");
	kk_import_free(imp);
}

/* The same report saved as CSV: a byte-order mark, CRLF, quoted and unquoted cells. */
static void test_sample_csv(void **state)
{
	kk_import *imp = import_file(FIXTURES "/progress-report-R3-part1.csv", &sample_options);

	(void)state;
	assert_int_equal(imp->delimiter, ',');
	check_sample(imp, "CSV");
	kk_import_free(imp);
}

static char *convert(size_t *len_out, const char *data, size_t len, const char *to)
{
	iconv_t cd = iconv_open(to, "UTF-8");
	size_t cap = len * 2 + 16, left = len, room = cap;
	char *buf = malloc(cap), *in = (char *)data, *o = buf;

	assert_true(cd != (iconv_t)-1);
	assert_non_null(buf);
	assert_true(iconv(cd, &in, &left, &o, &room) != (size_t)-1);
	iconv_close(cd);
	*len_out = (size_t)(o - buf);
	return buf;
}

/*
 * The same report with rows shifted: item 6 (line 19) and item 13 (line 38)
 * one cell left, item 7 (line 20) two cells right, item 29 (line 73) with
 * two empty cells after its 達成度.
 */
static void test_sample_shifted(void **state)
{
	kk_import *imp = import_file(FIXTURES "/progress-report-R3-shifted.tsv", &sample_options);

	(void)state;
	check_sample(imp, "shifted");
	kk_import_free(imp);
}

/* Excel's "Unicode text" (UTF-16 with a byte-order mark) and Windows' Shift_JIS. */
static void test_sample_encodings(void **state)
{
	size_t len, n;
	char *utf8 = kk_test_slurp(SAMPLE, &len), *utf16, *sjis;
	kk_import *imp;
	json_t *expected;

	(void)state;
	utf16 = convert(&n, utf8, len, "UTF-16"); /* glibc writes a byte-order mark */
	imp = import_bytes(utf16, n, "report.txt", &sample_options);
	assert_string_equal(imp->encoding, "UTF-16LE");
	check_sample(imp, "UTF-16");
	kk_import_free(imp);
	free(utf16);

	sjis = convert(&n, utf8, len, "CP932");
	imp = import_bytes(sjis, n, "report.txt", &sample_options);
	assert_string_equal(imp->encoding, "CP932");
	/*
	 * CP932 has no "〜" (U+301C) of its own: Windows reads its wave dash back
	 * as "～" (U+FF5E).  Every item is as written; only measure ⑤'s
	 * description (pillar 2, section 1) has one.
	 */
	expected = expected_sample_items();
	assert_int_equal(compare_items(expected, imp->items), 35);
	assert_non_null(strstr(json_string_value(json_object_get(
				       kk_plan_measure(imp->structure, 2, 1, 5), "description")),
			       "かさめ～"));
	json_decref(expected);
	kk_import_free(imp);
	free(sjis);
	free(utf8);
}

/*
 * Imports `dir`/report.tsv and compares it with `dir`/expected.json, field
 * by field; returns the import (kk_import_free()).
 */
static kk_import *import_expected(const char *dir, const kk_import_options *opts)
{
	char path[512];
	json_t *expected;
	kk_import *imp;
	size_t equal, n;

	snprintf(path, sizeof(path), "%s/expected.json", dir);
	expected = kk_test_load_json(path);
	snprintf(path, sizeof(path), "%s/report.tsv", dir);
	imp = import_file(path, opts);
	n = json_array_size(json_object_get(expected, "items"));
	assert_int_equal(json_array_size(imp->items), n);
	equal = compare_items(json_object_get(expected, "items"), imp->items);
	print_message("%s: %zu of %zu items equal field by field\n", strrchr(dir, '/') + 1, equal,
		      n);
	assert_int_equal(equal, n);
	if (json_object_get(expected, "keikaku.json"))
		assert_int_equal(diff_fields("keikaku.json", "",
					     json_object_get(expected, "keikaku.json"),
					     imp->settings),
				 0);
	assert_int_equal(diff_fields("departments.json", "",
				     json_object_get(expected, "departments.json"),
				     imp->departments),
			 0);
	assert_int_equal(diff_fields("plan.json", "", json_object_get(expected, "plan.json"),
				     imp->structure),
			 0);
	json_decref(expected);
	return imp;
}

/*
 * A report with the mess of real exports, and the plan a person reads in
 * it: a header missing its 施策の内容 column, a row shifted right, rows
 * short at the end, 施策 number and title in one cell or two, "導入完了
 * text" in one cell, <p> and <br>, 【R3追加】, "—" for none, a quoted cell
 * with a line break, full-width digits in headings, a title line and a
 * note outside the tables.
 */
static void test_messy(void **state)
{
	kk_import_options opts = {0};
	kk_import *imp = import_expected(FIXTURES "/messy", &opts);

	(void)state;
	kk_import_free(imp);

	/* The admin department is marked, and added when no item names it. */
	opts.admin = "デジタル戦略課";
	imp = import_file(FIXTURES "/messy/report.tsv", &opts);
	assert_true(json_is_true(
		json_object_get(kk_plan_department(imp->departments, "デジタル戦略課"), "admin")));
	assert_int_equal(json_object_size(kk_plan_department(imp->departments, "各課")), 1);
	kk_import_free(imp);
	opts.admin = "情報政策課";
	imp = import_file(FIXTURES "/messy/report.tsv", &opts);
	assert_int_equal(json_array_size(json_object_get(imp->departments, "departments")), 11);
	assert_true(json_is_true(json_object_get(
		json_array_get(json_object_get(imp->departments, "departments"), 10), "admin")));
	kk_import_free(imp);
}

/*
 * The shapes a person reads without trouble and a reader by column position
 * does not (tests/fixtures/import/shapes/README.md): each row as a person
 * reads it, and --explain says why.
 */
static void test_shapes(void **state)
{
	kk_import_options opts = {.explain = json_array()};
	kk_import *imp = import_expected(FIXTURES "/shapes", &opts);
	const json_t *row, *cell;
	size_t i, j, seen = 0;

	(void)state;
	json_array_foreach(opts.explain, i, row) {
		json_int_t line = json_integer_value(json_object_get(row, "row"));

		assert_null(json_object_get(row, "problem"));
		if (line != 15 && line != 16 && line != 24)
			continue;
		/* The added item in the first column, its owner, an inherited 担当課. */
		json_array_foreach(json_object_get(row, "cells"), j, cell) {
			const char *field = json_string_value(json_object_get(cell, "field"));
			const char *why = json_string_value(json_object_get(cell, "why"));
			json_int_t column = json_integer_value(json_object_get(cell, "column"));

			if (line == 15 && strcmp(field, "title") == 0) {
				assert_int_equal(column, 1);
				assert_non_null(strstr(why, "【…追加】"));
				seen++;
			} else if (line == 16 && strcmp(field, "owners") == 0) {
				assert_int_equal(column, 4);
				assert_non_null(strstr(why, "row above"));
				seen++;
			} else if (line == 24 && strcmp(field, "measure.description") == 0) {
				assert_int_equal(column, 3);
				assert_string_equal(json_string_value(json_object_get(cell, "text")),
						    "○職員が自ら業務を見直せるよう、研修を行う。");
				seen++;
			}
		}
	}
	assert_int_equal(seen, 3);
	json_decref(opts.explain);
	kk_import_free(imp);
}

/* The shapes together in one table, and the cases between them (combined/README). */
static void test_combined(void **state)
{
	kk_import_options opts = {0};

	(void)state;
	kk_import_free(import_expected(FIXTURES "/combined", &opts));
}

/*
 * A header once at the top, as a workbook prints it on every page: the
 * tables under later headings are read with it.
 */
static void test_header_once(void **state)
{
	static const char report[] =
		"計画の柱 1. 柱\n(1) 節\n"
		"施策\t項目\t担当課\t関係課\t令和2年度\t\t\t\t令和3年度\t\t\t\t通番\t達成度\n"
		"\t\t\t\t計画スケジュール\t進捗度\t達成度\t取組内容または結果\t"
		"計画スケジュール\t変更スケジュール\t進捗度\t取組内容または結果\t\t\n"
		"①\t施策\t項目\t課\t\t検討\t○\t—\t結果\t導入\t導入\t○\t結果\t1\t—\n"
		"(2) 次の節\n"
		"①\t別の施策\t別の項目\t課\t\t検討\t▲\t—\t結果\t導入\t導入\t○\t結果\t2\t—\n"
		"計画の柱 2. 次の柱\n(1) 節\n"
		"①\t三つ目\t三つ目の項目\t課\t\t検討\t○\t—\t結果\t\t導入\t◎\t結果\t3\t—\n";
	kk_import_options opts = {.name = "r.tsv"};
	kk_import *imp = import_bytes(report, strlen(report), "r.tsv", &opts);
	const json_t *two = json_array_get(imp->items, 1), *three = json_array_get(imp->items, 2);

	(void)state;
	assert_int_equal(json_array_size(imp->items), 3);
	assert_int_equal(json_integer_value(json_object_get(two, "section")), 2);
	assert_string_equal(json_string_value(json_object_get(two, "title")), "別の項目");
	kk_assert_json(json_object_get(json_object_get(json_object_get(two, "years"), "2020"),
				       "progress"),
		       "\"behind\"");
	assert_int_equal(json_integer_value(json_object_get(three, "pillar")), 2);
	kk_assert_json(json_object_get(three, "years"),
		       "{\"2020\": {\"planned\": \"検討\", \"progress\": \"on_track\", "
		       "\"achievement\": \"open\", \"result\": \"結果\"}, \"2021\": {\"revised\": "
		       "\"導入\", \"progress\": \"ahead\", \"result\": \"結果\"}}");
	kk_import_free(imp);
}

/* The rows' messages as "row N: reason" lines. */
static char *row_messages(kk_diaglist *rows)
{
	size_t cap = 1;
	char *out;

	for (size_t i = 0; i < rows->count; i++)
		cap += strlen(rows->items[i].message) + 32;
	out = calloc(1, cap);
	for (size_t i = 0; i < rows->count; i++)
		snprintf(out + strlen(out), cap - strlen(out), "row %zu: %s\n", rows->items[i].line,
			 rows->items[i].message);
	return out;
}

/* A broken report: every bad row is named with its reason, and nothing is imported. */
static void test_broken(void **state)
{
	kk_import_options opts = {0}, force = {.force = 1};
	kk_import *imp = NULL;
	kk_diaglist rows = {0};
	kk_diag diag = {0};
	char *want = kk_test_slurp(FIXTURES "/broken.expected", NULL), *got;

	(void)state;
	assert_int_equal(kk_import_read_file(&imp, FIXTURES "/broken.tsv", &opts, &rows, &diag),
			 KK_EINVALID);
	assert_null(imp);
	assert_string_equal(diag.message,
			    "'" FIXTURES "/broken.tsv' has 5 rows that cannot be imported");
	got = row_messages(&rows);
	assert_string_equal(got, want);
	for (size_t i = 0; i < rows.count; i++)
		assert_string_equal(rows.items[i].path, FIXTURES "/broken.tsv");
	free(got);
	kk_diaglist_clear(&rows);

	/* --force skips them and says how many. */
	assert_int_equal(kk_import_read_file(&imp, FIXTURES "/broken.tsv", &force, &rows, &diag),
			 0);
	got = row_messages(&rows);
	assert_string_equal(got, want);
	assert_int_equal(imp->skipped, 5);
	assert_int_equal(json_array_size(imp->items), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(imp->items, 0), "id")),
			 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(imp->items, 1), "id")),
			 7);
	/* Only what the imported items use: measures ① and ⑥. */
	assert_non_null(kk_plan_measure(imp->structure, 1, 1, 1));
	assert_non_null(kk_plan_measure(imp->structure, 1, 1, 6));
	assert_null(kk_plan_measure(imp->structure, 1, 1, 2));
	free(got);
	free(want);
	kk_diaglist_clear(&rows);
	kk_import_free(imp);
}

/* Reads `text` as a corrections file and imports the broken report with it. */
static int import_corrected(kk_import **imp, const char *text, kk_diaglist *rows,
			    kk_import_options *opts)
{
	json_t *doc = kk_test_parse(text);
	kk_diag diag = {0};
	int error;

	opts->corrections = doc;
	opts->corrections_name = "fix.json";
	error = kk_import_read_file(imp, FIXTURES "/broken.tsv", opts, rows, &diag);
	json_decref(doc);
	return error;
}

/*
 * A corrections file: cells set before a row is read, fields set after,
 * an item given whole for a row no reading places, rows skipped; each
 * recorded and explained, and every mistake in the file named.
 */
static void test_corrections(void **state)
{
	char *text = kk_test_slurp(FIXTURES "/broken.corrections.json", NULL), *got;
	kk_import_options opts = {.explain = json_array()};
	kk_diaglist rows = {0};
	kk_import *imp = NULL;
	const json_t *e;
	size_t i, explained = 0;

	(void)state;
	assert_int_equal(import_corrected(&imp, text, &rows, &opts), 0);
	assert_int_equal(rows.count, 0);
	assert_int_equal(json_array_size(imp->items), 7);
	kk_assert_json(json_array_get(imp->items, 1),
		       "{\"id\": 2, \"pillar\": 1, \"section\": 1, \"measure\": 2, \"title\": "
		       "\"手数料のオンライン納付の導入\", \"owners\": [\"デジタル戦略課\"], \"related\": [], "
		       "\"status\": \"completed\", \"years\": {\"2020\": {\"planned\": \"検討、導入\", "
		       "\"progress\": \"behind\", \"achievement\": \"open\", \"result\": \"構築した。\"}, "
		       "\"2021\": {\"planned\": \"導入\", \"revised\": \"導入\", \"progress\": "
		       "\"on_track\", \"result\": \"導入した。\"}}}");
	kk_assert_json(json_object_get(json_array_get(imp->items, 4), "owners"),
		       "[\"税務課\", \"市民課\"]");
	kk_assert_json(json_object_get(json_object_get(json_object_get(json_array_get(imp->items,
										      6),
								       "years"),
						       "2021"),
				       "progress"),
		       "\"ahead\"");
	kk_assert_json_exact(
		imp->corrected,
		"[{\"row\": 8, \"cells\": {\"O\": \"2\"}, \"reason\": \"通番が報告書から抜けていた\"}, "
		"{\"row\": 9, \"cells\": {\"G\": \"▲\"}, \"reason\": \"△は▲の誤り\"}, "
		"{\"row\": 10, \"cells\": {\"O\": \"4\"}, \"reason\": \"通番の重複: 4 が正しい\"}, "
		"{\"row\": 11, \"cells\": {\"H\": \"—\"}, \"reason\": \"達成度の誤記と担当課の漏れ\"}, "
		"{\"row\": 11, \"reason\": \"達成度の誤記と担当課の漏れ\", \"id\": 5, "
		"\"fields\": [\"owners\"]}, "
		"{\"row\": 13, \"reason\": \"関係課なし\", \"id\": 7, "
		"\"fields\": [\"years.2021.progress\", \"related\"]}]");
	/* --explain shows the cell the file set, with what it was. */
	json_array_foreach(opts.explain, i, e) {
		const json_t *cell;
		size_t j;

		json_array_foreach(json_object_get(e, "cells"), j, cell)
			if (strstr(json_string_value(json_object_get(cell, "why")), "it was '△'")) {
				assert_int_equal(json_integer_value(json_object_get(e, "row")), 9);
				assert_int_equal(json_integer_value(json_object_get(cell, "column")),
						 7);
				explained++;
			}
	}
	assert_int_equal(explained, 1);
	kk_import_free(imp);
	json_decref(opts.explain);
	opts.explain = NULL;
	free(text);

	/* An item given whole, for a row that cannot be placed; the row below is under its 施策. */
	imp = NULL;
	assert_int_equal(
		import_corrected(
			&imp,
			"{\"corrections\": [{\"row\": 11, \"set\": {\"id\": 5, \"title\": \"対象証明書の拡大\", "
			"\"owners\": \"税務課\", \"status\": \"取り下げ\", \"measure\": \"①\"}, "
			"\"reason\": \"読めない行\"}, {\"row\": 8, \"skip\": true, \"reason\": \"後で\"}, "
			"{\"row\": 9, \"skip\": true, \"reason\": \"後で\"}, {\"row\": 10, \"skip\": true, "
			"\"reason\": \"後で\"}]}",
			&rows, &opts),
		0);
	assert_int_equal(rows.count, 0);
	assert_int_equal(json_array_size(imp->items), 4);
	kk_assert_json(json_array_get(imp->items, 1),
		       "{\"id\": 5, \"pillar\": 1, \"section\": 1, \"measure\": 1, \"title\": "
		       "\"対象証明書の拡大\", \"owners\": [\"税務課\"], \"related\": [], \"status\": "
		       "\"withdrawn\", \"years\": {}}");
	kk_assert_json(json_object_get(json_array_get(imp->items, 2), "measure"), "1");
	kk_import_free(imp);

	/* Every mistake of the file, at its place in it; nothing imported. */
	imp = NULL;
	assert_int_equal(
		import_corrected(&imp,
				 "{\"corrections\": [{\"row\": 9, \"set\": {\"progres\": \"○\"}, "
				 "\"reason\": \"r\"}, {\"id\": 3, \"skip\": true, \"reason\": \"r\"}, "
				 "{\"row\": 10, \"cells\": {\"1A\": \"4\"}, \"reason\": \"r\"}, "
				 "{\"row\": 11, \"set\": {\"owners\": []}, \"reason\": \"r\"}, "
				 "{\"row\": 11, \"set\": {\"titel\": \"x\"}}, "
				 "{\"row\": 7, \"set\": {\"years\": {\"R9X\": {}}}, \"reason\": \"r\"}]}",
				 &rows, &opts),
		KK_EINVALID);
	assert_null(imp);
	got = NULL;
	for (i = 0; i < rows.count; i++) {
		char *line = NULL;

		assert_int_equal(rows.items[i].line, 0);
		assert_string_equal(rows.items[i].path, "fix.json");
		assert_true(asprintf(&line, "%s%s: %s\n", got ? got : "", rows.items[i].pointer,
				     rows.items[i].message) > 0);
		free(got);
		got = line;
	}
	assert_string_equal(
		got, "/corrections/0/set/progres: unknown field 'progres' (did you mean 'progress', "
		     "a field of a fiscal year under 'years'?)\n"
		     "/corrections/1/skip: 'skip' is true, on an entry with a 'row' and no 'set' or "
		     "'cells'\n"
		     "/corrections/2/cells/1A: '1A' is not a column name (A, B, …, XFD)\n"
		     "/corrections/3/set/owners: an item needs at least one 担当課\n"
		     "/corrections/4: an entry needs a 'reason': it goes in the commit message\n"
		     "/corrections/5/set/years/R9X: 'R9X' is not a fiscal year\n");
	free(got);
	kk_diaglist_clear(&rows);

	/* An entry that matches nothing is an error too, with --force as without. */
	opts.force = 1;
	assert_int_equal(import_corrected(&imp,
					  "{\"corrections\": [{\"id\": 500, \"set\": {\"title\": \"x\"}, "
					  "\"reason\": \"r\"}]}",
					  &rows, &opts),
			 KK_EINVALID);
	assert_string_equal(rows.items[rows.count - 1].message,
			    "'" FIXTURES "/broken.tsv' has no item 500");
	kk_diaglist_clear(&rows);
}

/* Small reports, each with one problem, and the exact reason given for its row. */
static void test_row_reasons(void **state)
{
	static const char head[] =
		"計画の柱 1. 柱\n(1) 節\n"
		"施策\t項目\t担当課\t関係課\t令和2年度\t\t\t\t令和3年度\t\t\t\t通番\t達成度\n"
		"\t\t\t\t計画スケジュール\t進捗度\t達成度\t取組内容または結果\t"
		"計画スケジュール\t変更スケジュール\t進捗度\t取組内容または結果\t\t\n";
	static const struct {
		const char *rows, *messages;
	} cases[] = {
		{"①\t施策\t項目\t課\t\t検討\t○\t—\t結果\t導入\t導入\t○\t結果\t1\t—\n"
		 "\t\t項目\t課\t\t検討\t○\t—\t結果\t導入\t導入\t○\t結果\t2\t\n",
		 "row 6: no final 達成度 after 通番 2\n"},
		{"①\t施策\t項目\t課\t\t検討\t○\t—\t結果\t導入\t導入\t○\t結果\t0\t—\n",
		 "row 5: 通番 0 is out of range (1 to 99999)\n"},
		{"\t\t項目\t課\t\t検討\t○\t—\t結果\t導入\t導入\t○\t結果\t1\t—\n",
		 "row 5: no 施策 (measure) on this row or above it\n"},
		{"①\t施策\t\t課\t\t検討\t○\t—\t結果\t導入\t導入\t○\t結果\t1\t—\n",
		 "row 5: no 項目 (item title)\n"},
		{"①\t施策\t項目\t—\t\t検討\t○\t—\t結果\t導入\t導入\t○\t結果\t1\t—\n",
		 "row 5: no 担当課 (owner department)\n"},
		{"①\t施策\t項目\t課\t\t検討\t○\t—\t結果\t導入\t○\t○\t結果\t1\t—\n",
		 "row 5: more than two 進捗度 marks\n"},
		{"施策\t説明\t余り\t項目\t課\t\t検討\t○\t—\t結果\t導入\t導入\t○\t結果\t1\t—\n",
		 "row 5: cannot place '余り' (column 3)\n"},
		{"①\t施策\t項目\t課\t\t検討\t○\t—\t結果\t導入\t導入\t○\t結果\t1\t—\n"
		 "\t\t【R9追加】項目\t課\t\t\t\t\t\t導入\t導入\t○\t結果\t2\t—\n",
		 "row 6: '【R9追加】' is after the years of the report\n"},
		{"①\t施策\t【R3追加】項目\t課\t\t検討\t○\t—\t結果\t導入\t導入\t○\t結果\t1\t—\n",
		 "row 5: the item is added in 令和3年度 but has entries for 令和2年度\n"},
		{"①\t施策\t項目\t課\t\t検討\t○\t—\t結果\t導入\t導入\t○\t結果\t1\t完了\n",
		 "row 5: unknown 達成度 '完了' (expected 導入完了, 取り下げ or —)\n"},
		{"①\t施策\t項目\t課\t\t検討\t○\t—\t結果\t導入\t導入\t○\t結果\t1\t—\n"
		 "②\t施策\t別の項目\t課\t\t検討\t○\t—\t結果\t導入\t導入\t○\t結果\t2\t—\t余り\n",
		 "row 6: no 通番 (item number)\n"},
		{"①\t施策\t項目\t課\t\t検討\t○\t—\t結果\t導入\t導入\t○\t結果\t1\t—\n"
		 "①\t別の施策\t項目\t課\t\t検討\t○\t—\t結果\t導入\t導入\t○\t結果\t2\t—\n",
		 "row 6: 施策 ① is '別の施策' here but '施策' on row 5\n"},
	};
	kk_import_options opts = {.name = "r.tsv"};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *text = NULL, *got;
		kk_diaglist rows = {0};
		kk_diag diag = {0};
		kk_import *imp = NULL;

		assert_true(asprintf(&text, "%s%s", head, cases[i].rows) > 0);
		assert_int_equal(kk_import_read(&imp, text, strlen(text), &opts, &rows, &diag),
				 KK_EINVALID);
		assert_null(imp);
		got = row_messages(&rows);
		if (strcmp(got, cases[i].messages) != 0)
			fail_msg("case %zu:\n%sgave\n%s", i, cases[i].messages, got);
		free(got);
		free(text);
		kk_diaglist_clear(&rows);
	}
}

/* 【R3追加】 in any spelling: added_in, and the marker is gone from the title. */
static void test_added(void **state)
{
	static const char report[] =
		"計画の柱 1. 柱\n(1) 節\n"
		"施策\t施策の内容\t項目\t担当課\t関係課\t令和2年度\t\t\t\t令和3年度\t\t\t\t通番\t達成度\n"
		"\t\t\t\t\t計画スケジュール\t進捗度\t達成度\t取組内容または結果\t"
		"計画スケジュール\t変更スケジュール\t進捗度\t取組内容または結果\t\t\n"
		"①\t施策\t既存の項目\t課\t\t検討\t○\t—\t結果\t導入\t導入\t○\t結果\t1\t—\n"
		"\t\t【Ｒ３追加】 新しい項目\t課\t\t\t\t—\t\t導入\t導入\t◎\t結果\t2\t—\n"
		"\t\tもう一つ【令和3年度追加】\t課\t\t\t\t\t\t\t導入\t○\t結果\t3\t—\n";
	kk_import_options opts = {.name = "r.tsv"};
	kk_import *imp = import_bytes(report, strlen(report), "r.tsv", &opts);
	const json_t *two = json_array_get(imp->items, 1), *three = json_array_get(imp->items, 2);
	json_t *want;

	(void)state;
	assert_null(json_object_get(json_array_get(imp->items, 0), "added_in"));
	assert_string_equal(json_string_value(json_object_get(two, "title")), "新しい項目");
	assert_string_equal(json_string_value(json_object_get(two, "added_in")), "2021");
	assert_null(json_object_get(json_object_get(two, "years"), "2020"));
	assert_string_equal(json_string_value(json_object_get(three, "title")), "もう一つ");
	assert_string_equal(json_string_value(json_object_get(three, "added_in")), "2021");
	/* Two schedule cells, the first empty: only 変更スケジュール. */
	want = kk_test_parse("{\"2021\": {\"revised\": \"導入\", \"progress\": \"on_track\", "
			     "\"result\": \"結果\"}}");
	assert_int_equal(diff_fields("item 3", "years", want, json_object_get(three, "years")), 0);
	json_decref(want);
	kk_import_free(imp);
}

/* Files that are not a report at all. */
static void test_not_a_report(void **state)
{
	static const char no_table[] = "タイトル\n\n施策\t項目\n①\t何か\n";
	static const char outside[] =
		"計画の柱 1. 柱\n(1) 節\n①\t項目\t課\t\t検討\t○\t—\t結果\t1\t—\n";
	static const char binary[] = "\x82\xa0\x00\xff\xfe";
	static const char no_heading[] =
		"施策\t項目\t担当課\t関係課\t令和2年度\t\t\t\t令和3年度\t\t\t\t通番\t達成度\n"
		"\t\t\t\t計画スケジュール\t進捗度\t達成度\t取組内容または結果\t"
		"計画スケジュール\t変更スケジュール\t進捗度\t取組内容または結果\t\t\n"
		"①\t項目\t課\t\t検討\t○\t—\t結果\t導入\t導入\t○\t結果\t1\t—\n";
	kk_import_options opts = {.name = "x.tsv"};
	kk_diaglist rows = {0};
	kk_diag diag = {0};
	kk_import *imp = NULL;
	char *got;

	(void)state;
	assert_int_equal(kk_import_read(&imp, no_table, strlen(no_table), &opts, &rows, &diag),
			 KK_EINVALID);
	assert_string_equal(diag.message,
			    "'x.tsv' has no report table (a header row with 項目 and 令和N年度)");
	assert_int_equal(kk_import_read(&imp, binary, sizeof(binary) - 1, &opts, &rows, &diag),
			 KK_EINVALID);
	assert_string_equal(diag.message, "'x.tsv' is not a text file");
	assert_int_equal(kk_import_read(&imp, outside, strlen(outside), &opts, &rows, &diag),
			 KK_EINVALID);
	got = row_messages(&rows);
	assert_string_equal(got, "row 3: not in a table (no header row with 項目 and 令和N年度 "
				 "above it)\n");
	free(got);
	kk_diaglist_clear(&rows);
	assert_int_equal(kk_import_read(&imp, no_heading, strlen(no_heading), &opts, &rows, &diag),
			 KK_EINVALID);
	got = row_messages(&rows);
	assert_string_equal(got, "row 3: no 計画の柱 heading above the table (row 1)\n");
	free(got);
	kk_diaglist_clear(&rows);
	assert_int_equal(kk_import_read_file(&imp, FIXTURES "/nowhere.tsv", &opts, &rows, &diag),
			 KK_EIO);
	assert_string_equal(diag.message,
			    "cannot read '" FIXTURES "/nowhere.tsv': No such file or directory");
	assert_null(imp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample),	       cmocka_unit_test(test_sample_csv),
		cmocka_unit_test(test_sample_shifted), cmocka_unit_test(test_sample_encodings),
		cmocka_unit_test(test_messy),	       cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_combined),       cmocka_unit_test(test_header_once),
		cmocka_unit_test(test_broken),	       cmocka_unit_test(test_corrections),
		cmocka_unit_test(test_row_reasons),    cmocka_unit_test(test_added),
		cmocka_unit_test(test_not_a_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
