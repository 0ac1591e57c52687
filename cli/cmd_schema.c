/*
 * cmd_schema.c - keikaku schema validate [--remote URL=DIR] SCHEMA FILE...
 */
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "schema.h"

static void usage(FILE *out)
{
	fprintf(out,
		_("usage: keikaku schema validate [--remote URL=DIR]... SCHEMA FILE...\n\n"
		  "Validates each FILE against the JSON Schema (draft-07) in SCHEMA and prints\n"
		  "one line per error: FILE: /pointer: message.  Exits 0 when every file is\n"
		  "valid, 1 when some are not, 2 on a usage error or unreadable input.\n\n"
		  "  --remote URL=DIR   serve $refs to URL... from the files in DIR\n"));
}

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

static int validate_files(kk_schema *schema, int argc, char **argv)
{
	int invalid = 0, unreadable = 0;

	for (int i = 0; i < argc; i++) {
		kk_diaglist errors = {0};
		kk_diag diag = {0};
		json_t *doc = NULL;
		int error = kk_json_load_file(&doc, argv[i], NULL, &diag);

		if (error == KK_EINVALID || error == KK_ELIMIT) {
			if (diag.line)
				printf(_("%s: line %zu, column %zu: %s\n"), argv[i], diag.line,
				       diag.column, diag.message);
			else
				printf("%s: %s\n", argv[i], diag.message);
			invalid = 1;
			continue;
		}
		if (error < 0) {
			cli_error("%s", diag.message);
			unreadable = 1;
			continue;
		}
		error = kk_schema_validate(schema, doc, &errors, &diag);
		if (error == KK_EINVALID) {
			for (size_t j = 0; j < errors.count; j++)
				printf("%s: %s: %s\n", argv[i],
				       errors.items[j].pointer[0] ? errors.items[j].pointer : "/",
				       errors.items[j].message);
			invalid = 1;
		} else if (error < 0) {
			cli_error("%s: %s", argv[i], diag.message);
			unreadable = 1;
		} else {
			printf(_("%s: valid\n"), argv[i]);
		}
		kk_diaglist_clear(&errors);
		json_decref(doc);
	}
	return unreadable ? EXIT_USAGE : invalid ? EXIT_NO : EXIT_OK;
}

static int cmd_validate(int argc, char **argv)
{
	static const struct option options[] = {
		{"remote", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	kk_schema_registry *reg = NULL;
	kk_schema *schema = NULL, *meta = NULL;
	json_t *doc = NULL, *meta_ref = NULL;
	kk_diaglist errors = {0};
	kk_diag diag = {0};
	char *uri = NULL, *dir_uri = NULL;
	int c, code = EXIT_USAGE;

	if (kk_schema_registry_new(&reg) < 0) {
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		char *eq;

		switch (c) {
		case 'r':
			if (!(eq = strchr(optarg, '=')) || eq == optarg || !eq[1]) {
				code = cli_usage_error(
					"schema", _("--remote takes URL=DIR, not '%s'"), optarg);
				goto done;
			}
			*eq = '\0';
			if (kk_schema_registry_map(reg, optarg, eq + 1, &diag) < 0) {
				cli_error_diag(&diag);
				goto done;
			}
			break;
		case 'h':
			usage(stdout);
			code = EXIT_OK;
			goto done;
		default: code = cli_bad_option("schema", c, argv); goto done;
		}
	}
	if (argc - optind < 2) {
		code = cli_usage_error("schema", _("expected a SCHEMA and at least one FILE"));
		goto done;
	}
	if (kk_json_load_file(&doc, argv[optind], NULL, &diag) < 0) {
		kk_diag_set_path(&diag, argv[optind]);
		cli_error_diag(&diag);
		goto done;
	}
	/* A broken schema would make every answer meaningless: check it first. */
	meta_ref = json_pack("{s:s}", "$ref", KK_SCHEMA_DRAFT7_URI "#");
	if (kk_schema_compile(&meta, reg, meta_ref, NULL, &diag) < 0 ||
	    kk_schema_validate(meta, doc, &errors, &diag) == KK_EINVALID) {
		for (size_t j = 0; j < errors.count; j++)
			cli_error(_("%s: %s: not a valid schema: %s"), argv[optind],
				  errors.items[j].pointer[0] ? errors.items[j].pointer : "/",
				  errors.items[j].message);
		goto done;
	}
	if (base_uri(&uri, &dir_uri, argv[optind]) < 0 ||
	    kk_schema_registry_map(reg, dir_uri, dir_uri + strlen("file://"), &diag) < 0 ||
	    kk_schema_compile(&schema, reg, doc, uri, &diag) < 0) {
		cli_error(_("%s: cannot use the schema: %s"), argv[optind], diag.message);
		goto done;
	}
	code = validate_files(schema, argc - optind - 1, argv + optind + 1);
done:
	kk_diaglist_clear(&errors);
	kk_schema_free(schema);
	kk_schema_free(meta);
	json_decref(meta_ref);
	json_decref(doc);
	free(uri);
	free(dir_uri);
	kk_schema_registry_free(reg);
	return code;
}

int cmd_schema(cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "validate") != 0)
		return cli_usage_error("schema", _("unknown subcommand '%s'"), argv[1]);
	return cmd_validate(argc - 1, argv + 1);
}
