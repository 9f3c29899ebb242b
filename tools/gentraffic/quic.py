"""QUIC flows replayed from real captures in ../shared/peer.

A QUIC Initial is encrypted with keys derived from its destination connection ID,
so its bytes cannot be edited (no new SNI) without re-encrypting; they are replayed
unchanged, with new addresses, ports and times, and carry whatever SNI they carry.
The server address is one the template's own SNI resolves to (model.HOSTS).
When ../shared/peer is missing, there is simply no QUIC."""

import os

from . import pcapio

# (capture under the peer dir, client port of the conversation, its SNI). Only
# conversations whose first packet is the client's Initial qualify (nDPI's
# quic_0RTT.pcap, for one, opens with 0-RTT packets captured before the Initial).
SOURCES = (
    ("ja4/pcap/chrome-cloudflare-quic-with-secrets.pcapng", 50280, "cloudflare-quic.com"),
    ("ja4/pcap/quic-tls-handshake.pcapng", 59102, "www.google.com"),
)
MAX_PACKETS = 120
MAX_GAP = 2.0  # longer pauses inside a template are shortened to this


class QuicTemplate:
    __slots__ = ("path", "cport", "sni", "packets")  # packets: [(relative time, direction, payload)]

    def __repr__(self):
        return "<QuicTemplate %s %s %d pkts>" % (os.path.basename(self.path), self.sni, len(self.packets))


def _is_client_initial(payload):
    if len(payload) < 7 or not payload[0] & 0x80:
        return False
    version = int.from_bytes(payload[1:5], "big")
    ptype = (payload[0] >> 4) & 3
    if version == 0x6B3343CF:  # QUIC v2 numbers its packet types differently
        return ptype == 1
    return version == 1 and ptype == 0


def load(peer_dir):
    out = []
    if not peer_dir or not os.path.isdir(peer_dir):
        return out
    for rel, cport, sni in SOURCES:
        path = os.path.join(peer_dir, rel)
        if not os.path.exists(path):
            continue
        pkts = []
        try:
            for ts, lt, frame in pcapio.read_packets(path):
                ip = pcapio.ip_payload(lt, frame)
                parsed = pcapio.parse_ip(ip) if ip else None
                if not parsed or parsed[2] != 17 or len(parsed[3]) < 8:
                    continue
                u = parsed[3]
                sp, dp = int.from_bytes(u[0:2], "big"), int.from_bytes(u[2:4], "big")
                if sp == cport:
                    pkts.append((ts, 0, u[8:]))
                elif dp == cport:
                    pkts.append((ts, 1, u[8:]))
        except pcapio.CaptureError:
            continue
        pkts.sort(key=lambda x: x[0])
        if not pkts or pkts[0][1] != 0 or not _is_client_initial(pkts[0][2]):
            continue
        rel_pkts = []
        t_prev = pkts[0][0]
        t = 0.0
        for ts, d, pl in pkts[:MAX_PACKETS]:
            t += min(ts - t_prev, MAX_GAP)
            t_prev = ts
            rel_pkts.append((t, d, pl))
        q = QuicTemplate()
        q.path = path
        q.cport = cport
        q.sni = sni
        q.packets = rel_pkts
        out.append(q)
    return out


def flow(template, path, t0, time_scale=1.0):
    """(time, frame) for one replay of `template` over `path` starting at t0."""
    for rel, d, payload in template.packets:
        yield t0 + rel * time_scale, path.udp(d, payload)
