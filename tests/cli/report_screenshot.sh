#!/usr/bin/env bash
# keikaku report --format html, rendered by a real browser: Debian's headless Chromium takes
# a screenshot of the page at desktop and phone widths, without errors, and the pictures are
# real ones (size, dimensions).  Skips (77) only when Chromium or a Japanese font cannot be
# installed.  With KK_REPORT_SCREENSHOT=FILE, the desktop picture is also copied to FILE
# (docs/report-fy2021.png is made so).
. "$(dirname "$0")/lib.bash"

have_browser() {
	command -v chromium >/dev/null && [ -n "$(fc-list :lang=ja 2>/dev/null)" ]
}
if ! have_browser; then
	# scripts/deps installs chromium and fonts-noto-cjk, as root or through sudo.
	if [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; then
		"$KK_SOURCE_DIR/scripts/deps" >/dev/null 2>&1 || true
	fi
	if ! have_browser; then
		echo "SKIP: chromium and a Japanese font (fonts-noto-cjk) cannot be installed"
		exit 77
	fi
fi

repo=$(example_repo)
cd "$repo"
kk report --fy R3 --format html -o "$work/report.html"

# Lines Chromium writes in a container that are not about the page: no D-Bus system bus,
# and the Debian launcher's /dev/shm size check (/etc/chromium.d/dev-shm), which trips on
# a df figure it cannot compare.
explained='ERROR:dbus/|ERROR:bus\.cc|/usr/bin/chromium: [0-9]+: \[: |bytes written to file'

# shot NAME WIDTH HEIGHT: renders the page; checks the exit code, stderr and the picture.
shot() {
	local name=$1 width=$2 height=$3 png=$work/$1.png profile
	profile=$(mktemp -d -p "$work")
	local code=0
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" --screenshot="$png" --window-size="$width,$height" \
		"file://$work/report.html" >"$work/$name.out" 2>"$work/$name.err" || code=$?
	if [ "$code" != 0 ]; then
		fail "$name: chromium exited $code: $(tail -n 5 "$work/$name.err")"
		return
	fi
	ok
	local unexplained
	unexplained=$(cat "$work/$name.out" "$work/$name.err" | grep -Ev "$explained" | grep -E . || true)
	if [ -n "$unexplained" ]; then
		fail "$name: chromium said:"$'\n'"$unexplained"
	else
		ok
	fi
	check "$name: PNG of ${width}x$height" sh -c \
		"file '$png' | grep -q 'PNG image data, $width x $height, '"
	# A blank page compresses to a few kilobytes; text and tables do not.
	local size
	size=$(stat -c %s "$png" 2>/dev/null || echo 0)
	check "$name: picture is not blank ($size bytes)" test "$size" -gt 100000
}

shot desktop 1280 2000
shot phone 390 1600
if [ -n "${KK_REPORT_SCREENSHOT:-}" ] && [ -f "$work/desktop.png" ]; then
	cp "$work/desktop.png" "$KK_REPORT_SCREENSHOT"
fi

finish
