#!/usr/bin/env python3
"""Writes a capture of N concurrent classified AI flows, for bench-flows.sh:
each a TCP SYN, a TLS 1.3 ClientHello to api.openai.com (ALPN http/1.1),
the server's flight (ServerHello, ChangeCipherSpec, one encrypted record),
the client's Finished, one request and its answer, and never a close, so
that every flow is open when the capture ends. A client address opens
--per-source flows (1000; ports 1024 up), so per-source state stays small
beside the flows'. Flows follow each other 5 us
a packet apart (N = 1M spans 30 s of packet time, far below the 600 s idle
timeout of an established flow). One template a packet kind, addresses,
ports and sequence numbers patched in, so 1M flows take a minute or so.

  gen-flows.py OUT.pcap|- [--flows N] [--per-source K]"""
import argparse
import struct
import sys

HOST = b"api.openai.com"


def ext(t, body):
    return struct.pack('!HH', t, len(body)) + body


def client_hello():
    alpn = b'\x08http/1.1'
    exts = b''.join([
        ext(0x0000, struct.pack('!HBH', len(HOST) + 3, 0, len(HOST)) + HOST),
        ext(0x0017, b''),
        ext(0xff01, b'\x00'),
        ext(0x000a, b'\x00\x04\x00\x1d\x00\x17'),
        ext(0x000b, b'\x01\x00'),
        ext(0x0010, struct.pack('!H', len(alpn)) + alpn),
        ext(0x000d, b'\x00\x08\x04\x03\x08\x04\x04\x01\x05\x03'),
        ext(0x0033, b'\x00\x24\x00\x1d\x00\x20' + bytes(range(32))),
        ext(0x002b, b'\x04\x03\x04\x03\x03'),
        ext(0x002d, b'\x01\x01'),
    ])
    ciphers = b'\x13\x01\x13\x02\x13\x03\xc0\x2b\xc0\x2f'
    body = (b'\x03\x03' + bytes(range(32, 64)) + b'\x20' + bytes(range(64, 96)) +
            struct.pack('!H', len(ciphers)) + ciphers + b'\x01\x00' +
            struct.pack('!H', len(exts)) + exts)
    hs = b'\x01' + struct.pack('!I', len(body))[1:] + body
    return b'\x16\x03\x01' + struct.pack('!H', len(hs)) + hs


def server_flight():
    sh_body = (b'\x03\x03' + bytes(range(100, 132)) + b'\x20' + bytes(range(64, 96)) +
               b'\x13\x01\x00' + b'\x00\x2e' + ext(0x002b, b'\x03\x04') +
               ext(0x0033, b'\x00\x1d\x00\x20' + bytes(32)))
    sh = b'\x02' + struct.pack('!I', len(sh_body))[1:] + sh_body
    return (b'\x16\x03\x03' + struct.pack('!H', len(sh)) + sh + b'\x14\x03\x03\x00\x01\x01' +
            b'\x17\x03\x03' + struct.pack('!H', 120) + bytes(120))


def record(n):
    return b'\x17\x03\x03' + struct.pack('!H', n) + bytes(n)


ETH = b'\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00'


def template(payload, flags):
    """Ethernet + IPv4 + TCP with zero addresses, ports and numbers."""
    tcp = struct.pack('!HHIIBBHHH', 0, 0, 0, 0, 0x50, flags, 64240, 0, 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                     bytes(4), bytes(4))
    return bytearray(ETH + ip + tcp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--flows', type=int, default=1000000)
    ap.add_argument('--per-source', type=int, default=1000)
    a = ap.parse_args()
    out = sys.stdout.buffer if a.out == '-' else open(a.out, 'wb')
    out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    hello, flight = client_hello(), server_flight()
    fin, req, resp = record(53), record(400), record(900)
    # (to_server, template, client payload length, server payload length)
    kinds = [(True, template(b'', 0x02), 0, 0), (True, template(hello, 0x18), 1, 0),
             (False, template(flight, 0x18), 0, 0), (True, template(fin, 0x18), 0, 0),
             (True, template(req, 0x18), 0, 0), (False, template(resp, 0x18), 0, 0)]
    lens = [0, len(hello), len(flight), len(fin), len(req), len(resp)]
    t = 1_700_000_000 * 1_000_000
    srv = bytes([104, 18, 0, 1])
    pack_hdr = struct.Struct('<IIII').pack
    buf = []
    for i in range(a.flows):
        c = i // a.per_source
        cli = bytes([10, 64 | (c >> 16) & 0x3f, (c >> 8) & 0xff, c & 0xff])
        cport = 1024 + i % a.per_source
        cseq, sseq = (i * 2654435761) & 0xffffffff, (i * 40503 + 7) & 0xffffffff
        for k, (to_srv, tpl, _, _) in enumerate(kinds):
            f = tpl
            if to_srv:
                f[26:30], f[30:34] = cli, srv
                struct.pack_into('!HHII', f, 34, cport, 443, cseq, sseq)
                cseq = (cseq + (lens[k] or 1)) & 0xffffffff
            else:
                f[26:30], f[30:34] = srv, cli
                struct.pack_into('!HHII', f, 34, 443, cport, sseq, cseq)
                sseq = (sseq + lens[k]) & 0xffffffff
            buf.append(pack_hdr(t // 1_000_000, t % 1_000_000, len(f), len(f)))
            buf.append(bytes(f))
            t += 5
        if len(buf) > 6000:
            out.write(b''.join(buf))
            buf.clear()
    out.write(b''.join(buf))
    out.flush()


if __name__ == '__main__':
    main()
