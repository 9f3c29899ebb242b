#!/usr/bin/env bash
# OUT.labels.json has exactly the format of issue 3 and lists every source: every
# address that opens a TCP connection or sends QUIC to port 443 in the pcap is in
# "sources", nothing else is, and "start" is the time of the first packet. Also the
# role semantics the detection tests rely on: harvesters expect "alert", the
# production backend "no-high", the rest "quiet"; only hydra members have a
# cluster, a pool shares one and sits in at most three /24s.
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
roles = {"steady", "hydra", "burst", "jittered", "rotating", "browser", "developer", "production", "automation"}
want_expect = {"steady": "alert", "hydra": "alert", "burst": "alert", "jittered": "alert",
               "rotating": "alert", "production": "no-high", "browser": "quiet",
               "developer": "quiet", "automation": "quiet"}
clusters = {}
for ip, v in srcs.items():
    ipaddress.ip_address(ip)
    if set(v) != {"role", "expect", "cluster"}:
        bad.append("%s: keys %s" % (ip, sorted(v)))
        continue
    if v["role"] not in roles:
        bad.append("%s: role %r" % (ip, v["role"]))
    elif v["expect"] != want_expect[v["role"]]:
        bad.append("%s: %s expects %r" % (ip, v["role"], v["expect"]))
    if v["expect"] not in ("alert", "quiet", "no-high"):
        bad.append("%s: expect %r" % (ip, v["expect"]))
    if (v["cluster"] is not None) != (v["role"] == "hydra"):
        bad.append("%s: %s with cluster %r" % (ip, v["role"], v["cluster"]))
    if v["cluster"] is not None:
        if not isinstance(v["cluster"], str):
            bad.append("%s: cluster %r is not a string" % (ip, v["cluster"]))
        clusters.setdefault(v["cluster"], []).append(ip)
for cid, ips in clusters.items():
    nets = {ipaddress.ip_network(ip + "/24", strict=False) for ip in ips}
    if len(nets) > 3:
        bad.append("cluster %s: %d members in %d /24s" % (cid, len(ips), len(nets)))
first = None
clients = set()
for line in open(tsv):
    ts, ip4, ip6, syn, ack, udport = line.rstrip("\n").split("\t")
    if first is None:
        first = float(ts)
    src = ip4 or ip6
    if (syn in ("1", "True") and ack in ("0", "False")) or udport == "443":
        clients.add(src)
if first is None:
    bad.append("empty capture")
elif abs(first - lab.get("start", 0)) > 1e-6:
    bad.append("start %r, first packet at %.6f" % (lab.get("start"), first))
missing = sorted(clients - set(srcs))
extra = sorted(set(srcs) - clients)
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
