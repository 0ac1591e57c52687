/*
 * bench_util.h - what the benchmarks share for their figures: a clock and
 * sorting the times they took.
 */
#ifndef KK_BENCH_UTIL_H
#define KK_BENCH_UTIL_H

#include <stddef.h>

/* Milliseconds on the monotonic clock. */
double bench_now_ms(void);

/* Sorts the `n` times in `v`, smallest first. */
void bench_sort(double *v, size_t n);

#endif
