#!/usr/bin/env python3
"""Shrink a TLS capture to what the sensor reads: zero the encrypted payload.

    tools/pcap-slim.py IN.pcap OUT.pcap[.gz]

Every TCP byte stream is reassembled (by sequence number, first copy wins) and
read as TLS records from its first byte: a record's 5-byte header is kept; the
body of an application-data record (type 23: every encrypted record of TLS 1.3,
and the data of TLS 1.2) is replaced by zeros; the bodies of handshake,
change-cipher-spec and alert records (ClientHello, ServerHello, TLS 1.2
certificates) are kept whole. What the sensor never reads of the headers is
zeroed too: the IPv4 identification and header checksum, the TCP and UDP
checksums and the TCP options' bytes (timestamps, SACK blocks), which no
compressor can shrink: a third of a slimmed capture. Packet lengths, the
other header fields and packet timestamps are unchanged, so flows, turns, record sizes
and timing read the same, while the
zeros compress to almost nothing (OUT ending in .xz is compressed with xz -9e,
which takes minutes but makes it about 40% smaller than gzip -9; .gz is gzipped).

Where a record header is lost (a segment the capture dropped) or a byte is no
record header, reading resumes at the next segment that starts a chain of 4
records; with none, the rest of the stream is kept as it is (a partial record
at its end, a stream that is not TLS or is seen from its middle).
Reads classic pcap (micro- or nanosecond, either byte order) with Ethernet
(VLAN tags too), Linux cooked (SLL), raw IP or BSD loopback link layers; other
packets are copied unchanged. Prints what it did on stderr.
"""
import bisect
import gzip
import lzma
import struct
import sys

TLS_APPDATA = 23
TLS_TYPES = (20, 21, 22, 23, 24)
SEQ_MOD = 1 << 32
RESYNC_CHAIN = 4


def die(msg):
    sys.stderr.write("pcap-slim: %s\n" % msg)
    sys.exit(1)


def read_pcap(path):
    """The global header, the byte order, the link type and every packet as
    [record header bytes, bytearray data]."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        die("%s: not a pcap file (too short)" % path)
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        die("%s: not a classic pcap file (pcapng is not read)" % path)
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0x0FFFFFFF
    packets = []
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        if off + 16 + caplen > len(data):
            die("%s: truncated packet record at byte %d" % (path, off))
        packets.append((data[off:off + 16], bytearray(data[off + 16:off + 16 + caplen])))
        off += 16 + caplen
    return data[:24], linktype, packets


def ip_offset(linktype, pkt):
    """Where the IP header starts, or None."""
    if linktype == 1:  # Ethernet
        off, etype = 14, None
        if len(pkt) < 14:
            return None
        etype = struct.unpack(">H", pkt[12:14])[0]
        while etype in (0x8100, 0x88A8) and len(pkt) >= off + 4:
            etype = struct.unpack(">H", pkt[off + 2:off + 4])[0]
            off += 4
        return off if etype in (0x0800, 0x86DD) else None
    if linktype == 113:  # Linux cooked
        return 16 if len(pkt) >= 16 and struct.unpack(">H", pkt[14:16])[0] in (0x0800, 0x86DD) else None
    if linktype in (101, 12, 14):  # raw IP
        return 0
    if linktype in (0, 108):  # BSD loopback
        return 4
    return None


def tcp_segment(linktype, pkt):
    """(flow key, seq, flags, payload offset, payload length) or None."""
    ip = ip_offset(linktype, pkt)
    if ip is None or len(pkt) < ip + 20:
        return None
    ver = pkt[ip] >> 4
    if ver == 4:
        ihl = (pkt[ip] & 0x0F) * 4
        total = struct.unpack(">H", pkt[ip + 2:ip + 4])[0]
        frag = struct.unpack(">H", pkt[ip + 6:ip + 8])[0]
        if pkt[ip + 9] != 6 or frag & 0x3FFF or ihl < 20:
            return None
        src, dst, tcp, ip_end = bytes(pkt[ip + 12:ip + 16]), bytes(pkt[ip + 16:ip + 20]), ip + ihl, ip + total
    elif ver == 6:
        if len(pkt) < ip + 40 or pkt[ip + 6] != 6:  # extension headers: left alone
            return None
        plen = struct.unpack(">H", pkt[ip + 4:ip + 6])[0]
        src, dst, tcp, ip_end = bytes(pkt[ip + 8:ip + 24]), bytes(pkt[ip + 24:ip + 40]), ip + 40, ip + 40 + plen
    else:
        return None
    if len(pkt) < tcp + 20:
        return None
    sport, dport, seq = struct.unpack(">HHI", pkt[tcp:tcp + 8])
    doff = (pkt[tcp + 12] >> 4) * 4
    flags = pkt[tcp + 13]
    start = tcp + doff
    end = min(ip_end, len(pkt))
    if doff < 20 or start > end:
        return None
    return (src, sport, dst, dport), seq, flags, start, end - start


def zero_unread_headers(linktype, pkt):
    """Zeros pkt's IPv4 identification and header checksum, its TCP or UDP
    checksum and its TCP options' bytes (their room stays)."""
    ip = ip_offset(linktype, pkt)
    if ip is None or len(pkt) < ip + 20:
        return
    ver = pkt[ip] >> 4
    if ver == 4:
        pkt[ip + 4:ip + 6] = b"\0\0"
        pkt[ip + 10:ip + 12] = b"\0\0"
        proto, l4 = pkt[ip + 9], ip + (pkt[ip] & 0x0F) * 4
    elif ver == 6 and len(pkt) >= ip + 40:
        proto, l4 = pkt[ip + 6], ip + 40
    else:
        return
    at = {6: l4 + 16, 17: l4 + 6}.get(proto)
    if at is None or len(pkt) < at + 2:
        return
    pkt[at:at + 2] = b"\0\0"
    if proto == 6 and len(pkt) >= l4 + 20:
        end = min(l4 + (pkt[l4 + 12] >> 4) * 4, len(pkt))
        pkt[l4 + 20:end] = bytes(max(end - l4 - 20, 0))


class Stream:
    """One direction of one TCP connection: its segments by relative offset."""

    def __init__(self, isn):
        self.base = isn
        self.segments = []  # (relative offset, bytes)
        self.zero = []  # sorted disjoint (start, end) relative ranges to zero
        self.resyncs = 0

    def rel(self, seq):
        r = (seq - self.base) % SEQ_MOD
        return r - SEQ_MOD if r >= SEQ_MOD // 2 else r


def assign_streams(linktype, packets):
    """Every TCP packet's (stream, relative offset, payload offset, length)."""
    current = {}
    out = []
    for _, pkt in packets:
        seg = tcp_segment(linktype, pkt)
        if seg is None:
            out.append(None)
            continue
        key, seq, flags, start, length = seg
        st = current.get(key)
        if flags & 0x02:  # SYN: the stream's data starts at seq + 1
            if st is None or st.base != (seq + 1) % SEQ_MOD:
                st = Stream((seq + 1) % SEQ_MOD)
                current[key] = st
        elif st is None:
            st = Stream(seq)  # seen from its middle: read from here
            current[key] = st
        if length == 0:
            out.append(None)
            continue
        r = st.rel(seq)
        st.segments.append((r, bytes(pkt[start:start + length])))
        out.append((st, r, start, length))
    return out


def reassemble(st):
    """The stream's bytes by offset from 0, and which of them the capture has
    (1) and which fall in a hole (0)."""
    end = max((r + len(b) for r, b in st.segments if r >= 0), default=0)
    buf, have = bytearray(end), bytearray(end)
    for r, b in sorted(st.segments, key=lambda s: s[0], reverse=True):  # first copy wins
        if r < 0:
            continue
        buf[r:r + len(b)] = b
        have[r:r + len(b)] = b"\x01" * len(b)
    return buf, have


def header_at(buf, have, o):
    """The record (type, length) whose header is at o, or None."""
    if o + 5 > len(buf) or have[o:o + 5] != b"\x01" * 5:
        return None
    ctype, major, length = buf[o], buf[o + 1], struct.unpack(">H", buf[o + 3:o + 5])[0]
    if ctype not in TLS_TYPES or major != 3 or buf[o + 2] > 4 or o + 5 + length > len(buf):
        return None
    return ctype, length


def chain_at(buf, have, o, n=RESYNC_CHAIN):
    """Whether n records in a row (or all up to the stream's end) read from o."""
    for _ in range(n):
        if o == len(buf):
            return True
        rec = header_at(buf, have, o)
        if rec is None:
            return False
        o += 5 + rec[1]
    return True


def plan(st):
    """st.zero: the application-data record bodies. Where a header is lost in
    a hole or is no header, reading resumes at the next segment that starts a
    chain of RESYNC_CHAIN records (a sender writes a record at once, so its
    segments start at records); with none, the rest is kept."""
    buf, have = reassemble(st)
    seg_starts = sorted({r for r, _ in st.segments if r >= 0})
    o = 0
    while o < len(buf):
        rec = header_at(buf, have, o)
        if rec is None:
            i = bisect.bisect_right(seg_starts, o)
            while i < len(seg_starts) and not chain_at(buf, have, seg_starts[i]):
                i += 1
            if i == len(seg_starts):
                break
            st.resyncs += 1
            o = seg_starts[i]
            continue
        if rec[0] == TLS_APPDATA and rec[1] > 0:
            st.zero.append((o + 5, o + 5 + rec[1]))
        o += 5 + rec[1]
    st.starts = [z[0] for z in st.zero]


def zero_packet(pkt, st, r, start, length):
    """Zeros the bytes of this segment that fall in its stream's zero ranges."""
    n = 0
    i = max(bisect.bisect_right(st.starts, r) - 1, 0)
    while i < len(st.zero) and st.zero[i][0] < r + length:
        a, b = max(st.zero[i][0], r), min(st.zero[i][1], r + length)
        if a < b:
            pkt[start + a - r:start + b - r] = bytes(b - a)
            n += b - a
        i += 1
    return n


def main():
    if len(sys.argv) != 3:
        die("usage: pcap-slim.py IN.pcap OUT.pcap[.gz]")
    header, linktype, packets = read_pcap(sys.argv[1])
    segs = assign_streams(linktype, packets)
    streams = {id(s[0]): s[0] for s in segs if s is not None}
    for st in streams.values():
        plan(st)
    zeroed = 0
    for (rec, pkt), s in zip(packets, segs):
        if s is not None:
            zeroed += zero_packet(pkt, *s)
        zero_unread_headers(linktype, pkt)
    if sys.argv[2].endswith(".xz"):
        out = lzma.open(sys.argv[2], "wb", preset=9 | lzma.PRESET_EXTREME)
    elif sys.argv[2].endswith(".gz"):
        out = gzip.open(sys.argv[2], "wb")
    else:
        out = open(sys.argv[2], "wb")
    with out as f:
        f.write(header)
        for rec, pkt in packets:
            f.write(rec)
            f.write(pkt)
    payload = sum(len(b) for st in streams.values() for _, b in st.segments)
    resyncs = sum(st.resyncs for st in streams.values())
    sys.stderr.write("pcap-slim: %d packets, %d TCP streams, %d of %d payload bytes zeroed, %d resyncs after a lost"
                     " or unreadable header -> %s\n" % (len(packets), len(streams), zeroed, payload, resyncs, sys.argv[2]))


if __name__ == "__main__":
    main()
