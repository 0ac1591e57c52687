/*
 * signatures.h - `keikaku verify --signatures`: every commit and tag since
 * signing began checked against the plan's own allowed signers file
 * (KK_PATH_SIGNERS), as stock git checks them (signatures.c).
 *
 * Signing begins at the oldest commit on the first-parent chain of the
 * tip whose tree has the allowed signers file: the commit that first added
 * it (keikakud's first start with a key, or an admin's).  From there on,
 * every commit reachable from the tip (merged branches too) and every tag
 * on one of them must be signed, in namespace "git", with a key the tip's
 * file allows at the commit's committer time, or the tag's tagger time.
 */
#ifndef KK_SIGNATURES_H
#define KK_SIGNATURES_H

#include <jansson.h>

#include "common.h"
#include "store.h"

/* What kk_signatures_check() checked. */
typedef struct kk_signatures_summary {
	int began;     /* the tip's tree has an allowed signers file */
	git_oid since; /* the commit that added it, when `began` */
	size_t commits;
	size_t tags;
} kk_signatures_summary;

/*
 * Checks the commits and tags since signing began up to `tip`, against the
 * allowed signers file at `tip` (times without "Z" read at `offset`
 * minutes east of UTC), and appends one problem per bad commit or tag to
 * `problems`, as plan.verify lists them (query.h), with "signature", the
 * kind of problem:
 *
 *   {"commit", "path": "", "pointer": "", "signature", "message"}
 *   {"tag", "object", "path": "refs/tags/NAME", "pointer": "", "signature", "message"}
 *
 * the kinds being "unsigned", "bad-signature", "unknown-key", "expired",
 * "not-yet-valid", "wrong-namespace"; and "no-signers" or "bad-signers"
 * (on `tip`, with "path": KK_PATH_SIGNERS) when the tip has no allowed
 * signers file or one that does not parse.  Returns 0 whatever it found,
 * or KK_EIO or KK_ENOMEM when checking itself failed.
 */
int kk_signatures_check(json_t *problems, kk_signatures_summary *out, kk_store *store,
			const git_oid *tip, int offset, kk_diag *diag);

/*
 * kk_verify_text_fn (verify.h) for the allowed signers file: that it
 * parses, at the offset `ctx` points to (an int; NULL: UTC).
 */
int kk_signatures_check_text(const char *path, const char *text, size_t len, void *ctx,
			     kk_diag *diag);

#endif
