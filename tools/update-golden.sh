#!/usr/bin/env bash
# Regenerates tests/golden/expected/*.json from tests/golden/TESTLIST with the
# binary in build/ (or $DS_BIN), in the form tests/golden/normalize.py
# writes (one field a line; an event starts with a line "{"). Review the
# result with `git diff` before committing: a changed line is a changed
# behaviour.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${DS_BIN:-$top/build/distill-sensor}
cd "$top"
while read -r name pcap args; do
    case "$name" in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2086
    "$bin" -r "$pcap" $args -o - | python3 tests/golden/normalize.py >"tests/golden/expected/$name.json"
    echo "updated $name ($(grep -c '^{$' "tests/golden/expected/$name.json") events)"
done <tests/golden/TESTLIST
