/* Tests for core/base/canon: the canonical writer of plan files. */
#include "testutil.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "canon.h"
#include "json.h"

#define EXAMPLE KK_SOURCE_DIR "/examples/dx-plan-r3"

static char *dump(const json_t *v, const json_t *schema)
{
	kk_diag diag = {0};
	char *out = NULL;

	if (kk_canon_dump(&out, NULL, v, schema, &diag) < 0)
		fail_msg("dump: %s", diag.message);
	return out;
}

/* Every file of the example, written by Python's json.dumps, comes back byte for byte. */
static void test_example_round_trip(void **state)
{
	json_t *item_schema = kk_test_load_json(KK_SOURCE_DIR "/schema/item.schema.json");
	static const char *const files[][2] = {{"keikaku.json", "keikaku"},
					       {"departments.json", "departments"},
					       {"plan.json", "plan"}};
	struct dirent *de;
	DIR *dir;
	size_t checked = 0;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		char path[512], schema_path[512];
		json_t *schema, *v;
		char *bytes, *out;

		snprintf(path, sizeof(path), EXAMPLE "/%s", files[i][0]);
		snprintf(schema_path, sizeof(schema_path), KK_SOURCE_DIR "/schema/%s.schema.json",
			 files[i][1]);
		schema = kk_test_load_json(schema_path);
		v = kk_test_load_json(path);
		bytes = kk_test_slurp(path, NULL);
		out = dump(v, schema);
		assert_string_equal(out, bytes);
		/* And a second pass changes nothing. */
		assert_int_equal(kk_canon_check(out, strlen(out), schema, NULL), 1);
		free(out);
		free(bytes);
		json_decref(v);
		json_decref(schema);
		checked++;
	}
	assert_non_null(dir = opendir(EXAMPLE "/items"));
	while ((de = readdir(dir)) != NULL) {
		char path[600];
		char *bytes, *out;
		json_t *v;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), EXAMPLE "/items/%s", de->d_name);
		v = kk_test_load_json(path);
		bytes = kk_test_slurp(path, NULL);
		out = dump(v, item_schema);
		assert_string_equal(out, bytes);
		free(out);
		free(bytes);
		json_decref(v);
		checked++;
	}
	closedir(dir);
	assert_int_equal(checked, 38);
	json_decref(item_schema);
}

/* Keys follow the schema's order at every level, whatever order they came in. */
static void test_key_order(void **state)
{
	json_t *schema = kk_test_load_json(KK_SOURCE_DIR "/schema/item.schema.json");
	json_t *v = json_loads("{\"years\": {\"2022\": {\"revised\": \"導入\"}, \"2021\": "
			       "{\"result\": \"r\", \"progress\": \"ahead\", \"planned\": \"p\"}}, "
			       "\"status\": \"open\", \"related\": [], \"owners\": [\"総務課\"], "
			       "\"title\": \"t\", \"measure\": 3, \"section\": 2, \"pillar\": 1, "
			       "\"id\": 7}",
			       0, NULL);
	char *out;

	(void)state;
	assert_non_null(v);
	out = dump(v, schema);
	assert_string_equal(out, "{\n"
				 "  \"id\": 7,\n"
				 "  \"pillar\": 1,\n"
				 "  \"section\": 2,\n"
				 "  \"measure\": 3,\n"
				 "  \"title\": \"t\",\n"
				 "  \"owners\": [\n"
				 "    \"総務課\"\n"
				 "  ],\n"
				 "  \"related\": [],\n"
				 "  \"status\": \"open\",\n"
				 "  \"years\": {\n"
				 "    \"2021\": {\n"
				 "      \"planned\": \"p\",\n"
				 "      \"progress\": \"ahead\",\n"
				 "      \"result\": \"r\"\n"
				 "    },\n"
				 "    \"2022\": {\n"
				 "      \"revised\": \"導入\"\n"
				 "    }\n"
				 "  }\n"
				 "}\n");
	free(out);
	json_decref(v);
	json_decref(schema);
}

/* Without a schema, keys are sorted bytewise; scalars and escapes are as Python writes them. */
static void test_scalars_and_escapes(void **state)
{
	json_t *v = json_pack("{s:s, s:b, s:n, s:f, s:f, s:I, s:{}, s:s}", "text",
			      "a\"b\\c\n\t\x01/\x7f", "t", 1, "z", "half", 0.5, "whole", 2.0, "big",
			      (json_int_t)9007199254740993LL, "empty", "jp", "テスト");
	char *out;

	(void)state;
	assert_non_null(v);
	out = dump(v, NULL);
	assert_string_equal(out, "{\n"
				 "  \"big\": 9007199254740993,\n"
				 "  \"empty\": {},\n"
				 "  \"half\": 0.5,\n"
				 "  \"jp\": \"テスト\",\n"
				 "  \"t\": true,\n"
				 "  \"text\": \"a\\\"b\\\\c\\n\\t\\u0001/\x7f\",\n"
				 "  \"whole\": 2.0,\n"
				 "  \"z\": null\n"
				 "}\n");
	free(out);
	json_decref(v);
}

/* Text is stored in NFC: a decomposed が (か + U+3099) is composed. */
static void test_nfc(void **state)
{
	json_t *v = json_pack("[s]", "\xe3\x81\x8b\xe3\x82\x99");
	char *out;

	(void)state;
	out = dump(v, NULL);
	assert_string_equal(out, "[\n  \"\xe3\x81\x8c\"\n]\n");
	/* Not canonical before, canonical after. */
	assert_int_equal(kk_canon_check("[\n  \"\xe3\x81\x8b\xe3\x82\x99\"\n]\n", 15, NULL, NULL),
			 0);
	assert_int_equal(kk_canon_check(out, strlen(out), NULL, NULL), 1);
	free(out);
	json_decref(v);
}

static int dump_same(const json_t *v, const json_t *schema)
{
	kk_diag diag = {0};
	char *out = NULL, *plain = NULL;
	bool same = false;

	if (kk_canon_dump_same(&out, NULL, &same, v, schema, &diag) < 0)
		fail_msg("dump: %s", diag.message);
	/* The same bytes as kk_canon_dump() gives, either way. */
	plain = dump(v, schema);
	assert_string_equal(out, plain);
	if (same) {
		/* It says so only when reading the bytes back gives `v`, keys in its order. */
		json_t *back = kk_test_parse(out);
		char *a = json_dumps(back, JSON_ENCODE_ANY), *b = json_dumps(v, JSON_ENCODE_ANY);

		assert_string_equal(a, b);
		free(a);
		free(b);
		json_decref(back);
	}
	free(out);
	free(plain);
	return same;
}

/* kk_canon_dump_same() tells when a document is its own canonical form. */
static void test_dump_same(void **state)
{
	json_t *schema = kk_test_load_json(KK_SOURCE_DIR "/schema/item.schema.json");
	json_t *v = kk_test_load_json(EXAMPLE "/items/0001.json");
	json_t *years = json_object_get(v, "years");

	(void)state;
	/* A parsed canonical file is. */
	assert_true(dump_same(v, schema));
	/* A key the schema does not name goes last anyway. */
	json_object_set_new(v, "zzz", json_true());
	assert_true(dump_same(v, schema));
	/* Not once a key goes out of order (set again, it goes last), here or deeper down... */
	json_object_set_new(v, "title", json_string("t"));
	assert_true(dump_same(v, schema)); /* replaced in place */
	json_object_del(v, "title");
	json_object_set_new(v, "title", json_string("t"));
	assert_false(dump_same(v, schema));
	json_decref(v);
	v = kk_test_load_json(EXAMPLE "/items/0001.json");
	years = json_object_get(v, "years");
	years = json_object_get(years, json_object_iter_key(json_object_iter(years)));
	json_object_del(years, "planned");
	json_object_set_new(years, "planned", json_string("p"));
	assert_false(dump_same(v, schema));
	json_decref(v);
	/* ...nor when text is not in NFC, a value or a key. */
	v = json_pack("[s]", "\xe3\x81\x8b\xe3\x82\x99");
	assert_false(dump_same(v, NULL));
	json_decref(v);
	v = json_pack("{s:i}", "\xe3\x81\x8b\xe3\x82\x99", 1);
	assert_false(dump_same(v, NULL));
	json_decref(v);
	v = json_pack("{s:s, s:[f, i]}", "a", "\xe3\x81\x8c", "b", 2.0, 3);
	assert_true(dump_same(v, NULL));
	json_decref(v);
	v = json_pack("{s:i, s:i}", "b", 1, "a", 2);
	assert_false(dump_same(v, NULL));
	json_decref(v);
	json_decref(schema);
}

/*
 * Every code point the writer leaves as it is without asking utf8proc is
 * in NFC alone, has no combining class, and neither it nor the start of
 * its decomposition is the second of any decomposition: so no neighbour
 * can be reordered or composed with it, and a text of them is in NFC.
 */
static void test_nfc_stable(void **state)
{
	static unsigned char second[0x110000];
	utf8proc_int32_t parts[32];
	size_t stable = 0;

	(void)state;
	for (utf8proc_int32_t c = 0; c < 0x110000; c++) {
		utf8proc_ssize_t n;

		if (c >= 0xD800 && c <= 0xDFFF)
			continue;
		n = utf8proc_decompose_char(c, parts, 32, UTF8PROC_DECOMPOSE, NULL);
		assert_true(n >= 1 && n <= 32);
		for (utf8proc_ssize_t i = 1; i < n; i++)
			second[parts[i]] = 1;
	}
	for (utf8proc_int32_t c = 0; c < 0x110000; c++) {
		utf8proc_uint8_t text[4], *nfc = NULL;
		utf8proc_ssize_t len, n;

		if (c >= 0x80 && !kk_canon_nfc_stable((uint32_t)c))
			continue;
		stable++;
		assert_int_equal(utf8proc_get_property(c)->combining_class, 0);
		assert_false(second[c]);
		n = utf8proc_decompose_char(c, parts, 32, UTF8PROC_DECOMPOSE, NULL);
		assert_int_equal(utf8proc_get_property(parts[0])->combining_class, 0);
		assert_false(second[parts[0]]);
		len = utf8proc_encode_char(c, text);
		assert_true(c == 0 ||
			    (n = utf8proc_map(text, len, &nfc,
					      UTF8PROC_STABLE | UTF8PROC_COMPOSE)) == len);
		if (nfc)
			assert_memory_equal(nfc, text, (size_t)len);
		free(nfc);
	}
	/* The list is in use: Latin, kana and the CJK ideographs at least. */
	assert_true(stable > 0x80 + 0x200 + 0x5000);
	/* And it is the list: a combining mark, an ohm sign, a compatibility ideograph are not. */
	assert_false(kk_canon_nfc_stable(0x3099));
	assert_false(kk_canon_nfc_stable(0x2126));
	assert_false(kk_canon_nfc_stable(0xF900));
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Changing one scalar field changes exactly one line. */
static void test_one_field_one_line(void **state)
{
	json_t *schema = kk_test_load_json(KK_SOURCE_DIR "/schema/item.schema.json");
	json_t *v = kk_test_load_json(EXAMPLE "/items/0026.json");
	char *before = dump(v, schema), *after;
	const char *a, *b;
	size_t differing = 0;

	(void)state;
	json_object_set_new(json_object_get(json_object_get(v, "years"), "2021"), "progress",
			    json_string("behind"));
	after = dump(v, schema);
	assert_int_equal(count_lines(before), count_lines(after));
	for (a = before, b = after; *a && *b;) {
		size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");

		differing += la != lb || memcmp(a, b, la) != 0;
		a += la + 1;
		b += lb + 1;
	}
	assert_int_equal(differing, 1);
	free(before);
	free(after);
	json_decref(v);
	json_decref(schema);
}

/* A string that is not UTF-8 cannot be written; the error points at it. */
static void test_invalid_utf8(void **state)
{
	json_t *v = json_object();
	kk_diag diag = {0};
	char *out = NULL;

	(void)state;
	json_object_set_new(v, "title", json_stringn_nocheck("\xff\xfe", 2));
	assert_int_equal(kk_canon_dump(&out, NULL, v, NULL, &diag), KK_EINVALID);
	assert_null(out);
	assert_string_equal(diag.pointer, "/title");
	assert_string_equal(diag.message, "text is not valid UTF-8");
	json_decref(v);
}

/* Bytes that do not parse are reported, not judged. */
static void test_check_unparsable(void **state)
{
	kk_diag diag = {0};

	(void)state;
	assert_int_equal(kk_canon_check("{\"a\": ", 6, NULL, &diag), KK_EINVALID);
	assert_int_not_equal(diag.line, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_round_trip),  cmocka_unit_test(test_key_order),
		cmocka_unit_test(test_scalars_and_escapes), cmocka_unit_test(test_nfc),
		cmocka_unit_test(test_one_field_one_line),  cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_check_unparsable),    cmocka_unit_test(test_dump_same),
		cmocka_unit_test(test_nfc_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
