/*
 * revision.c - resolving what a person names as a revision (revision.h):
 * git's names, "@YYYY-MM-DD" (the end of that day) and "fyYYYY" (the
 * year's close tag, else the end of the fiscal year), through the history
 * index so that a day costs no walk of the history.
 */
#include "revision.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "dates.h"
#include "history_index.h"
#include "i18n.h"
#include "json.h"
#include "plan.h"

int kk_rev_fiscal_year(const char *text)
{
	if (!text || (text[0] != 'f' && text[0] != 'F') || (text[1] != 'y' && text[1] != 'Y') ||
	    strlen(text) != 6)
		return 0;
	for (int i = 2; i < 6; i++)
		if (!isdigit((unsigned char)text[i]))
			return 0;
	return atoi(text + 2);
}

/* The commit that the history of HEAD had at `when`. */
static int at_time(git_oid *out, kk_store *store, int64_t when, const kk_rev_opts *opts,
		   const char *rev, kk_diag *diag)
{
	kk_history *own = NULL;
	git_oid head;
	int error;

	if (!opts->history) {
		if ((error = kk_store_resolve(&head, store, NULL, diag)) < 0 ||
		    (error = kk_history_open(&own, store, &head, 1, diag)) < 0)
			return error;
	}
	error = kk_history_at_time(out, opts->history ? opts->history : own, when, NULL);
	kk_history_free(own);
	if (error < 0)
		return kk_diag_set(diag, KK_ENOTFOUND, _("no commit at or before '%s'"), rev);
	return 0;
}

/* The last second of fiscal year `year`, by keikaku.json at HEAD. */
static int fiscal_year_end(int64_t *out, kk_store *store, int year, int offset, kk_diag *diag)
{
	char *data = NULL;
	size_t len = 0;
	json_t *settings = NULL;
	int month = 4, day = 1, error;
	git_oid head;

	if ((error = kk_store_resolve(&head, store, NULL, diag)) < 0)
		return error;
	if (kk_store_read(&data, &len, store, &head, KK_PATH_SETTINGS, NULL) == 0 &&
	    kk_json_parse(&settings, data, len, NULL, NULL) == 0) {
		const char *start =
			json_string_value(json_object_get(settings, "fiscal_year_start"));

		if (start && sscanf(start, "%2d-%2d", &month, &day) != 2)
			month = 4, day = 1;
	}
	json_decref(settings);
	free(data);
	*out = kk_time_of_day(year + 1, month, day, offset) - 1;
	return 0;
}

/* Adds every branch's and tag's commit to `tips`; tags of other objects are no tips. */
static int collect_tips(git_oid **tips, size_t *count, size_t *alloc, git_repository *repo,
			const char *glob)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int error = 0;

	if (git_reference_iterator_glob_new(&it, repo, glob) < 0)
		return -1;
	while (error == 0 && git_reference_next(&ref, it) == 0) {
		git_object *commit = NULL;

		if (git_reference_peel(&commit, ref, GIT_OBJECT_COMMIT) == 0) {
			if (KK_ARRAY_GROW(*tips, *count + 1, *alloc) < 0)
				error = -1;
			else
				(*tips)[(*count)++] = *git_object_id(commit);
		}
		git_object_free(commit);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	return error;
}

/*
 * Whether `commit` is on the chain of the tip `h` was opened at: the index read from the
 * repository may hold more commits than that chain (those of another tip it was once
 * opened at), which are no part of HEAD's history.
 */
static int on_chain(const kk_history *h, const git_oid *commit)
{
	uint32_t at = kk_hist_find_commit(h, commit);

	return at != KK_HIST_NONE && at < h->count;
}

/*
 * Whether `commit` is on a branch or tag other than by HEAD's ancestry: what
 * the other tips hold that HEAD does not, walked from the tips that are not
 * on HEAD's chain (none, in a plan keikakud alone writes: no walk at all).
 */
static int off_chain(git_repository *repo, const kk_history *h, const git_oid *commit,
		     const git_oid *tips, size_t count)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int found = 0, pushed = 0, error = GIT_ITEROVER;

	if (git_revwalk_new(&walk, repo) < 0)
		return -1;
	for (size_t i = 0; i < count; i++)
		if (!on_chain(h, &tips[i])) {
			if (git_revwalk_push(walk, &tips[i]) < 0)
				goto fail;
			pushed = 1;
		}
	if (pushed && h->count && git_revwalk_hide(walk, &h->commits[h->count - 1].oid) < 0)
		goto fail;
	while (pushed && !found && (error = git_revwalk_next(&id, walk)) == 0)
		found = git_oid_equal(&id, commit);
	if (pushed && !found && error != GIT_ITEROVER)
		goto fail;
	git_revwalk_free(walk);
	return found;
fail:
	git_revwalk_free(walk);
	return -1;
}

/*
 * Only a commit that a branch or a tag holds is a revision: git serves a
 * clone no other, and one left unreferenced (amended away, a deleted
 * branch's, in a reflog only) may hold what was meant to be gone.  With
 * HEAD's history, HEAD's first-parent chain is known at once, and only
 * what other branches and tags hold besides is walked; without it, a walk
 * back from every branch and tag decides.
 */
static int referenced(kk_store *store, const git_oid *commit, const char *rev,
		      const kk_rev_opts *opts, kk_diag *diag)
{
	git_repository *repo = kk_store_repository(store);
	git_oid *tips = NULL;
	size_t count = 0, alloc = 0;
	int found = 0;

	if (opts->history && on_chain(opts->history, commit))
		return 0;
	if (collect_tips(&tips, &count, &alloc, repo, "refs/heads/*") < 0 ||
	    collect_tips(&tips, &count, &alloc, repo, "refs/tags/*") < 0) {
		free(tips);
		return kk_diag_git(diag, KK_EIO, _("cannot read the history"));
	}
	for (size_t i = 0; i < count && !found; i++)
		found = git_oid_equal(&tips[i], commit);
	if (!found && count)
		found = opts->history ? off_chain(repo, opts->history, commit, tips, count)
				      : git_graph_reachable_from_any(repo, commit, tips, count);
	free(tips);
	if (found < 0)
		return kk_diag_git(diag, KK_EIO, _("cannot read the history"));
	return found ? 0 : kk_diag_set(diag, KK_ENOTFOUND, _("unknown revision '%s'"), rev);
}

int kk_rev_resolve(git_oid *out, kk_store *store, const char *rev, const kk_rev_opts *opts,
		   kk_diag *diag)
{
	static const kk_rev_opts defaults;
	int year, error;

	if (!opts)
		opts = &defaults;
	if (rev && rev[0] == '@' && rev[1]) {
		int64_t when;

		if ((error = kk_time_parse_date(&when, rev + 1, opts->utc_offset, 1, diag)) < 0)
			return error;
		return at_time(out, store, when, opts, rev, diag);
	}
	if ((year = kk_rev_fiscal_year(rev)) != 0) {
		char tag[32];
		int64_t when;

		snprintf(tag, sizeof(tag), "refs/tags/fy%04d", year);
		if (kk_store_resolve(out, store, tag, NULL) == 0)
			return 0;
		if ((error = fiscal_year_end(&when, store, year, opts->utc_offset, diag)) < 0)
			return error;
		return at_time(out, store, when, opts, rev, diag);
	}
	if ((error = kk_store_resolve(out, store, rev, diag)) < 0 || !rev || !*rev)
		return error;
	return referenced(store, out, rev, opts, diag);
}

int kk_rev_bound(int64_t *time_out, git_oid *commit_out, kk_store *store, const char *rev, int end,
		 const kk_rev_opts *opts, kk_diag *diag)
{
	git_oid commit;
	git_commit *c = NULL;
	int error;

	if (rev && strlen(rev) == 10 && isdigit((unsigned char)rev[0]) && rev[4] == '-') {
		if ((error = kk_time_parse_date(time_out, rev, opts ? opts->utc_offset : 0, end,
						diag)) < 0)
			return error;
		return 0; /* a date: *commit_out is left alone */
	}
	if ((error = kk_rev_resolve(&commit, store, rev, opts, diag)) < 0)
		return error;
	/* The revision names a commit: failing to read it is no "unknown revision". */
	if (git_commit_lookup(&c, kk_store_repository(store), &commit) < 0)
		return kk_diag_git(diag, KK_EIO, _("cannot read commit"));
	*time_out = git_commit_time(c);
	git_commit_free(c);
	if (commit_out)
		*commit_out = commit;
	return 1;
}

int kk_rev_time(int64_t *out, kk_store *store, const char *rev, int end, const kk_rev_opts *opts,
		kk_diag *diag)
{
	int error = kk_rev_bound(out, NULL, store, rev, end, opts, diag);

	return error < 0 ? error : 0;
}
