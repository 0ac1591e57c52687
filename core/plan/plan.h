/*
 * plan.h - the plan as data: settings, departments, structure and items,
 * and the vocabulary to present them (fiscal years, eras, marks).
 */
#ifndef KK_PLAN_H
#define KK_PLAN_H

#include <jansson.h>

#include "common.h"
#include "fileset.h"

#define KK_PATH_SETTINGS    "keikaku.json"
#define KK_PATH_DEPARTMENTS "departments.json"
#define KK_PATH_STRUCTURE   "plan.json"
#define KK_PATH_ITEMS	    "items/"
/* Who may sign the plan's commits and tags: git's allowed signers file (docs/signing.md). */
#define KK_PATH_SIGNERS "allowed_signers"

#define KK_SCHEMA_ITEM	      "schema/item.schema.json"
#define KK_SCHEMA_SETTINGS    "schema/keikaku.schema.json"
#define KK_SCHEMA_DEPARTMENTS "schema/departments.schema.json"
#define KK_SCHEMA_STRUCTURE   "schema/plan.schema.json"

#define KK_ITEM_ID_MAX	 99999
#define KK_ITEM_PATH_MAX 32

typedef struct kk_plan {
	json_t *settings;    /* keikaku.json */
	json_t *departments; /* departments.json */
	json_t *structure;   /* plan.json */
	json_t *items;	     /* array of items, sorted by id */
} kk_plan;

/*
 * The schema a plan file follows, by its repository path: KK_SCHEMA_SETTINGS
 * for keikaku.json and so on, KK_SCHEMA_ITEM for anything else.
 */
const char *kk_plan_schema_for(const char *path);

/*
 * Writes the repository path of item `id` ("items/0026.json") into `buf`.
 * Returns 0, or KK_EINVALID when `id` is out of range.
 */
int kk_item_path(char *buf, size_t size, json_int_t id);

/*
 * Tells whether `path` names an item file and, if so, stores its id in
 * *id_out.  Only the zero-padded form kk_item_path() writes is accepted.
 */
int kk_item_path_parse(json_int_t *id_out, const char *path);

/*
 * Parses the plan in `files`.  It does not validate against the schemas
 * (kk_verify does); it fails with KK_EINVALID, naming the file, when a file
 * is missing or is not the kind of JSON value expected.  Free with
 * kk_plan_free().
 */
int kk_plan_load(kk_plan **out, const kk_fileset *files, kk_diag *diag);
void kk_plan_free(kk_plan *plan);

/*
 * Parses the item file `path` ("items/0026.json"), `len` bytes at `data`, as
 * kk_plan_load() parses each: a JSON object whose "id" is the file name's.
 * *out is a new reference.  Fails naming the file in diag's path: with
 * KK_EINVALID (and the pointer "/id" for a wrong id), KK_ELIMIT for JSON too
 * large or too deep, or KK_ENOMEM.
 */
int kk_plan_parse_item(json_t **out, const char *path, const char *data, size_t len, kk_diag *diag);

/* The item with `id`, or NULL; borrowed. */
json_t *kk_plan_item(const kk_plan *plan, json_int_t id);

/* Structure lookups; each returns a borrowed object or NULL. */
json_t *kk_plan_pillar(const json_t *structure, json_int_t pillar);
json_t *kk_plan_section(const json_t *structure, json_int_t pillar, json_int_t section);
json_t *kk_plan_measure(const json_t *structure, json_int_t pillar, json_int_t section,
			json_int_t measure);

/* Tells whether department `dept` is among `item`'s owners. */
int kk_item_owned_by(const json_t *item, const char *dept);

/* The department named `name` in departments.json, or NULL; borrowed. */
json_t *kk_plan_department(const json_t *departments, const char *name);

/*
 * Fiscal years.  A fiscal year is named by the calendar year it starts in
 * (FY2021 runs 2021-04-01 to 2022-03-31 with the default start).
 *
 * kk_fy_parse accepts "2021", "FY2021", "fy2021", "R3", "令和3", "令和3年度"
 * and "令和元年度", using the eras of `settings` (keikaku.json; may be NULL
 * for plain years only), as an input method types them too ("令和４年度",
 * "Ｒ４": keytext.h).  Fails with KK_EINVALID and a message naming the
 * text.
 */
int kk_fy_parse(int *out, const char *text, const json_t *settings, kk_diag *diag);

/*
 * Writes the era name of fiscal year `year` ("令和3年度", "令和元年度") into
 * `buf`, or "2021年度" when no era of `settings` covers it.  A buffer of
 * KK_FY_NAME_MAX holds any name: an era's name is 20 characters at most.  A
 * smaller one gets as many whole characters as it holds.
 */
#define KK_FY_NAME_MAX 128
void kk_fy_format(char *buf, size_t size, const json_t *settings, int year);

/* The state of `year` in keikaku.json: "open", "closed", "planned", or NULL. */
const char *kk_fy_state(const json_t *settings, int year);

/*
 * Presentation of stored codes as the report writes them; NULL for unknown
 * codes.  The _from_ forms take a code or the report's word or mark as typed
 * ("〇" and "◯" are ○, "取下げ" is 取り下げ: keytext.h).
 */
const char *kk_progress_mark(const char *progress);   /* "on_track" -> "○" */
const char *kk_achievement_label(const char *code);   /* "completed" -> "導入完了" */
const char *kk_progress_from_mark(const char *text);  /* "○" or "on_track" -> "on_track" */
const char *kk_progress_legend(const char *progress); /* "behind" -> "計画より遅れている" */
const char *
kk_achievement_from_label(const char *text); /* "導入完了" or "completed" -> "completed" */

/*
 * The fields of an item, and of each of its fiscal years, as
 * schema/item.schema.json has them (tests/test_plan.c keeps them the same).
 */
extern const char *const kk_item_fields[];
extern const size_t kk_item_field_count;
extern const char *const kk_year_fields[];
extern const size_t kk_year_field_count;

/*
 * The report's label for a field of an item or of a year ("progress" ->
 * "進捗度", "planned" -> "計画スケジュール", "status" -> "状況"), or NULL for
 * fields the report has no column for.
 */
const char *kk_field_label(const char *field);

/*
 * Writes a measure's number as the report does (1 -> "①", up to ㊿), or in
 * digits beyond 50.
 */
void kk_circled_number(char *buf, size_t size, json_int_t n);

#endif
