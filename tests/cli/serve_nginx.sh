#!/usr/bin/env bash
# keikaku serve behind nginx, with the very configuration docs/deploy.md shows: the test
# takes the doc's nginx block and changes only what a test must (ports on 127.0.0.1, a
# self-signed certificate made with openssl, the upstream's port), each change checked to
# apply, so that the doc and what is tested cannot drift apart.  nginx runs as the current
# user from a directory of the test's own.  Through it:
# - plain HTTP is redirected to https; pages come over TLS (HTTP/1.1 and HTTP/2) with the
#   server's own headers (Content-Security-Policy, ETag, Vary) and nginx's HSTS; JSON by
#   Accept; 304 by If-None-Match;
# - nginx's limits: POST is refused, a body is refused, huge headers are refused by nginx
#   before keikaku serve sees them (so libmicrohttpd's own error pages, which lack the
#   security headers, never reach a client), and limit_req answers a burst from one
#   client with 503 beyond its 40.
# Skips (77) only when nginx cannot be installed or run here.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/serve.bash"

if ! command -v nginx >/dev/null && ! [ -x /usr/sbin/nginx ]; then
	"$KK_SOURCE_DIR/scripts/deps" >/dev/null 2>&1 || true
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if ! [ -x "$NGINX" ] || ! command -v openssl >/dev/null; then
	echo "SKIP: nginx or openssl cannot be installed"
	exit 77
fi

repo=$(example_repo)
nginx_pid=
trap 'stop_serves; [ -z "$nginx_pid" ] || { kill -QUIT "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null; }; rm -rf "$work" "$HOME"' EXIT
start_serve
upstream=${base##*:}

# Two free ports on 127.0.0.1 for nginx: http and https.
read -r http_port tls_port < <(/usr/bin/python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

host=plan.city.example.jp
n=$work/nginx
mkdir -p "$n/temp"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$host" \
	-addext "subjectAltName=DNS:$host" -keyout "$n/key.pem" -out "$n/cert.pem" 2>/dev/null

# The doc's configuration, and the few changes a test makes to it.
sed -n '/^```nginx$/,/^```$/p' "$KK_SOURCE_DIR/docs/deploy.md" | sed '1d;$d' >"$n/doc.conf"
check "docs/deploy.md has an nginx block" grep -q proxy_pass "$n/doc.conf"
cp "$n/doc.conf" "$n/site.conf"
change() { # change FROM TO: every FROM in the site's configuration becomes TO; FROM must be there
	if grep -qF -- "$1" "$n/site.conf"; then ok; else fail "docs/deploy.md's nginx block has no '$1'"; fi
	FROM=$1 TO=$2 /usr/bin/python3 -c '
import os, sys
p = sys.argv[1]
s = open(p).read().replace(os.environ["FROM"], os.environ["TO"])
open(p, "w").write(s)' "$n/site.conf"
}
change 'listen 80;' "listen 127.0.0.1:$http_port;"
change 'listen [::]:80;' ''
change 'listen 443 ssl http2;' "listen 127.0.0.1:$tls_port ssl http2;"
change 'listen [::]:443 ssl http2;' ''
change "/etc/letsencrypt/live/$host/fullchain.pem" "$n/cert.pem"
change "/etc/letsencrypt/live/$host/privkey.pem" "$n/key.pem"
change 'proxy_pass http://127.0.0.1:8080;' "proxy_pass http://127.0.0.1:$upstream;"
# The redirect names the port the test listens on, where the doc's is 443.
change 'return 301 https://$host$request_uri;' "return 301 https://\$host:$tls_port\$request_uri;"
check "nothing else differs from the doc: $(diff "$n/doc.conf" "$n/site.conf" | grep -c '^>') lines" \
	test "$(diff "$n/doc.conf" "$n/site.conf" | grep -c '^>')" -eq 8

cat >"$n/nginx.conf" <<EOF
user $(id -un);
worker_processes 1;
pid $n/nginx.pid;
error_log $n/error.log;
events { worker_connections 256; }
http {
    access_log $n/access.log;
    client_body_temp_path $n/temp/body;
    proxy_temp_path $n/temp/proxy;
    fastcgi_temp_path $n/temp/fastcgi;
    uwsgi_temp_path $n/temp/uwsgi;
    scgi_temp_path $n/temp/scgi;
    include $n/site.conf;
}
EOF
if ! "$NGINX" -t -p "$n" -e "$n/error.log" -c "$n/nginx.conf" >"$n/t.out" 2>&1; then
	cat "$n/t.out" >&2
	fail "nginx -t refuses the doc's configuration"
	finish
	exit 1
fi
"$NGINX" -p "$n" -e "$n/error.log" -c "$n/nginx.conf" -g 'daemon off;' 2>>"$n/error.log" &
nginx_pid=$!
for _ in $(seq 1 100); do
	curl -s -o /dev/null "http://127.0.0.1:$http_port/" && break
	sleep 0.05
done

# Requests go to the host's name, resolved to 127.0.0.1, checked against the test's CA.
tls=(--resolve "$host:$tls_port:127.0.0.1" --cacert "$n/cert.pem")
base=https://$host:$tls_port

# --- plain HTTP: a redirect to https -------------------------------------------------
code=$(curl -s -o /dev/null -D "$work/head" -w '%{http_code}' -H "Host: $host" "http://127.0.0.1:$http_port/items/26?at=fy2021")
check "http is redirected ($code)" test "$code" = 301
header Location "https://$host:$tls_port/items/26\\?at=fy2021"

# --- pages over TLS, with the server's headers and nginx's HSTS ------------------------
status 200 /items/26 "${tls[@]}"
has 'テレワークの拡大'
header Content-Security-Policy "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
header X-Content-Type-Options nosniff
header X-Frame-Options DENY
header Strict-Transport-Security 'max-age=31536000'
header Vary 'Accept, Accept-Language'
etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]: \(.*\)\r$/\1/p' "$work/head")
check "an ETag through nginx" test -n "$etag"
status 304 /items/26 "${tls[@]}" -H "If-None-Match: $etag"
status 200 /items/26 "${tls[@]}" -H 'Accept: application/json'
header Content-Type application/json
status 200 /log?item=26 "${tls[@]}" -H 'Accept-Language: en'
has '<html lang="en">'
status 404 /items/999 "${tls[@]}"
header Content-Security-Policy "default-src 'none'.*"
status 400 '/log?bogus=1' "${tls[@]}"
header Content-Security-Policy "default-src 'none'.*"
if curl -V | grep -q HTTP2; then
	got=$(curl -s -o /dev/null -w '%{http_version} %{http_code}' --http2 "${tls[@]}" "$base/report/R3")
	check "HTTP/2 through nginx ($got)" test "$got" = "2 200"
fi

# --- nginx's limits --------------------------------------------------------------------
status 403 /items/26 "${tls[@]}" -X POST -d x=1
header Strict-Transport-Security 'max-age=31536000'
# A body over client_max_body_size is nginx's 413; a small one passes, to keikaku serve's.
status 413 /items/26 "${tls[@]}" -X GET --data-binary "@$KK_SOURCE_DIR/docs/deploy.md"
has '413 Request Entity Too Large'
status 413 /items/26 "${tls[@]}" -X GET --data-binary 'x=1'
has 'a GET or HEAD request has no body'
# Headers of every total size from 4 to 20 KiB, in lines of 3,000 bytes: nginx passes on
# what keikaku serve takes and refuses the rest itself, so that libmicrohttpd's own 431 (or
# a connection it drops) never reaches the client.
for kb in 4 6 8 9 10 11 12 13 14 15 16 20; do
	hs=()
	left=$((kb * 1024))
	while [ "$left" -gt 0 ]; do
		len=$((left > 3000 ? 3000 : left))
		hs+=(-H "X-Pad-${#hs[@]}: $(head -c "$len" /dev/zero | tr '\0' p)")
		left=$((left - len - 12))
	done
	code=$(get /items/26 "${tls[@]}" --http1.1 "${hs[@]}" || true)
	if [ "$code" = 200 ] || { [ "$code" = 400 ] && grep -q 'Request Header Or Cookie Too Large' "$work/body"; }; then
		ok
	else
		fail "$kb KiB of headers through nginx: $code $(head -c 200 "$work/body")"
	fi
	echo "$kb $code" >>"$work/sizes"
done
check "nginx passes on 8 KiB of headers: $(tr '\n' ' ' <"$work/sizes")" grep -q '^8 200$' "$work/sizes"
check "and refuses 20 KiB" grep -q '^20 400$' "$work/sizes"
huge=$(head -c 20000 /dev/zero | tr '\0' a)
code=$(get /items/26 "${tls[@]}" --http1.1 -H "X-Huge: $huge" || true)
check "huge headers are refused by nginx ($code)" test "$code" = 400
header Server 'nginx.*'
has 'Request Header Or Cookie Too Large'
# A burst from one client: limit_req lets 40 through at once (burst=40 nodelay), then 503.
# One curl sends all 80 at once over one HTTP/2 connection: 80 processes, each with its
# own TLS handshake, took over 2 s on a loaded machine, time in which nginx's rate (20 a
# second) let them all through.
burst=()
for i in $(seq 1 80); do
	burst+=(-o /dev/null "$base/items/$((i % 30 + 1))")
done
curl -s --http2 --parallel --parallel-immediate --parallel-max 80 -w '%{http_code}\n' \
	"${tls[@]}" "${burst[@]}" >"$work/burst" || true
ok200=$(grep -c '^200$' "$work/burst" || true)
busy=$(grep -c '^503$' "$work/burst" || true)
check "a burst of 80: 40 or more answered ($ok200), the rest 503 ($busy)" \
	sh -c "[ $ok200 -ge 40 ] && [ $busy -ge 1 ] && [ $((ok200 + busy)) -eq 80 ]"

check "keikaku serve is still up" kill -0 "$serve_pid"
check "nginx is still up" kill -0 "$nginx_pid"
finish
