/*
 * schema_eval.h - what draft-07's keywords mean: evaluating a compiled
 * schema against an instance.  Private to the schema module; schema.c
 * compiles, schema_registry.c finds what $ref names.
 */
#ifndef KK_SCHEMA_EVAL_H
#define KK_SCHEMA_EVAL_H

#include <jansson.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common.h"
#include "schema.h"

struct kk_schema {
	kk_schema_registry *reg;
	json_t *root;
	char *base;	     /* the retrieval URI without fragment, "" for none */
	json_t *ids;	     /* identifiers in `root`, looked up before the registry's */
	json_t *regex_index; /* pattern -> index into `regexes` */
	pcre2_code **regexes;
	size_t nregexes;
	size_t alloc_regexes;
	pcre2_match_data *match; /* one is enough: matching never nests */
};

/*
 * Returns in *out the compiled form of `pattern`, compiling it on first
 * use; the code belongs to `schema`.  Fails with KK_EINVALID when it is not
 * a valid expression, or KK_ENOMEM; `diag` then carries `pointer`.
 */
int kk_schema_regex(pcre2_code **out, kk_schema *schema, const char *pattern, size_t len,
		    const char *pointer, kk_diag *diag);

/*
 * Evaluates `schema` against `instance`.  Returns 0 when it is valid, 1
 * when it is not (with the errors appended to `errors` unless it is NULL),
 * or a negative KK_E* code with `diag` filled when evaluation could not be
 * carried out; `errors` may then hold some errors already.
 */
int kk_schema_eval(kk_schema *schema, const json_t *instance, kk_diaglist *errors, kk_diag *diag);

#endif
