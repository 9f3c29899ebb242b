#!/usr/bin/env bash
# VLAN tags in the flow key, as in Suricata: a client capture tagged VLAN 10
# and again VLAN 20, merged into one trunk capture, is twice the flows, each
# with EVE's "vlan" ([10] or [20]); with --no-vlan-key, as many as the
# capture alone. QinQ stacks ([100,10] beside [10]) are flows of their own.
# Alerts carry the vlan of their source's latest flow (a scenario tagged
# VLAN 30 alerts as untagged, with "vlan":[30]); untagged traffic writes no
# vlan. Tagged events validate against Suricata's EVE schema when
# ../shared/peer is there.
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?} peer=${DS_PEER_DIR:-}
command -v mergecap >/dev/null || { echo "SKIP: mergecap missing (tshark's package)"; exit 77; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
tag="python3 $src/tests/detect/vlantag.py"
curl=$src/pcaps/clients/curl.pcap
hydra=$src/pcaps/scenarios/hydra.pcap
$tag "$curl" "$work/v10.pcap" 10 && $tag "$curl" "$work/v20.pcap" 20 &&
    $tag "$curl" "$work/q100-10.pcap" 100 10 && $tag "$hydra" "$work/hydra30.pcap" 30 || exit 1
mergecap -F pcap -w "$work/trunk.pcap" "$work/v10.pcap" "$work/v20.pcap" || exit 1
mergecap -F pcap -w "$work/qinq.pcap" "$work/q100-10.pcap" "$work/v10.pcap" || exit 1
run() {  # out input args...
    local out=$1 in=$2; shift 2
    "$bin" -r "$in" "$@" -o "$work/$out.json" || { echo "FAIL: sensor on $in $*"; exit 1; }
}
run alone "$curl"
run trunk "$work/trunk.pcap"
run merged "$work/trunk.pcap" --no-vlan-key
run qinq "$work/qinq.pcap"
run hydra "$hydra"
run hydra30 "$work/hydra30.pcap"
python3 - "$work" "$peer" <<'PY'
import collections, json, os, sys
work, peer = sys.argv[1], sys.argv[2]
def load(name):
    return [json.loads(l) for l in open(os.path.join(work, name + ".json"))]
def flows(ev):
    return [e for e in ev if e["event_type"] == "flow"]
def vlans(ev, kind):
    return collections.Counter(str(e.get("vlan")) for e in ev if e["event_type"] == kind)
def total(ev):
    return [e for e in ev if e["event_type"] == "stats"][-1]["sensor"]["flows"]["total"]
bad = 0
def check(ok, what):
    global bad
    if not ok:
        print("FAIL:", what); bad += 1
alone, trunk, merged, qinq = load("alone"), load("trunk"), load("merged"), load("qinq")
hydra, hydra30 = load("hydra"), load("hydra30")
n = len(flows(alone))
check(n >= 1, "no flow in the capture alone")
check(all("vlan" not in e for e in alone + hydra), "an untagged event has a vlan")
check(len(flows(trunk)) == 2 * n and total(trunk) == 2 * n,
      f"VLANs 10 and 20: {len(flows(trunk))} flow events, {total(trunk)} flows, want {2 * n}")
check(vlans(trunk, "flow") == {"[10]": n, "[20]": n}, f"VLANs 10 and 20: {vlans(trunk, 'flow')}")
check(len(flows(merged)) == n and total(merged) == n,
      f"--no-vlan-key: {len(flows(merged))} flow events, {total(merged)} flows, want {n}")
check(all(e.get("vlan") in ([10], [20]) for e in flows(merged)), "--no-vlan-key: a flow without its tag")
check(vlans(qinq, "flow") == {"[100, 10]": n, "[10]": n}, f"QinQ: {vlans(qinq, 'flow')}")
# The same scenario on VLAN 30: the same flows and alerts, each saying VLAN 30.
alerts, alerts30 = [e for e in hydra if e["event_type"] == "alert"], [e for e in hydra30 if e["event_type"] == "alert"]
check(len(alerts) > 0, "the hydra scenario raised no alert")
check(len(flows(hydra30)) == len(flows(hydra)), f"VLAN 30: {len(flows(hydra30))} flows, untagged {len(flows(hydra))}")
check(vlans(hydra30, "flow") == {"[30]": len(flows(hydra))}, f"VLAN 30 flows: {vlans(hydra30, 'flow')}")
key = lambda e: (e["alert"]["signature_id"], e["src_ip"], e.get("flow_id"))
check(sorted(map(key, alerts)) == sorted(map(key, alerts30)), "VLAN 30: the alerts differ from untagged")
check(all(e.get("vlan") == [30] for e in alerts30 if "flow_id" in e),
      f"VLAN 30 alerts: {vlans(hydra30, 'alert')}")
check(any("flow_id" in e for e in alerts30), "no alert about a source's flow to carry a vlan")
# EVE's schema: vlan is an array of numbers; the rest as tests/conformance checks it.
schema_path = os.path.join(peer, "suricata", "eve-schema.json") if peer else ""
checked = 0
if os.path.isfile(schema_path):
    try:
        import jsonschema
    except ImportError:
        print("FAIL: python3-jsonschema missing (tools/setup.sh installs it)"); sys.exit(1)
    schema = json.load(open(schema_path))
    v = jsonschema.Draft202012Validator(schema) if hasattr(jsonschema, "Draft202012Validator") \
        else jsonschema.Draft7Validator(schema)
    ours = {"ai", "exchanges", "sensor", "source", "cluster", "geo", "truncated"}
    for e in trunk + qinq + hydra30:
        if "vlan" not in e:
            continue
        errs = list(v.iter_errors({k: x for k, x in e.items() if k not in ours}))
        for err in errs[:3]:
            print(f"FAIL: schema: {e['event_type']} {list(err.path)}: {err.message}")
        bad += bool(errs)
        checked += 1
    check(checked > 0, "no tagged event to check against the schema")
else:
    print(f"note: no EVE schema at {schema_path or '$DS_PEER_DIR'}: schema check not run")
print(f"{n} flow(s) alone; VLANs 10+20: {len(flows(trunk))}, --no-vlan-key: {len(flows(merged))}, "
      f"QinQ: {dict(vlans(qinq, 'flow'))}; VLAN 30: {len(alerts30)} alerts as untagged; "
      f"{checked} tagged events schema-checked; {bad} failing")
sys.exit(1 if bad else 0)
PY
