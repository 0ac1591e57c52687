/*
 * schema_containers.c - the keywords of draft-07 on arrays (items,
 * additionalItems, maxItems, minItems, uniqueItems, contains) and objects
 * (properties, patternProperties, additionalProperties, propertyNames,
 * dependencies, required, maxProperties, minProperties), each member
 * evaluated at its own location (schema_keywords.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "json.h"
#include "schema_keywords.h"
#include "schema_registry.h"

/* arrays */

static int eval_item(kk_evaluator *ev, const json_t *schema, const char *base, const json_t *inst,
		     size_t i, kk_diaglist *errors)
{
	size_t mark = kk_eval_enter_index(ev, i);
	int rc = kk_eval_subschema(ev, schema, base, json_array_get(inst, i), errors);

	kk_eval_leave(ev, mark);
	return rc;
}

static int eval_items(kk_evaluator *ev, const json_t *schema, const char *base, const json_t *inst,
		      kk_diaglist *errors)
{
	const json_t *items = json_object_get(schema, "items"), *extra = items;
	size_t i = 0, n = json_array_size(inst), tuple;
	int res = KK_EVAL_VALID;

	if (json_is_array(items)) {
		tuple = json_array_size(items);
		for (; i < n && i < tuple; i++) {
			const json_t *sub = json_array_get(items, i);

			if (kk_eval_fold(&res, eval_item(ev, sub, base, inst, i, errors), errors))
				return res;
		}
		extra = json_object_get(schema, "additionalItems");
		/* A closed tuple reads better as a length limit than as an error per extra item. */
		if (json_is_false(extra) && n > tuple) {
			kk_eval_fold(&res,
				     kk_eval_report(ev, errors,
						    P_("must not have more than %zu item",
						       "must not have more than %zu items", tuple),
						    tuple),
				     errors);
			return res;
		}
	}
	for (; extra && i < n; i++) {
		if (kk_eval_fold(&res, eval_item(ev, extra, base, inst, i, errors), errors))
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

int kk_eval_array(kk_evaluator *ev, const json_t *schema, const char *base, const json_t *inst,
		  kk_diaglist *errors)
{
	size_t i, n = json_array_size(inst), limit;
	const json_t *contains;
	int res = KK_EVAL_VALID, rc;

	if (kk_eval_fold(&res, eval_items(ev, schema, base, inst, errors), errors))
		return res;
	if (kk_eval_count(schema, "maxItems", &limit) && n > limit &&
	    kk_eval_fold(&res,
			 kk_eval_report(ev, errors,
					P_("must not have more than %zu item",
					   "must not have more than %zu items", limit),
					limit),
			 errors))
		return res;
	if (kk_eval_count(schema, "minItems", &limit) && n < limit) {
		rc = limit == 1 ? kk_eval_report(ev, errors, _("must not be empty"))
				: kk_eval_report(ev, errors,
						 P_("must have at least %zu item",
						    "must have at least %zu items", limit),
						 limit);
		if (kk_eval_fold(&res, rc, errors))
			return res;
	}
	if (json_is_true(json_object_get(schema, "uniqueItems")) && has_duplicates(inst) &&
	    kk_eval_fold(&res, kk_eval_report(ev, errors, _("must not have duplicate items")),
			 errors))
		return res;
	if ((contains = json_object_get(schema, "contains")) != NULL) {
		rc = KK_EVAL_INVALID;
		for (i = 0; i < n && rc == KK_EVAL_INVALID; i++)
			rc = eval_item(ev, contains, base, inst, i, NULL);
		if (rc == KK_EVAL_INVALID)
			rc = kk_eval_report(ev, errors,
					    _("must contain at least one matching item"));
		kk_eval_fold(&res, rc, errors);
	}
	return res;
}

/* objects */

/* A property that a schema of `false` forbids reads better by name than as a value. */
static int eval_property(kk_evaluator *ev, const json_t *sub, const char *base, const char *name,
			 const json_t *value, kk_diaglist *errors)
{
	size_t mark = kk_eval_enter(ev, name);
	int rc;

	if (json_is_false(sub))
		rc = kk_eval_report(ev, errors, _("property '%s' is not allowed"), name);
	else
		rc = kk_eval_subschema(ev, sub, base, value, errors);
	kk_eval_leave(ev, mark);
	return rc;
}

static int eval_one_property(kk_evaluator *ev, const json_t *schema, const char *base,
			     const char *name, size_t len, const json_t *value, kk_diaglist *errors)
{
	const json_t *properties = json_object_get(schema, "properties");
	const json_t *patterns = json_object_get(schema, "patternProperties");
	const json_t *additional = json_object_get(schema, "additionalProperties");
	const json_t *sub;
	const char *pattern;
	bool matched = false;
	json_t *psub;
	int res = KK_EVAL_VALID, rc;

	if (json_is_object(properties) && (sub = json_object_getn(properties, name, len)) != NULL) {
		matched = true;
		if (kk_eval_fold(&res, eval_property(ev, sub, base, name, value, errors), errors))
			return res;
	}
	if (json_is_object(patterns)) {
		json_object_foreach((json_t *)patterns, pattern, psub) {
			size_t plen = json_object_iter_key_len(json_object_key_to_iter(pattern));

			if ((rc = kk_eval_regex(ev, pattern, plen, name, len)) < 0)
				return rc;
			if (rc == 0)
				continue;
			matched = true;
			if (kk_eval_fold(&res, eval_property(ev, psub, base, name, value, errors),
					 errors))
				return res;
		}
	}
	if (!matched && additional)
		kk_eval_fold(&res, eval_property(ev, additional, base, name, value, errors),
			     errors);
	return res;
}

/*
 * propertyNames: a name is not a location of its own, so its errors are
 * reported at the property, with the first reason in the message.
 */
static int eval_property_name(kk_evaluator *ev, const json_t *names, const char *base,
			      const char *name, size_t len, kk_diaglist *errors)
{
	kk_diaglist reasons = {0};
	json_t *instance = json_stringn(name, len);
	size_t mark;
	int rc;

	if (!instance)
		return kk_schema_diag(ev->diag, KK_ENOMEM, ev->ptr, _("out of memory"));
	mark = kk_eval_enter(ev, name);
	rc = kk_eval_subschema(ev, names, base, instance, errors ? &reasons : NULL);
	if (rc == KK_EVAL_INVALID && errors)
		rc = reasons.count
			     ? kk_eval_report(ev, errors, _("invalid property name '%s': %s"), name,
					      reasons.items[0].message)
			     : kk_eval_report(ev, errors, _("invalid property name '%s'"), name);
	kk_eval_leave(ev, mark);
	kk_diaglist_clear(&reasons);
	json_decref(instance);
	return rc;
}

static int eval_dependencies(kk_evaluator *ev, const json_t *schema, const char *base,
			     const json_t *inst, kk_diaglist *errors)
{
	const json_t *dependencies = json_object_get(schema, "dependencies"), *required;
	const char *name;
	json_t *dep;
	size_t i;
	int res = KK_EVAL_VALID;

	if (!json_is_object(dependencies))
		return KK_EVAL_VALID;
	json_object_foreach((json_t *)dependencies, name, dep) {
		if (!json_object_get(inst, name))
			continue;
		if (!json_is_array(dep)) {
			if (kk_eval_fold(&res, kk_eval_subschema(ev, dep, base, inst, errors),
					 errors))
				return res;
			continue;
		}
		json_array_foreach(dep, i, required) {
			if (json_is_string(required) &&
			    !json_object_get(inst, json_string_value(required)) &&
			    kk_eval_fold(
				    &res,
				    kk_eval_report(
					    ev, errors,
					    _("property '%s' is required when '%s' is present"),
					    json_string_value(required), name),
				    errors))
				return res;
		}
	}
	return res;
}

int kk_eval_object(kk_evaluator *ev, const json_t *schema, const char *base, const json_t *inst,
		   kk_diaglist *errors)
{
	size_t i, n = json_object_size(inst), limit;
	const json_t *required = json_object_get(schema, "required"), *names, *name;
	const char *key;
	json_t *value;
	int res = KK_EVAL_VALID, rc;

	if (kk_eval_count(schema, "maxProperties", &limit) && n > limit &&
	    kk_eval_fold(&res,
			 kk_eval_report(ev, errors,
					P_("must not have more than %zu property",
					   "must not have more than %zu properties", limit),
					limit),
			 errors))
		return res;
	if (kk_eval_count(schema, "minProperties", &limit) && n < limit) {
		rc = limit == 1 ? kk_eval_report(ev, errors, _("must not be empty"))
				: kk_eval_report(ev, errors,
						 P_("must have at least %zu property",
						    "must have at least %zu properties", limit),
						 limit);
		if (kk_eval_fold(&res, rc, errors))
			return res;
	}
	if (json_is_array(required)) {
		json_array_foreach(required, i, name) {
			if (json_is_string(name) &&
			    !json_object_get(inst, json_string_value(name)) &&
			    kk_eval_fold(&res,
					 kk_eval_report(ev, errors,
							_("missing required property '%s'"),
							json_string_value(name)),
					 errors))
				return res;
		}
	}
	names = json_object_get(schema, "propertyNames");
	json_object_foreach((json_t *)inst, key, value) {
		size_t klen = json_object_iter_key_len(json_object_key_to_iter(key));

		if (names &&
		    kk_eval_fold(&res, eval_property_name(ev, names, base, key, klen, errors),
				 errors))
			return res;
		if (kk_eval_fold(&res,
				 eval_one_property(ev, schema, base, key, klen, value, errors),
				 errors))
			return res;
	}
	kk_eval_fold(&res, eval_dependencies(ev, schema, base, inst, errors), errors);
	return res;
}
