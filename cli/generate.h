/*
 * generate.h - keikaku's hidden commands, in no help: `keikaku __generate`
 * writes the man pages and the bash completion from the command and option
 * tables at build time (man.c, completion.c), and `keikaku __complete`
 * gives that completion the item ids, departments and fiscal years of the
 * plan at hand (completion.c).
 */
#ifndef KK_CLI_GENERATE_H
#define KK_CLI_GENERATE_H

#include "cli.h"

/*
 * keikaku __generate man1 | man8 HELPFILE | bash: keikaku(1); keikakud(8)
 * from the text of `keikakud --help` in HELPFILE (keikakud's options have
 * no table: its help is their one description); the bash completion.
 */
extern const cli_usage cli_generate_usage;
int cli_generate(cli_ctx *ctx, int argc, char **argv);

/* keikaku __complete ids | depts | years: one a line, nothing when there is no plan. */
extern const cli_usage cli_complete_usage;
int cli_complete(cli_ctx *ctx, int argc, char **argv);

/* Writes keikaku(1), keikakud(8) (from keikakud's help, `help`) and the completion (FILE). */
int cli_man_keikaku(FILE *out);
int cli_man_keikakud(FILE *out, const char *help);
int cli_completion_bash(FILE *out);

#endif
