/*
 * cmd_year.c - keikaku year open and close: a fiscal year's opening, and its
 * close with the tag that sums it up.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "plan.h"
#include "year.h"

typedef struct year_args {
	const char *reason;
	int dry_run, json;
} year_args;

static const cli_option year_options[] = {
	CLI_OPT_STRING('m', "message", year_args, reason, "REASON",
		       N_("why (goes into the commit message)")),
	CLI_OPT_DRY_RUN(year_args, dry_run),
	CLI_OPT_BOOL(0, "json", year_args, json, N_("print keikakud's answer as JSON")),
	CLI_OPT_END(),
};

static const char *const open_synopsis[] = {"keikaku year open Y [-m REASON] [--dry-run] [--json]",
					    NULL};
static const char *const close_synopsis[] = {
	"keikaku year close Y [-m REASON] [--dry-run] [--json]",
	NULL,
};

static const cli_usage open_usage = {
	.name = "year open",
	.summary = N_("open a fiscal year"),
	.synopsis = open_synopsis,
	.description = N_("Opens fiscal year Y, so that owner departments may edit it: every open "
			  "item gains an entry for the year (entries already there are kept).  The "
			  "plan's administrators only.  Y is 2021, R3, 令和3 or 令和3年度."),
	.options = year_options,
};

static const cli_usage close_usage = {
	.name = "year close",
	.summary = N_("close a fiscal year"),
	.synopsis = close_synopsis,
	.description = N_("Closes fiscal year Y: the year is recorded as closed, and the annotated "
			  "tag fyY sums it up.  After a close, the year changes only by an admin's "
			  "correction.  The plan's administrators only.  Y is 2021, R3, 令和3 or "
			  "令和3年度."),
	.options = year_options,
};

static const cli_usage *const year_subcommands[] = {&open_usage, &close_usage, NULL};

const cli_usage cmd_year_usage = {
	.name = "year",
	.summary = N_("open or close a fiscal year"),
	.description = N_("Opens fiscal year Y, so that owner departments may edit it (every open "
			  "item gains an entry for the year; entries already there are kept), or "
			  "closes it: the year is recorded as closed, and the annotated tag fyY "
			  "sums it up.  After a close, the year changes only by an admin's "
			  "correction.  The plan's administrators only.  Y is 2021, R3, 令和3 or "
			  "令和3年度."),
	.subcommands = year_subcommands,
};

/* The lines of `text` after its first, each indented by two spaces. */
static void print_body(const char *text)
{
	const char *line = strchr(text, '\n');

	while (line && *++line) {
		const char *end = strchr(line, '\n');
		int n = end ? (int)(end - line) : (int)strlen(line);

		if (n)
			printf("  %.*s\n", n, line);
		line = end;
	}
}

static int year_change(cli_ctx *ctx, int argc, char **argv, int close)
{
	const cli_usage *u = close ? &close_usage : &open_usage;
	const char *command = u->name;
	json_t *settings = NULL, *params = NULL, *result = NULL;
	year_args args = {0};
	cli_view view = {0};
	kk_diag diag = {0};
	char base[41], key[16], name[KK_FY_NAME_MAX], summary[512];
	int dry_run, year, code;

	if ((code = cli_parse_options(&argc, argv, u, &args, 0)) != CLI_PARSED)
		return code;
	if (argc != 1)
		return cli_usage_error(command, _("expected one fiscal year"));
	dry_run = args.dry_run;
	/* keikaku.json, for the era names the year may be given in. */
	if ((code = cli_plan_get(&settings, base, ctx->client, KK_PATH_SETTINGS, NULL)) != EXIT_OK)
		return code;
	if (kk_fy_parse(&year, argv[0], settings, &diag) < 0) {
		code = cli_usage_error(command, "%s", diag.message);
		goto done;
	}
	snprintf(key, sizeof(key), "%d", year);
	view.settings = settings;
	if (!(params = json_pack("{s:s}", "year", key)) ||
	    cli_write_params(params, args.reason, dry_run) < 0) {
		json_decref(params);
		code = EXIT_FAIL;
		goto done;
	}
	code = cli_write(&result, ctx->client, close ? "year.close" : "year.open", params, &view,
			 NULL);
	if (code != EXIT_OK)
		goto done;
	if (args.json) {
		json_dumpf(result, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		code = dry_run && (json_array_size(json_object_get(result, "violations")) ||
				   json_array_size(json_object_get(result, "errors")))
			       ? EXIT_NO
			       : EXIT_OK;
		goto done;
	}
	kk_fy_format(name, sizeof(name), settings, year);
	if (close) {
		const char *tag = json_string_value(json_object_get(result, "tag"));
		char tag_name[KK_YEAR_TAG_MAX];

		kk_year_tag_name(tag_name, sizeof(tag_name), year);
		snprintf(summary, sizeof(summary), _("close %s (FY%d) and tag it '%s'"), name, year,
			 tag ? tag : tag_name);
	} else {
		size_t added = json_array_size(
			json_object_get(json_object_get(result, "summary"), "added"));

		snprintf(summary, sizeof(summary),
			 P_("open %s (FY%d): %zu item gains an empty entry for it",
			    "open %s (FY%d): %zu items gain an empty entry for it", added),
			 name, year, added);
	}
	/* A year refused as a whole has no summary: the refusal says it all. */
	code = cli_print_write_result(result, dry_run,
				      json_object_get(result, "summary") ? summary : NULL, &view);
	if (close && json_string_value(json_object_get(result, "message")) &&
	    (!dry_run || code == EXIT_OK))
		print_body(json_string_value(json_object_get(result, "message")));
	if (close && json_string_value(json_object_get(result, "tag_id")))
		printf(_("tag %s: %s\n"), json_string_value(json_object_get(result, "tag")),
		       json_string_value(json_object_get(result, "tag_id")));
done:
	json_decref(result);
	json_decref(settings);
	return code;
}

int cmd_year(cli_ctx *ctx, int argc, char **argv)
{
	int code;

	if ((code = cli_parse_options(&argc, argv, &cmd_year_usage, NULL,
				      CLI_PARSE_STOP_AT_NON_OPTION)) != CLI_PARSED)
		return code;
	if (argc == 0)
		return cli_usage_error("year", _("expected open or close"));
	if (strcmp(argv[0], "open") == 0)
		return year_change(ctx, argc, argv, 0);
	if (strcmp(argv[0], "close") == 0)
		return year_change(ctx, argc, argv, 1);
	if ((code = cli_unknown_subcommand(&cmd_year_usage, argv[0])))
		return code;
	return cli_usage_error("year", _("'%s' is not a year command (open, close)"), argv[0]);
}
