/*
 * options.c - parsing a command line by a command's option table, and the
 * help made from the table and the command's usage (options.h).
 */
#include <assert.h>
#include <string.h>

#include "cli.h"
#include "options.h"

/* An option whose name and argument are wider than this has its help on the next line. */
#define LEFT_MAX 24

static const cli_option no_options[] = {CLI_OPT_END()};

/* -h and --help, for a table that has no option "help" of its own. */
static const cli_option help_option = CLI_OPT_CALLBACK('h', "help", NULL, NULL, NULL);

static int has_own_help(const cli_option *opts)
{
	for (; opts->type != CLI_OPT_TYPE_END; opts++)
		if (opts->long_name && strcmp(opts->long_name, "help") == 0)
			return 1;
	return 0;
}

static int is_option(const cli_option *o)
{
	return o->type != CLI_OPT_TYPE_END && o->type != CLI_OPT_TYPE_GROUP;
}

static int takes_argument(const cli_option *o)
{
	return o->type == CLI_OPT_TYPE_STRING || (o->type == CLI_OPT_TYPE_CALLBACK && o->argh);
}

static const cli_option *find_short(const cli_option *opts, int c, int implicit_help)
{
	for (; opts->type != CLI_OPT_TYPE_END; opts++)
		if (is_option(opts) && opts->short_name == c)
			return opts;
	return implicit_help && c == 'h' ? &help_option : NULL;
}

/*
 * Whether option `o` is named by `name` (`len` bytes): 2 when that is its
 * name, 1 when its name starts with it, else 0.
 */
static int names(const cli_option *o, const char *name, size_t len)
{
	if (!is_option(o) || !o->long_name || strncmp(o->long_name, name, len) != 0)
		return 0;
	return o->long_name[len] == '\0' ? 2 : 1;
}

/*
 * The option `name` (`len` bytes) names: the one of that name, else the
 * only one whose name starts with it.  Sets *ambiguous to a second
 * candidate when there are several.
 */
static const cli_option *find_long(const cli_option *opts, const char *name, size_t len,
				   int implicit_help, const cli_option **ambiguous)
{
	const cli_option *found = NULL;
	int match;

	*ambiguous = NULL;
	if (len == 0)
		return NULL;
	for (const cli_option *o = opts; o->type != CLI_OPT_TYPE_END; o++) {
		if ((match = names(o, name, len)) == 2) {
			*ambiguous = NULL;
			return o;
		}
		if (match && found && !*ambiguous)
			*ambiguous = o;
		else if (match && !found)
			found = o;
	}
	if (implicit_help && (match = names(&help_option, name, len)) == 2) {
		*ambiguous = NULL;
		return &help_option;
	}
	if (implicit_help && match && found && !*ambiguous)
		*ambiguous = &help_option;
	else if (implicit_help && match && !found)
		found = &help_option;
	return found;
}

/* Does what option `o` says with `arg`; returns CLI_PARSED or the exit code. */
static int apply(const cli_usage *u, const cli_option *o, const char *arg, void *values)
{
	int code;

	if (o == &help_option)
		return cli_usage_help(u);
	switch (o->type) {
	case CLI_OPT_TYPE_BOOL:
		assert(values);
		*(int *)((char *)values + o->offset) = 1;
		break;
	case CLI_OPT_TYPE_STRING:
		assert(values);
		*(const char **)((char *)values + o->offset) = arg;
		break;
	case CLI_OPT_TYPE_CALLBACK:
		if ((code = o->cb(o, arg, values)) != 0)
			return code;
		break;
	default: assert(!"not an option"); break;
	}
	return CLI_PARSED;
}

static int parse_long(const cli_usage *u, const cli_option *opts, int implicit_help, int argc,
		      char **argv, int *i, void *values)
{
	const char *arg = argv[*i], *name = arg + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const cli_option *o, *other;

	if (!(o = find_long(opts, name, len, implicit_help, &other)))
		return cli_usage_error(u->name, _("unknown option '%s'"), arg);
	if (other)
		return cli_usage_error(u->name,
				       _("ambiguous option '%.*s' (could be --%s or --%s)"),
				       (int)(len + 2), arg, o->long_name, other->long_name);
	if (!takes_argument(o)) {
		if (eq)
			return cli_usage_error(u->name, _("option '%.*s' takes no argument"),
					       (int)(len + 2), arg);
		return apply(u, o, NULL, values);
	}
	if (eq)
		return apply(u, o, eq + 1, values);
	if (*i + 1 == argc)
		return cli_usage_error(u->name, _("option '%s' needs an argument"), arg);
	return apply(u, o, argv[++*i], values);
}

static int parse_short(const cli_usage *u, const cli_option *opts, int implicit_help, int argc,
		       char **argv, int *i, void *values)
{
	const char *arg = argv[*i];

	for (const char *p = arg + 1; *p; p++) {
		const cli_option *o = find_short(opts, (unsigned char)*p, implicit_help);
		char name[3] = {'-', *p, '\0'};
		int code;

		if (!o && (unsigned char)*p >= 0x80) /* not ASCII: no option, and no byte to cut */
			return cli_usage_error(u->name, _("unknown option '%s'"), arg);
		if (!o)
			return cli_usage_error(u->name, _("unknown option '%s'"), name);
		if (!takes_argument(o)) {
			if ((code = apply(u, o, NULL, values)) != CLI_PARSED)
				return code;
			continue;
		}
		if (p[1])
			return apply(u, o, p + 1, values);
		if (*i + 1 == argc)
			return cli_usage_error(u->name, _("option '%s' needs an argument"), name);
		return apply(u, o, argv[++*i], values);
	}
	return CLI_PARSED;
}

int cli_parse_options(int *argc, char **argv, const cli_usage *u, void *values, unsigned flags)
{
	const cli_option *opts = u->options ? u->options : no_options;
	int implicit_help = !has_own_help(opts), n = 0, i, code;

	for (i = 1; i < *argc; i++) {
		const char *arg = argv[i];

		if (arg[0] != '-' || arg[1] == '\0') {
			if (flags & CLI_PARSE_STOP_AT_NON_OPTION)
				break;
			argv[n++] = argv[i];
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (arg[1] == '-')
			code = parse_long(u, opts, implicit_help, *argc, argv, &i, values);
		else
			code = parse_short(u, opts, implicit_help, *argc, argv, &i, values);
		if (code != CLI_PARSED)
			return code;
	}
	/* n < i: a word is moved only to where one before it was. */
	while (i < *argc)
		argv[n++] = argv[i++];
	argv[n] = NULL;
	*argc = n;
	return CLI_PARSED;
}

/* --- help --- */

size_t cli_usage_width(void)
{
	size_t columns = render_columns();

	/* The last column left free: a terminal may wrap a line that fills it. */
	return (columns < 80 ? columns : 80) - 1;
}

int cli_usage_help(const cli_usage *u)
{
	cli_usage_print(stdout, u, cli_usage_width());
	return EXIT_OK;
}

/*
 * Writes one form of a synopsis after `prefix`, broken at the spaces that
 * are not inside brackets to fit `width`; a continued line starts under
 * what follows "keikaku NAME ".
 */
static void print_form(FILE *out, const char *prefix, const char *form, const char *name,
		       size_t width)
{
	size_t hang = render_width(prefix) + strlen("keikaku ") + (name ? strlen(name) + 1 : 0);
	size_t col = render_width(prefix);
	const char *p = form;
	int first = 1;

	fputs(prefix, out);
	while (*p) {
		const char *start;
		char token[256];
		size_t tw;
		int depth = 0;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		for (start = p; *p && (depth > 0 || *p != ' '); p++)
			depth += *p == '[' || *p == '(' ? 1 : *p == ']' || *p == ')' ? -1 : 0;
		snprintf(token, sizeof(token), "%.*s", (int)(p - start), start);
		tw = render_width(token);
		if (!first && col + 1 + tw > width && col + 1 > hang) {
			fputc('\n', out);
			for (col = 0; col < hang; col++)
				fputc(' ', out);
		} else if (!first) {
			fputc(' ', out);
			col++;
		}
		first = 0;
		fputs(token, out);
		col += tw;
	}
	fputc('\n', out);
}

void cli_usage_print_synopsis(FILE *out, const cli_usage *u, size_t width)
{
	const char *usage = _("usage: ");
	char blank[64];
	size_t n = render_width(usage), forms = 0;

	snprintf(blank, sizeof(blank), "%*s", (int)(n < sizeof(blank) ? n : sizeof(blank) - 1), "");
	if (u->synopsis) {
		for (const char *const *s = u->synopsis; *s; s++)
			print_form(out, forms++ ? blank : usage, *s, u->name, width);
		return;
	}
	for (const cli_usage *const *sub = u->subcommands; sub && *sub; sub++)
		for (const char *const *s = (*sub)->synopsis; s && *s; s++)
			print_form(out, forms++ ? blank : usage, *s, (*sub)->name, width);
}

/* Writes the name of `o` and its argument into `buf`: "-m, --message REASON". */
static void option_left(char *buf, size_t size, const cli_option *o)
{
	int n;

	if (o->short_name && o->long_name)
		n = snprintf(buf, size, "-%c, --%s", o->short_name, o->long_name);
	else if (o->short_name)
		n = snprintf(buf, size, "-%c", o->short_name);
	else
		n = snprintf(buf, size, "--%s", o->long_name);
	if (o->argh && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, " %s", o->argh);
}

static int same_option(const cli_option *a, const cli_option *b)
{
	if (a->long_name || b->long_name)
		return a->long_name && b->long_name && strcmp(a->long_name, b->long_name) == 0;
	return a->short_name == b->short_name;
}

/* Whether an option of tables[0..t] before `o` has the name of `o`. */
static int shown_before(const cli_option *const *tables, size_t t, const cli_option *o)
{
	for (size_t k = 0; k <= t; k++)
		for (const cli_option *p = tables[k]; p->type != CLI_OPT_TYPE_END && p != o; p++)
			if (is_option(p) && same_option(p, o))
				return 1;
	return 0;
}

/*
 * Writes the options of `tables`, each name once, aligned in columns; the
 * headings of groups only when there is one table.
 */
static void print_option_list(FILE *out, const cli_option *const *tables, size_t n, size_t width)
{
	size_t left_max = 0, col;
	char left[128];

	for (size_t t = 0; t < n; t++)
		for (const cli_option *o = tables[t]; o->type != CLI_OPT_TYPE_END; o++) {
			size_t w;

			if (!is_option(o))
				continue;
			option_left(left, sizeof(left), o);
			if ((w = render_width(left)) <= LEFT_MAX && w > left_max)
				left_max = w;
		}
	col = 2 + left_max + 3;
	for (size_t t = 0; t < n; t++)
		for (const cli_option *o = tables[t]; o->type != CLI_OPT_TYPE_END; o++) {
			size_t w;

			if (o->type == CLI_OPT_TYPE_GROUP) {
				if (n == 1)
					fprintf(out, "\n%s\n", _(o->help));
				continue;
			}
			if (n > 1 && shown_before(tables, t, o))
				continue;
			option_left(left, sizeof(left), o);
			fprintf(out, "  %s", left);
			w = 2 + render_width(left);
			if (w - 2 > LEFT_MAX) {
				fputc('\n', out);
				render_wrapped(out, _(o->help), col, width, 0);
				continue;
			}
			for (; w < col; w++)
				fputc(' ', out);
			render_wrapped(out, _(o->help), col, width, 1);
		}
}

void cli_usage_print_options(FILE *out, const cli_option *opts, size_t width)
{
	print_option_list(out, &opts, 1, width);
}

/* The option tables u's help lists: its own, or else its subcommands'. */
static size_t help_tables(const cli_option **tables, size_t size, const cli_usage *u)
{
	size_t n = 0;

	if (u->options && u->options->type != CLI_OPT_TYPE_END)
		tables[n++] = u->options;
	else if (!u->options)
		for (const cli_usage *const *sub = u->subcommands; sub && *sub; sub++)
			if ((*sub)->options && (*sub)->options->type != CLI_OPT_TYPE_END) {
				assert(n < size);
				tables[n++] = (*sub)->options;
			}
	return n;
}

void cli_usage_print(FILE *out, const cli_usage *u, size_t width)
{
	const cli_option *tables[16];
	size_t n = help_tables(tables, sizeof(tables) / sizeof(*tables), u);

	cli_usage_print_synopsis(out, u, width);
	if (u->description) {
		fputc('\n', out);
		render_wrapped(out, _(u->description), 0, width, 0);
	}
	if (n) {
		fputc('\n', out);
		print_option_list(out, tables, n, width);
	}
	if (u->footer) {
		fputc('\n', out);
		render_wrapped(out, _(u->footer), 0, width, 0);
	}
}
