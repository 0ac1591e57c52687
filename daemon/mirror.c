/*
 * mirror.c - the mirrors keikakud keeps current.  Each mirror has a thread
 * of its own, which after every durable batch pushes refs/heads/main and
 * the tags (mirror_push.c: a local path, ssh, https), always the newest
 * state (pushes coalesce), never forcing: a mirror whose branch is not an
 * ancestor of ours, or whose tag differs, is reported as diverged and left
 * as it is.  A failed push is tried again after a backoff that doubles up
 * to --mirror-retry-max.  The writer and the syncer never wait for a
 * mirror; with --sync-mirrors K, the syncer leaves a batch's answers here,
 * and they go out once K mirrors hold the batch (or, after
 * --sync-mirrors-timeout, with -32009).
 *
 * The durable heads are numbered (`seq`, 0 for the head found at start) and
 * the latest KD_MIRROR_RING of them kept, with their time and the commits
 * made since start, so that a mirror's lag is told in commits and seconds
 * without reading git on the loop thread.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/ioprio.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "i18n.h"
#include "log.h"
#include "mirror.h"
#include "mirror_push.h"

#define KD_MIRROR_RING		 1024
#define KD_MIRROR_FIRST_RETRY_MS 250
/* An asynchronous mirror's pause after a push, which later batches share. */
#define KD_MIRROR_PAUSE_MS 200
/* How long kd_mirrors_stop() waits for a thread still pushing. */
#define KD_MIRROR_STOP_SECONDS 5

/* A durable head of the branch. */
typedef struct {
	long long seq;
	unsigned long long commits; /* made since start, up to and including this head */
	git_oid oid;
	time_t at;
} kd_durable;

typedef struct kd_mirror {
	struct kd_mirrors *set;
	char *url;	  /* as given: libgit2's */
	char shown[1024]; /* with its password, if any, redacted */
	pthread_t thread;
	int started;

	/* Under the set's lock. */
	long long pushed_seq; /* the newest durable head it holds, -1 until known */
	git_oid pushed;
	unsigned long long pushed_commits;
	time_t pushed_at;
	char error[512]; /* the last attempt's, "" after a success */
	time_t error_at;
	char last_error[512]; /* the last error ever, and when */
	time_t last_error_at;
	int diverged;
	unsigned failures;	  /* in a row */
	struct timespec next_try; /* not before: after a push, or a failure */
	int done;		  /* the thread has returned */

	kd_pusher pusher; /* the thread's own */
} kd_mirror;

/* Answers held until enough mirrors hold `seq`. */
typedef struct kd_held {
	kd_call *calls, *tail;
	long long seq;
	struct timespec deadline;
	struct kd_held *next;
} kd_held;

struct kd_mirrors {
	const kd_config *cfg;
	kd_mirrors_answer_fn answer;
	void *answer_arg;
	kd_mirror *items;
	size_t count;

	pthread_mutex_t lock;
	pthread_cond_t wake;
	kd_durable ring[KD_MIRROR_RING]; /* ring[seq % KD_MIRROR_RING] */
	long long seq;			 /* the latest durable head */
	kd_held *held, *held_tail;
	int stopping;
	pthread_t deadlines; /* with --sync-mirrors: see deadlines_main() */
	int deadlines_started;
};

static void now_plus_ms(struct timespec *ts, unsigned long long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int reached(const struct timespec *ts)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > ts->tv_sec || (now.tv_sec == ts->tv_sec && now.tv_nsec >= ts->tv_nsec);
}

static int earlier(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

int kd_mirror_url_check(const char *url, char *why, size_t size)
{
	const char *colon = strchr(url, ':'), *slash = strchr(url, '/');

	if (!*url) {
		snprintf(why, size, "a mirror's URL is empty");
		return -1;
	}
	if (url[0] == '/' || strncmp(url, "file:///", 8) == 0 || strncmp(url, "ssh://", 6) == 0 ||
	    strncmp(url, "https://", 8) == 0)
		return 0;
	/* scp-like: [user@]host:path, the colon before any slash. */
	if (colon && colon != url && (!slash || colon < slash) && !strstr(url, "://") && colon[1])
		return 0;
	snprintf(why, size,
		 "cannot push to mirror '%s': give an absolute path, a file://, ssh:// or "
		 "https:// URL, or user@host:path",
		 url);
	return -1;
}

/* A local mirror's directory as the kernel names it, or as given when it does not exist. */
static void local_dir(char *buf, size_t size, const char *path)
{
	char real[PATH_MAX];

	snprintf(buf, size, "%s", realpath(path, real) ? real : path);
}

int kd_mirrors_check(const char *repo, const char *const *urls, size_t count, char *why,
		     size_t size)
{
	char here[PATH_MAX], a[PATH_MAX], b[PATH_MAX];

	local_dir(here, sizeof(here), repo);
	for (size_t i = 0; i < count; i++) {
		const char *path = kd_push_local_path(urls[i]);

		if (path) {
			local_dir(a, sizeof(a), path);
			if (strcmp(a, here) == 0) {
				snprintf(why, size, "mirror '%s' is the repository itself",
					 urls[i]);
				return -1;
			}
		}
		for (size_t k = 0; k < i; k++) {
			const char *other = kd_push_local_path(urls[k]);
			int same = strcmp(urls[i], urls[k]) == 0;

			if (!same && path && other) {
				local_dir(b, sizeof(b), other);
				same = strcmp(a, b) == 0;
			}
			if (same) {
				snprintf(why, size, "mirrors '%s' and '%s' are the same", urls[k],
					 urls[i]);
				return -1;
			}
		}
	}
	return 0;
}

void kd_mirror_url_redact(char *buf, size_t size, const char *url)
{
	const char *scheme = strstr(url, "://"), *start, *at, *colon, *end;

	snprintf(buf, size, "%s", url);
	if (!scheme)
		return;
	start = scheme + 3;
	end = start + strcspn(start, "/");
	for (at = NULL, colon = start; colon < end; colon++)
		if (*colon == '@')
			at = colon;
	if (!at)
		return;
	colon = memchr(start, ':', (size_t)(at - start));
	if (colon) {
		snprintf(buf, size, "%.*s***%s", (int)(colon + 1 - url), url, at);
		return;
	}
	/* Over https the user alone may be the token (https://TOKEN@host/...). */
	if (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0)
		snprintf(buf, size, "%.*s***%s", (int)(start - url), url, at);
}

/* The ring's entry for `seq`, or NULL when it has gone round since. */
static const kd_durable *durable_at(const kd_mirrors *m, long long seq)
{
	const kd_durable *d;

	if (seq < 0 || seq > m->seq)
		return NULL;
	d = &m->ring[seq % KD_MIRROR_RING];
	return d->seq == seq ? d : NULL;
}

/* The newest durable head that is `oid`, or NULL; under the lock. */
static const kd_durable *durable_find(const kd_mirrors *m, const git_oid *oid)
{
	for (long long s = m->seq; s >= 0 && s > m->seq - KD_MIRROR_RING; s--) {
		const kd_durable *d = durable_at(m, s);

		if (!d)
			break;
		if (git_oid_equal(&d->oid, oid))
			return d;
	}
	return NULL;
}

/* --- Held answers. --- */

/* How many mirrors hold durable head `seq`; under the lock. */
static size_t holding(const kd_mirrors *m, long long seq)
{
	size_t n = 0;

	for (size_t i = 0; i < m->count; i++)
		n += m->items[i].pushed_seq >= seq;
	return n;
}

/* Why fewer than K mirrors hold it: the mirrors that lack it, with their errors. */
static void held_cause(const kd_mirrors *m, long long seq, json_t *list, char *text, size_t size)
{
	size_t used = 0;

	text[0] = '\0';
	for (size_t i = 0; i < m->count; i++) {
		const kd_mirror *mi = &m->items[i];
		const char *why = mi->error[0] ? mi->error : "still pushing";

		if (mi->pushed_seq >= seq)
			continue;
		json_array_append_new(list,
				      json_pack("{s:s, s:s}", "url", mi->shown, "error", why));
		if (used < size)
			used += (size_t)snprintf(text + used, size - used, "%s%s: %s",
						 used ? "; " : "", mi->shown, why);
	}
}

/* A held call that made or replayed a commit gets -32009 instead of its result. */
static void fail_held(kd_mirrors *m, kd_held *h)
{
	char cause[1024];

	for (kd_call *call = h->calls; call; call = call->next) {
		const json_t *commit =
			call->result ? json_object_get(call->result, "commit") : NULL;
		json_t *list, *data;
		locale_t previous;

		if (!json_is_string(commit))
			continue;
		list = json_array();
		held_cause(m, h->seq, list, cause, sizeof(cause));
		data = json_pack("{s:O, s:b, s:I, s:I, s:o}", "commit", commit, "stored", 1,
				 "required", (json_int_t)m->cfg->sync_mirrors, "holding",
				 (json_int_t)holding(m, h->seq), "mirrors", list);
		previous = kd_call_locale_begin(call);
		kd_call_fail(call, KK_RPC_EMIRRORS, data,
			     _("the update is stored here, but %zu of the %u mirrors it must "
			       "reach hold it after %u s: %s"),
			     holding(m, h->seq), m->cfg->sync_mirrors, m->cfg->sync_timeout, cause);
		kd_call_locale_end(previous);
		json_decref(call->result);
		call->result = NULL;
	}
}

/*
 * Hands on the held answers whose commit enough mirrors hold, and those
 * out of time.  Takes the set's lock and lets go of it to hand them on.
 */
static void release_held(kd_mirrors *m)
{
	kd_held *ready = NULL, **ready_tail = &ready, **p;

	pthread_mutex_lock(&m->lock);
	for (p = &m->held; *p;) {
		kd_held *h = *p;
		int enough = holding(m, h->seq) >= m->cfg->sync_mirrors;

		if (!enough && !reached(&h->deadline)) {
			p = &h->next;
			continue;
		}
		if (!enough)
			fail_held(m, h);
		*p = h->next;
		h->next = NULL;
		*ready_tail = h;
		ready_tail = &h->next;
	}
	m->held_tail = NULL;
	for (kd_held *h = m->held; h; h = h->next)
		m->held_tail = h;
	if (ready)
		pthread_cond_broadcast(&m->wake); /* kd_mirrors_stop() may wait for them */
	pthread_mutex_unlock(&m->lock);
	while (ready) {
		kd_held *next = ready->next;

		m->answer(ready->calls, ready->tail, m->answer_arg);
		free(ready);
		ready = next;
	}
}

void kd_mirrors_hold(kd_mirrors *m, kd_call *calls, kd_call *tail)
{
	kd_held *h = calloc(1, sizeof(*h));

	if (!h) {
		/* Nothing to wait with: answer as stored, and say so in the log. */
		log_warnx("cannot hold answers for the mirrors: out of memory; answering now");
		m->answer(calls, tail, m->answer_arg);
		return;
	}
	h->calls = calls;
	h->tail = tail;
	now_plus_ms(&h->deadline, (unsigned long long)m->cfg->sync_timeout * 1000);
	pthread_mutex_lock(&m->lock);
	h->seq = m->seq;
	if (m->held_tail)
		m->held_tail->next = h;
	else
		m->held = h;
	m->held_tail = h;
	pthread_cond_broadcast(&m->wake);
	pthread_mutex_unlock(&m->lock);
	release_held(m); /* the mirrors may hold it already */
}

/* --- The mirror threads. --- */

static void note_success(kd_mirror *mi, const git_oid *pushed)
{
	kd_mirrors *m = mi->set;
	const kd_durable *d = durable_find(m, pushed);
	int was_failing = mi->failures > 0, first = mi->pushed_seq < 0;

	mi->pushed = *pushed;
	mi->pushed_at = time(NULL);
	if (d && d->seq > mi->pushed_seq) {
		mi->pushed_seq = d->seq;
		mi->pushed_commits = d->commits;
	}
	mi->error[0] = '\0';
	mi->failures = 0;
	mi->diverged = 0;
	/*
	 * An asynchronous mirror takes a breath between pushes, and the batches
	 * of that time go in one: pushing after every batch of a busy writer
	 * cost a third of its rate.  With --sync-mirrors, answers wait: no pause.
	 */
	now_plus_ms(&mi->next_try, m->cfg->sync_mirrors ? 0 : KD_MIRROR_PAUSE_MS);
	if (was_failing)
		log_info("mirror %s: caught up at %s", mi->shown, git_oid_tostr_s(pushed));
	else if (first)
		log_info("mirror %s: holds %s", mi->shown, git_oid_tostr_s(pushed));
}

static void note_failure(kd_mirror *mi, const char *error, int diverged)
{
	unsigned long long delay = KD_MIRROR_FIRST_RETRY_MS,
			   cap = (unsigned long long)mi->set->cfg->mirror_retry_max * 1000;
	int changed = strcmp(mi->error, error) != 0;

	for (unsigned i = 0; i < mi->failures && delay < cap; i++)
		delay *= 2;
	if (delay > cap)
		delay = cap;
	mi->failures++;
	now_plus_ms(&mi->next_try, delay);
	snprintf(mi->error, sizeof(mi->error), "%s", error);
	snprintf(mi->last_error, sizeof(mi->last_error), "%s", error);
	mi->error_at = mi->last_error_at = time(NULL);
	mi->diverged = diverged;
	if (diverged && changed)
		log_warnx("mirror %s has diverged: %s", mi->shown, error);
	else if (changed)
		log_warnx("mirror %s: cannot push: %s; trying again in %llu ms", mi->shown, error,
			  delay);
	else
		log_debug("mirror %s: cannot push: %s; trying again in %llu ms", mi->shown, error,
			  delay);
}

static void *mirror_main(void *arg)
{
	kd_mirror *mi = arg;
	kd_mirrors *m = mi->set;

	/*
	 * Asynchronous mirrors yield the CPU and the disk to the writer and the
	 * syncer, as the pack maintainer does: on 2 cores, pushing at full
	 * priority took a third of the write rate.  Under load a push then
	 * waits, and carries more batches when it goes.  With --sync-mirrors
	 * the pushes are what answers wait for, and keep their priority.
	 */
	if (!m->cfg->sync_mirrors) {
		if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0,
			    IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0)) < 0)
			log_warn("cannot lower mirror %s's I/O priority, ignoring", mi->shown);
		if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) < 0)
			log_warn("cannot lower mirror %s's priority, ignoring", mi->shown);
	}
	pthread_mutex_lock(&m->lock);
	for (;;) {
		struct timespec until;

		/* Stopping, a mirror that is well gets what it lacks once more: current at exit. */
		if (m->stopping && !m->held && (mi->pushed_seq >= m->seq || mi->failures))
			break;
		if (mi->pushed_seq < m->seq &&
		    (reached(&mi->next_try) || (m->stopping && !mi->failures))) {
			char error[512] = "";
			git_oid pushed;
			int diverged, ok;

			struct timespec t0, t1, c0, c1;
			long long behind = m->seq - mi->pushed_seq;

			pthread_mutex_unlock(&m->lock);
			clock_gettime(CLOCK_MONOTONIC, &t0);
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
			ok = kd_push(&mi->pusher, &pushed, &diverged, error, sizeof(error)) == 0;
			clock_gettime(CLOCK_MONOTONIC, &t1);
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
			log_debug("mirror %s: push of %lld batches took %.1f ms, %.1f ms of CPU",
				  mi->shown, behind,
				  (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
					  (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
				  (double)(c1.tv_sec - c0.tv_sec) * 1e3 +
					  (double)(c1.tv_nsec - c0.tv_nsec) / 1e6);
			pthread_mutex_lock(&m->lock);
			if (ok)
				note_success(mi, &pushed);
			else
				note_failure(mi, error, diverged);
			pthread_mutex_unlock(&m->lock);
			release_held(m);
			kd_pusher_tidy(&mi->pusher);
			pthread_mutex_lock(&m->lock);
			continue;
		}
		/* Wake for new heads, the retry, and the held answers' deadlines. */
		now_plus_ms(&until, 1000);
		if (mi->pushed_seq < m->seq && earlier(&mi->next_try, &until))
			until = mi->next_try;
		if (m->held && earlier(&m->held->deadline, &until))
			until = m->held->deadline;
		pthread_cond_timedwait(&m->wake, &m->lock, &until);
		if (m->held) {
			pthread_mutex_unlock(&m->lock);
			release_held(m);
			pthread_mutex_lock(&m->lock);
		}
	}
	kd_pusher_clear(&mi->pusher);
	mi->done = 1;
	pthread_cond_broadcast(&m->wake);
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

/*
 * With --sync-mirrors, held answers go out at their deadline even when
 * every mirror thread is stuck in a push that never returns (an ssh host
 * that accepts and then says nothing: libgit2 1.5 has no timeout), so
 * their deadlines are kept by a thread of their own.
 */
static void *deadlines_main(void *arg)
{
	kd_mirrors *m = arg;

	pthread_mutex_lock(&m->lock);
	while (!m->stopping) {
		if (m->held) {
			struct timespec until = m->held->deadline;

			for (kd_held *h = m->held->next; h; h = h->next)
				if (earlier(&h->deadline, &until))
					until = h->deadline;
			if (pthread_cond_timedwait(&m->wake, &m->lock, &until) == ETIMEDOUT) {
				pthread_mutex_unlock(&m->lock);
				release_held(m);
				pthread_mutex_lock(&m->lock);
			}
		} else {
			pthread_cond_wait(&m->wake, &m->lock);
		}
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

static void mirrors_free(kd_mirrors *m)
{
	for (size_t i = 0; i < m->count; i++)
		free(m->items[i].url);
	free(m->items);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->wake);
	free(m);
}

int kd_mirrors_start(kd_mirrors **out, const kd_config *cfg, const git_oid *head,
		     kd_mirrors_answer_fn answer, void *arg, char *errbuf, size_t errlen)
{
	kd_mirrors *m;
	pthread_condattr_t attr;

	*out = NULL;
	if (!cfg->mirror_count)
		return 0;
	if (!(m = calloc(1, sizeof(*m))) ||
	    !(m->items = calloc(cfg->mirror_count, sizeof(*m->items)))) {
		free(m);
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	m->cfg = cfg;
	m->answer = answer;
	m->answer_arg = arg;
	m->count = cfg->mirror_count;
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&m->wake, &attr);
	pthread_condattr_destroy(&attr);
	m->ring[0] = (kd_durable){.seq = 0, .oid = *head, .at = time(NULL)};
	for (size_t i = 0; i < m->count; i++) {
		kd_mirror *mi = &m->items[i];

		mi->set = m;
		mi->pushed_seq = -1;
		kd_mirror_url_redact(mi->shown, sizeof(mi->shown), cfg->mirrors[i]);
		if (!(mi->url = strdup(cfg->mirrors[i]))) {
			snprintf(errbuf, errlen, "out of memory");
			mirrors_free(m);
			return -1;
		}
		mi->pusher.url = mi->url;
		mi->pusher.source = cfg->repo;
	}
	for (size_t i = 0; i < m->count; i++) {
		kd_mirror *mi = &m->items[i];

		if (pthread_create(&mi->thread, NULL, mirror_main, mi) != 0) {
			snprintf(errbuf, errlen, "cannot start the thread of mirror %s", mi->shown);
			kd_mirrors_stop(m);
			return -1;
		}
		mi->started = 1;
		pthread_setname_np(mi->thread, "kk-mirror");
		log_info("mirroring to %s", mi->shown);
	}
	if (cfg->sync_mirrors) {
		if (pthread_create(&m->deadlines, NULL, deadlines_main, m) != 0) {
			snprintf(errbuf, errlen,
				 "cannot start the thread of the mirrors' deadlines");
			kd_mirrors_stop(m);
			return -1;
		}
		m->deadlines_started = 1;
		pthread_setname_np(m->deadlines, "kk-mirror-held");
	}
	*out = m;
	return 0;
}

void kd_mirrors_durable(kd_mirrors *m, const git_oid *head, size_t commits)
{
	kd_durable *d;
	unsigned long long before;

	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	before = m->ring[m->seq % KD_MIRROR_RING].commits;
	m->seq++;
	d = &m->ring[m->seq % KD_MIRROR_RING];
	*d = (kd_durable){
		.seq = m->seq, .commits = before + commits, .oid = *head, .at = time(NULL)};
	pthread_cond_broadcast(&m->wake);
	pthread_mutex_unlock(&m->lock);
}

/* A mirror's lag: commits (-1: unknown) and seconds since the oldest head it lacks. */
static void lag(const kd_mirrors *m, const kd_mirror *mi, long long *commits, long long *seconds)
{
	const kd_durable *latest = durable_at(m, m->seq), *next;

	*commits = *seconds = 0;
	if (mi->pushed_seq >= m->seq)
		return;
	if (mi->pushed_seq < 0) {
		*commits = -1;
		*seconds = (long long)(time(NULL) - m->ring[0].at);
		return;
	}
	*commits = (long long)(latest->commits - mi->pushed_commits);
	next = durable_at(m, mi->pushed_seq + 1);
	/* Gone round the ring: at least as long as the oldest head kept. */
	if (!next)
		next = durable_at(m, m->seq - KD_MIRROR_RING + 1);
	*seconds = next ? (long long)(time(NULL) - next->at) : 0;
}

static json_t *time_json(time_t t)
{
	return t ? json_integer((json_int_t)t) : json_null();
}

json_t *kd_mirrors_json(kd_mirrors *m)
{
	json_t *list = json_array();

	if (!m || !list)
		return list;
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->count; i++) {
		const kd_mirror *mi = &m->items[i];
		long long commits, seconds;

		lag(m, mi, &commits, &seconds);
		json_array_append_new(
			list,
			json_pack("{s:s, s:o, s:o, s:{s:o, s:I}, s:b, s:o, s:o}", "url", mi->shown,
				  "pushed",
				  mi->pushed_seq >= 0 ? kd_oid_json(&mi->pushed) : json_null(),
				  "pushed_at", time_json(mi->pushed_at), "behind", "commits",
				  commits >= 0 ? json_integer(commits) : json_null(), "seconds",
				  (json_int_t)seconds, "diverged", mi->diverged, "error",
				  mi->last_error[0] ? json_string(mi->last_error) : json_null(),
				  "error_at", time_json(mi->last_error_at)));
	}
	pthread_mutex_unlock(&m->lock);
	return list;
}

void kd_mirrors_summary(kd_mirrors *m, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->count && used < size; i++) {
		const kd_mirror *mi = &m->items[i];
		long long commits, seconds;

		lag(m, mi, &commits, &seconds);
		used += (size_t)snprintf(buf + used, size - used, "%s%s ",
					 i ? "; " : "mirrors: ", mi->shown);
		if (used >= size)
			break;
		if (mi->diverged)
			used += (size_t)snprintf(buf + used, size - used, "diverged");
		else if (commits == 0)
			used += (size_t)snprintf(buf + used, size - used, "current");
		else if (commits < 0)
			used += (size_t)snprintf(buf + used, size - used, "not reached (%llds)",
						 seconds);
		else
			used += (size_t)snprintf(buf + used, size - used, "%lld behind (%llds)",
						 commits, seconds);
		if (used < size && mi->error[0])
			used += (size_t)snprintf(buf + used, size - used, ": %s", mi->error);
	}
	pthread_mutex_unlock(&m->lock);
}

void kd_mirrors_stop(kd_mirrors *m)
{
	struct timespec deadline;
	int left = 0;

	if (!m)
		return;
	/* The held answers go out as the mirrors take them, or at their deadlines. */
	pthread_mutex_lock(&m->lock);
	m->stopping = 1;
	pthread_cond_broadcast(&m->wake);
	while (m->held) {
		struct timespec until = m->held->deadline;

		pthread_cond_timedwait(&m->wake, &m->lock, &until);
		pthread_mutex_unlock(&m->lock);
		release_held(m);
		pthread_mutex_lock(&m->lock);
	}
	now_plus_ms(&deadline, KD_MIRROR_STOP_SECONDS * 1000);
	for (size_t i = 0; i < m->count; i++)
		while (m->items[i].started && !m->items[i].done &&
		       pthread_cond_timedwait(&m->wake, &m->lock, &deadline) != ETIMEDOUT)
			;
	pthread_mutex_unlock(&m->lock);
	if (m->deadlines_started)
		pthread_join(m->deadlines, NULL);
	for (size_t i = 0; i < m->count; i++) {
		kd_mirror *mi = &m->items[i];

		if (!mi->started)
			continue;
		if (mi->done) {
			pthread_join(mi->thread, NULL);
		} else {
			log_warnx("mirror %s: still pushing; leaving it", mi->shown);
			pthread_detach(mi->thread);
			left = 1;
		}
	}
	/* A thread left behind still uses the set: it goes with the process. */
	if (!left)
		mirrors_free(m);
}
