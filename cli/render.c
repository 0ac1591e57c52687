/*
 * render.c - laying out text for a terminal: display widths (utf8proc, and
 * East Asian ambiguous characters one or two columns as the terminal draws
 * them), padding, cutting and wrapping Japanese and Latin text.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <utf8proc.h>

#include "cli.h"
#include "ambiguous.h"

/* The columns an East Asian ambiguous character takes (render_set_ambiguous_width()). */
static size_t ambiguous_width = 1;

void render_set_ambiguous_width(int width)
{
	ambiguous_width = width == 2 ? 2 : 1;
}

static int is_ambiguous(utf8proc_int32_t cp)
{
	size_t lo = 0, hi = sizeof(render_ambiguous) / sizeof(*render_ambiguous);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((unsigned)cp < render_ambiguous[mid].first)
			hi = mid;
		else if ((unsigned)cp > render_ambiguous[mid].last)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/* Decodes one code point at `s`; invalid bytes count as one U+FFFD. */
static size_t next_cp(const char *s, utf8proc_int32_t *cp)
{
	utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s, -1, cp);

	if (n <= 0) {
		*cp = 0xFFFD;
		return 1;
	}
	return (size_t)n;
}

static size_t cp_width(utf8proc_int32_t cp)
{
	int w = utf8proc_charwidth(cp);

	if (w == 1 && ambiguous_width == 2 && cp >= 0xA1 && is_ambiguous(cp))
		return 2;
	return w > 0 ? (size_t)w : 0;
}

size_t render_width(const char *s)
{
	size_t width = 0;
	utf8proc_int32_t cp;

	while (*s) {
		s += next_cp(s, &cp);
		width += cp_width(cp);
	}
	return width;
}

void render_padded(FILE *out, const char *s, size_t width)
{
	size_t w = render_width(s);

	fputs(s, out);
	for (; w < width; w++)
		fputc(' ', out);
}

void render_fitted(FILE *out, const char *s, size_t width)
{
	size_t used = 0, ellipsis = cp_width(0x2026);
	utf8proc_int32_t cp;

	if (render_width(s) <= width) {
		render_padded(out, s, width);
		return;
	}
	while (*s && width >= ellipsis) {
		size_t n = next_cp(s, &cp), w = cp_width(cp);

		if (used + w + ellipsis > width) /* keep room for the ellipsis */
			break;
		fwrite(s, 1, n, out);
		used += w;
		s += n;
	}
	if (width >= ellipsis) {
		fputs("…", out);
		used += ellipsis;
	}
	for (; used < width; used++)
		fputc(' ', out);
}

size_t render_columns(void)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;
	long n;

	if (env && (n = strtol(env, NULL, 10)) >= 20 && n <= 1000)
		return (size_t)n;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

/* Characters that must not begin a line (kinsoku): they stay with the text before. */
static int no_line_start(utf8proc_int32_t cp)
{
	static const utf8proc_int32_t closers[] = {
		0x3001, 0x3002, 0xFF0C, 0xFF0E, 0x3011, 0x300D, 0x300F, 0xFF09, 0x0029, 0xFF01,
		0xFF1F, 0x30FC, 0x3005, 0x2026, 0x002C, 0x002E, 0x003A, 0xFF1A, 0x3015,
	};

	for (size_t i = 0; i < sizeof(closers) / sizeof(*closers); i++)
		if (cp == closers[i])
			return 1;
	return 0;
}

typedef struct {
	FILE *out;
	size_t indent, width, used;
	int at_line_start;
	const char *space; /* spaces not written yet: only before more text on the line */
	size_t space_len, space_width;
} wrapper;

static void wrap_newline(wrapper *w)
{
	fputc('\n', w->out);
	w->used = 0;
	w->at_line_start = 1;
	w->space_len = w->space_width = 0;
}

static void wrap_put(wrapper *w, const char *s, size_t n, size_t width)
{
	if (w->at_line_start) {
		for (size_t i = 0; i < w->indent; i++)
			fputc(' ', w->out);
		w->at_line_start = 0;
	}
	fwrite(s, 1, n, w->out);
	w->used += width;
}

/*
 * Lays out one unit: a Latin word (kept whole unless longer than a line),
 * a space, or one other character, each with any closing punctuation that
 * follows it.  Lines break between units; a space is written only when
 * something follows it on its line, so that no line ends in one.
 */
static void wrap_unit(wrapper *w, const char *s, size_t n, size_t width, int is_space)
{
	size_t avail = w->width > w->indent ? w->width - w->indent : 1;

	if (is_space) {
		if (w->used == 0)
			return;
		if (w->used + w->space_width + width >= avail) {
			wrap_newline(w);
			return;
		}
		if (!w->space_len)
			w->space = s;
		w->space_len = (size_t)(s + n - w->space);
		w->space_width += width;
		return;
	}
	if (w->space_len) {
		if (w->used + w->space_width + width > avail) {
			wrap_newline(w);
		} else {
			wrap_put(w, w->space, w->space_len, w->space_width);
			w->space_len = w->space_width = 0;
		}
	}
	if (w->used + width > avail && w->used > 0)
		wrap_newline(w);
	if (width > avail) {
		/* A word longer than a line: cut it by characters. */
		while (n > 0) {
			utf8proc_int32_t cp;
			size_t k = next_cp(s, &cp), cw = cp_width(cp);

			if (w->used + cw > avail && w->used > 0)
				wrap_newline(w);
			wrap_put(w, s, k, cw);
			s += k;
			n -= k;
		}
		return;
	}
	wrap_put(w, s, n, width);
}

void render_wrapped(FILE *out, const char *text, size_t indent, size_t width, int hanging)
{
	wrapper w = {out, indent, width, 0, !hanging, NULL, 0, 0};
	const char *p = text;

	while (*p) {
		utf8proc_int32_t cp, after;
		size_t n = next_cp(p, &cp), unit_width;
		const char *start;

		if (cp == '\n') {
			wrap_newline(&w);
			p += n;
			continue;
		}
		if (cp == ' ' || cp == 0x3000 || cp == '\t') {
			/* A bullet or a 【heading】 after a space starts a new line. */
			next_cp(p + n, &after);
			if ((after == 0x30FB || after == 0x3010) && !w.at_line_start)
				wrap_newline(&w);
			else
				wrap_unit(&w, p, n, cp_width(cp), 1);
			p += n;
			continue;
		}
		start = p;
		unit_width = 0;
		if (cp < 0x80) {
			while (*p && (unsigned char)*p < 0x80 && *p != ' ' && *p != '\n' &&
			       *p != '\t') {
				p++;
				unit_width++;
			}
		} else {
			p += n;
			unit_width = cp_width(cp);
		}
		/* Kinsoku: punctuation that must not begin a line goes with what precedes it. */
		while (*p) {
			size_t k = next_cp(p, &after);

			if (!no_line_start(after))
				break;
			p += k;
			unit_width += cp_width(after);
		}
		wrap_unit(&w, start, (size_t)(p - start), unit_width, 0);
	}
	if (!w.at_line_start || hanging)
		fputc('\n', out);
}
