"""tools/gen-traffic: command line, scenario assembly, the time-ordered merge of all
workers into one pcap, and the labels file."""

import argparse
import calendar
import heapq
import json
import os
import re
import sys
import textwrap
import time

from . import model, quic, roles, tls
from .conn import Pool
from .pcapio import PcapWriter
from .rng import Rng

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def parse_scenario(text):
    """A role, `mix` (every role) or a comma-separated list of roles."""
    if text == "mix":
        return list(model.ROLES)
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if n not in model.ROLES]
    if not names or bad:
        raise argparse.ArgumentTypeError("unknown role %r (roles: %s, or mix)"
                                         % (", ".join(bad) or text, ", ".join(model.ROLES)))
    # In ROLES' order, so a list gives the same bytes as the mix of those roles.
    return [n for n in model.ROLES if n in names]


def parse_duration(text):
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError("bad duration %r (examples: 90s, 5m, 2h, 1d)" % text)
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def parse_start(text):
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)Z?", text.strip())
    if not m:
        raise argparse.ArgumentTypeError("bad start %r (example: 2026-02-23T09:00:00Z)" % text)
    return float(calendar.timegm(tuple(int(x) for x in m.groups()) + (0, 0, 0)))


def _fmt(v):
    if isinstance(v, tuple):
        return "(" + ",".join(_fmt(x) for x in v) + ")"
    if isinstance(v, float):
        return "%g" % v
    return str(v)


def roles_table():
    return _table(model.ROLES) + "\n  parts of shared addresses (model.PARTS):\n" + _table(model.PARTS)


def _table(table):
    lines = []
    for name, p in table.items():
        lines.append("  %s:" % name)
        items = ["%s=%s" % (k, _fmt(v)) for k, v in p.items()]
        line = "    "
        for it in items:
            if len(line) + len(it) > 100:
                lines.append(line.rstrip())
                line = "    "
            line += it + "  "
        lines.append(line.rstrip())
    return "\n".join(lines)


def build_parser():
    epilog = """scenarios:
  %s:
    one role each
  mix: all roles together (sources never overlap)
  ROLE,ROLE,...: those roles together, as in the mix

Roles marked "parts" are one address carrying several clients (a NAT): the
address's label is the role's; "profiles" in the labels lists its clients.

role parameters (tools/gentraffic/model.py ROLES; units and keys explained there;
"count" is sources at --scale 1):
%s

output:
  OUT.pcap (Ethernet, microseconds) and OUT.labels.json:
  {"start": <epoch seconds of the first packet>, "sources": {"<ip>": {"role": "...",
   "expect": "alert" | "quiet" | "no-high", "cluster": "<id>" | null,
   "first_seen": <epoch seconds of the source's first packet>,
   "profiles": [{"part": "...", "client": "...", "expect": "..."}, ...] (shared addresses only)}}}
  listing every source address that sends a packet in OUT.pcap.

Every TLS flow carries a real client's ClientHello and server flight from
pcaps/clients (SNI rewritten, lengths fixed); QUIC flows replay real conversations
from the peer captures (their own SNI). Same seed and arguments, same bytes.

examples:
  tools/gen-traffic steady -o /tmp/steady.pcap --duration 10m
  tools/gen-traffic mix -o /tmp/day.pcap --duration 24h --scale 10 --seed 7
""" % (textwrap.fill(", ".join(model.ROLES), 90, subsequent_indent="  "), roles_table())
    ap = argparse.ArgumentParser(
        prog="gen-traffic",
        description="Write a deterministic, labelled pcap of AI API traffic: harvesters and normal use.",
        epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", type=parse_scenario, metavar="SCENARIO",
                    help="a role, mix, or roles separated by commas")
    ap.add_argument("-o", "--output", required=True, metavar="OUT.pcap",
                    help="capture to write; labels go to OUT.labels.json")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--duration", type=parse_duration, default=parse_duration("10m"),
                    help="capture length: 90s, 5m, 2h, 1d (default 10m)")
    ap.add_argument("--scale", type=positive, default=1.0,
                    help="multiply every role's number of sources (default 1; at least one each)")
    ap.add_argument("--start", type=parse_start, default=parse_start(model.DEFAULT_START),
                    help="UTC start time (default %s)" % model.DEFAULT_START)
    ap.add_argument("--clients", default=os.path.join(TOP, "pcaps", "clients"), metavar="DIR",
                    help="real client captures (default: pcaps/clients of this checkout)")
    ap.add_argument("--peer", default=os.path.join(os.path.dirname(TOP), "shared", "peer"), metavar="DIR",
                    help="peer captures with QUIC conversations (default ../shared/peer; "
                         "'none' or a missing dir: no QUIC)")
    ap.add_argument("--flow-log", metavar="FILE",
                    help="also write one line per flow: time, proto, client ip/port, server ip/port, "
                         "SNI, client capture, client port of the template connection in it, role "
                         "(tab-separated)")
    ap.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    return ap


def positive(text):
    try:
        v = float(text)
    except ValueError:
        v = 0.0
    if not v > 0:
        raise argparse.ArgumentTypeError("must be a number above 0, not %r" % text)
    return v


def labels_path(out):
    return (out[:-5] if out.endswith(".pcap") else out) + ".labels.json"


def main(argv=None):
    args = build_parser().parse_args(argv)
    wall = time.time()
    rng = Rng("gen-traffic/%d" % args.seed)
    templates = tls.load_templates(args.clients, list(model.CLIENTS))
    if not templates:
        sys.exit("gen-traffic: no client captures in %s (tools/capture-clients.sh makes them)" % args.clients)
    qt = [] if args.peer == "none" else quic.load(args.peer)
    start = args.start
    end = start + args.duration
    pool = Pool(rng.child("pool"))
    flowlog = open(args.flow_log, "w") if args.flow_log else None
    ctx = roles.Context(start, end, templates, qt, pool, flowlog)
    wanted = args.scenario
    sources = roles.build_sources(wanted, args.scale, rng.child("sources"), set(templates))
    ips = set()
    for s in sources:
        if s.ip in ips:
            sys.exit("gen-traffic: internal error: address %s given twice" % s.ip)
        ips.add(s.ip)

    w = PcapWriter(args.output)
    heap = []
    n = 0
    spawned = ctx.spawned

    def push(gen, ip):
        nonlocal n
        first = next(gen, None)
        if first is not None:
            n += 1
            heap.append((first[0], n, first[1], gen, ip))

    for s in sources:
        for g in roles.workers_of(ctx, s):
            push(g, s.ip)
            while spawned:
                push(*spawned.pop())
    heapq.heapify(heap)
    seen = {}  # address -> time of its first packet (microseconds)
    first_ts = None
    write = w.write
    heapreplace, heappop, heappush = heapq.heapreplace, heapq.heappop, heapq.heappush
    end_us = int(round(end * 1e6))
    prev = 0
    while heap:
        ts, k, frame, gen, ip = heap[0]
        ts_us = int(round(ts * 1e6))
        if ts_us > end_us:
            break
        if ts_us < prev:
            # Each worker must yield in time order; one that does not is a bug here.
            sys.exit("gen-traffic: internal error: time went backwards at %.6f (source %s)" % (ts, ip))
        prev = ts_us
        if first_ts is None:
            first_ts = ts_us
        write(ts_us, frame)
        if ip not in seen:
            seen[ip] = ts_us
        nxt = next(gen, None)
        if nxt is None:
            heappop(heap)
        else:
            heapreplace(heap, (nxt[0], k, nxt[1], gen, ip))
        while spawned:
            g, sip = spawned.pop()
            f = next(g, None)
            if f is not None:
                n += 1
                heappush(heap, (f[0], n, f[1], g, sip))
    w.close()
    if flowlog:
        flowlog.close()

    labels = {"start": round(first_ts / 1e6, 6) if first_ts is not None else start, "sources": {}}
    for s in sources:
        if s.ip in seen:
            lab = {"role": s.role, "expect": s.expect, "cluster": s.cluster,
                   "first_seen": round(seen[s.ip] / 1e6, 6)}
            if s.parts is not None:
                lab["profiles"] = [{"part": ps.part, "client": ps.client, "expect": ps.expect}
                                   for ps in s.parts]
            labels["sources"][s.ip] = lab
    with open(labels_path(args.output), "w") as f:
        json.dump(labels, f, indent=1)
        f.write("\n")
    if not args.quiet:
        took = time.time() - wall
        print("gen-traffic: %s: %d packets, %.1f MB, %d of %d sources active, %d QUIC templates, "
              "%.1f s (%.0f packets/s)" % (args.output, w.packets, w.bytes / 1e6, len(labels["sources"]),
                                           len(sources), len(qt), took, w.packets / max(took, 1e-9)),
              file=sys.stderr)
    return 0
