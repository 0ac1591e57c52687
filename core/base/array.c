/*
 * array.c - KK_ARRAY_GROW() of array.h: the overflow-checked doubling
 * growth of an array, which leaves the array as it was when it fails.
 */
#include "array.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int kk_array_grow(void *arrayp, size_t *alloc, size_t nr, size_t max, size_t size)
{
	void *array, *grown;
	size_t want;

	assert(arrayp && alloc && size);
	if (nr <= *alloc)
		return 0;
	if (nr > max)
		return KK_ELIMIT;
	if (nr > SIZE_MAX / size) {
		errno = ENOMEM;
		return KK_ENOMEM;
	}
	if (max > SIZE_MAX / size)
		max = SIZE_MAX / size;
	want = *alloc < 8 ? 8 : *alloc <= max / 2 ? *alloc * 2 : max;
	if (want > max)
		want = max;
	if (want < nr)
		want = nr;
	/* The pointer is read and written as bytes: `arrayp` is a T **, not a void **. */
	memcpy(&array, arrayp, sizeof(array));
	if (!(grown = realloc(array, want * size))) {
		errno = ENOMEM;
		return KK_ENOMEM;
	}
	memcpy(arrayp, &grown, sizeof(grown));
	*alloc = want;
	return 0;
}
