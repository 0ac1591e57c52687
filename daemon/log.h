/*
 * log.h - keikakud's log: stderr, one line per message.  When stderr is the
 * journal ($JOURNAL_STREAM names it), each line is prefixed with journald's
 * priority ("<3>"), so that systemd records the level; anywhere else (a
 * terminal, a file) each line starts with "keikakud: ".
 * log_warn() appends strerror(errno); log_warnx() does not.
 */
#ifndef KD_LOG_H
#define KD_LOG_H

/* Reads $JOURNAL_STREAM: call once, before any thread starts. */
void log_init(int verbose);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
