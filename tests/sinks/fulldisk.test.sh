#!/usr/bin/env bash
# A file output on a full disk counts, drops and recovers. In a private
# mount namespace, a 2 MiB tmpfs holds the events file and a filler that
# leaves about 100 KiB. The sensor reads rotating.pcap (about 1 MiB of
# events, most of it 314 stats events) from a pipe: the first quarter fills the disk (stderr says so
# once), then the filler goes and the rest is written. Then: exit 1 (lines
# were lost), stderr said "writing again", the final stats count the lost
# lines as write_errors and events + write_errors is every event before
# it, every line of the file but at most one (cut by the failure, then
# ended) is a whole event, and the file's whole events number the final
# events count + 1 (the stats event itself).
set -u
if [ -z "${DS_IN_NS:-}" ]; then
    [ "$(id -u)" = 0 ] || { echo "needs root (a tmpfs in a private mount namespace)"; exit 77; }
    unshare -m true 2>/dev/null || { echo "unshare -m not permitted here"; exit 77; }
    exec unshare -m env DS_IN_NS=1 bash "$0"
fi
. "$DS_SOURCE_DIR/tests/sinks/common.sh"
mount --make-rprivate / || exit 1
mkdir "$work/disk"
mount -t tmpfs -o size=2m tmpfs "$work/disk" || { echo "cannot mount a tmpfs"; exit 77; }
trap 'umount "$work/disk"; cleanup' EXIT
dd if=/dev/zero of="$work/disk/filler" bs=1k count=1948 status=none
mkfifo "$work/pipe"
python3 - "$src/pcaps/scenarios/rotating.pcap" "$work/pipe" "$work/go" <<'PY' &
import os, struct, sys, time
data = open(sys.argv[1], "rb").read()
recs, off = [], 24
while off < len(data):
    caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
    recs.append(data[off:off + 16 + caplen]); off += 16 + caplen
q = len(recs) // 4
with open(sys.argv[2], "wb") as out:
    out.write(data[:24] + b"".join(recs[:q])); out.flush()
    while not os.path.exists(sys.argv[3]):
        time.sleep(0.02)
    out.write(b"".join(recs[q:]))
PY
writer=$!
# Every event the run writes before its final stats, from the same run on a
# disk with room (so the count follows the rules and the capture).
"$bin" -r "$src/pcaps/scenarios/rotating.pcap" --all-tls --stats-interval 1 -o "$work/ref.json" || exit 1
expect=$(( $(wc -l <"$work/ref.json") - 1 ))
"$bin" -r "$work/pipe" --all-tls --stats-interval 1 -o "$work/disk/ev.json" 2>"$work/err" &
sensor=$!
for _ in $(seq 200); do grep -q "write failed" "$work/err" && break; sleep 0.05; done
rm -f "$work/disk/filler"
touch "$work/go"
wait "$writer"; writer=
wait "$sensor"; rc=$?; sensor=
python3 - "$work/disk/ev.json" "$rc" "$work/err" "$expect" <<'PY' || fail=1
import json, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
rc, err, expect = int(sys.argv[2]), open(sys.argv[3]).read(), int(sys.argv[4])
whole, cut = [], 0
for l in lines[:-1]:
    try:
        whole.append(json.loads(l))
    except ValueError:
        cut += 1
last = whole[-1] if whole else {}
o = last.get("sensor", {}).get("output", {})
ok = (rc == 1 and lines[-1] == b"" and cut <= 1 and last.get("event_type") == "stats"
      and o.get("write_errors", 0) > 0 and o["events"] + o["write_errors"] == expect
      and len(whole) == o["events"] + 1
      and err.count("write failed: No space left on device") == 1 and "writing again" in err)
print(("ok   " if ok else "FAIL: ") + f"exit {rc}; {len(whole)} whole events and {cut} cut line "
      f"in the file; final sensor.output {o}; stderr: {err.strip()!r}")
sys.exit(0 if ok else 1)
PY
exit $fail
