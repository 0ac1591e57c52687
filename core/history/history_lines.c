/*
 * history_lines.c - who wrote each line of an item's text (history.h,
 * kk_history_text_authors()): the field's versions on the chain, oldest
 * first, each compared with the one before it line by line, so that a line
 * keeps its author until someone changes it.  keikakud checks a co-owner's
 * update of a text against it (docs/data-model.md, "Co-owned texts").
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "history_index.h"
#include "i18n.h"
#include "json.h"
#include "plan.h"
#include "update.h"

/*
 * Past this many cells (the lines of the old text times those of the new,
 * between what both begin and end with), lines are matched in order, each
 * with the first equal one left, rather than by the longest common
 * subsequence: a text is at most 20,000 characters, and no real edit
 * changes a thousand lines by a thousand.
 */
#define LCS_CELLS_MAX ((size_t)1 << 20)

/* One line of a version of the text: it points into the version's string. */
typedef struct {
	const char *text;
	size_t len;
	const char *author; /* a department (in `names`), or NULL for an admin */
} text_line;

/* A version of the text and who wrote each of its lines. */
typedef struct {
	json_t *value; /* the string the lines point into; NULL when the field is absent */
	text_line *lines;
	size_t count, alloc;
} text_version;

static void version_clear(text_version *v)
{
	json_decref(v->value);
	free(v->lines);
	memset(v, 0, sizeof(*v));
}

/* Splits `value` (a JSON string, or NULL for none) at "\n" into v->lines, authors unset. */
static int split_lines(text_version *v, json_t *value)
{
	const char *s = json_string_value(value), *end, *nl;

	v->value = json_incref(value);
	if (!s)
		return 0;
	end = s + json_string_length(value);
	for (;;) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (KK_ARRAY_GROW(v->lines, v->count + 1, v->alloc) < 0)
			return KK_ENOMEM;
		v->lines[v->count++] = (text_line){s, (size_t)((nl ? nl : end) - s), NULL};
		if (!nl)
			return 0;
		s = nl + 1;
	}
}

static int same_line(const text_line *a, const text_line *b)
{
	return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/*
 * Gives the lines of `next` the authors of the lines of `prev` they match,
 * in a longest common subsequence of the two (lines[lo..]: between what
 * both begin and end with).  The others keep the author they have.
 */
static int match_middle(text_version *next, const text_version *prev, size_t lo, size_t n, size_t m)
{
	const text_line *a = prev->lines + lo;
	text_line *b = next->lines + lo;
	uint32_t *lcs;
	size_t i, j, w = m + 1;

	if (n == 0 || m == 0)
		return 0;
	if (n > LCS_CELLS_MAX / m) {
		for (i = 0, j = 0; i < n && j < m; i++) {
			size_t k = j;

			while (k < m && !same_line(&a[i], &b[k]))
				k++;
			if (k < m) {
				b[k].author = a[i].author;
				j = k + 1;
			}
		}
		return 0;
	}
	/* lcs[i * w + j]: the length of a longest common subsequence of a[i..] and b[j..]. */
	if (!(lcs = calloc((n + 1) * w, sizeof(*lcs))))
		return KK_ENOMEM;
	for (i = n; i-- > 0;)
		for (j = m; j-- > 0;)
			lcs[i * w + j] = same_line(&a[i], &b[j])
						 ? lcs[(i + 1) * w + j + 1] + 1
						 : (lcs[(i + 1) * w + j] > lcs[i * w + j + 1]
							    ? lcs[(i + 1) * w + j]
							    : lcs[i * w + j + 1]);
	for (i = 0, j = 0; i < n && j < m;) {
		if (same_line(&a[i], &b[j])) {
			b[j++].author = a[i++].author;
		} else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
			i++;
		} else {
			j++;
		}
	}
	free(lcs);
	return 0;
}

/*
 * Who wrote each line of `next`, a later version of the text than `prev`:
 * the author of the line it matches in `prev`, else `author`.
 */
static int attribute(text_version *next, const text_version *prev, const char *author)
{
	size_t lo = 0, n = prev->count, m = next->count;

	for (size_t k = 0; k < m; k++)
		next->lines[k].author = author;
	while (lo < n && lo < m && same_line(&prev->lines[lo], &next->lines[lo])) {
		next->lines[lo].author = prev->lines[lo].author;
		lo++;
	}
	while (n > lo && m > lo && same_line(&prev->lines[n - 1], &next->lines[m - 1])) {
		next->lines[m - 1].author = prev->lines[n - 1].author;
		n--;
		m--;
	}
	return match_middle(next, prev, lo, n - lo, m - lo);
}

/*
 * Who made change `c` to item `item` (its new version): the department of
 * the commit's Department trailer when it owns the item, or NULL, an admin,
 * for a commit without one (the import, a commit made with plain git), a
 * correction, or one made for a department that does not own the item
 * (an admin acts for their own).  *out points into `names`, which keeps it.
 */
static int change_author(const char **out, kk_history *h, uint32_t c, const json_t *item,
			 json_t *names, kk_diag *diag)
{
	git_commit *commit = NULL;
	const char *message;
	char dept[256], corr[16];
	json_t *name;

	*out = NULL;
	if (git_commit_lookup(&commit, h->repo, &h->commits[h->changes[c].commit].oid) < 0)
		return kk_diag_git(diag, KK_EIO, _("cannot read the history"));
	message = git_commit_message(commit);
	if (kk_commit_trailer(dept, sizeof(dept), message, "Department") &&
	    !(kk_commit_trailer(corr, sizeof(corr), message, "Keikaku-Correction") &&
	      strcmp(corr, "yes") == 0) &&
	    kk_item_owned_by(item, dept)) {
		if (!(name = json_string(dept)) || json_array_append_new(names, name) < 0) {
			git_commit_free(commit);
			return kk_diag_set(diag, KK_ENOMEM, "%s", _("out of memory"));
		}
		*out = json_string_value(name);
	}
	git_commit_free(commit);
	return 0;
}

/* Follows a dotted `field` ("years.2021.result") into `doc`; NULL when absent. */
static json_t *field_value(json_t *doc, const char *field)
{
	const char *dot;

	while (doc && (dot = strchr(field, '.'))) {
		char key[64];

		if ((size_t)(dot - field) >= sizeof(key))
			return NULL;
		memcpy(key, field, (size_t)(dot - field));
		key[dot - field] = '\0';
		doc = json_object_get(doc, key);
		field = dot + 1;
	}
	return doc ? json_object_get(doc, field) : NULL;
}

static int lines_json(json_t **out, const text_version *v)
{
	json_t *lines = json_array(), *line;

	if (!lines)
		return KK_ENOMEM;
	for (size_t i = 0; i < v->count; i++) {
		const text_line *l = &v->lines[i];

		line = json_pack("{s:s%, s:s?}", "text", l->text, l->len, "department", l->author);
		if (!line || json_array_append_new(lines, line) < 0) {
			json_decref(lines);
			return KK_ENOMEM;
		}
	}
	*out = lines;
	return 0;
}

int kk_history_text_authors(json_t **out, kk_history *h, json_int_t id, const char *field,
			    kk_diag *diag)
{
	char path[KK_ITEM_PATH_MAX];
	uint32_t p, *chain = NULL;
	size_t n = 0, alloc = 0;
	text_version cur = {0}, next = {0};
	json_t *names = json_array(), *doc = NULL;
	int error = 0;

	if (!names) {
		error = KK_ENOMEM;
		goto done;
	}
	if (kk_item_path(path, sizeof(path), id) < 0) {
		error = kk_diag_set(diag, KK_ENOTFOUND, _("no item %lld in the plan"),
				    (long long)id);
		goto done;
	}
	/* The item's changes come newest first; the text is followed from its first version. */
	p = kk_hist_find_path(h, path);
	for (uint32_t c = kk_hist_last(h, p); c != KK_HIST_NONE; c = h->changes[c].prev) {
		if ((error = KK_ARRAY_GROW(chain, n + 1, alloc)) < 0)
			goto done;
		chain[n++] = c;
	}
	while (n-- > 0) {
		json_t *value;
		const char *author;

		if ((error = kk_hist_version(&doc, h, chain[n], diag)) < 0)
			goto done;
		value = field_value(doc, field);
		if (!json_is_string(value))
			value = NULL;
		if (!(value && cur.value ? json_equal(value, cur.value) : value == cur.value)) {
			if ((error = change_author(&author, h, chain[n], doc, names, diag)) < 0 ||
			    (error = split_lines(&next, value)) < 0 ||
			    (error = attribute(&next, &cur, author)) < 0)
				goto done;
			version_clear(&cur);
			cur = next;
			memset(&next, 0, sizeof(next));
		}
		json_decref(doc);
		doc = NULL;
	}
	error = lines_json(out, &cur);
done:
	if (error == KK_ENOMEM)
		kk_diag_set(diag, KK_ENOMEM, "%s", _("out of memory"));
	json_decref(doc);
	version_clear(&cur);
	version_clear(&next);
	json_decref(names);
	free(chain);
	return error;
}
