# Sourced by the live tests: a veth pair, "$a" here and "$b" in a network
# namespace "$ns" of the test's own, both up with room for loopback-sized
# frames and IPv6 off on both ends, so only the test's own traffic is seen.
# veth_up returns 77 (skip) where namespaces or veth cannot be made, 1 on
# another failure; veth_down removes both. Needs $work (a scratch directory).
ns=dsns$$ a=dsa$$ b=dsb$$

veth_up() {
    if ! ip netns add "$ns" 2>"$work/err"; then
        echo "SKIP: cannot make a network namespace here: $(cat "$work/err")"; return 77
    fi
    if ! ip link add "$a" type veth peer name "$b" 2>"$work/err"; then
        echo "SKIP: cannot make a veth pair here: $(cat "$work/err")"; return 77
    fi
    ip link set "$b" netns "$ns" || return 1
    # Loopback captures carry frames far above 1500 bytes; veth takes up to 65535.
    ip link set "$a" mtu 65535 up || return 1
    ip netns exec "$ns" ip link set "$b" mtu 65535 up || return 1
    sysctl -qw "net.ipv6.conf.$a.disable_ipv6=1" 2>/dev/null
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$b.disable_ipv6=1" 2>/dev/null
    return 0
}

veth_down() {
    ip link del "$a" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
}

# wait_listening LOG: until the sensor's -v log says it is listening (5 s).
wait_listening() {
    for _ in $(seq 50); do grep -q "listening on" "$1" && return 0; sleep 0.1; done
    echo "FAIL: sensor did not start:"; cat "$1"; return 1
}

# pcap_head IN N OUT: the first N packets of the pcap IN (microsecond,
# little-endian, as the captures here are) written to OUT.
pcap_head() {
    python3 - "$1" "$2" "$3" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
n, off, out = int(sys.argv[2]), 24, [data[:24]]
for _ in range(n):
    caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
    out.append(data[off:off + 16 + caplen])
    off += 16 + caplen
open(sys.argv[3], "wb").write(b"".join(out))
PY
}
