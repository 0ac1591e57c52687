/*
 * log.c - keikakud's log (log.h): one line per message on stderr, with
 * journald's priority prefix only when stderr is the journal.
 */
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

/* Set once in log_init() before any thread starts; read-only afterwards. */
static int log_verbose;
static int log_journal;

/*
 * systemd sets $JOURNAL_STREAM to "DEV:INO" of the stream it connects to
 * stderr.  The variable is inherited by whatever the service starts, and a
 * shell started from a unit passes it on, so only a match with stderr itself
 * says the lines go to the journal.
 */
static int stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;
	int n = 0;

	if (!env || sscanf(env, "%ju:%ju%n", &dev, &ino, &n) != 2 || env[n] != '\0')
		return 0;
	if (fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

void log_init(int verbose)
{
	log_verbose = verbose;
	log_journal = stderr_is_journal();
	setvbuf(stderr, NULL, _IOLBF, 0);
}

/*
 * One fprintf per line: stdio's lock keeps lines from different threads whole.
 * The journal takes the level from a "<N>" prefix and names the program
 * itself; a terminal or a file gets the program's name instead.
 */
static void vlog(int priority, int with_errno, const char *fmt, va_list ap)
{
	char msg[2048], prefix[16];
	int saved = errno;

	if (log_journal)
		snprintf(prefix, sizeof(prefix), "<%d>", priority);
	else
		snprintf(prefix, sizeof(prefix), "keikakud: ");
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno)
		fprintf(stderr, "%s%s: %s\n", prefix, msg, strerror(saved));
	else
		fprintf(stderr, "%s%s\n", prefix, msg);
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
