/*
 * objects.h - the new objects of the batch being decided (objects.c).
 */
#ifndef KD_OBJECTS_H
#define KD_OBJECTS_H

#include "writer.h"

/* Keeps a copy of a new object's bytes; duplicates are dropped when the pack is written. */
int kd_objects_add(kd_objects *list, const git_oid *oid, const void *data, size_t len,
		   git_object_t type);

/* Frees the objects' bytes and empties the list, keeping its room for the next batch. */
void kd_objects_reset(kd_objects *list);

/* Sorts by id and drops repeats: the same content may be written twice in a batch. */
void kd_objects_dedupe(kd_objects *list);

/* Adds an object to the batch (and the in-memory odb); *out is its id.  Returns 0 or -1. */
int kd_writer_put_object(kd_writer *w, git_oid *out, const void *data, size_t len,
			 git_object_t type);

/* Empties a batch's writes for the next batch, keeping the lists' room. */
void kd_writes_reset(kd_batch_writes *writes);

/* Frees everything a batch's writes hold and zeroes them. */
void kd_writes_clear(kd_batch_writes *writes);

#endif
