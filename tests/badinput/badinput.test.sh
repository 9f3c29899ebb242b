#!/usr/bin/env bash
# Bad input: every fault gets one clear line on stderr naming the file and
# the fault, the documented exit code, no crash, and the events for what was
# read before the fault. Crafted captures are made at test time by mkbad.py.
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail=0
good=$(ls "$src"/pcaps/clients/*.pcap 2>/dev/null | head -1)
[ -n "$good" ] || { echo "no pcaps/clients/*.pcap to cut"; exit 1; }
# mkbad.py wants classic little-endian pcap; tcpdump -w writes that.
python3 "$src/tests/badinput/mkbad.py" "$work" "$good" >/dev/null || exit 1

# expect NAME WANT_EXIT STDERR_REGEX -- ARGS...
expect() {
    local name=$1 want=$2 re=$3; shift 4
    timeout 60 "$bin" "$@" >"$work/out" 2>"$work/err"
    local got=$?
    if [ "$got" -ge 124 ]; then
        echo "FAIL $name: exit $got (crash or hang)"; cat "$work/err"; fail=1; return
    fi
    if [ "$got" -ne "$want" ]; then
        echo "FAIL $name: exit $got, want $want"; cat "$work/err"; fail=1; return
    fi
    if [ "$re" = "^$" ]; then
        if [ -s "$work/err" ]; then
            echo "FAIL $name: want a quiet stderr, got:"; cat "$work/err"; fail=1; return
        fi
    elif ! grep -Eq -- "$re" "$work/err"; then
        echo "FAIL $name: stderr does not match /$re/:"; cat "$work/err"; fail=1; return
    fi
    if grep -q 'AddressSanitizer\|runtime error' "$work/err"; then
        echo "FAIL $name: sanitizer report"; cat "$work/err"; fail=1; return
    fi
    echo "ok   $name (exit $got): $(head -1 "$work/err")"
}

expect missing-file      1 "$work/nope.pcap: No such file" -- -r "$work/nope.pcap"
expect not-a-capture     1 "not-a-capture.pcap: not a pcap or pcapng" -- -r "$work/not-a-capture.pcap"
expect empty-file        1 "empty.pcap: " -- -r "$work/empty.pcap"
expect short-header      1 "short-header.pcap: " -- -r "$work/short-header.pcap"
expect huge-record       1 "huge-record.pcap: read error after 1 packets" -- -r "$work/huge-record.pcap"
expect truncated         1 "truncated.pcap: read error after [0-9]+ packets: .*truncated" -- -r "$work/truncated.pcap"
# What was read before the fault is still reported: flows and final stats.
grep -q '"event_type":"flow"' "$work/out" || { echo "FAIL truncated: no flow events for what was read"; fail=1; }
grep -q '"event_type":"stats"' "$work/out" || { echo "FAIL truncated: no stats event"; fail=1; }
expect layers            0 "^$" -- -r "$work/layers.pcap"
python3 - "$work/out" <<'PY' || fail=1
import json, sys
stats = [json.loads(l) for l in open(sys.argv[1]) if '"stats"' in l][-1]
errs = stats["sensor"]["decode_errors"]
want = {"not_ip": 1, "link_truncated": 1, "ipv4_truncated": 1, "ipv4_invalid": 2,
        "ip_fragment": 1, "tcp_invalid": 2, "tcp_truncated": 1, "udp_invalid": 1,
        "ipv6_truncated": 1}
missing = [k for k, n in want.items() if errs.get(k, 0) != n]
if missing or stats["stats"]["decoder"]["pkts"] != 12:
    print("FAIL layers: uncounted faults", missing, errs); sys.exit(1)
print("ok   layers: every fault counted", {k: errs[k] for k in want})
PY
expect hostile-hello     0 "^$" -- -r "$work/hostile-hello.pcap" --all-tls
# A directory: capture files in name order, the rest skipped, bad ones reported.
mkdir "$work/dir"; cp "$good" "$work/dir/b.pcap"; cp "$work/not-a-capture.pcap" "$work/dir/a.txt"
expect directory         0 "^$" -- -r "$work/dir"
grep -q '"event_type":"flow"' "$work/out" || { echo "FAIL directory: no flows"; fail=1; }
mkdir "$work/empty"
expect empty-dir-only    0 "empty: directory holds no capture files" -- -r "$work/empty"
# - is standard input: the same events as the file itself; an empty stdin is
# a truncated capture (exit 1), as an empty file is.
"$bin" -r "$good" -o - 2>/dev/null | grep -v '"event_type":"stats"' >"$work/byname"
"$bin" -r - -o - <"$good" 2>"$work/err" | grep -v '"event_type":"stats"' >"$work/bystdin"
if ! [ -s "$work/byname" ] || ! cmp -s "$work/byname" "$work/bystdin"; then
    echo "FAIL stdin: -r - differs from -r FILE"; cat "$work/err"; fail=1
fi
expect empty-stdin       1 "-: truncated capture header" -- -r - </dev/null
# One bad file among good ones: the good ones are still read, exit 1.
expect mixed-files       1 "nope.pcap: No such file" -- -r "$good" -r "$work/nope.pcap" -r "$good"
[ "$(grep -c '"event_type":"stats"' "$work/out")" = 1 ] || { echo "FAIL mixed-files: want one final stats"; fail=1; }
# Usage and configuration errors: exit 2.
expect no-input          2 "give either -r FILE or -i IFACE" --
expect both-inputs       2 "give either -r FILE or -i IFACE" -- -r "$good" -i lo
expect unknown-option    2 "unrecognized option|Try 'distill-sensor --help'" -- --frobnicate
expect bad-max-flows     2 "invalid value '0' for --max-flows" -- -r "$good" --max-flows 0
expect bad-interval      2 "invalid value 'soon' for --stats-interval" -- -r "$good" --stats-interval soon
expect bad-filter        2 "bad filter expression 'tcp port banana'" -- -r "$good" tcp port banana
expect missing-rules     2 "ai-services.conf" -- -r "$good" --rules "$work/norules"
expect unwritable-output 1 "cannot open for writing" -- -r "$good" -o /proc/nonexistent/events.json
# Live: a missing interface is a runtime error with a clear reason.
expect missing-iface     1 "nosuchif0: no such interface|nosuchif0: .*(No such device|doesn't exist)" -- -i nosuchif0
# --help and --version go to stdout, exit 0.
"$bin" --help | grep -q -- '--all-tls' || { echo "FAIL --help"; fail=1; }
"$bin" --version | grep -q '^distill-sensor ' || { echo "FAIL --version"; fail=1; }
[ $fail = 0 ] && echo "all bad-input cases pass"
exit $fail
