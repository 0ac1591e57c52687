/*
 * cmd_submit.c - keikaku submit: changes to several items from a file, as one
 * commit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "json.h"
#include "plan.h"

#define SUBMIT_MAX (4u * 1024u * 1024u)

typedef struct submit_args {
	int dry_run;
} submit_args;

static const cli_option submit_options[] = {
	CLI_OPT_BOOL(0, "dry-run", submit_args, dry_run,
		     N_("check the changes and show them; commit nothing")),
	CLI_OPT_END(),
};

static const char *const submit_synopsis[] = {"keikaku submit FILE [--dry-run]", NULL};

const cli_usage cmd_submit_usage = {
	.name = "submit",
	.summary = N_("submit changes to several items at once"),
	.synopsis = submit_synopsis,
	.description = N_("Submits changes to several items as one commit.  FILE ('-': standard "
			  "input) holds a JSON object:\n"
			  "\n"
			  "  {\"reason\": \"why\", \"base\": \"COMMIT\",\n"
			  "   \"items\": [{\"id\": 26, \"patch\": {\"years\": {\"2021\": "
			  "{\"progress\": \"behind\"}}}}]}\n"
			  "\n"
			  "Each patch is a JSON Merge Patch of the item (null removes a member).  "
			  "\"reason\" and \"base\" (the commit the patches were made against) may "
			  "be left out; without a base, the current head is used."),
	.options = submit_options,
};

static int bad(const char *file, const char *pointer, const char *message)
{
	cli_error("%s: %s: %s", file, pointer, message);
	return -1;
}

/* Checks the submission's shape, so that mistakes are found before keikakud sees them. */
static int check_submission(const char *file, const json_t *doc)
{
	const json_t *items = json_object_get(doc, "items"), *v;
	const char *key;
	char pointer[64];
	size_t i;

	if (!json_is_object(doc))
		return bad(file, "/", _("must be an object with \"items\""));
	json_object_foreach((json_t *)doc, key, v) {
		if (strcmp(key, "reason") == 0) {
			if (!json_is_string(v))
				return bad(file, "/reason", _("must be a string"));
		} else if (strcmp(key, "base") == 0) {
			if (!cli_is_commit_id(json_string_value(v)))
				return bad(file, "/base", _("must be a commit id (40 hex digits)"));
		} else if (strcmp(key, "items") != 0) {
			cli_error(_("%s: unknown member '%s' (expected reason, base, items)"), file,
				  key);
			return -1;
		}
	}
	if (!json_is_array(items) || json_array_size(items) == 0)
		return bad(file, "/items", _("must be a non-empty array"));
	json_array_foreach(items, i, v) {
		const json_t *id = json_object_get(v, "id");
		const char *member;
		json_t *m;

		snprintf(pointer, sizeof(pointer), "/items/%zu", i);
		if (!json_is_object(v))
			return bad(file, pointer, _("must be an object with \"id\" and \"patch\""));
		json_object_foreach((json_t *)v, member, m)
			if (strcmp(member, "id") != 0 && strcmp(member, "patch") != 0) {
				cli_error(_("%s: %s: unknown member '%s' (expected id, patch)"),
					  file, pointer, member);
				return -1;
			}
		if (!json_is_integer(id) || json_integer_value(id) < 1 ||
		    json_integer_value(id) > KK_ITEM_ID_MAX) {
			snprintf(pointer, sizeof(pointer), "/items/%zu/id", i);
			return bad(file, pointer, _("must be an item id (1 to 99999)"));
		}
		if (!json_is_object(json_object_get(v, "patch"))) {
			snprintf(pointer, sizeof(pointer), "/items/%zu/patch", i);
			return bad(file, pointer, _("must be an object (a JSON Merge Patch)"));
		}
		for (size_t j = 0; j < i; j++)
			if (json_integer_value(json_object_get(json_array_get(items, j), "id")) ==
			    json_integer_value(id)) {
				cli_error(_("%s: %s: item %lld is already in /items/%zu"), file,
					  pointer, (long long)json_integer_value(id), j);
				return -1;
			}
	}
	return 0;
}

static int load(json_t **out, const char *file)
{
	kk_json_limits limits = {SUBMIT_MAX, 0};
	kk_diag diag = {0};
	int error;

	if (strcmp(file, "-") == 0) {
		char *buf = malloc(SUBMIT_MAX + 1);
		size_t len = 0, n;

		if (!buf) {
			cli_error("%s", _("out of memory"));
			return -1;
		}
		while ((n = fread(buf + len, 1, SUBMIT_MAX + 1 - len, stdin)) > 0)
			len += n;
		if (ferror(stdin)) {
			cli_error(_("cannot read '%s': %s"), "-", strerror(errno));
			free(buf);
			return -1;
		}
		error = kk_json_parse(out, buf, len, &limits, &diag);
		free(buf);
	} else {
		error = kk_json_load_file(out, file, &limits, &diag);
	}
	if (error < 0) {
		kk_diag_set_path(&diag, file);
		cli_error_diag(&diag);
		return -1;
	}
	return 0;
}

int cmd_submit(cli_ctx *ctx, int argc, char **argv)
{
	json_t *doc = NULL, *settings = NULL, *params = NULL, *result = NULL;
	submit_args args = {0};
	char base[41], at[41];
	const char *file;
	cli_view view;
	int code;

	if ((code = cli_parse_options(&argc, argv, &cmd_submit_usage, &args, 0)) != CLI_PARSED)
		return code;
	code = EXIT_USAGE;
	if (argc != 1)
		return cli_usage_error("submit", _("expected one file"));
	file = argv[0];
	if (load(&doc, file) < 0 || check_submission(file, doc) < 0)
		goto done;

	if (json_object_get(doc, "base"))
		memcpy(base, json_string_value(json_object_get(doc, "base")), 41);
	else if ((code = cli_current_head(base, ctx->client)) != EXIT_OK)
		goto done;
	/* keikaku.json only names the fiscal years in what is printed. */
	if ((code = cli_plan_get(&settings, at, ctx->client, KK_PATH_SETTINGS, base)) != EXIT_OK)
		goto done;
	if (!(params = json_pack("{s:s, s:O}", "base", base, "items",
				 json_object_get(doc, "items"))) ||
	    cli_write_params(params, json_string_value(json_object_get(doc, "reason")),
			     args.dry_run) < 0) {
		code = EXIT_FAIL;
		goto done;
	}
	view = (cli_view){settings, NULL};
	code = cli_write(&result, ctx->client, "plan.submit", params, &view, NULL);
	params = NULL; /* taken by cli_write() */
	if (code == EXIT_OK)
		code = cli_print_write_result(result, args.dry_run, NULL, &view);
done:
	json_decref(doc);
	json_decref(settings);
	json_decref(params);
	json_decref(result);
	return code;
}
