#!/usr/bin/env bash
# tools/pcap-slim.py keeps what the sensor reads: every committed real-client
# capture (pcaps/clients, pcaps/turns) slimmed gives the same events as the
# original, with default options and with --all-tls --source-events
# --stats-interval 1, and most of its payload bytes are zeroed.
# Env (from ctest): DS_BIN, DS_SOURCE_DIR. Exit 77 = skipped.
set -euo pipefail
src=${DS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
if [ -z "${DS_BIN:-}" ] || [ ! -x "$DS_BIN" ]; then
    echo "SKIP: sensor binary DS_BIN='${DS_BIN:-}' does not exist (build it first)"
    exit 77
fi
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
for f in "$src"/pcaps/clients/*.pcap "$src"/pcaps/turns/*.pcap; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    name=$(basename "$(dirname "$f")")/$(basename "$f")
    python3 "$src/tools/pcap-slim.py" "$f" "$tmp/slim.pcap" 2> "$tmp/slim.err" ||
        { echo "FAIL $name: pcap-slim: $(cat "$tmp/slim.err")"; fail=1; continue; }
    # "N of M payload bytes zeroed": at least half, or the slimming did nothing.
    read -r zeroed total < <(sed -n 's/.* \([0-9]*\) of \([0-9]*\) payload bytes zeroed.*/\1 \2/p' "$tmp/slim.err")
    if [ "$total" -gt 4096 ] && [ $((zeroed * 2)) -lt "$total" ]; then
        echo "FAIL $name: only $zeroed of $total payload bytes zeroed"; fail=1
    fi
    for opts in "" "--all-tls --source-events --stats-interval 1"; do
        # shellcheck disable=SC2086
        "$DS_BIN" -r "$f" --rules "$src/rules" $opts -o "$tmp/a.json" 2>/dev/null
        # shellcheck disable=SC2086
        "$DS_BIN" -r "$tmp/slim.pcap" --rules "$src/rules" $opts -o "$tmp/b.json" 2>/dev/null
        if ! cmp -s "$tmp/a.json" "$tmp/b.json"; then
            echo "FAIL $name ($opts): events differ on the slim capture:"
            diff "$tmp/a.json" "$tmp/b.json" | head -4
            fail=1
        fi
        rm -f "$tmp/a.json" "$tmp/b.json"
    done
    echo "ok $name: $zeroed of $total payload bytes zeroed, events identical"
done
[ "$n" -gt 0 ] || { echo "FAIL: no captures in pcaps/clients or pcaps/turns"; exit 1; }
[ "$fail" -eq 0 ] || exit 1
echo "PASS: $n captures, events identical slim and full"
