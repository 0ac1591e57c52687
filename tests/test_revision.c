/*
 * Tests for core/history/revision and the times of the history: a commit at
 * a time, "@DATE" and "fyYYYY" revisions and their bounds, dates and times
 * as Keikaku writes and reads them (dates.h), and --since/--until given as
 * revisions, on the scripted history of util/history_script.h.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "history.h"
#include "history_script.h"
#include "query.h"
#include "revision.h"
#include "store.h"

static void test_at_time(void **state)
{
	hs_sandbox *sb = *state;
	kk_history *h = hs_open(sb, &sb->box.head, 0);
	kk_diag diag = {0};
	git_oid at;
	int64_t t;

	assert_int_equal(kk_history_at_time(&at, h, HS_T0 - 1, &diag), KK_ENOTFOUND);
	assert_string_equal(diag.message, "no commit at or before 2021-03-31T23:59:59+00:00");
	for (int c = 0; c < HS_NCOMMITS; c++) {
		assert_int_equal(kk_history_at_time(&at, h, hs_times[c], NULL), 0);
		assert_string_equal(hs_hex(&at), hs_hex(&sb->c[c]));
		assert_int_equal(kk_history_at_time(&at, h, hs_times[c] - 1, NULL),
				 c ? 0 : KK_ENOTFOUND);
		if (c)
			assert_string_equal(hs_hex(&at), hs_hex(&sb->c[c - 1]));
		assert_int_equal(kk_history_time(&t, h, &sb->c[c]), 0);
		assert_int_equal(t, hs_times[c]);
	}
	assert_int_equal(kk_history_at_time(&at, h, INT64_MAX, NULL), 0);
	assert_string_equal(hs_hex(&at), hs_hex(&sb->box.head));
	kk_history_free(h);

	/* A shorter chain ends sooner; its later commits are not on it. */
	h = hs_open(sb, &sb->c[2], 0);
	assert_int_equal(kk_history_count(h), 3);
	assert_int_equal(kk_history_at_time(&at, h, INT64_MAX, NULL), 0);
	assert_string_equal(hs_hex(&at), hs_hex(&sb->c[2]));
	assert_int_equal(kk_history_time(&t, h, &sb->c[3]), KK_ENOTFOUND);
	assert_int_equal(kk_history_time(&t, h, &(git_oid){{0}}), KK_ENOTFOUND);
	kk_history_free(h);
}

static void resolves(hs_sandbox *sb, const char *rev, int offset, int want)
{
	kk_rev_opts opts = {offset, NULL};
	kk_diag diag = {0};
	git_oid at;

	if (kk_rev_resolve(&at, sb->box.store, rev, &opts, &diag) < 0)
		fail_msg("'%s' at %+d: %s", rev, offset, diag.message);
	if (!git_oid_equal(&at, &sb->c[want]))
		fail_msg("'%s' at %+d: %s, expected C%d", rev, offset, hs_hex(&at), want);
}

/*
 * A commit that no branch or tag holds (amended away, in a reflog only) is no
 * revision, by id or by any of git's names for it; one on another branch, or
 * tagged, is, with HEAD's history given or not.
 */
static void test_rev_unreferenced(void **state)
{
	hs_sandbox *sb = *state;
	kk_history *h = hs_open(sb, &sb->box.head, 0);
	kk_rev_opts with = {HS_JST, h}, without = {HS_JST, NULL};
	kk_diag diag = {0};
	char hex[GIT_OID_HEXSZ + 1], rev[64];
	git_oid at;

	assert_int_equal(kk_test_system("cd '%s' && git commit-tree -p %s -m dangling %s^{tree} "
					"> dangling",
					sb->box.repo, hs_hex(&sb->box.head), hs_hex(&sb->box.head)),
			 0);
	snprintf(rev, sizeof(rev), "%s/dangling", sb->box.repo);
	{
		size_t len = 0;
		char *text = kk_test_slurp(rev, &len);

		assert_non_null(text);
		snprintf(hex, sizeof(hex), "%.40s", text);
		free(text);
	}
	for (int k = 0; k < 2; k++) {
		const kk_rev_opts *opts = k ? &with : &without;

		assert_int_equal(kk_rev_resolve(&at, sb->box.store, hex, opts, &diag),
				 KK_ENOTFOUND);
		snprintf(rev, sizeof(rev), "unknown revision '%s'", hex);
		assert_string_equal(diag.message, rev);
		snprintf(rev, sizeof(rev), "%.7s", hex);
		assert_int_equal(kk_rev_resolve(&at, sb->box.store, rev, opts, &diag),
				 KK_ENOTFOUND);
		/* Held by a branch of its own: a revision. */
		assert_int_equal(kk_test_system("git -C '%s' branch %s side %s", sb->box.repo,
						k ? "-f" : "", hex),
				 0);
		assert_int_equal(kk_rev_resolve(&at, sb->box.store, hex, opts, &diag), 0);
		assert_string_equal(hs_hex(&at), hex);
		assert_int_equal(kk_test_system("git -C '%s' branch -D side -q", sb->box.repo), 0);
		/* HEAD's chain, by id. */
		assert_int_equal(kk_rev_resolve(&at, sb->box.store, hs_hex(&sb->c[1]), opts, &diag),
				 0);
		assert_true(git_oid_equal(&at, &sb->c[1]));
	}
	kk_history_free(h);
}

/* "@DATE": the end of that day where the dates are meant; "fyYYYY": the tag, else the FY's end. */
static void test_rev_resolve(void **state)
{
	hs_sandbox *sb = *state;
	kk_history *h = hs_open(sb, &sb->box.head, 0);
	kk_rev_opts opts = {HS_JST, h};
	kk_diag diag = {0};
	git_oid at;
	int64_t t;

	resolves(sb, "@2021-04-01", HS_JST, 2); /* 04-01 ends at 15:00 UTC, before C3 */
	resolves(sb, "@2021-04-01", 0, 3);
	resolves(sb, "@2021-04-02", HS_JST, 3);
	resolves(sb, "@2021-03-31", -600, 2); /* ends at 2021-04-01T09:59:59Z */
	resolves(sb, "@2030-01-01", HS_JST, 7);
	resolves(sb, NULL, HS_JST, 7);
	resolves(sb, "", HS_JST, 7);
	resolves(sb, "main~2", HS_JST, 5);
	/* With the history given, the same answers. */
	assert_int_equal(kk_rev_resolve(&at, sb->box.store, "@2021-04-01", &opts, NULL), 0);
	assert_string_equal(hs_hex(&at), hs_hex(&sb->c[2]));
	assert_int_equal(kk_rev_resolve(&at, sb->box.store, "@2021-04-01", NULL, NULL), 0);
	assert_string_equal(hs_hex(&at), hs_hex(&sb->c[3])); /* no options: UTC */

	assert_int_equal(kk_rev_resolve(&at, sb->box.store, "@2021-03-31", &opts, &diag),
			 KK_ENOTFOUND);
	assert_string_equal(diag.message, "no commit at or before '@2021-03-31'");
	assert_int_equal(kk_rev_resolve(&at, sb->box.store, "@2021-02-29", &opts, &diag),
			 KK_EINVALID);
	assert_string_equal(diag.message, "'2021-02-29' is not a date (YYYY-MM-DD)");
	assert_int_equal(kk_rev_resolve(&at, sb->box.store, "@yesterday", &opts, &diag),
			 KK_EINVALID);
	assert_int_equal(kk_rev_resolve(&at, sb->box.store, "nosuchbranch", &opts, &diag),
			 KK_ENOTFOUND);

	/* FY2021 not tagged: its end, 2022-03-31 23:59:59 where dates are meant (C5 is 04-01
	 * HS_JST).
	 */
	resolves(sb, "fy2021", HS_JST, 4);
	resolves(sb, "FY2021", HS_JST, 4);
	resolves(sb, "fy2021", 0, 5);
	resolves(sb, "fy2022", HS_JST, 7);
	assert_int_equal(kk_rev_resolve(&at, sb->box.store, "fy2020", &opts, &diag), KK_ENOTFOUND);
	kk_history_free(h);

	/* The year's start is keikaku.json's at HEAD: with July, FY2021 ends on 2022-06-30. */
	hs_set(sb, "keikaku.json", "fiscal_year_start", "\"07-01\"");
	{
		git_oid c8 = hs_dx(sb, 1669852800, "fiscal year from July\n");
		kk_rev_opts o = {HS_JST, NULL};

		assert_int_equal(kk_rev_resolve(&at, sb->box.store, "fy2021", &o, NULL), 0);
		assert_string_equal(hs_hex(&at), hs_hex(&sb->c[7]));
		assert_int_equal(kk_rev_resolve(&at, sb->box.store, "fy2022", &o, NULL), 0);
		assert_string_equal(hs_hex(&at), hs_hex(&c8));
	}

	/* Tagged: the tag, whatever the dates say. */
	hs_tag(sb, "fy2021", &sb->c[3], hs_times[3]);
	resolves(sb, "fy2021", HS_JST, 3);
	resolves(sb, "FY2021", 0, 3);

	/* As a bound: a date's start or end, a revision's commit time. */
	assert_int_equal(kk_rev_time(&t, sb->box.store, "2021-04-01", 0, &opts, NULL), 0);
	assert_int_equal(t, HS_T0 - 9 * 3600);
	assert_int_equal(kk_rev_time(&t, sb->box.store, "2021-04-01", 1, &opts, NULL), 0);
	assert_int_equal(t, HS_T0 - 9 * 3600 + 86399);
	assert_int_equal(
		kk_rev_time(&t, sb->box.store, "main~1", 1, &(kk_rev_opts){HS_JST, NULL}, NULL), 0);
	assert_int_equal(t, hs_times[7]);
	assert_int_equal(
		kk_rev_time(&t, sb->box.store, "fy2021", 0, &(kk_rev_opts){HS_JST, NULL}, NULL), 0);
	assert_int_equal(t, hs_times[3]);
	assert_int_equal(kk_rev_time(&t, sb->box.store, "2021-13-01", 0, NULL, &diag), KK_EINVALID);

	assert_int_equal(kk_rev_fiscal_year("fy2021"), 2021);
	assert_int_equal(kk_rev_fiscal_year("FY1999"), 1999);
	assert_int_equal(kk_rev_fiscal_year("Fy2021"), 2021);
	assert_int_equal(kk_rev_fiscal_year("fy21"), 0);
	assert_int_equal(kk_rev_fiscal_year("fy20211"), 0);
	assert_int_equal(kk_rev_fiscal_year("fy20a1"), 0);
	assert_int_equal(kk_rev_fiscal_year("2021"), 0);
	assert_int_equal(kk_rev_fiscal_year("R3"), 0);
	assert_int_equal(kk_rev_fiscal_year(NULL), 0);
}

static void test_time(void **state)
{
	static const struct {
		int64_t when;
		int offset;
		const char *text;
	} formats[] = {
		{0, 0, "1970-01-01T00:00:00+00:00"},
		{HS_T0, HS_JST, "2021-04-01T09:00:00+09:00"},
		{HS_T0, 0, "2021-04-01T00:00:00+00:00"},
		{HS_T0, -330, "2021-03-31T18:30:00-05:30"},
		{1648738799, HS_JST, "2022-03-31T23:59:59+09:00"},
		{951782400, 0, "2000-02-29T00:00:00+00:00"},
		{-1, 0, "1969-12-31T23:59:59+00:00"},
		{4102444800, 0, "2100-01-01T00:00:00+00:00"},
	};
	static const char *const bad[] = {
		"2021-02-29", "2021-13-01", "2021-1-01",  "2021-00-10", "2021-04-31",  "2021-04-00",
		"1900-02-29", "2021/04/01", "20210401",	  "2021-04-1",	"2021-04-01x", "",
		"21-04-01",   "2021-04- 1", "2021- 4-01", "+021-04-01", " 021-04-01",  "2021-04-+1",
	};
	char buf[32];
	kk_diag diag = {0};
	int64_t t;
	int taken = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(formats) / sizeof(*formats); i++) {
		kk_time_format(buf, sizeof(buf), formats[i].when, formats[i].offset);
		assert_string_equal(buf, formats[i].text);
	}
	/* Dates need not be valid: days and months roll over. */
	assert_int_equal(kk_time_of_day(2021, 4, 1, 0), HS_T0);
	assert_int_equal(kk_time_of_day(2021, 4, 1, HS_JST), HS_T0 - 9 * 3600);
	assert_int_equal(kk_time_of_day(2021, 3, 32, 0), HS_T0);
	assert_int_equal(kk_time_of_day(2020, 16, 1, 0), HS_T0);
	assert_int_equal(kk_time_of_day(2021, 1, 91, 0), HS_T0);

	assert_int_equal(kk_time_parse_date(&t, "2021-04-01", HS_JST, 0, NULL), 0);
	assert_int_equal(t, HS_T0 - 9 * 3600);
	assert_int_equal(kk_time_parse_date(&t, "2021-04-01", HS_JST, 1, NULL), 0);
	assert_int_equal(t, HS_T0 - 9 * 3600 + 86399);
	assert_int_equal(kk_time_parse_date(&t, "2021-03-31", 0, 1, NULL), 0);
	assert_int_equal(t, HS_T0 - 1);
	assert_int_equal(kk_time_parse_date(&t, "2020-02-29", 0, 0, NULL), 0);
	assert_int_equal(kk_time_parse_date(&t, "2000-02-29", 0, 0, NULL), 0);
	assert_int_equal(t, 951782400);
	assert_int_equal(kk_time_parse_date(&t, "2021-12-31", 0, 1, NULL), 0);
	assert_int_equal(t, 1640995199);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char want[64];

		t = 42;
		if (kk_time_parse_date(&t, bad[i], 0, 0, &diag) != KK_EINVALID) {
			print_error("'%s' taken for a date\n", bad[i]);
			taken++;
			continue;
		}
		snprintf(want, sizeof(want), "'%s' is not a date (YYYY-MM-DD)", bad[i]);
		assert_string_equal(diag.message, want);
		assert_int_equal(t, 42);
	}
	assert_int_equal(taken, 0);
}

/*
 * --since and --until given as revisions: from that commit on, up to it, along
 * the chain, even when commits around it share its second.
 */
static void test_log_since_revision_same_second(void **state)
{
	hs_sandbox *sb = *state;
	kk_query_env env = {.utc_offset = HS_JST};
	git_oid x[3];
	json_t *params, *out = NULL;
	char *got = NULL;
	size_t size = 0;
	FILE *m;

	for (int i = 0; i < 3; i++) {
		char value[16], message[32];

		snprintf(value, sizeof(value), "\"r%d\"", i);
		snprintf(message, sizeof(message), "same second %d\n", i);
		hs_set(sb, "items/0003.json", "years.2022.result", value);
		x[i] = hs_dx(sb, hs_times[7] + 100, message);
	}
	m = open_memstream(&got, &size);
	for (int bound = 0; bound < 2; bound++) {
		const json_t *e;
		size_t i;

		params = json_pack("{s:s, s:I}", bound ? "until" : "since", hs_hex(&x[1]), "item",
				   (json_int_t)3);
		assert_int_equal(
			kk_query_run(&out, sb->box.store, "history.log", params, &env, NULL), 0);
		json_array_foreach(json_object_get(out, "entries"), i, e)
			fprintf(m, "%s ", json_string_value(json_object_get(e, "summary")));
		fputs("| ", m);
		json_decref(params);
		json_decref(out);
	}
	fclose(m);
	/* The until side also lists item 3's first commit. */
	if (strcmp(got,
		   "same second 2 same second 1 | same second 1 same second 0 003 新しい項目 を追加 "
		   "003 新しい項目 を追加 003 新しい項目 を追加 003 新しい項目 を追加 003 "
		   "新しい項目 を追加 | ") != 0) {
		print_error("got %s\n", got);
		free(got);
		fail();
	}
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_at_time, hs_setup, hs_teardown),
		cmocka_unit_test_setup_teardown(test_rev_resolve, hs_setup, hs_teardown),
		cmocka_unit_test_setup_teardown(test_rev_unreferenced, hs_setup, hs_teardown),
		cmocka_unit_test(test_time),
		cmocka_unit_test_setup_teardown(test_log_since_revision_same_second, hs_setup,
						hs_teardown),
	};

	return cmocka_run_group_tests(tests, hs_init, hs_shutdown);
}
