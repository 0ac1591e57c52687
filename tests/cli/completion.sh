#!/usr/bin/env bash
# The bash completion the build wrote from keikaku's option tables (cli/completion.c):
# sourced into bash, it completes commands, subcommands, options and their values, the item
# ids, departments and fiscal years of the plan at hand among them, and quietly nothing of
# those where there is no plan.
. "$(dirname "$0")/lib.bash"
repo=$(example_repo)
script=$(dirname "$KEIKAKU")/keikaku.bash
mkdir "$work/bin"
ln -s "$KEIKAKU" "$work/bin/keikaku"

# completes DIR WORD...: what completing the last WORD offers, run in DIR, one line.
completes() {
	local dir=$1
	shift
	(cd "$dir" && PATH=$work/bin:$PATH bash -c '
		. "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_keikaku
		echo "${COMPREPLY[*]}"' _ "$script" "$@")
}

# offers DIR EXPECTED WORD...
offers() {
	local dir=$1 want=$2 got
	shift 2
	got=$(completes "$dir" "$@")
	if [ "$got" = "$want" ]; then
		ok
	else
		fail "completing '$*': '$got', expected '$want'"
	fi
}

check "complete -p keikaku" bash -c '. "$1"; complete -p keikaku | grep -qx "complete -F _keikaku keikaku"' _ "$script"
clone=$(clone_of "$repo")
offers "$clone" "update" keikaku upd
offers "$clone" "diff dept" keikaku d
offers "$clone" "list add remove map unmap" keikaku dept ''
offers "$clone" "open close" keikaku year ''
offers "$clone" "--owner= --status= --fy= --progress= --at= --json --help" keikaku list --
offers "$clone" "-m --message= --dry-run -h --help" keikaku edit 3 -
offers "$clone" "--ambiguous-width=" keikaku --amb
offers "$clone" "1 2" keikaku --ambiguous-width ''
offers "$clone" "2020 2020年度 FY2020 fy2020 R2 r2 令和2年度 2021 2021年度 FY2021 fy2021 R3 r3 令和3年度 2022 2022年度 FY2022 fy2022 R4 r4 令和4年度" \
	keikaku list --fy ''
offers "$clone" "2021年度" keikaku log --fy 2021年
offers "$clone" "R2 R3 R4" keikaku pending --fy R
offers "$clone" "r2 r3 r4" keikaku pending --fy r
offers "$clone" "fy2020 fy2021 fy2022" keikaku diff --fy fy
offers "$clone" "令和2年度 令和3年度 令和4年度" keikaku report --fy = 令
offers "$clone" "FY2021" keikaku year close FY2021
offers "$clone" "◎ ○ ▲ ahead on_track behind" keikaku update 3 --fy R3 --progress ''
offers "$clone" "open completed withdrawn — 導入完了 取り下げ" keikaku update 3 --status ''
offers "$clone" "tsv csv md html xlsx json" keikaku report --format ''
offers "$clone" "utf-8 cp932" keikaku report --encoding ''
offers "$clone" "収税課" keikaku list --owner 収
offers "$clone" "収税課" keikaku log --dept=収
offers "$clone" "3 30 31 32 33 34 35" keikaku show 3
offers "$clone" "3 30 31 32 33 34 35" keikaku log --item 3
offers "$clone" "収税課" keikaku dept map 収
offers "$clone" "" keikaku dept add 収
offers "$clone" "diff dept" keikaku help d
offers "$clone" "$(seq -s " " 1 35)" keikaku show ''
# Read through -C as the command line has it, from anywhere.
offers "$work" "収税課" keikaku -C "$clone" list --owner 収
offers "$work" "3 30 31 32 33 34 35" keikaku -C "$repo" blame 3
# No plan and no keikakud: nothing, and nothing on the terminal.
err=$(completes "$work" keikaku --socket "$work/none.sock" show '' 2>&1)
check "no plan: nothing offered, nothing said: '$err'" test -z "$err"
err=$(completes "$work" keikaku list --fy '' 2>&1)
check "no plan, no years: nothing offered, nothing said: '$err'" test -z "$err"

finish
