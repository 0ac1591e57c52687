#!/usr/bin/env bash
# keikaku serve against slowloris: a connection has the idle timeout (15 s) for a request's
# line and headers in all, from its start or from its previous answer, however often it
# sends a line.  At once, on the example plan:
# - connections that send a header line every 2 s and never end their headers are closed
#   15 to 17 s after they opened (libmicrohttpd's idle timeout alone never closes them);
# - a keep-alive connection answered once, then trickling its next request, is closed 15 to
#   17 s after that answer;
# - a request whose headers arrive over 6 s, in time, is answered 200, and so is one made
#   meanwhile on a fresh connection.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/serve.bash"

repo=$(example_repo)
trap 'stop_serves; rm -rf "$work" "$HOME"' EXIT
start_serve

timeout 60 /usr/bin/python3 - "${base##*:}" >"$work/times" 2>&1 <<'PY' || true
import socket, sys, threading, time

port = int(sys.argv[1])
results = {}

def closed(s):
    """True when the server has closed the connection (reads end of file or a reset)."""
    s.setblocking(False)
    try:
        return s.recv(65536) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.setblocking(True)

def trickle(name, s, start, lines=12, gap=2.0):
    """Sends a header line every `gap` s; notes when the server closed the connection."""
    for i in range(lines):
        time.sleep(gap)
        if closed(s):
            results[name] = "closed %.1f" % (time.monotonic() - start)
            return
        try:
            s.sendall(b"X-Slow-%d: x\r\n" % i)
        except OSError:
            results[name] = "closed %.1f" % (time.monotonic() - start)
            return
    results[name] = "open %.1f" % (time.monotonic() - start)

def slow(name):
    start = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /items/26 HTTP/1.1\r\nHost: x\r\n")
    trickle(name, s, start)

def keepalive(name):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /items/26 HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"</html>" not in data:
        data += s.recv(65536)
    start = time.monotonic()
    s.sendall(b"GET /items/27 HTTP/1.1\r\nHost: x\r\n")
    trickle(name, s, start)

def in_time(name):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /items/26 HTTP/1.1\r\nHost: x\r\n")
    for i in range(6):
        time.sleep(1)
        s.sendall(b"X-Slow-%d: x\r\n" % i)
    s.sendall(b"Connection: close\r\n\r\n")
    s.settimeout(10)
    results[name] = s.recv(100).split(b"\r\n")[0].decode()

def fresh(name):
    time.sleep(5)
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /items/26 HTTP/1.0\r\n\r\n")
    s.settimeout(10)
    results[name] = s.recv(100).split(b"\r\n")[0].decode()

threads = [threading.Thread(target=slow, args=("slow%d" % i,)) for i in range(3)]
threads += [threading.Thread(target=keepalive, args=("keepalive",)),
            threading.Thread(target=in_time, args=("in_time",)),
            threading.Thread(target=fresh, args=("fresh",))]
for t in threads:
    t.start()
for t in threads:
    t.join()
for name in sorted(results):
    print(name, results[name])
PY
sed 's/^/  /' "$work/times"

# within NAME: NAME's connection was closed 15 to 17 s after its clock started.
within() {
	local t
	t=$(awk -v n="$1" '$1 == n && $2 == "closed" { print $3 }' "$work/times")
	if [ -n "$t" ] && awk -v t="$t" 'BEGIN { exit !(t >= 14.5 && t <= 17.5) }'; then ok; else fail "$1: $(grep "^$1 " "$work/times" || cat "$work/times")"; fi
}
within slow0
within slow1
within slow2
within keepalive
check "a request in time is answered: $(grep '^in_time ' "$work/times")" grep -q '^in_time HTTP/1.1 200 OK' "$work/times"
check "a fresh connection meanwhile: $(grep '^fresh ' "$work/times")" grep -q '^fresh HTTP/1.1 200 OK' "$work/times"
status 200 /items/26
check "the server is still up" kill -0 "$serve_pid"
finish
