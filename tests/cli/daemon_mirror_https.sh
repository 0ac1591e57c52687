#!/usr/bin/env bash
# keikakud keeps a mirror current over https (docs/deploy.md, "Mirrors"): a real
# git server on 127.0.0.1, started here (git_https.py: TLS with a self-signed
# certificate made with the openssl CLI, stock `git http-backend` as a CGI, HTTP
# Basic authentication with a token):
#
#   1. with SSL_CERT_FILE naming the server's certificate, the mirror holds every
#      acknowledged commit, and the tag of a year close, within a second; it is
#      fsck-clean; status shows it current; the token is shown nowhere (***);
#   2. the server takes another token: writes go on, status shows the mirror's
#      lag and that authentication failed; the old token back, it catches up;
#   3. without SSL_CERT_FILE the certificate is not trusted: nothing is pushed, no
#      request (nor the token) reaches the server, and status says why; without a
#      token in the URL, status says the mirror wants one;
#   4. with --sync-mirrors 1, each write is answered only once the mirror holds it;
#   5. SSL_CERT_FILE or SSL_CERT_DIR naming nothing usable stops keikakud at start, when
#      it has an https mirror; without one, they are not read.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/daemon.bash"
setup_users
make_repo
unset SSL_CERT_FILE SSL_CERT_DIR

# --- The server. ---
srv=$work/https
mkdir -p "$srv/root"
# The address as a DNS name too: mbedTLS 2.28 (libgit2's TLS) matches the host against the
# subjectAltName's DNS names only, and git's curl against its IP addresses.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=DNS:127.0.0.1,IP:127.0.0.1 \
	-keyout "$srv/key.pem" -out "$srv/cert.pem" 2>/dev/null
mirror=$srv/root/plan.git
git init -q --bare --initial-branch=main "$mirror"
git -C "$mirror" config http.receivepack true
token=kk-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
echo "$token" >"$srv/token"
/usr/bin/python3 "$KK_SOURCE_DIR/tests/cli/git_https.py" "$srv/root" "$srv/cert.pem" \
	"$srv/key.pem" "$srv/token" "$srv/port" "$srv/requests.log" 2>"$srv/server.err" &
other_daemons+=("$!")
for _ in $(seq 1 100); do [ -s "$srv/port" ] && break; sleep 0.05; done
port=$(cat "$srv/port")
url="https://kk:$token@127.0.0.1:$port/plan.git"
shown="https://kk:***@127.0.0.1:$port/plan.git"
shown_re=$(sed 's/[*.]/\\&/g' <<<"$shown")
check "stock git trusts the server with its certificate" \
	env GIT_SSL_CAINFO="$srv/cert.pem" git ls-remote "$url"

# field JSON EXPR: EXPR on the status entry of the mirror.
field() {
	jget "$1" "j['mirrors'][0]$2"
}
# current: polls, at most a second, until status shows the mirror current (it hears of
# a push's success a moment after the mirror's branch has moved).
current() {
	for _ in $(seq 1 50); do
		[ "$(field "$(status_json)" '["behind"]')" = '{"commits": 0, "seconds": 0}' ] && return 0
		sleep 0.02
	done
	return 1
}

# --- 1. Trusted by SSL_CERT_FILE: every acknowledged commit within a second. ---
SSL_CERT_FILE=$srv/cert.pem start_daemon --mirror "$url" --mirror-retry-max 1 -v
check "the mirror gets the head keikakud starts with" holds "$mirror" "$(head_of)" 15
for _ in 1 2 3 4 5; do
	c=$(write)
	check "the mirror holds $c within a second" holds "$mirror" "$c" 1.0
done
r=$(call kkt_dx year.close '{"year": 2021, "reason": "令和3年度の締め"}')
c=$(jget "$r" 'j["commit"]')
check "the close commit on the mirror" holds "$mirror" "$c" 1.0
check "and its tag" test "$(git -C "$mirror" rev-parse fy2021)" = "$(git -C "$repo" rev-parse fy2021)"
check "the mirror is fsck-clean" git -C "$mirror" fsck --strict --no-progress
check "the pushes went through http-backend as the token's user" \
	grep -q "^POST /plan.git/git-receive-pack 200 kk$" "$srv/requests.log"
check "the log names the CA file" grep -q "checked against the CAs of SSL_CERT_FILE '$srv/cert.pem'" "$daemon_log"
check "status: current" current
s=$(status_json)
check "status: the mirror, its token shown as ***" test "$(field "$s" '["url"]')" = "$shown"
check "status: its last pushed commit" test "$(field "$s" '["pushed"]')" = "$c"
check "status: no error" test "$(field "$s" '["error"]')" = null
out=$(kk --socket "$sock" status)
check "status in words: current" grep -qE "^mirrors +$shown_re: current, at ${c:0:10}$" <<<"$out"

# --- 2. The server takes another token: writes go on, and the mirror catches up. ---
echo "$token-rotated" >"$srv/token"
before=$(mirror_head "$mirror")
for _ in 1 2 3; do
	c=$(write)
	check "a write is acknowledged while the mirror refuses the token" test -n "$c"
done
sleep 1.2
s=$(status_json)
check "the mirror did not get them" test "$(mirror_head "$mirror")" = "$before"
check "status: 3 commits behind" test "$(field "$s" '["behind"]["commits"]')" = 3
check "status: still at the last commit it got" test "$(field "$s" '["pushed"]')" = "$before"
check "status: the error says the token was refused" test "$(field "$s" '["error"]')" = \
	"authentication failed: the mirror refused the user name and password (token) of its URL"
check "the server said 401" grep -q "^GET /plan.git/info/refs 401 -$" "$srv/requests.log"
out=$(kk --socket "$sock" status)
check "status in words: the lag and the error" \
	grep -qE "^mirrors +$shown_re: 3 commits behind \([0-9]+s\), at ${before:0:10}; last error [0-9]+s ago: authentication failed" <<<"$out"
out=$(LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 kk --socket "$sock" status)
check "status in Japanese: the lag" grep -qE "$shown_re: 3 コミット遅れ \([0-9]+s\)、${before:0:10} まで.*最後のエラー" <<<"$out"
echo "$token" >"$srv/token"
check "the token accepted again, the mirror catches up" holds "$mirror" "$(head_of)" 15
check "status: current again" current
check "the log says it caught up" grep -qF "mirror $shown: caught up at $(head_of)" "$daemon_log"
c=$(write)
check "and gets the next write within a second" holds "$mirror" "$c" 1.0
stop_daemon
check "the token is in no line of the log" test "$(grep -c -- "$token" "$daemon_log")" = 0
check "the mirror holds the head at exit" test "$(mirror_head "$mirror")" = "$(head_of)"

# --- 3. Without SSL_CERT_FILE, the self-signed certificate is not trusted. ---
requests=$(wc -l <"$srv/requests.log")
start_daemon --mirror "$url" --mirror-retry-max 1
c=$(write)
sleep 1
s=$(status_json)
check "untrusted: the write is acknowledged" test -n "$c"
check "untrusted: not pushed" test "$(mirror_head "$mirror")" != "$c"
check "untrusted: status shows nothing pushed" test "$(field "$s" '["pushed"]')" = null
check "untrusted: the error says the certificate is not trusted" \
	grep -q "certificate of 127.0.0.1 is not trusted" <<<"$(field "$s" '["error"]')"
check "untrusted: and what to do" grep -q "SSL_CERT_FILE" <<<"$(field "$s" '["error"]')"
check "untrusted: no request reached the server (nor the token)" test "$(wc -l <"$srv/requests.log")" = "$requests"
stop_daemon

# No token in the URL: the mirror's 401 is told as such.
SSL_CERT_FILE=$srv/cert.pem start_daemon --mirror "https://127.0.0.1:$port/plan.git" --mirror-retry-max 1
for _ in $(seq 1 100); do
	e=$(field "$(status_json)" '["error"]')
	[ "$e" != null ] && break
	sleep 0.05
done
check "no token: the error says the mirror wants one" test "$e" = \
	"authentication required: give the mirror's user name and password (token) in its URL, https://USER:TOKEN@HOST/PATH"
stop_daemon

# --- 4. --sync-mirrors 1 over https: answered only once the mirror holds it. ---
SSL_CERT_FILE=$srv/cert.pem start_daemon --mirror "$url" --sync-mirrors 1 --sync-mirrors-timeout 2 \
	--mirror-retry-max 1
check "strict: the mirror gets the head" holds "$mirror" "$(head_of)" 15
for _ in 1 2 3; do
	c=$(write)
	# No polling: at the acknowledgement, the mirror holds it already.
	check "strict: the mirror holds $c at its acknowledgement" test "$(mirror_head "$mirror")" = "$c"
done
stop_daemon

# With SSL_CERT_DIR instead, a directory of certificates (as /etc/ssl/certs is).
mkdir -p "$srv/cadir"
cp "$srv/cert.pem" "$srv/cadir/city-ca.pem"
SSL_CERT_DIR=$srv/cadir start_daemon --mirror "$url" --mirror-retry-max 1
c=$(write)
check "SSL_CERT_DIR: the mirror holds $c within a second" holds "$mirror" "$c" 1.0
stop_daemon

# --- 5. A CA location that cannot be used stops keikakud at start. ---
expect 1 "" "keikakud: cannot start: cannot read SSL_CERT_FILE '$work/none.pem', the CA certificates to check https mirrors with: No such file or directory" -- \
	env SSL_CERT_FILE="$work/none.pem" "$KEIKAKUD" --repo "$repo" --socket "$sock" --mirror "$url"
expect 1 "" "keikakud: cannot start: cannot read SSL_CERT_DIR '$work/none', the CA certificates to check https mirrors with: No such file or directory" -- \
	env SSL_CERT_DIR="$work/none" "$KEIKAKUD" --repo "$repo" --socket "$sock" --mirror "$url"
expect 1 "" "keikakud: cannot start: SSL_CERT_FILE '$srv/cadir' is a directory: name it in SSL_CERT_DIR" -- \
	env SSL_CERT_FILE="$srv/cadir" "$KEIKAKUD" --repo "$repo" --socket "$sock" --mirror "$url"
expect 1 "" "keikakud: cannot start: SSL_CERT_DIR '$srv/cert.pem' is not a directory" -- \
	env SSL_CERT_DIR="$srv/cert.pem" "$KEIKAKUD" --repo "$repo" --socket "$sock" --mirror "$url"
echo "not a certificate" >"$srv/junk.pem"
expect 1 "" "*" -- env SSL_CERT_FILE="$srv/junk.pem" "$KEIKAKUD" --repo "$repo" --socket "$sock" --mirror "$url"
check "a file without a certificate: refused, saying so" \
	grep -qx "keikakud: cannot start: cannot load the CA certificates of SSL_CERT_FILE '$srv/junk.pem': failed to load CA certificates: .*" "$work/.stderr"
# Without an https mirror they are not read: keikakud starts, and says nothing of them.
lines=$(wc -l <"$daemon_log")
SSL_CERT_FILE=$work/none.pem SSL_CERT_DIR=$work/none start_daemon
check "no https mirror: a CA location that names nothing stops nothing" call kkt_guest status
stop_daemon
check "and the log does not mention it" test "$(tail -n +$((lines + 1)) "$daemon_log" | grep -c SSL_CERT)" = 0
fsck_repo
check "the repository is sound" true
finish
