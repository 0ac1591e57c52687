#!/usr/bin/env bash
# keikaku init --import and keikaku import --dry-run: a progress report becomes a plan
# repository that verifies and that stock git accepts; a broken report names every bad
# row and creates nothing.
. "$(dirname "$0")/lib.bash"
cd "$work"
fixtures=$KK_SOURCE_DIR/tests/fixtures/import
sample=$KK_SOURCE_DIR/examples/dx-plan-r3/progress-report-R3-part1.tsv
expected=$fixtures/expected
opts=(--title 空閑市DX推進計画 --organisation 空閑市 --admin-department デジタル戦略課)

# The sample report: one commit, every file as a person wrote it from the report.
expect 0 "*" "" -- kk init plan.git --import "$sample" "${opts[@]}"
check "one commit" test "$(git -C plan.git rev-list --count main)" = 1
check "fsck --strict" git -C plan.git fsck --strict --no-progress
expect 0 "no problems in 42 files at $(git -C plan.git rev-parse --short=10 main)" "" \
	-- kk -C plan.git verify
expect 0 "Create plan '空閑市DX推進計画' with 35 items

Imported from progress-report-R3-part1.tsv" "" -- git -C plan.git log -1 --format=%B
for f in keikaku.json departments.json plan.json $(cd "$expected" && ls items/*.json); do
	check "$f as expected" cmp <(git -C plan.git show "main:$f") "$expected/$f"
done
check "35 items" test "$(git -C plan.git ls-tree --name-only main:items | wc -l)" = 35

# Item 26 reads as in the hand-made example plan.
kk init example.git --from "$KK_SOURCE_DIR/examples/dx-plan-r3" >/dev/null
expect 0 "$(kk -C example.git show 26)" "" -- kk -C plan.git show 26
expect 0 "*" "" -- kk -C plan.git show 26 --json
check "show 26 --json" test "$(kk -C plan.git show 26 --json)" = "$(kk -C example.git show 26 --json)"

# The same report as CSV (byte-order mark, CRLF, quoted cells) gives the same files.
expect 0 "*" "" -- kk init csv.git --import "$fixtures/progress-report-R3-part1.csv" "${opts[@]}"
check "CSV gives the same tree" test "$(git -C csv.git rev-parse main^{tree})" = \
	"$(git -C plan.git rev-parse main^{tree})"

# A broken report: each bad row with its reason, exit 1, and no repository.
expect 1 "" "$(sed "s|^row \([0-9]*\): |$fixtures/broken.tsv:\1: |" "$fixtures/broken.expected")
keikaku: '$fixtures/broken.tsv' has 5 rows that cannot be imported; no repository was created
hint: '--explain' shows how each row was read; a corrections file ('--corrections FILE') can set a row's fields or skip it" \
	-- kk init broken.git --import "$fixtures/broken.tsv"
check "nothing created" test ! -e broken.git
check "no temporary left" test -z "$(ls | grep kk-init || true)"
expect 1 "" "*" -- kk import "$fixtures/broken.tsv" --dry-run

# --explain: how each row was read, cell by cell, and nothing created or sent.  The
# shapes of tests/fixtures/import/shapes: an added item written from the first column,
# an empty 担当課 under an item (a merged cell).
shapes=$fixtures/shapes/report.tsv
kk init shapes.git --import "$shapes" --explain >explain.out
check "--explain creates nothing" test ! -e shapes.git
expect 0 "row 15: item 2
         (empty)                 施策                          no 施策 cell filled: the 施策 of the row above (a merged cell)
  A15    【R3追加】待ち時間の…   項目                          an 【…追加】 marker: the item's title, wherever it stands
  B15    市民課                  担当課                        the cell after the title
  H15    検討                    令和3年度 計画スケジュール    the first of the two cells before this year's 進捗度
  I15    導入                    令和3年度 変更スケジュール    the second of the two cells before this year's 進捗度
  J15    ○                       令和3年度 進捗度              the row's only 進捗度 mark, nearer this year's column than the previous year's
  K15    表示板を設けた。        令和3年度 取組内容または結果  the cell after this year's 進捗度
  L15    運用                    令和4年度 変更スケジュール    the one filled cell between this year's result and the 通番
  M15    2                       通番                          a number just before the final 達成度
  N15    —                       達成度                        a 達成度 word, the row's last filled cell" "" \
	-- sed -n '/^row 15:/,/^row 16:/{/^row 16:/d;p}' explain.out
expect 0 "  D16    (empty)                 担当課                        empty, under an item of this table: the 担当課 of the row above (a merged cell)" "" \
	-- grep '^  D16 ' explain.out
expect 0 "row 12: a table's header: 項目 and 令和N年度
row 13: the header's second row: the parts of each year" "" -- grep '^row 1[23]:' explain.out
check "every row of the shapes is an item" test "$(grep -c '^row [0-9]*: item' explain.out)" = 10
expect 0 "*" "" -- kk import "$shapes" --explain
expect 0 "*" "" -- kk init shapes.git --import "$shapes"
check "the shapes: 10 items" test "$(git -C shapes.git ls-tree --name-only main:items | wc -l)" = 10
# In Japanese, and a broken report: each bad row's reading says why, exit 1.
LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 expect 0 "*" "" -- kk init x.git --import "$shapes" --explain
check "explained in Japanese" grep -q "^15 行目: 項目 2" <(LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8 kk init x.git --import "$shapes" --explain)
expect 1 "*" "*" -- kk init broken.git --import "$fixtures/broken.tsv" --explain
check "a bad row explained" grep -q "^row 9: cannot be imported: unknown 進捗度 '△'" \
	<(kk init broken.git --import "$fixtures/broken.tsv" --explain 2>/dev/null)
check "nothing created" test ! -e broken.git

# --corrections: cells set before a row is read, fields after; on record in the commit.
fix=$fixtures/broken.corrections.json
expect 0 "*" "" -- kk init fixed.git --import "$fixtures/broken.tsv" --corrections "$fix"
expect 0 "Create plan '新しい計画' with 7 items

Imported from broken.tsv

Corrections from broken.corrections.json:
- row 8: cell O8 = '2' (通番が報告書から抜けていた)
- row 9: cell G9 = '▲' (△は▲の誤り)
- row 10: cell O10 = '4' (通番の重複: 4 が正しい)
- row 11: cell H11 = '—' (達成度の誤記と担当課の漏れ)
- row 11, item 5: owners (達成度の誤記と担当課の漏れ)
- row 13, item 7: years.2021.progress, related (関係課なし)" "" -- git -C fixed.git log -1 --format=%B
expect 0 "no problems in 14 files at $(git -C fixed.git rev-parse --short=10 main)" "" \
	-- kk -C fixed.git verify
expect 0 "*" "" -- kk import "$fixtures/broken.tsv" --corrections "$fix" --dry-run
expect 0 "  G9     ▲                                                     the cell's text is the corrections file's (it was '△'): △は▲の誤り" "" \
	-- grep "it was '△'" <(kk init x.git --import "$fixtures/broken.tsv" --corrections "$fix" --explain)
# A mistake in the file: named at its place, exit 1, nothing created.
printf '{"corrections": [{"row": 9, "set": {"progres": "○"}, "reason": "r"}]}' >bad-fix.json
expect 1 "" "bad-fix.json: /corrections/0/set/progres: unknown field 'progres' (did you mean 'progress', a field of a fiscal year under 'years'?)
keikaku: 'bad-fix.json' has 1 problem" -- kk init bad.git --import "$fixtures/broken.tsv" --corrections bad-fix.json
printf '{"corrections": [' >cut-fix.json
expect 1 "" "keikaku: cut-fix.json: line 1, column 18: unexpected end of input" \
	-- kk init bad.git --import "$fixtures/broken.tsv" --corrections cut-fix.json
expect 2 "" "keikaku: cannot read 'no-such.json': No such file or directory" \
	-- kk init bad.git --import "$fixtures/broken.tsv" --corrections no-such.json
check "nothing created" test ! -e bad.git

# Bytes that are no text in any encoding a report comes in: refused once (a double
# free once aborted here), nothing created.
printf '\xff\xfe\x00\x00' >"$work/utf16.tsv"
expect 1 "" "keikaku: '$work/utf16.tsv' is not UTF-8, UTF-16 or Shift_JIS (CP932) text" \
	-- kk init utf16.git --import "$work/utf16.tsv"
check "undecodable: nothing created" test ! -e utf16.git
expect 1 "" "keikaku: '$work/utf16.tsv' is not UTF-8, UTF-16 or Shift_JIS (CP932) text" \
	-- kk import "$work/utf16.tsv" --dry-run

# --force skips those rows and says so.
expect 0 "*" "*" -- kk init forced.git --import "$fixtures/broken.tsv" --force
check "forced: says how many" test "$(kk init forced2.git --import "$fixtures/broken.tsv" \
	--force 2>&1 >/dev/null | tail -1)" = \
	"keikaku: skipped 5 rows of '$fixtures/broken.tsv' that cannot be imported"
check "forced: two items" test "$(git -C forced.git ls-tree --name-only main:items | wc -l)" = 2
expect 0 "*" "" -- kk -C forced.git verify

# A dry run shows what would be imported and sends nothing (no keikakud is running).
expect 0 "'$fixtures/messy/report.tsv': the report on 令和3年度 (FY2021)
9 items, 2 pillars, 2 sections, 6 measures, 10 departments
     1  1 (1) ①  申請のオンライン化  各課  —
     2  1 (1) ①  手数料のオンライン納付  デジタル戦略課  導入完了
     3  1 (1) ②  Webシステムの導入  収税課  —
     4  1 (1) ③  電子契約の導入  財政課  導入完了
     5  1 (1) ④  キャッシュレス決済の導入  市民課 税務課  導入完了
     6  2 (1) ①  規程の整備  秘書課  —
     7  2 (1) ①  プリンターの廃止  デジタル戦略課  導入完了
     8  2 (1) ②  農業委員会でのタブレットの活用  農業委員会事務局  導入完了
     9  2 (1) ②  介護認定審査会でのタブレットの活用  高齢福祉課  —
dry run: nothing imported" "" \
	-- env KEIKAKU_SOCKET="$work/none.sock" "$KEIKAKU" import "$fixtures/messy/report.tsv" --dry-run

# Not a report; usage errors.
printf 'a\tb\n' >notes.tsv
expect 1 "" "keikaku: 'notes.tsv' has no report table (a header row with 項目 and 令和N年度)" \
	-- kk init notes.git --import notes.tsv
check "nothing for a non-report" test ! -e notes.git
expect 2 "" "keikaku: cannot read 'nowhere.tsv': No such file or directory" \
	-- kk init x.git --import nowhere.tsv
expect 2 "" "keikaku: '--from' and '--import' cannot be used together
try 'keikaku init --help'" -- kk init x.git --from "$fixtures" --import "$sample"
expect 2 "" "keikaku: '--force', '--explain', '--corrections', '--title', '--organisation' and '--admin-department' go with '--import'
try 'keikaku init --help'" -- kk init x.git --force
expect 2 "" "keikaku: expected one file
try 'keikaku import --help'" -- kk import
check "nothing for usage errors" test ! -e x.git

finish
