/*
 * schema_eval.c - what draft-07's keywords mean: the evaluator, which walks
 * a schema over an instance and reports failures at their location, $ref,
 * the combinations (if, allOf, anyOf, oneOf, not) and regular expressions.
 * The keywords of values are schema_values.c's, those of arrays and objects
 * schema_containers.c's (schema_keywords.h).
 *
 * Evaluation runs in one of two modes.  With an error list it reports every
 * failure at its instance location; without one (inside anyOf, oneOf, not,
 * if and contains, where failing is an answer rather than an error) it
 * stops at the first failure and reports nothing.  Keywords whose values
 * are malformed are ignored: judging schemas is the metaschema's job.
 */
#include "schema_eval.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "json.h"
#include "schema_keywords.h"
#include "schema_registry.h"
#include "schema_uri.h"

/* Cuts `s` (NUL-terminated) back to a whole character after snprintf() truncated it. */
static void trim_partial_utf8(char *s, size_t len)
{
	size_t start = len, need;
	unsigned char lead;

	while (start > 0 && ((unsigned char)s[start - 1] & 0xC0) == 0x80)
		start--;
	if (start == 0)
		return;
	lead = (unsigned char)s[start - 1];
	need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if (len - (start - 1) < need)
		s[start - 1] = '\0';
}

int kk_eval_report(kk_evaluator *ev, kk_diaglist *errors, const char *fmt, ...)
{
	char message[KK_DIAG_MESSAGE_MAX];
	va_list ap;
	int n;

	if (!errors)
		return KK_EVAL_INVALID;
	va_start(ap, fmt);
	n = vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(message))
		trim_partial_utf8(message, sizeof(message) - 1);
	if (kk_diaglist_addf(errors, KK_EINVALID, ev->ptr, "%s", message) < 0)
		return kk_schema_diag(ev->diag, KK_ENOMEM, ev->ptr, _("out of memory"));
	return KK_EVAL_INVALID;
}

size_t kk_eval_enter(kk_evaluator *ev, const char *token)
{
	size_t mark = strlen(ev->ptr);

	(void)kk_json_pointer_push(ev->ptr, sizeof(ev->ptr), token);
	return mark;
}

size_t kk_eval_enter_index(kk_evaluator *ev, size_t index)
{
	char token[24];

	snprintf(token, sizeof(token), "%zu", index);
	return kk_eval_enter(ev, token);
}

int kk_eval_regex(kk_evaluator *ev, const char *pattern, size_t plen, const char *subject,
		  size_t slen)
{
	PCRE2_UCHAR text[128];
	pcre2_code *code;
	kk_diag compile_diag;
	int rc;

	if ((rc = kk_schema_regex(&code, ev->schema, pattern, plen, ev->ptr, &compile_diag)) < 0) {
		/* A bad pattern in a schema reached by $ref stops validation, not the instance. */
		if (rc == KK_EINVALID)
			rc = KK_ERROR;
		return kk_schema_diag(ev->diag, rc, ev->ptr, "%s", compile_diag.message);
	}
	rc = pcre2_match(code, (PCRE2_SPTR)subject, slen, 0, 0, ev->schema->match, NULL);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc == PCRE2_ERROR_NOMEMORY)
		return kk_schema_diag(ev->diag, KK_ENOMEM, ev->ptr, _("out of memory"));
	pcre2_get_error_message(rc, text, sizeof(text));
	return kk_schema_diag(ev->diag, KK_ERROR, ev->ptr, _("cannot match pattern '%s': %s"),
			      pattern, (const char *)text);
}

/* combinations */

static int eval_combinations(kk_evaluator *ev, const json_t *schema, const char *base,
			     const json_t *inst, kk_diaglist *errors)
{
	const json_t *subs, *sub, *cond;
	size_t i, matches;
	int res = KK_EVAL_VALID, rc;

	if ((cond = json_object_get(schema, "if")) != NULL) {
		const json_t *branch;

		if ((rc = kk_eval_subschema(ev, cond, base, inst, NULL)) < 0)
			return rc;
		branch = json_object_get(schema, rc == KK_EVAL_VALID ? "then" : "else");
		if (branch &&
		    kk_eval_fold(&res, kk_eval_subschema(ev, branch, base, inst, errors), errors))
			return res;
	}
	if (json_is_array(subs = json_object_get(schema, "allOf"))) {
		json_array_foreach(subs, i, sub) {
			if (kk_eval_fold(&res, kk_eval_subschema(ev, sub, base, inst, errors),
					 errors))
				return res;
		}
	}
	/* Every alternative's errors would bury the point: one error sums them up. */
	if (json_is_array(subs = json_object_get(schema, "anyOf"))) {
		rc = KK_EVAL_INVALID;
		for (i = 0; i < json_array_size(subs) && rc == KK_EVAL_INVALID; i++)
			rc = kk_eval_subschema(ev, json_array_get(subs, i), base, inst, NULL);
		if (rc == KK_EVAL_INVALID)
			rc = kk_eval_report(ev, errors,
					    _("does not match any of the allowed alternatives"));
		if (kk_eval_fold(&res, rc, errors))
			return res;
	}
	if (json_is_array(subs = json_object_get(schema, "oneOf"))) {
		matches = 0;
		json_array_foreach(subs, i, sub) {
			if ((rc = kk_eval_subschema(ev, sub, base, inst, NULL)) < 0)
				return rc;
			if (rc == KK_EVAL_VALID)
				matches++;
		}
		rc = KK_EVAL_VALID;
		if (matches == 0)
			rc = kk_eval_report(ev, errors,
					    _("does not match any of the allowed alternatives"));
		else if (matches > 1)
			rc = kk_eval_report(
				ev, errors,
				_("matches %zu alternatives but must match exactly one"), matches);
		if (kk_eval_fold(&res, rc, errors))
			return res;
	}
	if ((sub = json_object_get(schema, "not")) != NULL) {
		if ((rc = kk_eval_subschema(ev, sub, base, inst, NULL)) < 0)
			return rc;
		if (rc == KK_EVAL_VALID)
			kk_eval_fold(&res, kk_eval_report(ev, errors, _("value is not allowed")),
				     errors);
	}
	return res;
}

/* schemas */

static int eval_ref(kk_evaluator *ev, const char *ref, const char *base, const json_t *inst,
		    kk_diaglist *errors)
{
	const json_t *target;
	char *uri = NULL, *target_base = NULL;
	int rc;

	if ((uri = kk_uri_resolve(base, ref)) == NULL)
		return kk_schema_diag(ev->diag, KK_ENOMEM, ev->ptr, _("out of memory"));
	rc = kk_schema_registry_resolve(&target, &target_base, ev->schema->reg, ev->schema->ids,
					uri, ev->ptr, ev->diag);
	if (rc == 0)
		rc = kk_eval_subschema(ev, target, target_base, inst, errors);
	free(target_base);
	free(uri);
	return rc;
}

static int eval_keywords(kk_evaluator *ev, const json_t *schema, const char *base,
			 const json_t *inst, kk_diaglist *errors)
{
	int res = KK_EVAL_VALID;

	if (kk_eval_fold(&res, kk_eval_type(ev, schema, inst, errors), errors) ||
	    kk_eval_fold(&res, kk_eval_enum_const(ev, schema, inst, errors), errors))
		return res;
	if (json_is_number(inst) &&
	    kk_eval_fold(&res, kk_eval_number(ev, schema, inst, errors), errors))
		return res;
	if (json_is_string(inst) &&
	    kk_eval_fold(&res, kk_eval_string(ev, schema, inst, errors), errors))
		return res;
	if (json_is_array(inst) &&
	    kk_eval_fold(&res, kk_eval_array(ev, schema, base, inst, errors), errors))
		return res;
	if (json_is_object(inst) &&
	    kk_eval_fold(&res, kk_eval_object(ev, schema, base, inst, errors), errors))
		return res;
	kk_eval_fold(&res, eval_combinations(ev, schema, base, inst, errors), errors);
	return res;
}

int kk_eval_subschema(kk_evaluator *ev, const json_t *schema, const char *parent_base,
		      const json_t *inst, kk_diaglist *errors)
{
	const json_t *ref;
	char *base = NULL;
	int rc;

	if (json_is_true(schema))
		return KK_EVAL_VALID;
	if (json_is_false(schema))
		return kk_eval_report(ev, errors, _("value is not allowed"));
	if (!json_is_object(schema))
		return kk_schema_diag(ev->diag, KK_ERROR, ev->ptr,
				      _("expected a schema (an object or a boolean), got %s"),
				      kk_schema_value_phrase(schema));
	if (ev->depth >= KK_SCHEMA_MAX_DEPTH)
		return kk_schema_diag(ev->diag, KK_ELIMIT, ev->ptr,
				      _("schema is nested deeper than %d levels"),
				      KK_SCHEMA_MAX_DEPTH);
	ev->depth++;
	/* In draft-07 a $ref replaces its schema: the keywords beside it are ignored. */
	ref = json_object_get(schema, "$ref");
	if (json_is_string(ref)) {
		rc = eval_ref(ev, json_string_value(ref), parent_base, inst, errors);
	} else if ((base = kk_schema_effective_base(schema, parent_base)) == NULL) {
		rc = kk_schema_diag(ev->diag, KK_ENOMEM, ev->ptr, _("out of memory"));
	} else {
		rc = eval_keywords(ev, schema, base, inst, errors);
	}
	ev->depth--;
	free(base);
	return rc;
}

int kk_schema_eval(kk_schema *schema, const json_t *instance, kk_diaglist *errors, kk_diag *diag)
{
	kk_evaluator ev = {0};

	ev.schema = schema;
	ev.diag = diag;
	return kk_eval_subschema(&ev, schema->root, schema->base, instance, errors);
}
