/*
 * verify.h - the checks every plan file passes, on any tree.
 *
 * These are docs/design.md §3, rule 5 and the repository's own conventions: each
 * file validates against the repository's own schema, item ids match file
 * names, owners and related departments exist, and so do the pillar,
 * section and measure of each item.  The daemon runs them before every
 * commit and `keikaku verify` re-runs them on any clone.
 */
#ifndef KK_VERIFY_H
#define KK_VERIFY_H

#include <jansson.h>

#include "common.h"
#include "doccache.h"
#include "fileset.h"

typedef struct kk_verifier kk_verifier;

/* Creates a verifier; it caches compiled schemas and past results. */
int kk_verifier_new(kk_verifier **out);
void kk_verifier_free(kk_verifier *verifier);

/*
 * Checks `files` and appends one entry per problem to `problems` (path,
 * JSON Pointer, message).  With `only_new`, a file whose bytes, schema and
 * the files it refers to are all unchanged since an earlier call is not
 * checked again, so walking a long history reports each problem once, at
 * the tree that introduced it.  Returns 0 whether or not there are
 * problems; a negative code only when checking itself failed.
 */
int kk_verifier_check(kk_verifier *verifier, const kk_fileset *files, int only_new,
		      kk_diaglist *problems, kk_diag *diag);

/*
 * As kk_verifier_check() without `only_new`, for a tree the caller has just
 * made: the files of `written` (those of `files` with the same path and
 * bytes) were made with kk_canon_dump() and the schemas in `files`, so
 * their canonical form is not checked again.
 */
int kk_verifier_check_written(kk_verifier *verifier, const kk_fileset *files,
			      const kk_fileset *written, kk_diaglist *problems, kk_diag *diag);

/*
 * Has the verifier parse files through `docs` (borrowed; NULL, the default:
 * parse them each time), and hands it to whoever asks kk_verifier_docs(),
 * such as kk_update_prepare(), so that a file read by both is parsed once.
 */
void kk_verifier_use_docs(kk_verifier *verifier, kk_doccache *docs);
kk_doccache *kk_verifier_docs(const kk_verifier *verifier);

/*
 * Checks the text of a file that is not JSON (the allowed signers file,
 * KK_PATH_SIGNERS): 0, or KK_EINVALID with the message (and line and
 * column) in `diag`; KK_ENOMEM.  The plan layer cannot read allowed
 * signers itself; the layers above it can (sshsig.h).
 */
typedef int (*kk_verify_text_fn)(const char *path, const char *text, size_t len, void *ctx,
				 kk_diag *diag);

/*
 * Has the verifier check the allowed signers file of each tree with `fn`
 * and `ctx` (NULL: it is not read, the default).
 */
void kk_verifier_check_text(kk_verifier *verifier, kk_verify_text_fn fn, void *ctx);

/*
 * The schema stored at `path` in `files` (e.g. KK_SCHEMA_ITEM), parsed once
 * and kept by the id of its bytes, in *out.  Borrowed: valid until the
 * verifier is freed.  NULL when the file is missing, does not parse or is
 * not a schema.  Fails only with KK_ENOMEM (and `diag`).
 */
int kk_verifier_schema_doc(const json_t **out, kk_verifier *verifier, const kk_fileset *files,
			   const char *path, kk_diag *diag);

/*
 * Rewrites every plan file of `files` (settings, departments, structure,
 * items) in canonical form, using the schemas in `files`.  A file that does
 * not parse gets a problem and is left as it is.
 */
int kk_verify_canonicalize(kk_fileset *files, kk_diaglist *problems, kk_diag *diag);

#endif
