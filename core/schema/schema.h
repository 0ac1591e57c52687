/*
 * schema.h - JSON Schema draft-07 validation.
 *
 * A registry holds the documents that $ref can reach: the draft-07
 * metaschema is built in, further documents are added by URI, and URL
 * prefixes can be mapped to directories whose files load on demand.
 * A compiled schema validates instances and reports every error with a
 * JSON Pointer to the offending value and a message a user understands.
 */
#ifndef KK_SCHEMA_H
#define KK_SCHEMA_H

#include <jansson.h>

#include "common.h"

#define KK_SCHEMA_DRAFT7_URI "http://json-schema.org/draft-07/schema"

typedef struct kk_schema_registry kk_schema_registry;
typedef struct kk_schema kk_schema;

/* Creates a registry holding the draft-07 metaschema; free with _free. */
int kk_schema_registry_new(kk_schema_registry **out);
void kk_schema_registry_free(kk_schema_registry *reg);

/*
 * Registers `doc` under the absolute `uri` (fragment ignored).  The
 * registry takes its own reference to `doc`.
 */
int kk_schema_registry_add(kk_schema_registry *reg, const char *uri, json_t *doc, kk_diag *diag);

/*
 * Maps every URI starting with `url_prefix` to the file at `dir` followed by
 * the rest of the URI, loaded with the strict reader when first referenced.
 */
int kk_schema_registry_map(kk_schema_registry *reg, const char *url_prefix, const char *dir,
			   kk_diag *diag);

/*
 * Prepares `schema` (a boolean or object schema) for validation, with
 * `base_uri` (may be NULL) as its retrieval URI.  The compiled schema keeps
 * references to `reg` and `schema`: `reg` must outlive it.  Fails with
 * KK_EINVALID when the schema is not a schema.
 */
int kk_schema_compile(kk_schema **out, kk_schema_registry *reg, json_t *schema,
		      const char *base_uri, kk_diag *diag);
void kk_schema_free(kk_schema *schema);

/*
 * Validates `instance`.  Returns 0 when it is valid, KK_EINVALID when it is
 * not, with one entry per error appended to `errors` (pointer: the instance
 * location; message: what is wrong, in the user's terms).  Returns another
 * negative code (KK_ENOTFOUND for a $ref that cannot be resolved, ...) with
 * `diag` filled when validation itself could not be carried out.
 */
int kk_schema_validate(kk_schema *schema, const json_t *instance, kk_diaglist *errors,
		       kk_diag *diag);

#endif
