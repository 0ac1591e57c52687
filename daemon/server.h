/*
 * server.h - the loop thread: the listening socket, connections, JSON-RPC
 * framing, limits and dispatch to the read workers and the writer.
 */
#ifndef KD_SERVER_H
#define KD_SERVER_H

#include "daemon.h"

typedef struct kd_server kd_server;

/*
 * Sets up the server on `loop`: listens on `listen_fd` when it is >= 0 (a
 * socket systemd passed in), else binds cfg->socket_path.  Starts the
 * writer on the repository the caller has locked.  Fails with a message in
 * `errbuf`.
 */
int kd_server_start(kd_server **out, const kd_config *cfg, uv_loop_t *loop, int listen_fd,
		    char *errbuf, size_t errlen);

/*
 * Runs the loop until SIGTERM or SIGINT has been handled: work in flight is
 * finished and answered, every handle closed.  Returns 0 on a clean stop.
 */
int kd_server_run(kd_server *server);

/*
 * After a failed kd_server_start: stops the writer if it started and closes
 * every handle; run the loop once more to let the closes finish.
 */
void kd_server_abort(kd_server *server);

/* Frees what kd_server_start allocated; after the loop has stopped. */
void kd_server_free(kd_server *server);

#endif
