#!/usr/bin/env bash
# keikaku serve's hygiene of requests, on the example plan:
# - a GET or HEAD with a body (Content-Length, Transfer-Encoding) is answered 413 at once,
#   its body unread, and the connection closed; an HTTP/1.1 request without Host is 400;
#   both with the security headers;
# - Accept as RFC 9110 reads it (q=0 is "not acceptable", application/jsonp is no JSON,
#   JSON only when it ranks above HTML); Accept-Language's q parsed by hand, in any locale;
# - the cache key tells a value holding "&" and "=" from two parameters, and a page asked
#   for at a commit id is no page once the branch holding the commit is deleted;
# - one address per page (/items/0026, page=01 are 400), a value written as a date that is
#   none is a 400 saying so, bidirectional controls are refused, and a query's message is
#   not prefixed twice; in English and Japanese.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/serve.bash"
need_ja

repo=$(example_repo)
trap 'stop_serves; rm -rf "$work" "$HOME"' EXIT
start_serve

# raw REQUEST: sends REQUEST (printf escapes) on one connection and prints what comes back,
# CRLF as "|", then <EOF> when the server closed the connection or <open> when it did not
# within 3 s.
raw() {
	printf "$1" | timeout 10 /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read())
s.settimeout(3)
data, end = b"", "<open>"
try:
    while True:
        d = s.recv(65536)
        if not d:
            end = "<EOF>"
            break
        data += d
except socket.timeout:
    pass
print(data.decode(errors="replace").replace("\r\n", "|") + end)' "${base##*:}"
}
reply() { # reply TEXT: the last raw reply has TEXT
	if grep -qF -- "$1" "$work/raw"; then ok; else fail "the reply lacks '$1': $(head -c 300 "$work/raw")"; fi
}

# --- a body on a GET or HEAD: 413 before it is read, and the connection closed ----------
# The body announced is never sent: an answer that waited for it would not come.
raw 'GET /items/26 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\nabc' >"$work/raw"
reply 'HTTP/1.1 413 '
reply 'Content-Security-Policy: default-src '"'none'"
reply 'X-Content-Type-Options: nosniff'
reply '<EOF>'
raw 'HEAD /items/26 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n' >"$work/raw"
reply 'HTTP/1.1 413 '
reply '<EOF>'
raw 'GET /items/26 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n' >"$work/raw"
reply 'HTTP/1.1 413 '
reply '<EOF>'
# Content-Length: 0 is no body; keep-alive stays.
raw 'GET /items/26 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n' >"$work/raw"
reply 'HTTP/1.1 200 OK'
reply '<open>'
status 413 /items/26 --data-binary 'x=1' -X GET
check "the server is still up" kill -0 "$serve_pid"

# --- Host: an HTTP/1.1 request names it; HTTP/1.0 need not -----------------------------
raw 'GET /items/26 HTTP/1.1\r\n\r\n' >"$work/raw"
reply 'HTTP/1.1 400 '
reply 'names its Host'
reply 'Content-Security-Policy: default-src '"'none'"
raw 'GET /items/26 HTTP/1.0\r\n\r\n' >"$work/raw"
reply ' 200 OK'

# --- Accept, by RFC 9110 ----------------------------------------------------------------
accept() { # accept TYPE ACCEPT: /items/26 asked with ACCEPT is TYPE (json or html)
	local got
	got=$(curl -s -o /dev/null -w '%{content_type}' -H "Accept: $2" "$base/items/26")
	case $got in application/json*) got=json ;; text/html*) got=html ;; esac
	if [ "$got" = "$1" ]; then ok; else fail "Accept: $2 gave $got, expected $1"; fi
}
accept json 'application/json'
accept json 'application/json;q=0.5, text/html;q=0.4'
accept json 'text/html;q=0.1, application/*'
accept html 'text/html;q=1, application/json;q=0'
accept html 'application/json;q=0'
accept html 'application/jsonp'
accept html 'application/json-seq, text/plain'
accept html '*/*'
accept html 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
accept html 'application/json;q=0.5, */*;q=0.9'
accept html 'application/json;q=0.5, text/*'
accept html 'application/json;q=2'
accept json 'Application/JSON ; Q=0.800, text/html;q=0.7'

# --- Accept-Language: q by hand, the same in a locale with a decimal comma --------------
lang() { # lang LANG ACCEPT-LANGUAGE: the page is in LANG
	curl -s -o "$work/lang" -H "Accept-Language: $2" "$base/items/26"
	if grep -qF "<html lang=\"$1\">" "$work/lang"; then ok; else fail "Accept-Language: $2 is not $1"; fi
}
langs() {
	lang en 'en'
	lang en 'en;q=0.5, ja;q=0.4'
	lang en 'ja;q=0.5, en'
	lang ja 'en;q=0'
	lang ja 'en;q=0.9x'
	lang ja 'en;q=1.0, ja;q=1'
	lang en 'en-GB,en;q=0.8,ja;q=0.75'
	lang ja 'en;q=0.333,ja;q=0.334'
}
langs
stop_serves
serve_pids=()
# A locale whose decimal point is a comma, where strtod reads "0.5" as 0: de_DE, made
# here (with ja_JP, which Japanese pages need: LOCPATH hides the system's locales).
mkdir -p "$work/locale"
localedef -i de_DE -f UTF-8 "$work/locale/de_DE.UTF-8" 2>/dev/null || true
localedef -i ja_JP -f UTF-8 "$work/locale/ja_JP.UTF-8" 2>/dev/null || true
check "the de_DE locale made" test -d "$work/locale/de_DE.UTF-8"
check "its decimal point is a comma" test "$(LOCPATH=$work/locale LC_ALL=de_DE.UTF-8 locale decimal_point)" = ,
printf '#!/bin/sh\nLOCPATH="%s" LC_ALL=de_DE.UTF-8 exec "%s" "$@"\n' "$work/locale" "$KEIKAKU" >"$work/keikaku-de"
chmod +x "$work/keikaku-de"
KEIKAKU=$work/keikaku-de start_serve
langs

# --- the cache key ------------------------------------------------------------------------
# One value holding "&" and "=" is not two parameters, cached or not.
status 200 '/log?item=2&fy=2021'
status 400 '/log?item=2%26fy%3D2021'
has '&#39;item&#39;'
status 200 '/log?item=2&fy=2021'
# A commit a branch alone holds: a page at its id, full or abbreviated, is no page once
# the branch is deleted, though HEAD stays.
head=$(git -C "$repo" rev-parse main)
side=$(git -C "$repo" commit-tree -p "$head" -m "a draft on a branch of its own" "$head^{tree}")
git -C "$repo" branch side "$side"
status 200 "/items/26?at=$side"
status 200 "/diff?from=$head&to=$side"
status 200 "/log?since=$side"
git -C "$repo" branch -D -q side
status 404 "/items/26?at=$side"
status 404 "/diff?from=$head&to=$side"
status 404 "/log?since=$side"
# HEAD's own commit, by its id, stays a page.
status 200 "/items/26?at=$head"
# The same from a server started now, which reads the history index the other one left
# in the repository (it holds the branch's commit): and from the command line.
stop_serves
serve_pids=()
start_serve
status 404 "/items/26?at=$side"
status 404 "/diff?from=$head&to=$side"
status 404 "/log?since=$side"
expect 3 '' "keikaku: unknown revision '$side'" -- kk -C "$repo" show 26 --at "$side"

# --- values: one address per page, dates, bidirectional controls, messages --------------
# error LANG CODE PATH TEXT: PATH asked in LANG is CODE, its message TEXT.
error() {
	status "$2" "$3" -H "Accept-Language: $1"
	has "<p class=\"error\">$4</p>"
}
error en 400 /items/0026 'item &#39;0026&#39; is written without leading zeros: /items/26'
error ja 400 /items/0026 '項目 &#39;0026&#39; は先頭に 0 を付けずに書きます: /items/26'
status 400 /items/026
status 200 /items/26
status 400 '/log?page=01'
has '&#39;page&#39;'
status 400 '/log?item=026'
has '&#39;item&#39;'
status 200 '/log?item=26'
# A value written as a date that is none, and no revision: 400, not "unknown revision".
error en 400 '/log?since=2021-01-01T00:00' 'invalid parameter &#39;since&#39;: &#39;2021-01-01T00:00&#39; is not a date (YYYY-MM-DD)'
error ja 400 '/log?since=2021-01-01T00:00' 'パラメータ &#39;since&#39; が不正です: &#39;2021-01-01T00:00&#39; は日付 (YYYY-MM-DD) ではありません'
error en 400 '/log?since=-0001-01-01' 'invalid parameter &#39;since&#39;: &#39;-0001-01-01&#39; is not a date (YYYY-MM-DD)'
error en 400 '/log?until=2021-4-1' 'invalid parameter &#39;until&#39;: &#39;2021-4-1&#39; is not a date (YYYY-MM-DD)'
error en 400 '/pending?since=2021-04-01x' 'invalid parameter &#39;since&#39;: &#39;2021-04-01x&#39; is not a date (YYYY-MM-DD)'
status 200 '/log?since=2021-04-01'
status 404 '/log?since=no-such-tag'
# ... but a revision that looks like one stays a revision.
git -C "$repo" tag 2021-4-1 main
status 200 '/log?until=2021-4-1'
# A query's message that names its parameter is not named twice.
error en 400 '/diff?to=HEAD' 'invalid parameter &#39;to&#39;: needs &#39;from&#39;'
error ja 400 '/diff?to=HEAD' 'パラメータ &#39;to&#39; が不正です: &#39;from&#39; も指定してください'
# Bidirectional controls are refused as the other controls are, never shown.
for c in %D8%9C %E2%80%8E %E2%80%8F %E2%80%AA %E2%80%AE %E2%81%A6 %E2%81%A9; do
	status 400 "/log?author=a${c}b"
	has '&#39;author&#39;'
	status 400 "/?at=x${c}"
	has '&#39;at&#39;'
done
status 400 "/log?a%E2%80%AEb=1"
status 404 "/items/26%E2%80%AE"

# --- a date given to at, from or to is looked up as a ref: a tag made later is seen ----
status 404 '/items/26?at=2021-05-01' -H 'Accept: application/json'
git -C "$repo" tag 2021-05-01 main
status 200 '/items/26?at=2021-05-01' -H 'Accept: application/json'

check "the server is still up" kill -0 "$serve_pid"
finish
