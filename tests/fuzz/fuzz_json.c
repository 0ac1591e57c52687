/*
 * fuzz_json.c - the strict JSON reader (core/base/json.h).
 *
 * Parses the input with the default limits and with tight ones.  Whatever
 * parses must print and parse back to an equal value, and what parses under
 * the tight limits must parse under the default ones.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"

static void check_round_trip(const json_t *value)
{
	kk_diag diag = {0};
	json_t *again = NULL;
	char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);

	if (!text)
		return; /* out of memory */
	FUZZ_CHECK(kk_json_parse(&again, text, strlen(text), NULL, &diag) == 0);
	FUZZ_CHECK(kk_json_equal(value, again));
	json_decref(again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const kk_json_limits tight = {.max_size = 256, .max_depth = 4};
	kk_diag diag = {0};
	json_t *value = NULL, *small = NULL;
	int error, small_error;

	error = kk_json_parse(&value, (const char *)data, size, NULL, &diag);
	FUZZ_CHECK(error == 0 || error == KK_EINVALID || error == KK_ELIMIT || error == KK_ENOMEM);
	FUZZ_CHECK(error < 0 ? value == NULL && diag.code == error : value != NULL);
	if (error == 0)
		check_round_trip(value);

	small_error = kk_json_parse(&small, (const char *)data, size, &tight, &diag);
	FUZZ_CHECK(small_error == 0 || small_error == KK_EINVALID || small_error == KK_ELIMIT ||
		   small_error == KK_ENOMEM);
	if (small_error == 0) {
		FUZZ_CHECK(error == 0 && kk_json_equal(value, small));
		FUZZ_CHECK(size <= tight.max_size);
	}
	json_decref(small);
	json_decref(value);
	return 0;
}
