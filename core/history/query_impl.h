/*
 * query_impl.h - what the queries by name (query.c) share with those kept
 * in files of their own (query_verify.c): the query being answered, and
 * the checks of its parameters.  Not a public interface.
 */
#ifndef KK_QUERY_IMPL_H
#define KK_QUERY_IMPL_H

#include <jansson.h>

#include "history.h"
#include "query.h"
#include "revision.h"

/* What every query works on: HEAD, its history, its settings, and the revision asked for. */
typedef struct query {
	kk_store *store;
	const json_t *params;
	kk_rev_opts rev_opts;
	git_oid head;
	kk_history *head_history;
	json_t *settings; /* keikaku.json at HEAD, or NULL */
	git_oid rev;
	kk_history *history; /* of `rev`; may be head_history */
	int head_kept;	     /* head_history is the memo's */
	kk_budget *budget;   /* the query's time, or NULL */
} query;

/* A bad parameter: the diagnostic's pointer names it ("/fy"). */
int kk_query_bad_param(kk_diag *diag, const char *name, const char *what);

/* Parameter `name` as a boolean into *out (absent or null: 0). */
int kk_query_param_bool(int *out, const query *q, const char *name, kk_diag *diag);

/* *out is `result` with the commit it is of; takes `result` either way. */
int kk_query_with_commit(json_t **out, json_t *result, const git_oid *commit, kk_diag *diag);

/* plan.verify (query_verify.c). */
int kk_query_verify(json_t **out, query *q, kk_diag *diag);

#endif
