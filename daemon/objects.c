/*
 * objects.c - the new objects of the batch being decided: each goes into the
 * writer's mempack at once (so that the next commit of the batch reads it
 * from memory) and, with its bytes, into the batch's list, which the syncer
 * writes as the batch's pack.
 */
#include <stdlib.h>
#include <string.h>

#include <git2/sys/odb_backend.h>

#include "array.h"
#include "objects.h"

/* Keeps a copy of a new object's bytes; duplicates are dropped when the pack is written. */
int kd_objects_add(kd_objects *list, const git_oid *oid, const void *data, size_t len,
		   git_object_t type)
{
	void *copy = malloc(len ? len : 1);

	if (!copy)
		return -1;
	if (KK_ARRAY_GROW(list->items, list->count + 1, list->alloc) < 0) {
		free(copy);
		return -1;
	}
	memcpy(copy, data, len);
	list->items[list->count++] = (kk_pack_object){type, copy, len, *oid};
	return 0;
}

void kd_objects_reset(kd_objects *list)
{
	for (size_t i = 0; i < list->count; i++)
		free((void *)list->items[i].data);
	list->count = 0;
}

static int cmp_objects(const void *a, const void *b)
{
	return git_oid_cmp(&((const kk_pack_object *)a)->oid, &((const kk_pack_object *)b)->oid);
}

/* Sorts by id and drops repeats: the same content may be written twice in a batch. */
void kd_objects_dedupe(kd_objects *list)
{
	size_t kept = 0;

	qsort(list->items, list->count, sizeof(*list->items), cmp_objects);
	for (size_t i = 0; i < list->count; i++) {
		if (kept && git_oid_equal(&list->items[kept - 1].oid, &list->items[i].oid))
			free((void *)list->items[i].data);
		else
			list->items[kept++] = list->items[i];
	}
	list->count = kept;
}

/*
 * New objects go straight into the mempack, already hashed: going through
 * git_odb_write() would first look for each new object in every pack and,
 * not finding it, rescan the pack directory, once per object.
 */
int kd_writer_put_object(kd_writer *w, git_oid *out, const void *data, size_t len,
			 git_object_t type)
{
	if (git_odb_hash(out, data, len, type) < 0 ||
	    w->mempack->write(w->mempack, out, data, len, type) < 0)
		return -1;
	return kd_objects_add(&w->writes.objects, out, data, len, type);
}

void kd_writes_reset(kd_batch_writes *writes)
{
	kd_objects_reset(&writes->objects);
	writes->tag_count = 0;
}

void kd_writes_clear(kd_batch_writes *writes)
{
	kd_objects_reset(&writes->objects);
	free(writes->objects.items);
	free(writes->tags);
	memset(writes, 0, sizeof(*writes));
}
