/*
 * cmd_init.c - keikaku init: a new plan repository, from plan files, the
 * template or a progress report.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "import.h"
#include "json.h"
#include "plan.h"
#include "verify.h"

typedef struct init_args {
	const char *from, *import;
	cli_import_args read;
} init_args;

static const cli_option init_options[] = {
	CLI_OPT_STRING(0, "from", init_args, from, "DIR", N_("take the plan files from DIR")),
	CLI_OPT_GROUP(N_("from a progress report:")),
	CLI_OPT_STRING(0, "import", init_args, import, "FILE", N_("the report to import")),
	CLI_OPT_INCLUDE(init_args, read, cli_import_options),
	CLI_OPT_END(),
};

static const char *const init_synopsis[] = {
	"keikaku init PATH [--from DIR]",
	"keikaku init PATH --import FILE [--explain] [--corrections FILE] [--force] [--title TEXT] "
	"[--organisation TEXT] [--admin-department NAME]",
	NULL,
};

const cli_usage cmd_init_usage = {
	.name = "init",
	.summary = N_("create a plan repository"),
	.synopsis = init_synopsis,
	.description = N_("Creates a bare plan repository at PATH with one commit: the plan files "
			  "in DIR (keikaku.json, departments.json, plan.json, items/NNNN.json), or "
			  "an empty plan from the template, plus a copy of Keikaku's schemas.  The "
			  "files are checked as 'keikaku verify' checks them and written in "
			  "canonical form.  An existing PATH is never overwritten.\n"
			  "\n"
			  "With --import, the plan is built from a progress report exported from a "
			  "spreadsheet (TSV or CSV), as 'keikaku import' reads it.  Every row that "
			  "cannot be imported is shown as FILE:ROW: reason, and no repository is "
			  "created."),
	.options = init_options,
};

static int plan_file(const char *path)
{
	json_int_t id;

	return strcmp(path, KK_PATH_SETTINGS) == 0 || strcmp(path, KK_PATH_DEPARTMENTS) == 0 ||
	       strcmp(path, KK_PATH_STRUCTURE) == 0 ||
	       (strncmp(path, KK_PATH_ITEMS, strlen(KK_PATH_ITEMS)) == 0 &&
		(kk_item_path_parse(&id, path) || strstr(path, ".json")));
}

static int schema_file(const char *path)
{
	size_t n = strlen(path);

	return !strchr(path, '/') && n > 12 && strcmp(path + n - 12, ".schema.json") == 0;
}

/* The person running init, from git's configuration or else the passwd entry. */
static void whoami(char *name, size_t name_size, char *email, size_t email_size)
{
	git_config *cfg = NULL;
	git_buf buf = GIT_BUF_INIT;
	struct passwd *pw = getpwuid(getuid());
	const char *login = pw ? pw->pw_name : "unknown";
	char host[256] = "localhost";

	snprintf(name, name_size, "%s", login);
	if (pw && pw->pw_gecos && *pw->pw_gecos) {
		snprintf(name, name_size, "%s", pw->pw_gecos);
		name[strcspn(name, ",")] = '\0';
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(email, email_size, "%s@%s", login, host);
	if (git_config_open_default(&cfg) == 0) {
		if (git_config_get_string_buf(&buf, cfg, "user.name") == 0 && buf.size)
			snprintf(name, name_size, "%s", buf.ptr);
		git_buf_dispose(&buf);
		if (git_config_get_string_buf(&buf, cfg, "user.email") == 0 && buf.size)
			snprintf(email, email_size, "%s", buf.ptr);
		git_buf_dispose(&buf);
		git_config_free(cfg);
	}
}

static void print_problems(const kk_diaglist *problems, const char *dir)
{
	for (size_t i = 0; i < problems->count; i++) {
		const kk_diag *d = &problems->items[i];

		if (d->line)
			fprintf(stderr, _("%s/%s: line %zu, column %zu: %s\n"), dir, d->path,
				d->line, d->column, d->message);
		else
			fprintf(stderr, "%s/%s: %s: %s\n", dir, d->path,
				d->pointer[0] ? d->pointer : "/", d->message);
	}
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * Replaces the template's plan files in `files` with the plan imported from
 * `file` (*out, for kk_import_free()).  Returns EXIT_OK, or the exit code
 * after printing why not; with `given->explain`, only explains.
 */
static int import_plan(kk_fileset *files, kk_plan *template, const char *file,
		       const kk_import_options *given, kk_import **out)
{
	kk_import_options opts = *given;
	kk_diag diag = {0};
	int code;

	opts.settings = template->settings;
	if ((code = cli_import_read(out, file, &opts, 1)) != EXIT_OK || opts.explain)
		return code;
	if (kk_import_files(files, *out, &diag) < 0) {
		cli_error_diag(&diag);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cmd_init(cli_ctx *ctx, int argc, char **argv)
{
	init_args args = {0};
	const char *from, *import, *path, *source, *corrections;
	kk_import_options import_opts = {0};
	kk_import *imported = NULL;
	json_t *fixes = NULL;
	char *template_dir = NULL, *schema_dir = NULL, *message = NULL, hex[GIT_OID_HEXSZ + 1];
	char *fixed = NULL;
	char name[256], email[256];
	kk_fileset files = {0}, schemas = {0};
	kk_diaglist problems = {0};
	kk_verifier *v = NULL;
	kk_diag diag = {0};
	kk_plan *plan = NULL;
	git_oid commit;
	int code, explain;

	(void)ctx;
	if ((code = cli_parse_options(&argc, argv, &cmd_init_usage, &args, 0)) != CLI_PARSED)
		return code;
	if (argc != 1)
		return cli_usage_error("init", _("expected one PATH"));
	path = argv[0];
	from = args.from;
	import = args.import;
	explain = args.read.explain;
	corrections = args.read.corrections;
	cli_import_args_apply(&import_opts, &args.read);
	if (from && import)
		return cli_usage_error("init",
				       _("'--from' and '--import' cannot be used together"));
	if (!import && (import_opts.force || import_opts.title || import_opts.organisation ||
			import_opts.admin || explain || corrections))
		return cli_usage_error("init", _("'--force', '--explain', '--corrections', '--title', "
						 "'--organisation' and '--admin-department' go with "
						 "'--import'"));
	if (explain && !(import_opts.explain = json_array())) {
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	if ((code = cli_import_corrections(&fixes, corrections)) != EXIT_OK) {
		json_decref(import_opts.explain);
		return code;
	}
	import_opts.corrections = fixes;
	import_opts.corrections_name = corrections;
	code = EXIT_FAIL;
	source = from ? from : import ? import : NULL;

	if (asprintf(&template_dir, "%s/repo-template", cli_datadir()) < 0 ||
	    asprintf(&schema_dir, "%s/schema", cli_datadir()) < 0) {
		cli_error("%s", _("out of memory"));
		goto done;
	}
	if (kk_fileset_read_dir(&files, from ? from : template_dir, plan_file, &diag) < 0) {
		cli_error_diag(&diag);
		code = from ? EXIT_USAGE : EXIT_FAIL;
		goto done;
	}
	if (kk_fileset_read_dir(&schemas, schema_dir, schema_file, &diag) < 0) {
		cli_error_diag(&diag);
		goto done;
	}
	for (size_t i = 0; i < schemas.count; i++) {
		char target[KK_DIAG_PATH_MAX];

		snprintf(target, sizeof(target), "schema/%s", schemas.files[i].path);
		if (kk_fileset_put(&files, target, schemas.files[i].data, schemas.files[i].len,
				   &diag) < 0) {
			cli_error_diag(&diag);
			goto done;
		}
	}

	if (import) {
		/* The template's settings (eras, phases) are where the import starts. */
		if (kk_plan_load(&plan, &files, &diag) < 0) {
			cli_error_diag(&diag);
			goto done;
		}
		code = import_plan(&files, plan, import, &import_opts, &imported);
		kk_plan_free(plan);
		plan = NULL;
		if (code != EXIT_OK || explain)
			goto done;
		code = EXIT_FAIL;
	}

	if (kk_verify_canonicalize(&files, &problems, &diag) < 0 || kk_verifier_new(&v) < 0 ||
	    (problems.count == 0 && kk_verifier_check(v, &files, 0, &problems, &diag) < 0)) {
		cli_error_diag(&diag);
		goto done;
	}
	if (problems.count) {
		if (import) /* the files the import made: FILE: items/0026.json: /title: … */
			for (size_t i = 0; i < problems.count; i++)
				fprintf(stderr, "%s: %s: %s: %s\n", import, problems.items[i].path,
					problems.items[i].pointer[0] ? problems.items[i].pointer
								     : "/",
					problems.items[i].message);
		else
			print_problems(&problems, source ? source : template_dir);
		cli_error(P_("'%s' has %zu problem; no repository was created",
			     "'%s' has %zu problems; no repository was created", problems.count),
			  source ? source : template_dir, problems.count);
		code = EXIT_NO;
		goto done;
	}
	if (kk_plan_load(&plan, &files, &diag) < 0) {
		cli_error_diag(&diag);
		goto done;
	}

	whoami(name, sizeof(name), email, sizeof(email));
	if (imported && json_array_size(imported->corrected) &&
	    !(fixed = cli_import_corrections_text(imported->corrected, corrections))) {
		cli_error("%s", _("out of memory"));
		goto done;
	}
	if (asprintf(&message, "Create plan '%s' with %zu items\n%s%s%s%s%s",
		     json_string_value(json_object_get(plan->settings, "title")),
		     json_array_size(plan->items), import ? "\nImported from " : "",
		     import ? base_name(import) : "", import ? "\n" : "", fixed ? "\n" : "",
		     fixed ? fixed : "") < 0) {
		cli_error("%s", _("out of memory"));
		goto done;
	}
	if (kk_store_init(NULL, &commit, path, &files, &(kk_signature){name, email, -1, 0}, message,
			  &diag) < 0) {
		cli_error_diag(&diag);
		code = diag.code == KK_EEXISTS ? EXIT_USAGE : EXIT_FAIL;
		goto done;
	}
	git_oid_tostr(hex, 11, &commit);
	printf(_("created plan repository '%s' with %zu items (commit %s)\n"), path,
	       json_array_size(plan->items), hex);
	code = EXIT_OK;
done:
	json_decref(import_opts.explain);
	json_decref(fixes);
	kk_import_free(imported);
	free(fixed);
	free(message);
	kk_plan_free(plan);
	kk_verifier_free(v);
	kk_diaglist_clear(&problems);
	kk_fileset_clear(&schemas);
	kk_fileset_clear(&files);
	free(template_dir);
	free(schema_dir);
	return code;
}
