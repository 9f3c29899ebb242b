#!/usr/bin/env bash
# SNI and JA4 of every QUIC stream in FoxIO's reference captures
# (peer/ja4/pcap) from our own Initial parser (sensor/quic-initial.c, run by
# `test_quic_initial --hellos`, one line per client hello found) against
# FoxIO's outputs for them (the Rust tool's insta snapshots,
# peer/ja4/rust/ja4/src/snapshots/ja4__insta@<pcap>.snap, items with
# `transport: quic`). Streams are matched on the 4-tuple, client first.
# The same again for the sensor's own flow events (--all-tls: quic.sni and
# quic.ja4 of each UDP flow), so the pipeline is held to it too.
# Prints a table per capture and the total, and fails on any difference: a
# stream FoxIO fingerprints that we do not, one we fingerprint that FoxIO
# does not, or a different SNI or JA4.
#
# Env (set by ctest): DS_BIN, DS_BUILD_DIR, DS_PEER_DIR. Exit 77 (skipped) without
# peer data.
set -u

peer=${DS_PEER_DIR:-}
if [ -z "$peer" ] || [ ! -d "$peer/ja4/pcap" ] || [ ! -d "$peer/ja4/rust/ja4/src/snapshots" ]; then
    echo "skipped: FoxIO peer data not found (DS_PEER_DIR=${peer:-unset}; need ja4/pcap and ja4/rust/ja4/src/snapshots)"
    exit 77
fi
dump=${DS_BUILD_DIR:-}/tests/test_quic_initial
if [ ! -x "$dump" ]; then
    echo "$dump is not built (cmocka missing?)" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for pcap in "$peer"/ja4/pcap/*; do
    name=$(basename "$pcap")
    if ! "$dump" --hellos "$pcap" >"$tmp/$name.hellos" 2>"$tmp/$name.err"; then
        echo "$name: test_quic_initial --hellos failed:" >&2
        cat "$tmp/$name.err" >&2
        exit 1
    fi
    if ! "${DS_BIN:?}" -q -r "$pcap" --all-tls -o - >"$tmp/$name.ndjson" 2>"$tmp/$name.serr"; then
        echo "$name: distill-sensor failed:" >&2
        cat "$tmp/$name.serr" >&2
        exit 1
    fi
done

DS_CONFORMANCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) \
    python3 - "$peer/ja4" "$tmp" <<'PY'
import json
import os
import sys

sys.path.insert(0, os.environ["DS_CONFORMANCE_DIR"])
from foxio_snap import snapshot  # noqa: E402

ja4dir, outdir = sys.argv[1], sys.argv[2]


def ours(path):
    """Hellos by 4-tuple: (ja4, sni); the first one a flow."""
    flows = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if len(parts) != 6:
                sys.exit(f"{path}:{n}: not 'src sport dst dport sni ja4'")
            key = tuple(parts[:4])
            sni = None if parts[4] == "-" else parts[4]
            flows.setdefault(key, (parts[5], sni))
    return flows


def events(path):
    """The sensor's QUIC flow events by 4-tuple: (ja4, sni)."""
    flows = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                e = json.loads(line)
            except ValueError as err:
                sys.exit(f"{path}:{n}: not JSON: {err}")
            if e.get("event_type") != "flow" or "quic" not in e:
                continue
            q = e["quic"]
            if "ja4" not in q:
                continue
            key = (e["src_ip"], str(e["src_port"]), e["dest_ip"], str(e["dest_port"]))
            flows[key] = (q["ja4"], q.get("sni"))
    return flows


def compare(what, read, suffix):
    total = matched = bad = 0
    rows, problems = [], []
    for name in sorted(os.listdir(os.path.join(ja4dir, "pcap"))):
        snap = os.path.join(ja4dir, "rust/ja4/src/snapshots", f"ja4__insta@{name}.snap")
        if not os.path.exists(snap):
            problems.append(f"{name}: no snapshot {snap}")
            bad += 1
            continue
        got = read(os.path.join(outdir, name + suffix))
        f_total = f_match = f_bad = 0
        seen = set()
        for it in snapshot(snap):
            if "ja4" not in it or it.get("transport") == "tcp":
                continue
            key = (it["src"], it["src_port"], it["dst"], it["dst_port"])
            seen.add(key)
            f_total += 1
            want = (it["ja4"], it.get("tls_server_name"))
            have = got.get(key)
            if have == want:
                f_match += 1
                continue
            f_bad += 1
            problems.append(f"{name} {key[0]}:{key[1]} -> {key[2]}:{key[3]}: "
                            f"FoxIO ja4={want[0]} sni={want[1]}; "
                            + (f"ours ja4={have[0]} sni={have[1]}" if have else "no hello found"))
        for key, (ja4, sni) in sorted(got.items()):
            if key in seen:
                continue
            f_bad += 1
            problems.append(f"{name} {key[0]}:{key[1]} -> {key[2]}:{key[3]}: "
                            f"ours ja4={ja4} sni={sni}, but FoxIO lists no such QUIC stream")
        if f_total or f_bad:
            rows.append((name, f_total, f_match, f_bad))
        total += f_total
        matched += f_match
        bad += f_bad

    print(f"{what}:")
    print(f"{'capture':<44} {'QUIC':>5} {'match':>6} {'differ':>7}")
    for r in rows:
        print(f"{r[0]:<44} {r[1]:>5} {r[2]:>6} {r[3]:>7}")
    print(f"{'total':<44} {total:>5} {matched:>6} {bad:>7}")
    for p in problems:
        print("DIFFERS:", p)
    if total == 0:
        sys.exit("no QUIC stream in FoxIO's snapshots: nothing was compared")
    return bad


bad = compare("quic-initial (test_quic_initial --hellos)", ours, ".hellos")
bad += compare("the sensor's flow events (--all-tls)", events, ".ndjson")
sys.exit(1 if bad else 0)
PY
