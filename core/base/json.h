/*
 * json.h - the strict JSON reader every input goes through.
 *
 * Plan files and (later) protocol messages are parsed here, never with bare
 * json_loads(): the reader rejects duplicate keys, invalid UTF-8, nesting
 * deeper than a limit and input larger than a limit, and every error names
 * its position.
 */
#ifndef KK_JSON_H
#define KK_JSON_H

#include <jansson.h>

#include "common.h"

#define KK_JSON_MAX_SIZE_DEFAULT  (4u * 1024u * 1024u)
#define KK_JSON_MAX_DEPTH_DEFAULT 64u

typedef struct kk_json_limits {
	size_t max_size;  /* bytes; 0 means KK_JSON_MAX_SIZE_DEFAULT */
	size_t max_depth; /* nested arrays/objects; 0 means KK_JSON_MAX_DEPTH_DEFAULT */
} kk_json_limits;

/*
 * Parses `len` bytes at `buf` as one JSON value (any type at top level).
 * On success *out holds a new reference the caller must json_decref().
 * Fails with KK_ELIMIT (too large, too deep) or KK_EINVALID (syntax,
 * duplicate key, invalid UTF-8, NUL in a string); `diag` then gives the
 * message, line, column (in characters) and byte position.  `limits` may be
 * NULL for the defaults.
 */
int kk_json_parse(json_t **out, const char *buf, size_t len, const kk_json_limits *limits,
		  kk_diag *diag);

/*
 * Reads and parses the file at `path`.  Fails as kk_json_parse() does, or
 * with KK_ENOTFOUND / KK_EIO when the file cannot be read.
 */
int kk_json_load_file(json_t **out, const char *path, const kk_json_limits *limits, kk_diag *diag);

/*
 * Numeric-aware deep equality as JSON Schema defines it: 1 and 1.0 are
 * equal, object key order does not matter.
 */
int kk_json_equal(const json_t *a, const json_t *b);

/*
 * A shallow copy of `value`, as json_copy() makes it, or NULL when memory
 * runs out: jansson's json_copy() leaves out the members it has no memory
 * for and returns the rest.
 */
json_t *kk_json_copy(const json_t *value);

/*
 * Appends the RFC 6901 escaped form of `token` to the pointer in `buf`
 * (capacity `size`).  Returns 0, or KK_ELIMIT when it would not fit (the
 * buffer is then left unchanged).
 */
int kk_json_pointer_push(char *buf, size_t size, const char *token);

/* The value of the hexadecimal digit `c` (either case), or -1: for \uXXXX and %XX. */
int kk_json_hex_digit(int c);

#endif
