#!/usr/bin/env python3
"""Copies a classic pcap (Ethernet) with every frame tagged, as a trunk or a
SPAN port of a trunk delivers it, for the VLAN tests.

  vlantag.py IN.pcap OUT.pcap ID [ID ...]

One ID: an 802.1Q tag (0x8100). Several: QinQ, the first the outermost,
an 802.1ad tag (0x88a8) outside 802.1Q tags. Each tag (4 bytes) goes after
the two MAC addresses; the record's captured and wire lengths grow by 4 a
tag. Frames shorter than an Ethernet header are copied as they are. The
file header (byte order, time resolution, snap length) is kept."""
import struct
import sys

LINKTYPE_ETHERNET = 1
MAGICS = {0xa1b2c3d4: '<', 0xa1b23c4d: '<', 0xd4c3b2a1: '>', 0x4d3cb2a1: '>'}


def tags(ids):
    out = b''
    for i, vid in enumerate(ids):
        tpid = 0x88a8 if i == 0 and len(ids) > 1 else 0x8100
        out += struct.pack('!HH', tpid, vid & 0x0fff)
    return out


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    ids = [int(a) for a in sys.argv[3:]]
    if not all(0 <= v < 4096 for v in ids):
        sys.exit('vlantag: a VLAN id is 0..4095')
    data = open(src, 'rb').read()
    if len(data) < 24:
        sys.exit(f'vlantag: {src}: not a pcap file')
    (magic,) = struct.unpack('<I', data[:4])
    if magic not in MAGICS:
        sys.exit(f'vlantag: {src}: not a classic pcap file (pcapng is not handled)')
    e = MAGICS[magic]
    (snaplen, linktype) = struct.unpack(e + 'II', data[16:24])
    if linktype & 0xffff != LINKTYPE_ETHERNET:
        sys.exit(f'vlantag: {src}: link type {linktype}, not Ethernet')
    tag = tags(ids)
    out = [data[:16], struct.pack(e + 'II', snaplen + len(tag), linktype)]
    off, n = 24, 0
    while off + 16 <= len(data):
        ts, frac, caplen, wirelen = struct.unpack(e + 'IIII', data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        if len(frame) < caplen:
            sys.exit(f'vlantag: {src}: record {n + 1} cut short')
        off += 16 + caplen
        n += 1
        if caplen >= 14:
            frame = frame[:12] + tag + frame[12:]
            caplen, wirelen = caplen + len(tag), wirelen + len(tag)
        out.append(struct.pack(e + 'IIII', ts, frac, caplen, wirelen) + frame)
    with open(dst, 'wb') as f:
        f.write(b''.join(out))


if __name__ == '__main__':
    main()
