"""Ethernet + IPv4/IPv6 + TCP/UDP frames with correct checksums, fast enough for
tens of millions of packets from Python.

Checksums: the Internet checksum is the ones' complement sum of 16-bit words, and
since 2**16 == 1 (mod 65535) that sum is congruent to the whole byte string read as
one big-endian integer, mod 65535. So one int.from_bytes() and one % (both in C)
replace a Python loop over words. A string of odd length is summed as if padded
with a zero byte, which is the integer times 256."""

import ipaddress
import struct

C2S = 0  # client -> server
S2C = 1

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

_ip4 = struct.Struct("!BBHHHBBH4s4s")
_ip6 = struct.Struct("!IHBB16s16s")
_tcp = struct.Struct("!HHIIBBHHH")
_tcp_ts = struct.Struct("!HHIIBBHHHBBBBII")  # 20-byte header + NOP NOP TS(10)
_udp = struct.Struct("!HHHH")


def _fold(s):
    r = s % 65535
    return 0 if r == 0 else 0xFFFF - r


def mac_for(addr_bytes, prefix=b"\x02\x00"):
    """A locally administered MAC derived from an address (stable per source)."""
    return prefix + addr_bytes[-4:]


GATEWAY_MAC = b"\x00\x1b\x21\x3a\x4f\x01"


class Path:
    """One conversation's two directions: addresses, ports, MACs and the constant
    parts of every checksum, precomputed. Frames are built with tcp(), syn(), rst()
    and udp(). The checksums are sums, so the constant fields are summed once per
    direction and each packet adds only what changes (sequence numbers, flags,
    window, timestamps, lengths, payload)."""

    __slots__ = ("v6", "eth", "src", "dst", "sport", "dport", "ttl", "pseudo", "ipid", "proto",
                 "ipsum", "tsum")

    def __init__(self, client, server, cport, sport, proto=6, ttl_server=56):
        c = ipaddress.ip_address(client)
        s = ipaddress.ip_address(server)
        if c.version != s.version:
            raise ValueError("address families differ: %s %s" % (client, server))
        self.v6 = c.version == 6
        cb, sb = c.packed, s.packed
        cmac = mac_for(cb)
        et = b"\x86\xdd" if self.v6 else b"\x08\x00"
        self.eth = (GATEWAY_MAC + cmac + et, cmac + GATEWAY_MAC + et)
        self.src = (cb, sb)
        self.dst = (sb, cb)
        self.sport = (cport, sport)
        self.dport = (sport, cport)
        self.ttl = (64, ttl_server)
        self.proto = proto
        addrs = int.from_bytes(cb + sb, "big")
        base = addrs % 65535 + proto
        self.pseudo = (base, base)  # symmetric: the same two addresses
        # TCP header words that never change in a direction: the ports and the
        # option kinds (NOP NOP, TS len 10), plus the 0x80 data offset byte.
        self.tsum = tuple(base + cport + sport + 0x8000 + 0x0101 + 0x080A for _ in (0, 1))
        # IPv4 header words that never change: version/IHL, DF, TTL/protocol, addresses.
        self.ipsum = tuple(0x4500 + 0x4000 + (self.ttl[d] << 8 | proto) + addrs for d in (0, 1))
        self.ipid = [int.from_bytes(cb[-2:], "big") ^ cport, int.from_bytes(sb[-2:], "big") ^ sport]

    def _ip(self, d, l4len):
        if self.v6:
            return _ip6.pack(0x60000000, l4len, self.proto, self.ttl[d], self.src[d], self.dst[d])
        ipid = self.ipid[d] = (self.ipid[d] + 1) & 0xFFFF
        total = 20 + l4len
        return _ip4.pack(0x45, 0, total, ipid, 0x4000, self.ttl[d], self.proto,
                         0xFFFF - ((self.ipsum[d] + total + ipid) % 0xFFFF or 0xFFFF),
                         self.src[d], self.dst[d])

    def tcp(self, d, seq, ack, flags, win, tsval, tsecr, payload=b""):
        """A TCP segment with the timestamp option (what Linux sends after the SYN)."""
        p = len(payload)
        seq &= 0xFFFFFFFF
        ack &= 0xFFFFFFFF
        tsval &= 0xFFFFFFFF
        tsecr &= 0xFFFFFFFF
        # A 32-bit field is two words hi, lo, and hi*65536 + lo == hi + lo (mod 65535).
        s = self.tsum[d] + seq + ack + flags + win + tsval + tsecr + 32 + p
        if p:
            s += int.from_bytes(payload, "big") << 8 if p & 1 else int.from_bytes(payload, "big")
        # _fold inlined: this is the hottest line of the generator.
        hdr = _tcp_ts.pack(self.sport[d], self.dport[d], seq, ack, 0x80, flags, win,
                           0xFFFF - (s % 0xFFFF or 0xFFFF), 0,
                           1, 1, 8, 10, tsval, tsecr)
        return b"".join((self.eth[d], self._ip(d, 32 + p), hdr, payload))

    def syn(self, d, seq, ack, flags, win, tsval, tsecr, mss, wscale=7):
        """SYN or SYN/ACK with Linux's option layout: MSS, SACK_PERM, TS, NOP, WS."""
        opts = struct.pack("!BBHBBBBIIBBBB", 2, 4, mss, 4, 2, 8, 10,
                           tsval & 0xFFFFFFFF, tsecr & 0xFFFFFFFF, 1, 3, 3, wscale)
        hdr = _tcp.pack(self.sport[d], self.dport[d], seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                        0xA0, flags, win, 0, 0) + opts
        c = _fold(self.pseudo[d] + 40 + int.from_bytes(hdr, "big"))
        return b"".join((self.eth[d], self._ip(d, 40), hdr[:16], c.to_bytes(2, "big"), hdr[18:]))

    def rst(self, d, seq):
        hdr = _tcp.pack(self.sport[d], self.dport[d], seq & 0xFFFFFFFF, 0, 0x50, RST, 0, 0, 0)
        c = _fold(self.pseudo[d] + 20 + int.from_bytes(hdr, "big"))
        return b"".join((self.eth[d], self._ip(d, 20), hdr[:16], c.to_bytes(2, "big"), hdr[18:]))

    def udp(self, d, payload):
        n = 8 + len(payload)
        hdr = _udp.pack(self.sport[d], self.dport[d], n, 0)
        p = len(payload)
        s = self.pseudo[d] + n + int.from_bytes(hdr, "big")
        s += int.from_bytes(payload, "big") << 8 if p & 1 else int.from_bytes(payload, "big")
        c = _fold(s) or 0xFFFF  # UDP: a computed zero is sent as all ones
        return b"".join((self.eth[d], self._ip(d, n), hdr[:6], c.to_bytes(2, "big"), payload))
