#!/usr/bin/env python3
"""Feeds a classic pcap to a pipe in parts, each on cue, so a test can act
between them (stop a collector, free a disk, send SIGHUP).

  pcapfeed.py PCAP PIPE GO [--parts N] [--sleep S]

Writes the file header, then for part i (1..N, equal shares of the packets)
waits until the file GO<i> exists, writes the part 40 packets at a time with
S seconds (default 0.02) between writes so the sensor's output spreads over
it, and creates GO<i>.done when the part is written."""
import argparse
import os
import struct
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pcap")
    ap.add_argument("pipe")
    ap.add_argument("go")
    ap.add_argument("--parts", type=int, default=4)
    ap.add_argument("--sleep", type=float, default=0.02)
    a = ap.parse_args()
    data = open(a.pcap, "rb").read()
    recs, off = [], 24
    while off + 16 <= len(data):
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        recs.append(data[off:off + 16 + caplen])
        off += 16 + caplen
    n = len(recs)
    bounds = [n * i // a.parts for i in range(a.parts + 1)]
    with open(a.pipe, "wb") as out:
        out.write(data[:24])
        for i in range(a.parts):
            while not os.path.exists(f"{a.go}{i + 1}"):
                time.sleep(0.02)
            part = recs[bounds[i]:bounds[i + 1]]
            for j in range(0, len(part), 40):
                out.write(b"".join(part[j:j + 40]))
                out.flush()
                time.sleep(a.sleep)
            open(f"{a.go}{i + 1}.done", "w").close()


if __name__ == "__main__":
    main()
