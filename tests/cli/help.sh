#!/usr/bin/env bash
# `keikaku COMMAND -h`, made from each command's option table, for every command and
# subcommand: it prints a help and exits 0; its synopsis names only options the table has;
# the headings of docs/cli.md name only options the command takes, and docs/cli.md names
# every long option some command takes.  The parser itself is tests/test_options.c.
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

# The check finds a heading that names an option the command does not take, and an option
# the page leaves out.
sed 's/^### `keikaku blame ID \[--at REV\]/& [--bogus]/; s/--exit-code/--exit-status/g' "$docs" >"$work/cli.md"
problems=$(check_docs "$work/cli.md")
check "a heading's unknown option found" grep -qx "'keikaku blame ID \[--at REV\] \[--bogus\] \[--json\]' names --bogus" <<<"$problems"
check "a missing option found" grep -qx -- "--exit-code is not in it" <<<"$problems"

finish
