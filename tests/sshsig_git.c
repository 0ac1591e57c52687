/*
 * sshsig_git.c - a part of the test_sshsig program (tests/test_sshsig.c):
 * commits and tags signed by core/git/sshsig as git signs them, written into a
 * repository with libgit2 and checked by stock git (verify-commit,
 * verify-tag, log --show-signature), and what both refuse.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "sshsig.h"
#include "sshsig_internal.h"
#include "test_sshsig.h"

static git_repository *repo;
static git_oid tree_id;

static void open_repository(void)
{
	git_treebuilder *tb;

	if (repo)
		return;
	assert_int_equal(git_repository_init(&repo, at("repo"), 0), 0);
	assert_int_equal(git_treebuilder_new(&tb, repo, NULL), 0);
	assert_int_equal(git_treebuilder_write(&tree_id, tb), 0);
	git_treebuilder_free(tb);
}

/* The raw commit git_commit_create_buffer() makes, with fixed people and time. */
static void commit_buffer(git_buf *out, const char *message, const git_commit *parent)
{
	git_signature *sig;
	git_tree *tree;

	assert_int_equal(git_signature_new(&sig, "Keikaku", SIGNER, WHEN, 540), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_commit_create_buffer(out, repo, sig, sig, NULL, message, tree,
						  parent ? 1 : 0, parent ? &parent : NULL),
			 0);
	git_tree_free(tree);
	git_signature_free(sig);
}

/* Points `ref` at the object `oid`. */
static void set_ref(const char *ref, const git_oid *oid)
{
	git_reference *r;

	assert_int_equal(git_reference_create(&r, repo, ref, oid, 1, NULL), 0);
	git_reference_free(r);
}

/* Writes the raw object and points `ref` at it. */
static git_oid write_object(const char *data, size_t len, git_object_t type, const char *ref)
{
	git_odb *odb;
	git_oid oid;

	assert_int_equal(git_repository_odb(&odb, repo), 0);
	assert_int_equal(git_odb_write(&oid, odb, data, len, type), 0);
	git_odb_free(odb);
	set_ref(ref, &oid);
	return oid;
}

/* Signs a commit of `message` with `k` and stores it as `ref`; *signed_out keeps the bytes. */
static git_oid sign_and_store(char **signed_out, size_t *len_out, const kk_sshkey *k,
			      const char *message, const char *ref)
{
	git_buf buf = {0};
	char *signed_commit;
	size_t len;
	kk_diag diag = {0};
	git_oid oid;

	commit_buffer(&buf, message, NULL);
	assert_int_equal(kk_sshsig_sign_commit(&signed_commit, &len, k, buf.ptr, buf.size, &diag),
			 0);
	oid = write_object(signed_commit, len, GIT_OBJECT_COMMIT, ref);
	git_buf_dispose(&buf);
	if (signed_out) {
		*signed_out = signed_commit;
		*len_out = len;
	} else {
		free(signed_commit);
	}
	return oid;
}

/* What stock git prints for a good signature by `k`. */
static const char *good_line(const kk_sshkey *k, const char *principal)
{
	static char line[256];

	snprintf(line, sizeof(line), "Good \"git\" signature for %s with ED25519 key %s", principal,
		 kk_sshkey_fingerprint(k));
	return line;
}

/*
 * Checks a raw object as `keikaku verify --signatures` will: split, verify,
 * and the signer's key at `when` against the allowed signers `s`.
 */
static enum kk_signer_verdict check_object(const char *obj, size_t len, int tag,
					   const kk_signers *s, int *verify_error, kk_diag *diag)
{
	kk_buf payload = {0}, signature = {0};
	const kk_signer *line;
	kk_sshpub pub;
	enum kk_signer_verdict v = KK_SIGNER_UNKNOWN;

	assert_int_equal(tag ? kk_sshsig_split_tag(&payload, &signature, obj, len, diag)
			     : kk_sshsig_split_commit(&payload, &signature, obj, len, diag),
			 0);
	*verify_error = kk_sshsig_verify(&pub, signature.data, signature.len, KK_SSHSIG_GIT,
					 payload.data, payload.len, diag);
	if (*verify_error == 0)
		v = kk_signers_check(&line, s, &pub, KK_SSHSIG_GIT, WHEN, diag);
	kk_buf_clear(&payload);
	kk_buf_clear(&signature);
	return v;
}

void test_commit_verified_by_git(void **state)
{
	git_buf buf = {0}, libgit2_sig = {0};
	char *signed_commit, *sig, *out, *header;
	size_t len, sig_len;
	kk_buf payload = {0}, signature = {0};
	kk_diag diag = {0};
	kk_signers s = {0};
	git_oid oid, theirs;
	int error;

	open_repository();
	write_signers("allowed_signers",
		      SIGNER " namespaces=\"git\",valid-after=\"20240101Z\" %s\n", key_text(key));
	oid = sign_and_store(&signed_commit, &len, key, "fy2024: open\n", "refs/heads/main");
	assert_int_equal(git_repository_set_head(repo, "refs/heads/main"), 0);

	/* The header as git writes it: after the committer, its lines continued with a space. */
	assert_non_null(header =
				strstr(signed_commit, "\ngpgsig -----BEGIN SSH SIGNATURE-----\n "));
	assert_non_null(strstr(signed_commit, "\n -----END SSH SIGNATURE-----\n\nfy2024: open\n"));
	assert_true(header > strstr(signed_commit, "\ncommitter "));

	/* Taken apart again: the very commit that was signed, and its signature. */
	commit_buffer(&buf, "fy2024: open\n", NULL);
	assert_int_equal(kk_sshsig_split_commit(&payload, &signature, signed_commit, len, &diag),
			 0);
	assert_int_equal(payload.len, buf.size);
	assert_memory_equal(payload.data, buf.ptr, buf.size);
	assert_int_equal(kk_sshsig_sign(&sig, &sig_len, key, "git", buf.ptr, buf.size, &diag), 0);
	assert_string_equal(signature.data, sig);
	load_signers(&s, "allowed_signers");
	assert_int_equal(check_object(signed_commit, len, 0, &s, &error, &diag), KK_SIGNER_ALLOWED);
	assert_int_equal(error, 0);

	/* libgit2 puts the same signature in the same place: the same commit id. */
	assert_int_equal(git_buf_set(&libgit2_sig, sig, sig_len - 1), 0);
	assert_int_equal(
		git_commit_create_with_signature(&theirs, repo, buf.ptr, libgit2_sig.ptr, "gpgsig"),
		0);
	assert_true(git_oid_equal(&oid, &theirs));

	/* And stock git says it is good, and who made it. */
	assert_int_equal(run(&out, GIT "cat-file commit HEAD", dir, dir, dir, "allowed_signers"),
			 0);
	assert_string_equal(out, signed_commit);
	free(out);
	assert_int_equal(run(&out, GIT "verify-commit -v HEAD", dir, dir, dir, "allowed_signers"),
			 0);
	assert_non_null(strstr(out, good_line(key, SIGNER)));
	free(out);
	assert_int_equal(run(&out, GIT "log --show-signature --format='%%H %%s'", dir, dir, dir,
			     "allowed_signers"),
			 0);
	assert_non_null(strstr(out, good_line(key, SIGNER)));
	assert_non_null(strstr(out, " fy2024: open\n"));
	free(out);
	assert_int_equal(run(&out, GIT "fsck --strict", dir, dir, dir, "allowed_signers"), 0);
	free(out);

	/* Signed twice is refused. */
	assert_int_equal(kk_sshsig_sign_commit(&out, &sig_len, key, signed_commit, len, &diag),
			 KK_EEXISTS);
	assert_string_equal(diag.message, "the commit is signed already");
	/* An unsigned commit has nothing to split. */
	assert_int_equal(kk_sshsig_split_commit(&payload, &signature, buf.ptr, buf.size, &diag),
			 KK_ENOTFOUND);
	assert_string_equal(diag.message, "the commit is not signed");

	kk_signers_clear(&s);
	kk_buf_clear(&payload);
	kk_buf_clear(&signature);
	git_buf_dispose(&buf);
	git_buf_dispose(&libgit2_sig);
	free(signed_commit);
	free(sig);
}

/* A raw annotated tag of the commit `target`, as git tag -a writes it, with the message `message`.
 */
static char *tag_text(const git_oid *target, const char *name, const char *message)
{
	char *text, id[GIT_OID_HEXSZ + 1];

	git_oid_tostr(id, sizeof(id), target);
	assert_true(asprintf(&text,
			     "object %s\ntype commit\ntag %s\ntagger Keikaku <" SIGNER
			     "> %d +0900\n\n%s",
			     id, name, WHEN, message) >= 0);
	return text;
}

void test_tag_verified_by_git(void **state)
{
	char *tag, *signed_tag, *out;
	size_t len;
	kk_buf payload = {0}, signature = {0};
	kk_diag diag = {0};
	kk_signers s = {0};
	git_oid commit;
	int error;

	open_repository();
	write_signers("allowed_signers", SIGNER " namespaces=\"git\" %s\n", key_text(key));
	load_signers(&s, "allowed_signers");
	commit = sign_and_store(NULL, NULL, key, "fy2024: close\n", "refs/heads/close");

	/* The armored signature after the message, as git tag -s writes it. */
	tag = tag_text(&commit, "fy2024", "Fiscal year 2024, closed\n");
	assert_int_equal(kk_sshsig_sign_tag(&signed_tag, &len, key, tag, strlen(tag), &diag), 0);
	assert_true(strncmp(signed_tag, tag, strlen(tag)) == 0);
	assert_true(strncmp(signed_tag + strlen(tag), "-----BEGIN SSH SIGNATURE-----\n", 30) == 0);
	assert_int_equal(kk_sshsig_split_tag(&payload, &signature, signed_tag, len, &diag), 0);
	assert_string_equal(payload.data, tag);
	assert_string_equal(signature.data, signed_tag + strlen(tag));
	assert_int_equal(check_object(signed_tag, len, 1, &s, &error, &diag), KK_SIGNER_ALLOWED);
	write_object(signed_tag, len, GIT_OBJECT_TAG, "refs/tags/fy2024");
	assert_int_equal(run(&out, GIT "verify-tag -v fy2024", dir, dir, dir, "allowed_signers"),
			 0);
	assert_non_null(strstr(out, good_line(key, SIGNER)));
	free(out);
	free(tag);
	free(signed_tag);
	kk_buf_clear(&payload);
	kk_buf_clear(&signature);

	/* A message without its last newline gets one, and it is signed with the rest. */
	tag = tag_text(&commit, "fy2025", "Fiscal year 2025, closed");
	assert_int_equal(kk_sshsig_sign_tag(&signed_tag, &len, key, tag, strlen(tag), &diag), 0);
	assert_int_equal(kk_sshsig_split_tag(&payload, &signature, signed_tag, len, &diag), 0);
	assert_int_equal(payload.len, strlen(tag) + 1);
	assert_string_equal(payload.data + strlen(tag), "\n");
	write_object(signed_tag, len, GIT_OBJECT_TAG, "refs/tags/fy2025");
	assert_int_equal(run(&out, GIT "verify-tag fy2025", dir, dir, dir, "allowed_signers"), 0);
	free(out);
	kk_buf_clear(&payload);
	kk_buf_clear(&signature);

	/* An unsigned tag has nothing to split. */
	assert_int_equal(kk_sshsig_split_tag(&payload, &signature, tag, strlen(tag), &diag),
			 KK_ENOTFOUND);
	assert_string_equal(diag.message, "the tag is not signed");

	/* A message that quotes a signature: the tag's signature is the last. */
	free(tag);
	tag = tag_text(&commit, "fy2026",
		       "Quoted:\n-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----\n");
	free(signed_tag);
	assert_int_equal(kk_sshsig_sign_tag(&signed_tag, &len, key, tag, strlen(tag), &diag), 0);
	assert_int_equal(check_object(signed_tag, len, 1, &s, &error, &diag), KK_SIGNER_ALLOWED);
	assert_int_equal(error, 0);
	write_object(signed_tag, len, GIT_OBJECT_TAG, "refs/tags/fy2026");
	assert_int_equal(run(NULL, GIT "verify-tag fy2026", dir, dir, dir, "allowed_signers"), 0);
	free(tag);
	free(signed_tag);
	kk_signers_clear(&s);
}

/* Replaces the first `from` in the `len` bytes at `text` by `to` (as long). */
static void replace(char *text, const char *from, const char *to)
{
	char *p = strstr(text, from);

	assert_non_null(p);
	assert_int_equal(strlen(from), strlen(to));
	memcpy(p, to, strlen(to));
}

/* Runs stock git's `command` with the allowed signers `signers`; it must fail, saying `says`. */
static void expect_git_refuses(const char *command, const char *signers, const char *says)
{
	char *out;

	assert_int_not_equal(run(&out, GIT "%s", dir, dir, dir, signers, command), 0);
	if (!strstr(out, says))
		fail_msg("git %s did not say '%s' but: %s", command, says, out);
	free(out);
}

/* check_object() on the object `oid` as stored. */
static enum kk_signer_verdict check_stored(const git_oid *oid, int tag, const kk_signers *s,
					   int *verify_error, kk_diag *diag)
{
	git_odb *odb;
	git_odb_object *obj;
	enum kk_signer_verdict v;

	assert_int_equal(git_repository_odb(&odb, repo), 0);
	assert_int_equal(git_odb_read(&obj, odb, oid), 0);
	v = check_object(git_odb_object_data(obj), git_odb_object_size(obj), tag, s, verify_error,
			 diag);
	git_odb_object_free(obj);
	git_odb_free(odb);
	return v;
}

/* Stores `commit` with the signature `sig` through libgit2 as `ref`. */
static git_oid store_with_signature(const char *ref, const git_buf *commit, const char *sig)
{
	git_buf field = {0};
	git_oid oid;

	/* libgit2 ends the header's last line itself. */
	assert_int_equal(git_buf_set(&field, sig, strlen(sig) - 1), 0);
	assert_int_equal(
		git_commit_create_with_signature(&oid, repo, commit->ptr, field.ptr, "gpgsig"), 0);
	git_buf_dispose(&field);
	set_ref(ref, &oid);
	return oid;
}

/* Expects Keikaku's check of the stored `oid` to fail verifying, with `message`. */
static void expect_bad(const git_oid *oid, int tag, const kk_signers *s, const char *message)
{
	kk_diag diag = {0};
	int error;

	check_stored(oid, tag, s, &error, &diag);
	assert_int_equal(error, KK_EINVALID);
	assert_string_equal(diag.message, message);
}

void test_refusals_by_git(void **state)
{
	char *sig, *tag, *signed_tag, message[512];
	size_t len, sig_len;
	git_buf buf = {0};
	kk_diag diag = {0};
	kk_signers s = {0}, expired = {0};
	git_oid good, oid;
	int error;

	open_repository();
	write_signers("allowed_signers",
		      SIGNER " namespaces=\"git\",valid-after=\"20240101Z\" %s\n" OTHER
			     " namespaces=\"git\" %s\n",
		      key_text(key), key_text(other));
	write_signers("expired_signers", SIGNER " valid-before=\"20240501Z\" %s\n", key_text(key));
	load_signers(&s, "allowed_signers");
	load_signers(&expired, "expired_signers");
	snprintf(message, sizeof(message), "bad signature: key %s did not sign this",
		 kk_sshkey_fingerprint(key));

	/* The good one first: what the refusals below differ from. */
	good = sign_and_store(&sig, &len, key, "fy2024: good\n", "refs/heads/good");
	assert_int_equal(run(NULL, GIT "verify-commit good", dir, dir, dir, "allowed_signers"), 0);
	assert_int_equal(check_stored(&good, 0, &s, &error, &diag), KK_SIGNER_ALLOWED);

	/* A message changed after signing. */
	replace(sig, "fy2024: good", "fy2024: evil");
	oid = write_object(sig, len, GIT_OBJECT_COMMIT, "refs/heads/tampered");
	free(sig);
	expect_git_refuses("verify-commit tampered", "allowed_signers", "incorrect signature");
	expect_bad(&oid, 0, &s, message);

	/* A key the allowed signers do not list. */
	oid = sign_and_store(NULL, NULL, stranger, "fy2024: stranger\n", "refs/heads/unknown");
	expect_git_refuses("verify-commit unknown", "allowed_signers", "No principal matched");
	assert_int_equal(check_stored(&oid, 0, &s, &error, &diag), KK_SIGNER_UNKNOWN);
	assert_int_equal(error, 0);

	/* A key expired before the commit's time. */
	expect_git_refuses("verify-commit good", "expired_signers", "key has expired");
	assert_int_equal(check_stored(&good, 0, &expired, &error, &diag), KK_SIGNER_EXPIRED);
	snprintf(
		message, sizeof(message),
		"key %s of '" SIGNER
		"' has expired at 2024-06-01T09:00:00+09:00: it was valid before 2024-05-01T09:00:00+09:00 ('expired_signers', line 1)",
		kk_sshkey_fingerprint(key));
	assert_string_equal(diag.message, message);

	/* A signature that names another allowed key than the one that made it. */
	commit_buffer(&buf, "fy2024: claimed\n", NULL);
	assert_int_equal(kk_sshsig_sign(&sig, &sig_len, key, "git", buf.ptr, buf.size, &diag), 0);
	write_text(at("commit.sig"), sig);
	free(sig);
	write_claiming("claimed.sig", "commit.sig", other);
	assert_non_null(sig = kk_test_slurp(at("claimed.sig"), &sig_len));
	oid = store_with_signature("refs/heads/claimed", &buf, sig);
	free(sig);
	expect_git_refuses("verify-commit claimed", "allowed_signers", "incorrect signature");
	snprintf(message, sizeof(message), "bad signature: key %s did not sign this",
		 kk_sshkey_fingerprint(other));
	expect_bad(&oid, 0, &s, message);

	/* Signed in another namespace than git's. */
	assert_int_equal(kk_sshsig_sign(&sig, &sig_len, key, "file", buf.ptr, buf.size, &diag), 0);
	oid = store_with_signature("refs/heads/file", &buf, sig);
	free(sig);
	expect_git_refuses("verify-commit file", "allowed_signers", "namespace does not match");
	expect_bad(&oid, 0, &s, "the SSH signature is in namespace 'file', not 'git'");
	git_buf_dispose(&buf);

	/* A tag's message changed after signing. */
	tag = tag_text(&good, "fy2023", "Fiscal year 2023, closed\n");
	assert_int_equal(kk_sshsig_sign_tag(&signed_tag, &len, key, tag, strlen(tag), &diag), 0);
	replace(signed_tag, "2023, closed", "2023, reopen");
	oid = write_object(signed_tag, len, GIT_OBJECT_TAG, "refs/tags/fy2023");
	expect_git_refuses("verify-tag fy2023", "allowed_signers", "incorrect signature");
	snprintf(message, sizeof(message), "bad signature: key %s did not sign this",
		 kk_sshkey_fingerprint(key));
	expect_bad(&oid, 1, &s, message);
	free(tag);
	free(signed_tag);

	kk_signers_clear(&s);
	kk_signers_clear(&expired);
}

int close_repository(void **state)
{
	git_repository_free(repo);
	repo = NULL;
	return teardown(state);
}
