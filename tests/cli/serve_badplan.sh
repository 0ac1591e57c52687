#!/usr/bin/env bash
# keikaku serve on a repository that holds no valid plan: its faults are the server's (500,
# naming the file and the commit where one is known), never the request's (400 naming a
# parameter the request did not send); a bad parameter is still a 400 naming it, and the
# server stays up.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/serve.bash"
need_ja

repo=$work/np
git init -q -b main "$repo"
mkdir "$repo/items"
echo '{"x":' >"$repo/items/0001.json"
echo '[]' >"$repo/keikaku.json"
git -C "$repo" add -A
git -C "$repo" commit -q -m 'not a plan'
short=$(git -C "$repo" rev-parse --short=12 HEAD)

trap 'stop_serves; rm -rf "$work" "$HOME"' EXIT
start_serve

item="items/0001.json@$short: unexpected end of input"
settings="keikaku.json: 'keikaku.json' does not hold a JSON object"
for case in "/log|$item" "/log?item=1|$item" "/items/1|$item" "/schedule|$settings" \
	"/|$settings" "/report/2021|$settings" "/pending|keikaku.json names no fiscal year"; do
	path=${case%%|*} what=${case#*|}
	status 500 "$path" -H 'Accept-Language: en' -H 'Accept: application/json'
	has "the repository holds no valid plan: $what"
	has '"status": 500'
	lacks 'invalid parameter'
	status 500 "$path" -H 'Accept-Language: en'
	has "the repository holds no valid plan: ${what%%:*}"
	status 500 "$path"
	has 'リポジトリに正しい計画がありません'
done

# An item whose id is not its file's: the plan's fault, though core points into the file.
plan=$(example_repo plan)
git clone -q "$plan" "$work/plan"
sed -i 's/"id": 26,/"id": 27,/' "$work/plan/items/0026.json"
git -C "$work/plan" commit -q -am 'id 27 in items/0026.json'
repo=$work/plan
start_serve
for path in /schedule '/pending?fy=2021' / '/report/2021'; do
	status 500 "$path" -H 'Accept-Language: en' -H 'Accept: application/json'
	has 'the repository holds no valid plan: items/0026.json'
	lacks 'invalid parameter'
done
status 500 / -H 'Accept-Language: en'
has "items/0026.json@$(git -C "$work/plan" rev-parse --short=12 HEAD): id does not match the file name"
# The report reads its items one at a time: one that is not JSON, or no object, is named too.
echo '{"id": 30,' >"$work/plan/items/0030.json"
git -C "$work/plan" commit -q -am 'items/0030.json cut short'
status 500 /report/2021 -H 'Accept-Language: en' -H 'Accept: application/json'
has "the repository holds no valid plan: items/0026.json@"
git -C "$work/plan" revert --no-edit HEAD~1 >/dev/null
status 500 /report/2021 -H 'Accept-Language: en' -H 'Accept: application/json'
has "the repository holds no valid plan: items/0030.json@$(git -C "$work/plan" rev-parse --short=12 HEAD): "
echo '[30]' >"$work/plan/items/0030.json"
git -C "$work/plan" commit -q -am 'items/0030.json an array'
status 500 / -H 'Accept-Language: en' -H 'Accept: application/json'
has "items/0030.json@$(git -C "$work/plan" rev-parse --short=12 HEAD): 'items/0030.json' does not hold a JSON object"
# An item whose measure plan.json lacks; one nested deeper than the JSON reader takes.
git -C "$work/plan" checkout -q origin/main -- items/0030.json
sed -i 's/"measure": [0-9]*,/"measure": 9,/' "$work/plan/items/0030.json"
git -C "$work/plan" commit -q -am 'item 30 in measure 9'
status 500 /report/2021 -H 'Accept-Language: en'
has "the repository holds no valid plan: items/0030.json@$(git -C "$work/plan" rev-parse --short=12 HEAD): cannot report item &#39;30&#39;: plan.json has no measure 9"
git -C "$work/plan" checkout -q origin/main -- items/0030.json
/usr/bin/python3 -c 'print("{\"id\": 31, \"x\": " + "[" * 100 + "]" * 100 + "}")' >"$work/plan/items/0031.json"
git -C "$work/plan" commit -q -am 'item 31 nested 100 deep'
status 500 / -H 'Accept-Language: en' -H 'Accept: application/json'
has "the repository holds no valid plan: items/0031.json@$(git -C "$work/plan" rev-parse --short=12 HEAD): "

# The request's own mistakes are still its own.
status 400 '/log?fy=x' -H 'Accept-Language: en' -H 'Accept: application/json'
has "invalid parameter 'fy'"
status 404 '/diff?from=nosuch'
check "the server is still up" kill -0 "$serve_pid"

finish
