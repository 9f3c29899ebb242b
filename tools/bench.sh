#!/usr/bin/env bash
# Throughput and memory of distill-sensor on a SPAN-like capture, as ratios
# against baselines measured in the same run on the same file:
#   (a) a bare libpcap loop that touches every packet (the floor), and
#   (b) nDPI's own ndpiReader -q (libndpi-bin).
# The capture (about 1M packets, 33k TLS flows, a fifth to AI API hosts) is
# generated with a fixed seed into build-bench/bench/, never committed.
#   tools/bench.sh [--flows N] [--runs R] [--instructions] [--against BIN] [-- extra sensor args]
# --against BIN also measures another build of the sensor (say, main before a
# refactor) on the same capture in the same run, interleaved with this one,
# and prints new/old ratios of wall time and peak memory (and instructions
# with --instructions).
# --instructions adds the signatures' cost in instructions (valgrind
# callgrind, about two minutes): wall time on a shared machine moves by 10%
# or more between runs, instruction counts do not.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
flows=33000 runs=3 instr=0 against='' extra=()
while [ $# -gt 0 ]; do
    case $1 in
        --flows) flows=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --instructions) instr=1; shift ;;
        --against) against=$(readlink -f "$2"); shift 2 ;;
        --) shift; extra=("$@"); break ;;
        *) echo "usage: tools/bench.sh [--flows N] [--runs R] [--instructions] [--against BIN] [-- sensor args]" >&2; exit 2 ;;
    esac
done
"$top/tools/setup.sh"
"$top/tools/build.sh" build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
bin=$top/build-bench/distill-sensor
out=$top/build-bench/bench
mkdir -p "$out"
pcap=$out/span-$flows.pcap
[ -f "$pcap" ] || python3 "$top/tools/bench/gen-span.py" "$pcap" --flows "$flows" --seed 1
cc -O2 -o "$out/pcaploop" "$top/tools/bench/pcaploop.c" $(pkg-config --cflags --libs libpcap)

# best-of-R wall time (seconds) and peak RSS (KiB) of a command
measure() {
    local best="" rss=0
    for _ in $(seq "$runs"); do
        /usr/bin/time -f '%e %M' -o "$out/time" "$@" >/dev/null 2>&1
        read -r t m <"$out/time"
        if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
        [ "$m" -gt "$rss" ] && rss=$m
    done
    echo "$best $rss"
}
pkts=$("$out/pcaploop" "$pcap" | awk '{print $1}')
# Flow events alone: the catalogue and fingerprints without any signature.
rm -rf "$out/rules-nosig" && mkdir -p "$out/rules-nosig"
cp "$top/rules/ai-services.conf" "$top/rules/fingerprints.conf" "$out/rules-nosig/"
read -r t_loop m_loop < <(measure "$out/pcaploop" "$pcap")
read -r t_ds m_ds < <(measure "$bin" -r "$pcap" -o /dev/null "${extra[@]}")
read -r t_nosig m_nosig < <(measure "$bin" -r "$pcap" -o /dev/null --rules "$out/rules-nosig" "${extra[@]}")
read -r t_all m_all < <(measure "$bin" -r "$pcap" -o /dev/null --all-tls "${extra[@]}")
if command -v ndpiReader >/dev/null; then
    read -r t_nd m_nd < <(measure ndpiReader -q -i "$pcap")
else
    t_nd=nan m_nd=0
fi
awk -v p="$pkts" -v f="$flows" -v tl="$t_loop" -v td="$t_ds" -v ta="$t_all" -v tn="$t_nd" \
    -v ml="$m_loop" -v md="$m_ds" -v ma="$m_all" -v mn="$m_nd" -v ts="$t_nosig" -v ms="$m_nosig" 'BEGIN {
    printf "capture: %d packets, %d TLS flows (seed 1), best of runs\n", p, f
    printf "%-34s %9s %12s %10s %10s\n", "", "wall s", "packets/s", "vs loop", "peak MiB"
    printf "%-34s %9.2f %12.0f %10s %10.1f\n", "bare libpcap loop (floor)", tl, p/tl, "1.00x", ml/1024
    printf "%-34s %9.2f %12.0f %9.2fx %10.1f\n", "distill-sensor, no signatures", ts, p/ts, ts/tl, ms/1024
    printf "%-34s %9.2f %12.0f %9.2fx %10.1f\n", "distill-sensor (all shipped rules)", td, p/td, td/tl, md/1024
    printf "%-34s %9.2f %12.0f %9.2fx %10.1f\n", "distill-sensor --all-tls", ta, p/ta, ta/tl, ma/1024
    if (tn != "nan") printf "%-34s %9.2f %12.0f %9.2fx %10.1f\n", "ndpiReader -q", tn, p/tn, tn/tl, mn/1024
    if (tn != "nan") printf "distill-sensor / ndpiReader: %.2f\n", td/tn
    # The issue bounds the drop in throughput (packets/s): 1 - ts/td. The
    # rise in wall time, td/ts - 1, is the same cost seen the other way.
    printf "signatures cost: throughput %+.1f%% (wall time %+.1f%%) against flow events alone\n", (ts/td - 1) * 100, (td/ts - 1) * 100
}'

if [ "$instr" = 1 ]; then
    "$top/tools/setup.sh" --only bench >/dev/null
    # instructions executed, from callgrind's summary line
    instructions() {
        valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
            awk '/Collected :/ {print $NF}'
    }
    i_nosig=$(instructions "$bin" -r "$pcap" -o /dev/null --rules "$out/rules-nosig" "${extra[@]}")
    i_all=$(instructions "$bin" -r "$pcap" -o /dev/null "${extra[@]}")
    awk -v a="$i_all" -v n="$i_nosig" 'BEGIN {
        printf "instructions: %.3g no signatures, %.3g all rules: signatures cost %+.1f%% instructions\n", n, a, (a/n - 1) * 100
    }'
fi

if [ -n "$against" ]; then
    [ -x "$against" ] || { echo "bench: --against $against: not an executable" >&2; exit 2; }
    # Interleaved, so that a busy moment of the machine hits both alike.
    best_new="" best_old="" rss_new=0 rss_old=0
    for _ in $(seq "$runs"); do
        read -r t m < <(runs=1 measure "$bin" -r "$pcap" -o /dev/null "${extra[@]}")
        if [ -z "$best_new" ] || awk "BEGIN{exit !($t < $best_new)}"; then best_new=$t; fi
        [ "$m" -gt "$rss_new" ] && rss_new=$m
        read -r t m < <(runs=1 measure "$against" -r "$pcap" -o /dev/null "${extra[@]}")
        if [ -z "$best_old" ] || awk "BEGIN{exit !($t < $best_old)}"; then best_old=$t; fi
        [ "$m" -gt "$rss_old" ] && rss_old=$m
    done
    awk -v p="$pkts" -v tn="$best_new" -v to="$best_old" -v mn="$rss_new" -v mo="$rss_old" 'BEGIN {
        printf "%-34s %9.2f %12.0f %10s %10.1f\n", "this build (all shipped rules)", tn, p/tn, "", mn/1024
        printf "%-34s %9.2f %12.0f %10s %10.1f\n", "--against build", to, p/to, "", mo/1024
        printf "this / against: wall time %.3f, peak memory %.3f\n", tn/to, mn/mo
    }'
    if [ "$instr" = 1 ]; then
        i_new=$(instructions "$bin" -r "$pcap" -o /dev/null "${extra[@]}")
        i_old=$(instructions "$against" -r "$pcap" -o /dev/null "${extra[@]}")
        awk -v a="$i_new" -v b="$i_old" 'BEGIN { printf "this / against: instructions %.4f (%.4g vs %.4g)\n", a/b, a, b }'
    fi
fi
