#!/usr/bin/env bash
# Enrichment: with --geoip-db/--asn-db (test databases built here with
# tools/mkmmdb, never downloaded) source and alert events carry geo
# {country, asn, as_org}; rules can test them; without a database the sensor
# runs and omits geo; a bad database is a clear error at start-up (exit 2).
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null || { echo "libmaxmind-db-writer-perl missing (tools/setup.sh installs it)"; exit 1; }
cat >"$work/city.txt" <<'T'
type GeoLite2-City
10.0.0.0/8 country=ZZ
10.64.0.0/16 country=DE
T
cat >"$work/asn.txt" <<'T'
type GeoLite2-ASN
10.64.0.0/16 asn=64500 org="Example Hosting"
T
"$src/tools/mkmmdb" "$work/city.txt" "$work/city.mmdb" >/dev/null || exit 1
"$src/tools/mkmmdb" "$work/asn.txt" "$work/asn.mmdb" >/dev/null || exit 1
python3 "$src/tools/bench/gen-span.py" "$work/t.pcap" --flows 300 --ai-share 1.0 --seed 5 >/dev/null || exit 1
# A rule on ASN organisation: fires for sources in the hosting ASN only.
cp -r "$src/rules" "$work/r"
cat >"$work/r/zz-geo.rules" <<'R'
alert ai-harvest (msg:"TEST AI API use from a hosting ASN"; window:10m; requests:>=1; as_org:"Example Hosting"; severity:3; classtype:ai-hosting; sid:9900001; rev:1;)
R
fail=0
"$bin" --check-rules --rules "$work/r" >/dev/null || { echo "FAIL: geo rule does not parse"; "$bin" --check-rules --rules "$work/r"; exit 1; }
"$bin" -r "$work/t.pcap" --rules "$work/r" --geoip-db "$work/city.mmdb" --asn-db "$work/asn.mmdb" \
    --source-events -o "$work/geo.json" || exit 1
"$bin" -r "$work/t.pcap" --rules "$work/r" --source-events -o "$work/nogeo.json" || exit 1
python3 - "$work/geo.json" "$work/nogeo.json" <<'PY' || fail=1
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
src = [e for e in ev if e["event_type"] == "source"]
alerts = [e for e in ev if e["event_type"] == "alert" and e["alert"]["signature_id"] == 9900001]
bad = 0
if not src:
    print("FAIL: no source events"); sys.exit(1)
for e in src:
    g = e.get("geo")
    want = {"country": "DE", "asn": 64500, "as_org": "Example Hosting"}
    if g != want:
        print("FAIL: source", e["src_ip"], "geo", g, "want", want); bad = 1; break
if not alerts or any(a.get("geo", {}).get("as_org") != "Example Hosting" for a in alerts):
    print("FAIL: no alert with geo from the ASN rule"); bad = 1
print(f"{len(src)} source events with geo, {len(alerts)} hosting-ASN alerts")
nogeo = [json.loads(l) for l in open(sys.argv[2])]
if any("geo" in e for e in nogeo):
    print("FAIL: geo present without a database"); bad = 1
if any(e["event_type"] == "alert" and e["alert"]["signature_id"] == 9900001 for e in nogeo):
    print("FAIL: ASN rule fired without a database"); bad = 1
sys.exit(bad)
PY
# Bad databases: a clear error naming the file, exit 2, no events.
echo "not a database" >"$work/garbage.mmdb"
for args in "--geoip-db $work/garbage.mmdb" "--asn-db $work/missing.mmdb" "--geoip-db $work/asn.mmdb"; do
    # shellcheck disable=SC2086
    "$bin" -r "$work/t.pcap" $args -o "$work/x.json" 2>"$work/err"; rc=$?
    db=${args#* }
    if [ $rc -ne 2 ] || ! grep -q "$(basename "$db")" "$work/err" || [ -s "$work/x.json" ]; then
        echo "FAIL $args: exit $rc"; cat "$work/err"; fail=1
    else
        echo "ok   $args: $(head -1 "$work/err")"
    fi
done
exit $fail
