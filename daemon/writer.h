/*
 * writer.h - the inside of keikakud's writer: the state its threads share
 * and the two small steps of its locking protocol that each of them takes.
 * The writer's parts each have their own header, from the bottom up:
 *
 *   objects.c   the batch's new objects (mempack and pack list)
 *   trees.c     the trees of a commit, from the last ones written
 *   commit.c    a write method's commit, and the year tags pending
 *   coowners.c  rule 6 for texts that several owner departments share
 *   methods.c   the write methods, dispatched by name
 *   mirror.c    the mirror threads, and answers held for --sync-mirrors
 *               (it includes none of these: the others hand it what it needs)
 *   syncer.c    the syncer thread: a batch's pack, refs and answers
 *   packs.c     the pack maintainer thread
 *   writer.c    the writer thread: batches, and starting and stopping it all
 *
 * Each includes only the headers of the parts above it in this list.  Only
 * the writer thread touches the members under "the writer thread's own".
 */
#ifndef KD_WRITER_H
#define KD_WRITER_H

#include <pthread.h>
#include <sys/types.h>

#include <git2.h>

#include "daemon.h"
#include "doccache.h"
#include "mirror.h"
#include "fileset.h"
#include "pack.h"
#include "recent.h"
#include "store.h"
#include "update.h"
#include "verify.h"
#include "year.h"

#define KD_MAIN_REF "refs/heads/main"
#define KD_TAG_REFS "refs/tags/"
/* Past this many packs below KD_PACK_FINAL_SIZE, small ones are merged (beside the writer). */
#define KD_PACKS_MAX 32
/* Packs this large are final: never merged again. */
#define KD_PACK_FINAL_SIZE ((off_t)64 << 20)
/* Merge at least this many packs at a time. */
#define KD_PACKS_MERGE_MIN 8
/*
 * The parsed files the writer keeps (kk_doccache), by the size of the
 * files: the plan-wide ones and a few thousand recently written items.
 */
#define KD_DOC_CACHE_BYTES ((size_t)2 << 20)

/* The objects a batch made, with their bytes, for its pack. */
typedef struct {
	kk_pack_object *items;
	size_t count, alloc;
} kd_objects;

/* A tag a batch made (closing a fiscal year): its ref is created with the batch's. */
typedef struct {
	char name[KK_YEAR_TAG_MAX];
	git_oid oid;
} kd_batch_tag;

/* An entry of a tree the writer builds; `name` is not NUL-terminated. */
typedef struct {
	const char *name;
	size_t name_len;
	unsigned mode;
	git_oid oid;
} kd_tree_entry;

/*
 * The entries of the last tree written at one path ("" for the root, or
 * "items/"): the next commit builds on exactly those trees, and need not
 * read them back and parse them.
 */
typedef struct {
	char prefix[64];
	int used;
	git_oid oid;
	kd_tree_entry *entries;
	size_t count;
	char *names; /* the entries' names point into this */
} kd_tree_memo;

#define KD_TREE_MEMOS 4

/* What a batch leaves for the disk: its new objects and tags. */
typedef struct {
	kd_objects objects;
	kd_batch_tag *tags;
	size_t tag_count, tag_alloc;
} kd_batch_writes;

enum kd_flight_state {
	KD_FLIGHT_IDLE,	   /* nothing handed over, or the writer has taken note of the result */
	KD_FLIGHT_SYNCING, /* the syncer is making it durable */
	KD_FLIGHT_STORED,  /* durable and answered */
	KD_FLIGHT_FAILED,  /* not stored; its callers were told so */
};

/*
 * The batch the syncer thread makes durable while the writer decides the
 * next one on top of it.  The writer fills it and hands it over by setting
 * `state` to KD_FLIGHT_SYNCING; from then until the syncer sets STORED or
 * FAILED only the syncer touches it, and the writer only reads the tags.
 */
typedef struct {
	enum kd_flight_state state; /* under the writer's lock */
	kd_call *calls, *tail;
	kd_batch_writes writes;
	git_oid start, head; /* the branch moves from `start` to `head` */
	size_t commits;
	int mempack; /* which of the writer's mempacks holds its objects */
	int errnum;  /* why it was not stored: the failed system call's errno, or 0 */
} kd_flight;

struct kd_writer {
	const kd_config *cfg;
	uv_loop_t *loop;
	uv_async_t async;
	void (*done)(kd_call *call, void *arg);
	void *done_arg;
	pthread_t thread;
	int started;
	pthread_t maintainer; /* merges packs beside the writer */
	int maintainer_started;
	pthread_t syncer; /* makes the previous batch durable while the writer decides */
	int syncer_started;
	void (*stopped)(void *arg); /* kd_writer_stop_async()'s callback, until it runs */
	void *stopped_arg;

	/* Shared with the loop thread, under `lock`. */
	pthread_mutex_t lock;
	pthread_cond_t cond; /* the writer waits for calls, or for the flight while it waits */
	kd_call *queue, *queue_tail;
	kd_call *finished, *finished_tail;
	int stopping;
	int batches_since_check; /* the maintainer looks at the packs when this is set */
	int odb_stale;		 /* packs were merged: the writer reopens its odb */
	pthread_cond_t maintain;
	kd_flight flight;
	pthread_cond_t sync_work; /* the syncer waits for a flight */
	pthread_cond_t synced;	  /* the writer waits for the flight to land */
	int sync_stop;		  /* the writer has stopped: so may the syncer */
	int threads_running;	  /* of writer, syncer and maintainer */
	kd_writer_stats stats;
	kd_mirrors *mirrors; /* with a lock of its own; NULL without --mirror */

	/* The writer thread's own. */
	kk_store *store;
	git_repository *repo;
	git_odb *odb;
	/*
	 * New objects go to one mempack while the flight's objects wait in the
	 * other until they are on disk; `mempack` is mempacks[current].
	 */
	git_odb_backend *mempacks[2], *mempack;
	int current;
	git_oid head;	  /* as the batches decided so far leave it: maybe not durable yet */
	kk_fileset files; /* every file of `head` */
	kk_verifier *verifier;
	kk_doccache *docs; /* the parses of `files` and of what the verifier read */
	kk_recent recent;  /* the commits since `head` was read, and what they changed */
	uid_t owner;
	json_t *request_ids; /* "login:request_id" -> commit id */
	char *pack_dir;
	kd_batch_writes writes; /* of the batch being decided */
	kd_tree_memo trees[KD_TREE_MEMOS];
	int stale;	    /* a batch failed: the head must be read again */
	int odb_stale_seen; /* odb_stale, taken over: reopen once nothing is in flight */

	/* The syncer's own: a repository handle for the refs. */
	git_repository *sync_repo;
};

/* Hands answered calls to the loop thread, in order (any of the writer's threads). */
static inline void kd_writer_answer(kd_writer *w, kd_call *calls, kd_call *tail)
{
	pthread_mutex_lock(&w->lock);
	if (w->finished_tail)
		w->finished_tail->next = calls;
	else
		w->finished = calls;
	w->finished_tail = tail;
	pthread_mutex_unlock(&w->lock);
	uv_async_send(&w->async);
}

/* The last thing each of the writer's threads does: kd_writer_stop_async() waits for all. */
static inline void kd_writer_thread_exit(kd_writer *w)
{
	pthread_mutex_lock(&w->lock);
	w->threads_running--;
	pthread_mutex_unlock(&w->lock);
	uv_async_send(&w->async);
}

#endif
