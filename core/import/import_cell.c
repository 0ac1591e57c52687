/*
 * import_cell.c - recognising the values of a progress report's cells.
 *
 * Input is valid UTF-8 (core/import/import_sheet.c checks it).
 */
#include "import_cell.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "buf.h"

/* Decodes the code point at *p and advances past it; 0 at the end. */
static unsigned next_cp(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;
	unsigned cp;
	size_t n;

	if (!s[0])
		return 0;
	if (s[0] < 0x80)
		n = 1, cp = s[0];
	else if (s[0] < 0xE0)
		n = 2, cp = s[0] & 0x1F;
	else if (s[0] < 0xF0)
		n = 3, cp = s[0] & 0x0F;
	else
		n = 4, cp = s[0] & 0x07;
	for (size_t i = 1; i < n && s[i]; i++)
		cp = (cp << 6) | (s[i] & 0x3F);
	*p += n;
	return cp;
}

static int is_space_cp(unsigned cp)
{
	return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' ||
	       cp == 0xA0 || cp == 0x3000;
}

/* Skips white space at `s`. */
static const char *skip_space(const char *s)
{
	const char *p = s;

	while (*s && is_space_cp(next_cp(&p)))
		s = p;
	return s;
}

static int is_dash_cp(unsigned cp)
{
	return cp == '-' || cp == 0x2010 || cp == 0x2012 || cp == 0x2013 || cp == 0x2014 ||
	       cp == 0x2015 || cp == 0x2212 || cp == 0x30FC || cp == 0xFF0D || cp == 0xFF70 ||
	       cp == 0x2500;
}

/* The value of a full-width or ASCII digit, or -1. */
static int digit_value(unsigned cp)
{
	if (cp >= '0' && cp <= '9')
		return (int)(cp - '0');
	if (cp >= 0xFF10 && cp <= 0xFF19)
		return (int)(cp - 0xFF10);
	return -1;
}

/* --- cleaning --- */

/* A line break where a block of text ends, unless one is there already. */
static void put_break(kk_buf *o)
{
	if (o->len && o->data[o->len - 1] != '\n')
		kk_buf_put(o, "\n", 1);
}

/*
 * Recognises an HTML tag at `s` (which starts with '<'): returns its length
 * and sets *kind to 1 for a line break (<br>, <hr>), 2 for a block (<p>,
 * </p>, <div>, <li>, …) and 0 for inline tags (<span>, <b>, …); returns 0
 * when `s` is not a tag Keikaku knows.
 */
static size_t html_tag(const char *s, int *kind)
{
	static const struct {
		const char *name;
		int kind;
	} tags[] = {
		{"br", 1},  {"hr", 1},	  {"p", 2},	 {"div", 2},  {"li", 2}, {"ul", 2},
		{"ol", 2},  {"tr", 2},	  {"table", 2},	 {"td", 2},   {"h1", 2}, {"h2", 2},
		{"h3", 2},  {"h4", 2},	  {"span", 0},	 {"b", 0},    {"i", 0},	 {"u", 0},
		{"s", 0},   {"em", 0},	  {"strong", 0}, {"font", 0}, {"a", 0},	 {"sup", 0},
		{"sub", 0}, {"small", 0}, {"tbody", 2},	 {"o:p", 0},
	};
	const char *p = s + 1, *name;
	size_t n;

	if (*p == '/')
		p++;
	name = p;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == ':')
		p++;
	n = (size_t)(p - name);
	if (n == 0 || (*p != '>' && *p != ' ' && *p != '/' && *p != '\t' && *p != '\n'))
		return 0;
	for (size_t i = 0; i < sizeof(tags) / sizeof(*tags); i++) {
		if (strlen(tags[i].name) == n && strncasecmp(tags[i].name, name, n) == 0) {
			const char *end = strchr(p, '>');
			const char *lt = strchr(p, '<');

			if (!end || (lt && lt < end))
				return 0;
			*kind = tags[i].kind;
			return (size_t)(end + 1 - s);
		}
	}
	return 0;
}

/* Decodes the character reference at `s` (starting with '&'); returns its length or 0. */
static size_t html_entity(kk_buf *o, const char *s)
{
	static const struct {
		const char *name, *text;
	} names[] = {
		{"&nbsp;", " "}, {"&amp;", "&"},   {"&lt;", "<"},
		{"&gt;", ">"},	 {"&quot;", "\""}, {"&apos;", "'"},
	};
	unsigned long cp;
	char *end;

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		if (strncmp(s, names[i].name, strlen(names[i].name)) == 0) {
			kk_buf_put(o, names[i].text, strlen(names[i].text));
			return strlen(names[i].name);
		}
	}
	if (s[1] != '#')
		return 0;
	cp = (s[2] == 'x' || s[2] == 'X') ? strtoul(s + 3, &end, 16) : strtoul(s + 2, &end, 10);
	if (*end != ';' || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
	    end == s + 2 || end == s + 3)
		return 0;
	{
		utf8proc_uint8_t buf[4];
		utf8proc_ssize_t n = utf8proc_encode_char((utf8proc_int32_t)cp, buf);

		kk_buf_put(o, (const char *)buf, (size_t)n);
	}
	return (size_t)(end + 1 - s);
}

/* Removes known HTML tags (and, where there were some, decodes entities). */
static char *strip_html(const char *s)
{
	kk_buf o = {0};
	int stripped = 0, kind;
	size_t n;

	for (const char *p = s; *p;) {
		if (*p == '<' && (n = html_tag(p, &kind))) {
			stripped = 1;
			if (kind == 1)
				kk_buf_put(&o, "\n", 1);
			else if (kind == 2)
				put_break(&o);
			p += n;
		} else {
			kk_buf_put(&o, p, 1);
			p++;
		}
	}
	if (stripped && !o.failed && o.data && strchr(o.data, '&')) {
		kk_buf e = {0};

		for (const char *p = o.data; *p;) {
			if (*p == '&' && (n = html_entity(&e, p))) {
				p += n;
			} else {
				kk_buf_put(&e, p, 1);
				p++;
			}
		}
		free(o.data);
		o = e;
	}
	if (o.failed) {
		free(o.data);
		return NULL;
	}
	return o.data ? o.data : strdup("");
}

char *kk_cell_clean(const char *raw)
{
	char *text = strchr(raw, '<') ? strip_html(raw) : strdup(raw), *nfc = NULL;
	const char *start, *end, *p;

	if (!text)
		return NULL;
	start = skip_space(text);
	end = start;
	for (p = start; *p;) {
		unsigned cp = next_cp(&p);

		if (!is_space_cp(cp))
			end = p;
	}
	memmove(text, start, (size_t)(end - start));
	text[end - start] = '\0';
	if (utf8proc_map((const utf8proc_uint8_t *)text, 0, (utf8proc_uint8_t **)&nfc,
			 UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE) < 0) {
		free(text);
		return NULL;
	}
	free(text);
	return nfc;
}

/* --- values --- */

int kk_cell_is_dash(const char *s)
{
	const char *p = s;
	unsigned cp;
	int any = 0;

	while ((cp = next_cp(&p))) {
		if (!is_dash_cp(cp))
			return 0;
		any = 1;
	}
	return any;
}

static const struct {
	const char *word, *code;
} achievements[] = {
	{"導入完了", "completed"},
	{"取り下げ", "withdrawn"},
	{"取下げ", "withdrawn"},
};

const char *kk_cell_achievement(const char *s)
{
	if (kk_cell_is_dash(s))
		return "open";
	for (size_t i = 0; i < sizeof(achievements) / sizeof(*achievements); i++)
		if (strcmp(s, achievements[i].word) == 0)
			return achievements[i].code;
	return NULL;
}

int kk_cell_achievement_merged(const char **code, const char **rest, const char *s)
{
	const char *p = s, *after;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(achievements) / sizeof(*achievements); i++) {
		n = strlen(achievements[i].word);
		if (strncmp(s, achievements[i].word, n) == 0) {
			*code = achievements[i].code;
			break;
		}
		n = 0;
	}
	if (n == 0) {
		/* A dash, then a space. */
		while (*p) {
			const char *q = p;

			if (!is_dash_cp(next_cp(&q)))
				break;
			p = q;
		}
		if (p == s)
			return 0;
		*code = "open";
		n = (size_t)(p - s);
	}
	p = s + n;
	after = skip_space(p);
	if (after == p || !*after)
		return 0;
	*rest = after;
	return 1;
}

int kk_cell_is_symbol(const char *s)
{
	const char *p = s;
	unsigned cp = next_cp(&p);

	if (!cp || *p)
		return 0;
	if (cp >= 0x2460 && cp <= 0x24FF) /* enclosed alphanumerics: ① is a measure */
		return 0;
	if (is_dash_cp(cp))
		return 0;
	/* Geometric shapes, symbols, dingbats; not arrows ("→" is a schedule: as before). */
	return cp == 0xD7 || cp == 0x3007 || (cp >= 0x25A0 && cp <= 0x27BF) ||
	       (cp >= 0x2B00 && cp <= 0x2BFF);
}

int kk_cell_integer(long *out, const char *s)
{
	const char *p = s;
	unsigned cp;
	long v = 0;
	int any = 0, d;

	while ((cp = next_cp(&p))) {
		if ((d = digit_value(cp)) < 0)
			return 0;
		if (v < 999999)
			v = v * 10 + d;
		any = 1;
	}
	if (!any)
		return 0;
	*out = v > 999999 ? 999999 : v;
	return 1;
}

int kk_cell_integer_achievement(long *out, const char **code, const char *s)
{
	const char *p = s, *q = s, *word;
	long v = 0;
	int d;

	while (*q && (d = digit_value(next_cp(&p))) >= 0) {
		if (v < 999999)
			v = v * 10 + d;
		q = p;
	}
	if (q == s)
		return 0;
	word = skip_space(q);
	if (word == q || !(*code = kk_cell_achievement(word)))
		return 0;
	*out = v;
	return 1;
}

int kk_cell_measure_number(int *out, const char **rest, const char *s)
{
	const char *p = s, *q;
	unsigned cp = next_cp(&p);
	int n = 0, d;

	if (cp >= 0x2460 && cp <= 0x2473)
		n = (int)(cp - 0x2460 + 1);
	else if (cp >= 0x3251 && cp <= 0x325F)
		n = (int)(cp - 0x3251 + 21);
	else if (cp >= 0x32B1 && cp <= 0x32BF)
		n = (int)(cp - 0x32B1 + 36);
	if (n) {
		*out = n;
		*rest = skip_space(p);
		return 1;
	}
	p = s;
	q = s;
	while (*q && (d = digit_value(next_cp(&p))) >= 0) {
		if (n < 1000)
			n = n * 10 + d;
		q = p;
	}
	if (q == s)
		return 0;
	p = q;
	cp = next_cp(&p);
	if (cp == '.' || cp == ')' || cp == 0xFF0E || cp == 0xFF09 || cp == 0x3001)
		q = p;
	else if (cp && !is_space_cp(cp))
		return 0;
	*out = n;
	*rest = skip_space(q);
	return 1;
}

/* Reads digits at *p (ASCII or full-width) into *out; returns how many. */
static int read_number(int *out, const char **p)
{
	const char *q = *p, *r = *p;
	int n = 0, count = 0, d;

	while (*r && (d = digit_value(next_cp(&q))) >= 0) {
		if (n < 1000)
			n = n * 10 + d;
		r = q;
		count++;
	}
	*p = r;
	*out = n;
	return count;
}

int kk_cell_pillar_heading(int *out, const char **title, const char *s)
{
	static const char prefix[] = "計画の柱";
	const char *p;
	unsigned cp;

	if (strncmp(s, prefix, strlen(prefix)) != 0)
		return 0;
	p = skip_space(s + strlen(prefix));
	if (!read_number(out, &p))
		return 0;
	{
		const char *q = p;

		cp = next_cp(&q);
		if (cp == '.' || cp == 0xFF0E || cp == 0x3001 || cp == ':' || cp == 0xFF1A)
			p = q;
	}
	*title = skip_space(p);
	return 1;
}

int kk_cell_section_heading(int *out, const char **title, const char *s)
{
	const char *p = s;
	unsigned cp = next_cp(&p);

	if (cp >= 0x2474 && cp <= 0x2487) { /* ⑴ … ⒇ */
		*out = (int)(cp - 0x2474 + 1);
		*title = skip_space(p);
		return 1;
	}
	if (cp != '(' && cp != 0xFF08)
		return 0;
	p = skip_space(p);
	if (!read_number(out, &p))
		return 0;
	p = skip_space(p);
	cp = next_cp(&p);
	if (cp != ')' && cp != 0xFF09)
		return 0;
	*title = skip_space(p);
	return 1;
}

/*
 * Calls fn(name, length, arg) for each name in `s`, split at white space, 、
 * and commas; stops at the first call that returns nonzero and returns
 * what it returned, or 0.
 */
static int each_name(const char *s, int (*fn)(const char *, size_t, void *), void *arg)
{
	const char *p = s, *start = s;
	int error;

	for (;;) {
		const char *here = p;
		unsigned cp = next_cp(&p);

		if (cp == 0 || is_space_cp(cp) || cp == 0x3001 || cp == ',' || cp == 0xFF0C) {
			size_t n = (size_t)(here - start);

			if (n && (error = fn(start, n, arg)) != 0)
				return error;
			start = p;
		}
		if (cp == 0)
			return 0;
	}
}

/* Appends the name to the array `arg` unless it is there or a dash. */
static int append_name(const char *start, size_t n, void *arg)
{
	json_t *array = arg, *v;
	char *name = strndup(start, n);
	size_t i;
	int seen = 0;

	if (!name)
		return -1;
	json_array_foreach(array, i, v)
		seen |= strcmp(json_string_value(v), name) == 0;
	if (!seen && !kk_cell_is_dash(name) && json_array_append_new(array, json_string(name)) < 0) {
		free(name);
		return -1;
	}
	free(name);
	return 0;
}

int kk_cell_departments(json_t *array, const char *s)
{
	return each_name(s, append_name, array);
}

/* Tells whether the `n` bytes at `name` end with `suffix`. */
static int ends_with(const char *name, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(name + n - k, suffix, k) == 0;
}

/* One department name, `n` bytes at `name`. */
static int department_name(const char *name, size_t n, const json_t *known)
{
	static const char *const others[] = {"ほか", "他", "等", "など"};
	static const char *const units[] = {
		"課", "室", "局", "部", "所", "センター", "館", "会", "院", "係", "班", "庁", "署",
		"園", "校", "事務局", "本部", "組合", "公社", "財団",
	};
	size_t chars = 0;
	const char *p = name;

	if (known) {
		char key[256];

		if (n < sizeof(key)) {
			memcpy(key, name, n);
			key[n] = '\0';
			if (json_object_get(known, key))
				return 1;
		}
	}
	while (p < name + n && next_cp(&p))
		chars++;
	if (chars > 30)
		return 0;
	for (size_t i = 0; i < sizeof(others) / sizeof(*others); i++)
		if (ends_with(name, n, others[i]) && n > strlen(others[i])) {
			n -= strlen(others[i]);
			break;
		}
	for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++)
		if (ends_with(name, n, units[i]))
			return 1;
	return 0;
}

struct names_read {
	const json_t *known;
	size_t count;
};

/* 1 when the name is not a department's (each_name() stops there). */
static int not_department(const char *name, size_t n, void *arg)
{
	struct names_read *read = arg;

	read->count++;
	return !department_name(name, n, read->known);
}

int kk_cell_is_department(const char *s, const json_t *known)
{
	struct names_read read = {known, 0};

	if (!*s || kk_cell_is_dash(s) || strstr(s, "。") || strstr(s, "【"))
		return 0;
	return each_name(s, not_department, &read) == 0 && read.count > 0;
}

size_t kk_cell_length(const char *s)
{
	size_t n = 0;

	while (next_cp(&s))
		n++;
	return n;
}

void kk_cell_excerpt(char *buf, size_t size, const char *s, size_t max)
{
	const char *p = s;
	size_t n = 0;

	while (n < max && next_cp(&p))
		n++;
	if (!*p)
		snprintf(buf, size, "%s", s);
	else
		snprintf(buf, size, "%.*s…", (int)(p - s), s);
}

void kk_cell_compact(char *buf, size_t size, const char *s)
{
	size_t n = 0;
	unsigned cp;

	if (!size)
		return;
	while ((cp = next_cp(&s))) {
		char tmp[4];
		size_t len;

		if (is_space_cp(cp))
			continue;
		if (cp >= 0xFF01 && cp <= 0xFF5E) /* full-width ASCII */
			cp = cp - 0xFF01 + 0x21;
		len = (size_t)utf8proc_encode_char((utf8proc_int32_t)cp, (utf8proc_uint8_t *)tmp);
		if (n + len + 1 > size)
			break;
		memcpy(buf + n, tmp, len);
		n += len;
	}
	buf[n] = '\0';
}
