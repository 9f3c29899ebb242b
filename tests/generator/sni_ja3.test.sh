#!/usr/bin/env bash
# Every generated TLS flow carries a real client's ClientHello with the intended
# SNI: tshark's SNI equals the one the generator logged for the flow (--flow-log),
# and tshark's JA3 equals tshark's JA3 of the template connection in
# pcaps/clients/<client>.pcap it came from. Every flow that opens well before the
# end has a ClientHello, and every client capture is used by some flow. QUIC flows
# (tshark decrypts their Initials) carry the SNI of the real conversation replayed.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_tshark

runs=("rotating --duration 25m" "developer --duration 90m" "automation --duration 6m"
      "browser --duration 15m" "mix --duration 10m --scale 0.3" "jittered --duration 10m")
i=0
for r in "${runs[@]}"; do
    # shellcheck disable=SC2086
    "$gen" $r --seed 31 --peer "$peer" -q -o "$tmp/run$i.pcap" --flow-log "$tmp/run$i.flows"
    tshark -r "$tmp/run$i.pcap" -Y 'tls.handshake.type == 1' -T fields -E separator=/t \
        -e ip.src -e ipv6.src -e tcp.srcport -e udp.srcport -e tls.handshake.extensions_server_name \
        -e tls.handshake.ja3 -e frame.time_epoch > "$tmp/run$i.hellos" 2>/dev/null
    tshark -r "$tmp/run$i.pcap" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' -T fields -E separator=/t \
        -e ip.src -e ipv6.src -e tcp.srcport -e frame.time_epoch > "$tmp/run$i.syns" 2>/dev/null
    tshark -r "$tmp/run$i.pcap" -T fields -e frame.time_epoch 2>/dev/null | tail -1 > "$tmp/run$i.last"
    i=$((i + 1))
done
for f in "$src"/pcaps/clients/*.pcap; do
    c=$(basename "$f" .pcap)
    tshark -r "$f" -Y 'tls.handshake.type == 1' -T fields -E separator=/t \
        -e tcp.srcport -e tls.handshake.ja3 2>/dev/null | sed "s/^/$c\t/" >> "$tmp/templates.tsv"
done

python3 - "$tmp" "$i" <<'PY'
import glob, os, sys
tmp, runs = sys.argv[1], int(sys.argv[2])
tja3 = {}
for line in open(os.path.join(tmp, "templates.tsv")):
    c, port, ja3 = line.rstrip("\n").split("\t")
    tja3[(c, int(port))] = ja3
clients = {c for c, _ in tja3}
bad, used, hellos_total = [], set(), 0
for i in range(runs):
    flows = {}
    for line in open(os.path.join(tmp, "run%d.flows" % i)):
        t, proto, ip, port, _dst, _dport, sni, client, tport, role = line.rstrip("\n").split("\t")
        flows[(proto, ip, int(port))] = (sni, client, int(tport), role)
    seen = set()
    quic_hellos = 0
    for line in open(os.path.join(tmp, "run%d.hellos" % i)):
        ip4, ip6, tport_s, uport_s, sni, ja3, ts = line.rstrip("\n").split("\t")
        proto = "tcp" if tport_s else "udp"
        key = (ip4 or ip6, int(tport_s or uport_s))
        hellos_total += 1
        if (proto,) + key not in flows:
            bad.append("run %d: %s ClientHello from %s:%d not in the flow log" % (i, proto, *key))
            continue
        want_sni, client, tport, role = flows[(proto,) + key]
        if proto == "udp":
            quic_hellos += 1
            if sni != want_sni:
                bad.append("run %d QUIC %s:%d: SNI %r, want the template's %r" % (i, *key, sni, want_sni))
            continue
        seen.add(key)
        used.add(client)
        if sni != want_sni:
            bad.append("run %d %s:%d (%s): SNI %r, want %r" % (i, *key, role, sni, want_sni))
        want = tja3.get((client, tport))
        if want is None:
            bad.append("run %d: template %s:%d has no ClientHello in pcaps/clients" % (i, client, tport))
        elif ja3 != want:
            bad.append("run %d %s:%d (%s via %s:%d): JA3 %s, template %s"
                       % (i, *key, role, client, tport, ja3, want))
    last = float(open(os.path.join(tmp, "run%d.last" % i)).read().strip() or 0)
    for line in open(os.path.join(tmp, "run%d.syns" % i)):
        ip4, ip6, port, ts = line.rstrip("\n").split("\t")
        key = (ip4 or ip6, int(port))
        if key not in seen and float(ts) < last - 5.0:
            bad.append("run %d: flow %s:%d opened at %s has no ClientHello" % (i, *key, ts))
missing = sorted(clients - used)
if missing:
    bad.append("client captures never used: %s" % ", ".join(missing))
for b in bad[:40]:
    print("FAIL " + b)
if len(bad) > 40:
    print("FAIL ... and %d more" % (len(bad) - 40))
if not bad:
    print("ok: %d ClientHellos over %d runs: SNI as intended, JA3 as the template's; %d clients used"
          % (hellos_total, runs, len(used)))
    print("    (QUIC ClientHellos are included: their SNI is the replayed conversation's)")
sys.exit(1 if bad else 0)
PY
