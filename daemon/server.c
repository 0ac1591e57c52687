/*
 * server.c - keikakud's server on the loop thread: the listening socket
 * (bound here, or passed by systemd), the signals that stop it, the ticker
 * that tells systemd how things stand, and starting and stopping the
 * writer and the read workers.  The connections are conn.c's.
 */
#include <errno.h>
#include <malloc.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "conn.h"
#include "log.h"
#include "server.h"

#define STATUS_INTERVAL_MS 10000 /* how often systemd hears how things stand */
#define KD_BACKLOG	   128	 /* connections waiting to be accepted */

/* Tells systemd how things stand, when that has changed. */
static void notify_status(kd_server *s)
{
	kd_writer_stats st;
	char status[sizeof(s->last_status)], mirrors[sizeof(status) - 128];

	kd_writer_stats_get(s->writer, &st);
	kd_writer_mirrors_summary(s->writer, mirrors, sizeof(mirrors));
	snprintf(status, sizeof(status),
		 "STATUS=%u connections, %llu commits in %llu batches, %zu queued%s%s",
		 s->conn_count, st.commits, st.batches, st.queued, *mirrors ? "; " : "", mirrors);
	if (strcmp(status, s->last_status) == 0)
		return;
	sd_notify(0, status);
	snprintf(s->last_status, sizeof(s->last_status), "%s", status);
}

static void on_tick(uv_timer_t *timer)
{
	kd_server *s = timer->data;

	if (s->watchdog_usec)
		sd_notify(0, "WATCHDOG=1");
	notify_status(s);
	/*
	 * After large answers, or once idle stores and what their queries kept
	 * are closed, give the freed memory back to the system.
	 */
	if (kd_reads_expire(s->reads) > 0 || s->freed >= KD_TRIM_AFTER) {
		malloc_trim(0);
		s->freed = 0;
	}
}

/* Every write is stored and answered: nothing more is read. */
static void on_writer_stopped(void *arg)
{
	kd_server *s = arg;

	s->writer = NULL;
	kd_conns_stop_reading(s);
}

static void on_signal(uv_signal_t *handle, int signum)
{
	kd_server *s = handle->data;

	if (s->stopping)
		return;
	log_info("received %s: finishing the work in flight", strsignal(signum));
	sd_notify(0, "STOPPING=1");
	s->stopping = 1;
	uv_close((uv_handle_t *)&s->listener, NULL);
	uv_close((uv_handle_t *)&s->accept_turn, NULL);
	uv_close((uv_handle_t *)&s->accept_later, NULL);
	uv_close((uv_handle_t *)&s->sigterm, NULL);
	uv_close((uv_handle_t *)&s->sigint, NULL);
	uv_close((uv_handle_t *)&s->ticker, NULL);
	/*
	 * The writer finishes and answers every queued write while the loop goes
	 * on: what callers send meanwhile is answered "shutting down", and each
	 * connection closes once it has nothing pending.  Reads finish on their own.
	 */
	kd_writer_stop_async(s->writer, on_writer_stopped, s);
}

/* Before each loop turn's I/O: a new turn's worth of connections (conn.c). */
static void on_accept_turn(uv_prepare_t *handle)
{
	kd_server *s = handle->data;

	s->accepts_this_turn = 0;
}

/* Binds the socket path, refusing when a live daemon answers there. */
static int bind_socket(kd_server *s, char *errbuf, size_t errlen)
{
	const char *path = s->cfg->socket_path;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(errbuf, errlen,
			 "socket path '%s' is too long: give --socket a path of at most %zu bytes",
			 path, sizeof(sa.sun_path) - 1);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0) {
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		close(fd);
		if (r == 0) {
			snprintf(errbuf, errlen,
				 "another daemon is listening on '%s': stop it, or give --socket "
				 "another path",
				 path);
			return -1;
		}
	}
	unlink(path);
	if ((r = uv_pipe_bind(&s->listener, path)) < 0) {
		/*
		 * The default path is in /run, which only root may write: started by
		 * hand, the daemon needs a directory of its user's.  libuv reports a
		 * missing directory as EACCES too (as Windows would), so look.
		 */
		char dir[sizeof(sa.sun_path)];
		struct stat st;

		strcpy(dir, path);
		if (r == UV_EACCES && stat(dirname(dir), &st) < 0 && errno == ENOENT)
			snprintf(errbuf, errlen,
				 "cannot listen on '%s': directory '%s' does not exist: create it, "
				 "or give --socket another path",
				 path, dir);
		else if (r == UV_EACCES || r == UV_EPERM || r == UV_EROFS)
			snprintf(errbuf, errlen,
				 "cannot listen on '%s': %s: give --socket a path in a directory "
				 "this user can write (see \"Running by hand\" in deploy.md)",
				 path, uv_strerror(r));
		else
			snprintf(errbuf, errlen, "cannot listen on '%s': %s", path, uv_strerror(r));
		return -1;
	}
	s->bound = 1;
	if (chmod(path, s->cfg->socket_mode) < 0) {
		snprintf(errbuf, errlen, "cannot set the mode of '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int kd_server_start(kd_server **out, const kd_config *cfg, uv_loop_t *loop, int listen_fd,
		    char *errbuf, size_t errlen)
{
	kd_server *s = calloc(1, sizeof(*s));
	struct stat st;
	int r;

	if (!s) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	s->cfg = cfg;
	s->loop = loop;
	s->started = time(NULL);
	*out = s;
	if (stat(cfg->repo, &st) < 0 ||
	    kd_reads_new(&s->reads, cfg->repo, st.st_uid, cfg->max_queued_user) < 0) {
		snprintf(errbuf, errlen, "cannot use '%s': %s", cfg->repo, strerror(errno));
		return -1;
	}
	if (kd_writer_start(&s->writer, cfg, loop, kd_conn_write_done, s, errbuf, errlen) < 0)
		return -1;
	uv_pipe_init(loop, &s->listener, 0);
	s->listener.data = s;
	if (listen_fd >= 0) {
		if ((r = uv_pipe_open(&s->listener, listen_fd)) < 0) {
			snprintf(errbuf, errlen, "cannot use the socket systemd passed: %s",
				 uv_strerror(r));
			return -1;
		}
	} else if (bind_socket(s, errbuf, errlen) < 0) {
		return -1;
	}
	/*
	 * A short backlog, as keikakud.socket has it: a client connecting in a
	 * tight loop fills it, and then the kernel makes every connect() wait
	 * for a place in turn (non-blocking ones get EAGAIN and try again), so
	 * that another user's connection waits behind at most KD_BACKLOG others
	 * rather than behind thousands.
	 */
	if ((r = uv_listen((uv_stream_t *)&s->listener, KD_BACKLOG, kd_conn_accept)) < 0) {
		snprintf(errbuf, errlen, "cannot listen: %s", uv_strerror(r));
		return -1;
	}
	uv_prepare_init(loop, &s->accept_turn);
	uv_idle_init(loop, &s->accept_later);
	s->accept_turn.data = s->accept_later.data = s;
	uv_prepare_start(&s->accept_turn, on_accept_turn);
	uv_signal_init(loop, &s->sigterm);
	uv_signal_init(loop, &s->sigint);
	s->sigterm.data = s->sigint.data = s;
	uv_signal_start(&s->sigterm, on_signal, SIGTERM);
	uv_signal_start(&s->sigint, on_signal, SIGINT);
	uv_timer_init(loop, &s->ticker);
	s->ticker.data = s;
	if (sd_watchdog_enabled(0, &s->watchdog_usec) <= 0)
		s->watchdog_usec = 0;
	{
		uint64_t every = s->watchdog_usec ? s->watchdog_usec / 2000 : STATUS_INTERVAL_MS;

		uv_timer_start(&s->ticker, on_tick, every, every);
	}
	sd_notify(0, "READY=1");
	notify_status(s);
	log_info("listening on '%s' for '%s'",
		 listen_fd >= 0 ? "(systemd socket)" : cfg->socket_path, cfg->repo);
	return 0;
}

static void close_any(uv_handle_t *handle, void *arg)
{
	(void)arg;
	if (!uv_is_closing(handle))
		uv_close(handle, NULL);
}

void kd_server_abort(kd_server *s)
{
	if (s->writer)
		kd_writer_stop(s->writer);
	s->writer = NULL;
	uv_walk(s->loop, close_any, NULL);
}

int kd_server_run(kd_server *s)
{
	return uv_run(s->loop, UV_RUN_DEFAULT);
}

void kd_server_free(kd_server *s)
{
	if (!s)
		return;
	if (s->bound)
		unlink(s->cfg->socket_path);
	kd_reads_free(s->reads);
	while (s->users) {
		kd_user_conns *u = s->users;

		s->users = u->next;
		free(u);
	}
	free(s);
}
