/*
 * cmd_log.c - keikaku log: the audit trail, one line per changed field.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "client.h"
#include "plan.h"

static void usage(FILE *out)
{
	fprintf(out, _("usage: keikaku log [--item ID] [--file FILE] [--dept D] [--author U] [--fy Y]\n"
		       "                   [--field PATH] [--since D] [--until D] [--at REV] [--json]\n\n"
		       "Shows who changed which field, when and why, newest first.\n\n"
		       "  --item ID      only changes to item ID\n"
		       "  --file FILE    only changes to keikaku.json, departments.json or plan.json\n"
		       "  --dept D       only changes made for department D\n"
		       "  --author U     only changes by U (login, name or e-mail)\n"
		       "  --fy Y         only changes to fiscal year Y's fields (2021, R3, 令和3年度)\n"
		       "  --field PATH   only this field and those below it (years.2021.progress);\n"
		       "                 a year's field without 'years.' (progress) in every year\n"
		       "  --since D      only changes made on or after D (YYYY-MM-DD or a revision)\n"
		       "  --until D      only changes made on or before D\n"
		       "  --at REV       the history of REV (default HEAD; also @DATE and fy2021)\n"
		       "  --json         print the entries as JSON\n"));
}

static int add(json_t *params, const char *key, json_t *value)
{
	return json_object_set_new(params, key, value);
}
int cmd_log(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{"item", required_argument, NULL, 'i'},	 {"file", required_argument, NULL, 'F'},
		{"dept", required_argument, NULL, 'd'},	 {"author", required_argument, NULL, 'a'},
		{"fy", required_argument, NULL, 'y'},	 {"field", required_argument, NULL, 'f'},
		{"since", required_argument, NULL, 's'}, {"until", required_argument, NULL, 'u'},
		{"at", required_argument, NULL, 'r'},	 {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},	 {NULL, 0, NULL, 0},
	};
	json_t *params = json_object(), *result = NULL, *settings;
	int json = 0, c, code;
	json_int_t id;

	if (!params) {
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		const char *key = NULL;

		switch (c) {
		case 'i':
			if (cli_parse_item_id(&id, optarg) < 0) {
				json_decref(params);
				return cli_usage_error("log", _("'%s' is not an item number"), optarg);
			}
			add(params, "item", json_integer(id));
			break;
		case 'F': key = "file"; break;
		case 'd': key = "department"; break;
		case 'a': key = "author"; break;
		case 'y': key = "fy"; break;
		case 'f': key = "field"; break;
		case 's': key = "since"; break;
		case 'u': key = "until"; break;
		case 'r': key = "rev"; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); json_decref(params); return EXIT_OK;
		default: json_decref(params); return cli_bad_option("log", c, argv);
		}
		if (key)
			add(params, key, json_string(optarg));
	}
	if (optind != argc) {
		json_decref(params);
		return cli_usage_error("log", _("unexpected argument '%s'"), argv[optind]);
	}
	if ((code = cli_query(&result, ctx, "history.log", params)) != EXIT_OK)
		return code;
	if (json)
		return cli_audit_json(result);
	settings = cli_audit_settings(ctx);
	cli_audit_log(stdout, json_object_get(result, "entries"), settings);
	json_decref(settings);
	json_decref(result);
	return EXIT_OK;
}
