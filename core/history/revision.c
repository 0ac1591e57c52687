/*
 * revision.c - resolving what a person names as a revision (revision.h):
 * git's names, "@YYYY-MM-DD" (the end of that day) and "fyYYYY" (the
 * year's close tag, else the end of the fiscal year), through the history
 * index so that a day costs no walk of the history.
 */
#include "revision.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "i18n.h"
#include "json.h"
#include "plan.h"

int kk_rev_fiscal_year(const char *text)
{
	if (!text || (text[0] != 'f' && text[0] != 'F') || (text[1] != 'y' && text[1] != 'Y') ||
	    strlen(text) != 6)
		return 0;
	for (int i = 2; i < 6; i++)
		if (!isdigit((unsigned char)text[i]))
			return 0;
	return atoi(text + 2);
}

/* The commit that the history of HEAD had at `when`. */
static int at_time(git_oid *out, kk_store *store, int64_t when, const kk_rev_opts *opts,
		   const char *rev, kk_diag *diag)
{
	kk_history *own = NULL;
	git_oid head;
	int error;

	if (!opts->history) {
		if ((error = kk_store_resolve(&head, store, NULL, diag)) < 0 ||
		    (error = kk_history_open(&own, store, &head, 1, diag)) < 0)
			return error;
	}
	error = kk_history_at_time(out, opts->history ? opts->history : own, when, NULL);
	kk_history_free(own);
	if (error < 0)
		return kk_diag_set(diag, KK_ENOTFOUND, _("no commit at or before '%s'"), rev);
	return 0;
}

/* The last second of fiscal year `year`, by keikaku.json at HEAD. */
static int fiscal_year_end(int64_t *out, kk_store *store, int year, int offset, kk_diag *diag)
{
	char *data = NULL;
	size_t len = 0;
	json_t *settings = NULL;
	int month = 4, day = 1, error;
	git_oid head;

	if ((error = kk_store_resolve(&head, store, NULL, diag)) < 0)
		return error;
	if (kk_store_read(&data, &len, store, &head, KK_PATH_SETTINGS, NULL) == 0 &&
	    kk_json_parse(&settings, data, len, NULL, NULL) == 0) {
		const char *start =
			json_string_value(json_object_get(settings, "fiscal_year_start"));

		if (start && sscanf(start, "%2d-%2d", &month, &day) != 2)
			month = 4, day = 1;
	}
	json_decref(settings);
	free(data);
	*out = kk_time_of_day(year + 1, month, day, offset) - 1;
	return 0;
}

int kk_rev_resolve(git_oid *out, kk_store *store, const char *rev, const kk_rev_opts *opts,
		   kk_diag *diag)
{
	static const kk_rev_opts defaults;
	int year;

	if (!opts)
		opts = &defaults;
	if (rev && rev[0] == '@' && rev[1]) {
		int64_t when;
		int error;

		if ((error = kk_time_parse_date(&when, rev + 1, opts->utc_offset, 1, diag)) < 0)
			return error;
		return at_time(out, store, when, opts, rev, diag);
	}
	if ((year = kk_rev_fiscal_year(rev)) != 0) {
		char tag[32];
		int64_t when;
		int error;

		snprintf(tag, sizeof(tag), "refs/tags/fy%04d", year);
		if (kk_store_resolve(out, store, tag, NULL) == 0)
			return 0;
		if ((error = fiscal_year_end(&when, store, year, opts->utc_offset, diag)) < 0)
			return error;
		return at_time(out, store, when, opts, rev, diag);
	}
	return kk_store_resolve(out, store, rev, diag);
}

int kk_rev_bound(int64_t *time_out, git_oid *commit_out, kk_store *store, const char *rev, int end,
		 const kk_rev_opts *opts, kk_diag *diag)
{
	git_oid commit;
	git_commit *c = NULL;
	int error;

	if (rev && strlen(rev) == 10 && isdigit((unsigned char)rev[0]) && rev[4] == '-') {
		if ((error = kk_time_parse_date(time_out, rev, opts ? opts->utc_offset : 0, end,
						diag)) < 0)
			return error;
		return 0; /* a date: *commit_out is left alone */
	}
	if ((error = kk_rev_resolve(&commit, store, rev, opts, diag)) < 0)
		return error;
	/* The revision names a commit: failing to read it is no "unknown revision". */
	if (git_commit_lookup(&c, kk_store_repository(store), &commit) < 0)
		return kk_diag_git(diag, KK_EIO, _("cannot read commit"));
	*time_out = git_commit_time(c);
	git_commit_free(c);
	if (commit_out)
		*commit_out = commit;
	return 1;
}

int kk_rev_time(int64_t *out, kk_store *store, const char *rev, int end, const kk_rev_opts *opts,
		kk_diag *diag)
{
	int error = kk_rev_bound(out, NULL, store, rev, end, opts, diag);

	return error < 0 ? error : 0;
}
