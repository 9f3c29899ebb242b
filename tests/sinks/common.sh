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
