/*
 * report.h - the published progress table (進捗状況) of a fiscal year.
 *
 * kk_report_build() turns a plan into one format-neutral model: the plan's
 * pillars, sections and measures in plan order, and under each measure its
 * items by 通番, each a row of the report's cells as the report writes them
 * (◎○▲ marks, 導入完了/取り下げ/— labels, owners joined by a space, related
 * departments by 、, empty cells for absent values).  The writers then lay
 * the model out as TSV (the sample report's shape, which keikaku import
 * reads back), CSV for Excel, Markdown (report_text.c), one self-contained
 * HTML page (report_html.c), xlsx (report_xlsx.c) or JSON (report_json.c).
 * docs/report.md describes every format.
 *
 * The report on fiscal year Y has the columns of Y-1 (計画スケジュール,
 * 進捗度, 達成度, 取組内容または結果), of Y (計画スケジュール,
 * 変更スケジュール, 進捗度, 取組内容または結果) and Y+1's 変更スケジュール.
 *
 * Report text is plan data in the report's own words, so it is not
 * translated; only error messages are.
 */
#ifndef KK_REPORT_H
#define KK_REPORT_H

#include <stdint.h>

#include <jansson.h>

#include "common.h"
#include "plan.h"

/* The table's columns, in the report's order. */
typedef enum kk_report_column {
	KK_REPORT_MEASURE,	    /* 施策: "① テレワークの拡大" */
	KK_REPORT_DESCRIPTION,	    /* 施策の内容: the measure's description */
	KK_REPORT_TITLE,	    /* 項目, after "【R3追加】" for an item added mid-plan */
	KK_REPORT_OWNERS,	    /* 担当課: "税務課 市民課" */
	KK_REPORT_RELATED,	    /* 関係課: "社会福祉課、子ども福祉課" */
	KK_REPORT_PREV_PLANNED,	    /* Y-1: 計画スケジュール */
	KK_REPORT_PREV_PROGRESS,    /* Y-1: 進捗度 (◎ ○ ▲) */
	KK_REPORT_PREV_ACHIEVEMENT, /* Y-1: 達成度 (導入完了, 取り下げ, —) */
	KK_REPORT_PREV_RESULT,	    /* Y-1: 取組内容または結果 */
	KK_REPORT_PLANNED,	    /* Y: 計画スケジュール */
	KK_REPORT_REVISED,	    /* Y: 変更スケジュール */
	KK_REPORT_PROGRESS,	    /* Y: 進捗度 */
	KK_REPORT_RESULT,	    /* Y: 取組内容または結果 */
	KK_REPORT_NEXT_REVISED,	    /* Y+1: 変更スケジュール */
	KK_REPORT_ID,		    /* 通番 */
	KK_REPORT_STATUS,	    /* 達成度: the item's status */
	KK_REPORT_COLUMNS
} kk_report_column;

/* What a column is. */
typedef struct kk_report_column_info {
	const char *key;   /* its name in the JSON model: "measure", "year.progress" */
	const char *label; /* the header cell: "施策", "進捗度" */
	int year;	   /* -1, 0 or +1: under the header of year Y-1, Y or Y+1; else 2 */
	const char *field; /* the item field ("title", "planned"...) or plan.json's */
} kk_report_column_info;

/* The column `c`'s description (static). */
const kk_report_column_info *kk_report_column_describe(kk_report_column c);

/*
 * One item's row.  `cells` are never NULL ("" when empty); the 施策 and
 * 施策の内容 cells repeat its measure's.
 */
typedef struct kk_report_row {
	json_int_t id;
	char *cells[KK_REPORT_COLUMNS];
	unsigned changed; /* bit 1u << column for each cell changed since the base */
	int added;	  /* the item is new since the base */
} kk_report_row;

/* A measure and its rows; its two cells open its first row, as merged cells do. */
typedef struct kk_report_measure {
	json_int_t number;
	char *label;	   /* 施策: "① テレワークの拡大" */
	char *description; /* 施策の内容, or "" */
	unsigned changed;  /* bits of KK_REPORT_MEASURE and KK_REPORT_DESCRIPTION */
	kk_report_row *rows;
	size_t nrows;
	size_t rows_alloc;
} kk_report_measure;

typedef struct kk_report_section {
	json_int_t number;
	char *heading; /* "(1) 行政手続きの原則オンライン化" */
	int changed;   /* its title changed since the base */
	kk_report_measure *measures;
	size_t nmeasures;
	size_t nrows; /* rows in all its measures */
} kk_report_section;

/* Year Y's progress marks over some rows. */
typedef struct kk_report_counts {
	size_t rows;			/* rows counted */
	size_t ahead, on_track, behind; /* ◎ ○ ▲ in year Y */
} kk_report_counts;

typedef struct kk_report_pillar {
	json_int_t number;
	char *title; /* "多様なライフスタイルに対応した行政サービス" */
	char *heading; /* "計画の柱 1. 多様なライフスタイルに対応した行政サービス" */
	int changed;
	kk_report_section *sections;
	size_t nsections;
	kk_report_counts counts;
} kk_report_pillar;

/* An item the base had and the report's plan does not. */
typedef struct kk_report_removed {
	json_int_t id;
	char *title;
} kk_report_removed;

typedef struct kk_report {
	int year;	     /* Y */
	char *title;	     /* keikaku.json's title: "空閑市DX推進計画" */
	char *organisation;  /* or NULL */
	char *year_names[3]; /* Y-1, Y, Y+1 as the report names them: "令和3年度" */
	char *commit;	     /* the plan's commit (hex), or NULL */
	int64_t time;	     /* its committer time (seconds), or 0 */
	char *since;	     /* the base revision as the user named it, or NULL */
	char *since_commit;  /* its commit (hex), or NULL */
	kk_report_pillar *pillars;
	size_t npillars;
	kk_report_counts counts; /* the whole plan */
	size_t nrows;
	size_t nchanged; /* cells marked changed, headings included */
	kk_report_removed *removed;
	size_t nremoved;
	size_t removed_alloc;
} kk_report;

/* Where the plan comes from, and what to compare it with (all optional). */
typedef struct kk_report_source {
	const char *commit;    /* the plan's commit id (hex) */
	int64_t time;	       /* its committer time */
	const json_t *changes; /* kk_diff_commits() from the base to the plan's commit */
	const char *since;     /* how the user named the base ("fy2020") */
} kk_report_source;

/*
 * Builds the report on fiscal year `year` of `plan`.  `src` may be NULL.
 * With src->changes, each cell the difference touches is marked changed:
 * item fields by their path (years.2021.progress marks the Y 進捗度 cell; a
 * whole added year or item marks all its cells), plan.json's measure,
 * section and pillar titles by theirs.
 *
 * Every item is a row, except those added after Y+1 (added_in).  Fails
 * with KK_ENOTFOUND when `year` is not a year of keikaku.json, KK_EINVALID
 * when an item's measure is not in plan.json (naming the item), KK_ENOMEM.
 * Free with kk_report_free().
 */
int kk_report_build(kk_report **out, const kk_plan *plan, int year, const kk_report_source *src,
		    kk_diag *diag);
void kk_report_free(kk_report *report);

/*
 * The same, one item at a time, for a plan too large to hold parsed at once
 * (on 10,000 items the parsed items take more than the report): begin with
 * the plan's settings (keikaku.json) and structure (plan.json), add each
 * item in any order, then end, which frees the builder, as
 * kk_report_builder_free() does when giving up.  The builder keeps
 * references to `settings` and src->changes, and copies of what else it
 * needs; kk_report_build() is these calls over plan->items.  Each fails as
 * kk_report_build() does: begin with KK_ENOTFOUND, add with KK_EINVALID;
 * after one fails out of memory the builder is only to be freed.
 */
typedef struct kk_report_builder kk_report_builder;
int kk_report_begin(kk_report_builder **out, const json_t *settings, const json_t *structure,
		    int year, const kk_report_source *src, kk_diag *diag);
int kk_report_add(kk_report_builder *builder, const json_t *item, kk_diag *diag);
/*
 * Adds the item file `path` of `len` bytes at `data`, checked as kk_plan_load() checks
 * it (kk_plan_parse_item()): JSON, an object, whose id is its file name's.  A path that
 * names no item file is skipped.  Fails as kk_plan_parse_item() does, or as
 * kk_report_add() does with the file named as well.
 */
int kk_report_add_file(kk_report_builder *builder, const char *path, const char *data, size_t len,
		       kk_diag *diag);
int kk_report_end(kk_report **out, kk_report_builder *builder, kk_diag *diag);
void kk_report_builder_free(kk_report_builder *builder);

typedef enum kk_report_format {
	KK_REPORT_TSV,
	KK_REPORT_CSV,
	KK_REPORT_MD,
	KK_REPORT_HTML,
	KK_REPORT_XLSX,
	KK_REPORT_JSON,
} kk_report_format;

/* Parses "tsv", "csv", "md", "html", "xlsx" or "json"; returns 0 or KK_EINVALID. */
int kk_report_format_parse(kk_report_format *out, const char *name);

typedef enum kk_report_encoding {
	KK_REPORT_UTF8,
	KK_REPORT_CP932, /* Windows-31J, what Japanese Excel opens a CSV file as */
} kk_report_encoding;

typedef struct kk_report_text_opts {
	kk_report_encoding encoding; /* tsv and csv only */
	int no_bom;		     /* csv in UTF-8: leave out the byte order mark */
	/* html only, each written as it is or NULL: before </head>, and after <body> */
	const char *html_head;
	const char *html_body;
} kk_report_text_opts;

/*
 * Writes `report` in a text format (every one but xlsx) into *out, a
 * buffer the caller frees with free(), of *len_out bytes (NUL-terminated
 * too).  `opts` may be NULL (UTF-8, CSV with a BOM).
 *
 *   tsv   the sample report's layout: two blank lines, then per section the
 *         legend (進捗度の凡例), the pillar and section headings each
 *         between blank lines, two header rows and one row per item; LF;
 *         a cell holding a tab, a line break or a leading '"' is quoted as
 *         Excel quotes it when copying
 *   csv   the same rows, RFC 4180 (CRLF, quoted where needed), UTF-8 with a
 *         BOM unless opts->no_bom, or CP932
 *   md    headings, the legend, a summary and one table per section
 *   html  one self-contained page (inline CSS and SVG chart; no scripts)
 *   json  kk_report_json()
 *
 * Fails with KK_EINVALID for xlsx or an encoding other than UTF-8 for a
 * format other than tsv and csv, and when a character has no CP932 code
 * (naming the item, the column and the character), KK_ENOMEM.
 */
int kk_report_render(char **out, size_t *len_out, const kk_report *report, kk_report_format format,
		     const kk_report_text_opts *opts, kk_diag *diag);

/*
 * The model as JSON (new reference, or NULL when out of memory):
 *
 * {"title", "organisation", "year": 2021,
 *  "years": [{"year": 2020, "name": "令和2年度"}, {2021...}, {2022...}],
 *  "commit", "changes_since": null | {"revision": "fy2020", "commit", "cells"},
 *  "columns": [{"key": "measure", "label": "施策", "year": null}, ...,
 *              {"key": "prev.planned", "label": "計画スケジュール", "year": 2020}, ...],
 *  "summary": {"rows", "ahead", "on_track", "behind",
 *              "pillars": [{"number", "title", "rows", "ahead", "on_track", "behind"}]},
 *  "pillars": [{"number", "title", "heading", "changed": bool,
 *               "sections": [{"number", "heading", "changed",
 *                             "measures": [{"number", "cells": {"measure", "description"},
 *                                           "changed": ["description"],
 *                                           "items": [{"id", "cells": {key: text...},
 *                                                      "changed": [key...], "added": bool}]}]}]}],
 *  "removed": [{"id", "title"}]}
 */
json_t *kk_report_json(const kk_report *report);

/*
 * Writes `report` as an xlsx workbook to `path` (report_xlsx.c): one sheet
 * named for the year, the legend, the two header rows (frozen) with
 * 令和N年度 merged over its columns, pillar and section headings merged
 * over the width, measure cells merged down their rows, wrapped text and
 * fixed column widths.  `tmpdir` (may be NULL) is where libxlsxwriter keeps
 * its temporary files.  Fails with KK_EIO when the file cannot be written,
 * KK_ELIMIT for a cell over Excel's 32,767 characters (naming the item).
 */
int kk_report_write_xlsx(const kk_report *report, const char *path, const char *tmpdir,
			 kk_diag *diag);

#endif
