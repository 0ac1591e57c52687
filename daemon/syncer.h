/*
 * syncer.h - the syncer thread and the writer's hand-over to it (syncer.c).
 */
#ifndef KD_SYNCER_H
#define KD_SYNCER_H

#include "writer.h"

/* The syncer thread: makes each flight durable and answers its calls, until told to stop. */
void *kd_syncer_main(void *arg);

/*
 * On the writer: hands the batch just decided (`batch`..`tail`, which made
 * `commits` commits from `start`) to the syncer; its successor goes to the
 * other mempack.
 */
void kd_flight_launch(kd_writer *w, kd_call *batch, kd_call *tail, const git_oid *start,
		      size_t commits);

/*
 * On the writer: waits until the flight (if any) has landed and takes note.
 * Returns 0, or -1 when it was not stored (the writer is stale then).
 */
int kd_flight_settle(kd_writer *w);

/*
 * Nothing of a batch is stored: every caller gets -32008, with the
 * system's reason `errnum` (or 0) in the caller's language.
 */
void kd_fail_calls(kd_call *calls, int errnum);

#endif
