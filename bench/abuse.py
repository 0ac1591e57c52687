#!/usr/bin/python3
"""abuse.py - one caller's attacks on keikakud, and what everyone else sees.

  abuse.py --keikakud PATH --keikaku PATH --example DIR [--probe-user USER]
           [--rounds N]

Not a test: it prints figures (docs/performance.md, "Abuse").  It makes a
plan repository from the example in a temporary directory, starts keikakud
on it, and runs the outside campaign's attacks one phase at a time:

  batch      lines holding a JSON-RPC batch of 10,000 item.list calls
  array      1 MiB lines holding [1,1,...] (524,287 elements)
  pipeline   one connection sends 200,000 item.get and never reads
  notify     100,000 notifications, then one request from the same client
  connect    3,000 connections, each sending a request and closing unread
  answers    large answers read as they come: batches of 64 item.list
  queries    audit queries read as they come: batches of 8 history.log of
             the whole plan (each answer ~220 KB), which fill the reads' memos

Each phase repeats its attack for at least 2 s.  Meanwhile a probe asks
whoami every 20 ms on a new connection (as
--probe-user, through setpriv, when run as root; else as the caller) and
keikakud's RSS is sampled every 10 ms.  For each phase it prints the peak
RSS during the phase, the RSS once the daemon has settled after it (it
gives freed memory back on its 10-second ticker), and the probe's
whoami latency p50 / p99 / max; and the verdict against issue 13's targets:
peak under 150 MiB, back under 64 MiB after, whoami p99 under 100 ms.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

PEAK_MAX_KIB = 150 * 1024
AFTER_MAX_KIB = 64 * 1024
P99_MAX_MS = 100.0
PHASE_MIN_S = 2.0


def rss_kib(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    """keikakud's RSS every 10 ms; peak() since the last reset()."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.lock, self.max, self.stop = pid, threading.Lock(), 0, False

    def run(self):
        while not self.stop:
            try:
                v = rss_kib(self.pid)
            except OSError:
                return
            with self.lock:
                self.max = max(self.max, v)
            time.sleep(0.01)

    def reset(self):
        with self.lock:
            self.max = rss_kib(self.pid)

    def peak(self):
        with self.lock:
            return self.max


# A blocking connect(), as keikaku's: a full backlog makes it wait its turn.
PROBE = r'''
import socket, sys, time
path = sys.argv[1]
while True:
    t = time.monotonic()
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(path); s.settimeout(10)
        s.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "whoami"}\n')
        ok = b'"result"' in s.makefile("rb").readline()
        s.close()
    except OSError:
        ok = False
    print("%.6f %.3f %d" % (time.time(), (time.monotonic() - t) * 1000, ok), flush=True)
    time.sleep(0.02)
'''


class Probe:
    """The other user's whoami, every 20 ms, in a process of its own."""

    def __init__(self, sock, user):
        cmd = [sys.executable, "-c", PROBE, sock]
        if user and os.geteuid() == 0:
            import pwd
            pw = pwd.getpwnam(user)
            cmd = ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid,
                   "--clear-groups"] + cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        self.samples, self.lock = [], threading.Lock()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        for line in self.proc.stdout:
            when, ms, ok = line.split()
            with self.lock:
                self.samples.append((float(when), float(ms), ok == "1"))

    def between(self, t0, t1):
        with self.lock:
            return [(ms, ok) for when, ms, ok in self.samples if t0 <= when <= t1]

    def close(self):
        self.proc.kill()
        self.proc.wait()


def connect(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    return s


def drain(s, seconds):
    """Reads what the daemon sends for up to `seconds`, or until it closes."""
    s.settimeout(0.5)
    end, n = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        try:
            chunk = s.recv(1 << 20)
        except socket.timeout:
            continue
        except OSError:
            break
        if not chunk:
            break
        n += len(chunk)
    return n


def send_for(s, data, seconds):
    """Sends as much of `data` as the daemon takes within `seconds`."""
    s.setblocking(False)
    end, sent = time.monotonic() + seconds, 0
    while sent < len(data) and time.monotonic() < end:
        try:
            sent += s.send(data[sent:sent + (1 << 16)])
        except BlockingIOError:
            time.sleep(0.005)
        except OSError:
            break
    s.setblocking(True)
    return sent


def send_lines(path, line, count):
    """`count` connections, each sending `line` and reading what comes back."""
    for _ in range(count):
        s = connect(path)
        s.sendall(line)
        s.shutdown(socket.SHUT_WR)
        drain(s, 10)
        s.close()
    return "%d lines of %d bytes" % (count, len(line))


def phase_batch(path):
    return send_lines(path, (json.dumps([{"jsonrpc": "2.0", "id": i, "method": "item.list"}
                                         for i in range(10000)]) + "\n").encode(), 20)


def phase_array(path):
    return send_lines(path, b"[" + b"1," * 524286 + b"1]\n", 20)


def phase_pipeline(path):
    data = b"".join(b'{"jsonrpc": "2.0", "id": %d, "method": "item.get", "params": {"id": 7}}\n' % i
                    for i in range(200000))
    s = connect(path)
    sent = send_for(s, data, 5)
    time.sleep(1)
    s.close()
    return "%d of %d bytes taken in 5 s" % (sent, len(data))


def phase_notify(path):
    data = b'{"jsonrpc": "2.0", "method": "item.list"}\n' * 100000
    s = connect(path)
    sent = send_for(s, data, 20)
    t = time.monotonic()
    s.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "whoami"}\n')
    s.settimeout(30)
    answered = b'"result"' in s.makefile("rb").readline()
    ms = (time.monotonic() - t) * 1000
    s.close()
    return "%d bytes; the flooder's next request %s in %.0f ms" % (
        sent, "answered" if answered else "NOT answered", ms)


def phase_connect(path):
    refused = 0
    for i in range(3000):
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            s.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "item.list"}\n')
        except OSError:
            refused += 1  # over the user's limit, keikakud may have closed it already
        s.close()
    return "3000 connections, %d closed before the request went" % refused


def read_batches(path, method, size, count, timeout):
    """`count` batches of `size` calls of `method`, each answer read before the next."""
    line = (json.dumps([{"jsonrpc": "2.0", "id": i, "method": method}
                        for i in range(size)]) + "\n").encode()
    s = connect(path)
    s.settimeout(timeout)
    f = s.makefile("rb")
    n, t = 0, time.monotonic()
    for _ in range(count):
        s.sendall(line)
        n += len(f.readline())
    s.close()
    return "%d batches, %d bytes of answers read in %.2f s" % (count, n, time.monotonic() - t)


def phase_answers(path):
    return read_batches(path, "item.list", 64, 50, 30)


def phase_queries(path):
    return read_batches(path, "history.log", 8, 10, 60)


PHASES = [("batch", phase_batch), ("array", phase_array), ("pipeline", phase_pipeline),
          ("notify", phase_notify), ("connect", phase_connect), ("answers", phase_answers),
          ("queries", phase_queries)]


def settle(pid, seconds=25):
    """RSS once it stops falling (the ticker trims every 10 s), at most `seconds`."""
    end, last, stable = time.monotonic() + seconds, rss_kib(pid), 0
    while time.monotonic() < end:
        time.sleep(1)
        now = rss_kib(pid)
        stable = stable + 1 if now >= last else 0
        last = now
        if stable >= 12:  # a ticker period and then some without falling
            break
    return last


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keikakud", required=True)
    ap.add_argument("--keikaku", required=True)
    ap.add_argument("--example", required=True)
    ap.add_argument("--probe-user", default="nobody")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="kk-abuse-")
    os.chmod(work, 0o755)
    repo, sock = os.path.join(work, "plan.git"), os.path.join(work, "keikakud.sock")
    subprocess.run([args.keikaku, "init", repo, "--from", args.example], check=True,
                   stdout=subprocess.DEVNULL)
    log = open(os.path.join(work, "keikakud.log"), "w")
    daemon = subprocess.Popen([args.keikakud, "--repo", repo, "--socket", sock,
                               "--socket-mode", "0666"], stderr=log)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    sampler = Sampler(daemon.pid)
    sampler.start()
    probe = Probe(sock, args.probe_user)
    time.sleep(1)
    ok = True
    print("keikakud %s, pid %d; start: RSS %d KiB" % (args.keikakud, daemon.pid, rss_kib(daemon.pid)))
    print("%-9s %10s %10s %8s %8s %8s %6s  %s" % ("phase", "peak KiB", "after KiB", "p50 ms",
                                                  "p99 ms", "max ms", "fails", "what"))
    try:
        for _ in range(args.rounds):
            for name, run in PHASES:
                sampler.reset()
                t0 = time.time()
                reps = 0
                # At least PHASE_MIN_S of it, so that the probe asks many times meanwhile.
                while reps == 0 or time.time() - t0 < PHASE_MIN_S:
                    what = run(sock)
                    reps += 1
                if reps > 1:
                    what = "%d x (%s)" % (reps, what)
                t1 = time.time()
                peak = sampler.peak()
                after = settle(daemon.pid)
                samples = probe.between(t0, t1)
                lat = [ms for ms, good in samples if good]
                fails = sum(1 for _, good in samples if not good)
                p50, p99, mx = pct(lat, 50), pct(lat, 99), max(lat) if lat else float("nan")
                good = (peak < PEAK_MAX_KIB and after < AFTER_MAX_KIB and p99 < P99_MAX_MS
                        and fails == 0)
                ok &= good
                print("%-9s %10d %10d %8.1f %8.1f %8.1f %6d  %s%s" % (
                    name, peak, after, p50, p99, mx, fails, what, "" if good else "  (not met)"),
                    flush=True)
    finally:
        probe.close()
        sampler.stop = True
        daemon.send_signal(signal.SIGTERM)
        daemon.wait()
        print("peak RSS of the run (VmHWM): see the phases; keikakud exited %d" % daemon.returncode)
        shutil.rmtree(work, ignore_errors=True)
    print("targets (peak < %d MiB, after < %d MiB, whoami p99 < %d ms, no failures): %s" % (
        PEAK_MAX_KIB // 1024, AFTER_MAX_KIB // 1024, P99_MAX_MS, "met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
