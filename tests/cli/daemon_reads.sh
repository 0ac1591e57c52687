#!/usr/bin/env bash
# Staff read the plan through keikakud: a member of a department who cannot
# read the repository (it belongs to the daemon's user, mode 0700) gets from
# every read command the same bytes and exit code as the repository's owner
# gets on the repository itself, text and --json, errors included.  And an
# auditor with a clone and no keikakud reads the departments from the clone.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/daemon.bash"
setup_users
make_repo
start_daemon

# Some history: a result with a reason, a revised schedule, a progress mark.
call kkt_hisho item.update "{\"base\": \"$(head_of)\", \"id\": 25, \"patch\": {\"years\": {\"2021\": {\"progress\": \"on_track\", \"result\": \"・規程案を作成した\"}}}, \"reason\": \"規程案の作成\"}" >/dev/null
sleep 1
call kkt_dx item.update "{\"base\": \"$(head_of)\", \"id\": 9, \"patch\": {\"years\": {\"2021\": {\"revised\": \"運用開始\"}}}, \"reason\": \"前倒し\"}" >/dev/null
since=$(git -C "$repo" rev-parse main~1)
first=$(git -C "$repo" rev-list --max-parents=0 main)

chmod 0700 "$repo"
check "staff cannot read the repository" test "$(as kkt_hisho sh -c "test -r '$repo/HEAD' && echo yes || echo no")" = no

# A directory kkt_hisho owns, for output files, and a git repository of
# something else (a project of theirs): neither is the plan.
mine=$work/hisho
mkdir -p "$mine/project"
git -C "$mine/project" init -q
git -C "$mine/project" -c user.name=x -c user.email=x@x commit -q --allow-empty -m "not a plan"
chown -R kkt_hisho "$mine"

# same ARGS...: `keikaku ARGS` as kkt_hisho through keikakud ($KEIKAKU_SOCKET,
# from /) and as root on the repository: exit codes, stdout and stderr must
# be byte for byte the same.  Leaves stdout in $work/out.
same() {
	local d_code=0 r_code=0
	(cd / && KEIKAKU_SOCKET=$sock as kkt_hisho "$KEIKAKU" "$@") >"$work/d.out" 2>"$work/d.err" || d_code=$?
	kk -C "$repo" "$@" >"$work/out" 2>"$work/r.err" || r_code=$?
	if [ "$d_code" != "$r_code" ] || ! cmp -s "$work/d.out" "$work/out" || ! cmp -s "$work/d.err" "$work/r.err"; then
		fail "keikaku $*: through keikakud (exit $d_code) and on the repository (exit $r_code) differ:"$'\n'"$(diff "$work/d.out" "$work/out" | head -20)"$'\n'"$(diff "$work/d.err" "$work/r.err" | head -10)"
	else
		ok
	fi
}

same show 25
check "show 25 names the result" grep -q "規程案を作成した" "$work/out"
same show 25 --json
check "show --json is the stored file" cmp "$work/out" <(git -C "$repo" show main:items/0025.json)
same show 25 --at "$first"
check "show --at: the item as it was" sh -c "! grep -q 規程案を作成した '$work/out'"
same show 25 --at @2000-01-01
same show 25 --at @2000-13-01
same show 25 --at nope
same show 999
same list
check "list has every item" test "$(wc -l <"$work/out")" -gt 30
same list --json
same list --owner 秘書課 --fy R3 --progress ○
check "list --progress finds item 25" grep -q "^  25 " "$work/out"
same list --owner 秘書科
same list --at "$first" --status open
same report --fy 2021 --format md
check "the md report has item 25's result" grep -q "規程案を作成した" "$work/out"
for f in tsv csv html json; do
	same report --fy R3 --format "$f"
done
same report --fy R3 --format html --changes-since "$since"
check "changed cells are marked" grep -q "changed" "$work/out"
same report --fy R3 --json --changes-since "$since"
same report --fy 1999
same dept list
check "dept list names 秘書課's user" grep -q "^秘書課.*kkt_hisho" "$work/out"
same dept list --json
same diff
same diff "$first" main --item 25
same schedule --fy 2021 --changed
same verify
check "verify: no problems" grep -q "^no problems in 42 files at " "$work/out"
same verify --json
same verify --all-history
same verify --all-history --json
check "verify --json counts the commits" test "$(jget "$(cat "$work/out")" 'j["commits"]')" = 3

# The reads keep the history and the versions they parsed between queries: after a
# write, the next answer is the new head's, not the one kept (test_reads checks
# the same without timing: a store older than 10 s starts with an empty memo).
same log --item 25
same blame 25
call kkt_hisho item.update "{\"base\": \"$(head_of)\", \"id\": 25, \"patch\": {\"years\": {\"2021\": {\"result\": \"・規程を制定した\"}}}, \"reason\": \"規程の制定\"}" >/dev/null
same log --item 25
check "log through keikakud after a write: the write" grep -q "規程を制定した" "$work/d.out"
same blame 25
check "blame through keikakud after a write: the write" grep -q "規程の制定" "$work/d.out"

# plan.files itself: a path that does not exist is left out; one that is no
# relative path of the plan is a bad parameter.
r=$(call kkt_hisho plan.files '{"paths": ["keikaku.json", "items/0999.json"]}')
check "plan.files: the missing path left out" test "$(jget "$r" 'sorted(j["files"])')" = '["keikaku.json"]'
for bad in '"../x"' '"/etc/passwd"' '".git/config"' '""' '42'; do
	r=$(call kkt_hisho plan.files "{\"paths\": [$bad]}") || true
	check "plan.files: path $bad refused" test "$(jget "$r" 'j["error"]["code"]')" = -32602
done

# The workbook, written by the client into the user's own directory.
as kkt_hisho env KEIKAKU_SOCKET="$sock" "$KEIKAKU" report --fy 2021 --format xlsx --output "$mine/r3.xlsx"
kk -C "$repo" report --fy 2021 --format xlsx --output "$work/r3.xlsx"
check "xlsx: the same workbook" cmp "$mine/r3.xlsx" "$work/r3.xlsx"
check "xlsx: the user owns it" test "$(stat -c %U "$mine/r3.xlsx")" = kkt_hisho

# In a git repository that is not a plan, and with --socket, reads go to keikakud.
check "from a project of one's own" cmp <(cd "$mine/project" && KEIKAKU_SOCKET=$sock as kkt_hisho "$KEIKAKU" show 25) <(kk -C "$repo" show 25)
check "with --socket" cmp <(cd "$mine/project" && as kkt_hisho "$KEIKAKU" --socket "$sock" list --json) <(kk -C "$repo" list --json)
# -C names a repository: no keikakud then.
expect 3 "" "*" -- as kkt_hisho "$KEIKAKU" --socket "$sock" -C "$mine/project" show 25

# An auditor with a clone and no keikakud: dept list and the rest from the clone.
auditor=$work/auditor
mkdir -p "$auditor"
git clone -q "$repo" "$auditor/plan"
chown -R kkt_guest "$auditor"
kk -C "$repo" dept list >"$work/owner.dept"
check "dept list from a clone" cmp <(cd "$auditor/plan" && KEIKAKU_SOCKET=$work/none.sock as kkt_guest env HOME="$auditor" "$KEIKAKU" dept list) "$work/owner.dept"
check "dept list -C clone" cmp <(KEIKAKU_SOCKET=$work/none.sock as kkt_guest env HOME="$auditor" "$KEIKAKU" -C "$auditor/plan" dept list --json) <(kk -C "$repo" dept list --json)
# Without a clone and without keikakud, the answer says so.
nowhere() {
	(cd / && KEIKAKU_SOCKET=$work/none.sock as kkt_guest "$KEIKAKU" "$@")
}
expect 3 "" "keikaku: cannot reach keikakud at '$work/none.sock': No such file or directory" -- nowhere dept list

stop_daemon
finish
