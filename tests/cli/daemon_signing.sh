#!/usr/bin/env bash
# keikakud signs every commit and fiscal-year tag with its SSH key
# (--signing-key), and stock git checks them in a plain clone: git
# verify-commit, git verify-tag and git log --show-signature with
# gpg.format=ssh.  Without a key nothing is signed; a key file keikakud
# cannot use stops it at start.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/daemon.bash"
setup_users
make_repo

key=$work/signing
ssh-keygen -q -t ed25519 -N '' -C keikakud@keikaku.test -f "$key"
fingerprint=$(ssh-keygen -l -f "$key.pub" | cut -d' ' -f2)
signers=$work/allowed_signers
echo "keikakud@keikaku.test namespaces=\"git\" $(cut -d' ' -f1,2 "$key.pub")" >"$signers"
# matches CODE GLOB -- COMMAND...: COMMAND exits with CODE, and its stdout and stderr
# together match GLOB.
matches() {
	local code=$1 glob=$2 got got_code=0
	shift 3
	got=$("$@" 2>&1) || got_code=$?
	if [ "$got_code" != "$code" ] || [[ $got != $glob ]]; then
		fail "$*: exit $got_code (expected $code), output: $got"
	else
		ok
	fi
}
# git_ssh ARGS: stock git, checking SSH signatures against $signers.
git_ssh() {
	git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$signers" "$@"
}

# Without --signing-key, commits are as before: unsigned.
start_daemon
r=$(call kkt_hisho item.update "{\"id\": 25, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2021\": {\"progress\": \"on_track\"}}}}")
check "unsigned daemon commits" test "$(jget "$r" 'j["commit"]')" = "$(head_of)"
check "no key: no signature" test -z "$(git -C "$repo" cat-file commit main | grep '^gpgsig ')"
matches 1 "*" -- git_ssh -C "$repo" verify-commit main
stop_daemon
unsigned_head=$(head_of)

# A key keikakud cannot use stops it at start, saying why.
matches 1 "*cannot start:*" -- "$KEIKAKUD" --repo "$repo" --socket "$sock" --signing-key "$key.pub"
matches 1 "*cannot start:*signing-key*" -- env -u CREDENTIALS_DIRECTORY "$KEIKAKUD" --repo "$repo" --socket "$sock" --signing-key
# systemd's LoadCredential=: the key as $CREDENTIALS_DIRECTORY/signing-key.
creds=$work/creds
mkdir -m 0700 "$creds"
cp "$key" "$creds/signing-key"
CREDENTIALS_DIRECTORY=$creds start_daemon --signing-key
r=$(call kkt_hisho item.update "{\"id\": 25, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2021\": {\"progress\": \"behind\"}}}}")
check "credential: commit made" test "$(jget "$r" 'j["commit"]')" = "$(head_of)"
matches 0 "*Good*" -- git_ssh -C "$repo" verify-commit main
stop_daemon
check "credential: key named in the log" grep -q "signing with key $fingerprint" "$daemon_log"

# With --signing-key FILE: updates, a batch of them, and a year close.
start_daemon --signing-key "$key"
for id in 25 26; do
	r=$(call kkt_dx item.update "{\"id\": $id, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2021\": {\"progress\": \"ahead\"}}}}")
	check "signed update $id" test "$(jget "$r" 'j["commit"]')" = "$(head_of)"
done
# Concurrent updates, decided in batches of several commits each.
pids=()
for id in 1 3 9 16; do
	call kkt_dx item.update "{\"id\": $id, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2021\": {\"progress\": \"ahead\"}}}}" >"$work/batch.$id" &
	pids+=($!)
done
wait "${pids[@]}"
for id in 1 3 9 16; do
	check "batched update $id" grep -q '"commit"' "$work/batch.$id"
done
# keikaku year close prints the tag's id, for publishing.
out=$(as kkt_dx "$KEIKAKU" --socket "$sock" year close 2021 -m "令和3年度の締め")
tag_id=$(git -C "$repo" rev-parse fy2021)
check "close prints the tag's id" test "$(echo "$out" | tail -1)" = "tag fy2021: $tag_id"
stop_daemon
check "one commit per update and close" test "$(git -C "$repo" rev-list --count "$unsigned_head"..main)" = 8

# Stock git, in a plain clone, finds every one of them signed by keikakud's key.
clone=$work/clone
git clone -q "$repo" "$clone"
for c in $(git -C "$clone" rev-list "$unsigned_head"..main); do
	matches 0 "*Good \"git\" signature for keikakud@keikaku.test with ED25519 key $fingerprint*" -- \
		git_ssh -C "$clone" verify-commit "$c"
done
matches 0 "*Good \"git\" signature for keikakud@keikaku.test with ED25519 key $fingerprint*" -- \
	git_ssh -C "$clone" verify-tag fy2021
check "tag message kept before the signature" sh -c "git -C '$clone' cat-file tag fy2021 | grep -q '^令和3年度 (FY2021) を締め切り'"
check "log --show-signature names the principal" sh -c \
	"git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile='$signers' -C '$clone' log -1 --show-signature main | grep -q 'Good \"git\" signature for keikakud@keikaku.test'"
# A signature from a key the file does not list is not good.
echo "someone@else namespaces=\"git\" $(ssh-keygen -q -t ed25519 -N '' -f "$work/other" && cut -d' ' -f1,2 "$work/other.pub")" >"$work/other_signers"
matches 1 "*No principal matched*" -- \
	git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$work/other_signers" -C "$clone" verify-commit main

# keikaku verify --tag checks a clone against the published id.
expect 0 "*" "" -- kk -C "$clone" verify --tag "fy2021=$tag_id"
expect 0 "*" "" -- kk -C "$clone" verify --tag "fy2021=${tag_id:0:12}"
wrong=$(git -C "$clone" rev-parse main)
expect 1 "refs/tags/fy2021: /: tag 'fy2021' is $tag_id, not the published $wrong: the tag or its history was changed" "*" -- \
	kk -C "$clone" verify --tag "fy2021=$wrong"
expect 1 "refs/tags/fy2022: /: there is no tag 'fy2022'" "*" -- kk -C "$clone" verify --tag "fy2022=$tag_id"
matches 2 "*--tag takes NAME=ID*" -- kk -C "$clone" verify --tag "fy2021"
# A tag moved behind keikakud's back, in the clone: the published id tells.
git -C "$clone" tag -f -a -m forged fy2021 main >/dev/null
matches 1 "*is $(git -C "$clone" rev-parse fy2021), not the published $tag_id*" -- \
	kk -C "$clone" verify --tag "fy2021=$tag_id"
fsck_repo || fail "git fsck"

finish
