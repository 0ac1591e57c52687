/*
 * cmd_pending.c - keikaku pending --fy Y: the items their owners have not
 * updated in the reporting period, by department.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "client.h"
#include "plan.h"

static void usage(FILE *out)
{
	fprintf(out, _("usage: keikaku pending --fy Y [--since D] [--at REV] [--json]\n\n"
		       "Lists the open items whose owners have not updated fiscal year Y's fields\n"
		       "in the reporting period, grouped by department.  The period starts when\n"
		       "year Y was opened: whatever the owners reported on it since counts.\n\n"
		       "  --fy Y      the fiscal year (2021, R3, 令和3年度)\n"
		       "  --since D   the period starts at D instead (YYYY-MM-DD or a revision)\n"
		       "  --at REV    the plan as of REV (default HEAD)\n"
		       "  --json      print the answer as JSON\n"
		       "\nexit codes: 0 nothing pending, 1 items pending\n"));
}

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
	char name[64], start[32], at[32];
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
	static const struct option options[] = {
		{"fy", required_argument, NULL, 'y'}, {"since", required_argument, NULL, 's'},
		{"at", required_argument, NULL, 'r'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0},
	};
	json_t *params = json_object(), *result = NULL, *settings;
	int json = 0, c, code;

	if (!params) {
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case 'y': json_object_set_new(params, "fy", json_string(optarg)); break;
		case 's': json_object_set_new(params, "since", json_string(optarg)); break;
		case 'r': json_object_set_new(params, "rev", json_string(optarg)); break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); json_decref(params); return EXIT_OK;
		default: json_decref(params); return cli_bad_option("pending", c, argv);
		}
	}
	if (optind != argc) {
		json_decref(params);
		return cli_usage_error("pending", _("unexpected argument '%s'"), argv[optind]);
	}
	if (!json_object_get(params, "fy")) {
		json_decref(params);
		return cli_usage_error("pending", _("which fiscal year? give --fy"));
	}
	if ((code = cli_query(&result, ctx, "plan.pending", params)) != EXIT_OK)
		return code;
	if (json) {
		code = json_array_size(json_object_get(result, "departments")) ? EXIT_NO : EXIT_OK;
		return cli_audit_json(result) == EXIT_OK ? code : EXIT_FAIL;
	}
	settings = cli_audit_settings(ctx);
	code = render(result, settings);
	json_decref(settings);
	json_decref(result);
	return code;
}
