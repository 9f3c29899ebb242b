#!/usr/bin/env bash
# Live capture: a veth pair with one end in a network namespace of the test's
# own; tcpreplay sends a capture into that end and `distill-sensor -i` listens
# on the other. The flow events must match `-r` on the same capture in every
# field that does not depend on arrival time. Then every scenario capture at
# top speed while another process keeps a core busy: with the default buffer
# the kernel drops nothing and every packet sent is decoded.
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
pcap=${1:-$(ls "$src"/pcaps/clients/curl*.pcap "$src"/pcaps/clients/*.pcap 2>/dev/null | head -1)}
[ -n "$pcap" ] || { echo "no capture to replay"; exit 1; }
command -v tcpreplay >/dev/null || { echo "tcpreplay missing (tools/setup.sh installs it)"; exit 1; }
work=$(mktemp -d)
. "$src/tests/live/veth.sh"
cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null
    [ -n "${busy:-}" ] && kill "$busy" 2>/dev/null
    veth_down
    rm -rf "$work"
}
trap cleanup EXIT
veth_up || exit $?

"$bin" -r "$pcap" -o "$work/offline.json" || exit 1
"$bin" -i "$a" -v -o "$work/live.json" 2>"$work/live.err" &
pid=$!
wait_listening "$work/live.err" || exit 1
sleep 0.3
ip netns exec "$ns" tcpreplay -q -i "$b" --mbps 50 "$pcap" >"$work/replay.out" 2>&1 || {
    echo "tcpreplay failed:"; cat "$work/replay.out"; exit 1; }
sleep 1
kill -INT "$pid"
wait "$pid"; rc=$?; pid=
[ $rc -eq 0 ] || { echo "live sensor exit $rc"; cat "$work/live.err"; exit 1; }
python3 - "$work/offline.json" "$work/live.json" <<'PY' || exit 1
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

# Top speed, one core kept busy, default buffer: 80,260 packets (37 MB) in
# about 0.3 s. With libpcap's 2 MiB buffer the kernel dropped about 1,850 here.
"$bin" -i "$a" -v -o "$work/fast.json" 2>"$work/fast.err" &
pid=$!
wait_listening "$work/fast.err" || exit 1
sleep 0.3
( while :; do :; done ) &
busy=$!
ip netns exec "$ns" tcpreplay -i "$b" --topspeed --loop 5 "$src"/pcaps/scenarios/*.pcap >"$work/fast.out" 2>&1 || {
    echo "tcpreplay failed:"; cat "$work/fast.out"; exit 1; }
kill "$busy"; busy=
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ $rc -eq 0 ] || { echo "live sensor exit $rc"; cat "$work/fast.err"; exit 1; }
python3 - "$work/fast.json" "$work/fast.out" <<'PY'
import json, re, sys
fin = json.loads(open(sys.argv[1]).read().splitlines()[-1])["stats"]
out = open(sys.argv[2]).read()
sent = int(re.search(r"Actual: (\d+) packets", out).group(1))
rate = re.search(r"Rated: .*?([\d.]+) Mbps", out).group(1)
cap, got = fin["capture"], fin["decoder"]["pkts"]
print(f"top speed, one core busy: {sent} packets at {rate} Mbit/s; kernel {cap}, decoded {got}")
sys.exit(0 if cap["kernel_drops"] == 0 and cap["kernel_ifdrops"] == 0 and got == sent else 1)
PY
