#!/usr/bin/env bash
# Every `#include "ds/X.h"` is used: the file names something X.h declares
# (tools/check-includes.py). Also checks that the checker catches one: a
# copy of a module given a header it does not use must fail.
set -u
src=${DS_SOURCE_DIR:?}
python3 "$src/tools/check-includes.py" "$src" || exit 1
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/include" "$work/sensor"
cp -r "$src/include/ds" "$work/include/"
sed 's|#include "ds/pool.h"|#include "ds/pool.h"\n#include "ds/geo.h"|' "$src/sensor/pool.c" >"$work/sensor/pool.c"
if python3 "$src/tools/check-includes.py" "$work" >"$work/out"; then
    echo "check-includes missed an unused include"; exit 1
fi
grep -q 'sensor/pool.c:.*ds/geo.h' "$work/out" || { cat "$work/out"; exit 1; }
echo "includes: the checker flags an unused include"
