#!/usr/bin/env bash
# keikaku pending: a year's reporting counts from when the year was opened, so an
# owner who reported on FY2022 before FY2021 was closed is not chased; the period's
# start is shown as a time and a commit, never contradicted by an item's line; and
# nothing pending exits 0.
. "$(dirname "$0")/lib.bash"
repo=$(example_repo)
opened=$(git -C "$repo" rev-parse main)
opened_at=$(TZ=UTC git -C "$repo" log -1 --date=format-local:'%Y-%m-%d %H:%M' --format=%cd main)

# In a clone, as keikakud commits: 秘書課 reports on FY2022 (item 25), then the
# admin closes FY2021 and tags it.
git clone -q "$repo" "$work/w"
cd "$work/w"
/usr/bin/python3 - <<'PY'
import json
p = "items/0025.json"
item = json.load(open(p))
item["years"]["2022"] = {"revised": "規程の施行"}
json.dump(item, open(p, "w"), ensure_ascii=False, indent=2)
open(p, "a").write("\n")
p = "keikaku.json"
s = json.load(open(p))
s["years"]["2021"] = "closed"
json.dump(s, open("closed.json", "w"), ensure_ascii=False, indent=2)
PY
"$KEIKAKU" fmt items/0025.json >/dev/null
git commit -q -am "025 規程の整備 · 令和4年度 変更スケジュール: set

規程の施行を早めた

Keikaku-Item: 25
Fiscal-Year: 2022
Department: 秘書課"
mv closed.json keikaku.json
"$KEIKAKU" fmt keikaku.json >/dev/null
git commit -q -am "keikaku.json · 令和3年度: open → closed

令和3年度の締め

Keikaku-File: keikaku.json
Fiscal-Year: 2021"
git tag -a fy2021 -m "令和3年度"
git push -q origin main fy2021
cd "$work"

# 25 reported on FY2022 before the close: not pending for FY2022.
expect 1 "*" "" -- kk -C "$repo" pending --fy 2022
check "25 is not chased for FY2022" sh -c "! \"$KEIKAKU\" -C '$repo' pending --fy 2022 | grep -q '^  025 '"
check "others are" sh -c "\"$KEIKAKU\" -C '$repo' pending --fy 2022 | grep -q '^  029 '"
expect 0 "令和4年度: not updated by their owners since it was opened, $opened_at (commit ${opened:0:10})" "" \
	-- sh -c "\"$KEIKAKU\" -C '$repo' pending --fy 2022 | head -1"
expect 0 "令和4年度: 年度の開始 $opened_at (コミット ${opened:0:10}) 以降、担当課による更新がない項目" "" \
	-- sh -c "LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 \"$KEIKAKU\" -C '$repo' pending --fy 2022 | head -1"
check "ja: 25 is not chased for FY2022" sh -c "! LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 \"$KEIKAKU\" -C '$repo' pending --fy 2022 | grep -q '^  025 '"
expect 0 "$opened opened" "" -- sh -c "\"$KEIKAKU\" -C '$repo' pending --fy 2022 --json | /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print(j[\"since_commit\"], j[\"since_reason\"])'"
# --since a revision: after its commit; 25's update is before the tag, so 25 is pending.
check "--since fy2021: 25 pending" sh -c "\"$KEIKAKU\" -C '$repo' pending --fy 2022 --since fy2021 | grep -q '^  025 .*last updated '"
# An item's last update is shown to the minute, as the period's start is: no line
# says "not updated since" a time after one that says it was.
check "times to the minute" sh -c "\"$KEIKAKU\" -C '$repo' pending --fy 2022 --since fy2021 | grep -Eq '^  025 .*last updated [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}\$'"

# Nothing pending: exit 0.
mkdir "$work/done"
cp -r "$KK_SOURCE_DIR/examples/dx-plan-r3/." "$work/done/"
/usr/bin/python3 - "$work/done/items" <<'PY'
import json, os, sys
for name in os.listdir(sys.argv[1]):
    p = os.path.join(sys.argv[1], name)
    item = json.load(open(p))
    if item["status"] == "open":
        item["status"] = "completed"
    json.dump(item, open(p, "w"), ensure_ascii=False, indent=2)
PY
"$KEIKAKU" fmt "$work"/done/items/*.json >/dev/null
kk init "$work/done.git" --from "$work/done" >/dev/null
expect 0 "*" "" -- kk -C "$work/done.git" pending --fy 2021
expect 0 "nothing pending" "" -- sh -c "\"$KEIKAKU\" -C '$work/done.git' pending --fy 2021 | tail -1"
finish
