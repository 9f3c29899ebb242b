#!/usr/bin/env bash
# QUIC client flows as Chrome sends them, made by tools/mkquic from a real
# ClientHello with an X25519MLKEM768 (0x11ec) key share: suricata-verify's
# quic-frag-unordered capture (a Chrome-style QUIC hello, 11 extensions,
# ML-KEM share first) when ../shared/peer is there; else browser.pcap's
# Chrome QUIC hello (X25519 only), to which mkquic adds the ML-KEM share and
# group as Chrome does. The SNI is rewritten to chatgpt.com. For each case
# (one piece; split over 2 and 3 Initials; shuffled CRYPTO frames with PING
# and PADDING; coalesced with Handshake and 0-RTT packets; a Retry; v2; a
# lost first Initial) the flow event must carry quic.sni, ai.provider
# (openai, from the catalogue) and a quic.ja4 equal to the one computed here
# from the hello's bytes, FoxIO's way (and so the same for every case).
#
# Two floods of 5,000 flows, each one Initial with a random DCID from its
# own port, then the real hello. In `flood` every Initial opens and holds
# the first 300 bytes of a hello that never completes, so the first 256
# flows take every reassembly slot: the rest, and the real flow, are shed
# and counted (sensor.quic.shed); the real flow still gets its SNI and
# provider from nDPI (v1, in order), but no JA4 (by design: the slots are
# full). In `floodwait` the same flood is followed by 3 s of quiet, then
# the real hello, shuffled: every slot is still held by a flood flow (their
# flows time out after 300 s), but the oldest has waited longer than
# sensor.c's QUIC_REASM_STALE_US (2 s) for the rest of its hello, so the
# real flow takes it back (sensor.quic.reclaimed 1) and gets SNI, JA4 and
# provider; the flood's shed count is as in `flood` (during the flood no
# slot is stale) without the real flow. In `floodjunk` no Initial opens,
# so none holds a slot: the real hello, in v2 and shuffled (which nDPI 4.2
# cannot read), gets SNI, JA4 and provider. Every case also carries the
# hello's JA3 (Salesforce's, computed here from its bytes: our own, from
# tls-ja3.c; nDPI 4.2 gives none for v2 or shuffled hellos). Memory: peak RSS (GNU time) at most the RSS of the one-piece
# capture plus 12 KiB a flow. Measured 7.7 KiB a flow (flow entry, flow_app
# with --all-tls following every flow, nDPI state): 58.7 MB for `flood`
# against 20.3 MB for one flow. Reassembly buffers held for every flow
# (18.5 KiB each) would exceed it. A sanitizer build is checked for all but
# RSS: ASan's shadow memory and quarantine (freed blocks kept) make it no
# measure of what the sensor holds.
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?} peer=${DS_PEER_DIR:-}
python3 -c 'import cryptography' 2>/dev/null ||
    { echo "SKIP: python3-cryptography missing (tools/packages.d/core.txt)"; exit 77; }
[ -x /usr/bin/time ] || { echo "SKIP: GNU time missing (package time)"; exit 77; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
flood=5000
sanitized=0
grep -qa __asan_init "$bin" && sanitized=1
fail=0

mlkem_pcap=$peer/suricata-verify/tests/quic-frag-unordered/input.pcap
if [ -n "$peer" ] && [ -f "$mlkem_pcap" ]; then
    "$src/tools/mkquic" hello "$mlkem_pcap" "$work/hello.bin" || exit 1
    add=()
    echo "hello: $mlkem_pcap"
else
    "$src/tools/mkquic" hello "$src/pcaps/scenarios/browser.pcap" "$work/hello.bin" || exit 1
    add=(--mlkem)
    echo "hello: browser.pcap's Chrome hello, ML-KEM share added (no ../shared/peer)"
fi
"$src/tools/mkquic" make "$work/hello.bin" "$work/caps" --sni chatgpt.com --flood "$flood" \
    "${add[@]}" || exit 1

# The JA4 FoxIO's way, from the hello's bytes alone; and the ML-KEM share.
want=$(python3 - "$work/caps/hello.bin" <<'PY'
import hashlib
import struct
import sys

h = open(sys.argv[1], 'rb').read()
grease = lambda v: (v & 0x0f0f) == 0x0a0a
i = 4 + 2 + 32
i += 1 + h[i]
n = struct.unpack('!H', h[i:i + 2])[0]
ciphers = [c for c in struct.unpack('!%dH' % (n // 2), h[i + 2:i + 2 + n]) if not grease(c)]
i += 2 + n
i += 1 + h[i]
end = i + 2 + struct.unpack('!H', h[i:i + 2])[0]
i += 2
exts, ver, alpn, sigs, groups = [], 0, '00', [], []
while i < end:
    t, n = struct.unpack('!HH', h[i:i + 4])
    d = h[i + 4:i + 4 + n]
    i += 4 + n
    if grease(t):
        continue
    exts.append(t)
    if t == 43:
        ver = max(v for v in struct.unpack('!%dH' % (d[0] // 2), d[1:1 + d[0]]) if not grease(v))
    elif t == 16:
        first = d[3:3 + d[2]].decode()
        alpn = first[0] + first[-1]
    elif t == 13:
        sigs = list(struct.unpack('!%dH' % ((len(d) - 2) // 2), d[2:]))
    elif t == 51:
        j = 2
        while j + 4 <= len(d):
            g, m = struct.unpack('!HH', d[j:j + 4])
            groups.append((g, m))
            j += 4 + m
if (0x11ec, 1216) not in groups:
    sys.exit('hello has no X25519MLKEM768 key share: %r' % groups)
sha = lambda s: hashlib.sha256(s.encode()).hexdigest()[:12] if s else '000000000000'
vers = {0x0304: '13', 0x0303: '12'}[ver]
a = 'q%s%s%02d%02d%s' % (vers, 'd' if 0 in exts else 'i', min(len(ciphers), 99),
                         min(len(exts), 99), alpn)
b = sha(','.join('%04x' % c for c in sorted(ciphers)))
rest = ','.join('%04x' % e for e in sorted(exts) if e not in (0, 16))
if sigs:
    rest += '_' + ','.join('%04x' % s for s in sigs)
ja4 = '%s_%s_%s' % (a, b, sha(rest))
# JA3 (Salesforce): SSLVersion,Ciphers,Extensions,EllipticCurves,ECPointFormats
# in decimal, GREASE left out, wire order; groups and point formats as listed.
legacy = struct.unpack('!H', h[4:6])[0]
curves, pf = [], []
j = 4 + 2 + 32
j += 1 + h[j]
j += 2 + struct.unpack('!H', h[j:j + 2])[0]
j += 1 + h[j]
j += 2
while j < end:
    t, n = struct.unpack('!HH', h[j:j + 4])
    d = h[j + 4:j + 4 + n]
    j += 4 + n
    if t == 10:
        curves = [g for g in struct.unpack('!%dH' % (len(d[2:]) // 2), d[2:]) if not grease(g)]
    elif t == 11:
        pf = list(d[1:1 + d[0]])
dash = lambda v: '-'.join(str(x) for x in v)
ja3 = '%d,%s,%s,%s,%s' % (legacy, dash(ciphers), dash(exts), dash(curves), dash(pf))
print(ja4, hashlib.md5(ja3.encode()).hexdigest())
PY
) || exit 1
read -r want want_ja3 <<<"$want"
echo "expected JA4 $want, JA3 $want_ja3"

/usr/bin/time -f %M -o "$work/base.rss" "$bin" -q -r "$work/caps/whole.pcap" --all-tls \
    -o "$work/base.json" || exit 1
base=$(cat "$work/base.rss")

while IFS=$'\t' read -r name pcap; do
    /usr/bin/time -f %M -o "$work/$name.rss" "$bin" -q -r "$work/caps/$pcap" --all-tls \
        -o "$work/$name.json" || { echo "FAIL $name: sensor failed"; fail=1; continue; }
    python3 - "$work/$name.json" "$name" "$want" "$(cat "$work/$name.rss")" "$base" "$flood" \
        "$sanitized" "$want_ja3" <<'PY' || fail=1
import json
import sys

path, name, want, rss, base, flood, sanitized, want_ja3 = sys.argv[1:9]
rss, base, flood = int(rss), int(base), int(flood)
ev = [json.loads(l) for l in open(path, encoding='utf-8')]
real = [e for e in ev if e.get('event_type') == 'flow' and e['src_ip'] == '10.20.0.2']
stats = [e for e in ev if e.get('event_type') == 'stats'][-1]['sensor']
errs = []
if len(real) != 1:
    errs.append('%d flow events of the real client, want 1' % len(real))
else:
    q, ai = real[0].get('quic', {}), real[0].get('ai', {})
    if q.get('sni') != 'chatgpt.com':
        errs.append('quic.sni %r' % q.get('sni'))
    if ai.get('provider') != 'openai':
        errs.append('ai.provider %r' % ai.get('provider'))
    ja4 = None if name == 'flood' else want  # flood: every slot is held, see above
    if q.get('ja4') != ja4:
        errs.append('quic.ja4 %r, want %r' % (q.get('ja4'), ja4))
    ja3 = (q.get('ja3') or {}).get('hash')
    if ja3 != want_ja3:
        errs.append('quic.ja3 %r, want %r' % (ja3, want_ja3))
    if name.startswith('v2') or name == 'floodjunk':
        if q.get('version') != '6b3343cf':
            errs.append('quic.version %r, want v2' % q.get('version'))
shed, held = stats['quic']['shed'], stats['quic']['reassembling']
reclaimed = stats['quic']['reclaimed']
if reclaimed != (1 if name == 'floodwait' else 0):
    errs.append('sensor.quic.reclaimed %d, want %d' % (reclaimed, name == 'floodwait'))
if held != 0:
    errs.append('%d flows still reassembling at the end' % held)
if name.startswith('flood'):
    # flood: the real flow too, once for its 2 Initials (shed counts flows);
    # floodwait: the real flow reclaims
    want_shed = {'flood': flood - 256 + 1, 'floodwait': flood - 256}.get(name, 0)
    if shed != want_shed:
        errs.append('sensor.quic.shed %d, want %d' % (shed, want_shed))
    if stats['flows']['quic'] != flood + 1:
        errs.append('sensor.flows.quic %d, want %d' % (stats['flows']['quic'], flood + 1))
    bound = base + flood * 12
    if rss > bound and sanitized == '0':
        errs.append('peak RSS %d KiB over %d KiB (%d + %d flows x 12 KiB)' % (rss, bound, base, flood))
elif shed != 0:
    errs.append('sensor.quic.shed %d, want 0' % shed)
if errs:
    print('FAIL %s: %s' % (name, '; '.join(errs)))
    sys.exit(1)
print('ok   %s: sni, provider, JA3%s; shed %d; reclaimed %d; peak RSS %d KiB (one flow: %d)%s' %
      (name, '' if name == 'flood' else ', JA4', shed, reclaimed, rss, base,
       ', not checked: sanitizer build' if sanitized == '1' else ''))
PY
done < "$work/caps/cases.tsv"
exit $fail
