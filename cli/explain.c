/*
 * explain.c - `keikaku import --explain`: how each row of a report was read.
 *
 * The importer (core/import/import.h) records, for every row, what it took
 * the row for and, for an item's row, which cell became which field and
 * why.  This prints it the way a plan office checks a report: one block per
 * row, each cell named as the spreadsheet names it (C14), its text cut
 * short, the field in the report's own words, and the reason.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "import.h"

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

	if (what && !problem) {
		fprintf(out, _("row %lld: %s\n"), (long long)line, what);
		return;
	}
	if (problem)
		fprintf(out, _("row %lld: cannot be imported: %s\n"), (long long)line, problem);
	else
		fprintf(out, _("row %lld: item %lld\n"), (long long)line,
			(long long)json_integer_value(id));
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
