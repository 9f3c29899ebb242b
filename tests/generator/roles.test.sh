#!/usr/bin/env bash
# The issue 9 roles have the shape their tables promise, read from the flow log
# (one line per flow: time, proto, client ip/port, server, SNI, client capture,
# template port, role): shared addresses carry several clients (natted: browsers
# and a script; office: many browsers), rotating3 uses three client stacks on one
# address, pool2's members split over two stacks and several /24s, syncpool's
# requests come in rounds (each request has others from the pool within two
# seconds, though a member sends only a handful), cieval runs once or twice, a connection per worker.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$gen" natted,office,rotating3,pool2,syncpool,cieval --duration 1h --scale 2 --seed 31 \
    --peer "$peer" -q -o "$tmp/r.pcap" --flow-log "$tmp/r.flows"
python3 - "$tmp/r.flows" "$tmp/r.labels.json" <<'PY'
import collections, ipaddress, json, sys
flows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
labels = json.load(open(sys.argv[2]))["sources"]
by_ip = collections.defaultdict(list)
for f in flows:
    by_ip[f[2]].append(f)
bad = []
def role_ips(role):
    return [ip for ip, v in labels.items() if v["role"] == role]
def stacks(ip):
    return collections.Counter(f[7] for f in by_ip[ip] if f[1] == "tcp")
for ip in role_ips("natted"):
    c = stacks(ip)
    if "chromium" not in c or not any(k.startswith("python") for k in c):
        bad.append("natted %s: clients %s (want chromium and a python script)" % (ip, dict(c)))
for ip in role_ips("office"):
    users = [p for p in labels[ip]["profiles"] if p["client"] == "chromium"]
    if len(users) < 15 or set(stacks(ip)) - {"chromium", "curl"}:
        bad.append("office %s: %d browser users, clients %s" % (ip, len(users), dict(stacks(ip))))
for ip in role_ips("rotating3"):
    c = stacks(ip)
    if len(c) != 3 or min(c.values()) < 0.15 * sum(c.values()):
        bad.append("rotating3 %s: clients %s (want three, each used)" % (ip, dict(c)))
pools = collections.defaultdict(list)
for role in ("pool2", "syncpool"):
    for ip in role_ips(role):
        pools[labels[ip]["cluster"]].append(ip)
for cid, ips in sorted(pools.items()):
    nets = {ipaddress.ip_network(ip + "/24", strict=False) for ip in ips}
    if cid.startswith("pool2"):
        c = collections.Counter(f[7] for ip in ips for f in by_ip[ip])
        if len(nets) < 4 or len(c) != 2 or min(c.values()) < 0.35 * sum(c.values()):
            bad.append("%s: %d /24s, clients %s" % (cid, len(nets), dict(c)))
        continue
    starts = sorted((float(f[0]), ip) for ip in ips for f in by_ip[ip])
    lone = sum(1 for t, ip in starts
               if not any(abs(t2 - t) <= 2.0 and ip2 != ip for t2, ip2 in starts))
    per = [len(by_ip[ip]) for ip in ips]
    if lone or max(per) > 20 or len(nets) < 4:
        bad.append("%s: %d of %d requests without another member within 2 s, %d to %d a member, %d /24s"
                   % (cid, lone, len(starts), min(per), max(per), len(nets)))
for ip in role_ips("cieval"):
    # A run opens one keep-alive connection per worker within seconds; one or two runs.
    ts = sorted(float(f[0]) for f in by_ip[ip])
    runs = 1 + sum(1 for a, b in zip(ts, ts[1:]) if b - a > 60)
    if not 1 <= runs <= 2 or len(ts) > 4 * runs:
        bad.append("cieval %s: %d flows in %d runs (want 1-2 runs of 4 connections)" % (ip, len(ts), runs))
for b in bad:
    print("FAIL " + b)
if not bad:
    print("ok: natted, office, rotating3, pool2, syncpool and cieval have their shapes "
          "(%d flows, %d sources)" % (len(flows), len(labels)))
sys.exit(1 if bad else 0)
PY
