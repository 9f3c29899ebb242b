"""One TCP connection carrying TLS: handshake from a real client's template,
request/response turns, closes.

Times are capture times at a sensor next to the client (an egress SPAN port): what
the client sends is seen when sent, what the server sends is seen when it arrives,
and the server's reaction to a client packet is seen one RTT later.

TCP as Linux does it, in the parts a passive sensor sees: SYN options, the timestamp
option on every segment, segments of at most the MSS, an initial window of ten
segments that doubles every round trip while a large write is in flight, the PSH flag
on the last segment of a write, and delayed ACKs (an ACK for every second segment,
otherwise 40 ms later unless data going the other way carries it).

Methods that emit packets are generators; a connection holds only the packets
of the step it is in, so memory stays bounded however long the connection lives."""

from . import packets as P
from . import tls

C, S = P.C2S, P.S2C
DELACK = 0.040


class Pool:
    """Random bytes for ciphertext: slices of one seeded buffer are as random-looking
    as fresh draws, and far cheaper."""

    def __init__(self, rng, size=1 << 20):
        self.buf = rng.bytes(size + 20000)
        self.size = size
        self.rng = rng

    def take(self, n):
        o = int(self.rng.random() * self.size)
        if n <= 20000:
            return self.buf[o:o + n]
        parts = []
        while n > 0:
            k = min(n, 20000)
            parts.append(self.buf[o:o + k])
            n -= k
            o = int(self.rng.random() * self.size)
        return b"".join(parts)


class Conn:
    def __init__(self, path, rtt, rng, pool, template, sni, cert=None, h2=False,
                 close_notify=False, up_bw=12.5e6, down_bw=25e6):
        self.p = path
        self.rtt = rtt
        self.r = rng
        self.pool = pool
        self.tp = template
        self.sni = sni
        self.cert = cert
        self.h2 = h2
        self.close_notify = close_notify
        self.seq = [rng.bits(32), rng.bits(32)]
        self.ack = [0, 0]
        self.tso = [rng.bits(32), rng.bits(32)]
        self.mss = 1428 if path.v6 else 1448  # MSS 1440/1460 minus the timestamp option
        self.win = [rng.randint(480, 520), rng.randint(260, 300)]  # scaled by 2**7
        self.delay = [rng.uniform(0.00003, 0.0002), rtt]  # reaction seen at the capture point
        self.space = [1.0 / up_bw, 1.0 / down_bw]  # seconds per byte on the wire
        self.unacked = [0, 0]
        self.pend = [None, None]  # (fire time, ack value) of a delayed ACK
        self.cwnd = [10, 10]
        self.last_data = [0.0, 0.0]
        self.out = []
        self.k = 0
        self.t_end = 0.0
        self.requests = 0
        self.closed = False

    # ------------------------------------------------------------ packets
    def _put(self, t, frame):
        self.k += 1
        self.out.append((t, self.k, frame))
        if t > self.t_end:
            self.t_end = t

    def _tsecr(self, d, t):
        return self.tso[1 - d] + int((t - self.rtt * 0.5) * 1000.0)

    def _seg(self, d, t, flags, payload=b""):
        pend = self.pend[d]
        if pend is not None:
            if pend[0] <= t:
                self._pure_ack(d, pend[0], pend[1])
            self.pend[d] = None
        self.unacked[d] = 0
        self._put(t, self.p.tcp(d, self.seq[d], self.ack[d], flags, self.win[d],
                                self.tso[d] + int(t * 1000.0), self._tsecr(d, t), payload))
        self.seq[d] += len(payload)
        if flags & P.FIN:
            self.seq[d] += 1

    def _pure_ack(self, d, t, ackval):
        self._put(t, self.p.tcp(d, self.seq[d], ackval, P.ACK, self.win[d],
                                self.tso[d] + int(t * 1000.0), self._tsecr(d, t)))

    def _arrive(self, r, t, seq_end):
        """The segment sent at capture time t, ending at seq_end, reaches side r."""
        react = t + self.delay[r]
        pend = self.pend[r]
        if pend is not None and pend[0] <= react:
            self._pure_ack(r, pend[0], pend[1])
            self.pend[r] = None
            self.unacked[r] = 0
        self.ack[r] = seq_end
        self.unacked[r] += 1
        if self.unacked[r] >= 2:
            self.unacked[r] = 0
            self.pend[r] = None
            self._pure_ack(r, react, seq_end)
        else:
            self.pend[r] = (react + DELACK, seq_end)

    def _write(self, d, t, data):
        """Side d writes `data` at t. Returns the time of its last segment."""
        r = 1 - d
        n = len(data)
        if t - self.last_data[d] > 1.0:
            self.cwnd[d] = 10  # Linux restarts slow start after an idle period
        mss = self.mss
        space = self.space[d]
        off = 0
        in_round = 0
        t_round = t
        last = t
        while off < n:
            seg = data[off:off + mss]
            off += len(seg)
            self._seg(d, t, P.ACK | (P.PSH if off >= n else 0), seg)
            self._arrive(r, t, self.seq[d])
            last = t
            in_round += 1
            if in_round >= self.cwnd[d] and off < n:
                self.cwnd[d] = min(self.cwnd[d] * 2, 2000)
                t_round += self.rtt + 0.0002
                t = max(t_round, t + space * 1500)
                in_round = 0
            else:
                t += space * (len(seg) + 66)
        self.last_data[d] = last
        return last

    def _records(self, plain_sizes):
        """TLS 1.3 application_data records (content type and 16-byte tag inside)."""
        out = []
        for n in plain_sizes:
            ct = n + 17
            out.append(b"\x17\x03\x03" + ct.to_bytes(2, "big"))
            out.append(self.pool.take(ct))
        return b"".join(out)

    def _split(self, total, first=0):
        """Plaintext sizes: an optional first record (headers) then <= 16 KiB records."""
        sizes = [first] if first else []
        total = int(total)
        while total > 0:
            k = min(total, 16384)
            sizes.append(k)
            total -= k
        return sizes or [1]

    def drain(self, until=None):
        """Yields (time, frame) for every packet up to `until` (all if None). The caller
        promises that nothing it asks for later happens before `until`."""
        for d in (C, S):
            pend = self.pend[d]
            if pend is not None and (until is None or pend[0] < until):
                self._pure_ack(d, pend[0], pend[1])
                self.pend[d] = None
                self.unacked[d] = 0
        out = self.out
        if not out:
            return
        out.sort()
        if until is None:
            self.out = []
            for t, _, f in out:
                yield t, f
            return
        i = 0
        n = len(out)
        while i < n and out[i][0] <= until:
            i += 1
        self.out = out[i:]
        for j in range(i):
            e = out[j]
            yield e[0], e[2]

    # ------------------------------------------------------------ phases
    def open(self, t):
        """TCP handshake, the template's TLS handshake with this flow's SNI."""
        rng = self.r
        p = self.p
        synmss = self.mss + 12
        self._put(t, p.syn(C, self.seq[C], 0, P.SYN, 64240 if not p.v6 else 64800,
                           self.tso[C] + int(t * 1000.0), 0, synmss))
        self.seq[C] += 1
        t1 = t + self.rtt
        self.ack[S] = self.seq[C]
        self._put(t1, p.syn(S, self.seq[S], self.ack[S], P.SYN | P.ACK, 65160 if not p.v6 else 64260,
                            self.tso[S] + int(t1 * 1000.0), self.tso[C] + int(t * 1000.0), synmss))
        self.seq[S] += 1
        self.ack[C] = self.seq[S]
        t2 = t1 + self.delay[C]
        self._seg(C, t2, P.ACK)
        hello, sid = tls.rewrite_hello(self.tp.hello, self.sni, rng)
        t3 = t2 + rng.uniform(0.0001, 0.0015)
        t_ch = self._write(C, t3, hello)
        t4 = t_ch + self.rtt + rng.uniform(0.0008, 0.004)
        yield from self.drain(t4)
        flight = tls.rewrite_server_flight(self.tp.server_flight, sid, rng, self.cert)
        t_fl = self._write(S, t4, flight)
        t5 = t_fl + rng.uniform(0.0005, 0.003)
        fin = self._rerandomize(self.tp.client_fin)
        if self.h2:
            fin += self._records([rng.randint(60, 90)])  # preface, SETTINGS, WINDOW_UPDATE
        t_fin = self._write(C, t5, fin)
        if self.tp.server_post:
            sizes = [n - 17 for n in self.tp.server_post if n > 17]
            t6 = t_fin + self.rtt + rng.uniform(0.0001, 0.0008)
            yield from self.drain(t6)
            self._write(S, t6, self._records(sizes))

    def _rerandomize(self, stream):
        out = []
        p = 0
        while p + 5 <= len(stream):
            n = int.from_bytes(stream[p + 3:p + 5], "big")
            if stream[p] == 23:
                out.append(stream[p:p + 5] + self.pool.take(n))
            else:
                out.append(stream[p:p + 5 + n])
            p += 5 + n
        return b"".join(out)

    def exchange(self, t, req, resp, stream, rate, tick, ttfb):
        """One request/response turn starting at t (plaintext sizes in bytes)."""
        rng = self.r
        t = max(t, self.t_end + 0.0001)
        yield from self.drain(t)
        first = 0
        if self.h2:
            first = rng.randint(90, 260)  # HEADERS (HPACK) before the DATA frames
        if self.h2 and self.requests == 0:
            first += 9  # SETTINGS ack rides along with the first request
        t_req = self._write(C, t, self._records(self._split(req, first)))
        self.requests += 1
        t0 = t_req + max(self.rtt + 0.0005, ttfb)
        yield from self.drain(t0)
        hdr = rng.randint(150, 420)
        if stream:
            duration = max(0.2, resp / max(rate, 1.0))
            nt = max(1, int(duration / tick))
            per = resp / nt
            last = self._write(S, t0, self._records([hdr]))
            tt = t0
            for k in range(nt):
                tt = max(tt + tick * rng.uniform(0.6, 1.4), last + 0.0001)
                b = max(20, int(per * rng.uniform(0.6, 1.4)))
                nrec = min(6, 1 + b // 350)
                sizes = [b // nrec] * nrec
                last = self._write(S, tt, self._records(sizes))
                if k & 15 == 15:
                    yield from self.drain(tt)
            tt = max(tt + tick * rng.uniform(0.2, 0.6), last + 0.0001)
            self._write(S, tt, self._records([rng.randint(14, 40)]))  # [DONE] / END_STREAM
        else:
            self._write(S, t0, self._records(self._split(resp, hdr)))

    def close(self, t, how):
        """how: "client" (client FIN), "server" (server FIN, e.g. idle timeout), "rst"."""
        if self.closed:
            return
        self.closed = True
        rng = self.r
        t = max(t, self.t_end + 0.0001)
        yield from self.drain(t)
        if how == "rst":
            self._put(t, self.p.rst(C, self.seq[C]))
        elif how == "client":
            if self.close_notify:
                t = self._write(C, t, self._records([2])) + 0.00002
            self._seg(C, t, P.FIN | P.ACK)
            self.ack[S] = self.seq[C]
            ts = t + self.rtt
            self._seg(S, ts, P.FIN | P.ACK)
            self.ack[C] = self.seq[S]
            self._seg(C, ts + self.delay[C], P.ACK)
        else:
            self._seg(S, t, P.FIN | P.ACK)
            self.ack[C] = self.seq[S]
            tc = t + self.delay[C] + rng.uniform(0.0001, 0.002)
            if self.close_notify:
                tc = self._write(C, tc, self._records([2])) + 0.00002
            self._seg(C, tc, P.FIN | P.ACK)
            self.ack[S] = self.seq[C]
            self._seg(S, tc + self.rtt, P.ACK)
        yield from self.drain(None)
