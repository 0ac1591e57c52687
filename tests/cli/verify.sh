#!/usr/bin/env bash
# keikaku verify: clean on the example; every problem a plain-git commit can
# introduce is reported at HEAD, and with --all-history once, where it began.
. "$(dirname "$0")/lib.bash"
repo=$(example_repo)
clone=$(clone_of "$repo")
cd "$clone"

short() { git rev-parse --short=10 "$1"; }

expect 0 "no problems in 42 files at $(short HEAD)" "" -- kk verify
expect 0 "no problems in 1 commit" "" -- kk verify --all-history

# A commit made behind keikaku's back: bad progress, unknown owner, a stray file,
# a renamed item, a missing measure, a non-canonical file.
sed -i 's/"on_track"/"late"/' items/0026.json
sed -i 's/"各課"/"企画課"/' items/0001.json
sed -i 's/"measure": 4/"measure": 9/' items/0004.json
git mv items/0007.json items/0070.json
echo notes >notes.txt
/usr/bin/python3 -c 'import json; d=json.load(open("items/0002.json")); json.dump(d, open("items/0002.json","w"), ensure_ascii=False)'
git add -A && git commit -qm "Edit by hand"
bad=$(short HEAD)
# The renamed item's 2020 columns left 0007 and arrived in 0070, and 2020 is closed.
closed="items/0007.json: /years/2020: commit $(git rev-parse --short=12 HEAD) changes fiscal year 2020 (令和2年度), which was closed, without being a correction
items/0070.json: /years/2020: commit $(git rev-parse --short=12 HEAD) changes fiscal year 2020 (令和2年度), which was closed, without being a correction"
problems="items/0001.json: /owners/0: department '企画課' does not exist
items/0002.json: /: not in canonical form (run 'keikaku fmt items/0002.json')
items/0004.json: /measure: measure 9 of section 1.1 does not exist in plan.json
items/0026.json: /years/2021/progress: must be one of \"ahead\", \"on_track\", \"behind\"
items/0070.json: /id: id 7 does not match the file name (expected 70)
notes.txt: /: unexpected file"
expect 1 "$problems
$closed" "8 problems in 43 files at $bad" -- kk verify
expect 0 "no problems in 42 files at $(short HEAD~1)" "" -- kk verify --at HEAD~1
# The closed year named as the report names it, in Japanese too (not "2020 年度").
check "ja: the closed year as 令和2年度" sh -c "LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 \"\$KEIKAKU\" verify | grep -q '^items/0007.json: /years/2020: コミット [0-9a-f]* は締め済みの 令和2年度 (2020) を訂正'"

# Fix some of it; the history still shows where each problem began, once.
git checkout -q HEAD~1 -- items/0026.json items/0001.json
git commit -qm "Fix two"
sed -i 's/"2020": {/"2019": {\n      "planned": "検討"\n    },\n    "2020": {/' items/0005.json
git commit -qam "Add a year outside the plan"
late=$(short HEAD)
expect 1 "$(echo "$problems" | sed "s/^/$bad /")
$late items/0005.json: /years/2019: fiscal year 2019 is not a year of the plan in keikaku.json
$closed" \
	"9 problems in 4 commits" -- kk verify --all-history

# Broken schemas and unparsable files are problems too, with positions.
printf '{\n  "id": 3,\n  "id": 3\n}\n' >items/0003.json
printf '{"type": 12}\n' >schema/plan.schema.json
git commit -qam "Break more"
expect 1 "*" "*" -- kk verify
check "duplicate key reported" sh -c "\"$KEIKAKU\" verify | grep -qx \"items/0003.json: /: line 3, column 3: duplicate key 'id'\""
check "broken schema reported" sh -c "\"$KEIKAKU\" verify | grep -q '^schema/plan.schema.json: /type: not a valid schema'"

expect 2 "" "keikaku: --at and --all-history cannot be combined
try 'keikaku verify --help'" -- kk verify --at HEAD --all-history
expect 3 "" "keikaku: no commit at or before 'fy1999'" -- kk verify --at fy1999
expect 3 "" "keikaku: no commit at or before '@2000-01-01'" -- kk verify --at @2000-01-01
expect 2 "" "keikaku: '2000-13-01' is not a date (YYYY-MM-DD)
try 'keikaku verify --help'" -- kk verify --at @2000-13-01

finish
