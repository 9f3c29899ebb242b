#!/usr/bin/env bash
# Builds the test MaxMind databases from tests/data/geo/*.txt with tools/mkmmdb
# into $DS_BUILD_DIR/geo/, checks mkmmdb's own error reporting, then runs the
# geo unit tests (tests/unit/test_geo.c) against those databases. The plain
# unit/test_geo ctest skips its database tests (no DS_GEO_DIR); this one must
# run every one of them, so a skip here is a failure.
set -euo pipefail
: "${DS_SOURCE_DIR:?}" "${DS_BUILD_DIR:?}"

mkmmdb=$DS_SOURCE_DIR/tools/mkmmdb
data=$DS_SOURCE_DIR/tests/data/geo
geo=$DS_BUILD_DIR/geo
bin=$DS_BUILD_DIR/tests/test_geo

if [ ! -x "$bin" ]; then
    echo "geo: $bin not built (cmocka missing?)" >&2
    exit 77
fi
if ! perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null; then
    echo "geo: libmaxmind-db-writer-perl is not installed: run tools/setup.sh" >&2
    exit 1
fi

rm -rf "$geo"
mkdir -p "$geo"
"$mkmmdb" "$data/city.txt" "$geo/city.mmdb"
"$mkmmdb" "$data/asn.txt" "$geo/asn.mmdb"
"$mkmmdb" --type GeoLite2-Country "$data/city.txt" "$geo/country.mmdb"
"$mkmmdb" --no-alias "$data/city.txt" "$geo/city-noalias.mmdb"
"$mkmmdb" --type My-IP-Data "$data/asn.txt" "$geo/other.mmdb"
# The IPv4 lines only, in an IPv4 database.
awk '$1 !~ /:/' "$data/city.txt" > "$geo/city4.txt"
"$mkmmdb" --ip-version 4 "$geo/city4.txt" "$geo/city4.mmdb"

# mkmmdb reports bad input as file:line: why and exits 2.
cat > "$geo/bad.txt" <<'EOF'
type GeoLite2-City
192.0.2.0/24 country=USA
198.51.100.0/24 asn=12 colour=blue
EOF
set +e
"$mkmmdb" "$geo/bad.txt" "$geo/bad.mmdb" 2> "$geo/bad.err"
rc=$?
set -e
cat "$geo/bad.err" >&2
[ "$rc" -eq 2 ] || { echo "geo: mkmmdb exited $rc on bad input, want 2" >&2; exit 1; }
grep -qF "$geo/bad.txt:2: country=USA" "$geo/bad.err" || { echo "geo: no line 2 error" >&2; exit 1; }
grep -qF "$geo/bad.txt:3: unknown key 'colour'" "$geo/bad.err" || { echo "geo: no line 3 error" >&2; exit 1; }
[ ! -e "$geo/bad.mmdb" ] || { echo "geo: mkmmdb wrote a database from bad input" >&2; exit 1; }

set +e
DS_GEO_DIR=$geo "$bin" > "$geo/test_geo.out" 2>&1
rc=$?
set -e
cat "$geo/test_geo.out"
[ "$rc" -eq 0 ] || { echo "geo: test_geo failed ($rc)" >&2; exit 1; }
if grep -q 'SKIPPED' "$geo/test_geo.out"; then
    echo "geo: test_geo skipped tests although DS_GEO_DIR was set" >&2
    exit 1
fi
grep -qE 'PASSED +\] 12 test' "$geo/test_geo.out" || { echo "geo: not all 12 tests ran" >&2; exit 1; }
echo "geo: ok"
