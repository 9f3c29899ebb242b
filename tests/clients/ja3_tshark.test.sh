#!/usr/bin/env bash
# JA3 conformance on the real client captures (pcaps/clients, made by
# tools/capture-clients.sh): for every ClientHello tshark sees, the sensor's flow
# event for that connection (matched on the client port) must carry the same JA3
# hash and SNI. Also: every flow has a well-formed JA4, and Chromium's connections,
# whose extension order is permuted per connection, have different JA3 but one JA4
# (JA4 sorts extensions; that is what it is for).
# Env (from ctest): DS_BIN, DS_SOURCE_DIR. Exit 77 = skipped.
set -euo pipefail

src=${DS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
dir=$src/pcaps/clients
if [ -z "${DS_BIN:-}" ] || [ ! -x "$DS_BIN" ]; then
    echo "SKIP: sensor binary DS_BIN='${DS_BIN:-}' does not exist (build it first)"
    exit 77
fi
command -v tshark >/dev/null || { echo "SKIP: tshark not installed (tools/setup.sh installs it)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
shopt -s nullglob
pcaps=("$dir"/*.pcap)
[ ${#pcaps[@]} -gt 0 ] || { echo "FAIL: no captures in $dir"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The JA3 field is tls.handshake.ja3 in tshark 3.6 and later; older ones have none.
tshark -G fields > "$tmp/fields" 2>/dev/null || true
grep -q "$(printf '\ttls.handshake.ja3\t')" "$tmp/fields" ||
    { echo "SKIP: this tshark has no tls.handshake.ja3 field"; exit 77; }
fail=0
for f in "${pcaps[@]}"; do
    name=$(basename "$f")
    tshark -r "$f" -Y 'tls.handshake.type == 1' -T fields -E separator=/t \
        -e tcp.srcport -e tls.handshake.ja3 -e tls.handshake.extensions_server_name \
        > "$tmp/tshark.tsv" 2>/dev/null
    if [ ! -s "$tmp/tshark.tsv" ]; then
        echo "FAIL $name: tshark found no ClientHello"
        fail=1
        continue
    fi
    if ! "$DS_BIN" -r "$f" -o - > "$tmp/events.json" 2> "$tmp/stderr"; then
        echo "FAIL $name: $DS_BIN -r exited non-zero: $(head -3 "$tmp/stderr")"
        fail=1
        continue
    fi
    if ! python3 - "$name" "$tmp/tshark.tsv" "$tmp/events.json" <<'EOF'
import json, re, sys
name, tsv, events = sys.argv[1:4]
want = {}
for line in open(tsv):
    port, ja3, sni = (line.rstrip("\n").split("\t") + ["", "", ""])[:3]
    want[int(port)] = (ja3, sni)
got = {}
for line in open(events):
    line = line.strip()
    if not line:
        continue
    ev = json.loads(line)
    if ev.get("event_type") != "flow" or "tls" not in ev:
        continue
    got[int(ev["src_port"])] = ev["tls"]
bad = []
ja4_re = re.compile(r"^t1[0-3][di]\d{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$")
for port, (ja3, sni) in sorted(want.items()):
    tls = got.get(port)
    if tls is None:
        bad.append(f"port {port}: no flow event (tshark JA3 {ja3}, SNI {sni})")
        continue
    ours = (tls.get("ja3") or {}).get("hash")
    if ours != ja3:
        bad.append(f"port {port}: JA3 {ours} != tshark {ja3}")
    if tls.get("sni") != sni:
        bad.append(f"port {port}: SNI {tls.get('sni')!r} != tshark {sni!r}")
    if not ja4_re.match(tls.get("ja4") or ""):
        bad.append(f"port {port}: malformed JA4 {tls.get('ja4')!r}")
if name == "chromium.pcap" and not bad:
    ja3s = {got[p]["ja3"]["hash"] for p in want}
    ja4s = {got[p]["ja4"] for p in want}
    if len(want) > 1 and len(ja3s) < 2:
        bad.append("Chromium connections share one JA3: extension permutation not seen?")
    if len(ja4s) != 1:
        bad.append(f"Chromium connections have different JA4s {sorted(ja4s)}")
for b in bad:
    print(f"FAIL {name}: {b}")
if not bad:
    print(f"ok   {name}: {len(want)} ClientHello(s), JA3 " + " ".join(v[0] for _, v in sorted(want.items())))
sys.exit(1 if bad else 0)
EOF
    then
        fail=1
    fi
done
exit $fail
