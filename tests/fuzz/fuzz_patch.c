/*
 * fuzz_patch.c - JSON Merge Patch (core/base/patch.h).
 *
 * The input is a target and a patch, split at the first NUL or newline.
 * RFC 7396 makes a merge patch idempotent: applying it to its own result
 * changes nothing.  Where kk_patch_diff() can express the change (no null),
 * its patch applied to the target gives the same result.  The three-way
 * conflict check and the field-by-field diff run on the pair as well.
 */
#include "fuzz.h"
#include "json.h"
#include "patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const kk_json_limits limits = {.max_size = 64 * 1024, .max_depth = 32};
	const char *text = (const char *)data, *second;
	size_t first_len, second_len;
	json_t *target = NULL, *patch = NULL, *once = NULL, *twice = NULL;
	json_t *diff = NULL, *rebuilt = NULL, *fields = NULL, *changes = NULL;
	kk_diag diag = {0};
	int n;

	if (!fuzz_split(text, size, &first_len, &second, &second_len))
		return 0;
	/* An empty target is no document yet. */
	if ((first_len && kk_json_parse(&target, text, first_len, &limits, &diag) < 0) ||
	    kk_json_parse(&patch, second, second_len, &limits, &diag) < 0)
		goto done;

	if (kk_patch_apply(&once, target, patch, &diag) < 0)
		goto done;
	FUZZ_CHECK(kk_patch_apply(&twice, once, patch, &diag) == 0);
	FUZZ_CHECK(kk_json_equal(once, twice));

	if (target && kk_patch_diff(&diff, target, once, &diag) == 0) {
		FUZZ_CHECK(kk_patch_apply(&rebuilt, target, diff, &diag) == 0);
		FUZZ_CHECK(kk_json_equal(rebuilt, once));
	}

	if ((fields = json_array()) != NULL) {
		n = kk_patch_conflicts(fields, target, once, patch);
		FUZZ_CHECK(n >= 0 && (size_t)n == json_array_size(fields));
		/* The patch was made against `target` and `target` is the head: no conflict. */
		json_array_clear(fields);
		FUZZ_CHECK(kk_patch_conflicts(fields, target, target, patch) == 0);
	}
	if ((changes = json_array()) != NULL) {
		n = kk_diff_fields(changes, target, once, "");
		FUZZ_CHECK(n == KK_ENOMEM || (n >= 0 && (size_t)n == json_array_size(changes)));
	}
done:
	json_decref(changes);
	json_decref(fields);
	json_decref(rebuilt);
	json_decref(diff);
	json_decref(twice);
	json_decref(once);
	json_decref(patch);
	json_decref(target);
	return 0;
}
