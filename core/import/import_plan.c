/*
 * import_plan.c - the plan a report makes: keikaku.json, departments.json
 * and plan.json from what the rows said, the items by 通番, and the files
 * written in canonical form (kk_import_files()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "i18n.h"
#include "import_cell.h"
#include "import_int.h"
#include "json.h"
#include "plan.h"


static int by_id(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "id"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "id"));

	return (x > y) - (x < y);
}

/* The items by id. */
static json_t *sorted_items(const json_t *items)
{
	size_t n = json_array_size(items);
	json_t **list = calloc(n ? n : 1, sizeof(*list)), *out = json_array();

	if (!list || !out) {
		free(list);
		json_decref(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		list[i] = json_array_get(items, i);
	qsort(list, n, sizeof(*list), by_id);
	for (size_t i = 0; i < n; i++)
		if (json_array_append(out, list[i]) < 0) {
			json_decref(out);
			out = NULL;
			break;
		}
	free(list);
	return out;
}

/* Every department named, in order of first appearance: by 通番, 担当課 before 関係課. */
static json_t *departments(const json_t *items, const char *admin)
{
	json_t *names = json_array(), *list = json_array(), *item, *v;
	size_t i, j;
	int failed = !names || !list;

	json_array_foreach(items, i, item) {
		const char *keys[] = {"owners", "related"};

		for (int k = 0; k < 2 && !failed; k++)
			json_array_foreach(json_object_get(item, keys[k]), j, v)
				failed |= kk_cell_departments(names, json_string_value(v)) < 0;
	}
	if (admin && *admin && !failed)
		failed |= kk_cell_departments(names, admin) < 0;
	json_array_foreach(names, i, v) {
		json_t *d = json_pack("{s:O}", "name", v);

		if (!d ||
		    (admin && strcmp(json_string_value(v), admin) == 0 &&
		     json_object_set_new(d, "admin", json_true()) < 0) ||
		    json_array_append_new(list, d) < 0)
			failed = 1;
	}
	json_decref(names);
	if (failed) {
		json_decref(list);
		return NULL;
	}
	return json_pack("{s:o}", "departments", list);
}

/* plan.json: the pillars, sections and measures the items use, by number. */
static json_t *structure(const imp *x)
{
	json_t *pillars = json_array();
	char key[32];

	for (int p = 1; pillars && p <= 99; p++) {
		json_t *pillar, *sections;

		snprintf(key, sizeof(key), "%d", p);
		if (!(pillar = json_object_get(x->pillars, key)))
			continue;
		if (!(sections = json_array()))
			goto fail;
		for (int s = 1; s <= 99; s++) {
			json_t *section, *measures;

			snprintf(key, sizeof(key), "%d/%d", p, s);
			if (!(section = json_object_get(x->sections, key)))
				continue;
			if (!(measures = json_array()))
				goto fail_sections;
			for (int m = 1; m <= 99; m++) {
				json_t *measure, *out, *description;

				snprintf(key, sizeof(key), "%d/%d/%d", p, s, m);
				if (!(measure = json_object_get(x->measures, key)) ||
				    !json_object_get(measure, "used"))
					continue;
				description = json_object_get(measure, "description");
				out = json_pack("{s:i, s:O}", "number", m, "title",
						json_object_get(measure, "title"));
				if (out && description &&
				    json_object_set(out, "description", description) < 0) {
					json_decref(out);
					out = NULL;
				}
				if (!out || json_array_append_new(measures, out) < 0) {
					json_decref(measures);
					goto fail_sections;
				}
			}
			if (json_array_size(measures) == 0) {
				json_decref(measures);
				continue;
			}
			if (json_array_append_new(sections,
						  json_pack("{s:i, s:O, s:o}", "number", s, "title",
							    json_object_get(section, "title"),
							    "measures", measures)) < 0)
				goto fail_sections;
		}
		if (json_array_size(sections) == 0) {
			json_decref(sections);
			continue;
		}
		if (json_array_append_new(pillars,
					  json_pack("{s:i, s:O, s:o}", "number", p, "title",
						    json_object_get(pillar, "title"), "sections",
						    sections)) < 0)
			goto fail;
		continue;
	fail_sections:
		json_decref(sections);
		goto fail;
	}
	if (!pillars)
		return NULL;
	return json_pack("{s:o}", "pillars", pillars);
fail:
	json_decref(pillars);
	return NULL;
}

/* keikaku.json: the settings given, with the title and the report's three years. */
static json_t *settings(const imp *x)
{
	json_t *s = json_deep_copy(x->settings);
	char y[3][8];

	if (!s)
		return NULL;
	for (int i = 0; i < 3; i++)
		snprintf(y[i], sizeof(y[i]), "%d", x->year - 1 + i);
	if ((x->opts->title && json_object_set_new(s, "title", json_string(x->opts->title)) < 0) ||
	    (!json_object_get(s, "title") &&
	     json_object_set_new(s, "title", json_string("新しい計画")) < 0) ||
	    (x->opts->organisation &&
	     json_object_set_new(s, "organisation", json_string(x->opts->organisation)) < 0) ||
	    json_object_set_new(
		    s, "years",
		    json_pack("{s:s, s:s, s:s}", y[0], "closed", y[1], "open", y[2], "open")) < 0) {
		json_decref(s);
		return NULL;
	}
	return s;
}

int imp_build(kk_import *result, const imp *x)
{
	if (!(result->items = sorted_items(x->items)) ||
	    !(result->departments = departments(result->items, x->opts->admin)) ||
	    !(result->structure = structure(x)) || !(result->settings = settings(x)))
		return -1;
	return 0;
}

/* Parses the schema at `path` in `files`. */
static int load_schema(json_t **out, const kk_fileset *files, const char *path, kk_diag *diag)
{
	const kk_file *f = kk_fileset_get(files, path);
	int error;

	if (!f)
		return kk_diag_set(diag, KK_ENOTFOUND, _("'%s' is missing"), path);
	if ((error = kk_json_parse(out, f->data, f->len, NULL, diag)) < 0)
		kk_diag_set_path(diag, path);
	return error;
}

/* Dumps `doc` canonically (keys in `schema`'s order) into `files` at `path`. */
static int put_file(kk_fileset *files, const char *path, const json_t *doc, const json_t *schema,
		    kk_diag *diag)
{
	char *text = NULL;
	size_t len;
	int error;

	if ((error = kk_canon_dump(&text, &len, doc, schema, diag)) == 0)
		error = kk_fileset_put(files, path, text, len, diag);
	free(text);
	return error;
}

int kk_import_files(kk_fileset *files, const kk_import *import, kk_diag *diag)
{
	const char *paths[] = {KK_PATH_SETTINGS, KK_PATH_DEPARTMENTS, KK_PATH_STRUCTURE};
	const json_t *docs[] = {import->settings, import->departments, import->structure};
	char path[KK_ITEM_PATH_MAX];
	json_t *schema = NULL, *item;
	size_t i;
	int error = 0;

	for (i = 0; i < 3 && error == 0; i++) {
		if ((error = load_schema(&schema, files, kk_plan_schema_for(paths[i]), diag)) < 0)
			return error;
		error = put_file(files, paths[i], docs[i], schema, diag);
		json_decref(schema);
		schema = NULL;
	}
	if (error < 0 || (error = load_schema(&schema, files, KK_SCHEMA_ITEM, diag)) < 0)
		return error;
	json_array_foreach(import->items, i, item) {
		if ((error = kk_item_path(path, sizeof(path),
					  json_integer_value(json_object_get(item, "id")))) < 0 ||
		    (error = put_file(files, path, item, schema, diag)) < 0)
			break;
	}
	json_decref(schema);
	return error;
}
