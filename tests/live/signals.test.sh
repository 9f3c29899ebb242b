#!/usr/bin/env bash
# Signals lose nothing. Live: SIGINT 20 ms after a replay ends gives every
# flow's event (reason "shutdown") and a final stats event that counts every
# packet sent. Offline, reading a pipe that stays open: SIGUSR1 gives a stats
# event (at the next packet: a pipe read is resumed, not broken), SIGTERM the
# open flow's event and the final stats, exit 0, nothing cut.
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
command -v tcpreplay >/dev/null || { echo "tcpreplay missing (tools/setup.sh installs it)"; exit 1; }
work=$(mktemp -d)
. "$src/tests/live/veth.sh"
cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null
    [ -n "${writer:-}" ] && kill "$writer" 2>/dev/null
    veth_down; rm -rf "$work"
}
trap cleanup EXIT
veth_up || exit $?
pcap_head "$src/pcaps/clients/python-requests.pcap" 25 "$work/open.pcap" || exit 1
fail=0

# check EVENTS PACKETS: every line whole JSON; each flow ended "shutdown";
# the last event the final stats, having decoded PACKETS packets.
check() {
    python3 - "$1" "$2" <<'PY'
import json, sys
raw, want = open(sys.argv[1]).read(), int(sys.argv[2])
events = [json.loads(l) for l in raw.splitlines()] if raw.endswith("\n") else []
flows = [e for e in events if e["event_type"] == "flow"]
ok = (events and events[-1]["event_type"] == "stats" and flows
      and all(f["flow"]["reason"] == "shutdown" for f in flows)
      and events[-1]["stats"]["decoder"]["pkts"] == want)
fin = events[-1]["stats"] if events else {}
print(("ok   " if ok else "FAIL: ") + f"{len(flows)} flow events "
      f"{[f['flow']['reason'] for f in flows]}, final stats last: decoded "
      f"{fin.get('decoder', {}).get('pkts')} of {want}, capture {fin.get('capture')}")
sys.exit(0 if ok else 1)
PY
}

# 1. Live SIGINT right after the traffic.
"$bin" -i "$a" -v -o "$work/live.json" 2>"$work/live.log" &
pid=$!
wait_listening "$work/live.log" || exit 1
sleep 0.3
ip netns exec "$ns" tcpreplay -i "$b" --topspeed "$src/pcaps/clients/curl.pcap" "$work/open.pcap" \
    >"$work/replay.out" 2>&1 || { echo "tcpreplay failed:"; cat "$work/replay.out"; exit 1; }
sleep 0.02
kill -INT "$pid"; wait "$pid"; rc=$?; pid=
[ $rc -eq 0 ] || { echo "FAIL: live exit $rc after SIGINT"; cat "$work/live.log"; fail=1; }
sent=$(sed -n 's/.*Actual: \([0-9]*\) packets.*/\1/p' "$work/replay.out")
echo -n "live SIGINT: "; check "$work/live.json" "$sent" || fail=1

# 2. Offline from a pipe: 10 packets, a pause, the other 15, then it stays open.
mkfifo "$work/pipe"
# The rest is written only once SIGUSR1 has been sent (the "go" file): the
# stats event it asks for comes with the next packet, whatever the load.
python3 - "$work/open.pcap" "$work/pipe" "$work/go" <<'PY' &
import os, struct, sys, time
data = open(sys.argv[1], "rb").read()
recs, off = [], 24
while off < len(data):
    caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
    recs.append(data[off:off + 16 + caplen]); off += 16 + caplen
with open(sys.argv[2], "wb") as out:
    out.write(data[:24] + b"".join(recs[:10])); out.flush()
    for _ in range(600):
        if os.path.exists(sys.argv[3]):
            break
        time.sleep(0.05)
    time.sleep(0.3)
    out.write(b"".join(recs[10:])); out.flush()
    time.sleep(60)
PY
writer=$!
"$bin" -r "$work/pipe" -o "$work/pipe.json" 2>"$work/pipe.log" &
pid=$!
# SIGUSR1 before the handler is installed would end the sensor: wait until
# /proc says it catches SIGUSR1 (signal 10, bit 9 of SigCgt).
for _ in $(seq 300); do
    cgt=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null)
    [ -n "$cgt" ] && [ $(( 0x$cgt & 0x200 )) -ne 0 ] && break
    sleep 0.05
done
kill -USR1 "$pid"
touch "$work/go"
for _ in $(seq 150); do grep -q '"event_type":"stats"' "$work/pipe.json" 2>/dev/null && break; sleep 0.1; done
if grep -q '"event_type":"stats"' "$work/pipe.json" 2>/dev/null; then
    echo "ok   offline SIGUSR1: a stats event while the pipe is still open"
else
    echo "FAIL: no stats event after SIGUSR1 on a pipe"; fail=1
fi
sleep 1   # the rest of the pipe read, under load too
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ $rc -eq 0 ] || { echo "FAIL: offline exit $rc after SIGTERM"; cat "$work/pipe.log"; fail=1; }
echo -n "offline SIGTERM: "; check "$work/pipe.json" 25 || fail=1
exit $fail
