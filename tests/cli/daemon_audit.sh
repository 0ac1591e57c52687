#!/usr/bin/env bash
# The audit trail end to end: real Unix users of several departments update
# their items through keikakud, revise schedules, withdraw an item; an admin
# maps a person, closes FY2021 and corrects it.  Every audit query (log,
# blame, schedule, pending) is then asked twice, through keikakud from a
# directory that is no repository and on a plain `git clone`: the two --json
# answers must be byte for byte the same, and field by field what the script
# did, as stock git also shows it.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/daemon.bash"
setup_users
make_repo

# The plan was created as FY2021 began, so that dates mean something: the
# first commit again, same tree and message, dated 2021-04-01 10:00 JST.
first=$(head_of)
I=$(cd "$repo" && GIT_AUTHOR_NAME="$(git log -1 --format=%an main)" GIT_AUTHOR_EMAIL="$(git log -1 --format=%ae main)" \
	GIT_COMMITTER_NAME="$(git log -1 --format=%cn main)" GIT_COMMITTER_EMAIL="$(git log -1 --format=%ce main)" \
	GIT_AUTHOR_DATE="2021-04-01T10:00:00+09:00" GIT_COMMITTER_DATE="2021-04-01T10:00:00+09:00" \
	git commit-tree "main^{tree}" -m "$(git log -1 --format=%B main)")
git -C "$repo" update-ref refs/heads/main "$I" "$first"
start_daemon

# cli USER ARGS...: the real keikaku as USER, from a directory that is no repository.
cli() {
	local user=$1
	shift
	(cd / && as "$user" "$KEIKAKU" --socket "$sock" "$@")
}

# --- The history, in three rounds a second apart (commit times have seconds). ---
# FY2021 progress from two departments; between them an admin maps a person to
# 高齢福祉課, who then reports for it with the command line (no reason given).
A1=$(update kkt_hisho '"id": 25, "patch": {"years": {"2021": {"progress": "on_track", "result": "・規程案を作成した"}}}, "reason": "規程案の作成"')
cli kkt_dx dept map 高齢福祉課 --user kkt_guest -m "担当者の配置" >/dev/null
A2=$(head_of)
cli kkt_guest update 29 --fy 2021 --progress ○ --result "・端末を配備した" >/dev/null
A3=$(head_of)
sleep 1
# Schedule revisions with reasons: 29 slips (導入 → 検討), 9 advances (実証実験
# → 運用開始); and a third department's progress.
B1=$(update kkt_guest '"id": 29, "patch": {"years": {"2021": {"revised": "検討"}}}, "reason": "事業者の選定が遅れたため"')
cli kkt_dx update 9 --fy 2021 --revised "運用開始" -m "実証実験を前倒しで終えたため" >/dev/null
B2=$(head_of)
B3=$(update kkt_nurse '"id": 21, "patch": {"years": {"2021": {"progress": "ahead"}}}')
sleep 1
# A withdrawal, the close of FY2021, then an admin's correction to it.
C1=$(update kkt_dx '"id": 3, "patch": {"status": "withdrawn", "years": {"2021": {"achievement": "withdrawn"}}}, "reason": "国の制度に統合されたため"')
r=$(call kkt_dx year.close '{"year": 2021, "reason": "令和3年度の締め"}')
C2=$(jget "$r" 'j["commit"]')
check "close: the commit is the head" test "$C2" = "$(head_of)"
check "close: the tag" test "$(git -C "$repo" rev-parse 'fy2021^{commit}')" = "$C2"
D1=$(update kkt_dx '"id": 29, "correction": true, "patch": {"years": {"2021": {"result": "・端末を配備した(50台)"}}}, "reason": "台数の記載漏れ"')
sleep 1
# FY2022 goes on: 秘書課 reports after the close.
E1=$(update kkt_hisho '"id": 25, "patch": {"years": {"2022": {"progress": "on_track"}}}')
check "eleven commits" test "$(git -C "$repo" rev-list --count main)" = 11
check "correction trailer" test "$(git -C "$repo" log -1 --format='%(trailers:key=Keikaku-Correction,valueonly)' "$D1")" = yes
# The queries below meet the index that the daemon's reads left, after a restart.
stop_daemon
start_daemon

clone=$(clone_of "$repo")
names=$(for c in I A1 A2 A3 B1 B2 B3 C1 C2 D1 E1; do printf '%s %s\n' "${!c}" "$c"; done)
today=$(git -C "$repo" log -1 --format=%cd --date=format:%F "$A1")
last_day=$(git -C "$repo" log -1 --format=%cd --date=format:%F "$E1")
tomorrow=$(date -u -d "$last_day + 1 day" +%F)

# both ARGS...: runs `keikaku ARGS` as kkt_guest through keikakud and as root on
# the clone: the exit codes and outputs must be the same.  Sets $out and $code.
out=
code=
both() {
	local d_out c_out d_code=0 c_code=0
	d_out=$(cli kkt_guest "$@" 2>"$work/.d_err") || d_code=$?
	c_out=$(kk -C "$clone" "$@" 2>"$work/.c_err") || c_code=$?
	if [ "$d_code" != "$c_code" ] || [ "$d_out" != "$c_out" ]; then
		fail "keikaku $*: keikakud (exit $d_code) and the clone (exit $c_code) differ:"$'\n'"$(diff <(echo "$d_out") <(echo "$c_out") | head -20)"$'\n'"$(cat "$work/.d_err" "$work/.c_err")"
	else
		ok
	fi
	out=$d_out
	code=$d_code
}

# A projection of an answer, one line per entry, commits by their names here.
cat >"$work/proj.py" <<'PY'
import json, sys
mode, names = sys.argv[1], dict(l.split() for l in sys.argv[2].splitlines())
j = json.loads(sys.stdin.read())
n = lambda c: names.get(c, c)
def v(x, key):
    if key not in x: return "-"
    val = x[key]
    return "[%d]" % len(val) if isinstance(val, list) and len(val) > 3 else json.dumps(val, ensure_ascii=False)
def who(x):
    return "%s %s %s %s" % (x["author"]["email"].split("@")[0], x["department"] or "-",
                            json.dumps(x["reason"], ensure_ascii=False), "corr" if x["correction"] else "-")
if mode == "log":
    print("at", n(j["commit"]))
    first = [e for e in j["entries"] if n(e["commit"]) == "I"]
    for e in j["entries"]:
        if n(e["commit"]) != "I":
            print(n(e["commit"]), e["file"], e.get("item", "-"), e["path"], v(e, "old"), v(e, "new"), e["file_change"], who(e))
    if first:
        bad = [e["path"] for e in first if e["file_change"] != "added" or "old" in e or "new" not in e]
        print("I: %d added%s" % (len(first), " BAD %s" % bad if bad else ""))
elif mode == "blame":
    print(j["id"], j["title"], "at", n(j["commit"]))
    rest = 0
    for f in j["fields"]:
        if n(f["commit"]) == "I": rest += 1
        else: print(f["path"], v(f, "value"), n(f["commit"]), who(f))
    print("I: %d fields" % rest)
elif mode == "schedule":
    print("at", n(j["commit"]))
    for i in j["items"]:
        for y in i["years"]:
            b = y["revised_by"]
            print(i["id"], i["status"], y["year"], y["planned"], y["revised"], y["verdict"], y["planned_phase"],
                  y["revised_phase"], n(b["commit"]) if b else None, who(b) if b else "")
    for e in j.get("revisions", []):
        if n(e["commit"]) != "I":
            print("rev", n(e["commit"]), e["item"], e["path"], v(e, "old"), v(e, "new"), who(e))
    if "revisions" in j:
        print("rev I: %d" % sum(1 for e in j["revisions"] if n(e["commit"]) == "I"))
elif mode == "pending":
    print("at", n(j["commit"]), j["year"], j["since"], j["since_timestamp"])
    for d in j["departments"]:
        for i in d["items"]:
            u = i["last_update"]
            print(d["name"], i["id"], i["title"], n(u["commit"]) + " " + who(u) if u else None)
PY
# proj MODE: the projection of $out.
proj() {
	/usr/bin/python3 "$work/proj.py" "$1" "$names" <<<"$out"
}
# same WHAT EXPECTED: the projection (of the mode named by the command) is EXPECTED.
same() {
	local got
	got=$(proj "$1" 2>&1)
	if [ "$got" = "$2" ]; then
		ok
	else
		fail "${*:3}: $1 differs:"$'\n'"$(diff <(echo "$2") <(echo "$got") || true)"
	fi
}
# count_fields FILTER: how many leaf fields the first commit's items have under FILTER
# (a Python predicate on the dotted path), objects walked into unless empty.
count_fields() {
	git -C "$repo" archive "$I" items | tar -x -O | /usr/bin/python3 -c '
import json, sys
dec, text, pos, n = json.JSONDecoder(), sys.stdin.read(), 0, 0
pred = eval("lambda p: " + sys.argv[1])
def leaves(v, p):
    if isinstance(v, dict) and v:
        for k, x in v.items(): yield from leaves(x, p + "." + k if p else k)
    else: yield p
while text[pos:].strip():
    while text[pos].isspace(): pos += 1
    item, pos = dec.raw_decode(text, pos)
    n += sum(1 for p in leaves(item, "") if pred(p))
print(n)' "$1"
}

# --- log ---
both log --item 29 --json
same log "at E1
D1 items/0029.json 29 years.2021.result \"・端末を配備した\" \"・端末を配備した(50台)\" changed kkt_dx デジタル戦略課 \"台数の記載漏れ\" corr
B1 items/0029.json 29 years.2021.revised \"導入\" \"検討\" changed kkt_guest 高齢福祉課 \"事業者の選定が遅れたため\" -
A3 items/0029.json 29 years.2021.progress \"behind\" \"on_track\" changed kkt_guest 高齢福祉課 null -
A3 items/0029.json 29 years.2021.result $(jget "$(git -C "$repo" show "$I:items/0029.json")" 'json.dumps(j["years"]["2021"]["result"], ensure_ascii=False)') \"・端末を配備した\" changed kkt_guest 高齢福祉課 null -
I: $(git -C "$repo" show "$I:items/0029.json" | /usr/bin/python3 -c 'import json,sys
def n(v): return sum(n(x) for x in v.values()) if isinstance(v, dict) and v else 1
print(n(json.load(sys.stdin)))') added" log --item 29
# One entry whole, against what stock git says of its commit.
e=$(jget "$out" 'j["entries"][1]')
check "entry: every member" test "$(jget "$e" 'sorted(j)')" = '["author", "commit", "correction", "department", "file", "file_change", "item", "new", "old", "path", "reason", "summary", "time", "timestamp", "title"]'
check "entry: commit" test "$(jget "$e" 'j["commit"]')" = "$B1"
check "entry: time as git has it" test "$(jget "$e" 'j["time"]')" = "$(git -C "$repo" log -1 --format=%cI "$B1" | sed 's/Z$/+00:00/')"
check "entry: timestamp" test "$(jget "$e" 'j["timestamp"]')" = "$(git -C "$repo" log -1 --format=%ct "$B1")"
check "entry: author" test "$(jget "$e" 'j["author"]["name"]+" <"+j["author"]["email"]+">"')" = "$(git -C "$repo" log -1 --format='%an <%ae>' "$B1")"
check "entry: summary" test "$(jget "$e" 'j["summary"]')" = "$(git -C "$repo" log -1 --format=%s "$B1")"
check "entry: department" test "$(jget "$e" 'j["department"]')" = "$(git -C "$repo" log -1 --format='%(trailers:key=Department,valueonly)' "$B1")"
check "entry: reason" test "$(jget "$e" 'j["reason"]')" = "$(git -C "$repo" log -1 --format=%b "$B1" | sed -n 1p)"
check "entry: title" test "$(jget "$e" 'j["title"]')" = 介護認定審査会でのタブレットの活用
both log --item 29 --at fy2021 --json
same log "at C2
B1 items/0029.json 29 years.2021.revised \"導入\" \"検討\" changed kkt_guest 高齢福祉課 \"事業者の選定が遅れたため\" -
A3 items/0029.json 29 years.2021.progress \"behind\" \"on_track\" changed kkt_guest 高齢福祉課 null -
A3 items/0029.json 29 years.2021.result $(jget "$(git -C "$repo" show "$I:items/0029.json")" 'json.dumps(j["years"]["2021"]["result"], ensure_ascii=False)') \"・端末を配備した\" changed kkt_guest 高齢福祉課 null -
I: 17 added" log --item 29 --at fy2021

both log --dept 高齢福祉課 --json
same log "at E1
B1 items/0029.json 29 years.2021.revised \"導入\" \"検討\" changed kkt_guest 高齢福祉課 \"事業者の選定が遅れたため\" -
A3 items/0029.json 29 years.2021.progress \"behind\" \"on_track\" changed kkt_guest 高齢福祉課 null -
A3 items/0029.json 29 years.2021.result $(jget "$(git -C "$repo" show "$I:items/0029.json")" 'json.dumps(j["years"]["2021"]["result"], ensure_ascii=False)') \"・端末を配備した\" changed kkt_guest 高齢福祉課 null -" log --dept 高齢福祉課
both log --dept デジタル戦略課 --json
same log "at E1
D1 items/0029.json 29 years.2021.result \"・端末を配備した\" \"・端末を配備した(50台)\" changed kkt_dx デジタル戦略課 \"台数の記載漏れ\" corr
C2 keikaku.json - years.2021 \"open\" \"closed\" changed kkt_dx デジタル戦略課 \"令和3年度の締め\" -
C1 items/0003.json 3 status \"open\" \"withdrawn\" changed kkt_dx デジタル戦略課 \"国の制度に統合されたため\" -
C1 items/0003.json 3 years.2021.achievement - \"withdrawn\" changed kkt_dx デジタル戦略課 \"国の制度に統合されたため\" -
B2 items/0009.json 9 years.2021.revised \"実証実験の開始\" \"運用開始\" changed kkt_dx デジタル戦略課 \"実証実験を前倒しで終えたため\" -
A2 departments.json - departments [18] [18] changed kkt_dx デジタル戦略課 \"担当者の配置\" -" log --dept デジタル戦略課
check "the admin's change maps the person" test "$(jget "$out" '[d for d in j["entries"][-1]["new"] if d["name"] == "高齢福祉課"]')" = '[{"name": "高齢福祉課", "users": ["kkt_guest"]}]'
check "and the old departments did not" test "$(jget "$out" '[d for d in j["entries"][-1]["old"] if d["name"] == "高齢福祉課"]')" = '[{"name": "高齢福祉課"}]'
both log --dept 収税課 --json
same log "at E1" log --dept 収税課

b3="B3 items/0021.json 21 years.2021.progress \"on_track\" \"ahead\" changed kkt_nurse 市立病院 null -"
both log --author kkt_nurse --json
same log "at E1
$b3" log --author login
both log --author "Nurse Sato" --json
same log "at E1
$b3" log --author name
both log --author kkt_nurse@keikaku.test --json
same log "at E1
$b3" log --author e-mail
both log --author kkt_nurse@keikaku --json
check "log --author part of an e-mail: no such author, a usage error" test "$code" = 2

# FY2021's fields: every change above but FY2022's, and the first commit's.
both log --fy 2021 --json
same log "at E1
D1 items/0029.json 29 years.2021.result \"・端末を配備した\" \"・端末を配備した(50台)\" changed kkt_dx デジタル戦略課 \"台数の記載漏れ\" corr
C2 keikaku.json - years.2021 \"open\" \"closed\" changed kkt_dx デジタル戦略課 \"令和3年度の締め\" -
C1 items/0003.json 3 years.2021.achievement - \"withdrawn\" changed kkt_dx デジタル戦略課 \"国の制度に統合されたため\" -
$b3
B2 items/0009.json 9 years.2021.revised \"実証実験の開始\" \"運用開始\" changed kkt_dx デジタル戦略課 \"実証実験を前倒しで終えたため\" -
B1 items/0029.json 29 years.2021.revised \"導入\" \"検討\" changed kkt_guest 高齢福祉課 \"事業者の選定が遅れたため\" -
A3 items/0029.json 29 years.2021.progress \"behind\" \"on_track\" changed kkt_guest 高齢福祉課 null -
A3 items/0029.json 29 years.2021.result $(jget "$(git -C "$repo" show "$I:items/0029.json")" 'json.dumps(j["years"]["2021"]["result"], ensure_ascii=False)') \"・端末を配備した\" changed kkt_guest 高齢福祉課 null -
A1 items/0025.json 25 years.2021.progress \"behind\" \"on_track\" changed kkt_hisho 秘書課 \"規程案の作成\" -
A1 items/0025.json 25 years.2021.result $(jget "$(git -C "$repo" show "$I:items/0025.json")" 'json.dumps(j["years"]["2021"]["result"], ensure_ascii=False)') \"・規程案を作成した\" changed kkt_hisho 秘書課 \"規程案の作成\" -
I: $(($(count_fields 'p.startswith("years.2021.")') + 1)) added" log --fy 2021
check "the first commit's FY2021 fields include keikaku.json's" test "$(jget "$out" '[e["new"] for e in j["entries"] if e["file"] == "keikaku.json" and e["commit"] != "'"$C2"'"]')" = '["open"]'
both log --fy R4 --since "$today" --json
same log "at E1
E1 items/0025.json 25 years.2022.progress - \"on_track\" changed kkt_hisho 秘書課 null -" log --fy R4

# One field in every year, and one field of one year.
both log --field revised --json
same log "at E1
B2 items/0009.json 9 years.2021.revised \"実証実験の開始\" \"運用開始\" changed kkt_dx デジタル戦略課 \"実証実験を前倒しで終えたため\" -
B1 items/0029.json 29 years.2021.revised \"導入\" \"検討\" changed kkt_guest 高齢福祉課 \"事業者の選定が遅れたため\" -
I: $(count_fields 'p.startswith("years.") and p.endswith(".revised")') added" log --field revised
both log --field years.2021.progress --since "$today" --json
same log "at E1
$b3
A3 items/0029.json 29 years.2021.progress \"behind\" \"on_track\" changed kkt_guest 高齢福祉課 null -
A1 items/0025.json 25 years.2021.progress \"behind\" \"on_track\" changed kkt_hisho 秘書課 \"規程案の作成\" -" log --field years.2021.progress

# Time bounds: revisions (their commit time, inclusive) and dates.
both log --since "$B1" --until "$B3" --json
same log "at E1
$b3
B2 items/0009.json 9 years.2021.revised \"実証実験の開始\" \"運用開始\" changed kkt_dx デジタル戦略課 \"実証実験を前倒しで終えたため\" -
B1 items/0029.json 29 years.2021.revised \"導入\" \"検討\" changed kkt_guest 高齢福祉課 \"事業者の選定が遅れたため\" -" log --since B1 --until B3
both log --since "$E1" --json
same log "at E1
E1 items/0025.json 25 years.2022.progress - \"on_track\" changed kkt_hisho 秘書課 null -" log --since E1
both log --until 2021-04-01 --json
same log "at E1
I: $(($(count_fields True) + $(git -C "$repo" show "$I:keikaku.json" "$I:plan.json" "$I:departments.json" | /usr/bin/python3 -c '
import json, sys
dec, text, pos, n = json.JSONDecoder(), sys.stdin.read(), 0, 0
def c(v): return sum(c(x) for x in v.values()) if isinstance(v, dict) and v else 1
while text[pos:].strip():
    while text[pos].isspace(): pos += 1
    d, pos = dec.raw_decode(text, pos); n += c(d)
print(n)'))) added" log --until 2021-04-01
both log --until 2021-03-31 --json
same log "at E1" log --until 2021-03-31
both log --since "$tomorrow" --json
same log "at E1" log --since tomorrow
both log --since "$today" --until "$last_day" --json
check "today: every commit of the daemon" test "$(jget "$out" 'len({e["commit"] for e in j["entries"]})')" = 10
both log --since 2021-02-29 --json
check "a bad date is a usage error" test "$code" = 2
check "with the same message" cmp "$work/.d_err" "$work/.c_err"

# --- blame ---
blame29="years.2021.revised \"検討\" B1 kkt_guest 高齢福祉課 \"事業者の選定が遅れたため\" -
years.2021.progress \"on_track\" A3 kkt_guest 高齢福祉課 null -"
both blame 29 --json
same blame "29 介護認定審査会でのタブレットの活用 at E1
$blame29
years.2021.result \"・端末を配備した(50台)\" D1 kkt_dx デジタル戦略課 \"台数の記載漏れ\" corr
I: 14 fields" blame 29
check "blame: each value as the file has it" test "$(jget "$out" '{f["path"]: f["value"] for f in j["fields"]}')" = "$(git -C "$repo" show main:items/0029.json | /usr/bin/python3 -c '
import json, sys
def leaves(v, p):
    if isinstance(v, dict) and v:
        for k, x in v.items(): yield from leaves(x, p + "." + k if p else k)
    else: yield p, v
print(json.dumps(dict(leaves(json.load(sys.stdin), "")), ensure_ascii=False, sort_keys=True))')"
check "blame: fields in the item's order" test "$(jget "$out" '[f["path"] for f in j["fields"]][:8]')" = '["id", "pillar", "section", "measure", "title", "owners", "related", "status"]'
check "blame: a field's commit information whole" test "$(jget "$out" 'sorted(j["fields"][0])')" = '["author", "commit", "correction", "department", "path", "reason", "summary", "time", "timestamp", "value"]'
both blame 29 --at fy2021 --json
same blame "29 介護認定審査会でのタブレットの活用 at C2
$blame29
years.2021.result \"・端末を配備した\" A3 kkt_guest 高齢福祉課 null -
I: 14 fields" blame 29 --at fy2021
both blame 25 --json
same blame "25 規程の整備 at E1
years.2021.progress \"on_track\" A1 kkt_hisho 秘書課 \"規程案の作成\" -
years.2021.result \"・規程案を作成した\" A1 kkt_hisho 秘書課 \"規程案の作成\" -
years.2022.progress \"on_track\" E1 kkt_hisho 秘書課 null -
I: $(($(git -C "$repo" show "$I:items/0025.json" | /usr/bin/python3 -c 'import json,sys
def n(v): return sum(n(x) for x in v.values()) if isinstance(v, dict) and v else 1
print(n(json.load(sys.stdin)))') - 2)) fields" blame 25
both blame 3 --json
same blame "3 Webシステムの導入 at E1
status \"withdrawn\" C1 kkt_dx デジタル戦略課 \"国の制度に統合されたため\" -
years.2021.achievement \"withdrawn\" C1 kkt_dx デジタル戦略課 \"国の制度に統合されたため\" -
I: $(($(git -C "$repo" show "$I:items/0003.json" | /usr/bin/python3 -c 'import json,sys
def n(v): return sum(n(x) for x in v.values()) if isinstance(v, dict) and v else 1
print(n(json.load(sys.stdin)))') - 1)) fields" blame 3
# Dates: the plan as it was on a day (the end of it, in UTC here).
both blame 29 --at @2021-04-01 --json
same blame "29 介護認定審査会でのタブレットの活用 at I
I: 17 fields" blame 29 --at @2021-04-01
both blame 29 --at "@$last_day" --json
check "@today is the head" test "$(jget "$out" 'j["commit"]')" = "$E1"
both blame 29 --at @2021-03-31 --json
check "no commit by a day before the plan: an error" test "$code" = 3
# FY2022 is not closed: its end (2023-03-31) by the commit times, here the first commit.
both blame 29 --at fy2022 --json
check "fy2022 without a tag: the end of FY2022" test "$(jget "$out" 'j["commit"]')" = "$I"
both blame 36 --json
check "blame of no item" test "$code" = 3

# --- schedule ---
# The example's own revisions (by the first commit) and the two made here.
sched_i="3 withdrawn 2021 導入 検討 slipped 導入 検討 I test - null -
4 completed 2021 導入 運用開始 advanced 導入 運用開始 I test - null -
5 withdrawn 2021 システム調整 検討 slipped システム調整 検討 I test - null -
6 completed 2021 運用開始 システム調整・運用開始 reworded 運用開始 運用開始 I test - null -
7 withdrawn 2021 None 検討 unplanned None 検討 I test - null -"
sched_ii="10 completed 2021 None 導入 unplanned None 導入 I test - null -
12 withdrawn 2021 None 検討, 導入 unplanned None 導入 I test - null -
16 open 2021 None 検討, 導入 unplanned None 導入 I test - null -
20 completed 2021 検討 導入 advanced 検討 導入 I test - null -
21 completed 2021 検討 導入 advanced 検討 導入 I test - null -
25 open 2021 None 整備 unplanned None 整備 I test - null -"
sched_iii="31 completed 2021 対象案件の拡大 運用規則の整備 changed None 整備 I test - null -
35 completed 2021 None 実施 unplanned None None I test - null -"
both schedule --fy 2021 --changed --json
same schedule "at E1
$sched_i
9 open 2021 実証実験の開始 運用開始 advanced 実証実験 運用開始 B2 kkt_dx デジタル戦略課 \"実証実験を前倒しで終えたため\" -
$sched_ii
29 open 2021 導入 検討 slipped 導入 検討 B1 kkt_guest 高齢福祉課 \"事業者の選定が遅れたため\" -
$sched_iii" schedule --fy 2021 --changed
check "schedule: phases" test "$(jget "$out" 'j["phases"]')" = "$(git -C "$repo" show main:keikaku.json | /usr/bin/python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["phases"], ensure_ascii=False))')"
check "schedule: revised_by whole" test "$(jget "$out" '[y["revised_by"] for i in j["items"] if i["id"] == 29 for y in i["years"]][0]')" = \
	"$(jget "$(cli kkt_guest log --item 29 --field revised --json)" '{k: v for k, v in j["entries"][0].items() if k in ("commit", "time", "timestamp", "author", "department", "summary", "reason", "correction")}')"
both schedule --fy 2021 --changed --at "$A3" --json
same schedule "at A3
${sched_i/3 withdrawn/3 open}
$sched_ii
$sched_iii" schedule --changed --at A3
both schedule --fy 2021 --json
check "unchanged schedules are listed without --changed" test "$(jget "$out" '[(y["verdict"], y["revised_by"]["commit"]) for i in j["items"] if i["id"] == 2 for y in i["years"]]')" = "[[\"unchanged\", \"$I\"]]"
check "and a year without a revision" test "$(jget "$out" '[(y["verdict"], y["revised"], y["revised_by"]) for i in j["items"] if i["id"] == 19 for y in i["years"]]')" = '[["unrevised", null, null]]'
both schedule --history --fy 2021 --changed --json
same schedule "at E1
$sched_i
9 open 2021 実証実験の開始 運用開始 advanced 実証実験 運用開始 B2 kkt_dx デジタル戦略課 \"実証実験を前倒しで終えたため\" -
$sched_ii
29 open 2021 導入 検討 slipped 導入 検討 B1 kkt_guest 高齢福祉課 \"事業者の選定が遅れたため\" -
$sched_iii
rev B2 9 years.2021.revised \"実証実験の開始\" \"運用開始\" kkt_dx デジタル戦略課 \"実証実験を前倒しで終えたため\" -
rev B1 29 years.2021.revised \"導入\" \"検討\" kkt_guest 高齢福祉課 \"事業者の選定が遅れたため\" -
rev I: $(count_fields 'p.startswith("years.2021.") and p.split(".")[2] in ("planned", "revised")')" schedule --history
both schedule --history --at fy2021 --json
check "schedule --history: every year's schedules" test "$(jget "$out" 'len(j["revisions"])')" = $(($(count_fields 'p.startswith("years.") and p.split(".")[2] in ("planned", "revised")') + 2))

# --- pending ---
# A year's period starts when it was opened, here the first commit I (the plan
# was made with FY2021 and FY2022 open): 1 and 16 have owners no one here acts
# for; 3 was withdrawn; 9, 25 and 29 were updated by their owners.
# (The same instant, shown at the offset of the commit asked for: E1's is UTC.)
i_ts=$(git -C "$repo" log -1 --format=%ct "$I")
i_time="$(git -C "$repo" log -1 --format=%cI "$I" | sed 's/Z$/+00:00/') $i_ts"
i_utc="$(date -u -d "@$i_ts" +%Y-%m-%dT%H:%M:%S)+00:00 $i_ts"
both pending --fy 2021 --json
check "pending: exit 1" test "$code" = 1
check "pending: the period starts at the commit that opened the year" test \
	"$(jget "$out" 'j["since_commit"] + " " + j["since_reason"]')" = "$I opened"
same pending "at E1 2021 $i_utc
各課 1 申請のオンライン化 None
健康増進課 16 子育て・福祉に関する相談サービスのオンライン化 None" pending --fy 2021
# Since tomorrow every open item is pending, each with its owners' last update:
# not the admin's correction of 29, nor 25's FY2022 update.
both pending --fy 令和3年度 --since "$tomorrow" --json
same pending "at E1 2021 ${tomorrow}T00:00:00+00:00 $(date -u -d "$tomorrow" +%s)
各課 1 申請のオンライン化 None
デジタル戦略課 9 無人窓口(非対面・非接触型)の導入検討 B2 kkt_dx デジタル戦略課 \"実証実験を前倒しで終えたため\" -
健康増進課 16 子育て・福祉に関する相談サービスのオンライン化 None
高齢福祉課 29 介護認定審査会でのタブレットの活用 B1 kkt_guest 高齢福祉課 \"事業者の選定が遅れたため\" -
秘書課 25 規程の整備 A1 kkt_hisho 秘書課 \"規程案の作成\" -" pending --since tomorrow
check "pending: last_update whole" test "$(jget "$out" 'j["departments"][1]["items"][0]["last_update"]')" = \
	"$(jget "$(cli kkt_guest log --item 9 --json)" 'json.dumps({k: v for k, v in j["entries"][0].items() if k in ("commit", "time", "timestamp", "author", "department", "summary", "reason", "correction")}, ensure_ascii=False, sort_keys=True)')"
both pending --fy 2021 --at "$I" --json
same pending "at I 2021 $i_time
各課 1 申請のオンライン化 None
デジタル戦略課 9 無人窓口(非対面・非接触型)の導入検討 None
収税課 3 Webシステムの導入 None
健康増進課 16 子育て・福祉に関する相談サービスのオンライン化 None
高齢福祉課 29 介護認定審査会でのタブレットの活用 None
秘書課 25 規程の整備 None" pending --at I
# FY2022's period starts at its opening too, not at the close of FY2021 (the tag
# fy2021): an owner who reported on FY2022 before FY2021 was closed is not chased.
both pending --fy 2022 --json
check "pending 2022: exit 1" test "$code" = 1
same pending "at E1 2022 $i_utc
各課 1 申請のオンライン化 None
デジタル戦略課 9 無人窓口(非対面・非接触型)の導入検討 None
高齢福祉課 29 介護認定審査会でのタブレットの活用 None" pending --fy 2022
both pending --fy 2023 --json
check "pending for a year the plan does not have: a usage error" test "$code" = 2
both pending --json
check "pending without --fy: usage" test "$code" = 2

# --- The clone itself ---
check "the clone verifies" kk -C "$clone" verify --all-history
check "the daemon's cache" test -s "$repo/keikaku/history.idx"
check "the clone's cache" test -s "$clone/.git/keikaku/history.idx"
check "the cache leaves the work tree alone" test -z "$(git -C "$clone" status --porcelain)"
check "fsck" git -C "$repo" fsck --strict --no-progress
# Someone's own clone, read-only to them: the index stays in memory, the answers are the same.
both log --item 29 --json
mkdir "$work/guest"
git clone -q "$repo" "$work/guest/clone"
chown -R kkt_guest "$work/guest"
chmod -R a-w "$work/guest/clone/.git"
check "a read-only clone answers the same" test "$(as kkt_guest env HOME="$work/guest" "$KEIKAKU" -C "$work/guest/clone" log --item 29 --json)" = "$out"
check "and keeps no index" test ! -e "$work/guest/clone/.git/keikaku"
chmod -R u+w "$work/guest/clone/.git"
stop_daemon
check "keikakud exits cleanly" true
# A commit made with plain git that changes closed FY2021: only as a correction.
cd "$clone"
/usr/bin/python3 -c 'import json; p="items/0025.json"; d=json.load(open(p)); d["years"]["2021"]["result"] = "・規程案を作成した(改)"; json.dump(d, open(p, "w"), ensure_ascii=False, indent=2); open(p, "a").write("\n")'
check "still canonical" kk fmt --check items/0025.json
git commit -qam "Correct 25 by hand" -m "誤記" -m "Keikaku-Correction: yes"
check "a marked correction verifies" kk verify
expect 0 "*" "" -- kk verify --all-history
/usr/bin/python3 -c 'import json; p="items/0025.json"; d=json.load(open(p)); d["years"]["2021"]["progress"] = "ahead"; json.dump(d, open(p, "w"), ensure_ascii=False, indent=2); open(p, "a").write("\n")'
git commit -qam "Edit 25 by hand"
bad=$(git rev-parse --short=12 HEAD)
expect 1 "items/0025.json: /years/2021: commit $bad changes fiscal year 2021 (令和3年度), which was closed, without being a correction" "*" -- kk verify
r=$(kk log --item 25 --since "$today" --json)
check "log of the clone: the corrections made by hand" test "$(jget "$r" '[(e["path"], e["new"], e["department"], e["reason"], e["correction"]) for e in j["entries"]][:2]')" = \
	'[["years.2021.progress", "ahead", null, null, false], ["years.2021.result", "・規程案を作成した(改)", null, "誤記", true]]'
cd /
finish
