#!/usr/bin/env python3
"""Merges generated captures as if their clients sat behind one NAT.

    natmerge.py OUT.pcap --nat 10.99.0.1 [--nat6 2001:db8:99::1]
                --inside 10.10.0.0/16 [--inside NET ...] IN.pcap [IN.pcap ...]

Every IPv4 address inside one of the --inside networks becomes the --nat
address, every IPv6 one the --nat6 address (default: IPv6 packets from
inside are left alone), and each inside (address, port, protocol) gets a port
of its own on the NAT, as a NAT gives it, so two clients that used the same
port never share a connection. IP, TCP and UDP checksums are recomputed.
Packets of all inputs go out in time order (Ethernet frames; the inputs are
tools/gen-traffic captures). Prints how many inside clients and packets were
translated."""

import argparse
import heapq
import ipaddress
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from gentraffic import pcapio  # noqa: E402


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Nat:
    def __init__(self, nat4, nat6, inside):
        self.nat4 = ipaddress.IPv4Address(nat4).packed
        self.nat6 = ipaddress.IPv6Address(nat6).packed if nat6 else None
        self.inside = [ipaddress.ip_network(n) for n in inside]
        self.ports = {}
        self.next_port = 20000
        self.clients = set()
        self.translated = 0

    def is_inside(self, packed):
        a = ipaddress.ip_address(packed)
        return any(a.version == n.version and a in n for n in self.inside)

    def port_for(self, addr, port, proto):
        key = (addr, port, proto)
        if key not in self.ports:
            if self.next_port > 65535:
                raise SystemExit("natmerge: out of NAT ports")
            self.ports[key] = self.next_port
            self.next_port += 1
        return self.ports[key]

    def l4(self, proto, seg, src, dst, src_in):
        """The segment with the inside side's port rewritten and its checksum redone."""
        if proto not in (6, 17) or len(seg) < (20 if proto == 6 else 8):
            return seg
        seg = bytearray(seg)
        off = 0 if src_in else 2
        port = int.from_bytes(seg[off:off + 2], "big")
        inside_addr = self._orig_src if src_in else self._orig_dst
        seg[off:off + 2] = self.port_for(inside_addr, port, proto).to_bytes(2, "big")
        ck = 16 if proto == 6 else 6
        seg[ck:ck + 2] = b"\0\0"
        pseudo = (src + dst + b"\0" + bytes([proto]) + len(seg).to_bytes(2, "big")
                  if len(src) == 4 else
                  src + dst + len(seg).to_bytes(4, "big") + b"\0\0\0" + bytes([proto]))
        c = csum(pseudo + bytes(seg))
        if proto == 17 and c == 0:
            c = 0xFFFF
        seg[ck:ck + 2] = c.to_bytes(2, "big")
        return bytes(seg)

    def frame(self, frame):
        if len(frame) < 14 or int.from_bytes(frame[12:14], "big") not in (0x0800, 0x86DD):
            return frame
        eth, pkt = frame[:14], bytearray(frame[14:])
        v = pkt[0] >> 4
        if v == 4 and len(pkt) >= 20:
            ihl = (pkt[0] & 0x0F) * 4
            total = int.from_bytes(pkt[2:4], "big")
            s, d, proto = bytes(pkt[12:16]), bytes(pkt[16:20]), pkt[9]
            nat = self.nat4
            a_off, b_off, hdr_end, end = 12, 16, ihl, total
        elif v == 6 and len(pkt) >= 40:
            s, d, proto = bytes(pkt[8:24]), bytes(pkt[24:40]), pkt[6]
            nat = self.nat6
            a_off, b_off, hdr_end, end = 8, 24, 40, 40 + int.from_bytes(pkt[4:6], "big")
        else:
            return frame
        src_in, dst_in = self.is_inside(s), self.is_inside(d)
        if nat is None or src_in == dst_in:
            return frame
        self._orig_src, self._orig_dst = s, d
        self.clients.add(s if src_in else d)
        ns, nd = (nat, d) if src_in else (s, nat)
        seg = self.l4(proto, bytes(pkt[hdr_end:end]), ns, nd, src_in)
        pkt[a_off:a_off + len(ns)] = ns
        pkt[b_off:b_off + len(nd)] = nd
        pkt[hdr_end:end] = seg
        if v == 4:
            pkt[10:12] = b"\0\0"
            pkt[10:12] = csum(bytes(pkt[:ihl])).to_bytes(2, "big")
        self.translated += 1
        return eth + bytes(pkt)


def packets(path, idx):
    for ts, linktype, frame in pcapio.read_packets(path):
        if linktype != pcapio.LINKTYPE_ETHERNET:
            raise SystemExit("natmerge: %s: not Ethernet" % path)
        yield int(round(ts * 1e6)), idx, frame


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--nat", required=True)
    ap.add_argument("--nat6")
    ap.add_argument("--inside", action="append", required=True)
    a = ap.parse_args()
    nat = Nat(a.nat, a.nat6, a.inside)
    w = pcapio.PcapWriter(a.out)
    for ts_us, _idx, frame in heapq.merge(*(packets(p, i) for i, p in enumerate(a.inputs))):
        w.write(ts_us, nat.frame(frame))
    w.close()
    print("natmerge: %d inside clients, %d packets translated, %d written"
          % (len(nat.clients), nat.translated, w.packets))


if __name__ == "__main__":
    main()
