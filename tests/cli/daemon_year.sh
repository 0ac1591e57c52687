#!/usr/bin/env bash
# Opening and closing fiscal years through keikakud, as real Unix users: an
# open gives every open item an entry for the year and keeps the schedules
# already there; a close records the year as closed and makes the annotated
# tag fyYYYY, which stock git shows with the person as tagger and the year's
# counts; afterwards the year changes only by an admin's correction.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/daemon.bash"
setup_users
make_repo
start_daemon

# refused USER METHOD PARAMS CODE RULE: the call fails with CODE (and RULE), nothing written.
refused() {
	local before r
	before=$(repo_state)
	r=$(call "$1" "$2" "$3") || true
	if [ "$(jget "$r" 'j["error"]["code"]')" != "$4" ]; then
		fail "expected error $4 for $1 $2 $3, got $r"
	elif [ -n "$5" ] && [ "$(jget "$r" 'j["error"]["data"]["violations"][0]["rule"]')" != "$5" ]; then
		fail "expected rule $5 for $1 $2 $3, got $r"
	else
		ok
	fi
	if [ "$(repo_state)" != "$before" ]; then
		fail "repository changed by a refused $2: $3"
	else
		ok
	fi
}
# state YEAR: the year's state in keikaku.json on main.
state() {
	git -C "$repo" show main:keikaku.json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["years"].get(sys.argv[1], "-"))' "$1"
}
# entry ID YEAR: the item's entry for the year on main, as sorted JSON, or "-".
entry() {
	git -C "$repo" show "main:items/$(printf %04d "$1").json" | /usr/bin/python3 -c 'import json,sys; e=json.load(sys.stdin)["years"].get(sys.argv[1]); print("-" if e is None else json.dumps(e, ensure_ascii=False, sort_keys=True))' "$2"
}

# Only an admin opens or closes a year.
refused kkt_hisho year.open '{"year": 2023}' -32001 admin-only
refused kkt_hisho year.close '{"year": "2021"}' -32001 admin-only
refused kkt_guest year.close '{"year": 2021, "dry_run": false}' -32001 admin-only
refused kkt_dx year.open '{"year": "X3"}' -32602 ""
refused kkt_dx year.open '{}' -32602 ""

# FY2023 is planned first, with schedules for two items, which the open keeps.
r=$(call kkt_dx plan.update "{\"base\": \"$(head_of)\", \"reason\": \"次年度の計画\", \"files\": {\"keikaku.json\": {\"years\": {\"2023\": \"planned\"}}}}")
check "2023 planned" test "$(state 2023)" = planned
call kkt_dx item.update "{\"id\": 25, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2023\": {\"planned\": \"運用\"}}}}" >/dev/null
call kkt_dx item.update "{\"id\": 29, \"base\": \"$(head_of)\", \"reason\": \"前倒し\", \"patch\": {\"years\": {\"2023\": {\"revised\": \"導入\"}}}}" >/dev/null
check "schedules recorded" test "$(entry 25 2023) $(entry 29 2023)" = '{"planned": "運用"} {"revised": "導入"}'
refused kkt_hisho item.update "{\"id\": 25, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2023\": {\"progress\": \"on_track\"}}}}" -32001 year-not-open

# Opening FY2023: one commit by the admin, every open item has an entry, schedules kept.
before_open=$(head_of)
r=$(call kkt_dx year.open '{"year": "令和5年度", "reason": "新年度の開始", "request_id": "open-2023"}')
commit=$(jget "$r" 'j["commit"]')
check "open commits" test "$commit" = "$(head_of)"
check "open: one commit" test "$(git -C "$repo" rev-parse main~1)" = "$before_open"
check "open: added" test "$(jget "$r" 'j["summary"]["added"]')" = "[1, 3, 9, 16]"
check "2023 open" test "$(state 2023)" = open
check "open items gained an empty entry" test "$(entry 1 2023) $(entry 3 2023) $(entry 9 2023) $(entry 16 2023)" = "{} {} {} {}"
check "planned schedule kept" test "$(entry 25 2023)" = '{"planned": "運用"}'
check "revised schedule kept" test "$(entry 29 2023)" = '{"revised": "導入"}'
check "completed items left alone" test "$(entry 26 2023) $(entry 8 2023)" = "- -"
check "open: files" test "$(git -C "$repo" diff --name-only main~1 main | tr '\n' ' ')" = \
	"items/0001.json items/0003.json items/0009.json items/0016.json keikaku.json "
check "open: one line per item" test "$(git -C "$repo" diff --numstat main~1 main -- items/0016.json | cut -f1,2 | tr '\t' ' ')" = "2 1"
expect 0 "令和5年度 (FY2023) を開始

新年度の開始

Keikaku-Item: 1
Keikaku-Item: 3
Keikaku-Item: 9
Keikaku-Item: 16
Keikaku-File: keikaku.json
Fiscal-Year: 2023
Department: デジタル戦略課
Request-Id: open-2023" "" -- git -C "$repo" log -1 --format=%B
expect 0 "DX Admin <kkt_dx@keikaku.test>" "" -- git -C "$repo" log -1 --format='%an <%ae>'
r=$(call kkt_dx year.open '{"year": "令和5年度", "reason": "新年度の開始", "request_id": "open-2023"}')
check "open retried: first answer" test "$(jget "$r" 'j["commit"]') $(jget "$r" 'j["replayed"]')" = "$commit true"
check "open retried: no second commit" test "$(head_of)" = "$commit"
# Owners edit the open year now.
r=$(call kkt_hisho item.update "{\"id\": 25, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2023\": {\"progress\": \"on_track\"}}}}")
check "owner edits the opened year" test "$(jget "$r" 'j["commit"]')" = "$(head_of)"
refused kkt_dx year.open '{"year": 2023}' -32003 year-state
refused kkt_dx year.open '{"year": 2020}' -32003 year-state
refused kkt_dx year.open '{"year": 2030}' -32003 year-state
refused kkt_dx year.close '{"year": 2022}' -32003 year-state

# Some 達成度 for 2021, from the owners, so that the close has something to count.
call kkt_hisho item.update "{\"id\": 25, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2021\": {\"achievement\": \"completed\"}}}}" >/dev/null
call kkt_nurse item.update "{\"id\": 20, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2021\": {\"achievement\": \"withdrawn\"}}}}" >/dev/null
call kkt_dx item.update "{\"id\": 9, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2021\": {\"progress\": \"ahead\", \"achievement\": \"completed\"}}}}" >/dev/null

# A dry run of the close shows the summary and writes nothing.
before=$(repo_state)
r=$(call kkt_dx year.close '{"year": 2021, "dry_run": true}')
check "close dry run: no commit" test "$(jget "$r" 'j["commit"]')" = null
check "close dry run: the tag it would make" test "$(jget "$r" 'j["tag"]')" = fy2021
check "close dry run: nothing written" test "$(repo_state)" = "$before"
check "close dry run: no tag" test -z "$(git -C "$repo" tag -l fy2021)"

# Closing FY2021.
before_close=$(head_of)
r=$(call kkt_dx year.close '{"year": 2021, "reason": "令和3年度の締め", "request_id": "close-2021"}')
commit=$(jget "$r" 'j["commit"]')
check "close commits" test "$commit" = "$(head_of)"
check "close: one commit" test "$(git -C "$repo" rev-parse main~1)" = "$before_close"
check "close answers the tag" test "$(jget "$r" 'j["tag"]')" = fy2021
check "2021 closed" test "$(state 2021)" = closed
check "close changes keikaku.json only" test "$(git -C "$repo" diff --name-only main~1 main)" = keikaku.json
expect 0 "令和3年度 (FY2021) を締め切り

令和3年度の締め

Keikaku-File: keikaku.json
Fiscal-Year: 2021
Department: デジタル戦略課
Request-Id: close-2021" "" -- git -C "$repo" log -1 --format=%B

# The tag, as stock git sees it, against counts taken from the items here.
want_message=$(for f in $(git -C "$repo" ls-tree --name-only main items/); do git -C "$repo" show "main:$f"; echo; done |
	/usr/bin/python3 -c '
import json, sys
dec = json.JSONDecoder()
text, items, pos = sys.stdin.read(), [], 0
while text[pos:].strip():
    while text[pos].isspace():
        pos += 1
    item, pos = dec.raw_decode(text, pos)
    items.append(item)
entries = [i["years"]["2021"] for i in items if "2021" in i["years"]]
n = lambda k, v: sum(1 for e in entries if e.get(k) == v)
print("令和3年度 (FY2021) を締め切り\n\n項目 %d\n進捗度 ◎ %d  ○ %d  ▲ %d\n達成度 導入完了 %d  取り下げ %d" % (
    len(entries), n("progress", "ahead"), n("progress", "on_track"), n("progress", "behind"),
    n("achievement", "completed"), n("achievement", "withdrawn")))')
check "the counts are not all zero" test "$(echo "$want_message" | tail -1)" = "達成度 導入完了 2  取り下げ 1"
check "answer's message" test "$(jget "$r" 'j["message"]')" = "$want_message"
check "answer's summary" test "$(jget "$r" 'j["summary"]')" = \
	'{"achievement": {"completed": 2, "withdrawn": 1}, "items": 23, "progress": {"ahead": 2, "behind": 2, "on_track": 19}, "year": "2021"}'
check "an annotated tag" test "$(git -C "$repo" cat-file -t fy2021)" = tag
tag=$(git -C "$repo" cat-file -p fy2021)
check "tag: object" test "$(echo "$tag" | sed -n 1p)" = "object $commit"
check "tag: type" test "$(echo "$tag" | sed -n 2p)" = "type commit"
check "tag: name" test "$(echo "$tag" | sed -n 3p)" = "tag fy2021"
check "tag: tagger line" test "$(echo "$tag" | sed -n 4p | sed 's/ [0-9]* [-+][0-9]*$//')" = "tagger DX Admin <kkt_dx@keikaku.test>"
check "tag: tagger" test "$(git -C "$repo" for-each-ref --format='%(taggername) %(taggeremail)' refs/tags/fy2021)" = "DX Admin <kkt_dx@keikaku.test>"
check "tag: message" test "$(echo "$tag" | sed -n '6,$p')" = "$want_message"
check "tag points at the closing commit" test "$(git -C "$repo" rev-parse 'fy2021^{commit}')" = "$commit"
expect 0 "fy2021          令和3年度 (FY2021) を締め切り" "" -- git -C "$repo" tag -n
check "fsck with the tag" git -C "$repo" fsck --strict --no-progress
r=$(call kkt_dx year.close '{"year": 2021, "reason": "令和3年度の締め", "request_id": "close-2021"}')
check "close retried: first answer" test "$(jget "$r" 'j["commit"]') $(jget "$r" 'j["replayed"]') $(jget "$r" 'j["tag"]')" = "$commit true fy2021"
check "close retried: no second commit" test "$(head_of)" = "$commit"

# Closed: every field of the year is refused, to owners and to admins without a correction.
base=$(head_of)
for field in '"planned": "検討"' '"revised": "検討"' '"progress": "ahead"' '"achievement": "open"' '"result": "書き換え"' '"result": null'; do
	refused kkt_hisho item.update "{\"id\": 25, \"base\": \"$base\", \"reason\": \"x\", \"patch\": {\"years\": {\"2021\": {$field}}}}" -32003 closed-year
	refused kkt_dx item.update "{\"id\": 25, \"base\": \"$base\", \"reason\": \"x\", \"patch\": {\"years\": {\"2021\": {$field}}}}" -32003 closed-year
done
refused kkt_hisho item.update "{\"id\": 25, \"base\": \"$base\", \"reason\": \"x\", \"patch\": {\"years\": {\"2021\": null}}}" -32003 closed-year
refused kkt_dx item.update "{\"id\": 25, \"base\": \"$base\", \"correction\": true, \"patch\": {\"years\": {\"2021\": {\"progress\": \"ahead\"}}}}" -32003 closed-year
refused kkt_dx plan.update "{\"base\": \"$base\", \"reason\": \"やり直し\", \"files\": {\"keikaku.json\": {\"years\": {\"2021\": \"open\"}}}}" -32003 closed-year
refused kkt_dx year.open '{"year": 2021}' -32003 year-state
refused kkt_dx year.close '{"year": 2021}' -32003 year-state
refused kkt_hisho year.close '{"year": 2022}' -32001 admin-only
# An admin's correction, with a reason, goes through and is marked.
r=$(call kkt_dx item.update "{\"id\": 25, \"base\": \"$base\", \"correction\": true, \"reason\": \"集計誤りの訂正\", \"patch\": {\"years\": {\"2021\": {\"progress\": \"on_track\"}}}}")
check "correction accepted" test "$(jget "$r" 'j["commit"]')" = "$(head_of)"
check "correction trailer" test "$(git -C "$repo" log -1 --format='%(trailers:key=Keikaku-Correction,valueonly)')" = yes
check "the tag stays" test "$(git -C "$repo" rev-parse 'fy2021^{commit}')" = "$commit"

# A tag that exists already: refused, nothing committed.
git -C "$repo" tag -a fy2022 -m "手で作ったタグ" main~1
refused kkt_dx year.close '{"year": 2022, "reason": "x"}' -32003 tag-exists
check "the tag is not moved" test "$(git -C "$repo" rev-parse 'fy2022^{commit}')" = "$(git -C "$repo" rev-parse main~1)"
git -C "$repo" tag -d fy2022 >/dev/null

# The command line: usage errors, a refusal in Japanese, a dry run, a close.
expect 2 "" "keikaku: expected open or close
try 'keikaku year --help'" -- kk --socket "$sock" year
expect 2 "" "keikaku: expected one fiscal year
try 'keikaku year open --help'" -- kk --socket "$sock" year open
expect 2 "" "keikaku: 'X3' is not a fiscal year (try 2021, R3 or 令和3年度)
try 'keikaku year close --help'" -- kk --socket "$sock" year close X3
check "help" sh -c "\"$KEIKAKU\" year --help | grep -q '^usage: keikaku year open Y'"
before=$(repo_state)
LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 expect 1 "" "*" -- as kkt_hisho "$KEIKAKU" --socket "$sock" year close R4
check "Japanese refusal" test "$(LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 as kkt_hisho "$KEIKAKU" --socket "$sock" year close R4 2>&1 | head -1)" = "keikaku: この変更を行う権限がありません"
check "refused CLI close leaves the repository" test "$(repo_state)" = "$before"
expect 0 "dry run: nothing committed
open 令和6年度 (FY2024): 6 items gain an empty entry for it" "" -- kk --socket "$sock" year open 2024 --dry-run
expect 1 "dry run: nothing committed
no changes
would be refused:
  keikaku.json · 令和5年度: cannot close 令和5年度 (FY2023): 令和4年度 (FY2022) is not closed yet" "" -- kk --socket "$sock" year close R5 --dry-run
check "Japanese dry-run refusal names the years by era" test "$(LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 kk --socket "$sock" year close R5 --dry-run | tail -1)" = "  keikaku.json · 令和5年度: 令和5年度 (FY2023) を締め切れません: 令和4年度 (FY2022) がまだ締め切られていません"
check "CLI dry runs leave the repository" test "$(repo_state)" = "$before"
r=$(kk --socket "$sock" year close 令和4年度 -m "令和4年度の締め" --json)
check "CLI close --json" test "$(jget "$r" 'j["tag"]')" = fy2022
check "CLI close: tag" test "$(git -C "$repo" rev-parse 'fy2022^{commit}')" = "$(head_of)"
check "CLI close: tagger is the caller" test "$(git -C "$repo" for-each-ref --format='%(taggername)' refs/tags/fy2022)" = root
out=$(kk --socket "$sock" year close R5 -m "令和5年度の締め")
check "CLI close output" test "$(echo "$out" | sed '1d;$d')" = "close 令和5年度 (FY2023) and tag it 'fy2023'
  項目 6
  進捗度 ◎ 0  ○ 1  ▲ 0
  達成度 導入完了 0  取り下げ 0"
check "CLI close: commit line" test "$(echo "$out" | head -1)" = "committed $(git -C "$repo" rev-parse --short=10 main)"
check "CLI close: the tag's id" test "$(echo "$out" | tail -1)" = "tag fy2023: $(git -C "$repo" rev-parse fy2023)"

stop_daemon
check "clean exit" true
check "fsck at the end" git -C "$repo" fsck --strict --no-progress
check "verify at the end" kk -C "$repo" verify --all-history
check "tags in order" test "$(git -C "$repo" tag -l 'fy*' | tr '\n' ' ')" = "fy2021 fy2022 fy2023 "
finish
