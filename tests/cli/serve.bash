# Shared by the tests of keikaku serve (serve.sh, serve_limits.sh): sourced after lib.bash.

# start_serve ARGS...: `keikaku -C $repo serve ARGS` on any free port, whose first line
# names it; sets $base and $serve_pid, and adds the pid to $serve_pids (stop_serves).
serve_pids=()
serve_count=0 # a new file for each server, even when a test empties serve_pids
start_serve() {
	local out=$work/serve.$serve_count
	serve_count=$((serve_count + 1))
	rm -f "$out" "$out.err"
	"$KEIKAKU" -C "$repo" serve --listen 127.0.0.1:0 "$@" >"$out" 2>"$out.err" &
	serve_pid=$!
	serve_pids+=("$serve_pid")
	for _ in $(seq 1 200); do
		grep -q '^serving .* at http://127.0.0.1:[0-9]*/$' "$out" 2>/dev/null && break
		sleep 0.05
	done
	base=$(sed -n 's/^serving .* at \(http:[^ ]*\)\/$/\1/p' "$out")
	[ -n "$base" ] || { cat "$out.err" >&2; exit 1; }
}

# stop_serves: stops every server start_serve started.
stop_serves() {
	for pid in "${serve_pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

# get PATH [CURL ARGS...]: the body into $work/body, headers into $work/head; prints the status.
get() {
	local path=$1
	shift
	rm -f "$work/body" "$work/head"
	: >"$work/body"
	curl -s -o "$work/body" -D "$work/head" -w '%{http_code}' "$@" "$base$path"
}
# status CODE PATH [CURL ARGS...]: checks the status of PATH.
status() {
	local want=$1 got
	shift
	got=$(get "$@")
	if [ "$got" = "$want" ]; then ok; else fail "$1: status $got, expected $want: $(head -c 300 "$work/body")"; fi
}
has() { # has TEXT [FILE]: the last body (or FILE) has TEXT
	if grep -qF -- "$1" "${2:-$work/body}"; then ok; else fail "${2:-the body of the last page} lacks '$1'"; fi
}
lacks() {
	if grep -qF -- "$1" "$work/body"; then fail "the body of the last page has '$1'"; else ok; fi
}
header() { # header NAME VALUE-PATTERN
	if grep -qiE "^$1: $2"$'\r'?'$' "$work/head"; then ok; else fail "header $1 is not /$2/: $(grep -i "^$1:" "$work/head")"; fi
}

# history_repo ITEMS COMMITS [STATS]: a bare repository $repo with bench/history_gen's plan
# of ITEMS items and COMMITS commits (its figures into STATS), for pages that take a while.
history_repo() {
	: "${KK_HISTORY_GEN:?set KK_HISTORY_GEN to bench/history_gen}"
	repo=$work/repo.git
	git init -q --bare -b main "$repo"
	"$KK_HISTORY_GEN" --items "$1" --commits "$2" --seed 1 ${3:+--stats "$3"} 2>/dev/null |
		git -C "$repo" fast-import --quiet
}
