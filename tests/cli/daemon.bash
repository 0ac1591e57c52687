# Shared by the daemon tests: sourced after lib.bash.  Creates real Unix users
# and groups (which needs root), a plan repository whose departments.json maps
# them, and runs the real keikakud on a socket in the test's directory.
: "${KEIKAKUD:?set KEIKAKUD to the keikakud binary}"

if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: the daemon tests create Unix users and need root"
	exit 77
fi

chmod 755 "$work"
# The test users cannot be assumed to reach into the checkout or the build tree
# (a clone in a home directory sits under a 0700 parent): everything they run
# or read is copied into the test's own directory.
kk_install_for_others() {
	local dir=$work/inst
	mkdir -p "$dir/bin" "$dir/share/keikaku"
	cp "$KEIKAKU" "$KEIKAKUD" "$KK_SOURCE_DIR/tests/cli/rpc.py" "$dir/bin/"
	cp -r "$KK_SOURCE_DIR/schema" "$KK_SOURCE_DIR/repo-template" "$dir/share/keikaku/"
	cp -r "$KK_SOURCE_DIR/examples" "$dir/share/examples"
	if [ -n "${KEIKAKU_LOCALEDIR:-}" ] && [ -d "$KEIKAKU_LOCALEDIR" ]; then
		cp -r "$KEIKAKU_LOCALEDIR" "$dir/share/locale"
		export KEIKAKU_LOCALEDIR=$dir/share/locale
	fi
	chmod -R a+rX "$dir"
	export KEIKAKU=$dir/bin/keikaku KEIKAKUD=$dir/bin/keikakud
	export KEIKAKU_DATADIR=$dir/share/keikaku
	rpc_py=$dir/bin/rpc.py
	examples=$dir/share/examples
}
kk_install_for_others
sock=$work/keikakud.sock
repo=$work/plan.git
daemon_log=$work/keikakud.log
daemon_pid=
other_daemons=() # started by a test itself: stopped at the end if still running

# Users: name, full name, groups.  Prefixed so that nothing real is touched.
test_users=(kkt_hisho kkt_dx kkt_nurse kkt_kominkan kkt_guest kkt_daemon)
setup_users() {
	for g in kkt_byoin kkt_staff; do
		getent group "$g" >/dev/null || groupadd "$g"
	done
	userdel kkt_hisho 2>/dev/null || true
	useradd -M -N -g kkt_staff -s /usr/sbin/nologin -c "田中 秘書,,," kkt_hisho
	userdel kkt_dx 2>/dev/null || true
	useradd -M -N -g kkt_staff -s /usr/sbin/nologin -c "DX Admin" kkt_dx
	userdel kkt_nurse 2>/dev/null || true
	useradd -M -N -g kkt_staff -G kkt_byoin -s /usr/sbin/nologin -c "Nurse Sato" kkt_nurse
	userdel kkt_kominkan 2>/dev/null || true
	useradd -M -N -g kkt_staff -s /usr/sbin/nologin -c "公民館 担当" kkt_kominkan
	userdel kkt_guest 2>/dev/null || true
	useradd -M -N -g kkt_staff -s /usr/sbin/nologin kkt_guest
}

cleanup_daemon() {
	local pid
	for pid in $daemon_pid "${other_daemons[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
	for u in "${test_users[@]}"; do
		userdel "$u" 2>/dev/null || true
	done
	groupdel kkt_byoin 2>/dev/null || true
	groupdel kkt_staff 2>/dev/null || true
	getent group | cut -d: -f1 | grep '^kkt_m[0-9]' | xargs -r -n 1 groupdel 2>/dev/null || true
	chattr -i "$repo/objects/pack" 2>/dev/null || true
	rm -rf "$work" "$HOME"
}
trap cleanup_daemon EXIT

# The example plan, with departments mapped to the test users.
make_repo() {
	local src=$work/src
	rm -rf "$src" "$repo"
	cp -r "$examples/dx-plan-r3" "$src"
	/usr/bin/python3 - "$src/departments.json" <<'PY'
import json, sys
path = sys.argv[1]
d = json.load(open(path))
for dept in d["departments"]:
    if dept["name"] == "秘書課":
        dept["users"] = ["kkt_hisho"]
    if dept["name"] == "デジタル戦略課":
        dept["users"] = ["kkt_dx"]
    if dept["name"] == "市立病院":
        dept["groups"] = ["kkt_byoin"]
    if dept["name"] == "公民館ほか":
        dept["users"] = ["kkt_kominkan"]
json.dump(d, open(path, "w"), ensure_ascii=False, indent=2)
PY
	kk fmt "$src/departments.json"
	kk init "$repo" --from "$src" >/dev/null
}

start_daemon() {
	# A socket left by a daemon that was killed would pass for the new one's.
	rm -f "$sock"
	"$KEIKAKUD" --repo "$repo" --socket "$sock" --socket-mode 0666 \
		--email-domain keikaku.test "$@" 2>>"$daemon_log" &
	daemon_pid=$!
	for _ in $(seq 1 100); do
		[ -S "$sock" ] && return 0
		sleep 0.05
	done
	echo "keikakud did not start:" >&2
	cat "$daemon_log" >&2
	return 1
}

stop_daemon() {
	kill -TERM "$daemon_pid"
	local code=0
	wait "$daemon_pid" || code=$?
	daemon_pid=
	return $code
}

# as USER COMMAND...: runs COMMAND as USER (real uid, gid and groups).
as() {
	local user=$1
	shift
	setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups "$@"
}

# call USER METHOD [PARAMS]: prints the result, or {"error": ...}.
call() {
	local user=$1
	shift
	as "$user" /usr/bin/python3 "$rpc_py" "$sock" --call "$@"
}

# jget JSON EXPR: evaluates a Python expression on parsed JSON `j`.
jget() {
	/usr/bin/python3 -c 'import json,sys; j=json.loads(sys.argv[1]); r=eval(sys.argv[2]); print(r if isinstance(r,str) else json.dumps(r, ensure_ascii=False, sort_keys=True))' "$1" "$2"
}

# fsck_repo: git fsck --strict of the daemon's repository while the daemon runs.
# Its pack maintainer may merge packs while fsck reads them, and a pack that
# vanishes under fsck is not damage: look again, up to three times, and show
# what fsck said each time it failed.
fsck_repo() {
	local out
	for _ in 1 2 3; do
		if out=$(git -C "$repo" fsck --strict --no-progress 2>&1); then
			return 0
		fi
		echo "git fsck (will look again): $out" >&2
		sleep 1
	done
	return 1
}

head_of() {
	git -C "$repo" rev-parse main
}

# update USER PARAMS: item.update on the current head; prints the new commit.
update() {
	local r
	r=$(call "$1" item.update "{\"base\": \"$(head_of)\", $2}") || {
		echo "refused: $1 $2: $r" >&2
		return 1
	}
	jget "$r" 'j["commit"]'
}

# A fingerprint of every file of the repository, to show nothing changed (but for
# the daemon's pid file and the derived history index that reads keep up to date).
repo_state() {
	(cd "$repo" && find . -type f ! -name keikakud.pid ! -path './keikaku/*' -print0 |
		sort -z | xargs -0 sha1sum | sha1sum)
}

# --- Mirrors (daemon_mirror_push.sh, daemon_mirror_https.sh). ---
# mirror_head MIRROR: the mirror's main, "" when it has none; read as root, whoever owns it.
mirror_head() {
	git -c safe.directory='*' -C "$1" rev-parse -q --verify refs/heads/main 2>/dev/null || true
}
# holds MIRROR COMMIT SECONDS: polls until MIRROR's main is COMMIT, at most SECONDS.
holds() {
	local deadline
	deadline=$(($(date +%s%N) + $(awk -v s="$3" 'BEGIN { printf "%d", s * 1e9 }')))
	while [ "$(date +%s%N)" -lt "$deadline" ]; do
		[ "$(mirror_head "$1")" = "$2" ] && return 0
		sleep 0.02
	done
	[ "$(mirror_head "$1")" = "$2" ]
}
# write: one more progress report on item 25 (FY2022: 2021 gets closed), a new commit each
# time; prints it.
write() {
	local n
	n=$(date +%s%N)
	update kkt_hisho "\"id\": 25, \"patch\": {\"years\": {\"2022\": {\"result\": \"・第${n}版\"}}}, \"reason\": \"第${n}版\""
}
status_json() {
	call kkt_guest status
}
