#!/usr/bin/env bash
# Installs what is missing, builds, runs distill-sensor on the bundled
# captures and shows what it found: alerts, then the AI flows with provider,
# SNI, JA4 and request/response turns. The raw NDJSON stays in build/demo/.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
tools/setup.sh
echo "== building"
tools/build.sh build
mkdir -p build/demo
# The bundled captures: real clients (pcaps/clients) and short labelled
# scenarios of harvesters and normal users (pcaps/scenarios), one role a file.
inputs=(-r pcaps/clients -r pcaps/scenarios)
echo "== build/distill-sensor ${inputs[*]} -o build/demo/events.json"
build/distill-sensor "${inputs[@]}" -o build/demo/events.json.tmp
mv build/demo/events.json.tmp build/demo/events.json
python3 - build/demo/events.json <<'PY'
import collections, json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
kinds = collections.Counter(e["event_type"] for e in events)
print(f"\n{len(events)} events: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
alerts = [e for e in events if e["event_type"] == "alert"]
if alerts:
    print(f"\nALERTS ({len(alerts)})")
    for a in alerts:
        al = a["alert"]
        who = a["src_ip"] if "cluster" not in a else f"cluster of {a['cluster']['size']}"
        print(f"  {a['timestamp'][:19]}  sev {al['severity']}  sid {al['signature_id']}  {who:<18} {al['signature']}")
flows = [e for e in events if e["event_type"] == "flow" and e.get("ai", {}).get("provider")]
print(f"\nAI FLOWS ({len(flows)})")
print(f"  {'client':<22} {'provider':<12} {'sni':<34} {'ja4':<38} {'turns':>5} {'req B':>8} {'resp B':>9}")
for f in flows[:40]:
    t = f.get("tls") or f.get("quic") or {}
    ex = f.get("exchanges", {})
    print(f"  {f['src_ip'] + ':' + str(f['src_port']):<22} {f['ai']['provider']:<12} {t.get('sni', '-'):<34} "
          f"{t.get('ja4', '-'):<38} {ex.get('count', 0):>5} {ex.get('request_bytes', 0):>8} {ex.get('response_bytes', 0):>9}")
if len(flows) > 40:
    print(f"  ... {len(flows) - 40} more")
stats = [e for e in events if e["event_type"] == "stats"][-1]
s = stats["sensor"]
print(f"\nSTATS  packets {stats['stats']['decoder']['pkts']}, flows {s['flows']['total']}, "
      f"TLS {s['flows']['tls']}, QUIC {s['flows']['quic']}, AI {s['flows']['ai']} "
      f"{ {k: v for k, v in s['ai_flows_by_provider'].items() if v} }")
print("\nAll events: build/demo/events.json")
PY
