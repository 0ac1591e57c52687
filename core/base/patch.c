/*
 * patch.c - JSON Merge Patch (RFC 7396) and the field-by-field changes
 * between two documents (patch.h): applying, diffing, and finding the
 * fields two patches both touch.
 */
#include "patch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "json.h"

/*
 * Jansson's object iteration takes a mutable object even to read it; these
 * functions only read through the cast.
 */
#define MUT(v) ((json_t *)(v))

/*
 * Merges object `patch` into object `target`, a copy of its own that may
 * share its members with the document it was copied from: a member object
 * the patch goes into is copied (shallowly) first (RFC 7396 section 2).
 */
static int merge_into(json_t *target, const json_t *patch)
{
	const char *key;
	json_t *value;

	json_object_foreach(MUT(patch), key, value) {
		json_t *member = json_object_get(target, key), *copy;
		int error;

		if (json_is_null(value)) {
			json_object_del(target, key);
		} else if (!json_is_object(value)) {
			if (json_object_set_new(target, key, json_deep_copy(value)) < 0)
				return KK_ENOMEM;
		} else {
			/* A member that is not an object is replaced by one, then merged into. */
			copy = json_is_object(member) ? kk_json_copy(member) : json_object();
			if (json_object_set_new(target, key, copy) < 0)
				return KK_ENOMEM;
			if ((error = merge_into(copy, value)) < 0)
				return error;
		}
	}
	return 0;
}

int kk_patch_apply(json_t **out, const json_t *target, const json_t *patch, kk_diag *diag)
{
	json_t *doc = NULL;

	if (!patch)
		return kk_diag_set(diag, KK_EINVALID, "%s", _("the merge patch is missing"));
	if (!json_is_object(patch))
		doc = json_deep_copy(patch);
	else
		doc = json_is_object(target) ? kk_json_copy(target) : json_object();
	if (!doc || (json_is_object(patch) && merge_into(doc, patch) < 0)) {
		json_decref(doc);
		return kk_diag_set(diag, KK_ENOMEM, "%s", _("out of memory"));
	}
	*out = doc;
	return 0;
}

/* Finds a null in `v`; writes its JSON Pointer (below `pointer`) and returns 1. */
static int find_null(char *pointer, size_t size, const json_t *v)
{
	size_t len = strlen(pointer), i;
	const char *key;
	json_t *member;

	if (json_is_null(v))
		return 1;
	if (json_is_object(v)) {
		json_object_foreach(MUT(v), key, member) {
			kk_json_pointer_push(pointer, size, key);
			if (find_null(pointer, size, member))
				return 1;
			pointer[len] = '\0';
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, member) {
			char index[32];

			snprintf(index, sizeof(index), "%zu", i);
			kk_json_pointer_push(pointer, size, index);
			if (find_null(pointer, size, member))
				return 1;
			pointer[len] = '\0';
		}
	}
	return 0;
}

/* The merge patch from object `from` to object `to`, into the new object *out. */
static int diff_objects(json_t **out, const json_t *from, const json_t *to)
{
	json_t *patch = json_object(), *value, *sub = NULL;
	const char *key;
	int error = KK_ENOMEM;

	if (!patch)
		return KK_ENOMEM;
	json_object_foreach(MUT(to), key, value) {
		json_t *old = json_object_get(from, key);

		if (old && json_equal(old, value))
			continue;
		if (json_is_object(old) && json_is_object(value)) {
			if ((error = diff_objects(&sub, old, value)) < 0)
				goto fail;
		} else if (!(sub = json_deep_copy(value))) {
			error = KK_ENOMEM;
			goto fail;
		}
		if (json_object_set_new(patch, key, sub) < 0) {
			error = KK_ENOMEM;
			goto fail;
		}
	}
	json_object_foreach(MUT(from), key, value) {
		if (!json_object_get(to, key) && json_object_set_new(patch, key, json_null()) < 0) {
			error = KK_ENOMEM;
			goto fail;
		}
	}
	*out = patch;
	return 0;
fail:
	json_decref(patch);
	return error;
}

int kk_patch_diff(json_t **out, const json_t *from, const json_t *to, kk_diag *diag)
{
	char pointer[KK_DIAG_POINTER_MAX] = "";
	json_t *patch = NULL;
	int error;

	if (!to)
		return kk_diag_set(diag, KK_EINVALID, "%s",
				   _("cannot build a merge patch: there is no document to reach"));
	if ((from && find_null(pointer, sizeof(pointer), from)) ||
	    find_null(pointer, sizeof(pointer), to)) {
		kk_diag_set(
			diag, KK_EINVALID,
			_("cannot build a merge patch: the value at '%s' is null, which a merge "
			  "patch cannot express"),
			pointer);
		kk_diag_set_pointer(diag, pointer);
		return KK_EINVALID;
	}
	/*
	 * Only an object patch merges; between anything else the patch is the
	 * new value itself (an empty object would turn an array into {}).
	 */
	if (json_is_object(from) && json_is_object(to))
		error = diff_objects(&patch, from, to);
	else
		error = (patch = json_deep_copy(to)) ? 0 : KK_ENOMEM;
	if (error < 0)
		return kk_diag_set(diag, error, "%s", _("out of memory"));
	*out = patch;
	return 0;
}

/* Writes "prefix.key" (or "key" with an empty prefix) into a new string. */
static char *join_path(const char *prefix, const char *key)
{
	char *path;
	int n;

	if (!prefix || !*prefix)
		return strdup(key);
	n = asprintf(&path, "%s.%s", prefix, key);
	return n < 0 ? NULL : path;
}

/* Two optional values are the same: both absent, or both present and equal. */
static int same(const json_t *a, const json_t *b)
{
	if (!a || !b)
		return a == b;
	return json_equal(a, b);
}

static int append_path(json_t *fields, const char *path)
{
	return json_array_append_new(fields, json_string(path)) < 0 ? KK_ENOMEM : 0;
}

static int conflicts(json_t *fields, const json_t *base, const json_t *head, const json_t *patch,
		     const char *prefix)
{
	const char *key;
	json_t *value;
	int count = 0, error = 0;

	json_object_foreach(MUT(patch), key, value) {
		const json_t *b = json_object_get(base, key), *h = json_object_get(head, key);
		char *path = join_path(prefix, key);

		if (!path)
			return KK_ENOMEM;
		/*
		 * An object in the patch merges into the member, unless the member
		 * is not an object: then the patch replaces it, and a change to it
		 * since base is as much a conflict as a change to a scalar.
		 */
		if (json_is_object(value) &&
		    !((b && !json_is_object(b)) || (h && !json_is_object(h))))
			error = conflicts(fields, b, h, value, path);
		else if (!same(b, h))
			error = append_path(fields, path) < 0 ? KK_ENOMEM : 1;
		else
			error = 0;
		free(path);
		if (error < 0)
			return error;
		count += error;
	}
	return count;
}

int kk_patch_conflicts(json_t *fields, const json_t *base, const json_t *head, const json_t *patch)
{
	if (!json_is_object(patch)) {
		/* The patch replaces the whole document. */
		if (same(base, head))
			return 0;
		return append_path(fields, "") < 0 ? KK_ENOMEM : 1;
	}
	if ((base && !json_is_object(base)) || (head && !json_is_object(head)))
		return same(base, head) ? 0 : (append_path(fields, "") < 0 ? KK_ENOMEM : 1);
	return conflicts(fields, base, head, patch, NULL);
}

static int add_change(json_t *changes, const char *path, const json_t *old, const json_t *new)
{
	json_t *change = json_pack("{s:s}", "path", path);

	if (!change || (old && json_object_set(change, "old", MUT(old)) < 0) ||
	    (new &&json_object_set(change, "new", MUT(new)) < 0)) {
		json_decref(change);
		return KK_ENOMEM;
	}
	/* It takes `change` whether it succeeds or not. */
	return json_array_append_new(changes, change) < 0 ? KK_ENOMEM : 0;
}

/*
 * An object is compared member by member when the other side is an object
 * or absent; a non-empty object appearing or disappearing is therefore
 * listed as its fields, while an empty one is listed whole, so that two
 * documents differ exactly when they have changes.
 */
static int walks_into(const json_t *v, const json_t *other)
{
	return json_is_object(v) && (json_is_object(other) || (!other && json_object_size(v) > 0));
}

static int diff_fields(json_t *changes, const json_t *old, const json_t *new, const char *prefix)
{
	const char *key;
	json_t *value;
	int count = 0;

	if (!walks_into(old, new) && !walks_into(new, old)) {
		if (same(old, new))
			return 0;
		return add_change(changes, prefix, old, new) < 0 ? KK_ENOMEM : 1;
	}
	json_object_foreach(MUT(new), key, value) {
		char *path = join_path(prefix, key);
		int n;

		if (!path)
			return KK_ENOMEM;
		n = diff_fields(changes, json_object_get(old, key), value, path);
		free(path);
		if (n < 0)
			return n;
		count += n;
	}
	json_object_foreach(MUT(old), key, value) {
		char *path;
		int n;

		if (json_object_get(new, key))
			continue;
		if (!(path = join_path(prefix, key)))
			return KK_ENOMEM;
		n = diff_fields(changes, value, NULL, path);
		free(path);
		if (n < 0)
			return n;
		count += n;
	}
	return count;
}

int kk_diff_fields(json_t *changes, const json_t *old, const json_t *new, const char *prefix)
{
	/*
	 * A missing document compares as an empty one: a new item lists its
	 * fields, and no document is the same as an empty one.
	 */
	if ((!old && json_is_object(new) && json_object_size(new) == 0) ||
	    (!new &&json_is_object(old) && json_object_size(old) == 0))
		return 0;
	return diff_fields(changes, old, new, prefix ? prefix : "");
}
