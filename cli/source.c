/*
 * source.c - where a read command's plan comes from: the repository named by
 * -C or found from the current directory, or keikakud when there is none
 * (staff cannot read the repository).  Queries (core/history/query.h) are answered
 * by the same core code either way; show, list, report and dept list read
 * the plan's files as stored (a snapshot: plan.files through keikakud) and
 * render them with the same code, so both give the same bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "json.h"
#include "plan.h"
#include "query.h"
#include "revision.h"

/* Minutes east of UTC here, now: the zone dates on the command line are meant in. */
static int local_offset(void)
{
	time_t now = time(NULL);
	struct tm tm;

	return localtime_r(&now, &tm) ? (int)(tm.tm_gmtoff / 60) : 0;
}

static int owned_by_caller(kk_store *store);

int cli_resolve(git_oid *out, cli_ctx *ctx, const char *rev)
{
	kk_query_env env = {.utc_offset = local_offset(), .use_cache = owned_by_caller(ctx->store)};
	kk_diag diag = {0};
	int error;

	if ((error = kk_query_resolve(out, ctx->store, rev, &env, &diag)) < 0) {
		cli_error_diag(&diag);
		return error == KK_EINVALID ? EXIT_USAGE : EXIT_FAIL; /* a malformed @DATE */
	}
	return EXIT_OK;
}

int cli_load_plan(kk_plan **plan_out, cli_snapshot *snap, cli_ctx *ctx, const char *rev)
{
	kk_diag diag = {0};
	int code;

	if ((code = cli_snapshot_read(snap, ctx, rev, NULL)) != EXIT_OK)
		return code;
	if (kk_plan_load(plan_out, &snap->files, &diag) < 0) {
		cli_error_diag(&diag);
		cli_snapshot_clear(snap);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* True when the repository's git directory belongs to the caller. */
static int owned_by_caller(kk_store *store)
{
	struct stat st;

	return stat(git_repository_path(kk_store_repository(store)), &st) == 0 &&
	       st.st_uid == geteuid();
}

int cli_query(json_t **out, cli_ctx *ctx, const char *method, json_t *params)
{
	kk_query_env env = {0};
	kk_diag diag = {0};
	cli_rpc_error err = {0};
	int outcome;

	if (!params) {
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	if (!ctx->store) {
		outcome = cli_call(out, ctx->client, method, params, &err);
		if (outcome == CLI_CALL_REFUSED && err.code == KK_RPC_EPARAMS) {
			/* As offline: the parameters came from the command line. */
			outcome = cli_usage_error(ctx->command, "%s",
						  err.message ? err.message : "?");
			cli_rpc_error_clear(&err);
			return outcome;
		}
		return outcome == 0 ? EXIT_OK : cli_call_failed(outcome, &err, NULL);
	}
	env.utc_offset = local_offset();
	env.use_cache = owned_by_caller(ctx->store);
	outcome = kk_query_run(out, ctx->store, method, params, &env, &diag);
	json_decref(params);
	if (outcome < 0) {
		/* A bad parameter came from the command line. */
		if (outcome == KK_EINVALID && diag.pointer[0] && !diag.path[0])
			return cli_usage_error(ctx->command, "%s", diag.message);
		cli_error_diag(&diag);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* True when the HEAD of `store` holds a plan (keikaku.json), not some other project. */
static int holds_plan(kk_store *store)
{
	git_oid head;
	char *data = NULL;
	int found;

	found = kk_store_resolve(&head, store, NULL, NULL) == 0 &&
		kk_store_read(&data, NULL, store, &head, KK_PATH_SETTINGS, NULL) == 0;
	free(data);
	return found;
}

int cli_open_reads(cli_ctx *ctx, int repo_only)
{
	kk_diag diag = {0};
	int error = 0;

	if (ctx->store)
		return EXIT_OK;
	/*
	 * -C names a repository; --socket names keikakud.  With neither, the
	 * plan repository at or above the current directory, else keikakud:
	 * staff have no access to the repository, and a git repository of
	 * something else (a project, a home directory kept in git) is no plan.
	 */
	if (repo_only || ctx->chdir_given || !ctx->socket_path) {
		error = kk_store_discover(&ctx->store, ".", &diag);
		if (error == 0 && (repo_only || ctx->chdir_given || holds_plan(ctx->store)))
			return EXIT_OK;
		if (error == 0) {
			kk_store_free(ctx->store);
			ctx->store = NULL;
		} else if (repo_only || error != KK_ENOTFOUND || ctx->chdir_given) {
			cli_error_diag(&diag);
			return EXIT_FAIL;
		}
	}
	if (!ctx->client && cli_client_new(&ctx->client, cli_socket_path(ctx->socket_path)) < 0) {
		cli_error("%s", _("out of memory"));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

void cli_snapshot_clear(cli_snapshot *snap)
{
	kk_fileset_clear(&snap->files);
	memset(snap, 0, sizeof(*snap));
}

static int read_local(cli_snapshot *snap, cli_ctx *ctx, const char *rev, const char *const *paths)
{
	git_commit *commit = NULL;
	kk_diag diag = {0};
	git_oid oid;
	int code, error = 0;

	if ((code = cli_resolve(&oid, ctx, rev)) != EXIT_OK)
		return code;
	if (!paths) {
		error = kk_store_read_all(&snap->files, ctx->store, &oid, &diag);
	} else {
		for (; *paths && error == 0; paths++) {
			char *data = NULL;
			size_t len = 0;

			error = kk_store_read(&data, &len, ctx->store, &oid, *paths, &diag);
			if (error == 0)
				error = kk_fileset_put(&snap->files, *paths, data, len, &diag);
			else if (error == KK_ENOTFOUND)
				error = 0; /* left out, as keikakud leaves it out */
			free(data);
		}
	}
	if (error == 0 && git_commit_lookup(&commit, kk_store_repository(ctx->store), &oid) < 0)
		error = kk_diag_set(&diag, KK_EIO, _("cannot read commit %s"),
				    git_oid_tostr_s(&oid));
	if (error < 0) {
		cli_error_diag(&diag);
		cli_snapshot_clear(snap);
		return EXIT_FAIL;
	}
	git_oid_tostr(snap->commit, sizeof(snap->commit), &oid);
	snap->time = (int64_t)git_commit_time(commit);
	git_commit_free(commit);
	return EXIT_OK;
}

/* Takes plan.files' result (borrowed) into `snap`. */
static int take_files(cli_snapshot *snap, const json_t *result)
{
	const char *commit = json_string_value(json_object_get(result, "commit"));
	const json_t *time = json_object_get(result, "time");
	const json_t *files = json_object_get(result, "files"), *text;
	const char *path;
	kk_diag diag = {0};

	if (!cli_is_commit_id(commit) || !json_is_integer(time) || !json_is_object(files)) {
		cli_error("%s", _("keikakud sent a malformed answer: the result lacks a commit "
				  "id, its time or the files"));
		return EXIT_FAIL;
	}
	json_object_foreach((json_t *)files, path, text) {
		if (!json_is_string(text) ||
		    kk_fileset_put(&snap->files, path, json_string_value(text),
				   json_string_length(text), &diag) < 0) {
			cli_error(_("keikakud sent a malformed answer: file '%s'"), path);
			return EXIT_FAIL;
		}
	}
	memcpy(snap->commit, commit, sizeof(snap->commit));
	snap->time = (int64_t)json_integer_value(time);
	return EXIT_OK;
}

static int read_remote(cli_snapshot *snap, cli_ctx *ctx, const char *rev, const char *const *paths)
{
	json_t *params = json_object(), *list = NULL, *result = NULL;
	cli_rpc_error err = {0};
	int outcome, code;

	if (params && rev)
		json_object_set_new(params, "at", json_string(rev));
	if (params && paths) {
		if (!(list = json_array()) || json_object_set_new(params, "paths", list) < 0)
			goto oom;
		for (; *paths; paths++)
			if (json_array_append_new(list, json_string(*paths)) < 0)
				goto oom;
	}
	if (!params)
		goto oom;
	if ((outcome = cli_call(&result, ctx->client, "plan.files", params, &err)) < 0) {
		if (outcome == CLI_CALL_REFUSED && err.code == KK_RPC_EPARAMS) {
			/* As cli_resolve() says it: the revision came from the command line. */
			cli_error("%s", err.message ? err.message : "?");
			cli_rpc_error_clear(&err);
			return EXIT_USAGE;
		}
		return cli_call_failed(outcome, &err, NULL);
	}
	code = take_files(snap, result);
	json_decref(result);
	if (code != EXIT_OK)
		cli_snapshot_clear(snap);
	return code;
oom:
	json_decref(params);
	cli_error("%s", _("out of memory"));
	return EXIT_FAIL;
}

int cli_snapshot_read(cli_snapshot *snap, cli_ctx *ctx, const char *rev, const char *const *paths)
{
	memset(snap, 0, sizeof(*snap));
	return ctx->store ? read_local(snap, ctx, rev, paths) : read_remote(snap, ctx, rev, paths);
}

int cli_snapshot_json(json_t **out, const cli_snapshot *snap, const char *path)
{
	const kk_file *file = kk_fileset_get(&snap->files, path);
	kk_diag diag = {0};

	*out = NULL;
	if (!file) {
		cli_error(_("'%s' does not exist in commit %.7s"), path, snap->commit);
		return KK_ENOTFOUND;
	}
	if (kk_json_parse(out, file->data, file->len, NULL, &diag) < 0) {
		kk_diag_set_path(&diag, path);
		cli_error_diag(&diag);
		return KK_EINVALID;
	}
	return 0;
}
