# Sourced by tests/clients/turns.test.sh and turns-h3.test.sh: the sensor's turns
# against a server's log of every request, for every capture of one directory.
#   turns_check_dir DIR WHAT
# For every DIR/X.pcap: runs $DS_BIN on it and tests/clients/turns_compare.py on
# its events and DIR/X.requests.tsv (one line a connection), then prints a table
# a capture; returns 1 when a check failed (WHAT names the captures in the last
# line). Needs DS_BIN and src (the source tree); skips (exit 77) without them.

turns_check_dir() {
    local dir=$1 what=$2 f name log fail=0 tmp
    if [ -z "${DS_BIN:-}" ] || [ ! -x "$DS_BIN" ]; then
        echo "SKIP: sensor binary DS_BIN='${DS_BIN:-}' does not exist (build it first)"
        exit 77
    fi
    command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
    shopt -s nullglob
    local pcaps=("$dir"/*.pcap)
    [ ${#pcaps[@]} -gt 0 ] || { echo "FAIL: no captures in $dir"; return 1; }
    tmp=$(mktemp -d)
    # shellcheck disable=SC2064  # expand now: tmp is local
    trap "rm -rf '$tmp'" EXIT
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
    local _ conns failed reqs turns start ttfb checks
    while IFS=$'\t' read -r _ name conns failed reqs turns start ttfb checks; do
        printf '%-22s %6s %7s %9s %6s %15s %15s  %s\n' "$name" "${conns#connections }" "${failed#failed }" \
            "${reqs#requests }" "${turns#turns }" "${start#max_start_err_ms }" "${ttfb#max_ttfb_err_ms }" "${checks:-}"
    done < "$tmp/summary"
    if [ "$fail" -ne 0 ]; then
        echo "FAIL: turns differ from requests (above)"
        return 1
    fi
    echo "PASS: turns equal requests on every connection of ${#pcaps[@]} $what captures"
}
