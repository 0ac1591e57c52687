/*
 * rules.c - who may change what (rules.h), field by field: owners in open
 * years, frozen planned schedules, reasons for revisions and withdrawals,
 * closed years only by an admin's correction.
 */
#include "rules.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "patch.h"
#include "plan.h"

/* The fields of an open fiscal year that an owner department may change. */
static const char *const owner_fields[] = {"revised", "progress", "achievement", "result"};

/* The rules about rights (rule 2), which the daemon answers with "forbidden". */
static const char *const rights_rules[] = {KK_RULE_NOT_OWNER, KK_RULE_NOT_PERMITTED,
					   KK_RULE_ADMIN_ONLY, KK_RULE_YEAR_NOT_OPEN};

/* What every check of one item or file needs. */
typedef struct {
	json_t *violations;
	const kk_change_ctx *ctx;
	const char *key; /* "item" or "file" */
	json_t *subject; /* the item's id or the file's name */
	json_int_t id;	 /* the item's id, for messages */
	int admin;	 /* the person has the admin role */
	int reason;	 /* a reason was given */
	int whole;	 /* the item is created or removed, not changed */
} check_state;

/* A change path inside a year: "years.2021.revised" is year "2021", field "revised". */
typedef struct {
	char year[16];
	char name[KK_FY_NAME_MAX]; /* its era name, "令和3年度", for messages */
	const char *field; /* "" for the year as a whole ("years.2021") */
	const char *state; /* "open", "closed", "planned", or NULL when settings do not list it */
} year_ref;

/*
 * A reason is given when it has more than white space; Japanese input
 * methods type the ideographic space (U+3000), so that counts as white.
 */
int kk_rules_reason_given(const char *s)
{
	while (s && *s) {
		if (isspace((unsigned char)*s))
			s++;
		else if (strncmp(s, "\xe3\x80\x80", 3) == 0)
			s += 3;
		else
			return 1;
	}
	return 0;
}

static int is_fiscal_year(const char *s)
{
	if ((s[0] != '1' && s[0] != '2') || strlen(s) != 4)
		return 0;
	for (int i = 1; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Tells whether `path` is inside a year and, if so, fills in `ref`. */
static int parse_year(year_ref *ref, const char *path, const json_t *settings)
{
	const char *year, *dot;
	size_t len;

	if (strncmp(path, "years.", 6) != 0)
		return 0;
	year = path + 6;
	dot = strchr(year, '.');
	len = dot ? (size_t)(dot - year) : strlen(year);
	snprintf(ref->year, sizeof(ref->year), "%.*s", (int)len, year);
	ref->field = dot ? dot + 1 : "";
	/* A key too long for ref->year is no fiscal year either. */
	ref->state = len < sizeof(ref->year) && is_fiscal_year(ref->year)
			     ? kk_fy_state(settings, atoi(ref->year))
			     : NULL;
	if (is_fiscal_year(ref->year))
		kk_fy_format(ref->name, sizeof(ref->name), settings, atoi(ref->year));
	else
		snprintf(ref->name, sizeof(ref->name), "%s", ref->year);
	return 1;
}

static int is_owner_field(const char *field)
{
	for (size_t i = 0; i < sizeof(owner_fields) / sizeof(*owner_fields); i++)
		if (strcmp(field, owner_fields[i]) == 0)
			return 1;
	return 0;
}

static int is_state(const char *state, const char *want)
{
	return state && strcmp(state, want) == 0;
}

static int add(check_state *st, const char *path, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Appends a violation with a formatted, already translated message. */
static int add(check_state *st, const char *path, const char *rule, const char *fmt, ...)
{
	char *message = NULL;
	json_t *v = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&message, fmt, ap);
	va_end(ap);
	if (n < 0)
		return KK_ENOMEM;
	v = json_pack("{s:O, s:s, s:s, s:s}", st->key, st->subject, "path", path, "rule", rule,
		      "message", message);
	free(message);
	if (!v || json_array_append_new(st->violations, v) < 0)
		return KK_ENOMEM;
	return 1;
}

/* Rule 4 for a change inside a closed year; returns 0 when the correction is allowed. */
static int check_closed(check_state *st, const char *path, const year_ref *y)
{
	if (!st->admin || !st->ctx->correction)
		return add(st, path, KK_RULE_CLOSED_YEAR,
			   _("cannot change '%s' of item %lld: fiscal year %s (%s) is closed; only "
			     "an admin's correction with a reason may change it"),
			   path, (long long)st->id, y->year, y->name);
	if (!st->reason)
		return add(st, path, KK_RULE_CLOSED_YEAR,
			   _("cannot correct '%s' of item %lld: a correction to closed fiscal year "
			     "%s (%s) needs a reason"),
			   path, (long long)st->id, y->year, y->name);
	return 0;
}

/*
 * A planned schedule of an open year: not the owners' to change (rule 2),
 * an admin's only with a reason (rule 3).
 */
static int frozen(check_state *st, const char *path, const year_ref *y, const char *rule)
{
	return add(st, path, rule,
		   _("cannot change '%s' of item %lld: the planned schedule is frozen once fiscal "
		     "year %s (%s) is open; an admin may change it with a reason"),
		   path, (long long)st->id, y->year, y->name);
}

/* Rule 2 for an owner department (not an admin); returns 0 when the change is theirs to make. */
static int check_owner(check_state *st, const char *path, const year_ref *y)
{
	if (!y) {
		if (strcmp(path, "status") == 0)
			return 0;
	} else if (is_owner_field(y->field)) {
		if (is_state(y->state, "open"))
			return 0;
		if (is_state(y->state, "planned"))
			return add(st, path, KK_RULE_YEAR_NOT_OPEN,
				   _("cannot change '%s' of item %lld: fiscal year %s (%s) is not "
				     "open yet"),
				   path, (long long)st->id, y->year, y->name);
		return add(st, path, KK_RULE_YEAR_NOT_OPEN,
			   _("cannot change '%s' of item %lld: fiscal year %s (%s) is not open"),
			   path, (long long)st->id, y->year, y->name);
	} else if (strcmp(y->field, "planned") == 0) {
		if (is_state(y->state, "open"))
			return frozen(st, path, y, KK_RULE_NOT_PERMITTED);
		return add(st, path, KK_RULE_NOT_PERMITTED,
			   _("cannot change '%s' of item %lld: only an admin may change a planned "
			     "schedule"),
			   path, (long long)st->id);
	}
	return add(st, path, KK_RULE_NOT_PERMITTED,
		   _("cannot change '%s' of item %lld: owner departments may change only the "
		     "revised schedule, progress, achievement and result of an open fiscal year, "
		     "and the item's status"),
		   path, (long long)st->id);
}

/* Rule 3: changes that need a reason. */
static int check_reason(check_state *st, const char *path, const year_ref *y, const json_t *old,
			const json_t *new)
{
	const char *from = json_string_value(old), *to = json_string_value(new);

	if (st->reason || st->whole)
		return 0;
	if (y && strcmp(y->field, "planned") == 0 && is_state(y->state, "open"))
		return frozen(st, path, y, KK_RULE_FROZEN_PLANNED);
	if (y && strcmp(y->field, "revised") == 0)
		return add(st, path, KK_RULE_REASON_REQUIRED,
			   _("cannot change '%s' of item %lld: changing a revised schedule needs a "
			     "reason"),
			   path, (long long)st->id);
	if (y || strcmp(path, "status") != 0)
		return 0;
	if (to && strcmp(to, "withdrawn") == 0)
		return add(st, path, KK_RULE_REASON_REQUIRED,
			   _("cannot withdraw item %lld: withdrawing an item needs a reason"),
			   (long long)st->id);
	if (from && strcmp(from, "completed") == 0 && to && strcmp(to, "open") == 0)
		return add(st, path, KK_RULE_REASON_REQUIRED,
			   _("cannot reopen item %lld: reopening a completed item needs a reason"),
			   (long long)st->id);
	return 0;
}

static int check_change(check_state *st, const json_t *change)
{
	const char *path = json_string_value(json_object_get(change, "path"));
	year_ref year, *y = NULL;
	int n;

	if (parse_year(&year, path, st->ctx->settings))
		y = &year;
	if (y && is_state(y->state, "closed"))
		return check_closed(st, path, y);
	if (!st->admin && (n = check_owner(st, path, y)) != 0)
		return n;
	return check_reason(st, path, y, json_object_get(change, "old"),
			    json_object_get(change, "new"));
}

static int acts_for_owner(const kk_identity *who, const json_t *item)
{
	size_t i;
	json_t *owner;

	json_array_foreach(json_object_get(item, "owners"), i, owner) {
		if (json_string_value(owner) && kk_identity_in(who, json_string_value(owner)))
			return 1;
	}
	return 0;
}

int kk_rules_check_item(json_t *violations, const kk_change_ctx *ctx, const json_t *old,
			const json_t *new)
{
	const json_t *doc = new ? new : old;
	check_state st = {violations, ctx, "item", NULL, 0, 0, 0, 0};
	json_t *changes = NULL, *c;
	size_t i;
	int count = 0, n;

	st.id = json_integer_value(json_object_get(doc, "id"));
	st.admin = ctx->who && ctx->who->admin;
	st.reason = kk_rules_reason_given(ctx->reason);
	st.whole = !old || !new;
	if (!(st.subject = json_integer(st.id)) || !(changes = json_array())) {
		count = KK_ENOMEM;
		goto done;
	}
	if ((count = kk_diff_fields(changes, old, new, NULL)) <= 0)
		goto done;
	count = 0;
	/* Someone who may not touch the item at all hears so once, not once per field. */
	if (!st.admin && !old) {
		count = add(&st, "", KK_RULE_ADMIN_ONLY,
			    _("cannot add item %lld: only an admin may add items"),
			    (long long)st.id);
		goto done;
	}
	if (!st.admin && !new) {
		count = add(&st, "", KK_RULE_ADMIN_ONLY,
			    _("cannot remove item %lld: only an admin may remove items"),
			    (long long)st.id);
		goto done;
	}
	if (!st.admin && !acts_for_owner(ctx->who, old)) {
		count = add(&st, "", KK_RULE_NOT_OWNER,
			    _("cannot change item %lld: you do not act for any of its owner "
			      "departments"),
			    (long long)st.id);
		goto done;
	}
	json_array_foreach(changes, i, c) {
		if ((n = check_change(&st, c)) < 0) {
			count = n;
			goto done;
		}
		count += n;
	}
done:
	json_decref(changes);
	json_decref(st.subject);
	return count;
}

/*
 * Rule 4 for keikaku.json: the state of a closed year is the year's too, so
 * that reopening or dropping it is a correction like any other change to it.
 */
static int check_closed_states(check_state *st, const char *file, const json_t *old,
			       const json_t *new)
{
	const json_t *after = json_object_get(new, "years");
	const char *year;
	json_t *state;
	int count = 0, n;

	json_object_foreach(json_object_get(old, "years"), year, state) {
		char path[64], name[KK_FY_NAME_MAX];

		if (!is_state(json_string_value(state), "closed") ||
		    json_equal(state, json_object_get(after, year)))
			continue;
		kk_fy_format(name, sizeof(name), st->ctx->settings, atoi(year));
		snprintf(path, sizeof(path), "years.%.50s", year);
		if (!st->admin || !st->ctx->correction)
			n = add(st, path, KK_RULE_CLOSED_YEAR,
				_("cannot change '%s' of '%s': fiscal year %s (%s) is closed; only an "
				  "admin's correction with a reason may change it"),
				path, file, year, name);
		else if (!st->reason)
			n = add(st, path, KK_RULE_CLOSED_YEAR,
				_("cannot correct '%s' of '%s': a correction to closed fiscal year %s "
				  "(%s) needs a reason"),
				path, file, year, name);
		else
			n = 0;
		if (n < 0)
			return n;
		count += n;
	}
	return count;
}

int kk_rules_check_file(json_t *violations, const kk_change_ctx *ctx, const char *file,
			const json_t *old, const json_t *new)
{
	check_state st = {violations, ctx, "file", NULL, 0, 0, 0, 0};
	int n;

	if ((!old && !new) || (old && new &&json_equal(old, new)))
		return 0;
	st.admin = ctx->who && ctx->who->admin;
	st.reason = kk_rules_reason_given(ctx->reason);
	if (st.admin && strcmp(file, KK_PATH_SETTINGS) != 0 &&
	    (strcmp(file, KK_PATH_SIGNERS) != 0 || st.reason))
		return 0;
	if (!(st.subject = json_string(file)))
		return KK_ENOMEM;
	if (!st.admin)
		n = add(&st, "", KK_RULE_ADMIN_ONLY,
			_("cannot change '%s': only an admin may change it"), file);
	else if (strcmp(file, KK_PATH_SIGNERS) == 0)
		n = add(&st, "", KK_RULE_REASON_REQUIRED,
			_("cannot change '%s': a change to who may sign the plan needs a reason"),
			file);
	else
		n = check_closed_states(&st, file, old, new);
	json_decref(st.subject);
	return n;
}

int kk_rules_forbidden(const json_t *violations)
{
	size_t i;
	json_t *v;

	json_array_foreach(violations, i, v) {
		const char *rule = json_string_value(json_object_get(v, "rule"));

		for (size_t j = 0; rule && j < sizeof(rights_rules) / sizeof(*rights_rules); j++)
			if (strcmp(rule, rights_rules[j]) == 0)
				return 1;
	}
	return 0;
}

/* --- rule 6 for co-owners: the lines of a text another owner wrote --- */

/* The fields of a fiscal year that are free text, which co-owners may share. */
static const char *const text_fields[] = {"revised", "result"};

int kk_rules_coowner_text(const kk_change_ctx *ctx, const json_t *old, const char *path)
{
	const char *field;
	int text = 0;

	if (!ctx->who || ctx->who->admin || json_array_size(json_object_get(old, "owners")) < 2 ||
	    strncmp(path, "years.", 6) != 0 || !(field = strchr(path + 6, '.')))
		return 0;
	for (size_t i = 0; i < sizeof(text_fields) / sizeof(*text_fields); i++)
		text |= strcmp(field + 1, text_fields[i]) == 0;
	return text && acts_for_owner(ctx->who, old);
}

/*
 * Finds line `text` in `*rest`, the lines of the new text not matched yet,
 * and moves `*rest` past it.  `*rest` is NULL once every line is matched.
 */
static int find_line(const char **rest, const char *text)
{
	size_t len = strlen(text);

	for (const char *s = *rest; s;) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);

		if (n == len && memcmp(s, text, len) == 0) {
			*rest = nl ? nl + 1 : NULL;
			return 1;
		}
		s = nl ? nl + 1 : NULL;
	}
	return 0;
}

int kk_rules_check_coowner_text(json_t *violations, const kk_change_ctx *ctx, json_int_t id,
				const char *path, const json_t *lines, const char *new_text)
{
	check_state st = {violations, ctx, "item", NULL, id, 0, 0, 0};
	json_t *keep = json_array(), *line, *entry;
	const char *rest = new_text;
	size_t i;
	int missing = 0, n;

	if (!keep)
		return KK_ENOMEM;
	json_array_foreach(lines, i, line) {
		const char *text = json_string_value(json_object_get(line, "text"));
		const char *dept = json_string_value(json_object_get(line, "department"));
		int found;

		/* A blank line is no one's report; a line of the person's own they may change. */
		if (!text || !kk_rules_reason_given(text) ||
		    (dept && kk_identity_in(ctx->who, dept)))
			continue;
		found = find_line(&rest, text);
		missing |= !found;
		entry = json_pack("{s:I, s:s, s:s, s:b}", "line", (json_int_t)(i + 1), "text", text,
				  "author", dept ? dept : "admin", "missing", !found);
		if (!entry || json_array_append_new(keep, entry) < 0) {
			json_decref(keep);
			return KK_ENOMEM;
		}
	}
	if (!missing) {
		json_decref(keep);
		return 0;
	}
	if (!(st.subject = json_integer(id))) {
		json_decref(keep);
		return KK_ENOMEM;
	}
	n = add(&st, path, KK_RULE_COOWNER_TEXT,
		_("cannot change '%s' of item %lld: the item's other owner departments or an admin "
		  "wrote lines of it that the new text leaves out or moves; keep those lines, in "
		  "their order (your own lines you may change, and you may add lines anywhere)"),
		path, (long long)id);
	if (n > 0 &&
	    json_object_set_new(json_array_get(violations, json_array_size(violations) - 1), "keep",
				keep) < 0)
		n = KK_ENOMEM;
	else if (n <= 0)
		json_decref(keep);
	json_decref(st.subject);
	return n;
}
