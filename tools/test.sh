#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test twice: in a normal
# build (warnings are errors) and in an ASan+UBSan build, then fuzzes every
# fuzz target for 20 s (tools/fuzz.sh: a crash fails the run). A Release
# build (-O3, as packagers and tools/bench.sh build) is compiled too, warnings
# as errors: GCC warns of some things only at -O3.
#   tools/test.sh            both builds and the fuzzing
#   tools/test.sh --fast     the normal build only
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
"$top/tools/setup.sh"

status=0
run() {  # run DIR [cmake args]
    local dir=$1; shift
    echo "== build $dir $*"
    "$top/tools/build.sh" "$dir" -DDS_WERROR=ON "$@"
    echo "== test $dir"
    (cd "$top/$dir" && ctest --output-on-failure -j "$(nproc)" --timeout 600) || status=1
}

run build
if [ "${1:-}" != "--fast" ]; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        run build-asan -DDS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    echo "== build build-release (-O3, warnings are errors; not run)"
    mkdir -p "$top/build-release"
    if ! { cmake -S "$top" -B "$top/build-release" -DCMAKE_BUILD_TYPE=Release -DDS_WERROR=ON \
               >/dev/null && cmake --build "$top/build-release" -j "$(nproc)" \
               >"$top/build-release/build.log" 2>&1; }; then
        grep -E 'error|warning' "$top/build-release/build.log" | head -20
        echo "test: the Release build failed (build-release/build.log)"
        status=1
    fi
    "$top/tools/fuzz.sh" 20 || status=1
fi
exit $status
