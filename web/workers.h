/*
 * workers.h - who makes keikaku serve's pages, and when: the repository
 * handles the connections' threads borrow in a first-come line, and the
 * costly pages' lane, threads of lower priority with handles of their own
 * behind a short bounded line (docs/architecture.md, "Costly pages in a lane
 * of their own").  server.c hands it a request and gets the page back.
 */
#ifndef KK_WEB_WORKERS_H
#define KK_WEB_WORKERS_H

#include <locale.h>

#include "page.h"

typedef struct kw_workers kw_workers;

/*
 * Opens `handles` repository handles of `repo` for the pages, and with `costly_pages`
 * (0: no lane, costly pages are made as the others) as many threads with handles of their
 * own for the costly ones, of which at most `costly_queue` wait.  Pages are made in
 * locale `ja` or `en` (which stay the caller's, and must outlive the workers).  Returns
 * 0, or fails as kk_store_discover() does, or with KK_ENOMEM or KK_EIO (no thread).
 */
int kw_workers_new(kw_workers **out, const char *repo, unsigned handles, unsigned costly_pages,
		   unsigned costly_queue, locale_t ja, locale_t en, kk_diag *diag);

/* Stops the costly threads, once no page is being made, and frees it all; accepts NULL. */
void kw_workers_free(kw_workers *workers);

/*
 * Makes the page of `req` into `res` (zero-initialised), in its language: on a borrowed
 * handle, or a costly one in its lane; a costly page that finds its line full is the 503
 * page, made at once.
 */
void kw_workers_make(kw_workers *workers, kw_request *req, kw_response *res);

#endif
