/*
 * cmd_log.c - keikaku log: the audit trail, one line per changed field.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "client.h"
#include "pager.h"
#include "plan.h"

typedef struct log_args {
	const char *item, *file, *dept, *author, *fy, *field, *since, *until, *at, *max_count;
	int json;
} log_args;

static const cli_option log_options[] = {
	CLI_OPT_STRING(0, "item", log_args, item, "ID", N_("only changes to item ID")),
	CLI_OPT_STRING(0, "file", log_args, file, "FILE",
		       N_("only changes to keikaku.json, departments.json or plan.json")),
	CLI_OPT_STRING(0, "dept", log_args, dept, "D", N_("only changes made for department D")),
	CLI_OPT_STRING(0, "author", log_args, author, "U",
		       N_("only changes by U (login, name or e-mail)")),
	CLI_OPT_STRING(0, "fy", log_args, fy, "Y",
		       N_("only changes to fiscal year Y's fields (2021, R3, 令和3年度)")),
	CLI_OPT_STRING(0, "field", log_args, field, "PATH",
		       N_("only this field and those below it (years.2021.progress); a year's "
			  "field without 'years.' (progress) in every year")),
	CLI_OPT_STRING(0, "since", log_args, since, "D",
		       N_("only changes made on or after D (YYYY-MM-DD or a revision)")),
	CLI_OPT_STRING(0, "until", log_args, until, "D", N_("only changes made on or before D")),
	CLI_OPT_STRING(0, "at", log_args, at, "REV",
		       N_("the history of REV (default HEAD; also @DATE and fy2021)")),
	CLI_OPT_STRING('n', "max-count", log_args, max_count, "N", N_("only the newest N entries")),
	CLI_OPT_BOOL(0, "json", log_args, json, N_("print the entries as JSON")),
	CLI_OPT_END(),
};

static const char *const log_synopsis[] = {
	"keikaku log [--item ID] [--file FILE] [--dept D] [--author U] [--fy Y] [--field PATH] "
	"[--since D] [--until D] [--at REV] [-n N] [--json]",
	NULL,
};

const cli_usage cmd_log_usage = {
	.name = "log",
	.summary = N_("show who changed which field, when and why"),
	.synopsis = log_synopsis,
	.description = N_("Shows who changed which field, when and why, newest first."),
	.options = log_options,
};

/* history.log's parameters for the options given; NULL when out of memory. */
static json_t *log_params(const log_args *a, json_int_t id)
{
	const char *const filters[][2] = {
		{"file", a->file},   {"department", a->dept}, {"author", a->author},
		{"fy", a->fy},	     {"field", a->field},     {"since", a->since},
		{"until", a->until}, {"rev", a->at},	      {NULL, NULL},
	};
	json_t *params = cli_audit_params(filters);

	if (params && a->item && json_object_set_new(params, "item", json_integer(id)) < 0) {
		json_decref(params);
		return NULL;
	}
	return params;
}

/* The number of -n N: a positive integer; returns 0 or -1. */
static int parse_count(size_t *out, const char *text)
{
	unsigned long long n;
	char *end;

	if (!text || text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno || *end || n == 0 || n > SIZE_MAX)
		return -1;
	*out = (size_t)n;
	return 0;
}

int cmd_log(cli_ctx *ctx, int argc, char **argv)
{
	json_t *params, *result = NULL, *settings, *entries;
	log_args args = {0};
	json_int_t id = 0;
	size_t max = 0;
	int code;

	if ((code = cli_parse_options(&argc, argv, &cmd_log_usage, &args, 0)) != CLI_PARSED)
		return code;
	if (args.item && cli_parse_item_id(&id, args.item) < 0)
		return cli_usage_error("log", _("'%s' is not an item number"), args.item);
	if (args.max_count && parse_count(&max, args.max_count) < 0)
		return cli_usage_error("log", _("-n takes a positive number, not '%s'"),
				       args.max_count);
	if (argc != 0)
		return cli_usage_error("log", _("unexpected argument '%s'"), argv[0]);
	if (!(params = log_params(&args, id))) {
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	/* N entries are within those of the newest N commits: the walk stops there. */
	if (max && json_object_set_new(params, "max_commits", json_integer((json_int_t)max)) < 0) {
		json_decref(params);
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	if ((code = cli_query(&result, ctx, "history.log", params)) != EXIT_OK)
		return code;
	/* The entries are newest first: the newest N are the first N. */
	entries = json_object_get(result, "entries");
	while (max && json_array_size(entries) > max)
		json_array_remove(entries, json_array_size(entries) - 1);
	if (args.json)
		return cli_audit_json(result);
	settings = cli_audit_settings(ctx);
	cli_pager_start();
	cli_audit_log(stdout, json_object_get(result, "entries"), settings);
	json_decref(settings);
	json_decref(result);
	return EXIT_OK;
}
