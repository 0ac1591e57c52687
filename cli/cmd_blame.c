/*
 * cmd_blame.c - keikaku blame ID: each field's last change.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "client.h"
#include "plan.h"

static void usage(FILE *out)
{
	fprintf(out, _("usage: keikaku blame ID [--at REV] [--json]\n\n"
		       "Shows, for every field of item ID, the commit, author, department, time\n"
		       "and reason of its last change.\n\n"
		       "  --at REV   the item as of REV (default HEAD; also @DATE and fy2021)\n"
		       "  --json     print the answer as JSON\n"));
}

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
	static const struct option options[] = {
		{"at", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	json_t *params, *result = NULL, *settings;
	const char *at = NULL;
	int json = 0, c, code;
	json_int_t id;

	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case 'r': at = optarg; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: return cli_bad_option("blame", c, argv);
		}
	}
	if (optind == argc)
		return cli_usage_error("blame", _("which item? give its number"));
	if (argc - optind > 1)
		return cli_usage_error("blame", _("unexpected argument '%s'"), argv[optind + 1]);
	if (cli_parse_item_id(&id, argv[optind]) < 0)
		return cli_usage_error("blame", _("'%s' is not an item number"), argv[optind]);
	params = json_pack("{s:I}", "id", id);
	if (params && at)
		json_object_set_new(params, "rev", json_string(at));
	if ((code = cli_query(&result, ctx, "history.blame", params)) != EXIT_OK)
		return code;
	if (json)
		return cli_audit_json(result);
	settings = cli_audit_settings(ctx);
	render(result, settings);
	json_decref(settings);
	json_decref(result);
	return EXIT_OK;
}
