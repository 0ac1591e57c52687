/*
 * buf.c - the growable text buffer of buf.h: doubling growth, and once an
 * allocation fails every later append is dropped and `failed` stays set.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

void kk_buf_put(kk_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (n >= SIZE_MAX - b->len || KK_ARRAY_GROW(b->data, b->len + n + 1, b->alloc) < 0) {
		b->failed = 1;
		return;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void kk_buf_puts(kk_buf *b, const char *s)
{
	kk_buf_put(b, s, strlen(s));
}

void kk_buf_printf(kk_buf *b, const char *fmt, ...)
{
	char small[256], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		kk_buf_put(b, small, (size_t)n);
		return;
	}
	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	kk_buf_put(b, big, (size_t)n);
	free(big);
}

void kk_buf_clear(kk_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
