/*
 * coowners.c - rule 6 for items that several departments own, on the
 * writer thread: an owner department's change to a text (a revised
 * schedule, a result) keeps the lines the item's other owners, or an
 * admin, wrote.  core/plan/rules.c decides, given who wrote each line;
 * that comes from the history index (core/history), read only for such
 * changes.
 */
#include <stdio.h>
#include <string.h>

#include "coowners.h"
#include "history.h"
#include "log.h"
#include "plan.h"
#include "rules.h"

/* The item with the id of change `c` at the writer's head (parsed, shared: read only), or NULL. */
static json_t *head_item(kd_writer *w, const json_t *c)
{
	const json_t *id = json_object_get(c, "item");
	char path[KK_ITEM_PATH_MAX];
	const kk_file *f;

	if (!json_is_integer(id) || kk_item_path(path, sizeof(path), json_integer_value(id)) < 0 ||
	    !(f = kk_fileset_get(&w->files, path)))
		return NULL;
	return kk_doccache_parse(w->docs, f, NULL);
}

int kd_coowners_check(kd_writer *w, kd_call *call, kk_update_result *r)
{
	kk_change_ctx ctx = {&call->who, NULL, NULL, 0};
	kk_history *history = NULL;
	kk_diag diag = {0};
	size_t i;
	json_t *c;
	int added = 0, error = 0;

	if (call->who.admin || (r->verdict != KK_UPDATE_OK && r->verdict != KK_UPDATE_RULES &&
				r->verdict != KK_UPDATE_INVALID))
		return 0;
	json_array_foreach(r->changes, i, c) {
		const char *path = json_string_value(json_object_get(c, "path"));
		json_int_t id = json_integer_value(json_object_get(c, "item"));
		json_t *item, *lines = NULL;
		int n = 0;

		if (!path || !(item = head_item(w, c)))
			continue;
		if (kk_rules_coowner_text(&ctx, item, path)) {
			/* The writer's head, with the batch's commits in memory before this one. */
			if ((history || (error = kk_history_open(&history, w->store, &w->head, 1,
								 &diag)) == 0) &&
			    (error = kk_history_text_authors(&lines, history, id, path, &diag)) ==
				    0)
				n = kk_rules_check_coowner_text(
					r->violations, &ctx, id, path, lines,
					json_string_value(json_object_get(c, "new")));
			if (n == KK_ENOMEM)
				error = kk_diag_set(&diag, KK_ENOMEM, "out of memory");
			added += n > 0;
		}
		json_decref(lines);
		json_decref(item);
		if (error < 0)
			break;
	}
	kk_history_free(history);
	if (error < 0) {
		log_warnx("cannot check item texts against their co-owners' lines: %s",
			  diag.message);
		return kd_call_fail(call, KK_RPC_EINTERNAL, NULL,
				    "cannot read the history of the item's text: %s", diag.message);
	}
	if (added)
		r->verdict =
			kk_rules_forbidden(r->violations) ? KK_UPDATE_FORBIDDEN : KK_UPDATE_RULES;
	return 0;
}
