/*
 * budget.c - a deadline on the monotonic clock (budget.h).
 */
#include "budget.h"

#include <stdio.h>
#include <time.h>

#include "i18n.h"

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
	b->spent = 0;
}

int kk_budget_check(kk_budget *b, kk_diag *diag)
{
	char allowed[32];

	if (!b)
		return 0;
	/* The clock every time (vDSO: tens of nanoseconds): a loop's turn may be long. */
	if (!b->spent)
		b->spent = now_ns() >= b->deadline;
	if (!b->spent)
		return 0;
	if (b->ms % 1000)
		snprintf(allowed, sizeof(allowed), "%u.%03u", b->ms / 1000, b->ms % 1000);
	else
		snprintf(allowed, sizeof(allowed), "%u", b->ms / 1000);
	return kk_diag_set(diag, KK_ETIMEOUT, _("this query needs more than the %s s allowed"),
			   allowed);
}
