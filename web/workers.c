/*
 * workers.c - the pages' makers (workers.h): the repository handles, lent in
 * a first-come line to the connections' threads, each with a memo of HEAD's
 * history; and the costly pages' lane, its bounded line and its threads, 10
 * nicer than the rest, each with a handle and a memo of its own, to which a
 * connection's thread hands a costly page and waits.  One mutex for all of
 * it, held only to take or give back a turn and to hand a page over.
 */
#include "workers.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "i18n.h"
#include "query.h"

/* How much nicer than the others the threads that make costly pages are: others first. */
#define KW_COSTLY_NICE 10

/* A request waiting in a line. */
typedef struct kw_waiter {
	pthread_cond_t cond;
	struct kw_waiter *next;
} kw_waiter;

/*
 * A first-come line for `free` turns (the repository handles; the costly pages' slots):
 * none is passed by a later request, and a turn given back wakes only the first in line
 * (each waits on its own condition).  With `bounded`, at most `max_waiting` wait.
 */
typedef struct kw_line {
	unsigned free;
	unsigned waiting, max_waiting;
	int bounded;
	kw_waiter *head, *tail;
} kw_line;

struct kw_workers {
	locale_t ja, en;
	pthread_mutex_t lock;
	kk_store **stores;
	kk_query_memo **memos; /* each store's HEAD history, kept between requests */
	int *busy;
	unsigned nstores;
	kw_line handles; /* requests waiting for a repository handle */
	kw_line costly;	 /* costly pages (kw_page_costly()) waiting to be made */
	int costly_lane; /* costly pages go through `costly` first */
	/* The costly pages' threads, one per costly turn, and the pages handed to them. */
	struct kw_costly *costly_threads;
	unsigned ncostly_threads;
	pthread_cond_t jobs_cond;
	struct kw_job *jobs, *jobs_tail;
	int stopping;
};

/* --- the lines: repository handles, costly pages --- */

/* Takes a turn of `l`, under `lock`, waiting for it; returns 0, or -1 when the line is full. */
static int line_enter(kw_line *l, pthread_mutex_t *lock)
{
	kw_waiter me = {.next = NULL};

	if (!l->head && l->free) {
		l->free--;
		return 0;
	}
	if (l->bounded && l->waiting >= l->max_waiting)
		return -1;
	pthread_cond_init(&me.cond, NULL);
	*(l->head ? &l->tail->next : &l->head) = &me;
	l->tail = &me;
	l->waiting++;
	while (l->head != &me || !l->free)
		pthread_cond_wait(&me.cond, lock);
	l->free--;
	l->waiting--;
	if (!(l->head = me.next))
		l->tail = NULL;
	else if (l->free)
		pthread_cond_signal(&l->head->cond); /* it may find a turn free too */
	pthread_cond_destroy(&me.cond);
	return 0;
}

/* Gives a turn of `l` back, under the lock of line_enter(). */
static void line_leave(kw_line *l)
{
	l->free++;
	if (l->head)
		pthread_cond_signal(&l->head->cond);
}

/* Lends a handle, in the order the requests asked. */
static kk_store *borrow(kw_workers *s, unsigned *slot)
{
	kk_store *store = NULL;

	pthread_mutex_lock(&s->lock);
	line_enter(&s->handles, &s->lock); /* unbounded: never full */
	for (unsigned i = 0; i < s->nstores && !store; i++)
		if (!s->busy[i]) {
			s->busy[i] = 1;
			*slot = i;
			store = s->stores[i];
		}
	pthread_mutex_unlock(&s->lock);
	return store; /* a turn is a free handle */
}

static void give_back(kw_workers *s, unsigned slot)
{
	pthread_mutex_lock(&s->lock);
	s->busy[slot] = 0;
	line_leave(&s->handles);
	pthread_mutex_unlock(&s->lock);
}

/* A costly page's turn: 0, or -1 when as many wait as may. */
static int costly_enter(kw_workers *s)
{
	int error;

	pthread_mutex_lock(&s->lock);
	error = line_enter(&s->costly, &s->lock);
	pthread_mutex_unlock(&s->lock);
	return error;
}

static void costly_leave(kw_workers *s)
{
	pthread_mutex_lock(&s->lock);
	line_leave(&s->costly);
	pthread_mutex_unlock(&s->lock);
}

/* Makes the page of `req` into `res` on `store`, in the language asked for. */
static void make_page_on(kw_workers *s, kw_request *req, kw_response *res, kk_store *store,
			 kk_query_memo *memo)
{
	locale_t old = uselocale(req->english ? s->en : s->ja); /* gettext follows it */

	req->store = store;
	req->memo = memo;
	kw_page_answer(res, req);
	req->store = NULL;
	req->memo = NULL;
	uselocale(old);
}

/* The same on a borrowed handle. */
static void make_page(kw_workers *s, kw_request *req, kw_response *res)
{
	unsigned slot = 0;
	kk_store *store = borrow(s, &slot);

	make_page_on(s, req, res, store, s->memos[slot]);
	give_back(s, slot);
}

/* --- the costly pages' threads --- */

/* A costly page handed to a costly thread, and whether it is made. */
typedef struct kw_job {
	kw_request *req;
	kw_response *res;
	int done;
	pthread_cond_t cond;
	struct kw_job *next;
} kw_job;

/* A thread that makes costly pages, with a repository handle of its own. */
typedef struct kw_costly {
	kw_workers *workers;
	pthread_t thread;
	kk_store *store;
	kk_query_memo *memo; /* HEAD's history, kept between pages */
	int started;
} kw_costly;

/*
 * Makes the costly pages handed to it, on its own handle and at a lower CPU priority than
 * the threads of the connections: a costly page takes neither a handle nor the CPU from
 * the other pages.  There are as many of these threads as costly turns, so a page handed
 * over never waits for one.
 */
static void *costly_thread(void *arg)
{
	kw_costly *me = arg;
	kw_workers *s = me->workers;
	id_t tid = (id_t)syscall(SYS_gettid);
	kw_job *job;
	int level;

	/*
	 * Relative to the process's nice (a server started with nice -n 5 makes them 15), and
	 * only ever lowered, which needs no privilege; if refused, it is the others' equal.
	 */
	errno = 0;
	level = getpriority(PRIO_PROCESS, tid) + KW_COSTLY_NICE;
	if (errno == 0)
		(void)setpriority(PRIO_PROCESS, tid, level > 19 ? 19 : level);
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->jobs && !s->stopping)
			pthread_cond_wait(&s->jobs_cond, &s->lock);
		if (!(job = s->jobs))
			break;
		if (!(s->jobs = job->next))
			s->jobs_tail = NULL;
		pthread_mutex_unlock(&s->lock);
		make_page_on(s, job->req, job->res, me->store, me->memo);
		pthread_mutex_lock(&s->lock);
		job->done = 1;
		pthread_cond_signal(&job->cond);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Has a costly thread make the page of `req`, and waits; the caller holds a costly turn. */
static void make_costly_page(kw_workers *s, kw_request *req, kw_response *res)
{
	kw_job job = {.req = req, .res = res};

	pthread_cond_init(&job.cond, NULL);
	pthread_mutex_lock(&s->lock);
	*(s->jobs ? &s->jobs_tail->next : &s->jobs) = &job;
	s->jobs_tail = &job;
	pthread_cond_signal(&s->jobs_cond);
	while (!job.done)
		pthread_cond_wait(&job.cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	pthread_cond_destroy(&job.cond);
}

static int start_costly_threads(kw_workers *s, const char *repo, unsigned n, kk_diag *diag)
{
	int error;

	if (!(s->costly_threads = calloc(n, sizeof(*s->costly_threads))))
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	s->ncostly_threads = n;
	for (unsigned i = 0; i < n; i++) {
		kw_costly *c = &s->costly_threads[i];

		c->workers = s;
		if ((error = kk_store_discover(&c->store, repo, diag)) < 0)
			return error;
		if (!(c->memo = kk_query_memo_new()))
			return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
		if ((error = pthread_create(&c->thread, NULL, costly_thread, c)) != 0) {
			kk_diag_set(diag, KK_EIO, _("cannot start a thread"));
			kk_diag_set_errno(diag, error);
			return KK_EIO;
		}
		c->started = 1;
	}
	return 0;
}

/* Stops the costly threads once they are idle: no connection is left to hand them a page. */
static void stop_costly_threads(kw_workers *s)
{
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->jobs_cond);
	pthread_mutex_unlock(&s->lock);
	for (unsigned i = 0; i < s->ncostly_threads; i++) {
		kw_costly *c = &s->costly_threads[i];

		if (c->started)
			pthread_join(c->thread, NULL);
		kk_query_memo_free(c->memo);
		kk_store_free(c->store);
	}
	free(s->costly_threads);
}

/* --- the workers --- */

int kw_workers_new(kw_workers **out, const char *repo, unsigned handles, unsigned costly_pages,
		   unsigned costly_queue, locale_t ja, locale_t en, kk_diag *diag)
{
	kw_workers *s = calloc(1, sizeof(*s));
	int error = 0;

	if (!s)
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->jobs_cond, NULL);
	s->ja = ja;
	s->en = en;
	s->nstores = handles;
	s->handles.free = handles;
	s->costly_lane = costly_pages > 0;
	s->costly.free = costly_pages;
	s->costly.bounded = 1;
	s->costly.max_waiting = costly_queue;
	if (!(s->stores = calloc(handles, sizeof(*s->stores))) ||
	    !(s->memos = calloc(handles, sizeof(*s->memos))) ||
	    !(s->busy = calloc(handles, sizeof(*s->busy)))) {
		error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
		goto fail;
	}
	for (unsigned i = 0; i < handles; i++) {
		if ((error = kk_store_discover(&s->stores[i], repo, diag)) < 0)
			goto fail;
		if (!(s->memos[i] = kk_query_memo_new())) {
			error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
			goto fail;
		}
	}
	if (s->costly_lane && (error = start_costly_threads(s, repo, costly_pages, diag)) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	kw_workers_free(s);
	return error;
}

void kw_workers_free(kw_workers *s)
{
	if (!s)
		return;
	stop_costly_threads(s);
	pthread_cond_destroy(&s->jobs_cond);
	for (unsigned i = 0; s->memos && i < s->nstores; i++)
		kk_query_memo_free(s->memos[i]);
	for (unsigned i = 0; s->stores && i < s->nstores; i++)
		kk_store_free(s->stores[i]);
	free(s->memos);
	free(s->stores);
	free(s->busy);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/*
 * At most as many pages at once as there are handles, and of the costly ones only a few,
 * on threads of lower priority, so that a flood of them leaves handles and CPU to the
 * others.  A costly page that finds its line full is a 503, in the language asked for.
 */
void kw_workers_make(kw_workers *s, kw_request *req, kw_response *res)
{
	locale_t old;

	if (!s->costly_lane || !kw_page_costly(req)) {
		make_page(s, req, res);
	} else if (costly_enter(s) == 0) {
		make_costly_page(s, req, res);
		costly_leave(s);
	} else {
		old = uselocale(req->english ? s->en : s->ja);
		kw_busy_page(res, req);
		uselocale(old);
	}
}
