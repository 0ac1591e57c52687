/* Tests for core/plan/verify: every rule, with its exact message, on the example plan. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "verify.h"

static void put(kk_fileset *set, const char *path, const char *text)
{
	assert_int_equal(kk_fileset_put(set, path, text, strlen(text), NULL), 0);
}

/* Replaces the first occurrence of `from` in file `path` with `to`. */
static void edit(kk_fileset *set, const char *path, const char *from, const char *to)
{
	const kk_file *f = kk_fileset_get(set, path);
	char *at, *text;

	assert_non_null(f);
	assert_non_null(at = strstr(f->data, from));
	assert_true(asprintf(&text, "%.*s%s%s", (int)(at - f->data), f->data, to,
			     at + strlen(from)) > 0);
	put(set, path, text);
	free(text);
}

/* Runs the verifier and returns its problems as "path: pointer: message" lines. */
static char *check(const kk_fileset *set)
{
	kk_verifier *v = NULL;
	kk_diaglist problems = {0};
	kk_diag diag = {0};
	char *out = strdup("");

	assert_int_equal(kk_verifier_new(&v), 0);
	if (kk_verifier_check(v, set, 0, &problems, &diag) < 0)
		fail_msg("check: %s", diag.message);
	for (size_t i = 0; i < problems.count; i++) {
		char *next;

		assert_true(asprintf(&next, "%s%s: %s: %s\n", out, problems.items[i].path,
				     problems.items[i].pointer, problems.items[i].message) > 0);
		free(out);
		out = next;
	}
	kk_diaglist_clear(&problems);
	kk_verifier_free(v);
	return out;
}

static void expect(const kk_fileset *set, const char *expected)
{
	char *got = check(set);

	assert_string_equal(got, expected);
	free(got);
}

static void test_example_is_clean(void **state)
{
	kk_fileset set = {0};

	(void)state;
	kk_test_load_example(&set);
	assert_int_equal(set.count, 42);
	expect(&set, "");
	kk_fileset_clear(&set);
}

static void test_schema_errors(void **state)
{
	kk_fileset set = {0};

	(void)state;
	kk_test_load_example(&set);
	edit(&set, "items/0026.json", "\"on_track\"", "\"late\"");
	edit(&set, "items/0025.json", "  \"status\"", "  \"colour\": \"red\",\n  \"status\"");
	expect(&set,
	       "items/0025.json: /colour: property 'colour' is not allowed\n"
	       "items/0025.json: : not in canonical form (run 'keikaku fmt items/0025.json')\n"
	       "items/0026.json: /years/2021/progress: must be one of \"ahead\", \"on_track\", "
	       "\"behind\"\n");
	kk_fileset_clear(&set);
}

static void test_references(void **state)
{
	kk_fileset set = {0};

	(void)state;
	kk_test_load_example(&set);
	edit(&set, "items/0001.json", "\"各課\"", "\"企画課\"");
	edit(&set, "items/0008.json", "\"公民館ほか\"", "\"図書館\"");
	edit(&set, "items/0002.json", "\"pillar\": 1", "\"pillar\": 9");
	edit(&set, "items/0003.json", "\"section\": 1", "\"section\": 9");
	edit(&set, "items/0004.json", "\"measure\": 4", "\"measure\": 99");
	edit(&set, "items/0005.json", "\"2020\": {",
	     "\"2019\": {\n      \"planned\": \"検討\"\n    },\n    \"2020\": {");
	expect(&set,
	       "items/0001.json: /owners/0: department '企画課' does not exist\n"
	       "items/0002.json: /pillar: pillar 9 does not exist in plan.json\n"
	       "items/0003.json: /section: section 9 of pillar 1 does not exist in plan.json\n"
	       "items/0004.json: /measure: measure 99 of section 1.1 does not exist in plan.json\n"
	       "items/0005.json: /years/2019: fiscal year 2019 is not a year of the plan in "
	       "keikaku.json\n"
	       "items/0008.json: /related/0: department '図書館' does not exist\n");
	kk_fileset_clear(&set);
}

static void test_file_names(void **state)
{
	kk_fileset set = {0};

	(void)state;
	kk_test_load_example(&set);
	edit(&set, "items/0007.json", "\"id\": 7", "\"id\": 70");
	put(&set, "items/26.json", kk_fileset_get(&set, "items/0026.json")->data);
	put(&set, "notes.txt", "hello\n");
	put(&set, "README.md", "allowed\n");
	expect(&set, "items/0007.json: /id: id 70 does not match the file name (expected 7)\n"
		     "items/26.json: : item files are named items/NNNN.json after the item's id, "
		     "zero-padded to 4 digits\n"
		     "notes.txt: : unexpected file\n");
	kk_fileset_clear(&set);
}

static void test_plan_files(void **state)
{
	kk_fileset set = {0};

	(void)state;
	kk_test_load_example(&set);
	edit(&set, "departments.json", "\"name\": \"収税課\"", "\"name\": \"財政課\"");
	edit(&set, "plan.json", "\"number\": 2,\n              \"title\": \"電子申請",
	     "\"number\": 1,\n              \"title\": \"電子申請");
	edit(&set, "keikaku.json", "\"04-01\"", "\"4-1\"");
	expect(&set,
	       "keikaku.json: /fiscal_year_start: does not match pattern "
	       "'^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'\n"
	       "departments.json: /departments/3/name: department '財政課' is listed twice\n"
	       "plan.json: /pillars/0/sections/0/measures/1/number: measure 1 is listed twice\n"
	       "items/0002.json: /measure: measure 2 of section 1.1 does not exist in plan.json\n"
	       "items/0003.json: /owners/0: department '収税課' does not exist\n");
	kk_fileset_clear(&set);
}

static void test_parse_errors_and_schemas(void **state)
{
	kk_fileset set = {0};

	(void)state;
	kk_test_load_example(&set);
	put(&set, "items/0009.json", "{\n  \"id\": 9,\n  \"id\": 9\n}\n");
	put(&set, "schema/plan.schema.json", "{\"type\": 12}\n");
	put(&set, "schema/departments.schema.json", "{\n");
	expect(&set,
	       "schema/departments.schema.json: : line 2, column 1: unexpected end of input\n"
	       "schema/plan.schema.json: /type: not a valid schema: does not match any of the "
	       "allowed alternatives\n"
	       "items/0009.json: : line 3, column 3: duplicate key 'id'\n");
	kk_fileset_clear(&set);
}

static void test_missing_files(void **state)
{
	kk_fileset set = {0};

	(void)state;
	put(&set, "keikaku.json", "{}\n");
	expect(&set,
	       "schema/keikaku.schema.json: : schema 'schema/keikaku.schema.json' is missing\n"
	       "schema/departments.schema.json: : schema 'schema/departments.schema.json' is "
	       "missing\n"
	       "schema/plan.schema.json: : schema 'schema/plan.schema.json' is missing\n"
	       "schema/item.schema.json: : schema 'schema/item.schema.json' is missing\n"
	       "departments.json: : 'departments.json' is missing\n"
	       "plan.json: : 'plan.json' is missing\n");
	kk_fileset_clear(&set);
}

/* Walking history: a problem is reported once, where it first appears. */
static void test_only_new(void **state)
{
	kk_fileset set = {0};
	kk_verifier *v = NULL;
	kk_diaglist problems = {0};

	(void)state;
	kk_test_load_example(&set);
	edit(&set, "items/0026.json", "\"on_track\"", "\"late\"");
	assert_int_equal(kk_verifier_new(&v), 0);
	assert_int_equal(kk_verifier_check(v, &set, 1, &problems, NULL), 0);
	assert_int_equal(problems.count, 1);
	/* The same tree again: nothing new. */
	assert_int_equal(kk_verifier_check(v, &set, 1, &problems, NULL), 0);
	assert_int_equal(problems.count, 1);
	/* A department vanishes: items are re-checked against the new list. */
	edit(&set, "departments.json", "\"収税課\"", "\"収税課X\"");
	assert_int_equal(kk_verifier_check(v, &set, 1, &problems, NULL), 0);
	assert_int_equal(problems.count, 2);
	assert_string_equal(problems.items[1].message, "department '収税課' does not exist");
	/* Without only_new, everything is reported again. */
	assert_int_equal(kk_verifier_check(v, &set, 0, &problems, NULL), 0);
	assert_int_equal(problems.count, 4);
	kk_diaglist_clear(&problems);
	kk_verifier_free(v);
	kk_fileset_clear(&set);
}

static void test_canonicalize(void **state)
{
	kk_fileset set = {0};
	kk_diaglist problems = {0};

	(void)state;
	kk_test_load_example(&set);
	put(&set, "items/0001.json",
	    "{\"years\": {}, \"status\": \"open\", \"related\": [], \"owners\": [\"各課\"], "
	    "\"title\": \"申請のオンライン化\", \"measure\": 1, \"section\": 1, \"pillar\": 1, "
	    "\"id\": 1}");
	put(&set, "items/0002.json", "{oops");
	assert_int_equal(kk_verify_canonicalize(&set, &problems, NULL), 0);
	assert_int_equal(problems.count, 1);
	assert_string_equal(problems.items[0].path, "items/0002.json");
	assert_string_equal(
		kk_fileset_get(&set, "items/0001.json")->data,
		"{\n  \"id\": 1,\n  \"pillar\": 1,\n  \"section\": 1,\n  \"measure\": 1,\n"
		"  \"title\": \"申請のオンライン化\",\n  \"owners\": [\n    \"各課\"\n  ],\n"
		"  \"related\": [],\n  \"status\": \"open\",\n  \"years\": {}\n}\n");
	kk_diaglist_clear(&problems);
	kk_fileset_clear(&set);
}

/*
 * Files the caller wrote canonically are not judged on their form again,
 * but on everything else; a listed path with other bytes is judged in full.
 */
static void test_check_written(void **state)
{
	kk_fileset set = {0}, written = {0};
	kk_verifier *v = NULL;
	kk_diaglist problems = {0};
	const kk_file *f;

	(void)state;
	kk_test_load_example(&set);
	edit(&set, "items/0025.json", "  \"status\"", "  \"colour\": \"red\",\n  \"status\"");
	edit(&set, "items/0026.json", "\n}\n", "}\n");
	f = kk_fileset_get(&set, "items/0025.json");
	assert_int_equal(kk_fileset_put(&written, f->path, f->data, f->len, NULL), 0);
	assert_int_equal(kk_fileset_put(&written, "items/0026.json", "{}", 2, NULL), 0);
	assert_int_equal(kk_verifier_new(&v), 0);
	assert_int_equal(kk_verifier_check_written(v, &set, &written, &problems, NULL), 0);
	assert_int_equal(problems.count, 2);
	assert_string_equal(problems.items[0].path, "items/0025.json");
	assert_string_equal(problems.items[0].message, "property 'colour' is not allowed");
	assert_string_equal(problems.items[1].path, "items/0026.json");
	assert_string_equal(problems.items[1].message,
			    "not in canonical form (run 'keikaku fmt items/0026.json')");
	kk_diaglist_clear(&problems);
	kk_verifier_free(v);
	kk_fileset_clear(&written);
	kk_fileset_clear(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_is_clean),
		cmocka_unit_test(test_schema_errors),
		cmocka_unit_test(test_references),
		cmocka_unit_test(test_file_names),
		cmocka_unit_test(test_plan_files),
		cmocka_unit_test(test_parse_errors_and_schemas),
		cmocka_unit_test(test_missing_files),
		cmocka_unit_test(test_only_new),
		cmocka_unit_test(test_canonicalize),
		cmocka_unit_test(test_check_written),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
