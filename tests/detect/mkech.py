#!/usr/bin/env python3
"""mkech: ClientHellos with an Encrypted Client Hello extension (0xfe0d),
for tests/detect/ech.test.sh.

  mkech.py tcp-hello PCAP OUT      the first client ClientHello over TCP in
                                   PCAP (classic pcap, Ethernet, IPv4) to OUT
                                   (the handshake message bytes)
  mkech.py edit IN OUT --sni NAME|- --ech grease|bad|none
                                   the hello IN with its server_name set to
                                   NAME (- removes it) and its ECH extension
                                   replaced (or added before any padding):
                                   grease = a well-formed outer
                                   ECHClientHello (HKDF-SHA256, AES-128-GCM,
                                   random config_id, a 32-byte enc, a 144-byte
                                   payload: what Chrome's GREASE ECH and a real
                                   one look like alike), bad = one whose
                                   payload length runs past the extension,
                                   none = no ECH extension
  mkech.py tcp HELLO OUT [--dst A.B.C.D]
                                   a TCP flow to DST:443 (default
                                   203.0.113.10) carrying the hello in one
                                   record, then some application data each way

Python 3 standard library only.
"""
import os
import struct
import sys

ECH = 0xfe0d
PADDING = 0x0015


def pcap_packets(path):
    data = open(path, 'rb').read()
    magic = struct.unpack('<I', data[:4])[0]
    endian = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + 'IIII', data[off:off + 16])
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def tcp_hello(path):
    """The client's first ClientHello message over TCP: records of the
    first stream that starts with a handshake record, in order of arrival."""
    stream, key = b'', None
    for frame in pcap_packets(path):
        if len(frame) < 14 + 20 or frame[12:14] != b'\x08\x00' or frame[23] != 6:
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        tcp = ip[ihl:]
        sport, dport = struct.unpack('!HH', tcp[:4])
        payload = tcp[(tcp[12] >> 4) * 4:struct.unpack('!H', ip[2:4])[0] - ihl]
        k = (ip[12:16], sport, ip[16:20], dport)
        if key is None and payload[:1] == b'\x16':
            key = k
        if k == key and payload:
            stream += payload
    msg = b''
    while len(stream) >= 5 and stream[0] == 0x16:
        n = struct.unpack('!H', stream[3:5])[0]
        msg += stream[5:5 + n]
        stream = stream[5 + n:]
        if len(msg) >= 4 and len(msg) >= 4 + int.from_bytes(msg[1:4], 'big'):
            return msg[:4 + int.from_bytes(msg[1:4], 'big')]
    sys.exit('mkech: no ClientHello over TCP in %s' % path)


def split_hello(msg):
    """(head before the extensions block, [(type, body)])."""
    i = 4 + 2 + 32
    i += 1 + msg[i]
    i += 2 + struct.unpack('!H', msg[i:i + 2])[0]
    i += 1 + msg[i]
    end = i + 2 + struct.unpack('!H', msg[i:i + 2])[0]
    head, i, exts = msg[4:i], i + 2, []
    while i < end:
        t, n = struct.unpack('!HH', msg[i:i + 4])
        exts.append((t, msg[i + 4:i + 4 + n]))
        i += 4 + n
    return head, exts


def join_hello(head, exts):
    block = b''.join(struct.pack('!HH', t, len(b)) + b for t, b in exts)
    body = head + struct.pack('!H', len(block)) + block
    return b'\x01' + len(body).to_bytes(3, 'big') + body


def ech_body(mode):
    enc, payload = os.urandom(32), os.urandom(144)
    suite = struct.pack('!BHHB', 0, 0x0001, 0x0001, os.urandom(1)[0])
    if mode == 'bad':   # the payload's length says 16 bytes more than there are
        return suite + struct.pack('!H', 32) + enc + struct.pack('!H', 160) + payload
    return suite + struct.pack('!H', 32) + enc + struct.pack('!H', 144) + payload


def edit(msg, sni, mode):
    head, exts = split_hello(msg)
    out = []
    for t, b in exts:
        if t == 0:
            if sni != '-':
                name = sni.encode()
                out.append((0, struct.pack('!HBH', len(name) + 3, 0, len(name)) + name))
        elif t != ECH:
            out.append((t, b))
    if sni != '-' and not any(t == 0 for t, _ in out):
        name = sni.encode()
        out.insert(0, (0, struct.pack('!HBH', len(name) + 3, 0, len(name)) + name))
    if mode != 'none':
        at = next((i for i, (t, _) in enumerate(out) if t == PADDING), len(out))
        out.insert(at, (ECH, ech_body(mode)))
    return join_hello(head, out)


def csum(b):
    if len(b) % 2:
        b += b'\x00'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


class Writer:
    def __init__(self):
        self.out = [struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
        self.t = 1767225600 * 1000000

    def tcp(self, src, dst, sport, dport, seq, ack, flags, payload=b''):
        tcp = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
        pseudo = bytes(src) + bytes(dst) + struct.pack('!BBH', 0, 6, len(tcp) + len(payload))
        tcp = tcp[:16] + struct.pack('!H', csum(pseudo + tcp + payload)) + tcp[18:]
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp) + len(payload), 1, 0x4000, 64,
                         6, 0, bytes(src), bytes(dst))
        ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
        frame = b'\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00' + ip + tcp + payload
        self.t += 2000
        self.out.append(struct.pack('<IIII', self.t // 1000000, self.t % 1000000, len(frame),
                                    len(frame)) + frame)

    def save(self, path):
        open(path, 'wb').write(b''.join(self.out))


def tcp_flow(hello, path, dst):
    cli, srv, cp = [10, 20, 0, 2], [int(x) for x in dst.split('.')], 50000
    w = Writer()
    c, s = 1000, 5000
    w.tcp(cli, srv, cp, 443, c, 0, 0x02)
    w.tcp(srv, cli, 443, cp, s, c + 1, 0x12)
    c, s = c + 1, s + 1
    w.tcp(cli, srv, cp, 443, c, s, 0x10)
    rec = b'\x16\x03\x01' + struct.pack('!H', len(hello)) + hello
    for i in range(0, len(rec), 1400):
        w.tcp(cli, srv, cp, 443, c, s, 0x18, rec[i:i + 1400])
        c += len(rec[i:i + 1400])
    for payload, to_srv in ((b'\x16\x03\x03\x00\x7a' + bytes(122), False),
                            (b'\x17\x03\x03\x01\x00' + bytes(256), True),
                            (b'\x17\x03\x03\x08\x00' + bytes(2048 - 5), False)):
        if to_srv:
            w.tcp(cli, srv, cp, 443, c, s, 0x18, payload)
            c += len(payload)
        else:
            w.tcp(srv, cli, 443, cp, s, c, 0x18, payload)
            s += len(payload)
    w.tcp(cli, srv, cp, 443, c, s, 0x11)
    w.tcp(srv, cli, 443, cp, s, c + 1, 0x11)
    w.tcp(cli, srv, cp, 443, c + 1, s + 1, 0x10)
    w.save(path)


def main(argv):
    if len(argv) >= 3 and argv[0] == 'tcp-hello':
        open(argv[2], 'wb').write(tcp_hello(argv[1]))
    elif len(argv) == 7 and argv[0] == 'edit' and argv[3] == '--sni' and argv[5] == '--ech':
        open(argv[2], 'wb').write(edit(open(argv[1], 'rb').read(), argv[4], argv[6]))
    elif len(argv) in (3, 5) and argv[0] == 'tcp':
        dst = argv[4] if len(argv) == 5 and argv[3] == '--dst' else '203.0.113.10'
        tcp_flow(open(argv[1], 'rb').read(), argv[2], dst)
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv[1:])
