/*
 * history_script.h - the scripted history that the tests of core's history
 * layer share (test_history, test_history_cache, test_revision): a plan
 * repository made with fixed signatures and times, so that every answer is
 * known exactly.  hs_setup() makes it in a new temporary directory:
 *
 *   C0 the plan: items 1 (秘書課) and 2 (市民課), FY2020 closed
 *   C1 秘書課: item 1's FY2021 progress and result, with a reason
 *   C2 デジタル戦略課: item 1's FY2021 revised schedule, a reason of two paragraphs
 *   C3 秘書課: item 1's FY2021 progress again, no reason
 *   C4 デジタル戦略課: item 3 added
 *   C5 someone with plain git: item 2 removed, a message of one line
 *   C6 デジタル戦略課: a correction to item 1's FY2020 result
 *   C7 秘書課: item 1's FY2022 progress
 *
 * A test may go on committing to it; everything fails the test on error.
 */
#ifndef KK_TEST_HISTORY_SCRIPT_H
#define KK_TEST_HISTORY_SCRIPT_H

#include <stdint.h>

#include <jansson.h>

#include "fileset.h"
#include "history.h"
#include "sandbox.h"
#include "store.h"

/* 2021-04-01T00:00:00Z, 09:00 in Japan, where the commits are made (+09:00). */
#define HS_T0  1617235200
#define HS_JST 540

#define HS_NCOMMITS 8

/* The sandbox (util/sandbox.h) and the scripted commits. */
typedef struct hs_sandbox {
	kk_test_sandbox box; /* first: hs_teardown() is kk_test_sandbox_teardown() */
	git_oid c[HS_NCOMMITS];
} hs_sandbox;

/*
 * The commits' times: C0..C2 on 2021-04-01 JST, C3 on 04-02 JST (04-01 UTC),
 * C4 in June, C5 on 2022-04-01 JST (03-31 UTC), C6 and C7 in FY2022.
 */
extern const int64_t hs_times[HS_NCOMMITS];

/* cmocka group setup and teardown: libgit2 initialised around the tests. */
int hs_init(void **state);
int hs_shutdown(void **state);

/* cmocka setup and teardown: the sandbox with C0..C7, in *state. */
int hs_setup(void **state);
int hs_teardown(void **state);

/* Puts `text` at `path` in the next commit's files, or drops `path`. */
void hs_put(hs_sandbox *sb, const char *path, const char *text);
void hs_drop(hs_sandbox *sb, const char *path);

/* Sets dotted `field` of the JSON file at `path` to `value` (JSON text), or removes it (NULL). */
void hs_set(hs_sandbox *sb, const char *path, const char *field, const char *value);

/* Commits the files on main, by `name` <`email`> at `when` (+09:00), committed by keikakud. */
git_oid hs_commit(hs_sandbox *sb, const char *name, const char *email, int64_t when,
		  const char *message);

/* hs_commit() by 田中 秘書 <hisho@keikaku.test>, or by DX Admin <dx@keikaku.test>. */
git_oid hs_hisho(hs_sandbox *sb, int64_t when, const char *message);
git_oid hs_dx(hs_sandbox *sb, int64_t when, const char *message);

/* Tags `commit` `name`, by DX Admin at `when`, as closing FY2021 does. */
void hs_tag(hs_sandbox *sb, const char *name, const git_oid *commit, int64_t when);

/* The hex of `oid`, in one of four static buffers (for a few in one call). */
const char *hs_hex(const git_oid *oid);

/* `v` as JSON text with sorted keys, to free(). */
char *hs_dump(const json_t *v);

/* The history of the chain ending at `tip`, to kk_history_free(). */
kk_history *hs_open(hs_sandbox *sb, const git_oid *tip, int use_cache);

/* The log entries `f` selects (all with NULL), to json_decref(). */
json_t *hs_log(kk_history *h, const kk_log_filter *f);

/* A log entry's commit information for commit C`c`, as JSON text, to free(). */
char *hs_info(const hs_sandbox *sb, int c, const char *who, const char *email, const char *dept,
	      const char *reason, int correction);

#endif
