#!/usr/bin/env bash
# East Asian ambiguous characters (◎ ○ ▲ — …) one column wide or two, as the terminal
# draws them: --ambiguous-width and $KEIKAKU_AMBIGUOUS_WIDTH.  `list --fy R3` keeps its
# columns aligned and `show` its lines within the width, measured as such a terminal
# measures, in English and in Japanese; measured the other way, they are not.
. "$(dirname "$0")/lib.bash"
repo=$(example_repo)

if ! locale -a 2>/dev/null | grep -qix 'ja_JP.utf8'; then
	echo "the ja_JP.UTF-8 locale is missing: run scripts/deps" >&2
	exit 1
fi

# columns W FILE [table]: the display width of each line of FILE, ambiguous characters W columns
# wide (Python's unicodedata, not keikaku's table), one "width of the line up to its last
# field, width of the line" a line; of a table, up to the first empty line (its count).
columns() {
	python3 - "$1" "$2" "${3:-}" <<'PY'
import re, sys, unicodedata
amb = int(sys.argv[1])
def width(s):
    w = 0
    for c in s:
        if unicodedata.combining(c):
            continue
        e = unicodedata.east_asian_width(c)
        w += 2 if e in "WF" else amb if e == "A" else 1
    return w
text = open(sys.argv[2], encoding="utf-8").read()
for line in (text.split("\n\n")[0] if sys.argv[3] else text).splitlines():
    m = re.match(r"^(.*\S\s+)\S+$", line)
    print(width(m.group(1)) if m else 0, width(line))
PY
}

# aligned W FILE: the last column of every line of a table starts at the same place.
aligned() {
	[ "$(columns "$1" "$2" table | cut -d' ' -f1 | sort -u | wc -l)" = 1 ]
}

# within W FILE: no line is wider than $COLUMNS.
within() {
	[ "$(columns "$1" "$2" | cut -d' ' -f2 | sort -n | tail -1)" -le "$COLUMNS" ]
}

not() {
	! "$@"
}

for lang in C.UTF-8 ja_JP.UTF-8; do
	run() { LANG=$lang LC_ALL=$lang "$KEIKAKU" "$@"; }
	export COLUMNS=120
	run -C "$repo" list --fy R3 >"$work/list1"
	run -C "$repo" --ambiguous-width 2 list --fy R3 >"$work/list2"
	KEIKAKU_AMBIGUOUS_WIDTH=2 run -C "$repo" list --fy R3 >"$work/list2e"
	KEIKAKU_AMBIGUOUS_WIDTH=2 run -C "$repo" --ambiguous-width=1 list --fy R3 >"$work/list1o"
	check "$lang: list has marks" grep -q '○' "$work/list1"
	check "$lang: list, one column: aligned" aligned 1 "$work/list1"
	check "$lang: list, two columns: aligned" aligned 2 "$work/list2"
	check "$lang: list, one column: not aligned for two" not aligned 2 "$work/list1"
	check "$lang: list, two columns: not aligned for one" not aligned 1 "$work/list2"
	check "$lang: KEIKAKU_AMBIGUOUS_WIDTH=2 is --ambiguous-width 2" cmp "$work/list2" "$work/list2e"
	check "$lang: --ambiguous-width overrides the environment" cmp "$work/list1" "$work/list1o"

	export COLUMNS=80
	run -C "$repo" show 1 >"$work/show1"
	run -C "$repo" --ambiguous-width 2 show 1 >"$work/show2"
	check "$lang: show, one column: within $COLUMNS" within 1 "$work/show1"
	check "$lang: show, two columns: within $COLUMNS" within 2 "$work/show2"
	check "$lang: show, one column: too wide for two" not within 2 "$work/show1"
done

expect 2 "" "keikaku: --ambiguous-width takes 1 or 2, not '3'
try 'keikaku --help'" -- kk --ambiguous-width 3 list
expect 2 "" "keikaku: KEIKAKU_AMBIGUOUS_WIDTH must be 1 or 2, not 'wide'
try 'keikaku --help'" -- env KEIKAKU_AMBIGUOUS_WIDTH=wide "$KEIKAKU" list
expect 2 "" "keikaku: KEIKAKU_AMBIGUOUS_WIDTH は 1 か 2 です ('wide' ではありません)
詳しくは 'keikaku --help' を実行してください" -- \
	env LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 KEIKAKU_AMBIGUOUS_WIDTH=wide "$KEIKAKU" list

finish
