/*
 * verify.c - the checks every plan file passes (verify.h): schemas from the
 * tree itself, canonical form, ids, references, and a memory of what was
 * checked so that a long history is checked once per change.
 */
#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "canon.h"
#include "doccache.h"
#include "i18n.h"
#include "json.h"
#include "plan.h"
#include "schema.h"

enum file_kind { KIND_SETTINGS, KIND_DEPARTMENTS, KIND_STRUCTURE, KIND_ITEM, KIND_COUNT };

static const struct {
	const char *path; /* NULL for items */
	const char *schema;
} kinds[KIND_COUNT] = {
	[KIND_SETTINGS] = {KK_PATH_SETTINGS, KK_SCHEMA_SETTINGS},
	[KIND_DEPARTMENTS] = {KK_PATH_DEPARTMENTS, KK_SCHEMA_DEPARTMENTS},
	[KIND_STRUCTURE] = {KK_PATH_STRUCTURE, KK_SCHEMA_STRUCTURE},
	[KIND_ITEM] = {NULL, KK_SCHEMA_ITEM},
};

/* A compiled schema, cached by the id of the blob it came from. */
typedef struct {
	git_oid oid;
	json_t *doc;
	kk_schema *compiled; /* NULL when the schema itself is broken */
} cached_schema;

/*
 * The last result for each plan-wide file: the daemon checks the same
 * departments.json and plan.json with every update, so their parse and
 * their problems are kept by the ids of the file and of its schema.
 */
typedef struct {
	git_oid file, schema;
	int valid;
	json_t *doc; /* NULL when the file did not parse */
	kk_diaglist problems;
} memo;

struct kk_verifier {
	kk_schema_registry *registry;
	kk_schema *meta;
	cached_schema **schemas; /* each allocated alone: check_ctx keeps pointers */
	size_t schema_count, schema_alloc;
	memo memos[KIND_COUNT];
	kk_doccache *docs; /* borrowed; NULL: files are parsed every time */
	git_oid *seen;	   /* open-addressing set of checked contexts; zero oid = empty */
	size_t seen_count;
	size_t seen_alloc;
	kk_verify_text_fn text_fn; /* reads the allowed signers file, or NULL */
	void *text_ctx;
};

/* What one check call needs to know about the tree. */
typedef struct {
	kk_verifier *v;
	const kk_fileset *files;
	kk_diaglist *problems;
	kk_diag *diag;
	int only_new;
	const kk_fileset *written; /* files known to be canonical already, or NULL */
	const cached_schema *schema[KIND_COUNT];
	json_t *settings, *departments, *structure; /* parsed, or NULL */
} check_ctx;

int kk_verifier_new(kk_verifier **out)
{
	kk_verifier *v = calloc(1, sizeof(*v));
	json_t *meta_ref = json_pack("{s:s}", "$ref", KK_SCHEMA_DRAFT7_URI "#");
	int error = KK_ENOMEM;

	if (!v || !meta_ref)
		goto fail;
	if ((error = kk_schema_registry_new(&v->registry)) < 0 ||
	    (error = kk_schema_compile(&v->meta, v->registry, meta_ref, NULL, NULL)) < 0)
		goto fail;
	json_decref(meta_ref);
	*out = v;
	return 0;
fail:
	json_decref(meta_ref);
	kk_verifier_free(v);
	return error;
}

void kk_verifier_free(kk_verifier *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->schema_count; i++) {
		kk_schema_free(v->schemas[i]->compiled);
		json_decref(v->schemas[i]->doc);
		free(v->schemas[i]);
	}
	free(v->schemas);
	for (int k = 0; k < KIND_COUNT; k++) {
		json_decref(v->memos[k].doc);
		kk_diaglist_clear(&v->memos[k].problems);
	}
	free(v->seen);
	kk_schema_free(v->meta);
	kk_schema_registry_free(v->registry);
	free(v);
}

static size_t oid_hash(const git_oid *oid)
{
	size_t h;

	memcpy(&h, oid->id, sizeof(h));
	return h;
}

/* Adds `key` to the set; returns 1 if it was new, 0 if seen, or KK_ENOMEM. */
static int seen_add(kk_verifier *v, const git_oid *key)
{
	size_t mask, i;

	if ((v->seen_count + 1) * 2 > v->seen_alloc) {
		size_t alloc = v->seen_alloc ? v->seen_alloc * 2 : 1024;
		git_oid *grown = calloc(alloc, sizeof(*grown));

		if (!grown)
			return KK_ENOMEM;
		for (size_t j = 0; j < v->seen_alloc; j++) {
			if (git_oid_is_zero(&v->seen[j]))
				continue;
			for (i = oid_hash(&v->seen[j]) & (alloc - 1); !git_oid_is_zero(&grown[i]);
			     i = (i + 1) & (alloc - 1))
				;
			grown[i] = v->seen[j];
		}
		free(v->seen);
		v->seen = grown;
		v->seen_alloc = alloc;
	}
	mask = v->seen_alloc - 1;
	for (i = oid_hash(key) & mask; !git_oid_is_zero(&v->seen[i]); i = (i + 1) & mask) {
		if (git_oid_equal(&v->seen[i], key))
			return 0;
	}
	v->seen[i] = *key;
	v->seen_count++;
	return 1;
}

/*
 * Tells whether the file must be checked: always without only_new, else
 * when this combination of its bytes and everything its checks read has not
 * been checked before.
 */
static int must_check(check_ctx *c, const char *path, const char *tag, const git_oid *const *deps,
		      size_t ndeps)
{
	char buf[KK_DIAG_PATH_MAX + 8 * GIT_OID_HEXSZ];
	size_t len = 0;
	git_oid key;

	if (!c->only_new)
		return 1;
	len += (size_t)snprintf(buf, sizeof(buf), "%s#%s", path, tag);
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	for (size_t i = 0; i < ndeps && len + GIT_OID_HEXSZ + 2 < sizeof(buf); i++) {
		buf[len++] = ' ';
		if (deps[i])
			git_oid_fmt(buf + len, deps[i]);
		else
			memset(buf + len, '-', GIT_OID_HEXSZ);
		len += GIT_OID_HEXSZ;
	}
	git_odb_hash(&key, buf, len, GIT_OBJECT_BLOB);
	return seen_add(c->v, &key);
}

static int problem(check_ctx *c, const char *path, const char *pointer, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int problem(check_ctx *c, const char *path, const char *pointer, const char *fmt, ...)
{
	kk_diag d = {0};
	va_list ap;

	d.code = KK_EINVALID;
	kk_diag_set_path(&d, path);
	kk_diag_set_pointer(&d, pointer);
	va_start(ap, fmt);
	vsnprintf(d.message, sizeof(d.message), fmt, ap);
	va_end(ap);
	return kk_diaglist_add(c->problems, &d) < 0
		       ? kk_diag_set(c->diag, KK_ENOMEM, "%s", _("out of memory"))
		       : 0;
}

/* Adds `d` (a parse or validation error) as a problem of `path`. */
static int problem_from(check_ctx *c, const char *path, const kk_diag *d)
{
	if (d->line)
		return problem(c, path, d->pointer, _("line %zu, column %zu: %s"), d->line,
			       d->column, d->message);
	return problem(c, path, d->pointer, "%s", d->message);
}

/*
 * The schema of the last slot cannot be used: a problem of `path` (when
 * `report`), or, when memory ran out, an error, the slot forgotten so that
 * the next check tries again.
 */
static int schema_failed(check_ctx *c, const char *path, const kk_diag *d, int report)
{
	cached_schema *slot;

	if (d->code != KK_ENOMEM)
		return report ? problem_from(c, path, d) : 0;
	slot = c->v->schemas[--c->v->schema_count];
	kk_schema_free(slot->compiled);
	json_decref(slot->doc);
	free(slot);
	return kk_diag_set(c->diag, KK_ENOMEM, "%s", _("out of memory"));
}

/* Finds or compiles the schema stored at `path`; NULL (with a problem) if unusable. */
static int load_schema(const cached_schema **out, check_ctx *c, const char *path)
{
	const kk_file *file = kk_fileset_get(c->files, path);
	kk_verifier *v = c->v;
	cached_schema *slot;
	kk_diaglist errors = {0};
	kk_diag d = {0};
	int error = 0, report;

	*out = NULL;
	if (!file) {
		if ((report = must_check(c, path, "missing", NULL, 0)) < 0)
			return report;
		return report ? problem(c, path, "", _("schema '%s' is missing"), path) : 0;
	}
	for (size_t i = 0; i < v->schema_count; i++) {
		if (git_oid_equal(&v->schemas[i]->oid, &file->oid)) {
			*out = v->schemas[i]->compiled ? v->schemas[i] : NULL;
			return 0;
		}
	}
	if (KK_ARRAY_GROW(v->schemas, v->schema_count + 1, v->schema_alloc) < 0 ||
	    !(slot = calloc(1, sizeof(*slot))))
		return kk_diag_set(c->diag, KK_ENOMEM, "%s", _("out of memory"));
	v->schemas[v->schema_count++] = slot;
	slot->oid = file->oid;

	report = must_check(c, path, "schema", (const git_oid *[]){&file->oid}, 1);
	if (report < 0)
		return report;
	if (kk_json_parse(&slot->doc, file->data, file->len, NULL, &d) < 0)
		return schema_failed(c, path, &d, report);
	if ((error = kk_schema_validate(v->meta, slot->doc, &errors, &d)) == KK_EINVALID) {
		for (size_t i = 0; report && i < errors.count && error != KK_ENOMEM; i++)
			if (problem(c, path, errors.items[i].pointer, _("not a valid schema: %s"),
				    errors.items[i].message) < 0)
				error = d.code = KK_ENOMEM;
		kk_diaglist_clear(&errors);
		return error == KK_ENOMEM ? schema_failed(c, path, &d, report) : 0;
	}
	kk_diaglist_clear(&errors);
	if (error < 0)
		return schema_failed(c, path, &d, report);
	if (kk_schema_compile(&slot->compiled, v->registry, slot->doc, NULL, &d) < 0)
		return schema_failed(c, path, &d, report);
	*out = slot;
	return 0;
}

/* Was `file` written with kk_canon_dump(), as the caller of the check says? */
static int written_canonically(const check_ctx *c, const kk_file *file)
{
	const kk_file *w = c->written ? kk_fileset_get(c->written, file->path) : NULL;

	return w && git_oid_equal(&w->oid, &file->oid);
}

/* Parses, validates and checks the canonical form of one file; *doc_out may be NULL. */
static int check_file(json_t **doc_out, check_ctx *c, const kk_file *file, enum file_kind kind,
		      int report)
{
	const cached_schema *schema = c->schema[kind];
	kk_diaglist errors = {0};
	kk_diag d = {0};
	json_t *doc = NULL;
	int error = 0, canonical;

	*doc_out = NULL;
	if (!(doc = kk_doccache_parse(c->v->docs, file, &d))) {
		if (d.code == KK_ENOMEM)
			return kk_diag_set(c->diag, KK_ENOMEM, "%s", _("out of memory"));
		return report ? problem_from(c, file->path, &d) : 0;
	}
	if (report && schema) {
		error = kk_schema_validate(schema->compiled, doc, &errors, &d);
		for (size_t i = 0; error == KK_EINVALID && i < errors.count; i++)
			if (problem_from(c, file->path, &errors.items[i]) < 0)
				error = KK_ENOMEM;
		kk_diaglist_clear(&errors);
		if (error == KK_ENOMEM) {
			kk_diag_set(c->diag, KK_ENOMEM, "%s", _("out of memory"));
			goto done;
		}
		if (error < 0 && error != KK_EINVALID && problem_from(c, file->path, &d) < 0) {
			error = KK_ENOMEM;
			goto done;
		}
		canonical = written_canonically(c, file) ? 1
							 : kk_canon_check_doc(file->data, file->len,
									      doc, schema->doc, &d);
		if (canonical == KK_ENOMEM) {
			error = kk_diag_set(c->diag, KK_ENOMEM, "%s", _("out of memory"));
			goto done;
		}
		if (canonical == 0 &&
		    problem(c, file->path, "", _("not in canonical form (run 'keikaku fmt %s')"),
			    file->path) < 0) {
			error = KK_ENOMEM;
			goto done;
		}
	}
	error = 0;
	*doc_out = doc;
	doc = NULL;
done:
	json_decref(doc);
	return error;
}

static int check_departments(check_ctx *c, const char *path)
{
	json_t *list = json_object_get(c->departments, "departments"), *dep;
	size_t i;

	json_array_foreach(list, i, dep) {
		const char *name = json_string_value(json_object_get(dep, "name"));
		char pointer[64];

		if (!name || kk_plan_department(c->departments, name) == dep)
			continue;
		snprintf(pointer, sizeof(pointer), "/departments/%zu/name", i);
		if (problem(c, path, pointer, _("department '%s' is listed twice"), name) < 0)
			return KK_ENOMEM;
	}
	return 0;
}

enum level { LEVEL_PILLAR, LEVEL_SECTION, LEVEL_MEASURE };

/* Reports numbers that repeat among `array`'s elements ("number" members). */
static int check_unique_numbers(check_ctx *c, const char *path, const json_t *array,
				const char *pointer, enum level level)
{
	size_t i, j;
	json_t *a, *b;
	int r = 0;

	json_array_foreach(array, i, a) {
		json_int_t n = json_integer_value(json_object_get(a, "number"));
		char at[KK_DIAG_POINTER_MAX + 32];

		for (j = 0; j < i; j++) {
			b = json_array_get(array, j);
			if (json_integer_value(json_object_get(b, "number")) != n)
				continue;
			snprintf(at, sizeof(at), "%s/%zu/number", pointer, i);
			/* Whole sentences per level, so that translators never assemble words. */
			switch (level) {
			case LEVEL_PILLAR:
				r = problem(c, path, at, _("pillar %lld is listed twice"),
					    (long long)n);
				break;
			case LEVEL_SECTION:
				r = problem(c, path, at, _("section %lld is listed twice"),
					    (long long)n);
				break;
			case LEVEL_MEASURE:
				r = problem(c, path, at, _("measure %lld is listed twice"),
					    (long long)n);
				break;
			}
			if (r < 0)
				return r;
			break;
		}
	}
	return 0;
}

static int check_structure(check_ctx *c, const char *path)
{
	json_t *pillars = json_object_get(c->structure, "pillars"), *pillar, *section;
	size_t i, j;
	char at[KK_DIAG_POINTER_MAX];

	if (check_unique_numbers(c, path, pillars, "/pillars", LEVEL_PILLAR) < 0)
		return KK_ENOMEM;
	json_array_foreach(pillars, i, pillar) {
		json_t *sections = json_object_get(pillar, "sections");

		snprintf(at, sizeof(at), "/pillars/%zu/sections", i);
		if (check_unique_numbers(c, path, sections, at, LEVEL_SECTION) < 0)
			return KK_ENOMEM;
		json_array_foreach(sections, j, section) {
			snprintf(at, sizeof(at), "/pillars/%zu/sections/%zu/measures", i, j);
			if (check_unique_numbers(c, path, json_object_get(section, "measures"), at,
						 LEVEL_MEASURE) < 0)
				return KK_ENOMEM;
		}
	}
	return 0;
}

static int check_department_list(check_ctx *c, const char *path, const json_t *item,
				 const char *member)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(item, member), i, v) {
		char at[64];

		if (!json_is_string(v) || kk_plan_department(c->departments, json_string_value(v)))
			continue;
		snprintf(at, sizeof(at), "/%s/%zu", member, i);
		if (problem(c, path, at, _("department '%s' does not exist"),
			    json_string_value(v)) < 0)
			return KK_ENOMEM;
	}
	return 0;
}

/* The checks that read other files: departments, structure and years. */
static int check_item_refs(check_ctx *c, const char *path, const json_t *item)
{
	json_int_t p = json_integer_value(json_object_get(item, "pillar"));
	json_int_t s = json_integer_value(json_object_get(item, "section"));
	json_int_t m = json_integer_value(json_object_get(item, "measure"));
	const char *key;
	json_t *v;

	if (c->departments && (check_department_list(c, path, item, "owners") < 0 ||
			       check_department_list(c, path, item, "related") < 0))
		return KK_ENOMEM;
	if (c->structure && json_is_integer(json_object_get(item, "pillar")) &&
	    json_is_integer(json_object_get(item, "section")) &&
	    json_is_integer(json_object_get(item, "measure"))) {
		int r = 0;

		if (!kk_plan_pillar(c->structure, p))
			r = problem(c, path, "/pillar",
				    _("pillar %lld does not exist in plan.json"), (long long)p);
		else if (!kk_plan_section(c->structure, p, s))
			r = problem(c, path, "/section",
				    _("section %lld of pillar %lld does not exist in plan.json"),
				    (long long)s, (long long)p);
		else if (!kk_plan_measure(c->structure, p, s, m))
			r = problem(
				c, path, "/measure",
				_("measure %lld of section %lld.%lld does not exist in plan.json"),
				(long long)m, (long long)p, (long long)s);
		if (r < 0)
			return r;
	}
	if (c->settings && json_is_object(json_object_get(c->settings, "years"))) {
		json_object_foreach(json_object_get((json_t *)item, "years"), key, v) {
			char at[KK_DIAG_POINTER_MAX] = "/years";

			if (json_object_get(json_object_get(c->settings, "years"), key))
				continue;
			kk_json_pointer_push(at, sizeof(at), key);
			if (problem(c, path, at,
				    _("fiscal year %s is not a year of the plan in keikaku.json"),
				    key) < 0)
				return KK_ENOMEM;
		}
	}
	return 0;
}

static int is_allowed_other(const char *path)
{
	return strncmp(path, "schema/", 7) == 0 || strcmp(path, "README.md") == 0 ||
	       strcmp(path, ".gitattributes") == 0 || strcmp(path, KK_PATH_SIGNERS) == 0;
}

/* The allowed signers file, through the verifier's text check. */
static int check_text(check_ctx *c, const kk_file *file)
{
	kk_diag d = {0};
	int error, report;

	/* A tree just made is checked for what was written: the caller drops the rest. */
	if (!c->v->text_fn || (c->written && !kk_fileset_get(c->written, file->path)))
		return 0;
	if ((report = must_check(c, file->path, "text", (const git_oid *[]){&file->oid}, 1)) <= 0)
		return report < 0 ? kk_diag_set(c->diag, KK_ENOMEM, "%s", _("out of memory")) : 0;
	if ((error = c->v->text_fn(file->path, file->data, file->len, c->v->text_ctx, &d)) ==
	    KK_ENOMEM)
		return kk_diag_set(c->diag, KK_ENOMEM, "%s", _("out of memory"));
	return error < 0 ? problem_from(c, file->path, &d) : 0;
}

void kk_verifier_check_text(kk_verifier *verifier, kk_verify_text_fn fn, void *ctx)
{
	verifier->text_fn = fn;
	verifier->text_ctx = ctx;
}

/* Files that are neither plan files nor items: schemas and a few others are fine. */
static int check_other(check_ctx *c, const kk_file *file)
{
	int report;

	for (int k = KIND_SETTINGS; k <= KIND_STRUCTURE; k++)
		if (strcmp(file->path, kinds[k].path) == 0)
			return 0;
	if (strcmp(file->path, KK_PATH_SIGNERS) == 0)
		return check_text(c, file);
	if (is_allowed_other(file->path))
		return 0;
	if ((report = must_check(c, file->path, "file", (const git_oid *[]){&file->oid}, 1)) <= 0)
		return report;
	if (strncmp(file->path, KK_PATH_ITEMS, strlen(KK_PATH_ITEMS)) == 0)
		return problem(c, file->path, "",
			       _("item files are named items/NNNN.json after the item's id, "
				 "zero-padded to 4 digits"));
	return problem(c, file->path, "", _("unexpected file"));
}

static const git_oid *oid_of(const kk_fileset *files, const char *path)
{
	const kk_file *f = kk_fileset_get(files, path);

	return f ? &f->oid : NULL;
}

/* Checks one plan-wide file, or repeats the memo of the same bytes and schema. */
static int check_plan_file(check_ctx *c, int k, const kk_file *file, int report, json_t **doc)
{
	memo *m = &c->v->memos[k];
	const git_oid *schema = oid_of(c->files, kinds[k].schema);
	size_t first = c->problems->count;
	int error;

	if (!c->only_new && m->valid && git_oid_equal(&m->file, &file->oid) && schema &&
	    git_oid_equal(&m->schema, schema)) {
		for (size_t i = 0; i < m->problems.count; i++)
			if (kk_diaglist_add(c->problems, &m->problems.items[i]) < 0)
				return kk_diag_set(c->diag, KK_ENOMEM, "%s", _("out of memory"));
		*doc = json_incref(m->doc);
		return 0;
	}
	if ((error = check_file(doc, c, file, k, report)) < 0)
		return error;
	if (!json_is_object(*doc)) {
		json_decref(*doc);
		*doc = NULL;
	} else if (report && k == KIND_DEPARTMENTS) {
		error = check_departments(c, file->path);
	} else if (report && k == KIND_STRUCTURE) {
		error = check_structure(c, file->path);
	}
	if (error < 0 || c->only_new || !schema)
		return error;
	/* Remember what this file gave, for the next check of the same bytes. */
	json_decref(m->doc);
	kk_diaglist_clear(&m->problems);
	m->valid = 0;
	for (size_t i = first; i < c->problems->count; i++)
		if (kk_diaglist_add(&m->problems, &c->problems->items[i]) < 0)
			return kk_diag_set(c->diag, KK_ENOMEM, "%s", _("out of memory"));
	m->file = file->oid;
	m->schema = *schema;
	m->doc = json_incref(*doc);
	m->valid = 1;
	return 0;
}

void kk_verifier_use_docs(kk_verifier *v, kk_doccache *docs)
{
	v->docs = docs;
}

kk_doccache *kk_verifier_docs(const kk_verifier *v)
{
	return v->docs;
}

int kk_verifier_schema_doc(const json_t **out, kk_verifier *v, const kk_fileset *files,
			   const char *path, kk_diag *diag)
{
	kk_diaglist ignored = {0};
	check_ctx c = {v, files, &ignored, diag, 0, NULL, {0}, NULL, NULL, NULL};
	const cached_schema *schema = NULL;
	int error = load_schema(&schema, &c, path);

	kk_diaglist_clear(&ignored);
	if (error < 0)
		return error;
	*out = schema ? schema->doc : NULL;
	return 0;
}

static int check(kk_verifier *v, const kk_fileset *files, int only_new, const kk_fileset *written,
		 kk_diaglist *problems, kk_diag *diag)
{
	check_ctx c = {v, files, problems, diag, only_new, written, {0}, NULL, NULL, NULL};
	json_t **slots[] = {&c.settings, &c.departments, &c.structure};
	const git_oid *refs_deps[4];
	int error = 0, report;

	for (int k = 0; k < KIND_COUNT; k++)
		if ((error = load_schema(&c.schema[k], &c, kinds[k].schema)) < 0)
			goto done;

	/* The three plan-wide files, parsed once for the item checks below. */
	for (int k = KIND_SETTINGS; k <= KIND_STRUCTURE; k++) {
		const kk_file *file = kk_fileset_get(files, kinds[k].path);
		const git_oid *deps[] = {file ? &file->oid : NULL, oid_of(files, kinds[k].schema)};

		if ((report = must_check(&c, kinds[k].path, "self", deps, 2)) < 0) {
			error = report;
			goto done;
		}
		if (!file) {
			if (report && (error = problem(&c, kinds[k].path, "", _("'%s' is missing"),
						       kinds[k].path)) < 0)
				goto done;
			continue;
		}
		if ((error = check_plan_file(&c, k, file, report, slots[k])) < 0)
			goto done;
	}

	/*
	 * An item's own checks (schema, canonical form, id) depend on its bytes and
	 * its schema; the checks of what it refers to depend on the plan-wide files
	 * too.  Keying them apart keeps a history walk from reporting a schema
	 * problem again each time departments.json changes.
	 */
	refs_deps[1] = oid_of(files, KK_PATH_DEPARTMENTS);
	refs_deps[2] = oid_of(files, KK_PATH_STRUCTURE);
	refs_deps[3] = oid_of(files, KK_PATH_SETTINGS);
	for (size_t i = 0; i < files->count; i++) {
		const kk_file *file = &files->files[i];
		const git_oid *self_deps[] = {&file->oid, oid_of(files, KK_SCHEMA_ITEM)};
		json_int_t id;
		json_t *item = NULL;
		int report_refs;

		if (!kk_item_path_parse(&id, file->path)) {
			if ((error = check_other(&c, file)) < 0)
				goto done;
			continue;
		}
		refs_deps[0] = &file->oid;
		if ((report = must_check(&c, file->path, "self", self_deps, 2)) < 0 ||
		    (report_refs = must_check(&c, file->path, "refs", refs_deps, 4)) < 0) {
			error = KK_ENOMEM;
			goto done;
		}
		if (!report && !report_refs)
			continue;
		if ((error = check_file(&item, &c, file, KIND_ITEM, report)) < 0)
			goto done;
		if (json_is_object(item)) {
			json_t *idv = json_object_get(item, "id");

			if (report && json_is_integer(idv) && json_integer_value(idv) != id)
				error = problem(
					&c, file->path, "/id",
					_("id %lld does not match the file name (expected %lld)"),
					(long long)json_integer_value(idv), (long long)id);
			if (error == 0 && report_refs)
				error = check_item_refs(&c, file->path, item);
		}
		json_decref(item);
		if (error < 0)
			goto done;
	}
done:
	json_decref(c.settings);
	json_decref(c.departments);
	json_decref(c.structure);
	return error;
}

int kk_verifier_check(kk_verifier *v, const kk_fileset *files, int only_new, kk_diaglist *problems,
		      kk_diag *diag)
{
	return check(v, files, only_new, NULL, problems, diag);
}

int kk_verifier_check_written(kk_verifier *v, const kk_fileset *files, const kk_fileset *written,
			      kk_diaglist *problems, kk_diag *diag)
{
	return check(v, files, 0, written, problems, diag);
}

int kk_verify_canonicalize(kk_fileset *files, kk_diaglist *problems, kk_diag *diag)
{
	json_t *schemas[KIND_COUNT] = {0};
	char **paths = NULL;
	size_t count = 0;
	int error = 0;

	for (int k = 0; k < KIND_COUNT; k++) {
		const kk_file *f = kk_fileset_get(files, kinds[k].schema);

		if (f)
			kk_json_parse(&schemas[k], f->data, f->len, NULL, NULL);
	}
	/* Collect paths first: kk_fileset_put() may move the array under us. */
	if (!(paths = calloc(files->count ? files->count : 1, sizeof(*paths)))) {
		error = kk_diag_set(diag, KK_ENOMEM, "%s", _("out of memory"));
		goto done;
	}
	for (size_t i = 0; i < files->count; i++)
		if (!(paths[count++] = strdup(files->files[i].path))) {
			error = kk_diag_set(diag, KK_ENOMEM, "%s", _("out of memory"));
			goto done;
		}
	for (size_t i = 0; i < count; i++) {
		const kk_file *f = kk_fileset_get(files, paths[i]);
		enum file_kind kind = KIND_COUNT;
		json_int_t id;
		json_t *doc = NULL;
		char *canon = NULL;
		size_t len = 0;
		kk_diag d = {0};

		for (int k = KIND_SETTINGS; k <= KIND_STRUCTURE; k++)
			if (strcmp(paths[i], kinds[k].path) == 0)
				kind = (enum file_kind)k;
		if (kind == KIND_COUNT && kk_item_path_parse(&id, paths[i]))
			kind = KIND_ITEM;
		if (kind == KIND_COUNT)
			continue;
		if (kk_json_parse(&doc, f->data, f->len, NULL, &d) < 0 ||
		    kk_canon_dump(&canon, &len, doc, schemas[kind], &d) < 0) {
			kk_diag_set_path(&d, paths[i]);
			if (d.code == KK_ENOMEM || kk_diaglist_add(problems, &d) < 0)
				error = kk_diag_set(diag, KK_ENOMEM, "%s", _("out of memory"));
		} else {
			error = kk_fileset_put(files, paths[i], canon, len, diag);
		}
		free(canon);
		json_decref(doc);
		if (error < 0)
			goto done;
	}
done:
	for (size_t i = 0; i < count; i++)
		free(paths[i]);
	free(paths);
	for (int k = 0; k < KIND_COUNT; k++)
		json_decref(schemas[k]);
	return error;
}
