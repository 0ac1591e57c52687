/*
 * cmd_blame.c - keikaku blame ID: each field's last change.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "client.h"
#include "pager.h"
#include "plan.h"

typedef struct blame_args {
	const char *at;
	int json;
} blame_args;

static const cli_option blame_options[] = {
	CLI_OPT_STRING(0, "at", blame_args, at, "REV",
		       N_("the item as it was at REV (default HEAD; also @DATE and fy2021)")),
	CLI_OPT_JSON(blame_args, json),
	CLI_OPT_END(),
};

static const char *const blame_synopsis[] = {"keikaku blame ID [--at REV] [--json]", NULL};

const cli_usage cmd_blame_usage = {
	.name = "blame",
	.summary = N_("show the last change of every field of an item"),
	.synopsis = blame_synopsis,
	.description = N_("Shows, for every field of item ID, the commit, author, department, time "
			  "and reason of its last change."),
	.options = blame_options,
};

/* Like git blame: each field with its commit, then each commit once, with its reason. */
static void render(const json_t *result, const json_t *settings)
{
	cli_view view = {settings, NULL};
	size_t cols = render_columns(), left;
	json_t *seen = json_object();
	const json_t *f;
	size_t i;

	if (cols < 60)
		cols = 60;
	left = cols - 13;
	printf("%03lld %s\n", (long long)json_integer_value(json_object_get(result, "id")),
	       json_string_value(json_object_get(result, "title"))
		       ? json_string_value(json_object_get(result, "title"))
		       : "");
	json_array_foreach(json_object_get(result, "fields"), i, f) {
		char *line = NULL;
		size_t size = 0;
		FILE *m = open_memstream(&line, &size);

		if (!m)
			continue;
		fputs("  ", m);
		cli_print_field(m, json_string_value(json_object_get(f, "path")),
				json_object_get(f, "value"), &view);
		if (fclose(m) == 0 && size) {
			line[size - 1] = '\0'; /* the newline */
			render_fitted(stdout, line, left);
		}
		free(line);
		printf(" %.10s\n", json_string_value(json_object_get(f, "commit")));
		if (seen)
			json_object_set(seen, json_string_value(json_object_get(f, "commit")),
					(json_t *)f);
	}
	putchar('\n');
	/* The commits, oldest first. */
	while (seen && json_object_size(seen)) {
		const char *key, *oldest = NULL;
		json_t *v, *pick = NULL;

		json_object_foreach(seen, key, v) {
			if (!pick || json_integer_value(json_object_get(v, "timestamp")) <
					     json_integer_value(json_object_get(pick, "timestamp"))) {
				pick = v;
				oldest = key;
			}
		}
		cli_audit_commit(stdout, pick);
		cli_audit_reason(stdout, pick, 4);
		json_object_del(seen, oldest);
	}
	json_decref(seen);
}

int cmd_blame(cli_ctx *ctx, int argc, char **argv)
{
	json_t *params, *result = NULL, *settings;
	blame_args args = {0};
	json_int_t id;
	int code;

	if ((code = cli_parse_options(&argc, argv, &cmd_blame_usage, &args, 0)) != CLI_PARSED)
		return code;
	if (argc == 0)
		return cli_usage_error("blame", _("which item? give its number"));
	if (argc > 1)
		return cli_usage_error("blame", _("unexpected argument '%s'"), argv[1]);
	if (cli_parse_item_id(&id, argv[0]) < 0)
		return cli_usage_error("blame", _("'%s' is not an item number"), argv[0]);
	params = json_pack("{s:I}", "id", id);
	if (params && args.at)
		json_object_set_new(params, "rev", json_string(args.at));
	if ((code = cli_query(&result, ctx, "history.blame", params)) != EXIT_OK)
		return code;
	if (args.json)
		return cli_audit_json(result);
	settings = cli_audit_settings(ctx);
	cli_pager_start();
	render(result, settings);
	json_decref(settings);
	json_decref(result);
	return EXIT_OK;
}
