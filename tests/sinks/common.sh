# Shared by tests/sinks/*.test.sh: a work directory, collectors started
# and stopped, and the sensor's binary and sources.
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
work=$(mktemp -d)
collectors=()
cleanup() {
    for p in "${collectors[@]}"; do kill "$p" 2>/dev/null; done
    [ -n "${writer:-}" ] && kill "$writer" 2>/dev/null
    [ -n "${sensor:-}" ] && kill "$sensor" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail=0

# collector_start KIND SOCKET OUT: a collector, ready when this returns; its
# pid in $collector.
collector_start() {
    python3 "$src/tests/sinks/collector.py" "$1" "$2" "$3" &
    collector=$!
    collectors+=("$collector")
    for _ in $(seq 100); do [ -e "$2.ready" ] && break; sleep 0.05; done
    rm -f "$2.ready"
}

# collector_stop PID: SIGTERM, and wait until it has written what it had.
collector_stop() {
    kill -TERM "$1"
    wait "$1"
}

# part N: lets part N of tests/sinks/pcapfeed.py's capture through (it waits
# for $work/goN) and waits until it is written ($work/goN.done).
part() {
    touch "$work/go$1"
    for _ in $(seq 400); do [ -e "$work/go$1.done" ] && return; sleep 0.05; done
    echo "FAIL: part $1 not written"; fail=1
}

# redis_start [ARG...]: redis-server on 127.0.0.1:$port with no persistence
# and the extra ARGs, ready when this returns (the caller's rcli answers
# PING); its pid in $redis, stopped at exit.
redis_start() {
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$work" "$@" >"$work/redis.log" 2>&1 &
    redis=$!
    collectors+=("$redis")
    for _ in $(seq 100); do rcli PING 2>/dev/null | grep -q PONG && return; sleep 0.05; done
    echo "redis-server did not start"; cat "$work/redis.log"; exit 1
}
