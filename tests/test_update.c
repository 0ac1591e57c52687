/*
 * Tests for core/plan/update: deciding a submission on the example plan, and the
 * commit message that records it.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "canon.h"
#include "identity.h"
#include "json.h"
#include "patch.h"
#include "plan.h"
#include "update.h"
#include "verify.h"

#define FIXTURES KK_SOURCE_DIR "/tests/fixtures/update"

/* The people of fixtures/update/departments.json; the repository belongs to uid 999. */
#define REPO_OWNER 999
static const struct {
	const char *user;
	uid_t uid;
	const char *group;
} people[] = {
	{"sato", 1001, "users"},   /* 秘書課 */
	{"tanaka", 1002, "users"}, /* デジタル戦略課, an admin department */
	{"suzuki", 1003, "users"}, /* 市民課 */
	{"yamada", 1004, "zeimu"}, /* 税務課, through the group */
	{"nobody", 1005, "users"}, /* no department */
};

static json_t *item_of(const kk_fileset *set, json_int_t id)
{
	char path[KK_ITEM_PATH_MAX];

	assert_int_equal(kk_item_path(path, sizeof(path), id), 0);
	return kk_test_fileset_json(set, path);
}

/* The canonical bytes of `doc` as file `path` of `set`; the caller frees them. */
static char *canonical(const kk_fileset *set, const char *path, const json_t *doc, size_t *len)
{
	json_t *schema = kk_test_fileset_json(set, kk_plan_schema_for(path));
	char *bytes = NULL;
	kk_diag diag = {0};

	assert_non_null(schema);
	if (kk_canon_dump(&bytes, len, doc, schema, &diag) < 0)
		fail_msg("%s: %s", path, diag.message);
	json_decref(schema);
	return bytes;
}

/* Writes `doc` canonically as file `path` of `set`. */
static void put_doc(kk_fileset *set, const char *path, const json_t *doc)
{
	size_t len = 0;
	char *bytes = canonical(set, path, doc, &len);

	assert_int_equal(kk_fileset_put(set, path, bytes, len, NULL), 0);
	free(bytes);
}

/*
 * The example plan with Keikaku's schemas, as `keikaku init` assembles it,
 * and with fixtures/update/departments.json, which maps the people above
 * to departments.
 */
static void load_plan(kk_fileset *set)
{
	json_t *departments = kk_test_load_json(FIXTURES "/departments.json");

	kk_test_load_example(set);
	put_doc(set, KK_PATH_DEPARTMENTS, departments);
	json_decref(departments);
}

/* Applies merge patch `patch` to file `path` of `set` (someone else's change since base). */
static void change_head(kk_fileset *set, const char *path, const json_t *patch)
{
	json_t *doc = kk_test_fileset_json(set, path), *next = NULL;

	assert_non_null(doc);
	assert_int_equal(kk_patch_apply(&next, doc, patch, NULL), 0);
	put_doc(set, path, next);
	json_decref(doc);
	json_decref(next);
}

/* `user` as the daemon sees them: departments and admin from the plan's departments.json. */
static void person(kk_identity *who, const kk_fileset *plan, const char *user)
{
	json_t *departments = kk_test_fileset_json(plan, KK_PATH_DEPARTMENTS);
	size_t i;

	for (i = 0; i < sizeof(people) / sizeof(*people); i++)
		if (strcmp(people[i].user, user) == 0)
			break;
	if (i == sizeof(people) / sizeof(*people))
		fail_msg("no person '%s'", user);
	memset(who, 0, sizeof(*who));
	who->uid = people[i].uid;
	who->gid = people[i].uid;
	who->user = strdup(user);
	who->name = strdup(user);
	who->groups = calloc(1, sizeof(*who->groups));
	assert_non_null(who->groups);
	who->groups[0] = strdup(people[i].group);
	who->group_count = 1;
	assert_int_equal(kk_identity_resolve(who, departments, REPO_OWNER), 0);
	json_decref(departments);
}

static void fail_json(const char *name, const char *what, const json_t *got, const json_t *want)
{
	char *g = got ? json_dumps(got, JSON_INDENT(2) | JSON_ENCODE_ANY) : strdup("NULL");
	char *w = want ? json_dumps(want, JSON_INDENT(2) | JSON_ENCODE_ANY) : strdup("NULL");

	print_error("%s: %s:\nexpected %s\n     got %s\n", name, what, w, g);
	free(g);
	free(w);
	fail();
}

static void expect_json(const char *name, const char *what, const json_t *got, const json_t *want)
{
	if (!got || !want || !json_equal(got, want))
		fail_json(name, what, got, want);
}

static void expect_text(const char *name, const char *what, const json_t *got, const char *want)
{
	json_t *w = kk_test_parse(want);

	expect_json(name, what, got, w);
	json_decref(w);
}

static void prepare(kk_update_result *r, const kk_fileset *head, const kk_update_request *req)
{
	kk_verifier *verifier = NULL;
	kk_diag diag = {0};

	assert_int_equal(kk_verifier_new(&verifier), 0);
	if (kk_update_prepare(r, head, req, verifier, &diag) != 0)
		fail_msg("kk_update_prepare: %s", diag.message);
	kk_verifier_free(verifier);
}

static void test_plan_and_people(void **state)
{
	static const struct {
		const char *user;
		const char *departments;
		int admin;
	} want[] = {
		{"sato", "[\"秘書課\"]", 0},   {"tanaka", "[\"デジタル戦略課\"]", 1},
		{"suzuki", "[\"市民課\"]", 0}, {"yamada", "[\"税務課\"]", 0},
		{"nobody", "[]", 0},
	};
	kk_fileset plan = {0};
	kk_verifier *verifier = NULL;
	kk_diaglist problems = {0};

	(void)state;
	load_plan(&plan);
	assert_int_equal(plan.count, 42);
	/* Every problem a test meets is one it made. */
	assert_int_equal(kk_verifier_new(&verifier), 0);
	assert_int_equal(kk_verifier_check(verifier, &plan, 0, &problems, NULL), 0);
	if (problems.count)
		fail_msg("%s: %s: %s", problems.items[0].path, problems.items[0].pointer,
			 problems.items[0].message);
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		kk_identity who;
		json_t *got;

		person(&who, &plan, want[i].user);
		got = kk_identity_to_json(&who);
		expect_text(want[i].user, "departments", json_object_get(got, "departments"),
			    want[i].departments);
		assert_int_equal(who.admin, want[i].admin);
		json_decref(got);
		kk_identity_clear(&who);
	}
	kk_verifier_free(verifier);
	kk_fileset_clear(&plan);
}

/* The usual update: an owner department reports progress. */
static void test_owner_update(void **state)
{
	kk_fileset head = {0};
	kk_identity who;
	kk_update_result r;
	json_t *base,
		*patch = kk_test_parse("{\"years\": {\"2021\": {\"progress\": \"on_track\"}}}");
	json_t *want = NULL;
	kk_update_item item = {25, patch, NULL, NULL};
	char *bytes;
	size_t len = 0;

	(void)state;
	load_plan(&head);
	person(&who, &head, "sato");
	item.base_item = base = item_of(&head, 25);
	prepare(&r, &head, &(kk_update_request){&who, NULL, 0, &item, 1, NULL, 0});
	assert_int_equal(r.verdict, KK_UPDATE_OK);
	expect_text("owner", "changes", r.changes,
		    "[{\"item\": 25, \"path\": \"years.2021.progress\", \"old\": \"behind\", "
		    "\"new\": \"on_track\"}]");
	expect_text("owner", "violations", r.violations, "[]");
	expect_text("owner", "errors", r.errors, "[]");
	assert_null(r.conflict);
	expect_text("owner", "items", r.items, "[25]");
	expect_text("owner", "years", r.years, "[\"2021\"]");
	assert_string_equal(r.summary, "025 規程の整備 · 令和3年度 進捗度: ▲ → ○");
	assert_int_equal(r.corrects_closed_year, 0);
	/* The new file, whole and canonical. */
	assert_int_equal(r.files.count, 1);
	assert_string_equal(r.files.files[0].path, "items/0025.json");
	assert_int_equal(kk_patch_apply(&want, base, patch, NULL), 0);
	bytes = canonical(&head, "items/0025.json", want, &len);
	assert_int_equal(r.files.files[0].len, len);
	assert_memory_equal(r.files.files[0].data, bytes, len);
	free(bytes);
	/* That is the file as it was with one line changed, as `git diff` will show it. */
	{
		const kk_file *f = kk_fileset_get(&head, "items/0025.json");
		const char *from = "\"revised\": \"整備\",\n      \"progress\": \"behind\",\n";
		char *at = strstr(f->data, from);

		assert_non_null(at);
		assert_true(asprintf(&bytes,
				     "%.*s\"revised\": \"整備\",\n      \"progress\": "
				     "\"on_track\",\n%s",
				     (int)(at - f->data), f->data, at + strlen(from)) > 0);
		assert_string_equal(r.files.files[0].data, bytes);
		free(bytes);
	}
	kk_update_result_clear(&r);
	assert_null(r.changes);
	assert_int_equal(r.files.count, 0);
	json_decref(want);
	json_decref(base);
	json_decref(patch);
	kk_identity_clear(&who);
	kk_fileset_clear(&head);
}

static kk_update_verdict verdict_named(const char *name)
{
	static const char *const names[] = {
		[KK_UPDATE_OK] = "ok",
		[KK_UPDATE_CONFLICT] = "conflict",
		[KK_UPDATE_FORBIDDEN] = "forbidden",
		[KK_UPDATE_RULES] = "rules",
		[KK_UPDATE_INVALID] = "invalid",
		[KK_UPDATE_NOT_FOUND] = "not-found",
	};

	for (size_t i = 0; name && i < sizeof(names) / sizeof(*names); i++)
		if (strcmp(name, names[i]) == 0)
			return (kk_update_verdict)i;
	fail_msg("no verdict '%s'", name ? name : "(null)");
	return KK_UPDATE_OK;
}

/* The paths the result must write: its items and the plan-wide files with changes. */
static json_t *paths_written(const kk_update_result *r)
{
	json_t *paths = json_array(), *v;
	size_t i;

	json_array_foreach(r->items, i, v) {
		char path[KK_ITEM_PATH_MAX];

		assert_int_equal(kk_item_path(path, sizeof(path), json_integer_value(v)), 0);
		json_array_append_new(paths, json_string(path));
	}
	json_array_foreach(r->changes, i, v) {
		json_t *file = json_object_get(v, "file");
		size_t j;
		json_t *p;
		int seen = 0;

		json_array_foreach(paths, j, p)
			seen |= file && json_equal(p, file);
		if (file && !seen)
			json_array_append(paths, file);
	}
	return paths;
}

static int by_string(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

static json_t *sorted(json_t *strings)
{
	size_t n = json_array_size(strings);
	json_t **v = calloc(n ? n : 1, sizeof(*v)), *out = json_array();

	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(strings, i);
	qsort(v, n, sizeof(*v), by_string);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

/*
 * One case of fixtures/update/cases.json.  `head` holds merge patches that
 * others made since the submitter's base, which is the plan as load_plan()
 * gives it; an item's `base` (null: the submitter had no such item)
 * overrides that.  The verdict, summary, violations, errors and conflict
 * must be exactly as given (a conflict's `current` lists the ids of the
 * items as they are at head); `changes`, `ids` (the result's items), `years`
 * and `corrects_closed_year` when given.  Whatever the case, the result
 * writes exactly its items and changed plan-wide files, canonically.
 */
static void run_case(const json_t *c)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const json_t *list = json_object_get(c, "items"), *files = json_object_get(c, "files");
	const json_t *want, *head_edits = json_object_get(c, "head"), *v;
	size_t nitems = json_array_size(list), nfiles = json_array_size(files), i;
	kk_update_item *items = calloc(nitems + 1, sizeof(*items));
	kk_update_file *ufiles = calloc(nfiles + 1, sizeof(*ufiles));
	json_t *bases = json_array(), *written, *got_paths;
	kk_fileset base = {0}, head = {0};
	kk_identity who;
	kk_update_result r;
	const char *key;

	assert_non_null(name);
	load_plan(&base);
	load_plan(&head);
	json_object_foreach((json_t *)head_edits, key, v)
		change_head(&head, key, v);
	person(&who, &head, json_string_value(json_object_get(c, "who")));
	json_array_foreach(list, i, v) {
		json_t *b = json_object_get(v, "base");

		items[i].id = json_integer_value(json_object_get(v, "id"));
		items[i].patch = json_object_get(v, "patch");
		items[i].item = json_object_get(v, "item");
		if (!json_object_get(v, "base") || !json_is_null(b)) {
			items[i].base_item = b = item_of(&base, items[i].id);
			json_array_append_new(bases, b ? b : json_null());
		}
	}
	json_array_foreach(files, i, v) {
		json_t *b;

		ufiles[i].path = json_string_value(json_object_get(v, "path"));
		ufiles[i].patch = json_object_get(v, "patch");
		ufiles[i].base_doc = b = kk_test_fileset_json(&base, ufiles[i].path);
		json_array_append_new(bases, b ? b : json_null());
	}
	prepare(&r, &head,
		&(kk_update_request){&who, json_string_value(json_object_get(c, "reason")),
				     json_is_true(json_object_get(c, "correction")), items, nitems,
				     ufiles, nfiles});

	if (r.verdict != verdict_named(json_string_value(json_object_get(c, "verdict"))))
		fail_msg("%s: verdict %d, expected %s", name, r.verdict,
			 json_string_value(json_object_get(c, "verdict")));
	want = json_object_get(c, "summary");
	if (!json_is_null(want) && !json_is_string(want))
		fail_msg("%s: the case has no summary", name);
	if (json_is_null(want) ? r.summary != NULL
			       : !r.summary || strcmp(r.summary, json_string_value(want)) != 0)
		fail_msg("%s: summary\nexpected %s\n     got %s", name,
			 json_is_null(want) ? "NULL" : json_string_value(want),
			 r.summary ? r.summary : "NULL");
	if (!(want = json_object_get(c, "violations")) || !json_object_get(c, "errors"))
		fail_msg("%s: the case has no violations or errors", name);
	expect_json(name, "violations", r.violations, want);
	expect_json(name, "errors", r.errors, json_object_get(c, "errors"));
	want = json_object_get(c, "conflict");
	if (json_is_null(want) || !want) {
		if (r.conflict)
			fail_json(name, "conflict", r.conflict, NULL);
	} else {
		json_t *current = json_array(), *id;

		json_array_foreach(json_object_get(want, "current"), i, id)
			json_array_append_new(current, item_of(&head, json_integer_value(id)));
		expect_json(name, "conflict fields", json_object_get(r.conflict, "fields"),
			    json_object_get(want, "fields"));
		expect_json(name, "conflict current", json_object_get(r.conflict, "current"),
			    current);
		json_decref(current);
		/* A plan file's current version, by its path. */
		current = json_object();
		json_array_foreach(json_object_get(want, "current_files"), i, id)
			json_object_set_new(current, json_string_value(id),
					    kk_test_fileset_json(&head, json_string_value(id)));
		if (json_object_size(current))
			expect_json(name, "conflict current_files",
				    json_object_get(r.conflict, "current_files"), current);
		assert_int_equal(json_object_size(r.conflict), 2 + (json_object_size(current) > 0));
		json_decref(current);
	}
	if ((want = json_object_get(c, "changes")))
		expect_json(name, "changes", r.changes, want);
	if ((want = json_object_get(c, "ids")))
		expect_json(name, "items", r.items, want);
	if ((want = json_object_get(c, "years")))
		expect_json(name, "years", r.years, want);
	if ((want = json_object_get(c, "corrects_closed_year")) &&
	    r.corrects_closed_year != json_is_true(want))
		fail_msg("%s: corrects_closed_year is %d", name, r.corrects_closed_year);

	/* The files: exactly those that change, each in canonical form. */
	written = paths_written(&r);
	got_paths = json_array();
	for (i = 0; i < r.files.count; i++) {
		const kk_file *f = &r.files.files[i];
		json_t *schema = kk_test_fileset_json(&head, kk_plan_schema_for(f->path));

		json_array_append_new(got_paths, json_string(f->path));
		if (kk_canon_check(f->data, f->len, schema, NULL) != 1)
			fail_msg("%s: %s is not canonical", name, f->path);
		json_decref(schema);
	}
	{
		json_t *a = sorted(written), *b = sorted(got_paths);

		expect_json(name, "files", b, a);
		json_decref(a);
		json_decref(b);
	}
	assert_int_equal(r.summary != NULL, r.files.count > 0);

	json_decref(written);
	json_decref(got_paths);
	kk_update_result_clear(&r);
	kk_identity_clear(&who);
	json_decref(bases);
	free(items);
	free(ufiles);
	kk_fileset_clear(&base);
	kk_fileset_clear(&head);
}

static void test_cases(void **state)
{
	json_t *cases = kk_test_load_json(FIXTURES "/cases.json"), *c;
	size_t i;

	(void)state;
	assert_true(json_array_size(cases) >= 40);
	json_array_foreach(cases, i, c)
		run_case(c);
	json_decref(cases);
}

/* Patches that change nothing are accepted with nothing to write, from anyone. */
static void test_no_op(void **state)
{
	static const struct {
		const char *user;
		json_int_t id;
		const char *patch;
	} cases[] = {
		{"sato", 25, "{\"years\": {\"2021\": {\"progress\": \"behind\"}}}"},
		{"sato", 25, "{}"},
		{"sato", 25, "{\"years\": {\"2021\": {\"achievement\": null}}}"},
		{"suzuki", 25, "{\"title\": \"規程の整備\", \"years\": {\"2020\": {}}}"},
	};
	kk_fileset head = {0};

	(void)state;
	load_plan(&head);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		json_t *patch = kk_test_parse(cases[i].patch), *base = item_of(&head, cases[i].id);
		kk_update_item item = {cases[i].id, patch, NULL, base};
		kk_update_result r;
		kk_identity who;

		person(&who, &head, cases[i].user);
		prepare(&r, &head, &(kk_update_request){&who, NULL, 0, &item, 1, NULL, 0});
		assert_int_equal(r.verdict, KK_UPDATE_OK);
		assert_int_equal(r.files.count, 0);
		assert_null(r.summary);
		expect_text(cases[i].patch, "changes", r.changes, "[]");
		expect_text(cases[i].patch, "violations", r.violations, "[]");
		expect_text(cases[i].patch, "errors", r.errors, "[]");
		expect_text(cases[i].patch, "items", r.items, "[]");
		expect_text(cases[i].patch, "years", r.years, "[]");
		assert_null(r.conflict);
		assert_int_equal(r.corrects_closed_year, 0);
		kk_update_result_clear(&r);
		kk_identity_clear(&who);
		json_decref(patch);
		json_decref(base);
	}
	kk_fileset_clear(&head);
}

/* A request the daemon should not have built: an error, and nothing in `out`. */
static void test_malformed(void **state)
{
	static const json_int_t ids[] = {0, -3, KK_ITEM_ID_MAX + 1};
	kk_fileset head = {0};
	kk_verifier *verifier = NULL;
	json_t *patch = kk_test_parse("{\"years\": {\"2021\": {\"progress\": \"on_track\"}}}");
	kk_identity who;

	(void)state;
	load_plan(&head);
	person(&who, &head, "tanaka");
	assert_int_equal(kk_verifier_new(&verifier), 0);
	for (size_t i = 0; i < sizeof(ids) / sizeof(*ids); i++) {
		kk_update_item items[] = {{25, patch, NULL, NULL}, {ids[i], patch, NULL, NULL}};
		kk_update_result r;
		kk_diag diag = {0};
		char message[64];

		assert_int_equal(
			kk_update_prepare(&r, &head,
					  &(kk_update_request){&who, NULL, 0, items, 2, NULL, 0},
					  verifier, &diag),
			KK_EINVALID);
		assert_int_equal(diag.code, KK_EINVALID);
		snprintf(message, sizeof(message), "'%lld' is not an item id", (long long)ids[i]);
		assert_string_equal(diag.message, message);
		assert_null(r.changes);
		assert_null(r.items);
		assert_null(r.summary);
		assert_int_equal(r.files.count, 0);
	}
	kk_verifier_free(verifier);
	kk_identity_clear(&who);
	json_decref(patch);
	kk_fileset_clear(&head);
}

/* A string the canonical writer refuses (not UTF-8) is the submitter's error, not a failure. */
static void test_unstorable_text(void **state)
{
	kk_fileset head = {0};
	json_t *patch = kk_test_parse("{\"years\": {\"2021\": {}}}");
	json_t *base;
	kk_identity who;
	kk_update_result r;
	kk_update_item item = {25, patch, NULL, NULL};
	kk_verifier *verifier = NULL;

	(void)state;
	load_plan(&head);
	person(&who, &head, "sato");
	item.base_item = base = item_of(&head, 25);
	json_object_set_new(json_object_get(json_object_get(patch, "years"), "2021"), "result",
			    json_stringn_nocheck("\xff\xfe", 2));
	assert_int_equal(kk_verifier_new(&verifier), 0);
	/* Without a diagnostic too: an accepted call needs none. */
	for (int with_diag = 0; with_diag < 2; with_diag++) {
		kk_diag diag = {0};

		assert_int_equal(
			kk_update_prepare(&r, &head,
					  &(kk_update_request){&who, NULL, 0, &item, 1, NULL, 0},
					  verifier, with_diag ? &diag : NULL),
			0);
		assert_int_equal(r.verdict, KK_UPDATE_INVALID);
		assert_int_equal(diag.code, 0);
		expect_text("not UTF-8", "errors", r.errors,
			    "[{\"file\": \"items/0025.json\", \"pointer\": \"/years/2021/result\", "
			    "\"message\": \"text is not valid UTF-8\"}]");
		expect_text("not UTF-8", "violations", r.violations, "[]");
		expect_text("not UTF-8", "items", r.items, "[25]");
		assert_int_equal(r.files.count, 0);
		assert_null(r.summary);
		kk_update_result_clear(&r);
	}
	kk_verifier_free(verifier);
	kk_identity_clear(&who);
	json_decref(base);
	json_decref(patch);
	kk_fileset_clear(&head);
}

/* Tells whether `s` is well-formed UTF-8 (json_string() checks it). */
static int is_utf8(const char *s)
{
	json_t *v = json_string(s);

	json_decref(v);
	return v != NULL;
}

/*
 * A summary too long for its buffer is cut at a character, never inside
 * one: it goes into the commit message.
 */
static void test_long_summary(void **state)
{
	kk_fileset head = {0};
	json_t *patch = json_object(), *years = json_object(), *base;
	kk_identity who;
	kk_update_result r;
	kk_update_item item = {25, patch, NULL, NULL};
	char title[1024] = "";

	(void)state;
	load_plan(&head);
	person(&who, &head, "tanaka");
	/* 200 characters of four bytes each, the longest title the schema allows. */
	for (int i = 0; i < 200; i++)
		strcat(title, "\xf0\xa0\xae\xb7"); /* 𠮷 */
	json_object_set_new(patch, "title", json_string(title));
	json_object_set_new(patch, "status", json_string("completed"));
	json_object_set_new(patch, "related", json_pack("[s]", "総務課"));
	for (int y = 2020; y <= 2022; y++) {
		char key[8];

		snprintf(key, sizeof(key), "%d", y);
		json_object_set_new(years, key,
				    json_pack("{s:s, s:s, s:s, s:s, s:s}", "planned", "見直し",
					      "revised", "見直し", "progress", "ahead",
					      "achievement", "completed", "result", "完了した"));
	}
	json_object_set_new(patch, "years", years);
	item.base_item = base = item_of(&head, 25);
	prepare(&r, &head, &(kk_update_request){&who, "集計誤り", 1, &item, 1, NULL, 0});
	assert_int_equal(r.verdict, KK_UPDATE_OK);
	assert_non_null(r.summary);
	assert_true(strlen(r.summary) > 900);
	assert_true(strncmp(r.summary + 4, title, strlen(title)) == 0);
	if (!is_utf8(r.summary))
		fail_msg("the summary is not UTF-8: ...%s", r.summary + strlen(r.summary) - 8);
	kk_update_result_clear(&r);
	kk_identity_clear(&who);
	json_decref(base);
	json_decref(patch);
	kk_fileset_clear(&head);
}

static void expect_message(const kk_commit_info *info, const char *want)
{
	char *got = kk_commit_message(info);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_commit_message(void **state)
{
	json_t *one = json_pack("[i]", 25), *two = json_pack("[i, i]", 19, 25);
	json_t *year = json_pack("[s]", "2021"), *years = json_pack("[s, s]", "2020", "2021");
	json_t *none = json_array();

	(void)state;
	expect_message(&(kk_commit_info){"025 規程の整備 · 令和3年度 進捗度: ▲ → ○", NULL, one,
					 year, "秘書課", NULL, 0, NULL},
		       "025 規程の整備 · 令和3年度 進捗度: ▲ → ○\n"
		       "\n"
		       "Keikaku-Item: 25\n"
		       "Fiscal-Year: 2021\n"
		       "Department: 秘書課\n");
	/* The reason, trimmed of ASCII white space at both ends only. */
	expect_message(&(kk_commit_info){"025 規程の整備 · 令和3年度 変更スケジュール",
					 " \t規程案の修正\n 再提出\n\n ", one, year, "秘書課",
					 "req-1", 0, NULL},
		       "025 規程の整備 · 令和3年度 変更スケジュール\n"
		       "\n"
		       "規程案の修正\n 再提出\n"
		       "\n"
		       "Keikaku-Item: 25\n"
		       "Fiscal-Year: 2021\n"
		       "Department: 秘書課\n"
		       "Request-Id: req-1\n");
	/* White space alone, the ideographic space included, is no reason. */
	expect_message(&(kk_commit_info){"S", " \xe3\x80\x80\n", one, year, NULL, NULL, 0, NULL},
		       "S\n\nKeikaku-Item: 25\nFiscal-Year: 2021\n");
	expect_message(&(kk_commit_info){"019 オンライン面接の導入 ほか1項目", "集計誤りの訂正",
					 two, years, "デジタル戦略課", "7f1c", 1, NULL},
		       "019 オンライン面接の導入 ほか1項目\n"
		       "\n"
		       "集計誤りの訂正\n"
		       "\n"
		       "Keikaku-Item: 19\n"
		       "Keikaku-Item: 25\n"
		       "Fiscal-Year: 2020\n"
		       "Fiscal-Year: 2021\n"
		       "Department: デジタル戦略課\n"
		       "Request-Id: 7f1c\n"
		       "Keikaku-Correction: yes\n");
	expect_message(&(kk_commit_info){"departments.json を更新", "統合", none, none,
					 "デジタル戦略課", NULL, 0, NULL},
		       "departments.json を更新\n\n統合\n\nDepartment: デジタル戦略課\n");
	json_decref(one);
	json_decref(two);
	json_decref(year);
	json_decref(years);
	json_decref(none);
}

/* What stock git reads as the trailers of `message`. */
static char *git_trailers(const char *dir, const char *message)
{
	char path[512], out[512];
	char *got;

	snprintf(path, sizeof(path), "%s/message", dir);
	snprintf(out, sizeof(out), "%s/trailers", dir);
	kk_test_write(path, message, strlen(message));
	assert_int_equal(kk_test_system("git interpret-trailers --parse <'%s' >'%s'", path, out),
			 0);
	assert_non_null(got = kk_test_slurp(out, NULL));
	return got;
}

/* Appends "value\n" to the kk_buf `ctx`. */
static void append_value(const char *value, size_t len, void *ctx)
{
	kk_buf_put(ctx, value, len);
	kk_buf_puts(ctx, "\n");
}

/*
 * git and kk_commit_trailer() agree with kk_commit_message() on every
 * trailer, and with each other on paragraphs kk_commit_message() does not
 * write; kk_commit_trailers() gives every value git lists, in order.
 */
static void test_git_reads_the_trailers(void **state)
{
	static const char *const keys[] = {"Keikaku-Item", "Fiscal-Year", "Department",
					   "Request-Id", "Keikaku-Correction"};
	json_t *items = json_pack("[i, i]", 19, 25), *years = json_pack("[s, s]", "2020", "2021");
	json_t *none = json_array();
	const kk_commit_info infos[] = {
		{"019 オンライン面接の導入 ほか1項目",
		 "集計誤りの訂正:\n\n2020年度の進捗度: ▲ を ○ に", items, years, "デジタル戦略課",
		 "7f1c 2", 1, NULL},
		{"025 規程の整備", NULL, items, years, NULL, NULL, 0, NULL},
		{"keikaku.json を更新", "Request-Id: not-a-trailer", none, none, "デジタル戦略課",
		 NULL, 0, NULL},
	};
	char *messages[] = {
		kk_commit_message(&infos[0]),
		kk_commit_message(&infos[1]),
		kk_commit_message(&infos[2]),
		strdup("S\n\nRequest-Id: in-the-body\n\n\nKeikaku-Item: 25\n"),
		strdup("S\n\nKeikaku-Item: 25\n\n\n"),
		/* A reason that mentions a trailer is not one. */
		strdup("S\n\nsee Keikaku-Item: 7\nKeikaku-Item: 8 too\n\nKeikaku-Item: 25\n"),
	};
	const char *const want[] = {
		"Keikaku-Item: 19\nKeikaku-Item: 25\nFiscal-Year: 2020\nFiscal-Year: 2021\n"
		"Department: デジタル戦略課\nRequest-Id: 7f1c 2\nKeikaku-Correction: yes\n",
		"Keikaku-Item: 19\nKeikaku-Item: 25\nFiscal-Year: 2020\nFiscal-Year: 2021\n",
		"Department: デジタル戦略課\n",
		"Keikaku-Item: 25\n",
		"Keikaku-Item: 25\n",
		"Keikaku-Item: 25\n",
	};
	char *dir = kk_test_mkdtemp();

	(void)state;
	for (size_t i = 0; i < sizeof(messages) / sizeof(*messages); i++) {
		char *message = messages[i], *trailers;

		assert_non_null(message);
		trailers = git_trailers(dir, message);
		assert_string_equal(trailers, want[i]);
		/* Each key's last value in git's list is the one kk_commit_trailer() finds. */
		for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++) {
			char key[64], value[128] = "", *at, *last = NULL;
			kk_buf all = {0}, ours = {0};
			size_t count = 0;

			snprintf(key, sizeof(key), "%s: ", keys[k]);
			for (at = trailers; (at = strstr(at, key)) != NULL; at++) {
				if (at == trailers || at[-1] == '\n') {
					last = at + strlen(key);
					kk_buf_put(&all, last, strcspn(last, "\n") + 1);
					count++;
				}
			}
			assert_int_equal(kk_commit_trailers(message, keys[k], append_value, &ours),
					 count);
			assert_string_equal(ours.data ? ours.data : "", all.data ? all.data : "");
			kk_buf_clear(&all);
			kk_buf_clear(&ours);
			if (!last) {
				if (kk_commit_trailer(value, sizeof(value), message, keys[k]) != 0)
					fail_msg("message %zu: git has no %s, we have '%s'", i,
						 keys[k], value);
				continue;
			}
			assert_int_equal(kk_commit_trailer(value, sizeof(value), message, keys[k]),
					 1);
			assert_int_equal(strlen(value), strcspn(last, "\n"));
			assert_memory_equal(value, last, strlen(value));
		}
		free(trailers);
		free(message);
	}
	kk_test_rmrf(dir);
	free(dir);
	json_decref(items);
	json_decref(years);
	json_decref(none);
}

static void test_commit_trailer(void **state)
{
	static const struct {
		const char *message;
		const char *key;
		const char *value; /* NULL: not found */
	} cases[] = {
		{"S\n\nKeikaku-Item: 25\nRequest-Id: abc\n", "Request-Id", "abc"},
		{"S\n\nKeikaku-Item: 25\nRequest-Id: abc", "Request-Id", "abc"},
		{"S\n\nKeikaku-Item: 25\n", "Request-Id", NULL},
		{"S\n\nDepartment: 総務課 危機管理室\n", "Department", "総務課 危機管理室"},
		/* The last paragraph only. */
		{"S\n\nRequest-Id: in-the-reason\n\nKeikaku-Item: 25\n", "Request-Id", NULL},
		{"Request-Id: x\n\nKeikaku-Item: 25\n", "Request-Id", NULL},
		{"S\n\nreason\n\n\nKeikaku-Item: 25\n", "Keikaku-Item", "25"},
		{"S\n\nRequest-Id: in-the-reason\n\n\nKeikaku-Item: 25\n", "Request-Id", NULL},
		{"S\n\nKeikaku-Item: 25\n\n\n", "Keikaku-Item", "25"},
		/* The key whole, and the last of several. */
		{"S\n\nRequest-Ids: abc\nXRequest-Id: def\n", "Request-Id", NULL},
		{"S\n\nKeikaku-Item: 19\nKeikaku-Item: 25\n", "Keikaku-Item", "25"},
		{"S\n\nKeikaku-Item: 25\n", "Keikaku", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char value[64] = "unchanged";
		int found = kk_commit_trailer(value, sizeof(value), cases[i].message, cases[i].key);

		if (found != (cases[i].value != NULL))
			fail_msg("case %zu: found %d", i, found);
		assert_string_equal(value, cases[i].value ? cases[i].value : "unchanged");
	}
	/* A value longer than the buffer is cut, and terminated. */
	{
		char small[4];

		assert_int_equal(kk_commit_trailer(small, sizeof(small),
						   "S\n\nRequest-Id: abcdef\n", "Request-Id"),
				 1);
		assert_string_equal(small, "abc");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_and_people),
		cmocka_unit_test(test_owner_update),
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_no_op),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_unstorable_text),
		cmocka_unit_test(test_long_summary),
		cmocka_unit_test(test_commit_message),
		cmocka_unit_test(test_git_reads_the_trailers),
		cmocka_unit_test(test_commit_trailer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
