/*
 * buf.h - a growable text buffer that remembers running out of memory, so
 * that a writer can append freely and check once at the end.
 */
#ifndef KK_BUF_H
#define KK_BUF_H

#include <stddef.h>

/* Zero-initialise; release with kk_buf_clear(). */
typedef struct kk_buf {
	char *data;   /* NUL-terminated; NULL until something is appended */
	size_t len;   /* bytes in `data`, the NUL not counted */
	size_t alloc; /* bytes allocated */
	int failed;   /* an allocation failed; everything after it was dropped */
} kk_buf;

/*
 * Appends `n` bytes at `s`.  When memory runs out, sets `failed` and drops
 * this and every later append; `data` keeps what came before.
 */
void kk_buf_put(kk_buf *b, const char *s, size_t n);

/* Appends the string `s`, as kk_buf_put(). */
void kk_buf_puts(kk_buf *b, const char *s);

/* Appends a printf-style formatted string, as kk_buf_put(). */
void kk_buf_printf(kk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Frees the data and zeroes `b`. */
void kk_buf_clear(kk_buf *b);

#endif
