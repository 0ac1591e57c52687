/*
 * cmd_serve.c - keikaku serve: the repository's plan and audit trail as a
 * read-only web site (web/web.h), until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "web.h"

typedef struct serve_args {
	const char *listen, *threads, *costly_pages, *costly_queue, *query_timeout;
} serve_args;

static const cli_option serve_options[] = {
	CLI_OPT_STRING(0, "listen", serve_args, listen, "ADDR:PORT",
		       N_("listen on ADDR:PORT (default 127.0.0.1:8080; port 0: any free one)")),
	CLI_OPT_STRING(0, "threads", serve_args, threads, "N",
		       N_("make at most N pages at once (default: one per CPU, 2 to 8)")),
	CLI_OPT_STRING(0, "costly-pages", serve_args, costly_pages, "N",
		       N_("make at most N costly pages at once, on threads and repository handles "
			  "of their own: reports, filtered trails, schedules, pending items, "
			  "differences (default 1; 0: as the others)")),
	CLI_OPT_STRING(0, "costly-queue", serve_args, costly_queue, "N",
		       N_("let at most N costly pages wait, and answer more with 503 (default 4)")),
	CLI_OPT_STRING(0, "query-timeout", serve_args, query_timeout, "SECONDS",
		       N_("give up a page whose queries take longer, with 503 (default 10; "
			  "0: no limit)")),
	CLI_OPT_END(),
};

static const char *const serve_synopsis[] = {
	"keikaku serve [--listen ADDR:PORT] [--threads N] [--costly-pages N] [--costly-queue N] "
	"[--query-timeout SECONDS]",
	NULL,
};

const cli_usage cmd_serve_usage = {
	.name = "serve",
	.summary = N_("serve the plan and its history as a read-only web site"),
	.synopsis = serve_synopsis,
	.description = N_("Serves the repository's progress reports, items with their history, "
			  "the audit trail, differences, schedules and pending items over HTTP, "
			  "in HTML (Japanese, or English by Accept-Language) and JSON (Accept: "
			  "application/json).  It only reads, and follows the repository as it "
			  "changes.  Put it behind a TLS-terminating web server to publish it "
			  "(docs/deploy.md)."),
	.options = serve_options,
};

/* A number from `min` to `max` into *out (an explicit 0 as KW_ZERO); returns 0 or -1. */
static int parse_count(unsigned *out, const char *text, long min, long max)
{
	char *end;
	long n = strtol(text, &end, 10);

	if (*end || n < min || n > max || !*text || *text == '+' || *text == '-' || *text == ' ')
		return -1;
	*out = n ? (unsigned)n : KW_ZERO;
	return 0;
}

/*
 * Seconds from 0 to an hour, to the millisecond ("10", "0.5"; by hand, not
 * by the locale), into *out in milliseconds (0 as KW_ZERO); returns 0 or -1.
 */
static int parse_ms(unsigned *out, const char *text)
{
	size_t whole = strspn(text, "0123456789"), frac = 0;
	unsigned ms = 0;

	if (text[whole] == '.' && (frac = strspn(text + whole + 1, "0123456789")) == 0)
		return -1;
	if (!whole || whole > 4 || frac > 3 || text[whole + (frac ? frac + 1 : 0)])
		return -1;
	for (size_t i = 0; i < whole; i++)
		ms = ms * 10 + (unsigned)(text[i] - '0');
	ms *= 1000;
	for (size_t i = 0, scale = 100; i < frac; i++, scale /= 10)
		ms += (unsigned)(text[whole + 1 + i] - '0') * (unsigned)scale;
	if (ms > 3600 * 1000)
		return -1;
	*out = ms ? ms : KW_ZERO;
	return 0;
}

int cmd_serve(cli_ctx *ctx, int argc, char **argv)
{
	serve_args args = {0};
	kw_options opts = {0};
	kw_server *server = NULL;
	char host[256];
	kk_diag diag = {0};
	sigset_t stop;
	struct stat st;
	struct tm tm;
	time_t now = time(NULL);
	int code, sig;

	if ((code = cli_parse_options(&argc, argv, &cmd_serve_usage, &args, 0)) != CLI_PARSED)
		return code;
	if (argc != 0)
		return cli_usage_error("serve", _("unexpected argument '%s'"), argv[0]);
	if (args.listen && kw_listen_parse(&opts, host, sizeof(host), args.listen, &diag) < 0)
		return cli_usage_error("serve", "%s", diag.message);
	if (args.threads && parse_count(&opts.threads, args.threads, 1, 64) < 0)
		return cli_usage_error("serve", _("--threads takes 1 to 64, not '%s'"),
				       args.threads);
	if (args.costly_pages && parse_count(&opts.costly_pages, args.costly_pages, 0, 64) < 0)
		return cli_usage_error("serve", _("--costly-pages takes 0 to 64, not '%s'"),
				       args.costly_pages);
	if (args.costly_queue && parse_count(&opts.costly_queue, args.costly_queue, 0, 64) < 0)
		return cli_usage_error("serve", _("--costly-queue takes 0 to 64, not '%s'"),
				       args.costly_queue);
	if (args.query_timeout && parse_ms(&opts.query_ms, args.query_timeout) < 0)
		return cli_usage_error("serve",
				       _("--query-timeout takes 0 to 3600 seconds (to 3 decimals), "
					 "not '%s'"),
				       args.query_timeout);
	opts.repo = kk_store_path(ctx->store);
	opts.utc_offset = localtime_r(&now, &tm) ? (int)(tm.tm_gmtoff / 60) : 0;
	/* The history index is kept beside the repository only when it is ours, as reads do. */
	opts.use_history_cache =
		stat(git_repository_path(kk_store_repository(ctx->store)), &st) == 0 &&
		st.st_uid == geteuid();
	/* Each page's language is its request's: $LANGUAGE would override both. */
	unsetenv("LANGUAGE");
	/* For tests and tuning: what the server makes, a line each (docs/development.md). */
	opts.trace = getenv("KEIKAKU_SERVE_TRACE") != NULL;

	/* The workers inherit the mask: only this thread takes the signals. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * A thread per connection, and glibc's malloc an arena per thread: without a bound
	 * the arenas kept 313 MiB at bench/serve's peak, with two 154 MiB.  Blocks of 1 MiB
	 * and more (a report's rows, its 20 MB page) are mapped on their own, grow without a
	 * copy (mremap) and go back to the system when freed; glibc's own threshold rises after the
	 * first such block is freed, and later ones stayed in the arenas (8 MiB more at the peak of
	 * bench/serve_ab's reports run).
	 */
	mallopt(M_ARENA_MAX, 2);
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	if (kw_server_start(&server, &opts, &diag) < 0) {
		cli_error_diag(&diag);
		return EXIT_FAIL;
	}
	printf(_("serving %s at http://%s%s%s:%u/\n"), opts.repo,
	       opts.host && strchr(opts.host, ':') ? "[" : "", opts.host ? opts.host : "127.0.0.1",
	       opts.host && strchr(opts.host, ':') ? "]" : "", kw_server_port(server));
	if (fflush(stdout) != 0 && errno != EPIPE) {
		kw_server_stop(server);
		return cli_finish(EXIT_FAIL);
	}
	while (sigwait(&stop, &sig) != 0)
		;
	kw_server_stop(server);
	return EXIT_OK;
}
