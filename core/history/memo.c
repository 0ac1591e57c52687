/*
 * memo.c - what a caller of many queries keeps between them (query.h's kk_query_memo):
 * HEAD's history, read once for as long as HEAD stays where it was, and the versions
 * of files its queries parsed, kept by blob id whatever HEAD does; and a plan file at a
 * revision from them (kk_query_document).
 */
#include <stdlib.h>

#include "history.h"
#include "history_index.h"
#include "json.h"
#include "query.h"
#include "revision.h"

/*
 * The files' bytes whose parses a memo keeps: an item's versions are a few KiB, and its
 * page asks for each of them again at every revision; parsed, they take several times
 * their size.
 */
#define KK_MEMO_DOC_BYTES ((size_t)1 << 20)

struct kk_query_memo {
	git_oid head;
	kk_history *history; /* HEAD's, or NULL */
	kk_doccache *docs;
};

kk_query_memo *kk_query_memo_new(void)
{
	kk_query_memo *memo = calloc(1, sizeof(kk_query_memo));

	if (memo && kk_doccache_new(&memo->docs, KK_MEMO_DOC_BYTES) < 0) {
		free(memo);
		return NULL;
	}
	return memo;
}

void kk_query_memo_free(kk_query_memo *memo)
{
	if (memo) {
		kk_history_free(memo->history);
		kk_doccache_free(memo->docs);
	}
	free(memo);
}

int kk_query_memo_head(kk_history **out, int *kept, kk_query_memo *memo, kk_store *store,
		       const git_oid *head, int use_cache, kk_diag *diag)
{
	kk_history *h;
	int error;

	*kept = 0;
	if (memo && memo->history && git_oid_equal(&memo->head, head)) {
		*out = memo->history;
		*kept = 1;
		return 0;
	}
	if ((error = kk_history_open(&h, store, head, use_cache, diag)) < 0)
		return error;
	if (memo) {
		if (memo->history)
			kk_hist_people_carry(h, memo->history);
		kk_history_free(memo->history);
		kk_history_set_docs(h, memo->docs);
		memo->history = h;
		memo->head = *head;
		*kept = 1;
	}
	*out = h;
	return 0;
}

int kk_query_document(json_t **out, kk_store *store, const git_oid *rev, const char *path,
		      const kk_query_env *env, kk_diag *diag)
{
	kk_history *head = NULL, *view = NULL;
	git_oid head_id;
	uint32_t p, c = KK_HIST_NONE;
	char *data = NULL;
	size_t len = 0;
	int kept, error;

	*out = NULL;
	/* Anything but a file the index knows at `rev` is read as before, errors and all. */
	if (env && env->memo && kk_store_resolve(&head_id, store, NULL, NULL) == 0 &&
	    kk_query_memo_head(&head, &kept, env->memo, store, &head_id, env->use_cache, NULL) ==
		    0 &&
	    kk_history_view(&view, head, rev, NULL) == 0 &&
	    (p = kk_hist_find_path(view, path)) != KK_HIST_NONE)
		c = kk_hist_last(view, p);
	if (c != KK_HIST_NONE && !kk_hist_is_removal(&view->changes[c]))
		error = kk_hist_version(out, view, c, diag);
	else if ((error = kk_store_read(&data, &len, store, rev, path, diag)) == 0)
		error = kk_json_parse(out, data, len, NULL, diag);
	free(data);
	kk_history_free(view);
	return error;
}

int kk_query_resolve(git_oid *out, kk_store *store, const char *rev, const kk_query_env *env,
		     kk_diag *diag)
{
	kk_rev_opts opts = {env ? env->utc_offset : 0, NULL};
	kk_history *opened = NULL;
	git_oid head;
	int kept = 1, error;

	/*
	 * HEAD's history: the memo's, or its index read from the repository
	 * (without one to read, building it costs more than the walk it saves).
	 */
	if (env && (env->memo || env->use_cache) && rev && *rev &&
	    kk_store_resolve(&head, store, NULL, NULL) == 0 &&
	    kk_query_memo_head(&opts.history, &kept, env->memo, store, &head, env->use_cache,
			       NULL) < 0)
		opts.history = NULL;
	if (!kept)
		opened = opts.history;
	error = kk_rev_resolve(out, store, rev, &opts, diag);
	kk_history_free(opened);
	return error;
}
