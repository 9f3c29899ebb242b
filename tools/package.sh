#!/usr/bin/env bash
# Builds the Debian package with CPack: tools/package.sh [BUILD_DIR [OUT_DIR]]
# BUILD_DIR (default build-pkg/) is a build tree; a new one is configured with
# the /usr prefix (so the binary's default rules directory is the packaged
# one), an existing one is reused as it is and brought up to date. The .deb
# lands in OUT_DIR (default BUILD_DIR/package/) and its path is the last line
# printed. If lintian is installed it checks the package: its warnings are
# shown, an error fails the script.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-build-pkg}
case $dir in /*) ;; *) dir=$top/$dir ;; esac
out=${2:-$dir/package}

command -v dpkg-shlibdeps >/dev/null ||
    { echo "package.sh: dpkg-shlibdeps missing (apt-get install dpkg-dev)" >&2; exit 1; }
if [ ! -f "$dir/CMakeCache.txt" ]; then
    cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
          -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
fi
cmake --build "$dir" --target distill-sensor -j "$(nproc)" 2>&1 | grep -v '^\[' || true
test -x "$dir/distill-sensor"

mkdir -p "$out"
rm -f "$out"/distill-sensor_*.deb
(cd "$dir" && cpack --config CPackConfig.cmake -G DEB -B "$out") >"$out/cpack.log" 2>&1 ||
    { cat "$out/cpack.log" >&2; echo "package.sh: cpack failed" >&2; exit 1; }
deb=$(ls "$out"/distill-sensor_*.deb)

if command -v lintian >/dev/null; then
    lintian --fail-on error "$deb" ||
        { echo "package.sh: lintian found errors in $deb" >&2; exit 1; }
fi
echo "$deb"
