#!/usr/bin/python3
"""A small client for keikakud's socket, for tests and benchmarks.

  rpc.py SOCKET [LINE...]       send each LINE (or stdin's lines, as raw bytes)
                                and print one response line per line sent
  rpc.py SOCKET --expect N ...  read N response lines instead
  rpc.py SOCKET --call METHOD [JSON-PARAMS]
                                send one request and print its result, or its
                                error as {"error": ...}; exit 1 on an error
  rpc.py SOCKET --updates N --item ID [--field F]
                                make N item.update calls in a row, each on the
                                head the previous one returned; print
                                "N acknowledged" (and, when the daemon goes
                                away, the last commit it answered); exit 3
                                then
  rpc.py SOCKET --burst         send 140 item.update calls at once, on fields
                                that do not overlap (results and revised
                                schedules of items 1-35, 2021 and 2022), all on
                                the same base; read their answers and print
                                their codes ("ok" for a commit) with counts
  rpc.py SOCKET --stop-during PID
                                the same 140 calls, then SIGTERM to PID and
                                whoami on a second connection until it is not
                                answered as usual; read every answer until the
                                daemon closes, print the counts as --burst
                                does, then how whoami ended
The daemon tests run it as different Unix users through setpriv.
"""
import json
import os
import signal
import socket
import sys


class Client:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.settimeout(120)
        self.buf = b""
        self.next_id = 1

    def send_raw(self, data):
        self.sock.sendall(data)

    def read_line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def call(self, method, params=None):
        req = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        self.next_id += 1
        if params is not None:
            req["params"] = params
        self.send_raw(json.dumps(req, ensure_ascii=False).encode() + b"\n")
        line = self.read_line()
        if line is None:
            raise EOFError("connection closed")
        return json.loads(line)


def main():
    args = sys.argv[1:]
    path = args.pop(0)
    if args and args[0] == "--call":
        client = Client(path)
        params = json.loads(args[2]) if len(args) > 2 else None
        resp = client.call(args[1], params)
        if "error" in resp:
            print(json.dumps({"error": resp["error"]}, ensure_ascii=False, sort_keys=True))
            return 1
        print(json.dumps(resp["result"], ensure_ascii=False, sort_keys=True))
        return 0
    if args and args[0] == "--updates":
        n = int(args[1])
        item = int(args[args.index("--item") + 1])
        tag = args[args.index("--tag") + 1] if "--tag" in args else "u"
        client = Client(path)
        head = client.call("item.get", {"id": item})["result"]["commit"]
        acked = 0
        for i in range(n):
            try:
                resp = client.call("item.update", {
                    "id": item, "base": head,
                    "patch": {"years": {"2021": {"result": "%s %d" % (tag, i)}}},
                    "reason": "load test"})
            except (OSError, EOFError, ValueError):
                # The daemon went away (a test kills it): what was answered, and the last commit.
                print("%d acknowledged, then the connection was lost; last %s" % (acked, head))
                return 3
            if "error" in resp:
                print(json.dumps(resp["error"], ensure_ascii=False), file=sys.stderr)
                return 1
            head = resp["result"]["commit"]
            acked += 1
        print("%d acknowledged" % acked)
        return 0
    if args and args[0] == "--burst":
        return burst(path)
    if args and args[0] == "--stop-during":
        return stop_during(path, int(args[1]))
    expect = None
    if args and args[0] == "--expect":
        expect = int(args[1])
        args = args[2:]
    if args:
        lines = [a.encode("utf-8", "surrogateescape") for a in args]
    else:
        lines = sys.stdin.buffer.read().split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
    client = Client(path)
    client.send_raw(b"".join(l + b"\n" for l in lines))
    want = len(lines) if expect is None else expect
    for _ in range(want):
        line = client.read_line()
        if line is None:
            return 1
        sys.stdout.write(line.decode("utf-8") + "\n")
    return 0


def code_of(line):
    resp = json.loads(line) if isinstance(line, bytes) else line
    if "error" in resp:
        return str(resp["error"]["code"])
    return "ok" if resp["result"].get("commit") else "no-op"


def send_disjoint_updates(client, tag):
    """Sends 140 item.update calls at once on fields that do not overlap, all on the head."""
    head = client.call("item.get", {"id": 1})["result"]["commit"]
    requests = []
    for item in range(1, 36):
        for year in ("2021", "2022"):
            for field in ("result", "revised"):
                requests.append({
                    "jsonrpc": "2.0", "id": len(requests) + 1, "method": "item.update",
                    "params": {"id": item, "base": head, "reason": tag,
                               "patch": {"years": {year: {field: "%s %s %s" % (tag, year, field)}}}}})
    client.send_raw(b"".join(json.dumps(r).encode() + b"\n" for r in requests))
    return len(requests)


def print_counts(answers):
    """Prints the answers' codes ("ok" for a commit) with their counts."""
    counts = {}
    for line in answers:
        code = code_of(line)
        counts[code] = counts.get(code, 0) + 1
    print(" ".join("%s=%d" % (k, counts[k]) for k in sorted(counts)))


def burst(path):
    """The 140 disjoint updates at once; every answer read (see the usage)."""
    client = Client(path)
    n = send_disjoint_updates(client, "burst")
    answers = []
    for _ in range(n):
        line = client.read_line()
        if line is None:
            break
        answers.append(line)
    print_counts(answers)
    return 0


def stop_during(path, pid):
    """The 140 disjoint updates at once, then SIGTERM (see the usage)."""
    writes, probe = Client(path), Client(path)
    send_disjoint_updates(writes, "stop")
    answers = []
    # The signal and a first whoami reach the daemon together, while it is stopped: that
    # whoami is read before the queued writes can all be done, however slowly this process
    # is scheduled on a busy machine.
    os.kill(pid, signal.SIGSTOP)
    os.kill(pid, signal.SIGTERM)
    probe.send_raw(b'{"jsonrpc": "2.0", "id": 0, "method": "whoami"}\n')
    os.kill(pid, signal.SIGCONT)
    # Answered as usual until the daemon has taken the signal in, then refused.
    whoami = "ok"
    line = probe.read_line()
    while whoami == "ok":
        try:
            if line is None:
                raise EOFError("connection closed")
            resp = json.loads(line)
            whoami = str(resp["error"]["code"]) if "error" in resp else "ok"
            if whoami == "ok":
                probe.send_raw(b'{"jsonrpc": "2.0", "id": 1, "method": "whoami"}\n')
                line = probe.read_line()
        except (EOFError, OSError):
            whoami = "closed"
    while True:
        line = writes.read_line()
        if line is None:
            break
        answers.append(line)
    print_counts(answers)
    print("whoami=%s" % whoami)
    return 0


if __name__ == "__main__":
    sys.exit(main())
