/*
 * schema_keywords.h - what the evaluator (schema_eval.c) and the families of
 * keywords share: schema_values.c (numbers, strings, type, enum, const) and
 * schema_containers.c (arrays and objects).  Private to the schema module.
 *
 * Each kk_eval_* of a family returns KK_EVAL_VALID, KK_EVAL_INVALID, or a
 * negative KK_E* code (with ev->diag set) that ends the evaluation.  With
 * `errors` NULL it stops at the first failure and reports nothing.
 */
#ifndef KK_SCHEMA_KEYWORDS_H
#define KK_SCHEMA_KEYWORDS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common.h"
#include "schema_eval.h"

enum { KK_EVAL_VALID = 0, KK_EVAL_INVALID = 1 };

typedef struct kk_evaluator {
	kk_schema *schema;
	kk_diag *diag;		       /* why evaluation could not be carried out */
	char ptr[KK_DIAG_POINTER_MAX]; /* the instance location */
	size_t depth;
} kk_evaluator;

/*
 * Folds the result `r` of one keyword into *acc.  Returns true when
 * evaluation should stop: on a fatal error, or on the first failure when
 * nobody collects errors.
 */
static inline bool kk_eval_fold(int *acc, int r, const kk_diaglist *errors)
{
	if (r < 0) {
		*acc = r;
		return true;
	}
	if (r == KK_EVAL_INVALID) {
		*acc = KK_EVAL_INVALID;
		return errors == NULL;
	}
	return false;
}

/*
 * Records a failure at the current location in `errors` (when not NULL);
 * messages never end mid-character.  Returns KK_EVAL_INVALID, or KK_ENOMEM.
 */
int kk_eval_report(kk_evaluator *ev, kk_diaglist *errors, const char *fmt, ...)
	__attribute__((noinline, format(printf, 3, 4)));

/*
 * Descends into member `token` (or array index `index`) of the instance;
 * returns the mark that kk_eval_leave() goes back to.  A location too long
 * for a kk_diag is reported as its nearest ancestor that fits.
 */
size_t kk_eval_enter(kk_evaluator *ev, const char *token);
size_t kk_eval_enter_index(kk_evaluator *ev, size_t index);

static inline void kk_eval_leave(kk_evaluator *ev, size_t mark)
{
	ev->ptr[mark] = '\0';
}

/*
 * Evaluates the subschema `schema` against `inst`.  `parent_base` is the
 * base URI of the schema around it, so that its own $id can change it.
 */
int kk_eval_subschema(kk_evaluator *ev, const json_t *schema, const char *parent_base,
		      const json_t *inst, kk_diaglist *errors);

/* Returns 1 when `subject` matches `pattern`, 0 when it does not, or a fatal error. */
int kk_eval_regex(kk_evaluator *ev, const char *pattern, size_t plen, const char *subject,
		  size_t slen);

/*
 * Reads a count (maxLength, minItems, ...): a non-negative integer, 1.0
 * included.  Malformed keywords are ignored, as the metaschema rejects them.
 */
bool kk_eval_count(const json_t *schema, const char *keyword, size_t *out);

/* The families' keywords on `inst` (which is of the family's kind for the last four). */
int kk_eval_type(kk_evaluator *ev, const json_t *schema, const json_t *inst, kk_diaglist *errors);
int kk_eval_enum_const(kk_evaluator *ev, const json_t *schema, const json_t *inst,
		       kk_diaglist *errors);
int kk_eval_number(kk_evaluator *ev, const json_t *schema, const json_t *inst, kk_diaglist *errors);
int kk_eval_string(kk_evaluator *ev, const json_t *schema, const json_t *inst, kk_diaglist *errors);
int kk_eval_array(kk_evaluator *ev, const json_t *schema, const char *base, const json_t *inst,
		  kk_diaglist *errors);
int kk_eval_object(kk_evaluator *ev, const json_t *schema, const char *base, const json_t *inst,
		   kk_diaglist *errors);

#endif
