/*
 * import.h - a plan from a progress report exported from a spreadsheet.
 *
 * `keikaku import` and `keikaku init --import` read a progress report (進捗状況)
 * laid out as docs/data-model.md describes: the 進捗度 legend, 計画の柱 and
 * section headings, and one table per section whose two header rows name
 * the 令和N年度 column groups.  Real exports are messy, so columns are found
 * by their headers and by their values (◎○▲, the 達成度 words, the 通番),
 * not by position alone; docs/data-model.md ("How the importer reads a
 * report") lists every rule.
 *
 * The result is a whole plan: keikaku.json, departments.json, plan.json
 * and one item per row.  Rows the importer cannot place are reported, each
 * with its line and the reason, and nothing is imported unless the caller
 * asks for such rows to be skipped.
 */
#ifndef KK_IMPORT_H
#define KK_IMPORT_H

#include <jansson.h>

#include "common.h"
#include "fileset.h"

typedef struct kk_import_options {
	const char *name;	  /* the file's name: its extension picks TSV or CSV; may be NULL */
	const json_t *settings;	  /* a keikaku.json to start from (eras, phases, title); may be
				     NULL for the built-in one (令和, the usual phases) */
	const char *title;	  /* the plan's title; NULL: the settings' own */
	const char *organisation; /* NULL: the settings' own, if any */
	const char *admin;	  /* the department to mark as admin; NULL: none */
	int force;		  /* skip the rows that cannot be placed instead of failing */
	/*
	 * When not NULL, an array to which how each row of the file was read is
	 * appended, whether or not the import succeeds: {"row": N, "what": "…"}
	 * for headings, headers, the legend and notes, and for a data row
	 * {"row": N, "id"?: 26, "cells": [{"column": 3, "text": "…", "field":
	 * "title", "label": "項目", "why": "…"}], "problem"?: "…"}.  Texts are
	 * in the caller's language.
	 */
	json_t *explain;
	/*
	 * A corrections file, parsed (import_fix.c and docs/cli.md say what it
	 * holds), and its name for messages; NULL for none.
	 */
	const json_t *corrections;
	const char *corrections_name;
} kk_import_options;

typedef struct kk_import {
	json_t *settings;     /* keikaku.json */
	json_t *departments;  /* departments.json */
	json_t *structure;    /* plan.json */
	json_t *items;	      /* the items, ascending by id */
	int year;	      /* the report's fiscal year (令和3年度: 2021) */
	size_t skipped;	      /* rows left out because of `force` */
	/*
	 * The corrections applied, in row order: {"row": N, "id"?: 26,
	 * "fields": ["owners", "years.2021.revised"], "reason": "…"}, or
	 * {"row": N, "skipped": true, "reason": "…"}.  Empty without any.
	 */
	json_t *corrected;
	const char *encoding; /* "UTF-8", "UTF-16LE", "UTF-16BE", "CP932" or "xlsx"; static */
	char delimiter;	      /* '\t' or ',' */
} kk_import;

/*
 * Reads the report in `len` bytes at `data`.  Every row that cannot be
 * placed adds one entry to `rows` (code KK_EINVALID, `line` the row's
 * 1-based line in the file, `path` the file's name, `message` the reason);
 * so does every problem of the corrections file (`path` its name, `line` 0,
 * `pointer` the entry's place in it) and every entry that matches nothing.
 * When there is any, the call fails with KK_EINVALID, unless `force` is set:
 * those rows are then left out and counted in `skipped` (problems of the
 * corrections file always fail, `force` or not).  It also fails
 * with KK_EINVALID, and `diag`, when the file is not text or holds no
 * report table, or no row at all can be imported; KK_ELIMIT when it is too
 * large; KK_ENOMEM.  On success *out is freed with kk_import_free().
 */
int kk_import_read(kk_import **out, const char *data, size_t len, const kk_import_options *opts,
		   kk_diaglist *rows, kk_diag *diag);
void kk_import_free(kk_import *import);

/*
 * As kk_import_read(), on the file at `path` (the options' name defaults
 * to it).  Fails with KK_EIO, naming the file and errno's reason, when it
 * cannot be read.
 */
int kk_import_read_file(kk_import **out, const char *path, const kk_import_options *opts,
			kk_diaglist *rows, kk_diag *diag);

/*
 * Adds the imported plan's files (keikaku.json, departments.json, plan.json,
 * items/NNNN.json) to `files`, in canonical form, using the schemas under
 * schema/ already in `files`.  Fails with KK_ENOTFOUND when a schema is
 * missing, KK_EINVALID when one does not parse, KK_ENOMEM.
 */
int kk_import_files(kk_fileset *files, const kk_import *import, kk_diag *diag);

#endif
