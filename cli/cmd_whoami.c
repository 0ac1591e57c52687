/*
 * cmd_whoami.c - keikaku whoami: who keikakud takes the caller for.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"

static const char *const whoami_synopsis[] = {"keikaku whoami [--json]", NULL};

const cli_usage cmd_whoami_usage = {
	.name = "whoami",
	.summary = N_("show who keikakud takes you for"),
	.synopsis = whoami_synopsis,
	.description = N_("Shows who keikakud takes you for: your login and name, the departments "
			  "you act for and whether you administer the plan."),
	.options = cli_simple_query_options,
};

static void row(const char *label, const char *value, size_t width)
{
	render_padded(stdout, label, width + 2);
	puts(value ? value : "?");
}

int cmd_whoami(cli_ctx *ctx, int argc, char **argv)
{
	const char *labels[] = {_("user"), _("name"), _("departments"), _("admin")};
	json_t *result = NULL, *v;
	char *departments = NULL;
	size_t width = 0, size = 0, i;
	int code;
	FILE *m;

	if ((code = cli_simple_query(&result, ctx, &cmd_whoami_usage, "whoami", argc, argv)) >= 0)
		return code;
	if (!(m = open_memstream(&departments, &size))) {
		json_decref(result);
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	json_array_foreach(json_object_get(result, "departments"), i, v)
		if (json_is_string(v))
			fprintf(m, "%s%s", i ? "、" : "", json_string_value(v));
	if (fclose(m) != 0) {
		free(departments);
		json_decref(result);
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	for (i = 0; i < sizeof(labels) / sizeof(*labels); i++)
		if (render_width(labels[i]) > width)
			width = render_width(labels[i]);
	row(labels[0], json_string_value(json_object_get(result, "user")), width);
	row(labels[1], json_string_value(json_object_get(result, "name")), width);
	row(labels[2], *departments ? departments : _("(none)"), width);
	row(labels[3], json_is_true(json_object_get(result, "admin")) ? _("yes") : _("no"), width);
	free(departments);
	json_decref(result);
	return EXIT_OK;
}
