/*
 * history_gen - a long plan history, as a `git fast-import` stream on stdout.
 * Not a test: bench/history_run feeds it to git and times the audit queries
 * on the result (see docs/performance.md).
 *
 *   history_gen [--items N] [--commits M] [--seed S] [--plan DIR] [--schema DIR]
 *               [--stats FILE] | git fast-import
 *
 * The history is one a plan repository could have had under keikakud:
 *
 *   2020-04-01  the first commit, as `keikaku init --from DIR` makes it: DIR's
 *               keikaku.json (fiscal year 2020 open, 2021 and 2022 planned),
 *               departments.json and plan.json, a copy of the schemas, and N
 *               items (default 10,000) with a planned schedule for each year;
 *   then        M commits (default 100,000), one field of one item each, in
 *               keikakud's message format (summary, reason, trailers), by
 *               about twenty hg_people acting for a department that owns the
 *               item, committed by keikakud, times spread evenly from
 *               2020-04-01 to 2022-06-30 (+0900);
 *   2021-04-01  an admin opens fiscal year 2021,
 *   2021-04-30  closes 2020, tagged fy2020 (no years.2020 field changes after),
 *   2022-04-01  opens 2022,
 *   2022-05-31  closes 2021, tagged fy2021,
 *
 * each as keikakud's year.open and year.close make them (core/plan/year), so
 * that at the end 2020 and 2021 are closed and 2022 is open.
 *
 * Each commit changes a field of an open year that an owner may change
 * (revised, progress, achievement, result; planned schedules stay frozen),
 * always with a reason; in April and May the closing year's reports and
 * the new year's share the commits.  The items changed are skewed but
 * deterministic for a seed: 2% of the commits go to 5 items, 10% to 1% of
 * the items, the rest to any item, so a typical item has about ten commits
 * and a few have hundreds.  Every file is written by kk_canon_dump with its schema, so the
 * repository passes `keikaku verify` and `git fsck --strict`.
 *
 * --stats FILE writes KEY=VALUE lines: the most changed item, a typical one
 * (the median number of changes), and the counts.
 *
 * This file makes the plan, its commits and the stream; the people and the
 * texts they write are history_words.c's (history_gen.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "canon.h"
#include "fileset.h"
#include "history_gen.h"
#include "json.h"
#include "plan.h"
#include "update.h"
#include "year.h"

#ifndef KK_SOURCE_DIR
#define KK_SOURCE_DIR "."
#endif

#define SUMMARY_VALUE_MAX 24 /* as in core/plan/update.c's summaries */

static const char *const progress_codes[] = {"ahead", "on_track", "behind"};

/* The periods of the history, each with the fiscal years owners may change. */
enum { FY2020_ONLY, FY2020_REPORT, FY2021, FY2021_REPORT, FY2022 };

/* An admin's change of a fiscal year's state, or a tag, at a fixed time. */
typedef struct milestone {
	time_t at;
	int year;  /* an admin opens or closes this fiscal year */
	int close; /* and tags the commit that closes it */
	const char *reason;
	int period; /* the period that starts here */
} milestone;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("history_gen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die("out of memory");
	return p;
}

/* Midnight-based local time in Japan (+0900) as a Unix time. */
static time_t jst(int y, int mon, int d, int h, int min)
{
	struct tm tm = {
		.tm_year = y - 1900, .tm_mon = mon - 1, .tm_mday = d, .tm_hour = h, .tm_min = min};

	return timegm(&tm) - 9 * 3600;
}

/* --- plan files ----------------------------------------------------------- */

static const json_t *schema_doc(hg_gen *g, const char *path)
{
	const json_t *doc = json_object_get(g->schema_docs, path);

	if (!doc)
		die("schema '%s' is missing", path);
	return doc;
}

/* The canonical bytes of plan file `path`; free() them. */
static char *dump(hg_gen *g, size_t *len_out, const json_t *value, const char *path)
{
	kk_diag diag = {0};
	char *buf = NULL;

	if (kk_canon_dump(&buf, len_out, value, schema_doc(g, kk_plan_schema_for(path)), &diag) < 0)
		die("cannot write '%s': %s", path, diag.message);
	return buf;
}

static json_t *load(const char *dir, const char *name)
{
	char path[4096];
	kk_diag diag = {0};
	json_t *v = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (kk_json_load_file(&v, path, NULL, &diag) < 0)
		die("cannot read '%s': %s", path, diag.message);
	return v;
}

static int is_schema(const char *path)
{
	size_t n = strlen(path);

	return !strchr(path, '/') && n > 12 && strcmp(path + n - 12, ".schema.json") == 0;
}

static void load_plan(hg_gen *g, const char *plan_dir, const char *schema_dir)
{
	kk_fileset raw = {0};
	kk_diag diag = {0};
	json_t *dept;
	size_t i, j;

	if (kk_fileset_read_dir(&raw, schema_dir, is_schema, &diag) < 0)
		die("cannot read the schemas in '%s': %s", schema_dir, diag.message);
	g->schema_docs = json_object();
	for (i = 0; i < raw.count; i++) {
		char path[KK_DIAG_PATH_MAX];
		json_t *doc = NULL;

		snprintf(path, sizeof(path), "schema/%s", raw.files[i].path);
		if (kk_fileset_put(&g->schemas, path, raw.files[i].data, raw.files[i].len, &diag) <
			    0 ||
		    kk_json_parse(&doc, raw.files[i].data, raw.files[i].len, NULL, &diag) < 0)
			die("schema '%s': %s", path, diag.message);
		json_object_set_new(g->schema_docs, path, doc);
	}
	kk_fileset_clear(&raw);
	g->item_schema = schema_doc(g, KK_SCHEMA_ITEM);

	g->settings = load(plan_dir, KK_PATH_SETTINGS);
	g->departments = load(plan_dir, KK_PATH_DEPARTMENTS);
	g->structure = load(plan_dir, KK_PATH_STRUCTURE);
	/* The history starts at the beginning of fiscal year 2020. */
	json_object_set_new(
		g->settings, "years",
		json_pack("{s:s, s:s, s:s}", "2020", "open", "2021", "planned", "2022", "planned"));
	if (json_array_size(json_object_get(g->settings, "phases")) < 2)
		die("'%s' needs at least two phases", KK_PATH_SETTINGS);

	for (i = 0; i < hg_people_count; i++)
		if (!kk_plan_department(g->departments, hg_people[i].dept))
			die("department '%s' of '%s' is not in %s/%s", hg_people[i].dept,
			    hg_people[i].name, plan_dir, KK_PATH_DEPARTMENTS);
	g->owner_depts = xcalloc(hg_people_count, sizeof(*g->owner_depts));
	g->dept_turn = xcalloc(hg_people_count, sizeof(*g->dept_turn));
	json_array_foreach(json_object_get(g->departments, "departments"), i, dept) {
		const char *name = json_string_value(json_object_get(dept, "name"));

		for (j = 0; j < hg_people_count; j++)
			if (strcmp(hg_people[j].dept, name) == 0)
				break;
		if (j < hg_people_count)
			g->owner_depts[g->owner_dept_count++] = hg_people[j].dept;
	}
}

/* Every measure of plan.json, as (pillar, section, measure). */
static json_int_t (*measures(const json_t *structure, size_t *count))[3]
{
	json_int_t(*out)[3] = NULL;
	size_t n = 0, alloc = 0, i, j, k;
	json_t *p, *s, *m;

	json_array_foreach(json_object_get(structure, "pillars"), i, p)
		json_array_foreach(json_object_get(p, "sections"), j, s)
			json_array_foreach(json_object_get(s, "measures"), k, m) {
				if (KK_ARRAY_GROW(out, n + 1, alloc) < 0)
					die("out of memory");
				out[n][0] = json_integer_value(json_object_get(p, "number"));
				out[n][1] = json_integer_value(json_object_get(s, "number"));
				out[n][2] = json_integer_value(json_object_get(m, "number"));
				n++;
			}
	*count = n;
	return out;
}

/* Tells whether `d` is in the array of department names `list`. */
static int listed(const json_t *list, const char *d)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) {
		if (strcmp(json_string_value(v), d) == 0)
			return 1;
	}
	return 0;
}

static json_t *make_item(hg_gen *g, size_t id, json_int_t where[3])
{
	json_t *owners = json_array(), *related = json_array(), *years = json_object(), *item;
	const json_t *all = json_object_get(g->departments, "departments");
	size_t nowners = hg_below(g, 100) < 85 || g->owner_dept_count < 2 ? 1 : 2, i;
	char title[512];
	hg_text t;

	while (json_array_size(owners) < nowners) {
		const char *d = g->owner_depts[hg_below(g, g->owner_dept_count)];

		if (!listed(owners, d))
			json_array_append_new(owners, json_string(d));
	}
	for (i = hg_below(g, 3); i > 0; i--) {
		const char *d =
			hg_below(g, 2)
				? HG_ADMIN_DEPT
				: json_string_value(json_object_get(
					  json_array_get(all, hg_below(g, json_array_size(all))),
					  "name"));

		if (!listed(owners, d) && !listed(related, d))
			json_array_append_new(related, json_string(d));
	}
	hg_make_title(g, title, sizeof(title), id);
	item = json_pack("{s:I, s:I, s:I, s:I, s:s, s:o, s:o, s:s, s:o}", "id", (json_int_t)id,
			 "pillar", where[0], "section", where[1], "measure", where[2], "title",
			 title, "owners", owners, "related", related, "status", "open", "years",
			 years);
	if (!item)
		die("out of memory");
	for (int year = 2020; year <= 2022; year++) {
		char key[8];

		snprintf(key, sizeof(key), "%d", year);
		hg_make_schedule(g, &t, item, year);
		json_object_set_new(years, key, json_pack("{s:s}", "planned", t.buf));
	}
	return item;
}

/* --- fast-import output ------------------------------------------------------ */

static void data(hg_gen *g, const char *buf, size_t len)
{
	fprintf(g->out, "data %zu\n", len);
	fwrite(buf, 1, len, g->out);
	fputc('\n', g->out);
}

static void begin_commit(hg_gen *g, const hg_person *author, const hg_person *committer, time_t at,
			 const char *message)
{
	g->mark++;
	fprintf(g->out, "commit refs/heads/main\nmark :%zu\n", g->mark);
	fprintf(g->out, "author %s <%s@city.example> %lld +0900\n", author->name, author->user,
		(long long)at);
	if (committer)
		fprintf(g->out, "committer %s <%s@city.example> %lld +0900\n", committer->name,
			committer->user, (long long)at);
	else
		fprintf(g->out, "committer keikakud <keikakud@city.example> %lld +0900\n",
			(long long)at);
	data(g, message, strlen(message));
}

static void file(hg_gen *g, const char *path, const char *buf, size_t len)
{
	fprintf(g->out, "M 100644 inline %s\n", path);
	data(g, buf, len);
}

static void put_item(hg_gen *g, size_t id)
{
	char path[KK_ITEM_PATH_MAX], *buf;
	size_t len;

	if (kk_item_path(path, sizeof(path), (json_int_t)id) < 0)
		die("item id %zu is out of range", id);
	buf = dump(g, &len, g->item[id], path);
	file(g, path, buf, len);
	free(buf);
}

static void tag(hg_gen *g, const char *name, size_t mark, time_t at, const char *message)
{
	fprintf(g->out, "tag %s\nfrom :%zu\n", name, mark);
	fprintf(g->out, "tagger %s <%s@city.example> %lld +0900\n", hg_people[0].name,
		hg_people[0].user, (long long)at);
	data(g, message, strlen(message));
}

static void first_commit(hg_gen *g, time_t at)
{
	char message[512], *buf;
	size_t len, i;

	snprintf(message, sizeof(message), "Create plan '%s' with %zu items\n",
		 json_string_value(json_object_get(g->settings, "title")), g->items);
	begin_commit(g, &hg_people[0], &hg_people[0], at, message);
	buf = dump(g, &len, g->settings, KK_PATH_SETTINGS);
	file(g, KK_PATH_SETTINGS, buf, len);
	free(buf);
	buf = dump(g, &len, g->departments, KK_PATH_DEPARTMENTS);
	file(g, KK_PATH_DEPARTMENTS, buf, len);
	free(buf);
	buf = dump(g, &len, g->structure, KK_PATH_STRUCTURE);
	file(g, KK_PATH_STRUCTURE, buf, len);
	free(buf);
	for (i = 0; i < g->schemas.count; i++)
		file(g, g->schemas.files[i].path, g->schemas.files[i].data,
		     g->schemas.files[i].len);
	for (i = 1; i <= g->items; i++)
		put_item(g, i);
}

/* Every file of the plan as it is now, for core's decisions on the whole plan. */
static void current_files(hg_gen *g, kk_fileset *set)
{
	const char *paths[] = {KK_PATH_SETTINGS, KK_PATH_DEPARTMENTS, KK_PATH_STRUCTURE};
	const json_t *docs[] = {g->settings, g->departments, g->structure};
	char path[KK_ITEM_PATH_MAX], *buf;
	kk_diag diag = {0};
	size_t len, i;

	for (i = 0; i < g->schemas.count; i++)
		if (kk_fileset_put_file(set, &g->schemas.files[i], &diag) < 0)
			die("%s", diag.message);
	for (i = 0; i < g->items + NELEM(paths); i++) {
		if (i >= g->items)
			snprintf(path, sizeof(path), "%s", paths[i - g->items]);
		else
			kk_item_path(path, sizeof(path), (json_int_t)(i + 1));
		buf = dump(g, &len, i >= g->items ? docs[i - g->items] : g->item[i + 1], path);
		if (kk_fileset_put(set, path, buf, len, &diag) < 0)
			die("%s", diag.message);
		free(buf);
	}
}

/*
 * An admin opens or closes fiscal year `year` as keikakud's year.open and
 * year.close do: core/plan/year decides, the commit changes keikaku.json (and
 * gives open items without an entry for the year an empty one), and
 * closing tags the commit fyYYYY.
 */
static void year_commit(hg_gen *g, time_t at, int year, int close, const char *reason)
{
	kk_fileset files = {0}, changed = {0};
	kk_year_change change = {0};
	kk_diag diag = {0};
	char key[16], name[KK_YEAR_TAG_MAX], *buf, *message, *tag_message;
	json_t *years, *id;
	size_t len, i;

	current_files(g, &files);
	if ((close ? kk_year_close : kk_year_open)(&change, &files, year, &diag) < 0)
		die("cannot %s fiscal year %d: %s", close ? "close" : "open", year, diag.message);
	snprintf(key, sizeof(key), "%d", year);
	json_object_set_new(json_object_get(g->settings, "years"), key,
			    json_string(close ? "closed" : "open"));
	json_array_foreach(change.items, i, id)
		json_object_set_new(json_object_get(g->item[json_integer_value(id)], "years"), key,
				    json_object());
	buf = dump(g, &len, g->settings, KK_PATH_SETTINGS);
	if (kk_fileset_put(&changed, KK_PATH_SETTINGS, buf, len, &diag) < 0)
		die("%s", diag.message);
	years = json_pack("[s]", key);
	message = kk_commit_message(&(kk_commit_info){change.summary, reason, change.items, years,
						      HG_ADMIN_DEPT, NULL, 0, &changed});
	tag_message = close ? kk_year_tag_message(g->settings, year, &change.counts) : NULL;
	if (!years || !message || (close && !tag_message))
		die("out of memory");
	begin_commit(g, &hg_people[0], NULL, at, message);
	file(g, KK_PATH_SETTINGS, buf, len);
	json_array_foreach(change.items, i, id)
		put_item(g, (size_t)json_integer_value(id));
	if (close) {
		kk_year_tag_name(name, sizeof(name), year);
		tag(g, name, g->mark, at, tag_message);
	}
	free(tag_message);
	free(message);
	free(buf);
	json_decref(years);
	kk_year_change_clear(&change);
	kk_fileset_clear(&changed);
	kk_fileset_clear(&files);
}

/* --- one update ------------------------------------------------------------ */

static size_t pick_item(hg_gen *g)
{
	size_t r = hg_below(g, 1000), id;

	if (r < 20)
		id = g->hot5[hg_below(g, g->hot5_count)];
	else if (r < 120)
		id = g->hot100[hg_below(g, g->hot100_count)];
	else
		id = 1 + hg_below(g, g->items);
	return id;
}

/* A person acting for one of the item's owners, in turn within each department. */
static const hg_person *pick_author(hg_gen *g, const json_t *item, const char **dept_out)
{
	const json_t *owners = json_object_get(item, "owners");
	const char *dept =
		json_string_value(json_array_get(owners, hg_below(g, json_array_size(owners))));
	size_t first = hg_people_count, count = 0, turn, i;

	for (i = 0; i < hg_people_count; i++)
		if (strcmp(hg_people[i].dept, dept) == 0 && !count++)
			first = i;
	if (!count)
		die("nobody acts for '%s'", dept);
	turn = g->dept_turn[first]++ % count;
	for (i = first; strcmp(hg_people[i].dept, dept) != 0 || turn--; i++)
		;
	*dept_out = dept;
	return &hg_people[i];
}

/* Appends `s` cut to SUMMARY_VALUE_MAX characters, as keikakud's summaries show values. */
static void put_value(hg_text *t, const char *field, const char *s)
{
	size_t n = 0, i;

	if (s && strcmp(field, "progress") == 0 && kk_progress_mark(s))
		s = kk_progress_mark(s);
	else if (s && strcmp(field, "achievement") == 0 && kk_achievement_label(s))
		s = kk_achievement_label(s);
	if (!s)
		s = "—";
	for (i = 0; s[i] && n < SUMMARY_VALUE_MAX; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80)
		i++;
	hg_put(t, s, i);
	if (s[i])
		hg_puts(t, "…");
}

/* The field an owner changes in fiscal year `year` during `period`. */
static const char *pick_field(hg_gen *g, int period, int year)
{
	size_t r = hg_below(g, 100);
	int reporting = (period == FY2020_REPORT && year == 2020) ||
			(period == FY2021_REPORT && year == 2021);

	if (reporting)
		return r < 55 ? "result" : r < 85 ? "achievement" : "progress";
	return r < 40 ? "result" : r < 70 ? "progress" : r < 95 ? "revised" : "achievement";
}

static void update(hg_gen *g, time_t at, int period)
{
	size_t id = pick_item(g);
	json_t *item = g->item[id], *y, *old, *items, *years;
	int year;
	const char *field, *dept;
	char key[8], fy[64], *message, *prev = NULL;
	const hg_person *author;
	hg_text value, summary, reason;

	switch (period) {
	case FY2020_ONLY: year = 2020; break;
	case FY2020_REPORT: year = hg_below(g, 2) ? 2020 : 2021; break;
	case FY2021: year = 2021; break;
	case FY2021_REPORT: year = hg_below(g, 2) ? 2021 : 2022; break;
	default: year = 2022; break;
	}
	snprintf(key, sizeof(key), "%d", year);
	y = json_object_get(json_object_get(item, "years"), key);
	field = pick_field(g, period, year);
	old = json_object_get(y, field);
	if (old)
		prev = strdup(json_string_value(old));

	if (strcmp(field, "progress") == 0) {
		const char *now = prev ? prev : "";
		const char *next;

		do
			next = progress_codes[hg_below(g, NELEM(progress_codes))];
		while (strcmp(next, now) == 0);
		hg_text_clear(&value);
		hg_puts(&value, next);
	} else if (strcmp(field, "achievement") == 0) {
		hg_text_clear(&value);
		hg_puts(&value, prev ? (strcmp(prev, "open") == 0 ? "completed" : "open")
				: hg_below(g, 2) ? "completed"
						 : "open");
	} else if (strcmp(field, "revised") == 0) {
		do
			hg_make_schedule(g, &value, item, year);
		while (prev && strcmp(prev, value.buf) == 0);
	} else {
		do
			hg_make_result(g, &value, item, year, prev);
		while (prev && strcmp(prev, value.buf) == 0);
	}
	json_object_set_new(y, field, json_string(value.buf));

	hg_text_clear(&summary);
	kk_fy_format(fy, sizeof(fy), g->settings, year);
	{
		char head[64];

		snprintf(head, sizeof(head), "%03zu ", id);
		hg_puts(&summary, head);
	}
	hg_puts(&summary, json_string_value(json_object_get(item, "title")));
	hg_puts(&summary, " · ");
	hg_puts(&summary, fy);
	hg_puts(&summary, " ");
	hg_puts(&summary, kk_field_label(field));
	if (strcmp(field, "result") != 0) {
		hg_puts(&summary, ": ");
		put_value(&summary, field, prev);
		hg_puts(&summary, " → ");
		put_value(&summary, field, value.buf);
	}
	hg_make_reason(g, &reason, field, item, year);

	author = pick_author(g, item, &dept);
	items = json_pack("[I]", (json_int_t)id);
	years = json_pack("[s]", key);
	message = kk_commit_message(
		&(kk_commit_info){summary.buf, reason.buf, items, years, dept, NULL, 0, NULL});
	if (!items || !years || !message)
		die("out of memory");
	begin_commit(g, author, NULL, at, message);
	put_item(g, id);
	g->changes[id]++;
	free(message);
	free(prev);
	json_decref(items);
	json_decref(years);
}

/* --- main ----------------------------------------------------------------- */

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static void write_stats(hg_gen *g, const char *path)
{
	size_t *sorted = xcalloc(g->items, sizeof(*sorted)), hot = 1, typical = 0, median, i;
	FILE *f = fopen(path, "w");

	if (!f)
		die("cannot write '%s': %s", path, strerror(errno));
	for (i = 1; i <= g->items; i++) {
		sorted[i - 1] = g->changes[i];
		if (g->changes[i] > g->changes[hot])
			hot = i;
	}
	qsort(sorted, g->items, sizeof(*sorted), cmp_size);
	median = sorted[g->items / 2];
	/* The typical item: the first with the median count, a little way into the plan. */
	for (i = 1 + g->items / 3; !typical; i = i % g->items + 1)
		if (g->changes[i] == median)
			typical = i;
	fprintf(f, "items=%zu\ncommits=%zu\nhot_item=%zu\nhot_commits=%zu\n", g->items, g->commits,
		hot, g->changes[hot]);
	fprintf(f, "typical_item=%zu\ntypical_commits=%zu\nmedian_commits=%zu\n", typical,
		g->changes[typical], median);
	fprintf(f, "min_commits=%zu\nmax_commits=%zu\ntotal_commits=%zu\n", sorted[0],
		sorted[g->items - 1], g->mark);
	if (fclose(f) != 0)
		die("cannot write '%s': %s", path, strerror(errno));
	free(sorted);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: history_gen [--items N] [--commits M] [--seed S] [--plan DIR]\n"
		     "                   [--schema DIR] [--stats FILE] | git fast-import\n");
}

static size_t number(const char *s, const char *what, size_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > max)
		die("bad %s '%s'", what, s);
	return (size_t)v;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"items", required_argument, NULL, 'i'},  {"commits", required_argument, NULL, 'c'},
		{"seed", required_argument, NULL, 's'},	  {"plan", required_argument, NULL, 'p'},
		{"schema", required_argument, NULL, 'S'}, {"stats", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	const char *plan_dir = KK_SOURCE_DIR "/examples/dx-plan-r3";
	const char *schema_dir = KK_SOURCE_DIR "/schema", *stats = NULL;
	hg_gen g = {.items = 10000, .commits = 100000, .rng = 1, .out = stdout};
	time_t start = jst(2020, 4, 1, 9, 0), end = jst(2022, 6, 30, 18, 0);
	/* In time order. */
	const milestone milestones[] = {
		{jst(2021, 4, 1, 8, 30), 2021, 0, "令和3年度の計画期間の開始", FY2020_REPORT},
		{jst(2021, 4, 30, 17, 30), 2020, 1, "令和2年度の実績報告の確定", FY2021},
		{jst(2022, 4, 1, 8, 30), 2022, 0, "令和4年度の計画期間の開始", FY2021_REPORT},
		{jst(2022, 5, 31, 17, 30), 2021, 1, "令和3年度の実績報告の確定", FY2022},
	};
	size_t next = 0, measure_count, i;
	json_int_t(*where)[3];
	time_t last = start;
	int c, period = FY2020_ONLY;
	static char outbuf[1 << 20];

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'i': g.items = number(optarg, "--items", KK_ITEM_ID_MAX); break;
		case 'c': g.commits = number(optarg, "--commits", 10000000); break;
		case 's': g.rng = number(optarg, "--seed", SIZE_MAX); break;
		case 'p': plan_dir = optarg; break;
		case 'S': schema_dir = optarg; break;
		case 't': stats = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || g.items == 0) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	load_plan(&g, plan_dir, schema_dir);
	where = measures(g.structure, &measure_count);
	if (!measure_count)
		die("'%s/%s' has no measures", plan_dir, KK_PATH_STRUCTURE);

	g.item = xcalloc(g.items + 1, sizeof(*g.item));
	g.changes = xcalloc(g.items + 1, sizeof(*g.changes));
	for (i = 1; i <= g.items; i++)
		g.item[i] = make_item(&g, i, where[(i - 1) % measure_count]);
	g.hot5_count = g.items < 5 ? g.items : 5;
	for (i = 0; i < g.hot5_count; i++)
		g.hot5[i] = 1 + hg_below(&g, g.items);
	g.hot100_count = g.items / 100 ? (g.items / 100 < 100 ? g.items / 100 : 100) : 1;
	g.hot100 = xcalloc(g.hot100_count, sizeof(*g.hot100));
	for (i = 0; i < g.hot100_count; i++)
		g.hot100[i] = 1 + hg_below(&g, g.items);

	fputs("feature done\n", g.out);
	first_commit(&g, start);
	for (i = 0; i <= g.commits; i++) {
		/* Each commit in its own slot of the span, so times only increase. */
		time_t at = i < g.commits
				    ? start + 3600 +
					      (time_t)(((double)(end - start - 3600) *
							((double)i +
							 (double)hg_below(&g, 1000) / 1000.0)) /
						       (double)g.commits)
				    : end + 1;

		while (next < NELEM(milestones) && milestones[next].at <= at) {
			const milestone *m = &milestones[next++];

			last = m->at > last ? m->at : last + 1;
			year_commit(&g, last, m->year, m->close, m->reason);
			period = m->period;
		}
		if (i == g.commits)
			break;
		if (at <= last)
			at = last + 1;
		update(&g, at, period);
		last = at;
	}
	fputs("done\n", g.out);
	if (fflush(g.out) != 0 || ferror(g.out))
		die("cannot write the stream: %s", strerror(errno));
	if (stats)
		write_stats(&g, stats);
	fprintf(stderr, "history_gen: %zu items, %zu commits (%zu in all)\n", g.items, g.commits,
		g.mark);

	for (i = 1; i <= g.items; i++)
		json_decref(g.item[i]);
	free(g.item);
	free(g.changes);
	free(g.hot100);
	free(g.owner_depts);
	free(g.dept_turn);
	free(where);
	kk_fileset_clear(&g.schemas);
	json_decref(g.schema_docs);
	json_decref(g.settings);
	json_decref(g.departments);
	json_decref(g.structure);
	return 0;
}
