#!/usr/bin/env bash
# keikaku diff: the change of the last commit, of a range, of one item or one fiscal year, in
# plan terms and as JSON, exactly; commits made with stock git in a clone; every bad argument.
. "$(dirname "$0")/lib.bash"
repo=$(example_repo)
clone=$work/clone
cd "$repo"

# The first commit adds everything.
expect 0 "*" "" -- kk diff
check "first commit: 3 files and 35 items" test "$(kk diff | grep -c '^+ ')" = 38
expect 0 "$(printf '%s\n' '+ keikaku.json' '+ departments.json' '+ plan.json' \
	'+ 001 申請のオンライン化')" "" -- sh -c "\"$KEIKAKU\" diff | head -4"
check "first commit: from null" test "$(kk diff --json | /usr/bin/python3 -c 'import json,sys
d = json.load(sys.stdin); print(d["from"], len(d["items"]), d["items"][34]["id"])')" = "None 35 35"

# Two commits made with stock git: edits as a text editor would make them.
git clone -q "$repo" "$clone"
edit() {
	/usr/bin/python3 - "$clone" "$@" <<'EOF'
import json, sys
root, script = sys.argv[1], sys.argv[2]
def load(p):
    return json.load(open(f"{root}/{p}"))
def save(p, d):
    with open(f"{root}/{p}", "w") as f:
        f.write(json.dumps(d, ensure_ascii=False, indent=2) + "\n")
exec(script)
EOF
}
edit '
d = load("items/0026.json")
d["status"] = "open"
y = d["years"]["2021"]
y["progress"] = "behind"
y["result"] = y["result"].replace("170台", "200台") + "\n・研修を実施した。"
save("items/0026.json", d)
d = load("keikaku.json")
d["years"]["2021"] = "closed"
save("keikaku.json", d)
'
git -C "$clone" commit -qam "Mark item 26 behind; close FY2021"
edit '
d = load("items/0026.json")
d["owners"].append("総務課")
d["years"]["2022"] = {"revised": "運用開始"}
save("items/0026.json", d)
d = load("items/0035.json")
d["id"] = 36
d["title"] = "文書の電子化の推進(第2期)"
save("items/0036.json", d)
d = load("departments.json")
d["departments"][1]["users"] = ["alice"]
d["departments"].append({"name": "新しい課"})
save("departments.json", d)
d = load("plan.json")
m = d["pillars"][1]["sections"][0]["measures"][0]
m["description"] = m["description"].replace("Webツールの導入を検討します", "Web会議ツールを導入します")
d["pillars"][1]["title"] = "効率化を追求した行政"
d["pillars"][1]["sections"][0]["measures"].append({"number": 9, "title": "新しい施策", "description": "短い説明"})
del d["pillars"][0]["sections"][1]["measures"][0]["description"]
save("plan.json", d)
'
git -C "$clone" rm -q items/0003.json
git -C "$clone" add -A
git -C "$clone" commit -qm "Add item 36, remove item 3, map alice"
git -C "$clone" push -q origin main

# The changes of the two commits, each written once; what a diff prints is
# made of them, in the plan's order: files, then items by id.
closed="keikaku.json · 令和3年度: open → closed"
depts_plan=$(cat <<'EOF'
departments.json · デジタル戦略課 users: (none) → alice
+ departments.json · 新しい課
plan.json · 計画の柱 1 (2) ① 施策の内容:
    [-窓口での手数料や公共施設の利用料の支払いについて、電子マネーやクレジット
    カード、QRコード決済に対応します。-]
plan.json · 計画の柱 2: 効率化を追求した行政運営 → 効率化を追求した行政
plan.json · 計画の柱 2 (1) ① 施策の内容:
    ○試行実施を行ったテレワークについて、実施における規程等を整備し、本格的な導
    入を行います。 ○タブレット端末によりテレワークができる環境を構築します。 ○テ
    レワークにおいては、電話を利用せずに効率的に職員間でコミュニケーションをとる
    必要があるため、Web{+会議+}ツール[-の-]{+を+}導入[-を検討-]します。
+ plan.json · 計画の柱 2 (1) ⑨
plan.json · 計画の柱 2 (1) ⑨: (none) → 新しい施策
plan.json · 計画の柱 2 (1) ⑨ 施策の内容: (none) → 短い説明
EOF
)
removed3="- 003 Webシステムの導入"
owners26="026 テレワークの拡大 · 担当課: デジタル戦略課 → デジタル戦略課、総務課"
status26="026 テレワークの拡大 · 状況: 導入完了 → —"
fy2021_26=$(cat <<'EOF'
026 テレワークの拡大 · 令和3年度 進捗度: ○ → ▲
026 テレワークの拡大 · 令和3年度 取組内容または結果:
    ・検証の結果、テレワーク端末の同時利用が可能となった。また、テレワーク端末を
    新たに調達し、[-170-]{+200+}台体制となった。{+
    ・研修を実施した。+}
EOF
)
fy2022_26="026 テレワークの拡大 · 令和4年度 変更スケジュール: (none) → 運用開始"
added36="+ 036 文書の電子化の推進(第2期)"
lines() { printf '%s\n' "$@"; }
first=$(lines "$closed" "$status26" "$fy2021_26")
second=$(lines "$depts_plan" "$removed3" "$owners26" "$fy2022_26" "$added36")
both=$(lines "$closed" "$depts_plan" "$removed3" "$owners26" "$status26" "$fy2021_26" \
	"$fy2022_26" "$added36")
# No revision: the last commit; A: from A to HEAD; A B: from A to B.
expect 0 "$second" "" -- kk diff
expect 0 "$second" "" -- kk diff HEAD~1
expect 0 "$first" "" -- kk diff HEAD~2 HEAD~1
expect 0 "$both" "" -- kk diff HEAD~2
expect 0 "$both" "" -- kk diff "$(git rev-parse HEAD~2)" main
# A clone reads the same from its own history.
git -C "$clone" pull -q
expect 0 "$both" "" -- kk -C "$clone" diff HEAD~2
# Backwards, every change the other way round.
expect 0 "*" "" -- kk diff HEAD HEAD~1
check "backwards" sh -c "\"$KEIKAKU\" diff HEAD HEAD~1 | grep -qx -- '- 036 文書の電子化の推進(第2期)'"
check "backwards" sh -c "\"$KEIKAKU\" diff HEAD HEAD~1 | grep -qx -- '+ 003 Webシステムの導入'"

# One item; one fiscal year, in any spelling; both.
expect 0 "$(lines "$owners26" "$status26" "$fy2021_26" "$fy2022_26")" "" -- kk diff HEAD~2 --item 26
expect 0 "$removed3" "" -- kk diff HEAD~2 --item 0003
expect 2 "" "keikaku: item 99 does not exist
try 'keikaku diff --help'" -- kk diff HEAD~2 --item 99
for fy in 2021 FY2021 R3 令和3年度; do
	expect 0 "$(lines "$closed" "$removed3" "$fy2021_26" "$added36")" "" -- kk diff HEAD~2 --fy "$fy"
done
expect 0 "$fy2022_26" "" -- kk diff HEAD~2 --fy R4 --item 26
expect 0 "" "" -- kk diff HEAD~2 --fy 2020 --item 26

# --json: the same difference as data, exactly.
expect 0 "$(cat <<EOF
{
  "from": "$(git rev-parse HEAD~2)",
  "to": "$(git rev-parse HEAD~1)",
  "items": [
    {
      "id": 26,
      "title": "テレワークの拡大",
      "change": "changed",
      "changes": [
        {
          "path": "status",
          "old": "completed",
          "new": "open"
        },
        {
          "path": "years.2021.progress",
          "old": "on_track",
          "new": "behind"
        },
        {
          "path": "years.2021.result",
          "old": "・検証の結果、テレワーク端末の同時利用が可能となった。また、テレワーク端末を新たに調達し、170台体制となった。",
          "new": "・検証の結果、テレワーク端末の同時利用が可能となった。また、テレワーク端末を新たに調達し、200台体制となった。\\n・研修を実施した。",
          "inline": [
            {
              "op": "=",
              "text": "・検証の結果、テレワーク端末の同時利用が可能となった。また、テレワーク端末を新たに調達し、"
            },
            {
              "op": "-",
              "text": "170"
            },
            {
              "op": "+",
              "text": "200"
            },
            {
              "op": "=",
              "text": "台体制となった。"
            },
            {
              "op": "+",
              "text": "\\n・研修を実施した。"
            }
          ]
        }
      ]
    }
  ],
  "files": [
    {
      "path": "keikaku.json",
      "change": "changed",
      "changes": [
        {
          "path": "years.2021",
          "old": "open",
          "new": "closed"
        }
      ]
    }
  ]
}
EOF
)" "" -- kk diff HEAD~2 HEAD~1 --json
check "--json of the whole range" test "$(kk diff HEAD~2 --json | /usr/bin/python3 -c 'import json,sys
d = json.load(sys.stdin)
print([(i["id"], i["change"]) for i in d["items"]], [f["path"] for f in d["files"]])')" \
	= "[(3, 'removed'), (26, 'changed'), (36, 'added')] ['keikaku.json', 'departments.json', 'plan.json']"

# --exit-code: 1 when there are differences, 0 when there are none; without it, always 0.
expect 1 "*" "" -- kk diff --exit-code
expect 0 "" "" -- kk diff HEAD HEAD --exit-code
expect 1 "*" "" -- kk diff --exit-code --json
expect 2 "" "*" -- kk diff HEAD~2 --item 99 --exit-code
expect 0 "" "" -- kk diff HEAD HEAD

# Every line fits the terminal, in display columns.
widest() {
	/usr/bin/python3 -c 'import sys,unicodedata
print(max(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in l.rstrip("\n")) for l in sys.stdin))'
}
width=$(kk diff HEAD~2 | widest)
check "fits 80 columns ($width)" test "$width" -le 80
width=$(COLUMNS=40 "$KEIKAKU" diff HEAD~2 | widest)
check "fits 40 columns ($width)" test "$width" -le 40

# Colour only on a terminal, and not with NO_COLOR.
if command -v script >/dev/null; then
	out=$(script -qec "\"$KEIKAKU\" --no-pager diff --item 26 HEAD~2 HEAD~1" /dev/null </dev/null)
	check "colour on a terminal" grep -qF $'\e[31m[-170-]\e[32m{+200+}\e[m' <<<"$out"
	out=$(NO_COLOR=1 script -qec "\"$KEIKAKU\" --no-pager diff --item 26 HEAD~2 HEAD~1" /dev/null </dev/null)
	check "no colour with NO_COLOR" sh -c '! grep -qF "$(printf "\033")" "$@"' - <(echo "$out")
fi
check "no colour into a pipe" sh -c "! \"$KEIKAKU\" diff HEAD~2 | grep -q \"\$(printf '\\033')\""

# A changed file that does not parse is named; one that did not change is never read.
printf '{\n  "id": 5,\n}\n' >"$clone/items/0005.json"
git -C "$clone" commit -qam "Break item 5"
git -C "$clone" push -q origin main
expect 3 "" "keikaku: items/0005.json: line 3, column 1: invalid JSON: string or '}' expected near '}'" \
	-- kk diff
check "broken file is named" sh -c "\"$KEIKAKU\" diff 2>&1 >/dev/null | grep -q '^keikaku: items/0005.json: line 3'"
check "broken file exits 3" sh -c "\"$KEIKAKU\" diff >/dev/null 2>&1; test \$? = 3"
expect 0 "$both" "" -- kk diff HEAD~3 HEAD~1

# Bad arguments.
expect 2 "" "keikaku: expected at most two revisions
try 'keikaku diff --help'" -- kk diff HEAD~2 HEAD~1 HEAD
expect 3 "" "keikaku: unknown revision 'nope'" -- kk diff nope
expect 3 "" "keikaku: unknown revision 'nope'" -- kk diff HEAD nope
expect 2 "" "keikaku: 'abc' is not an item id
try 'keikaku diff --help'" -- kk diff --item abc
expect 2 "" "keikaku: 'X3' is not a fiscal year (try 2021, R3 or 令和3年度)
try 'keikaku diff --help'" -- kk diff --fy X3
expect 2 "" "keikaku: unknown option '--bogus'
try 'keikaku diff --help'" -- kk diff --bogus
expect 2 "" "keikaku: option '--item' needs an argument
try 'keikaku diff --help'" -- kk diff --item
expect 0 "*" "" -- kk diff --help
expect 3 "" "keikaku: no plan repository at or above '.'" -- kk -C / diff

finish
