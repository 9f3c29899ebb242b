#!/usr/bin/env python3
"""The shapes of a QUIC capture's datagrams as C tables, for tests/unit/test_exchange_quic.c.

    tools/quic-shapes.py PCAP NAME SERVER_IP

Prints, for every UDP datagram over IPv4 (Ethernet, Linux cooked or raw
links), its time in microseconds from the first, its direction (1 = from
SERVER_IP) and its packets: the coalesced long-header packets (type and
length, as their Length fields walk them) and the short-header packet's
length; then, from the capture's PCAP-less-.pcap.requests.tsv (the columns of
pcaps/turns/README.md), each request's start and the server's first byte in
milliseconds from the first datagram. Only lengths, types and times: the unit
test rebuilds datagrams of those shapes with filler bytes.
"""
import struct, sys
def pcap_packets(path):
    d = open(path, 'rb').read()
    magic = struct.unpack('<I', d[:4])[0]
    nano = magic == 0xa1b23c4d
    linktype = struct.unpack('<I', d[20:24])[0]
    o = 24
    while o + 16 <= len(d):
        ts, tf, cl, ol = struct.unpack('<IIII', d[o:o+16]); o += 16
        pkt = d[o:o+cl]; o += cl
        yield ts * 1000000 + (tf // 1000 if nano else tf), linktype, pkt
def varint(b, i):
    l = 1 << (b[i] >> 6); v = b[i] & 0x3f
    for k in range(1, l): v = (v << 8) | b[i+k]
    return v, i + l
def walk(p):
    segs, i = [], 0
    while i < len(p) and len(segs) < 4:
        if not p[i] & 0x80:
            return segs, len(p) - i
        t = (p[i] >> 4) & 3; j = i + 5
        dcil = p[j]; j += 1 + dcil; scil = p[j]; j += 1 + scil
        if t == 0:
            tl, j = varint(p, j); j += tl
        ln, j = varint(p, j); j += ln
        segs.append((t, j - i)); i = j
    return segs, 0
path, name, server = sys.argv[1], sys.argv[2], sys.argv[3]
rows, t0 = [], None
for ts, lt, pkt in pcap_packets(path):
    off = {1: 14, 113: 16, 0: 4, 276: 20}[lt]
    ip = pkt[off:]
    if ip[0] >> 4 != 4 or ip[9] != 17: continue
    ihl = (ip[0] & 15) * 4
    src = '.'.join(map(str, ip[12:16]))
    udp = ip[ihl:]; pl = udp[8:]
    if t0 is None: t0 = ts
    segs, short = walk(pl)
    d = 1 if src == server else 0
    assert sum(l for _, l in segs) + short == len(pl), (segs, short, len(pl))
    s = ", ".join("{%d, %d}" % x for x in segs[:3])
    rows.append("    { %d, %d, { %s }, %d }," % (ts - t0, d, s if s else "{ 0, 0 }", short))
print("/* %s: %d datagrams (tools/quic-shapes.py pcaps/turns-h3/%s.pcap) */" % (name, len(rows), name))
print("static const struct dgram %s[] = {" % name.replace('-', '_'))
print("\n".join(rows))
print("};")
# The request log, relative to the first datagram: start and the server's first byte (ms).
tsv = path[:-5] + ".requests.tsv"
print("/* %s.requests.tsv: start and time to first byte of each request, ms from the first datagram, by start */" % name)
print("static const struct logged %s_log[] = {" % name.replace('-', '_'))
logged = []
for line in open(tsv):
    f = line.rstrip("\n").split("\t")
    start = float(f[3]) - float(f[4])
    ttfb = float(f[4]) - float(f[12]) + float(f[11]) if f[11] != "-" else 0.0
    logged.append((round(start * 1000 - t0 / 1000), round(ttfb * 1000), f[9] + " " + f[10]))
for start, ttfb, what in sorted(logged):
    print("    { %d, %d }, /* %s */" % (start, ttfb, what))
print("};")
