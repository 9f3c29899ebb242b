#!/usr/bin/env bash
# Regenerates the committed scenarios with the commands pcaps/README.md lists.
# Needs ../shared/peer beside the checkout for the QUIC flows (without it the
# generator still runs, with no QUIC, and the files differ). Review with git diff.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
gen=$here/../../tools/gen-traffic
while read -r name args; do
    [ -z "$name" ] || [ "${name#\#}" != "$name" ] && continue
    # shellcheck disable=SC2086
    "$gen" $args --seed 1 -o "$here/$name.pcap"
done <<'LIST'
# name        generator arguments (each also gets --seed 1)
steady        steady --duration 4m
hydra         hydra --duration 5m
burst         burst --duration 2m
jittered      jittered --duration 10m
rotating      rotating --duration 9m
browser       browser --duration 5m
developer     developer --duration 30m
production    production --duration 3m
automation    automation --duration 5m --scale 0.5
LIST
