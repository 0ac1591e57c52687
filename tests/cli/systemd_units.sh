#!/usr/bin/env bash
# The systemd units in systemd/ load cleanly and keikakud.service stays hardened:
#
#   1. `systemd-analyze verify` accepts keikakud.service and keikakud.socket with exit 0
#      and nothing on stderr (a deliberately broken copy does print, so this can fail);
#   2. `systemd-analyze security --offline=yes` rates the service's exposure at most 2.0,
#      with a static user and without PrivateUsers= (which would hide SO_PEERCRED);
#   3. the socket is where keikaku and keikakud look by default (KK_DEFAULT_SOCKET), is
#      owned by group keikaku with mode 0660, and is not inside a RuntimeDirectory= of the
#      service (systemd removes that when the service stops); the system call filter lets
#      the pack maintainer lower its own priority (setpriority, ioprio_set);
#   4. the sysusers.d and tmpfiles.d files create the keikaku user and /var/lib/keikaku in a
#      scratch root (tmpfiles only as root: it chowns);
#   5. the mirror's units (keikaku-git-daemon.service, keikaku-mirror.service and .timer)
#      verify cleanly and rate at most 2.0; git daemon runs as a dynamic user with no
#      push enabled, the push to the mirror writes only the mirror, which the tmpfiles
#      entry gives to keikaku under git daemon's base path; the ssh account has git-shell
#      as its shell, and sshd (where installed) accepts the Match block and applies it.
#
# Needs systemd-analyze (Debian's systemd package) but no running systemd; sshd is
# checked only where openssh-server is installed.
# Run by ctest with KK_SOURCE_DIR set to the source directory.
. "$(dirname "$0")/lib.bash"
units=$KK_SOURCE_DIR/systemd
export SYSTEMD_COLORS=0 SYSTEMD_PAGER=

for tool in systemd-analyze systemd-sysusers systemd-tmpfiles; do
	if ! command -v "$tool" >/dev/null; then
		echo "FAIL: $tool not found: run scripts/deps (it installs Debian's systemd package)" >&2
		exit 1
	fi
done

# verify checks that ExecStart= names an executable: point a copy of the service at
# /bin/true instead of the installed keikakud.  The copy sits next to the socket, which
# verify finds through the directory of the files it is given.
exec_start='ExecStart=/usr/local/bin/keikakud '
if [ "$(grep -c "^$exec_start" "$units/keikakud.service")" = 1 ]; then
	ok
else
	fail "keikakud.service: expected one line starting with '$exec_start'"
fi
mkdir "$work/units"
sed "s|^$exec_start|ExecStart=/bin/true |" "$units/keikakud.service" >"$work/units/keikakud.service"
cp "$units/keikakud.socket" "$work/units/"

# verify_units DIR: systemd-analyze verify on both units in DIR; sets $code and $err.
verify_units() {
	code=0
	systemd-analyze verify "$1/keikakud.socket" "$1/keikakud.service" \
		>"$work/verify.out" 2>"$work/verify.err" || code=$?
	err=$(cat "$work/verify.out" "$work/verify.err")
}

verify_units "$work/units"
if [ "$code" = 0 ] && [ -z "$err" ]; then
	ok
else
	fail "systemd-analyze verify: exit $code, output:"$'\n'"$err"
fi

mkdir "$work/broken"
cp "$work/units/"* "$work/broken/"
sed -i 's/^ProtectHome=yes/ProtectHomes=yes/' "$work/broken/keikakud.service"
verify_units "$work/broken"
if [[ $err == *ProtectHomes* ]]; then
	ok
else
	fail "systemd-analyze verify did not report a misspelt directive: exit $code, output:"$'\n'"$err"
fi

# security reads the unit as written; it does not need the executable.
code=0
systemd-analyze security --offline=yes "$units/keikakud.service" >"$work/security" 2>&1 || code=$?
level=$(sed -n 's/^.*Overall exposure level for keikakud\.service: \([0-9.]*\) .*$/\1/p' "$work/security")
if [ "$code" != 0 ] || [ -z "$level" ]; then
	fail "systemd-analyze security: exit $code, output:"$'\n'"$(cat "$work/security")"
else
	echo "keikakud.service: overall exposure $level"
	if awk -v x="$level" 'BEGIN { exit !(x <= 2.0) }'; then
		ok
	else
		fail "keikakud.service: exposure $level is above 2.0:"$'\n'"$(grep '✗' "$work/security")"
	fi
fi

# security_says PATTERN WHAT: the security report has a line matching PATTERN.
security_says() {
	if grep -Eq "$1" "$work/security"; then
		ok
	else
		fail "keikakud.service: $2"
	fi
}
security_says '^✓ User=/DynamicUser=.*static non-root user' "must run as a static non-root user (User=keikaku, not DynamicUser=)"
security_says '^✗ PrivateUsers=' "must not set PrivateUsers=: every peer would then be 'nobody' to SO_PEERCRED"
security_says '^✓ PrivateNetwork=' "must set PrivateNetwork="

# The socket is where the clients and the daemon look without --socket.
listen=$(sed -n 's/^ListenStream=//p' "$units/keikakud.socket")
default=$(sed -n 's/^set(KK_DEFAULT_SOCKET "\([^"]*\)".*/\1/p' "$KK_SOURCE_DIR/CMakeLists.txt")
if [ -n "$listen" ] && [ "$listen" = "$default" ]; then
	ok
else
	fail "keikakud.socket listens on '$listen' but KK_DEFAULT_SOCKET in CMakeLists.txt is '$default'"
fi
# unit_value UNIT KEY: the last value of KEY= in UNIT, as systemd would take it.
unit_value() {
	sed -n "s/^$2=//p" "$units/$1" | tail -n 1
}
[ "$(unit_value keikakud.socket SocketGroup)" = keikaku ] && ok ||
	fail "keikakud.socket must be owned by group keikaku (SocketGroup=keikaku)"
[ "$(unit_value keikakud.socket SocketMode)" = 0660 ] && ok ||
	fail "keikakud.socket must have SocketMode=0660"
runtime_ok=1
for dir in $(unit_value keikakud.service RuntimeDirectory); do
	case $listen in /run/"$dir"/*) runtime_ok=0 ;; esac
done
[ "$runtime_ok" = 1 ] && ok ||
	fail "keikakud.socket's $listen is inside the service's RuntimeDirectory=, which is removed when it stops"
# The last SystemCallFilter= line without ~ allows what the deny list before it took away.
# allows UNIT CALL WHY: UNIT takes CALL back from its deny list.
allows() {
	local allowed
	allowed=$(grep -E '^SystemCallFilter=[^~@]' "$units/$1" | tail -n 1)
	case " ${allowed#SystemCallFilter=} " in
	*" $2 "*) ok ;;
	*) fail "$1's SystemCallFilter= must allow $2 ($3)" ;;
	esac
}
allows keikakud.service setpriority "the pack maintainer's priority"
allows keikakud.service ioprio_set "the pack maintainer's priority"
allows keikaku-web.service setpriority "the costly pages' threads, 10 nicer than the rest"

# sysusers.d and tmpfiles.d, applied to a scratch root.
root=$work/root
mkdir -p "$root/etc" "$root/usr/lib/sysusers.d" "$root/usr/lib/tmpfiles.d"
cp "$units/keikaku.sysusers" "$root/usr/lib/sysusers.d/keikaku.conf"
cp "$units/keikaku.tmpfiles" "$root/usr/lib/tmpfiles.d/keikaku.conf"
if systemd-sysusers --root="$root" >"$work/sysusers" 2>&1; then
	ok
else
	fail "systemd-sysusers:"$'\n'"$(cat "$work/sysusers")"
fi
user=$(grep '^keikaku:' "$root/etc/passwd" || true)
group=$(grep '^keikaku:' "$root/etc/group" || true)
uid=$(echo "$user" | cut -d: -f3)
if [ -n "$uid" ] && [ "$(echo "$user" | cut -d: -f4)" = "$(echo "$group" | cut -d: -f3)" ] &&
	[ "$uid" -lt 1000 ] && [ "$(echo "$user" | cut -d: -f6)" = /var/lib/keikaku ]; then
	ok
else
	fail "sysusers: expected a system user keikaku in group keikaku, home /var/lib/keikaku; got '$user' / '$group'"
fi
if [ "$(id -u)" = 0 ]; then
	if systemd-tmpfiles --root="$root" --create >"$work/tmpfiles" 2>&1; then
		ok
	else
		fail "systemd-tmpfiles:"$'\n'"$(cat "$work/tmpfiles")"
	fi
	got=$(stat -c '%a %u %g' "$root/var/lib/keikaku" 2>/dev/null || true)
	gid=$(echo "$group" | cut -d: -f3)
	if [ "$got" = "750 $uid $gid" ]; then
		ok
	else
		fail "tmpfiles: /var/lib/keikaku is '$got', expected '750 $uid $gid'"
	fi
else
	echo "not checked: systemd-tmpfiles --create (it chowns, so needs root)"
fi

# --- The mirror: git daemon's export, the push that keeps it current, ssh for staff. ---
mirror_units=(keikaku-git-daemon.service keikaku-mirror.service keikaku-mirror.timer)
code=0
(cd "$units" && systemd-analyze verify "${mirror_units[@]}") >"$work/verify.out" 2>"$work/verify.err" || code=$?
err=$(cat "$work/verify.out" "$work/verify.err")
if [ "$code" = 0 ] && [ -z "$err" ]; then
	ok
else
	fail "systemd-analyze verify ${mirror_units[*]}: exit $code, output:"$'\n'"$err"
fi
mkdir "$work/broken-mirror"
cp "$units/keikaku-mirror.service" "$units/keikaku-mirror.timer" "$work/broken-mirror/"
sed -i 's/^OnUnitActiveSec=/OnUnitActiveSecs=/' "$work/broken-mirror/keikaku-mirror.timer"
code=0
err=$(cd "$work/broken-mirror" && systemd-analyze verify keikaku-mirror.timer 2>&1) || code=$?
[[ $err == *OnUnitActiveSecs* ]] && ok ||
	fail "systemd-analyze verify did not report a misspelt directive in the timer: exit $code, output:"$'\n'"$err"
# exposure UNIT MAX: systemd-analyze security rates UNIT at most MAX; the report in $work/security.
exposure() {
	local code=0 level
	systemd-analyze security --offline=yes "$units/$1" >"$work/security" 2>&1 || code=$?
	level=$(sed -n "s/^.*Overall exposure level for ${1//./\\.}: \([0-9.]*\) .*$/\1/p" "$work/security")
	if [ "$code" != 0 ] || [ -z "$level" ]; then
		fail "systemd-analyze security $1: exit $code, output:"$'\n'"$(cat "$work/security")"
	elif awk -v x="$level" -v m="$2" 'BEGIN { exit !(x <= m) }'; then
		echo "$1: overall exposure $level"
		ok
	else
		fail "$1: exposure $level is above $2:"$'\n'"$(grep '✗' "$work/security")"
	fi
}
exposure keikaku-git-daemon.service 2.0
grep -q '^✓ User=/DynamicUser=.*transient non-root' "$work/security" && ok ||
	fail "keikaku-git-daemon.service must run as a dynamic user, owning nothing"
grep -q '^✓ PrivateUsers=' "$work/security" && ok || fail "keikaku-git-daemon.service must set PrivateUsers="
exposure keikaku-mirror.service 1.0
grep -q '^✓ PrivateNetwork=' "$work/security" && ok || fail "keikaku-mirror.service must set PrivateNetwork="

# git daemon: upload-pack only, from the base path where the mirror is.
gitd=$(unit_value keikaku-git-daemon.service ExecStart)
case " $gitd " in
*" --enable="* | *" --allow-override="*) fail "keikaku-git-daemon.service must not enable services: $gitd" ;;
*" --base-path=/srv/git "*) ok ;;
*) fail "keikaku-git-daemon.service must serve --base-path=/srv/git: $gitd" ;;
esac
[ "$(unit_value keikaku-git-daemon.service DynamicUser)" = yes ] && ok ||
	fail "keikaku-git-daemon.service must set DynamicUser=yes"
# The push: as keikaku, from keikakud's repository to the mirror, which is all it may write.
push=$(unit_value keikaku-mirror.service ExecStart)
[ "$push" = "/usr/bin/git -C /var/lib/keikaku/plan.git push --quiet --mirror /srv/git/plan.git" ] && ok ||
	fail "keikaku-mirror.service: unexpected ExecStart=$push"
[ "$(unit_value keikaku-mirror.service ReadWritePaths)" = /srv/git/plan.git ] && ok ||
	fail "keikaku-mirror.service must write only /srv/git/plan.git (ReadWritePaths=)"
[ "$(unit_value keikaku-mirror.service User)" = keikaku ] && ok ||
	fail "keikaku-mirror.service must run as keikaku, the owner of both repositories"
[ "$(unit_value keikaku-mirror.timer OnUnitActiveSec)" != "" ] && ok ||
	fail "keikaku-mirror.timer must repeat (OnUnitActiveSec=)"

# sysusers and tmpfiles of the mirror, in a scratch root with the keikaku user.
mroot=$work/mirror-root
mkdir -p "$mroot/etc" "$mroot/usr/lib/sysusers.d" "$mroot/usr/lib/tmpfiles.d"
cp "$units/keikaku.sysusers" "$mroot/usr/lib/sysusers.d/keikaku.conf"
cp "$units/keikaku-mirror.sysusers" "$mroot/usr/lib/sysusers.d/keikaku-mirror.conf"
cp "$units/keikaku-mirror.tmpfiles" "$mroot/usr/lib/tmpfiles.d/keikaku-mirror.conf"
if systemd-sysusers --root="$mroot" >"$work/sysusers" 2>&1; then
	ok
else
	fail "systemd-sysusers (mirror):"$'\n'"$(cat "$work/sysusers")"
fi
user=$(grep '^kkmirror:' "$mroot/etc/passwd" || true)
if [ "$(echo "$user" | cut -d: -f6-)" = /srv/git:/usr/bin/git-shell ] && [ "$(echo "$user" | cut -d: -f3)" -lt 1000 ]; then
	ok
else
	fail "sysusers: expected a system user kkmirror, home /srv/git, shell /usr/bin/git-shell; got '$user'"
fi
if [ "$(id -u)" = 0 ]; then
	if systemd-tmpfiles --root="$mroot" --create >"$work/tmpfiles" 2>&1; then
		ok
	else
		fail "systemd-tmpfiles (mirror):"$'\n'"$(cat "$work/tmpfiles")"
	fi
	kuid=$(grep '^keikaku:' "$mroot/etc/passwd" | cut -d: -f3)
	got="$(stat -c '%a %u' "$mroot/srv/git" 2>/dev/null || true), $(stat -c '%a %u' "$mroot/srv/git/plan.git" 2>/dev/null || true)"
	[ "$got" = "755 0, 755 $kuid" ] && ok ||
		fail "tmpfiles: /srv/git and /srv/git/plan.git are '$got', expected '755 0, 755 $kuid'"
else
	echo "not checked: systemd-tmpfiles --create of the mirror (it chowns, so needs root)"
fi

# sshd: the Match block parses, and applies to kkmirror only.
# sshd -T wants its privilege separation directory, which ssh.service makes at start.
[ -d /run/sshd ] || [ "$(id -u)" != 0 ] || mkdir -m 0755 /run/sshd 2>/dev/null || true
if [ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null && [ -d /run/sshd ]; then
	ssh-keygen -q -t ed25519 -N "" -f "$work/hostkey"
	printf 'HostKey %s\nInclude %s\n' "$work/hostkey" "$units/keikaku-mirror.sshd_config" >"$work/sshd_config"
	# sshd -T needs the users it is asked about; the scratch root's do not count.
	if getent passwd nobody >/dev/null && sshd_for() {
		/usr/sbin/sshd -T -f "$work/sshd_config" -C "user=$1,host=client.test,addr=192.0.2.1" 2>"$work/sshd.err"
	} && mirror_cfg=$(sshd_for kkmirror) && other_cfg=$(sshd_for nobody); then
		for line in "authenticationmethods publickey" "authorizedkeysfile /etc/ssh/keikaku-mirror.keys" \
			"permittty no" "allowtcpforwarding no" "setenv GIT_CONFIG_COUNT=1" \
			"setenv GIT_CONFIG_KEY_0=safe.directory" "setenv GIT_CONFIG_VALUE_0=*"; do
			grep -qxF "$line" <<<"$mirror_cfg" && ok || fail "sshd -T for kkmirror: no '$line'"
		done
		grep -qxF "permittty no" <<<"$other_cfg" && fail "sshd: the Match block applies to other users" || ok
	else
		fail "sshd -T -f with keikaku-mirror.sshd_config:"$'\n'"$(cat "$work/sshd.err")"
	fi
else
	echo "not checked: sshd -T of keikaku-mirror.sshd_config (no openssh-server, or no /run/sshd)"
fi

# --- The web view: keikaku serve on the mirror, loopback only, writing only its index. ---
mkdir "$work/web"
sed 's#^ExecStart=/usr/local/bin/keikaku #ExecStart=/bin/true #' "$units/keikaku-web.service" \
	>"$work/web/keikaku-web.service"
code=0
(cd "$work/web" && systemd-analyze verify keikaku-web.service) >"$work/verify.out" 2>&1 || code=$?
if [ "$code" = 0 ] && [ ! -s "$work/verify.out" ]; then ok; else
	fail "systemd-analyze verify keikaku-web.service: exit $code:"$'\n'"$(cat "$work/verify.out")"
fi
sed -i 's/^ProtectSystem=/ProtectSytem=/' "$work/web/keikaku-web.service"
err=$(cd "$work/web" && systemd-analyze verify keikaku-web.service 2>&1) || true
[[ $err == *ProtectSytem* ]] && ok || fail "verify did not report a misspelt directive in keikaku-web.service"
exposure keikaku-web.service 1.0
grep -q '^✓ PrivateUsers=' "$work/security" && ok || fail "keikaku-web.service must set PrivateUsers="
[ "$(unit_value keikaku-web.service ExecStart)" = "/usr/local/bin/keikaku -C /srv/git/plan.git serve --listen 127.0.0.1:8080" ] &&
	ok || fail "keikaku-web.service must serve the mirror on the loopback"
[ "$(unit_value keikaku-web.service ReadWritePaths)" = -/srv/git/plan.git/keikaku ] && ok ||
	fail "keikaku-web.service must write only the mirror's history index (ReadWritePaths=)"
[ "$(unit_value keikaku-web.service IPAddressDeny)" = any ] && ok ||
	fail "keikaku-web.service must deny every address but the loopback (IPAddressDeny=any)"

finish
