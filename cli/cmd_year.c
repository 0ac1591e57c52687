/*
 * cmd_year.c - keikaku year open Y [-m REASON] [--dry-run] [--json]
 *              keikaku year close Y [-m REASON] [--dry-run] [--json]
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "plan.h"
#include "year.h"

static void usage(FILE *out)
{
	fprintf(out,
		_("usage: keikaku year open Y [-m REASON] [--dry-run] [--json]\n"
		  "       keikaku year close Y [-m REASON] [--dry-run] [--json]\n\n"
		  "Opens fiscal year Y, so that owner departments may edit it (every open item\n"
		  "gains an entry for the year; entries already there are kept), or closes it:\n"
		  "the year is recorded as closed, and the annotated tag fyY sums it up.  After a\n"
		  "close, the year changes only by an admin's correction.  The plan's\n"
		  "administrators only.  Y is 2021, R3, 令和3 or 令和3年度.\n\n"
		  "  -m, --message REASON\n"
		  "                why (goes into the commit message)\n"
		  "  --dry-run     check the change and show it; commit nothing\n"
		  "  --json        print keikakud's answer as JSON\n"));
}

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
	static const struct option options[] = {
		{"message", required_argument, NULL, 'm'},
		{"dry-run", no_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *command = close ? "year close" : "year open", *reason = NULL;
	json_t *settings = NULL, *params = NULL, *result = NULL;
	cli_view view = {0};
	kk_diag diag = {0};
	char base[41], key[16], name[64], summary[512];
	int dry_run = 0, json = 0, year, c, code;

	while ((c = getopt_long(argc, argv, ":hm:", options, NULL)) != -1) {
		switch (c) {
		case 'm': reason = optarg; break;
		case 'n': dry_run = 1; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: return cli_bad_option(command, c, argv);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(command, _("expected one fiscal year"));
	/* keikaku.json, for the era names the year may be given in. */
	if ((code = cli_plan_get(&settings, base, ctx->client, KK_PATH_SETTINGS, NULL)) != EXIT_OK)
		return code;
	if (kk_fy_parse(&year, argv[optind], settings, &diag) < 0) {
		code = cli_usage_error(command, "%s", diag.message);
		goto done;
	}
	snprintf(key, sizeof(key), "%d", year);
	view.settings = settings;
	if (!(params = json_pack("{s:s}", "year", key)) ||
	    cli_write_params(params, reason, dry_run) < 0) {
		json_decref(params);
		code = EXIT_FAIL;
		goto done;
	}
	code = cli_write(&result, ctx->client, close ? "year.close" : "year.open", params, &view,
			 NULL);
	if (code != EXIT_OK)
		goto done;
	if (json) {
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
done:
	json_decref(result);
	json_decref(settings);
	return code;
}

int cmd_year(cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error("year", _("expected open or close"));
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "open") == 0)
		return year_change(ctx, argc - 1, argv + 1, 0);
	if (strcmp(argv[1], "close") == 0)
		return year_change(ctx, argc - 1, argv + 1, 1);
	return cli_usage_error("year", _("'%s' is not a year command (open, close)"), argv[1]);
}
