/*
 * Tests for plan.verify's published tags (query.c, `keikaku verify --tag`)
 * and its signatures (core/history/signatures.c, `keikaku verify
 * --signatures`), on the example plan in the sandbox: commits and tags
 * made and signed here, as keikakud makes them, and others made behind
 * its back.  Stock git's view of the same signatures is test_sshsig's.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "query.h"
#include "sandbox.h"
#include "signatures.h"
#include "sshsig.h"

typedef struct {
	kk_test_sandbox *box;
	kk_sshkey *key, *other;
} fixture;

/* The example plan, and two keys made by ssh-keygen in the sandbox. */
static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	void *box = NULL;
	char *key = NULL, *other = NULL;
	int error = -1;

	if (!f || kk_test_sandbox_setup_example(&box) < 0)
		return -1;
	f->box = box;
	key = kk_test_sandbox_path(f->box, "key");
	other = kk_test_sandbox_path(f->box, "other");
	if (kk_test_system("ssh-keygen -q -t ed25519 -N '' -f '%s' && "
			   "ssh-keygen -q -t ed25519 -N '' -f '%s'",
			   key, other) == 0 &&
	    kk_sshkey_load(&f->key, key, NULL) == 0 && kk_sshkey_load(&f->other, other, NULL) == 0)
		error = 0;
	free(key);
	free(other);
	*state = f;
	return error;
}

static int teardown(void **state)
{
	fixture *f = *state;
	void *box = f->box;

	kk_sshkey_free(f->key);
	kk_sshkey_free(f->other);
	free(f);
	return kk_test_sandbox_teardown(&box);
}

/* Writes the raw object `data` and returns its id. */
static git_oid write_object(fixture *f, const char *data, size_t len, git_object_t type)
{
	git_odb *odb = NULL;
	git_oid oid;

	assert_int_equal(git_repository_odb(&odb, kk_store_repository(f->box->store)), 0);
	assert_int_equal(git_odb_write(&oid, odb, data, len, type), 0);
	git_odb_free(odb);
	return oid;
}

/*
 * Commits the sandbox's files on its head as kk_test_sandbox_commit() does,
 * signed with `key` (NULL: unsigned); with `alter`, the signed commit's
 * message then has its first 'S' made an 's', the signature kept.
 */
static git_oid commit(fixture *f, const kk_sshkey *key, const char *message, int alter)
{
	kk_test_sandbox *sb = f->box;
	git_repository *repo = kk_store_repository(sb->store);
	git_signature *sig = NULL;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_buf raw = {0};
	git_oid tree_id, oid, ref_oid;
	git_reference *ref = NULL;
	char *signed_commit = NULL, *s;
	size_t len = 0;

	if (!key)
		return kk_test_sandbox_commit(sb, message);
	sb->when += 60;
	assert_int_equal(kk_store_write_tree(&tree_id, repo, &sb->files, NULL), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_commit_lookup(&parent, repo, &sb->head), 0);
	assert_int_equal(git_signature_new(&sig, "keikakud", "keikakud@keikaku.test",
					   (git_time_t)sb->when, 540),
			 0);
	assert_int_equal(git_commit_create_buffer(&raw, repo, sig, sig, NULL, message, tree, 1,
						  (const git_commit **)&parent),
			 0);
	assert_int_equal(kk_sshsig_sign_commit(&signed_commit, &len, key, raw.ptr, raw.size, NULL),
			 0);
	if (alter) {
		assert_non_null(s = strstr(signed_commit, "\n\nS"));
		s[2] = 's';
	}
	oid = write_object(f, signed_commit, len, GIT_OBJECT_COMMIT);
	ref_oid = oid;
	assert_int_equal(git_reference_create(&ref, repo, "refs/heads/main", &ref_oid, 1, NULL), 0);
	git_reference_free(ref);
	free(signed_commit);
	git_buf_dispose(&raw);
	git_signature_free(sig);
	git_tree_free(tree);
	git_commit_free(parent);
	sb->head = oid;
	return oid;
}

/* An annotated tag `name` on `target`, signed with `key` (NULL: unsigned). */
static git_oid tag(fixture *f, const char *name, const git_oid *target, const kk_sshkey *key)
{
	git_repository *repo = kk_store_repository(f->box->store);
	git_reference *ref = NULL;
	char raw[512], refname[128], *signed_tag = NULL;
	size_t len = 0;
	git_oid oid;

	snprintf(raw, sizeof(raw),
		 "object %s\ntype commit\ntag %s\ntagger keikakud <keikakud@keikaku.test> %lld "
		 "+0900\n\n令和3年度 (FY2021) を締め切り\n",
		 git_oid_tostr_s(target), name, (long long)f->box->when);
	if (key) {
		assert_int_equal(kk_sshsig_sign_tag(&signed_tag, &len, key, raw, strlen(raw), NULL),
				 0);
		oid = write_object(f, signed_tag, len, GIT_OBJECT_TAG);
	} else {
		oid = write_object(f, raw, strlen(raw), GIT_OBJECT_TAG);
	}
	snprintf(refname, sizeof(refname), "refs/tags/%s", name);
	assert_int_equal(git_reference_create(&ref, repo, refname, &oid, 1, NULL), 0);
	git_reference_free(ref);
	free(signed_tag);
	return oid;
}

/* plan.verify with `params` (JSON text); fails the test when the query fails. */
static json_t *verify(fixture *f, const char *params)
{
	json_t *p = kk_test_parse(params), *out = NULL;
	kk_query_env env = {0};
	kk_diag diag = {0};

	if (kk_query_run(&out, f->box->store, "plan.verify", p, &env, &diag) < 0)
		fail_msg("plan.verify %s: %s", params, diag.message);
	json_decref(p);
	return out;
}

/* plan.verify's refusal of `params`: its code, and the parameter in diag.pointer. */
static void assert_bad_params(fixture *f, const char *params, const char *message)
{
	json_t *p = kk_test_parse(params), *out = NULL;
	kk_query_env env = {0};
	kk_diag diag = {0};

	assert_int_equal(kk_query_run(&out, f->box->store, "plan.verify", p, &env, &diag),
			 KK_EINVALID);
	assert_string_equal(diag.pointer, "/tags");
	assert_string_equal(diag.message, message);
	assert_null(out);
	json_decref(p);
}

/*
 * The problems of `result`, one line each: "KIND NAME" for a signature
 * ("unsigned c3", names from `names`), "PATH: MESSAGE" for the others.
 */
static char *problems(const json_t *result, const git_oid *ids, const char *const *names,
		      size_t n)
{
	char *out = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&out, &size);
	const json_t *p;
	size_t i;

	json_array_foreach(json_object_get(result, "problems"), i, p) {
		const char *commit = json_string_value(json_object_get(p, "commit"));
		const char *kind = json_string_value(json_object_get(p, "signature"));
		const char *name = json_string_value(json_object_get(p, "tag"));

		if (!kind) {
			fprintf(m, "%s: %s\n", json_string_value(json_object_get(p, "path")),
				json_string_value(json_object_get(p, "message")));
			continue;
		}
		for (size_t k = 0; commit && k < n; k++)
			if (strcmp(commit, git_oid_tostr_s(&ids[k])) == 0)
				name = names[k];
		fprintf(m, "%s %s\n", kind, name ? name : commit);
	}
	fclose(m);
	return out;
}

/* --- plan.verify's tags: a clone against the ids published when years were closed --- */

static void test_published_tags(void **state)
{
	fixture *f = *state;
	git_oid second = kk_test_sandbox_commit(f->box, "Second\n");
	git_oid t = tag(f, "fy2021", &second, NULL);
	char params[256], hex[GIT_OID_HEXSZ + 1], head[GIT_OID_HEXSZ + 1], expected[512];
	json_t *r;
	char *got;

	git_oid_tostr(hex, sizeof(hex), &t);
	git_oid_tostr(head, sizeof(head), &f->box->head);
	/* The whole id, and a prefix of it, as published. */
	snprintf(params, sizeof(params), "{\"tags\": {\"fy2021\": \"%s\"}}", hex);
	r = verify(f, params);
	assert_string_equal(got = problems(r, NULL, NULL, 0), "");
	free(got);
	json_decref(r);
	snprintf(params, sizeof(params), "{\"tags\": {\"fy2021\": \"%.7s\"}}", hex);
	r = verify(f, params);
	assert_string_equal(got = problems(r, NULL, NULL, 0), "");
	free(got);
	json_decref(r);

	/* Another id, and a tag the clone lacks. */
	snprintf(params, sizeof(params), "{\"tags\": {\"fy2021\": \"%s\", \"fy2022\": \"%s\"}}",
		 head, hex);
	r = verify(f, params);
	snprintf(expected, sizeof(expected),
		 "refs/tags/fy2021: tag 'fy2021' is %s, not the published %s: the tag or its "
		 "history was changed\nrefs/tags/fy2022: there is no tag 'fy2022'\n",
		 hex, head);
	assert_string_equal(got = problems(r, NULL, NULL, 0), expected);
	free(got);
	json_decref(r);

	/* The tag moved: the published id tells. */
	tag(f, "fy2021", &f->box->first, NULL);
	snprintf(params, sizeof(params), "{\"tags\": {\"fy2021\": \"%s\"}}", hex);
	r = verify(f, params);
	assert_int_equal(json_array_size(json_object_get(r, "problems")), 1);
	json_decref(r);

	assert_bad_params(f, "{\"tags\": [\"fy2021\"]}",
			  "invalid parameter 'tags': expected an object of tag names and object ids");
	assert_bad_params(f, "{\"tags\": {\"fy2021\": \"ABCDEF0\"}}",
			  "invalid parameter 'tags': expected an object id of 7 to 40 lower-case "
			  "hexadecimal digits");
	assert_bad_params(f, "{\"tags\": {\"fy2021\": \"abc123\"}}",
			  "invalid parameter 'tags': expected an object id of 7 to 40 lower-case "
			  "hexadecimal digits");
	assert_bad_params(f, "{\"tags\": {\"fy2021\": 12345678}}",
			  "invalid parameter 'tags': expected an object id of 7 to 40 lower-case "
			  "hexadecimal digits");
	assert_bad_params(f, "{\"tags\": {\"a..b\": \"abcdef0\"}}",
			  "invalid parameter 'tags': expected a tag name");
}

/* --- signatures --- */

/* The allowed signers: `key` until 2021-04-01 00:30 UTC, half an hour after the first commit. */
static void add_signers(fixture *f)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "# keikakud\nkeikakud@keikaku.test namespaces=\"git\",valid-before=\"20210401003000Z\" "
		 "%s\n",
		 kk_sshkey_authorized_key(f->key));
	assert_int_equal(kk_fileset_put(&f->box->files, KK_PATH_SIGNERS, text, strlen(text), NULL),
			 0);
}

static void test_signatures(void **state)
{
	fixture *f = *state;
	const char *const names[] = {"c0", "s1", "c2", "c3", "c4", "c5", "c6"};
	git_oid ids[7];
	char since[128];
	json_t *r;
	char *got;

	ids[0] = f->box->first;
	/* Before any allowed signers file: no signature is asked for. */
	r = verify(f, "{\"signatures\": true}");
	assert_string_equal(got = problems(r, ids, names, 1), "no-signers c0\n");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(r, "problems"), 0), "message")),
			    "there is no allowed signers file 'allowed_signers': nothing can be "
			    "checked");
	free(got);
	kk_assert_json_exact(json_object_get(r, "signatures"),
			     "{\"since\": null, \"commits\": 0, \"tags\": 0}");
	json_decref(r);
	r = verify(f, "{}");
	assert_null(json_object_get(r, "signatures"));
	json_decref(r);

	/* Signing begins: the commit that adds the file, and one more, both good. */
	add_signers(f);
	ids[1] = commit(f, f->key, "Signers\n", 0);
	ids[2] = commit(f, f->key, "Second\n", 0);
	tag(f, "fy2020", &ids[0], NULL); /* before signing began: not checked */
	tag(f, "fy2021", &ids[2], f->key);
	r = verify(f, "{\"signatures\": true}");
	assert_string_equal(got = problems(r, ids, names, 3), "");
	free(got);
	snprintf(since, sizeof(since), "{\"since\": \"%s\", \"commits\": 2, \"tags\": 1}",
		 git_oid_tostr_s(&ids[1]));
	kk_assert_json_exact(json_object_get(r, "signatures"), since);
	json_decref(r);

	/* Behind keikakud's back: unsigned, another key, an altered message, a lightweight tag. */
	ids[3] = commit(f, NULL, "By hand\n", 0);
	ids[4] = commit(f, f->other, "Other key\n", 0);
	ids[5] = commit(f, f->key, "Signed, then altered\n", 1);
	{
		git_reference *ref = NULL;

		assert_int_equal(git_reference_create(&ref, kk_store_repository(f->box->store),
						      "refs/tags/light", &ids[2], 1, NULL),
				 0);
		git_reference_free(ref);
	}
	/* And a good signature made after the key's line expired. */
	f->box->when += 3600;
	ids[6] = commit(f, f->key, "Too late\n", 0);
	r = verify(f, "{\"signatures\": true}");
	assert_string_equal(got = problems(r, ids, names, 7),
			    "unsigned c3\nunknown-key c4\nbad-signature c5\nexpired c6\n"
			    "unsigned light\n");
	free(got);
	json_decref(r);
}

/* A damaged allowed signers file is one problem, at its line; so is it for plain verify. */
static void test_damaged_signers(void **state)
{
	fixture *f = *state;
	const char *text = "# keikakud\nkeikakud@keikaku.test ssh-ed25519\n";
	git_oid ids[1];
	json_t *r;
	char *got;

	assert_int_equal(kk_fileset_put(&f->box->files, KK_PATH_SIGNERS, text, strlen(text), NULL),
			 0);
	ids[0] = commit(f, f->key, "Signers\n", 0);
	r = verify(f, "{\"signatures\": true}");
	assert_string_equal(got = problems(r, ids, (const char *const[]){"s1"}, 1),
			    "allowed_signers: line 2, column 34: the key is missing after its "
			    "type\nbad-signers s1\n");
	free(got);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_published_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signatures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_signers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
