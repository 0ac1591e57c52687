#!/usr/bin/env bash
# keikaku serve's limits on query cost, and its cache key, on a history long enough that
# a costly page takes a while (bench/history_gen: 1,000 items, 8,000 commits).
#
# - A flood of costly pages (schedules, each at another commit, so that none is cached),
#   in Japanese, English and JSON, against --costly-pages 1 --costly-queue 1: one is made
#   at a time, one waits, the others are answered at once with a 503 page in their own
#   language and a Retry-After; cheap pages (an item, its trail, a page of the trail, a
#   commit's change) answer meanwhile, none of them a 503, before the flood's pages are
#   made.  The costly pages' threads, one per --costly-pages, are 10 nicer.  With
#   --costly-pages 0 there is no such lane: the same flood is all 200.
# - The options' bad values are usage errors, in both languages.
# - Each page is made once (KEIKAKU_SERVE_TRACE counts them): a 400 or 404 is kept in the
#   cache as a page is, without an ETag, in each language; the report of the whole plan
#   is kept; requests for a costly page that is being made wait for it, holding no place
#   in the costly line, and all get the one page made; a 503 is not kept.
# - A page asked for at a tag (or fyYYYY) follows the tag when it is created or moved
#   while HEAD stays where it is: the cache key is not HEAD alone.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/serve.bash"
need_ja

: "${KK_HISTORY_GEN:?set KK_HISTORY_GEN to bench/history_gen}"
repo=$work/repo.git
git init -q --bare -b main "$repo"
"$KK_HISTORY_GEN" --items 1000 --commits 8000 --seed 1 --stats "$work/stats" 2>/dev/null |
	git -C "$repo" fast-import --quiet
item=$(awk -F= '$1 == "typical_item" { print $2 }' "$work/stats")

trap 'stop_serves; rm -rf "$work" "$HOME"' EXIT

git -C "$repo" rev-list --max-count=12 main >"$work/commits"
mapfile -t commits <"$work/commits"

# flood N: N costly pages at once, each at its own commit; a third each in Japanese,
# English and JSON.  flood/N.status gets its status once it is answered.
flood_pids=()
flood() {
	rm -rf "$work/flood"
	mkdir -p "$work/flood"
	flood_pids=()
	for i in $(seq 0 $(($1 - 1))); do
		local lang=(-H 'Accept-Language: ja')
		case $((i % 3)) in
		1) lang=(-H 'Accept-Language: en') ;;
		2) lang=(-H 'Accept: application/json') ;;
		esac
		curl -s -o "$work/flood/$i.body" -D "$work/flood/$i.head" -w '%{http_code}\n' "${lang[@]}" \
			"$base/schedule?fy=2021&at=${commits[$i]}" >"$work/flood/$i.part" &&
			mv "$work/flood/$i.part" "$work/flood/$i.status" &
		flood_pids+=($!)
	done
}
made() { # how many of the flood's pages have been answered 200 so far
	{ cat "$work/flood/"*.status 2>/dev/null || true; } | { grep -c 200 || true; }
}
flood_wait() {
	for pid in "${flood_pids[@]}"; do wait "$pid" || true; done
}

# niced N: the server has N threads 10 nicer than itself (at most 19), those that make
# costly pages.
niced() {
	local got
	got=$(ps -L -o tid=,nice= -p "$serve_pid" | awk -v pid="$serve_pid" '
		$1 == pid { n = $2 + 10 > 19 ? 19 : $2 + 10; base = $2 } { nice[$1] = $2 }
		END { if (n == base) { print "?"; exit } for (t in nice) if (t != pid && nice[t] == n) c++; print c + 0 }')
	[ "$got" = "?" ] && { ok; return; } # the test itself runs at nice 19: no nicer to be
	if [ "$got" = "$1" ]; then ok; else fail "$got threads 10 nicer, expected $1: $(ps -L -o tid=,nice= -p "$serve_pid" | tr '\n' ' ')"; fi
}

# --- a flood of costly pages against one at a time, one waiting -----------------------
start_serve --threads 2 --costly-pages 1 --costly-queue 1
niced 1
curl -s -o /dev/null "$base/items/$item" # the first page reads the history
flood 12
sleep 0.1 # every request of the flood is in
# Cheap pages, none of them cached, each answered before the costly ones waiting are made.
for path in "/items/$item?at=${commits[7]}" "/items/$((item + 1))" "/log?item=$item" \
	"/log?page=2" "/diff?at=${commits[3]}" "/diff?from=${commits[4]}&to=${commits[2]}&item=$item"; do
	status 200 "$path"
	n=$(made)
	check "$path answered while the flood's pages were being made ($n of them made)" test "$n" -le 1
done
flood_wait
codes=$(cat "$work/flood/"*.status | sort | uniq -c | tr -s ' \n' ' ')
check "every costly page is 200 or 503: $codes" sh -c "! cat '$work/flood/'*.status | grep -qvE '^(200|503)$'"
check "some costly pages made ($codes)" test "$(made)" -ge 1
check "the line's overflow refused with 503 ($codes)" test "$(cat "$work/flood/"*.status | { grep -c 503 || true; })" -ge 6
for i in $(seq 0 11); do
	[ "$(cat "$work/flood/$i.status")" = 503 ] || continue
	has 'Retry-After: 10' "$work/flood/$i.head"
	has 'Cache-Control: no-store' "$work/flood/$i.head"
	case $((i % 3)) in
	0)
		has '<html lang="ja">' "$work/flood/$i.body"
		has '<h1>混雑しています</h1>' "$work/flood/$i.body"
		has '重いページの作成が混み合っています' "$work/flood/$i.body"
		;;
	1)
		has '<html lang="en">' "$work/flood/$i.body"
		has '<h1>Busy</h1>' "$work/flood/$i.body"
		has 'too many costly pages are being made: try again in a minute, or narrow the query' "$work/flood/$i.body"
		;;
	2)
		has '"status": 503' "$work/flood/$i.body"
		has 'application/json' "$work/flood/$i.head"
		;;
	esac
done
# The same page later, alone: made.
status 200 "/schedule?fy=2021&at=${commits[11]}"
has '<table class="schedule">'
check "the server is still up" kill -0 "$serve_pid"

# --- without the lane: the same flood is made, every page ------------------------------
start_serve --threads 2 --costly-pages 0
niced 0
curl -s -o /dev/null "$base/items/$item"
flood 6
flood_wait
check "no lane: every costly page made ($(cat "$work/flood/"*.status | tr '\n' ' '))" test "$(made)" -eq 6

# --- the options ---------------------------------------------------------------------
expect 2 '' "keikaku: --costly-pages takes 0 to 64, not 'x'
try 'keikaku serve --help'" -- kk -C "$repo" serve --costly-pages x
expect 2 '' "*" -- kk -C "$repo" serve --costly-queue 65
expect 2 '' "*" -- kk -C "$repo" serve --costly-queue -1
expect 2 '' "*" -- kk -C "$repo" serve --threads 0
LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 "$KEIKAKU" -C "$repo" serve --costly-queue 65 2>"$work/err" && fail "ja: accepted" || true
has "--costly-queue には 0 から 64 を指定してください(「65」ではなく)" "$work/err"

# --- each page made once: negative answers kept, requests for one page in flight -------
# With KEIKAKU_SERVE_TRACE the server writes on stderr a line for each page it makes
# ("made STATUS URL LANG FORMAT") and each it hands from the request that made it to one
# that waited for it ("shared ...").
export KEIKAKU_SERVE_TRACE=1
start_serve --threads 2 --costly-pages 1 --costly-queue 4
unset KEIKAKU_SERVE_TRACE
trace=$work/serve.$((${#serve_pids[@]} - 1)).err
traced() { # traced 'made 200 URL LANG': how many such lines so far
	{ grep -cF -- "keikaku serve: $1 " "$trace" || true; } | tr -d '\n'
}
# A 400 and a 404 made from the repository are as stable as a page: made once, then the
# same answer from the cache, with no ETag (and so no 304, even for "*").
for lang in ja en; do
	for n in 1 2 3; do
		status 400 '/log?author=nobody' -H "Accept-Language: $lang" -H 'If-None-Match: *'
		cp "$work/body" "$work/body.$lang.$n"
	done
	check "$lang: the 400 the same each time" cmp -s "$work/body.$lang.1" "$work/body.$lang.3"
	check "$lang: a 400 made once ($(traced "made 400 /log?author=nobody $lang"))" \
		test "$(traced "made 400 /log?author=nobody $lang")" = 1
	header Cache-Control no-store
	check "$lang: a 400 has no ETag" sh -c "! grep -qi '^ETag:' '$work/head'"
done
has '<html lang="en">' "$work/body.en.3"
has 'author' "$work/body.en.3"
has '<html lang="ja">' "$work/body.ja.3"
status 404 "/items/99999"
status 404 "/items/99999"
check "a 404 made once ($(traced 'made 404 /items/99999 ja'))" test "$(traced 'made 404 /items/99999 ja')" = 1
# The report of the whole plan (2 MB here), made once too.
status 200 /
status 200 /
check "the report made once ($(traced 'made 200 / ja'))" test "$(traced 'made 200 / ja')" = 1
# Three costly pages at once, each at its own commit (the first made, two waiting in the
# line), then six requests at once for one more: the first of them waits in the line for
# its turn, the five others for its page, holding no place in the line, so that a fifth
# costly page asked meanwhile still finds one (the line holds four).  The page is made
# once, and all six get it.
mkdir -p "$work/sf"
sf_pids=()
get_bg() { # get_bg NAME PATH: in the background, its status into sf/NAME.status
	curl -s -o "$work/sf/$1.body" -w '%{http_code}\n' "$base$2" >"$work/sf/$1.status" &
	sf_pids+=($!)
}
for i in 1 2 3; do get_bg "b$i" "/schedule?fy=2021&at=${commits[$i]}"; done
sleep 0.1
for i in 1 2 3 4 5 6; do get_bg "k$i" "/schedule?fy=2021&at=${commits[8]}"; done
sleep 0.1
get_bg l "/pending?fy=2021&at=${commits[9]}"
for pid in "${sf_pids[@]}"; do wait "$pid" || true; done
codes=$(cat "$work/sf/"*.status | tr '\n' ' ')
check "every costly page made, none refused: $codes" test "$codes" = "$(printf '200 %.0s' 1 2 3 4 5 6 7 8 9 10)"
for i in 2 3 4 5 6; do check "k$i is k1's page" cmp -s "$work/sf/k1.body" "$work/sf/k$i.body"; done
made=$(traced "made 200 /schedule?fy=2021&at=${commits[8]} ja")
shared=$(traced "shared 200 /schedule?fy=2021&at=${commits[8]} ja")
check "one page made for six requests ($made made, $shared handed over)" test "$made" = 1
check "requests waited for the page being made ($shared)" test "$shared" -ge 1
# A 503 is not kept: once the line is free, the same page is made.  A schedule holds the
# line while a pending page comes; a quick machine may make the schedule first (it takes
# 0.1-0.2 s in a Debug build, the report of the whole plan, streamed, under 0.1 s), so up
# to four tries, each with pages of commits not asked for yet.
start_serve --threads 2 --costly-pages 1 --costly-queue 0
refused=
for k in 0 2 4 6; do
	sf_pids=()
	get_bg "hold$k" "/schedule?fy=2021&at=${commits[$k]}"
	sleep 0.02
	probe="/pending?fy=2021&at=${commits[$((k + 1))]}"
	code=$(curl -s -o /dev/null -w '%{http_code}' "$base$probe")
	for pid in "${sf_pids[@]}"; do wait "$pid" || true; done
	if [ "$code" = 503 ]; then
		refused=$probe
		break
	fi
done
check "a costly page asked while the line is busy is refused (${refused:-never, in 4 tries})" test -n "$refused"
[ -z "$refused" ] || status 200 "$refused"

# --- tags created or moved while HEAD stays: the cache key follows them ----------------
start_serve --threads 4 --costly-pages 2
niced 2
head=$(git -C "$repo" rev-parse main)
old=${commits[6]}
commit_of() { # the commit the last JSON item page is of
	/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["commit"])' "$work/body"
}
status 404 "/items/$item?at=audit" -H 'Accept: application/json'
git -C "$repo" tag audit "$old"
status 200 "/items/$item?at=audit" -H 'Accept: application/json'
check "a new tag is served at once" test "$(commit_of)" = "$old"
etag_old=$(sed -n 's/^ETag: \(.*\)\r$/\1/Ip' "$work/head")
git -C "$repo" tag -f audit "$head" >/dev/null
status 200 "/items/$item?at=audit" -H 'Accept: application/json'
check "a moved tag is followed ($(commit_of))" test "$(commit_of)" = "$head"
etag_new=$(sed -n 's/^ETag: \(.*\)\r$/\1/Ip' "$work/head")
check "a moved tag, a new ETag" test "$etag_old" != "$etag_new"
status 200 "/items/$item?at=audit" -H 'Accept: application/json' -H "If-None-Match: $etag_old"
# fy2023 has no tag: the end of that year by HEAD's history, HEAD.  Then the year is
# closed at an older commit, as a mirror receives a close's tag.
status 200 "/items/$item?at=fy2023" -H 'Accept: application/json'
check "fy2023 before its tag is HEAD" test "$(commit_of)" = "$head"
status 200 "/report/2021?at=fy2023"
has "${head:0:10}"
git -C "$repo" tag fy2023 "$old"
status 200 "/items/$item?at=fy2023" -H 'Accept: application/json'
check "fy2023 after its tag is the tag ($(commit_of))" test "$(commit_of)" = "$old"
status 200 "/report/2021?at=fy2023"
has "${old:0:10}"
# The same for the revisions a query names: /diff's from and to, /log's since.
status 200 "/diff?from=audit&to=fy2023&item=$item" -H 'Accept: application/json'
has "\"from\": \"$head\""
git -C "$repo" tag -f audit "$old" >/dev/null
status 200 "/diff?from=audit&to=fy2023&item=$item" -H 'Accept: application/json'
has "\"from\": \"$old\""

finish
