#!/usr/bin/env bash
# keikaku serve's connection limits (docs/deploy.md): at most 256 open connections, 64 from
# one address, beyond which a connection is closed at once, so that one client cannot take
# every thread (a thread for each connection) and the server stays up.  On the example
# plan, with idle connections held open from loopback addresses (127.0.0.1 to .6, which
# Linux routes without setup), all within a few seconds, well inside the 15 s idle timeout:
# - with 63 held from 127.0.0.1 a 64th request from it is answered 200; with 64 held a 65th
#   is closed at once with no answer, while 127.0.0.2 is still answered 200;
# - with 255 held from four addresses (64, 64, 64, 63) a request from a fifth is the 256th
#   and answered 200; with 256 held one more from a sixth is closed at once;
# - the server keeps every connection held (none is closed to make room); once they are
#   closed, a request from 127.0.0.1 is 200 again and the server is still up.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/serve.bash"

repo=$(example_repo)
trap 'stop_serves; rm -rf "$work" "$HOME"' EXIT
start_serve

timeout 60 /usr/bin/python3 - "${base##*:}" >"$work/conns" 2>&1 <<'PY' || true
import socket, sys, time

port = int(sys.argv[1])
held = []

def connect(src):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s

def alive(s):
    """True while the server keeps the connection open: nothing to read, no end of file."""
    s.setblocking(False)
    try:
        s.recv(1)
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        s.setblocking(True)

def hold(src, n):
    """Holds n more idle connections from src, replacing any the server closed while a
    connection just answered was still counted; prints how many it holds."""
    mine = []
    for _ in range(20):
        while len(mine) < n:
            mine.append(connect(src))
        time.sleep(0.2)
        for s in mine:
            if not alive(s):
                s.close()
        mine = [s for s in mine if s.fileno() != -1]
        if len(mine) == n:
            break
    held.extend(mine)
    print("hold", src, len(mine))

def probe(name, src):
    """A request from src: prints the seconds it took and the status line, "closed" when
    the server closed the connection without an answer, or "no-answer" after 5 s."""
    start = time.monotonic()
    s = connect(src)
    s.settimeout(5)
    try:
        s.sendall(b"GET /items/26 HTTP/1.0\r\n\r\n")
        data = s.recv(100)
        got = data.split(b"\r\n")[0].decode() if data else "closed"
    except socket.timeout:
        got = "no-answer"
    except OSError:
        got = "closed"
    s.close()
    print(name, "%.2f" % (time.monotonic() - start), got)

hold("127.0.0.1", 63)
probe("ip64", "127.0.0.1")
hold("127.0.0.1", 1)
probe("ip65", "127.0.0.1")
probe("other", "127.0.0.2")
hold("127.0.0.2", 64)
hold("127.0.0.3", 64)
hold("127.0.0.4", 63)
probe("all256", "127.0.0.5")
hold("127.0.0.4", 1)
probe("all257", "127.0.0.6")
print("alive", sum(alive(s) for s in held), len(held))
for s in held:
    s.close()
# The server frees a connection's place once its thread has ended: a few tries.
start = time.monotonic()
for _ in range(50):
    s = connect("127.0.0.1")
    s.settimeout(5)
    try:
        s.sendall(b"GET /items/26 HTTP/1.0\r\n\r\n")
        got = s.recv(100).split(b"\r\n")[0].decode()
    except OSError:
        got = "closed"
    s.close()
    if got.startswith("HTTP/1.1 200 "):
        break
    time.sleep(0.1)
print("after", "%.2f" % (time.monotonic() - start), got or "closed")
PY
sed 's/^/  /' "$work/conns"

# line NAME: NAME's line of the results.
line() { grep "^$1 " "$work/conns" || echo "$1: nothing; $(tr '\n' ';' <"$work/conns")"; }
# served NAME: NAME's request was answered 200.
served() { check "$1 served: $(line "$1")" grep -qE "^$1 [0-9.]+ HTTP/1\.1 200 OK$" "$work/conns"; }
# refused NAME: NAME's connection was closed with no answer, within 3 s (at once, but on a
# loaded machine).
refused() {
	local t
	t=$(awk -v n="$1" '$1 == n && $3 == "closed" { print $2 }' "$work/conns")
	if [ -n "$t" ] && awk -v t="$t" 'BEGIN { exit !(t < 3) }'; then ok; else fail "$1 refused at once: $(line "$1")"; fi
}

served ip64
refused ip65
served other
served all256
refused all257
# Each `hold` reached its count (the server closed none of them for good).
holds=$(grep '^hold ' "$work/conns" | tr '\n' ' ')
check "held 63+1 from 127.0.0.1, 64 from .2 and .3, 63+1 from .4: $holds" test "$holds" = \
	"hold 127.0.0.1 63 hold 127.0.0.1 1 hold 127.0.0.2 64 hold 127.0.0.3 64 hold 127.0.0.4 63 hold 127.0.0.4 1 "
check "every connection held is still open: $(line alive)" grep -qx 'alive 256 256' "$work/conns"
check "a request once they are closed: $(line after)" grep -qE '^after [0-9.]+ HTTP/1\.1 200 OK$' "$work/conns"
status 200 /items/26
has '<html'
check "the server is still up" kill -0 "$serve_pid"
finish
