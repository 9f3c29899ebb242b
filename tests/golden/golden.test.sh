#!/usr/bin/env bash
# Golden tests (after tcpdump's TESTLIST): each line of tests/golden/TESTLIST
# is `name pcap [args...]`; the sensor's events for that capture, put by
# normalize.py in the stored form (memory figures dropped, one field a line),
# must equal tests/golden/expected/<name>.json byte for byte. Events depend
# on packet time only, so they are stable. Regenerate with
# tools/update-golden.sh and review the diff: a changed field is a changed line.
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
list=$src/tests/golden/TESTLIST
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
pass=0 fail=0
while read -r name pcap args; do
    case "$name" in ''|'#'*) continue ;; esac
    exp=$src/tests/golden/expected/$name.json
    # shellcheck disable=SC2086
    (cd "$src" && "$bin" -r "$pcap" $args -o - 2>"$work/$name.err") >"$work/$name.raw"
    rc=$?
    python3 "$src/tests/golden/normalize.py" <"$work/$name.raw" >"$work/$name.json" || rc=1
    if [ $rc -ne 0 ]; then
        echo "FAIL $name: exit $rc"; cat "$work/$name.err"; fail=$((fail + 1)); continue
    fi
    if [ ! -f "$exp" ]; then
        echo "FAIL $name: no expected output $exp (run tools/update-golden.sh)"; fail=$((fail + 1)); continue
    fi
    if diff -u "$exp" "$work/$name.json" >"$work/$name.diff"; then
        pass=$((pass + 1))
    else
        echo "FAIL $name: events differ"; head -40 "$work/$name.diff"; fail=$((fail + 1))
    fi
done <"$list"
echo "golden: $pass passed, $fail failed"
[ $fail = 0 ] && [ $pass -gt 0 ]
