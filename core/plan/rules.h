/*
 * rules.h - who may change what (docs/design.md §3, rules 2 to 4),
 * field by field.
 *
 * Rule 1 (identity from the kernel) is the daemon's; rule 5 (schemas and
 * references) is verify's; rules 6 and 7 (conflicts, retries) are the
 * writer's.
 */
#ifndef KK_RULES_H
#define KK_RULES_H

#include <jansson.h>

#include "common.h"
#include "identity.h"

/* Rule names, as violations carry them in "rule". */
#define KK_RULE_NOT_OWNER "not-owner"             /* rule 2: not an owner of the item */
#define KK_RULE_NOT_PERMITTED "not-permitted"     /* rule 2: owners may not change this field */
#define KK_RULE_ADMIN_ONLY "admin-only"           /* rule 2: only an admin may do this */
#define KK_RULE_YEAR_NOT_OPEN "year-not-open"     /* rule 2: owners edit open years only */
#define KK_RULE_FROZEN_PLANNED "frozen-planned"   /* rule 3: planned schedule of an open year */
#define KK_RULE_REASON_REQUIRED "reason-required" /* rule 3: this change needs a reason */
#define KK_RULE_CLOSED_YEAR "closed-year"         /* rule 4: a closed year is immutable */

typedef struct kk_change_ctx {
	const kk_identity *who;
	const json_t *settings; /* keikaku.json, for the state of each fiscal year */
	const char *reason;     /* the 変更理由; NULL or blank when none was given */
	int correction;         /* an admin's correction to a closed year */
} kk_change_ctx;

/*
 * Checks the change of an item from `old` to `new` (`old` NULL: a new
 * item) against rules 2 to 4 and appends one violation per offending field
 * to `violations` (a JSON array): {"item": ID, "path": "years.2021.planned",
 * "rule": KK_RULE_*, "message": "..."}, the message translated.  Returns
 * the number appended, or KK_ENOMEM.
 *
 * The rules: an owner may change, for an open fiscal year, its revised
 * schedule, progress, achievement and result, and the item's status; an
 * admin may change anything; others nothing.  A planned schedule is frozen
 * once its year is open: only an admin changes it, with a reason.  Changing
 * a revised schedule, withdrawing an item and reopening a completed one
 * need a reason.  Nothing in a closed year changes, except by an admin's
 * correction with a reason.
 */
int kk_rules_check_item(json_t *violations, const kk_change_ctx *ctx, const json_t *old,
			const json_t *new);

/*
 * Checks a change to a plan-wide file ("keikaku.json", "departments.json",
 * "plan.json"): admin only.  Appends violations as kk_rules_check_item does,
 * with "file" instead of "item".
 */
int kk_rules_check_file(json_t *violations, const kk_change_ctx *ctx, const char *file,
			const json_t *old, const json_t *new);

/*
 * Tells whether `reason` says anything: not NULL and not only white space,
 * the ideographic space (U+3000) included.
 */
int kk_rules_reason_given(const char *reason);

/*
 * Tells whether any violation in `violations` is about rights (rule 2:
 * not-owner, not-permitted, admin-only, year-not-open) rather than about
 * how a change is made (rules 3 and 4).  The daemon answers the first
 * kind with "forbidden", the second with "rule violation".
 */
int kk_rules_forbidden(const json_t *violations);

#endif
