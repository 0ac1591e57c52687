/*
 * deadline.c - the deadline for a request's line and headers (deadline.h): each open
 * connection's clock, and the thread that shuts down those past it.
 *
 * The connections are a list under one mutex, entered and left by libmicrohttpd's
 * notifications; a clock is one atomic, so that the access handler and the notice of an
 * answer sent take no lock.  libmicrohttpd closes a connection's socket only after the
 * notice that it closed (MHD_CONNECTION_NOTIFY_CLOSED, 0.9.75's daemon.c), which takes
 * the mutex: so the watcher, holding it, never shuts down a socket number that has
 * passed to another connection.
 */
#include "deadline.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "i18n.h"

/* How often the watcher looks, in milliseconds: a connection may overstay by this much. */
#define KW_DEADLINE_TICK 250

typedef struct kw_watched {
	int fd;
	/* When its clock started (ms, CLOCK_MONOTONIC), or -1 while a request is answered. */
	_Atomic long long since;
	int shut; /* shut down already */
	struct kw_watched *prev, *next;
} kw_watched;

struct kw_deadline {
	long long limit_ms;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	kw_watched *head;
	int stopping;
	pthread_t thread;
};

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The watcher: every tick, shuts down the sockets of connections past the deadline. */
static void *watch(void *arg)
{
	kw_deadline *d = arg;
	struct timespec until;

	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		long long now = now_ms();

		for (kw_watched *w = d->head; w; w = w->next) {
			long long since = atomic_load(&w->since);

			if (!w->shut && since >= 0 && now - since >= d->limit_ms) {
				/* Its thread's poll() wakes to an end of file, and closes it. */
				shutdown(w->fd, SHUT_RDWR);
				w->shut = 1;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += KW_DEADLINE_TICK * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!d->stopping && pthread_cond_timedwait(&d->wake, &d->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

int kw_deadline_start(kw_deadline **out, unsigned seconds, kk_diag *diag)
{
	kw_deadline *d = calloc(1, sizeof(*d));
	pthread_condattr_t attr;
	int error;

	if (!d)
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	d->limit_ms = (long long)seconds * 1000;
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&d->wake, &attr);
	pthread_condattr_destroy(&attr);
	if ((error = pthread_create(&d->thread, NULL, watch, d)) != 0) {
		pthread_cond_destroy(&d->wake);
		pthread_mutex_destroy(&d->lock);
		free(d);
		kk_diag_set(diag, KK_EIO, _("cannot start a thread"));
		kk_diag_set_errno(diag, error);
		return KK_EIO;
	}
	*out = d;
	return 0;
}

void kw_deadline_stop(kw_deadline *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = 1;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	/* The daemon is stopped: every connection has said it closed. */
	while (d->head) {
		kw_watched *w = d->head;

		d->head = w->next;
		free(w);
	}
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

void kw_deadline_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			    enum MHD_ConnectionNotificationCode code)
{
	kw_deadline *d = cls;
	kw_watched *w = *socket_context;
	const union MHD_ConnectionInfo *fd;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		/* Out of memory: this one connection has the idle timeout alone. */
		if (!fd || !(w = calloc(1, sizeof(*w))))
			return;
		w->fd = fd->connect_fd;
		atomic_init(&w->since, now_ms());
		pthread_mutex_lock(&d->lock);
		if ((w->next = d->head))
			d->head->prev = w;
		d->head = w;
		pthread_mutex_unlock(&d->lock);
		*socket_context = w;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && w) {
		pthread_mutex_lock(&d->lock);
		*(w->prev ? &w->prev->next : &d->head) = w->next;
		if (w->next)
			w->next->prev = w->prev;
		pthread_mutex_unlock(&d->lock);
		free(w);
		*socket_context = NULL;
	}
}

/* The connection's entry, or NULL when it has none. */
static kw_watched *watched(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info ? info->socket_context : NULL;
}

void kw_deadline_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			   enum MHD_RequestTerminationCode code)
{
	kw_watched *w = watched(conn);

	(void)cls;
	(void)con_cls;
	(void)code;
	if (w)
		atomic_store(&w->since, now_ms());
}

void kw_deadline_request(struct MHD_Connection *conn)
{
	kw_watched *w = watched(conn);

	if (w)
		atomic_store(&w->since, -1);
}
