/*
 * cmd_pending.c - keikaku pending: the items their owners have not
 * updated in the reporting period, by department.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "client.h"
#include "pager.h"
#include "plan.h"

typedef struct pending_args {
	const char *fy, *since, *at;
	int json;
} pending_args;

static const cli_option pending_options[] = {
	CLI_OPT_STRING(0, "fy", pending_args, fy, "Y", N_("the fiscal year (2021, R3, 令和3年度)")),
	CLI_OPT_STRING(0, "since", pending_args, since, "D",
		       N_("the period starts at D instead (YYYY-MM-DD or a revision)")),
	CLI_OPT_AT(pending_args, at),
	CLI_OPT_JSON(pending_args, json),
	CLI_OPT_END(),
};

static const char *const pending_synopsis[] = {
	"keikaku pending --fy Y [--since D] [--at REV] [--json]",
	NULL,
};

const cli_usage cmd_pending_usage = {
	.name = "pending",
	.summary = N_("list items their owners have not updated"),
	.synopsis = pending_synopsis,
	.description = N_("Lists the open items whose owners have not updated fiscal year Y's "
			  "fields in the reporting period, grouped by department.  The period "
			  "starts when year Y was opened: whatever the owners reported on it since "
			  "counts."),
	.options = pending_options,
	.footer = N_("exit codes: 0 nothing pending, 1 items pending"),
};

/* "2026-12-06T10:02:03+09:00" as "2026-12-06 10:02", in `buf`. */
static const char *minute(char *buf, size_t size, const char *iso)
{
	snprintf(buf, size, "%.16s", iso ? iso : "?");
	if (strlen(buf) > 10 && buf[10] == 'T')
		buf[10] = ' ';
	return buf;
}

static int render(const json_t *result, const json_t *settings)
{
	const char *since = json_string_value(json_object_get(result, "since"));
	const json_t *depts = json_object_get(result, "departments"), *d, *item;
	char name[KK_FY_NAME_MAX], start[32], at[32];
	size_t i, j;

	const char *commit = json_string_value(json_object_get(result, "since_commit"));
	const char *reason = json_string_value(json_object_get(result, "since_reason"));

	kk_fy_format(name, sizeof(name), settings,
		     atoi(json_string_value(json_object_get(result, "year"))));
	/* The period's start as a time (and the commit it is), to the minute, as the items' are. */
	minute(start, sizeof(start), since);
	if (reason && strcmp(reason, "opened") == 0)
		printf(_("%s: not updated by their owners since it was opened, %s (commit %.10s)\n"),
		       name, start, commit ? commit : "?");
	else if (commit)
		printf(_("%s: not updated by their owners since %s (commit %.10s)\n"), name, start,
		       commit);
	else
		printf(_("%s: not updated by their owners since %s\n"), name, start);
	if (json_array_size(depts) == 0) {
		puts(_("nothing pending"));
		return EXIT_OK;
	}
	json_array_foreach(depts, i, d) {
		const json_t *items = json_object_get(d, "items");

		printf("\n%s (%zu)\n", json_string_value(json_object_get(d, "name")),
		       json_array_size(items));
		json_array_foreach(items, j, item) {
			const json_t *last = json_object_get(item, "last_update");
			const char *when = json_string_value(json_object_get(last, "time"));

			printf("  %03lld ", (long long)json_integer_value(json_object_get(item, "id")));
			render_fitted(stdout, json_string_value(json_object_get(item, "title")), 40);
			if (when)
				printf(_("  last updated %s\n"), minute(at, sizeof(at), when));
			else
				printf("  %s\n", _("never updated"));
		}
	}
	return EXIT_NO;
}

int cmd_pending(cli_ctx *ctx, int argc, char **argv)
{
	json_t *params, *result = NULL, *settings;
	pending_args args = {0};
	int code;

	if ((code = cli_parse_options(&argc, argv, &cmd_pending_usage, &args, 0)) != CLI_PARSED)
		return code;
	if (argc != 0)
		return cli_usage_error("pending", _("unexpected argument '%s'"), argv[0]);
	if (!args.fy)
		return cli_usage_error("pending", _("which fiscal year? give --fy"));
	if (!(params = cli_audit_params((const char *const[][2]){
		      {"fy", args.fy}, {"since", args.since}, {"rev", args.at}, {NULL, NULL}}))) {
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	if ((code = cli_query(&result, ctx, "plan.pending", params)) != EXIT_OK)
		return code;
	if (args.json) {
		code = json_array_size(json_object_get(result, "departments")) ? EXIT_NO : EXIT_OK;
		return cli_audit_json(result) == EXIT_OK ? code : EXIT_FAIL;
	}
	settings = cli_audit_settings(ctx);
	cli_pager_start();
	code = render(result, settings);
	json_decref(settings);
	json_decref(result);
	return code;
}
