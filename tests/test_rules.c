/*
 * Tests for core/plan/rules: who may change what (docs/design.md §3, rules 2
 * to 4), and the lines of a co-owned text a co-owner keeps (rule 6).
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "patch.h"
#include "rules.h"

#define EXAMPLE	 KK_SOURCE_DIR "/examples/dx-plan-r3"
#define FIXTURES KK_SOURCE_DIR "/tests/fixtures/rules"

static json_t *load_item(json_int_t id)
{
	char path[256];

	snprintf(path, sizeof(path), EXAMPLE "/items/%04lld.json", (long long)id);
	return kk_test_load_json(path);
}

/* The example's settings (2020 closed, 2021 and 2022 open) with 2023 planned; 2024 is absent. */
static json_t *settings(void)
{
	json_t *s = kk_test_load_json(EXAMPLE "/keikaku.json");

	assert_int_equal(
		json_object_set_new(json_object_get(s, "years"), "2023", json_string("planned")),
		0);
	return s;
}

/*
 * An identity acting for `departments` (a JSON array of names); the names
 * are borrowed from the array, so the identity is not cleared.
 */
static void acting_for(kk_identity *who, char **names, const json_t *departments, int admin)
{
	size_t i;
	json_t *d;

	memset(who, 0, sizeof(*who));
	who->uid = 1000;
	who->user = "tester";
	who->name = "tester";
	json_array_foreach(departments, i, d)
		names[i] = (char *)json_string_value(d);
	who->departments = names;
	who->department_count = json_array_size(departments);
	who->admin = admin;
}

static void fail_with(const char *name, const json_t *got, const json_t *want)
{
	char *g = json_dumps(got, JSON_INDENT(2));
	char *w = json_dumps(want, JSON_INDENT(2));

	print_error("%s:\nexpected %s\n     got %s\n", name, w, g);
	free(g);
	free(w);
	fail();
}

/*
 * One case of fixtures/rules/cases.json: `patch` applied to example item
 * `item` by someone acting for `departments` (an admin when `admin`), with
 * `reason` and `correction`; with `create`, the patched item is a new one.
 * The violations must be exactly `violations`, and kk_rules_forbidden()
 * must say `forbidden`.
 */
static void run_case(const json_t *c, const json_t *s)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const json_t *want = json_object_get(c, "violations");
	json_t *base = load_item(json_integer_value(json_object_get(c, "item")));
	json_t *new = NULL, *violations = json_array();
	const json_t *departments = json_object_get(c, "departments");
	char *names[16];
	kk_identity who;
	kk_change_ctx ctx = {&who, s, json_string_value(json_object_get(c, "reason")),
			     json_is_true(json_object_get(c, "correction"))};
	int n;

	assert_true(json_array_size(departments) <= sizeof(names) / sizeof(*names));
	acting_for(&who, names, departments, json_is_true(json_object_get(c, "admin")));
	assert_int_equal(kk_patch_apply(&new, base, json_object_get(c, "patch"), NULL), 0);
	n = kk_rules_check_item(violations, &ctx,
				json_is_true(json_object_get(c, "create")) ? NULL : base, new);
	if (!json_equal(violations, want))
		fail_with(name, violations, want);
	assert_int_equal(n, json_array_size(violations));
	if (kk_rules_forbidden(violations) != json_is_true(json_object_get(c, "forbidden")))
		fail_msg("%s: kk_rules_forbidden() says %d", name, kk_rules_forbidden(violations));
	json_decref(base);
	json_decref(new);
	json_decref(violations);
}

static void test_cases(void **state)
{
	json_t *cases = kk_test_load_json(FIXTURES "/cases.json"), *s = settings(), *c;
	size_t i;

	(void)state;
	assert_true(json_array_size(cases) >= 30);
	json_array_foreach(cases, i, c)
		run_case(c, s);
	json_decref(cases);
	json_decref(s);
}

/* Violations are appended after what is there; the count is of the new ones. */
static void test_appends(void **state)
{
	json_t *s = settings(), *old = load_item(25), *new = json_deep_copy(old);
	json_t *violations = json_pack("[{s:s}]", "rule", "earlier");
	json_t *names_json = json_pack("[s]", "秘書課");
	char *names[1];
	kk_identity who;
	kk_change_ctx ctx = {&who, s, NULL, 0};

	(void)state;
	acting_for(&who, names, names_json, 0);
	json_object_set_new(new, "status", json_string("withdrawn"));
	json_object_set_new(new, "title", json_string("新しい題"));
	assert_int_equal(kk_rules_check_item(violations, &ctx, old, new), 2);
	assert_int_equal(json_array_size(violations), 3);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(violations, 1), "path")), "title");
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(violations, 2), "path")),
		"status");
	/* Nothing changes: nothing to say, to anyone. */
	assert_int_equal(kk_rules_check_item(violations, &ctx, old, old), 0);
	assert_int_equal(json_array_size(violations), 3);
	json_decref(violations);
	json_decref(names_json);
	json_decref(old);
	json_decref(new);
	json_decref(s);
}

/* Removing an item, which the protocol does not offer yet: admin only, and not a closed year. */
static void test_remove(void **state)
{
	json_t *s = settings(), *old = load_item(29), *violations = json_array();
	json_t *names_json = json_pack("[s]", "高齢福祉課");
	char *names[1];
	kk_identity who;
	kk_change_ctx ctx = {&who, s, "重複", 0};

	(void)state;
	acting_for(&who, names, names_json, 0);
	assert_int_equal(kk_rules_check_item(violations, &ctx, old, NULL), 1);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(violations, 0), "message")),
		"cannot remove item 29: only an admin may remove items");
	json_array_clear(violations);
	who.admin = 1;
	assert_int_equal(kk_rules_check_item(violations, &ctx, old, NULL), 4);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(violations, 0), "path")),
		"years.2020.planned");
	json_array_clear(violations);
	ctx.correction = 1;
	assert_int_equal(kk_rules_check_item(violations, &ctx, old, NULL), 0);
	json_decref(violations);
	json_decref(names_json);
	json_decref(old);
	json_decref(s);
}

static void test_check_file(void **state)
{
	json_t *s = settings(), *old = kk_test_load_json(EXAMPLE "/departments.json"), *new,
	       *violations;
	json_t *patch = kk_test_parse("{\"departments\": [{\"name\": \"総務課\", \"users\": "
				      "[\"tester\"], \"admin\": true}]}");
	json_t *names_json = json_pack("[s]", "総務課");
	char *names[1];
	kk_identity who;
	kk_change_ctx ctx = {&who, s, "権限の追加", 0};

	(void)state;
	assert_int_equal(kk_patch_apply(&new, old, patch, NULL), 0);
	acting_for(&who, names, names_json, 0);
	violations = json_array();
	assert_int_equal(kk_rules_check_file(violations, &ctx, "departments.json", old, new), 1);
	{
		json_t *want = kk_test_parse(
			"[{\"file\": \"departments.json\", \"path\": \"\", \"rule\": \"admin-only\", "
			"\"message\": \"cannot change 'departments.json': only an admin may change "
			"it\"}]");

		if (!json_equal(violations, want))
			fail_with("departments.json by a department", violations, want);
		json_decref(want);
	}
	assert_true(kk_rules_forbidden(violations));
	json_array_clear(violations);
	/* Creating the file counts; no change does not. */
	assert_int_equal(kk_rules_check_file(violations, &ctx, "plan.json", NULL, new), 1);
	assert_int_equal(kk_rules_check_file(violations, &ctx, "plan.json", old, old), 0);
	assert_int_equal(json_array_size(violations), 1);
	json_array_clear(violations);
	who.admin = 1;
	ctx.reason = NULL;
	assert_int_equal(kk_rules_check_file(violations, &ctx, "departments.json", old, new), 0);
	assert_int_equal(json_array_size(violations), 0);
	/* Who may sign the plan: an admin's change, and only with a reason. */
	{
		json_t *before = json_string("a ssh-ed25519 AAAA\n"), *after = json_string("");
		json_t *want = kk_test_parse(
			"[{\"file\": \"allowed_signers\", \"path\": \"\", \"rule\": "
			"\"reason-required\", \"message\": \"cannot change 'allowed_signers': a "
			"change to who may sign the plan needs a reason\"}]");

		assert_int_equal(kk_rules_check_file(violations, &ctx, "allowed_signers", before,
						     after),
				 1);
		if (!json_equal(violations, want))
			fail_with("allowed_signers without a reason", violations, want);
		assert_false(kk_rules_forbidden(violations));
		json_array_clear(violations);
		ctx.reason = "鍵の廃止";
		assert_int_equal(kk_rules_check_file(violations, &ctx, "allowed_signers", before,
						     after),
				 0);
		who.admin = 0;
		assert_int_equal(kk_rules_check_file(violations, &ctx, "allowed_signers", NULL,
						     after),
				 1);
		assert_string_equal(json_string_value(json_object_get(json_array_get(violations, 0),
								      "rule")),
				    "admin-only");
		json_decref(before);
		json_decref(after);
		json_decref(want);
	}
	json_decref(violations);
	json_decref(names_json);
	json_decref(patch);
	json_decref(old);
	json_decref(new);
	json_decref(s);
}

static void test_forbidden(void **state)
{
	static const struct {
		const char *rule;
		int forbidden;
	} rules[] = {
		{KK_RULE_NOT_OWNER, 1},	     {KK_RULE_NOT_PERMITTED, 1},
		{KK_RULE_ADMIN_ONLY, 1},     {KK_RULE_YEAR_NOT_OPEN, 1},
		{KK_RULE_FROZEN_PLANNED, 0}, {KK_RULE_REASON_REQUIRED, 0},
		{KK_RULE_CLOSED_YEAR, 0},    {KK_RULE_COOWNER_TEXT, 0},
	};
	json_t *mixed = json_array(), *v;

	(void)state;
	assert_string_equal(KK_RULE_NOT_OWNER, "not-owner");
	assert_string_equal(KK_RULE_YEAR_NOT_OPEN, "year-not-open");
	for (size_t i = 0; i < sizeof(rules) / sizeof(*rules); i++) {
		v = json_pack("[{s:i, s:s, s:s, s:s}]", "item", 1, "path", "", "rule",
			      rules[i].rule, "message", "m");
		if (kk_rules_forbidden(v) != rules[i].forbidden)
			fail_msg("%s", rules[i].rule);
		json_decref(v);
	}
	assert_false(kk_rules_forbidden(mixed));
	json_array_append_new(mixed, json_pack("{s:s}", "rule", KK_RULE_CLOSED_YEAR));
	json_array_append_new(mixed, json_pack("{s:s}", "path", "title"));
	assert_false(kk_rules_forbidden(mixed));
	json_array_append_new(mixed, json_pack("{s:s}", "rule", KK_RULE_NOT_PERMITTED));
	assert_true(kk_rules_forbidden(mixed));
	json_decref(mixed);
}

/* --- rule 6: co-owned texts --- */

/*
 * Who wrote each line of item 5's FY2021 result, as the history gives it:
 * the import's heading (an admin's), 税務課's line, a blank line, 市民課's part.
 */
static const char coowned_lines[] = "[{\"text\": \"【税務課】\", \"department\": null}, "
				    "{\"text\": \"・納税証明書\", \"department\": \"税務課\"}, "
				    "{\"text\": \"\", \"department\": \"市民課\"}, "
				    "{\"text\": \"　\", \"department\": null}, "
				    "{\"text\": \"【戸籍関係】\", \"department\": \"市民課\"}, "
				    "{\"text\": \"・広域交付\", \"department\": \"市民課\"}]";

/*
 * Checks `new_text` for someone acting for `dept`: the violations appended,
 * as JSON text ("[]" for none).
 */
static void assert_coowner(const char *dept, const char *new_text, const char *expected)
{
	json_t *names_json = json_pack("[s]", dept), *lines = kk_test_parse(coowned_lines);
	json_t *violations = json_array();
	char *names[1];
	kk_identity who;
	kk_change_ctx ctx = {&who, NULL, NULL, 0};
	int n;

	acting_for(&who, names, names_json, 0);
	n = kk_rules_check_coowner_text(violations, &ctx, 5, "years.2021.result", lines, new_text);
	assert_int_equal(n, json_array_size(violations));
	kk_assert_json_exact(violations, expected);
	json_decref(violations);
	json_decref(lines);
	json_decref(names_json);
}

/* The violation of 市民課 losing or moving lines, with `keep` as JSON text. */
static char *coowner_violation(const char *keep)
{
	char *out = NULL;

	assert_true(
		asprintf(&out,
			 "[{\"item\": 5, \"path\": \"years.2021.result\", \"rule\": "
			 "\"co-owner-text\", \"message\": \"cannot change 'years.2021.result' "
			 "of item 5: the item's other owner departments or an admin wrote lines "
			 "of it that the new text leaves out or moves; keep those lines, in their "
			 "order (your own lines you may change, and you may add lines "
			 "anywhere)\", \"keep\": %s}]",
			 keep) > 0);
	return out;
}

static void test_coowner_text(void **state)
{
	char *v;

	(void)state;
	/* 市民課 changes its own part and adds lines anywhere; blank lines are no one's. */
	assert_coowner("市民課",
		       "前書き\n【税務課】\n・追記\n・納税証明書\n【戸籍関係】\n・広域交付 (済)",
		       "[]");
	/* Replacing the whole text, or removing it, loses 税務課's line and the admin's heading. */
	v = coowner_violation("[{\"line\": 1, \"text\": \"【税務課】\", \"author\": \"admin\", "
			      "\"missing\": true}, {\"line\": 2, \"text\": \"・納税証明書\", "
			      "\"author\": \"税務課\", \"missing\": true}]");
	assert_coowner("市民課", "【戸籍関係】\n・取り下げる", v);
	assert_coowner("市民課", NULL, v);
	free(v);
	/* Putting them out of order, or changing one by a character, loses one. */
	v = coowner_violation("[{\"line\": 1, \"text\": \"【税務課】\", \"author\": \"admin\", "
			      "\"missing\": false}, {\"line\": 2, \"text\": \"・納税証明書\", "
			      "\"author\": \"税務課\", \"missing\": true}]");
	assert_coowner("市民課", "・納税証明書\n【税務課】", v);
	assert_coowner("市民課", "【税務課】\n・納税証明書。", v);
	free(v);
	/* 税務課 may drop its own line, not 市民課's part nor the admin's heading. */
	assert_coowner("税務課", "【税務課】\n・取り下げる\n【戸籍関係】\n・広域交付", "[]");
	assert_coowner(
		"税務課", "【税務課】\n・取り下げる",
		"[{\"item\": 5, \"path\": \"years.2021.result\", \"rule\": "
		"\"co-owner-text\", \"message\": \"cannot change 'years.2021.result' of item "
		"5: the item's other owner departments or an admin wrote lines of it that the "
		"new text leaves out or moves; keep those lines, in their order (your own lines "
		"you may change, and you may add lines anywhere)\", \"keep\": [{\"line\": 1, "
		"\"text\": \"【税務課】\", \"author\": \"admin\", \"missing\": false}, "
		"{\"line\": 5, \"text\": \"【戸籍関係】\", \"author\": \"市民課\", "
		"\"missing\": true}, {\"line\": 6, \"text\": \"・広域交付\", \"author\": "
		"\"市民課\", \"missing\": true}]}]");
}

/* Which changes need the check: owners' (not admins') texts of items with several owners. */
static void test_coowner_text_which(void **state)
{
	json_t *item5 = load_item(5), *item29 = load_item(29);
	json_t *shimin = json_pack("[s]", "市民課"), *dx = json_pack("[s]", "デジタル戦略課");
	char *names[1];
	kk_identity who;
	kk_change_ctx ctx = {&who, NULL, NULL, 0};

	(void)state;
	acting_for(&who, names, shimin, 0);
	assert_true(kk_rules_coowner_text(&ctx, item5, "years.2021.result"));
	assert_true(kk_rules_coowner_text(&ctx, item5, "years.2022.revised"));
	assert_false(kk_rules_coowner_text(&ctx, item5, "years.2021.progress"));
	assert_false(kk_rules_coowner_text(&ctx, item5, "years.2021.planned"));
	assert_false(kk_rules_coowner_text(&ctx, item5, "years.2021"));
	assert_false(kk_rules_coowner_text(&ctx, item5, "title"));
	/* 高齢福祉課 owns item 29 alone; 市民課 owns no part of it. */
	assert_false(kk_rules_coowner_text(&ctx, item29, "years.2021.result"));
	acting_for(&who, names, dx, 1);
	assert_false(kk_rules_coowner_text(&ctx, item5, "years.2021.result"));
	acting_for(&who, names, dx, 0);
	assert_false(kk_rules_coowner_text(&ctx, item5, "years.2021.result"));
	json_decref(item5);
	json_decref(item29);
	json_decref(shimin);
	json_decref(dx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_check_file),
		cmocka_unit_test(test_forbidden),
		cmocka_unit_test(test_coowner_text),
		cmocka_unit_test(test_coowner_text_which),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
