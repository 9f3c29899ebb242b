#!/usr/bin/env python3
"""Adds N QUIC flows to a benchmark capture: each is a copy of one client
case made by tools/mkquic (its client Initials, as they are), from its own
client address and port, at a random time, followed by a server flight
(three 1,200-byte long-header datagrams) and ten request/response turns of
short-header packets (client 90 bytes, server three of 1,200). Both captures
classic pcap, Ethernet. Deterministic for a seed.

  add-quic.py BASE.pcap CASE.pcap OUT.pcap [--quic N] [--seed S]

The QUIC flows are spread over BASE's time span and merged in time order."""
import argparse
import heapq
import random
import struct


def read(path):
    data = open(path, 'rb').read()
    if struct.unpack('<I', data[:4])[0] != 0xa1b2c3d4 or struct.unpack('<I', data[20:24])[0] != 1:
        raise SystemExit('%s: not a classic microsecond Ethernet pcap' % path)
    i, out = 24, []
    while i + 16 <= len(data):
        sec, usec, incl = struct.unpack('<III', data[i:i + 12])
        out.append((sec * 1000000 + usec, data[i + 16:i + 16 + incl]))
        i += 16 + incl
    return out


def csum(b):
    if len(b) % 2:
        b += b'\x00'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return (~(s + (s >> 16))) & 0xffff


def udp_frame(src, dst, sport, dport, payload):
    udp = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return b'\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00' + ip + udp


def client_payloads(case):
    """The UDP payloads and destination of the case's client datagrams."""
    out = []
    for _, frame in case:
        ip = frame[14:]
        if frame[12:14] != b'\x08\x00' or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        sport, dport = struct.unpack('!HH', ip[ihl:ihl + 4])
        if dport == 443:
            out.append((ip[16:20], dport, ip[ihl + 8:]))
    return out


def flow(rng, i, t0, hello):
    cli = bytes([10, 77, (i >> 8) & 0xff, i & 0xff])
    sport = 20000 + i % 40000
    srv, dport = hello[0][0], hello[0][1]
    dcid = rng.randbytes(8)
    pkts, t = [], t0  # microseconds
    for _, _, payload in hello:
        pkts.append((t, udp_frame(cli, srv, sport, dport, payload)))
        t += 500
    t += 20000
    for k in range(3):  # server Initial + Handshake flight: opaque long headers
        pkts.append((t, udp_frame(srv, cli, dport, sport, bytes([0xc0 | (k and 0x20)]) +
                                  b'\x00\x00\x00\x01' + rng.randbytes(1195))))
        t += 200
    for _ in range(10):  # request/response turns, short headers
        t += 50000
        pkts.append((t, udp_frame(cli, srv, sport, dport, b'\x40' + dcid + rng.randbytes(81))))
        t += 30000
        for _ in range(3):
            pkts.append((t, udp_frame(srv, cli, dport, sport, b'\x40' + rng.randbytes(1199))))
            t += 300
    return pkts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('base')
    ap.add_argument('case')
    ap.add_argument('out')
    ap.add_argument('--quic', type=int, default=1000)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    base = read(a.base)
    hello = client_payloads(read(a.case))
    if not hello:
        raise SystemExit('%s: no client datagram to port 443' % a.case)
    t_lo, t_hi = base[0][0], base[-1][0]
    streams = [base]
    for i in range(a.quic):
        streams.append(flow(random.Random(rng.getrandbits(64)), i + 1, rng.randint(t_lo, t_hi), hello))
    n = 0
    with open(a.out, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for t, frame in heapq.merge(*streams, key=lambda x: x[0]):
            f.write(struct.pack('<IIII', t // 1000000, t % 1000000, len(frame), len(frame)))
            f.write(frame)
            n += 1
    print('%s: %d packets, %d QUIC flows of %d client Initials added to %s'
          % (a.out, n, a.quic, len(hello), a.base))


if __name__ == '__main__':
    main()
