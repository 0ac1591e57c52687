/*
 * import_cell.h - what the cells of a progress report say, one cell at a time.
 *
 * The importer (core/import/import.c) places a row's cells by their values as much
 * as by the header above them; these are the recognisers it uses: progress
 * marks, 達成度 words, 通番, circled measure numbers, headings, department
 * lists, and the clean-up every cell goes through first.
 */
#ifndef KK_IMPORT_CELL_H
#define KK_IMPORT_CELL_H

#include <stddef.h>

#include <jansson.h>

/*
 * The cell as the plan stores it: HTML tags a spreadsheet let through
 * removed (<br> and block tags such as <p> become line breaks), white space
 * at both ends trimmed (U+3000 and U+00A0 included), NFC.  Returns a new
 * string (free()), or NULL when out of memory.
 */
char *kk_cell_clean(const char *raw);

/* Tells whether `s` is only a dash ("—", "―", "－", "-", "ー", …): "none". */
int kk_cell_is_dash(const char *s);

/*
 * The 達成度 code of `s`: "completed" (導入完了), "withdrawn" (取り下げ,
 * 取下げ) or "open" (a dash); NULL for anything else.
 */
const char *kk_cell_achievement(const char *s);

/*
 * Tells whether `s` is a 達成度 word, white space, then more text (two cells
 * merged into one: "導入完了 タブレットを…").  Sets *code and *rest (borrowed,
 * pointing into `s`).
 */
int kk_cell_achievement_merged(const char **code, const char **rest, const char *s);

/*
 * Tells whether `s` is a single symbol, as progress marks are (◎ ○ ▲, but
 * also △ ● × …); circled numbers and dashes are not.
 */
int kk_cell_is_symbol(const char *s);

/*
 * Tells whether `s` is a whole number in ASCII or full-width digits, and
 * stores it in *out (capped at 999999).
 */
int kk_cell_integer(long *out, const char *s);

/* Tells whether `s` is a number, white space and a 達成度 word ("28 導入完了"). */
int kk_cell_integer_achievement(long *out, const char **code, const char *s);

/*
 * Tells whether `s` starts with a measure number: a circled number (① = 1
 * up to ㊿ = 50) or digits followed by a space, "." or ")".  Sets *out and
 * *rest (borrowed: the text after the number and any space, maybe "").
 */
int kk_cell_measure_number(int *out, const char **rest, const char *s);

/* "計画の柱 1. 多様な…": the pillar's number and title (borrowed, maybe ""). */
int kk_cell_pillar_heading(int *out, const char **title, const char *s);

/* "(1) 行政手続きの…", "（１）…" or "⑴…": the section's number and title. */
int kk_cell_section_heading(int *out, const char **title, const char *s);

/*
 * Appends the department names in `s` to `array`, split at spaces, 、 and
 * commas, each once.  Returns 0, or -1 when out of memory.
 */
int kk_cell_departments(json_t *array, const char *s);

/*
 * Tells whether `s` reads as a list of department names: every name (split
 * as kk_cell_departments() splits) is in `known` (an object keyed by name;
 * may be NULL) or ends as an organisation's unit does (課, 室, 局, 部, 所,
 * センター, 館, 会, 院, …), after a trailing ほか, 他 or 等.  Sentences,
 * long names and dashes are not.
 */
int kk_cell_is_department(const char *s, const json_t *known);

/* The length of `s` in code points. */
size_t kk_cell_length(const char *s);

/* Writes `s` cut to `max` code points (ending in "…" when cut) into `buf`. */
void kk_cell_excerpt(char *buf, size_t size, const char *s, size_t max);

/*
 * Writes `s` into `buf` with full-width digits and Latin letters made ASCII
 * and white space removed ("令和３年度" -> "令和3年度").
 */
void kk_cell_compact(char *buf, size_t size, const char *s);

#endif
