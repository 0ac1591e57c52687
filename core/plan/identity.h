/*
 * identity.h - who is acting, and for which departments.
 *
 * The daemon fills in the Unix identity from the kernel (SO_PEERCRED) and
 * the passwd/group database; kk_identity_resolve() then maps it through
 * departments.json to departments and the admin role.
 */
#ifndef KK_IDENTITY_H
#define KK_IDENTITY_H

#include <jansson.h>
#include <sys/types.h>

#include "common.h"

typedef struct kk_identity {
	uid_t uid;
	gid_t gid;
	char *user;          /* login name */
	char *name;          /* full name from the passwd entry's GECOS, or the login */
	char **groups;       /* names of the primary and supplementary groups */
	size_t group_count;
	char **departments;  /* departments this person acts for, in departments.json order */
	size_t department_count;
	int admin;           /* root, the repository's owner, or a member of an admin department */
} kk_identity;

/*
 * Fills `id`'s departments and admin flag from departments.json: a person
 * acts for every department that lists their login in "users" or one of
 * their groups in "groups"; they are admin when one of those departments
 * has "admin": true, when uid is 0, or when uid is `repo_owner`.  Earlier
 * departments and admin state are replaced.
 */
int kk_identity_resolve(kk_identity *id, const json_t *departments, uid_t repo_owner);

/* Tells whether `id` acts for department `name`. */
int kk_identity_in(const kk_identity *id, const char *name);

/* The identity as whoami returns it: {"uid", "user", "name", "groups", "departments", "admin"}. */
json_t *kk_identity_to_json(const kk_identity *id);

/* Frees the members (not `id` itself); accepts NULL. */
void kk_identity_clear(kk_identity *id);

#endif
