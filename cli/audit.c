/*
 * audit.c - what the audit commands (log, blame, schedule, pending) share:
 * the plan's settings for naming fiscal years, and a commit's line.
 */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "client.h"
#include "json.h"
#include "plan.h"

json_t *cli_audit_settings(cli_ctx *ctx)
{
	json_t *settings = NULL;

	if (ctx->store) {
		git_oid head;
		char *data = NULL;
		size_t len = 0;

		if (kk_store_resolve(&head, ctx->store, NULL, NULL) == 0 &&
		    kk_store_read(&data, &len, ctx->store, &head, KK_PATH_SETTINGS, NULL) == 0)
			kk_json_parse(&settings, data, len, NULL, NULL);
		free(data);
	} else {
		char commit[41];

		/* Without the settings, years are named by number: not worth failing for. */
		if (cli_plan_get(&settings, commit, ctx->client, KK_PATH_SETTINGS, NULL) != EXIT_OK)
			settings = NULL;
	}
	return settings;
}

json_t *cli_audit_params(const char *const pairs[][2])
{
	json_t *params = json_object();

	for (size_t i = 0; params && pairs[i][0]; i++)
		if (pairs[i][1] &&
		    json_object_set_new(params, pairs[i][0], json_string(pairs[i][1])) < 0) {
			json_decref(params);
			return NULL;
		}
	return params;
}

int cli_audit_json(json_t *result)
{
	int error = json_dumpf(result, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	putchar('\n');
	json_decref(result);
	return error < 0 ? EXIT_FAIL : EXIT_OK;
}

void cli_audit_commit(FILE *out, const json_t *info)
{
	const char *commit = json_string_value(json_object_get(info, "commit"));
	const char *time = json_string_value(json_object_get(info, "time"));
	const char *name = json_string_value(json_object_get(json_object_get(info, "author"), "name"));
	const char *dept = json_string_value(json_object_get(info, "department"));

	fprintf(out, "%.10s %.10s %.5s %s", commit ? commit : "?", time ? time : "?",
		time && strlen(time) > 11 ? time + 11 : "", name ? name : "?");
	if (dept)
		fprintf(out, " (%s)", dept);
	if (json_is_true(json_object_get(info, "correction")))
		fprintf(out, " [%s]", _("correction"));
	fputc('\n', out);
}

void cli_audit_reason(FILE *out, const json_t *info, size_t indent)
{
	const char *reason = json_string_value(json_object_get(info, "reason"));
	const char *label = _("reason: ");
	size_t width = render_columns();

	if (!reason)
		return;
	fprintf(out, "%*s%s", (int)indent, "", label);
	render_wrapped(out, reason, indent + render_width(label), width > 20 ? width : 80, 1);
}

static void print_file_change(FILE *out, const json_t *e)
{
	const json_t *item = json_object_get(e, "item");
	int added = strcmp(json_string_value(json_object_get(e, "file_change")), "added") == 0;

	fputs(added ? "    + " : "    - ", out);
	if (json_is_integer(item))
		fprintf(out, "%03lld %s", (long long)json_integer_value(item),
		       json_string_value(json_object_get(e, "title"))
			       ? json_string_value(json_object_get(e, "title"))
			       : "");
	else
		fputs(json_string_value(json_object_get(e, "file")), out);
	fprintf(out, " (%s)\n", added ? _("added") : _("removed"));
}

/* Prints the entries, one block per commit. */
void cli_audit_log(FILE *out, const json_t *entries, const json_t *settings)
{
	cli_view view = {settings, NULL};
	const json_t *prev = NULL, *e;
	size_t i;

	if (json_array_size(entries) == 0) {
		fprintf(out, "%s\n", _("no changes"));
		return;
	}
	json_array_foreach(entries, i, e) {
		const char *commit = json_string_value(json_object_get(e, "commit"));
		json_t *one;

		if (!prev || strcmp(commit, json_string_value(json_object_get(prev, "commit")))) {
			if (prev) {
				cli_audit_reason(out, prev, 4);
				fputc('\n', out);
			}
			cli_audit_commit(out, e);
		}
		if (strcmp(json_string_value(json_object_get(e, "file_change")), "changed") != 0) {
			/* A new or removed file: one line, not one per field. */
			const char *file = json_string_value(json_object_get(e, "file"));

			if (prev && strcmp(commit, json_string_value(json_object_get(prev, "commit"))) ==
					    0 &&
			    strcmp(file, json_string_value(json_object_get(prev, "file"))) == 0)
				continue;
			print_file_change(out, e);
		} else if ((one = json_pack("[O]", e))) {
			cli_print_changes(out, "    ", one, &view);
			json_decref(one);
		}
		prev = e;
	}
	cli_audit_reason(out, prev, 4);
}
