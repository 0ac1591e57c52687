#!/usr/bin/env bash
# An item several departments own, through keikakud as real Unix users (rule 6,
# docs/data-model.md "Co-owned texts"): item 5 of the example is 税務課's and
# 市民課's.  An owner department's change to one of its texts keeps, in their
# order, the lines the other owner or an admin (the import too) wrote, or the
# whole submission is refused, in the caller's language, with those lines shown
# and nothing written; its own lines it may change, and it may add lines.  An
# admin may rewrite everything; an item with one owner is not affected.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/daemon.bash"

test_users+=(kkt_zeimu kkt_shimin)
setup_users
userdel kkt_zeimu 2>/dev/null || true
useradd -M -N -g kkt_staff -s /usr/sbin/nologin -c "税務 担当" kkt_zeimu
userdel kkt_shimin 2>/dev/null || true
useradd -M -N -g kkt_staff -s /usr/sbin/nologin -c "市民 担当" kkt_shimin

# The example plan, with 税務課, 市民課 and デジタル戦略課 (the admins) mapped to a user each.
src=$work/src
cp -r "$examples/dx-plan-r3" "$src"
/usr/bin/python3 - "$src/departments.json" <<'PY'
import json, sys
path = sys.argv[1]
d = json.load(open(path))
users = {"税務課": "kkt_zeimu", "市民課": "kkt_shimin", "デジタル戦略課": "kkt_dx"}
for dept in d["departments"]:
    if dept["name"] in users:
        dept["users"] = [users[dept["name"]]]
json.dump(d, open(path, "w"), ensure_ascii=False, indent=2)
PY
kk fmt "$src/departments.json"
kk init "$repo" --from "$src" >/dev/null
start_daemon

# text ID [FIELD]: item ID's FY2021 FIELD (result by default) on main, or "-".
text() {
	git -C "$repo" show "main:items/$(printf %04d "$1").json" |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["years"]["2021"].get(sys.argv[1], "-"))' "${2:-result}"
}
# as_kk USER ARGS...: keikaku as USER, through keikakud.
as_kk() {
	local user=$1
	shift
	as "$user" "$KEIKAKU" --socket "$sock" "$@"
}
# refused_as USER ARGS...: `keikaku ARGS` as USER exits 1 and writes nothing.
refused_as() {
	local before
	before=$(repo_state)
	expect 1 "" "*" -- as_kk "$@"
	check "nothing written by a refused $*" test "$(repo_state)" = "$before"
}

imported=$(text 5)
title='005 対象証明書の拡大 · 令和3年度 取組内容または結果'
rule_en="cannot change 'years.2021.result' of item 5: the item's other owner departments or an admin wrote lines of it that the new text leaves out or moves; keep those lines, in their order (your own lines you may change, and you may add lines anywhere)"
keep_en="lines to keep, with who wrote them ('-': your text leaves it out or moves it):"
zeimu=$'【税務課】\n・納税証明書は、J-LISの仕様が異なるため取り下げる。'
koseki=$'【戸籍関係】\n・広域交付の実施により、本取り組みを取り下げる。'

# The imported text is an admin's: a co-owner may not replace it.
expect 1 "" "keikaku: the change breaks the plan's rules
  $title: $rule_en
    $keep_en
    - admin: $imported" -- as_kk kkt_shimin update 5 --fy R3 --result "$koseki"
check "imported text kept" test "$(text 5)" = "$imported"
refused_as kkt_zeimu update 5 --fy R3 --result "$zeimu"

# An admin clears it; 税務課 writes its part.
r=$(call kkt_dx item.update "{\"id\": 5, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2021\": {\"result\": null}}}}")
check "admin cleared the text" test "$(text 5)" = "-"
expect 0 "*" "" -- as_kk kkt_zeimu update 5 --fy R3 --result "$zeimu"
check "税務課's part written" test "$(text 5)" = "$zeimu"

# 市民課's update that replaces the whole text is refused, in English and in Japanese.
before=$(repo_state)
expect 1 "" "keikaku: the change breaks the plan's rules
  $title: $rule_en
    $keep_en
    - 税務課: 【税務課】
    - 税務課: ・納税証明書は、J-LISの仕様が異なるため取り下げる。" -- as_kk kkt_shimin update 5 --fy 令和3年度 --result "$koseki"
LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 expect 1 "" "keikaku: この変更は計画のルールに反します
  005 対象証明書の拡大 · 令和3年度 取組内容または結果: 項目 5 の「years.2021.result」を変更できません: 新しい文章では、この項目の他の担当課または管理者が書いた行が消えるか順序が変わります。それらの行は順序どおりに残してください (自課の行は変更でき、行はどこにでも追加できます)
    残す行と書いた課 (「-」: あなたの文章で消えるか順序が変わる行):
    - 税務課: 【税務課】
    - 税務課: ・納税証明書は、J-LISの仕様が異なるため取り下げる。" \
	-- as_kk kkt_shimin update 5 --fy 令和3年度 --result "$koseki"
check "nothing written" test "$(repo_state)" = "$before"
check "税務課's part still there" test "$(text 5)" = "$zeimu"

# The same as JSON-RPC: -32003, the rule, and the lines to keep in the violation.
r=$(call kkt_shimin item.update "{\"id\": 5, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2021\": {\"result\": \"【戸籍関係】\"}}}}") || true
check "rule violation code" test "$(jget "$r" 'j["error"]["code"]')" = -32003
check "the violation" test "$(jget "$r" '[(v["item"], v["path"], v["rule"]) for v in j["error"]["data"]["violations"]]')" = '[[5, "years.2021.result", "co-owner-text"]]'
check "the lines to keep" test "$(jget "$r" 'j["error"]["data"]["violations"][0]["keep"]')" = \
	'[{"author": "税務課", "line": 1, "missing": true, "text": "【税務課】"}, {"author": "税務課", "line": 2, "missing": true, "text": "・納税証明書は、J-LISの仕様が異なるため取り下げる。"}]'
# A dry run says so too.
expect 1 "dry run: nothing committed
$title:
    【税務課】 ・納税証明書は、J-LISの… → 【戸籍関係】 ・広域交付の実施により…
would be refused:
  $title: $rule_en
    $keep_en
    - 税務課: 【税務課】
    - 税務課: ・納税証明書は、J-LISの仕様が異なるため取り下げる。" "" \
	-- as_kk kkt_shimin update 5 --fy R3 --result "$koseki" --dry-run

# All or nothing: a submission with item 12 (市民課's alone) and item 5 changes neither.
cat >"$work/submit.json" <<EOF
{"items": [
  {"id": 12, "patch": {"years": {"2021": {"result": "・新しい報告"}}}},
  {"id": 5, "patch": {"years": {"2021": {"result": "【戸籍関係】"}}}}
]}
EOF
chmod a+r "$work/submit.json"
item12=$(text 12)
refused_as kkt_shimin submit "$work/submit.json"
check "item 12 unchanged by the refused submission" test "$(text 12)" = "$item12"

# 市民課 appends its part: accepted, with 市民課 on the commit.
expect 0 "*" "" -- as_kk kkt_shimin update 5 --fy R3 --result "$zeimu"$'\n'"$koseki"
check "市民課's part appended" test "$(text 5)" = "$zeimu"$'\n'"$koseki"
check "made for 市民課" test "$(git -C "$repo" log -1 --format=%B main | grep '^Department:')" = "Department: 市民課"

# 税務課 changes its own line (and may add one); it may not drop 市民課's part.
zeimu2=$'【税務課】\n・納税証明書は、オンライン申請で代替できるため取り下げる。\n・ベンダーに改善を要望した。'
expect 0 "*" "" -- as_kk kkt_zeimu update 5 --fy R3 --result "$zeimu2"$'\n'"$koseki"
check "税務課's own line changed" test "$(text 5)" = "$zeimu2"$'\n'"$koseki"
before=$(repo_state)
expect 1 "" "keikaku: the change breaks the plan's rules
  $title: $rule_en
    $keep_en
    - 市民課: 【戸籍関係】
    - 市民課: ・広域交付の実施により、本取り組みを取り下げる。" -- as_kk kkt_zeimu update 5 --fy R3 --result "$zeimu2"
check "nothing written" test "$(repo_state)" = "$before"
# Nor put them out of their order.
refused_as kkt_zeimu update 5 --fy R3 --result "$zeimu2"$'\n・広域交付の実施により、本取り組みを取り下げる。\n【戸籍関係】'

# keikaku edit reopens the editor with the lines to keep on top.
ed=$work/ed
mkdir -p "$ed"
chmod 777 "$ed"
cat >"$ed/editor" <<EOF
#!/bin/sh
# First the FY2021 result becomes 市民課's part alone; reopened, the file is kept as shown: given up.
[ -e "$ed/round1.json" ] && exec cp "\$1" "$ed/round2.json"
sed -i 's/"result": "【税務課】[^"]*"/"result": "【戸籍関係】\\\\n・広域交付"/' "\$1"
cp "\$1" "$ed/round1.json"
EOF
chmod 755 "$ed/editor"
before=$(repo_state)
expect 1 "" "*" -- as kkt_shimin env TMPDIR="$ed" EDITOR="$ed/editor" "$KEIKAKU" --socket "$sock" edit 5
check "nothing written by edit" test "$(repo_state)" = "$before"
check "editor reopened" test -e "$ed/round2.json"
check "round 1 replaced the text" grep -q '"result": "【戸籍関係】\\n・広域交付"' "$ed/round1.json"
expect 0 "# keikakud refused this edit: the change breaks the plan's rules
#   $title: $rule_en
#     $keep_en
#     - 税務課: 【税務課】
#     - 税務課: ・納税証明書は、オンライン申請で代替できるため取り下げる。
#     - 税務課: ・ベンダーに改善を要望した。" "" -- head -n 6 "$ed/round2.json"

# An admin may replace it all.
expect 0 "*" "" -- as_kk kkt_dx update 5 --fy R3 --result "【取り下げ】両課とも取り下げる。"
check "admin replaced it all" test "$(text 5)" = "【取り下げ】両課とも取り下げる。"

# Item 12 has one owner, 市民課: it replaces its imported result as before.
expect 0 "*" "" -- as_kk kkt_shimin update 12 --fy R3 --result "・すべて書き直した。"
check "single owner replaced its text" test "$(text 12)" = "・すべて書き直した。"

# The revised schedule is a text too; progress is not.
refused_as kkt_shimin update 5 --fy R3 --revised "見直し" -m "予定の変更"
expect 0 "*" "" -- as_kk kkt_shimin update 5 --fy R3 --progress ▲
check "progress changed" test "$(text 5 progress)" = behind

stop_daemon
check "the repository is sound" git -C "$repo" fsck --strict --no-progress
finish
