/*
 * cmd_show.c - keikaku show: one item as a person reads it, or as stored.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "keytext.h"
#include "pager.h"
#include "plan.h"

#define LABEL_WIDTH	 10 /* columns for the item's labels */
#define YEAR_LABEL_WIDTH 18

typedef struct show_args {
	const char *at;
	int json;
} show_args;

static const cli_option show_options[] = {
	CLI_OPT_STRING(0, "at", show_args, at, "REV",
		       N_("the item as it was at REV (default HEAD; also @DATE and fy2021)")),
	CLI_OPT_BOOL(0, "json", show_args, json, N_("print the stored JSON file unchanged")),
	CLI_OPT_END(),
};

static const char *const show_synopsis[] = {"keikaku show ID [--at REV] [--json]", NULL};

const cli_usage cmd_show_usage = {
	.name = "show",
	.summary = N_("show one item as a person reads it"),
	.synopsis = show_synopsis,
	.description = N_("Shows plan item ID as a person reads it, or as stored with --json."),
	.options = show_options,
};

/* Parses an item id as a user types it: "26", "0026" or "２６". */
int cli_parse_item_id(json_int_t *out, const char *typed);

int cli_parse_item_id(json_int_t *out, const char *typed)
{
	char key[KK_KEY_MAX], *end;
	/* As an input method types it too: "２６", with a full-width space. */
	const char *text = kk_key_normalize(key, sizeof(key), typed);
	long v;

	if (!*text || strspn(text, "0123456789") != strlen(text))
		return -1;
	v = strtol(text, &end, 10);
	if (v < 1 || v > KK_ITEM_ID_MAX)
		return -1;
	*out = v;
	return 0;
}

static void label(const char *text, size_t width)
{
	render_padded(stdout, text, width);
}

static void field(const char *name, const char *value, size_t indent, size_t label_width,
		  size_t columns)
{
	for (size_t i = 0; i < indent; i++)
		putchar(' ');
	label(name, label_width);
	render_wrapped(stdout, value, indent + label_width, columns, 1);
}

static void department_list(char *buf, size_t size, const json_t *array)
{
	size_t i, len = 0;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach(array, i, v) {
		int n = snprintf(buf + len, size - len, "%s%s", i ? "、" : "",
				 json_string_value(v));

		if (n < 0 || (size_t)n >= size - len)
			break;
		len += (size_t)n;
	}
	if (!len)
		snprintf(buf, size, "—");
}

static void show_year(const json_t *settings, const char *key, const json_t *year, size_t columns)
{
	const char *planned = json_string_value(json_object_get(year, "planned"));
	const char *revised = json_string_value(json_object_get(year, "revised"));
	const char *progress = json_string_value(json_object_get(year, "progress"));
	const char *achievement = json_string_value(json_object_get(year, "achievement"));
	const char *result = json_string_value(json_object_get(year, "result"));
	const char *state = kk_fy_state(settings, atoi(key));
	char name[KK_FY_NAME_MAX], mark[128];

	kk_fy_format(name, sizeof(name), settings, atoi(key));
	printf("\n%s", name);
	if (state && strcmp(state, "closed") == 0)
		printf("  %s", _("(closed)"));
	putchar('\n');
	if (planned)
		field("計画スケジュール", planned, 2, YEAR_LABEL_WIDTH, columns);
	if (revised)
		field("変更スケジュール", revised, 2, YEAR_LABEL_WIDTH, columns);
	if (progress) {
		snprintf(mark, sizeof(mark), "%s %s", kk_progress_mark(progress),
			 kk_progress_legend(progress));
		field("進捗度", mark, 2, YEAR_LABEL_WIDTH, columns);
	}
	if (achievement)
		field("達成度", kk_achievement_label(achievement), 2, YEAR_LABEL_WIDTH, columns);
	if (result) {
		printf("  %s\n", "取組内容または結果");
		render_wrapped(stdout, result, 4, columns, 0);
	}
}

static void show_item(const json_t *item, const json_t *settings, const json_t *structure)
{
	json_int_t id = json_integer_value(json_object_get(item, "id"));
	json_int_t p = json_integer_value(json_object_get(item, "pillar"));
	json_int_t s = json_integer_value(json_object_get(item, "section"));
	json_int_t m = json_integer_value(json_object_get(item, "measure"));
	const json_t *pillar = kk_plan_pillar(structure, p);
	const json_t *section = kk_plan_section(structure, p, s);
	const json_t *measure = kk_plan_measure(structure, p, s, m);
	const char *added = json_string_value(json_object_get(item, "added_in"));
	const char *status = json_string_value(json_object_get(item, "status"));
	size_t columns = render_columns();
	char buf[4096], circled[16];
	const char *key;
	json_t *year;

	snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT "  %s", id,
		 json_string_value(json_object_get(item, "title")));
	render_wrapped(stdout, buf, 0, columns, 0);

	snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT ". %s", p,
		 pillar ? json_string_value(json_object_get(pillar, "title")) : "?");
	field("計画の柱", buf, 0, LABEL_WIDTH, columns);
	snprintf(buf, sizeof(buf), "(%" JSON_INTEGER_FORMAT ") %s", s,
		 section ? json_string_value(json_object_get(section, "title")) : "?");
	field("", buf, 0, LABEL_WIDTH, columns);
	kk_circled_number(circled, sizeof(circled), m);
	snprintf(buf, sizeof(buf), "%s %s", circled,
		 measure ? json_string_value(json_object_get(measure, "title")) : "?");
	field("施策", buf, 0, LABEL_WIDTH, columns);
	department_list(buf, sizeof(buf), json_object_get(item, "owners"));
	field("担当課", buf, 0, LABEL_WIDTH, columns);
	department_list(buf, sizeof(buf), json_object_get(item, "related"));
	field("関係課", buf, 0, LABEL_WIDTH, columns);
	if (added) {
		kk_fy_format(buf, sizeof(buf), settings, atoi(added));
		strncat(buf, "追加", sizeof(buf) - strlen(buf) - 1);
		field("追加", buf, 0, LABEL_WIDTH, columns);
	}
	field("達成度", status ? kk_achievement_label(status) : "?", 0, LABEL_WIDTH, columns);

	json_object_foreach((json_t *)json_object_get(item, "years"), key, year)
		show_year(settings, key, year, columns);
}

int cmd_show(cli_ctx *ctx, int argc, char **argv)
{
	show_args args = {0};
	int code = EXIT_FAIL;
	json_t *item = NULL, *settings = NULL, *structure = NULL;
	char path[KK_ITEM_PATH_MAX];
	const char *paths[] = {path, KK_PATH_SETTINGS, KK_PATH_STRUCTURE, NULL};
	const char *only_item[] = {path, NULL};
	const kk_file *file;
	cli_snapshot snap = {0};
	json_int_t id;

	if ((code = cli_parse_options(&argc, argv, &cmd_show_usage, &args, 0)) != CLI_PARSED)
		return code;
	if (argc != 1)
		return cli_usage_error("show", _("expected one item id"));
	if (cli_parse_item_id(&id, argv[0]) < 0)
		return cli_usage_error("show", _("'%s' is not an item id"), argv[0]);
	kk_item_path(path, sizeof(path), id);

	if ((code = cli_snapshot_read(&snap, ctx, args.at, args.json ? only_item : paths)) !=
	    EXIT_OK)
		return code;
	code = EXIT_FAIL;
	if (!(file = kk_fileset_get(&snap.files, path))) {
		cli_error(_("item %lld does not exist"), (long long)id);
		goto done;
	}
	if (args.json) {
		fwrite(file->data, 1, file->len, stdout);
		code = EXIT_OK;
		goto done;
	}
	if (cli_snapshot_json(&item, &snap, path) < 0 ||
	    cli_snapshot_json(&settings, &snap, KK_PATH_SETTINGS) < 0 ||
	    cli_snapshot_json(&structure, &snap, KK_PATH_STRUCTURE) < 0)
		goto done;
	cli_pager_start();
	show_item(item, settings, structure);
	code = EXIT_OK;
done:
	cli_snapshot_clear(&snap);
	json_decref(item);
	json_decref(settings);
	json_decref(structure);
	return code;
}
