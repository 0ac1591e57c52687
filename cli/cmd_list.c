/*
 * cmd_list.c - keikaku list: the plan's items as an aligned table, filtered.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "keytext.h"
#include "pager.h"
#include "plan.h"

typedef struct list_args {
	const char *owner, *status, *fy, *progress, *at;
	int json;
} list_args;

static const cli_option list_options[] = {
	CLI_OPT_STRING(0, "owner", list_args, owner, "DEPT", N_("only items DEPT owns")),
	CLI_OPT_STRING(0, "status", list_args, status, "S",
		       N_("only items whose status is S (open, completed, withdrawn, or the "
			  "report's —, 導入完了, 取り下げ)")),
	CLI_OPT_STRING(0, "fy", list_args, fy, "Y",
		       N_("add fiscal year Y's schedule and progress (2021, R3, 令和3年度)")),
	CLI_OPT_STRING(0, "progress", list_args, progress, "P",
		       N_("with --fy: only items whose progress in Y is P (◎ ○ ▲, or ahead, "
			  "on_track, behind)")),
	CLI_OPT_AT(list_args, at),
	CLI_OPT_BOOL(0, "json", list_args, json, N_("print the matching items as a JSON array")),
	CLI_OPT_END(),
};

static const char *const list_synopsis[] = {
	"keikaku list [--owner DEPT] [--status S] [--fy Y [--progress P]] [--at REV] [--json]",
	NULL,
};

const cli_usage cmd_list_usage = {
	.name = "list",
	.summary = N_("list items as a table"),
	.synopsis = list_synopsis,
	.description = N_("Lists plan items as an aligned table."),
	.options = list_options,
};

typedef struct {
	const char *owner;
	const char *status;
	const char *progress;
	int fy;
} filter;

static const json_t *year_of(const json_t *item, int fy)
{
	char key[16];

	snprintf(key, sizeof(key), "%d", fy);
	return json_object_get(json_object_get(item, "years"), key);
}

static int matches(const json_t *item, const filter *f)
{
	if (f->owner && !kk_item_owned_by(item, f->owner))
		return 0;
	if (f->status && strcmp(json_string_value(json_object_get(item, "status")), f->status))
		return 0;
	if (f->progress) {
		const char *p =
			json_string_value(json_object_get(year_of(item, f->fy), "progress"));

		if (!p || strcmp(p, f->progress) != 0)
			return 0;
	}
	return 1;
}

static void owners_text(char *buf, size_t size, const json_t *item)
{
	size_t i, len = 0;
	json_t *v;

	buf[0] = '\0';
	json_array_foreach(json_object_get(item, "owners"), i, v) {
		int n = snprintf(buf + len, size - len, "%s%s", i ? " " : "", json_string_value(v));

		if (n < 0 || (size_t)n >= size - len)
			break;
		len += (size_t)n;
	}
}

/* The schedule to show for a year: the revision if there is one, else the plan. */
static const char *schedule_of(const json_t *year)
{
	const char *s = json_string_value(json_object_get(year, "revised"));

	return s ? s : json_string_value(json_object_get(year, "planned"));
}

static void print_table(const json_t **rows, size_t count, const filter *f, const json_t *settings)
{
	size_t columns = render_columns(), w_owner = render_width("担当課"), w_sched = 0;
	size_t w_id = render_width("通番"), w_status = render_width("達成度"), w_title;
	size_t fixed, w_longest = render_width("項目");
	char buf[1024], fyname[KK_FY_NAME_MAX];

	for (size_t i = 0; i < count; i++) {
		size_t w = render_width(json_string_value(json_object_get(rows[i], "title")));

		if (w > w_longest)
			w_longest = w;

		owners_text(buf, sizeof(buf), rows[i]);
		if ((w = render_width(buf)) > w_owner)
			w_owner = w;
		if (f->fy) {
			const char *s = schedule_of(year_of(rows[i], f->fy));

			if (s && (w = render_width(s)) > w_sched)
				w_sched = w;
		}
	}
	if (w_owner > 24)
		w_owner = 24;
	if (f->fy) {
		kk_fy_format(fyname, sizeof(fyname), settings, f->fy);
		if (w_sched < render_width("スケジュール"))
			w_sched = render_width("スケジュール");
		if (w_sched > 20)
			w_sched = 20;
	}
	/* id, title, owners, [schedule, progress], status, with two spaces between. */
	fixed = w_id + 2 + 2 + w_owner + 2 + w_status + (f->fy ? w_sched + 2 + 6 + 2 : 0);
	w_title = columns > fixed + 16 ? columns - fixed : 16;
	if (w_title > w_longest)
		w_title = w_longest;

	render_padded(stdout, "通番", w_id);
	fputs("  ", stdout);
	render_padded(stdout, "項目", w_title);
	fputs("  ", stdout);
	render_padded(stdout, "担当課", w_owner);
	fputs("  ", stdout);
	if (f->fy) {
		render_padded(stdout, "スケジュール", w_sched);
		fputs("  ", stdout);
		render_padded(stdout, "進捗度", 6);
		fputs("  ", stdout);
	}
	fputs("達成度\n", stdout);

	for (size_t i = 0; i < count; i++) {
		const json_t *item = rows[i];
		const char *status = json_string_value(json_object_get(item, "status"));

		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(item, "id")));
		/* Numbers align right, as in the report. */
		for (size_t pad = render_width(buf); pad < w_id; pad++)
			putchar(' ');
		fputs(buf, stdout);
		fputs("  ", stdout);
		render_fitted(stdout, json_string_value(json_object_get(item, "title")), w_title);
		fputs("  ", stdout);
		owners_text(buf, sizeof(buf), item);
		render_fitted(stdout, buf, w_owner);
		fputs("  ", stdout);
		if (f->fy) {
			const json_t *year = year_of(item, f->fy);
			const char *s = schedule_of(year);
			const char *mark = kk_progress_mark(
				json_string_value(json_object_get(year, "progress")));

			render_fitted(stdout, s ? s : "", w_sched);
			fputs("  ", stdout);
			render_padded(stdout, mark ? mark : "", 6);
			fputs("  ", stdout);
		}
		fputs(kk_achievement_label(status) ? kk_achievement_label(status) : "?", stdout);
		putchar('\n');
	}
	if (f->fy)
		printf(_("\n%zu items; schedule and progress of %s\n"), count, fyname);
}

int cmd_list(cli_ctx *ctx, int argc, char **argv)
{
	list_args args = {0};
	filter f = {0};
	cli_snapshot snap = {0};
	kk_plan *plan = NULL;
	const json_t **rows = NULL;
	size_t count = 0, i;
	int code;
	kk_diag diag = {0};
	json_t *item;

	if ((code = cli_parse_options(&argc, argv, &cmd_list_usage, &args, 0)) != CLI_PARSED)
		return code;
	if (argc != 0)
		return cli_usage_error("list", _("unexpected argument '%s'"), argv[0]);
	if (args.progress && !args.fy)
		return cli_usage_error("list", _("--progress needs --fy"));
	if (args.status && !(f.status = kk_achievement_from_label(args.status)))
		return cli_usage_error("list",
				       _("'%s' is not a status (open, completed, withdrawn)"),
				       args.status);
	if (args.progress && !(f.progress = kk_progress_from_mark(args.progress)))
		return cli_usage_error("list",
				       _("'%s' is not a progress mark (◎ ○ ▲, ahead, on_track, "
					 "behind)"),
				       args.progress);
	f.owner = args.owner;

	if ((code = cli_load_plan(&plan, &snap, ctx, args.at)) != EXIT_OK)
		goto done;
	if (args.fy && kk_fy_parse(&f.fy, args.fy, plan->settings, &diag) < 0) {
		code = cli_usage_error("list", "%s", diag.message);
		goto done;
	}
	/* A year the plan does not have matches nothing: say so, as log and pending do. */
	if (args.fy && !kk_fy_state(plan->settings, f.fy)) {
		char era[KK_FY_NAME_MAX];

		kk_fy_format(era, sizeof(era), plan->settings, f.fy);
		code = cli_usage_error("list", _("fiscal year %d (%s) is not a year of the plan"),
				       f.fy, era);
		goto done;
	}
	if (f.owner && !kk_plan_department(plan->departments, f.owner)) {
		const char *names[256], *meant;
		size_t n = 0;

		json_array_foreach(json_object_get(plan->departments, "departments"), i, item)
			if (n < sizeof(names) / sizeof(*names) &&
			    json_is_string(json_object_get(item, "name")))
				names[n++] = json_string_value(json_object_get(item, "name"));
		if ((meant = kk_key_nearest(f.owner, names, n)))
			cli_error(_("department '%s' does not exist (did you mean '%s'?)"), f.owner,
				  meant);
		else
			cli_error(_("department '%s' does not exist"), f.owner);
		code = EXIT_USAGE;
		goto done;
	}
	if (!(rows = calloc(json_array_size(plan->items) + 1, sizeof(*rows)))) {
		cli_error("%s", _("out of memory"));
		code = EXIT_FAIL;
		goto done;
	}
	json_array_foreach(plan->items, i, item)
		if (matches(item, &f))
			rows[count++] = item;

	if (args.json) {
		json_t *array = json_array();

		for (i = 0; i < count; i++)
			json_array_append(array, (json_t *)rows[i]);
		json_dumpf(array, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(array);
	} else {
		cli_pager_start();
		print_table(rows, count, &f, plan->settings);
	}
	code = EXIT_OK;
done:
	free(rows);
	kk_plan_free(plan);
	cli_snapshot_clear(&snap);
	return code;
}
