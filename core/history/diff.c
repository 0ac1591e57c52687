/*
 * diff.c - the semantic difference between two commits of a plan, and
 * inline diffs of long texts.
 *
 * A one-item change in a plan of 10,000 items should cost two parsed
 * files, not 20,000: the items/ subtrees are compared by tree id first,
 * then entry by entry by blob id, and only differing blobs are read.
 */
#include "diff.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "array.h"
#include "i18n.h"
#include "json.h"
#include "patch.h"
#include "plan.h"

#define INLINE_LONG	  40	  /* code points; a longer text gets an inline diff */
#define INLINE_MAX_EDITS  1000	  /* Myers' D past which the diff falls back */
#define INLINE_MAX_LENGTH 50000	  /* code points compared, past common prefix and suffix */
#define ITEMS_TREE	  "items" /* the tree KK_PATH_ITEMS names */

/* --- inline diffs --- */

/* A text as code points, with the byte offset of each (and of the end). */
typedef struct {
	const char *s;
	int32_t *cp;
	size_t *off;
	size_t n;
} text;

static void text_free(text *t)
{
	free(t->cp);
	free(t->off);
}

static int text_decode(text *t, const char *s, size_t len)
{
	size_t n = 0, i;
	utf8proc_int32_t c;

	for (i = 0; i < len; n++) {
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(len - i), &c);

		i += k > 0 ? (size_t)k : 1;
	}
	t->s = s;
	t->n = n;
	t->cp = malloc((n + 1) * sizeof(*t->cp));
	t->off = malloc((n + 1) * sizeof(*t->off));
	if (!t->cp || !t->off)
		return KK_ENOMEM;
	for (i = 0, n = 0; i < len; n++) {
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(len - i), &c);

		/* An invalid byte is a unit of its own, unequal to any code point. */
		t->cp[n] = k > 0 ? c : -1 - (int32_t)(unsigned char)s[i];
		t->off[n] = i;
		i += k > 0 ? (size_t)k : 1;
	}
	t->off[n] = len;
	return 0;
}

int kk_diff_is_long(const json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = 0;

	if (!s)
		return 0;
	for (; *s; s++) {
		if (*s == '\n')
			return 1;
		n += ((unsigned char)*s & 0xC0) != 0x80;
	}
	return n > INLINE_LONG;
}

/*
 * The diff as the runs the two texts have in common: a[r.a, r.a + r.len)
 * equals b[r.b, r.b + r.len).  Between two runs is one change, deleting
 * what lies between them in a and inserting what lies between them in b.
 * The first run starts at (0, 0) and the last ends at (a.n, b.n); either
 * may be empty, no other may.
 */
typedef struct {
	size_t a, b, len;
} run;

typedef struct {
	run *v;
	size_t n, alloc;
} runs;

static int runs_add(runs *r, size_t a, size_t b, size_t len, int anchor)
{
	run *last = r->n ? &r->v[r->n - 1] : NULL;

	if (last && last->a + last->len == a && last->b + last->len == b) {
		last->len += len;
		return 0;
	}
	if (!len && !anchor)
		return 0;
	if (KK_ARRAY_GROW(r->v, r->n + 1, r->alloc) < 0)
		return KK_ENOMEM;
	r->v[r->n++] = (run){a, b, len};
	return 0;
}

/*
 * Myers' O(ND) diff of a[0, n) and b[0, m): appends their common runs,
 * offset by `off` in both texts, to `r`.  Keeps every step's furthest
 * points (about D² of them) to walk the path back.  Fails with KK_ELIMIT
 * past INLINE_MAX_EDITS edits or INLINE_MAX_LENGTH code points.
 */
static int myers(runs *r, const int32_t *a, long n, const int32_t *b, long m, size_t off)
{
	int32_t *trace = NULL;
	run *rev = NULL;
	size_t cap = 0, nrev = 0;
	long d, k, x, y, end = -1;
	int error = 0;

	if (n + m > INLINE_MAX_LENGTH || labs(n - m) > INLINE_MAX_EDITS)
		return KK_ELIMIT;
	if (n == 0 || m == 0)
		return 0; /* nothing in common */
	for (d = 0; d <= INLINE_MAX_EDITS && end < 0; d++) {
		size_t need = (size_t)(d + 1) * (size_t)(d + 1);
		int32_t *cur, *prev;

		if (KK_ARRAY_GROW(trace, need, cap) < 0) {
			error = KK_ENOMEM;
			goto done;
		}
		/* Step d's furthest x on diagonal k (-d..d) is cur[k]. */
		cur = trace + d * d + d;
		prev = d ? trace + (d - 1) * (d - 1) + (d - 1) : NULL;
		for (k = -d; k <= d; k += 2) {
			if (d == 0)
				x = 0;
			else if (k == -d || (k != d && prev[k - 1] < prev[k + 1]))
				x = prev[k + 1]; /* down: an insertion */
			else
				x = prev[k - 1] + 1; /* right: a deletion */
			y = x - k;
			while (x < n && y < m && a[x] == b[y])
				x++, y++;
			cur[k] = (int32_t)x;
			if (x >= n && y >= m) {
				end = d;
				break;
			}
		}
	}
	if (end < 0) {
		error = KK_ELIMIT;
		goto done;
	}
	if (!(rev = malloc((size_t)(end + 1) * sizeof(*rev)))) {
		error = KK_ENOMEM;
		goto done;
	}
	/* Back from (n, m): each step is an edit, then the snake that followed it. */
	for (x = n, y = m, d = end; d > 0; d--) {
		int32_t *prev = trace + (d - 1) * (d - 1) + (d - 1);
		long px, py, mx, my;

		k = x - y;
		if (k == -d || (k != d && prev[k - 1] < prev[k + 1])) {
			px = prev[k + 1];
			py = px - (k + 1);
			mx = px;
			my = py + 1;
		} else {
			px = prev[k - 1];
			py = px - (k - 1);
			mx = px + 1;
			my = py;
		}
		if (x > mx)
			rev[nrev++] = (run){(size_t)mx, (size_t)my, (size_t)(x - mx)};
		x = px;
		y = py;
	}
	if (x > 0)
		rev[nrev++] = (run){0, 0, (size_t)x};
	while (nrev-- > 0)
		if ((error = runs_add(r, rev[nrev].a + off, rev[nrev].b + off, rev[nrev].len, 0)) <
		    0)
			goto done;
done:
	free(rev);
	free(trace);
	return error;
}

static size_t del_len(const runs *r, size_t i)
{
	return r->v[i].a - (r->v[i - 1].a + r->v[i - 1].len);
}

static size_t ins_len(const runs *r, size_t i)
{
	return r->v[i].b - (r->v[i - 1].b + r->v[i - 1].len);
}

static size_t max_size(size_t x, size_t y)
{
	return x > y ? x : y;
}

static void runs_remove(runs *r, size_t i)
{
	memmove(&r->v[i], &r->v[i + 1], (r->n - i - 1) * sizeof(*r->v));
	r->n--;
}

/*
 * A short run between two edits is noise ("[-の-]{+を+}の[-調-]{+購+}"): an
 * equal run no longer than the larger side of the change before it and of
 * the change after it joins them, as diff-match-patch's semantic cleanup
 * does, until no such run is left.
 */
static void merge_short_runs(runs *r)
{
	int again = 1;

	while (again) {
		again = 0;
		for (size_t i = 1; i + 1 < r->n; i++) {
			if (r->v[i].len <= max_size(del_len(r, i), ins_len(r, i)) &&
			    r->v[i].len <= max_size(del_len(r, i + 1), ins_len(r, i + 1))) {
				runs_remove(r, i--);
				again = 1;
			}
		}
	}
}

/* How well a change fits starting or ending before code point `pos` of `t`. */
static int boundary_score(const text *t, size_t pos)
{
	int32_t before, after;

	if (pos == 0 || pos == t->n)
		return 6;
	before = t->cp[pos - 1];
	after = t->cp[pos];
	if (before == '\n')
		return 5;
	if (after == '\n')
		return 4;
	if (before == 0x3002 || before == 0xFF0E || before == 0xFF01 || before == 0xFF1F ||
	    before == '.' || before == '!' || before == '?' || after == 0x30FB || after == 0x3010)
		return 3; /* after 。．！？, or before a ・ bullet or a 【heading】 */
	if (before == 0x3001 || before == 0xFF0C || before == ',' || before == ' ' ||
	    before == 0x3000 || after == ' ' || after == 0x3000)
		return 2;
	if (before == 0xFF09 || before == 0x300D || before == 0x3011 || before == 0x300F ||
	    before == ')' || after == 0xFF08 || after == 0x300C || after == 0x300E || after == '(')
		return 1;
	return 0;
}

/*
 * An insertion or deletion alone between two runs can often slide: "x{+ab+}ab"
 * is "xab{+ab+}".  Each moves to where it best fits the text's boundaries,
 * so that an added line reads as a line ("。\n{+・…。\n+}・" rather than
 * "。\n・{+…。\n・+}").  Runs left empty are removed.
 */
static void slide_edits(runs *r, const text *a, const text *b)
{
	for (size_t i = 1; i < r->n; i++) {
		run *p = &r->v[i - 1], *q = &r->v[i];
		size_t dl = del_len(r, i), il = ins_len(r, i), s, e, left = 0, right = 0, best = 0;
		const text *t;
		int best_score = -1;
		long shift;

		if ((dl == 0) == (il == 0))
			continue;
		t = dl ? a : b;
		s = dl ? p->a + p->len : p->b + p->len;
		e = dl ? q->a : q->b;
		while (left < p->len && t->cp[s - 1 - left] == t->cp[e - 1 - left])
			left++;
		s -= left;
		e -= left;
		while (right < q->len + left && t->cp[s + right] == t->cp[e + right])
			right++;
		for (size_t j = 0; j <= right; j++) {
			int score = boundary_score(t, s + j) + boundary_score(t, e + j);

			if (score >= best_score) {
				best_score = score;
				best = j;
			}
		}
		shift = (long)best - (long)left;
		p->len = (size_t)((long)p->len + shift);
		q->a = (size_t)((long)q->a + shift);
		q->b = (size_t)((long)q->b + shift);
		q->len = (size_t)((long)q->len - shift);
	}
	for (size_t i = 1; i + 1 < r->n; i++)
		if (r->v[i].len == 0)
			runs_remove(r, i--);
}

static int is_word_char(int32_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A) ||
	       (c >= 0xFF41 && c <= 0xFF5A);
}

/*
 * Japanese is diffed by characters, but a number or a Latin word reads as
 * one: "[-17-]{+20+}0台" becomes "[-170-]{+200+}台".  A change that starts or
 * ends inside such a word grows to its ends.
 */
static void whole_words(runs *r, const text *a, const text *b)
{
	for (size_t i = 1; i < r->n; i++) {
		run *p = &r->v[i - 1], *q = &r->v[i];

		for (;;) {
			size_t ds = p->a + p->len, is = p->b + p->len;
			int into = (ds < q->a && is_word_char(a->cp[ds])) ||
				   (is < q->b && is_word_char(b->cp[is]));

			if (!p->len || !into || !is_word_char(a->cp[p->a + p->len - 1]))
				break;
			p->len--;
		}
		for (;;) {
			size_t de = q->a, ie = q->b, ds = p->a + p->len, is = p->b + p->len;
			int into = (de > ds && is_word_char(a->cp[de - 1])) ||
				   (ie > is && is_word_char(b->cp[ie - 1]));

			if (!q->len || !into || !is_word_char(a->cp[q->a]))
				break;
			q->a++;
			q->b++;
			q->len--;
		}
	}
	for (size_t i = 1; i + 1 < r->n; i++)
		if (r->v[i].len == 0)
			runs_remove(r, i--);
}

static int add_segment(json_t *segments, const char *op, const text *t, size_t from, size_t to)
{
	json_t *seg;

	if (from == to)
		return 0;
	seg = json_pack("{s:s, s:s%}", "op", op, "text", t->s + t->off[from],
			t->off[to] - t->off[from]);
	return !seg || json_array_append_new(segments, seg) < 0 ? KK_ENOMEM : 0;
}

/* The inline diff of `old` and `new` as segments, in *out. */
static int inline_diff(json_t **out, const json_t *old, const json_t *new)
{
	text a = {0}, b = {0};
	runs r = {0};
	json_t *segments = NULL;
	size_t pre = 0, suf = 0;
	int error;

	if ((error = text_decode(&a, json_string_value(old), json_string_length(old))) < 0 ||
	    (error = text_decode(&b, json_string_value(new), json_string_length(new))) < 0)
		goto done;
	while (pre < a.n && pre < b.n && a.cp[pre] == b.cp[pre])
		pre++;
	while (suf < a.n - pre && suf < b.n - pre && a.cp[a.n - 1 - suf] == b.cp[b.n - 1 - suf])
		suf++;
	if ((error = runs_add(&r, 0, 0, pre, 1)) < 0)
		goto done;
	error = myers(&r, a.cp + pre, (long)(a.n - pre - suf), b.cp + pre, (long)(b.n - pre - suf),
		      pre);
	if (error == KK_ELIMIT)
		error = 0; /* too costly: one deletion and one insertion between prefix and suffix
			    */
	if (error < 0)
		goto done;
	if ((error = runs_add(&r, a.n - suf, b.n - suf, suf, 1)) < 0)
		goto done;
	merge_short_runs(&r);
	slide_edits(&r, &a, &b);
	whole_words(&r, &a, &b);
	merge_short_runs(&r);

	if (!(segments = json_array())) {
		error = KK_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < r.n; i++) {
		if (i > 0 && ((error = add_segment(segments, "-", &a, r.v[i - 1].a + r.v[i - 1].len,
						   r.v[i].a)) < 0 ||
			      (error = add_segment(segments, "+", &b, r.v[i - 1].b + r.v[i - 1].len,
						   r.v[i].b)) < 0))
			goto done;
		if ((error = add_segment(segments, "=", &a, r.v[i].a, r.v[i].a + r.v[i].len)) < 0)
			goto done;
	}
	*out = segments;
	segments = NULL;
	error = 0;
done:
	json_decref(segments);
	free(r.v);
	text_free(&a);
	text_free(&b);
	return error;
}

int kk_diff_inline(json_t *changes)
{
	size_t i;
	json_t *change;

	json_array_foreach(changes, i, change) {
		const json_t *old = json_object_get(change, "old");
		const json_t *new = json_object_get(change, "new");
		json_t *segments = NULL;
		int error;

		if (!json_is_string(old) || !json_is_string(new) ||
		    (!kk_diff_is_long(old) && !kk_diff_is_long(new)))
			continue;
		if ((error = inline_diff(&segments, old, new)) < 0)
			return error;
		if (json_object_set_new(change, "inline", segments) < 0)
			return KK_ENOMEM;
	}
	return 0;
}

/* --- the difference between two commits --- */

typedef struct {
	git_repository *repo;
	char year[24]; /* "years.2021" under a year filter, else "" */
	kk_diag *diag;
	kk_budget *budget; /* checked before each item: NULL, or its time */
} differ;

static int commit_tree(git_tree **out, git_repository *repo, const git_oid *id, kk_diag *diag)
{
	git_commit *commit = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int error = git_commit_lookup(&commit, repo, id);

	if (error == GIT_ENOTFOUND) {
		git_oid_tostr(hex, sizeof(hex), id);
		return kk_diag_set(diag, KK_ENOTFOUND, _("commit %s does not exist"), hex);
	}
	if (error < 0)
		return kk_diag_git(diag, KK_EIO, _("cannot read commit"));
	error = git_commit_tree(out, commit) < 0 ? kk_diag_git(diag, KK_EIO, _("cannot read tree"))
						 : 0;
	git_commit_free(commit);
	return error;
}

/* The subtree `name` of `tree`, or NULL when there is no such tree. */
static int subtree(git_tree **out, git_repository *repo, const git_tree *tree, const char *name,
		   kk_diag *diag)
{
	const git_tree_entry *entry = tree ? git_tree_entry_byname(tree, name) : NULL;

	*out = NULL;
	if (!entry || git_tree_entry_type(entry) != GIT_OBJECT_TREE)
		return 0;
	if (git_tree_lookup(out, repo, git_tree_entry_id(entry)) < 0)
		return kk_diag_git(diag, KK_EIO, _("cannot read tree"));
	return 0;
}

/* The blob id of file `name` in `tree`, or NULL when it has none. */
static const git_oid *blob_id(const git_tree *tree, const char *name)
{
	const git_tree_entry *entry = tree ? git_tree_entry_byname(tree, name) : NULL;

	return entry && git_tree_entry_type(entry) == GIT_OBJECT_BLOB ? git_tree_entry_id(entry)
								      : NULL;
}

/* Reads and parses blob `id` (NULL: no file, *out = NULL), which must hold an object. */
static int load(json_t **out, differ *d, const git_oid *id, const char *path)
{
	git_blob *blob = NULL;
	json_t *doc = NULL;
	int error = 0;

	if (!id)
		goto done;
	if (git_blob_lookup(&blob, d->repo, id) < 0) {
		error = kk_diag_git(d->diag, KK_EIO, path);
		goto done;
	}
	error = kk_json_parse(&doc, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), NULL,
			      d->diag);
	if (error < 0) {
		kk_diag_set_path(d->diag, path);
		if (error == KK_ELIMIT && d->diag)
			d->diag->code = KK_EINVALID;
		if (error == KK_ELIMIT)
			error = KK_EINVALID;
		goto done;
	}
	if (!json_is_object(doc)) {
		kk_diag_set_path(d->diag, path);
		error = kk_diag_set(d->diag, KK_EINVALID, _("'%s' does not hold a JSON object"),
				    path);
		goto done;
	}
done:
	if (error == 0) {
		*out = doc;
		doc = NULL;
	}
	json_decref(doc);
	git_blob_free(blob);
	return error;
}

static int in_year(const differ *d, const char *path)
{
	size_t n = strlen(d->year);

	return !n || (path && strncmp(path, d->year, n) == 0 && (!path[n] || path[n] == '.'));
}

/* The changes from `old` to `new` (either may be NULL) under the year filter, in *out. */
static int field_changes(json_t **out, differ *d, const json_t *old, const json_t *new)
{
	json_t *changes = json_array();
	int error = KK_ENOMEM;

	if (!changes || kk_diff_fields(changes, old, new, NULL) < 0)
		goto done;
	for (size_t i = json_array_size(changes); i-- > 0;)
		if (!in_year(d, json_string_value(
					json_object_get(json_array_get(changes, i), "path"))) &&
		    json_array_remove(changes, i) < 0)
			goto done;
	if (kk_diff_inline(changes) < 0)
		goto done;
	*out = changes;
	changes = NULL;
	error = 0;
done:
	json_decref(changes);
	if (error < 0)
		kk_diag_set(d->diag, error, _("out of memory"));
	return error;
}

static int append(json_t *array, json_t *entry, kk_diag *diag)
{
	if (!entry || json_array_append_new(array, entry) < 0)
		return kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	return 0;
}

/*
 * {"id", "title" (when it has one), "change", `key`: value}.  Not with
 * json_pack()'s "s*", which leaves out a title it has no memory for.
 */
static json_t *item_entry(json_int_t id, const char *title, const char *change, const char *key,
			  json_t *value)
{
	if (!title)
		return json_pack("{s:I, s:s, s:O}", "id", id, "change", change, key, value);
	return json_pack("{s:I, s:s, s:s, s:O}", "id", id, "title", title, "change", change, key,
			 value);
}

/* Adds item `id`'s entry to `items`, from blob `old_id` to blob `new_id` (either NULL). */
static int diff_item(json_t *items, differ *d, json_int_t id, const char *path,
		     const git_oid *old_id, const git_oid *new_id)
{
	json_t *old = NULL, *new = NULL, *changes = NULL;
	const char *title;
	int error;

	if ((error = kk_budget_check(d->budget, d->diag)) < 0)
		return error;
	if ((error = load(&old, d, old_id, path)) < 0 || (error = load(&new, d, new_id, path)) < 0)
		goto done;
	if (!(title = json_string_value(json_object_get(new, "title"))))
		title = json_string_value(json_object_get(old, "title"));
	if (old && new) {
		if ((error = field_changes(&changes, d, old, new)) < 0 ||
		    json_array_size(changes) == 0)
			goto done;
		error = append(items, item_entry(id, title, "changed", "changes", changes),
			       d->diag);
	} else {
		json_t *item = new ? new : old;

		if (d->year[0] && !json_object_get(json_object_get(item, "years"), d->year + 6))
			goto done;
		error = append(items,
			       item_entry(id, title, new ? "added" : "removed", "item", item),
			       d->diag);
	}
done:
	json_decref(changes);
	json_decref(old);
	json_decref(new);
	return error;
}

/* Tells whether `name` in items/ is an item's file, and which. */
static int item_name(json_int_t *id, char *path, size_t size, const git_tree_entry *entry)
{
	int n = snprintf(path, size, KK_PATH_ITEMS "%s", git_tree_entry_name(entry));

	return git_tree_entry_type(entry) == GIT_OBJECT_BLOB && n > 0 && (size_t)n < size &&
	       kk_item_path_parse(id, path);
}

static int diff_items(json_t *items, differ *d, const git_tree *old, const git_tree *new)
{
	char path[KK_ITEM_PATH_MAX];
	json_int_t id;
	int error;

	if (old && new &&git_oid_equal(git_tree_id(old), git_tree_id(new)))
		return 0;
	for (size_t i = 0, n = old ? git_tree_entrycount(old) : 0; i < n; i++) {
		const git_tree_entry *entry = git_tree_entry_byindex(old, i);
		const git_oid *new_id;

		if (!item_name(&id, path, sizeof(path), entry))
			continue;
		new_id = blob_id(new, git_tree_entry_name(entry));
		if (new_id && git_oid_equal(new_id, git_tree_entry_id(entry)))
			continue;
		if ((error = diff_item(items, d, id, path, git_tree_entry_id(entry), new_id)) < 0)
			return error;
	}
	for (size_t i = 0, n = new ? git_tree_entrycount(new) : 0; i < n; i++) {
		const git_tree_entry *entry = git_tree_entry_byindex(new, i);

		if (!item_name(&id, path, sizeof(path), entry) ||
		    blob_id(old, git_tree_entry_name(entry)))
			continue;
		if ((error = diff_item(items, d, id, path, NULL, git_tree_entry_id(entry))) < 0)
			return error;
	}
	return 0;
}

static int diff_one_item(json_t *items, differ *d, const git_tree *old, const git_tree *new,
			 json_int_t id)
{
	char path[KK_ITEM_PATH_MAX];
	const char *name = path + strlen(KK_PATH_ITEMS);
	const git_oid *old_id, *new_id;

	if (kk_item_path(path, sizeof(path), id) < 0)
		return 0; /* no such item can exist */
	old_id = blob_id(old, name);
	new_id = blob_id(new, name);
	if ((!old_id && !new_id) || (old_id && new_id && git_oid_equal(old_id, new_id)))
		return 0;
	return diff_item(items, d, id, path, old_id, new_id);
}

static int compare_ids(const void *x, const void *y)
{
	json_int_t a = json_integer_value(json_object_get(*(json_t *const *)x, "id"));
	json_int_t b = json_integer_value(json_object_get(*(json_t *const *)y, "id"));

	return (a > b) - (a < b);
}

/*
 * `entries` sorted by id, in *out.  Tree order is file-name order, which
 * puts items/10000.json before items/1001.json, and added items come last.
 */
static int sort_by_id(json_t **out, const json_t *entries, kk_diag *diag)
{
	size_t n = json_array_size(entries);
	json_t **v = malloc((n ? n : 1) * sizeof(*v)), *sorted = json_array();
	int error = 0;

	for (size_t i = 0; v && i < n; i++)
		v[i] = json_array_get(entries, i);
	if (v)
		qsort(v, n, sizeof(*v), compare_ids);
	for (size_t i = 0; v && sorted && i < n && !error; i++)
		error = json_array_append(sorted, v[i]);
	if (!v || !sorted || error) {
		json_decref(sorted);
		error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
	} else {
		*out = sorted;
	}
	free(v);
	return error;
}

/* plan.json's record arrays, outermost first; records are keyed by "number". */
static const char *const plan_levels[] = {"pillars", "sections", "measures", NULL};
static const char *const department_levels[] = {"departments", NULL};

/*
 * A copy of `doc` in which the array member levels[0] is an object of its
 * records by `key` (and so on down levels), in *out; the array stays as it
 * is when a record is not an object or its key is missing or repeats.
 */
static int keyed(json_t **out, const json_t *doc, const char *const *levels, const char *key)
{
	json_t *copy = kk_json_copy(doc), *array = json_object_get(doc, levels[0]);
	json_t *map = NULL, *record;
	size_t i;
	int error = KK_ENOMEM;

	if (!copy)
		goto done;
	if (!json_is_array(array)) {
		error = 0;
		goto done;
	}
	if (!(map = json_object()))
		goto done;
	json_array_foreach(array, i, record) {
		const json_t *v = json_object_get(record, key);
		json_t *child = NULL;
		char number[32];
		const char *name = json_string_value(v);

		if (json_is_integer(v)) {
			snprintf(number, sizeof(number), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(v));
			name = number;
		}
		if (!json_is_object(record) || !name || json_object_get(map, name)) {
			error = 0; /* compared whole */
			goto done;
		}
		if (levels[1] ? keyed(&child, record, levels + 1, key) < 0
			      : !(child = json_incref(record)))
			goto done;
		if (json_object_set_new(map, name, child) < 0)
			goto done;
	}
	if (json_object_set(copy, levels[0], map) < 0)
		goto done;
	error = 0;
done:
	json_decref(map);
	if (error == 0) {
		*out = copy;
		copy = NULL;
	}
	json_decref(copy);
	return error;
}

/* The form a plan-wide file is compared in (NULL stays NULL). */
static int file_view(json_t **out, const json_t *doc, const char *path, kk_diag *diag)
{
	int error = 0;

	if (!doc)
		*out = NULL;
	else if (strcmp(path, KK_PATH_DEPARTMENTS) == 0)
		error = keyed(out, doc, department_levels, "name");
	else if (strcmp(path, KK_PATH_STRUCTURE) == 0)
		error = keyed(out, doc, plan_levels, "number");
	else
		*out = json_incref((json_t *)doc);
	return error < 0 ? kk_diag_set(diag, error, _("out of memory")) : 0;
}

static int diff_file(json_t *files, differ *d, const git_tree *old_root, const git_tree *new_root,
		     const char *path)
{
	const git_oid *old_id = blob_id(old_root, path), *new_id = blob_id(new_root, path);
	json_t *old = NULL, *new = NULL, *old_view = NULL, *new_view = NULL, *changes = NULL;
	const char *change = !old_id ? "added" : !new_id ? "removed" : "changed";
	int error;

	if ((!old_id && !new_id) || (old_id && new_id && git_oid_equal(old_id, new_id)))
		return 0;
	if ((error = load(&old, d, old_id, path)) < 0 ||
	    (error = load(&new, d, new_id, path)) < 0 ||
	    (error = file_view(&old_view, old, path, d->diag)) < 0 ||
	    (error = file_view(&new_view, new, path, d->diag)) < 0 ||
	    (error = field_changes(&changes, d, old_view, new_view)) < 0 ||
	    json_array_size(changes) == 0)
		goto done;
	error = append(
		files,
		json_pack("{s:s, s:s, s:O}", "path", path, "change", change, "changes", changes),
		d->diag);
done:
	json_decref(changes);
	json_decref(old_view);
	json_decref(new_view);
	json_decref(old);
	json_decref(new);
	return error;
}

int kk_diff_commits(json_t **out, kk_store *store, const git_oid *from, const git_oid *to,
		    const kk_diff_filter *filter, kk_diag *diag)
{
	static const char *const plan_files[] = {KK_PATH_SETTINGS, KK_PATH_DEPARTMENTS,
						 KK_PATH_STRUCTURE};
	differ d = {kk_store_repository(store), "", diag, filter ? filter->budget : NULL};
	git_tree *old_root = NULL, *new_root = NULL, *old_items = NULL, *new_items = NULL;
	json_t *items = NULL, *sorted = NULL, *files = NULL, *result;
	char from_hex[GIT_OID_HEXSZ + 1], to_hex[GIT_OID_HEXSZ + 1];
	int error;

	if (filter && filter->year)
		snprintf(d.year, sizeof(d.year), "years.%d", filter->year);
	if ((from && (error = commit_tree(&old_root, d.repo, from, diag)) < 0) ||
	    (error = commit_tree(&new_root, d.repo, to, diag)) < 0 ||
	    (error = subtree(&old_items, d.repo, old_root, ITEMS_TREE, diag)) < 0 ||
	    (error = subtree(&new_items, d.repo, new_root, ITEMS_TREE, diag)) < 0)
		goto done;
	if (!(items = json_array()) || !(files = json_array())) {
		error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
		goto done;
	}
	if (filter && filter->item)
		error = diff_one_item(items, &d, old_items, new_items, filter->item);
	else
		error = diff_items(items, &d, old_items, new_items);
	if (error < 0 || (error = sort_by_id(&sorted, items, diag)) < 0)
		goto done;
	for (size_t i = 0;
	     !(filter && filter->item) && i < sizeof(plan_files) / sizeof(*plan_files); i++)
		if ((error = diff_file(files, &d, old_root, new_root, plan_files[i])) < 0)
			goto done;

	if (from)
		git_oid_tostr(from_hex, sizeof(from_hex), from);
	git_oid_tostr(to_hex, sizeof(to_hex), to);
	if (!(result = json_pack("{s:s?, s:s, s:O, s:O}", "from", from ? from_hex : NULL, "to",
				 to_hex, "items", sorted, "files", files))) {
		error = kk_diag_set(diag, KK_ENOMEM, _("out of memory"));
		goto done;
	}
	*out = result;
	error = 0;
done:
	json_decref(items);
	json_decref(sorted);
	json_decref(files);
	git_tree_free(old_items);
	git_tree_free(new_items);
	git_tree_free(old_root);
	git_tree_free(new_root);
	return error;
}
