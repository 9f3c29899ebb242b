#!/usr/bin/env bash
# Conformance against nDPI's own published results: for every TLS and QUIC
# capture in nDPI's test suite (peer/nDPI/tests/cfgs/default), runs
# `distill-sensor -r PCAP --all-tls -o -` and compares, flow by flow (matched
# on the unordered 4-tuple and the L4 protocol), the SNI, the client's ALPN
# list and the JA3 client hash with the .out file's [Hostname/SNI: ...],
# [(Advertised) ALPNs: ...] and [JA3C: ...].
#
# The .out files come from nDPI dev (2024-10); we run nDPI 4.2 (for TCP's
# JA3) and our own ClientHello parser (for TLS SNI and ALPN, and QUIC's SNI,
# ALPN and JA3: with it, the JA3 of QUIC draft 34, v2, a hello after 0-RTT,
# over two DCIDs or out of order, which nDPI 4.2 misses, equals the .out's).
# Every known difference is listed in ALLOW below with its reason; any other difference
# fails, and so does an ALLOW entry that no longer differs (so the list stays
# true). A summary table (matched/total per field) is printed either way.
set -euo pipefail

if [[ -z "${DS_BIN:-}" || ! -x "${DS_BIN}" ]]; then
    echo "SKIP: distill-sensor binary not found (DS_BIN='${DS_BIN:-}')"
    exit 77
fi
peer=${DS_PEER_DIR:-$(dirname "$0")/../../../shared/peer}
suite="$peer/nDPI/tests/cfgs/default"
if [[ ! -d "$suite/pcap" || ! -d "$suite/result" ]]; then
    echo "SKIP: nDPI peer test data not found under $suite"
    exit 77
fi
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }

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

# (pcap, field, flow) -> why. field is sni / alpn / ja3; flow is the .out
# flow's "proto a:port b:port" key as printed in failure messages, or "*" for
# every flow of that pcap with that field.
GQUIC_OLD = ("Google QUIC before Q046 has no IETF long header (a public-header flags byte "
             "instead), so the sensor does not take the flow for QUIC (sensor.c "
             "quic_first_packet) and nDPI never sees it; ndpiReader 4.2 reads its "
             "plaintext CHLO. Obsolete since 2019.")
ALLOW = {
    ("quic.pcap", "sni", "*"): GQUIC_OLD,
    ("youtube_quic.pcap", "sni", "*"): GQUIC_OLD,
    ("quic_q39.pcap", "sni", "*"): GQUIC_OLD,
    ("quic_q43.pcap", "sni", "*"): GQUIC_OLD,
}

LINE = re.compile(r"^\s+\d+\s+(TCP|UDP) (\S+) (?:<->|->) (\S+) \[proto: [0-9.]+/([^\]]+)\]")


def endpoint(s):
    """'1.2.3.4:443' or '[::1]:443' -> (normalised ip, port)."""
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
    """TLS/QUIC flows of one .out file: [(key, {field: value})]."""
    flows = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = LINE.match(line)
            if not m:
                continue
            names = m.group(4).split(".")
            if "TLS" not in names and "QUIC" not in names:
                continue
            key = flow_key(m.group(1), endpoint(m.group(2)), endpoint(m.group(3)))
            want = {}
            s = re.search(r"\[Hostname/SNI: ([^\]]*)\]", line)
            if s:
                want["sni"] = s.group(1)
            s = re.search(r"\[\(Advertised\) ALPNs: ([^\]]*)\]", line)
            if s:
                want["alpn"] = s.group(1).split(";")
            s = re.search(r"\[JA3C: ([0-9a-f]{32})\]", line)
            if s:
                want["ja3"] = s.group(1)
            flows.append((key, want))
    return flows


def our_flows(pcap):
    """Flow events of the sensor for one capture: {key: [values, ...]}."""
    r = subprocess.run([ds_bin, "-r", pcap, "--all-tls", "-o", "-"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    if r.returncode != 0:
        print("%s: distill-sensor exited %d: %s" % (os.path.basename(pcap), r.returncode,
                                                   r.stderr.decode(errors="replace").strip()))
    got = {}
    for raw in r.stdout.decode(errors="replace").splitlines():
        ev = json.loads(raw)
        if ev.get("event_type") != "flow":
            continue
        proto = ev.get("proto", "")
        key = flow_key(proto, (str(ipaddress.ip_address(ev["src_ip"])), ev["src_port"]),
                       (str(ipaddress.ip_address(ev["dest_ip"])), ev["dest_port"]))
        hs = ev.get("tls") or ev.get("quic") or {}
        ai = ev.get("ai") or {}
        alpn = hs.get("client_alpns", ai.get("client_alpns"))
        got.setdefault(key, []).append({
            "sni": hs.get("sni"),
            "alpn": alpn,
            "ja3": (hs.get("ja3") or {}).get("hash"),
        })
    return got, r.returncode


FIELDS = ("sni", "alpn", "ja3")
rows = []
totals = {f: [0, 0, 0] for f in FIELDS}  # matched, total, allowed
failures = []
used_allow = set()
allow_hits = {}  # ALLOW key -> differences it excused

for name in sorted(os.listdir(pcap_dir)):
    out = os.path.join(res_dir, name + ".out")
    if not os.path.exists(out):
        continue
    want_flows = [(k, w) for k, w in out_flows(out) if w]
    if not want_flows:
        continue
    got, rc = our_flows(os.path.join(pcap_dir, name))
    if rc != 0:
        failures.append("%s: distill-sensor exit status %d" % (name, rc))
    row = {f: [0, 0, 0] for f in FIELDS}
    for key, want in want_flows:
        evs = got.get(key, [])
        for field, value in want.items():
            row[field][1] += 1
            ok = any(e[field] == value for e in evs)
            akey = (name, field, key_str(key))
            if akey not in ALLOW:
                akey = (name, field, "*")
            why = ALLOW.get(akey)
            if why:
                used_allow.add(akey)
            if ok:
                row[field][0] += 1
            elif why:
                row[field][2] += 1
                allow_hits[akey] = allow_hits.get(akey, 0) + 1
            else:
                have = [e[field] for e in evs] if evs else "no flow event"
                failures.append("%s %s %s: nDPI says %r, we say %s" %
                                (name, field, key_str(key), value, have))
    for f in FIELDS:
        for i in range(3):
            totals[f][i] += row[f][i]
    rows.append((name, row))

for k in sorted(set(ALLOW) - used_allow):
    failures.append("ALLOW entry for %s %s %s matches no flow of the .out files" % k)
for k in sorted(used_allow):
    if not allow_hits.get(k):
        failures.append("ALLOW entry for %s %s %s: no difference left, drop the entry" % k)

w = max(len(n) for n, _ in rows) if rows else 10
print("%-*s  %-12s %-12s %-12s" % (w, "capture", "SNI", "ALPN", "JA3C"))
def cell(c):
    s = "%d/%d" % (c[0], c[1]) if c[1] else "-"
    return s + ("+%da" % c[2] if c[2] else "")
for name, row in rows:
    print("%-*s  %-12s %-12s %-12s" % (w, name, cell(row["sni"]), cell(row["alpn"]), cell(row["ja3"])))
print("%-*s  %-12s %-12s %-12s" % (w, "TOTAL", cell(totals["sni"]), cell(totals["alpn"]),
                                  cell(totals["ja3"])))
print("(matched/total; +Na = N differences on the allow-list)")
by_reason = {}
for k in sorted(allow_hits):
    by_reason.setdefault(ALLOW[k], []).append("%s %s%s (%d)" % (
        k[0], k[1], "" if k[2] == "*" else " " + k[2], allow_hits[k]))
if by_reason:
    print("allowed differences, by reason:")
    for why, where in by_reason.items():
        print("  - " + why)
        for w_ in where:
            print("      " + w_)

if failures:
    print("\nFAIL: %d unexpected difference(s):" % len(failures))
    for f in failures:
        print("  " + f)
    sys.exit(1)
print("OK")
PY
