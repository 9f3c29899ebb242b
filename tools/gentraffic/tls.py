"""Real TLS handshakes as templates, and the rewrites that make one template serve
many flows.

From every connection in pcaps/clients/<client>.pcap (tools/capture-clients.sh) we
keep the client's ClientHello record, the server's first flight (ServerHello,
ChangeCipherSpec and the encrypted EncryptedExtensions..Finished records), the
client's second flight (ChangeCipherSpec + Finished) and the sizes of the records the
server sends right after it (session tickets, HTTP/2 SETTINGS).

Per generated flow the ClientHello gets the flow's SNI, with the server_name,
extensions, handshake and record lengths recomputed, a padding extension (if the
client sends one) resized so the hello keeps the length the client pads to, and fresh
random, session id and key shares. Nothing JA3 or JA4 reads changes (cipher suites,
extension types and order, groups, point formats, signature algorithms, ALPN), so a
generated flow carries the fingerprint of the real client it came from."""

import os

from . import pcapio

HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")


class TemplateError(Exception):
    pass


class Template:
    """One real connection's handshake."""

    __slots__ = ("client", "index", "cport", "path", "hello", "server_flight", "client_fin",
                 "server_post", "alpn", "tls13", "sni")

    def __repr__(self):
        return "<Template %s#%d>" % (self.client, self.index)


def _streams(path):
    """TCP connections in a capture, in the order they open:
    [(client port, [client chunks, server chunks])], chunks being [(time, bytes)] in
    sequence order with retransmitted bytes dropped."""
    conns = {}
    order = []
    for ts, lt, frame in pcapio.read_packets(path):
        ip = pcapio.ip_payload(lt, frame)
        parsed = pcapio.parse_ip(ip) if ip else None
        if not parsed or parsed[2] != 6 or len(parsed[3]) < 20:
            continue
        src, dst, _, seg = parsed
        sp, dp = int.from_bytes(seg[0:2], "big"), int.from_bytes(seg[2:4], "big")
        seq = int.from_bytes(seg[4:8], "big")
        flags = seg[13]
        payload = seg[(seg[12] >> 4) * 4:]
        key = (src, sp, dst, dp)
        rkey = (dst, dp, src, sp)
        if key in conns:
            c, d = conns[key], 0
        elif rkey in conns:
            c, d = conns[rkey], 1
        elif flags & 0x12 == 0x02:  # a SYN opens a connection; its sender is the client
            c = conns[key] = {"isn": [seq, None], "segs": ([], []), "client": key}
            order.append(c)
            d = 0
        else:
            continue
        if flags & 0x02:
            c["isn"][d] = seq
            continue
        if payload and c["isn"][d] is not None:
            c["segs"][d].append(((seq - c["isn"][d] - 1) & 0xFFFFFFFF, ts, payload))
    out = []
    for c in order:
        dirs = []
        for segs in c["segs"]:
            segs.sort(key=lambda s: (s[0], s[1]))
            buf, have = [], 0
            for off, ts, pl in segs:
                if off + len(pl) <= have:
                    continue
                if off > have:
                    break  # a hole: keep what is contiguous
                pl = pl[have - off:]
                buf.append((ts, pl))
                have += len(pl)
            dirs.append(buf)
        out.append((c["client"][1], dirs))
    return out


def _records(chunks):
    """TLS records of one direction: [(time of the segment that completed it, type, bytes)]."""
    recs = []
    pending = b""
    for ts, data in chunks:
        pending += data
        while len(pending) >= 5:
            n = int.from_bytes(pending[3:5], "big")
            if len(pending) < 5 + n:
                break
            recs.append((ts, pending[0], pending[:5 + n]))
            pending = pending[5 + n:]
    return recs


def parse_hello(rec):
    """Splits a ClientHello record into its parts; raises TemplateError if it is not
    one complete ClientHello in one record."""
    if len(rec) < 9 or rec[0] != 22 or rec[5] != 1:
        raise TemplateError("not a ClientHello record")
    hlen = int.from_bytes(rec[6:9], "big")
    body = rec[9:]
    if hlen != len(body):
        raise TemplateError("ClientHello spans records")
    p = 0
    version = body[p:p + 2]
    p += 2
    p += 32
    sid_len = body[p]
    sid = body[p + 1:p + 1 + sid_len]
    p += 1 + sid_len
    cs_len = int.from_bytes(body[p:p + 2], "big")
    ciphers = body[p:p + 2 + cs_len]
    p += 2 + cs_len
    comp = body[p:p + 1 + body[p]]
    p += 1 + body[p]
    exts = []
    if p < len(body):
        elen = int.from_bytes(body[p:p + 2], "big")
        p += 2
        end = p + elen
        if end != len(body):
            raise TemplateError("extension lengths do not add up")
        while p < end:
            t = int.from_bytes(body[p:p + 2], "big")
            n = int.from_bytes(body[p + 2:p + 4], "big")
            exts.append((t, body[p + 4:p + 4 + n]))
            p += 4 + n
        if p != end:
            raise TemplateError("extension overruns the hello")
    return {"record_version": rec[1:3], "version": version, "sid": sid, "ciphers": ciphers,
            "comp": comp, "exts": exts}


def sni_of(rec):
    for t, data in parse_hello(rec)["exts"]:
        if t == 0 and len(data) >= 5:
            return data[5:5 + int.from_bytes(data[3:5], "big")].decode("ascii", "replace")
    return None


def alpn_of(rec):
    for t, data in parse_hello(rec)["exts"]:
        if t == 16:
            out, p = [], 2
            while p < len(data):
                n = data[p]
                out.append(data[p + 1:p + 1 + n].decode("ascii", "replace"))
                p += 1 + n
            return out
    return []


def _randomize_key_shares(data, rng):
    """key_share (51) client list: keep each group and length, new key bytes.
    GREASE entries (one zero byte) stay as they are."""
    out = [data[:2]]
    p = 2
    while p + 4 <= len(data):
        n = int.from_bytes(data[p + 2:p + 4], "big")
        key = data[p + 4:p + 4 + n]
        if n > 1:
            key = rng.bytes(n)
        out.append(data[p:p + 4] + key)
        p += 4 + n
    out.append(data[p:])
    return b"".join(out)


def rewrite_hello(rec, sni, rng):
    """The ClientHello record `rec` with server_name `sni`, all lengths fixed, and a
    fresh random, session id and key shares. Returns (record, session_id)."""
    h = parse_hello(rec)
    name = sni.encode("ascii")
    sid = rng.bytes(len(h["sid"]))
    exts = []
    pad_index = None
    for t, data in h["exts"]:
        if t == 0:
            entry = b"\x00" + len(name).to_bytes(2, "big") + name
            data = len(entry).to_bytes(2, "big") + entry
        elif t == 51:
            data = _randomize_key_shares(data, rng)
        elif t == 21:
            pad_index = len(exts)
        exts.append((t, data))

    def body_of(ext_list):
        eb = b"".join(t.to_bytes(2, "big") + len(d).to_bytes(2, "big") + d for t, d in ext_list)
        return b"".join((h["version"], rng_random, len(sid).to_bytes(1, "big"), sid, h["ciphers"],
                         h["comp"], len(eb).to_bytes(2, "big"), eb))

    rng_random = rng.bytes(32)
    if pad_index is not None:
        # Clients pad so the hello lands on a fixed length (OpenSSL and BoringSSL: 512
        # bytes); keep the template's total length when the new name allows it.
        orig_len = int.from_bytes(rec[6:9], "big")
        exts[pad_index] = (21, b"")
        bare = len(body_of(exts))
        exts[pad_index] = (21, bytes(max(0, orig_len - bare)))
    body = body_of(exts)
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16" + h["record_version"] + len(hs).to_bytes(2, "big") + hs, sid


def rewrite_server_flight(records, sid, rng, cert_bytes=None):
    """The server's first flight with a fresh ServerHello random, the client's new
    session id echoed, and new ciphertext. With cert_bytes (TLS 1.3), the largest
    encrypted record, the one that carries the certificate chain, takes that size, so
    the flight is as long as the real host's."""
    out = []
    enc = [i for i, (t, r) in enumerate(records) if t == 23]
    biggest = max(enc, key=lambda i: len(records[i][1])) if enc else None
    for i, (t, r) in enumerate(records):
        if t == 22 and len(r) > 44 and r[5] == 2 and r[11:43] != HRR_RANDOM:
            old_sid_len = r[43]
            if old_sid_len == len(sid):
                r = r[:11] + rng.bytes(32) + r[43:44] + sid + r[44 + old_sid_len:]
            else:
                r = r[:11] + rng.bytes(32) + r[43:]
        elif t == 23:
            n = len(r) - 5
            if i == biggest and cert_bytes:
                n = max(n, min(cert_bytes, 16384 + 256))
            r = r[:3] + n.to_bytes(2, "big") + rng.bytes(n)
        out.append(r)
    return b"".join(out)


def _server_is_tls13(sh):
    """True if the ServerHello record selects TLS 1.3 (supported_versions = 0x0304)."""
    try:
        p = 9 + 2 + 32
        p += 1 + sh[p]
        p += 3
        elen = int.from_bytes(sh[p:p + 2], "big")
        p += 2
        end = p + elen
        while p + 4 <= end:
            t = int.from_bytes(sh[p:p + 2], "big")
            n = int.from_bytes(sh[p + 2:p + 4], "big")
            if t == 43 and sh[p + 4:p + 6] == b"\x03\x04":
                return True
            p += 4 + n
    except IndexError:
        pass
    return False


def load_client(client, path):
    """All usable connection templates of one client capture."""
    out = []
    for cport, dirs in _streams(path):
        crec, srec = _records(dirs[0]), _records(dirs[1])
        if not crec or not srec:
            continue
        try:
            hello = crec[0][2]
            parse_hello(hello)
        except TemplateError:
            continue
        if srec[0][1] != 22 or len(srec[0][2]) < 6 or srec[0][2][5] != 2:
            continue
        tls13 = _server_is_tls13(srec[0][2])
        # The client's second flight: its ChangeCipherSpec and the record after it
        # (TLS 1.3: Finished; TLS 1.2: ClientKeyExchange comes first and is kept too).
        fin, i = [], 1
        while i < len(crec):
            fin.append(crec[i][2])
            if crec[i][1] == 20 and i + 1 < len(crec):
                fin.append(crec[i + 1][2])
                i += 2
                break
            if tls13 and crec[i][1] == 23:  # TLS 1.3 without a compatibility CCS
                i += 1
                break
            i += 1
        if not fin:
            continue
        t_fin = crec[i - 1][0]
        t_next_client = crec[i][0] if i < len(crec) else float("inf")
        flight = [(t, r) for (ts, t, r) in srec if ts < t_fin]
        post = [len(r) - 5 for (ts, t, r) in srec if t_fin <= ts <= t_next_client and t == 23][:4]
        if not flight:
            continue
        tp = Template()
        tp.client = client
        tp.index = len(out)
        tp.cport = cport
        tp.path = path
        tp.hello = hello
        tp.server_flight = flight
        tp.client_fin = b"".join(fin)
        tp.server_post = post
        tp.alpn = alpn_of(hello)
        tp.tls13 = tls13
        tp.sni = sni_of(hello)
        out.append(tp)
    return out


def load_templates(clients_dir, names):
    """{client name: [Template, ...]} for every name with a capture in clients_dir."""
    out = {}
    for name in names:
        path = os.path.join(clients_dir, name + ".pcap")
        if not os.path.exists(path):
            continue
        tps = load_client(name, path)
        if tps:
            out[name] = tps
    return out
