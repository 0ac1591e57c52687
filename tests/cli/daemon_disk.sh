#!/usr/bin/env bash
# A full disk: keikakud refuses the update with -32008 and tells the caller
# why (errno and cause in `data`, the cause in the caller's language), stores
# nothing half-written, and stores again once there is room.  The repository
# lives on a small tmpfs of the test's own.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/daemon.bash"

disk=$work/disk
mkdir -p "$disk"
if ! mount -t tmpfs -o size=4m,mode=0755 tmpfs "$disk" 2>/dev/null; then
	echo "skipped: cannot mount a tmpfs here to fill (mount needs CAP_SYS_ADMIN)"
	exit 77
fi
trap 'umount "$disk" 2>/dev/null || umount -l "$disk"; cleanup_daemon' EXIT
repo=$disk/plan.git
setup_users
make_repo
start_daemon
before=$(repo_state)

# Fill the disk to the last block.
dd if=/dev/zero of="$disk/filler" bs=4k 2>/dev/null || true
sync
check "the disk is full" test "$(df --output=avail -B1 "$disk" | tail -1 | tr -d ' ')" -lt 4096

r=$(call kkt_hisho item.update "{\"id\": 25, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2021\": {\"result\": \"・規程案を作成した\"}}}, \"reason\": \"規程案の作成\"}") || true
check "full disk: -32008 ($r)" test "$(jget "$r" 'j["error"]["code"]')" = -32008
check "full disk: the errno" test "$(jget "$r" 'j["error"]["data"]["errno"]')" = ENOSPC
check "full disk: the cause" test "$(jget "$r" 'j["error"]["data"]["cause"]')" = "No space left on device"
expect 3 "" "keikaku: the update could not be stored: No space left on device" \
	-- as kkt_hisho "$KEIKAKU" --socket "$sock" update 25 --fy R3 --result "・規程案を作成した" -m "規程案の作成"
ja_cause=$(LC_ALL=ja_JP.UTF-8 /usr/bin/python3 -c 'import locale, os; locale.setlocale(locale.LC_ALL, ""); print(os.strerror(28))')
check "a Japanese cause to compare with ($ja_cause)" test "$ja_cause" != "No space left on device"
LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 expect 3 "" "keikaku: the update could not be stored: $ja_cause" \
	-- as kkt_hisho "$KEIKAKU" --socket "$sock" update 25 --fy R3 --result "・規程案を作成した" -m "規程案の作成"
check "whoami still answers" call kkt_guest whoami

rm -f "$disk/filler"
check "nothing half-written" test "$(repo_state)" = "$before"
r=$(call kkt_hisho item.update "{\"id\": 25, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2021\": {\"result\": \"・規程案を作成した\"}}}, \"reason\": \"規程案の作成\"}")
check "stores again once there is room" test "$(jget "$r" 'j["commit"]')" = "$(head_of)"
check "fsck" fsck_repo
stop_daemon
finish
