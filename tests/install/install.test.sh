#!/usr/bin/env bash
# Installation as a service: `cmake --install --prefix /usr` into a staging
# root, then what it laid out: the binary runs, the rules are the source's and
# load, the man page lints clean and documents every option and signal, the
# systemd unit verifies and grants exactly CAP_NET_RAW and CAP_NET_ADMIN, the
# sensor captures as an unprivileged user holding only those two (root only),
# the default file's options parse, the example configuration is installed
# and passes --check-config, the logrotate snippet reads clean. Then
# tools/package.sh builds the .deb from this build tree, lintian finds no
# error, the package holds the same files as the staging root, and (as root)
# dpkg installs and purges it on an overlay of this system.
set -u
bin=${DS_BIN:?} src=${DS_SOURCE_DIR:?} build=${DS_BUILD_DIR:?}
for tool in mandoc systemd-analyze logrotate dpkg-deb dpkg-shlibdeps lintian cpack; do
    command -v "$tool" >/dev/null || PATH=$PATH:/usr/sbin command -v "$tool" >/dev/null ||
        { echo "install: $tool missing (tools/setup.sh installs it)"; exit 1; }
done
export PATH=$PATH:/usr/sbin
work=$(mktemp -d)
chmod 0755 "$work" # the capability run is as nobody
cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "install: $*"; exit 1; }
root=$work/root

# 1. The staging root.
DESTDIR=$root cmake --install "$build" --prefix /usr >"$work/install.log" 2>&1 ||
    { cat "$work/install.log"; fail "cmake --install failed"; }
sbin=$root/usr/bin/distill-sensor
rules=$root/usr/share/distill-sensor/rules
man=$root/usr/share/man/man8/distill-sensor.8.gz
unit=$root/lib/systemd/system/distill-sensor.service
default=$root/etc/default/distill-sensor
logrotate=$root/etc/logrotate.d/distill-sensor
config=$root/etc/distill-sensor/distill-sensor.yaml
for f in "$sbin" "$man" "$unit" "$default" "$logrotate" "$config" \
         "$root/usr/share/doc/distill-sensor/copyright" \
         "$root/usr/share/doc/distill-sensor/changelog.gz"; do
    [ -f "$f" ] || fail "not installed: ${f#"$root"}"
done

# 2. The binary and the rules.
version=$("$sbin" --version) || fail "installed binary: --version failed"
[ "$version" = "$("$bin" --version)" ] || fail "installed binary says '$version'"
diff -r "$src/rules" "$rules" >"$work/rules.diff" ||
    { cat "$work/rules.diff"; fail "installed rules differ from rules/"; }
"$sbin" --rules "$rules" --check-rules || fail "installed rules do not pass --check-rules"

# 3. The man page: lint clean (mandoc.db's view of other pages aside), every
# long option of --help, every signal, the exit codes.
zcat "$man" >"$work/distill-sensor.8" || fail "man page: not gzip"
mandoc -T lint "$work/distill-sensor.8" >"$work/lint" 2>&1; rc=$?
grep -v 'outdated mandoc.db lacks' "$work/lint" >"$work/lint.own"
[ $rc -eq 0 ] && [ ! -s "$work/lint.own" ] ||
    { cat "$work/lint.own"; fail "mandoc -T lint: man page not clean (rc $rc)"; }
mandoc -T ascii "$work/distill-sensor.8" | col -b >"$work/man.txt"
missing=
for opt in $("$sbin" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    grep -q -- "$opt" "$work/man.txt" || missing="$missing $opt"
done
for word in SIGHUP SIGUSR1 SIGINT SIGTERM "EXIT STATUS" FILES EXAMPLES "CONFIGURATION FILE" \
            /etc/distill-sensor/distill-sensor.yaml; do
    grep -q "$word" "$work/man.txt" || missing="$missing '$word'"
done
[ -z "$missing" ] || fail "man page lacks:$missing"

# 4. The default file: its options parse (the installed paths read in the
# staging root).
# shellcheck source=/dev/null
opts=$(. "$default" && printf '%s' "${DISTILL_OPTS:?}") || fail "no DISTILL_OPTS in the default file"
read -r -a args <<<"${opts//\/usr\//$root/usr/}"
"$sbin" "${args[@]}" --check-rules || fail "DISTILL_OPTS rejected: $opts"

# 4b. The example configuration: the source's, and it passes --check-config
# (the rules of the staging root; its paths are the service's), and so does
# the default file's commented -c line with the options the file sets.
cmp -s "$src/etc/distill-sensor.yaml" "$config" || fail "installed configuration differs from etc/"
out=$("$sbin" -c "$config" --rules "$rules" --check-config 2>&1) ||
    fail "the example configuration fails --check-config: $out"
[ "$out" = "$config: configuration OK (rules from $rules)" ] || fail "--check-config said: $out"
grep -q '^# *DISTILL_OPTS="-c /etc/distill-sensor/distill-sensor.yaml"' "$default" ||
    fail "the default file does not show -c with the example configuration"

# 5. The unit: systemd-analyze verify with nothing to say, the binary path
# pointed into the staging root (it checks the command exists) and the man
# path too (it checks Documentation=).
grep -qx "EnvironmentFile=-/etc/default/distill-sensor" "$unit" || fail "unit: EnvironmentFile"
grep -qx 'ExecStart=/usr/bin/distill-sensor $DISTILL_OPTS' "$unit" || fail "unit: ExecStart"
grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit" || fail "unit: ExecReload"
grep -qx "User=distill-sensor" "$unit" || fail "unit: User"
for key in AmbientCapabilities CapabilityBoundingSet; do
    grep -qx "$key=CAP_NET_RAW CAP_NET_ADMIN" "$unit" || fail "unit: $key"
done
for key in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
           ProtectKernelTunables=yes ProtectKernelModules=yes ProtectControlGroups=yes \
           LockPersonality=yes MemoryDenyWriteExecute=yes SystemCallArchitectures=native \
           LogsDirectory=distill-sensor \
           "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_PACKET AF_NETLINK"; do
    grep -qx "$key" "$unit" || fail "unit: no $key"
done
mkdir -p "$work/units"
sed "s|/usr/bin/distill-sensor|$sbin|" "$unit" >"$work/units/distill-sensor.service"
MANPATH=$root/usr/share/man: systemd-analyze verify "$work/units/distill-sensor.service" \
    >"$work/verify" 2>&1; rc=$?
[ $rc -eq 0 ] && [ ! -s "$work/verify" ] ||
    { cat "$work/verify"; fail "systemd-analyze verify: rc $rc or complaints"; }

# 6. As the unit runs it: an unprivileged user with only the unit's two
# capabilities (ambient, bounding, no new privileges) captures on loopback in
# a network namespace of its own; without them the capture cannot open.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && command -v unshare >/dev/null; then
    caps=+net_raw,+net_admin
    mkdir -m 0777 "$work/log"
    unshare -n bash -c '
        ip link set lo up || exit 3
        setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs \
            --inh-caps=-all,'$caps' --ambient-caps=-all,'$caps' --bounding-set=-all,'$caps' \
            "$1" -i lo -o "$2/eve.json" --rules "$3" -v 2>"$2/run.err" &
        p=$!
        for _ in $(seq 50); do grep -q "listening on" "$2/run.err" && break; sleep 0.1; done
        kill -TERM $p; wait $p' _ "$sbin" "$work/log" "$rules"; rc=$?
    [ $rc -eq 0 ] && grep -q "listening on lo" "$work/log/run.err" &&
        grep -q '"event_type":"stats"' "$work/log/eve.json" ||
        { cat "$work/log/run.err"; fail "as nobody with CAP_NET_RAW+CAP_NET_ADMIN: rc $rc"; }
    unshare -n setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs \
        --inh-caps=-all --bounding-set=-all \
        "$sbin" -i lo -o "$work/log/none.json" --rules "$rules" -q 2>/dev/null &&
        fail "as nobody without capabilities the capture opened"
else
    echo "install: not root (or no setpriv/unshare): the capability run is not done"
fi

# 7. logrotate: create (not copytruncate) and a postrotate SIGHUP, and the
# snippet reads clean (debug mode: nothing rotated, no script run; the
# directory and the create owner point at the test's own).
grep -q '^ *create 0640 distill-sensor distill-sensor$' "$logrotate" || fail "logrotate: create"
grep -q '^ *copytruncate' "$logrotate" && fail "logrotate: copytruncate"
grep -q 'systemctl reload distill-sensor.service' "$logrotate" || fail "logrotate: no reload (SIGHUP)"
mkdir -p "$work/rot" && echo '{}' >"$work/rot/eve.json"
sed -e "s|/var/log/distill-sensor/|$work/rot/|" \
    -e "s|create 0640 distill-sensor distill-sensor|create 0640 $(id -un) $(id -gn)|" \
    "$logrotate" >"$work/logrotate.conf"
logrotate -d -s "$work/logrotate.state" "$work/logrotate.conf" >"$work/logrotate.out" 2>&1; rc=$?
[ $rc -eq 0 ] && ! grep -qi 'error' "$work/logrotate.out" &&
    grep -q "considering log $work/rot/eve.json" "$work/logrotate.out" ||
    { cat "$work/logrotate.out"; fail "logrotate -d: rc $rc"; }

# 8. The package, from this build tree: lintian (errors fail package.sh),
# then the same files as the staging root, the /etc ones conffiles, the
# libraries' packages as dependencies.
"$src/tools/package.sh" "$build" "$work/pkg" >"$work/package.out" 2>&1 ||
    { cat "$work/package.out"; fail "tools/package.sh failed"; }
deb=$(tail -1 "$work/package.out")
[ -f "$deb" ] || { cat "$work/package.out"; fail "no .deb"; }
dpkg-deb -x "$deb" "$work/deb" || fail "dpkg-deb -x failed"
(cd "$root" && find . -type f | sort) >"$work/staged.list"
(cd "$work/deb" && find . -type f | sort) >"$work/deb.list"
diff "$work/staged.list" "$work/deb.list" || fail "the package's files differ from cmake --install's"
dpkg-deb -I "$deb" conffiles >"$work/conffiles" || fail "no conffiles"
(cd "$work/deb" && find ./etc -type f | sed 's/^\.//' | sort) | diff - <(sort "$work/conffiles") ||
    fail "conffiles are not the files under /etc"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libpcap0.8 libndpi libjansson4 libmaxminddb0 adduser; do
    [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
grep '^[WE]: ' "$work/package.out" || true

# 9. dpkg -i for real, on a copy-on-write view of this system (an overlay in
# a mount namespace of the test's own; the system itself is not touched):
# postinst makes the user, the unit verifies as installed, purge removes
# the package's files and its log directory and keeps the user.
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
    mkdir -p "$work/ov/up" "$work/ov/work" "$work/ov/mnt" "$work/ov/pkg"
    cp "$deb" "$work/ov/pkg/"
    unshare -m bash -c '
        set -e
        ov=$1
        mount -t overlay overlay -o "lowerdir=/,upperdir=$ov/up,workdir=$ov/work" "$ov/mnt" ||
            exit 77
        mount -t proc proc "$ov/mnt/proc"
        mount --bind "$ov/pkg" "$ov/mnt/mnt"
        chroot "$ov/mnt" sh -ec "
            dpkg -i /mnt/*.deb >/dev/null
            getent passwd distill-sensor >/dev/null || { echo no user; exit 1; }
            systemd-analyze verify /lib/systemd/system/distill-sensor.service 2>&1 | tee /mnt/verify
            test ! -s /mnt/verify
            mkdir -p /var/log/distill-sensor
            dpkg --purge distill-sensor >/dev/null
            getent passwd distill-sensor >/dev/null
            for f in /usr/bin/distill-sensor /etc/default/distill-sensor /var/log/distill-sensor; do
                test ! -e \$f || { echo \$f left after purge; exit 1; }
            done"' _ "$work/ov" >"$work/dpkg.out" 2>&1; rc=$?
    if [ $rc -eq 77 ]; then
        echo "install: no overlay mount here: dpkg -i is not tried"
    elif [ $rc -ne 0 ]; then
        cat "$work/dpkg.out"; fail "dpkg -i / purge on an overlay: rc $rc"
    fi
else
    echo "install: not root (or no unshare): dpkg -i is not tried"
fi
echo "install: staged and packaged $(basename "$deb"), lintian without errors"
