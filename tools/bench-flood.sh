#!/usr/bin/env bash
# tools/bench-flood.sh [--bin BINARY] [--against BINARY] [--scale K] [--kinds LIST]
#                      [--memcap SIZE] [--keep DIR]
#
# Memory and shedding under each flood of tools/gen-flood: the sensor runs
# with defaults on the flood (streamed with -r - when the binary reads
# stdin, else from a temporary file, deleted at exit), and one line a kind
# and binary says:
#   packets       decoder.pkts of the final stats event
#   rss           peak RSS (MiB, GNU time)
#   memcap        sensor.memcap.limit (MiB) as the stats say ("-": no memcap)
#   evicted       sensor.memcap.evicted.* that are non-zero ("-": none, or no key)
#   refused       sensor.memcap.refused.*
#   flows         sensor.flows evicted/timed_out; sources: sensor.sources.evicted
#   quic_shed     sensor.quic.shed
#   events        sensor.output events/write_errors
#   exit          the sensor's exit status (snaplen: 1, libpcap refuses the
#                 record over 256 KiB at its end; "read error" on stderr)
# --against runs a second binary (e.g. /tmp/ds-head) on the same flood, so
# the figures are before/after. --scale K takes K times the full-scale
# counts (sources 500,000: issue 10's flood). --memcap SIZE passes --memcap
# to every binary that knows the option. --keep DIR keeps the event files.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
bin=$src/build/distill-sensor against="" scale=1 memcap="" keep=""
kinds="sources halfopen cuthello quic snaplen timeback"
while [ $# -gt 0 ]; do
    case $1 in
        --bin) bin=$2; shift 2 ;;
        --against) against=$2; shift 2 ;;
        --scale) scale=$2; shift 2 ;;
        --kinds) kinds=${2//,/ }; shift 2 ;;
        --memcap) memcap=$2; shift 2 ;;
        --keep) keep=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-flood: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -x /usr/bin/time ] || { echo "bench-flood: GNU time is needed (package time)" >&2; exit 1; }
for b in "$bin" $against; do
    [ -x "$b" ] || { echo "bench-flood: $b: not an executable" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-flood.XXXXXX")
trap 'rm -rf "$work"' EXIT
[ -n "$keep" ] && mkdir -p "$keep"

# Does the binary read a capture on stdin (-r -)? A 24-byte pcap header says.
reads_stdin() {
    printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' |
        "$1" -q -r - -o /dev/null 2>/dev/null
}
knows_memcap() { "$1" --help 2>&1 | grep -q -- '--memcap'; }

gen() {  # kind -> pcap on stdout
    "$src/tools/gen-flood" "$1" --scale "$scale" 2>>"$work/gen.log"
}

# One line from the last stats event of $1, the RSS file $2, exit status $3.
report() {
    python3 - "$@" <<'PY'
import json
import re
import sys

events, timef, rc, kind, label = sys.argv[1:6]
stats = None
with open(events, "rb") as f:
    for line in f:
        if b'"event_type":"stats"' in line:
            stats = line
st = json.loads(stats) if stats else {}
s = st.get("sensor", {})
pkts = st.get("stats", {}).get("decoder", {}).get("pkts", "-")
rss = "-"
for line in open(timef, encoding="utf-8", errors="replace"):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", line)
    if m:
        rss = "%.0f" % (int(m.group(1)) / 1024)
mc = s.get("memcap")

def pairs(d):
    if not isinstance(d, dict):
        return "-"
    nz = ["%s=%s" % (k, v) for k, v in d.items() if v]
    return ",".join(nz) if nz else "0"

limit = "-" if not mc else "%.0f" % (mc.get("limit", 0) / 1048576)
evicted = pairs(mc.get("evicted")) if mc else "-"
refused = pairs(mc.get("refused")) if mc else "-"
fl, so, out = s.get("flows", {}), s.get("sources", {}), s.get("output", {})
g = lambda d, k: d.get(k, "-")
print("%-9s %-28s pkts=%-9s rss=%-5s memcap=%-4s evicted=%s refused=%s flows.evicted=%s "
      "flows.timed_out=%s sources.evicted=%s quic_shed=%s events=%s write_errors=%s exit=%s"
      % (kind, label, pkts, rss, limit, evicted, refused, g(fl, "evicted"), g(fl, "timed_out"),
         g(so, "evicted"), g(s.get("quic", {}), "shed"), g(out, "events"),
         g(out, "write_errors"), rc))
PY
}

run() {  # kind binary file-or-empty
    local kind=$1 b=$2 file=$3 rc args=(-q)
    local out=$work/$kind.$(basename "$b").json
    knows_memcap "$b" && [ -n "$memcap" ] && args+=(--memcap "$memcap")
    if [ -z "$file" ]; then
        gen "$kind" | /usr/bin/time -v -o "$work/time" "$b" "${args[@]}" -r - -o "$out" 2>"$work/err"
        rc=$?
    else
        /usr/bin/time -v -o "$work/time" "$b" "${args[@]}" -r "$file" -o "$out" 2>"$work/err"
        rc=$?
    fi
    grep -v '^distill-sensor: .*read error after' "$work/err" | head -3 >&2
    report "$out" "$work/time" "$rc" "$kind" "$b"
    if [ -n "$keep" ]; then mv "$out" "$keep/"; else rm -f "$out"; fi
}

echo "# tools/bench-flood.sh --scale $scale on $(date -u +%FT%TZ), $(nproc) cores; RSS in MiB"
for kind in $kinds; do
    file=""
    need_file=0
    for b in "$bin" $against; do reads_stdin "$b" || need_file=1; done
    if [ $need_file = 1 ]; then
        file=$work/$kind.pcap
        gen "$kind" >"$file" || { echo "bench-flood: gen-flood $kind failed" >&2; cat "$work/gen.log" >&2; exit 1; }
    fi
    for b in "$bin" $against; do
        run "$kind" "$b" "$file"
    done
    rm -f "$work/$kind.pcap"
done
sed 's/^/# /' "$work/gen.log"
