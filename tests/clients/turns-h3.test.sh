#!/usr/bin/env bash
# Turns against requests on HTTP/3 (pcaps/turns-h3, made by tools/capture-h3.sh:
# Chromium over QUIC to caddy): for every capture the sensor's flow events are
# compared, connection by connection (the client port), with caddy's log of every
# request (X.requests.tsv) by tests/clients/turns_compare.py, which says what it
# checks and with what tolerance: on sequential connections the turn count equals
# the request count and each turn's start (50 ms), request size (QUIC and HTTP/3
# framing, QPACK) and time to first byte (50 ms from the server's) match its
# request; with requests in flight together the count is within 5% and the
# request sizes keep their spread. Prints one line a connection and a table a
# capture. Env (from ctest): DS_BIN (the sensor to test: any binary), DS_SOURCE_DIR.
# Exit 77 = skipped.
set -euo pipefail

src=${DS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
. "$src/tests/clients/turns-lib.sh"
turns_check_dir "$src/pcaps/turns-h3" HTTP/3
