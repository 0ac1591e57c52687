/*
 * fuzz.h - what every fuzz target in tests/fuzz/ shares.
 *
 * Each target defines LLVMFuzzerTestOneInput().  Built with -DKK_FUZZ=ON
 * (clang) it links libFuzzer; otherwise standalone.c supplies main(), which
 * runs each corpus and regression file through the target once, so that the
 * normal build and ctest check every input ever found.
 *
 * A target frees everything it allocates (LeakSanitizer is on) and never
 * prints: it calls FUZZ_CHECK() on the invariants it can state, which
 * aborts, and libFuzzer keeps the input.
 */
#ifndef KK_FUZZ_H
#define KK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant the target states: a violation aborts, in every build. */
#define FUZZ_CHECK(cond)                                                                          \
	do {                                                                                      \
		if (!(cond))                                                                      \
			abort();                                                                  \
	} while (0)

/*
 * Splits `data` into two parts at the first NUL, or else at the first
 * newline; returns 0 when there is neither (then *first is all of it).
 */
static inline int fuzz_split(const char *data, size_t size, size_t *first_len,
			     const char **second, size_t *second_len)
{
	size_t i, nl = size;

	for (i = 0; i < size; i++) {
		if (data[i] == '\0')
			break;
		if (data[i] == '\n' && nl == size)
			nl = i;
	}
	if (i == size)
		i = nl;
	*first_len = i;
	if (i == size) {
		*second = NULL;
		*second_len = 0;
		return 0;
	}
	*second = data + i + 1;
	*second_len = size - i - 1;
	return 1;
}

#endif
