#!/usr/bin/env bash
# Same seed and arguments -> the same bytes (pcap, labels, flow log); another seed
# -> different bytes; and the generator still works, without QUIC, when the peer
# captures (../shared/peer) are missing.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

args=(mix --duration 3m --scale 0.2 --peer "$peer" -q)
"$gen" "${args[@]}" --seed 11 -o "$tmp/a.pcap" --flow-log "$tmp/a.flows"
# A different working directory and hash seed must not matter either.
(cd / && PYTHONHASHSEED=123 "$gen" "${args[@]}" --seed 11 -o "$tmp/b.pcap" --flow-log "$tmp/b.flows")
"$gen" "${args[@]}" --seed 12 -o "$tmp/c.pcap"

fail=0
sum() { sha256sum "$1" | cut -d' ' -f1; }
for ext in pcap labels.json flows; do
    if [ "$(sum "$tmp/a.$ext")" != "$(sum "$tmp/b.$ext")" ]; then
        echo "FAIL: two runs with seed 11 differ in .$ext"
        fail=1
    fi
done
[ "$(sum "$tmp/a.pcap")" != "$(sum "$tmp/c.pcap")" ] || { echo "FAIL: seeds 11 and 12 gave the same pcap"; fail=1; }
[ "$(stat -c %s "$tmp/a.pcap")" -gt 100000 ] || { echo "FAIL: suspiciously small pcap"; fail=1; }

# Without the peer captures: still a capture, and no UDP (QUIC) in it. Browsers
# are the role with QUIC side flows.
"$gen" browser --duration 5m --seed 11 --peer "$tmp/no-such-dir" -q -o "$tmp/d.pcap"
"$gen" browser --duration 5m --seed 11 --peer "$peer" -q -o "$tmp/e.pcap"
python3 - "$tmp/d.pcap" "$tmp/e.pcap" "$peer" <<'PY' || fail=1
import os, struct, sys
def count(path):
    data = open(path, "rb").read()
    off, n, udp = 24, 0, 0
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        n += 1
        et = frame[12:14]
        proto = frame[14 + 9] if et == b"\x08\x00" else frame[14 + 6] if et == b"\x86\xdd" else None
        udp += proto == 17
    return n, udp
n, udp = count(sys.argv[1])
if n == 0 or udp:
    print("FAIL: without peer captures: %d packets, %d UDP (want >0 and 0)" % (n, udp))
    sys.exit(1)
n2, udp2 = count(sys.argv[2])
if os.path.exists(os.path.join(sys.argv[3], "ja4/pcap/chrome-cloudflare-quic-with-secrets.pcapng")) and not udp2:
    print("FAIL: with peer captures, no QUIC packets in the browser scenario")
    sys.exit(1)
print("ok: browser scenario without peer captures: %d packets, no UDP; with them: %d packets, %d UDP"
      % (n, n2, udp2))
PY
[ $fail -eq 0 ] && echo "ok: same seed, same sha256 $(sum "$tmp/a.pcap")"
exit $fail
