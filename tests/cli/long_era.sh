#!/usr/bin/env bash
# An era's name may be 20 characters (schema/keikaku.schema.json): every year name the CLI
# and the web pages write holds it whole, never a character cut in half.  The example plan
# with its era named by 20 kanji (60 bytes of UTF-8, then "3年度"): show, pending, the report
# in each text format, and keikaku serve's item, schedule and report pages, each valid UTF-8
# and naming the year in full; schedule's table, which shortens a cell to its column with
# "…", valid UTF-8; and the message naming a year the plan lacks, from the CLI and the web.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/serve.bash"
need_ja

era=長い元号の名前はここまで二十文字ですよね
plan=$(example_repo plan)
repo=$work/plan
git clone -q "$plan" "$repo"
/usr/bin/python3 - "$repo/keikaku.json" "$era" <<'PY'
import json, sys
path, era = sys.argv[1], sys.argv[2]
assert len(era) == 20
d = json.load(open(path, encoding="utf-8"))
d["eras"][0]["name"] = era
open(path, "w", encoding="utf-8").write(json.dumps(d, ensure_ascii=False, indent=2) + "\n")
PY
git -C "$repo" commit -q -am 'an era of 20 characters'
check "the plan is valid" kk -C "$repo" verify

# whole OUTPUT-FILE WHAT [utf8]: the file is UTF-8 and names fiscal year 2021 in full (with
# utf8: is UTF-8).
whole() {
	/usr/bin/python3 - "$1" "$era" "${3:-}" <<'PY' && ok || fail "$2: not UTF-8, or the year's name is not whole"
import sys
text = open(sys.argv[1], "rb").read().decode("utf-8")
sys.exit(sys.argv[3] != "utf8" and sys.argv[2] + "3年度" not in text)
PY
}
ja -C "$repo" schedule --fy 2021 >"$work/out" 2>&1 || true
whole "$work/out" "keikaku schedule --fy 2021" utf8
for args in "show 26" "pending --fy 2021" "report --fy 2021 --format md" \
	"report --fy 2021 --format html" "report --fy 2021 --format json" "report --fy 2021 --format tsv"; do
	# shellcheck disable=SC2086
	ja -C "$repo" $args >"$work/out" 2>&1 || true
	whole "$work/out" "keikaku $args"
done

# A year the plan lacks is named in full in the message (core's query parameters).
ja -C "$repo" log --fy 2030 >"$work/out" 2>&1 && fail "log --fy 2030 succeeded" || ok
has_year12() {
	/usr/bin/python3 - "$1" "$era" <<'PY' && ok || fail "$2: not UTF-8, or 2030's name is not whole"
import sys
sys.exit(sys.argv[2] + "12年度" not in open(sys.argv[1], "rb").read().decode("utf-8"))
PY
}
has_year12 "$work/out" "keikaku log --fy 2030"

trap 'stop_serves; rm -rf "$work" "$HOME"' EXIT
start_serve
for path in /items/26 '/schedule?fy=2021' /report/2021 '/pending?fy=2021'; do
	status 200 "$path"
	whole "$work/body" "$path"
done
status 200 /report/2021 -H 'Accept: application/json'
whole "$work/body" "/report/2021 as JSON"
status 400 '/log?fy=2030' -H 'Accept: application/json'
has_year12 "$work/body" "/log?fy=2030"

finish
