#!/usr/bin/env bash
# tools/score on hand-made events: a member listed in an update of a cluster
# that alerted is covered (from the cluster's first alert if the update came
# first), an update of a cluster that never alerted covers no one, time to
# detect runs from the source's first packet (labels' first_seen) and not from
# its first flow event, roles with a missed source are listed, severity 1 on a
# no-high source and any alert on a quiet one are counted, and --targets fails.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
score=$src/tools/score
cat >"$tmp/labels.json" <<'J'
{"start": 1000.0, "sources": {
 "10.0.0.1": {"role": "solo", "expect": "alert", "cluster": null, "first_seen": 1000.0},
 "10.0.0.2": {"role": "solo", "expect": "alert", "cluster": null, "first_seen": 1000.0},
 "10.0.1.1": {"role": "pool", "expect": "alert", "cluster": "p-1", "first_seen": 1000.0},
 "10.0.1.2": {"role": "pool", "expect": "alert", "cluster": "p-1", "first_seen": 1000.0},
 "10.0.1.3": {"role": "pool", "expect": "alert", "cluster": "p-1", "first_seen": 1000.0},
 "10.0.1.4": {"role": "pool", "expect": "alert", "cluster": "p-1", "first_seen": 1000.0},
 "10.0.2.1": {"role": "user", "expect": "quiet", "cluster": null, "first_seen": 1000.0},
 "10.0.2.2": {"role": "backend", "expect": "no-high", "cluster": null, "first_seen": 1000.0}}}
J
t() { python3 -c "import datetime,sys; print(datetime.datetime.fromtimestamp(float(sys.argv[1]), datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f+0000'))" "$1"; }
{
# The first flow event of 10.0.0.1 starts 500 s after its first packet (a QUIC
# or non-AI flow came first): time to detect counts from first_seen.
echo '{"timestamp":"'"$(t 1500)"'","event_type":"flow","src_ip":"10.0.0.1","flow":{"start":"'"$(t 1500)"'"}}'
echo '{"timestamp":"'"$(t 1600)"'","event_type":"alert","src_ip":"10.0.0.1","alert":{"severity":2,"signature_id":1}}'
# Cluster 7: an update listing .3 before the alert, the alert with .1 and .2.
echo '{"timestamp":"'"$(t 1100)"'","event_type":"cluster","cluster":{"id":7,"new_members":["10.0.1.3"],"action":"update"}}'
echo '{"timestamp":"'"$(t 1200)"'","event_type":"alert","src_ip":"10.0.1.1","alert":{"severity":1,"signature_id":2},"cluster":{"id":7,"members":["10.0.1.1","10.0.1.2"]}}'
# Cluster 8 never alerts: its update covers nobody.
echo '{"timestamp":"'"$(t 1300)"'","event_type":"cluster","cluster":{"id":8,"new_members":["10.0.1.4"],"action":"update"}}'
echo '{"timestamp":"'"$(t 1400)"'","event_type":"alert","src_ip":"10.0.2.1","alert":{"severity":3,"signature_id":3}}'
echo '{"timestamp":"'"$(t 1400)"'","event_type":"alert","src_ip":"10.0.2.2","alert":{"severity":1,"signature_id":4}}'
} >"$tmp/events.json"
"$score" "$tmp/events.json" "$tmp/labels.json" --json >"$tmp/r.json"
python3 - "$tmp/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
want = {
    "alerted": 4, "roles_missed": ["pool", "solo"], "false": ["10.0.2.1"], "sev1": ["10.0.2.2"],
    "clusters": {"p-1": 0.75}, "missed": ["10.0.0.2", "10.0.1.4"], "targets_met": False,
    # ttd: 10.0.0.1 600 s (from first_seen, not 100 s from its flow), pool .1 .2 .3 200 s
    # (.3 listed before the alert counts from the alert): median 200.
    "median_ttd_s": 200.0,
}
bad = [f"{k}: {r[k]!r}, want {v!r}" for k, v in want.items() if r[k] != v]
pool = r["per_role"]["pool"]
if (pool["alerted"], pool["sev1"], pool["cluster_coverage_min"]) != (3, 3, 0.75):
    bad.append(f"per_role pool {pool}")
for b in bad:
    print("FAIL " + b)
if not bad:
    print("ok: coverage from alerted clusters only, ttd from first_seen, roles missed, false, sev1")
sys.exit(1 if bad else 0)
PY
rc=$?
if "$score" "$tmp/events.json" "$tmp/labels.json" --targets --per-role >"$tmp/out.txt"; then
    echo "FAIL: --targets exited 0 with targets missed"; rc=1
fi
grep -q "^pool .*MISSED 1, clusters split (coverage 0.75)" "$tmp/out.txt" || { echo "FAIL: per-role table"; cat "$tmp/out.txt"; rc=1; }
exit $rc
