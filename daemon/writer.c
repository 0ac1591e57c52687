/*
 * writer.c - the one thread that writes the repository; it starts and stops
 * the syncer (syncer.c) and the pack maintainer (packs.c) beside it.
 *
 * Submissions queue while the writer decides the previous batch.  It then
 * takes the whole queue as the next batch: each submission is decided
 * (core/plan/update) against the head as the batches before have left it and
 * becomes its own commit, made in memory: new objects go into a mempack in
 * front of the repository's object database.  The batch's objects then go
 * to the syncer thread, which writes them as one pack, fsyncs it, and only
 * then moves the ref by compare-and-swap and answers the batch's callers.
 * Meanwhile the writer decides the next batch on top of it, its objects in
 * a second mempack, and takes in whatever queues until the first has
 * landed; then it hands the batch over.  A batch is stored and answered
 * only after the one before it, and when one is not stored, neither is the
 * one decided on top of it.  Closing a fiscal year also makes an annotated
 * tag: its object goes into the batch's pack, and its ref is created once
 * the pack is durable, just before the branch moves.
 *
 * The writer remembers its own commits since it read the head (core/git/recent),
 * so that the version an update was made against is read from memory.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/ioprio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>

#include "daemon.h"
#include "log.h"
#include "methods.h"
#include "objects.h"
#include "packs.h"
#include "signers.h"
#include "store.h"
#include "syncer.h"
#include "trees.h"
#include "writer.h"

int kd_writer_handles(const char *method)
{
	return kd_write_method_find(method) != NULL;
}

/* The login a commit's author e-mail names: the request-id index is per person. */
static void author_login(char *buf, size_t size, const git_signature *author)
{
	const char *at = strchr(author->email, '@');
	size_t n = at ? (size_t)(at - author->email) : strlen(author->email);

	snprintf(buf, size, "%.*s", (int)n, author->email);
}

/*
 * Indexes the Request-Id trailers of the whole history, so that a retry
 * after a restart finds its first answer.
 */
static int index_request_ids(kd_writer *w)
{
	git_revwalk *walk = NULL;
	git_oid oid;
	size_t n = 0;
	int error = 0;

	json_t *ids = json_object();

	if (!ids || git_revwalk_new(&walk, w->repo) < 0 || git_revwalk_push(walk, &w->head) < 0) {
		json_decref(ids);
		git_revwalk_free(walk);
		return -1;
	}
	while (git_revwalk_next(&oid, walk) == 0) {
		git_commit *c = NULL;
		char rid[256], login[128], key[400];

		if (git_commit_lookup(&c, w->repo, &oid) < 0) {
			error = -1;
			break;
		}
		if (kk_commit_trailer(rid, sizeof(rid), git_commit_message(c), "Request-Id")) {
			author_login(login, sizeof(login), git_commit_author(c));
			snprintf(key, sizeof(key), "%s:%s", login, rid);
			/* Walking newest first: keep the oldest, the first answer. */
			json_object_set_new(ids, key, kd_oid_json(&oid));
			n++;
		}
		git_commit_free(c);
	}
	git_revwalk_free(walk);
	if (error < 0) {
		json_decref(ids);
		return error;
	}
	/* Only a complete index replaces the one in use. */
	json_decref(w->request_ids);
	w->request_ids = ids;
	log_debug("indexed %zu request ids", n);
	return 0;
}

/*
 * Gives the repository a fresh object database: the packs on disk, and two
 * mempacks in front of them, one for the objects of the batch being made
 * and one for those of the batch in flight.  Only with no batch in flight.
 */
static int reopen_odb(kd_writer *w)
{
	git_odb *odb = NULL;
	git_odb_backend *mempacks[2] = {NULL, NULL};
	char *objects = NULL;
	int error = -1;

	if (asprintf(&objects, "%sobjects", git_repository_path(w->repo)) < 0)
		return -1;
	if (git_odb_new(&odb) < 0 || git_odb_add_disk_alternate(odb, objects) < 0)
		goto done;
	for (int i = 0; i < 2; i++) {
		git_odb_backend *mempack = NULL;

		if (git_mempack_new(&mempack) < 0)
			goto done;
		if (git_odb_add_backend(odb, mempack, 999 - i) < 0) {
			mempack->free(mempack);
			goto done;
		}
		mempacks[i] = mempack; /* owned by the odb from here on */
	}
	git_repository_set_odb(w->repo, odb);
	git_odb_free(w->odb);
	w->odb = odb;
	w->mempacks[0] = mempacks[0];
	w->mempacks[1] = mempacks[1];
	w->current = 0;
	w->mempack = mempacks[0];
	odb = NULL;
	error = 0;
done:
	git_odb_free(odb); /* and the mempacks it took */
	free(objects);
	return error;
}

/*
 * Fresh object databases for the writer and the syncer: after packs were
 * merged (to drop those that are gone), or a batch failed.  Only with
 * nothing in flight.
 */
static int reopen_odbs(kd_writer *w)
{
	git_repository *repo = NULL;

	if (reopen_odb(w) < 0 || git_repository_open_bare(&repo, git_repository_path(w->repo)) < 0)
		return -1;
	git_repository_free(w->sync_repo);
	w->sync_repo = repo;
	return 0;
}

/* Reads the head and its files; what was loaded before stays until this succeeds. */
static int load_head(kd_writer *w, char *errbuf, size_t errlen)
{
	kk_fileset files = {0};
	kk_diag diag = {0};
	git_oid head;

	if (git_reference_name_to_id(&head, w->repo, KD_MAIN_REF) < 0) {
		snprintf(errbuf, errlen, "cannot read %s: %s", KD_MAIN_REF, kd_git_message());
		return -1;
	}
	if (kk_store_read_all(&files, w->store, &head, &diag) < 0) {
		kk_fileset_clear(&files);
		snprintf(errbuf, errlen, "cannot read the plan: %s", diag.message);
		return -1;
	}
	kk_fileset_clear(&w->files);
	w->files = files;
	w->head = head;
	kk_recent_reset(&w->recent, &head);
	return 0;
}

/*
 * After a batch could not be stored, the writer's picture of the head is
 * wrong until it has read the repository again; until then it stores
 * nothing.  Returns 0 once it is in step.
 */
static int resync(kd_writer *w)
{
	char errbuf[512] = "";

	if (!w->stale)
		return 0;
	if (reopen_odbs(w) < 0 || load_head(w, errbuf, sizeof(errbuf)) < 0 ||
	    index_request_ids(w) < 0) {
		if (!errbuf[0])
			snprintf(errbuf, sizeof(errbuf), "%s", kd_git_message());
		log_warnx("cannot read the repository again: %s", errbuf);
		return -1;
	}
	w->stale = 0;
	log_info("back in step with the repository at %s", git_oid_tostr_s(&w->head));
	return 0;
}

static int open_repository(kd_writer *w, char *errbuf, size_t errlen)
{
	kk_diag diag = {0};
	struct stat st;

	if (kk_store_discover(&w->store, w->cfg->repo, &diag) < 0) {
		snprintf(errbuf, errlen, "%s", diag.message);
		return -1;
	}
	w->repo = kk_store_repository(w->store);
	if (!git_repository_is_bare(w->repo)) {
		snprintf(errbuf, errlen, "'%s' is not a bare repository", w->cfg->repo);
		return -1;
	}
	if (stat(git_repository_path(w->repo), &st) < 0) {
		snprintf(errbuf, errlen, "cannot stat '%s': %s", w->cfg->repo, strerror(errno));
		return -1;
	}
	w->owner = st.st_uid;
	if (asprintf(&w->pack_dir, "%sobjects/pack", git_repository_path(w->repo)) < 0)
		return -1;
	/* The syncer moves the refs on its own handle: a repository is one thread's. */
	if (git_repository_open_bare(&w->sync_repo, git_repository_path(w->repo)) < 0) {
		snprintf(errbuf, errlen, "cannot open '%s': %s", w->cfg->repo, kd_git_message());
		return -1;
	}
	/* New objects go to memory first; the batch's pack is what reaches the disk. */
	if (reopen_odb(w) < 0) {
		snprintf(errbuf, errlen, "cannot set up the object database: %s", kd_git_message());
		return -1;
	}
	if (load_head(w, errbuf, errlen) < 0)
		return -1;
	if (kk_verifier_new(&w->verifier) < 0 ||
	    kk_doccache_new(&w->docs, KD_DOC_CACHE_BYTES) < 0 ||
	    !(w->request_ids = json_object())) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	kk_verifier_use_docs(w->verifier, w->docs);
	kk_verifier_check_text(w->verifier, kd_signers_check_text, (void *)w->cfg->signing_key);
	if (index_request_ids(w) < 0) {
		snprintf(errbuf, errlen, "cannot index the history: %s", kd_git_message());
		return -1;
	}
	git_oid_tostr(w->stats.head, sizeof(w->stats.head), &w->head);
	return 0;
}

/* Moves up to `max` calls from the queue to the list *head..*tail; under the lock. */
static void take_queued(kd_writer *w, kd_call **head, kd_call **tail, size_t max)
{
	for (size_t n = 0; w->queue && n < max; n++) {
		kd_call *call = w->queue;

		w->queue = call->next;
		call->next = NULL;
		if (*tail)
			(*tail)->next = call;
		else
			*head = call;
		*tail = call;
		w->stats.queued--;
	}
	if (!w->queue)
		w->queue_tail = NULL;
}

/* Decides one call on top of everything decided before; tells whether it made a commit. */
static int decide(kd_writer *w, kd_call *call)
{
	const kd_write_method *method = kd_write_method_find(call->method);
	git_oid before = w->head;
	locale_t previous = kd_call_locale_begin(call);

	method->run(w, call);
	kd_call_locale_end(previous);
	return !git_oid_equal(&before, &w->head);
}

/* Tells whether any call of the list was answered with an earlier commit. */
static int replays(const kd_call *calls)
{
	for (; calls; calls = calls->next)
		if (calls->result && json_is_true(json_object_get(calls->result, "replayed")))
			return 1;
	return 0;
}

/* The mirrors hand held answers on (kd_mirrors_answer_fn). */
static void answer_held(kd_call *calls, kd_call *tail, void *arg)
{
	kd_writer_answer(arg, calls, tail);
}

/*
 * Decides every call of a batch on top of the batch in flight, and what
 * queues until that one has landed, then hands them over: a batch is
 * stored, and answered, only after the one before it.
 */
static void process_batch(kd_writer *w, kd_call *batch, kd_call *tail)
{
	git_oid start;
	size_t commits = 0, n = 0;
	int landed_badly;

	/* A batch on top of one known to have failed would fail too: read the repository again. */
	pthread_mutex_lock(&w->lock);
	landed_badly = w->flight.state == KD_FLIGHT_FAILED;
	pthread_mutex_unlock(&w->lock);
	/* Reading the repository again, or fresh odbs, need everything landed. */
	if (w->stale || w->odb_stale_seen || landed_badly) {
		kd_flight_settle(w);
		if (w->odb_stale_seen && !w->stale && reopen_odbs(w) < 0) {
			log_warnx("cannot reopen the object database: %s", kd_git_message());
			w->stale = 1;
		}
		w->odb_stale_seen = 0;
	}
	if (resync(w) < 0) {
		for (kd_call *call = batch; call; call = call->next)
			kd_call_fail(
				call, KK_RPC_EWRITE, NULL,
				"the repository cannot be read at the moment; try again later");
		kd_writer_answer(w, batch, tail);
		return;
	}
	start = w->head;
	for (kd_call *call = batch; call; call = call->next) {
		commits += decide(w, call);
		n++;
	}
	/*
	 * While the batch before syncs, decide what queues meanwhile: the
	 * writer does not wait while there is work, and the syncer gets it
	 * all as soon as it is free.
	 */
	while (n < w->cfg->max_batch) {
		kd_call *more = NULL, *more_tail = NULL;

		pthread_mutex_lock(&w->lock);
		while (w->flight.state == KD_FLIGHT_SYNCING && !w->queue && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->flight.state == KD_FLIGHT_SYNCING)
			take_queued(w, &more, &more_tail, 1);
		pthread_mutex_unlock(&w->lock);
		if (!more)
			break;
		commits += decide(w, more);
		tail->next = more;
		tail = more;
		n++;
	}
	pthread_mutex_lock(&w->lock);
	kk_doccache_stats_get(w->docs, &w->stats.docs);
	pthread_mutex_unlock(&w->lock);

	if (kd_flight_settle(w) < 0) {
		/* This batch stands on one that is not stored: nor is it, for the same reason. */
		kd_fail_calls(batch, w->flight.errnum);
		commits = 0;
	}
	if (commits) {
		kd_flight_launch(w, batch, tail, &start, commits);
		return;
	}
	/* Objects of an update given up on, if any, are of no use. */
	git_mempack_reset(w->mempack);
	kd_writes_reset(&w->writes);
	/* A replayed answer, with --sync-mirrors, too waits until the mirrors hold it. */
	if (w->mirrors && w->cfg->sync_mirrors && replays(batch))
		kd_mirrors_hold(w->mirrors, batch, tail);
	else
		kd_writer_answer(w, batch, tail);
}

static void *writer_main(void *arg)
{
	kd_writer *w = arg;

	for (;;) {
		kd_call *batch = NULL, *tail = NULL;

		pthread_mutex_lock(&w->lock);
		while (!w->queue && !w->stopping)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->queue && w->stopping) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		take_queued(w, &batch, &tail, w->cfg->max_batch);
		/* Packs were merged: a fresh odb drops the old ones, once nothing is in flight. */
		w->odb_stale_seen |= w->odb_stale;
		w->odb_stale = 0;
		w->batches_since_check = 1;
		pthread_cond_signal(&w->maintain);
		pthread_mutex_unlock(&w->lock);

		process_batch(w, batch, tail);
	}
	/* Everything decided is stored (or refused) before the writer stops. */
	kd_flight_settle(w);
	pthread_mutex_lock(&w->lock);
	w->sync_stop = 1;
	pthread_cond_signal(&w->sync_work);
	pthread_mutex_unlock(&w->lock);
	kd_writer_thread_exit(w);
	return NULL;
}

static void finish_stop(kd_writer *w);

/* Tells whether every thread of the writer has returned (joining them will not wait). */
static int stopped_all(kd_writer *w)
{
	int running;

	pthread_mutex_lock(&w->lock);
	running = w->threads_running;
	pthread_mutex_unlock(&w->lock);
	return running == 0;
}

/* On the loop thread: hands every finished call back, the whole list each time. */
static void deliver(kd_writer *w)
{
	kd_call *list;

	pthread_mutex_lock(&w->lock);
	list = w->finished;
	w->finished = w->finished_tail = NULL;
	pthread_mutex_unlock(&w->lock);
	while (list) {
		kd_call *next = list->next;

		list->next = NULL;
		w->done(list, w->done_arg);
		list = next;
	}
}

static void on_finished(uv_async_t *async)
{
	kd_writer *w = async->data;

	deliver(w);
	if (w->stopped && stopped_all(w)) {
		/* What the threads answered after the list above was taken, before they returned.
		 */
		deliver(w);
		finish_stop(w);
	}
}

static void writer_free(kd_writer *w)
{
	kk_verifier_free(w->verifier);
	kk_doccache_free(w->docs);
	json_decref(w->request_ids);
	kk_fileset_clear(&w->files);
	kk_recent_clear(&w->recent);
	git_odb_free(w->odb); /* also frees the mempacks it owns */
	kk_store_free(w->store);
	git_repository_free(w->sync_repo);
	kd_trees_clear(w);
	free(w->pack_dir);
	kd_writes_clear(&w->writes);
	kd_writes_clear(&w->flight.writes);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	pthread_cond_destroy(&w->maintain);
	pthread_cond_destroy(&w->sync_work);
	pthread_cond_destroy(&w->synced);
	free(w);
}

int kd_writer_start(kd_writer **out, const kd_config *cfg, uv_loop_t *loop,
		    void (*done)(kd_call *call, void *arg), void *arg, char *errbuf, size_t errlen)
{
	kd_writer *w = calloc(1, sizeof(*w));

	if (!w) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	w->cfg = cfg;
	w->loop = loop;
	w->done = done;
	w->done_arg = arg;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	pthread_cond_init(&w->maintain, NULL);
	pthread_cond_init(&w->sync_work, NULL);
	pthread_cond_init(&w->synced, NULL);
	if (open_repository(w, errbuf, errlen) < 0) {
		writer_free(w);
		return -1;
	}
	kd_packs_maintain(w);
	if (w->odb_stale && reopen_odbs(w) < 0) {
		snprintf(errbuf, errlen, "cannot reopen the object database: %s", kd_git_message());
		writer_free(w);
		return -1;
	}
	w->odb_stale = 0;
	if (uv_async_init(loop, &w->async, on_finished) < 0) {
		snprintf(errbuf, errlen, "cannot set up the writer's wake-up");
		writer_free(w);
		return -1;
	}
	w->async.data = w;
	if (kd_mirrors_start(&w->mirrors, cfg, &w->head, answer_held, w, errbuf, errlen) < 0) {
		uv_close((uv_handle_t *)&w->async, NULL);
		return -1;
	}
	/* Named, for top -H and perf: the names show which thread is busy. */
	w->threads_running = 1;
	if (pthread_create(&w->syncer, NULL, kd_syncer_main, w) != 0) {
		snprintf(errbuf, errlen, "cannot start the syncer thread");
		kd_mirrors_stop(w->mirrors);
		uv_close((uv_handle_t *)&w->async, NULL);
		return -1; /* freed with the loop's handles by the caller's shutdown */
	}
	w->syncer_started = 1;
	pthread_setname_np(w->syncer, "kk-syncer");
	pthread_mutex_lock(&w->lock);
	w->threads_running++;
	pthread_mutex_unlock(&w->lock);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		snprintf(errbuf, errlen, "cannot start the writer thread");
		pthread_mutex_lock(&w->lock);
		w->sync_stop = 1;
		pthread_cond_signal(&w->sync_work);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->syncer, NULL);
		kd_mirrors_stop(w->mirrors);
		uv_close((uv_handle_t *)&w->async, NULL);
		return -1;
	}
	w->started = 1;
	pthread_setname_np(w->thread, "kk-writer");
	pthread_mutex_lock(&w->lock);
	w->threads_running++;
	pthread_mutex_unlock(&w->lock);
	if (pthread_create(&w->maintainer, NULL, kd_packs_main, w) == 0) {
		w->maintainer_started = 1;
		pthread_setname_np(w->maintainer, "kk-packs");
	} else {
		pthread_mutex_lock(&w->lock);
		w->threads_running--;
		pthread_mutex_unlock(&w->lock);
		log_warnx("cannot start the pack maintainer, ignoring: packs will not be merged");
	}
	*out = w;
	return 0;
}

void kd_writer_submit(kd_writer *w, kd_call *call)
{
	call->next = NULL;
	pthread_mutex_lock(&w->lock);
	if (w->queue_tail)
		w->queue_tail->next = call;
	else
		w->queue = call;
	w->queue_tail = call;
	w->stats.queued++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

json_t *kd_writer_mirrors_json(kd_writer *w)
{
	return kd_mirrors_json(w ? w->mirrors : NULL);
}

void kd_writer_mirrors_summary(kd_writer *w, char *buf, size_t size)
{
	kd_mirrors_summary(w ? w->mirrors : NULL, buf, size);
}

void kd_writer_stats_get(kd_writer *w, kd_writer_stats *out)
{
	pthread_mutex_lock(&w->lock);
	*out = w->stats;
	pthread_mutex_unlock(&w->lock);
}

static void on_async_closed(uv_handle_t *handle)
{
	writer_free(handle->data);
}

/* Tells the threads to finish: the writer stores what is queued, then the syncer stops. */
static void request_stop(kd_writer *w)
{
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->cond);
	pthread_cond_signal(&w->maintain);
	pthread_mutex_unlock(&w->lock);
}

static void join_threads(kd_writer *w)
{
	if (w->maintainer_started)
		pthread_join(w->maintainer, NULL);
	if (w->started)
		pthread_join(w->thread, NULL);
	/* The writer told the syncer to stop once everything had landed. */
	if (w->syncer_started)
		pthread_join(w->syncer, NULL);
	w->maintainer_started = w->started = w->syncer_started = 0;
	/* Then the answers held for the mirrors go out, and the mirrors stop. */
	kd_mirrors_stop(w->mirrors);
	w->mirrors = NULL;
}

/* On the loop thread, once every thread has returned: the rest of kd_writer_stop_async(). */
static void finish_stop(kd_writer *w)
{
	void (*stopped)(void *arg) = w->stopped;

	w->stopped = NULL;
	join_threads(w);
	deliver(w); /* what the mirrors held until they stopped */
	stopped(w->stopped_arg);
	uv_close((uv_handle_t *)&w->async, on_async_closed);
}

void kd_writer_stop_async(kd_writer *w, void (*stopped)(void *arg), void *arg)
{
	w->stopped = stopped;
	w->stopped_arg = arg;
	request_stop(w);
	/* In case no thread is left to say so. */
	uv_async_send(&w->async);
}

void kd_writer_stop(kd_writer *w)
{
	request_stop(w);
	join_threads(w);
	/* Answer what the last batch finished before the handle goes. */
	deliver(w);
	uv_close((uv_handle_t *)&w->async, on_async_closed);
}
