#!/usr/bin/env bash
# keikakud's JSON-RPC framing: every malformed input gets the right error, and
# the daemon stays up for this client and every other.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/daemon.bash"
setup_users
make_repo
start_daemon --max-line 4096 --max-connections-per-user 3 --idle-timeout 2

# send USER LINE...: one connection, one response line per line sent.
send() {
	local user=$1
	shift
	as "$user" /usr/bin/python3 "$rpc_py" "$sock" "$@"
}
code_of() {
	jget "$1" 'j["error"]["code"] if "error" in j else j[0]["error"]["code"]'
}

alive() {
	local r
	r=$(send kkt_guest '{"jsonrpc": "2.0", "id": 1, "method": "status"}')
	[ "$(jget "$r" 'j["result"]["head"]')" = "$(git -C "$repo" rev-parse main)" ]
}

# Parse errors.
expect 0 '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error: line 1, column 12: unexpected end of input"}}' "" \
	-- send kkt_guest '{"jsonrpc":'
r=$(printf '{"jsonrpc": "2.0", "id": 1, "method": "st\xffatus"}\n' | as kkt_guest /usr/bin/python3 "$rpc_py" "$sock")
check "invalid UTF-8: parse error ($r)" test "$(code_of "$r")" = -32700
check "invalid UTF-8 named" sh -c "echo '$r' | grep -q 'invalid UTF-8'"
r=$(send kkt_guest '{"jsonrpc": "2.0", "id": 1, "id": 2, "method": "status"}')
check "duplicate key: parse error" test "$(code_of "$r")" = -32700
check "duplicate key named" test "$(jget "$r" 'j["error"]["message"]')" = "parse error: line 1, column 29: duplicate key 'id'"
deep=$(/usr/bin/python3 -c 'print("[" * 100 + "]" * 100)')
r=$(send kkt_guest "$deep")
check "too deep: parse error" test "$(code_of "$r")" = -32700
check "too deep named" test "$(jget "$r" 'j["error"]["message"]')" = "parse error: line 1, column 65: nesting is deeper than 64 levels"
long=$(/usr/bin/python3 -c 'print("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"status\", \"params\": {\"x\": \"" + "a" * 5000 + "\"}}")')
r=$(send kkt_guest "$long" '{"jsonrpc": "2.0", "id": 2, "method": "status"}')
check "long line: limit error" test "$(echo "$r" | head -1 | jget "$(echo "$r" | head -1)" 'j["error"]["code"]')" = -32006
check "long line: message" test "$(jget "$(echo "$r" | head -1)" 'j["error"]["message"]')" = "request line is longer than 4096 bytes"
check "the next line on the same connection still works" test "$(jget "$(echo "$r" | tail -1)" 'j["id"]')" = 2

# Invalid requests, methods and params.
expect 0 '{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"method not found: '"'"'frob'"'"'"}}' "" \
	-- send kkt_guest '{"jsonrpc": "2.0", "id": 7, "method": "frob"}'
r=$(send kkt_guest '{"jsonrpc": "1.0", "id": 3, "method": "status"}')
check "wrong version: invalid request" test "$(code_of "$r")" = -32600
r=$(send kkt_guest '{"jsonrpc": "2.0", "id": {"a": 1}, "method": "status"}')
check "object id: invalid request" test "$(code_of "$r")" = -32600
r=$(send kkt_guest '42')
check "not an object: invalid request" test "$(code_of "$r")" = -32600
r=$(send kkt_guest '[]')
check "empty batch: invalid request" test "$(code_of "$r")" = -32600
r=$(send kkt_guest '{"jsonrpc": "2.0", "id": 4, "method": "item.get", "params": {"id": "26"}}')
check "string id param: invalid params" test "$(code_of "$r")" = -32602
check "invalid params message" test "$(jget "$r" 'j["error"]["message"]')" = "invalid params: 'id' must be an item id (1 to 99999)"
r=$(send kkt_guest '{"jsonrpc": "2.0", "id": 5, "method": "item.get", "params": [26]}')
check "array params: invalid params" test "$(code_of "$r")" = -32602
# JSON-RPC 2.0's own examples: an unknown method is -32601 whatever its params; params
# that are neither an array nor an object make the request invalid.
r=$(send kkt_guest '{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}')
check "unknown method, array params: method not found" test "$(code_of "$r")" = -32601
r=$(send kkt_guest '{"jsonrpc": "2.0", "method": "foobar", "id": "1"}')
check "unknown method: method not found" test "$(code_of "$r")" = -32601
for p in '"bar"' null 42 true; do
	r=$(send kkt_guest '{"jsonrpc": "2.0", "method": "whoami", "params": '"$p"', "id": 7}')
	check "params $p: invalid request" test "$(code_of "$r")" = -32600
	check "params $p: named" test "$(jget "$r" 'j["error"]["message"]')" = "invalid request: 'params' must be an object or an array"
	check "params $p: the id kept" test "$(jget "$r" 'j["id"]')" = 7
done
r=$(send kkt_hisho '{"jsonrpc": "2.0", "id": 6, "method": "item.update", "params": {"id": 25, "base": "abc", "patch": {}}}')
check "short base: invalid params" test "$(code_of "$r")" = -32602
r=$(send kkt_hisho '{"jsonrpc": "2.0", "id": 6, "method": "item.update", "params": {"id": 25, "base": "'"$(head_of)"'", "patch": [1]}}')
check "array patch: invalid params" test "$(code_of "$r")" = -32602
r=$(send kkt_hisho '{"jsonrpc": "2.0", "id": 6, "method": "item.update", "params": {"id": 25, "base": "'"$(head_of)"'", "patch": {}, "dry_run": "yes"}}')
check "string dry_run: invalid params" test "$(code_of "$r")" = -32602
check "daemon alive after all that" alive

# Batches and notifications.
r=$(send kkt_guest --expect 1 '[{"jsonrpc": "2.0", "id": 1, "method": "status"}, {"jsonrpc": "2.0", "method": "status"}, {"jsonrpc": "2.0", "id": 2, "method": "frob"}, 17]')
check "batch answers requests, not notifications" test "$(jget "$r" 'sorted(str(x["id"]) for x in j)')" = '["1", "2", "None"]'
check "batch error inside" test "$(jget "$r" '[x["error"]["code"] for x in j if x["id"] == 2][0]')" = -32601
r=$(send kkt_guest --expect 1 '{"jsonrpc": "2.0", "method": "status"}' '{"jsonrpc": "2.0", "id": 9, "method": "status"}')
check "a notification gets no answer" test "$(jget "$r" 'j["id"]')" = 9
r=$(send kkt_guest --expect 1 '[{"jsonrpc": "2.0", "method": "status"}, {"jsonrpc": "2.0", "method": "whoami"}]' '{"jsonrpc": "2.0", "id": 10, "method": "status"}')
check "a batch of notifications gets no answer" test "$(jget "$r" 'j["id"]')" = 10

# Limits on connections per user: the fourth is refused, the others unharmed.
as kkt_guest /usr/bin/python3 - "$sock" <<'PY' >"$work/conns.out"
import json, socket, sys
socks = []
for i in range(4):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); socks.append(s)
over = socks[3].recv(4096).decode()
print(json.loads(over)["error"]["code"])
socks[0].sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "status"}\n')
print("result" in json.loads(socks[0].recv(65536)))
PY
check "fourth connection refused" test "$(head -1 "$work/conns.out")" = -32006
check "others keep working" test "$(tail -1 "$work/conns.out")" = True
check "another user is not limited" alive

# Idle connections are told why, then closed; the daemon stays up.
as kkt_guest /usr/bin/python3 - "$sock" <<'PY' >"$work/idle.out"
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10)
t = time.time(); data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
lines = data.decode().splitlines()
print("closed" if time.time() - t >= 1.5 else "early")
print(json.dumps(json.loads(lines[0])) if len(lines) == 1 else "lines: %d" % len(lines))
PY
check "idle connection closed" test "$(head -1 "$work/idle.out")" = closed
check "idle connection told why" test "$(tail -1 "$work/idle.out")" = \
	'{"jsonrpc": "2.0", "id": null, "error": {"code": -32006, "message": "idle for 2 s: the connection is closed", "data": {"limit": 2}}}'

# The limits' errors in the client's language: the line's "locale" (a batch's
# first; the first bytes of a line too long to parse), else the latest one a
# line on the connection named, else the latest one the user named on any
# connection; without any, in English.  kkt_guest never names one.
# batch_of N [LOCALE]: a batch of N status requests, the second naming LOCALE.
batch_of() {
	/usr/bin/python3 -c 'import json, sys
print(json.dumps([dict({"jsonrpc": "2.0", "id": i, "method": "status"},
                       **({"params": {"locale": sys.argv[2]}} if i == 1 and len(sys.argv) > 2 else {}))
                  for i in range(int(sys.argv[1]))], separators=(",", ":")))' "$@"
}
r=$(send kkt_kominkan "$(batch_of 65 ja_JP.UTF-8)")
check "batch over the limit, ja" test "$(jget "$r" '[j["error"]["message"], j["error"]["data"]]')" = \
	'["65 件のリクエストのバッチは多すぎます (64 件まで)", {"limit": 64}]'
r=$(send kkt_guest "$(batch_of 65)")
check "batch over the limit, C" test "$(jget "$r" 'j["error"]["message"]')" = \
	"a batch of 65 requests is more than 64"
ja_long=$(/usr/bin/python3 -c 'print("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"status\", \"params\": {\"locale\": \"ja_JP.UTF-8\", \"x\": \"" + "a" * 5000 + "\"}}")')
r=$(send kkt_nurse "$ja_long")
check "long line naming ja in its first bytes" test "$(jget "$r" 'j["error"]["message"]')" = \
	"リクエストの行が 4096 バイトを超えています"
r=$(send kkt_dx '{"jsonrpc": "2.0", "id": 1, "method": "status", "params": {"locale": "ja_JP.UTF-8"}}' "$long")
check "long line after a ja request on the connection" \
	test "$(jget "$(echo "$r" | tail -1)" 'j["error"]["message"]')" = "リクエストの行が 4096 バイトを超えています"
# kkt_kominkan named ja above: its next connections' errors are in Japanese.
cat >"$work/over.py" <<'PY'
import json, socket, sys
socks = []
for i in range(4):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); socks.append(s)
print(json.loads(socks[3].recv(4096).decode())["error"]["message"])
PY
chmod 644 "$work/over.py"
check "connection over the user's limit, ja" \
	test "$(as kkt_kominkan /usr/bin/python3 "$work/over.py" "$sock")" = \
	"uid $(id -u kkt_kominkan) の接続が多すぎます (3 件まで)"
check "connection over the user's limit, C" \
	test "$(as kkt_guest /usr/bin/python3 "$work/over.py" "$sock")" = \
	"too many connections for uid $(id -u kkt_guest) (at most 3)"
as kkt_kominkan /usr/bin/python3 - "$sock" <<'PY' >"$work/idle_ja.out"
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10)
print(json.loads(s.makefile().readline())["error"]["message"])
PY
check "idle connection told why, ja" test "$(cat "$work/idle_ja.out")" = \
	"2 秒間何も送られなかったため、接続を閉じます"
check "daemon alive at the end" alive
stop_daemon
check "clean stop" true

# Items per submission.
start_daemon --max-items 2
r=$(call kkt_dx plan.submit "{\"base\": \"$(head_of)\", \"items\": [{\"id\": 26, \"patch\": {}}, {\"id\": 27, \"patch\": {}}, {\"id\": 31, \"patch\": {}}]}") || true
check "too many items: limit" test "$(jget "$r" 'j["error"]["code"]')" = -32006
check "too many items: message" test "$(jget "$r" 'j["error"]["message"]')" = "a submission may hold at most 2 items"
r=$(call kkt_dx plan.submit "{\"locale\": \"ja_JP.UTF-8\", \"base\": \"$(head_of)\", \"items\": [{\"id\": 26, \"patch\": {}}, {\"id\": 27, \"patch\": {}}, {\"id\": 31, \"patch\": {}}]}") || true
check "too many items: message, ja" test "$(jget "$r" 'j["error"]["message"]')" = "一度に提出できる項目は 2 件までです"
stop_daemon

# Connections in all: the fourth is refused, whoever it is, and the others work;
# kkt_nurse is told so in the language it named before.
start_daemon --max-connections 3
call kkt_nurse whoami '{"locale": "ja_JP.UTF-8"}' >/dev/null
holders=()
for user in kkt_hisho kkt_dx kkt_guest kkt_nurse; do
	as "$user" /usr/bin/python3 - "$sock" >"$work/hold.$user" 2>"$work/hold.$user.msg" <<'PY' &
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10)
try:
    s.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "whoami"}\n')
except BrokenPipeError:
    pass # refused: the daemon has said why and closed
answer = json.loads(s.makefile().readline())
print(answer["error"]["code"] if "error" in answer else "ok", end="", flush=True)
print(answer["error"]["message"] if "error" in answer else "", file=sys.stderr, flush=True)
time.sleep(3) # keep the connection while the others come
PY
	holders+=($!)
	sleep 0.3 # one after the other: the last one is over the limit
done
wait "${holders[@]}"
check "connections in all: three answered" test "$(cat "$work"/hold.kkt_{hisho,dx,guest})" = okokok
check "connections in all: the fourth refused" test "$(cat "$work/hold.kkt_nurse")" = -32006
check "connections in all: the refusal in Japanese" \
	test "$(cat "$work/hold.kkt_nurse.msg")" = "接続が多すぎます (3 件まで)"
check "connections in all: daemon alive" alive
stop_daemon

# One user's flood of connections, each refused over that user's limit, fills
# nothing for the others: only admitted connections count towards the total.
start_daemon --max-connections 8 --max-connections-per-user 3
as kkt_guest /usr/bin/python3 - "$sock" <<'PY' >"$work/flood.out" &
import socket, sys, time
end, opened = time.time() + 3, 0
print("flooding", flush=True)
while time.time() < end:
    socks = []
    for i in range(100):
        s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); socks.append(s)
    opened += len(socks)
    for s in socks:
        s.close()
print(opened)
PY
flooder=$!
for _ in $(seq 1 100); do [ -s "$work/flood.out" ] && break; sleep 0.05; done
answered=0
for _ in $(seq 1 10); do
	r=$(call kkt_hisho whoami) || true
	[ "$(jget "$r" 'j.get("user")')" = kkt_hisho ] && answered=$((answered + 1))
done
wait "$flooder"
check "another user is admitted during a flood of $(tail -1 "$work/flood.out") connections ($answered of 10)" test "$answered" = 10
stop_daemon

# systemd: socket activation and sd_notify.
notify=$work/notify.sock
/usr/bin/python3 - "$notify" >"$work/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
seen = []
while True:
    msg = s.recv(4096).decode()
    for line in msg.split("\n"):
        key = line.split("=", 1)[0]
        if key and key not in seen:
            seen.append(key)
            print(key, flush=True)
    if "STOPPING=1" in msg:
        break
PY
listener=$!
for _ in $(seq 1 50); do [ -S "$notify" ] && break; sleep 0.05; done
rm -f "$sock"
systemd-socket-activate -l "$sock" -E NOTIFY_SOCKET="$notify" -E WATCHDOG_USEC=400000 \
	"$KEIKAKUD" --repo "$repo" --socket "$work/unused.sock" 2>>"$daemon_log" &
daemon_pid=$!
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.05; done
chmod 666 "$sock"
check "socket activation: answers on the passed socket" alive
check "activation: no socket of its own" test ! -e "$work/unused.sock"
sleep 0.5
stop_daemon
wait "$listener" || true
check "sd_notify READY, STATUS, WATCHDOG, STOPPING ($(tr '\n' ' ' <"$work/notify.out"))" \
	test "$(sort "$work/notify.out" | tr '\n' ' ')" = "READY STATUS STOPPING WATCHDOG "
finish
