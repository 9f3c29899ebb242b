#!/usr/bin/env bash
# OUT.labels.json has exactly the format of issue 3 and lists every source: every
# address that opens a TCP connection or sends QUIC to port 443 in the pcap is in
# "sources", nothing else is, and "start" is the time of the first packet. Also the
# role semantics the detection tests rely on: harvesters expect "alert", the
# production, agent, rag and cieval "no-high", the rest "quiet"; only pool
# members (hydra, pool2, syncpool) have a cluster, a pool shares one and sits in
# at most its `blocks` /24s (hydra three); "first_seen" is each source's first
# packet; shared addresses (natted, office) list their clients in "profiles".
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_tshark

fail=0
verify() {  # $1: name, $2: pcap (its labels beside it, OUT.labels.json)
    local name=$1 pcap=$2
    tshark -r "$pcap" -T fields -E separator=/t -e frame.time_epoch -e ip.src -e ipv6.src \
        -e tcp.flags.syn -e tcp.flags.ack -e udp.dstport > "$tmp/${name//\//_}.tsv" 2>/dev/null
    python3 - "${pcap%.pcap}.labels.json" "$tmp/${name//\//_}.tsv" "$name" <<'PY' || fail=1
import ipaddress, json, sys
labels_path, tsv, name = sys.argv[1:4]
bad = []
with open(labels_path) as f:
    lab = json.load(f)
if set(lab) != {"start", "sources"}:
    bad.append("top-level keys %s" % sorted(lab))
srcs = lab.get("sources", {})
want_expect = {"steady": "alert", "hydra": "alert", "burst": "alert", "jittered": "alert",
               "rotating": "alert", "production": "no-high", "browser": "quiet",
               "developer": "quiet", "automation": "quiet",
               "diverse": "alert", "rotating3": "alert", "natted": "alert", "slow": "alert",
               "pool2": "alert", "syncpool": "alert", "jitter-keepalive": "alert",
               "agent": "no-high", "rag": "no-high", "cieval": "no-high", "office": "quiet"}
roles = set(want_expect)
pools = {"hydra": 3, "pool2": 6, "syncpool": 8}
shared = {"natted", "office"}
clusters = {}
first_seen = {}
for ip, v in srcs.items():
    ipaddress.ip_address(ip)
    # The committed scenarios predate first_seen and profiles.
    keys = {"role", "expect", "cluster"} | ({"first_seen"} if "first_seen" in v else set()) \
        | ({"profiles"} if v.get("role") in shared else set())
    if set(v) != keys:
        bad.append("%s: keys %s" % (ip, sorted(v)))
        continue
    if "first_seen" in v:
        first_seen[ip] = v["first_seen"]
    if "profiles" in v:
        parts = {(p["part"], p["client"], p["expect"]) for p in v["profiles"]}
        scripts = [p for p in parts if p[2] == "alert"]
        browsers = [p for p in parts if p[1] == "chromium"]
        if not browsers or (v["role"] == "natted") != bool(scripts):
            bad.append("%s: %s with profiles %s" % (ip, v["role"], sorted(parts)))
    if v["role"] not in roles:
        bad.append("%s: role %r" % (ip, v["role"]))
    elif v["expect"] != want_expect[v["role"]]:
        bad.append("%s: %s expects %r" % (ip, v["role"], v["expect"]))
    if v["expect"] not in ("alert", "quiet", "no-high"):
        bad.append("%s: expect %r" % (ip, v["expect"]))
    if (v["cluster"] is not None) != (v["role"] in pools):
        bad.append("%s: %s with cluster %r" % (ip, v["role"], v["cluster"]))
    if v["cluster"] is not None:
        if not isinstance(v["cluster"], str):
            bad.append("%s: cluster %r is not a string" % (ip, v["cluster"]))
        clusters.setdefault(v["cluster"], []).append(ip)
for cid, ips in clusters.items():
    nets = {ipaddress.ip_network(ip + "/24", strict=False) for ip in ips}
    if len(nets) > pools[srcs[ips[0]]["role"]]:
        bad.append("cluster %s: %d members in %d /24s" % (cid, len(ips), len(nets)))
first = None
clients = set()
seen = {}
for line in open(tsv):
    ts, ip4, ip6, syn, ack, udport = line.rstrip("\n").split("\t")
    if first is None:
        first = float(ts)
    src = ip4 or ip6
    seen.setdefault(src, float(ts))
    if (syn in ("1", "True") and ack in ("0", "False")) or udport == "443":
        clients.add(src)
if first is None:
    bad.append("empty capture")
elif abs(first - lab.get("start", 0)) > 1e-6:
    bad.append("start %r, first packet at %.6f" % (lab.get("start"), first))
missing = sorted(clients - set(srcs))
extra = sorted(set(srcs) - clients)
late = [ip for ip, t in first_seen.items() if ip in seen and abs(seen[ip] - t) > 1e-6]
if late:
    bad.append("first_seen is not the first packet of %s" % late[:5])
if missing:
    bad.append("sources in the pcap but not in the labels: %s" % missing[:10])
if extra:
    bad.append("labelled sources that never open a flow: %s" % extra[:10])
for b in bad[:30]:
    print("FAIL %s: %s" % (name, b))
if not bad:
    per = {}
    for v in srcs.values():
        per[v["role"]] = per.get(v["role"], 0) + 1
    print("ok   %s: %d sources, all labelled (%s), start = first packet"
          % (name, len(srcs), ", ".join("%s %d" % kv for kv in sorted(per.items()))))
sys.exit(1 if bad else 0)
PY
}

check_run() {  # $1: name, rest: generator arguments
    local name=$1
    shift
    "$gen" "$@" --peer "$peer" -q -o "$tmp/$name.pcap"
    verify "$name" "$tmp/$name.pcap"
}

check_run mix mix --duration 20m --scale 0.5 --seed 41
check_run pools pool2,syncpool --duration 20m --scale 2 --seed 44
check_run shared natted,office --duration 30m --scale 2 --seed 45
check_run hydra hydra --duration 6m --scale 2 --seed 42
check_run browser browser --duration 20m --seed 43
# The committed scenarios, as they are.
for f in "$src"/pcaps/scenarios/*.pcap; do
    [ -e "$f" ] || continue
    if [ -e "${f%.pcap}.labels.json" ]; then
        verify "scenarios/$(basename "$f")" "$f"
    else
        echo "FAIL $f: no ${f%.pcap}.labels.json"
        fail=1
    fi
done
exit $fail
