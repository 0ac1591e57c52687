/*
 * cmd_update.c - keikaku update: an item's fields for a fiscal year, from the
 * command line, sent to keikakud as one change.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "plan.h"

#define RESULT_FILE_MAX (1024 * 1024)

/* Reads the text of a result file ("-" for standard input), without trailing white space. */
static int read_text(char **out, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	size_t len = 0, n;
	char *buf = NULL;
	int error = -1;

	if (!f) {
		cli_error(_("cannot read '%s': %s"), path, strerror(errno));
		return -1;
	}
	if (!(buf = malloc(RESULT_FILE_MAX + 1))) {
		cli_error("%s", _("out of memory"));
		goto done;
	}
	while ((n = fread(buf + len, 1, RESULT_FILE_MAX + 1 - len, f)) > 0)
		len += n;
	if (ferror(f)) {
		cli_error(_("cannot read '%s': %s"), path, strerror(errno));
		goto done;
	}
	if (len > RESULT_FILE_MAX) {
		cli_error(_("'%s' is larger than %d KiB"), path, RESULT_FILE_MAX / 1024);
		goto done;
	}
	if (memchr(buf, '\0', len)) {
		cli_error(_("'%s' is not a text file"), path);
		goto done;
	}
	while (len > 0 && strchr(" \t\r\n", buf[len - 1]))
		len--;
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
	error = 0;
done:
	if (f != stdin)
		fclose(f);
	free(buf);
	return error;
}

/* Tells whether `text` is valid UTF-8, which is all JSON can carry. */
static int is_utf8(const char *text)
{
	json_t *s = json_string(text);

	json_decref(s);
	return s != NULL;
}

/* Sets member `key` of `obj` to the text `value`; -1 when it is not UTF-8. */
static int set_text(json_t *obj, const char *key, const char *value)
{
	json_t *s = json_string(value);

	if (!s)
		return -1;
	return json_object_set_new(obj, key, s);
}

typedef struct update_opts {
	const char *fy, *revised, *result, *result_file, *reason;
	const char *progress_text, *achievement_text, *status_text; /* as given */
	const char *progress, *achievement, *status;		    /* their codes */
	int dry_run, correction;
} update_opts;

static const cli_option update_options[] = {
	CLI_OPT_STRING(0, "fy", update_opts, fy, "Y", N_("the fiscal year (2021, R3, 令和3年度)")),
	CLI_OPT_STRING(0, "progress", update_opts, progress_text, "P",
		       N_("進捗度: ◎ ○ ▲, or ahead, on_track, behind")),
	CLI_OPT_STRING(0, "revised", update_opts, revised, "TEXT",
		       N_("変更スケジュール: the revised schedule")),
	CLI_OPT_STRING(0, "result", update_opts, result, "TEXT",
		       N_("取組内容または結果: what was done")),
	CLI_OPT_STRING(0, "result-file", update_opts, result_file, "FILE",
		       N_("the result read from FILE ('-': standard input)")),
	CLI_OPT_STRING(0, "achievement", update_opts, achievement_text, "A",
		       N_("達成度 of the year: open, completed, withdrawn (or —, 導入完了, "
			  "取り下げ)")),
	CLI_OPT_STRING(0, "status", update_opts, status_text, "S",
		       N_("the item's final status, as --achievement (needs no --fy)")),
	CLI_OPT_STRING('m', "message", update_opts, reason, "REASON",
		       N_("変更理由: why (needed to revise a schedule or withdraw)")),
	CLI_OPT_BOOL(0, "correction", update_opts, correction,
		     N_("an admin's correction to a closed fiscal year (needs -m)")),
	CLI_OPT_DRY_RUN(update_opts, dry_run),
	CLI_OPT_END(),
};

static const char *const update_synopsis[] = {
	"keikaku update ID --fy Y [--progress P] [--revised TEXT] [--result TEXT | --result-file "
	"FILE] [--achievement A] [--status S] [-m REASON] [--correction] [--dry-run]",
	"keikaku update ID --status S [-m REASON] [--correction] [--dry-run]",
	NULL,
};

const cli_usage cmd_update_usage = {
	.name = "update",
	.summary = N_("change an item's fields for a fiscal year"),
	.synopsis = update_synopsis,
	.description = N_("Changes fields of item ID for fiscal year Y and submits the change to "
			  "keikakud."),
	.options = update_options,
	.footer = N_("Exits 0 when committed, 1 when keikakud refuses the change (or a dry run "
		     "would be refused), 2 on a usage error, 3 when keikakud cannot be reached."),
};

/* The merge patch: {"status"?, "years": {"Y": {revised, progress, achievement, result}}}. */
static int build_patch(json_t **out, const update_opts *o, int fy, const char *result)
{
	json_t *patch = json_object(), *year = json_object();
	char key[16];
	int error = -1;

	if (!patch || !year)
		goto done;
	if (o->status && set_text(patch, "status", o->status) < 0)
		goto done;
	if (o->revised && set_text(year, "revised", o->revised) < 0)
		goto done;
	if (o->progress && set_text(year, "progress", o->progress) < 0)
		goto done;
	if (o->achievement && set_text(year, "achievement", o->achievement) < 0)
		goto done;
	if (result && set_text(year, "result", result) < 0)
		goto done;
	if (json_object_size(year)) {
		snprintf(key, sizeof(key), "%d", fy);
		if (json_object_set_new(patch, "years", json_pack("{s:O}", key, year)) < 0)
			goto done;
	}
	*out = patch;
	patch = NULL;
	error = 0;
done:
	if (error < 0)
		cli_error("%s", _("out of memory"));
	json_decref(patch);
	json_decref(year);
	return error;
}

int cmd_update(cli_ctx *ctx, int argc, char **argv)
{
	update_opts o = {0};
	json_t *item = NULL, *settings = NULL, *patch = NULL, *params = NULL, *result = NULL;
	json_t *items = NULL;
	char *result_text = NULL, base[41], at[41];
	const char *progress_text, *achievement_text, *status_text;
	kk_diag diag = {0};
	json_int_t id;
	int fy = 0, code = EXIT_FAIL;
	cli_view view;

	if ((code = cli_parse_options(&argc, argv, &cmd_update_usage, &o, 0)) != CLI_PARSED)
		return code;
	if (argc != 1)
		return cli_usage_error("update", _("expected one item id"));
	if (cli_parse_item_id(&id, argv[0]) < 0)
		return cli_usage_error("update", _("'%s' is not an item id"), argv[0]);
	progress_text = o.progress_text;
	achievement_text = o.achievement_text;
	status_text = o.status_text;
	if (!progress_text && !o.revised && !o.result && !o.result_file && !achievement_text &&
	    !status_text)
		return cli_usage_error("update",
				       _("nothing to change: give --progress, --revised, --result, "
					 "--result-file, --achievement or --status"));
	if (o.result && o.result_file)
		return cli_usage_error("update",
				       _("--result and --result-file cannot be used together"));
	if (!o.fy && (progress_text || o.revised || o.result || o.result_file || achievement_text))
		return cli_usage_error("update", _("which fiscal year? give --fy"));
	if (progress_text && !(o.progress = kk_progress_from_mark(progress_text)))
		return cli_usage_error("update",
				       _("'%s' is not a progress mark (◎ ○ ▲, ahead, on_track, "
					 "behind)"),
				       progress_text);
	if (achievement_text && !(o.achievement = kk_achievement_from_label(achievement_text)))
		return cli_usage_error("update",
				       _("'%s' is not an achievement (open, completed, withdrawn)"),
				       achievement_text);
	if (status_text && !(o.status = kk_achievement_from_label(status_text)))
		return cli_usage_error("update",
				       _("'%s' is not a status (open, completed, withdrawn)"),
				       status_text);
	if (o.revised && !is_utf8(o.revised))
		return cli_usage_error("update", _("the text of '%s' is not UTF-8"), "--revised");
	if (o.result && !is_utf8(o.result))
		return cli_usage_error("update", _("the text of '%s' is not UTF-8"), "--result");
	if (o.result_file && read_text(&result_text, o.result_file) < 0)
		return EXIT_USAGE;
	if (result_text && !is_utf8(result_text)) {
		free(result_text);
		return cli_usage_error("update", _("the text of '%s' is not UTF-8"), o.result_file);
	}

	/* The item and the plan's eras as of one commit: the base of the update. */
	if ((code = cli_item_get(&item, base, ctx->client, id, NULL)) != EXIT_OK ||
	    (code = cli_plan_get(&settings, at, ctx->client, KK_PATH_SETTINGS, base)) != EXIT_OK)
		goto done;
	if (o.fy) {
		if (kk_fy_parse(&fy, o.fy, settings, &diag) < 0) {
			code = cli_usage_error("update", "%s", diag.message);
			goto done;
		}
		if (!kk_fy_state(settings, fy)) {
			code = cli_usage_error(
				"update", _("fiscal year '%s' is not a year of the plan"), o.fy);
			goto done;
		}
	}
	if (build_patch(&patch, &o, fy, o.result ? o.result : result_text) < 0) {
		code = EXIT_FAIL;
		goto done;
	}
	if (!(params = json_pack("{s:I, s:s, s:O}", "id", id, "base", base, "patch", patch)) ||
	    cli_write_params(params, o.reason, o.dry_run) < 0 ||
	    (o.correction && json_object_set_new(params, "correction", json_true()) < 0)) {
		code = EXIT_FAIL;
		goto done;
	}
	items = json_pack("[O]", item);
	view = (cli_view){settings, items};
	code = cli_write(&result, ctx->client, "item.update", params, &view, NULL);
	params = NULL; /* taken by cli_write() */
	if (code != EXIT_OK)
		goto done;
	code = cli_print_write_result(result, o.dry_run, NULL, &view);
done:
	free(result_text);
	json_decref(item);
	json_decref(items);
	json_decref(settings);
	json_decref(patch);
	json_decref(params);
	json_decref(result);
	return code;
}
