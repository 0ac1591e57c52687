/*
 * report_json.c - the report's model as JSON (report.h describes the
 * document): the columns, the summary, and every pillar, section, measure
 * and item with its cells and what changed.  kk_report_json() builds the
 * document; kk_report_write_json() writes its text as jansson would, without
 * building it (on 10,000 items the document takes three times the memory
 * of its text).
 */
#include <assert.h>
#include <stdio.h>

#include "report_internal.h"

/* Sets `key` to `value` (stolen) in `obj`; remembers a failure in *ok. */
static void set(json_t *obj, const char *key, json_t *value, int *ok)
{
	if (!value || json_object_set_new(obj, key, value) < 0)
		*ok = 0;
}

static void append(json_t *array, json_t *value, int *ok)
{
	if (!value || json_array_append_new(array, value) < 0)
		*ok = 0;
}

static json_t *changed_keys(unsigned bits, int *ok)
{
	json_t *keys = json_array();

	for (int c = 0; keys && c < KK_REPORT_COLUMNS; c++)
		if (bits & (1u << c))
			append(keys,
			       json_string(kk_report_column_describe((kk_report_column)c)->key),
			       ok);
	if (!keys)
		*ok = 0;
	return keys;
}

static json_t *counts_json(const kk_report_counts *counts, int *ok)
{
	json_t *obj = json_object();

	if (!obj) {
		*ok = 0;
		return NULL;
	}
	set(obj, "rows", json_integer((json_int_t)counts->rows), ok);
	set(obj, "ahead", json_integer((json_int_t)counts->ahead), ok);
	set(obj, "on_track", json_integer((json_int_t)counts->on_track), ok);
	set(obj, "behind", json_integer((json_int_t)counts->behind), ok);
	return obj;
}

static json_t *measure_json(const kk_report_measure *m, int *ok)
{
	json_t *obj = json_object(), *items = json_array(), *cells = json_object();

	if (!obj || !items || !cells) {
		json_decref(obj);
		json_decref(items);
		json_decref(cells);
		*ok = 0;
		return NULL;
	}
	set(obj, "number", json_integer(m->number), ok);
	set(cells, "measure", json_string(m->label), ok);
	set(cells, "description", json_string(m->description), ok);
	set(obj, "cells", cells, ok);
	set(obj, "changed", changed_keys(m->changed, ok), ok);
	for (size_t d = 0; d < m->nrows; d++) {
		const kk_report_row *row = &m->rows[d];
		json_t *item = json_object(), *rc = json_object();

		if (!item || !rc) {
			json_decref(item);
			json_decref(rc);
			*ok = 0;
			break;
		}
		set(item, "id", json_integer(row->id), ok);
		for (int c = 0; c < KK_REPORT_COLUMNS; c++)
			set(rc, kk_report_column_describe((kk_report_column)c)->key,
			    json_string(row->cells[c]), ok);
		set(item, "cells", rc, ok);
		set(item, "changed", changed_keys(row->changed, ok), ok);
		set(item, "added", json_boolean(row->added), ok);
		append(items, item, ok);
	}
	set(obj, "items", items, ok);
	return obj;
}

json_t *kk_report_json(const kk_report *r)
{
	json_t *root = json_object(), *years = json_array(), *cols = json_array();
	json_t *summary = NULL, *spillars = json_array(), *pillars = json_array();
	json_t *removed = json_array();
	int ok = root && years && cols && spillars && pillars && removed;

	if (!ok)
		goto fail;
	set(root, "title", json_string(r->title), &ok);
	set(root, "organisation", r->organisation ? json_string(r->organisation) : json_null(),
	    &ok);
	set(root, "year", json_integer(r->year), &ok);
	for (int i = 0; i < 3; i++)
		append(years,
		       json_pack("{s:i, s:s}", "year", r->year - 1 + i, "name", r->year_names[i]),
		       &ok);
	set(root, "years", years, &ok);
	years = NULL;
	set(root, "commit", r->commit ? json_string(r->commit) : json_null(), &ok);
	if (r->since)
		set(root, "changes_since",
		    json_pack("{s:s, s:s?, s:I}", "revision", r->since, "commit", r->since_commit,
			      "cells", (json_int_t)r->nchanged),
		    &ok);
	else
		set(root, "changes_since", json_null(), &ok);
	for (int c = 0; c < KK_REPORT_COLUMNS; c++) {
		const kk_report_column_info *info = kk_report_column_describe((kk_report_column)c);

		append(cols,
		       json_pack("{s:s, s:s, s:o}", "key", info->key, "label", info->label, "year",
				 info->year == 2 ? json_null()
						 : json_integer(r->year + info->year)),
		       &ok);
	}
	set(root, "columns", cols, &ok);
	cols = NULL;

	summary = counts_json(&r->counts, &ok);
	for (size_t a = 0; a < r->npillars; a++) {
		const kk_report_pillar *p = &r->pillars[a];
		json_t *sp = counts_json(&p->counts, &ok), *pj = json_object();
		json_t *sections = json_array();

		if (sp) {
			set(sp, "number", json_integer(p->number), &ok);
			set(sp, "title", json_string(p->title), &ok);
		}
		append(spillars, sp, &ok);
		if (!pj || !sections) {
			json_decref(pj);
			json_decref(sections);
			ok = 0;
			break;
		}
		set(pj, "number", json_integer(p->number), &ok);
		set(pj, "title", json_string(p->title), &ok);
		set(pj, "heading", json_string(p->heading), &ok);
		set(pj, "changed", json_boolean(p->changed), &ok);
		for (size_t b = 0; b < p->nsections; b++) {
			const kk_report_section *s = &p->sections[b];
			json_t *sj = json_object(), *measures = json_array();

			if (!sj || !measures) {
				json_decref(sj);
				json_decref(measures);
				ok = 0;
				break;
			}
			set(sj, "number", json_integer(s->number), &ok);
			set(sj, "heading", json_string(s->heading), &ok);
			set(sj, "changed", json_boolean(s->changed), &ok);
			for (size_t c = 0; c < s->nmeasures; c++)
				append(measures, measure_json(&s->measures[c], &ok), &ok);
			set(sj, "measures", measures, &ok);
			append(sections, sj, &ok);
		}
		set(pj, "sections", sections, &ok);
		append(pillars, pj, &ok);
	}
	if (summary)
		set(summary, "pillars", spillars, &ok);
	else
		json_decref(spillars);
	spillars = NULL;
	set(root, "summary", summary, &ok);
	set(root, "pillars", pillars, &ok);
	pillars = NULL;
	for (size_t i = 0; i < r->nremoved; i++)
		append(removed,
		       json_pack("{s:I, s:s}", "id", r->removed[i].id, "title",
				 r->removed[i].title),
		       &ok);
	set(root, "removed", removed, &ok);
	removed = NULL;
	if (ok)
		return root;
fail:
	json_decref(root);
	json_decref(years);
	json_decref(cols);
	json_decref(spillars);
	json_decref(pillars);
	json_decref(removed);
	return NULL;
}

/*
 * --- the same document written as text, as json_dumps(kk_report_json(r),
 * JSON_INDENT(2) | JSON_PRESERVE_ORDER) writes it, without building it ---
 */

/* Where a writer is: its depth, and whether the open container has a member yet. */
typedef struct writer {
	kk_buf *b;
	int depth;
	unsigned members; /* bit d: the container at depth d has a member */
} writer;

static void newline(writer *w)
{
	kk_buf_puts(w->b, "\n");
	for (int i = 0; i < w->depth; i++)
		kk_buf_puts(w->b, "  ");
}

/* Starts a member of the open container: its separator and indentation. */
static void next(writer *w)
{
	if (w->members & (1u << w->depth))
		kk_buf_puts(w->b, ",");
	w->members |= 1u << w->depth;
	newline(w);
}

static void push(writer *w, const char *bracket)
{
	kk_buf_puts(w->b, bracket);
	w->depth++;
	assert(w->depth < 32); /* the document is 10 deep */
	w->members &= ~(1u << w->depth);
}

static void pop(writer *w, const char *bracket)
{
	int had = (w->members & (1u << w->depth)) != 0;

	w->depth--;
	if (had)
		newline(w);
	kk_buf_puts(w->b, bracket);
}

/* A string as jansson writes it: " \ and control characters escaped, the rest as it is. */
static void string(writer *w, const char *s)
{
	const char *run = s;

	kk_buf_puts(w->b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		kk_buf_put(w->b, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"': kk_buf_puts(w->b, "\\\""); break;
		case '\\': kk_buf_puts(w->b, "\\\\"); break;
		case '\b': kk_buf_puts(w->b, "\\b"); break;
		case '\f': kk_buf_puts(w->b, "\\f"); break;
		case '\n': kk_buf_puts(w->b, "\\n"); break;
		case '\r': kk_buf_puts(w->b, "\\r"); break;
		case '\t': kk_buf_puts(w->b, "\\t"); break;
		default: snprintf(esc, sizeof(esc), "\\u%04X", c); kk_buf_puts(w->b, esc);
		}
	}
	kk_buf_put(w->b, run, (size_t)(s - run));
	kk_buf_puts(w->b, "\"");
}

/* A member of the open object: its key, then the value the caller writes. */
static void key(writer *w, const char *name)
{
	next(w);
	string(w, name);
	kk_buf_puts(w->b, ": ");
}

static void str_member(writer *w, const char *name, const char *value)
{
	key(w, name);
	if (value)
		string(w, value);
	else
		kk_buf_puts(w->b, "null");
}

static void int_member(writer *w, const char *name, json_int_t value)
{
	key(w, name);
	kk_buf_printf(w->b, "%" JSON_INTEGER_FORMAT, value);
}

static void bool_member(writer *w, const char *name, int value)
{
	key(w, name);
	kk_buf_puts(w->b, value ? "true" : "false");
}

static void counts_members(writer *w, const kk_report_counts *counts)
{
	int_member(w, "rows", (json_int_t)counts->rows);
	int_member(w, "ahead", (json_int_t)counts->ahead);
	int_member(w, "on_track", (json_int_t)counts->on_track);
	int_member(w, "behind", (json_int_t)counts->behind);
}

static void changed_member(writer *w, unsigned bits)
{
	key(w, "changed");
	push(w, "[");
	for (int c = 0; c < KK_REPORT_COLUMNS; c++) {
		if (bits & (1u << c)) {
			next(w);
			string(w, kk_report_column_describe((kk_report_column)c)->key);
		}
	}
	pop(w, "]");
}

static void write_measure(writer *w, const kk_report_measure *m)
{
	push(w, "{");
	int_member(w, "number", m->number);
	key(w, "cells");
	push(w, "{");
	str_member(w, "measure", m->label);
	str_member(w, "description", m->description);
	pop(w, "}");
	changed_member(w, m->changed);
	key(w, "items");
	push(w, "[");
	for (size_t d = 0; d < m->nrows; d++) {
		const kk_report_row *row = &m->rows[d];

		next(w);
		push(w, "{");
		int_member(w, "id", row->id);
		key(w, "cells");
		push(w, "{");
		for (int c = 0; c < KK_REPORT_COLUMNS; c++)
			str_member(w, kk_report_column_describe((kk_report_column)c)->key,
				   row->cells[c]);
		pop(w, "}");
		changed_member(w, row->changed);
		bool_member(w, "added", row->added);
		pop(w, "}");
	}
	pop(w, "]");
	pop(w, "}");
}

static void write_pillars(writer *w, const kk_report *r)
{
	key(w, "pillars");
	push(w, "[");
	for (size_t a = 0; a < r->npillars; a++) {
		const kk_report_pillar *p = &r->pillars[a];

		next(w);
		push(w, "{");
		int_member(w, "number", p->number);
		str_member(w, "title", p->title);
		str_member(w, "heading", p->heading);
		bool_member(w, "changed", p->changed);
		key(w, "sections");
		push(w, "[");
		for (size_t b = 0; b < p->nsections; b++) {
			const kk_report_section *s = &p->sections[b];

			next(w);
			push(w, "{");
			int_member(w, "number", s->number);
			str_member(w, "heading", s->heading);
			bool_member(w, "changed", s->changed);
			key(w, "measures");
			push(w, "[");
			for (size_t c = 0; c < s->nmeasures; c++) {
				next(w);
				write_measure(w, &s->measures[c]);
			}
			pop(w, "]");
			pop(w, "}");
		}
		pop(w, "]");
		pop(w, "}");
	}
	pop(w, "]");
}

int kk_report_write_json(kk_buf *b, const kk_report *r, kk_diag *diag)
{
	writer w = {b, 0, 0};

	(void)diag;
	push(&w, "{");
	str_member(&w, "title", r->title);
	str_member(&w, "organisation", r->organisation);
	int_member(&w, "year", r->year);
	key(&w, "years");
	push(&w, "[");
	for (int i = 0; i < 3; i++) {
		next(&w);
		push(&w, "{");
		int_member(&w, "year", r->year - 1 + i);
		str_member(&w, "name", r->year_names[i]);
		pop(&w, "}");
	}
	pop(&w, "]");
	str_member(&w, "commit", r->commit);
	key(&w, "changes_since");
	if (r->since) {
		push(&w, "{");
		str_member(&w, "revision", r->since);
		str_member(&w, "commit", r->since_commit);
		int_member(&w, "cells", (json_int_t)r->nchanged);
		pop(&w, "}");
	} else {
		kk_buf_puts(b, "null");
	}
	key(&w, "columns");
	push(&w, "[");
	for (int c = 0; c < KK_REPORT_COLUMNS; c++) {
		const kk_report_column_info *info = kk_report_column_describe((kk_report_column)c);

		next(&w);
		push(&w, "{");
		str_member(&w, "key", info->key);
		str_member(&w, "label", info->label);
		key(&w, "year");
		if (info->year == 2)
			kk_buf_puts(b, "null");
		else
			kk_buf_printf(b, "%d", r->year + info->year);
		pop(&w, "}");
	}
	pop(&w, "]");
	key(&w, "summary");
	push(&w, "{");
	counts_members(&w, &r->counts);
	key(&w, "pillars");
	push(&w, "[");
	for (size_t a = 0; a < r->npillars; a++) {
		next(&w);
		push(&w, "{");
		counts_members(&w, &r->pillars[a].counts);
		int_member(&w, "number", r->pillars[a].number);
		str_member(&w, "title", r->pillars[a].title);
		pop(&w, "}");
	}
	pop(&w, "]");
	pop(&w, "}");
	write_pillars(&w, r);
	key(&w, "removed");
	push(&w, "[");
	for (size_t i = 0; i < r->nremoved; i++) {
		next(&w);
		push(&w, "{");
		int_member(&w, "id", r->removed[i].id);
		str_member(&w, "title", r->removed[i].title);
		pop(&w, "}");
	}
	pop(&w, "]");
	pop(&w, "}");
	kk_buf_puts(b, "\n");
	return 0;
}
