/*
 * cmd_schedule.c - keikaku schedule: planned against revised schedules.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "client.h"
#include "pager.h"
#include "plan.h"
#include "schedule.h"

typedef struct schedule_args {
	const char *fy, *at;
	int changed, history, json;
} schedule_args;

static const cli_option schedule_options[] = {
	CLI_OPT_STRING(0, "fy", schedule_args, fy, "Y",
		       N_("only fiscal year Y (2021, R3, 令和3年度)")),
	CLI_OPT_BOOL(0, "changed", schedule_args, changed,
		     N_("only the schedules whose revision differs from the plan")),
	CLI_OPT_BOOL(0, "history", schedule_args, history,
		     N_("also list every revision of every schedule")),
	CLI_OPT_AT(schedule_args, at),
	CLI_OPT_JSON(schedule_args, json),
	CLI_OPT_END(),
};

static const char *const schedule_synopsis[] = {
	"keikaku schedule [--fy Y] [--changed] [--history] [--at REV] [--json]",
	NULL,
};

const cli_usage cmd_schedule_usage = {
	.name = "schedule",
	.summary = N_("compare planned and revised schedules"),
	.synopsis = schedule_synopsis,
	.description = N_("Compares each item's planned schedule with its revised one, judged by "
			  "the plan's ordered phases (keikaku.json), and says who last revised "
			  "it."),
	.options = schedule_options,
};

static void text_or_dash(FILE *out, const json_t *v, size_t width)
{
	render_fitted(out, json_is_string(v) ? json_string_value(v) : "—", width);
}

/* A column at least `least` wide, and wider than its heading by a space. */
static size_t column(const char *heading, size_t least)
{
	size_t w = render_width(heading) + 1;

	return w > least ? w : least;
}

static void render(const json_t *result, const json_t *settings)
{
	const size_t id_w = column(_("No."), 4), year_w = column(_("year"), 11), verdict_w = 12;
	size_t cols = render_columns(), text_w;
	const json_t *item, *y;
	size_t i, j;

	if (cols < 60)
		cols = 60;
	text_w = (cols - id_w - year_w - verdict_w - 3) / 2;
	if (json_array_size(json_object_get(result, "items")) == 0) {
		puts(_("no schedules"));
		return;
	}
	render_padded(stdout, _("No."), id_w);
	render_padded(stdout, _("year"), year_w);
	render_padded(stdout, _("planned"), text_w + 1);
	render_padded(stdout, _("revised"), text_w + 1);
	puts(_("verdict"));
	json_array_foreach(json_object_get(result, "items"), i, item) {
		printf("%03lld %s\n", (long long)json_integer_value(json_object_get(item, "id")),
		       json_string_value(json_object_get(item, "title")));
		json_array_foreach(json_object_get(item, "years"), j, y) {
			char name[KK_FY_NAME_MAX];
			const json_t *by = json_object_get(y, "revised_by");

			kk_fy_format(name, sizeof(name), settings,
				     atoi(json_string_value(json_object_get(y, "year"))));
			render_padded(stdout, "", id_w);
			render_fitted(stdout, name, year_w);
			text_or_dash(stdout, json_object_get(y, "planned"), text_w);
			putchar(' ');
			text_or_dash(stdout, json_object_get(y, "revised"), text_w);
			putchar(' ');
			puts(kk_schedule_verdict_text(
				json_string_value(json_object_get(y, "verdict"))));
			if (json_is_object(by) &&
			    strcmp(json_string_value(json_object_get(y, "verdict")), "unchanged") !=
				    0) {
				render_padded(stdout, "", id_w + year_w);
				cli_audit_commit(stdout, by);
				cli_audit_reason(stdout, by, id_w + year_w);
			}
		}
	}
}

int cmd_schedule(cli_ctx *ctx, int argc, char **argv)
{
	json_t *params, *result = NULL, *settings;
	schedule_args args = {0};
	int code;

	if ((code = cli_parse_options(&argc, argv, &cmd_schedule_usage, &args, 0)) != CLI_PARSED)
		return code;
	if (argc != 0)
		return cli_usage_error("schedule", _("unexpected argument '%s'"), argv[0]);
	if (!(params = cli_audit_params(
		      (const char *const[][2]){{"fy", args.fy}, {"rev", args.at}, {NULL, NULL}})) ||
	    (args.changed && json_object_set_new(params, "changed", json_true()) < 0) ||
	    (args.history && json_object_set_new(params, "history", json_true()) < 0)) {
		json_decref(params);
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	if ((code = cli_query(&result, ctx, "plan.schedule", params)) != EXIT_OK)
		return code;
	if (args.json)
		return cli_audit_json(result);
	settings = cli_audit_settings(ctx);
	cli_pager_start();
	render(result, settings);
	if (json_object_get(result, "revisions")) {
		printf("\n%s\n", _("revisions:"));
		cli_audit_log(stdout, json_object_get(result, "revisions"), settings);
	}
	json_decref(settings);
	json_decref(result);
	return EXIT_OK;
}
