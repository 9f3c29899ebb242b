#!/usr/bin/env bash
# The cost of a QUIC flow, in instructions (valgrind callgrind), on the bench's
# SPAN-like capture (tools/bench/gen-span.py, TLS over TCP) with and without N
# QUIC flows added (tools/bench/add-quic.py): each a Chrome hello with an
# X25519MLKEM768 key share (tools/mkquic; SNI chatgpt.com, so every flow is
# followed as an AI flow, the costliest path; --sni another host) over two
# Initials with shuffled CRYPTO frames, then a server flight and ten
# short-header turns: 45 packets.
# Both captures are measured in the same run with the same build and
# arguments; prints the instructions per QUIC flow (the difference over N),
# per TLS flow of the baseline (its total over its flows), and the ratio of the
# two captures' totals. Instruction counts, not times: on a shared machine
# wall time moves by 10% or more between runs, instruction counts do not.
# Start-up (rules, nDPI, libcrypto) is measured alone on an empty capture and
# taken out of the per-flow figures.
#   tools/bench-quic.sh [--flows N] [--quic Q] [--sni HOST] [--bin BIN] [--against BIN] [-- extra sensor args]
# --flows: TLS flows of the baseline (default 5000); --quic: QUIC flows added
# (default 1000); --bin: measure this binary instead of building
# build-bench/ (Release); --against BIN: also the baseline capture (TCP only)
# under another build, say main before the QUIC parser, to show what the QUIC
# work costs TCP traffic: the ratio of the two after their start-up.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
flows=5000 quic=1000 sni=chatgpt.com bin='' against='' extra=()
while [ $# -gt 0 ]; do
    case $1 in
        --flows) flows=$2; shift 2 ;;
        --quic) quic=$2; shift 2 ;;
        --sni) sni=$2; shift 2 ;;
        --bin) bin=$(readlink -f "$2"); shift 2 ;;
        --against) against=$(readlink -f "$2"); shift 2 ;;
        --) shift; extra=("$@"); break ;;
        *) echo "usage: tools/bench-quic.sh [--flows N] [--quic Q] [--sni HOST] [--bin BIN] [--against BIN] [-- sensor args]" >&2; exit 2 ;;
    esac
done
"$top/tools/setup.sh" >/dev/null
"$top/tools/setup.sh" --only bench >/dev/null
if [ -z "$bin" ]; then
    "$top/tools/build.sh" build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
    bin=$top/build-bench/distill-sensor
fi
[ -x "$bin" ] || { echo "bench-quic: $bin: not an executable" >&2; exit 2; }
if [ -n "$against" ] && [ ! -x "$against" ]; then
    echo "bench-quic: --against $against: not an executable" >&2; exit 2
fi
out=$top/build-bench/bench
mkdir -p "$out"
base=$out/span-$flows.pcap
[ -f "$base" ] || python3 "$top/tools/bench/gen-span.py" "$base" --flows "$flows" --seed 1 >/dev/null

# The hello: Chrome's with its ML-KEM share from suricata-verify's
# quic-frag-unordered when ../shared/peer is there, else browser.pcap's Chrome
# hello with the share added by mkquic (as tests/detect/quic_captures does).
peer=${DS_PEER_DIR:-$top/../shared/peer}
mlkem_pcap=$peer/suricata-verify/tests/quic-frag-unordered/input.pcap
qdir=$out/quic
rm -rf "$qdir" && mkdir -p "$qdir"
if [ -f "$mlkem_pcap" ]; then
    "$top/tools/mkquic" hello "$mlkem_pcap" "$qdir/hello.bin" >/dev/null
    add=() from="suricata-verify quic-frag-unordered (Chrome, ML-KEM share)"
else
    "$top/tools/mkquic" hello "$top/pcaps/scenarios/browser.pcap" "$qdir/hello.bin" >/dev/null
    add=(--mlkem) from="browser.pcap's Chrome hello, ML-KEM share added"
fi
"$top/tools/mkquic" make "$qdir/hello.bin" "$qdir/caps" --sni "$sni" "${add[@]}"
with=$out/span-$flows-quic-$quic-$sni.pcap
python3 "$top/tools/bench/add-quic.py" "$base" "$qdir/caps/shuffled.pcap" "$with" --quic "$quic" >/dev/null

# The QUIC flows must be seen as such, or the figure measures nothing.
seen=$("$bin" -q -r "$with" -o - --all-tls "${extra[@]}" | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    e = json.loads(line)
    q = e.get("quic") or {}
    if e.get("event_type") == "flow" and q.get("sni") == sys.argv[1] and q.get("ja4"):
        n += 1
print(n)' "$sni")
if [ "$seen" -ne "$quic" ]; then
    echo "bench-quic: $seen of the $quic QUIC flows got an SNI and a JA4: not measuring" >&2
    exit 1
fi

# instructions executed, from callgrind's summary line
instructions() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        awk '/Collected :/ {print $NF}'
}
pkts() { python3 -c 'import os,struct,sys
d=open(sys.argv[1],"rb").read(); i=24; n=0
while i + 16 <= len(d): i += 16 + struct.unpack("<I", d[i+8:i+12])[0]; n += 1
print(n)' "$1"; }
empty=$out/empty.pcap
python3 -c 'import struct,sys; open(sys.argv[1], "wb").write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))' "$empty"
i_start=$(instructions "$bin" -r "$empty" -o /dev/null "${extra[@]}")
i_base=$(instructions "$bin" -r "$base" -o /dev/null "${extra[@]}")
i_with=$(instructions "$bin" -r "$with" -o /dev/null "${extra[@]}")
awk -v s="$i_start" -v b="$i_base" -v w="$i_with" -v f="$flows" -v q="$quic" -v pb="$(pkts "$base")" -v pw="$(pkts "$with")" \
    -v from="$from" -v sni="$sni" 'BEGIN {
    printf "hello: %s, SNI %s; %d QUIC flows of %d packets each\n", from, sni, q, (pw - pb) / q
    printf "%-40s %10s %16s\n", "capture", "packets", "instructions"
    printf "%-40s %10d %16.0f\n", "start-up (empty capture)", 0, s
    printf "%-40s %10d %16.0f\n", "baseline (" f " TLS flows)", pb, b
    printf "%-40s %10d %16.0f\n", "baseline + " q " QUIC flows", pw, w
    printf "per TLS flow of the baseline (all its packets, after start-up): %.0f instructions\n", (b - s) / f
    printf "per QUIC flow: %.0f instructions (%.2fx a TLS flow); per QUIC packet %.0f, per baseline packet %.0f\n", (w - b) / q, ((w - b) / q) / ((b - s) / f), (w - b) / (pw - pb), (b - s) / pb
    printf "with / baseline: instructions %.4f (%.4f after start-up)\n", w / b, (w - s) / (b - s)
}'
if [ -n "$against" ]; then
    i_old_start=$(instructions "$against" -r "$empty" -o /dev/null "${extra[@]}")
    i_old=$(instructions "$against" -r "$base" -o /dev/null "${extra[@]}")
    awk -v a="$i_base" -v o="$i_old" -v as="$i_start" -v os="$i_old_start" 'BEGIN {
        printf "baseline (TCP only), this build / --against build: instructions %.4f (%.0f vs %.0f)\n", a / o, a, o
        printf "  after start-up: %.4f (%.0f vs %.0f); start-up %.0f vs %.0f\n", (a - as) / (o - os), a - as, o - os, as, os
    }'
fi
