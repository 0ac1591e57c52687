/*
 * peer.c - who a peer is, from the uid and gid the kernel gave for its
 * connection: the login and full name from the passwd database, and every
 * group from the group database.  NSS may ask a directory server, so this
 * runs on libuv's thread pool, never on the loop thread; the buffers grow
 * as the entries need (a person may be in hundreds of groups).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "peer.h"

/*
 * The group database's groups of `user`, `gid` among them: a malloc'ed array
 * of *count ids, or NULL (out of memory).
 */
static gid_t *group_list(const char *user, gid_t gid, int *count)
{
	gid_t *gids = NULL;
	size_t alloc = 0, want = 64;
	int n;

	for (;;) {
		/* Linux allows 65,536 supplementary groups. */
		if (KK_ARRAY_GROW_MAX(gids, want, alloc, 1 << 17) < 0) {
			free(gids);
			return NULL;
		}
		n = (int)alloc;
		if (getgrouplist(user, gid, gids, &n) >= 0) {
			*count = n;
			return gids;
		}
		/* glibc says how many there are; the room at least doubles in any case. */
		want = n > 0 && (size_t)n > alloc ? (size_t)n : alloc + 1;
	}
}

/*
 * Calls `get` (getpwuid_r or getgrgid_r, bound to its id and entry) with a
 * buffer that grows while it is too small.  Returns 0 with the buffer to
 * free in *buf_out, 1 when the database has no such entry (or cannot say),
 * -1 when out of memory.
 */
typedef int (*entry_getter)(void *ctx, char *buf, size_t len, int *found);

static int get_entry(char **buf_out, entry_getter get, void *ctx)
{
	size_t alloc = 0, want = 1024;
	char *buf = NULL;

	*buf_out = NULL;
	for (;;) {
		int error, found = 0;

		if (KK_ARRAY_GROW_MAX(buf, want, alloc, 1 << 24) < 0) {
			free(buf);
			return -1;
		}
		if ((error = get(ctx, buf, alloc, &found)) != ERANGE) {
			if (error || !found) {
				free(buf);
				return 1;
			}
			*buf_out = buf;
			return 0;
		}
		want = alloc + 1; /* the room doubles */
	}
}

struct pw_lookup {
	uid_t uid;
	struct passwd pw;
};

static int get_pw(void *ctx, char *buf, size_t len, int *found)
{
	struct pw_lookup *l = ctx;
	struct passwd *result = NULL;
	int error = getpwuid_r(l->uid, &l->pw, buf, len, &result);

	*found = result != NULL;
	return error;
}

struct gr_lookup {
	gid_t gid;
	struct group gr;
};

static int get_gr(void *ctx, char *buf, size_t len, int *found)
{
	struct gr_lookup *l = ctx;
	struct group *result = NULL;
	int error = getgrgid_r(l->gid, &l->gr, buf, len, &result);

	*found = result != NULL;
	return error;
}

/* The rest of who uid `uid` (primary group `gid`) is, from the databases: names and groups. */
int kd_peer_lookup(kk_identity *who, uid_t uid, gid_t gid)
{
	struct pw_lookup pl = {.uid = uid};
	char *pwbuf = NULL, name[64];
	gid_t *gids = NULL;
	int ngids = 0, got, error = -1;

	memset(who, 0, sizeof(*who));
	who->uid = uid;
	who->gid = gid;
	if ((got = get_entry(&pwbuf, get_pw, &pl)) < 0)
		return -1;
	if (got == 0) {
		who->user = strdup(pl.pw.pw_name);
		if (pl.pw.pw_gecos && *pl.pw.pw_gecos) {
			who->name = strndup(pl.pw.pw_gecos, strcspn(pl.pw.pw_gecos, ","));
		} else {
			who->name = strdup(pl.pw.pw_name);
		}
		gids = group_list(pl.pw.pw_name, gid, &ngids);
		free(pwbuf);
	} else {
		snprintf(name, sizeof(name), "%u", (unsigned)uid);
		who->user = strdup(name);
		who->name = strdup(name);
		if ((gids = malloc(sizeof(*gids)))) {
			gids[0] = gid;
			ngids = 1;
		}
	}
	if (!gids || !who->user || !who->name ||
	    !(who->groups = calloc((size_t)ngids + 1, sizeof(char *))))
		goto done;
	for (int i = 0; i < ngids; i++) {
		struct gr_lookup gl = {.gid = gids[i]};
		char *grbuf;

		/* A group without a name in the database maps to no department. */
		if ((got = get_entry(&grbuf, get_gr, &gl)) < 0)
			goto done;
		if (got == 0) {
			who->groups[who->group_count] = strdup(gl.gr.gr_name);
			free(grbuf);
			if (!who->groups[who->group_count++])
				goto done;
		}
	}
	error = 0;
done:
	free(gids);
	return error;
}
