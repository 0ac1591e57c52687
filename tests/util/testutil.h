/*
 * testutil.h - helpers shared by the cmocka programs: temporary sandboxes,
 * reading fixtures, and cmocka's required includes in the right order.
 */
#ifndef KK_TESTUTIL_H
#define KK_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <jansson.h>

/* Creates a fresh directory under $TMPDIR; returns a malloc'd path. */
char *kk_test_mkdtemp(void);

/* Removes `path` recursively (like rm -rf); a missing path is fine. */
void kk_test_rmrf(const char *path);

/* Reads a whole file; returns a malloc'd, NUL-terminated buffer or NULL. */
char *kk_test_slurp(const char *path, size_t *len_out);

/* Writes `len` bytes to `path`, creating parent directories; fails the test on error. */
void kk_test_write(const char *path, const char *data, size_t len);

/* Parses JSON text with the strict reader; fails the test when it does not parse. */
json_t *kk_test_parse(const char *text);

/* Loads a JSON file with the strict reader; fails the test when it cannot. */
json_t *kk_test_load_json(const char *path);

/* Parses file `path` of `set`; NULL when it is absent; fails the test when it does not parse. */
struct kk_fileset;
json_t *kk_test_fileset_json(const struct kk_fileset *set, const char *path);

/*
 * Fills `set` with the built-in example plan and Keikaku's schemas (under
 * schema/), as `keikaku init --from examples/dx-plan-r3` assembles them.
 */
void kk_test_load_example(struct kk_fileset *set);

/* Adds Keikaku's schemas to `set`, under schema/. */
void kk_test_load_schemas(struct kk_fileset *set);

/*
 * Fails the test unless `got` equals the JSON text `expected`: as JSON
 * (object members in any order), or, with the _exact form, also with the
 * members in the same order.  Both print the two documents when they differ.
 */
#define kk_assert_json(got, expected) kk_test_assert_json_((got), (expected), 0, __FILE__, __LINE__)
#define kk_assert_json_exact(got, expected)                                                        \
	kk_test_assert_json_((got), (expected), 1, __FILE__, __LINE__)
void kk_test_assert_json_(const json_t *got, const char *expected, int exact, const char *file,
			  int line);

/* Runs a shell command, returning its exit status (or -1). */
int kk_test_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
