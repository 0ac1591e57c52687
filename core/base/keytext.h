/*
 * keytext.h - text typed as a key or a code, the way input methods give it.
 *
 * A fiscal year, a progress mark, a status, a department's name or an
 * item's number reaches Keikaku as a person typed it: full-width digits and
 * letters (令和４年度, ２６), 〇 or ◯ where the report has ○, a full-width
 * space between two department names.  kk_key_normalize() brings such text
 * to the one form Keikaku stores and compares: NFKC (full-width letters and
 * digits become ASCII, half-width katakana full-width), the look-alikes of
 * the report's marks made the marks themselves (〇 ◯ ⭕ → ○, ⦾ ⊚ → ◎,
 * △ is not ▲ and stays), a cell that is only a dash made "—", white space
 * at both ends dropped and every run of it inside made one ASCII space.
 *
 * Only keys and codes go through it.  Free text (results, schedules,
 * reasons) is stored exactly as written.
 */
#ifndef KK_KEYTEXT_H
#define KK_KEYTEXT_H

#include <stddef.h>

/* Room for the normal form of any key Keikaku takes (names are at most 100 characters). */
#define KK_KEY_MAX 512

/*
 * Writes the normal form of `s` into `buf` (of `size` bytes) and returns
 * `buf`.  Text that is not valid UTF-8, or whose normal form does not fit,
 * is copied as it is (cut to fit), so that the comparison it is used for
 * fails rather than matches something else.
 */
const char *kk_key_normalize(char *buf, size_t size, const char *s);

/* Tells whether `a` and `b` are the same key once normalized. */
int kk_key_equal(const char *a, const char *b);

/*
 * The name among the `count` in `known` that `name` is most likely a typo
 * of (at most two letters added, dropped or changed, and fewer than half of
 * them), for "did you mean"; NULL when none is that close.
 */
const char *kk_key_nearest(const char *name, const char *const *known, size_t count);

#endif
