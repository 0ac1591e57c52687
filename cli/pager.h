/*
 * pager.h - long output through a pager, as git does: $KEIKAKU_PAGER or
 * $PAGER (default "less -FRX"), only when stdout is a terminal.
 */
#ifndef KK_CLI_PAGER_H
#define KK_CLI_PAGER_H

#include "options.h"

/*
 * Sends what follows on stdout (and stderr, when it is the terminal too)
 * to the pager, unless stdout is no terminal, --no-pager was given, or the
 * pager is empty or "cat".  $COLUMNS is set to the terminal's width first,
 * when it is not set, so that the output is laid out for the terminal
 * still.  The pager is waited for at exit; quitting it
 * before the end is no error.  Does nothing the second time, or when the
 * pager cannot be started.
 */
void cli_pager_start(void);

/* True once the pager runs: stdout is a pipe to it, the terminal beyond (colours). */
int cli_pager_in_use(void);

/* keikaku's --no-pager (main.c's table): cli_pager_start() does nothing. */
int cli_pager_disable(const cli_option *opt, const char *arg, void *values);

#endif
