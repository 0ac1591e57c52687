/*
 * test_schema.c - the draft-07 validator: the whole official test suite,
 * then exact errors (pointer and message) for the cases users will meet,
 * and the ways validation itself can fail.
 */
#include "testutil.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "json.h"
#include "schema.h"

#define SUITE_DIR   KK_TEST_SUITE_DIR "/tests/draft7"
#define REMOTES_DIR KK_TEST_SUITE_DIR "/remotes/"
#define REMOTES_URL "http://localhost:1234/"
#define FIXTURES    KK_SOURCE_DIR "/tests/fixtures/schema"

/*
 * The number of cases in the draft-07 directory of Debian's
 * json-schema-test-suite 2.0.0, so that a file gone missing cannot make
 * the suite pass by running less of it.
 */
#define SUITE_CASES 423

static kk_schema_registry *new_registry(void)
{
	kk_schema_registry *reg = NULL;
	kk_diag diag = {0};

	assert_int_equal(kk_schema_registry_new(&reg), 0);
	assert_int_equal(kk_schema_registry_map(reg, REMOTES_URL, REMOTES_DIR, &diag), 0);
	return reg;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The suite's *.json files (not optional/), sorted so that the output is stable. */
static char **suite_files(size_t *count)
{
	DIR *dir = opendir(SUITE_DIR);
	struct dirent *entry;
	char **names = NULL;
	size_t n = 0, alloc = 0;

	if (!dir)
		fail_msg("cannot open '%s'", SUITE_DIR);
	while ((entry = readdir(dir)) != NULL) {
		size_t len = strlen(entry->d_name);

		if (len < 6 || strcmp(entry->d_name + len - 5, ".json") != 0)
			continue;
		assert_int_equal(KK_ARRAY_GROW(names, n + 1, alloc), 0);
		assert_non_null(names[n++] = strdup(entry->d_name));
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), compare_names);
	*count = n;
	return names;
}

/*
 * Runs one test case.  Besides the verdict, the result must be coherent:
 * errors exactly when invalid.
 */
static int run_case(kk_schema *schema, const json_t *test, const char *file, const char *group)
{
	const char *description = json_string_value(json_object_get(test, "description"));
	int valid = json_is_true(json_object_get(test, "valid"));
	kk_diaglist errors = {0};
	kk_diag diag = {0};
	int rc, ok;

	rc = kk_schema_validate(schema, json_object_get(test, "data"), &errors, &diag);
	ok = valid ? rc == 0 && errors.count == 0 : rc == KK_EINVALID && errors.count > 0;
	if (!ok)
		printf("FAIL %s: %s: %s: expected %s, got %d (%s) with %zu errors\n", file, group,
		       description, valid ? "valid" : "invalid", rc, diag.message, errors.count);
	kk_diaglist_clear(&errors);
	return ok;
}

static void test_official_suite(void **state)
{
	kk_schema_registry *reg = new_registry();
	size_t nfiles, f, g, t, passed = 0, total = 0;
	char **files = suite_files(&nfiles);

	(void)state;
	for (f = 0; f < nfiles; f++) {
		char path[4096];
		json_t *doc, *group;

		snprintf(path, sizeof(path), "%s/%s", SUITE_DIR, files[f]);
		doc = kk_test_load_json(path);
		json_array_foreach(doc, g, group) {
			json_t *tests = json_object_get(group, "tests"), *test;
			const char *gdesc;
			kk_schema *schema = NULL;
			kk_diag diag = {0};

			gdesc = json_string_value(json_object_get(group, "description"));
			if (kk_schema_compile(&schema, reg, json_object_get(group, "schema"), NULL,
					      &diag) < 0) {
				printf("FAIL %s: %s: cannot compile: %s\n", files[f], gdesc,
				       diag.message);
				total += json_array_size(tests);
				continue;
			}
			json_array_foreach(tests, t, test) {
				total++;
				passed += run_case(schema, test, files[f], gdesc);
			}
			kk_schema_free(schema);
		}
		json_decref(doc);
		free(files[f]);
	}
	free(files);
	kk_schema_registry_free(reg);

	printf("draft7: %zu/%zu cases passed\n", passed, total);
	fflush(stdout);
	assert_int_equal(total, SUITE_CASES);
	assert_int_equal(passed, total);
}

/* Whether `errors` are exactly the [pointer, message] pairs of `expected`, in order. */
static bool same_errors(const kk_diaglist *errors, const json_t *expected)
{
	const json_t *pair;
	size_t i;

	if (errors->count != json_array_size(expected))
		return false;
	json_array_foreach(expected, i, pair) {
		if (errors->items[i].code != KK_EINVALID ||
		    strcmp(errors->items[i].pointer, json_string_value(json_array_get(pair, 0))) ||
		    strcmp(errors->items[i].message, json_string_value(json_array_get(pair, 1))))
			return false;
	}
	return true;
}

/* The data-driven cases of tests/fixtures/schema/errors.json: exact pointers and messages. */
static void test_error_cases(void **state)
{
	kk_schema_registry *reg = new_registry();
	json_t *cases = kk_test_load_json(FIXTURES "/errors.json"), *c;
	size_t i, e;

	(void)state;
	json_array_foreach(cases, i, c) {
		const char *description = json_string_value(json_object_get(c, "description"));
		json_t *schema_json = json_object_get(c, "schema");
		json_t *expected = json_object_get(c, "errors");
		kk_diaglist errors = {0};
		kk_schema *schema = NULL;
		kk_diag diag = {0};
		int rc;

		if (json_is_string(schema_json)) {
			const char *file = json_string_value(schema_json);
			char path[1024];

			snprintf(path, sizeof(path), "%s/%s", FIXTURES, file);
			schema_json = kk_test_load_json(path);
		} else {
			json_incref(schema_json);
		}
		if (kk_schema_compile(&schema, reg, schema_json, NULL, &diag) < 0)
			fail_msg("%s: cannot compile: %s", description, diag.message);
		rc = kk_schema_validate(schema, json_object_get(c, "instance"), &errors, &diag);
		if (rc != (json_array_size(expected) ? KK_EINVALID : 0) ||
		    !same_errors(&errors, expected)) {
			print_error("%s: returned %d (%s), with these errors:\n", description, rc,
				    diag.message);
			for (e = 0; e < errors.count; e++)
				print_error("  [\"%s\", \"%s\"]\n", errors.items[e].pointer,
					    errors.items[e].message);
			fail_msg("%s: not the expected errors", description);
		}
		kk_diaglist_clear(&errors);
		kk_schema_free(schema);
		json_decref(schema_json);
	}
	json_decref(cases);
	kk_schema_registry_free(reg);
}

/*
 * Compiles `schema_text` and validates `instance_text`, expecting `code`;
 * returns the errors (the caller frees them) and fills `diag`.  When
 * validation could not be carried out there must be no errors at all: a
 * part of the list would pass for the whole.
 */
static kk_diaglist check(kk_schema_registry *reg, const char *schema_text,
			 const char *instance_text, int code, kk_diag *diag)
{
	json_t *schema_json = kk_test_parse(schema_text), *instance = kk_test_parse(instance_text);
	kk_diaglist errors = {0};
	kk_schema *schema = NULL;

	memset(diag, 0, sizeof(*diag));
	if (kk_schema_compile(&schema, reg, schema_json, NULL, diag) < 0)
		fail_msg("cannot compile %s: %s", schema_text, diag->message);
	assert_int_equal(kk_schema_validate(schema, instance, &errors, diag), code);
	if (code != 0 && code != KK_EINVALID) {
		assert_int_equal(errors.count, 0);
		kk_diaglist_clear(&errors);
	}
	kk_schema_free(schema);
	json_decref(schema_json);
	json_decref(instance);
	return errors;
}

static void test_unresolvable_ref(void **state)
{
	kk_schema_registry *reg = new_registry();
	kk_diaglist errors;
	kk_diag diag;

	(void)state;
	errors = check(reg, "{\"properties\": {\"a\": {\"$ref\": \"#/definitions/missing\"}}}",
		       "{\"a\": 1}", KK_ENOTFOUND, &diag);
	assert_int_equal(diag.code, KK_ENOTFOUND);
	assert_string_equal(diag.message, "cannot resolve reference '#/definitions/missing'");
	assert_string_equal(diag.pointer, "/a");
	assert_int_equal(errors.count, 0);

	/* a mapped prefix whose file does not exist */
	errors = check(reg, "{\"$ref\": \"http://localhost:1234/missing.json#/a\"}", "1",
		       KK_ENOTFOUND, &diag);
	assert_string_equal(diag.message,
			    "cannot resolve reference 'http://localhost:1234/missing.json#/a'");
	/* no mapping, and no climbing out of a mapped directory */
	errors = check(reg, "{\"$ref\": \"http://elsewhere.invalid/x.json\"}", "1", KK_ENOTFOUND,
		       &diag);
	assert_string_equal(diag.message,
			    "cannot resolve reference 'http://elsewhere.invalid/x.json'");
	errors = check(reg, "{\"$ref\": \"http://localhost:1234/../tests/draft7/ref.json\"}", "1",
		       KK_ENOTFOUND, &diag);
	assert_string_equal(
		diag.message,
		"cannot resolve reference 'http://localhost:1234/tests/draft7/ref.json'");
	errors = check(reg, "{\"$ref\": \"http://localhost:1234/%2e%2e/tests/draft7/ref.json\"}",
		       "1", KK_ENOTFOUND, &diag);
	/* a plain name nobody defines */
	errors = check(reg, "{\"$ref\": \"#nowhere\"}", "1", KK_ENOTFOUND, &diag);
	assert_string_equal(diag.message, "cannot resolve reference '#nowhere'");
	/* errors found before the failure are withdrawn (check() asserts that) */
	errors = check(reg,
		       "{\"properties\": {\"a\": {\"type\": \"string\"},"
		       " \"b\": {\"$ref\": \"#/b\"}}}",
		       "{\"a\": 1, \"b\": 2}", KK_ENOTFOUND, &diag);
	assert_string_equal(diag.pointer, "/b");
	assert_int_equal(errors.count, 0);
	kk_diaglist_clear(&errors);
	kk_schema_registry_free(reg);
}

/* A $ref cycle that consumes no instance ends at the depth limit. */
static void test_ref_cycle(void **state)
{
	kk_schema_registry *reg = new_registry();
	kk_diaglist errors;
	kk_diag diag;

	(void)state;
	errors = check(reg, "{\"$ref\": \"#\"}", "1", KK_ELIMIT, &diag);
	assert_string_equal(diag.message, "schema is nested deeper than 512 levels");
	errors = check(reg,
		       "{\"definitions\": {\"a\": {\"anyOf\": [{\"$ref\": \"#/definitions/b\"}]},"
		       " \"b\": {\"not\": {\"$ref\": \"#/definitions/a\"}}},"
		       " \"properties\": {\"x\": {\"$ref\": \"#/definitions/a\"}}}",
		       "{\"x\": null}", KK_ELIMIT, &diag);
	assert_string_equal(diag.pointer, "/x");
	/* recursion that consumes the instance is fine */
	errors = check(reg, "{\"items\": {\"$ref\": \"#\"}, \"type\": \"array\"}", "[[[[]]], [1]]",
		       KK_EINVALID, &diag);
	assert_int_equal(errors.count, 1);
	assert_string_equal(errors.items[0].pointer, "/1/0");
	kk_diaglist_clear(&errors);
	kk_schema_registry_free(reg);
}

static void expect_not_a_schema(kk_schema_registry *reg, const char *text, const char *pointer,
				const char *message)
{
	json_t *schema_json = kk_test_parse(text);
	kk_schema *schema = NULL;
	kk_diag diag = {0};

	assert_int_equal(kk_schema_compile(&schema, reg, schema_json, NULL, &diag), KK_EINVALID);
	assert_null(schema);
	assert_int_equal(diag.code, KK_EINVALID);
	assert_string_equal(diag.pointer, pointer);
	assert_string_equal(diag.message, message);
	json_decref(schema_json);
}

static void test_not_a_schema(void **state)
{
	kk_schema_registry *reg = new_registry();

	(void)state;
	expect_not_a_schema(reg, "5", "",
			    "expected a schema (an object or a boolean), got an integer");
	expect_not_a_schema(reg, "[{}]", "",
			    "expected a schema (an object or a boolean), got an array");
	expect_not_a_schema(reg, "{\"properties\": {\"a/b\": {\"items\": [true, \"x\"]}}}",
			    "/properties/a~1b/items/1",
			    "expected a schema (an object or a boolean), got a string");
	expect_not_a_schema(reg, "{\"anyOf\": {}}", "/anyOf", "expected an array, got an object");
	expect_not_a_schema(reg, "{\"definitions\": []}", "/definitions",
			    "expected an object, got an array");
	expect_not_a_schema(reg, "{\"$ref\": 1}", "/$ref", "expected a string, got an integer");
	expect_not_a_schema(reg, "{\"pattern\": \"(\"}", "/pattern",
			    "invalid regular expression '(': missing closing parenthesis");
	expect_not_a_schema(reg, "{\"patternProperties\": {\"[\": {}}}", "/patternProperties/[",
			    "invalid regular expression '[': missing terminating ] for character "
			    "class");
	kk_schema_registry_free(reg);
}

static void test_metaschema(void **state)
{
	kk_schema_registry *reg = new_registry();
	json_t *meta = kk_test_load_json(KK_SOURCE_DIR "/core/schema/metaschema/draft-07.json");
	kk_diaglist errors = {0};
	kk_schema *schema = NULL;
	kk_diag diag = {0};

	(void)state;
	/* compiled from the file, it accepts itself */
	assert_int_equal(kk_schema_compile(&schema, reg, meta, KK_SCHEMA_DRAFT7_URI, &diag), 0);
	assert_int_equal(kk_schema_validate(schema, meta, &errors, &diag), 0);
	assert_int_equal(errors.count, 0);
	kk_schema_free(schema);

	/* the built-in copy does too, and judges other schemas */
	errors = check(reg, "{\"$ref\": \"" KK_SCHEMA_DRAFT7_URI "#\"}",
		       "{\"type\": \"object\", \"properties\": {\"a\": {\"minimum\": 1}}}", 0,
		       &diag);
	assert_int_equal(errors.count, 0);
	errors = check(reg, "{\"$ref\": \"" KK_SCHEMA_DRAFT7_URI "\"}",
		       "{\"$id\": \"x\", \"definitions\": {\"y\": {\"$ref\": \"#\"}}}", 0, &diag);
	errors = check(reg, "{\"$ref\": \"" KK_SCHEMA_DRAFT7_URI "\"}",
		       "{\"type\": \"text\", \"properties\": {\"a\": {\"minLength\": -1}}}",
		       KK_EINVALID, &diag);
	assert_int_equal(errors.count, 2);
	assert_string_equal(errors.items[0].pointer, "/type");
	assert_string_equal(errors.items[0].message,
			    "does not match any of the allowed alternatives");
	assert_string_equal(errors.items[1].pointer, "/properties/a/minLength");
	assert_string_equal(errors.items[1].message, "must be at least 0");
	kk_diaglist_clear(&errors);
	json_decref(meta);
	kk_schema_registry_free(reg);
}

static void test_registry(void **state)
{
	kk_schema_registry *reg = new_registry();
	json_t *doc = kk_test_parse("{\"definitions\": {\"year\": {\"pattern\": \"^[0-9]{4}$\"}}}");
	char *dir = kk_test_mkdtemp(), url[64] = "http://files.invalid/schemas/";
	kk_diaglist errors;
	kk_diag diag = {0};

	(void)state;
	assert_int_equal(
		kk_schema_registry_add(reg, "https://keikaku.invalid/common.json#", doc, &diag), 0);
	assert_int_equal(
		kk_schema_registry_add(reg, "https://keikaku.invalid/common.json", doc, &diag),
		KK_EEXISTS);
	assert_string_equal(diag.message,
			    "schema 'https://keikaku.invalid/common.json' is already registered");
	assert_int_equal(kk_schema_registry_add(reg, KK_SCHEMA_DRAFT7_URI "#", doc, &diag),
			 KK_EEXISTS);
	json_decref(doc);
	errors = check(reg,
		       "{\"$id\": \"https://keikaku.invalid/item.json\", \"properties\": {\"y\": "
		       "{\"$ref\": \"common.json#/definitions/year\"}}}",
		       "{\"y\": \"21\"}", KK_EINVALID, &diag);
	assert_string_equal(errors.items[0].pointer, "/y");
	assert_string_equal(errors.items[0].message, "does not match pattern '^[0-9]{4}$'");
	kk_diaglist_clear(&errors);

	/* mapped files that are not JSON, or not schemas */
	assert_int_equal(kk_schema_registry_map(reg, url, dir, &diag), 0);
	assert_int_equal(kk_schema_registry_map(reg, "", dir, &diag), KK_EINVALID);
	{
		char path[1024], expected[512];

		snprintf(path, sizeof(path), "%s/bad.json", dir);
		kk_test_write(path, "{\n  \"type\": \"string\",,\n}\n", 25);
		snprintf(path, sizeof(path), "%s/sub/five.json", dir);
		kk_test_write(path, "5", 1);
		errors = check(reg, "{\"$ref\": \"http://files.invalid/schemas/bad.json\"}", "1",
			       KK_ERROR, &diag);
		assert_string_equal(diag.message,
				    "cannot load schema 'http://files.invalid/schemas/bad.json': "
				    "invalid JSON: string or '}' expected near ','");
		assert_int_equal(diag.line, 2);
		assert_int_equal(diag.column, 20);
		errors = check(reg, "{\"$ref\": \"http://files.invalid/schemas/sub/five.json\"}",
			       "1", KK_ERROR, &diag);
		snprintf(expected, sizeof(expected), "cannot load schema '%ssub/five.json': %s",
			 url, "expected a schema (an object or a boolean), got an integer");
		assert_string_equal(diag.message, expected);
	}
	kk_test_rmrf(dir);
	free(dir);
	kk_schema_registry_free(reg);
}

/* Without an error list, validation only answers yes or no. */
static void test_no_error_list(void **state)
{
	kk_schema_registry *reg = new_registry();
	json_t *schema_json = kk_test_parse("{\"type\": \"integer\"}");
	json_t *one = kk_test_parse("1"), *s = kk_test_parse("\"1\"");
	kk_schema *schema = NULL;
	kk_diag diag = {0};

	(void)state;
	assert_int_equal(kk_schema_compile(&schema, reg, schema_json, NULL, &diag), 0);
	assert_int_equal(kk_schema_validate(schema, one, NULL, &diag), 0);
	assert_int_equal(kk_schema_validate(schema, s, NULL, &diag), KK_EINVALID);
	kk_schema_free(schema);
	json_decref(schema_json);
	json_decref(one);
	json_decref(s);
	kk_schema_registry_free(reg);
}

/* A key too long for a kk_diag's pointer: reported at the object, the message cut cleanly. */
static void test_long_location(void **state)
{
	kk_schema_registry *reg = new_registry();
	char instance[1024] = "{\"";
	kk_diaglist errors;
	kk_diag diag;
	json_t *message;
	size_t i;

	(void)state;
	for (i = 0; i < 200; i++)
		strcat(instance, "あ");
	strcat(instance, "\": 1}");
	errors = check(reg, "{\"additionalProperties\": false}", instance, KK_EINVALID, &diag);
	assert_int_equal(errors.count, 1);
	assert_string_equal(errors.items[0].pointer, "");
	assert_int_equal(strncmp(errors.items[0].message, "property 'あああ", 19), 0);
	/* jansson refuses to make a string of invalid UTF-8 */
	assert_non_null(message = json_string(errors.items[0].message));
	json_decref(message);
	kk_diaglist_clear(&errors);
	kk_schema_registry_free(reg);
}

static kk_schema *compile_file(kk_schema_registry *reg, const char *path, json_t **json_out)
{
	kk_schema *schema = NULL;
	kk_diag diag = {0};

	*json_out = kk_test_load_json(path);
	if (kk_schema_compile(&schema, reg, *json_out, NULL, &diag) < 0)
		fail_msg("cannot compile '%s': %s", path, diag.message);
	return schema;
}

/* Validates the file at `path`, failing the test with the first error if any. */
static void expect_valid(kk_schema *schema, const char *path)
{
	json_t *instance = kk_test_load_json(path);
	kk_diaglist errors = {0};
	kk_diag diag = {0};

	if (kk_schema_validate(schema, instance, &errors, &diag) != 0)
		fail_msg("%s: %s: %s", path, errors.count ? errors.items[0].pointer : diag.pointer,
			 errors.count ? errors.items[0].message : diag.message);
	kk_diaglist_clear(&errors);
	json_decref(instance);
}

/* The shipped example plan validates against the shipped schemas. */
static void test_shipped_example(void **state)
{
	static const char *const files[] = {"keikaku", "departments", "plan"};
	kk_schema_registry *reg = new_registry();
	json_t *schema_json = NULL;
	kk_schema *schema;
	struct dirent *entry;
	char path[1024];
	size_t i, items = 0;
	DIR *dir;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/schema/%s.schema.json", KK_SOURCE_DIR, files[i]);
		schema = compile_file(reg, path, &schema_json);
		snprintf(path, sizeof(path), "%s/examples/dx-plan-r3/%s.json", KK_SOURCE_DIR,
			 files[i]);
		expect_valid(schema, path);
		kk_schema_free(schema);
		json_decref(schema_json);
	}

	schema = compile_file(reg, KK_SOURCE_DIR "/schema/item.schema.json", &schema_json);
	assert_non_null(dir = opendir(KK_SOURCE_DIR "/examples/dx-plan-r3/items"));
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/examples/dx-plan-r3/items/%s", KK_SOURCE_DIR,
			 entry->d_name);
		expect_valid(schema, path);
		items++;
	}
	closedir(dir);
	assert_true(items > 0);
	kk_schema_free(schema);
	json_decref(schema_json);
	kk_schema_registry_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_official_suite),	 cmocka_unit_test(test_error_cases),
		cmocka_unit_test(test_unresolvable_ref), cmocka_unit_test(test_ref_cycle),
		cmocka_unit_test(test_not_a_schema),	 cmocka_unit_test(test_metaschema),
		cmocka_unit_test(test_registry),	 cmocka_unit_test(test_no_error_list),
		cmocka_unit_test(test_long_location),	 cmocka_unit_test(test_shipped_example),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
