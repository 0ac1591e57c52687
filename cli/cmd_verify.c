/*
 * cmd_verify.c - keikaku verify [--at REV | --all-history]
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "history.h"
#include "revision.h"
#include "verify.h"

static void usage(FILE *out)
{
	fprintf(out,
		_("usage: keikaku verify [--at REV | --all-history]\n\n"
		  "Checks every file of the plan: each validates against the repository's\n"
		  "own schema and is in canonical form, item ids match file names, owners and\n"
		  "related departments exist in departments.json, and each item's pillar,\n"
		  "section and measure exist in plan.json; and no commit changed a closed\n"
		  "fiscal year without being marked as a correction.  Prints one line per\n"
		  "problem and exits 1 if there are any.\n\n"
		  "  --at REV        check the plan at REV instead of HEAD\n"
		  "  --all-history   check every commit reachable from HEAD; a problem is\n"
		  "                  reported once, at the commit that introduced it\n"));
}

static void print_problems(const kk_diaglist *problems, const char *commit)
{
	for (size_t i = 0; i < problems->count; i++) {
		const kk_diag *d = &problems->items[i];

		if (commit)
			printf("%s ", commit);
		printf("%s: %s: %s\n", d->path, d->pointer[0] ? d->pointer : "/", d->message);
	}
}

/* Changes to closed fiscal years that were not corrections, on the chain of `tip`. */
static int verify_closed_years(kk_store *store, const git_oid *tip, size_t *problems_out)
{
	kk_history *history = NULL;
	kk_diaglist problems = {0};
	kk_diag diag = {0};
	int error;

	if ((error = kk_history_open(&history, store, tip, 1, &diag)) == 0)
		error = kk_history_check_closed(history, &problems, &diag);
	if (error < 0)
		cli_error_diag(&diag);
	else
		print_problems(&problems, NULL);
	*problems_out += problems.count;
	kk_diaglist_free(&problems);
	kk_history_free(history);
	return error;
}

static int verify_commit(kk_verifier *v, kk_store *store, const git_oid *commit, int only_new,
			 int show_commit, size_t *problems_out, size_t *files_out)
{
	kk_fileset files = {0};
	kk_diaglist problems = {0};
	kk_diag diag = {0};
	char hex[GIT_OID_HEXSZ + 1];
	int error;

	git_oid_tostr(hex, 11, commit);
	if ((error = kk_store_read_all(&files, store, commit, &diag)) == 0)
		error = kk_verifier_check(v, &files, only_new, &problems, &diag);
	if (error < 0) {
		cli_error_diag(&diag);
	} else {
		print_problems(&problems, show_commit ? hex : NULL);
		*problems_out += problems.count;
		*files_out = files.count;
	}
	kk_diaglist_free(&problems);
	kk_fileset_free(&files);
	return error;
}

int cmd_verify(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option options[] = {
		{"at", required_argument, NULL, 'a'},
		{"all-history", no_argument, NULL, 'A'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *rev = NULL;
	int all = 0, c, code = EXIT_FAIL;
	kk_verifier *v = NULL;
	git_revwalk *walk = NULL;
	size_t problems = 0, files = 0, commits = 0;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid oid, tip;

	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		switch (c) {
		case 'a': rev = optarg; break;
		case 'A': all = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: return cli_bad_option("verify", c, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("verify", _("unexpected argument '%s'"), argv[optind]);
	/* Unlike the other reads, verify hashes every object it reads again. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
	if (all && rev)
		return cli_usage_error("verify", _("--at and --all-history cannot be combined"));
	if ((c = cli_resolve(&oid, ctx, rev)) != EXIT_OK)
		return c;
	tip = oid;
	if (kk_verifier_new(&v) < 0) {
		cli_error("%s", _("cannot set up the schema validator"));
		return EXIT_FAIL;
	}
	if (!all) {
		if (verify_commit(v, ctx->store, &oid, 0, 0, &problems, &files) < 0 ||
		    verify_closed_years(ctx->store, &oid, &problems) < 0)
			goto done;
		git_oid_tostr(hex, 11, &oid);
		if (problems)
			fprintf(stderr,
				P_("%zu problem in %zu files at %s\n",
				   "%zu problems in %zu files at %s\n", problems),
				problems, files, hex);
		else
			printf(_("no problems in %zu files at %s\n"), files, hex);
		code = problems ? EXIT_NO : EXIT_OK;
		goto done;
	}

	/* Oldest first, so that each problem is reported where it was introduced. */
	if (git_revwalk_new(&walk, kk_store_repository(ctx->store)) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_push(walk, &oid) < 0) {
		cli_error("%s", _("cannot walk the history"));
		goto done;
	}
	while (git_revwalk_next(&oid, walk) == 0) {
		if (verify_commit(v, ctx->store, &oid, 1, 1, &problems, &files) < 0)
			goto done;
		commits++;
	}
	if (verify_closed_years(ctx->store, &tip, &problems) < 0)
		goto done;
	if (problems)
		fprintf(stderr,
			P_("%zu problem in %zu commits\n", "%zu problems in %zu commits\n",
			   problems),
			problems, commits);
	else
		printf(P_("no problems in %zu commit\n", "no problems in %zu commits\n", commits),
		       commits);
	code = problems ? EXIT_NO : EXIT_OK;
done:
	git_revwalk_free(walk);
	kk_verifier_free(v);
	return code;
}
