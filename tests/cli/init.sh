#!/usr/bin/env bash
# keikaku init: a bare repository with one commit that stock git accepts,
# refusing bad plans and existing paths without leaving anything behind.
. "$(dirname "$0")/lib.bash"
cd "$work"
example=$KK_SOURCE_DIR/examples/dx-plan-r3

# The example becomes a repository; git fsck --strict is clean.
expect 0 "*" "" -- kk init plan.git --from "$example"
check "bare repository on main" test "$(git -C plan.git rev-parse --is-bare-repository)" = true
check "HEAD is main" test "$(git -C plan.git symbolic-ref HEAD)" = refs/heads/main
check "one commit" test "$(git -C plan.git rev-list --count main)" = 1
check "fsck --strict" git -C plan.git fsck --strict --no-progress
expect 0 "Create plan '空閑市DX推進計画' with 35 items
Test User <test@keikaku.invalid>" "" -- git -C plan.git log -1 --format='%s%n%an <%ae>'
# Every file of the example, byte for byte, plus the schemas.
files=$(git -C plan.git ls-tree -r --name-only main | wc -l)
check "42 files" test "$files" = 42
for f in keikaku.json departments.json plan.json items/0001.json items/0035.json; do
	check "$f stored as written" cmp <(git -C plan.git show "main:$f") "$example/$f"
done
for f in "$KK_SOURCE_DIR"/schema/*.schema.json; do
	check "schema copied" cmp <(git -C plan.git show "main:schema/${f##*/}") "$f"
done

# The empty template works too, and verifies.
expect 0 "*" "" -- kk init empty.git
check "empty fsck" git -C empty.git fsck --strict --no-progress
expect 0 "no problems in 7 files at $(git -C empty.git rev-parse --short=10 main)" "" \
	-- kk -C empty.git verify

# Never overwrite: an existing repository, a file, a non-empty directory.
before=$(find plan.git -type f | sort | xargs sha1sum | sha1sum)
expect 2 "" "keikaku: 'plan.git' already exists; refusing to overwrite it" \
	-- kk init plan.git --from "$example"
check "untouched" test "$(find plan.git -type f | sort | xargs sha1sum | sha1sum)" = "$before"
echo data >afile
expect 2 "" "keikaku: 'afile' already exists; refusing to overwrite it" -- kk init afile
check "file untouched" test "$(cat afile)" = data
mkdir -p full && touch full/x
expect 2 "" "keikaku: 'full' already exists; refusing to overwrite it" -- kk init full
mkdir emptydir
expect 0 "*" "" -- kk init emptydir

# A plan with problems: each is printed, and nothing is created.
cp -r "$example" bad
sed -i 's/"on_track"/"late"/' bad/items/0026.json
sed -i 's/"各課"/"企画課"/' bad/items/0001.json
expect 1 "" "bad/items/0001.json: /owners/0: department '企画課' does not exist
bad/items/0026.json: /years/2021/progress: must be one of \"ahead\", \"on_track\", \"behind\"
keikaku: 'bad' has 2 problems; no repository was created" -- kk init bad.git --from bad
check "nothing created" test ! -e bad.git
check "no temporary left" test -z "$(ls | grep kk-init || true)"

# Unparsable input names the file and position; files are canonicalised on the way in.
cp -r "$example" messy
printf '{"id": 1, "id": 2}' >messy/items/0001.json
expect 1 "" "messy/items/0001.json: line 1, column 11: duplicate key 'id'
keikaku: 'messy' has 1 problem; no repository was created" -- kk init messy.git --from messy
cp "$example/items/0001.json" messy/items/0001.json
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); json.dump(dict(reversed(list(d.items()))), open(sys.argv[1],"w"), ensure_ascii=True)' messy/items/0002.json
expect 0 "*" "" -- kk init messy.git --from messy
check "canonicalised" cmp <(git -C messy.git show main:items/0002.json) "$example/items/0002.json"

# Usage errors.
expect 2 "" "keikaku: expected one PATH
try 'keikaku init --help'" -- kk init
expect 2 "" "keikaku: cannot read 'nowhere': No such file or directory" \
	-- kk init x.git --from nowhere
check "nothing for a missing source" test ! -e x.git

finish
