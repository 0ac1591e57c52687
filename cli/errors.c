/*
 * errors.c - how keikaku reports a failure: "keikaku: <message>" on stderr,
 * a usage error with a pointer to --help, and the exit code for each.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void verror(const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("keikaku: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fmt, ap);
	va_end(ap);
}

void cli_error_diag(const kk_diag *diag)
{
	if (diag->line)
		cli_error(_("%s: line %zu, column %zu: %s"), diag->path[0] ? diag->path : "-",
			  diag->line, diag->column, diag->message);
	else if (diag->pointer[0])
		cli_error("%s: %s: %s", diag->path[0] ? diag->path : "-", diag->pointer,
			  diag->message);
	else
		cli_error("%s", diag->message);
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(fmt, ap);
	va_end(ap);
	if (command)
		fprintf(stderr, _("try 'keikaku %s --help'\n"), command);
	else
		fprintf(stderr, _("try 'keikaku --help'\n"));
	return EXIT_USAGE;
}

int cli_exit_code(int error)
{
	switch (error) {
	case 0: return EXIT_OK;
	case KK_EINVALID: return EXIT_NO;
	default: return EXIT_FAIL;
	}
}

int cli_finish(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		/*
		 * Not through cli_error(): that would flush stdout again.  A
		 * command that failed has said why already (report, whose own
		 * writes to stdout are checked): once is enough.
		 */
		if (code != EXIT_FAIL)
			fprintf(stderr, "keikaku: %s: %s\n", _("cannot write output"),
				strerror(errno));
		return EXIT_FAIL;
	}
	return code;
}
