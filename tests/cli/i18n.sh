#!/usr/bin/env bash
# Messages follow the locale: English by default, the Japanese catalogue under
# ja_JP.UTF-8; and the catalogue translates every message of the sources.
. "$(dirname "$0")/lib.bash"
repo=$(example_repo)

if ! locale -a 2>/dev/null | grep -qix 'ja_JP.utf8'; then
	echo "the ja_JP.UTF-8 locale is missing: run scripts/deps" >&2
	exit 1
fi
ja() {
	LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 "$KEIKAKU" "$@"
}

expect 3 "" "keikaku: item 999 does not exist" -- kk -C "$repo" show 999
expect 3 "" "keikaku: 項目 999 は存在しません" -- ja -C "$repo" show 999
expect 2 "" "keikaku: 「X3」は年度ではありません (2021、R3、令和3年度 のように指定してください)
詳しくは 'keikaku list --help' を実行してください" -- ja -C "$repo" list --fy X3
expect 0 "コミット $(git -C "$repo" rev-parse --short=10 main) の 42 個のファイルに問題はありません" "" \
	-- ja -C "$repo" verify
check "Japanese help" sh -c "LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 \"$KEIKAKU\" --help | grep -q '^使い方: keikaku'"
# Plan data is shown as written, whatever the locale.
check "data unchanged in English" sh -c "\"$KEIKAKU\" -C \"$repo\" show 26 | grep -q '進捗度            ▲ 計画より遅れている'"

# Every message in the sources has a Japanese translation.
check "catalogue complete" "$KK_SOURCE_DIR/scripts/update-po" --check
finish
