#!/usr/bin/env bash
# Least privilege: `distill-sensor -i IFACE -Z nobody` opens the capture (a
# veth end; the other end in a network namespace of the test's own) and the
# output as root, then runs as nobody: /proc/PID/status shows every uid and
# gid nobody's, nobody's groups, every capability set empty and NoNewPrivs.
# It still captures and writes events to the file root opened (root's
# 0644, in a directory nobody cannot write to). SIGHUP after the drop: the rules reload as
# nobody; the root-owned output cannot be reopened (said on stderr, events
# keep going to the open file) until the file is nobody's. A bad user is a
# usage error (exit 2).
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to drop privileges"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "FAIL: no user nobody"; exit 1; }
pcap=$(ls "$src"/pcaps/clients/curl*.pcap "$src"/pcaps/clients/*.pcap 2>/dev/null | head -1)
[ -n "$pcap" ] || { echo "no capture to replay"; exit 1; }
command -v tcpreplay >/dev/null || { echo "tcpreplay missing (tools/setup.sh installs it)"; exit 1; }
ns=dspd$$ a=dspa$$ b=dspb$$
work=$(mktemp -d)
cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null
    [ -n "${collector:-}" ] && kill "$collector" 2>/dev/null
    ip link del "$a" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# 1. A user that does not exist: exit 2 before anything is opened.
"$bin" -i lo -Z no-such-user-ds10 -o "$work/never.json" 2>"$work/err"; rc=$?
[ $rc -eq 2 ] || bad "-Z no-such-user: exit $rc, not 2"
grep -q -- "-Z no-such-user-ds10: no such user" "$work/err" || bad "message: $(cat "$work/err")"
[ -e "$work/never.json" ] && bad "the output was opened for a bad user"
echo "ok   bad user: exit $rc, $(cat "$work/err")"

if ! ip netns add "$ns" 2>"$work/err"; then
    echo "SKIP: cannot make a network namespace here: $(cat "$work/err")"; exit 77
fi
if ! ip link add "$a" type veth peer name "$b" 2>"$work/err"; then
    echo "SKIP: cannot make a veth pair here: $(cat "$work/err")"; exit 77
fi
ip link set "$b" netns "$ns" || exit 1
ip link set "$a" mtu 65535 up || exit 1
ip netns exec "$ns" ip link set "$b" mtu 65535 up || exit 1
sysctl -qw "net.ipv6.conf.$a.disable_ipv6=1" 2>/dev/null

# The rules where nobody can read them (for the reload after the drop), and
# the output beside them.
chmod 0711 "$work" && mkdir -m 0711 "$work/pub" && cp -r "$src/rules" "$work/pub/r" && chmod -R a+rX "$work/pub/r"
out=$work/pub/events.json   # root 0644 in a directory nobody cannot write
# A collector's socket only root may connect to (0600): root connects at
# start-up, nobody could not connect again after a lost connection.
sock=$work/pub/col.sock
python3 -c 'import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o600)
s.settimeout(30)
try:
    while True: s.recv(65536)
except OSError: pass' "$sock" &
collector=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.05; done
"$bin" -i "$a" -Z nobody -v --rules "$work/pub/r" -o "$out" -o "unix-dgram:$sock" 2>"$work/log" &
pid=$!
wait_for() {  # wait_for REGEX: until the log shows it
    for _ in $(seq 50); do grep -Eq "$1" "$work/log" && return 0; sleep 0.1; done
    echo "FAIL: log never showed /$1/:"; cat "$work/log"; exit 1
}
wait_for "listening on $a"
grep -q "running as nobody" "$work/log" || bad "no 'running as nobody' line"
# Said at start-up: what a SIGHUP will not be able to reopen.
grep -q "as nobody, SIGHUP cannot reopen $out: Permission denied" "$work/log" ||
    bad "no start-up warning about the output nobody cannot reopen"
grep -q "cannot reload the rules" "$work/log" && bad "warned about rules nobody can read"
grep -q "as nobody, a lost connection cannot be made again to $sock: Permission denied" "$work/log" ||
    bad "no start-up warning about the socket output nobody cannot connect to"

# 2. The running sensor's credentials.
status=/proc/$pid/status
uid=$(id -u nobody) gid=$(id -g nobody) groups=$(id -G nobody)
field() { awk -v f="$1:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "$status"; }
[ "$(field Uid)" = "$uid $uid $uid $uid" ] || bad "Uid: $(field Uid), want $uid x4"
[ "$(field Gid)" = "$gid $gid $gid $gid" ] || bad "Gid: $(field Gid), want $gid x4"
[ "$(field Groups | xargs -n1 | sort -n | xargs)" = "$(echo "$groups" | xargs -n1 | sort -n | xargs)" ] ||
    bad "Groups: '$(field Groups)', want '$groups'"
for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
    [ "$(field $cap)" = 0000000000000000 ] || bad "$cap: $(field $cap), want none"
done
[ "$(field NoNewPrivs)" = 1 ] || bad "NoNewPrivs: $(field NoNewPrivs)"
echo "     credentials: $(grep -E '^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' "$status" | tr '\t\n' ' ')"

# 3. It still captures, and writes to the file root opened.
sleep 0.3
ip netns exec "$ns" tcpreplay -q -i "$b" --mbps 50 "$pcap" >"$work/replay.out" 2>&1 || {
    echo "tcpreplay failed:"; cat "$work/replay.out"; exit 1; }
sleep 1

echo "ok   warned at start-up: $(grep -m1 'SIGHUP cannot reopen' "$work/log" | sed 's/^distill-sensor: //')"

# 4. SIGHUP as nobody: rules reload; the root-owned output is not reopened.
kill -HUP "$pid"
wait_for "signatures reloaded: [0-9]+ rules"
wait_for "events.json: cannot open for writing: Permission denied"
echo "ok   SIGHUP after the drop: $(grep -m1 'signatures reloaded' "$work/log" | sed 's/^distill-sensor: //'); $(grep -m1 'cannot open for writing' "$work/log" | sed 's/^distill-sensor: //')"
# ... until the file is nobody's (logrotate's `create 0640 nobody nogroup`).
n_err=$(grep -c 'cannot open for writing' "$work/log")
n_hup=$(grep -c 'signatures reloaded' "$work/log")
chown nobody "$out"
kill -HUP "$pid"
for _ in $(seq 50); do
    [ "$(grep -c 'signatures reloaded' "$work/log")" -gt "$n_hup" ] && break; sleep 0.1
done
[ "$(grep -c 'signatures reloaded' "$work/log")" -gt "$n_hup" ] || bad "second SIGHUP not handled"
[ "$(grep -c 'cannot open for writing' "$work/log")" = "$n_err" ] || bad "reopen of a file nobody owns failed"

kill -INT "$pid"; wait "$pid"; rc=$?; pid=
[ $rc -eq 0 ] || { bad "exit $rc after SIGINT"; cat "$work/log"; }
flows=$(grep -c '"event_type":"flow"' "$out")
[ "$flows" -gt 0 ] || bad "no flow event after the drop"
tail -1 "$out" | grep -q '"event_type":"stats"' || bad "no final stats event at the end of the output"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$out" || bad "output is not NDJSON"
[ $fail = 0 ] && echo "ok   captured after the drop: $flows flow events and the final stats in the file root opened"
exit $fail
