/*
 * cmd_verify.c - keikaku verify [--at REV | --all-history]
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		_("usage: keikaku verify [--at REV | --all-history] [--json]\n\n"
		  "Checks every file of the plan: each validates against the repository's\n"
		  "own schema and is in canonical form, item ids match file names, owners and\n"
		  "related departments exist in departments.json, and each item's pillar,\n"
		  "section and measure exist in plan.json; and no commit changed a closed\n"
		  "fiscal year without being marked as a correction.  Prints one line per\n"
		  "problem and exits 1 if there are any.\n\n"
		  "  --at REV        check the plan at REV instead of HEAD\n"
		  "  --all-history   check every commit reachable from HEAD; a problem is\n"
		  "                  reported once, at the commit that introduced it\n"
		  "  --json          print the problems as JSON: {\"commit\", \"files\" or\n"
		  "                  \"commits\", \"problems\": [{\"path\", \"pointer\", \"message\"}]}\n"));
}

/* Prints each problem of plan.verify's result: "[COMMIT ]PATH: POINTER: MESSAGE". */
static void print_problems(const json_t *problems)
{
	const json_t *p;
	size_t i;

	json_array_foreach(problems, i, p) {
		const char *commit = json_string_value(json_object_get(p, "commit"));
		const char *pointer = json_string_value(json_object_get(p, "pointer"));

		if (commit)
			printf("%.10s ", commit);
		printf("%s: %s: %s\n", json_string_value(json_object_get(p, "path")),
		       pointer && *pointer ? pointer : "/",
		       json_string_value(json_object_get(p, "message")));
	}
}

int cmd_verify(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{"at", required_argument, NULL, 'a'},
		{"all-history", no_argument, NULL, 'A'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *rev = NULL;
	char commit[11] = "?";
	int all = 0, json = 0, c, code;
	json_t *params, *result = NULL, *problems;
	size_t count;

	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case 'a': rev = optarg; break;
		case 'A': all = 1; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: return cli_bad_option("verify", c, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("verify", _("unexpected argument '%s'"), argv[optind]);
	if (all && rev)
		return cli_usage_error("verify", _("--at and --all-history cannot be combined"));
	/*
	 * Unlike the other reads, verify on a repository hashes every object it
	 * reads again.  keikakud does not (the option is the whole process's);
	 * `git fsck` checks the objects of its repository.
	 */
	if (ctx->store)
		git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
	params = json_object();
	if (params && rev)
		json_object_set_new(params, "rev", json_string(rev));
	if (params && all)
		json_object_set_new(params, "all_history", json_true());
	if ((code = cli_query(&result, ctx, "plan.verify", params)) != EXIT_OK)
		return code;
	problems = json_object_get(result, "problems");
	count = json_array_size(problems);
	if (json_is_string(json_object_get(result, "commit")))
		snprintf(commit, sizeof(commit), "%s",
			 json_string_value(json_object_get(result, "commit")));
	if (json) {
		json_dumpf(result, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		size_t files = (size_t)json_integer_value(json_object_get(result, "files"));
		size_t commits = (size_t)json_integer_value(json_object_get(result, "commits"));

		print_problems(problems);
		if (all && count)
			fprintf(stderr,
				P_("%zu problem in %zu commits\n", "%zu problems in %zu commits\n",
				   count),
				count, commits);
		else if (all)
			printf(P_("no problems in %zu commit\n", "no problems in %zu commits\n",
				  commits),
			       commits);
		else if (count)
			fprintf(stderr,
				P_("%zu problem in %zu files at %s\n",
				   "%zu problems in %zu files at %s\n", count),
				count, files, commit);
		else
			printf(_("no problems in %zu files at %s\n"), files, commit);
	}
	json_decref(result);
	return count ? EXIT_NO : EXIT_OK;
}
