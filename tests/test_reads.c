/*
 * test_reads.c - keikakud's reads (daemon/reads.c) keep a query memo with each
 * pooled store: their answers must be those of a handle without one, also
 * after another handle commits, as keikakud's writer does.
 */
#include "testutil.h"

#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "sandbox.h"

/* The answer of `method` with `params` (JSON text) from `reads`: its result, or NULL. */
static json_t *ask(kd_reads *reads, const char *method, const char *params)
{
	kd_call *call = calloc(1, sizeof(*call));
	json_t *result;

	assert_non_null(call);
	call->request = json_pack("{s:s, s:o}", "method", method, "params", kk_test_parse(params));
	assert_non_null(call->request);
	call->method = method;
	call->params = json_object_get(call->request, "params");
	kd_reads_answer(reads, call);
	if (call->error)
		print_message("%s: %s\n", method,
			      json_string_value(json_object_get(call->error, "message")));
	result = json_incref(call->result);
	kd_call_free(call);
	return result;
}

/* What a new keikakud would answer: reads with nothing kept. */
static json_t *ask_fresh(const kk_test_sandbox *sb, const char *method, const char *params)
{
	kd_reads *reads = NULL;
	json_t *result;

	assert_int_equal(kd_reads_new(&reads, sb->repo, getuid(), 8), 0);
	result = ask(reads, method, params);
	kd_reads_free(reads);
	return result;
}

/* Sets item 26's FY2021 result to `text` and commits it through the sandbox's own handle. */
static void commit_result(kk_test_sandbox *sb, const char *text)
{
	json_t *item = kk_test_fileset_json(&sb->files, "items/0026.json");
	char *data;

	assert_non_null(item);
	assert_int_equal(json_object_set_new(json_object_get(json_object_get(item, "years"),
							     "2021"),
					     "result", json_string(text)),
			 0);
	assert_non_null(data = json_dumps(item, JSON_INDENT(2) | JSON_PRESERVE_ORDER));
	assert_int_equal(kk_fileset_put(&sb->files, "items/0026.json", data, strlen(data), NULL),
			 0);
	free(data);
	json_decref(item);
	kk_test_sandbox_commit(sb, "Result of 26");
}

static const struct {
	const char *method, *params;
} queries[] = {
	{"history.log", "{\"item\": 26}"},
	{"history.blame", "{\"id\": 26}"},
	{"history.log", "{}"},
	{"plan.diff", "{}"},
	{"plan.schedule", "{\"fy\": 2021, \"history\": true}"},
};

/* Every query, asked again and after each commit, answers as a fresh handle does. */
static void answers_follow_head(void **state)
{
	kk_test_sandbox *sb = *state;
	kd_reads *reads = NULL;
	const char *results[] = {"・一つ目", "・二つ目"};

	assert_int_equal(kd_reads_new(&reads, sb->repo, getuid(), 8), 0);
	for (size_t round = 0; round <= 2; round++) {
		if (round > 0)
			commit_result(sb, results[round - 1]);
		for (size_t i = 0; i < sizeof(queries) / sizeof(*queries); i++) {
			/* Twice: the second from what the first kept. */
			for (int again = 0; again < 2; again++) {
				json_t *got = ask(reads, queries[i].method, queries[i].params);
				json_t *want = ask_fresh(sb, queries[i].method, queries[i].params);

				assert_non_null(got);
				assert_non_null(want);
				if (!json_equal(got, want))
					fail_msg("%s %s, round %zu: not what a fresh handle answers",
						 queries[i].method, queries[i].params, round);
				json_decref(got);
				json_decref(want);
			}
		}
	}
	/* The last commit is in the trail, by its id. */
	{
		json_t *log = ask(reads, "history.log", "{\"item\": 26}");
		json_t *first = json_array_get(json_object_get(log, "entries"), 0);

		assert_string_equal(json_string_value(json_object_get(first, "commit")),
				    git_oid_tostr_s(&sb->head));
		assert_string_equal(json_string_value(json_object_get(first, "new")), "・二つ目");
		json_decref(log);
	}
	/* Stores borrowed a moment ago are not past their age: nothing is closed. */
	assert_int_equal(kd_reads_expire(reads), 0);
	kd_reads_free(reads);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(answers_follow_head,
						kk_test_sandbox_setup_example,
						kk_test_sandbox_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
