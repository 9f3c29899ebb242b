#!/usr/bin/env python3
"""Turns an Ethernet pcap (classic, little-endian, microseconds) into a
fuzz_sensor input: a flag byte, then each frame as a 2-byte big-endian length
and the frame, its first byte doubling as the time step (see
tests/fuzz/fuzz_sensor.c).  pcap2fuzz.py IN.pcap OUT [--all-tls] [--max N]"""
import struct
import sys

args = [a for a in sys.argv[1:] if not a.startswith('--')]
flags = 1 if '--all-tls' in sys.argv else 0
limit = 400
if '--max' in sys.argv:
    limit = int(sys.argv[sys.argv.index('--max') + 1])
    args = args[:2]
data = open(args[0], 'rb').read()
magic, _, _, _, _, _, linktype = struct.unpack('<IHHiIII', data[:24])
if magic != 0xa1b2c3d4 or linktype != 1:
    sys.exit(f'{args[0]}: want a little-endian Ethernet pcap')
off, out, n = 24, bytearray([flags]), 0
while off + 16 <= len(data) and n < limit:
    caplen = struct.unpack('<I', data[off + 8:off + 12])[0]
    frame = data[off + 16:off + 16 + caplen][:65535]
    out += struct.pack('!H', len(frame)) + frame
    off += 16 + caplen
    n += 1
open(args[1], 'wb').write(out)
print(f'{args[1]}: {n} frames, {len(out)} bytes')
