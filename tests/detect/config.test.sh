#!/usr/bin/env bash
# The configuration file (-c). 1. --check-config (and --check-rules with -c)
# on good and bad files: exit 0 with "FILE: configuration OK", or exit 2 with
# exactly `file:line: why`; a run with a bad file captures nothing. 2. A run
# from a file equals the same run from the command line, and the command
# line overrides the file. 3. SIGHUP on a sensor reading a pipe: a bad file
# is said (file:line: why) and the configuration in use kept; outputs that
# will not open are refused and the old ones kept; a good file switches the
# output, and the events before and after the switch, put together, are
# those of a run without any reload (none lost, none twice).
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
work=$(mktemp -d)
cleanup() {
    [ -n "${writer:-}" ] && kill "$writer" 2>/dev/null
    [ -n "${sensor:-}" ] && kill "$sensor" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail=0
pcap=$src/pcaps/scenarios/rotating.pcap
cfg=$work/c.yaml

# check TEXT RC EXPECTED [ARGS...]: the file TEXT checked; exit RC and
# exactly EXPECTED on stderr (RC 2) or stdout (RC 0).
check() {
    local text=$1 want_rc=$2 want=$3
    shift 3
    printf '%b' "$text" >"$cfg"
    "$bin" -c "$cfg" --rules "$src/rules" "$@" >"$work/out" 2>"$work/err"
    local rc=$? got
    got=$( [ "$want_rc" = 0 ] && cat "$work/out" || cat "$work/err")
    if [ $rc = "$want_rc" ] && [ "$got" = "$want" ]; then
        echo "ok   exit $rc: $got"
    else
        echo "FAIL: $(printf '%b' "$text" | head -3 | tr '\n' '|') $*: exit $rc (want $want_rc)"
        echo "  got:  $got"; echo "  want: $want"; fail=1
    fi
}
ok="$cfg: configuration OK (rules from $src/rules)"
check 'interface: eth0\noutputs:\n  - /tmp/eve.json\nmax-flows: 1000\n' 0 "$ok" --check-config
check 'read: [a.pcap]\nall-tls: yes\n' 0 "$ok" --check-rules
check '# nothing\n' 0 "$ok" --check-config
check "$(cat "$src/etc/distill-sensor.yaml")" 0 "$ok" --check-config
check 'interface: eth0\nmax-flows: lots\n' 2 \
    "distill-sensor: $cfg:2: invalid value 'lots' for max-flows" --check-config
check 'memcap: 1M\n' 2 \
    "distill-sensor: $cfg:1: memcap: '1M' is out of range (48 MiB to 1024 GiB: below 48 MiB the sensor's fixed footprint leaves no room for its pools)" --check-config
check 'rules: /r\nmax-flow: 3\n' 2 "distill-sensor: $cfg:2: unknown key 'max-flow'" --check-config
check 'outputs: eve.json\n' 2 \
    "distill-sensor: $cfg:1: outputs: a list expected ([a, b] or lines of '- a'), not a single value" \
    --check-config
check 'all-tls: maybe\n' 2 "distill-sensor: $cfg:1: all-tls: true or false expected, not 'maybe'" \
    --check-rules
check 'outputs:\n  - kafka:ev\n' 2 "distill-sensor: $cfg:2: outputs: kafka:ev: unknown output scheme (PATH, -, unix-stream:PATH, unix-dgram:PATH, syslog[:FACILITY], redis://HOST:PORT/KEY; a file name with ':' before any '/' is ./NAME)" --check-config
check 'max-flows: 1\n  snaplen: 2\n' 2 \
    "distill-sensor: $cfg:2: mapping values are not allowed in this context" --check-config
check 'read: [a]\ninterface: eth0\n' 2 "distill-sensor: give either -r FILE or -i IFACE (on the command line or as read or interface in the file)
Try 'distill-sensor --help'." --check-config
# Rules the file points at are checked: an error there is exit 2 too.
mkdir -p "$work/badrules" && cp -r "$src/rules/." "$work/badrules/"
echo 'alert ai-harvest (msg:"x"; window:10m; requests:>=oops; sid:9300001; rev:1;)' \
    >"$work/badrules/zz.rules"
printf 'rules: %s\n' "$work/badrules" >"$cfg"
"$bin" -c "$cfg" --check-config >/dev/null 2>"$work/err"; rc=$?
if [ $rc = 2 ] && grep -q "zz.rules:1: " "$work/err"; then
    echo "ok   exit 2: the file's rules directory is checked: $(grep -m1 zz.rules "$work/err")"
else
    echo "FAIL: bad rules from the file: exit $rc"; cat "$work/err"; fail=1
fi
"$bin" -c /nonexistent/ds.yaml --check-config 2>"$work/err"; rc=$?
[ $rc = 2 ] && [ "$(cat "$work/err")" = "distill-sensor: /nonexistent/ds.yaml: No such file or directory" ] &&
    echo "ok   exit 2: a missing file is named" || { echo "FAIL: missing file: exit $rc"; fail=1; }
# A run with a bad file: exit 2 before anything is opened.
printf 'read: [%s]\noutputs: [%s]\nseed: often\n' "$pcap" "$work/never.json" >"$cfg"
"$bin" -c "$cfg" 2>"$work/err"; rc=$?
if [ $rc = 2 ] && [ ! -e "$work/never.json" ] && grep -q "$cfg:3: invalid value 'often' for seed" "$work/err"; then
    echo "ok   a run with a bad file: exit 2, nothing captured or written"
else
    echo "FAIL: a run with a bad file: exit $rc"; cat "$work/err"; fail=1
fi

# 2. The file's run is the command line's; the command line overrides it.
"$bin" -r "$pcap" --all-tls --stats-interval 1 --max-flows 5000 -o "$work/cli.json" 2>/dev/null
printf 'read: [%s]\nall-tls: true\nstats-interval: 1\nmax-flows: 5000\noutputs: [%s]\n' \
    "$pcap" "$work/file.json" >"$cfg"
"$bin" -c "$cfg" 2>/dev/null
"$bin" -c "$cfg" --stats-interval 0 -o "$work/over.json" 2>/dev/null
if cmp -s "$work/cli.json" "$work/file.json" &&
   [ "$(grep -c '"event_type":"stats"' "$work/over.json")" = 1 ] &&
   [ "$(grep -c '"event_type":"stats"' "$work/file.json")" -gt 1 ]; then
    echo "ok   the file's run equals the command line's ($(wc -l <"$work/file.json") events); -o and --stats-interval override it"
else
    echo "FAIL: file run vs command line"; fail=1
fi

# 3. SIGHUP with -c on a sensor reading a pipe, the capture fed in parts.
# (A key read at start-up only that changed is said, and waits for a restart.)
mkfifo "$work/pipe"
python3 "$src/tests/sinks/pcapfeed.py" "$pcap" "$work/pipe" "$work/go" --parts 4 --sleep 0.01 &
writer=$!
printf 'read: [%s]\nall-tls: true\nstats-interval: 1\noutputs: [%s]\n' \
    "$work/pipe" "$work/a.json" >"$cfg"
"$bin" -c "$cfg" -v 2>"$work/log" &
sensor=$!
part() {
    touch "$work/go$1"
    for _ in $(seq 400); do [ -e "$work/go$1.done" ] && return; sleep 0.05; done
    echo "FAIL: part $1 not written"; fail=1
}
wait_log() {  # wait_log REGEX: until the log shows it
    for _ in $(seq 100); do grep -Eq "$1" "$work/log" && return 0; sleep 0.05; done
    echo "FAIL: the log never showed /$1/:"; cat "$work/log"; fail=1
}
part 1
# A bad file: said with its line, everything kept.
printf 'read: [%s]\nall-tls: true\nstats-interval: lots\noutputs: [%s]\n' \
    "$work/pipe" "$work/b.json" >"$cfg"
kill -HUP "$sensor"
part 2
wait_log "not reloaded: keeping the configuration in use"
grep -q "$cfg:3: invalid value 'lots' for stats-interval" "$work/log" &&
    echo "ok   SIGHUP with a bad file: $(grep -m1 "$cfg:3" "$work/log" | sed 's/^distill-sensor: //'); kept" ||
    { echo "FAIL: the bad file's reason is not in the log"; cat "$work/log"; fail=1; }
# Outputs that will not open: refused, the old ones kept.
printf 'read: [%s]\nall-tls: true\nstats-interval: 1\noutputs: [%s]\n' \
    "$work/pipe" "$work/nodir/b.json" >"$cfg"
kill -HUP "$sensor"
part 3
wait_log "the new outputs do not open: keeping the outputs in use" &&
    echo "ok   SIGHUP with outputs that do not open: $(grep -m1 'do not open' "$work/log" | sed 's/^distill-sensor: //')"
# A good file: the output switched; a start-up-only key that changed is said.
printf 'read: [%s]\nall-tls: true\nstats-interval: 1\nmemcap: 256M\noutputs: [%s]\n' \
    "$work/pipe" "$work/b.json" >"$cfg"
kill -HUP "$sensor"
touch "$work/go4"
wait_log "configuration reloaded"
if [ "$(grep -c 'changed: it takes effect at restart' "$work/log")" = 1 ] &&
    grep -q "$cfg: memcap changed: it takes effect at restart" "$work/log"; then
    echo "ok   SIGHUP with a new memcap: $(grep -m1 'memcap changed' "$work/log" | sed 's/^distill-sensor: //')"
else
    echo "FAIL: the changed memcap is not said once, alone:"; grep 'changed' "$work/log"; fail=1
fi
wait "$writer"; writer=
wait "$sensor"; rc=$?; sensor=
python3 - "$work" "$rc" <<'PY' || fail=1
import json, sys
work, rc = sys.argv[1], int(sys.argv[2])
def events(name):
    try:
        return [l for l in open(f"{work}/{name}", "rb").read().splitlines()]
    except FileNotFoundError:
        return []
def flows(lines):  # every event but stats (their output counters differ)
    return [l for l in lines if b'"event_type":"stats"' not in l]
a, b, ref = events("a.json"), events("b.json"), events("cli.json")
ok = (rc == 0 and len(a) > 0 and len(b) > 0 and flows(a) + flows(b) == flows(ref)
      and b'"event_type":"stats"' in b[-1] and not events("nodir/b.json"))
print(("ok   " if ok else "FAIL: ") + f"exit {rc}; before the switch {len(a)} events in a.json, "
      f"after it {len(b)} in b.json; the non-stats events of both, in order, are the "
      f"{len(flows(ref))} of a run without reloads: {flows(a) + flows(b) == flows(ref)}")
sys.exit(0 if ok else 1)
PY
exit $fail
