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

finish
