#!/usr/bin/env bash
# The round trip of issue 5: import the sample progress report, write the
# report of FY2021 as TSV, and every data cell of the sample comes back equal
# (tests/cli/roundtrip.py says how it compares, and prints the figure).  Then
# the TSV Keikaku wrote imports to the same plan again, and the same report.
. "$(dirname "$0")/lib.bash"
# The example's source: a copy of shared/data/progress-report-R3-part1.tsv.
sample=$KK_SOURCE_DIR/examples/dx-plan-r3/progress-report-R3-part1.tsv

kk init "$work/plan.git" --import "$sample" >/dev/null
kk -C "$work/plan.git" report --fy 2021 >"$work/report.tsv"
if figure=$(/usr/bin/python3 "$KK_SOURCE_DIR/tests/cli/roundtrip.py" "$sample" "$work/report.tsv"); then
	ok
else
	fail "the sample's data cells do not all come back"
fi
echo "$figure"

# Keikaku's own report reads back as the same plan and writes the same report.
kk init "$work/again.git" --import "$work/report.tsv" >/dev/null
for path in items plan.json departments.json keikaku.json; do
	check "same $path after a second round" test \
		"$(git -C "$work/plan.git" rev-parse "main:$path")" = \
		"$(git -C "$work/again.git" rev-parse "main:$path")"
done
kk -C "$work/again.git" report --fy 2021 >"$work/report2.tsv"
check "the same report after a second round" cmp "$work/report.tsv" "$work/report2.tsv"

# The CSV for Excel reads back the same too.
kk -C "$work/plan.git" report --fy 2021 --format csv >"$work/report.csv"
kk init "$work/csv.git" --import "$work/report.csv" >/dev/null
check "the csv reads back as the same items" test \
	"$(git -C "$work/plan.git" rev-parse main:items)" = "$(git -C "$work/csv.git" rev-parse main:items)"

# The row shapes of the city's whole report (tests/fixtures/import/shapes): added items, a
# measure without a number, descriptions, merged 担当課.  Keikaku's TSV and CSV of the plan
# read from them read back as the same plan.
kk init "$work/shapes.git" --import "$KK_SOURCE_DIR/tests/fixtures/import/shapes/report.tsv" >/dev/null
for format in tsv csv; do
	kk -C "$work/shapes.git" report --fy 2021 --format $format >"$work/shapes.$format"
	kk init "$work/shapes-$format.git" --import "$work/shapes.$format" >/dev/null
	for path in items plan.json departments.json keikaku.json; do
		check "shapes: same $path from $format" test \
			"$(git -C "$work/shapes.git" rev-parse "main:$path")" = \
			"$(git -C "$work/shapes-$format.git" rev-parse "main:$path")"
	done
done
finish
