/*
 * import_fix.c - the corrections file: what no reading of a report can decide.
 *
 * `keikaku import --corrections FILE` gives the importer a JSON document
 * (docs/cli.md shows one):
 *
 *   {"corrections": [
 *     {"row": 57, "set": {"owners": ["市民課"]}, "reason": "…"},
 *     {"id": 26, "set": {"measure": 3, "years": {"R3": {"revised": "導入"}}}, "reason": "…"},
 *     {"row": 61, "cells": {"G": "○", "O": "40"}, "reason": "…"},
 *     {"row": 80, "skip": true, "reason": "…"}]}
 *
 * Each entry names a row of the file (its line, as the importer's messages
 * do) or an item by its 通番, says why, and sets fields of the item, or
 * sets the text of some of the row's cells before it is read (what makes
 * an unreadable row readable, without editing the city's report), or
 * skips the row.  Values are taken as the plan stores them or as the
 * report writes them (○, 導入完了, R3, ③).  A row that cannot be read at
 * all becomes an item when its entry gives id, title, owners and status.
 * Corrections are applied to the items read, before the plan is validated;
 * each is recorded in kk_import.corrected and shown by --explain, and an
 * entry that matches no row or item is an error, so nothing is set or
 * dropped that the user did not mean.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "import_cell.h"
#include "import_int.h"
#include "json.h"
#include "keytext.h"
#include "plan.h"

/* The fields an entry may set, and the fields of a year. */
static const char *const item_fields[] = {"id",	     "title",  "owners",   "related",
					  "measure", "status", "added_in", "years"};
static const char *const year_fields[] = {"planned", "revised", "progress", "achievement",
					  "result"};

/* Records a problem of the corrections file at JSON pointer `pointer`; returns 1 or KK_ENOMEM. */
static int fix_fail(imp *x, const char *pointer, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fix_fail(imp *x, const char *pointer, const char *fmt, ...)
{
	kk_diag d = {0};
	va_list ap;

	d.code = KK_EINVALID;
	kk_diag_set_path(&d, x->opts->corrections_name ? x->opts->corrections_name : "-");
	snprintf(d.pointer, sizeof(d.pointer), "%s", pointer);
	va_start(ap, fmt);
	vsnprintf(d.message, sizeof(d.message), fmt, ap);
	va_end(ap);
	if (kk_diaglist_add(x->problems, &d) < 0)
		return KK_ENOMEM;
	x->fix_failed++;
	return 1;
}

/* An unknown field: names the nearest known one when it is a likely typo. */
static int unknown_field(imp *x, const char *pointer, const char *name, const char *const *known,
			 size_t count)
{
	const char *best = kk_key_nearest(name, known, count);
	const char *year =
		known == item_fields && !best
			? kk_key_nearest(name, year_fields, sizeof(year_fields) / sizeof(*year_fields))
			: NULL;

	if (year)
		return fix_fail(x, pointer,
				_("unknown field '%s' (did you mean '%s', a field of a fiscal year "
				  "under 'years'?)"),
				name, year);
	if (best)
		return fix_fail(x, pointer, _("unknown field '%s' (did you mean '%s'?)"), name,
				best);
	return fix_fail(x, pointer, _("unknown field '%s'"), name);
}

static int known_name(const char *name, const char *const *known, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(name, known[i]) == 0)
			return 1;
	return 0;
}

/* Sets `key` of `o` to `v`, or removes it when `v` is null.  Returns 0 or -1. */
static int set_or_remove(json_t *o, const char *key, json_t *v)
{
	if (json_is_null(v)) {
		json_object_del(o, key);
		return 0;
	}
	return json_object_set(o, key, v);
}

/* A text field: a non-empty string, or null to remove it. */
static int fix_text(imp *x, json_t *out, const char *key, const json_t *v, const char *pointer)
{
	if (json_is_null(v))
		return json_object_set_new(out, key, json_null()) < 0 ? KK_ENOMEM : 0;
	if (!json_is_string(v) || !*json_string_value(v))
		return fix_fail(x, pointer, _("'%s' must be a text, or null to remove it"), key);
	return json_object_set_new(out, key, json_string(json_string_value(v))) < 0 ? KK_ENOMEM : 0;
}

/* 担当課 or 関係課: a list of names, or one text split as the report's cells are. */
static int fix_departments(imp *x, json_t *out, const char *key, const json_t *v,
			   const char *pointer)
{
	json_t *names = json_array(), *name;
	size_t i;

	if (!names)
		return KK_ENOMEM;
	if (json_is_string(v)) {
		if (kk_cell_departments(names, json_string_value(v)) < 0)
			goto nomem;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, name) {
			if (!json_is_string(name) || !*json_string_value(name)) {
				json_decref(names);
				return fix_fail(x, pointer, _("'%s' must list department names"),
						key);
			}
			if (kk_cell_departments(names, json_string_value(name)) < 0)
				goto nomem;
		}
	} else {
		json_decref(names);
		return fix_fail(x, pointer, _("'%s' must list department names"), key);
	}
	if (strcmp(key, "owners") == 0 && json_array_size(names) == 0) {
		json_decref(names);
		return fix_fail(x, pointer, _("an item needs at least one 担当課"));
	}
	return json_object_set_new(out, key, names) < 0 ? KK_ENOMEM : 0;
nomem:
	json_decref(names);
	return KK_ENOMEM;
}

/* 達成度: a code or the report's word (導入完了, 取り下げ, —). */
static int fix_achievement(imp *x, json_t *out, const char *key, const json_t *v,
			   const char *pointer)
{
	const char *code = NULL;

	if (json_is_null(v) && strcmp(key, "status") != 0)
		return json_object_set_new(out, key, json_null()) < 0 ? KK_ENOMEM : 0;
	if (json_is_string(v) && !(code = kk_cell_achievement(json_string_value(v))))
		code = kk_achievement_from_label(json_string_value(v));
	if (!code)
		return fix_fail(x, pointer,
				_("'%s' must be 導入完了, 取り下げ or — (completed, withdrawn or "
				  "open)"),
				key);
	return json_object_set_new(out, key, json_string(code)) < 0 ? KK_ENOMEM : 0;
}

/* A fiscal year as the plan names it ("2021"), from "2021", "R3" or "令和3年度"; or 0. */
static int fix_year(const imp *x, const char *text)
{
	char compact[64];
	int year;

	kk_cell_compact(compact, sizeof(compact), text);
	return kk_fy_parse(&year, compact, x->settings, NULL) < 0 ? 0 : year;
}

/* 進捗度: a mark of the report's legend or a code, or null. */
static int fix_progress(imp *x, json_t *out, const json_t *v, const char *pointer)
{
	const char *text = json_string_value(v), *code = NULL;

	if (json_is_null(v))
		return json_object_set_new(out, "progress", json_null()) < 0 ? KK_ENOMEM : 0;
	if (text && !(code = imp_mark_code(x, text)))
		code = kk_progress_from_mark(text);
	if (!code)
		return fix_fail(x, pointer,
				_("'progress' must be ◎, ○ or ▲ (ahead, on_track or behind)"));
	return json_object_set_new(out, "progress", json_string(code)) < 0 ? KK_ENOMEM : 0;
}

/*
 * The JSON pointer of member `token` of `parent`, escaped, in `buf`; cut to
 * `parent` (or the start of it) when it would not fit: it only locates a
 * message.
 */
static void member_pointer(char *buf, size_t size, const char *parent, const char *token)
{
	size_t n = strnlen(parent, size - 1);

	memcpy(buf, parent, n);
	buf[n] = '\0';
	kk_json_pointer_push(buf, size, token);
}

static int fix_years(imp *x, json_t *out, const json_t *v, const char *pointer)
{
	json_t *years = json_object(), *fields, *value;
	const char *key, *field;
	char path[KK_DIAG_POINTER_MAX], fy[16];
	int error = 0;

	if (!years)
		return KK_ENOMEM;
	if (!json_is_object(v)) {
		json_decref(years);
		return fix_fail(x, pointer, _("'years' must map fiscal years to their fields"));
	}
	json_object_foreach((json_t *)v, key, fields) {
		int year = fix_year(x, key);
		json_t *y;

		member_pointer(path, sizeof(path), pointer, key);
		if (!year) {
			error = fix_fail(x, path, _("'%s' is not a fiscal year"), key);
			break;
		}
		if (!json_is_object(fields)) {
			error = fix_fail(x, path, _("a year's fields must be an object"));
			break;
		}
		snprintf(fy, sizeof(fy), "%d", year);
		if (!(y = json_object_get(years, fy)) &&
		    (json_object_set_new(years, fy, json_object()) < 0 ||
		     !(y = json_object_get(years, fy)))) {
			error = KK_ENOMEM;
			break;
		}
		json_object_foreach(fields, field, value) {
			char at[KK_DIAG_POINTER_MAX];

			member_pointer(at, sizeof(at), path, field);
			if (!known_name(field, year_fields,
					sizeof(year_fields) / sizeof(*year_fields)))
				error = unknown_field(x, at, field, year_fields,
						      sizeof(year_fields) / sizeof(*year_fields));
			else if (strcmp(field, "achievement") == 0)
				error = fix_achievement(x, y, field, value, at);
			else if (strcmp(field, "progress") != 0)
				error = fix_text(x, y, field, value, at);
			else
				error = fix_progress(x, y, value, at);
			if (error)
				break;
		}
		if (error)
			break;
	}
	if (error) {
		json_decref(years);
		return error;
	}
	return json_object_set_new(out, "years", years) < 0 ? KK_ENOMEM : 0;
}

/* An entry's "set", as the plan stores its values.  Returns 0, 1 (reported) or KK_ENOMEM. */
static int fix_set(imp *x, json_t *out, const json_t *set, int by_row, const char *pointer)
{
	const char *key;
	json_t *v;
	char at[KK_DIAG_POINTER_MAX + 32];
	int error = 0;

	if (!json_is_object(set) || json_object_size(set) == 0)
		return fix_fail(x, pointer, _("'set' must name the fields to set"));
	json_object_foreach((json_t *)set, key, v) {
		long n;
		const char *rest;
		int number;

		snprintf(at, sizeof(at), "%s/%s", pointer, key);
		if (known_name(key, year_fields, sizeof(year_fields) / sizeof(*year_fields)))
			error = fix_fail(
				x, at,
				_("'%s' is a field of a fiscal year: set it under 'years', "
				  "as in {\"years\": {\"R3\": {\"%s\": …}}}"),
				key, key);
		else if (!known_name(key, item_fields, sizeof(item_fields) / sizeof(*item_fields)))
			error = unknown_field(x, at, key, item_fields,
					      sizeof(item_fields) / sizeof(*item_fields));
		else if (strcmp(key, "id") == 0 && !by_row)
			error = fix_fail(x, at,
					 _("an entry that names an item by 通番 cannot "
					   "change it; name its row instead"));
		else if (strcmp(key, "id") == 0)
			error = json_is_integer(v) && json_integer_value(v) >= 1 &&
						json_integer_value(v) <= KK_ITEM_ID_MAX
					? (json_object_set(out, key, v) < 0 ? KK_ENOMEM : 0)
					: fix_fail(x, at, _("'id' must be a 通番 from 1 to %d"),
						   KK_ITEM_ID_MAX);
		else if (strcmp(key, "title") == 0)
			error = json_is_null(v) ? fix_fail(x, at, _("an item needs a title"))
						: fix_text(x, out, key, v, at);
		else if (strcmp(key, "owners") == 0 || strcmp(key, "related") == 0)
			error = fix_departments(x, out, key, v, at);
		else if (strcmp(key, "status") == 0)
			error = fix_achievement(x, out, key, v, at);
		else if (strcmp(key, "years") == 0)
			error = fix_years(x, out, v, at);
		else if (strcmp(key, "measure") == 0 && json_is_integer(v) &&
			 json_integer_value(v) >= 1 && json_integer_value(v) <= 99)
			error = json_object_set(out, key, v) < 0 ? KK_ENOMEM : 0;
		else if (strcmp(key, "measure") == 0 && json_is_string(v) &&
			 kk_cell_measure_number(&number, &rest, json_string_value(v)) && !*rest &&
			 number >= 1 && number <= 99)
			error = json_object_set_new(out, key, json_integer(number)) < 0 ? KK_ENOMEM
											: 0;
		else if (strcmp(key, "measure") == 0)
			error = fix_fail(x, at, _("'measure' must be a 施策 number from 1 to 99"));
		else if (json_is_null(v)) /* added_in */
			error = json_object_set_new(out, key, json_null()) < 0 ? KK_ENOMEM : 0;
		else if (json_is_string(v) && (n = fix_year(x, json_string_value(v))))
			error = json_object_set_new(out, key, json_sprintf("%ld", n)) < 0
					? KK_ENOMEM
					: 0;
		else
			error = fix_fail(x, at, _("'%s' must be a fiscal year"), key);
		if (error)
			return error;
	}
	return 0;
}

/* The column of a spreadsheet's column name ("A" 0, "AA" 26, up to "XFD"), or -1. */
static int column_index(const char *name)
{
	long n = 0;

	if (!*name || strlen(name) > 3)
		return -1;
	for (const char *p = name; *p; p++) {
		char c = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;

		if (c < 'A' || c > 'Z')
			return -1;
		n = n * 26 + (c - 'A' + 1);
	}
	return n > 16384 ? -1 : (int)(n - 1);
}

/* An entry's "cells": column name -> text, kept as column index -> text. */
static int fix_cells(imp *x, json_t *out, const json_t *cells, const char *pointer)
{
	const char *key;
	json_t *v;
	char at[KK_DIAG_POINTER_MAX + 16], col[16];

	if (!json_is_object(cells) || json_object_size(cells) == 0)
		return fix_fail(x, pointer, _("'cells' must map column names (A, B, …) to texts"));
	json_object_foreach((json_t *)cells, key, v) {
		int c = column_index(key);
		char *clean;

		snprintf(at, sizeof(at), "%s/%s", pointer, key);
		if (c < 0)
			return fix_fail(x, at, _("'%s' is not a column name (A, B, …, XFD)"), key);
		if (!json_is_string(v))
			return fix_fail(x, at,
					_("a cell's text must be a string (\"\" to empty it)"));
		if (!(clean = kk_cell_clean(json_string_value(v))))
			return KK_ENOMEM;
		for (size_t i = 0; i <= strlen(key) && i < sizeof(col); i++) /* as A1 names it */
			col[i] = key[i] >= 'a' && key[i] <= 'z' ? (char)(key[i] - 'a' + 'A')
								: key[i];
		if (json_object_set_new(out, col, json_string(clean)) < 0) {
			free(clean);
			return KK_ENOMEM;
		}
		free(clean);
	}
	return 0;
}

int imp_fix_cells(imp *x, imp_row *r)
{
	json_t *fix = (json_t *)imp_fix_row(x, r), *v, *was, *done;
	const char *key;

	if (!fix || !json_object_get(fix, "cells"))
		return 0;
	if (!(was = json_object()) || json_object_set_new(fix, "was", was) < 0)
		return KK_ENOMEM;
	json_object_foreach(json_object_get(fix, "cells"), key, v) {
		int c = column_index(key);
		char *text = strdup(json_string_value(v));

		if (!text)
			return KK_ENOMEM;
		if (c >= r->count) {
			char **cells = realloc(r->cells, (size_t)(c + 1) * sizeof(*cells));

			if (!cells) {
				free(text);
				return KK_ENOMEM;
			}
			r->cells = cells;
			if (r->flags) { /* the cells added are in no merged range */
				unsigned char *flags = realloc(r->flags, (size_t)c + 1);

				if (!flags) {
					free(text);
					return KK_ENOMEM;
				}
				memset(flags + r->count, 0, (size_t)(c + 1 - r->count));
				r->flags = flags;
			}
			for (; r->count <= c; r->count++)
				if (!(r->cells[r->count] = strdup(""))) {
					free(text);
					return KK_ENOMEM;
				}
		}
		if (json_object_set_new(was, key, json_string(r->cells[c])) < 0) {
			free(text);
			return KK_ENOMEM;
		}
		free(r->cells[c]);
		r->cells[c] = text;
	}
	done = json_pack("{s:I, s:O, s:O}", "row", (json_int_t)r->line, "cells",
			 json_object_get(fix, "cells"), "reason", json_object_get(fix, "reason"));
	if (done && r->sheet && json_object_set_new(done, "sheet", json_string(r->sheet)) < 0) {
		json_decref(done);
		done = NULL;
	}
	if (!done || json_array_append_new(x->corrected, done) < 0 ||
	    json_object_set_new(fix, "used", json_true()) < 0)
		return KK_ENOMEM;
	return 0;
}

int imp_fix_explain_cells(const imp *x, const imp_row *r, json_t *cells)
{
	const json_t *fix = imp_fix_row(x, r), *was;
	const char *key;
	json_t *v;

	if (!fix || !cells || !(was = json_object_get(fix, "was")))
		return 0;
	json_object_foreach((json_t *)was, key, v) {
		char why[KK_DIAG_MESSAGE_MAX];
		json_t *e;

		snprintf(why, sizeof(why),
			 _("the cell's text is the corrections file's (it was '%s'): %s"),
			 json_string_value(v), json_string_value(json_object_get(fix, "reason")));
		e = json_pack(
			"{s:i, s:s, s:s, s:s, s:s}", "column", column_index(key) + 1, "text",
			json_string_value(json_object_get(json_object_get(fix, "cells"), key)),
			"field", "", "label", "", "why", why);
		if (!e || json_array_append_new(cells, e) < 0)
			return KK_ENOMEM;
	}
	return 0;
}

int imp_fix_load(imp *x)
{
	const json_t *doc = x->opts->corrections, *list, *entry;
	size_t i;
	int error = 0;

	if (!doc)
		return 0;
	if (!(x->fixes = json_array()))
		return KK_ENOMEM;
	list = json_is_object(doc) ? json_object_get(doc, "corrections") : NULL;
	if (!json_is_array(list) || (json_object_size(doc) != 1))
		return fix_fail(x, "", _("a corrections file is {\"corrections\": [entries]}"));
	json_array_foreach(list, i, entry) {
		char at[KK_DIAG_POINTER_MAX], sub[KK_DIAG_POINTER_MAX + 8];
		const json_t *row = json_object_get(entry, "row"),
			     *id = json_object_get(entry, "id");
		const json_t *skip = json_object_get(entry, "skip"),
			     *set = json_object_get(entry, "set");
		const json_t *reason = json_object_get(entry, "reason"), *v;
		const json_t *cells = json_object_get(entry, "cells");
		const char *key;
		json_t *fix;

		snprintf(at, sizeof(at), "/corrections/%zu", i);
		if (!json_is_object(entry)) {
			error = fix_fail(x, at, _("an entry must be an object"));
			continue;
		}
		json_object_foreach((json_t *)entry, key, v) {
			static const char *const keys[] = {"row", "sheet", "id",    "skip",
							   "set", "cells", "reason"};

			if (known_name(key, keys, 7))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", at, key);
			if ((error = unknown_field(x, sub, key, keys, 7)) < 0)
				return error;
		}
		if (error) {
			error = 0;
			continue;
		}
		if (!row == !id) {
			fix_fail(x, at, _("an entry names either a 'row' or an item's 'id'"));
			continue;
		}
		if ((row && (!json_is_integer(row) || json_integer_value(row) < 1)) ||
		    (id && (!json_is_integer(id) || json_integer_value(id) < 1 ||
			    json_integer_value(id) > KK_ITEM_ID_MAX))) {
			snprintf(sub, sizeof(sub), "%s/%s", at, row ? "row" : "id");
			if (row)
				fix_fail(x, sub, _("'row' must be a row number of the file"));
			else
				fix_fail(x, sub, _("'id' must be a 通番 from 1 to %d"),
					 KK_ITEM_ID_MAX);
			continue;
		}
		if (!json_is_string(reason) || !*json_string_value(reason)) {
			fix_fail(x, at,
				 _("an entry needs a 'reason': it goes in the commit message"));
			continue;
		}
		if (skip && (!json_is_true(skip) || set || cells || !row)) {
			snprintf(sub, sizeof(sub), "%s/skip", at);
			fix_fail(x, sub,
				 _("'skip' is true, on an entry with a 'row' and no 'set' or "
				   "'cells'"));
			continue;
		}
		if (json_object_get(entry, "sheet") &&
		    (!row || !json_is_string(json_object_get(entry, "sheet")))) {
			snprintf(sub, sizeof(sub), "%s/sheet", at);
			fix_fail(x, sub, _("'sheet' is a sheet's name, on an entry with a 'row'"));
			continue;
		}
		if (cells && !row) {
			snprintf(sub, sizeof(sub), "%s/cells", at);
			fix_fail(x, sub, _("'cells' go with a 'row'"));
			continue;
		}
		if (!skip && !set && !cells) {
			fix_fail(x, at,
				 _("an entry sets fields ('set') or cells ('cells'), or skips "
				   "its row"));
			continue;
		}
		if (!(fix = json_pack("{s:I, s:O}", "entry", (json_int_t)i, "reason", reason)) ||
		    json_array_append_new(x->fixes, fix) < 0)
			return KK_ENOMEM;
		if ((row && json_object_set(fix, "row", (json_t *)row) < 0) ||
		    (json_object_get(entry, "sheet") &&
		     json_object_set(fix, "sheet", json_object_get(entry, "sheet")) < 0) ||
		    (id && json_object_set(fix, "id", (json_t *)id) < 0) ||
		    (skip && json_object_set_new(fix, "skip", json_true()) < 0))
			return KK_ENOMEM;
		if (cells) {
			json_t *normal = json_object();

			snprintf(sub, sizeof(sub), "%s/cells", at);
			if (!normal || json_object_set_new(fix, "cells", normal) < 0)
				return KK_ENOMEM;
			if ((error = fix_cells(x, normal, cells, sub)) < 0)
				return error;
			error = 0;
		}
		if (set) {
			json_t *normal = json_object();

			snprintf(sub, sizeof(sub), "%s/set", at);
			if (!normal || json_object_set_new(fix, "set", normal) < 0)
				return KK_ENOMEM;
			if ((error = fix_set(x, normal, set, row != NULL, sub)) < 0)
				return error;
			error = 0;
		}
		for (size_t j = 0; j + 1 < json_array_size(x->fixes); j++) {
			const json_t *other = json_array_get(x->fixes, j);

			if (json_equal(json_object_get(other, row ? "row" : "id"),
				       row ? row : id)) {
				fix_fail(x, at,
					 row ? _("row %lld has another entry (entry %lld)")
					     : _("item %lld has another entry (entry %lld)"),
					 (long long)json_integer_value(row ? row : id),
					 (long long)json_integer_value(
						 json_object_get(other, "entry")));
				break;
			}
		}
	}
	return x->fix_failed ? 1 : 0;
}

const json_t *imp_fix_row(const imp *x, const imp_row *r)
{
	const json_t *fix;
	size_t i;

	json_array_foreach(x->fixes, i, fix) {
		const char *sheet = json_string_value(json_object_get(fix, "sheet"));

		if (json_integer_value(json_object_get(fix, "row")) != (json_int_t)r->line)
			continue;
		/* In a workbook of several sheets, the row of the sheet named. */
		if (r->sheet ? sheet && strcmp(sheet, r->sheet) == 0 : !sheet)
			return fix;
	}
	return NULL;
}

const json_t *imp_fix_find(const imp *x, const char *key, long value)
{
	const json_t *fix;
	size_t i;

	json_array_foreach(x->fixes, i, fix)
		if (json_integer_value(json_object_get(fix, key)) == value)
			return fix;
	return NULL;
}

/* Records an applied entry for the commit message and --explain. */
static int fix_record(imp *x, json_t *fix, const imp_row *r, long id, json_t *fields)
{
	json_t *done = json_pack("{s:I, s:O}", "row", (json_int_t)r->line, "reason",
				 json_object_get(fix, "reason"));

	if (!done || (id && json_object_set_new(done, "id", json_integer(id)) < 0) ||
	    (r->sheet && json_object_set_new(done, "sheet", json_string(r->sheet)) < 0) ||
	    (fields ? json_object_set(done, "fields", fields)
		    : json_object_set_new(done, "skipped", json_true())) < 0) {
		json_decref(done);
		return KK_ENOMEM;
	}
	/* json_array_append_new() takes `done` whether it succeeds or not. */
	if (json_array_append_new(x->corrected, done) < 0 ||
	    json_object_set_new(fix, "used", json_true()) < 0)
		return KK_ENOMEM;
	return 0;
}

int imp_fix_skip(imp *x, const imp_row *r)
{
	json_t *fix = (json_t *)imp_fix_row(x, r);
	char what[KK_DIAG_MESSAGE_MAX];

	if (!fix || !json_object_get(fix, "skip"))
		return 0;
	if (fix_record(x, fix, r, 0, NULL) < 0)
		return KK_ENOMEM;
	snprintf(what, sizeof(what), _("skipped, as the corrections file says: %s"),
		 json_string_value(json_object_get(fix, "reason")));
	if (imp_explain(x, r, what, NULL, 0, 0) < 0)
		return KK_ENOMEM;
	return 1;
}

/* Adds the explanation of field `path` set to `value` by `fix` to `cells`. */
static int explain_fix(json_t *cells, const char *path, const json_t *value, const json_t *fix)
{
	char why[KK_DIAG_MESSAGE_MAX], text[512] = "";
	const char *leaf = strrchr(path, '.') ? strrchr(path, '.') + 1 : path;
	const char *label = kk_field_label(leaf);
	json_t *e;

	if (!cells)
		return 0;
	snprintf(why, sizeof(why), _("set by the corrections file: %s"),
		 json_string_value(json_object_get(fix, "reason")));
	if (json_is_string(value)) {
		snprintf(text, sizeof(text), "%s", json_string_value(value));
	} else if (json_is_integer(value)) {
		snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(value));
	} else if (json_is_array(value)) {
		size_t i;
		json_t *v;

		json_array_foreach(value, i, v)
			snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%s",
				 i ? " " : "", json_string_value(v));
	}
	e = json_pack("{s:i, s:s, s:s, s:s, s:s}", "column", 0, "text", text, "field", path,
		      "label", label ? label : path, "why", why);
	return !e || json_array_append_new(cells, e) < 0 ? KK_ENOMEM : 0;
}

int imp_fix_apply(imp *x, const imp_row *r, json_t *item, const json_t *fix, json_t *cells)
{
	const json_t *set = json_object_get(fix, "set");
	json_t *fields = json_array(), *v, *years = json_object_get(item, "years");
	const char *key;
	char idkey[16], old[16];
	int error = KK_ENOMEM;

	if (!fields)
		return KK_ENOMEM;
	json_object_foreach((json_t *)set, key, v) {
		if (strcmp(key, "years") == 0) {
			const char *fy, *field;
			json_t *values, *value;

			json_object_foreach(v, fy, values) {
				json_t *y = json_object_get(years, fy);
				char path[64];

				if (!y && (json_object_set_new(years, fy, json_object()) < 0 ||
					   !(y = json_object_get(years, fy))))
					goto done;
				json_object_foreach(values, field, value) {
					snprintf(path, sizeof(path), "years.%s.%s", fy, field);
					if (set_or_remove(y, field, value) < 0 ||
					    json_array_append_new(fields, json_string(path)) < 0 ||
					    explain_fix(cells, path, value, fix) < 0)
						goto done;
				}
				if (json_object_size(y) == 0)
					json_object_del(years, fy);
			}
			continue;
		}
		if (strcmp(key, "id") == 0) {
			snprintf(old, sizeof(old), "%lld",
				 (long long)json_integer_value(json_object_get(item, "id")));
			snprintf(idkey, sizeof(idkey), "%lld", (long long)json_integer_value(v));
			if (strcmp(old, idkey) != 0 && json_object_get(x->ids, idkey)) {
				error = imp_fail(
					x, r,
					_("the corrections give 通番 %s, which row %zu "
					  "has"),
					idkey,
					(size_t)json_integer_value(json_object_get(x->ids, idkey)));
				goto done;
			}
			json_object_del(x->ids, old);
			if (json_object_set_new(x->ids, idkey, json_integer((json_int_t)r->line)) <
			    0)
				goto done;
		}
		if (strcmp(key, "measure") == 0) {
			char measure[32];
			json_t *m;

			snprintf(measure, sizeof(measure), "%lld/%lld/%lld",
				 (long long)json_integer_value(json_object_get(item, "pillar")),
				 (long long)json_integer_value(json_object_get(item, "section")),
				 (long long)json_integer_value(v));
			if (!(m = json_object_get(x->measures, measure))) {
				char circled[16];

				kk_circled_number(circled, sizeof(circled), json_integer_value(v));
				error = imp_fail(x, r,
						 _("the corrections give 施策 %s, which the "
						   "section does not have"),
						 circled);
				goto done;
			}
			if (json_object_set_new(m, "used", json_true()) < 0)
				goto done;
		}
		if (set_or_remove(item, key, v) < 0 ||
		    json_array_append_new(fields, json_string(key)) < 0 ||
		    explain_fix(cells, key, v, fix) < 0)
			goto done;
	}
	error = fix_record(x, (json_t *)fix, r,
			   (long)json_integer_value(json_object_get(item, "id")), fields);
done:
	json_decref(fields);
	return error;
}

int imp_fix_unused(imp *x)
{
	const json_t *fix;
	size_t i;
	int error;

	json_array_foreach(x->fixes, i, fix) {
		char at[KK_DIAG_POINTER_MAX];
		long long n;

		if (json_object_get(fix, "used"))
			continue;
		snprintf(at, sizeof(at), "/corrections/%lld",
			 (long long)json_integer_value(json_object_get(fix, "entry")));
		if (json_object_get(fix, "row") && x->sheets > 1 && !json_object_get(fix, "sheet")) {
			error = fix_fail(x, at,
					 _("'%s' has %zu sheets: give the entry's 'sheet' as well as "
					   "its 'row'"),
					 x->name, x->sheets);
		} else if (json_object_get(fix, "row")) {
			n = json_integer_value(json_object_get(fix, "row"));
			error = fix_fail(x, at, _("row %lld of '%s' is no item's row"), n, x->name);
		} else {
			n = json_integer_value(json_object_get(fix, "id"));
			error = fix_fail(x, at, _("'%s' has no item %lld"), x->name, n);
		}
		if (error < 0)
			return error;
	}
	return 0;
}
