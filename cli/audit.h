/*
 * audit.h - helpers of the audit commands (cli/audit.c).
 */
#ifndef KK_CLI_AUDIT_H
#define KK_CLI_AUDIT_H

#include "cli.h"

/* keikaku.json at HEAD, for naming fiscal years; NULL when it cannot be read. */
json_t *cli_audit_settings(cli_ctx *ctx);

/*
 * A query's parameters: the strings of `pairs` ({key, value}, up to a NULL
 * key) whose value is not NULL.  Returns a new object, or NULL when out of
 * memory.
 */
json_t *cli_audit_params(const char *const pairs[][2]);

/* Prints `result` (stolen) as JSON; returns the exit code. */
int cli_audit_json(json_t *result);

/* "1a2b3c4d5e 2022-03-31 17:00 田中 秘書 (秘書課)" for a log entry or commit information. */
void cli_audit_commit(FILE *out, const json_t *info);

/* "reason: ..." wrapped after `indent` spaces, when the commit gave one. */
void cli_audit_reason(FILE *out, const json_t *info, size_t indent);

/*
 * Prints log entries (history.log's "entries") one block per commit: its
 * line, each changed field in plan terms (a new or removed file as one
 * line), and its reason.
 */
void cli_audit_log(FILE *out, const json_t *entries, const json_t *settings);

#endif
