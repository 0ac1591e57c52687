#!/usr/bin/env bash
# The built-in example is the importer's reading of the city's report: the
# files checked in under examples/dx-plan-r3 are exactly what
# `keikaku init --import` makes of progress-report-R3-part1.tsv there (regenerate
# them with scripts/make-example).
. "$(dirname "$0")/lib.bash"
example=$KK_SOURCE_DIR/examples/dx-plan-r3
kk init "$work/plan.git" --import "$example/progress-report-R3-part1.tsv" \
	--title 空閑市DX推進計画 --organisation 空閑市 --admin-department デジタル戦略課 >/dev/null
git clone -q "$work/plan.git" "$work/plan"
for f in keikaku.json departments.json plan.json; do
	check "$f is the importer's" cmp "$example/$f" "$work/plan/$f"
done
check "items/ are the importer's" diff -r "$example/items" "$work/plan/items"
check "as many items as the report has rows" test "$(ls "$example/items" | wc -l)" = 35
finish
