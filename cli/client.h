/*
 * client.h - keikaku's side of the keikakud protocol (docs/protocol.md): a
 * blocking connection that sends one request line and reads one response
 * line at a time, and how the daemon's answers and refusals are shown to a
 * person.
 */
#ifndef KK_CLI_CLIENT_H
#define KK_CLI_CLIENT_H

#include <stdio.h>

#include <jansson.h>

#include "rpc.h"

/* Where keikakud listens unless told otherwise (the build may set KK_DEFAULT_SOCKET). */
#ifdef KK_DEFAULT_SOCKET
#define CLI_SOCKET_DEFAULT KK_DEFAULT_SOCKET
#else
#define CLI_SOCKET_DEFAULT "/run/keikakud.sock"
#endif
#define CLI_SOCKET_ENV "KEIKAKU_SOCKET"

/* The longest response line accepted, newline included. */
#define CLI_RESPONSE_MAX (16u * 1024u * 1024u)

/* A request_id: 128 random bits in hex, and the terminating NUL. */
#define CLI_REQUEST_ID_SIZE 33

typedef struct cli_client cli_client;

/* An error response: the daemon's code, message and data (NULL when it sent none). */
typedef struct cli_rpc_error {
	int code;
	char *message;
	json_t *data;
} cli_rpc_error;

/* Releases the members of `err` (not `err` itself) and zeroes it; accepts NULL. */
void cli_rpc_error_clear(cli_rpc_error *err);

/*
 * The socket to use: `option` (from --socket) when given, else
 * $KEIKAKU_SOCKET when set and not empty, else CLI_SOCKET_DEFAULT.  Borrowed.
 */
const char *cli_socket_path(const char *option);

/*
 * Creates a client for the socket at `path` (borrowed: it must outlive the
 * client).  Nothing is connected until the first call.  Free with
 * cli_client_free(), which accepts NULL.  Returns 0 or KK_ENOMEM.
 */
int cli_client_new(cli_client **out, const char *path);
void cli_client_free(cli_client *client);

/* Outcomes of cli_call() other than 0. */
enum {
	CLI_CALL_REFUSED = -1,	 /* the daemon answered with an error: see `err` */
	CLI_CALL_TRANSPORT = -2, /* no answer: the reason has been printed */
};

/*
 * Sends request `method` with `params` (a new reference the call steals;
 * NULL for none) and waits for its response.  Returns 0 with the result in
 * *result_out (a new reference), CLI_CALL_REFUSED with the error in `err`
 * (which the caller clears), or CLI_CALL_TRANSPORT after printing why the
 * daemon could not be reached or did not answer properly.  When the
 * connection is reset before the response arrives, the same request line
 * (with the same "request_id", if any) is sent once more on a new
 * connection: the daemon answers a retried write with its first result.
 */
int cli_call(json_t **result_out, cli_client *client, const char *method, json_t *params,
	     cli_rpc_error *err);

/* Writes a fresh random request_id (32 lower-case hex digits) into `buf`. */
int cli_request_id(char buf[CLI_REQUEST_ID_SIZE]);

/*
 * What is known for describing items, fiscal years and fields in plan
 * terms: keikaku.json (for era names) and the items concerned (for their
 * titles).  Any member may be NULL.
 */
typedef struct cli_view {
	const json_t *settings; /* keikaku.json */
	const json_t *items;	/* an array of items */
} cli_view;

/*
 * Prints why the daemon refused a request: its message on stderr, then
 * each violation, validation error or conflicting field on its own line.
 * Returns the exit code for it: EXIT_NO for forbidden, conflict, rule
 * violation and invalid; EXIT_FAIL for anything else.
 */
int cli_rpc_report(const cli_rpc_error *err, const cli_view *view);

/*
 * Exit code for a cli_call() outcome other than 0: prints a refusal with
 * cli_rpc_report() and clears `err`.
 */
int cli_call_failed(int outcome, cli_rpc_error *err, const cli_view *view);

/*
 * The whole of a command that takes only --json and -h and asks keikakud
 * one question: parses the options by `u`, whose table is
 * cli_simple_query_options, calls `method` and, with --json, prints the
 * result.  Returns -1 with *result_out set when the caller is to render the
 * result itself, else the exit code.
 */
int cli_simple_query(json_t **result_out, cli_ctx *ctx, const cli_usage *u, const char *method,
		     int argc, char **argv);
extern const cli_option cli_simple_query_options[];

/*
 * Prints one line per problem found in `data` (an error's data or a dry
 * run's result: "violations", "errors" and the conflict's "fields"), each
 * starting with `prefix`, and returns how many it printed.
 */
size_t cli_print_problems(FILE *out, const char *prefix, const json_t *data, const cli_view *view);

/*
 * Prints one line per change of a write result's "changes", in plan terms,
 * each starting with `prefix`: "026 テレワークの拡大 · 令和3年度 進捗度: ○ → ▲".
 */
void cli_print_changes(FILE *out, const char *prefix, const json_t *changes, const cli_view *view);

/*
 * A field's value as the report writes it, whole: the mark or label of a
 * progress, achievement or status code, a list of strings joined with
 * "、", "(none)" for no value or an empty list, and any other value as
 * compact JSON.  `path` ("years.2021.progress"; may be NULL) names the
 * field.  Returns a new string the caller frees, or NULL when out of
 * memory.
 */
char *cli_value_text(const char *path, const json_t *v);

/* Prints one field and its value in plan terms: "令和3年度 進捗度: ○". */
void cli_print_field(FILE *out, const char *path, const json_t *value, const cli_view *view);

/*
 * Writes the commit keikakud has as its head now (41 bytes, from status)
 * into `out`, for a write that names no base.  Returns EXIT_OK, or the exit
 * code after printing why not.
 */
int cli_current_head(char *out, cli_client *client);

/* Tells whether `s` is a full commit id (40 lower-case hex digits). */
int cli_is_commit_id(const char *s);

/*
 * Prints the answer to a write: "committed ID" and its changes, "no
 * changes; nothing committed", or, for a dry run, "dry run: nothing
 * committed", the changes and what would be refused.  When `summary` is
 * not NULL it is printed instead of the changes.  Returns EXIT_OK, or
 * EXIT_NO for a dry run that would be refused.
 */
int cli_print_write_result(const json_t *result, int dry_run, const char *summary,
			   const cli_view *view);

/*
 * Reads item `id` (item.get) or plan file `file` (plan.get) as of `at`
 * (NULL for the head): *doc_out gets a new reference to the item or
 * content, `commit_out` (41 bytes) the commit id it was read at.  Returns
 * EXIT_OK, or the exit code after printing why not.
 */
int cli_item_get(json_t **item_out, char *commit_out, cli_client *c, json_int_t id, const char *at);
int cli_plan_get(json_t **content_out, char *commit_out, cli_client *c, const char *file,
		 const char *at);

/*
 * Adds what every write takes to `params`: "reason" (when not NULL or
 * empty), a fresh "request_id" and, for a dry run, "dry_run": true.
 * Returns 0, or -1 after printing why not.
 */
int cli_write_params(json_t *params, const char *reason, int dry_run);

/*
 * Sends write `method` (stealing `params`) and checks the shape of its
 * result.  Returns EXIT_OK with *result_out, or the exit code after
 * printing a refusal (with `view`) or a failure.  When `refusal` is not
 * NULL, a refusal the user may correct (forbidden, conflict, rule
 * violation, invalid) is not printed but stored there (the caller clears
 * it), and -1 is returned.
 */
int cli_write(json_t **result_out, cli_client *c, const char *method, json_t *params,
	      const cli_view *view, cli_rpc_error *refusal);

/*
 * Looks up dotted `path` ("years.2021.progress") in `doc`; NULL when any
 * part is missing.  Borrowed.
 */
const json_t *cli_json_path(const json_t *doc, const char *path);

#endif
