#!/usr/bin/env bash
# The built-in example plan (examples/dx-plan-r3) must validate against the published
# schemas with a stock, independent JSON Schema implementation: Debian's python3-jsonschema.
# A clone of a plan repository promises exactly that, so our own validator is not the judge.
#
# Checks:
#   1. every schema in schema/ is itself a valid draft-07 schema (Draft7Validator.check_schema);
#   2. every JSON file of the example validates against its matching schema;
#   3. deliberately broken copies of one item are rejected, so this test can fail.
#
# Run by ctest with KK_SOURCE_DIR set to the source directory.
set -euo pipefail

src=${KK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
schemas=$src/schema
example=$src/examples/dx-plan-r3
py=/usr/bin/python3

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

[[ -x $py ]] || fail "'$py' not found (install Debian's python3)"
"$py" -c 'import jsonschema' 2>/dev/null ||
	fail "'$py' cannot import jsonschema (install python3-jsonschema)"
[[ -d $example ]] || fail "'$example' is not a directory"

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

# 1. The schemas themselves.
nschemas=0
for name in item plan departments keikaku; do
	schema=$schemas/$name.schema.json
	[[ -f $schema ]] || fail "missing schema '$schema'"
	if ! "$py" - "$schema" >"$tmp/check.out" 2>&1 <<'EOF'; then
import json, sys
from jsonschema import Draft7Validator
with open(sys.argv[1], encoding="utf-8") as f:
    schema = json.load(f)
if schema.get("$schema") != "http://json-schema.org/draft-07/schema#":
    sys.exit("not a draft-07 schema: " + repr(schema.get("$schema")))
Draft7Validator.check_schema(schema)
EOF
		cat "$tmp/check.out" >&2
		fail "'$schema' is not a valid draft-07 schema"
	fi
	nschemas=$((nschemas + 1))
done

# 2. Every file of the example against its schema.
schema_for() {
	case $1 in
	keikaku.json) echo "$schemas/keikaku.schema.json" ;;
	departments.json) echo "$schemas/departments.schema.json" ;;
	plan.json) echo "$schemas/plan.schema.json" ;;
	items/[0-9][0-9][0-9][0-9].json) echo "$schemas/item.schema.json" ;;
	*) return 1 ;;
	esac
}

nfiles=0
nitems=0
errors=0
for top in keikaku.json departments.json plan.json; do
	[[ -f $example/$top ]] || fail "missing '$example/$top'"
done
while IFS= read -r -d '' path; do
	rel=${path#"$example"/}
	if ! schema=$(schema_for "$rel"); then
		echo "FAIL: '$rel' has no matching schema (expected keikaku.json, departments.json," \
			"plan.json or items/NNNN.json)" >&2
		errors=$((errors + 1))
		continue
	fi
	if ! "$py" -m jsonschema -i "$path" "$schema" >"$tmp/validate.out" 2>&1; then
		echo "FAIL: '$rel' does not validate against '${schema#"$src"/}':" >&2
		sed 's/^/    /' "$tmp/validate.out" >&2
		errors=$((errors + 1))
		continue
	fi
	nfiles=$((nfiles + 1))
	if [[ $rel == items/* ]]; then
		nitems=$((nitems + 1))
	fi
done < <(find "$example" -type f -name '*.json' -print0 | sort -z)

((errors == 0)) || fail "$errors example file(s) invalid"
((nitems > 0)) || fail "no items in '$example/items'"

# 3. Broken copies of one valid item must be rejected, each for its own reason.
item=$example/items/0026.json
[[ -f $item ]] || item=$(find "$example/items" -name '*.json' | sort | head -n 1)
"$py" - "$item" "$tmp" <<'EOF'
import copy, json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    good = json.load(f)
year = sorted(good["years"])[0]

def write(name, obj):
    with open(f"{sys.argv[2]}/{name}.json", "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)

bad = copy.deepcopy(good)
bad["years"][year]["progress"] = "late"
write("bad-progress", bad)
bad = copy.deepcopy(good)
bad["colour"] = "red"
write("bad-extra-property", bad)
bad = copy.deepcopy(good)
bad["years"][year]["progress"] = "late"
bad["colour"] = "red"
write("bad-both", bad)
EOF

nrejected=0
expect_rejected() {
	local file=$tmp/$1.json want=$2
	if "$py" -m jsonschema -i "$file" "$schemas/item.schema.json" >"$tmp/bad.out" 2>&1; then
		fail "broken item '$1' was accepted by '$schemas/item.schema.json'"
	fi
	if ! grep -q -- "$want" "$tmp/bad.out"; then
		cat "$tmp/bad.out" >&2
		fail "broken item '$1' was rejected, but not for \"$want\""
	fi
	nrejected=$((nrejected + 1))
}
expect_rejected bad-progress "'late' is not one of"
expect_rejected bad-extra-property "('colour' was unexpected)"
expect_rejected bad-both "'late' is not one of"
expect_rejected bad-both "('colour' was unexpected)"

echo "schemas: $nschemas valid draft-07"
echo "example: $nfiles files valid ($nitems items), $nrejected broken-item checks rejected"
