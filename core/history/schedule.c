/*
 * schedule.c - planned against revised schedules (schedule.h): each
 * schedule's phase from keikaku.json's ordered phases, the verdict
 * (slipped, advanced, reworded, …) and the change that made a revision.
 */
#include "schedule.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"

int kk_schedule_phase(const json_t *phases, const char *text)
{
	int best = -1;
	size_t i;
	json_t *p;

	if (!text)
		return -1;
	json_array_foreach(phases, i, p)
		if (json_is_string(p) && *json_string_value(p) &&
		    strstr(text, json_string_value(p)))
			best = (int)i;
	return best;
}

const char *kk_schedule_verdict_text(const char *verdict)
{
	static const struct {
		const char *code, *text;
	} words[] = {
		/* TRANSLATORS: docs/cli.md's table of verdicts has the same words. */
		{"unrevised", N_("unrevised")}, {"unplanned", N_("unplanned")},
		{"unchanged", N_("unchanged")}, {"slipped", N_("slipped")},
		{"advanced", N_("advanced")},	{"reworded", N_("reworded")},
		{"changed", N_("changed")},
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (verdict && strcmp(verdict, words[i].code) == 0)
			return _(words[i].text);
	return verdict ? verdict : "?";
}

const char *kk_schedule_verdict(const json_t *phases, const char *planned, const char *revised)
{
	int a, b;

	if (!revised)
		return "unrevised";
	if (!planned)
		return "unplanned";
	if (strcmp(planned, revised) == 0)
		return "unchanged";
	a = kk_schedule_phase(phases, planned);
	b = kk_schedule_phase(phases, revised);
	if (a < 0 || b < 0)
		return "changed";
	return b < a ? "slipped" : b > a ? "advanced" : "reworded";
}

static json_t *phase_name(const json_t *phases, const char *text)
{
	int i = kk_schedule_phase(phases, text);

	return i < 0 ? json_null() : json_incref(json_array_get(phases, (size_t)i));
}

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static int schedule_year(json_t *years, kk_history *h, const json_t *phases, const char *path,
			 const char *year, const json_t *entry, int changed_only, kk_diag *diag)
{
	const char *planned = json_string_value(json_object_get(entry, "planned"));
	const char *revised = json_string_value(json_object_get(entry, "revised"));
	const char *verdict = kk_schedule_verdict(phases, planned, revised);
	json_t *by = NULL, *y;
	char field[32];
	int error;

	if (!planned && !revised)
		return 0;
	if (changed_only && (strcmp(verdict, "unchanged") == 0 || strcmp(verdict, "unrevised") == 0))
		return 0;
	snprintf(field, sizeof(field), "years.%s.revised", year);
	if (revised && (error = kk_history_last_change(&by, h, path, field, diag)) < 0)
		return error;
	y = json_pack("{s:s, s:o, s:o, s:s, s:o, s:o, s:o}", "year", year, "planned",
		      string_or_null(planned), "revised", string_or_null(revised), "verdict",
		      verdict, "planned_phase", phase_name(phases, planned), "revised_phase",
		      phase_name(phases, revised), "revised_by", by ? by : json_null());
	if (!y || json_array_append_new(years, y) < 0)
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	return 0;
}

int kk_schedule_list(json_t **out, kk_history *h, const kk_plan *plan, int year,
		     int changed_only, kk_diag *diag)
{
	const json_t *phases = json_object_get(plan->settings, "phases");
	json_t *items = json_array(), *item, *result;
	char only[16];
	size_t i;
	int error = 0;

	snprintf(only, sizeof(only), "%d", year);
	if (!items)
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	json_array_foreach(plan->items, i, item) {
		char path[KK_ITEM_PATH_MAX];
		const char *key;
		json_t *entry, *years = json_array(), *e;

		if (!years || (!(e = json_pack("{s:O, s:O, s:O, s:O, s:O}", "id",
						json_object_get(item, "id"), "title",
						json_object_get(item, "title"), "owners",
						json_object_get(item, "owners"), "status",
						json_object_get(item, "status"), "years", years)))) {
			json_decref(years);
			error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
			break;
		}
		kk_item_path(path, sizeof(path), json_integer_value(json_object_get(item, "id")));
		json_object_foreach(json_object_get(item, "years"), key, entry) {
			if (year && strcmp(key, only) != 0)
				continue;
			if ((error = schedule_year(years, h, phases, path, key, entry, changed_only,
						   diag)) < 0)
				break;
		}
		if (error == 0 && json_array_size(years) && json_array_append(items, e) < 0)
			error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
		json_decref(years);
		json_decref(e);
		if (error < 0)
			break;
	}
	if (error < 0) {
		json_decref(items);
		return error;
	}
	result = json_pack("{s:O, s:o}", "phases", phases ? phases : json_null(), "items", items);
	if (!result)
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	*out = result;
	return 0;
}
