/*
 * cmd_fmt.c - keikaku fmt: plan files rewritten in canonical form.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "canon.h"
#include "cli.h"
#include "json.h"
#include "plan.h"

typedef struct fmt_args {
	int check, json;
} fmt_args;

static const cli_option fmt_options[] = {
	CLI_OPT_BOOL(0, "check", fmt_args, check,
		     N_("change nothing; list the files that are not canonical and exit 1 if "
			"there are any")),
	CLI_OPT_BOOL(0, "json", fmt_args, json,
		     N_("with --check, print the answer as JSON: {\"files\", \"problems\": "
			"[{\"path\", \"pointer\", \"message\"}]}")),
	CLI_OPT_END(),
};

static const char *const fmt_synopsis[] = {"keikaku fmt [--check [--json]] FILE...", NULL};

const cli_usage cmd_fmt_usage = {
	.name = "fmt",
	.summary = N_("rewrite plan files in canonical form"),
	.synopsis = fmt_synopsis,
	.description = N_("Rewrites plan files in canonical form: keys in the schema's order, "
			  "2-space indent, UTF-8 text in NFC, a trailing newline.  keikaku.json, "
			  "departments.json and plan.json are recognised by name; any other file "
			  "is taken to be an item."),
	.options = fmt_options,
};

/* The schema's file name in Keikaku's schema/ folder, by the plan file's name. */
static const char *schema_for(const char *path)
{
	const char *slash = strrchr(path, '/');

	return kk_plan_schema_for(slash ? slash + 1 : path) + strlen("schema/");
}

/* Replaces `path` with `len` bytes atomically: a crash leaves the old or the new file. */
static int replace_file(const char *path, const char *data, size_t len)
{
	char *tmp = NULL;
	int fd = -1, saved;

	if (asprintf(&tmp, "%s.kk-fmt-XXXXXX", path) < 0)
		return -1;
	if ((fd = mkstemp(tmp)) < 0)
		goto fail;
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		done += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	free(tmp);
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	errno = saved;
	return -1;
}

/*
 * Adds the file `path` that could not be read or parsed to `problems` (fmt
 * --check --json), with the line and column of a syntax error, so that the
 * document accounts for every file it counts.
 */
static int unreadable(json_t *problems, const char *path, const kk_diag *diag)
{
	json_t *p = json_pack("{s:s, s:s, s:s}", "path", path, "pointer", diag->pointer,
			      "message", diag->message);

	if (p && diag->line) {
		json_object_set_new(p, "line", json_integer((json_int_t)diag->line));
		json_object_set_new(p, "column", json_integer((json_int_t)diag->column));
	}
	return json_array_append_new(problems, p);
}

/* Adds "FILE is not in canonical form" to `problems` (fmt --check --json). */
static int not_canonical(json_t *problems, const char *path)
{
	char *message = NULL;
	int error;

	if (asprintf(&message, _("not in canonical form (run 'keikaku fmt %s')"), path) < 0)
		return -1;
	error = json_array_append_new(problems, json_pack("{s:s, s:s, s:s}", "path", path,
							  "pointer", "", "message", message));
	free(message);
	return error;
}

int cmd_fmt(cli_ctx *ctx, int argc, char **argv)
{
	fmt_args args = {0};
	json_t *problems = NULL;
	int code;

	(void)ctx;
	if ((code = cli_parse_options(&argc, argv, &cmd_fmt_usage, &args, 0)) != CLI_PARSED)
		return code;
	if (argc == 0)
		return cli_usage_error("fmt", _("expected at least one FILE"));
	if (args.json && !args.check)
		return cli_usage_error("fmt", _("--json goes with --check"));
	if (args.json && !(problems = json_array())) {
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}

	code = EXIT_OK;
	for (int i = 0; i < argc; i++) {
		json_t *doc = NULL, *schema = NULL;
		char *schema_path = NULL, *canon = NULL, *old = NULL;
		size_t len = 0, old_len = 0;
		kk_diag diag = {0};
		FILE *f;

		if (asprintf(&schema_path, "%s/schema/%s", cli_datadir(), schema_for(argv[i])) <
			    0 ||
		    kk_json_load_file(&schema, schema_path, NULL, &diag) < 0) {
			cli_error(_("cannot load schema '%s'"), schema_path ? schema_path : "?");
			free(schema_path);
			json_decref(problems);
			return EXIT_FAIL;
		}
		free(schema_path);
		if (kk_json_load_file(&doc, argv[i], NULL, &diag) < 0 ||
		    kk_canon_dump(&canon, &len, doc, schema, &diag) < 0) {
			kk_diag_set_path(&diag, argv[i]);
			cli_error_diag(&diag);
			code = code == EXIT_OK || code == EXIT_NO ? EXIT_USAGE : code;
			if (problems && unreadable(problems, argv[i], &diag) < 0) {
				cli_error("%s", _("out of memory"));
				code = EXIT_FAIL;
			}
			goto next;
		}
		if ((f = fopen(argv[i], "rb")) != NULL) {
			old = malloc(len + 1);
			old_len = old ? fread(old, 1, len + 1, f) : 0;
			fclose(f);
		}
		if (old && old_len == len && memcmp(old, canon, len) == 0)
			goto next;
		if (problems && not_canonical(problems, argv[i]) < 0) {
			cli_error("%s", _("out of memory"));
			code = EXIT_FAIL;
		} else if (args.check && !problems) {
			printf("%s\n", argv[i]);
		}
		if (args.check) {
			if (code == EXIT_OK)
				code = EXIT_NO;
		} else if (replace_file(argv[i], canon, len) < 0) {
			cli_error(_("cannot write '%s': %s"), argv[i], strerror(errno));
			code = EXIT_FAIL;
		}
	next:
		free(old);
		free(canon);
		json_decref(doc);
		json_decref(schema);
	}
	if (problems) {
		json_t *result =
			json_pack("{s:I, s:O}", "files", (json_int_t)argc, "problems", problems);

		if (!result) {
			cli_error("%s", _("out of memory"));
			code = EXIT_FAIL;
		} else {
			json_dumpf(result, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			putchar('\n');
		}
		json_decref(result);
		json_decref(problems);
	}
	return code;
}
