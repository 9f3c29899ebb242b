#!/usr/bin/env bash
# Redis AUTH, the credentials from the configuration file (-c), against a
# real redis-server the test starts on a loopback port with requirepass:
# 1. the password alone: the list holds the file's events, in order;
# 2. an ACL user (AUTH username password): the same;
# 3. a wrong password: no crash, exit 0, the refusal said once with redis's
#    reason, every event counted dropped, auth_failures in the stats;
# 4. redis killed and started again mid-run (the capture from a pipe): the
#    reconnection authenticates again and the events after it arrive;
# 5. a password has no place on the command line.
set -u
. "$DS_SOURCE_DIR/tests/sinks/common.sh"
command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    { echo "redis-server missing (tools/packages.d/core.txt)"; exit 77; }
pcap=$src/pcaps/scenarios/rotating.pcap
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pass='s3cret: with # and spaces'
rcli() { REDISCLI_AUTH=$pass redis-cli -p "$port" "$@"; }
redis_start --requirepass "$pass"
rcli ACL SETUSER sensor on '>user-pw' '~*' '&*' '+@all' >/dev/null
cfg=$work/c.yaml

# run NAME USERLINE PASSWORD: the capture to a file and a redis list NAME.
run() {
    { printf 'read: [%s]\nall-tls: true\nstats-interval: 1\noutputs:\n' "$pcap"
      printf '  - %s\n' "$work/$1.json"
      printf '  - redis: redis://127.0.0.1:%s/%s\n' "$port" "$1"
      [ -n "$2" ] && printf '    username: %s\n' "$2"
      printf '    password: "%s"\n' "$3"; } >"$cfg"
    "$bin" -c "$cfg" 2>"$work/$1.err"
}
# same NAME: the list holds the file's events, in order, nothing on stderr.
same() {
    rcli LRANGE "$1" 0 -1 >"$work/$1.list"
    [ "$(wc -l <"$work/$1.json")" -gt 100 ] && [ ! -s "$work/$1.err" ] &&
        cmp -s "$work/$1.json" "$work/$1.list"
}
run pw "" "$pass"; rc=$?
if [ $rc = 0 ] && same pw; then
    echo "ok   AUTH password: $(wc -l <"$work/pw.json") events in the list, identical, in order"
else
    echo "FAIL: AUTH password: exit $rc, list $(wc -l <"$work/pw.list")"; cat "$work/pw.err"; fail=1
fi
run acl sensor user-pw; rc=$?
if [ $rc = 0 ] && same acl; then
    echo "ok   AUTH sensor user-pw (ACL user): $(wc -l <"$work/acl.json") events, identical, in order"
else
    echo "FAIL: AUTH ACL user: exit $rc"; cat "$work/acl.err"; fail=1
fi

run wrong "" "not the password"; rc=$?
n=$(wc -l <"$work/wrong.json")
said=$(grep -c "redis://127.0.0.1:$port/wrong: AUTH refused (WRONGPASS" "$work/wrong.err")
auth=$(tail -1 "$work/wrong.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sensor"]["output"]["redis_2"]["auth_failures"])')
if [ $rc = 0 ] && [ "$said" = 1 ] && grep -q "$n events dropped, 0 sent" "$work/wrong.err" &&
   [ "$(rcli LLEN wrong)" = 0 ] && [ "$auth" -ge 1 ] && ! grep -q "not the password" "$work/wrong.err"; then
    echo "ok   wrong password: exit 0, said once ($(head -1 "$work/wrong.err" | cut -c1-110)...), $n events dropped and counted, auth_failures $auth, the password not printed"
else
    echo "FAIL: wrong password: exit $rc, said $said times, auth_failures $auth"; cat "$work/wrong.err"; fail=1
fi

# 4. A restart mid-run: the new connection authenticates too.
mkfifo "$work/pipe"
python3 "$src/tests/sinks/pcapfeed.py" "$pcap" "$work/pipe" "$work/go" --parts 2 --sleep 0.01 &
writer=$!
printf 'read: [%s]\nall-tls: true\nstats-interval: 1\noutputs:\n  - %s\n  - redis: redis://127.0.0.1:%s/re\n    password: "%s"\n' \
    "$work/pipe" "$work/re.json" "$port" "$pass" >"$cfg"
"$bin" -c "$cfg" 2>"$work/re.err" &
sensor=$!
part 1
sleep 0.3
before=$(rcli LLEN re)
kill -9 "$redis"; wait "$redis" 2>/dev/null
redis_start --requirepass "$pass"
part 2
wait "$writer"; writer=
wait "$sensor"; rc=$?; sensor=
after=$(rcli LLEN re)
reconnects=$(tail -1 "$work/re.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sensor"]["output"]["redis_2"]["reconnects"])')
if [ $rc = 0 ] && [ "$before" -gt 0 ] && [ "$after" -gt 0 ] && [ "$reconnects" -ge 1 ] &&
   ! grep -q "AUTH refused" "$work/re.err" && rcli LRANGE re -1 -1 | grep -q '"event_type":"stats"'; then
    echo "ok   restarted redis: $before events before, $after to the new server after $reconnects reconnection(s), each authenticated"
else
    echo "FAIL: restart: exit $rc, before $before, after $after, reconnects $reconnects"; cat "$work/re.err"; fail=1
fi

# 5. No password on the command line: a userinfo in the spec is refused.
"$bin" -r "$pcap" -o "redis://:pw@127.0.0.1:$port/k" >/dev/null 2>"$work/cl.err"; rc=$?
if [ $rc = 2 ] && grep -q "not redis://HOST:PORT/KEY" "$work/cl.err"; then
    echo "ok   redis://:pw@... on the command line: exit 2, $(cat "$work/cl.err")"
else
    echo "FAIL: a password in -o: exit $rc"; fail=1
fi
exit $fail
