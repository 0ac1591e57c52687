#!/usr/bin/env bash
# keikaku init --import with an Excel workbook (.xlsx): the workbooks that
# tests/fixtures/import/make_xlsx.py wrote with openpyxl from the example's
# report (measures, headings and owners merged) import to the same tree as
# the TSV; Keikaku's own `report --format xlsx` imports back to the same
# tree; an .xls, an .ods and a broken workbook are refused with a message
# and nothing created.  The cells themselves are checked one by one in
# tests/test_xlsx.c.
. "$(dirname "$0")/lib.bash"
cd "$work"
fixtures=$KK_SOURCE_DIR/tests/fixtures/import/xlsx
sample=$KK_SOURCE_DIR/examples/dx-plan-r3/progress-report-R3-part1.tsv

same_tree() { # DESCRIPTION REPO: the same plan as tsv.git, file by file
	local path
	for path in items plan.json departments.json keikaku.json; do
		check "$1: $path" test "$(git -C tsv.git rev-parse "main:$path")" = \
			"$(git -C "$2" rev-parse "main:$path")"
	done
}

kk init tsv.git --import "$sample" >/dev/null

# A person's workbook of the example, merged cells and all.
expect 0 "*" "" \
	-- kk init merged.git --import "$fixtures/example-merged.xlsx"
same_tree "measures and headings merged" merged.git
expect 0 "*" "" -- kk init owners.git --import "$fixtures/example-owners-merged.xlsx"
same_tree "owners merged too" owners.git
expect 0 "Create plan '新しい計画' with 35 items

Imported from example-merged.xlsx" "" -- git -C merged.git log -1 --format=%B

# Keikaku's own xlsx report.  Its cells are read as openpyxl reads them
# (tests/test_xlsx.c, test_as_openpyxl_reads, on a copy in the fixtures).
kk -C tsv.git report --fy 2021 --format xlsx --output "$work/report.xlsx"
# Its two header rows are once, at the top, and the tables under the later
# headings repeat none: their rows are read with the header above them.
expect 0 "*" "" -- kk init report.git --import "$work/report.xlsx"
same_tree "keikaku's own xlsx report" report.git

# --explain names an owner merged down its items as the workbook says it.
expect 0 "  D71    (empty)                 担当課                        merged with the cell above in the workbook: the 担当課 of the row above" "" \
	-- sh -c "\"$KEIKAKU\" init x.git --import '$fixtures/example-owners-merged.xlsx' --explain | grep '^  D71 '"

# A report over two sheets, the second without a header of its own, one cell of it
# mistyped: the message names the sheet, and so must the correction.
shapes=$fixtures/shapes-sheets.xlsx
expect 1 "" "$shapes[柱2]:9: unknown 進捗度 '△' (expected ◎, ○ or ▲)
keikaku: '$shapes' has 1 row that cannot be imported; no repository was created
hint: '--explain' shows how each row was read; a corrections file ('--corrections FILE') can set a row's fields or skip it" \
	-- kk init sheets.git --import "$shapes"
check "--explain names the sheet" sh -c "\"$KEIKAKU\" init x.git --import '$shapes' --explain 2>/dev/null | grep -qx 'row 9 of sheet 柱2: cannot be imported: unknown 進捗度 .△. (expected ◎, ○ or ▲)'"
printf '{"corrections": [{"row": 9, "cells": {"G": "○"}, "reason": "△は○の誤り"}]}' >nosheet.json
check "a row of a workbook of several sheets needs its sheet" sh -c \
	"\"$KEIKAKU\" init x.git --import '$shapes' --corrections nosheet.json 2>&1 | grep -q \"has 2 sheets: give the entry's 'sheet' as well as its 'row'\""
printf '{"corrections": [{"row": 9, "sheet": "柱2", "cells": {"G": "○"}, "reason": "△は○の誤り"}]}' >sheet.json
expect 0 "*" "" -- kk init sheets.git --import "$shapes" --corrections sheet.json
kk init shapes-tsv.git --import "$KK_SOURCE_DIR/tests/fixtures/import/shapes/report.tsv" >/dev/null
for path in items plan.json departments.json; do
	check "two sheets, corrected: $path as the TSV's" test "$(git -C shapes-tsv.git rev-parse "main:$path")" = \
		"$(git -C sheets.git rev-parse "main:$path")"
done
check "the correction on record, with its sheet" sh -c "git -C sheets.git log -1 --format=%b | grep -qxF -e \"- row 9 of sheet 柱2: cell G9 = '○' (△は○の誤り)\""

# What is not an .xlsx, or not a whole one.
printf '\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0' >old.xls
expect 1 "" "keikaku: 'old.xls' is an Excel 97-2003 workbook (.xls) or one with a password: save it as an Excel workbook (.xlsx) without a password" \
	-- kk init xls.git --import old.xls
check "nothing created for an .xls" test ! -e xls.git
expect 1 "" "keikaku: '$fixtures/truncated.xlsx' is not a whole .xlsx workbook: its zip directory is missing or damaged (is the file cut short?)" \
	-- kk init cut.git --import "$fixtures/truncated.xlsx"
expect 3 "" "keikaku: '$fixtures/bomb.xlsx': xl/worksheets/sheet1.xml takes the workbook over 64 MiB uncompressed" \
	-- kk init bomb.git --import "$fixtures/bomb.xlsx"
check "nothing created for a broken workbook" test ! -e cut.git -a ! -e bomb.git
LC_ALL=ja_JP.UTF-8 expect 1 "" "keikaku: 「old.xls」は Excel 97-2003 ブック (.xls) かパスワード付きのブックです。パスワードなしの Excel ブック (.xlsx) として保存してください" \
	-- kk init xls.git --import old.xls
LC_ALL=ja_JP.UTF-8 expect 1 "" "keikaku: 「$fixtures/bad-string.xlsx」: シート「Sheet」のセル A1 が共有文字列「99999」を指していますが、共有文字列は 1 個しかありません" \
	-- kk init bad.git --import "$fixtures/bad-string.xlsx"
finish
