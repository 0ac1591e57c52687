/*
 * cmd_diff.c - keikaku diff: what changed in the plan between two commits.
 *
 * core/history/diff computes the difference as JSON; this file only chooses the
 * commits and renders the JSON, which keikakud can also send.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "audit.h"
#include "cli.h"
#include "client.h"
#include "diff.h"
#include "json.h"
#include "pager.h"
#include "plan.h"

#define INDENT 4 /* columns before a long text, and before a wrapped line's rest */

#define COLOUR_DEL   "\033[31m"
#define COLOUR_INS   "\033[32m"
#define COLOUR_RESET "\033[m"

typedef struct {
	FILE *out;
	const json_t *settings;
	size_t columns;
	int colour;
} painter;

/* --- lines --- */

/* Writes `text` as one line, or wrapped with its rest indented when it is too wide. */
static void put_line(const painter *p, const char *text, const char *colour)
{
	if (colour && p->colour)
		fputs(colour, p->out);
	if (render_width(text) <= p->columns && !strchr(text, '\n')) {
		fputs(text, p->out);
		if (colour && p->colour)
			fputs(COLOUR_RESET, p->out);
		fputc('\n', p->out);
		return;
	}
	render_wrapped(p->out, text, INDENT, p->columns, 1);
	if (colour && p->colour)
		fputs(COLOUR_RESET, p->out);
}

static const char *field_label(const char *field)
{
	const char *label = kk_field_label(field);

	return label ? label : field;
}

static const char *last_component(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot ? dot + 1 : path;
}

/* A value as cli_value_text() gives it, a text with its line breaks and tabs as spaces. */
static void put_value(FILE *m, const char *path, const json_t *v)
{
	char *text = cli_value_text(path, v);

	for (const char *s = text ? text : "?"; *s; s++)
		fputc(json_is_string(v) && (*s == '\n' || *s == '\t') ? ' ' : *s, m);
	free(text);
}

/* --- long texts and their inline diffs --- */

/* A growing string and a style for each of its bytes. */
typedef struct marked_text {
	char *buf, *style;
	size_t len, buf_alloc, style_alloc;
} marked_text;

/* Appends `text` to the string, with `style` for each byte. */
static int add_marked(marked_text *mk, const char *text, char st)
{
	size_t n = strlen(text);

	if (KK_ARRAY_GROW(mk->buf, mk->len + n + 1, mk->buf_alloc) < 0 ||
	    KK_ARRAY_GROW(mk->style, mk->len + n + 1, mk->style_alloc) < 0)
		return -1;
	memcpy(mk->buf + mk->len, text, n + 1);
	memset(mk->style + mk->len, st, n);
	mk->len += n;
	return 0;
}

static size_t utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static int is_blank(const char *s)
{
	return *s == ' ' || *s == '\t' || *s == '\n' || strncmp(s, "\u3000", 3) == 0;
}

/*
 * Writes the wrapped text `wrapped` in colour: it is `marked` with line
 * breaks and blanks added or dropped, so its other characters take the
 * style of the same characters of `marked`, in order.
 */
static void paint(FILE *out, const char *wrapped, const char *marked, const char *style)
{
	static const char *const colours[] = {COLOUR_RESET, COLOUR_DEL, COLOUR_INS};
	size_t i = 0, n = strlen(marked);
	int cur = 0;

	for (const char *o = wrapped; *o;) {
		size_t k = utf8_len((unsigned char)*o);

		if (is_blank(o)) {
			if (*o == '\n' && cur) {
				fputs(COLOUR_RESET, out);
				cur = 0;
			}
			fwrite(o, 1, k, out);
			o += k;
			continue;
		}
		while (i < n && is_blank(marked + i))
			i += utf8_len((unsigned char)marked[i]);
		if (i < n && style[i] != cur) {
			cur = style[i];
			fputs(colours[cur], out);
		}
		fwrite(o, 1, k, out);
		o += k;
		i += k;
	}
	if (cur)
		fputs(COLOUR_RESET, out);
}

/*
 * Writes a long text change under its line, wrapped: the inline diff with
 * deletions as [-…-] and insertions as {+…+}, or the text that was added or
 * removed whole.
 */
static int put_long(const painter *p, const json_t *change)
{
	const json_t *segments = json_object_get(change, "inline");
	const json_t *old = json_object_get(change, "old"), *new = json_object_get(change, "new");
	marked_text mk = {0};
	char *wrapped = NULL;
	size_t size = 0, i;
	json_t *seg;
	FILE *m = NULL;
	int error = -1;

	if (add_marked(&mk, "", 0) < 0)
		goto done;
	if (!json_is_array(segments)) {
		if ((json_is_string(old) && (add_marked(&mk, "[-", 1) < 0 ||
					     add_marked(&mk, json_string_value(old), 1) < 0 ||
					     add_marked(&mk, "-]", 1) < 0)) ||
		    (json_is_string(new) && (add_marked(&mk, "{+", 2) < 0 ||
					     add_marked(&mk, json_string_value(new), 2) < 0 ||
					     add_marked(&mk, "+}", 2) < 0)))
			goto done;
	}
	json_array_foreach(segments, i, seg) {
		const char *op = json_string_value(json_object_get(seg, "op"));
		const char *text = json_string_value(json_object_get(seg, "text"));
		char st = !op ? 0 : *op == '-' ? 1 : *op == '+' ? 2 : 0;

		if (!text)
			continue;
		if ((st && add_marked(&mk, st == 1 ? "[-" : "{+", st) < 0) ||
		    add_marked(&mk, text, st) < 0 ||
		    (st && add_marked(&mk, st == 1 ? "-]" : "+}", st) < 0))
			goto done;
	}
	if (!p->colour) {
		render_wrapped(p->out, mk.buf, INDENT, p->columns, 0);
		error = 0;
		goto done;
	}
	if (!(m = open_memstream(&wrapped, &size)))
		goto done;
	render_wrapped(m, mk.buf, INDENT, p->columns, 0);
	if (fclose(m) != 0)
		goto done;
	paint(p->out, wrapped, mk.buf, mk.style);
	error = 0;
done:
	free(wrapped);
	free(mk.buf);
	free(mk.style);
	return error;
}

/* Writes one change: "WHERE: old → new", or "WHERE:" and the long text under it. */
static int put_change(const painter *p, FILE *m, char **line, const json_t *change)
{
	const char *path = json_string_value(json_object_get(change, "path"));
	const json_t *old = json_object_get(change, "old"), *new = json_object_get(change, "new");
	int block = (kk_diff_is_long(old) && (!new || json_is_string(new))) ||
		    (kk_diff_is_long(new) && (!old || json_is_string(old)));

	if (!path)
		path = "";
	if (block) {
		fputc(':', m);
	} else {
		fputs(": ", m);
		put_value(m, path, old);
		fputs(" → ", m);
		put_value(m, path, new);
	}
	if (fclose(m) != 0)
		return -1;
	put_line(p, *line, NULL);
	return block ? put_long(p, change) : 0;
}

/* --- where a change is, in plan terms --- */

static void item_where(FILE *m, const painter *p, const json_t *entry, const char *path)
{
	const char *title = json_string_value(json_object_get(entry, "title"));

	fprintf(m, "%03" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(entry, "id")));
	if (title)
		fprintf(m, " %s", title);
	if (!path)
		return;
	if (strncmp(path, "years.", 6) == 0 && path[6]) {
		const char *rest = strchr(path + 6, '.');
		char name[KK_FY_NAME_MAX];

		kk_fy_format(name, sizeof(name), p->settings, atoi(path + 6));
		fprintf(m, " · %s", name);
		if (rest)
			fprintf(m, " %s", field_label(rest + 1));
	} else {
		fprintf(m, " · %s", field_label(path));
	}
}

/* "pillars.2.sections.1.measures.1.description" -> "計画の柱 2 (1) ① 施策の内容". */
static void plan_where(FILE *m, const char *path)
{
	static const char *const levels[] = {"pillars.", "sections.", "measures."};
	const char *p = path;
	size_t level = 0;

	while (level < 3 && strncmp(p, levels[level], strlen(levels[level])) == 0) {
		const char *n = p + strlen(levels[level]), *end = n + strspn(n, "0123456789");
		char circled[16];

		if (end == n || (*end && *end != '.'))
			break;
		if (level == 0)
			fprintf(m, " 計画の柱 %.*s", (int)(end - n), n);
		else if (level == 1)
			fprintf(m, " (%.*s)", (int)(end - n), n);
		else {
			kk_circled_number(circled, sizeof(circled), atoi(n));
			fprintf(m, " %s", circled);
		}
		p = *end ? end + 1 : end;
		level++;
	}
	if (level == 0)
		fprintf(m, " %s", path);
	else if (strcmp(p, "description") == 0)
		fputs(" 施策の内容", m);
	else if (*p && strcmp(p, "title") != 0)
		fprintf(m, " %s", p);
}

static void file_where(FILE *m, const painter *p, const char *file, const char *path)
{
	fprintf(m, "%s ·", file);
	if (strcmp(file, KK_PATH_SETTINGS) == 0 && strncmp(path, "years.", 6) == 0) {
		char name[KK_FY_NAME_MAX];

		kk_fy_format(name, sizeof(name), p->settings, atoi(path + 6));
		fprintf(m, " %s", name);
	} else if (strcmp(file, KK_PATH_DEPARTMENTS) == 0 &&
		   strncmp(path, "departments.", 12) == 0) {
		/* Department names may hold dots; field names do not. */
		const char *name = path + 12, *dot = strrchr(name, '.');

		if (dot)
			fprintf(m, " %.*s %s", (int)(dot - name), name, dot + 1);
		else
			fprintf(m, " %s", name);
	} else if (strcmp(file, KK_PATH_STRUCTURE) == 0) {
		plan_where(m, path);
	} else {
		fprintf(m, " %s", path);
	}
}

/*
 * A department or a pillar, section or measure added or removed shows as
 * its key appearing or going: "departments.json · + 新しい課".
 */
static int record_edge(const char *file, const char *path, const json_t *change)
{
	const char *key = strcmp(file, KK_PATH_DEPARTMENTS) == 0 ? "name"
			  : strcmp(file, KK_PATH_STRUCTURE) == 0 ? "number"
								 : NULL;

	return key && strchr(path, '.') && strcmp(last_component(path), key) == 0 &&
	       (!json_object_get(change, "old") || !json_object_get(change, "new"));
}

/* --- the whole difference --- */

static int put_file(const painter *p, const json_t *entry)
{
	const char *file = json_string_value(json_object_get(entry, "path"));
	const char *kind = json_string_value(json_object_get(entry, "change"));
	const json_t *changes = json_object_get(entry, "changes");
	char *line = NULL;
	size_t size = 0, i;
	json_t *c;

	if (!file || !kind)
		return 0;
	if (strcmp(kind, "changed") != 0) {
		if (asprintf(&line, "%s %s", strcmp(kind, "added") == 0 ? "+" : "-", file) < 0)
			return -1;
		put_line(p, line, strcmp(kind, "added") == 0 ? COLOUR_INS : COLOUR_DEL);
		free(line);
		return 0;
	}
	json_array_foreach(changes, i, c) {
		const char *path = json_string_value(json_object_get(c, "path"));
		FILE *m;
		int error;

		if (!path)
			continue;
		if (!(m = open_memstream(&line, &size)))
			return -1;
		if (record_edge(file, path, c)) {
			int added = !json_object_get(c, "old");
			char *where = strdup(path);

			if (!where) {
				fclose(m);
				free(line);
				return -1;
			}
			*strrchr(where, '.') = '\0';
			fprintf(m, "%s %s ·", added ? "+" : "-", file);
			if (strcmp(file, KK_PATH_DEPARTMENTS) == 0)
				fprintf(m, " %s", where + strlen("departments."));
			else
				plan_where(m, where);
			free(where);
			error = fclose(m);
			if (error == 0)
				put_line(p, line, added ? COLOUR_INS : COLOUR_DEL);
		} else {
			file_where(m, p, file, path);
			error = put_change(p, m, &line, c);
		}
		free(line);
		line = NULL;
		if (error)
			return -1;
	}
	return 0;
}

static int put_item(const painter *p, const json_t *entry)
{
	const char *kind = json_string_value(json_object_get(entry, "change"));
	char *line = NULL;
	size_t size = 0, i;
	json_t *c;
	FILE *m;

	if (!kind)
		return 0;
	if (strcmp(kind, "changed") != 0) {
		int added = strcmp(kind, "added") == 0;

		if (!(m = open_memstream(&line, &size)))
			return -1;
		fputs(added ? "+ " : "- ", m);
		item_where(m, p, entry, NULL);
		if (fclose(m) == 0)
			put_line(p, line, added ? COLOUR_INS : COLOUR_DEL);
		free(line);
		return 0;
	}
	json_array_foreach(json_object_get(entry, "changes"), i, c) {
		int error;

		if (!(m = open_memstream(&line, &size)))
			return -1;
		item_where(m, p, entry, json_string_value(json_object_get(c, "path")));
		error = put_change(p, m, &line, c);
		free(line);
		line = NULL;
		if (error)
			return -1;
	}
	return 0;
}

int render_diff(FILE *out, const json_t *result, const json_t *settings)
{
	const char *no_color = getenv("NO_COLOR");
	painter p = {out, settings, render_columns(),
		     (isatty(fileno(out)) || (out == stdout && cli_pager_in_use())) &&
			     !(no_color && *no_color)};
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(result, "files"), i, e)
		if (put_file(&p, e) < 0)
			return -1;
	json_array_foreach(json_object_get(result, "items"), i, e)
		if (put_item(&p, e) < 0)
			return -1;
	return 0;
}

/* --- the command --- */

typedef struct diff_args {
	const char *item, *fy;
	int json, exit_code;
} diff_args;

static const cli_option diff_options[] = {
	CLI_OPT_STRING(0, "item", diff_args, item, "ID", N_("only item ID")),
	CLI_OPT_STRING(0, "fy", diff_args, fy, "Y",
		       N_("only the fields of fiscal year Y (2021, R3, 令和3年度)")),
	CLI_OPT_BOOL(0, "json", diff_args, json, N_("print the difference as JSON")),
	CLI_OPT_BOOL(0, "exit-code", diff_args, exit_code,
		     N_("exit 1 when there are differences, 0 when there are none")),
	CLI_OPT_END(),
};

static const char *const diff_synopsis[] = {
	"keikaku diff [A [B]] [--item ID] [--fy Y] [--json] [--exit-code]",
	NULL,
};

const cli_usage cmd_diff_usage = {
	.name = "diff",
	.summary = N_("show what changed in the plan"),
	.synopsis = diff_synopsis,
	.description = N_("Shows what changed in the plan, item by item and field by field: the "
			  "last commit's change, or from revision A to HEAD, or from A to B."),
	.options = diff_options,
};

int cmd_diff(cli_ctx *ctx, int argc, char **argv)
{
	json_t *params, *settings = NULL, *result = NULL;
	diff_args args = {0};
	json_int_t id;
	int code;

	if ((code = cli_parse_options(&argc, argv, &cmd_diff_usage, &args, 0)) != CLI_PARSED)
		return code;
	if (args.item && cli_parse_item_id(&id, args.item) < 0)
		return cli_usage_error("diff", _("'%s' is not an item id"), args.item);
	if (argc > 2)
		return cli_usage_error("diff", _("expected at most two revisions"));
	if (!(params = json_object())) {
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	if (args.item)
		json_object_set_new(params, "item", json_integer(id));
	if (args.fy)
		json_object_set_new(params, "fy", json_string(args.fy));
	if (argc >= 1)
		json_object_set_new(params, "from", json_string(argv[0]));
	if (argc == 2)
		json_object_set_new(params, "to", json_string(argv[1]));
	if ((code = cli_query(&result, ctx, "plan.diff", params)) != EXIT_OK)
		return code;
	code = args.exit_code && (json_array_size(json_object_get(result, "items")) ||
				  json_array_size(json_object_get(result, "files")))
		       ? EXIT_NO
		       : EXIT_OK;
	if (args.json) {
		json_dumpf(result, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		settings = cli_audit_settings(ctx);
		cli_pager_start();
		if (render_diff(stdout, result, settings) < 0) {
			cli_error("%s", _("out of memory"));
			code = EXIT_FAIL;
		}
	}
	json_decref(result);
	json_decref(settings);
	return code;
}
