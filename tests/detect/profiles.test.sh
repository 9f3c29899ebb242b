#!/usr/bin/env bash
# Sub-profiles of a shared address. Generated browsers (and, for an office,
# developers) are put behind one NAT address with natmerge.py, with and
# without a templated python harvester (the `steady` role) behind the same
# address:
#   nat:    browsers + the script: the script's profile alerts, naming its
#           family in source.profile and in ai.fingerprint_family; neither
#           the address record nor the browsers' profile alerts (the main
#           branch, with the address record alone, raised nothing here).
#   office: browsers + developers + the script: the script's profile alerts.
#   pure:   browsers + developers, no script: profiles are evaluated, and
#           nothing alerts.
#   alone:  the script on an address of its own: its address record alerts,
#           and no profile record is made.
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
gen=$src/tools/gen-traffic
merge="python3 $src/tests/detect/natmerge.py"
start=2026-02-23T13:00:00Z
"$gen" browser --seed 3 --duration 20m --start $start -q -o "$work/b.pcap" || exit 1
"$gen" developer --seed 4 --duration 20m --start $start -q -o "$work/d.pcap" || exit 1
"$gen" steady --seed 3 --duration 20m --start $start -q -o "$work/s.pcap" || exit 1
inside="--inside 10.10.0.0/16 --inside 2001:db8:10::/48 --inside 10.20.0.0/16 --inside 2001:db8:20::/48"
nat="--nat 10.99.0.1 --nat6 2001:db8:99::1"
# shellcheck disable=SC2086
{
    $merge "$work/nat.pcap" "$work/b.pcap" "$work/s.pcap" $nat $inside --inside 198.18.1.0/24 &&
    $merge "$work/office.pcap" "$work/b.pcap" "$work/d.pcap" "$work/s.pcap" $nat $inside \
        --inside 198.18.1.0/24 &&
    $merge "$work/pure.pcap" "$work/b.pcap" "$work/d.pcap" $nat $inside
} >/dev/null || exit 1
for c in nat office pure; do
    "$bin" -r "$work/$c.pcap" --source-events --stats-interval 60 -o "$work/$c.json" || exit 1
done
"$bin" -r "$work/s.pcap" --stats-interval 60 -o "$work/alone.json" || exit 1

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
NAT = "10.99.0.1"
bad = 0

def load(case):
    evs = [json.loads(l) for l in open("%s/%s.json" % (work, case))]
    alerts = [e for e in evs if e["event_type"] == "alert"]
    stats = [e for e in evs if e["event_type"] == "stats"][-1]["sensor"]
    sources = [e for e in evs if e["event_type"] == "source"]
    for a in alerts:
        p = a["source"]["profile"]
        print("  %s alert sid %d sev %d src %s profile %s family %s" % (
            case, a["alert"]["signature_id"], a["alert"]["severity"], a["src_ip"],
            json.dumps(p), a.get("ai", {}).get("fingerprint_family")))
    print("  %s sources %s detect %s" % (case, json.dumps(stats["sources"]),
          json.dumps({k: v for k, v in stats["detect"].items() if "profile" in k or k == "alerts"})))
    return alerts, stats, sources

def fail(msg):
    global bad
    print("FAIL:", msg)
    bad = 1

def script_profile_alerts(case, alerts):
    mine = [a for a in alerts if a["src_ip"] == NAT and a["source"]["profile"]["type"] == "family"
            and a["source"]["profile"]["family"] == "python"]
    if not mine:
        fail("%s: the script's profile (python) did not alert" % case)
    for a in mine:
        p = a["source"]["profile"]
        if a["ai"].get("fingerprint_family") != "python" or p.get("address_families", 0) < 2:
            fail("%s: profile alert without its family's flow or family count: %s" % (case, p))
    return mine

alerts, stats, sources = load("nat")
script_profile_alerts("nat", alerts)
for a in alerts:
    p = a["source"]["profile"]
    if p["type"] == "address" or p.get("family") == "browser":
        fail("nat: the browsers' traffic alerted (%s, sid %d)" % (json.dumps(p), a["alert"]["signature_id"]))
if stats["sources"]["profile_splits"] < 1 or stats["detect"]["profile_evaluated"] == 0:
    fail("nat: the address was never split or its profiles never evaluated")
fams = {s["source"]["profile"].get("family") for s in sources
        if s["src_ip"] == NAT and s["source"]["profile"]["type"] == "family"}
if not {"python", "browser"} <= fams:
    fail("nat: source events of the profiles missing (saw %s)" % sorted(f for f in fams if f))

alerts, stats, _ = load("office")
script_profile_alerts("office", alerts)

alerts, stats, _ = load("pure")
if alerts:
    fail("pure: a NAT of browsers and developers alerted")
if stats["detect"]["profile_evaluated"] == 0:
    fail("pure: no profile was evaluated (the test would prove nothing)")

alerts, stats, _ = load("alone")
if not alerts or any(a["source"]["profile"] != {"type": "address"} for a in alerts):
    fail("alone: the script alone should alert as its address")
if stats["sources"]["profiles"] != 0 or stats["sources"]["profiles_created"] != 0:
    fail("alone: a single-family address made profile records")
sys.exit(bad)
PY
