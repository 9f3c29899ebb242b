#!/usr/bin/env python3
"""Writes a SPAN-like benchmark capture: many TLS flows, most to ordinary
web hosts and a fifth to AI API hosts, each with a TCP handshake, a real-shaped
TLS 1.3 ClientHello (built here), a server flight, a few request/response
turns of application data, and a FIN close; plus some QUIC-looking and plain
UDP noise. Deterministic for a seed.

  gen-span.py OUT.pcap [--flows N] [--seed S] [--ai-share F]

About 33 packets a flow: --flows 30000 gives about 1M packets."""
import argparse
import heapq
import random
import struct

WEB_HOSTS = ["www.google.com", "www.youtube.com", "github.com", "www.wikipedia.org",
             "s3.amazonaws.com", "cdn.jsdelivr.net", "www.cloudflare.com", "login.microsoftonline.com",
             "www.bing.com", "fonts.gstatic.com", "static.xx.fbcdn.net", "www.reddit.com",
             "api.github.com", "registry.npmjs.org", "pypi.org", "storage.googleapis.com",
             "update.googleapis.com", "www.linkedin.com", "slack.com", "zoom.us"]
AI_HOSTS = ["api.openai.com", "api.anthropic.com", "generativelanguage.googleapis.com",
            "api.mistral.ai", "api.deepseek.com", "openrouter.ai", "api.x.ai", "api.groq.com",
            "myres.openai.azure.com", "bedrock-runtime.us-east-1.amazonaws.com"]

CIPHERS = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
           0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035]


def ext(t, body):
    return struct.pack('!HH', t, len(body)) + body


def client_hello(rng, sni, alpn=(b'h2', b'http/1.1')):
    """A TLS 1.3 ClientHello record shaped like a browser's or a library's."""
    n = rng.choice((15, 15, 15, 9, 5))
    ciphers = b''.join(struct.pack('!H', c) for c in CIPHERS[:n])
    host = sni.encode()
    exts = [
        ext(0x0000, struct.pack('!HBH', len(host) + 3, 0, len(host)) + host),
        ext(0x0017, b''),
        ext(0xff01, b'\x00'),
        ext(0x000a, b'\x00\x08\x00\x1d\x00\x17\x00\x18\x00\x19'),
        ext(0x000b, b'\x01\x00'),
        ext(0x0023, b''),
        ext(0x0010, struct.pack('!H', sum(len(a) + 1 for a in alpn)) +
            b''.join(bytes([len(a)]) + a for a in alpn)),
        ext(0x000d, b'\x00\x10\x04\x03\x08\x04\x04\x01\x05\x03\x08\x05\x05\x01\x08\x06\x06\x01'),
        ext(0x0033, b'\x00\x24\x00\x1d\x00\x20' + rng.randbytes(32)),
        ext(0x002b, b'\x04\x03\x04\x03\x03'),
        ext(0x002d, b'\x01\x01'),
    ]
    if rng.random() < 0.5:
        exts.append(ext(0x0015, bytes(rng.randrange(0, 200))))  # padding
    exts = b''.join(exts)
    body = (b'\x03\x03' + rng.randbytes(32) + b'\x20' + rng.randbytes(32) +
            struct.pack('!H', len(ciphers)) + ciphers + b'\x01\x00' +
            struct.pack('!H', len(exts)) + exts)
    hs = b'\x01' + struct.pack('!I', len(body))[1:] + body
    return b'\x16\x03\x01' + struct.pack('!H', len(hs)) + hs


def server_flight(rng):
    sh_body = (b'\x03\x03' + rng.randbytes(32) + b'\x20' + bytes(32) + b'\x13\x01\x00' +
               b'\x00\x2e' + ext(0x002b, b'\x03\x04') + ext(0x0033, b'\x00\x1d\x00\x20' + bytes(32)))
    sh = b'\x02' + struct.pack('!I', len(sh_body))[1:] + sh_body
    rec = b'\x16\x03\x03' + struct.pack('!H', len(sh)) + sh
    rec += b'\x14\x03\x03\x00\x01\x01'
    enc = rng.randrange(2500, 4500)
    rec += b'\x17\x03\x03' + struct.pack('!H', enc) + bytes(enc)
    return rec


def appdata(n):
    out = b''
    while n > 0:
        k = min(n, 16384)
        out += b'\x17\x03\x03' + struct.pack('!H', k) + bytes(k)
        n -= k
    return out


class Flow:
    def __init__(self, rng, i, t0, ai):
        self.rng = rng
        self.cli = bytes([10, (i >> 16) & 0xff | 64, (i >> 8) & 0xff, i & 0xff or 1])
        self.srv = bytes([104, 18, rng.randrange(256), rng.randrange(1, 255)])
        self.cport = 1024 + (i * 7919) % 60000
        self.host = rng.choice(AI_HOSTS if ai else WEB_HOSTS)
        self.ai = ai
        self.t = t0

    def packets(self):
        rng = self.rng
        cseq, sseq = rng.getrandbits(32), rng.getrandbits(32)
        t = self.t
        out = []

        def seg(to_server, flags, payload=b''):
            nonlocal cseq, sseq
            if to_server:
                out.append((t, tcp_frame(self.cli, self.srv, self.cport, 443, cseq, sseq, flags, payload)))
                cseq = (cseq + len(payload) + (1 if flags & 0x03 else 0)) & 0xffffffff
            else:
                out.append((t, tcp_frame(self.srv, self.cli, 443, self.cport, sseq, cseq, flags, payload)))
                sseq = (sseq + len(payload) + (1 if flags & 0x03 else 0)) & 0xffffffff

        def send(to_server, data):
            nonlocal t
            for off in range(0, len(data), 1448):
                seg(to_server, 0x18, data[off:off + 1448])
                t += 0.00005

        rtt = rng.uniform(0.005, 0.06)
        seg(True, 0x02); t += rtt
        seg(False, 0x12); t += 0.0001
        seg(True, 0x10)
        send(True, client_hello(rng, self.host)); t += rtt
        send(False, server_flight(rng)); t += rtt / 2
        send(True, appdata(80)); t += 0.001
        turns = rng.randrange(2, 6) if self.ai else rng.randrange(1, 4)
        for _ in range(turns):
            send(True, appdata(rng.randrange(300, 3000) if self.ai else rng.randrange(200, 800)))
            t += rtt + (rng.uniform(0.2, 1.5) if self.ai else rng.uniform(0.01, 0.1))
            for _ in range(rng.randrange(3, 12) if self.ai else 1):
                send(False, appdata(rng.randrange(40, 2000) if self.ai else rng.randrange(1000, 12000)))
                t += 0.02 if self.ai else 0.001
            seg(True, 0x10)
            t += rng.uniform(0.05, 2.0)
        seg(True, 0x11); t += rtt
        seg(False, 0x11); t += 0.0001
        seg(True, 0x10)
        return out


def csum_zero():
    return 0


def tcp_frame(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 0x50, flags, 64240, 0, 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    return b'\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00' + ip + tcp


def udp_frame(src, dst, sport, dport, payload):
    udp = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, src, dst)
    return b'\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00' + ip + udp


def noise(rng, i, t):
    """UDP request/response pairs: flows the sensor must skip cheaply."""
    cli = bytes([10, 200, (i >> 8) & 0xff, i & 0xff or 1])
    srv = bytes([9, 9, 9, 9])
    q = udp_frame(cli, srv, 1024 + i % 60000, 40000, rng.randbytes(40))
    r = udp_frame(srv, cli, 40000, 1024 + i % 60000, rng.randbytes(120))
    return [(t, q), (t + 0.01, r)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('out')
    ap.add_argument('--flows', type=int, default=30000)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--ai-share', type=float, default=0.2)
    ap.add_argument('--duration', type=float, default=600.0, help='seconds of traffic')
    a = ap.parse_args()
    rng = random.Random(a.seed)
    base = 1767225600.0  # 2026-01-01T00:00:00Z
    streams = []
    for i in range(a.flows):
        t0 = base + rng.uniform(0, a.duration)
        streams.append(Flow(random.Random(rng.getrandbits(64)), i + 1, t0,
                            rng.random() < a.ai_share).packets())
    for i in range(a.flows // 10 if a.flows >= 10 else 0):
        streams.append(noise(rng, i + 1, base + rng.uniform(0, a.duration)))
    n = 0
    with open(a.out, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for t, frame in heapq.merge(*streams, key=lambda x: x[0]):
            sec = int(t)
            f.write(struct.pack('<IIII', sec, int((t - sec) * 1e6), len(frame), len(frame)))
            f.write(frame)
            n += 1
    print(f'{a.out}: {n} packets, {a.flows} TLS flows, seed {a.seed}')


if __name__ == '__main__':
    main()
