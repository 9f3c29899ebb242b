#!/usr/bin/env python3
"""Which kinds of a recording the detector caught (tests/clients/harvest.test.sh).

    harvest_report.py TRUTH.tsv EVENTS.json EXPECTED_MISSED [SOURCE_EVENTS.json]

TRUTH.tsv: address, kind, harvester (yes/no), client. EVENTS.json: the sensor's
events with the repo's rules. EXPECTED_MISSED: the harvester kinds today's rules
are known to miss, comma-separated (may be empty).

A kind is caught when an alert of severity 1 or 2 names one of its addresses:
as the alert's source, or as a member of a cluster alert. Prints a line a kind:
its addresses, requests (turns in its flow events), every alert (sid/severity,
the cluster alerts marked c), the time from the kind's first packet (its first
flow's start) to its first severity 1-2 alert. With SOURCE_EVENTS.json (a run
with --source-events), the features of each missed harvester's busiest window
follow for each harvester kind with no severity-1 alert (missed, or caught at
severity 2 only): the values a rule compares. Exit 1 if a harvester kind not in
EXPECTED_MISSED is missed, a kind in EXPECTED_MISSED is caught (move it out of
the list), or a negative kind raised a severity 1 or 2 alert.
"""
import datetime
import json
import sys
from collections import defaultdict

FEATURES = ("requests", "new_connections", "requests_per_connection", "cadence_regularity",
            "conn_cadence_regularity", "gap_mean_s", "gap_cv", "request_size_mean", "request_size_cv",
            "response_size_mean", "response_request_ratio", "ttfb_mean_ms", "response_duration_mean_ms",
            "max_concurrency", "inflight_mean", "inflight_cv", "answer_gap_median_s", "closed_loop_share",
            "request_growth", "long_answer_share", "duty_cycle", "fingerprint_family")


def ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def read_truth(path):
    kinds, kind_of, harvester = {}, {}, {}
    with open(path) as f:
        for line in f:
            addr, kind, harv, _ = line.rstrip("\n").split("\t")
            kinds.setdefault(kind, []).append(addr)
            kind_of[addr] = kind
            harvester[kind] = harv == "yes"
    return kinds, kind_of, harvester


def busiest_windows(source_events, addrs):
    """Per address, the source event of the 10-minute window with most requests."""
    best = {}
    for e in source_events:
        if e.get("event_type") != "source" or e.get("src_ip") not in addrs:
            continue
        src = e.get("source", {})
        if src.get("window") != 600:
            continue
        f = src.get("features", {})
        a = e["src_ip"]
        if a not in best or f.get("requests", 0) >= best[a].get("requests", 0):
            best[a] = f
    return best


def main():
    truth, events_path, expected = sys.argv[1], sys.argv[2], sys.argv[3]
    expected_missed = {k for k in expected.split(",") if k}
    kinds, kind_of, harvester = read_truth(truth)
    unknown = expected_missed - set(kinds)
    events = load(events_path)
    first = {}
    turns = defaultdict(int)
    alerts = defaultdict(list)  # kind -> [(time, sid, severity, cluster?, address)]
    for e in events:
        t = e.get("event_type")
        if t == "flow" and e.get("src_ip") in kind_of:
            k = kind_of[e["src_ip"]]
            start = ts(e["flow"]["start"])
            first[k] = min(first.get(k, start), start)
            turns[k] += e.get("exchanges", {}).get("count", 0)
        elif t == "alert":
            a = e["alert"]
            members = e.get("cluster", {}).get("members")
            named = members if members is not None else [e.get("src_ip")]
            for addr in named:
                if addr in kind_of:
                    alerts[kind_of[addr]].append((ts(e["timestamp"]), a["signature_id"], a["severity"],
                                                  members is not None, addr))
    fail = []
    print("%-19s %-4s %5s %6s  %-12s %s" % ("kind", "harv", "addrs", "turns", "detect_s", "alerts (sid/severity, c = cluster: members of the kind)"))
    for k in kinds:
        al = sorted(alerts[k])
        serious = [x for x in al if x[2] <= 2]
        caught = bool(serious)
        detect = "%.1f" % (serious[0][0] - first[k]) if caught and k in first else "-"
        summary = defaultdict(set)
        for _, sid, sev, cl, addr in al:
            summary[(sid, sev, cl)].add(addr)
        text = ", ".join("%d/%d%s%s" % (sid, sev, "c" if cl else "",
                                         "x%d" % len(addrs) if len(kinds[k]) > 1 else "")
                         for (sid, sev, cl), addrs in sorted(summary.items())) or "none"
        if harvester[k]:
            if caught and k in expected_missed:
                verdict = "CAUGHT, but listed as expected-missed: move it out of EXPECTED_MISSED"
                fail.append(k)
            elif caught:
                verdict = "caught"
            elif k in expected_missed:
                verdict = "MISSED (expected-missed today)"
            else:
                verdict = "MISSED"
                fail.append(k)
        else:
            verdict = "ALERTED (negative)" if caught else "quiet" if not al else "severity 3 only"
            if caught:
                fail.append(k)
        print("%-19s %-4s %5d %6d  %-12s %s  -> %s" % (k, "yes" if harvester[k] else "no", len(kinds[k]),
                                                      turns[k], detect, text, verdict))
        if caught and harvester[k]:
            print("SUMMARY\tcaught\t%s" % k)
        elif harvester[k]:
            print("SUMMARY\tmissed\t%s" % k)
    if len(sys.argv) > 4:
        src = load(sys.argv[4])
        for k in kinds:
            if not harvester[k] or any(x[2] == 1 for x in alerts[k]):
                continue
            best = busiest_windows(src, set(kinds[k]))
            for addr in kinds[k]:
                if addr not in best:
                    continue
                f = best[addr]
                vals = " ".join("%s=%s" % (n, f[n]) for n in FEATURES if n in f)
                print("features %s %s (10m window with most requests): %s" % (k, addr, vals))
    if unknown:
        print("FAIL: EXPECTED_MISSED names kinds not in the truth file: %s" % ", ".join(sorted(unknown)))
        return 1
    if fail:
        print("FAIL: %s" % ", ".join(fail))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
