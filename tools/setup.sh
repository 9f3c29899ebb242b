#!/usr/bin/env bash
# Installs the Debian packages that distill-sensor needs and that are missing.
# Non-interactive and idempotent: the package lists are tools/packages.d/*.txt
# (one package a line, '#' comments). tools/demo.sh and tools/test.sh call it.
# Lists in tools/packages.d/extra/ are for occasional jobs and install only
# when named: `tools/setup.sh --only clients` (the real clients that
# tools/capture-clients.sh records: Chromium, Go, Node, ...).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

lists=("$here"/packages.d/*.txt)
if [ "${1:-}" = "--only" ]; then
    shift
    lists=()
    for l in "$@"; do
        if [ -f "$here/packages.d/$l.txt" ]; then
            lists+=("$here/packages.d/$l.txt")
        elif [ -f "$here/packages.d/extra/$l.txt" ]; then
            lists+=("$here/packages.d/extra/$l.txt")
        else
            echo "setup: no package list '$l' in tools/packages.d" >&2; exit 2
        fi
    done
fi

wanted=$(sed -e 's/#.*//' "${lists[@]}" | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)
missing=()
for p in $wanted; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages and not root; run: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
stamp=/var/lib/apt/periodic/distill-sensor-update
if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +360 2>/dev/null)" ]; then
    apt-get update -qq
    mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
