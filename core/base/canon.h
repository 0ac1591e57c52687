/*
 * canon.h - the one writer of plan files.
 *
 * Every plan file is stored in a canonical form, so that the same content
 * always has the same bytes and a change to one scalar field changes one
 * line of `git diff`: object keys in the order of the schema's "properties"
 * (then any other keys in byte order), 2-space indent, one array element
 * per line, UTF-8 left unescaped, every string normalised to NFC, and a
 * trailing newline.  The layout is the one Python's
 * json.dumps(v, ensure_ascii=False, indent=2) gives, so that plain tools
 * reproduce it.
 */
#ifndef KK_CANON_H
#define KK_CANON_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common.h"

/*
 * Serialises `value` canonically.  `schema` (may be NULL) gives the key
 * order; local "$ref"s ("#/definitions/...") in it are followed, and
 * "additionalProperties" and "items" give the order below.  On success
 * *out is a NUL-terminated buffer the caller frees with free(), and
 * *len_out (may be NULL) its length.  Fails with KK_EINVALID when a string
 * is not valid UTF-8 or a number is not finite, KK_ENOMEM on allocation
 * failure.
 */
int kk_canon_dump(char **out, size_t *len_out, const json_t *value, const json_t *schema,
		  kk_diag *diag);

/*
 * As kk_canon_dump(), and tells in *same whether the output reads back as
 * `value` itself: its keys were in canonical order already and its text
 * in NFC.  Then `value` may stand for the parse of those bytes.
 */
int kk_canon_dump_same(char **out, size_t *len_out, bool *same, const json_t *value,
		       const json_t *schema, kk_diag *diag);

/*
 * Tells whether code point `c` is one the writer takes to be in NFC in any
 * context, without asking utf8proc (for the test that checks that list).
 */
int kk_canon_nfc_stable(uint32_t c);

/*
 * Tells whether `len` bytes at `buf` are exactly the canonical form of the
 * JSON they hold.  Returns 1 when they are, 0 when not, and a negative
 * code (with `diag`) when `buf` does not parse.
 */
int kk_canon_check(const char *buf, size_t len, const json_t *schema, kk_diag *diag);

/*
 * As kk_canon_check(), for `doc`, which the caller has parsed from those
 * bytes already.  Returns 1, 0, or a negative code when `doc` cannot be
 * written (see kk_canon_dump()).
 */
int kk_canon_check_doc(const char *buf, size_t len, const json_t *doc, const json_t *schema,
		       kk_diag *diag);

#endif
