#!/usr/bin/env bash
# keikakud under load and through its life: 8 concurrent clients x 200 updates
# give exactly 1,600 commits; SIGTERM finishes the work in flight; one daemon
# per repository; leftovers of a crash are cleaned up.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/daemon.bash"
setup_users
make_repo
start_daemon
count0=$(git -C "$repo" rev-list --count main)

pids=()
i=0
for spec in kkt_hisho:22 kkt_hisho:23 kkt_hisho:24 kkt_hisho:25 kkt_dx:26 kkt_dx:27 kkt_dx:31 kkt_dx:34; do
	user=${spec%%:*}
	item=${spec##*:}
	as "$user" /usr/bin/python3 "$rpc_py" "$sock" --updates 200 --item "$item" --tag "c$i" \
		>"$work/client.$i.out" 2>&1 &
	pids+=($!)
	i=$((i + 1))
done
acked=0
for j in "${!pids[@]}"; do
	if wait "${pids[$j]}"; then
		n=$(awk '{print $1}' "$work/client.$j.out")
		acked=$((acked + n))
	else
		fail "client $j: $(cat "$work/client.$j.out")"
	fi
done
check "1600 acknowledged ($acked)" test "$acked" = 1600
check "exactly 1600 new commits" test "$(git -C "$repo" rev-list --count main)" = $((count0 + 1600))
check "fsck --strict" fsck_repo
check "every commit verifies" kk -C "$repo" verify --all-history
check "each client's last value" test "$(git -C "$repo" show main:items/0031.json | grep -c '"result": "c6 199"')" = 1
check "authors" test "$(git -C "$repo" log --format=%an "main~1600..main" | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')" = "800 800 "

# One daemon per repository.
expect 1 "" "keikakud: another keikakud (pid $daemon_pid) is serving '$(realpath "$repo")'" \
	-- "$KEIKAKUD" --repo "$repo" --socket "$work/other.sock"
check "the second daemon left the socket alone" test ! -e "$work/other.sock"

# signal_stream SIGNAL ITEM TAG: a client streams updates of ITEM's 2021 result ("TAG 0",
# "TAG 1", ...) and, once they flow, the daemon gets SIGNAL.  Sets $code (the daemon's exit
# status), $client_code, $stored (the commits made meanwhile) and $last (the item's result
# at the head); the client's output is in $work/TAG.out.
result_of() {
	git -C "$repo" show "main:items/$(printf %04d "$1").json" |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["years"]["2021"]["result"])'
}
signal_stream() {
	local before client
	before=$(git -C "$repo" rev-list --count main)
	as kkt_dx /usr/bin/python3 "$rpc_py" "$sock" --updates 100000 --item "$2" --tag "$3" \
		>"$work/$3.out" 2>&1 &
	client=$!
	# However busy the machine is.
	for _ in $(seq 1 200); do
		[ "$(git -C "$repo" rev-list --count main)" -gt $((before + 10)) ] && break
		sleep 0.05
	done
	kill -"$1" "$daemon_pid"
	code=0
	wait "$daemon_pid" 2>/dev/null || code=$?
	daemon_pid=
	client_code=0
	wait "$client" || client_code=$?
	stored=$(($(git -C "$repo" rev-list --count main) - before))
	last=$(result_of "$2")
}

# SIGTERM in the middle of a stream of updates: whatever was acknowledged is stored.
signal_stream TERM 32 term
check "daemon exits 0 on SIGTERM ($code)" test "$code" = 0
check "some updates went through ($stored)" test "$stored" -gt 0
check "the last stored is the last acknowledged or one after ($last, $stored)" test "$last" = "term $((stored - 1))"
check "fsck after SIGTERM" git -C "$repo" fsck --strict --no-progress
check "stopping logged" grep -q "finishing the work in flight" "$daemon_log"

# SIGINT (^C in a terminal) stops it the same way.
start_daemon
signal_stream INT 33 int
check "daemon exits 0 on SIGINT ($code)" test "$code" = 0
check "SIGINT: the last stored is the last acknowledged or one after ($last, $stored)" \
	test "$stored" -gt 0 -a "$last" = "int $((stored - 1))"
check "SIGINT logged" grep -q "received Interrupt: finishing the work in flight" "$daemon_log"

# kill -9 in the middle of a stream of updates: after a restart every acknowledged update
# is there (and at most the one being answered beyond it), and the repository is sound.
start_daemon
signal_stream KILL 31 kill
check "kill -9: the client saw the daemon go ($client_code: $(cat "$work/kill.out"))" test "$client_code" = 3
acked=$(sed -n 's/^\([0-9]*\) acknowledged.*/\1/p' "$work/kill.out")
last_commit=$(sed -n 's/.*; last \([0-9a-f]*\)$/\1/p' "$work/kill.out")
start_daemon
check "kill -9: some updates acknowledged ($acked)" test "${acked:-0}" -gt 0
check "kill -9: the last acknowledged commit is on the branch" \
	git -C "$repo" merge-base --is-ancestor "$last_commit" main
check "kill -9: every acknowledged update stored ($last after $acked)" \
	test "$last" = "kill $((acked - 1))" -o "$last" = "kill $acked"
check "kill -9: fsck" fsck_repo
r=$(call kkt_dx item.update "{\"id\": 31, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2021\": {\"result\": \"after kill\"}}}}")
check "kill -9: commits go on" test "$(jget "$r" 'j["commit"]')" = "$(head_of)"
stop_daemon

# A crash's leftovers: stale ref lock and temporary pack are removed at start.
echo junk >"$repo/refs/heads/main.lock"
echo junk >"$repo/objects/pack/tmp_pack_XXXX"
start_daemon
check "stale lock removed" test ! -e "$repo/refs/heads/main.lock"
check "stale temp removed" test ! -e "$repo/objects/pack/tmp_pack_XXXX"
check "removal logged" grep -q "removed stale '.*main.lock'" "$daemon_log"
r=$(call kkt_dx item.update "{\"id\": 32, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2021\": {\"result\": \"after crash\"}}}}")
check "commits work after cleanup" test "$(jget "$r" 'j["commit"]')" = "$(head_of)"

# A batch that cannot be stored is refused as such (-32008), nothing half-written, and the
# daemon stores again once the repository can be written.
before=$(repo_state)
# An immutable pack directory: reads go on, no pack can be created (root included).
chattr +i "$repo/objects/pack"
r=$(call kkt_dx item.update "{\"id\": 32, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2021\": {\"result\": \"unstorable\"}}}}") || true
check "write failure: -32008" test "$(jget "$r" 'j["error"]["code"]')" = -32008
# Writes queued at once go to several batches, each decided on top of one that is not
# stored (or after it is known to have failed): every one is refused the same way.
counts=$(/usr/bin/python3 "$rpc_py" "$sock" --burst)
check "queued writes that cannot be stored: all -32008 ($counts)" test "$counts" = "-32008=140"
chattr -i "$repo/objects/pack"
check "nothing half-written" test "$(repo_state)" = "$before"
r=$(call kkt_dx item.update "{\"id\": 32, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2021\": {\"result\": \"stored again\"}}}}")
check "stores again afterwards" test "$(jget "$r" 'j["commit"]')" = "$(head_of)"
check "fsck after the failure" fsck_repo

# Someone moves the branch behind keikakud's back: the ref's compare-and-swap refuses
# the batch decided on the old head, their commit stays, and keikakud goes on from it.
head0=$(head_of)
outside=$(git -C "$repo" -c user.name=Outside -c user.email=outside@keikaku.test \
	commit-tree -p "$head0" -m "made with git" "$head0^{tree}")
git -C "$repo" update-ref refs/heads/main "$outside" "$head0"
r=$(call kkt_dx item.update "{\"id\": 32, \"base\": \"$head0\", \"patch\": {\"years\": {\"2021\": {\"result\": \"on the old head\"}}}}") || true
check "moved branch: -32008" test "$(jget "$r" 'j["error"]["code"]')" = -32008
check "moved branch: their commit stays" test "$(head_of)" = "$outside"
r=$(call kkt_dx item.update "{\"id\": 32, \"base\": \"$head0\", \"patch\": {\"years\": {\"2021\": {\"result\": \"on the new head\"}}}}")
check "moved branch: the next update lands" test "$(jget "$r" 'j["commit"]')" = "$(head_of)"
check "moved branch: on top of their commit" test "$(git -C "$repo" rev-parse main~1)" = "$outside"
check "moved branch: fsck" fsck_repo

# SIGTERM with writes queued: every one read before the signal is decided, stored and
# answered before the daemon exits 0; a request read after the signal is answered -32007,
# also on an idle connection, which stays open until the writes are done.
before=$(git -C "$repo" rev-list --count main)
/usr/bin/python3 "$rpc_py" "$sock" --stop-during "$daemon_pid" >"$work/stop.out" 2>&1 || true
code=0
wait "$daemon_pid" || code=$?
daemon_pid=
check "daemon exits 0 with writes queued ($code)" test "$code" = 0
check "a request during the stop: -32007 ($(tail -n 1 "$work/stop.out"))" \
	test "$(tail -n 1 "$work/stop.out")" = "whoami=-32007"
counts=$(head -n 1 "$work/stop.out")
ok=$(echo "$counts" | tr ' ' '\n' | sed -n 's/^ok=//p')
check "queued writes stored ($counts)" test "${ok:-0}" -gt 0
check "each answer a commit or -32007 ($counts)" \
	test -z "$(echo "$counts" | tr ' ' '\n' | grep -v -e '^ok=' -e '^-32007=')"
check "as many commits as acknowledged ($counts)" \
	test "$(( $(git -C "$repo" rev-list --count main) - before ))" = "$ok"
check "fsck after the stop" git -C "$repo" fsck --strict --no-progress
check "no journald priorities off the journal" grep -q '^keikakud: listening on' "$daemon_log"
finish
