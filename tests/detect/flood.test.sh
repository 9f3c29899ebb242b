#!/usr/bin/env bash
# A flood of distinct sources: per-source memory stays at the --max-sources
# cap, evictions are counted, and the flow table does the same at --max-flows.
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# Every flow its own client address, all to AI hosts.
python3 "$src/tools/bench/gen-span.py" "$work/a.pcap" --flows 1500 --ai-share 1.0 --seed 3 >/dev/null || exit 1
python3 "$src/tools/bench/gen-span.py" "$work/b.pcap" --flows 4500 --ai-share 1.0 --seed 4 >/dev/null || exit 1
"$bin" -r "$work/a.pcap" --max-sources 100 --max-flows 50 -o "$work/a.json" || exit 1
"$bin" -r "$work/b.pcap" --max-sources 100 --max-flows 50 -o "$work/b.json" || exit 1
python3 - "$work/a.json" "$work/b.json" <<'PY'
import json, sys
def last_stats(p):
    return [json.loads(l) for l in open(p) if '"event_type":"stats"' in l][-1]["sensor"]
a, b = last_stats(sys.argv[1]), last_stats(sys.argv[2])
bad = 0
for name, s, n in (("1500", a, 1500), ("4500", b, 4500)):
    so, fl = s["sources"], s["flows"]
    print(f"{name} sources: created {so['created']} max_active {so['max_active']} evicted {so['evicted']} "
          f"bytes {so['bytes']}; flows max_active {fl['max_active']} evicted {fl['evicted']}")
    if so["max_active"] > 100 or so["evicted"] < so["created"] - 100 or so["created"] < n * 0.99:
        print("FAIL: source cap not held or evictions not counted"); bad = 1
    if fl["max_active"] > 50 or fl["evicted"] == 0:
        print("FAIL: flow cap not held or evictions not counted"); bad = 1
# Memory at the cap does not grow with the number of sources seen.
if b["sources"]["bytes"] > a["sources"]["bytes"] * 1.05:
    print("FAIL: source memory grew with the flood:", a["sources"]["bytes"], "->", b["sources"]["bytes"]); bad = 1
if b["memory"]["flows"] != a["memory"]["flows"]:
    print("FAIL: flow memory grew with the flood"); bad = 1
sys.exit(bad)
PY
