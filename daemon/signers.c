/*
 * signers.c - keikakud's signing key against the plan's allowed signers
 * file (signers.h).  At start the key must be one the file allows now; a
 * new deployment's key, which the file does not list yet, is added by a
 * commit of its own before any write is served, so that every clone can
 * check the commits that follow with stock git and nothing else.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "fileset.h"
#include "i18n.h"
#include "log.h"
#include "plan.h"
#include "signers.h"
#include "update.h"
#include "writer.h"

/* Minutes east of UTC here, now: ssh-keygen reads times without "Z" in local time too. */
static int local_offset(time_t now)
{
	struct tm tm;

	return localtime_r(&now, &tm) ? (int)(tm.tm_gmtoff / 60) : 0;
}

int kd_signers_read(char **out, git_repository *repo, const git_oid *commit)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	int error = -1;

	*out = NULL;
	if (git_commit_lookup(&c, repo, commit) < 0 || git_commit_tree(&tree, c) < 0)
		goto done;
	if ((error = git_tree_entry_bypath(&entry, tree, KK_PATH_SIGNERS)) == GIT_ENOTFOUND) {
		error = 0;
		goto done;
	}
	if (error < 0 || git_blob_lookup(&blob, repo, git_tree_entry_id(entry)) < 0) {
		error = -1;
		goto done;
	}
	if (!(*out = strndup(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob))))
		error = -1;
done:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(c);
	return error;
}

int kd_signers_param(kk_update_file *out, kd_writer *w, kd_call *call, const git_oid *base,
		     const json_t *value, json_t *keep)
{
	char *text = NULL;
	json_t *t;

	if (!json_is_string(value))
		return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
				    "invalid params: '%s' takes the file's whole new text, a string",
				    KK_PATH_SIGNERS);
	if (kd_signers_read(&text, w->repo, base) < 0)
		return kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "cannot read the base commit");
	t = text ? json_string(text) : json_null();
	free(text);
	if (!t || json_array_append_new(keep, t) < 0)
		return kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "cannot read the base commit");
	*out = (kk_update_file){.path = KK_PATH_SIGNERS,
				.text = json_string_value(value),
				.base_text = json_string_value(t)};
	return 0;
}

int kd_signers_check_text(const char *path, const char *text, size_t len, void *ctx,
			  kk_diag *diag)
{
	const kk_sshkey *key = ctx;
	const kk_signer *line = NULL;
	kk_signers signers = {0};
	kk_diag why = {0};
	time_t now = time(NULL);
	int error;

	if ((error = kk_signers_parse(&signers, text, len, path, local_offset(now), diag)) < 0)
		return error;
	if (key && kk_signers_check(&line, &signers, kk_sshkey_public(key), KK_SSHSIG_GIT,
				    (int64_t)now, &why) != KK_SIGNER_ALLOWED)
		error = kk_diag_set(diag, KK_EINVALID,
				    _("keikakud signs with key %s, which this change does not allow "
				      "to sign now (%s): start keikakud with a new key first, then "
				      "retire the old one"),
				    kk_sshkey_fingerprint(key), why.message);
	kk_signers_clear(&signers);
	return error;
}

/* "Name <login@domain>" of the repository's owner: the passwd entry's name, else its login. */
static int owner_signature(git_signature **out, uid_t owner, const char *domain)
{
	struct passwd *pw = getpwuid(owner);
	char login[64], name[256], email[512];

	if (pw) {
		snprintf(login, sizeof(login), "%s", pw->pw_name);
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(pw->pw_gecos, ","),
			 pw->pw_gecos);
	} else {
		snprintf(login, sizeof(login), "uid%ld", (long)owner);
		name[0] = '\0';
	}
	if (!name[0])
		snprintf(name, sizeof(name), "%s", login);
	snprintf(email, sizeof(email), "%s@%s", login, domain);
	return git_signature_now(out, name, email);
}

/* The file with `key`'s line added: "keikakud@DOMAIN namespaces="git",valid-after=… KEY". */
static char *add_line(const char *old, const kk_sshkey *key, const char *domain, time_t now)
{
	kk_buf b = {0};
	struct tm tm;
	char day[16];

	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	if (old) {
		kk_buf_puts(&b, old);
		if (*old && old[strlen(old) - 1] != '\n')
			kk_buf_puts(&b, "\n");
	} else {
		kk_buf_puts(&b, "# Who may sign this plan's commits and tags: git's allowed signers\n"
				"# file (gpg.ssh.allowedSignersFile).  Changed by an admin, with a\n"
				"# reason; see Keikaku's docs/signing.md.\n");
	}
	kk_buf_printf(&b, "keikakud@%s namespaces=\"git\",valid-after=\"%sZ\" %s\n", domain, day,
		      kk_sshkey_authorized_key(key));
	if (b.failed) {
		kk_buf_clear(&b);
		return NULL;
	}
	return b.data;
}

/* Commits `text` as the allowed signers file on `head`, signed with `key`; moves main. */
static int commit_signers(git_repository *repo, const git_oid *head, const char *text,
			  uid_t owner, const kk_sshkey *key, const char *domain)
{
	git_commit *parent = NULL;
	git_tree *tree = NULL, *new_tree = NULL;
	git_treebuilder *tb = NULL;
	git_signature *author = NULL, *committer = NULL;
	git_reference *ref = NULL;
	git_buf raw = {0};
	git_oid blob, tree_id, made;
	git_odb *odb = NULL;
	kk_fileset files = {0};
	kk_diag diag = {0};
	char reason[256], committer_email[512], *message = NULL, *sig = NULL;
	size_t sig_len = 0;
	int error = -1;

	snprintf(reason, sizeof(reason),
		 "keikakud を署名鍵 %s で起動しました。この鍵は %s になかったため、追加します。",
		 kk_sshkey_fingerprint(key), KK_PATH_SIGNERS);
	snprintf(committer_email, sizeof(committer_email), "keikakud@%s", domain);
	if (kk_fileset_put(&files, KK_PATH_SIGNERS, text, strlen(text), &diag) < 0 ||
	    !(message = kk_commit_message(&(kk_commit_info){
		      .summary = KK_PATH_SIGNERS " に keikakud の署名鍵を追加",
		      .reason = reason,
		      .files = &files,
	      }))) {
		log_error("cannot start: out of memory");
		goto done;
	}
	if (git_commit_lookup(&parent, repo, head) < 0 || git_commit_tree(&tree, parent) < 0 ||
	    git_blob_create_from_buffer(&blob, repo, text, strlen(text)) < 0 ||
	    git_treebuilder_new(&tb, repo, tree) < 0 ||
	    git_treebuilder_insert(NULL, tb, KK_PATH_SIGNERS, &blob, GIT_FILEMODE_BLOB) < 0 ||
	    git_treebuilder_write(&tree_id, tb) < 0 ||
	    git_tree_lookup(&new_tree, repo, &tree_id) < 0 ||
	    owner_signature(&author, owner, domain) < 0 ||
	    git_signature_now(&committer, "keikakud", committer_email) < 0 ||
	    git_commit_create_buffer(&raw, repo, author, committer, NULL, message, new_tree, 1,
				     (const git_commit *[]){parent}) < 0) {
		log_error("cannot start: cannot make the commit that adds the key to %s: %s",
			  KK_PATH_SIGNERS, kd_git_message());
		goto done;
	}
	if (kk_sshsig_sign_commit(&sig, &sig_len, key, raw.ptr, raw.size, &diag) < 0) {
		log_error("cannot start: cannot sign the commit that adds the key to %s: %s",
			  KK_PATH_SIGNERS, diag.message);
		goto done;
	}
	/* Loose objects, synced (GIT_OPT_ENABLE_FSYNC_GITDIR); then main, by compare-and-swap. */
	if (git_repository_odb(&odb, repo) < 0 ||
	    git_odb_write(&made, odb, sig, sig_len, GIT_OBJECT_COMMIT) < 0 ||
	    git_reference_create_matching(&ref, repo, KD_MAIN_REF, &made, 1, head,
					  "keikakud: add its signing key") < 0) {
		log_error("cannot start: cannot store the commit that adds the key to %s: %s",
			  KK_PATH_SIGNERS, kd_git_message());
		goto done;
	}
	log_info("added signing key %s to %s in commit %s", kk_sshkey_fingerprint(key),
		 KK_PATH_SIGNERS, git_oid_tostr_s(&made));
	error = 0;
done:
	git_reference_free(ref);
	git_odb_free(odb);
	free(sig);
	git_buf_dispose(&raw);
	git_signature_free(author);
	git_signature_free(committer);
	git_tree_free(new_tree);
	git_treebuilder_free(tb);
	git_tree_free(tree);
	git_commit_free(parent);
	kk_fileset_clear(&files);
	free(message);
	return error;
}

int kd_signers_start(const char *repo_path, uid_t owner, const kk_sshkey *key,
		     const char *email_domain)
{
	git_repository *repo = NULL;
	git_oid head;
	kk_signers signers = {0};
	const kk_signer *line = NULL;
	kk_diag diag = {0};
	char *text = NULL, *next = NULL;
	time_t now = time(NULL);
	int error = -1;

	if (git_repository_open_bare(&repo, repo_path) < 0 ||
	    git_reference_name_to_id(&head, repo, KD_MAIN_REF) < 0 ||
	    kd_signers_read(&text, repo, &head) < 0) {
		log_error("cannot start: cannot read %s of '%s': %s", KK_PATH_SIGNERS, repo_path,
			  kd_git_message());
		goto done;
	}
	if (text && kk_signers_parse(&signers, text, strlen(text), KK_PATH_SIGNERS,
				     local_offset(now), &diag) < 0) {
		log_error("cannot start: %s, line %zu, column %zu: %s: have an admin correct it",
			  KK_PATH_SIGNERS, diag.line, diag.column, diag.message);
		goto done;
	}
	switch (text ? kk_signers_check(&line, &signers, kk_sshkey_public(key), KK_SSHSIG_GIT,
					(int64_t)now, &diag)
		     : KK_SIGNER_UNKNOWN) {
	case KK_SIGNER_ALLOWED:
		log_info("%s allows signing key %s (line %zu)", KK_PATH_SIGNERS,
			 kk_sshkey_fingerprint(key), line->line);
		error = 0;
		break;
	case KK_SIGNER_UNKNOWN:
		if (!(next = add_line(text, key, email_domain, now)))
			log_error("cannot start: out of memory");
		else
			error = commit_signers(repo, &head, next, owner, key, email_domain);
		break;
	default:
		log_error("cannot start: the signing key may not sign now: %s: start keikakud "
			  "with a key %s allows, or have an admin change the file",
			  diag.message, KK_PATH_SIGNERS);
		break;
	}
done:
	kk_signers_clear(&signers);
	free(text);
	free(next);
	git_repository_free(repo);
	return error;
}
