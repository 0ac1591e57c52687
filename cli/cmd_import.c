/*
 * cmd_import.c - keikaku import: a progress report as the plan, through keikakud.
 *
 * Reads a progress report exported from a spreadsheet (core/import/import.h) and
 * has keikakud commit the whole plan it describes - keikaku.json,
 * departments.json, plan.json and every item - as one commit by an admin.
 * The report is read here, so every row that cannot be placed is shown
 * before anything is sent.  `keikaku init PATH --import FILE` does the same
 * offline, into a new repository.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "import.h"
#include "json.h"
#include "plan.h"

/* The method keikakud imports a whole plan with (docs/protocol.md). */
#define IMPORT_METHOD "plan.import"

typedef struct import_args {
	const char *reason;
	int dry_run;
	cli_import_args read;
} import_args;

static const cli_option import_options[] = {
	CLI_OPT_BOOL(0, "dry-run", import_args, dry_run,
		     N_("show what would be imported; send nothing")),
	CLI_OPT_INCLUDE(import_args, read, cli_import_options),
	CLI_OPT_STRING('m', "message", import_args, reason, "REASON",
		       N_("the reason, for the commit message")),
	CLI_OPT_END(),
};

static const char *const import_synopsis[] = {
	"keikaku import FILE [--dry-run] [--explain] [--corrections FILE] [--force] [-m REASON] "
	"[--title TEXT] [--organisation TEXT] [--admin-department NAME]",
	NULL,
};

const cli_usage cmd_import_usage = {
	.name = "import",
	.summary = N_("import a progress report as the plan"),
	.synopsis = import_synopsis,
	.description = N_("Imports a progress report exported from a spreadsheet (TSV or CSV, "
			  "UTF-8, UTF-16 or Shift_JIS) as the plan: keikaku.json, "
			  "departments.json, plan.json and one item per row, in one commit made by "
			  "keikakud (admin only).  Every row that cannot be imported is shown as "
			  "FILE:ROW: reason, and then nothing is imported.  'keikaku init PATH "
			  "--import FILE' does the same offline, into a new repository."),
	.options = import_options,
};

static size_t count_measures(const json_t *structure, size_t *sections_out)
{
	size_t measures = 0, sections = 0, i, j;
	json_t *p, *s;

	json_array_foreach(json_object_get(structure, "pillars"), i, p) {
		json_array_foreach(json_object_get(p, "sections"), j, s) {
			sections++;
			measures += json_array_size(json_object_get(s, "measures"));
		}
	}
	*sections_out = sections;
	return measures;
}

/* What would be imported: the counts, then one line per item. */
static void print_summary(const kk_import *imp, const char *file)
{
	size_t sections, measures = count_measures(imp->structure, &sections), i, j;
	char year[KK_FY_NAME_MAX], circled[16];
	json_t *item, *v;

	kk_fy_format(year, sizeof(year), imp->settings, imp->year);
	printf(_("'%s': the report on %s (FY%d)\n"), file, year, imp->year);
	printf(_("%zu items, %zu pillars, %zu sections, %zu measures, %zu departments\n"),
	       json_array_size(imp->items),
	       json_array_size(json_object_get(imp->structure, "pillars")), sections, measures,
	       json_array_size(json_object_get(imp->departments, "departments")));
	json_array_foreach(imp->items, i, item) {
		kk_circled_number(circled, sizeof(circled),
				  json_integer_value(json_object_get(item, "measure")));
		printf("  %4" JSON_INTEGER_FORMAT "  %" JSON_INTEGER_FORMAT
		       " (%" JSON_INTEGER_FORMAT ") %s  ",
		       json_integer_value(json_object_get(item, "id")),
		       json_integer_value(json_object_get(item, "pillar")),
		       json_integer_value(json_object_get(item, "section")), circled);
		printf("%s  ", json_string_value(json_object_get(item, "title")));
		json_array_foreach(json_object_get(item, "owners"), j, v)
			printf("%s%s", j ? " " : "", json_string_value(v));
		printf("  %s\n",
		       kk_achievement_label(json_string_value(json_object_get(item, "status"))));
	}
}

/* The template's keikaku.json, for a dry run that asks keikakud nothing. */
static int template_settings(json_t **out)
{
	char *path = NULL;
	kk_diag diag = {0};
	int error;

	if (asprintf(&path, "%s/repo-template/%s", cli_datadir(), KK_PATH_SETTINGS) < 0) {
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	error = kk_json_load_file(out, path, NULL, &diag);
	free(path);
	if (error < 0) {
		cli_error_diag(&diag);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Sends the imported plan to keikakud as one write. */
static int send(cli_ctx *ctx, const kk_import *imp, const char *base, const char *reason,
		const char *file)
{
	json_t *params = NULL, *result = NULL;
	cli_view view = {imp->settings, imp->items};
	cli_rpc_error err = {0};
	char *summary = NULL;
	int outcome, code = EXIT_FAIL;

	params = json_pack("{s:s, s:{s:O, s:O, s:O}, s:O}", "base", base, "files", KK_PATH_SETTINGS,
			   imp->settings, KK_PATH_DEPARTMENTS, imp->departments, KK_PATH_STRUCTURE,
			   imp->structure, "items", imp->items);
	if (!params || cli_write_params(params, reason, 0) < 0) {
		json_decref(params);
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	if ((outcome = cli_call(&result, ctx->client, IMPORT_METHOD, params, &err)) < 0) {
		if (outcome == CLI_CALL_REFUSED && err.code == KK_RPC_EMETHOD) {
			cli_error(_("keikakud cannot import a report (it has no '%s' method); "
				    "use 'keikaku init PATH --import %s' for a new repository"),
				  IMPORT_METHOD, file);
			cli_rpc_error_clear(&err);
			return EXIT_FAIL;
		}
		return cli_call_failed(outcome, &err, &view);
	}
	if (asprintf(&summary,
		     P_("imported %zu item from '%s'", "imported %zu items from '%s'",
			json_array_size(imp->items)),
		     json_array_size(imp->items), file) < 0) {
		cli_error("%s", _("out of memory"));
		goto done;
	}
	code = cli_print_write_result(result, 0, summary, &view);
done:
	free(summary);
	json_decref(result);
	return code;
}

int cmd_import(cli_ctx *ctx, int argc, char **argv)
{
	import_args args = {0};
	kk_import_options opts = {0};
	kk_import *imp = NULL;
	json_t *settings = NULL, *fixes = NULL;
	const char *file, *reason, *corrections;
	char *own_reason = NULL, *fixed = NULL;
	char base[41], at[41];
	int dry_run, explain, code;

	if ((code = cli_parse_options(&argc, argv, &cmd_import_usage, &args, 0)) != CLI_PARSED)
		return code;
	if (argc != 1)
		return cli_usage_error("import", _("expected one file"));
	file = argv[0];
	reason = args.reason;
	dry_run = args.dry_run;
	explain = args.read.explain;
	corrections = args.read.corrections;
	cli_import_args_apply(&opts, &args.read);

	/* The plan's own settings (eras, phases, title) are where the import starts. */
	if (dry_run || explain)
		code = template_settings(&settings);
	else if ((code = cli_current_head(base, ctx->client)) == EXIT_OK)
		code = cli_plan_get(&settings, at, ctx->client, KK_PATH_SETTINGS, base);
	if (code != EXIT_OK)
		goto done;
	opts.settings = settings;
	if ((code = cli_import_corrections(&fixes, corrections)) != EXIT_OK)
		goto done;
	opts.corrections = fixes;
	opts.corrections_name = corrections;
	if (explain && !(opts.explain = json_array())) {
		cli_error("%s", _("out of memory"));
		code = EXIT_FAIL;
		goto done;
	}
	if ((code = cli_import_read(&imp, file, &opts, 0)) != EXIT_OK || explain)
		goto done;
	if (dry_run) {
		print_summary(imp, file);
		printf("%s\n", _("dry run: nothing imported"));
		code = EXIT_OK;
		goto done;
	}
	if (!reason) {
		/* Creating withdrawn items needs a reason: say where the plan came from. */
		const char *name = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;

		if (asprintf(&own_reason, _("imported from the progress report '%s'"), name) < 0) {
			cli_error("%s", _("out of memory"));
			code = EXIT_FAIL;
			goto done;
		}
		reason = own_reason;
	}
	if (json_array_size(imp->corrected)) {
		/* What the corrections file set or skipped goes on record with the reason. */
		char *text = cli_import_corrections_text(imp->corrected, corrections);

		if (!text || asprintf(&fixed, "%s\n\n%s", reason, text) < 0) {
			free(text);
			cli_error("%s", _("out of memory"));
			code = EXIT_FAIL;
			goto done;
		}
		free(text);
		reason = fixed;
	}
	code = send(ctx, imp, base, reason, file);
done:
	free(own_reason);
	free(fixed);
	json_decref(fixes);
	json_decref(opts.explain);
	kk_import_free(imp);
	json_decref(settings);
	return code;
}
