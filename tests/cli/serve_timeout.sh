#!/usr/bin/env bash
# keikaku serve --query-timeout: a page whose queries need longer than allowed is given up
# and answered 503, on a history long enough that a filtered trail takes a while
# (bench/history_gen: 300 items, 3,000 commits).
#
# - With 1 ms, a trail filtered by fiscal year over the whole history, pending items and a
#   difference of two far-apart commits are 503, in Japanese, English and JSON, with
#   Retry-After and no-store, each time they are asked (never cached); the server stays up.
# - With the default (10 s) and with 0 (no limit) the same pages are 200.
# - The option's bad values are usage errors, in both languages.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/serve.bash"
need_ja

history_repo 300 3000
first=$(git -C "$repo" rev-list --max-parents=0 main)

trap 'stop_serves; rm -rf "$work" "$HOME"' EXIT

costly=("/log?fy=2021" "/pending?fy=2021" "/diff?from=$first&to=main")

# --- 1 ms: given up -------------------------------------------------------------------
start_serve --query-timeout 0.001
for path in "${costly[@]}"; do
	for round in 1 2; do
		status 503 "$path" -H 'Accept-Language: en'
		has 'this query needs more than the 0.001 s allowed'
		has 'narrow the query'
		header Retry-After '[0-9]+'
		header Cache-Control no-store
	done
	status 503 "$path"
	has 'このクエリには、許された 0.001 秒より長い時間がかかります'
	status 503 "$path" -H 'Accept: application/json'
	has '"status": 503'
done
check "the server is still up" kill -0 "$serve_pid"

# --- the default, and no limit: made -----------------------------------------------------
for timeout in default 0; do
	if [ "$timeout" = default ]; then start_serve; else start_serve --query-timeout 0; fi
	for path in "${costly[@]}"; do
		status 200 "$path" -H 'Accept: application/json'
	done
done

# --- the option -----------------------------------------------------------------------
expect 2 '' "keikaku: --query-timeout takes 0 to 3600 seconds (to 3 decimals), not 'x'
try 'keikaku serve --help'" -- kk -C "$repo" serve --query-timeout x
for bad in -1 3601 3600.001 1.2345 .5 5. '' ' 5' 1e3 0x10; do
	expect 2 '' "*" -- kk -C "$repo" serve --query-timeout "$bad"
done
LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 "$KEIKAKU" -C "$repo" serve --query-timeout 1.2345 2>"$work/err" &&
	fail "ja: accepted" || true
has "--query-timeout には" "$work/err"

finish
