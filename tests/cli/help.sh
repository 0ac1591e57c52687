#!/usr/bin/env bash
# `keikaku COMMAND -h`, made from each command's option table, for every command and
# subcommand: it prints a help and exits 0; its synopsis names only options the table has;
# the headings of docs/cli.md name only options the command takes, and docs/cli.md names
# every long option some command takes.  keikaku(1), keikakud(8) and the bash completion,
# written from the same tables at build time, are what `keikaku __generate` writes now,
# render without warnings and name every option -h lists, with the same synopses.
# `keikaku help [CMD [SUB]]` is -h, and a mistyped command or option is named with the
# nearest one.  The parser itself is tests/test_options.c.
. "$(dirname "$0")/lib.bash"

docs=$KK_SOURCE_DIR/docs/cli.md

# The options a help lists ("-m --message" from "  -m, --message REASON   why"), one a line.
listed() {
	sed -n 's/^  \(-[A-Za-z]\), \(--[-A-Za-z]*\).*/\1\n\2/p; s/^  \(--\?[-A-Za-z]*\) .*/\1/p; s/^  \(--\?[-A-Za-z]*\)$/\1/p'
}

# The options a synopsis or heading names, one a line.
named() {
	grep -oE '(^|[][ |`])--?[A-Za-z][-A-Za-z]*' | sed 's/^[][ |`]//' | sort -u
}

# The synopsis of a help: its lines up to the first empty one.
synopsis() {
	sed '/^$/q'
}

# The commands `keikaku -h` lists, and each one's subcommands (the word after the command's
# name in each form of its synopsis, when every form has one).
commands=$(kk -h | sed -n '/^commands:$/,/^$/s/^  \([a-z]*\) .*/\1/p')
check "keikaku -h lists the commands" test "$(wc -w <<<"$commands")" -ge 20
all=("")
for c in $commands; do
	forms=$(kk "$c" -h | synopsis | sed 's/^[a-z]*: *//; s/^ *//' | grep "^keikaku $c " || true)
	subs=$(sed -n "s/^keikaku $c \([a-z][a-z]*\)\( .*\)\?$/\1/p" <<<"$forms" | sort -u)
	all+=("$c")
	if [ -n "$subs" ] && [ "$(wc -l <<<"$subs")" -eq "$(grep -c . <<<"$forms")" ]; then
		for s in $subs; do
			all+=("$c $s")
		done
	fi
done
check "dept, year and schema have their subcommands" \
	test "$(printf '%s\n' "${all[@]}" | grep -c ' ')" = 8

# The options every help lists, and a problem for each option its synopsis names but does
# not list.
: >"$work/options"
for cmd in "${all[@]}"; do
	# shellcheck disable=SC2086
	expect 0 "*" "" -- kk $cmd -h
	# shellcheck disable=SC2086
	help=$(kk $cmd -h)
	check "'$cmd -h' starts with its synopsis" grep -q "^usage: keikaku ${cmd:+$cmd }" <<<"$help"
	listed <<<"$help" | sort -u >"$work/listed"
	cat "$work/listed" >>"$work/options"
	for o in $(synopsis <<<"$help" | named); do
		grep -qx -- "$o" "$work/listed" || fail "'$cmd -h': its synopsis names $o, which it does not list"
	done
	cp "$work/listed" "$work/listed-${cmd// /-}"
done

# check_docs FILE: a line for each option a heading of FILE names that its command does not
# take, and for each long option no line of FILE names.
check_docs() {
	local heading cmd sub o
	grep '^### `keikaku ' "$1" | sed 's/^### `//; s/`$//' | while read -r heading; do
		read -r _ cmd sub _ <<<"$heading"
		[ -e "$work/listed-$cmd-$sub" ] && cmd="$cmd-$sub"
		for o in $(named <<<"$heading"); do
			grep -qx -- "$o" "$work/listed-$cmd" || echo "'$heading' names $o"
		done
	done
	for o in $(grep -- '^--' "$work/options" | sort -u); do
		grep -qE -- "$o([^-A-Za-z]|\$)" "$1" || echo "$o is not in it"
	done
}
problems=$(check_docs "$docs")
check "docs/cli.md names what the commands take, and no more: $problems" test -z "$problems"

# The headings of docs/cli.md are the synopses -h prints, word for word ("--owner DEPT", not
# "--owner D"), each form its own heading; `keikaku help` is in the page's opening block.
# forms CMD...: the forms of the synopsis of `keikaku CMD -h`, one a line, run together.
forms() {
	kk "$@" -h | synopsis | awk '/^(usage: )? *keikaku / { if (f) print f; sub(/^(usage: )? */, ""); f = $0; next }
		/^ +/ { sub(/^ +/, " "); f = f $0 } END { if (f) print f }' | tr -s ' '
}
# has_subcommands CMD: whether "CMD SUB" is among the commands.  (A pipe into `grep -q`
# failed now and then under pipefail: grep may leave before printf is done, SIGPIPE.)
has_subcommands() {
	local a
	for a in "${all[@]}"; do
		[[ $a == "$1 "* ]] && return 0
	done
	return 1
}
for cmd in "${all[@]}"; do
	[ -n "$cmd" ] && has_subcommands "$cmd" && continue
	# shellcheck disable=SC2086
	[ -n "$cmd" ] && forms $cmd
done | grep -v '^keikaku help ' | sort >"$work/synopses"
grep '^### `keikaku ' "$docs" | sed 's/^### `//; s/`$//' | sort >"$work/headings"
check "docs/cli.md's headings are the synopses of -h: $(diff "$work/headings" "$work/synopses")" \
	cmp -s "$work/headings" "$work/synopses"
check "docs/cli.md has keikaku help" grep -qx 'keikaku help \[COMMAND \[SUBCOMMAND\]\]' "$docs"
sed 's/^### `keikaku list \[--owner DEPT\]/### `keikaku list [--owner D]/' "$docs" | grep '^### `keikaku ' |
	sed 's/^### `//; s/`$//' | sort >"$work/headings-drifted"
check "the check finds a heading that drifted" sh -c "! cmp -s '$work/headings-drifted' '$work/synopses'"

# keikaku -h names each subcommand of a command in its line (dept map and unmap too), in
# both languages for the English names.
for cmd in "${all[@]}"; do
	case $cmd in *" "*) ;; *) continue ;; esac
	read -r c s <<<"$cmd"
	kk -h | grep -q "^  $c  .*\b$s\b" || fail "keikaku -h: the line of '$c' does not name '$s'"
done
check "keikaku -h in Japanese: dept's line names the mapping" sh -c "LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 '$KEIKAKU' -h | grep -q '^  dept .*対応付け'"

# The check finds a heading that names an option the command does not take, and an option
# the page leaves out.
sed 's/^### `keikaku blame ID \[--at REV\]/& [--bogus]/; s/--exit-code/--exit-status/g' "$docs" >"$work/cli.md"
problems=$(check_docs "$work/cli.md")
check "a heading's unknown option found" grep -qx "'keikaku blame ID \[--at REV\] \[--bogus\] \[--json\]' names --bogus" <<<"$problems"
check "a missing option found" grep -qx -- "--exit-code is not in it" <<<"$problems"


not() {
	! "$@"
}

# The man pages and the completion the build wrote (cli/CMakeLists.txt) are what the
# tables give now.
gen=$(dirname "$KEIKAKU")
kk __generate man1 >"$work/keikaku.1"
check "keikaku.1 is up to date" cmp "$gen/keikaku.1" "$work/keikaku.1"
kk __generate bash >"$work/keikaku.bash"
check "the bash completion is up to date" cmp "$gen/keikaku.bash" "$work/keikaku.bash"
"$KEIKAKUD" --help >"$work/keikakud.help"
kk __generate man8 "$work/keikakud.help" >"$work/keikakud.8"
check "keikakud.8 is up to date" cmp "$gen/keikakud.8" "$work/keikakud.8"
for page in keikaku.1 keikakud.8; do
	warnings=$(groff -man -Tutf8 -ww -z "$gen/$page" 2>&1)
	check "$page: groff warns of nothing: $warnings" test -z "$warnings"
	MANWIDTH=80 man -l "$gen/$page" >"$work/$page.txt" 2>"$work/$page.err"
	check "$page: man -l renders it" grep -q '^NAME' "$work/$page.txt"
	check "$page: man -l says nothing on stderr: $(cat "$work/$page.err")" test ! -s "$work/$page.err"
done
for section in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS "EXIT STATUS" ENVIRONMENT FILES \
	"SEE ALSO"; do
	check "keikaku(1) has $section" grep -qx "$section" "$work/keikaku.1.txt"
done
for o in $(sed -n 's/^  \(-[a-z]\), \(--[-a-z]*\).*/\1 \2/p; s/^  \(--[-a-z]*\).*/\1/p' "$work/keikakud.help"); do
	grep -qE -- "^ *(-[a-z], )?$o( |,|\$)" "$work/keikakud.8.txt" || fail "keikakud(8) lacks $o"
done
check "keikakud(8) lists --repo and --verbose" grep -q -- '--verbose' "$work/keikakud.8.txt"

# man_section PAGE CMD: the roff of the subsection of keikaku(1) PAGE on CMD ("": keikaku's
# own options), in plain text.
man_section() {
	if [ -z "$2" ]; then
		sed -n '/^\.SH OPTIONS$/,/^\.SH COMMANDS$/p' "$1"
	else
		awk -v h=".SS \"keikaku $2\"" '$0 == h {p = 1; next} p && /^\.S[SH] / {exit} p' "$1"
	fi | sed 's/\\-/-/g; s/\\f[BIR]//g'
}
: >"$work/drift"
for cmd in "${all[@]}"; do
	# A command with subcommands has its options in theirs.
	has_subcommands "$cmd" && continue
	section=$(man_section "$gen/keikaku.1" "$cmd")
	# shellcheck disable=SC2016
	opts=$(bash -c '. "$1"; _keikaku_options "$2"' _ "$gen/keikaku.bash" "$cmd")
	while read -r o; do
		grep -qE -- "(^|[ ,])$o( |,|\$)" <<<"$section" || echo "keikaku(1) '$cmd' lacks $o"
		grep -qE -- "(^| )$o=?( |\$)" <<<"$opts" || echo "the completion of '$cmd' lacks $o"
	done <"$work/listed-${cmd// /-}" >>"$work/drift"
	[ -z "$cmd" ] && continue
	# The synopsis, its lines run together.
	# shellcheck disable=SC2086
	from_help=$(kk $cmd -h | synopsis | sed 's/^usage: //' | tr -s ' \n' '  ')
	from_man=$(awk '/^\.fi$/ {exit} p; /^\.nf$/ {p = 1}' <<<"$section" | tr -s ' \n' '  ')
	[ "$from_help" = "$from_man" ] || echo "keikaku(1) '$cmd': '$from_man', -h '$from_help'" >>"$work/drift"
done
check "keikaku(1) and the completion say what -h says: $(cat "$work/drift")" test ! -s "$work/drift"
grep -v 'exit\\-code' "$gen/keikaku.1" >"$work/stale.1"
check "the check finds an option missing from the man page" \
	not grep -q -- --exit-code <<<"$(man_section "$work/stale.1" diff)"
check "the check finds it in the man page" grep -q -- --exit-code <<<"$(man_section "$gen/keikaku.1" diff)"

# keikaku help [CMD [SUB]] is -h.
check "'keikaku help' is 'keikaku -h'" cmp <(kk help) <(kk -h)
check "'keikaku help list' is 'keikaku list -h'" cmp <(kk help list) <(kk list -h)
check "'keikaku help dept map' is 'keikaku dept map -h'" cmp <(kk help dept map) <(kk dept map -h)

# A mistyped command, subcommand or option is named with the nearest one, in both languages.
ja() {
	LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 "$KEIKAKU" "$@"
}
expect 2 "" "keikaku: 'updte' is not a keikaku command (did you mean 'update'?)
try 'keikaku --help'" -- kk updte
expect 2 "" "keikaku: 「updte」は keikaku のコマンドではありません (「update」のことですか?)
詳しくは 'keikaku --help' を実行してください" -- ja updte
expect 2 "" "keikaku: 'frobnicate' is not a keikaku command
try 'keikaku --help'" -- kk frobnicate
expect 2 "" "keikaku: unknown option '--jsn' (did you mean '--json'?)
try 'keikaku list --help'" -- kk list --jsn
expect 2 "" "keikaku: 「--dry-rn」は不明なオプションです (「--dry-run」のことですか?)
詳しくは 'keikaku update --help' を実行してください" -- ja update 3 --dry-rn
expect 2 "" "keikaku: unknown option '--zzz'
try 'keikaku list --help'" -- kk list --zzz
expect 2 "" "keikaku: 'unmpa' is not a dept command (did you mean 'unmap'?)
try 'keikaku help --help'" -- kk help dept unmpa
expect 2 "" "keikaku: 'updte' is not a keikaku command (did you mean 'update'?)
try 'keikaku --help'" -- kk help updte
# Short typos are weighed as git weighs them (a letter left out costs little, two swapped
# nothing), and a subcommand of dept, year or schema is named as a command is.
for typo in lg:log lgo:log shw:show dif:diff stauts:status; do
	expect 2 "" "keikaku: '${typo%:*}' is not a keikaku command (did you mean '${typo#*:}'?)
try 'keikaku --help'" -- kk "${typo%:*}"
done
expect 2 "" "keikaku: 「lg」は keikaku のコマンドではありません (「log」のことですか?)
詳しくは 'keikaku --help' を実行してください" -- ja lg
for typo in "dept mpa map" "dept lst list" "year clos close" "schema valdiate validate"; do
	read -r cmd sub meant <<<"$typo"
	expect 2 "" "keikaku: '$sub' is not a $cmd command (did you mean '$meant'?)
try 'keikaku $cmd --help'" -- kk "$cmd" "$sub"
done
expect 2 "" "keikaku: 「mpa」は dept のコマンドではありません (「map」のことですか?)
詳しくは 'keikaku dept --help' を実行してください" -- ja dept mpa
expect 2 "" "keikaku: 「--jsno」は不明なオプションです (「--json」のことですか?)
詳しくは 'keikaku list --help' を実行してください" -- ja list --jsno
# Too far from every name, or as near to two: no guess.
expect 2 "" "keikaku: 'x' is not a keikaku command
try 'keikaku --help'" -- kk x
expect 2 "" "keikaku: 'd' is not a keikaku command
try 'keikaku --help'" -- kk d
expect 2 "" "keikaku: 'frob' is not a dept command (list, add, remove, map, unmap)
try 'keikaku dept --help'" -- kk dept frob

finish
