/*
 * cmd_report.c - keikaku report: the progress report of a fiscal year.
 *
 * core/report/report builds and writes the report; this file picks the revisions,
 * and puts the result on stdout or, all or nothing, into FILE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "diff.h"
#include "pager.h"
#include "plan.h"
#include "report.h"
#include "revision.h"

typedef struct report_args {
	const char *fy;
	const char *at;
	const char *since;
	const char *format;
	const char *encoding;
	const char *output;
	int no_bom;
} report_args;

/* --json: the same as --format json, and like it the last of them wins. */
static int json_format(const cli_option *opt, const char *arg, void *values)
{
	((report_args *)values)->format = "json";
	return 0;
}

static const cli_option report_options[] = {
	CLI_OPT_STRING(0, "fy", report_args, fy, "Y",
		       N_("the report's fiscal year (2021, R3, 令和3年度)")),
	CLI_OPT_AT(report_args, at),
	CLI_OPT_STRING(0, "format", report_args, format, "F",
		       N_("tsv (default), csv, md, html, xlsx or json; without it, the extension "
			  "of --output decides (and must be one)")),
	CLI_OPT_CALLBACK(0, "json", NULL, N_("the same as --format json"), json_format),
	CLI_OPT_STRING(0, "changes-since", report_args, since, "REV",
		       N_("mark the cells changed since REV (html, md, xlsx, json)")),
	CLI_OPT_STRING(0, "encoding", report_args, encoding, "E",
		       N_("csv and tsv: utf-8 (default) or cp932")),
	CLI_OPT_BOOL(0, "no-bom", report_args, no_bom, N_("csv in utf-8: no byte order mark")),
	CLI_OPT_STRING('o', "output", report_args, output, "FILE",
		       N_("write to FILE instead of stdout (required for xlsx on a terminal)")),
	CLI_OPT_END(),
};

static const char *const report_synopsis[] = {
	"keikaku report --fy Y [--at REV] [--format F | --json] [--changes-since REV] "
	"[--encoding E] [--no-bom] [--output FILE]",
	NULL,
};

const cli_usage cmd_report_usage = {
	.name = "report",
	.summary = N_("write the progress report of a fiscal year"),
	.synopsis = report_synopsis,
	.description = N_("Writes the progress report of fiscal year Y: the legend, the pillar "
			  "and section headings, years Y-1 and Y, year Y+1's revised schedule, "
			  "通番 and 達成度."),
	.options = report_options,
};

/* The format an output file's name implies, or NULL. */
static const char *format_of_path(const char *path)
{
	static const char *const known[] = {"tsv", "csv", "md", "html", "xlsx", "json"};
	const char *dot = path ? strrchr(path, '.') : NULL;

	if (!dot || strchr(dot, '/'))
		return NULL;
	if (strcasecmp(dot + 1, "htm") == 0)
		return "html";
	for (size_t i = 0; i < sizeof(known) / sizeof(*known); i++)
		if (strcasecmp(dot + 1, known[i]) == 0)
			return known[i];
	return NULL;
}

static int parse_encoding(kk_report_encoding *out, const char *text)
{
	static const char *const cp932[] = {"cp932", "windows-31j", "ms932", "sjis", "shift_jis"};

	if (!text || strcasecmp(text, "utf-8") == 0 || strcasecmp(text, "utf8") == 0) {
		*out = KK_REPORT_UTF8;
		return 0;
	}
	for (size_t i = 0; i < sizeof(cp932) / sizeof(*cp932); i++) {
		if (strcasecmp(text, cp932[i]) == 0) {
			*out = KK_REPORT_CP932;
			return 0;
		}
	}
	return -1;
}

/* Writes `len` bytes to `fd`; returns 0 or -1 with errno. */
static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A temporary file beside `path` ("path.XXXXXX"), created; NULL with errno on failure. */
static char *temp_beside(const char *path, int *fd_out)
{
	char *tmp = NULL;
	int fd;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return NULL;
	if ((fd = mkstemp(tmp)) < 0) {
		free(tmp);
		return NULL;
	}
	*fd_out = fd;
	return tmp;
}

/* Gives a finished temporary file the mode a new file would have, and moves it to `path`. */
static int install(const char *tmp, const char *path)
{
	mode_t mask = umask(0);

	umask(mask);
	if (chmod(tmp, 0666 & ~mask) < 0 || rename(tmp, path) < 0)
		return -1;
	return 0;
}

/* Copies file `path` to stdout. */
static int copy_to_stdout(const char *path)
{
	char buf[65536];
	FILE *in = fopen(path, "rb");
	size_t n;
	int code = EXIT_OK;

	if (!in) {
		cli_error(_("cannot read '%s': %s"), path, strerror(errno));
		return EXIT_FAIL;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, stdout) != n) {
			cli_error(_("cannot write output: %s"), strerror(errno));
			code = EXIT_FAIL;
			break;
		}
	if (code == EXIT_OK && ferror(in)) {
		cli_error(_("cannot read '%s': %s"), path, strerror(errno));
		code = EXIT_FAIL;
	}
	fclose(in);
	return code;
}

/*
 * Ends with temporary file `tmp`, written in full when `ok`: moves it to
 * `output`, or copies it to stdout when `output` is NULL; removes it unless
 * it became `output`, and frees `tmp`. Returns the command's exit code.
 */
static int finish(char *tmp, const char *output, int ok)
{
	int code = EXIT_FAIL;

	if (ok && !output)
		code = copy_to_stdout(tmp);
	else if (ok && install(tmp, output) < 0)
		cli_error(_("cannot write '%s': %s"), output, strerror(errno));
	else if (ok)
		code = EXIT_OK;
	if (!ok || !output || code != EXIT_OK)
		unlink(tmp);
	free(tmp);
	return code;
}

static int write_text(const char *output, const char *data, size_t len)
{
	char *tmp;
	int fd = -1, ok, error;

	if (!output) {
		if (fwrite(data, 1, len, stdout) != len) {
			cli_error(_("cannot write output: %s"), strerror(errno));
			return EXIT_FAIL;
		}
		return EXIT_OK;
	}
	if (!(tmp = temp_beside(output, &fd))) {
		cli_error(_("cannot write '%s': %s"), output, strerror(errno));
		return EXIT_FAIL;
	}
	ok = write_all(fd, data, len) == 0 && fsync(fd) == 0;
	error = errno;
	if (close(fd) < 0 && ok) {
		ok = 0;
		error = errno;
	}
	if (!ok)
		cli_error(_("cannot write '%s': %s"), output, strerror(error));
	return finish(tmp, output, ok);
}

static int write_xlsx(const char *output, const kk_report *report)
{
	const char *tmpdir = getenv("TMPDIR");
	char *tmp = NULL;
	kk_diag diag = {0};
	int fd = -1, ok;

	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	if (output) {
		tmp = temp_beside(output, &fd);
	} else if (asprintf(&tmp, "%s/keikaku-report-XXXXXX", tmpdir) >= 0 &&
		   (fd = mkstemp(tmp)) < 0) {
		free(tmp);
		tmp = NULL;
	}
	if (!tmp) {
		cli_error(_("cannot write '%s': %s"), output ? output : tmpdir, strerror(errno));
		return EXIT_FAIL;
	}
	close(fd);
	if (!(ok = kk_report_write_xlsx(report, tmp, tmpdir, &diag) == 0))
		cli_error_diag(&diag);
	return finish(tmp, output, ok);
}

/*
 * The difference from `since` to `commit` (plan.diff, from the repository
 * or keikakud), or NULL with an exit code in *code.
 */
static json_t *changes_since(cli_ctx *ctx, const char *since, const char *commit, int *code)
{
	json_t *diff = NULL;

	*code = cli_query(&diff, ctx, "plan.diff",
			  json_pack("{s:s, s:s}", "from", since, "to", commit));
	return *code == EXIT_OK ? diff : NULL;
}

int cmd_report(cli_ctx *ctx, int argc, char **argv)
{
	report_args args = {0};
	kk_report_format format = KK_REPORT_TSV;
	kk_report_text_opts text_opts = {.encoding = KK_REPORT_UTF8};
	kk_report_source source = {0};
	cli_snapshot snap = {0};
	kk_fileset head = {0};
	kk_plan *plan = NULL;
	kk_report_builder *builder = NULL;
	kk_report *report = NULL;
	json_t *diff = NULL;
	kk_diag diag = {0};
	char *text = NULL;
	size_t len = 0;
	int code, year, error;

	if ((code = cli_parse_options(&argc, argv, &cmd_report_usage, &args, 0)) != CLI_PARSED)
		return code;
	if (argc != 0)
		return cli_usage_error("report", _("unexpected argument '%s'"), argv[0]);
	if (!args.fy)
		return cli_usage_error("report", _("--fy is required"));
	/* "r3.txt" is no format: say so rather than write TSV into it. */
	if (!args.format && args.output && !(args.format = format_of_path(args.output)))
		return cli_usage_error("report",
				       _("cannot tell the format from the name '%s': give --format "
					 "(tsv, csv, md, html, xlsx, json) or one of those extensions"),
				       args.output);
	if (args.format && kk_report_format_parse(&format, args.format) < 0)
		return cli_usage_error("report",
				       _("'%s' is not a report format (tsv, csv, md, html, xlsx, "
					 "json)"),
				       args.format);
	if (parse_encoding(&text_opts.encoding, args.encoding) < 0)
		return cli_usage_error("report", _("'%s' is not an encoding (utf-8, cp932)"),
				       args.encoding);
	if (args.encoding && format != KK_REPORT_CSV && format != KK_REPORT_TSV)
		return cli_usage_error("report", _("--encoding applies to csv and tsv only"));
	if (args.no_bom && format != KK_REPORT_CSV)
		return cli_usage_error("report", _("--no-bom applies to csv only"));
	text_opts.no_bom = args.no_bom;
	if (format == KK_REPORT_XLSX && !args.output && isatty(STDOUT_FILENO))
		return cli_usage_error(
			"report", _("refusing to write xlsx to a terminal; use --output FILE"));

	if ((code = cli_snapshot_read(&snap, ctx, args.at, NULL)) != EXIT_OK)
		goto done;
	code = EXIT_FAIL;
	/*
	 * The plan without its items, which are parsed one at a time below: on 10,000 items
	 * the parsed items took more memory than the report.
	 */
	for (size_t i = 0; i < snap.files.count; i++) {
		json_int_t id;

		if (!kk_item_path_parse(&id, snap.files.files[i].path) &&
		    kk_fileset_put_file(&head, &snap.files.files[i], &diag) < 0) {
			cli_error_diag(&diag);
			goto done;
		}
	}
	if ((error = kk_plan_load(&plan, &head, &diag)) < 0) {
		cli_error_diag(&diag);
		goto done;
	}
	if (kk_fy_parse(&year, args.fy, plan->settings, &diag) < 0) {
		code = cli_usage_error("report", "%s", diag.message);
		goto done;
	}
	if (args.since && !(diff = changes_since(ctx, args.since, snap.commit, &code)))
		goto done;

	source.commit = snap.commit;
	source.time = snap.time;
	source.changes = diff;
	source.since = args.since;
	if ((error = kk_report_begin(&builder, plan->settings, plan->structure, year, &source,
				     &diag)) < 0) {
		if (error == KK_ENOTFOUND) /* not a year of the plan */
			code = cli_usage_error("report", "%s", diag.message);
		else
			cli_error_diag(&diag);
		goto done;
	}
	for (size_t i = 0; i < snap.files.count; i++) {
		const kk_file *file = &snap.files.files[i];

		if (kk_report_add_file(builder, file->path, file->data, file->len, &diag) < 0) {
			cli_error_diag(&diag);
			goto done;
		}
	}
	error = kk_report_end(&report, builder, &diag);
	builder = NULL;
	if (error < 0) {
		cli_error_diag(&diag);
		goto done;
	}
	if (format == KK_REPORT_XLSX) {
		code = write_xlsx(args.output, report);
		goto done;
	}
	if (kk_report_render(&text, &len, report, format, &text_opts, &diag) < 0) {
		cli_error_diag(&diag);
		goto done;
	}
	/* The text forms are for reading: through the pager on a terminal. */
	if (!args.output && format != KK_REPORT_JSON)
		cli_pager_start();
	code = write_text(args.output, text, len);
done:
	free(text);
	kk_report_builder_free(builder);
	kk_report_free(report);
	json_decref(diff);
	kk_plan_free(plan);
	kk_fileset_clear(&head);
	cli_snapshot_clear(&snap);
	return code;
}
