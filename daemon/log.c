#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

/* Set once in main() before any thread starts; read-only afterwards. */
static int log_verbose;

void log_init(int verbose)
{
	log_verbose = verbose;
	setvbuf(stderr, NULL, _IOLBF, 0);
}

/* One fprintf per line: stdio's lock keeps lines from different threads whole. */
static void vlog(int priority, int with_errno, const char *fmt, va_list ap)
{
	char msg[2048];
	int saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno)
		fprintf(stderr, "<%d>%s: %s\n", priority, msg, strerror(saved));
	else
		fprintf(stderr, "<%d>%s\n", priority, msg);
	errno = saved;
}

#define LOG_FN(name, priority, with_errno, condition)                                              \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		va_list ap;                                                                        \
		if (!(condition))                                                                  \
			return;                                                                    \
		va_start(ap, fmt);                                                                 \
		vlog(priority, with_errno, fmt, ap);                                               \
		va_end(ap);                                                                        \
	}

LOG_FN(log_warn, LOG_WARNING, 1, 1)
LOG_FN(log_warnx, LOG_WARNING, 0, 1)
LOG_FN(log_error, LOG_ERR, 0, 1)
LOG_FN(log_info, LOG_INFO, 0, 1)
LOG_FN(log_debug, LOG_DEBUG, 0, log_verbose)
