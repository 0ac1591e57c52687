/*
 * query.h - the audit queries by name, as keikakud's read methods and the
 * offline CLI both ask them: one implementation, so that a plain clone
 * gives the daemon's answers.
 *
 * Methods and their parameters (all optional unless said; docs/protocol.md):
 *   history.log    rev, item, file, department, author, fy, field, since, until,
 *                  max_commits (the newest N commits with entries: it stops there)
 *   history.blame  id (required), rev
 *   plan.diff      from, to, item, fy (neither from nor to: HEAD's own change;
 *                  from alone: from it to HEAD)
 *   plan.schedule  rev, fy, changed (bool), history (bool)
 *   plan.pending   fy (required), since, rev
 *   plan.verify    rev, all_history (bool): the problems `keikaku verify` prints
 * Revisions are those of kk_rev_resolve(); "fy" takes what kk_fy_parse()
 * does, as a string or a number; "since" and "until" a date (YYYY-MM-DD)
 * or a revision.
 */
#ifndef KK_QUERY_H
#define KK_QUERY_H

#include <jansson.h>

#include "budget.h"
#include "common.h"
#include "store.h"

/*
 * What a caller that asks many queries of one store keeps between them: HEAD's history,
 * used again while HEAD does not move instead of being read again.  Used by one thread
 * at a time, with one store.  Free with kk_query_memo_free() (accepts NULL).  Results
 * may share values with the documents a memo keeps: another thread may write and free
 * them while the memo serves the next query, as jansson's reference counts are atomic
 * (JANSSON_THREAD_SAFE_REFCOUNT), but no one may modify them.
 */
typedef struct kk_query_memo kk_query_memo;
kk_query_memo *kk_query_memo_new(void);
void kk_query_memo_free(kk_query_memo *memo);

typedef struct kk_query_env {
	int utc_offset;	     /* minutes east of UTC that dates are meant in */
	int use_cache;	     /* keep the history index in the repository's git directory */
	kk_query_memo *memo; /* NULL, or HEAD's history kept between queries */
	kk_budget *budget;   /* NULL, or the time a query may take: past it, KK_ETIMEOUT */
} kk_query_env;

/* Tells whether `method` is one of the queries above. */
int kk_query_handles(const char *method);

/*
 * Answers `method` with `params` (an object, or NULL for none) on `store`.
 * *out is a new reference to the result.  Fails with KK_EINVALID for bad
 * parameters (the message names the parameter), KK_ENOTFOUND for an
 * unknown revision or item, KK_ETIMEOUT past `env`'s budget, KK_EIO or
 * KK_ENOMEM.
 */
int kk_query_run(json_t **out, kk_store *store, const char *method, const json_t *params,
		 const kk_query_env *env, kk_diag *diag);

/*
 * The plan file `path` (e.g. "items/0026.json") at commit `rev`, parsed: a
 * new reference, not to be modified.  With `env`'s memo, a commit on HEAD's
 * chain gives it from the history index and the memo's parsed versions,
 * without reading the commit's trees (on a plan of 10,000 items, reading a
 * 400 KiB items/ tree); otherwise it is read from the commit.  Fails as
 * kk_store_read() does (KK_ENOTFOUND for a file the commit does not hold),
 * or with KK_EINVALID when the file does not parse.
 */
int kk_query_document(json_t **out, kk_store *store, const git_oid *rev, const char *path,
		      const kk_query_env *env, kk_diag *diag);

/*
 * kk_rev_resolve() of `rev` with the dates of `env` and HEAD's history:
 * `env`'s memo's, or, with `env->use_cache`, read from its index in the
 * repository.  A commit of HEAD's chain is then known to be a revision
 * without a walk of the history.
 */
int kk_query_resolve(git_oid *out, kk_store *store, const char *rev, const kk_query_env *env,
		     kk_diag *diag);

#endif
