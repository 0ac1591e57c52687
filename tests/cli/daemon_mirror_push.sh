#!/usr/bin/env bash
# keikakud keeps its mirrors current (docs/deploy.md, "Mirrors"): two mirrors,
# a local bare repository and one over ssh on 127.0.0.1, served by Debian's
# sshd (started here on a free port, with its own host key and config, key-only,
# git-shell as the login shell of a test user):
#
#   1. both hold every acknowledged commit, and the tag of a year close, within
#      a second of the acknowledgement; status shows them current;
#   2. with sshd stopped, writes go on; status (text in both locales, --json)
#      shows the ssh mirror's lag in commits and seconds and its last error;
#      started again, it catches up by itself;
#   3. a mirror whose branch moved behind keikakud's back is reported as
#      diverged, in status and the log, and not overwritten;
#   4. with --sync-mirrors 1, each write is answered only once the mirror
#      holds it; with the mirror down, after --sync-mirrors-timeout, with
#      -32009 naming the commit (which is stored) and the mirror's error;
#   5. the host key is checked against known_hosts, a password in a URL is shown as ***,
#      and bad options are refused.
# libgit2 1.5's ssh transport leaks a little at each connection (libgit2-ssh.supp); the
# suppressions name its functions, which only the slow unwinder finds through libgit2.
export LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$(cd "$(dirname "$0")" && pwd)/libgit2-ssh.supp
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/daemon.bash"
setup_users
make_repo

# rgit ARGS...: git as root on the ssh mirror, which is kkt_git's.
rgit() {
	git -c safe.directory='*' "$@"
}

# --- The mirrors. ---
# Made as docs/deploy.md says: readable by all, by a default ACL, whatever keikakud's umask.
local_mirror=$work/local.git
git init -q --bare --shared=0644 --initial-branch=main "$local_mirror"
setfacl -R -m d:o::rX,o::rX "$local_mirror"

test_users+=(kkt_git)
git_home=$work/git-home
ssh_mirror=$git_home/plan.git
userdel kkt_git 2>/dev/null || true
useradd -M -N -g kkt_staff -d "$git_home" -s /usr/bin/git-shell kkt_git
# "*": no password, yet not locked (sshd refuses a locked account even a key).
usermod -p '*' kkt_git
mkdir -p "$git_home"
git init -q --bare --initial-branch=main "$ssh_mirror"
chown -R kkt_git "$git_home"

# keikakud's user's ssh key and known_hosts: HOME of its own.
kd_home=$work/kd-home
mkdir -p "$kd_home/.ssh"
chmod 700 "$kd_home/.ssh"
ssh-keygen -q -t ed25519 -N '' -C keikakud -f "$kd_home/.ssh/id_ed25519"

ssh_dir=$work/sshd
mkdir -p "$ssh_dir" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$ssh_dir/host_ed25519"
cp "$kd_home/.ssh/id_ed25519.pub" "$ssh_dir/authorized_keys"
chmod 644 "$ssh_dir/authorized_keys"
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$ssh_dir/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $ssh_dir/host_ed25519
PidFile $ssh_dir/sshd.pid
AuthorizedKeysFile $ssh_dir/authorized_keys
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowUsers kkt_git
PermitTTY no
AllowTcpForwarding no
X11Forwarding no
EOF
# The host key, hashed as ssh-keygen -H leaves it.
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$ssh_dir/host_ed25519.pub")" >"$kd_home/.ssh/known_hosts"
ssh-keygen -q -H -f "$kd_home/.ssh/known_hosts" >/dev/null 2>&1
rm -f "$kd_home/.ssh/known_hosts.old"
check "known_hosts is hashed" grep -q '^|1|' "$kd_home/.ssh/known_hosts"

sshd_pid=
start_sshd() {
	/usr/sbin/sshd -D -f "$ssh_dir/sshd_config" -E "$ssh_dir/sshd.log" &
	sshd_pid=$!
	other_daemons+=("$sshd_pid")
	for _ in $(seq 1 100); do
		/usr/bin/python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "sshd did not start:" >&2
	cat "$ssh_dir/sshd.log" >&2
	return 1
}
stop_sshd() {
	kill -TERM "$sshd_pid"
	wait "$sshd_pid" 2>/dev/null || true
}
start_sshd
ssh_url="ssh://kkt_git@127.0.0.1:$port$ssh_mirror"

# mirror_field JSON URL EXPR: EXPR on the status entry `m` of mirror URL.
mirror_field() {
	jget "$1" "[m for m in j['mirrors'] if m['url'] == '$2'][0]$3"
}
# status_turns URL EXPR WANT: polls status (a second at most) until EXPR of mirror URL
# is WANT.  A mirror's ref moves a moment before keikakud notes the push.
status_turns() {
	for _ in $(seq 1 50); do
		[ "$(mirror_field "$(status_json)" "$1" "$2")" = "$3" ] && return 0
		sleep 0.02
	done
	return 1
}

# --- 1. Both mirrors hold every acknowledged commit within a second. ---
# systemd's side of sd_notify: every STATUS= line keikakud sends, one a line.
notify=$work/notify.sock
/usr/bin/python3 - "$notify" >"$work/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(120)
while True:
    msg = s.recv(4096).decode()
    for line in msg.split("\n"):
        if line.startswith("STATUS="):
            print(line, flush=True)
    if "STOPPING=1" in msg:
        break
PY
listener=$!
other_daemons+=("$listener")
for _ in $(seq 1 50); do [ -S "$notify" ] && break; sleep 0.05; done
# keikakud.service's umask.
umask 077
NOTIFY_SOCKET=$notify HOME=$kd_home start_daemon --mirror "$local_mirror" --mirror "$ssh_url" --mirror-retry-max 1 -v
umask 022
check "the local mirror gets the head keikakud starts with" holds "$local_mirror" "$(head_of)" 5
# libgit2's first push left the branch aside, then it moved by compare-and-swap.
check "no refs/keikaku/ left on the local mirror" test -z "$(git -C "$local_mirror" for-each-ref refs/keikaku/)"
check "the ssh mirror gets it" holds "$ssh_mirror" "$(head_of)" 5
for _ in 1 2 3 4 5; do
	c=$(write)
	check "the local mirror holds $c within a second" holds "$local_mirror" "$c" 1.0
	check "the ssh mirror holds $c within a second" holds "$ssh_mirror" "$c" 1.0
done
# A year close: its commit and its tag.
r=$(call kkt_dx year.close '{"year": 2021, "reason": "令和3年度の締め"}')
c=$(jget "$r" 'j["commit"]')
check "the close commit on the local mirror" holds "$local_mirror" "$c" 1.0
check "and on the ssh mirror" holds "$ssh_mirror" "$c" 1.0
check "the tag on the local mirror" test "$(git -C "$local_mirror" rev-parse fy2021)" = "$(git -C "$repo" rev-parse fy2021)"
check "the tag on the ssh mirror" test "$(rgit -C "$ssh_mirror" rev-parse fy2021)" = "$(git -C "$repo" rev-parse fy2021)"
check "the ssh mirror is fsck-clean" rgit -C "$ssh_mirror" fsck --strict --no-progress
check "the local mirror is fsck-clean" git -C "$local_mirror" fsck --strict --no-progress
check "the local mirror got packs of keikakud's own, not libgit2's push" grep -qE "mirror $local_mirror: sent [1-9][0-9]* objects in a pack of their own" "$daemon_log"
check "the local mirror is readable by all, whatever keikakud's umask" test -z "$(find "$local_mirror" ! -perm -o+r)"
check "status: the ssh mirror is noted current" status_turns "$ssh_url" '["behind"]["commits"]' 0
s=$(status_json)
check "status: two mirrors" test "$(jget "$s" 'len(j["mirrors"])')" = 2
check "status: the ssh mirror is current" test "$(mirror_field "$s" "$ssh_url" '["behind"]')" = '{"commits": 0, "seconds": 0}'
check "status: its last pushed commit" test "$(mirror_field "$s" "$ssh_url" '["pushed"]')" = "$c"
check "status: asynchronous" test "$(jget "$s" 'j["sync_mirrors"]')" = 0

# --- 2. sshd stopped: writes go on, status shows the lag; started again, it catches up. ---
stop_sshd
before=$(mirror_head "$ssh_mirror")
for _ in 1 2 3; do
	c=$(write)
	check "a write is acknowledged with the ssh mirror down" test -n "$c"
	check "and reaches the local mirror" holds "$local_mirror" "$c" 1.0
done
sleep 1.2
s=$(status_json)
check "the ssh mirror did not get them" test "$(mirror_head "$ssh_mirror")" = "$before"
check "status: 3 commits behind" test "$(mirror_field "$s" "$ssh_url" '["behind"]["commits"]')" = 3
check "status: for a second or more" test "$(mirror_field "$s" "$ssh_url" '["behind"]["seconds"]')" -ge 1
check "status: still at the last commit it got" test "$(mirror_field "$s" "$ssh_url" '["pushed"]')" = "$before"
check "status: the last error" grep -q 'Connection refused' <<<"$(mirror_field "$s" "$ssh_url" '["error"]')"
check "status: when" test "$(mirror_field "$s" "$ssh_url" '["error_at"]')" -ge $(($(date +%s) - 5))
check "status: the local mirror is current" test "$(mirror_field "$s" "$local_mirror" '["behind"]["commits"]')" = 0
out=$(kk --socket "$sock" status)
check "status in words: the lag" grep -qE "^ +$ssh_url: 3 commits behind \([0-9]+s\), at ${before:0:10}; last error [0-9]+s ago: .*Connection refused" <<<"$out"
check "status in words: the local mirror" grep -qE "^mirrors +$local_mirror: current, at ${c:0:10}$" <<<"$out"
out=$(LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 kk --socket "$sock" status)
check "status in Japanese: the lag" grep -qE "$ssh_url: 3 コミット遅れ \([0-9]+s\)、${before:0:10} まで.*最後のエラー" <<<"$out"
check "status in Japanese: the label" grep -q "^ミラー" <<<"$out"
check "the log says why" grep -q "mirror $ssh_url: cannot push: .*Connection refused" "$daemon_log"
# systemd hears it at the next tick (every 10 s).
for _ in $(seq 1 120); do
	grep -q "; $ssh_url [0-9]* behind" "$work/notify.out" && break
	sleep 0.1
done
check "sd_notify STATUS: both mirrors, the lag and the error" grep -qE "^STATUS=.*; mirrors: $local_mirror current; $ssh_url [0-9]+ behind \([0-9]+s\): .*Connection refused" "$work/notify.out"
start_sshd
check "started again, the ssh mirror catches up" holds "$ssh_mirror" "$(head_of)" 10
check "status: current again" status_turns "$ssh_url" '["behind"]' '{"commits": 0, "seconds": 0}'
s=$(status_json)
check "the log says it caught up" grep -q "mirror $ssh_url: caught up at $(head_of)" "$daemon_log"

# --- 3. A diverged mirror is reported, not overwritten. ---
tree=$(git -C "$local_mirror" rev-parse 'main^{tree}')
foreign=$(git -C "$local_mirror" commit-tree -p main -m "behind keikakud's back" "$tree")
git -C "$local_mirror" update-ref refs/heads/main "$foreign"
c=$(write)
check "the ssh mirror still gets writes" holds "$ssh_mirror" "$c" 1.0
sleep 0.5
check "the diverged mirror is not overwritten" test "$(mirror_head "$local_mirror")" = "$foreign"
s=$(status_json)
check "status: diverged" test "$(mirror_field "$s" "$local_mirror" '["diverged"]')" = true
check "status: the error names it" grep -q "diverged: the mirror's refs/heads/main is at $foreign" <<<"$(mirror_field "$s" "$local_mirror" '["error"]')"
check "status in words: diverged" grep -qE "^mirrors +$local_mirror: diverged, not overwritten; last error" <<<"$(kk --socket "$sock" status)"
check "the log: diverged" grep -q "mirror $local_mirror has diverged" "$daemon_log"
# The admin puts it back: it catches up.
git -C "$local_mirror" update-ref refs/heads/main "$foreign~1"
check "put back, the mirror catches up" holds "$local_mirror" "$(head_of)" 10
check "and is no longer diverged" status_turns "$local_mirror" '["diverged"]' false
# A tag moved on the mirror: reported with both ids, and not overwritten.
ours_tag=$(git -C "$repo" rev-parse refs/tags/fy2021)
git -C "$local_mirror" update-ref refs/tags/fy2021 "$(git -C "$local_mirror" rev-parse main~1)"
theirs_tag=$(git -C "$local_mirror" rev-parse refs/tags/fy2021)
write >/dev/null
check "a moved tag: diverged" status_turns "$local_mirror" '["diverged"]' true
check "the error names the mirror's tag and ours" grep -qF "diverged: the mirror's refs/tags/fy2021 is $theirs_tag, not this repository's $ours_tag" <<<"$(mirror_field "$(status_json)" "$local_mirror" '["error"]')"
check "the mirror's tag is not overwritten" test "$(git -C "$local_mirror" rev-parse refs/tags/fy2021)" = "$theirs_tag"
git -C "$local_mirror" update-ref refs/tags/fy2021 "$ours_tag"
check "the tag put back, the mirror catches up" holds "$local_mirror" "$(head_of)" 10
c=$(write)
stop_daemon
check "keikakud stops cleanly with mirrors" true
check "and leaves both mirrors current" test "$(mirror_head "$local_mirror") $(mirror_head "$ssh_mirror")" = "$c $c"

# --- 4. --sync-mirrors 1: answered only once the mirror holds the commit. ---
HOME=$kd_home start_daemon --mirror "$ssh_url" --sync-mirrors 1 --sync-mirrors-timeout 2 --mirror-retry-max 1
check "strict: the mirror gets the head" holds "$ssh_mirror" "$(head_of)" 5
for _ in 1 2 3; do
	c=$(write)
	# No polling: at the acknowledgement, the mirror holds it already.
	check "strict: the mirror holds $c at its acknowledgement" test "$(mirror_head "$ssh_mirror")" = "$c"
done
check "status: writes wait for one mirror" test "$(jget "$(status_json)" 'j["sync_mirrors"]')" = 1
stop_sshd
base=$(head_of)
started=$(date +%s%N)
held_params="{\"base\": \"$base\", \"id\": 25, \"patch\": {\"years\": {\"2022\": {\"result\": \"・届かない版\"}}}, \"reason\": \"ミラー停止中\", \"request_id\": \"mirror-down-1\"}"
r=$(call kkt_hisho item.update "$held_params") || true
took=$((($(date +%s%N) - started) / 1000000))
check "strict, mirror down: -32009" test "$(jget "$r" 'j["error"]["code"]')" = -32009
check "after the timeout" test "$took" -ge 1900
check "it names the commit, stored here" test "$(jget "$r" '[j["error"]["data"]["commit"], j["error"]["data"]["stored"]]')" = "[\"$(head_of)\", true]"
check "the commit is on the branch" test "$(git -C "$repo" rev-parse main~1)" = "$base"
check "it names the mirror and its error" test "$(jget "$r" 'j["error"]["data"]["mirrors"][0]["url"]')" = "$ssh_url"
check "the message says why" grep -q "0 of the 1 mirrors it must reach hold it after 2 s: $ssh_url: .*Connection refused" <<<"$(jget "$r" 'j["error"]["message"]')"
# keikaku update tells the person, in their language.
expect 3 "" "*" -- as kkt_hisho env LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 "$KEIKAKU" --socket "$sock" update 25 --fy 2022 --result "・日本語版" -m "ミラー停止中その2"
check "keikaku update: in Japanese" grep -q "ミラー" "$work/.stderr"
held=$(jget "$r" 'j["error"]["data"]["commit"]')
start_sshd
check "the mirror catches up once back" holds "$ssh_mirror" "$(head_of)" 10
r=$(call kkt_hisho item.update "$held_params")
check "the retry is answered with the stored commit" test "$(jget "$r" '[j["commit"], j["replayed"]]')" = "[\"$held\", true]"
c=$(write)
check "strict again: held until the mirror has it" test "$(mirror_head "$ssh_mirror")" = "$c"
stop_daemon

# A local mirror, as a file:// URL, strict: a pack of keikakud's own for each write,
# and the mirror's small packs merged as the repository's are.
HOME=$kd_home start_daemon --mirror "file://$local_mirror" --sync-mirrors 1 -v
check "file://: the local mirror gets the head" holds "$local_mirror" "$(head_of)" 5
for _ in $(seq 1 40); do
	c=$(write)
	[ "$(mirror_head "$local_mirror")" = "$c" ] || break
done
check "file://, strict: each write held until the local mirror has it" test "$(mirror_head "$local_mirror")" = "$c"
packs=$(find "$local_mirror/objects/pack" -name '*.pack' | wc -l)
check "40 pushes later, the local mirror has at most 33 packs ($packs)" test "$packs" -le 33
check "and it is fsck-clean" git -C "$local_mirror" fsck --strict --no-progress
stop_daemon

# A mirror whose push never returns (its branch's ref a FIFO no one writes to, as a
# hung mount or a silent ssh host would leave it): a write held for it is answered
# at --sync-mirrors-timeout all the same, not when the next write comes.
stuck=$work/stuck.git
git init -q --bare --initial-branch=main "$stuck"
mkfifo "$stuck/refs/heads/main"
HOME=$kd_home start_daemon --mirror "$stuck" --sync-mirrors 1 --sync-mirrors-timeout 1
started=$(date +%s%N)
r=$(call kkt_hisho item.update "{\"base\": \"$(head_of)\", \"id\": 25, \"patch\": {\"years\": {\"2022\": {\"result\": \"・止まったミラー\"}}}, \"reason\": \"ミラーが応答しない\"}") || true
took=$((($(date +%s%N) - started) / 1000000))
check "a stuck mirror: -32009" test "$(jget "$r" 'j["error"]["code"]')" = -32009
check "a stuck mirror: answered at the timeout ($took ms), not at the next write" test "$took" -lt 3000
stop_daemon
check "keikakud stops with a mirror stuck" grep -q "mirror $stuck: still pushing; leaving it" "$daemon_log"

# --- 5. The host key is checked; bad options are refused. ---
# A password in a URL is shown nowhere.
HOME=$kd_home start_daemon --mirror "ssh://kkt_git@localhost:$port$ssh_mirror" --mirror-retry-max 1 \
	--mirror "https://kk:s3cret-token@127.0.0.1:9/plan.git" --mirror "https://s3cret-token-as-user@127.0.0.1:9/other.git"
sleep 1
s=$(status_json)
check "a password in a URL: *** in status" test "$(jget "$s" 'j["mirrors"][1]["url"]')" = "https://kk:***@127.0.0.1:9/plan.git"
check "a token as an https URL's user: *** in status" test "$(jget "$s" 'j["mirrors"][2]["url"]')" = "https://***@127.0.0.1:9/other.git"
check "and in status in words" grep -qF "https://kk:***@127.0.0.1:9/plan.git: not reached yet" <<<"$(kk --socket "$sock" status)"
check "and nowhere in the log" test "$(grep -c s3cret-token "$daemon_log")" = 0
check "the https mirror's error" grep -q "failed to connect to 127.0.0.1" <<<"$(jget "$s" 'j["mirrors"][1]["error"]')"
check "an unknown host key: not pushed" test "$(mirror_field "$s" "ssh://kkt_git@localhost:$port$ssh_mirror" '["pushed"]')" = null
check "an unknown host key: the error says so" grep -q "host key of \[localhost\]:$port is not in $kd_home/.ssh/known_hosts" <<<"$(mirror_field "$s" "ssh://kkt_git@localhost:$port$ssh_mirror" '["error"]')"
stop_daemon
expect 2 "" "keikakud: cannot push to mirror 'ftp://x/y': give an absolute path, a file://, ssh:// or https:// URL, or user@host:path" -- "$KEIKAKUD" --repo "$repo" --mirror ftp://x/y
expect 2 "" "keikakud: --sync-mirrors 2 asks for more mirrors than the 1 given with --mirror" -- "$KEIKAKUD" --repo "$repo" --mirror "$local_mirror" --sync-mirrors 2
expect 2 "" "keikakud: mirror 'file://$repo/' is the repository itself" -- "$KEIKAKUD" --repo "$repo" --mirror "file://$repo/"
expect 2 "" "keikakud: mirrors '$local_mirror' and 'file://$local_mirror/.' are the same" -- "$KEIKAKUD" --repo "$repo" --mirror "$local_mirror" --mirror "file://$local_mirror/."
expect 2 "" "keikakud: mirrors '$ssh_url' and '$ssh_url' are the same" -- "$KEIKAKUD" --repo "$repo" --mirror "$ssh_url" --mirror "$ssh_url"
stop_sshd
fsck_repo
check "the repository is sound" true
finish
