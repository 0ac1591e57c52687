/*
 * sandbox.h - the unit tests' sandbox: a temporary directory, and in it, for
 * the tests that want one, a plan repository made with kk_store_init() and
 * grown by commits at fixed times, so that commit ids are the same on every
 * run.  The cmocka setup and teardown functions make and remove it; a test
 * finds it in *state.  Linked with core's git layer (kktestsandbox).
 */
#ifndef KK_TEST_SANDBOX_H
#define KK_TEST_SANDBOX_H

#include <stdint.h>

#include "fileset.h"
#include "store.h"

typedef struct kk_test_sandbox {
	char *dir;	  /* a new directory under $TMPDIR, removed with all it holds */
	char *repo;	  /* "<dir>/plan.git": a repository once kk_test_sandbox_init() made it */
	kk_store *store;  /* open on `repo` once it is made; else NULL */
	kk_fileset files; /* the files the next commit holds; the test changes them */
	git_oid first;	  /* the repository's first commit */
	git_oid head;	  /* the last commit made, that refs/heads/main names */
	int64_t when;	  /* the time of that commit */
} kk_test_sandbox;

/*
 * The author and committer of every sandbox commit: "Keikaku Test"
 * <test@keikaku.invalid>, the first at 2021-04-01 09:00 +09:00.
 */
extern const kk_signature kk_test_sig;

/* cmocka setup: a sandbox holding an empty directory. */
int kk_test_sandbox_setup(void **state);

/*
 * cmocka setup: a sandbox whose plan.git holds the example plan and
 * Keikaku's schemas (kk_test_load_example()) in one commit, "First".
 */
int kk_test_sandbox_setup_example(void **state);

/* cmocka teardown of either: closes the store, removes the directory. */
int kk_test_sandbox_teardown(void **state);

/*
 * Makes <dir>/plan.git with sb->files as its first commit, by kk_test_sig
 * with `message`, and opens it in sb->store.  Fails the test when it cannot.
 */
void kk_test_sandbox_init(kk_test_sandbox *sb, const char *message);

/*
 * Commits sb->files on top of sb->head to refs/heads/main, by kk_test_sig
 * one minute after the last commit, and returns its id (also sb->head).
 */
git_oid kk_test_sandbox_commit(kk_test_sandbox *sb, const char *message);

/* "<dir>/<name>", which the caller frees. */
char *kk_test_sandbox_path(const kk_test_sandbox *sb, const char *name);

#endif
