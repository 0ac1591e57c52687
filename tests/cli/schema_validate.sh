#!/usr/bin/env bash
# keikaku schema validate and keikaku fmt: checking files before they are submitted.
. "$(dirname "$0")/lib.bash"
cd "$work"
schema=$KK_SOURCE_DIR/schema/item.schema.json
example=$KK_SOURCE_DIR/examples/dx-plan-r3

expect 0 "$example/items/0001.json: valid
$example/items/0026.json: valid" "" -- kk schema validate "$schema" "$example/items/0001.json" "$example/items/0026.json"

# Invalid files: one line per error, FILE: /pointer: message; exit 1.
sed -e 's/"on_track"/"late"/' -e 's/"id": 26/"id": 0/' -e 's/"pillar": 2,/"pillar": 2, "colour": "red",/' \
	"$example/items/0026.json" >bad.json
printf '{"id": 1,\n "id": 2}\n' >dup.json
printf '\xff\n' >binary.json
head -c 100 "$example/items/0026.json" >truncated.json
expect 1 "bad.json: /id: must be at least 1
bad.json: /colour: property 'colour' is not allowed
bad.json: /years/2021/progress: must be one of \"ahead\", \"on_track\", \"behind\"
dup.json: line 2, column 2: duplicate key 'id'
binary.json: line 1, column 1: invalid UTF-8
truncated.json: line 7, column 1: unexpected end of input
$example/items/0002.json: valid" "" \
	-- kk schema validate "$schema" bad.json dup.json binary.json truncated.json "$example/items/0002.json"
# Deep nesting and a missing required property.
/usr/bin/python3 -c 'print("[" * 100 + "]" * 100)' >deep.json
echo '{"id": 1}' >partial.json
expect 1 "deep.json: line 1, column 65: nesting is deeper than 64 levels
partial.json: /: missing required property 'pillar'
partial.json: /: missing required property 'section'
partial.json: /: missing required property 'measure'
partial.json: /: missing required property 'title'
partial.json: /: missing required property 'owners'
partial.json: /: missing required property 'related'
partial.json: /: missing required property 'status'
partial.json: /: missing required property 'years'" "" \
	-- kk schema validate "$schema" deep.json partial.json

# Unreadable input and usage errors: exit 2.
expect 2 "" "keikaku: cannot read 'missing.json': No such file or directory" \
	-- kk schema validate "$schema" missing.json
expect 2 "$example/items/0001.json: valid" "keikaku: cannot read 'missing.json': No such file or directory" \
	-- kk schema validate "$schema" missing.json "$example/items/0001.json"
expect 2 "" "keikaku: expected a SCHEMA and at least one FILE
try 'keikaku schema --help'" -- kk schema validate "$schema"
expect 2 "" "keikaku: unknown subcommand 'check'
try 'keikaku schema --help'" -- kk schema check "$schema" x.json
expect 2 "" "keikaku: --remote takes URL=DIR, not 'http://x'
try 'keikaku schema --help'" -- kk schema validate --remote http://x "$schema" x.json
echo '{"type": "strin"}' >badschema.json
expect 2 "" "keikaku: badschema.json: /type: not a valid schema: does not match any of the allowed alternatives" \
	-- kk schema validate badschema.json bad.json
expect 2 "" "keikaku: cannot read 'nope.json': No such file or directory" \
	-- kk schema validate nope.json bad.json

# Remote references, served from a directory; and refs to sibling files.
mkdir -p remote/sub
echo '{"type": "integer"}' >remote/sub/int.json
echo '{"properties": {"n": {"$ref": "http://example.invalid/s/sub/int.json"}}}' >uses-remote.json
echo '{"n": "x"}' >n.json
expect 1 "n.json: /n: expected an integer, got a string" "" \
	-- kk schema validate --remote "http://example.invalid/s/=$work/remote/" uses-remote.json n.json
echo '{"properties": {"n": {"$ref": "remote/sub/int.json"}}}' >uses-sibling.json
expect 1 "n.json: /n: expected an integer, got a string" "" \
	-- kk schema validate uses-sibling.json n.json
expect 2 "*" "*" -- kk schema validate uses-remote.json n.json

# fmt: canonical form in place, or --check.
cp "$example/items/0026.json" canonical.json
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); json.dump(dict(reversed(list(d.items()))), open(sys.argv[1],"w"))' \
	"$work/canonical.json"
cp "$example/departments.json" departments.json
expect 1 "canonical.json" "" -- kk fmt --check canonical.json departments.json
expect 0 "" "" -- kk fmt canonical.json departments.json
check "fmt result" cmp canonical.json "$example/items/0026.json"
expect 0 "" "" -- kk fmt --check canonical.json
expect 2 "" "keikaku: dup.json: line 2, column 2: duplicate key 'id'" -- kk fmt dup.json
expect 2 "" "keikaku: expected at least one FILE
try 'keikaku fmt --help'" -- kk fmt

finish
