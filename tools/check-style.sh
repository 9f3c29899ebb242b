#!/usr/bin/env bash
# Checks two STYLE.md rules that a compiler does not:
#  - banned functions (after curl's checksrc): strcpy, strcat, sprintf,
#    vsprintf, strtok, atoi, atol, sscanf, gets;
#  - one module per third-party library: only classify.c includes nDPI, only
#    capture.c libpcap, only output.c jansson, only geo.c libmaxminddb, and
#    only quic.c libcrypto.
set -u
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fail=0
hits=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|sscanf|gets)\s*\(' \
    "$top"/sensor/*.c "$top"/include/ds/*.h "$top"/tests/unit/*.c "$top"/tests/fuzz/*.c \
    "$top"/tools/bench/*.c 2>/dev/null)
if [ -n "$hits" ]; then
    echo "banned functions (STYLE.md):"; echo "$hits"; fail=1
fi
check_lib() {  # check_lib REGEX OWNER
    local bad
    bad=$(grep -lE "#include *[<\"]($1)" "$top"/sensor/*.c "$top"/include/ds/*.h |
          grep -v "/sensor/$2\$")
    if [ -n "$bad" ]; then
        echo "only sensor/$2 may include $1:"; echo "$bad"; fail=1
    fi
}
check_lib 'ndpi/|ndpi_' classify.c
check_lib 'pcap' capture.c
check_lib 'jansson' output.c
check_lib 'maxminddb' geo.c
check_lib 'openssl/' quic.c
[ $fail = 0 ] && echo "style: no banned functions, library boundaries hold ($(ls "$top"/sensor/*.c | wc -l) modules)"
exit $fail
