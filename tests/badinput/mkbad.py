#!/usr/bin/env python3
"""Writes crafted malformed captures into a directory, for the bad-input
tests: each file exercises one fault a capture or a packet can have.

  mkbad.py OUTDIR [GOOD.pcap]

GOOD.pcap (classic pcap, Ethernet) is a real capture whose records are cut
or corrupted to make the truncated cases; without it only the synthetic
cases are written."""
import os
import struct
import sys

PCAP_HDR = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)


def rec(ts, data, wirelen=None):
    return struct.pack('<IIII', ts, 0, len(data), wirelen or len(data)) + data


def eth(payload, ethertype=0x0800):
    return bytes(6) + bytes([2, 0, 0, 0, 0, 1]) + struct.pack('!H', ethertype) + payload


def ipv4(payload, proto=6, total=None, ihl=5, frag=0x4000, src=(10, 0, 0, 1), dst=(192, 0, 2, 10)):
    total = total if total is not None else 20 + len(payload)
    return struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, total, 1, frag, 64, proto, 0,
                       bytes(src), bytes(dst)) + payload


def tcp(payload=b'', sport=50000, dport=443, seq=1, ack=1, flags=0x18, off=5):
    return struct.pack('!HHIIBBHHH', sport, dport, seq, ack, off << 4, flags, 65535, 0, 0) + payload


def tls_record(body, ctype=22, version=0x0301):
    return struct.pack('!BHH', ctype, version, len(body)) + body


def hostile_hellos():
    """ClientHellos whose inner lengths lie."""
    out = []
    random32 = bytes(32)
    # handshake length far larger than the record
    out.append(tls_record(b'\x01\xff\xff\xff' + b'\x03\x03' + random32))
    # session id length runs past the end
    out.append(tls_record(b'\x01\x00\x00\x30\x03\x03' + random32 + b'\xff' + bytes(10)))
    # cipher suites length odd and too long
    body = b'\x03\x03' + random32 + b'\x00' + b'\xff\xfb' + bytes(4)
    out.append(tls_record(b'\x01' + struct.pack('!I', len(body))[1:] + body))
    # extensions length claims more than is there; SNI list length lies
    sni = struct.pack('!HH', 0, 0xfff0) + b'\x00\xff\xffapi.openai.com'
    exts = struct.pack('!H', 0xffff) + sni
    body = b'\x03\x03' + random32 + b'\x00' + b'\x00\x02\x13\x01' + b'\x01\x00' + exts
    out.append(tls_record(b'\x01' + struct.pack('!I', len(body))[1:] + body))
    # zero-length record
    out.append(tls_record(b''))
    # record length 0xffff with a few bytes
    out.append(struct.pack('!BHH', 22, 0x0301, 0xffff) + b'\x01\x00')
    return out


def synthetic(outdir):
    def write(name, records):
        with open(os.path.join(outdir, name), 'wb') as f:
            f.write(PCAP_HDR)
            for r in records:
                f.write(r)

    # Packets broken at every layer, in one capture, then a good SYN: the
    # sensor must count them all and go on.
    recs = []
    t = 1700000000
    recs.append(rec(t, eth(bytes(28), 0x0806)))                         # ARP: not IP
    recs.append(rec(t, eth(b'')))                                       # IPv4 ethertype, no header
    recs.append(rec(t, b'\x00\x01'))                                     # shorter than Ethernet
    recs.append(rec(t, eth(ipv4(tcp(), ihl=3))))                         # IHL < 5
    recs.append(rec(t, eth(ipv4(tcp(), total=9000))))                    # total > frame
    recs.append(rec(t, eth(ipv4(tcp(), frag=0x2000))))                   # fragment
    recs.append(rec(t, eth(ipv4(tcp(off=2)))))                           # TCP offset < 5
    recs.append(rec(t, eth(ipv4(tcp(off=15)))))                         # TCP options past the end
    recs.append(rec(t, eth(ipv4(b'\x00\x01\x00\x02\x00\x03\x00\x00', proto=17))))  # UDP length 3
    whole = eth(ipv4(tcp(b'x' * 40)))
    recs.append(rec(t, whole[:14 + 20 + 12], len(whole)))                # TCP header cut by snaplen
    recs.append(rec(t, eth(b'\x60' + bytes(10), 0x86dd)))                # IPv6 cut
    recs.append(rec(t, eth(ipv4(tcp(flags=0x02, seq=0)))))               # a good SYN
    write('layers.pcap', recs)

    # Hostile ClientHellos on otherwise valid TCP flows.
    recs = []
    for i, hello in enumerate(hostile_hellos()):
        sport = 40000 + i
        recs.append(rec(t + i, eth(ipv4(tcp(sport=sport, seq=100, flags=0x02)))))
        recs.append(rec(t + i, eth(ipv4(tcp(sport=443, dport=sport, seq=500, ack=101, flags=0x12),
                                        src=(192, 0, 2, 10), dst=(10, 0, 0, 1)))))
        recs.append(rec(t + i, eth(ipv4(tcp(hello, sport=sport, seq=101)))))
    write('hostile-hello.pcap', recs)

    # A record header claiming a huge captured length.
    with open(os.path.join(outdir, 'huge-record.pcap'), 'wb') as f:
        f.write(PCAP_HDR)
        f.write(rec(t, eth(ipv4(tcp()))))
        f.write(struct.pack('<IIII', t, 0, 0x7fffffff, 0x7fffffff) + b'\x00' * 64)

    # Not a capture at all.
    with open(os.path.join(outdir, 'not-a-capture.pcap'), 'w') as f:
        f.write('this is a text file, not a packet capture\n')

    # A file header cut short.
    with open(os.path.join(outdir, 'short-header.pcap'), 'wb') as f:
        f.write(PCAP_HDR[:10])

    # Empty file.
    open(os.path.join(outdir, 'empty.pcap'), 'wb').close()


def truncated(outdir, good):
    """A real capture cut in the middle of its last record."""
    with open(good, 'rb') as f:
        data = f.read()
    if struct.unpack('<I', data[:4])[0] != 0xa1b2c3d4:
        sys.exit(f'{good}: expected a little-endian microsecond pcap')
    off = 24
    ends = []
    while off + 16 <= len(data):
        caplen = struct.unpack('<I', data[off + 8:off + 12])[0]
        off += 16 + caplen
        ends.append(off)
    cut = ends[-2] + 20  # inside the last record's data... or header
    with open(os.path.join(outdir, 'truncated.pcap'), 'wb') as f:
        f.write(data[:cut])
    return len(ends)


if __name__ == '__main__':
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    synthetic(outdir)
    if len(sys.argv) > 2:
        print(truncated(outdir, sys.argv[2]))
