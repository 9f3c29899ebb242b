#!/usr/bin/env bash
# Live capture: a veth pair with one end in a network namespace of the test's
# own; tcpreplay sends a capture into that end and `distill-sensor -i` listens
# on the other. The flow events must match `-r` on the same capture in every
# field that does not depend on arrival time.
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
pcap=${1:-$(ls "$src"/pcaps/clients/curl*.pcap "$src"/pcaps/clients/*.pcap 2>/dev/null | head -1)}
[ -n "$pcap" ] || { echo "no capture to replay"; exit 1; }
command -v tcpreplay >/dev/null || { echo "tcpreplay missing (tools/setup.sh installs it)"; exit 1; }
ns=dsns$$ a=dsa$$ b=dsb$$
work=$(mktemp -d)
cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null
    ip link del "$a" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
if ! ip netns add "$ns" 2>"$work/err"; then
    echo "SKIP: cannot make a network namespace here: $(cat "$work/err")"; exit 77
fi
if ! ip link add "$a" type veth peer name "$b" 2>"$work/err"; then
    echo "SKIP: cannot make a veth pair here: $(cat "$work/err")"; exit 77
fi
ip link set "$b" netns "$ns" || exit 1
# Loopback captures carry frames far above 1500 bytes; veth takes up to 65535.
ip link set "$a" mtu 65535 up || exit 1
ip netns exec "$ns" ip link set "$b" mtu 65535 up || exit 1
# Only the replayed capture's traffic: no IPv6 chatter of the new link.
sysctl -qw "net.ipv6.conf.$a.disable_ipv6=1" 2>/dev/null

"$bin" -r "$pcap" -o "$work/offline.json" || exit 1
"$bin" -i "$a" -v -o "$work/live.json" 2>"$work/live.err" &
pid=$!
for _ in $(seq 50); do grep -q "listening on" "$work/live.err" && break; sleep 0.1; done
grep -q "listening on" "$work/live.err" || { echo "sensor did not start:"; cat "$work/live.err"; exit 1; }
sleep 0.3
ip netns exec "$ns" tcpreplay -q -i "$b" --mbps 50 "$pcap" >"$work/replay.out" 2>&1 || {
    echo "tcpreplay failed:"; cat "$work/replay.out"; exit 1; }
sleep 1
kill -INT "$pid"
wait "$pid"; rc=$?; pid=
[ $rc -eq 0 ] || { echo "live sensor exit $rc"; cat "$work/live.err"; exit 1; }
python3 - "$work/offline.json" "$work/live.json" <<'PY'
import json, sys
def flows(path):
    out = {}
    for line in open(path):
        ev = json.loads(line)
        if ev["event_type"] != "flow":
            continue
        key = (ev["src_ip"], ev["src_port"], ev["dest_ip"], ev["dest_port"], ev["proto"])
        tls = ev.get("tls") or ev.get("quic") or {}
        f = ev["flow"]
        out[key] = {
            "sni": tls.get("sni"), "ja3": tls.get("ja3"), "ja3s": tls.get("ja3s"),
            "ja4": tls.get("ja4"), "version": tls.get("version"),
            "ai": ev.get("ai", {}).get("provider"),
            "pkts": (f["pkts_toserver"], f["pkts_toclient"]),
            "bytes": (f["bytes_toserver"], f["bytes_toclient"]),
            "turns": ev.get("exchanges", {}).get("count"),
            "req": ev.get("exchanges", {}).get("request_bytes"),
            "resp": ev.get("exchanges", {}).get("response_bytes"),
        }
    return out
off, live = flows(sys.argv[1]), flows(sys.argv[2])
live_stats = [json.loads(l) for l in open(sys.argv[2]) if '"stats"' in l]
if not off:
    print("offline run found no AI flows in the capture"); sys.exit(1)
bad = 0
for k, v in off.items():
    if live.get(k) != v:
        print("MISMATCH", k, "\n  offline:", v, "\n  live:   ", live.get(k)); bad += 1
print(f"{len(off)} offline flows, {len(live)} live flows, {bad} mismatches")
if not live_stats or "capture" not in live_stats[-1]["stats"]:
    print("live stats event lacks capture.kernel_* counters"); bad += 1
else:
    print("live stats:", live_stats[-1]["stats"]["capture"])
sys.exit(1 if bad or len(live) != len(off) else 0)
PY
