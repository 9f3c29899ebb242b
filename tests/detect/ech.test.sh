#!/usr/bin/env bash
# Encrypted Client Hello (0xfe0d) on the wire, over TCP and QUIC, from real
# Chrome hellos: pcaps/clients/chromium.pcap's TCP hello (which carries
# Chrome's GREASE ECH) and pcaps/scenarios/browser.pcap's QUIC hello (which
# carries none), edited by tests/detect/mkech.py (server_name, an outer
# ECHClientHello) and replayed as a TCP flow (mkech.py) or as QUIC Initials
# (tools/mkquic: one piece, split over two, shuffled frames).
#
#   grease: the service's SNI stays in the outer hello: tls.sni, tls.ech
#           "grease", the provider from the name, sensor.ech.grease;
#   real:   the outer SNI is cloudflare-ech.com (Cloudflare's public name):
#           no sni (nDPI's reading of the outer name is kept out for QUIC),
#           tls.ech "real", tls.ech_outer_sni, the provider from a catalogue
#           address range (a test range 203.0.113.0/24 added to a copy of
#           the rules) or no flow event without one, sensor.ech.real, and
#           sensor.ech.ai_flows_by_provider; the JA4 is the outer hello's,
#           equal to the GREASE flow's (same extensions; SNI is not hashed);
#   real without any outer SNI: "real", no ech_outer_sni;
#   bad:    an ECH extension whose payload length runs past it: no ech in
#           the event, sensor.ech.malformed, the rest of the hello stands;
#   a rule `ech:real` alerts on the real TCP flow's source (the alert's tls
#   object says ech and ech_outer_sni), not on GREASE. (Rules are evaluated
#   on turns; mkquic's flows end after their Initials, so none for QUIC.)
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
python3 -c 'import cryptography' 2>/dev/null ||
    { echo "SKIP: python3-cryptography missing (tools/packages.d/core.txt)"; exit 77; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mk="python3 $src/tests/detect/mkech.py"
fail=0

# Rules: the shipped ones, and a copy with a test address range and a rule
# on the ech feature.
cp -r "$src/rules" "$work/rules-range"
echo "cidr 203.0.113.0/24 example-ai api" >>"$work/rules-range/ai-services.conf"
cat >"$work/rules-range/ech-test.rules" <<'EOF'
alert ai-harvest (msg:"ECH-TEST real ECH"; window:1m; new_connections:>=1; ech:real; sid:9900001;)
EOF

$mk tcp-hello "$src/pcaps/clients/chromium.pcap" "$work/tcp.bin" || exit 1
"$src/tools/mkquic" hello "$src/pcaps/scenarios/browser.pcap" "$work/quic.bin" >/dev/null || exit 1
for t in tcp quic; do
    $mk edit "$work/$t.bin" "$work/$t-grease.bin" --sni chatgpt.com --ech grease &&
        $mk edit "$work/$t.bin" "$work/$t-real.bin" --sni cloudflare-ech.com --ech grease &&
        $mk edit "$work/$t.bin" "$work/$t-nosni.bin" --sni - --ech grease &&
        $mk edit "$work/$t.bin" "$work/$t-bad.bin" --sni chatgpt.com --ech bad || exit 1
done
for c in grease real nosni bad; do
    $mk tcp "$work/tcp-$c.bin" "$work/tcp-$c.pcap" || exit 1
    "$src/tools/mkquic" make "$work/quic-$c.bin" "$work/quic-$c" >/dev/null || exit 1
done

# check NAME PCAP RULES EXPECT...: runs the sensor and evaluates each python
# expression EXPECT over `flows` (the flow events), `alerts` and `ech`
# (the last stats event's sensor.ech).
check() {
    local name=$1 pcap=$2 rules=$3; shift 3
    "$bin" --rules "$rules" -r "$pcap" -o - --stats-interval 1 >"$work/$name.json" \
        2>"$work/$name.err" || { echo "FAIL $name: exit $?"; cat "$work/$name.err"; fail=1; return; }
    python3 - "$work/$name.json" "$name" "$@" <<'PY' || fail=1
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
flows = [e for e in evs if e['event_type'] == 'flow']
alerts = [e for e in evs if e['event_type'] == 'alert']
ech = [e for e in evs if e['event_type'] == 'stats'][-1]['sensor']['ech']
def hs(f):
    return f.get('tls') or f.get('quic') or {}
def holds(x):
    try:
        return bool(eval(x))
    except (LookupError, TypeError):
        return False
bad = [x for x in sys.argv[3:] if not holds(x)]
for x in bad:
    print('FAIL %s: %s' % (sys.argv[2], x))
    print('  flows: %s\n  sensor.ech: %s' % ([hs(f) | {'ai': f.get('ai')} for f in flows],
                                              {k: v for k, v in ech.items() if k != 'ai_flows_by_provider'}))
if not bad:
    print('ok   %s' % sys.argv[2])
sys.exit(1 if bad else 0)
PY
}

shipped=$src/rules range=$work/rules-range
check chromium-as-captured "$src/pcaps/clients/chromium.pcap" "$shipped" \
    "all(hs(f).get('ech') == 'grease' and hs(f).get('sni') == 'chatgpt.com' for f in flows)" \
    "len(flows) == 2 and ech['grease'] == 2 and ech['ai_flows_by_provider']['openai'] == 2"
for t in tcp quic; do
    for case in whole split2 shuffled; do
        if [ $t = tcp ]; then p() { echo "$work/tcp-$1.pcap"; }; [ $case = whole ] || continue
        else p() { echo "$work/quic-$1/$case.pcap"; }; fi
        check "$t-$case-grease" "$(p grease)" "$shipped" \
            "len(flows) == 1 and hs(flows[0])['sni'] == 'chatgpt.com'" \
            "hs(flows[0])['ech'] == 'grease' and 'ech_outer_sni' not in hs(flows[0])" \
            "flows[0]['ai']['provider'] == 'openai'" \
            "ech['grease'] == 1 and ech['real'] == 0 and ech['ai_flows_by_provider']['openai'] == 1"
        "$bin" -r "$(p grease)" -o - | python3 -c 'import json,sys
print([(e.get("tls") or e.get("quic"))["ja4"] for e in map(json.loads, sys.stdin) if e["event_type"] == "flow"][0])' \
            >"$work/ja4"
        ja4=$(cat "$work/ja4")
        check "$t-$case-real" "$(p real)" "$range" \
            "len(flows) == 1 and 'sni' not in hs(flows[0])" \
            "hs(flows[0])['ech'] == 'real' and hs(flows[0])['ech_outer_sni'] == 'cloudflare-ech.com'" \
            "flows[0]['ai']['provider'] == 'example-ai' and flows[0]['ai']['match'] == '203.0.113.0/24'" \
            "hs(flows[0])['ja4'] == '$ja4'" \
            "ech['real'] == 1 and ech['grease'] == 0 and ech['ai_flows_by_provider']['example-ai'] == 1" \
            "'$t' == 'quic' or len(alerts) == 1 and alerts[0]['alert']['signature_id'] == 9900001" \
            "'$t' == 'quic' or hs(alerts[0])['ech'] == 'real' and 'sni' not in hs(alerts[0])" \
            "'$t' == 'quic' or hs(alerts[0])['ech_outer_sni'] == 'cloudflare-ech.com'"
        check "$t-$case-real-no-range" "$(p real)" "$shipped" \
            "len(flows) == 0 and ech['real'] == 1"
        check "$t-$case-real-no-sni" "$(p nosni)" "$range" \
            "len(flows) == 1 and hs(flows[0])['ech'] == 'real' and 'ech_outer_sni' not in hs(flows[0])" \
            "'sni' not in hs(flows[0]) and flows[0]['ai']['provider'] == 'example-ai'"
        check "$t-$case-bad" "$(p bad)" "$range" \
            "len(flows) == 1 and 'ech' not in hs(flows[0]) and hs(flows[0])['sni'] == 'chatgpt.com'" \
            "flows[0]['ai']['provider'] == 'openai' and ech['malformed'] == 1" \
            "ech['grease'] == 0 and ech['real'] == 0 and len(alerts) == 0"
    done
done
# Captures from the wild (nDPI's tests): a browser's hello to
# performance.radar.cloudflare.com with the ECH extension. Its outer SNI is
# the site's own name, not Cloudflare's public name cloudflare-ech.com: GREASE.
peer=${DS_PEER_DIR:-}
wild=$peer/nDPI/tests/cfgs/default/pcap/tls_ech.pcapng
if [ -n "$peer" ] && [ -f "$wild" ]; then
    check ndpi-tls_ech "$wild" "$shipped" \
        "ech['grease'] == 1 and ech['real'] == 0 and ech['malformed'] == 0"
    "$bin" --all-tls -r "$wild" -o - >"$work/wild.json" 2>/dev/null
    grep -q '"tls":{"sni":"performance.radar.cloudflare.com","ech":"grease",' "$work/wild.json" ||
        { echo "FAIL ndpi-tls_ech: no GREASE ECH flow event with --all-tls"; fail=1; }
    # and the only QUIC hello of nDPI's suite with the extension (tshark
    # finds these two), a hello over two DCIDs to cdnjs.cloudflare.com.
    "$bin" --all-tls -r "${wild%/*}/quic_frags_different_dcid.pcapng" -o - >"$work/wildq.json" \
        2>/dev/null
    grep -q '"quic":{"sni":"cdnjs.cloudflare.com","ech":"grease",' "$work/wildq.json" ||
        { echo "FAIL ndpi-quic_frags_different_dcid: no GREASE ECH QUIC flow event"; fail=1; }
else
    echo "note: no ../shared/peer: nDPI's tls_ech.pcapng not checked"
fi
# GREASE does not match a rule on ech:real.
check grease-no-alert "$work/tcp-grease.pcap" "$range" "len(alerts) == 0 and len(flows) == 1"
exit $fail
