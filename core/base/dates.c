/*
 * dates.c - calendar arithmetic without the C library's time zone state:
 * civil dates to seconds since the epoch at a fixed offset, and back as
 * ISO 8601 (a plan's dates are meant in the organisation's zone, whatever
 * the zone of the process that reads them).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dates.h"
#include "i18n.h"

/* Days from 1970-01-01 to the given civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t kk_time_of_day(int year, int month, int day, int offset)
{
	/* Months beyond 12 roll into the next years, days beyond the month's end likewise. */
	int64_t y = year + (month - 1) / 12;
	int m = (month - 1) % 12 + 1;

	return (days_from_civil(y, m, 1) + day - 1) * 86400 - (int64_t)offset * 60;
}

void kk_time_format(char *buf, size_t size, int64_t when, int offset)
{
	int64_t t = when + (int64_t)offset * 60;
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t secs = t - days * 86400;
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int d = (int)(doy - (153 * mp + 2) / 5 + 1), m = (int)(mp < 10 ? mp + 3 : mp - 9);
	int64_t y = yoe + era * 400 + (m <= 2);
	int off = offset < 0 ? -offset : offset;

	snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", (long long)y, m, d,
		 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
		 offset < 0 ? '-' : '+', off / 60, off % 60);
}

int kk_time_parse_date(int64_t *out, const char *text, int offset, int end, kk_diag *diag)
{
	int y, m, d, n = 0;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	for (int i = 0; i < 10; i++)
		if (strlen(text) != 10 ||
		    ((i == 4 || i == 7) ? text[i] != '-' : !isdigit((unsigned char)text[i])))
			return kk_diag_set(diag, KK_EINVALID, _("'%s' is not a date (YYYY-MM-DD)"),
					   text);
	if (sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || m < 1 || m > 12 ||
	    d < 1 || d > mdays[m - 1] ||
	    (m == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))))
		return kk_diag_set(diag, KK_EINVALID, _("'%s' is not a date (YYYY-MM-DD)"), text);
	*out = kk_time_of_day(y, m, d + (end ? 1 : 0), offset) - (end ? 1 : 0);
	return 0;
}
