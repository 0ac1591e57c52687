/*
 * commit.c - the commits the write methods make on the writer thread: the
 * tree (trees.c), the message with its trailers (core/plan/update), the caller as
 * author and keikakud as committer, written as git writes them and signed
 * with keikakud's key when it has one; and the fiscal-year tags a batch is
 * making.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "commit.h"
#include "log.h"
#include "objects.h"
#include "plan.h"
#include "trees.h"

/* The department named in the commit: one the author acts for among the owners. */
static const char *acting_department(kd_writer *w, const kk_identity *who, const json_t *items,
				     const kk_fileset *files)
{
	size_t i, j;
	json_t *id, *owner;

	json_array_foreach(items, i, id) {
		char path[KK_ITEM_PATH_MAX];
		const kk_file *f;
		json_t *item = NULL;
		const char *found = NULL;

		kk_item_path(path, sizeof(path), json_integer_value(id));
		if (!(f = kk_fileset_get(files, path)) ||
		    !(item = kk_doccache_parse(w->docs, f, NULL)))
			continue;
		json_array_foreach(json_object_get(item, "owners"), j, owner) {
			for (size_t k = 0; k < who->department_count && !found; k++)
				if (strcmp(who->departments[k], json_string_value(owner)) == 0)
					found = who->departments[k];
		}
		json_decref(item);
		if (found)
			return found;
	}
	return who->department_count ? who->departments[0] : NULL;
}

/* "author Name <email> 1700000000 +0900\n", as libgit2 writes a signature. */
static void put_signature(kk_buf *buf, const char *header, const git_signature *sig)
{
	int offset = sig->when.offset < 0 ? -sig->when.offset : sig->when.offset;
	char sign = sig->when.offset < 0 || sig->when.sign == '-' ? '-' : '+';

	kk_buf_printf(buf, "%s %s <%s> %lld %c%02d%02d\n", header, sig->name, sig->email,
		      (long long)sig->when.time, sign, offset / 60, offset % 60);
}

/* Makes the commit for an accepted submission; moves the in-memory head. */
int kd_writer_commit(kd_writer *w, kd_call *call, const kk_update_result *r, const char *reason,
		     const char *request_id, int correction, git_oid *out)
{
	git_commit *parent = NULL;
	git_signature *author = NULL, *committer = NULL;
	kk_buf buf = {0};
	char email[512], committer_email[512], hex[GIT_OID_HEXSZ + 1], *message = NULL;
	char *signed_commit = NULL;
	size_t signed_len = 0;
	git_oid tree_id;
	int error = -1;

	if (git_commit_lookup(&parent, w->repo, &w->head) < 0 ||
	    kd_tree_write(&tree_id, w, git_commit_tree_id(parent), r->files.files, r->files.count,
			  0) < 0)
		goto done;

	message = kk_commit_message(&(kk_commit_info){
		.summary = r->summary,
		.reason = reason,
		.items = r->items,
		.files = &r->files,
		.years = r->years,
		.department = acting_department(w, &call->who, r->items, &r->files),
		.request_id = request_id,
		.correction = correction && r->corrects_closed_year,
	});
	snprintf(email, sizeof(email), "%s@%s", call->who.user, w->cfg->email_domain);
	snprintf(committer_email, sizeof(committer_email), "keikakud@%s", w->cfg->email_domain);
	if (!message || git_signature_now(&author, call->who.name, email) < 0 ||
	    git_signature_now(&committer, "keikakud", committer_email) < 0)
		goto done;
	/* As git_commit_create_buffer() writes it, without reading the new tree back. */
	kk_buf_printf(&buf, "tree %s\n", git_oid_tostr(hex, sizeof(hex), &tree_id));
	kk_buf_printf(&buf, "parent %s\n", git_oid_tostr(hex, sizeof(hex), &w->head));
	put_signature(&buf, "author", author);
	put_signature(&buf, "committer", committer);
	kk_buf_puts(&buf, "\n");
	kk_buf_puts(&buf, message);
	if (buf.failed || kd_writer_sign(&signed_commit, &signed_len, w, GIT_OBJECT_COMMIT,
					 buf.data, buf.len) < 0)
		goto done;
	if (signed_commit) {
		kk_buf_clear(&buf);
		buf = (kk_buf){signed_commit, signed_len, signed_len + 1, 0};
		signed_commit = NULL;
	}
	if (kd_writer_put_object(w, out, buf.data, buf.len, GIT_OBJECT_COMMIT) < 0)
		goto done;
	/* Out of memory, it forgets the older commits: their bases are then read from git. */
	kk_recent_commit(&w->recent, out, r->files.files, r->files.count, &w->files);
	for (size_t i = 0; i < r->files.count; i++) {
		if (kk_fileset_put_file(&w->files, &r->files.files[i], NULL) < 0)
			goto done;
	}
	w->head = *out;
	error = 0;
done:
	if (error < 0) {
		log_warnx("cannot commit: %s", kd_git_message());
		kk_recent_clear(&w->recent); /* it may have taken note of this commit */
	}
	free(message);
	free(signed_commit);
	git_signature_free(author);
	git_signature_free(committer);
	kk_buf_clear(&buf);
	git_commit_free(parent);
	return error;
}

int kd_writer_sign(char **out, size_t *len_out, kd_writer *w, git_object_t type, const char *raw,
		   size_t len)
{
	kk_diag diag = {0};
	int error;

	*out = NULL;
	if (!w->cfg->signing_key)
		return 0;
	error = type == GIT_OBJECT_TAG
			? kk_sshsig_sign_tag(out, len_out, w->cfg->signing_key, raw, len, &diag)
			: kk_sshsig_sign_commit(out, len_out, w->cfg->signing_key, raw, len, &diag);
	if (error < 0) {
		log_warnx("cannot sign the %s: %s", type == GIT_OBJECT_TAG ? "tag" : "commit",
			  diag.message);
		return -1;
	}
	return 0;
}

int kd_writer_tag_pending(kd_writer *w, const char *name)
{
	int in_flight;

	for (size_t i = 0; i < w->writes.tag_count; i++)
		if (strcmp(w->writes.tags[i].name, name) == 0)
			return 1;
	pthread_mutex_lock(&w->lock);
	in_flight = w->flight.state == KD_FLIGHT_SYNCING;
	pthread_mutex_unlock(&w->lock);
	/* The syncer only reads the flight's tags: so may the writer. */
	for (size_t i = 0; in_flight && i < w->flight.writes.tag_count; i++)
		if (strcmp(w->flight.writes.tags[i].name, name) == 0)
			return 1;
	return 0;
}
