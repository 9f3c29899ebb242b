#!/usr/bin/env bash
# Turns against requests on real clients (pcaps/turns, made by
# tools/capture-clients.sh --turns): for every capture the sensor's flow events are
# compared, connection by connection (the client port), with nginx's log of every
# request (X.requests.tsv) by tests/clients/turns_compare.py, which says what it
# checks and with what tolerance: on HTTP/1.1 and sequential HTTP/2 connections
# the turn count equals the request count and each turn's start (50 ms), request
# size (the TLS 1.3 and HTTP/2 framing overhead) and time to first byte (50 ms
# from the server's) match its request; on HTTP/2 connections with concurrent
# streams the count is within 5% and the request sizes keep their spread.
# Prints one line a connection and a table a capture.
# Env (from ctest): DS_BIN (the sensor to test: any binary), DS_SOURCE_DIR.
# Exit 77 = skipped.
set -euo pipefail

src=${DS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
. "$src/tests/clients/turns-lib.sh"
turns_check_dir "$src/pcaps/turns" TLS
