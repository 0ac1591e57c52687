/*
 * test_keytext.c - keys and codes as input methods type them (core/base/keytext.h).
 */
#include <string.h>

#include "keytext.h"
#include "testutil.h"

static void expect_key(const char *typed, const char *want)
{
	char buf[KK_KEY_MAX];

	if (strcmp(kk_key_normalize(buf, sizeof(buf), typed), want) != 0)
		fail_msg("'%s' gave '%s', expected '%s'", typed, buf, want);
}

/* What an IME gives, and what Keikaku keeps. */
static void test_normalize(void **state)
{
	(void)state;
	expect_key("令和４年度", "令和4年度");
	expect_key("Ｒ４", "R4");
	expect_key("２６", "26");
	expect_key("〇", "○");
	expect_key("◯", "○");
	expect_key("○", "○");
	expect_key("⊚", "◎");
	expect_key("▲", "▲");
	expect_key("△", "△"); /* another mark, not ▲ */
	expect_key("―", "—");
	expect_key("－", "—");
	expect_key("ー", "—");
	expect_key("—", "—");
	expect_key("センター", "センター"); /* ー inside a name stays */
	expect_key("ｾﾝﾀｰ", "センター");
	expect_key("　税務課　 市民課 ", "税務課 市民課");
	expect_key("秘書課\u3000", "秘書課");
	expect_key("", "");
	expect_key("   ", "");
	/* Not UTF-8: copied as it is, so that it matches nothing it should not. */
	expect_key("\xff\xfe", "\xff\xfe");
}

static void test_fit(void **state)
{
	char small[8];

	(void)state;
	/* A normal form that does not fit: the text as typed, cut at a character. */
	assert_string_equal(kk_key_normalize(small, sizeof(small), "令和４年度"), "令和");
	assert_string_equal(kk_key_normalize(small, 1, "x"), "");
}

static void test_equal(void **state)
{
	(void)state;
	assert_true(kk_key_equal("秘書課", "秘書課"));
	assert_true(kk_key_equal("秘書課", "秘書課　"));
	assert_true(kk_key_equal("情報センター", "情報ｾﾝﾀｰ"));
	assert_false(kk_key_equal("秘書課", "秘書科"));
	assert_false(kk_key_equal("○", "◎"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
