/*
 * reads.c - the read methods, answered on libuv's thread pool so that the
 * loop thread never waits on git I/O.  Each worker borrows a store from a
 * small pool: libgit2 repositories are not to be shared between threads.
 * With the store comes its query memo (HEAD's history and the versions its
 * queries parsed), so that an audit trail asked again, or page by page, is
 * not read and parsed again.  Each user's reads take turns in the user's
 * own queue, which is bounded.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "i18n.h"
#include "json.h"
#include "log.h"
#include "plan.h"
#include "query.h"
#include "revision.h"
#include "store.h"

/*
 * A query's result may share values with the documents its store's memo keeps
 * (a title, a version), and is written and freed on the loop thread while the
 * memo serves the next query on the pool: jansson's reference counts must be
 * atomic.
 */
#ifndef JANSSON_THREAD_SAFE_REFCOUNT
#error "keikakud needs jansson built with atomic reference counts (2.11 or later)"
#endif

#define POOL_MAX 8
/*
 * A store's object database keeps the packs it has seen, also after the
 * writer merged them away; reopening stores now and then lets them go.
 * An older store is closed, with its memo, when it is next borrowed or, if
 * it waits in the pool, at the server's next tick (kd_reads_expire()).
 */
#define POOL_MAX_AGE 10

/* A store of the pool, and what its queries keep between them. */
typedef struct kd_pooled {
	kk_store *store;
	kk_query_memo *memo;
	time_t opened;
} kd_pooled;

/*
 * At most this many reads of one user run on the thread pool at once (it has
 * four threads by default): the rest wait in the user's queue, so that one
 * user's flood of queries does not make everyone else's wait behind it.
 */
#define KD_READS_PER_USER 2

/* A user's reads: how many run, and those waiting their turn (loop thread only). */
typedef struct kd_read_queue {
	uid_t uid;
	unsigned running;
	unsigned waiting; /* in head ... tail */
	kd_call *head, *tail;
	struct kd_read_queue *next;
} kd_read_queue;

struct kd_reads {
	uv_loop_t *loop;
	uv_after_work_cb done; /* the server's, for every read */
	kd_read_queue *queues; /* of the users with reads running or waiting */
	unsigned max_queued;   /* a user's reads waiting at most */
	char *repo;
	uid_t owner;
	pthread_mutex_t lock;
	kd_pooled pool[POOL_MAX]; /* the stores not lent out, the last given back last */
	size_t pooled;
};

/* Minutes east of UTC here, now: the zone a caller's dates are meant in. */
static int local_offset(void)
{
	time_t now = time(NULL);
	struct tm tm;

	return localtime_r(&now, &tm) ? (int)(tm.tm_gmtoff / 60) : 0;
}

static void pooled_close(kd_pooled *p)
{
	kk_query_memo_free(p->memo);
	kk_store_free(p->store);
	p->memo = NULL;
	p->store = NULL;
}

int kd_reads_new(kd_reads **out, const char *repo, uid_t owner, unsigned max_queued)
{
	kd_reads *r = calloc(1, sizeof(*r));

	if (!r || !(r->repo = strdup(repo))) {
		free(r);
		return -1;
	}
	r->owner = owner;
	r->max_queued = max_queued;
	pthread_mutex_init(&r->lock, NULL);
	*out = r;
	return 0;
}

void kd_reads_free(kd_reads *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->pooled; i++)
		pooled_close(&r->pool[i]);
	while (r->queues) {
		kd_read_queue *q = r->queues;

		r->queues = q->next;
		free(q);
	}
	pthread_mutex_destroy(&r->lock);
	free(r->repo);
	free(r);
}

/* Lends a store of the pool, or a new one; fails with the call's error set. */
static int borrow(kd_pooled *out, kd_reads *r, kd_call *call)
{
	kd_pooled p = {0};
	kk_diag diag = {0};
	time_t now = time(NULL);

	pthread_mutex_lock(&r->lock);
	if (r->pooled)
		p = r->pool[--r->pooled];
	pthread_mutex_unlock(&r->lock);
	if (p.store && now - p.opened > POOL_MAX_AGE)
		pooled_close(&p);
	if (!p.store) {
		p.opened = now;
		if (kk_store_discover(&p.store, r->repo, &diag) < 0) {
			log_warnx("cannot open repository '%s': %s", r->repo, diag.message);
			kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "cannot open the repository");
			return -1;
		}
	}
	/* Without a memo (out of memory), the queries read everything afresh. */
	if (!p.memo)
		p.memo = kk_query_memo_new();
	*out = p;
	return 0;
}

static void give_back(kd_reads *r, kd_pooled *p)
{
	pthread_mutex_lock(&r->lock);
	if (r->pooled < POOL_MAX) {
		r->pool[r->pooled++] = *p;
		p->store = NULL;
		p->memo = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	pooled_close(p);
}

int kd_reads_expire(kd_reads *r)
{
	kd_pooled old[POOL_MAX];
	size_t n = 0, kept = 0;
	time_t now = time(NULL);

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->pooled; i++) {
		if (now - r->pool[i].opened > POOL_MAX_AGE)
			old[n++] = r->pool[i];
		else
			r->pool[kept++] = r->pool[i];
	}
	r->pooled = kept;
	pthread_mutex_unlock(&r->lock);
	for (size_t i = 0; i < n; i++)
		pooled_close(&old[i]);
	return (int)n;
}

static const char *const read_methods[] = {"whoami", "item.get", "item.list", "plan.get",
					   "plan.files"};

int kd_reads_handles(const char *method)
{
	for (size_t i = 0; i < sizeof(read_methods) / sizeof(*read_methods); i++)
		if (strcmp(method, read_methods[i]) == 0)
			return 1;
	return kk_query_handles(method);
}

/* The audit queries: core answers them as it does for the offline CLI. */
static int do_query(kk_store *store, kk_query_memo *memo, kd_call *call)
{
	kk_query_env env = {.memo = memo};
	kk_diag diag = {0};
	int error;

	/* Dates are meant in the daemon's time zone, which is the organisation's. */
	env.utc_offset = local_offset();
	env.use_cache = 1;
	if ((error = kk_query_run(&call->result, store, call->method, call->params, &env, &diag)) ==
	    0)
		return 0;
	switch (error) {
	case KK_EINVALID:
		return kd_call_fail(
			call, diag.pointer[0] && !diag.path[0] ? KK_RPC_EPARAMS : KK_RPC_EINTERNAL,
			NULL, "%s", diag.message);
	case KK_ENOTFOUND: return kd_call_fail(call, KK_RPC_ENOTFOUND, NULL, "%s", diag.message);
	default:
		log_warnx("%s: %s", call->method, diag.message);
		return kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "%s", diag.message);
	}
}

/* Resolves the "at" parameter (default HEAD) to a commit. */
static int resolve(git_oid *out, kk_store *store, kd_call *call)
{
	const char *at;
	kk_diag diag = {0};

	if (kd_param_string(&at, call, "at", 0) < 0)
		return -1;
	/* As the queries take them: @DATE (in the daemon's time zone) and fyYYYY too. */
	if (kk_query_resolve(out, store, at,
			     &(kk_query_env){.utc_offset = local_offset(), .use_cache = 1},
			     &diag) < 0)
		return kd_call_fail(call,
				    diag.code == KK_ENOTFOUND  ? KK_RPC_ENOTFOUND
				    : diag.code == KK_EINVALID ? KK_RPC_EPARAMS
							       : KK_RPC_EINTERNAL,
				    NULL, "%s", diag.message);
	return 0;
}

static int read_json(json_t **out, kk_store *store, const git_oid *commit, const char *path,
		     kd_call *call)
{
	kk_diag diag = {0};
	char *data = NULL;
	size_t len = 0;
	int error;

	if ((error = kk_store_read(&data, &len, store, commit, path, &diag)) == 0)
		error = kk_json_parse(out, data, len, NULL, &diag);
	free(data);
	if (error < 0)
		return kd_call_fail(call,
				    error == KK_ENOTFOUND ? KK_RPC_ENOTFOUND : KK_RPC_EINTERNAL,
				    NULL, "%s", diag.message);
	return 0;
}

static json_t *commit_hex(const git_oid *oid)
{
	char hex[GIT_OID_HEXSZ + 1];

	return json_string(git_oid_tostr(hex, sizeof(hex), oid));
}

static int do_whoami(kd_reads *r, kk_store *store, kd_call *call)
{
	json_t *departments = NULL;
	git_oid head;

	if (resolve(&head, store, call) < 0 ||
	    read_json(&departments, store, &head, KK_PATH_DEPARTMENTS, call) < 0)
		return -1;
	kk_identity_resolve(&call->who, departments, r->owner);
	json_decref(departments);
	call->result = kk_identity_to_json(&call->who);
	return 0;
}

static int do_item_get(kk_store *store, kd_call *call)
{
	char path[KK_ITEM_PATH_MAX];
	json_t *item = NULL;
	json_int_t id;
	git_oid commit;

	if (kd_param_id(&id, call, "id") < 0 || resolve(&commit, store, call) < 0)
		return -1;
	kk_item_path(path, sizeof(path), id);
	if (read_json(&item, store, &commit, path, call) < 0) {
		if (json_integer_value(json_object_get(call->error, "code")) == KK_RPC_ENOTFOUND)
			kd_call_fail(call, KK_RPC_ENOTFOUND, NULL, "item %lld does not exist",
				     (long long)id);
		return -1;
	}
	call->result = json_pack("{s:o, s:o}", "commit", commit_hex(&commit), "item", item);
	return 0;
}

static int do_item_list(kk_store *store, kd_call *call)
{
	kk_fileset files = {0};
	kk_plan *plan = NULL;
	kk_diag diag = {0};
	const char *owner, *status;
	json_t *items = NULL, *item;
	git_oid commit;
	size_t i;
	int error = -1;

	if (kd_param_string(&owner, call, "owner", 0) < 0 ||
	    kd_param_string(&status, call, "status", 0) < 0 || resolve(&commit, store, call) < 0)
		return -1;
	if (kk_store_read_all(&files, store, &commit, &diag) < 0 ||
	    kk_plan_load(&plan, &files, &diag) < 0) {
		kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "%s", diag.message);
		goto done;
	}
	if (!(items = json_array()))
		goto done;
	json_array_foreach(plan->items, i, item) {
		if (owner && !kk_item_owned_by(item, owner))
			continue;
		if (status && strcmp(json_string_value(json_object_get(item, "status")), status))
			continue;
		json_array_append(items, item);
	}
	call->result = json_pack("{s:o, s:O}", "commit", commit_hex(&commit), "items", items);
	error = 0;
done:
	json_decref(items);
	kk_plan_free(plan);
	kk_fileset_clear(&files);
	return error;
}

static int do_plan_get(kk_store *store, kd_call *call)
{
	const char *file;
	json_t *doc = NULL;
	git_oid commit;

	if (kd_param_string(&file, call, "file", 1) < 0)
		return -1;
	if (strcmp(file, KK_PATH_SETTINGS) && strcmp(file, KK_PATH_DEPARTMENTS) &&
	    strcmp(file, KK_PATH_STRUCTURE))
		return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
				    "invalid params: 'file' must be keikaku.json, departments.json "
				    "or plan.json");
	if (resolve(&commit, store, call) < 0 || read_json(&doc, store, &commit, file, call) < 0)
		return -1;
	call->result = json_pack("{s:o, s:o}", "commit", commit_hex(&commit), "content", doc);
	return 0;
}

/* The most paths plan.files takes: a command reads one item and its context, or everything. */
#define FILES_PATHS_MAX 64

/* Adds each file of `set` to `files` (path -> text); 0, or -1 when out of memory or not text. */
static int files_to_json(json_t *files, const kk_fileset *set)
{
	for (size_t i = 0; i < set->count; i++) {
		const kk_file *f = &set->files[i];

		/* jansson checks the text: a file that is not UTF-8 fails here. */
		if (json_object_set_new(files, f->path, json_stringn(f->data, f->len)) < 0)
			return -1;
	}
	return 0;
}

/*
 * plan.files: the files of the plan at "at" (default HEAD) as they are
 * stored, for commands that read the plan on the client (show, list,
 * report, so that keikakud and a clone give them the same bytes): every
 * file, or only "paths" (those that exist).
 */
static int do_plan_files(kk_store *store, kd_call *call)
{
	const json_t *paths = json_object_get(call->params, "paths"), *p;
	kk_fileset set = {0};
	kk_diag diag = {0};
	json_t *files = NULL;
	git_commit *gc = NULL;
	git_oid commit;
	size_t i;
	int error = -1;

	if (paths && !json_is_null(paths) &&
	    (!json_is_array(paths) || json_array_size(paths) > FILES_PATHS_MAX))
		return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
				    "invalid params: 'paths' must be an array of at most %d paths",
				    FILES_PATHS_MAX);
	if (resolve(&commit, store, call) < 0)
		return -1;
	if (!paths || json_is_null(paths)) {
		error = kk_store_read_all(&set, store, &commit, &diag);
	} else {
		/* "paths": [] asks for no file, and gets none. */
		error = 0;
		json_array_foreach(paths, i, p) {
			const char *path = json_string_value(p);
			char *data = NULL;
			size_t len = 0;

			if (!path || !kk_fileset_path_valid(path)) {
				kk_fileset_clear(&set);
				return kd_call_fail(call, KK_RPC_EPARAMS, NULL,
						    "invalid params: 'paths' must hold relative "
						    "paths of the plan");
			}
			/* A path that does not exist is left out: the caller says what that means.
			 */
			error = kk_store_read(&data, &len, store, &commit, path, &diag);
			if (error == 0)
				error = kk_fileset_put(&set, path, data, len, &diag);
			else if (error == KK_ENOTFOUND)
				error = 0;
			free(data);
			if (error < 0)
				break;
		}
	}
	if (error < 0) {
		log_warnx("plan.files: %s", diag.message);
		kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "%s", diag.message);
		goto done;
	}
	if (!(files = json_object()) || files_to_json(files, &set) < 0) {
		kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "a file of the plan is not UTF-8 text");
		goto done;
	}
	if (git_commit_lookup(&gc, kk_store_repository(store), &commit) < 0) {
		kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "cannot read commit %s",
			     git_oid_tostr_s(&commit));
		goto done;
	}
	call->result = json_pack("{s:o, s:I, s:O}", "commit", commit_hex(&commit), "time",
				 (json_int_t)git_commit_time(gc), "files", files);
	error = 0;
done:
	git_commit_free(gc);
	json_decref(files);
	kk_fileset_clear(&set);
	return error;
}

void kd_reads_answer(kd_reads *r, kd_call *call)
{
	locale_t previous = kd_call_locale_begin(call);
	kd_pooled p;
	kk_store *store;

	if (borrow(&p, r, call) < 0) {
		kd_call_locale_end(previous);
		return;
	}
	store = p.store;
	if (strcmp(call->method, "whoami") == 0)
		do_whoami(r, store, call);
	else if (strcmp(call->method, "item.get") == 0)
		do_item_get(store, call);
	else if (strcmp(call->method, "item.list") == 0)
		do_item_list(store, call);
	else if (strcmp(call->method, "plan.get") == 0)
		do_plan_get(store, call);
	else if (strcmp(call->method, "plan.files") == 0)
		do_plan_files(store, call);
	else
		do_query(store, p.memo, call);
	if (!call->result && !call->error)
		kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "out of memory");
	give_back(r, &p);
	kd_call_locale_end(previous);
}

static void run(uv_work_t *work)
{
	kd_call *call = work->data;

	kd_reads_answer(call->handler, call);
}

/* The user's queue of reads waiting for their turn, made when `create`; NULL if none. */
static kd_read_queue *user_queue(kd_reads *r, uid_t uid, int create)
{
	kd_read_queue *q;

	for (q = r->queues; q; q = q->next)
		if (q->uid == uid)
			return q;
	if (!create || !(q = calloc(1, sizeof(*q))))
		return NULL;
	q->uid = uid;
	q->next = r->queues;
	r->queues = q;
	return q;
}

static void user_queue_drop(kd_reads *r, kd_read_queue *q)
{
	for (kd_read_queue **p = &r->queues; *p; p = &(*p)->next) {
		if (*p == q) {
			*p = q->next;
			free(q);
			return;
		}
	}
}

static void read_done(uv_work_t *work, int status);

static int start(kd_reads *r, kd_read_queue *q, kd_call *call)
{
	int error;

	call->handler = r;
	call->work.data = call;
	if ((error = uv_queue_work(r->loop, &call->work, run, read_done)) == 0)
		q->running++;
	return error;
}

/* On the loop thread: a read is answered; the user's next one takes its place. */
static void read_done(uv_work_t *work, int status)
{
	kd_call *call = work->data;
	kd_reads *r = call->handler;
	kd_read_queue *q = user_queue(r, call->who.uid, 0);

	if (q) {
		q->running--;
		while (q->head && q->running < KD_READS_PER_USER) {
			kd_call *next = q->head;

			q->head = next->next;
			if (!q->head)
				q->tail = NULL;
			next->next = NULL;
			q->waiting--;
			if (start(r, q, next) < 0) {
				kd_call_fail(next, KK_RPC_EINTERNAL, NULL,
					     "cannot queue the request");
				r->done(&next->work, 0);
			}
		}
		if (!q->head && q->running == 0)
			user_queue_drop(r, q);
	}
	r->done(work, status);
}

/*
 * Refuses a read over the user's limit, in the caller's language: the
 * message says what to do, the data the limit.
 */
static int refuse_over_limit(kd_reads *r, kd_call *call)
{
	locale_t previous = kd_call_locale_begin(call);

	kd_call_fail(call, KK_RPC_ELIMIT, json_pack("{s:I}", "limit", (json_int_t)r->max_queued),
		     _("too many reads waiting for '%s' (at most %u): wait for the answers "
		       "before asking more"),
		     call->who.user, r->max_queued);
	kd_call_locale_end(previous);
	return -1;
}

int kd_reads_queue(kd_reads *r, uv_loop_t *loop, kd_call *call, uv_after_work_cb done)
{
	kd_read_queue *q = user_queue(r, call->who.uid, 1);

	r->loop = loop;
	r->done = done;
	if (!q)
		return kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "cannot queue the request");
	if (q->running < KD_READS_PER_USER) {
		if (start(r, q, call) == 0)
			return 0;
		if (q->running == 0 && !q->head)
			user_queue_drop(r, q);
		return kd_call_fail(call, KK_RPC_EINTERNAL, NULL, "cannot queue the request");
	}
	/*
	 * Across all the user's connections: each has its own bound on
	 * requests in flight, and a user with many of them would otherwise
	 * queue as many reads as connections allow.
	 */
	if (q->waiting >= r->max_queued)
		return refuse_over_limit(r, call);
	/* Its turn comes as the user's earlier reads are answered. */
	call->handler = r;
	call->work.data = call;
	call->next = NULL;
	if (q->tail)
		q->tail->next = call;
	else
		q->head = call;
	q->tail = call;
	q->waiting++;
	return 0;
}
