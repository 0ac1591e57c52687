/*
 * history_gen.h - what the two parts of bench/history_gen share: the
 * generator's state and its random numbers (history_gen.c), and the people
 * and texts of the plan (history_words.c).
 */
#ifndef KK_HISTORY_GEN_H
#define KK_HISTORY_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "fileset.h"

#define HG_TEXT_MAX   16384
#define HG_ADMIN_DEPT "デジタル戦略課"

#define NELEM(a) (sizeof(a) / sizeof(*(a)))

typedef struct hg_person {
	const char *name;
	const char *user;
	const char *dept;
} hg_person;

/* The people who report; the first is the plan office's administrator. */
extern const hg_person hg_people[];
extern const size_t hg_people_count;

typedef struct hg_gen {
	uint64_t rng;
	size_t items;
	size_t commits;
	json_t *settings;
	json_t *departments;
	json_t *structure;
	const json_t *item_schema;
	kk_fileset schemas;	  /* "schema/NAME.schema.json" -> bytes */
	json_t *schema_docs;	  /* path -> parsed schema */
	json_t **item;		  /* item[id], 1-based */
	size_t *changes;	  /* commits per item, 1-based */
	const char **owner_depts; /* departments with someone to act for them */
	size_t owner_dept_count;
	size_t *dept_turn; /* per person-department: whose turn it is */
	size_t hot5[5], hot5_count;
	size_t *hot100, hot100_count;
	size_t mark; /* the last commit's fast-import mark */
	FILE *out;
} hg_gen;

/* splitmix64: small, fast, and the same stream for the same seed everywhere. */
static inline uint64_t hg_rnd(hg_gen *g)
{
	uint64_t z = (g->rng += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static inline size_t hg_below(hg_gen *g, size_t n)
{
	return (size_t)(hg_rnd(g) % n);
}

/* A text being built; what does not fit is cut. */
typedef struct hg_text {
	char buf[HG_TEXT_MAX];
	size_t len;
} hg_text;

/* Empties `t`. */
void hg_text_clear(hg_text *t);

/* Appends `n` bytes of `s`, the string `s`, or the number `n` (with a thousands comma). */
void hg_put(hg_text *t, const char *s, size_t n);
void hg_puts(hg_text *t, const char *s);
void hg_putn(hg_text *t, unsigned long n, int grouped);

/* The title of item `id`: its subject, an action and sometimes an area. */
void hg_make_title(hg_gen *g, char *buf, size_t size, size_t id);

/* Sets `t` to a schedule for `item` in fiscal year `year`. */
void hg_make_schedule(hg_gen *g, hg_text *t, const json_t *item, int year);

/* Sets `t` to a result of a few hundred characters; `old` (may be NULL) is sometimes extended. */
void hg_make_result(hg_gen *g, hg_text *t, const json_t *item, int year, const char *old);

/* Sets `t` to the reason an owner gives for changing `field` of `item` in `year`. */
void hg_make_reason(hg_gen *g, hg_text *t, const char *field, const json_t *item, int year);

#endif
