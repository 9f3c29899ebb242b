#!/usr/bin/env bash
# Live time: with --stats-interval 2 on a live interface, once the traffic
# stops, stats events keep coming and a closed TLS flow is reported on its
# 30 s closing timeout (reason "timeout", not "shutdown"); SIGUSR1 gives a
# stats event at once; SIGTERM gives the open flow's event (reason
# "shutdown") and a final stats event, the file is complete, and every
# stats event carries the capture.kernel_* counters. About 35 s.
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
command -v tcpreplay >/dev/null || { echo "tcpreplay missing (tools/setup.sh installs it)"; exit 1; }
work=$(mktemp -d)
. "$src/tests/live/veth.sh"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; veth_down; rm -rf "$work"; }
trap cleanup EXIT
veth_up || exit $?
closed=$src/pcaps/clients/curl.pcap                    # one AI flow, FIN both ways
pcap_head "$src/pcaps/clients/python-requests.pcap" 25 "$work/open.pcap" || exit 1 # one AI flow, still open
ev=$work/events.json
count() { grep -c "$1" "$ev" 2>/dev/null || true; }
now() { echo $(($(date +%s%N) / 1000000)); }   # ms
# wait_more PATTERN N MS: until more than N lines match (or fail).
wait_more() {
    local end=$(($(now) + $3))
    while [ "$(count "$1")" -le "$2" ]; do
        [ "$(now)" -gt "$end" ] && return 1
        sleep 0.02
    done
}
fail=0

"$bin" -i "$a" -v --stats-interval 2 -o "$ev" 2>"$work/log" &
pid=$!
wait_listening "$work/log" || exit 1
sleep 0.3
ip netns exec "$ns" tcpreplay -q -i "$b" --mbps 50 "$closed" "$work/open.pcap" >"$work/replay.out" 2>&1 || {
    echo "tcpreplay failed:"; cat "$work/replay.out"; exit 1; }
t0=$(now)

# 1. The closed flow, on its 30 s timeout, while nothing else comes.
if ! wait_more '"event_type":"flow"' 0 40000; then
    echo "FAIL: no flow event within 40 s of the last packet"; fail=1
fi
t1=$(now)
waited=$((t1 - t0))
stats_seen=$(count '"event_type":"stats"')

# 2. SIGUSR1 right after an interval's stats event: the next one is 2 s off,
#    so a stats event within 0.5 s is the signal's.
wait_more '"event_type":"stats"' "$stats_seen" 3000 || { echo "FAIL: interval stats stopped"; fail=1; }
before=$(count '"event_type":"stats"')
t2=$(now)
kill -USR1 "$pid"
if wait_more '"event_type":"stats"' "$before" 500; then
    echo "ok   SIGUSR1: stats event after $(($(now) - t2)) ms"
else
    echo "FAIL: no stats event within 0.5 s of SIGUSR1"; fail=1
fi

# 3. SIGTERM: the open flow ends (shutdown), final stats, exit 0.
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ $rc -eq 0 ] || { echo "FAIL: exit $rc after SIGTERM"; cat "$work/log"; fail=1; }
python3 - "$ev" "$waited" <<'PY' || fail=1
import json, sys
path, waited = sys.argv[1], int(sys.argv[2]) / 1000
raw = open(path).read()
bad = 0
def check(ok, what):
    global bad
    print(("ok   " if ok else "FAIL: ") + what)
    bad += not ok
check(raw.endswith("\n"), "the file ends with a whole line")
events = [json.loads(l) for l in raw.splitlines()]
flows = {e["src_port"]: e for e in events if e["event_type"] == "flow"}
stats = [e for e in events if e["event_type"] == "stats"]
c, o = flows.get(36954), flows.get(36970)
check(c is not None and c["flow"]["reason"] == "timeout",
      f'closed flow reason: {c and c["flow"]["reason"]} (want timeout)')
check(28 <= waited <= 34, f"closed flow reported {waited:.1f} s after the last packet (timeout 30 s)")
first_flow = next((e for e in events if e["event_type"] == "flow"), {})
check(first_flow.get("src_port") == 36954, "the closed flow is the first flow event")
quiet = [s for s in stats if s["timestamp"] > c["flow"]["end"]] if c else []
check(len(quiet) >= 14, f"{len(quiet)} stats events after the last packet (>= 14 in 30 s at 2 s)")
check(o is not None and o["flow"]["reason"] == "shutdown",
      f'open flow at SIGTERM: {o and o["flow"]["reason"]} (want shutdown)')
check(bool(stats) and events[-1]["event_type"] == "stats", "the last event is the final stats")
keys = ("kernel_packets", "kernel_drops", "kernel_ifdrops")
check(all(all(k in s["stats"].get("capture", {}) for k in keys) for s in stats),
      f"all {len(stats)} stats events carry capture.kernel_*")
fin = stats[-1]["stats"] if stats else {"capture": {}, "decoder": {}}
check(fin["capture"].get("kernel_packets", -1) == fin["decoder"].get("pkts")
      and fin["capture"].get("kernel_drops") == 0,
      f'final stats: kernel {fin["capture"]}, decoded {fin["decoder"].get("pkts")}')
sys.exit(1 if bad else 0)
PY
exit $fail
