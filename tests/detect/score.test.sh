#!/usr/bin/env bash
# Detection quality on short generated scenarios (deterministic seeds): the
# sensor with the shipped rules, scored by tools/score against the
# generator's labels, must meet the issue's targets on a 20-minute mix of the
# issue 3 roles, alert on each of their harvester roles alone and stay quiet
# (or below severity 1) on each of their normal roles alone.
#
# ISSUE 9 ROLES (the list `v2_roles` below): the same checks on the roles added
# for issue 9, alone over 40 minutes (syncpool over 3 hours: its members send
# a request every quarter of an hour, and a member is known by the rounds it
# crowds, two at least), and the targets on a 2-hour mix of every role.
# Enforced since the issue 9 rules landed; DS_SCORE_ISSUE9=0 prints them as
# "info" lines instead (to look at a change's effect without failing).
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?}
v2_enforce=${DS_SCORE_ISSUE9:-1}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
gen=$src/tools/gen-traffic
[ -x "$gen" ] || { echo "tools/gen-traffic missing"; exit 1; }
fail=0
run() {  # run NAME SCENARIO DURATION SEED: $work/NAME.{pcap,labels.json,json}
    "$gen" "$2" -o "$work/$1.pcap" --duration "$3" --seed "$4" -q || return 1
    "$bin" -r "$work/$1.pcap" -o "$work/$1.json" || return 1
}
check_alone() {  # check_alone ROLE DURATION SEED: prints ok/FAIL, returns 1 on FAIL
    run "$1" "$1" "$2" "$3" || { echo "FAIL $1: could not generate or read"; return 1; }
    "$src/tools/score" "$work/$1.json" "$work/$1.labels.json" --json >"$work/$1.score" || return 1
    python3 - "$1" "$work/$1.score" <<'PY'
import json, sys
role, r = sys.argv[1], json.load(open(sys.argv[2]))
x = r["per_role"].get(role)
if x is None:
    print(f"FAIL {role} alone: no source"); sys.exit(1)
cov = r["cluster_coverage_min"]
if x["expect"] == "alert":
    ok = not x["missed"] and (cov is None or cov >= 0.9)
    what = f"{x['alerted']}/{x['sources']} sources alerted" + ("" if cov is None else f", cluster coverage {cov:.2f}")
elif x["expect"] == "quiet":
    ok = x["alerted"] == 0
    what = f"{x['sources']} quiet sources, {x['alerted']} alerted"
else:
    ok = x["sev1"] == 0
    what = f"{x['sources']} no-high sources, {x['sev1']} with severity 1, best severity {x['best_severity']}"
print(f"{'ok  ' if ok else 'FAIL'} {role} alone ({x['expect']}): {what}")
sys.exit(0 if ok else 1)
PY
}

# ---- issue 3 roles: always enforced
v1=steady,hydra,burst,jittered,rotating,browser,developer,production,automation
run mix "$v1" 20m 11 || exit 1
echo "== mix of the issue 3 roles, 20m seed 11"
"$src/tools/score" "$work/mix.json" "$work/mix.labels.json" --targets -v || fail=1
for role in steady hydra burst jittered rotating; do
    check_alone "$role" 15m 12 || fail=1
done
for role in browser developer production automation; do
    check_alone "$role" 15m 13 || fail=1
done

# ---- issue 9 roles (DS_SCORE_ISSUE9=0: not enforced)
v2_roles="diverse rotating3 natted slow pool2 syncpool jitter-keepalive agent rag cieval office"
v2_fail=0
echo "== issue 9 roles (enforced: $([ "$v2_enforce" = 1 ] && echo yes || echo "no, DS_SCORE_ISSUE9=0"))"
for role in $v2_roles; do
    dur=40m
    [ "$role" = syncpool ] && dur=3h
    check_alone "$role" "$dur" 14 || v2_fail=1
done
run mix2 mix 2h 15 || exit 1
echo "== mix of every role, 2h seed 15"
"$src/tools/score" "$work/mix2.json" "$work/mix2.labels.json" --targets --per-role -v || v2_fail=1
if [ $v2_fail -ne 0 ]; then
    if [ "$v2_enforce" = 1 ]; then
        fail=1
    else
        echo "info: issue 9 roles miss their targets (not enforced: DS_SCORE_ISSUE9=0)"
    fi
fi
exit $fail
