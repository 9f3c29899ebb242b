#!/usr/bin/env bash
# QUIC ClientHellos from our own Initial parser (quic-initial.c) in the
# sensor's flow events: browser.pcap's three Chrome QUIC flows, whose SNI
# nDPI 4.2 does not find, carry quic.sni and FoxIO's QUIC JA4 with
# --all-tls. Then the same capture behind a flood of 3,000 Initial-sized
# datagrams with random DCIDs from as many ports (none opens), still active
# when Chrome's flows start: they get their SNI and JA4 all the same, and
# every flood flow is counted as QUIC with no SNI or JA4. (nDPI names each
# flood flow QUIC at its first packet, which decides it and frees its
# reassembly slot; a flow whose Initials do not open also gives its slot
# back by itself, but with nDPI deciding first this capture cannot tell.)
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
command -v mergecap >/dev/null || { echo "SKIP: mergecap missing (tshark's package)"; exit 77; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
browser=$src/pcaps/scenarios/browser.pcap
fail=0

python3 - "$browser" "$work/flood.pcap" <<'PY' || exit 1
import random
import struct
import sys

src, out = sys.argv[1], sys.argv[2]
first = struct.unpack('<II', open(src, 'rb').read()[24:32])
start = first[0] - 2  # two seconds before the capture's first packet
rnd = random.Random(7)


def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return (~(s + (s >> 16))) & 0xffff


with open(out, 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(3000):
        dcid = bytes(rnd.getrandbits(8) for _ in range(8))
        quic = bytes([0xc3, 0, 0, 0, 1, 8]) + dcid + bytes([0, 0, 0x44, 0x9e])
        quic += bytes(rnd.getrandbits(8) for _ in range(1200 - len(quic)))
        udp = struct.pack('!HHHH', 20000 + i, 443, 8 + len(quic), 0) + quic
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0,
                         bytes([10, 9, 9, 9]), bytes([192, 0, 2, 1]))
        ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
        eth = b'\x02' * 6 + b'\x04' * 6 + b'\x08\x00' + ip + udp
        us = i * 500
        f.write(struct.pack('<IIII', start + us // 1000000, us % 1000000, len(eth), len(eth)))
        f.write(eth)
PY
mergecap -F pcap -w "$work/flooded.pcap" "$work/flood.pcap" "$browser" || exit 1

check() {  # name capture
    "$bin" -q -r "$2" --all-tls -o "$work/$1.json" || { echo "FAIL: sensor on $2"; fail=1; return; }
    python3 - "$work/$1.json" "$1" <<'PY' || fail=1
import json
import sys

path, name = sys.argv[1], sys.argv[2]
ev = [json.loads(l) for l in open(path, encoding='utf-8')]
quic = [e for e in ev if e.get('event_type') == 'flow' and 'quic' in e]
chrome = sorted((e['quic'].get('sni'), e['quic'].get('ja4')) for e in quic
                if e['src_ip'] != '10.9.9.9')
want = sorted([('www.google.com', 'q13d0310h3_55b375c5d22e_cd85d2d88918')] * 2 +
              [('cloudflare-quic.com', 'q13d0310h3_55b375c5d22e_cd85d2d88918')])
ok = True
if chrome != want:
    print(f'FAIL {name}: Chrome QUIC flows {chrome}, want {want}')
    ok = False
flood = [e for e in quic if e['src_ip'] == '10.9.9.9']
expect = 3000 if name == 'flooded' else 0
if len(flood) != expect or any('sni' in e['quic'] or 'ja4' in e['quic'] for e in flood):
    print(f'FAIL {name}: {len(flood)} flood flow events (want {expect}, none with sni or ja4)')
    ok = False
stats = [e for e in ev if e.get('event_type') == 'stats'][-1]
n = stats['sensor']['flows']['quic']
if n != expect + 3:
    print(f'FAIL {name}: stats count {n} QUIC flows, want {expect + 3}')
    ok = False
if ok:
    print(f'ok   {name}: {len(chrome)} Chrome QUIC flows with SNI and JA4, {len(flood)} flood flows, none with a hello')
sys.exit(0 if ok else 1)
PY
}
check browser "$browser"
check flooded "$work/flooded.pcap"
exit $fail
