/*
 * diff.h - the semantic difference between two versions of the plan: items
 * added, removed and changed field by field, the plan-wide files, and
 * readable inline diffs of long texts.
 *
 * Only what changed is read: the two commits' trees are compared entry by
 * entry by blob id, and only files whose blobs differ are parsed.
 */
#ifndef KK_DIFF_H
#define KK_DIFF_H

#include <git2.h>
#include <jansson.h>

#include "budget.h"
#include "common.h"
#include "store.h"

typedef struct kk_diff_filter {
	json_int_t item; /* only this item; 0 for all */
	int year;	 /* only fields of this fiscal year (years.<year>...); 0 for all */
	kk_budget *budget; /* NULL, or the time the difference may take (KK_ETIMEOUT) */
} kk_diff_filter;

/*
 * Appends to each change in `changes` (kk_diff_fields' format) whose old and
 * new values are both strings and at least one is long (more than 40 code
 * points or holding a newline) an "inline" member: an array of segments
 * {"op": "=", "-" or "+", "text": ...} — a character-level (Unicode code
 * point, since Japanese has no spaces) diff, cleaned up so that it reads
 * well (merge tiny equal runs between edits), bounded in cost (fall back to
 * one "-" and one "+" segment beyond a limit).  Returns 0 or KK_ENOMEM.
 *
 * The cleanup: an equal run no longer than the edits on either side of it
 * joins them, and an insertion or deletion that could sit at several places
 * moves to the one that best fits line and sentence boundaries.  Past 1,000
 * edits or 50,000 differing code points the diff is the common prefix, one
 * "-", one "+" and the common suffix.
 */
int kk_diff_inline(json_t *changes);

/*
 * Tells whether `v` is a long text, one that gets an inline diff: a string
 * of more than 40 code points or holding a newline.  Cannot fail.
 */
int kk_diff_is_long(const json_t *v);

/*
 * The semantic difference from commit `from` to commit `to` of `store`.  *out (new reference) is
 *
 * {"from": "<hex>", "to": "<hex>",
 *  "items": [{"id": 26, "title": "テレワークの拡大", "change": "changed",
 *             "changes": [{"path": "years.2021.progress", "old": "behind", "new": "on_track"},
 *                         ...]},
 *            {"id": 36, "title": "...", "change": "added", "item": {...whole new item...}},
 *            {"id": 3, "title": "...", "change": "removed", "item": {...whole old item...}}],
 *            -- sorted by id
 *  "files": [{"path": "keikaku.json", "change": "changed"|"added"|"removed", "changes": [...]}]}
 *            -- plan-wide files (keikaku.json, departments.json, plan.json) only; schema/ files
 *               ignored
 *
 * with the inline diffs of kk_diff_inline.  `filter` (may be NULL) keeps only one item, and/or
 * only changes whose path is under years.<year>, dropping entries left with no changes (an
 * added/removed item is kept under a year filter only if it has that year; files are dropped
 * under an item filter). Fails with KK_ENOTFOUND (commit missing), KK_EINVALID (a file does not
 * parse, naming it in diag), KK_EIO/KK_ENOMEM.
 *
 * `from` may be NULL: the difference from nothing (the change a root commit
 * made), with "from": null.  A file whose bytes differ but whose content
 * does not (a reformatted file) is no entry.  Files under items/ that are
 * not named as kk_item_path() names them are ignored.  An item's "title" is
 * its new one (its old one when removed) and is left out when it has none.
 *
 * In departments.json and plan.json, records are compared by their key
 * rather than by position, so that a change to one department or measure
 * is one field: "departments.<name>.users",
 * "pillars.<n>.sections.<n>.measures.<n>.description".  Where the keys
 * are missing or repeat, the array is compared whole.
 */
int kk_diff_commits(json_t **out, kk_store *store, const git_oid *from, const git_oid *to,
		    const kk_diff_filter *filter, kk_diag *diag);

#endif
