/*
 * main.c - keikaku's entry point: global options, locale, the command table,
 * `keikaku help` and "did you mean" for a mistyped command.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "pager.h"
#include "generate.h"

static int cmd_help(cli_ctx *ctx, int argc, char **argv);
static const cli_usage cmd_help_usage;

/*
 * Every command: its usage (name, summary, synopsis, options, subcommands),
 * the function that runs it and the set-up it needs.  With cli_keikaku_usage,
 * all that `keikaku -h`, `keikaku COMMAND -h`, the man pages and the shell
 * completion say about the command line.
 */
const cli_command cli_commands[] = {
	{&cmd_init_usage, cmd_init, 0},
	{&cmd_show_usage, cmd_show, CMD_READS},
	{&cmd_list_usage, cmd_list, CMD_READS},
	{&cmd_diff_usage, cmd_diff, CMD_READS},
	{&cmd_verify_usage, cmd_verify, CMD_READS},
	{&cmd_log_usage, cmd_log, CMD_READS},
	{&cmd_blame_usage, cmd_blame, CMD_READS},
	{&cmd_schedule_usage, cmd_schedule, CMD_READS},
	{&cmd_pending_usage, cmd_pending, CMD_READS},
	{&cmd_report_usage, cmd_report, CMD_READS},
	{&cmd_serve_usage, cmd_serve, CMD_NEEDS_REPO},
	{&cmd_schema_usage, cmd_schema, 0},
	{&cmd_fmt_usage, cmd_fmt, 0},
	{&cmd_update_usage, cmd_update, CMD_NEEDS_DAEMON},
	{&cmd_edit_usage, cmd_edit, CMD_NEEDS_DAEMON},
	{&cmd_submit_usage, cmd_submit, CMD_NEEDS_DAEMON},
	{&cmd_import_usage, cmd_import, CMD_NEEDS_DAEMON},
	{&cmd_dept_usage, cmd_dept, CMD_NEEDS_DAEMON},
	{&cmd_signers_usage, cmd_signers, CMD_NEEDS_DAEMON},
	{&cmd_year_usage, cmd_year, CMD_NEEDS_DAEMON},
	{&cmd_whoami_usage, cmd_whoami, CMD_NEEDS_DAEMON},
	{&cmd_status_usage, cmd_status, CMD_NEEDS_DAEMON},
	{&cmd_help_usage, cmd_help, 0},
	{NULL, NULL, 0},
};

/* What the build and the shell completion run; in no help. */
static const cli_command hidden_commands[] = {
	{&cli_generate_usage, cli_generate, 0},
	{&cli_complete_usage, cli_complete, CMD_READS},
	{NULL, NULL, 0},
};

/* keikaku's own options, before the command. */
typedef struct keikaku_args {
	const char *socket;
	int chdir_given, help, version;
} keikaku_args;

/* "1" or "2": the columns of an East Asian ambiguous character; else -1. */
static int parse_ambiguous_width(const char *text)
{
	return strcmp(text, "1") == 0 ? 1 : strcmp(text, "2") == 0 ? 2 : -1;
}

static int ambiguous_width(const cli_option *opt, const char *arg, void *values)
{
	int width = parse_ambiguous_width(arg);

	if (width < 0)
		return cli_usage_error(NULL, _("--ambiguous-width takes 1 or 2, not '%s'"), arg);
	render_set_ambiguous_width(width);
	return 0;
}

/* -C PATH: as git does, everything after this runs in PATH. */
static int change_dir(const cli_option *opt, const char *arg, void *values)
{
	if (chdir(arg) < 0) {
		cli_error(_("cannot change to '%s': %s"), arg, strerror(errno));
		return EXIT_FAIL;
	}
	((keikaku_args *)values)->chdir_given = 1;
	return 0;
}

static const cli_option keikaku_options[] = {
	CLI_OPT_CALLBACK('C', NULL, "PATH",
			 N_("use the repository at or above PATH (default: the current directory)"),
			 change_dir),
	CLI_OPT_STRING(0, "socket", keikaku_args, socket, "PATH",
		       N_("talk to keikakud at PATH (default: $KEIKAKU_SOCKET, or the socket "
			  "named below)")),
	CLI_OPT_CALLBACK(0, "ambiguous-width", "N",
			 N_("draw ◎ ○ ▲ — … N columns wide, 1 or 2 as the terminal does (default: "
			    "$KEIKAKU_AMBIGUOUS_WIDTH, or 1)"),
			 ambiguous_width),
	CLI_OPT_CALLBACK(0, "no-pager", NULL,
			 N_("never send long output through $KEIKAKU_PAGER or $PAGER"),
			 cli_pager_disable),
	CLI_OPT_BOOL('h', "help", keikaku_args, help, N_("show this help")),
	CLI_OPT_BOOL(0, "version", keikaku_args, version, N_("print the version")),
	CLI_OPT_END(),
};

static const char *const keikaku_synopsis[] = {
	"keikaku [-C PATH] [--socket PATH] [--ambiguous-width N] COMMAND [ARGS]",
	"keikaku COMMAND -h",
	NULL,
};

const cli_usage cli_keikaku_usage = {
	.summary = N_("keep an organisation's multi-year plan under version control"),
	.synopsis = keikaku_synopsis,
	.options = keikaku_options,
	.footer = N_("exit codes: 0 ok, 1 problems found, 2 usage error, 3 failure"),
};

/* keikaku's help: its synopsis, the commands, its options. */
static void usage(FILE *out)
{
	size_t width = cli_usage_width();

	cli_usage_print_synopsis(out, &cli_keikaku_usage, width);
	fprintf(out, "\n%s\n", _("commands:"));
	for (const cli_command *c = cli_commands; c->usage; c++) {
		fputs("  ", out);
		render_padded(out, c->usage->name, 10);
		fprintf(out, "%s\n", _(c->usage->summary));
	}
	fprintf(out, "\n%s\n", _("options:"));
	cli_usage_print_options(out, keikaku_options, width);
	fputc('\n', out);
	fprintf(out, _("keikakud's socket by default: %s"), CLI_SOCKET_DEFAULT);
	fputc('\n', out);
	fprintf(out, "\n%s\n", _(cli_keikaku_usage.footer));
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
	for (const cli_command *c = cli_commands; c->usage; c++)
		if (strcmp(c->usage->name, name) == 0)
			return c;
	for (const cli_command *c = hidden_commands; c->usage; c++)
		if (strcmp(c->usage->name, name) == 0)
			return c;
	return NULL;
}

/* "'NAME' is not a keikaku command", with the command it is most likely a typo of. */
static int unknown_command(const char *name)
{
	const char *known[64], *nearest;
	size_t n = 0;

	for (const cli_command *c = cli_commands; c->usage && n < sizeof(known) / sizeof(*known);
	     c++)
		known[n++] = c->usage->name;
	if ((nearest = cli_nearest(name, known, n)))
		return cli_usage_error(NULL,
				       _("'%s' is not a keikaku command (did you mean '%s'?)"),
				       name, nearest);
	return cli_usage_error(NULL, _("'%s' is not a keikaku command"), name);
}

static const char *const help_synopsis[] = {"keikaku help [COMMAND [SUBCOMMAND]]", NULL};

static const cli_usage cmd_help_usage = {
	.name = "help",
	.summary = N_("show the help of keikaku or of a command"),
	.synopsis = help_synopsis,
	.description = N_("Shows what 'keikaku -h', 'keikaku COMMAND -h' or 'keikaku COMMAND "
			  "SUBCOMMAND -h' shows."),
};

/* keikaku help [COMMAND [SUBCOMMAND]]: the help -h gives. */
static int cmd_help(cli_ctx *ctx, int argc, char **argv)
{
	const cli_command *cmd;
	const cli_usage *u;
	char name[128];
	int code;

	if ((code = cli_parse_options(&argc, argv, &cmd_help_usage, NULL, 0)) != CLI_PARSED)
		return code;
	if (argc == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (argc > 2)
		return cli_usage_error("help", _("expected a command and a subcommand at most"));
	if (!(cmd = find_command(argv[0])) || cmd->usage->name[0] == '_')
		return unknown_command(argv[0]);
	u = cmd->usage;
	if (argc == 2) {
		const char *known[16], *nearest;
		size_t n = 0;

		snprintf(name, sizeof(name), "%s %s", argv[0], argv[1]);
		for (const cli_usage *const *sub = u->subcommands; sub && *sub; sub++) {
			if (strcmp((*sub)->name, name) == 0)
				return cli_usage_help(*sub);
			if (n < sizeof(known) / sizeof(*known))
				known[n++] = strchr((*sub)->name, ' ') + 1;
		}
		if (!n)
			return cli_usage_error("help", _("'%s' has no subcommands"), argv[0]);
		if ((nearest = cli_nearest(argv[1], known, n)))
			return cli_usage_error("help",
					       _("'%s' is not a %s command (did you mean '%s'?)"),
					       argv[1], argv[0], nearest);
		return cli_usage_error("help", _("'%s' is not a %s command"), argv[1], argv[0]);
	}
	return cli_usage_help(u);
}

int main(int argc, char **argv)
{
	keikaku_args args = {0};
	cli_ctx ctx = {0};
	const cli_command *cmd;
	int code;

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
	{
		const char *env = getenv("KEIKAKU_AMBIGUOUS_WIDTH");

		if (env && *env) {
			if (parse_ambiguous_width(env) < 0)
				return cli_usage_error(
					NULL, _("KEIKAKU_AMBIGUOUS_WIDTH must be 1 or 2, not '%s'"),
					env);
			render_set_ambiguous_width(parse_ambiguous_width(env));
		}
	}

	/* What is left is the command and its arguments, in argv[0..argc-1]. */
	if ((code = cli_parse_options(&argc, argv, &cli_keikaku_usage, &args,
				      CLI_PARSE_STOP_AT_NON_OPTION)) != CLI_PARSED)
		return cli_finish(code);
	if (args.help) {
		usage(stdout);
		return cli_finish(EXIT_OK);
	}
	if (args.version) {
		printf("keikaku %s\n", KK_VERSION);
		return cli_finish(EXIT_OK);
	}
	if (argc == 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!(cmd = find_command(argv[0])))
		return unknown_command(argv[0]);

	if (cmd->fn != cmd_init)
		ignore_user_config();
	ctx.socket_path = args.socket;
	ctx.chdir_given = args.chdir_given;
	if (cmd->flags & (CMD_NEEDS_REPO | CMD_READS)) {
		int help = 0;

		for (int j = 1; j < argc; j++)
			help |= strcmp(argv[j], "-h") == 0 || strcmp(argv[j], "--help") == 0;
		if (!help && (code = cli_open_reads(&ctx, !(cmd->flags & CMD_READS))) != EXIT_OK)
			return code;
	}
	if ((cmd->flags & CMD_NEEDS_DAEMON) &&
	    cli_client_new(&ctx.client, cli_socket_path(ctx.socket_path)) < 0) {
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	ctx.command = cmd->usage->name;
	code = cmd->fn(&ctx, argc, argv);
	cli_client_free(ctx.client);
	kk_store_free(ctx.store);
	git_libgit2_shutdown();
	return cli_finish(code);
}
