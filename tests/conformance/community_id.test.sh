#!/usr/bin/env bash
# Community ID against the spec's own baseline (../shared/peer/community-id:
# corelight/community-id-spec's pcaps and baseline_deflt.json /
# baseline_seed1.json), for seed 0 and seed 1.
#
# The sensor writes flow events for TLS and QUIC flows only, and the
# baseline's TCP/UDP captures hold HTTP, SMTP and DNS, which it follows
# nowhere. So the test reads each TCP/UDP flow of tcp.pcap, udp.pcap and
# ipv6.pcap (its 5-tuple, as the first packet has it) and replays that exact
# 5-tuple carrying what the sensor does follow: a TCP handshake and a TLS
# ClientHello, or a QUIC-Initial-shaped datagram. A TCP flow is replayed
# twice, opened from each end (the SYN names the client), since the baseline
# lists each 5-tuple both ways round; a UDP flow once, as the capture has it:
# the sensor takes the side on a service port (53) as the server whichever
# end sends first, so the other way round is the same flow. Every flow event's community_id (its src/dest as
# written) must equal the baseline's for that oriented 5-tuple and seed, and
# every oriented 5-tuple must be seen, so the test cannot pass on no events.
# sctp.pcap (SCTP) and the ICMP captures have no flow the sensor tracks.
#
# Env (set by ctest): DS_BIN, DS_PEER_DIR. Exit 77 (skipped) without peer data.
set -u

peer=${DS_PEER_DIR:-}
cid=${peer:+$peer/community-id}
if [ -z "$peer" ] || [ ! -f "$cid/baseline/baseline_deflt.json" ]; then
    echo "skipped: community-id peer data not found (DS_PEER_DIR=${peer:-unset})"
    exit 77
fi
if [ -z "${DS_BIN:-}" ] || [ ! -x "$DS_BIN" ]; then
    echo "DS_BIN (${DS_BIN:-unset}) is not an executable distill-sensor" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$cid" "$DS_BIN" "$work" <<'PY'
import ipaddress
import json
import os
import struct
import subprocess
import sys

cid_dir, ds_bin, work = sys.argv[1], sys.argv[2], sys.argv[3]
PCAPS = ["tcp.pcap", "udp.pcap", "ipv6.pcap"]
SEEDS = {0: "baseline_deflt.json", 1: "baseline_seed1.json"}


def read_pcap(path):
    """The Ethernet frames of a classic pcap file."""
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic == 0xA1B2C3D4 else ">"
    linktype = struct.unpack(end + "I", data[20:24])[0]
    assert linktype == 1, f"{path}: linktype {linktype}, not Ethernet"
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def five_tuple(frame):
    """(proto, saddr, daddr, sport, dport) of a TCP/UDP frame, or None."""
    etype = struct.unpack("!H", frame[12:14])[0]
    ip = frame[14:]
    if etype == 0x0800:
        ihl = (ip[0] & 15) * 4
        proto, src, dst, l4 = ip[9], ip[12:16], ip[16:20], ip[ihl:]
    elif etype == 0x86DD:
        proto, src, dst, l4 = ip[6], ip[8:24], ip[24:40], ip[40:]
    else:
        return None
    if proto not in (6, 17):
        return None
    sport, dport = struct.unpack("!HH", l4[:4])
    return (proto, str(ipaddress.ip_address(src)), str(ipaddress.ip_address(dst)), sport, dport)


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(proto, src, dst, l4_head, payload):
    """An Ethernet frame: IPv4 or IPv6, the L4 header (checksum filled in)."""
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    l4 = l4_head + payload
    if s.version == 4:
        pseudo = s.packed + d.packed + struct.pack("!BBH", 0, proto, len(l4))
    else:
        pseudo = s.packed + d.packed + struct.pack("!IxxxB", len(l4), proto)
    at = 16 if proto == 6 else 6
    c = checksum(pseudo + l4)
    l4 = l4[:at] + struct.pack("!H", c) + l4[at + 2:]
    if s.version == 4:
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0,
                        s.packed, d.packed)
        h = h[:10] + struct.pack("!H", checksum(h)) + h[12:]
        eth = 0x0800
    else:
        h = struct.pack("!IHBB16s16s", 6 << 28, len(l4), proto, 64, s.packed, d.packed)
        eth = 0x86DD
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + struct.pack("!H", eth) + h + l4


def tcp(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0), payload


def client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    alpn = b"\x02h2"
    alpn_ext = struct.pack("!HHH", 16, len(alpn) + 2, len(alpn)) + alpn
    exts = sni_ext + alpn_ext
    ciphers = struct.pack("!HHH", 0x1301, 0xC02F, 0x009C)
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + struct.pack("!H", len(ciphers)) +
            ciphers + b"\x01\x00" + struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def quic_initial():
    """A QUIC v1 long header (Initial) padded to 1200 bytes, as a client's is."""
    head = b"\xc3" + struct.pack("!I", 1) + b"\x08" + bytes(8) + b"\x00" + b"\x00"
    return head + b"\x44\xa0" + bytes(1200 - len(head) - 2)


def flow_frames(t):
    """The frames of one flow opened by t's source towards its destination."""
    proto, src, dst, sp, dp = t
    if proto == 17:
        return [frame(17, src, dst, struct.pack("!HHHH", sp, dp, 1208, 0), quic_initial())]
    hello = client_hello("community-id.example")
    steps = [
        (src, dst, sp, dp, 1000, 0, 0x02, b""),
        (dst, src, dp, sp, 5000, 1001, 0x12, b""),
        (src, dst, sp, dp, 1001, 5001, 0x10, b""),
        (src, dst, sp, dp, 1001, 5001, 0x18, hello),
        (dst, src, dp, sp, 5001, 1001 + len(hello), 0x10, b""),
    ]
    out = []
    for a, b, x, y, seq, ack, fl, pl in steps:
        head, pl = tcp(x, y, seq, ack, fl, pl)
        out.append(frame(6, a, b, head, pl))
    return out


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000, i * 1000, len(fr), len(fr)))
            f.write(fr)


# The baseline pcaps' TCP/UDP flows, as their first packets have them.
flows = []
for name in PCAPS:
    for fr in read_pcap(os.path.join(cid_dir, "pcaps", name)):
        t = five_tuple(fr)
        if t is None:
            continue
        rev = (t[0], t[2], t[1], t[4], t[3])
        if t not in flows and rev not in flows:
            flows.append(t)
if not flows:
    sys.exit("no TCP/UDP flow in the baseline pcaps")

failures = 0
checked = 0
for seed, base in SEEDS.items():
    want = {}
    for r in json.load(open(os.path.join(cid_dir, "baseline", base))):
        want[(r["proto"], r["saddr"], r["daddr"], r["sport"], r["dport"])] = r["communityid"]
    for t in flows:
        ways = (t, (t[0], t[2], t[1], t[4], t[3])) if t[0] == 6 else (t,)
        for oriented in ways:
            if oriented not in want:
                print(f"seed {seed}: {oriented} is not in {base}")
                failures += 1
                continue
            pcap = os.path.join(work, "flow.pcap")
            write_pcap(pcap, flow_frames(oriented))
            out = subprocess.run([ds_bin, "-r", pcap, "--all-tls", "--community-id-seed",
                                  str(seed), "-o", "-"], capture_output=True, text=True)
            if out.returncode != 0:
                print(f"seed {seed}: {oriented}: exit {out.returncode}: {out.stderr.strip()}")
                failures += 1
                continue
            events = [json.loads(l) for l in out.stdout.splitlines()]
            seen = [e for e in events if e["event_type"] == "flow"]
            if len(seen) != 1:
                print(f"seed {seed}: {oriented}: {len(seen)} flow events, not 1")
                failures += 1
                continue
            e = seen[0]
            got_t = ({"TCP": 6, "UDP": 17}[e["proto"]], e["src_ip"], e["dest_ip"],
                     e["src_port"], e["dest_port"])
            if got_t != oriented:
                print(f"seed {seed}: {oriented}: the flow event says {got_t}")
                failures += 1
                continue
            checked += 1
            ok = e.get("community_id") == want[oriented]
            print(f"{'ok  ' if ok else 'FAIL'} seed {seed} {oriented}: "
                  f"{e.get('community_id')} (baseline {want[oriented]})")
            failures += not ok

print(f"community_id: {checked} flow events checked against the baseline, {failures} failing")
sys.exit(1 if failures or checked == 0 else 0)
PY
