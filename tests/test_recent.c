/* Tests for core/git/recent: which files the recent commits of a line changed. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "recent.h"

static git_oid hash_of(const char *text, git_object_t type)
{
	git_oid oid;

	git_odb_hash(&oid, text, strlen(text), type);
	return oid;
}

#define BLOB_TEXT "{\"n\": %d}\n" /* what commit n writes */

static git_oid commit_id(int n)
{
	char text[32];

	snprintf(text, sizeof(text), "commit %d", n);
	return hash_of(text, GIT_OBJECT_COMMIT);
}

static git_oid blob_of(int n)
{
	char text[32];

	snprintf(text, sizeof(text), BLOB_TEXT, n);
	return hash_of(text, GIT_OBJECT_BLOB);
}

/* The head's files, as the commits of the test leave them: {"n": commit} each. */
static kk_fileset head;

/* Commit n writes `path` (or nothing). */
static void commit(kk_recent *r, int n, const char *path)
{
	git_oid oid = commit_id(n);
	kk_fileset written = {0};
	char text[32];

	snprintf(text, sizeof(text), BLOB_TEXT, n);
	if (path)
		assert_int_equal(kk_fileset_put(&written, path, text, strlen(text), NULL), 0);
	assert_int_equal(kk_recent_commit(r, &oid, written.files, written.count, &head), 0);
	if (path)
		assert_int_equal(kk_fileset_put(&head, path, text, strlen(text), NULL), 0);
	kk_fileset_clear(&written);
}

/*
 * Checks what `path` was at commit `n`: written by commit `want` (0: not
 * there).  Returns 1 when the answer was known (and right), 0 when unknown.
 */
static int check_at(const kk_recent *r, int n, const char *path, int want)
{
	git_oid oid = commit_id(n), blob, expected = blob_of(want);
	const kk_file *f;

	switch (kk_recent_lookup(r, &oid, path, &blob)) {
	case KK_RECENT_UNKNOWN: return 0;
	case KK_RECENT_ABSENT: assert_int_equal(want, 0); return 1;
	case KK_RECENT_AT_HEAD:
		f = kk_fileset_get(&head, path);
		if (!f) {
			assert_int_equal(want, 0);
			return 1;
		}
		blob = f->oid;
		break;
	case KK_RECENT_BLOB: break;
	}
	assert_int_not_equal(want, 0);
	assert_true(git_oid_equal(&blob, &expected));
	return 1;
}

/* What a file was at a base: the commit before the base that last wrote it, or nothing. */
static void test_line(void **state)
{
	static kk_recent r;
	git_oid start = commit_id(0);

	(void)state;
	kk_recent_reset(&r, &start);
	assert_true(check_at(&r, 0, "items/0001.json", 0));
	commit(&r, 1, "items/0001.json");
	commit(&r, 2, "items/0002.json");
	commit(&r, 3, NULL); /* a commit that writes no file */
	commit(&r, 4, "items/0001.json");
	assert_true(check_at(&r, 0, "items/0001.json", 0)); /* not there yet */
	assert_true(check_at(&r, 1, "items/0001.json", 1));
	assert_true(check_at(&r, 3, "items/0001.json", 1));
	assert_true(check_at(&r, 4, "items/0001.json", 4));
	assert_true(check_at(&r, 1, "items/0002.json", 0));
	assert_true(check_at(&r, 2, "items/0002.json", 2));
	assert_true(check_at(&r, 4, "items/0002.json", 2));
	/* A commit not on the line is unknown. */
	assert_false(check_at(&r, 99, "keikaku.json", 0));
	for (int n = 0; n <= 4; n++) {
		git_oid oid = commit_id(n);

		assert_true(kk_recent_has(&r, &oid));
	}
	start = commit_id(99);
	assert_false(kk_recent_has(&r, &start));
	/* Past KK_RECENT_CHANGES changes of a file, a base before them is unknown. */
	for (int n = 5; n < 5 + KK_RECENT_CHANGES; n++)
		commit(&r, n, "items/0001.json");
	assert_false(check_at(&r, 3, "items/0001.json", 0));
	assert_true(check_at(&r, 4, "items/0001.json", 4));
	assert_true(check_at(&r, 3, "items/0002.json", 2));
	/* Starting again forgets the old line. */
	start = commit_id(3);
	kk_recent_reset(&r, &start);
	assert_false(check_at(&r, 4, "items/0001.json", 0));
	assert_true(kk_recent_has(&r, &start));
	start = commit_id(4);
	assert_false(kk_recent_has(&r, &start));
	kk_recent_clear(&r);
	assert_false(check_at(&r, 3, "items/0002.json", 0));
	start = commit_id(3);
	assert_false(kk_recent_has(&r, &start));
	kk_fileset_clear(&head);
}

/* Many commits and files: what is told is always right, and recent bases are known. */
static void test_many(void **state)
{
	static kk_recent r;
	enum { COMMITS = 3 * KK_RECENT_COMMITS, FILES = 500 };
	static int last[COMMITS + 1]
		       [FILES / 7 + 1]; /* by base: the commit that last wrote file 7k */
	static int now[FILES];
	git_oid start = commit_id(0);
	size_t known = 0, asked = 0;

	(void)state;
	kk_recent_reset(&r, &start);
	for (int n = 1; n <= COMMITS; n++) {
		char path[32];
		int file = (n * 7919) % FILES;

		snprintf(path, sizeof(path), "items/%04d.json", file);
		commit(&r, n, path);
		now[file] = n;
		for (int k = 0; k * 7 < FILES; k++)
			last[n][k] = now[k * 7];
	}
	for (int base = 1; base <= COMMITS; base += 5) {
		for (int k = 0; k * 7 < FILES; k++) {
			char path[32];
			int got;

			snprintf(path, sizeof(path), "items/%04d.json", k * 7);
			/* Never wrong... */
			got = check_at(&r, base, path, last[base][k]);
			/* ...known only for commits it has... */
			if (got) {
				git_oid oid = commit_id(base);

				assert_true(kk_recent_has(&r, &oid));
			}
			/* ...and known for most of the latest bases (some share a place). */
			if (base >= COMMITS - KK_RECENT_COMMITS / 4) {
				asked++;
				known += got;
			}
		}
	}
	assert_true(known > asked * 3 / 4);
	/* It holds at most its room of commits, the newest among them. */
	known = 0;
	for (int n = 0; n <= COMMITS; n++) {
		git_oid oid = commit_id(n);

		known += kk_recent_has(&r, &oid);
	}
	assert_true(known > KK_RECENT_COMMITS / 2 && known <= KK_RECENT_COMMITS);
	start = commit_id(COMMITS);
	assert_true(kk_recent_has(&r, &start));
	kk_recent_clear(&r);
	kk_fileset_clear(&head);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_many),
	};

	int failed;

	git_libgit2_init();
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return failed;
}
