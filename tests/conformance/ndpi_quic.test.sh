#!/usr/bin/env bash
# SNI and ALPN of every QUIC capture in nDPI's test suite
# (peer/nDPI/tests/cfgs/default: the pcaps whose .out has a QUIC flow), from
# `distill-sensor -r PCAP --all-tls -o -` (quic.sni, ai.client_alpns), in two
# parts:
#   A. where nDPI 4.2 (the version we link) reads the hello as the .out file
#      does: each QUIC flow of the .out with a hello (an SNI or an ALPN list)
#      against its [Hostname/SNI: ...] and [(Advertised) ALPNs: ...]; a field
#      the .out leaves out must be absent in our event too.
#   B. where nDPI 4.2 does not (NDPI42_WRONG below, each with what ndpiReader
#      4.2 gets), or where the .out names no hello: against tshark 4.0, which
#      decrypts client Initials itself (tls.handshake.extensions_server_name,
#      tls.handshake.extensions_alpn_str of each ClientHello in a QUIC
#      packet), and against the .out (nDPI dev, 2024-10) where it has a hello.
# Flows are matched on the unordered 4-tuple. Known differences are in KNOWN
# with the reason; any other difference fails, and so does a KNOWN entry that
# no longer differs. ndpi_tls.test.sh holds the same captures' JA3 to the .out.
#   C. JA3 of every QUIC flow tshark reads a hello of, in every capture of A
#      and B: our quic.ja3 (tls-ja3.c over the hello quic-initial.c
#      reassembles) against tshark's tls.handshake.ja3 of the flow's first
#      ClientHello; and JA3S of every flow tshark reads a ServerHello of in
#      a server Initial: our quic.ja3s against tls.handshake.ja3s. The .out
#      files print neither for QUIC flows.
#
# Env (set by ctest): DS_BIN, DS_PEER_DIR. Exit 77 (skipped) without the peer
# data or tshark.
set -euo pipefail

if [[ -z "${DS_BIN:-}" || ! -x "${DS_BIN}" ]]; then
    echo "DS_BIN (${DS_BIN:-unset}) is not an executable distill-sensor" >&2
    exit 1
fi
peer=${DS_PEER_DIR:-}
suite="$peer/nDPI/tests/cfgs/default"
if [[ -z "$peer" || ! -d "$suite/pcap" || ! -d "$suite/result" ]]; then
    echo "skipped: nDPI peer test data not found (DS_PEER_DIR=${peer:-unset})"
    exit 77
fi
command -v tshark >/dev/null || { echo "skipped: tshark not installed (tools/setup.sh installs it)"; exit 77; }

exec python3 - "$DS_BIN" "$suite" <<'PY'
import ipaddress
import json
import os
import re
import subprocess
import sys

ds_bin, suite = sys.argv[1], sys.argv[2]
pcap_dir = os.path.join(suite, "pcap")
res_dir = os.path.join(suite, "result")

# Captures where nDPI 4.2 misses the hello the .out reports (checked with
# `ndpiReader -q -v 2 -i PCAP` of libndpi-bin 4.2 against the .out).
NDPI42_WRONG = {
    "quic-34.pcap": "draft-34: nDPI 4.2 derives the Initial keys of drafts above 33 with the v2 "
                    "draft salt and decrypts nothing (ndpiReader 4.2: no ALPN)",
    "quic-v2.pcapng": "QUIC v2 (RFC 9369): nDPI 4.2 knows only the v2 drafts (ndpiReader 4.2: "
                      "no SNI, no ALPN)",
    "quic-forcing-vn-with-data.pcapng": "a version negotiation (0xbabababa first) and a Retry "
                                        "before the hello: ndpiReader 4.2 finds no ALPN",
    "quic_frags_different_dcid.pcapng": "the hello spans two Initials with different DCIDs: "
                                        "nDPI 4.2 decrypts with the first only (no SNI, no ALPN)",
    "quic_frags_ch_out_of_order_same_packet_craziness.pcapng":
        "CRYPTO frames out of order inside one Initial: nDPI 4.2 reassembles in-order data "
        "only (ndpiReader 4.2 reads 5 of the 113 hellos)",
    "quic_0RTT.pcap": "the Google flow's 0-RTT packets come before its Initial: ndpiReader 4.2 "
                      "finds no SNI or ALPN there",
    "quic_interop_V.pcapng": "the .out names no hello on any of its flows (Initials that ask "
                             "for version negotiation, retransmitted); ndpiReader 4.2 reads 63 "
                             "ALPN lists: the .out is no reference here, tshark is",
}

GQUIC_OLD = ("Google QUIC before Q046 has no IETF long header (a public-header flags byte "
             "instead), so the sensor does not take the flow for QUIC (sensor.c "
             "quic_first_packet); its CHLO is not TLS either. Obsolete since 2019")
NO_TSHARK = ("tshark 4.0 keeps the keys it derived for the first Initial (version 0xbabababa, "
             "which it cannot decrypt) and fails all three Initials ('Decryption (checktag) "
             "failed'), so it reads no hello; ours (a v1 Initial after the version negotiation, "
             "then the one after the Retry, with the new DCID's keys) equals nDPI dev's .out: "
             "the ALPN list and no SNI")

# (pcap, "A" or "B", field, flow key string or "*") -> why.
KNOWN = {
    ("quic.pcap", "A", "sni", "*"): GQUIC_OLD,
    ("youtube_quic.pcap", "A", "sni", "*"): GQUIC_OLD,
    ("quic_q39.pcap", "A", "sni", "*"): GQUIC_OLD,
    ("quic_q43.pcap", "A", "sni", "*"): GQUIC_OLD,
}
OLD_VERSION = ("a version our parser does not open (quic-initial.c: v1, v2 and drafts 27 to 34; "
               "this is %s): it reads neither hello of the flow, so the JA3 is nDPI 4.2's "
               "(equal to tshark's) and there is no JA3S (nDPI 4.2 gives JA3S for TCP only)")
KNOWN.update({
    ("quic-23.pcap", "C", "ja3s", "*"): OLD_VERSION % "draft 23",
    ("quic-24.pcap", "C", "ja3s", "*"): OLD_VERSION % "draft 24",
    ("quic-mvfst-22.pcap", "C", "ja3s", "*"): OLD_VERSION % "mvfst's 0xfaceb001",
    ("quic-mvfst-27.pcapng", "C", "ja3s", "*"): OLD_VERSION % "mvfst's 0xfaceb002",
    ("quic-mvfst-exp.pcap", "C", "ja3s", "*"): OLD_VERSION % "mvfst's 0xfaceb00e",
    ("quic_t50.pcap", "C", "ja3s", "*"): OLD_VERSION % "Google's T050",
    ("quic_t51.pcap", "C", "ja3s", "*"): OLD_VERSION % "Google's T051",
})
# Captures of part B where tshark reads no hello: compared with the .out alone.
TSHARK_BLIND = {"quic-forcing-vn-with-data.pcapng": NO_TSHARK}

LINE = re.compile(r"^\s+\d+\s+(TCP|UDP) (\S+) (?:<->|->) (\S+) \[proto: [0-9.]+/([^\]]+)\]")


def endpoint(s):
    if s.startswith("["):
        ip, _, port = s[1:].partition("]:")
    else:
        ip, _, port = s.rpartition(":")
    return (str(ipaddress.ip_address(ip)), int(port))


def flow_key(proto, a, b):
    return (proto,) + tuple(sorted([a, b]))


def key_str(k):
    return "%s %s:%d %s:%d" % (k[0], k[1][0], k[1][1], k[2][0], k[2][1])


def out_flows(path):
    """QUIC flows of a .out: {key: {"sni": ..., "alpn": [...] or None, "hello": bool}}."""
    flows = {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = LINE.match(line)
            if not m or "QUIC" not in m.group(4).split("."):
                continue
            s = re.search(r"\[Hostname/SNI: ([^\]]*)\]", line)
            a = re.search(r"\[\(Advertised\) ALPNs: ([^\]]*)\]", line)
            flows[flow_key(m.group(1), endpoint(m.group(2)), endpoint(m.group(3)))] = {
                "sni": s.group(1) if s else None,
                "alpn": a.group(1).split(";") if a else None,
                "hello": bool(s or a),
            }
    return flows


def our_flows(pcap):
    r = subprocess.run([ds_bin, "-q", "-r", pcap, "--all-tls", "-o", "-"],
                       capture_output=True, text=True, timeout=300)
    got = {}
    for raw in r.stdout.splitlines():
        ev = json.loads(raw)
        if ev.get("event_type") != "flow" or ev.get("proto") != "UDP":
            continue
        key = flow_key("UDP", (str(ipaddress.ip_address(ev["src_ip"])), ev["src_port"]),
                       (str(ipaddress.ip_address(ev["dest_ip"])), ev["dest_port"]))
        q = ev.get("quic") or {}
        got[key] = {"sni": q.get("sni"), "alpn": (ev.get("ai") or {}).get("client_alpns"),
                    "ja3": (q.get("ja3") or {}).get("hash"),
                    "ja3s": (q.get("ja3s") or {}).get("hash")}
    return got, r.returncode, r.stderr.strip()


def tshark_hellos(pcap):
    """Client hellos tshark decrypts from QUIC Initials: {key: {"sni", "alpn", "ja3"}}, the first a flow."""
    r = subprocess.run(["tshark", "-r", pcap, "-Y", "quic && tls.handshake.type == 1",
                        "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
                        "-E", "aggregator=;",
                        "-e", "ip.src", "-e", "ipv6.src", "-e", "udp.srcport",
                        "-e", "ip.dst", "-e", "ipv6.dst", "-e", "udp.dstport",
                        "-e", "tls.handshake.extensions_server_name",
                        "-e", "tls.handshake.extensions_alpn_str",
                        "-e", "tls.handshake.ja3"],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        sys.exit("tshark failed on %s: %s" % (pcap, r.stderr.strip()))
    got = {}
    for line in r.stdout.splitlines():
        f = line.split("\t")
        if len(f) != 9:
            continue
        # A packet with coalesced Initials repeats the addresses: take the first.
        src = (f[0] or f[1]).split(";")[0]
        dst = (f[3] or f[4]).split(";")[0]
        key = flow_key("UDP", endpoint_of(src, f[2]), endpoint_of(dst, f[5]))
        got.setdefault(key, {"sni": f[6].split(";")[0] or None,
                             "alpn": f[7].split(";") if f[7] else None,
                             "ja3": f[8].split(";")[0] or None})
    return got


def tshark_ja3s(pcap):
    """JA3S of the first ServerHello tshark decrypts from a flow's server Initials."""
    r = subprocess.run(["tshark", "-r", pcap, "-Y", "quic && tls.handshake.type == 2",
                        "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f",
                        "-e", "ip.src", "-e", "ipv6.src", "-e", "udp.srcport",
                        "-e", "ip.dst", "-e", "ipv6.dst", "-e", "udp.dstport",
                        "-e", "tls.handshake.ja3s"],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        sys.exit("tshark failed on %s: %s" % (pcap, r.stderr.strip()))
    got = {}
    for line in r.stdout.splitlines():
        f = line.split("\t")
        if len(f) != 7 or not f[6]:
            continue
        key = flow_key("UDP", endpoint_of(f[0] or f[1], f[2]), endpoint_of(f[3] or f[4], f[5]))
        got.setdefault(key, f[6])
    return got


def endpoint_of(ip, port):
    return (str(ipaddress.ip_address(ip)), int(port.split(";")[0]))


failures, rows, known_hits = [], [], {}
tot = {"A": [0, 0], "B": [0, 0], "Bt": [0, 0], "Bo": [0, 0], "C": [0, 0], "Cs": [0, 0]}


def check_ja3(name, got, ts, tss):
    """Part C: our JA3 of each flow tshark reads a hello of, and our JA3S of
    each flow it reads a ServerHello of, against tshark's."""
    n = ok = ns = oks = 0
    for key, t in sorted(ts.items()):
        if t["ja3"] is None:
            continue
        n += 1
        r = check(name, "C", "ja3", key, t["ja3"], got.get(key, {}).get("ja3"), "tshark")
        ok += r is True
    for key, ja3s in sorted(tss.items()):
        ns += 1
        r = check(name, "C", "ja3s", key, ja3s, got.get(key, {}).get("ja3s"), "tshark")
        oks += r is True
    tot["C"][0] += ok
    tot["C"][1] += n
    tot["Cs"][0] += oks
    tot["Cs"][1] += ns
    return ("%d/%d" % (ok, n) if n else "-") + (" JA3S %d/%d" % (oks, ns) if ns else "")



def check(name, part, field, key, want, have, ref):
    """One field of one flow: True if equal or known."""
    if want == have:
        return True
    kk = (name, part, field, key_str(key))
    if kk not in KNOWN:
        kk = (name, part, field, "*")
    if kk in KNOWN:
        known_hits[kk] = known_hits.get(kk, 0) + 1
        return None
    failures.append("%s %s %s: %s says %r, we say %r" % (name, field, key_str(key), ref, want, have))
    return False


for name in sorted(os.listdir(pcap_dir)):
    out = os.path.join(res_dir, name + ".out")
    if not os.path.exists(out):
        continue
    want = out_flows(out)
    if not want:
        continue
    got, rc, err = our_flows(os.path.join(pcap_dir, name))
    if rc != 0:
        failures.append("%s: distill-sensor exited %d: %s" % (name, rc, err))
        continue
    none = {"sni": None, "alpn": None}
    ts = {} if name in TSHARK_BLIND else tshark_hellos(os.path.join(pcap_dir, name))
    tss = {} if name in TSHARK_BLIND else tshark_ja3s(os.path.join(pcap_dir, name))
    ja3 = check_ja3(name, got, ts, tss)
    if name not in NDPI42_WRONG:
        n = ok = known = 0
        for key, w in sorted(want.items()):
            if not w["hello"]:
                continue
            h = got.get(key, none)
            for field in ("sni", "alpn"):
                n += 1
                r = check(name, "A", field, key, w[field], h[field], "nDPI")
                ok += r is True
                known += r is None
        if n:
            rows.append((name, "A: nDPI .out", "%d/%d" % (ok, n) + ("+%dk" % known if known else ""), "-", ja3))
        tot["A"][0] += ok
        tot["A"][1] += n
        continue
    if name not in TSHARK_BLIND and not ts:
        failures.append("%s: tshark reads no hello here: say why in TSHARK_BLIND" % name)
    if name in TSHARK_BLIND and tshark_hellos(os.path.join(pcap_dir, name)):
        failures.append("%s: tshark reads a hello now: drop it from TSHARK_BLIND" % name)
    nt = okt = no = oko = known = 0
    for key, t in sorted(ts.items()):
        h = got.get(key, none)
        for field in ("sni", "alpn"):
            nt += 1
            r = check(name, "B", field, key, t[field], h[field], "tshark")
            okt += r is True
            known += r is None
    for key, w in sorted(want.items()):
        if not w["hello"]:
            continue
        h = got.get(key, none)
        for field in ("sni", "alpn"):
            no += 1
            r = check(name, "B", field, key, w[field], h[field], "nDPI dev")
            oko += r is True
            known += r is None
    rows.append((name, "B: tshark", ("%d/%d" % (okt, nt)) if nt else "none read",
                 ("%d/%d" % (oko, no) if no else "-") + ("  (+%d known)" % known if known else ""),
                 ja3))
    tot["Bt"][0] += okt
    tot["Bt"][1] += nt
    tot["Bo"][0] += oko
    tot["Bo"][1] += no

for k in sorted(set(KNOWN) - set(known_hits)):
    failures.append("KNOWN entry %s matches no difference: drop it" % (k,))

w = max(len(r[0]) for r in rows)
print("%-*s  %-13s %-16s %-22s %s" % (w, "capture", "reference", "SNI+ALPN ours=ref",
                                     "vs nDPI dev .out", "JA3 ours=tshark"))
for r in rows:
    print("%-*s  %-13s %-16s %-22s %s" % (w, r[0], r[1], r[2], r[3], r[4]))
print("A (nDPI 4.2 right): %d/%d SNI and ALPN fields equal to the .out" % tuple(tot["A"]))
print("B (nDPI 4.2 wrong or silent): %d/%d equal to tshark 4.0, %d/%d equal to nDPI dev's .out"
      % (tot["Bt"][0], tot["Bt"][1], tot["Bo"][0], tot["Bo"][1]))
print("C (JA3): %d/%d QUIC flows' JA3 equal to tshark 4.0's, JA3S %d/%d"
      % tuple(tot["C"] + tot["Cs"]))
if known_hits:
    print("known differences:")
    for k, n in sorted(known_hits.items()):
        print("  %s %s %s %s (%d): %s" % (k[0], k[1], k[2], k[3], n, KNOWN[k]))
for name, why in sorted(TSHARK_BLIND.items()):
    print("  %s: tshark reads no hello: %s" % (name, why))
if tot["A"][1] == 0 or tot["Bt"][1] == 0 or tot["C"][1] == 0:
    failures.append("nothing compared in part A, B or C")
if failures:
    print("\nFAIL: %d difference(s):" % len(failures))
    for f in failures:
        print("  " + f)
    sys.exit(1)
print("OK")
PY
