/*
 * packs.h - the pack maintainer (packs.c).
 */
#ifndef KD_PACKS_H
#define KD_PACKS_H

#include "writer.h"

/* Merges small packs when there are too many; also run once before the threads start. */
void kd_packs_maintain(kd_writer *w);

/* The maintainer thread: kd_packs_maintain() after batches, until the writer stops. */
void *kd_packs_main(void *arg);

#endif
