/*
 * array.h - growing an array that a struct or a function owns, in the
 * manner of git's ALLOC_GROW and libgit2's git_array_grow: the element
 * count times the element size is checked for overflow, the room at least
 * doubles so that appending one at a time costs amortised O(1), and a
 * failure returns an error with the array and its room as they were (the
 * caller still owns and frees the old array).
 *
 *	if (KK_ARRAY_GROW(list->items, list->count + 1, list->alloc) < 0)
 *		return KK_ENOMEM;
 *	list->items[list->count++] = item;
 */
#ifndef KK_ARRAY_H
#define KK_ARRAY_H

#include <stddef.h>
#include <stdint.h>

/*
 * Makes room in `array` (an lvalue of pointer type, NULL when empty) for at
 * least `nr` elements, where `alloc` (an lvalue of type size_t) is how many
 * it has room for now; both are updated on success.  Below `nr`, the room
 * is doubled (at least 8), or made exactly `nr` when that is more.  Returns
 * 0 or KK_ENOMEM (errno ENOMEM), leaving both unchanged.
 */
#define KK_ARRAY_GROW(array, nr, alloc) KK_ARRAY_GROW_MAX(array, nr, alloc, SIZE_MAX)

/*
 * KK_ARRAY_GROW() for a buffer with a bound: the room never passes `max`
 * elements, and asking for more than `max` returns KK_ELIMIT, with the
 * array unchanged.
 */
#define KK_ARRAY_GROW_MAX(array, nr, alloc, max)                                                   \
	kk_array_grow(&(array), &(alloc), (nr), (max), sizeof(*(array)))

/*
 * The two macros as a function: `arrayp` points to the array's pointer,
 * `size` is the size of one element.
 */
int kk_array_grow(void *arrayp, size_t *alloc, size_t nr, size_t max, size_t size);

#endif
