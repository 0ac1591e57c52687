/*
 * keytext.c - keys and codes as input methods type them (keytext.h).
 */
#include "keytext.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

/* The mark a look-alike stands for, or the code point itself. */
static utf8proc_int32_t mark_of(utf8proc_int32_t cp)
{
	switch (cp) {
	case 0x3007: /* 〇 IDEOGRAPHIC NUMBER ZERO, what many IMEs give for まる */
	case 0x25EF: /* ◯ LARGE CIRCLE */
	case 0x2B55: /* ⭕ HEAVY LARGE CIRCLE */
	case 0x26AA: /* ⚪ MEDIUM WHITE CIRCLE */
		return 0x25CB; /* ○ WHITE CIRCLE */
	case 0x29BE: /* ⦾ CIRCLED WHITE BULLET */
	case 0x229A: /* ⊚ CIRCLED RING OPERATOR */
		return 0x25CE; /* ◎ BULLSEYE */
	case 0x25B4: /* ▴ BLACK UP-POINTING SMALL TRIANGLE */
		return 0x25B2; /* ▲ BLACK UP-POINTING TRIANGLE */
	default:
		return cp;
	}
}

/* Tells whether `cp` is a dash a person types for "none" (—, ―, -, ー, …). */
static int is_dash(utf8proc_int32_t cp)
{
	return cp == '-' || cp == 0x2010 || cp == 0x2011 || cp == 0x2012 || cp == 0x2013 ||
	       cp == 0x2014 || cp == 0x2015 || cp == 0x2212 || cp == 0x30FC || cp == 0xFF70 ||
	       cp == 0x2500 || cp == 0x2501;
}

static int is_space(utf8proc_int32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x3000 ||
	       cp == 0x00A0 || utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

/* Copies `s` into `buf`, cut at a character boundary to fit. */
static const char *copy(char *buf, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size) {
		n = size - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

const char *kk_key_normalize(char *buf, size_t size, const char *s)
{
	utf8proc_uint8_t *nfkc = NULL;
	utf8proc_ssize_t len;
	utf8proc_int32_t cp;
	size_t out = 0, dashes = 0, others = 0;
	int space = 0;

	if (size == 0)
		return buf;
	len = utf8proc_map((const utf8proc_uint8_t *)s, 0, &nfkc,
			   UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
	if (len < 0)
		return copy(buf, size, s);
	for (const utf8proc_uint8_t *p = nfkc; *p;) {
		utf8proc_uint8_t enc[4];
		utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);

		if (n <= 0)
			break;
		p += n;
		if (is_space(cp)) {
			space = out > 0;
			continue;
		}
		cp = mark_of(cp);
		if (is_dash(cp))
			dashes++;
		else
			others++;
		n = utf8proc_encode_char(cp, enc);
		if (out + (size_t)space + (size_t)n >= size) {
			free(nfkc);
			return copy(buf, size, s);
		}
		if (space)
			buf[out++] = ' ';
		space = 0;
		memcpy(buf + out, enc, (size_t)n);
		out += (size_t)n;
	}
	free(nfkc);
	buf[out] = '\0';
	/* A key that is only dashes is the report's "—" (none). */
	if (dashes && !others && size > strlen("—"))
		strcpy(buf, "—");
	return buf;
}

int kk_key_equal(const char *a, const char *b)
{
	char x[KK_KEY_MAX], y[KK_KEY_MAX];

	if (strcmp(a, b) == 0)
		return 1;
	return strcmp(kk_key_normalize(x, sizeof(x), a), kk_key_normalize(y, sizeof(y), b)) == 0;
}

/* The edit distance between `a` and `b` in code points, at most `cap`. */
static size_t distance(const char *a, const char *b, size_t cap)
{
	utf8proc_int32_t x[64], y[64];
	size_t la = 0, lb = 0, row[65];

	for (const char *p = a; *p && la < 64;) {
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)p, -1, &x[la]);

		if (n <= 0)
			return cap;
		p += n, la++;
	}
	for (const char *p = b; *p && lb < 64;) {
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)p, -1, &y[lb]);

		if (n <= 0)
			return cap;
		p += n, lb++;
	}
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (x[i - 1] != y[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb] < cap ? row[lb] : cap;
}

const char *kk_key_nearest(const char *name, const char *const *known, size_t count)
{
	const char *best = NULL;
	size_t best_d = 3, length = 0;
	utf8proc_int32_t cp;

	for (const char *p = name; *p; length++) {
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)p, -1, &cp);

		if (n <= 0)
			return NULL;
		p += n;
	}

	for (size_t i = 0; i < count; i++) {
		size_t d = distance(name, known[i], 3);

		/* A short name is a typo of another only when most of it is the same. */
		if (d < best_d && 2 * d < length)
			best = known[i], best_d = d;
	}
	return best;
}
