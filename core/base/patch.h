/*
 * patch.h - JSON Merge Patch (RFC 7396) and the semantic changes between
 * two versions of a document.
 *
 * Paths are dotted, as the audit trail shows them: "years.2021.progress".
 */
#ifndef KK_PATCH_H
#define KK_PATCH_H

#include <jansson.h>

#include "common.h"

/*
 * Applies `patch` to `target` (which may be NULL: no document yet) as RFC
 * 7396 says: an object patch merges member by member, null removes a
 * member, anything else replaces.  `target` is not modified; *out is a new
 * reference that shares with `target` the members the patch leaves alone:
 * treat both as read-only (json_deep_copy() the result to change it).
 */
int kk_patch_apply(json_t **out, const json_t *target, const json_t *patch, kk_diag *diag);

/*
 * Builds the merge patch that turns `from` into `to`: objects are compared
 * member by member, anything else (arrays included) is replaced whole.
 * Applying it to `from` gives `to`.  Neither may contain null, which a merge
 * patch cannot express (KK_EINVALID).  *out is a new reference; an empty
 * object when nothing differs.
 */
int kk_patch_diff(json_t **out, const json_t *from, const json_t *to, kk_diag *diag);

/*
 * Three-way check for an update made against `base` and applied to `head`:
 * appends to `fields` (a JSON array of strings) the dotted path of every
 * field `patch` touches whose value differs between `base` and `head`, and
 * returns how many it appended.  A touched field is a member the patch sets
 * to a non-object or null; for a member it sets to an object, the check
 * recurses.  `base` or `head` may be NULL (no such document).
 */
int kk_patch_conflicts(json_t *fields, const json_t *base, const json_t *head,
		       const json_t *patch);

/*
 * Appends to `changes` (a JSON array) one object per changed field between
 * `old` and `new` (either may be NULL): {"path": "years.2021.progress",
 * "old": ..., "new": ...}, with "old" or "new" absent when the field is.
 * Objects are compared member by member in a stable order (the order of
 * `new`'s members, then removed ones), arrays and scalars as values, with
 * paths below `prefix` (may be NULL or "").  Returns how many it appended,
 * or KK_ENOMEM.
 */
int kk_diff_fields(json_t *changes, const json_t *old, const json_t *new, const char *prefix);

#endif
