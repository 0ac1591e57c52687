#!/usr/bin/env bash
# keikakud under one caller's abuse: a huge batch, a client that pipelines
# requests and never reads, a flood of notifications, reads flooded over many
# connections.  The daemon's memory stays bounded and other users are still
# answered promptly.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/daemon.bash"
setup_users
make_repo
# Under AddressSanitizer, freed memory waits in its quarantine (256 MB): keep it
# small, so that the bounds below measure the daemon and not the sanitizer.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4
start_daemon

# The abusive clients, run as test users: they print what they saw.
cat >"$work/abuse.py" <<'PY'
import json, select, socket, sys, time

def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s

def read_line(s, deadline):
    buf = b""
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        s.settimeout(left)
        try:
            chunk = s.recv(1 << 20)
        except socket.timeout:
            return None
        if not chunk:
            return None
        buf += chunk
    return buf.split(b"\n", 1)[0]

def req(method, id=None, params=None):
    r = {"jsonrpc": "2.0", "method": method}
    if id is not None:
        r["id"] = id
    if params is not None:
        r["params"] = params
    return r

def summary(line):
    if line is None:
        return {"answer": "none"}
    j = json.loads(line)
    if isinstance(j, list):
        return {"answer": "array", "length": len(j)}
    if "error" in j:
        return {"code": j["error"]["code"], "data": j["error"].get("data"), "id": j["id"]}
    return {"result": "ok", "id": j["id"]}

mode, path = sys.argv[1], sys.argv[2]
if mode == "batch":  # batch SOCKET N: N item.list calls in one line
    n = int(sys.argv[3])
    s = connect(path)
    s.sendall(json.dumps([req("item.list", i) for i in range(n)]).encode() + b"\n")
    print(json.dumps(summary(read_line(s, time.monotonic() + 3))))
elif mode == "ones":  # ones SOCKET BYTES: [1,1,...] as long as BYTES
    n = (int(sys.argv[3]) - 3) // 2
    s = connect(path)
    s.sendall(b"[" + b",".join([b"1"] * n) + b"]\n")
    print(json.dumps(summary(read_line(s, time.monotonic() + 3))))
elif mode == "whoami":  # whoami SOCKET: milliseconds for one answer (at most 5 s)
    t = time.monotonic()
    s = connect(path)
    s.sendall(json.dumps(req("whoami", 1)).encode() + b"\n")
    line = read_line(s, t + 5)
    print(round((time.monotonic() - t) * 1000) if line else "timeout")
elif mode == "pipeline":  # pipeline SOCKET N SECONDS: N item.get, never read
    n, seconds = int(sys.argv[3]), float(sys.argv[4])
    data = b"".join(json.dumps(req("item.get", i, {"id": 1 + i % 20})).encode() + b"\n"
                    for i in range(n))
    s = connect(path)
    s.setblocking(False)
    sent, end = 0, time.monotonic() + seconds
    while sent < len(data) and time.monotonic() < end:
        if select.select([], [s], [], 0.05)[1]:
            try:
                sent += s.send(data[sent:sent + 65536])
            except BlockingIOError:
                pass
    time.sleep(max(0, end - time.monotonic()))
    print(sent)
elif mode == "hold":  # hold SOCKET N SECONDS: N idle connections, held open
    n, seconds = int(sys.argv[3]), float(sys.argv[4])
    socks = [connect(path) for _ in range(n)]
    print(len(socks), flush=True)
    time.sleep(seconds)
elif mode == "long":  # long SOCKET: long lines (parsed off the loop) and short ones, in order
    s = connect(path)
    pad = "x" * 200000
    lines = [json.dumps(req("whoami", 1, {"padding": pad})),
             json.dumps(req("status", 2)),
             '{"jsonrpc": "2.0", "id": 3, "method": "whoami", "params": {"padding": "' + pad,
             json.dumps(req("status", 4)),
             json.dumps([req("whoami", 5, {"padding": pad}), req("status", 6)])]
    s.sendall(("\n".join(lines) + "\n").encode())
    out, deadline = [], time.monotonic() + 10
    f = s.makefile("rb")
    for _ in range(5):
        j = json.loads(f.readline())
        if isinstance(j, list):
            out.append("[" + ",".join(sorted(str(x["id"]) + ("ok" if "result" in x else "err")
                                             for x in j)) + "]")
        else:
            out.append(("null" if j["id"] is None else str(j["id"])) +
                       ("ok" if "result" in j else "err%d" % j["error"]["code"]))
    # JSON-RPC answers by id, not in order (a read finishes after a status asked later).
    print(" ".join(sorted(out)))
elif mode == "notify":  # notify SOCKET N: N notifications, then ms for a request
    n = int(sys.argv[3])
    data = b"".join(json.dumps(req("item.get", None, {"id": 1 + i % 20})).encode() + b"\n"
                    for i in range(n))
    s = connect(path)
    s.sendall(data)
    t = time.monotonic()
    s.sendall(json.dumps(req("whoami", 1)).encode() + b"\n")
    line = read_line(s, t + 5)
    print(round((time.monotonic() - t) * 1000) if line else "timeout")
elif mode == "reads":  # reads SOCKET CONNS SECONDS: CONNS connections, each 16 item.list in flight
    conns, seconds = int(sys.argv[3]), float(sys.argv[4])
    line = json.dumps(req("item.list", 1, {"locale": "ja_JP.UTF-8"})).encode() + b"\n"
    socks = [connect(path) for _ in range(conns)]
    waiting = {s: 16 for s in socks}
    bufs = {s: b"" for s in socks}
    counts, errors = {}, set()
    for s in socks:
        s.sendall(line * 16)
    end = time.monotonic() + seconds
    while any(waiting.values()):
        ready = select.select([s for s in socks if waiting[s]], [], [], 5)[0]
        if not ready:
            break  # nothing answered in 5 s
        for s in ready:
            chunk = s.recv(1 << 20)
            if not chunk:
                waiting[s] = 0
                continue
            bufs[s] += chunk
            while b"\n" in bufs[s]:
                answer, bufs[s] = bufs[s].split(b"\n", 1)
                j = json.loads(answer)
                waiting[s] -= 1
                key = "ok" if "result" in j else str(j["error"]["code"])
                counts[key] = counts.get(key, 0) + 1
                if "error" in j:
                    errors.add(json.dumps([j["error"]["code"], j["error"]["message"],
                                           j["error"].get("data")], ensure_ascii=False))
                if time.monotonic() < end:  # another in its place
                    s.sendall(line)
                    waiting[s] += 1
    print(json.dumps({"counts": counts, "unanswered": sum(waiting.values()),
                      "errors": [json.loads(e) for e in sorted(errors)]}, ensure_ascii=False))
PY
chmod 644 "$work/abuse.py"
# restart: a fresh daemon for the next case, so that each case stands alone.
restart() {
	kill -TERM "$daemon_pid"
	for _ in $(seq 1 100); do
		kill -0 "$daemon_pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$daemon_pid" 2>/dev/null; then
		fail "keikakud did not stop within 5 s"
		kill -KILL "$daemon_pid"
	fi
	wait "$daemon_pid" || true
	start_daemon "$@"
}
abuse() {
	local user=$1
	shift
	as "$user" /usr/bin/python3 "$work/abuse.py" "$1" "$sock" "${@:2}"
}
# kb FIELD: the daemon's VmRSS or VmHWM in kB.
kb() {
	awk -v f="$1:" '$1 == f { print $2 }' "/proc/$daemon_pid/status"
}
# during SECONDS USER MODE ARGS...: USER's attack MODE runs in the background
# (what it prints in $work/MODE.out); SECONDS into it, another user's whoami is
# timed ($ms) and the daemon's memory read ($rss0 before the attack, $rss then).
during() {
	local delay=$1 user=$2 mode=$3 pid
	shift 3
	rss0=$(kb VmRSS)
	abuse "$user" "$mode" "$@" >"$work/$mode.out" &
	pid=$!
	sleep "$delay"
	ms=$(abuse kkt_hisho whoami)
	rss=$(kb VmRSS)
	wait "$pid"
}
echo "keikakud at start: VmRSS $(kb VmRSS) kB"

# 2. A batch over the limit is refused whole, at once, and memory stays bounded.
r=$(abuse kkt_guest batch 65)
check "batch of 65: refused ($r)" test "$r" = '{"code": -32006, "data": {"limit": 64}, "id": null}'
r=$(abuse kkt_guest batch 64)
check "batch of 64: answered ($r)" test "$r" = '{"answer": "array", "length": 64}'
r=$(abuse kkt_guest batch 10000)
check "batch of 10,000: refused ($r)" test "$r" = '{"code": -32006, "data": {"limit": 64}, "id": null}'
r=$(abuse kkt_guest ones 1048575)
check "[1,1,...] of 1 MiB: refused ($r)" test "$r" = '{"code": -32006, "data": {"limit": 64}, "id": null}'
hwm=$(kb VmHWM)
echo "after the batches: VmHWM $hwm kB"
check "batches: peak memory under 150 MB ($hwm kB)" test "$hwm" -lt 150000

# 3. A client that pipelines requests and never reads is read no further once
# its answers pile up: the daemon's memory stays bounded, others are answered.
restart
during 1.5 kkt_guest pipeline 200000 3
echo "pipelining: sent $(cat "$work/pipeline.out") bytes; whoami $ms ms; VmRSS $rss0 -> $rss kB"
check "pipelining: another user's whoami within 500 ms ($ms)" test "$ms" != timeout -a "$ms" -lt 500
check "pipelining: memory grew by less than 32 MB ($rss0 -> $rss kB)" test $((rss - rss0)) -lt 32768
check "pipelining: the client was held back ($(cat "$work/pipeline.out") bytes sent)" \
	test "$(cat "$work/pipeline.out")" -lt 4000000

# 4. A flood of notifications: the flooder's next request and another user's are
# answered promptly.
restart
during 0.3 kkt_guest notify 50000
echo "notifications: the flooder's next request $(cat "$work/notify.out") ms; whoami $ms ms"
check "notifications: another user's whoami within 500 ms ($ms)" test "$ms" != timeout -a "$ms" -lt 500
check "notifications: the flooder's next request within 1 s ($(cat "$work/notify.out"))" \
	test "$(cat "$work/notify.out")" != timeout -a "$(cat "$work/notify.out")" -lt 1000

# 5. Idle connections cost little: a connection's 64 KiB read buffer is made
# when it is first read (1,000 of them once took 53 MB before any byte came;
# now 2 MB, 18 MB under ASan).
restart --max-connections 2000 --max-connections-per-user 2000
rss0=$(kb VmRSS)
abuse kkt_guest hold 1000 3 >"$work/hold.out" &
holder=$!
for _ in $(seq 1 100); do [ -s "$work/hold.out" ] && break; sleep 0.05; done
sleep 0.5
rss=$(kb VmRSS)
wait "$holder"
echo "1,000 idle connections: VmRSS $rss0 -> $rss kB"
check "idle connections: $(cat "$work/hold.out") held" test "$(cat "$work/hold.out")" = 1000
check "idle connections: memory grew by less than 32 MB ($rss0 -> $rss kB)" test $((rss - rss0)) -lt 32768

# 6. Long lines are parsed off the loop thread and answered, with the short lines
# around them; a long line that does not parse is a parse error.
restart
r=$(abuse kkt_guest long)
check "long lines answered ($r)" test "$r" = "1ok 2ok 4ok [5ok,6ok] nullerr-32700"

# 7. One user's reads over many connections: each connection keeps its 16
# requests in flight, but the user's reads waiting for a thread are bounded
# across all of them (--max-queued-per-user, 64): the excess is refused in the
# caller's language, and another user's whoami is answered promptly meanwhile.
restart
during 1 kkt_guest reads 16 2
r=$(cat "$work/reads.out")
echo "reads from 16 connections: $r; whoami $ms ms; VmRSS $rss0 -> $rss kB"
ok=$(jget "$r" 'j["counts"].get("ok", 0)')
refused=$(jget "$r" 'j["counts"].get("-32006", 0)')
check "reads: some answered ($ok)" test "$ok" -gt 0
check "reads: the excess refused ($refused)" test "$refused" -gt 0
check "reads: nothing else answered, nothing left unanswered" \
	test "$(jget "$r" 'sorted(j["counts"]) == ["-32006", "ok"] and j["unanswered"] == 0')" = true
check "reads: one refusal, with the limit" \
	test "$(jget "$r" '[(e[0], e[2]) for e in j["errors"]]')" = '[[-32006, {"limit": 64}]]'
check "reads: the refusal in the caller's language" test "$(jget "$r" 'j["errors"][0][1]')" = \
	"「kkt_guest」の読み取りの待ちが多すぎます (64 件まで): 回答を受け取ってから次を送ってください"
check "reads: another user's whoami within 500 ms ($ms)" test "$ms" != timeout -a "$ms" -lt 500
check "reads: memory grew by less than 32 MB ($rss0 -> $rss kB)" test $((rss - rss0)) -lt 32768

check "daemon still up" kill -0 "$daemon_pid"
stop_daemon
finish
