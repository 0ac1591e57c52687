#!/usr/bin/env bash
# keikaku report: every format from the CLI, the sample's TSV exactly, CSV for Excel (BOM,
# CP932), the output file written all or nothing, --at and --changes-since, every bad argument.
. "$(dirname "$0")/lib.bash"
repo=$(example_repo)
fixtures=$KK_SOURCE_DIR/tests/fixtures/report
cd "$repo"

# TSV is the default, and every spelling of the year means the same one.
expect 0 "$(cat "$fixtures/fy2021.tsv")" "" -- kk report --fy R3
for fy in 2021 FY2021 令和3 令和3年度; do
	check "--fy $fy" cmp <(kk report --fy "$fy") "$fixtures/fy2021.tsv"
done
check "--format tsv" cmp <(kk report --fy R3 --format tsv) "$fixtures/fy2021.tsv"
# The sample's two tables whose layout was already clean, line for line.
check "pillar 1 (1) as the sample" cmp <(kk report --fy R3 | head -n 22) "$fixtures/fy2021-p1s1.tsv"
check "pillar 2 (1) as the sample" cmp <(kk report --fy R3 | tail -n 23) "$fixtures/fy2021-p2s1.tsv"
# Every data row has the sixteen columns; 35 items.
check "16 columns" test "$(kk report --fy R3 | awk -F'\t' 'NF > 2 && NF != 16' | wc -l)" = 0
check "35 rows" test "$(kk report --fy R3 | awk -F'\t' '$15 ~ /^[0-9]+$/' | wc -l)" = 35

# CSV: a BOM, CRLF, quoted commas; CP932 through iconv, byte for byte.
kk report --fy R3 --format csv >"$work/r.csv"
check "csv BOM" test "$(head -c 3 "$work/r.csv" | od -An -tx1 | tr -d ' ')" = efbbbf
check "csv CRLF" test "$(tr -cd '\n' <"$work/r.csv" | wc -c)" = \
	"$(tr -cd '\r' <"$work/r.csv" | wc -c)"
check "csv quoting" grep -q ',"検討, 導入",○,導入完了,' "$work/r.csv"
check "csv parses" /usr/bin/python3 -c 'import csv,sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
ids = [r[14] for r in rows if len(r) == 16 and r[14].isdigit()]
sys.exit(ids != [str(i) for i in range(1, 36)])' "$work/r.csv"
check "csv cp932" cmp <(kk report --fy R3 --format csv --no-bom | iconv -f UTF-8 -t CP932) \
	<(kk report --fy R3 --format csv --encoding cp932)
check "csv windows-31j" cmp <(kk report --fy R3 --format csv --encoding Windows-31J) \
	<(kk report --fy R3 --format csv --encoding cp932)
check "tsv cp932" cmp <(iconv -f UTF-8 -t CP932 "$fixtures/fy2021.tsv") \
	<(kk report --fy R3 --encoding cp932)

# The output file's extension picks the format; the file appears whole or not at all.
kk report --fy R3 -o "$work/r.html"
check "html by extension" grep -q '^<html lang="ja">$' "$work/r.html"
check "html = --format html" cmp "$work/r.html" <(kk report --fy R3 --format html)
check "no temporary file left" test "$(ls "$work" | grep -c 'r\.html\.')" = 0
expect 2 "" "keikaku: cannot tell the format from the name '$work/r3.txt': give --format (tsv, csv, md, html, xlsx, json) or one of those extensions
try 'keikaku report --help'" -- kk report --fy R3 --output "$work/r3.txt"
check "nothing written for an unknown extension" test ! -e "$work/r3.txt"
expect 2 "" "*" -- kk report --fy R3 --output "$work/r3"
kk report --fy R3 --format tsv --output "$work/r3.txt"
check "--format names it" cmp "$work/r3.txt" <(kk report --fy R3)
kk report --fy R3 --output "$work/R3.TSV"
check "upper-case extension" cmp "$work/R3.TSV" <(kk report --fy R3)
kk report --fy R3 --output "$work/r.md"
check "md by extension" grep -q '^# 空閑市DX推進計画 令和3年度 進捗状況$' "$work/r.md"
kk report --fy R3 -o "$work/r.json"
check "json" /usr/bin/python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
counts = (s["ahead"], s["on_track"], s["behind"], s["rows"])
sys.exit(not (d["year"] == 2021 and counts == (1, 20, 2, 35)))' "$work/r.json"
check "--json" cmp <(kk report --fy R3 --json) "$work/r.json"

# xlsx: a zip whose sheet holds the cells, the merged headings and the frozen header rows.
kk report --fy R3 -o "$work/r.xlsx"
check "xlsx is a zip" unzip -tq "$work/r.xlsx"
unzip -p "$work/r.xlsx" xl/sharedStrings.xml >"$work/strings.xml"
unzip -p "$work/r.xlsx" xl/worksheets/sheet1.xml >"$work/sheet.xml"
check "xlsx strings" grep -q '<t>規程の整備</t>' "$work/strings.xml"
check "xlsx merged year" grep -q '<mergeCell ref="J3:M3"/>' "$work/sheet.xml"
check "xlsx frozen" grep -q '<pane ySplit="4"' "$work/sheet.xml"
check "xlsx to a pipe" cmp <(kk report --fy R3 --format xlsx | cat) "$work/r.xlsx"
# On a terminal (script(1) gives the command one), xlsx needs --output.
expect 2 "" "keikaku: refusing to write xlsx to a terminal; use --output FILE
try 'keikaku report --help'" -- bash -c 'script -qec "$1 report --fy R3 --format xlsx" /dev/null >"$2"
	rc=$?; tr -d "\r" <"$2" >&2; exit $rc' _ "$KEIKAKU" "$work/tty.out"

# --at and --changes-since: a change made with plain git, in a clone.
clone=$(clone_of "$repo")
/usr/bin/python3 - "$clone/items/0026.json" <<'EOF'
import json, sys
item = json.load(open(sys.argv[1]))
item["years"]["2021"]["progress"] = "behind"
open(sys.argv[1], "w").write(json.dumps(item, ensure_ascii=False, indent=2) + "\n")
EOF
git -C "$clone" commit -qam "Item 26 is behind"
git -C "$clone" push -q origin main
check "HEAD changed" sh -c "! \"$KEIKAKU\" report --fy R3 | cmp -s - '$fixtures/fy2021.tsv'"
check "--at" cmp <(kk report --fy R3 --at main~1) "$fixtures/fy2021.tsv"
kk report --fy R3 --format html --changes-since main~1 -o "$work/changed.html"
check "one changed cell" test "$(grep -o ' changed" data-col="[a-z.]*"' "$work/changed.html")" = \
	' changed" data-col="year.progress"'
check "changes legend" grep -q 'main~1 以降に変更された箇所（1）' "$work/changed.html"
check "tsv unmarked" cmp <(kk report --fy R3 --changes-since main~1) <(kk report --fy R3)
kk report --fy R3 --format md --changes-since main~1 >"$work/changed.md"
check "md marked" grep -q ' | ▲ † | ' "$work/changed.md"
kk report --fy R3 --json --changes-since main~1 >"$work/changed.json"
check "json changed" grep -q '"year.progress"' "$work/changed.json"

# CP932 cannot hold every character: the item, the column and the character are named.
/usr/bin/python3 - "$clone/items/0012.json" <<'EOF'
import json, sys
item = json.load(open(sys.argv[1]))
item["years"]["2021"]["result"] = "𠮷野家で説明会"
open(sys.argv[1], "w").write(json.dumps(item, ensure_ascii=False, indent=2) + "\n")
EOF
git -C "$clone" commit -qam "Item 12: a character outside CP932"
git -C "$clone" push -q origin main
expect 3 "" "keikaku: cannot encode item '12' in cp932: '𠮷' (U+20BB7) in 令和3年度 \
取組内容または結果 has no cp932 code" \
	-- kk report --fy R3 --format csv --encoding cp932 -o "$work/cp932.csv"
check "nothing written" test ! -e "$work/cp932.csv"
check "no temporary file" test "$(ls "$work" | grep -c 'cp932\.csv')" = 0
check "utf-8 holds it" sh -c "\"$KEIKAKU\" report --fy R3 --format csv | grep -q '𠮷野家で説明会'"

# Bad arguments and missing things.
expect 2 "" "keikaku: --fy is required
try 'keikaku report --help'" -- kk report
expect 2 "" "keikaku: fiscal year 2030 (令和12年度) is not a year of the plan
try 'keikaku report --help'" -- kk report --fy 2030
expect 2 "" "keikaku: 'X3' is not a fiscal year (try 2021, R3 or 令和3年度)
try 'keikaku report --help'" -- kk report --fy X3
expect 2 "" "keikaku: 'pdf' is not a report format (tsv, csv, md, html, xlsx, json)
try 'keikaku report --help'" -- kk report --fy R3 --format pdf
expect 2 "" "keikaku: 'latin1' is not an encoding (utf-8, cp932)
try 'keikaku report --help'" -- kk report --fy R3 --format csv --encoding latin1
expect 2 "" "keikaku: --encoding applies to csv and tsv only
try 'keikaku report --help'" -- kk report --fy R3 --format html --encoding cp932
expect 2 "" "keikaku: --no-bom applies to csv only
try 'keikaku report --help'" -- kk report --fy R3 --no-bom
expect 2 "" "keikaku: unexpected argument 'extra'
try 'keikaku report --help'" -- kk report --fy R3 extra
expect 2 "" "keikaku: unknown option '--bogus'
try 'keikaku report --help'" -- kk report --bogus
expect 2 "" "keikaku: option '--fy' needs an argument
try 'keikaku report --help'" -- kk report --fy
expect 3 "" "keikaku: unknown revision 'nope'" -- kk report --fy R3 --at nope
expect 3 "" "keikaku: unknown revision 'nope'" -- kk report --fy R3 --changes-since nope
expect 3 "" "keikaku: cannot write '$work/missing/r.tsv': No such file or directory" \
	-- kk report --fy R3 -o "$work/missing/r.tsv"
expect 3 "" "keikaku: no plan repository at or above '.'" -- kk -C / report --fy R3
expect 0 "*" "" -- kk report --help

finish
