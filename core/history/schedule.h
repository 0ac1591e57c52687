/*
 * schedule.h - planned against revised schedules (計画スケジュール and
 * 変更スケジュール), judged by the plan's ordered phases (keikaku.json
 * "phases": 検討 < 立案 < ... < 導入 < 運用開始).
 */
#ifndef KK_SCHEDULE_H
#define KK_SCHEDULE_H

#include <jansson.h>

#include "common.h"
#include "history.h"
#include "plan.h"

/*
 * The furthest phase of `phases` (an array of strings, in order) that
 * `text` mentions: its index, or -1 when it mentions none.
 */
int kk_schedule_phase(const json_t *phases, const char *text);

/*
 * How `revised` stands to `planned` (either may be NULL):
 *   "unrevised"  no revised schedule;
 *   "unplanned"  a revised schedule without a planned one;
 *   "unchanged"  the same text;
 *   "slipped"    the revision reaches an earlier phase than the plan;
 *   "advanced"   a later one;
 *   "reworded"   the same furthest phase in other words;
 *   "changed"    other words, and the phases do not tell.
 * The string is static.
 */
const char *kk_schedule_verdict(const json_t *phases, const char *planned, const char *revised);

/* A verdict of kk_schedule_verdict() in words, in the caller's language ("slipped", "遅延"). */
const char *kk_schedule_verdict_text(const char *verdict);

/*
 * The schedules of every item of `plan` (the plan at `history`'s tip):
 * {"phases", "items": [{"id", "title", "owners", "status",
 * "years": [{"year", "planned", "revised", "verdict", "planned_phase",
 * "revised_phase", "revised_by"}]}]}.  Absent schedules and phases are
 * null; "revised_by" is the commit information of the revision's last
 * change (kk_history_last_change()), or null.  `year` (0 for all) keeps
 * one fiscal year; `changed_only` keeps the years whose revision differs
 * from the plan.  Items left with no years are left out.
 */
int kk_schedule_list(json_t **out, kk_history *history, const kk_plan *plan, int year,
		     int changed_only, kk_diag *diag);

#endif
