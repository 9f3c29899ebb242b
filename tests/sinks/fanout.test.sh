#!/usr/bin/env bash
# Several outputs at once: a file, a unix stream socket and a unix datagram
# socket, each with a collector the test binds, get the same events in the
# same order, the final stats event included (by then each socket has
# sent or still queues every earlier one, and dropped none); the stats keep
# sensor.output.{events,write_errors} (the first output's) and add one object
# per output. An unknown scheme is a usage error that names the output.
set -u
. "$DS_SOURCE_DIR/tests/sinks/common.sh"
pcap=$src/pcaps/scenarios/rotating.pcap

collector_start stream "$work/s.sock" "$work/stream.json"; cs=$collector
collector_start dgram "$work/d.sock" "$work/dgram.json"; cd=$collector
"$bin" -r "$pcap" --all-tls --stats-interval 1 -o "$work/file.json" \
    -o "unix-stream:$work/s.sock" -o "unix-dgram:$work/d.sock" 2>"$work/err"
rc=$?
collector_stop "$cs"; collector_stop "$cd"
python3 - "$work" "$rc" <<'PY' || fail=1
import json, sys
work, rc = sys.argv[1], int(sys.argv[2])
f = open(f"{work}/file.json", "rb").read().splitlines()
s = open(f"{work}/stream.json", "rb").read().splitlines()
d = open(f"{work}/dgram.json", "rb").read().splitlines()
last = json.loads(f[-1])
o = last.get("sensor", {}).get("output", {})
ok = (rc == 0 and len(f) > 100 and f == s == d and last["event_type"] == "stats"
      and o.get("events") == len(f) - 1 and o.get("write_errors") == 0
      and o["file_1"]["events"] == len(f) - 1
      and all(o[k]["events"] + o[k]["queued"] == len(f) - 1 and o[k]["dropped"] == 0
              for k in ("unix_stream_2", "unix_dgram_3")))
print(("ok   " if ok else "FAIL: ") + f"exit {rc}; file {len(f)} events, stream {len(s)}, "
      f"dgram {len(d)}, identical and in order: {f == s == d}; final sensor.output {o}")
sys.exit(0 if ok else 1)
PY
[ -s "$work/err" ] && { echo "FAIL: stderr not empty:"; cat "$work/err"; fail=1; }

# One file output alone: sensor.output as before, no per-output object.
"$bin" -r "$pcap" -o "$work/one.json" 2>/dev/null
if tail -1 "$work/one.json" | grep -q '"output":{"events":[0-9]*,"write_errors":0}'; then
    echo "ok   one file: sensor.output is {events, write_errors} alone"
else
    echo "FAIL: one file: $(tail -1 "$work/one.json" | grep -o '"output":{[^}]*}')"; fail=1
fi

for bad in "kafka:events" "syslog:local9" "unix-stream:"; do
    "$bin" -r "$pcap" -o "$work/x.json" -o "$bad" 2>"$work/bad.err" >/dev/null
    rc=$?
    if [ $rc = 2 ] && grep -q -- "-o $bad: " "$work/bad.err" && [ ! -e "$work/x.json" ]; then
        echo "ok   -o $bad: exit 2, $(head -1 "$work/bad.err")"
    else
        echo "FAIL: -o $bad: exit $rc, $(cat "$work/bad.err")"; fail=1
    fi
done
exit $fail
