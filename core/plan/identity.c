/*
 * identity.c - who is acting for which departments (identity.h): the Unix
 * login and groups mapped through departments.json, and the admin role.
 */
#include "identity.h"

#include <stdlib.h>
#include <string.h>

/* Tells whether the JSON array of strings `names` holds `name`. */
static int lists(const json_t *names, const char *name)
{
	size_t i;
	json_t *v;

	if (!name)
		return 0;
	json_array_foreach(names, i, v) {
		const char *s = json_string_value(v);

		if (s && strcmp(s, name) == 0)
			return 1;
	}
	return 0;
}

static int member_of(const kk_identity *id, const json_t *dept)
{
	if (lists(json_object_get(dept, "users"), id->user))
		return 1;
	for (size_t i = 0; i < id->group_count; i++)
		if (lists(json_object_get(dept, "groups"), id->groups[i]))
			return 1;
	return 0;
}

static void free_strings(char **list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(list[i]);
	free(list);
}

int kk_identity_resolve(kk_identity *id, const json_t *departments, uid_t repo_owner)
{
	const json_t *list = json_object_get(departments, "departments");
	char **names = NULL;
	size_t count = 0, i;
	int admin = id->uid == 0 || id->uid == repo_owner;
	json_t *dept;

	/* Built aside and swapped in, so that a failure leaves `id` as it was. */
	if (json_array_size(list) && !(names = calloc(json_array_size(list), sizeof(*names))))
		return KK_ENOMEM;
	json_array_foreach(list, i, dept) {
		const char *name = json_string_value(json_object_get(dept, "name"));

		if (!name || !member_of(id, dept))
			continue;
		admin |= json_is_true(json_object_get(dept, "admin"));
		/* Names should be unique; a repeated one is still listed once. */
		for (size_t j = 0; j < count && name; j++)
			if (strcmp(names[j], name) == 0)
				name = NULL;
		if (name && !(names[count++] = strdup(name))) {
			free_strings(names, count);
			return KK_ENOMEM;
		}
	}
	free_strings(id->departments, id->department_count);
	id->departments = names;
	id->department_count = count;
	id->admin = admin;
	return 0;
}

int kk_identity_in(const kk_identity *id, const char *name)
{
	if (!id || !name)
		return 0;
	for (size_t i = 0; i < id->department_count; i++)
		if (strcmp(id->departments[i], name) == 0)
			return 1;
	return 0;
}

static json_t *string_array(char *const *list, size_t count)
{
	json_t *array = json_array();

	for (size_t i = 0; array && i < count; i++) {
		if (json_array_append_new(array, json_string(list[i])) < 0) {
			json_decref(array);
			return NULL;
		}
	}
	return array;
}

json_t *kk_identity_to_json(const kk_identity *id)
{
	json_t *out = json_pack("{s:I, s:s?, s:s?}", "uid", (json_int_t)id->uid, "user", id->user,
				"name", id->name);

	/* json_object_set_new() takes the arrays also when it fails. */
	if (!out ||
	    json_object_set_new(out, "groups", string_array(id->groups, id->group_count)) < 0 ||
	    json_object_set_new(out, "departments",
				string_array(id->departments, id->department_count)) < 0 ||
	    json_object_set_new(out, "admin", json_boolean(id->admin)) < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/*
 * uid and gid stay as they were: zeroing them would make a cleared identity
 * look like root's to kk_identity_resolve().
 */
void kk_identity_clear(kk_identity *id)
{
	if (!id)
		return;
	free(id->user);
	free(id->name);
	free_strings(id->groups, id->group_count);
	free_strings(id->departments, id->department_count);
	id->user = id->name = NULL;
	id->groups = id->departments = NULL;
	id->group_count = id->department_count = 0;
	id->admin = 0;
}
