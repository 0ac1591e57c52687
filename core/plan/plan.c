/*
 * plan.c - the plan as data (plan.h): loading settings, departments,
 * structure and items from a fileset, and the vocabulary of the report:
 * fiscal years in era names, progress marks and achievement labels.
 */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "json.h"
#include "keytext.h"

int kk_item_path(char *buf, size_t size, json_int_t id)
{
	int n;

	if (id < 1 || id > KK_ITEM_ID_MAX)
		return KK_EINVALID;
	n = snprintf(buf, size, KK_PATH_ITEMS "%04" JSON_INTEGER_FORMAT ".json", id);
	return n < 0 || (size_t)n >= size ? KK_EINVALID : 0;
}

const char *kk_plan_schema_for(const char *path)
{
	if (strcmp(path, KK_PATH_SETTINGS) == 0)
		return KK_SCHEMA_SETTINGS;
	if (strcmp(path, KK_PATH_DEPARTMENTS) == 0)
		return KK_SCHEMA_DEPARTMENTS;
	if (strcmp(path, KK_PATH_STRUCTURE) == 0)
		return KK_SCHEMA_STRUCTURE;
	return KK_SCHEMA_ITEM;
}

int kk_item_path_parse(json_int_t *id_out, const char *path)
{
	const char *digits = path + strlen(KK_PATH_ITEMS), *p = digits;
	json_int_t id = 0;

	/* What kk_item_path() writes: 4 digits, zero-padded, or 5 without a leading 0. */
	if (strncmp(path, KK_PATH_ITEMS, strlen(KK_PATH_ITEMS)) != 0)
		return 0;
	for (; *p >= '0' && *p <= '9' && p - digits < 5; p++)
		id = id * 10 + (*p - '0');
	if (!(p - digits == 4 || (p - digits == 5 && *digits != '0')) || id < 1 ||
	    strcmp(p, ".json") != 0)
		return 0;
	*id_out = id;
	return 1;
}

void kk_plan_free(kk_plan *plan)
{
	if (!plan)
		return;
	json_decref(plan->settings);
	json_decref(plan->departments);
	json_decref(plan->structure);
	json_decref(plan->items);
	free(plan);
}

/* The file `path`, `len` bytes at `data`, parsed: a JSON object, or KK_EINVALID naming it. */
static int parse_object(json_t **out, const char *path, const char *data, size_t len, kk_diag *diag)
{
	int error;

	*out = NULL;
	if ((error = kk_json_parse(out, data, len, NULL, diag)) < 0) {
		kk_diag_set_path(diag, path);
		return error;
	}
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		kk_diag_set_path(diag, path);
		return kk_diag_set(diag, KK_EINVALID, _("'%s' does not hold a JSON object"), path);
	}
	return 0;
}

static int load_object(json_t **out, const kk_fileset *files, const char *path, kk_diag *diag)
{
	const kk_file *file = kk_fileset_get(files, path);

	if (!file) {
		kk_diag_set_path(diag, path);
		return kk_diag_set(diag, KK_EINVALID, _("'%s' is missing"), path);
	}
	return parse_object(out, path, file->data, file->len, diag);
}

static json_int_t item_id(const json_t *item)
{
	return json_integer_value(json_object_get(item, "id"));
}

int kk_plan_parse_item(json_t **out, const char *path, const char *data, size_t len, kk_diag *diag)
{
	json_int_t id;
	int error;

	*out = NULL;
	if (!kk_item_path_parse(&id, path)) {
		kk_diag_set_path(diag, path);
		return kk_diag_set(diag, KK_EINVALID, _("'%s' is not an item's file name"), path);
	}
	if ((error = parse_object(out, path, data, len, diag)) < 0)
		return error;
	if (item_id(*out) != id) {
		json_decref(*out);
		*out = NULL;
		kk_diag_set_path(diag, path);
		kk_diag_set_pointer(diag, "/id");
		return kk_diag_set(diag, KK_EINVALID, _("id does not match the file name '%s'"),
				   path);
	}
	return 0;
}

static int cmp_items(const void *a, const void *b)
{
	json_int_t x = item_id(*(json_t *const *)a), y = item_id(*(json_t *const *)b);

	return (x > y) - (x < y);
}

int kk_plan_load(kk_plan **out, const kk_fileset *files, kk_diag *diag)
{
	kk_plan *plan = calloc(1, sizeof(*plan));
	json_t **sorted = NULL;
	size_t count = 0;
	int error;

	if (!plan || !(plan->items = json_array()) ||
	    !(sorted = calloc(files->count ? files->count : 1, sizeof(*sorted)))) {
		error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
		goto done;
	}
	if ((error = load_object(&plan->settings, files, KK_PATH_SETTINGS, diag)) < 0 ||
	    (error = load_object(&plan->departments, files, KK_PATH_DEPARTMENTS, diag)) < 0 ||
	    (error = load_object(&plan->structure, files, KK_PATH_STRUCTURE, diag)) < 0)
		goto done;

	for (size_t i = 0; i < files->count; i++) {
		const kk_file *file = &files->files[i];
		json_int_t id;

		if (!kk_item_path_parse(&id, file->path))
			continue;
		if ((error = kk_plan_parse_item(&sorted[count], file->path, file->data, file->len,
						diag)) < 0)
			goto done;
		count++;
	}
	/* Paths are zero-padded, but 5-digit ids sort after 4-digit ones only numerically. */
	qsort(sorted, count, sizeof(*sorted), cmp_items);
	for (size_t i = 0; i < count; i++) {
		if (json_array_append_new(plan->items, sorted[i]) < 0) {
			for (size_t j = i + 1; j < count; j++)
				json_decref(sorted[j]);
			count = 0;
			error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
			goto done;
		}
	}
	count = 0;
	*out = plan;
	plan = NULL;
	error = 0;
done:
	for (size_t i = 0; i < count; i++)
		json_decref(sorted[i]);
	free(sorted);
	kk_plan_free(plan);
	return error;
}

json_t *kk_plan_item(const kk_plan *plan, json_int_t id)
{
	size_t lo = 0, hi = json_array_size(plan->items);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		json_t *item = json_array_get(plan->items, mid);
		json_int_t at = item_id(item);

		if (at == id)
			return item;
		if (at < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static json_t *find_numbered(const json_t *array, json_int_t number)
{
	size_t i;
	json_t *v;

	json_array_foreach(array, i, v) {
		if (json_integer_value(json_object_get(v, "number")) == number)
			return v;
	}
	return NULL;
}

json_t *kk_plan_pillar(const json_t *structure, json_int_t pillar)
{
	return find_numbered(json_object_get(structure, "pillars"), pillar);
}

json_t *kk_plan_section(const json_t *structure, json_int_t pillar, json_int_t section)
{
	return find_numbered(json_object_get(kk_plan_pillar(structure, pillar), "sections"),
			     section);
}

json_t *kk_plan_measure(const json_t *structure, json_int_t pillar, json_int_t section,
			json_int_t measure)
{
	return find_numbered(
		json_object_get(kk_plan_section(structure, pillar, section), "measures"), measure);
}

int kk_item_owned_by(const json_t *item, const char *dept)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(item, "owners"), i, v)
		if (json_is_string(v) && kk_key_equal(json_string_value(v), dept))
			return 1;
	return 0;
}

json_t *kk_plan_department(const json_t *departments, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(departments, "departments"), i, v) {
		const char *n = json_string_value(json_object_get(v, "name"));

		if (n && kk_key_equal(n, name))
			return v;
	}
	return NULL;
}

/* Parses a run of ASCII digits (at most 4) at *p; advances *p. */
static int parse_digits(int *out, const char **p)
{
	int n = 0, digits = 0;

	while (**p >= '0' && **p <= '9' && digits < 5) {
		n = n * 10 + (**p - '0');
		(*p)++;
		digits++;
	}
	if (digits == 0 || digits > 4)
		return -1;
	*out = n;
	return 0;
}

static int era_year(int *out, const json_t *era, const char *rest)
{
	const char *p = rest;
	int n;

	if (strncmp(p, "元", strlen("元")) == 0) {
		n = 1;
		p += strlen("元");
	} else if (parse_digits(&n, &p) < 0 || n < 1) {
		return -1;
	}
	if (strncmp(p, "年度", strlen("年度")) == 0)
		p += strlen("年度");
	if (*p)
		return -1;
	*out = (int)json_integer_value(json_object_get(era, "start")) + n - 1;
	return 0;
}

int kk_fy_parse(int *out, const char *typed, const json_t *settings, kk_diag *diag)
{
	char key[KK_KEY_MAX];
	const char *text = kk_key_normalize(key, sizeof(key), typed), *p = text;
	size_t i;
	json_t *era;
	int year;

	if ((p[0] == 'F' || p[0] == 'f') && (p[1] == 'Y' || p[1] == 'y'))
		p += 2;
	if (parse_digits(&year, &p) == 0 && year >= 1000 && (!*p || strcmp(p, "年度") == 0))
		goto ok;
	json_array_foreach(json_object_get(settings, "eras"), i, era) {
		const char *name = json_string_value(json_object_get(era, "name"));
		const char *abbr = json_string_value(json_object_get(era, "abbreviation"));

		if (name && strncmp(text, name, strlen(name)) == 0 &&
		    era_year(&year, era, text + strlen(name)) == 0)
			goto ok;
		if (abbr && (text[0] == abbr[0] || text[0] == abbr[0] - 'A' + 'a') &&
		    era_year(&year, era, text + 1) == 0)
			goto ok;
	}
	return kk_diag_set(diag, KK_EINVALID,
			   _("'%s' is not a fiscal year (try 2021, R3 or 令和3年度)"), typed);
ok:
	if (year < 1868 || year > 2999)
		return kk_diag_set(diag, KK_EINVALID, _("fiscal year %d is out of range"), year);
	*out = year;
	return 0;
}

/* Ends `buf`, which snprintf() filled with `n` of its bytes, after its last whole character. */
static void cut_whole(char *buf, size_t size, int n)
{
	size_t end, lead;

	if (n < 0 || (size_t)n < size || size == 0)
		return;
	end = size - 1;
	for (lead = end; lead > 0 && ((unsigned char)buf[lead - 1] & 0xC0) == 0x80; lead--)
		;
	if (lead > 0) {
		unsigned char c = (unsigned char)buf[lead - 1];
		size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;

		if (end - (lead - 1) < want)
			buf[lead - 1] = '\0';
	}
}

void kk_fy_format(char *buf, size_t size, const json_t *settings, int year)
{
	const json_t *best = NULL;
	size_t i;
	json_t *era;
	int n;

	json_array_foreach(json_object_get(settings, "eras"), i, era) {
		json_int_t start = json_integer_value(json_object_get(era, "start"));

		if (start <= year &&
		    (!best || start > json_integer_value(json_object_get(best, "start"))))
			best = era;
	}
	if (!best) {
		n = snprintf(buf, size, "%d年度", year);
	} else {
		const char *name = json_string_value(json_object_get(best, "name"));
		int number = year - (int)json_integer_value(json_object_get(best, "start")) + 1;

		if (number == 1)
			n = snprintf(buf, size, "%s元年度", name ? name : "");
		else
			n = snprintf(buf, size, "%s%d年度", name ? name : "", number);
	}
	cut_whole(buf, size, n);
}

const char *kk_fy_state(const json_t *settings, int year)
{
	char key[16];

	snprintf(key, sizeof(key), "%d", year);
	return json_string_value(json_object_get(json_object_get(settings, "years"), key));
}

/* The report's own vocabulary, from its legend (進捗度の凡例). */
static const struct {
	const char *code;
	const char *mark;
	const char *legend;
} progress_marks[] = {
	{"ahead", "◎", "計画より早く進んでいる"},
	{"on_track", "○", "計画どおり進んでいる"},
	{"behind", "▲", "計画より遅れている"},
};

static const struct {
	const char *code;
	const char *label;
} achievement_labels[] = {
	{"open", "—"},
	{"completed", "導入完了"},
	{"withdrawn", "取り下げ"},
};

const char *kk_progress_mark(const char *progress)
{
	for (size_t i = 0; progress && i < sizeof(progress_marks) / sizeof(*progress_marks); i++) {
		if (strcmp(progress, progress_marks[i].code) == 0)
			return progress_marks[i].mark;
	}
	return NULL;
}

const char *kk_progress_from_mark(const char *typed)
{
	char key[KK_KEY_MAX];
	const char *text = typed ? kk_key_normalize(key, sizeof(key), typed) : NULL;

	for (size_t i = 0; text && i < sizeof(progress_marks) / sizeof(*progress_marks); i++) {
		if (strcmp(text, progress_marks[i].code) == 0 ||
		    strcmp(text, progress_marks[i].mark) == 0)
			return progress_marks[i].code;
	}
	return NULL;
}

const char *kk_progress_legend(const char *progress)
{
	for (size_t i = 0; progress && i < sizeof(progress_marks) / sizeof(*progress_marks); i++) {
		if (strcmp(progress, progress_marks[i].code) == 0)
			return progress_marks[i].legend;
	}
	return NULL;
}

const char *kk_achievement_from_label(const char *typed)
{
	char key[KK_KEY_MAX];
	const char *text = typed ? kk_key_normalize(key, sizeof(key), typed) : NULL;

	for (size_t i = 0; text && i < sizeof(achievement_labels) / sizeof(*achievement_labels);
	     i++) {
		if (strcmp(text, achievement_labels[i].code) == 0 ||
		    strcmp(text, achievement_labels[i].label) == 0)
			return achievement_labels[i].code;
	}
	/* The report's other spelling of 取り下げ. */
	if (text && strcmp(text, "取下げ") == 0)
		return "withdrawn";
	return NULL;
}

const char *kk_achievement_label(const char *code)
{
	for (size_t i = 0; code && i < sizeof(achievement_labels) / sizeof(*achievement_labels);
	     i++) {
		if (strcmp(code, achievement_labels[i].code) == 0)
			return achievement_labels[i].label;
	}
	return NULL;
}

/* Encodes a BMP code point as UTF-8. */
static void put_utf8(char *buf, size_t size, unsigned cp)
{
	unsigned char s[4] = {(unsigned char)(0xE0 | (cp >> 12)),
			      (unsigned char)(0x80 | ((cp >> 6) & 0x3F)),
			      (unsigned char)(0x80 | (cp & 0x3F)), 0};

	snprintf(buf, size, "%s", (const char *)s);
}

void kk_circled_number(char *buf, size_t size, json_int_t n)
{
	if (n >= 1 && n <= 20)
		put_utf8(buf, size, 0x2460 + (unsigned)(n - 1));
	else if (n >= 21 && n <= 35)
		put_utf8(buf, size, 0x3251 + (unsigned)(n - 21));
	else if (n >= 36 && n <= 50)
		put_utf8(buf, size, 0x32B1 + (unsigned)(n - 36));
	else
		snprintf(buf, size, "(%" JSON_INTEGER_FORMAT ")", n);
}

const char *const kk_item_fields[] = {"id",	 "pillar",   "section", "measure", "title",
				     "owners", "related", "added_in", "status",	 "years"};
const size_t kk_item_field_count = sizeof(kk_item_fields) / sizeof(*kk_item_fields);
const char *const kk_year_fields[] = {"planned", "revised", "progress", "achievement", "result"};
const size_t kk_year_field_count = sizeof(kk_year_fields) / sizeof(*kk_year_fields);

const char *kk_field_label(const char *field)
{
	static const struct {
		const char *field;
		const char *label;
	} labels[] = {
		{"planned", "計画スケジュール"},
		{"revised", "変更スケジュール"},
		{"progress", "進捗度"},
		{"achievement", "達成度"},
		{"result", "取組内容または結果"},
		{"status", "状況"},
		{"title", "項目"},
		{"owners", "担当課"},
		{"related", "関係課"},
		{"pillar", "計画の柱"},
		{"section", "節"},
		{"measure", "施策"},
		{"added_in", "追加年度"},
	};

	for (size_t i = 0; field && i < sizeof(labels) / sizeof(*labels); i++)
		if (strcmp(field, labels[i].field) == 0)
			return labels[i].label;
	return NULL;
}
