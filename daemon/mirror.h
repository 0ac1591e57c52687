/*
 * mirror.h - the mirrors keikakud keeps current (mirror.c): one thread per
 * mirror pushes the branch and the tags with libgit2 after each durable
 * batch, never forcing, retrying with capped backoff; and, with
 * --sync-mirrors K, the answers held until K mirrors hold their commit.
 */
#ifndef KD_MIRROR_H
#define KD_MIRROR_H

#include <git2.h>
#include <jansson.h>

#include "daemon.h"

/* The branch the mirrors get, with every tag. */
#define KD_MIRROR_BRANCH "refs/heads/main"
/* --mirror, at most this many times. */
#define KD_MIRRORS_MAX 16

typedef struct kd_mirrors kd_mirrors;

/*
 * Hands answered calls on (the writer's kd_writer_answer); called from
 * any mirror thread, or from kd_mirrors_stop(), with no lock of the
 * writer's held.
 */
typedef void (*kd_mirrors_answer_fn)(kd_call *calls, kd_call *tail, void *arg);

/*
 * Tells whether `url` is one keikakud can push to: an absolute path, a
 * file://, ssh:// or https:// URL, or scp-like user@host:path.  Fills
 * `why` (an English sentence) when it is not.
 */
int kd_mirror_url_check(const char *url, char *why, size_t size);

/*
 * Refuses (-1, an English sentence in `why`) a list of mirrors that names
 * one twice, or a local mirror that is the repository `repo` itself or
 * the same directory as another.
 */
int kd_mirrors_check(const char *repo, const char *const *urls, size_t count, char *why,
		     size_t size);

/*
 * `url` with any password replaced by "***", and an https URL's user
 * when it has no password (a token given as the user), into `buf`, for
 * status and the log.
 */
void kd_mirror_url_redact(char *buf, size_t size, const char *url);

/*
 * Starts a thread for each of cfg->mirrors, which pushes cfg->repo's
 * branch and tags; `head` is the branch as keikakud found it.  Fails with
 * a message in `errbuf`.  *out is NULL when there are no mirrors.
 */
int kd_mirrors_start(kd_mirrors **out, const kd_config *cfg, const git_oid *head,
		     kd_mirrors_answer_fn answer, void *arg, char *errbuf, size_t errlen);

/* On the syncer: the branch is durable at `head`, `commits` commits later. */
void kd_mirrors_durable(kd_mirrors *m, const git_oid *head, size_t commits);

/*
 * With --sync-mirrors K: keeps `calls`..`tail`, answered, until K mirrors
 * hold the branch as it is durable now, then hands them on; after
 * --sync-mirrors-timeout, a call that made or replayed a commit gets -32009
 * instead (stored here, not yet on enough mirrors), and the rest go on as
 * they are.
 */
void kd_mirrors_hold(kd_mirrors *m, kd_call *calls, kd_call *tail);

/* Each mirror's state, for the status method: a new JSON array. */
json_t *kd_mirrors_json(kd_mirrors *m);

/* One line for systemd's STATUS=: "mirrors: URL current; URL 3 behind (12 s): error". */
void kd_mirrors_summary(kd_mirrors *m, char *buf, size_t size);

/*
 * Stops the mirror threads: first waits (at most --sync-mirrors-timeout)
 * for the calls held, answering them, then for each thread to finish: a
 * mirror that is well and behind gets one last push.  A thread stuck in the
 * network longer than a few seconds is left behind, and what it uses is
 * not freed.  Then frees `m`.  NULL is fine.
 */
void kd_mirrors_stop(kd_mirrors *m);

#endif
