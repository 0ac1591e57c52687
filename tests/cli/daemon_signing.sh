#!/usr/bin/env bash
# keikakud signs every commit and fiscal-year tag with its SSH key
# (--signing-key), and stock git checks them in a plain clone against the
# plan's own allowed_signers file: git verify-commit, git verify-tag and git
# log --show-signature with gpg.format=ssh.  A key the file does not list is
# added by a commit of its own at start; an expired one, a damaged file or a
# key file others may read stops keikakud.  Changing the file is an admin's
# plan change with a reason.  keikaku verify --signatures names every commit
# and tag that is unsigned, badly signed, or signed by a key the file does
# not allow.  Without a key nothing is signed.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/daemon.bash"
setup_users
make_repo

key=$work/signing
ssh-keygen -q -t ed25519 -N '' -C keikakud@keikaku.test -f "$key"
fingerprint=$(ssh-keygen -l -f "$key.pub" | cut -d' ' -f2)
signers=$work/allowed_signers
echo "keikakud@keikaku.test namespaces=\"git\" $(cut -d' ' -f1,2 "$key.pub")" >"$signers"
need_ja
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
# git_own DIR ARGS: stock git in the clone DIR, against the clone's own allowed_signers.
git_own() {
	local dir=$1
	shift
	(cd "$dir" && git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile=allowed_signers "$@")
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
# A key file others may read is refused, as ssh refuses it.
chmod 0640 "$creds/signing-key"
matches 1 "*cannot start: signing key '$creds/signing-key' is accessible by others (mode 0640)*chmod 0400*" -- \
	env CREDENTIALS_DIRECTORY="$creds" "$KEIKAKUD" --repo "$repo" --socket "$sock" --signing-key
check "refused key: nothing committed" test "$(head_of)" = "$unsigned_head"
chmod 0400 "$creds/signing-key"
CREDENTIALS_DIRECTORY=$creds start_daemon --signing-key
# The plan had no allowed_signers: keikakud added its key in a commit of its own.
added=$(head_of)
check "key added in a commit" test "$(git -C "$repo" rev-parse "$added^")" = "$unsigned_head"
check "the commit adds allowed_signers only" test "$(git -C "$repo" diff --name-only "$unsigned_head" "$added")" = allowed_signers
check "the key's line, valid from today" grep -qx "keikakud@keikaku.test namespaces=\"git\",valid-after=\"$(date -u +%Y%m%d)Z\" $(cat "$key.pub")" \
	<(git -C "$repo" show "$added:allowed_signers")
check "the repository's owner as author" test "$(git -C "$repo" log -1 --format='%an <%ae>|%cn <%ce>' "$added")" = \
	"$(id -un) <$(id -un)@keikaku.test>|keikakud <keikakud@keikaku.test>"
check "the reason says why" sh -c "git -C '$repo' log -1 --format=%B '$added' | grep -q 'この鍵は allowed_signers になかったため'"
check "its trailer names the file" sh -c "git -C '$repo' log -1 --format=%B '$added' | grep -qx 'Keikaku-File: allowed_signers'"
matches 0 "*Good*" -- git_ssh -C "$repo" verify-commit "$added"
r=$(call kkt_hisho item.update "{\"id\": 25, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2021\": {\"progress\": \"behind\"}}}}")
check "credential: commit made" test "$(jget "$r" 'j["commit"]')" = "$(head_of)"
matches 0 "*Good*" -- git_ssh -C "$repo" verify-commit main
stop_daemon
check "credential: key named in the log" grep -q "signing with key $fingerprint" "$daemon_log"

# With --signing-key FILE: updates, a batch of them, and a year close.  The
# file lists the key now: nothing more is added.
start_daemon --signing-key "$key"
check "a listed key adds nothing" test "$(git -C "$repo" rev-list --count "$added"..main)" = 1
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
check "one commit per update and close, and the key's" test "$(git -C "$repo" rev-list --count "$unsigned_head"..main)" = 9

# Stock git, in a plain clone, finds every one of them signed by keikakud's key,
# checked against the clone's own allowed_signers.
clone=$work/clone
git clone -q "$repo" "$clone"
check "the clone has allowed_signers" test -f "$clone/allowed_signers"
for c in $(git -C "$clone" rev-list "$unsigned_head"..main); do
	matches 0 "*Good \"git\" signature for keikakud@keikaku.test with ED25519 key $fingerprint*" -- \
		git_own "$clone" verify-commit "$c"
done
matches 0 "*Good \"git\" signature for keikakud@keikaku.test with ED25519 key $fingerprint*" -- \
	git_own "$clone" verify-tag fy2021
check "tag message kept before the signature" sh -c "git -C '$clone' cat-file tag fy2021 | grep -q '^令和3年度 (FY2021) を締め切り'"
check "log --show-signature names the principal" sh -c \
	"cd '$clone' && git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile=allowed_signers log -1 --show-signature main | grep -q 'Good \"git\" signature for keikakud@keikaku.test'"
# Before the key was added nothing was signed, and nothing is checked.
matches 1 "*" -- git_own "$clone" verify-commit "$unsigned_head"
expect 0 "no problems in 43 files at $(git -C "$clone" rev-parse --short=10 main)
signatures: 9 commits and 1 tags checked since $added" "" -- kk -C "$clone" verify --signatures
matches 0 "*署名: $added 以降のコミット 9 件とタグ 1 件を確認しました" -- ja -C "$clone" verify --signatures
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
# Changing allowed_signers is an admin's plan change, with a reason.
start_daemon --signing-key "$key"
ssh-keygen -q -t ed25519 -N '' -C next@keikaku.test -f "$work/next"
text=$(git -C "$repo" show main:allowed_signers)
new_text="$text
keikakud@keikaku.test namespaces=\"git\",valid-after=\"20300101Z\" $(cut -d' ' -f1,2 "$work/next.pub")
"
# signers_update USER TEXT [REASON]: plan.update of allowed_signers on the head.
signers_update() {
	local user=$1 params
	shift
	params=$(/usr/bin/python3 -c 'import json,sys; p={"base": sys.argv[1], "files": {"allowed_signers": sys.argv[2]}}
if len(sys.argv) > 3: p["reason"] = sys.argv[3]
print(json.dumps(p))' "$(head_of)" "$@")
	call "$user" plan.update "$params" || true
}
before=$(head_of)
r=$(signers_update kkt_hisho "$new_text" "次の鍵")
check "non-admin refused" test "$(jget "$r" 'j["error"]["data"]["violations"][0]["rule"]')" = admin-only
r=$(signers_update kkt_dx "$new_text")
check "admin without a reason refused" test "$(jget "$r" 'j["error"]["data"]["violations"][0]["rule"]')" = reason-required
r=$(signers_update kkt_dx "$text
keikakud@keikaku.test namespaces=\"git\" ssh-ed25519 AAAA-not-base64
" "壊れた行")
check "a damaged line refused, named" test "$(jget "$r" '[j["error"]["data"]["errors"][0][k] for k in ("file", "message")]')" = \
	'["allowed_signers", "line 5, column 52: the key is not valid base64"]'
retired=$(sed 's/namespaces="git",valid-after="[0-9]*Z"/namespaces="git",valid-before="20200101Z"/' <<<"$text")
r=$(signers_update kkt_dx "$retired" "旧鍵の廃止")
check "retiring keikakud's own key refused" sh -c "echo '$r' | grep -q 'keikakud signs with key $fingerprint, which this change does not allow to sign now'"
check "refusals commit nothing" test "$(head_of)" = "$before"
r=$(signers_update kkt_dx "$new_text" "鍵の更新に備え、次の鍵を登録")
check "admin with a reason: committed" test "$(jget "$r" 'j["commit"]')" = "$(head_of)"
check "the change is the file's new text" test "$(git -C "$repo" show main:allowed_signers)" = "$(printf '%s' "$new_text")"
check "the admin is its author" test "$(git -C "$repo" log -1 --format=%ae main)" = kkt_dx@keikaku.test
matches 0 "*Good*" -- git_ssh -C "$repo" verify-commit main
r=$(signers_update kkt_dx "$new_text" "同じ")
check "the same text changes nothing" test "$(jget "$r" 'j["changes"]')" = "[]"
# A base older than the file's last change is a conflict.
r=$(call kkt_dx plan.update "$(/usr/bin/python3 -c 'import json,sys; print(json.dumps({"base": sys.argv[1], "files": {"allowed_signers": sys.argv[2]}, "reason": "古い版から"}))' "$before" "$text")" || true)
check "a stale base is a conflict" test "$(jget "$r" '[j["error"]["code"], j["error"]["data"]["current_files"]["allowed_signers"]]')" = \
	"$(/usr/bin/python3 -c 'import json,sys; print(json.dumps([-32002, sys.argv[1]], ensure_ascii=False))' "$new_text")"
# The same through keikaku signers FILE, in both languages.
ssh-keygen -q -t ed25519 -N '' -C third@keikaku.test -f "$work/third"
third_line="third@keikaku.test namespaces=\"git\" $(cut -d' ' -f1,2 "$work/third.pub")"
printf '%s\n%s\n' "$new_text" "$third_line" | sed '/^$/d' >"$work/signers.new"
matches 1 "*cannot change 'allowed_signers': only an admin may change it*" -- \
	as kkt_hisho "$KEIKAKU" --socket "$sock" signers "$work/signers.new" -m "第三の鍵"
matches 1 "*'allowed_signers' を変更できません: 計画に署名できる者の変更には理由が必要です*" -- \
	as kkt_dx env LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 "$KEIKAKU" --socket "$sock" signers "$work/signers.new"
expect 0 "dry run: nothing committed
allowed_signers:
  + $third_line" "" -- as kkt_dx "$KEIKAKU" --socket "$sock" signers --dry-run "$work/signers.new" -m "第三の鍵"
out=$(as kkt_dx "$KEIKAKU" --socket "$sock" signers "$work/signers.new" -m "第三の鍵")
check "keikaku signers commits, and prints the line added" test "$out" = "committed $(head_of | cut -c1-10)
allowed_signers:
  + $third_line"
check "its reason in the commit" sh -c "git -C '$repo' log -1 --format=%B main | grep -qx '第三の鍵'"
matches 2 "*cannot read '$work/none'*" -- as kkt_dx "$KEIKAKU" --socket "$sock" signers "$work/none" -m x
new_text=$(cat "$work/signers.new")
# keikakud answers verify --signatures as a clone does.
matches 0 "*signatures: 11 commits and 1 tags checked since $added*" -- \
	as kkt_hisho "$KEIKAKU" --socket "$sock" verify --signatures
stop_daemon
expect 0 "*" "" -- kk -C "$repo" verify --signatures

# Commits and tags made behind keikakud's back: verify --signatures names each.
forged=$work/forged
git clone -q "$repo" "$forged"
good=$(git -C "$forged" rev-parse main)
# Every commit keikakud made, the admins' changes of the file too, is good in the clone.
for c in $(git -C "$forged" rev-list "$unsigned_head"..main); do
	matches 0 "*Good \"git\" signature for keikakud@keikaku.test*" -- git_own "$forged" verify-commit "$c"
done
git -C "$forged" commit -q --allow-empty -m "手で作ったコミット"
byhand=$(git -C "$forged" rev-parse main)
expect 1 "commit $byhand: not signed
signatures: 12 commits and 1 tags checked since $added" "1 problem in 43 files at ${byhand:0:10}" -- \
	kk -C "$forged" verify --signatures
expect 1 "コミット $byhand: 署名がありません
署名: $added 以降のコミット 12 件とタグ 1 件を確認しました" "*" -- ja -C "$forged" verify --signatures
matches 1 "*" -- git_own "$forged" verify-commit "$byhand"
# keikakud's last commit with its message altered and its signature copied.
git -C "$forged" reset -q --hard "$good"
altered=$(git -C "$forged" cat-file commit "$good" | sed 's/第三の鍵/第四の鍵/' |
	git -C "$forged" hash-object -t commit -w --stdin)
git -C "$forged" reset -q --hard "$altered"
expect 1 "commit $altered: bad signature: key $fingerprint did not sign this
signatures: 11 commits and 1 tags checked since $added" "*" -- \
	kk -C "$forged" verify --signatures
matches 1 "*" -- git_own "$forged" verify-commit "$altered"
# A commit signed with a key the file does not list, and an unsigned tag on a checked commit.
git -C "$forged" reset -q --hard "$good"
git -C "$forged" -c gpg.format=ssh -c user.signingkey="$work/other" commit -q -S --allow-empty -m "別の鍵"
other=$(git -C "$forged" rev-parse main)
git -C "$forged" tag -a -m "手で作ったタグ" byhand "$good"
out=$(kk -C "$forged" verify --signatures --json) && fail "verify --signatures --json: exit 0"
check "JSON names the unknown key and the unsigned tag" test "$(jget "$out" '[[p.get("commit") or p["tag"], p["signature"]] for p in j["problems"]]')" = \
	"[[\"$other\", \"unknown-key\"], [\"byhand\", \"unsigned\"]]"
check "JSON: what was checked" test "$(jget "$out" 'j["signatures"]')" = \
	"{\"commits\": 12, \"since\": \"$added\", \"tags\": 2}"
check "JSON: the key's fingerprint" sh -c "echo '$out' | grep -q 'key $(ssh-keygen -l -f "$work/other.pub" | cut -d" " -f2) is not an allowed signer in'"
# A commit older than its key's valid-after: the next key, used before 2030.
git -C "$forged" reset -q --hard "$good"
git -C "$forged" tag -d byhand >/dev/null
git -C "$forged" -c gpg.format=ssh -c user.signingkey="$work/next" commit -q -S --allow-empty -m "早すぎる鍵"
early=$(git -C "$forged" rev-parse main)
matches 1 "*commit $early: key SHA256:* of 'keikakud@keikaku.test' is not valid yet at *: it is valid after 2030-01-01*" -- \
	kk -C "$forged" verify --signatures

# At start: a key the file marks expired, and a damaged file, stop keikakud.
byhand_signers() {
	git -C "$forged" reset -q --hard "$good"
	printf '%s\n' "$1" >"$forged/allowed_signers"
	git -C "$forged" commit -q -am "手で変更"
	rm -rf "$work/start.git"
	git clone -q --bare "$forged" "$work/start.git"
}
byhand_signers "$retired"
matches 1 "*cannot start: the signing key may not sign now: key $fingerprint of 'keikakud@keikaku.test' has expired at *: it was valid before 2020-01-01*" -- \
	"$KEIKAKUD" --repo "$work/start.git" --socket "$sock" --signing-key "$key"
byhand_signers "$text
oops"
matches 1 "*cannot start: allowed_signers, line 5, column 5: the line has principals and no key*" -- \
	"$KEIKAKUD" --repo "$work/start.git" --socket "$sock" --signing-key "$key"
expect 1 "allowed_signers: /: line 5, column 5: the line has principals and no key" "*" -- \
	kk -C "$forged" verify
fsck_repo || fail "git fsck"

finish
