/*
 * history_index.h - the inside of a kk_history, shared by history.c (the
 * index: building, reading, writing), history_query.c (the queries on it)
 * and history_lines.c (who wrote each line of a text).  Not a public
 * interface.
 */
#ifndef KK_HISTORY_INDEX_H
#define KK_HISTORY_INDEX_H

#include <stdint.h>

#include "history.h"

#define KK_HIST_NONE UINT32_MAX

typedef struct kk_hist_commit {
	git_oid oid;
	int64_t time; /* committer time */
	int32_t offset;
	uint32_t first; /* its changes are changes[first .. next commit's first) */
} kk_hist_commit;

typedef struct kk_hist_change {
	uint32_t path;	   /* index into paths */
	uint32_t prev;	   /* the previous change of the same path, or KK_HIST_NONE */
	uint32_t commit;   /* index into commits */
	git_oid blob;	   /* the new content; all zeros when the file was removed */
} kk_hist_change;

struct kk_history {
	kk_store *store;
	git_repository *repo;

	kk_hist_commit *commits;
	size_t ncommits, acommits;
	kk_hist_change *changes;
	size_t nchanges, achanges;
	char **paths;
	size_t npaths, apaths;

	size_t count;  /* commits[0 .. count) is the chain of the requested tip */
	size_t cached; /* commits that came from the index file */

	/* Lookups, built once the chain is complete. */
	uint32_t *oid_table; /* open addressing: commit index + 1, 0 for empty */
	size_t oid_slots;
	uint32_t *path_table; /* path index + 1, 0 for empty */
	size_t path_slots;
	uint32_t *last;	   /* per path: its last change within commits[0 .. count); a view's
			      is its base's: read it with kk_hist_last() */
	int is_view;	   /* everything is another history's (kk_history_view) */
	uint32_t end;	   /* a view's: the changes from here on are past its tip */
	kk_doccache *docs; /* parsed versions, not owned (kk_history_set_docs), or NULL */
	kk_budget *budget; /* the time the queries may take (kk_history_set_budget), or NULL */
	struct kk_hist_people *people; /* who made each commit, read when first asked for;
					  a view shares its base's */
};

/*
 * Who made each commit, and for which department (history_people.c): the author and
 * the Department trailer of every commit of the index, read from the commits when first
 * asked for and then known by commit index.
 */
typedef struct kk_hist_people kk_hist_people;
kk_hist_people *kk_hist_people_new(void);
void kk_hist_people_free(kk_hist_people *people);

/* Reads the commits of `h`'s chain not read yet, under `h`'s budget. */
int kk_hist_people_read(kk_history *h, kk_diag *diag);

/* Whether every commit of `h`'s chain is read. */
int kk_hist_people_complete(const kk_history *h);

/*
 * *out: for each commit of `h`'s index, 1 when it is on the chain, by `author` (a user
 * name, a full name or an e-mail, as the log matches them; NULL: anyone) and for
 * `department` (NULL: any, or none), else 0: an array the caller frees.  Reads the
 * commits not read yet.
 */
int kk_hist_people_select(uint8_t **out, kk_history *h, const char *author, const char *department,
			  kk_diag *diag);

/* Whether `who` (a user name, a full name or an e-mail) is the author `name` <`email`>. */
int kk_hist_author_is(const char *name, const char *email, const char *who);

/*
 * Hands what `from` has read on to `to`, HEAD's next history, when `to` has the same
 * commits at the same places (HEAD moved forward); `from` is then to be freed.
 */
void kk_hist_people_carry(kk_history *to, kk_history *from);

/* The index of `oid` among the commits, or KK_HIST_NONE. */
uint32_t kk_hist_find_commit(const kk_history *h, const git_oid *oid);

/* The index of `path`, or KK_HIST_NONE when no commit ever changed it. */
uint32_t kk_hist_find_path(const kk_history *h, const char *path);

/*
 * The last change of path `p` (KK_HIST_NONE: none) in `h`: a view's is found back along
 * the path's links from its base's last, the changes past the view skipped.  A view costs
 * nothing to make and each path only as it is asked for; the changes of one path after
 * the view's tip are few, those of all paths many.
 */
static inline uint32_t kk_hist_last(const kk_history *h, uint32_t p)
{
	uint32_t c = p == KK_HIST_NONE ? KK_HIST_NONE : h->last[p];

	if (h->is_view)
		while (c != KK_HIST_NONE && c >= h->end)
			c = h->changes[c].prev;
	return c;
}

/* One past the last change of commit `i`. */
static inline uint32_t kk_hist_changes_end(const kk_history *h, size_t i)
{
	return i + 1 < h->ncommits ? h->commits[i + 1].first : (uint32_t)h->nchanges;
}

/*
 * The content of change `c` (NULL for a removal or KK_HIST_NONE), parsed; a
 * new reference, shared with the history's kk_doccache: not to be modified.
 * Fails with KK_EIO, or KK_EINVALID naming the file and the commit when it
 * does not parse (history_query.c).
 */
int kk_hist_version(json_t **out, kk_history *h, uint32_t c, kk_diag *diag);

static inline int kk_hist_is_removal(const kk_hist_change *c)
{
	return git_oid_is_zero(&c->blob);
}

/*
 * HEAD's history for a query (memo.c): `memo`'s when it has HEAD's, else read with
 * kk_history_open() and, with a memo, kept in it.  *kept tells whether the memo owns
 * *out (else the caller frees it).
 */
struct kk_query_memo;
int kk_query_memo_head(kk_history **out, int *kept, struct kk_query_memo *memo,
		       kk_store *store, const git_oid *head, int use_cache, kk_diag *diag);

#endif
