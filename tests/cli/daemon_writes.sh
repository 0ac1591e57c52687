#!/usr/bin/env bash
# keikakud end to end: real Unix users submit updates over the real socket; what
# is accepted is a commit that stock git shows with the person as author; what
# is refused leaves the repository byte for byte as it was.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/daemon.bash"
setup_users
make_repo
loose() { git -C "$repo" count-objects -v | awk '/^count:/ {print $2}'; }
loose_at_start=$(loose)
start_daemon
initial=$(head_of)

# Who the daemon thinks each caller is.
r=$(call kkt_hisho whoami)
check "whoami user" test "$(jget "$r" 'j["user"]')" = kkt_hisho
check "whoami name" test "$(jget "$r" 'j["name"]')" = "田中 秘書"
check "whoami departments" test "$(jget "$r" 'j["departments"]')" = '["秘書課"]'
check "whoami not admin" test "$(jget "$r" 'j["admin"]')" = false
r=$(call kkt_nurse whoami)
check "department through a group" test "$(jget "$r" 'j["departments"]')" = '["市立病院"]'
check "groups listed" test "$(jget "$r" '"kkt_byoin" in j["groups"]')" = true
# The groups come from the group database, not from the caller's process.
r=$(setpriv --reuid=kkt_nurse --regid="$(id -g kkt_nurse)" --clear-groups \
	/usr/bin/python3 "$rpc_py" "$sock" --call whoami)
check "groups from the database" test "$(jget "$r" 'j["departments"]')" = '["市立病院"]'
# A member of more groups than fit in a small buffer keeps them all.
many_groups=()
for i in $(seq -w 1 300); do
	getent group "kkt_m$i" >/dev/null || groupadd "kkt_m$i"
	many_groups+=("kkt_m$i")
done
usermod -a -G "$(IFS=,; echo "${many_groups[*]}")" kkt_nurse
r=$(call kkt_nurse whoami)
check "300 more groups: all listed" test "$(jget "$r" 'len(j["groups"])')" = 302
check "300 more groups: department kept" test "$(jget "$r" 'j["departments"]')" = '["市立病院"]'
for g in "${many_groups[@]}"; do
	groupdel "$g"
done
check "admin through department" test "$(jget "$(call kkt_dx whoami)" 'j["admin"]')" = true
check "root is admin" test "$(jget "$(call root whoami)" 'j["admin"]')" = true
# The repository's owner is an admin too.  keikakud runs as the owner (as the
# unit's User=keikaku does); git opens no one else's repository.
stop_daemon
chown -R kkt_guest "$repo"
expect 1 "" "keikakud: cannot start: '$repo' belongs to another user (uid $(id -u kkt_guest)): run keikakud as its owner" \
	-- "$KEIKAKUD" --repo "$repo" --socket "$work/foreign.sock"
owned=$work/owned
mkdir "$owned"
chown kkt_guest "$owned"
# Not through as(): $! must be the daemon itself (setpriv and env exec it).
setpriv --reuid=kkt_guest --regid="$(id -g kkt_guest)" --init-groups \
	env HOME="$owned" "$KEIKAKUD" --repo "$repo" --socket "$owned/s" --socket-mode 0666 \
	--email-domain keikaku.test 2>>"$daemon_log" &
owner_pid=$!
other_daemons+=("$owner_pid")
for _ in $(seq 1 100); do
	[ -S "$owned/s" ] && break
	sleep 0.05
done
r=$(as kkt_guest /usr/bin/python3 "$rpc_py" "$owned/s" --call whoami)
check "the repository's owner is admin" test "$(jget "$r" 'j["admin"]')" = true
r=$(as kkt_kominkan /usr/bin/python3 "$rpc_py" "$owned/s" --call whoami)
check "others are not" test "$(jget "$r" 'j["admin"]')" = false
kill -TERM "$owner_pid"
code=0
wait "$owner_pid" || code=$?
check "the owner's daemon stops cleanly" test "$code" = 0
chown -R root "$repo"
start_daemon
check "the owner's rights go with the ownership" test "$(jget "$(call kkt_guest whoami)" 'j["admin"]')" = false
check "guest has no department" test "$(jget "$(call kkt_guest whoami)" 'j["departments"]')" = '[]'

# An owner's update lands as a commit with the person as author.
r=$(call kkt_hisho item.update "{\"id\": 25, \"base\": \"$initial\", \"request_id\": \"req-1\",
	\"patch\": {\"years\": {\"2021\": {\"progress\": \"on_track\"}}}, \"reason\": \"規程案を作成した\"}")
commit=$(jget "$r" 'j["commit"]')
check "commit returned" test "$commit" = "$(head_of)"
check "changes returned" test "$(jget "$r" 'j["changes"]')" = \
	'[{"item": 25, "new": "on_track", "old": "behind", "path": "years.2021.progress"}]'
expect 0 "025 規程の整備 · 令和3年度 進捗度: ▲ → ○

規程案を作成した

Keikaku-Item: 25
Fiscal-Year: 2021
Department: 秘書課
Request-Id: req-1" "" -- git -C "$repo" log -1 --format=%B
expect 0 "田中 秘書 <kkt_hisho@keikaku.test>|keikakud <keikakud@keikaku.test>" "" \
	-- git -C "$repo" log -1 --format='%an <%ae>|%cn <%ce>'
expect 0 "25
2021" "" -- git -C "$repo" log -1 --format='%(trailers:key=Keikaku-Item,valueonly)%(trailers:key=Fiscal-Year,valueonly)'
check "content" test "$(git -C "$repo" show main:items/0025.json | grep -c '"progress": "on_track"')" = 1
check "one line changed" test "$(git -C "$repo" diff --numstat "$initial" main | tr '\t' ' ')" = "1 1 items/0025.json"
check "parent" test "$(git -C "$repo" rev-parse main~1)" = "$initial"
check "fsck" git -C "$repo" fsck --strict --no-progress
check "verify" kk -C "$repo" verify
# The writer parsed the files it needed once and found them again the next time.
r=$(call kkt_guest status)
check "status: parsed files kept" test "$(jget "$r" 'j["documents"]["kept"] > 0 and j["documents"]["bytes"] > 0')" = true
check "status: parsed files found again" test "$(jget "$r" 'j["documents"]["hits"] > 0 and j["documents"]["misses"] > 0')" = true

# Refusals: each with its own error, nothing written.
base=$(head_of)
before=$(repo_state)
refused() { # refused USER CODE RULE PARAMS
	local r
	r=$(call "$1" item.update "$4") || true
	if [ "$(jget "$r" 'j["error"]["code"]')" != "$2" ]; then
		fail "expected error $2 for $1 $4, got $r"
	elif [ -n "$3" ] && [ "$(jget "$r" 'j["error"]["data"]["violations"][0]["rule"]')" != "$3" ]; then
		fail "expected rule $3, got $r"
	else
		ok
	fi
	if [ "$(repo_state)" != "$before" ]; then
		fail "repository changed by a refused update: $4"
	else
		ok
	fi
}
refused kkt_guest -32001 not-owner "{\"id\": 25, \"base\": \"$base\", \"patch\": {\"years\": {\"2021\": {\"progress\": \"ahead\"}}}}"
refused kkt_kominkan -32001 not-owner "{\"id\": 8, \"base\": \"$base\", \"patch\": {\"years\": {\"2021\": {\"progress\": \"ahead\"}}}}"
refused kkt_hisho -32003 closed-year "{\"id\": 25, \"base\": \"$base\", \"reason\": \"x\", \"patch\": {\"years\": {\"2020\": {\"result\": \"書き換え\"}}}}"
refused kkt_hisho -32001 not-permitted "{\"id\": 19, \"base\": \"$base\", \"reason\": \"x\", \"patch\": {\"years\": {\"2021\": {\"planned\": \"検討\"}}}}"
refused kkt_dx -32003 frozen-planned "{\"id\": 19, \"base\": \"$base\", \"patch\": {\"years\": {\"2021\": {\"planned\": \"検討\"}}}}"
refused kkt_hisho -32003 reason-required "{\"id\": 25, \"base\": \"$base\", \"patch\": {\"years\": {\"2021\": {\"revised\": \"整備(継続)\"}}}}"
refused kkt_hisho -32004 "" "{\"id\": 25, \"base\": \"$base\", \"patch\": {\"years\": {\"2021\": {\"progress\": \"late\"}}}}"
refused kkt_hisho -32001 not-permitted "{\"id\": 25, \"base\": \"$base\", \"patch\": {\"title\": \"新しい題\"}}"
# Messages in the caller's language.
r=$(call kkt_hisho item.update "{\"id\": 25, \"base\": \"$base\", \"locale\": \"ja_JP.UTF-8\", \"patch\": {\"years\": {\"2021\": {\"revised\": \"見直し\"}}}}") || true
check "Japanese top-level message" test "$(jget "$r" 'j["error"]["message"]')" = "この変更は計画のルールに反します"
check "Japanese violation" test "$(jget "$r" 'j["error"]["data"]["violations"][0]["message"]')" = "項目 25 の「years.2021.revised」を変更できません: 変更スケジュールの変更には変更理由が必要です"
# A closed year is named as the report names it, in both languages.
closed="{\"id\": 25, \"base\": \"$base\", \"reason\": \"x\", \"patch\": {\"years\": {\"2020\": {\"result\": \"書き換え\"}}}"
r=$(call kkt_hisho item.update "$closed, \"locale\": \"ja_JP.UTF-8\"}") || true
check "Japanese closed year: 令和2年度" test "$(jget "$r" 'j["error"]["data"]["violations"][0]["message"]')" = "項目 25 の「years.2020.result」を変更できません: 令和2年度 (2020) は締切済みです。変更できるのは、管理者が変更理由を付けて行う訂正のみです"
r=$(call kkt_hisho item.update "$closed}") || true
check "English closed year" test "$(jget "$r" 'j["error"]["data"]["violations"][0]["message"]')" = "cannot change 'years.2020.result' of item 25: fiscal year 2020 (令和2年度) is closed; only an admin's correction with a reason may change it"
r=$(call kkt_hisho item.update "{\"id\": 25, \"base\": \"$base\", \"patch\": {\"years\": {\"2021\": {\"progress\": \"late\"}}}}") || true
check "schema error names the field" test "$(jget "$r" 'j["error"]["data"]["errors"][0]["pointer"]')" = /years/2021/progress
check "still refused: not found" test "$(jget "$(call kkt_hisho item.update "{\"id\": 99, \"base\": \"$base\", \"patch\": {}}" || true)" 'j["error"]["code"]')" = -32005

# With a reason the same revision goes through; an admin corrects a closed year.
r=$(call kkt_hisho item.update "{\"id\": 25, \"base\": \"$base\", \"patch\": {\"years\": {\"2021\": {\"revised\": \"整備(継続)\"}}}, \"reason\": \"服務規程の協議が続くため\"}")
check "revision with reason" test "$(jget "$r" 'j["commit"]')" = "$(head_of)"
r=$(call kkt_dx item.update "{\"id\": 25, \"base\": \"$(head_of)\", \"correction\": true, \"reason\": \"誤記の訂正\", \"patch\": {\"years\": {\"2020\": {\"planned\": \"規程の整備\"}}}}")
check "admin correction" test "$(jget "$r" 'j["commit"]')" = "$(head_of)"
check "correction trailer" test "$(git -C "$repo" log -1 --format='%(trailers:key=Keikaku-Correction,valueonly)')" = yes

# Dry run: the changes and violations, nothing committed.
before=$(repo_state)
r=$(call kkt_hisho item.update "{\"id\": 25, \"base\": \"$(head_of)\", \"dry_run\": true, \"patch\": {\"years\": {\"2021\": {\"revised\": \"見直し\"}}}}")
check "dry run commits nothing" test "$(jget "$r" 'j["commit"]')" = null
check "dry run reports the violation" test "$(jget "$r" 'j["violations"][0]["rule"]')" = reason-required
check "dry run reports the change" test "$(jget "$r" 'j["changes"][0]["path"]')" = years.2021.revised
check "dry run leaves the repository" test "$(repo_state)" = "$before"

# An update that changes nothing makes no commit.
r=$(call kkt_hisho item.update "{\"id\": 25, \"base\": \"$(head_of)\", \"patch\": {\"years\": {\"2021\": {\"progress\": \"on_track\"}}}}")
check "no-op: no commit" test "$(jget "$r" 'j["commit"]')" = null
check "no-op leaves the repository" test "$(repo_state)" = "$before"

# Conflicts: a field changed since base is refused with the current version;
# other fields merge.
old_base=$(head_of)
call kkt_hisho item.update "{\"id\": 25, \"base\": \"$old_base\", \"patch\": {\"years\": {\"2021\": {\"progress\": \"ahead\"}}}}" >/dev/null
r=$(call kkt_dx item.update "{\"id\": 25, \"base\": \"$old_base\", \"patch\": {\"years\": {\"2021\": {\"progress\": \"behind\"}}}}") || true
check "conflict code" test "$(jget "$r" 'j["error"]["code"]')" = -32002
check "conflict field" test "$(jget "$r" 'j["error"]["data"]["fields"]')" = '[{"item": 25, "path": "years.2021.progress"}]'
check "conflict carries current" test "$(jget "$r" 'j["error"]["data"]["current"][0]["years"]["2021"]["progress"]')" = ahead
r=$(call kkt_dx item.update "{\"id\": 25, \"base\": \"$old_base\", \"patch\": {\"years\": {\"2022\": {\"progress\": \"on_track\"}}}}")
check "merge of another field" test "$(jget "$r" 'j["commit"]')" = "$(head_of)"
check "merged content keeps both" test "$(git -C "$repo" show main:items/0025.json | grep -c -e '"progress": "ahead"' -e '"progress": "on_track"')" = 2

# A retried request_id commits once, also after a restart.
count=$(git -C "$repo" rev-list --count main)
params="{\"id\": 26, \"base\": \"$(head_of)\", \"request_id\": \"retry-7\", \"patch\": {\"years\": {\"2021\": {\"result\": \"再送テスト\"}}}}"
first=$(jget "$(call kkt_dx item.update "$params")" 'j["commit"]')
again=$(call kkt_dx item.update "$params")
check "retry answers the first commit" test "$(jget "$again" 'j["commit"]')" = "$first"
check "retry marked" test "$(jget "$again" 'j["replayed"]')" = true
check "one commit for two tries" test "$(git -C "$repo" rev-list --count main)" = $((count + 1))
stop_daemon
start_daemon
again=$(call kkt_dx item.update "$params")
check "retry after restart" test "$(jget "$again" 'j["commit"]')" = "$first"
check "still one commit" test "$(git -C "$repo" rev-list --count main)" = $((count + 1))
# The same id from another person is another request.
r=$(call kkt_hisho item.update "{\"id\": 25, \"base\": \"$(head_of)\", \"request_id\": \"retry-7\", \"patch\": {\"years\": {\"2021\": {\"result\": \"別人\"}}}}")
check "request ids are per person" test "$(jget "$r" 'j["commit"]')" = "$(head_of)"

# plan.submit: all or nothing.
before=$(repo_state)
r=$(call kkt_dx plan.submit "{\"base\": \"$(head_of)\", \"reason\": \"一括\", \"items\": [
	{\"id\": 26, \"patch\": {\"years\": {\"2021\": {\"progress\": \"ahead\"}}}},
	{\"id\": 27, \"patch\": {\"years\": {\"2021\": {\"progress\": \"late\"}}}}]}") || true
check "bad item refuses the whole submission" test "$(jget "$r" 'j["error"]["code"]')" = -32004
check "nothing written" test "$(repo_state)" = "$before"
# A dry run of a submission: the changes it would make, nothing stored.
r=$(call kkt_dx plan.submit "{\"base\": \"$(head_of)\", \"reason\": \"一括\", \"dry_run\": true, \"items\": [
	{\"id\": 26, \"patch\": {\"years\": {\"2021\": {\"progress\": \"ahead\"}}}},
	{\"id\": 27, \"patch\": {\"years\": {\"2021\": {\"progress\": \"ahead\"}}}}]}")
check "submit dry run: no commit" test "$(jget "$r" 'j["commit"]')" = null
check "submit dry run: both changes" test "$(jget "$r" 'sorted((c["item"], c["path"], c["new"]) for c in j["changes"])')" = \
	'[[26, "years.2021.progress", "ahead"], [27, "years.2021.progress", "ahead"]]'
check "submit dry run: no violations" test "$(jget "$r" '[j["violations"], j["errors"]]')" = "[[], []]"
check "submit dry run: nothing written" test "$(repo_state)" = "$before"
r=$(call kkt_dx plan.submit "{\"base\": \"$(head_of)\", \"dry_run\": true, \"items\": [
	{\"id\": 27, \"patch\": {\"years\": {\"2021\": {\"progress\": \"late\"}}}}]}")
check "submit dry run: schema errors listed" test "$(jget "$r" 'len(j["errors"]) > 0 and j["commit"] is None')" = true
check "submit dry run of a bad item: nothing written" test "$(repo_state)" = "$before"
r=$(call kkt_dx plan.submit "{\"base\": \"$(head_of)\", \"reason\": \"一括\", \"items\": [
	{\"id\": 26, \"patch\": {\"years\": {\"2021\": {\"progress\": \"ahead\"}}}},
	{\"id\": 27, \"patch\": {\"years\": {\"2021\": {\"progress\": \"ahead\"}}}}]}")
check "submit commits once" test "$(jget "$r" 'j["commit"]')" = "$(head_of)"
check "submit touches both" test "$(git -C "$repo" diff --name-only main~1 main | tr '\n' ' ')" = "items/0026.json items/0027.json "
check "submit trailers" test "$(git -C "$repo" log -1 --format='%(trailers:key=Keikaku-Item,valueonly,separator=%x2C)')" = "26,27"

# Admin only: item.create and plan.update.
new_item='{"id": 36, "pillar": 1, "section": 1, "measure": 1, "title": "新しい項目", "owners": ["秘書課"], "related": [], "status": "open", "years": {"2022": {"planned": "検討"}}}'
r=$(call kkt_hisho item.create "{\"item\": $new_item, \"reason\": \"追加\"}") || true
check "create needs admin" test "$(jget "$r" 'j["error"]["code"]')" = -32001
before=$(repo_state)
r=$(call kkt_dx item.create "{\"item\": $new_item, \"reason\": \"追加\", \"dry_run\": true}")
check "create dry run: no commit" test "$(jget "$r" 'j["commit"]')" = null
check "create dry run: the new fields" test "$(jget "$r" '[c["path"] for c in j["changes"] if c["path"] in ("id", "title")]')" = '["id", "title"]'
check "create dry run: nothing written" test "$(repo_state)" = "$before"
r=$(call kkt_dx item.create "{\"item\": $new_item, \"reason\": \"追加\"}")
check "admin creates" test "$(git -C "$repo" show main:items/0036.json | grep -c 新しい項目)" = 1
before=$(repo_state)
r=$(call kkt_dx item.create "{\"item\": $new_item, \"reason\": \"二重\"}") || true
check "create of an existing id: refused" test "$(jget "$r" '[j["error"]["code"], j["error"]["message"]]')" = '[-32005, "the item already exists"]'
check "create of an existing id: nothing written" test "$(repo_state)" = "$before"
r=$(call kkt_dx plan.get '{"file": "departments.json"}')
deps=$(jget "$r" 'json.dumps({"departments": j["content"]["departments"] + [{"name": "企画課"}]}, ensure_ascii=False)')
r=$(call kkt_hisho plan.update "{\"base\": \"$(head_of)\", \"files\": {\"departments.json\": $deps}}") || true
check "plan.update needs admin" test "$(jget "$r" 'j["error"]["code"]')" = -32001
before=$(repo_state)
r=$(call kkt_dx plan.update "{\"base\": \"$(head_of)\", \"reason\": \"課の新設\", \"dry_run\": true, \"files\": {\"departments.json\": $deps}}")
check "plan.update dry run: no commit" test "$(jget "$r" 'j["commit"]')" = null
check "plan.update dry run: the change" test "$(jget "$r" '[c["file"] for c in j["changes"]]')" = '["departments.json"]'
check "plan.update dry run: nothing written" test "$(repo_state)" = "$before"
deps_base=$(head_of)
r=$(call kkt_dx plan.update "{\"base\": \"$(head_of)\", \"reason\": \"課の新設\", \"files\": {\"departments.json\": $deps}}")
check "admin updates departments" test "$(git -C "$repo" show main:departments.json | grep -c 企画課)" = 1
# The same list changed on the old base: a conflict that carries the file as it is now.
r=$(call kkt_dx plan.update "{\"base\": \"$deps_base\", \"reason\": \"別の新設\", \"files\": {\"departments.json\": {\"departments\": []}}}") || true
check "plan file conflict" test "$(jget "$r" 'j["error"]["code"]')" = -32002
check "plan file conflict: the field" test "$(jget "$r" 'j["error"]["data"]["fields"]')" = '[{"file": "departments.json", "path": "departments"}]'
check "plan file conflict: the current file" \
	test "$(jget "$r" '[d["name"] for d in j["error"]["data"]["current_files"]["departments.json"]["departments"]][-1]')" = 企画課
check "file trailer" test "$(git -C "$repo" log -1 --format='%(trailers:key=Keikaku-File,valueonly)')" = departments.json
# Removing a department that items still name fails validation.
deps=$(jget "$(call kkt_dx plan.get '{"file": "departments.json"}')" 'json.dumps({"departments": [d for d in j["content"]["departments"] if d["name"] != "総務課"]}, ensure_ascii=False)')
r=$(call kkt_dx plan.update "{\"base\": \"$(head_of)\", \"reason\": \"廃止\", \"files\": {\"departments.json\": $deps}}") || true
check "removing a used department is invalid" test "$(jget "$r" 'j["error"]["code"]')" = -32004

# Mapping people to departments with the CLI, as an admin (root).
expect 0 "*" "" -- kk --socket "$sock" dept map 秘書課 --user kkt_guest -m "異動"
check "mapped user acts for the department" test "$(jget "$(call kkt_guest whoami)" 'j["departments"]')" = '["秘書課"]'
expect 2 "" "keikaku: 'kkt_nobody' is not mapped to department '秘書課'
try 'keikaku dept unmap --help'" -- kk --socket "$sock" dept unmap 秘書課 --user kkt_nobody
expect 0 "*" "" -- kk --socket "$sock" dept unmap 秘書課 --user kkt_guest -m "異動"
check "unmapped again" test "$(jget "$(call kkt_guest whoami)" 'j["departments"]')" = '[]'
expect 1 "" "*" -- as kkt_hisho "$KEIKAKU" --socket "$sock" dept map 秘書課 --user kkt_guest

# Input as people type it (issue 16): an IME's 令和３年度 and 〇, the report's own words in a
# submitted patch, stored as codes; a misspelt field named as such, not as a permission.
expect 0 "*" "" -- as kkt_nurse "$KEIKAKU" --socket "$sock" update 20 --fy 令和３年度 --progress 〇
check "〇 is ○" test "$(git -C "$repo" show main:items/0020.json | jget "$(cat)" 'j["years"]["2021"]["progress"]')" = on_track
# Free text is stored exactly as written: the marks, full-width letters, digits and spaces
# that a key or code loses are kept in a result, through update and submit alike.
free='〇　ＡＢＣ１２３は◯と―、ｶﾅ。'$'\n''・令和４年度に導入完了'
expect 0 "*" "" -- as kkt_nurse "$KEIKAKU" --socket "$sock" update 20 --fy R3 --result "$free"
check "update: free text as written" test "$(git -C "$repo" show main:items/0020.json | jget "$(cat)" 'j["years"]["2021"]["result"]')" = "$free"
r=$(call kkt_nurse plan.submit "{\"base\": \"$(head_of)\", \"items\": [{\"id\": 20, \"patch\": {\"years\": {\"2021\": {\"revised\": \"〇　ＡＢＣ１２３\"}}}}], \"reason\": \"全角のまま\"}")
check "submit: free text as written" test "$(git -C "$repo" show main:items/0020.json | jget "$(cat)" 'j["years"]["2021"]["revised"]')" = "〇　ＡＢＣ１２３"
r=$(call kkt_nurse plan.submit "{\"base\": \"$(head_of)\", \"items\": [{\"id\": 20, \"patch\": {\"years\": {\"Ｒ３\": {\"progress\": \"◎\", \"achievement\": \"―\"}}}}]}")
check "report words stored as codes" test "$(git -C "$repo" show main:items/0020.json | jget "$(cat)" '[j["years"]["2021"]["progress"], j["years"]["2021"]["achievement"], sorted(j["years"])]')" = '["ahead", "open", ["2020", "2021"]]'
# A year renamed in an edited file ("2021" to "令和3年度") is the same year, not two.
r=$(call kkt_nurse plan.submit "{\"base\": \"$(head_of)\", \"items\": [{\"id\": 20, \"patch\": {\"years\": {\"2021\": null, \"令和3年度\": {\"result\": \"改名した年の結果\"}}}}]}")
check "a renamed year is the same year" test "$(git -C "$repo" show main:items/0020.json | jget "$(cat)" '[j["years"]["2021"]["result"], j["years"]["2021"]["progress"]]')" = '["改名した年の結果", "ahead"]'
before=$(repo_state)
r=$(call kkt_nurse plan.submit "{\"base\": \"$(head_of)\", \"items\": [{\"id\": 20, \"patch\": {\"years\": {\"2021\": {\"progres\": \"○\"}}}}]}") || true
check "misspelt field: invalid, not forbidden" test "$(jget "$r" 'j["error"]["code"]')" = -32004
check "misspelt field: named, with the one meant" test "$(jget "$r" '[j["error"]["data"]["errors"][0][k] for k in ("file", "pointer", "message")]')" = \
	'["items/0020.json", "/years/2021/progres", "unknown field '"'"'progres'"'"' (did you mean '"'"'progress'"'"'?)"]'
r=$(call kkt_dx item.update "{\"id\": 20, \"base\": \"$(head_of)\", \"locale\": \"ja_JP.UTF-8\", \"patch\": {\"titel\": \"x\"}}") || true
check "misspelt item field, in Japanese" test "$(jget "$r" 'j["error"]["data"]["errors"][0]["message"]')" = "'titel' という欄はありません ('title' のことですか?)"
check "misspelt fields write nothing" test "$(repo_state)" = "$before"

# Reads.
r=$(call kkt_guest item.get '{"id": 25}')
check "item.get" test "$(jget "$r" 'j["item"]["years"]["2021"]["progress"]')" = ahead
check "item.get at" test "$(jget "$(call kkt_guest item.get "{\"id\": 25, \"at\": \"$initial\"}")" 'j["item"]["years"]["2021"]["progress"]')" = behind
check "item.list owner" test "$(jget "$(call kkt_guest item.list '{"owner": "市立病院"}')" '[i["id"] for i in j["items"]]')" = "[20, 21]"
check "status" test "$(jget "$(call kkt_guest status)" 'j["head"]')" = "$(head_of)"

stop_daemon
check "clean exit" true
check "fsck at the end" git -C "$repo" fsck --strict --no-progress
check "verify at the end" kk -C "$repo" verify --all-history
check "the daemon writes packs, not loose objects" test "$(loose)" = "$loose_at_start"
finish
