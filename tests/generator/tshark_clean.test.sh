#!/usr/bin/env bash
# tshark reads every generated capture without a malformed packet or an
# error-level expert item, and every IPv4, TCP and UDP checksum is right. Checked
# on every committed scenario (pcaps/scenarios) and on fresh runs of each role
# and of the mix. The filter is first shown to catch a known-bad capture, so the
# test cannot pass by filtering nothing.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_tshark

bad_filter='_ws.malformed || _ws.expert.severity >= error || tcp.checksum.status == 0 || ip.checksum.status == 0 || udp.checksum.status == 0'
check() {  # prints the number of offending frames in $1
    tshark -r "$1" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
        -Y "$bad_filter" 2>/dev/null | wc -l
}

fail=0
known_bad=$peer/nDPI/tests/cfgs/default/pcap/tls-esni-fuzzed.pcap
if [ -f "$known_bad" ]; then
    [ "$(check "$known_bad")" -gt 0 ] || { echo "FAIL: the check does not flag $known_bad"; fail=1; }
fi
# A checksum broken by hand must be caught too.
"$gen" steady --duration 30s --seed 3 -q -o "$tmp/ok.pcap"
python3 - "$tmp/ok.pcap" "$tmp/broken.pcap" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
off = 24 + 16           # first record's frame: Ethernet(14) + IPv4(20) + TCP checksum at 16
data[off + 14 + 20 + 16] ^= 0xFF
open(sys.argv[2], "wb").write(data)
PY
[ "$(check "$tmp/broken.pcap")" -gt 0 ] || { echo "FAIL: a broken TCP checksum went unnoticed"; fail=1; }

files=()
for f in "$src"/pcaps/scenarios/*.pcap; do [ -e "$f" ] && files+=("$f"); done
for role in steady hydra burst jittered rotating browser developer production automation; do
    dur=4m
    case $role in developer) dur=40m ;; browser) dur=15m ;; esac
    "$gen" "$role" --duration $dur --seed 21 --peer "$peer" -q -o "$tmp/$role.pcap"
    files+=("$tmp/$role.pcap")
done
"$gen" mix --duration 3m --scale 0.3 --seed 22 --peer "$peer" -q -o "$tmp/mix.pcap"
files+=("$tmp/mix.pcap")

for f in "${files[@]}"; do
    n=$(check "$f")
    total=$(tshark -r "$f" 2>/dev/null | wc -l)
    if [ "$total" -eq 0 ]; then
        echo "FAIL $(basename "$f"): tshark read no packets"
        fail=1
    elif [ "$n" -ne 0 ]; then
        echo "FAIL $(basename "$f"): $n of $total frames malformed, error-level or with a bad checksum:"
        tshark -r "$f" -q -z expert,error 2>/dev/null | head -20
        fail=1
    else
        echo "ok   $(basename "$f"): $total frames clean"
    fi
done
exit $fail
