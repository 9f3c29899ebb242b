#!/usr/bin/env bash
# --check-rules: the shipped rules pass; each kind of bad rule file is
# reported as `file:line: why` and exits 2; so does starting the sensor.
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail=0
out=$("$bin" --check-rules --rules "$src/rules" 2>&1); rc=$?
if [ $rc -ne 0 ] || ! grep -q "rules OK" <<<"$out"; then
    echo "FAIL shipped rules: exit $rc: $out"; fail=1
else
    echo "ok   shipped rules: $out"
fi
# case NAME FILE-CONTENT REGEX
case_bad() {
    local name=$1 text=$2 re=$3
    rm -rf "$work/r"; cp -r "$src/rules" "$work/r"
    printf '%s\n' "$text" >"$work/r/zz-test.rules"
    out=$("$bin" --check-rules --rules "$work/r" 2>&1); rc=$?
    if [ $rc -ne 2 ] || ! grep -Eq -- "$re" <<<"$out"; then
        echo "FAIL $name: exit $rc, output: $out"; fail=1; return
    fi
    # Starting the sensor on the same rules fails the same way, before reading.
    "$bin" -r "$src/pcaps/clients/curl.pcap" --rules "$work/r" -o "$work/ev" 2>"$work/err"; rc=$?
    if [ $rc -ne 2 ] || ! grep -Eq -- "$re" "$work/err" || [ -s "$work/ev" ]; then
        echo "FAIL $name at start-up: exit $rc"; cat "$work/err"; fail=1; return
    fi
    echo "ok   $name: $(grep -E -- "$re" <<<"$out" | head -1)"
}
case_bad syntax-error '# a comment
alert ai-harvest (msg:"x"; window:10m; requests:>=5 sid:9100001; rev:1;' \
    "zz-test.rules:2: "
case_bad unknown-keyword 'alert ai-harvest (msg:"x"; window:10m; frobnicate:3; sid:9100001; rev:1;)' \
    "zz-test.rules:1: .*frobnicate"
case_bad bad-number 'alert ai-harvest (msg:"x"; window:10m; requests:>=lots; sid:9100001; rev:1;)' \
    "zz-test.rules:1: .*lots"
case_bad duplicate-sid 'alert ai-harvest (msg:"x"; window:10m; requests:>=5; sid:9000001; rev:1;)' \
    "zz-test.rules:1: .*9000001"
case_bad bad-window 'alert ai-harvest (msg:"x"; window:7m; requests:>=5; sid:9100001; rev:1;)' \
    "zz-test.rules:1: .*window"
case_bad bad-severity 'alert ai-harvest (msg:"x"; window:10m; requests:>=5; severity:7; sid:9100001; rev:1;)' \
    "zz-test.rules:1: .*severity"
# A broken catalogue and fingerprint table are configuration errors too.
rm -rf "$work/r"; cp -r "$src/rules" "$work/r"
echo "host api.example.com" >>"$work/r/ai-services.conf"
out=$("$bin" --check-rules --rules "$work/r" 2>&1); rc=$?
n=$(wc -l <"$work/r/ai-services.conf")
if [ $rc -ne 2 ] || ! grep -q "ai-services.conf:$n: " <<<"$out"; then
    echo "FAIL bad catalogue line: exit $rc: $out"; fail=1
else
    echo "ok   bad catalogue line: $(head -1 <<<"$out")"
fi
rm -rf "$work/r"; cp -r "$src/rules" "$work/r"
echo "browser not-a-ja4" >>"$work/r/fingerprints.conf"
out=$("$bin" --check-rules --rules "$work/r" 2>&1); rc=$?
n=$(wc -l <"$work/r/fingerprints.conf")
if [ $rc -ne 2 ] || ! grep -q "fingerprints.conf:$n: " <<<"$out"; then
    echo "FAIL bad fingerprint line: exit $rc: $out"; fail=1
else
    echo "ok   bad fingerprint line: $(head -1 <<<"$out")"
fi
# A catalogue of more entries than a flow can name (an int16_t index) is
# refused, with its size and the limit, not cut or wrapped.
rm -rf "$work/r"; cp -r "$src/rules" "$work/r"
awk 'BEGIN { for (i = 0; i < 32800; i++) printf "host h%d.example.com example api\n", i }' \
    >>"$work/r/ai-services.conf"
out=$("$bin" --check-rules --rules "$work/r" 2>&1); rc=$?
if [ $rc -ne 2 ] || ! grep -Eq "ai-services.conf: [0-9]+ entries, more than the 32768 a flow can name" <<<"$out"; then
    echo "FAIL oversized catalogue: exit $rc: $out"; fail=1
else
    echo "ok   oversized catalogue: $(head -1 <<<"$out")"
fi
# A family no fingerprint gives is a warning at the rule's line, through the
# same diagnostics as errors; the rules still load.
rm -rf "$work/r"; cp -r "$src/rules" "$work/r"
printf '%s\n' '# families' \
    'alert ai-harvest (msg:"x"; window:10m; requests:>=5; fingerprint_family:martian; sid:9100001; rev:1;)' \
    >"$work/r/zz-test.rules"
out=$("$bin" --check-rules --rules "$work/r" 2>&1); rc=$?
if [ $rc -ne 0 ] || ! grep -q "zz-test.rules:2: sid 9100001: fingerprint family 'martian' is not in" <<<"$out"; then
    echo "FAIL unknown family: exit $rc: $out"; fail=1
else
    echo "ok   unknown family: $(grep martian <<<"$out")"
fi
exit $fail
