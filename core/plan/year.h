/*
 * year.h - opening and closing fiscal years (issue 4, point 7).
 *
 * Opening a year lets owners edit it: keikaku.json lists it as "open", and
 * every open item (status "open") without an entry for it gains an empty
 * one, {}; entries already there, with their planned or revised schedules,
 * are kept as they are.  Closing a year lists it as "closed" and is
 * recorded by the annotated tag "fyYYYY", whose message sums the year up.
 *
 * This module only decides: it turns the plan's files into merge patches
 * for core/plan/update to check and stage, and writes the tag's message.  The
 * order it keeps: a year opens once, after every earlier year of the plan
 * has opened, and a year not listed yet may be added only as the year after
 * the last one; a year closes once, when it is open and every earlier year
 * is closed, so that the tags fy2020, fy2021, ... follow one another.  A
 * closed year never opens again (an admin corrects it instead).
 */
#ifndef KK_YEAR_H
#define KK_YEAR_H

#include <jansson.h>

#include "common.h"
#include "fileset.h"
#include "plan.h"

/* Rule names, as violations about fiscal years carry them in "rule". */
#define KK_RULE_YEAR_STATE "year-state" /* the year cannot open or close in its state */
#define KK_RULE_TAG_EXISTS "tag-exists" /* the closing tag exists already */

/* The longest tag name kk_year_tag_name() writes, with its NUL. */
#define KK_YEAR_TAG_MAX 16

/*
 * "令和3年度 (FY2021)": how messages, commits and tags name fiscal year `year`.  A buffer
 * of KK_FY_TITLE_MAX holds any.
 */
#define KK_FY_TITLE_MAX (KK_FY_NAME_MAX + 16)
void kk_fy_title(char *buf, size_t size, const json_t *settings, int year);

/* A fiscal year's entries, as its items record them. */
typedef struct kk_year_counts {
	size_t items;			/* items with an entry for the year */
	size_t ahead, on_track, behind; /* years[Y].progress: ◎ ○ ▲ */
	size_t completed, withdrawn;	/* years[Y].achievement: 導入完了, 取り下げ */
} kk_year_counts;

/* What opening or closing a year changes. */
typedef struct kk_year_change {
	int year;
	json_t *settings_patch; /* merge patch of keikaku.json: {"years": {"2023": "open"}} */
	json_t *items;		/* ids of the items that gain an empty entry, ascending */
	json_t *item_patch;	/* the merge patch each of them gets: {"years": {"2023": {}}} */
	kk_year_counts counts;	/* the year's entries before the change */
	char *summary;		/* the commit's first line: "令和5年度 (FY2023) を開始" */
} kk_year_change;

/*
 * Decides opening fiscal year `year` on the plan in `files` (every file of
 * a commit).  Fills `out`, which the caller clears with
 * kk_year_change_clear(); on failure `out` is left cleared.  Fails, with a
 * translated message in `diag`, with KK_EEXISTS when the year is open or
 * closed already, KK_ENOTFOUND when it is neither listed nor the year after
 * the last one listed, KK_EINVALID when an earlier year has not opened yet
 * (or the plan does not load), KK_ENOMEM.
 */
int kk_year_open(kk_year_change *out, const kk_fileset *files, int year, kk_diag *diag);

/*
 * Decides closing fiscal year `year`, as kk_year_open() does; `items` is
 * empty.  Fails with KK_EEXISTS when the year is closed already,
 * KK_ENOTFOUND when it is not a year of the plan, KK_EINVALID when it is
 * not open yet or an earlier year is not closed yet, KK_ENOMEM.
 */
int kk_year_close(kk_year_change *out, const kk_fileset *files, int year, kk_diag *diag);

void kk_year_change_clear(kk_year_change *change);

/* Counts the entries of `year` in `items` (an array of items). */
void kk_year_count(kk_year_counts *out, const json_t *items, int year);

/* Writes the name of the tag that records closing `year` ("fy2021") into `buf`. */
void kk_year_tag_name(char *buf, size_t size, int year);

/*
 * The closing tag's message, in the report's terms, with era names from
 * `settings` (keikaku.json; may be NULL):
 *
 *   令和3年度 (FY2021) を締め切り
 *
 *   項目 23
 *   進捗度 ◎ 1  ○ 20  ▲ 2
 *   達成度 導入完了 3  取り下げ 1
 *
 * It is plan data, like the commit summaries, so it is not translated.
 * Returns a string the caller frees, or NULL when out of memory.
 */
char *kk_year_tag_message(const json_t *settings, int year, const kk_year_counts *counts);

/*
 * The counts as JSON, for an answer: {"year": "2021", "items": 23,
 * "progress": {"ahead", "on_track", "behind"}, "achievement": {"completed",
 * "withdrawn"}}.  A new reference, or NULL when out of memory.
 */
json_t *kk_year_counts_json(int year, const kk_year_counts *counts);

#endif
