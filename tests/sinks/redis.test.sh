#!/usr/bin/env bash
# The redis output against a real redis-server the test starts on a
# loopback port. 1. -o FILE -o redis list -o redis stream -o unix-stream: the
# list, the stream and the socket's collector hold the file's events, in
# order. 2. An outage mid-replay (the capture from a pipe, --output-queue 5): part 1 with redis up; redis is
# paused for writes, its list read and the server killed; part 2 with redis
# down; a new server; parts 3 and 4. The events read before the kill and
# those in the new server's list are the file's, in order, and sent +
# dropped (the sensor's closing count) = events in the file; the two lists
# may share the events that were stored but whose replies the kill lost
# (delivery is at least once). A refusing redis: counted drops, exit 0.
# Bad specs are usage errors.
set -u
. "$DS_SOURCE_DIR/tests/sinks/common.sh"
command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    { echo "redis-server missing (tools/packages.d/core.txt)"; exit 77; }
pcap=$src/pcaps/scenarios/rotating.pcap
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
rcli() { redis-cli -p "$port" "$@"; }
redis_start

collector_start stream "$work/u.sock" "$work/unix.json"; cu=$collector
"$bin" -r "$pcap" --all-tls --stats-interval 1 -o "$work/file.json" \
    -o "redis://127.0.0.1:$port/ev" -o "redis://127.0.0.1:$port/st?mode=stream" \
    -o "unix-stream:$work/u.sock" 2>"$work/err0"
rc=$?
collector_stop "$cu"
rcli LRANGE ev 0 -1 >"$work/list.json"
rcli XRANGE st - + | awk 'NR % 3 == 0' >"$work/stream.json"   # id, field, value
if [ $rc = 0 ] && [ "$(wc -l <"$work/file.json")" -gt 100 ] && [ ! -s "$work/err0" ] &&
   cmp -s "$work/file.json" "$work/list.json" && cmp -s "$work/file.json" "$work/stream.json" &&
   cmp -s "$work/file.json" "$work/unix.json"; then
    echo "ok   file, redis list, redis stream and unix socket in one run: $(wc -l <"$work/file.json") identical events in order"
else
    echo "FAIL: exit $rc; file $(wc -l <"$work/file.json"), list $(wc -l <"$work/list.json"), stream $(wc -l <"$work/stream.json"), unix $(wc -l <"$work/unix.json")"
    cat "$work/err0"; fail=1
fi
rcli DEL ev st >/dev/null

mkfifo "$work/pipe"
python3 "$src/tests/sinks/pcapfeed.py" "$pcap" "$work/pipe" "$work/go" --parts 4 --sleep 0.02 &
writer=$!
"$bin" -r "$work/pipe" --all-tls --stats-interval 1 --output-queue 5 -o "$work/f2.json" \
    -o "redis://127.0.0.1:$port/ev" 2>"$work/err" &
sensor=$!
part 1
sleep 0.2
rcli CLIENT PAUSE 100000 WRITE >/dev/null
rcli LRANGE ev 0 -1 >"$work/a.json"
kill -9 "$redis"; wait "$redis" 2>/dev/null
part 2
redis_start
sleep 0.3
part 3
part 4
wait "$writer"; writer=
wait "$sensor"; rc=$?; sensor=
rcli LRANGE ev 0 -1 >"$work/b.json"
python3 - "$work" "$rc" <<'PY' || fail=1
import re, sys
work, rc = sys.argv[1], int(sys.argv[2])
f = open(f"{work}/f2.json", "rb").read().splitlines()
a = open(f"{work}/a.json", "rb").read().splitlines()
b = open(f"{work}/b.json", "rb").read().splitlines()
err = open(f"{work}/err").read()
m = re.search(r"redis://\S+: (\d+) events dropped, (\d+) sent", err)
dropped, sent = (int(m.group(1)), int(m.group(2))) if m else (-1, -1)
k = next(k for k in range(min(len(a), len(b)), -1, -1) if a[len(a) - k:] == b[:k])
got = a + b[k:]
it = iter(f)
in_order = all(any(x == y for y in it) for x in got)
ok = (rc == 0 and a and len(b) > k and dropped > 0 and in_order and sent == len(got)
      and len(got) + dropped == len(f) and "connected" in err)
print(("ok   " if ok else "FAIL: ") + f"exit {rc}; file {len(f)} events; before the kill {len(a)}, "
      f"after {len(b)} ({k} stored twice); dropped {dropped}, sent {sent}: {len(got)} + {dropped} = "
      f"{len(got) + dropped}; in the file's order: {in_order}")
sys.exit(0 if ok else 1)
PY

# A port where nothing listens: no stall, every event counted dropped.
kill "$redis"; wait "$redis" 2>/dev/null
"$bin" -r "$pcap" -o "$work/f3.json" -o "redis://127.0.0.1:$port/ev" 2>"$work/err3"
r=$?
n=$(wc -l <"$work/f3.json")
if [ $r = 0 ] && grep -q "redis://127.0.0.1:$port/ev: Connection refused" "$work/err3" &&
   grep -q "$n events dropped, 0 sent" "$work/err3"; then
    echo "ok   refusing redis: exit 0, named, $n events dropped and counted"
else
    echo "FAIL: refusing redis: exit $r: $(cat "$work/err3")"; fail=1
fi

for bad in "redis://127.0.0.1/ev" "redis://127.0.0.1:0/ev" "redis://h:1/" "redis://h:1/k?mode=set"; do
    "$bin" -r "$pcap" -o "$bad" >/dev/null 2>"$work/bad.err"
    r=$?
    if [ $r = 2 ] && grep -q -- "-o $bad: " "$work/bad.err"; then
        echo "ok   -o $bad: exit 2, $(cat "$work/bad.err")"
    else
        echo "FAIL: -o $bad: exit $r: $(cat "$work/bad.err")"; fail=1
    fi
done
exit $fail
