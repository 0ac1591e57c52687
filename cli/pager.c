/*
 * pager.c - long output through a pager (pager.h), in the manner of git's
 * pager.c: the pager is a child reading a pipe that becomes our stdout, run
 * by the shell so that "less -FRX" and "sed s/^/P:/" both work; keikaku
 * waits for it before exiting, so that the shell's prompt comes after it.
 */
#include "pager.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t pager_pid = -1;
static int pager_disabled;

int cli_pager_disable(const cli_option *opt, const char *arg, void *values)
{
	(void)opt;
	(void)arg;
	(void)values;
	pager_disabled = 1;
	return 0;
}

int cli_pager_in_use(void)
{
	return pager_pid > 0;
}

/* The pager's command, or NULL for none. */
static const char *pager_command(void)
{
	const char *pager = getenv("KEIKAKU_PAGER");

	if (!pager)
		pager = getenv("PAGER");
	if (!pager)
		pager = "less -FRX";
	if (!*pager || strcmp(pager, "cat") == 0)
		return NULL;
	return pager;
}

/* Closes our ends of the pipe so that the pager sees its end, and waits for it. */
static void wait_for_pager(void)
{
	int status;

	fflush(stdout);
	fflush(stderr);
	close(STDOUT_FILENO);
	close(STDERR_FILENO);
	while (waitpid(pager_pid, &status, 0) < 0 && errno == EINTR)
		;
}

/*
 * The pager quit before the end: what is left is for nobody.  Only
 * async-signal-safe calls here.
 */
static void on_sigpipe(int sig)
{
	int status;

	(void)sig;
	close(STDOUT_FILENO);
	close(STDERR_FILENO);
	while (waitpid(pager_pid, &status, 0) < 0 && errno == EINTR)
		;
	_exit(0);
}

void cli_pager_start(void)
{
	const char *pager;
	sigset_t pipe_only;
	int fds[2];

	if (pager_pid >= 0 || pager_disabled || !isatty(STDOUT_FILENO) ||
	    !(pager = pager_command()))
		return;
	if (pipe(fds) < 0)
		return;
	if (!getenv("COLUMNS")) {
		struct winsize ws;
		char cols[16];

		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
			snprintf(cols, sizeof(cols), "%u", (unsigned)ws.ws_col);
			setenv("COLUMNS", cols, 1);
		}
	}
	fflush(stdout);
	fflush(stderr);
	if ((pager_pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pager_pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		/* As git sets them: quit on one screen, colours through, no clearing. */
		setenv("LESS", "FRX", 0);
		setenv("LV", "-c", 0);
		execl("/bin/sh", "sh", "-c", pager, (char *)NULL);
		_exit(127);
	}
	dup2(fds[1], STDOUT_FILENO);
	if (isatty(STDERR_FILENO))
		dup2(fds[1], STDERR_FILENO);
	close(fds[0]);
	close(fds[1]);
	/*
	 * Unblocked too, in case whoever started us blocked it: a write to the
	 * pager that quit would fail with EPIPE and look like a real error.
	 */
	signal(SIGPIPE, on_sigpipe);
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	sigprocmask(SIG_UNBLOCK, &pipe_only, NULL);
	atexit(wait_for_pager);
}
