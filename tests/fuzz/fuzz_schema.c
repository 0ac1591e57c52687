/*
 * fuzz_schema.c - the JSON Schema validator (core/schema/schema.h).
 *
 * The input is a schema and an instance, split at the first NUL or newline:
 * the schema is compiled in a fresh registry (nothing but the built-in
 * metaschema, so no file is read) and the instance validated against it.
 * The instance (or the whole input, when there is no split) is also
 * validated against each of Keikaku's own schemas in schema/, compiled once.
 * A validation must either succeed, or fail with at least one error, or
 * fail to run with a diagnostic.
 */
#include <stdio.h>

#include "fuzz.h"
#include "json.h"
#include "schema.h"

#define SCHEMA_DIR    KK_SOURCE_DIR "/schema/"
#define SCHEMA_PREFIX "https://keikaku.invalid/schema/"

static const char *const own_names[] = {"keikaku.schema.json", "departments.schema.json",
					"plan.schema.json", "item.schema.json"};
#define OWN_COUNT (sizeof(own_names) / sizeof(own_names[0]))

/* Keikaku's schemas, compiled on the first input and kept (reachable) for the rest. */
static kk_schema_registry *own_registry;
static kk_schema *own_schemas[OWN_COUNT];

static void load_own_schemas(void)
{
	kk_diag diag = {0};

	FUZZ_CHECK(kk_schema_registry_new(&own_registry) == 0);
	FUZZ_CHECK(kk_schema_registry_map(own_registry, SCHEMA_PREFIX, SCHEMA_DIR, &diag) == 0);
	for (size_t i = 0; i < OWN_COUNT; i++) {
		char path[512], uri[512];
		json_t *doc = NULL;

		snprintf(path, sizeof(path), "%s%s", SCHEMA_DIR, own_names[i]);
		snprintf(uri, sizeof(uri), "%s%s", SCHEMA_PREFIX, own_names[i]);
		FUZZ_CHECK(kk_json_load_file(&doc, path, NULL, &diag) == 0);
		FUZZ_CHECK(kk_schema_compile(&own_schemas[i], own_registry, doc, uri, &diag) == 0);
		json_decref(doc); /* the compiled schema keeps its own reference */
	}
}

static void validate(kk_schema *schema, const json_t *instance)
{
	kk_diaglist errors = {0};
	kk_diag diag = {0};
	int error = kk_schema_validate(schema, instance, &errors, &diag);

	FUZZ_CHECK(error == 0		  ? errors.count == 0
		   : error == KK_EINVALID ? errors.count > 0
					  : diag.code == error);
	kk_diaglist_clear(&errors);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const kk_json_limits limits = {.max_size = 64 * 1024, .max_depth = 32};
	const char *text = (const char *)data, *second;
	size_t first_len, second_len;
	kk_schema_registry *reg = NULL;
	kk_schema *schema = NULL;
	json_t *schema_doc = NULL, *instance = NULL;
	kk_diag diag = {0};

	if (!own_registry)
		load_own_schemas();

	if (!fuzz_split(text, size, &first_len, &second, &second_len)) {
		second = text;
		second_len = size;
	} else if (kk_json_parse(&schema_doc, text, first_len, &limits, &diag) < 0) {
		schema_doc = NULL;
	}
	if (kk_json_parse(&instance, second, second_len, &limits, &diag) < 0)
		goto done;

	for (size_t i = 0; i < OWN_COUNT; i++)
		validate(own_schemas[i], instance);

	if (schema_doc) {
		FUZZ_CHECK(kk_schema_registry_new(&reg) == 0);
		if (kk_schema_compile(&schema, reg, schema_doc, "https://fuzz.invalid/schema.json",
				      &diag) == 0)
			validate(schema, instance);
	}
done:
	kk_schema_free(schema);
	kk_schema_registry_free(reg);
	json_decref(instance);
	json_decref(schema_doc);
	return 0;
}
