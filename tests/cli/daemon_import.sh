#!/usr/bin/env bash
# keikaku import through keikakud: an admin imports the sample progress report
# into a new, empty plan as one commit whose tree is the one `keikaku init
# --import` makes offline; anyone else is refused, a second import changes
# nothing, and a report that lacks items of the plan is refused with nothing
# written.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/daemon.bash"
setup_users
sample=$examples/dx-plan-r3/progress-report-R3-part1.tsv
kk init "$repo" >/dev/null
git -C "$repo" config core.sharedRepository group
chmod -R a+rX "$repo"
start_daemon
initial=$(head_of)
export KEIKAKU_SOCKET=$sock
cd /

# Only an admin imports.
expect 1 "" "keikaku: only an admin may import a plan" -- as kkt_guest "$KEIKAKU" import "$sample"
check "refused import commits nothing" test "$(head_of)" = "$initial"

expect 0 "*" "" -- "$KEIKAKU" import "$sample"
check "one commit" test "$(git -C "$repo" rev-list --count "$initial..main")" = 1
check "imported by the admin" test "$(git -C "$repo" log -1 --format=%an)" = root
check "committed by keikakud" test "$(git -C "$repo" log -1 --format=%cn)" = keikakud
check "reason names the report" sh -c "git -C '$repo' log -1 --format=%b | grep -qx \"imported from the progress report 'progress-report-R3-part1.tsv'\""
check "35 items" test "$(git -C "$repo" ls-tree --name-only main items/ | wc -l)" = 35

# The same tree as the offline import.
kk init "$work/offline.git" --import "$sample" >/dev/null
for path in items keikaku.json departments.json plan.json; do
	check "same $path as init --import" test "$(git -C "$repo" rev-parse "main:$path")" = \
		"$(git -C "$work/offline.git" rev-parse "main:$path")"
done
expect 0 "*" "" -- "$KEIKAKU" -C "$repo" verify
check "git fsck --strict" git -C "$repo" fsck --strict --no-progress

# Again: nothing changes.
imported=$(head_of)
expect 0 "no changes; nothing committed" "" -- "$KEIKAKU" import "$sample" -m "again"
check "no second commit" test "$(head_of)" = "$imported"

# A report without item 35: refused, nothing written.
grep -v "電子化の推進" "$sample" >"$work/short.tsv"
before=$(repo_state)
r=$(call root plan.import "{\"base\": \"$imported\", \"files\": {}, \"items\": [{\"id\": 1}]}" || true)
check "files are required" test "$(jget "$r" 'j["error"]["code"]')" = -32602
expect 1 "" "keikaku: the report lacks items of the plan
  035: the plan has this item and the report does not; an import does not remove items" \
	-- "$KEIKAKU" import "$work/short.tsv"
check "nothing written" test "$(repo_state)" = "$before"

# With a corrections file: the corrected item is the one change, and the corrections are
# on record in the reason, after the person's own.
row26=$(grep -n $'\t26\t' "$sample" | cut -d: -f1)
printf '{"corrections": [{"id": 26, "set": {"years": {"R3": {"result": "訂正した結果"}}}, "reason": "結果の書き直し"}]}' \
	>"$work/fix.json"
expect 0 "*" "" -- "$KEIKAKU" import "$sample" --corrections "$work/fix.json" -m "令和3年度の報告の訂正"
check "one more commit" test "$(git -C "$repo" rev-list --count "$imported..main")" = 1
expect 0 "令和3年度の報告の訂正

Corrections from fix.json:
- row $row26, item 26: years.2021.result (結果の書き直し)" "" \
	-- sh -c "git -C '$repo' log -1 --format=%b | sed -n '1,4p'"
check "item 26's result corrected" sh -c "git -C '$repo' show main:items/0026.json | grep -q '\"result\": \"訂正した結果\"'"
check "only item 26 changed" test "$(git -C "$repo" diff --name-only "$imported" main)" = items/0026.json

stop_daemon
check "daemon exits cleanly" true
finish
