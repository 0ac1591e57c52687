/*
 * commit.h - a write method's commit, and the tags a batch is making (commit.c).
 */
#ifndef KD_COMMIT_H
#define KD_COMMIT_H

#include "writer.h"

/*
 * Makes the commit for accepted submission `r` of `call` on the batch's
 * head, with the caller as author, and moves the in-memory head to it;
 * *out is the commit.  Returns 0 or -1 (logged).
 */
int kd_writer_commit(kd_writer *w, kd_call *call, const kk_update_result *r, const char *reason,
		     const char *request_id, int correction, git_oid *out);

/*
 * Signs the raw commit or tag (`type`) `raw`, `len` bytes, with keikakud's
 * key: *out gets the signed object (free() it), or NULL when keikakud has
 * no key and the object stays unsigned.  Returns 0 or -1 (logged).
 */
int kd_writer_sign(char **out, size_t *len_out, kd_writer *w, git_object_t type, const char *raw,
		   size_t len);

/* Tells whether tag `name` is made by the batch being decided or the one in flight. */
int kd_writer_tag_pending(kd_writer *w, const char *name);

#endif
