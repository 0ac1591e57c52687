/*
 * sandbox.c - the unit tests' sandbox (sandbox.h): a temporary directory,
 * a plan repository in it and commits at fixed times.
 */
#include "sandbox.h"

#include "testutil.h"

#include <stdlib.h>

const kk_signature kk_test_sig = {"Keikaku Test", "test@keikaku.invalid", 1617235200, 540};

int kk_test_sandbox_setup(void **state)
{
	kk_test_sandbox *sb = calloc(1, sizeof(*sb));

	if (!sb)
		return -1;
	sb->dir = kk_test_mkdtemp();
	sb->repo = kk_test_sandbox_path(sb, "plan.git");
	*state = sb;
	return 0;
}

int kk_test_sandbox_setup_example(void **state)
{
	kk_test_sandbox *sb;

	if (kk_test_sandbox_setup(state) < 0)
		return -1;
	sb = *state;
	kk_test_load_example(&sb->files);
	kk_test_sandbox_init(sb, "First\n");
	return 0;
}

int kk_test_sandbox_teardown(void **state)
{
	kk_test_sandbox *sb = *state;

	if (!sb)
		return 0;
	kk_store_free(sb->store);
	kk_fileset_clear(&sb->files);
	kk_test_rmrf(sb->dir);
	free(sb->dir);
	free(sb->repo);
	free(sb);
	*state = NULL;
	return 0;
}

void kk_test_sandbox_init(kk_test_sandbox *sb, const char *message)
{
	kk_diag diag = {0};

	if (kk_store_init(&sb->store, &sb->first, sb->repo, &sb->files, &kk_test_sig, message,
			  &diag) < 0)
		fail_msg("cannot make '%s': %s", sb->repo, diag.message);
	sb->head = sb->first;
	sb->when = kk_test_sig.when;
}

git_oid kk_test_sandbox_commit(kk_test_sandbox *sb, const char *message)
{
	git_repository *repo = kk_store_repository(sb->store);
	git_signature *sig = NULL;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, oid;

	sb->when += 60;
	assert_int_equal(kk_store_write_tree(&tree_id, repo, &sb->files, NULL), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_commit_lookup(&parent, repo, &sb->head), 0);
	assert_int_equal(git_signature_new(&sig, kk_test_sig.name, kk_test_sig.email,
					   (git_time_t)sb->when, kk_test_sig.offset),
			 0);
	assert_int_equal(git_commit_create(&oid, repo, "refs/heads/main", sig, sig, NULL, message,
					   tree, 1, (const git_commit **)&parent),
			 0);
	git_signature_free(sig);
	git_tree_free(tree);
	git_commit_free(parent);
	sb->head = oid;
	return oid;
}

char *kk_test_sandbox_path(const kk_test_sandbox *sb, const char *name)
{
	char *path = NULL;

	if (asprintf(&path, "%s/%s", sb->dir, name) < 0)
		fail_msg("out of memory");
	return path;
}
