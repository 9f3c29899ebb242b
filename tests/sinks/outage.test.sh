#!/usr/bin/env bash
# A collector that goes away and comes back loses nothing uncounted. The
# sensor reads rotating.pcap from a pipe in four parts with -o FILE
# -o unix-stream:SOCK and a queue of 5 lines:
#   1. no collector yet (it starts late): events queue, then are dropped;
#   2. collector A is up: the queue goes out first, in order, then the rest;
#   3. A is stopped: events queue, then are dropped;
#   4. collector B is up: delivery resumes.
# Then: A and B together received the file's events in order (a
# subsequence of it), each got some, events were dropped, and received +
# dropped (the sensor's closing count, stderr) = events in the file. The
# capture never waits: the run ends within seconds of the pipe closing.
# A second run with no collector at all: exit 0, every event dropped and
# counted, the output named on stderr.
set -u
. "$DS_SOURCE_DIR/tests/sinks/common.sh"
pcap=$src/pcaps/scenarios/rotating.pcap
sock=$work/s.sock
mkfifo "$work/pipe"

# The capture in four parts, each on cue (touch $work/goN), slowly so the
# sensor's writes spread over the part (pcapfeed.py).
python3 "$src/tests/sinks/pcapfeed.py" "$pcap" "$work/pipe" "$work/go" --parts 4 --sleep 0.02 &
writer=$!
"$bin" -r "$work/pipe" --all-tls --stats-interval 1 --output-queue 5 -o "$work/file.json" \
    -o "unix-stream:$sock" 2>"$work/err" &
sensor=$!
part 1
collector_start stream "$sock" "$work/a.json"; a=$collector
sleep 0.3            # past the backoff: the next event connects
part 2
collector_stop "$a"
part 3
collector_start stream "$sock" "$work/b.json"; b=$collector
sleep 0.3
part 4
wait "$writer"; writer=
start=$(date +%s%N)
wait "$sensor"; rc=$?; sensor=
took=$(( ($(date +%s%N) - start) / 1000000 ))
collector_stop "$b"
python3 - "$work" "$rc" "$took" <<'PY' || fail=1
import re, sys
work, rc, took = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
f = open(f"{work}/file.json", "rb").read().splitlines()
a = open(f"{work}/a.json", "rb").read().splitlines()
b = open(f"{work}/b.json", "rb").read().splitlines()
err = open(f"{work}/err").read()
m = re.search(r"unix-stream:\S+: (\d+) events dropped, (\d+) sent", err)
dropped, sent = (int(m.group(1)), int(m.group(2))) if m else (-1, -1)
it = iter(f)
in_order = all(any(x == y for y in it) for x in a + b)
ok = (rc == 0 and a and b and dropped > 0 and in_order and sent == len(a) + len(b)
      and len(a) + len(b) + dropped == len(f) and took < 3000)
print(("ok   " if ok else "FAIL: ") + f"exit {rc}; file {len(f)} events; A received {len(a)}, "
      f"B {len(b)}, dropped {dropped} (sent {sent}): {len(a) + len(b)} + {dropped} = "
      f"{len(a) + len(b) + dropped}; in the file's order: {in_order}; closed {took} ms "
      f"after the pipe")
sys.exit(0 if ok else 1)
PY
grep -q "unix-stream:$sock: cannot connect" "$work/err" \
    || { echo "FAIL: no message naming the output:"; cat "$work/err"; fail=1; }

# No collector ever: nothing stalls, everything is counted.
start=$(date +%s%N)
"$bin" -r "$pcap" -o "$work/alone.json" -o "unix-stream:$work/none.sock" 2>"$work/err2"
rc=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
n=$(wc -l <"$work/alone.json")
if [ $rc = 0 ] && [ "$took" -lt 3000 ] &&
   grep -q "unix-stream:$work/none.sock: cannot connect: No such file or directory" "$work/err2" &&
   grep -q "unix-stream:$work/none.sock: $n events dropped, 0 sent" "$work/err2"; then
    echo "ok   no collector: exit 0 in $took ms, $n events in the file, $n dropped and counted"
else
    echo "FAIL: no collector: exit $rc in $took ms, $n events:"; cat "$work/err2"; fail=1
fi
exit $fail
