#!/usr/bin/env bash
# Readers use mirrors, as docs/deploy.md ("Readers and mirrors") sets them up:
# departments update the plan through keikakud; its repository is pushed to a
# mirror made with `git init --bare --shared=0644` by the repository's owner
# (root here, keikaku there), with the command of keikaku-mirror.service; and
# another user, who owns neither, reads it:
#
#   1. `keikaku -C MIRROR log --item 25` answers as root does on the repository,
#      `keikaku -C MIRROR serve` shows the update on the item's page, and neither
#      writes anything into the mirror;
#   2. `git daemon`, run as in keikaku-git-daemon.service (as yet another user,
#      on 127.0.0.1 and a free port), serves the mirror; the reader clones it
#      over git:// into a directory of their own, and `log`, `blame` and
#      `schedule` on the clone answer as root does on the repository, text and
#      --json, reasons included;
#   3. a plain local `git clone MIRROR` is refused for its owner, and the
#      command deploy.md gives instead clones it and fetches later pushes; the
#      server started in 1 shows nothing of an update before it is pushed (it
#      reads the mirror, not keikakud's repository), and the push at once,
#      without a restart;
#   4. keikakud, which keeps git's owner check, names the mirror by its
#      absolute path when started in it as another user with --repo .
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/daemon.bash"
. "$(dirname "$0")/serve.bash"
setup_users
make_repo
start_daemon

units=$KK_SOURCE_DIR/systemd
srv=$work/srv
mirror=$srv/plan.git
guest=$work/guest
mkdir -p "$srv" "$guest"
chmod 755 "$srv"
chown kkt_guest "$guest"

# guest ARGS...: a command as kkt_guest, at home in a directory of its own.
guest() {
	(cd "$guest" && as kkt_guest env HOME="$guest" "$@")
}

# --- Updates through keikakud: a progress report and a schedule revision. ---
A1=$(update kkt_hisho '"id": 25, "patch": {"years": {"2021": {"progress": "on_track", "result": "・規程案を作成した"}}}, "reason": "規程案の作成"')
(cd / && as kkt_dx "$KEIKAKU" --socket "$sock" update 9 --fy 2021 --revised "運用開始" -m "実証実験を前倒しで終えたため" >/dev/null)
check "two commits by keikakud" test "$(git -C "$repo" rev-list --count "$A1^..main")" = 2

# --- The mirror, made as deploy.md says and pushed by the timer's service. ---
# unit_line UNIT KEY: the value of KEY= in one of systemd/'s units, with its
# paths turned into this test's.
unit_line() {
	sed -n "s/^$2=//p" "$units/$1" | sed -e "s|/var/lib/keikaku/plan.git|$repo|g" -e "s|/srv/git|$srv|g"
}
read -r -a push_cmd <<<"$(unit_line keikaku-mirror.service ExecStart)"
check "keikaku-mirror.service pushes with git" test "${push_cmd[0]}" = /usr/bin/git
# The owner's daemon writes with umask 077; --shared=0644 makes the mirror readable anyway.
# (Without --initial-branch main its HEAD would name a branch that never comes.)
(
	umask 077
	git init -q --bare --shared=0644 --initial-branch=main "$mirror"
	"${push_cmd[@]}"
)
touch "$mirror/git-daemon-export-ok"
check "the mirror has the plan" test "$(git -C "$mirror" rev-parse main)" = "$(git -C "$repo" rev-parse main)"
check "the mirror is readable by all" test -z "$(find "$mirror" ! -perm -o+r)"
check "the mirror is not the reader's" test "$(stat -c %U "$mirror")" != kkt_guest

# rgit ARGS...: git as root on kkt_guest's clones, which git would refuse as another user's.
rgit() {
	git -c safe.directory='*' "$@"
}

# --- 1. keikaku reads the mirror of another user. ---
mirror_state() {
	(cd "$mirror" && find . -print0 | sort -z | xargs -0 stat -c '%n %s %Y %a' | sha1sum)
}
before=$(mirror_state)
# same WHAT ARGS...: keikaku ARGS as kkt_guest (through `guest`, in the directory
# given to -C) and `keikaku -C $repo ARGS` as root: same exit code and output.
same() {
	local dir=$1 g_out r_out g_code=0 r_code=0
	shift
	g_out=$(guest "$KEIKAKU" -C "$dir" "$@" 2>"$work/.g_err") || g_code=$?
	r_out=$(kk -C "$repo" "$@" 2>"$work/.r_err") || r_code=$?
	if [ "$g_code" = 0 ] && [ "$g_code" = "$r_code" ] && [ -n "$g_out" ] && [ "$g_out" = "$r_out" ]; then
		ok
	else
		fail "keikaku -C $dir $*: kkt_guest (exit $g_code) and root on the repository (exit $r_code) differ:"$'\n'"$(diff <(echo "$r_out") <(echo "$g_out") | head -20)"$'\n'"$(cat "$work/.g_err" "$work/.r_err")"
	fi
	out=$g_out
}
same "$mirror" log --item 25
check "the mirror's log names the reason" grep -q '規程案の作成' <<<"$out"
check "and the commit" grep -q "$(git -C "$repo" rev-parse --short=10 "$A1")" <<<"$out"
same "$mirror" log --item 25 --json
check "the mirror's log: the reason and the department" test "$(jget "$out" '[(e["reason"], e["department"], e["author"]["email"]) for e in j["entries"] if e["commit"] == "'"$A1"'"][0]')" = '["規程案の作成", "秘書課", "kkt_hisho@keikaku.test"]'
same "$mirror" schedule --fy 2021 --changed
# keikaku serve on the mirror, as kkt_guest: start_serve runs "$KEIKAKU", here this
# function, which execs the server so that $serve_pid is the server's.
kk_bin=$KEIKAKU
kk_as_guest() {
	cd "$guest" && exec setpriv --reuid=kkt_guest --regid="$(id -g kkt_guest)" --init-groups \
		env HOME="$guest" "$kk_bin" "$@"
}
repo=$mirror KEIKAKU=kk_as_guest start_serve
other_daemons+=("$serve_pid") # stopped with keikakud if the test stops early
check "the server runs as kkt_guest" test "$(ps -o ruid= -p "$serve_pid" | tr -d ' ')" = "$(id -u kkt_guest)"
status 200 /items/25
has '規程案の作成'
check "reading wrote nothing into the mirror" test "$(mirror_state)" = "$before"
check "and kept no index there" test ! -e "$mirror/keikaku"

# --- 2. git daemon serves the mirror; kkt_guest clones it and audits the clone. ---
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
read -r -a daemon_cmd <<<"$(unit_line keikaku-git-daemon.service ExecStart)"
read -r -a daemon_env <<<"$(unit_line keikaku-git-daemon.service Environment)"
check "keikaku-git-daemon.service runs git daemon" test "${daemon_cmd[*]:0:2}" = "/usr/bin/git daemon"
# The unit's command, run as kkt_nurse (it owns neither the mirror nor the clone,
# as the unit's DynamicUser= does not), on the loopback address only; the base
# path (the last argument) stays last, as git daemon wants its directories.
# exec, so that $! is git daemon itself, which takes its child with it on SIGTERM.
(cd / && exec setpriv --reuid=kkt_nurse --regid="$(id -g kkt_nurse)" --init-groups \
	env HOME=/nonexistent "${daemon_env[@]}" "${daemon_cmd[@]:0:${#daemon_cmd[@]}-1}" \
	--listen=127.0.0.1 --port="$port" --verbose "${daemon_cmd[-1]}" 2>"$work/git-daemon.log") &
git_daemon=$!
other_daemons+=("$git_daemon")
url=git://127.0.0.1:$port/plan.git
for _ in $(seq 1 50); do
	guest git ls-remote "$url" >/dev/null 2>&1 && break
	sleep 0.1
done
expect 0 "*" "" -- guest git clone -q "$url" "$guest/clone"
check "the clone is kkt_guest's" test "$(stat -c %U "$guest/clone/.git")" = kkt_guest
check "the clone has the head" test "$(rgit -C "$guest/clone" rev-parse HEAD)" = "$(git -C "$repo" rev-parse main)"
for fmt in "" --json; do
	same "$guest/clone" log --item 25 $fmt
	check "the clone's log names the reason ($fmt)" grep -q '規程案の作成' <<<"$out"
	same "$guest/clone" blame 25 $fmt
	check "the clone's blame names the reason ($fmt)" grep -q '規程案の作成' <<<"$out"
	same "$guest/clone" schedule $fmt
	check "the clone's schedule names the revision's reason ($fmt)" grep -q '実証実験を前倒しで終えたため' <<<"$out"
done
out=$(guest "$KEIKAKU" -C "$guest/clone" blame 25 --json)
check "the clone's blame: 25's progress by A1" test "$(jget "$out" '[(f["commit"], f["reason"]) for f in j["fields"] if f["path"] == "years.2021.progress"][0]')" = "[\"$A1\", \"規程案の作成\"]"
check "the clone verifies" guest "$KEIKAKU" -C "$guest/clone" verify --all-history
# Nothing but upload-pack: a push to git:// is refused.
guest git -C "$guest/clone" commit -q --allow-empty -m "not for the mirror"
expect 128 "" "*" -- guest git -C "$guest/clone" push -q "$url" HEAD:refs/heads/guest
check "and the mirror has no such branch" test -z "$(git -C "$mirror" for-each-ref refs/heads/guest)"
kill -TERM "$git_daemon"
for _ in $(seq 1 50); do
	kill -0 "$git_daemon" 2>/dev/null || break
	sleep 0.1
done
check "git daemon stopped" test -z "$(kill -0 "$git_daemon" 2>/dev/null && echo running)"
check "and its child too" test -z "$(pgrep -u kkt_nurse git-daemon || true)"
wait "$git_daemon" 2>/dev/null || true
check "git daemon served upload-pack" grep -q "Request upload-pack for '/plan.git'" "$work/git-daemon.log"

# --- 3. A local clone, as kkt_guest. ---
expect 128 "" "*" -- guest git clone -q "$mirror" "$guest/plain"
check "a plain clone: git's dubious ownership" grep -q "dubious ownership in repository at '$mirror'" "$work/.stderr"
upload_pack="git -c safe.directory=$mirror upload-pack"
expect 0 "" "" -- guest git clone -q --no-local -u "$upload_pack" "$mirror" "$guest/local"
guest git -C "$guest/local" config remote.origin.uploadpack "$upload_pack"
check "the local clone has the head" test "$(rgit -C "$guest/local" rev-parse HEAD)" = "$(git -C "$repo" rev-parse main)"
same "$guest/local" log --item 25
# A later update reaches the local clone through the mirror.
mirror_before=$(git -C "$mirror" rev-parse main)
A2=$(update kkt_hisho '"id": 25, "patch": {"years": {"2022": {"progress": "on_track"}}}, "reason": "令和4年度の着手"')
# Not pushed yet (this keikakud has no --mirror; the push is the service's command below):
# the server on the mirror shows the mirror's head, not keikakud's repository's.
check "the update is in keikakud's repository" test "$(git -C "$repo" rev-parse main)" = "$A2"
check "but not yet in the mirror" test "$(git -C "$mirror" rev-parse main)" = "$mirror_before"
status 200 /items/25
lacks '令和4年度の着手'
status 200 /items/25 -H 'Accept: application/json'
page_commit=$(jget "$(cat "$work/body")" 'j["commit"]')
check "before the push the page is of the mirror's head $mirror_before ($page_commit)" test "$page_commit" = "$mirror_before"
lacks '令和4年度の着手'
"${push_cmd[@]}"
check "the push brought the update to the mirror" test "$(git -C "$mirror" rev-parse main)" = "$A2"
expect 0 "" "" -- guest git -C "$guest/local" pull -q --ff-only
check "the local clone fetched it" test "$(rgit -C "$guest/local" rev-parse HEAD)" = "$A2"
same "$guest/local" log --item 25
check "with its reason" grep -q '令和4年度の着手' <<<"$out"
same "$mirror" blame 25
# The server on the mirror shows the push at once.
status 200 /items/25 -H 'Accept: application/json'
page_commit=$(jget "$(cat "$work/body")" 'j["commit"]')
check "the page is of the pushed commit ($page_commit)" test "$page_commit" = "$A2"
has '令和4年度の着手'
check "the same server, still up" kill -0 "$serve_pid"
stop_serves

# --- 4. keikakud keeps git's owner check, and names what it refuses by its real path. ---
keikakud_in_mirror() {
	cd "$mirror" && as kkt_guest "$KEIKAKUD" --repo . --socket "$guest/foreign.sock"
}
expect 1 "" "*" -- keikakud_in_mirror
check "keikakud names the mirror, not '.'" grep -qF "'$mirror' belongs to another user (uid 0)" "$work/.stderr"

stop_daemon
check "keikakud exits cleanly" true
finish
