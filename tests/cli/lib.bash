# Shared by the CLI tests: sourced, not run.  Each test runs the real keikaku
# ($KEIKAKU, set by ctest) in a temporary directory removed on exit, and
# counts its checks so that the closing line says how many passed.
set -euo pipefail

: "${KEIKAKU:?set KEIKAKU to the keikaku binary}"
: "${KK_SOURCE_DIR:?set KK_SOURCE_DIR to the source tree}"

export LC_ALL=C.UTF-8 LANG=C.UTF-8 COLUMNS=80 TZ=UTC
unset LANGUAGE
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME="Test User" GIT_AUTHOR_EMAIL=test@keikaku.invalid
export GIT_COMMITTER_NAME="Test User" GIT_COMMITTER_EMAIL=test@keikaku.invalid
export HOME="$(mktemp -d)"
git config --global user.name "Test User"
git config --global user.email test@keikaku.invalid

work=$(mktemp -d)
trap 'rm -rf "$work" "$HOME"' EXIT
passed=0
failed=0

kk() {
	"$KEIKAKU" "$@"
}

fail() {
	echo "FAIL: $*" >&2
	failed=$((failed + 1))
}

ok() {
	passed=$((passed + 1))
}

# expect CODE STDOUT STDERR -- COMMAND...: runs COMMAND and compares its exit code and
# output exactly.  Use "*" for an output that is not checked.
expect() {
	local code=$1 out=$2 err=$3
	shift 4
	local got_out got_err got_code=0
	got_out=$("$@" 2>"$work/.stderr") || got_code=$?
	got_err=$(cat "$work/.stderr")
	if [ "$got_code" != "$code" ]; then
		fail "$*: exit $got_code, expected $code"$'\n'"stdout: $got_out"$'\n'"stderr: $got_err"
		return 0
	fi
	if [ "$out" != "*" ] && [ "$got_out" != "$out" ]; then
		fail "$*: stdout differs:"$'\n'"$(diff <(echo "$out") <(echo "$got_out") || true)"
		return 0
	fi
	if [ "$err" != "*" ] && [ "$got_err" != "$err" ]; then
		fail "$*: stderr differs:"$'\n'"$(diff <(echo "$err") <(echo "$got_err") || true)"
		return 0
	fi
	ok
}

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		ok
	else
		fail "$what"
	fi
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# clone_of REPO [NAME]: a clone of REPO in the test's directory, made with stock git as a
# person would make it; prints its path.
clone_of() {
	local clone=$work/${2:-clone}
	git clone -q "$1" "$clone"
	echo "$clone"
}

# A fresh repository of the example plan.
example_repo() {
	local repo=$work/${1:-example}.git
	rm -rf "$repo"
	kk init "$repo" --from "$KK_SOURCE_DIR/examples/dx-plan-r3" >/dev/null
	echo "$repo"
}

# need_ja: the ja_JP.UTF-8 locale must be there for the Japanese checks; fails the test if not.
need_ja() {
	if ! locale -a 2>/dev/null | grep -qix 'ja_JP.utf8'; then
		echo "the ja_JP.UTF-8 locale is missing: run scripts/deps" >&2
		exit 1
	fi
}

# ja ARGS...: keikaku in Japanese.
ja() {
	LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 "$KEIKAKU" "$@"
}
