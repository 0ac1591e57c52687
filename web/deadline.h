/*
 * deadline.h - keikaku serve's deadline for a request's line and headers.
 *
 * libmicrohttpd 0.9 closes a connection that sends nothing for its idle timeout, but one
 * that trickles a header line now and then stays open for ever, and a few hundred such
 * connections fill the server (slowloris).  Here each connection's clock starts when it
 * is accepted, stops when its request's headers are in (the first call of the access
 * handler), and starts again when the answer has been sent; a watcher thread shuts down
 * the socket of a connection whose clock passes the deadline, which libmicrohttpd then
 * sees as closed by its peer and cleans up as usual.
 */
#ifndef KK_WEB_DEADLINE_H
#define KK_WEB_DEADLINE_H

#include <microhttpd.h>

#include "common.h"

typedef struct kw_deadline kw_deadline;

/*
 * Starts the watcher: a connection has `seconds` for a request's line and headers.
 * Fails with KK_ENOMEM or KK_EIO (a thread that cannot start).  Stop with
 * kw_deadline_stop() after the daemon: it must outlive every connection.
 */
int kw_deadline_start(kw_deadline **out, unsigned seconds, kk_diag *diag);

/* Stops the watcher and frees it; accepts NULL. */
void kw_deadline_stop(kw_deadline *deadline);

/* MHD_OPTION_NOTIFY_CONNECTION's callback, its `cls` the deadline: a connection opened, closed. */
void kw_deadline_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			    enum MHD_ConnectionNotificationCode code);

/* MHD_OPTION_NOTIFY_COMPLETED's callback: an answer sent, the next request's clock starts. */
void kw_deadline_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			   enum MHD_RequestTerminationCode code);

/* From the access handler: the request's headers are in, its clock stops. */
void kw_deadline_request(struct MHD_Connection *conn);

#endif
