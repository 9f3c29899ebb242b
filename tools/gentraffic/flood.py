"""Floods: hostile traffic for the sensor's memory caps and bad-input paths
(tools/gen-flood --help; issue 10's "Bad input and attack", issue 12's flood of
QUIC Initials). One kind a pcap, deterministic per seed, streamed in packet-time
order, built on the rest of gentraffic: packets.Path frames, conn.Conn for the
TCP+TLS connections with the real ClientHellos of pcaps/clients, and
tools/mkquic's Initial sealing for QUIC.

Every kind carries two legitimate AI connections in its middle (MARKS to
MARK_HOST, handshake, one turn, closed): Chromium's hello (two TCP segments,
so it needs a hello reassembly buffer) and curl's (one segment), so a test
can tell that what the sensor produced before and during the flood is not
lost and that the flood does not blind it.

Kinds (N = the count):
  sources   N client addresses (1 in 8 IPv6), each one TLS connection to an AI
            API host (SYN, SYN-ACK, ACK, real ClientHello with that SNI, the
            server's flight, one request and its answer), never closed;
            malformed frames in between (bad IP lengths, truncated TCP headers,
            garbage)
  halfopen  N SYNs from distinct 4-tuples to AI hosts, never answered
  cuthello  N connections whose ClientHello is cut mid-record: the rest never
            comes (each holds a hello reassembly buffer)
  quic      N QUIC v1 Initials with random DCIDs from distinct ports to AI
            hosts: half the first Initial of a ClientHello split over two
            (the second never comes: each holds a reassembly slot), half
            sealed with another DCID's keys (a valid header, undecryptable)
  snaplen   N closed connections in a pcap whose header snaplen is --snaplen
            (absurd: 0, 2147483648, 4294967295; or small, 64: every record
            is longer), then 64 records whose caplen exceeds their wire
            length, and last one over libpcap's 256 KiB record limit (where
            libpcap stops reading the file: nothing after it)
  timeback  N closed connections whose timestamps go back twice: after the
            first third by 25 s (reordering within a capture), after the
            second by 3 days (another clock); the marks in every third
"""

import heapq
import importlib.machinery
import importlib.util
import os
import struct

from . import model
from . import packets as P
from . import tls
from .conn import Pool
from .pcapio import LINKTYPE_ETHERNET
from .rng import Rng

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))

KINDS = ("sources", "halfopen", "cuthello", "quic", "snaplen", "timeback")
# Full-scale counts (tools/bench-flood.sh --scale 1) and arrival rates (per
# second of packet time). Rates keep every flood inside the sensor's idle
# timeouts (60 s for one-sided flows, 600 s established, 300 s UDP), so all
# of a flood's state is live at once: the worst case for memory.
FULL = {"sources": 500000, "halfopen": 500000, "cuthello": 200000, "quic": 200000,
        "snaplen": 2000, "timeback": 2000}
RATE = {"sources": 5000.0, "halfopen": 20000.0, "cuthello": 5000.0, "quic": 5000.0,
        "snaplen": 200.0, "timeback": 200.0}

# The legitimate AI clients in the middle of every flood: (address, client capture).
MARKS = (("198.51.100.77", "chromium"), ("198.51.100.78", "curl"))
MARK_HOST = "api.anthropic.com"
T0 = 1767225600.0             # 2026-01-01T00:00:00Z
LIBPCAP_MAX_CAPLEN = 262144   # libpcap refuses a record above this (pcap-common.h)


def ai_hosts():
    """Exact host names of rules/ai-services.conf that model.HOSTS has addresses for."""
    names = []
    with open(os.path.join(TOP, "rules", "ai-services.conf"), encoding="utf-8") as f:
        for line in f:
            w = line.split()
            if len(w) >= 2 and w[0] == "host" and "*" not in w[1] and w[1] in model.HOSTS:
                names.append(w[1])
    if not names:
        raise SystemExit("gen-flood: no AI host of rules/ai-services.conf has addresses in model.HOSTS")
    return names


def load_mkquic():
    """tools/mkquic as a module (it is a script without .py)."""
    path = os.path.join(TOP, "tools", "mkquic")
    loader = importlib.machinery.SourceFileLoader("mkquic", path)
    spec = importlib.util.spec_from_loader("mkquic", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


class Writer:
    """Classic pcap to a binary file object, any header snaplen, and records
    whose caplen and wire length are set apart (pcapio.PcapWriter writes one
    honest length; floods need dishonest ones)."""

    def __init__(self, f, snaplen=262144):
        self.f = f
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen & 0xFFFFFFFF,
                            LINKTYPE_ETHERNET))
        self.buf = []
        self.hdr = struct.Struct("<IIII").pack
        self.packets = 0

    def write(self, t, frame, wirelen=None):
        us = int(round(t * 1e6))
        n = len(frame)
        self.buf.append(self.hdr(us // 1000000, us % 1000000, n, n if wirelen is None else wirelen))
        self.buf.append(frame)
        self.packets += 1
        if len(self.buf) >= 8192:
            self.flush()

    def flush(self):
        if self.buf:
            self.f.write(b"".join(self.buf))
            self.buf = []


class Merge:
    """Time-ordered output of flows that each span a short while: a flow's
    packets go in a heap and leave once no flow still to come can start before
    them (the caller says when with release(t))."""

    def __init__(self, writer):
        self.w = writer
        self.heap = []
        self.k = 0

    def add(self, t, frame, wirelen=None):
        self.k += 1
        heapq.heappush(self.heap, (t, self.k, frame, wirelen))

    def add_all(self, pairs):
        for t, frame in pairs:
            self.add(t, frame)

    def release(self, until=None):
        h = self.heap
        w = self.w
        while h and (until is None or h[0][0] < until):
            t, _, frame, wirelen = heapq.heappop(h)
            w.write(t, frame, wirelen)


class Flood:
    def __init__(self, seed, clients_dir=None):
        self.rng = Rng("gen-flood/%s" % seed)
        self.hosts = ai_hosts()
        clients_dir = clients_dir or os.path.join(TOP, "pcaps", "clients")
        tps = tls.load_templates(clients_dir, list(model.CLIENTS))
        self.templates = [tp for name in sorted(tps) for tp in tps[name]]
        self.mark_templates = [tps[name][0] if name in tps else self.templates[0] for _, name in MARKS]
        if not self.templates:
            raise SystemExit("gen-flood: no ClientHello templates in %s" % clients_dir)
        self.pool = Pool(self.rng.child("pool"))
        self.hellos = {}
        self.marks = 0
        self.flights = {}

    # ------------------------------------------------------------ addresses
    @staticmethod
    def client_addr(i):
        """Source i's address: 1 in 8 IPv6 (2001:db8::/32), the rest 10.0.0.0/8."""
        if i % 8 == 7:
            return "2001:db8:%x:%x:%x::1" % ((i >> 32) & 0xFFFF, (i >> 16) & 0xFFFF, i & 0xFFFF)
        j = i + 1
        return "10.%d.%d.%d" % ((j >> 16) & 255, (j >> 8) & 255, j & 255)

    def server(self, r, v6):
        host = r.choice(self.hosts)
        addrs = model.HOSTS[host]["v6" if v6 else "v4"]
        return host, r.choice(addrs)

    # ------------------------------------------------------------ connections
    def hello_for(self, tp, host, r):
        """tp's ClientHello with SNI host (rewritten once, cached), a fresh
        random and session id; (record, session id)."""
        key = (id(tp), host)
        rec = self.hellos.get(key)
        if rec is None:
            rec = self.hellos[key] = tls.rewrite_hello(tp.hello, host, r)[0]
        n = rec[43]
        sid = r.bytes(n)
        return b"".join((rec[:11], r.bytes(32), rec[43:44], sid, rec[44 + n:])), sid

    def flight_for(self, tp, sid, r):
        """tp's server flight (rewritten once, cached) with a fresh random and sid echoed."""
        fl = self.flights.get(id(tp))
        if fl is None:
            fl = self.flights[id(tp)] = tls.rewrite_server_flight(tp.server_flight, sid, r)
        n = fl[43]
        if n != len(sid):
            return b"".join((fl[:11], r.bytes(32), fl[43:]))
        return b"".join((fl[:11], r.bytes(32), fl[43:44], sid, fl[44 + n:]))

    def connection(self, r, client, host, server, t, closed=False, tp=None):
        """(time, frame) of one TLS connection from a real client's template:
        TCP handshake, the template's ClientHello with SNI host, the server's
        flight, the client's Finished, one request and its answer; closed by
        the client if asked. Plain TCP (one ACK per flight): conn.Conn models
        TCP in full (delayed ACKs, slow start) at three times the cost."""
        path = P.Path(client, server, r.randint(32768, 60999), 443)
        tp = tp or r.choice(self.templates)
        hello, sid = self.hello_for(tp, host, r)
        rtt = r.uniform(0.01, 0.08)
        mss = 1428 if path.v6 else 1448
        seq = [r.bits(32), r.bits(32)]
        tsv = [r.bits(32), r.bits(32)]
        out = []
        C, S = P.C2S, P.S2C

        def ts(d, at):
            return tsv[d] + int((at - t) * 1000.0)

        def send(d, at, data, flags=P.ACK):
            for off in range(0, len(data), mss):
                seg = data[off:off + mss]
                last = off + mss >= len(data)
                out.append((at, path.tcp(d, seq[d], seq[1 - d], flags | (P.PSH if last else 0), 502,
                                         ts(d, at), ts(1 - d, at), seg)))
                seq[d] += len(seg)
                at += 0.00005
            return at

        def ack(d, at, flags=P.ACK):
            out.append((at, path.tcp(d, seq[d], seq[1 - d], flags, 502, ts(d, at), ts(1 - d, at))))

        out.append((t, path.syn(C, seq[C], 0, P.SYN, 64240, tsv[C], 0, mss + 12)))
        seq[C] += 1
        t1 = t + rtt
        out.append((t1, path.syn(S, seq[S], seq[C], P.SYN | P.ACK, 65160, tsv[S], tsv[C], mss + 12)))
        seq[S] += 1
        t2 = t1 + 0.0001
        ack(C, t2)
        t3 = send(C, t2 + 0.0005, hello)
        t4 = send(S, t3 + rtt + 0.002, self.flight_for(tp, sid, r))
        t5 = send(C, t4 + 0.001, tp.client_fin)
        req = r.randint(200, 900) + 17
        t6 = send(C, t5 + r.uniform(0.01, 0.2), b"\x17\x03\x03" + req.to_bytes(2, "big") + self.pool.take(req))
        body = b"".join(b"\x17\x03\x03" + n.to_bytes(2, "big") + self.pool.take(n)
                        for n in (r.randint(150, 420) + 17, r.randint(300, 1400) + 17))
        t7 = send(S, t6 + rtt + r.uniform(0.05, 0.3), body)
        ack(C, t7 + 0.0002)
        if closed:
            t8 = t7 + 0.01
            ack(C, t8, P.FIN | P.ACK)
            seq[C] += 1
            ack(S, t8 + rtt, P.FIN | P.ACK)
            seq[S] += 1
            ack(C, t8 + rtt + 0.0001)
        return out

    def marker(self, merge, t):
        """The legitimate AI connections every flood carries."""
        self.marks += 1  # each pair its own ports
        r = self.rng.child("marker/%d" % self.marks)
        server = model.HOSTS[MARK_HOST]["v4"][0]
        for k, (addr, _) in enumerate(MARKS):
            merge.add_all(self.connection(r, addr, MARK_HOST, server, t + k * 0.001, closed=True,
                                          tp=self.mark_templates[k]))

    # ------------------------------------------------------------ malformed frames
    def malformed(self, r, i):
        """One bad frame, of kind i mod 6."""
        k = i % 6
        src = bytes((10, 200, (i >> 8) & 255, i & 255))
        dst = bytes((192, 0, 2, 1 + (i & 127)))
        eth = P.GATEWAY_MAC + b"\x02\x00" + src + b"\x08\x00"
        tcp = struct.pack("!HHIIBBHHH", r.randint(1024, 65535), 443, r.bits(32), 0, 0x50, 0x02,
                          65535, 0, 0)
        if k == 0:    # IPv4 total length beyond the frame
            return eth + struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1500, i & 0xFFFF, 0, 64, 6, 0,
                                     src, dst) + tcp
        if k == 1:    # IPv4 total length shorter than its header
            return eth + struct.pack("!BBHHHBBH4s4s", 0x45, 0, 12, i & 0xFFFF, 0, 64, 6, 0,
                                     src, dst) + tcp
        if k == 2:    # TCP header cut: 8 bytes of it
            return eth + struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, i & 0xFFFF, 0, 64, 6, 0,
                                     src, dst) + tcp[:8]
        if k == 3:    # TCP data offset past the segment
            bad = tcp[:12] + b"\xf0" + tcp[13:]
            return eth + struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, i & 0xFFFF, 0, 64, 6, 0,
                                     src, dst) + bad
        if k == 4:    # IPv6 payload length beyond the frame
            return (P.GATEWAY_MAC + b"\x02\x00" + src + b"\x86\xdd" +
                    struct.pack("!IHBB16s16s", 0x60000000, 4000, 6, 64, b"\x20\x01\x0d\xb8" + bytes(8) + src,
                                bytes(16)) + tcp)
        return r.bytes(r.randint(1, 120))  # garbage, runts included

    # ------------------------------------------------------------ kinds
    def sources(self, merge, n, rate, junk_every=10):
        r = self.rng.child("sources")
        mid = n // 2
        for i in range(n):
            t = T0 + i / rate
            merge.release(t)
            if i == mid:
                self.marker(merge, t)
            client = self.client_addr(i)
            host, server = self.server(r, ":" in client)
            merge.add_all(self.connection(r, client, host, server, t))
            if i % junk_every == junk_every - 1:
                merge.add(t + 0.0005, self.malformed(r, i // junk_every))

    def halfopen(self, merge, n, rate):
        r = self.rng.child("halfopen")
        mid = n // 2
        for i in range(n):
            t = T0 + i / rate
            merge.release(t)
            if i == mid:
                self.marker(merge, t)
            client = self.client_addr(i)
            _, server = self.server(r, ":" in client)
            p = P.Path(client, server, r.randint(1024, 65535), 443)
            merge.add(t, p.syn(P.C2S, r.bits(32), 0, P.SYN, 64240, r.bits(32), 0, 1460))

    def cuthello(self, merge, n, rate):
        r = self.rng.child("cuthello")
        mid = n // 2
        for i in range(n):
            t = T0 + i / rate
            merge.release(t)
            if i == mid:
                self.marker(merge, t)
            client = self.client_addr(i)
            host, server = self.server(r, ":" in client)
            p = P.Path(client, server, r.randint(32768, 60999), 443)
            tp = r.choice(self.templates)
            hello, _ = tls.rewrite_hello(tp.hello, host, r)
            cut = r.randint(6, len(hello) - 1)  # past the record header, short of its end
            cs, ss, ts = r.bits(32), r.bits(32), r.bits(32)
            rtt = r.uniform(0.01, 0.08)
            merge.add(t, p.syn(P.C2S, cs, 0, P.SYN, 64240, ts, 0, 1460))
            merge.add(t + rtt, p.syn(P.S2C, ss, cs + 1, P.SYN | P.ACK, 65160, ts, ts, 1460))
            merge.add(t + rtt + 0.0001, p.tcp(P.C2S, cs + 1, ss + 1, P.ACK, 502, ts + 1, ts))
            merge.add(t + rtt + 0.0002, p.tcp(P.C2S, cs + 1, ss + 1, P.ACK | P.PSH, 502, ts + 1, ts,
                                              hello[:cut]))

    def quic(self, merge, n, rate):
        mq = load_mkquic()
        r = self.rng.child("quic")
        hello = mq.extract(os.path.join(TOP, "pcaps", "scenarios", "browser.pcap"))
        hello = mq.with_mlkem(mq.with_sni(hello, "chatgpt.com"), _RandomBits(r))
        half = len(hello) // 2
        first = mq.crypto_frame(0, hello[:half])  # the second half never comes
        mid = n // 2
        for i in range(n):
            t = T0 + i / rate
            merge.release(t)
            if i == mid:
                self.marker(merge, t)
            host, server = self.server(r, False)
            client = "10.%d.%d.%d" % (64 + ((i >> 16) & 63), (i >> 8) & 255, i & 255)
            p = P.Path(client, server, 1024 + r.randint(0, 64000), 443, proto=17)
            dcid = r.bytes(r.randint(8, 20))
            scid = r.bytes(8)
            if i & 1:  # sealed with another DCID's keys: the header names dcid
                pkt = mq.initial(mq.V1, r.bytes(len(dcid)), scid, 0, first, pad_to=1252)
                pkt = pkt[:6] + dcid + pkt[6 + len(dcid):]
            else:
                pkt = mq.initial(mq.V1, dcid, scid, 0, first, pad_to=1252)
            merge.add(t, p.udp(P.C2S, pkt))

    def real_traffic(self, merge, r, n, rate, t0, first_index, marker=False):
        """n closed connections from distinct sources starting at t0; the marker in the middle."""
        for i in range(n):
            t = t0 + i / rate
            merge.release(t)
            if marker and i == n // 2:
                self.marker(merge, t)
            client = self.client_addr(first_index + i)
            host, server = self.server(r, ":" in client)
            merge.add_all(self.connection(r, client, host, server, t, closed=True))
        return t0 + n / rate

    def snaplen(self, merge, n, rate, snaplen):
        """Real traffic; every 50th frame also written with a caplen above the
        header's snaplen (when that can be: snaplen below a frame's size) or
        with a wire length below its caplen; one record over 256 KiB last."""
        r = self.rng.child("snaplen")
        t_end = self.real_traffic(merge, r, n, rate, T0, 0, marker=True)
        merge.release(None)
        w = merge.w
        for i in range(64):
            frame = self.malformed(r, i) if i & 1 else r.bytes(r.randint(60, 1500))
            w.write(t_end + i * 0.001, frame, wirelen=max(1, len(frame) // 2))  # caplen > wirelen
        big = r.bytes(LIBPCAP_MAX_CAPLEN + 4096)
        w.write(t_end + 1.0, big)

    def timeback(self, merge, n, rate):
        """A third of the traffic, the clock back by 30 s, a third, back by 3
        days, the last third; a marker in each third."""
        r = self.rng.child("timeback")
        k = max(1, n // 3)
        t1 = self.real_traffic(merge, r, k, rate, T0, 0, marker=True)
        merge.release(None)
        t2 = self.real_traffic(merge, r, k, rate, t1 + 5.0 - 30.0, k, marker=True)
        merge.release(None)
        self.real_traffic(merge, r, k, rate, t2 - 3 * 86400.0, 2 * k, marker=True)


class _RandomBits:
    """mkquic's helpers take a random.Random; they only call getrandbits."""

    def __init__(self, r):
        self.getrandbits = r.bits


def generate(kind, n, out, seed=1, rate=None, snaplen=262144, clients_dir=None):
    """Writes the flood `kind` of count n to the binary file object `out`;
    returns the number of packets."""
    if kind not in KINDS:
        raise ValueError("unknown kind %r" % kind)
    fl = Flood(seed, clients_dir)
    w = Writer(out, snaplen if kind == "snaplen" else 262144)
    merge = Merge(w)
    rate = rate or RATE[kind]
    if kind == "snaplen":
        fl.snaplen(merge, n, rate, snaplen)
    else:
        getattr(fl, kind)(merge, n, rate)
    merge.release(None)
    w.flush()
    return w.packets
