/*
 * schema.c - JSON Schema draft-07 validation: compiled schemas.
 *
 * Schemas are evaluated straight from their JSON (schema_eval.c).
 * Compiling one walks it once (schema_registry.c) to check that every
 * subschema is a schema and to index the identifiers ($id) a $ref can
 * name, and, here, compiles its regular expressions, so that a bad one is
 * an error of the schema rather than of some later validation.  A $ref is
 * resolved when validation reaches it.
 */
#include "schema.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "i18n.h"
#include "schema_eval.h"
#include "schema_registry.h"
#include "schema_uri.h"

/*
 * ECMA-262 semantics as far as PCRE2 offers them: code points, Unicode
 * properties, '$' only at the very end and \uXXXX escapes.
 */
#define REGEX_OPTIONS (PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX)

int kk_schema_regex(pcre2_code **out, kk_schema *schema, const char *pattern, size_t len,
		    const char *pointer, kk_diag *diag)
{
	json_t *slot = json_object_getn(schema->regex_index, pattern, len);
	PCRE2_UCHAR text[128];
	PCRE2_SIZE offset;
	pcre2_code *code;
	int errcode;

	if (slot) {
		*out = schema->regexes[json_integer_value(slot)];
		return 0;
	}
	if (KK_ARRAY_GROW(schema->regexes, schema->nregexes + 1, schema->alloc_regexes) < 0)
		return kk_schema_diag(diag, KK_ENOMEM, pointer, _("out of memory"));
	code = pcre2_compile((PCRE2_SPTR)pattern, len, REGEX_OPTIONS, &errcode, &offset, NULL);
	if (!code) {
		if (errcode == PCRE2_ERROR_HEAP_FAILED)
			return kk_schema_diag(diag, KK_ENOMEM, pointer, _("out of memory"));
		pcre2_get_error_message(errcode, text, sizeof(text));
		return kk_schema_diag(diag, KK_EINVALID, pointer,
				      _("invalid regular expression '%s': %s"), pattern,
				      (const char *)text);
	}
	if (json_object_setn_new_nocheck(schema->regex_index, pattern, len,
					 json_integer((json_int_t)schema->nregexes)) < 0) {
		pcre2_code_free(code);
		return kk_schema_diag(diag, KK_ENOMEM, pointer, _("out of memory"));
	}
	schema->regexes[schema->nregexes++] = code;
	*out = code;
	return 0;
}

static int compile_pattern(void *payload, const char *pattern, size_t len, const char *pointer,
			   kk_diag *diag)
{
	pcre2_code *code;

	return kk_schema_regex(&code, payload, pattern, len, pointer, diag);
}

void kk_schema_free(kk_schema *schema)
{
	size_t i;

	if (!schema)
		return;
	for (i = 0; i < schema->nregexes; i++)
		pcre2_code_free(schema->regexes[i]);
	free(schema->regexes);
	pcre2_match_data_free(schema->match);
	json_decref(schema->regex_index);
	json_decref(schema->ids);
	json_decref(schema->root);
	free(schema->base);
	free(schema);
}

int kk_schema_compile(kk_schema **out, kk_schema_registry *reg, json_t *schema,
		      const char *base_uri, kk_diag *diag)
{
	kk_schema *compiled = NULL;
	int error = 0;

	assert(out && reg && schema);
	if (!json_is_object(schema) && !json_is_boolean(schema))
		return kk_schema_diag(diag, KK_EINVALID, "",
				      _("expected a schema (an object or a boolean), got %s"),
				      kk_schema_value_phrase(schema));
	if (!base_uri)
		base_uri = "";
	if ((compiled = calloc(1, sizeof(*compiled))) == NULL ||
	    (compiled->base = strndup(base_uri, kk_uri_fragment_offset(base_uri))) == NULL ||
	    (compiled->ids = json_object()) == NULL ||
	    (compiled->regex_index = json_object()) == NULL ||
	    (compiled->match = pcre2_match_data_create(1, NULL)) == NULL) {
		error = kk_schema_diag(diag, KK_ENOMEM, "", _("out of memory"));
		goto done;
	}
	compiled->reg = reg;
	compiled->root = json_incref(schema);
	if ((error = kk_schema_index_document(compiled->ids, schema, compiled->base,
					      compile_pattern, compiled, diag)) < 0)
		goto done;
	*out = compiled;
	compiled = NULL;

done:
	kk_schema_free(compiled);
	return error;
}

int kk_schema_validate(kk_schema *schema, const json_t *instance, kk_diaglist *errors,
		       kk_diag *diag)
{
	size_t reported = errors ? errors->count : 0;
	int rc;

	assert(schema && instance);
	rc = kk_schema_eval(schema, instance, errors, diag);
	if (rc == 1)
		return KK_EINVALID;
	/* Half a list of errors would pass for a whole one. */
	if (rc < 0 && errors)
		errors->count = reported;
	return rc;
}
