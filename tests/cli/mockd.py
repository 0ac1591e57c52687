#!/usr/bin/python3
"""mockd: a stand-in for keikakud in the CLI tests.

    mockd.py SOCKET SCENARIO LOG [--ready FILE] [--timeout SECONDS]

Listens on the Unix socket SOCKET and answers JSON-RPC requests, one JSON
object per line, as the scenario says.  SCENARIO is a JSON file holding a
list of steps, taken in order, one per request:

    {"expect": {"method": "item.get", "params": {"id": 26}},
     "reply": {"result": {...}}}

"expect" is matched against the request: the same method, and "params"
containing the given members (recursively; lists must be equal).  "reply"
is one of {"result": X}, {"error": {"code", "message", "data"?}} (sent
with the request's id, or with "id" when the reply gives one), {"raw":
"TEXT"} (sent as the line TEXT) or {"close": true} (the connection is
closed without an answer, as when it is reset).  Anywhere in the scenario,
{"$include": "PATH"} stands for the JSON in the file at PATH (relative to
the scenario's directory), and {"$include_text": "PATH"} for its text as a
string.

Every request line received is appended to LOG as it came.  mockd touches
the --ready file once it listens, and exits when the scenario is used up
and the client has gone (status 0), or when a request does not match its
step, comes after the last one or the --timeout passes (status 1, with the
reason on stderr).
"""

import argparse
import json
import os
import socket
import sys
import time


def include(value, base):
    if isinstance(value, dict):
        if set(value) == {"$include"}:
            with open(os.path.join(base, value["$include"]), encoding="utf-8") as f:
                return include(json.load(f), base)
        if set(value) == {"$include_text"}:
            with open(os.path.join(base, value["$include_text"]), encoding="utf-8") as f:
                return f.read()
        return {k: include(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [include(v, base) for v in value]
    return value


def contains(expected, got):
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(
            k in got and contains(v, got[k]) for k, v in expected.items())
    return expected == got and type(expected) is type(got)


def dump(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Mock:
    def __init__(self, steps, log, deadline):
        self.steps = steps
        self.next = 0
        self.log = log
        self.deadline = deadline
        self.failures = []

    def fail(self, why):
        self.failures.append(why)
        print("mockd: " + why, file=sys.stderr)

    def answer(self, line):
        """Returns the bytes to send for one request line, or None to hang up."""
        with open(self.log, "ab") as f:
            f.write(line + b"\n")
        try:
            request = json.loads(line)
            rid = request.get("id")
        except (ValueError, AttributeError):
            self.fail("not a JSON object: %r" % line)
            return (dump({"jsonrpc": "2.0", "id": None,
                          "error": {"code": -32700, "message": "parse error"}}) + "\n").encode()
        if self.next >= len(self.steps):
            self.fail("request after the last step: " + line.decode())
            return (dump({"jsonrpc": "2.0", "id": rid,
                          "error": {"code": -32603, "message": "mockd: no more steps"}})
                    + "\n").encode()
        step = self.steps[self.next]
        expect = step.get("expect", {})
        if request.get("method") != expect.get("method", request.get("method")) or \
                not contains(expect.get("params", {}), request.get("params", {})):
            self.fail("step %d expects %s, got %s" % (self.next + 1, dump(expect), line.decode()))
            return (dump({"jsonrpc": "2.0", "id": rid,
                          "error": {"code": -32603, "message": "mockd: unexpected request"}})
                    + "\n").encode()
        self.next += 1
        reply = step["reply"]
        if reply.get("close"):
            return None
        if "raw" in reply:
            return (reply["raw"] + "\n").encode()
        response = {"jsonrpc": "2.0", "id": reply.get("id", rid)}
        if "result" in reply:
            response["result"] = reply["result"]
        else:
            response["error"] = reply["error"]
        return (dump(response) + "\n").encode()

    def serve(self, conn):
        buf = b""
        conn.settimeout(max(0.1, self.deadline - time.monotonic()))
        while True:
            try:
                data = conn.recv(65536)
            except socket.timeout:
                self.fail("timed out waiting for a request")
                return
            except ConnectionResetError:
                return
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                out = self.answer(line)
                if out is None:
                    return
                conn.sendall(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("scenario")
    ap.add_argument("log")
    ap.add_argument("--ready")
    ap.add_argument("--timeout", type=float, default=20)
    args = ap.parse_args()

    with open(args.scenario, encoding="utf-8") as f:
        steps = include(json.load(f), os.path.dirname(os.path.abspath(args.scenario)))
    open(args.log, "wb").close()
    mock = Mock(steps, args.log, time.monotonic() + args.timeout)

    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(args.socket)
    server.listen(8)
    if args.ready:
        open(args.ready, "w").close()
    try:
        while mock.next < len(mock.steps) and not mock.failures:
            remaining = mock.deadline - time.monotonic()
            if remaining <= 0:
                mock.fail("timed out with %d of %d steps left"
                          % (len(mock.steps) - mock.next, len(mock.steps)))
                break
            server.settimeout(remaining)
            try:
                conn, _ = server.accept()
            except socket.timeout:
                continue
            with conn:
                mock.serve(conn)
    finally:
        server.close()
        os.unlink(args.socket)
    return 1 if mock.failures else 0


if __name__ == "__main__":
    sys.exit(main())
