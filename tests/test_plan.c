/* Tests for core/plan/plan: loading the plan and its vocabulary (fiscal years, marks). */
#include "testutil.h"

#include <string.h>

#include "json.h"
#include "plan.h"

static json_t *settings(void)
{
	return json_pack("{s:[{s:s,s:s,s:i},{s:s,s:s,s:i}], s:{s:s,s:s}}", "eras", "name", "平成",
			 "abbreviation", "H", "start", 1989, "name", "令和", "abbreviation", "R",
			 "start", 2019, "years", "2020", "closed", "2021", "open");
}

static void test_fy_parse(void **state)
{
	static const struct {
		const char *text;
		int year;
	} ok[] = {
		{"2021", 2021},	      {"FY2021", 2021}, {"fy2021", 2021}, {"2021年度", 2021},
		{"R3", 2021},	      {"r3", 2021},	{"令和3", 2021},  {"令和3年度", 2021},
		{"令和元年度", 2019}, {"R1", 2019},	{"H30", 2018},	  {"平成31年度", 2019},
		/* As an input method types them. */
		{"令和４年度", 2022}, {"Ｒ４", 2022},	{"２０２１", 2021}, {"ＦＹ２０２１", 2021},
		{" 令和3年度　", 2021},
	};
	static const char *const bad[] = {"",	"21",	 "R",	    "R0",    "令和", "令和3年",
					  "X3", "2021x", "R3年度x", "99999", "FY"};
	json_t *s = settings();
	kk_diag diag = {0};
	int year;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		year = 0;
		if (kk_fy_parse(&year, ok[i].text, s, &diag) < 0)
			fail_msg("'%s': %s", ok[i].text, diag.message);
		assert_int_equal(year, ok[i].year);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char expected[128];

		assert_int_equal(kk_fy_parse(&year, bad[i], s, &diag), KK_EINVALID);
		snprintf(expected, sizeof(expected),
			 "'%s' is not a fiscal year (try 2021, R3 or 令和3年度)", bad[i]);
		assert_string_equal(diag.message, expected);
	}
	assert_int_equal(kk_fy_parse(&year, "1000", s, &diag), KK_EINVALID);
	assert_string_equal(diag.message, "fiscal year 1000 is out of range");
	/* Without eras, only plain years. */
	assert_int_equal(kk_fy_parse(&year, "R3", NULL, &diag), KK_EINVALID);
	json_decref(s);
}

static void test_fy_format(void **state)
{
	json_t *s = settings();
	char buf[64];

	(void)state;
	kk_fy_format(buf, sizeof(buf), s, 2021);
	assert_string_equal(buf, "令和3年度");
	kk_fy_format(buf, sizeof(buf), s, 2019);
	assert_string_equal(buf, "令和元年度");
	kk_fy_format(buf, sizeof(buf), s, 2018);
	assert_string_equal(buf, "平成30年度");
	kk_fy_format(buf, sizeof(buf), s, 1980);
	assert_string_equal(buf, "1980年度");
	kk_fy_format(buf, sizeof(buf), NULL, 2021);
	assert_string_equal(buf, "2021年度");
	assert_string_equal(kk_fy_state(s, 2020), "closed");
	assert_null(kk_fy_state(s, 2023));

	/* An era of 20 characters (the schema's most) fits KK_FY_NAME_MAX whole; a smaller
	 * buffer gets whole characters only (3 bytes each here: 7 of them fill 22 of 23). */
	json_object_set_new(json_array_get(json_object_get(s, "eras"), 1), "name",
			    json_string("長い元号の名前はここまで二十文字ですよね"));
	{
		char whole[KK_FY_NAME_MAX], small[23];

		kk_fy_format(whole, sizeof(whole), s, 2021);
		assert_string_equal(whole, "長い元号の名前はここまで二十文字ですよね3年度");
		kk_fy_format(small, sizeof(small), s, 2021);
		assert_string_equal(small, "長い元号の名前");
		kk_fy_format(small, 4, s, 2021);
		assert_string_equal(small, "長");
		kk_fy_format(small, 3, s, 2021);
		assert_string_equal(small, "");
	}
	json_decref(s);
}

static void test_item_paths(void **state)
{
	char buf[KK_ITEM_PATH_MAX];
	json_int_t id = 0;

	(void)state;
	assert_int_equal(kk_item_path(buf, sizeof(buf), 26), 0);
	assert_string_equal(buf, "items/0026.json");
	assert_int_equal(kk_item_path(buf, sizeof(buf), 10000), 0);
	assert_string_equal(buf, "items/10000.json");
	assert_int_equal(kk_item_path(buf, sizeof(buf), 0), KK_EINVALID);
	assert_int_equal(kk_item_path(buf, sizeof(buf), 100000), KK_EINVALID);

	assert_int_equal(kk_item_path_parse(&id, "items/0026.json"), 1);
	assert_int_equal(id, 26);
	assert_int_equal(kk_item_path_parse(&id, "items/10000.json"), 1);
	assert_int_equal(id, 10000);
	assert_int_equal(kk_item_path_parse(&id, "items/26.json"), 0);
	assert_int_equal(kk_item_path_parse(&id, "items/00026.json"), 0);
	assert_int_equal(kk_item_path_parse(&id, "items/0000.json"), 0);
	assert_int_equal(kk_item_path_parse(&id, "items/0026.json.bak"), 0);
	assert_int_equal(kk_item_path_parse(&id, "other/0026.json"), 0);
	assert_int_equal(kk_item_path_parse(&id, "items/99999.json"), 1);
	assert_int_equal(id, 99999);
	assert_int_equal(kk_item_path_parse(&id, "items/0001.json"), 1);
	assert_int_equal(id, 1);
	assert_int_equal(kk_item_path_parse(&id, "items/123456.json"), 0);
	assert_int_equal(kk_item_path_parse(&id, "items/1.json"), 0);
	assert_int_equal(kk_item_path_parse(&id, "items/.json"), 0);
	assert_int_equal(kk_item_path_parse(&id, "items/00a1.json"), 0);
	assert_int_equal(kk_item_path_parse(&id, "items/0026"), 0);
	/* Every id the writer names parses back to itself. */
	for (json_int_t i = 1; i <= KK_ITEM_ID_MAX; i++) {
		char path[KK_ITEM_PATH_MAX];
		json_int_t back = 0;

		assert_int_equal(kk_item_path(path, sizeof(path), i), 0);
		assert_int_equal(kk_item_path_parse(&back, path), 1);
		assert_int_equal(back, i);
	}
}

static void test_marks(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(kk_progress_mark("ahead"), "◎");
	assert_string_equal(kk_progress_mark("on_track"), "○");
	assert_string_equal(kk_progress_mark("behind"), "▲");
	assert_null(kk_progress_mark("late"));
	assert_string_equal(kk_progress_from_mark("▲"), "behind");
	assert_string_equal(kk_progress_from_mark("on_track"), "on_track");
	assert_null(kk_progress_from_mark("△"));
	assert_string_equal(kk_progress_from_mark("〇"), "on_track"); /* what IMEs give for まる */
	assert_string_equal(kk_progress_from_mark("◯"), "on_track");
	assert_string_equal(kk_progress_from_mark(" ◎ "), "ahead");
	assert_string_equal(kk_achievement_from_label("取下げ"), "withdrawn");
	assert_string_equal(kk_achievement_from_label("―"), "open");
	assert_string_equal(kk_achievement_from_label("導入完了　"), "completed");
	assert_string_equal(kk_progress_legend("ahead"), "計画より早く進んでいる");
	assert_string_equal(kk_achievement_label("completed"), "導入完了");
	assert_string_equal(kk_achievement_label("open"), "—");
	assert_string_equal(kk_achievement_from_label("取り下げ"), "withdrawn");
	assert_null(kk_achievement_from_label("done"));
	kk_circled_number(buf, sizeof(buf), 1);
	assert_string_equal(buf, "①");
	kk_circled_number(buf, sizeof(buf), 20);
	assert_string_equal(buf, "⑳");
	kk_circled_number(buf, sizeof(buf), 21);
	assert_string_equal(buf, "㉑");
	kk_circled_number(buf, sizeof(buf), 36);
	assert_string_equal(buf, "㊱");
	kk_circled_number(buf, sizeof(buf), 50);
	assert_string_equal(buf, "㊿");
	kk_circled_number(buf, sizeof(buf), 51);
	assert_string_equal(buf, "(51)");
}

/* kk_item_fields and kk_year_fields are item.schema.json's properties, in its order. */
static void test_fields(void **state)
{
	json_t *schema = kk_test_load_json(KK_SOURCE_DIR "/schema/item.schema.json");
	json_t *props = json_object_get(schema, "properties"), *year;
	const char *key;
	json_t *v;
	size_t i = 0;

	(void)state;
	assert_int_equal(json_object_size(props), kk_item_field_count);
	json_object_foreach(props, key, v)
		assert_string_equal(key, kk_item_fields[i++]);
	year = json_object_get(json_object_get(json_object_get(schema, "definitions"), "year"),
			       "properties");
	assert_int_equal(json_object_size(year), kk_year_field_count);
	i = 0;
	json_object_foreach(year, key, v)
		assert_string_equal(key, kk_year_fields[i++]);
	json_decref(schema);
}

static void put(kk_fileset *set, const char *path, const char *text)
{
	assert_int_equal(kk_fileset_put(set, path, text, strlen(text), NULL), 0);
}

static void test_load(void **state)
{
	kk_fileset set = {0};
	kk_plan *plan = NULL;
	kk_diag diag = {0};

	(void)state;
	put(&set, "keikaku.json", "{}");
	put(&set, "plan.json",
	    "{\"pillars\": [{\"number\": 1, \"sections\": [{\"number\": 2, "
	    "\"measures\": [{\"number\": 3, \"title\": \"m\"}]}]}]}");
	assert_int_equal(kk_plan_load(&plan, &set, &diag), KK_EINVALID);
	assert_string_equal(diag.message, "'departments.json' is missing");
	assert_string_equal(diag.path, "departments.json");

	put(&set, "departments.json", "[]");
	assert_int_equal(kk_plan_load(&plan, &set, &diag), KK_EINVALID);
	assert_string_equal(diag.message, "'departments.json' does not hold a JSON object");

	put(&set, "departments.json", "{\"departments\": [{\"name\": \"総務課\"}]}");
	put(&set, "items/10000.json", "{\"id\": 10000}");
	put(&set, "items/0009.json", "{\"id\": 9}");
	put(&set, "items/0010.json", "{\"id\": 10}");
	put(&set, "items/notes.txt", "ignored");
	assert_int_equal(kk_plan_load(&plan, &set, &diag), 0);
	assert_int_equal(json_array_size(plan->items), 3);
	/* Sorted by id, not by path. */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(plan->items, 2), "id")),
			 10000);
	assert_non_null(kk_plan_item(plan, 10));
	assert_null(kk_plan_item(plan, 11));
	assert_non_null(kk_plan_measure(plan->structure, 1, 2, 3));
	assert_null(kk_plan_measure(plan->structure, 1, 2, 4));
	assert_null(kk_plan_section(plan->structure, 2, 2));
	assert_non_null(kk_plan_department(plan->departments, "総務課"));
	assert_null(kk_plan_department(plan->departments, "財政課"));
	kk_plan_free(plan);
	plan = NULL;

	put(&set, "items/0011.json", "{\"id\": 12}");
	assert_int_equal(kk_plan_load(&plan, &set, &diag), KK_EINVALID);
	assert_string_equal(diag.message, "id does not match the file name 'items/0011.json'");
	assert_string_equal(diag.pointer, "/id");

	put(&set, "items/0011.json", "{\"id\": 11,}");
	assert_int_equal(kk_plan_load(&plan, &set, &diag), KK_EINVALID);
	assert_string_equal(diag.path, "items/0011.json");
	assert_int_equal(diag.line, 1);
	kk_fileset_clear(&set);
}

/*
 * kk_plan_parse_item() of `len` bytes at `data` as `path` fails with `code`, giving no
 * item and naming `path` with `pointer` in the diag, which it returns for the message.
 */
static kk_diag parse_item_fails(const char *path, const char *data, size_t len, int code,
				const char *pointer)
{
	json_t *item = NULL;
	kk_diag diag = {0};

	assert_int_equal(kk_plan_parse_item(&item, path, data, len, &diag), code);
	assert_null(item);
	assert_string_equal(diag.path, path);
	assert_string_equal(diag.pointer, pointer);
	return diag;
}

/* Each item file kk_plan_load() and the report's builder take, checked the same way. */
static void test_parse_item(void **state)
{
	static const char good[] = "{\"id\": 26, \"title\": \"電子申請\"}";
	char deep[2 * KK_JSON_MAX_DEPTH_DEFAULT + 8] = "{\"a\":";
	size_t n = strlen(deep);
	json_t *item = NULL;
	kk_diag diag = {0};

	(void)state;
	assert_int_equal(kk_plan_parse_item(&item, "items/0026.json", good, strlen(good), &diag),
			 0);
	assert_string_equal(json_string_value(json_object_get(item, "title")), "電子申請");
	json_decref(item);

	/* Not an item's path: the zero-padded form only. */
	diag = parse_item_fails("items/26.json", good, strlen(good), KK_EINVALID, "");
	assert_string_equal(diag.message, "'items/26.json' is not an item's file name");
	diag = parse_item_fails("items/0027.json", good, strlen(good), KK_EINVALID, "/id");
	assert_string_equal(diag.message, "id does not match the file name 'items/0027.json'");
	diag = parse_item_fails("items/0026.json", "[26]", 4, KK_EINVALID, "");
	assert_string_equal(diag.message, "'items/0026.json' does not hold a JSON object");
	diag = parse_item_fails("items/0026.json", "{\"id\": 26,}", 11, KK_EINVALID, "");
	assert_true(diag.message[0] != '\0');
	assert_int_equal(diag.line, 1);

	/* Deeper than the reader takes: KK_ELIMIT, still naming the file. */
	memset(deep + n, '[', KK_JSON_MAX_DEPTH_DEFAULT);
	memset(deep + n + KK_JSON_MAX_DEPTH_DEFAULT, ']', KK_JSON_MAX_DEPTH_DEFAULT);
	n += 2 * KK_JSON_MAX_DEPTH_DEFAULT;
	deep[n++] = '}';
	parse_item_fails("items/0026.json", deep, n, KK_ELIMIT, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fy_parse),   cmocka_unit_test(test_fy_format),
		cmocka_unit_test(test_item_paths), cmocka_unit_test(test_marks),
		cmocka_unit_test(test_load),	   cmocka_unit_test(test_fields),
		cmocka_unit_test(test_parse_item),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
