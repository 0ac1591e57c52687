/*
 * year.c - opening and closing fiscal years (year.h): keikaku.json's year
 * states, the empty entries an opened year gives open items, and the close
 * tag's summary.
 */
#include "year.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "plan.h"

/* The years a plan may have: the schema's pattern ^[12][0-9]{3}$. */
#define YEAR_MIN 1000
#define YEAR_MAX 2999

typedef enum { YEAR_OPEN, YEAR_CLOSE } year_action;

void kk_year_change_clear(kk_year_change *c)
{
	if (!c)
		return;
	json_decref(c->settings_patch);
	json_decref(c->items);
	json_decref(c->item_patch);
	free(c->summary);
	memset(c, 0, sizeof(*c));
}

void kk_year_tag_name(char *buf, size_t size, int year)
{
	snprintf(buf, size, "fy%d", year);
}

static int is_state(const char *state, const char *want)
{
	return state && strcmp(state, want) == 0;
}

void kk_year_count(kk_year_counts *out, const json_t *items, int year)
{
	char key[16];
	size_t i;
	json_t *item;

	memset(out, 0, sizeof(*out));
	snprintf(key, sizeof(key), "%d", year);
	json_array_foreach(items, i, item) {
		const json_t *entry = json_object_get(json_object_get(item, "years"), key);
		const char *progress, *achievement;

		if (!json_is_object(entry))
			continue;
		out->items++;
		progress = json_string_value(json_object_get(entry, "progress"));
		achievement = json_string_value(json_object_get(entry, "achievement"));
		out->ahead += is_state(progress, "ahead");
		out->on_track += is_state(progress, "on_track");
		out->behind += is_state(progress, "behind");
		out->completed += is_state(achievement, "completed");
		out->withdrawn += is_state(achievement, "withdrawn");
	}
}

void kk_fy_title(char *buf, size_t size, const json_t *settings, int year)
{
	char era[KK_FY_NAME_MAX];

	kk_fy_format(era, sizeof(era), settings, year);
	snprintf(buf, size, "%s (FY%d)", era, year);
}

/*
 * Checks that `year` may open (or close) in `settings`; returns 0 or the
 * refusal, with its message in `diag`.
 */
static int check_order(const json_t *settings, int year, year_action action, kk_diag *diag)
{
	const json_t *years = json_object_get(settings, "years");
	const char *state = kk_fy_state(settings, year), *key;
	char title[KK_FY_TITLE_MAX], other[KK_FY_TITLE_MAX];
	int last = 0, earlier = 0;
	json_t *v;

	if (year < YEAR_MIN || year > YEAR_MAX)
		return kk_diag_set(diag, KK_EINVALID, _("fiscal year %d is out of range"), year);
	/* The earliest earlier year that is not yet as far along as this one needs. */
	json_object_foreach((json_t *)years, key, v) {
		int y = atoi(key), behind;

		if (y > last)
			last = y;
		behind = action == YEAR_OPEN ? is_state(json_string_value(v), "planned")
					     : !is_state(json_string_value(v), "closed");
		if (y < year && behind && (!earlier || y < earlier))
			earlier = y;
	}
	kk_fy_title(title, sizeof(title), settings, year);
	if (earlier)
		kk_fy_title(other, sizeof(other), settings, earlier);
	if (action == YEAR_OPEN) {
		if (is_state(state, "open"))
			return kk_diag_set(diag, KK_EEXISTS,
					   _("cannot open %s: it is open already"),
					   title);
		if (is_state(state, "closed"))
			return kk_diag_set(
				diag, KK_EEXISTS,
				_("cannot open %s: it is closed, and a closed year does not "
				  "open again"),
				title);
		if (!state && last && year != last + 1)
			return kk_diag_set(diag, KK_ENOTFOUND,
					   _("cannot open %s: it is not a year of the plan, and "
					     "the next year to add is %d"),
					   title, last + 1);
		if (earlier)
			return kk_diag_set(
				diag, KK_EINVALID,
				_("cannot open %s: %s is not open yet"), title, other);
		return 0;
	}
	if (!state)
		return kk_diag_set(diag, KK_ENOTFOUND,
				   _("cannot close %s: it is not a year of the plan"), title);
	if (is_state(state, "closed"))
		return kk_diag_set(diag, KK_EEXISTS,
				   _("cannot close %s: it is closed already"), title);
	if (!is_state(state, "open"))
		return kk_diag_set(diag, KK_EINVALID,
				   _("cannot close %s: it is not open yet"), title);
	if (earlier)
		return kk_diag_set(
			diag, KK_EINVALID,
			_("cannot close %s: %s is not closed yet"), title, other);
	return 0;
}

static int decide(kk_year_change *out, const kk_fileset *files, int year, year_action action,
		  kk_diag *diag)
{
	kk_plan *plan = NULL;
	char key[16], title[KK_FY_TITLE_MAX];
	size_t i;
	json_t *item;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = kk_plan_load(&plan, files, diag)) < 0)
		goto done;
	if ((error = check_order(plan->settings, year, action, diag)) < 0)
		goto done;
	snprintf(key, sizeof(key), "%d", year);
	out->year = year;
	if (!(out->settings_patch = json_pack("{s:{s:s}}", "years", key,
					      action == YEAR_OPEN ? "open" : "closed")) ||
	    !(out->items = json_array()) ||
	    !(out->item_patch = json_pack("{s:{s:{}}}", "years", key)))
		goto nomem;
	kk_year_count(&out->counts, plan->items, year);
	if (action == YEAR_OPEN) {
		/* plan->items is sorted by id, so the ids come out ascending. */
		json_array_foreach(plan->items, i, item) {
			const json_t *years = json_object_get(item, "years");

			if (!is_state(json_string_value(json_object_get(item, "status")), "open") ||
			    json_object_get(years, key))
				continue;
			if (json_array_append(out->items, json_object_get(item, "id")) < 0)
				goto nomem;
		}
	}
	kk_fy_title(title, sizeof(title), plan->settings, year);
	if (asprintf(&out->summary, "%s %s", title, action == YEAR_OPEN ? "を開始" : "を締め切り") <
	    0) {
		out->summary = NULL;
		goto nomem;
	}
	error = 0;
	goto done;
nomem:
	error = kk_diag_set(diag, KK_ENOMEM, "%s", _("out of memory"));
done:
	kk_plan_free(plan);
	if (error < 0)
		kk_year_change_clear(out);
	return error;
}

int kk_year_open(kk_year_change *out, const kk_fileset *files, int year, kk_diag *diag)
{
	return decide(out, files, year, YEAR_OPEN, diag);
}

int kk_year_close(kk_year_change *out, const kk_fileset *files, int year, kk_diag *diag)
{
	return decide(out, files, year, YEAR_CLOSE, diag);
}

char *kk_year_tag_message(const json_t *settings, int year, const kk_year_counts *c)
{
	char title[KK_FY_TITLE_MAX], *text = NULL;

	kk_fy_title(title, sizeof(title), settings, year);
	if (asprintf(&text,
		     "%s を締め切り\n\n"
		     "項目 %zu\n"
		     "進捗度 %s %zu  %s %zu  %s %zu\n"
		     "達成度 %s %zu  %s %zu\n",
		     title, c->items, kk_progress_mark("ahead"), c->ahead,
		     kk_progress_mark("on_track"), c->on_track, kk_progress_mark("behind"),
		     c->behind, kk_achievement_label("completed"), c->completed,
		     kk_achievement_label("withdrawn"), c->withdrawn) < 0)
		return NULL;
	return text;
}

json_t *kk_year_counts_json(int year, const kk_year_counts *c)
{
	char key[16];

	snprintf(key, sizeof(key), "%d", year);
	return json_pack("{s:s, s:I, s:{s:I, s:I, s:I}, s:{s:I, s:I}}", "year", key, "items",
			 (json_int_t)c->items, "progress", "ahead", (json_int_t)c->ahead,
			 "on_track", (json_int_t)c->on_track, "behind", (json_int_t)c->behind,
			 "achievement", "completed", (json_int_t)c->completed, "withdrawn",
			 (json_int_t)c->withdrawn);
}
