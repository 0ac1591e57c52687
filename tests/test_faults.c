/*
 * Fault injection over core (tests/util/fault.h): operations of every layer
 * run with their Nth allocation failing, then their Nth I/O call, for N = 1,
 * 2, ... (sampled past 300 calls), and must fail cleanly with the cause
 * passed up, or give the answer they give without faults.  Leaks are found
 * by the ASan build's LeakSanitizer.  docs/development.md, "Fault injection".
 */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zip.h>

#include "buf.h"
#include "canon.h"
#include "diff.h"
#include "fault.h"
#include "history.h"
#include "import.h"
#include "json.h"
#include "pack.h"
#include "patch.h"
#include "plan.h"
#include "query.h"
#include "report.h"
#include "rules.h"
#include "sandbox.h"
#include "schema.h"
#include "update.h"
#include "verify.h"
#include "year.h"

#define SAMPLE KK_SOURCE_DIR "/examples/dx-plan-r3/progress-report-R3-part1.tsv"

/*
 * The world every operation starts from: the example plan in a repository
 * (group setup), a second commit that changes item 26 and adds an item,
 * and the plan and report built from the example.
 */
static kk_test_sandbox *sb;
static git_oid c0, c1;
static kk_plan *example;
static kk_report *report;
/* Where operations write, made before any fault is armed. */
static char *init_path, *pack_path, *xlsx_path, *index_dir;
/* Keikaku's schemas, for the importer; a few files in two folders, for a new repository. */
static kk_fileset schemas, small;

/* What an operation made, kept until finish(). */
typedef struct outputs {
	json_t *doc, *doc2;
	char *text;
	size_t len;
	kk_diaglist list;
	kk_fileset files;
	kk_plan *plan;
	kk_report *report;
	kk_store *store;
	kk_schema_registry *reg;
	kk_schema *schema;
	kk_verifier *verifier;
	kk_history *history;
	kk_import *import;
	kk_update_result update;
	kk_year_change year;
	const char *path; /* a file or directory run() may leave behind */
	int zip;	  /* `path` is a zip (an xlsx): describe its parts */
} outputs;

static outputs out;

static void outputs_clear(void)
{
	json_decref(out.doc);
	json_decref(out.doc2);
	free(out.text);
	kk_diaglist_clear(&out.list);
	kk_fileset_clear(&out.files);
	kk_plan_free(out.plan);
	kk_report_free(out.report);
	kk_history_free(out.history);
	kk_store_free(out.store);
	kk_schema_free(out.schema);
	kk_schema_registry_free(out.reg);
	kk_verifier_free(out.verifier);
	kk_import_free(out.import);
	kk_update_result_clear(&out.update);
	kk_year_change_clear(&out.year);
	if (out.path)
		kk_test_rmrf(out.path);
	memset(&out, 0, sizeof(out));
}

/*
 * A workbook's parts, each with its size and CRC, but for the one that holds
 * the time it was written (docProps/core.xml): the same workbook gives the
 * same text, whenever it was written.  Its compressed size is no such
 * thing: a time that deflates one byte shorter changes it.
 */
static void describe_zip(kk_buf *b, const char *path)
{
	zip_t *z = zip_open(path, ZIP_RDONLY, NULL);
	zip_int64_t n = z ? zip_get_num_entries(z, 0) : -1;

	if (!z) {
		kk_buf_puts(b, "not a zip\n");
		return;
	}
	for (zip_int64_t i = 0; i < n; i++) {
		zip_stat_t st;

		if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) < 0) {
			kk_buf_puts(b, "?\n");
			continue;
		}
		if (strcmp(st.name, "docProps/core.xml") == 0)
			kk_buf_printf(b, "%s\n", st.name);
		else
			kk_buf_printf(b, "%s %llu %08x\n", st.name, (unsigned long long)st.size,
				      (unsigned)st.crc);
	}
	zip_discard(z);
}

/* The text of what an operation made, from whichever of `out` it filled. */
static int describe(void *ctx, int rc, char **result)
{
	char *text = NULL;
	kk_buf b = {0};

	(void)ctx;
	if (rc == 0) {
		if (out.doc) {
			text = json_dumps(out.doc,
					  JSON_ENCODE_ANY | JSON_SORT_KEYS | JSON_INDENT(1));
			kk_buf_puts(&b, text ? text : "?");
			free(text);
		}
		if (out.doc2) {
			text = json_dumps(out.doc2,
					  JSON_ENCODE_ANY | JSON_SORT_KEYS | JSON_INDENT(1));
			kk_buf_puts(&b, text ? text : "?");
			free(text);
		}
		if (out.text) {
			kk_buf_printf(&b, "%zu bytes\n", out.len);
			kk_buf_puts(&b, out.text);
		}
		if (out.zip)
			describe_zip(&b, out.path);
		for (size_t i = 0; i < out.list.count; i++)
			kk_buf_printf(&b, "%d %s %s: %s\n", out.list.items[i].code,
				      out.list.items[i].path, out.list.items[i].pointer,
				      out.list.items[i].message);
		for (size_t i = 0; i < out.files.count; i++) {
			char hex[GIT_OID_HEXSZ + 1];

			git_oid_tostr(hex, sizeof(hex), &out.files.files[i].oid);
			kk_buf_printf(&b, "%s %s\n", hex, out.files.files[i].path);
		}
		kk_buf_puts(&b, "");
		if (b.failed) {
			kk_buf_clear(&b);
			return -1;
		}
		*result = b.data;
	}
	outputs_clear();
	return 0;
}

/* --- base --- */

static int run_json(void *ctx, kk_diag *diag)
{
	const kk_file *f = kk_fileset_get(&sb->files, "items/0026.json");
	static const char bad[] = "{\"id\": 1,\n \"title\": \"x\", \"title\": \"y\"}";
	kk_diag expected = {0};
	json_t *doc = NULL;
	int error;

	(void)ctx;
	if ((error = kk_json_parse(&out.doc, f->data, f->len, NULL, diag)) < 0)
		return error;
	/* A duplicate key is an error, and its message must say so under faults too. */
	error = kk_json_parse(&doc, bad, sizeof(bad) - 1, NULL, &expected);
	if (error != KK_EINVALID) {
		json_decref(doc);
		*diag = expected;
		return error ? error : KK_ERROR;
	}
	return kk_diaglist_add(&out.list, &expected) < 0
		       ? kk_diag_set(diag, KK_ENOMEM, "out of memory")
		       : 0;
}

static int run_json_file(void *ctx, kk_diag *diag)
{
	(void)ctx;
	return kk_json_load_file(&out.doc, KK_SOURCE_DIR "/examples/dx-plan-r3/plan.json", NULL,
				 diag);
}

static int run_canon(void *ctx, kk_diag *diag)
{
	const kk_file *f = kk_fileset_get(&sb->files, "items/0026.json");
	const kk_file *s = kk_fileset_get(&sb->files, KK_SCHEMA_ITEM);
	json_t *item = NULL, *schema = NULL;
	int error;

	(void)ctx;
	if ((error = kk_json_parse(&item, f->data, f->len, NULL, diag)) < 0 ||
	    (error = kk_json_parse(&schema, s->data, s->len, NULL, diag)) < 0)
		goto done;
	/* Shuffled keys and a decomposed character, to be put back in order and in NFC. */
	if (json_object_del(item, "id") < 0 ||
	    json_object_set_new(item, "id", json_integer(26)) < 0 ||
	    json_object_set_new(item, "title", json_string("テレワークの拡大ガ\u3099")) < 0) {
		error = kk_diag_set(diag, KK_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = kk_canon_dump(&out.text, &out.len, item, schema, diag)) < 0)
		goto done;
	error = kk_canon_check(out.text, out.len, schema, diag);
	if (error == 1)
		error = 0;
	else if (error == 0)
		error = kk_diag_set(diag, KK_ERROR, "the canonical form is not canonical");
done:
	json_decref(item);
	json_decref(schema);
	return error;
}

static int run_patch(void *ctx, kk_diag *diag)
{
	const kk_file *f = kk_fileset_get(&sb->files, "items/0026.json");
	json_t *item = NULL, *patch = NULL;
	int error;

	(void)ctx;
	if ((error = kk_json_parse(&item, f->data, f->len, NULL, diag)) < 0)
		return error;
	patch = json_pack("{s:s, s:n, s:{s:{s:s, s:n}, s:{s:s}}}", "status", "open", "related",
			  "years", "2021", "progress", "behind", "result", "2023", "planned",
			  "検討");
	if (!patch) {
		error = kk_diag_set(diag, KK_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = kk_patch_apply(&out.doc, item, patch, diag)) < 0 ||
	    (error = kk_patch_diff(&out.doc2, out.doc, item, diag)) < 0)
		goto done;
done:
	json_decref(item);
	json_decref(patch);
	return error;
}

/* kk_diff_fields() and kk_patch_conflicts() say only KK_ENOMEM. */
static int run_fields(void *ctx, kk_diag *diag)
{
	const kk_file *f = kk_fileset_get(&sb->files, "items/0026.json");
	json_t *item = NULL, *next = NULL, *patch = NULL;
	int error;

	(void)ctx;
	(void)diag;
	if (kk_json_parse(&item, f->data, f->len, NULL, NULL) < 0 ||
	    !(next = json_deep_copy(item)) ||
	    json_object_set_new(next, "status", json_string("open")) < 0 ||
	    json_object_set_new(json_object_get(json_object_get(next, "years"), "2021"), "progress",
				json_string("behind")) < 0 ||
	    json_object_del(json_object_get(next, "years"), "2020") < 0 ||
	    !(patch = json_pack("{s:{s:{s:s}}}", "years", "2020", "result", "x")) ||
	    !(out.doc = json_array()) || !(out.doc2 = json_array())) {
		error = KK_ENOMEM;
		goto done;
	}
	if ((error = kk_diff_fields(out.doc, item, next, "")) < 0 ||
	    (error = kk_patch_conflicts(out.doc2, item, next, patch)) < 0)
		goto done;
	if ((error = kk_diff_inline(out.doc)) < 0)
		goto done;
	error = 0;
done:
	json_decref(item);
	json_decref(next);
	json_decref(patch);
	return error;
}

static int is_json(const char *path)
{
	return strstr(path, ".json") != NULL;
}

static int run_load(void *ctx, kk_diag *diag)
{
	int error;

	(void)ctx;
	if ((error = kk_fileset_read_dir(&out.files, KK_SOURCE_DIR "/examples/dx-plan-r3", is_json,
					 diag)) < 0 ||
	    (error = kk_plan_load(&out.plan, &out.files, diag)) < 0)
		return error;
	out.doc = json_incref(out.plan->structure);
	return 0;
}

/* --- schema --- */

static int run_schema(void *ctx, kk_diag *diag)
{
	json_t *ref = NULL, *item = NULL;
	int error;

	(void)ctx;
	if ((error = kk_schema_registry_new(&out.reg)) < 0)
		return kk_diag_set(diag, error, "out of memory");
	if ((error = kk_schema_registry_map(out.reg, "https://keikaku.invalid/schema/",
					    KK_SOURCE_DIR "/schema/", diag)) < 0)
		goto done;
	ref = json_pack("{s:s}", "$ref", "https://keikaku.invalid/schema/item.schema.json");
	item = json_pack("{s:i, s:s, s:i, s:[s, i], s:{s:{s:s, s:s}, s:{}}, s:s}", "id", 7, "title",
			 "", "pillar", 0, "owners", "x", 2, "years", "2021", "progress", "late",
			 "planned", "", "21", "colour", "red");
	if (!ref || !item) {
		error = kk_diag_set(diag, KK_ENOMEM, "out of memory");
		goto done;
	}
	if ((error = kk_schema_compile(&out.schema, out.reg, ref, NULL, diag)) < 0)
		goto done;
	error = kk_schema_validate(out.schema, item, &out.list, diag);
	if (error == KK_EINVALID && out.list.count)
		error = 0;
	else if (error == 0)
		error = kk_diag_set(diag, KK_ERROR, "the invalid item validates");
done:
	json_decref(ref);
	json_decref(item);
	return error;
}

/* --- git --- */

static int run_store_read(void *ctx, kk_diag *diag)
{
	git_oid at;
	int error;

	(void)ctx;
	if ((error = kk_store_discover(&out.store, sb->repo, diag)) < 0 ||
	    (error = kk_store_resolve(&at, out.store, "main~1", diag)) < 0 ||
	    (error = kk_store_read(&out.text, &out.len, out.store, &at, "items/0026.json", diag)) <
		    0 ||
	    (error = kk_store_read_all(&out.files, out.store, &c1, diag)) < 0)
		return error;
	return 0;
}

static int run_store_init(void *ctx, kk_diag *diag)
{
	git_oid commit;
	int error;

	(void)ctx;
	out.path = init_path;
	if ((error = kk_store_init(NULL, &commit, out.path, &small, &kk_test_sig, "First\n",
				   diag)) < 0)
		return error;
	if (!(out.text = malloc(GIT_OID_HEXSZ + 1)))
		return kk_diag_set(diag, KK_ENOMEM, "out of memory");
	git_oid_tostr(out.text, GIT_OID_HEXSZ + 1, &commit);
	out.len = GIT_OID_HEXSZ;
	return 0;
}

/* The objects of a small commit, written as one pack. */
static int run_pack(void *ctx, kk_diag *diag)
{
	static const char *const blobs[] = {"{\"id\": 1}\n", "{\"id\": 2}\n", "plan\n"};
	kk_pack_object objects[3];
	git_oid checksum;
	int error;

	(void)ctx;
	out.path = pack_path;
	if (mkdir(out.path, 0777) < 0)
		return kk_diag_set(diag, KK_EIO, "mkdir: %s", strerror(errno));
	for (size_t i = 0; i < 3; i++) {
		objects[i] = (kk_pack_object){GIT_OBJECT_BLOB, blobs[i], strlen(blobs[i]), {{0}}};
		git_odb_hash(&objects[i].oid, blobs[i], strlen(blobs[i]), GIT_OBJECT_BLOB);
	}
	if ((error = kk_pack_write(&checksum, out.path, objects, 3, diag)) < 0)
		return error;
	if (!(out.text = malloc(GIT_OID_HEXSZ + 1)))
		return kk_diag_set(diag, KK_ENOMEM, "out of memory");
	git_oid_tostr(out.text, GIT_OID_HEXSZ + 1, &checksum);
	out.len = GIT_OID_HEXSZ;
	return 0;
}

/* --- plan --- */

static int run_verify(void *ctx, kk_diag *diag)
{
	const kk_fileset *files = ctx;
	int error;

	if ((error = kk_verifier_new(&out.verifier)) < 0)
		return kk_diag_set(diag, error, "out of memory");
	return kk_verifier_check(out.verifier, files, 0, &out.list, diag);
}

static kk_identity shuzei = {.uid = 1001, .gid = 1001, .user = "shuzei", .name = "収税"};

static int run_rules(void *ctx, kk_diag *diag)
{
	kk_change_ctx change = {&shuzei, example->settings, NULL, 0};
	json_t *old = kk_plan_item(example, 3), *next = json_deep_copy(old);
	int error;

	(void)ctx;
	(void)diag;
	if (!next || !(out.doc = json_array()) ||
	    json_object_set_new(json_object_get(json_object_get(next, "years"), "2020"), "result",
				json_string("x")) < 0 ||
	    json_object_set_new(json_object_get(json_object_get(next, "years"), "2021"), "planned",
				json_string("y")) < 0 ||
	    json_object_set_new(next, "title", json_string("z")) < 0) {
		json_decref(next);
		return KK_ENOMEM;
	}
	error = kk_rules_check_item(out.doc, &change, old, next);
	json_decref(next);
	return error < 0 ? error : 0;
}

static int run_update(void *ctx, kk_diag *diag)
{
	json_t *patch = json_pack("{s:{s:{s:s, s:s}}}", "years", "2021", "progress", "behind",
				  "result", "・延期した");
	kk_update_item item = {3, patch, NULL, kk_plan_item(example, 3)};
	kk_update_request req = {&shuzei, "遅れのため", 0, &item, 1, NULL, 0};
	int error;

	(void)ctx;
	if (!patch)
		return kk_diag_set(diag, KK_ENOMEM, "out of memory");
	if ((error = kk_verifier_new(&out.verifier)) < 0) {
		json_decref(patch);
		return kk_diag_set(diag, error, "out of memory");
	}
	error = kk_update_prepare(&out.update, &sb->files, &req, out.verifier, diag);
	json_decref(patch);
	if (error < 0)
		return error;
	if (out.update.verdict != KK_UPDATE_OK)
		return kk_diag_set(diag, KK_ERROR, "refused: %d", out.update.verdict);
	out.doc = json_incref(out.update.changes);
	for (size_t i = 0; i < out.update.files.count; i++)
		if ((error = kk_fileset_put_file(&out.files, &out.update.files.files[i], diag)) < 0)
			return error;
	if (!(out.text = strdup(out.update.summary)))
		return kk_diag_set(diag, KK_ENOMEM, "out of memory");
	out.len = strlen(out.text);
	return 0;
}

static int run_year(void *ctx, kk_diag *diag)
{
	int error;

	(void)ctx;
	if ((error = kk_year_close(&out.year, &sb->files, 2021, diag)) < 0)
		return error;
	out.doc = json_incref(out.year.settings_patch);
	if (!(out.text = kk_year_tag_message(example->settings, 2021, &out.year.counts)))
		return kk_diag_set(diag, KK_ENOMEM, "out of memory");
	out.len = strlen(out.text);
	return 0;
}

/* --- history --- */

/* The history index, which run_history() writes, goes each time. */
static int run_history(void *ctx, kk_diag *diag)
{
	kk_log_filter filter = {.item = 26};
	int error;

	(void)ctx;
	kk_test_rmrf(index_dir);
	if ((error = kk_store_discover(&out.store, sb->repo, diag)) < 0 ||
	    (error = kk_history_open(&out.history, out.store, &c1, 1, diag)) < 0 ||
	    (error = kk_history_log(&out.doc, out.history, &filter, diag)) < 0)
		return error;
	return kk_diff_commits(&out.doc2, out.store, &c0, &c1, NULL, diag);
}

/* As run_history(), reading the index the last run left (rebuilt when it cannot be read). */
static int run_history_cached(void *ctx, kk_diag *diag)
{
	kk_log_filter filter = {.item = 26};
	int error;

	(void)ctx;
	if ((error = kk_store_discover(&out.store, sb->repo, diag)) < 0 ||
	    (error = kk_history_open(&out.history, out.store, &c1, 1, diag)) < 0)
		return error;
	return kk_history_log(&out.doc, out.history, &filter, diag);
}

static int run_query(void *ctx, kk_diag *diag)
{
	const char *method = ctx;
	kk_query_env env = {.utc_offset = 540};
	json_t *params = json_pack("{s:s}", "fy", "2021");
	int error;

	if (!params)
		return kk_diag_set(diag, KK_ENOMEM, "out of memory");
	if ((error = kk_store_discover(&out.store, sb->repo, diag)) == 0)
		error = kk_query_run(&out.doc, out.store, method, params, &env, diag);
	json_decref(params);
	return error;
}

/* A query of an older revision (a view of HEAD's history), asked twice with a memo. */
static int run_query_memo(void *ctx, kk_diag *diag)
{
	kk_query_env env = {.utc_offset = 540, .memo = kk_query_memo_new()};
	json_t *params = json_pack("{s:i, s:s}", "item", 26, "rev", git_oid_tostr_s(&c0));
	int error;

	(void)ctx;
	if (!params || !env.memo)
		error = kk_diag_set(diag, KK_ENOMEM, "out of memory");
	else if ((error = kk_store_discover(&out.store, sb->repo, diag)) == 0 &&
		 (error = kk_query_run(&out.doc, out.store, "history.log", params, &env, diag)) ==
			 0)
		error = kk_query_run(&out.doc2, out.store, "history.log", params, &env, diag);
	json_decref(params);
	kk_query_memo_free(env.memo);
	return error;
}

/* --- import and report --- */

static int run_import(void *ctx, kk_diag *diag)
{
	kk_import_options opts = {.admin = "デジタル戦略課"};
	int error;

	(void)ctx;
	if ((error = kk_import_read_file(&out.import, SAMPLE, &opts, &out.list, diag)) < 0)
		return error;
	for (size_t i = 0; i < schemas.count; i++)
		if ((error = kk_fileset_put_file(&out.files, &schemas.files[i], diag)) < 0)
			return error;
	return kk_import_files(&out.files, out.import, diag);
}

static int run_report_build(void *ctx, kk_diag *diag)
{
	kk_report_source src = {"0123456789abcdef0123456789abcdef01234567", 1617235200, NULL, NULL};
	int error;

	(void)ctx;
	if ((error = kk_diff_commits(&out.doc2, sb->store, &c0, &c1, NULL, diag)) < 0 ||
	    (error = kk_plan_load(&out.plan, &sb->files, diag)) < 0)
		return error;
	src.changes = out.doc2;
	src.since = "fy2020";
	if ((error = kk_report_build(&out.report, out.plan, 2021, &src, diag)) < 0)
		return error;
	return kk_report_render(&out.text, &out.len, out.report, KK_REPORT_JSON, NULL, diag);
}

typedef struct render_case {
	kk_report_format format;
	kk_report_text_opts opts;
} render_case;

static int run_render(void *ctx, kk_diag *diag)
{
	const render_case *c = ctx;

	return kk_report_render(&out.text, &out.len, report, c->format, &c->opts, diag);
}

static int run_xlsx(void *ctx, kk_diag *diag)
{
	struct stat st;
	int error;

	(void)ctx;
	out.path = xlsx_path;
	if ((error = kk_report_write_xlsx(report, out.path, sb->dir, diag)) < 0)
		return error;
	if (stat(out.path, &st) < 0)
		return kk_diag_set(diag, KK_EIO, "stat: %s", strerror(errno));
	out.zip = 1; /* described by its parts, when no fault is armed: describe_zip() */
	return 0;
}


/* --- the tests --- */

/* What an operation has: a diagnostic, I/O calls of core's own, calls of libgit2. */
enum { DIAG = 1, IO = 2, GIT = 4 };

static void check(const char *name, int (*run)(void *, kk_diag *), void *ctx, int flags,
		  unsigned long max_tries)
{
	kk_fault_op op = {name,		run,	    describe,	 ctx,
			  flags & DIAG, flags & IO, flags & GIT, max_tries};

	kk_fault_check(&op);
}

static void test_base(void **state)
{
	(void)state;
	check("json parse", run_json, NULL, DIAG, 0);
	check("json load file", run_json_file, NULL, DIAG | IO, 0);
	check("canonical dump and check", run_canon, NULL, DIAG, 0);
	check("merge patch apply and diff", run_patch, NULL, DIAG, 0);
	check("diff fields and conflicts", run_fields, NULL, 0, 0);
	check("load the example", run_load, NULL, DIAG | IO, 0);
}

static void test_schema(void **state)
{
	(void)state;
	check("schema validate", run_schema, NULL, DIAG | IO, 0);
}

static void test_git(void **state)
{
	(void)state;
	check("store read", run_store_read, NULL, DIAG | GIT, 0);
	check("store init", run_store_init, NULL, DIAG | IO | GIT, 0);
	check("pack write", run_pack, NULL, DIAG | IO, 0);
}

static void test_plan(void **state)
{
	kk_fileset broken = {0};
	const kk_file *f;

	(void)state;
	/* A plan with problems: an unknown department, a bad progress code. */
	for (size_t i = 0; i < sb->files.count; i++)
		assert_int_equal(kk_fileset_put_file(&broken, &sb->files.files[i], NULL), 0);
	f = kk_fileset_get(&broken, "items/0003.json");
	{
		char *text = strdup(f->data), *at = strstr(text, "収税課");

		assert_non_null(at);
		memcpy(at, "税収課", strlen("税収課"));
		assert_int_equal(
			kk_fileset_put(&broken, "items/0003.json", text, strlen(text), NULL), 0);
		free(text);
	}
	check("verify the example", run_verify, &sb->files, DIAG, 0);
	check("verify a broken plan", run_verify, &broken, DIAG, 0);
	check("rules", run_rules, NULL, 0, 0);
	check("update prepare", run_update, NULL, DIAG, 0);
	check("year close", run_year, NULL, DIAG, 0);
	kk_fileset_clear(&broken);
}

static void test_history(void **state)
{
	(void)state;
	check("history log and diff", run_history, NULL, DIAG | IO | GIT, 0);
	check("history from its index", run_history_cached, NULL, DIAG | IO | GIT, 0);
	check("query plan.diff", run_query, "plan.diff", DIAG | GIT, 0);
	check("query plan.schedule", run_query, "plan.schedule", DIAG | GIT, 0);
	check("query with a memo, at an older revision", run_query_memo, NULL, DIAG | GIT, 0);
}

static void test_import(void **state)
{
	(void)state;
	check("import the sample", run_import, NULL, DIAG | IO, 0);
}

static void test_report(void **state)
{
	static const render_case cases[] = {
		{KK_REPORT_TSV, {.encoding = KK_REPORT_UTF8}},
		{KK_REPORT_CSV, {.encoding = KK_REPORT_CP932}},
		{KK_REPORT_MD, {.encoding = KK_REPORT_UTF8}},
		{KK_REPORT_HTML, {.encoding = KK_REPORT_UTF8}},
		{KK_REPORT_JSON, {.encoding = KK_REPORT_UTF8}},
	};
	static const char *const names[] = {"report tsv", "report csv cp932", "report md",
					    "report html", "report json"};

	(void)state;
	check("report build", run_report_build, NULL, DIAG | GIT, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		check(names[i], run_render, (void *)&cases[i], DIAG, 0);
	check("report xlsx", run_xlsx, NULL, DIAG, 0);
}

/*
 * A lookup that fails for another reason than "not found" says so: a file
 * that cannot be read is KK_EIO with errno's reason, a missing one
 * KK_ENOTFOUND.
 */
static void test_lookup_errors(void **state)
{
	kk_fileset files = {0};
	json_t *doc = NULL;
	kk_diag diag = {0};
	char *path = kk_test_sandbox_path(sb, "missing.json");

	(void)state;
	assert_int_equal(kk_json_load_file(&doc, path, NULL, &diag), KK_ENOTFOUND);
	kk_fault_arm(KK_FAULT_IO, 1, 0);
	assert_int_equal(
		kk_json_load_file(&doc, KK_SOURCE_DIR "/schema/item.schema.json", NULL, &diag),
		KK_EIO);
	assert_int_equal(kk_fault_disarm(), 1);
	assert_non_null(strstr(diag.message, "Input/output error"));
	kk_fault_arm(KK_FAULT_IO, 1, 1);
	assert_int_equal(
		kk_fileset_read_dir(&files, KK_SOURCE_DIR "/examples/dx-plan-r3", is_json, &diag),
		KK_EIO);
	kk_fault_disarm();
	assert_non_null(strstr(diag.message, "Input/output error"));
	kk_fileset_clear(&files);
	free(path);
}

static int setup(void **state)
{
	kk_diag diag = {0};
	json_t *item;
	char *text;

	if (kk_test_sandbox_setup_example(state) < 0)
		return -1;
	sb = *state;
	c0 = sb->head;
	assert_int_equal(kk_plan_load(&example, &sb->files, NULL), 0);
	assert_int_equal(kk_report_build(&report, example, 2021, NULL, &diag), 0);
	init_path = kk_test_sandbox_path(sb, "init.git");
	pack_path = kk_test_sandbox_path(sb, "pack");
	xlsx_path = kk_test_sandbox_path(sb, "r.xlsx");
	assert_true(asprintf(&index_dir, "%s/keikaku", sb->repo) > 0);
	kk_test_load_schemas(&schemas);
	for (size_t i = 0; i < sb->files.count; i += 8)
		assert_int_equal(kk_fileset_put_file(&small, &sb->files.files[i], NULL), 0);

	shuzei.departments = calloc(1, sizeof(char *));
	assert_non_null(shuzei.departments);
	shuzei.departments[0] = "収税課";
	shuzei.department_count = 1;

	/* c1: item 26's progress and result, and a new item 36. */
	item = json_deep_copy(kk_plan_item(example, 26));
	json_object_set_new(json_object_get(json_object_get(item, "years"), "2021"), "progress",
			    json_string("behind"));
	json_object_set_new(json_object_get(json_object_get(item, "years"), "2021"), "result",
			    json_string("・検証の結果、テレワーク端末の同時利用が可能となった。"
					"テレワーク端末を新たに調達し、200台体制となった。"));
	text = json_dumps(item, JSON_INDENT(2));
	assert_int_equal(kk_fileset_put(&sb->files, "items/0026.json", text, strlen(text), NULL),
			 0);
	free(text);
	json_object_set_new(item, "id", json_integer(36));
	text = json_dumps(item, JSON_INDENT(2));
	assert_int_equal(kk_fileset_put(&sb->files, "items/0036.json", text, strlen(text), NULL),
			 0);
	free(text);
	json_decref(item);
	c1 = kk_test_sandbox_commit(sb, "Change\n");
	return 0;
}

static int teardown(void **state)
{
	free(shuzei.departments);
	free(init_path);
	free(pack_path);
	free(xlsx_path);
	free(index_dir);
	kk_fileset_clear(&schemas);
	kk_fileset_clear(&small);
	kk_report_free(report);
	kk_plan_free(example);
	return kk_test_sandbox_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base),	cmocka_unit_test(test_schema),
		cmocka_unit_test(test_git),	cmocka_unit_test(test_plan),
		cmocka_unit_test(test_history), cmocka_unit_test(test_import),
		cmocka_unit_test(test_report),	cmocka_unit_test(test_lookup_errors),
	};
	int failed;

	kk_fault_install();
	failed = cmocka_run_group_tests(tests, setup, teardown);
	git_libgit2_shutdown();
	return failed;
}
