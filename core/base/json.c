/*
 * json.c - the strict JSON reader.
 *
 * jansson does the parsing.  In front of it runs a linear pre-scan that
 * enforces the nesting limit, so that jansson never recurses deeper than we
 * allow, and that checks the inside of strings (UTF-8, escapes, control
 * characters, NUL), where it can name the exact byte at fault.  Every error
 * is located by a byte offset from which line and column are derived here,
 * so the three always agree.
 */
#include "json.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "i18n.h"

#define PARSE_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

/* The longest key quoted in a "duplicate key" message, in bytes. */
#define KEY_QUOTE_MAX 128

/* The first read of a file that is not a regular file (a pipe, say). */
#define READ_CHUNK 8192

/*
 * Offsets come back from jansson as an int, so a larger input could not be
 * located; the size limit never exceeds this.
 */
static size_t effective_max_size(const kk_json_limits *limits)
{
	size_t max = limits && limits->max_size ? limits->max_size : KK_JSON_MAX_SIZE_DEFAULT;

	return max > INT_MAX ? (size_t)INT_MAX : max;
}

static size_t effective_max_depth(const kk_json_limits *limits)
{
	return limits && limits->max_depth ? limits->max_depth : KK_JSON_MAX_DEPTH_DEFAULT;
}

static int __attribute__((format(printf, 3, 0)))
vfail(kk_diag *diag, int code, const char *fmt, va_list ap)
{
	if (!diag)
		return code;
	kk_diag_clear(diag);
	diag->code = code;
	vsnprintf(diag->message, sizeof(diag->message), fmt, ap);
	return code;
}

/* Fills `diag` with an error that has no position in the input. */
static int __attribute__((format(printf, 3, 4))) fail(kk_diag *diag, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(diag, code, fmt, ap);
	va_end(ap);
	return code;
}

/*
 * Fills `diag` with an error at byte `offset` of `buf`.  The column counts
 * characters, not bytes: every byte that does not continue a UTF-8 sequence
 * starts one.  The input before `offset` is always valid UTF-8 by then.
 */
static int __attribute__((format(printf, 5, 6)))
error_at(kk_diag *diag, int code, const char *buf, size_t offset, const char *fmt, ...)
{
	size_t i, line = 1, column = 1;
	va_list ap;

	if (!diag)
		return code;
	va_start(ap, fmt);
	vfail(diag, code, fmt, ap);
	va_end(ap);
	for (i = 0; i < offset; i++) {
		if (buf[i] == '\n') {
			line++;
			column = 1;
		} else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
			column++;
		}
	}
	diag->line = line;
	diag->column = column;
	diag->position = offset;
	return code;
}

/*
 * Returns the length of the well-formed UTF-8 sequence at `s` (at most
 * `avail` bytes), or 0.  Overlong forms, UTF-16 surrogates and code points
 * past U+10FFFF are rejected (RFC 3629).
 */
static size_t utf8_sequence(const unsigned char *s, size_t avail)
{
	unsigned char lo = 0x80, hi = 0xBF;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xE0)
		lo = 0xA0;
	else if (s[0] == 0xED)
		hi = 0x9F;
	else if (s[0] == 0xF0)
		lo = 0x90;
	else if (s[0] == 0xF4)
		hi = 0x8F;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	}
	return n;
}

int kk_json_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes the four hex digits of the \u escape whose 'u' is at `s[0]`, with
 * `avail` bytes from there on.  Returns the value, -1 when a digit is not a
 * hex digit, or -2 when the input ends first.
 */
static long unicode_escape(const unsigned char *s, size_t avail)
{
	long value = 0;
	size_t i;
	int digit;

	for (i = 1; i <= 4; i++) {
		if (i >= avail)
			return -2;
		if ((digit = kk_json_hex_digit((unsigned char)s[i])) < 0)
			return -1;
		value = value * 16 + digit;
	}
	return value;
}

/*
 * Checks the escape sequence whose backslash is at `buf[i]` and stores its
 * length in *len_out.  jansson would reject the same inputs, but only
 * after reading the whole string, and then at its end; here the error
 * points at the escape itself.
 */
static int scan_escape(size_t *len_out, const char *buf, size_t len, size_t i, kk_diag *diag)
{
	const unsigned char *s = (const unsigned char *)buf;
	long value, low;

	if (i + 1 >= len)
		goto end_of_input;
	if (s[i + 1] != '\0' && strchr("\"\\/bfnrt", s[i + 1])) {
		*len_out = 2;
		return 0;
	}
	if (s[i + 1] != 'u')
		return error_at(diag, KK_EINVALID, buf, i, _("invalid escape sequence in string"));
	if ((value = unicode_escape(s + i + 1, len - i - 1)) == -2)
		goto end_of_input;
	if (value < 0)
		return error_at(diag, KK_EINVALID, buf, i, _("invalid escape sequence in string"));
	if (value == 0)
		return error_at(diag, KK_EINVALID, buf, i, _("NUL character (\\u0000) in string"));
	if (value >= 0xDC00 && value <= 0xDFFF)
		goto bad_unicode;
	if (value < 0xD800 || value > 0xDBFF) {
		*len_out = 6;
		return 0;
	}
	/* A high surrogate means nothing without a low one right after it. */
	if (i + 6 == len)
		goto end_of_input;
	if (s[i + 6] != '\\')
		goto bad_unicode;
	if (i + 7 == len)
		goto end_of_input;
	if (s[i + 7] != 'u')
		goto bad_unicode;
	if ((low = unicode_escape(s + i + 7, len - i - 7)) == -2)
		goto end_of_input;
	if (low < 0)
		return error_at(diag, KK_EINVALID, buf, i + 6,
				_("invalid escape sequence in string"));
	if (low < 0xDC00 || low > 0xDFFF)
		goto bad_unicode;
	*len_out = 12;
	return 0;

end_of_input:
	return error_at(diag, KK_EINVALID, buf, len, _("unexpected end of input"));

bad_unicode:
	return error_at(diag, KK_EINVALID, buf, i, _("invalid Unicode escape '%.6s'"), buf + i);
}

/*
 * One pass over the input that never recurses: it tracks whether it is
 * inside a string (and skips escapes there) and how deeply arrays and
 * objects nest, and checks everything that can be checked byte by byte.
 * It stops at the first problem.  Matching brackets and everything else
 * about the grammar is left to jansson.
 */
static int prescan(const char *buf, size_t len, size_t max_depth, kk_diag *diag)
{
	const unsigned char *s = (const unsigned char *)buf;
	bool in_string = false;
	size_t i = 0, n, depth = 0;
	int error;

	while (i < len) {
		unsigned char c = s[i];

		n = 1;
		if (c >= 0x80) {
			if ((n = utf8_sequence(s + i, len - i)) == 0)
				return error_at(diag, KK_EINVALID, buf, i, _("invalid UTF-8"));
		} else if (in_string) {
			if (c == '"') {
				in_string = false;
			} else if (c == '\\') {
				if ((error = scan_escape(&n, buf, len, i, diag)) < 0)
					return error;
			} else if (c < 0x20) {
				return error_at(diag, KK_EINVALID, buf, i,
						_("unescaped control character in string"));
			}
		} else if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max_depth)
				return error_at(diag, KK_ELIMIT, buf, i,
						_("nesting is deeper than %zu levels"), max_depth);
		} else if (c == ']' || c == '}') {
			if (depth > 0)
				depth--;
		} else if (c < 0x20 && c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			return error_at(diag, KK_EINVALID, buf, i,
					_("unexpected control character"));
		}
		i += n;
	}
	if (in_string)
		return error_at(diag, KK_EINVALID, buf, len, _("unexpected end of input"));
	return 0;
}

/* Whether the quote at buf[i] is escaped: preceded by an odd number of backslashes. */
static bool is_escaped(const char *buf, size_t i)
{
	size_t n = 0;

	while (i > 0 && buf[i - 1] == '\\') {
		n++;
		i--;
	}
	return n % 2 == 1;
}

static bool is_word_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '.' || c == '+' || c == '-';
}

/*
 * jansson reports the offset just past the token it objected to; a user
 * wants to be pointed at the token's first character.  Tokens are strings,
 * numbers and words, or a single character.
 */
static size_t token_start(const char *buf, size_t end)
{
	size_t i;

	if (end == 0)
		return 0;
	if (buf[end - 1] == '"') {
		for (i = end - 1; i-- > 0;) {
			if (buf[i] == '"' && !is_escaped(buf, i))
				return i;
		}
		return end - 1;
	}
	if (is_word_char((unsigned char)buf[end - 1])) {
		for (i = end; i > 0 && is_word_char((unsigned char)buf[i - 1]); i--)
			;
		return i;
	}
	for (i = end - 1; i > 0 && ((unsigned char)buf[i] & 0xC0) == 0x80; i--)
		;
	return i;
}

/* The length of the longest prefix of `s` of at most `max` bytes that ends on a character. */
static size_t utf8_fit(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/*
 * jansson found a duplicate key and stopped just past it.  Decoding the
 * key's token again gives its text for the message, escapes resolved.
 */
static int duplicate_key(kk_diag *diag, const char *buf, size_t end)
{
	size_t start = token_start(buf, end);
	json_t *key = json_loadb(buf + start, end - start, JSON_DECODE_ANY, NULL);
	int error;

	/* The token parsed once already: failing now is running out of memory. */
	if (!key)
		return fail(diag, KK_ENOMEM, _("out of memory"));
	if (!json_is_string(key)) {
		error = error_at(diag, KK_EINVALID, buf, start, _("duplicate key"));
	} else {
		const char *text = json_string_value(key);
		size_t len = json_string_length(key);

		error = error_at(diag, KK_EINVALID, buf, start, _("duplicate key '%.*s'"),
				 (int)utf8_fit(text, len, KEY_QUOTE_MAX), text);
	}
	json_decref(key);
	return error;
}

/* Translates the error jansson found in buf[0..len) into `diag`. */
static int from_jansson(kk_diag *diag, const char *buf, size_t len, const json_error_t *jerr)
{
	size_t pos = jerr->position < 0 ? 0 : (size_t)jerr->position;

	if (pos > len)
		pos = len;
	/* jansson returns NULL without a message when an allocation fails. */
	if (jerr->text[0] == '\0')
		return fail(diag, KK_ENOMEM, _("out of memory"));

	switch (json_error_code(jerr)) {
	case json_error_out_of_memory: return fail(diag, KK_ENOMEM, _("out of memory"));
	case json_error_duplicate_key: return duplicate_key(diag, buf, pos);
	case json_error_premature_end_of_input:
		return error_at(diag, KK_EINVALID, buf, pos, _("unexpected end of input"));
	case json_error_end_of_input_expected:
		return error_at(diag, KK_EINVALID, buf, token_start(buf, pos),
				_("unexpected data after the JSON value"));
	case json_error_numeric_overflow:
		return error_at(diag, KK_EINVALID, buf, token_start(buf, pos),
				_("number is out of range"));
	case json_error_invalid_utf8:
		return error_at(diag, KK_EINVALID, buf, pos, _("invalid UTF-8"));
	default:
		return error_at(diag, KK_EINVALID, buf, token_start(buf, pos),
				_("invalid JSON: %s"), jerr->text);
	}
}

/*
 * The pre-scan stops at the first problem it can see, but jansson may have
 * something to say about the bytes before it (a missing comma, a duplicate
 * key) that the pre-scan does not look for.  Parsing only those bytes finds
 * it, so errors come out in document order; the prefix is within the depth
 * limit, so this is safe.  What the cut itself causes (an end of input, or
 * an error at the cut) does not count.  Returns the earlier error's code
 * with `diag` filled, or 0 when there is none.
 */
static int earlier_error(const char *buf, size_t offset, kk_diag *diag)
{
	json_error_t jerr;
	json_t *value = json_loadb(buf, offset, PARSE_FLAGS, &jerr);

	if (value) {
		json_decref(value);
		return 0;
	}
	if (jerr.text[0] != '\0' && (json_error_code(&jerr) == json_error_premature_end_of_input ||
				     jerr.position < 0 || (size_t)jerr.position >= offset))
		return 0;
	return from_jansson(diag, buf, offset, &jerr);
}

int kk_json_parse(json_t **out, const char *buf, size_t len, const kk_json_limits *limits,
		  kk_diag *diag)
{
	size_t max_size = effective_max_size(limits);
	kk_diag found;
	json_error_t jerr;
	json_t *value;
	int error;

	assert(out && (buf || len == 0));
	if (len > max_size)
		return fail(diag, KK_ELIMIT, _("input is larger than %zu bytes"), max_size);
	if (!buf)
		buf = "";
	if (prescan(buf, len, effective_max_depth(limits), &found) < 0) {
		if ((error = earlier_error(buf, found.position, diag)) < 0)
			return error;
		if (diag)
			*diag = found;
		return found.code;
	}
	if ((value = json_loadb(buf, len, PARSE_FLAGS, &jerr)) == NULL)
		return from_jansson(diag, buf, len, &jerr);
	*out = value;
	return 0;
}

static int read_error(kk_diag *diag, int code, const char *path, int errnum)
{
	char text[128];

	/* strerror() is not thread-safe, and the daemon reads files off its main thread. */
	return fail(diag, code, _("cannot read '%s': %s"), path,
		    strerror_r(errnum, text, sizeof(text)));
}

static int too_large(kk_diag *diag, const char *path, size_t max)
{
	return fail(diag, KK_ELIMIT, _("cannot read '%s': file is larger than %zu bytes"), path,
		    max);
}

/*
 * Reads at most max + 1 bytes of the open file, so that a huge file (or an
 * endless pipe) costs no more than the limit to refuse.  The size from
 * fstat() only sizes the first allocation: a file may grow meanwhile.
 */
static int read_bounded(char **buf_out, size_t *len_out, int fd, const struct stat *st, size_t max,
			const char *path, kk_diag *diag)
{
	size_t alloc = 0, len = 0, first;
	char *buf = NULL;
	ssize_t n;
	int error = 0;

	first = S_ISREG(st->st_mode) ? (size_t)st->st_size + 1 : READ_CHUNK;
	if (KK_ARRAY_GROW_MAX(buf, first < max + 1 ? first : max + 1, alloc, max + 1) < 0) {
		error = fail(diag, KK_ENOMEM, _("out of memory"));
		goto done;
	}
	for (;;) {
		if (len == alloc) {
			if (alloc > max) {
				error = too_large(diag, path, max);
				goto done;
			}
			if (KK_ARRAY_GROW_MAX(buf, alloc + 1, alloc, max + 1) < 0) {
				error = fail(diag, KK_ENOMEM, _("out of memory"));
				goto done;
			}
		}
		n = read(fd, buf + len, alloc - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = read_error(diag, KK_EIO, path, errno);
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*buf_out = buf;
	*len_out = len;
	buf = NULL;

done:
	free(buf);
	return error;
}

int kk_json_load_file(json_t **out, const char *path, const kk_json_limits *limits, kk_diag *diag)
{
	size_t max = effective_max_size(limits), len = 0;
	char *buf = NULL;
	struct stat st;
	int fd = -1, error;

	assert(out && path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		int missing = errno == ENOENT || errno == ENOTDIR;

		error = read_error(diag, missing ? KK_ENOTFOUND : KK_EIO, path, errno);
		goto done;
	}
	if (fstat(fd, &st) < 0) {
		error = read_error(diag, KK_EIO, path, errno);
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		error = read_error(diag, KK_EIO, path, EISDIR);
		goto done;
	}
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max) {
		error = too_large(diag, path, max);
		goto done;
	}
	if ((error = read_bounded(&buf, &len, fd, &st, max, path, diag)) < 0)
		goto done;
	error = kk_json_parse(out, buf, len, limits, diag);

done:
	if (fd >= 0)
		close(fd);
	free(buf);
	return error;
}

/*
 * An integer and a real are equal when the real is that integer exactly;
 * comparing them as doubles would call 2^53 + 1 equal to 2^53.
 */
static int numbers_equal(const json_t *a, const json_t *b)
{
	json_int_t i;
	double d;

	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	if (json_is_real(a) && json_is_real(b))
		return json_real_value(a) == json_real_value(b);
	if (json_is_integer(a)) {
		i = json_integer_value(a);
		d = json_real_value(b);
	} else {
		i = json_integer_value(b);
		d = json_real_value(a);
	}
	/*
	 * -2^63 is exact as a double and 2^63 is one past the largest json_int_t;
	 * in between the conversion is defined, and exact only for a whole d.
	 */
	if (!(d >= -0x1p63 && d < 0x1p63))
		return 0;
	return (json_int_t)d == i && (double)(json_int_t)d == d;
}

int kk_json_equal(const json_t *a, const json_t *b)
{
	void *iter;
	size_t i;

	if (a == b)
		return 1;
	if (!a || !b)
		return 0;
	if (json_is_number(a) && json_is_number(b))
		return numbers_equal(a, b);
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) ==
			       0;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++) {
			if (!kk_json_equal(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		}
		return 1;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		/* jansson's iterators take a non-const object but do not modify it. */
		for (iter = json_object_iter((json_t *)a); iter;
		     iter = json_object_iter_next((json_t *)a, iter)) {
			const json_t *other = json_object_getn(b, json_object_iter_key(iter),
							       json_object_iter_key_len(iter));

			if (!kk_json_equal(json_object_iter_value(iter), other))
				return 0;
		}
		return 1;
	default:
		/* true, false and null are singletons of their type. */
		return 1;
	}
}

json_t *kk_json_copy(const json_t *value)
{
	json_t *copy;
	int error;

	if (json_is_object(value)) {
		copy = json_object();
		error = copy ? json_object_update(copy, (json_t *)value) : -1;
	} else if (json_is_array(value)) {
		copy = json_array();
		error = copy ? json_array_extend(copy, (json_t *)value) : -1;
	} else {
		return json_copy((json_t *)value);
	}
	if (error < 0) {
		json_decref(copy);
		return NULL;
	}
	return copy;
}

int kk_json_pointer_push(char *buf, size_t size, const char *token)
{
	size_t len, extra = 1;
	const char *p;
	char *w;

	assert(buf && token);
	len = strnlen(buf, size);
	for (p = token; *p; p++)
		extra += (*p == '~' || *p == '/') ? 2 : 1;
	if (len >= size || extra >= size - len)
		return KK_ELIMIT;
	w = buf + len;
	*w++ = '/';
	for (p = token; *p; p++) {
		if (*p == '~' || *p == '/') {
			*w++ = '~';
			*w++ = *p == '~' ? '0' : '1';
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return 0;
}
