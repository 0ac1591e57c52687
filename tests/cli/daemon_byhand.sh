#!/usr/bin/env bash
# keikakud started by hand, without systemd, as docs/deploy.md's "Running by
# hand" says: as an unprivileged user that owns the repository, on a socket in
# a directory of that user's, with the unit's umask, limits and privileges set
# by umask, prlimit and setpriv.  Its HOME's git configuration, unreadable, does
# not matter; its log is plain text off the journal; each start-up failure
# says why.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/daemon.bash"
setup_users

# The daemon's user stands for deploy.md's keikaku: staff share its group.
# Its HOME is a directory it cannot enter, as root's is when HOME is left over
# from root, and the .gitconfig in it is unreadable besides.
roothome=$work/roothome
install -d -m 0700 "$roothome"
printf '[user]\n\tname = root\n' >"$roothome/.gitconfig"
chmod 000 "$roothome/.gitconfig"
userdel kkt_daemon 2>/dev/null || true
useradd --system -M -N -g kkt_staff -d "$work/home" -s /usr/sbin/nologin kkt_daemon
install -d -o kkt_daemon -g kkt_staff -m 0750 "$work/home"
make_repo
chown -R kkt_daemon:kkt_staff "$repo"
# Stock git, run here as root, checks the daemon user's repository too.
git config --global --add safe.directory "$repo"

# The socket's directory, as deploy.md makes /run/keikaku.
rundir=$work/run
install -d -o kkt_daemon -g kkt_staff -m 0750 "$rundir"
bysock=$rundir/keikakud.sock
bylog=$work/byhand.log

# The unit's LimitNOFILE=, or what a container's hard limit allows, as deploy.md says.
nofile=65536
prlimit --nofile=$nofile -- true 2>/dev/null || nofile=$(ulimit -Hn)

# byhand HOME [OPTION...]: keikakud as deploy.md starts it, in the background;
# $! is keikakud itself (prlimit, setpriv and env exec it).
byhand() {
	local home=$1
	shift
	(umask 0077 && exec prlimit --nofile="$nofile" -- \
		setpriv --reuid=kkt_daemon --regid=kkt_staff --init-groups \
		--no-new-privs --bounding-set=-all --inh-caps=-all -- \
		env -i HOME="$home" PATH=/usr/bin:/bin LANG=C.UTF-8 \
		"$KEIKAKUD" --repo "$repo" --email-domain keikaku.test "$@") 2>>"$bylog" &
}
wait_socket() {
	for _ in $(seq 1 100); do
		[ -S "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
stop_byhand() {
	local code=0
	kill -TERM "$1"
	wait "$1" || code=$?
	return $code
}

# Started with the daemon user's own HOME (the docs' steps).
touch "$work/started"
byhand "$work/home" --socket "$bysock"
pid=$!
other_daemons+=("$pid")
if wait_socket "$bysock"; then ok; else fail "starts by hand: $(cat "$bylog")"; fi
check "socket: group and mode" test "$(stat -c '%U:%G %a' "$bysock")" = "kkt_daemon:kkt_staff 660"
check "no new privileges" grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$pid/status"
check "no capabilities" grep -q '^CapBnd:[[:space:]]*0*$' "/proc/$pid/status"
check "open files limit" grep -q "^Max open files *$nofile *$nofile " "/proc/$pid/limits"

# Staff reach it through $KEIKAKU_SOCKET or --socket, from a directory of their own.
r=$(cd / && as kkt_hisho env KEIKAKU_SOCKET="$bysock" "$KEIKAKU" whoami 2>&1) || true
check "whoami through \$KEIKAKU_SOCKET ($r)" grep -q '^departments  秘書課$' <<<"$r"
before=$(head_of)
expect 0 "*" "" -- as kkt_hisho "$KEIKAKU" --socket "$bysock" update 25 --fy R3 --progress ○ -m "規程案を作成した"
check "update committed" test "$(git -C "$repo" rev-parse main~1)" = "$before"
check "update's author" test "$(git -C "$repo" log -1 --format=%ae)" = kkt_hisho@keikaku.test
check "update's files are the daemon's" test -z "$(find "$repo" ! -user kkt_daemon)"
check "the umask reaches the daemon" test "$(stat -c %a "$repo/keikakud.pid")" = 600
code=0
stop_byhand "$pid" || code=$?
check "stops cleanly ($code)" test "$code" = 0
check "socket removed" test ! -e "$bysock"

# Off the journal, the log is plain lines, without journald's priorities.
check "plain log: listening" grep -q "^keikakud: listening on '$bysock'" "$bylog"
check "plain log: stopped" grep -q '^keikakud: stopped$' "$bylog"
check "plain log: no priorities" test -z "$(grep '^<[0-9]>' "$bylog")"

# Started with HOME left over from root: it serves all the same.
byhand "$roothome" --socket "$bysock"
pid=$!
other_daemons+=("$pid")
if wait_socket "$bysock"; then ok; else fail "starts with root's HOME: $(cat "$bylog")"; fi
r=$(cd / && as kkt_kominkan "$KEIKAKU" --socket "$bysock" whoami 2>&1) || true
check "whoami with root's HOME ($r)" grep -q '^departments  公民館ほか$' <<<"$r"
before=$(head_of)
expect 0 "*" "" -- as kkt_hisho "$KEIKAKU" --socket "$bysock" update 25 --fy R3 --result "規程を整備した" -m "規程を整備した"
check "update with root's HOME" test "$(git -C "$repo" rev-parse main~1)" = "$before"
code=0
stop_byhand "$pid" || code=$?
check "stops cleanly with root's HOME ($code)" test "$code" = 0
check "no git configuration error" test -z "$(grep -i 'gitconfig\|cannot' "$bylog")"

# In the journal, each line starts with its priority.  JOURNAL_STREAM names the
# stream; inherited by a process whose stderr is elsewhere, it is ignored.
journal=$work/journal
: >"$journal"
code=0
JOURNAL_STREAM=$(stat -c '%d:%i' "$journal") "$KEIKAKUD" --repo "$work/none" 2>>"$journal" || code=$?
check "journal: fails ($code)" test "$code" = 1
check "journal: priority" grep -q "^<3>cannot start: there is no repository at '$work/none'" "$journal"
expect 1 "" "keikakud: cannot start: there is no repository at '$work/none': create it with 'keikaku init $work/none', or give --repo the plan repository's path" \
	-- env JOURNAL_STREAM="$(stat -c '%d:%i' "$journal")" "$KEIKAKUD" --repo "$work/none"

# Start-up failures name their cause and what to do.
# The default socket is in /run, which the daemon's user cannot write.
install -d -m 0755 "$work/locked"
expect 1 "" "keikakud: cannot start: cannot listen on '$work/locked/keikakud.sock': permission denied: give --socket a path in a directory this user can write (see \"Running by hand\" in deploy.md)" \
	-- as kkt_daemon "$KEIKAKUD" --repo "$repo" --socket "$work/locked/keikakud.sock"
expect 1 "" "keikakud: cannot start: cannot listen on '$rundir/missing/keikakud.sock': directory '$rundir/missing' does not exist: create it, or give --socket another path" \
	-- as kkt_daemon "$KEIKAKUD" --repo "$repo" --socket "$rundir/missing/keikakud.sock"
expect 1 "" "keikakud: cannot start: '$repo' belongs to another user (uid $(id -u kkt_daemon)): run keikakud as its owner" \
	-- as kkt_guest "$KEIKAKUD" --repo "$repo" --socket "$work/guest.sock"
# Not a repository: nothing is written into the directory, nothing removed from it.
mkdir "$work/notrepo"
touch "$work/notrepo/tmp_keep" "$work/notrepo/keep.lock"
expect 1 "" "keikakud: cannot start: '$work/notrepo' is not a git repository: create it with 'keikaku init PATH', or give --repo the plan repository's path" \
	-- "$KEIKAKUD" --repo "$work/notrepo" --socket "$work/notrepo.sock"
check "not a repository: left alone" test "$(ls "$work/notrepo" | tr '\n' ' ')" = "keep.lock tmp_keep "
finish
