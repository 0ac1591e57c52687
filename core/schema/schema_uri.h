/*
 * schema_uri.h - the URI arithmetic that $id and $ref need (RFC 3986),
 * private to the schema module.
 */
#ifndef KK_SCHEMA_URI_H
#define KK_SCHEMA_URI_H

#include <stddef.h>

/*
 * Resolves the URI reference `ref` against `base` (RFC 3986, section 5.2,
 * dot segments removed).  `base` may be relative, even empty: the result
 * is then relative too, which is what a schema without a base URI needs.
 * Returns a string the caller frees, or NULL when out of memory.
 */
char *kk_uri_resolve(const char *base, const char *ref);

/* The offset of the '#' that starts the fragment of `uri`, or its length when it has none. */
size_t kk_uri_fragment_offset(const char *uri);

/*
 * Decodes the %XX escapes in `len` bytes at `s`; a '%' not followed by two
 * hex digits stays as it is.  Returns a NUL-terminated string the caller
 * frees, with its length (which a %00 makes differ from strlen) in
 * *len_out, or NULL when out of memory.
 */
char *kk_uri_percent_decode(const char *s, size_t len, size_t *len_out);

#endif
