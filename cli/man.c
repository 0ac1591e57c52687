/*
 * man.c - keikaku(1) and keikakud(8) in man(7), written at build time by
 * `keikaku __generate` (generate.h): keikaku(1) from the command table and
 * every command's usage and options, the same that -h prints; keikakud(8)
 * from the text of `keikakud --help`, its options' one description.  The
 * pages are in English, the msgids as they are.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "generate.h"
#include "client.h"

/*
 * Writes `s` as roff text: a backslash as \e, a character outside ASCII as
 * \[uXXXX] (so that the page is ASCII whatever the locale man runs in), a
 * '.' or '\'' that starts a line guarded by \&; with `minus`, '-' as \-
 * (options and synopses).
 */
static void roff(FILE *out, const char *s, int minus)
{
	int line_start = 1;

	while (*s) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &cp);

		if (n <= 0) {
			cp = 0xFFFD;
			n = 1;
		}
		if (line_start && (cp == '.' || cp == '\''))
			fputs("\\&", out);
		line_start = cp == '\n';
		if (cp == '\\')
			fputs("\\e", out);
		else if (cp == '-' && minus)
			fputs("\\-", out);
		else if (cp >= 0x80)
			fprintf(out, "\\[u%04X]", (unsigned)cp);
		else
			fputc((int)cp, out);
		s += n;
	}
}

/* A line of roff text, ending in a newline. */
static void roff_line(FILE *out, const char *s, int minus)
{
	roff(out, s, minus);
	fputc('\n', out);
}

/*
 * A description or footer as -h prints it: paragraphs apart at empty lines,
 * a line that starts with a space (an example) kept as it is.
 */
static void roff_text(FILE *out, const char *text)
{
	char *copy = strdup(text), *line, *next;
	int in_example = 0;

	if (!copy)
		return;
	for (line = copy; line; line = next) {
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		if (*line == ' ' && !in_example) {
			fputs(".PP\n.RS 4\n.nf\n", out);
			in_example = 1;
		} else if (*line != ' ' && in_example) {
			fputs(".fi\n.RE\n", out);
			in_example = 0;
		}
		if (!*line) {
			fputs(".PP\n", out);
			continue;
		}
		roff_line(out, in_example ? line + strspn(line, " ") : line, 0);
	}
	if (in_example)
		fputs(".fi\n.RE\n", out);
	free(copy);
}

/* `s` in font `font` ("B", "I"), as an option's name or argument. */
static void roff_font(FILE *out, const char *font, const char *s)
{
	fprintf(out, "\\f%s", font);
	roff(out, s, 1);
	fputs("\\fR", out);
}

/*
 * An option as a tagged paragraph: ".TP", "\fB\-m\fR, \fB\-\-message\fR \fIREASON\fR",
 * then its help unless `help` is NULL.
 */
static void roff_option(FILE *out, const char *short_name, const char *long_name, const char *argh,
			const char *help)
{
	fputs(".TP\n", out);
	if (short_name)
		roff_font(out, "B", short_name);
	if (short_name && long_name)
		fputs(", ", out);
	if (long_name)
		roff_font(out, "B", long_name);
	if (argh) {
		fputc(' ', out);
		roff_font(out, "I", argh);
	}
	fputc('\n', out);
	if (help)
		roff_line(out, help, 0);
}

static void options(FILE *out, const cli_option *table)
{
	const cli_option *opts[64];
	size_t n = cli_options_flatten(opts, sizeof(opts) / sizeof(*opts), table);

	for (size_t i = 0; i < n && i < sizeof(opts) / sizeof(*opts); i++) {
		const cli_option *o = opts[i];
		char s[3] = {'-', (char)o->short_name, '\0'}, l[64];

		snprintf(l, sizeof(l), "--%s", o->long_name ? o->long_name : "");
		roff_option(out, o->short_name ? s : NULL, o->long_name ? l : NULL, o->argh,
			    o->help ? o->help : "");
	}
}

static void synopsis(FILE *out, const char *const *forms)
{
	fputs(".nf\n", out);
	for (const char *const *f = forms; f && *f; f++)
		roff_line(out, *f, 1);
	fputs(".fi\n", out);
}

/* One command's subsection: its synopsis, description, options and footer. */
static void command(FILE *out, const cli_usage *u)
{
	fputs(".SS \"keikaku ", out);
	roff(out, u->name, 0);
	fputs("\"\n", out);
	if (u->synopsis)
		synopsis(out, u->synopsis);
	fputs(".PP\n", out);
	roff_text(out, u->description ? u->description : u->summary);
	if (u->options && u->options->type != CLI_OPT_TYPE_END) {
		fputs(".PP\nOptions:\n", out);
		options(out, u->options);
	}
	if (u->footer) {
		fputs(".PP\n", out);
		roff_text(out, u->footer);
	}
	for (const cli_usage *const *sub = u->subcommands; sub && *sub; sub++)
		command(out, *sub);
}

static void heading(FILE *out, const char *name, int section)
{
	fprintf(out,
		".\\\" Written by `%s __generate` from its tables: do not edit.\n"
		".TH %s %d \"\" \"keikaku %s\" \"Keikaku\"\n",
		name, name, section, KK_VERSION);
}

static void see_also(FILE *out, const char *other)
{
	fprintf(out, ".SH SEE ALSO\n.BR %s ,\n.BR git (1)\n.PP\n", other);
	fputs("docs/cli.md, docs/deploy.md and docs/data-model.md in Keikaku's sources.\n", out);
}

/* What keikaku(1) says of the environment and of files. */
static const struct {
	const char *name, *text;
} environment[] = {
	{CLI_SOCKET_ENV,
	 "keikakud's socket when --socket is not given (default " CLI_SOCKET_DEFAULT ")."},
	{"KEIKAKU_AMBIGUOUS_WIDTH",
	 "1 or 2: the columns the terminal draws East Asian ambiguous characters (the marks "
	 "\xe2\x97\x8e \xe2\x97\x8b \xe2\x96\xb2, \xe2\x80\x94, \xe2\x80\xa6) in; "
	 "--ambiguous-width overrides it. Many Japanese terminals draw them two columns wide."},
	{"VISUAL, EDITOR", "the editor keikaku edit runs (VISUAL first, then EDITOR, then vi)."},
	{"KEIKAKU_PAGER, PAGER",
	 "the pager long output goes through when standard output is a terminal."},
	{"LANG, LC_ALL, LC_MESSAGES",
	 "the language of messages: English, or Japanese with ja_JP.UTF-8. Plan data is shown as "
	 "written."},
	{"COLUMNS", "the width tables and help are laid out for, instead of the terminal's."},
	{"NO_COLOR", "when set, keikaku diff writes no colours."},
	{"TMPDIR", "where keikaku edit and report write their temporary files."},
	{"KEIKAKU_DATADIR, KEIKAKU_LOCALEDIR",
	 "where the schemas and repository template, and the message catalogues, are, instead "
	 "of where they were installed."},
};

int cli_man_keikaku(FILE *out)
{
	const cli_usage *k = &cli_keikaku_usage;

	heading(out, "keikaku", 1);
	fputs(".SH NAME\nkeikaku \\- ", out);
	roff_line(out, k->summary, 0);
	fputs(".SH SYNOPSIS\n", out);
	synopsis(out, k->synopsis);
	fputs(".SH DESCRIPTION\n", out);
	fputs("keikaku reads and changes a plan kept in a git repository: its items, their "
	      "fiscal years' progress and results, and the departments that own them. Reads "
	      "come from a repository when there is one, else from keikakud; changes always go "
	      "through keikakud(8), which checks them against the plan's rules and commits "
	      "them.\n.PP\nThe commands:\n.PD 0\n",
	      out);
	for (const cli_command *c = cli_commands; c->usage; c++) {
		fputs(".TP 10\n.B ", out);
		roff_line(out, c->usage->name, 0);
		roff_line(out, c->usage->summary, 0);
	}
	fputs(".PD\n.SH OPTIONS\n", out);
	options(out, k->options);
	fputs(".SH COMMANDS\n", out);
	for (const cli_command *c = cli_commands; c->usage; c++)
		command(out, c->usage);
	fprintf(out,
		".SH EXIT STATUS\n.TP\n%d\nsuccess.\n.TP\n%d\nthe answer is no: problems "
		"found, files invalid, a difference with \\-\\-exit\\-code.\n.TP\n%d\na usage "
		"error: unknown command or option, a bad argument.\n.TP\n%d\na failure: no "
		"repository, an unknown revision, keikakud refused or could not be reached, an "
		"I/O error.\n",
		EXIT_OK, EXIT_NO, EXIT_USAGE, EXIT_FAIL);
	fputs(".SH ENVIRONMENT\n", out);
	for (size_t i = 0; i < sizeof(environment) / sizeof(*environment); i++) {
		fputs(".TP\n.B ", out);
		roff_line(out, environment[i].name, 0);
		roff_line(out, environment[i].text, 0);
	}
	fputs(".SH FILES\n.TP\n.I " CLI_SOCKET_DEFAULT "\nkeikakud's socket by default.\n"
	      ".TP\n.I keikaku.json, departments.json, plan.json, items/NNNN.json\n"
	      "the plan, in its repository.\n"
	      ".TP\n.I keikaku/history.idx\nin the repository's git directory: the history "
	      "index, derived, rebuilt when missing or stale.\n",
	      out);
	see_also(out, "keikakud (8)");
	return ferror(out) ? -1 : 0;
}

/* Whether `line` starts an option of keikakud's help ("  -v, --verbose   …"). */
static int option_line(const char *line)
{
	return strncmp(line, "  -", 3) == 0;
}

/*
 * keikakud(8) from its help: "usage: SYNOPSIS", a paragraph, then one
 * option a line ("  --name ARG   help"), its help going on in lines
 * indented past the names.
 */
int cli_man_keikakud(FILE *out, const char *help)
{
	char *copy = strdup(help), *line, *next, *synopsis_line = NULL;
	int section = 0; /* 0 synopsis, 1 description, 2 options */

	if (!copy)
		return -1;
	heading(out, "keikakud", 8);
	fputs(".SH NAME\nkeikakud \\- serve a Keikaku plan repository: check updates and "
	      "commit them\n",
	      out);
	for (line = copy; line; line = next) {
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		if (section == 0 && strncmp(line, "usage: ", 7) == 0) {
			synopsis_line = line + 7;
			fputs(".SH SYNOPSIS\n", out);
			roff_line(out, synopsis_line, 1);
			fputs(".SH DESCRIPTION\n", out);
			section = 1;
		} else if (section >= 1 && option_line(line)) {
			char *names = line + 2, *gap = strstr(names, "  "), *arg;

			if (section == 1)
				fputs(".PP\nkeikakud is the only writer of a plan repository. It "
				      "listens on a Unix socket, learns who is calling from the "
				      "kernel (SO_PEERCRED), decides each update with the plan's "
				      "rules and commits it durably. Under systemd it takes the "
				      "socket systemd passes in.\n.SH OPTIONS\n",
				      out);
			section = 2;
			if (gap)
				*gap = '\0';
			if ((arg = strchr(names + (strncmp(names, "-v, ", 4) ? 0 : 4), ' ')))
				*arg++ = '\0';
			roff_option(out, NULL, names, arg,
				    gap ? gap + 1 + strspn(gap + 1, " ") : NULL);
		} else if (section == 2 && *line == ' ') {
			roff_line(out, line + strspn(line, " "), 0);
		} else if (section == 1 && *line) {
			roff_line(out, line, 0);
		}
	}
	free(copy);
	if (section < 2)
		return -1; /* not keikakud's help */
	fputs(".SH EXIT STATUS\n0 when stopped by a signal after serving; 1 when it cannot "
	      "start; 2 on a usage error.\n",
	      out);
	fputs(".SH ENVIRONMENT\n.TP\n.B CREDENTIALS_DIRECTORY\nwhere systemd's "
	      "LoadCredential=signing\\-key:PATH puts the signing key, for \\-\\-signing\\-key "
	      "without FILE.\n.TP\n.B LANG, LC_ALL\nkeikakud answers each caller in the "
	      "caller's language; its log is in English.\n.TP\n.B SSL_CERT_FILE, SSL_CERT_DIR\n"
	      "a file, or a directory, of PEM certificates of the CAs an https mirror's "
	      "certificate is checked against, instead of the system's; with an https "
	      "mirror, keikakud does not start when one names nothing it can read.\n.TP\n"
	      ".B TZ\nthe time zone of "
	      "commits and of @DATE revisions (default /etc/localtime).\n",
	      out);
	fputs(".SH FILES\n.TP\n.I " CLI_SOCKET_DEFAULT "\nthe socket, by default.\n.TP\n"
	      ".I REPO/keikakud.pid\nthe lock that keeps a second keikakud off the repository.\n",
	      out);
	see_also(out, "keikaku (1)");
	return ferror(out) ? -1 : 0;
}
