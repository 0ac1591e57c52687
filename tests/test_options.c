/*
 * Tests for cli/options.c: parsing a command line by an option table (every
 * form getopt_long() took), the errors and exit codes, and the help made from
 * a table, byte for byte.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "options.h"

typedef struct t_args {
	int json, dry_run;
	const char *at, *message, *dept, *result, *result_file;
	char seen[8][32]; /* the arguments of --user, in order */
	int users;
} t_args;

static int add_user(const cli_option *opt, const char *arg, void *values)
{
	t_args *a = values;

	(void)opt;
	if (strcmp(arg, "nobody") == 0)
		return cli_usage_error("t", "no such user '%s'", arg);
	if (strcmp(arg, "broken") == 0)
		return EXIT_FAIL;
	snprintf(a->seen[a->users++], sizeof(a->seen[0]), "%s", arg);
	return 0;
}

static const cli_option t_options[] = {
	CLI_OPT_STRING(0, "at", t_args, at, "REV", "the plan at REV"),
	CLI_OPT_STRING(0, "dept", t_args, dept, "D", "only department D"),
	CLI_OPT_BOOL('j', "json", t_args, json, "print JSON"),
	CLI_OPT_BOOL(0, "dry-run", t_args, dry_run, "commit nothing"),
	CLI_OPT_STRING('m', "message", t_args, message, "REASON", "why"),
	CLI_OPT_STRING(0, "result", t_args, result, "TEXT", "the result"),
	CLI_OPT_STRING(0, "result-file", t_args, result_file, "FILE", "the result from FILE"),
	CLI_OPT_CALLBACK('u', "user", "U", "a user (repeatable)", add_user),
	CLI_OPT_END(),
};

static const char *const t_synopsis[] = {"keikaku t [--at REV] [--json] ARG...", NULL};
static const cli_usage t_usage = {
	.name = "t",
	.summary = "a test command",
	.synopsis = t_synopsis,
	.description = "Tests the parser.",
	.options = t_options,
};

/* What one parse did: its code, the words left, and what it wrote. */
typedef struct outcome {
	int code, argc;
	char *argv[16];
	char *out, *err;
} outcome;

static char *read_back(FILE *f)
{
	long n;
	char *s;

	fflush(f);
	n = ftell(f);
	assert_true(n >= 0);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	rewind(f);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

/*
 * Parses the NULL-terminated words after the command's name by `u` into
 * `values`, with stdout and stderr caught.
 */
static outcome parse_with(const cli_usage *u, void *values, unsigned flags,
			  const char *const *words)
{
	outcome r = {0};
	FILE *out = tmpfile(), *err = tmpfile();
	int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);

	assert_non_null(out);
	assert_non_null(err);
	r.argv[r.argc++] = (char *)u->name;
	for (; *words; words++) {
		assert_true(r.argc < 15);
		r.argv[r.argc++] = (char *)*words;
	}
	r.argv[r.argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	assert_true(dup2(fileno(out), STDOUT_FILENO) >= 0);
	assert_true(dup2(fileno(err), STDERR_FILENO) >= 0);
	r.code = cli_parse_options(&r.argc, r.argv, u, values, flags);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	r.out = read_back(out);
	r.err = read_back(err);
	return r;
}

#define parse(a, ...) parse_with(&t_usage, (a), 0, (const char *const[]){__VA_ARGS__, NULL})

static void outcome_clear(outcome *r)
{
	free(r->out);
	free(r->err);
}

/* The parse failed with `code`, saying `message` and where to look. */
static void assert_refused(outcome *r, int code, const char *message)
{
	char expected[512];

	snprintf(expected, sizeof(expected), "keikaku: %s\ntry 'keikaku t --help'\n", message);
	assert_int_equal(r->code, code);
	assert_string_equal(r->out, "");
	assert_string_equal(r->err, expected);
	outcome_clear(r);
}

static void assert_words(outcome *r, int n, ...)
{
	va_list ap;

	assert_int_equal(r->code, CLI_PARSED);
	assert_string_equal(r->out, "");
	assert_string_equal(r->err, "");
	assert_int_equal(r->argc, n);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		assert_string_equal(r->argv[i], va_arg(ap, const char *));
	va_end(ap);
	assert_null(r->argv[n]);
	outcome_clear(r);
}

static void test_long_forms(void **state)
{
	t_args a = {0};
	outcome r;

	(void)state;
	r = parse(&a, "--at", "HEAD~1", "--dept=秘書課", "--json", "--dry-run");
	assert_words(&r, 0);
	assert_string_equal(a.at, "HEAD~1");
	assert_string_equal(a.dept, "秘書課");
	assert_int_equal(a.json, 1);
	assert_int_equal(a.dry_run, 1);
	assert_null(a.message);

	/* An empty value, and an argument that looks like an option, are arguments. */
	memset(&a, 0, sizeof(a));
	r = parse(&a, "--dept=", "--at", "--json");
	assert_words(&r, 0);
	assert_string_equal(a.dept, "");
	assert_string_equal(a.at, "--json");
	assert_int_equal(a.json, 0);
}

static void test_short_forms(void **state)
{
	t_args a = {0};
	outcome r;

	(void)state;
	r = parse(&a, "-m", "a reason", "-u", "kkt_hisho");
	assert_words(&r, 0);
	assert_string_equal(a.message, "a reason");
	assert_int_equal(a.users, 1);
	assert_string_equal(a.seen[0], "kkt_hisho");

	memset(&a, 0, sizeof(a));
	r = parse(&a, "-m理由", "-jm", "x", "-jukkt_a");
	assert_words(&r, 0);
	assert_string_equal(a.message, "x");
	assert_int_equal(a.json, 1);
	assert_string_equal(a.seen[0], "kkt_a");
}

/* A long name shortened to a prefix that only one option has; a whole name wins over longer ones.
 */
static void test_abbreviations(void **state)
{
	t_args a = {0};
	outcome r;

	(void)state;
	r = parse(&a, "--mess", "why", "--dr", "--result", "done", "--result-f", "f.txt");
	assert_words(&r, 0);
	assert_string_equal(a.message, "why");
	assert_int_equal(a.dry_run, 1);
	assert_string_equal(a.result, "done");
	assert_string_equal(a.result_file, "f.txt");

	/* --help is one of the candidates (a prefix shared with another option is refused). */
	memset(&a, 0, sizeof(a));
	r = parse(&a, "--he");
	assert_int_equal(r.code, EXIT_OK);
	assert_true(strncmp(r.out, "usage: keikaku t ", 17) == 0);
	outcome_clear(&r);
}

/* Options and arguments in any order, as getopt_long() permutes them; "-" is an argument. */
static void test_arguments(void **state)
{
	t_args a = {0};
	outcome r;

	(void)state;
	r = parse(&a, "one", "--json", "-", "--at", "A", "two");
	assert_words(&r, 3, "one", "-", "two");
	assert_int_equal(a.json, 1);
	assert_string_equal(a.at, "A");
}

static void test_double_dash(void **state)
{
	t_args a = {0};
	outcome r;

	(void)state;
	r = parse(&a, "one", "--", "--json", "-m", "--");
	assert_words(&r, 4, "one", "--json", "-m", "--");
	assert_int_equal(a.json, 0);
	assert_null(a.message);
}

/* The last of a repeated option wins; a callback sees each one. */
static void test_repeated(void **state)
{
	t_args a = {0};
	outcome r;

	(void)state;
	r = parse(&a, "--at", "A", "-u", "x", "--at=B", "--user", "y", "--user=z", "--json", "-j");
	assert_words(&r, 0);
	assert_string_equal(a.at, "B");
	assert_int_equal(a.users, 3);
	assert_string_equal(a.seen[0], "x");
	assert_string_equal(a.seen[1], "y");
	assert_string_equal(a.seen[2], "z");
	assert_int_equal(a.json, 1);
}

/*
 * Each line is refused with exit code 2 and its message: a missing argument,
 * an unknown or ambiguous option, an argument to an option that takes none;
 * the first error stops the parse.
 */
static void test_refused(void **state)
{
	static const struct {
		const char *words[4];
		const char *message;
	} cases[] = {
		{{"one", "--at"}, "option '--at' needs an argument"},
		{{"--mess"}, "option '--mess' needs an argument"},
		{{"-m"}, "option '-m' needs an argument"},
		{{"-jm"}, "option '-m' needs an argument"},
		{{"--bogus"}, "unknown option '--bogus'"},
		{{"--bogus=1", "--json"}, "unknown option '--bogus=1'"},
		{{"-x"}, "unknown option '-x'"},
		{{"-jxm", "y"}, "unknown option '-x'"},
		{{"-年度"}, "unknown option '-年度'"},
		{{"--json=yes"}, "option '--json' takes no argument"},
		{{"--=x"}, "unknown option '--=x'"},
		{{"--bogus", "-h"}, "unknown option '--bogus'"},
		{{"--d", "x"}, "ambiguous option '--d' (could be --dept or --dry-run)"},
		{{"--res=x"}, "ambiguous option '--res' (could be --result or --result-file)"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		t_args a = {0};
		outcome r = parse_with(&t_usage, &a, 0, cases[i].words);

		assert_refused(&r, EXIT_USAGE, cases[i].message);
	}
}

/* A callback's refusal is the parse's, with its own message and exit code. */
static void test_callback_refuses(void **state)
{
	t_args a = {0};
	outcome r;

	(void)state;
	r = parse(&a, "--user", "nobody", "--json");
	assert_refused(&r, EXIT_USAGE, "no such user 'nobody'");
	assert_int_equal(a.json, 0);
	r = parse(&a, "-ubroken");
	assert_int_equal(r.code, EXIT_FAIL);
	outcome_clear(&r);
}

/* keikaku's own options end at the command's name. */
static void test_stop_at_non_option(void **state)
{
	t_args a = {0};
	outcome r;

	(void)state;
	r = parse_with(&t_usage, &a, CLI_PARSE_STOP_AT_NON_OPTION,
		       (const char *const[]){"--at", "A", "log", "--json", "-h", NULL});
	assert_words(&r, 3, "log", "--json", "-h");
	assert_string_equal(a.at, "A");
	assert_int_equal(a.json, 0);

	r = parse_with(&t_usage, &a, CLI_PARSE_STOP_AT_NON_OPTION,
		       (const char *const[]){"-j", "--", "-h", NULL});
	assert_words(&r, 1, "-h");
}

static const char t_help[] = "usage: keikaku t [--at REV] [--json] ARG...\n"
			     "\n"
			     "Tests the parser.\n"
			     "\n"
			     "  --at REV               the plan at REV\n"
			     "  --dept D               only department D\n"
			     "  -j, --json             print JSON\n"
			     "  --dry-run              commit nothing\n"
			     "  -m, --message REASON   why\n"
			     "  --result TEXT          the result\n"
			     "  --result-file FILE     the result from FILE\n"
			     "  -u, --user U           a user (repeatable)\n";

/* -h and --help print the help made from the table, on stdout, and stop. */
static void test_help(void **state)
{
	t_args a = {0};
	outcome r;

	(void)state;
	setenv("COLUMNS", "80", 1);
	r = parse(&a, "--json", "-h", "--bogus");
	assert_int_equal(r.code, EXIT_OK);
	assert_string_equal(r.out, t_help);
	assert_string_equal(r.err, "");
	outcome_clear(&r);
	r = parse(&a, "x", "--help");
	assert_int_equal(r.code, EXIT_OK);
	assert_string_equal(r.out, t_help);
	outcome_clear(&r);
	r = parse(&a, "-jh");
	assert_int_equal(r.code, EXIT_OK);
	assert_string_equal(r.out, t_help);
	outcome_clear(&r);
}

typedef struct root_args {
	int help, version;
	const char *socket;
} root_args;

static const cli_option root_options[] = {
	CLI_OPT_STRING(0, "socket", root_args, socket, "PATH", "talk to keikakud at PATH"),
	CLI_OPT_BOOL('h', "help", root_args, help, "print this help"),
	CLI_OPT_BOOL(0, "version", root_args, version, "print the version"),
	CLI_OPT_END(),
};

/* A table with its own "help" has -h and --help to itself. */
static void test_own_help(void **state)
{
	static const cli_usage root = {.options = root_options};
	root_args a = {0};
	outcome r;

	(void)state;
	r = parse_with(&root, &a, 0, (const char *const[]){"-h", NULL});
	assert_words(&r, 0);
	assert_int_equal(a.help, 1);
	assert_int_equal(a.version, 0);
	memset(&a, 0, sizeof(a));
	r = parse_with(&root, &a, 0, (const char *const[]){"--he", "--vers", NULL});
	assert_words(&r, 0);
	assert_int_equal(a.help, 1);
	assert_int_equal(a.version, 1);
}

/* Options several commands share: a table of their own, storing into a struct of its own. */
typedef struct shared_args {
	const char *title;
	int force, marked;
} shared_args;

static int mark(const cli_option *opt, const char *arg, void *values)
{
	((shared_args *)values)->marked = 1;
	return 0;
}

static const cli_option shared_options[] = {
	CLI_OPT_STRING(0, "title", shared_args, title, "TEXT", "the plan's title"),
	CLI_OPT_BOOL('f', "force", shared_args, force, "skip what cannot be read"),
	CLI_OPT_CALLBACK(0, "mark", NULL, "mark the struct", mark),
	CLI_OPT_END(),
};

typedef struct outer_args {
	int json;
	shared_args shared;
	const char *message;
} outer_args;

static const cli_option outer_options[] = {
	CLI_OPT_BOOL(0, "json", outer_args, json, "print JSON"),
	CLI_OPT_INCLUDE(outer_args, shared, shared_options),
	CLI_OPT_STRING('m', "message", outer_args, message, "REASON", "why"),
	CLI_OPT_END(),
};

static const char *const outer_synopsis[] = {"keikaku import FILE [--title TEXT]", NULL};
static const cli_usage outer_usage = {
	.name = "import", .synopsis = outer_synopsis, .options = outer_options};

/* An included table's options are parsed and listed in its place, into its struct. */
static void test_include(void **state)
{
	static const char help[] = "usage: keikaku import FILE [--title TEXT]\n"
				   "\n"
				   "  --json                 print JSON\n"
				   "  --title TEXT           the plan's title\n"
				   "  -f, --force            skip what cannot be read\n"
				   "  --mark                 mark the struct\n"
				   "  -m, --message REASON   why\n";
	outer_args a = {0};
	outcome r;

	(void)state;
	r = parse_with(
		&outer_usage, &a, 0,
		(const char *const[]){"--tit", "T", "r.tsv", "-fmx", "--mark", "--json", NULL});
	assert_words(&r, 1, "r.tsv");
	assert_string_equal(a.shared.title, "T");
	assert_int_equal(a.shared.force, 1);
	assert_int_equal(a.shared.marked, 1);
	assert_string_equal(a.message, "x");
	assert_int_equal(a.json, 1);
	setenv("COLUMNS", "80", 1);
	r = parse_with(&outer_usage, &a, 0, (const char *const[]){"-h", NULL});
	assert_int_equal(r.code, EXIT_OK);
	assert_string_equal(r.out, help);
	outcome_clear(&r);
}

/* cli_usage_print() lays `u` out for `width` columns as `expected`. */
static void assert_help(const cli_usage *u, size_t width, const char *expected)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	assert_non_null(out);
	cli_usage_print(out, u, width);
	assert_int_equal(fclose(out), 0);
	assert_string_equal(text, expected);
	free(text);
}

static const cli_option layout_options[] = {
	CLI_OPT_STRING(0, "from", t_args, at, "DIR", "take the plan files from DIR"),
	CLI_OPT_GROUP("building the plan from a report:"),
	CLI_OPT_STRING(0, "import", t_args, dept, "FILE", "the report to import"),
	CLI_OPT_STRING(0, "admin-department-of-the-plan", t_args, message, "NAME",
		       "the department that administers the plan"),
	CLI_OPT_STRING(0, "corrections", t_args, result, "FILE",
		       "set fields or skip rows that no reading can decide (see docs/cli.md); "
		       "they go in the commit message"),
	CLI_OPT_STRING(
		0, "fy", t_args, result_file, "Y",
		"年度 Y の欄の変更だけを表示する。年度は 2021、R3、令和3年度、令和元年度のどれで"
		"書いてもよい"),
	CLI_OPT_END(),
};

static const char *const layout_synopsis[] = {
	"keikaku init PATH [--from DIR]",
	"keikaku init PATH --import FILE [--explain] [--corrections FILE] [--force] [--title TEXT] "
	"[--organisation TEXT] [--admin-department NAME] [--fy Y [--progress P]]",
	NULL,
};

static const cli_usage layout_usage = {
	.name = "init",
	.synopsis = layout_synopsis,
	.description = "Creates a bare plan repository at PATH with one commit: the plan files in "
		       "DIR, or an empty plan from the template.\n\n  keikaku init plan.git "
		       "--from examples/dx-plan-r3   # an example, as it is, however long\n\nAn "
		       "existing PATH is never overwritten.",
	.options = layout_options,
	.footer = "exit codes: 0 ok, 1 problems found, 2 usage error, 3 failure",
};

/*
 * The layout for a width: synopsis forms broken between bracketed groups
 * and continued under the command's arguments, the description wrapped
 * (an example line that starts with a space as it is),
 * options in columns with their help wrapped under the column, a name too
 * wide for the column on its own line, Japanese measured in display columns.
 */
static void test_help_layout(void **state)
{
	static const char expected[] =
		"usage: keikaku init PATH [--from DIR]\n"
		"       keikaku init PATH --import FILE [--explain] [--corrections FILE]\n"
		"                    [--force] [--title TEXT] [--organisation TEXT]\n"
		"                    [--admin-department NAME] [--fy Y [--progress P]]\n"
		"\n"
		"Creates a bare plan repository at PATH with one commit: the plan files\n"
		"in DIR, or an empty plan from the template.\n"
		"\n"
		"  keikaku init plan.git --from examples/dx-plan-r3   # an example, as it is, however long\n"
		"\n"
		"An existing PATH is never overwritten.\n"
		"\n"
		"  --from DIR           take the plan files from DIR\n"
		"\n"
		"building the plan from a report:\n"
		"  --import FILE        the report to import\n"
		"  --admin-department-of-the-plan NAME\n"
		"                       the department that administers the plan\n"
		"  --corrections FILE   set fields or skip rows that no reading can\n"
		"                       decide (see docs/cli.md); they go in the commit\n"
		"                       message\n"
		"  --fy Y               年度 Y の欄の変更だけを表示する。年度は 2021、\n"
		"                       R3、令和3年度、令和元年度のどれで書いてもよい\n"
		"\n"
		"exit codes: 0 ok, 1 problems found, 2 usage error, 3 failure\n";

	(void)state;
	assert_help(&layout_usage, 72, expected);
}

static const cli_option sub_a_options[] = {
	CLI_OPT_BOOL(0, "json", t_args, json, "print JSON"),
	CLI_OPT_STRING('m', "message", t_args, message, "REASON", "why"),
	CLI_OPT_END(),
};
static const cli_option sub_b_options[] = {
	CLI_OPT_STRING('m', "message", t_args, message, "REASON", "why, again"),
	CLI_OPT_BOOL(0, "dry-run", t_args, dry_run, "commit nothing"),
	CLI_OPT_END(),
};
static const char *const sub_a_synopsis[] = {"keikaku dept list [--json] [-m REASON]", NULL};
static const char *const sub_b_synopsis[] = {"keikaku dept remove NAME [-m REASON] [--dry-run]",
					     NULL};
static const cli_usage sub_a = {
	.name = "dept list", .synopsis = sub_a_synopsis, .options = sub_a_options};
static const cli_usage sub_b = {
	.name = "dept remove", .synopsis = sub_b_synopsis, .options = sub_b_options};
static const cli_usage *const subs[] = {&sub_a, &sub_b, NULL};
static const cli_usage parent = {
	.name = "dept", .description = "Lists or removes departments.", .subcommands = subs};

/* A command with subcommands: every subcommand's synopsis, and their options, each once. */
static void test_help_subcommands(void **state)
{
	static const char expected[] = "usage: keikaku dept list [--json] [-m REASON]\n"
				       "       keikaku dept remove NAME [-m REASON]\n"
				       "                           [--dry-run]\n"
				       "\n"
				       "Lists or removes departments.\n"
				       "\n"
				       "  --json                 print JSON\n"
				       "  -m, --message REASON   why\n"
				       "  --dry-run              commit nothing\n";
	outcome r;

	(void)state;
	assert_help(&parent, 48, expected);

	/* It takes no option itself, and says so in its own name. */
	r = parse_with(&parent, NULL, CLI_PARSE_STOP_AT_NON_OPTION,
		       (const char *const[]){"--json", NULL});
	assert_int_equal(r.code, EXIT_USAGE);
	assert_string_equal(r.err, "keikaku: unknown option '--json'\ntry 'keikaku dept --help'\n");
	outcome_clear(&r);
	r = parse_with(&parent, NULL, CLI_PARSE_STOP_AT_NON_OPTION,
		       (const char *const[]){"remove", "--json", NULL});
	assert_words(&r, 2, "remove", "--json");
}

/* "did you mean", as git weighs typos: a short name missing a letter is near its command. */
static void test_nearest(void **state)
{
	static const char *const commands[] = {"show", "list", "diff", "log",  "blame",
					       "dept", "year", "status", "update"};
	static const char *const dept_subs[] = {"list", "add", "remove", "map", "unmap"};
	static const struct {
		const char *typed, *meant;
	} cases[] = {
		{"lg", "log"},	      {"shw", "show"},	   {"lgo", "log"},   {"updte", "update"},
		{"stauts", "status"}, {"sttaus", "status"}, {"dif", "diff"}, {"ls", "list"},
		{"showw", "show"},    {"blam", "blame"},
		/* Too far, or as near to two names. */
		{"frobnicate", NULL}, {"x", NULL},	     {"d", NULL},	     {"zzz", NULL},
		{"", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *got = cli_nearest(cases[i].typed, commands,
					      sizeof(commands) / sizeof(*commands));

		if (!cases[i].meant ? got != NULL : !got || strcmp(got, cases[i].meant) != 0)
			fail_msg("'%s' gave '%s', expected '%s'", cases[i].typed, got ? got : "(none)",
				 cases[i].meant ? cases[i].meant : "(none)");
	}
	assert_string_equal(cli_nearest("mpa", dept_subs, 5), "map");
	assert_string_equal(cli_nearest("unmpa", dept_subs, 5), "unmap");
	assert_string_equal(cli_nearest("lst", dept_subs, 5), "list");
	assert_null(cli_nearest("check", dept_subs, 5));
	assert_null(cli_nearest("lg", NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_forms),
		cmocka_unit_test(test_short_forms),
		cmocka_unit_test(test_abbreviations),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_double_dash),
		cmocka_unit_test(test_repeated),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_callback_refuses),
		cmocka_unit_test(test_stop_at_non_option),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_own_help),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_help_layout),
		cmocka_unit_test(test_help_subcommands),
		cmocka_unit_test(test_nearest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
