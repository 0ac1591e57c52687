/*
 * schema_uri.c - URI reference resolution for $id and $ref (RFC 3986).
 *
 * Only the generic syntax is needed: URIs are compared as strings once
 * resolved, so nothing here normalises case or percent-encoding.
 */
#include "schema_uri.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* One component of a parsed URI; `defined` tells "" from absent (RFC 3986, 5.2.1). */
typedef struct uri_part {
	const char *s;
	size_t len;
	bool defined;
} uri_part;

typedef struct uri_parts {
	uri_part scheme, authority, path, query, fragment;
} uri_parts;

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_scheme_char(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

static void set_part(uri_part *part, const char *s, size_t len)
{
	part->s = s;
	part->len = len;
	part->defined = true;
}

/* Splits `s` with the regular expression of RFC 3986, appendix B. */
static void uri_parse(uri_parts *u, const char *s)
{
	const char *p = s, *q;

	memset(u, 0, sizeof(*u));
	if (is_alpha(*p)) {
		for (q = p + 1; is_scheme_char(*q); q++)
			;
		if (*q == ':') {
			set_part(&u->scheme, p, (size_t)(q - p));
			p = q + 1;
		}
	}
	if (p[0] == '/' && p[1] == '/') {
		p += 2;
		q = p + strcspn(p, "/?#");
		set_part(&u->authority, p, (size_t)(q - p));
		p = q;
	}
	q = p + strcspn(p, "?#");
	set_part(&u->path, p, (size_t)(q - p));
	p = q;
	if (*p == '?') {
		p++;
		q = p + strcspn(p, "#");
		set_part(&u->query, p, (size_t)(q - p));
		p = q;
	}
	if (*p == '#') {
		p++;
		set_part(&u->fragment, p, strlen(p));
	}
}

/* Drops the last segment of `out` (of length *len) and the '/' before it. */
static void pop_segment(char *out, size_t *len)
{
	while (*len > 0 && out[*len - 1] != '/')
		(*len)--;
	if (*len > 0)
		(*len)--;
	out[*len] = '\0';
}

/*
 * RFC 3986, 5.2.4, on a private copy of the path: the "replace the prefix
 * with '/'" steps overwrite a byte in place.  The output is never longer
 * than the input.
 */
static char *remove_dot_segments(const char *path, size_t len)
{
	char *in = malloc(len + 1), *out = malloc(len + 1);
	size_t i = 0, o = 0;

	if (!in || !out) {
		free(in);
		free(out);
		return NULL;
	}
	memcpy(in, path, len);
	in[len] = '\0';
	out[0] = '\0';
	while (in[i]) {
		char *p = in + i;

		if (strncmp(p, "../", 3) == 0) {
			i += 3;
		} else if (strncmp(p, "./", 2) == 0) {
			i += 2;
		} else if (strncmp(p, "/./", 3) == 0) {
			i += 2;
		} else if (strcmp(p, "/.") == 0) {
			i += 1;
			in[i] = '/';
		} else if (strncmp(p, "/../", 4) == 0) {
			i += 3;
			pop_segment(out, &o);
		} else if (strcmp(p, "/..") == 0) {
			i += 2;
			in[i] = '/';
			pop_segment(out, &o);
		} else if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0) {
			i += strlen(p);
		} else {
			size_t n = (*p == '/') ? 1 : 0;

			n += strcspn(p + n, "/");
			memcpy(out + o, p, n);
			o += n;
			out[o] = '\0';
			i += n;
		}
	}
	free(in);
	return out;
}

/* RFC 3986, 5.2.3: the reference's path appended to the base's directory. */
static char *merge_paths(const uri_parts *base, const uri_part *path)
{
	size_t dir = 0, i;
	char *merged, *result;

	if (base->authority.defined && base->path.len == 0) {
		if ((merged = malloc(path->len + 2)) == NULL)
			return NULL;
		merged[0] = '/';
		memcpy(merged + 1, path->s, path->len);
		merged[path->len + 1] = '\0';
	} else {
		for (i = 0; i < base->path.len; i++) {
			if (base->path.s[i] == '/')
				dir = i + 1;
		}
		if ((merged = malloc(dir + path->len + 1)) == NULL)
			return NULL;
		memcpy(merged, base->path.s, dir);
		memcpy(merged + dir, path->s, path->len);
		merged[dir + path->len] = '\0';
	}
	result = remove_dot_segments(merged, strlen(merged));
	free(merged);
	return result;
}

static void append(char *out, size_t *len, const char *prefix, const uri_part *part)
{
	size_t n = strlen(prefix);

	if (!part->defined)
		return;
	memcpy(out + *len, prefix, n);
	*len += n;
	memcpy(out + *len, part->s, part->len);
	*len += part->len;
}

char *kk_uri_resolve(const char *base, const char *ref)
{
	uri_parts b, r, t;
	uri_part path;
	char *owned_path = NULL, *result = NULL;
	size_t len = 0;

	uri_parse(&b, base);
	uri_parse(&r, ref);
	memset(&t, 0, sizeof(t));
	if (r.scheme.defined || r.authority.defined) {
		t.scheme = r.scheme.defined ? r.scheme : b.scheme;
		t.authority = r.authority;
		t.query = r.query;
		owned_path = remove_dot_segments(r.path.s, r.path.len);
	} else if (r.path.len == 0) {
		t.scheme = b.scheme;
		t.authority = b.authority;
		t.path = b.path;
		t.query = r.query.defined ? r.query : b.query;
	} else {
		t.scheme = b.scheme;
		t.authority = b.authority;
		t.query = r.query;
		if (r.path.s[0] == '/')
			owned_path = remove_dot_segments(r.path.s, r.path.len);
		else
			owned_path = merge_paths(&b, &r.path);
	}
	t.fragment = r.fragment;
	if (!t.path.defined) {
		if (!owned_path)
			return NULL;
		path.s = owned_path;
		path.len = strlen(owned_path);
		path.defined = true;
		t.path = path;
	}

	/* Each component plus its delimiter: "scheme:" "//auth" "path" "?query" "#frag". */
	result = malloc(t.scheme.len + t.authority.len + t.path.len + t.query.len + t.fragment.len +
			6);
	if (result) {
		if (t.scheme.defined) {
			memcpy(result, t.scheme.s, t.scheme.len);
			len = t.scheme.len;
			result[len++] = ':';
		}
		append(result, &len, "//", &t.authority);
		append(result, &len, "", &t.path);
		append(result, &len, "?", &t.query);
		append(result, &len, "#", &t.fragment);
		result[len] = '\0';
	}
	free(owned_path);
	return result;
}

size_t kk_uri_fragment_offset(const char *uri)
{
	return strcspn(uri, "#");
}

char *kk_uri_percent_decode(const char *s, size_t len, size_t *len_out)
{
	char *out = malloc(len + 1);
	size_t i, o = 0;

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < len &&
		    (hi = kk_json_hex_digit((unsigned char)s[i + 1])) >= 0 &&
		    (lo = kk_json_hex_digit((unsigned char)s[i + 2])) >= 0) {
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	*len_out = o;
	return out;
}
