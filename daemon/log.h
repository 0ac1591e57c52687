/*
 * log.h - keikakud's log: stderr, one line per message, each line prefixed
 * with journald's priority ("<3>"), so that systemd records the level.
 * log_warn() appends strerror(errno); log_warnx() does not.
 */
#ifndef KD_LOG_H
#define KD_LOG_H

void log_init(int verbose);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
