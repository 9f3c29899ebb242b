#!/usr/bin/env bash
# Configures and builds one build tree: tools/build.sh [DIR] [cmake args...]
# DIR defaults to build/; the binary lands at DIR/distill-sensor.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-build}
shift || true
cmake -S "$top" -B "$top/$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$top/$dir" -j "$(nproc)" 2>&1 | grep -v '^\[' || true
test -x "$top/$dir/distill-sensor"
