"""Reading captures (the real client captures and the peer QUIC captures used as
templates) and writing the generated one.

The writer streams: packets go out in small batches, so a day-long capture never
sits in memory."""

import struct

LINKTYPE_ETHERNET = 1


class CaptureError(Exception):
    pass


def read_packets(path):
    """Yields (timestamp_seconds, linktype, frame_bytes) from a pcap or pcapng file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise CaptureError("%s: too short for a capture file" % path)
    magic = data[:4]
    if magic == b"\x0a\x0d\x0d\x0a":
        yield from _read_pcapng(path, data)
        return
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise CaptureError("%s: not a pcap or pcapng file" % path)
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0x0FFFFFFF
    div = 1e9 if nano else 1e6
    off = 24
    hdr = struct.Struct(end + "IIII")
    while off + 16 <= len(data):
        sec, frac, incl, _orig = hdr.unpack_from(data, off)
        off += 16
        if off + incl > len(data):
            raise CaptureError("%s: truncated record at byte %d" % (path, off - 16))
        yield sec + frac / div, linktype, data[off:off + incl]
        off += incl


def _read_pcapng(path, data):
    off = 0
    end = "<"
    ifaces = []  # (linktype, ticks per second)
    while off + 12 <= len(data):
        btype_raw = data[off:off + 4]
        if btype_raw == b"\x0a\x0d\x0d\x0a":
            bom = data[off + 8:off + 12]
            end = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        btype, blen = struct.unpack_from(end + "II", data, off)
        if blen < 12 or off + blen > len(data):
            raise CaptureError("%s: bad pcapng block at byte %d" % (path, off))
        body = data[off + 8:off + blen - 4]
        if btype == 1:  # Interface Description Block
            linktype = struct.unpack_from(end + "H", body, 0)[0]
            tsres = 1e6
            o = 8
            while o + 4 <= len(body):
                code, olen = struct.unpack_from(end + "HH", body, o)
                if code == 0:
                    break
                if code == 9 and olen >= 1:  # if_tsresol
                    v = body[o + 4]
                    tsres = float(2 ** (v & 0x7F)) if v & 0x80 else float(10 ** v)
                o += 4 + ((olen + 3) & ~3)
            ifaces.append((linktype, tsres))
        elif btype == 6:  # Enhanced Packet Block
            iface, hi, lo, caplen, _olen = struct.unpack_from(end + "IIIII", body, 0)
            linktype, tsres = ifaces[iface] if iface < len(ifaces) else (LINKTYPE_ETHERNET, 1e6)
            yield ((hi << 32) | lo) / tsres, linktype, body[20:20 + caplen]
        elif btype == 3:  # Simple Packet Block
            linktype = ifaces[0][0] if ifaces else LINKTYPE_ETHERNET
            yield 0.0, linktype, body[4:]
        off += blen


def ip_payload(linktype, frame):
    """The IP packet inside a frame, or None. Handles the link types of the
    template captures: Ethernet (+802.1Q), raw IP, Linux SLL and SLL2, BSD loopback."""
    if linktype == 1:
        off = 12
        etype = int.from_bytes(frame[12:14], "big")
        while etype in (0x8100, 0x88A8) and len(frame) >= off + 6:
            off += 4
            etype = int.from_bytes(frame[off:off + 2], "big")
        return frame[off + 2:] if etype in (0x0800, 0x86DD) else None
    if linktype in (101, 12, 14, 228, 229):
        return frame
    if linktype == 113:
        etype = int.from_bytes(frame[14:16], "big")
        return frame[16:] if etype in (0x0800, 0x86DD) else None
    if linktype == 276:
        etype = int.from_bytes(frame[0:2], "big")
        return frame[20:] if etype in (0x0800, 0x86DD) else None
    if linktype in (0, 108):
        return frame[4:]
    return None


def parse_ip(pkt):
    """(src, dst, proto, l4_bytes) with src/dst as packed address bytes, or None.
    IPv6 extension headers are skipped; fragments are ignored (templates have none)."""
    if not pkt:
        return None
    v = pkt[0] >> 4
    if v == 4 and len(pkt) >= 20:
        ihl = (pkt[0] & 0x0F) * 4
        total = int.from_bytes(pkt[2:4], "big")
        if int.from_bytes(pkt[6:8], "big") & 0x3FFF:
            return None
        return pkt[12:16], pkt[16:20], pkt[9], pkt[ihl:total]
    if v == 6 and len(pkt) >= 40:
        nh = pkt[6]
        plen = int.from_bytes(pkt[4:6], "big")
        off = 40
        end = 40 + plen
        while nh in (0, 43, 60) and off + 8 <= len(pkt):
            nh, off = pkt[off], off + (pkt[off + 1] + 1) * 8
        if nh == 44:
            return None
        return pkt[8:24], pkt[24:40], nh, pkt[off:end]
    return None


class PcapWriter:
    """Classic pcap, Ethernet, microsecond timestamps; buffered, streaming."""

    def __init__(self, path, snaplen=262144):
        self._f = open(path, "wb")
        self._f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, LINKTYPE_ETHERNET))
        self._buf = []
        self._pack = struct.Struct("<IIII").pack
        self.packets = 0
        self.bytes = 0

    def write(self, ts_us, frame):
        n = len(frame)
        self._buf.append(self._pack(ts_us // 1000000, ts_us % 1000000, n, n))
        self._buf.append(frame)
        self.packets += 1
        self.bytes += n
        if len(self._buf) >= 8192:
            self._f.write(b"".join(self._buf))
            self._buf = []

    def close(self):
        if self._buf:
            self._f.write(b"".join(self._buf))
            self._buf = []
        self._f.close()
