/*
 * test_json.c - the strict JSON reader: every way an input can be refused,
 * with the exact code, message and position, and the helpers around it.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define FIXTURES KK_SOURCE_DIR "/tests/fixtures/json"

/* An input in tests/fixtures/json/ and how the reader must refuse it. */
typedef struct bad_input {
	const char *file;
	size_t max_depth; /* 0: the default */
	int code;
	const char *message;
	size_t line, column, position;
} bad_input;

static const bad_input bad_inputs[] = {
	/* duplicate keys, located at the second occurrence; columns count characters */
	{"duplicate-key.json", 0, KK_EINVALID, "duplicate key 'title'", 4, 3, 70},
	{"duplicate-key-escaped.json", 0, KK_EINVALID, "duplicate key 'ab'", 1, 16, 15},
	{"duplicate-key-nested.json", 0, KK_EINVALID, "duplicate key '名前'", 3, 26, 50},
	/* UTF-8: a stray byte, an overlong form, an encoded surrogate, a cut sequence */
	{"invalid-utf8.json", 0, KK_EINVALID, "invalid UTF-8", 1, 14, 13},
	{"overlong-utf8.json", 0, KK_EINVALID, "invalid UTF-8", 1, 3, 2},
	{"surrogate-utf8.json", 0, KK_EINVALID, "invalid UTF-8", 1, 3, 2},
	{"truncated-utf8.json", 0, KK_EINVALID, "invalid UTF-8", 1, 3, 2},
	/* escapes */
	{"lone-surrogate.json", 0, KK_EINVALID, "invalid Unicode escape '\\ud800'", 1, 9, 8},
	{"lone-low-surrogate.json", 0, KK_EINVALID, "invalid Unicode escape '\\udc00'", 1, 2, 1},
	{"nul-escape.json", 0, KK_EINVALID, "NUL character (\\u0000) in string", 1, 9, 8},
	{"nul-escape-key.json", 0, KK_EINVALID, "NUL character (\\u0000) in string", 1, 4, 3},
	{"invalid-escape.json", 0, KK_EINVALID, "invalid escape sequence in string", 1, 3, 2},
	{"control-char.json", 0, KK_EINVALID, "unescaped control character in string", 1, 4, 3},
	/* truncated input, reported at its end */
	{"truncated.json", 0, KK_EINVALID, "unexpected end of input", 1, 12, 11},
	{"truncated-string.json", 0, KK_EINVALID, "unexpected end of input", 1, 11, 10},
	{"empty.json", 0, KK_EINVALID, "unexpected end of input", 1, 1, 0},
	/* grammar, left to jansson but located at the offending token */
	{"trailing.json", 0, KK_EINVALID, "unexpected data after the JSON value", 1, 10, 9},
	{"missing-comma.json", 0, KK_EINVALID, "invalid JSON: ']' expected near '2'", 1, 4, 3},
	{"bare-word.json", 0, KK_EINVALID, "invalid JSON: invalid token near 'tru'", 1, 7, 6},
	{"number-range.json", 0, KK_EINVALID, "number is out of range", 1, 7, 6},
	/* depth: at the first bracket past the limit */
	{"deep.json", 3, KK_ELIMIT, "nesting is deeper than 3 levels", 1, 4, 3},
	/* errors come in document order, whichever check finds them */
	{"syntax-before-deep.json", 3, KK_EINVALID, "invalid JSON: ']' expected near '2'", 1, 4, 3},
	{"duplicate-before-bad-utf8.json", 0, KK_EINVALID, "duplicate key 'a'", 1, 10, 9},
};

static void check_diag(const char *how, int rc, const kk_diag *diag, const bad_input *bad)
{
	if (rc != bad->code || diag->code != bad->code ||
	    strcmp(diag->message, bad->message) != 0 || strcmp(diag->pointer, "") != 0 ||
	    diag->line != bad->line || diag->column != bad->column ||
	    diag->position != bad->position)
		fail_msg("%s (%s): got %d '%s' at %zu:%zu (byte %zu), expected %d '%s' at "
			 "%zu:%zu (byte %zu)",
			 bad->file, how, diag->code, diag->message, diag->line, diag->column,
			 diag->position, bad->code, bad->message, bad->line, bad->column,
			 bad->position);
}

/* Each bad input, both from memory and from its file: the two must agree. */
static void test_bad_inputs(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
		const bad_input *bad = &bad_inputs[i];
		kk_json_limits limits = {0, bad->max_depth};
		char path[1024];
		json_t *value = NULL;
		kk_diag diag;
		size_t len;
		char *buf;
		int rc;

		snprintf(path, sizeof(path), "%s/%s", FIXTURES, bad->file);
		assert_non_null(buf = kk_test_slurp(path, &len));

		memset(&diag, 0x55, sizeof(diag));
		rc = kk_json_parse(&value, buf, len, &limits, &diag);
		check_diag("parse", rc, &diag, bad);
		assert_null(value);

		memset(&diag, 0x55, sizeof(diag));
		rc = kk_json_load_file(&value, path, &limits, &diag);
		check_diag("load_file", rc, &diag, bad);
		assert_null(value);
		free(buf);
	}
}

static void test_valid_document(void **state)
{
	json_t *value = NULL, *escaped;
	kk_diag diag = {0};

	(void)state;
	assert_int_equal(kk_json_load_file(&value, FIXTURES "/valid.json", NULL, &diag), 0);
	assert_int_equal(json_integer_value(json_object_get(value, "id")), 1);
	assert_string_equal(json_string_value(json_object_get(value, "title")),
			    "申請のオンライン化");
	escaped = json_object_get(value, "escaped");
	assert_string_equal(json_string_value(escaped), "tab\tquote\" slash/ é 😀");
	json_decref(value);

	/* brackets inside strings are not nesting */
	assert_int_equal(kk_json_load_file(&value, FIXTURES "/brackets-in-strings.json",
					   &(kk_json_limits){0, 2}, &diag),
			 0);
	json_decref(value);
}

/* Any value may stand at the top level. */
static void test_scalars(void **state)
{
	json_t *value = NULL;

	(void)state;
	assert_int_equal(kk_json_parse(&value, " 42 ", 4, NULL, NULL), 0);
	assert_int_equal(json_integer_value(value), 42);
	json_decref(value);
	assert_int_equal(kk_json_parse(&value, "\"x\"", 3, NULL, NULL), 0);
	assert_string_equal(json_string_value(value), "x");
	json_decref(value);
	assert_int_equal(kk_json_parse(&value, "null", 4, NULL, NULL), 0);
	assert_true(json_is_null(value));
	json_decref(value);
}

/* A raw NUL byte is refused as a control character, inside strings and out. */
static void test_raw_nul(void **state)
{
	json_t *value = NULL;
	kk_diag diag;

	(void)state;
	assert_int_equal(kk_json_parse(&value, "[\"a\0\"]", 6, NULL, &diag), KK_EINVALID);
	assert_string_equal(diag.message, "unescaped control character in string");
	assert_int_equal(diag.position, 3);
	assert_int_equal(kk_json_parse(&value, "[1,\0]", 5, NULL, &diag), KK_EINVALID);
	assert_string_equal(diag.message, "unexpected control character");
	assert_int_equal(diag.column, 4);
	assert_int_equal(diag.position, 3);
	assert_null(value);
}

static char *nested_arrays(size_t depth)
{
	char *buf = malloc(2 * depth + 1);
	size_t i;

	assert_non_null(buf);
	for (i = 0; i < depth; i++) {
		buf[i] = '[';
		buf[2 * depth - 1 - i] = ']';
	}
	buf[2 * depth] = '\0';
	return buf;
}

/* The default limit: 64 levels are fine, the 65th bracket is refused where it stands. */
static void test_default_depth(void **state)
{
	char *ok = nested_arrays(KK_JSON_MAX_DEPTH_DEFAULT);
	char *deep = nested_arrays(KK_JSON_MAX_DEPTH_DEFAULT + 1);
	json_t *value = NULL;
	kk_diag diag;

	(void)state;
	assert_int_equal(kk_json_parse(&value, ok, strlen(ok), NULL, &diag), 0);
	json_decref(value);
	value = NULL;
	assert_int_equal(kk_json_parse(&value, deep, strlen(deep), NULL, &diag), KK_ELIMIT);
	assert_null(value);
	assert_string_equal(diag.message, "nesting is deeper than 64 levels");
	assert_int_equal(diag.line, 1);
	assert_int_equal(diag.column, 65);
	assert_int_equal(diag.position, 64);
	free(ok);
	free(deep);
}

/* Far deeper than jansson would ever be allowed to recurse, and objects too. */
static void test_very_deep(void **state)
{
	size_t depth = 500000, i;
	char *buf = malloc(depth * 5 + 1);
	json_t *value = NULL;
	kk_diag diag;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < depth; i++)
		memcpy(buf + 5 * i, "{\"a\":", 5);
	buf[5 * depth] = '\0';
	assert_int_equal(kk_json_parse(&value, buf, 5 * depth, NULL, &diag), KK_ELIMIT);
	assert_int_equal(diag.position, 5 * 64);
	free(buf);
}

static void test_size_limit(void **state)
{
	kk_json_limits limits = {16, 0};
	json_t *value = NULL;
	kk_diag diag;

	(void)state;
	/* exactly the limit is fine */
	assert_int_equal(kk_json_parse(&value, "[1,2,3,4,5,6,78]", 16, &limits, &diag), 0);
	json_decref(value);
	value = NULL;
	memset(&diag, 0x55, sizeof(diag));
	assert_int_equal(kk_json_parse(&value, "[1,2,3,4,5,6,789]", 17, &limits, &diag), KK_ELIMIT);
	assert_null(value);
	assert_int_equal(diag.code, KK_ELIMIT);
	assert_string_equal(diag.message, "input is larger than 16 bytes");
	assert_string_equal(diag.pointer, "");
	assert_int_equal(diag.line, 0);
	assert_int_equal(diag.column, 0);
	assert_int_equal(diag.position, 0);
}

static void test_load_file_errors(void **state)
{
	kk_json_limits limits = {16, 0};
	char *dir = kk_test_mkdtemp(), path[1024], expected[1200];
	json_t *value = NULL;
	kk_diag diag;

	(void)state;
	snprintf(path, sizeof(path), "%s/missing.json", dir);
	assert_int_equal(kk_json_load_file(&value, path, NULL, &diag), KK_ENOTFOUND);
	snprintf(expected, sizeof(expected), "cannot read '%s': No such file or directory", path);
	assert_string_equal(diag.message, expected);

	assert_int_equal(kk_json_load_file(&value, dir, NULL, &diag), KK_EIO);
	snprintf(expected, sizeof(expected), "cannot read '%s': Is a directory", dir);
	assert_string_equal(diag.message, expected);

	snprintf(path, sizeof(path), "%s/big.json", dir);
	kk_test_write(path, "[1,2,3,4,5,6,789]", 17);
	assert_int_equal(kk_json_load_file(&value, path, &limits, &diag), KK_ELIMIT);
	snprintf(expected, sizeof(expected), "cannot read '%s': file is larger than 16 bytes",
		 path);
	assert_string_equal(diag.message, expected);
	kk_test_write(path, "[1,2,3,4,5,6,78]", 16);
	assert_int_equal(kk_json_load_file(&value, path, &limits, &diag), 0);
	assert_int_equal(json_array_size(value), 7);
	json_decref(value);
	value = NULL;

	/* an endless device: refused after limit + 1 bytes, not read to the end */
	limits.max_size = 1 << 20;
	assert_int_equal(kk_json_load_file(&value, "/dev/zero", &limits, &diag), KK_ELIMIT);
	assert_string_equal(diag.message,
			    "cannot read '/dev/zero': file is larger than 1048576 bytes");
	assert_null(value);

	kk_test_rmrf(dir);
	free(dir);
}

static void assert_equal_json(const char *a, const char *b, int expected)
{
	json_t *x = kk_test_parse(a), *y = kk_test_parse(b);

	if (kk_json_equal(x, y) != expected || kk_json_equal(y, x) != expected)
		fail_msg("kk_json_equal(%s, %s) is not %d", a, b, expected);
	json_decref(x);
	json_decref(y);
}

static void test_equal(void **state)
{
	(void)state;
	assert_equal_json("1", "1.0", 1);
	assert_equal_json("-0", "0.0", 1);
	assert_equal_json("1", "1.5", 0);
	assert_equal_json("1", "\"1\"", 0);
	assert_equal_json("0", "false", 0);
	assert_equal_json("null", "null", 1);
	assert_equal_json("true", "false", 0);
	assert_equal_json("\"a\"", "\"a\"", 1);
	assert_equal_json("\"a\"", "\"ab\"", 0);
	assert_equal_json("[1, [2, 3.0]]", "[1.0, [2, 3]]", 1);
	assert_equal_json("[1, 2]", "[2, 1]", 0);
	assert_equal_json("[1]", "[1, 1]", 0);
	assert_equal_json("{\"a\": 1, \"b\": {\"c\": [null]}}",
			  "{\"b\": {\"c\": [null]}, \"a\": 1.0}", 1);
	assert_equal_json("{\"a\": 1}", "{\"a\": 1, \"b\": 1}", 0);
	assert_equal_json("{\"a\": 1}", "{\"b\": 1}", 0);
	assert_equal_json("{}", "[]", 0);
	/* 2^53 + 1 has no double of its own: it must not equal 2^53 */
	assert_equal_json("9007199254740993", "9007199254740992.0", 0);
	assert_equal_json("9007199254740992", "9007199254740992.0", 1);
	assert_equal_json("9223372036854775807", "9.3e18", 0);
	assert_equal_json("-9223372036854775808", "-9223372036854775808.0", 1);
}

static void test_pointer_push(void **state)
{
	char buf[16] = "";

	(void)state;
	assert_int_equal(kk_json_pointer_push(buf, sizeof(buf), "years"), 0);
	assert_string_equal(buf, "/years");
	assert_int_equal(kk_json_pointer_push(buf, sizeof(buf), "a/b~c"), 0);
	assert_string_equal(buf, "/years/a~1b~0c");
	/* two more bytes would not fit: refused and left alone; one does */
	assert_int_equal(kk_json_pointer_push(buf, sizeof(buf), "x"), KK_ELIMIT);
	assert_string_equal(buf, "/years/a~1b~0c");
	assert_int_equal(kk_json_pointer_push(buf, sizeof(buf), ""), 0);
	assert_string_equal(buf, "/years/a~1b~0c/");

	buf[0] = '\0';
	assert_int_equal(kk_json_pointer_push(buf, sizeof(buf), ""), 0);
	assert_string_equal(buf, "/");
	assert_int_equal(kk_json_pointer_push(buf, sizeof(buf), "~~"), 0);
	assert_string_equal(buf, "//~0~0");
	assert_int_equal(kk_json_pointer_push(buf, sizeof(buf), "/~/~"), 0);
	assert_string_equal(buf, "//~0~0/~1~0~1~0");
	assert_int_equal(kk_json_pointer_push(buf, sizeof(buf), ""), KK_ELIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_inputs),    cmocka_unit_test(test_valid_document),
		cmocka_unit_test(test_scalars),	      cmocka_unit_test(test_raw_nul),
		cmocka_unit_test(test_default_depth), cmocka_unit_test(test_very_deep),
		cmocka_unit_test(test_size_limit),    cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_equal),	      cmocka_unit_test(test_pointer_push),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
