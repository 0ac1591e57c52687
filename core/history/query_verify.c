/*
 * query_verify.c - plan.verify as a query (query.h): the plan's files at a
 * revision or at every commit up to it, the changes to closed fiscal
 * years, the published ids of tags and the signatures.
 */
#include "query_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "signatures.h"
#include "verify.h"

/* Appends `problems` to `list` as objects; `commit` (may be NULL) is where each was found. */
static int add_problems(json_t *list, const kk_diaglist *problems, const git_oid *commit,
			kk_diag *diag)
{
	for (size_t i = 0; i < problems->count; i++) {
		const kk_diag *d = &problems->items[i];
		json_t *p = json_pack("{s:s, s:s, s:s}", "path", d->path, "pointer", d->pointer,
				      "message", d->message);

		if (p && commit &&
		    json_object_set_new(p, "commit", json_string(git_oid_tostr_s(commit))) < 0) {
			json_decref(p);
			p = NULL;
		}
		if (json_array_append_new(list, p) < 0)
			return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	}
	return 0;
}

/* Checks the plan at `commit` with `v`; appends its problems to `list`. */
static int verify_tree(kk_verifier *v, query *q, const git_oid *commit, int only_new, json_t *list,
		       size_t *files_out, kk_diag *diag)
{
	kk_fileset files = {0};
	kk_diaglist problems = {0};
	int error;

	if ((error = kk_store_read_all(&files, q->store, commit, diag)) == 0 &&
	    (error = kk_verifier_check(v, &files, only_new, &problems, diag)) == 0)
		error = add_problems(list, &problems, only_new ? commit : NULL, diag);
	*files_out = files.count;
	kk_diaglist_clear(&problems);
	kk_fileset_clear(&files);
	return error;
}

/* Every commit reachable from `tip`, oldest first, checked with `v`. */
static int verify_history(kk_verifier *v, query *q, json_t *list, size_t *commits_out,
			  kk_diag *diag)
{
	git_revwalk *walk = NULL;
	git_oid oid;
	size_t files;
	int error = 0, walked;

	/* Oldest first, so that each problem is reported where it was introduced. */
	if (git_revwalk_new(&walk, kk_store_repository(q->store)) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_push(walk, &q->rev) < 0) {
		git_revwalk_free(walk);
		return kk_diag_set(diag, KK_EIO, _("cannot walk the history"));
	}
	while ((walked = git_revwalk_next(&oid, walk)) == 0) {
		if ((error = kk_budget_check(q->budget, diag)) < 0 ||
		    (error = verify_tree(v, q, &oid, 1, list, &files, diag)) < 0)
			break;
		(*commits_out)++;
	}
	if (error == 0 && walked != GIT_ITEROVER)
		error = kk_diag_set(diag, KK_EIO, _("cannot walk the history"));
	git_revwalk_free(walk);
	return error;
}

/* Adds a problem of tag `name` (no commit: the tag is the problem) to `list`. */
static int tag_problem(json_t *list, const char *name, kk_diag *diag, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int tag_problem(json_t *list, const char *name, kk_diag *diag, const char *fmt, ...)
{
	char path[KK_DIAG_PATH_MAX], message[KK_DIAG_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "refs/tags/%s", name);
	if (json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "path", path, "pointer", "",
						  "message", message)) < 0)
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	return 0;
}

/*
 * The `tags` of plan.verify, {"fy2021": ID}: each tag is the object a
 * published id names (ID, or at least 7 of its first hexadecimal digits).
 */
static int verify_tags(query *q, json_t *list, kk_diag *diag)
{
	const json_t *tags = json_object_get(q->params, "tags"), *v;
	git_repository *repo = kk_store_repository(q->store);
	const char *name;
	int error;

	if (!tags || json_is_null(tags))
		return 0;
	if (!json_is_object(tags))
		return kk_query_bad_param(diag, "tags", _("expected an object of tag names and object ids"));
	json_object_foreach((json_t *)tags, name, v) {
		const char *want = json_string_value(v);
		char ref[256], hex[GIT_OID_HEXSZ + 1];
		size_t n = want ? strlen(want) : 0;
		git_oid oid;

		if (!want || n < 7 || n > GIT_OID_HEXSZ || strspn(want, "0123456789abcdef") != n)
			return kk_query_bad_param(diag, "tags",
					 _("expected an object id of 7 to 40 lower-case "
					   "hexadecimal digits"));
		if (snprintf(ref, sizeof(ref), "refs/tags/%s", name) >= (int)sizeof(ref) ||
		    git_reference_is_valid_name(ref) != 1)
			return kk_query_bad_param(diag, "tags", _("expected a tag name"));
		if ((error = git_reference_name_to_id(&oid, repo, ref)) == GIT_ENOTFOUND) {
			if ((error = tag_problem(list, name, diag, _("there is no tag '%s'"),
						 name)) < 0)
				return error;
			continue;
		}
		if (error < 0)
			return kk_diag_git(diag, KK_EIO, _("cannot read the tags"));
		git_oid_tostr(hex, sizeof(hex), &oid);
		if (strncmp(hex, want, n) != 0 &&
		    (error = tag_problem(list, name, diag,
					 _("tag '%s' is %s, not the published %s: the tag or its "
					   "history was changed"),
					 name, hex, want)) < 0)
			return error;
	}
	return 0;
}

/*
 * plan.verify: every file of the plan at `rev` (or, with `all_history`,
 * of every commit up to it), every change to a closed fiscal year, the
 * published ids of `tags`, and with `signatures` every signature since
 * signing began (signatures.h).
 */
int kk_query_verify(json_t **out, query *q, kk_diag *diag)
{
	kk_verifier *v = NULL;
	kk_diaglist closed = {0};
	kk_signatures_summary sigs = {0};
	json_t *list = json_array(), *result = NULL;
	size_t files = 0, commits = 0;
	int all, signatures, error;

	if (!list)
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	if ((error = kk_query_param_bool(&all, q, "all_history", diag)) < 0 ||
	    (error = kk_query_param_bool(&signatures, q, "signatures", diag)) < 0)
		goto done;
	if (kk_verifier_new(&v) < 0) {
		error = kk_diag_set(diag, KK_ENOMEM, _("cannot set up the schema validator"));
		goto done;
	}
	kk_verifier_check_text(v, kk_signatures_check_text, &q->rev_opts.utc_offset);
	if ((error = all ? verify_history(v, q, list, &commits, diag)
			 : verify_tree(v, q, &q->rev, 0, list, &files, diag)) < 0 ||
	    (error = kk_history_check_closed(q->history, &closed, diag)) < 0 ||
	    (error = add_problems(list, &closed, NULL, diag)) < 0 ||
	    (error = verify_tags(q, list, diag)) < 0 ||
	    (signatures && (error = kk_signatures_check(list, &sigs, q->store, &q->rev,
						       q->rev_opts.utc_offset, diag)) < 0))
		goto done;
	result = all ? json_pack("{s:I, s:O}", "commits", (json_int_t)commits, "problems", list)
		     : json_pack("{s:I, s:O}", "files", (json_int_t)files, "problems", list);
	if (result && signatures &&
	    json_object_set_new(result, "signatures",
				json_pack("{s:o, s:I, s:I}", "since",
					  sigs.began ? json_string(git_oid_tostr_s(&sigs.since))
						     : json_null(),
					  "commits", (json_int_t)sigs.commits, "tags",
					  (json_int_t)sigs.tags)) < 0) {
		json_decref(result);
		result = NULL;
	}
	error = kk_query_with_commit(out, result, &q->rev, diag);
done:
	kk_diaglist_clear(&closed);
	kk_verifier_free(v);
	json_decref(list);
	return error;
}
