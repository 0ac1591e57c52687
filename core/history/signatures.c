/*
 * signatures.c - every commit and tag since signing began, checked as
 * stock git checks them (signatures.h): the commit's own bytes taken apart
 * into what was signed and the signature, the signature checked, and its
 * key against the tip's allowed signers file at the committer's time.
 */
#include "signatures.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "buf.h"
#include "i18n.h"
#include "plan.h"
#include "sshsig.h"

/* The checked commits, sorted once walked: a tag counts when it names one. */
typedef struct {
	git_oid *items;
	size_t count, alloc;
} oid_list;

static int oid_cmp(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

static int oom(kk_diag *diag)
{
	return kk_diag_set(diag, KK_ENOMEM, "%s", _("out of memory"));
}

/* kk_diag_git(): "cannot read object ID". */
static int git_failed(kk_diag *diag, const git_oid *oid)
{
	char what[128];

	snprintf(what, sizeof(what), _("cannot read object %s"), git_oid_tostr_s(oid));
	return kk_diag_git(diag, KK_EIO, what);
}

/* The kind of problem a key's verdict is. */
static const char *verdict_kind(enum kk_signer_verdict v)
{
	switch (v) {
	case KK_SIGNER_ALLOWED: break;
	case KK_SIGNER_UNKNOWN: return "unknown-key";
	case KK_SIGNER_NOT_YET_VALID: return "not-yet-valid";
	case KK_SIGNER_EXPIRED: return "expired";
	case KK_SIGNER_WRONG_NAMESPACE: return "wrong-namespace";
	}
	return NULL;
}

/*
 * Appends a problem: `who` ("commit" or "tag") `name`, and for a tag its
 * object id; `path` is the tag's ref, or the one given (NULL: "").
 */
static int add_problem(json_t *problems, const char *who, const char *name, const git_oid *tag,
		       const char *kind, const char *message, const char *file, kk_diag *diag)
{
	char path[KK_DIAG_PATH_MAX];
	json_t *p;

	snprintf(path, sizeof(path), "%s", file ? file : "");
	if (tag)
		snprintf(path, sizeof(path), "refs/tags/%s", name);
	p = json_pack("{s:s, s:s, s:s, s:s, s:s}", who, name, "path", path, "pointer", "",
		      "signature", kind, "message", message);
	if (p && tag && json_object_set_new(p, "object", json_string(git_oid_tostr_s(tag))) < 0) {
		json_decref(p);
		p = NULL;
	}
	return json_array_append_new(problems, p) < 0 ? oom(diag) : 0;
}

/*
 * Checks the signature on the object `raw` (`len` bytes; a commit, or a
 * tag when `tag` is its id) made at `when`; a problem when it is not good.
 */
static int check_object(json_t *problems, const kk_signers *signers, const char *who,
			const char *name, const git_oid *tag, const char *raw, size_t len,
			int64_t when, kk_diag *diag)
{
	kk_buf payload = {0}, sig = {0};
	kk_diag why = {0};
	kk_sshpub key;
	const kk_signer *line = NULL;
	enum kk_signer_verdict v;
	int error;

	error = tag ? kk_sshsig_split_tag(&payload, &sig, raw, len, &why)
		    : kk_sshsig_split_commit(&payload, &sig, raw, len, &why);
	if (error == KK_ENOTFOUND) {
		error = add_problem(problems, who, name, tag, "unsigned", _("not signed"), NULL,
				    diag);
		goto done;
	}
	if (error < 0) {
		error = oom(diag);
		goto done;
	}
	if ((error = kk_sshsig_verify(&key, sig.data, sig.len, KK_SSHSIG_GIT, payload.data,
				      payload.len, &why)) < 0) {
		if (error == KK_ENOMEM) {
			error = oom(diag);
			goto done;
		}
		error = add_problem(problems, who, name, tag, "bad-signature", why.message, NULL,
				    diag);
		goto done;
	}
	v = kk_signers_check(&line, signers, &key, KK_SSHSIG_GIT, when, &why);
	error = v == KK_SIGNER_ALLOWED
			? 0
			: add_problem(problems, who, name, tag, verdict_kind(v), why.message,
				      NULL, diag);
done:
	kk_buf_clear(&payload);
	kk_buf_clear(&sig);
	return error;
}

/* Reads the raw bytes of object `oid`; free *obj with git_odb_object_free(). */
static int read_raw(git_odb_object **obj, git_repository *repo, const git_oid *oid, kk_diag *diag)
{
	git_odb *odb = NULL;
	int error = 0;

	if (git_repository_odb(&odb, repo) < 0 || git_odb_read(obj, odb, oid) < 0)
		error = git_failed(diag, oid);
	git_odb_free(odb);
	return error;
}

/* Whether `commit`'s tree has the allowed signers file: 1, 0, or a negative code. */
static int has_signers(git_repository *repo, const git_oid *commit, git_oid *parent,
		       int *has_parent, kk_diag *diag)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	int found;

	if (git_commit_lookup(&c, repo, commit) < 0 || git_commit_tree(&tree, c) < 0) {
		git_commit_free(c);
		return git_failed(diag, commit);
	}
	found = git_tree_entry_byname(tree, KK_PATH_SIGNERS) != NULL;
	if ((*has_parent = git_commit_parentcount(c) > 0))
		*parent = *git_commit_parent_id(c, 0);
	git_tree_free(tree);
	git_commit_free(c);
	return found;
}

/* The oldest commit of the first-parent chain from `tip` with the file: signing's start. */
static int find_start(git_oid *since, git_repository *repo, const git_oid *tip, kk_diag *diag)
{
	git_oid at = *tip, parent;
	int has_parent = 1, found;

	while (has_parent) {
		if ((found = has_signers(repo, &at, &parent, &has_parent, diag)) < 0)
			return found;
		if (found)
			*since = at;
		at = parent;
	}
	return 0;
}

/* Every commit from `since` to `tip`: all reachable from the tip that `since`'s parents are not. */
static int check_commits(json_t *problems, oid_list *seen, kk_signatures_summary *out,
			 git_repository *repo, const kk_signers *signers, const git_oid *tip,
			 kk_diag *diag)
{
	git_revwalk *walk = NULL;
	git_commit *start = NULL;
	git_oid oid;
	int error = 0, walked;

	/* Oldest first, as verify --all-history lists its problems. */
	if (git_revwalk_new(&walk, repo) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_push(walk, tip) < 0 ||
	    git_commit_lookup(&start, repo, &out->since) < 0) {
		error = kk_diag_git(diag, KK_EIO, _("cannot walk the history"));
		goto done;
	}
	for (unsigned i = 0; i < git_commit_parentcount(start); i++)
		if (git_revwalk_hide(walk, git_commit_parent_id(start, i)) < 0) {
			error = kk_diag_git(diag, KK_EIO, _("cannot walk the history"));
			goto done;
		}
	while ((walked = git_revwalk_next(&oid, walk)) == 0) {
		git_odb_object *obj = NULL;
		git_commit *c = NULL;

		if ((error = read_raw(&obj, repo, &oid, diag)) < 0)
			break;
		if (git_commit_lookup(&c, repo, &oid) < 0) {
			git_odb_object_free(obj);
			error = git_failed(diag, &oid);
			break;
		}
		error = check_object(problems, signers, "commit", git_oid_tostr_s(&oid), NULL,
				     git_odb_object_data(obj), git_odb_object_size(obj),
				     git_commit_committer(c)->when.time, diag);
		git_commit_free(c);
		git_odb_object_free(obj);
		if (error < 0)
			break;
		if (KK_ARRAY_GROW(seen->items, seen->count + 1, seen->alloc) < 0) {
			error = oom(diag);
			break;
		}
		seen->items[seen->count++] = oid;
		out->commits++;
	}
	if (error == 0 && walked != GIT_ITEROVER)
		error = kk_diag_git(diag, KK_EIO, _("cannot walk the history"));
done:
	git_commit_free(start);
	git_revwalk_free(walk);
	return error;
}

typedef struct {
	json_t *problems;
	const oid_list *seen;
	kk_signatures_summary *out;
	git_repository *repo;
	const kk_signers *signers;
	kk_diag *diag;
	int error;
} tag_walk;

/* A tag on a checked commit is checked too; a lightweight one there is unsigned. */
static int check_tag(const char *ref, git_oid *oid, void *payload)
{
	tag_walk *t = payload;
	const char *name = ref + strlen("refs/tags/");
	git_object *obj = NULL, *target = NULL;
	git_odb_object *raw = NULL;
	const git_oid *commit;
	int error = 0;

	if (git_object_lookup(&obj, t->repo, oid, GIT_OBJECT_ANY) < 0 ||
	    git_object_peel(&target, obj, GIT_OBJECT_COMMIT) < 0)
		goto done; /* not a commit's tag: not the plan's */
	commit = git_object_id(target);
	if (!bsearch(commit, t->seen->items, t->seen->count, sizeof(git_oid), oid_cmp))
		goto done;
	t->out->tags++;
	if (git_object_type(obj) != GIT_OBJECT_TAG) {
		error = add_problem(t->problems, "tag", name, oid, "unsigned",
				    _("not signed: a lightweight tag"), NULL, t->diag);
		goto done;
	}
	if ((error = read_raw(&raw, t->repo, oid, t->diag)) == 0) {
		const git_signature *tagger = git_tag_tagger((git_tag *)obj);

		error = check_object(t->problems, t->signers, "tag", name, oid,
				     git_odb_object_data(raw), git_odb_object_size(raw),
				     tagger ? tagger->when.time : 0, t->diag);
	}
done:
	git_odb_object_free(raw);
	git_object_free(target);
	git_object_free(obj);
	t->error = error;
	return error < 0 ? -1 : 0;
}

int kk_signatures_check_text(const char *path, const char *text, size_t len, void *ctx,
			     kk_diag *diag)
{
	kk_signers signers = {0};
	int error = kk_signers_parse(&signers, text, len, path, ctx ? *(int *)ctx : 0, diag);

	kk_signers_clear(&signers);
	return error;
}

int kk_signatures_check(json_t *problems, kk_signatures_summary *out, kk_store *store,
			const git_oid *tip, int offset, kk_diag *diag)
{
	git_repository *repo = kk_store_repository(store);
	kk_signers signers = {0};
	oid_list seen = {0};
	tag_walk t = {problems, &seen, out, repo, &signers, diag, 0};
	kk_diag why = {0};
	char *text = NULL, message[KK_DIAG_MESSAGE_MAX + 64];
	size_t len = 0;
	int error;

	*out = (kk_signatures_summary){0};
	if ((error = kk_store_read(&text, &len, store, tip, KK_PATH_SIGNERS, &why)) == KK_ENOTFOUND) {
		snprintf(message, sizeof(message),
			 _("there is no allowed signers file '%s': nothing can be checked"),
			 KK_PATH_SIGNERS);
		error = add_problem(problems, "commit", git_oid_tostr_s(tip), NULL, "no-signers",
				    message, KK_PATH_SIGNERS, diag);
		goto done;
	}
	if (error < 0) {
		*diag = why;
		goto done;
	}
	if ((error = kk_signers_parse(&signers, text, len, KK_PATH_SIGNERS, offset, &why)) < 0) {
		if (error == KK_ENOMEM) {
			error = oom(diag);
			goto done;
		}
		snprintf(message, sizeof(message), _("line %zu, column %zu: %s"), why.line,
			 why.column, why.message);
		error = add_problem(problems, "commit", git_oid_tostr_s(tip), NULL, "bad-signers",
				    message, KK_PATH_SIGNERS, diag);
		goto done;
	}
	out->began = 1;
	if ((error = find_start(&out->since, repo, tip, diag)) < 0 ||
	    (error = check_commits(problems, &seen, out, repo, &signers, tip, diag)) < 0)
		goto done;
	qsort(seen.items, seen.count, sizeof(git_oid), oid_cmp);
	if (git_tag_foreach(repo, check_tag, &t) < 0 && t.error == 0)
		error = kk_diag_git(diag, KK_EIO, _("cannot read the tags"));
	else
		error = t.error;
done:
	free(seen.items);
	kk_signers_clear(&signers);
	free(text);
	return error;
}
