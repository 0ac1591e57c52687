/*
 * packs.h - the pack maintainer (packs.c).
 */
#ifndef KD_PACKS_H
#define KD_PACKS_H

#include "writer.h"

/*
 * Merges the smallest packs of `pack_dir` (a repository's objects/pack)
 * into one when there are too many (packs.c says how many).  Returns 0
 * with *count_out the packs there are now and *merged_out how many were
 * merged (0: none), or a KK_E* code (*count_out is then the packs there
 * were, or 0 when they could not be listed).  Never run twice at once on
 * one directory.
 */
int kd_packs_tidy(const char *pack_dir, size_t *count_out, size_t *merged_out, kk_diag *diag);

/* Merges small packs when there are too many; also run once before the threads start. */
void kd_packs_maintain(kd_writer *w);

/* The maintainer thread: kd_packs_maintain() after batches, until the writer stops. */
void *kd_packs_main(void *arg);

#endif
