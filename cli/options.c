/*
 * options.c - parsing a command line by a command's option table, and the
 * help made from the table and the command's usage (options.h).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "options.h"

/* An option whose name and argument are wider than this has its help on the next line. */
#define LEFT_MAX 24

static const cli_option no_options[] = {CLI_OPT_END()};

/* -h and --help, for a table that has no option "help" of its own. */
static const cli_option help_option = CLI_OPT_CALLBACK('h', "help", NULL, NULL, NULL);

/* Included tables go this deep at most. */
#define INCLUDE_DEPTH 4

/*
 * A walk over a table's options and group headings, those of the tables it
 * includes in their places, and then -h/--help when `help` is set.
 */
typedef struct walk {
	const cli_option *at[INCLUDE_DEPTH];
	size_t base[INCLUDE_DEPTH]; /* where the table's struct is in the caller's */
	int depth, help;
} walk;

static void walk_start(walk *w, const cli_option *table, int help)
{
	w->at[0] = table ? table : no_options;
	w->base[0] = 0;
	w->depth = 0;
	w->help = help;
}

/* The next entry, with *base the offset of its struct; NULL after the last. */
static const cli_option *walk_next(walk *w, size_t *base)
{
	while (w->depth >= 0) {
		const cli_option *o = w->at[w->depth];

		if (o->type == CLI_OPT_TYPE_END) {
			w->depth--;
			continue;
		}
		w->at[w->depth]++;
		if (o->type == CLI_OPT_TYPE_INCLUDE) {
			assert(w->depth + 1 < INCLUDE_DEPTH);
			w->base[w->depth + 1] = w->base[w->depth] + o->offset;
			w->at[++w->depth] = o->table;
			continue;
		}
		*base = w->base[w->depth];
		return o;
	}
	if (w->help) {
		w->help = 0;
		*base = 0;
		return &help_option;
	}
	return NULL;
}

static int is_option(const cli_option *o)
{
	return o->type != CLI_OPT_TYPE_END && o->type != CLI_OPT_TYPE_GROUP;
}

static int takes_argument(const cli_option *o)
{
	return o->type == CLI_OPT_TYPE_STRING || (o->type == CLI_OPT_TYPE_CALLBACK && o->argh);
}

int cli_option_takes_argument(const cli_option *o)
{
	return takes_argument(o);
}

size_t cli_options_flatten(const cli_option **out, size_t size, const cli_option *table)
{
	const cli_option *o;
	size_t n = 0, base;
	walk w;

	walk_start(&w, table, 0);
	while ((o = walk_next(&w, &base)))
		if (is_option(o)) {
			if (n < size)
				out[n] = o;
			n++;
		}
	return n;
}

/* What cli_parse_options() works with. */
typedef struct parser {
	const cli_usage *u;
	const cli_option *opts;
	void *values;
	int implicit_help; /* the table has no option "help": -h and --help are the help */
} parser;

static int has_own_help(const cli_option *opts)
{
	const cli_option *o;
	size_t base;
	walk w;

	walk_start(&w, opts, 0);
	while ((o = walk_next(&w, &base)))
		if (is_option(o) && o->long_name && strcmp(o->long_name, "help") == 0)
			return 1;
	return 0;
}

static const cli_option *find_short(const parser *p, int c, size_t *base)
{
	const cli_option *o;
	walk w;

	walk_start(&w, p->opts, p->implicit_help);
	while ((o = walk_next(&w, base)))
		if (is_option(o) && o->short_name == c)
			return o;
	return NULL;
}

/*
 * The option `name` (`len` bytes) names: the one of that name, else the
 * only one whose name starts with it.  Sets *ambiguous to a second
 * candidate when there are several.
 */
static const cli_option *find_long(const parser *p, const char *name, size_t len, size_t *base,
				   const cli_option **ambiguous)
{
	const cli_option *o, *found = NULL;
	size_t at, found_base = 0;
	walk w;

	*ambiguous = NULL;
	if (len == 0)
		return NULL;
	walk_start(&w, p->opts, p->implicit_help);
	while ((o = walk_next(&w, &at))) {
		if (!is_option(o) || !o->long_name || strncmp(o->long_name, name, len) != 0)
			continue;
		if (o->long_name[len] == '\0') {
			*ambiguous = NULL;
			*base = at;
			return o;
		}
		if (found && !*ambiguous) {
			*ambiguous = o;
		} else if (!found) {
			found = o;
			found_base = at;
		}
	}
	*base = found_base;
	return found;
}

/*
 * Does what option `o`, of the struct at `base`, says with `arg`; returns
 * CLI_PARSED or the exit code.
 */
static int apply(const parser *p, const cli_option *o, size_t base, const char *arg)
{
	char *values = (char *)p->values + base;
	int code;

	if (o == &help_option)
		return cli_usage_help(p->u);
	switch (o->type) {
	case CLI_OPT_TYPE_BOOL:
		assert(p->values);
		*(int *)(values + o->offset) = 1;
		break;
	case CLI_OPT_TYPE_STRING:
		assert(p->values);
		*(const char **)(values + o->offset) = arg;
		break;
	case CLI_OPT_TYPE_CALLBACK:
		if ((code = o->cb(o, arg, p->values ? values : NULL)) != 0)
			return code;
		break;
	default: assert(!"not an option"); break;
	}
	return CLI_PARSED;
}

/*
 * The cost of turning `typed` into `name`, as git weighs it for "did you
 * mean" (levenshtein.c, called by help.c with these weights): two letters
 * swapped cost nothing, a letter added 1, changed 2, dropped 3, so that a
 * short name with a letter left out ("lg", "shw") is near its command.
 * Names longer than 64 bytes are far from everything.
 */
static int typo_cost(const char *typed, const char *name)
{
	enum { SWAP = 0, CHANGE = 2, ADD = 1, DROP = 3, MAX = 64 };
	size_t la = strlen(typed), lb = strlen(name);
	int rows[3][MAX + 1], *before = rows[0], *prev = rows[1], *cur = rows[2];

	if (la > MAX || lb > MAX)
		return 1000;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j * ADD;
	for (size_t i = 0; i < la; i++) {
		int *t;

		cur[0] = (int)(i + 1) * DROP;
		for (size_t j = 0; j < lb; j++) {
			int c = prev[j] + (typed[i] != name[j] ? CHANGE : 0);

			if (i > 0 && j > 0 && typed[i - 1] == name[j] && typed[i] == name[j - 1] &&
			    before[j - 1] + SWAP < c)
				c = before[j - 1] + SWAP;
			if (prev[j + 1] + DROP < c)
				c = prev[j + 1] + DROP;
			if (cur[j] + ADD < c)
				c = cur[j] + ADD;
			cur[j + 1] = c;
		}
		t = before, before = prev, prev = cur, cur = t;
	}
	return prev[lb];
}

const char *cli_nearest(const char *typed, const char *const *known, size_t count)
{
	/*
	 * git's SIMILARITY_FLOOR: a cost of 6 or more is another word; and
	 * fewer than one change for each letter typed, so that "x" is no
	 * typo of "log".
	 */
	int best_cost = 6, ties = 0, most = 2 * (int)strnlen(typed, 64);
	const char *best = NULL;

	for (size_t i = 0; i < count; i++) {
		int c = typo_cost(typed, known[i]);

		if (c < best_cost && c < most)
			best = known[i], best_cost = c, ties = 0;
		else if (c == best_cost && best)
			ties++;
	}
	return ties ? NULL : best;
}

int cli_unknown_subcommand(const cli_usage *u, const char *typed)
{
	const char *known[16], *meant, *space;
	size_t n = 0;

	for (const cli_usage *const *sub = u->subcommands; sub && *sub; sub++)
		if ((space = strchr((*sub)->name, ' ')) && n < sizeof(known) / sizeof(*known))
			known[n++] = space + 1;
	if (!(meant = cli_nearest(typed, known, n)))
		return 0;
	return cli_usage_error(u->name, _("'%s' is not a %s command (did you mean '%s'?)"), typed,
			       u->name, meant);
}

/* An unknown long option, with the one it is most likely a typo of. */
static int unknown_long(const parser *p, const char *arg, const char *name, size_t len)
{
	const char *known[64], *nearest;
	char typed[128];
	const cli_option *o;
	size_t n = 0, base;
	walk w;

	walk_start(&w, p->opts, p->implicit_help);
	while ((o = walk_next(&w, &base)) && n < sizeof(known) / sizeof(*known))
		if (is_option(o) && o->long_name)
			known[n++] = o->long_name;
	snprintf(typed, sizeof(typed), "%.*s", (int)len, name);
	if (len < sizeof(typed) && (nearest = cli_nearest(typed, known, n)))
		return cli_usage_error(p->u->name, _("unknown option '%s' (did you mean '--%s'?)"),
				       arg, nearest);
	return cli_usage_error(p->u->name, _("unknown option '%s'"), arg);
}

static int parse_long(const parser *p, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *name = arg + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name), base;
	const cli_option *o, *other;

	if (!(o = find_long(p, name, len, &base, &other)))
		return unknown_long(p, arg, name, len);
	if (other)
		return cli_usage_error(p->u->name,
				       _("ambiguous option '%.*s' (could be --%s or --%s)"),
				       (int)(len + 2), arg, o->long_name, other->long_name);
	if (!takes_argument(o)) {
		if (eq)
			return cli_usage_error(p->u->name, _("option '%.*s' takes no argument"),
					       (int)(len + 2), arg);
		return apply(p, o, base, NULL);
	}
	if (eq)
		return apply(p, o, base, eq + 1);
	if (*i + 1 == argc)
		return cli_usage_error(p->u->name, _("option '%s' needs an argument"), arg);
	return apply(p, o, base, argv[++*i]);
}

static int parse_short(const parser *p, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];

	for (const char *c = arg + 1; *c; c++) {
		size_t base;
		const cli_option *o = find_short(p, (unsigned char)*c, &base);
		char name[3] = {'-', *c, '\0'};
		int code;

		if (!o && (unsigned char)*c >= 0x80) /* not ASCII: no option, and no byte to cut */
			return cli_usage_error(p->u->name, _("unknown option '%s'"), arg);
		if (!o)
			return cli_usage_error(p->u->name, _("unknown option '%s'"), name);
		if (!takes_argument(o)) {
			if ((code = apply(p, o, base, NULL)) != CLI_PARSED)
				return code;
			continue;
		}
		if (c[1])
			return apply(p, o, base, c + 1);
		if (*i + 1 == argc)
			return cli_usage_error(p->u->name, _("option '%s' needs an argument"),
					       name);
		return apply(p, o, base, argv[++*i]);
	}
	return CLI_PARSED;
}

int cli_parse_options(int *argc, char **argv, const cli_usage *u, void *values, unsigned flags)
{
	parser p = {u, u->options ? u->options : no_options, values, 0};
	int n = 0, i, code;

	p.implicit_help = !has_own_help(p.opts);
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
			code = parse_long(&p, *argc, argv, &i);
		else
			code = parse_short(&p, *argc, argv, &i);
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
		/* A synopsis is the program's own text: no word of it is that long. */
		assert((size_t)(p - start) < sizeof(token));
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
	const cli_option *p;
	size_t base;
	walk w;

	for (size_t k = 0; k <= t; k++) {
		walk_start(&w, tables[k], 0);
		while ((p = walk_next(&w, &base)) && !(k == t && p == o))
			if (is_option(p) && same_option(p, o))
				return 1;
	}
	return 0;
}

/*
 * Writes the options of `tables`, each name once, aligned in columns; the
 * headings of groups only when there is one table.
 */
static void print_option_list(FILE *out, const cli_option *const *tables, size_t n, size_t width)
{
	size_t left_max = 0, col, base, w;
	const cli_option *o;
	char left[128];
	walk it;

	for (size_t t = 0; t < n; t++)
		for (walk_start(&it, tables[t], 0); (o = walk_next(&it, &base));) {
			if (!is_option(o))
				continue;
			option_left(left, sizeof(left), o);
			if ((w = render_width(left)) <= LEFT_MAX && w > left_max)
				left_max = w;
		}
	col = 2 + left_max + 3;
	for (size_t t = 0; t < n; t++)
		for (walk_start(&it, tables[t], 0); (o = walk_next(&it, &base));) {
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

/*
 * Writes a description or footer: each line wrapped to `width`, except that
 * a line that starts with a space (an example) is written as it is.
 */
static void print_text(FILE *out, const char *text, size_t width)
{
	char *copy = strdup(text), *line, *next;

	if (!copy) { /* then unwrapped rather than not at all */
		fprintf(out, "%s\n", text);
		return;
	}
	for (line = copy; line; line = next) {
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		if (*line == ' ' || !*line)
			fprintf(out, "%s\n", line);
		else
			render_wrapped(out, line, 0, width, 0);
	}
	free(copy);
}

void cli_usage_print(FILE *out, const cli_usage *u, size_t width)
{
	const cli_option *tables[16];
	size_t n = help_tables(tables, sizeof(tables) / sizeof(*tables), u);

	cli_usage_print_synopsis(out, u, width);
	if (u->description) {
		fputc('\n', out);
		print_text(out, _(u->description), width);
	}
	if (n) {
		fputc('\n', out);
		print_option_list(out, tables, n, width);
	}
	if (u->footer) {
		fputc('\n', out);
		print_text(out, _(u->footer), width);
	}
}
