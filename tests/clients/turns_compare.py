#!/usr/bin/env python3
"""Compares the sensor's turns with a server's log of requests, connection by connection.

    turns_compare.py NAME EVENTS.json REQUESTS.tsv

EVENTS.json: the sensor's events (one JSON object a line); REQUESTS.tsv: nginx's
access log as tools/capture-turns.sh writes it (columns in pcaps/turns/README.md),
or caddy's converted to those columns by tools/capture-h3.sh (pcaps/turns-h3/README.md).
A connection is the client port: the flow event's src_port, the log's remote_port.

Checks, per connection (a connection is "concurrent" when two of its requests'
[start, end] intervals overlap, which only HTTP/2 and HTTP/3 can do):
  count   HTTP/1.x, sequential HTTP/2 and HTTP/3: turns == requests;
          concurrent HTTP/2 and HTTP/3: |turns - requests| <= 5% of requests.
  start   HTTP/1.x, sequential HTTP/2 and HTTP/3, when the counts agree, turn i against
          request i: |turn start - request start| <= 50 ms (request start =
          msec - request_time; the log has millisecond resolution).
  size    same pairs: the turn's request_bytes against the log's request_length.
          request_bytes counts TLS record bodies: a TLS 1.3 record body is the
          plaintext plus 1 byte of inner content type and a 16-byte AEAD tag, so
          residual = request_bytes - 17 * request_records - request_length.
          HTTP/1.1: request_length is the exact plaintext (request line, headers,
          body); residual must be in [0, 2 * records]: the only extra a client
          sends inside a request is a TLS alert (a 2-byte close_notify).
          HTTP/2: nginx's request_length is the stream's frames as received but
          not the connection's own frames; the client also sends frame headers
          (9 bytes) and WINDOW_UPDATEs (13 bytes) as it reads the answer, at most
          one of each per record: residual in [0, 24 * records], plus 96 on the
          connection's first request for the client preface (24), its SETTINGS
          (9 + 6 per setting) and first WINDOW_UPDATE (13).
          HTTP/3 (the log is caddy's, tools/capture-h3.sh): request_bytes counts
          whole QUIC packets; request_length is the body plus the header fields
          uncompressed. residual = request_bytes - 22 * records - request_length
          (22: a short header with quic-go's 4-byte connection ID and a 1-byte
          packet number, and the 16-byte AEAD tag) must be in [-256, 64 *
          records]: QPACK's static table and Huffman code save at most about half
          of Chromium's ~450 bytes of header fields; per packet up to 64 bytes of
          frames are not the request's (a PRIORITY_UPDATE on the control stream,
          an ACK, STREAM and HTTP/3 frame headers, QPACK's prefixes, a longer
          packet number). And records <= request_length // 1100 + 1: a request
          fills packets, so more records are other packets (ACKs) counted in.
  ttfb    same pairs: the server's first byte comes request_time -
          upstream_response_time + upstream_header_time after the request start
          (nginx forwards the mock API's headers as they come); for answers nginx
          makes itself (GET /v1/models, the 204) at the request's time, 0. The
          turn's ttfb must be within 50 ms of that.
  pairs   concurrent HTTP/3, when every turn is listed and the counts agree:
          start and size as above, turn i against request i; ttfb is printed,
          not checked (overlapping answers are attributed by runs).
  spread  concurrent HTTP/2 and HTTP/3: the coefficient of variation of the listed turns'
          request sizes (less 17 bytes a record) within 0.05 of the log's
          request_length over as many requests, the first of each left out (the
          client preface; HPACK's first use). Merged turns inflate it, and the
          signatures read prompt-size variation from it.
Only the turns a flow event lists (the first 32) have starts and sizes; the count
uses the event's total. Prints one line a connection and a summary line; exits 1
when a check fails.
"""
import datetime
import json
import statistics
import sys

START_TOL_S = 0.050
TTFB_TOL_S = 0.050
CONCURRENT_COUNT_TOL = 0.05
SPREAD_TOL = 0.05
TLS13_RECORD_OVERHEAD = 17
H1_PER_RECORD = 2
H2_PER_RECORD = 24
H2_PREFACE = 96
QUIC_PACKET_OVERHEAD = 22
H3_PER_PACKET = 64
H3_QPACK_SAVED = 256
H3_PACKET_ROOM = 1100


def epoch(ts):
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def num(s):
    return None if s in ("-", "") else float(s.split(",")[-1].split(":")[-1].strip())


def read_log(path):
    conns = {}
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) < 13:
            continue
        msec, rtime = float(f[3]), float(f[4])
        uh, ur = num(f[11]), num(f[12])
        ttfb = rtime - ur + uh if uh is not None and ur is not None else 0.0
        conns.setdefault(int(f[0]), []).append({
            "nreq": int(f[2]), "start": msec - rtime, "end": msec, "length": int(f[5]),
            "proto": f[8], "what": f[9] + " " + f[10], "ttfb": ttfb})
    for reqs in conns.values():
        reqs.sort(key=lambda r: (r["start"], r["nreq"]))
    return conns


def read_flows(path):
    flows = {}
    for line in open(path):
        e = json.loads(line)
        if e.get("event_type") != "flow" or e.get("proto") not in ("TCP", "UDP"):
            continue
        ex = e.get("exchanges", {})
        turns = [{"start": epoch(t["start"]), "bytes": t["request_bytes"], "records": t["request_records"],
                  "ttfb": t["ttfb_us"] / 1e6} for t in ex.get("turns", [])]
        flows[e["src_port"]] = {"count": ex.get("count", 0), "turns": turns}
    return flows


def concurrent(reqs):
    """Requests are sorted by start: any that starts before an earlier one ended
    overlaps it (half a millisecond of slack for the log's rounding)."""
    return any(reqs[j]["start"] < reqs[i]["end"] - 0.0005 for i in range(len(reqs)) for j in range(i + 1, len(reqs)))


def cv(xs):
    return statistics.pstdev(xs) / statistics.mean(xs) if len(xs) > 1 and statistics.mean(xs) > 0 else 0.0


def pairs(turns, reqs, in_order, all_listed):
    """Turn i with request i when the counts agree; else each listed request with
    the turn that starts nearest to it (so a merged or invented turn shows in the
    start, size and ttfb figures too)."""
    if in_order:
        return list(zip(turns, reqs))
    if not turns:
        return []
    return [(min(turns, key=lambda t: abs(t["start"] - r["start"])), r) for r in reqs
            if all_listed or r["start"] <= turns[-1]["start"] + 1]


def residual(turn, req, http, first):
    if http == "h3":
        r = turn["bytes"] - QUIC_PACKET_OVERHEAD * turn["records"] - req["length"]
        packets = req["length"] // H3_PACKET_ROOM + 1
        return r, -H3_QPACK_SAVED <= r <= H3_PER_PACKET * turn["records"] and turn["records"] <= packets
    r = turn["bytes"] - TLS13_RECORD_OVERHEAD * turn["records"] - req["length"]
    hi = (H2_PER_RECORD * turn["records"] + (H2_PREFACE if first else 0)) if http == "h2" else H1_PER_RECORD * turn["records"]
    return r, 0 <= r <= hi


def check_conn(port, reqs, flow, out):
    """Returns a dict of figures and the list of failed checks for one connection."""
    h2 = reqs[0]["proto"].startswith("HTTP/2")
    h3 = reqs[0]["proto"].startswith("HTTP/3")
    conc = (h2 or h3) and concurrent(reqs)
    kind = ("h3" if h3 else "h2" if h2 else "h1") + ("-concurrent" if conc else "")
    http = "h3" if h3 else "h2" if h2 else "h1"
    over = QUIC_PACKET_OVERHEAD if h3 else TLS13_RECORD_OVERHEAD
    turns = flow["turns"] if flow else []
    count = flow["count"] if flow else 0
    fails = []
    fig = {"kind": kind, "requests": len(reqs), "turns": count, "start_err": None, "ttfb_err": None,
           "size_bad": 0, "fails": fails}
    if conc:
        if abs(count - len(reqs)) > CONCURRENT_COUNT_TOL * len(reqs):
            fails.append("count %d turns for %d requests (> 5%%)" % (count, len(reqs)))
        # The first turn carries the client preface and the first request the
        # HPACK table's first use: both left out, on both sides.
        sizes_t = [t["bytes"] - over * t["records"] for t in turns[1:]]
        sizes_r = [r["length"] for r in reqs[1:len(turns)]]
        if turns:
            ct, cr = cv(sizes_t), cv(sizes_r)
            fig["spread"] = (ct, cr)
            if abs(ct - cr) > SPREAD_TOL:
                fails.append("request-size CV %.3f in turns, %.3f in the log" % (ct, cr))
        # HTTP/3 sends each request in packets of its own: when every turn is
        # listed and the counts agree, turn i is request i (start and size
        # checked; the time to first byte is shown, not checked: answers that
        # overlap are attributed by runs).
        if h3 and count == len(reqs) == len(turns):
            check_pairs(list(zip(turns, reqs)), http, fig, False)
        return fig
    if count != len(reqs):
        fails.append("count %d turns for %d requests" % (count, len(reqs)))
    check_pairs(pairs(turns, reqs, count == len(reqs), count == len(turns)), http, fig, True)
    return fig


def check_pairs(prs, http, fig, ttfb_checked):
    """Start, size and (when ttfb_checked) time to first byte of each (turn,
    request) pair; the largest errors go to fig."""
    fails = fig["fails"]
    start_err = ttfb_err = 0.0
    for i, (t, r) in enumerate(prs):
        se = abs(t["start"] - r["start"])
        start_err = max(start_err, se)
        if se > START_TOL_S:
            fails.append("start: request %d at %+.0f ms from %s" % (i + 1, (t["start"] - r["start"]) * 1e3, r["what"]))
        res, ok = residual(t, r, http, i == 0)
        if not ok:
            fig["size_bad"] += 1
            fails.append("size: request %d: turn request_bytes %d (%d records) for request_length %d: residual %d" %
                         (i + 1, t["bytes"], t["records"], r["length"], res))
        te = abs(t["ttfb"] - r["ttfb"])
        ttfb_err = max(ttfb_err, te)
        if ttfb_checked and te > TTFB_TOL_S:
            fails.append("ttfb: request %d: turn %.1f ms, server %.1f ms (%s)" % (i + 1, t["ttfb"] * 1e3, r["ttfb"] * 1e3, r["what"]))
    fig["start_err"], fig["ttfb_err"] = start_err, ttfb_err


def main():
    name, events, log = sys.argv[1:4]
    conns, flows = read_log(log), read_flows(events)
    failed = 0
    tot_req = tot_turn = 0
    max_start = max_ttfb = 0.0
    nbad = {"count": 0, "start": 0, "size": 0, "ttfb": 0, "request-size": 0}
    for port in sorted(conns):
        reqs = conns[port]
        fig = check_conn(port, reqs, flows.get(port), sys.stdout)
        tot_req += fig["requests"]
        tot_turn += fig["turns"]
        if fig["start_err"] is not None:
            max_start = max(max_start, fig["start_err"])
            max_ttfb = max(max_ttfb, fig["ttfb_err"])
        extra = ""
        if "spread" in fig:
            extra = " size CV turns %.3f log %.3f" % fig["spread"]
        se = "-" if fig["start_err"] is None else "%.1f" % (fig["start_err"] * 1e3)
        te = "-" if fig["ttfb_err"] is None else "%.1f" % (fig["ttfb_err"] * 1e3)
        status = "FAIL" if fig["fails"] else "ok"
        print("  %-4s %s port %-5d %-13s requests %3d turns %3d max start err %6s ms max ttfb err %8s ms%s" %
              (status, name, port, fig["kind"], fig["requests"], fig["turns"], se, te, extra))
        for f in fig["fails"]:
            print("         " + f)
            nbad[f.split(" ")[0].rstrip(":")] = nbad.get(f.split(" ")[0].rstrip(":"), 0) + 1
        if fig["fails"]:
            failed += 1
    for port in sorted(set(flows) - set(conns)):
        if flows[port]["count"]:
            print("  FAIL %s port %d: %d turns on a connection with no request in the log" % (name, port, flows[port]["count"]))
            failed += 1
    print("SUMMARY\t%s\tconnections %d\tfailed %d\trequests %d\tturns %d\tmax_start_err_ms %.1f\tmax_ttfb_err_ms %.1f\t%s" %
          (name, len(conns), failed, tot_req, tot_turn, max_start * 1e3, max_ttfb * 1e3,
           " ".join("%s:%d" % kv for kv in sorted(nbad.items()) if kv[1])))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
