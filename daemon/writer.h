/*
 * writer.h - the inside of keikakud's writer, shared by writer.c (the
 * thread, batches, durability, pack maintenance) and methods.c (the write
 * methods).  Only the writer thread touches the members under "the writer
 * thread's own".
 */
#ifndef KD_WRITER_H
#define KD_WRITER_H

#include <pthread.h>
#include <sys/types.h>

#include <git2.h>

#include "daemon.h"
#include "doccache.h"
#include "fileset.h"
#include "pack.h"
#include "recent.h"
#include "store.h"
#include "update.h"
#include "verify.h"
#include "year.h"

#define MAIN_REF "refs/heads/main"
#define TAG_REFS "refs/tags/"
/* Past this many packs below PACK_FINAL_SIZE, small ones are merged (beside the writer). */
#define PACKS_MAX 32
/* Packs this large are final: never merged again. */
#define PACK_FINAL_SIZE ((off_t)64 << 20)
/* Merge at least this many packs at a time. */
#define PACKS_MERGE_MIN 8
/*
 * The parsed files the writer keeps (kk_doccache), by the size of the
 * files: the plan-wide ones and a few thousand recently written items.
 */
#define DOC_CACHE_BYTES ((size_t)2 << 20)

/* The objects a batch made, with their bytes, for its pack. */
typedef struct {
	kk_pack_object *items;
	size_t count, alloc;
} obj_list;

/* A tag a batch made (closing a fiscal year): its ref is created with the batch's. */
typedef struct {
	char name[KK_YEAR_TAG_MAX];
	git_oid oid;
} batch_tag;

/* An entry of a tree the writer builds; `name` is not NUL-terminated. */
typedef struct {
	const char *name;
	size_t name_len;
	unsigned mode;
	git_oid oid;
} tree_entry;

/*
 * The entries of the last tree written at one path ("" for the root, or
 * "items/"): the next commit builds on exactly those trees, and need not
 * read them back and parse them.
 */
typedef struct {
	char prefix[64];
	int used;
	git_oid oid;
	tree_entry *entries;
	size_t count;
	char *names; /* the entries' names point into this */
} tree_memo;

#define TREE_MEMOS 4

/* What a batch leaves for the disk: its new objects and tags. */
typedef struct {
	obj_list objects;
	batch_tag *tags;
	size_t tag_count, tag_alloc;
} batch_writes;

enum flight_state {
	FLIGHT_IDLE,	/* nothing handed over, or the writer has taken note of the result */
	FLIGHT_SYNCING, /* the syncer is making it durable */
	FLIGHT_STORED,	/* durable and answered */
	FLIGHT_FAILED,	/* not stored; its callers were told so */
};

/*
 * The batch the syncer thread makes durable while the writer decides the
 * next one on top of it.  The writer fills it and hands it over by setting
 * `state` to FLIGHT_SYNCING; from then until the syncer sets STORED or
 * FAILED only the syncer touches it, and the writer only reads the tags.
 */
typedef struct {
	enum flight_state state; /* under the writer's lock */
	kd_call *calls, *tail;
	batch_writes writes;
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
	batch_writes writes; /* of the batch being decided */
	tree_memo trees[TREE_MEMOS];
	int stale;	    /* a batch failed: the head must be read again */
	int odb_stale_seen; /* odb_stale, taken over: reopen once nothing is in flight */

	/* The syncer's own: a repository handle for the refs. */
	git_repository *sync_repo;
};

/* libgit2's last error message, or "unknown error". */
const char *kd_git_message(void);

/* `oid` in hex as a JSON string (a new reference). */
json_t *kd_oid_json(const git_oid *oid);

/* Adds an object to the batch (and the in-memory odb); *out is its id.  Returns 0 or -1. */
int kd_writer_put_object(kd_writer *w, git_oid *out, const void *data, size_t len,
			 git_object_t type);

/*
 * Makes the commit for accepted submission `r` of `call` on the batch's
 * head, with the caller as author, and moves the in-memory head to it;
 * *out is the commit.  Returns 0 or -1 (logged).
 */
int kd_writer_commit(kd_writer *w, kd_call *call, const kk_update_result *r, const char *reason,
		     const char *request_id, int correction, git_oid *out);

/* Tells whether tag `name` is made by the batch being decided or the one in flight. */
int kd_writer_tag_pending(kd_writer *w, const char *name);

/* Decides and answers one write of the batch (methods.c). */
void kd_methods_handle(kd_writer *w, kd_call *call);
void kd_methods_handle_year(kd_writer *w, kd_call *call);

#endif
