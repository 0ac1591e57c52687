#!/usr/bin/env bash
# `cmake --install` of the build under test, into a staging directory (DESTDIR): the
# binaries, keikaku(1) and keikakud(8) where man finds them, rendering; the bash completion
# where bash-completion loads it by the command's name, completing; the Japanese catalogue.
. "$(dirname "$0")/lib.bash"

build=$(dirname "$(dirname "$KEIKAKU")")
check "the build under test is a CMake build ($build)" test -f "$build/CMakeCache.txt"
stage=$work/stage
DESTDIR=$stage cmake --install "$build" --prefix /usr >"$work/install.log" 2>&1 ||
	fail "cmake --install: $(cat "$work/install.log")"

for f in bin/keikaku bin/keikakud share/man/man1/keikaku.1 share/man/man8/keikakud.8 \
	share/bash-completion/completions/keikaku share/locale/ja/LC_MESSAGES/keikaku.mo; do
	check "installed: /usr/$f" test -s "$stage/usr/$f"
done

# man finds the pages by name in the installed tree, and renders them without a word on stderr.
for page in "1 keikaku" "8 keikakud"; do
	read -r section name <<<"$page"
	MANWIDTH=80 MANPATH=$stage/usr/share/man man "$section" "$name" >"$work/$name.txt" 2>"$work/$name.err"
	check "man $section $name: its NAME" grep -q "^NAME" "$work/$name.txt"
	check "man $section $name: its synopsis" grep -q "^ *$name " "$work/$name.txt"
	check "man $section $name: nothing on stderr: $(cat "$work/$name.err")" test ! -s "$work/$name.err"
	MANWIDTH=80 man -l "$stage/usr/share/man/man$section/$name.$section" >/dev/null 2>"$work/$name.err"
	check "man -l $name.$section: nothing on stderr" test ! -s "$work/$name.err"
done

# The installed completion, sourced as bash-completion sources it (by the command's name),
# is registered for keikaku (complete -p) and completes a subcommand and a fiscal year.
repo=$(example_repo)
completion=$stage/usr/share/bash-completion/completions/keikaku
got=$(cd "$repo" && PATH=$stage/usr/bin:$PATH bash -c '
	. "$1"
	complete -p keikaku
	COMP_WORDS=(keikaku dept m); COMP_CWORD=2; _keikaku; echo "${COMPREPLY[*]}"
	COMP_WORDS=(keikaku list --fy R); COMP_CWORD=3; _keikaku; echo "${COMPREPLY[*]}"' _ "$completion")
check "installed completion: $got" test "$got" = "complete -F _keikaku keikaku
map
R2 R3 R4"
finish
