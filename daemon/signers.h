/*
 * signers.h - keikakud's signing key and the plan's allowed signers file
 * (KK_PATH_SIGNERS, docs/signing.md): the key checked against the file at
 * start, and added to it when the file does not list it; a change to the
 * file checked before it is committed (signers.c).
 */
#ifndef KD_SIGNERS_H
#define KD_SIGNERS_H

#include <sys/types.h>

#include <git2.h>

#include "common.h"
#include "sshsig.h"
#include "update.h"
#include "writer.h"

/*
 * At start, before any write is served: reads the allowed signers file at
 * the head of the repository at `repo` (owned by `owner`).  A key the file
 * allows now is used as it is; a key it does not list is added in a commit
 * of its own, signed with it, with the repository's owner as author and
 * the reason in its message, and the branch moved to it (durably, by
 * compare-and-swap).  A file that does not parse, or that lists the key
 * but does not allow it now (expired, not yet valid, another namespace),
 * stops keikakud: returns -1, logged.
 */
int kd_signers_start(const char *repo, uid_t owner, const kk_sshkey *key,
		     const char *email_domain);

/*
 * The text of the allowed signers file at `commit` into *out (malloc'd,
 * NUL-terminated), or *out NULL when the commit has none.  Returns 0, or -1
 * when the commit or the file cannot be read.
 */
int kd_signers_read(char **out, git_repository *repo, const git_oid *commit);

/*
 * plan.update's "allowed_signers": `value`, the file's whole new text, into
 * *out, with the text at `base` (which `keep` holds) for rule 6.  Returns
 * 0, or -1 with `call` failed.
 */
int kd_signers_param(kk_update_file *out, kd_writer *w, kd_call *call, const git_oid *base,
		     const json_t *value, json_t *keep);

/*
 * kk_update_text_check for a change to the allowed signers file: it must
 * parse, and must still allow `ctx` (the kk_sshkey keikakud signs with, or
 * NULL) to sign now.  Messages in the caller's language.
 */
int kd_signers_check_text(const char *path, const char *text, size_t len, void *ctx,
			  kk_diag *diag);

#endif
