#!/usr/bin/env bash
# syslog output against a datagram socket the test binds in place of
# /dev/log (syslog[:FACILITY]@SOCKET): one RFC 5424 message an event,
# "<PRI>1 TIMESTAMP HOSTNAME distill-sensor PID - - EVENT", PRI facility * 8
# + 6 (info): local5 (174) by default, local3 (158) when asked; the events
# are the file's, in order. A syslog socket that is missing: exit 0, a
# message naming the output, every event counted dropped.
set -u
. "$DS_SOURCE_DIR/tests/sinks/common.sh"
pcap=$src/pcaps/scenarios/hydra.pcap

check() {   # check MESSAGES FILE PRI
    python3 - "$1" "$2" "$3" "$$" <<'PY'
import re, sys
msgs = open(sys.argv[1], "rb").read().splitlines()
f = open(sys.argv[2], "rb").read().splitlines()
pri = sys.argv[3].encode()
head = re.compile(rb"^<" + pri + rb">1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z (\S+) "
                  rb"distill-sensor (\d+) - - (\{.*\})$")
parsed = [head.match(m) for m in msgs]
ok = (len(f) > 20 and all(parsed) and [p.group(3) for p in parsed] == f
      and len({p.group(2) for p in parsed}) == 1)
bad = next((m[:120] for m, p in zip(msgs, parsed) if not p), b"")
print(("ok   " if ok else "FAIL: ") + f"<{pri.decode()}>: {len(msgs)} messages, file {len(f)} "
      f"events; RFC 5424 header, identity and one pid on each: {all(parsed)} {bad!r}; "
      f"the file's events in order: {[p.group(3) for p in parsed if p] == f}")
sys.exit(0 if ok else 1)
PY
}

collector_start dgram "$work/log" "$work/msgs"; c=$collector
"$bin" -r "$pcap" -o "$work/file.json" -o "syslog@$work/log" 2>"$work/err" || fail=1
collector_stop "$c"
check "$work/msgs" "$work/file.json" 174 || fail=1

rm -f "$work/msgs"
collector_start dgram "$work/log" "$work/msgs"; c=$collector
"$bin" -r "$pcap" -o "$work/file3.json" -o "syslog:local3@$work/log" 2>>"$work/err" || fail=1
collector_stop "$c"
check "$work/msgs" "$work/file3.json" 158 || fail=1
[ -s "$work/err" ] && { echo "FAIL: stderr:"; cat "$work/err"; fail=1; }

"$bin" -r "$pcap" -o "$work/f.json" -o "syslog:daemon@$work/missing/log" 2>"$work/err2"
rc=$?
n=$(wc -l <"$work/f.json")
if [ $rc = 0 ] && grep -q "syslog:daemon@$work/missing/log: cannot connect" "$work/err2" &&
   grep -q "$n events dropped, 0 sent" "$work/err2"; then
    echo "ok   missing syslog socket: exit 0, named, $n events dropped and counted"
else
    echo "FAIL: missing syslog socket: exit $rc:"; cat "$work/err2"; fail=1
fi
exit $fail
