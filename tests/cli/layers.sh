#!/usr/bin/env bash
# core/'s layers: no file includes a header of a layer above its own or beside
# it (scripts/check-layers, from core/CMakeLists.txt's kk_layer() calls), and
# the check does fail on a copy of core/ that breaks the rule.
. "$(dirname "$0")/lib.bash"

check "core/ keeps to its layers" "$KK_SOURCE_DIR/scripts/check-layers" "$KK_SOURCE_DIR/core"

# A copy where the JSON reader (base) includes plan.h (plan), and a header
# climbs out of its directory: both named.
cp -r "$KK_SOURCE_DIR/core" "$work/core"
sed -i '0,/#include "json.h"/s//#include "json.h"\n#include "plan.h"/' "$work/core/base/json.c"
sed -i '0,/#include "common.h"/s//#include "..\/plan\/plan.h"/' "$work/core/git/pack.h"
expect 1 "*" "" -- "$KK_SOURCE_DIR/scripts/check-layers" "$work/core"
out=$("$KK_SOURCE_DIR/scripts/check-layers" "$work/core" || true)
check "a higher layer named" grep -q '^core/base/json.c:[0-9]*: includes "plan.h" of layer plan, above or beside base (which uses base)$' <<<"$out"
check "a path named" grep -q '^core/git/pack.h:[0-9]*: includes "../plan/plan.h": name a header by itself, not by a path$' <<<"$out"
check "only those" test "$(wc -l <<<"$out")" = 2

# Siblings do not see each other: report may not use history.
cp -r "$KK_SOURCE_DIR/core" "$work/core2"
sed -i '0,/#include "report.h"/s//#include "report.h"\n#include "history.h"/' "$work/core2/report/report.c"
out=$("$KK_SOURCE_DIR/scripts/check-layers" "$work/core2" || true)
check "a sibling named" grep -q '^core/report/report.c:[0-9]*: includes "history.h" of layer history' <<<"$out"

# web/ (keikaku serve's server) is built on core/ alone: its files include core's headers
# and its own, never the CLI's or keikakud's; and the CLI reaches it only through web.h.
# web_layer WEB_DIR CLI_DIR: one line per include that breaks this.
web_layer() {
	local core_h web_h f inc
	core_h=$(cd "$KK_SOURCE_DIR/core" && ls -- */*.h | sed 's#.*/##')
	web_h=$(cd "$1" && ls -- *.h)
	for f in "$1"/*.[ch]; do
		grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | while IFS= read -r line; do
			inc=$(sed 's/.*"\(.*\)".*/\1/' <<<"$line")
			grep -qxF -- "$inc" <<<"$core_h"$'\n'"$web_h" ||
				echo "web/${f##*/}:${line%%:*}: includes \"$inc\", which is neither core's nor web's"
		done
	done
	for f in "$2"/*.[ch]; do
		for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\(.*\)".*/\1/p' "$f"); do
			if [ "$inc" != web.h ] && grep -qxF -- "$inc" <<<"$web_h"; then
				echo "cli/${f##*/}: includes web's \"$inc\": only web.h is for the CLI"
			fi
		done
	done
}
check "web/ keeps to core/" test -z "$(web_layer "$KK_SOURCE_DIR/web" "$KK_SOURCE_DIR/cli")"
cp -r "$KK_SOURCE_DIR/web" "$work/web"
cp -r "$KK_SOURCE_DIR/cli" "$work/cli"
sed -i '0,/#include "page.h"/s//#include "page.h"\n#include "cli.h"/' "$work/web/page.c"
sed -i '0,/#include "web.h"/s//#include "web.h"\n#include "page.h"/' "$work/cli/cmd_serve.c"
out=$(web_layer "$work/web" "$work/cli")
check "web/ including the CLI's header is named" grep -q '^web/page.c:[0-9]*: includes "cli.h", which is neither' <<<"$out"
check "the CLI including web's insides is named" grep -q '^cli/cmd_serve.c: includes web.s "page.h"' <<<"$out"
check "only those" test "$(wc -l <<<"$out")" = 2

finish
