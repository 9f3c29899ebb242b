#!/usr/bin/env bash
# --metrics: a bad ADDR:PORT is a usage error (exit 2) and a port in use a
# start-up failure (exit 1), each with a clear message. Live on a veth pair:
# /metrics counts every packet tcpreplay sent and the capture's AI flow by
# provider, passes `promtool check metrics`, is fresh to the second at the
# next scrape; other paths are 404, other methods 405; 16 idle connections
# holding every slot of the server neither stall the capture nor keep a
# later scrape out for long (the connection timeout frees them); SIGTERM
# still ends the run cleanly. With -Z, the server's thread runs with the
# dropped rights.
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
command -v tcpreplay >/dev/null || { echo "tcpreplay missing (tools/setup.sh installs it)"; exit 1; }
command -v promtool >/dev/null || { echo "promtool missing (package prometheus; tools/setup.sh installs it)"; exit 1; }
command -v curl >/dev/null || { echo "curl missing"; exit 1; }
pcap=$src/pcaps/clients/curl.pcap
work=$(mktemp -d)
. "$src/tests/live/veth.sh"
cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null
    [ -n "${holder:-}" ] && kill "$holder" 2>/dev/null
    [ -n "${idle:-}" ] && kill "$idle" 2>/dev/null
    veth_down; rm -rf "$work"
}
trap cleanup EXIT
fail=0

# A loopback port held open by a process of ours ($holder), and its number.
python3 - "$work/port" <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(120)
PY
holder=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
busy=$(cat "$work/port")

# 1. Bad addresses: usage errors naming the option.
for spec in 9477 1.2.3:9477 127.0.0.1:0 127.0.0.1:65536 ::1:9477 '[::1:9477' host.example:9477; do
    "$bin" --metrics "$spec" -r "$pcap" -o /dev/null 2>"$work/err"; rc=$?
    if [ $rc -eq 2 ] && grep -qF -- "--metrics $spec" "$work/err"; then
        echo "ok   --metrics $spec: exit 2: $(cat "$work/err")"
    else
        echo "FAIL: --metrics $spec: exit $rc: $(cat "$work/err")"; fail=1
    fi
done

# 2. The port in use: exit 1 at start-up, the address and the reason named.
"$bin" --metrics "127.0.0.1:$busy" -r "$pcap" -o "$work/busy.json" 2>"$work/err"; rc=$?
if [ $rc -eq 1 ] && grep -q "cannot listen on 127.0.0.1:$busy: Address already in use" "$work/err" &&
   [ ! -s "$work/busy.json" ]; then
    echo "ok   port in use: exit 1: $(cat "$work/err")"
else
    echo "FAIL: port in use: exit $rc: $(cat "$work/err")"; fail=1
fi
kill "$holder"; wait "$holder" 2>/dev/null; holder=
port=$busy   # free again

# 3. -Z: the server's thread starts after the drop, so it has the dropped
# rights too (capabilities, the bounding set and NoNewPrivs are per thread),
# while its socket, opened before, may be a privileged port.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    # A free port below 1024.
    low=$(python3 -c '
import socket
for p in range(900, 1024):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()')
    mkfifo "$work/pipe"
    (cat "$pcap"; sleep 3) >"$work/pipe" &
    "$bin" -Z nobody --metrics "127.0.0.1:$low" -r "$work/pipe" -o /dev/null 2>"$work/z.log" &
    pid=$!
    for _ in $(seq 50); do
        [ "$(ls "/proc/$pid/task" 2>/dev/null | wc -l)" -ge 2 ] && break; sleep 0.1
    done
    sleep 0.2
    tasks=0 bad=0
    for t in /proc/$pid/task/*; do
        tasks=$((tasks + 1))
        st=$(grep -E '^(Uid|CapPrm|CapEff|CapBnd|NoNewPrivs):' "$t/status")
        echo "$st" | grep -qE '^Uid:\s+0\b|^Cap(Prm|Eff|Bnd):\s+0*[1-9a-f]|^NoNewPrivs:\s+0' &&
            { bad=1; echo "$t:"; echo "$st"; }
    done
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$low/metrics")
    if [ $tasks -ge 2 ] && [ $bad = 0 ] && [ "$code" = 200 ]; then
        echo "ok   -Z nobody: $tasks threads, none with a capability, a bounding set or root; port $low served"
    else
        echo "FAIL: -Z nobody: $tasks threads, bad $bad, GET on port $low: $code"; cat "$work/z.log"; fail=1
    fi
    wait "$pid"; pid=
else
    echo "skip -Z: not root or no user nobody"
fi

# 4. Live.
veth_up || exit $?
url=http://127.0.0.1:$port/metrics
"$bin" -i "$a" -v --metrics "127.0.0.1:$port" -o "$work/live.json" 2>"$work/live.log" &
pid=$!
wait_listening "$work/live.log" || exit 1

# scrape NAME: the body of GET /metrics into $work/NAME.txt, promtool's verdict.
scrape() {
    curl -sf --max-time 20 -o "$work/$1.txt" "$url" || { echo "FAIL: GET $url failed"; return 1; }
    if ! promtool check metrics <"$work/$1.txt" >"$work/$1.lint" 2>&1; then
        echo "FAIL: promtool check metrics ($1):"; cat "$work/$1.lint"; return 1
    fi
}
# value NAME SERIES: the value of SERIES (as written, labels included) in NAME.txt.
value() {
    awk -v s="$2" '$1 == s { print $2 }' "$work/$1.txt"
}
# until_value SERIES WANT: scrapes until SERIES is WANT (5 s at most).
until_value() {
    for _ in $(seq 10); do
        scrape poll || return 1
        [ "$(value poll "$1")" = "$2" ] && return 0
        sleep 0.5
    done
    echo "FAIL: $1 is $(value poll "$1"), not $2"; return 1
}

scrape first || fail=1
[ "$(value first distill_sensor_rules_loaded)" -gt 0 ] 2>/dev/null ||
    { echo "FAIL: no rules_loaded in the first scrape"; fail=1; }

# Every slot of the server held by a client that sends nothing.
python3 - "$port" <<'PY' &
import socket, sys, time
held = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(16)]
time.sleep(60)
PY
idle=$!
sleep 0.5
ip netns exec "$ns" tcpreplay -i "$b" --topspeed "$pcap" >"$work/replay.out" 2>&1 ||
    { echo "tcpreplay failed:"; cat "$work/replay.out"; exit 1; }
sent=$(sed -n 's/.*Actual: \([0-9]*\) packets.*/\1/p' "$work/replay.out")
# The capture went on while the server was full: the sensor's own stats
# (SIGUSR1) count every packet (a second for the capture's ring to hand
# them over).
sleep 1
kill -USR1 "$pid"
for _ in $(seq 50); do grep -q '"event_type":"stats"' "$work/live.json" 2>/dev/null && break; sleep 0.1; done
got=$(python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if "\"stats\"" in l]
print(ev[-1]["stats"]["decoder"]["pkts"] if ev else -1)' "$work/live.json")
if [ "$got" = "$sent" ]; then
    echo "ok   16 idle connections: the capture went on ($got of $sent packets)"
else
    echo "FAIL: with the server full the capture decoded $got of $sent packets"; fail=1
fi
# A scrape now waits for a slot: the idle connections time out (10 s).
start=$(date +%s)
if until_value distill_sensor_packets_total "$sent"; then
    echo "ok   scrape after idle connections ($(( $(date +%s) - start )) s): packets_total $sent"
else
    fail=1
fi
kill "$idle" 2>/dev/null; wait "$idle" 2>/dev/null; idle=

scrape after || fail=1
for series in 'distill_sensor_provider_flows_total{provider="openai"} 1' \
              'distill_sensor_ai_flows_total 1' \
              'distill_sensor_followed_flows_total 1' \
              'distill_sensor_flows_active 1' \
              'distill_sensor_sink_events_total{sink="file_1"} 1' \
              'distill_sensor_rule_reload_failures_total 0'; do
    name=${series% *} want=${series##* }
    if [ "$(value after "$name")" = "$want" ]; then
        echo "ok   $series"
    else
        echo "FAIL: $name is '$(value after "$name")', not $want"; fail=1
    fi
done
for name in distill_sensor_kernel_packets_total distill_sensor_kernel_drops_total \
            'distill_sensor_memory_bytes{pool="flows"}' \
            'distill_sensor_alerts_total{sid="9000001",severity="1"}' \
            'distill_sensor_decode_errors_total{kind="not_ip"}'; do
    [ -n "$(value after "$name")" ] || { echo "FAIL: no $name"; fail=1; }
done

# SIGHUP: a reload counted; then more traffic, fresh at the next scrape.
kill -HUP "$pid"
until_value distill_sensor_rule_reloads_total 1 && echo "ok   SIGHUP: rule_reloads_total 1" || fail=1
ip netns exec "$ns" tcpreplay -i "$b" --topspeed "$pcap" >"$work/replay2.out" 2>&1 ||
    { echo "tcpreplay failed:"; cat "$work/replay2.out"; exit 1; }
sleep 1.1   # the last text is over a second old: this scrape asks for a new one
scrape fresh || fail=1
if [ "$(value fresh distill_sensor_packets_total)" = "$((2 * sent))" ]; then
    echo "ok   fresh at the next scrape: packets_total $((2 * sent))"
else
    echo "FAIL: packets_total $(value fresh distill_sensor_packets_total) after a second replay, not $((2 * sent))"
    fail=1
fi

# Other paths and methods.
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
[ "$code" = 404 ] && echo "ok   GET / is 404" || { echo "FAIL: GET / is $code"; fail=1; }
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/x")
[ "$code" = 404 ] && echo "ok   GET /metrics/x is 404" || { echo "FAIL: GET /metrics/x is $code"; fail=1; }
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x=1 "$url")
[ "$code" = 405 ] && echo "ok   POST is 405" || { echo "FAIL: POST is $code"; fail=1; }
type=$(curl -s -o /dev/null -w '%{content_type}' "$url")
[ "$type" = "text/plain; version=0.0.4; charset=utf-8" ] && echo "ok   content type $type" ||
    { echo "FAIL: content type '$type'"; fail=1; }

kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ $rc -eq 0 ] && echo "ok   SIGTERM: exit 0" || { echo "FAIL: exit $rc after SIGTERM"; cat "$work/live.log"; fail=1; }
exit $fail
