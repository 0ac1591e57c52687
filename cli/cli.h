/*
 * cli.h - what every keikaku subcommand shares: the command table entry,
 * the common set-up the table's flags ask for, exit codes and rendering.
 */
#ifndef KK_CLI_H
#define KK_CLI_H

#include <stdio.h>

#include <jansson.h>

#include "common.h"
#include "fileset.h"
#include "i18n.h"
#include "options.h"
#include "store.h"

/* Exit codes (documented in docs/cli.md). */
enum {
	EXIT_OK = 0,
	EXIT_NO = 1,	/* the answer is "no": problems found, files invalid */
	EXIT_USAGE = 2, /* bad arguments, unreadable input given by the user */
	EXIT_FAIL = 3,	/* operational error: no repository, unknown revision, I/O */
};

/* Set-up the command table asks main() to do before running a command. */
enum {
	CMD_NEEDS_REPO = 1 << 0,   /* open the repository (-C, or found from the cwd) */
	CMD_NEEDS_DAEMON = 1 << 1, /* talk to keikakud (connected at the first request) */
	CMD_READS = 1 << 2,	   /* the repository when there is one, else keikakud */
};

struct cli_client;

typedef struct cli_ctx {
	kk_store *store;	   /* open when the command has CMD_NEEDS_REPO */
	struct cli_client *client; /* set when the command has CMD_NEEDS_DAEMON */
	const char *socket_path;   /* from --socket, or NULL */
	const char *argv0;
	const char *command; /* the command's name */
	int chdir_given;     /* -C was given: a read needs a repository there */
} cli_ctx;

typedef struct cli_command {
	const cli_usage *usage; /* its name, summary, synopsis, options and subcommands */
	int (*fn)(cli_ctx *ctx, int argc, char **argv);
	int flags;
} cli_command;

/*
 * The command table (main.c), up to an entry without a usage, and keikaku's
 * own usage and options: from these, every command's usage and options,
 * subcommands included, can be reached.
 */
extern const cli_command cli_commands[];
extern const cli_usage cli_keikaku_usage;

/* Subcommands, one file each (cmd_<name>.c). */
int cmd_init(cli_ctx *ctx, int argc, char **argv);
int cmd_show(cli_ctx *ctx, int argc, char **argv);
int cmd_list(cli_ctx *ctx, int argc, char **argv);
int cmd_diff(cli_ctx *ctx, int argc, char **argv);
int cmd_verify(cli_ctx *ctx, int argc, char **argv);
int cmd_log(cli_ctx *ctx, int argc, char **argv);
int cmd_blame(cli_ctx *ctx, int argc, char **argv);
int cmd_schedule(cli_ctx *ctx, int argc, char **argv);
int cmd_pending(cli_ctx *ctx, int argc, char **argv);
int cmd_report(cli_ctx *ctx, int argc, char **argv);
int cmd_schema(cli_ctx *ctx, int argc, char **argv);
int cmd_fmt(cli_ctx *ctx, int argc, char **argv);
int cmd_update(cli_ctx *ctx, int argc, char **argv);
int cmd_edit(cli_ctx *ctx, int argc, char **argv);
int cmd_submit(cli_ctx *ctx, int argc, char **argv);
int cmd_import(cli_ctx *ctx, int argc, char **argv);
int cmd_whoami(cli_ctx *ctx, int argc, char **argv);
int cmd_status(cli_ctx *ctx, int argc, char **argv);
int cmd_dept(cli_ctx *ctx, int argc, char **argv);
int cmd_signers(cli_ctx *ctx, int argc, char **argv);
int cmd_year(cli_ctx *ctx, int argc, char **argv);
int cmd_serve(cli_ctx *ctx, int argc, char **argv);

/* Their usages and option tables, in the same files. */
extern const cli_usage cmd_show_usage;
extern const cli_usage cmd_list_usage;
extern const cli_usage cmd_diff_usage;
extern const cli_usage cmd_verify_usage;
extern const cli_usage cmd_log_usage;
extern const cli_usage cmd_blame_usage;
extern const cli_usage cmd_schedule_usage;
extern const cli_usage cmd_pending_usage;
extern const cli_usage cmd_report_usage;
extern const cli_usage cmd_schema_usage;
extern const cli_usage cmd_fmt_usage;
extern const cli_usage cmd_update_usage;
extern const cli_usage cmd_edit_usage;
extern const cli_usage cmd_submit_usage;
extern const cli_usage cmd_import_usage;
extern const cli_usage cmd_init_usage;
extern const cli_usage cmd_dept_usage;
extern const cli_usage cmd_signers_usage;
extern const cli_usage cmd_year_usage;
extern const cli_usage cmd_whoami_usage;
extern const cli_usage cmd_status_usage;
extern const cli_usage cmd_serve_usage;

/*
 * Opens what a read command reads: the repository named by -C; else
 * keikakud when --socket was given; else the plan repository at or above
 * the current directory, or keikakud when there is none.  With `repo_only`,
 * only a repository will do.  Returns EXIT_OK, or the exit code after
 * printing why not.
 */
int cli_open_reads(cli_ctx *ctx, int repo_only);

/*
 * Parses an item id as a user types it ("26", "0026", or "２６" as an input
 * method gives it); returns 0 or -1.
 */
int cli_parse_item_id(json_int_t *out, const char *text);

/* Prints "keikaku: <message>" to stderr, with the diagnostic's position if any. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_error_diag(const kk_diag *diag);

/* Prints a usage error (and a pointer to --help) and returns EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Maps a KK_E* code to the exit code for it. */
int cli_exit_code(int error);

/* Where Keikaku's data files (schema/, repo-template/) are. */
const char *cli_datadir(void);

/*
 * Resolves `rev` (NULL for HEAD; also @DATE in the local time zone and
 * fyYYYY, core/history/revision.h) in the context's repository.  Returns EXIT_OK, or
 * the exit code after printing why not.
 */
int cli_resolve(git_oid *out, cli_ctx *ctx, const char *rev);

/*
 * The plan files of one commit (source.c), read from the context's
 * repository or, without one, through keikakud: the same bytes either way.
 */
typedef struct cli_snapshot {
	char commit[GIT_OID_HEXSZ + 1]; /* the commit they were read at */
	int64_t time;			/* its commit time, seconds since the epoch */
	kk_fileset files;
} cli_snapshot;

/*
 * Reads the plan at `rev` (NULL for HEAD; also @DATE and fyYYYY) into
 * `snap`: every file, or only `paths` (NULL-terminated; those that do not
 * exist are left out).  Returns EXIT_OK, or the exit code after printing
 * why not.  Empty `snap` with cli_snapshot_clear() in either case.
 */
int cli_snapshot_read(cli_snapshot *snap, cli_ctx *ctx, const char *rev, const char *const *paths);
void cli_snapshot_clear(cli_snapshot *snap);

/*
 * Parses file `path` of `snap` into *out (a new reference).  Returns 0,
 * or KK_ENOTFOUND or KK_EINVALID after printing that the snapshot has no
 * such file or that it does not parse.
 */
int cli_snapshot_json(json_t **out, const cli_snapshot *snap, const char *path);

/*
 * Loads the plan at `rev` (NULL for HEAD) into `snap` and `plan`, from the
 * repository or through keikakud; prints the error and returns an exit
 * code on failure.  The plan borrows from the snapshot: free it first.
 */
struct kk_plan;
int cli_load_plan(struct kk_plan **plan_out, cli_snapshot *snap, cli_ctx *ctx, const char *rev);

/*
 * Asks query `method` (core/history/query.h) with `params` (stolen) of the
 * repository, or of keikakud when the command runs without one.  Returns
 * EXIT_OK with *out (a new reference), or the exit code after printing why
 * not.
 */
int cli_query(json_t **out, cli_ctx *ctx, const char *method, json_t *params);

/* Flushes stdout and reports a write error; returns `code` or EXIT_FAIL. */
int cli_finish(int code);

/* --- rendering (render.c) --- */

/*
 * Display width of UTF-8 text in terminal columns: East Asian wide 2, and
 * East Asian ambiguous (◎ ○ ▲ — …) as render_set_ambiguous_width() says.
 */
size_t render_width(const char *s);

/*
 * How many columns (1 or 2) the terminal draws an East Asian ambiguous
 * character in: keikaku's --ambiguous-width, or $KEIKAKU_AMBIGUOUS_WIDTH.
 * Every width above follows it.  1 until set.
 */
void render_set_ambiguous_width(int width);

/* Writes `s` and pads it with spaces to `width` columns. */
void render_padded(FILE *out, const char *s, size_t width);

/*
 * Writes `s` cut to at most `width` columns (ending in "…" when cut) and
 * padded to exactly `width` columns.
 */
void render_fitted(FILE *out, const char *s, size_t width);

/*
 * Writes `text` wrapped to `width` columns, each line after `indent`
 * spaces, and ends the last line.  With `hanging`, the first line starts
 * where the cursor is (the caller has already written `indent` columns).
 * Line breaks in the text are kept, and a "・" bullet or "【" heading that
 * follows a space starts a new line.
 */
void render_wrapped(FILE *out, const char *text, size_t indent, size_t width, int hanging);

/*
 * Writes how each row of a report was read (kk_import_options.explain),
 * one block per row (explain.c).
 */
void cli_import_explain(FILE *out, const json_t *explain);

/*
 * Prints a report's problems on stderr: FILE:ROW: reason for its rows,
 * FILE: /pointer: reason for its corrections file.
 */
void cli_import_print_problems(const kk_diaglist *rows);

/*
 * Reads the report `file` with `opts` into *out; prints its problems, the
 * rows' reading with opts->explain, and what was not done (`creating`: no
 * repository; otherwise nothing imported).  Returns EXIT_OK or the exit code.
 */
struct kk_import;
struct kk_import_options;
int cli_import_read(struct kk_import **out, const char *file,
		    const struct kk_import_options *opts, int creating);

/*
 * The options `import` and `init --import` share about reading a report
 * (cli_import_options, in explain.c), and where they put them.
 */
typedef struct cli_import_args {
	const char *corrections, *title, *organisation, *admin;
	int explain, force;
} cli_import_args;

extern const cli_option cli_import_options[];

/* Sets the members of `opts` that `args` gives (the title, organisation, admin, force). */
void cli_import_args_apply(struct kk_import_options *opts, const cli_import_args *args);

/*
 * Loads the corrections file at `path` (NULL: none, *out NULL).  Returns
 * EXIT_OK, or the exit code after saying why not.
 */
int cli_import_corrections(json_t **out, const char *path);

/*
 * The corrections applied (kk_import.corrected), as lines for the commit
 * message; a string the caller frees, or NULL when there is none or memory
 * runs out.
 */
char *cli_import_corrections_text(const json_t *corrected, const char *path);

/* The width to lay out for: $COLUMNS, the terminal's, or 80. */
size_t render_columns(void);

/*
 * Writes a kk_diff_commits() result in plan terms, one line per change (cmd_diff.c);
 * `settings` (keikaku.json, may be NULL) names the fiscal years.  Returns 0, or -1 when
 * out of memory.
 */
int render_diff(FILE *out, const json_t *result, const json_t *settings);

#endif
