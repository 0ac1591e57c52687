/*
 * budget.c - a deadline on the monotonic clock (budget.h).
 */
#include "budget.h"

#include <time.h>

#include "i18n.h"

/* Checks between two readings of the clock: a check is then a few nanoseconds. */
#define CHECKS_PER_READ 16

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void kk_budget_start(kk_budget *b, unsigned ms)
{
	b->deadline = now_ns() + (int64_t)ms * 1000000;
	b->ms = ms;
	b->calls = 0;
	b->spent = 0;
}

int kk_budget_check(kk_budget *b, kk_diag *diag)
{
	if (!b)
		return 0;
	if (!b->spent && b->calls++ % CHECKS_PER_READ == 0)
		b->spent = now_ns() >= b->deadline;
	if (!b->spent)
		return 0;
	return kk_diag_set(diag, KK_ETIMEOUT, _("this query needs more than the %u.%u s allowed"),
			   b->ms / 1000, b->ms % 1000 / 100);
}
