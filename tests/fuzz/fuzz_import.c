/*
 * fuzz_import.c - the progress-report importer (core/import/import.h).
 *
 * The input is a TSV or CSV file as a spreadsheet exports it.  It is read
 * as cells (kk_sheet_parse(), by content and as .csv), then imported to a
 * whole plan as `keikaku import --dry-run` does it - the template's
 * settings, rows that cannot be placed skipped - and the plan written out
 * as files checked against Keikaku's schemas (kk_import_files()).
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "import.h"
#include "import_sheet.h"
#include "json.h"
#include "plan.h"

/* The template's settings and schema/, loaded on the first input and kept. */
static json_t *settings;
static kk_fileset schemas;

static void load_fixed_files(void)
{
	static const char *const names[] = {"keikaku.schema.json", "departments.schema.json",
					    "plan.schema.json", "item.schema.json"};
	kk_diag diag = {0};

	FUZZ_CHECK(kk_json_load_file(&settings, KK_SOURCE_DIR "/repo-template/" KK_PATH_SETTINGS,
				     NULL, &diag) == 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[512], target[128];
		json_t *doc = NULL;
		char *text;

		snprintf(path, sizeof(path), "%s/schema/%s", KK_SOURCE_DIR, names[i]);
		snprintf(target, sizeof(target), "schema/%s", names[i]);
		FUZZ_CHECK(kk_json_load_file(&doc, path, NULL, &diag) == 0);
		FUZZ_CHECK((text = json_dumps(doc, JSON_COMPACT)) != NULL);
		FUZZ_CHECK(kk_fileset_put(&schemas, target, text, strlen(text), &diag) == 0);
		free(text);
		json_decref(doc);
	}
}

static void parse_sheet(const char *data, size_t size, const char *name)
{
	kk_sheet *sheet = NULL;
	kk_diag diag = {0};
	int error = kk_sheet_parse(&sheet, data, size, name, &diag);

	FUZZ_CHECK(error == 0 || error == KK_EINVALID || error == KK_ELIMIT || error == KK_ENOMEM);
	if (error == 0) {
		FUZZ_CHECK(sheet->delimiter == '\t' || sheet->delimiter == ',');
		for (size_t i = 0; i < sheet->count; i++) {
			FUZZ_CHECK(sheet->rows[i].line >= 1);
			for (size_t j = 0; j < sheet->rows[i].count; j++)
				FUZZ_CHECK(sheet->rows[i].cells[j] != NULL);
		}
	}
	kk_sheet_free(sheet);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kk_import_options opts = {.settings = NULL, .force = 1};
	kk_fileset files = {0};
	kk_diaglist rows = {0};
	kk_diag diag = {0};
	kk_import *imp = NULL;
	int error;

	if (!settings)
		load_fixed_files();
	opts.settings = settings;

	parse_sheet((const char *)data, size, NULL);
	parse_sheet((const char *)data, size, "report.csv");

	error = kk_import_read(&imp, (const char *)data, size, &opts, &rows, &diag);
	FUZZ_CHECK(error == 0 || error == KK_EINVALID || error == KK_ELIMIT || error == KK_ENOMEM);
	if (error < 0)
		goto done;
	FUZZ_CHECK(json_array_size(imp->items) > 0 && imp->skipped == rows.count);
	for (size_t i = 0; i < schemas.count; i++)
		FUZZ_CHECK(kk_fileset_put_file(&files, &schemas.files[i], &diag) == 0);
	kk_import_files(&files, imp, &diag);
done:
	kk_fileset_clear(&files);
	kk_import_free(imp);
	kk_diaglist_clear(&rows);
	return 0;
}
