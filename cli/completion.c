/*
 * completion.c - keikaku's bash completion, written at build time by
 * `keikaku __generate bash` from the command table and the option tables,
 * and `keikaku __complete`, which gives it the item ids, departments and
 * fiscal years of the plan at hand; `__generate` itself (generate.h).
 */
#include <stdlib.h>
#include <string.h>

#include "generate.h"
#include "plan.h"

/*
 * What the argument of each option is, by its long name (or its short one):
 * the completion offers values of that kind.  Every option that takes an
 * argument must be here: the bash script is not written when one is not,
 * so that a new option cannot go without.
 */
static const struct {
	const char *option, *kind;
} value_kinds[] = {
	{"fy", "years"},
	{"owner", "depts"},
	{"dept", "depts"},
	{"admin-department", "depts"},
	{"item", "ids"},
	{"progress", "marks"},
	{"achievement", "statuses"},
	{"status", "statuses"},
	{"format", "formats"},
	{"encoding", "encodings"},
	{"ambiguous-width", "widths"},
	{"at", "revisions"},
	{"changes-since", "revisions"},
	{"file", "files"},
	{"result-file", "files"},
	{"output", "files"},
	{"corrections", "files"},
	{"import", "files"},
	{"socket", "files"},
	{"from", "dirs"},
	{"C", "dirs"},
	{"user", "users"},
	{"group", "groups"},
	{"remote", "none"},
	{"tag", "none"},
	{"since", "none"},
	{"until", "none"},
	{"author", "none"},
	{"field", "none"},
	{"message", "none"},
	{"revised", "none"},
	{"result", "none"},
	{"title", "none"},
	{"organisation", "none"},
	{"max-count", "none"},
	{"listen", "none"},
	{"threads", "none"},
	{"costly-pages", "none"},
	{"costly-queue", "none"},
	{"query-timeout", "none"},
};

/* What a command's arguments that are not options are, from the words of its synopsis. */
static const struct {
	const char *word, *kind;
} argument_kinds[] = {
	{"ID", "ids"},	     {"NAME", "depts"}, {"Y", "years"},	    {"FILE", "files"},
	{"SCHEMA", "files"}, {"PATH", "dirs"},	{"A", "revisions"},
};

/*
 * The kind of the first argument in a synopsis form after "keikaku NAME":
 * its first word that is no option in brackets ("[--check]"), without its
 * brackets and "..."; NULL when it is an option ("--fy Y") or unknown.
 */
static const char *first_argument_kind(const char *form)
{
	while (*form) {
		const char *start;
		size_t len;
		int depth = 0;

		while (*form == ' ')
			form++;
		for (start = form; *form && (depth > 0 || *form != ' '); form++)
			depth += *form == '[' ? 1 : *form == ']' ? -1 : 0;
		if (start[0] == '-')
			return NULL;
		if (start[0] == '[' && start[1] == '-')
			continue;
		start += *start == '[';
		len = strcspn(start, " ].");
		for (size_t a = 0; a < sizeof(argument_kinds) / sizeof(*argument_kinds); a++)
			if (strlen(argument_kinds[a].word) == len &&
			    strncmp(start, argument_kinds[a].word, len) == 0)
				return argument_kinds[a].kind;
		return NULL;
	}
	return NULL;
}

/* The values of some kinds, written into the script (the others are looked up as it runs). */
static const char *const formats[] = {"tsv", "csv", "md", "html", "xlsx", "json"};
static const char *const encodings[] = {"utf-8", "cp932"};
static const char *const progress_codes[] = {"ahead", "on_track", "behind"};
static const char *const status_codes[] = {"open", "completed", "withdrawn"};

static const char *option_kind(const cli_option *o)
{
	char s[2] = {(char)o->short_name, '\0'};
	const char *name = o->long_name ? o->long_name : s;

	for (size_t i = 0; i < sizeof(value_kinds) / sizeof(*value_kinds); i++)
		if (strcmp(value_kinds[i].option, name) == 0)
			return value_kinds[i].kind;
	return NULL;
}

/* The key of a command in the script: "" for keikaku itself, "dept add". */
static const char *key(const cli_usage *u)
{
	return u->name ? u->name : "";
}

/* The usages in the order the script lists them: keikaku, each command, each subcommand. */
static size_t usages(const cli_usage **out, size_t size)
{
	size_t n = 0;

	out[n++] = &cli_keikaku_usage;
	for (const cli_command *c = cli_commands; c->usage && n < size; c++) {
		out[n++] = c->usage;
		for (const cli_usage *const *sub = c->usage->subcommands; sub && *sub && n < size;
		     sub++)
			out[n++] = *sub;
	}
	return n;
}

/* Writes the words of `list` between single quotes: the words have none. */
static void words(FILE *out, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? " " : "", list[i]);
}

int cli_completion_bash(FILE *out)
{
	const cli_usage *all[64];
	size_t n = usages(all, sizeof(all) / sizeof(*all)), missing = 0;

	fputs("# bash completion for keikaku: its commands, options and their values.\n"
	      "# Written by `keikaku __generate bash` from keikaku's option tables: do not edit.\n"
	      "\n_keikaku_commands='",
	      out);
	for (const cli_command *c = cli_commands; c->usage; c++)
		fprintf(out, "%s%s", c == cli_commands ? "" : " ", c->usage->name);
	fputs("'\n\n# The subcommands of a command.\n_keikaku_subcommands() {\n\tcase $1 in\n",
	      out);
	for (const cli_command *c = cli_commands; c->usage; c++) {
		if (!c->usage->subcommands)
			continue;
		fprintf(out, "\t%s) echo '", c->usage->name);
		for (const cli_usage *const *sub = c->usage->subcommands; *sub; sub++)
			fprintf(out, "%s%s", sub == c->usage->subcommands ? "" : " ",
				strchr((*sub)->name, ' ') + 1);
		fputs("' ;;\n", out);
	}
	fputs("\tesac\n}\n\n# The options of a command (\"\": keikaku's own).\n"
	      "_keikaku_options() {\n\tcase $1 in\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		const cli_option *opts[64];
		size_t k = cli_options_flatten(opts, 64, all[i]->options);

		if (all[i]->subcommands)
			continue;
		fprintf(out, "\t'%s') echo '", key(all[i]));
		for (size_t j = 0; j < k && j < 64; j++) {
			if (opts[j]->short_name)
				fprintf(out, "-%c ", opts[j]->short_name);
			if (opts[j]->long_name)
				fprintf(out, "--%s%s ", opts[j]->long_name,
					cli_option_takes_argument(opts[j]) ? "=" : "");
		}
		fputs(all[i]->name ? "-h --help' ;;\n" : "' ;;\n", out);
	}
	fputs("\tesac\n}\n\n# What the argument of a command's option is.\n"
	      "_keikaku_option_kind() {\n\tcase \"$1 $2\" in\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		const cli_option *opts[64];
		size_t k = cli_options_flatten(opts, 64, all[i]->options);

		for (size_t j = 0; j < k && j < 64; j++) {
			const char *kind = option_kind(opts[j]);

			if (!cli_option_takes_argument(opts[j]))
				continue;
			if (!kind) {
				fprintf(stderr, "keikaku: no completion for the argument of %s%s\n",
					opts[j]->long_name ? "--" : "-",
					opts[j]->long_name ? opts[j]->long_name : "?");
				missing++;
				continue;
			}
			fputs("\t", out);
			if (opts[j]->short_name)
				fprintf(out, "'%s -%c'%s", key(all[i]), opts[j]->short_name,
					opts[j]->long_name ? " | " : "");
			if (opts[j]->long_name)
				fprintf(out, "'%s --%s'", key(all[i]), opts[j]->long_name);
			fprintf(out, ") echo %s ;;\n", kind);
		}
	}
	fputs("\tesac\n}\n\n# What the arguments of a command that are not options are.\n"
	      "_keikaku_argument_kind() {\n\tcase $1 in\n",
	      out);
	for (size_t i = 1; i < n; i++) {
		const char *kind = NULL;

		for (const char *const *f = all[i]->synopsis; f && *f && !kind; f++)
			kind = first_argument_kind(*f + strlen("keikaku ") + strlen(all[i]->name));
		/* A new department's name: none of those there are. */
		if (!strcmp(all[i]->name, "dept add"))
			kind = NULL;
		if (!strcmp(all[i]->name, "help"))
			kind = "commands";
		if (kind)
			fprintf(out, "\t'%s') echo %s ;;\n", all[i]->name, kind);
	}
	fputs("\tesac\n}\n\n", out);
	fputs("# The values of a kind that start with $2.\n_keikaku_values() {\n\tlocal w\n"
	      "\tcase $1 in\n\tids | depts | years)\n"
	      "\t\tlocal IFS=$'\\n'\n"
	      "\t\tw=$(\"${_keikaku_cmd[@]}\" __complete \"$1\" 2>/dev/null)\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$w\" -- \"$2\")) ;;\n"
	      "\tmarks) COMPREPLY=($(compgen -W '",
	      out);
	for (size_t i = 0; i < 3; i++)
		fprintf(out, "%s ", kk_progress_mark(progress_codes[i]));
	words(out, progress_codes, 3);
	fputs("' -- \"$2\")) ;;\n\tstatuses) COMPREPLY=($(compgen -W '", out);
	words(out, status_codes, 3);
	for (size_t i = 0; i < 3; i++)
		fprintf(out, " %s", kk_achievement_label(status_codes[i]));
	fputs("' -- \"$2\")) ;;\n\tformats) COMPREPLY=($(compgen -W '", out);
	words(out, formats, sizeof(formats) / sizeof(*formats));
	fputs("' -- \"$2\")) ;;\n\tencodings) COMPREPLY=($(compgen -W '", out);
	words(out, encodings, sizeof(encodings) / sizeof(*encodings));
	fputs("' -- \"$2\")) ;;\n"
	      "\twidths) COMPREPLY=($(compgen -W '1 2' -- \"$2\")) ;;\n"
	      "\trevisions) COMPREPLY=($(compgen -W 'HEAD' -- \"$2\")) ;;\n"
	      "\tcommands) COMPREPLY=($(compgen -W \"$_keikaku_commands\" -- \"$2\")) ;;\n"
	      "\tusers) COMPREPLY=($(compgen -u -- \"$2\")) ;;\n"
	      "\tgroups) COMPREPLY=($(compgen -g -- \"$2\")) ;;\n"
	      "\tfiles) COMPREPLY=($(compgen -f -- \"$2\")) ;;\n"
	      "\tdirs) COMPREPLY=($(compgen -d -- \"$2\")) ;;\n"
	      "\t*) COMPREPLY=() ;;\n\tesac\n}\n\n",
	      out);
	fputs("_keikaku() {\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev word cmd='' kind i=1 opts subs\n"
	      "\t# keikaku as typed, with the -C and --socket given, for __complete.\n"
	      "\tlocal -a _keikaku_cmd=(\"${COMP_WORDS[0]}\")\n"
	      "\tCOMPREPLY=()\n"
	      "\t# The words before the cursor: keikaku's options, the command, its subcommand.\n"
	      "\twhile [ \"$i\" -lt \"$COMP_CWORD\" ]; do\n"
	      "\t\tword=${COMP_WORDS[i]}\n"
	      "\t\tif [ -z \"$cmd\" ]; then\n"
	      "\t\t\tcase $word in\n"
	      "\t\t\t-C | --socket | --ambiguous-width)\n"
	      "\t\t\t\t[ \"$word\" = --ambiguous-width ] || "
	      "_keikaku_cmd+=(\"$word\" \"${COMP_WORDS[i + 1]}\")\n"
	      "\t\t\t\ti=$((i + 1)) ;;\n"
	      "\t\t\t--socket=*) _keikaku_cmd+=(\"$word\") ;;\n"
	      "\t\t\t-*) ;;\n"
	      "\t\t\t*) cmd=$word ;;\n"
	      "\t\t\tesac\n"
	      "\t\telif [ \"$cmd\" = \"${cmd% *}\" ] && subs=$(_keikaku_subcommands \"$cmd\") && "
	      "[ -n \"$subs\" ]; then\n"
	      "\t\t\tcase $word in -*) ;; *) cmd=\"$cmd $word\" ;; esac\n"
	      "\t\telif [ -n \"$(_keikaku_option_kind \"$cmd\" \"$word\")\" ]; then\n"
	      "\t\t\ti=$((i + 1))\n"
	      "\t\tfi\n"
	      "\t\ti=$((i + 1))\n"
	      "\tdone\n"
	      "\t# The argument of the option before the cursor, or after its '=' (a word\n"
	      "\t# of its own, as '=' breaks words in COMP_WORDBREAKS).\n"
	      "\tprev=${COMP_WORDS[COMP_CWORD - 1]}\n"
	      "\tif [ \"$cur\" = = ]; then\n"
	      "\t\tcur=''\n"
	      "\telif [ \"$prev\" = = ] && [ \"$COMP_CWORD\" -gt 2 ]; then\n"
	      "\t\tprev=${COMP_WORDS[COMP_CWORD - 2]}\n"
	      "\tfi\n"
	      "\tif [ \"$COMP_CWORD\" -gt 1 ] && kind=$(_keikaku_option_kind \"$cmd\" \"$prev\") "
	      "&& [ -n \"$kind\" ]; then\n"
	      "\t\t_keikaku_values \"$kind\" \"$cur\"\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tcase $cur in\n"
	      "\t--*=*)\n"
	      "\t\tkind=$(_keikaku_option_kind \"$cmd\" \"${cur%%=*}\")\n"
	      "\t\t_keikaku_values \"$kind\" \"${cur#*=}\"\n"
	      "\t\treturn ;;\n"
	      "\t-*)\n"
	      "\t\tsubs=$(_keikaku_subcommands \"$cmd\")\n"
	      "\t\t[ -n \"$subs\" ] && return\n"
	      "\t\topts=$(_keikaku_options \"$cmd\")\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	      "\t\t# An option that takes an argument goes on after its '='.\n"
	      "\t\t[ \"${#COMPREPLY[@]}\" -eq 1 ] && [ \"${COMPREPLY[0]%=}\" != \"${COMPREPLY[0]}\" ] "
	      "&& compopt -o nospace 2>/dev/null\n"
	      "\t\treturn ;;\n"
	      "\tesac\n"
	      "\tif [ -z \"$cmd\" ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$_keikaku_commands\" -- \"$cur\"))\n"
	      "\telif subs=$(_keikaku_subcommands \"$cmd\") && [ -n \"$subs\" ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
	      "\telse\n"
	      "\t\t_keikaku_values \"$(_keikaku_argument_kind \"$cmd\")\" \"$cur\"\n"
	      "\tfi\n"
	      "}\n\n"
	      "complete -F _keikaku keikaku\n",
	      out);
	return missing || ferror(out) ? -1 : 0;
}

/* --- keikaku __complete --- */

/*
 * Writes fiscal year `year` in each spelling keikaku takes, as far as
 * kk_fy_parse() takes it back to the same year: 2021, 2021年度, FY2021, R3,
 * 令和3年度 (令和3 is on the way to 令和3年度).
 */
static void year_spellings(const json_t *settings, int year)
{
	char forms[9][KK_FY_NAME_MAX];
	kk_diag diag = {0};
	size_t n = 0;
	int back;

	snprintf(forms[n++], sizeof(forms[0]), "%d", year);
	snprintf(forms[n++], sizeof(forms[0]), "%d年度", year);
	snprintf(forms[n++], sizeof(forms[0]), "FY%d", year);
	snprintf(forms[n++], sizeof(forms[0]), "fy%d", year);
	snprintf(forms[n++], sizeof(forms[0]), "R%d", year - 2018);
	snprintf(forms[n++], sizeof(forms[0]), "r%d", year - 2018);
	snprintf(forms[n++], sizeof(forms[0]), "H%d", year - 1988);
	snprintf(forms[n++], sizeof(forms[0]), "h%d", year - 1988);
	kk_fy_format(forms[n++], sizeof(forms[0]), settings, year);
	/* Only what kk_fy_parse() reads back as `year`: an era the plan names, a year in range. */
	for (size_t i = 0; i < n; i++)
		if (kk_fy_parse(&back, forms[i], settings, &diag) == 0 && back == year)
			printf("%s\n", forms[i]);
}

static int complete_values(const kk_plan *plan, const char *what)
{
	size_t i;
	json_t *v;
	const char *k;

	if (strcmp(what, "ids") == 0) {
		json_array_foreach(plan->items, i, v)
			printf("%lld\n", (long long)json_integer_value(json_object_get(v, "id")));
	} else if (strcmp(what, "depts") == 0) {
		json_array_foreach(json_object_get(plan->departments, "departments"), i, v)
			if (json_string_value(json_object_get(v, "name")))
				printf("%s\n", json_string_value(json_object_get(v, "name")));
	} else if (strcmp(what, "years") == 0) {
		json_object_foreach(json_object_get(plan->settings, "years"), k, v) {
			char *end;
			long year = strtol(k, &end, 10);

			if (!*end && year > 1988 && year < 10000)
				year_spellings(plan->settings, (int)year);
		}
	} else {
		return cli_usage_error(NULL, "__complete: ids, depts or years, not '%s'", what);
	}
	return EXIT_OK;
}

static const char *const complete_synopsis[] = {"keikaku __complete ids|depts|years", NULL};

const cli_usage cli_complete_usage = {
	.name = "__complete",
	.summary = "the item ids, departments or fiscal years, for the shell completion",
	.synopsis = complete_synopsis,
};

int cli_complete(cli_ctx *ctx, int argc, char **argv)
{
	cli_snapshot snap = {0};
	kk_plan *plan = NULL;
	int code;

	if ((code = cli_parse_options(&argc, argv, &cli_complete_usage, NULL, 0)) != CLI_PARSED)
		return code;
	if (argc != 1)
		return cli_usage_error(NULL, "__complete: ids, depts or years");
	/* Nothing, and quietly, when there is no plan to read (the shell hides stderr). */
	if ((code = cli_load_plan(&plan, &snap, ctx, NULL)) == EXIT_OK)
		code = complete_values(plan, argv[0]);
	kk_plan_free(plan);
	cli_snapshot_clear(&snap);
	return code;
}

/* --- keikaku __generate --- */

static const char *const generate_synopsis[] = {"keikaku __generate man1|man8 HELPFILE|bash", NULL};

const cli_usage cli_generate_usage = {
	.name = "__generate",
	.summary = "write a man page or the bash completion, from the option tables",
	.synopsis = generate_synopsis,
};

/* Reads the whole of `path` into a string the caller frees; NULL on failure. */
static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	text = malloc(1 << 16);
	if (text)
		len = fread(text, 1, (1 << 16) - 1, f);
	if (text)
		text[len] = '\0';
	fclose(f);
	return text;
}

int cli_generate(cli_ctx *ctx, int argc, char **argv)
{
	int code, error = -1;

	if ((code = cli_parse_options(&argc, argv, &cli_generate_usage, NULL, 0)) != CLI_PARSED)
		return code;
	if (argc == 1 && strcmp(argv[0], "man1") == 0) {
		error = cli_man_keikaku(stdout);
	} else if (argc == 2 && strcmp(argv[0], "man8") == 0) {
		char *help = read_text(argv[1]);

		if (!help) {
			cli_error("cannot read '%s'", argv[1]);
			return EXIT_FAIL;
		}
		error = cli_man_keikakud(stdout, help);
		free(help);
	} else if (argc == 1 && strcmp(argv[0], "bash") == 0) {
		error = cli_completion_bash(stdout);
	} else {
		return cli_usage_error(NULL, "__generate: man1, man8 HELPFILE or bash");
	}
	return error < 0 ? EXIT_FAIL : EXIT_OK;
}
