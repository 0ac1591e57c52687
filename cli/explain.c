/*
 * explain.c - `keikaku import --explain`: how each row of a report was read.
 *
 * The importer (core/import/import.h) records, for every row, what it took
 * the row for and, for an item's row, which cell became which field and
 * why.  This prints it the way a plan office checks a report: one block per
 * row, each cell named as the spreadsheet names it (C14), its text cut
 * short, the field in the report's own words, and the reason.  Also what
 * `import` and `init --import` share about a report's problems and its
 * corrections file.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "import.h"
#include "json.h"

#define TEXT_WIDTH  22
#define LABEL_WIDTH 28

/* The spreadsheet's name of column `column` (1-based): A … Z, AA … */
static void column_name(char *buf, size_t size, json_int_t column)
{
	char tmp[16];
	size_t n = 0;

	while (column > 0 && n < sizeof(tmp)) {
		column--;
		tmp[n++] = (char)('A' + column % 26);
		column /= 26;
	}
	if (n >= size)
		n = size - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
}

/* The cell's text on one line: line breaks shown as spaces. */
static void one_line(char *buf, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s && n + 1 < size; s++)
		buf[n++] = *s == '\n' || *s == '\t' ? ' ' : *s;
	/* Do not end inside a UTF-8 sequence cut by the buffer. */
	while (n > 0 && *s && ((unsigned char)buf[n] & 0xC0) == 0x80)
		n--;
	buf[n] = '\0';
}

static void print_row(FILE *out, const json_t *row)
{
	json_int_t line = json_integer_value(json_object_get(row, "row"));
	const char *what = json_string_value(json_object_get(row, "what"));
	const char *problem = json_string_value(json_object_get(row, "problem"));
	const json_t *id = json_object_get(row, "id"), *cell;
	size_t i;

	char where[160];

	/* In a workbook of several sheets, a row is named with its sheet. */
	if (json_string_value(json_object_get(row, "sheet")))
		snprintf(where, sizeof(where), _("row %lld of sheet %s"), (long long)line,
			 json_string_value(json_object_get(row, "sheet")));
	else
		snprintf(where, sizeof(where), _("row %lld"), (long long)line);
	if (what && !problem) {
		fprintf(out, "%s: %s\n", where, what);
		return;
	}
	if (problem)
		fprintf(out, _("%s: cannot be imported: %s\n"), where, problem);
	else
		fprintf(out, _("%s: item %lld\n"), where, (long long)json_integer_value(id));
	json_array_foreach(json_object_get(row, "cells"), i, cell) {
		char name[24], text[512];

		json_int_t column = json_integer_value(json_object_get(cell, "column"));

		/* Column 0: read from no cell (the 施策 of the row above). */
		column_name(name, sizeof(name), column);
		if (column > 0)
			snprintf(name + strlen(name), sizeof(name) - strlen(name),
				 "%" JSON_INTEGER_FORMAT, line);
		one_line(text, sizeof(text), json_string_value(json_object_get(cell, "text")));
		fputs("  ", out);
		render_padded(out, name, 7);
		render_fitted(out, *text ? text : _("(empty)"), TEXT_WIDTH);
		fputs("  ", out);
		render_padded(out, json_string_value(json_object_get(cell, "label")), LABEL_WIDTH);
		fprintf(out, "  %s\n", json_string_value(json_object_get(cell, "why")));
	}
}

void cli_import_explain(FILE *out, const json_t *explain)
{
	const json_t *row;
	size_t i;

	json_array_foreach(explain, i, row)
		print_row(out, row);
}

void cli_import_print_problems(const kk_diaglist *rows)
{
	for (size_t i = 0; i < rows->count; i++) {
		const kk_diag *d = &rows->items[i];

		if (d->line)
			fprintf(stderr, "%s:%zu: %s\n", d->path, d->line, d->message);
		else /* the corrections file: FILE: /corrections/2/set: reason */
			fprintf(stderr, "%s: %s: %s\n", d->path, d->pointer[0] ? d->pointer : "/",
				d->message);
	}
}

const cli_option cli_import_options[] = {
	CLI_OPT_BOOL(0, "explain", cli_import_args, explain,
		     N_("show how each row is read, cell by cell; create or send nothing")),
	CLI_OPT_BOOL(0, "force", cli_import_args, force,
		     N_("skip the rows that cannot be imported")),
	CLI_OPT_STRING(0, "corrections", cli_import_args, corrections, "FILE",
		       N_("set fields or skip rows that no reading can decide (see docs/cli.md); "
			  "they go in the commit message")),
	CLI_OPT_STRING(0, "title", cli_import_args, title, "TEXT",
		       N_("the plan's title (default: the template's; for import, the plan's "
			  "own)")),
	CLI_OPT_STRING(0, "organisation", cli_import_args, organisation, "TEXT",
		       N_("whose plan it is")),
	CLI_OPT_STRING(0, "admin-department", cli_import_args, admin, "NAME",
		       N_("the department that administers the plan")),
	CLI_OPT_END(),
};

void cli_import_args_apply(kk_import_options *opts, const cli_import_args *args)
{
	opts->title = args->title;
	opts->organisation = args->organisation;
	opts->admin = args->admin;
	opts->force = args->force;
}

int cli_import_corrections(json_t **out, const char *path)
{
	kk_diag diag = {0};

	*out = NULL;
	if (!path)
		return EXIT_OK;
	if (kk_json_load_file(out, path, NULL, &diag) < 0) {
		if (!diag.path[0])
			kk_diag_set_path(&diag, path);
		cli_error_diag(&diag);
		return diag.code == KK_ENOTFOUND || diag.code == KK_EIO ? EXIT_USAGE : EXIT_NO;
	}
	return EXIT_OK;
}

char *cli_import_corrections_text(const json_t *corrected, const char *path)
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const json_t *c, *field;
	kk_buf text = {0};
	size_t i, j;

	if (json_array_size(corrected) == 0)
		return NULL;
	/* The commit message is the plan's record, in one language for every reader. */
	kk_buf_printf(&text, "Corrections from %s:\n", name);
	json_array_foreach(corrected, i, c) {
		kk_buf_printf(&text, "- row %lld",
			      (long long)json_integer_value(json_object_get(c, "row")));
		if (json_object_get(c, "sheet"))
			kk_buf_printf(&text, " of sheet %s",
				      json_string_value(json_object_get(c, "sheet")));
		if (json_object_get(c, "id"))
			kk_buf_printf(&text, ", item %lld",
				      (long long)json_integer_value(json_object_get(c, "id")));
		if (json_object_get(c, "skipped"))
			kk_buf_puts(&text, ": skipped");
		{
			const char *column;
			const json_t *cell;
			const char *sep = ": ";

			json_object_foreach((json_t *)json_object_get(c, "cells"), column, cell) {
				kk_buf_printf(
					&text, "%scell %s%lld = '%s'", sep, column,
					(long long)json_integer_value(json_object_get(c, "row")),
					json_string_value(cell));
				sep = ", ";
			}
		}
		json_array_foreach(json_object_get(c, "fields"), j, field)
			kk_buf_printf(&text, "%s%s", j ? ", " : ": ", json_string_value(field));
		kk_buf_printf(&text, " (%s)\n", json_string_value(json_object_get(c, "reason")));
	}
	if (text.failed) {
		kk_buf_clear(&text);
		return NULL;
	}
	return text.data;
}

int cli_import_read(kk_import **out, const char *file, const kk_import_options *opts, int creating)
{
	kk_diaglist rows = {0};
	kk_diag diag = {0};
	size_t bad = 0;
	int error, code = EXIT_OK;

	error = kk_import_read_file(out, file, opts, &rows, &diag);
	cli_import_print_problems(&rows);
	for (size_t i = 0; i < rows.count; i++)
		bad += rows.items[i].line > 0;
	if (opts->explain)
		cli_import_explain(stdout, opts->explain);
	if (error < 0) {
		if (bad < rows.count || !rows.count) /* the corrections file, or the file itself */
			cli_error_diag(&diag);
		if (bad && !opts->force && creating)
			cli_error(P_("'%s' has %zu row that cannot be imported; no repository was "
				     "created",
				     "'%s' has %zu rows that cannot be imported; no repository was "
				     "created",
				     bad),
				  file, bad);
		else if (bad && !opts->force)
			cli_error(
				P_("'%s' has %zu row that cannot be imported; nothing was imported",
				   "'%s' has %zu rows that cannot be imported; nothing was imported",
				   bad),
				file, bad);
		if (bad && !opts->explain)
			fputs(_("hint: '--explain' shows how each row was read; a corrections file "
				"('--corrections FILE') can set a row's fields or skip it\n"),
			      stderr);
		code = error == KK_EIO ? EXIT_USAGE : error == KK_EINVALID ? EXIT_NO : EXIT_FAIL;
	} else if ((*out)->skipped) {
		cli_error(P_("skipped %zu row of '%s' that cannot be imported",
			     "skipped %zu rows of '%s' that cannot be imported", (*out)->skipped),
			  (*out)->skipped, file);
	}
	kk_diaglist_clear(&rows);
	return code;
}
