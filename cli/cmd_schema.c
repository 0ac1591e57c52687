/*
 * cmd_schema.c - keikaku schema validate: files against any JSON Schema.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "schema.h"

typedef struct validate_args {
	kk_schema_registry *reg;
	int json;
} validate_args;

/* --remote URL=DIR: $refs under URL are read from DIR. */
static int add_remote(const cli_option *opt, const char *arg, void *values)
{
	const char *eq = strchr(arg, '=');
	kk_diag diag = {0};
	char *url;
	int error;

	if (!eq || eq == arg || !eq[1])
		return cli_usage_error("schema", _("--remote takes URL=DIR, not '%s'"), arg);
	if (!(url = strndup(arg, (size_t)(eq - arg)))) {
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	error = kk_schema_registry_map(((validate_args *)values)->reg, url, eq + 1, &diag);
	free(url);
	if (error < 0) {
		cli_error_diag(&diag);
		return EXIT_USAGE;
	}
	return 0;
}

static const cli_option validate_options[] = {
	CLI_OPT_CALLBACK(0, "remote", "URL=DIR", N_("serve $refs to URL... from the files in DIR"),
			 add_remote),
	CLI_OPT_BOOL(0, "json", validate_args, json,
		     N_("print the answer as JSON: {\"files\", \"valid\": [FILE...], "
			"\"problems\": [{\"path\", \"pointer\", \"message\"}]}")),
	CLI_OPT_END(),
};

static const char *const validate_synopsis[] = {
	"keikaku schema validate [--remote URL=DIR]... [--json] SCHEMA FILE...",
	NULL,
};

#define VALIDATE_DESCRIPTION                                                                       \
	N_("Validates each FILE against the JSON Schema (draft-07) in SCHEMA and prints one line " \
	   "per error: FILE: /pointer: message; with --json, one document that lists them.  "      \
	   "Exits 0 when every file is valid, 1 when some are not, 2 on a usage error or "         \
	   "unreadable input.")

static const cli_usage validate_usage = {
	.name = "schema validate",
	.summary = N_("validate files against a JSON Schema"),
	.synopsis = validate_synopsis,
	.description = VALIDATE_DESCRIPTION,
	.options = validate_options,
};

static const cli_usage *const schema_subcommands[] = {&validate_usage, NULL};

const cli_usage cmd_schema_usage = {
	.name = "schema",
	.summary = N_("validate files against a JSON Schema"),
	.description = VALIDATE_DESCRIPTION,
	.subcommands = schema_subcommands,
};

/* Maps the schema's own directory, so that relative $refs to sibling files work. */
static int base_uri(char **uri_out, char **dir_uri_out, const char *schema_path)
{
	char abs[PATH_MAX], *slash;

	if (!realpath(schema_path, abs))
		return -1;
	if (asprintf(uri_out, "file://%s", abs) < 0)
		return -1;
	slash = strrchr(abs, '/');
	slash[1] = '\0';
	if (asprintf(dir_uri_out, "file://%s", abs) < 0) {
		free(*uri_out);
		return -1;
	}
	return 0;
}

/*
 * Adds a problem of file `path` to `problems` (--json), or prints it as
 * "FILE: /pointer: message", "FILE: line L, column C: message" or, for a
 * file that does not parse (`pointer` NULL), "FILE: message".
 */
static void problem(json_t *problems, const char *path, const char *pointer, size_t line,
		    size_t column, const char *message)
{
	json_t *p;

	if (!problems) {
		if (line)
			printf(_("%s: line %zu, column %zu: %s\n"), path, line, column, message);
		else if (!pointer)
			printf("%s: %s\n", path, message);
		else
			printf("%s: %s: %s\n", path, pointer[0] ? pointer : "/", message);
		return;
	}
	p = json_pack("{s:s, s:s, s:s}", "path", path, "pointer", pointer ? pointer : "", "message",
		      message);
	if (p && line) {
		json_object_set_new(p, "line", json_integer((json_int_t)line));
		json_object_set_new(p, "column", json_integer((json_int_t)column));
	}
	json_array_append_new(problems, p);
}

/*
 * Validates each of argv[0..argc-1]; with `json`, prints one document
 * {"files", "valid", "problems"} at the end instead of a line each.
 */
static int validate_files(kk_schema *schema, int argc, char **argv, int json)
{
	json_t *result = NULL, *valid = NULL, *problems = NULL;
	int invalid = 0, unreadable = 0;

	if (json && !(result = json_pack("{s:I, s:[], s:[]}", "files", (json_int_t)argc, "valid",
					 "problems"))) {
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	valid = json_object_get(result, "valid");
	problems = json_object_get(result, "problems");
	for (int i = 0; i < argc; i++) {
		kk_diaglist errors = {0};
		kk_diag diag = {0};
		json_t *doc = NULL;
		int error = kk_json_load_file(&doc, argv[i], NULL, &diag);

		if (error == KK_EINVALID || error == KK_ELIMIT) {
			problem(problems, argv[i], NULL, diag.line, diag.column, diag.message);
			invalid = 1;
			continue;
		}
		if (error < 0) {
			/* Said, and in the document too, which counts every file. */
			cli_error("%s", diag.message);
			if (json)
				problem(problems, argv[i], NULL, 0, 0, diag.message);
			unreadable = 1;
			continue;
		}
		error = kk_schema_validate(schema, doc, &errors, &diag);
		if (error == KK_EINVALID) {
			for (size_t j = 0; j < errors.count; j++)
				problem(problems, argv[i], errors.items[j].pointer, 0, 0,
					errors.items[j].message);
			invalid = 1;
		} else if (error < 0) {
			cli_error("%s: %s", argv[i], diag.message);
			unreadable = 1;
		} else if (json) {
			json_array_append_new(valid, json_string(argv[i]));
		} else {
			printf(_("%s: valid\n"), argv[i]);
		}
		kk_diaglist_clear(&errors);
		json_decref(doc);
	}
	if (json) {
		json_dumpf(result, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(result);
	}
	return unreadable ? EXIT_USAGE : invalid ? EXIT_NO : EXIT_OK;
}

static int cmd_validate(int argc, char **argv)
{
	validate_args args = {NULL};
	kk_schema *schema = NULL, *meta = NULL;
	json_t *doc = NULL, *meta_ref = NULL;
	kk_diaglist errors = {0};
	kk_diag diag = {0};
	char *uri = NULL, *dir_uri = NULL;
	int code;

	if (kk_schema_registry_new(&args.reg) < 0) {
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	if ((code = cli_parse_options(&argc, argv, &validate_usage, &args, 0)) != CLI_PARSED)
		goto done;
	code = EXIT_USAGE;
	if (argc < 2) {
		code = cli_usage_error("schema", _("expected a SCHEMA and at least one FILE"));
		goto done;
	}
	if (kk_json_load_file(&doc, argv[0], NULL, &diag) < 0) {
		kk_diag_set_path(&diag, argv[0]);
		cli_error_diag(&diag);
		goto done;
	}
	/* A broken schema would make every answer meaningless: check it first. */
	meta_ref = json_pack("{s:s}", "$ref", KK_SCHEMA_DRAFT7_URI "#");
	if (kk_schema_compile(&meta, args.reg, meta_ref, NULL, &diag) < 0 ||
	    kk_schema_validate(meta, doc, &errors, &diag) == KK_EINVALID) {
		for (size_t j = 0; j < errors.count; j++)
			cli_error(_("%s: %s: not a valid schema: %s"), argv[0],
				  errors.items[j].pointer[0] ? errors.items[j].pointer : "/",
				  errors.items[j].message);
		goto done;
	}
	if (base_uri(&uri, &dir_uri, argv[0]) < 0 ||
	    kk_schema_registry_map(args.reg, dir_uri, dir_uri + strlen("file://"), &diag) < 0 ||
	    kk_schema_compile(&schema, args.reg, doc, uri, &diag) < 0) {
		cli_error(_("%s: cannot use the schema: %s"), argv[0], diag.message);
		goto done;
	}
	code = validate_files(schema, argc - 1, argv + 1, args.json);
done:
	kk_diaglist_clear(&errors);
	kk_schema_free(schema);
	kk_schema_free(meta);
	json_decref(meta_ref);
	json_decref(doc);
	free(uri);
	free(dir_uri);
	kk_schema_registry_free(args.reg);
	return code;
}

int cmd_schema(cli_ctx *ctx, int argc, char **argv)
{
	int code;

	(void)ctx;
	if ((code = cli_parse_options(&argc, argv, &cmd_schema_usage, NULL,
				      CLI_PARSE_STOP_AT_NON_OPTION)) != CLI_PARSED)
		return code;
	if (argc == 0) {
		cli_usage_print(stderr, &cmd_schema_usage, cli_usage_width());
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "validate") != 0) {
		if ((code = cli_unknown_subcommand(&cmd_schema_usage, argv[0])))
			return code;
		return cli_usage_error("schema", _("unknown subcommand '%s'"), argv[0]);
	}
	return cmd_validate(argc, argv);
}
