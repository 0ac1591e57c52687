/*
 * dates.h - calendar arithmetic at a fixed offset from UTC (dates.c).
 */
#ifndef KK_DATES_H
#define KK_DATES_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/*
 * Writes `when` (seconds since the epoch) at `offset` minutes east of UTC
 * as ISO 8601: "2022-03-31T17:00:00+09:00".  `size` should be at least 26.
 */
void kk_time_format(char *buf, size_t size, int64_t when, int offset);

/*
 * Seconds since the epoch of 00:00:00 on `year`-`month`-`day` at `offset`
 * minutes east of UTC (the date need not be valid: 03-32 is 04-01).
 */
int64_t kk_time_of_day(int year, int month, int day, int offset);

/*
 * Parses "YYYY-MM-DD" into *out as kk_time_of_day() does, with `end`: the
 * last second of that day.  Fails with KK_EINVALID for anything else.
 */
int kk_time_parse_date(int64_t *out, const char *text, int offset, int end, kk_diag *diag);

#endif
