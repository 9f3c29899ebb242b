#!/usr/bin/env bash
# Several captures recorded at different times in one run (-r A -r B, or a
# directory): when packet time steps back to an earlier capture, the flows of
# the later clock end, new flows are not taken for idle, and per-source
# windows follow the new clock, so detection on B is as on B alone.
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
late=$src/pcaps/clients/curl.pcap          # recorded 2026-11
early=$src/pcaps/scenarios/hydra.pcap      # generated for 2026-02
"$bin" -r "$early" -o "$work/alone.json" || exit 1
"$bin" -r "$late" -r "$early" -v -o "$work/both.json" 2>"$work/err" || exit 1
grep -q "packet time went back" "$work/err" || { echo "FAIL: no notice of the clock step"; cat "$work/err"; exit 1; }
python3 - "$work/alone.json" "$work/both.json" <<'PY'
import json, sys
def load(p):
    ev = [json.loads(l) for l in open(p)]
    flows = sorted((e["src_ip"], e["src_port"], e["exchanges"]["count"]) for e in ev if e["event_type"] == "flow")
    alerts = sorted((e["alert"]["signature_id"], e.get("cluster", {}).get("size")) for e in ev if e["event_type"] == "alert")
    listed = set()
    for e in ev:
        if "cluster" in e:
            listed |= set(e["cluster"].get("new_members", e["cluster"].get("members", [])))
    stats = [e for e in ev if e["event_type"] == "stats"][-1]
    return flows, alerts, listed, stats
fa, aa, la, _ = load(sys.argv[1])
fb, ab, lb, sb = load(sys.argv[2])
fb = [f for f in fb if not f[0].startswith("127.")]
bad = 0
if fa != fb:
    print(f"FAIL: flows differ: alone {len(fa)}, after another capture {len(fb)}"); bad = 1
if aa != ab or la != lb:
    print("FAIL: alerts differ:", aa, ab, len(la), len(lb)); bad = 1
total = sb["sensor"]["flows"]["total"]
if total > len(fa) + 5:
    print(f"FAIL: {total} flows made: flows were split"); bad = 1
print(f"{len(fa)} flows, alerts {aa}, {len(la)} cluster members listed, alone and after another capture")
sys.exit(bad)
PY
