/*
 * schema_values.c - the keywords of draft-07 on single values: numbers
 * (multipleOf, maximum, minimum and their exclusive forms), type, enum and
 * const, and strings (maxLength, minLength, pattern); and the counts that
 * the keywords of strings, arrays and objects give (schema_keywords.h).
 */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "json.h"
#include "schema_keywords.h"
#include "schema_registry.h"

/* The longest list of values quoted in an enum or const error, in bytes. */
#define VALUES_QUOTE_MAX 300

/* numbers */

/*
 * The nearest integer to the finite `d`, by hand because core does not
 * link libm.  A double of magnitude 2^52 or more is a whole number already.
 */
static double nearest_integer(double d)
{
	if (d >= 0x1p52 || d <= -0x1p52)
		return d;
	return (double)(long long)(d < 0 ? d - 0.5 : d + 0.5);
}

static double magnitude(double d)
{
	return d < 0 ? -d : d;
}

static bool is_integral(const json_t *value)
{
	double d;

	if (json_is_integer(value))
		return true;
	d = json_real_value(value);
	return json_is_real(value) && isfinite(d) && d == nearest_integer(d);
}

/* Compares two numbers exactly: long double holds every json_int_t and every double. */
static int number_cmp(const json_t *a, const json_t *b)
{
	long double x, y;

	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t i = json_integer_value(a), j = json_integer_value(b);

		return (i > j) - (i < j);
	}
	x = json_is_integer(a) ? (long double)json_integer_value(a) : json_real_value(a);
	y = json_is_integer(b) ? (long double)json_integer_value(b) : json_real_value(b);
	return (x > y) - (x < y);
}

static void format_number(char *buf, size_t size, const json_t *number)
{
	if (json_is_integer(number))
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(number));
	else
		snprintf(buf, size, "%.15g", json_real_value(number));
}

bool kk_eval_count(const json_t *schema, const char *keyword, size_t *out)
{
	const json_t *value = json_object_get(schema, keyword);
	double d;

	if (json_is_integer(value) && json_integer_value(value) >= 0) {
		*out = (uintmax_t)json_integer_value(value) > SIZE_MAX
			       ? SIZE_MAX
			       : (size_t)json_integer_value(value);
		return true;
	}
	if (json_is_real(value) && is_integral(value) && (d = json_real_value(value)) >= 0) {
		*out = d >= (double)SIZE_MAX ? SIZE_MAX : (size_t)d;
		return true;
	}
	return false;
}

/*
 * Whether `inst` is a multiple of `divisor` (> 0).  Integers divide
 * exactly.  Otherwise the quotient of two doubles carries the rounding of
 * both (0.0075 / 0.0001 is 74.99999999999999), so it counts as whole when
 * it is within a few units in the last place of an integer.
 */
static bool is_multiple(const json_t *inst, const json_t *divisor)
{
	double x, d, q;

	if (json_is_integer(inst) && json_is_integer(divisor))
		return json_integer_value(inst) % json_integer_value(divisor) == 0;
	x = json_number_value(inst);
	d = json_number_value(divisor);
	q = x / d;
	if (!isfinite(q))
		return false;
	return magnitude(q - nearest_integer(q)) <= 4 * DBL_EPSILON * magnitude(q);
}

int kk_eval_number(kk_evaluator *ev, const json_t *schema, const json_t *inst, kk_diaglist *errors)
{
	const json_t *value;
	char num[40];
	int res = KK_EVAL_VALID;

	value = json_object_get(schema, "multipleOf");
	if (json_is_number(value) && json_number_value(value) > 0 && !is_multiple(inst, value)) {
		format_number(num, sizeof(num), value);
		if (kk_eval_fold(&res,
				 kk_eval_report(ev, errors, _("must be a multiple of %s"), num),
				 errors))
			return res;
	}
	value = json_object_get(schema, "maximum");
	if (json_is_number(value) && number_cmp(inst, value) > 0) {
		format_number(num, sizeof(num), value);
		if (kk_eval_fold(&res, kk_eval_report(ev, errors, _("must be at most %s"), num),
				 errors))
			return res;
	}
	value = json_object_get(schema, "exclusiveMaximum");
	if (json_is_number(value) && number_cmp(inst, value) >= 0) {
		format_number(num, sizeof(num), value);
		if (kk_eval_fold(&res, kk_eval_report(ev, errors, _("must be less than %s"), num),
				 errors))
			return res;
	}
	value = json_object_get(schema, "minimum");
	if (json_is_number(value) && number_cmp(inst, value) < 0) {
		format_number(num, sizeof(num), value);
		if (kk_eval_fold(&res, kk_eval_report(ev, errors, _("must be at least %s"), num),
				 errors))
			return res;
	}
	value = json_object_get(schema, "exclusiveMinimum");
	if (json_is_number(value) && number_cmp(inst, value) <= 0) {
		format_number(num, sizeof(num), value);
		if (kk_eval_fold(&res,
				 kk_eval_report(ev, errors, _("must be greater than %s"), num),
				 errors))
			return res;
	}
	return res;
}

/* types, enum, const */

static bool has_type(const json_t *inst, const char *type)
{
	if (strcmp(type, "integer") == 0)
		return json_is_number(inst) && is_integral(inst);
	if (strcmp(type, "number") == 0)
		return json_is_number(inst);
	if (strcmp(type, "string") == 0)
		return json_is_string(inst);
	if (strcmp(type, "object") == 0)
		return json_is_object(inst);
	if (strcmp(type, "array") == 0)
		return json_is_array(inst);
	if (strcmp(type, "boolean") == 0)
		return json_is_boolean(inst);
	if (strcmp(type, "null") == 0)
		return json_is_null(inst);
	return false;
}

static const char *type_phrase(const char *type)
{
	if (strcmp(type, "integer") == 0)
		return _("an integer");
	if (strcmp(type, "number") == 0)
		return _("a number");
	if (strcmp(type, "string") == 0)
		return _("a string");
	if (strcmp(type, "object") == 0)
		return _("an object");
	if (strcmp(type, "array") == 0)
		return _("an array");
	if (strcmp(type, "boolean") == 0)
		return _("a boolean");
	if (strcmp(type, "null") == 0)
		return _("null");
	return type;
}

/* "expected a string or null, got an integer", from a list of type names. */
static int __attribute__((noinline))
report_type(kk_evaluator *ev, const json_t *types, const json_t *inst, kk_diaglist *errors)
{
	char list[256] = "", joined[256];
	size_t i, n = json_is_array(types) ? json_array_size(types) : 1;

	for (i = 0; i < n; i++) {
		const json_t *type = json_is_array(types) ? json_array_get(types, i) : types;
		const char *phrase;

		if (!json_is_string(type))
			continue;
		phrase = type_phrase(json_string_value(type));
		if (!list[0])
			snprintf(joined, sizeof(joined), "%s", phrase);
		else if (i + 1 == n)
			snprintf(joined, sizeof(joined), _("%s or %s"), list, phrase);
		else
			snprintf(joined, sizeof(joined), _("%s, %s"), list, phrase);
		memcpy(list, joined, sizeof(list));
	}
	return kk_eval_report(ev, errors, _("expected %s, got %s"), list,
			      kk_schema_value_phrase(inst));
}

int kk_eval_type(kk_evaluator *ev, const json_t *schema, const json_t *inst, kk_diaglist *errors)
{
	const json_t *types = json_object_get(schema, "type"), *type;
	size_t i;

	if (json_is_string(types)) {
		if (has_type(inst, json_string_value(types)))
			return KK_EVAL_VALID;
	} else if (json_is_array(types)) {
		json_array_foreach(types, i, type) {
			if (json_is_string(type) && has_type(inst, json_string_value(type)))
				return KK_EVAL_VALID;
		}
	} else {
		return KK_EVAL_VALID;
	}
	return report_type(ev, types, inst, errors);
}

/*
 * Appends `value` as JSON to the comma-separated list in `buf` (holding
 * *len bytes).  Returns 1, 0 when it would make the list longer than
 * VALUES_QUOTE_MAX bytes, or KK_ENOMEM.
 */
static int quote_value(char *buf, size_t *len, const json_t *value)
{
	char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(15));
	size_t tlen;

	if (!text)
		return KK_ENOMEM;
	tlen = strlen(text);
	if (*len + tlen + 2 > VALUES_QUOTE_MAX) {
		free(text);
		return 0;
	}
	*len += (size_t)snprintf(buf + *len, VALUES_QUOTE_MAX + 1 - *len, "%s%s", *len ? ", " : "",
				 text);
	free(text);
	return 1;
}

/* "must be one of "open", "completed"", or less precise when the list is too long to quote. */
static int __attribute__((noinline))
report_enum(kk_evaluator *ev, const json_t *values, kk_diaglist *errors)
{
	char quoted[VALUES_QUOTE_MAX + 1] = "";
	size_t i, len = 0, n = json_array_size(values);
	int fits = 1;

	if (!errors)
		return KK_EVAL_INVALID;
	for (i = 0; i < n && fits == 1; i++)
		fits = quote_value(quoted, &len, json_array_get(values, i));
	if (fits < 0)
		return kk_schema_diag(ev->diag, fits, ev->ptr, _("out of memory"));
	if (!fits || n == 0)
		return kk_eval_report(ev, errors, _("must be one of the allowed values"));
	if (n == 1)
		return kk_eval_report(ev, errors, _("must be %s"), quoted);
	return kk_eval_report(ev, errors, _("must be one of %s"), quoted);
}

static int __attribute__((noinline))
report_const(kk_evaluator *ev, const json_t *value, kk_diaglist *errors)
{
	char quoted[VALUES_QUOTE_MAX + 1] = "";
	size_t len = 0;
	int fits;

	if (!errors)
		return KK_EVAL_INVALID;
	if ((fits = quote_value(quoted, &len, value)) < 0)
		return kk_schema_diag(ev->diag, fits, ev->ptr, _("out of memory"));
	if (!fits)
		return kk_eval_report(ev, errors, _("must be the required value"));
	return kk_eval_report(ev, errors, _("must be %s"), quoted);
}

int kk_eval_enum_const(kk_evaluator *ev, const json_t *schema, const json_t *inst,
		       kk_diaglist *errors)
{
	const json_t *values = json_object_get(schema, "enum"), *value;
	int res = KK_EVAL_VALID;
	size_t i;

	if (json_is_array(values)) {
		bool found = false;

		json_array_foreach(values, i, value) {
			if ((found = kk_json_equal(inst, value)))
				break;
		}
		if (!found && kk_eval_fold(&res, report_enum(ev, values, errors), errors))
			return res;
	}
	value = json_object_get(schema, "const");
	if (value && !kk_json_equal(inst, value))
		kk_eval_fold(&res, report_const(ev, value, errors), errors);
	return res;
}

/* strings */

/* Length in code points: JSON Schema counts characters, not bytes. */
static size_t utf8_length(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	}
	return n;
}

int kk_eval_string(kk_evaluator *ev, const json_t *schema, const json_t *inst, kk_diaglist *errors)
{
	size_t len = utf8_length(json_string_value(inst), json_string_length(inst)), limit;
	const json_t *pattern;
	int res = KK_EVAL_VALID, rc;

	if (kk_eval_count(schema, "maxLength", &limit) && len > limit &&
	    kk_eval_fold(&res,
			 kk_eval_report(ev, errors,
					P_("must not be longer than %zu character",
					   "must not be longer than %zu characters", limit),
					limit),
			 errors))
		return res;
	if (kk_eval_count(schema, "minLength", &limit) && len < limit) {
		rc = limit == 1 ? kk_eval_report(ev, errors, _("must not be empty"))
				: kk_eval_report(ev, errors,
						 P_("must be at least %zu character long",
						    "must be at least %zu characters long", limit),
						 limit);
		if (kk_eval_fold(&res, rc, errors))
			return res;
	}
	pattern = json_object_get(schema, "pattern");
	if (json_is_string(pattern)) {
		rc = kk_eval_regex(ev, json_string_value(pattern), json_string_length(pattern),
				   json_string_value(inst), json_string_length(inst));
		if (rc == 0)
			rc = kk_eval_report(ev, errors, _("does not match pattern '%s'"),
					    json_string_value(pattern));
		else if (rc == 1)
			rc = KK_EVAL_VALID;
		kk_eval_fold(&res, rc, errors);
	}
	return res;
}
