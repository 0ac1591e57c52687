#!/usr/bin/env bash
# An update is answered only once it is durable.  Under strace, between reading the
# request and writing its answer, keikakud must: fsync the batch's pack and index, rename
# both into place and fsync the pack directory; only then write the commit id into the
# ref's lock file, fsync it, rename it onto refs/heads/main and fsync refs/heads; and only
# then write the answer, which names the commit the ref now holds.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/daemon.bash"
command -v strace >/dev/null || {
	echo "FAIL: strace is missing (scripts/deps installs it)" >&2
	exit 1
}
setup_users
make_repo
start_daemon

trace=$work/trace
strace -f -y -qq -s 256 -e trace=fsync,fdatasync,rename,renameat,renameat2,write,read \
	-o "$trace" -p "$daemon_pid" &
tracer=$!
other_daemons+=("$tracer") # stopped by the cleanup if a check below fails early
# Attached once every thread of the daemon has a tracer (strace writes its file late).
traced() {
	! grep -h '^TracerPid:' /proc/"$daemon_pid"/task/*/status | grep -q '[[:space:]]0$'
}
for _ in $(seq 1 100); do
	traced && break
	sleep 0.05
done
check "strace attached to every thread" traced

r=$(call kkt_dx item.update "{\"id\": 26, \"base\": \"$(head_of)\", \"reason\": \"fsync の確認\",
	\"patch\": {\"years\": {\"2021\": {\"result\": \"durable\"}}}}")
commit=$(jget "$r" 'j["commit"]')
check "the update is a commit" test "$commit" = "$(head_of)"
sleep 0.2 # the answer's write reaches the trace
kill -INT "$tracer"
wait "$tracer" || true

# order TRACE COMMIT: prints what is missing or out of order, nothing when all is well.
order() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import re, sys
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
commit = sys.argv[2]
# strace escapes the quotes of what is read and written.
start = next((i for i, l in enumerate(lines) if "read(" in l and r'\"method\": \"item.update\"' in l), None)
if start is None:
    sys.exit("the request was not read")
answer = next((i for i, l in enumerate(lines) if i > start and re.search(r'write\(\d+<socket:', l)
               and r'\"commit\":\"%s\"' % commit in l), None)
if answer is None:
    sys.exit("no answer naming %s was written" % commit)

def at(pattern, after):
    """The first successful call after line `after`, before the answer, that matches `pattern`."""
    for i in range(after + 1, answer):
        if re.search(pattern, lines[i]) and re.search(r"\) += \d+$", lines[i]):
            return i
    sys.exit("before the answer, after line %d: nothing matches %s" % (after + 1, pattern))

rename = r'rename(at2?)?\(.*'
pack_sync = at(r'fsync\(\d+<[^>]*/objects/pack/tmp_pack_[^>]*>\)', start)
idx_sync = at(r'fsync\(\d+<[^>]*/objects/pack/tmp_idx_[^>]*>\)', start)
pack_in = at(rename + r'/objects/pack/tmp_pack_[^"]*".*/objects/pack/pack-[0-9a-f]{40}\.pack"', max(pack_sync, idx_sync))
idx_in = at(rename + r'/objects/pack/tmp_idx_[^"]*".*/objects/pack/pack-[0-9a-f]{40}\.idx"', max(pack_sync, idx_sync))
dir_sync = at(r'fsync\(\d+<[^>]*/objects/pack>\)', max(pack_in, idx_in))
lock_write = at(r'write\(\d+<[^>]*/refs/heads/main\.lock>, "%s\\n"' % commit, dir_sync)
lock_sync = at(r'fsync\(\d+<[^>]*/refs/heads/main\.lock>\)', lock_write)
ref_in = at(rename + r'/refs/heads/main\.lock".*/refs/heads/main"', lock_sync)
at(r'fsync\(\d+<[^>]*/refs/heads>\)', ref_in)
PY
}
check "pack, index and directory synced, then the ref, then the answer ($(order "$trace" "$commit" 2>&1))" \
	order "$trace" "$commit"

# The checker can fail: a trace whose ref is renamed before its lock file is synced.
sed '/refs\/heads\/main\.lock>) = 0/d' "$trace" >"$work/broken-trace"
! order "$work/broken-trace" "$commit" >/dev/null 2>&1 && ok ||
	fail "a trace without the ref's fsync passes the check"

finish
