#!/usr/bin/env bash
# SIGHUP on a running sensor: bad rules are refused and the old ones kept
# (said on stderr); good rules are taken; the output file is reopened after
# rotation; SIGINT then ends it cleanly with its final stats. Runs `-i lo`
# inside a network namespace of its own so no other traffic is seen.
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
ns=dsrl$$
work=$(mktemp -d)
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; ip netns del "$ns" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
if ! ip netns add "$ns" 2>"$work/err"; then
    echo "SKIP: cannot make a network namespace here: $(cat "$work/err")"; exit 77
fi
ip netns exec "$ns" ip link set lo up || exit 1
cp -r "$src/rules" "$work/r"
ip netns exec "$ns" "$bin" -i lo -v --rules "$work/r" -o "$work/events.json" 2>"$work/log" &
pid=$!
wait_for() {  # wait_for REGEX: until the log shows it
    for _ in $(seq 50); do grep -Eq "$1" "$work/log" && return 0; sleep 0.1; done
    echo "FAIL: log never showed /$1/:"; cat "$work/log"; exit 1
}
wait_for "listening on lo"
fail=0
# 1. A broken rule file: refused, old rules kept.
echo 'alert ai-harvest (msg:"broken"; window:10m; requests:>=oops; sid:9200001; rev:1;)' >"$work/r/zz.rules"
kill -HUP "$pid"
wait_for "keeping the"
grep -q "zz.rules:1: " "$work/log" || { echo "FAIL: reload error lacks file:line"; fail=1; }
echo "ok   bad reload refused: $(grep -m1 'zz.rules:1' "$work/log")"
# 2. Fixed: taken.
echo 'alert ai-harvest (msg:"fixed"; window:10m; requests:>=1000000; sid:9200001; rev:1;)' >"$work/r/zz.rules"
kill -HUP "$pid"
wait_for "signatures reloaded: [0-9]+ rules"
echo "ok   good reload taken: $(grep -m1 'signatures reloaded' "$work/log")"
# 3. Rotation: the file moved away, SIGHUP makes a new one.
mv "$work/events.json" "$work/events.json.1"
kill -HUP "$pid"
for _ in $(seq 50); do [ -e "$work/events.json" ] && break; sleep 0.1; done
[ -e "$work/events.json" ] || { echo "FAIL: output not reopened after rotation"; fail=1; }
kill -INT "$pid"; wait "$pid"; rc=$?; pid=
[ $rc -eq 0 ] || { echo "FAIL: exit $rc after SIGINT"; cat "$work/log"; fail=1; }
grep -q '"event_type":"stats"' "$work/events.json" || { echo "FAIL: no final stats in the new file"; fail=1; }
[ $fail = 0 ] && echo "ok   rotation and clean stop"
exit $fail
