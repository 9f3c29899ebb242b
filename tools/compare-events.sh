#!/usr/bin/env bash
# Replays the same captures through two sensor binaries and diffs their
# events, to prove that a change meant not to change behaviour did not:
#   tools/compare-events.sh OLD_BIN NEW_BIN [--quick] [--gen DIR]
# Captures: every pcap in pcaps/ alone and as directories, with default
# options and with --all-tls --source-events --stats-interval; and scenarios
# made by tools/gen-traffic (every role and mixes over several seeds and
# scales), generated once into DIR (default /tmp/ds-compare-gen) and reused.
# Events must be byte-identical, except the figures that measure the build
# rather than the traffic (sensor.memory, sensor.sources.bytes,
# stats.flow.memuse, sensor.memcap.used, and the objects of
# sensor.memcap.caps: a share divided by a struct's size), which move
# whenever a struct changes, and the stats counters the new binary has and the old one does
# not: a line that differs only there is counted as "memory or added stats
# keys only". Exit 0 if every event matches (those aside), 1 otherwise. --quick skips the generated
# scenarios.
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -ge 2 ] || { sed -n '2,15p' "$0" >&2; exit 2; }
old=$(readlink -f "$1") new=$(readlink -f "$2"); shift 2
quick=0 gen=/tmp/ds-compare-gen
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=1 ;;
    --gen) gen=$2; shift ;;
    *) echo "compare-events: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$top"

cases=()   # "name|input|args"
for p in $(find pcaps -name '*.pcap' -o -name '*.pcapng' | sort); do
    n=$(echo "$p" | tr '/' '_')
    cases+=("$n|$p|" "$n-all|$p|--all-tls --source-events --stats-interval 1 --sensor-name t1")
done
cases+=("clients-dir|pcaps/clients|--all-tls --stats-interval 1"
        "scenarios-dir|pcaps/scenarios|"
        "scenarios-dir-src|pcaps/scenarios|--source-events --stats-interval 30 --windows 1m,10m")

if [ $quick = 0 ]; then
    mkdir -p "$gen"
    gencase() {  # name scenario args...
        local name=$1; shift
        if [ ! -s "$gen/$name.pcap" ]; then
            "$top/tools/gen-traffic" "$@" -q -o "$gen/$name.pcap" || { echo "gen $name failed" >&2; return; }
        fi
        cases+=("gen-$name|$gen/$name.pcap|--source-events --stats-interval 60")
    }
    for role in steady hydra burst jittered rotating browser developer production automation; do
        gencase "$role-s1" "$role" --seed 1 --duration 20m
    done
    gencase mix-s1 mix --seed 1 --duration 2h
    gencase mix-s2 mix --seed 2 --duration 30m
    gencase mix-s5-x3 mix --seed 5 --duration 30m --scale 3
fi

same=0 memonly=0 differ=0
for c in "${cases[@]}"; do
    IFS='|' read -r name input args <<<"$c"
    # shellcheck disable=SC2086
    "$old" -r "$input" $args -o - >"$work/old.json" 2>"$work/old.err"; orc=$?
    # shellcheck disable=SC2086
    "$new" -r "$input" $args -o - >"$work/new.json" 2>"$work/new.err"; nrc=$?
    if [ $orc != $nrc ]; then
        echo "DIFFER $name: exit $orc (old) vs $nrc (new)"; differ=$((differ + 1)); continue
    fi
    if cmp -s "$work/old.json" "$work/new.json"; then
        same=$((same + 1)); continue
    fi
    if python3 - "$work/old.json" "$work/new.json" <<'EOF'
import json, sys
def mask(line):
    ev = json.loads(line)
    s = ev.get("sensor", {})
    if "memory" in s:
        s["memory"] = {k: 0 for k in s["memory"]}
    if "bytes" in s.get("sources", {}):
        s["sources"]["bytes"] = 0
    if "memuse" in ev.get("stats", {}).get("flow", {}):
        ev["stats"]["flow"]["memuse"] = 0
    if "used" in s.get("memcap", {}):
        s["memcap"]["used"] = 0
    for cap in s.get("memcap", {}).get("caps", {}).values():
        if isinstance(cap, dict) and "objects" in cap:
            cap["objects"] = 0   # a share divided by a struct's size
    return ev
def prune(new, old):
    """new without the keys old lacks: stats counters added since."""
    if isinstance(new, dict) and isinstance(old, dict):
        return {k: prune(v, old[k]) for k, v in new.items() if k in old}
    return new
a = open(sys.argv[1]).read().splitlines()
b = open(sys.argv[2]).read().splitlines()
if len(a) != len(b):
    sys.exit(1)
for x, y in zip(a, b):
    if x == y:
        continue
    mx, my = mask(x), mask(y)
    if mx.get("event_type") == "stats" == my.get("event_type"):
        my = prune(my, mx)
    if mx != my:
        sys.exit(1)
EOF
    then
        memonly=$((memonly + 1))
    else
        echo "DIFFER $name ($input $args):"
        diff <(head -c 200000 "$work/old.json" | tr ',' '\n') <(head -c 200000 "$work/new.json" | tr ',' '\n') | head -20
        differ=$((differ + 1))
    fi
done
echo "compare-events: ${#cases[@]} replays: $same identical, $memonly differ in memory figures or added stats keys only, $differ differ"
[ $differ = 0 ]
