/*
 * Tests for core/plan/year: opening and closing fiscal years on the example
 * plan, the closing tag's message, and what core/plan/update and core/plan/rules
 * make of the change and of the closed year afterwards.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "identity.h"
#include "json.h"
#include "patch.h"
#include "plan.h"
#include "rules.h"
#include "update.h"
#include "verify.h"
#include "year.h"

/* Writes `doc` canonically as file `path` of `set`. */
static void put_doc(kk_fileset *set, const char *path, const json_t *doc)
{
	json_t *schema = kk_test_fileset_json(set, kk_plan_schema_for(path));
	char *bytes = NULL;
	size_t len = 0;
	kk_diag diag = {0};

	assert_non_null(schema);
	if (kk_canon_dump(&bytes, &len, doc, schema, &diag) < 0)
		fail_msg("%s: %s", path, diag.message);
	assert_int_equal(kk_fileset_put(set, path, bytes, len, NULL), 0);
	free(bytes);
	json_decref(schema);
}

/* Applies merge patch `patch` (JSON text) to file `path` of `set`. */
static void change(kk_fileset *set, const char *path, const char *patch)
{
	json_t *doc = kk_test_fileset_json(set, path), *p = kk_test_parse(patch), *next = NULL;

	assert_non_null(doc);
	assert_int_equal(kk_patch_apply(&next, doc, p, NULL), 0);
	put_doc(set, path, next);
	json_decref(doc);
	json_decref(p);
	json_decref(next);
}

static void change_item(kk_fileset *set, json_int_t id, const char *patch)
{
	char path[KK_ITEM_PATH_MAX];

	assert_int_equal(kk_item_path(path, sizeof(path), id), 0);
	change(set, path, patch);
}

static void expect_json(const json_t *got, const char *want)
{
	json_t *w = kk_test_parse(want);

	if (!got || !json_equal(got, w)) {
		char *g = got ? json_dumps(got, JSON_ENCODE_ANY) : strdup("NULL");

		fail_msg("expected %s, got %s", want, g);
	}
	json_decref(w);
}

/* Opening the next year: keikaku.json lists it, every open item gains an empty entry. */
static void test_open_next_year(void **state)
{
	kk_fileset plan = {0};
	kk_year_change c;
	kk_diag diag = {0};

	(void)state;
	kk_test_load_example(&plan);
	assert_int_equal(kk_year_open(&c, &plan, 2023, &diag), 0);
	assert_int_equal(c.year, 2023);
	expect_json(c.settings_patch, "{\"years\": {\"2023\": \"open\"}}");
	/* The example's open items; the completed and withdrawn ones are left alone. */
	expect_json(c.items, "[1, 3, 9, 16, 25, 29]");
	expect_json(c.item_patch, "{\"years\": {\"2023\": {}}}");
	assert_string_equal(c.summary, "令和5年度 (FY2023) を開始");
	assert_int_equal(c.counts.items, 0);
	kk_year_change_clear(&c);
	assert_null(c.items);
	assert_null(c.summary);
	kk_fileset_clear(&plan);
}

/* A planned year opens; entries already recorded for it are kept, not emptied. */
static void test_open_keeps_schedules(void **state)
{
	kk_fileset plan = {0};
	kk_year_change c;
	kk_diag diag = {0};

	(void)state;
	kk_test_load_example(&plan);
	change(&plan, KK_PATH_SETTINGS, "{\"years\": {\"2022\": \"planned\"}}");
	assert_int_equal(kk_year_open(&c, &plan, 2022, &diag), 0);
	expect_json(c.settings_patch, "{\"years\": {\"2022\": \"open\"}}");
	/* Items 1, 3, 9, 25 and 29 have a revised schedule for 2022 already. */
	expect_json(c.items, "[16]");
	assert_int_equal(c.counts.items, 5);
	assert_string_equal(c.summary, "令和4年度 (FY2022) を開始");
	kk_year_change_clear(&c);
	kk_fileset_clear(&plan);
}

/* A plan with no years yet opens any year; a planned year opens before a closed one. */
static void test_open_first_and_out_of_order(void **state)
{
	kk_fileset plan = {0};
	kk_year_change c;
	kk_diag diag = {0};

	(void)state;
	kk_test_load_example(&plan);
	change(&plan, KK_PATH_SETTINGS, "{\"years\": {\"2021\": \"planned\", \"2022\": null}}");
	change(&plan, KK_PATH_SETTINGS,
	       "{\"years\": {\"2020\": \"planned\", \"2021\": \"closed\"}}");
	assert_int_equal(kk_year_open(&c, &plan, 2020, &diag), 0);
	kk_year_change_clear(&c);

	change(&plan, KK_PATH_SETTINGS, "{\"years\": {\"2020\": null, \"2021\": null}}");
	assert_int_equal(kk_year_open(&c, &plan, 2030, &diag), 0);
	expect_json(c.settings_patch, "{\"years\": {\"2030\": \"open\"}}");
	kk_year_change_clear(&c);
	kk_fileset_clear(&plan);
}

/* Every refusal, with its code and message. */
static void test_refusals(void **state)
{
	static const struct {
		int close;
		int year;
		const char *settings; /* merge patch of keikaku.json first, or NULL */
		int code;
		const char *message;
	} cases[] = {
		{0, 2022, NULL, KK_EEXISTS, "cannot open 令和4年度 (FY2022): it is open already"},
		{0, 2020, NULL, KK_EEXISTS,
		 "cannot open 令和2年度 (FY2020): it is closed, and a closed year does not open "
		 "again"},
		{0, 2025, NULL, KK_ENOTFOUND,
		 "cannot open 令和7年度 (FY2025): it is not a year of the plan, and the next year "
		 "to add is 2023"},
		{0, 2019, NULL, KK_ENOTFOUND,
		 "cannot open 令和元年度 (FY2019): it is not a year of the plan, and the next year "
		 "to add is 2023"},
		{0, 2023, "{\"years\": {\"2022\": \"planned\", \"2023\": \"planned\"}}",
		 KK_EINVALID, "cannot open 令和5年度 (FY2023): 令和4年度 (FY2022) is not open yet"},
		{0, 999, NULL, KK_EINVALID, "fiscal year 999 is out of range"},
		{1, 2020, NULL, KK_EEXISTS, "cannot close 令和2年度 (FY2020): it is closed already"},
		{1, 2023, NULL, KK_ENOTFOUND,
		 "cannot close 令和5年度 (FY2023): it is not a year of the plan"},
		{1, 2022, NULL, KK_EINVALID,
		 "cannot close 令和4年度 (FY2022): 令和3年度 (FY2021) is not closed yet"},
		{1, 2022, "{\"years\": {\"2022\": \"planned\"}}", KK_EINVALID,
		 "cannot close 令和4年度 (FY2022): it is not open yet"},
		{1, 2021, "{\"years\": {\"2020\": \"open\"}}", KK_EINVALID,
		 "cannot close 令和3年度 (FY2021): 令和2年度 (FY2020) is not closed yet"},
		{1, 3000, NULL, KK_EINVALID, "fiscal year 3000 is out of range"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		kk_fileset plan = {0};
		kk_year_change c;
		kk_diag diag = {0};
		int error;

		kk_test_load_example(&plan);
		if (cases[i].settings)
			change(&plan, KK_PATH_SETTINGS, cases[i].settings);
		error = cases[i].close ? kk_year_close(&c, &plan, cases[i].year, &diag)
				       : kk_year_open(&c, &plan, cases[i].year, &diag);
		if (error != cases[i].code)
			fail_msg("case %zu: expected %d, got %d (%s)", i, cases[i].code, error,
				 diag.message);
		assert_string_equal(diag.message, cases[i].message);
		assert_null(c.settings_patch);
		assert_null(c.summary);
		kk_fileset_clear(&plan);
	}
}

/* A plan that does not load is refused, not guessed at. */
static void test_broken_plan(void **state)
{
	kk_fileset plan = {0};
	kk_year_change c;
	kk_diag diag = {0};

	(void)state;
	kk_test_load_example(&plan);
	assert_int_equal(kk_fileset_put(&plan, KK_PATH_SETTINGS, "[]", 2, NULL), 0);
	assert_int_equal(kk_year_open(&c, &plan, 2023, &diag), KK_EINVALID);
	assert_string_equal(diag.path, KK_PATH_SETTINGS);
	kk_fileset_clear(&plan);
}

/* Closing: the counts of the year's marks and achievements, and the tag's message. */
static void test_close_counts(void **state)
{
	kk_fileset plan = {0};
	kk_year_change c;
	kk_diag diag = {0};
	char *message, tag[KK_YEAR_TAG_MAX];
	json_t *counts;

	(void)state;
	kk_test_load_example(&plan);
	/* The example records no 達成度 for 2021; give it some. */
	change_item(&plan, 26, "{\"years\": {\"2021\": {\"achievement\": \"completed\"}}}");
	change_item(&plan, 27, "{\"years\": {\"2021\": {\"achievement\": \"completed\"}}}");
	change_item(&plan, 7, "{\"years\": {\"2021\": {\"achievement\": \"withdrawn\"}}}");
	change_item(&plan, 25, "{\"years\": {\"2021\": {\"achievement\": \"open\"}}}");
	assert_int_equal(kk_year_close(&c, &plan, 2021, &diag), 0);
	expect_json(c.settings_patch, "{\"years\": {\"2021\": \"closed\"}}");
	expect_json(c.items, "[]");
	assert_string_equal(c.summary, "令和3年度 (FY2021) を締め切り");
	assert_int_equal(c.counts.items, 23);
	assert_int_equal(c.counts.ahead, 1);
	assert_int_equal(c.counts.on_track, 20);
	assert_int_equal(c.counts.behind, 2);
	assert_int_equal(c.counts.completed, 2);
	assert_int_equal(c.counts.withdrawn, 1);

	kk_year_tag_name(tag, sizeof(tag), 2021);
	assert_string_equal(tag, "fy2021");
	{
		json_t *settings = kk_test_fileset_json(&plan, KK_PATH_SETTINGS);

		message = kk_year_tag_message(settings, 2021, &c.counts);
		json_decref(settings);
	}
	assert_string_equal(message, "令和3年度 (FY2021) を締め切り\n"
				     "\n"
				     "項目 23\n"
				     "進捗度 ◎ 1  ○ 20  ▲ 2\n"
				     "達成度 導入完了 2  取り下げ 1\n");
	free(message);
	/* Without eras the year is named by its number. */
	message = kk_year_tag_message(NULL, 2021, &c.counts);
	assert_true(strncmp(message, "2021年度 (FY2021) を締め切り\n",
			    strlen("2021年度 (FY2021) を締め切り\n")) == 0);
	free(message);

	counts = kk_year_counts_json(2021, &c.counts);
	expect_json(counts, "{\"year\": \"2021\", \"items\": 23, \"progress\": {\"ahead\": 1, "
			    "\"on_track\": 20, \"behind\": 2}, \"achievement\": {\"completed\": 2, "
			    "\"withdrawn\": 1}}");
	json_decref(counts);
	kk_year_change_clear(&c);
	kk_fileset_clear(&plan);
}

/* The people of the rules checks: an admin, and the owner of item 25 (秘書課). */
static void person(kk_identity *who, const kk_fileset *plan, const char *user, const char *dept,
		   int admin)
{
	json_t *departments = kk_test_fileset_json(plan, KK_PATH_DEPARTMENTS), *d;
	size_t i;

	memset(who, 0, sizeof(*who));
	who->uid = admin ? 1002 : 1001;
	who->user = strdup(user);
	who->name = strdup(user);
	who->groups = calloc(1, sizeof(*who->groups));
	assert_non_null(who->groups);
	who->groups[0] = strdup("users");
	who->group_count = 1;
	json_array_foreach(json_object_get(departments, "departments"), i, d) {
		if (strcmp(json_string_value(json_object_get(d, "name")), dept) == 0) {
			json_object_set_new(d, "users", json_pack("[s]", user));
			if (admin)
				json_object_set_new(d, "admin", json_true());
		}
	}
	assert_int_equal(kk_identity_resolve(who, departments, 999), 0);
	assert_int_equal(who->admin, admin);
	json_decref(departments);
}

/* The change as the daemon makes it: kk_update_prepare with the year's patches. */
static void prepare_change(kk_update_result *r, const kk_fileset *plan, const kk_identity *who,
			   const kk_year_change *c, kk_verifier *verifier)
{
	size_t n = json_array_size(c->items), i;
	kk_update_item *items = calloc(n ? n : 1, sizeof(*items));
	json_t *keep = json_array(), *settings = kk_test_fileset_json(plan, KK_PATH_SETTINGS);
	kk_update_file file = {.path = KK_PATH_SETTINGS, .patch = c->settings_patch, .base_doc = settings};
	kk_diag diag = {0};
	json_t *id;

	assert_non_null(items);
	json_array_foreach(c->items, i, id) {
		char path[KK_ITEM_PATH_MAX];
		json_t *base;

		kk_item_path(path, sizeof(path), json_integer_value(id));
		base = kk_test_fileset_json(plan, path);
		json_array_append_new(keep, base);
		items[i] = (kk_update_item){json_integer_value(id), c->item_patch, NULL, base};
	}
	if (kk_update_prepare(r, plan, &(kk_update_request){who, NULL, 0, items, n, &file, 1},
			      verifier, &diag) < 0)
		fail_msg("kk_update_prepare: %s", diag.message);
	free(items);
	json_decref(keep);
	json_decref(settings);
}

/* Applies an accepted result's files to `plan`. */
static void apply(kk_fileset *plan, const kk_update_result *r)
{
	for (size_t i = 0; i < r->files.count; i++)
		assert_int_equal(kk_fileset_put_file(plan, &r->files.files[i], NULL), 0);
}

/*
 * Through core/plan/update: opening validates and changes exactly the files it
 * names, with {} entries; after a close, every field of the year is an
 * admin's correction, and so is the year's state in keikaku.json.
 */
static void test_through_update(void **state)
{
	kk_fileset plan = {0};
	kk_verifier *verifier = NULL;
	kk_identity admin, owner;
	kk_year_change c;
	kk_update_result r;
	kk_diag diag = {0};
	json_t *item;

	(void)state;
	kk_test_load_example(&plan);
	assert_int_equal(kk_verifier_new(&verifier), 0);
	person(&admin, &plan, "tanaka", "デジタル戦略課", 1);
	person(&owner, &plan, "sato", "秘書課", 0);

	assert_int_equal(kk_year_open(&c, &plan, 2023, &diag), 0);
	prepare_change(&r, &plan, &admin, &c, verifier);
	assert_int_equal(r.verdict, KK_UPDATE_OK);
	expect_json(r.errors, "[]");
	expect_json(r.violations, "[]");
	assert_int_equal(r.files.count, 7);
	assert_string_equal(r.files.files[0].path, "items/0001.json");
	assert_string_equal(r.files.files[6].path, KK_PATH_SETTINGS);
	expect_json(r.years, "[\"2023\"]");
	apply(&plan, &r);
	kk_update_result_clear(&r);
	kk_year_change_clear(&c);
	item = kk_test_fileset_json(&plan, "items/0025.json");
	expect_json(json_object_get(json_object_get(item, "years"), "2023"), "{}");
	json_decref(item);
	{
		const kk_file *f = kk_fileset_get(&plan, "items/0016.json");

		assert_non_null(strstr(f->data, "\n    \"2023\": {}\n  }\n}\n"));
	}

	/* A non-admin's change is refused by core/plan/update too. */
	assert_int_equal(kk_year_close(&c, &plan, 2021, &diag), 0);
	prepare_change(&r, &plan, &owner, &c, verifier);
	assert_int_equal(r.verdict, KK_UPDATE_FORBIDDEN);
	kk_update_result_clear(&r);
	prepare_change(&r, &plan, &admin, &c, verifier);
	assert_int_equal(r.verdict, KK_UPDATE_OK);
	assert_int_equal(r.files.count, 1);
	apply(&plan, &r);
	kk_update_result_clear(&r);
	kk_year_change_clear(&c);

	/* Closed: each field of a 2021 entry, the entry itself, and its state. */
	{
		static const char *const patches[] = {
			"{\"years\": {\"2021\": {\"planned\": \"検討\"}}}",
			"{\"years\": {\"2021\": {\"revised\": \"検討\"}}}",
			"{\"years\": {\"2021\": {\"progress\": \"ahead\"}}}",
			"{\"years\": {\"2021\": {\"achievement\": \"completed\"}}}",
			"{\"years\": {\"2021\": {\"result\": \"書き換え\"}}}",
			"{\"years\": {\"2021\": {\"result\": null}}}",
			"{\"years\": {\"2021\": null}}",
		};
		json_t *base = kk_test_fileset_json(&plan, "items/0025.json");

		for (size_t i = 0; i < sizeof(patches) / sizeof(*patches); i++) {
			json_t *patch = kk_test_parse(patches[i]);
			kk_update_item it = {25, patch, NULL, base};

			for (int who = 0; who < 3; who++) {
				/* The owner, the admin without, and with a correction. */
				kk_update_request req = {.who = who ? &admin : &owner,
							 .reason = "誤記の訂正",
							 .correction = who == 2,
							 .items = &it,
							 .item_count = 1};

				if (kk_update_prepare(&r, &plan, &req, verifier, &diag) < 0)
					fail_msg("%s", diag.message);
				if (who < 2) {
					if (r.verdict != KK_UPDATE_RULES)
						fail_msg("%s by %d: verdict %d", patches[i], who,
							 r.verdict);
					assert_string_equal(
						json_string_value(json_object_get(
							json_array_get(r.violations, 0), "rule")),
						KK_RULE_CLOSED_YEAR);
				} else if (r.verdict != KK_UPDATE_OK || !r.corrects_closed_year) {
					fail_msg("%s: correction refused", patches[i]);
				}
				kk_update_result_clear(&r);
			}
			json_decref(patch);
		}
		json_decref(base);
	}
	{
		json_t *settings = kk_test_fileset_json(&plan, KK_PATH_SETTINGS), *v = json_array();
		json_t *reopened = kk_test_parse("{\"years\": {\"2021\": \"open\"}}"), *next = NULL;
		kk_change_ctx ctx = {&admin, settings, "やり直し", 0};

		assert_int_equal(kk_patch_apply(&next, settings, reopened, NULL), 0);
		assert_int_equal(kk_rules_check_file(v, &ctx, KK_PATH_SETTINGS, settings, next), 1);
		expect_json(v, "[{\"file\": \"keikaku.json\", \"path\": \"years.2021\", \"rule\": "
			       "\"closed-year\", \"message\": \"cannot change 'years.2021' of "
			       "'keikaku.json': fiscal year 2021 (令和3年度) is closed; only an admin's "
			       "correction with a reason may change it\"}]");
		json_array_clear(v);
		ctx.correction = 1;
		ctx.reason = NULL;
		assert_int_equal(kk_rules_check_file(v, &ctx, KK_PATH_SETTINGS, settings, next), 1);
		assert_string_equal(
			json_string_value(json_object_get(json_array_get(v, 0), "message")),
			"cannot correct 'years.2021' of 'keikaku.json': a correction to "
			"closed fiscal year 2021 (令和3年度) needs a reason");
		json_array_clear(v);
		ctx.reason = "誤って締め切った";
		assert_int_equal(kk_rules_check_file(v, &ctx, KK_PATH_SETTINGS, settings, next), 0);
		/* Other changes to keikaku.json are not about the closed year. */
		json_decref(next);
		json_decref(reopened);
		reopened = kk_test_parse("{\"title\": \"新しい題\"}");
		ctx.correction = 0;
		assert_int_equal(kk_patch_apply(&next, settings, reopened, NULL), 0);
		assert_int_equal(kk_rules_check_file(v, &ctx, KK_PATH_SETTINGS, settings, next), 0);
		json_decref(next);
		json_decref(reopened);
		json_decref(settings);
		json_decref(v);
	}
	kk_identity_clear(&admin);
	kk_identity_clear(&owner);
	kk_verifier_free(verifier);
	kk_fileset_clear(&plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_next_year),
		cmocka_unit_test(test_open_keeps_schedules),
		cmocka_unit_test(test_open_first_and_out_of_order),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_broken_plan),
		cmocka_unit_test(test_close_counts),
		cmocka_unit_test(test_through_update),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
