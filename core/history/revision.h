/*
 * revision.h - the revisions a person names: git's (a commit id, tag or
 * branch), a day, or a fiscal year.
 */
#ifndef KK_REVISION_H
#define KK_REVISION_H

#include <git2.h>

#include "common.h"
#include "history.h"
#include "store.h"

typedef struct kk_rev_opts {
	int utc_offset;	     /* minutes east of UTC that dates are meant in */
	kk_history *history; /* the history of HEAD, for dates; NULL to open one */
} kk_rev_opts;

/*
 * Resolves `rev` to a commit:
 *   - NULL or "": HEAD;
 *   - "@2022-03-31": the last commit of HEAD's first-parent chain made by
 *     the end of that day (committer time);
 *   - "fy2021" (or "FY2021"): the annotated tag fy2021 when the year is
 *     closed, otherwise the state at the end of FY2021 (the day before
 *     FY2022 starts, by keikaku.json's fiscal_year_start at HEAD);
 *   - anything git's rev-parse takes that names a commit a branch or a tag
 *     holds: never one left unreferenced (amended away, in a reflog only).
 *     With `opts->history` (HEAD's), that is a commit of HEAD's first-parent
 *     chain, or of another branch or tag and not in HEAD's ancestry (a
 *     commit HEAD holds only through a merge's second parent is refused
 *     then); without it, any commit a branch or a tag reaches, found by a
 *     walk of their history.
 * Fails with KK_ENOTFOUND (with a message naming `rev`) when there is no
 * such commit, KK_EINVALID for a malformed date.
 */
int kk_rev_resolve(git_oid *out, kk_store *store, const char *rev, const kk_rev_opts *opts,
		   kk_diag *diag);

/*
 * The time `rev` stands for when used as a bound (--since, --until): a
 * date ("2022-03-31", the start of that day, or with `end` its last
 * second), or a revision's committer time.
 */
int kk_rev_time(int64_t *out, kk_store *store, const char *rev, int end, const kk_rev_opts *opts,
		kk_diag *diag);

/*
 * kk_rev_time(), telling which it was: returns 0 for a date, or 1 for a
 * revision, whose commit goes into *commit_out (may be NULL).
 */
int kk_rev_bound(int64_t *time_out, git_oid *commit_out, kk_store *store, const char *rev, int end,
		 const kk_rev_opts *opts, kk_diag *diag);

/* The fiscal year `text` names as a revision ("fy2021"), or 0. */
int kk_rev_fiscal_year(const char *text);

#endif
