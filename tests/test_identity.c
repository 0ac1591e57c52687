/* Tests for core/plan/identity: from a Unix identity to departments and the admin role. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "identity.h"

#define REPO_OWNER ((uid_t)990)

static const char departments_json[] =
	"{\"departments\": ["
	" {\"name\": \"各課\"},"
	" {\"name\": \"デジタル戦略課\", \"users\": [\"dx1\"], \"groups\": [\"kk_dx\"], \"admin\": true},"
	" {\"name\": \"秘書課\", \"users\": [\"hisho\", \"both\"]},"
	" {\"name\": \"市立病院\", \"groups\": [\"byoin\"]},"
	" {\"name\": \"総務課\", \"users\": [\"both\", \"dx1\"], \"groups\": [\"soumu\"], \"admin\": false},"
	" {\"name\": \"秘書課\", \"groups\": [\"hisho\"]}"
	"]}";

/* An identity as the daemon fills it in: `groups` is a NULL-terminated list. */
static void make(kk_identity *id, uid_t uid, const char *user, const char *name,
		 const char *const *groups)
{
	memset(id, 0, sizeof(*id));
	id->uid = uid;
	id->gid = 100;
	id->user = strdup(user);
	id->name = strdup(name);
	while (groups && groups[id->group_count])
		id->group_count++;
	id->groups = calloc(id->group_count + 1, sizeof(char *));
	assert_non_null(id->groups);
	for (size_t i = 0; i < id->group_count; i++)
		id->groups[i] = strdup(groups[i]);
}

/* Resolves a fresh identity and returns its departments as "a,b" with the admin flag. */
static void check(uid_t uid, const char *user, const char *const *groups, const char *want,
		  int admin)
{
	json_t *departments = kk_test_parse(departments_json);
	kk_identity id;
	char got[256] = "";

	make(&id, uid, user, user, groups);
	assert_int_equal(kk_identity_resolve(&id, departments, REPO_OWNER), 0);
	for (size_t i = 0; i < id.department_count; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? "," : "",
			 id.departments[i]);
	if (strcmp(got, want) != 0 || id.admin != admin)
		fail_msg("%s: expected '%s' admin %d, got '%s' admin %d", user, want, admin, got,
			 id.admin);
	kk_identity_clear(&id);
	json_decref(departments);
}

static void test_resolve(void **state)
{
	static const char *const staff[] = {"staff", NULL};
	static const char *const nurse[] = {"nurse", "byoin", NULL};
	static const char *const dx_group[] = {"users", "kk_dx", NULL};
	static const char *const soumu[] = {"soumu", "byoin", NULL};
	static const char *const hisho[] = {"hisho", NULL};

	(void)state;
	/* By login, by group, several in departments.json's order. */
	check(1001, "hisho", staff, "秘書課", 0);
	check(1002, "nurse", nurse, "市立病院", 0);
	check(1003, "both", soumu, "秘書課,市立病院,総務課", 0);
	/* Admin through a department, by login or group; a later one does not undo it. */
	check(1004, "dx1", staff, "デジタル戦略課,総務課", 1);
	check(1005, "dx2", dx_group, "デジタル戦略課", 1);
	/* Nobody's. */
	check(1006, "guest", staff, "", 0);
	/* Root and the repository's owner are admins, in a department or not. */
	check(0, "root", NULL, "", 1);
	check(0, "root", soumu, "市立病院,総務課", 1);
	check(REPO_OWNER, "keikaku", NULL, "", 1);
	/* Listed twice (by login, and by group under a repeated name): once. */
	check(1007, "hisho", hisho, "秘書課", 0);
}

static void test_resolve_replaces(void **state)
{
	static const char *const groups[] = {"kk_dx", NULL};
	json_t *departments = kk_test_parse(departments_json);
	json_t *other =
		kk_test_parse("{\"departments\": [{\"name\": \"総務課\", \"users\": [\"dx1\"]}]}");
	kk_identity id;

	(void)state;
	make(&id, 1004, "dx1", "DX 一郎", groups);
	assert_int_equal(kk_identity_resolve(&id, departments, REPO_OWNER), 0);
	assert_int_equal(id.department_count, 2);
	assert_true(id.admin);
	assert_true(kk_identity_in(&id, "デジタル戦略課"));
	assert_true(kk_identity_in(&id, "総務課"));
	assert_false(kk_identity_in(&id, "秘書課"));

	/* departments.json changed: the earlier answer is gone, admin included. */
	assert_int_equal(kk_identity_resolve(&id, other, REPO_OWNER), 0);
	assert_int_equal(id.department_count, 1);
	assert_string_equal(id.departments[0], "総務課");
	assert_false(id.admin);
	assert_false(kk_identity_in(&id, "デジタル戦略課"));
	assert_true(kk_identity_in(&id, "総務課"));
	assert_false(kk_identity_in(&id, NULL));

	/* No departments.json at all, or not the expected shape: nobody's. */
	assert_int_equal(kk_identity_resolve(&id, NULL, REPO_OWNER), 0);
	assert_int_equal(id.department_count, 0);
	assert_null(id.departments);
	assert_false(id.admin);
	json_decref(other);
	other = kk_test_parse("[{\"name\": \"総務課\", \"users\": [\"dx1\"]}]");
	assert_int_equal(kk_identity_resolve(&id, other, REPO_OWNER), 0);
	assert_int_equal(id.department_count, 0);
	assert_false(kk_identity_in(&id, "総務課"));

	kk_identity_clear(&id);
	json_decref(departments);
	json_decref(other);
}

static void test_to_json(void **state)
{
	static const char *const groups[] = {"hisho", "staff", NULL};
	json_t *departments = kk_test_parse(departments_json), *j;
	kk_identity id;
	char *text;

	(void)state;
	make(&id, 1001, "hisho", "田中 秘書", groups);
	assert_int_equal(kk_identity_resolve(&id, departments, REPO_OWNER), 0);
	assert_non_null(j = kk_identity_to_json(&id));
	text = json_dumps(j, JSON_COMPACT);
	assert_string_equal(text, "{\"uid\":1001,\"user\":\"hisho\",\"name\":\"田中 秘書\","
				  "\"groups\":[\"hisho\",\"staff\"],\"departments\":[\"秘書課\"],"
				  "\"admin\":false}");
	free(text);
	json_decref(j);
	kk_identity_clear(&id);

	/* Nothing resolved yet: empty lists, not missing ones. */
	make(&id, 0, "root", "root", NULL);
	assert_non_null(j = kk_identity_to_json(&id));
	text = json_dumps(j, JSON_COMPACT);
	assert_string_equal(text, "{\"uid\":0,\"user\":\"root\",\"name\":\"root\",\"groups\":[],"
				  "\"departments\":[],\"admin\":false}");
	free(text);
	json_decref(j);
	kk_identity_clear(&id);
	json_decref(departments);
}

static void test_clear(void **state)
{
	static const char *const groups[] = {"staff", NULL};
	json_t *departments = kk_test_parse(departments_json);
	kk_identity id;

	(void)state;
	make(&id, 1003, "both", "both", groups);
	assert_int_equal(kk_identity_resolve(&id, departments, REPO_OWNER), 0);
	kk_identity_clear(&id);
	assert_null(id.user);
	assert_null(id.name);
	assert_null(id.groups);
	assert_null(id.departments);
	assert_int_equal(id.group_count, 0);
	assert_int_equal(id.department_count, 0);
	assert_false(id.admin);
	assert_int_equal(id.uid, 1003); /* not root's by accident */
	kk_identity_clear(&id);		/* twice is fine */
	kk_identity_clear(NULL);
	json_decref(departments);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_resolve_replaces),
		cmocka_unit_test(test_to_json),
		cmocka_unit_test(test_clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
