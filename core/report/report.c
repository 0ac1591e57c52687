/*
 * report.c - the progress report's model: built from a plan, marked with
 * the changes since a base revision, and given as JSON; the text writers'
 * dispatch.
 */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "i18n.h"
#include "json.h"
#include "report_internal.h"

/* The cells' item fields; "%d" stands for the column's fiscal year. */
static const kk_report_column_info columns[KK_REPORT_COLUMNS] = {
	[KK_REPORT_MEASURE] = {"measure", "施策", 2, "title"},
	[KK_REPORT_DESCRIPTION] = {"description", "施策の内容", 2, "description"},
	[KK_REPORT_TITLE] = {"title", "項目", 2, "title"},
	[KK_REPORT_OWNERS] = {"owners", "担当課", 2, "owners"},
	[KK_REPORT_RELATED] = {"related", "関係課", 2, "related"},
	[KK_REPORT_PREV_PLANNED] = {"prev.planned", "計画スケジュール", -1, "planned"},
	[KK_REPORT_PREV_PROGRESS] = {"prev.progress", "進捗度", -1, "progress"},
	[KK_REPORT_PREV_ACHIEVEMENT] = {"prev.achievement", "達成度", -1, "achievement"},
	[KK_REPORT_PREV_RESULT] = {"prev.result", "取組内容または結果", -1, "result"},
	[KK_REPORT_PLANNED] = {"year.planned", "計画スケジュール", 0, "planned"},
	[KK_REPORT_REVISED] = {"year.revised", "変更スケジュール", 0, "revised"},
	[KK_REPORT_PROGRESS] = {"year.progress", "進捗度", 0, "progress"},
	[KK_REPORT_RESULT] = {"year.result", "取組内容または結果", 0, "result"},
	[KK_REPORT_NEXT_REVISED] = {"next.revised", "変更スケジュール", 1, "revised"},
	[KK_REPORT_ID] = {"id", "通番", 2, "id"},
	[KK_REPORT_STATUS] = {"status", "達成度", 2, "status"},
};

const kk_report_column_info *kk_report_column_describe(kk_report_column c)
{
	return c < KK_REPORT_COLUMNS ? &columns[c] : NULL;
}

const char *kk_report_year_name(const kk_report *report, int offset)
{
	return report->year_names[offset + 1];
}

int kk_report_shows(const kk_report_measure *measure, size_t row, kk_report_column column)
{
	(void)measure;
	return row == 0 || (column != KK_REPORT_MEASURE && column != KK_REPORT_DESCRIPTION);
}

int kk_report_next_section(kk_report_cursor *c, const kk_report *report)
{
	for (; c->a < report->npillars; c->a++, c->i = 0) {
		const kk_report_pillar *p = &report->pillars[c->a];
		size_t next;

		while (c->i < p->nsections && !p->sections[c->i].nrows)
			c->i++;
		if (c->i == p->nsections)
			continue;
		c->opens = c->pillar != p;
		c->pillar = p;
		c->section = &p->sections[c->i++];
		for (next = c->i; next < p->nsections && !p->sections[next].nrows; next++)
			;
		c->closes = next == p->nsections;
		return 1;
	}
	return 0;
}

/* --- building the model --- */

typedef struct kk_report_builder {
	kk_report *r;
	json_t *settings;      /* keikaku.json (a reference): the eras of "【R3追加】" */
	json_t *changes;       /* src->changes (a reference), or NULL */
	kk_report_row **by_id; /* every row, by id, once all are in */
	size_t nby_id;
	kk_diag *diag;
} builder;

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

/* A formatted string the caller frees, or NULL when out of memory. */
static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

/* "【R3追加】" for an item added in `added` (a fiscal year as a string). */
static void added_marker(char *buf, size_t size, const json_t *settings, const char *added)
{
	const json_t *best = NULL, *era;
	int year = atoi(added);
	size_t i;

	json_array_foreach(json_object_get(settings, "eras"), i, era) {
		json_int_t start = json_integer_value(json_object_get(era, "start"));

		if (start <= year && json_string_value(json_object_get(era, "abbreviation")) &&
		    (!best || start > json_integer_value(json_object_get(best, "start"))))
			best = era;
	}
	if (best)
		snprintf(buf, size, "【%s%d追加】",
			 json_string_value(json_object_get(best, "abbreviation")),
			 year - (int)json_integer_value(json_object_get(best, "start")) + 1);
	else
		snprintf(buf, size, "【%d追加】", year);
}

/* Joins the strings of `array` with `sep`; NULL when out of memory. */
static char *joined(const json_t *array, const char *sep)
{
	kk_buf b = {0};
	size_t i;
	json_t *v;

	kk_buf_puts(&b, "");
	json_array_foreach(array, i, v) {
		if (i)
			kk_buf_puts(&b, sep);
		kk_buf_puts(&b, json_string_value(v) ? json_string_value(v) : "");
	}
	if (b.failed) {
		kk_buf_clear(&b);
		return NULL;
	}
	return b.data;
}

static const json_t *year_entry(const json_t *item, int year)
{
	char key[16];

	snprintf(key, sizeof(key), "%d", year);
	return json_object_get(json_object_get(item, "years"), key);
}

/* A year field's cell: marks and labels for codes, the text otherwise. */
static const char *year_cell(const json_t *entry, const char *field)
{
	const char *s = json_string_value(json_object_get(entry, field)), *shown = NULL;

	if (!s)
		return "";
	if (strcmp(field, "progress") == 0)
		shown = kk_progress_mark(s);
	else if (strcmp(field, "achievement") == 0)
		shown = kk_achievement_label(s);
	return shown ? shown : s;
}

static int fill_row(kk_report_row *row, const builder *bd, const kk_report_measure *measure,
		    const json_t *item)
{
	const char *title = json_string_value(json_object_get(item, "title"));
	const char *added = json_string_value(json_object_get(item, "added_in"));
	const char *status = json_string_value(json_object_get(item, "status"));
	char buf[64];

	row->id = json_integer_value(json_object_get(item, "id"));
	row->cells[KK_REPORT_MEASURE] = strdup(measure->label);
	row->cells[KK_REPORT_DESCRIPTION] = strdup(measure->description);
	if (added) {
		added_marker(buf, sizeof(buf), bd->settings, added);
		row->cells[KK_REPORT_TITLE] = format("%s%s", buf, title ? title : "");
	} else {
		row->cells[KK_REPORT_TITLE] = dup_or_empty(title);
	}
	row->cells[KK_REPORT_OWNERS] = joined(json_object_get(item, "owners"), " ");
	row->cells[KK_REPORT_RELATED] = joined(json_object_get(item, "related"), "、");
	for (int c = KK_REPORT_PREV_PLANNED; c <= KK_REPORT_NEXT_REVISED; c++)
		row->cells[c] = strdup(year_cell(year_entry(item, bd->r->year + columns[c].year),
						 columns[c].field));
	snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, row->id);
	row->cells[KK_REPORT_ID] = strdup(buf);
	row->cells[KK_REPORT_STATUS] =
		dup_or_empty(kk_achievement_label(status) ? kk_achievement_label(status) : status);
	for (int c = 0; c < KK_REPORT_COLUMNS; c++)
		if (!row->cells[c])
			return KK_ENOMEM;
	return 0;
}

static int add_row(builder *bd, kk_report_pillar *p, kk_report_section *s, kk_report_measure *m,
		   const json_t *item)
{
	const char *progress =
		json_string_value(json_object_get(year_entry(item, bd->r->year), "progress"));
	kk_report_row *row;

	if (KK_ARRAY_GROW(m->rows, m->nrows + 1, m->rows_alloc) < 0)
		return KK_ENOMEM;
	row = memset(&m->rows[m->nrows++], 0, sizeof(*row));
	s->nrows++;
	bd->r->nrows++;
	p->counts.rows++;
	bd->r->counts.rows++;
	if (progress && strcmp(progress, "ahead") == 0)
		p->counts.ahead++, bd->r->counts.ahead++;
	else if (progress && strcmp(progress, "on_track") == 0)
		p->counts.on_track++, bd->r->counts.on_track++;
	else if (progress && strcmp(progress, "behind") == 0)
		p->counts.behind++, bd->r->counts.behind++;
	return fill_row(row, bd, m, item);
}

static int build_structure(builder *bd, const json_t *structure)
{
	const json_t *pillars = json_object_get(structure, "pillars"), *pj, *sj, *mj;
	kk_report *r = bd->r;
	size_t i, j, k;

	if (!(r->pillars = calloc(json_array_size(pillars) + 1, sizeof(*r->pillars))))
		return KK_ENOMEM;
	json_array_foreach(pillars, i, pj) {
		kk_report_pillar *p = &r->pillars[r->npillars++];
		const json_t *sections = json_object_get(pj, "sections");

		p->number = json_integer_value(json_object_get(pj, "number"));
		p->title = dup_or_empty(json_string_value(json_object_get(pj, "title")));
		if (!p->title ||
		    !(p->heading = format("計画の柱 %" JSON_INTEGER_FORMAT ". %s", p->number,
					  p->title)) ||
		    !(p->sections = calloc(json_array_size(sections) + 1, sizeof(*p->sections))))
			return KK_ENOMEM;
		json_array_foreach(sections, j, sj) {
			kk_report_section *s = &p->sections[p->nsections++];
			const json_t *measures = json_object_get(sj, "measures");
			const char *title = json_string_value(json_object_get(sj, "title"));

			s->number = json_integer_value(json_object_get(sj, "number"));
			if (!(s->heading = format("(%" JSON_INTEGER_FORMAT ") %s", s->number,
						  title ? title : "")))
				return KK_ENOMEM;
			if (!(s->measures =
				      calloc(json_array_size(measures) + 1, sizeof(*s->measures))))
				return KK_ENOMEM;
			json_array_foreach(measures, k, mj) {
				kk_report_measure *m = &s->measures[s->nmeasures++];
				const char *mt = json_string_value(json_object_get(mj, "title"));
				char circled[16];

				m->number = json_integer_value(json_object_get(mj, "number"));
				kk_circled_number(circled, sizeof(circled), m->number);
				if (!(m->label = format("%s %s", circled, mt ? mt : "")))
					return KK_ENOMEM;
				if (!(m->description = dup_or_empty(json_string_value(
					      json_object_get(mj, "description")))))
					return KK_ENOMEM;
			}
		}
	}
	return 0;
}

static kk_report_measure *find_measure(const kk_report *r, json_int_t pn, json_int_t sn,
				       json_int_t mn, kk_report_pillar **p_out,
				       kk_report_section **s_out)
{
	for (size_t i = 0; i < r->npillars; i++) {
		kk_report_pillar *p = &r->pillars[i];

		for (size_t j = 0; p->number == pn && j < p->nsections; j++) {
			kk_report_section *s = &p->sections[j];

			for (size_t k = 0; s->number == sn && k < s->nmeasures; k++) {
				if (s->measures[k].number == mn) {
					*p_out = p;
					*s_out = s;
					return &s->measures[k];
				}
			}
		}
	}
	return NULL;
}

static int compare_rows(const void *a, const void *b)
{
	json_int_t x = (*(kk_report_row *const *)a)->id, y = (*(kk_report_row *const *)b)->id;

	return x < y ? -1 : x > y;
}

static int add_item(builder *bd, const json_t *item)
{
	kk_report *r = bd->r;
	json_int_t pn = json_integer_value(json_object_get(item, "pillar"));
	json_int_t sn = json_integer_value(json_object_get(item, "section"));
	json_int_t mn = json_integer_value(json_object_get(item, "measure"));
	const char *added = json_string_value(json_object_get(item, "added_in"));
	kk_report_pillar *p = NULL;
	kk_report_section *s = NULL;
	kk_report_measure *m = find_measure(r, pn, sn, mn, &p, &s);

	if (added && atoi(added) > r->year + 1)
		return 0;
	if (!m)
		return kk_diag_set(bd->diag, KK_EINVALID,
				   _("cannot report item '%lld': plan.json has no measure %lld "
				     "of section %lld of pillar %lld"),
				   (long long)json_integer_value(json_object_get(item, "id")),
				   (long long)mn, (long long)sn, (long long)pn);
	if (add_row(bd, p, s, m, item) < 0)
		return kk_diag_set(bd->diag, KK_ENOMEM, _("out of memory"));
	return 0;
}

static int compare_row_ids(const void *a, const void *b)
{
	json_int_t x = ((const kk_report_row *)a)->id, y = ((const kk_report_row *)b)->id;

	return x < y ? -1 : x > y;
}

/* Puts each measure's rows in id order, as items may come in any, and indexes them by id. */
static int index_rows(builder *bd)
{
	kk_report *r = bd->r;

	/* Rows move while a measure's array grows: index them once all are in place. */
	if (!(bd->by_id = calloc(r->nrows + 1, sizeof(*bd->by_id))))
		return kk_diag_set(bd->diag, KK_ENOMEM, _("out of memory"));
	for (size_t a = 0; a < r->npillars; a++)
		for (size_t b = 0; b < r->pillars[a].nsections; b++)
			for (size_t c = 0; c < r->pillars[a].sections[b].nmeasures; c++) {
				kk_report_measure *m = &r->pillars[a].sections[b].measures[c];

				qsort(m->rows, m->nrows, sizeof(*m->rows), compare_row_ids);
				for (size_t d = 0; d < m->nrows; d++)
					bd->by_id[bd->nby_id++] = &m->rows[d];
			}
	qsort(bd->by_id, bd->nby_id, sizeof(*bd->by_id), compare_rows);
	return 0;
}

/* --- changes since the base --- */

/*
 * Tells whether a change at `path` touches the value at `cell`: one is the
 * other, or contains it ("years.2021" touches "years.2021.progress", and
 * "owners.0" touches "owners").
 */
static int touches(const char *path, const char *cell)
{
	size_t a = strlen(path), b = strlen(cell), n = a < b ? a : b;

	if (strncmp(path, cell, n) != 0)
		return 0;
	return a == b || (a > b ? path[n] : cell[n]) == '.';
}

/* The path of `column`'s value in an item ("years.2021.planned"), or "" for none. */
static void cell_path(char *buf, size_t size, const kk_report *r, kk_report_column c)
{
	if (columns[c].year != 2)
		snprintf(buf, size, "years.%d.%s", r->year + columns[c].year, columns[c].field);
	else if (c == KK_REPORT_MEASURE || c == KK_REPORT_DESCRIPTION)
		buf[0] = '\0';
	else
		snprintf(buf, size, "%s", columns[c].field);
}

/* The columns a change at `path` of an item marks. */
static unsigned item_change_bits(const kk_report *r, const char *path)
{
	static const char *const placement[] = {"pillar", "section", "measure", "added_in"};
	unsigned bits = 0;
	char cell[64];

	for (int c = 0; c < KK_REPORT_COLUMNS; c++) {
		cell_path(cell, sizeof(cell), r, (kk_report_column)c);
		if (cell[0] && touches(path, cell))
			bits |= 1u << c;
	}
	/* An item moved to another measure, or now marked 【R3追加】: its 項目. */
	for (size_t i = 0; i < sizeof(placement) / sizeof(*placement); i++)
		if (touches(path, placement[i]))
			bits |= 1u << KK_REPORT_TITLE;
	return bits;
}

static kk_report_row *row_by_id(const builder *bd, json_int_t id)
{
	size_t lo = 0, hi = bd->nby_id;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bd->by_id[mid]->id == id)
			return bd->by_id[mid];
		if (bd->by_id[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int mark_items(builder *bd, const json_t *items)
{
	kk_report *r = bd->r;
	const json_t *entry, *change;
	size_t i, j;

	json_array_foreach(items, i, entry) {
		const char *kind = json_string_value(json_object_get(entry, "change"));
		json_int_t id = json_integer_value(json_object_get(entry, "id"));
		kk_report_row *row = row_by_id(bd, id);

		if (kind && strcmp(kind, "removed") == 0) {
			if (KK_ARRAY_GROW(r->removed, r->nremoved + 1, r->removed_alloc) < 0)
				return KK_ENOMEM;
			r->removed[r->nremoved].id = id;
			if (!(r->removed[r->nremoved].title = dup_or_empty(
				      json_string_value(json_object_get(entry, "title")))))
				return KK_ENOMEM;
			r->nremoved++;
			continue;
		}
		if (!row)
			continue; /* not in this report (added after Y+1) */
		if (kind && strcmp(kind, "added") == 0) {
			row->added = 1;
			row->changed = (1u << KK_REPORT_COLUMNS) - 1;
			row->changed &= ~(1u << KK_REPORT_MEASURE | 1u << KK_REPORT_DESCRIPTION);
			continue;
		}
		json_array_foreach(json_object_get(entry, "changes"), j, change) {
			const char *path = json_string_value(json_object_get(change, "path"));

			if (path)
				row->changed |= item_change_bits(r, path);
		}
	}
	return 0;
}

static void mark_structure(kk_report *r, const json_t *changes)
{
	const json_t *change;
	char path[128];
	size_t i;

	json_array_foreach(changes, i, change) {
		const char *at = json_string_value(json_object_get(change, "path"));

		for (size_t a = 0; at && a < r->npillars; a++) {
			kk_report_pillar *p = &r->pillars[a];

			snprintf(path, sizeof(path), "pillars.%" JSON_INTEGER_FORMAT ".title",
				 p->number);
			p->changed |= touches(at, path);
			for (size_t b = 0; b < p->nsections; b++) {
				kk_report_section *s = &p->sections[b];
				int n = snprintf(path, sizeof(path),
						 "pillars.%" JSON_INTEGER_FORMAT
						 ".sections.%" JSON_INTEGER_FORMAT ".",
						 p->number, s->number);

				snprintf(path + n, sizeof(path) - (size_t)n, "title");
				s->changed |= touches(at, path);
				for (size_t c = 0; c < s->nmeasures; c++) {
					kk_report_measure *m = &s->measures[c];
					int k = snprintf(path + n, sizeof(path) - (size_t)n,
							 "measures.%" JSON_INTEGER_FORMAT ".",
							 m->number);

					snprintf(path + n + k, sizeof(path) - (size_t)(n + k),
						 "title");
					if (touches(at, path))
						m->changed |= 1u << KK_REPORT_MEASURE;
					snprintf(path + n + k, sizeof(path) - (size_t)(n + k),
						 "description");
					if (touches(at, path))
						m->changed |= 1u << KK_REPORT_DESCRIPTION;
				}
			}
		}
	}
}

static int mark_changes(builder *bd, const json_t *diff)
{
	const json_t *file;
	size_t i;
	int error;

	if ((error = mark_items(bd, json_object_get(diff, "items"))) < 0)
		return kk_diag_set(bd->diag, error, _("out of memory"));
	json_array_foreach(json_object_get(diff, "files"), i, file) {
		const char *path = json_string_value(json_object_get(file, "path"));

		if (path && strcmp(path, KK_PATH_STRUCTURE) == 0)
			mark_structure(bd->r, json_object_get(file, "changes"));
	}
	return 0;
}

static size_t popcount(unsigned bits)
{
	size_t n = 0;

	for (; bits; bits &= bits - 1)
		n++;
	return n;
}

static void count_changed(kk_report *r)
{
	for (size_t a = 0; a < r->npillars; a++) {
		kk_report_pillar *p = &r->pillars[a];

		r->nchanged += p->changed != 0;
		for (size_t b = 0; b < p->nsections; b++) {
			kk_report_section *s = &p->sections[b];

			r->nchanged += s->changed != 0;
			for (size_t c = 0; c < s->nmeasures; c++) {
				kk_report_measure *m = &s->measures[c];

				r->nchanged += popcount(m->changed);
				for (size_t d = 0; d < m->nrows; d++)
					r->nchanged += popcount(m->rows[d].changed);
			}
		}
	}
}

void kk_report_builder_free(kk_report_builder *bd)
{
	if (!bd)
		return;
	kk_report_free(bd->r);
	json_decref(bd->settings);
	json_decref(bd->changes);
	free(bd->by_id);
	free(bd);
}

int kk_report_begin(kk_report_builder **out, const json_t *settings, const json_t *structure,
		    int year, const kk_report_source *src, kk_diag *diag)
{
	const char *organisation = json_string_value(json_object_get(settings, "organisation"));
	builder *bd;
	kk_report *r;
	char name[KK_FY_NAME_MAX];

	if (!kk_fy_state(settings, year)) {
		kk_fy_format(name, sizeof(name), settings, year);
		return kk_diag_set(diag, KK_ENOTFOUND,
				   _("fiscal year %d (%s) is not a year of the plan"), year, name);
	}
	if (!(bd = calloc(1, sizeof(*bd))) || !(bd->r = r = calloc(1, sizeof(*r))))
		goto oom;
	bd->settings = json_incref((json_t *)settings);
	r->year = year;
	for (int i = 0; i < 3; i++) {
		kk_fy_format(name, sizeof(name), settings, year - 1 + i);
		if (!(r->year_names[i] = strdup(name)))
			goto oom;
	}
	if (!(r->title = dup_or_empty(json_string_value(json_object_get(settings, "title")))) ||
	    (organisation && !(r->organisation = strdup(organisation))) ||
	    (src && src->commit && !(r->commit = strdup(src->commit))))
		goto oom;
	r->time = src ? src->time : 0;
	if (src && src->changes) {
		const char *base = json_string_value(json_object_get(src->changes, "from"));

		bd->changes = json_incref((json_t *)src->changes);
		if (!(r->since = strdup(src->since ? src->since
					: base	   ? base
						   : "")) ||
		    (base && !(r->since_commit = strdup(base))))
			goto oom;
	}
	if (build_structure(bd, structure) < 0)
		goto oom;
	*out = bd;
	return 0;
oom:
	kk_report_builder_free(bd);
	return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
}

int kk_report_add(kk_report_builder *bd, const json_t *item, kk_diag *diag)
{
	bd->diag = diag;
	return add_item(bd, item);
}

int kk_report_add_file(kk_report_builder *bd, const char *path, const char *data, size_t len,
		       kk_diag *diag)
{
	json_t *item = NULL;
	json_int_t id;
	int error;

	if (!kk_item_path_parse(&id, path))
		return 0;
	if ((error = kk_plan_parse_item(&item, path, data, len, diag)) == 0 &&
	    (error = kk_report_add(bd, item, diag)) < 0 && error != KK_ENOMEM)
		kk_diag_set_path(diag, path);
	json_decref(item);
	return error;
}

int kk_report_end(kk_report **out, kk_report_builder *bd, kk_diag *diag)
{
	int error;

	bd->diag = diag;
	if ((error = index_rows(bd)) < 0 ||
	    (bd->changes && (error = mark_changes(bd, bd->changes)) < 0))
		goto done;
	if (bd->changes)
		count_changed(bd->r);
	*out = bd->r;
	bd->r = NULL;
done:
	kk_report_builder_free(bd);
	return error;
}

int kk_report_build(kk_report **out, const kk_plan *plan, int year, const kk_report_source *src,
		    kk_diag *diag)
{
	kk_report_builder *bd;
	const json_t *item;
	size_t i;
	int error;

	if ((error = kk_report_begin(&bd, plan->settings, plan->structure, year, src, diag)) < 0)
		return error;
	json_array_foreach(plan->items, i, item) {
		if ((error = kk_report_add(bd, item, diag)) < 0) {
			kk_report_builder_free(bd);
			return error;
		}
	}
	return kk_report_end(out, bd, diag);
}

void kk_report_free(kk_report *r)
{
	if (!r)
		return;
	for (size_t a = 0; a < r->npillars; a++) {
		kk_report_pillar *p = &r->pillars[a];

		for (size_t b = 0; b < p->nsections; b++) {
			kk_report_section *s = &p->sections[b];

			for (size_t c = 0; c < s->nmeasures; c++) {
				kk_report_measure *m = &s->measures[c];

				for (size_t d = 0; d < m->nrows; d++)
					for (int e = 0; e < KK_REPORT_COLUMNS; e++)
						free(m->rows[d].cells[e]);
				free(m->rows);
				free(m->label);
				free(m->description);
			}
			free(s->measures);
			free(s->heading);
		}
		free(p->sections);
		free(p->title);
		free(p->heading);
	}
	free(r->pillars);
	for (size_t i = 0; i < r->nremoved; i++)
		free(r->removed[i].title);
	free(r->removed);
	for (int i = 0; i < 3; i++)
		free(r->year_names[i]);
	free(r->title);
	free(r->organisation);
	free(r->commit);
	free(r->since);
	free(r->since_commit);
	free(r);
}

/* --- formats --- */

static const char *const format_names[] = {
	[KK_REPORT_TSV] = "tsv",   [KK_REPORT_CSV] = "csv",   [KK_REPORT_MD] = "md",
	[KK_REPORT_HTML] = "html", [KK_REPORT_XLSX] = "xlsx", [KK_REPORT_JSON] = "json",
};

int kk_report_format_parse(kk_report_format *out, const char *name)
{
	for (size_t i = 0; name && i < sizeof(format_names) / sizeof(*format_names); i++) {
		if (strcmp(name, format_names[i]) == 0) {
			*out = (kk_report_format)i;
			return 0;
		}
	}
	return KK_EINVALID;
}

int kk_report_render(char **out, size_t *len_out, const kk_report *report, kk_report_format format,
		     const kk_report_text_opts *opts, kk_diag *diag)
{
	static const kk_report_text_opts defaults = {KK_REPORT_UTF8, 0, NULL, NULL};
	kk_buf b = {0};
	int error = 0;

	if (!opts)
		opts = &defaults;
	if (opts->encoding != KK_REPORT_UTF8 && format != KK_REPORT_TSV && format != KK_REPORT_CSV)
		return kk_diag_set(diag, KK_EINVALID, _("the %s report is written in UTF-8 only"),
				   format_names[format]);
	switch (format) {
	case KK_REPORT_TSV: error = kk_report_write_tsv(&b, report, '\t', opts, diag); break;
	case KK_REPORT_CSV: error = kk_report_write_tsv(&b, report, ',', opts, diag); break;
	case KK_REPORT_MD: error = kk_report_write_md(&b, report, diag); break;
	case KK_REPORT_HTML: error = kk_report_write_html(&b, report, opts, diag); break;
	case KK_REPORT_JSON: error = kk_report_write_json(&b, report, diag); break;
	default:
		return kk_diag_set(diag, KK_EINVALID, _("the %s report is not text"),
				   format_names[format]);
	}
	if (error == 0 && b.failed)
		error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	if (error < 0) {
		kk_buf_clear(&b);
		return error;
	}
	if (!b.data)
		kk_buf_put(&b, "", 0);
	if (b.failed) {
		kk_buf_clear(&b);
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	}
	*out = b.data;
	*len_out = b.len;
	return 0;
}
