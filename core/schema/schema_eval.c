/*
 * schema_eval.c - what draft-07's keywords mean.
 *
 * Evaluation runs in one of two modes.  With an error list it reports every
 * failure at its instance location; without one (inside anyOf, oneOf, not,
 * if and contains, where failing is an answer rather than an error) it
 * stops at the first failure and reports nothing.  Keywords whose values
 * are malformed are ignored: judging schemas is the metaschema's job.
 */
#include "schema_eval.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "json.h"
#include "schema_registry.h"
#include "schema_uri.h"

/* The longest list of values quoted in an enum or const error, in bytes. */
#define VALUES_QUOTE_MAX 300

/* Results of evaluation; negative values are KK_E* codes that end it. */
enum { VALID = 0, INVALID = 1 };

typedef struct evaluator {
	kk_schema *schema;
	kk_diag *diag;		       /* why evaluation could not be carried out */
	char ptr[KK_DIAG_POINTER_MAX]; /* the instance location */
	size_t depth;
} evaluator;

static int eval(evaluator *ev, const json_t *schema, const char *parent_base, const json_t *inst,
		kk_diaglist *errors);

/*
 * Folds the result `r` of one keyword into *acc.  Returns true when
 * evaluation should stop: on a fatal error, or on the first failure when
 * nobody collects errors.
 */
static bool fold(int *acc, int r, const kk_diaglist *errors)
{
	if (r < 0) {
		*acc = r;
		return true;
	}
	if (r == INVALID) {
		*acc = INVALID;
		return errors == NULL;
	}
	return false;
}

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

/* Records a failure at the current location; messages never end mid-character. */
static int __attribute__((noinline, format(printf, 3, 4)))
report(evaluator *ev, kk_diaglist *errors, const char *fmt, ...)
{
	char message[KK_DIAG_MESSAGE_MAX];
	va_list ap;
	int n;

	if (!errors)
		return INVALID;
	va_start(ap, fmt);
	n = vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(message))
		trim_partial_utf8(message, sizeof(message) - 1);
	if (kk_diaglist_addf(errors, KK_EINVALID, ev->ptr, "%s", message) < 0)
		return kk_schema_diag(ev->diag, KK_ENOMEM, ev->ptr, _("out of memory"));
	return INVALID;
}

/* A location too long for a kk_diag is reported as its nearest ancestor that fits. */
static size_t enter(evaluator *ev, const char *token)
{
	size_t mark = strlen(ev->ptr);

	(void)kk_json_pointer_push(ev->ptr, sizeof(ev->ptr), token);
	return mark;
}

static size_t enter_index(evaluator *ev, size_t index)
{
	char token[24];

	snprintf(token, sizeof(token), "%zu", index);
	return enter(ev, token);
}

static void leave(evaluator *ev, size_t mark)
{
	ev->ptr[mark] = '\0';
}

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

/*
 * Reads a count (maxLength, minItems, ...): a non-negative integer, 1.0
 * included.  Malformed keywords are ignored, as the metaschema rejects them.
 */
static bool get_count(const json_t *schema, const char *keyword, size_t *out)
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

static int eval_number(evaluator *ev, const json_t *schema, const json_t *inst, kk_diaglist *errors)
{
	const json_t *value;
	char num[40];
	int res = VALID;

	value = json_object_get(schema, "multipleOf");
	if (json_is_number(value) && json_number_value(value) > 0 && !is_multiple(inst, value)) {
		format_number(num, sizeof(num), value);
		if (fold(&res, report(ev, errors, _("must be a multiple of %s"), num), errors))
			return res;
	}
	value = json_object_get(schema, "maximum");
	if (json_is_number(value) && number_cmp(inst, value) > 0) {
		format_number(num, sizeof(num), value);
		if (fold(&res, report(ev, errors, _("must be at most %s"), num), errors))
			return res;
	}
	value = json_object_get(schema, "exclusiveMaximum");
	if (json_is_number(value) && number_cmp(inst, value) >= 0) {
		format_number(num, sizeof(num), value);
		if (fold(&res, report(ev, errors, _("must be less than %s"), num), errors))
			return res;
	}
	value = json_object_get(schema, "minimum");
	if (json_is_number(value) && number_cmp(inst, value) < 0) {
		format_number(num, sizeof(num), value);
		if (fold(&res, report(ev, errors, _("must be at least %s"), num), errors))
			return res;
	}
	value = json_object_get(schema, "exclusiveMinimum");
	if (json_is_number(value) && number_cmp(inst, value) <= 0) {
		format_number(num, sizeof(num), value);
		if (fold(&res, report(ev, errors, _("must be greater than %s"), num), errors))
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
report_type(evaluator *ev, const json_t *types, const json_t *inst, kk_diaglist *errors)
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
	return report(ev, errors, _("expected %s, got %s"), list, kk_schema_value_phrase(inst));
}

static int eval_type(evaluator *ev, const json_t *schema, const json_t *inst, kk_diaglist *errors)
{
	const json_t *types = json_object_get(schema, "type"), *type;
	size_t i;

	if (json_is_string(types)) {
		if (has_type(inst, json_string_value(types)))
			return VALID;
	} else if (json_is_array(types)) {
		json_array_foreach(types, i, type) {
			if (json_is_string(type) && has_type(inst, json_string_value(type)))
				return VALID;
		}
	} else {
		return VALID;
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
report_enum(evaluator *ev, const json_t *values, kk_diaglist *errors)
{
	char quoted[VALUES_QUOTE_MAX + 1] = "";
	size_t i, len = 0, n = json_array_size(values);
	int fits = 1;

	if (!errors)
		return INVALID;
	for (i = 0; i < n && fits == 1; i++)
		fits = quote_value(quoted, &len, json_array_get(values, i));
	if (fits < 0)
		return kk_schema_diag(ev->diag, fits, ev->ptr, _("out of memory"));
	if (!fits || n == 0)
		return report(ev, errors, _("must be one of the allowed values"));
	if (n == 1)
		return report(ev, errors, _("must be %s"), quoted);
	return report(ev, errors, _("must be one of %s"), quoted);
}

static int __attribute__((noinline))
report_const(evaluator *ev, const json_t *value, kk_diaglist *errors)
{
	char quoted[VALUES_QUOTE_MAX + 1] = "";
	size_t len = 0;
	int fits;

	if (!errors)
		return INVALID;
	if ((fits = quote_value(quoted, &len, value)) < 0)
		return kk_schema_diag(ev->diag, fits, ev->ptr, _("out of memory"));
	if (!fits)
		return report(ev, errors, _("must be the required value"));
	return report(ev, errors, _("must be %s"), quoted);
}

static int eval_enum_const(evaluator *ev, const json_t *schema, const json_t *inst,
			   kk_diaglist *errors)
{
	const json_t *values = json_object_get(schema, "enum"), *value;
	int res = VALID;
	size_t i;

	if (json_is_array(values)) {
		bool found = false;

		json_array_foreach(values, i, value) {
			if ((found = kk_json_equal(inst, value)))
				break;
		}
		if (!found && fold(&res, report_enum(ev, values, errors), errors))
			return res;
	}
	value = json_object_get(schema, "const");
	if (value && !kk_json_equal(inst, value))
		fold(&res, report_const(ev, value, errors), errors);
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

/* Returns 1 when `subject` matches, 0 when it does not, or a fatal error. */
static int regex_search(evaluator *ev, const char *pattern, size_t plen, const char *subject,
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
	pcre2_get_error_message(rc, text, sizeof(text));
	return kk_schema_diag(ev->diag, KK_ERROR, ev->ptr, _("cannot match pattern '%s': %s"),
			      pattern, (const char *)text);
}

static int eval_string(evaluator *ev, const json_t *schema, const json_t *inst, kk_diaglist *errors)
{
	size_t len = utf8_length(json_string_value(inst), json_string_length(inst)), limit;
	const json_t *pattern;
	int res = VALID, rc;

	if (get_count(schema, "maxLength", &limit) && len > limit &&
	    fold(&res,
		 report(ev, errors,
			P_("must not be longer than %zu character",
			   "must not be longer than %zu characters", limit),
			limit),
		 errors))
		return res;
	if (get_count(schema, "minLength", &limit) && len < limit) {
		rc = limit == 1 ? report(ev, errors, _("must not be empty"))
				: report(ev, errors,
					 P_("must be at least %zu character long",
					    "must be at least %zu characters long", limit),
					 limit);
		if (fold(&res, rc, errors))
			return res;
	}
	pattern = json_object_get(schema, "pattern");
	if (json_is_string(pattern)) {
		rc = regex_search(ev, json_string_value(pattern), json_string_length(pattern),
				  json_string_value(inst), json_string_length(inst));
		if (rc == 0)
			rc = report(ev, errors, _("does not match pattern '%s'"),
				    json_string_value(pattern));
		else if (rc == 1)
			rc = VALID;
		fold(&res, rc, errors);
	}
	return res;
}

/* arrays */

static int eval_item(evaluator *ev, const json_t *schema, const char *base, const json_t *inst,
		     size_t i, kk_diaglist *errors)
{
	size_t mark = enter_index(ev, i);
	int rc = eval(ev, schema, base, json_array_get(inst, i), errors);

	leave(ev, mark);
	return rc;
}

static int eval_items(evaluator *ev, const json_t *schema, const char *base, const json_t *inst,
		      kk_diaglist *errors)
{
	const json_t *items = json_object_get(schema, "items"), *extra = items;
	size_t i = 0, n = json_array_size(inst), tuple;
	int res = VALID;

	if (json_is_array(items)) {
		tuple = json_array_size(items);
		for (; i < n && i < tuple; i++) {
			const json_t *sub = json_array_get(items, i);

			if (fold(&res, eval_item(ev, sub, base, inst, i, errors), errors))
				return res;
		}
		extra = json_object_get(schema, "additionalItems");
		/* A closed tuple reads better as a length limit than as an error per extra item. */
		if (json_is_false(extra) && n > tuple) {
			fold(&res,
			     report(ev, errors,
				    P_("must not have more than %zu item",
				       "must not have more than %zu items", tuple),
				    tuple),
			     errors);
			return res;
		}
	}
	for (; extra && i < n; i++) {
		if (fold(&res, eval_item(ev, extra, base, inst, i, errors), errors))
			return res;
	}
	return res;
}

static bool has_duplicates(const json_t *array)
{
	size_t i, j, n = json_array_size(array);

	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			if (kk_json_equal(json_array_get(array, i), json_array_get(array, j)))
				return true;
		}
	}
	return false;
}

static int eval_array(evaluator *ev, const json_t *schema, const char *base, const json_t *inst,
		      kk_diaglist *errors)
{
	size_t i, n = json_array_size(inst), limit;
	const json_t *contains;
	int res = VALID, rc;

	if (fold(&res, eval_items(ev, schema, base, inst, errors), errors))
		return res;
	if (get_count(schema, "maxItems", &limit) && n > limit &&
	    fold(&res,
		 report(ev, errors,
			P_("must not have more than %zu item", "must not have more than %zu items",
			   limit),
			limit),
		 errors))
		return res;
	if (get_count(schema, "minItems", &limit) && n < limit) {
		rc = limit == 1 ? report(ev, errors, _("must not be empty"))
				: report(ev, errors,
					 P_("must have at least %zu item",
					    "must have at least %zu items", limit),
					 limit);
		if (fold(&res, rc, errors))
			return res;
	}
	if (json_is_true(json_object_get(schema, "uniqueItems")) && has_duplicates(inst) &&
	    fold(&res, report(ev, errors, _("must not have duplicate items")), errors))
		return res;
	if ((contains = json_object_get(schema, "contains")) != NULL) {
		rc = INVALID;
		for (i = 0; i < n && rc == INVALID; i++)
			rc = eval_item(ev, contains, base, inst, i, NULL);
		if (rc == INVALID)
			rc = report(ev, errors, _("must contain at least one matching item"));
		fold(&res, rc, errors);
	}
	return res;
}

/* objects */

/* A property that a schema of `false` forbids reads better by name than as a value. */
static int eval_property(evaluator *ev, const json_t *sub, const char *base, const char *name,
			 const json_t *value, kk_diaglist *errors)
{
	size_t mark = enter(ev, name);
	int rc;

	if (json_is_false(sub))
		rc = report(ev, errors, _("property '%s' is not allowed"), name);
	else
		rc = eval(ev, sub, base, value, errors);
	leave(ev, mark);
	return rc;
}

static int eval_one_property(evaluator *ev, const json_t *schema, const char *base,
			     const char *name, size_t len, const json_t *value, kk_diaglist *errors)
{
	const json_t *properties = json_object_get(schema, "properties");
	const json_t *patterns = json_object_get(schema, "patternProperties");
	const json_t *additional = json_object_get(schema, "additionalProperties");
	const json_t *sub;
	const char *pattern;
	bool matched = false;
	json_t *psub;
	int res = VALID, rc;

	if (json_is_object(properties) && (sub = json_object_getn(properties, name, len)) != NULL) {
		matched = true;
		if (fold(&res, eval_property(ev, sub, base, name, value, errors), errors))
			return res;
	}
	if (json_is_object(patterns)) {
		json_object_foreach((json_t *)patterns, pattern, psub) {
			size_t plen = json_object_iter_key_len(json_object_key_to_iter(pattern));

			if ((rc = regex_search(ev, pattern, plen, name, len)) < 0)
				return rc;
			if (rc == 0)
				continue;
			matched = true;
			if (fold(&res, eval_property(ev, psub, base, name, value, errors), errors))
				return res;
		}
	}
	if (!matched && additional)
		fold(&res, eval_property(ev, additional, base, name, value, errors), errors);
	return res;
}

/*
 * propertyNames: a name is not a location of its own, so its errors are
 * reported at the property, with the first reason in the message.
 */
static int eval_property_name(evaluator *ev, const json_t *names, const char *base,
			      const char *name, size_t len, kk_diaglist *errors)
{
	kk_diaglist reasons = {0};
	json_t *instance = json_stringn(name, len);
	size_t mark;
	int rc;

	if (!instance)
		return kk_schema_diag(ev->diag, KK_ENOMEM, ev->ptr, _("out of memory"));
	mark = enter(ev, name);
	rc = eval(ev, names, base, instance, errors ? &reasons : NULL);
	if (rc == INVALID && errors)
		rc = reasons.count ? report(ev, errors, _("invalid property name '%s': %s"), name,
					    reasons.items[0].message)
				   : report(ev, errors, _("invalid property name '%s'"), name);
	leave(ev, mark);
	kk_diaglist_clear(&reasons);
	json_decref(instance);
	return rc;
}

static int eval_dependencies(evaluator *ev, const json_t *schema, const char *base,
			     const json_t *inst, kk_diaglist *errors)
{
	const json_t *dependencies = json_object_get(schema, "dependencies"), *required;
	const char *name;
	json_t *dep;
	size_t i;
	int res = VALID;

	if (!json_is_object(dependencies))
		return VALID;
	json_object_foreach((json_t *)dependencies, name, dep) {
		if (!json_object_get(inst, name))
			continue;
		if (!json_is_array(dep)) {
			if (fold(&res, eval(ev, dep, base, inst, errors), errors))
				return res;
			continue;
		}
		json_array_foreach(dep, i, required) {
			if (json_is_string(required) &&
			    !json_object_get(inst, json_string_value(required)) &&
			    fold(&res,
				 report(ev, errors,
					_("property '%s' is required when '%s' is present"),
					json_string_value(required), name),
				 errors))
				return res;
		}
	}
	return res;
}

static int eval_object(evaluator *ev, const json_t *schema, const char *base, const json_t *inst,
		       kk_diaglist *errors)
{
	size_t i, n = json_object_size(inst), limit;
	const json_t *required = json_object_get(schema, "required"), *names, *name;
	const char *key;
	json_t *value;
	int res = VALID, rc;

	if (get_count(schema, "maxProperties", &limit) && n > limit &&
	    fold(&res,
		 report(ev, errors,
			P_("must not have more than %zu property",
			   "must not have more than %zu properties", limit),
			limit),
		 errors))
		return res;
	if (get_count(schema, "minProperties", &limit) && n < limit) {
		rc = limit == 1 ? report(ev, errors, _("must not be empty"))
				: report(ev, errors,
					 P_("must have at least %zu property",
					    "must have at least %zu properties", limit),
					 limit);
		if (fold(&res, rc, errors))
			return res;
	}
	if (json_is_array(required)) {
		json_array_foreach(required, i, name) {
			if (json_is_string(name) &&
			    !json_object_get(inst, json_string_value(name)) &&
			    fold(&res,
				 report(ev, errors, _("missing required property '%s'"),
					json_string_value(name)),
				 errors))
				return res;
		}
	}
	names = json_object_get(schema, "propertyNames");
	json_object_foreach((json_t *)inst, key, value) {
		size_t klen = json_object_iter_key_len(json_object_key_to_iter(key));

		if (names &&
		    fold(&res, eval_property_name(ev, names, base, key, klen, errors), errors))
			return res;
		if (fold(&res, eval_one_property(ev, schema, base, key, klen, value, errors),
			 errors))
			return res;
	}
	fold(&res, eval_dependencies(ev, schema, base, inst, errors), errors);
	return res;
}

/* combinations */

static int eval_combinations(evaluator *ev, const json_t *schema, const char *base,
			     const json_t *inst, kk_diaglist *errors)
{
	const json_t *subs, *sub, *cond;
	size_t i, matches;
	int res = VALID, rc;

	if ((cond = json_object_get(schema, "if")) != NULL) {
		const json_t *branch;

		if ((rc = eval(ev, cond, base, inst, NULL)) < 0)
			return rc;
		branch = json_object_get(schema, rc == VALID ? "then" : "else");
		if (branch && fold(&res, eval(ev, branch, base, inst, errors), errors))
			return res;
	}
	if (json_is_array(subs = json_object_get(schema, "allOf"))) {
		json_array_foreach(subs, i, sub) {
			if (fold(&res, eval(ev, sub, base, inst, errors), errors))
				return res;
		}
	}
	/* Every alternative's errors would bury the point: one error sums them up. */
	if (json_is_array(subs = json_object_get(schema, "anyOf"))) {
		rc = INVALID;
		for (i = 0; i < json_array_size(subs) && rc == INVALID; i++)
			rc = eval(ev, json_array_get(subs, i), base, inst, NULL);
		if (rc == INVALID)
			rc = report(ev, errors,
				    _("does not match any of the allowed alternatives"));
		if (fold(&res, rc, errors))
			return res;
	}
	if (json_is_array(subs = json_object_get(schema, "oneOf"))) {
		matches = 0;
		json_array_foreach(subs, i, sub) {
			if ((rc = eval(ev, sub, base, inst, NULL)) < 0)
				return rc;
			if (rc == VALID)
				matches++;
		}
		rc = VALID;
		if (matches == 0)
			rc = report(ev, errors,
				    _("does not match any of the allowed alternatives"));
		else if (matches > 1)
			rc = report(ev, errors,
				    _("matches %zu alternatives but must match exactly one"),
				    matches);
		if (fold(&res, rc, errors))
			return res;
	}
	if ((sub = json_object_get(schema, "not")) != NULL) {
		if ((rc = eval(ev, sub, base, inst, NULL)) < 0)
			return rc;
		if (rc == VALID)
			fold(&res, report(ev, errors, _("value is not allowed")), errors);
	}
	return res;
}

/* schemas */

static int eval_ref(evaluator *ev, const char *ref, const char *base, const json_t *inst,
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
		rc = eval(ev, target, target_base, inst, errors);
	free(target_base);
	free(uri);
	return rc;
}

static int eval_keywords(evaluator *ev, const json_t *schema, const char *base, const json_t *inst,
			 kk_diaglist *errors)
{
	int res = VALID;

	if (fold(&res, eval_type(ev, schema, inst, errors), errors) ||
	    fold(&res, eval_enum_const(ev, schema, inst, errors), errors))
		return res;
	if (json_is_number(inst) && fold(&res, eval_number(ev, schema, inst, errors), errors))
		return res;
	if (json_is_string(inst) && fold(&res, eval_string(ev, schema, inst, errors), errors))
		return res;
	if (json_is_array(inst) && fold(&res, eval_array(ev, schema, base, inst, errors), errors))
		return res;
	if (json_is_object(inst) && fold(&res, eval_object(ev, schema, base, inst, errors), errors))
		return res;
	fold(&res, eval_combinations(ev, schema, base, inst, errors), errors);
	return res;
}

/*
 * Evaluates `schema` against `inst`.  `parent_base` is the base URI of the
 * schema around it, so that its own $id can change it.
 */
static int eval(evaluator *ev, const json_t *schema, const char *parent_base, const json_t *inst,
		kk_diaglist *errors)
{
	const json_t *ref;
	char *base = NULL;
	int rc;

	if (json_is_true(schema))
		return VALID;
	if (json_is_false(schema))
		return report(ev, errors, _("value is not allowed"));
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
	evaluator ev = {0};

	ev.schema = schema;
	ev.diag = diag;
	return eval(&ev, schema->root, schema->base, instance, errors);
}
