/*
 * history.h - the audit trail: which commit changed which field of which
 * plan file, who made it, for which department, when and why.
 *
 * History follows the first-parent chain of a revision, as the daemon
 * writes it (one commit per accepted submission on main).  A merge made in
 * a clone counts as one change by the merge's author.
 *
 * Finding the commits that touched one file of a 10,000-item plan by
 * diffing every commit's tree is slow, so the chain's changed paths are
 * kept in a derived index: <git dir>/keikaku/history.idx.  It holds, for
 * every commit of the chain, its time and the plan files it changed with
 * their new blob ids.  It is only ever a cache: it is checked when read,
 * extended when the chain grows, rebuilt when it does not match, and it
 * never changes the repository's content.  When it cannot be written (a
 * read-only clone), the index lives in memory for the one query.
 */
#ifndef KK_HISTORY_H
#define KK_HISTORY_H

#include <stdint.h>

#include <git2.h>
#include <jansson.h>

#include "budget.h"
#include "common.h"
#include "doccache.h"
#include "store.h"

typedef struct kk_history kk_history;

/*
 * Opens the history of `tip` in `store` (which must outlive it).  With
 * `use_cache`, the index is read from and written back to the repository's
 * git directory.  Fails with KK_ENOTFOUND when `tip` is not a commit,
 * KK_EIO when the objects cannot be read.  Free with kk_history_free().
 */
int kk_history_open(kk_history **out, kk_store *store, const git_oid *tip, int use_cache,
		    kk_diag *diag);
void kk_history_free(kk_history *history);

/*
 * The history of `tip`, a commit of `base`'s chain, without reading anything: a view
 * that shares `base`'s index, which must outlive it unchanged; what kk_history_open()
 * gives for `tip`, in a fraction of the time on a long history.  Fails with KK_ENOTFOUND
 * when `tip` is not on the chain (open that one), KK_ENOMEM.  Free with
 * kk_history_free().
 */
int kk_history_view(kk_history **out, const kk_history *base, const git_oid *tip,
		    kk_diag *diag);

/*
 * Lets `history`, and the views made of it from now on, keep the versions
 * of files they parse in `docs` (kk_doccache, in base; NULL: none), which
 * must outlive them and is used by one thread at a time with them.  A
 * version asked for again, by any query on them, is then not read and
 * parsed again: an item's page asks for the same versions at every
 * revision.
 */
void kk_history_set_docs(kk_history *history, kk_doccache *docs);

/*
 * Limits the queries on `history` (the log, blame, pending, the check of
 * closed years) to `budget` (NULL: no limit): past it they fail with
 * KK_ETIMEOUT.  The budget must outlive its use; a view takes its base's
 * as it is when the view is made.
 */
void kk_history_set_budget(kk_history *history, kk_budget *budget);

/* How many commits the chain has, and how many of them the index read from disk had. */
size_t kk_history_count(const kk_history *history);
size_t kk_history_cached(const kk_history *history);

/*
 * The last commit of the chain made at or before `when` (seconds since the
 * epoch, committer time).  Fails with KK_ENOTFOUND when there is none.
 */
int kk_history_at_time(git_oid *out, const kk_history *history, int64_t when, kk_diag *diag);

/* The committer time of the chain's commit `commit`; KK_ENOTFOUND when not on the chain. */
int kk_history_time(int64_t *out, const kk_history *history, const git_oid *commit);

/* What kk_history_log() selects; zero-initialise, then set what applies. */
typedef struct kk_log_filter {
	json_int_t item;	/* only this item; 0 for any */
	const char *file;	/* only this plan-wide file (KK_PATH_SETTINGS ...); NULL */
	const char *department; /* only commits made for this department; NULL */
	const char *author;	/* only this author: user name, full name or e-mail; NULL */
	int year;		/* only fields of this fiscal year (years.<year>...); 0 */
	const char *field;	/* only this field and those below it; NULL (see below) */
	int64_t since, until;	/* committer time bounds, inclusive; 0 for none */
	const git_oid *since_commit, *until_commit; /* or bounds on the chain, inclusive */
	int items_only;		/* leave plan-wide files out */
	size_t max_commits;	/* the entries of the newest this many commits; 0 for all */
	int kept;		/* the history is kept for other queries (a memo's): worth
				   reading who made each commit even for a walk that may stop
				   early, to filter by author or department */
} kk_log_filter;

/*
 * Tells whether dotted `path` is selected by `field`: the same path or one
 * below it ("years.2021" selects "years.2021.progress"), or, for a field
 * not starting with "years.", the same field of any fiscal year
 * ("progress" selects "years.2021.progress").
 */
int kk_history_field_matches(const char *field, const char *path);

/*
 * The audit trail, newest first: one entry per changed field,
 *   {"commit", "time" (ISO 8601 with the commit's offset), "timestamp",
 *    "author": {"name", "email"}, "department" (or null), "file",
 *    "file_change" ("added", "removed" or "changed": what became of the file),
 *    "item" (items only), "title" (items only), "path", "old", "new"
 *    (either absent when the field was absent), "summary", "reason" (or
 *    null), "correction" (bool)}.
 * *out is a new reference to the array.  Fails with KK_EINVALID (naming
 * the file) when a version of a file does not parse, KK_EIO.
 */
int kk_history_log(json_t **out, kk_history *history, const kk_log_filter *filter,
		   kk_diag *diag);

/*
 * For every field of item `id` at the chain's tip, the commit that last
 * changed it: {"id", "title", "commit" (the tip), "fields": [{"path",
 * "value", and the members of a log entry: "commit", "time", "timestamp",
 * "author", "department", "summary", "reason", "correction"}]}, in the
 * item's field order.  Fails with KK_ENOTFOUND when the tip has no such
 * item.
 */
int kk_history_blame(json_t **out, kk_history *history, json_int_t id, kk_diag *diag);

/*
 * The commit information of a log entry for `commit`, as an object with
 * "commit", "time", "timestamp", "author", "department", "summary",
 * "reason" and "correction"; a new reference.
 */
int kk_history_commit_info(json_t **out, kk_history *history, const git_oid *commit,
			   kk_diag *diag);

/*
 * The last change to field `field` (a dotted path) of `file`: *out is the
 * commit information of the change (as kk_history_commit_info() gives
 * it) or NULL when no change ever set the field.
 */
int kk_history_last_change(json_t **out, kk_history *history, const char *file, const char *field,
			   kk_diag *diag);

/*
 * Who wrote each line of text field `field` (a dotted path such as
 * "years.2021.result") of item `id` at the chain's tip (history_lines.c):
 * *out is [{"text": LINE, "department": NAME or null}], one per line of the
 * text split at "\n", or [] when the tip has no such text.  The field's
 * versions are followed from the oldest, each compared with the one before
 * it line by line (a longest common subsequence): a line that stays keeps
 * its author, a new or changed line gets the author of its version.  That
 * is the department of the commit's Department trailer when it owns the
 * item; null, an admin, when the commit has none (the import, plain git),
 * is a correction, or names a department that does not own the item.
 * Fails with KK_EINVALID (naming the file) when a version does not parse,
 * KK_EIO, KK_ENOMEM.
 */
int kk_history_text_authors(json_t **out, kk_history *history, json_int_t id, const char *field,
			    kk_diag *diag);

/*
 * The items of `items` (the plan at the chain's tip) that are open, have
 * fiscal year `year`, and had no change to that year's fields by a commit
 * made for one of their owners in the period that starts after commit
 * `since_commit` (when it is on the chain) or else at time `since`:
 * {"year", "since", "departments": [{"name", "items": [{"id", "title",
 * "last_update": commit information or null}]}]}, by department in the
 * order of `departments` (departments.json), then by id.
 */
int kk_history_pending(json_t **out, kk_history *history, const json_t *items,
		       const json_t *departments, int year, int64_t since,
		       const git_oid *since_commit, kk_diag *diag);

/*
 * Problems of the history itself, appended to `problems`: every change to
 * a fiscal year that was closed at the time (in the parent's keikaku.json)
 * made without the Keikaku-Correction trailer, including reopening it.
 * Returns 0 whether or not there are problems.
 */
int kk_history_check_closed(kk_history *history, kk_diaglist *problems, kk_diag *diag);

#endif
