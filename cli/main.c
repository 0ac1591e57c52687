/*
 * main.c - keikaku's entry point: global options, locale, the command table.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"

static const cli_command commands[] = {
	{"init", cmd_init, 0, N_("create a plan repository")},
	{"show", cmd_show, CMD_READS, N_("show one item as a person reads it")},
	{"list", cmd_list, CMD_READS, N_("list items as a table")},
	{"diff", cmd_diff, CMD_READS, N_("show what changed in the plan")},
	{"verify", cmd_verify, CMD_READS, N_("check every file of the plan")},
	{"log", cmd_log, CMD_READS, N_("show who changed which field, when and why")},
	{"blame", cmd_blame, CMD_READS, N_("show the last change of every field of an item")},
	{"schedule", cmd_schedule, CMD_READS, N_("compare planned and revised schedules")},
	{"pending", cmd_pending, CMD_READS, N_("list items their owners have not updated")},
	{"report", cmd_report, CMD_READS, N_("write the progress report of a fiscal year")},
	{"schema", cmd_schema, 0, N_("validate files against a JSON Schema")},
	{"fmt", cmd_fmt, 0, N_("rewrite plan files in canonical form")},
	{"update", cmd_update, CMD_NEEDS_DAEMON, N_("change an item's fields for a fiscal year")},
	{"edit", cmd_edit, CMD_NEEDS_DAEMON, N_("edit an item in your editor and submit it")},
	{"submit", cmd_submit, CMD_NEEDS_DAEMON, N_("submit changes to several items at once")},
	{"import", cmd_import, CMD_NEEDS_DAEMON, N_("import a progress report as the plan")},
	{"dept", cmd_dept, CMD_NEEDS_DAEMON, N_("list, add or remove departments")},
	{"year", cmd_year, CMD_NEEDS_DAEMON, N_("open or close a fiscal year")},
	{"whoami", cmd_whoami, CMD_NEEDS_DAEMON, N_("show who keikakud takes you for")},
	{"status", cmd_status, CMD_NEEDS_DAEMON, N_("show the state of keikakud")},
};

static void usage(FILE *out)
{
	fprintf(out, _("usage: keikaku [-C PATH] [--socket PATH] COMMAND [ARGS]\n"
		       "       keikaku COMMAND -h\n\n"
		       "commands:\n"));
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++) {
		fputs("  ", out);
		render_padded(out, commands[i].name, 10);
		fprintf(out, "%s\n", _(commands[i].summary));
	}
	fprintf(out,
		_("\noptions:\n"
		  "  -C PATH        use the repository at or above PATH (default: the current "
		  "directory)\n"
		  "  --socket PATH  talk to keikakud at PATH (default: $KEIKAKU_SOCKET, or %s)\n"
		  "  --version      print the version\n"
		  "\nexit codes: 0 ok, 1 problems found, 2 usage error, 3 failure\n"),
		CLI_SOCKET_DEFAULT);
}

/* The directory of the running executable, for finding files in a build tree. */
static const char *exe_dir(void)
{
	static char dir[PATH_MAX];
	ssize_t n;

	if (dir[0])
		return dir;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0)
		return strcpy(dir, ".");
	dir[n] = '\0';
	return dirname(dir);
}

/* True when the program runs from its build tree rather than an installation. */
static int in_build_tree(void)
{
	size_t n = strlen(KK_BINARY_DIR);

	return strncmp(exe_dir(), KK_BINARY_DIR, n) == 0 &&
	       (exe_dir()[n] == '/' || exe_dir()[n] == '\0');
}

const char *cli_datadir(void)
{
	const char *env = getenv("KEIKAKU_DATADIR");

	if (env && *env)
		return env;
	return in_build_tree() ? KK_SOURCE_DIR : KK_DATADIR;
}

static const char *localedir(void)
{
	const char *env = getenv("KEIKAKU_LOCALEDIR");

	if (env && *env)
		return env;
	return in_build_tree() ? KK_BUILD_LOCALEDIR : KK_LOCALEDIR;
}

/*
 * Nothing but init needs git's configuration outside the repository (init
 * takes the name to commit under from it).  The others do not read it at
 * all, so that a HOME the caller cannot enter (after setpriv or sudo -u) or
 * a broken ~/.gitconfig stops no read.
 */
static void ignore_user_config(void)
{
	static const git_config_level_t levels[] = {
		GIT_CONFIG_LEVEL_PROGRAMDATA,
		GIT_CONFIG_LEVEL_SYSTEM,
		GIT_CONFIG_LEVEL_XDG,
		GIT_CONFIG_LEVEL_GLOBAL,
	};

	for (size_t i = 0; i < sizeof(levels) / sizeof(*levels); i++)
		git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, levels[i], "");
}

static const cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	cli_ctx ctx = {0};
	const cli_command *cmd;
	int i, code, chdir_given = 0;

	setlocale(LC_ALL, "");
	git_libgit2_init();
	/*
	 * Reads do not hash every object again, as git does not: a 10,000-item
	 * plan's items/ tree is 380 KB, and re-hashing it was three quarters of
	 * building the history index.  git fsck checks the objects.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	/*
	 * Bound what libgit2 keeps (its defaults are 256 MiB of objects and 8 GiB
	 * of mapped pack): building the history index of a long history reads
	 * every commit and tree once, and needs none of them again.
	 */
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(4 << 20));
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)(4 << 20));
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)(32 << 20));
	/*
	 * keikaku reads any plan repository the caller can read, whoever owns
	 * it: a mirror kept by the keikaku user, a clone on a shared disk.  git
	 * refuses other users' repositories because it may run programs their
	 * configuration names (hooks, core.fsmonitor, filters); keikaku reads
	 * objects and refs and runs nothing, so that danger does not arise.  It
	 * writes nothing there either (cli_query keeps the history index in memory
	 * for a repository that is not the caller's).
	 */
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	bindtextdomain(KK_TEXTDOMAIN, localedir());
	bind_textdomain_codeset(KK_TEXTDOMAIN, "UTF-8");
	textdomain(KK_TEXTDOMAIN);
	ctx.argv0 = argv[0];
	opterr = 0; /* commands report bad options themselves, in the user's language */

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-C") == 0) {
			if (++i == argc)
				return cli_usage_error(NULL, _("option '%s' needs an argument"),
						       "-C");
			chdir_given = 1;
			/* As git does: everything after this runs in PATH. */
			if (chdir(argv[i]) < 0) {
				cli_error(_("cannot change to '%s': %s"), argv[i], strerror(errno));
				return EXIT_FAIL;
			}
		} else if (strcmp(argv[i], "--socket") == 0) {
			if (++i == argc)
				return cli_usage_error(NULL, _("option '%s' needs an argument"),
						       "--socket");
			ctx.socket_path = argv[i];
		} else if (strncmp(argv[i], "--socket=", 9) == 0) {
			ctx.socket_path = argv[i] + 9;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return cli_finish(EXIT_OK);
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("keikaku %s\n", KK_VERSION);
			return cli_finish(EXIT_OK);
		} else {
			return cli_usage_error(NULL, _("unknown option '%s'"), argv[i]);
		}
	}
	if (i == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!(cmd = find_command(argv[i])))
		return cli_usage_error(NULL, _("'%s' is not a keikaku command"), argv[i]);

	if (cmd->fn != cmd_init)
		ignore_user_config();
	ctx.chdir_given = chdir_given;
	if (cmd->flags & (CMD_NEEDS_REPO | CMD_READS)) {
		int help = 0;

		for (int j = i + 1; j < argc; j++)
			help |= strcmp(argv[j], "-h") == 0 || strcmp(argv[j], "--help") == 0;
		if (!help && (code = cli_open_reads(&ctx, !(cmd->flags & CMD_READS))) != EXIT_OK)
			return code;
	}
	if ((cmd->flags & CMD_NEEDS_DAEMON) &&
	    cli_client_new(&ctx.client, cli_socket_path(ctx.socket_path)) < 0) {
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	ctx.command = cmd->name;
	code = cmd->fn(&ctx, argc - i, argv + i);
	cli_client_free(ctx.client);
	kk_store_free(ctx.store);
	git_libgit2_shutdown();
	return cli_finish(code);
}
