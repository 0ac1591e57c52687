#!/usr/bin/env bash
# keikaku serve's connection limits (docs/deploy.md): at most 256 open connections, 64 from
# one address, beyond which a connection is closed at once, so that one client cannot take
# every thread (a thread for each connection) and the server stays up.  On the example
# plan, with idle connections held open from loopback addresses (127.0.0.1 to .6, which
# Linux routes without setup), all within a few seconds, well inside the 15 s idle timeout
# (a connection counts as held once a keep-alive request on it is answered in full, which
# shows that the server counts it and restarts its clock):
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

def answered(s):
    """Reads the whole answer to the keep-alive request sent on s (to its Content-Length):
    True when it is a 200 and the server keeps the connection open.  That proves the server
    counts the connection (one it refuses is closed unanswered), and restarts the clock of
    its 15 s deadline for a request's line and headers."""
    s.settimeout(5)
    try:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                return False
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        fields = {k.strip().lower(): v.strip().lower()
                  for k, _, v in (l.partition(b":") for l in lines[1:])}
        if not lines[0].startswith(b"HTTP/1.1 200 ") or fields.get(b"connection") == b"close":
            return False
        length = int(fields[b"content-length"])
        while len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                return False
            body += chunk
        return len(body) == length
    except (OSError, KeyError, ValueError):
        return False
    finally:
        s.settimeout(None)

def hold(src, n):
    """Holds n more idle connections from src, each once a keep-alive request on it is
    answered; replaces any the server closed unanswered (while a connection just answered
    was still counted); prints how many it holds."""
    mine = []
    for _ in range(20):
        new = [connect(src) for _ in range(n - len(mine))]
        for s in new:
            try:
                s.sendall(b"GET /items/26 HTTP/1.1\r\nHost: x\r\n\r\n")
            except OSError:
                pass
        for s in new:
            if answered(s):
                mine.append(s)
            else:
                s.close()
        if len(mine) == n:
            break
        time.sleep(0.2)
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

# The held phase: from before the first connection held to the last look at them.
held_since = time.monotonic()
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
print("alive", sum(alive(s) for s in held), len(held), "%.2f" % (time.monotonic() - held_since))
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
# (with the seconds the held phase took, well under the 15 s deadline)
check "every connection held is still open: $(line alive)" grep -qE '^alive 256 256 [0-9.]+$' "$work/conns"
check "a request once they are closed: $(line after)" grep -qE '^after [0-9.]+ HTTP/1\.1 200 OK$' "$work/conns"
status 200 /items/26
has '<html'
check "the server is still up" kill -0 "$serve_pid"
finish
