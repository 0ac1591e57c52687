#!/usr/bin/env bash
# keikaku serve's report page (/ and /report/Y) is keikaku report's HTML with the site's
# navigation and its style added, and nothing else: the page builds the report reading one
# item at a time from the commit's items/ tree, keikaku report one at a time from its
# snapshot.
# Rows come in id order though git's tree order is not numeric: items/10000.json sorts
# between items/1000.json and items/1001.json.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/serve.bash"

plan=$(example_repo plan)
repo=$work/plan
git clone -q "$plan" "$repo"
for id in 1001 10000 1000; do
	sed "s/\"id\": 26,/\"id\": $id,/" "$repo/items/0026.json" >"$repo/items/$id.json"
done
git -C "$repo" add items
git -C "$repo" commit -q -m 'items 1000, 1001 and 10000 in the measure of 26'
check "git's order is not the ids' order" \
	test "$(git -C "$repo" ls-tree --name-only HEAD items/ | tail -3 | tr '\n' ' ')" = \
	"items/1000.json items/10000.json items/1001.json "

trap 'stop_serves; rm -rf "$work" "$HOME"' EXIT
start_serve

# same_as_cli URL ARGS...: the page at URL is `keikaku report ARGS --format html` with the
# navigation after <body> and its style before </head>, each once.
same_as_cli() {
	local url=$1
	shift
	status 200 "$url"
	kk -C "$repo" report "$@" --format html >"$work/cli.html"
	/usr/bin/python3 - "$work/body" "$work/cli.html" <<'PY' && ok || fail "$url is not keikaku report $* --format html with the navigation"
import re, sys
page, cli = (open(p, encoding="utf-8").read() for p in sys.argv[1:])
page, styles = re.subn(r'<style>nav\.kw\{[^<]*</style>\n(?=</head>\n<body>\n)', '', page)
page, navs = re.subn(r'(?<=<body>\n)<nav class="kw">.*?</nav>\n', '', page)
sys.exit(not (styles == navs == 1 and page == cli))
PY
}
same_as_cli /report/2021 --fy 2021
same_as_cli / --fy 2021
same_as_cli /report/2022 --fy 2022
same_as_cli "/report/2021?at=HEAD~1" --fy 2021 --at HEAD~1

# The rows of measure 26's, in id order.
status 200 /report/2021 -H 'Accept: application/json'
/usr/bin/python3 - "$work/body" <<'PY' && ok || fail "the rows of item 26's measure are not in id order"
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["pillars"]:
    for s in p["sections"]:
        for m in s["measures"]:
            ids = [i["id"] for i in m["items"]]
            if 26 in ids:
                sys.exit(not (ids[-3:] == [1000, 1001, 10000] and ids == sorted(ids)))
sys.exit(1)
PY
kk -C "$repo" report --fy 2021 --json >"$work/cli.json"
check "as JSON it is keikaku report --json" cmp -s "$work/body" "$work/cli.json"
status 200 / -H 'Accept: application/json'
check "/ as JSON is keikaku report --fy 2021 --json (the first open year)" cmp -s "$work/body" "$work/cli.json"

finish
