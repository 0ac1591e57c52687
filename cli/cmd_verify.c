/*
 * cmd_verify.c - keikaku verify: every file of the plan against the schemas
 * and the plan's rules, at one commit or along the whole history.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct verify_args {
	const char *at;
	int all_history, json, signatures;
	json_t *tags; /* --tag NAME=ID: {"NAME": "ID"} */
} verify_args;

static int add_tag(const cli_option *opt, const char *arg, void *values)
{
	verify_args *args = values;
	const char *eq = strchr(arg, '=');
	char name[256];

	(void)opt;
	if (!eq || eq == arg || !eq[1] || (size_t)(eq - arg) >= sizeof(name))
		return cli_usage_error("verify", _("--tag takes NAME=ID, not '%s'"), arg);
	snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
	if ((!args->tags && !(args->tags = json_object())) ||
	    json_object_set_new(args->tags, name, json_string(eq + 1)) < 0) {
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	return 0;
}

static const cli_option verify_options[] = {
	CLI_OPT_STRING(0, "at", verify_args, at, "REV",
		       N_("check the plan at REV instead of HEAD")),
	CLI_OPT_BOOL(0, "all-history", verify_args, all_history,
		     N_("check every commit reachable from HEAD; a problem is reported once, at "
			"the commit that introduced it")),
	CLI_OPT_CALLBACK(0, "tag", "NAME=ID",
			 N_("check that tag NAME is the object ID, as published when the year was "
			    "closed (repeatable)"),
			 add_tag),
	CLI_OPT_BOOL(0, "signatures", verify_args, signatures,
		     N_("check the signature of every commit and tag since signing began against "
			"the plan's own allowed_signers file")),
	CLI_OPT_BOOL(0, "json", verify_args, json,
		     N_("print the problems as JSON: {\"commit\", \"files\" or \"commits\", "
			"\"problems\": [{\"path\", \"pointer\", \"message\"}], and with "
			"--signatures \"signatures\"}")),
	CLI_OPT_END(),
};

static const char *const verify_synopsis[] = {
	"keikaku verify [--at REV | --all-history] [--tag NAME=ID]... [--signatures] [--json]",
	NULL,
};

const cli_usage cmd_verify_usage = {
	.name = "verify",
	.summary = N_("check every file of the plan"),
	.synopsis = verify_synopsis,
	.description = N_("Checks every file of the plan: each validates against the repository's "
			  "own schema and is in canonical form, item ids match file names, owners "
			  "and related departments exist in departments.json, and each item's "
			  "pillar, section and measure exist in plan.json; and no commit changed a "
			  "closed fiscal year without being marked as a correction; with "
			  "--tag, that each tag is the object its published id names; and, with "
			  "--signatures, that every commit and tag since signing began is signed "
			  "by a key the plan's allowed_signers file allows at its time.  Prints "
			  "one line per problem and exits 1 if there are any."),
	.options = verify_options,
};

/*
 * Prints each problem of plan.verify's result: "[COMMIT ]PATH: POINTER:
 * MESSAGE", or for a signature "commit ID: MESSAGE" and "tag NAME ID: MESSAGE".
 */
static void print_problems(const json_t *problems)
{
	const json_t *p;
	size_t i;

	json_array_foreach(problems, i, p) {
		const char *commit = json_string_value(json_object_get(p, "commit"));
		const char *pointer = json_string_value(json_object_get(p, "pointer"));
		const char *tag = json_string_value(json_object_get(p, "tag"));

		if (json_object_get(p, "signature")) {
			if (tag)
				printf(_("tag %s %s: %s\n"), tag,
				       json_string_value(json_object_get(p, "object")),
				       json_string_value(json_object_get(p, "message")));
			else
				printf(_("commit %s: %s\n"), commit,
				       json_string_value(json_object_get(p, "message")));
			continue;
		}
		if (commit)
			printf("%.10s ", commit);
		printf("%s: %s: %s\n", json_string_value(json_object_get(p, "path")),
		       pointer && *pointer ? pointer : "/",
		       json_string_value(json_object_get(p, "message")));
	}
}

/* With --signatures, what was checked: "signatures: 12 commits and 1 tag since ID". */
static void print_signatures(const json_t *sigs)
{
	const char *since = json_string_value(json_object_get(sigs, "since"));

	if (!since)
		return;
	printf(_("signatures: %lld commits and %lld tags checked since %s\n"),
	       (long long)json_integer_value(json_object_get(sigs, "commits")),
	       (long long)json_integer_value(json_object_get(sigs, "tags")), since);
}

int cmd_verify(cli_ctx *ctx, int argc, char **argv)
{
	verify_args args = {0};
	char commit[11] = "?";
	json_t *params, *result = NULL, *problems;
	size_t count;
	int code;

	if ((code = cli_parse_options(&argc, argv, &cmd_verify_usage, &args, 0)) != CLI_PARSED)
		goto done;
	if (argc != 0) {
		code = cli_usage_error("verify", _("unexpected argument '%s'"), argv[0]);
		goto done;
	}
	if (args.all_history && args.at) {
		code = cli_usage_error("verify", _("--at and --all-history cannot be combined"));
		goto done;
	}
	/*
	 * Unlike the other reads, verify on a repository hashes every object it
	 * reads again.  keikakud does not (the option is the whole process's);
	 * `git fsck` checks the objects of its repository.
	 */
	if (ctx->store)
		git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
	params = json_object();
	if (params && args.at)
		json_object_set_new(params, "rev", json_string(args.at));
	if (params && args.all_history)
		json_object_set_new(params, "all_history", json_true());
	if (params && args.tags)
		json_object_set(params, "tags", args.tags);
	if (params && args.signatures)
		json_object_set_new(params, "signatures", json_true());
	if ((code = cli_query(&result, ctx, "plan.verify", params)) != EXIT_OK)
		goto done;
	problems = json_object_get(result, "problems");
	count = json_array_size(problems);
	if (json_is_string(json_object_get(result, "commit")))
		snprintf(commit, sizeof(commit), "%s",
			 json_string_value(json_object_get(result, "commit")));
	if (args.json) {
		json_dumpf(result, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		size_t files = (size_t)json_integer_value(json_object_get(result, "files"));
		size_t commits = (size_t)json_integer_value(json_object_get(result, "commits"));

		print_problems(problems);
		if (args.all_history && count)
			fprintf(stderr,
				P_("%zu problem in %zu commits\n", "%zu problems in %zu commits\n",
				   count),
				count, commits);
		else if (args.all_history)
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
		print_signatures(json_object_get(result, "signatures"));
	}
	json_decref(result);
	code = count ? EXIT_NO : EXIT_OK;
done:
	json_decref(args.tags);
	return code;
}
