/*
 * schema_registry.h - where schemas are: the registry's documents, the
 * identifiers ($id) they define and the resolution of $ref, private to the
 * schema module.  What schemas mean is schema.c's business.
 *
 * An index of identifiers is a JSON object mapping an absolute URI (with a
 * plain-name fragment, if any) to a two-element array: the schema, and the
 * base URI of the schema around it, against which its own $id resolves.
 */
#ifndef KK_SCHEMA_REGISTRY_H
#define KK_SCHEMA_REGISTRY_H

#include <jansson.h>

#include "schema.h"

/*
 * How deeply schemas may nest, in a document and during evaluation (where
 * every $ref followed counts): a reference cycle that consumes no
 * instance ends here.
 */
#define KK_SCHEMA_MAX_DEPTH 512

/*
 * Called for every regular expression in a document being indexed, with
 * the JSON Pointer of its place in the document; a negative return stops
 * the walk.
 */
typedef int (*kk_schema_pattern_fn)(void *payload, const char *pattern, size_t len,
				    const char *pointer, kk_diag *diag);

/*
 * Walks the document `doc` retrieved from `uri` (no fragment; "" for
 * none): checks that every subschema is a schema and adds every identifier
 * to `ids`, the document itself under `uri`.  `pattern_fn` may be NULL.
 * Fails with KK_EINVALID (`diag` pointing into the document), KK_ELIMIT or
 * KK_ENOMEM; `ids` may then hold part of the document.
 */
int kk_schema_index_document(json_t *ids, json_t *doc, const char *uri,
			     kk_schema_pattern_fn pattern_fn, void *payload, kk_diag *diag);

/*
 * Finds the schema that the absolute URI `uri` names: in `local_ids`, then
 * in the registry, then in a mapped directory (loaded and kept).  On
 * success *target_out is borrowed from the documents and *parent_base_out
 * (the base URI to evaluate the target with) is the caller's to free.
 * Fails with KK_ENOTFOUND, or KK_ERROR and friends when a mapped file
 * cannot be loaded; `diag` then carries `pointer`.
 */
int kk_schema_registry_resolve(const json_t **target_out, char **parent_base_out,
			       kk_schema_registry *reg, const json_t *local_ids, const char *uri,
			       const char *pointer, kk_diag *diag);

/*
 * The base URI of `schema` given that of the schema around it: its $id
 * resolved, when it has one that counts.  Returns a string the caller
 * frees, or NULL when out of memory.
 */
char *kk_schema_effective_base(const json_t *schema, const char *parent_base);

/* "a string", "an integer", ... for the type of `value`, as messages name it. */
const char *kk_schema_value_phrase(const json_t *value);

/* Like kk_diag_set(), but clears `diag` first and sets its pointer. */
int kk_schema_diag(kk_diag *diag, int code, const char *pointer, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
