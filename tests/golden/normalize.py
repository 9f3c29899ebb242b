#!/usr/bin/env python3
"""Turns the sensor's events (NDJSON on stdin) into the form the golden files
are stored in, on stdout:

- it drops the fields that measure this build rather than the traffic
  (memory held by pools, which moves whenever a struct changes), so golden
  files change only when behaviour does;
- it writes each event indented, one field or array element a line, keys in
  the order the sensor wrote them, so a changed field is a one-line diff.
  An event starts with a line holding only "{" and ends with one holding
  only "}"; events follow each other in the order the sensor wrote them.

Its input may also be an expected file in the older compact form (one event
a line), which it converts unchanged in meaning."""
import json
import sys

for line in sys.stdin:
    ev = json.loads(line)
    ev.get("sensor", {}).pop("memory", None)
    ev.get("sensor", {}).get("memcap", {}).pop("used", None)
    ev.get("sensor", {}).get("sources", {}).pop("bytes", None)
    ev.get("stats", {}).get("flow", {}).pop("memuse", None)
    sys.stdout.write(json.dumps(ev, indent=2) + "\n")
