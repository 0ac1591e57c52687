/*
 * answers.c - what keikakud answers to writes, in plan terms: the changes a
 * write made or would make, field by field; the violations and conflicts
 * that refused it, with the lines a co-owner must keep; and the exit code
 * each answer means (client.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "json.h"
#include "plan.h"

#define VALUE_WIDTH 40 /* columns of a value shown in a change */
#define TITLE_WIDTH 30 /* columns of an item's title in a change */

const json_t *cli_json_path(const json_t *doc, const char *path)
{
	const char *p = path;

	while (doc && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		doc = json_object_getn(doc, p, n);
		p += n + (dot ? 1 : 0);
	}
	return doc;
}

static const json_t *find_item(const cli_view *view, json_int_t id)
{
	size_t i;
	json_t *item;

	if (!view || !view->items)
		return NULL;
	json_array_foreach(view->items, i, item)
		if (json_integer_value(json_object_get(item, "id")) == id)
			return item;
	return NULL;
}

static const char *field_label(const char *field)
{
	const char *label = kk_field_label(field);

	return label ? label : field;
}

/*
 * Where a change or problem is, in plan terms: "026 テレワークの拡大 · 令和3年度
 * 進捗度" for an item's field, "departments.json departments" for a plan file's.
 * `entry` holds "item" or "file".  The caller frees the string.
 */
static void cut_text(FILE *out, const char *s, size_t width);

static char *where(const json_t *entry, const char *path, const cli_view *view)
{
	const json_t *item = json_object_get(entry, "item");
	const char *file = json_string_value(json_object_get(entry, "file"));
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	if (!out)
		return NULL;
	if (!path)
		path = "";
	if (json_is_integer(item)) {
		const char *title = json_string_value(json_object_get(entry, "title"));

		if (!title)
			title = json_string_value(json_object_get(
				find_item(view, json_integer_value(item)), "title"));

		fprintf(out, "%03" JSON_INTEGER_FORMAT, json_integer_value(item));
		if (title) {
			/* Long titles are cut, so that the field and its values still fit. */
			fputc(' ', out);
			cut_text(out, title, TITLE_WIDTH);
		}
		if (strncmp(path, "years.", 6) == 0 && path[6]) {
			const char *year = path + 6, *rest = strchr(year, '.');
			char name[KK_FY_NAME_MAX];

			kk_fy_format(name, sizeof(name), view ? view->settings : NULL, atoi(year));
			fprintf(out, " · %s", name);
			if (rest)
				fprintf(out, " %s", field_label(rest + 1));
		} else if (*path) {
			fprintf(out, " · %s", field_label(path));
		}
	} else if (file && strcmp(file, KK_PATH_SETTINGS) == 0 && strncmp(path, "years.", 6) == 0 &&
		   path[6]) {
		/* A year of the plan as the report names it: "keikaku.json · 令和3年度". */
		const char *rest = strchr(path + 6, '.');
		char name[KK_FY_NAME_MAX];

		kk_fy_format(name, sizeof(name), view ? view->settings : NULL, atoi(path + 6));
		fprintf(out, "%s · %s", file, name);
		if (rest)
			fprintf(out, " %s", rest + 1);
	} else if (file) {
		fputs(file, out);
		if (*path)
			fprintf(out, " %s", path);
	} else {
		fputs(path, out);
	}
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* Writes `s` cut to `width` columns, without padding it. */
static void cut_text(FILE *out, const char *s, size_t width)
{
	char *text = NULL;
	size_t size = 0;
	FILE *m;

	if (render_width(s) <= width || !(m = open_memstream(&text, &size))) {
		fputs(s, out);
		return;
	}
	render_fitted(m, s, width);
	if (fclose(m) == 0) {
		while (size > 0 && text[size - 1] == ' ')
			text[--size] = '\0';
		fputs(text, out);
	}
	free(text);
}

/* Writes `s` on one line, cut to VALUE_WIDTH columns. */
static void short_text(FILE *out, const char *s)
{
	char *flat = strdup(s);

	if (!flat) {
		fputs(s, out);
		return;
	}
	for (char *p = flat; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	cut_text(out, flat, VALUE_WIDTH);
	free(flat);
}

char *cli_value_text(const char *path, const json_t *v)
{
	const char *field = path ? strrchr(path, '.') : NULL;
	const char *s = json_string_value(v), *shown = NULL;
	char *text = NULL;
	size_t size = 0, i;
	json_t *e;
	FILE *m;
	int strings = json_is_array(v);

	field = field ? field + 1 : path ? path : "";
	if (!v)
		return strdup(_("(none)"));
	if (s) {
		if (strcmp(field, "progress") == 0)
			shown = kk_progress_mark(s);
		else if (strcmp(field, "achievement") == 0 || strcmp(field, "status") == 0)
			shown = kk_achievement_label(s);
		return strdup(shown ? shown : s);
	}
	json_array_foreach(v, i, e)
		strings &= json_is_string(e);
	if (!strings)
		return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	if (!json_array_size(v))
		return strdup(_("(none)"));
	if (!(m = open_memstream(&text, &size)))
		return NULL;
	json_array_foreach(v, i, e)
		fprintf(m, "%s%s", i ? "、" : "", json_string_value(e));
	if (fclose(m) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* A field's value as the report writes it, on one line and cut short. */
static void value_text(FILE *out, const char *path, const json_t *v)
{
	char *text = cli_value_text(path, v);

	short_text(out, text ? text : "?");
	free(text);
}

void cli_print_field(FILE *out, const char *path, const json_t *value, const cli_view *view)
{
	if (strncmp(path, "years.", 6) == 0 && path[6]) {
		const char *year = path + 6, *rest = strchr(year, '.');
		char name[KK_FY_NAME_MAX];

		kk_fy_format(name, sizeof(name), view ? view->settings : NULL, atoi(year));
		fputs(name, out);
		if (rest)
			fprintf(out, " %s", field_label(rest + 1));
	} else {
		fputs(field_label(path), out);
	}
	fputs(": ", out);
	value_text(out, path, value);
	fputc('\n', out);
}

/* A value as value_text() writes it, in a new string; NULL when out of memory. */
static char *value_string(const char *path, const json_t *v)
{
	char *text = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&text, &size);

	if (!m)
		return NULL;
	value_text(m, path, v);
	if (fclose(m) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

void cli_print_changes(FILE *out, const char *prefix, const json_t *changes, const cli_view *view)
{
	size_t cols = render_columns(), i;
	json_t *c;

	if (cols < 40)
		cols = 40;
	json_array_foreach(changes, i, c) {
		const char *path = json_string_value(json_object_get(c, "path"));
		char *w = where(c, path, view);
		char *old = value_string(path, json_object_get(c, "old"));
		char *new = value_string(path, json_object_get(c, "new"));
		size_t pw = render_width(prefix), ww = render_width(w ? w : "?");

		if (!old || !new) {
			fprintf(out, "%s%s\n", prefix, w ? w : "?");
		} else if (pw + ww + 2 + render_width(old) + 3 + render_width(new) <= cols) {
			fprintf(out, "%s%s: %s → %s\n", prefix, w ? w : "?", old, new);
		} else {
			/* Too wide for one line: the field, then both values, each cut to half. */
			size_t half = (cols - pw - 4 - 3) / 2;

			fprintf(out, "%s%s:\n%s    ", prefix, w ? w : "?", prefix);
			cut_text(out, old, half);
			fputs(" → ", out);
			cut_text(out, new, half);
			fputc('\n', out);
		}
		free(old);
		free(new);
		free(w);
	}
}

/* The conflicting fields, as the daemon gives them: paths, or objects with item and path. */
static size_t print_conflict(FILE *out, const char *prefix, const json_t *conflict,
			     const cli_view *view)
{
	const json_t *fields = json_object_get(conflict, "fields");
	size_t i, n = 0;
	json_t *f;

	json_array_foreach(fields, i, f) {
		json_t *entry = json_is_object(f) ? json_incref(f)
						  : json_pack("{s:O?}", "item",
							      json_object_get(conflict, "item"));
		const char *path = json_is_string(f)
					   ? json_string_value(f)
					   : json_string_value(json_object_get(f, "path"));
		char *w = where(entry, path, view);

		fprintf(out, _("%s%s: changed since your base commit\n"), prefix, w ? w : "?");
		free(w);
		json_decref(entry);
		n++;
	}
	return n;
}

/*
 * The lines of a co-owned text a violation says to keep (rule 6), each with
 * who wrote it, those the new text lost marked: the user sees what they
 * would have erased.
 */
static void print_kept_lines(FILE *out, const char *prefix, const json_t *keep)
{
	size_t i;
	json_t *line;

	if (!json_array_size(keep))
		return;
	fprintf(out, "%s  %s\n", prefix,
		_("lines to keep, with who wrote them ('-': your text leaves it out or moves it):"));
	json_array_foreach(keep, i, line) {
		const char *author = json_string_value(json_object_get(line, "author"));
		const char *text = json_string_value(json_object_get(line, "text"));

		if (author && strcmp(author, "admin") == 0)
			author = _("admin");
		fprintf(out, "%s  %s %s: %s\n", prefix,
			json_is_true(json_object_get(line, "missing")) ? "-" : " ",
			author ? author : "?", text ? text : "");
	}
}

size_t cli_print_problems(FILE *out, const char *prefix, const json_t *data, const cli_view *view)
{
	const json_t *conflict = json_object_get(data, "conflict");
	size_t i, n = 0;
	json_t *v;

	json_array_foreach(json_object_get(data, "violations"), i, v) {
		const char *message = json_string_value(json_object_get(v, "message"));
		char *w = where(v, json_string_value(json_object_get(v, "path")), view);

		if (w && *w)
			fprintf(out, "%s%s: %s\n", prefix, w, message ? message : "?");
		else
			fprintf(out, "%s%s\n", prefix, message ? message : "?");
		print_kept_lines(out, prefix, json_object_get(v, "keep"));
		free(w);
		n++;
	}
	json_array_foreach(json_object_get(data, "errors"), i, v) {
		const char *file = json_string_value(json_object_get(v, "file"));
		const char *pointer = json_string_value(json_object_get(v, "pointer"));
		const char *message = json_string_value(json_object_get(v, "message"));

		fprintf(out, "%s%s: %s: %s\n", prefix, file ? file : "?",
			pointer && *pointer ? pointer : "/", message ? message : "?");
		n++;
	}
	/* A conflict error's data is the conflict; a dry run's result carries it as "conflict". */
	n += print_conflict(out, prefix, json_is_object(conflict) ? conflict : data, view);
	return n;
}

int cli_rpc_report(const cli_rpc_error *err, const cli_view *view)
{
	const char *cause = json_string_value(json_object_get(err->data, "cause"));

	/* The system's reason a write failed (a full disk), in the user's language. */
	if (cause)
		cli_error("%s: %s", err->message ? err->message : "?", cause);
	else
		cli_error("%s", err->message ? err->message : "?");
	cli_print_problems(stderr, "  ", err->data, view);
	switch (err->code) {
	case KK_RPC_EFORBIDDEN:
	case KK_RPC_ECONFLICT:
	case KK_RPC_ERULES:
	case KK_RPC_EINVALID: return EXIT_NO;
	default: return EXIT_FAIL;
	}
}

int cli_call_failed(int outcome, cli_rpc_error *err, const cli_view *view)
{
	int code = EXIT_FAIL;

	if (outcome == CLI_CALL_REFUSED)
		code = cli_rpc_report(err, view);
	cli_rpc_error_clear(err);
	return code;
}

int cli_print_write_result(const json_t *result, int dry_run, const char *summary,
			   const cli_view *view)
{
	const char *commit = json_string_value(json_object_get(result, "commit"));
	const json_t *changes = json_object_get(result, "changes");

	if (dry_run) {
		char *problems = NULL;
		size_t size = 0, n;
		FILE *m = open_memstream(&problems, &size);

		puts(_("dry run: nothing committed"));
		if (summary)
			puts(summary);
		else if (json_array_size(changes))
			cli_print_changes(stdout, "", changes, view);
		else
			puts(_("no changes"));
		if (!m)
			return EXIT_FAIL;
		n = cli_print_problems(m, "  ", result, view);
		fclose(m);
		if (n) {
			puts(_("would be refused:"));
			fputs(problems, stdout);
		}
		free(problems);
		return n ? EXIT_NO : EXIT_OK;
	}
	if (!commit) {
		puts(_("no changes; nothing committed"));
		return EXIT_OK;
	}
	printf(_("committed %.10s\n"), commit);
	if (summary)
		puts(summary);
	else
		cli_print_changes(stdout, "", changes, view);
	return EXIT_OK;
}
