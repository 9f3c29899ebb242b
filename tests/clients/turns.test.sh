#!/usr/bin/env bash
# Turns against requests on real clients (pcaps/turns, made by
# tools/capture-clients.sh --turns): for every capture the sensor's flow events are
# compared, connection by connection (the client port), with nginx's log of every
# request (X.requests.tsv) by tests/clients/turns_compare.py, which says what it
# checks and with what tolerance: on HTTP/1.1 and sequential HTTP/2 connections
# the turn count equals the request count and each turn's start (50 ms), request
# size (the TLS 1.3 and HTTP/2 framing overhead) and time to first byte (50 ms
# from the server's) match its request; on HTTP/2 connections with concurrent
# streams the count is within 5% and the request sizes keep their spread.
# Prints one line a connection and a table a capture.
# Env (from ctest): DS_BIN (the sensor to test: any binary), DS_SOURCE_DIR.
# Exit 77 = skipped.
set -euo pipefail

src=${DS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
dir=$src/pcaps/turns
if [ -z "${DS_BIN:-}" ] || [ ! -x "$DS_BIN" ]; then
    echo "SKIP: sensor binary DS_BIN='${DS_BIN:-}' does not exist (build it first)"
    exit 77
fi
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
shopt -s nullglob
pcaps=("$dir"/*.pcap)
[ ${#pcaps[@]} -gt 0 ] || { echo "FAIL: no captures in $dir"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
: > "$tmp/summary"
for f in "${pcaps[@]}"; do
    name=$(basename "$f" .pcap)
    log=$dir/$name.requests.tsv
    [ -s "$log" ] || { echo "FAIL $name: no request log $log"; fail=1; continue; }
    if ! "$DS_BIN" -r "$f" -o - > "$tmp/events.json" 2> "$tmp/stderr"; then
        echo "FAIL $name: $DS_BIN -r exited non-zero: $(head -3 "$tmp/stderr")"
        fail=1
        continue
    fi
    python3 "$src/tests/clients/turns_compare.py" "$name" "$tmp/events.json" "$log" > "$tmp/out" || fail=1
    grep -v '^SUMMARY' "$tmp/out"
    grep '^SUMMARY' "$tmp/out" >> "$tmp/summary"
done
echo
printf '%-22s %6s %7s %9s %6s %15s %15s  %s\n' capture conns failed requests turns "max start ms" "max ttfb ms" "failed checks"
while IFS=$'\t' read -r _ name conns failed reqs turns start ttfb checks; do
    printf '%-22s %6s %7s %9s %6s %15s %15s  %s\n' "$name" "${conns#connections }" "${failed#failed }" \
        "${reqs#requests }" "${turns#turns }" "${start#max_start_err_ms }" "${ttfb#max_ttfb_err_ms }" "${checks:-}"
done < "$tmp/summary"
if [ "$fail" -ne 0 ]; then
    echo "FAIL: turns differ from requests (above)"
    exit 1
fi
echo "PASS: turns equal requests on every connection of ${#pcaps[@]} captures"
