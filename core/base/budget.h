/*
 * budget.h - the time a piece of work may take: a deadline on the monotonic
 * clock, which the work's loops check as they go and give up at with
 * KK_ETIMEOUT.  keikaku serve gives each page's query one (--query-timeout),
 * so that one costly filter on a long history cannot hold a thread for
 * minutes; the CLI and keikakud give none (a NULL budget never runs out).
 */
#ifndef KK_BUDGET_H
#define KK_BUDGET_H

#include <stdint.h>

#include "common.h"

typedef struct kk_budget {
	int64_t deadline; /* nanoseconds on CLOCK_MONOTONIC */
	unsigned ms;	  /* what it was started with, for the message */
	int spent;	  /* it has run out: every later check fails too */
} kk_budget;

/* Starts `b`: it runs out `ms` milliseconds from now. */
void kk_budget_start(kk_budget *b, unsigned ms);

/*
 * 0 while `b` (may be NULL: no limit) has time left; else KK_ETIMEOUT, with
 * a message in `diag` that says how long the work was allowed.  Cheap
 * enough for a loop's every turn: a read of the monotonic clock.
 */
int kk_budget_check(kk_budget *b, kk_diag *diag);

#endif
