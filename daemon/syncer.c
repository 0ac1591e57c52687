/*
 * syncer.c - the syncer thread, which makes each batch durable while the
 * writer decides the next: it writes the batch's objects as one pack and
 * syncs it, creates the batch's tag refs, moves the branch by
 * compare-and-swap, and only then answers the batch's callers.  And the
 * writer's side of the hand-over: launching a batch and taking note of how
 * the one before landed.
 */
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2/sys/mempack.h>

#include "log.h"
#include "objects.h"
#include "pack.h"
#include "syncer.h"

/*
 * The errno behind libgit2's last error, `saved` (errno right after the
 * failed call), when that error was the system's; else 0.
 */
static int git_os_errno(int saved)
{
	const git_error *e = git_error_last();

	return e && e->klass == GIT_ERROR_OS ? saved : 0;
}

/* On the syncer: removes the first `count` tag refs of the flight, which it made. */
static void remove_tags(kd_writer *w, const kd_flight *f, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		char name[sizeof(KD_TAG_REFS) + KK_YEAR_TAG_MAX];

		snprintf(name, sizeof(name), KD_TAG_REFS "%s", f->writes.tags[i].name);
		if (git_reference_remove(w->sync_repo, name) < 0)
			log_warnx("cannot remove %s again: %s, ignoring", name, kd_git_message());
	}
}

/*
 * On the syncer: writes the flight's objects as one pack, then creates its
 * tags' refs (which must not exist) and moves the branch from its start to
 * its head.
 */
static int make_durable(kd_writer *w, kd_flight *f)
{
	git_reference *ref = NULL;
	git_odb *odb = NULL;
	kk_diag diag = {0};
	size_t tags = 0;
	int error = -1;

	f->errnum = 0;
	kd_objects_dedupe(&f->writes.objects);
	if (kk_pack_write(NULL, w->pack_dir, f->writes.objects.items, f->writes.objects.count,
			  &diag) < 0) {
		f->errnum = diag.sys_errno;
		log_warnx("cannot write pack: %s", diag.message);
		goto done;
	}
	/* The pack is durable: only now may the refs point into it. */
	if (git_repository_odb(&odb, w->sync_repo) < 0 || git_odb_refresh(odb) < 0) {
		f->errnum = git_os_errno(errno);
		log_warnx("cannot read the new pack: %s", kd_git_message());
		goto done;
	}
	/* Tags first: once the branch has the closing commit, its tag is there too. */
	for (; tags < f->writes.tag_count; tags++) {
		char name[sizeof(KD_TAG_REFS) + KK_YEAR_TAG_MAX];

		snprintf(name, sizeof(name), KD_TAG_REFS "%s", f->writes.tags[tags].name);
		if (git_reference_create(&ref, w->sync_repo, name, &f->writes.tags[tags].oid, 0,
					 NULL) < 0) {
			f->errnum = git_os_errno(errno);
			log_warnx("cannot create %s: %s", name, kd_git_message());
			goto done;
		}
		git_reference_free(ref);
		ref = NULL;
	}
	if (git_reference_create_matching(&ref, w->sync_repo, KD_MAIN_REF, &f->head, 1, &f->start,
					  NULL) < 0) {
		f->errnum = git_os_errno(errno);
		log_warnx("cannot move %s: %s", KD_MAIN_REF, kd_git_message());
		goto done;
	}
	error = 0;
done:
	if (error < 0)
		remove_tags(w, f, tags);
	git_reference_free(ref);
	git_odb_free(odb);
	return error;
}

/*
 * Why a write failed, for the caller, in the caller's language:
 * {"errno": "ENOSPC", "cause": "No space left on device"}; NULL when the
 * cause is not the system's (it is in keikakud's log then).
 */
static json_t *cause_data(const kd_call *call, int errnum)
{
	const char *name = errnum ? strerrorname_np(errnum) : NULL;
	locale_t previous;
	char text[256];
	json_t *data;

	if (!name)
		return NULL;
	previous = kd_call_locale_begin(call);
	data = json_pack("{s:s, s:s}", "errno", name, "cause",
			 strerror_r(errnum, text, sizeof(text)));
	kd_call_locale_end(previous);
	return data;
}

/*
 * Nothing of a batch is stored: every caller gets an error, also those whose
 * answer was decided on top of it (a refusal or a dry run may describe a
 * state that is not going to exist), with the system's reason (`errnum`,
 * or 0).  A replayed answer stays: it was stored before.
 */
void kd_fail_calls(kd_call *calls, int errnum)
{
	for (kd_call *call = calls; call; call = call->next) {
		if (call->result && json_object_get(call->result, "replayed"))
			continue;
		json_decref(call->result);
		call->result = NULL;
		kd_call_fail(call, KK_RPC_EWRITE, cause_data(call, errnum),
			     "the update could not be stored");
	}
}

void *kd_syncer_main(void *arg)
{
	kd_writer *w = arg;
	kd_flight *f = &w->flight;

	for (;;) {
		int stored;

		pthread_mutex_lock(&w->lock);
		while (f->state != KD_FLIGHT_SYNCING && !w->sync_stop)
			pthread_cond_wait(&w->sync_work, &w->lock);
		if (f->state != KD_FLIGHT_SYNCING) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		pthread_mutex_unlock(&w->lock);

		if (!(stored = make_durable(w, f) == 0))
			kd_fail_calls(f->calls, f->errnum);
		else
			kd_mirrors_durable(w->mirrors, &f->head, f->commits);
		/*
		 * Answered before the writer hears of it: the next batch's answers come
		 * after.  With --sync-mirrors, once the mirrors hold it.
		 */
		if (stored && w->mirrors && w->cfg->sync_mirrors)
			kd_mirrors_hold(w->mirrors, f->calls, f->tail);
		else
			kd_writer_answer(w, f->calls, f->tail);
		pthread_mutex_lock(&w->lock);
		f->calls = f->tail = NULL;
		f->state = stored ? KD_FLIGHT_STORED : KD_FLIGHT_FAILED;
		if (stored) {
			git_oid_tostr(w->stats.head, sizeof(w->stats.head), &f->head);
			w->stats.commits += f->commits;
			w->stats.batches++;
		}
		pthread_cond_signal(&w->synced);
		pthread_cond_signal(&w->cond); /* the writer may be deciding more meanwhile */
		pthread_mutex_unlock(&w->lock);
	}
	kd_writer_thread_exit(w);
	return NULL;
}

/*
 * Waits until the flight (if any) has landed and takes note: its objects
 * are now read from its pack, so its mempack is emptied for the batch
 * after next.  Returns 0, or -1 when it was not stored.
 */
int kd_flight_settle(kd_writer *w)
{
	kd_flight *f = &w->flight;
	enum kd_flight_state state;

	pthread_mutex_lock(&w->lock);
	while (f->state == KD_FLIGHT_SYNCING)
		pthread_cond_wait(&w->synced, &w->lock);
	state = f->state;
	f->state = KD_FLIGHT_IDLE;
	pthread_mutex_unlock(&w->lock);
	if (state == KD_FLIGHT_IDLE)
		return 0;
	kd_writes_reset(&f->writes);
	if (state == KD_FLIGHT_FAILED) {
		w->stale = 1;
		return -1;
	}
	if (git_odb_refresh(w->odb) < 0) {
		/* Its objects are stored, but this odb cannot see them: read everything again. */
		log_warnx("cannot read the new pack: %s", kd_git_message());
		w->stale = 1;
		return 0;
	}
	git_mempack_reset(w->mempacks[f->mempack]);
	return 0;
}

/* Hands the batch just decided to the syncer; its successor goes to the other mempack. */
void kd_flight_launch(kd_writer *w, kd_call *batch, kd_call *tail, const git_oid *start,
		      size_t commits)
{
	kd_flight *f = &w->flight;
	kd_batch_writes spare =
		f->writes; /* emptied by kd_flight_settle(): reused for the next batch */

	f->calls = batch;
	f->tail = tail;
	f->writes = w->writes;
	f->start = *start;
	f->head = w->head;
	f->commits = commits;
	f->mempack = w->current;
	w->writes = spare;
	w->current = !w->current;
	w->mempack = w->mempacks[w->current];
	pthread_mutex_lock(&w->lock);
	f->state = KD_FLIGHT_SYNCING;
	pthread_cond_signal(&w->sync_work);
	pthread_mutex_unlock(&w->lock);
}
