#!/usr/bin/env bash
# What the reads print, in English and in Japanese: --json on verify, schema
# validate and fmt --check; log -n and a --since before the first commit; the
# pager on a terminal (a pseudo-terminal made by script(1)) and never elsewhere.
. "$(dirname "$0")/lib.bash"
repo=$(example_repo)

need_ja
# jq EXPR < JSON: prints a Python expression of the document `j`.
jq_() {
	/usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); r=eval(sys.argv[1]); print(r if isinstance(r,str) else json.dumps(r, ensure_ascii=False, sort_keys=True))' "$1"
}
head=$(git -C "$repo" rev-parse HEAD)

# --- verify --json: one document, the problems as objects; exit 1 with problems ---
broken=$work/broken
git clone -q "$repo" "$broken"
(cd "$broken" && sed -i 's/"on_track"/"late"/' items/0026.json && git commit -qam broken)
for run in kk ja; do
	expect 0 "*" "" -- $run -C "$repo" verify --json
	$run -C "$repo" verify --json >"$work/v.json"
	check "$run: verify --json, no problems" test "$(jq_ '[j["files"], j["problems"], j["commit"]]' <"$work/v.json")" = "[42, [], \"$head\"]"
	expect 1 "*" "" -- $run -C "$broken" verify --json
	$run -C "$broken" verify --json >"$work/v.json" || true
	check "$run: verify --json, the problem as an object" test "$(jq_ '[sorted(p) for p in j["problems"]][0], j["problems"][0]["path"], j["problems"][0]["pointer"]' <"$work/v.json")" = \
		'[["message", "path", "pointer"], "items/0026.json", "/years/2021/progress"]'
done

# --- schema validate --json ---
cp "$KK_SOURCE_DIR/examples/dx-plan-r3/items/0001.json" "$work/ok.json"
echo '{"a": 1}' >"$work/bad.json"
echo '{' >"$work/syntax.json"
schema=$KK_SOURCE_DIR/schema/item.schema.json
for run in kk ja; do
	expect 0 '{
  "files": 1,
  "valid": [
    "ok.json"
  ],
  "problems": []
}' "" -- $run -C "$work" schema validate --json "$schema" ok.json
	expect 1 "*" "" -- $run -C "$work" schema validate --json "$schema" ok.json bad.json syntax.json
	(cd "$work" && $run schema validate --json "$schema" ok.json bad.json syntax.json >"$work/s.json") || true
	check "$run: schema validate --json, valid files" test "$(jq_ 'j["valid"], j["files"]' <"$work/s.json")" = '[["ok.json"], 3]'
	check "$run: schema validate --json, a schema error" test "$(jq_ '[p for p in j["problems"] if p["pointer"] == "/a"][0]["path"]' <"$work/s.json")" = bad.json
	check "$run: schema validate --json, a syntax error" test "$(jq_ '[(p["path"], p["pointer"], p["line"], p["column"]) for p in j["problems"] if "line" in p]' <"$work/s.json")" = '[["syntax.json", "", 2, 1]]'
	expect 2 "*" "*" -- $run -C "$work" schema validate --json "$schema" missing.json
done
expect 0 '{
  "files": 1,
  "valid": [
    "ok.json"
  ],
  "problems": []
}' "" -- ja -C "$work" schema validate --json "$schema" ok.json
expect 1 "syntax.json: 2 行目、1 列目: 入力が途中で終わっています" "" -- ja -C "$work" schema validate "$schema" syntax.json
expect 1 "syntax.json: line 2, column 1: unexpected end of input" "" -- kk -C "$work" schema validate "$schema" syntax.json

# --- fmt --check --json ---
/usr/bin/python3 -c 'import json; d=json.load(open("'"$work"'/ok.json")); json.dump(d, open("'"$work"'/loose.json","w"), ensure_ascii=False)'
expect 0 '{
  "files": 1,
  "problems": []
}' "" -- kk -C "$work" fmt --check --json ok.json
expect 1 '{
  "files": 2,
  "problems": [
    {
      "path": "loose.json",
      "pointer": "",
      "message": "not in canonical form (run '"'keikaku fmt loose.json'"')"
    }
  ]
}' "" -- kk -C "$work" fmt --check --json ok.json loose.json
expect 1 "*" "" -- ja -C "$work" fmt --check --json ok.json loose.json
(cd "$work" && ja fmt --check --json ok.json loose.json >"$work/f.json") || true
check "ja: fmt --check --json, the message translated" test "$(jq_ 'j["problems"][0]["message"]' <"$work/f.json")" = "$(ja -C "$work" fmt --check --json loose.json | jq_ 'j["problems"][0]["message"]')"
check "ja: fmt --check --json, not English" sh -c "! grep -q 'not in canonical form' '$work/f.json'"
# A file that cannot be read or parsed: exit 2, said on stderr, and a problem of the document,
# which accounts for every file it counts; the same for schema validate --json.
for run in kk ja; do
	expect 2 "*" "*" -- $run -C "$work" fmt --check --json ok.json syntax.json missing.json
	(cd "$work" && $run fmt --check --json ok.json syntax.json missing.json >"$work/f2.json" 2>/dev/null) || true
	check "$run: fmt --check --json, unreadable files are problems" test \
		"$(jq_ '[j["files"], [(p["path"], p.get("line")) for p in j["problems"]]]' <"$work/f2.json")" = \
		'[3, [["syntax.json", 2], ["missing.json", null]]]'
	(cd "$work" && $run schema validate --json "$schema" ok.json missing.json >"$work/s2.json" 2>/dev/null) || true
	check "$run: schema validate --json, an unreadable file is a problem" test \
		"$(jq_ '[j["files"], j["valid"], [p["path"] for p in j["problems"]]]' <"$work/s2.json")" = '[2, ["ok.json"], ["missing.json"]]'
done
check "ja: the unreadable file's problem in Japanese" sh -c "! grep -q 'cannot read' '$work/s2.json'"
expect 1 "loose.json" "" -- kk -C "$work" fmt --check ok.json loose.json
expect 2 "" "keikaku: --json goes with --check
try 'keikaku fmt --help'" -- kk -C "$work" fmt --json ok.json
expect 2 "" "keikaku: --json は --check と共に指定します
詳しくは 'keikaku fmt --help' を実行してください" -- ja -C "$work" fmt --json ok.json
check "fmt --check --json changed nothing" sh -c "! cmp -s '$work/ok.json' '$work/loose.json' && grep -q '\"id\": 1' '$work/ok.json'"

# --- log -n / --max-count; --since before the first commit ---
git clone -q "$repo" "$work/hist"
(cd "$work/hist" && sed -i 's/"on_track"/"ahead"/' items/0026.json &&
	GIT_COMMITTER_DATE=2030-01-01T00:00:00Z git commit -qam "second" &&
	sed -i 's/"ahead"/"behind"/' items/0026.json &&
	GIT_COMMITTER_DATE=2030-01-02T00:00:00Z git commit -qam "third")
hist=$work/hist
for run in kk ja; do
	check "$run: log -n 1 is the newest entry" test "$($run -C "$hist" log -n 1 --json | jq_ '[e["summary"] for e in j["entries"]]')" = '["third"]'
	check "$run: log --max-count 2" test "$($run -C "$hist" log --max-count=2 --json | jq_ '[e["summary"] for e in j["entries"]]')" = '["third", "second"]'
	check "$run: log -n 1 text, one commit" test "$($run -C "$hist" log -n1 | grep -c '^[0-9a-f]\{10\} ')" = 1
	check "$run: log -n larger than the log" test "$($run -C "$hist" log -n 100000 --json | jq_ 'len(j["entries"])')" = "$($run -C "$hist" log --json | jq_ 'len(j["entries"])')"
done
expect 2 "" "keikaku: -n takes a positive number, not '0'
try 'keikaku log --help'" -- kk -C "$hist" log -n 0
expect 2 "" "keikaku: -n takes a positive number, not '-3'
try 'keikaku log --help'" -- kk -C "$hist" log -n -3
expect 2 "" "keikaku: -n には正の整数を指定します (「x」ではなく)
詳しくは 'keikaku log --help' を実行してください" -- ja -C "$hist" log -n x
all=$(kk -C "$hist" log --json | jq_ 'len(j["entries"])')
for since in @2000-01-01 fy2000 2000-01-01; do
	for run in kk ja; do
		expect 0 "*" "" -- $run -C "$hist" log --since "$since" --json
		check "$run: log --since $since is the whole log" test "$($run -C "$hist" log --since "$since" --json | jq_ 'len(j["entries"])')" = "$all"
	done
done
expect 1 "*" "" -- kk -C "$hist" pending --fy 2021 --since @2000-01-01 --json
check "pending --since @2000-01-01: from the first commit" test "$(kk -C "$hist" pending --fy 2021 --since @2000-01-01 --json | jq_ 'j["since_timestamp"]')" = "$(git -C "$hist" log --reverse --format=%ct | head -1)"
expect 3 "" "keikaku: unknown revision 'nosuch'" -- kk -C "$hist" log --since nosuch
expect 3 "" "*" -- kk -C "$hist" log --until @2000-01-01

# --- the pager: on a terminal only ---
# tty CMD: runs CMD in a pseudo-terminal and prints what the terminal showed.
tty() {
	script -qec "$*" /dev/null </dev/null | tr -d '\r'
}
export PAGER='sed s/^/P:/'
unset KEIKAKU_PAGER LESS
for cmd in "log -n 1" "show 26" "list" "diff HEAD~1" "blame 26" "schedule --fy 2021" \
	"pending --fy 2021" "report --fy 2021 --format md"; do
	check "paged: $cmd" sh -c "test \"\$(script -qec '$KEIKAKU -C $hist $cmd' /dev/null </dev/null | tr -d '\r' | grep -vc '^P:')\" = 0"
	check "not paged into a pipe: $cmd" sh -c "! $KEIKAKU -C $hist $cmd | grep -q '^P:'"
done
check "paged in Japanese" sh -c "script -qec 'LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 $KEIKAKU -C $hist log -n 1' /dev/null </dev/null | grep -q '^P:.*進捗度: ◎ → ▲'"
check "--json is not paged" sh -c "! script -qec '$KEIKAKU -C $hist log -n 1 --json' /dev/null </dev/null | grep -q '^P:'"
check "--no-pager" sh -c "! script -qec '$KEIKAKU --no-pager -C $hist log -n 1' /dev/null </dev/null | grep -q '^P:'"
check "--no-pager still prints" sh -c "script -qec '$KEIKAKU --no-pager -C $hist log -n 1' /dev/null </dev/null | grep -q '進捗度: ◎ → ▲'"
check "PAGER=cat" sh -c "script -qec 'PAGER=cat $KEIKAKU -C $hist log -n 1' /dev/null </dev/null | grep -q '^[0-9a-f]\{10\} '"
check "PAGER empty" sh -c "script -qec 'PAGER= $KEIKAKU -C $hist log -n 1' /dev/null </dev/null | grep -q '^[0-9a-f]\{10\} '"
check "KEIKAKU_PAGER over PAGER" sh -c "script -qec 'KEIKAKU_PAGER=\"sed s/^/K:/\" $KEIKAKU -C $hist log -n 1' /dev/null </dev/null | grep -q '^K:'"
check "KEIKAKU_PAGER=cat over PAGER" sh -c "! script -qec 'KEIKAKU_PAGER=cat $KEIKAKU -C $hist log -n 1' /dev/null </dev/null | grep -q '^P:'"
# LESS as git sets it when unset, and left alone when set.
cat >"$work/pager" <<'PAGER'
#!/bin/sh
echo "LESS=${LESS-unset}" >"$PAGER_RECORD"
cat >/dev/null
PAGER
chmod +x "$work/pager"
script -qec "PAGER_RECORD=$work/rec1 PAGER=$work/pager $KEIKAKU -C $hist log -n 1" /dev/null </dev/null >/dev/null
check "LESS=FRX when unset" test "$(cat "$work/rec1")" = "LESS=FRX"
script -qec "LESS=X PAGER_RECORD=$work/rec2 PAGER=$work/pager $KEIKAKU -C $hist log -n 1" /dev/null </dev/null >/dev/null
check "LESS kept when set" test "$(cat "$work/rec2")" = "LESS=X"
# Quitting the pager early is no error: exit 0, no message; also with more than a pipe holds
# (the html report), so that keikaku is still writing when the pager goes, and when whoever
# started keikaku blocked SIGPIPE (the write then fails with EPIPE instead).
check "the html report is more than a pipe holds" \
	test "$(kk -C "$hist" report --fy 2021 --format html | wc -c)" -gt 65536
cat >"$work/sigpipe.py" <<'PY'
# sigpipe.py block|ignore CMD...: runs CMD with SIGPIPE blocked or ignored.
import os, signal, sys
if sys.argv[1] == "block":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGPIPE})
else:
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
os.execvp(sys.argv[2], sys.argv[2:])
PY
for how in "" "/usr/bin/python3 $work/sigpipe.py block"; do
	for format in md html; do
		out=$(script -qec "PAGER='head -c 10' $how $KEIKAKU -C $hist report --fy 2021 --format $format; echo rc=\$?" /dev/null </dev/null | tr -d '\r')
		check "pager quit early ($format${how:+, SIGPIPE blocked}): exit 0: $out" sh -c "echo '$out' | grep -q 'rc=0\$'"
		check "pager quit early ($format${how:+, SIGPIPE blocked}): the pager's 10 bytes only" test "${#out}" -lt 20
		check "pager quit early ($format${how:+, SIGPIPE blocked}): no error" sh -c "! echo '$out' | grep -q 'keikaku:'"
	done
done
# The same with less, the default, quit with q as a person quits it, in both languages.
cat >"$work/quit-less.py" <<'PY'
# quit-less.py CMD...: runs CMD on a 24-line terminal, types q once the screen is full and
# quiet, and prints CMD's exit status and whether it said anything.
import os, pty, select, struct, sys, time, fcntl, termios
pid, fd = pty.fork()
if pid == 0:
    for name in ("PAGER", "KEIKAKU_PAGER", "LESS"):
        os.environ.pop(name, None)
    os.environ["TERM"] = "vt100"
    os.execvp(sys.argv[1], sys.argv[1:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
seen, typed, start = b"", False, time.time()
while time.time() - start < 30:
    if select.select([fd], [], [], 0.5)[0]:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        seen += data
    elif seen and not typed:
        os.write(fd, b"q")
        typed = True
status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
# less showed one screen of it, not all of it.
print("typed" if typed else "not-typed", status, "said" if b"keikaku:" in seen else "quiet",
      "paged" if len(seen) < 20000 else "not-paged")
PY
if ! command -v less >/dev/null; then
	fail "less is missing: run scripts/deps"
fi
for lang in C.UTF-8 ja_JP.UTF-8; do
	check "less quit with q ($lang): exit 0, nothing said" test \
		"$(LANG=$lang LC_ALL=$lang /usr/bin/python3 "$work/quit-less.py" "$KEIKAKU" -C "$hist" report --fy 2021 --format html)" = "typed 0 quiet paged"
done
# Without a pager, a write that fails is an error, said once: a full disk, or a reader that
# went away when SIGPIPE is ignored (as git and the shell's tools, keikaku is killed by
# SIGPIPE when it is not).
for lang in C.UTF-8 ja_JP.UTF-8; do
	for cmd in "list" "report --fy 2021 --format html"; do
		# shellcheck disable=SC2086
		code=0; LANG=$lang LC_ALL=$lang "$KEIKAKU" -C "$hist" $cmd >/dev/full 2>"$work/full.err" || code=$?
		check "$lang: $cmd >/dev/full: exit 3 ($code)" test "$code" = 3
		check "$lang: $cmd >/dev/full: said once: $(cat "$work/full.err")" test "$(grep -c '^keikaku: ' "$work/full.err")" = 1
		[ $lang = C.UTF-8 ] && check "$cmd >/dev/full: the message" grep -qx 'keikaku: cannot write output: No space left on device' "$work/full.err"
		[ $lang = ja_JP.UTF-8 ] && check "$cmd >/dev/full: the message in Japanese" grep -q '^keikaku: 出力を書き込めません: ' "$work/full.err"
	done
	code=0
	LANG=$lang LC_ALL=$lang /usr/bin/python3 "$work/sigpipe.py" ignore "$KEIKAKU" -C "$hist" report --fy 2021 --format html 2>"$work/pipe.err" | head -c 10 >/dev/null || true
	check "$lang: a reader gone, SIGPIPE ignored: said: $(cat "$work/pipe.err")" test "$(grep -c '^keikaku: ' "$work/pipe.err")" = 1
done
code=0
bash -c 'set -o pipefail; /usr/bin/python3 "$1" ignore "$2" -C "$3" report --fy 2021 --format html 2>/dev/null | head -c 10 >/dev/null' _ "$work/sigpipe.py" "$KEIKAKU" "$hist" || code=$?
check "a reader gone, SIGPIPE ignored: exit 3 ($code)" test "$code" = 3
# Colours and the terminal's width go through the pager, as git's do.
git clone -q "$hist" "$work/text"
(cd "$work/text" && sed -i 's/170台体制/200台体制/' items/0026.json &&
	git commit -qam "a text")
check "diff's colours through the pager" sh -c "script -qec '$KEIKAKU -C $work/text diff' /dev/null </dev/null | grep -q '^P:.*$(printf '\033')\[3[12]m'"
check "no colours through PAGER=cat into a pipe" sh -c "! PAGER=cat $KEIKAKU -C $work/text diff | grep -q '$(printf '\033')'"
wide=$(script -qec "stty cols 200; unset COLUMNS; $KEIKAKU -C $hist schedule --fy 2021" /dev/null </dev/null | tr -d '\r' | awk '{ print length($0) }' | sort -n | tail -1)
check "the terminal's width through the pager ($wide)" test "$wide" -gt 100
# The default is less -FRX: one screen quits at once.
check "less -FRX by default" sh -c "unset PAGER; script -qec '$KEIKAKU -C $hist log -n 1' /dev/null </dev/null | grep -q '進捗度: ◎ → ▲'"

# --- Japanese output: the schedule's columns, its verdicts, a year's close, status ---
unset PAGER
# Each heading of the schedule starts where its column does, in both languages.
for run in kk ja; do
	$run -C "$repo" schedule --changed --fy 2021 >"$work/sched.txt"
	check "$run: schedule --changed, headings apart" sh -c "head -1 '$work/sched.txt' | grep -q '^[^ ]* [^ ]'"
	# The year column of the first row starts where the year heading does.
	/usr/bin/python3 - "$work/sched.txt" >"$work/cols" <<'PY'
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
head, row = lines[0], lines[2]
year_at = width(head[:len(head.split(" ")[0])]) + 1
first = len(row) - len(row.lstrip(" "))
print(year_at, first)
PY
	check "$run: schedule --changed, the year under its heading ($(cat "$work/cols"))" sh -c "read a b <'$work/cols'; test \"\$a\" = \"\$b\""
done
check "schedule: docs/cli.md's verdicts in English" sh -c "kk() { \"$KEIKAKU\" \"\$@\"; }; $KEIKAKU -C $repo schedule --fy 2021 | grep -q ' unplanned\$' && $KEIKAKU -C $repo schedule --fy 2021 | grep -q ' unchanged\$' && ! $KEIKAKU -C $repo schedule | grep -q 'not planned\|as planned\|wording only\|not revised'"
check "schedule: docs/cli.md's verdicts in Japanese" sh -c "LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 $KEIKAKU -C $repo schedule --fy 2021 | grep -q ' 計画なし\$'"
for word in unplanned unchanged slipped advanced; do
	check "docs/cli.md names the verdict $word" grep -q "^| \`$word\` (" "$KK_SOURCE_DIR/docs/cli.md"
done
# Every verdict on screen, in either language, is one of docs/cli.md's table.
sed -n '/^### `keikaku schedule /,/^### /s/^| `\([a-z]*\)` (\([^)]*\)) |.*/\1 \2/p' "$KK_SOURCE_DIR/docs/cli.md" >"$work/verdicts"
check "docs/cli.md's verdict table read: $(wc -l <"$work/verdicts")" test "$(wc -l <"$work/verdicts")" = 7
for lang in C.UTF-8 ja_JP.UTF-8; do
	field=1
	[ $lang = ja_JP.UTF-8 ] && field=2
	LANG=$lang LC_ALL=$lang "$KEIKAKU" -C "$repo" schedule | sed -n 's/^ \+令和[0-9]*年度 .* \([^ ]*\)$/\1/p' | sort -u >"$work/shown"
	check "$lang: schedule shows verdicts ($(wc -l <"$work/shown"))" test "$(wc -l <"$work/shown")" -ge 5
	unknown=$(grep -vxFf <(cut -d' ' -f$field "$work/verdicts") "$work/shown" || true)
	check "$lang: every verdict shown is docs/cli.md's: $unknown" test -z "$unknown"
done
git clone -q "$repo" "$work/closed"
(cd "$work/closed" && /usr/bin/python3 -c '
import json; d = json.load(open("keikaku.json")); d["years"]["2021"] = "closed"
json.dump(d, open("keikaku.json", "w"), ensure_ascii=False, indent=2)' && git commit -qam close)
expect 0 "    keikaku.json · 令和3年度: open → closed" "" -- sh -c "\"$KEIKAKU\" -C '$work/closed' log -n 1 | tail -n +2"
expect 0 "    keikaku.json · 令和3年度: open → closed" "" -- sh -c "LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 \"$KEIKAKU\" -C '$work/closed' log -n 1 | tail -n +2"
check "docs/cli.md: the year-close line" grep -q '^keikaku.json · 令和3年度: open → closed$' "$KK_SOURCE_DIR/docs/cli.md"
# status, against mockd answering as keikakud does.
sock=$work/kd.sock
status_reply='{"version": "0.1.0", "repository": "/srv/plan.git", "head": "ff795587199ec970620c4c9fdb1abf087140aac2", "uptime": 3723, "connections": 1, "queued": 0, "commits": 4, "batches": 3, "packs": 2, "documents": {"kept": 40, "bytes": 51200, "hits": 7, "misses": 40}}'
for run in kk ja; do
	echo "[{\"expect\": {\"method\": \"status\"}, \"reply\": {\"result\": $status_reply}}]" >"$work/scenario.json"
	rm -f "$work/ready" "$sock"
	/usr/bin/python3 "$KK_SOURCE_DIR/tests/cli/mockd.py" "$sock" "$work/scenario.json" "$work/requests.log" \
		--ready "$work/ready" --timeout 10 2>"$work/mockd.err" &
	for _ in $(seq 200); do [ -e "$work/ready" ] && break; sleep 0.05; done
	$run --socket "$sock" status >"$work/status.txt" || fail "$run: status failed"
	wait $! || fail "$run: mockd: $(cat "$work/mockd.err")"
	check "$run: status, no JSON" sh -c "! grep -q '[{}]' '$work/status.txt'"
	if [ $run = kk ]; then
		check "kk: status, documents" grep -q '^parsed files  *40 kept (51200 bytes), 7 hits, 40 misses$' "$work/status.txt"
		check "kk: status, batches" grep -q '^batches  *3$' "$work/status.txt"
	else
		check "ja: status, every label translated" sh -c "! grep -q '^[a-z]' '$work/status.txt'"
		check "ja: status, documents" grep -q '^解析済みファイル  *40 件保持 (51200 バイト)、ヒット 7 回、ミス 40 回$' "$work/status.txt"
		check "ja: status, packs" grep -q '^パック  *2$' "$work/status.txt"
	fi
done
finish
