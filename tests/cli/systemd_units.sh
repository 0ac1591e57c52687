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
#      scratch root (tmpfiles only as root: it chowns).
#
# Needs systemd-analyze (Debian's systemd package) but no running systemd.
# Run by ctest with KK_SOURCE_DIR set to the source directory.
set -euo pipefail

src=${KK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
units=$src/systemd
export LC_ALL=C.UTF-8 SYSTEMD_COLORS=0 SYSTEMD_PAGER=

passed=0
failed=0
fail() {
	echo "FAIL: $*" >&2
	failed=$((failed + 1))
}
ok() {
	passed=$((passed + 1))
}

for tool in systemd-analyze systemd-sysusers systemd-tmpfiles; do
	if ! command -v "$tool" >/dev/null; then
		echo "FAIL: $tool not found: run scripts/deps (it installs Debian's systemd package)" >&2
		exit 1
	fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

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
default=$(sed -n 's/^set(KK_DEFAULT_SOCKET "\([^"]*\)".*/\1/p' "$src/CMakeLists.txt")
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
allowed=$(grep -E '^SystemCallFilter=[^~@]' "$units/keikakud.service" | tail -n 1)
for call in setpriority ioprio_set; do
	case " ${allowed#SystemCallFilter=} " in
	*" $call "*) ok ;;
	*) fail "keikakud.service's SystemCallFilter= must allow $call (the pack maintainer's priority)" ;;
	esac
done

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

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
