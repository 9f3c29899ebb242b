#!/usr/bin/env bash
# The issue 9 roles' timing and sizes, read from the packets (no sensor): a
# request is a run of client payload packets between server data, an answer
# the server data after it. diverse: the next request within a second of the
# previous answer's end on its connection (closed loop), prompt sizes as varied
# as people's; agent: requests grow turn after turn on a connection (the
# conversation is resent); slow: about one request a minute with answers
# streamed for tens of seconds; jitter-keepalive: 1-20 s sleeps after each
# answer on one connection.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$gen" diverse,slow,jitter-keepalive,agent --duration 40m --seed 21 --peer none -q \
    -o "$tmp/s.pcap"
PYTHONPATH=$src/tools python3 - "$tmp/s.pcap" "$tmp/s.labels.json" <<'PY'
import collections, ipaddress, json, statistics, struct, sys
from gentraffic.pcapio import read_packets
labels = json.load(open(sys.argv[2]))["sources"]
conns = collections.defaultdict(list)   # (client ip, port) -> [(t, dir, payload bytes)]
for t, _lt, fr in read_packets(sys.argv[1]):
    et = fr[12:14]
    if et == b"\x08\x00":
        ihl = (fr[14] & 15) * 4
        src, dst = fr[26:30], fr[30:34]
        l4, proto = 14 + ihl, fr[23]
        end = 14 + struct.unpack_from(">H", fr, 16)[0]
    elif et == b"\x86\xdd":
        src, dst = fr[22:38], fr[38:54]
        l4, proto = 54, fr[20]
        end = 54 + struct.unpack_from(">H", fr, 18)[0]
    else:
        continue
    if proto != 6:
        continue
    sport, dport = struct.unpack_from(">HH", fr, l4)
    pay = end - l4 - (fr[l4 + 12] >> 4) * 4
    if dport == 443:
        key, d = (str(ipaddress.ip_address(src)), sport), 0
    else:
        key, d = (str(ipaddress.ip_address(dst)), dport), 1
    if pay > 0:
        conns[key].append((t, d, pay))

def turns(pk):
    """[(request start, request bytes, answer first, answer last)] after the handshake."""
    runs = []
    for t, d, n in pk:
        if runs and runs[-1][0] == d:
            runs[-1][2] = t
            runs[-1][3] += n
        else:
            runs.append([d, t, t, n])
    out = []
    for i, r in enumerate(runs):
        # runs 0 and 2 of the client are its hello and Finished; close_notify is tiny.
        if r[0] == 0 and i >= 3 and r[3] >= 60 and i + 1 < len(runs):
            out.append((r[1], r[3], runs[i + 1][1], runs[i + 1][2]))
    return out

by_role = collections.defaultdict(list)
for (ip, port), pk in conns.items():
    by_role[labels[ip]["role"]].append(turns(pk))
bad = []
def pauses(role):
    return [b[0] - a[3] for ts in by_role[role] for a, b in zip(ts, ts[1:])]

p = pauses("diverse")
sizes = [x[1] for ts in by_role["diverse"] for x in ts]
cv = statistics.pstdev(sizes) / statistics.mean(sizes)
if not p or sorted(p)[int(0.95 * len(p))] > 1.0 or cv < 0.6:
    bad.append("diverse: %d pauses, 95th percentile %.2f s (want <= 1), request size cv %.2f (want >= 0.6)"
               % (len(p), sorted(p)[int(0.95 * len(p))] if p else -1, cv))
ups = [b[1] > a[1] for ts in by_role["agent"] for a, b in zip(ts, ts[1:])]
if len(ups) < 20 or sum(ups) < 0.8 * len(ups):
    bad.append("agent: requests grew in %d of %d consecutive pairs (want >= 80%%)" % (sum(ups), len(ups)))
slow = [x for ts in by_role["slow"] for x in ts]
stream = statistics.median(x[3] - x[2] for x in slow) if slow else 0
if not 32 <= len(slow) <= 48 or stream < 15:
    bad.append("slow: %d requests in 40 minutes (want ~40), answers streamed %.1f s (want >= 15)"
               % (len(slow), stream))
p = pauses("jitter-keepalive")
if len(by_role["jitter-keepalive"]) != 1 or not p or min(p) < 0.9 or max(p) > 20.5 \
        or min(p) > 5 or max(p) < 15:
    bad.append("jitter-keepalive: %d connections, pauses %.1f-%.1f s (want 1-20 on one)"
               % (len(by_role["jitter-keepalive"]), min(p or [0]), max(p or [0])))
for b in bad:
    print("FAIL " + b)
if not bad:
    print("ok: diverse closed loop (cv %.2f), agent requests grow (%d/%d), slow %d requests, "
          "jitter-keepalive pauses %.1f-%.1f s" % (cv, sum(ups), len(ups), len(slow), min(p), max(p)))
sys.exit(1 if bad else 0)
PY
