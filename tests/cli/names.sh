#!/usr/bin/env bash
# Issue 16, points 1 and 2, on a repository: input as an input method types it
# (full-width digits, 〇 for ○, full-width spaces) reads as the report's words,
# and a filter naming a department, item, author, field or year the plan does not
# have is an error that says so (and names the one meant), in English and Japanese.
. "$(dirname "$0")/lib.bash"
repo=$(example_repo)
ja() {
	LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 "$KEIKAKU" "$@"
}

# As an IME types it: the same answers as the ASCII and the report's own marks, in both
# languages.
for run in kk ja; do
	expect 0 "$($run -C "$repo" list --fy R3 --progress ○)" "" -- $run -C "$repo" list --fy Ｒ３ --progress 〇
	expect 0 "$($run -C "$repo" list --fy R3 --progress ○)" "" -- $run -C "$repo" list --fy 令和３年度 --progress ◯
	expect 0 "$($run -C "$repo" list --owner 税務課)" "" -- $run -C "$repo" list --owner "税務課　"
	expect 0 "$($run -C "$repo" list --status withdrawn)" "" -- $run -C "$repo" list --status 取下げ
	expect 0 "$($run -C "$repo" log --fy 2021 --field progress)" "" \
		-- $run -C "$repo" log --fy 令和３年度 --field progress
	expect 0 "$($run -C "$repo" log --item 26)" "" -- $run -C "$repo" log --item ２６
	expect 0 "$($run -C "$repo" show 26)" "" -- $run -C "$repo" show ２６
	expect 0 "$($run -C "$repo" blame 26)" "" -- $run -C "$repo" blame "２６　"
	expect 0 "$($run -C "$repo" schedule --fy 2021)" "" -- $run -C "$repo" schedule --fy ＦＹ２０２１
	expect 0 "$($run -C "$repo" report --fy 2021)" "" -- $run -C "$repo" report --fy "　令和３年度"
	check "$run: list --fy R3 --progress 〇 lists items" test "$($run -C "$repo" list --fy Ｒ３ --progress 〇 | grep -c '○')" -gt 5
done

# Mistakes are named: exit 2, the thing that does not exist, the one meant.
bad() { # bad COMMAND... : exit 2 with MESSAGE (from $msg) and the help hint
	local cmd=$1
	expect 2 "" "keikaku: $msg
try 'keikaku $cmd --help'" -- kk -C "$repo" "$@"
}
msg="department '秘書科' does not exist (did you mean '秘書課'?)" bad log --dept 秘書科
msg="item 999 does not exist" bad log --item 999
msg="no commit of the plan is by 'nobody'" bad log --author nobody
msg="file 'keikaku.jsn' is not a plan file (did you mean 'keikaku.json'?)" bad log --file keikaku.jsn
msg="file 'notes.txt' is not a plan file: give keikaku.json, departments.json, plan.json or items/NNNN.json" \
	bad log --file notes.txt
msg="unknown field 'progres' (did you mean 'progress'?)" bad log --field progres
msg="unknown field 'years.2021.progres' (did you mean 'years.2021.progress'?)" \
	bad log --field years.2021.progres
msg="fiscal year 2030 (令和12年度) is not a year of the plan" bad log --fy 2030
msg="fiscal year 2030 (令和12年度) is not a year of the plan" bad schedule --fy 2030
msg="fiscal year 2030 (令和12年度) is not a year of the plan" bad pending --fy 2030
msg="fiscal year 2030 (令和12年度) is not a year of the plan" bad diff --fy 2030
msg="item 999 does not exist" bad diff --item 999
msg="fiscal year 2030 (令和12年度) is not a year of the plan" bad list --fy 2030
msg="fiscal year 2030 (令和12年度) is not a year of the plan" bad report --fy 2030
expect 2 "" "keikaku: department '秘書科' does not exist (did you mean '秘書課'?)" -- kk -C "$repo" list --owner 秘書科
# A department, item and author that exist, with nothing to show, are no mistake.
expect 0 "no changes" "" -- kk -C "$repo" log --dept 秘書課 --since 2100-01-01

# The same in Japanese.
bad_ja() { # bad_ja COMMAND... : exit 2 with MESSAGE (from $msg) and the help hint, in Japanese
	local cmd=$1
	expect 2 "" "keikaku: $msg
詳しくは 'keikaku $cmd --help' を実行してください" -- ja -C "$repo" "$@"
}
msg="項目 999 は存在しません" bad_ja log --item 999
msg="'nobody' による計画のコミットはありません" bad_ja log --author nobody
msg="'keikaku.jsn' は計画のファイルではありません ('keikaku.json' のことですか?)" bad_ja log --file keikaku.jsn
msg="'notes.txt' は計画のファイルではありません: keikaku.json、departments.json、plan.json、items/NNNN.json のいずれかを指定してください" \
	bad_ja log --file notes.txt
for cmd in log schedule pending diff list report; do
	msg="2030年度 (令和12年度) は計画の年度ではありません" bad_ja $cmd --fy 2030
done
msg="項目 999 は存在しません" bad_ja diff --item 999
expect 2 "" "keikaku: 課「秘書科」は存在しません (「秘書課」のことですか?)" -- ja -C "$repo" list --owner 秘書科
expect 2 "" "keikaku: 課「秘書科」は存在しません (「秘書課」のことですか?)
詳しくは 'keikaku log --help' を実行してください" -- ja -C "$repo" log --dept 秘書科
expect 2 "" "keikaku: 'progres' という欄はありません ('progress' のことですか?)
詳しくは 'keikaku log --help' を実行してください" -- ja -C "$repo" log --field progres
finish
