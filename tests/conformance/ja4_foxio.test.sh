#!/usr/bin/env bash
# JA4 and SNI of every TLS-over-TCP stream in FoxIO's reference captures
# (peer/ja4/pcap) against FoxIO's own outputs for them (the Rust tool's insta
# snapshots, peer/ja4/rust/ja4/src/snapshots/ja4__insta@<pcap>.snap). Streams
# are matched on the 4-tuple, client first. Prints a table per capture and
# fails on any difference that the allow-list below does not explain.
#
# QUIC streams are counted but not compared here: ja4_quic.test.sh compares
# them (quic-initial and the sensor's quic.sni and quic.ja4).
#
# Env (set by ctest): DS_BIN, DS_PEER_DIR. Exit 77 (skipped) without peer data.
set -u

peer=${DS_PEER_DIR:-}
if [ -z "$peer" ] || [ ! -d "$peer/ja4/pcap" ] || [ ! -d "$peer/ja4/rust/ja4/src/snapshots" ]; then
    echo "skipped: FoxIO peer data not found (DS_PEER_DIR=${peer:-unset}; need ja4/pcap and ja4/rust/ja4/src/snapshots)"
    exit 77
fi
if [ -z "${DS_BIN:-}" ] || [ ! -x "$DS_BIN" ]; then
    echo "DS_BIN (${DS_BIN:-unset}) is not an executable distill-sensor" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

status=0
for pcap in "$peer"/ja4/pcap/*; do
    name=$(basename "$pcap")
    "$DS_BIN" -q -r "$pcap" --all-tls -o - >"$tmp/$name.ndjson" 2>"$tmp/$name.err"
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "$name: distill-sensor exited $rc:" >&2
        cat "$tmp/$name.err" >&2
        status=1
    fi
done
[ $status -eq 0 ] || exit 1

DS_CONFORMANCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) \
    python3 - "$peer/ja4" "$tmp" <<'PY'
import json
import os
import sys

sys.path.insert(0, os.environ["DS_CONFORMANCE_DIR"])
from foxio_snap import snapshot  # noqa: E402

ja4dir, outdir = sys.argv[1], sys.argv[2]

# (capture, client ip, client port, server ip, server port) -> why we keep
# differing from FoxIO there. Empty: every stream matches. An entry that no
# longer differs fails the test, so this list stays true.
ALLOWED = {
}


def ours(path):
    """TLS flow events by 4-tuple: (ja4, sni)."""
    flows = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                e = json.loads(line)
            except ValueError as err:
                sys.exit(f"{path}:{n}: not JSON: {err}")
            if e.get("event_type") != "flow" or e.get("proto") != "TCP" or "tls" not in e:
                continue
            key = (e["src_ip"], str(e["src_port"]), e["dest_ip"], str(e["dest_port"]))
            t = e["tls"]
            flows[key] = (t.get("ja4"), t.get("sni") or None)
    return flows


total = matched = allowed = bad = quic = 0
rows, problems, used = [], [], set()
for name in sorted(os.listdir(os.path.join(ja4dir, "pcap"))):
    snap = os.path.join(ja4dir, "rust/ja4/src/snapshots", f"ja4__insta@{name}.snap")
    if not os.path.exists(snap):
        problems.append(f"{name}: no snapshot {snap}")
        bad += 1
        continue
    got = ours(os.path.join(outdir, name + ".ndjson"))
    f_total = f_match = f_allowed = f_bad = f_quic = 0
    seen = set()
    for it in snapshot(snap):
        if "ja4" not in it:
            continue
        if it.get("transport") != "tcp":
            f_quic += 1
            continue
        key = (it["src"], it["src_port"], it["dst"], it["dst_port"])
        seen.add(key)
        f_total += 1
        want = (it["ja4"], it.get("tls_server_name"))
        have = got.get(key)
        if have == want:
            f_match += 1
            continue
        akey = (name,) + key
        if akey in ALLOWED:
            used.add(akey)
            f_allowed += 1
            continue
        f_bad += 1
        problems.append(f"{name} {key[0]}:{key[1]} -> {key[2]}:{key[3]}: "
                        f"FoxIO ja4={want[0]} sni={want[1]}; "
                        + (f"ours ja4={have[0]} sni={have[1]}" if have else "no TLS flow event"))
    # A JA4 where FoxIO saw no ClientHello is a difference too.
    for key, (ja4, sni) in sorted(got.items()):
        if key in seen or ja4 is None:
            continue
        akey = (name,) + key
        if akey in ALLOWED:
            used.add(akey)
            f_allowed += 1
            continue
        f_bad += 1
        problems.append(f"{name} {key[0]}:{key[1]} -> {key[2]}:{key[3]}: "
                        f"ours ja4={ja4} sni={sni}, but FoxIO lists no such TLS stream")
    rows.append((name, f_total, f_match, f_allowed, f_bad, f_quic))
    total += f_total
    matched += f_match
    allowed += f_allowed
    bad += f_bad
    quic += f_quic

w = max(len(r[0]) for r in rows) if rows else 10
print(f"{'capture':<{w}}  {'tcp':>4} {'match':>5} {'allow':>5} {'diff':>4} {'quic*':>5}")
for r in rows:
    print(f"{r[0]:<{w}}  {r[1]:>4} {r[2]:>5} {r[3]:>5} {r[4]:>4} {r[5]:>5}")
print(f"{'total':<{w}}  {total:>4} {matched:>5} {allowed:>5} {bad:>4} {quic:>5}")
print("* QUIC streams are not compared: QUIC JA4 is later work.")
print(f"JA4 + SNI (TLS over TCP): {matched} of {total} streams match FoxIO"
      + (f", {allowed} allowed differences" if allowed else ""))
for akey in sorted(set(ALLOWED) - used):
    problems.append(f"allow-list entry no longer differs, remove it: {akey}")
    bad += 1
for akey in sorted(used):
    print(f"allowed: {' '.join(akey)}: {ALLOWED[akey]}")
for p in problems:
    print("FAIL:", p)
if total == 0:
    print("FAIL: no TCP stream compared")
    sys.exit(1)
sys.exit(1 if bad else 0)
PY
