#!/usr/bin/env bash
# keikaku show and list: what a person reads, exact to the column; --json as stored;
# any revision; a bare repository and a clone alike; every bad argument.
. "$(dirname "$0")/lib.bash"
repo=$(example_repo)
fixtures=$KK_SOURCE_DIR/tests/fixtures/cli
example=$KK_SOURCE_DIR/examples/dx-plan-r3
cd "$repo"

expect 0 "$(cat "$fixtures/show-26.txt")" "" -- kk show 26
expect 0 "$(cat "$fixtures/show-1.txt")" "" -- kk show 0001
expect 0 "$(cat "$fixtures/show-12-60cols.txt")" "" -- env COLUMNS=60 "$KEIKAKU" show 12
expect 0 "$(cat "$fixtures/list.txt")" "" -- kk list
expect 0 "$(cat "$fixtures/list-fy2021-behind.txt")" "" -- kk list --fy R3 --progress ▲
# Every fiscal-year spelling means the same year.
for fy in 2021 FY2021 R3 令和3 令和3年度; do
	expect 0 "$(cat "$fixtures/list-fy2021-behind.txt")" "" -- kk list --fy "$fy" --progress behind
done
# Every line fits 80 columns (display width, not bytes), for every item.
width=$(for i in $(seq 1 35); do kk show "$i"; done | /usr/bin/python3 -c 'import sys,unicodedata
print(max(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in l.rstrip("\n")) for l in sys.stdin))')
check "show fits 80 columns ($width)" test "$width" -le 80

# --json is the stored file, byte for byte.
check "show --json" cmp <(kk show 26 --json) "$example/items/0026.json"
check "list --json" test "$(kk list --owner 市立病院 --json | /usr/bin/python3 -c 'import json,sys; print([i["id"] for i in json.load(sys.stdin)])')" = "[20, 21]"
expect 0 "$(printf '%s\n' '通番  項目              担当課         達成度' \
	'   5  対象証明書の拡大  税務課 市民課  取り下げ' \
	'   6  対象年度の拡大    税務課         導入完了')" "" -- kk list --owner 税務課
expect 0 "*" "" -- kk list --status withdrawn
check "status filter" test "$(kk list --status 取り下げ | wc -l)" = 5

# Any revision: a later commit made with plain git, read at HEAD, by id, by tag, by branch.
first=$(git rev-parse main)
git tag -a fy2021-draft -m draft main
clone=$(clone_of "$repo")
sed -i 's/"on_track"/"ahead"/' "$clone/items/0026.json"
git -C "$clone" commit -qam "Mark item 26 ahead"
git -C "$clone" push -q origin main
expect 0 "*" "" -- kk show 26
check "HEAD sees the change" sh -c "\"$KEIKAKU\" show 26 | grep -q '◎ 計画より早く進んでいる'"
check "--at id" sh -c "\"$KEIKAKU\" show 26 --at $first | grep -q '○ 計画どおり進んでいる'"
check "--at tag" cmp <(kk show 26 --at fy2021-draft --json) "$example/items/0026.json"
check "--at expression" cmp <(kk show 26 --at main~1 --json) "$example/items/0026.json"
# A clone reads its committed history, not its working tree; -C and subdirectories work.
echo garbage >"$clone/items/0026.json"
check "clone ignores working tree" sh -c "\"$KEIKAKU\" -C \"$clone/items\" show 26 | grep -q '◎'"
check "clone list" cmp <(kk -C "$clone" list) "$fixtures/list.txt"

# Bad arguments and missing things, each with its own message and exit code.
expect 3 "" "keikaku: item 99 does not exist" -- kk show 99
expect 2 "" "keikaku: 'abc' is not an item id
try 'keikaku show --help'" -- kk show abc
expect 2 "" "keikaku: '100000' is not an item id
try 'keikaku show --help'" -- kk show 100000
expect 2 "" "keikaku: expected one item id
try 'keikaku show --help'" -- kk show
expect 3 "" "keikaku: unknown revision 'nope'" -- kk show 26 --at nope
# The revisions of the audit commands: a day, and a fiscal year without its close tag.
expect 3 "" "keikaku: no commit at or before '@2000-01-01'" -- kk show 26 --at @2000-01-01
expect 2 "" "keikaku: '2000-13-01' is not a date (YYYY-MM-DD)" -- kk list --at @2000-13-01
check "show --at fy2099 is the plan now" test "$(kk show 26 --at fy2099 --json)" = "$(kk show 26 --json)"
expect 2 "" "keikaku: unknown option '--bogus'
try 'keikaku show --help'" -- kk show --bogus 1
expect 2 "" "keikaku: option '--at' needs an argument
try 'keikaku show --help'" -- kk show 1 --at
expect 2 "" "keikaku: --progress needs --fy
try 'keikaku list --help'" -- kk list --progress ▲
expect 2 "" "keikaku: 'X3' is not a fiscal year (try 2021, R3 or 令和3年度)
try 'keikaku list --help'" -- kk list --fy X3
expect 2 "" "keikaku: 'done' is not a status (open, completed, withdrawn)
try 'keikaku list --help'" -- kk list --status done
expect 2 "" "keikaku: '△' is not a progress mark (◎ ○ ▲, ahead, on_track, behind)
try 'keikaku list --help'" -- kk list --fy 2021 --progress △
expect 2 "" "keikaku: department '無い課' does not exist" -- kk list --owner 無い課
expect 2 "" "keikaku: unknown option '-x'
try 'keikaku list --help'" -- kk list -x
expect 2 "" "keikaku: 'frob' is not a keikaku command
try 'keikaku --help'" -- kk frob
expect 3 "" "keikaku: no plan repository at or above '.'" -- kk -C / list
expect 3 "" "keikaku: cannot change to '/nonexistent': No such file or directory" \
	-- kk -C /nonexistent list
expect 0 "*" "" -- kk show --help
expect 0 "*" "" -- kk --help

finish
