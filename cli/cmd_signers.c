/*
 * cmd_signers.c - keikaku signers: the plan's allowed signers file
 * (allowed_signers, docs/signing.md), replaced by an admin with a reason,
 * as any other plan change.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "plan.h"

/* Far more than any list of keys: a file this long is some other file. */
#define SIGNERS_MAX (256u * 1024u)

typedef struct signers_args {
	const char *reason;
	int dry_run;
} signers_args;

static const cli_option signers_options[] = {
	CLI_OPT_STRING('m', "message", signers_args, reason, "REASON",
		       N_("why (goes into the commit message)")),
	CLI_OPT_DRY_RUN(signers_args, dry_run),
	CLI_OPT_END(),
};

static const char *const signers_synopsis[] = {"keikaku signers FILE [-m REASON] [--dry-run]",
					       NULL};

const cli_usage cmd_signers_usage = {
	.name = "signers",
	.summary = N_("replace the plan's allowed signers"),
	.synopsis = signers_synopsis,
	.description = N_("Replaces allowed_signers, the keys that may sign the plan's commits and "
			  "tags (git's allowed signers format, one key a line), with FILE ('-': "
			  "standard input): to add a key, or to retire one with valid-before.  "
			  "The plan's administrators only, with a reason.  keikakud adds its own "
			  "key by itself, and refuses a file that would stop that key from signing "
			  "now.  Prints the lines added and removed."),
	.options = signers_options,
};

/* Reads FILE ('-': standard input) whole; NULL after saying why. */
static char *read_text(const char *file)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f) {
		cli_error(_("cannot read '%s': %s"), file, strerror(errno));
		return NULL;
	}
	if (!(buf = malloc(SIGNERS_MAX + 1))) {
		cli_error("%s", _("out of memory"));
		goto done;
	}
	len = fread(buf, 1, SIGNERS_MAX + 1, f);
	if (ferror(f)) {
		cli_error(_("cannot read '%s': %s"), file, strerror(errno));
		free(buf);
		buf = NULL;
	} else if (len > SIGNERS_MAX || memchr(buf, '\0', len)) {
		cli_error(_("'%s' is no allowed signers file: it is over %u bytes, or not text"),
			  file, SIGNERS_MAX);
		free(buf);
		buf = NULL;
	} else {
		buf[len] = '\0';
	}
done:
	if (f != stdin)
		fclose(f);
	return buf;
}

/* Whether `text` has the line `line` (`n` bytes, without its newline). */
static int has_line(const char *text, const char *line, size_t n)
{
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");

		if (len == n && memcmp(p, line, n) == 0)
			return 1;
		p += len + (p[len] == '\n');
	}
	return 0;
}

/* Prints the lines of `a` that `b` lacks, each after `mark`; returns how many. */
static size_t print_missing(FILE *out, const char *a, const char *b, const char *mark)
{
	size_t count = 0;

	for (const char *p = a; *p;) {
		size_t len = strcspn(p, "\n");

		if (len && !has_line(b, p, len)) {
			fprintf(out, "  %s %.*s\n", mark, (int)len, p);
			count++;
		}
		p += len + (p[len] == '\n');
	}
	return count;
}

/* "allowed_signers:" and the lines the change adds (+) and removes (-); malloc'd. */
static char *change_summary(const json_t *result)
{
	const json_t *c = json_array_get(json_object_get(result, "changes"), 0);
	const char *old = json_string_value(json_object_get(c, "old"));
	const char *new = json_string_value(json_object_get(c, "new"));
	char *out = NULL;
	size_t size = 0;
	FILE *m;

	if (!new || !(m = open_memstream(&out, &size)))
		return NULL;
	fprintf(m, "%s:\n", KK_PATH_SIGNERS);
	print_missing(m, old ? old : "", new, "-");
	print_missing(m, new, old ? old : "", "+");
	fclose(m);
	if (out && size)
		out[size - 1] = '\0'; /* puts() adds the last newline */
	return out;
}

int cmd_signers(cli_ctx *ctx, int argc, char **argv)
{
	signers_args args = {0};
	char base[41], *text = NULL, *summary = NULL;
	json_t *params = NULL, *result = NULL;
	int code;

	if ((code = cli_parse_options(&argc, argv, &cmd_signers_usage, &args, 0)) != CLI_PARSED)
		return code;
	if (argc != 1)
		return argc ? cli_usage_error("signers", _("unexpected argument '%s'"), argv[1])
			    : cli_usage_error("signers", _("missing FILE"));
	if (!(text = read_text(argv[0])))
		return EXIT_USAGE;
	if ((code = cli_current_head(base, ctx->client)) != EXIT_OK)
		goto done;
	if (!(params = json_pack("{s:s, s:{s:s}}", "base", base, "files", KK_PATH_SIGNERS, text))) {
		cli_error(_("'%s' is not UTF-8 text"), argv[0]);
		code = EXIT_USAGE;
		goto done;
	}
	if (cli_write_params(params, args.reason, args.dry_run) < 0) {
		json_decref(params);
		code = EXIT_FAIL;
		goto done;
	}
	code = cli_write(&result, ctx->client, "plan.update", params, NULL, NULL);
	if (code == EXIT_OK) {
		summary = json_array_size(json_object_get(result, "changes")) ? change_summary(result)
									       : NULL;
		code = cli_print_write_result(result, args.dry_run, summary, NULL);
	}
done:
	free(summary);
	free(text);
	json_decref(result);
	return code;
}
