#!/usr/bin/env bash
# keikaku's write side (update, edit, submit, dept, whoami, status) against mockd, a scripted
# stand-in for keikakud: the exact requests each command sends, field by field, and the exact
# output and exit code for each kind of answer.
. "$(dirname "$0")/lib.bash"
fixtures=$KK_SOURCE_DIR/tests/fixtures/write
example=$KK_SOURCE_DIR/examples/dx-plan-r3
mockd=$KK_SOURCE_DIR/tests/cli/mockd.py
sock=$work/keikakud.sock
BASE=4b825dc642cb6eb9a060e54bf8d69288fbee4904
HEAD=9f8e7d6c5b4a39281706f5e4d3c2b1a098765432
NEW=1a2b3c4d5e6f708192a3b4c5d6e7f80912a3b4c5
# A command that should not need keikakud fails loudly if it tries to reach it.
export KEIKAKU_SOCKET=$work/nowhere.sock
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
unset VISUAL EDITOR

kd() {
	"$KEIKAKU" --socket "$sock" "$@"
}

# scenario STEP...: the steps mockd takes, in order (JSON objects, see mockd.py).
scenario() {
	local IFS=,
	printf '[%s]\n' "$*" >"$work/scenario.json"
}

# step METHOD REPLY [PARAMS]: a step expecting METHOD (with PARAMS, if given) and answering REPLY.
step() {
	local params='{}'
	[ $# -lt 3 ] || params=$3
	echo "{\"expect\": {\"method\": \"$1\", \"params\": $params}, \"reply\": $2}"
}

# committed CHANGES: a write's answer, committed as $NEW, with CHANGES (a JSON array).
committed() {
	echo "{\"result\": {\"commit\": \"$NEW\", \"head\": \"$NEW\", \"changes\": $1}}"
}

# refused CODE MESSAGE DATA: an error answer.
refused() {
	echo "{\"error\": {\"code\": $1, \"message\": \"$2\", \"data\": $3}}"
}

# The reads every change to item 26 starts with: the item, then keikaku.json at its commit.
get26=$(
	cat <<EOF
{"expect": {"method": "item.get", "params": {"id": 26}},
 "reply": {"result": {"commit": "$BASE", "item": {"\$include": "$example/items/0026.json"}}}},
{"expect": {"method": "plan.get", "params": {"file": "keikaku.json", "at": "$BASE"}},
 "reply": {"result": {"commit": "$BASE", "content": {"\$include": "$example/keikaku.json"}}}}
EOF
)
getdepts=$(step plan.get "{\"result\": {\"commit\": \"$BASE\", \"content\": {\"\$include\": \"$fixtures/departments.json\"}}}" \
	'{"file": "departments.json"}')
# dept list reads departments.json as stored (plan.files), as it would from a clone.
listdepts=$(step plan.files "{\"result\": {\"commit\": \"$BASE\", \"time\": 1648717200, \"files\": {\"departments.json\": {\"\$include_text\": \"$fixtures/departments.json\"}}}}" \
	'{"paths": ["departments.json"]}')
progress_change='[{"item": 26, "path": "years.2021.progress", "old": "on_track", "new": "behind"}]'

# mock: starts mockd on $sock with $work/scenario.json; its requests go to $work/requests.log.
mock() {
	rm -f "$work/ready" "$sock"
	/usr/bin/python3 "$mockd" "$sock" "$work/scenario.json" "$work/requests.log" \
		--ready "$work/ready" --timeout 10 2>"$work/mockd.err" &
	mock_pid=$!
	for _ in $(seq 200); do
		[ -e "$work/ready" ] && return 0
		sleep 0.05
	done
	fail "mockd did not start: $(cat "$work/mockd.err")"
}

# mock_done WHAT: waits for mockd; passes when it received exactly the scenario's requests.
mock_done() {
	local status=0
	wait "$mock_pid" || status=$?
	if [ "$status" = 0 ]; then ok; else fail "$1: mockd: $(cat "$work/mockd.err")"; fi
}

# req N [PATH]: request N (from 1) as mockd received it, or its member at dotted PATH, as
# compact JSON with a well-formed request_id (32 lower-case hex digits) shown as "<rid>";
# "absent" when there is no such member.
req() {
	/usr/bin/python3 - "$work/requests.log" "$@" <<'EOF'
import json, re, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
v = json.loads(lines[int(sys.argv[2]) - 1])
rid = v.get("params", {}).get("request_id") if isinstance(v.get("params"), dict) else None
if isinstance(rid, str) and re.fullmatch("[0-9a-f]{32}", rid):
    v["params"]["request_id"] = "<rid>"
for k in sys.argv[3].split(".") if len(sys.argv) > 3 else []:
    if not isinstance(v, dict) or k not in v:
        print("absent")
        sys.exit(0)
    v = v[k]
print(json.dumps(v, ensure_ascii=False, separators=(",", ":")))
EOF
}

# rid N: the raw request_id of request N.
rid() {
	/usr/bin/python3 -c 'import json, sys
print(json.loads(open(sys.argv[1], encoding="utf-8").read().split("\n")[int(sys.argv[2]) - 1])["params"]["request_id"])' \
		"$work/requests.log" "$1"
}

# requests: how many requests mockd received.
requests() {
	grep -c . "$work/requests.log" || true
}

# is WHAT GOT WANT: passes when GOT is WANT.
is() {
	if [ "$2" = "$3" ]; then ok; else fail "$1:"$'\n'"got:  $2"$'\n'"want: $3"; fi
}

# --- update: the request ---

scenario "$get26" "$(step item.update "$(committed "$progress_change")")"
mock
expect 0 "committed 1a2b3c4d5e
026 テレワークの拡大 · 令和3年度 進捗度: ○ → ▲" "" -- kd update 26 --fy R3 --progress ▲ -m "端末の納期遅れ"
mock_done "update"
is "item.get request" "$(req 1)" '{"jsonrpc":"2.0","id":1,"method":"item.get","params":{"id":26}}'
is "plan.get request" "$(req 2)" \
	"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"plan.get\",\"params\":{\"file\":\"keikaku.json\",\"at\":\"$BASE\"}}"
is "item.update request" "$(req 3)" \
	"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"item.update\",\"params\":{\"id\":26,\"base\":\"$BASE\",\"patch\":{\"years\":{\"2021\":{\"progress\":\"behind\"}}},\"reason\":\"端末の納期遅れ\",\"request_id\":\"<rid>\"}}"
is "request_id shape" "$(rid 3 | grep -cE '^[0-9a-f]{32}$')" 1
is "no dry_run unless asked" "$(req 3 params.dry_run)" absent
first_rid=$(rid 3)

# update_patch WHAT PATCH ARGS...: `update 26 ARGS` succeeds and sends PATCH.
update_patch() {
	local what=$1 patch=$2
	shift 2
	scenario "$get26" "$(step item.update "$(committed "$progress_change")")"
	mock
	expect 0 "*" "" -- kd update 26 "$@"
	mock_done "$what"
	is "$what: patch" "$(req 3 params.patch)" "$patch"
}

# Every spelling of a fiscal year names the same year.
for fy in 2021 FY2021 fy2021 R3 令和3 令和3年度; do
	update_patch "--fy $fy" '{"years":{"2021":{"progress":"behind"}}}' --fy "$fy" --progress behind
done
update_patch "--fy 令和2年度" '{"years":{"2020":{"progress":"behind"}}}' --fy 令和2年度 --progress behind
update_patch "--fy R4" '{"years":{"2022":{"progress":"behind"}}}' --fy R4 --progress behind
# Every progress mark, as the report writes it or as stored.
for mark in ◎:ahead ○:on_track ▲:behind ahead:ahead on_track:on_track behind:behind; do
	update_patch "--progress ${mark%%:*}" "{\"years\":{\"2021\":{\"progress\":\"${mark##*:}\"}}}" \
		--fy 2021 --progress "${mark%%:*}"
done
# Each field option.
update_patch "--revised" '{"years":{"2021":{"revised":"効果検証、台数の拡大"}}}' \
	--fy 2021 --revised "効果検証、台数の拡大"
update_patch "--result" '{"years":{"2021":{"result":"・170台体制となった。"}}}' \
	--fy 2021 --result "・170台体制となった。"
update_patch "--result-file" \
	'{"years":{"2021":{"result":"・検証の結果、テレワーク端末の同時利用が可能となった。\n【課題】回線の増強"}}}' \
	--fy 2021 --result-file "$fixtures/result.txt"
for a in 導入完了:completed completed:completed 取り下げ:withdrawn —:open open:open; do
	update_patch "--achievement ${a%%:*}" "{\"years\":{\"2021\":{\"achievement\":\"${a##*:}\"}}}" \
		--fy 2021 --achievement "${a%%:*}"
	update_patch "--status ${a%%:*}" "{\"status\":\"${a##*:}\"}" --status "${a%%:*}"
done
update_patch "every option" \
	'{"status":"completed","years":{"2021":{"revised":"拡大","progress":"ahead","achievement":"completed","result":"済"}}}' \
	--fy 令和3年度 --result 済 --achievement 導入完了 --progress ◎ --revised 拡大 --status completed
is "no reason unless given" "$(req 3 params.reason)" absent

# --result-file - reads standard input; trailing white space goes.
scenario "$get26" "$(step item.update "$(committed '[]')")"
mock
expect 0 "*" "" -- sh -c 'printf "一行目\n二行目\n\n" | "$0" --socket "$1" update 26 --fy 2021 --result-file -' \
	"$KEIKAKU" "$sock"
mock_done "--result-file -"
is "--result-file -: patch" "$(req 3 params.patch)" '{"years":{"2021":{"result":"一行目\n二行目"}}}'

# Each invocation has its own request_id.
is "request_ids differ" "$([ "$(rid 3)" != "$first_rid" ] && echo yes)" yes

# A connection reset before the answer: the same request, same request_id, sent once more.
scenario "$get26" "$(step item.update '{"close": true}')" "$(step item.update "$(committed "$progress_change")")"
mock
expect 0 "committed 1a2b3c4d5e
026 テレワークの拡大 · 令和3年度 進捗度: ○ → ▲" "" -- kd update 26 --fy R3 --progress ▲
mock_done "retry after reset"
is "retry: same request" "$(req 4)" "$(req 3)"
is "retry: same request_id" "$(rid 4)" "$(rid 3)"
is "retry: no more requests" "$(requests)" 4
# Reset twice: give up.
scenario "$get26" "$(step item.update '{"close": true}')" "$(step item.update '{"close": true}')"
mock
expect 3 "" "keikaku: keikakud at '$sock' closed the connection without answering" \
	-- kd update 26 --fy R3 --progress ▲
mock_done "reset twice"

# --- update: the answers ---

# Nothing changed.
scenario "$get26" "$(step item.update "{\"result\": {\"commit\": null, \"head\": \"$BASE\", \"changes\": []}}")"
mock
expect 0 "no changes; nothing committed" "" -- kd update 26 --fy R3 --progress ○
mock_done "no change"

# A dry run that would be refused: the changes, the violations, exit 1.
scenario "$get26" "$(step item.update "{\"result\": {\"commit\": null, \"head\": \"$BASE\",
	\"changes\": [{\"item\": 26, \"path\": \"years.2020.progress\", \"old\": \"behind\", \"new\": \"on_track\"}],
	\"violations\": [{\"item\": 26, \"path\": \"years.2020.progress\", \"rule\": \"closed-year\",
	  \"message\": \"fiscal year 2020 is closed\"}], \"errors\": []}}" '{"dry_run": true}')"
mock
expect 1 "dry run: nothing committed
026 テレワークの拡大 · 令和2年度 進捗度: ▲ → ○
would be refused:
  026 テレワークの拡大 · 令和2年度 進捗度: fiscal year 2020 is closed" "" \
	-- kd update 26 --fy R2 --progress ○ --dry-run
mock_done "dry run with violations"
is "dry run: dry_run" "$(req 3 params.dry_run)" true
is "dry run: request_id" "$(req 3 params.request_id)" '"<rid>"'

# A dry run that would pass.
scenario "$get26" "$(step item.update "{\"result\": {\"commit\": null, \"head\": \"$BASE\",
	\"changes\": [{\"item\": 26, \"path\": \"years.2021.revised\", \"old\": \"効果検証を行った上、同時利用可能人数の拡大\", \"new\": \"拡大\"},
	{\"item\": 26, \"path\": \"years.2021.result\", \"new\": \"・検証の結果、テレワーク端末の同時利用が可能となった。また、テレワーク端末を新たに調達し、170台体制となった。\"}],
	\"violations\": [], \"errors\": []}}")"
mock
expect 0 "dry run: nothing committed
026 テレワークの拡大 · 令和3年度 変更スケジュール:
    効果検証を行った上、同時利用可能人… → 拡大
026 テレワークの拡大 · 令和3年度 取組内容または結果:
    (none) → ・検証の結果、テレワーク端末の同時…" "" \
	-- kd update 26 --fy R3 --revised 拡大 -m 見直し --dry-run
mock_done "dry run that passes"

# A dry run in conflict (the daemon's dry-run answer carries the conflict).
scenario "$get26" "$(step item.update "{\"result\": {\"commit\": null, \"head\": \"$HEAD\", \"changes\": $progress_change,
	\"violations\": [], \"errors\": [], \"conflict\": {\"fields\": [{\"item\": 26, \"path\": \"years.2021.progress\"}], \"items\": []}}}")"
mock
expect 1 "dry run: nothing committed
026 テレワークの拡大 · 令和3年度 進捗度: ○ → ▲
would be refused:
  026 テレワークの拡大 · 令和3年度 進捗度: changed since your base commit" "" \
	-- kd update 26 --fy R3 --progress ▲ --dry-run
mock_done "dry run in conflict"

# Refusals: the daemon's message and each violation, error or field on its own line; exit 1.
scenario "$get26" "$(step item.update "$(refused -32001 "you do not act for an owner of item 26" \
	'{"violations": [{"item": 26, "path": "years.2021.progress", "rule": "owner", "message": "you do not act for an owner of item 26"}]}')")"
mock
expect 1 "" "keikaku: you do not act for an owner of item 26
  026 テレワークの拡大 · 令和3年度 進捗度: you do not act for an owner of item 26" \
	-- kd update 26 --fy R3 --progress ▲
mock_done "forbidden"

scenario "$get26" "$(step item.update "$(refused -32002 "conflict: someone changed the same fields since your base commit; the current version is attached" \
	'{"fields": [{"item": 26, "path": "years.2021.progress"}, {"item": 26, "path": "status"}], "items": []}')")"
mock
expect 1 "" "keikaku: conflict: someone changed the same fields since your base commit; the current version is attached
  026 テレワークの拡大 · 令和3年度 進捗度: changed since your base commit
  026 テレワークの拡大 · 状況: changed since your base commit" \
	-- kd update 26 --fy R3 --progress ▲ --status open
mock_done "conflict"
# The conflict's data as docs/protocol.md writes it: the item, and the fields as paths.
scenario "$get26" "$(step item.update "$(refused -32002 "conflict" \
	"{\"head\": \"$HEAD\", \"item\": 26, \"fields\": [\"years.2021.progress\"]}")")"
mock
expect 1 "" "keikaku: conflict
  026 テレワークの拡大 · 令和3年度 進捗度: changed since your base commit" \
	-- kd update 26 --fy R3 --progress ▲
mock_done "conflict (protocol.md's data)"

scenario "$get26" "$(step item.update "$(refused -32003 "changing a revised schedule needs a reason" \
	'{"violations": [{"item": 26, "path": "years.2021.revised", "rule": "reason-required", "message": "changing a revised schedule needs a reason"}]}')")"
mock
expect 1 "" "keikaku: changing a revised schedule needs a reason
  026 テレワークの拡大 · 令和3年度 変更スケジュール: changing a revised schedule needs a reason" \
	-- kd update 26 --fy R3 --revised 拡大
mock_done "rule violation"

scenario "$get26" "$(step item.update "$(refused -32004 "the result does not validate: must be at most 1000 characters long" \
	'{"errors": [{"file": "items/0026.json", "pointer": "/years/2021/revised", "message": "must be at most 1000 characters long"}]}')")"
mock
expect 1 "" "keikaku: the result does not validate: must be at most 1000 characters long
  items/0026.json: /years/2021/revised: must be at most 1000 characters long" \
	-- kd update 26 --fy R3 --revised 拡大
mock_done "invalid"

# Operational failures: exit 3.
scenario "$(step item.get "$(refused -32005 "item 99 does not exist" null)" '{"id": 99}')"
mock
expect 3 "" "keikaku: item 99 does not exist" -- kd update 99 --fy R3 --progress ▲
mock_done "not found"
scenario "$get26" "$(step item.update "$(refused -32008 "the update could not be stored" null)")"
mock
expect 3 "" "keikaku: the update could not be stored" -- kd update 26 --fy R3 --progress ▲
mock_done "write failed"
expect 3 "" "keikaku: cannot reach keikakud at '$work/nowhere.sock': No such file or directory" \
	-- kk update 26 --fy R3 --progress ▲
expect 3 "" "keikaku: cannot reach keikakud at '$work/other.sock': No such file or directory" \
	-- kk --socket="$work/other.sock" update 26 --fy R3 --progress ▲
expect 3 "" "keikaku: cannot reach keikakud at '$work/env.sock': No such file or directory" \
	-- env KEIKAKU_SOCKET="$work/env.sock" "$KEIKAKU" whoami
# With neither, the default (KK_DEFAULT_SOCKET), where keikakud.socket listens.
default_sock=$(sed -n 's/^set(KK_DEFAULT_SOCKET "\([^"]*\)".*/\1/p' "$KK_SOURCE_DIR/CMakeLists.txt")
if [ -n "$default_sock" ] && [ ! -e "$default_sock" ]; then
	expect 3 "" "keikaku: cannot reach keikakud at '$default_sock': No such file or directory" \
		-- env -u KEIKAKU_SOCKET "$KEIKAKU" whoami
fi
# Answers that are not the protocol's.
scenario "$(step item.get '{"raw": "{\"jsonrpc\": \"2.0\", \"id\": 7, \"result\": {}}"}')"
mock
expect 3 "" "keikaku: keikakud at '$sock' sent a bad response: the response is for another request" \
	-- kd update 26 --fy R3 --progress ▲
mock_done "response to another request"
scenario "$(step item.get '{"raw": "{\"jsonrpc\": \"2.0\", \"id\": 1, \"result\": {\"a\": 1, \"a\": 2}}"}')"
mock
expect 3 "" "keikaku: keikakud at '$sock' sent a bad response: duplicate key 'a'" \
	-- kd update 26 --fy R3 --progress ▲
mock_done "duplicate key in a response"
scenario "$(step item.get '{"result": {"commit": "abc", "item": {}}}')"
mock
expect 3 "" "keikaku: keikakud at '$sock' sent a bad response: the result lacks a commit id or the document" \
	-- kd update 26 --fy R3 --progress ▲
mock_done "result without a commit"

# Usage errors, found before keikakud is asked (it is not there).
usage_error() {
	expect 2 "" "keikaku: $1
try 'keikaku update --help'" -- kk update "${@:2}"
}
usage_error "nothing to change: give --progress, --revised, --result, --result-file, --achievement or --status" \
	26 --fy R3
usage_error "nothing to change: give --progress, --revised, --result, --result-file, --achievement or --status" \
	26 -m reason
usage_error "--result and --result-file cannot be used together" \
	26 --fy R3 --result x --result-file "$fixtures/result.txt"
usage_error "'△' is not a progress mark (◎ ○ ▲, ahead, on_track, behind)" 26 --fy R3 --progress △
usage_error "'done' is not an achievement (open, completed, withdrawn)" 26 --fy R3 --achievement done
usage_error "'closed' is not a status (open, completed, withdrawn)" 26 --status closed
usage_error "which fiscal year? give --fy" 26 --progress ▲
usage_error "expected one item id" --fy R3 --progress ▲
usage_error "'x26' is not an item id" x26 --fy R3 --progress ▲
usage_error "unknown option '--bogus'" 26 --bogus
usage_error "option '--fy' needs an argument" 26 --progress ▲ --fy
expect 2 "" "keikaku: cannot read '$work/missing.txt': No such file or directory" \
	-- kk update 26 --fy R3 --result-file "$work/missing.txt"
expect 0 "*" "" -- kk update --help
# A fiscal year is checked against the plan's eras and years, so keikakud is asked first.
scenario "$get26"
mock
expect 2 "" "keikaku: 'X3' is not a fiscal year (try 2021, R3 or 令和3年度)
try 'keikaku update --help'" -- kd update 26 --fy X3 --progress ▲
mock_done "bad fiscal year"
scenario "$get26"
mock
expect 2 "" "keikaku: fiscal year '2030' is not a year of the plan
try 'keikaku update --help'" -- kd update 26 --fy 2030 --progress ▲
mock_done "fiscal year outside the plan"

# --- submit ---

submit_changes='[{"item": 26, "path": "years.2021.progress", "old": "on_track", "new": "behind"},
	{"item": 26, "path": "years.2021.result", "old": "・検証の結果", "new": "・端末の納期が遅れた。"},
	{"item": 5, "path": "status", "old": "open", "new": "withdrawn"}]'
settings_at() {
	step plan.get "{\"result\": {\"commit\": \"$1\", \"content\": {\"\$include\": \"$example/keikaku.json\"}}}" \
		"{\"file\": \"keikaku.json\", \"at\": \"$1\"}"
}
scenario "$(settings_at "$BASE")" "$(step plan.submit "$(committed "$submit_changes")")"
mock
expect 0 "committed 1a2b3c4d5e
026 · 令和3年度 進捗度: ○ → ▲
026 · 令和3年度 取組内容または結果: ・検証の結果 → ・端末の納期が遅れた。
005 · 状況: — → 取り下げ" "" -- kd submit "$fixtures/submit.json"
mock_done "submit"
is "submit request" "$(req 2)" \
	"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"plan.submit\",\"params\":{\"base\":\"$BASE\",\"items\":[{\"id\":26,\"patch\":{\"years\":{\"2021\":{\"progress\":\"behind\",\"result\":\"・端末の納期が遅れた。\"}}}},{\"id\":5,\"patch\":{\"status\":\"withdrawn\"}}],\"reason\":\"令和3年度の進捗報告\",\"request_id\":\"<rid>\"}}"

# Without a base, the head keikakud reports; a dry run.
scenario "$(step status "{\"result\": {\"version\": \"0.1.0\", \"repository\": \"/srv/plan.git\", \"head\": \"$HEAD\", \"uptime\": 5, \"connections\": 1, \"queued\": 0, \"commits\": 3}}")" \
	"$(settings_at "$HEAD")" \
	"$(step plan.submit "{\"result\": {\"commit\": null, \"head\": \"$HEAD\", \"changes\": [{\"item\": 12, \"path\": \"years.2022.revised\", \"new\": \"運用開始\"}], \"violations\": [], \"errors\": []}}")"
mock
expect 0 "dry run: nothing committed
012 · 令和4年度 変更スケジュール: (none) → 運用開始" "" -- kd submit --dry-run "$fixtures/submit-nobase.json"
mock_done "submit without base"
is "submit without base: request" "$(req 3 params)" \
	"{\"base\":\"$HEAD\",\"items\":[{\"id\":12,\"patch\":{\"years\":{\"2022\":{\"revised\":\"運用開始\"}}}}],\"request_id\":\"<rid>\",\"dry_run\":true}"

# Refused as a whole.
scenario "$(settings_at "$BASE")" "$(step plan.submit "$(refused -32001 "you do not act for an owner of item 5" \
	'{"violations": [{"item": 5, "path": "status", "rule": "owner", "message": "you do not act for an owner of item 5"}]}')")"
mock
expect 1 "" "keikaku: you do not act for an owner of item 5
  005 · 状況: you do not act for an owner of item 5" -- kd submit "$fixtures/submit.json"
mock_done "submit forbidden"

# Files that are not submissions: usage errors, before keikakud is asked.
printf '{"items": [{"id": 26, "patch": []}]}' >"$work/bad-patch.json"
printf '{"items": [], "reason": "x"}' >"$work/no-items.json"
printf '{"items": [{"id": 26, "patch": {}}], "comment": "x"}' >"$work/unknown.json"
printf '{"items": [{"id": 26, "patch": {}}], "base": "main"}' >"$work/bad-base.json"
printf '{"items": [{"id": 26, "patch": {}}, {"id": 26, "patch": {}}]}' >"$work/twice.json"
printf '{"items": [{"id": 26, "patch": {}}], "items": []}' >"$work/dup.json"
expect 2 "" "keikaku: $work/bad-patch.json: /items/0/patch: must be an object (a JSON Merge Patch)" \
	-- kk submit "$work/bad-patch.json"
expect 2 "" "keikaku: $work/no-items.json: /items: must be a non-empty array" -- kk submit "$work/no-items.json"
expect 2 "" "keikaku: $work/unknown.json: unknown member 'comment' (expected reason, base, items)" \
	-- kk submit "$work/unknown.json"
expect 2 "" "keikaku: $work/bad-base.json: /base: must be a commit id (40 hex digits)" \
	-- kk submit "$work/bad-base.json"
expect 2 "" "keikaku: $work/twice.json: /items/1: item 26 is already in /items/0" -- kk submit "$work/twice.json"
expect 2 "" "keikaku: $work/dup.json: line 1, column 38: duplicate key 'items'" -- kk submit "$work/dup.json"
expect 2 "*" "*" -- kk submit "$work/missing.json"
expect 2 "" "keikaku: expected one file
try 'keikaku submit --help'" -- kk submit
expect 0 "*" "" -- kk submit --help

# --- dept ---

scenario "$listdepts"
mock
expect 0 "name            users           groups  admin
デジタル戦略課  tanaka, yamada  dx      yes
税務課                          zeimu
市民課          sato" "" -- kd dept list
mock_done "dept list"
is "dept list request" "$(req 1)" '{"jsonrpc":"2.0","id":1,"method":"plan.files","params":{"paths":["departments.json"]}}'
scenario "$listdepts"
mock
check "dept list --json" cmp <(kd dept list --json) "$fixtures/departments.json"
mock_done "dept list --json"

depts_before='{"name":"デジタル戦略課","users":["tanaka","yamada"],"groups":["dx"],"admin":true},{"name":"税務課","groups":["zeimu"]},{"name":"市民課","users":["sato"]}'
scenario "$getdepts" "$(step plan.update "$(committed '[{"file": "departments.json", "path": "departments", "old": [], "new": []}]')")"
mock
expect 0 "committed 1a2b3c4d5e
add department '財務課'" "" -- kd dept add 財務課 --user suzuki --group zaimu --user ito --user suzuki --admin -m "組織改正"
mock_done "dept add"
is "dept add request" "$(req 2)" \
	"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"plan.update\",\"params\":{\"base\":\"$BASE\",\"files\":{\"departments.json\":{\"departments\":[$depts_before,{\"name\":\"財務課\",\"users\":[\"suzuki\",\"ito\"],\"groups\":[\"zaimu\"],\"admin\":true}]}},\"reason\":\"組織改正\",\"request_id\":\"<rid>\"}}"

scenario "$getdepts" "$(step plan.update "{\"result\": {\"commit\": null, \"head\": \"$BASE\", \"changes\": [], \"violations\": [], \"errors\": []}}" '{"dry_run": true}')"
mock
expect 0 "dry run: nothing committed
add department '会計課'" "" -- kd dept add 会計課 --dry-run
mock_done "dept add --dry-run"
is "dept add --dry-run: params" "$(req 2 params | /usr/bin/python3 -c 'import json,sys; p=json.load(sys.stdin); print(json.dumps(p["files"]["departments.json"]["departments"][-1], ensure_ascii=False), p["dry_run"], "reason" in p)')" \
	'{"name": "会計課"} True False'

scenario "$getdepts" "$(step plan.update "$(committed '[]')")"
mock
expect 0 "committed 1a2b3c4d5e
remove department '税務課'" "" -- kd dept remove 税務課
mock_done "dept remove"
is "dept remove request" "$(req 2 params)" \
	"{\"base\":\"$BASE\",\"files\":{\"departments.json\":{\"departments\":[{\"name\":\"デジタル戦略課\",\"users\":[\"tanaka\",\"yamada\"],\"groups\":[\"dx\"],\"admin\":true},{\"name\":\"市民課\",\"users\":[\"sato\"]}]}},\"request_id\":\"<rid>\"}"

scenario "$getdepts" "$(step plan.update "$(refused -32004 "the result does not validate: department '市民課' does not exist" \
	'{"errors": [{"file": "items/0003.json", "pointer": "/owners/0", "message": "department '"'"'市民課'"'"' does not exist"}]}')")"
mock
expect 1 "" "keikaku: the result does not validate: department '市民課' does not exist
  items/0003.json: /owners/0: department '市民課' does not exist" -- kd dept remove 市民課
mock_done "dept remove refused"

scenario "$getdepts"
mock
expect 2 "" "keikaku: department '税務課' already exists
try 'keikaku dept add --help'" -- kd dept add 税務課
mock_done "dept add existing"
# A department's name as an input method types it is the name: a full-width space, half-width
# katakana, in both languages; an added one is stored in its normal form.
scenario "$getdepts"
mock
expect 2 "" "keikaku: 課「税務課」は既に存在します
詳しくは 'keikaku dept add --help' を実行してください" -- env LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 "$KEIKAKU" --socket "$sock" dept add "税務課　"
mock_done "dept add existing, with a full-width space"
scenario "$getdepts" "$(step plan.update "$(committed '[]')")"
mock
expect 0 "committed 1a2b3c4d5e
remove department '税務課'" "" -- kd dept remove "　税務課"
mock_done "dept remove, with a full-width space"
is "dept remove, with a full-width space: the department removed" "$(req 2 params | /usr/bin/python3 -c 'import json,sys; print([d["name"] for d in json.load(sys.stdin)["files"]["departments.json"]["departments"]])')" \
	"['デジタル戦略課', '市民課']"
scenario "$getdepts" "$(step plan.update "$(committed '[]')")"
mock
expect 0 "*" "" -- kd dept add "情報ｾﾝﾀｰ　"
mock_done "dept add, half-width katakana"
is "dept add: stored in normal form" "$(req 2 params | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["files"]["departments.json"]["departments"][-1]["name"])')" 情報センター
scenario "$getdepts"
mock
expect 2 "" "keikaku: department '会計課' does not exist
try 'keikaku dept remove --help'" -- kd dept remove 会計課
mock_done "dept remove missing"
expect 2 "" "keikaku: unknown option '--user'
try 'keikaku dept remove --help'" -- kk dept remove 税務課 --user x
expect 2 "" "keikaku: expected list, add, remove, map or unmap
try 'keikaku dept --help'" -- kk dept
expect 2 "" "keikaku: 'rename' is not a dept command (list, add, remove, map, unmap)
try 'keikaku dept --help'" -- kk dept rename
expect 2 "" "keikaku: expected one department name
try 'keikaku dept add --help'" -- kk dept add
expect 0 "*" "" -- kk dept --help
expect 0 "*" "" -- kk dept add --help

# --- whoami, status ---

whoami='{"uid": 1001, "user": "tanaka", "name": "田中 一郎", "groups": ["tanaka", "dx"], "departments": ["デジタル戦略課", "税務課"], "admin": true}'
scenario "$(step whoami "{\"result\": $whoami}")"
mock
expect 0 "user         tanaka
name         田中 一郎
departments  デジタル戦略課、税務課
admin        yes" "" -- kd whoami
mock_done "whoami"
is "whoami request" "$(req 1)" '{"jsonrpc":"2.0","id":1,"method":"whoami"}'
scenario "$(step whoami '{"result": {"uid": 1002, "user": "guest", "name": "guest", "groups": [], "departments": [], "admin": false}}')"
mock
expect 0 "user         guest
name         guest
departments  (none)
admin        no" "" -- kd whoami
mock_done "whoami, no department"
scenario "$(step whoami "{\"result\": $whoami}")"
mock
expect 0 "{
  \"uid\": 1001,
  \"user\": \"tanaka\",
  \"name\": \"田中 一郎\",
  \"groups\": [
    \"tanaka\",
    \"dx\"
  ],
  \"departments\": [
    \"デジタル戦略課\",
    \"税務課\"
  ],
  \"admin\": true
}" "" -- kd whoami --json
mock_done "whoami --json"

status="{\"version\": \"0.1.0\", \"repository\": \"/srv/keikaku/plan.git\", \"head\": \"$HEAD\", \"uptime\": 93784, \"connections\": 2, \"queued\": 0, \"commits\": 17}"
scenario "$(step status "{\"result\": $status}")"
mock
expect 0 "version      0.1.0
repository   /srv/keikaku/plan.git
head         $HEAD
uptime       1d 2h 3m 4s
connections  2
queued       0
commits      17" "" -- kd status
mock_done "status"
scenario "$(step status "{\"result\": $status}")"
mock
check "status --json" test "$(kd status --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["uptime"])')" = 93784
mock_done "status --json"
expect 2 "" "keikaku: unexpected argument 'x'
try 'keikaku whoami --help'" -- kk whoami x

# --- edit ---

# The editor edits with sed; $EDITOR may carry arguments.
scenario "$get26" "$(step item.update "$(committed "$progress_change")")"
mock
expect 0 "committed 1a2b3c4d5e
026 テレワークの拡大 · 令和3年度 進捗度: ○ → ▲" "" \
	-- env EDITOR="sed -i -e 's/\"on_track\"/\"behind\"/' -e 's/^# reason: *\$/# reason: 端末の納期遅れ/'" \
	"$KEIKAKU" --socket "$sock" edit 26
mock_done "edit"
is "edit request" "$(req 3 params)" \
	"{\"id\":26,\"base\":\"$BASE\",\"patch\":{\"years\":{\"2021\":{\"progress\":\"behind\"}}},\"reason\":\"端末の納期遅れ\",\"request_id\":\"<rid>\"}"
is "edit leaves no file" "$(ls "$TMPDIR")" ""

# What the editor is given: a header, the reason from -m, the item in canonical form.
cat >"$work/peek" <<EOF
#!/bin/sh
cp "\$1" "$work/seen.json"
EOF
chmod +x "$work/peek"
scenario "$get26"
mock
expect 0 "no changes" "" -- env VISUAL="$work/peek" EDITOR=false "$KEIKAKU" --socket "$sock" edit 0026 -m "年度末の見直し"
mock_done "edit without changes"
is "edit header" "$(head -n 8 "$work/seen.json")" "# keikaku edit: item 26 テレワークの拡大, as of commit 4b825dc642
# change the JSON below and save to submit it; lines starting with '#' are ignored
# write the reason for the change after 'reason:'; save the file unchanged to change nothing
# progress (進捗度): ◎ ahead (計画より早く進んでいる), ○ on_track (計画どおり進んでいる), ▲ behind (計画より遅れている)
# achievement (達成度): 導入完了 completed, 取り下げ withdrawn, — open
# a year in \"years\": 2020, R2 or 令和2年度
# the marks and words are turned into the codes beside them; other text is kept as you write it
# reason: 年度末の見直し"
check "edit shows the canonical item" cmp <(tail -n +9 "$work/seen.json") "$example/items/0026.json"
scenario "$get26"
mock
expect 0 "変更はありません" "" -- env VISUAL="$work/peek" EDITOR=false LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 \
	"$KEIKAKU" --socket "$sock" edit 26
mock_done "edit without changes, in Japanese"
is "edit legend in Japanese" "$(sed -n 4,7p "$work/seen.json")" "# 進捗度: ◎ ahead (計画より早く進んでいる), ○ on_track (計画どおり進んでいる), ▲ behind (計画より遅れている)
# 達成度: 導入完了 completed, 取り下げ withdrawn, — open
# years の年度: 2020、R2、令和2年度 のいずれか
# 記号と語は横のコードに直して保存されます。ほかの文章は書いたとおりに保存されます"
# The report's marks and words, written in the file, go to keikakud as written (it turns them
# into codes, core/plan/update.c).
scenario "$get26" "$(step item.update "$(committed "$progress_change")")"
mock
expect 0 "*" "" -- env EDITOR="sed -i -e 's/\"on_track\"/\"▲\"/' -e 's/^# reason: *\$/# reason: 遅れ/'" \
	"$KEIKAKU" --socket "$sock" edit 26
mock_done "edit with a mark"
is "edit sends the mark" "$(req 3 params.patch)" '{"years":{"2021":{"progress":"▲"}}}'
is "no changes leaves no file" "$(ls "$TMPDIR")" ""

# Refused, then corrected in the reopened editor: the error on top, the user's text kept.
cat >"$work/editor" <<EOF
#!/bin/sh
# Round 1 changes a planned schedule; round 2 keeps a copy and gives the reason.
n=\$(cat "$work/rounds" 2>/dev/null || echo 0)
n=\$((n + 1))
echo \$n >"$work/rounds"
if [ \$n = 1 ]; then
	sed -i 's/"planned": "効果検証を行った上、同時利用可能人数の拡大"/"planned": "効果検証"/' "\$1"
	cp "\$1" "$work/round1.json"
else
	cp "\$1" "$work/round2.json"
	[ -n "\$GIVE_UP" ] || sed -i 's/^# reason: *\$/# reason: 計画の見直し/' "\$1"
fi
EOF
chmod +x "$work/editor"
frozen='{"violations": [{"item": 26, "path": "years.2021.planned", "rule": "frozen-planned", "message": "a planned schedule is frozen once its fiscal year is open"}]}'
planned_patch='{"years":{"2021":{"planned":"効果検証"}}}'
rm -f "$work/rounds"
scenario "$get26" "$(step item.update "$(refused -32003 "a planned schedule is frozen once its fiscal year is open" "$frozen")")" \
	"$(step item.update "$(committed '[{"item": 26, "path": "years.2021.planned", "old": "効果検証を行った上、同時利用可能人数の拡大", "new": "効果検証"}]')")"
mock
expect 0 "committed 1a2b3c4d5e
026 テレワークの拡大 · 令和3年度 計画スケジュール:
    効果検証を行った上、同時利用可能人… → 効果検証" "" \
	-- env EDITOR="$work/editor" "$KEIKAKU" --socket "$sock" edit 26
mock_done "edit refused, then corrected"
is "editor opened twice" "$(cat "$work/rounds")" 2
is "the error on top" "$(head -n 4 "$work/round2.json")" "# keikakud refused this edit: a planned schedule is frozen once its fiscal year is open
#   026 テレワークの拡大 · 令和3年度 計画スケジュール: a planned schedule is frozen once its fiscal year is open
# correct the text below and save it; save it unchanged, or empty it, to give up
#"
check "the user's text kept" cmp <(tail -n +5 "$work/round2.json") "$work/round1.json"
is "first submission" "$(req 3 params)" "{\"id\":26,\"base\":\"$BASE\",\"patch\":$planned_patch,\"request_id\":\"<rid>\"}"
is "second submission" "$(req 4 params)" "{\"id\":26,\"base\":\"$BASE\",\"patch\":$planned_patch,\"reason\":\"計画の見直し\",\"request_id\":\"<rid>\"}"
is "a new request_id for a new submission" "$([ "$(rid 3)" != "$(rid 4)" ] && echo yes)" yes
is "committed: no file left" "$(ls "$TMPDIR")" ""

# Refused, and saved unchanged: give up, exit 1, the text stays where the user is told.
rm -f "$work/rounds"
scenario "$get26" "$(step item.update "$(refused -32003 "a planned schedule is frozen once its fiscal year is open" "$frozen")")"
mock
expect 1 "" "*" -- env GIVE_UP=1 EDITOR="$work/editor" "$KEIKAKU" --socket "$sock" edit 26
mock_done "edit given up"
kept=$(ls "$TMPDIR"/keikaku-item-0026-*.json 2>/dev/null || true)
is "given up: one file kept" "$(echo "$kept" | grep -c .)" 1
is "given up: message" "$(cat "$work/.stderr")" "keikaku: item 26 not updated; your text is kept in '$kept'"
check "given up: the user's text is in it" cmp <(tail -n +5 "$kept") "$work/round1.json"
rm -f "$TMPDIR"/*

# A conflict: the fields someone else changed, as read and as they are now; the next
# submission is based on the current version, and saving again replaces what is there.
cat >"$work/editor" <<EOF
#!/bin/sh
n=\$(cat "$work/rounds" 2>/dev/null || echo 0)
n=\$((n + 1))
echo \$n >"$work/rounds"
if [ \$n = 1 ]; then
	sed -i 's/"on_track"/"behind"/' "\$1"
else
	cp "\$1" "$work/round2.json"
	sed -i 's/^# reason: *\$/# reason: 遅れている/' "\$1"
fi
EOF
rm -f "$work/rounds"
scenario "$get26" \
	"$(step item.update "$(refused -32002 "conflict: someone changed the same fields since your base commit" \
		'{"fields": [{"item": 26, "path": "years.2021.progress"}], "items": []}')")" \
	"$(step item.get "{\"result\": {\"commit\": \"$HEAD\", \"item\": {\"\$include\": \"$fixtures/item-26-ahead.json\"}}}" '{"id": 26}')" \
	"$(step item.update "$(committed "[{\"item\": 26, \"path\": \"years.2021.progress\", \"old\": \"ahead\", \"new\": \"behind\"}]")")"
mock
expect 0 "committed 1a2b3c4d5e
026 テレワークの拡大 · 令和3年度 進捗度: ◎ → ▲" "" -- env EDITOR="$work/editor" "$KEIKAKU" --socket "$sock" edit 26
mock_done "edit in conflict"
is "conflict shown" "$(head -n 7 "$work/round2.json")" "# keikakud refused this edit: conflict: someone changed the same fields since your base commit
#   026 テレワークの拡大 · 令和3年度 進捗度: changed since your base commit
# what you read → what it is now:
#   026 テレワークの拡大 · 令和3年度 進捗度: ○ → ◎
# save your text again to replace what is there now
# correct the text below and save it; save it unchanged, or empty it, to give up
#"
is "conflict: the current version is the new base" "$(req 5 params)" \
	"{\"id\":26,\"base\":\"$HEAD\",\"patch\":{\"years\":{\"2021\":{\"progress\":\"behind\"}}},\"reason\":\"遅れている\",\"request_id\":\"<rid>\"}"

# Not JSON: the parser's error on top, pointing at the line in the reopened file.
cat >"$work/editor" <<EOF
#!/bin/sh
n=\$(cat "$work/rounds" 2>/dev/null || echo 0)
n=\$((n + 1))
echo \$n >"$work/rounds"
if [ \$n = 1 ]; then
	sed -i 's/"pillar": 2,/"pillar": 2/' "\$1"
else
	cp "\$1" "$work/round2.json"
	sed -i -e 's/"pillar": 2\$/"pillar": 2,/' -e 's/"on_track"/"ahead"/' "\$1"
fi
EOF
rm -f "$work/rounds"
scenario "$get26" "$(step item.update "$(committed '[{"item": 26, "path": "years.2021.progress", "old": "on_track", "new": "ahead"}]')")"
mock
expect 0 "committed 1a2b3c4d5e
026 テレワークの拡大 · 令和3年度 進捗度: ○ → ◎" "" -- env EDITOR="$work/editor" "$KEIKAKU" --socket "$sock" edit 26
mock_done "edit with a syntax error"
is "syntax error shown" "$(head -n 3 "$work/round2.json")" "# error: line 15, column 3: invalid JSON: '}' expected near '\"section\"'
# correct the text below and save it; save it unchanged, or empty it, to give up
#"
is "syntax error: the line named" "$(sed -n 15p "$work/round2.json")" '  "section": 1,'
is "syntax error: patch" "$(req 3 params.patch)" '{"years":{"2021":{"progress":"ahead"}}}'

# An emptied file: nothing is sent, exit 1.
scenario "$get26"
mock
expect 1 "" "keikaku: the file is empty; item 26 not updated" \
	-- env EDITOR="truncate -s 0" "$KEIKAKU" --socket "$sock" edit 26
mock_done "edit emptied"
is "emptied: no file left" "$(ls "$TMPDIR")" ""

# A dry run: the result, and the file kept for another try.
scenario "$get26" "$(step item.update "{\"result\": {\"commit\": null, \"head\": \"$BASE\", \"changes\": $progress_change, \"violations\": [], \"errors\": []}}" '{"dry_run": true}')"
mock
expect 0 "dry run: nothing committed
026 テレワークの拡大 · 令和3年度 進捗度: ○ → ▲" "*" \
	-- env EDITOR="sed -i s/on_track/behind/" "$KEIKAKU" --socket "$sock" edit 26 --dry-run
mock_done "edit --dry-run"
is "edit --dry-run: dry_run" "$(req 3 params.dry_run)" true
check "edit --dry-run: the file is kept" grep -q "your text is kept in '$TMPDIR/keikaku-item-0026-" "$work/.stderr"
rm -f "$TMPDIR"/*

# An editor that fails: nothing is sent, exit 3.
scenario "$get26"
mock
expect 3 "" "*" -- env EDITOR=false "$KEIKAKU" --socket "$sock" edit 26
mock_done "edit with a failing editor"
check "failing editor: message" grep -q "^keikaku: editor 'false' failed" "$work/.stderr"
rm -f "$TMPDIR"/*

expect 2 "" "keikaku: expected one item id
try 'keikaku edit --help'" -- kk edit
expect 0 "*" "" -- kk edit --help

finish
