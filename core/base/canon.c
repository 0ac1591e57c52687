/*
 * canon.c - the canonical writer of plan files (canon.h): keys in the
 * schema's order, 2-space indent, NFC strings through utf8proc, and the
 * check that a document already reads as its canonical bytes.
 */
#include "canon.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "buf.h"
#include "i18n.h"
#include "json.h"

static void buf_indent(kk_buf *b, int depth)
{
	static const char spaces[] = "                                ";

	for (size_t n = (size_t)depth * 2; n > 0;) {
		size_t chunk = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		kk_buf_put(b, spaces, chunk);
		n -= chunk;
	}
}

/* Escapes as RFC 8259 requires and no more, as Python's ensure_ascii=False does. */
static void put_escaped(kk_buf *b, const char *s, size_t len)
{
	size_t start = 0;

	kk_buf_put(b, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char hex[8];

		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			if (c < 0x20) {
				snprintf(hex, sizeof(hex), "\\u%04x", c);
				esc = hex;
			}
		}
		if (esc) {
			kk_buf_put(b, s + start, i - start);
			kk_buf_puts(b, esc);
			start = i + 1;
		}
	}
	kk_buf_put(b, s + start, len - start);
	kk_buf_put(b, "\"", 1);
}

/*
 * Code points that are in NFC on their own and can neither be reordered
 * nor composed with a neighbour (no combining class, and none is the
 * second of a composition, nor does its decomposition start with one):
 * a string of them and ASCII is in NFC already.  The Latin of the first
 * blocks, and what Japanese text is made of.  tests/test_canon.c checks
 * every one against utf8proc's tables.
 */
static const struct {
	uint32_t first, last;
} nfc_stable_ranges[] = {
	{0x00A0, 0x02FF}, /* Latin-1 Supplement, Latin Extended-A and -B, IPA, modifiers */
	{0x2010, 0x2027}, /* dashes, quotation marks, bullets, ellipsis */
	{0x2030, 0x205E}, /* per mille, primes, ※ and other punctuation */
	{0x2460, 0x27BF}, /* enclosed numbers, box drawing, shapes (○ ◎ ▲), symbols */
	{0x3000, 0x3029}, /* CJK punctuation: 、。「」〜 */
	{0x3030, 0x3098}, /* hiragana, without the combining sound marks */
	{0x309B, 0x30FF}, /* the spacing sound marks, katakana */
	{0x3400, 0x4DBF}, /* CJK Extension A */
	{0x4E00, 0x9FFF}, /* CJK Unified Ideographs */
	{0xFF01, 0xFFEE}, /* fullwidth and halfwidth forms */
};

static int nfc_stable(uint32_t c)
{
	for (size_t i = 0; i < sizeof(nfc_stable_ranges) / sizeof(nfc_stable_ranges[0]); i++)
		if (c >= nfc_stable_ranges[i].first && c <= nfc_stable_ranges[i].last)
			return 1;
	return 0;
}

/*
 * Tells whether `s` is surely well-formed UTF-8 in NFC: ASCII and the code
 * points above.  0 for anything else, and for malformed text, which
 * utf8proc then reports.
 */
static int surely_nfc(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		uint32_t c;

		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xC2 && *p <= 0xDF && end - p >= 2 && (p[1] & 0xC0) == 0x80) {
			c = (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
			p += 2;
		} else if ((*p & 0xF0) == 0xE0 && end - p >= 3 && (p[1] & 0xC0) == 0x80 &&
			   (p[2] & 0xC0) == 0x80) {
			c = (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 |
			    (p[2] & 0x3F);
			p += 3;
			if (c < 0x800)
				return 0; /* overlong: malformed */
		} else {
			return 0;
		}
		if (!nfc_stable(c))
			return 0;
	}
	return 1;
}

int kk_canon_nfc_stable(uint32_t c)
{
	return nfc_stable(c);
}

/* One serialisation under way. */
typedef struct dumper {
	kk_buf b;
	const json_t *root;		   /* the schema "$ref"s are resolved in */
	char pointer[KK_DIAG_POINTER_MAX]; /* where the dump is, for errors */
	kk_diag *diag;
	bool reshaped; /* a key moved or a string changed: the output reads back differently */
} dumper;

static int put_string(dumper *d, const char *s, size_t len)
{
	utf8proc_uint8_t *nfc = NULL;
	utf8proc_ssize_t n;

	/* NUL is allowed by JSON but not by utf8proc's C-string API; plan text never has it. */
	if (memchr(s, '\0', len)) {
		kk_diag_set_pointer(d->diag, d->pointer);
		return kk_diag_set(d->diag, KK_EINVALID, _("text contains a NUL character"));
	}
	/* Every key, most enum values and most Japanese text: no need to normalise. */
	if (surely_nfc(s, len)) {
		put_escaped(&d->b, s, len);
		return 0;
	}
	n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &nfc,
			 UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (n < 0) {
		kk_diag_set_pointer(d->diag, d->pointer);
		return kk_diag_set(d->diag, n == UTF8PROC_ERROR_NOMEM ? KK_ENOMEM : KK_EINVALID,
				   _("text is not valid UTF-8"));
	}
	if ((size_t)n != len || memcmp(nfc, s, len) != 0)
		d->reshaped = true;
	put_escaped(&d->b, (const char *)nfc, (size_t)n);
	free(nfc);
	return 0;
}

/* Follows a local "$ref" ("#/definitions/x") within `root`; other refs give no ordering. */
static const json_t *deref(const json_t *root, const json_t *schema)
{
	for (int hops = 0; schema && json_is_object(schema) && hops < 16; hops++) {
		const char *ref = json_string_value(json_object_get(schema, "$ref"));
		const json_t *node = root;
		const char *p;

		if (!ref)
			return schema;
		if (strncmp(ref, "#", 1) != 0)
			return NULL;
		p = ref + 1;
		while (*p == '/' && node) {
			const char *end = strchr(p + 1, '/');
			size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
			char key[128];

			if (n >= sizeof(key))
				return NULL;
			memcpy(key, p + 1, n);
			key[n] = '\0';
			node = json_is_array(node) ? json_array_get(node, strtoul(key, NULL, 10))
						   : json_object_get(node, key);
			p += n + 1;
		}
		schema = node;
	}
	return json_is_object(schema) ? schema : NULL;
}

static const json_t *child_schema(const json_t *root, const json_t *schema, const char *key)
{
	const json_t *props, *sub;

	if (!schema)
		return NULL;
	props = json_object_get(schema, "properties");
	if (key && (sub = json_object_get(props, key)))
		return deref(root, sub);
	if (!key)
		return deref(root, json_object_get(schema, "items"));
	return deref(root, json_object_get(schema, "additionalProperties"));
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Lists the keys of `obj` in canonical order: first those the schema names,
 * in its order, then the others sorted bytewise.  Returns a malloc'd array.
 */
static const char **ordered_keys(const json_t *obj, const json_t *schema, size_t *count_out)
{
	size_t n = json_object_size(obj), count = 0, first_rest;
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	const json_t *props = schema ? json_object_get(schema, "properties") : NULL;
	const char *key;
	json_t *v;

	if (!keys)
		return NULL;
	json_object_foreach((json_t *)props, key, v) {
		if (json_object_get(obj, key))
			keys[count++] = key;
	}
	first_rest = count;
	json_object_foreach((json_t *)obj, key, v) {
		if (!props || !json_object_get(props, key))
			keys[count++] = key;
	}
	qsort(keys + first_rest, count - first_rest, sizeof(*keys), cmp_keys);
	*count_out = count;
	return keys;
}

static int dump_value(dumper *d, const json_t *v, const json_t *schema, int depth);

static int dump_object(dumper *d, const json_t *v, const json_t *schema, int depth)
{
	size_t count = 0, plen = strlen(d->pointer), i = 0;
	const char **keys, *key;
	json_t *member;
	int error = 0;

	if (json_object_size(v) == 0) {
		kk_buf_puts(&d->b, "{}");
		return 0;
	}
	if (!(keys = ordered_keys(v, schema, &count)))
		return kk_diag_set(d->diag, KK_ENOMEM, _("out of memory"));
	json_object_foreach((json_t *)v, key, member) {
		if (strcmp(key, keys[i++]) != 0) {
			d->reshaped = true;
			break;
		}
	}
	kk_buf_puts(&d->b, "{\n");
	for (i = 0; i < count && !error; i++) {
		buf_indent(&d->b, depth + 1);
		if ((error = put_string(d, keys[i], strlen(keys[i]))) < 0)
			break;
		kk_buf_puts(&d->b, ": ");
		if (kk_json_pointer_push(d->pointer, sizeof(d->pointer), keys[i]) < 0)
			d->pointer[0] = '\0';
		error = dump_value(d, json_object_get(v, keys[i]),
				   child_schema(d->root, schema, keys[i]), depth + 1);
		d->pointer[plen] = '\0';
		kk_buf_puts(&d->b, i + 1 < count ? ",\n" : "\n");
	}
	free(keys);
	buf_indent(&d->b, depth);
	kk_buf_puts(&d->b, "}");
	return error;
}

static int dump_array(dumper *d, const json_t *v, const json_t *schema, int depth)
{
	size_t n = json_array_size(v), plen = strlen(d->pointer);
	const json_t *items = child_schema(d->root, schema, NULL);
	int error = 0;

	if (n == 0) {
		kk_buf_puts(&d->b, "[]");
		return 0;
	}
	kk_buf_puts(&d->b, "[\n");
	for (size_t i = 0; i < n && !error; i++) {
		char index[32];

		snprintf(index, sizeof(index), "%zu", i);
		buf_indent(&d->b, depth + 1);
		if (kk_json_pointer_push(d->pointer, sizeof(d->pointer), index) < 0)
			d->pointer[0] = '\0';
		error = dump_value(d, json_array_get(v, i), items, depth + 1);
		d->pointer[plen] = '\0';
		kk_buf_puts(&d->b, i + 1 < n ? ",\n" : "\n");
	}
	buf_indent(&d->b, depth);
	kk_buf_puts(&d->b, "]");
	return error;
}

static int dump_value(dumper *d, const json_t *v, const json_t *schema, int depth)
{
	char num[64];

	switch (json_typeof(v)) {
	case JSON_OBJECT: return dump_object(d, v, schema, depth);
	case JSON_ARRAY: return dump_array(d, v, schema, depth);
	case JSON_STRING: return put_string(d, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		kk_buf_puts(&d->b, num);
		return 0;
	case JSON_REAL:
		if (!isfinite(json_real_value(v))) {
			kk_diag_set_pointer(d->diag, d->pointer);
			return kk_diag_set(d->diag, KK_EINVALID, _("number is not finite"));
		}
		/* Shortest form that reads back to the same double, as repr() gives. */
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(num, sizeof(num), "%.*g", prec, json_real_value(v));
			if (strtod(num, NULL) == json_real_value(v))
				break;
		}
		kk_buf_puts(&d->b, num);
		if (!strpbrk(num, ".eEn"))
			kk_buf_puts(&d->b, ".0");
		return 0;
	case JSON_TRUE: kk_buf_puts(&d->b, "true"); return 0;
	case JSON_FALSE: kk_buf_puts(&d->b, "false"); return 0;
	case JSON_NULL: kk_buf_puts(&d->b, "null"); return 0;
	}
	return kk_diag_set(d->diag, KK_EINVALID, _("unknown JSON type"));
}

int kk_canon_dump_same(char **out, size_t *len_out, bool *same, const json_t *value,
		       const json_t *schema, kk_diag *diag)
{
	dumper d = {.diag = diag};
	int error;

	d.root = schema = schema ? deref(schema, schema) : NULL;
	error = dump_value(&d, value, schema, 0);
	kk_buf_puts(&d.b, "\n");
	if (!error && d.b.failed)
		error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	if (error < 0) {
		free(d.b.data);
		return error;
	}
	*out = d.b.data;
	if (len_out)
		*len_out = d.b.len;
	if (same)
		*same = !d.reshaped;
	return 0;
}

int kk_canon_dump(char **out, size_t *len_out, const json_t *value, const json_t *schema,
		  kk_diag *diag)
{
	return kk_canon_dump_same(out, len_out, NULL, value, schema, diag);
}

int kk_canon_check_doc(const char *buf, size_t len, const json_t *doc, const json_t *schema,
		       kk_diag *diag)
{
	char *canon = NULL;
	size_t canon_len = 0;
	int error;

	if ((error = kk_canon_dump(&canon, &canon_len, doc, schema, diag)) == 0)
		error = canon_len == len && memcmp(canon, buf, len) == 0;
	free(canon);
	return error;
}

int kk_canon_check(const char *buf, size_t len, const json_t *schema, kk_diag *diag)
{
	json_t *value = NULL;
	int error;

	if ((error = kk_json_parse(&value, buf, len, NULL, diag)) < 0)
		return error;
	error = kk_canon_check_doc(buf, len, value, schema, diag);
	json_decref(value);
	return error;
}
