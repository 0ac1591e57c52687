/*
 * rules.h - who may change what (docs/design.md §3, rules 2 to 4),
 * field by field, and what a co-owner of an item must keep of the texts
 * the other owners wrote (rule 6).
 *
 * Rule 1 (identity from the kernel) is the daemon's; rule 5 (schemas and
 * references) is verify's; rules 6 and 7 (conflicts, retries) are the
 * writer's, which gives kk_rules_check_coowner_text() who wrote each line
 * of a text from the history.
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
#define KK_RULE_COOWNER_TEXT "co-owner-text"      /* rule 6: a co-owner keeps others' lines */

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
 * with "file" instead of "item".  The allowed signers file (KK_PATH_SIGNERS,
 * its text as a JSON string) is an admin's too, and needs a reason.
 */
int kk_rules_check_file(json_t *violations, const kk_change_ctx *ctx, const char *file,
			const json_t *old, const json_t *new);

/*
 * Tells whether changing text field `path` of item `old` ("years.2021.result"
 * or "years.2021.revised") is a change to a text co-owners share: the item
 * has two or more owners and the person is no admin but acts for one of
 * them.  Only such a change needs kk_rules_check_coowner_text(), and so
 * who wrote each line of the text.
 */
int kk_rules_coowner_text(const kk_change_ctx *ctx, const json_t *old, const char *path);

/*
 * Rule 6 for a text co-owners share (docs/data-model.md, "Co-owned
 * texts"): every line of the current text of `path` of item `id` that no
 * department the person acts for wrote (another owner department did, or
 * an admin) must still be in `new_text` (NULL when the change removes the
 * text), in the same order; blank lines are no one's.  `lines` says who
 * wrote each line of the current text, [{"text", "department": a name, or
 * null for an admin}], as kk_history_text_authors() gives it.
 *
 * When the new text leaves out or reorders such lines, appends one
 * violation, as kk_rules_check_item() does, with "keep": every such line,
 * [{"line" (its number in the current text, from 1), "text", "author" (the
 * department, or "admin"), "missing" (whether the new text lacks it where
 * it belongs)}], and returns 1.  Returns 0 when nothing is lost, or
 * KK_ENOMEM.
 */
int kk_rules_check_coowner_text(json_t *violations, const kk_change_ctx *ctx, json_int_t id,
				const char *path, const json_t *lines, const char *new_text);

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
