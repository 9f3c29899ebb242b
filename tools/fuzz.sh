#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer (clang, ASan, UBSan) in build-fuzz/
# and runs each for SECONDS (default 60) over a working copy of its corpus:
#   tools/fuzz.sh [SECONDS] [TARGET...]     TARGET: sensor, tls, pcap, ...
# The working corpora live in $DS_FUZZ_WORK (default build-fuzz/work/NAME,
# outside the source tree): what a run finds interesting is kept there for
# the next run, and tests/fuzz/corpus/NAME is only read. A crash, leak,
# timeout or failed check is saved under build-fuzz/work/NAME/crashes/, its
# reproduction command is printed, and the script exits 1; make it a
# regression input by copying it into tests/fuzz/corpus/NAME/ with the fix.
# Prints one line a target: executions, exec/s, coverage (libFuzzer's cov:
# edges and ft: features) and the working corpus size.
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
secs=${1:-60}
shift || true
case "$secs" in
'' | *[!0-9]*) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
build="$top/build-fuzz"
work=${DS_FUZZ_WORK:-$build/work}

echo "== build build-fuzz (DS_FUZZ, clang)"
CC=${DS_FUZZ_CC:-clang} cmake -S "$top" -B "$build" -DDS_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
cmake --build "$build" -j "$(nproc)" 2>&1 | grep -E 'error|FAILED' || true
[ -x "$build/fuzz/fuzz_sensor" ] || { echo "fuzz: build failed" >&2; exit 1; }

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for src in "$top"/tests/fuzz/fuzz_*.c; do
        n=$(basename "$src" .c)
        targets+=("${n#fuzz_}")
    done
fi

# One target: NAME. Returns libFuzzer's status.
run_target() {
    local name=$1 bin="$build/fuzz/fuzz_$1" dir="$work/$1"
    [ -x "$bin" ] || { echo "fuzz: no target fuzz_$name" >&2; return 2; }
    mkdir -p "$dir/corpus" "$dir/crashes"
    cp -n "$top/tests/fuzz/corpus/$name"/* "$dir/corpus/" 2>/dev/null
    local before
    before=$(ls "$dir/crashes")
    (cd "$dir" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$dir/crashes/" corpus >"$dir/log" 2>&1)
    local rc=$?
    local execs eps cov files
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log")
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log")
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$dir/log" | tail -1)
    files=$(find "$dir/corpus" -type f | wc -l)
    printf '%-12s %10s runs %7s exec/s  %-22s corpus %s\n' "$name" "${execs:-?}" "${eps:-?}" \
        "${cov:-cov: ?}" "$files"
    local new
    new=$(comm -13 <(echo "$before") <(ls "$dir/crashes"))
    if [ "$rc" -ne 0 ] || [ -n "$new" ]; then
        echo "fuzz: fuzz_$name FAILED (status $rc); from $dir/log:" >&2
        grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$dir/log" | head -20 >&2
        for f in $new; do
            echo "  reproduce: $bin $dir/crashes/$f" >&2
            echo "  keep it:   cp $dir/crashes/$f $top/tests/fuzz/corpus/$name/" >&2
        done
        return 1
    fi
    return 0
}

echo "== fuzz ${#targets[@]} targets, ${secs} s each (corpora in $work)"
status=0 passed=0 failed=0
for t in "${targets[@]}"; do
    if run_target "$t"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)) status=1
    fi
done
echo "fuzz: $passed passed, $failed failed"
exit $status
