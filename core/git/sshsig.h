/*
 * sshsig.h - SSH signatures (Ed25519) on commits and tags, in the format
 * that stock git makes and checks with gpg.format=ssh, so that any clone
 * can check who made them with `git verify-commit` and `git verify-tag`.
 *
 * Four parts, over nettle's Ed25519, SHA-2 and base64:
 *
 *  - keys (sshsig_key.c): an OpenSSH private key file, unencrypted
 *    ssh-ed25519 as `ssh-keygen -t ed25519 -N ''` makes it; its public key
 *    as an authorized_keys line, and its fingerprint as ssh-keygen prints it;
 *  - signatures (sshsig.c): OpenSSH's SSHSIG format (PROTOCOL.sshsig), made
 *    and checked in a namespace, "git" for git's objects;
 *  - objects (sshsig.c): a raw commit or tag signed as git signs it, and
 *    taken apart again into what was signed and the signature;
 *  - allowed signers (sshsig_signers.c): git's gpg.ssh.allowedSignersFile,
 *    ssh-keygen(1)'s ALLOWED SIGNERS, with the periods each key is valid in.
 *
 * A signature proves that whoever held the private key signed these bytes;
 * the allowed signers say whose key it is and when it may sign.
 *
 * Everything here is reentrant; one key may sign from several threads.
 */
#ifndef KK_SSHSIG_H
#define KK_SSHSIG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "common.h"

/* The namespace git signs its commits and tags in. */
#define KK_SSHSIG_GIT "git"

/* An Ed25519 public key's size, and a fingerprint's ("SHA256:" and 43 characters), NUL counted. */
#define KK_SSH_ED25519_SIZE    32
#define KK_SSH_FINGERPRINT_MAX 51

/* An Ed25519 public key. */
typedef struct kk_sshpub {
	unsigned char key[KK_SSH_ED25519_SIZE];
} kk_sshpub;

/* Writes the fingerprint of `pub` as ssh-keygen -l prints it: "SHA256:" and base64, unpadded. */
void kk_sshpub_fingerprint(char buf[KK_SSH_FINGERPRINT_MAX], const kk_sshpub *pub);

/*
 * Keys
 */

/* A private Ed25519 key. */
typedef struct kk_sshkey kk_sshkey;

/*
 * Reads the OpenSSH private key file at `path`.  Fails with KK_EIO (errno
 * in `diag`) when the file cannot be read, KK_EINVALID when it is not an
 * unencrypted ssh-ed25519 key in OpenSSH's format (a passphrase, another
 * key type, a PEM key, a public key, a damaged file), the message naming
 * the file and saying what to do.  Free with kk_sshkey_free().
 */
int kk_sshkey_load(kk_sshkey **out, const char *path, kk_diag *diag);

/* kk_sshkey_load() on the `len` bytes at `text`; `name` names them in messages. */
int kk_sshkey_parse(kk_sshkey **out, const char *text, size_t len, const char *name, kk_diag *diag);

/* Wipes the private key from memory and frees `key`; accepts NULL. */
void kk_sshkey_free(kk_sshkey *key);

/* The public half of `key`; borrowed. */
const kk_sshpub *kk_sshkey_public(const kk_sshkey *key);

/*
 * The public key as authorized_keys and allowed signers files write it:
 * "ssh-ed25519 AAAA… comment" (the comment of the key file, if any), as in
 * the .pub file ssh-keygen wrote beside it, without the newline; borrowed.
 */
const char *kk_sshkey_authorized_key(const kk_sshkey *key);

/* The fingerprint of the public key ("SHA256:…"); borrowed. */
const char *kk_sshkey_fingerprint(const kk_sshkey *key);

/*
 * Signatures
 */

/*
 * Signs the `len` bytes at `msg` in namespace `ns` (not empty) as
 * `ssh-keygen -Y sign -n NS` does (the message hashed with SHA-512): *out
 * gets the armored signature, "-----BEGIN SSH SIGNATURE-----\n", base64 in
 * lines of 70, "-----END SSH SIGNATURE-----\n", NUL-terminated (*len_out
 * not counting the NUL); free() it.  Fails only with KK_ENOMEM.  Ed25519
 * is deterministic: the same key, namespace and message give the same
 * bytes as ssh-keygen.
 */
int kk_sshsig_sign(char **out, size_t *len_out, const kk_sshkey *key, const char *ns,
		   const void *msg, size_t len, kk_diag *diag);

/*
 * Checks that `sig` (`sig_len` bytes, armored) is a signature of the `len`
 * bytes at `msg` made in namespace `ns`, hashed with SHA-256 or SHA-512,
 * with the Ed25519 key it names, and puts that key into *signer.  Fails
 * with KK_EINVALID when it is not: not an SSH signature, damaged, of
 * another namespace, hash or key type, or not matching the message (the
 * message says which); KK_ENOMEM.  Who may sign is the allowed signers'
 * question (kk_signers_check()).
 */
int kk_sshsig_verify(kk_sshpub *signer, const char *sig, size_t sig_len, const char *ns,
		     const void *msg, size_t len, kk_diag *diag);

/*
 * Commits and tags, as git signs them
 */

/*
 * Signs the raw commit `commit` (`len` bytes: the object as git hashes
 * it, unsigned, as git_commit_create_buffer() makes it) in namespace "git":
 * *out gets the commit with a `gpgsig` header after its other headers,
 * the signature's lines after the first each prefixed with a space, as
 * `git commit -S` writes it; NUL-terminated, free() it.  Fails with
 * KK_EEXISTS when the commit is signed already, KK_EINVALID when it is no
 * commit (no headers ending in a blank line), KK_ENOMEM.
 */
int kk_sshsig_sign_commit(char **out, size_t *len_out, const kk_sshkey *key, const char *commit,
			  size_t len, kk_diag *diag);

/*
 * Signs the raw annotated tag `tag` (`len` bytes, unsigned) as `git tag -s`
 * does with SSH: *out gets the tag with the armored signature appended to
 * its message; a newline is added first to a message that lacks one (it
 * is then part of what was signed).  NUL-terminated, free() it.  Fails
 * only with KK_ENOMEM.
 */
int kk_sshsig_sign_tag(char **out, size_t *len_out, const kk_sshkey *key, const char *tag,
		       size_t len, kk_diag *diag);

/*
 * Takes the raw commit `commit` apart as git does to check it: `payload`
 * gets the commit without its signature headers (what was signed), and
 * `signature` the armored signature of its `gpgsig` header.  Both must be
 * empty, and are written only on success.  Fails with KK_ENOTFOUND when
 * the commit is not signed, KK_ENOMEM.
 */
int kk_sshsig_split_commit(kk_buf *payload, kk_buf *signature, const char *commit, size_t len,
			   kk_diag *diag);

/*
 * kk_sshsig_split_commit() for a raw tag: the signature starts at the
 * tag's last line that opens a signature (SSH, or another kind git knows:
 * kk_sshsig_verify() then refuses it); what is before it was signed.
 */
int kk_sshsig_split_tag(kk_buf *payload, kk_buf *signature, const char *tag, size_t len,
			kk_diag *diag);

/*
 * Allowed signers
 */

/*
 * One line of an allowed signers file:
 *
 *	principals [options] keytype base64-key [comment]
 *
 * with the options namespaces="…", valid-after="…" and valid-before="…".
 * A line of another key type than ssh-ed25519 is kept, and matches no
 * key: this module checks Ed25519 signatures only.
 */
typedef struct kk_signer {
	char *principals;     /* as written: comma-separated patterns */
	char *namespaces;     /* the namespaces="…" patterns, or NULL: any */
	int64_t valid_after;  /* seconds since the epoch, or 0: no bound */
	int64_t valid_before; /* likewise */
	int ed25519;	      /* `key` holds the line's key; else it is of another type */
	kk_sshpub key;
	size_t line; /* 1-based, in the file */
} kk_signer;

/* An allowed signers file, parsed.  Release with kk_signers_clear(). */
typedef struct kk_signers {
	kk_signer *items; /* in the order of the file */
	size_t count;
	size_t alloc;
	char *path; /* the file's name, for messages */
	int offset; /* minutes east of UTC that times without "Z" were read at */
} kk_signers;

/*
 * Parses the allowed signers file `text` (`len` bytes, named `path` in
 * messages) into *out, which is overwritten.  Times without a "Z" are read
 * at `offset` minutes east of UTC, the caller's local time (ssh-keygen
 * reads them in the time zone of the system).  Fails with KK_EINVALID at
 * the first line that ssh-keygen would not read, or that this module
 * refuses (cert-authority: certificates are not checked here), with the
 * line and column in `diag`; KK_ENOMEM.
 */
int kk_signers_parse(kk_signers *out, const char *text, size_t len, const char *path, int offset,
		     kk_diag *diag);

/* Frees what `signers` holds and empties it. */
void kk_signers_clear(kk_signers *signers);

/* What the allowed signers say of a key, by kk_signers_check(). */
enum kk_signer_verdict {
	KK_SIGNER_ALLOWED = 0,	   /* a line allows it */
	KK_SIGNER_UNKNOWN,	   /* no line lists the key */
	KK_SIGNER_NOT_YET_VALID,   /* its line's valid-after is later */
	KK_SIGNER_EXPIRED,	   /* its line's valid-before is earlier */
	KK_SIGNER_WRONG_NAMESPACE, /* its line's namespaces do not include `ns` */
};

/*
 * Whether `key` may sign in namespace `ns` at `when` (seconds since the
 * epoch; git checks a commit at its committer's time, a tag at its
 * tagger's) as ssh-keygen -Y verify decides it: a line that lists the key
 * and allows both.  On KK_SIGNER_ALLOWED, *line is the first such line.
 * Otherwise *line is the first line that lists the key (NULL when none
 * does), the verdict is why that line refuses it, and `diag` says so with
 * the key's fingerprint and the line (KK_ENOTFOUND for an unknown key,
 * KK_EINVALID for the others).
 */
enum kk_signer_verdict kk_signers_check(const kk_signer **line, const kk_signers *signers,
					const kk_sshpub *key, const char *ns, int64_t when,
					kk_diag *diag);

#endif
