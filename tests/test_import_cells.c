/*
 * test_import_cells.c - the importer's first steps, one file and one cell at
 * a time: the sheet reader (quoting, line ends, encodings, limits) and what
 * a cell says (core/import/import_sheet.h, import_cell.h).  The reports as a
 * whole are tests/test_import.c's.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "import_cell.h"
#include "import_sheet.h"

/* The sheet reader: quoting as spreadsheets write it, line ends, line numbers. */
static void test_sheet(void **state)
{
	static const char csv[] = "a,\"b,1\",\"c \"\"q\"\"\"\r\n"
				  "\"multi\r\nline\",\"x\"y,\r\n"
				  "\r\n"
				  "last,\"\"";
	static const char tsv[] = "a\t\"b\tc\"\n\"x\"y\t\"open\n\rz";
	kk_sheet *s = NULL;
	kk_diag diag = {0};

	(void)state;
	assert_int_equal(kk_sheet_parse(&s, csv, sizeof(csv) - 1, "x.csv", &diag), 0);
	assert_int_equal(s->delimiter, ',');
	assert_int_equal(s->count, 4);
	assert_int_equal(s->rows[0].count, 3);
	assert_string_equal(s->rows[0].cells[1], "b,1");
	assert_string_equal(s->rows[0].cells[2], "c \"q\"");
	assert_int_equal(s->rows[1].line, 2);
	assert_string_equal(s->rows[1].cells[0], "multi\nline");
	assert_string_equal(s->rows[1].cells[1], "\"x\"y"); /* not properly quoted: as written */
	assert_string_equal(s->rows[1].cells[2], "");
	assert_int_equal(s->rows[2].line, 4);
	assert_int_equal(s->rows[2].count, 0);
	assert_int_equal(s->rows[3].line, 5);
	assert_string_equal(s->rows[3].cells[1], "");
	kk_sheet_free(s);

	/* By content: tabs outside quotes; CR alone ends a line too. */
	assert_int_equal(kk_sheet_parse(&s, tsv, sizeof(tsv) - 1, NULL, &diag), 0);
	assert_int_equal(s->delimiter, '\t');
	assert_int_equal(s->count, 4);
	assert_string_equal(s->rows[0].cells[1], "b\tc");
	assert_string_equal(s->rows[1].cells[0], "\"x\"y");
	assert_string_equal(s->rows[1].cells[1], "\"open");
	assert_int_equal(s->rows[2].count, 0);
	assert_string_equal(s->rows[3].cells[0], "z");
	assert_int_equal(s->rows[3].line, 4);
	kk_sheet_free(s);

	/* A delimiter at the very end of the file. */
	assert_int_equal(kk_sheet_parse(&s, "a,", 2, "x.csv", &diag), 0);
	assert_int_equal(s->count, 1);
	assert_int_equal(s->rows[0].count, 2);
	kk_sheet_free(s);
}

/*
 * Bytes that convert from their byte-order mark's encoding but are not text
 * then: refused, once (this was a double free).
 */
static void test_sheet_undecodable(void **state)
{
	static const char *const inputs[] = {"\xff\xfe\x00\x00", "\xfe\xff\xd8\x00\x00\x41"};
	static const size_t lens[] = {4, 6};
	kk_sheet *s = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(*inputs); i++) {
		kk_diag diag = {0};

		assert_int_equal(kk_sheet_parse(&s, inputs[i], lens[i], "r.tsv", &diag),
				 KK_EINVALID);
		assert_null(s);
		assert_string_equal(diag.message,
				    "'r.tsv' is not UTF-8, UTF-16 or Shift_JIS (CP932) text");
	}
}

/* 64 MiB of tabs would be tens of millions of cells: a TSV has a workbook's limits. */
static void test_sheet_limits(void **state)
{
	size_t n = KK_SHEET_MAX_CELLS;
	char *tabs = malloc(n + 1);
	kk_sheet *s = NULL;
	kk_diag diag = {0};

	(void)state;
	assert_non_null(tabs);
	memset(tabs, '\t', n); /* n tabs: n + 1 cells */
	tabs[n] = '\0';
	assert_int_equal(kk_sheet_parse(&s, tabs, n, "r.tsv", &diag), KK_ELIMIT);
	assert_null(s);
	assert_string_equal(diag.message, "'r.tsv' has more than 1048576 rows or 2097152 cells");
	/* One cell fewer is read. */
	assert_int_equal(kk_sheet_parse(&s, tabs, n - 1, "r.tsv", &diag), 0);
	assert_int_equal(s->rows[0].count, KK_SHEET_MAX_CELLS);
	kk_sheet_free(s);
	free(tabs);
}

/* What the cells say: clean-up, marks, 達成度 words, numbers, headings, departments. */
static void test_cells(void **state)
{
	static const struct {
		const char *raw, *clean;
	} clean[] = {
		{"  text\u3000", "text"},
		{"<p>一</p><p>二</p>", "一\n二"},
		{"一<br>二<BR/>三", "一\n二\n三"},
		{"<span style=\"x\">a</span> &amp; b", "a & b"},
		{"a < b &amp; c", "a < b &amp; c"}, /* no tags: left alone */
		{"<unknown>x", "<unknown>x"},
		{"\u30ab\u3099", "\u30ac"}, /* NFC */
		{"<b></b>", ""},
		{"<p></p>", ""}, /* nothing but tags */
	};
	const char *code, *rest, *title;
	json_t *names = json_array();
	long n;
	int k;

	(void)state;
	for (size_t i = 0; i < sizeof(clean) / sizeof(*clean); i++) {
		char *got = kk_cell_clean(clean[i].raw);

		assert_string_equal(got, clean[i].clean);
		free(got);
	}
	assert_true(kk_cell_is_dash("—") && kk_cell_is_dash("―") && kk_cell_is_dash("－"));
	assert_false(kk_cell_is_dash("") || kk_cell_is_dash("—x"));
	assert_string_equal(kk_cell_achievement("導入完了"), "completed");
	assert_string_equal(kk_cell_achievement("取下げ"), "withdrawn");
	assert_string_equal(kk_cell_achievement("—"), "open");
	assert_null(kk_cell_achievement("完了"));
	assert_true(kk_cell_achievement_merged(&code, &rest, "導入完了 タブレットを導入した。"));
	assert_string_equal(code, "completed");
	assert_string_equal(rest, "タブレットを導入した。");
	assert_false(kk_cell_achievement_merged(&code, &rest, "導入完了後に運用する"));
	assert_true(kk_cell_is_symbol("○") && kk_cell_is_symbol("△") && kk_cell_is_symbol("×"));
	assert_false(kk_cell_is_symbol("①") || kk_cell_is_symbol("—") || kk_cell_is_symbol("→") ||
		     kk_cell_is_symbol("○○") || kk_cell_is_symbol("A"));
	assert_true(kk_cell_integer(&n, "２６") && n == 26);
	assert_false(kk_cell_integer(&n, "26a") || kk_cell_integer(&n, ""));
	assert_true(kk_cell_integer_achievement(&n, &code, "28 導入完了") && n == 28);
	assert_true(kk_cell_measure_number(&k, &rest, "① テレワークの拡大") && k == 1);
	assert_string_equal(rest, "テレワークの拡大");
	assert_true(kk_cell_measure_number(&k, &rest, "㉑") && k == 21 && !*rest);
	assert_true(kk_cell_measure_number(&k, &rest, "3. 題") && k == 3);
	assert_false(kk_cell_measure_number(&k, &rest, "○試行"));
	assert_true(kk_cell_pillar_heading(&k, &title, "計画の柱 ２．効率化") && k == 2);
	assert_string_equal(title, "効率化");
	assert_true(kk_cell_section_heading(&k, &title, "（１） テレワーク") && k == 1);
	assert_string_equal(title, "テレワーク");
	assert_true(kk_cell_section_heading(&k, &title, "⑶ 節") && k == 3);
	assert_false(kk_cell_section_heading(&k, &title, "(注) 節"));
	assert_int_equal(kk_cell_departments(names, "税務課 市民課"), 0);
	assert_int_equal(kk_cell_departments(names, "市民課、社会福祉課,公民館ほか"), 0);
	assert_int_equal(json_array_size(names), 4);
	assert_string_equal(json_string_value(json_array_get(names, 3)), "公民館ほか");
	/* Department names: by how units' names end, or known from the report. */
	assert_true(kk_cell_is_department("税務課 市民課", NULL));
	assert_true(kk_cell_is_department("公民館ほか、こども育成支援センター", NULL));
	assert_true(kk_cell_is_department("農業委員会事務局", NULL));
	assert_false(kk_cell_is_department("窓口予約の導入", NULL));
	assert_false(kk_cell_is_department("市民課 窓口", NULL));
	assert_false(kk_cell_is_department("予約を始めた課。", NULL));
	assert_false(kk_cell_is_department("【R3追加】図書館", NULL));
	assert_false(kk_cell_is_department("—", NULL));
	assert_false(kk_cell_is_department("、", NULL));
	assert_false(kk_cell_is_department("ICT推進", NULL));
	{
		json_t *known = json_pack("{s:b}", "ICT推進", 1);

		assert_true(kk_cell_is_department("ICT推進 税務課", known));
		json_decref(known);
	}
	json_decref(names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sheet),
		cmocka_unit_test(test_sheet_undecodable),
		cmocka_unit_test(test_sheet_limits),
		cmocka_unit_test(test_cells),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
