# Shared by tests/generator/*.test.sh (sourced, not a test itself): finds the
# generator and the tools, makes a scratch dir, and skips (exit 77) with a reason
# when something outside the project is missing.
set -euo pipefail
src=${DS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
gen=$src/tools/gen-traffic
peer=${DS_PEER_DIR:-$src/../shared/peer}
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
need_tshark() {
    command -v tshark >/dev/null || { echo "SKIP: tshark not installed (tools/setup.sh installs it)"; exit 77; }
}
[ -x "$gen" ] || { echo "FAIL: $gen missing"; exit 1; }
ls "$src"/pcaps/clients/*.pcap >/dev/null 2>&1 || { echo "FAIL: no client captures in pcaps/clients"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
